/*
 * failmalloc.h: allocation failure injection for unit tests. Included once
 * by a test file, it replaces malloc and friends in that executable (glibc
 * allows it) so a test can make the Nth allocation fail and check that
 * nothing leaked on any path:
 *
 *     before = fm_live; fm_failed = 0; fm_countdown = n;
 *     ... the code under test ...
 *     fm_countdown = -1;  CU_ASSERT_EQUAL(fm_live, before);
 *
 * FAILMALLOC is 0 under ASan or MSan, which own malloc: the loops run in
 * the plain build. Hyperscan does not survive a failed allocation inside
 * its compiler (it writes through a pointer it did not check), so its entry
 * points that allocate are wrapped and never fail (fm_hold).
 */
#ifndef BW_TEST_FAILMALLOC_H
#define BW_TEST_FAILMALLOC_H

#if defined(__SANITIZE_ADDRESS__)
#define FAILMALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define FAILMALLOC 0
#endif
#endif
#ifndef FAILMALLOC
#define FAILMALLOC 1
#endif

#if FAILMALLOC
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <hs/hs.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static long fm_countdown = -1; /* the allocation that fails: 0 = the next one; -1 = none */
static long fm_failed;         /* failures injected */
static long fm_live;           /* allocations not yet freed */
static int fm_hold;            /* > 0: inside Hyperscan, never fail */

static int fm_fail(void)
{
    if (fm_countdown < 0 || fm_hold)
        return 0;
    if (fm_countdown-- == 0) {
        fm_failed++;
        return 1;
    }
    return 0;
}

void *malloc(size_t n)
{
    void *p = fm_fail() ? NULL : __libc_malloc(n);
    if (p)
        fm_live++;
    return p;
}

void *calloc(size_t n, size_t m)
{
    void *p = fm_fail() ? NULL : __libc_calloc(n, m);
    if (p)
        fm_live++;
    return p;
}

void *realloc(void *old, size_t n)
{
    if (old == NULL)
        return malloc(n);
    if (n == 0) {
        free(old);
        return NULL;
    }
    if (fm_fail())
        return NULL;
    return __libc_realloc(old, n);
}

void free(void *p)
{
    if (p)
        fm_live--;
    __libc_free(p);
}

void *memalign(size_t a, size_t n)
{
    void *p = fm_fail() ? NULL : __libc_memalign(a, n);
    if (p)
        fm_live++;
    return p;
}

void *aligned_alloc(size_t a, size_t n)
{
    return memalign(a, n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
    void *p = memalign(a, n);

    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

#define FM_HOLD(ret, name, params, args)                                                                           \
    ret name params                                                                                                \
    {                                                                                                              \
        static ret(*real) params;                                                                                  \
        ret rv;                                                                                                    \
        if (real == NULL)                                                                                          \
            *(void **)&real = dlsym(RTLD_NEXT, #name);                                                             \
        fm_hold++;                                                                                                 \
        rv = real args;                                                                                            \
        fm_hold--;                                                                                                 \
        return rv;                                                                                                 \
    }
FM_HOLD(hs_error_t, hs_compile,
        (const char *e, unsigned f, unsigned m, const hs_platform_info_t *p, hs_database_t **db,
         hs_compile_error_t **err),
        (e, f, m, p, db, err))
FM_HOLD(hs_error_t, hs_compile_multi,
        (const char *const *e, const unsigned *f, const unsigned *ids, unsigned n, unsigned m,
         const hs_platform_info_t *p, hs_database_t **db, hs_compile_error_t **err),
        (e, f, ids, n, m, p, db, err))
FM_HOLD(hs_error_t, hs_expression_info,
        (const char *e, unsigned f, hs_expr_info_t **info, hs_compile_error_t **err), (e, f, info, err))
FM_HOLD(hs_error_t, hs_alloc_scratch, (const hs_database_t *db, hs_scratch_t **s), (db, s))
#endif /* FAILMALLOC */

#endif
