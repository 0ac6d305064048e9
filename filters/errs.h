/*
 * errs.h: an error list for configuration loading. Loaders collect every
 * problem of a file, not only the first (haproxy's cfgparse), each as one
 * line "FILE: JSON.path: problem" or "FILE:LINE:COL: problem".
 */
#ifndef BW_ERRS_H
#define BW_ERRS_H

#include "filters/bw.h"

struct bw_errs {
    char **msg;
    size_t n, cap;
    size_t dropped; /* errors past BW_MAX_CONFIG_ERRORS */
    const char *file; /* prefix of every message, borrowed; may be NULL */
};

void bw_errs_init(struct bw_errs *e, const char *file);
void bw_errs_free(struct bw_errs *e);
/* Adds "FILE: PATH: formatted problem" (PATH omitted when NULL or empty). */
void bw_errs_add(struct bw_errs *e, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds a message verbatim, prefixed only with FILE. */
void bw_errs_addraw(struct bw_errs *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Moves every message of src to the end of dst. */
void bw_errs_move(struct bw_errs *dst, struct bw_errs *src);
/* Writes each message on its own line. */
void bw_errs_print(const struct bw_errs *e, void *FILE_stream);

#endif
