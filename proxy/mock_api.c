/*
 * mock_api.c: the mock model's answers (see mock_api.h). Deterministic:
 * ids come from a hash of the request body and "created" is fixed, so the
 * same request always gets the same bytes (golden files, benchmarks).
 *
 * The shapes are the APIs' own, with the fields the official SDKs read:
 * OpenAI chat.completion(.chunk), text_completion, response objects and
 * events with sequence numbers; Anthropic message and its event sequence;
 * Bedrock Converse(Stream) and InvokeModel bodies of each provider, the
 * stream as event-stream "chunk" events of base64 model JSON, the last one
 * with amazon-bedrock-invocationMetrics.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/adapt_int.h"
#include "proxy/evstream.h"
#include "proxy/mock_api.h"
#include "proxy/sse.h"

#define MK_CREATED 1735689600 /* 2025-01-01T00:00:00Z: fixed, for deterministic bytes */
#define MK_MAX_TOKENS 100000

/* ------------------------------------------------------------------ */
/* settings                                                            */

static int mk_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
    unsigned long v = 0;
    size_t i;

    if (n == 0 || n > 9)
        return -1;
    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        v = max;
    *out = (unsigned)v;
    return 0;
}

/* The value of query parameter name in path, or NULL. */
static const char *mk_qparam(const char *path, const char *name, size_t *len)
{
    const char *q = path ? strchr(path, '?') : NULL;
    size_t nl = strlen(name);

    while (q && *q) {
        const char *p = q + 1, *end = strchr(p, '&');
        size_t pl = end ? (size_t)(end - p) : strlen(p);

        if (pl > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            *len = pl - nl - 1;
            return p + nl + 1;
        }
        q = end;
    }
    return NULL;
}

void bw_mock_opts_parse(const char *path, const struct bw_hdr *h, size_t nh, struct bw_mock_opts *o)
{
    static const struct {
        const char *q, *hdr;
        unsigned max;
    } keys[4] = {{"tokens", "x-mock-tokens", MK_MAX_TOKENS}, {"delay_ms", "x-mock-delay-ms", 60000},
                 {"status", "x-mock-status", 599}, {"split", "x-mock-split", 1u << 20}};
    unsigned *dst[4];
    unsigned st = 0;
    size_t i, n;
    const char *v;
    const struct bw_iov *hv;

    memset(o, 0, sizeof(*o));
    dst[0] = &o->tokens;
    dst[1] = &o->delay_ms;
    dst[2] = &st;
    dst[3] = &o->split;
    for (i = 0; i < 4; i++) {
        if ((hv = bw_hdr_get(h, nh, keys[i].hdr)) != NULL)
            mk_uint(hv->base, hv->len, keys[i].max, dst[i]);
        if ((v = mk_qparam(path, keys[i].q, &n)) != NULL)
            mk_uint(v, n, keys[i].max, dst[i]);
    }
    o->status = st >= 400 ? (int)st : 0;
}

/* ------------------------------------------------------------------ */
/* reading the request                                                 */

/* Text of a content value: a string, or the text of its parts/blocks joined. */
static void mk_text_of(cJSON *c, struct bw_buf *b)
{
    cJSON *p;

    if (cJSON_IsString(c)) {
        bw_buf_adds(b, c->valuestring);
        return;
    }
    for (p = cJSON_IsArray(c) ? c->child : NULL; p; p = p->next) {
        const char *t = bw_jstr(p, "text");
        cJSON *g = bw_jget(bw_jget(bw_jget(p, "guardContent"), "text"), "text");

        if (t) {
            if (b->len)
                bw_buf_addc(b, ' ');
            bw_buf_adds(b, t);
        } else if (cJSON_IsString(g)) {
            if (b->len)
                bw_buf_addc(b, ' ');
            bw_buf_adds(b, g->valuestring);
        }
    }
}

/* The last message with role user in msgs, as text. */
static int mk_last_user(cJSON *msgs, struct bw_buf *b)
{
    cJSON *m, *last = NULL;

    for (m = cJSON_IsArray(msgs) ? msgs->child : NULL; m; m = m->next) {
        const char *r = bw_jstr(m, "role");
        if (r && (strcmp(r, "user") == 0 || strcmp(r, "USER") == 0))
            last = m;
    }
    if (last == NULL)
        return -1;
    mk_text_of(bw_jget(last, "content"), b);
    return 0;
}

/* The prompt the mock answers: the last user message. Returns 0 or -1 (no prompt: a 400). */
static int mk_prompt(int api, int native, cJSON *root, struct bw_buf *b)
{
    cJSON *in;

    switch (api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_ANTHROPIC:
    case BW_API_BEDROCK_CONVERSE: return mk_last_user(bw_jget(root, "messages"), b);
    case BW_API_OPENAI_COMPLETIONS:
        in = bw_jget(root, "prompt");
        if (cJSON_IsArray(in))
            in = cJSON_GetArrayItem(in, cJSON_GetArraySize(in) - 1);
        if (!cJSON_IsString(in))
            return -1;
        bw_buf_adds(b, in->valuestring);
        return 0;
    case BW_API_OPENAI_RESPONSES:
        in = bw_jget(root, "input");
        if (cJSON_IsString(in)) {
            bw_buf_adds(b, in->valuestring);
            return 0;
        }
        return mk_last_user(in, b);
    case BW_API_BEDROCK_INVOKE:
        switch (native) {
        case BW_NAT_ANTHROPIC:
        case BW_NAT_NOVA:
        case BW_NAT_CHAT: return mk_last_user(bw_jget(root, "messages"), b);
        case BW_NAT_TITAN: in = bw_jget(root, "inputText"); break;
        case BW_NAT_COHERE: in = bw_jget(root, "message"); break;
        default: in = bw_jget(root, "prompt"); break;
        }
        if (!cJSON_IsString(in))
            return -1;
        bw_buf_adds(b, in->valuestring);
        return 0;
    default:
        in = bw_jget(root, "input");
        if (!cJSON_IsString(in))
            in = bw_jget(root, "prompt");
        if (!cJSON_IsString(in))
            return -1;
        bw_buf_adds(b, in->valuestring);
        return 0;
    }
}

