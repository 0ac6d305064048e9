/*
 * adapter.h: what the proxy knows about each model API: where the texts of
 * a request and of an answer are, how to put masked text back, how to say
 * "blocked" and "error" in the API's own shape, and how to carry the
 * guardrail trace. Adapters are pure functions over bodies: no sockets.
 *
 * Texts are handed to the guardrail as bw_block (filters/engine.h). Each
 * block remembers the JSON string it came from and, for Bedrock input tags,
 * the slice of that string, so masks can be written back exactly.
 *
 * Bodies are never re-serialised: the new body is the original bytes with
 * only the changed strings replaced and the guardrail fields cut out, so
 * numbers, key order and whitespace reach the upstream (and the client) as
 * they were sent. Request JSON is checked strictly before use: duplicate
 * keys, "\u0000" in strings and nesting over BW_MAX_JSON_DEPTH are refused,
 * because the guardrail and the upstream could read such a body
 * differently (cJSON keeps the first duplicate, most servers the last).
 *
 * Typical exchange (non-streamed):
 *   api = bw_api_detect(method, path, len);
 *   bw_adapter_parse_request(api, ...) -> rq        400 on error: bw_adapter_error()
 *   apply(INPUT, rq.blocks) -> blocked? bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, ...)
 *   bw_adapter_request_body(&rq, masked or NULL, out) -> upstream (re-sign for Bedrock)
 *   bw_adapter_parse_response(&rq, ..., answer) -> rs
 *   apply(OUTPUT, rs.blocks) -> blocked? bw_adapter_blocked(&rq, &rs, BW_DIR_OUTPUT, ...)
 *   bw_adapter_response_body(&rq, &rs, masked or NULL, &trace, out) -> client
 */
#ifndef BW_ADAPTER_H
#define BW_ADAPTER_H

#include <cjson/cJSON.h>

#include "filters/arena.h"
#include "filters/buf.h"
#include "filters/engine.h"

enum bw_api {
    BW_API_NONE = 0,
    BW_API_OPENAI_CHAT,        /* POST /v1/chat/completions */
    BW_API_OPENAI_COMPLETIONS, /* POST /v1/completions */
    BW_API_OPENAI_RESPONSES,   /* POST /v1/responses */
    BW_API_ANTHROPIC,          /* POST /v1/messages */
    BW_API_BEDROCK_INVOKE,     /* POST /model/{id}/invoke and /invoke-with-response-stream */
    BW_API_BEDROCK_CONVERSE,   /* POST /model/{id}/converse and /converse-stream */
    BW_API_GENERIC,            /* JSON pointers given by the route */
    BW_API_APPLY,              /* POST /guardrail/{id}/version/{v}/apply: answered by bulwark */
    BW_API__N
};

/* API families, as a route's "api" key names them. */
enum bw_api_family { BW_FAM_OPENAI = 0, BW_FAM_ANTHROPIC, BW_FAM_BEDROCK, BW_FAM_GENERIC };

/*
 * The provider body inside a Bedrock InvokeModel request, from the model id
 * (anthropic., amazon.titan-, meta., ...) or, failing that, the body's keys.
 */
enum bw_native {
    BW_NAT_UNKNOWN = 0,
    BW_NAT_ANTHROPIC,   /* messages API: content[].text, stop_reason */
    BW_NAT_CLAUDE_TEXT, /* legacy text completions: prompt -> completion */
    BW_NAT_TITAN,       /* inputText -> results[].outputText */
    BW_NAT_NOVA,        /* messages[].content[].text -> output.message.content[].text */
    BW_NAT_LLAMA,       /* prompt -> generation */
    BW_NAT_MISTRAL,     /* prompt -> outputs[].text */
    BW_NAT_CHAT,        /* OpenAI-like messages (Mistral Large 2, AI21 Jamba, gpt-oss) -> choices[].message.content */
    BW_NAT_COHERE,      /* message (+chat_history) -> text */
    BW_NAT_COHERE_GEN,  /* legacy Command: prompt -> generations[].text */
    BW_NAT_DEEPSEEK,    /* prompt -> choices[].text */
    BW_NAT_AI21_J2,     /* prompt -> completions[].data.text */
    BW_NAT__N
};

