/*
 * conn.c: downstream connections: accept, TLS handshake, protocol choice
 * (ALPN on TLS; the HTTP/2 client preface on cleartext), buffered reads and
 * writes, idle timer, lingering close, drain; and the stream helpers every
 * session shares.
 *
 * Lingering close (nginx's lingering_close): when we close after answering
 * a request whose body we did not read (413), closing at once with unread
 * bytes in the receive queue makes the kernel send RST, and the client may
 * lose the answer before reading it. So we shut down our side, read and
 * discard for a short while, and only then close.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "filters/limits.h"
#include "proxy/conn.h"
#include "proxy/log.h"
#include "proxy/tls.h"
#include "proxy/worker.h"

#define RBUF_INIT (16u * 1024)
#define OBUF_MAX (BW_MAX_BODY_BYTES + (1u << 20))
#define LINGER_MS 2000
#define HANDSHAKE_MS 10000

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void on_io(struct bw_px_io *io, uint32_t ev);
static void on_defer(struct bw_px_defer *d);
static void do_flush(struct bw_px_conn *c);

static struct bw_px_conn *of_io(struct bw_px_io *io)
{
    return (struct bw_px_conn *)((char *)io - offsetof(struct bw_px_conn, io));
}

static const struct bw_px_limits *limits_of(const struct bw_px_conn *c)
{
    return &((const struct bw_px_gen *)c->gen)->conf->limits;
}

/* Which epoll events the connection needs now. */
static void update_interest(struct bw_px_conn *c)
{
    uint32_t ev = 0;

    if (c->io.fd < 0)
        return;
    if (c->state == BW_CS_HANDSHAKE)
        return; /* the handshake sets its own */
    if (!c->eof && c->rlen < c->rmax)
        ev |= EPOLLIN;
    if (c->ssl_write_wants_read)
        ev |= EPOLLIN;
    if (bw_px_conn_pending(c) || c->ssl_read_wants_write)
        ev |= EPOLLOUT;
    bw_px_io_modify(&c->w->loop, &c->io, ev);
}

static void arm_timer_cb(struct bw_px_timer *t);

void bw_px_conn_set_timeout(struct bw_px_conn *c, unsigned ms)
{
    c->timeout_ms = ms;
    if (ms == 0)
        bw_px_timer_stop(&c->w->loop, &c->timer);
    else
        bw_px_timer_start(&c->w->loop, &c->timer, ms, arm_timer_cb);
}

static void arm_timer_cb(struct bw_px_timer *t)
{
    struct bw_px_conn *c = (struct bw_px_conn *)((char *)t - offsetof(struct bw_px_conn, timer));

    if (c->closing)
        return;
    if (c->state == BW_CS_CLOSING) { /* lingering close is over */
        bw_px_conn_close(c);
        return;
    }
    if (c->sops && c->sops->on_timeout) {
        if (c->sops->on_timeout(c->sess))
            bw_px_conn_close(c);
        else if (!c->closing && c->timeout_ms)
            bw_px_timer_start(&c->w->loop, &c->timer, c->timeout_ms, arm_timer_cb);
        return;
    }
    bw_px_conn_close(c);
}

static void set_session(struct bw_px_conn *c, const struct bw_px_sess_ops *ops, void *sess, int proto)
{
    c->sops = ops;
    c->sess = sess;
    c->proto = proto;
    c->state = BW_CS_ACTIVE;
}

void bw_px_conn_set_session(struct bw_px_conn *c, const struct bw_px_sess_ops *ops, void *sess, int proto)
{
    set_session(c, ops, sess, proto);
}

static int start_h1(struct bw_px_conn *c)
{
    void *s;

    if (bw_px_h1_new(c, &s) != 0)
        return BW_ENOMEM;
    set_session(c, &bw_px_h1_ops, s, 11);
    return BW_OK;
}

static int start_h2(struct bw_px_conn *c)
{
    void *s;

    if (bw_px_h2_new(c, NULL, NULL, 0, &s) != 0)
        return BW_ENOMEM;
    set_session(c, &bw_px_h2_ops, s, 20);
    return BW_OK;
}

