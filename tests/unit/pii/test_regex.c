/* Tests of pii/regex.c: custom regexes through Hyperscan and PCRE2. */
#include "filters/engine.h"
#include "filters/errs.h"
#include "pii/pii.h"
#include "tests/unit/testutil.h"

static struct bw_engine *eng;
static struct bw_worker w;

static int build(const struct bw_regex_item *items, size_t n)
{
    struct bw_regex_conf c = {items, n};
    struct bw_errs errs;
    int rv;

    bw_errs_init(&errs, "test");
    CU_ASSERT_EQUAL_FATAL(bw_engine_new(BW_DIR_INPUT, &eng), 0);
    rv = bw_engine_add(eng, &bw_regex_module, &c, &errs);
    if (rv == 0)
        rv = bw_engine_compile(eng, BW_MATCHER_BLOCK, &errs);
    bw_errs_free(&errs);
    CU_ASSERT_EQUAL_FATAL(bw_worker_init(&w), 0);
    return rv;
}

static void done(void)
{
    bw_worker_free(&w);
    bw_engine_free(eng);
}

static size_t scan(const char *s)
{
    struct bw_block b = {s, strlen(s), 0};
    CU_ASSERT_EQUAL_FATAL(bw_engine_eval(eng, &w, &b, 1, NULL, NULL), 0);
    return w.nf;
}

#define AC {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}

static void test_regex_hyperscan_spans(void)
{
    static const struct bw_regex_item it[] = {{"order_id", NULL, "ORD-[0-9]{8}", AC}};

    CU_ASSERT_EQUAL_FATAL(build(it, 1), 0);
    CU_ASSERT_EQUAL(scan("orders ORD-12345678 and ORD-87654321."), 2);
    CU_ASSERT_EQUAL(w.f[0].start, 7);
    CU_ASSERT_EQUAL(w.f[0].end, 19);
    CU_ASSERT_EQUAL(w.f[1].start, 24);
    CU_ASSERT_EQUAL(w.f[0].policy, BW_POL_REGEX);
    /* case-sensitive as written */
    CU_ASSERT_EQUAL(scan("ord-12345678"), 0);
    /* full-width digits are normalised first */
    CU_ASSERT_EQUAL(scan("ORD-\xef\xbc\x91" "2345678"), 1);
    done();
}

static void test_regex_leftmost_longest(void)
{
    static const struct bw_regex_item it[] = {{"digits", NULL, "[0-9]{3,5}", AC}};

    CU_ASSERT_EQUAL_FATAL(build(it, 1), 0);
    CU_ASSERT_EQUAL(scan("a 123456 b"), 1);
    CU_ASSERT_EQUAL(w.f[0].start, 2);
    CU_ASSERT_EQUAL(w.f[0].end, 7);
    done();
}

static void test_regex_pcre2_fallback(void)
{
    /* a backreference: Hyperscan refuses it, PCRE2 runs it */
    static const struct bw_regex_item it[] = {{"doubled", NULL, "\\b(\\w+) \\1\\b", AC}};

    CU_ASSERT_EQUAL_FATAL(build(it, 1), 0);
    CU_ASSERT_EQUAL(scan("this is is a test"), 1);
    CU_ASSERT_EQUAL(w.f[0].start, 5);
    CU_ASSERT_EQUAL(w.f[0].end, 10);
    CU_ASSERT_EQUAL(scan("no doubles here"), 0);
    done();
}

static void test_regex_lookahead_fallback(void)
{
    static const struct bw_regex_item it[] = {{"pw", NULL, "secret(?=[0-9])", AC}};

    CU_ASSERT_EQUAL_FATAL(build(it, 1), 0);
    CU_ASSERT_EQUAL(scan("secret1 secretx"), 1);
    CU_ASSERT_EQUAL(w.f[0].start, 0);
    CU_ASSERT_EQUAL(w.f[0].end, 6);
    done();
}

static void test_regex_invalid_and_runaway_refused(void)
{
    static const struct bw_regex_item bad[] = {{"bad", NULL, "ab(c", AC}};
    static const struct bw_regex_item runaway[] = {{"runaway", NULL, "(a+)+\\1", AC}};
    static const struct bw_regex_item empty[] = {{"empty", NULL, "x*", AC}};

    CU_ASSERT_EQUAL(build(bad, 1), BW_ECOMPILE);
    done();
    CU_ASSERT_EQUAL(build(runaway, 1), BW_ECOMPILE);
    done();
    CU_ASSERT_EQUAL(build(empty, 1), BW_ECOMPILE);
    done();
}

static void test_regex_disabled_direction(void)
{
    static const struct bw_regex_item it[] = {{"x", NULL, "XYZ", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {0, 1}}}};

    CU_ASSERT_EQUAL_FATAL(build(it, 1), 0);
    CU_ASSERT_EQUAL(scan("XYZ"), 0); /* INPUT engine, input disabled */
    done();
}

static const struct bw_test tests[] = {
    {"test_regex_hyperscan_spans", test_regex_hyperscan_spans},
    {"test_regex_leftmost_longest", test_regex_leftmost_longest},
    {"test_regex_pcre2_fallback", test_regex_pcre2_fallback},
    {"test_regex_lookahead_fallback", test_regex_lookahead_fallback},
    {"test_regex_invalid_and_runaway_refused", test_regex_invalid_and_runaway_refused},
    {"test_regex_disabled_direction", test_regex_disabled_direction},
};
BW_TEST_MAIN("regex", tests)
