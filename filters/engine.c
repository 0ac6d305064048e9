/* engine.c: one matcher, many modules, one pass. */
#include <stdlib.h>
#include <string.h>

#include "filters/engine.h"
#include "filters/errs.h"
#include "filters/limits.h"

struct inst {
    const struct bw_module_ops *ops;
    void *st;
};

struct bw_engine {
    int dir;
    struct bw_mbuild *mb;
    struct bw_matcher *m;
    struct inst mods[BW_MAX_MODULES];
    size_t nmods;
};

int bw_engine_new(int dir, struct bw_engine **out)
{
    struct bw_engine *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return BW_ENOMEM;
    e->dir = dir;
    if (bw_mbuild_new(&e->mb) != 0) {
        free(e);
        return BW_ENOMEM;
    }
    *out = e;
    return BW_OK;
}

void bw_engine_free(struct bw_engine *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->nmods; i++)
        if (e->mods[i].ops->free && e->mods[i].st)
            e->mods[i].ops->free(e->mods[i].st);
    bw_mbuild_free(e->mb);
    bw_matcher_free(e->m);
    free(e);
}

int bw_engine_add(struct bw_engine *e, const struct bw_module_ops *ops, const void *conf, struct bw_errs *errs)
{
    void *st = NULL;
    int rv;

    if (e->nmods >= BW_MAX_MODULES || e->mb == NULL)
        return BW_ELIMIT;
    if (ops->compile && (rv = ops->compile(conf, e->dir, e->mb, (uint16_t)e->nmods, &st, errs)) != 0)
        return rv;
    if (st == NULL && ops->compile)
        return BW_OK; /* nothing enabled in this direction */
    e->mods[e->nmods].ops = ops;
    e->mods[e->nmods].st = st;
    e->nmods++;
    return BW_OK;
}

int bw_engine_compile(struct bw_engine *e, unsigned mode, struct bw_errs *errs)
{
    struct bw_pat_err perr;
    int rv;

    rv = bw_mbuild_compile(e->mb, mode, &e->m, &perr);
    bw_mbuild_free(e->mb);
    e->mb = NULL;
    if (rv == BW_ECOMPILE && errs)
        bw_errs_add(errs, NULL, "pattern database did not compile (pattern %d): %s", perr.index, perr.msg);
    return rv;
}

size_t bw_engine_nmodules(const struct bw_engine *e)
{
    return e->nmods;
}

const struct bw_module_ops *bw_engine_module(const struct bw_engine *e, size_t i, const void **st)
{
    if (i >= e->nmods)
        return NULL;
    if (st)
        *st = e->mods[i].st;
    return e->mods[i].ops;
}

const struct bw_matcher *bw_engine_matcher(const struct bw_engine *e)
{
    return e->m;
}

int bw_engine_dir(const struct bw_engine *e)
{
    return e->dir;
}

int bw_worker_init(struct bw_worker *w)
{
    memset(w, 0, sizeof(*w));
    bw_arena_init(&w->arena, 0);
    return bw_mscratch_reserve(&w->scratch, NULL);
}

void bw_worker_free(struct bw_worker *w)
{
    uint32_t i;

    bw_mscratch_free(w->scratch);
    bw_toklist_free(&w->toks);
    bw_toklist_free(&w->stoks);
    for (i = 0; i < w->ntexts_cap; i++)
        bw_norm_free(&w->norms[i]);
    free(w->norms);
    free(w->texts);
    free(w->f);
    bw_arena_free(&w->arena);
    memset(w, 0, sizeof(*w));
}

/* Inlined into bw_eval_add_span(), the modules' usual way in. */
static inline __attribute__((always_inline)) int eval_add(struct bw_eval *ev, const struct bw_finding *f)
{
    struct bw_worker *w = ev->w;

    if (w->nf == w->fcap) {
        size_t ncap = w->fcap ? w->fcap * 2 : 64;
        struct bw_finding *nf;
        if (ncap > BW_MAX_FINDINGS)
            return BW_ELIMIT;
        if ((nf = realloc(w->f, ncap * sizeof(*nf))) == NULL)
            return BW_ENOMEM;
        w->f = nf;
        w->fcap = ncap;
    }
    w->f[w->nf++] = *f;
    return BW_OK;
}

