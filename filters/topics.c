/*
 * topics.c: the denied-topics policy module.
 *
 * Bedrock matches a topic from its name, definition and examples with a
 * language model. Here each topic becomes, at compile time, a weighted
 * vocabulary: the content words of its name (weight 3), definition (2) and
 * examples (1.5), each widened through a list derived offline from WordNet
 * (conf/lexicons/topics/related.txt: synonyms and derived forms, and the
 * narrower words under it, so "illness" reaches "measles" and
 * "schizophrenia", "crime" reaches "shoplifting"). Words too common to tell
 * topics apart (conf/lexicons/topics/common.txt) weigh less; words that only
 * describe the request ("advice", "guidance", "questions") none.
 *
 * At run time a block's distinct words are looked up in one hash table of
 * every topic's vocabulary and their weights summed per topic; the sum is
 * damped for long texts (more words, more chance hits) and for texts that do
 * not ask for anything personal: a small advice-seeking detector looks for
 * first-person questions ("should I", "can I", "do I have", "my ...") and
 * requests ("recommend", "diagnose", "prescribe"). A topic's phrases (our
 * extension) are patterns of the guardrail's matcher; a hit detects the
 * topic on its own; a text repeating most word pairs of one of the
 * examples ("Is now a good time to buy ethereum?" for "... to buy
 * bitcoin?") adds EX_MATCH times the share it repeats, undamped. A topic
 * is detected when its score reaches
 * BW_TOPIC_THRESHOLD (calibrated on the evaluation data: docs/classifiers.md).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "filters/blob.h"
#include "filters/engine.h"
#include "filters/errs.h"
#include "filters/matcher.h"
#include "filters/tokens.h"
#include "filters/topics.h"

#define BW_TOPIC_THRESHOLD 1.0f
/* weights in units of the threshold: one specific word of the definition in a first-person question detects */
#define W_NAME 3.0f
#define W_DEF 2.0f
#define W_EXAMPLE 1.0f
#define W_LATERAL 0.8f  /* a synonym or derived form of a topic word */
#define W_NARROWER 0.7f /* a word under a topic word in WordNet */
#define W_COMMON 0.3f   /* factor for common words */
#define W_PHRASE 10.0f  /* a configured phrase: detected on its own */
#define MAX_MEMBERS 4000 /* narrower words taken from one topic word */
#define SEEN_SLOTS 1024
#define BIG_SLOTS 2048   /* bigrams of a block kept for matching examples */
#define EX_MATCH 1.2f    /* times the share of an example's bigrams the text repeats */
#define EX_MIN_SHARE 0.6f
#define EX_MIN_BIGRAMS 3
#define EB_BITS 4096     /* bits of the examples' bigram filter (ebbits) */
#define EB_BIT(b) ((uint32_t)((b) >> 40) & (EB_BITS - 1))
#define VB_BITS 32768 /* bits of the vocabulary filter (vbits) */
#define VB_BIT(h) ((uint32_t)((h) >> 40) & (VB_BITS - 1))
#define XW_BITS 1024  /* positions of the examples' word filter (exk) */
#define XW_BIT(h) ((uint32_t)((h) >> 40) & (XW_BITS - 1))
#define KW_BITS 6     /* slots of the kind words' table (kw): 64 for 21 words */

/* ---- the WordNet-derived lists, loaded once per process ---- */

struct wword {
    const char *w, *lat, *brd;
    uint16_t wl, latl, brdl;
};

struct wn {
    struct wword *words;
    uint32_t n;
    uint32_t *tab; /* word hash -> index + 1 */
    uint32_t mask;
    uint32_t *moff, *mem; /* narrower words of word i: mem[moff[i]..moff[i+1]) */
    uint64_t *common;     /* sorted hashes of common words */
    size_t ncommon;
    int rv;
};

static pthread_once_t wn_once = PTHREAD_ONCE_INIT;
static struct wn wn;

/* Any string (compiling, the WordNet lists): reads w[0..n) only. */
static uint64_t whash(const char *w, size_t n)
{
    return bw_whash_str(w, n, 0x70b1c5);
}

/*
 * The stem hash of the vocabulary, the common words and the examples'
 * bigrams. A stem's bytes read as little-endian 8-byte numbers x0, x1, ...
 * (zero-padded, two at least) give h = (x0 * M1 ^ x1) * M2, a step more
 * per 8 bytes past 16, folded. Up to 16 bytes that is two multiplies and
 * no branch from a word list's key (its first 16 bytes, zero-padded:
 * stem_hash_key), where bw_whash took three and its masks; distinct stems
 * of up to 8 bytes never collide (odd multipliers, a fold that is a
 * bijection). The values only have to agree within the process.
 */
#define SH_M1 0x9e3779b97f4a7c15ull
#define SH_M2 0xbf58476d1ce4e5b9ull

static inline uint64_t sh_end(uint64_t h)
{
    h *= SH_M2;
    h ^= h >> 32;
    return h ? h : 1; /* 0 marks an empty slot */
}

/* w[0..n) (n <= 8) as a little-endian number */
static uint64_t le_bytes(const char *w, size_t n)
{
    uint64_t x = 0;

    while (n--)
        x = x << 8 | (unsigned char)w[n];
    return x;
}

/* Any string (compiling, the lists): reads w[0..n) only. */
static uint64_t stem_hash(const char *w, size_t n)
{
    uint64_t h = le_bytes(w, n < 8 ? n : 8) * SH_M1 ^ (n > 8 ? le_bytes(w + 8, n < 16 ? n - 8 : 8) : 0);
    size_t i;

    for (i = 16; i < n; i += 8)
        h = h * SH_M2 ^ le_bytes(w + i, n - i < 8 ? n - i : 8);
    return sh_end(h);
}

