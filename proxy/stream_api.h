/*
 * stream_api.h: the streamed answers of every API as one neutral sequence
 * of events, and back. The streaming output guard sits between the two
 * halves and sees only the neutral form:
 *
 *   upstream bytes -> bw_sdec (SSE or event-stream, then the API's events)
 *                  -> TEXT / TOOL_ARGS / PASS / STOP / ERROR / DONE
 *   guard: holds back, masks, or blocks the TEXT; keeps the order
 *                  -> bw_senc -> client bytes in the API's own wire form
 *
 * PASS, STOP, DONE and ERROR carry the upstream event (name and payload) and
 * are re-emitted as they came; TEXT and TOOL_ARGS are re-encoded from their
 * text alone, so the guard may split, join or change them. Deltas that
 * also spelled the text another way (OpenAI logprobs) are not re-emitted.
 * The Responses API's summary events (output_text.done, content_part.done,
 * output_item.done, response.completed...) repeat the whole text; the
 * encoder rewrites them with the text it actually sent, and renumbers
 * sequence_number.
 *
 * What the encoder adds itself: the blocked message and the stop with the
 * API's reason (bw_senc_blocked), the API's error event (bw_senc_error),
 * and the trace on the final event (bw_senc_set_trace before DONE):
 * OpenAI a last chunk (chat, completions) or response.completed with a
 * "bulwark_trace" field; Anthropic message_stop with "bulwark_trace";
 * Converse the metadata event's trace.guardrail; InvokeModel the last chunk's
 * amazon-bedrock-guardrailAction and amazon-bedrock-trace.
 */
#ifndef BW_STREAM_API_H
#define BW_STREAM_API_H

#include "filters/buf.h"
#include "proxy/adapter.h"
#include "proxy/evstream.h"
#include "proxy/sse.h"

enum bw_sev_kind {
    BW_SEV_TEXT = 1,  /* a text delta of choice/content block `index` */
    BW_SEV_TOOL_ARGS, /* a tool-call arguments delta (JSON text) of `index` (OpenAI chat: tool call `sub`) */
    BW_SEV_PASS,      /* anything else, re-emitted in order (role, block start/stop, usage, ping, comments) */
    BW_SEV_STOP,      /* the model stopped choice `index` (or the message): text = its stop reason */
    BW_SEV_ERROR,     /* the upstream sent an error event: text = its message */
    BW_SEV_DONE,      /* the end: [DONE], message_stop, response.completed, end of an event stream */
};

#define BW_SEVF_COMMENT 0x1 /* PASS: an SSE comment (data = its text) */

/* One neutral event. Views live until the callback returns; bw_sev_dup() keeps one. */
struct bw_sev {
    int kind;           /* enum bw_sev_kind */
    unsigned flags;     /* BW_SEVF_* */
    uint32_t index;     /* OpenAI chat/completions: choice; Anthropic, Converse: content block; responses: output_index */
    uint32_t sub;       /* OpenAI chat TOOL_ARGS: tool call index; responses: content_index */
    struct bw_iov text; /* TEXT, TOOL_ARGS: the delta (UTF-8, unescaped); STOP: reason; ERROR: message */
    struct bw_iov name; /* the wire event's name (SSE "event:", ":event-type"); may be empty */
    struct bw_iov data; /* the wire event's payload (JSON; InvokeModel: the model's chunk JSON, base64-decoded) */
};

typedef int (*bw_sev_cb)(void *ud, const struct bw_sev *ev);

/* A copy of ev in one malloc'd block (free() it), or NULL (BW_ENOMEM). */
struct bw_sev *bw_sev_dup(const struct bw_sev *ev);

/* Stream context learnt from the upstream: what fresh events must repeat. */
struct bw_sctx {
    char id[128];          /* chatcmpl-..., cmpl-..., msg_..., resp_... */
    char model[256];
    int64_t created;
    char fingerprint[128]; /* OpenAI system_fingerprint */
    char **item_ids;       /* responses: item id by output_index */
    size_t nitems;
    char *tmpl;            /* InvokeModel: the first text chunk of the model, a template for new ones */
    int tmpl_kind;         /* how the text sits in tmpl */
    int native;            /* enum bw_native (InvokeModel) */
    int usage_in, usage_out;
};

struct bw_sdec {
    int api;
    int err;
    struct bw_sse_dec sse;
    struct bw_evs_dec evs;
    struct bw_buf scratch; /* unescaped texts and rewritten payloads of the current event */
    struct bw_buf scratch2;
    struct bw_sctx ctx;
    int done;              /* DONE was given */
    int stopped;           /* a STOP was given */
    bw_sev_cb cb;
    void *ud;
};

