/*
 * shim.c: TEMPORARY stand-ins for functions other branches are writing
 * (the guardrail compiler in main, the adapters, mock answers and SigV4 in
 * wt-api), so the proxy links and its network paths can be tested before
 * those land. Each part compiles only while its real file is absent and
 * disappears by itself on merge; this whole file is deleted once all have
 * landed. Deliberately minimal: OpenAI chat only, words and regexes only.
 */
#if !__has_include("policies/guardrail.c") || !__has_include("proxy/adapter.c") ||                              \
    !__has_include("proxy/mock_api.c") || !__has_include("proxy/sigv4.c")
#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filters/words.h"
#include "pii/pii.h"
#include "policies/guardrail.h"
#include "proxy/adapter.h"
#include "proxy/mock_api.h"
#include "proxy/sigv4.h"
#endif

#if !__has_include("policies/guardrail.c")
int bw_guardrail_compile(struct bw_gconf *conf, const char *id, const char *version, struct bw_guardrail **out,
                         struct bw_errs *errs)
{
    struct bw_guardrail *g = calloc(1, sizeof(*g));
    int d, rv = BW_ENOMEM;

    if (g == NULL)
        goto fail;
    g->refs = 1;
    g->id = strdup(id ? id : "shim");
    g->version = strdup(version ? version : "DRAFT");
    g->arn = strdup("arn:aws:bedrock:local:000000000000:guardrail/shim");
    g->conf = conf;
    for (d = 0; d < 2; d++) {
        if ((rv = bw_engine_new(d, &g->eng[d])) != 0)
            goto fail;
        if (conf->has_words && (rv = bw_engine_add(g->eng[d], &bw_words_module, &conf->words, errs)) != 0)
            goto fail;
        if (conf->has_regex && (rv = bw_engine_add(g->eng[d], &bw_regex_module, &conf->regex, errs)) != 0)
            goto fail;
        if ((rv = bw_engine_compile(g->eng[d], BW_MATCHER_BLOCK, errs)) != 0)
            goto fail;
    }
    *out = g;
    return 0;
fail:
    if (g) {
        g->refs = 1;
        bw_guardrail_unref(g);
    } else
        bw_gconf_free(conf);
    return rv;
}

int bw_guardrail_load(const char *path, const char *id, const char *version, struct bw_guardrail **out,
                      struct bw_errs *errs)
{
    struct bw_gconf *c;
    int rv = bw_gconf_load_file(path, &c, errs);

    if (rv != 0)
        return rv;
    return bw_guardrail_compile(c, id, version, out, errs);
}

void bw_guardrail_ref(struct bw_guardrail *g)
{
    atomic_fetch_add((_Atomic int *)&g->refs, 1);
}

void bw_guardrail_unref(struct bw_guardrail *g)
{
    if (g == NULL || atomic_fetch_sub((_Atomic int *)&g->refs, 1) != 1)
        return;
    bw_engine_free(g->eng[0]);
    bw_engine_free(g->eng[1]);
    bw_gconf_free(g->conf);
    free(g->id);
    free(g->version);
    free(g->arn);
    free(g);
}

int bw_guardrail_has_policy(const struct bw_guardrail *g, int dir, int policy)
{
    (void)dir;
    return (policy == BW_POL_WORD && g->conf->has_words) || (policy == BW_POL_REGEX && g->conf->has_regex);
}
#endif

#if !__has_include("proxy/adapter.c")
int bw_api_detect(const char *method, const char *path, size_t n)
{
    const char *q = memchr(path, '?', n);

    if (q)
        n = (size_t)(q - path);
    if (strcmp(method, "POST") != 0)
        return BW_API_NONE;
    if (n == 20 && memcmp(path, "/v1/chat/completions", 20) == 0)
        return BW_API_OPENAI_CHAT;
    if (n == 12 && memcmp(path, "/v1/messages", 12) == 0)
        return BW_API_ANTHROPIC;
    if (n > 11 && memcmp(path, "/guardrail/", 11) == 0)
        return BW_API_APPLY;
    return BW_API_NONE;
}

const char *bw_api_name(int api)
{
    return api == BW_API_OPENAI_CHAT ? "openai-chat" : api == BW_API_ANTHROPIC ? "anthropic" : "none";
}

int bw_api_family(int api)
{
    return api == BW_API_ANTHROPIC ? BW_FAM_ANTHROPIC : BW_FAM_OPENAI;
}