/* The low n bytes of a key's a and b, n <= 16 (8 * (n & 7): no shift by 64 in the arm not taken). */
#define LOWM(n) ((n) >= 8 ? ~0ull : (1ull << 8 * ((n) & 7)) - 1)
#define KMA(n) LOWM(n)
#define KMB(n) ((n) <= 8 ? 0 : LOWM((n) - 8))
static const uint64_t key_ma[17] = {KMA(0),  KMA(1),  KMA(2),  KMA(3),  KMA(4),  KMA(5),  KMA(6),  KMA(7), KMA(8),
                                    KMA(9),  KMA(10), KMA(11), KMA(12), KMA(13), KMA(14), KMA(15), KMA(16)};
static const uint64_t key_mb[17] = {KMB(0),  KMB(1),  KMB(2),  KMB(3),  KMB(4),  KMB(5),  KMB(6),  KMB(7), KMB(8),
                                    KMB(9),  KMB(10), KMB(11), KMB(12), KMB(13), KMB(14), KMB(15), KMB(16)};

/* stem_hash of the first n <= 16 bytes of a word whose first 16 bytes are a, b (little-endian; past n: anything) */
static inline uint64_t stem_hash_key(uint64_t a, uint64_t b, size_t n)
{
    return sh_end((a & key_ma[n]) * SH_M1 ^ (b & key_mb[n]));
}

static int wn_find(const char *w, size_t n)
{
    uint64_t h = whash(w, n);
    uint32_t i = (uint32_t)h & wn.mask;

    if (wn.tab == NULL)
        return -1;
    for (; wn.tab[i]; i = (i + 1) & wn.mask) {
        const struct wword *x = &wn.words[wn.tab[i] - 1];
        if (x->wl == n && memcmp(x->w, w, n) == 0)
            return (int)(wn.tab[i] - 1);
    }
    return -1;
}

static int cmp64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Calls fn for each space-separated word of s[0..n). */
#define EACH_WORD(s, n, p, l)                                                                                      \
    for (const char *p = (s), *e_ = (s) + (n), *q_; p < e_; p = q_ + 1)                                           \
        for (size_t l = (size_t)(((q_ = memchr(p, ' ', (size_t)(e_ - p))) ? q_ : (q_ = e_)) - p), once_ = 1;      \
             once_ && l; once_ = 0)

static void load_wn(void)
{
    struct bw_iov rel, com;
    const char *p, *end;
    uint32_t i, k, cap;
    uint32_t *cnt;

    if (bw_blob_get("lexicons/topics/related.txt", &rel) != 0) {
        wn.rv = BW_ENOTFOUND;
        return;
    }
    for (p = rel.base, end = rel.base + rel.len, cap = 0; p < end; p++)
        cap += *p == '\n';
    if ((wn.words = calloc(cap + 1, sizeof(*wn.words))) == NULL)
        goto nomem;
    for (p = rel.base; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *t1, *t2;
        if (eol == NULL)
            eol = end;
        if (*p != '#' && (t1 = memchr(p, '\t', (size_t)(eol - p))) != NULL &&
            (t2 = memchr(t1 + 1, '\t', (size_t)(eol - t1 - 1))) != NULL && wn.n < cap) {
            struct wword *x = &wn.words[wn.n++];
            x->w = p;
            x->wl = (uint16_t)(t1 - p);
            x->lat = t1 + 1;
            x->latl = (uint16_t)(t2 - t1 - 1);
            x->brd = t2 + 1;
            x->brdl = (uint16_t)(eol - t2 - 1);
        }
        p = eol + 1;
    }
    for (k = 1; k < wn.n * 2; k <<= 1)
        ;
    wn.mask = k - 1;
    if ((wn.tab = calloc(k, sizeof(*wn.tab))) == NULL)
        goto nomem;
    for (i = 0; i < wn.n; i++) {
        uint32_t s = (uint32_t)whash(wn.words[i].w, wn.words[i].wl) & wn.mask;
        while (wn.tab[s])
            s = (s + 1) & wn.mask;
        wn.tab[s] = i + 1;
    }
    /* invert BROADER into narrower words */
    if ((cnt = calloc(wn.n + 1, sizeof(*cnt))) == NULL || (wn.moff = calloc(wn.n + 1, sizeof(*wn.moff))) == NULL) {
        free(cnt);
        goto nomem;
    }
    for (i = 0; i < wn.n; i++)
        EACH_WORD(wn.words[i].brd, wn.words[i].brdl, b, bl)
        {
            int j = wn_find(b, bl);
            if (j >= 0)
                cnt[j]++;
        }
    for (i = 0, k = 0; i < wn.n; i++) {
        wn.moff[i] = k;
        k += cnt[i];
        cnt[i] = wn.moff[i];
    }
    wn.moff[wn.n] = k;
    if ((wn.mem = malloc((k + 1) * sizeof(*wn.mem))) == NULL) {
        free(cnt);
        goto nomem;
    }
    for (i = 0; i < wn.n; i++)
        EACH_WORD(wn.words[i].brd, wn.words[i].brdl, b, bl)
        {
            int j = wn_find(b, bl);
            if (j >= 0)
                wn.mem[cnt[j]++] = i;
        }
    free(cnt);
    if (bw_blob_get("lexicons/topics/common.txt", &com) == 0) {
        if ((wn.common = malloc(2048 * sizeof(*wn.common))) == NULL)
            goto nomem;
        for (p = com.base, end = com.base + com.len; p < end && wn.ncommon < 2048;) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            if (eol == NULL)
                eol = end;
            if (*p != '#' && eol > p) {
                size_t l = (size_t)(eol - p);
                wn.common[wn.ncommon++] = stem_hash(p, bw_tok_stem(p, l));
            }
            p = eol + 1;
        }
        qsort(wn.common, wn.ncommon, sizeof(*wn.common), cmp64);
    }
    return;
