/*
 * grounding.c: the contextual-grounding policy module: GROUNDING (is the
 * answer supported by the grounding source?) and RELEVANCE (does it answer
 * the query?), scores in [0,1], detected when below the threshold. Bedrock
 * runs a language model; here a claim is supported when its words are in
 * the source, and the words that carry facts weigh most:
 *
 *   - numbers (years, amounts, dates): weight 3
 *   - names (capitalised words not starting a sentence, all-caps words): 2
 *   - other content words: 1; function words: 0
 *
 * GROUNDING is the weighted share of the answer's words found in the source
 * or the query (restating the question adds nothing new), each unsupported
 * number or name then halving it and each other unsupported word taking 30%
 * off: an answer that brings a date, an amount or a name the source does not
 * have scores low however many ordinary words it shares. Last, known words
 * put together in a way the source never does make a new claim ("X was born
 * first" from a source giving both birth dates): the score is scaled from
 * PAIR_FLOOR to 1 by the share of adjacent answer words that are within two
 * words of each other somewhere in the source. RELEVANCE is the weighted share of the answer's words found in
 * the query or in the three source sentences that share most words with the
 * query (where its answer would be). Words are compared by stem
 * (bw_tok_stem). Only the guarded blocks are scored; the source and query
 * are the qualified blocks joined by the engine. Without a source there is
 * no GROUNDING finding, without a query no RELEVANCE one; output direction
 * only (Bedrock).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "filters/engine.h"
#include "filters/grounding.h"
#include "filters/tokens.h"

#define TOP_SENTENCES 3
/* calibrated on HaluEval QA (docs/classifiers.md) */
#define MISS_FACT 0.5  /* factor per number or name the source lacks */
#define MISS_WORD 0.7  /* factor per other word it lacks */
#define PAIR_FLOOR 0.4 /* score left when no two adjacent words are adjacent in the source */

struct gstate {
    struct bw_grounding_item items[BW_GROUND__N];
    size_t n;
};

/* A set of 32-bit word hashes (0 is empty) in the evaluation's arena. */
struct hset {
    uint32_t *s;
    uint32_t mask, n;
};

struct gscratch {
    int built;
    struct hset src, rel; /* source; query + the source sentences nearest the query */
    struct hset pairs;    /* pairs of content words near each other in the source */
    unsigned npairs, sup_pairs;
    double tot, sup_g, sup_r;
    unsigned miss_facts; /* numbers and names not in the source or query */
    unsigned miss_words; /* other content words not there */
    int any;
};

static uint32_t shash(const struct bw_tok *t)
{
    uint64_t h = bw_whash(t->w, bw_tok_stem(t->w, t->len), 0x9a0d);
    uint32_t v = (uint32_t)(h ^ (h >> 32));
    return v ? v : 1;
}

static uint32_t pair(uint32_t a, uint32_t b)
{
    uint64_t h = bw_hash_mix(a, b);
    return (uint32_t)(h ^ (h >> 32)) | 1;
}

static int hs_init(struct bw_arena *a, struct hset *h, size_t want)
{
    uint32_t cap = 64;

    while (cap < want * 2 && cap < (1u << 28))
        cap <<= 1;
    if ((h->s = bw_arena_calloc(a, cap * sizeof(*h->s))) == NULL)
        return BW_ENOMEM;
    h->mask = cap - 1;
    h->n = 0;
    return BW_OK;
}

static void hs_add(struct hset *h, uint32_t v)
{
    uint32_t i;

    if ((h->n + 1) * 2 > h->mask + 1)
        return; /* full: sized from the text, so only on pathological input */
    for (i = (uint32_t)v & h->mask; h->s[i]; i = (i + 1) & h->mask)
        if (h->s[i] == v)
            return;
    h->s[i] = v;
    h->n++;
}

static int hs_has(const struct hset *h, uint32_t v)
{
    uint32_t i;

    if (h->s == NULL)
        return 0;
    for (i = (uint32_t)v & h->mask; h->s[i]; i = (i + 1) & h->mask)
        if (h->s[i] == v)
            return 1;
    return 0;
}

static int content(const struct bw_tok *t)
{
    return (t->flags & BW_TOKF_DIGIT) || (t->len >= 2 && !bw_tok_stop(t));
}

static int is_sentence_end(char c)
{
    return c == '.' || c == '!' || c == '?' || c == '\n';
}

