/*
 * fuzz_adapt.c: libFuzzer target for the adapters (proxy/adapter.c and
 * adapt_*.c): strict JSON, text extraction, input tags, rewriting,
 * stripping, answers, blocked and error shapes.
 *
 * Byte 0 picks the API and route flags, byte 1 the headers (Bedrock
 * guardrail, trace, tag suffix); the rest is the body, used both as the
 * request and as the answer. Checks: every masked rewrite of a JSON body
 * is JSON again; the unmasked rewrite of a body without guardrail fields
 * is the body itself.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -I. \
 *       $(pkg-config --cflags libcjson) tests/fuzz/fuzz_adapt.c build/libbulwark.a \
 *       $(pkg-config --libs libcjson openssl) -o build/fuzz_adapt
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/adapter.c"
#include "proxy/adapt_anthropic.c"
#include "proxy/adapt_bedrock.c"
#include "proxy/adapt_generic.c"
#include "proxy/adapt_openai.c"
#include "proxy/evstream.c"
#include "proxy/sse.c"
#include "proxy/stream_api.c"

static const struct {
    int api;
    const char *path;
} routes[8] = {
    {BW_API_OPENAI_CHAT, "/v1/chat/completions"},
    {BW_API_OPENAI_COMPLETIONS, "/v1/completions"},
    {BW_API_OPENAI_RESPONSES, "/v1/responses"},
    {BW_API_ANTHROPIC, "/v1/messages"},
    {BW_API_BEDROCK_INVOKE, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke"},
    {BW_API_BEDROCK_INVOKE, "/model/amazon.titan-text-express-v1/invoke-with-response-stream"},
    {BW_API_BEDROCK_CONVERSE, "/model/m/converse-stream"},
    {BW_API_GENERIC, "/generic"},
};

static void check_json(const struct bw_buf *b)
{
    cJSON *j = cJSON_ParseWithLength(b->base ? b->base : "", b->len);

    if (j == NULL)
        abort(); /* we wrote broken JSON */
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const char *const ptrs[] = {"/messages/*/content", "/input", "/a~1b/0"};
    struct bw_hdr h[4];
    size_t nh = 0, i;
    struct bw_adapter_opts o = {ptrs, 3, ptrs + 1, 1, 0};
    struct bw_areq rq;
    struct bw_aresp rs;
    struct bw_arena a;
    struct bw_buf out;
    struct bw_iov *m = NULL;
    struct bw_trace tr = {"g", "Guardrail blocked.", "{\"x\":1}", "{\"y\":[]}", "orig", 1, 1};
    const char *body, *ct, *et;
    char err[256];
    int r, rv;

    if (size < 2)
        return 0;
    r = data[0] & 7;
    o.flags = (data[0] >> 3) & 7;
    if (data[0] & 0x40)
        o.nin = o.nout = 0; /* generic: whole body */
    if (data[1] & 1)
        h[nh++] = (struct bw_hdr){BW_IOV("X-Amzn-Bedrock-GuardrailIdentifier"), BW_IOV("abc")};
    if (data[1] & 2)
        h[nh++] = (struct bw_hdr){BW_IOV("X-Amzn-Bedrock-GuardrailVersion"), BW_IOV("1")};
    if (data[1] & 4)
        h[nh++] = (struct bw_hdr){BW_IOV("X-Amzn-Bedrock-Trace"), BW_IOV("ENABLED")};
    if (data[1] & 8)
        h[nh++] = (struct bw_hdr){BW_IOV("X-Bulwark-Trace"), BW_IOV("enabled_full")};
    body = (const char *)data + 2;
    size -= 2;
    bw_arena_init(&a, 1u << 26);
    bw_buf_init(&out, 0);
    rv = bw_adapter_parse_request(routes[r].api, routes[r].path, &o, h, nh, body, size, &a, &rq, err, sizeof(err));
    if (rv == 0) {
        /* unchanged: the same bytes unless guardrail fields were cut */
        if (bw_adapter_request_body(&rq, NULL, &out) == 0 && rq.ed->n == 0 &&
            (out.len != size || memcmp(out.base, body, size) != 0))
            abort();
        m = calloc(rq.nblocks + 1, sizeof(*m));
        for (i = 0; i < rq.nblocks; i++)
            m[i] = (i & 1) ? BW_IOV("{EMAIL} \xc3\xa9\"\\\n") : (struct bw_iov){NULL, 0};
        bw_buf_reset(&out);
        if (bw_adapter_request_body(&rq, m, &out) == 0 && rq.root)
            check_json(&out);
        free(m);
        /* the body as an answer */
        if (bw_adapter_parse_response(&rq, &o, body, size, &a, &rs, err, sizeof(err)) == 0) {
            m = calloc(rs.nblocks + 1, sizeof(*m));
            for (i = 0; i < rs.nanswer; i++)
                m[i] = BW_IOV("masked");
            bw_buf_reset(&out);
            if (bw_adapter_response_body(&rq, &rs, m, &tr, &out) == 0 && rs.root)
                check_json(&out);
            free(m);
            bw_buf_reset(&out);
            if (bw_adapter_blocked(&rq, &rs, 1, "no \"way\"", &tr, &out, &ct) == 0 && strcmp(ct, "application/json") == 0)
                check_json(&out);
            bw_aresp_free(&rs);
        }
        bw_buf_reset(&out);
        if (bw_adapter_blocked(&rq, NULL, 0, "blocked", NULL, &out, &ct) == 0 && strcmp(ct, "application/json") == 0)
            check_json(&out);
    }
    bw_areq_free(&rq);
    bw_buf_reset(&out);
    if (bw_adapter_error(routes[r].api, 400 + (data[1] & 127), err, &out, &ct, &et) == 0)
        check_json(&out);
    bw_buf_free(&out);
    bw_arena_free(&a);
    return 0;
}
