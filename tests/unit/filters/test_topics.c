/*
 * Tests of filters/topics.c: topics scored from name, definition and
 * examples, widened through the WordNet-derived list; phrases; directions.
 */
#include "filters/engine.h"
#include "filters/errs.h"
#include "filters/topics.h"
#include "tests/unit/testutil.h"

static const char *const med_ex[] = {"What dose of ibuprofen should I take for my back pain?",
                                     "Should I stop taking my blood pressure pills?"};
static const char *const inv_ex[] = {"Which stocks should I buy this year?"};
static const char *const inv_ph[] = {"hot stock tip"};

static struct bw_topic_item items[] = {
    {"Medical advice",
     "Diagnosing a person's physical or mental illness or symptoms, or recommending medication or treatment.", med_ex,
     2, NULL, 0, {{BW_ACT_BLOCK, BW_ACT_NONE}, {1, 1}}},
    {"Investment advice", "Recommendations on investing a person's money in stocks, bonds or funds.", inv_ex, 1,
     inv_ph, 1, {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 0}}},
};

struct run {
    struct bw_engine *e;
    struct bw_worker w;
};

static void start(struct run *r, int dir)
{
    struct bw_topics_conf tc = {items, BW_NELEMS(items), 0};
    struct bw_errs errs;

    bw_errs_init(&errs, "test");
    CU_ASSERT_EQUAL_FATAL(bw_engine_new(dir, &r->e), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_add(r->e, &bw_topics_module, &tc, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_compile(r->e, BW_MATCHER_BLOCK, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_worker_init(&r->w), 0);
    bw_errs_free(&errs);
}

static void stop(struct run *r)
{
    bw_worker_free(&r->w);
    bw_engine_free(r->e);
}

/* Evaluates text; returns a bit per detected topic (by configured index). */
static unsigned eval(struct run *r, const char *text)
{
    struct bw_block b = {text, strlen(text), 0};
    unsigned d = 0;
    size_t i;

    CU_ASSERT_EQUAL_FATAL(bw_engine_eval(r->e, &r->w, &b, 1, NULL, NULL), 0);
    for (i = 0; i < r->w.nf; i++) {
        CU_ASSERT_EQUAL(r->w.f[i].policy, BW_POL_TOPIC);
        if (r->w.f[i].detected)
            d |= 1u << r->w.f[i].item;
    }
    return d;
}

static void test_topics_detect(void)
{
    struct run r;

    start(&r, BW_DIR_INPUT);
    CU_ASSERT_EQUAL(eval(&r, "Can you prescribe me something for my migraine?"), 1);
    CU_ASSERT_EQUAL(eval(&r, "I have 20,000 dollars, should I invest it in index funds?"), 2);
    CU_ASSERT_EQUAL(eval(&r, "Write a haiku about autumn leaves."), 0);
    CU_ASSERT_EQUAL(eval(&r, "What is the capital of Australia?"), 0);
    /* one finding per topic enabled in the direction, detected or not */
    CU_ASSERT_EQUAL(r.w.nf, 2);
    stop(&r);
}

static void test_topics_wordnet(void)
{
    struct run r;

    /* no word of the text is in the topic: WordNet puts them under illness and medicine */
    start(&r, BW_DIR_INPUT);
    CU_ASSERT_EQUAL(eval(&r, "My son has a fever and a rash, could it be measles?"), 1);
    CU_ASSERT_EQUAL(eval(&r, "Could I have schizophrenia?"), 1);
    stop(&r);
}

static void test_topics_phrase(void)
{
    struct run r;

    start(&r, BW_DIR_INPUT);
    CU_ASSERT_EQUAL(eval(&r, "Give me a Hot Stock Tip."), 2);
    /* whole words only */
    CU_ASSERT_EQUAL(eval(&r, "hot stock tipping point"), 0);
    stop(&r);
}

static void test_topics_direction(void)
{
    struct run r;
    size_t i;

    /* the investment topic is enabled for input only */
    start(&r, BW_DIR_OUTPUT);
    CU_ASSERT_EQUAL(eval(&r, "Give me a hot stock tip and which medication treats my illness"), 1);
    CU_ASSERT_EQUAL(r.w.nf, 1);
    for (i = 0; i < r.w.nf; i++) {
        CU_ASSERT_EQUAL(r.w.f[i].item, 0);
        CU_ASSERT_EQUAL(r.w.f[i].action, BW_ACT_NONE);
    }
    stop(&r);
}

/* An impersonal sentence repeated while it fits below lim bytes; returns the length written. */
static size_t river(char *buf, size_t lim)
{
    size_t n = 0;

    while (n + 60 < lim) {
        memcpy(buf + n, "The river runs past the old mill and into the quiet valley. ", 60);
        n += 60;
    }
    return n;
}

static void test_topics_long_text_damped(void)
{
    struct run r;
    char buf[4096];
    size_t n = river(buf, sizeof(buf));

    /* one medical word in a long impersonal text is not a request for advice */
    start(&r, BW_DIR_INPUT);
    memcpy(buf + 100, "symptom", 7);
    buf[n] = '\0';
    CU_ASSERT_EQUAL(eval(&r, buf), 0);
    stop(&r);
}

/* The score of topic item in the last evaluation. */
static float score_of(const struct run *r, uint32_t item)
{
    size_t i;

    for (i = 0; i < r->w.nf; i++)
        if (r->w.f[i].item == item)
            return r->w.f[i].score;
    CU_FAIL("no finding for the item");
    return 0;
}

static void test_topics_example_pairs(void)
{
    struct run r;
    float same, reversed, apart;

    /*
     * A text phrased like an example shares its bigrams (every pair of its
     * words starts and ends one: the filter exk lets them through);
     * the same words in reverse order or apart share none of them.
     */
    start(&r, BW_DIR_INPUT);
    eval(&r, "Which stocks should I buy this year?");
    same = score_of(&r, 1);
    eval(&r, "Year this buy I should stocks which?");
    reversed = score_of(&r, 1);
    eval(&r, "Which of the stocks, and should the year be one where I buy?");
    apart = score_of(&r, 1);
    CU_ASSERT(same > reversed);
    CU_ASSERT(same > apart);
    CU_ASSERT(same >= 0.5f);
    stop(&r);
}

/*
 * The pairs of words are tested four at a time, then looked at one by one:
 * an example's phrasing, and "can you" before a request, count the same
 * wherever they start in the text, and at its end.
 */
static void test_topics_pairs_any_offset(void)
{
    static const char *const tails[] = {"Which stocks should I buy this year?", "can you recommend stocks",
                                        "you can recommend stocks"};
    struct run r;
    char buf[256];
    float sc[3] = {0, 0, 0};
    size_t k, j;

    start(&r, BW_DIR_INPUT);
    for (j = 0; j < BW_NELEMS(tails); j++)
        for (k = 0; k < 9; k++) {
            snprintf(buf, sizeof(buf), "%.*s%s", (int)(4 * k), "old old old old old old old old old ", tails[j]);
            eval(&r, buf);
            if (k == 0)
                sc[j] = score_of(&r, 1);
            CU_ASSERT_EQUAL(score_of(&r, 1), sc[j]);
        }
    CU_ASSERT(sc[0] >= 0.5f);
    CU_ASSERT(sc[1] > sc[2]); /* a modal before "you" asks for a judgement */
    CU_ASSERT(sc[2] > 0);
    stop(&r);
}

static void test_topics_stem_once(void)
{
    struct run r;
    float once, again;

    /* a stem counts once per block, however many of its words (and forms) the text repeats */
    start(&r, BW_DIR_INPUT);
    eval(&r, "should I invest in stocks");
    once = score_of(&r, 1);
    eval(&r, "should I invest in stocks stock stocks");
    again = score_of(&r, 1);
    CU_ASSERT(once > 0);
    CU_ASSERT_EQUAL(once, again);
    stop(&r);
}

static void test_topics_example_in_long_text(void)
{
    struct run r;
    char buf[16384];
    size_t n = river(buf, 12000);

    /* past BIG_FAST_WORDS words the block's bigrams go through a set: an example in it still counts, undamped */
    start(&r, BW_DIR_INPUT);
    memcpy(buf + n, "Which stocks should I buy this year?", 36);
    buf[n + 36] = '\0';
    CU_ASSERT_EQUAL(eval(&r, buf), 2);
    stop(&r);
}

static const struct bw_test tests[] = {
    {"test_topics_pairs_any_offset", test_topics_pairs_any_offset},
    {"test_topics_stem_once", test_topics_stem_once},
    {"test_topics_example_in_long_text", test_topics_example_in_long_text},
    {"test_topics_example_pairs", test_topics_example_pairs},
    {"test_topics_detect", test_topics_detect},
    {"test_topics_wordnet", test_topics_wordnet},
    {"test_topics_phrase", test_topics_phrase},
    {"test_topics_direction", test_topics_direction},
    {"test_topics_long_text_damped", test_topics_long_text_damped},
};

BW_TEST_MAIN("topics", tests)