static uint32_t word_hash(const struct bw_tok *t)
{
    return content(t) ? shash(t) : 0;
}

/* The same for word id of a list: its bytes, stem, digit and function-word test as the list found them. */
static uint32_t list_hash(const struct bw_toklist *tl, uint32_t id)
{
    unsigned info = tl->info[id];
    uint32_t v;
    uint64_t h;

    if (!(info & BW_TOKI_DIGIT) && (bw_toklist_len(tl, id) < 2 || (info & BW_TOKI_STOP)))
        return 0;
    h = bw_whash(bw_toklist_bytes(tl, id), info & BW_TOKI_STEM, 0x9a0d);
    v = (uint32_t)(h ^ (h >> 32));
    return v ? v : 1;
}

/*
 * A list's words hashed once per distinct word: c[id] is 0 until the first
 * time, then the hash with bit 32 set. NULL c (no list): hashed each time.
 */
static uint32_t cached_hash(uint64_t *c, const struct bw_tokit *it, const struct bw_tok *t)
{
    uint64_t *x;

    if (c == NULL)
        return word_hash(t);
    x = &c[bw_tokit_id(it)];
    if (*x == 0)
        *x = 1ull << 32 | word_hash(t);
    return (uint32_t)*x;
}

#define IN_QUERY (1ull << 33) /* build(): the query has the word */

static uint64_t *new_cache(struct bw_arena *a, const struct bw_toklist *tl)
{
    return tl ? bw_arena_calloc(a, (tl->nid + 1) * sizeof(uint64_t)) : NULL;
}

/*
 * The content-word hashes of s[0..n) (0 for other words) into the arena:
 * *out[0..*nout). A word takes a byte and a separator at least, so n / 2 + 1
 * bounds the words. tl: the text's shared word list, or NULL to read it.
 */
static int hash_words(struct bw_arena *a, const struct bw_toklist *tl, const char *s, size_t n, uint32_t **out,
                      size_t *nout)
{
    struct bw_tokit it;
    const struct bw_tok *t;
    size_t k = 0, cap = tl ? tl->n : n / 2 + 1;
    uint32_t *h;

    uint64_t *c = new_cache(a, tl);

    if ((h = bw_arena_alloc(a, (cap + 1) * sizeof(*h))) == NULL || (tl && c == NULL))
        return BW_ENOMEM;
    bw_tokit_init(&it, tl, s, n);
    while ((t = bw_tokit_next(&it)) != NULL && k < cap)
        h[k++] = cached_hash(c, &it, t);
    *out = h;
    *nout = k;
    return BW_OK;
}

static void add_hashes(struct hset *h, const uint32_t *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i])
            hs_add(h, v[i]);
}

/*
 * Source and query sets; the sentences of the source that share most words
 * with the query. The source is read once (its shared word list when there
 * is one), each word hashed once: the sentences nearest the query are kept
 * as ranges of its words, not read again.
 */
