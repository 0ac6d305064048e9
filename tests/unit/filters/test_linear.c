/*
 * Tests of filters/linear.c (features, scoring, the .bwm format, training)
 * and of the tokenizer it reads text with (filters/tokens.c).
 */
#include <cjson/cJSON.h>

#include "filters/content.h"
#include "filters/lexicon.h"
#include "filters/linear.h"
#include "filters/tokens.h"
#include "tests/unit/testutil.h"

static struct bw_lin_row rows[64];
static size_t nrows;
static char *fixture;

/* Loads tests/data/cls/train_small.jsonl into rows[]. */
static void load_rows(void)
{
    char *p, *eol;

    if (nrows)
        return;
    fixture = bw_test_slurp("tests/data/cls/train_small.jsonl", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fixture);
    for (p = fixture; *p && nrows < BW_NELEMS(rows); p = eol + 1) {
        cJSON *o, *t, *l;
        if ((eol = strchr(p, '\n')) == NULL)
            break;
        *eol = '\0';
        o = cJSON_Parse(p);
        t = cJSON_GetObjectItemCaseSensitive(o, "text");
        l = cJSON_GetObjectItemCaseSensitive(o, "label");
        CU_ASSERT_FATAL(cJSON_IsString(t) && cJSON_IsNumber(l));
        memset(&rows[nrows], 0, sizeof(rows[nrows]));
        rows[nrows].text = strdup(t->valuestring);
        rows[nrows].len = strlen(t->valuestring);
        rows[nrows].label = (uint8_t)l->valueint;
        nrows++;
        cJSON_Delete(o);
    }
    CU_ASSERT_EQUAL(nrows, 20);
}

static void opts(struct bw_lin_opts *o)
{
    bw_lin_opts_default(o);
    o->bits = 12;
    o->epochs = 20;
    o->category = BW_CAT_INSULTS;
}

static struct bw_linear *train(uint32_t seed)
{
    struct bw_lin_opts o;
    struct bw_linear *m = NULL;

    load_rows();
    opts(&o);
    o.seed = seed;
    CU_ASSERT_EQUAL_FATAL(bw_lin_train(rows, nrows, &o, &m), 0);
    return m;
}

static void save(const struct bw_linear *m, struct bw_buf *b)
{
    bw_buf_init(b, 0);
    CU_ASSERT_EQUAL_FATAL(bw_lin_save(m, b), 0);
}

static void test_linear_learns(void)
{
    struct bw_linear *m = train(1);
    const char *bad = "you stupid pathetic idiot", *good = "what time does the museum open";

    CU_ASSERT(bw_lin_prob(m, bad, strlen(bad), NULL) > 0.7f);
    CU_ASSERT(bw_lin_prob(m, good, strlen(good), NULL) < 0.3f);
    bw_lin_free(m);
}

static void test_linear_deterministic(void)
{
    struct bw_linear *a = train(7), *b = train(7), *c = train(8);
    struct bw_buf ba, bb, bc;

    save(a, &ba);
    save(b, &bb);
    save(c, &bc);
    /* same data and seed: the same bytes; another seed: another model */
    CU_ASSERT_EQUAL(ba.len, bb.len);
    CU_ASSERT(memcmp(ba.base, bb.base, ba.len) == 0);
    CU_ASSERT_EQUAL(ba.len, bc.len);
    CU_ASSERT(memcmp(ba.base, bc.base, ba.len) != 0);
    bw_buf_free(&ba);
    bw_buf_free(&bb);
    bw_buf_free(&bc);
    bw_lin_free(a);
    bw_lin_free(b);
    bw_lin_free(c);
}

