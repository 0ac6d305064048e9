/*
 * words.c: the word policy module. Every custom word and every term of the
 * managed lists becomes one caseless LITERAL of the direction's matcher: the
 * term itself, or for a phrase its longest word, the rarest; the other words
 * of a phrase (separated by any run of spaces) are checked here around the
 * match. Literals are what Hyperscan compiles and scans fastest; phrases as
 * regexes (\s+) doubled the compile time of the managed list. Hyperscan
 * reports only the end of a match, so the start is found by walking back
 * over the term's known shape, and whole-word boundaries are checked on the
 * view ("ass" does not fire inside "class"). Scripts written without spaces
 * (CJK, Thai) match without boundaries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/blob.h"
#include "filters/errs.h"
#include "filters/matcher.h"
#include "filters/norm.h"
#include "filters/text.h"
#include "filters/tokens.h"
#include "filters/words.h"
#include <utf8proc.h>

struct term {
    uint32_t cfg;     /* custom: index in wordsConfig; managed: index in managedWordListsConfig */
    uint8_t sub;      /* BW_WORD_CUSTOM, BW_WORD_MANAGED */
    uint8_t type;     /* enum bw_wordlist for managed terms */
    uint8_t action;
    uint8_t lb, rb;   /* whole-word boundary needed at the left / right end */
    uint8_t gate;     /* this term's own GATE_R and GATE_L bits (the chain's are their AND) */
    uint8_t plast;    /* fold() of the last byte of the word before the trigger, when ASCII; else 0 */
    uint8_t nfirst;   /* fold() of the first byte of the word after the trigger, when ASCII; else 0 */
    uint16_t ntok;
    uint16_t trig;    /* the token the matcher looks for */
    uint32_t tok;     /* first entry in st->tok */
};

/* One word of a term: its normalised text in st->pool. */
struct tokn {
    uint32_t off;
    uint16_t len;     /* bytes */
    uint16_t cps;     /* code points */
};

struct words_state {
    struct term *t;
    size_t n, cap;
    struct tokn *tok; /* the words of every term */
    size_t ntok, tokcap;
    char *pool;       /* their text */
    size_t npool, poolcap;
    /* streaming: hashes of every folded prefix of every term (hold hook) */
    uint64_t *pre;
    size_t npre, precap; /* precap: power of two */
    size_t maxlen;       /* longest term, in view bytes */
    /*
     * Terms that share a trigger literal ("ass", "ass hole", "ass-hat" all
     * wait for "ass") share one pattern: the matcher reports its item, the
     * first such term, and next[] chains the others in term order. One
     * pattern per term made 168 callbacks per 4 KB of text where 78 end
     * offsets matched.
     */
    uint32_t *next;      /* next term with the same trigger, or NO_TERM */
    /*
     * By chain head, the first check of every trigger match, apart from the
     * terms so that it reads one cache line: the trigger's length in bytes
     * when it is ASCII (GATE_LEN, 0 otherwise) and the classes (cls[]) of the
     * bytes right before and after it for which every term of the chain
     * fails (GATE_L, GATE_R). Most matches fire inside longer words ("bi" in
     * "big", "one" in "someone") and stop there.
     */
    uint32_t *gate;
    uint32_t *trig_tab;  /* compile only: trigger hash -> first term + 1 */
    uint32_t *trig_last; /* compile only: last term of each chain, by first term */
    size_t trig_cap;     /* power of two */
};

#define NO_TERM UINT32_MAX

/* Case-folded, space-collapsed hashing shared by terms and texts. */
#define FNV_OFF 0xcbf29ce484222325ull
#define FNV_MUL 0x100000001b3ull

static uint64_t fold_step(uint64_t h, int32_t cp)
{
    h ^= (uint64_t)(uint32_t)utf8proc_tolower(cp);
    return h * FNV_MUL;
}

