/*
 * adapt_openai.c: the OpenAI APIs: /v1/chat/completions, /v1/completions,
 * /v1/responses.
 *
 * Guarded in a request: every message's content (string or text parts),
 * assistant refusals, tool-call and function-call arguments (as text),
 * tool results; completions' prompt and suffix; responses' instructions,
 * input (string or items: messages, function_call arguments,
 * function_call_output, custom tool calls) and prompt variables. In an
 * answer: message content, refusal and tool-call arguments; completion
 * text; responses' output_text, refusal and function_call arguments.
 *
 * Token-array prompts are refused: the guardrail cannot read them, and
 * passing them unguarded would be a bypass. When an answer's text is
 * masked, logprobs go too: they spell the original tokens.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proxy/adapt_int.h"

/* Text of a content field: a string, or an array of typed parts. */
static int oa_content(struct bw_actx *c, cJSON *content, const char *what, int idx)
{
    cJSON *p;
    int rv, k = 0;

    if (content == NULL || cJSON_IsNull(content))
        return 0;
    if (cJSON_IsString(content))
        return bw_actx_str(c, content, 0);
    if (!cJSON_IsArray(content))
        return bw_actx_fail(c, "%s[%d].content: expected a string or an array of content parts", what, idx);
    for (p = content->child; p; p = p->next, k++) {
        const char *t = bw_jstr(p, "type");

        if (t == NULL)
            continue;
        if (strcmp(t, "text") == 0 || strcmp(t, "input_text") == 0 || strcmp(t, "output_text") == 0) {
            if (!cJSON_IsString(bw_jget(p, "text")))
                return bw_actx_fail(c, "%s[%d].content[%d].text: expected a string", what, idx, k);
            rv = bw_actx_str(c, bw_jget(p, "text"), 0);
        } else if (strcmp(t, "refusal") == 0) {
            rv = bw_actx_str(c, bw_jget(p, "refusal"), 0);
        } else {
            continue; /* images, audio, files: not text */
        }
        if (rv != 0)
            return rv;
    }
    return 0;
}

static int oa_tool_calls(struct bw_actx *c, cJSON *m)
{
    cJSON *tc = bw_jget(m, "tool_calls"), *t;
    int rv;

    if (cJSON_IsArray(tc))
        for (t = tc->child; t; t = t->next) {
            cJSON *fn = bw_jget(t, "function");
            if ((rv = bw_actx_opt_str(c, bw_jget(fn, "arguments"), 0, "tool_calls[].function.arguments")) != 0)
                return rv;
            /* custom tools carry free text */
            if ((rv = bw_actx_opt_str(c, bw_jget(bw_jget(t, "custom"), "input"), 0, "tool_calls[].custom.input")) !=
                0)
                return rv;
        }
    return bw_actx_opt_str(c, bw_jget(bw_jget(m, "function_call"), "arguments"), 0, "function_call.arguments");
}

static int is_system(const char *role)
{
    return role && (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0);
}

int bw_openai_chat_req_texts(struct bw_actx *c)
{
    cJSON *msgs = bw_jget(c->root, "messages"), *m;
    int i = 0, start, rv;

    if (!cJSON_IsArray(msgs))
        return bw_actx_fail(c, "messages: expected an array");
    start = bw_last_turn_start(c, msgs, "role", "assistant");
    for (m = msgs->child; m; m = m->next, i++) {
        const char *role;

        if (!cJSON_IsObject(m))
            return bw_actx_fail(c, "messages[%d]: expected an object", i);
        role = bw_jstr(m, "role");
        if (i < start && !is_system(role))
            continue;
        if ((rv = oa_content(c, bw_jget(m, "content"), "messages", i)) != 0 ||
            (rv = bw_actx_opt_str(c, bw_jget(m, "refusal"), 0, "messages[].refusal")) != 0 ||
            (rv = oa_tool_calls(c, m)) != 0)
            return rv;
    }
    return 0;
}

int bw_openai_chat_resp_texts(struct bw_actx *c)
{
    cJSON *ch = bw_jget(c->root, "choices"), *x;
    int i = 0, rv;

    if (!cJSON_IsArray(ch))
        return bw_actx_fail(c, "choices: expected an array");
    for (x = ch->child; x; x = x->next, i++) {
        cJSON *m = bw_jget(x, "message");

        if ((rv = oa_content(c, bw_jget(m, "content"), "choices", i)) != 0 ||
            (rv = bw_actx_opt_str(c, bw_jget(m, "refusal"), 0, "choices[].message.refusal")) != 0 ||
            (rv = oa_tool_calls(c, m)) != 0)
            return rv;
        /* OpenAI-like servers that answer chat with choices[].text */
        if (m == NULL && (rv = bw_actx_opt_str(c, bw_jget(x, "text"), 0, "choices[].text")) != 0)
            return rv;
    }
    return 0;
}

