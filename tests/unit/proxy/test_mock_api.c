/*
 * Tests of proxy/mock_api.c: every API's answer and stream read back with
 * bulwark's own adapters and stream decoders (so the mock speaks exactly
 * what the proxy parses), the REPLY:/echo rule, token counts, settings,
 * errors, and determinism.
 */
#include "tests/unit/proxy/units.h"
#include "proxy/evstream.c"
#include "proxy/mock_api.c"
#include "proxy/sse.c"
#include "proxy/stream_api.c"
#include "tests/unit/testutil.h"

static struct bw_arena ar;

struct mcase {
    int api;
    const char *path;
    const char *body;
    const char *want; /* the answer text */
};

static const struct mcase cases[] = {
    {BW_API_OPENAI_CHAT, "/v1/chat/completions",
     "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":"
     "\"first\"},{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"Hello there, REPLY: "
     "Sure thing \\u2014 caf\\u00e9!\"}]}",
     "Sure thing \xe2\x80\x94 caf\xc3\xa9!"},
    {BW_API_OPENAI_COMPLETIONS, "/v1/completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say hi\"}",
     "You said: Say hi"},
    {BW_API_OPENAI_RESPONSES, "/v1/responses", "{\"model\":\"gpt-4.1\",\"input\":\"Tell me a joke\"}",
     "You said: Tell me a joke"},
    {BW_API_OPENAI_RESPONSES, "/v1/responses",
     "{\"model\":\"gpt-4.1\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"REPLY: "
     "ok\"}]}]}",
     "ok"},
    {BW_API_ANTHROPIC, "/v1/messages",
     "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":[{"
     "\"type\":\"text\",\"text\":\"Bonjour\"}]}]}",
     "You said: Bonjour"},
    {BW_API_BEDROCK_CONVERSE, "/model/amazon.nova-lite-v1%3A0/converse",
     "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"REPLY: from converse\"}]}]}", "from converse"},
    {BW_API_BEDROCK_INVOKE, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
     "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":"
     "\"hi claude\"}]}",
     "You said: hi claude"},
    {BW_API_BEDROCK_INVOKE, "/model/amazon.titan-text-express-v1/invoke", "{\"inputText\":\"REPLY: titan here\"}",
     "titan here"},
    {BW_API_BEDROCK_INVOKE, "/model/meta.llama3-8b-instruct-v1%3A0/invoke", "{\"prompt\":\"llama?\"}",
     "You said: llama?"},
    {BW_API_BEDROCK_INVOKE, "/model/mistral.mistral-7b-instruct-v0%3A2/invoke", "{\"prompt\":\"REPLY: bonjour\"}",
     "bonjour"},
    {BW_API_BEDROCK_INVOKE, "/model/cohere.command-r-v1%3A0/invoke", "{\"message\":\"REPLY: cohere\"}", "cohere"},
    {BW_API_BEDROCK_INVOKE, "/model/us.amazon.nova-pro-v1%3A0/invoke",
     "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"REPLY: nova\"}]}]}", "nova"},
};

static void test_mock_answers_parse_back(void)
{
    size_t i;

    for (i = 0; i < BW_NELEMS(cases); i++) {
        const struct mcase *c = &cases[i];
        struct bw_buf out, out2;
        struct bw_areq rq;
        struct bw_aresp rs;
        const char *ct;
        char err[256];
        int st = 0;

        bw_buf_init(&out, 0);
        bw_buf_init(&out2, 0);
        CU_ASSERT_EQUAL_FATAL(bw_mock_answer(c->api, c->path, c->body, strlen(c->body), &st, &out, &ct), 0);
        CU_ASSERT_EQUAL(st, 200);
        CU_ASSERT_STRING_EQUAL(ct, "application/json");
        /* deterministic */
        CU_ASSERT_EQUAL(bw_mock_answer(c->api, c->path, c->body, strlen(c->body), &st, &out2, &ct), 0);
        CU_ASSERT_STRING_EQUAL(out.base, out2.base);
        /* the proxy's own adapter reads it */
        CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_request(c->api, c->path, NULL, NULL, 0, c->body, strlen(c->body), &ar,
                                                       &rq, err, sizeof(err)),
                              0);
        CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_response(&rq, NULL, out.base, out.len, &ar, &rs, err, sizeof(err)), 0);
        CU_ASSERT_EQUAL(rs.nanswer, 1);
        if (rs.nanswer == 1) {
            CU_ASSERT_EQUAL(rs.blocks[0].len, strlen(c->want));
            CU_ASSERT_NSTRING_EQUAL(rs.blocks[0].text, c->want, strlen(c->want));
        }
        if (rs.nanswer != 1 || rs.blocks[0].len != strlen(c->want))
            fprintf(stderr, "case %zu: %s\n", i, out.base);
        /* what the SDKs look for */
        if (c->api == BW_API_OPENAI_CHAT) {
            CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"object\":\"chat.completion\""));
            CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"id\":\"chatcmpl-mock"));
            CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"model\":\"gpt-4o\""));
            CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"finish_reason\":\"stop\""));
            CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"completion_tokens\":4"));
        }
        if (c->api == BW_API_ANTHROPIC) {
            CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"stop_reason\":\"end_turn\",\"stop_sequence\":null"));
            CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"usage\":{\"input_tokens\":1,\"output_tokens\":3}"));
        }
        if (c->api == BW_API_BEDROCK_CONVERSE)
            CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"metrics\":{\"latencyMs\":1}"));
        bw_aresp_free(&rs);
        bw_areq_free(&rq);
        bw_buf_free(&out);
        bw_buf_free(&out2);
    }
}

