/*
 * eval_pii.c: quality of the PII recogniser on public labelled data.
 *
 * The guardrail under test is built programmatically: bw_pii_module with
 * all 31 types enabled (ANONYMIZE, both directions), one input engine.
 *
 * 1. presidio-research synthetic set. Presidio's entity names map onto
 *    Bedrock's through ONE table (`map` below). Presidio types that are not
 *    Bedrock PII (GPE, ORGANIZATION, DATE_TIME, TITLE, NRP, ...) are not
 *    scored: a prediction over them counts as a false positive of its type.
 *    Span rule ("overlap"): a gold span is recalled when a prediction of the
 *    same Bedrock type overlaps it by at least one character; a prediction
 *    is correct when it overlaps a gold span of its type. The strict rule
 *    (same start and end) is printed beside it.
 * 2. Presidio's recogniser test cases, for the test files whose entity has
 *    a Bedrock type: a case passes when the findings of that type are
 *    exactly the expected spans. Cases Presidio itself only scores at or
 *    below 0.15 (values it reports as "very weak" without context) are
 *    counted apart.
 * 3. python-stdnum's vectors for the validators of Bedrock types (iban,
 *    bic, gb utr): validator verdict against expected validity.
 *
 * Positions in the data are Python code point offsets; findings are byte
 * offsets: gold spans are converted.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "filters/engine.h"
#include "filters/errs.h"
#include "pii/pii.h"
#include "pii/validate.h"
#include "policies/eval_pii.h"

static const struct {
    const char *presidio;
    int type; /* BW_PII_*, -1: not Bedrock PII, not scored */
} map[] = {
    {"PERSON", BW_PII_NAME},
    {"STREET_ADDRESS", BW_PII_ADDRESS},
    {"ZIP_CODE", BW_PII_ADDRESS}, /* a postal code is part of an address */
    {"PHONE_NUMBER", BW_PII_PHONE},
    {"CREDIT_CARD", BW_PII_CREDIT_DEBIT_CARD_NUMBER},
    {"EMAIL_ADDRESS", BW_PII_EMAIL},
    {"US_SSN", BW_PII_US_SOCIAL_SECURITY_NUMBER},
    {"IBAN_CODE", BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER},
    {"IP_ADDRESS", BW_PII_IP_ADDRESS},
    {"DOMAIN_NAME", BW_PII_URL},
    {"URL", BW_PII_URL},
    {"AGE", BW_PII_AGE},
    {"US_DRIVER_LICENSE", BW_PII_DRIVER_ID},
    {"US_PASSPORT", BW_PII_US_PASSPORT_NUMBER},
    {"US_BANK_NUMBER", BW_PII_US_BANK_ACCOUNT_NUMBER},
    {"US_ITIN", BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER},
    {"UK_NHS", BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER},
    {"MAC_ADDRESS", BW_PII_MAC_ADDRESS},
    /* not Bedrock PII types: isolated places, organisations, dates, titles, nationalities */
    {"GPE", -1},
    {"LOCATION", -1},
    {"ORGANIZATION", -1},
    {"DATE_TIME", -1},
    {"TITLE", -1},
    {"NRP", -1},
};

static int map_type(const char *p)
{
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].presidio, p) == 0)
            return map[i].type;
    return -1;
}

/* Recogniser test file -> the Bedrock type it tests. */
static const struct {
    const char *file;
    int type;
} rec_files[] = {
    {"test_aba_routing_recognizer.py", BW_PII_US_BANK_ROUTING_NUMBER},
    {"test_ca_sin_recognizer.py", BW_PII_CA_SOCIAL_INSURANCE_NUMBER},
    {"test_credit_card_recognizer.py", BW_PII_CREDIT_DEBIT_CARD_NUMBER},
    {"test_email_recognizer.py", BW_PII_EMAIL},
    {"test_iban_recognizer.py", BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER},
    {"test_ip_recognizer.py", BW_PII_IP_ADDRESS},
    {"test_mac_recognizer.py", BW_PII_MAC_ADDRESS},
    {"test_phone_recognizer.py", BW_PII_PHONE},
    {"test_uk_nhs_recognizer.py", BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER},
    {"test_uk_nino_recognizer.py", BW_PII_UK_NATIONAL_INSURANCE_NUMBER},
    {"test_url_recognizer.py", BW_PII_URL},
    {"test_us_bank_recognizer.py", BW_PII_US_BANK_ACCOUNT_NUMBER},
    {"test_us_driver_license_recognizer.py", BW_PII_DRIVER_ID},
    {"test_us_itin_recognizer.py", BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER},
    {"test_us_passport_recognizer.py", BW_PII_US_PASSPORT_NUMBER},
    {"test_us_ssn_recognizer.py", BW_PII_US_SOCIAL_SECURITY_NUMBER},
};

