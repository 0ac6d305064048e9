/* Tests of filters/buf.c: JSON string runs and escaping against byte loops. */
#include <stdio.h>
#include <string.h>

#include "filters/buf.h"
#include "tests/unit/testutil.h"

static size_t plain_bytes(const char *s, size_t n, int ctl)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] == '"' || s[i] == '\\' || (ctl && (unsigned char)s[i] < 0x20))
            return i;
    return n;
}

/* The escaping of a JSON string writer, a byte at a time. */
static void escape_bytes(struct bw_buf *b, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        switch (c) {
        case '"': bw_buf_adds(b, "\\\""); break;
        case '\\': bw_buf_adds(b, "\\\\"); break;
        case '\n': bw_buf_adds(b, "\\n"); break;
        case '\r': bw_buf_adds(b, "\\r"); break;
        case '\t': bw_buf_adds(b, "\\t"); break;
        case '\b': bw_buf_adds(b, "\\b"); break;
        case '\f': bw_buf_adds(b, "\\f"); break;
        default:
            if (c < 0x20) {
                snprintf(e, sizeof(e), "\\u%04x", c);
                bw_buf_adds(b, e);
            } else {
                bw_buf_addc(b, (char)c);
            }
        }
    }
}

/*
 * Every byte value at every position of a 40-byte text (the 16-byte steps
 * and the byte tail), each start offset 0..15, and a long text with
 * specials sprinkled in: the run lengths and the escaped output are those
 * of the byte loops. Bytes 0x80..0xff are plain (a signed compare would
 * take them for control bytes).
 */
static void test_buf_json_escape(void)
{
    static char buf[5000];
    struct bw_buf got, want;
    unsigned seed = 11, v;
    size_t pos, off, n, i;

    memset(buf, 'a', sizeof(buf));
    for (v = 0; v < 256; v++)
        for (pos = 0; pos < 40; pos++)
            for (off = 0; off < 16; off += 5) {
                memset(buf, (v & 1) ? 0xe9 : 'a', 64);
                buf[off + pos] = (char)v;
                CU_ASSERT_EQUAL(bw_json_plain(buf + off, 40, 1), plain_bytes(buf + off, 40, 1));
                CU_ASSERT_EQUAL(bw_json_plain(buf + off, 40, 0), plain_bytes(buf + off, 40, 0));
            }
    for (i = 0; i < sizeof(buf); i++) {
        seed = seed * 1103515245u + 12345u;
        v = (seed >> 16) % 64;
        buf[i] = v == 0 ? '"' : v == 1 ? '\\' : v == 2 ? '\n' : v == 3 ? (char)1 : v == 4 ? (char)0xc3 : (char)('a' + v % 26);
    }
    for (n = 0; n < sizeof(buf); n = n * 2 + 1)
        for (off = 0; off < 3; off++) {
            bw_buf_init(&got, 0);
            bw_buf_init(&want, 0);
            CU_ASSERT_EQUAL(bw_buf_json_str(&got, buf + off, n), 0);
            escape_bytes(&want, buf + off, n);
            CU_ASSERT_EQUAL(got.len, want.len);
            CU_ASSERT(got.len == want.len && memcmp(got.base ? got.base : "", want.base ? want.base : "", got.len) == 0);
            CU_ASSERT_EQUAL(bw_json_plain(buf + off, n, 1), plain_bytes(buf + off, n, 1));
            CU_ASSERT_EQUAL(bw_json_plain(buf + off, n, 0), plain_bytes(buf + off, n, 0));
            bw_buf_free(&got);
            bw_buf_free(&want);
        }
    bw_buf_init(&got, 0);
    CU_ASSERT_EQUAL(bw_buf_json_str(&got, "", 0), 0);
    CU_ASSERT_EQUAL(got.len, 0);
    bw_buf_free(&got);
}

static const struct bw_test tests[] = {
    {"test_buf_json_escape", test_buf_json_escape},
};
BW_TEST_MAIN("buf", tests)
