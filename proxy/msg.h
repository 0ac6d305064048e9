/*
 * msg.h: one request and its response as every handler sees it, whichever
 * protocol carried it (haproxy's HTX idea: normalise HTTP/1.1 and HTTP/2
 * into one model before anything looks at the message).
 *
 * A server session (h1.c, h2.c) parses a request into a bw_px_stream and
 * hands it, head and body complete, to the listener's handler (the guarded
 * exchange, the admin endpoints, the mock model). The handler answers
 * through the stream's ops, at once or later, in one piece or (streaming)
 * as a head followed by body pieces.
 *
 * Lifetime: the session owns the stream. The handler may keep the stream
 * until it has sent the end of the body (send_body with eof), or until the
 * session calls its on_abort (the peer went away, the stream was reset, the
 * process is stopping); after either it must not touch the stream again.
 */
#ifndef BW_PX_MSG_H
#define BW_PX_MSG_H

#include <stdint.h>

#include "filters/arena.h"
#include "filters/buf.h"
#include "proxy/adapter.h"

struct bw_px_conn;
struct bw_px_stream;

struct bw_px_req {
    struct bw_iov method, path, authority, scheme; /* path with its query */
    struct bw_hdr *h; /* lower-case names, in the stream's arena */
    size_t nh;
    struct bw_buf body;
    int64_t clen;     /* content-length, -1 when not given */
    int version;      /* 10, 11 or 20 */
    int is_head;
};

#define BW_PX_STREAM_HIGH (1u << 20)
#define BW_PX_STREAM_LOW (256u * 1024)

struct bw_px_stream_ops {
    /*
     * Sends the status and headers (copied). clen is the body length, or -1
     * when it is not known yet (chunked in HTTP/1.1). Hop-by-hop headers in h
     * are the caller's bug: they are dropped. Returns 0 or BW_EIO when the
     * stream cannot take a response any more.
     */
    int (*send_head)(struct bw_px_stream *s, int status, const struct bw_hdr *h, size_t nh, int64_t clen);
    /* Sends body bytes (copied); eof ends the response. 0 or BW_EIO. */
    int (*send_body)(struct bw_px_stream *s, const char *p, size_t n, int eof);
    /*
     * Bytes accepted and not yet written to the socket, as a producer should
     * count them (backpressure): pause above BW_PX_STREAM_HIGH, resume below
     * BW_PX_STREAM_LOW (on_writable). HTTP/2 also bounds a connection: a
     * stream over its share of a full connection budget reports the
     * connection's total, which is above the high watermark.
     */
    size_t (*pending)(struct bw_px_stream *s);
    /*
     * Ends a response that cannot be finished (the upstream broke off after
     * its head went out): HTTP/2 resets the stream, HTTP/1.1 closes the
     * connection, so the client sees a truncated answer, never a complete
     * wrong one. The handler's on_abort follows when the stream goes, unless
     * the handler ended first.
     */
    void (*reset)(struct bw_px_stream *s);
};

struct bw_px_handler {
    const char *name;
    /* The request is complete; answer now or later. */
    void (*on_request)(struct bw_px_stream *s);
    /* The stream goes away before the handler ended its response. */
    void (*on_abort)(struct bw_px_stream *s);
    /* Optional: pending() fell below the low watermark (streaming). */
    void (*on_writable)(struct bw_px_stream *s);
    /*
     * Optional: the body of an error the session itself answers (400, 413,
     * 431) in the shape the client expects. Appends to out, sets *ctype.
     */
    int (*error_body)(struct bw_px_stream *s, int status, const char *msg, struct bw_buf *out, const char **ctype);
    /* Optional: the session answered an error itself, the handler never saw the request. */
    void (*on_rejected)(struct bw_px_stream *s, int status, const char *msg);
};

struct bw_px_stream {
    const struct bw_px_stream_ops *ops;
    struct bw_px_conn *conn;
    struct bw_arena arena;   /* the request's memory: headers, handler state */
    struct bw_px_req req;
    const struct bw_px_handler *handler;
    void *hdata;             /* the handler's per-request state */
    void *sdata;             /* the session's per-stream state */
    uint64_t t0_ns;          /* request complete */
    uint64_t id;
    int status;              /* of the response head sent, 0 before */
    int64_t bytes_out;       /* response body bytes sent */
    unsigned started : 1;    /* handler called */
    unsigned done : 1;       /* handler sent eof or was aborted */
};

/* Finds a request header (name lower case). NULL when absent. */
const struct bw_hdr *bw_px_req_header(const struct bw_px_req *r, const char *name);

/* Sends a whole response: head, then body with eof. */
int bw_px_respond(struct bw_px_stream *s, int status, const struct bw_hdr *h, size_t nh, const char *body,
                  size_t len);

/*
 * Answers an error the session or a handler detected, with a JSON body: the
 * handler's error_body shape when it has one, else
 * {"error":{"message":...,"type":...,"code":status}}. extra (may be NULL)
 * are headers to add.
 */
int bw_px_respond_error(struct bw_px_stream *s, int status, const char *msg, const struct bw_hdr *extra,
                        size_t nextra);

/*
 * Writes v in decimal (bw_px_fmt_u64) or as 16 lower-case hex digits
 * (bw_px_fmt_hex16) and a NUL into out, which has room for 21 or 17 bytes;
 * returns the length. The request path's numbers without printf's cost.
 */
size_t bw_px_fmt_u64(char *out, uint64_t v);
size_t bw_px_fmt_hex16(char *out, uint64_t v);

/* "Not Found" for 404, "" for unknown codes. */
const char *bw_px_status_text(int status);

/* Is name a hop-by-hop header (RFC 9110 7.6.1), never forwarded? */
int bw_px_hop_by_hop(const char *name, size_t len);

#endif
