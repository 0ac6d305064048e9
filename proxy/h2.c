/*
 * h2.c: the HTTP/2 server session. nghttp2 does the framing, HPACK, flow
 * control and message checks; this file maps its callbacks onto streams
 * and feeds it bytes (mem_recv) and takes bytes from it (mem_send) without
 * ever touching the socket.
 *
 * Each stream's response body is queued in the stream's own buffer and
 * handed to nghttp2 by a data provider that defers when the buffer is
 * empty and the body is not over, so a streamed answer resumes as pieces
 * arrive. Serialisation stops when the connection's output passes a high
 * watermark and continues when the socket drains (the flush calls fill()
 * again), so a slow reader holds at most that much per connection beyond
 * the bodies themselves. The bodies are bounded too: each stream's producer
 * pauses its upstream above BW_PX_STREAM_HIGH queued, and when the streams of
 * a connection hold more than CONN_QUEUE in all (a client that opens many
 * streams and reads none), every stream over its share pauses as well.
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filters/limits.h"
#include "proxy/conn.h"
#include "proxy/log.h"
#include "proxy/worker.h"

#define HIGH_WATER (256u * 1024)
#define STREAM_WINDOW (256 * 1024)
#define CONN_WINDOW (4 * 1024 * 1024)
#define CONN_QUEUE (4u * 1024 * 1024)
_Static_assert(CONN_QUEUE > BW_PX_STREAM_HIGH, "a stream over its share must pause");

struct h2s;

struct h2 {
    struct bw_px_conn *c;
    nghttp2_session *ng;
    struct h2s *streams; /* nghttp2_session_del() does not report open streams */
    unsigned nstreams;
    unsigned nincomplete; /* streams whose request has not fully arrived */
    size_t queued;        /* response body bytes queued in all streams */
    int goaway;
};

struct h2s {
    struct h2 *h;
    struct bw_px_stream *s;
    struct h2s *prev, *next;
    int32_t id;
    struct bw_buf out;       /* response body queued, not yet framed */
    size_t out_off;
    size_t hbytes;
    size_t discarded;        /* body bytes dropped after an early answer */
    int err_status;
    const char *err_msg;
    unsigned eof_out : 1;
    unsigned deferred : 1;
    unsigned req_done : 1;   /* END_STREAM received */
    unsigned counted : 1;    /* in nincomplete */
    unsigned answered : 1;   /* the session answered an error itself */
};

static const struct bw_px_stream_ops h2_stream_ops;

static const struct bw_px_limits *lim(const struct h2 *h)
{
    return &((const struct bw_px_gen *)h->c->gen)->conf->limits;
}

/* response bytes queued in the connection's streams, and in the worker's gauge */
static void queued(struct h2 *h, int64_t d)
{
    h->queued += (size_t)d;
    if (d >= 0)
        bw_px_ctr_add(&h->c->w->m->queued_bytes, (uint64_t)d);
    else
        bw_px_ctr_sub(&h->c->w->m->queued_bytes, (uint64_t)-d);
}

/* Freed stream states are kept per worker, with their body buffer's storage, as streams are (conn.c). */
static struct h2s *h2s_alloc(struct bw_px_worker *w)
{
    struct h2s *x = w->h2sfree;

    if (x != NULL) {
        struct bw_buf out = x->out;

        w->h2sfree = x->next;
        w->nh2sfree--;
        memset(x, 0, sizeof(*x));
        x->out = out;
        bw_buf_reset(&x->out);
        x->out.max = BW_MAX_BODY_BYTES;
        return x;
    }
    if ((x = calloc(1, sizeof(*x))) != NULL)
        bw_buf_init(&x->out, 0);
    return x;
}

static void h2s_release(struct bw_px_worker *w, struct h2s *x)
{
    static const unsigned cache_max = BW_PX_STREAM_CACHE_MAX; /* a variable: 0 under ASan */

    if (w->nh2sfree < cache_max && x->out.cap <= 64u * 1024) {
        x->next = w->h2sfree;
        w->h2sfree = x;
        w->nh2sfree++;
        return;
    }
    bw_buf_free(&x->out);
    free(x);
}

void bw_px_h2_cache_free(struct bw_px_worker *w)
{
    struct h2s *x;

    while ((x = w->h2sfree) != NULL) {
        w->h2sfree = x->next;
        bw_buf_free(&x->out);
        free(x);
    }
    w->nh2sfree = 0;
}

static struct h2s *h2s_new(struct h2 *h, int32_t id, struct bw_px_stream *s)
{
    struct h2s *x = h2s_alloc(h->c->w);

