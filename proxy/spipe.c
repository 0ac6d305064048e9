/*
 * spipe.c: the guarded stream pipeline (see spipe.h): decoder, streaming
 * output guard and encoder glued with an order-keeping queue, no I/O.
 *
 * Order. Released text goes out at once while nothing waits. An event that
 * is not text waits while any text that came before it is held by the
 * guard; it records how far each channel's text had come (its snapshot)
 * and leaves when every channel was released up to there. Text released
 * while events wait is queued too: before the first waiting event that
 * came after its start, so it never overtakes an event that came before
 * it, nor lags behind one that came after. Stops wait for the end of the
 * answer (see spipe.h).
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/spipe.h"

#define MAX_QUEUE (256u * 1024) /* bytes of events waiting behind held text */
#define MAX_OUT (8u * 1024 * 1024)
#define MAX_CH 256
#define STOP_FEED 1             /* callback code: the pipeline ended, stop decoding */

struct bw_spipe_q {
    struct bw_spipe_q *next;
    struct bw_sev *ev;       /* an event (copy), or NULL for released text */
    int at_end;              /* waits for the end of the answer (stops) */
    unsigned ch;             /* text: its channel */
    size_t tlen;             /* text: length; the bytes follow the item */
    unsigned nsnap;          /* event: channels known when it came */
    size_t *snap;            /* event: fed bytes per channel then; follows the item */
};

static size_t qsize(const struct bw_spipe_q *q)
{
    return sizeof(*q) + q->tlen + q->nsnap * sizeof(size_t);
}

static void q_free_all(struct bw_spipe *p)
{
    struct bw_spipe_q *q = p->qh, *n;

    for (; q; q = n) {
        n = q->next;
        free(q->ev);
        free(q);
    }
    p->qh = p->qt = NULL;
    p->qbytes = 0;
}

size_t bw_spipe_held(const struct bw_spipe *p)
{
    size_t held = 0, fed, rel;
    unsigned i;

    if (p->sg == NULL)
        return 0;
    for (i = 0; i < p->nch; i++) {
        bw_sguard_pos(p->sg, i, &fed, &rel);
        held += fed - rel;
    }
    return held;
}

int bw_spipe_init(struct bw_spipe *p, const struct bw_spipe_opts *o)
{
    struct bw_sguard_opts go;
    int rv;

    memset(p, 0, sizeof(*p));
    p->o = *o;
    bw_buf_init(&p->out, MAX_OUT);
    if ((rv = bw_sdec_init(&p->dec, o->rq)) != 0)
        return rv;
    if ((rv = bw_senc_init(&p->enc, o->rq, &p->dec)) != 0) {
        bw_sdec_free(&p->dec);
        return rv;
    }
    if (o->span || o->cls) {
        memset(&go, 0, sizeof(go));
        go.mode = o->mode;
        go.conf = o->conf;
        go.max_bytes = o->max_text;
        go.source = o->source;
        go.source_len = o->source_len;
        go.query = o->query;
        go.query_len = o->query_len;
        if ((rv = bw_sguard_new(o->span, o->cls, &go, &p->sg)) != 0) {
            bw_senc_free(&p->enc);
            bw_sdec_free(&p->dec);
            return rv;
        }
    }
    return 0;
}

void bw_spipe_free(struct bw_spipe *p)
{
    q_free_all(p);
    bw_sguard_free(p->sg);
    bw_senc_free(&p->enc);
    bw_sdec_free(&p->dec);
    bw_buf_free(&p->out);
    free(p->ch);
    p->ch = NULL;
    p->sg = NULL;
}

static int encode(struct bw_spipe *p, const struct bw_sev *ev)
{
    int rv = bw_senc_encode(&p->enc, ev, &p->out);

    if (rv == 0)
        p->ev_out++;
    return rv;
}

static int encode_text(struct bw_spipe *p, unsigned ch, const char *t, size_t n)
{
    struct bw_sev ev;

    memset(&ev, 0, sizeof(ev));
    ev.kind = p->ch[ch].kind;
    ev.index = p->ch[ch].index;
    ev.sub = p->ch[ch].sub;
    ev.text.base = t;
    ev.text.len = n;
    return encode(p, &ev);
}

/* Has every channel been released up to the snapshot of q? */
static int released_past(const struct bw_spipe *p, const struct bw_spipe_q *q)
{
    unsigned i;

    for (i = 0; i < q->nsnap; i++)
        if (p->ch[i].rel < q->snap[i])
            return 0;
    return 1;
}

