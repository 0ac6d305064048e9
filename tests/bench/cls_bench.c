/*
 * cls_bench.c: latency of the statistical policies on one core: content
 * filters (all six categories), three denied topics and contextual
 * grounding, evaluated together on a 4 KB text, through the engine as a
 * guardrail runs them. Prints the median and the 90th percentile.
 *
 * Built by hand (not part of `make`):
 *   make && cc -O2 -I. -o build/cls_bench tests/bench/cls_bench.c build/libbulwark.a \
 *       $(pkg-config --libs libhs libpcre2-8 libcjson libutf8proc) -lpthread -lm
 *   taskset -c 0 build/cls_bench [ITERATIONS] [TEXT_FILE]
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

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 20000, i, c; /* a bench tool: atoi is fine for its argument */
    struct bw_content_conf cc;
    struct bw_topics_conf tc = {topics, 3, 0};
    struct bw_grounding_conf gc;
    struct bw_engine *ein, *eout;
    struct bw_worker w;
    char *text = malloc(8192), *src = malloc(8192);
    size_t n = 0;
    double *t = malloc(sizeof(double) * (size_t)iters), *tg = malloc(sizeof(double) * (size_t)iters);

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
    ein = build(BW_DIR_INPUT, &cc, &tc, NULL);
    eout = build(BW_DIR_OUTPUT, &cc, &tc, &gc);
    bw_worker_init(&w);
    for (i = 0; i < iters; i++) {
        struct bw_block b = {text, n, 0};
        struct bw_block bg[3] = {{src, n, BW_QUAL_GROUNDING}, {"What should we do in Portugal?", 30, BW_QUAL_QUERY},
                                 {text, 1024, BW_QUAL_GUARD}};
        double t0 = now();
        if (bw_engine_eval(ein, &w, &b, 1, NULL, NULL) != 0)
            return 1;
        t[i] = now() - t0;
        t0 = now();
        if (bw_engine_eval(eout, &w, bg, 3, NULL, NULL) != 0)
            return 1;
        tg[i] = now() - t0;
    }
    qsort(t, (size_t)iters, sizeof(*t), cmp);
    qsort(tg, (size_t)iters, sizeof(*tg), cmp);
    printf("input  (content x6 + 3 topics) on %zu bytes: median %.1f us, p90 %.1f us\n", n, t[iters / 2] / 1e3,
           t[iters * 9 / 10] / 1e3);
    printf("output (content x6 + 3 topics + grounding/relevance, 4 KB source, 1 KB answer): median %.1f us, p90 "
           "%.1f us\n",
           tg[iters / 2] / 1e3, tg[iters * 9 / 10] / 1e3);
    bw_worker_free(&w);
    bw_engine_free(ein);
    bw_engine_free(eout);
    free(text);
    free(src);
    free(t);
    free(tg);
    return 0;
}
