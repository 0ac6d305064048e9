/*
 * testrun.c: the policy test runner's engine (see testrun.h): loads suite
 * files strictly, loads the guardrails and datasets they name, runs every
 * case and row through bw_apply() and keeps verdicts and statistics.
 *
 * Validation is as strict as for guardrail files, and for the same reason:
 * a test that silently checks nothing is worse than no test. A misspelt key
 * would drop an expectation, a misspelt entity type or topic name would make
 * a "must not appear" expectation pass forever; so unknown keys, wrong
 * types, unknown enum values and names the guardrail does not configure are
 * all errors, each reported with the suite file and its JSON path, and the
 * run does not start (exit 2).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/limits.h"
#include "filters/text.h"
#include "policies/json.h"
#include "policies/testrun.h"

/* Dataset files are read whole; larger than a guardrail file may be. */
#define MAX_DATASET_BYTES (256u * 1024 * 1024)
/* Longest text quoted in a failure message (the full text is in the case). */
#define QUOTE_MAX 2000

/*
 * A guardrail file of the run. Suites are validated against its
 * configuration alone; it is compiled only when everything validated, so
 * a broken suite is reported at once, not after seconds of compiling.
 */
struct bw_pol_test_gr {
    char *path;
    struct bw_gconf *conf;  /* until compiled; NULL when it failed to load */
    struct bw_guardrail *g; /* once compiled */
    int failed;
};

/* ------------------------------------------------------------------------ */
/* names */

static const char *const pol_names[BW_POL_TEST_NPOL] = {
    [BW_POL_TOPIC] = "topic", [BW_POL_CONTENT] = "content", [BW_POL_WORD] = "word",
    [BW_POL_PII] = "pii",     [BW_POL_REGEX] = "regex",     [BW_POL_GROUNDING] = "grounding",
    [BW_POL_TEST_GUARDRAIL] = "guardrail",
};
static const char *const verdict_names[] = {[BW_PT_NONE] = "NONE",
                                            [BW_PT_BLOCKED] = "BLOCKED",
                                            [BW_PT_MASKED] = "MASKED",
                                            [BW_PT_INTERVENED] = "GUARDRAIL_INTERVENED"};
static const char *const status_names[] = {"pass", "fail", "skip", "error"};
static const char *const metric_names[] = {"precision", "recall", "f1", "fpr"};
static const char *const thr_keys[] = {"min_precision", "min_recall", "min_f1", "max_fpr"};
static const char *const dir_names[] = {"INPUT", "OUTPUT"};
/* expectation spellings: GUARDRAIL_INTERVENED is Bedrock's; BLOCKED and MASKED say which */
static const char *const want_verdicts[] = {"NONE", "GUARDRAIL_INTERVENED", "BLOCKED", "MASKED"};
static const int want_verdict_map[] = {BW_PT_NONE, BW_PT_INTERVENED, BW_PT_BLOCKED, BW_PT_MASKED};
static const char *const act_names[] = {"NONE", "BLOCKED", "ANONYMIZED"};
static const int act_map[] = {BW_ACT_NONE, BW_ACT_BLOCK, BW_ACT_ANONYMIZE};
static const char *const conf_names[] = {"NONE", "LOW", "MEDIUM", "HIGH"};
static const char *const ground_names[] = {"GROUNDING", "RELEVANCE"};
static const char *const label_names[] = {"allow", "block"};
static const char *const predict_names[] = {"intervened", "detected"};
static const char *const qual_names[] = {"grounding_source", "query", "guard_content"};
static const unsigned qual_bits[] = {BW_QUAL_GROUNDING, BW_QUAL_QUERY, BW_QUAL_GUARD};
static const char *const roles[] = {"system", "developer", "user", "assistant", "tool", "function"};
static const char *const part_types[] = {"text", "image_url", "input_audio", "file", "refusal"};

static const char *const suite_keys[] = {"guardrail", "name", "description", "source", "cases", "datasets"};
static const char *const case_keys[] = {"name",     "description", "source", "text", "content", "messages",
                                        "grounding_source", "query", "expect", "skip"};
static const char *const expect_keys[] = {"action", "findings", "not_findings", "output", "outputs"};
static const char *const want_keys[] = {"policy", "type", "name", "match", "action", "confidence", "detected"};
static const char *const ds_keys[] = {"name",       "path",       "source",        "policy",   "predicted",
                                      "min_precision", "min_recall", "min_f1", "max_fpr", "thresholds"};
static const char *const row_keys[] = {"id", "text", "label", "labels", "grounding_source", "query", "meta"};

const char *bw_pol_test_policy_name(int p)
{
    return p >= 0 && p < BW_POL_TEST_NPOL ? pol_names[p] : "?";
}

const char *bw_pol_test_verdict_name(int v)
{
    return v >= 0 && v <= BW_PT_INTERVENED ? verdict_names[v] : "?";
}

const char *bw_pol_test_status_name(int st)
{
    return st >= 0 && st <= BW_PT_ERROR ? status_names[st] : "?";
}

const char *bw_pol_test_metric_name(int m)
{
    return m >= 0 && m < BW_PT__NMETRIC ? metric_names[m] : "?";
}

/* ------------------------------------------------------------------------ */
/* statistics */

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : NAN;
}

void bw_pol_test_metrics(const struct bw_pol_test_cm *cm, struct bw_pol_test_metrics *m)
{
    m->precision = ratio(cm->tp, cm->tp + cm->fp);
    m->recall = ratio(cm->tp, cm->tp + cm->fn);
    /* 2TP/(2TP+FP+FN) is 2PR/(P+R) where both exist, and 0 (not undefined)
     * when nothing was predicted but something should have been */
    m->f1 = ratio(2 * cm->tp, 2 * cm->tp + cm->fp + cm->fn);
    m->fpr = ratio(cm->fp, cm->fp + cm->tn);
}

double bw_pol_test_metric(const struct bw_pol_test_metrics *mx, int m)
{
    switch (m) {
    case BW_PT_PRECISION:
        return mx->precision;
    case BW_PT_RECALL:
        return mx->recall;
    case BW_PT_F1:
        return mx->f1;
    case BW_PT_FPR:
        return mx->fpr;
    }
    return NAN;
}

/* ------------------------------------------------------------------------ */
/* expectations */

int bw_pol_test_matches(const struct bw_pol_test_want *w, const struct bw_pol_test_found *f)
{
    if (f->policy != w->policy || (int)f->detected != w->detected)
        return 0;
    if (w->sub >= 0 && f->sub != w->sub)
        return 0;
    if (w->type >= 0 && f->type != w->type)
        return 0;
    if (w->name && (f->name == NULL || strcmp(w->name, f->name) != 0))
        return 0;
    if (w->match && (f->match == NULL || strcmp(w->match, f->match) != 0))
        return 0;
    if (w->action >= 0 && f->action != w->action)
        return 0;
    if (w->confidence >= 0 && f->confidence < w->confidence)
        return 0;
    return 1;
}

static const char *act_name(int a)
{
    return a == BW_ACT_BLOCK ? "BLOCKED" : a == BW_ACT_ANONYMIZE ? "ANONYMIZED" : "NONE";
}

/* The name of a finding's type for its policy, or NULL. */
static const char *type_name(int policy, int sub, int type)
{
    switch (policy) {
    case BW_POL_CONTENT:
        return bw_cat_name(type);
    case BW_POL_WORD:
        return sub == BW_WORD_CUSTOM ? "CUSTOM" : bw_wordlist_name(type);
    case BW_POL_PII:
        return bw_pii_name(type);
    case BW_POL_GROUNDING:
        return type >= 0 && type < BW_GROUND__N ? ground_names[type] : NULL;
    }
    return NULL;
}

