/*
 * linear.h: small linear classifiers (logistic regression over hashed word
 * and character n-grams plus a few dense features), their file format and
 * their trainer.
 *
 * Why linear: a dot product over hashed features costs a few hundred
 * nanoseconds per kilobyte, where the peers' neural classifiers cost 5 to
 * 500 ms; trained on the right data it gets most of their quality on the
 * lexical categories (insults, hate, prompt attack).
 *
 * Features of a text (flags BW_LIN_*): lower-cased word unigrams, word
 * bigrams, and character n-grams of each word padded with '<' and '>'
 * (fastText style), each hashed with a sign into 2^bits slots; the vector
 * is L2-normalised by the square root of the feature count so long and short
 * texts score alike. Dense features (lexicon scores, length) are given by
 * the caller and weighted as they are.
 *
 * File format (.bwm), little-endian, version 1:
 *   0  "BWLM"           magic
 *   4  u16 version      BW_LIN_VERSION
 *   6  u16 header size  64
 *   8  u16 category     enum bw_cat (or any id the user gives)
 *   10 u8  bits         log2 of the slot count, 8..24
 *   11 u8  ndense       dense features, <= BW_LIN_MAXDENSE
 *   12 u32 flags        BW_LIN_* feature set
 *   16 u32 seed         training seed (information)
 *   20 u32 rows         training rows (information)
 *   24 f32 thr[3]       probability thresholds of LOW, MEDIUM, HIGH
 *   36 f32 bias
 *   40 f32 scale        weight of one unit of the quantised weights
 *   44 u32 payload size bytes after the header
 *   48 u32 crc32        of the payload (IEEE)
 *   52 12 zero bytes
 *   64 f32 dense[ndense], then i16 w[2^bits]
 * Anything else (bad magic, other version, short file, bad size or crc) is
 * refused with BW_EFORMAT and a message saying which.
 */
#ifndef BW_LINEAR_H
#define BW_LINEAR_H

#include "filters/buf.h"

#define BW_LIN_VERSION 1
#define BW_LIN_HEADER 64
#define BW_LIN_MAXDENSE 16

/* feature set */
#define BW_LIN_WORD1 0x01
#define BW_LIN_WORD2 0x02
#define BW_LIN_CHAR3 0x04
#define BW_LIN_CHAR4 0x08
#define BW_LIN_CHAR5 0x10
#define BW_LIN_ALLF 0x1f

struct bw_linear {
    unsigned category;
    unsigned bits;
    unsigned ndense;
    unsigned flags;
    uint32_t seed, rows;
    float thr[3]; /* LOW, MEDIUM, HIGH probability thresholds */
    float bias;
    float dense[BW_LIN_MAXDENSE];
    float *w;     /* 2^bits weights, owned */
};

/*
 * Reads a model from p[0..n). On success *out is a new model the caller
 * frees with bw_lin_free(). Returns 0, BW_ENOMEM, or BW_EFORMAT with a
 * message in err (truncated, bad magic, unsupported version, bad sizes, crc).
 */
int bw_lin_load(const void *p, size_t n, struct bw_linear **out, char *err, size_t errlen);
/* Appends the file image of m to out. Returns 0, BW_ENOMEM, BW_ELIMIT. */
int bw_lin_save(const struct bw_linear *m, struct bw_buf *out);
void bw_lin_free(struct bw_linear *m);

/* CRC-32 (IEEE 802.3), as the file format uses it. */
uint32_t bw_crc32(const void *p, size_t n);

/*
 * Feature hashes of s[0..n) for feature set flags, handed to fn in batches
 * through buf[0..cap). fn's non-zero return stops and is returned.
 */
typedef int (*bw_feat_fn)(void *ctx, const uint32_t *h, size_t k);
int bw_feat_run(const char *s, size_t n, unsigned flags, uint32_t *buf, size_t cap, bw_feat_fn fn, void *ctx);
/* The same over words already read (a shared list, see filters/tokens.h). */
struct bw_tokit;
int bw_feat_run_words(struct bw_tokit *it, unsigned flags, uint32_t *buf, size_t cap, bw_feat_fn fn, void *ctx);