nomem:
    wn.rv = BW_ENOMEM;
}

static int is_common(uint64_t stemhash)
{
    return wn.common && bsearch(&stemhash, wn.common, wn.ncommon, sizeof(uint64_t), cmp64) != NULL;
}

/* ---- compiled state ---- */

/*
 * What a word says of the text's intent (word_kind); K_FIRST and K_CUE are
 * the bits of end_block's cue. Each bit a pair of words tests in the
 * second word is that of the first shifted left once (K_YOU, K_EXR), so
 * one AND tells a pair that needs a look from the most that do not.
 */
#define K_CUE 1   /* a request word: advise, diagnose, should, ... */
#define K_FIRST 2 /* first person: the text is about the writer's own situation */
#define K_MODAL 4 /* can, could, would: before "you", asking for a judgement */
#define K_YOU 8
#define K_VOCAB 16 /* three bytes or more and in the vocabulary (st->tab): a topic word (end_block's, not word_kind's) */
#define K_EXL 32   /* may start an example's bigram (exk; end_block's) */
#define K_EXR 64   /* may end one */

struct slot {
    uint64_t h; /* stem hash; 0 = empty */
    uint32_t topic;
    float w;
};

struct tstate {
    uint32_t n;            /* topics enabled in this direction */
    uint32_t *item;        /* configured index of each */
    uint8_t *action;
    struct slot *tab;
    uint32_t mask;
    /* the examples as word bigrams: example e is big[eoff[e]..eoff[e+1]), of topic etopic[e] */
    uint64_t *big;
    uint32_t *eoff, *etopic;
    uint32_t nex;
    /*
     * The same bigrams the other way round, for blocks short enough that
     * every bigram of theirs would be kept (BIG_FAST_WORDS): each distinct
     * example bigram once, with the examples holding it (an example once
     * for every time it does), ex[off..off+n). A block's bigram is looked up
     * here (a small table, mostly empty slots) instead of being added to a
     * 2048-slot set that the examples then probe: the same shares.
     */
    struct ebig {
        uint64_t b; /* 0: empty */
        uint32_t off, n;
    } *eb;
    uint32_t ebmask, neb;
    uint32_t *ebex;
    /* a bit per bigram of eb (EB_BIT): most of a block's bigrams are in none, told without a probe */
    uint64_t ebbits[EB_BITS / 64];
    /*
     * A bit per stem hash of tab (VB_BIT): the table (64 KB for the shipped
     * topics) is larger than L1 and most words are in none of the topics;
     * a 4 KB filter tells most of those without reading it.
     */
    uint64_t vbits[VB_BITS / 64];
    /*
     * K_EXL and K_EXR by stem hash (XW_BIT): it may start or end a bigram of
     * the examples. A block's bigram is hashed and looked up only when its
     * first word may start one and its second may end one. Otherwise it is
     * no example's bigram, but for a collision of two 64-bit bigram hashes,
     * which the look-up would have counted as a share. A byte a position
     * (1 KB), the word's bits in one load, not two bits to shift out.
     */
    uint8_t exk[XW_BITS];
    /* word_kind's table (kw_build) */
    struct kword {
        uint64_t a, b; /* a kind word's key; a == 0: empty */
        unsigned k;
    } kw[1 << KW_BITS];
    uint64_t kwmul;
};

/* a block of at most this many words has at most BIG_SLOTS / 2 bigrams: the set never fills */
#define BIG_FAST_WORDS (BIG_SLOTS / 2 + 1)

struct tscratch {
    float *score; /* this block, by topic */
    float *best;  /* over blocks */
    float *phrase;
};

/* Words that describe the request, not its subject: never topic words. */
static const char *const meta[] = {
    "advice",    "advise",     "advising",  "guidance",  "guide",       "recommendation", "recommendations",
    "recommend", "suggestion", "suggest",   "question",  "questions",   "inquiry",        "inquiries",
    "query",     "queries",    "request",   "requests",  "information", "topic",          "topics",
    "discuss",   "discussion", "person",    "persons",   "people",      "someone",        "user",
    "users",     "help",       "provide",   "providing", "related",     "regarding",      "including",
    "include",   "specific",   "personal",  "individual", "their",      "tips",           "content",
    "situation", "action",     "condition", "example",   "examples",    "take",           "matter",
    "issue",     "issues",     "case",      "kind",      "type",        "way",            "ways",
};

/* Compares stems, so that neither "recommending" nor "topical" passes for a topic word. */
static int is_meta(const char *w, size_t n)
{
    size_t i, sn = bw_tok_stem(w, n);

    for (i = 0; i < BW_NELEMS(meta); i++) {
        size_t ml = strlen(meta[i]), ms = bw_tok_stem(meta[i], ml);
        if (ms == sn && memcmp(meta[i], w, sn) == 0)
            return 1;
    }
    return 0;
}

/* A growing map stem hash -> weight, for one topic while compiling. */
struct wmap {
    struct slot *s;
    uint32_t mask, n;
};

static int wmap_put(struct wmap *m, uint64_t h, float w)
{
    uint32_t i;

    if (h == 0)
        h = 1;
    if ((m->n + 1) * 2 > m->mask + 1) {
        uint32_t ncap = (m->mask + 1) * 2, k;
        struct slot *ns = calloc(ncap, sizeof(*ns));
        if (ns == NULL)
            return BW_ENOMEM;
        for (k = 0; k <= m->mask; k++)
            if (m->s[k].h) {
                uint32_t j = (uint32_t)m->s[k].h & (ncap - 1);
                while (ns[j].h)
                    j = (j + 1) & (ncap - 1);
                ns[j] = m->s[k];
            }
        free(m->s);
        m->s = ns;
        m->mask = ncap - 1;
    }
    for (i = (uint32_t)h & m->mask; m->s[i].h; i = (i + 1) & m->mask)
        if (m->s[i].h == h) {
            if (w > m->s[i].w)
                m->s[i].w = w;
            return 0;
        }
    m->s[i].h = h;
    m->s[i].w = w;
    m->n++;
    return 0;
}

