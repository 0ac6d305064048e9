/*
 * Tests of filters/topics.c's per-word work from a word list's key: the
 * stem hash read from the key (stem_hash_key) against the one of the
 * string (stem_hash, what compiling hashed), and the kind words' one-probe
 * table (word_kind) against the word compares it replaced.
 */
#include "filters/topics.c"
#include "tests/unit/testutil.h"

/* A list's key of w[0..n): its first 16 bytes, zero-padded. */
static void key_of(const char *w, size_t n, uint64_t *a, uint64_t *b)
{
    char k[16] = {0};

    memcpy(k, w, n < 16 ? n : 16);
    memcpy(a, k, 8);
    memcpy(b, k + 8, 8);
}

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void test_topics_stem_hash_key(void)
{
    uint32_t seed = 7;
    int r, bad = 0;

    for (r = 0; r < 20000; r++) {
        char w[24];
        size_t n = 1 + rnd(&seed) % 16, sl, i;
        uint64_t a, b;
        for (i = 0; i < n; i++)
            w[i] = (char)('a' + rnd(&seed) % 26);
        /* the whole word's key: past a stem it holds the word's other bytes, which the masks drop */
        key_of(w, n, &a, &b);
        for (sl = 0; sl <= n; sl++)
            bad += stem_hash_key(a, b, sl) != stem_hash(w, sl);
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* longer stems chain 8 bytes a step; never 0 (an empty slot) */
    CU_ASSERT_NOT_EQUAL(stem_hash("internationalisation", 20), stem_hash("internationalisatiom", 20));
    CU_ASSERT_NOT_EQUAL(stem_hash("", 0), 0);
}

/* the word compares word_kind's table replaced */
#define is(s) (n == sizeof(s) - 1 && memcmp(w, (s), sizeof(s) - 1) == 0)
static unsigned kind_ref(const char *w, size_t n)
{
    unsigned k = 0;

    if (is("i") || is("my") || is("me") || is("im") || is("ive") || is("mine") || is("we") || is("our") ||
        is("myself") || is("id"))
        k |= K_FIRST;
    if (is("you"))
        k |= K_YOU;
    if (is("can") || is("could") || is("would"))
        k |= K_MODAL;
    if (is("advise") || is("prescribe") || is("diagnose") || is("should") || is("lawyer") || is("attorney") ||
        is("doctor"))
        k |= K_CUE;
    return k;
}
#undef is

static void test_topics_word_kind(void)
{
    static const char *const words[] = {
        "i",        "my",        "me",         "im",        "ive",        "mine",      "we",       "our",
        "myself",   "id",        "you",        "can",       "could",      "would",     "advise",   "prescribe",
        "diagnose", "should",    "lawyer",     "attorney",  "doctor",     "is",        "a",        "youth",
        "yo",       "cans",      "ca",         "prescriber", "prescrib",  "prescribes", "doctors", "advised",
        "mines",    "ours",      "myselfish",  "idea",      "attorneys",  "lawyers",   "shouldnt", "woul",
        "m",        "y",         "diagnosed",  "internationalisation",    "prescribeprescribe",  "x"};
    uint32_t seed = 3;
    size_t i;
    int r, bad = 0;
    struct tstate *st = calloc(1, sizeof(*st));

    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    kw_build(st);
    for (i = 0; i < BW_NELEMS(words); i++) {
        uint64_t a, b;
        size_t n = strlen(words[i]);
        key_of(words[i], n, &a, &b);
        CU_ASSERT_EQUAL(word_kind(st, st->kwmul, a, b), kind_ref(words[i], n));
    }
    CU_ASSERT_EQUAL(kind_ref("prescribe", 9), K_CUE); /* the one past 8 bytes */
    for (r = 0; r < 200000; r++) {
        char w[20];
        uint64_t a, b;
        size_t n = 1 + rnd(&seed) % 10, k;
        for (k = 0; k < n; k++)
            w[k] = (char)"imyoucanldsebrgtw"[rnd(&seed) % 17];
        key_of(w, n, &a, &b);
        bad += word_kind(st, st->kwmul, a, b) != kind_ref(w, n);
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(st);
}

static const struct bw_test tests[] = {
    {"test_topics_stem_hash_key", test_topics_stem_hash_key},
    {"test_topics_word_kind", test_topics_word_kind},
};

BW_TEST_MAIN("topics_key", tests)