/* Initialises a decoder for rq's api (rq->native for InvokeModel). BW_EINVAL for an API without a stream form. */
int bw_sdec_init(struct bw_sdec *d, const struct bw_areq *rq);
void bw_sdec_free(struct bw_sdec *d);

/*
 * Decodes upstream bytes in any split, calling cb per neutral event in
 * order. Returns 0, the callback's non-zero value, BW_EPROTO (framing, CRC,
 * or an event that is not the API's JSON), BW_ELIMIT, BW_ENOMEM. An
 * upstream error event is not an error here: it comes as BW_SEV_ERROR.
 */
int bw_sdec_feed(struct bw_sdec *d, const char *p, size_t n, bw_sev_cb cb, void *ud);

/*
 * The upstream ended. Event-stream APIs (which have no end marker) get
 * their DONE here, and so does an SSE answer that stopped (STOP came) but
 * left out its end marker, as some OpenAI-compatible servers do. Returns
 * 0, or BW_EPROTO when the stream was cut inside an event or ended before
 * the model stopped.
 */
int bw_sdec_finish(struct bw_sdec *d, bw_sev_cb cb, void *ud);

struct bw_senc_item; /* responses: text sent per output item and part */

struct bw_senc {
    int api;
    int native;
    const struct bw_sctx *ctx; /* the decoder's context, may be NULL: defaults below */
    struct bw_sctx own;        /* defaults when the upstream said nothing yet */
    struct bw_buf tmp;
    struct bw_buf tmp2;
    /* what has been sent */
    int started;       /* message_start / messageStart / response.created sent */
    int open;          /* a content block is open (Anthropic, Converse) */
    int open_kind;     /* 0 text, 1 tool use, 2 other */
    uint32_t open_index;
    uint32_t next_index; /* one past the highest block/output index seen */
    uint64_t seen;     /* OpenAI: bit i: choice i seen */
    int stopped;       /* a STOP was sent */
    int done;          /* DONE, blocked or error sent: nothing more */
    int64_t seq;       /* responses: next sequence_number */
    struct bw_senc_item *items;
    size_t nitems;
    char *held;        /* Bedrock: the last non-text event, held for the trace */
    size_t held_len;
    char held_name[64];
    int include_usage;
    int in_tokens;
    /* trace */
    int has_trace, trace_on, gr_client;
    struct bw_trace tr;
    char *tr_mem;
};

/* Initialises an encoder for rq's api; d (may be NULL) lends its context. */
int bw_senc_init(struct bw_senc *e, const struct bw_areq *rq, const struct bw_sdec *d);
void bw_senc_free(struct bw_senc *e);

/*
 * Appends the client bytes for one neutral event. TEXT with an empty text
 * appends nothing. Returns 0, BW_EINVAL (an event this API cannot say),
 * BW_ENOMEM, BW_ELIMIT. After DONE, blocked or error, appends nothing.
 */
int bw_senc_encode(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out);

/*
 * Sets the verdict for the final event (copied). The trace is rendered
 * only when the request asked for it; Bedrock's guardrail action is set
 * whenever the client named a Bedrock guardrail.
 */
int bw_senc_set_trace(struct bw_senc *e, const struct bw_trace *tr);

/*
 * Ends the stream as blocked: starts the message if nothing was sent yet,
 * closes an open tool block, appends message as text, then the stop with
 * the API's reason ("content_filter", "guardrail_intervened", Responses
 * status "incomplete"), the trace and the end marker. InvokeModel's last
 * chunk always says amazon-bedrock-guardrailAction "INTERVENED". Call
 * bw_senc_set_trace() first for a trace with assessments. Returns 0,
 * BW_ENOMEM, BW_ELIMIT.
 */
int bw_senc_blocked(struct bw_senc *e, const char *message, struct bw_buf *out);

/*
 * Ends the stream with the API's error event: OpenAI data: {"error":...}
 * and no [DONE]; Responses "error"; Anthropic event: error; Bedrock an
 * exception message (:message-type exception, :exception-type from status:
 * internalServerException, throttlingException, modelTimeoutException,
 * serviceUnavailableException, validationException,
 * modelStreamErrorException). Returns 0, BW_ENOMEM, BW_ELIMIT.
 */
int bw_senc_error(struct bw_senc *e, int status, const char *message, struct bw_buf *out);

#endif
