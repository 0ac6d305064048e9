/*
 * content.c: the content-filter policy module: HATE, INSULTS, SEXUAL,
 * VIOLENCE, MISCONDUCT and PROMPT_ATTACK.
 *
 * Two stages, both on the one pass of the guardrail's matcher:
 *  1. weighted lexicons (filters/lexicon.h) are patterns of the matcher; each
 *     hit adds its weight to its category's score for the block;
 *  2. at the end of each block a small linear model per category
 *     (filters/linear.h, conf/models/<category>.bwm) scores hashed word and
 *     character n-grams of the view, with the six lexicon scores as dense
 *     features, into a probability.
 * The model's probability maps to NONE/LOW/MEDIUM/HIGH by the thresholds
 * calibrated into its file; the lexicon score maps by fixed cut-offs
 * (BW_LEX_LOW/MEDIUM/HIGH); the confidence of the block is the higher of the
 * two, and that of the evaluation the highest over its blocks. A category
 * without a shipped model is scored by its lexicon alone.
 *
 * The models are loaded once per process and shared, their weights
 * interleaved (one row of K floats per hash slot) so that scoring every
 * category costs one memory access per feature, not K.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "filters/blob.h"
#include "filters/content.h"
#include "filters/engine.h"
#include "filters/lexicon.h"
#include "filters/linear.h"
#include "filters/tokens.h"

/* lexicon score cut-offs of the confidence levels (docs/classifiers.md) */
#define BW_LEX_LOW 1.0f
#define BW_LEX_MEDIUM 2.0f
#define BW_LEX_HIGH 3.0f
/* PROMPT_ATTACK lexicon score below which the model's level does not count */
#define BW_PA_STRONG 1.0f

static const char *const model_files[BW_CAT__N] = {
    "models/sexual.bwm",     "models/violence.bwm",   "models/hate.bwm",
    "models/insults.bwm",    "models/misconduct.bwm", "models/prompt_attack.bwm",
};

/* The shipped models, interleaved. */
struct bank {
    struct bw_linear *m[BW_CAT__N]; /* by category; NULL: lexicon only */
    int slot[BW_CAT__N];            /* column in w, -1 when no model */
    unsigned k;                     /* columns */
    unsigned flags, bits;
    float *w;                       /* 2^bits rows of k floats */
    /*
     * Blocks of at most exact_max features are summed in double exactly,
     * whatever the order (see exact_bound): their sums may be gathered per
     * distinct word instead of feature by feature.
     */
    size_t exact_max;
    char err[256];
    int rv;
};

static pthread_once_t bank_once = PTHREAD_ONCE_INIT;
static struct bank bank;

/*
 * Every weight of column j is a float, so an integer multiple of the ulp of
 * the smallest nonzero one (2^(e-23), e its binary exponent); so is every
 * sum of them. A double holds every multiple of that ulp below 2^53 ulps
 * exactly: while n * max|w| stays below that, every partial sum of n
 * features, in any order, is exact, and the sums are the same bits whatever
 * the order (the model scores are compared bit for bit). Returns the
 * largest such n over all columns (0 when there is no weight).
 */
static size_t exact_bound(const float *w, size_t rows, unsigned k)
{
    size_t best = SIZE_MAX, i;
    unsigned j;

    for (j = 0; j < k; j++) {
        int emin = INT_MAX;
        float mx = 0;
        double lim;
        for (i = 0; i < rows; i++) {
            float a = fabsf(w[i * k + j]);
            if (a == 0)
                continue;
            if (ilogbf(a) < emin)
                emin = ilogbf(a);
            if (a > mx)
                mx = a;
        }
        if (mx == 0)
            continue;
        lim = ldexp(1.0, 53 + emin - 23) / (double)mx;
        if (lim < (double)best)
            best = lim > 1e15 ? (size_t)1e15 : (size_t)lim;
    }
    return best == SIZE_MAX ? 0 : best;
}