    if (x == NULL)
        return NULL;
    if (s == NULL && (s = bw_px_stream_new(h->c, &h2_stream_ops)) == NULL) {
        h2s_release(h->c->w, x);
        return NULL;
    }
    s->ops = &h2_stream_ops;
    s->sdata = x;
    s->req.version = 20;
    x->h = h;
    x->s = s;
    x->id = id;
    x->next = h->streams;
    if (h->streams)
        h->streams->prev = x;
    h->streams = x;
    h->nstreams++;
    return x;
}

static void h2s_unlink(struct h2s *x)
{
    struct h2 *h = x->h;

    if (x->counted) {
        x->counted = 0;
        h->nincomplete--;
    }
    if (x->prev)
        x->prev->next = x->next;
    else
        h->streams = x->next;
    if (x->next)
        x->next->prev = x->prev;
    h->nstreams--;
}

static void h2s_free(struct h2s *x)
{
    struct bw_px_worker *w = x->h->c->w;

    h2s_unlink(x);
    queued(x->h, -(int64_t)(x->out.len - x->out_off));
    bw_px_stream_free(x->s);
    h2s_release(w, x);
}

/* Answers an error for a stream the session itself rejects (413, 431). */
static void answer_error(struct h2s *x, int status, const char *msg)
{
    if (x->answered || x->s->status)
        return;
    x->answered = 1;
    bw_px_respond_error(x->s, status, msg, NULL, 0);
}

static void start(struct h2s *x)
{
    if (x->err_status) {
        answer_error(x, x->err_status, x->err_msg);
        return;
    }
    if (x->answered)
        return;
    if (x->s->req.method.base == NULL || x->s->req.path.base == NULL) {
        answer_error(x, 400, "request without :method or :path");
        return;
    }
    if (strcmp(x->s->req.method.base, "CONNECT") == 0) {
        answer_error(x, 405, "CONNECT is not supported");
        return;
    }
    bw_px_stream_start(x->s);
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    struct h2 *h = ud;
    struct h2s *x;

    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    if ((x = h2s_new(h, f->hd.stream_id, NULL)) == NULL)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, x);
    /* the first request in progress arms the request timer; h2_on_timeout judges */
    x->counted = 1;
    if (h->nincomplete++ == 0)
        bw_px_conn_set_timeout(h->c, lim(h)->request_timeout_ms);
    return 0;
}

static int set_pseudo(struct h2s *x, struct bw_iov *dst, const uint8_t *v, size_t vl)
{
    char *p = bw_arena_strndup(&x->s->arena, (const char *)v, vl);

    if (p == NULL)
        return -1;
    dst->base = p;
    dst->len = vl;
    return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    struct h2 *h = ud;
    struct h2s *x = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
    struct bw_px_req *r;
    int rv = 0;

    BW_UNUSED(flags);
    if (x == NULL || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* trailers: accepted, not kept */
    if (x->err_status)
        return 0;
    x->hbytes += nl + vl + 32; /* RFC 9113 6.5.2 accounting */
    if (x->hbytes > lim(h)->max_header_bytes) {
        x->err_status = 431;
        x->err_msg = "request headers too large";
        return 0;
    }
    r = &x->s->req;
    if (nl && name[0] == ':') {
        if (nl == 7 && memcmp(name, ":method", 7) == 0)
            rv = set_pseudo(x, &r->method, value, vl);
        else if (nl == 5 && memcmp(name, ":path", 5) == 0)
            rv = set_pseudo(x, &r->path, value, vl);
        else if (nl == 10 && memcmp(name, ":authority", 10) == 0)
            rv = set_pseudo(x, &r->authority, value, vl);
        else if (nl == 7 && memcmp(name, ":scheme", 7) == 0)
            rv = set_pseudo(x, &r->scheme, value, vl);
    } else {
        rv = bw_px_stream_add_header(x->s, (const char *)name, nl, (const char *)value, vl);
        if (rv == 0 && nl == 14 && memcmp(name, "content-length", 14) == 0) {
            unsigned long long cl = 0;
            size_t i;
            for (i = 0; i < vl && cl <= (1ull << 50); i++)
                cl = cl * 10 + (unsigned)(value[i] - '0'); /* nghttp2 checked the digits */
            r->clen = (int64_t)cl;
            if (cl > lim(h)->max_body_bytes) {
                x->err_status = 413;
                x->err_msg = "request body too large";
            }
        }
    }
    if (rv != 0) {
        x->err_status = 500;
        x->err_msg = "out of memory";
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    struct h2s *x = nghttp2_session_get_stream_user_data(ng, id);
    int rv;

    BW_UNUSED(flags);
    BW_UNUSED(ud);
    if (x == NULL)
        return 0;
    if (x->err_status || x->answered) {
        /*
         * Answered early (413): the rest of the body is read and dropped.
         * RFC 9113 8.1 would let us send RST_STREAM(NO_ERROR) instead, but
         * curl 7.88 then drops the answer it already has; so only a client
         * that keeps sending well past the cap is reset.
         */
        size_t slack = lim(x->h)->max_body_bytes * 2;
        x->discarded += len;
        if (x->discarded > slack + (x->s->req.clen > 0 ? (size_t)x->s->req.clen : 0))
            nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        return 0;
    }
    if ((rv = bw_buf_add(&x->s->req.body, data, len)) != 0) {
        x->err_status = rv == BW_ELIMIT ? 413 : 500;
        x->err_msg = "request body too large";
        answer_error(x, x->err_status, x->err_msg);
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    struct h2s *x;

    BW_UNUSED(ud);
    if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
        return 0;
    if ((x = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id)) == NULL)
        return 0;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST && x->err_status &&
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        /* refuse before the body comes: 413 on content-length, 431 */
        answer_error(x, x->err_status, x->err_msg);
        return 0;
    }
    if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) && !x->req_done) {
        x->req_done = 1;
        if (x->counted) {
            x->counted = 0;
            if (--x->h->nincomplete == 0)
                bw_px_conn_set_timeout(x->h->c, lim(x->h)->idle_timeout_ms);
        }
        if (x->s->req.scheme.base == NULL)
            x->s->req.scheme = x->h->c->ssl ? BW_IOV("https") : BW_IOV("http");
        if (x->s->req.authority.base == NULL) {
            const struct bw_hdr *host = bw_px_req_header(&x->s->req, "host");
            if (host)
                x->s->req.authority = host->value;
        }
        start(x);
    }
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    struct h2 *h = ud;
    struct h2s *x = nghttp2_session_get_stream_user_data(ng, id);

    BW_UNUSED(code);
    if (x == NULL)
        return 0;
    nghttp2_session_set_stream_user_data(ng, id, NULL);
    h2s_free(x);
    if (h->nstreams == 0)
        bw_px_conn_set_timeout(h->c, lim(h)->idle_timeout_ms);
    return 0;
}

