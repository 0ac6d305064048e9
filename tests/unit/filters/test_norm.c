/* Tests of filters/norm.c: the normalised view and its offset map. */
#include "filters/norm.h"
#include "tests/unit/testutil.h"

static struct bw_norm nm;

static void view(const char *s)
{
    bw_norm_init(&nm);
    CU_ASSERT_EQUAL_FATAL(bw_norm_run(&nm, s, strlen(s)), 0);
}

static void test_norm_ascii_identity(void)
{
    const char *s = "Hello, World 123";
    view(s);
    CU_ASSERT_PTR_EQUAL(nm.text, s);
    CU_ASSERT_PTR_NULL(nm.map);
    CU_ASSERT_EQUAL(nm.len, strlen(s));
    bw_norm_free(&nm);
}

/* bw_text_ascii(): an ASCII text is its own view; a text with one non-ASCII byte anywhere is not. */
static void test_norm_text_ascii(void)
{
    static const char *const texts[] = {"", "plain words", "caf\xc3\xa9", "\xc3\xa9t\xc3\xa9",
                                        "a long ASCII run before one non-ASCII byte at its very end: \xc2\xa0"};
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const char *s = texts[i];
        struct bw_text t;
        view(s);
        t = (struct bw_text){s, strlen(s), nm.text, nm.len, nm.map};
        CU_ASSERT_EQUAL(bw_text_ascii(&t), bw_is_ascii(s, strlen(s)));
        bw_norm_free(&nm);
    }
}

static void test_norm_fullwidth(void)
{
    /* "ＡＢＣ" full-width -> "ABC"; each maps to its 3-byte original */
    const char *s = "x\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3y";
    view(s);
    CU_ASSERT_EQUAL(nm.len, 5);
    CU_ASSERT_NSTRING_EQUAL(nm.text, "xABCy", 5);
    CU_ASSERT_EQUAL(nm.map[1], 1);
    CU_ASSERT_EQUAL(nm.map[2], 4);
    CU_ASSERT_EQUAL(nm.map[4], 10);
    CU_ASSERT_EQUAL(bw_norm_end(nm.map, nm.len, nm.orig_len, 4), 10);
    bw_norm_free(&nm);
}

static void test_norm_zero_width_removed(void)
{
    /* "fu\u200Bck" -> "fuck"; span of the view maps back over the ZWSP */
    const char *s = "a fu\xe2\x80\x8b" "ck b";
    size_t st, en;
    view(s);
    CU_ASSERT_EQUAL(nm.len, 8);
    CU_ASSERT_NSTRING_EQUAL(nm.text, "a fuck b", 8);
    st = bw_norm_start(nm.map, nm.len, nm.orig_len, 2);
    en = bw_norm_end(nm.map, nm.len, nm.orig_len, 6);
    CU_ASSERT_EQUAL(st, 2);
    CU_ASSERT_EQUAL(en, 9);
    bw_norm_free(&nm);
}

static void test_norm_combining_composes(void)
{
    /* "e" + U+0301 -> "é" (2 bytes), mapped to the 'e' */
    const char *s = "cafe\xcc\x81!";
    view(s);
    CU_ASSERT_EQUAL(nm.len, 6);
    CU_ASSERT_NSTRING_EQUAL(nm.text, "caf\xc3\xa9!", 6);
    CU_ASSERT_EQUAL(nm.map[3], 3);
    CU_ASSERT_EQUAL(nm.map[5], 6);
    CU_ASSERT_EQUAL(bw_norm_end(nm.map, nm.len, nm.orig_len, 5), 6);
    bw_norm_free(&nm);
}

static void test_norm_confusables_mixed_script(void)
{
    /* "pаypal" with Cyrillic а folds; an all-Cyrillic word does not */
    const char *s = "p\xd0\xb0ypal \xd0\xb0\xd1\x81";
    view(s);
    CU_ASSERT_NSTRING_EQUAL(nm.text, "paypal \xd0\xb0\xd1\x81", nm.len);
    CU_ASSERT_EQUAL(nm.map[2], 3);
    bw_norm_free(&nm);
}

