/*
 * Tests of proxy/adapter.c and the adapters: detection, every text
 * location of each API (fixtures in tests/data/proxy/adapt), exact
 * rewrites of masked slices (input tags, multi-byte UTF-8), guardrail
 * fields stripped, blocked and error shapes (parsed back field by field),
 * the strict JSON check, and the splicer.
 */
#include "tests/unit/proxy/units.h"
#include "proxy/evstream.c"
#include "proxy/sse.c"
#include "proxy/stream_api.c"
#include "tests/unit/testutil.h"

static struct bw_arena ar;
static char err[256];

static char *load(const char *name, size_t *len)
{
    char path[256];
    char *s;

    snprintf(path, sizeof(path), "tests/data/proxy/adapt/%s", name);
    s = bw_test_slurp(path, len);
    if (s == NULL)
        fprintf(stderr, "cannot read %s\n", path);
    return s;
}

/* "q|text\n" per block; q is the qualifier letters (G guard, S source, Q query) */
static char *blocks_str(const struct bw_block *b, size_t n)
{
    struct bw_buf o;
    size_t i;

    bw_buf_init(&o, 0);
    for (i = 0; i < n; i++) {
        if (b[i].quals & BW_QUAL_GUARD)
            bw_buf_addc(&o, 'G');
        if (b[i].quals & BW_QUAL_GROUNDING)
            bw_buf_addc(&o, 'S');
        if (b[i].quals & BW_QUAL_QUERY)
            bw_buf_addc(&o, 'Q');
        bw_buf_addc(&o, '|');
        bw_buf_add(&o, b[i].text, b[i].len);
        bw_buf_addc(&o, '\n');
    }
    return bw_buf_detach(&o);
}

static void expect_blocks(const struct bw_block *b, size_t n, const char *want)
{
    char *got = blocks_str(b, n);

    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "blocks:\n%s\nwant:\n%s\n", got, want);
    free(got);
}

static int parse(int api, const char *path, const struct bw_hdr *h, size_t nh, const char *body,
                 const struct bw_adapter_opts *o, struct bw_areq *rq)
{
    return bw_adapter_parse_request(api, path, o, h, nh, body, strlen(body), &ar, rq, err, sizeof(err));
}

static cJSON *jparse(const struct bw_buf *b)
{
    cJSON *j = cJSON_ParseWithLength(b->base, b->len);

    if (j == NULL)
        fprintf(stderr, "not JSON: %.*s\n", (int)b->len, b->base);
    return j;
}

/* The value at a dotted path ("choices.0.message.content"), or NULL. */
static cJSON *at(cJSON *j, const char *path)
{
    char key[128];
    const char *p = path;

    while (j && *p) {
        size_t n = strcspn(p, ".");
        memcpy(key, p, n);
        key[n] = 0;
        if (cJSON_IsArray(j))
            j = cJSON_GetArrayItem(j, (int)strtol(key, NULL, 10));
        else
            j = cJSON_GetObjectItemCaseSensitive(j, key);
        p += n;
        if (*p == '.')
            p++;
    }
    return j;
}

static const char *sat(cJSON *j, const char *path)
{
    cJSON *n = at(j, path);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

#define CHECK_STR(j, path, want)                                                                                   \
    do {                                                                                                           \
        const char *s_ = sat((j), (path));                                                                         \
        CU_ASSERT_PTR_NOT_NULL(s_);                                                                                \
        if (s_) {                                                                                                  \
            CU_ASSERT_STRING_EQUAL(s_, (want));                                                                    \
            if (strcmp(s_, (want)) != 0)                                                                           \
                fprintf(stderr, "%s: got \"%s\" want \"%s\"\n", (path), s_, (want));                               \
        } else                                                                                                     \
            fprintf(stderr, "%s: missing\n", (path));                                                              \
    } while (0)

static const struct bw_trace trace_blocked = {
    "abc123def456", "Guardrail blocked.", "{\"contentPolicy\":{\"filters\":[{\"type\":\"HATE\"}]}}",
    "{\"wordPolicy\":{\"customWords\":[]}}", "the original answer", 1, 1,
};

/* ------------------------------------------------------------------ */

static void test_adapter_detect(void)
{
    static const struct {
        const char *m, *p;
        int api;
    } t[] = {
        {"POST", "/v1/chat/completions", BW_API_OPENAI_CHAT},
        {"POST", "/v1/chat/completions?x=1", BW_API_OPENAI_CHAT},
        {"POST", "/openai/deployments/gpt4/chat/completions?api-version=2024-06-01", BW_API_OPENAI_CHAT},
        {"POST", "/v1/completions", BW_API_OPENAI_COMPLETIONS},
        {"POST", "/v1/responses", BW_API_OPENAI_RESPONSES},
        {"POST", "/v1/messages", BW_API_ANTHROPIC},
        {"POST", "/v1/messages/count_tokens", BW_API_NONE},
        {"GET", "/v1/models", BW_API_NONE},
        {"GET", "/v1/chat/completions", BW_API_NONE},
        {"POST", "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke", BW_API_BEDROCK_INVOKE},
        {"POST", "/model/amazon.titan-text-express-v1/invoke-with-response-stream", BW_API_BEDROCK_INVOKE},
        {"POST", "/model/us.amazon.nova-pro-v1%3A0/converse", BW_API_BEDROCK_CONVERSE},
        {"POST", "/model/x/converse-stream", BW_API_BEDROCK_CONVERSE},
        {"POST", "/model//converse", BW_API_NONE},
        {"POST", "/model/x/converse/extra", BW_API_NONE},
        {"POST", "/guardrail/abc123/version/1/apply", BW_API_APPLY},
    };
    size_t i;

    for (i = 0; i < BW_NELEMS(t); i++) {
        int got = bw_api_detect(t[i].m, t[i].p, strlen(t[i].p));
        CU_ASSERT_EQUAL(got, t[i].api);
        if (got != t[i].api)
            fprintf(stderr, "%s %s: %d want %d\n", t[i].m, t[i].p, got, t[i].api);
    }
    CU_ASSERT_STRING_EQUAL(bw_api_name(BW_API_BEDROCK_CONVERSE), "bedrock-converse");
    CU_ASSERT_EQUAL(bw_api_family_from_name("anthropic"), BW_FAM_ANTHROPIC);
    CU_ASSERT_EQUAL(bw_api_family_from_name("x"), -1);
    CU_ASSERT_STRING_EQUAL(bw_api_stream_ctype(BW_API_BEDROCK_INVOKE), "application/vnd.amazon.eventstream");
    CU_ASSERT_STRING_EQUAL(bw_api_stream_ctype(BW_API_OPENAI_CHAT), "text/event-stream");
}

static void test_adapter_strict_json(void)
{
    static const struct {
        const char *in, *msg;
    } bad[] = {
        {"{\"a\":1,}", "malformed JSON: body:1:7: trailing comma before '}'"},
        {"{\"a\":1} x", "malformed JSON: body:1:9: unexpected content after the JSON value"},
        {"{\"messages\":[],\"messages\":[1]}", "malformed JSON: body: messages: duplicate key"},
        {"{\"messages\":[],\"\\u006dessages\":[1]}", "malformed JSON: body: messages: duplicate key"},
        {"{\"a\":\"x\\u0000y\"}", "malformed JSON: body:1:8: \\u0000 is not allowed in a string"},
        {"{\"a\":\"\\udc00\"}", "malformed JSON: body:1:7: unpaired UTF-16 surrogate \\uDC00"},
        {"{\"a\":\"\\ud800x\"}", "malformed JSON: body:1:7: unpaired UTF-16 surrogate \\uD800"},
        {"{\"a\":\"tab\there\"}", "malformed JSON: body:1:10: control character U+0009 in a string must be escaped"},
        {"{\"a\":01}", "malformed JSON: body:1:6: numbers must not have leading zeros"},
        {"{\"a\":1.}", "malformed JSON: body:1:8: expected a digit after '.', found '}'"},
        {"{\"a\":tru}", "malformed JSON: body:1:6: unexpected word \"tru\", expected a value (strings need double quotes)"},
        {"", "malformed JSON: body: file is empty"},
        {"{\"a\":\"x", "malformed JSON: body:1:6: unterminated string"},
    };
    char deep[200];
    cJSON *r;
    size_t i;

    for (i = 0; i < BW_NELEMS(bad); i++) {
        err[0] = 0;
        CU_ASSERT_EQUAL(bw_px_json_parse(bad[i].in, strlen(bad[i].in), &ar, &r, err, sizeof(err)), BW_EINVAL);
        CU_ASSERT_STRING_EQUAL(err, bad[i].msg);
        if (strcmp(err, bad[i].msg) != 0)
            fprintf(stderr, "%s -> %s\n", bad[i].in, err);
    }
    /* depth 64 is fine, 65 is not */
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    CU_ASSERT_EQUAL(bw_px_json_parse(deep, 128, &ar, &r, err, sizeof(err)), 0);

    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    CU_ASSERT_EQUAL(bw_px_json_parse(deep, 130, &ar, &r, err, sizeof(err)), BW_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nest"));
    /* a valid body through the request parser reports the same words */
    {
        struct bw_areq rq;
        const char *b = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},]}";
        CU_ASSERT_EQUAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, 0, b, NULL, &rq), BW_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "malformed JSON: body:1:"));
        bw_areq_free(&rq);
        CU_ASSERT_EQUAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, 0, "[1,2]", NULL, &rq), BW_EINVAL);
        CU_ASSERT_STRING_EQUAL(err, "the request body must be a JSON object");
    }
}

