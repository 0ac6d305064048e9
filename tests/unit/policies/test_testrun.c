/*
 * Tests of policies/testrun.c and policies/report.c: suite validation (the
 * golden error files of tests/data/testrun/bad, one per error class),
 * expectation matching and its failure messages, the statistics on a
 * hand-computed example, and the reporters' escaping and self-containment.
 *
 * The guardrail of tests/data/testrun/guardrail.json configures every
 * policy, so that names and types can be checked against it, but has no
 * managed word list: it compiles in milliseconds. Cases only rely on the
 * word and regex policies, which every build has.
 */
#include <dirent.h>
#include <cjson/cJSON.h>
#include <math.h>

#include "policies/report.h"
#include "policies/testrun.h"
#include "tests/unit/testutil.h"

#define DATA "tests/data/testrun"

#include "tests/unit/failmalloc.h"

/* Loads and runs one suite file; the run must be freed. */
static void run_file(struct bw_pol_test_run *r, const char *path, const char *override)
{
    struct bw_errs e;

    bw_pol_test_init(r);
    bw_errs_init(&e, NULL);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_load(r, path, override, &e), 0);
    CU_ASSERT_EQUAL(e.n, 0);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_exec(r, &e), 0);
    bw_errs_free(&e);
}

/* Loads a suite from memory (relative paths from tests/data/testrun) and runs it. */
static int run_mem(struct bw_pol_test_run *r, const char *json, struct bw_errs *e)
{
    int rv;

    bw_pol_test_init(r);
    bw_errs_init(e, NULL);
    if ((rv = bw_pol_test_load_mem(r, "mem.json", DATA, json, strlen(json), NULL, e)) != 0)
        return rv;
    return bw_pol_test_exec(r, e);
}

/* All messages of e, one per line. */
static char *joined(const struct bw_errs *e)
{
    struct bw_buf b;
    size_t i;

    bw_buf_init(&b, 0);
    for (i = 0; i < e->n; i++) {
        bw_buf_adds(&b, e->msg[i]);
        bw_buf_addc(&b, '\n');
    }
    if (b.base == NULL)
        bw_buf_adds(&b, "");
    return bw_buf_detach(&b);
}

static const struct bw_pol_test_case *find_case(const struct bw_pol_test_run *r, const char *name)
{
    size_t i, k;

    for (i = 0; i < r->nsuites; i++)
        for (k = 0; k < r->suites[i].ncases; k++)
            if (strcmp(r->suites[i].cases[k].name, name) == 0)
                return &r->suites[i].cases[k];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* validation */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_testrun_golden_errors(void)
{
    DIR *d = opendir(DATA "/bad");
    struct dirent *de;
    char *names[64];
    size_t n = 0, i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    while ((de = readdir(d)) != NULL && n < 64) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
            names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_name);
    CU_ASSERT(n >= 16);
    for (i = 0; i < n; i++) {
        struct bw_pol_test_run r;
        struct bw_errs e;
        char path[512], errp[512], *want, *got;
        int rv;

        snprintf(path, sizeof(path), DATA "/bad/%s", names[i]);
        snprintf(errp, sizeof(errp), "%.*s.err", (int)(strlen(path) - 5), path);
        bw_pol_test_init(&r);
        bw_errs_init(&e, NULL);
        rv = bw_pol_test_load(&r, path, NULL, &e);
        want = bw_test_slurp(errp, NULL);
        got = joined(&e);
        CU_ASSERT_PTR_NOT_NULL(want);
        if (rv != BW_ECONFIG || !want || strcmp(want, got) != 0) {
            fprintf(stderr, "\n%s: rv %d, errors:\n%s--- expected (%s):\n%s", path, rv, got, errp, want ? want : "");
            CU_FAIL("golden error file differs");
        }
        /* a suite that fails is not added */
        CU_ASSERT_EQUAL(r.nsuites, 0);
        free(want);
        free(got);
        bw_errs_free(&e);
        bw_pol_test_free(&r);
        free(names[i]);
    }
}

static void test_testrun_guardrail_read_once(void)
{
    struct bw_pol_test_run r;
    struct bw_errs e;
    char *got;

    bw_pol_test_init(&r);
    bw_errs_init(&e, NULL);
    CU_ASSERT_EQUAL(bw_pol_test_load(&r, DATA "/good.json", NULL, &e), 0);
    CU_ASSERT_EQUAL(bw_pol_test_load(&r, DATA "/good.json", NULL, &e), 0);
    CU_ASSERT_EQUAL(r.ngrs, 1);
    CU_ASSERT_EQUAL(r.nsuites, 2);
    /* a broken guardrail: its errors once, then "see above" */
    CU_ASSERT_EQUAL(bw_pol_test_load(&r, DATA "/bad/guardrail_broken.json", NULL, &e), BW_ECONFIG);
    CU_ASSERT_EQUAL(bw_pol_test_load(&r, DATA "/bad/guardrail_broken.json", NULL, &e), BW_ECONFIG);
    got = joined(&e);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "does not load (errors above)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "does not load (see above)"));
    CU_ASSERT_EQUAL(e.n, 5); /* 3 of the guardrail file, 1 per suite */
    CU_ASSERT_EQUAL(r.nsuites, 2);
    free(got);
    bw_errs_free(&e);
    bw_pol_test_free(&r);
}