static int oa_completions_req(struct bw_actx *c)
{
    cJSON *p = bw_jget(c->root, "prompt"), *x;
    int rv;

    if (cJSON_IsString(p)) {
        rv = bw_actx_str(c, p, 0);
    } else if (cJSON_IsArray(p)) {
        for (x = p->child; x; x = x->next)
            if (!cJSON_IsString(x))
                return bw_actx_fail(c, "prompt: token arrays cannot be guarded; send the prompt as text");
        for (x = p->child, rv = 0; x && rv == 0; x = x->next)
            rv = bw_actx_str(c, x, 0);
    } else {
        return bw_actx_fail(c, "prompt: expected a string or an array of strings");
    }
    if (rv == 0)
        rv = bw_actx_opt_str(c, bw_jget(c->root, "suffix"), 0, "suffix");
    return rv;
}

/* One /v1/responses input item. */
static int oa_item(struct bw_actx *c, cJSON *it, int i)
{
    const char *t = bw_jstr(it, "type");
    cJSON *out;
    int rv;

    if (cJSON_IsString(it))
        return bw_actx_str(c, it, 0);
    if (!cJSON_IsObject(it))
        return bw_actx_fail(c, "input[%d]: expected an object", i);
    if (t == NULL || strcmp(t, "message") == 0)
        return oa_content(c, bw_jget(it, "content"), "input", i);
    if (strcmp(t, "function_call") == 0 || strcmp(t, "mcp_call") == 0) {
        if ((rv = bw_actx_opt_str(c, bw_jget(it, "arguments"), 0, "input[].arguments")) != 0)
            return rv;
        out = bw_jget(it, "output");
        return cJSON_IsString(out) ? bw_actx_str(c, out, 0) : 0;
    }
    if (strcmp(t, "custom_tool_call") == 0)
        return bw_actx_opt_str(c, bw_jget(it, "input"), 0, "input[].input");
    if (strcmp(t, "function_call_output") == 0 || strcmp(t, "custom_tool_call_output") == 0 ||
        strcmp(t, "local_shell_call_output") == 0) {
        out = bw_jget(it, "output");
        if (cJSON_IsArray(out))
            return oa_content(c, out, "input[].output", i);
        return bw_actx_opt_str(c, out, 0, "input[].output");
    }
    return 0; /* reasoning, item references, images: nothing to read */
}

static int oa_responses_req(struct bw_actx *c)
{
    cJSON *in = bw_jget(c->root, "input"), *it, *vars;
    int i = 0, start = 0, rv;

    if ((rv = bw_actx_opt_str(c, bw_jget(c->root, "instructions"), 0, "instructions")) != 0)
        return rv;
    if (cJSON_IsString(in)) {
        rv = bw_actx_str(c, in, 0);
    } else if (cJSON_IsArray(in)) {
        start = bw_last_turn_start(c, in, "role", "assistant");
        for (it = in->child; it && rv == 0; it = it->next, i++)
            if (i >= start || is_system(bw_jstr(it, "role")))
                rv = oa_item(c, it, i);
    } else if (in != NULL && !cJSON_IsNull(in)) {
        return bw_actx_fail(c, "input: expected a string or an array");
    }
    /* reusable prompts: {"prompt":{"id":..,"variables":{"name":"text" | {"type":"input_text","text":..}}}} */
    vars = bw_jget(bw_jget(c->root, "prompt"), "variables");
    if (rv == 0 && cJSON_IsObject(vars))
        for (it = vars->child; it && rv == 0; it = it->next)
            rv = cJSON_IsString(it) ? bw_actx_str(c, it, 0) : bw_actx_opt_str(c, bw_jget(it, "text"), 0, "prompt");
    return rv;
}

static int oa_parse_req(struct bw_actx *c)
{
    struct bw_areq *rq = c->rq;
    cJSON *st = bw_jget(c->root, "stream"), *n = bw_jget(c->root, "n");

    rq->model = bw_jstr(c->root, "model");
    if (st && !cJSON_IsBool(st) && !cJSON_IsNull(st))
        return bw_actx_fail(c, "stream: expected a boolean");
    rq->stream = cJSON_IsTrue(st);
    rq->include_usage = cJSON_IsTrue(bw_jget(bw_jget(c->root, "stream_options"), "include_usage"));
    if (cJSON_IsNumber(n) && n->valuedouble >= 1 && n->valuedouble <= 128)
        rq->nchoices = (int)n->valuedouble;
    switch (rq->api) {
    case BW_API_OPENAI_CHAT: return bw_openai_chat_req_texts(c);
    case BW_API_OPENAI_COMPLETIONS: return oa_completions_req(c);
    default: return oa_responses_req(c);
    }
}

