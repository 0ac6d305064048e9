/*
 * adapt_anthropic.c: the Anthropic Messages API (POST /v1/messages), also
 * the body of Anthropic models on Bedrock InvokeModel.
 *
 * Guarded in a request: the system prompt (string or text blocks), every
 * message's text (string content or text blocks), tool_use inputs (every
 * string inside the input object, so masks go back exactly), tool_result
 * content, text documents (source data, context). Thinking blocks carry a
 * signature over their text and are neither read nor changed. In an
 * answer: text blocks and tool_use inputs.
 *
 * A blocked answer is a valid message object with stop_reason
 * "guardrail_intervened" and stop_sequence null (LangChain's parser breaks
 * without the key: langchain-aws #176/#937), and usage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proxy/adapt_int.h"

static int an_text_blocks(struct bw_actx *c, cJSON *blocks, const char *what);

/* tool_result content, document sources: a string or text blocks */
static int an_str_or_blocks(struct bw_actx *c, cJSON *n, const char *what)
{
    if (n == NULL || cJSON_IsNull(n))
        return 0;
    if (cJSON_IsString(n))
        return bw_actx_str(c, n, 0);
    if (cJSON_IsArray(n))
        return an_text_blocks(c, n, what);
    return bw_actx_fail(c, "%s: expected a string or an array of content blocks", what);
}

static int an_text_blocks(struct bw_actx *c, cJSON *blocks, const char *what)
{
    cJSON *b;
    int rv = 0, k = 0;

    for (b = blocks->child; b && rv == 0; b = b->next, k++) {
        const char *t = bw_jstr(b, "type");

        if (!cJSON_IsObject(b))
            return bw_actx_fail(c, "%s[%d]: expected a content block object", what, k);
        if (t == NULL)
            return bw_actx_fail(c, "%s[%d].type: expected a string", what, k);
        if (strcmp(t, "text") == 0) {
            if (!cJSON_IsString(bw_jget(b, "text")))
                return bw_actx_fail(c, "%s[%d].text: expected a string", what, k);
            rv = bw_actx_str(c, bw_jget(b, "text"), 0);
        } else if (strcmp(t, "tool_use") == 0 || strcmp(t, "server_tool_use") == 0) {
            rv = bw_actx_leaves(c, bw_jget(b, "input"), 0, 0);
        } else if (strcmp(t, "tool_result") == 0) {
            rv = an_str_or_blocks(c, bw_jget(b, "content"), "tool_result.content");
        } else if (strcmp(t, "document") == 0) {
            cJSON *src = bw_jget(b, "source");
            const char *st = bw_jstr(src, "type");

            if (st && strcmp(st, "text") == 0)
                rv = bw_actx_opt_str(c, bw_jget(src, "data"), 0, "document.source.data");
            else if (st && strcmp(st, "content") == 0)
                rv = an_str_or_blocks(c, bw_jget(src, "content"), "document.source.content");
            if (rv == 0)
                rv = bw_actx_opt_str(c, bw_jget(b, "context"), 0, "document.context");
        } else if (strcmp(t, "search_result") == 0) {
            cJSON *sc = bw_jget(b, "content");
            if (cJSON_IsArray(sc))
                rv = an_text_blocks(c, sc, "search_result.content");
        }
        /* image, thinking, redacted_thinking, web search results: not read */
    }
    return rv;
}

int bw_anthropic_req_texts(struct bw_actx *c)
{
    cJSON *sys = bw_jget(c->root, "system"), *msgs = bw_jget(c->root, "messages"), *m;
    int i = 0, start, rv;

    if ((rv = an_str_or_blocks(c, sys, "system")) != 0)
        return rv;
    if (!cJSON_IsArray(msgs))
        return bw_actx_fail(c, "messages: expected an array");
    start = bw_last_turn_start(c, msgs, "role", "assistant");
    for (m = msgs->child; m; m = m->next, i++) {
        cJSON *content;
        char what[48];

        if (!cJSON_IsObject(m))
            return bw_actx_fail(c, "messages[%d]: expected an object", i);
        if (i < start)
            continue;
        content = bw_jget(m, "content");
        snprintf(what, sizeof(what), "messages[%d].content", i);
        if ((rv = an_str_or_blocks(c, content, what)) != 0)
            return rv;
    }
    return 0;
}