/* "REPLY: x" answers x; anything else is echoed. */
static void mk_reply(const char *prompt, struct bw_buf *ans)
{
    const char *r = strstr(prompt, "REPLY:");

    if (r) {
        r += 6;
        while (*r == ' ')
            r++;
        bw_buf_adds(ans, r);
    } else {
        bw_buf_adds(ans, "You said: ");
        bw_buf_adds(ans, prompt);
    }
}

static size_t mk_words(const char *s)
{
    size_t n = 0;
    int in = 0;

    for (; *s; s++) {
        if (isspace((unsigned char)*s))
            in = 0;
        else if (!in) {
            in = 1;
            n++;
        }
    }
    return n;
}

/*
 * Splits the answer into deltas at word starts ("Hello", " world"): one per
 * word, or exactly `tokens` when set (the answer repeated to have enough
 * words). Fills cut offsets (ncut + 1 of them) in *cuts (malloc'd).
 */
static int mk_cut(struct bw_buf *ans, unsigned tokens, size_t **cuts, size_t *ncut)
{
    size_t nw = mk_words(ans->base ? ans->base : ""), *starts, i, k = 0, n;
    char *base;

    if (nw == 0) {
        if ((*cuts = malloc(2 * sizeof(size_t))) == NULL)
            return BW_ENOMEM;
        (*cuts)[0] = 0;
        (*cuts)[1] = ans->len;
        *ncut = 1;
        return 0;
    }
    if (tokens && nw < tokens) {
        char *orig = strdup(ans->base);
        size_t ow = nw;

        if (orig == NULL)
            return BW_ENOMEM;
        while (nw < tokens) {
            if (bw_buf_addc(ans, ' ') || bw_buf_adds(ans, orig)) {
                free(orig);
                return BW_ENOMEM;
            }
            nw += ow;
        }
        free(orig);
    }
    base = ans->base;
    if ((starts = malloc((nw + 1) * sizeof(*starts))) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < ans->len; i++)
        if (!isspace((unsigned char)base[i]) && (i == 0 || isspace((unsigned char)base[i - 1])))
            starts[k++] = i;
    /* a delta starts with the spaces before its word, as model tokens do */
    for (i = 1; i < k; i++)
        while (starts[i] > 0 && isspace((unsigned char)base[starts[i] - 1]) && starts[i] - 1 > starts[i - 1])
            starts[i]--;
    starts[0] = 0;
    n = tokens ? BW_MIN((size_t)tokens, k) : k;
    if ((*cuts = malloc((n + 1) * sizeof(size_t))) == NULL) {
        free(starts);
        return BW_ENOMEM;
    }
    for (i = 0; i < n; i++)
        (*cuts)[i] = starts[i * k / n];
    (*cuts)[n] = ans->len;
    *ncut = n;
    free(starts);
    return 0;
}

/* Deltas of `split` bytes each, cut at character boundaries (tests: PII split across events). */
static int mk_cut_bytes(struct bw_buf *ans, unsigned split, size_t **cuts, size_t *ncut)
{
    size_t n = 0, at = 0;

    if ((*cuts = malloc((ans->len / split + 2) * sizeof(size_t))) == NULL)
        return BW_ENOMEM;
    do {
        (*cuts)[n++] = at;
        at += split;
        while (at < ans->len && ((unsigned char)ans->base[at] & 0xc0) == 0x80)
            at++;
    } while (at < ans->len);
    (*cuts)[n] = ans->len;
    *ncut = n;
    return 0;
}

static uint32_t mk_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* What one answer needs. */
struct mk {
    int api, native;
    const char *model;
    char id[64];
    struct bw_buf ans;
    size_t *cuts, ncut;
    unsigned ptok, ctok;
    int include_usage;
    struct bw_buf tmp;
};

static void mk_free(struct mk *m)
{
    bw_buf_free(&m->ans);
    bw_buf_free(&m->tmp);
    free(m->cuts);
}

/*
 * Reads the request. Returns 0, or sets *status and appends the error body
 * (then returns 1).
 */
static int mk_prepare(int api, const char *path, const struct bw_mock_opts *o, const char *body, size_t len,
                      struct mk *m, cJSON **rootp, int *status, struct bw_buf *out, const char **ct)
{
    cJSON *root;
    struct bw_buf prompt;
    static const char *const pfx[BW_API__N] = {
        [BW_API_OPENAI_CHAT] = "chatcmpl-mock", [BW_API_OPENAI_COMPLETIONS] = "cmpl-mock",
        [BW_API_OPENAI_RESPONSES] = "resp_mock", [BW_API_ANTHROPIC] = "msg_mock",
        [BW_API_BEDROCK_INVOKE] = "msg_bdrk_mock", [BW_API_BEDROCK_CONVERSE] = "mock", [BW_API_GENERIC] = "mock",
    };
    const char *model;

