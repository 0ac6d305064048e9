/*
 * h1client.c: bulwark's own HTTP/1.1 client for cleartext upstreams
 * (h2o's http1client, nginx's upstream module): non-blocking connect on the
 * worker's loop, the request head built once and sent with the body by
 * writev (the body is never copied), the answer parsed by llhttp, and
 * keep-alive connections kept per worker in a pool per upstream address.
 *
 * Why not libcurl for these: in the sidecar's common case (a model server
 * on localhost) libcurl's per-request bookkeeping cost more CPU than the
 * rest of the proxy path together. libcurl still serves TLS and HTTP/2
 * upstreams and hostnames that did not resolve at load time.
 *
 * Retries: a request that failed before any byte of the answer came back
 * is tried again on a fresh connection when the connection was reused from
 * the pool (the server closed an idle keep-alive connection just as we
 * wrote: not counted against "retries"), or when connecting failed (counted).
 */
#include <errno.h>
#include <llhttp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/upstream_int.h"
#include "proxy/worker.h"

#define IDLE_MAX 512          /* idle connections kept per upstream address per worker */
#define KEEPALIVE_MS 30000    /* an idle pooled connection is closed after this */
#define READ_CHUNK 16384

enum { C_CONNECTING = 0, C_SENDING, C_RECEIVING, C_IDLE };

/*
 * Idle connections: a list, most recently used first, so the tail is the
 * one idle longest; one timer per pool closes them from the tail after
 * KEEPALIVE_MS. (A timer per connection cost two heap operations for
 * every request.)
 */
struct bw_px_h1pool {
    struct bw_px_h1pool *next;
    struct bw_px_upclient *u;
    struct sockaddr_storage sa;
    socklen_t salen;
    struct bw_px_h1conn *idle, *idle_tail;
    unsigned nidle;
    struct bw_px_timer sweep;
};

struct bw_px_h1conn {
    struct bw_px_io io;
    struct bw_px_upclient *u;
    struct bw_px_h1pool *pool;
    struct bw_px_upreq *r;
    struct bw_px_h1conn *next, *prev; /* idle list */
    uint64_t idle_since;              /* ms, loop clock */
    struct bw_px_defer free_later;
    struct bw_px_defer send_later;
    llhttp_t p;
    struct bw_buf field, value;
    int state;
    size_t sent;
    unsigned reused : 1;
    unsigned got_bytes : 1;
    unsigned complete : 1;
    unsigned dead : 1;
};

static void arm(struct bw_px_upreq *r);

static void on_conn_io(struct bw_px_io *io, uint32_t ev);
static void req_timer(struct bw_px_timer *t);

int bw_px_upaddr_resolve(const struct bw_px_upstream_conf *uc, struct bw_px_upaddr *a)
{
    struct addrinfo hints, *res = NULL;
    const char *hp, *slash, *colon;
    char host[256], port[8] = "80";
    size_t hl;

    memset(a, 0, sizeof(*a));
    if (uc->https || uc->http == BW_PX_HTTP_2 || strncmp(uc->url, "http://", 7) != 0)
        return BW_ENOTFOUND;
    hp = uc->url + 7;
    slash = strchr(hp, '/');
    hl = slash ? (size_t)(slash - hp) : strlen(hp);
    if (hl == 0 || hl >= sizeof(a->hostport))
        return BW_ENOTFOUND;
    memcpy(a->hostport, hp, hl);
    a->hostport[hl] = '\0';
    a->base = slash ? slash : "";
    if (a->hostport[0] == '[') {
        const char *rb = strchr(a->hostport, ']');
        if (rb == NULL || (size_t)(rb - a->hostport - 1) >= sizeof(host))
            return BW_ENOTFOUND;
        memcpy(host, a->hostport + 1, (size_t)(rb - a->hostport - 1));
        host[rb - a->hostport - 1] = '\0';
        colon = rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = strrchr(a->hostport, ':');
        hl = colon ? (size_t)(colon - a->hostport) : strlen(a->hostport);
        if (hl >= sizeof(host))
            return BW_ENOTFOUND;
        memcpy(host, a->hostport, hl);
        host[hl] = '\0';
    }
    if (colon && snprintf(port, sizeof(port), "%s", colon + 1) >= (int)sizeof(port))
        return BW_ENOTFOUND;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    /* blocking, but only ever on the loading thread (start, reload) */
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
        return BW_ENOTFOUND;
    memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
    a->salen = res->ai_addrlen;
    freeaddrinfo(res);
    return BW_OK;
}