/* Cleartext with HTTP/2 allowed: the client preface says h2c. */
static int sniff(struct bw_px_conn *c)
{
    size_t n = BW_MIN(c->rlen, sizeof(preface) - 1);

    if (memcmp(c->rbuf, preface, n) != 0)
        return start_h1(c);
    if (n < sizeof(preface) - 1)
        return 1; /* not enough yet */
    return start_h2(c);
}

/* Hands buffered input to the session until it stops taking it. */
static void offer(struct bw_px_conn *c)
{
    int guard = 0;

    while (c->rlen && !c->read_paused && !c->closing && c->state != BW_CS_CLOSING && guard++ < 64) {
        size_t used = 0;
        int rv;

        if (c->state == BW_CS_SNIFF) {
            rv = sniff(c);
            if (rv == 1)
                break;
            if (rv < 0) {
                bw_px_conn_close(c);
                return;
            }
            continue;
        }
        rv = c->sops->on_data(c->sess, c->rbuf, c->rlen, &used);
        if (used) {
            if (used < c->rlen)
                memmove(c->rbuf, c->rbuf + used, c->rlen - used);
            c->rlen -= used;
        }
        if (rv < 0) {
            bw_px_conn_close_after_flush(c);
            return;
        }
        if (used == 0)
            break;
    }
}

static void linger_read(struct bw_px_conn *c)
{
    char junk[4096];
    ssize_t n;

    while ((n = recv(c->io.fd, junk, sizeof(junk), 0)) > 0)
        ;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        bw_px_conn_close(c);
}

static void start_linger(struct bw_px_conn *c)
{
    c->state = BW_CS_CLOSING;
    if (c->ssl) {
        SSL_shutdown(c->ssl); /* best effort close_notify */
        ERR_clear_error();
    }
    if (shutdown(c->io.fd, SHUT_WR) != 0) {
        bw_px_conn_close(c);
        return;
    }
    bw_px_io_modify(&c->w->loop, &c->io, EPOLLIN);
    bw_px_timer_start(&c->w->loop, &c->timer, LINGER_MS, arm_timer_cb);
}

static void handshake(struct bw_px_conn *c)
{
    const unsigned char *alpn = NULL;
    unsigned alen = 0;
    int rv, err;
    char eb[256];

    ERR_clear_error();
    rv = SSL_do_handshake(c->ssl);
    if (rv == 1) {
        SSL_get0_alpn_selected(c->ssl, &alpn, &alen);
        if (alen == 2 && memcmp(alpn, "h2", 2) == 0 && c->lis->http2)
            rv = start_h2(c);
        else
            rv = start_h1(c);
        if (rv != 0) {
            bw_px_conn_close(c);
            return;
        }
        bw_px_conn_set_timeout(c, limits_of(c)->request_timeout_ms);
        update_interest(c);
        /* the client's first request may already sit decrypted in OpenSSL */
        c->want_read_pass = 1;
        bw_px_defer(&c->w->loop, &c->defer, on_defer);
        return;
    }
    err = SSL_get_error(c->ssl, rv);
    if (err == SSL_ERROR_WANT_READ)
        bw_px_io_modify(&c->w->loop, &c->io, EPOLLIN);
    else if (err == SSL_ERROR_WANT_WRITE)
        bw_px_io_modify(&c->w->loop, &c->io, EPOLLOUT);
    else {
        if (bw_px_log_on(BW_LOG_DEBUG))
            bw_px_log(BW_LOG_DEBUG, "conn %llu: TLS handshake with %s failed: %s", (unsigned long long)c->id, c->peer,
                      err == SSL_ERROR_SSL ? bw_px_tls_err(eb, sizeof(eb)) : "connection closed");
        ERR_clear_error();
        bw_px_conn_close(c);
    }
}