static uint64_t stemhash(const char *w, size_t n)
{
    return stem_hash(w, bw_tok_stem(w, n));
}

/*
 * Adds word w (lower case) with weight wt, and what WordNet relates to it:
 * seed 2 (name, definition) its synonyms, derived forms and the words under
 * them; seed 1 (examples) its synonyms and derived forms only, as examples
 * name instances, not kinds; seed 0 the word alone.
 */
static int add_word(struct wmap *m, const char *w, size_t n, float wt, int seed)
{
    uint64_t h = stemhash(w, n);
    int i, rv, common;
    size_t k;

    if (n < 3 || bw_tok_stopword(w, n) || is_meta(w, n))
        return 0;
    for (k = 0; k < n; k++)
        if (w[k] >= '0' && w[k] <= '9')
            return 0; /* numbers are instances, not topics */
    common = is_common(h);
    /* a common word only counts where the user wrote it, in the name or definition */
    if (common && seed != 2)
        return 0;
    if ((rv = wmap_put(m, h, common ? wt * 0.5f : wt)) != 0 || !seed)
        return rv;
    i = wn_find(w, n);
    if (i < 0 && n > 3 && w[n - 1] == 's')
        i = wn_find(w, n - 1);
    if (i < 0)
        return 0;
    EACH_WORD(wn.words[i].lat, wn.words[i].latl, l, ll)
    {
        int j;
        if ((rv = add_word(m, l, ll, wt * W_LATERAL, 0)) != 0)
            return rv;
        /* what lies under a synonym or derived form too ("medical" -> "medicine" -> "diagnose") */
        if (seed == 2 && (j = wn_find(l, ll)) >= 0 && wn.moff[j + 1] - wn.moff[j] <= MAX_MEMBERS) {
            uint32_t q;
            for (q = wn.moff[j]; q < wn.moff[j + 1]; q++)
                if ((rv = add_word(m, wn.words[wn.mem[q]].w, wn.words[wn.mem[q]].wl, wt * W_LATERAL * W_NARROWER,
                                   0)) != 0)
                    return rv;
        }
    }
    if (seed == 2 && wn.moff[i + 1] - wn.moff[i] <= MAX_MEMBERS) {
        uint32_t q;
        for (q = wn.moff[i]; q < wn.moff[i + 1]; q++)
            if ((rv = add_word(m, wn.words[wn.mem[q]].w, wn.words[wn.mem[q]].wl, wt * W_NARROWER, 0)) != 0)
                return rv;
    }
    return 0;
}

static int add_text(struct wmap *m, const char *s, float wt, int seed)
{
    struct bw_tok t;
    size_t pos = 0, n = s ? strlen(s) : 0;
    int rv;

    while (bw_tok_next(s, n, &pos, &t))
        if ((rv = add_word(m, t.w, t.len, wt, seed)) != 0)
            return rv;
    return 0;
}

/* Word bigram of two stemmed words (function words included: examples are matched as phrasings). */
static uint64_t bigram(uint64_t a, uint64_t b)
{
    return bw_hash_mix(a, b) | 1;
}

/* Keeps the examples of topic t as bigram lists, for matching texts phrased like them. */
static int add_examples(struct tstate *st, const struct bw_topic_item *it, uint32_t t)
{
    size_t j;

    for (j = 0; j < it->nexamples; j++) {
        const char *s = it->examples[j];
        size_t n = strlen(s), pos = 0, cnt = 0, base;
        struct bw_tok tk;
        uint64_t prev = 0, *nb;
        uint32_t *no, *nt;
        /* a bigram per word after the first: at most n / 2 */
        base = st->nex ? st->eoff[st->nex] : 0;
        if ((nb = realloc(st->big, (base + n / 2 + 2) * sizeof(*nb))) == NULL)
            return BW_ENOMEM;
        st->big = nb;
        if ((no = realloc(st->eoff, (st->nex + 2) * sizeof(*no))) == NULL)
            return BW_ENOMEM;
        st->eoff = no;
        if ((nt = realloc(st->etopic, (st->nex + 1) * sizeof(*nt))) == NULL)
            return BW_ENOMEM;
        st->etopic = nt;
        if (st->nex == 0)
            st->eoff[0] = 0;
        while (bw_tok_next(s, n, &pos, &tk)) {
            uint64_t h = stemhash(tk.w, tk.len);
            if (prev) {
                st->big[base + cnt++] = bigram(prev, h);
                st->exk[XW_BIT(prev)] |= K_EXL;
                st->exk[XW_BIT(h)] |= K_EXR;
            }
            prev = h;
        }
        st->etopic[st->nex] = t;
        st->eoff[st->nex + 1] = (uint32_t)(base + cnt);
        st->nex++;
    }
    return 0;
}

static void tfree(void *stp)
{
    struct tstate *st = stp;

    if (st == NULL)
        return;
    free(st->item);
    free(st->action);
    free(st->tab);
    free(st->big);
    free(st->eoff);
    free(st->etopic);
    free(st->eb);
    free(st->ebex);
    free(st);
}

static uint32_t eb_find(const struct tstate *st, uint64_t b)
{
    uint32_t k;

    for (k = (uint32_t)b & st->ebmask; st->eb[k].b && st->eb[k].b != b; k = (k + 1) & st->ebmask)
        ;
    return k;
}