static int pre_add(struct words_state *st, uint64_t h)
{
    size_t k;

    if (h == 0)
        h = 1; /* 0 marks an empty slot */
    if ((st->npre + 1) * 2 > st->precap) {
        size_t ncap = st->precap ? st->precap * 2 : 4096, i;
        uint64_t *nt = calloc(ncap, sizeof(*nt));
        if (nt == NULL)
            return BW_ENOMEM;
        for (i = 0; i < st->precap; i++)
            if (st->pre[i]) {
                for (k = st->pre[i] & (ncap - 1); nt[k]; k = (k + 1) & (ncap - 1))
                    ;
                nt[k] = st->pre[i];
            }
        free(st->pre);
        st->pre = nt;
        st->precap = ncap;
    }
    for (k = h & (st->precap - 1); st->pre[k]; k = (k + 1) & (st->precap - 1))
        if (st->pre[k] == h)
            return BW_OK;
    st->pre[k] = h;
    st->npre++;
    return BW_OK;
}

static int pre_has(const struct words_state *st, uint64_t h)
{
    size_t k;

    if (h == 0)
        h = 1;
    for (k = h & (st->precap - 1); st->pre[k]; k = (k + 1) & (st->precap - 1))
        if (st->pre[k] == h)
            return 1;
    return 0;
}

static void st_free(void *p)
{
    struct words_state *st = p;

    if (st == NULL)
        return;
    free(st->t);
    free(st->tok);
    free(st->pool);
    free(st->pre);
    free(st->next);
    free(st->gate);
    free(st->trig_tab);
    free(st->trig_last);
    free(st);
}

/* ASCII white space, by table: the term checks ask it around every trigger match. */
static const unsigned char space_tab[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1};

static int is_space(char c)
{
    return space_tab[(unsigned char)c];
}

/*
 * A byte's class for the gate: 1 an ASCII word byte (or '_'), 2 white space,
 * 0 any other; 3 stands for the text's edge. A gate mask has bit c set when
 * every term fails next to class c.
 */
enum { CLS_OTHER, CLS_WORD, CLS_SPACE, CLS_EDGE };
static const unsigned char cls[256] = {
    ['0' ... '9'] = CLS_WORD, ['A' ... 'Z'] = CLS_WORD, ['a' ... 'z'] = CLS_WORD, ['_'] = CLS_WORD,
    [' '] = CLS_SPACE, ['\t'] = CLS_SPACE, ['\n'] = CLS_SPACE, ['\r'] = CLS_SPACE, ['\f'] = CLS_SPACE, ['\v'] = CLS_SPACE,
};
/* An ASCII letter in lower case, another byte as it is: same_ascii(x, y) is fold(x) == fold(y) for ASCII x, y. */
static unsigned char fold(unsigned char c)
{
    return (unsigned char)(c - 'A') < 26 ? c | 0x20 : c;
}

#define FAIL_WORD (1u << CLS_WORD)                                  /* a boundary: no word byte */
#define FAIL_NOSPACE ((1u << CLS_OTHER) | FAIL_WORD | (1u << CLS_EDGE)) /* another word: a space */
#define GATE_R(g) ((g) & 0xf)
#define GATE_L(g) (((g) >> 4) & 0xf)
#define GATE_LEN(g) ((g) >> 16)

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t ncap = *cap ? *cap : 256;
    void *np;

    if (need <= *cap)
        return BW_OK;
    while (ncap < need)
        ncap *= 2;
    if ((np = realloc(*p, ncap * elem)) == NULL)
        return BW_ENOMEM;
    *p = np;
    *cap = ncap;
    return BW_OK;
}

/* Term arrays: t, next, trig_last and gate grow together. */
static int grow_terms(struct words_state *st, size_t need)
{
    size_t cap = st->cap, ncap;
    uint32_t *nn, *nl, *ng;

    if (need <= cap)
        return BW_OK;
    if (grow((void **)&st->t, &st->cap, need, sizeof(*st->t)) != 0)
        return BW_ENOMEM;
    ncap = st->cap;
    st->cap = cap; /* put back until every array has grown */
    if ((nn = realloc(st->next, ncap * sizeof(*nn))) == NULL)
        return BW_ENOMEM;
    st->next = nn;
    if ((nl = realloc(st->trig_last, ncap * sizeof(*nl))) == NULL)
        return BW_ENOMEM;
    st->trig_last = nl;
    if ((ng = realloc(st->gate, ncap * sizeof(*ng))) == NULL)
        return BW_ENOMEM;
    st->gate = ng;
    st->cap = ncap;
    return BW_OK;
}

static uint64_t trig_hash(const char *w, size_t n)
{
    uint64_t h = FNV_OFF;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)w[i]) * FNV_MUL;
    return h;
}