/* Appends to dst (at *w, size n) like snprintf, never past the end. */
static void cat(char *dst, size_t n, size_t *w, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void cat(char *dst, size_t n, size_t *w, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (*w + 1 >= n)
        return;
    va_start(ap, fmt);
    k = vsnprintf(dst + *w, n - *w, fmt, ap);
    va_end(ap);
    if (k > 0)
        *w = (size_t)k >= n - *w ? n - 1 : *w + (size_t)k;
}

char *bw_pol_test_want_str(const struct bw_pol_test_want *x, char *dst, size_t n)
{
    const char *tn = x->sub >= 0 || x->type >= 0 ? type_name(x->policy, x->sub, x->type) : NULL;
    char q[256];
    size_t w = 0;

    if (n == 0)
        return dst;
    dst[0] = '\0';
    cat(dst, n, &w, "%s", bw_pol_test_policy_name(x->policy));
    if (tn)
        cat(dst, n, &w, " %s", tn);
    if (x->name)
        cat(dst, n, &w, " %s", bw_jv_quote(q, sizeof(q), x->name));
    if (x->match)
        cat(dst, n, &w, " %s", bw_jv_quote(q, sizeof(q), x->match));
    if (x->confidence >= 0)
        cat(dst, n, &w, " confidence>=%s", conf_names[x->confidence]);
    if (x->action >= 0)
        cat(dst, n, &w, " %s", act_name(x->action));
    if (!x->detected)
        cat(dst, n, &w, " (not detected)");
    return dst;
}

char *bw_pol_test_found_str(const struct bw_pol_test_found *f, char *dst, size_t n)
{
    const char *tn = type_name(f->policy, f->sub, f->type);
    char q[256];
    size_t w = 0;

    if (n == 0)
        return dst;
    dst[0] = '\0';
    cat(dst, n, &w, "%s", bw_pol_test_policy_name(f->policy));
    if (tn)
        cat(dst, n, &w, " %s", tn);
    if (f->name)
        cat(dst, n, &w, " %s", bw_jv_quote(q, sizeof(q), f->name));
    if (f->match)
        cat(dst, n, &w, " %s", bw_jv_quote(q, sizeof(q), f->match));
    if (f->policy == BW_POL_CONTENT)
        cat(dst, n, &w, " confidence %s", conf_names[f->confidence & 3]);
    if (f->policy == BW_POL_GROUNDING)
        cat(dst, n, &w, " score %.2f (threshold %.2f)", (double)f->score, (double)f->threshold);
    cat(dst, n, &w, " %s", act_name(f->action));
    if (!f->detected)
        cat(dst, n, &w, " (not detected)");
    return dst;
}

/* ------------------------------------------------------------------------ */
/* loading */

struct ld {
    struct bw_pol_test_run *r;
    struct bw_pol_test_suite *s;
    struct bw_jv v;
    const char *dir;              /* relative paths start here */
    const struct bw_gconf *gc;    /* NULL when the guardrail did not load: name checks are skipped */
    int dir_default;              /* the suite's "source" */
    int nomem, limit;
};

#define V (&l->v)

static void *alloc(struct ld *l, size_t n)
{
    void *p = bw_arena_calloc(&l->r->arena, n ? n : 1);

    if (p == NULL)
        l->nomem = 1;
    return p;
}

static const char *sdup(struct ld *l, const char *s, size_t n)
{
    char *p = bw_arena_strndup(&l->r->arena, s, n);

    if (p == NULL) {
        l->nomem = 1;
        return "";
    }
    return p;
}

static const char *sdupz(struct ld *l, const char *s)
{
    return sdup(l, s, strlen(s));
}

static size_t count(const cJSON *arr)
{
    const cJSON *c;
    size_t n = 0;

    for (c = arr ? arr->child : NULL; c; c = c->next)
        n++;
    return n;
}

/* Adds a message to errs without its FILE prefix (it names its own file). */
static void raw_err(struct bw_errs *errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void raw_err(struct bw_errs *errs, const char *fmt, ...)
{
    const char *file = errs->file;
    char m[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(m, sizeof(m), fmt, ap);
    va_end(ap);
    errs->file = NULL;
    bw_errs_addraw(errs, "%s", m);
    errs->file = file;
}

/* rel as seen from the suite's directory. */
static const char *resolve(struct ld *l, const char *rel)
{
    struct bw_buf b;
    const char *p;

    if (rel[0] == '/' || l->dir == NULL || l->dir[0] == '\0' || strcmp(l->dir, ".") == 0)
        return sdupz(l, rel);
    bw_buf_init(&b, 0);
    if (bw_buf_printf(&b, "%s/%s", l->dir, rel) != 0) {
        bw_buf_free(&b);
        l->nomem = 1;
        return "";
    }
    p = sdup(l, b.base, b.len);
    bw_buf_free(&b);
    return p;
}

/* The guardrail file at path, read once per run (errors reported once); NULL when out of memory. */
static struct bw_pol_test_gr *guardrail(struct ld *l, const char *path, int *again)
{
    struct bw_pol_test_run *r = l->r;
    struct bw_pol_test_gr **ng, *gr;
    struct bw_errs ge;
    size_t i;
    int rv;

    *again = 0;
    for (i = 0; i < r->ngrs; i++)
        if (strcmp(r->grs[i]->path, path) == 0) {
            *again = 1;
            return r->grs[i];
        }
    if ((ng = realloc(r->grs, (r->ngrs + 1) * sizeof(*ng))) == NULL) {
        l->nomem = 1;
        return NULL;
    }
    r->grs = ng;
    if ((gr = calloc(1, sizeof(*gr))) == NULL || (gr->path = strdup(path)) == NULL) {
        free(gr);
        l->nomem = 1;
        return NULL;
    }
    r->grs[r->ngrs++] = gr;
    /* its messages name the guardrail file, not the suite */
    bw_errs_init(&ge, path);
    rv = bw_gconf_load_file(path, &gr->conf, &ge);
    if (rv != 0) {
        if (rv == BW_ENOMEM)
            l->nomem = 1;
        else if (ge.n == 0)
            bw_errs_add(&ge, NULL, "%s", bw_strerror(rv));
        gr->conf = NULL;
        gr->failed = 1;
    }
    for (i = 0; i < ge.n; i++)
        raw_err(V->errs, "%s", ge.msg[i]);
    bw_errs_free(&ge);
    return gr;
}

/* An optional "source" at obj; def when absent or invalid. */
static int source(struct ld *l, const cJSON *obj, int def)
{
    int d = def;

    bw_jv_enum(V, obj, "source", 0, "source", dir_names, 2, &d);
    return d;
}

/* ---- what the guardrail configures (for name checks) ---- */

static int has_policy(const struct bw_gconf *c, int p)
{
    switch (p) {
    case BW_POL_TOPIC:
        return c->has_topics && c->topics.n;
    case BW_POL_CONTENT:
        return c->has_content && c->content.n;
    case BW_POL_WORD:
        return c->has_words && (c->words.nwords || c->words.nmanaged);
    case BW_POL_PII:
        return c->has_pii && c->pii.n;
    case BW_POL_REGEX:
        return c->has_regex && c->regex.n;
    case BW_POL_GROUNDING:
        return c->has_grounding && c->grounding.n;
    case BW_POL_TEST_GUARDRAIL:
        return 1;
    }
    return 0;
}

static const char *const pol_long[BW_POL__N] = {
    [BW_POL_TOPIC] = "denied topics",
    [BW_POL_CONTENT] = "content filters",
    [BW_POL_WORD] = "word filters",
    [BW_POL_PII] = "PII entities",
    [BW_POL_REGEX] = "regexes",
    [BW_POL_GROUNDING] = "contextual grounding filters",
};

/* Is type (with sub for words) configured in c for policy p? */
static int configured(const struct bw_gconf *c, int p, int sub, int type)
{
    size_t i;

    switch (p) {
    case BW_POL_CONTENT:
        for (i = 0; i < c->content.n; i++)
            if (c->content.items[i].type == type)
                return 1;
        return 0;
    case BW_POL_WORD:
        if (sub == BW_WORD_CUSTOM)
            return c->words.nwords > 0;
        for (i = 0; i < c->words.nmanaged; i++)
            if (c->words.managed[i].type == type)
                return 1;
        return 0;
    case BW_POL_PII:
        for (i = 0; i < c->pii.n; i++)
            if (c->pii.items[i].type == type)
                return 1;
        return 0;
    case BW_POL_GROUNDING:
        for (i = 0; i < c->grounding.n; i++)
            if (c->grounding.items[i].type == type)
                return 1;
        return 0;
    }
    return 1;
}

/* Checks that name is a configured topic (p topic) or regex (p regex) name. */
static void check_name(struct ld *l, int p, const char *name)
{
    const struct bw_gconf *c = l->gc;
    const char **names;
    const char *hint;
    size_t n = p == BW_POL_TOPIC ? c->topics.n : c->regex.n, i;
    char q[256];

    if ((names = calloc(n ? n : 1, sizeof(*names))) == NULL) {
        l->nomem = 1;
        return;
    }
    for (i = 0; i < n; i++) {
        names[i] = p == BW_POL_TOPIC ? c->topics.items[i].name : c->regex.items[i].name;
        if (strcmp(names[i], name) == 0)
            break;
    }
    if (i == n) {
        hint = bw_json_suggest(name, names, n);
        bw_jv_err(V, "no %s named %s in the guardrail%s%s%s", p == BW_POL_TOPIC ? "topic" : "regex",
                  bw_jv_quote(q, sizeof(q), name), hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
    }
    free(names);
}

/* ---- finding expectations ---- */

static void want_one(struct ld *l, const cJSON *j, struct bw_pol_test_want *w)
{
    const struct bw_gconf *c = l->gc;
    const char *tname = NULL, *s;
    size_t mark;
    int p = -1, x, type_ok;

    memset(w, 0, sizeof(*w));
    w->policy = w->sub = w->type = w->action = w->confidence = -1;
    w->detected = 1;
    w->path = sdupz(l, V->path);
    if (!bw_jv_is_object(V, j))
        return;
    bw_jv_keys(V, j, want_keys, BW_NELEMS(want_keys));
    if (bw_jv_enum(V, j, "policy", 1, "policy", pol_names, BW_POL__N, &p) != 1)
        p = -1;
    w->policy = p;
    if (p >= 0 && c && !has_policy(c, p)) {
        mark = bw_jv_key(V, "policy");
        bw_jv_err(V, "the guardrail configures no %s", pol_long[p]);
        bw_jv_pop(V, mark);
        c = NULL; /* nothing more to check against */
    }
    type_ok = bw_jv_string(V, j, "type", 0, 1, 200, &tname) == 1;
    if (type_ok && p >= 0) {
        mark = bw_jv_key(V, "type");
        switch (p) {
        case BW_POL_TOPIC:
        case BW_POL_REGEX:
            bw_jv_err(V, "%s expectations have no type (use \"name\")", pol_names[p]);
            break;
        case BW_POL_CONTENT: {
            const char *cn[BW_CAT__N];
            for (x = 0; x < BW_CAT__N; x++)
                cn[x] = bw_cat_name(x);
            bw_jv_enum_val(V, bw_json_member(j, "type"), "content filter type", cn, BW_CAT__N, &w->type);
            break;
        }
        case BW_POL_GROUNDING:
            bw_jv_enum_val(V, bw_json_member(j, "type"), "grounding filter type", ground_names, 2, &w->type);
            break;
        case BW_POL_PII: {
            const char *pn[BW_PII__N];
            for (x = 0; x < BW_PII__N; x++)
                pn[x] = bw_pii_name(x);
            bw_jv_enum_val(V, bw_json_member(j, "type"), "PII entity type", pn, BW_PII__N, &w->type);
            break;
        }
        case BW_POL_WORD: {
            const char *wn[1 + BW_WL__N];
            wn[0] = "CUSTOM";
            for (x = 0; x < BW_WL__N; x++)
                wn[1 + x] = bw_wordlist_name(x);
            if (bw_jv_enum_val(V, bw_json_member(j, "type"), "word list (CUSTOM or a managed list)", wn,
                               1 + BW_WL__N, &x) == 1) {
                w->sub = x == 0 ? BW_WORD_CUSTOM : BW_WORD_MANAGED;
                w->type = x == 0 ? -1 : x - 1;
            }
            break;
        }
        }
        if ((w->type >= 0 || w->sub >= 0) && c && !configured(c, p, w->sub, w->type))
            bw_jv_err(V, "the guardrail does not configure %s %s", pol_names[p], tname);
        bw_jv_pop(V, mark);
    }
    if (bw_jv_string(V, j, "name", 0, 1, 1000, &s) == 1) {
        w->name = sdupz(l, s);
        mark = bw_jv_key(V, "name");
        if (p >= 0 && p != BW_POL_TOPIC && p != BW_POL_REGEX)
            bw_jv_err(V, "only topic and regex expectations have a name (use \"type\")");
        else if (p >= 0 && c)
            check_name(l, p, s);
        bw_jv_pop(V, mark);
    }
    if (bw_jv_string(V, j, "match", 0, 1, BW_MAX_TEXT_BYTES, &s) == 1) {
        w->match = sdupz(l, s);
        if (p >= 0 && p != BW_POL_WORD && p != BW_POL_PII && p != BW_POL_REGEX) {
            mark = bw_jv_key(V, "match");
            bw_jv_err(V, "only word, pii and regex findings have a match");
            bw_jv_pop(V, mark);
        }
    }
    if (bw_jv_enum(V, j, "action", 0, "action", act_names, BW_NELEMS(act_names), &x) == 1) {
        w->action = act_map[x];
        if (w->action == BW_ACT_ANONYMIZE && p >= 0 && p != BW_POL_PII && p != BW_POL_REGEX) {
            mark = bw_jv_key(V, "action");
            bw_jv_err(V, "only pii and regex findings can be ANONYMIZED");
            bw_jv_pop(V, mark);
        }
    }
    if (bw_jv_enum(V, j, "confidence", 0, "confidence", conf_names, 4, &x) == 1) {
        w->confidence = x;
        if (p >= 0 && p != BW_POL_CONTENT) {
            mark = bw_jv_key(V, "confidence");
            bw_jv_err(V, "only content filter findings have a confidence");
            bw_jv_pop(V, mark);
        }
    }
    bw_jv_bool(V, j, "detected", 0, &w->detected);
}

/* Reads an array of finding expectations at key into *out. */
static void wants(struct ld *l, const cJSON *expect, const char *key, struct bw_pol_test_want **out, size_t *n)
{
    const cJSON *arr = NULL, *it;
    size_t mark, m, i = 0;

    *out = NULL;
    *n = 0;
    if (bw_jv_array(V, expect, key, 0, 1, BW_POL_TEST_MAX_EXPECT, &arr) == 0 || !cJSON_IsArray(arr))
        return;
    if ((*out = alloc(l, count(arr) * sizeof(**out))) == NULL)
        return;
    mark = bw_jv_key(V, key);
    for (it = arr->child; it && i < BW_POL_TEST_MAX_EXPECT; it = it->next, i++) {
        m = bw_jv_index(V, i);
        want_one(l, it, &(*out)[i]);
        bw_jv_pop(V, m);
    }
    *n = i;
    bw_jv_pop(V, mark);
}

/* ---- case text: text, content blocks, chat messages ---- */

/* ApplyGuardrail content blocks into blk (room for count(arr)); returns how many text blocks. */
static size_t content_blocks(struct ld *l, const cJSON *arr, struct bw_block *blk, unsigned *nimages)
{
    static const char *const block_keys[] = {"text", "image"};
    static const char *const text_keys[] = {"text", "qualifiers"};
    static const char *const image_keys[] = {"format", "source"};
    static const char *const formats[] = {"png", "jpeg"};
    const cJSON *it, *t, *q;
    size_t i = 0, n = 0, mark, m2;
    const char *s;
    int x;

    for (it = arr->child; it; it = it->next, i++) {
        mark = bw_jv_index(V, i);
        if (!bw_jv_is_object(V, it)) {
            bw_jv_pop(V, mark);
            continue;
        }
        bw_jv_keys(V, it, block_keys, 2);
        if (count(it) != 1 || (!bw_json_member(it, "text") && !bw_json_member(it, "image"))) {
            bw_jv_err(V, "a content block has exactly one of text, image");
        } else if (bw_jv_object(V, it, "image", 0, &t) == 1) {
            const cJSON *src = NULL;
            m2 = bw_jv_key(V, "image");
            bw_jv_keys(V, t, image_keys, 2);
            bw_jv_enum(V, t, "format", 1, "image format", formats, 2, &x);
            if (bw_jv_object(V, t, "source", 1, &src) == 1) {
                size_t m3 = bw_jv_key(V, "source");
                bw_jv_keys(V, src, (const char *const[]){"bytes"}, 1);
                bw_jv_string(V, src, "bytes", 1, 1, BW_MAX_TEXT_BYTES, &s);
                bw_jv_pop(V, m3);
            }
            bw_jv_pop(V, m2);
            (*nimages)++;
        } else if (bw_jv_object(V, it, "text", 0, &t) == 1) {
            m2 = bw_jv_key(V, "text");
            bw_jv_keys(V, t, text_keys, 2);
            if (bw_jv_string(V, t, "text", 1, 0, BW_MAX_TEXT_BYTES, &s) == 1) {
                blk[n].text = sdupz(l, s);
                blk[n].len = strlen(s);
                blk[n].quals = 0;
                if (bw_jv_array(V, t, "qualifiers", 0, 0, 3, &q) == 1) {
                    const cJSON *e;
                    size_t k = 0, m3 = bw_jv_key(V, "qualifiers");
                    for (e = q->child; e; e = e->next, k++) {
                        size_t m4 = bw_jv_index(V, k);
                        if (bw_jv_enum_val(V, e, "qualifier", qual_names, 3, &x) == 1)
                            blk[n].quals |= qual_bits[x];
                        bw_jv_pop(V, m4);
                    }
                    bw_jv_pop(V, m3);
                }
                n++;
            }
            bw_jv_pop(V, m2);
        }
        bw_jv_pop(V, mark);
    }
    return n;
}

/* One chat message's text: a string, or the text parts of an array joined by newlines. */
static int message_text(struct ld *l, const cJSON *msg, struct bw_block *b)
{
    static const char *const msg_keys[] = {"role", "content", "name", "tool_calls", "tool_call_id", "refusal"};
    const cJSON *c, *part;
    struct bw_buf txt;
    size_t k = 0, mark, m2;
    const char *s;
    int x, any = 0;

    if (!bw_jv_is_object(V, msg))
        return 0;
    bw_jv_keys(V, msg, msg_keys, BW_NELEMS(msg_keys));
    bw_jv_enum(V, msg, "role", 1, "role", roles, BW_NELEMS(roles), &x);
    bw_jv_string(V, msg, "name", 0, 0, 1000, &s);
    bw_jv_string(V, msg, "tool_call_id", 0, 0, 1000, &s);
    if ((c = bw_json_member(msg, "content")) == NULL) {
        if (bw_json_member(msg, "tool_calls") == NULL)
            bw_jv_err(V, "missing required key \"content\"");
        return 0;
    }
    if (cJSON_IsNull(c))
        return 0;
    mark = bw_jv_key(V, "content");
    if (cJSON_IsString(c)) {
        b->text = sdupz(l, c->valuestring);
        b->len = strlen(c->valuestring);
        b->quals = 0;
        bw_jv_pop(V, mark);
        return 1;
    }
    if (!cJSON_IsArray(c)) {
        bw_jv_err(V, "expected a string, an array of content parts or null, found %s", bw_json_type_name(c));
        bw_jv_pop(V, mark);
        return 0;
    }
    bw_buf_init(&txt, BW_MAX_TEXT_BYTES);
    for (part = c->child; part; part = part->next, k++) {
        m2 = bw_jv_index(V, k);
        if (bw_jv_is_object(V, part) && bw_jv_enum(V, part, "type", 1, "content part type", part_types,
                                                    BW_NELEMS(part_types), &x) == 1 && x == 0) {
            bw_jv_keys(V, part, (const char *const[]){"type", "text"}, 2);
            if (bw_jv_string(V, part, "text", 1, 0, BW_MAX_TEXT_BYTES, &s) == 1) {
                /* one block per message, as the proxy's adapters guard a message */
                int rv = any ? bw_buf_addc(&txt, '\n') : 0;
                if (rv == 0)
                    rv = bw_buf_adds(&txt, s);
                if (rv == BW_ELIMIT)
                    bw_jv_err(V, "the message's text is longer than %u bytes", BW_MAX_TEXT_BYTES);
                else if (rv != 0)
                    l->nomem = 1;
                any = 1;
            }
        }
        bw_jv_pop(V, m2);
    }
    bw_jv_pop(V, mark);
    if (any) {
        b->text = sdup(l, txt.base ? txt.base : "", txt.len);
        b->len = txt.len;
        b->quals = 0;
    }
    bw_buf_free(&txt);
    return any;
}

static size_t message_blocks(struct ld *l, const cJSON *arr, struct bw_block *blk)
{
    const cJSON *it;
    size_t i = 0, n = 0, mark;

    for (it = arr->child; it; it = it->next, i++) {
        mark = bw_jv_index(V, i);
        n += (size_t)message_text(l, it, &blk[n]);
        bw_jv_pop(V, mark);
    }
    return n;
}

/* ---- cases ---- */

static void expect(struct ld *l, const cJSON *j, struct bw_pol_test_case *tc)
{
    const cJSON *e = NULL, *arr;
    size_t mark;
    const char *s;
    int x;

    tc->want_verdict = BW_PT_NONE;
    if (bw_jv_object(V, j, "expect", 1, &e) != 1)
        return;
    mark = bw_jv_key(V, "expect");
    bw_jv_keys(V, e, expect_keys, BW_NELEMS(expect_keys));
    if (bw_jv_enum(V, e, "action", 1, "action", want_verdicts, BW_NELEMS(want_verdicts), &x) == 1)
        tc->want_verdict = want_verdict_map[x];
    wants(l, e, "findings", &tc->want, &tc->nwant);
    wants(l, e, "not_findings", &tc->deny, &tc->ndeny);
    if (bw_json_member(e, "output") && bw_json_member(e, "outputs")) {
        bw_jv_err(V, "give either output or outputs, not both");
    } else if (bw_jv_string(V, e, "output", 0, 0, BW_MAX_TEXT_BYTES, &s) == 1) {
        if ((tc->outputs = alloc(l, sizeof(*tc->outputs))) != NULL) {
            tc->outputs[0] = sdupz(l, s);
            tc->noutputs = 1;
            tc->single_output = 1;
        }
        if (tc->nguarded > 1 && tc->want_verdict != BW_PT_BLOCKED) {
            size_t m2 = bw_jv_key(V, "output");
            bw_jv_err(V, "the case guards %zu blocks: give \"outputs\", one string per block", tc->nguarded);
            bw_jv_pop(V, m2);
        }
    } else if (bw_jv_array(V, e, "outputs", 0, 1, BW_MAX_BLOCKS, &arr) == 1) {
        const cJSON *it;
        size_t i = 0, m2 = bw_jv_key(V, "outputs");
        if ((tc->outputs = alloc(l, count(arr) * sizeof(*tc->outputs))) != NULL) {
            for (it = arr->child; it; it = it->next, i++) {
                size_t m3 = bw_jv_index(V, i);
                if (bw_jv_string_val(V, it, 0, BW_MAX_TEXT_BYTES, &s) == 1)
                    tc->outputs[tc->noutputs++] = sdupz(l, s);
                bw_jv_pop(V, m3);
            }
        }
        bw_jv_pop(V, m2);
    }
    bw_jv_pop(V, mark);
}

static void one_case(struct ld *l, const cJSON *j, struct bw_pol_test_case *tc, size_t idx)
{
    const cJSON *arr = NULL;
    const char *s, *gs = NULL, *query = NULL;
    size_t room, n = 0, i, forms = 0, e0 = V->nerr;
    char p[48];

    snprintf(p, sizeof(p), "cases[%zu]", idx);
    tc->path = sdupz(l, p);
    tc->name = tc->path;
    tc->dir = l->dir_default;
    if (!bw_jv_is_object(V, j))
        return;
    bw_jv_keys(V, j, case_keys, BW_NELEMS(case_keys));
    if (bw_jv_string(V, j, "name", 1, 1, 1000, &s) == 1)
        tc->name = sdupz(l, s);
    bw_jv_string(V, j, "description", 0, 0, 10000, &s);
    tc->dir = source(l, j, l->dir_default);
    if (bw_jv_string(V, j, "skip", 0, 1, 1000, &s) == 1)
        tc->skip = sdupz(l, s);
    bw_jv_string(V, j, "grounding_source", 0, 0, BW_MAX_TEXT_BYTES, &gs);
    bw_jv_string(V, j, "query", 0, 0, BW_MAX_TEXT_BYTES, &query);
    for (i = 0; i < 3; i++)
        forms += bw_json_member(j, (const char *[]){"text", "content", "messages"}[i]) != NULL;
    if (forms != 1) {
        bw_jv_err(V, "%s", forms ? "give one of text, content, messages, not several"
                                 : "missing the text to guard: give text, content or messages");
    } else if (bw_json_member(j, "text")) {
        if (bw_jv_string(V, j, "text", 1, 0, BW_MAX_TEXT_BYTES, &s) == 1 &&
            (tc->blocks = alloc(l, 3 * sizeof(*tc->blocks))) != NULL) {
            tc->blocks[0] = (struct bw_block){sdupz(l, s), strlen(s), 0};
            n = 1;
        }
    } else {
        int is_content = bw_json_member(j, "content") != NULL;
        const char *key = is_content ? "content" : "messages";
        if (bw_jv_array(V, j, key, 1, 1, BW_MAX_BLOCKS, &arr) == 1) {
            room = count(arr) + 2;
            if ((tc->blocks = alloc(l, room * sizeof(*tc->blocks))) != NULL) {
                size_t mark = bw_jv_key(V, key);
                n = is_content ? content_blocks(l, arr, tc->blocks, &tc->nimages) : message_blocks(l, arr, tc->blocks);
                if (n == 0 && tc->nimages == 0 && V->nerr == e0)
                    bw_jv_err(V, "no text to guard");
                bw_jv_pop(V, mark);
            }
        }
    }
    if (tc->blocks && (gs || query)) {
        if (gs)
            tc->blocks[n++] = (struct bw_block){sdupz(l, gs), strlen(gs), BW_QUAL_GROUNDING};
        if (query)
            tc->blocks[n++] = (struct bw_block){sdupz(l, query), strlen(query), BW_QUAL_QUERY};
    }
    tc->nblocks = n;
    for (i = 0; i < n; i++)
        tc->nguarded += (size_t)bw_block_guarded(tc->blocks, n, i);
    expect(l, j, tc);
}

static int by_name(const void *a, const void *b)
{
    const struct bw_pol_test_case *const *x = a, *const *y = b;
    int c = strcmp((*x)->name, (*y)->name);

    return c ? c : ((*x) < (*y) ? -1 : (*x) > (*y));
}

/* Case names identify cases in every report: no two alike in a suite. */
static void unique_names(struct ld *l)
{
    struct bw_pol_test_suite *s = l->s;
    const struct bw_pol_test_case **v;
    char q[256];
    size_t i;

    if (s->ncases < 2)
        return;
    if ((v = malloc(s->ncases * sizeof(*v))) == NULL) {
        l->nomem = 1;
        return;
    }
    for (i = 0; i < s->ncases; i++)
        v[i] = &s->cases[i];
    qsort(v, s->ncases, sizeof(*v), by_name);
    for (i = 1; i < s->ncases; i++)
        if (strcmp(v[i]->name, v[i - 1]->name) == 0 && v[i]->name != v[i]->path) {
            /* report the later of the two, at its own path */
            const struct bw_pol_test_case *a = v[i] > v[i - 1] ? v[i] : v[i - 1], *b = a == v[i] ? v[i - 1] : v[i];
            size_t mark = bw_jv_key(V, "cases");
            bw_jv_index(V, (size_t)(a - s->cases));
            bw_jv_key(V, "name");
            bw_jv_err(V, "duplicate case name %s (also %s)", bw_jv_quote(q, sizeof(q), a->name), b->path);
            bw_jv_pop(V, mark);
        }
    free(v);
}

static void cases(struct ld *l, const cJSON *root)
{
    const cJSON *arr = NULL, *it;
    size_t i = 0, mark;

    if (bw_jv_array(V, root, "cases", 0, 0, BW_POL_TEST_MAX_CASES, &arr) != 1) {
        if (arr && count(arr) > BW_POL_TEST_MAX_CASES)
            l->limit = 1;
        return;
    }
    if ((l->s->cases = alloc(l, count(arr) * sizeof(*l->s->cases))) == NULL)
        return;
    mark = bw_jv_key(V, "cases");
    for (it = arr->child; it; it = it->next, i++) {
        size_t m = bw_jv_index(V, i);
        one_case(l, it, &l->s->cases[i], i);
        bw_jv_pop(V, m);
    }
    bw_jv_pop(V, mark);
    l->s->ncases = i;
    /* paths of duplicates are rooted at the top */
    unique_names(l);
}

/* ---- datasets ---- */

/* Reads min_precision, min_recall, min_f1, max_fpr of obj into t (NAN when absent). */
static void thresholds(struct ld *l, const cJSON *obj, struct bw_pol_test_thr *t)
{
    double *slot[4] = {&t->min_precision, &t->min_recall, &t->min_f1, &t->max_fpr};
    size_t k;

    for (k = 0; k < 4; k++) {
        *slot[k] = NAN;
        bw_jv_number(V, obj, thr_keys[k], 0, 0.0, 1.0, slot[k]);
    }
}

/* The position of a JSON-lines syntax error, rebased from line 1 of the row to the file's line. */
static void row_syntax_err(struct bw_errs *to, const char *file, unsigned line, const char *msg)
{
    if (strncmp(msg, "1:", 2) == 0 && msg[2] >= '0' && msg[2] <= '9')
        raw_err(to, "%s:%u:%s", file, line, msg + 2);
    else
        raw_err(to, "%s:%u: %s", file, line, msg);
}

/* One row of a dataset: the JSON object on line `line`. */
static void row(struct ld *l, struct bw_pol_test_dataset *ds, const cJSON *j, struct bw_pol_test_row *rw,
                const char *label)
{
    const cJSON *labels = NULL, *it;
    struct bw_jv v0 = l->v;
    struct bw_errs re;
    const char *s;
    int x;

    /* messages read "DATASET:LINE: path: problem", without the suite's name */
    bw_errs_init(&re, label);
    bw_jv_init(&l->v, &re);
    memset(rw->label, -1, sizeof(rw->label));
    if (!bw_jv_is_object(V, j))
        goto out;
    bw_jv_keys(V, j, row_keys, BW_NELEMS(row_keys));
    it = bw_json_member(j, "id");
    if (it && !cJSON_IsString(it) && !cJSON_IsNumber(it)) {
        size_t m = bw_jv_key(V, "id");
        bw_jv_err(V, "expected a string or a number, found %s", bw_json_type_name(it));
        bw_jv_pop(V, m);
    }
    if (bw_jv_string(V, j, "text", 1, 0, BW_MAX_TEXT_BYTES, &s) == 1)
        rw->blocks[rw->nblocks++] = (struct bw_block){sdupz(l, s), strlen(s), 0};
    if (bw_jv_string(V, j, "grounding_source", 0, 0, BW_MAX_TEXT_BYTES, &s) == 1)
        rw->blocks[rw->nblocks++] = (struct bw_block){sdupz(l, s), strlen(s), BW_QUAL_GROUNDING};
    if (bw_jv_string(V, j, "query", 0, 0, BW_MAX_TEXT_BYTES, &s) == 1)
        rw->blocks[rw->nblocks++] = (struct bw_block){sdupz(l, s), strlen(s), BW_QUAL_QUERY};
    if (bw_json_member(j, "label") && bw_json_member(j, "labels")) {
        bw_jv_err(V, "give either label or labels, not both");
    } else if (bw_json_member(j, "label")) {
        if (bw_jv_enum(V, j, "label", 1, "label", label_names, 2, &x) == 1)
            rw->label[ds->label_policy] = (int8_t)x;
    } else if (bw_jv_object(V, j, "labels", 0, &labels) == 1) {
        size_t m = bw_jv_key(V, "labels");
        if (labels->child == NULL)
            bw_jv_err(V, "must not be empty");
        bw_jv_keys(V, labels, pol_names, BW_POL_TEST_NPOL);
        for (x = 0; x < BW_POL_TEST_NPOL; x++) {
            int y;
            if (bw_jv_enum(V, labels, pol_names[x], 0, "label", label_names, 2, &y) == 1)
                rw->label[x] = (int8_t)y;
        }
        bw_jv_pop(V, m);
    } else {
        bw_jv_err(V, "missing required key \"label\" (or \"labels\", per policy)");
    }
    for (x = 0; x < BW_POL_TEST_NPOL; x++)
        if (rw->label[x] >= 0)
            ds->labelled |= 1u << x;
out:
    v0.nerr += l->v.nerr;
    for (x = 0; (size_t)x < re.n; x++)
        raw_err(v0.errs, "%s", re.msg[x]);
    bw_errs_free(&re);
    l->v = v0;
}

/* Reads the JSON lines of ds->path. Returns 1 when the file could be read. */
static int rows(struct ld *l, struct bw_pol_test_dataset *ds)
{
    struct bw_errs le;
    char *buf = NULL, label[4200];
    size_t len, i, n = 0, start;
    unsigned line = 0;
    int rv;

    rv = bw_json_read_file(ds->path, MAX_DATASET_BYTES, &buf, &len);
    if (rv != 0) {
        size_t m = bw_jv_key(V, "path");
        if (rv == BW_EIO)
            bw_jv_err(V, "cannot read dataset %s: %s", ds->path, strerror(errno));
        else if (rv == BW_ELIMIT)
            bw_jv_err(V, "dataset %s is larger than %u bytes", ds->path, MAX_DATASET_BYTES);
        else
            l->nomem = 1;
        bw_jv_pop(V, m);
        return 0;
    }
    for (i = 0; i < len; i++)
        n += buf[i] == '\n';
    n++;
    if (n > BW_POL_TEST_MAX_ROWS + 1)
        n = BW_POL_TEST_MAX_ROWS + 1;
    if ((ds->rows = alloc(l, n * sizeof(*ds->rows))) == NULL) {
        free(buf);
        return 0;
    }
    for (start = 0; start < len && !l->nomem; start = i + 1) {
        const char *p = buf + start;
        size_t k, ll;
        cJSON *root = NULL;

        for (i = start; i < len && buf[i] != '\n'; i++)
            ;
        line++;
        ll = i - start;
        if (ll && p[ll - 1] == '\r')
            ll--;
        for (k = 0; k < ll && (p[k] == ' ' || p[k] == '\t'); k++)
            ;
        if (k == ll) /* blank lines separate nothing: skip them */
            continue;
        if (ds->nrows == BW_POL_TEST_MAX_ROWS) {
            size_t m = bw_jv_key(V, "path");
            bw_jv_err(V, "dataset %s has more than %u rows", ds->path, BW_POL_TEST_MAX_ROWS);
            bw_jv_pop(V, m);
            l->limit = 1;
            break;
        }
        snprintf(label, sizeof(label), "%s:%u", ds->path, line);
        bw_errs_init(&le, NULL);
        rv = bw_json_parse(p, ll, &root, &le);
        if (rv == BW_ENOMEM)
            l->nomem = 1;
        for (k = 0; k < le.n; k++) {
            /* syntax errors come as "1:COL: ..."; others as "path: ..." */
            if (strncmp(le.msg[k], "1:", 2) == 0)
                row_syntax_err(V->errs, ds->path, line, le.msg[k]);
            else
                raw_err(V->errs, "%s: %s", label, le.msg[k]);
            V->nerr++;
        }
        bw_errs_free(&le);
        if (root) {
            struct bw_pol_test_row *rw = &ds->rows[ds->nrows++];
            rw->line = line;
            row(l, ds, root, rw, label);
            cJSON_Delete(root);
        }
    }
    free(buf);
    return 1;
}

static void one_dataset(struct ld *l, const cJSON *j, struct bw_pol_test_dataset *ds, size_t idx)
{
    struct bw_pol_test_thr def, per[BW_POL_TEST_NPOL];
    const cJSON *tobj = NULL;
    const char *s;
    unsigned given = 0;
    size_t mark;
    int x, p;

    (void)idx;
    ds->dir = l->dir_default;
    ds->label_policy = BW_POL_TEST_GUARDRAIL;
    ds->name = ds->path = "";
    if (!bw_jv_is_object(V, j))
        return;
    bw_jv_keys(V, j, ds_keys, BW_NELEMS(ds_keys));
    if (bw_jv_string(V, j, "path", 1, 1, 4096, &s) == 1) {
        ds->path = resolve(l, s);
        ds->name = sdupz(l, s);
    }
    if (bw_jv_string(V, j, "name", 0, 1, 1000, &s) == 1)
        ds->name = sdupz(l, s);
    ds->dir = source(l, j, l->dir_default);
    if (bw_jv_enum(V, j, "policy", 0, "policy", pol_names, BW_POL_TEST_NPOL, &x) == 1)
        ds->label_policy = x;
    if (bw_jv_enum(V, j, "predicted", 0, "prediction", predict_names, 2, &x) == 1)
        ds->predict = x;
    thresholds(l, j, &def);
    for (p = 0; p < BW_POL_TEST_NPOL; p++)
        per[p] = (struct bw_pol_test_thr){NAN, NAN, NAN, NAN};
    if (bw_jv_object(V, j, "thresholds", 0, &tobj) == 1) {
        mark = bw_jv_key(V, "thresholds");
        bw_jv_keys(V, tobj, pol_names, BW_POL_TEST_NPOL);
        for (p = 0; p < BW_POL_TEST_NPOL; p++) {
            const cJSON *o = NULL;
            if (bw_jv_object(V, tobj, pol_names[p], 0, &o) == 1) {
                size_t m = bw_jv_key(V, pol_names[p]);
                bw_jv_keys(V, o, thr_keys, 4);
                thresholds(l, o, &per[p]);
                given |= 1u << p;
                bw_jv_pop(V, m);
            }
        }
        bw_jv_pop(V, mark);
    }
    if (ds->path[0] && rows(l, ds) && ds->nrows == 0 && !l->limit) {
        mark = bw_jv_key(V, "path");
        bw_jv_err(V, "dataset %s has no rows", ds->path);
        bw_jv_pop(V, mark);
    }
    for (p = 0; p < BW_POL_TEST_NPOL; p++) {
        if ((given & (1u << p)) && ds->nrows && !(ds->labelled & (1u << p))) {
            size_t m = bw_jv_key(V, "thresholds"), m2 = bw_jv_key(V, pol_names[p]);
            bw_jv_err(V, "no row of %s has a %s label", ds->path, pol_names[p]);
            bw_jv_pop(V, m2);
            bw_jv_pop(V, m);
        }
        if ((ds->labelled & (1u << p)) && l->gc && !has_policy(l->gc, p)) {
            mark = bw_jv_key(V, "path");
            bw_jv_err(V, "%s labels %s, but the guardrail configures no %s", ds->path, pol_names[p], pol_long[p]);
            bw_jv_pop(V, mark);
        }
        /* a per-policy threshold wins over the dataset's, metric by metric */
        ds->thr[p].min_precision = isnan(per[p].min_precision) ? def.min_precision : per[p].min_precision;
        ds->thr[p].min_recall = isnan(per[p].min_recall) ? def.min_recall : per[p].min_recall;
        ds->thr[p].min_f1 = isnan(per[p].min_f1) ? def.min_f1 : per[p].min_f1;
        ds->thr[p].max_fpr = isnan(per[p].max_fpr) ? def.max_fpr : per[p].max_fpr;
    }
}

static void datasets(struct ld *l, const cJSON *root)
{
    const cJSON *arr = NULL, *it;
    size_t i = 0, mark;

    if (bw_jv_array(V, root, "datasets", 0, 0, BW_POL_TEST_MAX_DATASETS, &arr) != 1)
        return;
    if ((l->s->datasets = alloc(l, count(arr) * sizeof(*l->s->datasets))) == NULL)
        return;
    mark = bw_jv_key(V, "datasets");
    for (it = arr->child; it; it = it->next, i++) {
        size_t m = bw_jv_index(V, i);
        one_dataset(l, it, &l->s->datasets[i], i);
        bw_jv_pop(V, m);
    }
    bw_jv_pop(V, mark);
    l->s->ndatasets = i;
}

/* ---- the suite ---- */

static int suite(struct ld *l, const cJSON *root, const char *override)
{
    struct bw_pol_test_suite *s = l->s;
    const char *gpath = NULL, *s1;
    size_t mark;
    int again = 0;

    if (!bw_jv_is_object(V, root))
        return BW_ECONFIG;
    bw_jv_keys(V, root, suite_keys, BW_NELEMS(suite_keys));
    if (bw_jv_string(V, root, "name", 0, 1, 1000, &s1) == 1)
        s->name = sdupz(l, s1);
    bw_jv_string(V, root, "description", 0, 0, 10000, &s1);
    l->dir_default = source(l, root, BW_DIR_INPUT);
    if (override) {
        /* the suite's own is still checked: it is what runs without --guardrail */
        bw_jv_string(V, root, "guardrail", 0, 1, 4096, &s1);
        gpath = sdupz(l, override);
    } else if (bw_jv_string(V, root, "guardrail", 0, 1, 4096, &s1) == 1) {
        gpath = resolve(l, s1);
    } else if (bw_json_member(root, "guardrail") == NULL) {
        bw_jv_err(V, "missing required key \"guardrail\" (the guardrail file the suite tests; or pass --guardrail)");
    }
    if (gpath && !l->nomem) {
        struct bw_pol_test_gr *gr = guardrail(l, gpath, &again);
        s->guardrail_path = gpath;
        s->gr = gr;
        if (gr && gr->conf) {
            l->gc = gr->conf;
        } else if (gr) {
            mark = bw_jv_key(V, "guardrail");
            bw_jv_err(V, "the guardrail %s does not load%s", gpath, again ? " (see above)" : " (errors above)");
            bw_jv_pop(V, mark);
        }
    }
    cases(l, root);
    datasets(l, root);
    if (s->ncases == 0 && s->ndatasets == 0 && V->nerr == 0)
        bw_jv_err(V, "the suite has no cases and no datasets");
    if (l->nomem)
        return BW_ENOMEM;
    if (l->limit)
        return BW_ELIMIT;
    return V->nerr ? BW_ECONFIG : BW_OK;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');

    return b ? b + 1 : path;
}

int bw_pol_test_load_mem(struct bw_pol_test_run *r, const char *label, const char *dir, const char *json,
                         size_t len, const char *guardrail_path, struct bw_errs *errs)
{
    struct bw_pol_test_suite s;
    struct bw_errs le;
    struct ld ld;
    cJSON *root = NULL;
    int rv;

    memset(&s, 0, sizeof(s));
    memset(&ld, 0, sizeof(ld));
    ld.r = r;
    ld.s = &s;
    ld.dir = dir;
    bw_errs_init(&le, label);
    bw_jv_init(&ld.v, &le);
    if (r->nsuites >= BW_POL_TEST_MAX_SUITES) {
        bw_errs_add(&le, NULL, "more than %u suites in one run", BW_POL_TEST_MAX_SUITES);
        bw_errs_move(errs, &le);
        return BW_ELIMIT;
    }
    s.file = sdupz(&ld, label);
    s.name = sdupz(&ld, base_name(label));
    rv = bw_json_parse(json, len, &root, &le);
    if (rv == BW_ELIMIT)
        rv = BW_ECONFIG;
    if (root) { /* also with duplicate keys: report the rest too */
        int srv = suite(&ld, root, guardrail_path);
        cJSON_Delete(root);
        if (rv == BW_OK || srv == BW_ENOMEM)
            rv = srv;
    }
    if (rv == BW_OK && ld.nomem)
        rv = BW_ENOMEM;
    bw_errs_move(errs, &le);
    bw_errs_free(&le);
    if (rv != BW_OK)
        return rv;
    if (r->nsuites == r->capsuites) {
        size_t nc = r->capsuites ? r->capsuites * 2 : 8;
        struct bw_pol_test_suite *ns = realloc(r->suites, nc * sizeof(*ns));
        if (ns == NULL)
            return BW_ENOMEM;
        r->suites = ns;
        r->capsuites = nc;
    }
    r->suites[r->nsuites++] = s;
    return BW_OK;
}

int bw_pol_test_load(struct bw_pol_test_run *r, const char *path, const char *guardrail_path, struct bw_errs *errs)
{
    char *buf, *dir;
    const char *slash;
    size_t len;
    int rv;

    if ((rv = bw_conf_read_file(path, &buf, &len, errs)) != BW_OK)
        return rv;
    slash = strrchr(path, '/');
    dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (dir == NULL) {
        free(buf);
        return BW_ENOMEM;
    }
    rv = bw_pol_test_load_mem(r, path, dir, buf, len, guardrail_path, errs);
    free(dir);
    free(buf);
    return rv;
}

/* ------------------------------------------------------------------------ */
/* running */

void bw_pol_test_init(struct bw_pol_test_run *r)
{
    memset(r, 0, sizeof(*r));
    bw_arena_init(&r->arena, 0);
}

void bw_pol_test_free(struct bw_pol_test_run *r)
{
    size_t i;

    for (i = 0; i < r->ngrs; i++) {
        bw_guardrail_unref(r->grs[i]->g);
        bw_gconf_free(r->grs[i]->conf);
        free(r->grs[i]->path);
        free(r->grs[i]);
    }
    free(r->grs);
    free(r->suites);
    free(r->lat);
    bw_arena_free(&r->arena);
    memset(r, 0, sizeof(*r));
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A run's scratch: the worker and a buffer for messages. */
struct ex {
    struct bw_pol_test_run *r;
    struct bw_worker w;
    struct bw_buf msg;
    int nomem;
};

static const char *xdup(struct ex *x, const char *s, size_t n)
{
    char *p = bw_arena_strndup(&x->r->arena, s, n);

    if (p == NULL)
        x->nomem = 1;
    return p ? p : "";
}

/* Appends s to x->msg as a JSON string, in quotes, cut at QUOTE_MAX bytes. */
static void quote(struct ex *x, const char *s, size_t n)
{
    size_t cut = n > QUOTE_MAX ? QUOTE_MAX : n;

    /* never cut inside a UTF-8 sequence */
    while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    bw_buf_addc(&x->msg, '"');
    bw_buf_json_str(&x->msg, s, cut);
    bw_buf_adds(&x->msg, cut < n ? "\"..." : "\"");
}

/* Adds the message built in x->msg to the case's failures. */
static void fail(struct ex *x, struct bw_pol_test_case *tc, char **slots)
{
    char *m = bw_arena_strndup(&x->r->arena, x->msg.base ? x->msg.base : "", x->msg.len);

    bw_buf_reset(&x->msg);
    if (m == NULL) {
        x->nomem = 1;
        return;
    }
    slots[tc->nfails++] = m;
}

static int verdict_of(const struct bw_apply_res *res)
{
    return res->blocked ? BW_PT_BLOCKED : res->masked ? BW_PT_MASKED : BW_PT_NONE;
}

/* Copies the findings of res out of the worker. */
static void keep_findings(struct ex *x, const struct bw_guardrail *g, const struct bw_apply_req *rq,
                          const struct bw_apply_res *res, struct bw_pol_test_case *tc)
{
    const struct bw_gconf *c = g->conf;
    size_t i;

    tc->found = bw_arena_calloc(&x->r->arena, (res->nf ? res->nf : 1) * sizeof(*tc->found));
    if (tc->found == NULL) {
        x->nomem = 1;
        return;
    }
    for (i = 0; i < res->nf; i++) {
        const struct bw_finding *f = &res->f[i];
        struct bw_pol_test_found *o = &tc->found[i];

        o->policy = f->policy;
        o->sub = f->sub;
        o->detected = f->detected;
        o->action = f->detected ? f->action : BW_ACT_NONE;
        o->confidence = f->confidence;
        o->dup = f->dup;
        o->type = f->type;
        o->block = f->block;
        o->start = f->start;
        o->end = f->end;
        o->score = f->score;
        o->threshold = f->threshold;
        if (f->policy == BW_POL_TOPIC && f->item < c->topics.n)
            o->name = c->topics.items[f->item].name;
        else if (f->policy == BW_POL_REGEX && f->item < c->regex.n)
            o->name = c->regex.items[f->item].name;
        if (f->end > f->start && f->block < rq->nblocks)
            o->match = xdup(x, rq->blocks[f->block].text + f->start, f->end - f->start);
        if (o->detected)
            tc->policies |= 1u << f->policy;
    }
    tc->nfound = res->nf;
}

/* What the application sees after the guardrail: the blocked message, or each guarded block as it comes out. */
static void keep_outputs(struct ex *x, const struct bw_guardrail *g, const struct bw_apply_req *rq,
                         const struct bw_apply_res *res, struct bw_pol_test_case *tc)
{
    size_t i;

    tc->got = bw_arena_calloc(&x->r->arena, (rq->nblocks + 1) * sizeof(*tc->got));
    if (tc->got == NULL) {
        x->nomem = 1;
        return;
    }
    if (res->blocked) {
        const char *m = bw_guardrail_blocked_message(g, rq->dir);
        tc->got[tc->ngot++] = m ? m : "";
        return;
    }
    for (i = 0; i < rq->nblocks && i < res->nout; i++)
        if (bw_block_guarded(rq->blocks, rq->nblocks, i))
            tc->got[tc->ngot++] = xdup(x, res->out[i].base, res->out[i].len);
}

static void check_case(struct ex *x, struct bw_pol_test_case *tc)
{
    char d[600];
    char **slots;
    size_t i, k;

    /* at most: the action, each expectation, and the outputs */
    slots = bw_arena_calloc(&x->r->arena, (2 + tc->nwant + tc->ndeny) * sizeof(*slots));
    if (slots == NULL) {
        x->nomem = 1;
        return;
    }
    tc->fails = slots;
    if (tc->want_verdict == BW_PT_INTERVENED ? tc->verdict == BW_PT_NONE : tc->verdict != tc->want_verdict) {
        bw_buf_printf(&x->msg, "action: expected %s, got %s", verdict_names[tc->want_verdict],
                      verdict_names[tc->verdict]);
        fail(x, tc, slots);
    }
    for (i = 0; i < tc->nwant; i++) {
        for (k = 0; k < tc->nfound; k++)
            if (bw_pol_test_matches(&tc->want[i], &tc->found[k]))
                break;
        if (k == tc->nfound) {
            bw_buf_printf(&x->msg, "finding: expected %s, not found",
                          bw_pol_test_want_str(&tc->want[i], d, sizeof(d)));
            fail(x, tc, slots);
        }
    }
    for (i = 0; i < tc->ndeny; i++) {
        for (k = 0; k < tc->nfound; k++)
            if (bw_pol_test_matches(&tc->deny[i], &tc->found[k]))
                break;
        if (k < tc->nfound) {
            bw_buf_printf(&x->msg, "finding: expected no %s, found ", bw_pol_test_want_str(&tc->deny[i], d, sizeof(d)));
            bw_buf_adds(&x->msg, bw_pol_test_found_str(&tc->found[k], d, sizeof(d)));
            fail(x, tc, slots);
        }
    }
    if (tc->outputs) {
        int same = tc->ngot == tc->noutputs;
        for (i = 0; same && i < tc->ngot; i++)
            same = strcmp(tc->got[i], tc->outputs[i]) == 0;
        if (!same && tc->single_output && tc->ngot == 1) {
            bw_buf_adds(&x->msg, "output: expected ");
            quote(x, tc->outputs[0], strlen(tc->outputs[0]));
            bw_buf_adds(&x->msg, ", got ");
            quote(x, tc->got[0], strlen(tc->got[0]));
            fail(x, tc, slots);
        } else if (!same) {
            bw_buf_adds(&x->msg, "outputs: expected [");
            for (i = 0; i < tc->noutputs; i++) {
                if (i)
                    bw_buf_adds(&x->msg, ", ");
                quote(x, tc->outputs[i], strlen(tc->outputs[i]));
            }
            bw_buf_adds(&x->msg, "], got [");
            for (i = 0; i < tc->ngot; i++) {
                if (i)
                    bw_buf_adds(&x->msg, ", ");
                quote(x, tc->got[i], strlen(tc->got[i]));
            }
            bw_buf_addc(&x->msg, ']');
            fail(x, tc, slots);
        }
    }
    tc->status = tc->nfails ? BW_PT_FAIL : BW_PT_PASS;
}

static void run_case(struct ex *x, struct bw_pol_test_suite *s, struct bw_pol_test_case *tc)
{
    struct bw_pol_test_run *r = x->r;
    struct bw_apply_req rq;
    struct bw_apply_res res;
    char err[512];
    size_t i;
    int rv, p;

    r->cases++;
    for (i = 0; i < tc->nwant; i++)
        tc->policies |= 1u << tc->want[i].policy;
    for (i = 0; i < tc->ndeny; i++)
        tc->policies |= 1u << tc->deny[i].policy;
    if (tc->skip) {
        tc->status = BW_PT_SKIP;
        s->skipped++;
        r->skipped++;
        return;
    }
    memset(&rq, 0, sizeof(rq));
    rq.dir = tc->dir;
    rq.scope = BW_SCOPE_FULL;
    rq.blocks = tc->blocks;
    rq.nblocks = tc->nblocks;
    rq.nimages = tc->nimages;
    rv = bw_apply(s->g, &x->w, &rq, &res, err, sizeof(err));
    tc->latency_ns = res.latency_ns;
    if (rv != 0) {
        if (rv == BW_ENOMEM)
            x->nomem = 1;
        if ((tc->fails = bw_arena_calloc(&r->arena, sizeof(*tc->fails))) != NULL) {
            bw_buf_printf(&x->msg, "apply failed: %s", err[0] ? err : bw_strerror(rv));
            fail(x, tc, tc->fails);
        }
        tc->status = BW_PT_ERROR;
        s->errors++;
        r->errors++;
    } else {
        tc->verdict = verdict_of(&res);
        keep_findings(x, s->g, &rq, &res, tc);
        keep_outputs(x, s->g, &rq, &res, tc);
        check_case(x, tc);
        if (tc->status == BW_PT_PASS) {
            s->passed++;
            r->passed++;
        } else {
            s->failed++;
            r->failed++;
        }
    }
    s->latency_ns += tc->latency_ns;
    r->lat[r->nlat++] = tc->latency_ns;
    for (p = 0; p < BW_POL__N; p++)
        if (tc->policies & (1u << p)) {
            r->pol_cases[p]++;
            r->pol_failed[p] += tc->status == BW_PT_FAIL || tc->status == BW_PT_ERROR;
        }
}

static void add_check(struct ex *x, struct bw_pol_test_dataset *ds, int p, int metric, double limit,
                      const struct bw_pol_test_metrics *mx)
{
    struct bw_pol_test_check *c = &ds->checks[ds->nchecks++];

    c->policy = p;
    c->metric = metric;
    c->is_max = metric == BW_PT_FPR;
    c->limit = limit;
    c->value = bw_pol_test_metric(mx, metric);
    /* an undefined metric (no positives to find, say) cannot meet a threshold */
    c->passed = !isnan(c->value) && (c->is_max ? c->value <= limit : c->value >= limit);
    x->r->checks++;
    x->r->checks_failed += !c->passed;
}

static void run_dataset(struct ex *x, struct bw_pol_test_suite *s, struct bw_pol_test_dataset *ds)
{
    struct bw_pol_test_run *r = x->r;
    struct bw_apply_req rq;
    struct bw_apply_res res;
    struct bw_pol_test_metrics mx;
    size_t i, k;
    int p;

    for (i = 0; i < ds->nrows; i++) {
        struct bw_pol_test_row *rw = &ds->rows[i];
        int pred[BW_POL_TEST_NPOL] = {0};

        memset(&rq, 0, sizeof(rq));
        rq.dir = ds->dir;
        rq.blocks = rw->blocks;
        rq.nblocks = rw->nblocks;
        if (bw_apply(s->g, &x->w, &rq, &res, NULL, 0) != 0) {
            if (res.error == BW_ENOMEM)
                x->nomem = 1;
            ds->errors++;
            r->errors++;
            continue;
        }
        ds->latency_ns += res.latency_ns;
        r->lat[r->nlat++] = res.latency_ns;
        for (k = 0; k < res.nf; k++) {
            const struct bw_finding *f = &res.f[k];
            if (f->detected && f->policy < BW_POL__N &&
                (ds->predict == BW_PT_PRED_DETECTED || f->action != BW_ACT_NONE)) {
                pred[f->policy] = 1;
                pred[BW_POL_TEST_GUARDRAIL] = 1;
            }
        }
        if (ds->predict == BW_PT_PRED_ACTED)
            pred[BW_POL_TEST_GUARDRAIL] = res.intervened;
        for (p = 0; p < BW_POL_TEST_NPOL; p++) {
            struct bw_pol_test_cm *cm = &ds->cm[p];
            int kind = -1; /* 0 false negative, 1 false positive */
            if (rw->label[p] < 0)
                continue;
            if (rw->label[p] && pred[p])
                cm->tp++;
            else if (rw->label[p]) {
                cm->fn++;
                kind = 0;
            } else if (pred[p]) {
                cm->fp++;
                kind = 1;
            } else
                cm->tn++;
            if (kind >= 0 && ds->nex[p][kind] < BW_POL_TEST_EXAMPLES)
                ds->ex[p][kind][ds->nex[p][kind]++] = (uint32_t)i;
        }
    }
    r->rows += ds->nrows;
    ds->checks = bw_arena_calloc(&r->arena, BW_POL_TEST_NPOL * 4 * sizeof(*ds->checks));
    if (ds->checks == NULL) {
        x->nomem = 1;
        return;
    }
    for (p = 0; p < BW_POL_TEST_NPOL; p++) {
        const struct bw_pol_test_thr *t = &ds->thr[p];
        if (!(ds->labelled & (1u << p)))
            continue;
        r->cm[p].tp += ds->cm[p].tp;
        r->cm[p].fp += ds->cm[p].fp;
        r->cm[p].tn += ds->cm[p].tn;
        r->cm[p].fn += ds->cm[p].fn;
        bw_pol_test_metrics(&ds->cm[p], &mx);
        if (!isnan(t->min_precision))
            add_check(x, ds, p, BW_PT_PRECISION, t->min_precision, &mx);
        if (!isnan(t->min_recall))
            add_check(x, ds, p, BW_PT_RECALL, t->min_recall, &mx);
        if (!isnan(t->min_f1))
            add_check(x, ds, p, BW_PT_F1, t->min_f1, &mx);
        if (!isnan(t->max_fpr))
            add_check(x, ds, p, BW_PT_FPR, t->max_fpr, &mx);
    }
}

/* Guardrail ids are [a-z0-9]+ (Bedrock): the file's base name, so reports read "demo", not "guardrail". */
static void id_from_path(const char *path, char *id, size_t n)
{
    const char *b = strrchr(path, '/');
    size_t w = 0;

    for (b = b ? b + 1 : path; *b && *b != '.' && w + 1 < n; b++) {
        int c = bw_ascii_lower((unsigned char)*b);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            id[w++] = (char)c;
    }
    if (w == 0 && n > 1)
        id[w++] = 'g';
    id[w] = '\0';
}

/* Compiles every guardrail the suites target (after they all validated). */
static int compile_all(struct bw_pol_test_run *r, struct bw_errs *errs)
{
    struct bw_errs ge;
    char id[64];
    size_t i;
    int rv, any = 0;

    for (i = 0; i < r->ngrs; i++) {
        struct bw_pol_test_gr *gr = r->grs[i];
        if (gr->g || gr->conf == NULL)
            continue;
        id_from_path(gr->path, id, sizeof(id));
        bw_errs_init(&ge, gr->path);
        /* takes the configuration over, also on failure */
        rv = bw_guardrail_compile(gr->conf, id, "DRAFT", &gr->g, &ge);
        gr->conf = NULL;
        if (rv == BW_ENOMEM) {
            bw_errs_free(&ge);
            return rv;
        }
        if (rv != 0) {
            if (ge.n == 0)
                bw_errs_add(&ge, NULL, "%s", bw_strerror(rv));
            gr->failed = 1;
            gr->g = NULL;
            any = 1;
        }
        bw_errs_move(errs, &ge);
        bw_errs_free(&ge);
    }
    for (i = 0; i < r->nsuites; i++)
        if (r->suites[i].gr == NULL || (r->suites[i].g = r->suites[i].gr->g) == NULL)
            any = 1;
    return any ? BW_ECONFIG : BW_OK;
}

int bw_pol_test_exec(struct bw_pol_test_run *r, struct bw_errs *errs)
{
    struct ex x;
    uint64_t t0;
    size_t i, k, n = 0;
    int rv;

    if ((rv = compile_all(r, errs)) != 0)
        return rv;
    t0 = now_ns();
    memset(&x, 0, sizeof(x));
    x.r = r;
    r->started = (long long)time(NULL);
    for (i = 0; i < r->nsuites; i++) {
        n += r->suites[i].ncases;
        for (k = 0; k < r->suites[i].ndatasets; k++)
            n += r->suites[i].datasets[k].nrows;
    }
    free(r->lat);
    r->nlat = 0;
    if ((r->lat = malloc((n ? n : 1) * sizeof(*r->lat))) == NULL)
        return BW_ENOMEM;
    if (bw_worker_init(&x.w) != 0)
        return BW_ENOMEM;
    bw_buf_init(&x.msg, 0);
    for (i = 0; i < r->nsuites && !x.nomem; i++) {
        struct bw_pol_test_suite *s = &r->suites[i];
        for (k = 0; k < s->ncases && !x.nomem; k++)
            run_case(&x, s, &s->cases[k]);
        for (k = 0; k < s->ndatasets && !x.nomem; k++)
            run_dataset(&x, s, &s->datasets[k]);
    }
    bw_buf_free(&x.msg);
    bw_worker_free(&x.w);
    r->wall_ns = now_ns() - t0;
    return x.nomem ? BW_ENOMEM : BW_OK;
}

int bw_pol_test_ok(const struct bw_pol_test_run *r)
{
    return r->failed == 0 && r->errors == 0 && r->checks_failed == 0;
}
