/*
 * sort.h: a stable sort that takes its scratch from the caller.
 *
 * glibc's qsort() is a merge sort that mallocs its buffer for arrays over
 * 1 KB: on every apply() that has a few dozen findings or PII candidates it
 * cost a malloc and a free (3% of a default-guardrail apply() on the
 * benchmark corpus). This one is a natural merge sort: the arrays it gets
 * are a few sorted runs (each module adds its findings in text order),
 * often one, which costs a pass of compares and no copy. Neighbouring runs
 * are merged, the left one first on ties, until one is left; a stable sort
 * has one result, so equal keys keep the order qsort gave them. The buffer
 * comes from the worker's arena.
 */
#ifndef BW_SORT_H
#define BW_SORT_H

#include <string.h>

#include "filters/bw.h"

typedef int (*bw_cmp_fn)(const void *, const void *);

/* End of the sorted run of b[0..n) that starts at a. */
static inline size_t bw_sort_run_(const char *b, size_t a, size_t n, size_t sz, bw_cmp_fn cmp)
{
    for (a++; a < n && cmp(b + (a - 1) * sz, b + a * sz) <= 0; a++)
        ;
    return a;
}

/* Sorts base[0..n) of sz-byte elements stably; tmp holds n * sz bytes. */
static inline void bw_sort_stable(void *base, size_t n, size_t sz, bw_cmp_fn cmp, void *tmp)
{
    char *b = base;

    if (n <= 1)
        return;
    for (;;) {
        size_t a = 0;
        while (a < n) {
            size_t m = bw_sort_run_(b, a, n, sz, cmp), e, i, j;
            char *t = tmp;
            if (m == n) {
                if (a == 0)
                    return;
                break;
            }
            e = bw_sort_run_(b, m, n, sz, cmp);
            for (i = a, j = m; i < m && j < e; t += sz) {
                if (cmp(b + j * sz, b + i * sz) < 0)
                    memcpy(t, b + j++ * sz, sz);
                else
                    memcpy(t, b + i++ * sz, sz);
            }
            /* what is left of the right run is in place already */
            memcpy(t, b + i * sz, (m - i) * sz);
            memcpy(b + a * sz, tmp, (j - a) * sz);
            a = e;
        }
    }
}

#endif