static void load_bank(void)
{
    size_t slots, i;
    int c;

    for (c = 0; c < BW_CAT__N; c++) {
        struct bw_iov iov;
        char e[200];
        bank.slot[c] = -1;
        if (bw_blob_get(model_files[c], &iov) != 0)
            continue;
        if ((bank.rv = bw_lin_load(iov.base, iov.len, &bank.m[c], e, sizeof(e))) != 0) {
            snprintf(bank.err, sizeof(bank.err), "%s: %s", model_files[c], bank.rv == BW_EFORMAT ? e : "out of memory");
            return;
        }
        if (bank.k == 0) {
            bank.flags = bank.m[c]->flags;
            bank.bits = bank.m[c]->bits;
        } else if (bank.m[c]->flags != bank.flags || bank.m[c]->bits != bank.bits) {
            snprintf(bank.err, sizeof(bank.err), "%s: feature set differs from the other models", model_files[c]);
            bank.rv = BW_EFORMAT;
            return;
        }
        if (bank.m[c]->ndense > BW_CAT__N) {
            snprintf(bank.err, sizeof(bank.err), "%s: %u dense features, content models have %d", model_files[c],
                     bank.m[c]->ndense, BW_CAT__N);
            bank.rv = BW_EFORMAT;
            return;
        }
        bank.slot[c] = (int)bank.k++;
    }
    if (bank.k == 0)
        return;
    slots = (size_t)1 << bank.bits;
    if ((bank.w = malloc(slots * bank.k * sizeof(float))) == NULL) {
        bank.rv = BW_ENOMEM;
        return;
    }
    for (c = 0; c < BW_CAT__N; c++)
        if (bank.slot[c] >= 0)
            for (i = 0; i < slots; i++)
                bank.w[i * bank.k + (size_t)bank.slot[c]] = bank.m[c]->w[i];
    bank.exact_max = exact_bound(bank.w, slots, bank.k);
}

struct item {
    uint8_t cat, strength, action;
};

struct cstate {
    const struct bw_lexicon *lx;
    struct item items[BW_CAT__N];
    size_t n;
    unsigned catmask;
};

struct cscratch {
    float lex[BW_LEX_NSCORES];
    float maxp[BW_CAT__N];
    uint8_t conf[BW_CAT__N];
    /* feature accumulation of the current block */
    double acc[BW_CAT__N];
    size_t nfeat;
    uint8_t seen[]; /* lexicon hits of the current block */
};

int bw_content_detected(int strength, int confidence)
{
    /* Bedrock: LOW blocks HIGH, MEDIUM blocks MEDIUM+, HIGH blocks LOW+, NONE nothing */
    switch (strength) {
    case BW_CONF_LOW:
        return confidence >= BW_CONF_HIGH;
    case BW_CONF_MEDIUM:
        return confidence >= BW_CONF_MEDIUM;
    case BW_CONF_HIGH:
        return confidence >= BW_CONF_LOW;
    default:
        return 0;
    }
}

void bw_content_dense(const float *lex, float *x)
{
    int c;

    for (c = 0; c < BW_CAT__N; c++)
        x[c] = log1pf(lex[c] > 0 ? lex[c] : 0);
}

int bw_content_lex_level(float score)
{
    if (score >= BW_LEX_HIGH)
        return BW_CONF_HIGH;
    if (score >= BW_LEX_MEDIUM)
        return BW_CONF_MEDIUM;
    if (score >= BW_LEX_LOW)
        return BW_CONF_LOW;
    return BW_CONF_NONE;
}

int bw_content_models(const struct bw_linear *const **models, char *err, size_t errlen)
{
    pthread_once(&bank_once, load_bank);
    if (bank.rv != 0 && err && errlen)
        snprintf(err, errlen, "%s", bank.err);
    if (models)
        *models = (const struct bw_linear *const *)bank.m;
    return bank.rv;
}

static int compile(const void *conf, int dir, struct bw_mbuild *mb, uint16_t mod, void **stp, struct bw_errs *errs)
{
    const struct bw_content_conf *cc = conf;
    struct cstate *st;
    size_t i;
    int rv;

    *stp = NULL;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < cc->n && i < BW_CAT__N; i++) {
        const struct bw_content_item *it = &cc->items[i];
        /* disabled, or strength NONE (no filtering): not evaluated, not reported */
        if (!it->ac.enabled[dir] || it->strength[dir] == BW_CONF_NONE || it->type < 0 || it->type >= BW_CAT__N)
            continue;
        if (!(it->modalities[dir] & 1) && it->modalities[dir] != 0)
            continue; /* image only */
        st->items[st->n].cat = (uint8_t)it->type;
        st->items[st->n].strength = it->strength[dir];
        st->items[st->n].action = it->ac.action[dir];
        st->catmask |= 1u << it->type;
        st->n++;
    }
    if (st->n == 0) {
        free(st);
        return BW_OK;
    }
    if ((st->lx = bw_lex_default(&rv)) == NULL) {
        if (errs)
            bw_errs_add(errs, NULL, "content filter lexicons under conf/lexicons/content/ did not load");
        free(st);
        return rv ? rv : BW_ECONFIG;
    }
    {
        char e[300];
        if ((rv = bw_content_models(NULL, e, sizeof(e))) != 0) {
            if (errs)
                bw_errs_add(errs, NULL, "content filter model: %s", e);
            free(st);
            return rv;
        }
    }
    /* every category's lexicon: the models read all six scores */
    if ((rv = bw_lex_patterns(st->lx, ~0u, mb, mod, 0, errs)) != 0) {
        free(st);
        return rv;
    }
    *stp = st;
    return BW_OK;
}