struct tester {
    struct bw_engine *e;
    struct bw_worker w;
    struct bw_pii_item items[BW_PII__N];
    struct bw_pii_conf conf;
};

static int tester_init(struct tester *t)
{
    struct bw_errs errs;
    int i, rv;

    memset(t, 0, sizeof(*t));
    for (i = 0; i < BW_PII__N; i++) {
        t->items[i].type = i;
        t->items[i].ac.action[0] = t->items[i].ac.action[1] = BW_ACT_ANONYMIZE;
        t->items[i].ac.enabled[0] = t->items[i].ac.enabled[1] = 1;
    }
    t->conf.items = t->items;
    t->conf.n = BW_PII__N;
    bw_errs_init(&errs, NULL);
    if ((rv = bw_engine_new(BW_DIR_INPUT, &t->e)) == 0 && (rv = bw_engine_add(t->e, &bw_pii_module, &t->conf, &errs)) == 0)
        rv = bw_engine_compile(t->e, BW_MATCHER_BLOCK, &errs);
    bw_errs_free(&errs);
    if (rv == 0)
        rv = bw_worker_init(&t->w);
    return rv;
}

static void tester_free(struct tester *t)
{
    bw_worker_free(&t->w);
    bw_engine_free(t->e);
}

static int run(struct tester *t, const char *s, size_t n)
{
    struct bw_block b = {s, n, 0};
    return bw_engine_eval(t->e, &t->w, &b, 1, NULL, NULL);
}

/* Byte offset of code point index cp in s. */
static size_t cp2byte(const char *s, size_t n, size_t cp)
{
    size_t i = 0, k = 0;

    while (i < n && k < cp) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        k++;
    }
    return i;
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/data/pii/%s", dir, name);
    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (buf = malloc((size_t)n + 1)) == NULL) {
        fclose(f);
        return NULL;
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = '\0';
    *len = (size_t)n;
    fclose(f);
    return buf;
}

struct span {
    int type;
    size_t s, e;
    int hit;
};

struct counts {
    unsigned gold, gold_hit, pred, pred_ok, exact;
};

static int overlaps(const struct span *a, const struct span *b)
{
    return a->type == b->type && a->s < b->e && b->s < a->e;
}

