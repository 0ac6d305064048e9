/*
 * upstream.h: the upstream HTTP client of a worker: libcurl's multi
 * interface driven by the worker's own epoll loop (CURLMOPT_SOCKETFUNCTION,
 * CURLMOPT_TIMERFUNCTION). libcurl gives HTTP/1.1 and HTTP/2 (h2 by ALPN,
 * h2c by prior knowledge), TLS verification, connection reuse per worker
 * and multiplexing; this file adds what a proxy needs on top: first-byte
 * and idle timeouts, a capped answer, bounded retries of attempts that
 * failed before the upstream answered anything, and a failure taxonomy
 * (502 versus 504).
 *
 * Callbacks are never made from inside the call that started the request,
 * nor from inside libcurl's own callbacks: completion is reported from the
 * worker's loop, where the handler may answer, start another request or
 * cancel this one.
 */
#ifndef BW_PX_UPSTREAM_H
#define BW_PX_UPSTREAM_H

#include <sys/socket.h>

#include "filters/buf.h"
#include "proxy/metrics.h"
#include "proxy/msg.h"
#include "proxy/pconf.h"

struct bw_px_worker;
struct bw_px_upclient;
struct bw_px_upreq;
struct bw_px_upres;

/*
 * A cleartext upstream's address, resolved when the configuration is
 * loaded; such upstreams are served by bulwark's own HTTP/1.1 client.
 */
struct bw_px_upaddr {
    struct sockaddr_storage sa;
    socklen_t salen;
    char hostport[300]; /* the Host header */
    const char *base;   /* path prefix of the upstream URL ("" or "/v1") */
};

/* Resolves uc's host when it is an http:// upstream for HTTP/1.1. 0, or BW_ENOTFOUND (use libcurl). */
int bw_px_upaddr_resolve(const struct bw_px_upstream_conf *uc, struct bw_px_upaddr *a);

struct bw_px_upopts {
    const struct bw_px_upstream_conf *uc;
    const struct bw_px_upaddr *addr; /* own HTTP/1.1 client when set, else libcurl */
    const char *method;
    const char *path;          /* with the query; appended to the upstream URL */
    const struct bw_hdr *h;    /* request headers to send, already filtered */
    size_t nh;
    const char *body;          /* borrowed until on_done; NULL for none */
    size_t len;
    size_t max_answer;         /* cap on the answer body */
    /*
     * Streamed answers: when on_data is set the body is handed over as it
     * arrives instead of being collected. on_head comes first, once, with
     * res's status and headers; then on_data per piece; then done (res.rv
     * != 0 there means the answer broke off after its head).
     */
    void (*on_head)(void *ud, struct bw_px_upres *res);
    void (*on_data)(void *ud, const char *p, size_t n);
};

struct bw_px_upres {
    int rv;                    /* 0, BW_ETIMEOUT, BW_EIO, BW_ELIMIT, BW_EPROTO */
    int fail;                  /* enum bw_px_upfail when rv != 0 */
    char err[256];             /* why, for logs (no secrets: libcurl's words) */
    int status;
    struct bw_hdr *h;          /* lower-case names, hop-by-hop removed */
    size_t nh;
    struct bw_buf body;
    int attempts;
    int http_version;          /* 11 or 20 */
    uint64_t ns;               /* from start to the end of the answer */
    int head_sent;             /* streamed: on_head was called */
};

/*
 * Called once when the request ends (success or failure) unless it was
 * cancelled. res stays valid until bw_px_up_release().
 */
typedef void (*bw_px_up_done_fn)(void *ud, struct bw_px_upres *res);

int bw_px_up_new(struct bw_px_worker *w, struct bw_px_upclient **out);
void bw_px_up_free(struct bw_px_upclient *u);

/* Starts a request. Returns 0 with *out set, or BW_ENOMEM (done is not called). */
int bw_px_up_start(struct bw_px_upclient *u, const struct bw_px_upopts *o, bw_px_up_done_fn done, void *ud,
                   struct bw_px_upreq **out);
/* Cancels a request in flight (done is not called) or frees a finished one. */
void bw_px_up_release(struct bw_px_upreq *r);

/*
 * Streamed answers: stops (paused) or resumes reading the answer, for a
 * client that reads slower than the upstream writes. Timeouts wait while
 * paused. Safe to call from on_data.
 */
void bw_px_up_pause(struct bw_px_upreq *r, int paused);

/* Requests in flight (for drain and tests). */
unsigned bw_px_up_inflight(const struct bw_px_upclient *u);

#endif
