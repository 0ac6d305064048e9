/*
 * pii_bench.c: latency and throughput of the PII recogniser, alone and in
 * a default-like guardrail (about 1,600 profanity words + all 31 PII types
 * + 5 custom regexes in one matcher), beside the raw Hyperscan scan of the
 * same database (bw_matcher_scan_raw), on 4 KB bodies of English chat text.
 *
 * The word and regex modules are not part of this tool's dependencies: a
 * stand-in module adds the same patterns (words as caseless literals at
 * word boundaries, regexes as user patterns) and only counts its matches,
 * so the figures are the scan plus the PII recogniser's own work.
 *
 * Build by hand from the repository root:
 *   cc -O2 -I. tests/bench/pii_bench.c build/libbulwark.a \
 *      $(pkg-config --libs libhs libpcre2-8 libcjson libutf8proc) -lm -o build/pii_bench
 *   build/pii_bench ../shared [rounds] [pii|words|all|direct|guardrail [FILE]]
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/engine.h"
#include "filters/errs.h"
#include "filters/norm.h"
#include "pii/context.h"
#include "pii/pii.h"
#include "policies/guardrail.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* ---- stand-in for the word and regex modules ---- */

struct words_conf {
    char **w;
    size_t n;
};

static unsigned long long word_hits;

static int w_compile(const void *conf, int dir, struct bw_mbuild *mb, uint16_t mod, void **st, struct bw_errs *errs)
{
    static const char *const regexes[] = {
        "EMP-\\d{6}",                     /* employee id */
        "\\bORD[0-9]{8}\\b",              /* order number */
        "sk-[A-Za-z0-9]{32}",             /* an API token */
        "\\b[a-z]+\\.corp\\.example\\.com", /* internal host */
        "PRJ-[A-Z]{3}-\\d{4}",            /* project code */
    };
    const struct words_conf *c = conf;
    struct bw_pat_err perr;
    size_t i;
    char buf[512];

    (void)dir;
    (void)errs;
    for (i = 0; i < c->n; i++) {
        /* word boundaries as the word module writes them */
        size_t k, o = 0;
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\b");
        for (k = 0; c->w[i][k] && o + 5 < sizeof(buf); k++) {
            unsigned char ch = (unsigned char)c->w[i][k];
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch >= 0x80)
                buf[o++] = (char)ch;
            else
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", ch);
        }
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\b");
        if (bw_mbuild_add(mb, mod, (uint32_t)i, buf, o, BW_PAT_CASELESS, &perr) < 0)
            return BW_ECOMPILE;
    }
    for (i = 0; i < sizeof(regexes) / sizeof(regexes[0]); i++)
        if (bw_mbuild_add(mb, mod, (uint32_t)(100000 + i), regexes[i], strlen(regexes[i]), BW_PAT_USER, &perr) < 0) {
            fprintf(stderr, "regex %zu: %s\n", i, perr.msg);
            return BW_ECOMPILE;
        }
    *st = (void *)c;
    return 0;
}

static int w_match(const void *st, struct bw_eval *ev, void *es, uint32_t item, size_t from, size_t to)
{
    (void)st;
    (void)ev;
    (void)es;
    (void)item;
    (void)from;
    (void)to;
    word_hits++;
    return 0;
}

static const struct bw_module_ops words_standin = {
    .name = "words-standin",
    .policy = BW_POL_WORD,
    .compile = w_compile,
    .on_match = w_match,
};

/* ---- corpus ---- */

struct body {
    const char *s;
    size_t n;
};