struct acc {
    struct bw_buf text;
    int ntext, stops, done, errors;
};

static int acc_cb(void *ud, const struct bw_sev *ev)
{
    struct acc *a = ud;

    if (ev->kind == BW_SEV_TEXT) {
        bw_buf_add(&a->text, ev->text.base, ev->text.len);
        a->ntext++;
    }
    a->stops += ev->kind == BW_SEV_STOP;
    a->done += ev->kind == BW_SEV_DONE;
    a->errors += ev->kind == BW_SEV_ERROR;
    return 0;
}

/* Streams the case, reads it back chunk by chunk with the proxy's decoder. */
static void stream_case(const struct mcase *c, const struct bw_mock_opts *o, struct acc *a, size_t *nchunks)
{
    struct bw_mock_stream s;
    struct bw_areq rq;
    struct bw_sdec d;
    char err[256];
    size_t i;

    memset(a, 0, sizeof(*a));
    bw_buf_init(&a->text, 0);
    bw_mock_stream_init(&s);
    CU_ASSERT_EQUAL_FATAL(bw_mock_stream(c->api, c->path, o, c->body, strlen(c->body), &s), 0);
    CU_ASSERT_EQUAL(s.status, 200);
    CU_ASSERT_STRING_EQUAL(s.content_type, bw_api_stream_ctype(c->api));
    CU_ASSERT_EQUAL(s.off[0], 0);
    CU_ASSERT_EQUAL(s.off[s.nchunks], s.buf.len);
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_request(c->api, c->path, NULL, NULL, 0, c->body, strlen(c->body), &ar, &rq,
                                                   err, sizeof(err)),
                          0);
    CU_ASSERT_EQUAL_FATAL(bw_sdec_init(&d, &rq), 0);
    for (i = 0; i < s.nchunks; i++)
        CU_ASSERT_EQUAL(bw_sdec_feed(&d, s.buf.base + s.off[i], s.off[i + 1] - s.off[i], acc_cb, a), 0);
    CU_ASSERT_EQUAL(bw_sdec_finish(&d, acc_cb, a), 0);
    *nchunks = s.nchunks;
    bw_sdec_free(&d);
    bw_areq_free(&rq);
    bw_mock_stream_free(&s);
}

static void test_mock_streams_parse_back(void)
{
    size_t i, nch;

    for (i = 0; i < BW_NELEMS(cases); i++) {
        struct acc a;

        stream_case(&cases[i], NULL, &a, &nch);
        CU_ASSERT_STRING_EQUAL(a.text.base ? a.text.base : "", cases[i].want);
        CU_ASSERT_EQUAL(a.ntext, (int)mk_words(cases[i].want));
        /* the Responses API has no stop event: its end is response.completed */
        CU_ASSERT_EQUAL(a.stops, cases[i].api == BW_API_OPENAI_RESPONSES ? 0 : 1);
        CU_ASSERT_EQUAL(a.done, 1);
        CU_ASSERT_EQUAL(a.errors, 0);
        if (!a.text.base || strcmp(a.text.base, cases[i].want) != 0)
            fprintf(stderr, "stream case %zu: \"%s\" stops %d\n", i, a.text.base, a.stops);
        bw_buf_free(&a.text);
    }
}

