/*
 * adapt_bedrock.c: the Bedrock runtime: InvokeModel(+WithResponseStream),
 * whose body is the model provider's own, and Converse(+Stream).
 *
 * Guardrail selection as Bedrock does it: X-Amzn-Bedrock-GuardrailIdentifier
 * / -GuardrailVersion / -Trace headers and the body's
 * amazon-bedrock-guardrailConfig {tagSuffix, streamProcessingMode} for
 * InvokeModel; guardrailConfig {guardrailIdentifier, guardrailVersion,
 * trace, streamProcessingMode (stream only)} for Converse. The documented
 * misuses are 400 ValidationException. All of it is removed before the
 * body goes upstream.
 *
 * InvokeModel input tags (<amazon-bedrock-guardrails-guardContent_SFX>,
 * ...groundingSource_SFX, ...query_SFX) split texts into qualified blocks
 * and are cut out upstream. Converse guardContent blocks are guarded with
 * their qualifiers and become plain text blocks upstream; as in Bedrock,
 * Converse system text, toolResult and toolUse are not guarded unless the
 * route asks (BW_ADAPT_GUARD_SYSTEM, BW_ADAPT_GUARD_TOOLS).
 */
#include <ctype.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "proxy/adapt_int.h"

/* ------------------------------------------------------------------ */
/* shared                                                              */

static int bk_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* The URL-decoded model id of /model/{id}/..., in the arena. */
static const char *bk_model(struct bw_actx *c, int *stream)
{
    const char *p = c->path, *m = NULL, *q, *end;
    char *out;
    size_t i, n = 0;

    for (q = p; (q = strstr(q, "/model/")) != NULL; q++)
        m = q + 7;
    if (m == NULL)
        return NULL;
    end = strchr(m, '/');
    if (end == NULL)
        return NULL;
    *stream = strncmp(end, "/invoke-with-response-stream", 28) == 0 || strncmp(end, "/converse-stream", 16) == 0;
    if ((out = bw_arena_alloc(c->a, (size_t)(end - m) + 1)) == NULL)
        return NULL;
    for (i = 0; m + i < end; i++) {
        if (m[i] == '%' && m + i + 2 < end && bk_hexval(m[i + 1]) >= 0 && bk_hexval(m[i + 2]) >= 0) {
            out[n++] = (char)(bk_hexval(m[i + 1]) << 4 | bk_hexval(m[i + 2]));
            i += 2;
        } else {
            out[n++] = m[i];
        }
    }
    out[n] = 0;
    return out;
}

static int bk_valid_version(const char *v)
{
    size_t i, n = strlen(v);

    if (strcmp(v, "DRAFT") == 0)
        return 1;
    if (n == 0 || n > 8 || v[0] < '1' || v[0] > '9')
        return 0;
    for (i = 1; i < n; i++)
        if (!isdigit((unsigned char)v[i]))
            return 0;
    return 1;
}

static int bk_check_ids(struct bw_actx *c, const char *id, const char *ver, const char *idname, const char *vername)
{
    if (ver && !id)
        return bw_actx_fail(c, "%s requires %s", vername, idname);
    if (id && !ver)
        return bw_actx_fail(c, "%s requires %s", idname, vername);
    if (id && (id[0] == 0 || strlen(id) > 2048))
        return bw_actx_fail(c, "%s must be a guardrail id or ARN of 1 to 2048 characters", idname);
    if (ver && !bk_valid_version(ver))
        return bw_actx_fail(c, "%s must be DRAFT or a version number of 1 to 8 digits", vername);
    c->rq->gr_id = id;
    c->rq->gr_version = ver;
    return 0;
}

static const char *bk_hdr_dup(struct bw_actx *c, const char *name)
{
    const struct bw_iov *v = bw_hdr_get(c->h, c->nh, name);
    return v ? bw_arena_strndup(c->a, v->base, v->len) : NULL;
}

static int bk_has_provider(const char *m, const char *p)
{
    const char *d, *slash;
    size_t n = strlen(p);

    if (m == NULL)
        return 0;
    /* ARNs: arn:aws:bedrock:...:foundation-model/anthropic.claude..., inference-profile/us.anthropic... */
    if ((slash = strrchr(m, '/')) != NULL)
        m = slash + 1;
    if (strncmp(m, p, n) == 0)
        return 1;
    /* cross-region inference profiles: us., eu., apac., global. ... */
    d = strchr(m, '.');
    return d && strncmp(d + 1, p, n) == 0;
}