int bw_eval_add(struct bw_eval *ev, const struct bw_finding *f)
{
    return eval_add(ev, f);
}

const struct bw_toklist *bw_eval_words(struct bw_eval *ev)
{
    struct bw_worker *w = ev->w;

    if (ev->text == NULL)
        return NULL;
    if (w->toks_state == 0)
        w->toks_state = bw_toklist_run(&w->toks, ev->text->view, ev->text->len) == BW_OK ? 1 : -1;
    return w->toks_state > 0 ? &w->toks : NULL;
}

const struct bw_toklist *bw_eval_source_words(struct bw_eval *ev)
{
    struct bw_worker *w = ev->w;

    if (!ev->has_source)
        return NULL;
    if (w->stoks_state == 0)
        w->stoks_state = bw_toklist_run_lean(&w->stoks, ev->source.base, ev->source.len) == BW_OK ? 1 : -1;
    return w->stoks_state > 0 ? &w->stoks : NULL;
}

int bw_eval_add_span(struct bw_eval *ev, struct bw_finding *f, size_t from, size_t to)
{
    const struct bw_text *t = ev->text;

    f->block = ev->block;
    f->start = (uint32_t)bw_norm_start(t->map, t->len, t->orig_len, from);
    f->end = (uint32_t)bw_norm_end(t->map, t->len, t->orig_len, to);
    if (f->end < f->start)
        f->end = f->start;
    return eval_add(ev, f);
}

size_t bw_engine_hold(const struct bw_engine *e, const struct bw_text *t)
{
    size_t m, h = t->len;

    for (m = 0; m < e->nmods; m++)
        if (e->mods[m].ops->hold) {
            size_t x = e->mods[m].ops->hold(e->mods[m].st, t);
            if (x < h)
                h = x;
        }
    return h;
}

int bw_block_guarded(const struct bw_block *blocks, size_t nblocks, size_t i)
{
    size_t k;
    int any_guard = 0;

    for (k = 0; k < nblocks; k++)
        if (blocks[k].quals & BW_QUAL_GUARD) {
            any_guard = 1;
            break;
        }
    if (any_guard)
        return (blocks[i].quals & BW_QUAL_GUARD) != 0;
    return (blocks[i].quals & (BW_QUAL_GROUNDING | BW_QUAL_QUERY)) == 0;
}

static int reserve_texts(struct bw_worker *w, size_t n)
{
    struct bw_norm *nn;
    struct bw_text *nt;
    uint32_t i;

    if (n <= w->ntexts_cap)
        return BW_OK;
    if (n > BW_MAX_BLOCKS)
        return BW_ELIMIT;
    if ((nn = realloc(w->norms, n * sizeof(*nn))) == NULL)
        return BW_ENOMEM;
    w->norms = nn;
    if ((nt = realloc(w->texts, n * sizeof(*nt))) == NULL)
        return BW_ENOMEM;
    w->texts = nt;
    for (i = w->ntexts_cap; i < n; i++)
        bw_norm_init(&w->norms[i]);
    w->ntexts_cap = (uint32_t)n;
    return BW_OK;
}

/* Joins the blocks that carry qualifier q, separated by newlines, in the arena. */
static struct bw_iov join(struct bw_worker *w, const struct bw_block *b, size_t nb, unsigned q, int *has)
{
    size_t i, total = 0, k = 0;
    char *p;

    *has = 0;
    for (i = 0; i < nb; i++)
        if (b[i].quals & q) {
            total += b[i].len + 1;
            *has = 1;
        }
    if (!*has || (p = bw_arena_alloc(&w->arena, total + 1)) == NULL)
        return (struct bw_iov){"", 0};
    for (i = 0; i < nb; i++)
        if (b[i].quals & q) {
            if (k)
                p[k++] = '\n';
            memcpy(p + k, b[i].text, b[i].len);
            k += b[i].len;
        }
    p[k] = '\0';
    return (struct bw_iov){p, k};
}