static void test_testrun_guardrail_override(void)
{
    static const char suite[] = "{\"guardrail\": \"guardrail.json\", \"cases\": [{\"name\": \"a\", \"text\": \"ORD-12345678\","
                                "\"expect\": {\"action\": \"MASKED\", \"findings\": [{\"policy\": \"regex\", \"name\": "
                                "\"order_id\"}]}}]}";
    struct bw_pol_test_run r;
    struct bw_errs e;
    char *got;

    /* the override is checked like the suite's own: words_only has no regexes */
    bw_pol_test_init(&r);
    bw_errs_init(&e, NULL);
    CU_ASSERT_EQUAL(bw_pol_test_load_mem(&r, "mem.json", DATA, suite, strlen(suite), DATA "/words_only.json", &e),
                    BW_ECONFIG);
    got = joined(&e);
    CU_ASSERT_STRING_EQUAL(got, "mem.json: cases[0].expect.findings[0].policy: the guardrail configures no regexes\n");
    free(got);
    bw_errs_free(&e);
    bw_pol_test_free(&r);

    /* relative paths start at the directory given */
    CU_ASSERT_EQUAL(run_mem(&r, suite, &e), 0);
    CU_ASSERT_STRING_EQUAL(r.suites[0].guardrail_path, DATA "/guardrail.json");
    CU_ASSERT_EQUAL(r.passed, 1);
    bw_errs_free(&e);
    bw_pol_test_free(&r);
}

/* ------------------------------------------------------------------------ */
/* running and matching */

static void test_testrun_good_suite(void)
{
    struct bw_pol_test_run r;
    const struct bw_pol_test_case *c;
    size_t i;

    run_file(&r, DATA "/good.json", NULL);
    CU_ASSERT_EQUAL(r.cases, 10);
    CU_ASSERT_EQUAL(r.passed, 9);
    CU_ASSERT_EQUAL(r.failed, 0);
    CU_ASSERT_EQUAL(r.skipped, 1);
    CU_ASSERT_EQUAL(r.errors, 0);
    for (i = 0; i < r.suites[0].ncases; i++) {
        c = &r.suites[0].cases[i];
        if (c->status == BW_PT_FAIL)
            fprintf(stderr, "\n%s: %s\n", c->name, c->nfails ? c->fails[0] : "?");
        if (c->status != BW_PT_SKIP)
            CU_ASSERT(c->latency_ns > 0);
    }
    c = find_case(&r, "custom word blocks");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->verdict, BW_PT_BLOCKED);
    CU_ASSERT_EQUAL(c->ngot, 1);
    CU_ASSERT_STRING_EQUAL(c->got[0], "Input <blocked> & \"quoted\".");
    CU_ASSERT(c->policies & (1u << BW_POL_WORD));

    c = find_case(&r, "messages are blocks");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->nblocks, 2); /* the tool call without content is no block */
    CU_ASSERT_STRING_EQUAL(c->blocks[1].text, "is ORD-11112222\nlate?");
    CU_ASSERT_EQUAL(c->verdict, BW_PT_MASKED);

    c = find_case(&r, "content blocks with qualifiers");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->nblocks, 3);
    CU_ASSERT_EQUAL(c->nimages, 1);
    CU_ASSERT_EQUAL(c->nguarded, 1);
    CU_ASSERT_EQUAL(c->blocks[0].quals, BW_QUAL_GROUNDING);
    CU_ASSERT_EQUAL(c->blocks[1].quals, BW_QUAL_QUERY);

    c = find_case(&r, "grounding source and query are not guarded");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->nblocks, 3);
    CU_ASSERT_EQUAL(c->dir, BW_DIR_OUTPUT);

    c = find_case(&r, "a skipped case");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->status, BW_PT_SKIP);
    CU_ASSERT_STRING_EQUAL(c->skip, "not yet");
    /* every case that ran, then every dataset row */
    CU_ASSERT_EQUAL(r.nlat, 9 + 11);
    CU_ASSERT_EQUAL(r.pol_cases[BW_POL_WORD], 4);
    CU_ASSERT_EQUAL(r.pol_cases[BW_POL_REGEX], 4);
    bw_pol_test_free(&r);
}

