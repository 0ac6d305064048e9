/*
 * cls_bench.c: latency of the statistical policies on one core: content
 * filters (all six categories), three denied topics and contextual
 * grounding, evaluated together on a 4 KB text, through the engine as a
 * guardrail runs them. Prints the median and the 90th percentile of each
 * policy alone and of all together, and, apart, what one call of
 * bw_mscratch_reserve() costs: bw_engine_eval() re-reserves the Hyperscan
 * scratch on every call, which Hyperscan does not make cheap for a large
 * database (filters/engine.c; docs/classifiers.md).
 *
 * Each row is printed beside its reference, measured in the same run: the
 * raw Hyperscan pass (bw_matcher_scan_raw) over the lexicons' database (a
 * row's own engine when it has the content filters, else the last such
 * row's) and the same text, so that a busy machine shows in both figures.
 *
 * Built by `make bench` (build/bench/cls_bench) and run there by
 * tests/bench/cls.sh, on the built-in chat text and on
 * tests/bench/data/prompt4k.txt (prose):
 *   taskset -c 1 build/bench/cls_bench [ITERATIONS] [TEXT_FILE]
 * CLS_CASE=k (0..3) runs only row k, for profiling one policy
 * (valgrind --tool=callgrind --toggle-collect=bw_engine_eval).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/content.h"
#include "filters/engine.h"
#include "filters/errs.h"
#include "filters/grounding.h"
#include "filters/topics.h"

/* chat-like English, repeated to 4 KB */
static const char para[] =
    "Hello! I am planning a trip to Portugal next spring with my family and I would like some help. "
    "We want to visit Lisbon and Porto, and maybe spend a few days on the coast in the Algarve. "
    "Could you suggest an itinerary for ten days, with a budget of about 3,000 euros for four people? "
    "My daughter loves museums and my son is into surfing, so something for both would be great. "
    "Also, what is the best way to travel between the cities: train, bus or a rented car? "
    "Please include a few restaurants that serve traditional food, and tell me which dishes to try. ";

static const char *const ex1[] = {"What dose of ibuprofen should I take for my back pain?",
                                  "Should I stop taking my blood pressure pills?"};
static const char *const ex2[] = {"My landlord kept my deposit, can I take him to court?",
                                  "Do I need a lawyer to file for bankruptcy?"};
