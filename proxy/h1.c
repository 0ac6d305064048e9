/*
 * h1.c: the HTTP/1.1 server session (llhttp, strict: no lenient flags, so
 * conflicting Content-Length/Transfer-Encoding and other request-smuggling
 * shapes are 400s).
 *
 * One request at a time: the parser pauses at the end of each message and
 * resumes only once that message's answer is written, so pipelined
 * requests are answered in order without queueing parsed requests. Bytes
 * of the next request wait in the connection's input buffer meanwhile.
 *
 * Limits: the request line and headers together are capped (431), the body
 * is capped (413, before reading it when Content-Length says so), Expect:
 * 100-continue is honoured. An "Upgrade: h2c" request on a cleartext
 * listener that allows HTTP/2 switches the connection to HTTP/2 after the
 * request is read; the request becomes stream 1 (RFC 7540 3.2).
 */
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy/conn.h"
#include "proxy/log.h"
#include "proxy/worker.h"

enum { ST_IDLE = 0, ST_READ, ST_WAIT, ST_WRITE, ST_DEAD };

struct h1 {
    struct bw_px_conn *c;
    llhttp_t parser;
    struct bw_px_stream *s;
    struct bw_buf field, value, url;
    size_t head_bytes;
    int state;
    int err_status;          /* 400, 413, 431, 505 found while parsing */
    const char *err_msg;
    unsigned keep_alive : 1;
    unsigned chunked_out : 1;
    unsigned no_body_out : 1;
    unsigned upgrade_h2c : 1;
    unsigned continue_sent : 1;
    unsigned in_value : 1;
};

static const struct bw_px_stream_ops h1_stream_ops;

static const struct bw_px_limits *lim(const struct h1 *h)
{
    return &((const struct bw_px_gen *)h->c->gen)->conf->limits;
}

static struct h1 *of_parser(llhttp_t *p)
{
    return (struct h1 *)((char *)p - offsetof(struct h1, parser));
}

static int fail(struct h1 *h, int status, const char *msg)
{
    if (h->err_status == 0) {
        h->err_status = status;
        h->err_msg = msg;
    }
    return HPE_USER;
}

static int add_head_bytes(struct h1 *h, size_t n)
{
    h->head_bytes += n;
    return h->head_bytes > lim(h)->max_header_bytes ? -1 : 0;
}

static int on_message_begin(llhttp_t *p)
{
    struct h1 *h = of_parser(p);

    if (h->s == NULL && (h->s = bw_px_stream_new(h->c, &h1_stream_ops)) == NULL)
        return fail(h, 500, "out of memory");
    h->state = ST_READ;
    h->head_bytes = 0;
    bw_buf_reset(&h->field);
    bw_buf_reset(&h->value);
    bw_buf_reset(&h->url);
    h->in_value = 0;
    bw_px_conn_set_timeout(h->c, lim(h)->request_timeout_ms);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
    struct h1 *h = of_parser(p);

    if (add_head_bytes(h, n) != 0 || bw_buf_add(&h->url, at, n) != 0)
        return fail(h, 431, "request line and headers too large");
    return 0;
}

static int commit_header(struct h1 *h)
{
    int rv;

    if (h->field.len == 0)
        return 0;
    rv = bw_px_stream_add_header(h->s, h->field.base, h->field.len, h->value.base ? h->value.base : "",
                                 h->value.len);
    bw_buf_reset(&h->field);
    bw_buf_reset(&h->value);
    h->in_value = 0;
    if (rv != 0)
        return fail(h, rv == BW_ELIMIT ? 431 : 500, "request headers too large");
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    struct h1 *h = of_parser(p);

    if (add_head_bytes(h, n + 4) != 0 || bw_buf_add(&h->field, at, n) != 0)
        return fail(h, 431, "request headers too large");
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    struct h1 *h = of_parser(p);

    h->in_value = 1;
    if (add_head_bytes(h, n) != 0 || bw_buf_add(&h->value, at, n) != 0)
        return fail(h, 431, "request headers too large");
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    return commit_header(of_parser(p));
}

