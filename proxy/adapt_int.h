/*
 * adapt_int.h: what adapter.c lends to the adapt_*.c files: the strict
 * JSON check, the block list builder (with Bedrock input tags), the edit
 * list and the splicer that applies it to the original bytes, and small
 * cJSON and rendering helpers. Not for the exchange: it uses adapter.h.
 *
 * Statics of the adapt_*.c files carry a per-file prefix (oa_, an_, bk_,
 * gn_) so the unit tests can include every adapter in one file.
 */
#ifndef BW_ADAPT_INT_H
#define BW_ADAPT_INT_H

#include "proxy/adapter.h"

/* Edits to make to a body, applied by bw_json_splice() in one pass. */
enum bw_ed_kind {
    BW_ED_STR = 1, /* replace string node with text (raw UTF-8, escaped on output) */
    BW_ED_RAW,     /* replace node's value with text (JSON) */
    BW_ED_DEL,     /* remove member node from its object (with its comma) */
    BW_ED_INS,     /* append text ("key":value) as the last member of object node */
    BW_ED_CUT,     /* request only: remove node->valuestring[off, off+len) (an input tag) */
    BW_ED_UNWRAP,  /* request only: replace node with {"text": <inner's text, masked>} */
};

struct bw_edit {
    int kind;
    cJSON *node;
    cJSON *inner;     /* UNWRAP: the string node inside */
    const char *text; /* STR, RAW, INS */
    size_t len;
    size_t off;       /* CUT */
};

struct bw_edits {
    struct bw_edit *v;
    size_t n, cap;
};

/* Context of one parse: the request (and answer) being read, blocks being built. */
struct bw_actx {
    struct bw_areq *rq;
    struct bw_aresp *rs;       /* when parsing an answer */
    const struct bw_adapter_opts *o;
    const struct bw_hdr *h;
    size_t nh;
    const char *path;
    struct bw_arena *a;
    cJSON *root;
    struct bw_block *b;
    struct bw_src *s;
    size_t n, cap;
    struct bw_edits *ed;       /* request: edits for the upstream body */
    const char *tag_suffix;    /* Bedrock input tags to look for, or NULL */
    int ntags;
    char *err;
    size_t errlen;
};

/* Per-API operations. */
struct bw_adapter_ops {
    int (*parse_req)(struct bw_actx *c);
    int (*parse_resp)(struct bw_actx *c);
    /* edits to the answer: logprobs, stop reasons, guardrail action, trace */
    int (*resp_edits)(const struct bw_areq *rq, const struct bw_aresp *rs, int masked, const struct bw_trace *tr,
                      struct bw_arena *a, struct bw_edits *ed);
    int (*blocked)(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *msg,
                   const struct bw_trace *tr, struct bw_buf *out, const char **ct);
};

extern const struct bw_adapter_ops bw_adapter_openai_ops;
extern const struct bw_adapter_ops bw_adapter_anthropic_ops;
extern const struct bw_adapter_ops bw_adapter_invoke_ops;
extern const struct bw_adapter_ops bw_adapter_converse_ops;
extern const struct bw_adapter_ops bw_adapter_generic_ops;

/* ---- JSON ---- */

/*
 * Parses len bytes of strict JSON (RFC 8259) into *root, a tree in a (see
 * policies/json_tree.h: never cJSON_Delete it): no trailing bytes, no raw
 * control characters or "\u0000" in strings, nesting at most
 * BW_MAX_JSON_DEPTH, no duplicate keys (after unescaping). err gets
 * "malformed JSON: body:LINE:COL: ..." or "malformed JSON: body: $.a.k:
 * duplicate key". Returns 0; BW_EINVAL; BW_ELIMIT when the tree would take
 * a over its cap (a 413: a small body of many tiny values makes a tree
 * tens of times its size); BW_ENOMEM.
 */
int bw_px_json_parse(const char *body, size_t len, struct bw_arena *a, cJSON **root, char *err, size_t errlen);

/*
 * Appends raw with the edits applied (STR, RAW, DEL, INS; edits of a node
 * inside a replaced or deleted node are a caller bug). raw must be the
 * text root was parsed from. Returns 0, BW_EINVAL, BW_ENOMEM, BW_ELIMIT.
 */
int bw_json_splice(const char *raw, size_t len, const cJSON *root, const struct bw_edit *e, size_t n,
                   struct bw_buf *out);