/* Reads what the socket (and OpenSSL) has, up to the buffer's cap. */
static void do_read(struct bw_px_conn *c)
{
    int i;

    for (i = 0; i < 16; i++) {
        ssize_t n;
        size_t room;

        if (c->rlen == c->rcap) {
            size_t ncap = c->rcap * 2;
            char *p;
            if (ncap > c->rmax)
                ncap = c->rmax;
            if (ncap <= c->rcap)
                break; /* full: the session must consume first */
            if ((p = realloc(c->rbuf, ncap)) == NULL)
                break;
            c->rbuf = p;
            c->rcap = ncap;
        }
        room = c->rcap - c->rlen;
        if (c->ssl) {
            int rv, err;
            ERR_clear_error();
            rv = SSL_read(c->ssl, c->rbuf + c->rlen, (int)BW_MIN(room, (size_t)INT32_MAX));
            if (rv > 0) {
                c->rlen += (size_t)rv;
                continue; /* OpenSSL may hold more records: drain until WANT_READ */
            }
            err = SSL_get_error(c->ssl, rv);
            if (err == SSL_ERROR_WANT_READ)
                break;
            if (err == SSL_ERROR_WANT_WRITE) {
                c->ssl_read_wants_write = 1;
                break;
            }
            if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
                c->eof = 1;
                ERR_clear_error();
                break;
            }
            ERR_clear_error();
            bw_px_conn_close(c);
            return;
        }
        n = recv(c->io.fd, c->rbuf + c->rlen, room, 0);
        if (n > 0) {
            c->rlen += (size_t)n;
            if ((size_t)n < room)
                break; /* the socket is drained; save a syscall */
            continue;
        }
        if (n == 0) {
            c->eof = 1;
            break;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            break;
        bw_px_conn_close(c);
        return;
    }
}

static void on_readable(struct bw_px_conn *c)
{
    do_read(c);
    if (c->closing)
        return;
    offer(c);
    if (c->closing)
        return;
    if (c->eof) {
        if (c->state == BW_CS_ACTIVE && c->sops->on_eof)
            c->sops->on_eof(c->sess);
        else
            bw_px_conn_close(c);
        if (c->closing)
            return;
    }
    update_interest(c);
}

static void on_io(struct bw_px_io *io, uint32_t ev)
{
    struct bw_px_conn *c = of_io(io);

    if (c->closing)
        return;
    if (c->state == BW_CS_HANDSHAKE) {
        handshake(c);
        return;
    }
    if (c->state == BW_CS_CLOSING) {
        linger_read(c);
        return;
    }
    if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (c->ssl_write_wants_read) {
            c->ssl_write_wants_read = 0;
            do_flush(c);
            if (c->closing)
                return;
        }
        on_readable(c);
        if (c->closing)
            return;
    }
    if (ev & EPOLLOUT) {
        if (c->ssl_read_wants_write) {
            c->ssl_read_wants_write = 0;
            on_readable(c);
            if (c->closing)
                return;
        }
        do_flush(c);
    }
}