static void splice_case(const char *in, const char *const *del, size_t ndel, const char *ins, const char *want)
{
    cJSON *r;
    struct bw_edit e[8];
    struct bw_buf out;
    size_t i, n = 0;

    CU_ASSERT_EQUAL_FATAL(bw_px_json_parse(in, strlen(in), &ar, &r, err, sizeof(err)), 0);
    for (i = 0; i < ndel; i++)
        e[n++] = (struct bw_edit){BW_ED_DEL, cJSON_GetObjectItemCaseSensitive(r, del[i]), NULL, NULL, 0, 0};
    if (ins)
        e[n++] = (struct bw_edit){BW_ED_INS, r, NULL, ins, strlen(ins), 0};
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_json_splice(in, strlen(in), r, e, n, &out), 0);
    CU_ASSERT_STRING_EQUAL(out.base, want);
    if (strcmp(out.base, want) != 0)
        fprintf(stderr, "splice %s -> %s (want %s)\n", in, out.base, want);
    bw_buf_free(&out);

}

static void test_adapter_splice_members(void)
{
    const char *a[] = {"a"}, *b[] = {"b"}, *c[] = {"c"}, *ab[] = {"a", "b"}, *bc[] = {"b", "c"}, *all[] = {"a", "b", "c"},
               *ac[] = {"a", "c"};

    splice_case("{\"a\":1, \"b\":2, \"c\":3}", a, 1, NULL, "{\"b\":2, \"c\":3}");
    splice_case("{\"a\":1, \"b\":2, \"c\":3}", b, 1, NULL, "{\"a\":1, \"c\":3}");
    splice_case("{\"a\":1, \"b\":2, \"c\":3}", c, 1, NULL, "{\"a\":1, \"b\":2}");
    splice_case("{\"a\":1, \"b\":2, \"c\":3}", ab, 2, NULL, "{\"c\":3}");
    splice_case("{\"a\":1, \"b\":2, \"c\":3}", bc, 2, NULL, "{\"a\":1}");
    splice_case("{\"a\":1, \"b\":2, \"c\":3}", ac, 2, NULL, "{\"b\":2}");
    splice_case("{ \"a\":1, \"b\":{\"x\":[1,2]}, \"c\":3 }", all, 3, NULL, "{  }");
    splice_case("{\"a\":1}", a, 1, "\"t\":true", "{\"t\":true}");
    splice_case("{\"a\":1,\"b\":1e400}", a, 1, "\"t\":true", "{\"b\":1e400,\"t\":true}");
    splice_case("{}", NULL, 0, "\"t\":[]", "{\"t\":[]}");
    splice_case("{\"n\":12345678901234567890, \"f\":0.1}", NULL, 0, "\"t\":1",
                "{\"n\":12345678901234567890, \"f\":0.1,\"t\":1}");
    /* strings with escapes (a quote, a backslash, a \u escape) before and after the 16-byte steps */
    splice_case("{\"s\":\"a long string with \\\"quotes\\\" and \\\\ back\\\\slashes \\u0041 in it\\\\\", \"a\":1, \"x\":\"\\\"\"}", a, 1,
                "\"t\":2", "{\"s\":\"a long string with \\\"quotes\\\" and \\\\ back\\\\slashes \\u0041 in it\\\\\", \"x\":\"\\\"\",\"t\":2}");
}

/* ------------------------------------------------------------------ */
/* OpenAI                                                              */

static void test_adapter_openai_chat_extract_rewrite(void)
{
    size_t len = 0;
    char *body = load("openai_chat_req.json", &len);
    struct bw_areq rq;
    struct bw_iov masked[7];
    struct bw_buf out;
    cJSON *j;
    const char *p, *q;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, 0, body, NULL, &rq), 0);
    CU_ASSERT_STRING_EQUAL(rq.model, "gpt-4o-mini");
    CU_ASSERT_EQUAL(rq.stream, 0);
    expect_blocks(rq.blocks, rq.nblocks,
                  "|You are a helpful assistant.\n"
                  "|Answer in French.\n"
                  "|My email is jane.doe@example.com \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x98\x80\n"
                  "|{\"email\":\"jane.doe@example.com\"}\n"
                  "|Jane Doe, 555-0100\n"
                  "|Found her.\n"
                  "|Thanks!\n");
    /* nothing masked: the same bytes */
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_adapter_request_body(&rq, NULL, &out), 0);
    CU_ASSERT_EQUAL(out.len, len);
    CU_ASSERT(memcmp(out.base, body, len) == 0);
    /* two masked blocks: only their strings change */
    memset(masked, 0, sizeof(masked));
    masked[2] = BW_IOV("My email is {EMAIL} \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x98\x80");
    masked[3] = BW_IOV("{\"email\":\"{EMAIL}\"}");
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_request_body(&rq, masked, &out), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "messages.2.content.0.text", "My email is {EMAIL} \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x98\x80");
    CHECK_STR(j, "messages.3.tool_calls.0.function.arguments", "{\"email\":\"{EMAIL}\"}");
    CHECK_STR(j, "messages.4.content", "Jane Doe, 555-0100");
    cJSON_Delete(j);
    /* numbers keep their spelling; bytes before the first change are untouched */
    CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"seed\": 12345678901234567890,\n  \"temperature\": 0.7,"));
    p = strstr(body, "\"My email");
    q = strstr(out.base, "\"My email");
    CU_ASSERT_FATAL(p && q && p - body == q - out.base);
    CU_ASSERT(memcmp(body, out.base, (size_t)(p - body)) == 0);
    /* and after the last change */
    p = strstr(body, "},\n    {\"role\": \"tool\"");
    q = strstr(out.base, "},\n    {\"role\": \"tool\"");
    CU_ASSERT_FATAL(p && q);
    CU_ASSERT_STRING_EQUAL(p, q);
    bw_buf_free(&out);
    bw_areq_free(&rq);
    free(body);
}

static void test_adapter_openai_chat_last_turn(void)
{
    char *body = load("openai_chat_req.json", NULL);
    struct bw_adapter_opts o = {NULL, 0, NULL, 0, BW_ADAPT_LAST_TURN};
    struct bw_areq rq;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, 0, body, &o, &rq), 0);
    expect_blocks(rq.blocks, rq.nblocks, "|You are a helpful assistant.\n|Answer in French.\n|Thanks!\n");
    bw_areq_free(&rq);
    free(body);
}

static void test_adapter_openai_chat_response(void)
{
    char *req = load("openai_chat_req.json", NULL), *body = load("openai_chat_resp.json", NULL);
    struct bw_areq rq;
    struct bw_aresp rs;
    struct bw_iov masked[2] = {BW_IOV("Write to {EMAIL}, s'il vous pla\xc3\xaet."), {NULL, 0}};
    struct bw_hdr h = {BW_IOV("X-Bulwark-Trace"), BW_IOV("enabled")};
    struct bw_buf out;
    cJSON *j;

    CU_ASSERT_PTR_NOT_NULL_FATAL(req);
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", &h, 1, req, NULL, &rq), 0);
    CU_ASSERT_EQUAL(rq.trace, BW_TRACE_ON);
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, NULL, body, strlen(body), &ar, &rs, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(rs.nanswer, 2);
    expect_blocks(rs.blocks, rs.nblocks,
                  "|Write to jane.doe@example.com, s'il vous pla\xc3\xaet.\n|{\"to\":\"bob@example.com\"}\n");
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_adapter_response_body(&rq, &rs, masked, &trace_blocked, &out), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "choices.0.message.content", "Write to {EMAIL}, s'il vous pla\xc3\xaet.");
    CU_ASSERT(cJSON_IsNull(at(j, "choices.0.logprobs")));
    CHECK_STR(j, "bulwark_trace.action", "INTERVENED");
    CHECK_STR(j, "bulwark_trace.input.contentPolicy.filters.0.type", "HATE");
    CU_ASSERT_PTR_NOT_NULL(at(j, "bulwark_trace.output.wordPolicy"));
    CU_ASSERT_PTR_NULL(at(j, "bulwark_trace.modelOutput")); /* never echo a blocked answer to OpenAI clients */
    CU_ASSERT_EQUAL(at(j, "usage.total_tokens")->valueint, 29);
    cJSON_Delete(j);
    bw_buf_free(&out);
    bw_aresp_free(&rs);
    /* an upstream error object is not an answer */
    CU_ASSERT_EQUAL(bw_adapter_parse_response(&rq, NULL, "{\"error\":{\"message\":\"x\"}}", 25, &ar, &rs, err,
                                              sizeof(err)),
                    BW_EINVAL);
    bw_areq_free(&rq);
    free(req);
    free(body);
}