/* Does the comma-separated list in hv contain token (case-insensitive)? */
static int has_token(const struct bw_hdr *hv, const char *token)
{
    const char *s, *e;
    size_t tl = strlen(token);

    if (hv == NULL)
        return 0;
    s = hv->value.base;
    e = s + hv->value.len;
    while (s < e) {
        const char *comma = memchr(s, ',', (size_t)(e - s)), *end = comma ? comma : e;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - s) == tl && strncasecmp(s, token, tl) == 0)
            return 1;
        s = (comma ? comma : e) + 1;
    }
    return 0;
}

/* absolute-form (RFC 9112 3.2.2): take the authority and path out of the URL */
static int split_target(struct h1 *h, struct bw_px_req *r)
{
    const char *u = h->url.base ? h->url.base : "";
    size_t n = h->url.len, skip = 0;
    const char *slash;

    if (n && (u[0] == '/' || (n == 1 && u[0] == '*'))) {
        r->path.base = bw_arena_strndup(&h->s->arena, u, n);
        r->path.len = n;
        return r->path.base ? 0 : -1;
    }
    if (n > 7 && strncasecmp(u, "http://", 7) == 0)
        skip = 7;
    else if (n > 8 && strncasecmp(u, "https://", 8) == 0)
        skip = 8;
    else
        return -1;
    slash = memchr(u + skip, '/', n - skip);
    r->authority.len = slash ? (size_t)(slash - u - skip) : n - skip;
    r->authority.base = bw_arena_strndup(&h->s->arena, u + skip, r->authority.len);
    r->path.base = slash ? bw_arena_strndup(&h->s->arena, slash, (size_t)(u + n - slash)) : "/";
    r->path.len = slash ? (size_t)(u + n - slash) : 1;
    return r->path.base && r->authority.base ? 0 : -1;
}

static int on_headers_complete(llhttp_t *p)
{
    struct h1 *h = of_parser(p);
    struct bw_px_stream *s = h->s;
    struct bw_px_req *r = &s->req;
    const struct bw_hdr *host, *exp, *up;
    const char *m;
    int major = llhttp_get_http_major(p), minor = llhttp_get_http_minor(p);

    if (h->in_value || h->field.len)
        if (commit_header(h) != 0)
            return HPE_USER;
    if (major != 1)
        return fail(h, 505, "only HTTP/1.x is spoken here");
    r->version = 10 + minor;
    m = llhttp_method_name((llhttp_method_t)llhttp_get_method(p));
    r->method.base = m;
    r->method.len = strlen(m);
    r->is_head = strcmp(m, "HEAD") == 0;
    if (strcmp(m, "CONNECT") == 0)
        return fail(h, 405, "CONNECT is not supported");
    if (split_target(h, r) != 0)
        return fail(h, 400, "bad request target");
    r->scheme = h->c->ssl ? BW_IOV("https") : BW_IOV("http");
    if ((host = bw_px_req_header(r, "host")) != NULL && r->authority.base == NULL)
        r->authority = host->value;
    else if (host == NULL && minor >= 1 && r->authority.base == NULL)
        return fail(h, 400, "HTTP/1.1 request without Host");
    h->keep_alive = llhttp_should_keep_alive(p) && !h->c->draining;
    if (p->flags & F_CONTENT_LENGTH) {
        if (p->content_length > lim(h)->max_body_bytes)
            return fail(h, 413, "request body too large");
        r->clen = (int64_t)p->content_length;
        if (bw_buf_reserve(&r->body, (size_t)p->content_length) != 0)
            return fail(h, 413, "request body too large");
    }
    up = bw_px_req_header(r, "upgrade");
    h->upgrade_h2c = up && has_token(up, "h2c") && !h->c->ssl && h->c->lis->http2 &&
                     bw_px_req_header(r, "http2-settings") != NULL &&
                     has_token(bw_px_req_header(r, "connection"), "http2-settings");
    if ((exp = bw_px_req_header(r, "expect")) != NULL) {
        if (exp->value.len == 12 && strncasecmp(exp->value.base, "100-continue", 12) == 0) {
            if (minor >= 1 && !h->continue_sent) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                bw_px_conn_write(h->c, cont, sizeof(cont) - 1);
                h->continue_sent = 1;
            }
        } else
            return fail(h, 417, "unsupported Expect");
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    struct h1 *h = of_parser(p);
    int rv;

    if ((rv = bw_buf_add(&h->s->req.body, at, n)) != 0)
        return fail(h, rv == BW_ELIMIT ? 413 : 500, "request body too large");
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    BW_UNUSED(p);
    /* stop at the end of this message: the next waits until this one is answered */
    return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* Answers an error the session found, then closes (the stream of bytes can't be trusted). */
static void answer_error(struct h1 *h, int status, const char *msg)
{
    if (h->s == NULL && (h->s = bw_px_stream_new(h->c, &h1_stream_ops)) == NULL) {
        bw_px_conn_close(h->c);
        h->state = ST_DEAD;
        return;
    }
    h->keep_alive = 0;
    h->state = ST_WAIT;
    bw_px_respond_error(h->s, status, msg, NULL, 0);
    bw_px_conn_close_after_flush(h->c);
}

/* base64url (RFC 4648 5), for HTTP2-Settings */
static int b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *olen)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        int v;
        char ch = in[i];
        if ('A' <= ch && ch <= 'Z')
            v = ch - 'A';
        else if ('a' <= ch && ch <= 'z')
            v = ch - 'a' + 26;
        else if ('0' <= ch && ch <= '9')
            v = ch - '0' + 52;
        else if (ch == '-' || ch == '+')
            v = 62;
        else if (ch == '_' || ch == '/')
            v = 63;
        else if (ch == '=')
            break;
        else
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *olen = o;
    return 0;
}