    memset(m, 0, sizeof(*m));
    m->api = api;
    bw_buf_init(&m->ans, 0);
    bw_buf_init(&m->tmp, 0);
    *rootp = NULL;
    if (o && o->status >= 400) {
        *status = o->status;
        bw_adapter_error(api, o->status, "mock error requested", out, ct, NULL);
        return 1;
    }
    root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *status = 400;
        bw_adapter_error(api, 400, "the request body is not a JSON object", out, ct, NULL);
        return 1;
    }
    if (api == BW_API_BEDROCK_INVOKE)
        m->native = bw_bedrock_native(path, root);
    bw_buf_init(&prompt, 0);
    if (mk_prompt(api, m->native, root, &prompt) != 0) {
        bw_buf_free(&prompt);
        cJSON_Delete(root);
        *status = 400;
        bw_adapter_error(api, 400, "no user message to answer", out, ct, NULL);
        return 1;
    }
    mk_reply(prompt.base ? prompt.base : "", &m->ans);
    m->ptok = (unsigned)BW_MAX(mk_words(prompt.base ? prompt.base : ""), 1);
    bw_buf_free(&prompt);
    if ((o && o->split ? mk_cut_bytes(&m->ans, o->split, &m->cuts, &m->ncut)
                       : mk_cut(&m->ans, o ? o->tokens : 0, &m->cuts, &m->ncut)) != 0) {
        cJSON_Delete(root);
        return BW_ENOMEM;
    }
    /* usage counts words whatever the split, so a re-split answer differs only in its deltas */
    m->ctok = (unsigned)(o && o->split ? BW_MAX(mk_words(m->ans.base ? m->ans.base : ""), 1) : m->ncut);
    model = bw_jstr(root, "model");
    if (model == NULL && (api == BW_API_BEDROCK_INVOKE || api == BW_API_BEDROCK_CONVERSE)) {
        const char *p = path ? strstr(path, "/model/") : NULL;
        model = p ? p + 7 : NULL;
    }
    m->model = model;
    m->include_usage = cJSON_IsTrue(bw_jget(bw_jget(root, "stream_options"), "include_usage"));
    snprintf(m->id, sizeof(m->id), "%s%08x%08x", pfx[api] ? pfx[api] : "mock", mk_hash(body, len),
             mk_hash(path ? path : "", path ? strlen(path) : 0));
    *rootp = root;
    return 0;
}

/* The model name for bodies: the request's, cut at '/' for Bedrock paths. */
static int mk_model(struct bw_buf *b, const struct mk *m)
{
    const char *s = m->model ? m->model : "mock-model";
    size_t n = strcspn(s, "/?"), i;
    char d[256];
    size_t k = 0;

    /* a Bedrock model id comes URL-encoded in the path ("v1%3A0") */
    for (i = 0; i < n && k < sizeof(d); i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            d[k++] = (char)strtol(h, NULL, 16);
            i += 2;
        } else {
            d[k++] = s[i];
        }
    }
    return bw_buf_addc(b, '"') || bw_buf_json_str(b, d, k) || bw_buf_addc(b, '"') ? BW_ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* non-streamed                                                        */