static void test_adapter_openai_blocked_shapes(void)
{
    const char *b = "{\"model\":\"gpt-4o\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    struct bw_areq rq;
    struct bw_buf out;
    const char *ct = NULL;
    cJSON *j;

    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, 0, b, NULL, &rq), 0);
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "Sorry, blocked.", &trace_blocked, &out, &ct), 0);
    CU_ASSERT_STRING_EQUAL(ct, "application/json");
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "object", "chat.completion");
    CU_ASSERT(strncmp(sat(j, "id"), "chatcmpl-bw", 11) == 0);
    CU_ASSERT(cJSON_IsNumber(at(j, "created")));
    CHECK_STR(j, "model", "gpt-4o");
    CHECK_STR(j, "choices.0.message.role", "assistant");
    CHECK_STR(j, "choices.0.message.content", "Sorry, blocked.");
    CU_ASSERT(cJSON_IsNull(at(j, "choices.0.message.refusal")));
    CHECK_STR(j, "choices.0.finish_reason", "content_filter");
    CU_ASSERT_EQUAL(at(j, "choices.1.index")->valueint, 1);
    CU_ASSERT(cJSON_IsNumber(at(j, "usage.prompt_tokens")));
    CU_ASSERT_PTR_NULL(at(j, "bulwark_trace")); /* trace not asked */
    cJSON_Delete(j);
    bw_areq_free(&rq);

    bw_buf_reset(&out);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_COMPLETIONS, "/v1/completions", NULL, 0,
                                "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"hi\"}", NULL, &rq),
                          0);
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_OUTPUT, "No.", NULL, &out, &ct), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "object", "text_completion");
    CHECK_STR(j, "choices.0.text", "No.");
    CHECK_STR(j, "choices.0.finish_reason", "content_filter");
    CU_ASSERT(cJSON_IsNull(at(j, "choices.0.logprobs")));
    cJSON_Delete(j);
    bw_areq_free(&rq);

    bw_buf_reset(&out);
    {
        struct bw_hdr h = {BW_IOV("x-bulwark-trace"), BW_IOV("enabled_full")};
        CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_RESPONSES, "/v1/responses", &h, 1,
                                    "{\"model\":\"gpt-4.1\",\"instructions\":\"Be nice\",\"input\":\"hi\"}", NULL, &rq),
                              0);
    }
    CU_ASSERT_EQUAL(rq.trace, BW_TRACE_FULL);
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "Blocked \xe2\x80\x94 sorry.", &trace_blocked, &out, &ct),
                    0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "object", "response");
    CU_ASSERT(strncmp(sat(j, "id"), "resp_bw", 7) == 0);
    CHECK_STR(j, "status", "incomplete");
    CHECK_STR(j, "incomplete_details.reason", "content_filter");
    CHECK_STR(j, "instructions", "Be nice");
    CHECK_STR(j, "output.0.type", "message");
    CHECK_STR(j, "output.0.role", "assistant");
    CHECK_STR(j, "output.0.content.0.type", "output_text");
    CHECK_STR(j, "output.0.content.0.text", "Blocked \xe2\x80\x94 sorry.");
    CU_ASSERT(cJSON_IsArray(at(j, "output.0.content.0.annotations")));
    CU_ASSERT(cJSON_IsNumber(at(j, "usage.total_tokens")));
    CHECK_STR(j, "bulwark_trace.action", "INTERVENED");
    CHECK_STR(j, "bulwark_trace.actionReason", "Guardrail blocked.");
    cJSON_Delete(j);
    bw_areq_free(&rq);
    bw_buf_free(&out);
}

static void test_adapter_openai_completions(void)
{
    char *body = load("openai_completions_req.json", NULL), *resp = load("openai_completions_resp.json", NULL);
    struct bw_areq rq;
    struct bw_aresp rs;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_COMPLETIONS, "/v1/completions", NULL, 0, body, NULL, &rq), 0);
    expect_blocks(rq.blocks, rq.nblocks, "|Say this is a test\n|and call 555-0100\n|end.\n");
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, NULL, resp, strlen(resp), &ar, &rs, err, sizeof(err)), 0);
    expect_blocks(rs.blocks, rs.nblocks, "|\n\nThis is indeed a test\n");
    bw_aresp_free(&rs);
    bw_areq_free(&rq);
    CU_ASSERT_EQUAL(parse(BW_API_OPENAI_COMPLETIONS, "/v1/completions", NULL, 0,
                          "{\"model\":\"m\",\"prompt\":[1212, 318, 257, 1332]}", NULL, &rq),
                    BW_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "prompt: token arrays cannot be guarded; send the prompt as text");
    CU_ASSERT_EQUAL(parse(BW_API_OPENAI_COMPLETIONS, "/v1/completions", NULL, 0,
                          "{\"model\":\"m\",\"prompt\":[[1212, 318]]}", NULL, &rq),
                    BW_EINVAL);
    free(body);
    free(resp);
}

/*
 * A peer's "created" that no integer holds (the fuzzer's 1.7e19 was UB when
 * converted) or that is negative: the blocked answer carries the current
 * time instead; an ordinary one is kept.
 */
static void test_adapter_peer_time(void)
{
    static const struct {
        const char *created;
        long long want; /* -1: the current time */
    } cases[] = {{"17414767777777777777", -1}, {"-5", -1}, {"1e300", -1}, {"1735689600", 1735689600}};
    const char *b = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    size_t i;

    for (i = 0; i < BW_NELEMS(cases); i++) {
        char resp[512];
        struct bw_areq rq;
        struct bw_aresp rs;
        struct bw_buf out;
        const char *ct = NULL;
        long long now = (long long)time(NULL), got;
        cJSON *j;

        snprintf(resp, sizeof(resp),
                 "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":%s,\"model\":\"gpt-4o\","
                 "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
                 "\"finish_reason\":\"stop\"}]}",
                 cases[i].created);
        bw_buf_init(&out, 0);
        CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, 0, b, NULL, &rq), 0);
        CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, NULL, resp, strlen(resp), &ar, &rs, err, sizeof(err)), 0);
        CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, &rs, BW_DIR_OUTPUT, "No.", NULL, &out, &ct), 0);
        j = jparse(&out);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        CU_ASSERT_FATAL(cJSON_IsNumber(at(j, "created")));
        got = (long long)at(j, "created")->valuedouble;
        if (cases[i].want < 0) {
            CU_ASSERT(got >= now && got <= now + 5);
        } else {
            CU_ASSERT_EQUAL(got, cases[i].want);
        }
        cJSON_Delete(j);
        bw_buf_free(&out);
        bw_aresp_free(&rs);
        bw_areq_free(&rq);
    }
}

static void test_adapter_openai_responses(void)
{
    char *body = load("openai_responses_req.json", NULL), *resp = load("openai_responses_resp.json", NULL);
    struct bw_areq rq;
    struct bw_aresp rs;
    struct bw_iov masked[2] = {BW_IOV("The image depicts a {X} landscape."), {NULL, 0}};
    struct bw_buf out;
    cJSON *j;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_RESPONSES, "/v1/responses", NULL, 0, body, NULL, &rq), 0);
    CU_ASSERT_EQUAL(rq.stream, 1);
    expect_blocks(rq.blocks, rq.nblocks,
                  "|Talk like a pirate.\n"
                  "|What is the weather in Paris?\n"
                  "|{\"city\":\"Paris\"}\n"
                  "|Sunny, 22C\n"
                  "|Arr, sunny!\n"
                  "|And my SSN is 123-45-6789\n"
                  "|Jane\n"
                  "|billing\n");
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, NULL, resp, strlen(resp), &ar, &rs, err, sizeof(err)), 0);
    expect_blocks(rs.blocks, rs.nblocks, "|The image depicts a scenic landscape.\n|{\"a\":1}\n");
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_adapter_response_body(&rq, &rs, masked, NULL, &out), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "output.1.content.0.text", "The image depicts a {X} landscape.");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(at(j, "output.1.content.0.logprobs")), 0);
    CU_ASSERT_PTR_NULL(at(j, "bulwark_trace"));
    cJSON_Delete(j);
    bw_buf_free(&out);
    bw_aresp_free(&rs);
    bw_areq_free(&rq);
    free(body);
    free(resp);
}

