/* Tests of filters/words.c: whole words, phrases, case, normalisation, managed lists. */
#include "filters/engine.h"
#include "filters/errs.h"
#include "filters/words.h"
#include "tests/unit/testutil.h"

static struct bw_engine *eng;
static struct bw_worker w;

static void build(const struct bw_word_item *words, size_t n, int profanity)
{
    static struct bw_managed_item managed;
    struct bw_words_conf c = {words, n, &managed, (size_t)(profanity ? 1 : 0)};
    struct bw_errs errs;

    managed.type = BW_WL_PROFANITY;
    managed.lang = NULL;
    managed.ac = (struct bw_actcfg){{BW_ACT_BLOCK, BW_ACT_NONE}, {1, 1}};
    bw_errs_init(&errs, "test");
    CU_ASSERT_EQUAL_FATAL(bw_engine_new(BW_DIR_INPUT, &eng), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_add(eng, &bw_words_module, &c, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_engine_compile(eng, BW_MATCHER_BLOCK, &errs), 0);
    bw_errs_free(&errs);
    CU_ASSERT_EQUAL_FATAL(bw_worker_init(&w), 0);
}

static void done(void)
{
    bw_worker_free(&w);
    bw_engine_free(eng);
}

/* Number of findings in s; the first one's span in *st, *en. */
static size_t scan(const char *s, size_t *st, size_t *en)
{
    struct bw_block b = {s, strlen(s), 0};
    CU_ASSERT_EQUAL_FATAL(bw_engine_eval(eng, &w, &b, 1, NULL, NULL), 0);
    if (w.nf && st) {
        *st = w.f[0].start;
        *en = w.f[0].end;
    }
    return w.nf;
}

static const struct bw_word_item words[] = {
    {"ass", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
    {"project nightingale", {{BW_ACT_BLOCK, BW_ACT_NONE}, {1, 1}}},
    {"AcmeCorp", {{BW_ACT_NONE, BW_ACT_NONE}, {1, 0}}},
    {"c++", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
};

static void test_words_whole_word(void)
{
    size_t st = 0, en = 0;

    build(words, 4, 0);
    CU_ASSERT_EQUAL(scan("this class is great", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("assume nothing", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("you ass!", &st, &en), 1);
    CU_ASSERT_EQUAL(st, 4);
    CU_ASSERT_EQUAL(en, 7);
    CU_ASSERT_EQUAL(scan("ASS", &st, &en), 1);
    CU_ASSERT_EQUAL(scan("ass_hat", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("kick-ass movie", &st, &en), 1);
    CU_ASSERT_EQUAL(st, 5);
    done();
}

static void test_words_phrase_any_spacing(void)
{
    size_t st = 0, en = 0;

    build(words, 4, 0);
    CU_ASSERT_EQUAL(scan("about Project   Nightingale today", &st, &en), 1);
    CU_ASSERT_EQUAL(st, 6);
    CU_ASSERT_EQUAL(en, 27);
    CU_ASSERT_EQUAL(scan("project\nnightingale", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("projectnightingale", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("subproject nightingale", NULL, NULL), 0);
    done();
}

static void test_words_punctuation_term(void)
{
    build(words, 4, 0);
    CU_ASSERT_EQUAL(scan("I write c++ daily", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("I write c daily", NULL, NULL), 0);
    done();
}

static void test_words_action_and_direction(void)
{
    size_t i;

    build(words, 4, 0);
    CU_ASSERT_EQUAL(scan("AcmeCorp and project nightingale", NULL, NULL), 2);
    for (i = 0; i < w.nf; i++) {
        CU_ASSERT_EQUAL(w.f[i].policy, BW_POL_WORD);
        CU_ASSERT_EQUAL(w.f[i].sub, BW_WORD_CUSTOM);
        if (w.f[i].item == 2)
            CU_ASSERT_EQUAL(w.f[i].action, BW_ACT_NONE);
        if (w.f[i].item == 1)
            CU_ASSERT_EQUAL(w.f[i].action, BW_ACT_BLOCK);
    }
    done();
}

static void test_words_normalised_evasions(void)
{
    size_t st = 0, en = 0;

    build(words, 4, 0);
    /* full-width letters */
    CU_ASSERT_EQUAL(scan("you \xef\xbd\x81\xef\xbd\x93\xef\xbd\x93", &st, &en), 1);
    CU_ASSERT_EQUAL(st, 4);
    CU_ASSERT_EQUAL(en, 13);
    /* zero-width space inside the word */
    CU_ASSERT_EQUAL(scan("you a\xe2\x80\x8bss", &st, &en), 1);
    CU_ASSERT_EQUAL(en, 10);
    /* Cyrillic a in a Latin word */
    CU_ASSERT_EQUAL(scan("you \xd0\xb0ss", NULL, NULL), 1);
    done();
}

static void test_words_managed_profanity(void)
{
    size_t st = 0, en = 0;

    build(NULL, 0, 1);
    CU_ASSERT_EQUAL(scan("What a lovely day in Scunthorpe", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("classic assessment of the bass", NULL, NULL), 0);
    CU_ASSERT(scan("shut up you motherfucker", &st, &en) >= 1);
    CU_ASSERT_EQUAL(w.f[0].sub, BW_WORD_MANAGED);
    CU_ASSERT_EQUAL(w.f[0].type, BW_WL_PROFANITY);
    CU_ASSERT_EQUAL(w.f[0].action, BW_ACT_BLOCK);
    done();
}

/* Terms that wait for the same word share one pattern: each still reports, in term order. */
static void test_words_shared_trigger(void)
{
    static const struct bw_word_item same[] = {
        {"ass hat", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"ass", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"big ass", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"ASS", {{BW_ACT_NONE, BW_ACT_NONE}, {1, 1}}},
    };
    size_t i, n;
    unsigned seen = 0;

    build(same, 4, 0);
    n = scan("what a big ass hat", NULL, NULL);
    /* "ass hat", "ass" and "big ass" (the trigger of each is "ass"), and "ASS" as its own term */
    CU_ASSERT_EQUAL(n, 4);
    for (i = 0; i < w.nf; i++)
        seen |= 1u << w.f[i].item;
    CU_ASSERT_EQUAL(seen, 0xfu);
    CU_ASSERT_EQUAL(scan("a big assistant", NULL, NULL), 0);
    done();
}

/*
 * A chain whose every term needs a space or a word boundary after the
 * trigger turns a word byte there away at once ("ass" in "assistant",
 * above); one term without a right boundary ("c++") keeps the others of
 * its chain checked term by term.
 */
static void test_words_chain_right_stop(void)
{
    static const struct bw_word_item cpp[] = {
        {"c++ go", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"c++", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
    };

    build(cpp, 2, 0);
    CU_ASSERT_EQUAL(scan("I write c++x daily", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("c++ go now", NULL, NULL), 2);
    CU_ASSERT_EQUAL(scan("c++ gone", NULL, NULL), 1);
    done();
}

/*
 * The gate's left side: a chain whose terms all need a boundary or a space
 * before the trigger turns a word byte there away ("ass" in "bass"); one
 * term whose trigger opens on a non-word byte ("-ass") keeps the chain
 * open; a word before a trigger in the middle of a phrase needs a space.
 */
static void test_words_chain_left_stop(void)
{
    static const struct bw_word_item l[] = {
        {"ass", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"big ass", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"-x", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"a -x", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
    };

    build(l, 4, 0);
    CU_ASSERT_EQUAL(scan("a bass", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("ass", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("big ass", NULL, NULL), 2);
    CU_ASSERT_EQUAL(scan("\xc3\xa9" "ass", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("\xc2\xab" "ass", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("b-x", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("a -x", NULL, NULL), 2);
    CU_ASSERT_EQUAL(scan("a-x", NULL, NULL), 1);
    done();
}

/*
 * A chain's terms are turned away by the letters of the words next to the
 * trigger (read once for the chain, past any run of spaces), case aside;
 * a non-ASCII letter on either side is left to the word compare.
 */
static void test_words_chain_letters(void)
{
    static const struct bw_word_item l[] = {
        {"big ass", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"bad ass", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"ass hat", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"ass hole", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"caf\xc3\xa9 ass \xc3\xa9t\xc3\xa9", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
    };
    size_t st = 0, en = 0;

    build(l, 5, 0);
    CU_ASSERT_EQUAL(scan("a BAD  ass", &st, &en), 1);
    CU_ASSERT_EQUAL(st, 2);
    CU_ASSERT_EQUAL(scan("a cad ass", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("a bid ass", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("ass\tHAT", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("ass hit", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("ass hole and ass hat", NULL, NULL), 2);
    CU_ASSERT_EQUAL(scan("CAF\xc3\x89 ass \xc3\x89T\xc3\x89", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("caf\xc3\xa9 ass \xc3\xa0t\xc3\xa9", NULL, NULL), 0);
    done();
}

/*
 * Phrases whose words are stepped back over byte by byte or eight bytes
 * at a time: ASCII words of 1 to 16 letters, non-ASCII ones, at the
 * text's start and after a non-ASCII byte.
 */
static void test_words_phrase_back_steps(void)
{
    static const struct bw_word_item ph[] = {
        {"a nightingale", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"extraordinarily nightingale", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"ab nightjar", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
    };

    build(ph, 4, 0);
    CU_ASSERT_EQUAL(scan("a nightingale", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("\xc3\xa9 a nightingale", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("\xc3\xa9" "a nightingale", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("extraordinarily nightingale", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("\xc3\xa9xtraordinarily nightingale", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("so cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("ab nightjar", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("\xc3\xa9" "b nightjar", NULL, NULL), 0);
    done();
}

/*
 * The bytes around the trigger and the neighbour words' first and last
 * letters are checked before any walk back or word compare: every
 * mismatch there still fails, case still does not matter.
 */
static void test_words_trigger_neighbours(void)
{
    static const struct bw_word_item ph[] = {
        {"big bad wolf", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"wolf pack", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
    };

    build(ph, 2, 0);
    CU_ASSERT_EQUAL(scan("the BIG BAD WOLF.", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("big  Bad\twolf", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("big bat wolf", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("pig bad wolf", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("big badwolf", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("big bad wolves", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("big bad wolf_", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("a wolf  PACK", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("a wolf pick", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("a wolf packs", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("a wolfpack", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("a werewolf pack", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("wolf", NULL, NULL), 0);
    done();
}

/* Words of a phrase tied in length: the rarer one triggers ("jar", not "one"), the phrase is found the same. */
static void test_words_tied_trigger(void)
{
    static const struct bw_word_item ph[] = {
        {"one guy one jar", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
        {"eat my ass", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
    };
    size_t st = 0, en = 0;

    build(ph, 2, 0);
    CU_ASSERT_EQUAL(scan("the One Guy one  jar video", &st, &en), 1);
    CU_ASSERT_EQUAL(st, 4);
    CU_ASSERT_EQUAL(en, 20);
    CU_ASSERT_EQUAL(scan("someone guy one jar", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("one guy one jars", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("eat my ass", NULL, NULL), 1);
    CU_ASSERT_EQUAL(scan("great my ass", NULL, NULL), 0);
    CU_ASSERT_EQUAL(scan("eat my class", NULL, NULL), 0);
    done();
}

static const struct bw_test tests[] = {
    {"test_words_trigger_neighbours", test_words_trigger_neighbours},
    {"test_words_chain_left_stop", test_words_chain_left_stop},
    {"test_words_chain_letters", test_words_chain_letters},
    {"test_words_tied_trigger", test_words_tied_trigger},
    {"test_words_shared_trigger", test_words_shared_trigger},
    {"test_words_chain_right_stop", test_words_chain_right_stop},
    {"test_words_phrase_back_steps", test_words_phrase_back_steps},
    {"test_words_whole_word", test_words_whole_word},
    {"test_words_phrase_any_spacing", test_words_phrase_any_spacing},
    {"test_words_punctuation_term", test_words_punctuation_term},
    {"test_words_action_and_direction", test_words_action_and_direction},
    {"test_words_normalised_evasions", test_words_normalised_evasions},
    {"test_words_managed_profanity", test_words_managed_profanity},
};
BW_TEST_MAIN("words", tests)