static void test_testrun_failure_messages(void)
{
    static const char suite[] =
        "{\"guardrail\": \"guardrail.json\", \"cases\": ["
        "{\"name\": \"wrong action\", \"text\": \"darn\", \"expect\": {\"action\": \"MASKED\"}},"
        "{\"name\": \"wrong intervened\", \"text\": \"fine\", \"expect\": {\"action\": \"GUARDRAIL_INTERVENED\"}},"
        "{\"name\": \"missing finding\", \"text\": \"ORD-12345678\", \"expect\": {\"action\": \"MASKED\", \"findings\": "
        "[{\"policy\": \"regex\", \"name\": \"secret\", \"action\": \"BLOCKED\"}, {\"policy\": \"regex\", \"match\": "
        "\"ORD-12345678\", \"detected\": false}]}},"
        "{\"name\": \"unwanted finding\", \"text\": \"darn and ORD-12345678\", \"expect\": {\"action\": \"BLOCKED\", "
        "\"not_findings\": [{\"policy\": \"word\", \"type\": \"CUSTOM\"}, {\"policy\": \"regex\", \"action\": "
        "\"BLOCKED\"}]}},"
        "{\"name\": \"wrong output\", \"text\": \"a \\\"ORD-12345678\\\"\\n\", \"expect\": {\"action\": \"MASKED\", "
        "\"output\": \"a {ORDER}\"}},"
        "{\"name\": \"wrong outputs\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"user\", "
        "\"content\": \"ORD-12345678\"}], \"expect\": {\"action\": \"MASKED\", \"outputs\": [\"x\"]}}"
        "]}";
    struct bw_pol_test_run r;
    const struct bw_pol_test_case *c;
    struct bw_errs e;

    CU_ASSERT_EQUAL_FATAL(run_mem(&r, suite, &e), 0);
    CU_ASSERT_EQUAL(r.failed, 6);
    CU_ASSERT_FALSE(bw_pol_test_ok(&r));

    c = find_case(&r, "wrong action");
    CU_ASSERT_EQUAL_FATAL(c->nfails, 1);
    CU_ASSERT_STRING_EQUAL(c->fails[0], "action: expected MASKED, got BLOCKED");
    c = find_case(&r, "wrong intervened");
    CU_ASSERT_EQUAL_FATAL(c->nfails, 1);
    CU_ASSERT_STRING_EQUAL(c->fails[0], "action: expected GUARDRAIL_INTERVENED, got NONE");
    c = find_case(&r, "missing finding");
    CU_ASSERT_EQUAL_FATAL(c->nfails, 2);
    CU_ASSERT_STRING_EQUAL(c->fails[0], "finding: expected regex \"secret\" BLOCKED, not found");
    CU_ASSERT_STRING_EQUAL(c->fails[1], "finding: expected regex \"ORD-12345678\" (not detected), not found");
    c = find_case(&r, "unwanted finding");
    CU_ASSERT_EQUAL_FATAL(c->nfails, 1);
    CU_ASSERT_STRING_EQUAL(c->fails[0], "finding: expected no word CUSTOM, found word CUSTOM \"darn\" BLOCKED");
    c = find_case(&r, "wrong output");
    CU_ASSERT_EQUAL_FATAL(c->nfails, 1);
    CU_ASSERT_STRING_EQUAL(c->fails[0], "output: expected \"a {ORDER}\", got \"a \\\"{order_id}\\\"\\n\"");
    c = find_case(&r, "wrong outputs");
    CU_ASSERT_EQUAL_FATAL(c->nfails, 1);
    CU_ASSERT_STRING_EQUAL(c->fails[0], "outputs: expected [\"x\"], got [\"x\", \"{order_id}\"]");
    bw_errs_free(&e);
    bw_pol_test_free(&r);
}

