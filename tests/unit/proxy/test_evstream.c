/*
 * Tests of proxy/evstream.c: CRC-32, AWS's published framing vectors, every
 * split of real Bedrock streams, CRC and framing faults, round trips.
 *
 * The "all_headers" vector (lengths, CRCs, header values) is AWS's, from
 * aws/aws-sdk-go private/protocol/eventstream/testdata (Apache-2.0); the
 * short JSON vector is the one aws-c-event-stream's tests use.
 */
#include "proxy/evstream.c"
#include "tests/unit/proxy/split.h"

static void test_evs_crc32_check_value(void)
{
    /* CRC-32/ISO-HDLC check value, and incremental use */
    CU_ASSERT_EQUAL(bw_evs_crc32(0, "123456789", 9), 0xcbf43926u);
    CU_ASSERT_EQUAL(bw_evs_crc32(bw_evs_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
    CU_ASSERT_EQUAL(bw_evs_crc32(0, "", 0), 0);
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static size_t unhex(const char *h, unsigned char *out)
{
    size_t n = 0;

    for (; h[0] && h[1]; h += 2)
        out[n++] = (unsigned char)(hexval(h[0]) << 4 | hexval(h[1]));
    return n;
}

static void test_evs_aws_vector_json(void)
{
    unsigned char b[128];
    size_t n = unhex("0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e"
                     "7b27666f6f273a27626172277d8d9c08b1",
                     b);
    struct bw_evs_msg m;
    const struct bw_iov *ct;

    CU_ASSERT_EQUAL_FATAL(bw_evs_parse((const char *)b, n, &m), 0);
    CU_ASSERT_EQUAL(m.nh, 1);
    ct = bw_evs_header_str(&m, "content-type");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
    CU_ASSERT_EQUAL(ct->len, 16);
    CU_ASSERT_NSTRING_EQUAL(ct->base, "application/json", 16);
    CU_ASSERT_EQUAL(m.payload.len, 13);
    CU_ASSERT_NSTRING_EQUAL(m.payload.base, "{'foo':'bar'}", 13);
    /* our encoder gives the same bytes */
    {
        struct bw_buf out;
        struct bw_evs_header h = bw_evs_str("content-type", "application/json");

        bw_buf_init(&out, 0);
        CU_ASSERT_EQUAL(bw_evs_encode(&out, &h, 1, "{'foo':'bar'}", 13), 0);
        CU_ASSERT_EQUAL(out.len, n);
        CU_ASSERT(memcmp(out.base, b, n) == 0);
        bw_buf_free(&out);
    }
    /* one flipped bit anywhere is caught */
    {
        size_t i;
        int bad = 0;

        for (i = 0; i < n * 8; i++) {
            b[i / 8] ^= (unsigned char)(1u << (i % 8));
            if (bw_evs_parse((const char *)b, n, &m) != BW_EPROTO)
                bad++;
            b[i / 8] ^= (unsigned char)(1u << (i % 8));
        }
        CU_ASSERT_EQUAL(bad, 0);
    }
}

static void test_evs_aws_vector_all_headers(void)
{
    static const unsigned char uuid[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    struct bw_evs_header h[10];
    struct bw_buf out;
    struct bw_evs_msg m;
    unsigned char *p;

    memset(h, 0, sizeof(h));
    h[0].name = BW_IOV("event-type"), h[0].type = BW_EVS_INT, h[0].i = 40972;
    h[1] = bw_evs_str("content-type", "application/json");
    h[2].name = BW_IOV("bool false"), h[2].type = BW_EVS_FALSE;
    h[3].name = BW_IOV("bool true"), h[3].type = BW_EVS_TRUE, h[3].i = 1;
    h[4].name = BW_IOV("byte"), h[4].type = BW_EVS_BYTE, h[4].i = 207;
    h[5].name = BW_IOV("byte buf"), h[5].type = BW_EVS_BYTES, h[5].s = BW_IOV("I'm a little teapot!");
    h[6].name = BW_IOV("timestamp"), h[6].type = BW_EVS_TIMESTAMP, h[6].i = 8675309;
    h[7].name = BW_IOV("int16"), h[7].type = BW_EVS_SHORT, h[7].i = 42;
    h[8].name = BW_IOV("int64"), h[8].type = BW_EVS_LONG, h[8].i = 42424242;
    h[9].name = BW_IOV("uuid"), h[9].type = BW_EVS_UUID, h[9].s.base = (const char *)uuid, h[9].s.len = 16;
    bw_buf_init(&out, 0);
    CU_ASSERT_EQUAL_FATAL(bw_evs_encode(&out, h, 10, "{'foo':'bar'}", 13), 0);
    p = (unsigned char *)out.base;
    /*
     * AWS: total_length 204, headers_length 175, prelude_crc 263087306. (Its
     * message_crc is of the binary file, whose header bytes the decoded
     * description does not pin down exactly; zlib in Python agrees with us.)
     */
    CU_ASSERT_EQUAL(out.len, 204);
    CU_ASSERT_EQUAL(get32(p + 4), 175);
    CU_ASSERT_EQUAL(get32(p + 8), 263087306u);
    CU_ASSERT_EQUAL(get32(p + 200), 3879988337u);
    CU_ASSERT_EQUAL_FATAL(bw_evs_parse(out.base, out.len, &m), 0);
    CU_ASSERT_EQUAL(m.nh, 10);
    CU_ASSERT_EQUAL(m.h[0].i, 40972);
    CU_ASSERT_EQUAL(m.h[2].type, BW_EVS_FALSE);
    CU_ASSERT_EQUAL(m.h[2].i, 0);
    CU_ASSERT_EQUAL(m.h[3].i, 1);
    CU_ASSERT_EQUAL((uint8_t)m.h[4].i, 207);
    CU_ASSERT_EQUAL(m.h[5].s.len, 20);
    CU_ASSERT_EQUAL(m.h[6].i, 8675309);
    CU_ASSERT_EQUAL(m.h[7].i, 42);
    CU_ASSERT_EQUAL(m.h[8].i, 42424242);
    CU_ASSERT(memcmp(m.h[9].s.base, uuid, 16) == 0);
    CU_ASSERT_PTR_NULL(bw_evs_header_str(&m, "event-type")); /* an int, not a string */
    bw_buf_free(&out);
}

struct tr {
    struct bw_buf *out;
};

static int on_msg(void *ud, const struct bw_evs_msg *m)
{
    struct tr *t = ud;
    size_t i;

    bw_buf_adds(t->out, "M");
    for (i = 0; i < m->nh; i++) {
        bw_buf_printf(t->out, " %.*s=", (int)m->h[i].name.len, m->h[i].name.base);
        if (m->h[i].type == BW_EVS_STRING || m->h[i].type == BW_EVS_BYTES)
            bw_buf_add(t->out, m->h[i].s.base, m->h[i].s.len);
        else
            bw_buf_printf(t->out, "%lld", (long long)m->h[i].i);
    }
    bw_buf_adds(t->out, " | ");
    bw_buf_add(t->out, m->payload.base, m->payload.len);
    bw_buf_addc(t->out, '\n');
    return 0;
}

static size_t g_max;

static void run(void *ud, const char *p, size_t n, const size_t *cuts, size_t ncuts, struct bw_buf *out)
{
    struct bw_evs_dec d;
    struct tr t = {out};
    int rv = 0;

    (void)ud;
    bw_evs_dec_init(&d, g_max);
    BW_SPLIT_FOREACH(p, n, cuts, ncuts, piece, plen, {
        if (rv == 0)
            rv = bw_evs_dec_feed(&d, piece, plen, on_msg, &t);
    });
    if (rv == 0)
        rv = bw_evs_dec_finish(&d);
    bw_buf_printf(out, "rv=%d\n", rv);
    bw_evs_dec_free(&d);
}

static char *fixture(const char *name, size_t *len)
{
    char path[256];

    snprintf(path, sizeof(path), "tests/data/proxy/stream/%s", name);
    return bw_test_slurp(path, len);
}

static void test_evs_bedrock_fixtures_any_split(void)
{
    static const char *files[] = {"converse.evs", "invoke_anthropic.evs", "invoke_titan.evs", "invoke_llama.evs",
                                  "converse_error.evs"};
    size_t i, len = 0;

    for (i = 0; i < BW_NELEMS(files); i++) {
        char *s = fixture(files[i], &len);
        struct bw_buf whole;

        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        bw_buf_init(&whole, 0);
        CU_ASSERT_EQUAL(bw_split_check(run, NULL, s, len, 200, &whole), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "rv=0\n"));
        if (i == 0) {
            CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "M :event-type=messageStart :content-type=application/json "
                                                      ":message-type=event | {\"p\":\"abcdefghij\",\"role\":\"assistant\"}\n"));
            CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "\"delta\":{\"text\":\"jane.doe@example.com caf\xc3\xa9\"}"));
        }
        if (i == 4)
            CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, ":exception-type=modelStreamErrorException"));
        bw_buf_free(&whole);
        free(s);
    }
}