static size_t scratch_size(const void *stp)
{
    const struct cstate *st = stp;
    return sizeof(struct cscratch) + bw_lex_seen_size(st->lx);
}

static int begin_block(const void *stp, struct bw_eval *ev, void *esp)
{
    const struct cstate *st = stp;
    struct cscratch *es = esp;

    BW_UNUSED(ev);
    memset(es->lex, 0, sizeof(es->lex));
    memset(es->seen, 0, bw_lex_seen_size(st->lx));
    return 0;
}

static int on_match(const void *stp, struct bw_eval *ev, void *esp, uint32_t item, size_t from, size_t to)
{
    const struct cstate *st = stp;
    struct cscratch *es = esp;

    BW_UNUSED(from);
    if (BW_NEVER(item >= st->lx->n))
        return 0;
    es->lex[st->lx->e[item].cat] += bw_lex_hit(st->lx, item, ev->text->view, ev->text->len, to, es->seen);
    return 0;
}

static int add_feats(void *ctx, const uint32_t *h, size_t k)
{
    struct cscratch *es = ctx;
    const uint32_t mask = (1u << bank.bits) - 1;
    const unsigned K = bank.k;
    double acc[BW_CAT__N];
    size_t i;
    unsigned j;

    for (j = 0; j < K; j++)
        acc[j] = 0;
    /*
     * The shipped bank has three models: that case unrolled, the rows of
     * later features prefetched (one random row per feature). Each sum gets
     * the same terms in the same order as the general loop.
     */
    if (K == 3) {
        double a0 = 0, a1 = 0, a2 = 0;
        for (i = 0; i < k; i++) {
            const float *row = bank.w + (size_t)(h[i] & mask) * 3;
            if (i + 8 < k)
                __builtin_prefetch(bank.w + (size_t)(h[i + 8] & mask) * 3);
            if (h[i] & 0x80000000u) {
                a0 -= row[0];
                a1 -= row[1];
                a2 -= row[2];
            } else {
                a0 += row[0];
                a1 += row[1];
                a2 += row[2];
            }
        }
        es->acc[0] += a0;
        es->acc[1] += a1;
        es->acc[2] += a2;
        es->nfeat += k;
        return 0;
    }
    for (i = 0; i < k; i++) {
        const float *row = bank.w + (size_t)(h[i] & mask) * K;
        if (h[i] & 0x80000000u)
            for (j = 0; j < K; j++)
                acc[j] -= row[j];
        else
            for (j = 0; j < K; j++)
                acc[j] += row[j];
    }
    for (j = 0; j < K; j++)
        es->acc[j] += acc[j];
    es->nfeat += k;
    return 0;
}

/*
 * A feature's sign bit (31) as a factor, twice (for the two sums a vector
 * register holds): exact, and no branch for the sign's coin flip to
 * mispredict.
 */
static const double sgn[2][2] = {{1.0, 1.0}, {-1.0, -1.0}};

/* A word id's hash, and its half of the hash of a pair it starts. */
struct wid {
    uint64_t h;
    struct bw_feat_left l;
};

/*
 * Adds the bigram features of the words ids[0..n) (n > 1) to the sums of
 * the shipped three-model bank, and each word but the first to its count
 * in cnt, in one pass: a pair's hash from its first word's half. Only for
 * exact sums (bank.exact_max): two sets of sums, the odd pairs' and the
 * even ones', two chains of additions, not one. No prefetch: a row's
 * address depends on no load before it but the word's, and the processor
 * runs a few pairs ahead on its own.
 */