static void test_norm_invalid_utf8(void)
{
    const char *s = "ok \xc3\x28 bad";
    bw_norm_init(&nm);
    CU_ASSERT_EQUAL(bw_norm_run(&nm, s, strlen(s)), BW_EUTF8);
    CU_ASSERT_EQUAL(nm.bad_off, 3);
    bw_norm_free(&nm);
}

/*
 * The ASCII check 64, 32, 8 and 1 bytes at a time: a non-ASCII byte at
 * every offset of texts of every length up to 80 and a few longer ones (in
 * an exactly sized buffer), with the offset map of the valid ones,
 * and the offset of an invalid sequence after an ASCII prefix of each
 * length.
 */
static void test_norm_ascii_runs(void)
{
    /* and lengths past the 64-byte steps of the long runs (AVX2: from 256 bytes on) and their offset maps */
    static const size_t longer[] = {255, 256, 257, 319, 320, 383, 600};
    size_t n, k, x;

    for (x = 0; x <= 80 + BW_NELEMS(longer); x++) {
        char *b;
        n = x <= 80 ? x : longer[x - 81];
        b = malloc(n + 1);
        CU_ASSERT_FATAL(b != NULL);
        memset(b, 'a', n);
        CU_ASSERT_TRUE(bw_is_ascii(b, n));
        for (k = 0; k < n; k++) {
            b[k] = (char)0x80;
            CU_ASSERT_FALSE(bw_is_ascii(b, n));
            b[k] = 'a';
        }
        if (n >= 2) {
            for (k = 0; k + 2 <= n; k++) {
                memset(b, 'a', n);
                b[k] = (char)0xc3;
                b[k + 1] = (char)0x28; /* not a continuation byte */
                bw_norm_init(&nm);
                CU_ASSERT_EQUAL(bw_norm_run(&nm, b, n), BW_EUTF8);
                CU_ASSERT_EQUAL(nm.bad_off, k);
                bw_norm_free(&nm);
                b[k + 1] = (char)0xa9; /* "é": valid, and composed as before */
                bw_norm_init(&nm);
                CU_ASSERT_EQUAL(bw_norm_run(&nm, b, n), 0);
                CU_ASSERT_EQUAL(nm.len, n);
                if (nm.map && nm.len == n) {
                    size_t q;
                    for (q = 0; q < n; q++)
                        if (q != k + 1 && nm.map[q] != q)
                            break;
                    CU_ASSERT_EQUAL(q, n);
                }
                bw_norm_free(&nm);
            }
        }
        free(b);
    }
}

static void test_norm_ligature_expands(void)
{
    /* "ﬁ" (U+FB01) -> "fi": a span over "f" ends after the ligature */
    const char *s = "\xef\xac\x81ne";
    view(s);
    CU_ASSERT_NSTRING_EQUAL(nm.text, "fine", 4);
    CU_ASSERT_EQUAL(bw_norm_end(nm.map, nm.len, nm.orig_len, 1), 3);
    CU_ASSERT_EQUAL(bw_norm_start(nm.map, nm.len, nm.orig_len, 2), 3);
    bw_norm_free(&nm);
}

static const struct bw_test tests[] = {
    {"test_norm_ascii_identity", test_norm_ascii_identity},
    {"test_norm_fullwidth", test_norm_fullwidth},
    {"test_norm_zero_width_removed", test_norm_zero_width_removed},
    {"test_norm_combining_composes", test_norm_combining_composes},
    {"test_norm_confusables_mixed_script", test_norm_confusables_mixed_script},
    {"test_norm_invalid_utf8", test_norm_invalid_utf8},
    {"test_norm_text_ascii", test_norm_text_ascii},
    {"test_norm_ascii_runs", test_norm_ascii_runs},
    {"test_norm_ligature_expands", test_norm_ligature_expands},
};
BW_TEST_MAIN("norm", tests)