static int eval_synth(struct tester *t, const char *dir, FILE *out)
{
    struct counts c[BW_PII__N];
    size_t len, i, k;
    char *buf = slurp(dir, "presidio_research_synth_dev.json", &len);
    cJSON *root, *rec;
    struct span gold[64], pred[256];
    unsigned ndocs = 0;

    if (buf == NULL)
        return BW_EIO;
    root = cJSON_Parse(buf);
    free(buf);
    if (root == NULL || !cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return BW_EFORMAT;
    }
    memset(c, 0, sizeof(c));
    cJSON_ArrayForEach(rec, root)
    {
        const cJSON *txt = cJSON_GetObjectItemCaseSensitive(rec, "full_text");
        const cJSON *spans = cJSON_GetObjectItemCaseSensitive(rec, "spans"), *sp;
        size_t ng = 0, np = 0, tl;
        const char *s;

        if (!cJSON_IsString(txt))
            continue;
        s = txt->valuestring;
        tl = strlen(s);
        ndocs++;
        cJSON_ArrayForEach(sp, spans)
        {
            const cJSON *et = cJSON_GetObjectItemCaseSensitive(sp, "entity_type");
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(sp, "start_position");
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(sp, "end_position");
            int ty;
            if (!cJSON_IsString(et) || !cJSON_IsNumber(a) || !cJSON_IsNumber(b) || ng >= 64)
                continue;
            if ((ty = map_type(et->valuestring)) < 0)
                continue;
            gold[ng].type = ty;
            gold[ng].s = cp2byte(s, tl, (size_t)a->valuedouble);
            gold[ng].e = cp2byte(s, tl, (size_t)b->valuedouble);
            gold[ng].hit = 0;
            ng++;
        }
        if (run(t, s, tl) != 0)
            continue;
        for (k = 0; k < t->w.nf && np < 256; k++) {
            const struct bw_finding *f = &t->w.f[k];
            if (f->policy != BW_POL_PII)
                continue;
            pred[np].type = f->type;
            pred[np].s = f->start;
            pred[np].e = f->end;
            pred[np].hit = 0;
            np++;
        }
        for (i = 0; i < ng; i++) {
            c[gold[i].type].gold++;
            for (k = 0; k < np; k++)
                if (overlaps(&gold[i], &pred[k])) {
                    gold[i].hit = 1;
                    if (gold[i].s == pred[k].s && gold[i].e == pred[k].e)
                        c[gold[i].type].exact++;
                }
            c[gold[i].type].gold_hit += (unsigned)gold[i].hit;
            if (!gold[i].hit && getenv("BW_EVAL_VERBOSE"))
                fprintf(out, "  MISS %s \"%.*s\"\n", bw_pii_name(gold[i].type), (int)(gold[i].e - gold[i].s), s + gold[i].s);
        }
        for (k = 0; k < np; k++) {
            c[pred[k].type].pred++;
            for (i = 0; i < ng; i++)
                if (overlaps(&gold[i], &pred[k]))
                    pred[k].hit = 1;
            c[pred[k].type].pred_ok += (unsigned)pred[k].hit;
            if (!pred[k].hit && getenv("BW_EVAL_VERBOSE"))
                fprintf(out, "  FP %s \"%.*s\"\n", bw_pii_name(pred[k].type), (int)(pred[k].e - pred[k].s), s + pred[k].s);
        }
    }
    cJSON_Delete(root);
    fprintf(out, "== presidio-research synth dev (%u texts); overlap match; F1-exact: the same with exact spans\n",
            ndocs);
    fprintf(out, "%-40s %6s %6s %7s %7s %7s %9s\n", "entity", "gold", "pred", "P", "R", "F1", "F1-exact");
    for (i = 0; i < BW_PII__N; i++) {
        double p, r, f1, pe, re, fe;
        if (c[i].gold == 0 && c[i].pred == 0)
            continue;
        p = c[i].pred ? (double)c[i].pred_ok / c[i].pred : 0;
        r = c[i].gold ? (double)c[i].gold_hit / c[i].gold : 0;
        f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        pe = c[i].pred ? (double)c[i].exact / c[i].pred : 0;
        re = c[i].gold ? (double)c[i].exact / c[i].gold : 0;
        fe = pe + re > 0 ? 2 * pe * re / (pe + re) : 0;
        if (c[i].gold == 0)
            fprintf(out, "%-40s %6u %6u %7s %7s %7s %9s   (no gold: every prediction is a false positive)\n",
                    bw_pii_name((int)i), c[i].gold, c[i].pred, "-", "-", "-", "-");
        else {
            fprintf(out, "%-40s %6u %6u %7.3f %7.3f %7.3f %9.3f\n", bw_pii_name((int)i), c[i].gold, c[i].pred, p, r,
                    f1, fe);
        }
    }
    return 0;
}

/* The expected spans of a recogniser case: expected_positions or expected_res. */
static size_t case_spans(const cJSON *cs, const char *text, size_t tl, struct span *sp, size_t cap, int type)
{
    const cJSON *pos = cJSON_GetObjectItemCaseSensitive(cs, "expected_positions"), *p;
    size_t n = 0;

    if (!cJSON_IsArray(pos))
        pos = cJSON_GetObjectItemCaseSensitive(cs, "expected_res");
    cJSON_ArrayForEach(p, pos)
    {
        const cJSON *a = cJSON_GetArrayItem(p, 0), *b = cJSON_GetArrayItem(p, 1);
        if (n < cap && cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
            sp[n].type = type;
            sp[n].s = cp2byte(text, tl, (size_t)a->valuedouble);
            sp[n].e = cp2byte(text, tl, (size_t)b->valuedouble);
            n++;
        }
    }
    return n;
}