static void add_pairs(struct cscratch *es, const struct wid *wd, const uint32_t *ids, size_t n, uint32_t *cnt)
{
    const uint32_t mask = (1u << bank.bits) - 1;
    const float *w = bank.w; /* a local: the stores to cnt would make the global be read again at every pair */
    struct bw_feat_left l = wd[ids[0]].l;
    double a0 = 0, a1 = 0, a2 = 0, b0 = 0, b1 = 0, b2 = 0;
    size_t i;

    for (i = 1; i + 1 < n; i += 2) {
        uint32_t x = ids[i], y = ids[i + 1];
        uint32_t f = bw_feat_pair(l, wd[x].h), g = bw_feat_pair(wd[x].l, wd[y].h);
        const float *r = w + (size_t)(f & mask) * 3, *q = w + (size_t)(g & mask) * 3;
        const double *s = sgn[f >> 31], *t = sgn[g >> 31];
        l = wd[y].l;
        cnt[x]++;
        cnt[y]++;
        a0 += s[0] * r[0];
        a1 += s[1] * r[1];
        a2 += s[0] * r[2];
        b0 += t[0] * q[0];
        b1 += t[1] * q[1];
        b2 += t[0] * q[2];
    }
    if (i < n) {
        uint32_t x = ids[i], f = bw_feat_pair(l, wd[x].h);
        const float *r = w + (size_t)(f & mask) * 3;
        const double *s = sgn[f >> 31];
        cnt[x]++;
        a0 += s[0] * r[0];
        a1 += s[1] * r[1];
        a2 += s[0] * r[2];
    }
    es->acc[0] += a0 + b0;
    es->acc[1] += a1 + b1;
    es->acc[2] += a2 + b2;
    es->nfeat += n - 1;
}

#ifdef __SSE2__
/* a bank row's first two weights as doubles */
static inline __m128d row01(const float *r)
{
    return _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)r)));
}
#endif

/*
 * Adds c[i] times feature f[i] (i < n) to the sums. Only for exact sums
 * (bank.exact_max): a count times a weight is then the sum of that many
 * of it, in any order.
 */
