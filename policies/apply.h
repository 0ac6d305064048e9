/*
 * apply.h: ApplyGuardrail: one request (source, content blocks with
 * qualifiers, output scope) through a guardrail, and Bedrock's response.
 *
 * Decision rule (Bedrock): every enabled policy of the direction runs; a
 * finding is detected per its policy, and its action applies only then. Any
 * BLOCKED finding: GUARDRAIL_INTERVENED with the blocked message as the one
 * output. Else any ANONYMIZED finding: GUARDRAIL_INTERVENED with the masked
 * text of every block as outputs. Else NONE and no outputs.
 */
#ifndef BW_APPLY_H
#define BW_APPLY_H

#include "filters/buf.h"
#include "policies/guardrail.h"

enum bw_scope { BW_SCOPE_INTERVENTIONS = 0, BW_SCOPE_FULL };

struct bw_apply_req {
    int dir;   /* enum bw_dir */
    int scope; /* enum bw_scope */
    const struct bw_block *blocks;
    size_t nblocks;
    unsigned nimages; /* image blocks: accepted, counted, not evaluated */
};

struct bw_apply_res {
    int intervened; /* GUARDRAIL_INTERVENED */
    int blocked;    /* at least one BLOCKED finding */
    int masked;     /* at least one ANONYMIZED finding, and not blocked */
    /* findings to report, overlaps resolved, in block then offset order */
    const struct bw_finding *f;
    size_t nf;
    /* masked text per block (when masked), else the original text */
    struct bw_iov *out;
    size_t nout;
    /* usage, by enum bw_policy: text units (1,000 characters) */
    unsigned units[BW_POL__N];
    unsigned chars_guarded, chars_total;
    uint64_t latency_ns;
    int error;      /* BW_E* when apply failed; the caller fails closed */
};

/*
 * Applies g to rq with worker w. Results live in w's memory until the next
 * call on w. Returns 0; BW_EUTF8 with *errmsg naming the block and offset;
 * BW_EINVAL (no content), BW_ESCAN, BW_ENOMEM, BW_ELIMIT: callers fail
 * closed (treat as blocked) unless configured otherwise.
 */
int bw_apply(const struct bw_guardrail *g, struct bw_worker *w, const struct bw_apply_req *rq,
             struct bw_apply_res *res, char *errmsg, size_t errlen);

/*
 * Parses an ApplyGuardrail request body (source, content[], outputScope).
 * Strings point into arena-owned memory. Returns 0 or BW_EINVAL with a
 * message naming the JSON path, in Bedrock's ValidationException words
 * where Bedrock has them.
 */
struct bw_arena;
struct cJSON;
int bw_apply_parse(const char *json, size_t len, struct bw_arena *a, struct bw_apply_req *rq, char *err,
                   size_t errlen);

/* The same from an already parsed body. */
int bw_apply_from_json(const struct cJSON *root, struct bw_arena *a, struct bw_apply_req *rq, char *err,
                       size_t errlen);

/* Appends Bedrock's ApplyGuardrail response JSON for res to out. */
int bw_apply_render(const struct bw_guardrail *g, const struct bw_apply_req *rq, const struct bw_apply_res *res,
                    struct bw_buf *out);

/*
 * Appends one GuardrailAssessment object (topicPolicy, contentPolicy, ...,
 * invocationMetrics, appliedGuardrailDetails): for traces in the proxy.
 */
int bw_apply_render_assessment(const struct bw_guardrail *g, const struct bw_apply_req *rq,
                               const struct bw_apply_res *res, struct bw_buf *out);

/*
 * Resolves overlapping PII and regex findings of w (see apply.c) and sorts
 * them by position. Shared by apply() and the streaming guard. Returns 0 or
 * BW_ENOMEM.
 */
int bw_findings_resolve(struct bw_worker *w);

/* The mask ANONYMIZE writes for f, without braces ("EMAIL", a regex's name). */
const char *bw_mask_name(const struct bw_gconf *c, const struct bw_finding *f);

/* "Guardrail blocked." / "Guardrail masked." / NULL */
const char *bw_apply_reason(const struct bw_apply_res *res);

/* The blocked message for a direction. */
const char *bw_guardrail_blocked_message(const struct bw_guardrail *g, int dir);

#endif