static int bk_native(const char *model, const cJSON *root)
{
    int msgs = bw_jget(root, "messages") != NULL;

    if (bk_has_provider(model, "anthropic."))
        return msgs || !bw_jget(root, "prompt") ? BW_NAT_ANTHROPIC : BW_NAT_CLAUDE_TEXT;
    if (bk_has_provider(model, "amazon.titan"))
        return BW_NAT_TITAN;
    if (bk_has_provider(model, "amazon.nova"))
        return BW_NAT_NOVA;
    if (bk_has_provider(model, "meta."))
        return BW_NAT_LLAMA;
    if (bk_has_provider(model, "mistral."))
        return msgs ? BW_NAT_CHAT : BW_NAT_MISTRAL;
    if (bk_has_provider(model, "cohere.command"))
        return bw_jget(root, "message") || !bw_jget(root, "prompt") ? BW_NAT_COHERE : BW_NAT_COHERE_GEN;
    if (bk_has_provider(model, "ai21.j2"))
        return BW_NAT_AI21_J2;
    if (bk_has_provider(model, "deepseek."))
        return msgs ? BW_NAT_CHAT : BW_NAT_DEEPSEEK;
    if (bk_has_provider(model, "ai21.") || bk_has_provider(model, "openai.") || bk_has_provider(model, "qwen.") ||
        bk_has_provider(model, "writer."))
        return BW_NAT_CHAT;
    /* custom and provisioned models: the body tells */
    if (bw_jget(root, "anthropic_version"))
        return BW_NAT_ANTHROPIC;
    if (bw_jget(root, "inputText"))
        return BW_NAT_TITAN;
    if (bw_jget(root, "schemaVersion") || bw_jget(root, "inferenceConfig"))
        return BW_NAT_NOVA;
    if (msgs)
        return BW_NAT_CHAT;
    if (bw_jget(root, "message"))
        return BW_NAT_COHERE;
    return BW_NAT_UNKNOWN;
}

int bw_bedrock_native(const char *path, const cJSON *body)
{
    struct bw_actx c;
    struct bw_arena a;
    int stream, n;

    memset(&c, 0, sizeof(c));
    bw_arena_init(&a, 0);
    c.a = &a;
    c.path = path ? path : "";
    n = bk_native(bk_model(&c, &stream), body);
    bw_arena_free(&a);
    return n;
}

/* ------------------------------------------------------------------ */
/* InvokeModel                                                         */

static int bk_nova_texts(struct bw_actx *c, int resp)
{
    cJSON *msgs, *m, *b;
    int rv = 0, i = 0, start;

    if (resp) {
        cJSON *content = bw_jget(bw_jget(bw_jget(c->root, "output"), "message"), "content");
        for (b = content ? content->child : NULL; b && rv == 0; b = b->next)
            rv = bw_actx_str(c, bw_jget(b, "text"), 0);
        return rv;
    }
    msgs = bw_jget(c->root, "system");
    for (b = cJSON_IsArray(msgs) ? msgs->child : NULL; b && rv == 0; b = b->next)
        rv = bw_actx_str(c, bw_jget(b, "text"), 0);
    msgs = bw_jget(c->root, "messages");
    start = bw_last_turn_start(c, msgs, "role", "assistant");
    for (m = cJSON_IsArray(msgs) ? msgs->child : NULL; m && rv == 0; m = m->next, i++) {
        cJSON *content = bw_jget(m, "content");
        if (i < start)
            continue;
        for (b = cJSON_IsArray(content) ? content->child : NULL; b && rv == 0; b = b->next) {
            rv = bw_actx_str(c, bw_jget(b, "text"), 0);
            if (rv == 0 && bw_jget(b, "toolResult"))
                rv = bw_actx_leaves(c, bw_jget(bw_jget(b, "toolResult"), "content"), 0, 0);
            if (rv == 0 && bw_jget(b, "toolUse"))
                rv = bw_actx_leaves(c, bw_jget(bw_jget(b, "toolUse"), "input"), 0, 0);
        }
    }
    return rv;
}

static int bk_cohere_req(struct bw_actx *c)
{
    cJSON *h = bw_jget(c->root, "chat_history"), *m;
    int rv;

    if ((rv = bw_actx_opt_str(c, bw_jget(c->root, "preamble"), 0, "preamble")) != 0)
        return rv;
    for (m = cJSON_IsArray(h) ? h->child : NULL; m; m = m->next)
        if ((rv = bw_actx_opt_str(c, bw_jget(m, "message"), 0, "chat_history[].message")) != 0)
            return rv;
    if ((rv = bw_actx_leaves(c, bw_jget(c->root, "documents"), 0, 0)) != 0)
        return rv;
    return bw_actx_opt_str(c, bw_jget(c->root, "message"), 0, "message");
}

