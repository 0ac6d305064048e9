/*
 * Tests of the shared word list of filters/tokens.c against bw_tok_next(),
 * word by word: the narrow list numbers its words while reading them (key
 * from the vector, a table of ids zeroed per id after each run), the lists
 * with slots after; every list must hold exactly the words, ids, keys and
 * infos the reference reading gives, on texts that end anywhere, read with
 * AVX2 and without.
 */
#include <stdlib.h>
#include <string.h>

#include "filters/limits.h"
#include "filters/tokens.h"
#include "tests/unit/testutil.h"

/* The text in a heap block of exactly n bytes: a read past its end is ASan's to see. */
static char *exact(const char *s, size_t n)
{
    char *b = malloc(n ? n : 1);

    if (b != NULL)
        memcpy(b, s, n);
    return b;
}

/*
 * Checks every list kind of s[0..n) against bw_tok_next(); tl is reused
 * (its table and arrays from the texts before). Returns 1 when all agree.
 */
static int check_kinds(struct bw_toklist *tl, const char *s, size_t n)
{
    struct bw_tok *ref = malloc(((n + 1) / 2 + 1) * sizeof(*ref));
    size_t nref = 0, pos = 0, i, j;
    uint32_t *rid = malloc(((n + 1) / 2 + 1) * sizeof(*rid)), nid = 0;
    int ok = ref != NULL && rid != NULL, kind;

    while (ok && bw_tok_next(s, n, &pos, &ref[nref]))
        nref++;
    /* the ids bw_tok_next's words get: equal bytes, equal ids, in order of first appearance */
    for (i = 0; ok && i < nref; i++) {
        for (j = 0; j < i; j++)
            if (ref[j].len == ref[i].len && memcmp(ref[j].w, ref[i].w, ref[i].len) == 0)
                break;
        rid[i] = j < i ? rid[j] : nid++;
    }
    for (kind = 0; ok && kind < 3; kind++) {
        int narrow = kind == 0;
        if (kind == 1)
            bw_toklist_want_case(tl);
        ok &= (kind == 2 ? bw_toklist_run_lean(tl, s, n) : bw_toklist_run(tl, s, n)) == BW_OK;
        ok &= tl->n == nref && tl->nid == nid && tl->narrow == narrow;
        for (i = 0; ok && i < nref; i++) {
            const struct bw_tok *r = &ref[i];
            uint32_t d = tl->id[i];
            const struct bw_tokkey *k = &tl->key[d];
            unsigned info = tl->info[d], digit = 0;
            uint64_t a[2] = {0, 0};
            ok &= d == rid[i];
            if (narrow) {
                ok &= tl->len8[i] == r->len && memcmp(tl->w16[i].w, r->w, r->len < 16 ? r->len : 16) == 0;
                ok &= (tl->flags[i] & BW_TOKF_DIGIT) == (r->flags & BW_TOKF_DIGIT);
                ok &= r->len <= 16 || memcmp(tl->t[i].w, r->w, r->len) == 0;
            } else {
                const struct bw_tok *x = &tl->t[i];
                ok &= x->len == r->len && memcmp(x->w, r->w, r->len) == 0 && x->start == r->start &&
                      x->end == r->end && tl->flags[i] == x->flags;
                ok &= kind == 2 ? (x->flags & BW_TOKF_DIGIT) == (r->flags & BW_TOKF_DIGIT) : x->flags == r->flags;
            }
            /* the id's key: its first 16 bytes zero-padded, its length and first word */
            memcpy(a, r->w, r->len < 16 ? r->len : 16);
            ok &= k->a == a[0] && k->b == a[1] && k->len == r->len && rid[k->first] == d && k->first <= i;
            ok &= bw_toklist_len(tl, d) == r->len && memcmp(bw_toklist_bytes(tl, d), r->w, r->len) == 0;
            for (j = 0; j < nref; j++)
                if (rid[j] == d && (ref[j].flags & BW_TOKF_DIGIT))
                    digit = 1;
            ok &= (info & BW_TOKI_STEM) == bw_tok_stem(r->w, r->len) && !!(info & BW_TOKI_DIGIT) == digit &&
                  !!(info & BW_TOKI_STOP) == (!narrow && bw_tok_stopword(r->w, r->len));
        }
    }
    free(ref);
    free(rid);
    return ok;
}

/* check_kinds with and without AVX2 (each its own reading loop and masks). */
static int check(struct bw_toklist *tl, const char *s, size_t n)
{
    int ok;

    bw_tok_use_avx2(0);
    ok = check_kinds(tl, s, n);
    bw_tok_use_avx2(1);
    return ok && check_kinds(tl, s, n);
}