static void test_mock_tokens_delay_status(void)
{
    struct bw_mock_opts o;
    struct bw_hdr h = {BW_IOV("X-Mock-Delay-Ms"), BW_IOV("25")};
    struct acc a;
    size_t nch;
    const struct mcase *c = &cases[1];

    bw_mock_opts_parse("/v1/completions?tokens=50&x=1", &h, 1, &o);
    CU_ASSERT_EQUAL(o.tokens, 50);
    CU_ASSERT_EQUAL(o.delay_ms, 25);
    CU_ASSERT_EQUAL(o.status, 0);
    stream_case(c, &o, &a, &nch);
    CU_ASSERT_EQUAL(a.ntext, 50);
    CU_ASSERT_EQUAL(nch, 52); /* 50 deltas, the finish, [DONE] */
    CU_ASSERT(strncmp(a.text.base, "You said: Say hi You said: Say hi", 33) == 0);
    bw_buf_free(&a.text);
    /* fewer tokens than words: deltas hold several words */
    bw_mock_opts_parse("/x?tokens=2", NULL, 0, &o);
    stream_case(&cases[0], &o, &a, &nch);
    CU_ASSERT_EQUAL(a.ntext, 2);
    CU_ASSERT_STRING_EQUAL(a.text.base, cases[0].want);
    bw_buf_free(&a.text);
    /* garbage values are ignored, huge ones capped */
    bw_mock_opts_parse("/x?tokens=abc&delay_ms=99999999", NULL, 0, &o);
    CU_ASSERT_EQUAL(o.tokens, 0);
    CU_ASSERT_EQUAL(o.delay_ms, 60000);
    /* status: the API's own error */
    {
        struct bw_buf out;
        const char *ct;
        int st;
        struct bw_mock_stream s;

        bw_mock_opts_parse("/v1/messages?status=529", NULL, 0, &o);
        bw_buf_init(&out, 0);
        CU_ASSERT_EQUAL(bw_mock_answer_opts(BW_API_ANTHROPIC, "/v1/messages", &o, "{}", 2, &st, &out, &ct), 0);
        CU_ASSERT_EQUAL(st, 529);
        CU_ASSERT_STRING_EQUAL(out.base, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
                                         "\"mock error requested\"}}");
        bw_buf_reset(&out);
        CU_ASSERT_EQUAL(bw_mock_answer(BW_API_OPENAI_CHAT, "/v1/chat/completions", "{not json", 9, &st, &out, &ct), 0);
        CU_ASSERT_EQUAL(st, 400);
        CU_ASSERT_PTR_NOT_NULL(strstr(out.base, "\"type\":\"invalid_request_error\""));
        bw_buf_reset(&out);
        CU_ASSERT_EQUAL(bw_mock_answer(BW_API_OPENAI_CHAT, "/v1/chat/completions", "{\"messages\":[]}", 15, &st, &out,
                                       &ct),
                        0);
        CU_ASSERT_EQUAL(st, 400);
        bw_buf_free(&out);
        bw_mock_stream_init(&s);
        bw_mock_opts_parse("/model/m/converse-stream?status=429", NULL, 0, &o);
        CU_ASSERT_EQUAL(bw_mock_stream(BW_API_BEDROCK_CONVERSE, "/model/m/converse-stream", &o, "{}", 2, &s), 0);
        CU_ASSERT_EQUAL(s.status, 429);
        CU_ASSERT_EQUAL(s.nchunks, 1);
        CU_ASSERT_STRING_EQUAL(s.content_type, "application/json");
        CU_ASSERT_STRING_EQUAL(s.buf.base, "{\"message\":\"mock error requested\"}");
        bw_mock_stream_free(&s);
    }
}

static void test_mock_wants_stream_and_usage(void)
{
    const char *b = "{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\","
                    "\"content\":\"a b c\"}]}";
    struct bw_mock_stream s;

    CU_ASSERT(bw_mock_wants_stream(BW_API_OPENAI_CHAT, "/v1/chat/completions", b, strlen(b)));
    CU_ASSERT(!bw_mock_wants_stream(BW_API_OPENAI_CHAT, "/v1/chat/completions", "{}", 2));
    CU_ASSERT(bw_mock_wants_stream(BW_API_BEDROCK_INVOKE, "/model/x/invoke-with-response-stream", NULL, 0));
    CU_ASSERT(bw_mock_wants_stream(BW_API_BEDROCK_CONVERSE, "/model/x/converse-stream?tokens=3", NULL, 0));
    CU_ASSERT(!bw_mock_wants_stream(BW_API_BEDROCK_CONVERSE, "/model/x/converse", NULL, 0));
    bw_mock_stream_init(&s);
    CU_ASSERT_EQUAL(bw_mock_stream(BW_API_OPENAI_CHAT, "/v1/chat/completions", NULL, b, strlen(b), &s), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.buf.base, "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.buf.base, "\"delta\":{\"role\":\"assistant\",\"content\":\"\""));
    bw_mock_stream_free(&s);
}

static const struct bw_test tests[] = {
    {"test_mock_answers_parse_back", test_mock_answers_parse_back},
    {"test_mock_streams_parse_back", test_mock_streams_parse_back},
    {"test_mock_tokens_delay_status", test_mock_tokens_delay_status},
    {"test_mock_wants_stream_and_usage", test_mock_wants_stream_and_usage},
};

#define main bw_test_main_
BW_TEST_MAIN("mock_api", tests)
#undef main

int main(void)
{
    int rv;

    bw_arena_init(&ar, 0);
    rv = bw_test_main_();
    bw_arena_free(&ar);
    return rv;
}
