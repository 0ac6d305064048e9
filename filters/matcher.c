/*
 * matcher.c: one Hyperscan database for every pattern of a guardrail
 * direction, with PCRE2 for the user regexes Hyperscan rejects.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/limits.h"
#include "filters/matcher.h"

enum pkind {
    PK_HS,        /* exact in Hyperscan */
    PK_PCRE,      /* PCRE2 over the whole text */
    PK_PCRE_GATED /* PCRE2, run only when its Hyperscan prefilter fired */
};

struct pat {
    char *expr;
    size_t len;
    unsigned flags;
    uint16_t module;
    uint32_t item;
    enum pkind kind;
    pcre2_code *re;
    uint32_t max_width;
};

struct bw_mbuild {
    struct pat *p;
    size_t n, cap;
};

/*
 * What a match callback needs of a Hyperscan id, in one 8-byte load
 * (hs_to_pat, then the pattern's module and item in p[], were dependent
 * loads on every match).
 */
struct hsid {
    uint32_t item;   /* the pattern's item; its index for a prefilter copy */
    uint16_t module;
    uint8_t pre;     /* a prefilter copy */
};

struct bw_matcher {
    uint64_t serial;       /* unique per matcher: scratch remembers what it was sized for */
    hs_database_t *db;     /* block mode; NULL when no Hyperscan pattern */
    hs_database_t *sdb;    /* stream mode (BW_MATCHER_STREAM), may be NULL */
    struct pat *p;         /* by pattern id */
    size_t n;
    unsigned *hs_to_pat;   /* Hyperscan id -> pattern index (prefilter copies too) */
    struct hsid *hsid;     /* by Hyperscan id */
    size_t nhs;
    unsigned *pcre;        /* indexes of PCRE2 patterns */
    size_t npcre;
};

#define FITTED 16

struct bw_mscratch {
    hs_scratch_t *hs;
    uint64_t fitted[FITTED]; /* serials of matchers the scratch is sized for (a ring) */
    unsigned nfitted, next;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    pcre2_jit_stack *js;
    unsigned char *hits; /* per pattern: prefilter fired in this scan */
    size_t nhits;
};

int bw_mbuild_new(struct bw_mbuild **out)
{
    if ((*out = calloc(1, sizeof(**out))) == NULL)
        return BW_ENOMEM;
    return BW_OK;
}

static void pat_free(struct pat *p)
{
    free(p->expr);
    if (p->re)
        pcre2_code_free(p->re);
}

void bw_mbuild_free(struct bw_mbuild *b)
{
    size_t i;

    if (b == NULL)
        return;
    for (i = 0; i < b->n; i++)
        pat_free(&b->p[i]);
    free(b->p);
    free(b);
}

uint32_t bw_mbuild_max_width(const struct bw_mbuild *b, int index)
{
    if (index < 0 || (size_t)index >= b->n)
        return UINT32_MAX;
    return b->p[index].max_width;
}

size_t bw_mbuild_count(const struct bw_mbuild *b)
{
    return b->n;
}

static void seterr(struct bw_pat_err *err, int index, int offset, const char *fmt, const char *arg)
{
    if (err == NULL)
        return;
    err->index = index;
    err->offset = offset;
    snprintf(err->msg, sizeof(err->msg), fmt, arg);
}

/* Escapes a literal for Hyperscan. Non-ASCII bytes stay raw (UTF-8 mode). */
static char *escape_literal(const char *s, size_t n, size_t *olen)
{
    static const char hex[] = "0123456789abcdef";
    char *o = malloc(n * 4 + 1), *w = o;
    size_t i;

    if (o == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80) {
            *w++ = (char)c;
        } else {
            *w++ = '\\';
            *w++ = 'x';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        }
    }
    *w = '\0';
    *olen = (size_t)(w - o);
    return o;
}

static int has_high(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 1;
    return 0;
}