/* ------------------------------------------------------------------ */
/* Anthropic                                                           */

static void test_adapter_anthropic(void)
{
    char *body = load("anthropic_req.json", NULL), *resp = load("anthropic_resp.json", NULL);
    struct bw_areq rq;
    struct bw_aresp rs;
    struct bw_iov m[10];
    struct bw_buf out;
    const char *ct;
    cJSON *j;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_ANTHROPIC, "/v1/messages", NULL, 0, body, NULL, &rq), 0);
    CU_ASSERT_EQUAL(rq.stream, 1);
    CU_ASSERT_STRING_EQUAL(rq.model, "claude-3-5-sonnet-20241022");
    expect_blocks(rq.blocks, rq.nblocks,
                  "|You are a banking assistant.\n"
                  "|Hello, I am Jane (jane.doe@example.com).\n"
                  "|Hi Jane!\n"
                  "|jane.doe@example.com\n"
                  "|name\n"
                  "|phone\n"
                  "|Jane Doe, +1 555 0100\n"
                  "|Policy: be nice.\n"
                  "|bank policy\n"
                  "|Na\xc3\xafve question \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e?\n");
    /* masks inside the tool_use input object and the multi-byte text */
    memset(m, 0, sizeof(m));
    m[3] = BW_IOV("{EMAIL}");
    m[9] = BW_IOV("Na\xc3\xafve {X} \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e?");
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_adapter_request_body(&rq, m, &out), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "messages.1.content.2.input.email", "{EMAIL}");
    CU_ASSERT_EQUAL(at(j, "messages.1.content.2.input.limit")->valueint, 3);
    CHECK_STR(j, "messages.2.content.3.text", "Na\xc3\xafve {X} \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e?");
    CHECK_STR(j, "messages.1.content.0.signature", "EqQBCgIYAhIM");
    cJSON_Delete(j);
    /* the answer */
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, NULL, resp, strlen(resp), &ar, &rs, err, sizeof(err)), 0);
    expect_blocks(rs.blocks, rs.nblocks,
                  "|Your number is 555-0100 and email jane.doe@example.com.\n|jane.doe@example.com\n");
    /* blocked, with the upstream's id and usage */
    bw_buf_reset(&out);
    rq.trace = BW_TRACE_ON;
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, &rs, BW_DIR_OUTPUT, "I can't help with that.", &trace_blocked, &out, &ct),
                    0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "id", "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    CHECK_STR(j, "type", "message");
    CHECK_STR(j, "role", "assistant");
    CHECK_STR(j, "model", "claude-3-5-sonnet-20241022");
    CHECK_STR(j, "content.0.type", "text");
    CHECK_STR(j, "content.0.text", "I can't help with that.");
    CHECK_STR(j, "stop_reason", "guardrail_intervened");
    CU_ASSERT(cJSON_IsNull(at(j, "stop_sequence")));
    CU_ASSERT_EQUAL(at(j, "usage.input_tokens")->valueint, 2095);
    CHECK_STR(j, "bulwark_trace.action", "INTERVENED");
    cJSON_Delete(j);
    /* blocked prompt: no upstream answer (the fixture asks for a stream: the
     * JSON shape is for non-streamed requests, test_adapter_blocked_streamed
     * has the streamed one) */
    bw_buf_reset(&out);
    rq.stream = 0;
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "No.", NULL, &out, &ct), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT(strncmp(sat(j, "id"), "msg_bw", 6) == 0);
    CU_ASSERT_EQUAL(at(j, "usage.output_tokens")->valueint, 0);
    CU_ASSERT_PTR_NOT_NULL(at(j, "stop_sequence"));
    cJSON_Delete(j);
    bw_buf_free(&out);
    bw_aresp_free(&rs);
    bw_areq_free(&rq);
    /* malformed and wrong shapes */
    CU_ASSERT_EQUAL(parse(BW_API_ANTHROPIC, "/v1/messages", NULL, 0, "{\"messages\":{}}", NULL, &rq), BW_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "messages: expected an array");
    CU_ASSERT_EQUAL(parse(BW_API_ANTHROPIC, "/v1/messages", NULL, 0,
                          "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]}", NULL, &rq),
                    BW_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "messages[0].content[0].text: expected a string");
    CU_ASSERT_EQUAL(parse(BW_API_ANTHROPIC, "/v1/messages", NULL, 0, "{\"messages\":[],\"stream\":\"yes\"}", NULL, &rq),
                    BW_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "stream: expected a boolean");
    free(body);
    free(resp);
}

/* ------------------------------------------------------------------ */
/* Bedrock InvokeModel                                                 */

#define INVOKE_PATH "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke"

static void test_adapter_invoke_tags(void)
{
    char *body = load("bedrock_invoke_anthropic_tags.json", NULL), *resp = load("bedrock_invoke_anthropic_resp.json", NULL);
    struct bw_hdr h[4] = {
        {BW_IOV("X-Amzn-Bedrock-GuardrailIdentifier"), BW_IOV("abc123def456")},
        {BW_IOV("X-Amzn-Bedrock-GuardrailVersion"), BW_IOV("3")},
        {BW_IOV("X-Amzn-Bedrock-Trace"), BW_IOV("ENABLED")},
        {BW_IOV("Content-Type"), BW_IOV("application/json; charset=utf-8")},
    };
    struct bw_areq rq;
    struct bw_aresp rs;
    struct bw_iov m[8];
    struct bw_buf out;
    struct bw_trace tr = trace_blocked;
    cJSON *j;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_BEDROCK_INVOKE, INVOKE_PATH, h, 4, body, NULL, &rq), 0);
    CU_ASSERT_STRING_EQUAL(rq.model, "anthropic.claude-3-5-sonnet-20240620-v1:0");
    CU_ASSERT_EQUAL(rq.native, BW_NAT_ANTHROPIC);
    CU_ASSERT_STRING_EQUAL(rq.gr_id, "abc123def456");
    CU_ASSERT_STRING_EQUAL(rq.gr_version, "3");
    CU_ASSERT_EQUAL(rq.trace, BW_TRACE_ON);
    CU_ASSERT_STRING_EQUAL(rq.tag_suffix, "k3Jq9x");
    CU_ASSERT(rq.has_tags);
    CU_ASSERT_EQUAL(rq.stream, 0);
    expect_blocks(rq.blocks, rq.nblocks,
                  "|You are a banking assistant. Be polite.\n"
                  "|Context: \n"
                  "S|London is the capital of the UK.\n"
                  "| Q: \n"
                  "Q|What is the capital?\n"
                  "| \n"
                  "G|Caf\xc3\xa9 owner jane.doe@example.com \xf0\x9f\x98\x80 asks\n"
                  "| <amazon-bedrock-guardrails-guardContent_other>not a tag</amazon-bedrock-guardrails-guardContent_other>\n");
    /* only the tagged block's slice changes; tags and the config go */
    memset(m, 0, sizeof(m));
    m[6] = BW_IOV("Caf\xc3\xa9 owner {EMAIL} \xf0\x9f\x98\x80 asks");
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_adapter_request_body(&rq, m, &out), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "messages.0.content.0.text",
              "Context: London is the capital of the UK. Q: What is the capital? Caf\xc3\xa9 owner {EMAIL} "
              "\xf0\x9f\x98\x80 asks <amazon-bedrock-guardrails-guardContent_other>not a tag"
              "</amazon-bedrock-guardrails-guardContent_other>");
    CU_ASSERT_PTR_NULL(at(j, "amazon-bedrock-guardrailConfig"));
    CHECK_STR(j, "anthropic_version", "bedrock-2023-05-31");
    CHECK_STR(j, "system", "You are a banking assistant. Be polite.");
    cJSON_Delete(j);
    CU_ASSERT_PTR_NULL(strstr(out.base, "amazon-bedrock-guardrails-guardContent_k3Jq9x"));
    /* the answer carries the grounding source and query for the OUTPUT evaluation */
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, NULL, resp, strlen(resp), &ar, &rs, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(rs.nanswer, 1);
    expect_blocks(rs.blocks, rs.nblocks,
                  "|London. Mail jane.doe@example.com.\nS|London is the capital of the UK.\nQ|What is the capital?\n");
    memset(m, 0, sizeof(m));
    m[0] = BW_IOV("London. Mail {EMAIL}.");
    tr.action_reason = "Guardrail masked.";
    tr.model_output = NULL;
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_response_body(&rq, &rs, m, &tr, &out), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "content.0.text", "London. Mail {EMAIL}.");
    CHECK_STR(j, "stop_reason", "guardrail_intervened");
    CHECK_STR(j, "amazon-bedrock-guardrailAction", "INTERVENED");
    CHECK_STR(j, "amazon-bedrock-trace.guardrail.actionReason", "Guardrail masked.");
    CHECK_STR(j, "amazon-bedrock-trace.guardrail.input.abc123def456.contentPolicy.filters.0.type", "HATE");
    CU_ASSERT_PTR_NOT_NULL(at(j, "amazon-bedrock-trace.guardrail.outputs.0.abc123def456.wordPolicy"));
    cJSON_Delete(j);
    /* blocked: the model's own shape */
    {
        const char *ct;
        bw_buf_reset(&out);
        CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, &rs, BW_DIR_OUTPUT, "Sorry.", &trace_blocked, &out, &ct), 0);
        j = jparse(&out);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        CHECK_STR(j, "type", "message");
        CHECK_STR(j, "content.0.text", "Sorry.");
        CHECK_STR(j, "stop_reason", "guardrail_intervened");
        CU_ASSERT(cJSON_IsNull(at(j, "stop_sequence")));
        CHECK_STR(j, "amazon-bedrock-guardrailAction", "INTERVENED");
        CHECK_STR(j, "amazon-bedrock-trace.guardrail.modelOutput.0", "the original answer");
        cJSON_Delete(j);
    }
    bw_buf_free(&out);
    bw_aresp_free(&rs);
    bw_areq_free(&rq);
    free(body);
    free(resp);
}