/* Words of every length around the 16 bytes the vector holds, and the 48 a slot does, at the text's end. */
static void test_tokens_lengths(void)
{
    static const char *const seps[] = {" ", "'", "' ", "`x", "\xe2\x80\x99", "\xe2\x80\x94", "\xc3\xa9", ".\n", "'s"};
    struct bw_toklist tl = {0};
    char buf[256];
    size_t len, k, lead;
    int ok = 1;

    for (lead = 0; lead < 3; lead++)
        for (len = 1; len <= 60; len++)
            for (k = 0; k < BW_NELEMS(seps); k++) {
                size_t n = 0, i, rep;
                char *b;
                /* the same word three times (ids), upper case and digits in it, each time ended otherwise */
                for (rep = 0; rep < 3; rep++) {
                    memcpy(buf + n, "xy ", lead);
                    n += lead;
                    for (i = 0; i < len; i++)
                        buf[n++] = (char)(i == 0 ? 'Q' : i % 7 == 3 ? '7' : 'a' + (char)((i * 5 + rep * 0) % 26));
                    if (rep < 2) {
                        memcpy(buf + n, seps[(k + rep) % BW_NELEMS(seps)], strlen(seps[(k + rep) % BW_NELEMS(seps)]));
                        n += strlen(seps[(k + rep) % BW_NELEMS(seps)]);
                    }
                }
                /* and as the last bytes of the text, then with the separator after */
                b = exact(buf, n);
                ok &= b != NULL && check(&tl, b, n);
                free(b);
                memcpy(buf + n, seps[k], strlen(seps[k]));
                n += strlen(seps[k]);
                b = exact(buf, n);
                ok &= b != NULL && check(&tl, b, n);
                free(b);
            }
    CU_ASSERT(ok);
    bw_toklist_free(&tl);
}

/*
 * Many distinct words (probes past the first slot) and words that share
 * their first 16 bytes (a word of 16 and longer ones: one key), in texts
 * of falling and rising size through one list: its table must be all
 * zero again after every run.
 */
static void test_tokens_many(void)
{
    static const size_t sizes[] = {20000, 300, 32768, 5, 9000, 0, 1, 32768};
    struct bw_toklist tl = {0};
    uint32_t seed = 7;
    size_t r;
    int ok = 1;

    for (r = 0; r < BW_NELEMS(sizes); r++) {
        size_t n = 0, want = sizes[r];
        char *b = malloc(want ? want : 1);
        CU_ASSERT_FATAL(b != NULL);
        while (n < want) {
            size_t l, i;
            seed = seed * 1103515245u + 12345u;
            l = 1 + (seed >> 16) % 24;
            if ((seed >> 8) % 5 == 0) {
                /* a shared prefix of 16 bytes, then a short tail */
                memcpy(b + n, "prefixprefixpref", want - n < 16 ? want - n : 16);
                n += want - n < 16 ? want - n : 16;
            }
            for (i = 0; i < l && n < want; i++) {
                seed = seed * 1103515245u + 12345u;
                b[n++] = (char)('a' + (seed >> 20) % ((seed >> 7) % 2 ? 3 : 26));
            }
            if (n < want)
                b[n++] = (seed >> 12) % 9 ? ' ' : '\'';
        }
        ok &= check(&tl, b, n);
        free(b);
    }
    CU_ASSERT(ok);
    bw_toklist_free(&tl);
}

/* Words of 16 bytes and longer ones that begin with them share a key: their lengths tell them apart. */
static void test_tokens_key16(void)
{
    static const char *const texts[] = {
        "abcdefghijklmnop abcdefghijklmnopq abcdefghijklmnop abcdefghijklmnopqr abcdefghijklmnopq x",
        "abcdefghijklmnopq abcdefghijklmnop abcdefghijklmnopq abcdefghijklmnop",
        "Abcdefghijklmnop abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr ABCDEFGHIJKLMNOP",
    };
    struct bw_toklist tl = {0};
    size_t i;

    for (i = 0; i < BW_NELEMS(texts); i++)
        CU_ASSERT(check(&tl, texts[i], strlen(texts[i])));
    bw_toklist_free(&tl);
}

/* Every byte value inside, before and after words, at both 32-byte halves of a chunk (the masks' classes). */
static void test_tokens_bytes(void)
{
    struct bw_toklist tl = {0};
    char buf[160];
    unsigned v;
    int ok = 1;

    for (v = 0; v < 256; v++) {
        size_t n = 0, i;
        while (n < 150) {
            static const char *const parts[] = {"aQ", "7z", "Zx", "b9", "", " "};
            const char *q = parts[(n / 3 + v) % BW_NELEMS(parts)];
            memcpy(buf + n, q, strlen(q));
            n += strlen(q);
            buf[n++] = (char)v;
        }
        for (i = 0; i < 3; i++)
            ok &= check(&tl, buf + i, n - i);
    }
    CU_ASSERT(ok);
    bw_toklist_free(&tl);
}

/* The most words a list holds: one-letter words a byte apart; a longer text is the scorers' to read. */
static void test_tokens_limit(void)
{
    size_t n = 2 * (size_t)BW_MAX_TOKLIST, i;
    char *b = malloc(n + 2);
    struct bw_toklist tl = {0};

    CU_ASSERT_FATAL(b != NULL);
    for (i = 0; i < n + 2; i++)
        b[i] = i % 2 ? ' ' : (char)('a' + (i / 2) % 26);
    CU_ASSERT(check(&tl, b, n));
    CU_ASSERT_EQUAL(tl.n, BW_MAX_TOKLIST);
    CU_ASSERT_EQUAL(bw_toklist_run(&tl, b, n + 2), BW_ELIMIT);
    CU_ASSERT_EQUAL(tl.n, 0);
    CU_ASSERT(check(&tl, b, 1000));
    bw_toklist_free(&tl);
    free(b);
}

static const struct bw_test tests[] = {
    {"test_tokens_lengths", test_tokens_lengths},
    {"test_tokens_many", test_tokens_many},
    {"test_tokens_key16", test_tokens_key16},
    {"test_tokens_bytes", test_tokens_bytes},
    {"test_tokens_limit", test_tokens_limit},
};

BW_TEST_MAIN("tokens", tests)
