/* Tests of proxy/msg.c: the hop-by-hop header list and the number formatters of the request path. */
#include <inttypes.h>
#include <stdio.h>

#include "proxy/msg.c"
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

static const struct bw_test tests[] = {
    {"test_msg_hop_by_hop", test_msg_hop_by_hop},
    {"test_msg_fmt", test_msg_fmt},
};

BW_TEST_MAIN("msg", tests)