static unsigned hs_flags(const struct pat *p)
{
    unsigned f = 0;

    if (p->flags & BW_PAT_CASELESS)
        f |= HS_FLAG_CASELESS;
    if (p->flags & BW_PAT_SOM)
        f |= HS_FLAG_SOM_LEFTMOST;
    if (p->flags & BW_PAT_DOTALL)
        f |= HS_FLAG_DOTALL;
    if (p->flags & BW_PAT_MULTILINE)
        f |= HS_FLAG_MULTILINE;
    if (p->flags & BW_PAT_SINGLE)
        f |= HS_FLAG_SINGLEMATCH;
    if ((p->flags & BW_PAT_USER) || has_high(p->expr, p->len))
        f |= HS_FLAG_UTF8;
    return f;
}

/* Is e[i] an unbounded quantifier: *, + or {n,}? */
static int unbounded_at(const char *e, size_t n, size_t i)
{
    size_t j = i + 1;

    if (e[i] == '*' || e[i] == '+')
        return 1;
    if (e[i] != '{')
        return 0;
    while (j < n && e[j] >= '0' && e[j] <= '9')
        j++;
    return j > i + 1 && j + 1 < n && e[j] == ',' && e[j + 1] == '}';
}

/* Is e[i] a quantifier that repeats more than once: *, +, {n,}, {n,m} m>1, {n} n>1? */
static int repeat_at(const char *e, size_t n, size_t i)
{
    size_t j = i + 1;
    long lo = 0, hi = 0;

    if (unbounded_at(e, n, i))
        return 1;
    if (e[i] != '{')
        return 0;
    while (j < n && e[j] >= '0' && e[j] <= '9')
        lo = lo * 10 + (e[j++] - '0');
    if (j < n && e[j] == '}')
        return lo > 1;
    if (j >= n || e[j] != ',')
        return 0;
    j++;
    while (j < n && e[j] >= '0' && e[j] <= '9')
        hi = hi * 10 + (e[j++] - '0');
    return j < n && e[j] == '}' && hi > 1;
}

/*
 * Finds a repeated group that itself holds an unbounded quantifier, the
 * shape of catastrophic backtracking ("(a+)+", "(\w*x)*", "(.+){2,}").
 * Returns the offset of the outer quantifier, or -1.
 */
static int runaway_offset(const char *e, size_t n)
{
    unsigned char inner[128]; /* per open group: holds an unbounded quantifier */
    int depth = 0, in_class = 0;
    size_t i;

    memset(inner, 0, sizeof(inner));
    for (i = 0; i < n; i++) {
        char c = e[i];

        if (c == '\\') {
            i++;
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = 0;
            continue;
        }
        if (c == '[') {
            in_class = 1;
            if (i + 1 < n && e[i + 1] == '^')
                i++;
            if (i + 1 < n && e[i + 1] == ']')
                i++;
        } else if (c == '(') {
            if (depth < 127)
                inner[++depth] = 0;
        } else if (c == ')' && depth > 0) {
            int held = inner[depth--];
            if (held && i + 1 < n && repeat_at(e, n, i + 1))
                return (int)(i + 1);
            if (held && depth > 0)
                inner[depth] = 1;
        } else if (depth > 0 && unbounded_at(e, n, i)) {
            inner[depth] = 1;
        }
    }
    return -1;
}