/* st->eb and st->ebex from the examples' bigram lists (those the match reads: EX_MIN_BIGRAMS or more) */
static int build_eb(struct tstate *st)
{
    uint32_t cap = 64, total = 0, i, e, k, off = 0;

    for (i = 0; i < st->nex; i++)
        if (st->eoff[i + 1] - st->eoff[i] >= EX_MIN_BIGRAMS)
            total += st->eoff[i + 1] - st->eoff[i];
    while (cap < total * 2)
        cap <<= 1;
    if ((st->eb = calloc(cap, sizeof(*st->eb))) == NULL || (st->ebex = calloc(total + 1, sizeof(*st->ebex))) == NULL)
        return BW_ENOMEM;
    st->ebmask = cap - 1;
    /* count, then place: an entry's examples in example order */
    for (i = 0; i < st->nex; i++) {
        if (st->eoff[i + 1] - st->eoff[i] < EX_MIN_BIGRAMS)
            continue;
        for (e = st->eoff[i]; e < st->eoff[i + 1]; e++) {
            k = eb_find(st, st->big[e]);
            if (!st->eb[k].b) {
                st->eb[k].b = st->big[e];
                st->ebbits[EB_BIT(st->big[e]) / 64] |= 1ull << (EB_BIT(st->big[e]) % 64);
                st->neb++;
            }
            st->eb[k].n++;
        }
    }
    for (k = 0; k <= st->ebmask; k++)
        if (st->eb[k].b) {
            st->eb[k].off = off;
            off += st->eb[k].n;
            st->eb[k].n = 0;
        }
    for (i = 0; i < st->nex; i++) {
        if (st->eoff[i + 1] - st->eoff[i] < EX_MIN_BIGRAMS)
            continue;
        for (e = st->eoff[i]; e < st->eoff[i + 1]; e++) {
            k = eb_find(st, st->big[e]);
            st->ebex[st->eb[k].off + st->eb[k].n++] = i;
        }
    }
    return BW_OK;
}

/*
 * The words of the advice-seeking detector and their kinds, looked up by a
 * word's key (its first 16 bytes, zero-padded) in one probe of st->kw:
 * kw_build finds a multiplier under which no two of them share a slot.
 */
static const struct {
    const char *w;
    uint8_t k;
} kind_words[] = {
    {"i", K_FIRST},      {"my", K_FIRST},     {"me", K_FIRST},        {"im", K_FIRST},       {"ive", K_FIRST},
    {"mine", K_FIRST},   {"we", K_FIRST},     {"our", K_FIRST},       {"myself", K_FIRST},   {"id", K_FIRST},
    {"you", K_YOU},      {"can", K_MODAL},    {"could", K_MODAL},     {"would", K_MODAL},    {"advise", K_CUE},
    {"prescribe", K_CUE}, {"diagnose", K_CUE}, {"should", K_CUE},     {"lawyer", K_CUE},     {"attorney", K_CUE},
    {"doctor", K_CUE},
};

static inline uint32_t kw_slot(uint64_t kwmul, uint64_t a)
{
    return (uint32_t)((a * kwmul) >> (64 - KW_BITS));
}

static void kw_build(struct tstate *st)
{
    uint64_t mul;
    size_t i;

    for (mul = SH_M1;; mul += 2 * SH_M2) {
        memset(st->kw, 0, sizeof(st->kw));
        st->kwmul = mul;
        for (i = 0; i < BW_NELEMS(kind_words); i++) {
            size_t n = strlen(kind_words[i].w);
            uint64_t a = le_bytes(kind_words[i].w, n < 8 ? n : 8);
            struct kword *e = &st->kw[kw_slot(mul, a)];
            if (e->a)
                break;
            e->a = a;
            e->b = n > 8 ? le_bytes(kind_words[i].w + 8, n - 8) : 0;
            e->k = kind_words[i].k;
        }
        if (i == BW_NELEMS(kind_words))
            return;
    }
}

/* The kind (K_FIRST, K_YOU, K_MODAL, K_CUE) of the word whose key is a, b (kwmul: st->kwmul). */
static inline unsigned word_kind(const struct tstate *st, uint64_t kwmul, uint64_t a, uint64_t b)
{
    const struct kword *e = &st->kw[kw_slot(kwmul, a)];

    return ((e->a ^ a) | (e->b ^ b)) == 0 ? e->k : 0;
}