/* A request or response header, borrowed. */
struct bw_hdr {
    struct bw_iov name;  /* any case: adapters compare without case */
    struct bw_iov value;
};

/* bw_adapter_opts.flags */
#define BW_ADAPT_GUARD_SYSTEM 0x1 /* Converse: guard plain system text too (Bedrock guards only guardContent there) */
#define BW_ADAPT_GUARD_TOOLS 0x2  /* Converse: guard toolResult text and toolUse input too (Bedrock does not) */
#define BW_ADAPT_LAST_TURN 0x4    /* guard only the system prompt and the messages after the last assistant turn */

/* Route settings an adapter reads. */
struct bw_adapter_opts {
    /*
     * Generic API: RFC 6901 JSON pointers to the request's and the answer's
     * texts. A pointer to an array or object takes every string under it;
     * "*" as a whole segment on an array takes every element (an extension).
     * No pointer at all: the whole body is one text, JSON or not.
     */
    const char *const *in_ptrs;
    size_t nin;
    const char *const *out_ptrs;
    size_t nout;
    unsigned flags; /* BW_ADAPT_* */
};

/* Where a block's text lives in the body. */
struct bw_src {
    cJSON *node;       /* the string node; NULL for a context block (see bw_aresp) or the generic raw body */
    size_t off, len;   /* the slice of node->valuestring that is the block */
};

enum bw_trace_mode { BW_TRACE_OFF = 0, BW_TRACE_ON, BW_TRACE_FULL };

struct bw_edits; /* adapter-private: the changes to make to a body */

/* A parsed request. Everything lives in the arena or in root. */
struct bw_areq {
    int api;             /* enum bw_api */
    int stream;          /* the client asked for a streamed answer */
    const struct bw_adapter_opts *opts; /* the route's settings, borrowed (may be NULL) */
    const char *body;    /* the request body, borrowed: must outlive the request */
    size_t body_len;
    cJSON *root;         /* the parsed body (NULL for a non-JSON generic body); freed by bw_areq_free() */
    struct bw_block *blocks; /* texts to guard (INPUT), document order; Bedrock qualifiers set */
    struct bw_src *src;
    size_t nblocks;
    const char *model;   /* model id from the path (URL-decoded) or the body, may be NULL */
    int native;          /* Bedrock InvokeModel: enum bw_native */
    /* Bedrock: guardrail named by the client (headers or guardrailConfig); NULL when none */
    const char *gr_id, *gr_version;
    int trace;           /* enum bw_trace_mode: Bedrock trace header/config, or X-Bulwark-Trace */
    int async;           /* streamProcessingMode: 1 ASYNCHRONOUS / async, -1 SYNCHRONOUS / sync, 0 not given */
    const char *tag_suffix; /* amazon-bedrock-guardrailConfig.tagSuffix */
    int has_tags;        /* Bedrock input tags were found */
    int include_usage;   /* OpenAI stream_options.include_usage */
    int nchoices;        /* OpenAI "n", 1 when absent */
    struct bw_edits *ed; /* guardrail fields and wrappers to strip before upstream */
};

/*
 * A parsed answer (non-streamed). blocks[0..nanswer) are the answer's texts;
 * after them come the request's grounding-source and query blocks (copies
 * of the request blocks with those qualifiers, src[i].node NULL), so that
 * the OUTPUT evaluation of blocks[0..nblocks) can run contextual grounding.
 */
struct bw_aresp {
    const char *body;    /* borrowed, as for the request */
    size_t body_len;
    cJSON *root;
    struct bw_block *blocks;
    struct bw_src *src;
    size_t nblocks;
    size_t nanswer;
};

