/* Tests of pii/context.c: context words, the lexicons, the SIMD candidate finder against a plain loop. */
#include <ctype.h>

#include "pii/context.h"
#include "tests/unit/testutil.h"

static void test_context_lexicon(void)
{
    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    CU_ASSERT_TRUE(bw_pii_lex("John", 4) & BW_LEX_FIRST);
    CU_ASSERT_TRUE(bw_pii_lex("JOHN", 4) & BW_LEX_FIRST);
    CU_ASSERT_TRUE(bw_pii_lex("Abbott", 6) & BW_LEX_LAST);
    CU_ASSERT_TRUE(bw_pii_lex("Will", 4) & BW_LEX_COMMON); /* a name and a word */
    CU_ASSERT_TRUE(bw_pii_lex("The", 3) & BW_LEX_NOTNAME);
    CU_ASSERT_TRUE(bw_pii_lex("Street", 6) & BW_LEX_STYPE);
    CU_ASSERT_TRUE(bw_pii_lex("Street", 6) & BW_LEX_ORG);
    CU_ASSERT_TRUE(bw_pii_lex("Rue", 3) & BW_LEX_SPREFIX);
    CU_ASSERT_TRUE(bw_pii_lex("Mr", 2) & BW_LEX_HONOR);
    CU_ASSERT_TRUE(bw_pii_lex("dear", 4) & BW_LEX_CUE);
    CU_ASSERT_TRUE(bw_pii_lex_letters("San", 3) & BW_LEX_PLACE);
    CU_ASSERT_TRUE(bw_pii_lex_letters("LOWER", 5) & BW_LEX_PLACE);
    CU_ASSERT_FALSE(bw_pii_lex_letters("Sand", 4) & BW_LEX_PLACE);
    CU_ASSERT_TRUE(bw_pii_lex("com", 3) & BW_LEX_GTLD);
    CU_ASSERT_TRUE(bw_pii_lex("de", 2) & BW_LEX_CCTLD);
    CU_ASSERT_TRUE(bw_pii_lex("py", 2) & BW_LEX_TLD);
    CU_ASSERT_FALSE(bw_pii_lex("py", 2) & BW_LEX_CCTLD); /* main.py is a file */
    CU_ASSERT_TRUE(bw_pii_lex("xn--p1ai", 8) & BW_LEX_TLD);
    CU_ASSERT_EQUAL(bw_pii_lex("Qwxzvbn", 7), 0);
    CU_ASSERT_TRUE(bw_pii_lex("\xc3\x81" "d\xc3\xa1m", 6) & BW_LEX_FIRST); /* "Ádám", folded */
}

static void test_context_words_before(void)
{
    const char *s = "My credit card number is 4111111111111111";
    const char *t = "Phone:\n60-56-85-91";
    const char *far = "my PIN is something we never share with anyone at all, 4821";
    uint32_t near = 0, c;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    c = bw_pii_ctx_before2(s, strlen(s), 25, &near);
    CU_ASSERT_TRUE(c & BW_CTX_CARD);
    CU_ASSERT_TRUE(near & BW_CTX_CARD); /* "card" is the third word back */
    CU_ASSERT_TRUE(bw_pii_ctx_before(t, strlen(t), 7) & BW_CTX_PHONE);
    CU_ASSERT_FALSE(bw_pii_ctx_before(far, strlen(far), strlen(far) - 4) & BW_CTX_PIN);
    CU_ASSERT_TRUE(bw_pii_ctx_word("cvv", 3) & BW_CTX_CVV);
    CU_ASSERT_TRUE(bw_pii_ctx_before("Passport's number 123", 21, 18) & BW_CTX_PASSPORT); /* "'s" stripped */
    CU_ASSERT_TRUE(bw_pii_ctx_before("acct# 12345678", 14, 6) & BW_CTX_ACCOUNT);
    CU_ASSERT_TRUE(bw_pii_ctx_after("416 60 039 office", 17, 10, 1) & BW_CTX_PHONE);
}

/*
 * Words are keyed and hashed with overlapping loads: every length from 1
 * to 16, any case, a word at the very end of its buffer, a NUL or a
 * non-ASCII byte inside, and the same word inside a longer one. A short
 * word absent from the short table is absent.
 */