static int compile(const void *conf, int dir, struct bw_mbuild *mb, uint16_t mod, void **stp, struct bw_errs *errs)
{
    const struct bw_topics_conf *tc = conf;
    struct tstate *st;
    struct wmap *maps = NULL;
    size_t i, j, total = 0;
    uint32_t cap;
    int rv = BW_ENOMEM;

    *stp = NULL;
    pthread_once(&wn_once, load_wn);
    if (wn.rv == BW_ENOMEM)
        return BW_ENOMEM; /* a missing list only loses the widening */
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return BW_ENOMEM;
    kw_build(st);
    if ((st->item = calloc(tc->n + 1, sizeof(*st->item))) == NULL ||
        (st->action = calloc(tc->n + 1, 1)) == NULL || (maps = calloc(tc->n + 1, sizeof(*maps))) == NULL)
        goto fail;
    for (i = 0; i < tc->n; i++) {
        const struct bw_topic_item *it = &tc->items[i];
        struct wmap *m = &maps[st->n];
        if (!it->ac.enabled[dir])
            continue;
        if ((m->s = calloc(64, sizeof(*m->s))) == NULL)
            goto fail;
        m->mask = 63;
        if ((rv = add_text(m, it->name, W_NAME, 2)) != 0 || (rv = add_text(m, it->definition, W_DEF, 2)) != 0)
            goto fail;
        for (j = 0; j < it->nexamples; j++)
            if ((rv = add_text(m, it->examples[j], W_EXAMPLE, 1)) != 0)
                goto fail;
        for (j = 0; j < it->nphrases; j++) {
            struct bw_pat_err perr;
            const char *ph = it->phrases[j];
            int r = bw_mbuild_add(mb, mod, st->n, ph, strlen(ph), BW_PAT_LITERAL | BW_PAT_CASELESS, &perr);
            if (r < 0) {
                if (errs)
                    bw_errs_add(errs, NULL, "topic \"%s\": phrase \"%s\": %s", it->name, ph, perr.msg);
                rv = r;
                goto fail;
            }
        }
        if ((rv = add_examples(st, it, st->n)) != 0)
            goto fail;
        rv = BW_ENOMEM;
        st->item[st->n] = (uint32_t)i;
        st->action[st->n] = it->ac.action[dir];
        total += m->n;
        st->n++;
    }
    if (st->n == 0) {
        free(maps);
        tfree(st);
        return BW_OK;
    }
    /* one table of every topic's words: a word of k topics takes k slots */
    for (cap = 64; cap < total * 2; cap <<= 1)
        ;
    if ((st->tab = calloc(cap, sizeof(*st->tab))) == NULL)
        goto fail;
    st->mask = cap - 1;
    for (i = 0; i < st->n; i++) {
        uint32_t k;
        for (k = 0; k <= maps[i].mask; k++)
            if (maps[i].s[k].h) {
                uint32_t s = (uint32_t)maps[i].s[k].h & st->mask;
                while (st->tab[s].h)
                    s = (s + 1) & st->mask;
                st->tab[s] = maps[i].s[k];
                st->tab[s].topic = (uint32_t)i;
                st->vbits[VB_BIT(st->tab[s].h) / 64] |= 1ull << (VB_BIT(st->tab[s].h) % 64);
            }
    }
    for (i = 0; i < st->n; i++)
        free(maps[i].s);
    free(maps);
    maps = NULL;
    if (st->nex && (rv = build_eb(st)) != 0)
        goto fail;
    *stp = st;
    return BW_OK;
fail:
    if (maps)
        for (i = 0; i <= st->n && i < tc->n; i++)
            free(maps[i].s);
    free(maps);
    tfree(st);
    return rv;
}

static size_t scratch_size(const void *stp)
{
    const struct tstate *st = stp;
    return sizeof(struct tscratch) + 3 * st->n * sizeof(float);
}

static int begin_block(const void *stp, struct bw_eval *ev, void *esp)
{
    const struct tstate *st = stp;
    struct tscratch *es = esp;

    BW_UNUSED(ev);
    es->score = (float *)(es + 1);
    es->best = es->score + st->n;
    es->phrase = es->best + st->n;
    memset(es->score, 0, st->n * sizeof(float));
    memset(es->phrase, 0, st->n * sizeof(float));
    return 0;
}

static int wordc(const char *v, size_t len, size_t i)
{
    return i < len && bw_tok_wordc((unsigned char)v[i]);
}

static int on_match(const void *stp, struct bw_eval *ev, void *esp, uint32_t item, size_t from, size_t to)
{
    const struct tstate *st = stp;
    struct tscratch *es = esp;
    const struct bw_text *t = ev->text;

    BW_UNUSED(from);
    if (BW_NEVER(item >= st->n))
        return 0;
    /* whole words only: no word character right after the phrase */
    if (wordc(t->view, t->len, to))
        return 0;
    es->phrase[item] = W_PHRASE;
    return 0;
}

/* K_EXL and K_EXR of stem hash h (exk) */
static inline unsigned xbits(const struct tstate *st, uint64_t h)
{
    return st->exk[XW_BIT(h)];
}

/* May stem hash h be in the vocabulary (st->tab)? No means no. */
static inline int vbit(const struct tstate *st, uint64_t h)
{
    return (int)((st->vbits[VB_BIT(h) / 64] >> (VB_BIT(h) % 64)) & 1);
}

/* Is stem hash h in the vocabulary? The slot of its first entry, or one that is empty. */
static uint32_t tab_find(const struct tstate *st, uint64_t h)
{
    uint32_t s;

    for (s = (uint32_t)h & st->mask; st->tab[s].h && st->tab[s].h != h; s = (s + 1) & st->mask)
        ;
    return s;
}

/*
 * The kind of word id (key a, b, n bytes), of stem hash h (word_kind and
 * end_block's bits); a vocabulary word's id is added to voc[*nvoc] (ids in
 * order).
 */
static inline unsigned kind_of(const struct tstate *st, uint64_t kwmul, uint64_t a, uint64_t b, size_t n, uint64_t h,
                               uint32_t id, uint32_t *voc, uint32_t *nvoc)
{
    unsigned k = word_kind(st, kwmul, a, b) | xbits(st, h);

    /* the filter first: most words are in no topic, and the table is larger than L1 */
    if (n >= 3 && vbit(st, h) && st->tab[tab_find(st, h)].h) {
        k |= K_VOCAB;
        voc[(*nvoc)++] = id;
    }
    return k;
}

/*
 * Adds the vocabulary weights of the words seq[0..n) (ids into hc and kc)
 * to score, each distinct stem once, in order. seen (smask + 1
 * slots, zeroed) holds at most SEEN_SLOTS / 2 stems: past that a new stem
 * counts at each of its words, as it always has.
 */