static int user_regex(struct pat *p, int index, struct bw_pat_err *err)
{
    uint32_t opts = PCRE2_UTF | PCRE2_NO_UTF_CHECK;
    int ec;
    PCRE2_SIZE eoff;
    hs_database_t *db = NULL;
    hs_compile_error_t *herr = NULL;
    unsigned f = hs_flags(p);
    int off;

    if (p->flags & BW_PAT_CASELESS)
        opts |= PCRE2_CASELESS;
    if (p->flags & BW_PAT_DOTALL)
        opts |= PCRE2_DOTALL;
    if (p->flags & BW_PAT_MULTILINE)
        opts |= PCRE2_MULTILINE;
    p->re = pcre2_compile((PCRE2_SPTR)p->expr, p->len, opts, &ec, &eoff, NULL);
    if (p->re == NULL) {
        PCRE2_UCHAR msg[200];
        if (ec == PCRE2_ERROR_HEAP_FAILED)
            return BW_ENOMEM;
        pcre2_get_error_message(ec, msg, sizeof(msg));
        seterr(err, index, (int)eoff, "%s", (const char *)msg);
        return BW_ECOMPILE;
    }
    {
        /* a pattern that matches the empty string would match everywhere */
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->re, NULL);
        int rc = md ? pcre2_match(p->re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) : -1;
        if (md)
            pcre2_match_data_free(md);
        if (rc >= 0) {
            seterr(err, index, 0, "%s", "pattern matches the empty string");
            return BW_ECOMPILE;
        }
    }
    if (hs_compile(p->expr, f, HS_MODE_BLOCK, NULL, &db, &herr) == HS_SUCCESS) {
        hs_free_database(db);
        p->kind = PK_HS;
        return BW_OK;
    }
    hs_free_compile_error(herr);
    /* PCRE2 only: refuse shapes that backtrack catastrophically */
    if ((off = runaway_offset(p->expr, p->len)) >= 0) {
        seterr(err, index, off, "%s", "nested unbounded repetition could backtrack without end (catastrophic backtracking)");
        return BW_ECOMPILE;
    }
    pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE); /* best effort: interpreter otherwise */
    f &= ~(unsigned)(HS_FLAG_SOM_LEFTMOST | HS_FLAG_SINGLEMATCH);
    if (hs_compile(p->expr, f | HS_FLAG_PREFILTER, HS_MODE_BLOCK, NULL, &db, &herr) == HS_SUCCESS) {
        hs_free_database(db);
        p->kind = PK_PCRE_GATED;
    } else {
        hs_free_compile_error(herr);
        p->kind = PK_PCRE;
    }
    return BW_OK;
}

int bw_mbuild_add(struct bw_mbuild *b, uint16_t module, uint32_t item, const char *expr, size_t len,
                  unsigned flags, struct bw_pat_err *err)
{
    struct pat *p;
    int rv;

    if (b->n >= BW_MAX_PATTERNS)
        return BW_ELIMIT;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 64;
        struct pat *np = realloc(b->p, ncap * sizeof(*np));
        if (np == NULL)
            return BW_ENOMEM;
        b->p = np;
        b->cap = ncap;
    }
    p = &b->p[b->n];
    memset(p, 0, sizeof(*p));
    p->flags = flags;
    p->module = module;
    p->item = item;
    p->kind = PK_HS;
    if (flags & BW_PAT_LITERAL) {
        p->expr = escape_literal(expr, len, &p->len);
        p->flags &= ~(unsigned)BW_PAT_USER;
    } else {
        p->expr = malloc(len + 1);
        if (p->expr) {
            memcpy(p->expr, expr, len);
            p->expr[len] = '\0';
            p->len = len;
        }
    }
    if (p->expr == NULL)
        return BW_ENOMEM;
    if (memchr(p->expr, '\0', p->len) != NULL) {
        seterr(err, (int)b->n, (int)(strlen(p->expr)), "%s", "pattern contains a NUL byte");
        free(p->expr);
        return BW_ECOMPILE;
    }
    if ((flags & BW_PAT_USER) && (rv = user_regex(p, (int)b->n, err)) != 0) {
        pat_free(p);
        return rv;
    }
    p->max_width = UINT32_MAX;
    if (flags & BW_PAT_LITERAL)
        p->max_width = (uint32_t)len;
    else if ((flags & BW_PAT_USER) && p->kind == PK_HS) {
        /* Hyperscan's analysis costs a compile: only user regexes need it (streaming hold) */
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *herr = NULL;
        if (hs_expression_info(p->expr, hs_flags(p) & ~(unsigned)HS_FLAG_SOM_LEFTMOST, &info, &herr) == HS_SUCCESS) {
            p->max_width = info->max_width;
            free(info);
        } else {
            hs_free_compile_error(herr);
        }
    }
    return (int)b->n++;
}