/*
 * The guardrail's verdict to carry in an answer. The JSON texts are
 * rendered by bw_apply_render_assessment(). Pass one whenever a guardrail
 * ran: it also sets Bedrock's amazon-bedrock-guardrailAction; the trace
 * itself is rendered only when rq->trace is on.
 */
struct bw_trace {
    const char *gr_id;           /* key of the assessment maps */
    const char *action_reason;   /* "Guardrail blocked." ... or NULL */
    const char *input_json;      /* one GuardrailAssessment, or NULL */
    const char *output_json;     /* one GuardrailAssessment, or NULL */
    const char *model_output;    /* the original answer when the output was blocked, or NULL */
    int intervened;              /* either direction intervened (blocked or masked) */
    int out_intervened;          /* the answer itself was blocked or masked */
};

/*
 * The API of a request, from its method and path (a query string is
 * ignored); BW_API_NONE when unknown or not a generation (GET /v1/models,
 * /v1/messages/count_tokens): the proxy passes those through.
 */
int bw_api_detect(const char *method, const char *path, size_t pathlen);
/* "openai-chat", "anthropic", "bedrock-converse", ...; "none" for unknown values. */
const char *bw_api_name(int api);
/* enum bw_api_family from a route's "api" key ("openai", "anthropic", "bedrock", "generic"); -1 when unknown. */
int bw_api_family_from_name(const char *name);
/* The family of an api; -1 for NONE and APPLY. */
int bw_api_family(int api);
/* Is the request's api streamed in AWS event-stream (1) or SSE (0)? */
int bw_api_stream_is_evs(int api);
/* Content-Type of the streamed answer of api ("text/event-stream", "application/vnd.amazon.eventstream"). */
const char *bw_api_stream_ctype(int api);

/*
 * Parses a request body of api. body is borrowed and must outlive rq. path
 * is the request path (Bedrock model id, "-stream" forms); headers h[0..nh)
 * carry Bedrock's X-Amzn-Bedrock-GuardrailIdentifier/-Version/-Trace,
 * Content-Type, and X-Bulwark-Trace (enabled|disabled|enabled_full, any
 * API). o may be NULL; it is kept in rq->opts and must outlive rq. Blocks
 * point into root, never into body (except the generic API's whole-body
 * block). nblocks may be 0 (a tool-only turn): then there is nothing to
 * guard, do not call apply().
 *
 * BW_API_APPLY has no adapter (bw_apply_parse() reads it): BW_EINVAL.
 * Returns 0; BW_EINVAL with a message fit for a 400 answer in err (for
 * Bedrock in ValidationException words): malformed JSON (with its byte
 * offset), a duplicate key, a field of the wrong type, a guardrail
 * identifier without a version, amazon-bedrock-guardrailConfig without an
 * identifier, a non-JSON Content-Type with a guardrail, a bad tagSuffix,
 * streamProcessingMode on Converse, unbalanced or nested input tags, OpenAI
 * token-array prompts (they cannot be guarded), more than BW_MAX_BLOCKS
 * texts; BW_ENOMEM, BW_ELIMIT. On failure rq holds nothing to free
 * (bw_areq_free() is still safe).
 */
int bw_adapter_parse_request(int api, const char *path, const struct bw_adapter_opts *o, const struct bw_hdr *h,
                             size_t nh, const char *body, size_t len, struct bw_arena *a, struct bw_areq *rq,
                             char *err, size_t errlen);
/* Frees rq's parsed body (blocks become invalid); what it took from the arena goes with the arena. */
void bw_areq_free(struct bw_areq *rq);

/*
 * Appends to out the body to send upstream: masked[i] replaces block i's
 * slice (masked NULL, or masked[i].base NULL: unchanged), Bedrock input
 * tags, amazon-bedrock-guardrailConfig and Converse guardrailConfig removed,
 * Converse guardContent blocks turned into plain text (or image) blocks.
 * When nothing changes, out receives the original bytes. Returns 0,
 * BW_ENOMEM, BW_ELIMIT.
 */
