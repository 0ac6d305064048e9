/*
 * spipe.h: the guarded stream pipeline, without I/O. Upstream bytes go in,
 * client bytes come out:
 *
 *   upstream bytes -> bw_sdec (the API's stream, split anywhere)
 *                  -> TEXT / TOOL_ARGS into the streaming output guard
 *                  -> released (checked, masked) text, re-chunked by the
 *                     guard's word steps, and the other events in order
 *                  -> bw_senc -> client bytes in the API's wire form
 *
 * The exchange (proxy/exchange.c) feeds what the upstream sends and writes
 * out what the pipeline produced; unit tests and the fuzzer do the same in
 * memory. The client bytes depend only on the upstream's events' texts and
 * order, never on how the upstream split its bytes or its text into
 * events: the guard steps over the text by words, and every event that is
 * not text waits in a queue until the text that came before it has been
 * released (checked), so it never overtakes text nor lets unchecked text
 * pass. A stop waits for the end of the answer, when the final checks
 * (classifiers, grounding) decide whether the answer ends normally or as
 * blocked.
 *
 * Ends: DONE (the answer ended; on_end saw the verdict and set the trace),
 * BLOCKED (the blocked message as the last text, the API's stop reason,
 * the trace, the end marker), FAILED (the API's error event: a malformed
 * or cut upstream stream, an upstream error event, a limit, a guard fault).
 * After an end the pipeline takes nothing more.
 */
#ifndef BW_PX_SPIPE_H
#define BW_PX_SPIPE_H

#include "policies/stream.h"
#include "proxy/stream_api.h"

enum bw_spipe_state { BW_SPIPE_RUN = 0, BW_SPIPE_DONE, BW_SPIPE_BLOCKED, BW_SPIPE_FAILED };

struct bw_spipe;

struct bw_spipe_opts {
    const struct bw_areq *rq;           /* api, native, trace, gr_id; borrowed, outlives the pipeline */
    int mode;                           /* enum bw_smode */
    const struct bw_engine *span, *cls; /* OUTPUT streaming engines (bw_guardrail.sspan/scls); NULL: none */
    const struct bw_gconf *conf;        /* mask names; may be NULL */
    struct bw_worker *w;                /* the thread's scanning scratch */
    size_t max_text;                    /* cap on the answer's text, all channels; 0: the guard's default */
    const char *blocked_msg;            /* the guardrail's blocked output message */
    const char *source, *query;         /* grounding source and query, or NULL */
    size_t source_len, query_len;
    /*
     * Called once before the final events of a DONE or BLOCKED end (state
     * already set): the owner audits the findings and may call
     * bw_senc_set_trace(&p->enc, ...). May be NULL.
     */
    void (*on_end)(void *ud, struct bw_spipe *p);
    void *ud;
};

struct bw_spipe_q; /* a queued event or released text */

struct bw_spipe_ch {
    int kind;          /* BW_SEV_TEXT or BW_SEV_TOOL_ARGS */
    uint32_t index, sub;
    size_t rel;        /* original text released so far */
};

struct bw_spipe {
    struct bw_spipe_opts o;
    struct bw_sdec dec;
    struct bw_senc enc;
    struct bw_sguard *sg;    /* NULL: no guard (events pass as they come) */
    struct bw_buf out;       /* client bytes produced; the caller sends and resets it */
    int state;               /* enum bw_spipe_state */
    int err;                 /* FAILED: BW_EPROTO, BW_ELIMIT, BW_EIO (upstream error event), ... */
    const char *why;         /* FAILED: for logs, static */
    struct bw_spipe_q *qh, *qt;
    size_t qbytes;
    struct bw_spipe_ch *ch;
    unsigned nch;
    uint64_t ev_in, ev_out;  /* upstream events decoded; events written to the client */
};

/* Initialises p. Returns 0, BW_EINVAL (an API without a stream form), BW_ENOMEM. */
int bw_spipe_init(struct bw_spipe *p, const struct bw_spipe_opts *o);
void bw_spipe_free(struct bw_spipe *p);

/*
 * Feeds upstream bytes (any split). Client bytes are appended to p->out.
 * Returns 0 while running or after a DONE/BLOCKED end; after a FAILED end
 * returns p->err (the API's error event is in p->out). Bytes fed after an
 * end are ignored.
 */
int bw_spipe_feed(struct bw_spipe *p, const char *bytes, size_t n);

/* The upstream ended its answer. An answer cut before its end fails (BW_EPROTO). Returns as bw_spipe_feed. */
int bw_spipe_end(struct bw_spipe *p);

/*
 * Ends a running stream with the API's error event for status and msg
 * (an upstream that went idle, a transport error): nothing held is
 * released. rv is kept in p->err. Returns rv.
 */
int bw_spipe_fail(struct bw_spipe *p, int rv, int status, const char *msg);

/* Text held back (fed, not yet released) over all channels. */
size_t bw_spipe_held(const struct bw_spipe *p);

#endif