void bw_matcher_free(struct bw_matcher *m)
{
    size_t i;

    if (m == NULL)
        return;
    if (m->db)
        hs_free_database(m->db);
    if (m->sdb)
        hs_free_database(m->sdb);
    for (i = 0; i < m->n; i++)
        pat_free(&m->p[i]);
    free(m->p);
    free(m->hs_to_pat);
    free(m->hsid);
    free(m->pcre);
    free(m);
}

static int compile_db(struct bw_matcher *m, unsigned hsmode, int stream, hs_database_t **out, struct bw_pat_err *err)
{
    const char **exprs = NULL;
    unsigned *flags = NULL, *ids = NULL;
    size_t i, k = 0;
    hs_compile_error_t *herr = NULL;
    int rv = BW_ENOMEM;

    *out = NULL;
    exprs = malloc(m->n * 2 * sizeof(*exprs));
    flags = malloc(m->n * 2 * sizeof(*flags));
    ids = malloc(m->n * 2 * sizeof(*ids));
    if (!exprs || !flags || !ids)
        goto out;
    for (i = 0; i < m->n; i++) {
        struct pat *p = &m->p[i];
        unsigned f = hs_flags(p);
        if (p->kind == PK_PCRE)
            continue;
        if (p->kind == PK_PCRE_GATED) {
            f &= ~(unsigned)(HS_FLAG_SOM_LEFTMOST);
            f |= HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;
        }
        if (stream && (f & HS_FLAG_SOM_LEFTMOST) == 0 && p->kind == PK_HS && (p->flags & BW_PAT_SOM))
            f |= HS_FLAG_SOM_LEFTMOST;
        exprs[k] = p->expr;
        flags[k] = f;
        ids[k] = (unsigned)k;
        if (!stream) {
            m->hs_to_pat[k] = (unsigned)i;
            m->hsid[k].pre = p->kind == PK_PCRE_GATED;
            m->hsid[k].module = p->module;
            m->hsid[k].item = m->hsid[k].pre ? (uint32_t)i : p->item;
        }
        k++;
    }
    if (!stream)
        m->nhs = k;
    rv = BW_OK;
    if (k == 0)
        goto out;
    if (hs_compile_multi(exprs, flags, ids, (unsigned)k, hsmode, NULL, out, &herr) != HS_SUCCESS) {
        int idx = herr->expression >= 0 ? (int)m->hs_to_pat[herr->expression] : -1;
        seterr(err, idx, -1, "%s", herr->message);
        hs_free_compile_error(herr);
        rv = BW_ECOMPILE;
    }
out:
    free(exprs);
    free(flags);
    free(ids);
    return rv;
}

int bw_mbuild_compile(struct bw_mbuild *b, unsigned mode, struct bw_matcher **out, struct bw_pat_err *err)
{
    struct bw_matcher *m;
    size_t i;
    int rv;

    if (err) {
        err->index = err->offset = -1;
        err->msg[0] = '\0';
    }
    static uint64_t serials;

    if ((m = calloc(1, sizeof(*m))) == NULL)
        return BW_ENOMEM;
    m->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
    /* take the patterns over from the builder */
    m->p = b->p;
    m->n = b->n;
    b->p = NULL;
    b->n = b->cap = 0;
    m->hs_to_pat = malloc((m->n + 1) * sizeof(*m->hs_to_pat));
    m->hsid = calloc(m->n + 1, sizeof(*m->hsid));
    m->pcre = malloc((m->n + 1) * sizeof(*m->pcre));
    if (!m->hs_to_pat || !m->hsid || !m->pcre) {
        bw_matcher_free(m);
        return BW_ENOMEM;
    }
    for (i = 0; i < m->n; i++)
        if (m->p[i].kind != PK_HS)
            m->pcre[m->npcre++] = (unsigned)i;
    if ((rv = compile_db(m, HS_MODE_BLOCK, 0, &m->db, err)) != 0)
        goto fail;
    if ((mode & BW_MATCHER_STREAM) &&
        (rv = compile_db(m, HS_MODE_STREAM | HS_MODE_SOM_HORIZON_LARGE, 1, &m->sdb, err)) != 0)
        goto fail;
    *out = m;
    return BW_OK;
fail:
    bw_matcher_free(m);
    return rv;
}