static int upgrade(struct h1 *h)
{
    static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    const struct bw_hdr *hs = bw_px_req_header(&h->s->req, "http2-settings");
    uint8_t settings_buf[1024];
    size_t slen = 0;
    struct bw_px_stream *s = h->s;
    struct bw_px_conn *c = h->c;
    void *h2;

    if (hs == NULL || b64url_decode(hs->value.base, hs->value.len, settings_buf, sizeof(settings_buf), &slen) != 0)
        return -1;
    if (bw_px_conn_write(c, sw, sizeof(sw) - 1) != 0)
        return -1;
    h->s = NULL; /* the HTTP/2 session owns the request now */
    if (bw_px_h2_new(c, s, settings_buf, slen, &h2) != 0) {
        bw_px_stream_free(s);
        return -1;
    }
    /* frees h: the caller must not touch it after a successful upgrade */
    bw_px_h1_ops.free(h);
    bw_px_conn_set_session(c, &bw_px_h2_ops, h2, 20);
    return 0;
}

static void dispatch(struct h1 *h)
{
    h->state = ST_WAIT;
    /* the handler's timers decide while it works; this one only catches a client that stops reading */
    bw_px_conn_set_timeout(h->c, lim(h)->idle_timeout_ms);
    bw_px_stream_start(h->s);
}

static int h1_on_data(void *sess, const char *p, size_t n, size_t *consumed)
{
    struct h1 *h = sess;
    llhttp_errno_t err;
    const char *pos;

    *consumed = 0;
    if (h->state == ST_WAIT || h->state == ST_WRITE || h->state == ST_DEAD)
        return 0;
    err = llhttp_execute(&h->parser, p, n);
    if (err == HPE_OK) {
        *consumed = n;
        return 0;
    }
    pos = llhttp_get_error_pos(&h->parser);
    *consumed = pos && pos >= p && pos <= p + n ? (size_t)(pos - p) : n;
    if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
        /* parse the next message from a clean state once this one is answered */
        llhttp_reset(&h->parser);
        if (h->upgrade_h2c && !h->c->draining) {
            if (upgrade(h) != 0) {
                h->upgrade_h2c = 0;
                answer_error(h, 400, "bad HTTP2-Settings");
            }
            return 0;
        }
        if (err == HPE_PAUSED_UPGRADE)
            h->keep_alive = 0; /* an upgrade we decline: what follows is not HTTP/1.1 */
        dispatch(h);
        return 0;
    }
    if (h->err_status)
        answer_error(h, h->err_status, h->err_msg);
    else {
        if (bw_px_log_on(BW_LOG_DEBUG))
            bw_px_log(BW_LOG_DEBUG, "conn %llu: bad HTTP/1.1 request: %s", (unsigned long long)h->c->id,
                      llhttp_errno_name(err));
        answer_error(h, 400, "malformed HTTP/1.1 request");
    }
    return 0;
}