static ssize_t read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    struct h2s *x = src->ptr;
    size_t avail = x->out.len - x->out_off, n;

    BW_UNUSED(ng);
    BW_UNUSED(id);
    BW_UNUSED(ud);
    if (avail == 0 && !x->eof_out) {
        x->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    n = BW_MIN(avail, length);
    if (n)
        memcpy(buf, x->out.base + x->out_off, n);
    x->out_off += n;
    queued(x->h, -(int64_t)n);
    if (x->out_off == x->out.len) {
        bw_buf_reset(&x->out);
        x->out_off = 0;
        if (x->eof_out)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return (ssize_t)n;
}

static int h2_on_data(void *sess, const char *p, size_t n, size_t *consumed)
{
    struct h2 *h = sess;
    ssize_t rv = nghttp2_session_mem_recv(h->ng, (const uint8_t *)p, n);

    *consumed = n;
    if (rv < 0) {
        if (bw_px_log_on(BW_LOG_DEBUG))
            bw_px_log(BW_LOG_DEBUG, "conn %llu: HTTP/2: %s", (unsigned long long)h->c->id,
                      nghttp2_strerror((int)rv));
        return BW_EPROTO;
    }
    bw_px_conn_flush_later(h->c);
    return 0;
}

static int h2_fill(void *sess)
{
    struct h2 *h = sess;
    struct bw_px_conn *c = h->c;

    while (bw_px_conn_pending(c) < HIGH_WATER && nghttp2_session_want_write(h->ng)) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(h->ng, &data);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        if (bw_px_conn_write(c, data, (size_t)n) != 0)
            return -1;
    }
    if (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng))
        bw_px_conn_close_after_flush(c);
    else if (h->goaway && h->nstreams == 0 && !nghttp2_session_want_write(h->ng))
        bw_px_conn_close_after_flush(c);
    return 0;
}

static void h2_on_flushed(void *sess)
{
    struct h2 *h = sess;
    struct h2s *x, *next;

    /* streams whose handler may be waiting for room (streamed answers) */
    for (x = h->streams; x; x = next) {
        next = x->next;
        if (x->s->started && !x->s->done && x->s->handler && x->s->handler->on_writable)
            x->s->handler->on_writable(x->s);
    }
    if (nghttp2_session_want_write(h->ng))
        bw_px_conn_flush_later(h->c);
}

static void h2_on_eof(void *sess)
{
    struct h2 *h = sess;

    bw_px_conn_close(h->c);
}