size_t bw_matcher_size(const struct bw_matcher *m)
{
    size_t a = 0, b = 0;

    if (m->db)
        hs_database_size(m->db, &a);
    if (m->sdb)
        hs_database_size(m->sdb, &b);
    return a + b;
}

int bw_mscratch_reserve(struct bw_mscratch **sp, const struct bw_matcher *m)
{
    struct bw_mscratch *s = *sp;

    if (s == NULL) {
        if ((s = calloc(1, sizeof(*s))) == NULL)
            return BW_ENOMEM;
        s->md = pcre2_match_data_create(32, NULL);
        s->mc = pcre2_match_context_create(NULL);
        s->js = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        if (!s->md || !s->mc || !s->js) {
            bw_mscratch_free(s);
            return BW_ENOMEM;
        }
        pcre2_set_match_limit(s->mc, BW_PCRE2_MATCH_LIMIT);
        pcre2_set_depth_limit(s->mc, BW_PCRE2_DEPTH_LIMIT);
        pcre2_jit_stack_assign(s->mc, NULL, s->js);
        *sp = s;
    }
    if (m == NULL)
        return BW_OK;
    /* hs_alloc_scratch() is not free even when nothing changes: skip it for
       matchers this scratch was already sized for (it only ever grows) */
    for (unsigned i = 0; i < s->nfitted; i++)
        if (s->fitted[i] == m->serial && s->nhits >= m->n)
            return BW_OK;
    if (m->db && hs_alloc_scratch(m->db, &s->hs) != HS_SUCCESS)
        return BW_ENOMEM;
    if (m->sdb && hs_alloc_scratch(m->sdb, &s->hs) != HS_SUCCESS)
        return BW_ENOMEM;
    if (s->nhits < m->n) {
        unsigned char *h = realloc(s->hits, m->n);
        if (h == NULL)
            return BW_ENOMEM;
        s->hits = h;
        s->nhits = m->n;
    }
    s->fitted[s->next] = m->serial;
    s->next = (s->next + 1) % FITTED;
    if (s->nfitted < FITTED)
        s->nfitted++;
    return BW_OK;
}

void bw_mscratch_free(struct bw_mscratch *s)
{
    if (s == NULL)
        return;
    if (s->hs)
        hs_free_scratch(s->hs);
    if (s->md)
        pcre2_match_data_free(s->md);
    if (s->mc)
        pcre2_match_context_free(s->mc);
    if (s->js)
        pcre2_jit_stack_free(s->js);
    free(s->hits);
    free(s);
}

struct scanctx {
    const struct bw_matcher *m;
    struct bw_mscratch *s;
    bw_match_fn fn;
    void *ctx;
    int rv;
};

static int on_hs(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *arg)
{
    struct scanctx *sc = arg;
    const struct hsid *h = &sc->m->hsid[id];

    BW_UNUSED(flags);
    if (h->pre) {
        sc->s->hits[h->item] = 1;
        return 0;
    }
    if ((sc->rv = sc->fn(sc->ctx, h->module, h->item, (size_t)from, (size_t)to)) != 0)
        return 1;
    return 0;
}

static int run_pcre(struct scanctx *sc, const struct pat *p, const char *text, size_t len)
{
    PCRE2_SIZE off = 0, *ov;
    int rc;

    while (off <= len) {
        if (p->re == NULL)
            return BW_ESCAN;
        rc = pcre2_match(p->re, (PCRE2_SPTR)text, len, off, PCRE2_NO_UTF_CHECK, sc->s->md, sc->s->mc);
        if (rc == PCRE2_ERROR_NOMATCH)
            return BW_OK;
        if (rc < 0)
            return BW_ESCAN; /* match or depth limit, or worse: fail closed */
        ov = pcre2_get_ovector_pointer(sc->s->md);
        if ((sc->rv = sc->fn(sc->ctx, p->module, p->item, ov[0], ov[1])) != 0)
            return sc->rv;
        if (ov[1] > off)
            off = ov[1];
        else {
            /* empty match: step over one character */
            off++;
            while (off < len && ((unsigned char)text[off] & 0xc0) == 0x80)
                off++;
        }
    }
    return BW_OK;
}