static int oa_upstream_error(struct bw_actx *c)
{
    cJSON *e = bw_jget(c->root, "error");

    if (e && !cJSON_IsNull(e) && bw_jget(c->root, "choices") == NULL && bw_jget(c->root, "output") == NULL)
        return bw_actx_fail(c, "the answer is an error object");
    return 0;
}

static int oa_parse_resp(struct bw_actx *c)
{
    cJSON *ch, *x, *p;
    int rv;

    if ((rv = oa_upstream_error(c)) != 0)
        return rv;
    switch (c->rq->api) {
    case BW_API_OPENAI_CHAT: return bw_openai_chat_resp_texts(c);
    case BW_API_OPENAI_COMPLETIONS:
        if (!cJSON_IsArray(ch = bw_jget(c->root, "choices")))
            return bw_actx_fail(c, "choices: expected an array");
        for (x = ch->child; x; x = x->next)
            if ((rv = bw_actx_opt_str(c, bw_jget(x, "text"), 0, "choices[].text")) != 0)
                return rv;
        return 0;
    default:
        if (!cJSON_IsArray(ch = bw_jget(c->root, "output")))
            return bw_actx_fail(c, "output: expected an array");
        for (x = ch->child; x; x = x->next) {
            const char *t = bw_jstr(x, "type");

            if (t == NULL)
                continue;
            if (strcmp(t, "message") == 0) {
                cJSON *cont = bw_jget(x, "content");
                if (cJSON_IsArray(cont))
                    for (p = cont->child; p; p = p->next) {
                        const char *pt = bw_jstr(p, "type");
                        if (pt && strcmp(pt, "output_text") == 0)
                            rv = bw_actx_opt_str(c, bw_jget(p, "text"), 0, "output[].content[].text");
                        else if (pt && strcmp(pt, "refusal") == 0)
                            rv = bw_actx_opt_str(c, bw_jget(p, "refusal"), 0, "output[].content[].refusal");
                        if (rv != 0)
                            return rv;
                    }
            } else if (strcmp(t, "function_call") == 0) {
                rv = bw_actx_opt_str(c, bw_jget(x, "arguments"), 0, "output[].arguments");
            } else if (strcmp(t, "custom_tool_call") == 0) {
                rv = bw_actx_opt_str(c, bw_jget(x, "input"), 0, "output[].input");
            }
            if (rv != 0)
                return rv;
        }
        return 0;
    }
}

static int oa_trace_ins(const struct bw_areq *rq, const struct bw_aresp *rs, const struct bw_trace *tr,
                        struct bw_arena *a, struct bw_edits *ed)
{
    struct bw_buf b;
    char *t;
    int rv;

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

static int oa_resp_edits(const struct bw_areq *rq, const struct bw_aresp *rs, int masked, const struct bw_trace *tr,
                         struct bw_arena *a, struct bw_edits *ed)
{
    cJSON *x, *p, *lp;
    int rv;

    if (masked && rq->api != BW_API_OPENAI_RESPONSES) {
        cJSON *ch = bw_jget(rs->root, "choices");
        for (x = ch ? ch->child : NULL; x; x = x->next)
            if ((lp = bw_jget(x, "logprobs")) != NULL && !cJSON_IsNull(lp) &&
                (rv = bw_ed_add(a, ed, BW_ED_RAW, lp, "null", 4)) != 0)
                return rv;
    } else if (masked) {
        cJSON *out = bw_jget(rs->root, "output");
        for (x = out ? out->child : NULL; x; x = x->next) {
            cJSON *cont = bw_jget(x, "content");
            for (p = cont ? cont->child : NULL; p; p = p->next)
                if ((lp = bw_jget(p, "logprobs")) != NULL && cJSON_GetArraySize(lp) > 0 &&
                    (rv = bw_ed_add(a, ed, BW_ED_RAW, lp, "[]", 2)) != 0)
                    return rv;
        }
    }
    return oa_trace_ins(rq, rs, tr, a, ed);
}

/* id, created and model of the answer: the upstream's when there is one. */
struct oa_meta {
    const char *id, *model;
    long long created;
    const char *usage; /* JSON, or NULL */
};

static void oa_meta(const struct bw_areq *rq, const struct bw_aresp *rs, const char *created_key, struct bw_arena *a,
                    struct oa_meta *m)
{
    cJSON *cr = rs ? bw_jget(rs->root, created_key) : NULL, *u = rs ? bw_jget(rs->root, "usage") : NULL;