/*
 * The first term whose trigger literal is exactly the bytes of k (*first,
 * NO_TERM when none yet: then k's term, st->n, is recorded as the first).
 * Returns 0 or BW_ENOMEM.
 */
static int trig_find(struct words_state *st, const struct tokn *k, uint32_t *first)
{
    const char *w = st->pool + k->off;
    size_t i;

    if ((st->n + 1) * 2 > st->trig_cap) {
        size_t ncap = st->trig_cap ? st->trig_cap * 2 : 1024;
        uint32_t *nt = calloc(ncap, sizeof(*nt));
        if (nt == NULL)
            return BW_ENOMEM;
        for (i = 0; i < st->trig_cap; i++)
            if (st->trig_tab[i]) {
                const struct term *o = &st->t[st->trig_tab[i] - 1];
                const struct tokn *ok = &st->tok[o->tok + o->trig];
                size_t j = trig_hash(st->pool + ok->off, ok->len) & (ncap - 1);
                while (nt[j])
                    j = (j + 1) & (ncap - 1);
                nt[j] = st->trig_tab[i];
            }
        free(st->trig_tab);
        st->trig_tab = nt;
        st->trig_cap = ncap;
    }
    for (i = trig_hash(w, k->len) & (st->trig_cap - 1); st->trig_tab[i]; i = (i + 1) & (st->trig_cap - 1)) {
        const struct term *o = &st->t[st->trig_tab[i] - 1];
        const struct tokn *ok = &st->tok[o->tok + o->trig];
        if (ok->len == k->len && memcmp(st->pool + ok->off, w, k->len) == 0) {
            *first = st->trig_tab[i] - 1;
            return BW_OK;
        }
    }
    st->trig_tab[i] = (uint32_t)st->n + 1;
    *first = NO_TERM;
    return BW_OK;
}

/* Adds every folded prefix of the normalised term t[0..n) (streaming hold hook). */
static int add_prefixes(struct words_state *st, const char *t, size_t n)
{
    uint64_t h = FNV_OFF;
    size_t j = 0;
    int sp = 0, rv;

    while (j < n) {
        int32_t cp;
        j += bw_utf8_next(t, n, j, &cp);
        if (cp < 0x80 && is_space((char)cp)) {
            if (sp)
                continue;
            sp = 1;
            cp = ' ';
        } else {
            sp = 0;
        }
        h = fold_step(h, cp);
        if ((rv = pre_add(st, h)) != 0)
            return rv;
    }
    if (n > st->maxlen)
        st->maxlen = n;
    return BW_OK;
}

/*
 * How rare the word's bytes are in English text: the sum of each letter's
 * -2 log2 of its frequency, 16 for any other byte. It breaks ties between
 * a phrase's longest words: the matcher reports every occurrence of the
 * trigger, even inside other words, and "ass" in "eat my ass" or "jar" in
 * "one guy one jar" fire far less often than "eat" ("great") or "one"
 * ("someone"). The findings are the same whichever word triggers.
 */
static unsigned rarity(const char *w, size_t n)
{
    static const unsigned char bits[26] = {7,  12, 10, 9,  6,  11, 11, 8,  8, 19, 14, 9,  11,
                                           8,  7,  11, 20, 8,  8,  7,  10, 13, 11, 19, 11, 21};
    unsigned r = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)(w[i] | 0x20);
        r += c >= 'a' && c <= 'z' && (unsigned char)w[i] < 0x80 ? bits[c - 'a'] : 16;
    }
    return r;
}

/* Adds the normalised term t[0..n): its words, and its trigger literal. */
static int add_term(struct words_state *st, struct bw_mbuild *mb, uint16_t mod, const char *t, size_t n,
                    struct term *proto, struct bw_errs *errs)
{
    struct term *tm;
    struct bw_pat_err perr;
    size_t i = 0, best = 0;
    int32_t cp;
    int rv;