static int build(struct bw_eval *ev, struct gscratch *es)
{
    struct bw_arena *a = &ev->w->arena;
    const struct bw_toklist *sl = bw_eval_source_words(ev);
    struct hset q = {0};
    size_t best_from[TOP_SENTENCES] = {0}, best_to[TOP_SENTENCES] = {0}, best_len[TOP_SENTENCES] = {0}, i, nqh;
    unsigned best_n[TOP_SENTENCES] = {0};
    uint32_t *qh, *sh;
    int rv;

    es->built = 1;
    /*
     * A content word takes three bytes at least (two letters and a
     * separator): len / 3 bounds the distinct words, twice that the pairs.
     * When the source's word list gives a tighter bound (its distinct words,
     * twice its words for the pairs), the sets are sized by that: smaller
     * tables to clear and probe. Neither size ever fills then (a set refuses
     * past half full), so both hold the same values.
     */
    if ((rv = hash_words(a, NULL, ev->query.base, ev->query.len, &qh, &nqh)) != 0)
        return rv;
    {
        size_t wsrc = (ev->source.len + ev->query.len) / 3 + 16, wpairs = 2 * (ev->source.len + ev->query.len) / 3 + 16;
        if (sl && sl->nid + nqh + 16 <= wsrc)
            wsrc = sl->nid + nqh + 16;
        if (sl && 2 * (sl->n + nqh) + 16 <= wpairs)
            wpairs = 2 * (sl->n + nqh) + 16;
        if ((rv = hs_init(a, &es->src, wsrc)) != 0 || (rv = hs_init(a, &q, ev->query.len / 3 + 16)) != 0 ||
            (rv = hs_init(a, &es->pairs, wpairs)) != 0)
            return rv;
    }
    add_hashes(&q, qh, nqh);
    {
        uint32_t x = 0, y = 0;
        for (i = 0; i < nqh; i++) {
            uint32_t c = qh[i];
            if (!c)
                continue;
            if (y)
                hs_add(&es->pairs, pair(y, c));
            if (x)
                hs_add(&es->pairs, pair(x, c));
            x = y;
            y = c;
        }
    }
    /* one pass over the source: its words, its word pairs, its sentences nearest the query */
    {
        struct bw_tokit it;
        const struct bw_tok *t;
        const char *src = ev->source.base;
        size_t cap = sl ? sl->n : ev->source.len / 2 + 1, k = 0, from = 0, start = 0, last = 0, j;
        size_t m = 0;
        unsigned n = 0, b;
        uint64_t *cache = NULL;
        uint32_t *ch;

        if ((sh = bw_arena_alloc(a, (cap + 1) * sizeof(*sh))) == NULL ||
            (ch = bw_arena_alloc(a, (cap + 1) * sizeof(*ch))) == NULL ||
            (sl && (cache = bw_arena_alloc(a, (sl->nid + 1) * sizeof(*cache))) == NULL))
            return BW_ENOMEM;
        /*
         * per distinct word, in one loop over the ids (in order of first
         * appearance, the order the words would add them): its hash,
         * whether the query has it; added to the source set once
         */
        for (i = 0; sl && i < sl->nid; i++) {
            uint64_t v = 1ull << 32 | list_hash(sl, (uint32_t)i);
            if ((uint32_t)v) {
                hs_add(&es->src, (uint32_t)v);
                v |= hs_has(&q, (uint32_t)v) ? IN_QUERY : 0;
            }
            cache[i] = v;
        }
        bw_tokit_init(&it, sl, src, ev->source.len);
        for (;;) {
            int more = (t = k < cap ? bw_tokit_next(&it) : NULL) != NULL, end = !more;
            /* a sentence ends at . ! ? or a newline between the previous word and this one */
            for (j = last; more && j < t->start && !end; j++)
                end = is_sentence_end(src[j]);
            if (end && n) {
                for (b = 0; b < TOP_SENTENCES; b++)
                    if (n > best_n[b]) {
                        memmove(best_n + b + 1, best_n + b, (TOP_SENTENCES - b - 1) * sizeof(*best_n));
                        memmove(best_from + b + 1, best_from + b, (TOP_SENTENCES - b - 1) * sizeof(*best_from));
                        memmove(best_to + b + 1, best_to + b, (TOP_SENTENCES - b - 1) * sizeof(*best_to));
                        memmove(best_len + b + 1, best_len + b, (TOP_SENTENCES - b - 1) * sizeof(*best_len));
                        best_n[b] = n;
                        best_from[b] = from;
                        best_to[b] = k;
                        best_len[b] = last - start;
                        break;
                    }
            }
            if (!more)
                break;
            if (end) {
                n = 0;
                from = k;
                start = t->start;
            }
            last = t->end;
            {
                uint64_t v;
                if (cache) {
                    v = cache[bw_tokit_id(&it)];
                } else {
                    v = 1ull << 32 | word_hash(t);
                    if ((uint32_t)v) {
                        hs_add(&es->src, (uint32_t)v);
                        v |= hs_has(&q, (uint32_t)v) ? IN_QUERY : 0;
                    }
                }
                /*
                 * the content words gathered (ch[0..m)) without a branch on
                 * whether this is one: on prose that is as good as random
                 * (IN_QUERY is set on content words only)
                 */
                sh[k] = (uint32_t)v;
                ch[m] = (uint32_t)v;
                m += (uint32_t)v != 0;
                n += (v & IN_QUERY) != 0;
            }
            k++;
        }
        /* each content word paired with the two before it (sentence ends do not part them) */
        if (m > 1)
            hs_add(&es->pairs, pair(ch[0], ch[1]));
        for (j = 2; j < m; j++) {
            hs_add(&es->pairs, pair(ch[j - 1], ch[j]));
            hs_add(&es->pairs, pair(ch[j - 2], ch[j]));
        }
    }
    if (!ev->has_query)
        return BW_OK;
    {
        size_t want = ev->query.len / 3 + 16;
        for (i = 0; i < TOP_SENTENCES; i++)
            want += best_len[i] / 3;
        if ((rv = hs_init(a, &es->rel, want)) != 0)
            return rv;
    }
    add_hashes(&es->rel, qh, nqh);
    for (i = 0; i < TOP_SENTENCES; i++)
        if (best_n[i])
            add_hashes(&es->rel, sh + best_from[i], best_to[i] - best_from[i]);
    /* the query words also support grounding: restating the question adds nothing new */
    add_hashes(&es->src, qh, nqh);
    return BW_OK;
}