static int bk_invoke_texts(struct bw_actx *c)
{
    cJSON *r = c->root;
    int rv;

    switch (c->rq->native) {
    case BW_NAT_ANTHROPIC: return bw_anthropic_req_texts(c);
    case BW_NAT_CHAT: return bw_openai_chat_req_texts(c);
    case BW_NAT_NOVA: return bk_nova_texts(c, 0);
    case BW_NAT_TITAN: return bw_actx_opt_str(c, bw_jget(r, "inputText"), 0, "inputText");
    case BW_NAT_COHERE: return bk_cohere_req(c);
    case BW_NAT_UNKNOWN:
        if ((rv = bw_actx_opt_str(c, bw_jget(r, "inputText"), 0, "inputText")) != 0 ||
            (rv = bw_actx_leaves(c, bw_jget(r, "texts"), 0, 0)) != 0 ||
            (rv = bw_actx_opt_str(c, bw_jget(r, "message"), 0, "message")) != 0)
            return rv;
        /* fall through */
    default: return bw_actx_opt_str(c, bw_jget(r, "prompt"), 0, "prompt");
    }
}

static int bk_invoke_req(struct bw_actx *c)
{
    struct bw_areq *rq = c->rq;
    const char *id = bk_hdr_dup(c, "x-amzn-bedrock-guardrailidentifier");
    const char *ver = bk_hdr_dup(c, "x-amzn-bedrock-guardrailversion");
    const struct bw_iov *tv = bw_hdr_get(c->h, c->nh, "x-amzn-bedrock-trace");
    const struct bw_iov *ct = bw_hdr_get(c->h, c->nh, "content-type");
    cJSON *cfg = bw_jget(c->root, "amazon-bedrock-guardrailConfig"), *k;
    int rv;

    rq->model = bk_model(c, &rq->stream);
    if ((rv = bk_check_ids(c, id, ver, "X-Amzn-Bedrock-GuardrailIdentifier", "X-Amzn-Bedrock-GuardrailVersion")) != 0)
        return rv;
    if (tv) {
        if (tv->len == 7 && strncasecmp(tv->base, "ENABLED", 7) == 0)
            rq->trace = BW_TRACE_ON;
        else if (tv->len == 12 && strncasecmp(tv->base, "ENABLED_FULL", 12) == 0)
            rq->trace = BW_TRACE_FULL;
        else if (tv->len == 8 && strncasecmp(tv->base, "DISABLED", 8) == 0)
            rq->trace = BW_TRACE_OFF;
        else
            return bw_actx_fail(c, "X-Amzn-Bedrock-Trace must be ENABLED, DISABLED or ENABLED_FULL");
    }
    if (id && ct && !(ct->len >= 16 && strncasecmp(ct->base, "application/json", 16) == 0 &&
                      (ct->len == 16 || ct->base[16] == ';' || ct->base[16] == ' ')))
        return bw_actx_fail(c, "Content-Type must be application/json when a guardrail is used");
    if (cfg) {
        const char *sfx, *mode;

        if (!id)
            return bw_actx_fail(c, "amazon-bedrock-guardrailConfig is given without the "
                                   "X-Amzn-Bedrock-GuardrailIdentifier header");
        if (!cJSON_IsObject(cfg))
            return bw_actx_fail(c, "amazon-bedrock-guardrailConfig: expected an object");
        for (k = cfg->child; k; k = k->next)
            if (strcmp(k->string, "tagSuffix") != 0 && strcmp(k->string, "streamProcessingMode") != 0)
                return bw_actx_fail(c, "amazon-bedrock-guardrailConfig.%s: unknown field", k->string);
        if ((k = bw_jget(cfg, "tagSuffix")) != NULL) {
            size_t i, n;

            sfx = cJSON_IsString(k) ? k->valuestring : NULL;
            n = sfx ? strlen(sfx) : 0;
            for (i = 0; i < n; i++)
                if (!isalnum((unsigned char)sfx[i]))
                    break;
            if (sfx == NULL || n == 0 || n > 20 || i < n)
                return bw_actx_fail(c, "amazon-bedrock-guardrailConfig.tagSuffix must be 1 to 20 letters or digits");
            rq->tag_suffix = c->tag_suffix = sfx;
        }
        if ((k = bw_jget(cfg, "streamProcessingMode")) != NULL) {
            mode = cJSON_IsString(k) ? k->valuestring : "";
            if (strcmp(mode, "ASYNCHRONOUS") == 0 || strcmp(mode, "SYNCHRONOUS") == 0)
                rq->async = mode[0] == 'A' ? 1 : -1;
            else
                return bw_actx_fail(c, "amazon-bedrock-guardrailConfig.streamProcessingMode must be SYNCHRONOUS "
                                       "or ASYNCHRONOUS");
        }
        if ((rv = bw_ed_add(c->a, c->ed, BW_ED_DEL, cfg, NULL, 0)) != 0)
            return rv;
    }
    rq->native = bk_native(rq->model, c->root);
    return bk_invoke_texts(c);
}

