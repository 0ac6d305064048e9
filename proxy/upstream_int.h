/*
 * upstream_int.h: what the two upstream backends share, private to
 * upstream.c (libcurl: HTTP/2, TLS, hostnames) and h1client.c (bulwark's
 * own HTTP/1.1 client for cleartext upstreams, the sidecar's common case:
 * a model server on localhost or in the same network).
 */
#ifndef BW_PX_UPSTREAM_INT_H
#define BW_PX_UPSTREAM_INT_H

#include <curl/curl.h>

#include "filters/bw.h"
#include "proxy/loop.h"
#include "proxy/upstream.h"

#define BW_UP_HEADER_BYTES_MAX (256u * 1024)
#define BW_UP_EASY_POOL 256
/* finished requests kept for reuse with their buffers' storage (upstream.c) */
#define BW_UP_REQ_CACHE (BW_ASAN ? 0 : 256)
#define BW_UP_REQ_KEEP (64u * 1024) /* largest buffer a kept request keeps */

struct sockw {
    struct bw_px_io io;
    struct bw_px_upclient *u;
    struct sockw *next_dead;
};

struct bw_px_h1pool;
struct bw_px_h1conn;

struct bw_px_upclient {
    struct bw_px_worker *w;
    CURLM *multi;
    struct bw_px_timer timer;
    struct bw_px_defer kick;  /* libcurl asked for a timeout of 0 */
    struct bw_px_defer reap;  /* frees dead socket watchers */
    struct sockw *dead;
    CURL *pool[BW_UP_EASY_POOL];
    size_t npool;
    unsigned inflight;
    int h2c_no_reuse;         /* this libcurl cannot reuse h2c prior-knowledge connections */
    struct bw_px_h1pool *h1pools; /* idle HTTP/1.1 connections, by upstream address */
    struct bw_px_upreq *rfree;    /* finished requests kept for reuse, linked by ud */
    unsigned nrfree;
};

struct bw_px_upreq {
    struct bw_px_upclient *u;
    bw_px_up_done_fn done;
    void *ud;
    void (*on_head)(void *ud, struct bw_px_upres *res);
    void (*on_data)(void *ud, const char *p, size_t n);
    const struct bw_px_upstream_conf *uc;
    struct bw_px_upres res;
    size_t hcap;        /* res.h's room, in headers */
    struct bw_buf hbuf; /* "name\0value\0" of the last header block */
    size_t nhdr;
    struct bw_px_timer timer;
    uint64_t t0;
    uint64_t last_io;
    int retries_left;
    unsigned in_multi : 1;
    unsigned got_head : 1;
    unsigned finished : 1;
    unsigned paused : 1;  /* streamed: the client is behind */
    unsigned held : 1;    /* libcurl holds a piece we refused while paused */
    /* libcurl */
    CURL *e;
    struct curl_slist *hl;
    char *url;
    /* h1client */
    struct bw_px_h1conn *c;
    const struct bw_px_upaddr *addr;
    struct bw_buf head;   /* request line and headers */
    const char *body;
    size_t blen;
    int is_head;
};

/* Stores a response header (lower-cased; hop-by-hop dropped). 0 or BW_ELIMIT. */
int bw_px_up_add_header(struct bw_px_upreq *r, const char *name, size_t nl, const char *value, size_t vl);
/* Builds res.h from the stored headers and calls done (once). */
void bw_px_up_report(struct bw_px_upreq *r);
/* Streamed answers: builds res.h and calls on_head once (status already in res). */
void bw_px_up_head(struct bw_px_upreq *r);
/* Hands a piece of the answer over (streamed) or collects it. 0, or BW_ELIMIT over the cap. */
int bw_px_up_body(struct bw_px_upreq *r, const char *p, size_t n);

/* h1client.c */
int bw_px_h1c_start(struct bw_px_upreq *r, const struct bw_px_upopts *o);
void bw_px_h1c_release(struct bw_px_upreq *r);
void bw_px_h1c_free_pools(struct bw_px_upclient *u);
void bw_px_h1c_pause(struct bw_px_upreq *r, int paused);

#endif