static int mk_body(struct mk *m, cJSON *root, struct bw_buf *out)
{
    const char *a = m->ans.base ? m->ans.base : "";
    unsigned p = m->ptok, c = m->ctok;
    int rv = 0;

    (void)root;
    switch (m->api) {
    case BW_API_OPENAI_CHAT:
        rv = bw_buf_printf(out, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%d,\"model\":", m->id,
                           MK_CREATED) ||
             mk_model(out, m) ||
             bw_buf_adds(out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":") ||
             bw_buf_jstr(out, a) ||
             bw_buf_printf(out, ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                                "\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,\"total_tokens\":%u,"
                                "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
                                "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
                                "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}},"
                                "\"service_tier\":\"default\",\"system_fingerprint\":\"fp_bulwark_mock\"}",
                           p, c, p + c);
        break;
    case BW_API_OPENAI_COMPLETIONS:
        rv = bw_buf_printf(out, "{\"id\":\"%s\",\"object\":\"text_completion\",\"created\":%d,\"model\":", m->id,
                           MK_CREATED) ||
             mk_model(out, m) || bw_buf_adds(out, ",\"choices\":[{\"text\":") || bw_buf_jstr(out, a) ||
             bw_buf_printf(out, ",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
                                "\"prompt_tokens\":%u,\"completion_tokens\":%u,\"total_tokens\":%u}}",
                           p, c, p + c);
        break;
    case BW_API_OPENAI_RESPONSES:
        rv = bw_buf_printf(out, "{\"id\":\"%s\",\"object\":\"response\",\"created_at\":%d,\"status\":\"completed\","
                                "\"error\":null,\"incomplete_details\":null,\"instructions\":null,"
                                "\"max_output_tokens\":null,\"model\":",
                           m->id, MK_CREATED) ||
             mk_model(out, m) ||
             bw_buf_printf(out, ",\"output\":[{\"id\":\"msg_%s\",\"type\":\"message\",\"status\":\"completed\","
                                "\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":",
                           m->id + 9) ||
             bw_buf_jstr(out, a) ||
             bw_buf_printf(out, ",\"annotations\":[],\"logprobs\":[]}]}],\"parallel_tool_calls\":true,"
                                "\"previous_response_id\":null,\"reasoning\":{\"effort\":null,\"summary\":null},"
                                "\"store\":false,\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},"
                                "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\"disabled\","
                                "\"usage\":{\"input_tokens\":%u,\"input_tokens_details\":{\"cached_tokens\":0},"
                                "\"output_tokens\":%u,\"output_tokens_details\":{\"reasoning_tokens\":0},"
                                "\"total_tokens\":%u},\"user\":null,\"metadata\":{}}",
                           p, c, p + c);
        break;
    case BW_API_ANTHROPIC:
    anthropic:
        rv = bw_buf_printf(out, "{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":", m->id) ||
             mk_model(out, m) || bw_buf_adds(out, ",\"content\":[{\"type\":\"text\",\"text\":") ||
             bw_buf_jstr(out, a) ||
             bw_buf_printf(out, "}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{"
                                "\"input_tokens\":%u,\"output_tokens\":%u}}",
                           p, c);
        break;
    case BW_API_BEDROCK_CONVERSE:
    nova:
        rv = bw_buf_adds(out, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":") ||
             bw_buf_jstr(out, a) ||
             bw_buf_printf(out, "}]}},\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":%u,\"outputTokens\":%u,"
                                "\"totalTokens\":%u}%s}",
                           p, c, p + c, m->api == BW_API_BEDROCK_CONVERSE ? ",\"metrics\":{\"latencyMs\":1}" : "");
        break;
    case BW_API_BEDROCK_INVOKE:
        switch (m->native) {
        case BW_NAT_ANTHROPIC: goto anthropic;
        case BW_NAT_NOVA: goto nova;
        case BW_NAT_TITAN:
            rv = bw_buf_printf(out, "{\"inputTextTokenCount\":%u,\"results\":[{\"tokenCount\":%u,\"outputText\":", p,
                               c) ||
                 bw_buf_jstr(out, a) || bw_buf_adds(out, ",\"completionReason\":\"FINISH\"}]}");
            break;
        case BW_NAT_LLAMA:
            rv = bw_buf_adds(out, "{\"generation\":") || bw_buf_jstr(out, a) ||
                 bw_buf_printf(out, ",\"prompt_token_count\":%u,\"generation_token_count\":%u,\"stop_reason\":\"stop\"}",
                               p, c);
            break;
        case BW_NAT_MISTRAL:
            rv = bw_buf_adds(out, "{\"outputs\":[{\"text\":") || bw_buf_jstr(out, a) ||
                 bw_buf_adds(out, ",\"stop_reason\":\"stop\"}]}");
            break;
        case BW_NAT_CHAT:
            rv = bw_buf_printf(out, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%d,\"model\":", m->id,
                               MK_CREATED) ||
                 mk_model(out, m) ||
                 bw_buf_adds(out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":") ||
                 bw_buf_jstr(out, a) ||
                 bw_buf_printf(out, "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%u,"
                                    "\"completion_tokens\":%u,\"total_tokens\":%u}}",
                               p, c, p + c);
            break;
        case BW_NAT_COHERE:
            rv = bw_buf_printf(out, "{\"response_id\":\"%s\",\"text\":", m->id) || bw_buf_jstr(out, a) ||
                 bw_buf_printf(out, ",\"generation_id\":\"%s-g\",\"chat_history\":[],\"finish_reason\":\"COMPLETE\"}",
                               m->id);
            break;
        case BW_NAT_COHERE_GEN:
            rv = bw_buf_printf(out, "{\"id\":\"%s\",\"generations\":[{\"id\":\"%s-g\",\"text\":", m->id, m->id) ||
                 bw_buf_jstr(out, a) || bw_buf_adds(out, ",\"finish_reason\":\"COMPLETE\"}],\"prompt\":\"\"}");
            break;
        case BW_NAT_DEEPSEEK:
            rv = bw_buf_adds(out, "{\"choices\":[{\"text\":") || bw_buf_jstr(out, a) ||
                 bw_buf_adds(out, ",\"stop_reason\":\"stop\"}]}");
            break;
        case BW_NAT_CLAUDE_TEXT:
            rv = bw_buf_adds(out, "{\"type\":\"completion\",\"completion\":") || bw_buf_jstr(out, a) ||
                 bw_buf_adds(out, ",\"stop_reason\":\"stop_sequence\",\"stop\":\"\\n\\nHuman:\"}");
            break;
        case BW_NAT_AI21_J2:
            rv = bw_buf_adds(out, "{\"id\":1,\"prompt\":{\"text\":\"\"},\"completions\":[{\"data\":{\"text\":") ||
                 bw_buf_jstr(out, a) || bw_buf_adds(out, "},\"finishReason\":{\"reason\":\"endoftext\"}}]}");
            break;
        default: rv = bw_buf_adds(out, "{\"text\":") || bw_buf_jstr(out, a) || bw_buf_addc(out, '}'); break;
        }
        break;
    default: rv = bw_buf_adds(out, "{\"output\":") || bw_buf_jstr(out, a) || bw_buf_addc(out, '}'); break;
    }
    return rv ? BW_ENOMEM : 0;
}

int bw_mock_answer_opts(int api, const char *path, const struct bw_mock_opts *o, const char *body, size_t len,
                        int *status, struct bw_buf *out, const char **content_type)
{
    struct mk m;
    cJSON *root;
    int rv;

    *content_type = "application/json";
    *status = 200;
    if ((rv = mk_prepare(api, path, o, body, len, &m, &root, status, out, content_type)) != 0) {
        mk_free(&m);
        return rv < 0 ? rv : 0;
    }
    rv = mk_body(&m, root, out);
    cJSON_Delete(root);
    mk_free(&m);
    return rv;
}

int bw_mock_answer(int api, const char *path, const char *body, size_t len, int *status, struct bw_buf *out,
                   const char **content_type)
{
    struct bw_mock_opts o;

    bw_mock_opts_parse(path, NULL, 0, &o);
    return bw_mock_answer_opts(api, path, &o, body, len, status, out, content_type);
}

/* ------------------------------------------------------------------ */
/* streamed                                                            */

void bw_mock_stream_init(struct bw_mock_stream *s)
{
    memset(s, 0, sizeof(*s));
    bw_buf_init(&s->buf, 0);
}

void bw_mock_stream_free(struct bw_mock_stream *s)
{
    bw_buf_free(&s->buf);
    free(s->off);
    s->off = NULL;
    s->nchunks = s->cap = 0;
}

/* Ends the chunk begun at the previous mark. */
static int mk_mark(struct bw_mock_stream *s)
{
    if (s->nchunks + 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        size_t *v = realloc(s->off, nc * sizeof(*v));

        if (v == NULL)
            return BW_ENOMEM;
        if (s->cap == 0)
            v[0] = 0;
        s->off = v;
        s->cap = nc;
    }
    s->off[++s->nchunks] = s->buf.len;
    return 0;
}

static int mk_sse(struct bw_mock_stream *s, const char *name, const struct bw_buf *data)
{
    int rv = bw_sse_encode(&s->buf, name, name ? strlen(name) : 0, data->base, data->len);
    return rv ? rv : mk_mark(s);
}

static int mk_evs(struct bw_mock_stream *s, const char *type, const struct bw_buf *data)
{
    int rv = bw_evs_encode_json(&s->buf, 0, type, data->base, data->len);
    return rv ? rv : mk_mark(s);
}

/* An InvokeModel chunk: {"bytes": base64(json)}. */
static int mk_chunk(struct bw_mock_stream *s, const struct bw_buf *json)
{
    struct bw_buf b;
    size_t need = 4 * ((json->len + 2) / 3);
    int rv;

    bw_buf_init(&b, 0);
    rv = bw_buf_adds(&b, "{\"bytes\":\"") || bw_buf_reserve(&b, need);
    if (rv == 0) {
        EVP_EncodeBlock((unsigned char *)b.base + b.len, (const unsigned char *)json->base, (int)json->len);
        b.len += need;
        rv = bw_buf_adds(&b, "\",\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEF\"}");
    }
    rv = rv ? BW_ENOMEM : mk_evs(s, "chunk", &b);
    bw_buf_free(&b);
    return rv;
}

#define T (&m->tmp)
#define DELTA(i) (m->ans.base + m->cuts[i]), (m->cuts[(i) + 1] - m->cuts[i])

static int mk_stream_openai(struct mk *m, struct bw_mock_stream *s)
{
    int chat = m->api == BW_API_OPENAI_CHAT, rv = 0;
    const char *obj = chat ? "chat.completion.chunk" : "text_completion";
    size_t i;

#define HEAD()                                                                                                     \
    (bw_buf_reset(T), bw_buf_printf(T, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%d,\"model\":", m->id, obj,      \
                                    MK_CREATED) ||                                                                 \
                          mk_model(T, m) || (chat && bw_buf_adds(T, ",\"system_fingerprint\":\"fp_bulwark_mock\"")))
    if (chat)
        rv = HEAD() || bw_buf_adds(T, ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
                                      "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}") ||
             mk_sse(s, NULL, T);
    for (i = 0; i < m->ncut && rv == 0; i++) {
        if (chat)
            rv = HEAD() || bw_buf_adds(T, ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"") ||
                 bw_buf_json_str(T, DELTA(i)) ||
                 bw_buf_adds(T, "\"},\"logprobs\":null,\"finish_reason\":null}]}") || mk_sse(s, NULL, T);
        else
            rv = HEAD() || bw_buf_adds(T, ",\"choices\":[{\"text\":\"") || bw_buf_json_str(T, DELTA(i)) ||
                 bw_buf_adds(T, "\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}") || mk_sse(s, NULL, T);
    }
    if (rv == 0) {
        if (chat)
            rv = HEAD() ||
                 bw_buf_adds(T, ",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}") ||
                 mk_sse(s, NULL, T);
        else
            rv = HEAD() ||
                 bw_buf_adds(T,
                             ",\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}]}") ||
                 mk_sse(s, NULL, T);
    }
    if (rv == 0 && m->include_usage)
        rv = HEAD() ||
             bw_buf_printf(T, ",\"choices\":[],\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,"
                              "\"total_tokens\":%u}}",
                           m->ptok, m->ctok, m->ptok + m->ctok) ||
             mk_sse(s, NULL, T);
#undef HEAD
    if (rv == 0) {
        bw_buf_reset(T);
        rv = bw_buf_adds(T, "[DONE]") || mk_sse(s, NULL, T);
    }
    return rv ? BW_ENOMEM : 0;
}

static int mk_resp_object(struct mk *m, struct bw_buf *b, int done)
{
    int rv = bw_buf_printf(b, "{\"id\":\"%s\",\"object\":\"response\",\"created_at\":%d,\"status\":\"%s\","
                              "\"error\":null,\"incomplete_details\":null,\"instructions\":null,\"max_output_tokens\":null,"
                              "\"model\":",
                           m->id, MK_CREATED, done ? "completed" : "in_progress") ||
             mk_model(b, m) || bw_buf_adds(b, ",\"output\":[");
    if (rv == 0 && done)
        rv = bw_buf_printf(b, "{\"id\":\"msg_%s\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\","
                              "\"content\":[{\"type\":\"output_text\",\"text\":",
                           m->id + 9) ||
             bw_buf_jstr(b, m->ans.base ? m->ans.base : "") || bw_buf_adds(b, ",\"annotations\":[],\"logprobs\":[]}]}");
    rv = rv || bw_buf_adds(b, "],\"parallel_tool_calls\":true,\"previous_response_id\":null,\"reasoning\":{"
                              "\"effort\":null,\"summary\":null},\"store\":false,\"temperature\":1.0,\"text\":{"
                              "\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,"
                              "\"truncation\":\"disabled\",\"usage\":");
    if (rv == 0 && done)
        rv = bw_buf_printf(b, "{\"input_tokens\":%u,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":%u,"
                              "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":%u}",
                           m->ptok, m->ctok, m->ptok + m->ctok);
    else
        rv = rv || bw_buf_adds(b, "null");
    return rv || bw_buf_adds(b, ",\"user\":null,\"metadata\":{}}") ? BW_ENOMEM : 0;
}