/* connections */

static struct bw_px_h1pool *pool_for(struct bw_px_upclient *u, const struct bw_px_upaddr *a)
{
    struct bw_px_h1pool *p;

    for (p = u->h1pools; p; p = p->next)
        if (p->salen == a->salen && memcmp(&p->sa, &a->sa, a->salen) == 0)
            return p;
    if ((p = calloc(1, sizeof(*p))) == NULL)
        return NULL;
    memcpy(&p->sa, &a->sa, a->salen);
    p->salen = a->salen;
    p->u = u;
    p->next = u->h1pools;
    u->h1pools = p;
    return p;
}

static void unlink_idle(struct bw_px_h1conn *c)
{
    struct bw_px_h1pool *pl = c->pool;

    if (c->prev)
        c->prev->next = c->next;
    else
        pl->idle = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        pl->idle_tail = c->prev;
    pl->nidle--;
    c->next = c->prev = NULL;
}

static void conn_close(struct bw_px_h1conn *c);

/* Closes the connections idle for KEEPALIVE_MS, oldest first; waits for the next one. */
static void on_sweep(struct bw_px_timer *t)
{
    struct bw_px_h1pool *pl = (struct bw_px_h1pool *)((char *)t - offsetof(struct bw_px_h1pool, sweep));
    struct bw_px_loop *l = &pl->u->w->loop;
    uint64_t now = bw_px_loop_now(l);
    struct bw_px_h1conn *c;

    while ((c = pl->idle_tail) != NULL && c->idle_since + KEEPALIVE_MS <= now)
        conn_close(c);
    if (c != NULL)
        bw_px_timer_start(l, &pl->sweep, c->idle_since + KEEPALIVE_MS - now, on_sweep);
}

static void push_idle(struct bw_px_h1conn *c)
{
    struct bw_px_h1pool *pl = c->pool;
    struct bw_px_loop *l = &c->u->w->loop;

    c->state = C_IDLE;
    c->idle_since = bw_px_loop_now(l);
    c->prev = NULL;
    c->next = pl->idle;
    if (pl->idle)
        pl->idle->prev = c;
    else
        pl->idle_tail = c;
    pl->idle = c;
    pl->nidle++;
    if (pl->sweep.slot == 0)
        bw_px_timer_start(l, &pl->sweep, KEEPALIVE_MS, on_sweep);
}

static void conn_free_now(struct bw_px_defer *d)
{
    free((char *)d - offsetof(struct bw_px_h1conn, free_later));
}

static void conn_shut(struct bw_px_h1conn *c)
{
    struct bw_px_loop *l = &c->u->w->loop;

    c->dead = 1;
    if (c->state == C_IDLE)
        unlink_idle(c);
    bw_px_defer_cancel(l, &c->send_later);
    if (c->io.fd >= 0) {
        int fd = c->io.fd;
        bw_px_io_stop(l, &c->io);
        close(fd);
    }
    bw_buf_free(&c->field);
    bw_buf_free(&c->value);
}

/* Closes c; the memory goes after this batch of events (an event for it may be queued). */
static void conn_close(struct bw_px_h1conn *c)
{
    if (c->dead)
        return;
    conn_shut(c);
    bw_px_defer(&c->u->w->loop, &c->free_later, conn_free_now);
}

/* llhttp callbacks for the answer */

static struct bw_px_h1conn *of_p(llhttp_t *p)
{
    return (struct bw_px_h1conn *)((char *)p - offsetof(struct bw_px_h1conn, p));
}

static int on_msg_begin(llhttp_t *p)
{
    struct bw_px_h1conn *c = of_p(p);

    bw_buf_reset(&c->r->hbuf);
    c->r->nhdr = 0;
    bw_buf_reset(&c->field);
    bw_buf_reset(&c->value);
    return 0;
}

static int on_hfield(llhttp_t *p, const char *at, size_t n)
{
    return bw_buf_add(&of_p(p)->field, at, n) == 0 ? 0 : -1;
}