static void invoke_err(const struct bw_hdr *h, size_t nh, const char *body, const char *want)
{
    struct bw_areq rq;

    err[0] = 0;
    CU_ASSERT_EQUAL(parse(BW_API_BEDROCK_INVOKE, INVOKE_PATH, h, nh, body, NULL, &rq), BW_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, want);
    if (strcmp(err, want) != 0)
        fprintf(stderr, "got: %s\nwant: %s\n", err, want);
    bw_areq_free(&rq);
}

static void test_adapter_invoke_errors(void)
{
    struct bw_hdr id = {BW_IOV("x-amzn-bedrock-guardrailidentifier"), BW_IOV("abc")};
    struct bw_hdr ver = {BW_IOV("x-amzn-bedrock-guardrailversion"), BW_IOV("1")};
    struct bw_hdr both[3] = {id, ver, {BW_IOV("content-type"), BW_IOV("text/plain")}};
    struct bw_hdr badver[2] = {id, {BW_IOV("x-amzn-bedrock-guardrailversion"), BW_IOV("01")}};
    struct bw_hdr badtr[3] = {id, ver, {BW_IOV("x-amzn-bedrock-trace"), BW_IOV("ON")}};
    struct bw_hdr ok[2] = {id, ver};
    const char *msg = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    invoke_err(&id, 1, "{\"prompt\":\"x\"}",
               "X-Amzn-Bedrock-GuardrailIdentifier requires X-Amzn-Bedrock-GuardrailVersion");
    invoke_err(&ver, 1, "{\"prompt\":\"x\"}",
               "X-Amzn-Bedrock-GuardrailVersion requires X-Amzn-Bedrock-GuardrailIdentifier");
    invoke_err(badver, 2, "{\"prompt\":\"x\"}",
               "X-Amzn-Bedrock-GuardrailVersion must be DRAFT or a version number of 1 to 8 digits");
    invoke_err(badtr, 3, "{\"prompt\":\"x\"}", "X-Amzn-Bedrock-Trace must be ENABLED, DISABLED or ENABLED_FULL");
    invoke_err(both, 3, "{\"prompt\":\"x\"}", "Content-Type must be application/json when a guardrail is used");
    invoke_err(NULL, 0, "{\"prompt\":\"x\",\"amazon-bedrock-guardrailConfig\":{\"tagSuffix\":\"a\"}}",
               "amazon-bedrock-guardrailConfig is given without the X-Amzn-Bedrock-GuardrailIdentifier header");
    invoke_err(ok, 2, "{\"prompt\":\"x\",\"amazon-bedrock-guardrailConfig\":{\"tagSuffix\":\"a-b\"}}",
               "amazon-bedrock-guardrailConfig.tagSuffix must be 1 to 20 letters or digits");
    invoke_err(ok, 2, "{\"prompt\":\"x\",\"amazon-bedrock-guardrailConfig\":{\"tagSuffix\":\"abcdefghij01234567890\"}}",
               "amazon-bedrock-guardrailConfig.tagSuffix must be 1 to 20 letters or digits");
    invoke_err(ok, 2, "{\"prompt\":\"x\",\"amazon-bedrock-guardrailConfig\":{\"streamProcessingMode\":\"FAST\"}}",
               "amazon-bedrock-guardrailConfig.streamProcessingMode must be SYNCHRONOUS or ASYNCHRONOUS");
    invoke_err(ok, 2, "{\"prompt\":\"x\",\"amazon-bedrock-guardrailConfig\":{\"foo\":1}}",
               "amazon-bedrock-guardrailConfig.foo: unknown field");
    invoke_err(ok, 2,
               "{\"prompt\":\"<amazon-bedrock-guardrails-guardContent_s1>a<amazon-bedrock-guardrails-query_s1>b"
               "</amazon-bedrock-guardrails-query_s1></amazon-bedrock-guardrails-guardContent_s1>\","
               "\"amazon-bedrock-guardrailConfig\":{\"tagSuffix\":\"s1\"}}",
               "input tags cannot be nested: <amazon-bedrock-guardrails-query_s1> inside "
               "<amazon-bedrock-guardrails-guardContent_s1>");
    invoke_err(ok, 2,
               "{\"prompt\":\"<amazon-bedrock-guardrails-guardContent_s1>open\","
               "\"amazon-bedrock-guardrailConfig\":{\"tagSuffix\":\"s1\"}}",
               "input tag <amazon-bedrock-guardrails-guardContent_s1> is not closed in the same text");
    invoke_err(ok, 2,
               "{\"prompt\":\"x</amazon-bedrock-guardrails-query_s1>\","
               "\"amazon-bedrock-guardrailConfig\":{\"tagSuffix\":\"s1\"}}",
               "closing input tag </amazon-bedrock-guardrails-query_s1> without its opening tag");
    (void)msg;
}

struct native_case {
    const char *path, *req, *resp, *blocks, *ans, *blocked_path, *blocked_val;
    int native;
};

