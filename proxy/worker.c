/*
 * worker.c: a worker thread: accepting on its own SO_REUSEPORT sockets
 * (the kernel spreads connections over workers), running its loop, taking
 * new configuration generations from the mailbox, and draining: stop
 * accepting, let in-flight exchanges finish, close idle connections, and
 * after drain_timeout_ms close whatever is left.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/conn.h"
#include "proxy/log.h"
#include "proxy/server.h"
#include "proxy/upstream.h"
#include "proxy/worker.h"

#define ACCEPT_BATCH 16
#define EMFILE_BACKOFF_MS 100

static void on_accept(struct bw_px_io *io, uint32_t ev);

uint64_t bw_px_worker_next_id(struct bw_px_worker *w)
{
    return ((uint64_t)(w->id + 1) << 48) | ++w->next_id;
}

static void listeners_set(struct bw_px_worker *w, int on)
{
    size_t i;

    for (i = 0; i < w->nlis; i++)
        if (w->lis[i].fd >= 0)
            bw_px_io_modify(&w->loop, &w->lis[i].io, on ? EPOLLIN : 0);
    w->nlis_paused = !on;
}

static void on_backoff(struct bw_px_timer *t)
{
    struct bw_px_worker *w = (struct bw_px_worker *)((char *)t - offsetof(struct bw_px_worker, drain_timer));

    if (!w->draining)
        listeners_set(w, 1);
}

void bw_px_worker_conn_closed(struct bw_px_worker *w)
{
    if (w->nlis_paused && !w->draining && w->nconns < w->max_conns)
        listeners_set(w, 1);
}

static void on_accept(struct bw_px_io *io, uint32_t ev)
{
    struct bw_px_listener *lis = (struct bw_px_listener *)((char *)io - offsetof(struct bw_px_listener, io));
    struct bw_px_worker *w = lis->w;
    int i, one = 1;

    BW_UNUSED(ev);
    for (i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage sa;
        socklen_t salen = sizeof(sa);
        int fd;

        if (w->nconns >= w->max_conns) {
            listeners_set(w, 0);
            return;
        }
        fd = accept4(lis->fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                bw_px_log(BW_LOG_WARN, "accept: %s; pausing for %d ms", strerror(errno), EMFILE_BACKOFF_MS);
                listeners_set(w, 0);
                bw_px_timer_start(&w->loop, &w->drain_timer, EMFILE_BACKOFF_MS, on_backoff);
            }
            return;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        bw_px_conn_accept(w, lis, fd, (struct sockaddr *)&sa);
    }
}

static void close_listeners(struct bw_px_worker *w)
{
    size_t i;

    for (i = 0; i < w->nlis; i++)
        if (w->lis[i].fd >= 0) {
            bw_px_io_stop(&w->loop, &w->lis[i].io);
            close(w->lis[i].fd);
            w->lis[i].fd = -1;
        }
}

static void on_drain_timeout(struct bw_px_timer *t)
{
    struct bw_px_worker *w = (struct bw_px_worker *)((char *)t - offsetof(struct bw_px_worker, drain_timer));
    struct bw_px_conn *c;

    if (w->nconns)
        bw_px_log(BW_LOG_WARN, "worker %d: drain timeout, closing %u connections", w->id, w->nconns);
    for (c = w->conns; c; c = c->next)
        bw_px_conn_close(c);
}

static void start_drain(struct bw_px_worker *w)
{
    if (w->draining)
        return;
    w->draining = 1;
    close_listeners(w);
    bw_px_conn_drain_all(w);
    bw_px_timer_start(&w->loop, &w->drain_timer, w->gen->conf->limits.drain_timeout_ms, on_drain_timeout);
}

void bw_px_worker_set_gen(struct bw_px_worker *w, struct bw_px_gen *g)
{
    struct bw_px_gen *old = w->gen;

    w->gen = g;
    if (old)
        bw_px_gen_unref(old);
}

static void on_msg(struct bw_px_loop *l, struct bw_px_msg *m)
{
    struct bw_px_worker *w = l->data;

    switch (m->type) {
    case BW_MSG_GEN:
        bw_px_worker_set_gen(w, m->arg);
        break;
    case BW_MSG_DRAIN:
        start_drain(w);
        break;
    case BW_MSG_STOP:
        start_drain(w);
        on_drain_timeout(&w->drain_timer);
        w->stop = 1;
        break;
    }
    free(m);
}

int bw_px_worker_init(struct bw_px_worker *w, struct bw_px_server *srv, int id)
{
    w->id = id;
    w->srv = srv;
    w->max_conns = 1u << 30;
    if ((w->m = calloc(1, sizeof(*w->m))) == NULL)
        return BW_ENOMEM;
    if (bw_px_loop_init(&w->loop, on_msg, w) != 0) {
        free(w->m);
        w->m = NULL;
        return BW_EIO;
    }
    return BW_OK;
}

int bw_px_worker_listen(struct bw_px_worker *w, struct bw_px_listener *lis, size_t n)
{
    size_t i;

    w->lis = lis;
    w->nlis = n;
    for (i = 0; i < n; i++) {
        lis[i].w = w;
        lis[i].io.fd = -1;
        if (bw_px_io_start(&w->loop, &lis[i].io, lis[i].fd, EPOLLIN, on_accept) != 0)
            return BW_EIO;
    }
    return BW_OK;
}

void bw_px_worker_free(struct bw_px_worker *w)
{
    struct bw_px_conn *c;

    close_listeners(w);
    for (c = w->conns; c; c = c->next)
        bw_px_conn_close(c);
    /* closing is deferred: run the loop until the connections are freed */
    while (w->conns && bw_px_loop_run_once(&w->loop, 0) >= 0)
        ;
    bw_px_timer_stop(&w->loop, &w->drain_timer);
    bw_px_stream_cache_free(w);
    if (w->up)
        bw_px_up_free(w->up);
    w->up = NULL;
    bw_px_loop_free(&w->loop);
    bw_worker_free(&w->eng);
    if (w->gen)
        bw_px_gen_unref(w->gen);
    w->gen = NULL;
    free(w->lis);
    w->lis = NULL;
}

void *bw_px_worker_main(void *arg)
{
    struct bw_px_worker *w = arg;

    if (bw_worker_init(&w->eng) != 0) {
        bw_px_log(BW_LOG_ERROR, "worker %d: cannot allocate scanning scratch", w->id);
        w->stop = 1;
    }
    if (!w->stop && w->up == NULL && bw_px_up_new(w, &w->up) != 0) {
        bw_px_log(BW_LOG_ERROR, "worker %d: cannot create the upstream client", w->id);
        w->stop = 1;
    }
    while (!w->stop) {
        if (bw_px_loop_run_once(&w->loop, -1) < 0) {
            bw_px_log(BW_LOG_ERROR, "worker %d: event loop failed", w->id);
            break;
        }
        bw_px_log_flush();
        if (w->draining && w->nconns == 0)
            w->stop = 1;
    }
    bw_px_log_flush();
    bw_px_server_worker_done(w->srv, w);
    return NULL;
}
