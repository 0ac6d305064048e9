/*
 * lexicon.c: the content categories' weighted lexicons: parsing the shipped
 * files, adding them to a matcher, weighing each hit.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "filters/arena.h"
#include "filters/blob.h"
#include "filters/lexicon.h"
#include "filters/norm.h"
#include "filters/tokens.h"

int bw_lex_new(struct bw_lexicon **out)
{
    struct bw_lexicon *lx = calloc(1, sizeof(*lx));

    if (lx == NULL || (lx->strs = malloc(sizeof(*lx->strs))) == NULL) {
        free(lx);
        return BW_ENOMEM;
    }
    bw_arena_init(lx->strs, 0);
    *out = lx;
    return BW_OK;
}

void bw_lex_free(struct bw_lexicon *lx)
{
    if (lx == NULL)
        return;
    bw_arena_free(lx->strs);
    free(lx->strs);
    free(lx->e);
    free(lx);
}

static int push(struct bw_lexicon *lx, const struct bw_lex_entry *e)
{
    if (lx->n == lx->cap) {
        size_t ncap = lx->cap ? lx->cap * 2 : 256;
        struct bw_lex_entry *ne = realloc(lx->e, ncap * sizeof(*ne));
        if (ne == NULL)
            return BW_ENOMEM;
        lx->e = ne;
        lx->cap = ncap;
    }
    lx->e[lx->n++] = *e;
    return BW_OK;
}

int bw_lex_parse(struct bw_lexicon *lx, const char *name, const char *data, size_t len, struct bw_errs *errs)
{
    const char *p = data, *end = data + len;
    unsigned line = 0;
    int bad = 0;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *t1, *t2;
        char cat[32], wbuf[32], *term, *w, *q;
        size_t cl, wl, tl, i;
        struct bw_lex_entry e;
        int c;

        if (eol == NULL)
            eol = end;
        line++;
        if (p == eol || *p == '#' || (eol - p == 1 && *p == '\r')) {
            p = eol + 1;
            continue;
        }
        t1 = memchr(p, '\t', (size_t)(eol - p));
        t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(eol - t1 - 1)) : NULL;
        cl = t1 ? (size_t)(t1 - p) : 0;
        wl = t2 ? (size_t)(t2 - t1 - 1) : 0;
        tl = t2 ? (size_t)(eol - t2 - 1) : 0;
        if (tl && t2[tl] == '\r')
            tl--;
        if (!t2 || cl == 0 || cl >= sizeof(cat) || wl == 0 || wl >= sizeof(wbuf) || tl == 0 || tl > 1000) {
            bw_errs_add(errs, NULL, "%s:%u: expected CATEGORY<TAB>WEIGHT<TAB>TERM", name, line);
            bad = 1;
            p = eol + 1;
            continue;
        }
        memcpy(cat, p, cl);
        cat[cl] = '\0';
        memcpy(wbuf, t1 + 1, wl);
        wbuf[wl] = '\0';
        memset(&e, 0, sizeof(e));
        if ((c = strcmp(cat, "HOWTO") == 0 ? BW_LEX_HOWTO : bw_cat_from_name(cat)) < 0) {
            bw_errs_add(errs, NULL, "%s:%u: unknown category \"%s\"", name, line, cat);
            bad = 1;
            p = eol + 1;
            continue;
        }
        e.cat = (uint8_t)c;
        e.weight = strtof(wbuf, &w);
        if (*w != '\0' || !(e.weight > 0 && e.weight <= 10)) {
            bw_errs_add(errs, NULL, "%s:%u: weight \"%s\" is not a number in (0, 10]", name, line, wbuf);
            bad = 1;
            p = eol + 1;
            continue;
        }
        if ((term = bw_arena_strndup(lx->strs, t2 + 1, tl)) == NULL)
            return BW_ENOMEM;
        if (tl > 3 && memcmp(term, "re:", 3) == 0) {
            e.flags = BW_LEX_REGEX;
            term += 3;
            tl -= 3;
        } else {
            if (term[tl - 1] == '*') {
                e.flags |= BW_LEX_PREFIX;
                term[--tl] = '\0';
            }
            /* one space between words, lower case */
            for (i = 0, q = term; i < tl; i++) {
                char ch = term[i];
                if (ch >= 'A' && ch <= 'Z')
                    ch = (char)(ch | 0x20);
                if (ch == ' ' || ch == '\t') {
                    if (q == term || q[-1] == ' ')
                        continue;
                    ch = ' ';
                    e.flags |= BW_LEX_PHRASE;
                }
                *q++ = ch;
            }
            while (q > term && q[-1] == ' ')
                q--;
            *q = '\0';
            tl = (size_t)(q - term);
            if (tl == 0) {
                bw_errs_add(errs, NULL, "%s:%u: empty term", name, line);
                bad = 1;
                p = eol + 1;
                continue;
            }
        }
        e.term = term;
        e.tlen = (uint16_t)tl;
        if (push(lx, &e) != 0)
            return BW_ENOMEM;
        p = eol + 1;
    }
    return bad ? BW_ECONFIG : BW_OK;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct bw_lexicon *deflex;