static void do_flush(struct bw_px_conn *c)
{
    int rounds;

    if (c->state == BW_CS_HANDSHAKE || c->state == BW_CS_CLOSING || c->closing)
        return;
    for (rounds = 0; rounds < 64; rounds++) {
        if (c->sops && c->sops->fill && c->sops->fill(c->sess) < 0) {
            bw_px_conn_close(c);
            return;
        }
        if (bw_px_conn_pending(c) == 0)
            break;
        while (bw_px_conn_pending(c)) {
            size_t len = bw_px_conn_pending(c);
            ssize_t n;
            if (c->ssl) {
                int rv, err;
                ERR_clear_error();
                rv = SSL_write(c->ssl, c->obuf + c->ohead, (int)BW_MIN(len, (size_t)(1u << 30)));
                if (rv > 0) {
                    c->ohead += (size_t)rv;
                    c->last_progress = bw_px_loop_now(&c->w->loop);
                    continue;
                }
                err = SSL_get_error(c->ssl, rv);
                ERR_clear_error();
                if (err == SSL_ERROR_WANT_WRITE)
                    goto blocked;
                if (err == SSL_ERROR_WANT_READ) {
                    c->ssl_write_wants_read = 1;
                    goto blocked;
                }
                bw_px_conn_close(c);
                return;
            }
            n = send(c->io.fd, c->obuf + c->ohead, len, MSG_NOSIGNAL);
            if (n > 0) {
                c->ohead += (size_t)n;
                c->last_progress = bw_px_loop_now(&c->w->loop);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                goto blocked;
            if (n < 0 && errno == EINTR)
                continue;
            bw_px_conn_close(c);
            return;
        }
        c->ohead = c->olen = 0;
    }
    c->ohead = c->olen = 0;
    if (c->close_after_flush) {
        start_linger(c);
        return;
    }
    if (c->sops && c->sops->on_flushed)
        c->sops->on_flushed(c->sess);
    if (c->closing)
        return;
    update_interest(c);
    return;

blocked:
    update_interest(c);
}

static void conn_free(struct bw_px_conn *c)
{
    struct bw_px_worker *w = c->w;

    if (c->sops && c->sops->free)
        c->sops->free(c->sess);
    c->sess = NULL;
    bw_px_timer_stop(&w->loop, &c->timer);
    bw_px_defer_cancel(&w->loop, &c->defer);
    if (c->io.fd >= 0) {
        int fd = c->io.fd;
        bw_px_io_stop(&w->loop, &c->io);
        close(fd);
    }
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    bw_px_ctr_sub(&w->m->conns_open, 1);
    bw_px_gen_unref(c->gen);
    free(c->rbuf);
    free(c->obuf);
    free(c);
    bw_px_worker_conn_closed(w);
}

static void on_defer(struct bw_px_defer *d)
{
    struct bw_px_conn *c = (struct bw_px_conn *)((char *)d - offsetof(struct bw_px_conn, defer));

    if (c->closing) {
        conn_free(c);
        return;
    }
    if (c->want_read_pass && !c->read_paused && c->state != BW_CS_CLOSING) {
        c->want_read_pass = 0;
        if (c->ssl && SSL_pending(c->ssl) > 0)
            on_readable(c);
        else {
            offer(c);
            if (!c->closing && c->eof && c->state == BW_CS_ACTIVE && c->sops->on_eof)
                c->sops->on_eof(c->sess);
        }
        if (c->closing) {
            conn_free(c);
            return;
        }
    }
    do_flush(c);
    if (c->closing) {
        /* do_flush queued the close on this same defer; free on its run */
        return;
    }
}

void bw_px_conn_close(struct bw_px_conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    if (c->io.fd >= 0) {
        int fd = c->io.fd;
        /* stopping marks io dead first, so a stale event of this batch is dropped */
        bw_px_io_stop(&c->w->loop, &c->io);
        close(fd);
    }
    bw_px_timer_stop(&c->w->loop, &c->timer);
    bw_px_defer_cancel(&c->w->loop, &c->defer);
    bw_px_defer(&c->w->loop, &c->defer, on_defer);
}

void bw_px_conn_close_after_flush(struct bw_px_conn *c)
{
    c->close_after_flush = 1;
    bw_px_conn_flush_later(c);
}

void bw_px_conn_flush_later(struct bw_px_conn *c)
{
    if (!c->closing)
        bw_px_defer(&c->w->loop, &c->defer, on_defer);
}

void bw_px_conn_pause(struct bw_px_conn *c, int paused)
{
    c->read_paused = paused ? 1 : 0;
    if (!paused && !c->closing) {
        c->want_read_pass = 1;
        bw_px_defer(&c->w->loop, &c->defer, on_defer);
    }
}

char *bw_px_conn_reserve(struct bw_px_conn *c, size_t n)
{
    size_t need;

    if (c->closing || c->state == BW_CS_CLOSING)
        return NULL;
    if (c->ohead && c->ohead == c->olen)
        c->ohead = c->olen = 0;
    if (n > OBUF_MAX || c->olen > OBUF_MAX - n)
        return NULL;
    need = c->olen + n;
    if (need > c->ocap) {
        size_t ncap = c->ocap ? c->ocap : 16384;
        char *p;
        /* reclaim the written prefix before growing */
        if (c->ohead > 0 && c->olen - c->ohead + n <= c->ocap) {
            memmove(c->obuf, c->obuf + c->ohead, c->olen - c->ohead);
            c->olen -= c->ohead;
            c->ohead = 0;
            return c->obuf + c->olen;
        }
        while (ncap < need)
            ncap *= 2;
        if ((p = realloc(c->obuf, ncap)) == NULL)
            return NULL;
        c->obuf = p;
        c->ocap = ncap;
    }
    return c->obuf + c->olen;
}

void bw_px_conn_commit(struct bw_px_conn *c, size_t n)
{
    c->olen += n;
    bw_px_conn_flush_later(c);
}

int bw_px_conn_write(struct bw_px_conn *c, const void *p, size_t n)
{
    char *d;

    if (n == 0)
        return BW_OK;
    if ((d = bw_px_conn_reserve(c, n)) == NULL)
        return c->closing ? BW_EIO : BW_ENOMEM;
    memcpy(d, p, n);
    bw_px_conn_commit(c, n);
    return BW_OK;
}

int bw_px_conn_accept(struct bw_px_worker *w, struct bw_px_listener *lis, int fd, const struct sockaddr *sa)
{
    struct bw_px_gen *g = w->gen;
    struct bw_px_conn *c;
    SSL_CTX *ctx = NULL;

    if ((c = calloc(1, sizeof(*c))) == NULL) {
        close(fd);
        return BW_ENOMEM;
    }
    c->w = w;
    c->lis = lis;
    c->io.fd = -1;
    c->handler = lis->handler;
    c->gen = g;
    bw_px_gen_ref(g);
    c->id = bw_px_worker_next_id(w);
    c->rmax = limits_of(c)->max_header_bytes + 64 * 1024;
    c->rcap = RBUF_INIT;
    if ((c->rbuf = malloc(c->rcap)) == NULL)
        goto fail;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, c->peer, sizeof(c->peer));
        c->peer_port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, c->peer, sizeof(c->peer));
        c->peer_port = ntohs(in6->sin6_port);
    } else
        snprintf(c->peer, sizeof(c->peer), "unknown");
    if (lis->tls)
        ctx = lis->kind == BW_LK_ADMIN ? g->admin_tls : (lis->index >= 0 ? g->tls[lis->index] : NULL);
    if (lis->tls && ctx == NULL)
        goto fail;
    if (ctx) {
        if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, fd) != 1)
            goto fail;
        SSL_set_accept_state(c->ssl);
        c->state = BW_CS_HANDSHAKE;
    } else if (lis->http2) {
        c->state = BW_CS_SNIFF;
    } else if (start_h1(c) != 0)
        goto fail;
    if (bw_px_io_start(&w->loop, &c->io, fd, EPOLLIN, on_io) != 0)
        goto fail;
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    bw_px_ctr_add(&w->m->conns_open, 1);
    bw_px_ctr_add(&w->m->conns_total, 1);
    bw_px_conn_set_timeout(c, c->ssl ? HANDSHAKE_MS : limits_of(c)->request_timeout_ms);
    if (w->draining)
        bw_px_conn_close(c);
    return BW_OK;