static void test_evs_crc_mismatch_and_truncation(void)
{
    size_t len = 0, first;
    char *s = fixture("converse.evs", &len);
    struct bw_buf whole;
    unsigned char *u = (unsigned char *)s;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    first = get32(u);
    bw_buf_init(&whole, 0);
    /* payload byte of the second message changed: message CRC */
    s[first + 20] ^= 0x20;
    CU_ASSERT_EQUAL(bw_split_check(run, NULL, s, len, 50, &whole), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "rv=-9\n"));
    CU_ASSERT_EQUAL(strncmp(whole.base, "M ", 2), 0); /* the first message still came */
    s[first + 20] ^= 0x20;
    /* length of the second message changed: prelude CRC */
    s[first + 3] ^= 0x01;
    CU_ASSERT_EQUAL(bw_split_check(run, NULL, s, len, 50, &whole), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "rv=-9\n"));
    s[first + 3] ^= 0x01;
    /* cut inside the last message */
    CU_ASSERT_EQUAL(bw_split_check(run, NULL, s, len - 3, 50, &whole), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "rv=-9\n"));
    /* cut inside a prelude */
    CU_ASSERT_EQUAL(bw_split_check(run, NULL, s, first + 5, 50, &whole), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "rv=-9\n"));
    bw_buf_free(&whole);
    free(s);
}

