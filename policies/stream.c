/*
 * stream.c: the streaming output guard (see stream.h for the design).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/grounding.h"
#include "filters/limits.h"
#include "policies/apply.h"
#include "policies/stream.h"

#define CTX 256                  /* left context in every span window */
#define CLS_WIN (16u * 1024)     /* classifiers see at most the last 16 KB */
#define MAX_HOLD (4u * 1024)     /* longest text held for an open pattern */
#define MAX_SENTENCE 1024u       /* classifiers check at least this often */
#define MAX_CH 256
#define DEFAULT_MAX (4u * 1024 * 1024)

struct chan {
    struct bw_buf t; /* text so far, as received */
    size_t r;        /* released up to */
    size_t scan;     /* where to look for the next step */
    size_t gate;     /* classifiers passed up to (synchronous mode) */
    size_t checked;  /* last offset the classifiers saw */
};

struct bw_sguard {
    const struct bw_engine *span, *cls;
    struct bw_sguard_opts o;
    struct chan *ch;
    unsigned nch;
    struct bw_finding *f; /* released or blocking span findings, then classifier ones */
    size_t nf, fcap;
    struct bw_finding *cf; /* latest classifier findings */
    size_t ncf, cfcap;
    struct bw_finding *win; /* span findings of the current window */
    size_t nwin, wincap;
    struct bw_buf out;
    size_t total;
    int blocked, masked;
    uint64_t ns;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int bw_sguard_new(const struct bw_engine *span, const struct bw_engine *cls, const struct bw_sguard_opts *o,
                  struct bw_sguard **out)
{
    struct bw_sguard *sg = calloc(1, sizeof(*sg));

    if (sg == NULL)
        return BW_ENOMEM;
    sg->span = span;
    sg->cls = cls;
    sg->o = *o;
    if (sg->o.max_bytes == 0)
        sg->o.max_bytes = DEFAULT_MAX;
    bw_buf_init(&sg->out, sg->o.max_bytes + 1024);
    *out = sg;
    return BW_OK;
}

void bw_sguard_free(struct bw_sguard *sg)
{
    unsigned i;

    if (sg == NULL)
        return;
    for (i = 0; i < sg->nch; i++)
        bw_buf_free(&sg->ch[i].t);
    free(sg->ch);
    free(sg->f);
    free(sg->cf);
    free(sg->win);
    bw_buf_free(&sg->out);
    free(sg);
}

static int push(struct bw_finding **v, size_t *n, size_t *cap, const struct bw_finding *f)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct bw_finding *p;
        if (nc > BW_MAX_FINDINGS)
            return BW_ELIMIT;
        if ((p = realloc(*v, nc * sizeof(*p))) == NULL)
            return BW_ENOMEM;
        *v = p;
        *cap = nc;
    }
    (*v)[(*n)++] = *f;
    return BW_OK;
}

static struct chan *chan_get(struct bw_sguard *sg, unsigned ch)
{
    if (ch >= MAX_CH)
        return NULL;
    if (ch >= sg->nch) {
        struct chan *p = realloc(sg->ch, (ch + 1) * sizeof(*p));
        unsigned i;
        if (p == NULL)
            return NULL;
        sg->ch = p;
        for (i = sg->nch; i <= ch; i++) {
            memset(&p[i], 0, sizeof(p[i]));
            bw_buf_init(&p[i].t, sg->o.max_bytes);
        }
        sg->nch = ch + 1;
    }
    return &sg->ch[ch];
}

/* A sentence ends at step b: after . ! ? (or a closing quote after one), or at a line break. */
static int sentence_end(const char *t, size_t b)
{
    size_t i = b;

    while (i > 0 && is_ws(t[i - 1])) {
        if (t[i - 1] == '\n')
            return 1;
        i--;
    }
    while (i > 0 && (t[i - 1] == '"' || t[i - 1] == '\'' || t[i - 1] == ')'))
        i--;
    return i > 0 && (t[i - 1] == '.' || t[i - 1] == '!' || t[i - 1] == '?');
}

/* Start of the window for release point r: a word start CTX bytes before it. */
static size_t window_start(const char *t, size_t r)
{
    size_t p, lim;

    if (r <= CTX)
        return 0;
    p = r - CTX;
    lim = p > 1024 ? p - 1024 : 0;
    while (p > lim && !(is_ws(t[p - 1]) && !is_ws(t[p])))
        p--;
    if (p == lim && lim > 0) {
        p = r - CTX; /* no word start near: a character boundary will do */
        while (p > 0 && ((unsigned char)t[p] & 0xc0) == 0x80)
            p--;
    }
    return p;
}