/* Every "key" string found in each element of array arr (results[].outputText ...). */
static int bk_each(struct bw_actx *c, const char *arr, const char *key)
{
    cJSON *a = bw_jget(c->root, arr), *x;
    int rv;

    for (x = cJSON_IsArray(a) ? a->child : NULL; x; x = x->next)
        if ((rv = bw_actx_str(c, bw_jget(x, key), 0)) != 0)
            return rv;
    return 0;
}

static int bk_invoke_resp(struct bw_actx *c)
{
    cJSON *r = c->root, *x;
    int rv = 0;

    switch (c->rq->native) {
    case BW_NAT_ANTHROPIC: return bw_anthropic_resp_texts(c);
    case BW_NAT_CHAT: return bw_openai_chat_resp_texts(c);
    case BW_NAT_NOVA: return bk_nova_texts(c, 1);
    case BW_NAT_CLAUDE_TEXT: return bw_actx_str(c, bw_jget(r, "completion"), 0);
    case BW_NAT_TITAN: return bk_each(c, "results", "outputText");
    case BW_NAT_LLAMA: return bw_actx_str(c, bw_jget(r, "generation"), 0);
    case BW_NAT_MISTRAL: return bk_each(c, "outputs", "text");
    case BW_NAT_COHERE: return bw_actx_str(c, bw_jget(r, "text"), 0);
    case BW_NAT_COHERE_GEN: return bk_each(c, "generations", "text");
    case BW_NAT_DEEPSEEK: return bk_each(c, "choices", "text");
    case BW_NAT_AI21_J2:
        x = bw_jget(r, "completions");
        for (x = cJSON_IsArray(x) ? x->child : NULL; x && rv == 0; x = x->next)
            rv = bw_actx_str(c, bw_jget(bw_jget(x, "data"), "text"), 0);
        return rv;
    default:
        /* an unknown model: every text field the known ones use */
        if (cJSON_IsArray(bw_jget(r, "content")))
            rv = bw_anthropic_resp_texts(c);
        if (rv == 0 && cJSON_IsArray(bw_jget(r, "choices")))
            rv = bw_openai_chat_resp_texts(c);
        if (rv == 0)
            rv = bk_nova_texts(c, 1);
        if (rv == 0)
            rv = bw_actx_str(c, bw_jget(r, "completion"), 0);
        if (rv == 0)
            rv = bk_each(c, "results", "outputText");
        if (rv == 0)
            rv = bw_actx_str(c, bw_jget(r, "generation"), 0);
        if (rv == 0)
            rv = bk_each(c, "outputs", "text");
        if (rv == 0)
            rv = bw_actx_str(c, bw_jget(r, "text"), 0);
        if (rv == 0)
            rv = bk_each(c, "generations", "text");
        return rv;
    }
}

static int bk_add_json(struct bw_arena *a, struct bw_edits *ed, cJSON *obj, const char *key,
                       int (*render)(const struct bw_trace *, struct bw_buf *), const struct bw_trace *tr)
{
    struct bw_buf b;
    char *t;
    int rv;

    bw_buf_init(&b, 0);
    if ((rv = render(tr, &b)) == 0) {
        t = bw_arena_strndup(a, b.base, b.len);
        rv = t ? bw_ed_ins(a, ed, obj, key, t, b.len) : BW_ENOMEM;
    }
    bw_buf_free(&b);
    return rv;
}

static int bk_invoke_edits(const struct bw_areq *rq, const struct bw_aresp *rs, int masked, const struct bw_trace *tr,
                           struct bw_arena *a, struct bw_edits *ed)
{
    const struct bw_trace *want = bw_trace_want(rq, tr);
    cJSON *sr;
    int rv;

    (void)masked;
    if (tr && tr->out_intervened && rq->native == BW_NAT_ANTHROPIC && (sr = bw_jget(rs->root, "stop_reason")) &&
        (rv = bw_ed_add(a, ed, BW_ED_RAW, sr, "\"guardrail_intervened\"", 22)) != 0)
        return rv;
    if (tr && rq->gr_id) {
        const char *v = tr->intervened ? "\"INTERVENED\"" : "\"NONE\"";
        if ((rv = bw_ed_ins(a, ed, rs->root, "amazon-bedrock-guardrailAction", v, strlen(v))) != 0)
            return rv;
    }
    if (want)
        return bk_add_json(a, ed, rs->root, "amazon-bedrock-trace", bw_trace_invoke, want);
    return 0;
}