static void test_context_lexicon_short_keys(void)
{
    static const char *const w[] = {"al",          "amy",           "john",           "abbott",
                                    "street",      "xn--p1ai",      "mr",             "dear",
                                    "de",          "aanjaneya",     "aanandinii",     "abbondanzio",
                                    "abderrahmane", "aanandaswarup", "acharyanandana", "arunthavanathan",
                                    "boylakutlutarkan"};
    char buf[32];
    size_t i, n;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        unsigned f;
        n = strlen(w[i]);
        f = bw_pii_lex(w[i], n);
        CU_ASSERT_NOT_EQUAL(f, 0);
        /* at the end of an exactly sized heap buffer (ASan checks the loads) */
        {
            char *h = malloc(n);
            size_t k;
            CU_ASSERT_FATAL(h != NULL);
            for (k = 0; k < n; k++)
                h[k] = (char)(w[i][k] >= 'a' && w[i][k] <= 'z' ? w[i][k] - 32 : w[i][k]);
            CU_ASSERT_EQUAL(bw_pii_lex(h, n), f);
            free(h);
        }
        /* followed by other letters: only n bytes count */
        memcpy(buf, w[i], n);
        memcpy(buf + n, "qqqqqqqq", 8);
        CU_ASSERT_EQUAL(bw_pii_lex(buf, n), f);
    }
    CU_ASSERT_EQUAL(bw_pii_lex("jo\0n", 4), 0);       /* not "jo" */
    CU_ASSERT_EQUAL(bw_pii_lex("\0\0\0\0\0\0\0\0", 8), 0);
    CU_ASSERT_EQUAL(bw_pii_lex("jo\xffn", 4), 0);
    CU_ASSERT_EQUAL(bw_pii_lex("a", 1), bw_pii_lex("A", 1));
    CU_ASSERT_EQUAL(bw_pii_lex("qzxqzxqz", 8), 0);
    CU_ASSERT_EQUAL(bw_pii_lex("Aanjaneya\xc3\xa9", 11), 0);
    CU_ASSERT_TRUE(bw_pii_lex("is", 2) & BW_LEX_CUE);
    CU_ASSERT_EQUAL(bw_pii_lex("Abbotts", 6), bw_pii_lex("abbott", 6));
}

/* bw_pii_lex_letters() answers what bw_pii_lex() answers, for words in and out of the lexicon, any case and length. */
static void test_context_lexicon_letters(void)
{
    static const char *const w[] = {"The", "This", "However", "John", "JOHN", "john", "Abbott", "Mr", "Dear",
                                    "Street", "Python", "Qzxqzxq", "A", "I", "Christopher", "Boylakutlutarkan", "Xy"};
    size_t i;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        size_t n = strlen(w[i]);
        char *h = malloc(n);
        CU_ASSERT_FATAL(h != NULL);
        memcpy(h, w[i], n); /* at the end of an exactly sized heap buffer */
        CU_ASSERT_EQUAL(bw_pii_lex_letters(h, n), bw_pii_lex(w[i], n));
        free(h);
    }
    CU_ASSERT_TRUE(bw_pii_lex_letters("John", 4) & BW_LEX_FIRST);
    CU_ASSERT_EQUAL(bw_pii_lex_letters("Qzxqzxq", 7), 0);
    CU_ASSERT_EQUAL(bw_pii_lex_letters("Johnny", 4), bw_pii_lex("John", 4)); /* only n bytes count */
}

/*
 * Words the short table cannot hold (longer than 8 bytes, or not ASCII)
 * pass the length and first/last byte signature in front of the hash
 * whatever their case: ASCII and Latin-1 letters at either end, lengths
 * of 16 and more (the signature keeps the length's low four bits).
 */
static void test_context_lexicon_long_signature(void)
{
    static const struct {
        const char *w, *up;
    } w[] = {{"Christopher", "CHRISTOPHER"}, {"Maximilian", "maximilian"}, {"Adélaïde", "ADéLAïDE"},
             {"Abigaëlle", "aBIGAëLLE"},     {"boylakutlutarkan", "BOYLAKUTLUTARKAN"}};
    size_t i;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        size_t n = strlen(w[i].w);
        unsigned f = bw_pii_lex(w[i].w, n);
        char *h = malloc(n);
        CU_ASSERT_TRUE(f & BW_LEX_FIRST);
        CU_ASSERT_FATAL(h != NULL);
        memcpy(h, w[i].up, n); /* at the end of an exactly sized heap buffer */
        CU_ASSERT_EQUAL(bw_pii_lex(h, n), f);
        free(h);
    }
    /* absent: other last letter, other length, a non-letter at either end */
    CU_ASSERT_EQUAL(bw_pii_lex("Christophez", 11), 0);
    CU_ASSERT_EQUAL(bw_pii_lex("Christophere", 12), 0);
    CU_ASSERT_EQUAL(bw_pii_lex("Christopher1", 12), 0);
    CU_ASSERT_EQUAL(bw_pii_lex("-hristopher", 11), 0);
    CU_ASSERT_EQUAL(bw_pii_lex("Adélaïd\xc3", 10), 0);
}