static int on_hvalue(llhttp_t *p, const char *at, size_t n)
{
    return bw_buf_add(&of_p(p)->value, at, n) == 0 ? 0 : -1;
}

static int on_hvalue_done(llhttp_t *p)
{
    struct bw_px_h1conn *c = of_p(p);
    int rv = bw_px_up_add_header(c->r, c->field.base ? c->field.base : "", c->field.len,
                                 c->value.base ? c->value.base : "", c->value.len);

    bw_buf_reset(&c->field);
    bw_buf_reset(&c->value);
    return rv == 0 ? 0 : -1;
}

static int on_hdone(llhttp_t *p)
{
    struct bw_px_h1conn *c = of_p(p);
    int st = llhttp_get_status_code(p);

    if (st >= 200 && c->r->on_data) {
        c->r->res.status = st;
        c->r->res.http_version = 11;
        bw_px_up_head(c->r);
    }
    /* a HEAD answer has no body whatever Content-Length says */
    return c->r->is_head && st >= 200 ? 1 : 0;
}

static int on_rbody(llhttp_t *p, const char *at, size_t n)
{
    struct bw_px_h1conn *c = of_p(p);

    c->r->last_io = bw_px_loop_now(&c->u->w->loop);
    return bw_px_up_body(c->r, at, n) == 0 ? 0 : HPE_USER;
}

static int on_msg_done(llhttp_t *p)
{
    struct bw_px_h1conn *c = of_p(p);

    if (llhttp_get_status_code(p) < 200)
        return 0; /* 1xx: the real answer follows */
    c->complete = 1;
    return HPE_PAUSED;
}

static const llhttp_settings_t rsettings = {
    .on_message_begin = on_msg_begin,
    .on_header_field = on_hfield,
    .on_header_value = on_hvalue,
    .on_header_value_complete = on_hvalue_done,
    .on_headers_complete = on_hdone,
    .on_body = on_rbody,
    .on_message_complete = on_msg_done,
};

/* requests */

static void fail(struct bw_px_upreq *r, int rv, int why, const char *msg)
{
    r->c = NULL;
    r->res.rv = rv;
    r->res.fail = why;
    snprintf(r->res.err, sizeof(r->res.err), "%s", msg);
    r->u->inflight--;
    bw_px_up_report(r);
}

static int attach(struct bw_px_upreq *r);

/* The attempt failed on c before anything came back: try again, or fail. */
static void retry_or_fail(struct bw_px_upreq *r, struct bw_px_h1conn *c, int connecting, int err)
{
    int stale = c->reused && !c->got_bytes, got = c->got_bytes;
    char msg[160];

    conn_close(c);
    r->c = NULL;
    if (stale || (connecting && r->retries_left > 0) || (!got && err == ECONNRESET && r->retries_left > 0)) {
        if (!stale)
            r->retries_left--;
        r->res.attempts++;
        bw_px_ctr_add(&r->u->w->m->upstream_retries, 1);
        bw_buf_reset(&r->res.body);
        bw_buf_reset(&r->hbuf);
        r->nhdr = 0;
        if (attach(r) == 0)
            return;
    }
    snprintf(msg, sizeof(msg), "%s: %s", connecting ? "connect failed" : "connection lost",
             err ? strerror(err) : "closed by the upstream");
    fail(r, BW_EIO, connecting ? BW_UPF_CONNECT : BW_UPF_RESET, msg);
}

static void done(struct bw_px_upreq *r, struct bw_px_h1conn *c, size_t extra)
{
    int keep = llhttp_should_keep_alive(&c->p) && extra == 0 && !c->r->is_head;
    struct bw_px_h1pool *pl = c->pool;

    r->res.status = llhttp_get_status_code(&c->p);
    r->res.http_version = 11;
    c->r = NULL;
    r->c = NULL;
    if (keep && pl->nidle < IDLE_MAX && !r->u->w->draining) {
        c->complete = c->got_bytes = 0;
        push_idle(c);
        llhttp_init(&c->p, HTTP_RESPONSE, &rsettings);
        bw_px_io_modify(&r->u->w->loop, &c->io, EPOLLIN);
    } else
        conn_close(c);
    r->u->inflight--;
    bw_px_up_report(r);
}