static void add_counted(struct cscratch *es, const uint32_t *f, const uint32_t *c, size_t n)
{
    const uint32_t mask = (1u << bank.bits) - 1;
    const unsigned K = bank.k;
    size_t i;

    if (K == 3) {
        /* the shipped bank: three sums in registers, not in es->acc through memory at every feature */
        double a0 = 0, a1 = 0, a2 = 0;
#ifdef __SSE2__
        /*
         * two features a step, the third column of both in one vector
         * register: two additions, not four (exact sums: any order)
         */
        const float *w = bank.w;
        __m128d s01 = _mm_setzero_pd(), t01 = _mm_setzero_pd(), s22 = _mm_setzero_pd();
        for (i = 0; i + 1 < n; i += 2) {
            const float *r = w + (size_t)(f[i] & mask) * 3, *q = w + (size_t)(f[i + 1] & mask) * 3;
            __m128d x = _mm_set1_pd(sgn[f[i] >> 31][0] * (double)c[i]);
            __m128d y = _mm_set1_pd(sgn[f[i + 1] >> 31][0] * (double)c[i + 1]);
            s01 = _mm_add_pd(s01, _mm_mul_pd(x, row01(r)));
            t01 = _mm_add_pd(t01, _mm_mul_pd(y, row01(q)));
            s22 = _mm_add_pd(s22, _mm_mul_pd(_mm_unpacklo_pd(x, y),
                                             _mm_cvtps_pd(_mm_unpacklo_ps(_mm_load_ss(r + 2), _mm_load_ss(q + 2)))));
        }
        {
            double v[4];
            _mm_storeu_pd(v, _mm_add_pd(s01, t01));
            _mm_storeu_pd(v + 2, s22);
            a0 = v[0];
            a1 = v[1];
            a2 = v[2] + v[3];
        }
        for (; i < n; i++) {
#else
        for (i = 0; i < n; i++) {
#endif
            const float *row = bank.w + (size_t)(f[i] & mask) * 3;
            double x = sgn[f[i] >> 31][0] * (double)c[i];
            a0 += x * row[0];
            a1 += x * row[1];
            a2 += x * row[2];
        }
        es->acc[0] += a0;
        es->acc[1] += a1;
        es->acc[2] += a2;
        return;
    }
    for (i = 0; i < n; i++) {
        const float *row = bank.w + (size_t)(f[i] & mask) * K;
        double x = sgn[f[i] >> 31][0] * (double)c[i];
        unsigned j;
        for (j = 0; j < K; j++)
            es->acc[j] += x * row[j];
    }
}

/*
 * The model sums of a block from its word list, when they are exact
 * (bank.exact_max): each distinct word hashed once and its unigram weights
 * added once, times its count. The bigrams feature by feature, each from
 * its first word's half of the hash (bw_feat_left, per id); in a text that
 * repeats itself (a few ids, many words) each distinct pair of ids once,
 * times its count (a set of the pairs seen, by their ids; a pair past its
 * capacity counts on its own). Same bits as the feature-by-feature sums.
 * Returns 0, or 1 when the list does not allow it (the caller then sums
 * feature by feature), or BW_ENOMEM.
 */
static int sum_words(const struct bw_toklist *tl, struct bw_arena *a, struct cscratch *es)
{
    const unsigned w1 = bank.flags & BW_LIN_WORD1, w2 = bank.flags & BW_LIN_WORD2, K = bank.k;
    const uint32_t mask = (1u << bank.bits) - 1;
    size_t n = tl->n, nid = tl->nid, i, nb = 0, cmask = 0, nkeys = 0;
    uint64_t *ck = NULL, *bk = NULL;
    uint32_t *cnt, *fw, *cs = NULL, *bf, *bc = NULL, p;
    const uint32_t *ids = tl->id;
    struct wid *wd;
    struct bw_feat_left l;
    int shift = 64 - 4, rep = w2 && 4 * nid <= n;

    if ((bank.flags & ~(unsigned)(BW_LIN_WORD1 | BW_LIN_WORD2)) || n == 0 || 2 * n > bank.exact_max)
        return 1;
    if (rep)
        for (cmask = 15; cmask < 4 * nid; cmask = cmask * 2 + 1)
            shift--;
    if ((wd = bw_arena_alloc(a, nid * sizeof(*wd))) == NULL || (fw = bw_arena_alloc(a, nid * sizeof(*fw))) == NULL ||
        (cnt = bw_arena_calloc(a, nid * sizeof(*cnt))) == NULL || (bf = bw_arena_alloc(a, n * sizeof(*bf))) == NULL)
        return BW_ENOMEM;
    if (rep && ((ck = bw_arena_alloc(a, (cmask + 1) * sizeof(*ck))) == NULL ||
                (cs = bw_arena_alloc(a, (cmask + 1) * sizeof(*cs))) == NULL ||
                (bk = bw_arena_alloc(a, n * sizeof(*bk))) == NULL || (bc = bw_arena_alloc(a, n * sizeof(*bc))) == NULL))
        return BW_ENOMEM;
    /* each distinct word hashed once (bw_toklist_bytes), then read by id */
    for (i = 0; i < nid; i++) {
        wd[i].h = bw_hash64(bw_toklist_bytes(tl, (uint32_t)i), bw_toklist_len(tl, (uint32_t)i), BW_FEAT_SEED_W1);
        wd[i].l = bw_feat_left(wd[i].h);
        fw[i] = bw_feat_fold(wd[i].h);
    }
    p = ids[0];
    cnt[p]++;
    if (!w2) {
        for (i = 1; i < n; i++)
            cnt[ids[i]]++;
    } else if (!rep && K == 3) {
        add_pairs(es, wd, ids, n, cnt);
    } else if (!rep) {
        l = wd[p].l;
        for (i = 1; i < n; i++) {
            uint32_t id = ids[i];
            bf[i - 1] = bw_feat_pair(l, wd[id].h);
            l = wd[id].l;
            cnt[id]++;
        }
        add_feats(es, bf, n - 1);
    } else {
        /*
         * no pair of ids is ~0: every slot starts empty; the set stays half
         * empty. A word's count is that of the pairs it ends, plus the first.
         */
        memset(ck, 0xff, (cmask + 1) * sizeof(*ck));
        for (i = 1; i < n; i++) {
            uint32_t id = ids[i];
            uint64_t key = (uint64_t)p << 32 | id;
            size_t x = (size_t)((key * 0x9e3779b97f4a7c15ull) >> shift);
            p = id;
            if (ck[x] == key) { /* most words: a pair met before, at its home slot */
                bc[cs[x]]++;
                continue;
            }
            while (ck[x] != key && ck[x] != ~0ull)
                x = (x + 1) & cmask;
            if (ck[x] == key) {
                bc[cs[x]]++;
                continue;
            }
            if (2 * nkeys < cmask) {
                ck[x] = key;
                cs[x] = (uint32_t)nb;
                nkeys++;
            }
            bk[nb] = key;
            bc[nb++] = 1;
        }
        for (i = 0; i < nb; i++) {
            uint32_t r = (uint32_t)bk[i];
            bf[i] = bw_feat_pair(wd[bk[i] >> 32].l, wd[r].h);
            __builtin_prefetch(bank.w + (size_t)(bf[i] & mask) * K);
            cnt[r] += bc[i];
        }
        add_counted(es, bf, bc, nb);
        es->nfeat += n - 1;
    }
    if (w1) {
        add_counted(es, fw, cnt, nid);
        es->nfeat += n;
    }
    return 0;
}

static int end_block(const void *stp, struct bw_eval *ev, void *esp)
{
    const struct cstate *st = stp;
    struct cscratch *es = esp;
    float x[BW_CAT__N];
    size_t i;

    memset(es->acc, 0, sizeof(es->acc));
    es->nfeat = 0;
    es->lex[BW_CAT_PROMPT_ATTACK] += bw_lex_encoded(ev->text->view, ev->text->len);
    if (bank.k) {
        const struct bw_toklist *tl = bw_eval_words(ev);
        int rv = tl ? sum_words(tl, &ev->w->arena, es) : 1;
        if (rv < 0)
            return rv;
        if (rv) {
            struct bw_tokit it;
            uint32_t hbuf[256]; /* here, not in the scratch the engine zeroes at every evaluation */
            bw_tokit_init(&it, tl, ev->text->view, ev->text->len);
            bw_feat_run_words(&it, bank.flags, hbuf, BW_NELEMS(hbuf), add_feats, es);
        }
    }
    bw_content_dense(es->lex, x);
    for (i = 0; i < st->n; i++) {
        int c = st->items[i].cat;
        float ls = es->lex[c];
        int lvl;
        /* "how can I" + a weapon or a crime: asking for the means */
        if ((c == BW_CAT_VIOLENCE || c == BW_CAT_MISCONDUCT) && es->lex[BW_LEX_HOWTO] > 0 && ls >= 0.5f)
            ls += BW_LEX_HOWTO_BONUS;
        lvl = bw_content_lex_level(ls);
        float p = 0;
        if (bank.slot[c] >= 0 && es->nfeat) {
            const struct bw_linear *m = bank.m[c];
            int ml;
            p = bw_lin_finish(m, es->acc[bank.slot[c]], es->nfeat, x);
            ml = bw_lin_level(m, p);
            /*
             * Abuse is said in words: without a single abusive word of the
             * lexicons the model's guess is not evidence (a short name it
             * never saw scores at its bias).
             */
            if ((c == BW_CAT_HATE || c == BW_CAT_INSULTS) &&
                es->lex[BW_CAT_HATE] + es->lex[BW_CAT_INSULTS] + es->lex[BW_CAT_SEXUAL] <= 0)
                ml = BW_CONF_NONE;
            /*
             * likewise an attack names what it attacks: instructions, rules,
             * modes, personas; a single weak cue ("prompt") in a question
             * about attacks is talk about them, not one
             */
            if (c == BW_CAT_PROMPT_ATTACK && es->lex[BW_CAT_PROMPT_ATTACK] < BW_PA_STRONG)
                ml = BW_CONF_NONE;
            lvl = BW_MAX(lvl, ml);
        }
        if (p > es->maxp[c])
            es->maxp[c] = p;
        if (lvl > es->conf[c])
            es->conf[c] = (uint8_t)lvl;
    }
    return 0;
}

static int finish(const void *stp, struct bw_eval *ev, void *esp)
{
    const struct cstate *st = stp;
    struct cscratch *es = esp;
    size_t i;
    int rv;

    for (i = 0; i < st->n; i++) {
        struct bw_finding f;
        int c = st->items[i].cat;
        memset(&f, 0, sizeof(f));
        f.policy = BW_POL_CONTENT;
        f.type = (uint16_t)c;
        f.item = (uint32_t)c;
        f.confidence = es->conf[c];
        f.strength = st->items[i].strength;
        f.action = st->items[i].action;
        f.detected = (uint8_t)bw_content_detected(f.strength, f.confidence);
        f.score = es->maxp[c];
        if ((rv = bw_eval_add(ev, &f)) != 0)
            return rv;
    }
    return 0;
}

static void cfree(void *st)
{
    free(st);
}

const struct bw_module_ops bw_content_module = {
    .name = "content",
    .policy = BW_POL_CONTENT,
    .compile = compile,
    .scratch_size = scratch_size,
    .begin_block = begin_block,
    .on_match = on_match,
    .end_block = end_block,
    .finish = finish,
    .free = cfree,
};