/* Context words pass the signature filter whatever their case, with "'s" and "#". */
static void test_context_words_filter(void)
{
    static const char *const t[] = {"CVV 123", "Cvv2 123", "Driver's 123", "drivers 123", "DL 123", "lic# 123",
                                    "Zip 123", "NI 123", "iban 123", "IBAN's 123"};
    size_t i;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        CU_ASSERT_NOT_EQUAL(bw_pii_ctx_before(t[i], strlen(t[i]), strlen(t[i]) - 3), 0);
    /* the short table: "'s" in any case, a # inside, a word of class 0, a digit first */
    CU_ASSERT_TRUE(bw_pii_ctx_before("PIN'S 123", 9, 6) & BW_CTX_PIN);
    CU_ASSERT_TRUE(bw_pii_ctx_before("Expiry## 123", 12, 9) & BW_CTX_EXPIRY);
    CU_ASSERT_EQUAL(bw_pii_ctx_before("cv#v 123", 8, 5), 0);
    CU_ASSERT_EQUAL(bw_pii_ctx_before("In 123", 6, 3), 0);
    CU_ASSERT_EQUAL(bw_pii_ctx_before("9pin 123", 8, 5), 0);
    CU_ASSERT_TRUE(bw_pii_ctx_before("Verification 123", 16, 13) & BW_CTX_CVV); /* the long path */
    CU_ASSERT_EQUAL(bw_pii_ctx_before("Cxx 123", 7, 4), 0);
    CU_ASSERT_EQUAL(bw_pii_ctx_before("zap 123", 7, 4), 0);
}

/* The candidate finder (16 and 32 bytes at a time) agrees with a byte loop on random text. */
static void test_context_starts_match_scalar(void)
{
    static const char alphabet[] = "aB Cd9\xc3\x89x.Z1\n'-\xe2\x80\x9cqQ";
    char buf[9000]; /* a few batches of masks */
    unsigned seed = 12345;
    int round, digits;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (round = 0; round < 200; round++) {
        size_t n = 1 + (size_t)(round * 61) % (sizeof(buf) - 1), i;
        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        for (digits = 0; digits < 2; digits++) {
            struct bw_pii_starts it;
            size_t p = 0, q = 0, k;
            bw_pii_starts_init(&it, buf, n, digits);
            for (k = 0; k < n + 1; k++) {
                /* the plain loop */
                while (q < n) {
                    unsigned char c = (unsigned char)buf[q];
                    int cand = bw_c_upper(c) || (c >= 0xc3 && c <= 0xdf) || (digits && bw_c_digit(c));
                    if (cand && (q == 0 || !bw_c_word((unsigned char)buf[q - 1])))
                        break;
                    q++;
                }
                p = bw_pii_starts_next(&it, p);
                CU_ASSERT_EQUAL(p, q);
                CU_ASSERT_EQUAL(bw_pii_next_start(buf, n, k < n ? k : n, digits) >= (k < n ? k : n), 1);
                if (p >= n || q >= n)
                    break;
                p++;
                q++;
            }
            /* any order of `from`: backwards, across batches, past the end */
            bw_pii_starts_init(&it, buf, n, digits);
            for (k = 0; k < 64; k++) {
                size_t from;
                seed = seed * 1103515245u + 12345u;
                from = (seed >> 8) % (n + 2);
                CU_ASSERT_EQUAL(bw_pii_starts_next(&it, from), from < n ? bw_pii_next_start(buf, n, from, digits) : n);
            }
        }
    }
}

/*
 * bw_pii_start_masks() against the byte rule, for texts of every length
 * up to a few batches and every starting block: a candidate bit where the
 * byte is an ASCII capital or a 0xC3..0xDF lead byte, none at or after
 * the end (the last block is partial).
 */