static int mk_stream_responses(struct mk *m, struct bw_mock_stream *s)
{
    char item[80];
    int seq = 0, rv;
    size_t i;

    snprintf(item, sizeof(item), "msg_%s", m->id + 9);
    bw_buf_reset(T);
    rv = bw_buf_adds(T, "{\"type\":\"response.created\",\"response\":") || mk_resp_object(m, T, 0) ||
         bw_buf_printf(T, ",\"sequence_number\":%d}", seq++) || mk_sse(s, "response.created", T);
    bw_buf_reset(T);
    rv = rv || bw_buf_adds(T, "{\"type\":\"response.in_progress\",\"response\":") || mk_resp_object(m, T, 0) ||
         bw_buf_printf(T, ",\"sequence_number\":%d}", seq++) || mk_sse(s, "response.in_progress", T);
    bw_buf_reset(T);
    rv = rv ||
         bw_buf_printf(T, "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"id\":\"%s\","
                          "\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]},"
                          "\"sequence_number\":%d}",
                       item, seq++) ||
         mk_sse(s, "response.output_item.added", T);
    bw_buf_reset(T);
    rv = rv ||
         bw_buf_printf(T, "{\"type\":\"response.content_part.added\",\"item_id\":\"%s\",\"output_index\":0,"
                          "\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]},"
                          "\"sequence_number\":%d}",
                       item, seq++) ||
         mk_sse(s, "response.content_part.added", T);
    for (i = 0; i < m->ncut && rv == 0; i++) {
        bw_buf_reset(T);
        rv = bw_buf_printf(T, "{\"type\":\"response.output_text.delta\",\"item_id\":\"%s\",\"output_index\":0,"
                              "\"content_index\":0,\"delta\":\"",
                           item) ||
             bw_buf_json_str(T, DELTA(i)) || bw_buf_printf(T, "\",\"logprobs\":[],\"sequence_number\":%d}", seq++) ||
             mk_sse(s, "response.output_text.delta", T);
    }
    bw_buf_reset(T);
    rv = rv ||
         bw_buf_printf(T, "{\"type\":\"response.output_text.done\",\"item_id\":\"%s\",\"output_index\":0,"
                          "\"content_index\":0,\"text\":",
                       item) ||
         bw_buf_jstr(T, m->ans.base ? m->ans.base : "") ||
         bw_buf_printf(T, ",\"logprobs\":[],\"sequence_number\":%d}", seq++) || mk_sse(s, "response.output_text.done", T);
    bw_buf_reset(T);
    rv = rv ||
         bw_buf_printf(T, "{\"type\":\"response.content_part.done\",\"item_id\":\"%s\",\"output_index\":0,"
                          "\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":",
                       item) ||
         bw_buf_jstr(T, m->ans.base ? m->ans.base : "") ||
         bw_buf_printf(T, ",\"annotations\":[]},\"sequence_number\":%d}", seq++) ||
         mk_sse(s, "response.content_part.done", T);
    bw_buf_reset(T);
    rv = rv ||
         bw_buf_printf(T, "{\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"id\":\"%s\","
                          "\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":"
                          "\"output_text\",\"text\":",
                       item) ||
         bw_buf_jstr(T, m->ans.base ? m->ans.base : "") ||
         bw_buf_printf(T, ",\"annotations\":[],\"logprobs\":[]}]},\"sequence_number\":%d}", seq++) ||
         mk_sse(s, "response.output_item.done", T);
    bw_buf_reset(T);
    rv = rv || bw_buf_adds(T, "{\"type\":\"response.completed\",\"response\":") || mk_resp_object(m, T, 1) ||
         bw_buf_printf(T, ",\"sequence_number\":%d}", seq++) || mk_sse(s, "response.completed", T);
    return rv ? BW_ENOMEM : 0;
}