static void test_testrun_matching(void)
{
    struct bw_pol_test_want w;
    struct bw_pol_test_found f;
    char buf[256];

    memset(&f, 0, sizeof(f));
    f.policy = BW_POL_CONTENT;
    f.type = BW_CAT_HATE;
    f.confidence = BW_CONF_MEDIUM;
    f.detected = 1;
    f.action = BW_ACT_BLOCK;
    memset(&w, 0, sizeof(w));
    w.policy = BW_POL_CONTENT;
    w.sub = w.type = w.action = w.confidence = -1;
    w.detected = 1;
    CU_ASSERT_TRUE(bw_pol_test_matches(&w, &f));
    w.confidence = BW_CONF_LOW; /* at least */
    CU_ASSERT_TRUE(bw_pol_test_matches(&w, &f));
    w.confidence = BW_CONF_MEDIUM;
    CU_ASSERT_TRUE(bw_pol_test_matches(&w, &f));
    w.confidence = BW_CONF_HIGH;
    CU_ASSERT_FALSE(bw_pol_test_matches(&w, &f));
    w.confidence = -1;
    w.type = BW_CAT_INSULTS;
    CU_ASSERT_FALSE(bw_pol_test_matches(&w, &f));
    w.type = BW_CAT_HATE;
    w.action = BW_ACT_NONE;
    CU_ASSERT_FALSE(bw_pol_test_matches(&w, &f));
    w.action = BW_ACT_BLOCK;
    CU_ASSERT_TRUE(bw_pol_test_matches(&w, &f));
    w.detected = 0; /* only undetected findings */
    CU_ASSERT_FALSE(bw_pol_test_matches(&w, &f));
    w.detected = 1;
    w.policy = BW_POL_TOPIC;
    CU_ASSERT_FALSE(bw_pol_test_matches(&w, &f));

    /* names and matches compare exactly */
    memset(&f, 0, sizeof(f));
    f.policy = BW_POL_REGEX;
    f.name = "order_id";
    f.match = "ORD-1";
    f.detected = 1;
    f.action = BW_ACT_ANONYMIZE;
    w.policy = BW_POL_REGEX;
    w.type = w.action = -1;
    w.name = "order_id";
    CU_ASSERT_TRUE(bw_pol_test_matches(&w, &f));
    w.name = "Order_id";
    CU_ASSERT_FALSE(bw_pol_test_matches(&w, &f));
    w.name = NULL;
    w.match = "ORD-1";
    CU_ASSERT_TRUE(bw_pol_test_matches(&w, &f));
    w.match = "ord-1";
    CU_ASSERT_FALSE(bw_pol_test_matches(&w, &f));
    CU_ASSERT_STRING_EQUAL(bw_pol_test_found_str(&f, buf, sizeof(buf)), "regex \"order_id\" \"ORD-1\" ANONYMIZED");
    w.match = "ORD-1";
    w.action = BW_ACT_ANONYMIZE;
    CU_ASSERT_STRING_EQUAL(bw_pol_test_want_str(&w, buf, sizeof(buf)), "regex \"ORD-1\" ANONYMIZED");
    /* word sub-lists: CUSTOM is not PROFANITY */
    memset(&f, 0, sizeof(f));
    f.policy = BW_POL_WORD;
    f.sub = BW_WORD_MANAGED;
    f.type = BW_WL_PROFANITY;
    f.detected = 1;
    memset(&w, 0, sizeof(w));
    w.policy = BW_POL_WORD;
    w.type = w.action = w.confidence = -1;
    w.detected = 1;
    w.sub = BW_WORD_CUSTOM;
    CU_ASSERT_FALSE(bw_pol_test_matches(&w, &f));
    w.sub = BW_WORD_MANAGED;
    w.type = BW_WL_PROFANITY;
    CU_ASSERT_TRUE(bw_pol_test_matches(&w, &f));
    CU_ASSERT_STRING_EQUAL(bw_pol_test_want_str(&w, buf, sizeof(buf)), "word PROFANITY");
    /* a small buffer is cut, never overrun */
    CU_ASSERT_EQUAL(strlen(bw_pol_test_want_str(&w, buf, 5)), 4);
}

/* ------------------------------------------------------------------------ */
/* statistics */

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static void test_testrun_metrics(void)
{
    struct bw_pol_test_cm cm = {8, 2, 85, 5};
    struct bw_pol_test_metrics m;

    /* by hand: P = 8/10, R = 8/13, F1 = 2PR/(P+R) = 16/23, FPR = 2/87 */
    bw_pol_test_metrics(&cm, &m);
    CU_ASSERT(near(m.precision, 0.8));
    CU_ASSERT(near(m.recall, 8.0 / 13.0));
    CU_ASSERT(near(m.f1, 2 * 0.8 * (8.0 / 13.0) / (0.8 + 8.0 / 13.0)));
    CU_ASSERT(near(m.f1, 16.0 / 23.0));
    CU_ASSERT(near(m.fpr, 2.0 / 87.0));
    CU_ASSERT(near(bw_pol_test_metric(&m, BW_PT_RECALL), m.recall));

    /* nothing predicted, something missed: precision undefined, recall and F1 0 */
    cm = (struct bw_pol_test_cm){0, 0, 10, 3};
    bw_pol_test_metrics(&cm, &m);
    CU_ASSERT(isnan(m.precision));
    CU_ASSERT(near(m.recall, 0));
    CU_ASSERT(near(m.f1, 0));
    CU_ASSERT(near(m.fpr, 0));
    /* no positives at all: recall and F1 undefined */
    cm = (struct bw_pol_test_cm){0, 1, 9, 0};
    bw_pol_test_metrics(&cm, &m);
    CU_ASSERT(near(m.precision, 0));
    CU_ASSERT(isnan(m.recall));
    CU_ASSERT(near(m.f1, 0));
    cm = (struct bw_pol_test_cm){0, 0, 0, 0};
    bw_pol_test_metrics(&cm, &m);
    CU_ASSERT(isnan(m.precision) && isnan(m.recall) && isnan(m.f1) && isnan(m.fpr));
}

