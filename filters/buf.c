/* buf.c: capped growable buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "filters/buf.h"
#include "filters/limits.h"

void bw_buf_init(struct bw_buf *b, size_t max)
{
    b->base = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : BW_MAX_BODY_BYTES;
}

void bw_buf_free(struct bw_buf *b)
{
    free(b->base);
    b->base = NULL;
    b->len = b->cap = 0;
}

int bw_buf_reserve(struct bw_buf *b, size_t n)
{
    size_t need, ncap;
    char *p;

    if (n > b->max || b->len > b->max - n)
        return BW_ELIMIT;
    need = b->len + n + 1;
    if (need <= b->cap)
        return BW_OK;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap *= 2;
    if ((p = realloc(b->base, ncap)) == NULL)
        return BW_ENOMEM;
    b->base = p;
    b->cap = ncap;
    return BW_OK;
}

int bw_buf_add(struct bw_buf *b, const void *p, size_t n)
{
    int rv;

    if ((rv = bw_buf_reserve(b, n)) != 0)
        return rv;
    if (n)
        memcpy(b->base + b->len, p, n);
    b->len += n;
    b->base[b->len] = '\0';
    return BW_OK;
}

int bw_buf_vprintf(struct bw_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rv;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return BW_EINVAL;
    if ((rv = bw_buf_reserve(b, (size_t)n)) != 0)
        return rv;
    vsnprintf(b->base + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return BW_OK;
}

int bw_buf_printf(struct bw_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rv;

    va_start(ap, fmt);
    rv = bw_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rv;
}

size_t bw_json_plain(const char *s, size_t n, int ctl)
{
    size_t i = 0;

#ifdef __SSE2__
    /*
     * 16 bytes a step: a 4 KB prompt is one run with a few newlines, and the
     * byte loop below cost ~6 instructions a byte of every masked body
     * spliced back into its JSON
     */
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1f);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs));
        unsigned bits;
        if (ctl) /* x <= 0x1f, unsigned */
            m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(x, c1f), c1f));
        bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || (ctl && c < 0x20))
            return i;
    }
    return n;
}

int bw_buf_json_str(struct bw_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    int rv;

    for (;;) {
        size_t k = bw_json_plain(s + i, n - i, 1);
        unsigned char c;
        char esc[6];
        size_t elen = 2;

        if ((rv = bw_buf_add(b, s + i, k)) != 0)
            return rv;
        i += k;
        if (i == n)
            return BW_OK;
        c = (unsigned char)s[i++];
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if ((rv = bw_buf_add(b, esc, elen)) != 0)
            return rv;
    }
}

char *bw_buf_detach(struct bw_buf *b)
{
    char *p = b->base;

    if (p == NULL)
        p = calloc(1, 1);
    b->base = NULL;
    b->len = b->cap = 0;
    return p;
}