fail:
    if (c->sops && c->sops->free)
        c->sops->free(c->sess);
    if (c->ssl)
        SSL_free(c->ssl);
    close(fd);
    bw_px_gen_unref(c->gen);
    free(c->rbuf);
    free(c);
    return BW_ENOMEM;
}

void bw_px_conn_drain_all(struct bw_px_worker *w)
{
    struct bw_px_conn *c, *next;

    for (c = w->conns; c; c = next) {
        next = c->next;
        if (c->closing || c->draining)
            continue;
        c->draining = 1;
        if (c->state != BW_CS_ACTIVE)
            bw_px_conn_close(c);
        else if (c->sops->on_drain)
            c->sops->on_drain(c->sess);
    }
}

/* streams */

/*
 * Streams are kept for reuse per worker (nginx's and h2o's free lists): a
 * freed stream keeps its arena's memory (reset to one chunk) and its body
 * buffer's storage, so a request of the usual size allocates neither, where
 * before it cost a malloc and free of the 16 KB arena chunk, of the second
 * chunk once the answer was parsed, and the body buffer's regrowth. Only
 * small ones are kept, and only so many: the cache is bounded memory.
 */
/* a variable, not a macro: a cap of 0 (ASan) would make the comparison below a constant one */
static const unsigned stream_cache_max = BW_PX_STREAM_CACHE_MAX;
#define STREAM_KEEP_ARENA (64u * 1024)
#define STREAM_KEEP_BODY (64u * 1024)

struct bw_px_stream *bw_px_stream_new(struct bw_px_conn *c, const struct bw_px_stream_ops *ops)
{
    const struct bw_px_limits *lim = limits_of(c);
    struct bw_px_worker *w = c->w;
    struct bw_px_stream *s = w->sfree;

