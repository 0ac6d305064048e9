/*
 * sort.h: a stable sort that takes its scratch from the caller.
 *
 * glibc's qsort() is a merge sort that mallocs its buffer for arrays over
 * 1 KB: on every apply() that has a few dozen findings or PII candidates it
 * cost a malloc and a free (3% of a default-guardrail apply() on the
 * benchmark corpus). This is the same algorithm (top-down merge, left run
 * first on ties), so the order it gives equal keys is the one qsort gave;
 * the buffer comes from the worker's arena.
 */
#ifndef BW_SORT_H
#define BW_SORT_H

#include <string.h>

#include "filters/bw.h"

typedef int (*bw_cmp_fn)(const void *, const void *);

static inline void bw_msort_(char *b, size_t n, size_t sz, bw_cmp_fn cmp, char *tmp)
{
    size_t n1, n2;
    char *l, *r, *t;

    if (n <= 1)
        return;
    n1 = n / 2;
    n2 = n - n1;
    l = b;
    r = b + n1 * sz;
    bw_msort_(l, n1, sz, cmp, tmp);
    bw_msort_(r, n2, sz, cmp, tmp);
    t = tmp;
    while (n1 > 0 && n2 > 0) {
        if (cmp(l, r) <= 0) {
            memcpy(t, l, sz);
            l += sz;
            n1--;
        } else {
            memcpy(t, r, sz);
            r += sz;
            n2--;
        }
        t += sz;
    }
    if (n1 > 0)
        memcpy(t, l, n1 * sz);
    memcpy(b, tmp, (n - n2) * sz);
}

/* Sorts base[0..n) of sz-byte elements stably; tmp holds n * sz bytes. */
static inline void bw_sort_stable(void *base, size_t n, size_t sz, bw_cmp_fn cmp, void *tmp)
{
    bw_msort_((char *)base, n, sz, cmp, (char *)tmp);
}

#endif