static const char *const ex3[] = {"Which stocks should I buy this year?", "Should I put my savings into bitcoin?"};
static const struct bw_topic_item topics[] = {
    {"Medical advice", "Diagnosing a person's illness or recommending medication or treatment.", ex1, 2, NULL, 0,
     {{1, 1}, {1, 1}}},
    {"Legal advice", "Guidance on a person's legal situation: lawsuits, rights, contracts, courts.", ex2, 2, NULL, 0,
     {{1, 1}, {1, 1}}},
    {"Financial advice", "Recommendations on investing or managing a person's money.", ex3, 2, NULL, 0,
     {{1, 1}, {1, 1}}},
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static struct bw_engine *build(int dir, const struct bw_content_conf *cc, const struct bw_topics_conf *tc,
                               const struct bw_grounding_conf *gc)
{
    struct bw_engine *e;
    struct bw_errs errs;

    bw_errs_init(&errs, "bench");
    if (bw_engine_new(dir, &e) != 0 || (cc && bw_engine_add(e, &bw_content_module, cc, &errs) != 0) ||
        (tc && bw_engine_add(e, &bw_topics_module, tc, &errs) != 0) ||
        (gc && bw_engine_add(e, &bw_grounding_module, gc, &errs) != 0) ||
        bw_engine_compile(e, BW_MATCHER_BLOCK, &errs) != 0) {
        bw_errs_print(&errs, stderr);
        exit(1);
    }
    bw_errs_free(&errs);
    return e;
}

static double run(const struct bw_engine *e, struct bw_worker *w, const struct bw_block *b, size_t nb, int iters,
                  double *p90)
{
    double *t = malloc(sizeof(double) * (size_t)iters), med;
    int i;

    for (i = 0; i < iters; i++) {
        double t0 = now();
        if (bw_engine_eval(e, w, b, nb, NULL, NULL) != 0)
            exit(1);
        t[i] = now() - t0;
    }
    qsort(t, (size_t)iters, sizeof(*t), cmp);
    med = t[iters / 2];
    *p90 = t[iters * 9 / 10];
    free(t);
    return med;
}

/*
 * The reference: the median of the raw Hyperscan pass over e's database and
 * the guarded text alone (no normalisation, no module), as many times.
 */
static double run_raw(const struct bw_engine *e, struct bw_worker *w, const char *text, size_t n, int iters)
{
    double *t = malloc(sizeof(double) * (size_t)iters), med;
    unsigned long long nm = 0;
    int i;

    for (i = 0; i < iters; i++) {
        double t0 = now();
        bw_matcher_scan_raw(bw_engine_matcher(e), w->scratch, text, n, &nm);
        t[i] = now() - t0;
    }
    qsort(t, (size_t)iters, sizeof(*t), cmp);
    med = t[iters / 2];
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 20000, c;
    struct bw_content_conf cc;
    struct bw_topics_conf tc = {topics, 3, 0};
    struct bw_grounding_conf gc;
    struct bw_engine *e;
    struct bw_worker w;
    char *text = malloc(8192), *src = malloc(8192);
    size_t n = 0;
    double med, p90, res, raw = 0;

    if (iters < 10)
        iters = 10;

    if (argc > 2) {
        FILE *f = fopen(argv[2], "rb");
        if (f == NULL || (n = fread(text, 1, 4096, f)) == 0)
            return 1;
        fclose(f);
    } else {
        while (n + sizeof(para) - 1 <= 4096) {
            memcpy(text + n, para, sizeof(para) - 1);
            n += sizeof(para) - 1;
        }
        memcpy(text + n, para, 4096 - n);
        n = 4096;
    }
    memcpy(src, text, n);
    memset(&cc, 0, sizeof(cc));
    for (c = 0; c < BW_CAT__N; c++) {
        struct bw_content_item *it = &cc.items[cc.n++];
        it->type = c;
        it->strength[0] = it->strength[1] = BW_CONF_MEDIUM;
        it->modalities[0] = it->modalities[1] = 1;
        it->ac.action[0] = it->ac.action[1] = BW_ACT_BLOCK;
        it->ac.enabled[0] = it->ac.enabled[1] = 1;
    }
    memset(&gc, 0, sizeof(gc));
    gc.items[0] = (struct bw_grounding_item){BW_GROUND_GROUNDING, 0.5, BW_ACT_BLOCK, 1};
    gc.items[1] = (struct bw_grounding_item){BW_GROUND_RELEVANCE, 0.5, BW_ACT_BLOCK, 1};
    gc.n = 2;
    bw_worker_init(&w);
    {
        struct bw_block b = {text, n, 0};
        /* grounding: the 4 KB text is the answer, checked against itself as the source */
        struct bw_block bg[3] = {{src, n, BW_QUAL_GROUNDING},
                                 {"What should we do in Portugal?", 30, BW_QUAL_QUERY},
                                 {text, n, BW_QUAL_GUARD}};
        struct {
            const char *name;
            const struct bw_content_conf *cc;
            const struct bw_topics_conf *tc;
            const struct bw_grounding_conf *gc;
        } cases[] = {
            {"content filters (6 categories)", &cc, NULL, NULL},
            {"denied topics (3)", NULL, &tc, NULL},
            {"grounding + relevance (4 KB source)", NULL, NULL, &gc},
            {"all of the above together", &cc, &tc, &gc},
        };
        size_t k;
        const char *only = getenv("CLS_CASE");
        printf("%zu-byte text (%s), %d evaluations each, one thread; medians, beside the raw Hyperscan pass over\n"
               "the same database and text in the same run (xN: the row over it)\n",
               n, argc > 2 ? argv[2] : "built-in chat text", iters);
        for (k = 0; k < BW_NELEMS(cases); k++) {
            if (only && *only && strtoul(only, NULL, 10) != k)
                continue;
            int dir = cases[k].gc ? BW_DIR_OUTPUT : BW_DIR_INPUT;
            e = build(dir, cases[k].cc, cases[k].tc, cases[k].gc);
            med = run(e, &w, cases[k].gc ? bg : &b, cases[k].gc ? 3 : 1, iters, &p90);
            {
                /* the cost of the core re-reserving the scratch on every call */
                double t0 = now();
                int i;
                for (i = 0; i < 200; i++)
                    bw_mscratch_reserve(&w.scratch, bw_engine_matcher(e));
                res = (now() - t0) / 200;
            }
            /*
             * the lexicons are the patterns (topics and grounding have none
             * here): the rows without content filters keep the reference
             * of the content row
             */
            if (cases[k].cc)
                raw = run_raw(e, &w, text, n, iters);
            printf("  %-36s median %6.1f us  p90 %6.1f us | raw Hyperscan %5.1f us (x%4.1f) | scratch %4.1f us\n",
                   cases[k].name, med / 1e3, p90 / 1e3, raw / 1e3, raw > 0 ? med / raw : 0, res / 1e3);
            bw_engine_free(e);
        }
    }
    bw_worker_free(&w);
    free(text);
    free(src);
    return 0;
}