/*
 * The word features as bw_feat_run_words computes them: a word's hash, its
 * unigram feature, and the bigram feature of it after prev (a hash too).
 * Bit 31 of a feature is its sign, the low bits its slot.
 */
#define BW_FEAT_SEED_W1 0x8a5cd789635d2dffull
static inline uint32_t bw_feat_fold(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

/*
 * The bigram feature bw_feat_fold(bw_hash_mix(a, b)) in two halves: what
 * depends on the first word's hash a alone (bw_feat_left: once per word
 * id), then the pair's own work (bw_feat_pair), a third of the mix's.
 * tests/unit/filters/test_linear.c checks they agree.
 */
struct bw_feat_left {
    uint64_t mul, add;
};

static inline struct bw_feat_left bw_feat_left(uint64_t a)
{
    struct bw_feat_left l = {a * 0x9e3779b97f4a7c15ull, 0x632be59bd9b4e019ull + (a << 6) + (a >> 2)};
    return l;
}

static inline uint32_t bw_feat_pair(struct bw_feat_left l, uint64_t b)
{
    uint64_t h = l.mul ^ (b + l.add);

    h ^= h >> 29;
    /* folding h * K ^ (h * K) >> 32 gives back the low half of h * K */
    return (uint32_t)h * (uint32_t)0xbf58476d1ce4e5b9ull;
}

/* Probability of the positive class for s, with dense features x[m->ndense]. */
float bw_lin_prob(const struct bw_linear *m, const char *s, size_t n, const float *x);
/* The same from a margin (sum of sparse weights), a feature count and dense features. */
float bw_lin_finish(const struct bw_linear *m, double sum, size_t nfeat, const float *x);
/* NONE/LOW/MEDIUM/HIGH (enum bw_conf) for a probability. */
int bw_lin_level(const struct bw_linear *m, float p);

/* Training. */
struct bw_lin_row {
    const char *text;
    size_t len;
    uint8_t label; /* 0 or 1 */
    float weight;  /* 0 means 1 */
    float x[BW_LIN_MAXDENSE];
};

struct bw_lin_opts {
    unsigned category;
    unsigned flags;
    unsigned bits;
    unsigned ndense;
    unsigned epochs;
    double lr;      /* AdaGrad step */
    double l2;      /* L2 penalty per update */
    uint32_t seed;
    int balance;    /* weigh classes to equal total weight */
};

void bw_lin_opts_default(struct bw_lin_opts *o);

/*
 * Trains a model on rows (deterministic: the same rows, options and seed give
 * the same bytes). Thresholds are left at 0.5/0.7/0.9 for the caller to
 * calibrate. Returns 0, BW_EINVAL (no rows, one class only), BW_ENOMEM.
 */
int bw_lin_train(const struct bw_lin_row *rows, size_t n, const struct bw_lin_opts *o, struct bw_linear **out);

/*
 * Out-of-fold probabilities: trains k models on k-1 folds each (rows given
 * to folds by a hash of their text, so the split does not depend on order)
 * and scores the rows of the fold left out into p[n]. Returns as bw_lin_train.
 */
int bw_lin_oof(const struct bw_lin_row *rows, size_t n, const struct bw_lin_opts *o, unsigned k, float *p);

/*
 * Picks a threshold on scores p[n] with labels y[n] by rule:
 *   "fpr:X"    the lowest threshold whose false-positive rate is <= X
 *   "prec:X"   the lowest threshold whose precision is >= X
 *   "recall:X" the highest threshold whose recall is >= X
 *   "f1"       the threshold of the best F1
 * Returns 0 or BW_EINVAL (unknown rule, no rows).
 */
int bw_lin_pick(const float *p, const uint8_t *y, size_t n, const char *rule, float *thr);

#endif