int bw_adapter_parse_request(int api, const char *path, const struct bw_adapter_opts *o, const struct bw_hdr *h,
                             size_t nh, const char *body, size_t len, struct bw_arena *a, struct bw_areq *rq,
                             char *err, size_t errlen)
{
    cJSON *m, *it;
    size_t n = 0;

    (void)path, (void)o, (void)h, (void)nh;
    memset(rq, 0, sizeof(*rq));
    rq->api = api;
    rq->body = body;
    rq->body_len = len;
    if ((rq->root = cJSON_ParseWithLength(body, len)) == NULL || !cJSON_IsObject(rq->root)) {
        snprintf(err, errlen, "malformed JSON");
        return BW_EINVAL;
    }
    rq->stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rq->root, "stream"));
    m = cJSON_GetObjectItemCaseSensitive(rq->root, "messages");
    if (!cJSON_IsArray(m)) {
        snprintf(err, errlen, "messages: expected an array");
        return BW_EINVAL;
    }
    rq->blocks = bw_arena_calloc(a, (size_t)(cJSON_GetArraySize(m) + 1) * sizeof(*rq->blocks));
    rq->src = bw_arena_calloc(a, (size_t)(cJSON_GetArraySize(m) + 1) * sizeof(*rq->src));
    cJSON_ArrayForEach(it, m)
    {
        cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "content");
        if (cJSON_IsString(c)) {
            rq->blocks[n].text = c->valuestring;
            rq->blocks[n].len = strlen(c->valuestring);
            rq->src[n].node = c;
            n++;
        }
    }
    rq->nblocks = n;
    return 0;
}

void bw_areq_free(struct bw_areq *rq)
{
    cJSON_Delete(rq->root);
    rq->root = NULL;
}

int bw_adapter_request_body(const struct bw_areq *rq, const struct bw_iov *masked, struct bw_buf *out)
{
    size_t i;
    char *p;
    int rv;

    for (i = 0; masked && i < rq->nblocks; i++)
        if (masked[i].base) {
            char *t = strndup(masked[i].base, masked[i].len);
            cJSON_SetValuestring(rq->src[i].node, t ? t : "");
            free(t);
        }
    if ((p = cJSON_PrintUnformatted(rq->root)) == NULL)
        return BW_ENOMEM;
    rv = bw_buf_adds(out, p);
    free(p);
    return rv;
}

int bw_adapter_parse_response(const struct bw_areq *rq, const struct bw_adapter_opts *o, const char *body,
                              size_t len, struct bw_arena *a, struct bw_aresp *rs, char *err, size_t errlen)
{
    cJSON *ch, *it;
    size_t n = 0;

    (void)rq, (void)o;
    memset(rs, 0, sizeof(*rs));
    if ((rs->root = cJSON_ParseWithLength(body, len)) == NULL ||
        !cJSON_IsArray(ch = cJSON_GetObjectItemCaseSensitive(rs->root, "choices"))) {
        snprintf(err, errlen, "not a chat completion");
        return BW_EINVAL;
    }
    rs->blocks = bw_arena_calloc(a, (size_t)(cJSON_GetArraySize(ch) + 1) * sizeof(*rs->blocks));
    rs->src = bw_arena_calloc(a, (size_t)(cJSON_GetArraySize(ch) + 1) * sizeof(*rs->src));
    cJSON_ArrayForEach(it, ch)
    {
        cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it, "message"), "content");
        if (cJSON_IsString(c)) {
            rs->blocks[n].text = c->valuestring;
            rs->blocks[n].len = strlen(c->valuestring);
            rs->src[n].node = c;
            n++;
        }
    }
    rs->nblocks = rs->nanswer = n;
    return 0;
}

void bw_aresp_free(struct bw_aresp *rs)
{
    cJSON_Delete(rs->root);
    rs->root = NULL;
}

int bw_adapter_response_body(const struct bw_areq *rq, const struct bw_aresp *rs, const struct bw_iov *masked,
                             const struct bw_trace *tr, struct bw_buf *out)
{
    size_t i;
    char *p;
    int rv;

    (void)rq, (void)tr;
    for (i = 0; masked && i < rs->nanswer; i++)
        if (masked[i].base) {
            char *t = strndup(masked[i].base, masked[i].len);
            cJSON_SetValuestring(rs->src[i].node, t ? t : "");
            free(t);
        }
    if ((p = cJSON_PrintUnformatted(rs->root)) == NULL)
        return BW_ENOMEM;
    rv = bw_buf_adds(out, p);
    free(p);
    return rv;
}