static void put_prelude(unsigned char *p, uint32_t total, uint32_t hlen)
{
    put32(p, total);
    put32(p + 4, hlen);
    put32(p + 8, bw_evs_crc32(0, p, 8));
}

static void test_evs_malformed_framing(void)
{
    unsigned char b[64];
    struct bw_evs_msg m;
    struct bw_buf whole;

    bw_buf_init(&whole, 0);
    /* total below 16 with a good prelude CRC */
    put_prelude(b, 12, 0);
    CU_ASSERT_EQUAL(bw_evs_parse((const char *)b, 12, &m), BW_EPROTO);
    CU_ASSERT_EQUAL(bw_split_check(run, NULL, (const char *)b, 12, 10, &whole), 0);
    CU_ASSERT_STRING_EQUAL(whole.base, "rv=-9\n");
    /* headers longer than the message */
    put_prelude(b, 20, 8);
    CU_ASSERT_EQUAL(bw_evs_parse((const char *)b, 20, &m), BW_EPROTO);
    /* a header cut short inside the header block: name length 5, block of 3 */
    put_prelude(b, 19, 3);
    b[12] = 5, b[13] = 'a', b[14] = 'b';
    put32(b + 15, bw_evs_crc32(0, b, 15));
    CU_ASSERT_EQUAL(bw_evs_parse((const char *)b, 19, &m), BW_EPROTO);
    /* unknown header type 10 */
    put_prelude(b, 19, 3);
    b[12] = 1, b[13] = 'a', b[14] = 10;
    put32(b + 15, bw_evs_crc32(0, b, 15));
    CU_ASSERT_EQUAL(bw_evs_parse((const char *)b, 19, &m), BW_EPROTO);
    /* a well-formed empty message */
    put_prelude(b, 16, 0);
    put32(b + 12, bw_evs_crc32(0, b, 12));
    CU_ASSERT_EQUAL(bw_evs_parse((const char *)b, 16, &m), 0);
    CU_ASSERT_EQUAL(m.nh, 0);
    CU_ASSERT_EQUAL(m.payload.len, 0);
    /* a message over the decoder's cap */
    g_max = 32;
    put_prelude(b, 40, 0);
    memset(b + 12, 'x', 24);
    put32(b + 36, bw_evs_crc32(0, b, 36));
    CU_ASSERT_EQUAL(bw_split_check(run, NULL, (const char *)b, 40, 10, &whole), 0);
    CU_ASSERT_STRING_EQUAL(whole.base, "rv=-3\n");
    g_max = 0;
    bw_buf_free(&whole);
}

static void test_evs_roundtrip_and_encode_errors(void)
{
    struct bw_buf out, whole;
    struct bw_evs_header h[2];
    char longname[300];
    int i;

    bw_buf_init(&out, 0);
    bw_buf_init(&whole, 0);
    for (i = 0; i < 20; i++) {
        char payload[64];
        int n = snprintf(payload, sizeof(payload), "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"t%d\"}}", i);
        CU_ASSERT_EQUAL(bw_evs_encode_json(&out, 0, "contentBlockDelta", payload, (size_t)n), 0);
    }
    CU_ASSERT_EQUAL(bw_evs_encode_json(&out, 1, "throttlingException", "{\"message\":\"slow\"}", 18), 0);
    CU_ASSERT_EQUAL(bw_split_check(run, NULL, out.base, out.len, 100, &whole), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(whole.base, "M :event-type=contentBlockDelta :content-type=application/json "
                                              ":message-type=event | {\"contentBlockIndex\":0,\"delta\":{\"text\":\"t19\"}}\n"
                                              "M :exception-type=throttlingException :content-type=application/json "
                                              ":message-type=exception | {\"message\":\"slow\"}\nrv=0\n"));
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    h[0] = bw_evs_str(longname, "v");
    CU_ASSERT_EQUAL(bw_evs_encode(&out, h, 1, "", 0), BW_EINVAL);
    h[0] = bw_evs_str("a", "v");
    h[0].type = 42;
    CU_ASSERT_EQUAL(bw_evs_encode(&out, h, 1, "", 0), BW_EINVAL);
    bw_buf_free(&out);
    bw_buf_free(&whole);
}

static const struct bw_test tests[] = {
    {"test_evs_crc32_check_value", test_evs_crc32_check_value},
    {"test_evs_aws_vector_json", test_evs_aws_vector_json},
    {"test_evs_aws_vector_all_headers", test_evs_aws_vector_all_headers},
    {"test_evs_bedrock_fixtures_any_split", test_evs_bedrock_fixtures_any_split},
    {"test_evs_crc_mismatch_and_truncation", test_evs_crc_mismatch_and_truncation},
    {"test_evs_malformed_framing", test_evs_malformed_framing},
    {"test_evs_roundtrip_and_encode_errors", test_evs_roundtrip_and_encode_errors},
};

BW_TEST_MAIN("evstream", tests)