    while (n && is_space(t[n - 1]))
        n--;
    while (n && is_space(*t))
        t++, n--;
    if (n == 0)
        return BW_OK;
    if ((rv = grow_terms(st, st->n + 1)) != 0 ||
        (rv = grow((void **)&st->pool, &st->poolcap, st->npool + n, 1)) != 0)
        return rv;
    tm = &st->t[st->n];
    *tm = *proto;
    tm->tok = (uint32_t)st->ntok;
    tm->ntok = 0;
    while (i < n) {
        struct tokn *k;
        size_t s = i, cps = 0;

        while (i < n && !is_space(t[i]))
            cps += ((unsigned char)t[i++] & 0xc0) != 0x80;
        if ((rv = grow((void **)&st->tok, &st->tokcap, st->ntok + 1, sizeof(*st->tok))) != 0)
            return rv;
        k = &st->tok[st->ntok++];
        k->off = (uint32_t)st->npool;
        k->len = (uint16_t)(i - s);
        k->cps = (uint16_t)cps;
        memcpy(st->pool + st->npool, t + s, i - s);
        st->npool += i - s;
        {
            const struct tokn *b = &st->tok[tm->tok + best];
            if (k->len > b->len ||
                (k->len == b->len && rarity(st->pool + k->off, k->len) > rarity(st->pool + b->off, b->len)))
                best = tm->ntok;
        }
        tm->ntok++;
        while (i < n && is_space(t[i]))
            i++;
    }
    tm->trig = (uint16_t)best;
    bw_utf8_next(t, n, 0, &cp);
    tm->lb = bw_is_word_cp(cp) && !bw_is_unspaced_cp(cp);
    bw_utf8_prev(t, n, &cp);
    tm->rb = bw_is_word_cp(cp) && !bw_is_unspaced_cp(cp);
    if ((rv = add_prefixes(st, t, n)) != 0)
        return rv;
    {
        const struct tokn *k = &st->tok[tm->tok + best];
        uint32_t first = NO_TERM;
        uint32_t gate = 0;
        if ((rv = trig_find(st, k, &first)) != 0)
            return rv;
        /* the tests match_term() opens with */
        if (tm->trig + 1 < tm->ntok)
            gate |= FAIL_NOSPACE;
        else if (tm->rb)
            gate |= FAIL_WORD;
        if (tm->trig > 0)
            gate |= FAIL_NOSPACE << 4;
        else if (tm->lb)
            gate |= FAIL_WORD << 4;
        tm->gate = (uint8_t)gate;
        tm->plast = tm->nfirst = 0;
        if (tm->trig > 0) {
            const struct tokn *p = k - 1;
            unsigned char c = (unsigned char)st->pool[p->off + p->len - 1];
            tm->plast = c < 0x80 ? fold(c) : 0;
        }
        if (tm->trig + 1 < tm->ntok) {
            unsigned char c = (unsigned char)st->pool[(k + 1)->off];
            tm->nfirst = c < 0x80 ? fold(c) : 0;
        }
        if (k->cps == k->len)
            gate |= (uint32_t)k->len << 16;
        if (first != NO_TERM) {
            /* the same literal as an earlier term: chained to its pattern */
            st->gate[first] &= gate | 0xffff0000u;
            st->next[st->trig_last[first]] = (uint32_t)st->n;
            st->trig_last[first] = (uint32_t)st->n;
            st->next[st->n] = NO_TERM;
            st->n++;
            return BW_OK;
        }
        st->next[st->n] = NO_TERM;
        st->trig_last[st->n] = (uint32_t)st->n;
        st->gate[st->n] = gate;
        rv = bw_mbuild_add(mb, mod, (uint32_t)st->n, st->pool + k->off, k->len, BW_PAT_LITERAL | BW_PAT_CASELESS,
                           &perr);
    }
    if (rv < 0) {
        if (rv == BW_ECOMPILE && errs)
            bw_errs_add(errs, NULL, "word \"%.*s\" did not compile: %s", (int)BW_MIN(n, 60), t, perr.msg);
        return rv;
    }
    st->n++;
    return BW_OK;
}

/* Normalises a configured word the way texts are, then adds it. */
static int add_word(struct words_state *st, struct bw_mbuild *mb, uint16_t mod, const char *s, size_t n,
                    struct term *proto, struct bw_norm *nm, struct bw_errs *errs)
{
    int rv;

    if ((rv = bw_norm_run(nm, s, n)) != 0)
        return rv;
    return add_term(st, mb, mod, nm->text, nm->len, proto, errs);
}