static int compile(const void *conf, int dir, struct bw_mbuild *mb, uint16_t mod, void **stp, struct bw_errs *errs)
{
    const struct bw_grounding_conf *gc = conf;
    struct gstate *st;
    size_t i;

    BW_UNUSED(mb);
    BW_UNUSED(mod);
    BW_UNUSED(errs);
    *stp = NULL;
    if (dir != BW_DIR_OUTPUT) /* Bedrock: contextual grounding checks answers only */
        return BW_OK;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < gc->n && i < BW_GROUND__N; i++)
        if (gc->items[i].enabled && gc->items[i].type >= 0 && gc->items[i].type < BW_GROUND__N)
            st->items[st->n++] = gc->items[i];
    if (st->n == 0) {
        free(st);
        return BW_OK;
    }
    *stp = st;
    return BW_OK;
}

static size_t scratch_size(const void *st)
{
    BW_UNUSED(st);
    return sizeof(struct gscratch);
}

#define IN_SRC (1ull << 33)
#define IN_REL (1ull << 34)

/* A word's hash h (0: not a content word) with IN_SRC and IN_REL as the sets hold it. */
static uint64_t word_sets(const struct gscratch *es, uint32_t h)
{
    uint64_t v = 1ull << 32 | h;

    if (h) {
        v |= hs_has(&es->src, h) ? IN_SRC : 0;
        v |= hs_has(&es->rel, h) ? IN_REL : 0;
    }
    return v;
}

/*
 * A word's weight by its flags (DIGIT 1, UPPER 2, ALLCAP 4, SENT 8): 3 with
 * a digit, else 2 all upper case or capitalised inside a sentence, else 1.
 */
static const double fact_w[16] = {1, 3, 2, 3, 2, 3, 2, 3, 1, 3, 1, 3, 2, 3, 2, 3};
_Static_assert(BW_TOKF_DIGIT == 1 && BW_TOKF_UPPER == 2 && BW_TOKF_ALLCAP == 4 && BW_TOKF_SENT == 8,
               "fact_w is indexed by these flags");

/*
 * The sums and counts of end_block, in a local copy while a block's words
 * are scored (registers, not es through memory at every word: the build has
 * -fno-strict-aliasing), taken from es and put back whole: the same
 * additions in the same order.
 */
struct gsum {
    unsigned npairs, sup_pairs, miss_facts, miss_words;
    double tot, sup_g, sup_r;
};

/*
 * One word of the guarded text: v as word_sets gives it, flags its
 * BW_TOKF_*; *prev the hash of the content word before it (0: none yet).
 * The sums take w or 0 (w * 0 or 1: exact, and x + 0 is x for the sums,
 * never negative) and the counts 0 or 1, not a branch on whether the
 * source holds the word.
 */
static inline void score_word(const struct hset *pairs, struct gsum *g, uint64_t v, unsigned flags, uint32_t *prev)
{
    uint32_t h = (uint32_t)v;
    unsigned in_src = (v & IN_SRC) != 0, fact;
    double w;

    if (h == 0)
        return;
    /* a number weighs 3, a name 2 (both facts), another word 1: by table, not branches on the flags */
    w = fact_w[flags & 15];
    fact = w > 1;
    if (*prev) {
        g->npairs++;
        g->sup_pairs += hs_has(pairs, pair(*prev, h));
    }
    *prev = h;
    g->tot += w;
    g->sup_g += w * (double)in_src;
    g->miss_facts += (in_src ^ 1) & fact;
    g->miss_words += (in_src ^ 1) & (fact ^ 1);
    g->sup_r += w * (double)((v & IN_REL) != 0);
}