int bw_anthropic_resp_texts(struct bw_actx *c)
{
    cJSON *content = bw_jget(c->root, "content");
    const char *t = bw_jstr(c->root, "type");

    if (t && strcmp(t, "error") == 0)
        return bw_actx_fail(c, "the answer is an error object");
    if (!cJSON_IsArray(content))
        return bw_actx_fail(c, "content: expected an array");
    return an_text_blocks(c, content, "content");
}

static int an_parse_req(struct bw_actx *c)
{
    cJSON *st = bw_jget(c->root, "stream");

    c->rq->model = bw_jstr(c->root, "model");
    if (st && !cJSON_IsBool(st) && !cJSON_IsNull(st))
        return bw_actx_fail(c, "stream: expected a boolean");
    c->rq->stream = cJSON_IsTrue(st);
    return bw_anthropic_req_texts(c);
}

static int an_parse_resp(struct bw_actx *c)
{
    return bw_anthropic_resp_texts(c);
}

static int an_resp_edits(const struct bw_areq *rq, const struct bw_aresp *rs, int masked, const struct bw_trace *tr,
                         struct bw_arena *a, struct bw_edits *ed)
{
    struct bw_buf b;
    char *t;
    int rv;

    (void)masked;
    if ((tr = bw_trace_want(rq, tr)) == NULL)
        return 0;
    bw_buf_init(&b, 0);
    if ((rv = bw_trace_bulwark(tr, &b)) == 0) {
        t = bw_arena_strndup(a, b.base, b.len);
        rv = t ? bw_ed_ins(a, ed, rs->root, "bulwark_trace", t, b.len) : BW_ENOMEM;
    }
    bw_buf_free(&b);
    return rv;
}

/* The message object without its closing brace, so callers can add members. */
int bw_anthropic_blocked_body(const struct bw_areq *rq, const struct bw_aresp *rs, const char *msg,
                              struct bw_buf *out)
{
    const char *id = rs ? bw_jstr(rs->root, "id") : NULL;
    const char *model = rs ? bw_jstr(rs->root, "model") : NULL;
    cJSON *u = rs ? bw_jget(rs->root, "usage") : NULL;
    char *usage = cJSON_IsObject(u) ? cJSON_PrintUnformatted(u) : NULL;
    int rv;

    if (model == NULL)
        model = rq->model ? rq->model : "unknown";
    rv = bw_buf_adds(out, "{\"id\":");
    if (id)
        rv = rv || bw_buf_jstr(out, id);
    else
        rv = rv || bw_buf_addc(out, '"') || bw_rand_id(out, "msg_bw") || bw_buf_addc(out, '"');
    rv = rv || bw_buf_adds(out, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":") || bw_buf_jstr(out, model) ||
         bw_buf_adds(out, ",\"content\":[{\"type\":\"text\",\"text\":") || bw_buf_jstr(out, msg) ||
         bw_buf_adds(out, "}],\"stop_reason\":\"guardrail_intervened\",\"stop_sequence\":null,\"usage\":") ||
         bw_buf_adds(out, usage ? usage : "{\"input_tokens\":0,\"output_tokens\":0}");
    cJSON_free(usage);
    return rv ? BW_ENOMEM : 0;
}

static int an_blocked(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *msg,
                      const struct bw_trace *tr, struct bw_buf *out, const char **ct)
{
    int rv;

    (void)dir;
    *ct = "application/json";
    if ((rv = bw_anthropic_blocked_body(rq, rs, msg, out)) != 0)
        return rv;
    if ((tr = bw_trace_want(rq, tr)) != NULL && ((rv = bw_buf_adds(out, ",\"bulwark_trace\":")) != 0 ||
                                                 (rv = bw_trace_bulwark(tr, out)) != 0))
        return rv;
    return bw_buf_addc(out, '}');
}

const struct bw_adapter_ops bw_adapter_anthropic_ops = {
    .parse_req = an_parse_req,
    .parse_resp = an_parse_resp,
    .resp_edits = an_resp_edits,
    .blocked = an_blocked,
};