static void test_adapter_invoke_natives(void)
{
    static const struct native_case t[] = {
        {"/model/amazon.titan-text-express-v1/invoke", "{\"inputText\":\"Hi Titan\",\"textGenerationConfig\":{}}",
         "{\"inputTextTokenCount\":3,\"results\":[{\"tokenCount\":2,\"outputText\":\"Hello!\",\"completionReason\":"
         "\"FINISH\"}]}",
         "|Hi Titan\n", "|Hello!\n", "results.0.completionReason", "CONTENT_FILTERED", BW_NAT_TITAN},
        {"/model/meta.llama3-8b-instruct-v1%3A0/invoke", "{\"prompt\":\"<|begin_of_text|>Hi Llama\",\"max_gen_len\":9}",
         "{\"generation\":\"Hey\",\"prompt_token_count\":5,\"generation_token_count\":1,\"stop_reason\":\"stop\"}",
         "|<|begin_of_text|>Hi Llama\n", "|Hey\n", "stop_reason", "stop", BW_NAT_LLAMA},
        {"/model/mistral.mistral-7b-instruct-v0%3A2/invoke", "{\"prompt\":\"<s>[INST] Hi [/INST]\"}",
         "{\"outputs\":[{\"text\":\"Bonjour\",\"stop_reason\":\"stop\"}]}", "|<s>[INST] Hi [/INST]\n", "|Bonjour\n",
         "outputs.0.stop_reason", "stop", BW_NAT_MISTRAL},
        {"/model/mistral.mistral-large-2407-v1%3A0/invoke",
         "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi Large\"}]}",
         "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Yo\"},"
         "\"stop_reason\":\"stop\"}]}",
         "|Hi Large\n", "|Yo\n", "choices.0.finish_reason", "content_filter", BW_NAT_CHAT},
        {"/model/cohere.command-r-v1%3A0/invoke",
         "{\"message\":\"Hi Cohere\",\"chat_history\":[{\"role\":\"USER\",\"message\":\"before\"}],\"preamble\":\"Be "
         "brief\"}",
         "{\"response_id\":\"r\",\"text\":\"Hello\",\"generation_id\":\"g\",\"finish_reason\":\"COMPLETE\"}",
         "|Be brief\n|before\n|Hi Cohere\n", "|Hello\n", "finish_reason", "COMPLETE", BW_NAT_COHERE},
        {"/model/us.amazon.nova-lite-v1%3A0/invoke",
         "{\"schemaVersion\":\"messages-v1\",\"system\":[{\"text\":\"Sys\"}],\"messages\":[{\"role\":\"user\","
         "\"content\":[{\"text\":\"Hi Nova\"}]}]}",
         "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Hi!\"}]}},\"stopReason\":"
         "\"end_turn\",\"usage\":{\"inputTokens\":3,\"outputTokens\":2,\"totalTokens\":5}}",
         "|Sys\n|Hi Nova\n", "|Hi!\n", "stopReason", "guardrail_intervened", BW_NAT_NOVA},
        {"/model/anthropic.claude-v2/invoke", "{\"prompt\":\"\\n\\nHuman: Hi\\n\\nAssistant:\"}",
         "{\"completion\":\" Hello\",\"stop_reason\":\"stop_sequence\"}", "|\n\nHuman: Hi\n\nAssistant:\n",
         "| Hello\n", "stop_reason", "guardrail_intervened", BW_NAT_CLAUDE_TEXT},
        {"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Acustom-model%2Fmy-model/invoke",
         "{\"prompt\":\"custom\"}", "{\"generation\":\"out\"}", "|custom\n", "|out\n", "text", "Sorry.",
         BW_NAT_UNKNOWN},
    };
    size_t i;

    for (i = 0; i < BW_NELEMS(t); i++) {
        struct bw_areq rq;
        struct bw_aresp rs;
        struct bw_buf out;
        const char *ct;
        cJSON *j;

        CU_ASSERT_EQUAL_FATAL(parse(BW_API_BEDROCK_INVOKE, t[i].path, NULL, 0, t[i].req, NULL, &rq), 0);
        CU_ASSERT_EQUAL(rq.native, t[i].native);
        expect_blocks(rq.blocks, rq.nblocks, t[i].blocks);
        CU_ASSERT_EQUAL_FATAL(
            bw_adapter_parse_response(&rq, NULL, t[i].resp, strlen(t[i].resp), &ar, &rs, err, sizeof(err)), 0);
        expect_blocks(rs.blocks, rs.nblocks, t[i].ans);
        bw_buf_init(&out, 0);
        CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, &rs, BW_DIR_OUTPUT, "Sorry.", NULL, &out, &ct), 0);
        j = jparse(&out);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        CHECK_STR(j, t[i].blocked_path, t[i].blocked_val);
        CHECK_STR(j, "amazon-bedrock-guardrailAction", "INTERVENED");
        CU_ASSERT_PTR_NULL(at(j, "amazon-bedrock-trace"));
        /* the model's usage and id are kept, as in Converse */
        if (t[i].native == BW_NAT_NOVA)
            CU_ASSERT(at(j, "usage.totalTokens") && at(j, "usage.totalTokens")->valueint == 5);
        if (t[i].native == BW_NAT_CHAT) {
            CHECK_STR(j, "id", "x");
            CU_ASSERT(cJSON_IsNumber(at(j, "usage.total_tokens")));
        }
        /* the blocked body is itself an answer of that model, with the message as its text */
        bw_aresp_free(&rs);
        CU_ASSERT_EQUAL(bw_adapter_parse_response(&rq, NULL, out.base, out.len, &ar, &rs, err, sizeof(err)), 0);
        CU_ASSERT_EQUAL(rs.nanswer, 1);
        if (rs.nanswer == 1)
            CU_ASSERT_NSTRING_EQUAL(rs.blocks[0].text, "Sorry.", 6);
        cJSON_Delete(j);
        /* a blocked prompt: no answer to take usage or an id from */
        bw_buf_reset(&out);
        CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "Sorry.", NULL, &out, &ct), 0);
        j = jparse(&out);
        CU_ASSERT_PTR_NOT_NULL(j);
        if (j && t[i].native == BW_NAT_CHAT)
            CU_ASSERT(strncmp(sat(j, "id"), "chatcmpl-bw", 11) == 0);
        if (j && t[i].native == BW_NAT_NOVA)
            CU_ASSERT(at(j, "usage.totalTokens") && at(j, "usage.totalTokens")->valueint == 0);
        cJSON_Delete(j);
        bw_buf_free(&out);
        bw_aresp_free(&rs);
        bw_areq_free(&rq);
    }
}

/* ------------------------------------------------------------------ */
/* Bedrock Converse                                                    */

#define CONVERSE_PATH "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"

static void test_adapter_converse(void)
{
    char *body = load("bedrock_converse_req.json", NULL), *resp = load("bedrock_converse_resp.json", NULL);
    struct bw_areq rq;
    struct bw_aresp rs;
    struct bw_iov m[8];
    struct bw_buf out;
    struct bw_adapter_opts o = {NULL, 0, NULL, 0, BW_ADAPT_GUARD_SYSTEM | BW_ADAPT_GUARD_TOOLS};
    const char *ct;
    cJSON *j;

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_BEDROCK_CONVERSE, CONVERSE_PATH, NULL, 0, body, NULL, &rq), 0);
    CU_ASSERT_STRING_EQUAL(rq.gr_id, "abc123def456");
    CU_ASSERT_STRING_EQUAL(rq.gr_version, "3");
    CU_ASSERT_EQUAL(rq.trace, BW_TRACE_ON);
    CU_ASSERT_EQUAL(rq.stream, 0);
    expect_blocks(rq.blocks, rq.nblocks,
                  "G|Guarded system text\n"
                  "|Plain text, not guarded when guardContent exists.\n"
                  "S|London is the capital of the UK.\n"
                  "Q|What is the capital?\n"
                  "G|My card is 4111 1111 1111 1111 \xe2\x80\x94 na\xc3\xafve\n");
    /* the upstream body: wrappers unwrapped (masked), config gone, the rest as it was */
    memset(m, 0, sizeof(m));
    m[4] = BW_IOV("My card is {CREDIT_DEBIT_CARD_NUMBER} \xe2\x80\x94 na\xc3\xafve");
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_adapter_request_body(&rq, m, &out), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "messages.0.content.1.text", "London is the capital of the UK.");
    CHECK_STR(j, "messages.0.content.2.text", "What is the capital?");
    CHECK_STR(j, "messages.0.content.3.text", "My card is {CREDIT_DEBIT_CARD_NUMBER} \xe2\x80\x94 na\xc3\xafve");
    CU_ASSERT_PTR_NULL(at(j, "messages.0.content.3.guardContent"));
    CHECK_STR(j, "system.1.text", "Guarded system text");
    CHECK_STR(j, "messages.0.content.4.image.format", "png");
    CU_ASSERT_PTR_NULL(at(j, "guardrailConfig"));
    CU_ASSERT_EQUAL(at(j, "additionalModelRequestFields.top_k")->valueint, 200);
    cJSON_Delete(j);
    CU_ASSERT_PTR_NULL(strstr(out.base, "\"guardContent\""));
    /* the answer: masked, trace, stopReason */
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, NULL, resp, strlen(resp), &ar, &rs, err, sizeof(err)), 0);
    expect_blocks(rs.blocks, rs.nblocks,
                  "|The capital is London. Card 4111 1111 1111 1111.\n"
                  "S|London is the capital of the UK.\nQ|What is the capital?\n");
    memset(m, 0, sizeof(m));
    m[0] = BW_IOV("The capital is London. Card {CREDIT_DEBIT_CARD_NUMBER}.");
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_response_body(&rq, &rs, m, &trace_blocked, &out), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "output.message.content.0.text", "The capital is London. Card {CREDIT_DEBIT_CARD_NUMBER}.");
    CHECK_STR(j, "stopReason", "guardrail_intervened");
    CHECK_STR(j, "trace.guardrail.inputAssessment.abc123def456.contentPolicy.filters.0.type", "HATE");
    CU_ASSERT(cJSON_IsArray(at(j, "trace.guardrail.outputAssessments.abc123def456")));
    CU_ASSERT_PTR_NOT_NULL(at(j, "trace.guardrail.outputAssessments.abc123def456.0.wordPolicy"));
    CHECK_STR(j, "trace.guardrail.actionReason", "Guardrail blocked.");
    CU_ASSERT_PTR_NULL(at(j, "amazon-bedrock-guardrailAction"));
    cJSON_Delete(j);
    /* blocked */
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, &rs, BW_DIR_OUTPUT, "Sorry, I cannot.", &trace_blocked, &out, &ct), 0);
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "output.message.role", "assistant");
    CHECK_STR(j, "output.message.content.0.text", "Sorry, I cannot.");
    CHECK_STR(j, "stopReason", "guardrail_intervened");
    CU_ASSERT_EQUAL(at(j, "usage.inputTokens")->valueint, 30);
    CU_ASSERT_EQUAL(at(j, "metrics.latencyMs")->valueint, 812);
    CHECK_STR(j, "trace.guardrail.modelOutput.0", "the original answer");
    CU_ASSERT_PTR_NOT_NULL(at(j, "trace.guardrail.inputAssessment.abc123def456"));
    cJSON_Delete(j);
    bw_buf_free(&out);
    bw_aresp_free(&rs);
    bw_areq_free(&rq);
    /* the route may guard system text and tools as well */
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_BEDROCK_CONVERSE, CONVERSE_PATH, NULL, 0, body, &o, &rq), 0);
    expect_blocks(rq.blocks, rq.nblocks,
                  "|You are terse.\n"
                  "G|Guarded system text\n"
                  "|Plain text, not guarded when guardContent exists.\n"
                  "S|London is the capital of the UK.\n"
                  "Q|What is the capital?\n"
                  "G|My card is 4111 1111 1111 1111 \xe2\x80\x94 na\xc3\xafve\n"
                  "|secret\n"
                  "|tool says hi\n"
                  "|v\n");
    bw_areq_free(&rq);
    free(body);
    free(resp);
}