static int defrv;

static void load_one(const char *name, struct bw_iov data, void *ctx)
{
    struct bw_errs *errs = ctx;
    int rv;
    size_t nl = strlen(name);

    if (defrv != 0 || nl < 4 || strcmp(name + nl - 4, ".txt") != 0)
        return;
    if ((rv = bw_lex_parse(deflex, name, data.base, data.len, errs)) != 0)
        defrv = rv;
}

static void load_default(void)
{
    struct bw_errs errs;

    if ((defrv = bw_lex_new(&deflex)) != 0)
        return;
    bw_errs_init(&errs, NULL);
    bw_blob_each("lexicons/content/", load_one, &errs);
    bw_errs_free(&errs);
    if (defrv != 0) {
        bw_lex_free(deflex);
        deflex = NULL;
    }
}

const struct bw_lexicon *bw_lex_default(int *rv)
{
    pthread_once(&once, load_default);
    if (rv)
        *rv = defrv;
    return deflex;
}

int bw_lex_patterns(const struct bw_lexicon *lx, unsigned catmask, struct bw_mbuild *mb, uint16_t mod,
                    uint32_t base, struct bw_errs *errs)
{
    size_t i;

    for (i = 0; i < lx->n; i++) {
        const struct bw_lex_entry *e = &lx->e[i];
        struct bw_pat_err perr;
        int rv;

        if (!(catmask & (1u << e->cat)))
            continue;
        /*
         * Phrases are literals with one space between words, not "\s+"
         * expressions: a thousand of those took Hyperscan 15 s to compile,
         * the literals well under a second. A phrase split by a run of
         * spaces or a newline is missed (filters/lexicon.h).
         */
        if (e->flags & BW_LEX_REGEX)
            rv = bw_mbuild_add(mb, mod, base + (uint32_t)i, e->term, e->tlen, BW_PAT_CASELESS, &perr);
        else
            rv = bw_mbuild_add(mb, mod, base + (uint32_t)i, e->term, e->tlen, BW_PAT_CASELESS | BW_PAT_LITERAL,
                               &perr);
        if (rv < 0) {
            if (rv == BW_ECOMPILE && errs)
                bw_errs_add(errs, NULL, "lexicon term \"%s\": %s", e->term, perr.msg);
            return rv;
        }
    }
    return BW_OK;
}

/*
 * Is there a word character at view[i]? Like bw_tok_wordc, but the UTF-8
 * general punctuation block (U+2000..U+206F: dashes, curly quotes) is not a
 * word character, so "fuck’s" still has a boundary after "fuck".
 */
static int wordc_at(const char *v, size_t len, size_t i)
{
    unsigned char c = (unsigned char)v[i];

    if (c == 0xe2 && i + 1 < len && ((unsigned char)v[i + 1] == 0x80 || (unsigned char)v[i + 1] == 0x81))
        return 0;
    if (c >= 0x80 && c < 0xc0) /* a continuation byte: look at its lead */
        return 1;
    return bw_tok_wordc(c);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Start of the term ending at `to`, walking back over it; SIZE_MAX when the text does not spell it in ASCII. */
static size_t walk_back(const struct bw_lex_entry *e, const char *v, size_t to)
{
    size_t i = to, j = e->tlen;

    while (j > 0) {
        char t = e->term[j - 1];
        if (t == ' ') {
            if (i == 0 || !is_space(v[i - 1]))
                return SIZE_MAX;
            while (i > 0 && is_space(v[i - 1]))
                i--;
        } else {
            char c = i > 0 ? v[i - 1] : 0;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c | 0x20);
            if (i == 0 || c != t)
                return SIZE_MAX;
            i--;
        }
        j--;
    }
    return i;
}

static const char *const negs[] = {"not", "never", "dont", "no", "cannot", "cant", "wont", "shouldnt", "mustnt",
                                   "doesnt", "didnt", "without", "nor", "avoid", "refuse"};

