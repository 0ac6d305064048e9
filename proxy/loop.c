/*
 * loop.c: epoll, a binary heap of timers, the deferred queue and the
 * cross-thread mailbox. Level-triggered epoll: a callback that does not
 * drain its fd is called again, which is simpler to get right than
 * edge-triggered bookkeeping and costs nothing measurable here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "proxy/loop.h"

#define MAX_EVENTS 256
/* deferred calls may queue more; bound the rounds so a bug cannot spin */
#define MAX_DEFER_ROUNDS 64

uint64_t bw_px_clock_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bw_px_clock_ms(void)
{
    return bw_px_clock_ns() / 1000000u;
}

static void on_mbox(struct bw_px_io *io, uint32_t revents)
{
    struct bw_px_loop *l = (struct bw_px_loop *)((char *)io - offsetof(struct bw_px_loop, mbox_io));
    struct bw_px_msg *m, *next;
    uint64_t v;

    BW_UNUSED(revents);
    if (read(io->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&l->mbox_mu);
    m = l->mhead;
    l->mhead = l->mtail = NULL;
    pthread_mutex_unlock(&l->mbox_mu);
    for (; m; m = next) {
        next = m->next;
        m->next = NULL;
        if (l->on_msg)
            l->on_msg(l, m);
        else
            free(m);
    }
}

int bw_px_loop_init(struct bw_px_loop *l, void (*on_msg)(struct bw_px_loop *, struct bw_px_msg *), void *data)
{
    int efd;

    memset(l, 0, sizeof(*l));
    l->mbox_io.fd = -1;
    l->on_msg = on_msg;
    l->data = data;
    l->now = bw_px_clock_ms();
    if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
        return BW_EIO;
    if ((efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
        goto fail_efd;
    if (pthread_mutex_init(&l->mbox_mu, NULL) != 0)
        goto fail_mu;
    if (bw_px_io_start(l, &l->mbox_io, efd, EPOLLIN, on_mbox) != 0)
        goto fail_io;
    return BW_OK;

fail_io:
    pthread_mutex_destroy(&l->mbox_mu);
fail_mu:
    close(efd);
fail_efd:
    close(l->epfd);
    l->epfd = -1;
    return BW_EIO;
}

void bw_px_loop_free(struct bw_px_loop *l)
{
    struct bw_px_msg *m, *next;
    int efd = l->mbox_io.fd;

    if (efd >= 0) {
        bw_px_io_stop(l, &l->mbox_io);
        close(efd);
    }
    for (m = l->mhead; m; m = next) {
        next = m->next;
        free(m);
    }
    pthread_mutex_destroy(&l->mbox_mu);
    free(l->heap);
    if (l->epfd >= 0)
        close(l->epfd);
    l->epfd = -1;
}

int bw_px_io_start(struct bw_px_loop *l, struct bw_px_io *io, int fd, uint32_t events,
                   void (*cb)(struct bw_px_io *, uint32_t))
{
    struct epoll_event ev;

    ev.events = events;
    ev.data.ptr = io;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
        return BW_EIO;
    io->fd = fd;
    io->events = events;
    io->cb = cb;
    return BW_OK;
}

int bw_px_io_modify(struct bw_px_loop *l, struct bw_px_io *io, uint32_t events)
{
    struct epoll_event ev;

    if (io->fd < 0)
        return BW_EINVAL;
    if (io->events == events)
        return BW_OK;
    ev.events = events;
    ev.data.ptr = io;
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) == -1)
        return BW_EIO;
    io->events = events;
    return BW_OK;
}

void bw_px_io_stop(struct bw_px_loop *l, struct bw_px_io *io)
{
    if (io->fd < 0)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->fd = -1;
    io->events = 0;
}

/* heap of timers ordered by deadline; slot is the 1-based position */

static void heap_set(struct bw_px_loop *l, size_t i, struct bw_px_timer *t)
{
    l->heap[i] = t;
    t->slot = i + 1;
}

static void heap_up(struct bw_px_loop *l, size_t i)
{
    struct bw_px_timer *t = l->heap[i];

    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (l->heap[p]->at <= t->at)
            break;
        heap_set(l, i, l->heap[p]);
        i = p;
    }
    heap_set(l, i, t);
}

static void heap_down(struct bw_px_loop *l, size_t i)
{
    struct bw_px_timer *t = l->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap)
            break;
        if (c + 1 < l->nheap && l->heap[c + 1]->at < l->heap[c]->at)
            c++;
        if (t->at <= l->heap[c]->at)
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