static void converse_err(const char *path, const char *body, const char *want)
{
    struct bw_areq rq;

    err[0] = 0;
    CU_ASSERT_EQUAL(parse(BW_API_BEDROCK_CONVERSE, path, NULL, 0, body, NULL, &rq), BW_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, want);
    if (strcmp(err, want) != 0)
        fprintf(stderr, "got: %s\nwant: %s\n", err, want);
    bw_areq_free(&rq);
}

static void test_adapter_converse_errors(void)
{
    struct bw_areq rq;

    converse_err(CONVERSE_PATH,
                 "{\"messages\":[],\"guardrailConfig\":{\"guardrailIdentifier\":\"a\",\"guardrailVersion\":\"1\","
                 "\"streamProcessingMode\":\"async\"}}",
                 "guardrailConfig.streamProcessingMode is only valid for ConverseStream");
    converse_err(CONVERSE_PATH, "{\"messages\":[],\"guardrailConfig\":{\"guardrailIdentifier\":\"a\"}}",
                 "guardrailConfig.guardrailIdentifier requires guardrailConfig.guardrailVersion");
    converse_err(CONVERSE_PATH,
                 "{\"messages\":[],\"guardrailConfig\":{\"guardrailIdentifier\":\"a\",\"guardrailVersion\":\"1\","
                 "\"trace\":\"ENABLED\"}}",
                 "guardrailConfig.trace must be enabled, disabled or enabled_full");
    converse_err(CONVERSE_PATH, "{\"messages\":[],\"guardrailConfig\":{\"guardrailId\":\"a\"}}",
                 "guardrailConfig.guardrailId: unknown field");
    converse_err(CONVERSE_PATH,
                 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"guardContent\":{\"text\":{\"text\":\"x\","
                 "\"qualifiers\":[\"grounding\"]}}}]}]}",
                 "guardContent.text.qualifiers: \"grounding\" is not one of grounding_source, query, guard_content");
    converse_err(CONVERSE_PATH, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                 "messages[0].content: expected an array");
    /* stream form: the mode is allowed there */
    CU_ASSERT_EQUAL(parse(BW_API_BEDROCK_CONVERSE, "/model/m/converse-stream", NULL, 0,
                          "{\"messages\":[],\"guardrailConfig\":{\"guardrailIdentifier\":\"a\",\"guardrailVersion\":"
                          "\"DRAFT\",\"streamProcessingMode\":\"async\",\"trace\":\"enabled_full\"}}",
                          NULL, &rq),
                    0);
    CU_ASSERT_EQUAL(rq.stream, 1);
    CU_ASSERT_EQUAL(rq.async, 1);
    CU_ASSERT_EQUAL(rq.trace, BW_TRACE_FULL);
    CU_ASSERT_EQUAL(rq.nblocks, 0); /* nothing to guard: a tool-only or empty turn */
    bw_areq_free(&rq);
}

/* ------------------------------------------------------------------ */
/* generic                                                             */

static void test_adapter_generic(void)
{
    const char *in_ptrs[] = {"/messages/*/content", "/meta/a~1b", "/nope/0"};
    const char *out_ptrs[] = {"/result/choices/0/text"};
    struct bw_adapter_opts o = {in_ptrs, 3, out_ptrs, 1, 0};
    struct bw_adapter_opts raw = {NULL, 0, NULL, 0, 0};
    const char *body = "{\"messages\":[{\"content\":\"one\"},{\"content\":[\"two\",{\"x\":\"three\"}]},{\"c\":1}],"
                       "\"meta\":{\"a/b\":\"four\"}}";
    const char *resp = "{\"result\":{\"choices\":[{\"text\":\"answer\"}]}}";
    struct bw_areq rq;
    struct bw_aresp rs;
    struct bw_iov m[4] = {{NULL, 0}, BW_IOV("TWO"), {NULL, 0}, {NULL, 0}};
    struct bw_buf out;
    const char *ct;
    cJSON *j;

    CU_ASSERT_EQUAL_FATAL(parse(BW_API_GENERIC, "/api", NULL, 0, body, &o, &rq), 0);
    expect_blocks(rq.blocks, rq.nblocks, "|one\n|two\n|three\n|four\n");
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_adapter_request_body(&rq, m, &out), 0);
    CU_ASSERT_STRING_EQUAL(out.base, "{\"messages\":[{\"content\":\"one\"},{\"content\":[\"TWO\",{\"x\":\"three\"}]},"
                                     "{\"c\":1}],\"meta\":{\"a/b\":\"four\"}}");
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, &o, resp, strlen(resp), &ar, &rs, err, sizeof(err)), 0);
    expect_blocks(rs.blocks, rs.nblocks, "|answer\n");
    bw_buf_reset(&out);
    rq.trace = BW_TRACE_ON;
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, &rs, BW_DIR_OUTPUT, "Blocked.", &trace_blocked, &out, &ct), 0);
    CU_ASSERT_STRING_EQUAL(ct, "application/json");
    j = jparse(&out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CHECK_STR(j, "result.choices.0.text", "Blocked.");
    CHECK_STR(j, "bulwark_trace.action", "INTERVENED");
    cJSON_Delete(j);
    bw_aresp_free(&rs);
    bw_areq_free(&rq);
    /* no pointers: the whole body, any bytes */
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_GENERIC, "/api", NULL, 0, "plain text, not JSON", &raw, &rq), 0);
    expect_blocks(rq.blocks, rq.nblocks, "|plain text, not JSON\n");
    m[0] = BW_IOV("plain {X}");
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_request_body(&rq, m, &out), 0);
    CU_ASSERT_STRING_EQUAL(out.base, "plain {X}");
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "Blocked.", NULL, &out, &ct), 0);
    CU_ASSERT_STRING_EQUAL(out.base, "Blocked.");
    CU_ASSERT_STRING_EQUAL(ct, "text/plain; charset=utf-8");
    bw_areq_free(&rq);
    bw_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* errors                                                              */

