/*
 * tokens.h: words of a normalised view, for the scorers that need more than
 * pattern hits (linear models, denied topics, grounding).
 *
 * A word is a run of ASCII letters and digits and of non-ASCII bytes (any
 * UTF-8 letter of the view), with apostrophes inside it dropped ("don't"
 * reads "dont"). ASCII is lower-cased into the caller's buffer; the view
 * itself keeps its case (filters/norm.h folds case by matching only).
 * Words longer than BW_TOK_MAX bytes are cut there: what follows is still
 * skipped as part of the same word.
 */
#ifndef BW_TOKENS_H
#define BW_TOKENS_H

#include <string.h>

#include "filters/bw.h"

#define BW_TOK_MAX 48

/*
 * 64 bytes, one cache line: a shared list holds one per word of a text and
 * every scorer reads it through (offsets fit: texts are capped at
 * BW_MAX_BODY_BYTES).
 */
struct bw_tok {
    char w[BW_TOK_MAX];  /* lower-cased word, not NUL-terminated */
    uint32_t len;        /* bytes in w */
    unsigned flags;      /* BW_TOKF_* */
    uint32_t start, end; /* span in the text */
};

#define BW_TOKF_DIGIT 0x1 /* holds a digit */
#define BW_TOKF_UPPER 0x2 /* starts with an upper-case ASCII letter */
#define BW_TOKF_ALLCAP 0x4 /* two or more letters, all upper case */
#define BW_TOKF_SENT 0x8  /* first word after a sentence end (or of the text) */

/*
 * Reads the next word of s[0..n) at or after *pos into t and moves *pos past
 * it. Returns 1, or 0 at the end of the text.
 */
int bw_tok_next(const char *s, size_t n, size_t *pos, struct bw_tok *t);

/*
 * The words of one text, read once by bw_toklist_run() and shared by every
 * scorer of an evaluation (the engine keeps one per worker: bw_eval_words).
 */
struct bw_tokmask;
/* A word id's key while numbering, and where the word first appears. */
struct bw_tokkey {
    uint64_t a, b;  /* the word's first 16 bytes, zero-padded (first: a holds them as memcpy put them) */
    uint32_t len;   /* kept here, not read from the first word: one dependent load less a probe */
    uint32_t first; /* its first word */
};
/* A word's first 16 bytes, lower-cased (past its length: undefined), in a narrow list. */
struct bw_tokw {
    char w[16];
};
struct bw_toklist {
    /*
     * The words, a 64-byte slot each. In a narrow list (tl->narrow: read
     * by bw_toklist_run with nobody asking the case) only the slots of
     * words longer than 16 bytes are written: its words are w16[i] and
     * len8[i], and a scorer reads them by id (bw_toklist_bytes), never by
     * slot (bw_tokit_init then reads the text instead).
     */
    struct bw_tok *t;
    struct bw_tokw *w16; /* narrow list: each word's first 16 bytes */
    uint8_t *len8;       /* narrow list: each word's length (at most BW_TOK_MAX) */
    /*
     * flags[i] == t[i].flags (BW_TOKF_* fit in a byte; a narrow list's
     * slots do not hold them): a scorer that reads a word's id and flags
     * only walks two small arrays, not the 64-byte slots
     */
    uint8_t *flags;
    size_t n, cap;
    struct bw_tokmask *m; /* byte-class bit masks of the text, 64 bytes a chunk */
    size_t mcap;          /* chunks */
    /*
     * Word ids: id[i] numbers the distinct words (same bytes) in order of
     * first appearance, 0..nid-1. Text repeats its words (half the words of
     * a page of English are repeats): a scorer computes what depends on a
     * word alone once per id (hashes, stems, n-gram features).
     */
    uint32_t *id;
    uint32_t nid;
    int want_case; /* the next bw_toklist_run finds every flag (bw_toklist_want_case); in nid's padding */
    int narrow;    /* the last run wrote w16 and len8, not every slot (above) */
    /*
     * Per id: the length of the word's stem (bw_tok_stem, BW_TOKI_STEM bits),
     * whether it is a function word (BW_TOKI_STOP) and holds a digit
     * (BW_TOKI_DIGIT), found once when the id is given: grounding and
     * topics both need them.
     */
    uint8_t *info;
    struct bw_tokkey *key; /* per id, while numbering */
    uint16_t *tab;         /* open addressing: an id + 1 a slot (tokens.c); zero between runs past tabdirty */
    size_t tabcap;         /* slots, a power of two */
    size_t tabdirty;       /* slots the last run left for the next to clear */
};