/* Is one of the three words before `start` a negation? */
static int negated(const char *v, size_t start)
{
    size_t from = start > 48 ? start - 48 : 0, pos;
    struct bw_tok t, last[3];
    unsigned k = 0, i, j;

    /* begin at a word boundary so the first word is whole */
    while (from > 0 && from < start && bw_tok_wordc((unsigned char)v[from - 1]))
        from++;
    pos = 0;
    while (bw_tok_next(v + from, start - from, &pos, &t)) {
        last[k % 3] = t;
        k++;
    }
    for (i = 0; i < 3 && i < k; i++) {
        const struct bw_tok *w = &last[(k - 1 - i) % 3];
        for (j = 0; j < BW_NELEMS(negs); j++)
            if (w->len == strlen(negs[j]) && memcmp(w->w, negs[j], w->len) == 0)
                return 1;
    }
    return 0;
}

/* Is `start` inside double quotes on its line (an odd count of '"' or curly quotes before it)? */
static int quoted(const char *v, size_t start)
{
    size_t i = start, lim = start > 400 ? start - 400 : 0;
    unsigned q = 0;

    while (i > lim && v[i - 1] != '\n') {
        unsigned char c = (unsigned char)v[i - 1];
        if (c == '"')
            q++;
        else if (c == 0x9c || c == 0x9d) /* U+201C/U+201D end in 0x9c/0x9d after e2 80 */
            q += i >= 3 && (unsigned char)v[i - 3] == 0xe2 && (unsigned char)v[i - 2] == 0x80;
        i--;
    }
    return q & 1;
}

float bw_lex_hit(const struct bw_lexicon *lx, uint32_t ix, const char *view, size_t len, size_t to, uint8_t *seen)
{
    const struct bw_lex_entry *e;
    size_t start;
    float w;

    if (BW_NEVER(ix >= lx->n) || to > len)
        return 0;
    e = &lx->e[ix];
    if (seen && (seen[ix >> 3] & (1u << (ix & 7))))
        return 0;
    w = e->weight;
    if (!(e->flags & BW_LEX_REGEX)) {
        if (!(e->flags & BW_LEX_PREFIX) && to < len && wordc_at(view, len, to))
            return 0;
        start = walk_back(e, view, to);
        if (start != SIZE_MAX && start > 0 && wordc_at(view, len, start - 1))
            return 0;
        if (start != SIZE_MAX && (e->flags & BW_LEX_PHRASE)) {
            if ((e->cat == BW_CAT_PROMPT_ATTACK || e->cat == BW_CAT_VIOLENCE || e->cat == BW_CAT_MISCONDUCT) &&
                negated(view, start))
                w *= 0.25f;
            if (e->cat == BW_CAT_PROMPT_ATTACK && quoted(view, start))
                w *= 0.5f;
        }
    }
    if (seen)
        seen[ix >> 3] |= (uint8_t)(1u << (ix & 7));
    return w;
}

/* Byte classes of bw_lex_encoded: 1 lower, 2 upper, 4 digit, 8 + / = _ -, 16 a-f or A-F; 0 ends a run. */
static const unsigned char enc_cls[256] = {
    ['+'] = 8, ['/'] = 8, ['='] = 8, ['_'] = 8, ['-'] = 8,
    ['0'] = 4, ['1'] = 4, ['2'] = 4, ['3'] = 4, ['4'] = 4, ['5'] = 4, ['6'] = 4, ['7'] = 4, ['8'] = 4, ['9'] = 4,
    ['a'] = 17, ['b'] = 17, ['c'] = 17, ['d'] = 17, ['e'] = 17, ['f'] = 17, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,
    ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
    ['A'] = 18, ['B'] = 18, ['C'] = 18, ['D'] = 18, ['E'] = 18, ['F'] = 18, ['G'] = 2, ['H'] = 2, ['I'] = 2,
    ['J'] = 2, ['K'] = 2, ['L'] = 2, ['M'] = 2, ['N'] = 2, ['O'] = 2, ['P'] = 2, ['Q'] = 2, ['R'] = 2, ['S'] = 2,
    ['T'] = 2, ['U'] = 2, ['V'] = 2, ['W'] = 2, ['X'] = 2, ['Y'] = 2, ['Z'] = 2,
};

/* Is [a, j) (a maximal run of enc_cls bytes) base64 or hex? */
static int encoded_run(const unsigned char *u, size_t a, size_t j)
{
    unsigned all = 0xff, any = 0;
    size_t k;

    for (k = a; k < j; k++) {
        unsigned c = enc_cls[u[k]];
        any |= c;
        if (c & 3) /* hex: every letter a-f */
            all &= c;
    }
    /* every kind of character: base64; digits and hex letters only: hex */
    return (any & 7) == 7 || ((all & 16) && (any & 4) && !(any & 8));
}

/*
 * Only a maximal run of BW_LEX_ENCODED_MIN (2H) bytes or more decides, and
 * such a run covers two multiples of H and every byte between them: the
 * text is sampled there (nine bytes, H / 8 apart, rarely all in a run in
 * prose) and only a window that passes is expanded to its run. Same answer
 * as reading every run (bw_lex_encoded used to, at 3 to 6% of a demo
 * apply()), since every long run is found and each run is judged alone.
 */