    m->id = rs ? bw_jstr(rs->root, "id") : NULL;
    m->model = rs ? bw_jstr(rs->root, "model") : NULL;
    if (m->model == NULL)
        m->model = rq->model ? rq->model : "unknown";
    m->created = bw_peer_time(cr, (long long)time(NULL));
    m->usage = cJSON_IsObject(u) ? bw_jprint(a, u, NULL) : NULL;
}

static int oa_blocked(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *msg,
                      const struct bw_trace *tr, struct bw_buf *out, const char **ct)
{
    struct bw_arena a;
    struct oa_meta m;
    int rv = 0, i;

    (void)dir;
    *ct = "application/json";
    bw_arena_init(&a, 0);
    oa_meta(rq, rs, rq->api == BW_API_OPENAI_RESPONSES ? "created_at" : "created", &a, &m);
    if (rq->api == BW_API_OPENAI_CHAT || rq->api == BW_API_OPENAI_COMPLETIONS) {
        int chat = rq->api == BW_API_OPENAI_CHAT;

        rv = bw_buf_adds(out, "{\"id\":");
        if (m.id)
            rv = rv || bw_buf_jstr(out, m.id);
        else
            rv = rv || bw_buf_addc(out, '"') || bw_rand_id(out, chat ? "chatcmpl-bw" : "cmpl-bw") ||
                 bw_buf_addc(out, '"');
        rv = rv || bw_buf_printf(out, ",\"object\":\"%s\",\"created\":%lld,\"model\":",
                                 chat ? "chat.completion" : "text_completion", m.created) ||
             bw_buf_jstr(out, m.model) || bw_buf_adds(out, ",\"choices\":[");
        for (i = 0; i < BW_MIN(rq->nchoices, 16) && rv == 0; i++) {
            if (chat)
                rv = bw_buf_printf(out, "%s{\"index\":%d,\"message\":{\"role\":\"assistant\",\"content\":",
                                   i ? "," : "", i) ||
                     bw_buf_jstr(out, msg) ||
                     bw_buf_adds(out, ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,"
                                      "\"finish_reason\":\"content_filter\"}");
            else
                rv = bw_buf_adds(out, i ? ",{\"text\":" : "{\"text\":") || bw_buf_jstr(out, msg) ||
                     bw_buf_printf(out, ",\"index\":%d,\"logprobs\":null,\"finish_reason\":\"content_filter\"}", i);
        }
        rv = rv || bw_buf_adds(out, "],\"usage\":") ||
             bw_buf_adds(out, m.usage ? m.usage : "{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}");
        if (chat)
            rv = rv || bw_buf_adds(out, ",\"system_fingerprint\":null");
    } else {
        cJSON *ins = bw_jget(rq->root, "instructions");
        char *ins_json = ins ? bw_jprint(&a, ins, NULL) : NULL;

        rv = bw_buf_adds(out, "{\"id\":");
        if (m.id)
            rv = rv || bw_buf_jstr(out, m.id);
        else
            rv = rv || bw_buf_addc(out, '"') || bw_rand_id(out, "resp_bw") || bw_buf_addc(out, '"');
        rv = rv ||
             bw_buf_printf(out, ",\"object\":\"response\",\"created_at\":%lld,\"status\":\"incomplete\","
                                "\"error\":null,\"incomplete_details\":{\"reason\":\"content_filter\"},\"instructions\":",
                           m.created) ||
             bw_buf_jraw(out, ins_json) || bw_buf_adds(out, ",\"max_output_tokens\":null,\"model\":") ||
             bw_buf_jstr(out, m.model) || bw_buf_adds(out, ",\"output\":[{\"id\":\"") || bw_rand_id(out, "msg_bw") ||
             bw_buf_adds(out, "\",\"type\":\"message\",\"status\":\"incomplete\",\"role\":\"assistant\",\"content\":"
                              "[{\"type\":\"output_text\",\"text\":") ||
             bw_buf_jstr(out, msg) ||
             bw_buf_adds(out, ",\"annotations\":[],\"logprobs\":[]}]}],\"parallel_tool_calls\":true,"
                              "\"previous_response_id\":null,\"reasoning\":{\"effort\":null,\"summary\":null},"
                              "\"store\":false,\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},"
                              "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\"disabled\","
                              "\"usage\":") ||
             bw_buf_adds(out, m.usage ? m.usage
                                      : "{\"input_tokens\":0,\"input_tokens_details\":{\"cached_tokens\":0},"
                                        "\"output_tokens\":0,\"output_tokens_details\":{\"reasoning_tokens\":0},"
                                        "\"total_tokens\":0}") ||
             bw_buf_adds(out, ",\"user\":null,\"metadata\":{}");
    }
    if (rv == 0 && (tr = bw_trace_want(rq, tr)) != NULL)
        rv = bw_buf_adds(out, ",\"bulwark_trace\":") || bw_trace_bulwark(tr, out);
    rv = rv || bw_buf_addc(out, '}');
    bw_arena_free(&a);
    return rv ? BW_ENOMEM : 0;
}

const struct bw_adapter_ops bw_adapter_openai_ops = {
    .parse_req = oa_parse_req,
    .parse_resp = oa_parse_resp,
    .resp_edits = oa_resp_edits,
    .blocked = oa_blocked,
};