static int bk_usage_num(const struct bw_aresp *rs, const char *k)
{
    cJSON *n = rs ? bw_jget(rs->root, k) : NULL;
    /* an upstream's number may be anything: only values an int holds convert */
    return cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble <= INT_MAX ? (int)n->valuedouble : 0;
}

/* The answer's own member k as JSON (malloc'd, cJSON_free it) when it is an object, else NULL. */
static char *bk_member_json(const struct bw_aresp *rs, const char *k)
{
    cJSON *v = rs ? bw_jget(rs->root, k) : NULL;

    return cJSON_IsObject(v) ? cJSON_PrintUnformatted(v) : NULL;
}

static int bk_invoke_blocked(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *msg,
                             const struct bw_trace *tr, struct bw_buf *out, const char **ct)
{
    int rv = 0;
    /* a blocked answer keeps the model's usage and id, as Converse and the other APIs do */
    char *usage = NULL;
    const char *id = rs ? bw_jstr(rs->root, "id") : NULL;
    cJSON *created = rs ? bw_jget(rs->root, "created") : NULL;

    (void)dir;
    *ct = "application/json";
    switch (rq->native) {
    case BW_NAT_ANTHROPIC: rv = bw_anthropic_blocked_body(rq, rs, msg, out); break;
    case BW_NAT_CLAUDE_TEXT:
        rv = bw_buf_adds(out, "{\"type\":\"completion\",\"completion\":") || bw_buf_jstr(out, msg) ||
             bw_buf_adds(out, ",\"stop_reason\":\"guardrail_intervened\",\"stop\":null");
        break;
    case BW_NAT_TITAN:
        rv = bw_buf_printf(out, "{\"inputTextTokenCount\":%d,\"results\":[{\"tokenCount\":0,\"outputText\":",
                           bk_usage_num(rs, "inputTextTokenCount")) ||
             bw_buf_jstr(out, msg) || bw_buf_adds(out, ",\"completionReason\":\"CONTENT_FILTERED\"}]");
        break;
    case BW_NAT_NOVA:
        usage = bk_member_json(rs, "usage");
        rv = bw_buf_adds(out, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":") ||
             bw_buf_jstr(out, msg) || bw_buf_adds(out, "}]}},\"stopReason\":\"guardrail_intervened\",\"usage\":") ||
             bw_buf_adds(out, usage ? usage : "{\"inputTokens\":0,\"outputTokens\":0,\"totalTokens\":0}");
        break;
    case BW_NAT_LLAMA:
        rv = bw_buf_adds(out, "{\"generation\":") || bw_buf_jstr(out, msg) ||
             bw_buf_printf(out, ",\"prompt_token_count\":%d,\"generation_token_count\":0,\"stop_reason\":\"stop\"",
                           bk_usage_num(rs, "prompt_token_count"));
        break;
    case BW_NAT_MISTRAL:
        rv = bw_buf_adds(out, "{\"outputs\":[{\"text\":") || bw_buf_jstr(out, msg) ||
             bw_buf_adds(out, ",\"stop_reason\":\"stop\"}]");
        break;
    case BW_NAT_CHAT:
        usage = bk_member_json(rs, "usage");
        rv = bw_buf_adds(out, "{\"id\":") ||
             (id ? bw_buf_jstr(out, id) : bw_buf_addc(out, '"') || bw_rand_id(out, "chatcmpl-bw") || bw_buf_addc(out, '"')) ||
             bw_buf_printf(out, ",\"object\":\"chat.completion\",\"created\":%lld,\"model\":",
                           bw_peer_time(created, (long long)time(NULL))) ||
             bw_buf_jstr(out, rq->model ? rq->model : "unknown") ||
             bw_buf_adds(out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":") ||
             bw_buf_jstr(out, msg) || bw_buf_adds(out, "},\"finish_reason\":\"content_filter\"}],\"usage\":") ||
             bw_buf_adds(out, usage ? usage : "{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}");
        break;
    case BW_NAT_COHERE:
        rv = bw_buf_adds(out, "{\"response_id\":\"") || bw_rand_id(out, "") ||
             bw_buf_adds(out, "\",\"text\":") || bw_buf_jstr(out, msg) || bw_buf_adds(out, ",\"generation_id\":\"") ||
             bw_rand_id(out, "") || bw_buf_adds(out, "\",\"chat_history\":[],\"finish_reason\":\"COMPLETE\"");
        break;
    case BW_NAT_COHERE_GEN:
        rv = bw_buf_adds(out, "{\"id\":\"") || bw_rand_id(out, "") || bw_buf_adds(out, "\",\"generations\":[{\"id\":\"") ||
             bw_rand_id(out, "") || bw_buf_adds(out, "\",\"text\":") || bw_buf_jstr(out, msg) ||
             bw_buf_adds(out, ",\"finish_reason\":\"COMPLETE\"}],\"prompt\":\"\"");
        break;
    case BW_NAT_DEEPSEEK:
        rv = bw_buf_adds(out, "{\"choices\":[{\"text\":") || bw_buf_jstr(out, msg) ||
             bw_buf_adds(out, ",\"stop_reason\":\"stop\"}]");
        break;
    case BW_NAT_AI21_J2:
        rv = bw_buf_adds(out, "{\"id\":1,\"prompt\":{\"text\":\"\",\"tokens\":[]},\"completions\":[{\"data\":{\"text\":") ||
             bw_buf_jstr(out, msg) ||
             bw_buf_adds(out, ",\"tokens\":[]},\"finishReason\":{\"reason\":\"endoftext\"}}]");
        break;
    default: rv = bw_buf_adds(out, "{\"text\":") || bw_buf_jstr(out, msg); break;
    }
    cJSON_free(usage);
    if (rv)
        return BW_ENOMEM;
    rv = bw_buf_adds(out, ",\"amazon-bedrock-guardrailAction\":\"INTERVENED\"");
    if (rv == 0 && (tr = bw_trace_want(rq, tr)) != NULL)
        rv = bw_buf_adds(out, ",\"amazon-bedrock-trace\":") || bw_trace_invoke(tr, out);
    return rv || bw_buf_addc(out, '}') ? BW_ENOMEM : 0;
}