static int load_list(struct words_state *st, struct bw_mbuild *mb, uint16_t mod, const char *name,
                     struct term *proto, struct bw_norm *nm, struct bw_errs *errs)
{
    struct bw_iov d;
    size_t i = 0;
    int rv;

    if ((rv = bw_blob_get(name, &d)) != 0) {
        if (errs)
            bw_errs_add(errs, NULL, "managed word list %s: %s", name, bw_strerror(rv));
        return rv;
    }
    while (i < d.len) {
        const char *line = d.base + i, *nl = memchr(line, '\n', d.len - i);
        size_t len = nl ? (size_t)(nl - line) : d.len - i;
        i += len + 1;
        if (len == 0 || line[0] == '#')
            continue;
        if ((rv = add_word(st, mb, mod, line, len, proto, nm, errs)) != 0)
            return rv;
    }
    return BW_OK;
}

static int compile(const void *conf, int dir, struct bw_mbuild *mb, uint16_t mod, void **out, struct bw_errs *errs)
{
    const struct bw_words_conf *c = conf;
    struct words_state *st;
    struct bw_norm nm;
    size_t i;
    int rv = BW_OK;

    *out = NULL;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return BW_ENOMEM;
    bw_norm_init(&nm);
    for (i = 0; i < c->nwords && rv == 0; i++) {
        const struct bw_word_item *w = &c->words[i];
        struct term proto = {.cfg = (uint32_t)i, .sub = BW_WORD_CUSTOM, .action = w->ac.action[dir]};
        if (!w->ac.enabled[dir])
            continue;
        rv = add_word(st, mb, mod, w->text, strlen(w->text), &proto, &nm, errs);
    }
    for (i = 0; i < c->nmanaged && rv == 0; i++) {
        const struct bw_managed_item *m = &c->managed[i];
        struct term proto = {.cfg = (uint32_t)i, .sub = BW_WORD_MANAGED, .type = (uint8_t)m->type, .action = m->ac.action[dir]};
        char name[96];
        if (!m->ac.enabled[dir])
            continue;
        if (m->lang && strcmp(m->lang, "en") != 0)
            snprintf(name, sizeof(name), "wordlists/ldnoobw/%s.txt", m->lang);
        else
            snprintf(name, sizeof(name), "wordlists/profanity_en.txt");
        rv = load_list(st, mb, mod, name, &proto, &nm, errs);
    }
    bw_norm_free(&nm);
    if (rv != 0 || st->n == 0) {
        st_free(st);
        return rv;
    }
    /* the trigger table is for compiling only */
    free(st->trig_tab);
    free(st->trig_last);
    st->trig_tab = st->trig_last = NULL;
    st->trig_cap = 0;
    *out = st;
    return BW_OK;
}

/* Walks back from `to` over n code points; returns the start or SIZE_MAX. */
static size_t back_cps(const char *v, size_t to, size_t n)
{
    int32_t cp;

    /* ASCII before `to` (the usual case): n code points are n bytes */
    if (n <= to && bw_is_ascii(v + to - n, n))
        return to - n;
    while (n--) {
        if (to == 0)
            return SIZE_MAX;
        to = bw_utf8_prev(v, to, &cp);
    }
    return to;
}

/*
 * Can byte x of a word match byte y of the text? False only when both are
 * ASCII and differ other than by the case of a letter, as word_at() reads
 * them (a non-ASCII byte takes its code-point compare).
 */
static int same_ascii(char x, char y)
{
    unsigned char a = (unsigned char)x, b = (unsigned char)y;

    if ((a | b) >= 0x80 || a == b)
        return 1;
    return (a | 0x20) == (b | 0x20) && (a | 0x20) >= 'a' && (a | 0x20) <= 'z';
}