/* Anthropic's event sequence; over SSE, or as InvokeModel chunks (bedrock). */
static int mk_stream_anthropic(struct mk *m, struct bw_mock_stream *s, int bedrock)
{
    size_t i;
    int rv;

#define EMIT(name) (bedrock ? mk_chunk(s, T) : mk_sse(s, name, T))
    bw_buf_reset(T);
    rv = bw_buf_printf(T, "{\"type\":\"message_start\",\"message\":{\"id\":\"%s\",\"type\":\"message\",\"role\":"
                          "\"assistant\",\"model\":",
                       m->id) ||
         mk_model(T, m) ||
         bw_buf_printf(T, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":%u,"
                          "\"output_tokens\":1}}}",
                       m->ptok) ||
         EMIT("message_start");
    bw_buf_reset(T);
    rv = rv || bw_buf_adds(T, "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
                              "\"text\":\"\"}}") ||
         EMIT("content_block_start");
    if (!bedrock) {
        bw_buf_reset(T);
        rv = rv || bw_buf_adds(T, "{\"type\": \"ping\"}") || EMIT("ping");
    }
    for (i = 0; i < m->ncut && rv == 0; i++) {
        bw_buf_reset(T);
        rv = bw_buf_adds(T, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                            "\"text\":\"") ||
             bw_buf_json_str(T, DELTA(i)) || bw_buf_adds(T, "\"}}") || EMIT("content_block_delta");
    }
    bw_buf_reset(T);
    rv = rv || bw_buf_adds(T, "{\"type\":\"content_block_stop\",\"index\":0}") || EMIT("content_block_stop");
    bw_buf_reset(T);
    rv = rv ||
         bw_buf_printf(T, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                          "\"usage\":{\"output_tokens\":%u}}",
                       m->ctok) ||
         EMIT("message_delta");
    bw_buf_reset(T);
    if (bedrock)
        rv = rv ||
             bw_buf_printf(T, "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":%u,"
                              "\"outputTokenCount\":%u,\"invocationLatency\":1,\"firstByteLatency\":1}}",
                           m->ptok, m->ctok) ||
             EMIT("message_stop");
    else
        rv = rv || bw_buf_adds(T, "{\"type\":\"message_stop\"}") || EMIT("message_stop");
#undef EMIT
    return rv ? BW_ENOMEM : 0;
}