static void test_testrun_dataset_stats(void)
{
    static const int want[][3] = {
        /* policy, metric, passed; in the order they are checked */
        {BW_POL_WORD, BW_PT_PRECISION, 1}, {BW_POL_WORD, BW_PT_RECALL, 1},      {BW_POL_REGEX, BW_PT_PRECISION, 1},
        {BW_POL_REGEX, BW_PT_RECALL, 0},   {BW_POL_REGEX, BW_PT_FPR, 1},         {BW_POL_TEST_GUARDRAIL, BW_PT_PRECISION, 1},
        {BW_POL_TEST_GUARDRAIL, BW_PT_RECALL, 1}, {BW_POL_TEST_GUARDRAIL, BW_PT_F1, 1},
    };
    struct bw_pol_test_run r;
    const struct bw_pol_test_dataset *ds;
    size_t i;

    run_file(&r, DATA "/good.json", NULL);
    ds = &r.suites[0].datasets[0];
    CU_ASSERT_EQUAL(ds->nrows, 11); /* the blank line is no row */
    CU_ASSERT_EQUAL(ds->rows[7].line, 9);
    CU_ASSERT_EQUAL(ds->labelled, (1u << BW_POL_WORD) | (1u << BW_POL_REGEX) | (1u << BW_POL_TEST_GUARDRAIL));
    /* worked out by hand in tests/data/testrun/stats.jsonl */
    CU_ASSERT(ds->cm[BW_POL_WORD].tp == 4 && ds->cm[BW_POL_WORD].fp == 1 && ds->cm[BW_POL_WORD].tn == 4 &&
              ds->cm[BW_POL_WORD].fn == 1);
    CU_ASSERT(ds->cm[BW_POL_REGEX].tp == 2 && ds->cm[BW_POL_REGEX].fp == 0 && ds->cm[BW_POL_REGEX].tn == 2 &&
              ds->cm[BW_POL_REGEX].fn == 1);
    CU_ASSERT(ds->cm[BW_POL_TEST_GUARDRAIL].tp == 2 && ds->cm[BW_POL_TEST_GUARDRAIL].tn == 2 &&
              ds->cm[BW_POL_TEST_GUARDRAIL].fp == 0 && ds->cm[BW_POL_TEST_GUARDRAIL].fn == 0);
    /* the misclassified rows: "dang" missed, "DARN" labelled allow, "ORD-1" */
    CU_ASSERT_EQUAL(ds->nex[BW_POL_WORD][0], 1);
    CU_ASSERT_EQUAL(ds->rows[ds->ex[BW_POL_WORD][0][0]].line, 4);
    CU_ASSERT_EQUAL(ds->rows[ds->ex[BW_POL_WORD][1][0]].line, 9);
    CU_ASSERT_EQUAL(ds->rows[ds->ex[BW_POL_REGEX][0][0]].line, 12);
    /* dataset-wide thresholds apply to every labelled policy, per-policy ones add to them */
    CU_ASSERT_EQUAL_FATAL(ds->nchecks, BW_NELEMS(want));
    for (i = 0; i < ds->nchecks; i++) {
        CU_ASSERT_EQUAL(ds->checks[i].policy, want[i][0]);
        CU_ASSERT_EQUAL(ds->checks[i].metric, want[i][1]);
        CU_ASSERT_EQUAL(ds->checks[i].passed, want[i][2]);
    }
    CU_ASSERT(near(ds->checks[3].value, 2.0 / 3.0));
    CU_ASSERT(near(ds->checks[3].limit, 0.8));
    CU_ASSERT_EQUAL(r.checks, 8);
    CU_ASSERT_EQUAL(r.checks_failed, 1);
    CU_ASSERT_FALSE(bw_pol_test_ok(&r));
    CU_ASSERT_EQUAL(r.rows, 11);
    CU_ASSERT_EQUAL(r.cm[BW_POL_WORD].tp, 4);
    bw_pol_test_free(&r);
}

static void test_testrun_undefined_metric_fails(void)
{
    /* no row labelled block: recall is undefined and cannot meet a minimum */
    static const char suite[] = "{\"guardrail\": \"guardrail.json\", \"datasets\": [{\"path\": \"rows_allow.jsonl\", "
                                "\"policy\": \"word\", \"min_recall\": 0.5, \"max_fpr\": 0.5}]}";
    struct bw_pol_test_run r;
    struct bw_errs e;
    const struct bw_pol_test_dataset *ds;
    FILE *f = fopen(DATA "/rows_allow.jsonl", "rb");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(run_mem(&r, suite, &e), 0);
    ds = &r.suites[0].datasets[0];
    CU_ASSERT_EQUAL_FATAL(ds->nchecks, 2);
    CU_ASSERT(isnan(ds->checks[0].value));
    CU_ASSERT_FALSE(ds->checks[0].passed);
    CU_ASSERT_TRUE(ds->checks[1].passed);
    bw_errs_free(&e);
    bw_pol_test_free(&r);
}

/* ------------------------------------------------------------------------ */
/* reports */

