/*
 * adapter.h: what the proxy knows about each model API: where the texts of
 * a request and of an answer are, how to put masked text back, how to say
 * "blocked" and "error" in the API's own shape, and how to carry the
 * guardrail trace. Adapters are pure functions over bodies: no sockets.
 *
 * Texts are handed to the guardrail as bw_block (filters/engine.h). Each
 * block remembers the JSON string it came from and, for Bedrock input tags,
 * the slice of that string, so masks can be written back exactly.
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

/* A request or response header, borrowed. */
struct bw_hdr {
    struct bw_iov name;  /* lower case */
    struct bw_iov value;
};

/* Route settings an adapter reads. */
struct bw_adapter_opts {
    const char *const *in_ptrs; /* generic: RFC 6901 JSON pointers to request texts */
    size_t nin;
    const char *const *out_ptrs; /* generic: JSON pointers to answer texts */
    size_t nout;
};

/* Where a block's text lives in the body. */
struct bw_src {
    cJSON *node;       /* the string node */
    size_t off, len;   /* the slice of node->valuestring that is the block */
};

enum bw_trace_mode { BW_TRACE_OFF = 0, BW_TRACE_ON, BW_TRACE_FULL };

/* A parsed request. Everything lives in the arena or in root. */
struct bw_areq {
    int api;             /* enum bw_api */
    int stream;          /* the client asked for a streamed answer */
    cJSON *root;         /* the body; owned, freed by bw_areq_free() */
    struct bw_block *blocks; /* texts to guard (INPUT), document order */
    struct bw_src *src;
    size_t nblocks;
    const char *model;   /* model id from the path or the body, may be NULL */
    /* Bedrock: guardrail named by the client (headers or guardrailConfig) */
    const char *gr_id, *gr_version;
    int trace;           /* enum bw_trace_mode */
    int async;           /* streamProcessingMode ASYNCHRONOUS / async */
    const char *tag_suffix; /* amazon-bedrock-guardrailConfig.tagSuffix */
};

/* A parsed answer (non-streamed). */
struct bw_aresp {
    cJSON *root;
    struct bw_block *blocks; /* texts of the answer (OUTPUT) */
    struct bw_src *src;
    size_t nblocks;
};

/* Trace to carry in an answer; JSON texts rendered by bw_apply_render_assessment(). */
struct bw_trace {
    const char *gr_id;
    const char *action_reason;   /* "Guardrail blocked." ... or NULL */
    const char *input_json;      /* one GuardrailAssessment, or NULL */
    const char *output_json;     /* one GuardrailAssessment, or NULL */
    const char *model_output;    /* the original answer when the output was blocked */
    int intervened;
};

/* The API of a request, from its method and path; BW_API_NONE when unknown. */
int bw_api_detect(const char *method, const char *path, size_t pathlen);
const char *bw_api_name(int api);
/* "openai", "anthropic", "bedrock", "generic" from a route's "api" key; -1 unknown. */
int bw_api_family_from_name(const char *name);

/*
 * Parses a request body of api. Headers are needed for Bedrock's
 * X-Amzn-Bedrock-* guardrail headers. Returns 0 or BW_EINVAL with a message
 * fit for a 400 answer in err.
 */
int bw_adapter_parse_request(int api, const char *path, const struct bw_adapter_opts *o, const struct bw_hdr *h,
                             size_t nh, const char *body, size_t len, struct bw_arena *a, struct bw_areq *rq,
                             char *err, size_t errlen);
void bw_areq_free(struct bw_areq *rq);

/*
 * The body to send upstream: masked texts written back (masked[i] for block
 * i, or NULL for none), Bedrock input tags and guardrail fields removed.
 */
int bw_adapter_request_body(const struct bw_areq *rq, const struct bw_iov *masked, struct bw_buf *out);

/* Parses a non-streamed answer of rq's api. BW_EINVAL when it is not that API's JSON. */
int bw_adapter_parse_response(const struct bw_areq *rq, const struct bw_adapter_opts *o, const char *body,
                              size_t len, struct bw_arena *a, struct bw_aresp *rs, char *err, size_t errlen);
void bw_aresp_free(struct bw_aresp *rs);

/*
 * The answer to send back: masked texts written back (or NULL), the trace
 * when tr is not NULL, Bedrock's amazon-bedrock-guardrailAction when the
 * client used a Bedrock guardrail.
 */
int bw_adapter_response_body(const struct bw_areq *rq, const struct bw_aresp *rs, const struct bw_iov *masked,
                             const struct bw_trace *tr, struct bw_buf *out);

/*
 * A complete HTTP 200 answer in the API's own shape saying the guardrail
 * blocked: message as the assistant text, OpenAI finish_reason
 * "content_filter", Anthropic stop_reason "guardrail_intervened", Bedrock
 * amazon-bedrock-guardrailAction "INTERVENED" / Converse stopReason
 * "guardrail_intervened". dir tells whether the prompt or the answer was
 * blocked. Sets *content_type.
 */
int bw_adapter_blocked(const struct bw_areq *rq, int dir, const char *message, const struct bw_trace *tr,
                       struct bw_buf *out, const char **content_type);

/* An error body in the API's own error shape for an HTTP status. */
int bw_adapter_error(int api, int status, const char *message, struct bw_buf *out, const char **content_type);

#endif