/*
 * The scan itself: Hyperscan's block scan with on(arg) for its matches (a
 * callback that stopped the scan left its result in *stopped), then the
 * PCRE2 patterns, the gated ones only where their prefilter matched,
 * through pc.
 */
static int scan(const struct bw_matcher *m, struct bw_mscratch *s, const char *text, size_t len,
                match_event_handler on, void *arg, const int *stopped, struct scanctx *pc)
{
    size_t i;
    int rv;

    if (m->npcre)
        memset(s->hits, 0, m->n);
    if (m->db) {
        if (len > UINT32_MAX)
            return BW_ELIMIT;
        rv = hs_scan(m->db, text, (unsigned)len, 0, s->hs, on, arg);
        if (rv == HS_SCAN_TERMINATED)
            return *stopped;
        if (rv != HS_SUCCESS)
            return BW_ESCAN;
    }
    for (i = 0; i < m->npcre; i++) {
        const struct pat *p = &m->p[m->pcre[i]];
        if (p->kind == PK_PCRE_GATED && !s->hits[m->pcre[i]])
            continue;
        if ((rv = run_pcre(pc, p, text, len)) != 0)
            return rv;
    }
    return BW_OK;
}

int bw_matcher_scan(const struct bw_matcher *m, struct bw_mscratch *s, const char *text, size_t len, bw_match_fn fn,
                    void *ctx)
{
    struct scanctx sc = {m, s, fn, ctx, 0};

    return scan(m, s, text, len, on_hs, &sc, &sc.rv, &sc);
}

/*
 * A match handed to the module that owns its pattern (bw_match_fn's shape,
 * for the PCRE2 patterns too). Forced inline into on_hs_mods(): its address
 * is taken for those, and gcc kept it a call per Hyperscan match.
 */
static inline __attribute__((always_inline)) int on_match_mods(void *ctx, uint16_t module, uint32_t item, size_t from, size_t to)
{
    const struct bw_mdispatch *d = ctx;

    if (BW_NEVER(module >= d->n))
        return BW_ESCAN;
    if (d->fn[module] == NULL)
        return 0;
    return d->fn[module](d->st[module], d->ev, d->es[module], item, from, to);
}

struct scanmods {
    const struct bw_matcher *m;
    struct bw_mscratch *s;
    const struct bw_mdispatch *d;
    int rv;
};

static int on_hs_mods(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *arg)
{
    struct scanmods *sc = arg;
    const struct hsid *h = &sc->m->hsid[id];
    int rv;

    BW_UNUSED(flags);
    if (h->pre) {
        sc->s->hits[h->item] = 1;
        return 0;
    }
    /* a direct call, inlined: the one indirect call per match is the module's; rv is stored only to stop */
    if ((rv = on_match_mods((void *)sc->d, h->module, h->item, (size_t)from, (size_t)to)) == 0)
        return 0;
    sc->rv = rv;
    return 1;
}

int bw_matcher_scan_mods(const struct bw_matcher *m, struct bw_mscratch *s, const char *text, size_t len,
                         const struct bw_mdispatch *d)
{
    struct scanmods smc = {m, s, d, 0};
    struct scanctx sc = {m, s, on_match_mods, (void *)d, 0};

    return scan(m, s, text, len, on_hs_mods, &smc, &smc.rv, &sc);
}

static int on_count(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *arg)
{
    BW_UNUSED(id);
    BW_UNUSED(from);
    BW_UNUSED(to);
    BW_UNUSED(flags);
    (*(unsigned long long *)arg)++;
    return 0;
}

int bw_matcher_scan_raw(const struct bw_matcher *m, struct bw_mscratch *s, const char *text, size_t len,
                        unsigned long long *nmatches)
{
    if (m->db == NULL)
        return BW_OK;
    if (hs_scan(m->db, text, (unsigned)len, 0, s->hs, on_count, nmatches) != HS_SUCCESS)
        return BW_ESCAN;
    return BW_OK;
}