int bw_adapter_request_body(const struct bw_areq *rq, const struct bw_iov *masked, struct bw_buf *out);

/*
 * Would bw_adapter_request_body() change anything (a masked text, a
 * guardrail field or input tag to strip)? When not, the original body can
 * go upstream as it is, without a copy. Returns 1 or 0.
 */
int bw_adapter_request_changed(const struct bw_areq *rq, const struct bw_iov *masked);

/*
 * Parses a non-streamed answer of rq's api (body borrowed, must outlive
 * rs). Returns 0; BW_EINVAL (with err) when it is not that API's JSON, or
 * when it is an error object: the caller forwards upstream errors as they
 * are; BW_ENOMEM.
 */
int bw_adapter_parse_response(const struct bw_areq *rq, const struct bw_adapter_opts *o, const char *body,
                              size_t len, struct bw_arena *a, struct bw_aresp *rs, char *err, size_t errlen);
/* Frees rs's parsed body, as bw_areq_free(). */
void bw_aresp_free(struct bw_aresp *rs);

/*
 * Appends the answer to send back: masked[i] for answer block i (or NULL);
 * when a text was masked, OpenAI logprobs (which spell the original tokens)
 * become null. With tr: Bedrock's amazon-bedrock-guardrailAction when the
 * client named a Bedrock guardrail; Converse stopReason
 * "guardrail_intervened" when the answer was masked; and, when rq->trace
 * is on, the trace: "amazon-bedrock-trace" (InvokeModel), "trace.guardrail"
 * (Converse), "bulwark_trace" (OpenAI, Anthropic, generic). Returns 0,
 * BW_ENOMEM, BW_ELIMIT.
 */
int bw_adapter_response_body(const struct bw_areq *rq, const struct bw_aresp *rs, const struct bw_iov *masked,
                             const struct bw_trace *tr, struct bw_buf *out);

/*
 * Appends a complete HTTP 200 answer in the API's own shape saying the
 * guardrail blocked, with message as the assistant text: OpenAI
 * finish_reason "content_filter" (chat.completion, text_completion, or a
 * response object with status "incomplete"), Anthropic stop_reason
 * "guardrail_intervened" with stop_sequence null, Bedrock InvokeModel the
 * model's own body with amazon-bedrock-guardrailAction "INTERVENED",
 * Converse stopReason "guardrail_intervened" with output, usage, metrics.
 * dir (enum bw_dir) says whether the prompt or the answer was blocked; rs
 * (may be NULL) gives the upstream answer's id, model and usage. The trace
 * is added as for bw_adapter_response_body(). A streamed request without
 * an answer (its prompt was blocked) gets the whole blocked stream instead
 * (bw_senc_blocked: SSE or event-stream, except for the generic API). Sets
 * *content_type (static). Returns 0, BW_ENOMEM, BW_ELIMIT.
 */
int bw_adapter_blocked(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *message,
                       const struct bw_trace *tr, struct bw_buf *out, const char **content_type);

/*
 * Appends an error body in the API's own error shape for an HTTP status:
 * OpenAI {"error":{"message","type","param","code"}}, Anthropic
 * {"type":"error","error":{"type","message"}}, Bedrock {"message"} with
 * *errtype set to the x-amzn-ErrorType header value
 * (ValidationException, ResourceNotFoundException, ThrottlingException,
 * ...); *errtype is NULL for the other APIs. Sets *content_type (static).
 * errtype may be NULL when not wanted. Returns 0, BW_ENOMEM, BW_ELIMIT.
 */
int bw_adapter_error(int api, int status, const char *message, struct bw_buf *out, const char **content_type,
                     const char **errtype);

/* The error type name (OpenAI "type", Anthropic "error.type", Bedrock x-amzn-ErrorType) for a status. */
const char *bw_adapter_error_type(int api, int status);

#endif