#define BW_TOKI_STEM 0x3f /* BW_TOK_MAX < 64 */
#define BW_TOKI_DIGIT 0x40
#define BW_TOKI_STOP 0x80

/*
 * What depends on a word alone is best computed in one loop over the ids
 * (0..nid-1), then read by id at every word: testing at every word whether
 * its id was seen is as good as random to the branch predictor on prose.
 * These read a word id's bytes from its key (in id order, 24 bytes an id),
 * not from its first word (anywhere in the list).
 */
static inline size_t bw_toklist_len(const struct bw_toklist *tl, uint32_t id)
{
    return tl->key[id].len;
}

/* The lower-cased bytes of word id (bw_toklist_len of them; 16 readable when it is shorter). */
static inline const char *bw_toklist_bytes(const struct bw_toklist *tl, uint32_t id)
{
    const struct bw_tokkey *k = &tl->key[id];

    return k->len <= 16 ? (const char *)k : tl->t[k->first].w;
}

/* The stem length (bw_tok_stem) of word id of tl. */
static inline size_t bw_toklist_stem(const struct bw_toklist *tl, uint32_t id)
{
    return tl->info[id] & BW_TOKI_STEM;
}

/* Is word id of tl a function word (bw_tok_stop)? Not found for a narrow list (always 0). */
static inline int bw_toklist_stop(const struct bw_toklist *tl, uint32_t id)
{
    return (tl->info[id] & BW_TOKI_STOP) != 0;
}

/*
 * Reads every word of s[0..n) into tl (its memory reused, grown as needed)
 * and numbers them (tl->id). The words' case and sentence-start flags
 * (BW_TOKF_UPPER, BW_TOKF_ALLCAP, BW_TOKF_SENT) are found only when
 * bw_toklist_want_case(tl) was called since the last run; otherwise the
 * flags are as bw_toklist_run_lean's (BW_TOKF_DIGIT is always found)
 * and the list is narrow (tl->narrow): ids, flags[] and each id's bytes
 * and stem, but not every word's slot nor the function-word bit.
 * Returns 0, BW_ELIMIT past BW_MAX_TOKLIST words (tl->n is then 0 and the
 * caller reads the text with bw_tok_next), or BW_ENOMEM.
 */
int bw_toklist_run(struct bw_toklist *tl, const char *s, size_t n);

/*
 * Asks the next bw_toklist_run of tl for every flag of bw_tok_next. A
 * scorer that reads the case or sentence flags of the shared list
 * (grounding) asks in its begin_block, before any scorer reads the list:
 * the others (content models, topics) read only words and ids, and the
 * sentence-start walk and case tests of every word cost the demo guardrail
 * 0.5-1 us a 4 KB text.
 */
static inline void bw_toklist_want_case(struct bw_toklist *tl)
{
    tl->want_case = 1;
}
/*
 * The same for a text whose words' case and sentence starts nobody reads
 * (grounding's source: bw_eval_source_words): of the words' flags only
 * BW_TOKF_DIGIT is sure to be set; the ids, spans and bytes are the same.
 */
int bw_toklist_run_lean(struct bw_toklist *tl, const char *s, size_t n);
void bw_toklist_free(struct bw_toklist *tl);

/*
 * For tests: on 0, the lists are read as on a CPU without AVX2 (SSE2
 * masks and loop); on 1, the CPU is asked again.
 */
void bw_tok_use_avx2(int on);

/*
 * Iterates the words of a text from a shared list when there is one, else
 * by reading the text: bw_tokit_next() returns the next word or NULL. The
 * word returned stays valid until the call after next (a scorer may keep
 * the previous word).
 */