int bw_ed_add(struct bw_arena *a, struct bw_edits *ed, int kind, cJSON *node, const char *text, size_t len);
/* BW_ED_INS of "key":json. */
int bw_ed_ins(struct bw_arena *a, struct bw_edits *ed, cJSON *obj, const char *key, const char *json, size_t jlen);

/* Case-sensitive member lookup; NULL when obj is not an object. */
cJSON *bw_jget(const cJSON *obj, const char *key);
/* The member's string, or NULL. */
const char *bw_jstr(const cJSON *obj, const char *key);
/* An arena copy of cJSON_PrintUnformatted(n) (NULL on failure). */
char *bw_jprint(struct bw_arena *a, const cJSON *n, size_t *len);

/* ---- blocks ---- */

/* Sets c->err ("what: expected X") and returns BW_EINVAL. */
int bw_actx_fail(struct bw_actx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Adds string node as block(s) with qualifiers quals; with a tag suffix set,
 * splits it at Bedrock input tags (tagged slices get their qualifier, tags
 * become CUT edits). A non-string node is ignored. Returns 0, BW_EINVAL
 * (unbalanced or nested tags, too many blocks), BW_ENOMEM.
 */
int bw_actx_str(struct bw_actx *c, cJSON *node, unsigned quals);
/* Every string under node (object values, array elements), in document order. */
int bw_actx_leaves(struct bw_actx *c, cJSON *node, unsigned quals, int depth);
/* Expects node to be a string, null or absent; what names it in the error. */
int bw_actx_opt_str(struct bw_actx *c, cJSON *node, unsigned quals, const char *what);

/* The first message index to guard under BW_ADAPT_LAST_TURN (after the last role == assistant). */
int bw_last_turn_start(const struct bw_actx *c, const cJSON *msgs, const char *role_key, const char *assistant);

/* ---- rendering ---- */

/* The value of header name (case-insensitive) in h[0..nh), or NULL. */
const struct bw_iov *bw_hdr_get(const struct bw_hdr *h, size_t nh, const char *name);

/* Appends "prefix" + 24 random hex digits. */
int bw_rand_id(struct bw_buf *out, const char *prefix);
char *bw_rand_id_arena(struct bw_arena *a, const char *prefix);

/* Appends a JSON string literal (with quotes). */
int bw_buf_jstr(struct bw_buf *b, const char *s);
/* Appends the JSON text json, or null when json is NULL. */
int bw_buf_jraw(struct bw_buf *b, const char *json);

/* The "bulwark_trace" object: {"action","actionReason","input","output"}. */
int bw_trace_bulwark(const struct bw_trace *tr, struct bw_buf *out);
/* Bedrock's GuardrailTraceAssessment (Converse: maps; InvokeModel: input map, outputs list). */
int bw_trace_converse(const struct bw_trace *tr, struct bw_buf *out);
int bw_trace_invoke(const struct bw_trace *tr, struct bw_buf *out);

/* The trace to render for rq, or NULL. */
static inline const struct bw_trace *bw_trace_want(const struct bw_areq *rq, const struct bw_trace *tr)
{
    return tr && rq->trace != BW_TRACE_OFF ? tr : NULL;
}

/*
 * A peer's Unix time ("created"): a number from 0 up to 1e15 (no double
 * outside an integer's range is ever converted), else dflt.
 */
static inline long long bw_peer_time(const cJSON *n, long long dflt)
{
    return cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 1e15 ? (long long)n->valuedouble : dflt;
}

/* ---- shared extractors ---- */

/* enum bw_native of an InvokeModel request: model id from path (URL-decoded), else body's keys. */
int bw_bedrock_native(const char *path, const cJSON *body);

/* Anthropic messages API body: system and messages (also Anthropic-on-Bedrock). */
int bw_anthropic_req_texts(struct bw_actx *c);
int bw_anthropic_resp_texts(struct bw_actx *c);
int bw_anthropic_blocked_body(const struct bw_areq *rq, const struct bw_aresp *rs, const char *msg,
                              struct bw_buf *out);
/* OpenAI chat messages (also OpenAI-like bodies on Bedrock). */
int bw_openai_chat_req_texts(struct bw_actx *c);
int bw_openai_chat_resp_texts(struct bw_actx *c);

#endif