static void test_adapter_error_shapes(void)
{
    struct bw_buf out;
    const char *ct, *et = "x";
    cJSON *j;

    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL(bw_adapter_error(BW_API_OPENAI_CHAT, 400, "bad \"thing\"", &out, &ct, &et), 0);
    CU_ASSERT_PTR_NULL(et);
    j = jparse(&out);
    CHECK_STR(j, "error.message", "bad \"thing\"");
    CHECK_STR(j, "error.type", "invalid_request_error");
    CU_ASSERT(cJSON_IsNull(at(j, "error.param")));
    CU_ASSERT(cJSON_IsNull(at(j, "error.code")));
    cJSON_Delete(j);
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_error(BW_API_OPENAI_RESPONSES, 502, "upstream failed", &out, &ct, NULL), 0);
    j = jparse(&out);
    CHECK_STR(j, "error.type", "server_error");
    cJSON_Delete(j);
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_error(BW_API_ANTHROPIC, 529, "busy", &out, &ct, &et), 0);
    j = jparse(&out);
    CHECK_STR(j, "type", "error");
    CHECK_STR(j, "error.type", "overloaded_error");
    CHECK_STR(j, "error.message", "busy");
    cJSON_Delete(j);
    bw_buf_reset(&out);
    CU_ASSERT_EQUAL(bw_adapter_error(BW_API_BEDROCK_CONVERSE, 400, "bad", &out, &ct, &et), 0);
    CU_ASSERT_STRING_EQUAL(et, "ValidationException");
    CU_ASSERT_STRING_EQUAL(out.base, "{\"message\":\"bad\"}");
    CU_ASSERT_STRING_EQUAL(bw_adapter_error_type(BW_API_BEDROCK_INVOKE, 404), "ResourceNotFoundException");
    CU_ASSERT_STRING_EQUAL(bw_adapter_error_type(BW_API_BEDROCK_INVOKE, 429), "ThrottlingException");
    CU_ASSERT_STRING_EQUAL(bw_adapter_error_type(BW_API_BEDROCK_INVOKE, 500), "InternalServerException");
    CU_ASSERT_STRING_EQUAL(bw_adapter_error_type(BW_API_BEDROCK_INVOKE, 503), "ServiceUnavailableException");
    CU_ASSERT_STRING_EQUAL(bw_adapter_error_type(BW_API_BEDROCK_CONVERSE, 408), "ModelTimeoutException");
    CU_ASSERT_STRING_EQUAL(bw_adapter_error_type(BW_API_APPLY, 400), "ValidationException");
    CU_ASSERT_STRING_EQUAL(bw_adapter_error_type(BW_API_ANTHROPIC, 404), "not_found_error");
    bw_buf_free(&out);
}

static void test_adapter_too_many_blocks(void)
{
    struct bw_buf b;
    struct bw_areq rq;
    int i;

    bw_buf_init(&b, 0);
    bw_buf_adds(&b, "{\"model\":\"m\",\"messages\":[");
    for (i = 0; i < BW_MAX_BLOCKS + 1; i++)
        bw_buf_printf(&b, "%s{\"role\":\"user\",\"content\":\"m%d\"}", i ? "," : "", i);
    bw_buf_adds(&b, "]}");
    CU_ASSERT_EQUAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, 0, b.base, NULL, &rq), BW_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "more than 4096 texts to guard in one body");
    bw_buf_free(&b);
}

/* A blocked prompt of a streamed request is a complete stream, not a JSON body the SDKs would read as an empty stream. */
static void test_adapter_blocked_streamed(void)
{
    struct bw_areq rq;
    struct bw_buf out;
    const char *ct = NULL;
    const char *p;

    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, 0,
                                "{\"model\":\"gpt-4o\",\"stream\":true,\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                                NULL, &rq),
                          0);
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "Sorry, blocked.", &trace_blocked, &out, &ct), 0);
    CU_ASSERT_STRING_EQUAL(ct, "text/event-stream");
    bw_buf_addc(&out, 0);
    CU_ASSERT(strncmp(out.base, "data: {", 7) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"content\":\"Sorry, blocked.\""));
    p = strstr(out.base, "\"finish_reason\":\"content_filter\"");
    CU_ASSERT_PTR_NOT_NULL(p);
    CU_ASSERT(p && strstr(p, "data: [DONE]\n\n") != NULL);
    /* n = 2: the message and the stop for both choices */
    CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"Sorry, blocked.\"}"));
    CU_ASSERT(p && strstr(p + 1, "\"finish_reason\":\"content_filter\"") != NULL);
    bw_areq_free(&rq);

    bw_buf_reset(&out);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_ANTHROPIC, "/v1/messages", NULL, 0,
                                "{\"model\":\"claude\",\"max_tokens\":9,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                                NULL, &rq),
                          0);
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "No.", &trace_blocked, &out, &ct), 0);
    CU_ASSERT_STRING_EQUAL(ct, "text/event-stream");
    bw_buf_addc(&out, 0);
    CU_ASSERT(strncmp(out.base, "event: message_start\n", 21) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"text\":\"No.\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"stop_reason\":\"guardrail_intervened\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "event: message_stop\n"));
    bw_areq_free(&rq);

    bw_buf_reset(&out);
    CU_ASSERT_EQUAL_FATAL(parse(BW_API_BEDROCK_CONVERSE, "/model/m/converse-stream", NULL, 0,
                                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}", NULL, &rq),
                          0);
    CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "No.", &trace_blocked, &out, &ct), 0);
    CU_ASSERT_STRING_EQUAL(ct, "application/vnd.amazon.eventstream");
    {
        /* whole event-stream messages, the last one the metadata event */
        size_t off = 0, n = 0;
        struct bw_evs_msg m;
        const struct bw_iov *et = NULL;

        while (off + 12 <= out.len) {
            uint32_t tl = (uint32_t)(unsigned char)out.base[off] << 24 | (uint32_t)(unsigned char)out.base[off + 1] << 16 |
                          (uint32_t)(unsigned char)out.base[off + 2] << 8 | (unsigned char)out.base[off + 3];
            CU_ASSERT_FATAL(tl >= 16 && off + tl <= out.len);
            CU_ASSERT_EQUAL_FATAL(bw_evs_parse(out.base + off, tl, &m), 0);
            et = bw_evs_header_str(&m, ":event-type");
            off += tl;
            n++;
        }
        CU_ASSERT_EQUAL(off, out.len);
        CU_ASSERT(n >= 4);
        CU_ASSERT(et && et->len == 8 && memcmp(et->base, "metadata", 8) == 0);
    }
    bw_areq_free(&rq);

    /* the generic API has no stream form: JSON as before */
    bw_buf_reset(&out);
    {
        const char *in_ptrs[] = {"/q"};
        struct bw_adapter_opts o = {in_ptrs, 1, NULL, 0, 0};

        CU_ASSERT_EQUAL_FATAL(parse(BW_API_GENERIC, "/api", NULL, 0, "{\"stream\":true,\"q\":\"hi\"}", &o, &rq), 0);
        CU_ASSERT_EQUAL(rq.stream, 1);
        CU_ASSERT_EQUAL(bw_adapter_blocked(&rq, NULL, BW_DIR_INPUT, "No.", NULL, &out, &ct), 0);
        CU_ASSERT_STRING_EQUAL(ct, "text/plain; charset=utf-8"); /* no answer pointer: the message as text */
        bw_areq_free(&rq);
    }
    bw_buf_free(&out);
}

static const struct bw_test tests[] = {
    {"test_adapter_detect", test_adapter_detect},
    {"test_adapter_strict_json", test_adapter_strict_json},
    {"test_adapter_splice_members", test_adapter_splice_members},
    {"test_adapter_openai_chat_extract_rewrite", test_adapter_openai_chat_extract_rewrite},
    {"test_adapter_openai_chat_last_turn", test_adapter_openai_chat_last_turn},
    {"test_adapter_openai_chat_response", test_adapter_openai_chat_response},
    {"test_adapter_openai_blocked_shapes", test_adapter_openai_blocked_shapes},
    {"test_adapter_openai_completions", test_adapter_openai_completions},
    {"test_adapter_openai_responses", test_adapter_openai_responses},
    {"test_adapter_anthropic", test_adapter_anthropic},
    {"test_adapter_invoke_tags", test_adapter_invoke_tags},
    {"test_adapter_invoke_errors", test_adapter_invoke_errors},
    {"test_adapter_invoke_natives", test_adapter_invoke_natives},
    {"test_adapter_converse", test_adapter_converse},
    {"test_adapter_converse_errors", test_adapter_converse_errors},
    {"test_adapter_generic", test_adapter_generic},
    {"test_adapter_error_shapes", test_adapter_error_shapes},
    {"test_adapter_too_many_blocks", test_adapter_too_many_blocks},
    {"test_adapter_blocked_streamed", test_adapter_blocked_streamed},
    {"test_adapter_peer_time", test_adapter_peer_time},
};

static int setup_main(void)
{
    bw_arena_init(&ar, 0);
    return 0;
}

#define main bw_test_main_
BW_TEST_MAIN("adapter", tests)
#undef main

int main(void)
{
    int rv;

    setup_main();
    rv = bw_test_main_();
    bw_arena_free(&ar);
    return rv;
}