static void do_send(struct bw_px_h1conn *c)
{
    struct bw_px_upreq *r = c->r;
    size_t hl = r->head.len, total = hl + r->blen;

    while (c->sent < total) {
        struct iovec iov[2];
        int n = 0;
        ssize_t w;
        if (c->sent < hl) {
            iov[n].iov_base = r->head.base + c->sent;
            iov[n++].iov_len = hl - c->sent;
        }
        if (r->blen) {
            size_t boff = c->sent > hl ? c->sent - hl : 0;
            iov[n].iov_base = (void *)(r->body + boff);
            iov[n++].iov_len = r->blen - boff;
        }
        w = writev(c->io.fd, iov, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                bw_px_io_modify(&c->u->w->loop, &c->io, EPOLLOUT | EPOLLIN);
                return;
            }
            if (errno == EINTR)
                continue;
            retry_or_fail(r, c, 0, errno);
            return;
        }
        c->sent += (size_t)w;
    }
    c->state = C_RECEIVING;
    bw_px_io_modify(&c->u->w->loop, &c->io, EPOLLIN);
}

static void do_recv(struct bw_px_h1conn *c)
{
    struct bw_px_upreq *r = c->r;
    char buf[READ_CHUNK];
    int i, rearm = 0;

    for (i = 0; i < 8; i++) {
        ssize_t n = recv(c->io.fd, buf, sizeof(buf), 0);
        llhttp_errno_t e;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            if (!c->got_bytes) {
                retry_or_fail(r, c, 0, errno);
                return;
            }
            conn_close(c);
            fail(r, BW_EIO, BW_UPF_RESET, "connection lost in the middle of the answer");
            return;
        }
        if (n == 0) {
            if (c->got_bytes && llhttp_message_needs_eof(&c->p) && llhttp_finish(&c->p) == HPE_OK) {
                c->complete = 1;
                done(r, c, 1); /* closed: never reused */
                return;
            }
            if (!c->got_bytes) {
                retry_or_fail(r, c, 0, 0);
                return;
            }
            conn_close(c);
            fail(r, BW_EIO, BW_UPF_RESET, "the upstream closed the connection in the middle of the answer");
            return;
        }
        if (!c->got_bytes) {
            c->got_bytes = 1;
            r->got_head = 1;
            rearm = 1; /* from now on the idle timeout counts, not response_timeout_ms */
        }
        r->last_io = bw_px_loop_now(&c->u->w->loop);
        e = llhttp_execute(&c->p, buf, (size_t)n);
        if (e == HPE_PAUSED && c->complete) {
            const char *pos = llhttp_get_error_pos(&c->p);
            size_t used = pos ? (size_t)(pos - buf) : (size_t)n;
            done(r, c, (size_t)n - used);
            return;
        }
        if (e != HPE_OK) {
            int too_big = e == HPE_USER;
            conn_close(c);
            fail(r, too_big ? BW_ELIMIT : BW_EPROTO, BW_UPF_PROTOCOL,
                 too_big ? "upstream answer too large" : "malformed HTTP/1.1 answer from the upstream");
            return;
        }
        if (rearm) { /* only now: the usual answer, whole in its first read, never needed it */
            rearm = 0;
            arm(r);
        }
        if ((size_t)n < sizeof(buf) || r->paused)
            return;
    }
}

