/*
 * Tests of filters/grounding.c: GROUNDING and RELEVANCE scores of answers
 * against a source and a query (examples written for these tests).
 */
#include "filters/engine.h"
#include "filters/errs.h"
#include "filters/grounding.h"
#include "tests/unit/testutil.h"

static const char source[] =
    "The Oberoi family is an Indian family that is famous for its involvement in hotels, namely through The Oberoi "
    "Group. The Oberoi Group is a hotel company with its head office in Delhi. It was founded in 1934 and runs 31 "
    "hotels in seven countries.";
static const char query[] = "The Oberoi family is part of a hotel company that has a head office in what city?";

struct run {
    struct bw_engine *e;
    struct bw_worker w;
};

static void start(struct run *r, int dir)
{
    struct bw_grounding_conf gc;
    struct bw_errs errs;

    memset(&gc, 0, sizeof(gc));
    gc.items[0] = (struct bw_grounding_item){BW_GROUND_GROUNDING, 0.6, BW_ACT_BLOCK, 1};
    gc.items[1] = (struct bw_grounding_item){BW_GROUND_RELEVANCE, 0.5, BW_ACT_NONE, 1};
    gc.n = 2;
    bw_errs_init(&errs, "test");
    CU_ASSERT_EQUAL_FATAL(bw_engine_new(dir, &r->e), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_add(r->e, &bw_grounding_module, &gc, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_compile(r->e, BW_MATCHER_BLOCK, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_worker_init(&r->w), 0);
    bw_errs_free(&errs);
}

static void stop(struct run *r)
{
    bw_worker_free(&r->w);
    bw_engine_free(r->e);
}

static void eval(struct run *r, const char *src, const char *q, const char *answer)
{
    struct bw_block b[3];
    size_t n = 0;

    if (src)
        b[n++] = (struct bw_block){src, strlen(src), BW_QUAL_GROUNDING};
    if (q)
        b[n++] = (struct bw_block){q, strlen(q), BW_QUAL_QUERY};
    b[n++] = (struct bw_block){answer, strlen(answer), BW_QUAL_GUARD};
    CU_ASSERT_EQUAL_FATAL(bw_engine_eval(r->e, &r->w, b, n, NULL, NULL), 0);
}

static const struct bw_finding *find(const struct run *r, int type)
{
    size_t i;

    for (i = 0; i < r->w.nf; i++)
        if (r->w.f[i].policy == BW_POL_GROUNDING && r->w.f[i].type == type)
            return &r->w.f[i];
    return NULL;
}

static float score(const struct run *r, int type)
{
    const struct bw_finding *f = find(r, type);
    return f ? f->score : -1;
}

static void test_grounding_supported(void)
{
    struct run r;
    const struct bw_finding *f;

    start(&r, BW_DIR_OUTPUT);
    eval(&r, source, query, "Delhi");
    f = find(&r, BW_GROUND_GROUNDING);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(f->score > 0.9f);
    CU_ASSERT_FALSE(f->detected);
    CU_ASSERT_DOUBLE_EQUAL(f->threshold, 0.6, 1e-6);
    CU_ASSERT_EQUAL(f->action, BW_ACT_BLOCK);
    eval(&r, source, query, "Its head office is in Delhi.");
    CU_ASSERT(score(&r, BW_GROUND_GROUNDING) > 0.8f);
    CU_ASSERT(score(&r, BW_GROUND_RELEVANCE) > 0.8f);
    stop(&r);
}

static void test_grounding_unsupported_facts(void)
{
    struct run r;
    float wrong;

    start(&r, BW_DIR_OUTPUT);
    /* a name the source does not have */
    eval(&r, source, query, "Mumbai, the financial capital of India.");
    CU_ASSERT(score(&r, BW_GROUND_GROUNDING) < 0.3f);
    CU_ASSERT(find(&r, BW_GROUND_GROUNDING)->detected);
    /* a number the source does not have; the right one passes the 0.6 threshold */
    eval(&r, source, query, "The Oberoi Group was founded in 1952.");
    wrong = score(&r, BW_GROUND_GROUNDING);
    CU_ASSERT(wrong < 0.6f);
    eval(&r, source, query, "The Oberoi Group was founded in 1934.");
    CU_ASSERT(score(&r, BW_GROUND_GROUNDING) >= 0.6f);
    CU_ASSERT(score(&r, BW_GROUND_GROUNDING) > 2 * wrong);
    /* known words put together anew */
    eval(&r, source, query, "Delhi hotels founded the Oberoi family.");
    CU_ASSERT(score(&r, BW_GROUND_GROUNDING) < 0.8f);
    stop(&r);
}

static void test_grounding_relevance(void)
{
    struct run r;

    start(&r, BW_DIR_OUTPUT);
    eval(&r, source, query, "Bananas are rich in potassium.");
    CU_ASSERT(score(&r, BW_GROUND_RELEVANCE) < 0.5f);
    CU_ASSERT(find(&r, BW_GROUND_RELEVANCE)->detected);
    CU_ASSERT_EQUAL(find(&r, BW_GROUND_RELEVANCE)->action, BW_ACT_NONE);
    stop(&r);
}

static void test_grounding_missing_parts(void)
{
    struct run r;

    start(&r, BW_DIR_OUTPUT);
    /* no source: no GROUNDING finding; no query: no RELEVANCE finding */
    eval(&r, NULL, query, "Delhi");
    CU_ASSERT_PTR_NULL(find(&r, BW_GROUND_GROUNDING));
    CU_ASSERT_PTR_NOT_NULL(find(&r, BW_GROUND_RELEVANCE));
    eval(&r, source, NULL, "Delhi");
    CU_ASSERT_PTR_NOT_NULL(find(&r, BW_GROUND_GROUNDING));
    CU_ASSERT_PTR_NULL(find(&r, BW_GROUND_RELEVANCE));
    stop(&r);
    /* input direction: not evaluated at all */
    start(&r, BW_DIR_INPUT);
    CU_ASSERT_EQUAL(bw_engine_nmodules(r.e), 0);
    eval(&r, source, query, "Mumbai");
    CU_ASSERT_EQUAL(r.w.nf, 0);
    stop(&r);
}

static const struct bw_test tests[] = {
    {"test_grounding_supported", test_grounding_supported},
    {"test_grounding_unsupported_facts", test_grounding_unsupported_facts},
    {"test_grounding_relevance", test_grounding_relevance},
    {"test_grounding_missing_parts", test_grounding_missing_parts},
};

BW_TEST_MAIN("grounding", tests)