    if (s != NULL) {
        struct bw_arena arena = s->arena;
        struct bw_buf body = s->req.body;

        w->sfree = s->hdata;
        w->nsfree--;
        memset(s, 0, sizeof(*s));
        s->arena = arena;
        s->req.body = body;
    } else if ((s = calloc(1, sizeof(*s))) == NULL)
        return NULL;
    else {
        bw_arena_init(&s->arena, 0);
        bw_buf_init(&s->req.body, 0);
    }
    s->ops = ops;
    s->conn = c;
    s->handler = c->handler;
    /* headers, parsed bodies and the exchange's state: a few times the body cap */
    s->arena.max = 4 * lim->max_body_bytes + 4 * lim->max_header_bytes + (1u << 20);
    s->req.body.max = lim->max_body_bytes ? lim->max_body_bytes : BW_MAX_BODY_BYTES;
    s->req.clen = -1;
    s->id = bw_px_worker_next_id(w);
    bw_px_ctr_add(&w->m->streams_open, 1);
    return s;
}

void bw_px_stream_abort(struct bw_px_stream *s)
{
    if (s->started && !s->done) {
        s->done = 1;
        if (s->handler && s->handler->on_abort)
            s->handler->on_abort(s);
    }
}

void bw_px_stream_free(struct bw_px_stream *s)
{
    struct bw_px_worker *w;

    if (s == NULL)
        return;
    w = s->conn->w;
    bw_px_stream_abort(s);
    bw_px_ctr_sub(&w->m->streams_open, 1);
    if (w->nsfree < stream_cache_max && s->arena.total <= STREAM_KEEP_ARENA && s->req.body.cap <= STREAM_KEEP_BODY &&
        !w->draining) {
        bw_arena_reset(&s->arena);
        bw_buf_reset(&s->req.body);
        s->hdata = w->sfree; /* the free list's link */
        w->sfree = s;
        w->nsfree++;
        return;
    }
    bw_buf_free(&s->req.body);
    bw_arena_free(&s->arena);
    free(s);
}

void bw_px_stream_cache_free(struct bw_px_worker *w)
{
    struct bw_px_stream *s;

    bw_px_h2_cache_free(w);
    while ((s = w->sfree) != NULL) {
        w->sfree = s->hdata;
        bw_buf_free(&s->req.body);
        bw_arena_free(&s->arena);
        free(s);
    }
    w->nsfree = 0;
}

int bw_px_stream_add_header(struct bw_px_stream *s, const char *name, size_t nlen, const char *value, size_t vlen)
{
    struct bw_px_req *r = &s->req;
    size_t i;
    char *n, *v;

    /* the array grows by doubling inside the arena: powers of two mark a full array */
    if (r->nh == 0 || (r->nh >= 8 && (r->nh & (r->nh - 1)) == 0)) {
        size_t ncap = r->nh ? r->nh * 2 : 8;
        struct bw_hdr *h = bw_arena_alloc(&s->arena, ncap * sizeof(*h));
        if (h == NULL)
            return BW_ENOMEM;
        if (r->nh)
            memcpy(h, r->h, r->nh * sizeof(*h));
        r->h = h;
    }
    if ((n = bw_arena_alloc(&s->arena, nlen + vlen + 2)) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < nlen; i++)
        n[i] = (char)(('A' <= name[i] && name[i] <= 'Z') ? name[i] - 'A' + 'a' : name[i]);
    n[nlen] = '\0';
    v = n + nlen + 1;
    memcpy(v, value, vlen);
    v[vlen] = '\0';
    r->h[r->nh].name.base = n;
    r->h[r->nh].name.len = nlen;
    r->h[r->nh].value.base = v;
    r->h[r->nh].value.len = vlen;
    r->nh++;
    return BW_OK;
}

void bw_px_stream_start(struct bw_px_stream *s)
{
    s->started = 1;
    s->t0_ns = bw_px_clock_ns();
    if (s->handler && s->handler->on_request)
        s->handler->on_request(s);
    else
        bw_px_respond_error(s, 500, "no handler", NULL, 0);
}

const char *bw_px_http_date(void)
{
    static _Thread_local char buf[40];
    static _Thread_local time_t last;
    time_t now = time(NULL);
    struct tm tm;

    if (now != last) {
        gmtime_r(&now, &tm);
        strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        last = now;
    }
    return buf;
}