/* Names and texts with every character a report format treats specially. */
static const char nasty[] =
    "{\"name\": \"<x> & \\\"y\\\" 'z' # ]]> \\u0001\\ttab\\nline\", \"guardrail\": \"guardrail.json\", \"cases\": ["
    "{\"name\": \"fail <b>bold</b> & # not a directive\\nsecond line\\u0007\", \"text\": \"<script>darn</script> "
    "\\u0002\\uFFFE\", \"expect\": {\"action\": \"NONE\"}},"
    "{\"name\": \"ok & fine\", \"text\": \"hello\", \"expect\": {\"action\": \"NONE\"}},"
    "{\"name\": \"skip # me\", \"skip\": \"reason # <x>\", \"text\": \"hello\", \"expect\": {\"action\": \"NONE\"}}"
    "], \"datasets\": [{\"name\": \"ds <1> & #\", \"path\": \"stats.jsonl\", \"policy\": \"word\", "
    "\"min_recall\": 0.9}]}";

static int has_ctl(const char *s, size_t n, int allow_nl)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(allow_nl && (c == '\n' || c == '\t'))) || c == 0x7f)
            return 1;
    }
    return 0;
}

static void test_testrun_xml_escape(void)
{
    struct bw_buf b;
    static const char in[] = "a<b>&\"c\" 'd'\x01\t\n\r\xef\xbf\xbe\xc3\xa9]]>";

    bw_buf_init(&b, 0);
    CU_ASSERT_EQUAL(bw_pol_test_xml_escape(&b, in, sizeof(in) - 1, 0), 0);
    CU_ASSERT_STRING_EQUAL(b.base, "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39;\\u0001\t\n&#13;\\ufffe\xc3\xa9]]&gt;");
    bw_buf_reset(&b);
    CU_ASSERT_EQUAL(bw_pol_test_xml_escape(&b, in, sizeof(in) - 1, 1), 0);
    CU_ASSERT_STRING_EQUAL(b.base, "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39;\\u0001&#9;&#10;&#13;\\ufffe\xc3\xa9]]&gt;");
    bw_buf_reset(&b);
    CU_ASSERT_EQUAL(bw_pol_test_tap_escape(&b, "a # b \\ c\nd\x01", 12), 0);
    CU_ASSERT_STRING_EQUAL(b.base, "a \\# b \\\\ c\\u000ad\\u0001");
    bw_buf_free(&b);
}

static void test_testrun_junit(void)
{
    struct bw_pol_test_run r;
    struct bw_errs e;
    struct bw_buf b;

    CU_ASSERT_EQUAL_FATAL(run_mem(&r, nasty, &e), 0);
    bw_buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_report_junit(&r, &b), 0);
    CU_ASSERT_FALSE(has_ctl(b.base, b.len, 1));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"bulwark test\" "
                                          "tests=\"6\" failures=\"3\" errors=\"0\" skipped=\"1\""));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(b.base, "<testsuite name=\"&lt;x&gt; &amp; &quot;y&quot; &#39;z&#39; # ]]&gt; \\u0001&#9;tab&#10;line\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "name=\"fail &lt;b&gt;bold&lt;/b&gt; &amp; # not a directive&#10;second "
                                          "line\\u0007\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<failure type=\"expectation\" message=\"action: expected NONE, got "
                                          "BLOCKED\">"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "text: &lt;script&gt;darn&lt;/script&gt; \\u0002\\ufffe\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<skipped message=\"reason # &lt;x&gt;\"/>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "name=\"ds &lt;1&gt; &amp; #: word recall &gt;= 0.900\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<failure type=\"threshold\" message=\"word recall 0.800 &gt;= 0.900\">"));
    CU_ASSERT_PTR_NULL(strstr(b.base, "<b>"));
    CU_ASSERT_PTR_NULL(strstr(b.base, "<script>"));
    bw_buf_free(&b);
    bw_errs_free(&e);
    bw_pol_test_free(&r);
}

static void test_testrun_tap(void)
{
    struct bw_pol_test_run r;
    struct bw_errs e;
    struct bw_buf b;
    const char *p;
    int points = 0, not_ok = 0;

    CU_ASSERT_EQUAL_FATAL(run_mem(&r, nasty, &e), 0);
    bw_buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_report_tap(&r, &b), 0);
    CU_ASSERT_FALSE(has_ctl(b.base, b.len, 1));
    CU_ASSERT_EQUAL(strncmp(b.base, "TAP version 13\n1..6\n", 20), 0);
    for (p = b.base; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, "ok ", 3) == 0)
            points++;
        if (strncmp(p, "not ok ", 7) == 0) {
            points++;
            not_ok++;
        }
    }
    /* 3 cases, and the dataset's min_recall checked for each policy it labels */
    CU_ASSERT_EQUAL(points, 6);
    CU_ASSERT_EQUAL(not_ok, 3);
    /* one line per test point, '#' escaped but in the SKIP directive */
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "\nnot ok 1 - <x> & \"y\" 'z' \\# ]]> \\u0001\\u0009tab\\u000aline: fail <b>bold</b> "
                                          "& \\# not a directive\\u000asecond line\\u0007\n  ---\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "\n  failures:\n    - \"action: expected NONE, got BLOCKED\"\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "\n  findings:\n    - \"word CUSTOM \\\"darn\\\" BLOCKED\"\n  ...\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, ": skip \\# me # SKIP reason \\# <x>\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "\nnot ok 4 - "));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, ": ds <1> & \\# word recall 0.800 >= 0.900\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, ": ds <1> & \\# regex recall 0.667 >= 0.900\nok 6 - "));
    bw_buf_free(&b);
    bw_errs_free(&e);
    bw_pol_test_free(&r);
}

