/*
 * conn.h: one downstream connection: the socket, TLS, what protocol it
 * speaks, its input and output buffers and its idle timer. The protocol
 * itself lives in a session (h1.c, h2.c) that the connection feeds bytes to
 * and that writes bytes through it; sessions never touch the socket (the
 * nghttp2 examples' split), which is also what lets the fuzzer drive the
 * HTTP/1.1 session without a socket.
 *
 * Reading stops while the input buffer is full (a paused HTTP/1.1 session
 * holding a pipelined request); writing is buffered and flushed after the
 * current batch of events, so many small writes become one send().
 * Connections are freed only from the deferred queue, never from inside
 * their own callbacks.
 */
#ifndef BW_PX_CONN_H
#define BW_PX_CONN_H

#include <netinet/in.h>
#include <openssl/ssl.h>

#include "filters/bw.h"
#include "proxy/loop.h"
#include "proxy/msg.h"

struct bw_px_worker;
struct bw_px_listener;

/* What a protocol session implements; a NULL slot is a no-op. */
struct bw_px_sess_ops {
    const char *name;
    /*
     * Takes input bytes; sets *consumed (the rest stays buffered and is
     * offered again). Returns 0, or a negative BW_E* to close the connection
     * (after flushing what was queued).
     */
    int (*on_data)(void *sess, const char *p, size_t n, size_t *consumed);
    /* Called before each flush: HTTP/2 serialises frames here. */
    int (*fill)(void *sess);
    /* Everything queued was written. */
    void (*on_flushed)(void *sess);
    /* The peer closed its side (read returned 0). */
    void (*on_eof)(void *sess);
    /* The idle timer fired. Returns non-zero to close at once. */
    int (*on_timeout)(void *sess);
    /* The worker is draining: finish what is in flight, accept nothing new. */
    void (*on_drain)(void *sess);
    /* Frees the session; aborts the streams it still holds. */
    void (*free)(void *sess);
};

enum bw_px_cstate { BW_CS_HANDSHAKE = 0, BW_CS_SNIFF, BW_CS_ACTIVE, BW_CS_CLOSING };

struct bw_px_conn {
    struct bw_px_worker *w;
    struct bw_px_listener *lis;
    struct bw_px_io io;
    struct bw_px_timer timer;
    struct bw_px_defer defer;
    SSL *ssl;
    int state;                     /* enum bw_px_cstate */
    const struct bw_px_sess_ops *sops;
    void *sess;
    const struct bw_px_handler *handler;
    void *gen;                     /* struct bw_px_gen at accept, referenced */
    /* input: bytes read and not yet consumed by the session */
    char *rbuf;
    size_t rlen, rcap, rmax;
    /* output: bytes queued and not yet written; ohead is the written prefix */
    char *obuf;
    size_t ohead, olen, ocap;
    unsigned read_paused : 1;      /* the session asked to stop reading */
    unsigned close_after_flush : 1;
    unsigned closing : 1;
    unsigned eof : 1;
    unsigned want_read_pass : 1;   /* re-offer buffered input after a pause */
    unsigned ssl_read_wants_write : 1;
    unsigned ssl_write_wants_read : 1;
    unsigned draining : 1;
    int proto;                     /* 11 or 20, for logs */
    char peer[64];                 /* address of the client, for x-forwarded-for */
    int peer_port;
    uint64_t id;
    unsigned timeout_ms;           /* the idle timer's period */
    uint64_t last_progress;        /* ms: the last time queued output went out */
    struct bw_px_conn *prev, *next; /* the worker's list */
};

/* Takes over an accepted socket. Returns 0, or BW_E* (fd closed). */
int bw_px_conn_accept(struct bw_px_worker *w, struct bw_px_listener *lis, int fd, const struct sockaddr *sa);

/* Queues bytes (copied) and schedules a flush. BW_ENOMEM, BW_ELIMIT, BW_EIO (closing). */
int bw_px_conn_write(struct bw_px_conn *c, const void *p, size_t n);
/* Reserves n bytes at the end of the output queue; commit with bw_px_conn_commit. */
char *bw_px_conn_reserve(struct bw_px_conn *c, size_t n);
void bw_px_conn_commit(struct bw_px_conn *c, size_t n);
/* Schedules a flush (a session has something to serialise). */
void bw_px_conn_flush_later(struct bw_px_conn *c);
/* Bytes queued and not written. */
static inline size_t bw_px_conn_pending(const struct bw_px_conn *c)
{
    return c->olen - c->ohead;
}

/* Stops or resumes handing input to the session. Resuming re-offers buffered bytes. */
void bw_px_conn_pause(struct bw_px_conn *c, int paused);
/* Closes after the queued output is written. */
void bw_px_conn_close_after_flush(struct bw_px_conn *c);
/* Closes now (queued output is dropped); the free happens deferred. */
void bw_px_conn_close(struct bw_px_conn *c);
/* (Re)arms the idle timer; 0 stops it. */
void bw_px_conn_set_timeout(struct bw_px_conn *c, unsigned ms);

/* Replaces the session (HTTP/1.1 upgraded to h2c). */
void bw_px_conn_set_session(struct bw_px_conn *c, const struct bw_px_sess_ops *ops, void *sess, int proto);

/* Starts a graceful close of every connection of w (drain). */
void bw_px_conn_drain_all(struct bw_px_worker *w);

/* Sessions */
int bw_px_h1_new(struct bw_px_conn *c, void **out);
extern const struct bw_px_sess_ops bw_px_h1_ops;
/*
 * Creates an HTTP/2 server session. With up != NULL the connection was
 * upgraded from HTTP/1.1 (h2c): settings is the decoded HTTP2-Settings
 * payload and up becomes stream 1.
 */
int bw_px_h2_new(struct bw_px_conn *c, struct bw_px_stream *up, const uint8_t *settings, size_t slen, void **out);
extern const struct bw_px_sess_ops bw_px_h2_ops;

/* A new stream for c with an arena and limits; freed with bw_px_stream_free. */
struct bw_px_stream *bw_px_stream_new(struct bw_px_conn *c, const struct bw_px_stream_ops *ops);
void bw_px_stream_free(struct bw_px_stream *s);
/*
 * Freed streams (and HTTP/2 stream states) kept for reuse per worker: at
 * most this many, enough for a full batch of events (256) finishing
 * requests before the next batch starts new ones. None under ASan, where
 * every stream is new so that a use after free stays visible.
 */
#define BW_PX_STREAM_CACHE_MAX (BW_ASAN ? 0 : 256)
/* Frees the worker's streams kept for reuse (at the worker's end). */
void bw_px_stream_cache_free(struct bw_px_worker *w);
void bw_px_h2_cache_free(struct bw_px_worker *w);
/* Adds a header (copied into the stream's arena). BW_ELIMIT when over max_header_bytes. */
int bw_px_stream_add_header(struct bw_px_stream *s, const char *name, size_t nlen, const char *value, size_t vlen);
/* Hands the complete request to the handler. */
void bw_px_stream_start(struct bw_px_stream *s);
/* Tells the handler the stream goes away, when it has not finished. */
void bw_px_stream_abort(struct bw_px_stream *s);

/* The HTTP date of now ("Sun, 06 Nov 1994 08:49:37 GMT"), cached per second. */
const char *bw_px_http_date(void);

#endif
