/* Tests of proxy/sse.c: the SSE decoder in every split, its limits, the encoder. */
#include "proxy/sse.c"
#include "tests/unit/proxy/split.h"

struct tr {
    struct bw_buf *out;
    int stop_after; /* stop the feed after this many events (0: never) */
    int n;
};

static void esc(struct bw_buf *b, struct bw_iov v)
{
    size_t i;

    for (i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.base[i];
        if (c == '\n')
            bw_buf_add(b, "\\n", 2);
        else if (c == '\r')
            bw_buf_add(b, "\\r", 2);
        else if (c < 0x20)
            bw_buf_printf(b, "\\x%02x", c);
        else
            bw_buf_addc(b, (char)c);
    }
}

static int on_ev(void *ud, const struct bw_sse_event *ev)
{
    struct tr *t = ud;

    if (ev->comment) {
        bw_buf_adds(t->out, "C:");
        esc(t->out, ev->data);
    } else {
        bw_buf_adds(t->out, "E:");
        esc(t->out, ev->event);
        if (ev->has_id) {
            bw_buf_adds(t->out, " id=");
            esc(t->out, ev->id);
        }
        if (ev->retry >= 0)
            bw_buf_printf(t->out, " retry=%ld", ev->retry);
        bw_buf_adds(t->out, " D:");
        esc(t->out, ev->data);
    }
    bw_buf_addc(t->out, '\n');
    if (t->stop_after && ++t->n == t->stop_after)
        return 42;
    return 0;
}

static size_t g_max_line, g_max_event;

static void run(void *ud, const char *p, size_t n, const size_t *cuts, size_t ncuts, struct bw_buf *out)
{
    struct bw_sse_dec d;
    struct tr t = {out, 0, 0};
    int rv = 0;

    (void)ud;
    bw_sse_dec_init(&d, g_max_line, g_max_event);
    BW_SPLIT_FOREACH(p, n, cuts, ncuts, piece, plen, {
        if (rv == 0)
            rv = bw_sse_dec_feed(&d, piece, plen, on_ev, &t);
    });
    if (rv == 0)
        rv = bw_sse_dec_finish(&d);
    bw_buf_printf(out, "rv=%d\n", rv);
    bw_sse_dec_free(&d);
}

static void check(const char *in, const char *want)
{
    struct bw_buf whole;

    bw_buf_init(&whole, 0);
    CU_ASSERT_EQUAL(bw_split_check(run, NULL, in, strlen(in), 200, &whole), 0);
    if (want) {
        CU_ASSERT_STRING_EQUAL(whole.base, want);
        if (strcmp(whole.base, want) != 0)
            fprintf(stderr, "got:\n%s\nwant:\n%s\n", whole.base, want);
    }
    bw_buf_free(&whole);
}

static void test_sse_openai_stream(void)
{
    check("data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
          "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
          "data: [DONE]\n\n",
          "E: D:{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n"
          "E: D:{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n"
          "E: D:[DONE]\n"
          "rv=0\n");
}

static void test_sse_anthropic_events(void)
{
    check("event: message_start\ndata: {\"type\":\"message_start\"}\n\n"
          "event: ping\ndata: {\"type\": \"ping\"}\n\n"
          "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"h\\u00e9\"}}\r\n\r\n"
          "event: message_stop\rdata: {\"type\":\"message_stop\"}\r\r",
          "E:message_start D:{\"type\":\"message_start\"}\n"
          "E:ping D:{\"type\": \"ping\"}\n"
          "E:content_block_delta D:{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"h\\u00e9\"}}\n"
          "E:message_stop D:{\"type\":\"message_stop\"}\n"
          "rv=0\n");
}

static void test_sse_multiline_comments_fields(void)
{
    check("\xef\xbb\xbf: keep-alive\n"
          "data: line1\ndata:line2\ndata\nid: 7\nretry: 3000\nfoo: bar\n\n"
          "event: only-name\n\n"
          "id\ndata:  two spaces\n\n"
          ":\n"
          "data: x:y: z\n\n",
          "C:keep-alive\n"
          "E: id=7 retry=3000 D:line1\\nline2\\n\n"
          "E: id= D: two spaces\n"
          "C:\n"
          "E: D:x:y: z\n"
          "rv=0\n");
}

static void test_sse_utf8_split(void)
{
    /* multi-byte characters cut anywhere come out whole */
    check("data: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n\n", "E: D:caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\nrv=0\n");
}

static void test_sse_truncated(void)
{
    check("data: a\n\ndata: {\"half", "E: D:a\nrv=-9\n");
    check("data: a\n\ndata: b\n", "E: D:a\nrv=-9\n");
    check("data: a\n\n\xef\xbb", NULL);
}