void bw_px_timer_stop(struct bw_px_loop *l, struct bw_px_timer *t)
{
    size_t i;
    struct bw_px_timer *last;

    if (t->slot == 0)
        return;
    i = t->slot - 1;
    t->slot = 0;
    t->at = t->due = 0;
    last = l->heap[--l->nheap];
    if (i == l->nheap)
        return;
    heap_set(l, i, last);
    heap_up(l, i);
    heap_down(l, last->slot - 1);
}

int bw_px_timer_start(struct bw_px_loop *l, struct bw_px_timer *t, uint64_t ms, void (*cb)(struct bw_px_timer *))
{
    uint64_t due = l->now + (ms ? ms : 1);

    t->cb = cb;
    if (t->slot) {
        if (due >= t->at) { /* later than its place: run_timers moves it when the place comes up */
            t->due = due;
            return BW_OK;
        }
        bw_px_timer_stop(l, t);
    }
    if (l->nheap == l->heapcap) {
        size_t ncap = l->heapcap ? l->heapcap * 2 : 64;
        struct bw_px_timer **h = realloc(l->heap, ncap * sizeof(*h));
        if (h == NULL)
            return BW_ENOMEM;
        l->heap = h;
        l->heapcap = ncap;
    }
    t->at = t->due = due;
    l->heap[l->nheap] = t;
    t->slot = ++l->nheap;
    heap_up(l, l->nheap - 1);
    return BW_OK;
}

static void run_timers(struct bw_px_loop *l)
{
    while (l->nheap && l->heap[0]->at <= l->now) {
        struct bw_px_timer *t = l->heap[0];
        if (t->due > l->now) { /* postponed: to its real place */
            t->at = t->due;
            heap_down(l, 0);
            continue;
        }
        bw_px_timer_stop(l, t);
        t->cb(t);
    }
}

void bw_px_defer(struct bw_px_loop *l, struct bw_px_defer *d, void (*cb)(struct bw_px_defer *))
{
    d->cb = cb;
    if (d->queued)
        return;
    d->queued = 1;
    d->next = NULL;
    if (l->dtail)
        l->dtail->next = d;
    else
        l->dhead = d;
    l->dtail = d;
}

void bw_px_defer_cancel(struct bw_px_loop *l, struct bw_px_defer *d)
{
    struct bw_px_defer **pp, *prev = NULL;

    if (!d->queued)
        return;
    for (pp = &l->dhead; *pp; prev = *pp, pp = &(*pp)->next) {
        if (*pp == d) {
            *pp = d->next;
            if (l->dtail == d)
                l->dtail = prev;
            break;
        }
    }
    d->queued = 0;
    d->next = NULL;
}

static void run_deferred(struct bw_px_loop *l)
{
    int round;

    for (round = 0; round < MAX_DEFER_ROUNDS && l->dhead; round++) {
        struct bw_px_defer *d = l->dhead, *next;
        l->dhead = l->dtail = NULL;
        for (; d; d = next) {
            next = d->next;
            d->next = NULL;
            d->queued = 0;
            d->cb(d);
        }
    }
}

int bw_px_loop_run_once(struct bw_px_loop *l, int max_ms)
{
    struct epoll_event evs[MAX_EVENTS];
    int n, i, wait = max_ms;

    /* work queued outside of an iteration (start-up) must not wait */
    if (l->dhead)
        wait = 0;
    else if (l->nheap) {
        uint64_t now = bw_px_clock_ms();
        uint64_t at = l->heap[0]->at;
        int tw = at <= now ? 0 : (at - now > 60000 ? 60000 : (int)(at - now));
        if (wait < 0 || tw < wait)
            wait = tw;
    }
    n = epoll_wait(l->epfd, evs, MAX_EVENTS, wait);
    l->now = bw_px_clock_ms();
    if (n == -1) {
        if (errno != EINTR)
            return BW_EIO;
        n = 0;
    }
    for (i = 0; i < n; i++) {
        struct bw_px_io *io = evs[i].data.ptr;
        /* an earlier callback of this batch may have stopped io */
        if (io->fd < 0)
            continue;
        io->cb(io, evs[i].events);
    }
    run_deferred(l);
    run_timers(l);
    run_deferred(l);
    return n;
}

void bw_px_loop_post(struct bw_px_loop *l, struct bw_px_msg *m)
{
    uint64_t one = 1;
    ssize_t rv;

    m->next = NULL;
    pthread_mutex_lock(&l->mbox_mu);
    if (l->mtail)
        l->mtail->next = m;
    else
        l->mhead = m;
    l->mtail = m;
    pthread_mutex_unlock(&l->mbox_mu);
    rv = write(l->mbox_io.fd, &one, sizeof(one));
    BW_UNUSED(rv);
}