static void test_testrun_html(void)
{
    static const char *const external[] = {"src=", "href=", "url(", "@import", "http:", "https:", "<link", "<iframe",
                                           "<img", "<object", "<embed"};
    struct bw_pol_test_run r;
    struct bw_errs e;
    struct bw_buf b;
    size_t i;

    CU_ASSERT_EQUAL_FATAL(run_mem(&r, nasty, &e), 0);
    bw_buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_report_html(&r, &b), 0);
    for (i = 0; i < BW_NELEMS(external); i++)
        if (strstr(b.base, external[i])) {
            fprintf(stderr, "\nHTML report contains %s\n", external[i]);
            CU_FAIL("external reference in the HTML report");
        }
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "Content-Security-Policy\" content=\"default-src 'none';"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<svg id=\"latency-histogram\" data-total=\"13\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<b id=\"n-cases\">3</b>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<b id=\"n-failed\">1</b>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<table class=\"cm\" id=\"cm-0-word\">"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<td class=\"tp\" title=\"true positives\">4</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "&lt;script&gt;darn&lt;/script&gt;"));
    /* the one script is ours, at the end */
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "<script>(function(){"));
    CU_ASSERT_PTR_NULL(strstr(strstr(b.base, "<script>") + 1, "<script>"));
    CU_ASSERT_PTR_NULL(strstr(b.base, "<script>darn"));
    CU_ASSERT_PTR_NULL(strstr(b.base, "<b>bold"));
    bw_buf_free(&b);
    bw_errs_free(&e);
    bw_pol_test_free(&r);
}

static void test_testrun_json_and_text(void)
{
    struct bw_pol_test_run r;
    struct bw_errs e;
    struct bw_buf b;
    cJSON *j, *s;

    CU_ASSERT_EQUAL_FATAL(run_mem(&r, nasty, &e), 0);
    bw_buf_init(&b, 0);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_report_json(&r, &b), 0);
    j = cJSON_Parse(b.base);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    s = cJSON_GetObjectItem(j, "summary");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(s, "cases")->valueint, 3);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(s, "failed")->valueint, 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(s, "thresholds_failed")->valueint, 2);
    CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
    s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "suites"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(s, "name")->valuestring, "<x> & \"y\" 'z' # ]]> \x01\ttab\nline");
    s = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "cases"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(s, "status")->valuestring, "fail");
    CU_ASSERT_STRING_EQUAL(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "actual"), "findings"), 0),
                            "match")
            ->valuestring,
        "darn");
    cJSON_Delete(j);

    bw_buf_reset(&b);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_report_text(&r, 0, &b), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "      expected  NONE\n      actual    BLOCKED\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "      findings  word CUSTOM \"darn\" BLOCKED\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "1 suite, 3 cases: 1 passed, 1 failed, 1 skipped, 0 errors; 1 dataset (11 "
                                          "rows), thresholds: 1 of 3 met\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "\nFAIL\n"));
    CU_ASSERT_PTR_NULL(strstr(b.base, "ok & fine")); /* passing cases only with verbose */
    bw_buf_reset(&b);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_report_text(&r, 1, &b), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.base, "ok & fine"));
    /* a cap on the buffer is BW_ELIMIT, not an overrun */
    bw_buf_free(&b);
    bw_buf_init(&b, 100);
    CU_ASSERT_EQUAL(bw_pol_test_report_html(&r, &b), BW_ELIMIT);
    CU_ASSERT(b.len <= 100);
    bw_buf_free(&b);
    bw_errs_free(&e);
    bw_pol_test_free(&r);
}

/* ------------------------------------------------------------------------ */
/* allocation failure */

#if FAILMALLOC
typedef int (*render_fn)(const struct bw_pol_test_run *, struct bw_buf *);

static int render_text(const struct bw_pol_test_run *r, struct bw_buf *b)
{
    return bw_pol_test_report_text(r, 1, b);
}
#endif

/*
 * Fails each allocation in turn, in loading, in running and in each
 * renderer: every outcome is the right result or BW_ENOMEM, never a crash,
 * a wrong verdict or a leak.
 */
/* the classifier lexicons take a compile per loop turn: this guardrail has none */
#define FAST_GUARDRAIL DATA "/guardrail_fast.json"