static void add_vocab(const struct tstate *st, float *score, const uint64_t *hc, const uint8_t *kc,
                      const uint32_t *seq, size_t n, uint64_t *seen, uint32_t smask)
{
    uint32_t nseen = 0, s, k;
    size_t i;

    for (i = 0; i < n; i++) {
        uint32_t id = seq[i];
        uint64_t h = hc[id];
        if (!(kc[id] & K_VOCAB))
            continue;
        for (k = (uint32_t)h & smask; seen[k] && seen[k] != h; k = (k + 1) & smask)
            ;
        if (seen[k] == h)
            continue;
        if (nseen < SEEN_SLOTS / 2) {
            seen[k] = h;
            nseen++;
        }
        for (s = tab_find(st, h); st->tab[s].h; s = (s + 1) & st->mask)
            if (st->tab[s].h == h)
                score[st->tab[s].topic] += st->tab[s].w;
    }
}

/*
 * A pair of words whose bits tell (the first's kind AND the second's
 * shifted right) a modal before "you" or maybe an example's bigram b: the
 * shares of the examples holding b, the first time the block has it.
 * Returns the cue bit the pair sets.
 */
static int pair(const struct tstate *st, unsigned bits, uint64_t b, uint32_t *shared, uint8_t *ebseen)
{
    uint32_t k, j;

    if ((bits & K_EXL) && ((st->ebbits[EB_BIT(b) / 64] >> (EB_BIT(b) % 64)) & 1)) {
        k = eb_find(st, b);
        if (st->eb[k].b && !ebseen[k]) {
            ebseen[k] = 1;
            for (j = 0; j < st->eb[k].n; j++)
                shared[st->ebex[st->eb[k].off + j]]++;
        }
    }
    return (bits & K_MODAL) != 0;
}

/* pair() at each pair of words ids[from..to) ends (the first word's, at 0, is none); their cue bits */
static int pairs(const struct tstate *st, const uint64_t *hc, const uint8_t *kc, const uint32_t *ids, size_t from,
                 size_t to, uint32_t *shared, uint8_t *ebseen)
{
    unsigned pk = from ? kc[ids[from - 1]] : 0;
    int cue = 0;
    size_t wi;

    for (wi = from; wi < to; wi++) {
        unsigned k8 = kc[ids[wi]];
        if (pk & (k8 >> 1) & (K_MODAL | K_EXL))
            cue |= pair(st, pk & (k8 >> 1), bigram(hc[ids[wi - 1]], hc[ids[wi]]), shared, ebseen);
        pk = k8;
    }
    return cue;
}