static int by_start(const void *a, const void *b)
{
    const struct bw_finding *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Runs the classifier engine on the text so far of channel c (final: the
 * whole answer). Grounding is scored with the rest: at the end, and at
 * sentence ends, where a GROUNDING finding set to BLOCK stops the answer
 * before the unsupported sentence goes out (its unsupported facts only ever
 * lower the score). RELEVANCE blocks only at the end: an answer is relevant
 * when any part of it is (Bedrock), which a part alone cannot tell.
 */
static int check_cls(struct bw_sguard *sg, struct bw_worker *w, unsigned chid, size_t b, int final)
{
    struct chan *c = &sg->ch[chid];
    struct bw_block blk[3];
    size_t from = 0, i, nb = 1;
    int rv;

    if (b > CLS_WIN) {
        from = b - CLS_WIN;
        while (from < b && ((unsigned char)c->t.base[from] & 0xc0) == 0x80)
            from++;
    }
    blk[0] = (struct bw_block){c->t.base ? c->t.base + from : "", b - from, 0}; /* no text yet: base is NULL */
    if (sg->o.source) {
        blk[nb++] = (struct bw_block){sg->o.source, sg->o.source_len, BW_QUAL_GROUNDING};
        blk[0].quals = BW_QUAL_GUARD;
    }
    if (sg->o.query) {
        blk[nb++] = (struct bw_block){sg->o.query, sg->o.query_len, BW_QUAL_QUERY};
        blk[0].quals = BW_QUAL_GUARD;
    }
    if ((rv = bw_engine_eval(sg->cls, w, blk, nb, NULL, NULL)) != 0)
        return rv;
    sg->ncf = 0;
    for (i = 0; i < w->nf; i++) {
        struct bw_finding f = w->f[i];
        f.block = chid;
        f.start = f.end = 0;
        if ((rv = push(&sg->cf, &sg->ncf, &sg->cfcap, &f)) != 0)
            return rv;
        if (f.detected && f.action == BW_ACT_BLOCK &&
            (final || !(f.policy == BW_POL_GROUNDING && f.type == BW_GROUND_RELEVANCE)))
            sg->blocked = 1;
    }
    c->checked = b;
    if (!sg->blocked)
        c->gate = b;
    return BW_OK;
}

/* Releases channel text [c->r, p), masked, through fn. */
static int release(struct bw_sguard *sg, unsigned chid, size_t p, bw_release_fn fn, void *ctx)
{
    struct chan *c = &sg->ch[chid];
    size_t pos = c->r, i;
    int rv;

    bw_buf_reset(&sg->out);
    for (i = 0; i < sg->nwin; i++) {
        const struct bw_finding *f = &sg->win[i];
        if (!f->detected || f->start < pos || f->end > p || f->end <= f->start)
            continue;
        if ((rv = push(&sg->f, &sg->nf, &sg->fcap, f)) != 0)
            return rv;
        if (f->action != BW_ACT_ANONYMIZE || sg->o.mode == BW_STREAM_ASYNC)
            continue;
        bw_buf_add(&sg->out, c->t.base + pos, f->start - pos);
        bw_buf_addc(&sg->out, '{');
        bw_buf_adds(&sg->out, bw_mask_name(sg->o.conf, f));
        if ((rv = bw_buf_addc(&sg->out, '}')) != 0)
            return rv;
        pos = f->end;
        sg->masked = 1;
    }
    if ((rv = bw_buf_add(&sg->out, c->t.base + pos, p - pos)) != 0)
        return rv;
    c->r = p;
    if (sg->out.len == 0)
        return BW_OK;
    return fn(ctx, chid, sg->out.base, sg->out.len);
}

/* One step: the text of channel chid up to b is known. */
static int step(struct bw_sguard *sg, struct bw_worker *w, unsigned chid, size_t b, int final, bw_release_fn fn,
                void *ctx)
{
    struct chan *c = &sg->ch[chid];
    const char *t = c->t.base;
    size_t p = b, i;
    int rv;

    sg->nwin = 0;
    if (sg->span && b > c->r) {
        size_t l = window_start(t, c->r), hold;
        struct bw_block blk = {t + l, b - l, 0};

        if ((rv = bw_engine_eval(sg->span, w, &blk, 1, NULL, NULL)) != 0)
            return rv;
        if ((rv = bw_findings_resolve(w)) != 0)
            return rv;
        hold = bw_engine_hold(sg->span, &w->texts[0]);
        hold = bw_norm_start(w->texts[0].map, w->texts[0].len, w->texts[0].orig_len, hold);
        if (!final && l + hold < p)
            p = l + hold;
        for (i = 0; i < w->nf; i++) {
            struct bw_finding f = w->f[i];
            if (f.end <= f.start)
                continue;
            f.block = chid;
            f.start += (uint32_t)l;
            f.end += (uint32_t)l;
            if (f.detected && f.action == BW_ACT_BLOCK) {
                sg->blocked = 1;
                return push(&sg->f, &sg->nf, &sg->fcap, &f);
            }
            if ((rv = push(&sg->win, &sg->nwin, &sg->wincap, &f)) != 0)
                return rv;
        }
    }
    if (sg->cls && (final || sentence_end(t, b) || b - c->checked > MAX_SENTENCE)) {
        if ((rv = check_cls(sg, w, chid, b, final)) != 0)
            return rv;
        if (sg->blocked)
            return BW_OK;
    }
    if (sg->o.mode == BW_STREAM_ASYNC) {
        p = b;
    } else {
        if (sg->cls && p > c->gate)
            p = c->gate;
        if (b > MAX_HOLD && p < b - MAX_HOLD && !final)
            p = b - MAX_HOLD; /* bound the hold: documented */
        /* never cut a finding: release up to its start */
        if (sg->nwin > 1)
            qsort(sg->win, sg->nwin, sizeof(*sg->win), by_start);
        for (i = sg->nwin; i-- > 0;) {
            const struct bw_finding *f = &sg->win[i];
            if (f->detected && f->start < p && f->end > p)
                p = f->start;
        }
    }
    if (p > c->r)
        return release(sg, chid, p, fn, ctx);
    return BW_OK;
}

int bw_sguard_feed(struct bw_sguard *sg, struct bw_worker *w, unsigned chid, const char *p, size_t n, bw_release_fn fn,
                   void *ctx)
{
    uint64_t t0 = now_ns();
    struct chan *c;
    size_t i;
    int rv = BW_OK;

    if (sg->blocked || n == 0)
        return BW_OK;
    if ((c = chan_get(sg, chid)) == NULL)
        return BW_ELIMIT;
    if (sg->total + n > sg->o.max_bytes)
        return BW_ELIMIT;
    if ((rv = bw_buf_add(&c->t, p, n)) != 0)
        return rv;
    sg->total += n;
    for (i = c->scan ? c->scan : 1; i < c->t.len && !sg->blocked; i++)
        if (is_ws(c->t.base[i - 1]) && !is_ws(c->t.base[i]) && (rv = step(sg, w, chid, i, 0, fn, ctx)) != 0)
            break;
    c->scan = c->t.len;
    sg->ns += now_ns() - t0;
    return rv;
}

int bw_sguard_finish(struct bw_sguard *sg, struct bw_worker *w, bw_release_fn fn, void *ctx)
{
    uint64_t t0 = now_ns();
    unsigned i;
    int rv = BW_OK;

    for (i = 0; i < sg->nch && !sg->blocked && rv == 0; i++)
        rv = step(sg, w, i, sg->ch[i].t.len, 1, fn, ctx);
    /* no text at all: classifiers (grounding, relevance) still judge the answer */
    if (sg->nch == 0 && sg->cls && rv == 0 && chan_get(sg, 0) != NULL)
        rv = check_cls(sg, w, 0, 0, 1);
    sg->ns += now_ns() - t0;
    return rv;
}

int bw_sguard_blocked(const struct bw_sguard *sg)
{
    return sg->blocked;
}

int bw_sguard_masked(const struct bw_sguard *sg)
{
    return sg->masked;
}

unsigned bw_sguard_nchannels(const struct bw_sguard *sg)
{
    return sg->nch;
}

struct bw_iov bw_sguard_text(const struct bw_sguard *sg, unsigned ch)
{
    if (ch >= sg->nch)
        return (struct bw_iov){"", 0};
    return (struct bw_iov){sg->ch[ch].t.base ? sg->ch[ch].t.base : "", sg->ch[ch].t.len};
}

const struct bw_finding *bw_sguard_findings(struct bw_sguard *sg, size_t *n)
{
    size_t i, span = sg->nf;

    /* classifier findings go behind the span findings; the next call replaces them */
    for (i = 0; i < sg->ncf; i++)
        if (push(&sg->f, &sg->nf, &sg->fcap, &sg->cf[i]) != 0)
            break;
    *n = sg->nf;
    sg->nf = span;
    return sg->f;
}

void bw_sguard_pos(const struct bw_sguard *sg, unsigned ch, size_t *fed, size_t *released)
{
    *fed = ch < sg->nch ? sg->ch[ch].t.len : 0;
    *released = ch < sg->nch ? sg->ch[ch].r : 0;
}

uint64_t bw_sguard_ns(const struct bw_sguard *sg)
{
    return sg->ns;
}