const struct bw_adapter_ops bw_adapter_invoke_ops = {
    .parse_req = bk_invoke_req,
    .parse_resp = bk_invoke_resp,
    .resp_edits = bk_invoke_edits,
    .blocked = bk_invoke_blocked,
};

/* ------------------------------------------------------------------ */
/* Converse                                                            */

static int bk_quals(struct bw_actx *c, cJSON *q, unsigned *out)
{
    cJSON *x;

    *out = 0;
    if (q == NULL)
        goto dflt;
    if (!cJSON_IsArray(q))
        return bw_actx_fail(c, "guardContent.text.qualifiers: expected an array");
    for (x = q->child; x; x = x->next) {
        const char *s = cJSON_IsString(x) ? x->valuestring : "";
        if (strcmp(s, "grounding_source") == 0)
            *out |= BW_QUAL_GROUNDING;
        else if (strcmp(s, "query") == 0)
            *out |= BW_QUAL_QUERY;
        else if (strcmp(s, "guard_content") == 0)
            *out |= BW_QUAL_GUARD;
        else
            return bw_actx_fail(c, "guardContent.text.qualifiers: \"%s\" is not one of grounding_source, query, "
                                   "guard_content",
                                s);
    }
dflt:
    if (*out == 0)
        *out = BW_QUAL_GUARD;
    return 0;
}

/* A guardContent block: guarded with its qualifiers, unwrapped upstream. */
static int bk_guard_content(struct bw_actx *c, cJSON *block, cJSON *gc)
{
    cJSON *t = bw_jget(gc, "text"), *img = bw_jget(gc, "image");
    unsigned q;
    int rv;

    if (t) {
        cJSON *s = bw_jget(t, "text");

        if (!cJSON_IsString(s))
            return bw_actx_fail(c, "guardContent.text.text: expected a string");
        if ((rv = bk_quals(c, bw_jget(t, "qualifiers"), &q)) != 0 || (rv = bw_actx_str(c, s, q)) != 0)
            return rv;
        if ((rv = bw_ed_add(c->a, c->ed, BW_ED_UNWRAP, block, NULL, 0)) != 0)
            return rv;
        c->ed->v[c->ed->n - 1].inner = s;
        return 0;
    }
    if (img) {
        /* images are not text: passed on as a plain image block */
        char *p;
        size_t n;
        struct bw_buf b;

        if ((p = bw_jprint(c->a, img, &n)) == NULL)
            return BW_ENOMEM;
        bw_buf_init(&b, 0);
        rv = bw_buf_adds(&b, "{\"image\":") || bw_buf_add(&b, p, n) || bw_buf_addc(&b, '}');
        p = rv ? NULL : bw_arena_strndup(c->a, b.base, b.len);
        rv = p ? bw_ed_add(c->a, c->ed, BW_ED_RAW, block, p, b.len) : BW_ENOMEM;
        bw_buf_free(&b);
        return rv;
    }
    return bw_actx_fail(c, "guardContent: expected text or image");
}

