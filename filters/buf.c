/* buf.c: capped growable buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int bw_buf_json_str(struct bw_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    int rv;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t elen = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if ((rv = bw_buf_add(b, s + run, i - run)) != 0)
            return rv;
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
        run = i + 1;
    }
    return bw_buf_add(b, s + run, n - run);
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