static int h2_on_timeout(void *sess)
{
    struct h2 *h = sess;
    struct bw_px_conn *c = h->c;

    /* a request that did not arrive within request_timeout_ms (slow-loris) */
    if (h->nincomplete)
        return 1;
    /* a client that stopped reading what we have for it */
    if (bw_px_conn_pending(c) && bw_px_loop_now(&c->w->loop) - c->last_progress >= lim(h)->idle_timeout_ms)
        return 1;
    if (h->nstreams)
        return 0; /* the handlers' own timers (upstream) decide */
    /* idle: say goodbye properly, then close once it is written */
    nghttp2_session_terminate_session(h->ng, NGHTTP2_NO_ERROR);
    h->goaway = 1;
    bw_px_conn_close_after_flush(c);
    return 0;
}

static void h2_on_drain(void *sess)
{
    struct h2 *h = sess;

    if (h->goaway)
        return;
    h->goaway = 1;
    nghttp2_submit_goaway(h->ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h->ng),
                          NGHTTP2_NO_ERROR, NULL, 0);
    bw_px_conn_flush_later(h->c);
}

static void h2_free(void *sess)
{
    struct h2 *h = sess;

    if (h == NULL)
        return;
    while (h->streams)
        h2s_free(h->streams); /* aborts the handlers still working */
    nghttp2_session_del(h->ng);
    free(h);
}

const struct bw_px_sess_ops bw_px_h2_ops = {
    .name = "h2",
    .on_data = h2_on_data,
    .fill = h2_fill,
    .on_flushed = h2_on_flushed,
    .on_eof = h2_on_eof,
    .on_timeout = h2_on_timeout,
    .on_drain = h2_on_drain,
    .free = h2_free,
};

int bw_px_h2_new(struct bw_px_conn *c, struct bw_px_stream *up, const uint8_t *settings, size_t slen, void **out)
{
    const struct bw_px_limits *l = &((const struct bw_px_gen *)c->gen)->conf->limits;
    nghttp2_session_callbacks *cb;
    nghttp2_option *opt;
    nghttp2_settings_entry iv[3];
    struct h2 *h;
    struct h2s *x;
    int rv;

    if ((h = calloc(1, sizeof(*h))) == NULL)
        return BW_ENOMEM;
    h->c = c;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        goto fail_h;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    if (nghttp2_option_new(&opt) != 0)
        goto fail_cb;
    nghttp2_option_set_max_send_header_block_length(opt, 1u << 20);
    rv = nghttp2_session_server_new2(&h->ng, cb, h, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0)
        goto fail_h;
    iv[0].settings_id = NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS;
    iv[0].value = l->max_concurrent_streams;
    iv[1].settings_id = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
    iv[1].value = STREAM_WINDOW;
    iv[2].settings_id = NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE;
    iv[2].value = (uint32_t)l->max_header_bytes;
    if (nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv, 3) != 0)
        goto fail_ng;
    nghttp2_session_set_local_window_size(h->ng, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW);
    if (up) {
        if ((x = h2s_new(h, 1, up)) == NULL)
            goto fail_ng;
        if (nghttp2_session_upgrade2(h->ng, settings, slen, up->req.is_head, x) != 0) {
            x->s = NULL; /* the caller still owns up */
            h2s_unlink(x);
            h2s_release(c->w, x);
            goto fail_ng;
        }
        x->req_done = 1;
        up->req.version = 20;
        start(x);
    }
    bw_px_conn_set_timeout(c, l->idle_timeout_ms);
    bw_px_conn_flush_later(c);
    *out = h;
    return BW_OK;

fail_ng:
    nghttp2_session_del(h->ng);
    goto fail_h;
fail_cb:
    nghttp2_session_callbacks_del(cb);
fail_h:
    free(h);
    return BW_ENOMEM;
}

/* responses */

static struct h2s *h2s_of(struct bw_px_stream *s)
{
    return s->conn->sops == &bw_px_h2_ops ? s->sdata : NULL;
}