/* Sends what may go from the head of the queue; at the end (final) stops may go too. */
static int flush(struct bw_spipe *p, int final)
{
    struct bw_spipe_q *q;
    int rv;

    while ((q = p->qh) != NULL) {
        if (q->ev == NULL)
            rv = encode_text(p, q->ch, (const char *)(q + 1), q->tlen);
        else if ((q->at_end && !final) || !released_past(p, q))
            break;
        else
            rv = encode(p, q->ev);
        if (rv != 0)
            return rv;
        p->qh = q->next;
        if (p->qh == NULL)
            p->qt = NULL;
        p->qbytes -= qsize(q);
        free(q->ev);
        free(q);
    }
    return 0;
}

static int q_add(struct bw_spipe *p, struct bw_spipe_q *q, struct bw_spipe_q *before_prev, int at_head)
{
    if (p->qbytes + qsize(q) > MAX_QUEUE) {
        free(q->ev);
        free(q);
        return BW_ELIMIT;
    }
    p->qbytes += qsize(q);
    if (at_head) {
        q->next = p->qh;
        p->qh = q;
        if (p->qt == NULL)
            p->qt = q;
    } else if (before_prev) {
        q->next = before_prev->next;
        before_prev->next = q;
        if (p->qt == before_prev)
            p->qt = q;
    } else {
        q->next = NULL;
        if (p->qt)
            p->qt->next = q;
        else
            p->qh = q;
        p->qt = q;
    }
    return 0;
}

/* The guard released text [from, to) of channel ch (masked: t, n). */
static int on_release(void *ctx, unsigned ch, const char *t, size_t n)
{
    struct bw_spipe *p = ctx;
    struct bw_spipe_q *q, *it, *prev = NULL;
    size_t fed, to, from = p->ch[ch].rel;

    bw_sguard_pos(p->sg, ch, &fed, &to);
    p->ch[ch].rel = to;
    if (p->qh == NULL)
        return encode_text(p, ch, t, n);
    if ((q = malloc(sizeof(*q) + n)) == NULL)
        return BW_ENOMEM;
    memset(q, 0, sizeof(*q));
    q->ch = ch;
    q->tlen = n;
    memcpy(q + 1, t, n);
    /* before the first waiting event that came after this text began */
    for (it = p->qh; it; prev = it, it = it->next)
        if (it->ev && ch < it->nsnap && it->snap[ch] > from)
            break;
    if (it == NULL)
        return q_add(p, q, NULL, 0);
    return q_add(p, q, prev, prev == NULL);
}

static int chan_of(struct bw_spipe *p, const struct bw_sev *ev, unsigned *out)
{
    unsigned i;
    struct bw_spipe_ch *c;

    for (i = 0; i < p->nch; i++)
        if (p->ch[i].kind == ev->kind && p->ch[i].index == ev->index && p->ch[i].sub == ev->sub) {
            *out = i;
            return 0;
        }
    if (p->nch >= MAX_CH)
        return BW_ELIMIT;
    if ((c = realloc(p->ch, (p->nch + 1) * sizeof(*c))) == NULL)
        return BW_ENOMEM;
    p->ch = c;
    c[p->nch].kind = ev->kind;
    c[p->nch].index = ev->index;
    c[p->nch].sub = ev->sub;
    c[p->nch].rel = 0;
    *out = p->nch++;
    return 0;
}

static int queue_event(struct bw_spipe *p, const struct bw_sev *ev, int at_end)
{
    struct bw_spipe_q *q;
    unsigned i;

    if ((q = malloc(sizeof(*q) + p->nch * sizeof(size_t))) == NULL)
        return BW_ENOMEM;
    memset(q, 0, sizeof(*q));
    q->at_end = at_end;
    q->nsnap = p->nch;
    q->snap = (size_t *)(q + 1);
    for (i = 0; i < p->nch; i++) {
        size_t rel;
        bw_sguard_pos(p->sg, i, &q->snap[i], &rel);
    }
    if ((q->ev = bw_sev_dup(ev)) == NULL) {
        free(q);
        return BW_ENOMEM;
    }
    return q_add(p, q, NULL, 0);
}

static int fail(struct bw_spipe *p, int rv, int status, const char *why)
{
    if (p->state != BW_SPIPE_RUN)
        return p->state == BW_SPIPE_FAILED ? p->err : 0;
    q_free_all(p);
    p->state = BW_SPIPE_FAILED;
    p->err = rv;
    p->why = why;
    bw_senc_error(&p->enc, status, why, &p->out);
    return rv;
}

static void end_blocked(struct bw_spipe *p)
{
    q_free_all(p);
    p->state = BW_SPIPE_BLOCKED;
    if (p->o.on_end)
        p->o.on_end(p->o.ud, p);
    bw_senc_blocked(&p->enc, p->o.blocked_msg ? p->o.blocked_msg : "Sorry, the model cannot answer this.",
                    &p->out);
}