int bw_adapter_blocked(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *message,
                       const struct bw_trace *tr, struct bw_buf *out, const char **content_type)
{
    (void)rq, (void)rs, (void)dir, (void)tr;
    *content_type = "application/json";
    bw_buf_adds(out, "{\"id\":\"chatcmpl-bulwark\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                     "\"message\":{\"role\":\"assistant\",\"content\":\"");
    bw_buf_json_str(out, message, strlen(message));
    return bw_buf_adds(out, "\"},\"finish_reason\":\"content_filter\"}]}");
}

int bw_adapter_error(int api, int status, const char *message, struct bw_buf *out, const char **content_type,
                     const char **errtype)
{
    (void)api;
    *content_type = "application/json";
    if (errtype)
        *errtype = NULL;
    bw_buf_adds(out, "{\"error\":{\"message\":\"");
    bw_buf_json_str(out, message, strlen(message));
    return bw_buf_printf(out, "\",\"type\":\"%s\",\"param\":null,\"code\":null}}",
                         status >= 500 ? "api_error" : "invalid_request_error");
}
#endif

#if !__has_include("proxy/mock_api.c")
void bw_mock_opts_parse(const char *path, const struct bw_hdr *h, size_t nh, struct bw_mock_opts *o)
{
    size_t i;

    (void)path;
    memset(o, 0, sizeof(*o));
    for (i = 0; i < nh; i++) {
        char v[32];
        snprintf(v, sizeof(v), "%.*s", (int)h[i].value.len, h[i].value.base);
        if (h[i].name.len == 15 && strncasecmp(h[i].name.base, "x-mock-delay-ms", 15) == 0)
            o->delay_ms = (unsigned)strtoul(v, NULL, 10);
        else if (h[i].name.len == 13 && strncasecmp(h[i].name.base, "x-mock-status", 13) == 0)
            o->status = (int)strtol(v, NULL, 10);
    }
}

int bw_mock_answer_opts(int api, const char *path, const struct bw_mock_opts *o, const char *body, size_t len,
                        int *status, struct bw_buf *out, const char **content_type)
{
    cJSON *root = cJSON_ParseWithLength(body, len), *m, *last = NULL, *it;
    const char *said = "", *reply;

    (void)api, (void)path;
    *content_type = "application/json";
    *status = o && o->status ? o->status : 200;
    if (*status != 200) {
        cJSON_Delete(root);
        return bw_buf_printf(out, "{\"error\":{\"message\":\"mock error\",\"type\":\"api_error\"}}");
    }
    m = cJSON_GetObjectItemCaseSensitive(root, "messages");
    cJSON_ArrayForEach(it, m) last = it;
    if (last && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(last, "content")))
        said = cJSON_GetObjectItemCaseSensitive(last, "content")->valuestring;
    bw_buf_adds(out, "{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"mock\","
                     "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"");
    if ((reply = strstr(said, "REPLY:")) != NULL) {
        reply += 6;
        while (*reply == ' ')
            reply++;
        bw_buf_json_str(out, reply, strlen(reply));
    } else {
        bw_buf_adds(out, "You said: ");
        bw_buf_json_str(out, said, strlen(said));
    }
    bw_buf_adds(out, "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
                     "\"total_tokens\":2}}");
    cJSON_Delete(root);
    return 0;
}

void bw_mock_stream_init(struct bw_mock_stream *s)
{
    memset(s, 0, sizeof(*s));
}

void bw_mock_stream_free(struct bw_mock_stream *s)
{
    bw_buf_free(&s->buf);
    free(s->off);
}

int bw_mock_stream(int api, const char *path, const struct bw_mock_opts *o, const char *body, size_t len,
                   struct bw_mock_stream *s)
{
    (void)api, (void)path, (void)o, (void)body, (void)len, (void)s;
    return BW_EINVAL;
}

int bw_mock_wants_stream(int api, const char *path, const char *body, size_t len)
{
    (void)api, (void)path, (void)body, (void)len;
    return 0;
}
#endif

#if !__has_include("proxy/sigv4.c")
int bw_sigv4_sign(const struct bw_sigv4_req *r, const struct bw_sigv4_creds *c, struct bw_sigv4_out *out,
                  struct bw_buf *creq, struct bw_buf *sts)
{
    (void)r, (void)c, (void)out, (void)creq, (void)sts;
    return BW_EINVAL;
}
#endif
