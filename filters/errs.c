/* errs.c: collected configuration errors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/buf.h"
#include "filters/errs.h"
#include "filters/limits.h"

void bw_errs_init(struct bw_errs *e, const char *file)
{
    memset(e, 0, sizeof(*e));
    e->file = file;
}

void bw_errs_free(struct bw_errs *e)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        free(e->msg[i]);
    free(e->msg);
    e->msg = NULL;
    e->n = e->cap = 0;
}

static void push(struct bw_errs *e, char *m)
{
    char **p;

    if (m == NULL)
        return;
    if (e->n >= BW_MAX_CONFIG_ERRORS) {
        e->dropped++;
        free(m);
        return;
    }
    if (e->n == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 8;
        if ((p = realloc(e->msg, ncap * sizeof(*p))) == NULL) {
            e->dropped++;
            free(m);
            return;
        }
        e->msg = p;
        e->cap = ncap;
    }
    e->msg[e->n++] = m;
}

static void vadd(struct bw_errs *e, const char *path, const char *fmt, va_list ap)
{
    struct bw_buf b;

    bw_buf_init(&b, 64 * 1024);
    if (e->file)
        bw_buf_printf(&b, "%s: ", e->file);
    if (path && *path)
        bw_buf_printf(&b, "%s: ", path);
    bw_buf_vprintf(&b, fmt, ap);
    push(e, b.base ? bw_buf_detach(&b) : NULL);
}

void bw_errs_add(struct bw_errs *e, const char *path, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vadd(e, path, fmt, ap);
    va_end(ap);
}

void bw_errs_addraw(struct bw_errs *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vadd(e, NULL, fmt, ap);
    va_end(ap);
}

void bw_errs_move(struct bw_errs *dst, struct bw_errs *src)
{
    size_t i;

    for (i = 0; i < src->n; i++)
        push(dst, src->msg[i]);
    dst->dropped += src->dropped;
    free(src->msg);
    src->msg = NULL;
    src->n = src->cap = 0;
    src->dropped = 0;
}

void bw_errs_print(const struct bw_errs *e, void *stream)
{
    FILE *f = stream;
    size_t i;

    for (i = 0; i < e->n; i++)
        fprintf(f, "%s\n", e->msg[i]);
    if (e->dropped)
        fprintf(f, "%s: %zu more errors not shown\n", e->file ? e->file : "bulwark", e->dropped);
}