/* Did Presidio score this case at or below 0.15 ("very weak", context needed)? */
static int weak_case(const cJSON *cs)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(cs, "expected_score_ranges"), *r;
    double hi = -1;

    cJSON_ArrayForEach(r, x)
    {
        const cJSON *b = cJSON_GetArrayItem(r, 1);
        if (cJSON_IsNumber(b) && b->valuedouble > hi)
            hi = b->valuedouble;
        else if (cJSON_IsString(b))
            hi = 1;
    }
    x = cJSON_GetObjectItemCaseSensitive(cs, "expected_score");
    if (cJSON_IsNumber(x) && x->valuedouble > hi)
        hi = x->valuedouble;
    return hi >= 0 && hi <= 0.15;
}

static int eval_cases(struct tester *t, const char *dir, FILE *out)
{
    size_t len, f;
    char *buf = slurp(dir, "presidio_analyzer_recognizer_cases.jsonl", &len), *line, *save = NULL;
    unsigned tot[BW_NELEMS(rec_files)], ok[BW_NELEMS(rec_files)], wtot[BW_NELEMS(rec_files)],
        wok[BW_NELEMS(rec_files)];
    unsigned all = 0, allok = 0, strong = 0, strongok = 0;

    if (buf == NULL)
        return BW_EIO;
    memset(tot, 0, sizeof(tot));
    memset(ok, 0, sizeof(ok));
    memset(wtot, 0, sizeof(wtot));
    memset(wok, 0, sizeof(wok));
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *tf = cJSON_GetObjectItemCaseSensitive(j, "test_file");
        const cJSON *cs = cJSON_GetObjectItemCaseSensitive(j, "case");
        const cJSON *tx = cJSON_GetObjectItemCaseSensitive(cs, "text");
        struct span exp[16];
        size_t ne, k, i, tl, got = 0, match = 0;
        int weak, pass;

        if (!cJSON_IsString(tx)) /* the IBAN tests name their text "iban" */
            tx = cJSON_GetObjectItemCaseSensitive(cs, "iban");
        if (!cJSON_IsString(tf) || !cJSON_IsString(tx)) {
            cJSON_Delete(j);
            continue;
        }
        for (f = 0; f < BW_NELEMS(rec_files); f++)
            if (strcmp(rec_files[f].file, tf->valuestring) == 0)
                break;
        if (f == BW_NELEMS(rec_files)) {
            cJSON_Delete(j);
            continue;
        }
        tl = strlen(tx->valuestring);
        ne = case_spans(cs, tx->valuestring, tl, exp, 16, rec_files[f].type);
        weak = weak_case(cs);
        if (run(t, tx->valuestring, tl) != 0) {
            cJSON_Delete(j);
            continue;
        }
        for (k = 0; k < t->w.nf; k++) {
            const struct bw_finding *fi = &t->w.f[k];
            if (fi->policy != BW_POL_PII || fi->type != rec_files[f].type)
                continue;
            got++;
            for (i = 0; i < ne; i++)
                if (exp[i].s == fi->start && exp[i].e == fi->end)
                    match++;
        }
        pass = got == ne && match == ne;
        if (!pass && getenv("BW_EVAL_VERBOSE")) {
            fprintf(out, "  FAIL %s: \"%s\" expected %zu, got", rec_files[f].file, tx->valuestring, ne);
            for (k = 0; k < t->w.nf; k++)
                if (t->w.f[k].type == rec_files[f].type)
                    fprintf(out, " [%u,%u)", t->w.f[k].start, t->w.f[k].end);
            fprintf(out, "\n");
        }
        if (weak) {
            wtot[f]++;
            wok[f] += (unsigned)pass;
        } else {
            tot[f]++;
            ok[f] += (unsigned)pass;
            strong++;
            strongok += (unsigned)pass;
        }
        all++;
        allok += (unsigned)pass;
        cJSON_Delete(j);
    }
    free(buf);
    fprintf(out, "\n== Presidio recogniser test cases (exact spans of the tested type)\n");
    fprintf(out, "%-40s %-30s %9s %16s\n", "test file", "bedrock type", "pass", "very-weak cases");
    for (f = 0; f < BW_NELEMS(rec_files); f++) {
        char a[32], b[32];
        snprintf(a, sizeof(a), "%u/%u", ok[f], tot[f]);
        snprintf(b, sizeof(b), "%u/%u", wok[f], wtot[f]);
        fprintf(out, "%-40s %-30.30s %9s %16s\n", rec_files[f].file, bw_pii_name(rec_files[f].type), a, b);
    }
    fprintf(out, "all cases: %u/%u (%.1f%%); without very-weak cases: %u/%u (%.1f%%)\n", allok, all,
            all ? 100.0 * allok / all : 0, strongok, strong, strong ? 100.0 * strongok / strong : 0);
    return 0;
}