/* Cuts text into 4 KB bodies at UTF-8 character boundaries. */
static size_t cut(const char *t, size_t n, struct body *b, size_t cap)
{
    size_t o = 0, k = 0;

    while (o + 4096 <= n && k < cap) {
        size_t e = o + 4096;
        while (e > o && ((unsigned char)t[e] & 0xc0) == 0x80)
            e--;
        b[k].s = t + o;
        b[k].n = e - o;
        k++;
        o = e;
    }
    return k;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int noemit(void *ctx, int type, size_t from, size_t to, int score)
{
    (void)ctx;
    (void)type;
    (void)from;
    (void)to;
    (void)score;
    return 0;
}

/* The NAME and ADDRESS walks alone (they run in begin_block, before the scan): median us per body. */
static void walks(const struct body *b, size_t nb, int rounds)
{
    double *ln = malloc(sizeof(double) * nb * (size_t)rounds), *la = malloc(sizeof(double) * nb * (size_t)rounds), t0;
    size_t i, k = 0;
    int r;

    for (r = 0; r < rounds; r++)
        for (i = 0; i < nb; i++, k++) {
            t0 = now_us();
            bw_pii_names_scan(b[i].s, b[i].n, noemit, NULL);
            ln[k] = now_us() - t0;
            t0 = now_us();
            bw_pii_walk(b[i].s, b[i].n, 1, 1, noemit, NULL); /* what begin_block runs */
            la[k] = now_us() - t0;
        }
    qsort(ln, k, sizeof(double), cmpd);
    qsort(la, k, sizeof(double), cmpd);
    printf("%-34s NAME alone median %.2f us/body; NAME + ADDRESS (begin_block) median %.2f us/body\n", "walks",
           ln[k / 2], la[k / 2]);
    free(ln);
    free(la);
}

static int build(struct bw_engine **e, const struct bw_pii_conf *pc, const struct words_conf *wc)
{
    struct bw_errs errs;
    int rv;

    bw_errs_init(&errs, NULL);
    if ((rv = bw_engine_new(BW_DIR_INPUT, e)) == 0 && wc)
        rv = bw_engine_add(*e, &words_standin, wc, &errs);
    if (rv == 0 && pc)
        rv = bw_engine_add(*e, &bw_pii_module, pc, &errs);
    if (rv == 0)
        rv = bw_engine_compile(*e, BW_MATCHER_BLOCK, &errs);
    if (rv)
        bw_errs_print(&errs, stderr);
    bw_errs_free(&errs);
    return rv;
}

/*
 * Per body, the fastest of `rounds` evaluations and the fastest of as many
 * raw scans, interleaved so that noise from other processes on the machine
 * hits both alike; reported: the median and p99 over bodies of those
 * minima, throughput from their sums, and eval/raw as the share of the raw
 * scan speed the full evaluation keeps.
 */
static void measure(const char *label, struct bw_engine *e, const struct body *b, size_t nb, int rounds)
{
    struct bw_worker w;
    double *ev = malloc(sizeof(double) * nb), *rw = malloc(sizeof(double) * nb), t0, t, sev = 0, srw = 0, res_us;
    size_t i, bytes = 0, findings = 0;
    unsigned long long nm = 0;
    int r;

    bw_worker_init(&w);
    for (i = 0; i < nb; i++) {
        struct bw_block blk = {b[i].s, b[i].n, 0};
        ev[i] = rw[i] = 1e18;
        bw_engine_eval(e, &w, &blk, 1, NULL, NULL); /* warm up */
        findings += w.nf;
        bytes += b[i].n;
    }
    for (r = 0; r < rounds; r++)
        for (i = 0; i < nb; i++) {
            struct bw_block blk = {b[i].s, b[i].n, 0};
            t0 = now_us();
            bw_engine_eval(e, &w, &blk, 1, NULL, NULL);
            t = now_us() - t0;
            if (t < ev[i])
                ev[i] = t;
            /* raw Hyperscan over the same text (ASCII bodies are their own view) */
            t0 = now_us();
            bw_matcher_scan_raw(bw_engine_matcher(e), w.scratch, b[i].s, b[i].n, &nm);
            t = now_us() - t0;
            if (t < rw[i])
                rw[i] = t;
        }
    for (i = 0; i < nb; i++) {
        sev += ev[i];
        srw += rw[i];
    }
    /* the engine reserves matcher scratch on every evaluation: measure that alone */
    t0 = now_us();
    for (i = 0; i < 2000; i++)
        bw_mscratch_reserve(&w.scratch, bw_engine_matcher(e));
    res_us = (now_us() - t0) / 2000;
    {
        /* the same over the pure-ASCII bodies, where the view costs nothing (see bw_norm_run above) */
        double *ea = malloc(sizeof(double) * nb), *ra = malloc(sizeof(double) * nb), se = 0, sr = 0;
        size_t na = 0;
        for (i = 0; i < nb; i++)
            if (bw_is_ascii(b[i].s, b[i].n)) {
                ea[na] = ev[i];
                ra[na++] = rw[i];
                se += ev[i];
                sr += rw[i];
            }
        qsort(ea, na, sizeof(double), cmpd);
        qsort(ra, na, sizeof(double), cmpd);
        if (na)
            printf("%-34s ASCII bodies (%zu): eval median %6.2f us p99 %6.2f us | raw median %5.2f us | eval keeps %3.0f%% "
                   "of raw\n",
                   label, na, ea[na / 2], ea[na * 99 / 100], ra[na / 2], 100.0 * sr / se);
        free(ea);
        free(ra);
    }
    qsort(ev, nb, sizeof(double), cmpd);
    qsort(rw, nb, sizeof(double), cmpd);
    printf("%-34s eval median %6.2f us p99 %6.2f us %6.1f MB/s | raw scan median %5.2f us %6.1f MB/s | eval keeps "
           "%3.0f%% of raw | findings/body %.1f\n"
           "%-34s   of the eval: engine's per-eval hs_alloc_scratch %.2f us -> eval median without it %.2f us "
           "(keeps %.0f%% of raw)\n",
           label, ev[nb / 2], ev[nb * 99 / 100], (double)bytes / sev, rw[nb / 2], (double)bytes / srw,
           100.0 * srw / sev, (double)findings / (double)nb, "", res_us, ev[nb / 2] - res_us,
           100.0 * srw / (sev - res_us * (double)nb));
    free(ev);
    free(rw);
    bw_worker_free(&w);
}

/*
 * The same work without the engine's per-evaluation overheads (see the
 * report): one matcher holding the PII patterns (and the word stand-in's),
 * one scratch reserved once, the module's begin_block / on_match /
 * end_block called directly. This is what the PII recogniser itself costs.
 */
struct direct {
    struct bw_eval *ev;
    const void *pst;
    void *pes;
};

static int d_match(void *ctx, uint16_t module, uint32_t item, size_t from, size_t to)
{
    struct direct *d = ctx;

    if (module == 1 || d->pst == NULL) {
        word_hits++;
        return 0;
    }
    return bw_pii_module.on_match(d->pst, d->ev, d->pes, item, from, to);
}

static void measure_direct(const char *label, const struct bw_pii_conf *pc, const struct words_conf *wc,
                           const struct body *b, size_t nb, int rounds)
{
    struct bw_mbuild *mb = NULL;
    struct bw_matcher *m = NULL;
    struct bw_mscratch *scr = NULL;
    struct bw_worker w;
    struct bw_norm nm;
    struct bw_pat_err perr;
    struct bw_errs errs;
    void *pst = NULL, *wst = NULL, *pes;
    double *ev = malloc(sizeof(double) * nb), *rw = malloc(sizeof(double) * nb), t0, t, se = 0, sr = 0;
    double *ea = malloc(sizeof(double) * nb), *ra = malloc(sizeof(double) * nb), sea = 0, sra = 0;
    size_t i, na = 0, bytes = 0;
    unsigned long long nmatch = 0;
    int r;

    bw_errs_init(&errs, NULL);
    bw_mbuild_new(&mb);
    if (bw_pii_module.compile(pc, BW_DIR_INPUT, mb, 0, &pst, &errs) != 0 ||
        (wc && w_compile(wc, BW_DIR_INPUT, mb, 1, &wst, &errs) != 0) ||
        bw_mbuild_compile(mb, BW_MATCHER_BLOCK, &m, &perr) != 0) {
        fprintf(stderr, "%s: compile failed\n", label);
        return;
    }
    bw_mbuild_free(mb);
    bw_mscratch_reserve(&scr, m);
    bw_worker_init(&w);
    bw_norm_init(&nm);
    pes = malloc(bw_pii_module.scratch_size(pst) + 1);
    for (i = 0; i < nb; i++) {
        ev[i] = rw[i] = 1e18;
        bytes += b[i].n;
    }
    for (r = 0; r < rounds + 1; r++)
        for (i = 0; i < nb; i++) {
            struct bw_text tx;
            struct bw_eval e;
            struct direct d;
            t0 = now_us();
            bw_norm_run(&nm, b[i].s, b[i].n);
            tx.orig = b[i].s;
            tx.orig_len = b[i].n;
            tx.view = nm.text;
            tx.len = nm.len;
            tx.map = nm.map;
            memset(&e, 0, sizeof(e));
            e.dir = BW_DIR_INPUT;
            e.texts = &tx;
            e.ntexts = 1;
            e.text = &tx;
            e.w = &w;
            w.nf = 0;
            bw_arena_reset(&w.arena); /* the module takes its candidates from it */
            memset(pes, 0, bw_pii_module.scratch_size(pst));
            d.ev = &e;
            d.pst = pst;
            d.pes = pes;
            if (pst)
                bw_pii_module.begin_block(pst, &e, pes);
            bw_matcher_scan(m, scr, tx.view, tx.len, d_match, &d);
            if (pst)
                bw_pii_module.end_block(pst, &e, pes);
            t = now_us() - t0;
            if (r && t < ev[i])
                ev[i] = t;
            t0 = now_us();
            bw_matcher_scan_raw(m, scr, b[i].s, b[i].n, &nmatch);
            t = now_us() - t0;
            if (r && t < rw[i])
                rw[i] = t;
        }
    for (i = 0; i < nb; i++) {
        se += ev[i];
        sr += rw[i];
        if (bw_is_ascii(b[i].s, b[i].n)) {
            ea[na] = ev[i];
            ra[na++] = rw[i];
            sea += ev[i];
            sra += rw[i];
        }
    }
    qsort(ev, nb, sizeof(double), cmpd);
    qsort(rw, nb, sizeof(double), cmpd);
    qsort(ea, na, sizeof(double), cmpd);
    qsort(ra, na, sizeof(double), cmpd);
    printf("%-34s all %zu bodies: median %6.2f us p99 %6.2f us %6.1f MB/s | raw %5.2f us %6.1f MB/s | keeps %3.0f%% of raw\n",
           label, nb, ev[nb / 2], ev[nb * 99 / 100], (double)bytes / se, rw[nb / 2], (double)bytes / sr, 100.0 * sr / se);
    if (na)
        printf("%-34s ASCII %zu bodies: median %6.2f us p99 %6.2f us | raw %5.2f us | keeps %3.0f%% of raw\n", "", na,
               ea[na / 2], ea[na * 99 / 100], ra[na / 2], 100.0 * sra / sea);
    if (pst)
        bw_pii_module.free(pst);
    free(pes);
    bw_norm_free(&nm);
    bw_worker_free(&w);
    bw_mscratch_free(scr);
    bw_matcher_free(m);
    bw_errs_free(&errs);
    free(ev);
    free(rw);
    free(ea);
    free(ra);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared";
    int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 20;
    char path[4096], *txt, *csv, *p;
    size_t tl, cl, nb, i, cap = 0;
    struct body *bodies;
    struct words_conf wc = {NULL, 0};
    struct bw_pii_item items[BW_PII__N];
    struct bw_pii_conf pc = {items, BW_PII__N};
    struct bw_engine *e_pii = NULL, *e_all = NULL, *e_words = NULL;
    char *corpus;
    const char *only;
    size_t clen = 0;

    if (rounds < 1)
        rounds = 1;
    /* corpus: HaluEval user queries and answers, as chat prompts would read */
    snprintf(path, sizeof(path), "%s/data/benign/halueval_general_dev.jsonl", dir);
    if ((txt = slurp(path, &tl)) == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    corpus = malloc(tl);
    for (p = strtok(txt, "\n"); p; p = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(p);
        const char *keys[] = {"user_query", "chatgpt_response"};
        /* BW_BENCH_PROMPTS=1: the user queries only, prompts as a user writes them */
        for (i = 0; i < (getenv("BW_BENCH_PROMPTS") ? 1u : 2u); i++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
            if (cJSON_IsString(x)) {
                size_t n = strlen(x->valuestring);
                memcpy(corpus + clen, x->valuestring, n);
                clen += n;
                corpus[clen++] = '\n';
            }
        }
        cJSON_Delete(j);
    }
    bodies = malloc(sizeof(*bodies) * (clen / 4096 + 1));
    nb = cut(corpus, clen, bodies, clen / 4096 + 1);

    /* word list: the first column of surge-ai's profanity list */
    snprintf(path, sizeof(path), "%s/data/wordlists/surge_profanity_en.csv", dir);
    if ((csv = slurp(path, &cl)) == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    for (p = strtok(csv, "\n"), p = strtok(NULL, "\n"); p; p = strtok(NULL, "\n")) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p == '\0')
            continue;
        if (wc.n == cap) {
            cap = cap ? cap * 2 : 1024;
            wc.w = realloc(wc.w, cap * sizeof(char *));
        }
        wc.w[wc.n++] = p;
    }
    for (i = 0; i < BW_PII__N; i++) {
        items[i].type = (int)i;
        items[i].ac.action[0] = items[i].ac.action[1] = BW_ACT_ANONYMIZE;
        items[i].ac.enabled[0] = items[i].ac.enabled[1] = 1;
    }
    only = argc > 3 ? argv[3] : "";
    if (((!*only || !strcmp(only, "pii") || !strcmp(only, "none")) && build(&e_pii, &pc, NULL)) ||
        ((!*only || !strcmp(only, "all")) && build(&e_all, &pc, &wc)) ||
        ((!*only || !strcmp(only, "words")) && build(&e_words, NULL, &wc))) {
        fprintf(stderr, "compile failed\n");
        return 1;
    }
    printf("corpus: %zu bodies of ~4 KB (HaluEval general), %d rounds; %zu words + 5 regexes\n", nb, rounds, wc.n);
    if (strcmp(only, "nowalk") != 0 && strncmp(only, "direct", 6) != 0 && strcmp(only, "guardrail") != 0)
        walks(bodies, nb, rounds);
    {
        /* the engine's normalised view alone */
        struct bw_norm nm;
        double *l = malloc(sizeof(double) * nb), t0;
        bw_norm_init(&nm);
        for (i = 0; i < nb; i++) {
            t0 = now_us();
            bw_norm_run(&nm, bodies[i].s, bodies[i].n);
            l[i] = now_us() - t0;
        }
        {
            size_t na = 0;
            double sa = 0, sn = 0;
            for (i = 0; i < nb; i++) {
                if (bw_is_ascii(bodies[i].s, bodies[i].n))
                    na++, sa += l[i];
                else
                    sn += l[i];
            }
            qsort(l, nb, sizeof(double), cmpd);
            printf("%-34s median %.2f us/body; mean %.2f us on the %zu ASCII bodies, %.2f us on the %zu others\n",
                   "normalised view (bw_norm_run)", l[nb / 2], na ? sa / (double)na : 0, na,
                   nb > na ? sn / (double)(nb - na) : 0, nb - na);
        }
        bw_norm_free(&nm);
        free(l);
    }
    if (!*only || !strcmp(only, "guardrail")) {
        /* the real thing: a guardrail file through the engine, as apply() runs it */
        const char *gf = argc > 4 ? argv[4] : "conf/guardrails/default.json";
        struct bw_guardrail *g = NULL;
        struct bw_errs errs;
        char label[128];
        bw_errs_init(&errs, gf);
        if (bw_guardrail_load(gf, NULL, NULL, &g, &errs) == 0 && g->eng[BW_DIR_INPUT]) {
            snprintf(label, sizeof(label), "guardrail %s (input)", gf);
            measure(label, g->eng[BW_DIR_INPUT], bodies, nb, rounds);
            bw_guardrail_unref(g);
        } else {
            bw_errs_print(&errs, stderr);
        }
        bw_errs_free(&errs);
    }
    if (!strcmp(only, "direct-nowalk") || !strcmp(only, "direct-walk")) {
        if (!strcmp(only, "direct-nowalk"))
            items[BW_PII_NAME].ac.enabled[0] = items[BW_PII_ADDRESS].ac.enabled[0] = 0;
        measure_direct(only, &pc, NULL, bodies, nb, rounds);
        items[BW_PII_NAME].ac.enabled[0] = items[BW_PII_ADDRESS].ac.enabled[0] = 1;
    }
    if (!*only || !strcmp(only, "direct")) {
        printf("-- direct (module only, no engine overhead; the view included) --\n");
        measure_direct("direct: PII (31 types)", &pc, NULL, bodies, nb, rounds);
        measure_direct("direct: words + regexes + PII", &pc, &wc, bodies, nb, rounds);
        items[BW_PII_NAME].ac.enabled[0] = items[BW_PII_ADDRESS].ac.enabled[0] = 0;
        measure_direct("direct: PII without NAME, ADDRESS", &pc, NULL, bodies, nb, rounds);
        measure_direct("direct: words+regexes+PII w/o NAME,ADDR", &pc, &wc, bodies, nb, rounds);
        items[BW_PII_NAME].ac.enabled[0] = items[BW_PII_ADDRESS].ac.enabled[0] = 1;
        {
            struct bw_pii_item none = items[0];
            struct bw_pii_conf nc = {&none, 0};
            measure_direct("direct: words + regexes only", &nc, &wc, bodies, nb, rounds);
        }
    }
    if (!*only || !strcmp(only, "nowalk")) {
        /* the engine's fixed cost per evaluation: one rare literal pattern, no work in callbacks */
        struct bw_engine *e_min = NULL;
        struct bw_pii_item one = items[BW_PII_AWS_ACCESS_KEY];
        struct bw_pii_conf oc = {&one, 1};
        one.type = BW_PII_AWS_ACCESS_KEY;
        if (build(&e_min, &oc, NULL) == 0)
            measure("engine floor (AWS access key only)", e_min, bodies, nb, rounds);
        bw_engine_free(e_min);
    }
    if (!*only || !strcmp(only, "pii") || !strcmp(only, "nowalk")) {
        struct bw_engine *e_nw = NULL;
        items[BW_PII_NAME].ac.enabled[0] = items[BW_PII_ADDRESS].ac.enabled[0] = 0;
        if (build(&e_nw, &pc, NULL) == 0)
            measure("PII without NAME, ADDRESS", e_nw, bodies, nb, rounds);
        items[BW_PII_NAME].ac.enabled[0] = items[BW_PII_ADDRESS].ac.enabled[0] = 1;
        bw_engine_free(e_nw);
    }
    if (e_pii && (!*only || strcmp(only, "pii") == 0))
        measure("PII (31 types) alone", e_pii, bodies, nb, rounds);
    if (!*only || strcmp(only, "words") == 0)
        measure("words + regexes (stand-in) alone", e_words, bodies, nb, rounds);
    if (!*only || strcmp(only, "all") == 0)
        measure("default: words + regexes + PII", e_all, bodies, nb, rounds);
    bw_engine_free(e_pii);
    bw_engine_free(e_all);
    bw_engine_free(e_words);
    free(bodies);
    free(corpus);
    free(txt);
    free(csv);
    free(wc.w);
    return 0;
}