static int bk_converse_blocks(struct bw_actx *c, cJSON *content, int system, const char *what, int idx)
{
    unsigned fl = c->o ? c->o->flags : 0;
    cJSON *b, *x;
    int rv = 0, k = 0;

    if (!cJSON_IsArray(content))
        return bw_actx_fail(c, "%s[%d]%s: expected an array", what, idx, system ? "" : ".content");
    for (b = content->child; b && rv == 0; b = b->next, k++) {
        if (!cJSON_IsObject(b))
            return bw_actx_fail(c, "%s[%d].content[%d]: expected an object", what, idx, k);
        if ((x = bw_jget(b, "guardContent")) != NULL) {
            rv = bk_guard_content(c, b, x);
        } else if ((x = bw_jget(b, "text")) != NULL) {
            if (!cJSON_IsString(x))
                return bw_actx_fail(c, "%s[%d].text: expected a string", what, idx);
            if (!system || (fl & BW_ADAPT_GUARD_SYSTEM))
                rv = bw_actx_str(c, x, 0);
        } else if ((x = bw_jget(b, "toolResult")) != NULL && (fl & BW_ADAPT_GUARD_TOOLS)) {
            rv = bw_actx_leaves(c, bw_jget(x, "content"), 0, 0);
        } else if ((x = bw_jget(b, "toolUse")) != NULL && (fl & BW_ADAPT_GUARD_TOOLS)) {
            rv = bw_actx_leaves(c, bw_jget(x, "input"), 0, 0);
        }
    }
    return rv;
}

static int bk_converse_req(struct bw_actx *c)
{
    struct bw_areq *rq = c->rq;
    cJSON *gc = bw_jget(c->root, "guardrailConfig"), *msgs = bw_jget(c->root, "messages"), *m, *k;
    cJSON *sys = bw_jget(c->root, "system"), *pv = bw_jget(c->root, "promptVariables");
    int rv, i = 0, start;

    rq->model = bk_model(c, &rq->stream);
    if (gc) {
        const char *id, *ver, *s;

        if (!cJSON_IsObject(gc))
            return bw_actx_fail(c, "guardrailConfig: expected an object");
        for (k = gc->child; k; k = k->next) {
            if (strcmp(k->string, "streamProcessingMode") == 0 && !rq->stream)
                return bw_actx_fail(c, "guardrailConfig.streamProcessingMode is only valid for ConverseStream");
            if (strcmp(k->string, "guardrailIdentifier") != 0 && strcmp(k->string, "guardrailVersion") != 0 &&
                strcmp(k->string, "trace") != 0 && strcmp(k->string, "streamProcessingMode") != 0)
                return bw_actx_fail(c, "guardrailConfig.%s: unknown field", k->string);
            if (!cJSON_IsString(k))
                return bw_actx_fail(c, "guardrailConfig.%s: expected a string", k->string);
        }
        id = bw_jstr(gc, "guardrailIdentifier");
        ver = bw_jstr(gc, "guardrailVersion");
        if ((rv = bk_check_ids(c, id, ver, "guardrailConfig.guardrailIdentifier", "guardrailConfig.guardrailVersion")) !=
            0)
            return rv;
        if ((s = bw_jstr(gc, "trace")) != NULL) {
            if (strcmp(s, "enabled") == 0)
                rq->trace = BW_TRACE_ON;
            else if (strcmp(s, "enabled_full") == 0)
                rq->trace = BW_TRACE_FULL;
            else if (strcmp(s, "disabled") == 0)
                rq->trace = BW_TRACE_OFF;
            else
                return bw_actx_fail(c, "guardrailConfig.trace must be enabled, disabled or enabled_full");
        }
        if ((s = bw_jstr(gc, "streamProcessingMode")) != NULL) {
            if (strcmp(s, "async") == 0 || strcmp(s, "sync") == 0)
                rq->async = s[0] == 'a' ? 1 : -1;
            else
                return bw_actx_fail(c, "guardrailConfig.streamProcessingMode must be sync or async");
        }
        if ((rv = bw_ed_add(c->a, c->ed, BW_ED_DEL, gc, NULL, 0)) != 0)
            return rv;
    }
    if (sys && !cJSON_IsArray(sys))
        return bw_actx_fail(c, "system: expected an array");
    if (sys && (rv = bk_converse_blocks(c, sys, 1, "system", 0)) != 0)
        return rv;
    if (msgs && !cJSON_IsArray(msgs))
        return bw_actx_fail(c, "messages: expected an array");
    start = bw_last_turn_start(c, msgs, "role", "assistant");
    for (m = msgs ? msgs->child : NULL; m; m = m->next, i++) {
        if (!cJSON_IsObject(m))
            return bw_actx_fail(c, "messages[%d]: expected an object", i);
        if (i >= start && (rv = bk_converse_blocks(c, bw_jget(m, "content"), 0, "messages", i)) != 0)
            return rv;
    }
    /* prompt management: {"promptVariables":{"name":{"text":"..."}}} */
    for (m = cJSON_IsObject(pv) ? pv->child : NULL; m; m = m->next)
        if ((rv = bw_actx_opt_str(c, bw_jget(m, "text"), 0, "promptVariables")) != 0)
            return rv;
    return 0;
}