#define ENC_H (BW_LEX_ENCODED_MIN / 2)
_Static_assert(ENC_H >= 32, "bw_lex_encoded reads 32 bytes of a window");

/* Does p[0..8) hold a byte below '+' or above 0x7f? (a borrow only crosses into a byte above one already caught) */
static inline uint64_t below_plus(const unsigned char *p)
{
    uint64_t x;

    memcpy(&x, p, 8);
    return ((x - 0x2b2b2b2b2b2b2b2bull) | x) & 0x8080808080808080ull;
}

float bw_lex_encoded(const char *v, size_t n)
{
    const unsigned char *u = (const unsigned char *)v;
    size_t p;

    for (p = 0; p + ENC_H < n; p += ENC_H) {
        size_t a, j, k;
        int in = 1;
        /*
         * A byte below '+' (space, newline) or above 0x7f in the window's
         * first 32 bytes: no run covers it. Eight bytes at a time, the
         * first eight alone first: they hold a space in almost every
         * window of prose.
         */
        if (below_plus(u + p))
            continue;
        if (below_plus(u + p + 8) | below_plus(u + p + 16) | below_plus(u + p + 24))
            continue;
        for (k = 0; k <= ENC_H && in; k += ENC_H / 8)
            in = enc_cls[u[p + k]] != 0;
        if (!in)
            continue;
        a = p;
        while (a > 0 && enc_cls[u[a - 1]])
            a--;
        j = p;
        while (j < n && enc_cls[u[j]])
            j++;
        if (j - a >= BW_LEX_ENCODED_MIN && encoded_run(u, a, j))
            return 1.5f;
        /* the samples inside this run are done */
        p = j / ENC_H * ENC_H;
    }
    return 0;
}

/* ---- standalone scanning ---- */

struct bw_lexscan {
    const struct bw_lexicon *lx;
    struct bw_matcher *m;
    struct bw_mscratch *s;
    struct bw_norm nm;
    uint8_t *seen;
    float *scores;
    const char *view;
    size_t len;
};

int bw_lexscan_new(const struct bw_lexicon *lx, struct bw_lexscan **out)
{
    struct bw_lexscan *ls = calloc(1, sizeof(*ls));
    struct bw_mbuild *mb = NULL;
    struct bw_pat_err perr;
    int rv = BW_ENOMEM;

    if (ls == NULL)
        return BW_ENOMEM;
    ls->lx = lx;
    bw_norm_init(&ls->nm);
    if ((ls->seen = malloc(bw_lex_seen_size(lx) + 1)) == NULL)
        goto fail;
    if ((rv = bw_mbuild_new(&mb)) != 0 || (rv = bw_lex_patterns(lx, ~0u, mb, 0, 0, NULL)) != 0)
        goto fail;
    if (lx->n && (rv = bw_mbuild_compile(mb, BW_MATCHER_BLOCK, &ls->m, &perr)) != 0)
        goto fail;
    if ((rv = bw_mscratch_reserve(&ls->s, ls->m)) != 0)
        goto fail;
    bw_mbuild_free(mb);
    *out = ls;
    return BW_OK;
fail:
    bw_mbuild_free(mb);
    bw_lexscan_free(ls);
    return rv;
}

void bw_lexscan_free(struct bw_lexscan *ls)
{
    if (ls == NULL)
        return;
    bw_matcher_free(ls->m);
    bw_mscratch_free(ls->s);
    bw_norm_free(&ls->nm);
    free(ls->seen);
    free(ls);
}

static int on_hit(void *ctx, uint16_t module, uint32_t item, size_t from, size_t to)
{
    struct bw_lexscan *ls = ctx;

    BW_UNUSED(module);
    BW_UNUSED(from);
    ls->scores[ls->lx->e[item].cat] += bw_lex_hit(ls->lx, item, ls->view, ls->len, to, ls->seen);
    return 0;
}

int bw_lexscan_run(struct bw_lexscan *ls, const char *text, size_t len, float *scores)
{
    int rv;

    memset(scores, 0, BW_LEX_NSCORES * sizeof(*scores));
    if ((rv = bw_norm_run(&ls->nm, text, len)) != 0)
        return rv;
    memset(ls->seen, 0, bw_lex_seen_size(ls->lx));
    ls->scores = scores;
    ls->view = ls->nm.text;
    ls->len = ls->nm.len;
    scores[BW_CAT_PROMPT_ATTACK] += bw_lex_encoded(ls->view, ls->len);
    if (ls->m == NULL)
        return BW_OK;
    return bw_matcher_scan(ls->m, ls->s, ls->view, ls->len, on_hit, ls);
}