static void finish_request(struct h1 *h)
{
    bw_px_stream_free(h->s);
    h->s = NULL;
    h->chunked_out = h->no_body_out = h->continue_sent = h->upgrade_h2c = 0;
    h->err_status = 0;
    if (!h->keep_alive || h->c->draining) {
        h->state = ST_DEAD;
        bw_px_conn_close_after_flush(h->c);
        return;
    }
    h->state = ST_IDLE;
    bw_px_conn_set_timeout(h->c, lim(h)->idle_timeout_ms);
    bw_px_conn_pause(h->c, 0); /* re-offer a pipelined request already buffered */
}

static void h1_on_flushed(void *sess)
{
    struct h1 *h = sess;

    if (h->state == ST_WRITE)
        finish_request(h);
    else if (h->state == ST_WAIT && h->s && h->s->handler && h->s->handler->on_writable)
        h->s->handler->on_writable(h->s);
}

static void h1_on_eof(void *sess)
{
    struct h1 *h = sess;

    /* a client that hangs up while we wait upstream aborts the exchange (nginx 499) */
    if (h->state == ST_WRITE && bw_px_conn_pending(h->c))
        return; /* half-closed: let the answer go out, then close */
    bw_px_conn_close(h->c);
}

static int h1_on_timeout(void *sess)
{
    struct h1 *h = sess;
    struct bw_px_conn *c = h->c;

    /* a streamed answer that the client stopped reading */
    if (h->state == ST_WAIT && bw_px_conn_pending(c) &&
        bw_px_loop_now(&c->w->loop) - c->last_progress >= lim(h)->idle_timeout_ms)
        return 1;
    /* waiting on the handler: its own timers (upstream timeouts) decide */
    if (h->state == ST_WAIT)
        return 0;
    /* an answer still going out, slowly but going: not idle */
    if (h->state == ST_WRITE && bw_px_conn_pending(c) &&
        bw_px_loop_now(&c->w->loop) - c->last_progress < lim(h)->idle_timeout_ms)
        return 0;
    return 1;
}

static void h1_on_drain(void *sess)
{
    struct h1 *h = sess;

    if (h->state == ST_IDLE || h->state == ST_READ)
        bw_px_conn_close(h->c);
    else
        h->keep_alive = 0;
}

static void h1_free(void *sess)
{
    struct h1 *h = sess;

    if (h == NULL)
        return;
    bw_px_stream_free(h->s);
    bw_buf_free(&h->field);
    bw_buf_free(&h->value);
    bw_buf_free(&h->url);
    free(h);
}

int bw_px_h1_new(struct bw_px_conn *c, void **out)
{
    struct h1 *h = calloc(1, sizeof(*h));
    const struct bw_px_limits *l = &((const struct bw_px_gen *)c->gen)->conf->limits;

    if (h == NULL)
        return BW_ENOMEM;
    h->c = c;
    llhttp_init(&h->parser, HTTP_REQUEST, &settings);
    bw_buf_init(&h->field, l->max_header_bytes);
    bw_buf_init(&h->value, l->max_header_bytes);
    bw_buf_init(&h->url, l->max_header_bytes);
    *out = h;
    return BW_OK;
}

const struct bw_px_sess_ops bw_px_h1_ops = {
    .name = "http/1.1",
    .on_data = h1_on_data,
    .on_flushed = h1_on_flushed,
    .on_eof = h1_on_eof,
    .on_timeout = h1_on_timeout,
    .on_drain = h1_on_drain,
    .free = h1_free,
};

/* responses */

static struct h1 *h1_of(struct bw_px_stream *s)
{
    struct bw_px_conn *c = s->conn;

    return c->sops == &bw_px_h1_ops ? c->sess : NULL;
}

static int add(char **d, const char *s, size_t n)
{
    memcpy(*d, s, n);
    *d += n;
    return 0;
}