static int eval_stdnum(struct tester *t, const char *dir, FILE *out)
{
    static const char *const mods[] = {"iban", "bic", "utr"};
    size_t len, m;
    char *buf = slurp(dir, "stdnum_number_cases.tsv", &len), *line, *save = NULL;
    unsigned tot[3] = {0}, ok[3] = {0}, det[3] = {0}, dettot[3] = {0};

    if (buf == NULL)
        return BW_EIO;
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab1 = strchr(line, '\t'), *tab2, *tab3;
        char comp[80];
        size_t n = 0, i;
        int expect, got = 0;

        if (!tab1 || !(tab2 = strchr(tab1 + 1, '\t')) || !(tab3 = strchr(tab2 + 1, '\t')))
            continue;
        *tab1 = *tab2 = *tab3 = '\0';
        for (m = 0; m < 3; m++)
            if (strcmp(line, mods[m]) == 0)
                break;
        if (m == 3 || (m == 2 && strstr(tab3 + 1, "gb_utr") == NULL))
            continue;
        expect = tab2[1] == '1';
        for (i = 0; tab1[1 + i] && n + 1 < sizeof(comp); i++) {
            char c = tab1[1 + i];
            if (c == ' ' || c == '-' || c == '.')
                continue;
            comp[n++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
        }
        comp[n] = '\0';
        if (m == 0)
            got = bw_pii_iban_valid(comp, n);
        else if (m == 1)
            got = bw_pii_bic_valid(comp, n);
        else
            got = bw_pii_utr_valid(comp, n);
        tot[m]++;
        ok[m] += (unsigned)(got == expect);
        if (got != expect && getenv("BW_EVAL_VERBOSE"))
            fprintf(out, "  FAIL stdnum %s %s expected %d\n", mods[m], tab1 + 1, expect);
        /* end to end: the number as written, after its context word */
        if (expect) {
            char text[160];
            size_t k, tl;
            int ty = m == 0 ? BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER : m == 1 ? BW_PII_SWIFT_CODE
                                                                                : BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER;
            tl = (size_t)snprintf(text, sizeof(text), "%s: %s.", m == 0 ? "IBAN" : m == 1 ? "SWIFT" : "UTR", tab1 + 1);
            dettot[m]++;
            if (tl < sizeof(text) && run(t, text, tl) == 0) {
                for (k = 0; k < t->w.nf; k++)
                    if (t->w.f[k].type == ty) {
                        det[m]++;
                        break;
                    }
                if (k == t->w.nf && getenv("BW_EVAL_VERBOSE"))
                    fprintf(out, "  MISS stdnum %s \"%s\"\n", mods[m], text);
            }
        }
    }
    free(buf);
    fprintf(out, "\n== python-stdnum vectors (validator verdict; detection of the valid ones in \"TYPE: number.\")\n");
    for (m = 0; m < 3; m++)
        fprintf(out, "%-6s validator %u/%u (%.1f%%)   detected %u/%u\n", mods[m], ok[m], tot[m],
                tot[m] ? 100.0 * ok[m] / tot[m] : 0, det[m], dettot[m]);
    return 0;
}

int bw_eval_pii(const char *shared_data_dir, FILE *out)
{
    struct tester t;
    int rv;

    if ((rv = tester_init(&t)) != 0)
        return rv;
    if ((rv = eval_synth(&t, shared_data_dir, out)) == 0 && (rv = eval_cases(&t, shared_data_dir, out)) == 0)
        rv = eval_stdnum(&t, shared_data_dir, out);
    tester_free(&t);
    return rv;
}
