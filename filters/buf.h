/*
 * buf.h: an owned, growable byte buffer with a hard cap (curl dynbuf).
 * The contents are always NUL-terminated for convenience; len excludes it.
 */
#ifndef BW_BUF_H
#define BW_BUF_H

#include <stdarg.h>
#include "filters/bw.h"

struct bw_buf {
    char *base;
    size_t len;
    size_t cap; /* allocated bytes */
    size_t max; /* hard cap on len; 0 means BW_MAX_BODY_BYTES */
};

/* Initialises an empty buffer capped at max bytes (0: default cap). */
void bw_buf_init(struct bw_buf *b, size_t max);
/* Frees the storage; the buffer can be reused after bw_buf_init(). */
void bw_buf_free(struct bw_buf *b);
/* Empties the buffer, keeping its storage. */
static inline void bw_buf_reset(struct bw_buf *b)
{
    b->len = 0;
    if (b->base)
        b->base[0] = '\0';
}
/* Makes room for n more bytes. BW_ENOMEM, BW_ELIMIT. */
int bw_buf_reserve(struct bw_buf *b, size_t n);
/* Appends n bytes. BW_ENOMEM, BW_ELIMIT. */
int bw_buf_add(struct bw_buf *b, const void *p, size_t n);
static inline int bw_buf_addc(struct bw_buf *b, char c)
{
    return bw_buf_add(b, &c, 1);
}
static inline int bw_buf_adds(struct bw_buf *b, const char *s);
/* printf-style append. BW_ENOMEM, BW_ELIMIT. */
int bw_buf_printf(struct bw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int bw_buf_vprintf(struct bw_buf *b, const char *fmt, va_list ap);
/*
 * Bytes of s[0..n) before the first '"' or '\\' (or, when ctl, control
 * byte below 0x20), n when there is none: the run a JSON string writer
 * copies as it is (ctl), or a reader of an escaped string skips (!ctl).
 */
size_t bw_json_plain(const char *s, size_t n, int ctl);
/* Appends s as the inside of a JSON string (no quotes). */
int bw_buf_json_str(struct bw_buf *b, const char *s, size_t n);
/* Gives the storage to the caller (who frees it) and empties the buffer. */
char *bw_buf_detach(struct bw_buf *b);

#include <string.h>
static inline int bw_buf_adds(struct bw_buf *b, const char *s)
{
    return bw_buf_add(b, s, strlen(s));
}

#endif
