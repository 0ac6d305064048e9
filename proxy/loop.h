/*
 * loop.h: the event loop of one thread: epoll for file descriptors, a heap
 * of millisecond timers, and a "deferred" queue run after every batch of
 * events. Each worker thread owns one loop and everything registered on it;
 * nothing here is shared between threads except the mailbox, which is how
 * other threads talk to a loop.
 *
 * The deferred queue is what keeps callbacks from re-entering each other
 * (h2o's "pending" lists): a connection that wants to flush, or an object
 * that wants to free itself while its own callback is still on the stack,
 * queues a deferred call instead of doing it at once. Deferred calls run
 * after the events of the batch, so no event of the batch can find its
 * object freed under it.
 */
#ifndef BW_PX_LOOP_H
#define BW_PX_LOOP_H

#include <pthread.h>
#include <stdint.h>

#include "filters/bw.h"

struct bw_px_loop;

/* A watched file descriptor; embed it in the object that owns the fd. */
struct bw_px_io {
    int fd;          /* -1 when not registered */
    uint32_t events; /* epoll events registered (EPOLLIN, EPOLLOUT) */
    void (*cb)(struct bw_px_io *io, uint32_t revents);
};

/*
 * A one-shot timer; embed it. at == 0 when not armed. Pushing an armed
 * timer's deadline later (a connection's timeout restarted at every
 * request) only records the new deadline: the timer keeps its place in
 * the heap and moves when that place comes up (nginx's timer tree does
 * the same with its lazy delay), so the common restart costs no heap work.
 */
struct bw_px_timer {
    uint64_t at;  /* its place in the heap, ms on the loop's monotonic clock; at <= due */
    uint64_t due; /* the deadline */
    size_t slot;  /* position in the heap + 1; 0 when not in it */
    void (*cb)(struct bw_px_timer *t);
};

/* A call to make after the current batch of events; embed it. */
struct bw_px_defer {
    struct bw_px_defer *next;
    int queued;
    void (*cb)(struct bw_px_defer *d);
};

/* A message posted to a loop from another thread; the receiver frees it. */
struct bw_px_msg {
    struct bw_px_msg *next;
    int type;
    void *arg;
};

struct bw_px_loop {
    int epfd;
    uint64_t now; /* ms, updated once per iteration */
    struct bw_px_timer **heap;
    size_t nheap, heapcap;
    struct bw_px_defer *dhead, *dtail;
    /* mailbox */
    struct bw_px_io mbox_io;
    pthread_mutex_t mbox_mu;
    struct bw_px_msg *mhead, *mtail;
    void (*on_msg)(struct bw_px_loop *l, struct bw_px_msg *m);
    void *data; /* the owner (a worker) */
};

/* Returns 0, or BW_EIO when epoll or the eventfd cannot be created. */
int bw_px_loop_init(struct bw_px_loop *l, void (*on_msg)(struct bw_px_loop *, struct bw_px_msg *), void *data);
/* Frees the loop's own resources; every watcher must be stopped first. */
void bw_px_loop_free(struct bw_px_loop *l);

/*
 * Waits for events at most max_ms (-1: until a timer or event), then runs
 * fd callbacks, expired timers and the deferred queue. Returns the number
 * of events handled or BW_EIO.
 */
int bw_px_loop_run_once(struct bw_px_loop *l, int max_ms);

/* Milliseconds of CLOCK_MONOTONIC, as cached by the loop. */
static inline uint64_t bw_px_loop_now(const struct bw_px_loop *l)
{
    return l->now;
}
uint64_t bw_px_clock_ms(void);
uint64_t bw_px_clock_ns(void);

/* Registers fd with events (EPOLLIN|EPOLLOUT). Returns 0 or BW_EIO. */
int bw_px_io_start(struct bw_px_loop *l, struct bw_px_io *io, int fd, uint32_t events,
                   void (*cb)(struct bw_px_io *, uint32_t));
/* Changes the registered events; a no-op when unchanged. */
int bw_px_io_modify(struct bw_px_loop *l, struct bw_px_io *io, uint32_t events);
/* Unregisters (does not close the fd). Events already fetched for io are dropped. */
void bw_px_io_stop(struct bw_px_loop *l, struct bw_px_io *io);

/* Arms t to fire after ms milliseconds (re-arms when already armed). */
int bw_px_timer_start(struct bw_px_loop *l, struct bw_px_timer *t, uint64_t ms, void (*cb)(struct bw_px_timer *));
void bw_px_timer_stop(struct bw_px_loop *l, struct bw_px_timer *t);

/* Queues d to run after the current batch; a no-op when already queued. */
void bw_px_defer(struct bw_px_loop *l, struct bw_px_defer *d, void (*cb)(struct bw_px_defer *));
/* Removes d from the queue when it is there. */
void bw_px_defer_cancel(struct bw_px_loop *l, struct bw_px_defer *d);

/* Posts m to l from any thread. The loop's on_msg takes ownership. */
void bw_px_loop_post(struct bw_px_loop *l, struct bw_px_msg *m);

#endif
