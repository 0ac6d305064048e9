/*
 * Tests of policies/stream.c: the streaming guard gives the same releases,
 * in the same pieces, whatever way the answer is split; it masks values
 * split across deltas, blocks words split across deltas, and holds back
 * only what may still match.
 */
#include "filters/errs.h"
#include "filters/words.h"
#include "pii/pii.h"
#include "policies/gconf.h"
#include "policies/stream.h"
#include "tests/unit/testutil.h"

static struct bw_engine *span;
static struct bw_worker w;
static struct bw_gconf conf; /* only regex names are read */

static const struct bw_word_item words[] = {
    {"project nightingale", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
};
static const struct bw_managed_item managed[] = {{BW_WL_PROFANITY, NULL, {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}}};
static const struct bw_regex_item regexes[] = {
    {"order_id", NULL, "ORD-[0-9]{8}", {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
    {"card", NULL, "4111 ?1111 ?1111 ?1111", {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
};

static void setup(void)
{
    struct bw_words_conf wc = {words, 1, managed, 1};
    struct bw_regex_conf rc = {regexes, 2};
    struct bw_errs errs;

    bw_errs_init(&errs, "test");
    CU_ASSERT_EQUAL_FATAL(bw_engine_new(BW_DIR_OUTPUT, &span), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_add(span, &bw_words_module, &wc, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_add(span, &bw_regex_module, &rc, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_compile(span, BW_MATCHER_BLOCK, &errs), 0);
    bw_errs_free(&errs);
    CU_ASSERT_EQUAL_FATAL(bw_worker_init(&w), 0);
}

static void teardown(void)
{
    bw_worker_free(&w);
    bw_engine_free(span);
}

/* The releases of one run, joined with '|' between pieces. */
struct rec {
    char buf[8192];
    size_t len;
    int pieces;
};

static int on_release(void *ctx, unsigned ch, const char *t, size_t n)
{
    struct rec *r = ctx;

    (void)ch;
    if (r->len + n + 2 >= sizeof(r->buf))
        return BW_ELIMIT;
    if (r->pieces++)
        r->buf[r->len++] = '|';
    memcpy(r->buf + r->len, t, n);
    r->len += n;
    r->buf[r->len] = '\0';
    return 0;
}

/* Runs text through a new guard, cut at the offsets in cuts[0..ncuts). */
static int run(const char *text, const size_t *cuts, size_t ncuts, struct rec *r)
{
    struct bw_sguard_opts o = {0};
    struct bw_sguard *sg;
    size_t i, prev = 0, n = strlen(text);

    conf.regex.items = regexes;
    conf.regex.n = 2;
    o.conf = &conf;
    int blocked;

    memset(r, 0, sizeof(*r));
    CU_ASSERT_EQUAL_FATAL(bw_sguard_new(span, NULL, &o, &sg), 0);
    for (i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        CU_ASSERT_EQUAL(bw_sguard_feed(sg, &w, 0, text + prev, end - prev, on_release, r), 0);
        prev = end;
    }
    if (!bw_sguard_blocked(sg))
        CU_ASSERT_EQUAL(bw_sguard_finish(sg, &w, on_release, r), 0);
    blocked = bw_sguard_blocked(sg);
    bw_sguard_free(sg);
    return blocked;
}

/* Every way of splitting gives the same pieces: whole, each 2-way cut, bytes, seeded random. */
static void check_invariant(const char *text, const char *want, int want_blocked)
{
    struct rec ref, r;
    size_t n = strlen(text), i, cuts[4096];
    unsigned seed = 12345;
    int b, k;

    b = run(text, NULL, 0, &ref);
    CU_ASSERT_EQUAL(b, want_blocked);
    if (want) {
        char joined[8192];
        size_t j, o = 0;
        for (j = 0; j < ref.len; j++)
            if (ref.buf[j] != '|')
                joined[o++] = ref.buf[j];
        joined[o] = '\0';
        CU_ASSERT_STRING_EQUAL(joined, want);
    }
    for (i = 1; i < n; i++) {
        cuts[0] = i;
        CU_ASSERT_EQUAL(run(text, cuts, 1, &r), want_blocked);
        CU_ASSERT_STRING_EQUAL(r.buf, ref.buf);
    }
    for (i = 0; i + 1 < n && i < 4096; i++)
        cuts[i] = i + 1;
    CU_ASSERT_EQUAL(run(text, cuts, n - 1, &r), want_blocked);
    CU_ASSERT_STRING_EQUAL(r.buf, ref.buf);
    for (k = 0; k < 50; k++) {
        size_t nc = 0, pos = 0;
        while (nc < 64) {
            seed = seed * 1103515245u + 12345u;
            pos += 1 + (seed >> 16) % 9;
            if (pos >= n)
                break;
            cuts[nc++] = pos;
        }
        CU_ASSERT_EQUAL(run(text, cuts, nc, &r), want_blocked);
        CU_ASSERT_STRING_EQUAL(r.buf, ref.buf);
    }
}

static void test_stream_clean_text_passes(void)
{
    setup();
    check_invariant("The quick brown fox jumps over the lazy dog. Nothing to see here.",
                    "The quick brown fox jumps over the lazy dog. Nothing to see here.", 0);
    teardown();
}

static void test_stream_mask_split_value(void)
{
    setup();
    check_invariant("Your card 4111 1111 1111 1111 and order ORD-12345678 are noted.",
                    "Your card {card} and order {order_id} are noted.", 0);
    teardown();
}

static void test_stream_block_split_word(void)
{
    struct rec r;
    size_t cut = 20;

    setup();
    check_invariant("This answer is fine until motherfucker shows up and more text follows.", NULL, 1);
    /* nothing of the word reached the client */
    run("This answer is fine until motherfucker shows up and more text follows.", &cut, 1, &r);
    CU_ASSERT_PTR_NULL(strstr(r.buf, "moth"));
    check_invariant("We discussed Project  Nightingale today.", NULL, 1);
    teardown();
}

static void test_stream_utf8_split_inside_char(void)
{
    setup();
    /* "naïve café — ORD-12345678 ✓" with multi-byte characters around the mask */
    check_invariant("na\xc3\xafve caf\xc3\xa9 \xe2\x80\x94 ORD-12345678 \xe2\x9c\x93 ok",
                    "na\xc3\xafve caf\xc3\xa9 \xe2\x80\x94 {order_id} \xe2\x9c\x93 ok", 0);
    teardown();
}

static void test_stream_holds_only_open_patterns(void)
{
    struct bw_sguard_opts o = {0};
    struct bw_sguard *sg;
    struct rec r;

    setup();
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL_FATAL(bw_sguard_new(span, NULL, &o, &sg), 0);
    /* "moth" may become a listed word: held; the words before it are out */
    CU_ASSERT_EQUAL(bw_sguard_feed(sg, &w, 0, "Hello there my moth", 19, on_release, &r), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.buf, "Hello |there |my "));
    CU_ASSERT_PTR_NULL(strstr(r.buf, "moth"));
    /* "mother " is not a listed word and is closed by the space */
    CU_ASSERT_EQUAL(bw_sguard_feed(sg, &w, 0, "er is kind", 10, on_release, &r), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.buf, "mother"));
    CU_ASSERT_EQUAL(bw_sguard_finish(sg, &w, on_release, &r), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.buf, "kind"));
    CU_ASSERT_FALSE(bw_sguard_blocked(sg));
    bw_sguard_free(sg);
    teardown();
}

static void test_stream_channels_separate(void)
{
    struct bw_sguard_opts o = {0};
    struct bw_sguard *sg;
    struct rec r;

    setup();
    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL_FATAL(bw_sguard_new(span, NULL, &o, &sg), 0);
    /* "project" on one channel and "nightingale" on another is not the phrase */
    CU_ASSERT_EQUAL(bw_sguard_feed(sg, &w, 0, "project ", 8, on_release, &r), 0);
    CU_ASSERT_EQUAL(bw_sguard_feed(sg, &w, 1, "nightingale ", 12, on_release, &r), 0);
    CU_ASSERT_EQUAL(bw_sguard_finish(sg, &w, on_release, &r), 0);
    CU_ASSERT_FALSE(bw_sguard_blocked(sg));
    CU_ASSERT_EQUAL(bw_sguard_nchannels(sg), 2);
    bw_sguard_free(sg);
    teardown();
}

/* The PII recognisers through the guard: values split anywhere are masked whole. */
static void test_stream_pii_split_values(void)
{
    static const struct bw_pii_item items[] = {
        {BW_PII_EMAIL, {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
        {BW_PII_PHONE, {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
        {BW_PII_CREDIT_DEBIT_CARD_NUMBER, {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
        {BW_PII_US_SOCIAL_SECURITY_NUMBER, {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
    };
    struct bw_pii_conf pc = {items, 4};
    struct bw_errs errs;
    struct bw_engine *saved = span;

    bw_errs_init(&errs, "test");
    CU_ASSERT_EQUAL_FATAL(bw_engine_new(BW_DIR_OUTPUT, &span), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_add(span, &bw_pii_module, &pc, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_compile(span, BW_MATCHER_BLOCK, &errs), 0);
    bw_errs_free(&errs);
    CU_ASSERT_EQUAL_FATAL(bw_worker_init(&w), 0);
    check_invariant("Write to jane.doe@example.com or call (415) 555-0134; the card is 4111 1111 1111 1111 today.",
                    "Write to {EMAIL} or call {PHONE}; the card is {CREDIT_DEBIT_CARD_NUMBER} today.", 0);
    check_invariant("My social security number is 536-22-8726, please keep it.", NULL, 1);
    bw_worker_free(&w);
    bw_engine_free(span);
    span = saved;
}

static const struct bw_test tests[] = {
    {"test_stream_pii_split_values", test_stream_pii_split_values},
    {"test_stream_clean_text_passes", test_stream_clean_text_passes},
    {"test_stream_mask_split_value", test_stream_mask_split_value},
    {"test_stream_block_split_word", test_stream_block_split_word},
    {"test_stream_utf8_split_inside_char", test_stream_utf8_split_inside_char},
    {"test_stream_holds_only_open_patterns", test_stream_holds_only_open_patterns},
    {"test_stream_channels_separate", test_stream_channels_separate},
};
BW_TEST_MAIN("stream", tests)