static int h1_send_head(struct bw_px_stream *s, int status, const struct bw_hdr *hv, size_t nh, int64_t clen)
{
    struct h1 *h = h1_of(s);
    struct bw_px_conn *c = s->conn;
    size_t need = 128, i;
    char *d, *start, num[64];
    const char *txt = bw_px_status_text(status);
    int has_date = 0;

    if (h == NULL || h->s != s || s->status || c->closing)
        return BW_EIO;
    for (i = 0; i < nh; i++)
        need += hv[i].name.len + hv[i].value.len + 4;
    if ((start = d = bw_px_conn_reserve(c, need)) == NULL)
        return BW_EIO;
    add(&d, "HTTP/1.1 ", 9);
    if (status >= 100 && status <= 999)
        add(&d, num, bw_px_fmt_u64(num, (uint64_t)status));
    else
        add(&d, num, (size_t)snprintf(num, sizeof(num), "%d", status));
    add(&d, " ", 1);
    add(&d, txt, strlen(txt));
    add(&d, "\r\n", 2);
    for (i = 0; i < nh; i++) {
        const struct bw_hdr *x = &hv[i];
        if (bw_px_hop_by_hop(x->name.base, x->name.len) ||
            (x->name.len == 14 && strncasecmp(x->name.base, "content-length", 14) == 0))
            continue;
        if (x->name.len == 4 && strncasecmp(x->name.base, "date", 4) == 0)
            has_date = 1;
        if (memchr(x->value.base, '\n', x->value.len) || memchr(x->value.base, '\r', x->value.len))
            continue; /* never let a value split the response */
        add(&d, x->name.base, x->name.len);
        add(&d, ": ", 2);
        add(&d, x->value.base, x->value.len);
        add(&d, "\r\n", 2);
    }
    h->no_body_out = s->req.is_head || status == 204 || status == 304 || status < 200;
    if (!has_date) {
        add(&d, "date: ", 6);
        add(&d, bw_px_http_date(), strlen(bw_px_http_date()));
        add(&d, "\r\n", 2);
    }
    if (clen >= 0 && status != 204 && status != 304) {
        add(&d, "content-length: ", 16);
        add(&d, num, bw_px_fmt_u64(num, (uint64_t)clen));
        add(&d, "\r\n", 2);
    } else if (clen < 0 && !h->no_body_out) {
        if (s->req.version >= 11) {
            h->chunked_out = 1;
            add(&d, "transfer-encoding: chunked\r\n", 28);
        } else
            h->keep_alive = 0; /* HTTP/1.0: the end of the body is the close */
    }
    if (!h->keep_alive || c->draining) {
        h->keep_alive = 0;
        add(&d, "connection: close\r\n", 19);
    } else if (s->req.version == 10)
        add(&d, "connection: keep-alive\r\n", 24);
    add(&d, "\r\n", 2);
    bw_px_conn_commit(c, (size_t)(d - start));
    s->status = status;
    return BW_OK;
}

static int h1_send_body(struct bw_px_stream *s, const char *p, size_t n, int eof)
{
    struct h1 *h = h1_of(s);
    struct bw_px_conn *c = s->conn;
    char num[32];
    int rv = 0, k;

    if (h == NULL || h->s != s || s->status == 0 || s->done || c->closing)
        return BW_EIO;
    if (n && !h->no_body_out) {
        if (h->chunked_out) {
            k = snprintf(num, sizeof(num), "%zx\r\n", n);
            rv = bw_px_conn_write(c, num, (size_t)k);
            if (rv == 0)
                rv = bw_px_conn_write(c, p, n);
            if (rv == 0)
                rv = bw_px_conn_write(c, "\r\n", 2);
        } else
            rv = bw_px_conn_write(c, p, n);
        s->bytes_out += (int64_t)n;
    }
    if (rv == 0 && eof && h->chunked_out)
        rv = bw_px_conn_write(c, "0\r\n\r\n", 5);
    if (rv != 0) {
        bw_px_conn_close(c);
        return BW_EIO;
    }
    if (eof) {
        s->done = 1;
        h->state = ST_WRITE;
        bw_px_conn_set_timeout(c, lim(h)->idle_timeout_ms);
        bw_px_conn_flush_later(c);
    }
    return BW_OK;
}

static size_t h1_pending(struct bw_px_stream *s)
{
    return bw_px_conn_pending(s->conn);
}

static void h1_reset(struct bw_px_stream *s)
{
    struct h1 *h = h1_of(s);

    if (h)
        h->keep_alive = 0;
    /* what is queued goes out, then the close: a chunked body ends without its last chunk */
    bw_px_conn_close_after_flush(s->conn);
}

static const struct bw_px_stream_ops h1_stream_ops = {
    .send_head = h1_send_head,
    .send_body = h1_send_body,
    .pending = h1_pending,
    .reset = h1_reset,
};