static int end_block(const void *stp, struct bw_eval *ev, void *esp)
{
    const struct tstate *st = stp;
    struct tscratch *es = esp;
    const struct bw_text *tx = ev->text;
    struct bw_arena *a = &ev->w->arena;
    const struct bw_toklist *tl;
    uint64_t *hc, *seen, *bigs = NULL;
    uint32_t *voc;
    uint8_t *kc;
    const uint32_t *ids;
    unsigned pk = 0, any = 0;
    uint32_t i, k, nid, nvoc = 0, nbig = 0, smask, pid = 0;
    size_t wi, nw;
    int cue;
    float damp;
    uint32_t *shared = NULL; /* fast example match: shares by example */
    uint8_t *ebseen = NULL;  /* and which of st->eb the block has had */

    tl = bw_eval_words(ev);
    if (st->nex) {
        if (tl && tl->n <= BIG_FAST_WORDS) {
            if ((shared = bw_arena_calloc(a, st->nex * sizeof(*shared))) == NULL ||
                (ebseen = bw_arena_calloc(a, st->ebmask + 1)) == NULL)
                return BW_ENOMEM;
        } else if ((bigs = bw_arena_calloc(a, BIG_SLOTS * sizeof(*bigs))) == NULL) {
            return BW_ENOMEM;
        }
    }
    /*
     * The stem hash and kind of each distinct word once, by id (in order of
     * first appearance); without a list each word is its own id. What
     * follows reads a word as its id alone (4 bytes a word, in order).
     */
    if (tl) {
        nw = tl->n;
        nid = tl->nid;
    } else {
        struct bw_tokit it;
        for (nw = 0, bw_tokit_init(&it, NULL, tx->view, tx->len); bw_tokit_next(&it); nw++)
            ;
        nid = (uint32_t)nw;
    }
    if ((hc = bw_arena_alloc(a, (nid + 1) * sizeof(*hc))) == NULL || (kc = bw_arena_alloc(a, nid + 1)) == NULL ||
        (voc = bw_arena_alloc(a, (nid + 1) * sizeof(*voc))) == NULL)
        return BW_ENOMEM;
    if (tl) {
        ids = tl->id;
    } else {
        uint32_t *x = bw_arena_alloc(a, (nw + 1) * sizeof(*x));
        if (x == NULL)
            return BW_ENOMEM;
        for (i = 0; i < nid; i++)
            x[i] = i;
        ids = x;
    }
    if (tl) {
        /* locals: the stores to hc and kc would make tl's and st's fields be read again at every id */
        const struct bw_tokkey *key = tl->key;
        const uint8_t *info = tl->info;
        const uint64_t kwmul = st->kwmul;
        for (i = 0; i < nid; i++) {
            /* stemhash() with the stem the list found, from the key when it holds the stem */
            uint64_t ka = key[i].a, kb = key[i].b, h;
            size_t sl = info[i] & BW_TOKI_STEM;
            unsigned kd;
            h = sl <= 16 ? stem_hash_key(ka, kb, sl) : stem_hash(bw_toklist_bytes(tl, i), sl);
            kd = kind_of(st, kwmul, ka, kb, key[i].len, h, i, voc, &nvoc);
            hc[i] = h;
            kc[i] = (uint8_t)kd;
            any |= kd;
        }
    } else {
        struct bw_tokit it;
        const struct bw_tok *t;
        bw_tokit_init(&it, NULL, tx->view, tx->len);
        for (i = 0; i < nid && (t = bw_tokit_next(&it)) != NULL; i++) {
            uint64_t ka, kb;
            /* the key as a list has it: 16 bytes of t->w readable, zero past the word */
            memcpy(&ka, t->w, 8);
            memcpy(&kb, t->w + 8, 8);
            if (t->len < 16) {
                ka &= key_ma[t->len];
                kb &= key_mb[t->len];
            }
            hc[i] = stemhash(t->w, t->len);
            kc[i] = (uint8_t)kind_of(st, st->kwmul, ka, kb, t->len, hc[i], i, voc, &nvoc);
            any |= kc[i];
        }
    }
    /*
     * Each distinct stem counts once, at its first word: by id, in the same
     * order, when the seen set cannot fill; else word by word.
     */
    if (nvoc > SEEN_SLOTS / 2) {
        if ((seen = bw_arena_calloc(a, SEEN_SLOTS * sizeof(*seen))) == NULL)
            return BW_ENOMEM;
        add_vocab(st, es->score, hc, kc, ids, nw, seen, SEEN_SLOTS - 1);
    } else if (nvoc) {
        for (smask = 15; smask < 2 * nvoc; smask = smask * 2 + 1)
            ;
        if ((seen = bw_arena_calloc(a, (smask + 1) * sizeof(*seen))) == NULL)
            return BW_ENOMEM;
        add_vocab(st, es->score, hc, kc, voc, nvoc, seen, smask);
    }
    cue = (int)(any & (K_FIRST | K_CUE));
    /*
     * The pairs of words: "can you", "should you", "could you" + a request
     * asks for a judgement; an example's bigrams, of a long block every
     * one. Most pairs are neither (K_EXL: most are no example's), told by
     * one AND.
     */
    if (bigs) {
        for (wi = 0; wi < nw; wi++) {
            uint32_t id = ids[wi];
            unsigned k8 = kc[id];
            if (wi && nbig < BIG_SLOTS / 2) {
                uint64_t b = bigram(hc[pid], hc[id]);
                for (k = (uint32_t)b & (BIG_SLOTS - 1); bigs[k] && bigs[k] != b; k = (k + 1) & (BIG_SLOTS - 1))
                    ;
                if (!bigs[k]) {
                    bigs[k] = b;
                    nbig++;
                }
            }
            if (pk & (k8 >> 1) & K_MODAL)
                cue |= 1;
            pk = k8;
            pid = id;
        }
    } else {
        /* four words a step: one test passes most steps, whose pairs need no look */
        for (wi = 0; wi + 4 <= nw; wi += 4) {
            unsigned k0 = kc[ids[wi]], k1 = kc[ids[wi + 1]], k2 = kc[ids[wi + 2]], k3 = kc[ids[wi + 3]];
            if (((pk & k0 >> 1) | (k0 & k1 >> 1) | (k1 & k2 >> 1) | (k2 & k3 >> 1)) & (K_MODAL | K_EXL))
                cue |= pairs(st, hc, kc, ids, wi, wi + 4, shared, ebseen);
            pk = k3;
        }
        cue |= pairs(st, hc, kc, ids, wi, nw, shared, ebseen);
    }
    /* long texts gather chance hits: damp beyond 40 words; impersonal texts ask for no advice */
    damp = nw > 40 ? sqrtf(40.0f / (float)nw) : 1.0f;
    if (!(cue & 2))
        damp *= (cue & 1) ? 0.8f : 0.55f;
    /* a text phrased like one of the examples ("Is now a good time to buy ethereum?") */
    for (i = 0; i < st->nex; i++) {
        uint32_t e, sh = 0, nb = st->eoff[i + 1] - st->eoff[i];
        if (nb < EX_MIN_BIGRAMS)
            continue;
        if (shared) {
            sh = shared[i];
        } else {
            for (e = st->eoff[i]; e < st->eoff[i + 1]; e++) {
                uint64_t b = st->big[e];
                for (k = (uint32_t)b & (BIG_SLOTS - 1); bigs[k] && bigs[k] != b; k = (k + 1) & (BIG_SLOTS - 1))
                    ;
                sh += bigs[k] == b;
            }
        }
        if (sh >= EX_MIN_BIGRAMS && (float)sh >= EX_MIN_SHARE * (float)nb &&
            EX_MATCH * (float)sh / (float)nb > es->phrase[st->etopic[i]])
            es->phrase[st->etopic[i]] = EX_MATCH * (float)sh / (float)nb;
    }
    for (i = 0; i < st->n; i++) {
        float sc = es->score[i] * damp + es->phrase[i];
        if (sc > es->best[i])
            es->best[i] = sc;
    }
    return 0;
}

static int finish(const void *stp, struct bw_eval *ev, void *esp)
{
    const struct tstate *st = stp;
    struct tscratch *es = esp;
    uint32_t i;
    int rv;

    if (es->best == NULL) /* no block was scanned */
        return 0;
    for (i = 0; i < st->n; i++) {
        struct bw_finding f;
        memset(&f, 0, sizeof(f));
        f.policy = BW_POL_TOPIC;
        f.item = st->item[i];
        f.action = st->action[i];
        f.score = es->best[i] / (es->best[i] + BW_TOPIC_THRESHOLD); /* 0.5 at the threshold */
        f.threshold = 0.5f;
        f.detected = es->best[i] >= BW_TOPIC_THRESHOLD;
        if ((rv = bw_eval_add(ev, &f)) != 0)
            return rv;
    }
    return 0;
}

const struct bw_module_ops bw_topics_module = {
    .name = "topics",
    .policy = BW_POL_TOPIC,
    .compile = compile,
    .scratch_size = scratch_size,
    .begin_block = begin_block,
    .on_match = on_match,
    .end_block = end_block,
    .finish = finish,
    .free = tfree,
};