static int h2_send_head(struct bw_px_stream *s, int status, const struct bw_hdr *hv, size_t nh, int64_t clen)
{
    struct h2s *x = h2s_of(s);
    nghttp2_nv *nv;
    nghttp2_data_provider prd;
    char st[16], cl[24], *lname;
    size_t i, n = 0, nl;
    int rv, has_date = 0;

    if (x == NULL || s->status || s->conn->closing)
        return BW_EIO;
    if ((nv = bw_arena_alloc(&s->arena, (nh + 4) * sizeof(*nv))) == NULL)
        return BW_ENOMEM;
    nl = status >= 100 && status <= 999 ? bw_px_fmt_u64(st, (uint64_t)status)
                                        : (size_t)snprintf(st, sizeof(st), "%d", status);
    nv[n++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)st, 7, nl, NGHTTP2_NV_FLAG_NONE};
    for (i = 0; i < nh; i++) {
        const struct bw_hdr *y = &hv[i];
        size_t k;
        if (bw_px_hop_by_hop(y->name.base, y->name.len) ||
            (y->name.len == 14 && strncasecmp(y->name.base, "content-length", 14) == 0))
            continue;
        if (y->name.len == 4 && strncasecmp(y->name.base, "date", 4) == 0)
            has_date = 1;
        /* HTTP/2 field names are lower case (RFC 9113 8.2.1) */
        if ((lname = bw_arena_alloc(&s->arena, y->name.len + 1)) == NULL)
            return BW_ENOMEM;
        for (k = 0; k < y->name.len; k++)
            lname[k] = (char)(('A' <= y->name.base[k] && y->name.base[k] <= 'Z') ? y->name.base[k] + 32
                                                                                  : y->name.base[k]);
        nv[n++] = (nghttp2_nv){(uint8_t *)lname, (uint8_t *)y->value.base, y->name.len, y->value.len,
                               NGHTTP2_NV_FLAG_NONE};
    }
    if (!has_date)
        nv[n++] = (nghttp2_nv){(uint8_t *)"date", (uint8_t *)bw_px_http_date(), 4, strlen(bw_px_http_date()),
                               NGHTTP2_NV_FLAG_NONE};
    if (clen >= 0 && status != 204 && status != 304) {
        nl = bw_px_fmt_u64(cl, (uint64_t)clen);
        nv[n++] = (nghttp2_nv){(uint8_t *)"content-length", (uint8_t *)cl, 14, nl, NGHTTP2_NV_FLAG_NONE};
    }
    prd.source.ptr = x;
    prd.read_callback = read_body;
    rv = nghttp2_submit_response(x->h->ng, x->id, nv, n,
                                 s->req.is_head || status == 204 || status == 304 || clen == 0 ? NULL : &prd);
    if (rv != 0)
        return BW_EIO;
    if (s->req.is_head || status == 204 || status == 304 || clen == 0)
        x->eof_out = 1;
    s->status = status;
    bw_px_conn_flush_later(s->conn);
    return BW_OK;
}

static int h2_send_body(struct bw_px_stream *s, const char *p, size_t n, int eof)
{
    struct h2s *x = h2s_of(s);

    if (x == NULL || s->status == 0 || s->done || s->conn->closing)
        return BW_EIO;
    if (n && !x->eof_out) {
        /*
         * A stream the client's flow control holds back is never drained to
         * empty, so read_body() never resets its buffer: drop the framed
         * prefix once it is as large as what is left, or the buffer keeps
         * the whole answer (amortised: each byte moves at most once more).
         */
        if (x->out_off && x->out_off >= x->out.len - x->out_off) {
            memmove(x->out.base, x->out.base + x->out_off, x->out.len - x->out_off);
            x->out.len -= x->out_off;
            x->out_off = 0;
        }
        if (bw_buf_add(&x->out, p, n) != 0)
            return BW_ENOMEM;
        queued(x->h, (int64_t)n);
        s->bytes_out += (int64_t)n;
    }
    if (eof) {
        x->eof_out = 1;
        s->done = 1;
    }
    if (x->deferred) {
        x->deferred = 0;
        nghttp2_session_resume_data(x->h->ng, x->id);
    }
    bw_px_conn_flush_later(s->conn);
    return BW_OK;
}

static size_t h2_pending(struct bw_px_stream *s)
{
    struct h2s *x = h2s_of(s);
    size_t n;

    if (x == NULL)
        return 0;
    n = x->out.len - x->out_off;
    /* over its share of a full connection: count the connection's bytes */
    if (x->h->queued > CONN_QUEUE && n > CONN_QUEUE / x->h->nstreams)
        return BW_MAX(x->h->queued, n);
    return n;
}

static void h2_reset(struct bw_px_stream *s)
{
    struct h2s *x = h2s_of(s);

    if (x == NULL)
        return;
    nghttp2_submit_rst_stream(x->h->ng, NGHTTP2_FLAG_NONE, x->id, NGHTTP2_INTERNAL_ERROR);
    bw_px_conn_flush_later(s->conn);
}

static const struct bw_px_stream_ops h2_stream_ops = {
    .send_head = h2_send_head,
    .send_body = h2_send_body,
    .pending = h2_pending,
    .reset = h2_reset,
};