static void test_sse_limits(void)
{
    char big[300];

    g_max_line = 64;
    g_max_event = 100;
    memset(big, 'x', sizeof(big));
    /* a line over 64 bytes, whole or in pieces */
    {
        struct bw_buf in;
        bw_buf_init(&in, 0);
        bw_buf_adds(&in, "data: ok\n\ndata: ");
        bw_buf_add(&in, big, 80);
        bw_buf_adds(&in, "\n\n");
        check(in.base, "E: D:ok\nrv=-3\n");
        bw_buf_reset(&in);
        /* an event over 100 bytes of 40-byte lines */
        bw_buf_adds(&in, "data: ");
        bw_buf_add(&in, big, 40);
        bw_buf_adds(&in, "\ndata: ");
        bw_buf_add(&in, big, 40);
        bw_buf_adds(&in, "\ndata: ");
        bw_buf_add(&in, big, 40);
        bw_buf_adds(&in, "\n\n");
        check(in.base, "rv=-3\n");
        bw_buf_free(&in);
    }
    g_max_line = g_max_event = 0;
}

static void test_sse_callback_stops_and_sticky(void)
{
    struct bw_sse_dec d;
    struct bw_buf out;
    struct tr t;
    const char *in = "data: 1\n\ndata: 2\n\ndata: 3\n\n";

    bw_buf_init(&out, 0);
    t.out = &out;
    t.stop_after = 2;
    t.n = 0;
    bw_sse_dec_init(&d, 0, 0);
    CU_ASSERT_EQUAL(bw_sse_dec_feed(&d, in, strlen(in), on_ev, &t), 42);
    CU_ASSERT_STRING_EQUAL(out.base, "E: D:1\nE: D:2\n");
    CU_ASSERT_EQUAL(bw_sse_dec_feed(&d, "data: 4\n\n", 9, on_ev, &t), 42);
    CU_ASSERT_EQUAL(bw_sse_dec_finish(&d), 42);
    bw_sse_dec_free(&d);
    bw_buf_free(&out);
}

static void test_sse_encode_roundtrip(void)
{
    struct bw_buf enc, got;
    struct bw_sse_dec d;
    struct tr t;

    bw_buf_init(&enc, 0);
    bw_buf_init(&got, 0);
    CU_ASSERT_EQUAL(bw_sse_encode(&enc, "message_delta", 13, "{\"a\":1}", 7), 0);
    CU_ASSERT_EQUAL(bw_sse_encode(&enc, NULL, 0, "l1\nl2\r\nl3", 9), 0);
    CU_ASSERT_EQUAL(bw_sse_encode(&enc, NULL, 0, "", 0), 0);
    CU_ASSERT_EQUAL(bw_sse_comment(&enc, "ping\nx", 6), 0);
    CU_ASSERT_EQUAL(bw_sse_encode(&enc, "a\nb", 3, "x", 1), BW_EINVAL);
    CU_ASSERT_STRING_EQUAL(enc.base, "event: message_delta\ndata: {\"a\":1}\n\n"
                                     "data: l1\ndata: l2\ndata: l3\n\n"
                                     "data: \n\n"
                                     ": ping x\n\n");
    t.out = &got;
    t.stop_after = t.n = 0;
    bw_sse_dec_init(&d, 0, 0);
    CU_ASSERT_EQUAL(bw_sse_dec_feed(&d, enc.base, enc.len, on_ev, &t), 0);
    CU_ASSERT_EQUAL(bw_sse_dec_finish(&d), 0);
    CU_ASSERT_STRING_EQUAL(got.base, "E:message_delta D:{\"a\":1}\nE: D:l1\\nl2\\nl3\nE: D:\nC:ping x\n");
    bw_sse_dec_free(&d);
    bw_buf_free(&enc);
    bw_buf_free(&got);
}

static void test_sse_fixture_files(void)
{
    static const char *files[] = {"tests/data/proxy/stream/openai_chat.sse", "tests/data/proxy/stream/anthropic.sse",
                                  "tests/data/proxy/stream/openai_responses.sse"};
    size_t i, len = 0;

    for (i = 0; i < BW_NELEMS(files); i++) {
        char *s = bw_test_slurp(files[i], &len);
        struct bw_buf whole;

        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        bw_buf_init(&whole, 0);
        CU_ASSERT_EQUAL(bw_split_check(run, NULL, s, len, 100, &whole), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "rv=0\n"));
        bw_buf_free(&whole);
        free(s);
    }
}

static const struct bw_test tests[] = {
    {"test_sse_openai_stream", test_sse_openai_stream},
    {"test_sse_anthropic_events", test_sse_anthropic_events},
    {"test_sse_multiline_comments_fields", test_sse_multiline_comments_fields},
    {"test_sse_utf8_split", test_sse_utf8_split},
    {"test_sse_truncated", test_sse_truncated},
    {"test_sse_limits", test_sse_limits},
    {"test_sse_callback_stops_and_sticky", test_sse_callback_stops_and_sticky},
    {"test_sse_encode_roundtrip", test_sse_encode_roundtrip},
    {"test_sse_fixture_files", test_sse_fixture_files},
};

BW_TEST_MAIN("sse", tests)