static void test_context_start_masks(void)
{
    static const char alphabet[] = "aB Cd9\xc3\x89x.Z1\n'-\xe2\x80\x9cqQ\xdf\xe0";
    char buf[4200];
    uint64_t out[BW_PII_STARTS_BATCH + 3];
    unsigned seed = 777;
    size_t n, i;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (i = 0; i < sizeof(buf); i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
    }
    for (n = 0; n <= sizeof(buf); n += (n < 200 ? 1 : 37)) {
        size_t from, blocks = (n + 63) / 64;
        for (from = 0; from <= blocks * 64; from += 64) {
            unsigned nb = (unsigned)BW_MIN((size_t)BW_PII_STARTS_BATCH, blocks - from / 64 + 2), b, k;
            memset(out, 0xa5, sizeof(out));
            bw_pii_start_masks(buf, n, from, nb, out);
            for (b = 0; b < nb; b++)
                for (k = 0; k < 64; k++) {
                    size_t p = from + 64 * b + k;
                    unsigned char c = p < n ? (unsigned char)buf[p] : 0;
                    int want = p < n && (bw_c_upper(c) || (c >= 0xc3 && c <= 0xdf));
                    if ((int)(out[b] >> k & 1) != want) {
                        CU_FAIL("mask bit");
                        return;
                    }
                }
            CU_ASSERT_EQUAL(out[nb], 0xa5a5a5a5a5a5a5a5ull); /* nothing written past n blocks */
        }
    }
}

/*
 * The walk back from a position over bit masks against the rule written
 * out byte by byte here: up to BW_CTX_WORDS_BEFORE words of letters,
 * digits, ' and # in the 96 bytes before it, stopping at the second
 * newline, "near" holding the classes of the first three. A word's
 * classes are asked of a view holding that word alone.
 */
static uint32_t ref_before(const char *v, size_t len, size_t pos, uint32_t *near)
{
    size_t lim = pos > 96 ? pos - 96 : 0, i = pos < len ? pos : len;
    uint32_t c = 0;
    int nw = 0, nl = 0;

    *near = 0;
    while (i > lim && nw < BW_CTX_WORDS_BEFORE) {
        size_t e = i;
        unsigned char ch = (unsigned char)v[i - 1];
        if (!(isalnum(ch) || ch == '\'' || ch == '#')) {
            if (ch == '\n' && ++nl > 1)
                break;
            i--;
            continue;
        }
        while (i > lim && (isalnum((unsigned char)v[i - 1]) || v[i - 1] == '\'' || v[i - 1] == '#'))
            i--;
        nw++;
        c |= bw_pii_ctx_before(v + i, e - i, e - i);
        if (nw <= 3)
            *near = c;
    }
    return c;
}

/*
 * A random text of at least `min` bytes from the tokens, with a 70-byte
 * word (longer than the 64-byte masks) once in `longev` picks; buf must hold
 * min + 70 bytes.
 */
static size_t rand_text(char *buf, size_t min, const char *const *tok, size_t ntok, unsigned longev, unsigned *seed)
{
    size_t n = 0;

    while (n < min) {
        const char *t;
        *seed = *seed * 1103515245u + 12345u;
        if ((*seed >> 16) % longev == 0) {
            memset(buf + n, 'q', 70);
            n += 70;
            continue;
        }
        t = tok[(*seed >> 16) % ntok];
        memcpy(buf + n, t, strlen(t));
        n += strlen(t);
    }
    return n;
}

static void test_context_before_walk(void)
{
    static const char *const tok[] = {"pin", "PIN", "card", "acct#", "Driver's", "zip", "phone", "the", "number",
                                      "x", "1234", "&#128514;", " ", " ", " ", "\n", ", ", "\n\n", ": ", "'",
                                      "cvv#", "ssn", "routing", "\xc3\xa9t\xc3\xa9", "a-b"};
    char buf[400];
    unsigned seed = 7;
    int round;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (round = 0; round < 300; round++) {
        size_t n = rand_text(buf, 300, tok, BW_NELEMS(tok), 40, &seed), pos;
        for (pos = 0; pos <= n + 2; pos++) {
            uint32_t near = 0xdead, rnear, c = bw_pii_ctx_before2(buf, n, pos, &near);
            CU_ASSERT_EQUAL(c, ref_before(buf, n, pos, &rnear));
            CU_ASSERT_EQUAL(near, rnear);
            CU_ASSERT_EQUAL(bw_pii_ctx_before(buf, n, pos), c);
        }
    }
}