static void on_conn_io(struct bw_px_io *io, uint32_t ev)
{
    struct bw_px_h1conn *c = (struct bw_px_h1conn *)io;
    int err = 0;
    socklen_t el = sizeof(err);

    if (c->dead)
        return;
    if (c->state == C_IDLE) {
        /* the upstream closed (or spoke out of turn on) an idle connection */
        conn_close(c);
        return;
    }
    if (c->state == C_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
            err = errno;
        if (err) {
            retry_or_fail(c->r, c, 1, err);
            return;
        }
        c->state = C_SENDING;
    }
    if (c->state == C_SENDING) {
        do_send(c);
        return;
    }
    if (c->state == C_RECEIVING && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        do_recv(c);
}

static struct bw_px_h1conn *connect_new(struct bw_px_upreq *r, struct bw_px_h1pool *pl, int *err)
{
    struct bw_px_h1conn *c;
    int fd, one = 1;

    *err = 0;
    if ((fd = socket(pl->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
        *err = errno;
        return NULL;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&pl->sa, pl->salen) != 0 && errno != EINPROGRESS) {
        *err = errno;
        close(fd);
        return NULL;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        close(fd);
        *err = ENOMEM;
        return NULL;
    }
    c->u = r->u;
    c->pool = pl;
    c->state = C_CONNECTING;
    bw_buf_init(&c->field, BW_UP_HEADER_BYTES_MAX);
    bw_buf_init(&c->value, BW_UP_HEADER_BYTES_MAX);
    llhttp_init(&c->p, HTTP_RESPONSE, &rsettings);
    if (bw_px_io_start(&r->u->w->loop, &c->io, fd, EPOLLOUT, on_conn_io) != 0) {
        close(fd);
        free(c);
        *err = EIO;
        return NULL;
    }
    return c;
}

static void send_now(struct bw_px_defer *d)
{
    struct bw_px_h1conn *c = (struct bw_px_h1conn *)((char *)d - offsetof(struct bw_px_h1conn, send_later));

    if (!c->dead && c->r && c->state == C_SENDING)
        do_send(c);
}

/* Puts r on an idle connection of its pool, or on a new one. */
static int attach(struct bw_px_upreq *r)
{
    struct bw_px_h1pool *pl = pool_for(r->u, r->addr);
    struct bw_px_h1conn *c;
    int err;

    if (pl == NULL)
        return BW_ENOMEM;
    if ((c = pl->idle) != NULL) {
        unlink_idle(c);
        c->reused = 1;
        c->state = C_SENDING;
    } else if ((c = connect_new(r, pl, &err)) == NULL) {
        char msg[128];
        if (err == ENOMEM || err == EIO || err == EMFILE || err == ENFILE)
            return BW_ENOMEM;
        /* refused at once (loopback): same as a failed connect */
        if (r->retries_left > 0) {
            r->retries_left--;
            r->res.attempts++;
            return attach(r);
        }
        snprintf(msg, sizeof(msg), "connect failed: %s", strerror(err));
        /* report from the loop, never from inside the caller's start() */
        r->res.rv = BW_EIO;
        r->res.fail = BW_UPF_CONNECT;
        snprintf(r->res.err, sizeof(r->res.err), "%s", msg);
        bw_px_timer_start(&r->u->w->loop, &r->timer, 0, req_timer);
        return BW_OK;
    }
    c->r = r;
    c->sent = 0;
    c->got_bytes = c->complete = 0;
    r->c = c;
    /*
     * Written after this batch of events, not now: the requests a batch
     * starts go out together, so the upstream wakes once for them instead
     * of once per request (on a VM a wake-up of an idle upstream is an
     * interrupt to another vCPU), and reads them in one go.
     */
    if (c->state == C_SENDING)
        bw_px_defer(&r->u->w->loop, &c->send_later, send_now);
    return BW_OK;
}

static void arm(struct bw_px_upreq *r)
{
    uint64_t now = bw_px_loop_now(&r->u->w->loop);
    uint64_t at;

    if (r->got_head)
        at = r->last_io + r->uc->idle_timeout_ms;
    else {
        at = r->t0 / 1000000u + r->uc->response_timeout_ms;
        if (r->c && r->c->state == C_CONNECTING && r->t0 / 1000000u + r->uc->connect_timeout_ms < at)
            at = r->t0 / 1000000u + r->uc->connect_timeout_ms;
    }
    bw_px_timer_start(&r->u->w->loop, &r->timer, at > now ? at - now : 1, req_timer);
}

static void req_timer(struct bw_px_timer *t)
{
    struct bw_px_upreq *r = (struct bw_px_upreq *)((char *)t - offsetof(struct bw_px_upreq, timer));
    uint64_t now = bw_px_loop_now(&r->u->w->loop), t0 = r->t0 / 1000000u;
    struct bw_px_h1conn *c = r->c;

    if (c == NULL && r->res.rv != 0) { /* a failure found inside start() */
        r->u->inflight--;
        bw_px_up_report(r);
        return;
    }
    if (r->paused) { /* waiting for our client, not for the upstream */
        r->last_io = now;
        arm(r);
        return;
    }
    if (c && c->state == C_CONNECTING && now >= t0 + r->uc->connect_timeout_ms) {
        conn_close(c);
        fail(r, BW_ETIMEOUT, BW_UPF_TIMEOUT, "connect timeout");
        return;
    }
    if (r->got_head ? now < r->last_io + r->uc->idle_timeout_ms : now < t0 + r->uc->response_timeout_ms) {
        arm(r);
        return;
    }
    if (c)
        conn_close(c);
    fail(r, BW_ETIMEOUT, BW_UPF_TIMEOUT,
         r->got_head ? "upstream idle timeout" : "no answer from upstream within response_timeout_ms");
}

static int build_head(struct bw_px_upreq *r, const struct bw_px_upopts *o)
{
    struct bw_buf *h = &r->head;
    size_t i;
    int has_body = o->body != NULL || strcmp(o->method, "POST") == 0 || strcmp(o->method, "PUT") == 0 ||
                   strcmp(o->method, "PATCH") == 0;

    size_t need = strlen(o->method) + strlen(o->addr->base) + strlen(o->path) + strlen(o->addr->hostport) + 64;

    bw_buf_reset(h); /* a kept request's storage is reused (upstream.c) */
    h->max = BW_UP_HEADER_BYTES_MAX + 8192;
    for (i = 0; i < o->nh; i++)
        need += o->h[i].name.len + o->h[i].value.len + 4;
    bw_buf_reserve(h, need); /* once; a failure shows in the adds below */
    bw_buf_adds(h, o->method);
    bw_buf_addc(h, ' ');
    bw_buf_adds(h, o->addr->base);
    bw_buf_adds(h, o->path);
    bw_buf_add(h, " HTTP/1.1\r\nhost: ", 17);
    bw_buf_adds(h, o->addr->hostport);
    bw_buf_add(h, "\r\n", 2);
    for (i = 0; i < o->nh; i++) {
        bw_buf_add(h, o->h[i].name.base, o->h[i].name.len);
        bw_buf_add(h, ": ", 2);
        bw_buf_add(h, o->h[i].value.base, o->h[i].value.len);
        bw_buf_add(h, "\r\n", 2);
    }
    if (has_body) {
        char num[24];
        bw_buf_add(h, "content-length: ", 16);
        bw_buf_add(h, num, bw_px_fmt_u64(num, o->len));
        bw_buf_add(h, "\r\n", 2);
    }
    return bw_buf_add(h, "\r\n", 2);
}

int bw_px_h1c_start(struct bw_px_upreq *r, const struct bw_px_upopts *o)
{
    int rv;

    r->addr = o->addr;
    r->body = o->body;
    r->blen = o->body ? o->len : 0;
    r->is_head = strcmp(o->method, "HEAD") == 0;
    if ((rv = build_head(r, o)) != 0)
        return rv;
    r->u->inflight++;
    if ((rv = attach(r)) != 0) {
        r->u->inflight--;
        return rv;
    }
    if (r->res.rv == 0)
        arm(r);
    return BW_OK;
}

void bw_px_h1c_pause(struct bw_px_upreq *r, int paused)
{
    struct bw_px_h1conn *c = r->c;

    if (c == NULL || c->dead || c->state != C_RECEIVING)
        return;
    /* level-triggered: what the socket holds waits there until we listen again */
    bw_px_io_modify(&r->u->w->loop, &c->io, paused ? 0 : EPOLLIN);
    if (!paused)
        r->last_io = bw_px_loop_now(&r->u->w->loop);
}

void bw_px_h1c_release(struct bw_px_upreq *r)
{
    if (r->c) {
        /* cancelled mid-exchange: the connection's state is unknown, never reuse it */
        r->c->r = NULL;
        conn_close(r->c);
        r->c = NULL;
        r->u->inflight--;
    } else if (!r->finished && r->res.rv != 0)
        r->u->inflight--; /* failed in start(), report still pending */
    bw_px_timer_stop(&r->u->w->loop, &r->timer);
}

void bw_px_h1c_free_pools(struct bw_px_upclient *u)
{
    struct bw_px_h1pool *p, *next;

    for (p = u->h1pools; p; p = next) {
        next = p->next;
        bw_px_timer_stop(&u->w->loop, &p->sweep);
        while (p->idle) {
            struct bw_px_h1conn *c = p->idle;
            conn_shut(c); /* teardown: no event can come any more, free at once */
            free(c);
        }
        free(p);
    }
    u->h1pools = NULL;
}
