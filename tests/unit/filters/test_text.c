/* Tests of filters/text.c: the code-point count against a byte loop. */
#include <string.h>

#include "filters/text.h"
#include "tests/unit/testutil.h"

static size_t count_bytes(const char *s, size_t n)
{
    size_t i, c = 0;

    for (i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/*
 * Every length from 0 to 300 at every start offset 0..7, and long texts
 * past 255 steps of the wide loops (whose byte lanes must not overflow):
 * ASCII, two- to four-byte characters and stray continuation bytes.
 */
static void test_text_utf8_count(void)
{
    static const char *const pieces[] = {"a", "\xc3\xa9", "\xe2\x80\x9c", "\xf0\x9f\x98\x80", "\x80", "\xbf", "\xff"};
    static char buf[70000];
    unsigned seed = 7;
    size_t i, n, off;

    for (i = 0; i + 4 < sizeof(buf);) {
        const char *p;
        seed = seed * 1103515245u + 12345u;
        p = pieces[(seed >> 16) % BW_NELEMS(pieces)];
        memcpy(buf + i, p, strlen(p));
        i += strlen(p);
    }
    for (off = 0; off < 8; off++)
        for (n = 0; n <= 300; n++)
            CU_ASSERT_EQUAL(bw_utf8_count(buf + off, n), count_bytes(buf + off, n));
    for (n = 16000; n < sizeof(buf) - 8; n += 16411)
        CU_ASSERT_EQUAL(bw_utf8_count(buf + 3, n), count_bytes(buf + 3, n));
    memset(buf, 0x80, sizeof(buf));
    CU_ASSERT_EQUAL(bw_utf8_count(buf, sizeof(buf)), 0);
    memset(buf, 'x', sizeof(buf));
    CU_ASSERT_EQUAL(bw_utf8_count(buf, sizeof(buf)), sizeof(buf));
}

static const struct bw_test tests[] = {
    {"test_text_utf8_count", test_text_utf8_count},
};
BW_TEST_MAIN("text", tests)