/*
 * maybe_ctx()'s filters let through each context word as written, in
 * upper case, with "'s", or one # or ' after it, before a number; and turn
 * away words that only share a context word's first letters and length
 * ("the", "this"). (Longer tails, "zip's#", pass where the length
 * signatures happen to let them: the same before and after the forms.)
 */
static void test_context_words_forms(void)
{
    static const char *const w[] = {"phone", "tel", "cc", "dl", "ni", "ph", "ssn", "acct", "driver's", "cvv2",
                                    "verification", "numberplate", "abarouting", "instapayment", "zip", "plz",
                                    "thru", "iban", "age", "aws", "address", "located", "hmrc", "ohip"};
    static const char *const tail[] = {"", "#", "'", "'s", "'S"};
    char buf[64];
    size_t i, j, k, n;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (i = 0; i < BW_NELEMS(w); i++) {
        uint32_t want = bw_pii_ctx_word(w[i], strlen(w[i]));
        CU_ASSERT_NOT_EQUAL(want, 0);
        for (j = 0; j < BW_NELEMS(tail); j++)
            for (k = 0; k < 2; k++) {
                size_t q;
                n = (size_t)snprintf(buf, sizeof(buf), "%s%s 1234", w[i], tail[j]);
                for (q = 0; k && q < n; q++)
                    buf[q] = (char)toupper((unsigned char)buf[q]);
                if (n - 5 > 15)
                    continue; /* longer than any context word is read */
                CU_ASSERT_EQUAL(bw_pii_ctx_before(buf, n, n - 4), want);
            }
    }
    CU_ASSERT_EQUAL(bw_pii_ctx_before("the 1234", 8, 4), 0);
    CU_ASSERT_EQUAL(bw_pii_ctx_before("this 1234", 9, 5), 0);
    CU_ASSERT_EQUAL(bw_pii_ctx_before("pins 1234", 9, 5), BW_CTX_PIN);
}

/*
 * The memo of the last walk without a context word (bw_pii_ctx_before3)
 * against the walk itself, asked at increasing positions as numbers are,
 * with jumps forward and back, on texts of HTML entities in a row, words
 * cut at the 96-byte limit, long words, newlines and UTF-8.
 */
static void test_context_before_memo(void)
{
    static const char *const tok[] = {"&#128514;", "&#128514;", "&#9;", "&#12345678;", "pin", "PIN", "zip", "the",
                                      "x", "1234", " ", " ", "\n", "\n\n", "#", "'", "ab12", "\xc3\xa9t\xc3\xa9",
                                      "cvv", ": ", ";", "driver's"};
    char buf[600];
    unsigned seed = 99;
    int round;

    CU_ASSERT_FATAL(bw_pii_lex_load() == 0);
    for (round = 0; round < 400; round++) {
        struct bw_pii_ctxm m = {NULL, 0, 0, 0};
        size_t n = rand_text(buf, 500, tok, BW_NELEMS(tok), 50, &seed), pos = 0;
        while (pos <= n + 1) {
            uint32_t near = 0xdead, rnear = 0xbeef, c = bw_pii_ctx_before3(buf, n, pos, &near, &m);
            CU_ASSERT_EQUAL(c, bw_pii_ctx_before2(buf, n, pos, &rnear));
            CU_ASSERT_EQUAL(near, rnear);
            seed = seed * 1103515245u + 12345u;
            switch ((seed >> 16) % 8) {
            case 0: /* back a little */
                pos = pos > 5 ? pos - 5 : pos + 1;
                break;
            case 1: /* far ahead */
                pos += 40 + (seed >> 20) % 60;
                break;
            default: /* the next few bytes */
                pos += 1 + (seed >> 20) % 12;
            }
        }
    }
}

static const struct bw_test tests[] = {
    {"test_context_before_memo", test_context_before_memo},
    {"test_context_words_forms", test_context_words_forms},
    {"test_context_lexicon", test_context_lexicon},
    {"test_context_words_before", test_context_words_before},
    {"test_context_lexicon_short_keys", test_context_lexicon_short_keys},
    {"test_context_lexicon_letters", test_context_lexicon_letters},
    {"test_context_lexicon_long_signature", test_context_lexicon_long_signature},
    {"test_context_words_filter", test_context_words_filter},
    {"test_context_starts_match_scalar", test_context_starts_match_scalar},
    {"test_context_start_masks", test_context_start_masks},
    {"test_context_before_walk", test_context_before_walk},
};

BW_TEST_MAIN("pii/context", tests)