int bw_engine_eval(const struct bw_engine *e, struct bw_worker *w, const struct bw_block *blocks, size_t nblocks,
                   size_t *bad_block, size_t *bad_off)
{
    struct bw_eval ev;
    struct bw_mdispatch d; /* the modules' match handlers, states and scratch for this evaluation */
    size_t i, m;
    int rv;

    w->nf = 0;
    bw_arena_reset(&w->arena);
    if ((rv = reserve_texts(w, nblocks ? nblocks : 1)) != 0)
        return rv;
    if ((rv = bw_mscratch_reserve(&w->scratch, e->m)) != 0)
        return rv;
    memset(&ev, 0, sizeof(ev));
    ev.dir = e->dir;
    ev.w = w;
    ev.texts = w->texts;
    ev.ntexts = (uint32_t)nblocks;
    ev.source = join(w, blocks, nblocks, BW_QUAL_GROUNDING, &ev.has_source);
    ev.query = join(w, blocks, nblocks, BW_QUAL_QUERY, &ev.has_query);
    w->stoks_state = 0;

    /* views first, so a bad block is refused before any module runs */
    for (i = 0; i < nblocks; i++) {
        struct bw_text *t = &w->texts[i];
        struct bw_norm *nm = &w->norms[i];

        t->orig = blocks[i].text;
        t->orig_len = blocks[i].len;
        if (!bw_block_guarded(blocks, nblocks, i)) {
            /* still must be valid UTF-8: it is echoed back and used by grounding */
            if ((rv = bw_utf8_check(blocks[i].text, blocks[i].len, bad_off)) != 0) {
                if (bad_block)
                    *bad_block = i;
                return rv;
            }
            t->view = NULL;
            t->len = 0;
            t->map = NULL;
            continue;
        }
        if ((rv = bw_norm_run(nm, blocks[i].text, blocks[i].len)) != 0) {
            if (bad_block)
                *bad_block = i;
            if (bad_off)
                *bad_off = nm->bad_off;
            return rv;
        }
        t->view = nm->text;
        t->len = nm->len;
        t->map = nm->map;
    }
    for (m = 0; m < e->nmods; m++) {
        size_t sz = e->mods[m].ops->scratch_size ? e->mods[m].ops->scratch_size(e->mods[m].st) : 0;
        d.es[m] = NULL;
        if (sz && (d.es[m] = bw_arena_calloc(&w->arena, sz)) == NULL)
            return BW_ENOMEM;
    }
    d.n = e->nmods;
    d.ev = &ev;
    for (m = 0; m < e->nmods; m++) {
        d.fn[m] = e->mods[m].ops->on_match;
        d.st[m] = e->mods[m].st;
    }
    for (i = 0; i < nblocks; i++) {
        if (w->texts[i].view == NULL)
            continue;
        ev.block = (uint32_t)i;
        ev.text = &w->texts[i];
        w->toks_state = 0;
        for (m = 0; m < e->nmods; m++)
            if (e->mods[m].ops->begin_block && (rv = e->mods[m].ops->begin_block(e->mods[m].st, &ev, d.es[m])) != 0)
                return rv;
        if (e->m && (rv = bw_matcher_scan_mods(e->m, w->scratch, ev.text->view, ev.text->len, &d)) != 0)
            return rv;
        for (m = 0; m < e->nmods; m++)
            if (e->mods[m].ops->end_block && (rv = e->mods[m].ops->end_block(e->mods[m].st, &ev, d.es[m])) != 0)
                return rv;
    }
    ev.text = NULL;
    for (m = 0; m < e->nmods; m++)
        if (e->mods[m].ops->finish && (rv = e->mods[m].ops->finish(e->mods[m].st, &ev, d.es[m])) != 0)
            return rv;
    return BW_OK;
}