struct bw_tokit {
    const struct bw_tok *list;
    const uint32_t *id; /* the list's word ids */
    size_t nlist, i;
    const char *s;
    size_t n, pos;
    struct bw_tok tmp[2];
};

static inline void bw_tokit_init(struct bw_tokit *it, const struct bw_toklist *tl, const char *s, size_t n)
{
    if (tl && tl->narrow)
        tl = NULL; /* its slots are not all written: read the text */
    it->list = tl ? tl->t : NULL;
    it->id = tl ? tl->id : NULL;
    it->nlist = tl ? tl->n : 0;
    it->i = 0;
    it->s = s;
    it->n = n;
    it->pos = 0;
}

static inline const struct bw_tok *bw_tokit_next(struct bw_tokit *it)
{
    struct bw_tok *t;

    if (it->list)
        return it->i < it->nlist ? &it->list[it->i++] : NULL;
    t = &it->tmp[it->i++ & 1];
    return bw_tok_next(it->s, it->n, &it->pos, t) ? t : NULL;
}

/* The id of the word bw_tokit_next() returned last (reading a list only). */
static inline uint32_t bw_tokit_id(const struct bw_tokit *it)
{
    return it->id[it->i - 1];
}

/* Is byte c part of a word? */
static inline int bw_tok_wordc(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* 64-bit FNV-1a over n bytes, from a seed (0 for the standard basis). */
static inline uint64_t bw_hash64(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = seed ? seed : 0xcbf29ce484222325ull;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/*
 * A word hash for the sets and tables the scorers build at run time
 * (grounding's sets, the topic vocabulary), 8 bytes a step: most words fit
 * in one step, a multiply and two xor-shifts, where FNV-1a chains a
 * multiply per byte. Not for the content models' features: their hash
 * (bw_hash64) is fixed by the trained model files. The values are not
 * stored anywhere; they only have to agree within one process.
 *
 * bw_whash reads p[0..n) rounded up to a multiple of 8 bytes (the caller
 * guarantees those are readable: a word's bw_tok.w, a list key,
 * bw_toklist_bytes) and needs a little-endian CPU for its masked load;
 * bw_whash_str reads only p[0..n) and returns the same value.
 */
static inline uint64_t bw_whash_step(uint64_t h, uint64_t x)
{
    h = (h ^ x) * 0xbf58476d1ce4e5b9ull;
    return h ^ h >> 31;
}

static inline uint64_t bw_whash_end(uint64_t h)
{
    h *= 0x94d049bb133111ebull;
    return h ^ h >> 32;
}

static inline uint64_t bw_whash_str(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = seed ^ n * 0x9e3779b97f4a7c15ull, x = 0;
    size_t i;

    for (; n > 8; n -= 8, b += 8) {
        for (i = 0, x = 0; i < 8; i++)
            x |= (uint64_t)b[i] << 8 * i;
        h = bw_whash_step(h, x);
    }
    for (i = 0, x = 0; i < n; i++)
        x |= (uint64_t)b[i] << 8 * i;
    return bw_whash_end(bw_whash_step(h, x));
}

static inline uint64_t bw_whash(const void *p, size_t n, uint64_t seed)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const unsigned char *b = p;
    uint64_t h = seed ^ n * 0x9e3779b97f4a7c15ull, x;

    for (; n > 8; n -= 8, b += 8) {
        memcpy(&x, b, 8);
        h = bw_whash_step(h, x);
    }
    memcpy(&x, b, 8);
    x &= n >= 8 ? ~0ull : (1ull << 8 * n) - 1;
    return bw_whash_end(bw_whash_step(h, x));
#else
    return bw_whash_str(p, n, seed);
#endif
}

/* Mixes two hashes into one (order matters): word bigrams, keyed features. */
static inline uint64_t bw_hash_mix(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

/* Strips common English inflections ("diseases" -> "disease", "suing" -> "su"): a crude stemmer for matching. */
size_t bw_tok_stem(const char *w, size_t n);

/* Is the lower-cased word w a function word (the, of, can, ...)? */
int bw_tok_stopword(const char *w, size_t n);
/* The same for a word read by the tokeniser (faster: reads t->w whole). */
int bw_tok_stop(const struct bw_tok *t);

#endif