/* Does v[at..) start with word k, ignoring case? Returns its end, or SIZE_MAX. */
static size_t word_at(const struct words_state *st, const struct tokn *k, const char *v, size_t len, size_t at)
{
    const char *w = st->pool + k->off;
    size_t i = 0, j = at;

    while (i < k->len) {
        int32_t a, b;
        unsigned char x, y;
        if (j >= len)
            return SIZE_MAX;
        x = (unsigned char)w[i];
        y = (unsigned char)v[j];
        if ((x | y) < 0x80) {
            /* both ASCII: utf8proc_tolower() is the ASCII one there (a non-ASCII byte takes the long way: K, KELVIN SIGN) */
            if (x != y && (x | 0x20) != (y | 0x20))
                return SIZE_MAX;
            if (x != y && !((x | 0x20) >= 'a' && (x | 0x20) <= 'z'))
                return SIZE_MAX;
            i++;
            j++;
            continue;
        }
        i += bw_utf8_next(w, k->len, i, &a);
        j += bw_utf8_next(v, len, j, &b);
        if (a != b && utf8proc_tolower(a) != utf8proc_tolower(b))
            return SIZE_MAX;
    }
    return j;
}

/*
 * Term `item` ending at `to`: a finding when its other words and its
 * boundaries are there. s is where the trigger starts when it is ASCII, and
 * the term has passed its gate then; SIZE_MAX otherwise.
 */
static inline __attribute__((always_inline)) int match_term(const struct words_state *st, struct bw_eval *ev,
                                                             uint32_t item, size_t to, size_t s)
{
    const struct term *tm = &st->t[item];
    const struct tokn *tk = &st->tok[tm->tok];
    const char *v = ev->text->view;
    size_t len = ev->text->len, e = to;
    struct bw_finding f;
    int k;

    if (s == SIZE_MAX) {
        /*
         * A literal with letters other than ASCII ones is matched in UTF-8
         * mode, where a case pair can differ in length (i and dotless i):
         * walk back over its code points, then the gate's tests.
         */
        if ((s = back_cps(v, to, tk[tm->trig].cps)) == SIZE_MAX)
            return 0;
        if (tm->trig + 1 < tm->ntok) {
            if (e >= len || !is_space(v[e]))
                return 0;
        } else if (tm->rb && e < len && (unsigned char)v[e] < 0x80 && (bw_tok_wordc((unsigned char)v[e]) || v[e] == '_'))
            return 0;
        if (tm->trig > 0) {
            if (s == 0 || !is_space(v[s - 1]))
                return 0;
        } else if (tm->lb && s > 0 && (unsigned char)v[s - 1] < 0x80 &&
                   (bw_tok_wordc((unsigned char)v[s - 1]) || v[s - 1] == '_'))
            return 0;
    }
    /* the words before the trigger, right to left, each after a run of spaces */
    for (k = tm->trig - 1; k >= 0; k--) {
        size_t ks;
        if (s == 0 || !is_space(v[s - 1]))
            return 0;
        while (s > 0 && is_space(v[s - 1]))
            s--;
        if (s > 0 && !same_ascii(st->pool[tk[k].off + tk[k].len - 1], v[s - 1]))
            return 0; /* the word's last letter settles most of them without the walk back */
        if ((ks = back_cps(v, s, tk[k].cps)) == SIZE_MAX || word_at(st, &tk[k], v, len, ks) != s)
            return 0;
        s = ks;
    }
    /* and after it */
    for (k = tm->trig + 1; k < tm->ntok; k++) {
        if (e >= len || !is_space(v[e]))
            return 0;
        while (e < len && is_space(v[e]))
            e++;
        if (e < len && !same_ascii(st->pool[tk[k].off], v[e]))
            return 0;
        if ((e = word_at(st, &tk[k], v, len, e)) == SIZE_MAX)
            return 0;
    }
    /* whole words: ASCII neighbours are read here, others through the code-point classes */
    if (tm->lb && s > 0 &&
        ((unsigned char)v[s - 1] < 0x80 ? bw_tok_wordc((unsigned char)v[s - 1]) || v[s - 1] == '_' : bw_word_before(v, s)))
        return 0;
    if (tm->rb && e < len &&
        ((unsigned char)v[e] < 0x80 ? bw_tok_wordc((unsigned char)v[e]) || v[e] == '_' : bw_word_at(v, len, e)))
        return 0;
    memset(&f, 0, sizeof(f));
    f.policy = BW_POL_WORD;
    f.sub = tm->sub;
    f.type = tm->type;
    f.item = tm->cfg;
    f.action = tm->action;
    f.detected = 1;
    return bw_eval_add_span(ev, &f, s, e);
}

/*
 * The terms of the chain from `item`, in order, past the chain's gate g.
 * An ASCII trigger (matched caseless on bytes, A-Z to a-z only) starts its
 * length before `to`: each term meets its own gate, then match_term().
 */