static int mk_stream_converse(struct mk *m, struct bw_mock_stream *s)
{
    size_t i;
    int rv;

    bw_buf_reset(T);
    rv = bw_buf_adds(T, "{\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\",\"role\":\"assistant\"}") ||
         mk_evs(s, "messageStart", T);
    for (i = 0; i < m->ncut && rv == 0; i++) {
        bw_buf_reset(T);
        rv = bw_buf_adds(T, "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"") || bw_buf_json_str(T, DELTA(i)) ||
             bw_buf_adds(T, "\"},\"p\":\"abcdefghijklm\"}") || mk_evs(s, "contentBlockDelta", T);
    }
    bw_buf_reset(T);
    rv = rv || bw_buf_adds(T, "{\"contentBlockIndex\":0,\"p\":\"abcdefghijklmnopqrstuvwxy\"}") ||
         mk_evs(s, "contentBlockStop", T);
    bw_buf_reset(T);
    rv = rv || bw_buf_adds(T, "{\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS\",\"stopReason\":\"end_turn\"}") ||
         mk_evs(s, "messageStop", T);
    bw_buf_reset(T);
    rv = rv ||
         bw_buf_printf(T, "{\"metrics\":{\"latencyMs\":1},\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\",\"usage\":{"
                          "\"inputTokens\":%u,\"outputTokens\":%u,\"totalTokens\":%u}}",
                       m->ptok, m->ctok, m->ptok + m->ctok) ||
         mk_evs(s, "metadata", T);
    return rv ? BW_ENOMEM : 0;
}

/* Other providers on InvokeModelWithResponseStream: one chunk per delta, the last with the stop and metrics. */
static int mk_stream_native(struct mk *m, struct bw_mock_stream *s)
{
    size_t i;
    int rv = 0;

    for (i = 0; i <= m->ncut && rv == 0; i++) {
        int last = i == m->ncut;
        const char *t = last ? "" : m->ans.base + m->cuts[i];
        size_t n = last ? 0 : m->cuts[i + 1] - m->cuts[i];

        bw_buf_reset(T);
        switch (m->native) {
        case BW_NAT_TITAN:
            rv = bw_buf_adds(T, "{\"outputText\":\"") || bw_buf_json_str(T, t, n) ||
                 (last ? bw_buf_printf(T, "\",\"index\":0,\"totalOutputTextTokenCount\":%u,\"completionReason\":"
                                          "\"FINISH\",\"inputTextTokenCount\":null",
                                       m->ctok)
                       : bw_buf_printf(T, "\",\"index\":0,\"totalOutputTextTokenCount\":null,\"completionReason\":null,"
                                          "\"inputTextTokenCount\":%u",
                                       i == 0 ? m->ptok : 0));
            break;
        case BW_NAT_LLAMA:
            rv = bw_buf_adds(T, "{\"generation\":\"") || bw_buf_json_str(T, t, n) ||
                 bw_buf_printf(T, "\",\"prompt_token_count\":%u,\"generation_token_count\":%zu,\"stop_reason\":%s",
                               i == 0 ? m->ptok : 0, i + 1, last ? "\"stop\"" : "null");
            break;
        case BW_NAT_MISTRAL:
            rv = bw_buf_adds(T, "{\"outputs\":[{\"text\":\"") || bw_buf_json_str(T, t, n) ||
                 bw_buf_printf(T, "\",\"stop_reason\":%s}]", last ? "\"stop\"" : "null");
            break;
        case BW_NAT_NOVA:
            if (last)
                rv = bw_buf_adds(T, "{\"messageStop\":{\"stopReason\":\"end_turn\"}");
            else
                rv = bw_buf_adds(T, "{\"contentBlockDelta\":{\"delta\":{\"text\":\"") || bw_buf_json_str(T, t, n) ||
                     bw_buf_adds(T, "\"},\"contentBlockIndex\":0}");
            break;
        case BW_NAT_CHAT:
            rv = bw_buf_printf(T, "{\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%d,\"model\":", m->id,
                               MK_CREATED) ||
                 mk_model(T, m) || bw_buf_adds(T, ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"") ||
                 bw_buf_json_str(T, t, n) ||
                 bw_buf_printf(T, "\"},\"finish_reason\":%s}]", last ? "\"stop\"" : "null");
            break;
        case BW_NAT_COHERE:
            if (last)
                rv = bw_buf_adds(T, "{\"is_finished\":true,\"event_type\":\"stream-end\",\"finish_reason\":\"COMPLETE\"");
            else
                rv = bw_buf_adds(T, "{\"is_finished\":false,\"event_type\":\"text-generation\",\"text\":\"") ||
                     bw_buf_json_str(T, t, n) || bw_buf_addc(T, '"');
            break;
        case BW_NAT_CLAUDE_TEXT:
            rv = bw_buf_adds(T, "{\"completion\":\"") || bw_buf_json_str(T, t, n) ||
                 bw_buf_printf(T, "\",\"stop_reason\":%s,\"stop\":null", last ? "\"stop_sequence\"" : "null");
            break;
        case BW_NAT_DEEPSEEK:
            rv = bw_buf_adds(T, "{\"choices\":[{\"text\":\"") || bw_buf_json_str(T, t, n) ||
                 bw_buf_printf(T, "\",\"stop_reason\":%s}]", last ? "\"stop\"" : "null");
            break;
        default:
            rv = bw_buf_adds(T, "{\"generations\":[{\"text\":\"") || bw_buf_json_str(T, t, n) ||
                 bw_buf_printf(T, "\",\"finish_reason\":%s}],\"is_finished\":%s", last ? "\"COMPLETE\"" : "null",
                               last ? "true" : "false");
            break;
        }
        if (rv == 0 && last)
            rv = bw_buf_printf(T, ",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":%u,\"outputTokenCount\":%u,"
                                  "\"invocationLatency\":1,\"firstByteLatency\":1}",
                               m->ptok, m->ctok);
        rv = rv || bw_buf_addc(T, '}') || mk_chunk(s, T);
    }
    return rv ? BW_ENOMEM : 0;
}

#undef T
#undef DELTA

int bw_mock_stream(int api, const char *path, const struct bw_mock_opts *o, const char *body, size_t len,
                   struct bw_mock_stream *s)
{
    struct mk m;
    cJSON *root;
    int rv;

    s->status = 200;
    s->delay_ms = o ? o->delay_ms : 0;
    s->content_type = bw_api_stream_ctype(api);
    if ((rv = mk_prepare(api, path, o, body, len, &m, &root, &s->status, &s->buf, &s->content_type)) != 0) {
        mk_free(&m);
        if (rv < 0)
            return rv;
        return mk_mark(s); /* the error body as the one chunk */
    }
    switch (api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_OPENAI_COMPLETIONS: rv = mk_stream_openai(&m, s); break;
    case BW_API_OPENAI_RESPONSES: rv = mk_stream_responses(&m, s); break;
    case BW_API_ANTHROPIC: rv = mk_stream_anthropic(&m, s, 0); break;
    case BW_API_BEDROCK_CONVERSE: rv = mk_stream_converse(&m, s); break;
    case BW_API_BEDROCK_INVOKE:
        rv = m.native == BW_NAT_ANTHROPIC ? mk_stream_anthropic(&m, s, 1) : mk_stream_native(&m, s);
        break;
    default:
        /* the generic API has no stream form: the whole answer as one chunk */
        s->content_type = "application/json";
        rv = mk_body(&m, root, &s->buf);
        rv = rv ? rv : mk_mark(s);
        break;
    }
    cJSON_Delete(root);
    mk_free(&m);
    return rv;
}

int bw_mock_wants_stream(int api, const char *path, const char *body, size_t len)
{
    cJSON *root;
    int st;

    if (api == BW_API_BEDROCK_INVOKE || api == BW_API_BEDROCK_CONVERSE) {
        const char *q = path ? strchr(path, '?') : NULL;
        size_t n = path ? (q ? (size_t)(q - path) : strlen(path)) : 0;
        return (n >= 27 && memcmp(path + n - 27, "invoke-with-response-stream", 27) == 0) ||
               (n >= 15 && memcmp(path + n - 15, "converse-stream", 15) == 0);
    }
    root = cJSON_ParseWithLength(body, len);
    st = cJSON_IsTrue(bw_jget(root, "stream"));
    cJSON_Delete(root);
    return st;
}