static int end_block(const void *stp, struct bw_eval *ev, void *esp)
{
    struct gscratch *es = esp;
    const struct bw_text *tx = ev->text;
    const struct bw_toklist *tl;
    struct hset pairs;
    struct gsum g;
    uint32_t prev = 0;
    int rv;

    BW_UNUSED(stp);
    if (!es->built && (rv = build(ev, es)) != 0)
        return rv;
    es->any = 1;
    tl = bw_eval_words(ev);
    pairs = es->pairs;
    g.npairs = es->npairs;
    g.sup_pairs = es->sup_pairs;
    g.miss_facts = es->miss_facts;
    g.miss_words = es->miss_words;
    g.tot = es->tot;
    g.sup_g = es->sup_g;
    g.sup_r = es->sup_r;
    if (tl) {
        /* the word's hash and whether the source and the relevant part hold it, once per distinct word */
        const uint32_t *id = tl->id;
        const uint8_t *fl = tl->flags;
        uint64_t *c;
        size_t i, n = tl->n;
        if ((c = bw_arena_alloc(&ev->w->arena, (tl->nid + 1) * sizeof(*c))) == NULL)
            return BW_ENOMEM;
        for (i = 0; i < tl->nid; i++)
            c[i] = word_sets(es, list_hash(tl, (uint32_t)i));
        /* then the words as ids and flags (two small arrays), not as their 64-byte slots */
        for (i = 0; i < n; i++)
            score_word(&pairs, &g, c[id[i]], fl[i], &prev);
    } else {
        struct bw_tokit it;
        const struct bw_tok *t;
        bw_tokit_init(&it, NULL, tx->view, tx->len);
        while ((t = bw_tokit_next(&it)) != NULL)
            score_word(&pairs, &g, word_sets(es, word_hash(t)), t->flags, &prev);
    }
    es->npairs = g.npairs;
    es->sup_pairs = g.sup_pairs;
    es->miss_facts = g.miss_facts;
    es->miss_words = g.miss_words;
    es->tot = g.tot;
    es->sup_g = g.sup_g;
    es->sup_r = g.sup_r;
    return 0;
}

static int finish(const void *stp, struct bw_eval *ev, void *esp)
{
    const struct gstate *st = stp;
    struct gscratch *es = esp;
    size_t i;
    int rv;

    for (i = 0; i < st->n; i++) {
        const struct bw_grounding_item *it = &st->items[i];
        struct bw_finding f;
        double score;
        if (it->type == BW_GROUND_GROUNDING) {
            if (!ev->has_source)
                continue;
            /* nothing to check (no words, or no guarded text) is supported */
            score = es->tot > 0 ? es->sup_g / es->tot : 1.0;
            score *= pow(MISS_FACT, (double)es->miss_facts) * pow(MISS_WORD, (double)es->miss_words);
            /* words the source has, put together the way it never does, make a new claim */
            if (es->npairs)
                score *= PAIR_FLOOR + (1 - PAIR_FLOOR) * (double)es->sup_pairs / (double)es->npairs;
        } else {
            if (!ev->has_query)
                continue;
            score = es->tot > 0 ? es->sup_r / es->tot : 1.0;
        }
        memset(&f, 0, sizeof(f));
        f.policy = BW_POL_GROUNDING;
        f.type = (uint16_t)it->type;
        f.item = (uint32_t)it->type;
        f.score = (float)score;
        f.threshold = (float)it->threshold;
        f.action = it->action;
        f.detected = score < it->threshold;
        if ((rv = bw_eval_add(ev, &f)) != 0)
            return rv;
    }
    return 0;
}

static void gfree(void *st)
{
    free(st);
}

/*
 * The guarded text's words are weighed by their case and sentence starts
 * (fact_w): the shared list finds those only when a scorer asks before it
 * is read (bw_toklist_want_case), which is after every begin_block.
 */
static int begin_block(const void *stp, struct bw_eval *ev, void *esp)
{
    BW_UNUSED(stp);
    BW_UNUSED(esp);
    bw_toklist_want_case(&ev->w->toks);
    return 0;
}

const struct bw_module_ops bw_grounding_module = {
    .name = "grounding",
    .policy = BW_POL_GROUNDING,
    .compile = compile,
    .scratch_size = scratch_size,
    .begin_block = begin_block,
    .end_block = end_block,
    .finish = finish,
    .free = gfree,
};