static __attribute__((noinline)) int match_chain(const struct words_state *st, struct bw_eval *ev, uint32_t item,
                                                 size_t to, uint32_t g)
{
    const unsigned char *v = (const unsigned char *)ev->text->view;
    size_t n = GATE_LEN(g), len = ev->text->len, ps = to - n, pe = to;
    unsigned rc, lc, pc, nc;
    int rv;

    if (n == 0) {
        for (; item != NO_TERM; item = st->next[item])
            if ((rv = match_term(st, ev, item, to, SIZE_MAX)) != 0)
                return rv;
        return 0;
    }
    rc = to < len ? cls[v[to]] : CLS_EDGE;
    lc = to > n ? cls[v[to - n - 1]] : CLS_EDGE;
    /* the neighbour words' letters next to the trigger, past the spaces: read once for the chain */
    while (ps > 0 && is_space((char)v[ps - 1]))
        ps--;
    while (pe < len && is_space((char)v[pe]))
        pe++;
    pc = ps > 0 && v[ps - 1] < 0x80 ? fold(v[ps - 1]) : 0;
    nc = pe < len && v[pe] < 0x80 ? fold(v[pe]) : 0;
    for (; item != NO_TERM; item = st->next[item]) {
        const struct term *tm = &st->t[item];
        if (((GATE_R(tm->gate) >> rc) | (GATE_L(tm->gate) >> lc)) & 1)
            continue;
        /* match_term()'s first letter compares, when both bytes are ASCII */
        if ((tm->plast && pc && tm->plast != pc) || (tm->nfirst && nc && tm->nfirst != nc))
            continue;
        if ((rv = match_term(st, ev, item, to, to - n)) != 0)
            return rv;
    }
    return 0;
}

/*
 * Kept small (match_chain() out of line): most of its calls end at the gate,
 * and the chain's registers cost more than the test.
 */
static int on_match(const void *p, struct bw_eval *ev, void *es, uint32_t item, size_t from, size_t to)
{
    const struct words_state *st = p;
    const unsigned char *v = (const unsigned char *)ev->text->view;
    uint32_t g = st->gate[item], n = GATE_LEN(g);

    BW_UNUSED(es);
    BW_UNUSED(from);
    if ((GATE_R(g) >> (to < ev->text->len ? cls[v[to]] : CLS_EDGE)) & 1)
        return 0;
    if (n && (GATE_L(g) >> (to > n ? cls[v[to - n - 1]] : CLS_EDGE)) & 1)
        return 0;
    return match_chain(st, ev, item, to, g);
}

/*
 * Streaming: the earliest word start in the tail from which the rest of the
 * text is a prefix of a term (folded as the matcher folds case). A complete
 * term at the very end is open too: the next character decides whether it
 * is a whole word.
 */
static size_t hold(const void *p, const struct bw_text *t)
{
    const struct words_state *st = p;
    const char *v = t->view;
    size_t from = t->len > st->maxlen * 2 + 8 ? t->len - st->maxlen * 2 - 8 : 0, c;

    /* start on a character boundary */
    while (from < t->len && ((unsigned char)v[from] & 0xc0) == 0x80)
        from++;
    for (c = from; c < t->len;) {
        int32_t cp;
        size_t k = bw_utf8_next(v, t->len, c, &cp);
        if (!is_space((char)(cp < 0x80 ? cp : 'x')) && !bw_word_before(v, c)) {
            uint64_t h = FNV_OFF;
            size_t j = c;
            int sp = 0, ok = 1;
            while (j < t->len && ok) {
                int32_t q;
                j += bw_utf8_next(v, t->len, j, &q);
                if (is_space((char)(q < 0x80 ? q : 'x'))) {
                    if (sp)
                        continue;
                    sp = 1;
                    q = ' ';
                } else {
                    sp = 0;
                }
                h = fold_step(h, q);
                ok = pre_has(st, h);
            }
            if (ok)
                return c;
        }
        c += k;
    }
    return t->len;
}

const struct bw_module_ops bw_words_module = {
    .name = "words",
    .policy = BW_POL_WORD,
    .compile = compile,
    .on_match = on_match,
    .free = st_free,
    .hold = hold,
};
