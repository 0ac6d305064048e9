/*
 * sse.h: Server-Sent Events (text/event-stream), the stream form of the
 * OpenAI and Anthropic APIs. An incremental decoder that takes the bytes in
 * any split (inside a "data:" line, between the CR and LF of a line end)
 * and gives the same events, and an encoder.
 *
 * Parsing follows the WHATWG "event stream interpretation": lines end with
 * CRLF, LF or CR; a leading BOM is dropped; ":..." is a comment; "field:
 * value" drops one space after the colon; data lines are joined with LF; a
 * blank line dispatches. Comments are reported too (upstreams use them as
 * keep-alives and the proxy forwards them). Unknown fields are ignored.
 * Each line and each event is capped (BW_ELIMIT).
 */
#ifndef BW_SSE_H
#define BW_SSE_H

#include "filters/buf.h"

/*
 * Default caps. Most events are small, but the Responses API's
 * response.completed repeats the whole answer on one data line, so a line
 * may be as long as an event; AWS caps an event-stream message at 16 MB too.
 */
#define BW_SSE_MAX_LINE (16u << 20)
#define BW_SSE_MAX_EVENT (16u << 20)

/* One decoded event; every view points into the decoder and lives until the callback returns. */
struct bw_sse_event {
    struct bw_iov event; /* "event:" value, empty when absent (the type is then "message") */
    struct bw_iov data;  /* data lines joined with LF, no trailing LF */
    struct bw_iov id;    /* "id:" value of this event, empty when absent */
    int has_id;          /* an "id:" line came (possibly empty) */
    long retry;          /* "retry:" in ms, -1 when absent */
    int comment;         /* 1: a comment line; data holds its text after ':' */
};

/* Called per event; a non-zero return stops the feed, which returns that value. */
typedef int (*bw_sse_cb)(void *ud, const struct bw_sse_event *ev);

struct bw_sse_dec {
    struct bw_buf line;  /* a line split across feeds */
    struct bw_buf data;  /* data of the event being built */
    struct bw_buf name;  /* event: of the event being built */
    struct bw_buf id;
    long retry;
    int has_id;
    int fields;          /* a field line came since the last dispatch */
    int skip_lf;         /* the last byte was a CR: a following LF belongs to it */
    int started;         /* past the optional BOM */
    unsigned char bom[3];
    size_t nbom;
    size_t max_line, max_event;
    int err;             /* sticky error */
};

/* max_line, max_event: 0 for the defaults above. Allocates nothing. */
void bw_sse_dec_init(struct bw_sse_dec *d, size_t max_line, size_t max_event);
void bw_sse_dec_free(struct bw_sse_dec *d);

/*
 * Decodes n bytes, calling cb for each complete event or comment. Returns
 * 0, the callback's non-zero value, BW_ELIMIT (a line or an event over its
 * cap), BW_ENOMEM. Errors are sticky: later feeds return the same code.
 */
int bw_sse_dec_feed(struct bw_sse_dec *d, const char *p, size_t n, bw_sse_cb cb, void *ud);

/*
 * The input ended. Returns 0 when it ended on an event boundary; BW_EPROTO
 * when a line or an event was cut (the spec drops it silently; a proxy must
 * not take half an answer for a whole one).
 */
int bw_sse_dec_finish(struct bw_sse_dec *d);

/*
 * Appends one event: "event: NAME" when name is not NULL, one "data:" line
 * per line of data (LF, CR or CRLF split), and the blank line. BW_ENOMEM,
 * BW_ELIMIT, BW_EINVAL (name holds a line break).
 */
int bw_sse_encode(struct bw_buf *out, const char *name, size_t nlen, const char *data, size_t dlen);

/* Appends a comment ": text" and a blank line (a keep-alive). */
int bw_sse_comment(struct bw_buf *out, const char *text, size_t len);

#endif