/* A guard fault fails closed: the stream ends with an error, nothing held gets out. */
static int guard_fault(struct bw_spipe *p, int rv)
{
    if (rv == BW_ELIMIT)
        return fail(p, rv, 502, "bulwark: the streamed answer is longer than this route allows");
    return fail(p, rv, 500, "bulwark: the output guardrail failed; the rest of the answer is withheld");
}

static int on_done(struct bw_spipe *p, const struct bw_sev *ev)
{
    int rv;

    if (p->sg) {
        if ((rv = bw_sguard_finish(p->sg, p->o.w, on_release, p)) != 0)
            return guard_fault(p, rv);
        if (bw_sguard_blocked(p->sg)) {
            end_blocked(p);
            return STOP_FEED;
        }
    }
    if ((rv = flush(p, 1)) != 0)
        return fail(p, rv, 500, "bulwark: cannot encode the streamed answer");
    p->state = BW_SPIPE_DONE;
    if (p->o.on_end)
        p->o.on_end(p->o.ud, p);
    if ((rv = encode(p, ev)) != 0) {
        p->state = BW_SPIPE_RUN;
        return fail(p, rv, 500, "bulwark: cannot encode the streamed answer");
    }
    return STOP_FEED;
}

static int on_event(void *ud, const struct bw_sev *ev)
{
    struct bw_spipe *p = ud;
    unsigned ch;
    int rv;

    if (p->state != BW_SPIPE_RUN)
        return STOP_FEED;
    p->ev_in++;
    if (ev->kind == BW_SEV_ERROR) {
        /* the upstream's own error event goes out as it came; held text does not */
        q_free_all(p);
        encode(p, ev);
        p->state = BW_SPIPE_FAILED;
        p->err = BW_EIO;
        p->why = "the upstream sent an error event";
        return STOP_FEED;
    }
    if (ev->kind == BW_SEV_DONE)
        return on_done(p, ev);
    if (p->sg == NULL) {
        if ((rv = encode(p, ev)) != 0)
            return fail(p, rv, 500, "bulwark: cannot encode the streamed answer");
        return 0;
    }
    if (ev->kind == BW_SEV_TEXT || ev->kind == BW_SEV_TOOL_ARGS) {
        if ((rv = chan_of(p, ev, &ch)) != 0)
            return guard_fault(p, rv);
        if ((rv = bw_sguard_feed(p->sg, p->o.w, ch, ev->text.base, ev->text.len, on_release, p)) != 0)
            return guard_fault(p, rv);
        if (bw_sguard_blocked(p->sg)) {
            end_blocked(p);
            return STOP_FEED;
        }
    } else if (ev->kind == BW_SEV_STOP || p->qh || bw_spipe_held(p)) {
        if ((rv = queue_event(p, ev, ev->kind == BW_SEV_STOP)) != 0)
            return fail(p, rv, 502, "bulwark: too many upstream events behind held text");
    } else if ((rv = encode(p, ev)) != 0) {
        return fail(p, rv, 500, "bulwark: cannot encode the streamed answer");
    }
    if ((rv = flush(p, 0)) != 0)
        return fail(p, rv, 500, "bulwark: cannot encode the streamed answer");
    return 0;
}

static int result(struct bw_spipe *p, int rv, int eof)
{
    if (rv < 0 && p->state == BW_SPIPE_RUN) {
        if (rv == BW_EPROTO)
            return fail(p, rv, 502,
                        eof ? "bulwark: the upstream stream was cut before its end"
                            : "bulwark: the upstream stream is malformed");
        if (rv == BW_ELIMIT)
            return fail(p, rv, 502, "bulwark: an upstream event is too large");
        return fail(p, rv, 500, "bulwark: cannot read the upstream stream");
    }
    return p->state == BW_SPIPE_FAILED ? p->err : 0;
}

int bw_spipe_feed(struct bw_spipe *p, const char *bytes, size_t n)
{
    if (p->state != BW_SPIPE_RUN)
        return p->state == BW_SPIPE_FAILED ? p->err : 0;
    return result(p, bw_sdec_feed(&p->dec, bytes, n, on_event, p), 0);
}

int bw_spipe_end(struct bw_spipe *p)
{
    int rv;

    if (p->state != BW_SPIPE_RUN)
        return p->state == BW_SPIPE_FAILED ? p->err : 0;
    rv = bw_sdec_finish(&p->dec, on_event, p);
    if (rv == 0 && p->state == BW_SPIPE_RUN)
        rv = BW_EPROTO;
    return result(p, rv, 1);
}

int bw_spipe_fail(struct bw_spipe *p, int rv, int status, const char *msg)
{
    return fail(p, rv, status, msg);
}
