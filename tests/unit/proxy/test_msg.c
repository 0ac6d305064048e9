/* Tests of proxy/msg.c and proxy/log.c's number writers: the hop-by-hop header list and the formatters of the request path. */
#include <inttypes.h>
#include <stdio.h>

#include "proxy/msg.c"
#include "proxy/log.c" /* after: its static tl would shadow tokens.h's parameters */
#include "tests/unit/testutil.h"

static void test_msg_hop_by_hop(void)
{
    static const char *const hop[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
                                      "trailer", "upgrade", "proxy-authenticate", "proxy-authorization",
                                      "http2-settings", "Connection", "TE", "Transfer-Encoding", "UPGRADE"};
    static const char *const end[] = {"content-type", "content-length", "host", "t", "tee", "trailers",
                                      "upgrade-insecure-requests", "keep-alive2", "proxy-authorizatio",
                                      "x-connection", "", "cookie", "authorization"};
    size_t i;

    for (i = 0; i < BW_NELEMS(hop); i++)
        CU_ASSERT_EQUAL(bw_px_hop_by_hop(hop[i], strlen(hop[i])), 1);
    for (i = 0; i < BW_NELEMS(end); i++)
        CU_ASSERT_EQUAL(bw_px_hop_by_hop(end[i], strlen(end[i])), 0);
    /* the length given counts, not a NUL: a prefix of a longer buffer */
    CU_ASSERT_EQUAL(bw_px_hop_by_hop("te: trailers", 2), 1);
    CU_ASSERT_EQUAL(bw_px_hop_by_hop("connectionX", 10), 1);
    CU_ASSERT_EQUAL(bw_px_hop_by_hop("connectionX", 11), 0);
}

static void test_msg_fmt(void)
{
    static const uint64_t v[] = {0, 1, 9, 10, 99, 100, 200, 404, 4098, 65535, 1234567890123ull, UINT64_MAX};
    char got[32], want[32];
    size_t i, n;

    for (i = 0; i < BW_NELEMS(v); i++) {
        n = bw_px_fmt_u64(got, v[i]);
        snprintf(want, sizeof(want), "%" PRIu64, v[i]);
        CU_ASSERT_STRING_EQUAL(got, want);
        CU_ASSERT_EQUAL(n, strlen(want));
        n = bw_px_fmt_hex16(got, v[i]);
        snprintf(want, sizeof(want), "%016" PRIx64, v[i]);
        CU_ASSERT_STRING_EQUAL(got, want);
        CU_ASSERT_EQUAL(n, 16);
    }
}

/* the access log's numbers: as printf wrote them (rounding aside: half up on the exact value, not the double's) */
static void test_msg_log_numbers(void)
{
    static const uint64_t ns[] = {0, 1, 499, 500, 999, 1000, 1049, 1050, 56297123, 999999999, 1234567890123ull};
    static const long long iv[] = {0, 7, -1, 200, 499, -2147483648LL, 9223372036854775807LL};
    struct bw_buf b;
    char want[96];
    size_t i;

    bw_buf_init(&b, 0);
    for (i = 0; i < BW_NELEMS(ns); i++) {
        bw_buf_reset(&b);
        bw_px_json_kfix(&b, "ms", ns[i], 1000000, 3);
        snprintf(want, sizeof(want), ",\"ms\":%llu.%03llu", (unsigned long long)((ns[i] + 500) / 1000 / 1000),
                 (unsigned long long)((ns[i] + 500) / 1000 % 1000));
        CU_ASSERT_STRING_EQUAL(b.base, want);
        bw_buf_reset(&b);
        bw_px_json_kfix(&b, "us", ns[i], 1000, 1);
        snprintf(want, sizeof(want), ",\"us\":%llu.%llu", (unsigned long long)((ns[i] + 50) / 100 / 10),
                 (unsigned long long)((ns[i] + 50) / 100 % 10));
        CU_ASSERT_STRING_EQUAL(b.base, want);
    }
    bw_buf_reset(&b);
    bw_px_json_kfix(&b, "x", 2999999, 1000000, 3);
    CU_ASSERT_STRING_EQUAL(b.base, ",\"x\":3.000"); /* the carry */
    for (i = 0; i < BW_NELEMS(iv); i++) {
        bw_buf_reset(&b);
        bw_px_json_ki(&b, "n", iv[i]);
        snprintf(want, sizeof(want), ",\"n\":%lld", iv[i]);
        CU_ASSERT_STRING_EQUAL(b.base, want);
    }
    bw_buf_free(&b);
}

static const struct bw_test tests[] = {
    {"test_msg_log_numbers", test_msg_log_numbers},
    {"test_msg_hop_by_hop", test_msg_hop_by_hop},
    {"test_msg_fmt", test_msg_fmt},
};

BW_TEST_MAIN("msg", tests)