static void test_testrun_alloc_failure(void)
{
#if FAILMALLOC
    static const render_fn renders[] = {render_text, bw_pol_test_report_junit, bw_pol_test_report_tap,
                                        bw_pol_test_report_json, bw_pol_test_report_html};
    struct bw_pol_test_run r, ref;
    struct bw_errs e;
    struct bw_buf b, want;
    long n, before;
    size_t k;
    int rv;

    /* the reference run */
    bw_errs_init(&e, NULL);
    bw_pol_test_init(&ref);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_load(&ref, DATA "/good.json", FAST_GUARDRAIL, &e), 0);
    CU_ASSERT_EQUAL_FATAL(bw_pol_test_exec(&ref, &e), 0);
    bw_errs_free(&e);

    for (n = 0;; n++) { /* loading */
        before = fm_live;
        fm_failed = 0;
        bw_pol_test_init(&r);
        bw_errs_init(&e, NULL);
        fm_countdown = n;
        rv = bw_pol_test_load(&r, DATA "/good.json", FAST_GUARDRAIL, &e);
        fm_countdown = -1;
        CU_ASSERT(rv == BW_OK || rv == BW_ENOMEM);
        CU_ASSERT_EQUAL(r.nsuites, rv == BW_OK);
        bw_pol_test_free(&r);
        bw_errs_free(&e);
        CU_ASSERT_EQUAL(fm_live, before);
        if (fm_live != before || rv == BW_ECONFIG) {
            fprintf(stderr, "\nload: rv %d, leak %ld when allocation %ld fails\n", rv, fm_live - before, n);
            break;
        }
        if (fm_failed == 0)
            break;
    }
    CU_ASSERT(n > 20);

    for (n = 0;; n++) { /* running */
        before = fm_live;
        bw_pol_test_init(&r);
        bw_errs_init(&e, NULL);
        CU_ASSERT_EQUAL_FATAL(bw_pol_test_load(&r, DATA "/good.json", FAST_GUARDRAIL, &e), 0);
        fm_failed = 0;
        fm_countdown = n;
        rv = bw_pol_test_exec(&r, &e);
        fm_countdown = -1;
        CU_ASSERT(rv == BW_OK || rv == BW_ENOMEM);
        if (rv == BW_OK) /* a recovered failure must not change a verdict */
            CU_ASSERT(r.passed == ref.passed && r.failed == ref.failed && r.errors == 0 &&
                      r.checks_failed == ref.checks_failed);
        bw_pol_test_free(&r);
        bw_errs_free(&e);
        CU_ASSERT_EQUAL(fm_live, before);
        if (fm_live != before) {
            fprintf(stderr, "\nexec: rv %d, leak %ld when allocation %ld fails\n", rv, fm_live - before, n);
            break;
        }
        if (fm_failed == 0)
            break;
    }
    CU_ASSERT(n > 20);

    for (k = 0; k < BW_NELEMS(renders); k++) { /* rendering */
        bw_buf_init(&want, 0);
        CU_ASSERT_EQUAL_FATAL(renders[k](&ref, &want), 0);
        for (n = 0;; n++) {
            bw_buf_init(&b, 0);
            before = fm_live;
            fm_failed = 0;
            fm_countdown = n;
            rv = renders[k](&ref, &b);
            fm_countdown = -1;
            CU_ASSERT(rv == BW_OK || rv == BW_ENOMEM);
            /* the same document, but for times of day the renderer reads */
            if (rv == BW_OK)
                CU_ASSERT_EQUAL(b.len, want.len);
            bw_buf_free(&b);
            CU_ASSERT_EQUAL(fm_live, before);
            if (fm_live != before) {
                fprintf(stderr, "\nrenderer %zu: leak when allocation %ld fails\n", k, n);
                break;
            }
            if (fm_failed == 0)
                break;
        }
        bw_buf_free(&want);
    }
    bw_pol_test_free(&ref);
#endif
}

static const struct bw_test tests[] = {
    {"test_testrun_golden_errors", test_testrun_golden_errors},
    {"test_testrun_guardrail_read_once", test_testrun_guardrail_read_once},
    {"test_testrun_guardrail_override", test_testrun_guardrail_override},
    {"test_testrun_good_suite", test_testrun_good_suite},
    {"test_testrun_failure_messages", test_testrun_failure_messages},
    {"test_testrun_matching", test_testrun_matching},
    {"test_testrun_metrics", test_testrun_metrics},
    {"test_testrun_dataset_stats", test_testrun_dataset_stats},
    {"test_testrun_undefined_metric_fails", test_testrun_undefined_metric_fails},
    {"test_testrun_xml_escape", test_testrun_xml_escape},
    {"test_testrun_junit", test_testrun_junit},
    {"test_testrun_tap", test_testrun_tap},
    {"test_testrun_html", test_testrun_html},
    {"test_testrun_json_and_text", test_testrun_json_and_text},
    {"test_testrun_alloc_failure", test_testrun_alloc_failure},
};

BW_TEST_MAIN("testrun", tests)