static int bk_converse_resp(struct bw_actx *c)
{
    cJSON *msg = bw_jget(bw_jget(c->root, "output"), "message"), *content = bw_jget(msg, "content"), *b;
    unsigned fl = c->o ? c->o->flags : 0;
    int rv = 0;

    if (!cJSON_IsArray(content))
        return bw_actx_fail(c, "output.message.content: expected an array");
    for (b = content->child; b && rv == 0; b = b->next) {
        rv = bw_actx_str(c, bw_jget(b, "text"), 0);
        if (rv == 0 && (fl & BW_ADAPT_GUARD_TOOLS) && bw_jget(b, "toolUse"))
            rv = bw_actx_leaves(c, bw_jget(bw_jget(b, "toolUse"), "input"), 0, 0);
    }
    return rv;
}

static int bk_converse_edits(const struct bw_areq *rq, const struct bw_aresp *rs, int masked,
                             const struct bw_trace *tr, struct bw_arena *a, struct bw_edits *ed)
{
    const struct bw_trace *want = bw_trace_want(rq, tr);
    cJSON *sr, *trace;
    int rv;

    (void)masked;
    if (tr && tr->out_intervened && (sr = bw_jget(rs->root, "stopReason")) &&
        (rv = bw_ed_add(a, ed, BW_ED_RAW, sr, "\"guardrail_intervened\"", 22)) != 0)
        return rv;
    if (!want)
        return 0;
    trace = bw_jget(rs->root, "trace");
    if (cJSON_IsObject(trace)) {
        cJSON *g = bw_jget(trace, "guardrail");
        if (g) {
            struct bw_buf b;
            char *t;

            bw_buf_init(&b, 0);
            rv = bw_trace_converse(want, &b);
            t = rv == 0 ? bw_arena_strndup(a, b.base, b.len) : NULL;
            rv = t ? bw_ed_add(a, ed, BW_ED_RAW, g, t, b.len) : BW_ENOMEM;
            bw_buf_free(&b);
            return rv;
        }
        return bk_add_json(a, ed, trace, "guardrail", bw_trace_converse, want);
    }
    {
        struct bw_buf b;
        char *t;

        bw_buf_init(&b, 0);
        rv = bw_buf_adds(&b, "{\"guardrail\":") || bw_trace_converse(want, &b) || bw_buf_addc(&b, '}') ? BW_ENOMEM : 0;
        t = rv == 0 ? bw_arena_strndup(a, b.base, b.len) : NULL;
        rv = t ? bw_ed_ins(a, ed, rs->root, "trace", t, b.len) : BW_ENOMEM;
        bw_buf_free(&b);
        return rv;
    }
}

static int bk_converse_blocked(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *msg,
                               const struct bw_trace *tr, struct bw_buf *out, const char **ct)
{
    cJSON *u = rs ? bw_jget(rs->root, "usage") : NULL, *mt = rs ? bw_jget(rs->root, "metrics") : NULL;
    char *us = cJSON_IsObject(u) ? cJSON_PrintUnformatted(u) : NULL;
    char *ms = cJSON_IsObject(mt) ? cJSON_PrintUnformatted(mt) : NULL;
    int rv;

    (void)dir;
    *ct = "application/json";
    rv = bw_buf_adds(out, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":") ||
         bw_buf_jstr(out, msg) || bw_buf_adds(out, "}]}},\"stopReason\":\"guardrail_intervened\",\"usage\":") ||
         bw_buf_adds(out, us ? us : "{\"inputTokens\":0,\"outputTokens\":0,\"totalTokens\":0}") ||
         bw_buf_adds(out, ",\"metrics\":") || bw_buf_adds(out, ms ? ms : "{\"latencyMs\":0}");
    cJSON_free(us);
    cJSON_free(ms);
    if (rv == 0 && (tr = bw_trace_want(rq, tr)) != NULL)
        rv = bw_buf_adds(out, ",\"trace\":{\"guardrail\":") || bw_trace_converse(tr, out) || bw_buf_addc(out, '}');
    return rv || bw_buf_addc(out, '}') ? BW_ENOMEM : 0;
}

const struct bw_adapter_ops bw_adapter_converse_ops = {
    .parse_req = bk_converse_req,
    .parse_resp = bk_converse_resp,
    .resp_edits = bk_converse_edits,
    .blocked = bk_converse_blocked,
};
