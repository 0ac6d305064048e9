/*
 * worker.h: a worker thread: its event loop, its listening sockets, its
 * connections, its upstream client, its scanning scratch, its metrics and
 * its reference to the current configuration generation. Nothing of a
 * worker is touched by another thread except its metrics (read with relaxed
 * atomics by /metrics) and its mailbox.
 */
#ifndef BW_PX_WORKER_H
#define BW_PX_WORKER_H

#include <pthread.h>

#include "filters/engine.h"
#include "proxy/gen.h"
#include "proxy/loop.h"
#include "proxy/metrics.h"
#include "proxy/msg.h"

struct bw_px_server;
struct bw_px_upclient;

enum bw_px_lkind { BW_LK_PROXY = 0, BW_LK_ADMIN, BW_LK_MOCK };

struct bw_px_listener {
    struct bw_px_worker *w;
    struct bw_px_io io;
    int fd;
    int index;     /* in conf->listeners; -1 for admin */
    int kind;      /* enum bw_px_lkind */
    int tls;
    int http2;
    const struct bw_px_handler *handler;
};

/* mailbox messages */
enum { BW_MSG_GEN = 1, BW_MSG_DRAIN, BW_MSG_STOP, BW_MSG_RELOADED };

struct bw_px_worker {
    int id;
    pthread_t th;
    struct bw_px_server *srv;
    struct bw_px_loop loop;
    struct bw_px_gen *gen;            /* referenced */
    struct bw_worker eng;             /* scanning scratch */
    struct bw_px_listener *lis;
    size_t nlis;
    unsigned nlis_paused;             /* listeners stopped at max_connections */
    struct bw_px_conn *conns;
    unsigned nconns, max_conns;
    struct bw_px_upclient *up;
    struct bw_px_metrics *m;
    uint64_t next_id;
    int draining, stop;
    struct bw_px_timer drain_timer;
    void *mock;                       /* mock-llm state when serving the mock */
    struct bw_px_stream *sfree;       /* freed streams kept for reuse (conn.c) */
    unsigned nsfree;
    void *h2sfree;                    /* and HTTP/2 stream states (h2.c) */
    unsigned nh2sfree;
};

/* Sets up the loop and metrics of worker id. Returns 0, BW_ENOMEM or BW_EIO. */
int bw_px_worker_init(struct bw_px_worker *w, struct bw_px_server *srv, int id);
/* Watches n listening sockets (lis is taken over, freed with the worker). */
int bw_px_worker_listen(struct bw_px_worker *w, struct bw_px_listener *lis, size_t n);
/* Closes everything of a stopped worker (after its thread was joined). */
void bw_px_worker_free(struct bw_px_worker *w);
/* Runs the loop until stopped; the thread body. */
void *bw_px_worker_main(void *arg);
/* Re-enables paused listeners (a connection closed below the cap). */
void bw_px_worker_conn_closed(struct bw_px_worker *w);
/* Replaces the worker's generation (takes the reference). */
void bw_px_worker_set_gen(struct bw_px_worker *w, struct bw_px_gen *g);
/* A new request id: worker id in the top bits, a counter below. */
uint64_t bw_px_worker_next_id(struct bw_px_worker *w);

#endif