static void test_linear_roundtrip(void)
{
    struct bw_linear *m = train(1), *r = NULL;
    struct bw_buf b;
    char err[200];
    size_t i;

    m->thr[0] = 0.2f;
    m->thr[1] = 0.5f;
    m->thr[2] = 0.8f;
    save(m, &b);
    CU_ASSERT_EQUAL(b.len, BW_LIN_HEADER + ((size_t)1 << 12) * 2);
    CU_ASSERT(memcmp(b.base, "BWLM", 4) == 0);
    CU_ASSERT_EQUAL_FATAL(bw_lin_load(b.base, b.len, &r, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(r->bits, 12);
    CU_ASSERT_EQUAL(r->category, BW_CAT_INSULTS);
    CU_ASSERT_EQUAL(r->flags, m->flags);
    CU_ASSERT_EQUAL(r->rows, nrows);
    CU_ASSERT_DOUBLE_EQUAL(r->thr[1], 0.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(r->bias, m->bias, 1e-6);
    /* weights are quantised to 16 bits: probabilities agree closely */
    for (i = 0; i < nrows; i++)
        CU_ASSERT_DOUBLE_EQUAL(bw_lin_prob(m, rows[i].text, rows[i].len, NULL),
                               bw_lin_prob(r, rows[i].text, rows[i].len, NULL), 1e-3);
    CU_ASSERT_EQUAL(bw_lin_level(r, 0.1f), BW_CONF_NONE);
    CU_ASSERT_EQUAL(bw_lin_level(r, 0.2f), BW_CONF_LOW);
    CU_ASSERT_EQUAL(bw_lin_level(r, 0.6f), BW_CONF_MEDIUM);
    CU_ASSERT_EQUAL(bw_lin_level(r, 0.95f), BW_CONF_HIGH);
    bw_lin_free(r);
    bw_lin_free(m);
    bw_buf_free(&b);
}

/* Loads a damaged copy; expects BW_EFORMAT and a message containing want. */
static void expect_bad(const char *img, size_t len, const char *want)
{
    struct bw_linear *r = (struct bw_linear *)1;
    char err[200] = "";

    CU_ASSERT_EQUAL(bw_lin_load(img, len, &r, err, sizeof(err)), BW_EFORMAT);
    CU_ASSERT_PTR_NULL(r);
    if (strstr(err, want) == NULL)
        fprintf(stderr, "\n  got \"%s\", want \"%s\"\n", err, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
}

static void test_linear_bad_files(void)
{
    struct bw_linear *m = train(1);
    struct bw_buf b;
    char *c;

    save(m, &b);
    c = malloc(b.len + 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    expect_bad("", 0, "bad magic");
    expect_bad("BWLX\1\0\100\0", 8, "bad magic");
    expect_bad(b.base, 40, "truncated");
    expect_bad(b.base, b.len - 1, "truncated");
    memcpy(c, b.base, b.len);
    c[4] = 2; /* version 2 */
    expect_bad(c, b.len, "version 2");
    memcpy(c, b.base, b.len);
    c[BW_LIN_HEADER + 100] ^= 0x40; /* a flipped bit in the weights */
    expect_bad(c, b.len, "checksum");
    memcpy(c, b.base, b.len);
    c[10] = 30; /* 2^30 slots */
    expect_bad(c, b.len, "slots");
    memcpy(c, b.base, b.len);
    c[b.len] = 0;
    expect_bad(c, b.len + 1, "after the payload");
    memcpy(c, b.base, b.len);
    c[44] ^= 1; /* payload size */
    expect_bad(c, b.len, "payload size");
    free(c);
    bw_buf_free(&b);
    bw_lin_free(m);
}

static void test_linear_pick(void)
{
    float p[] = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f, 0.3f, 0.2f, 0.1f, 0.05f};
    uint8_t y[] = {1, 1, 0, 1, 1, 0, 0, 0, 0, 0};
    float t;

    /* fpr <= 0: stop before the first negative */
    CU_ASSERT_EQUAL(bw_lin_pick(p, y, 10, "fpr:0", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 0.8, 1e-6);
    /* one negative of six allowed */
    CU_ASSERT_EQUAL(bw_lin_pick(p, y, 10, "fpr:0.17", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 0.5, 1e-6);
    CU_ASSERT_EQUAL(bw_lin_pick(p, y, 10, "recall:1", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 0.5, 1e-6);
    CU_ASSERT_EQUAL(bw_lin_pick(p, y, 10, "prec:1", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 0.8, 1e-6);
    CU_ASSERT_EQUAL(bw_lin_pick(p, y, 10, "f1", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 0.5, 1e-6);
    CU_ASSERT_EQUAL(bw_lin_pick(p, y, 10, "auc", &t), BW_EINVAL);
    CU_ASSERT_EQUAL(bw_lin_pick(p, y, 10, "fpr:2", &t), BW_EINVAL);
}

static int count_feats(void *ctx, const uint32_t *h, size_t k)
{
    BW_UNUSED(h);
    *(size_t *)ctx += k;
    return 0;
}

static void test_linear_features(void)
{
    uint32_t buf[4];
    size_t n = 0;
    const char *s = "Hello, big world"; /* 3 words; padded <hello> has 4 4-grams, <big> 2, <world> 4 */

    bw_feat_run(s, strlen(s), BW_LIN_WORD1, buf, 4, count_feats, &n);
    CU_ASSERT_EQUAL(n, 3);
    n = 0;
    bw_feat_run(s, strlen(s), BW_LIN_WORD1 | BW_LIN_WORD2, buf, 4, count_feats, &n);
    CU_ASSERT_EQUAL(n, 5);
    n = 0;
    bw_feat_run(s, strlen(s), BW_LIN_CHAR4, buf, 4, count_feats, &n);
    CU_ASSERT_EQUAL(n, 10);
}

/*
 * A bigram feature as the content module computes it, from its first
 * word's half (bw_feat_left, once per word id) and the pair's own part
 * (bw_feat_pair): the same value as bw_feat_fold(bw_hash_mix()), for word
 * hashes of every length and for random and extreme values.
 */
static void test_linear_feature_parts(void)
{
    unsigned char w[BW_TOK_MAX];
    uint64_t x = 0x9e3779b97f4a7c15ull, prev = 1;
    size_t n, i;

    for (n = 0; n <= BW_TOK_MAX; n++) {
        uint64_t h;
        for (i = 0; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            w[i] = (unsigned char)(x >> 56);
        }
        h = bw_hash64(w, n, BW_FEAT_SEED_W1);
        CU_ASSERT_EQUAL(bw_feat_pair(bw_feat_left(prev), h), bw_feat_fold(bw_hash_mix(prev, h)));
        CU_ASSERT_EQUAL(bw_feat_pair(bw_feat_left(h), prev), bw_feat_fold(bw_hash_mix(h, prev)));
        prev = h;
    }
    for (i = 0; i < 10000; i++) {
        uint64_t a = x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t b = x = x * 6364136223846793005ull + 1442695040888963407ull;
        CU_ASSERT_EQUAL(bw_feat_pair(bw_feat_left(a), b), bw_feat_fold(bw_hash_mix(a, b)));
    }
    CU_ASSERT_EQUAL(bw_feat_pair(bw_feat_left(0), 0), bw_feat_fold(bw_hash_mix(0, 0)));
    CU_ASSERT_EQUAL(bw_feat_pair(bw_feat_left(~0ull), ~0ull), bw_feat_fold(bw_hash_mix(~0ull, ~0ull)));
}

static void test_linear_case_insensitive(void)
{
    struct bw_linear *m = train(1);
    const char *a = "You STUPID idiot", *b = "you stupid idiot";

    CU_ASSERT_DOUBLE_EQUAL(bw_lin_prob(m, a, strlen(a), NULL), bw_lin_prob(m, b, strlen(b), NULL), 1e-6);
    bw_lin_free(m);
}

static void test_linear_oof(void)
{
    struct bw_lin_opts o;
    float p[64];
    size_t i, right = 0;

    load_rows();
    opts(&o);
    CU_ASSERT_EQUAL_FATAL(bw_lin_oof(rows, nrows, &o, 4, p), 0);
    for (i = 0; i < nrows; i++)
        right += (p[i] >= 0.5f) == rows[i].label;
    /* held-out folds of a toy set: most still right */
    CU_ASSERT(right >= nrows * 7 / 10);
}

static void test_linear_shipped_models(void)
{
    const struct bw_linear *const *m;
    char err[300];

    CU_ASSERT_EQUAL_FATAL(bw_content_models(&m, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(m[BW_CAT_HATE]);
    CU_ASSERT_PTR_NOT_NULL(m[BW_CAT_INSULTS]);
    CU_ASSERT_PTR_NOT_NULL(m[BW_CAT_PROMPT_ATTACK]);
    if (m[BW_CAT_PROMPT_ATTACK]) {
        CU_ASSERT_EQUAL(m[BW_CAT_PROMPT_ATTACK]->category, BW_CAT_PROMPT_ATTACK);
        CU_ASSERT(m[BW_CAT_PROMPT_ATTACK]->thr[0] <= m[BW_CAT_PROMPT_ATTACK]->thr[1]);
        CU_ASSERT(m[BW_CAT_PROMPT_ATTACK]->thr[1] <= m[BW_CAT_PROMPT_ATTACK]->thr[2]);
    }
}

static void test_tokens_words(void)
{
    const char *s = "Don't SHOUT at Bob. 42 apples\xe2\x80\x94" "caf\xc3\xa9";
    struct bw_tok t;
    size_t pos = 0;

    CU_ASSERT(bw_tok_next(s, strlen(s), &pos, &t));
    CU_ASSERT_EQUAL(t.len, 4);
    CU_ASSERT_NSTRING_EQUAL(t.w, "dont", 4);
    CU_ASSERT(t.flags & BW_TOKF_SENT);
    CU_ASSERT(bw_tok_next(s, strlen(s), &pos, &t));
    CU_ASSERT_NSTRING_EQUAL(t.w, "shout", 5);
    CU_ASSERT(t.flags & BW_TOKF_ALLCAP);
    CU_ASSERT(bw_tok_next(s, strlen(s), &pos, &t));
    CU_ASSERT(bw_tok_next(s, strlen(s), &pos, &t));
    CU_ASSERT_NSTRING_EQUAL(t.w, "bob", 3);
    CU_ASSERT((t.flags & BW_TOKF_UPPER) && !(t.flags & BW_TOKF_SENT));
    CU_ASSERT(bw_tok_next(s, strlen(s), &pos, &t));
    CU_ASSERT(t.flags & BW_TOKF_DIGIT);
    CU_ASSERT(t.flags & BW_TOKF_SENT);
    /* an em dash ends a word */
    CU_ASSERT(bw_tok_next(s, strlen(s), &pos, &t));
    CU_ASSERT_EQUAL(t.len, 6);
    CU_ASSERT_NSTRING_EQUAL(t.w, "apples", 6);
    CU_ASSERT(bw_tok_next(s, strlen(s), &pos, &t));
    CU_ASSERT_EQUAL(t.len, 5);
    CU_ASSERT_NSTRING_EQUAL(t.w, "caf\xc3\xa9", 5);
    CU_ASSERT_FALSE(bw_tok_next(s, strlen(s), &pos, &t));
}

static void test_tokens_stem_stop(void)
{
    CU_ASSERT_EQUAL(bw_tok_stem("diseases", 8), bw_tok_stem("disease", 7));
    CU_ASSERT_EQUAL(bw_tok_stem("treatment", 9), bw_tok_stem("treat", 5));
    CU_ASSERT_EQUAL(bw_tok_stem("medication", 10), bw_tok_stem("medical", 7));
    CU_ASSERT(bw_tok_stopword("the", 3));
    CU_ASSERT(bw_tok_stopword("yourselves", 10));
    CU_ASSERT(bw_tok_stopword("should", 6));
    CU_ASSERT_FALSE(bw_tok_stopword("lawyer", 6));
    CU_ASSERT_FALSE(bw_tok_stopword("", 0));
    CU_ASSERT_FALSE(bw_tok_stopword("th", 2));
    CU_ASSERT_FALSE(bw_tok_stopword("thee", 4));
    {
        /* bw_tok_stop reads the word's slot whole: bytes past the word must not count */
        const char *s = "The theory of yourselves, yourselvesx, and SHOULDER should";
        const int want[] = {1, 0, 1, 1, 0, 1, 0, 1};
        struct bw_tok t;
        size_t pos = 0, i = 0;
        while (bw_tok_next(s, strlen(s), &pos, &t) && i < 8) {
            CU_ASSERT_EQUAL(bw_tok_stop(&t), want[i]);
            CU_ASSERT_EQUAL(bw_tok_stopword(t.w, t.len), want[i]);
            i++;
        }
        CU_ASSERT_EQUAL(i, 8);
    }
}

/* The shared word list is exactly what bw_tok_next() reads, word by word (the list reads most words from bit masks). */
static void test_tokens_list(void)
{
    static const char *const parts[] = {"a", "B", "z", "Q", "0", "9", " ", "'", "`", ".", "\n", "\xe2\x80\x99",
                                        "\xe2\x80\x94", "\xc3\xa9", "aaaaaaaaaaaaaaaaaaaaaaa", "XYZ", "(", "\"",
                                        ":", "Hello", "WORLD", "  ", "don't", "McDonald's", "the", "yourselves",
                                        "diseases", "treatment"};
    struct bw_toklist tl = {0};
    uint32_t seed = 12345;
    char *b = malloc(4096);
    int round;

    CU_ASSERT_FATAL(b != NULL);
    for (round = 0; round < 2000; round++) {
        size_t n = 0, pos = 0, k = 0;
        int np = (int)(seed % 400), i, same = 1;
        struct bw_tok t;
        for (i = 0; i < np; i++) {
            const char *p;
            size_t l;
            seed = seed * 1103515245u + 12345u;
            p = parts[(seed >> 8) % BW_NELEMS(parts)];
            l = strlen(p);
            if (n + l > 4096)
                break;
            memcpy(b + n, p, l);
            n += l;
        }
        seed = seed * 1103515245u + 12345u;
        bw_toklist_want_case(&tl);
        CU_ASSERT_EQUAL_FATAL(bw_toklist_run(&tl, b, n), BW_OK);
        while (bw_tok_next(b, n, &pos, &t)) {
            const struct bw_tok *x = k < tl.n ? &tl.t[k] : NULL;
            same &= x && x->len == t.len && memcmp(x->w, t.w, t.len) == 0 && x->start == t.start && x->end == t.end &&
                    x->flags == t.flags && tl.flags[k] == t.flags;
            /* (tl is reused: its numbering table at this text's size, however large the last one made it) */
            /* what the list found per word id: stem length and function word */
            same &= x && bw_toklist_stem(&tl, tl.id[k]) == bw_tok_stem(t.w, t.len) &&
                    bw_toklist_stop(&tl, tl.id[k]) == bw_tok_stopword(t.w, t.len);
            k++;
        }
        CU_ASSERT(same && k == tl.n);
        /* the lean list: the same words and ids, its flags array as its slots' flags */
        if (round % 10 == 0) {
            struct bw_toklist ll = {0};
            CU_ASSERT_EQUAL_FATAL(bw_toklist_run_lean(&ll, b, n), BW_OK);
            same &= ll.n == tl.n && ll.nid == tl.nid;
            for (k = 0; same && k < ll.n; k++)
                same &= ll.id[k] == tl.id[k] && ll.flags[k] == ll.t[k].flags && ll.t[k].start == tl.t[k].start &&
                        (ll.t[k].flags & BW_TOKF_DIGIT) == (tl.t[k].flags & BW_TOKF_DIGIT);
            CU_ASSERT(same);
            bw_toklist_free(&ll);
            /*
             * a list nobody asked the case of (bw_toklist_want_case, used by
             * one run) is narrow: the lean list's ids and flags, each word's
             * first 16 bytes and length in w16 and len8, the slots of the
             * words longer than 16, each id's bytes and stem (no function-
             * word bit); bw_tokit reads the text, not its slots
             */
            {
                struct bw_toklist dl = {0};
                struct bw_toklist lean = {0};
                struct bw_tokit ia, ib;
                const struct bw_tok *ta, *tb;
                CU_ASSERT_EQUAL_FATAL(bw_toklist_run_lean(&lean, b, n), BW_OK);
                bw_toklist_want_case(&dl);
                CU_ASSERT_EQUAL_FATAL(bw_toklist_run(&dl, "", 0), BW_OK);
                CU_ASSERT(!dl.narrow);
                CU_ASSERT_EQUAL_FATAL(bw_toklist_run(&dl, b, n), BW_OK);
                CU_ASSERT(dl.narrow && !lean.narrow);
                same &= dl.n == lean.n && dl.nid == lean.nid;
                for (k = 0; same && k < dl.n; k++) {
                    const struct bw_tok *x = &lean.t[k];
                    uint32_t d = dl.id[k];
                    same &= dl.id[k] == lean.id[k] && dl.flags[k] == lean.flags[k] && dl.len8[k] == x->len &&
                            memcmp(dl.w16[k].w, x->w, x->len < 16 ? x->len : 16) == 0 &&
                            (x->len <= 16 || memcmp(dl.t[k].w, x->w, x->len) == 0) &&
                            bw_toklist_len(&dl, d) == x->len &&
                            memcmp(bw_toklist_bytes(&dl, d), x->w, x->len) == 0 &&
                            bw_toklist_stem(&dl, d) == bw_toklist_stem(&lean, d) &&
                            !bw_toklist_stop(&dl, d);
                }
                CU_ASSERT(same);
                bw_tokit_init(&ia, &dl, b, n);
                bw_tokit_init(&ib, &lean, b, n);
                CU_ASSERT(ia.list == NULL && ib.list != NULL);
                for (k = 0; same; k++) {
                    ta = bw_tokit_next(&ia);
                    tb = bw_tokit_next(&ib);
                    if (ta == NULL || tb == NULL) {
                        same &= ta == tb;
                        break;
                    }
                    same &= ta->len == tb->len && memcmp(ta->w, tb->w, ta->len) == 0 && ta->start == tb->start;
                }
                CU_ASSERT(same && k == lean.n);
                bw_toklist_free(&dl);
                bw_toklist_free(&lean);
            }
        }
        /* word ids: equal exactly when the words are, numbered in order of first appearance */
        if (round % 20 == 0) {
            size_t x, y;
            uint32_t next = 0;
            for (x = 0; x < tl.n; x++) {
                int seen = 0;
                for (y = 0; y < x && !seen; y++)
                    if (tl.t[y].len == tl.t[x].len && memcmp(tl.t[y].w, tl.t[x].w, tl.t[x].len) == 0) {
                        same &= tl.id[x] == tl.id[y];
                        seen = 1;
                    }
                if (!seen)
                    same &= tl.id[x] == next++;
            }
            CU_ASSERT(same && next == tl.nid);
        }
    }
    bw_toklist_free(&tl);
    free(b);
}

/* The stemmer as a chain of suffix tests, as first written: bw_tok_stem() must give the same for every word. */
static int ref_ends(const char *w, size_t n, const char *suf, size_t sl)
{
    return n > sl && memcmp(w + n - sl, suf, sl) == 0;
}

static size_t ref_stem(const char *w, size_t n)
{
    if (n <= 3)
        return n;
    if (ref_ends(w, n, "ies", 3) && n > 4)
        n -= 3;
    else if (ref_ends(w, n, "sses", 4))
        n -= 2;
    else if (w[n - 1] == 's' && !ref_ends(w, n, "ss", 2) && !ref_ends(w, n, "us", 2) && !ref_ends(w, n, "is", 2))
        n -= 1;
    if (ref_ends(w, n, "ing", 3) && n - 3 >= 4)
        n -= 3;
    else if (ref_ends(w, n, "ed", 2) && n - 2 >= 4)
        n -= 2;
    else if (ref_ends(w, n, "ly", 2) && n - 2 >= 4)
        n -= 2;
    if ((ref_ends(w, n, "ation", 5) || ref_ends(w, n, "ition", 5)) && n - 5 >= 4)
        n -= 5;
    else if ((ref_ends(w, n, "ment", 4) || ref_ends(w, n, "ness", 4)) && n - 4 >= 4)
        n -= 4;
    else if ((ref_ends(w, n, "ial", 3) || ref_ends(w, n, "ist", 3) || ref_ends(w, n, "ion", 3)) && n - 3 >= 4)
        n -= 3;
    else if (ref_ends(w, n, "al", 2) && n - 2 >= 5)
        n -= 2;
    if (n > 4 && (w[n - 1] == 'e' || w[n - 1] == 'y' || w[n - 1] == 'i'))
        n -= 1;
    return n;
}

/* Every stem (prefix + up to three endings) of every length, against the chain. */
static void test_tokens_stem_same(void)
{
    static const char *const pre[] = {"", "a", "ab", "abc", "abcd", "abcde", "treat", "s", "ss", "i", "u", "e", "y"};
    static const char *const suf[] = {"", "s", "es", "ies", "sses", "ss", "us", "is", "ing", "ed", "ly", "ation",
                                      "ition", "ment", "ness", "ial", "ist", "ion", "al", "e", "y", "i", "n", "t", "l",
                                      "g", "d"};
    size_t a, b, c, d, bad = 0, n;
    char w[64];

    for (a = 0; a < BW_NELEMS(pre); a++)
        for (b = 0; b < BW_NELEMS(suf); b++)
            for (c = 0; c < BW_NELEMS(suf); c++)
                for (d = 0; d < BW_NELEMS(suf); d++) {
                    n = (size_t)snprintf(w, sizeof(w), "%s%s%s%s", pre[a], suf[b], suf[c], suf[d]);
                    bad += bw_tok_stem(w, n) != ref_stem(w, n);
                }
    CU_ASSERT_EQUAL(bad, 0);
}

/* Last: frees the fixture rows (leak checkers run at exit). */
static void test_linear_cleanup(void)
{
    size_t i;

    for (i = 0; i < nrows; i++)
        free((char *)rows[i].text);
    nrows = 0;
    free(fixture);
    fixture = NULL;
}

/* A list that never held a word, and empty texts between others: its per-id arrays are never sized to 0 bytes
 * (realloc(p, 0) frees p: the next numbering freed it again; fuzz_spipe found it on an empty answer). */
/*
 * A list that grows while it is read (past its first 1,024 slots), then a
 * short text in the grown list: the same words, flags and ids as
 * bw_tok_next() and a fresh count of distinct words.
 */
static void test_tokens_list_grow(void)
{
    struct bw_toklist tl = {0};
    size_t n = 0, k, pos, cap = 40000;
    char *b = malloc(cap);
    int round;

    CU_ASSERT_FATAL(b != NULL);
    /* 3,000 words (under 2 * BW_MAX_TOKLIST bytes): "w0 w1 ...", every tenth a long one, numbers repeating */
    for (k = 0; k < 3000; k++) {
        int l = k % 10 == 0 ? snprintf(b + n, cap - n, "Longer%zuwordsthansixteenbytes%zu. ", k % 7, k % 7)
                            : snprintf(b + n, cap - n, "w%zu ", k % 1700);
        n += (size_t)l;
    }
    for (round = 0; round < 2; round++) {
        const char *text = round ? "alpha beta alpha" : b;
        size_t len = round ? 16 : n, nw = 0, x, y;
        struct bw_tok t;
        int same = 1;
        uint32_t next = 0;
        bw_toklist_want_case(&tl);
        CU_ASSERT_EQUAL_FATAL(bw_toklist_run(&tl, text, len), BW_OK);
        for (pos = 0; bw_tok_next(text, len, &pos, &t); nw++)
            same &= nw < tl.n && tl.t[nw].len == t.len && memcmp(tl.t[nw].w, t.w, t.len) == 0 &&
                    tl.t[nw].flags == t.flags && tl.flags[nw] == t.flags;
        CU_ASSERT(same && nw == tl.n);
        /* ids in order of first appearance: a word's id is new exactly when no earlier word equals it */
        for (x = 0; x < tl.n && same; x++) {
            for (y = 0; y < x; y++)
                if (tl.t[y].len == tl.t[x].len && memcmp(tl.t[y].w, tl.t[x].w, tl.t[x].len) == 0)
                    break;
            same &= y < x ? tl.id[x] == tl.id[y] : tl.id[x] == next++;
        }
        CU_ASSERT(same && next == tl.nid);
    }
    CU_ASSERT_EQUAL(tl.nid, 2);
    bw_toklist_free(&tl);
    free(b);
}

static void test_tokens_list_empty(void)
{
    static const char text[] = "Words, then nothing, then words again.";
    struct bw_toklist tl = {0};
    int round;

    for (round = 0; round < 3; round++) {
        CU_ASSERT_EQUAL(bw_toklist_run(&tl, "", 0), BW_OK);
        CU_ASSERT_EQUAL(tl.n, 0);
        CU_ASSERT_EQUAL(bw_toklist_run(&tl, " ,. ", 4), BW_OK);
        CU_ASSERT_EQUAL(tl.n, 0);
    }
    CU_ASSERT_EQUAL(bw_toklist_run(&tl, text, sizeof(text) - 1), BW_OK);
    CU_ASSERT_EQUAL(tl.n, 6);
    CU_ASSERT_EQUAL(tl.nid, 4); /* "then" twice, "Words" and "words" one id */
    CU_ASSERT_EQUAL(bw_toklist_run(&tl, "", 0), BW_OK);
    CU_ASSERT_EQUAL(tl.n, 0);
    bw_toklist_free(&tl);
}

static const struct bw_test tests[] = {
    {"test_linear_learns", test_linear_learns},
    {"test_linear_deterministic", test_linear_deterministic},
    {"test_linear_roundtrip", test_linear_roundtrip},
    {"test_linear_bad_files", test_linear_bad_files},
    {"test_linear_pick", test_linear_pick},
    {"test_linear_features", test_linear_features},
    {"test_linear_feature_parts", test_linear_feature_parts},
    {"test_linear_case_insensitive", test_linear_case_insensitive},
    {"test_linear_oof", test_linear_oof},
    {"test_linear_shipped_models", test_linear_shipped_models},
    {"test_tokens_words", test_tokens_words},
    {"test_tokens_stem_stop", test_tokens_stem_stop},
    {"test_tokens_list", test_tokens_list},
    {"test_tokens_stem_same", test_tokens_stem_same},
    {"test_tokens_list_empty", test_tokens_list_empty},
    {"test_tokens_list_grow", test_tokens_list_grow},
    {"test_linear_cleanup", test_linear_cleanup},
};

BW_TEST_MAIN("linear", tests)
