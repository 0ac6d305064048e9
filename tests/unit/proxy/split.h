/*
 * split.h: "results must not change when the input is split at any byte"
 * for the proxy's stream decoders. A test gives a run function that feeds
 * the input cut at the given offsets and writes a transcript of what it
 * decoded (events, then the final return code); bw_split_check() runs it
 * whole, cut at every single byte, byte by byte, and in seeded random
 * cuts, and asserts that every transcript equals the whole one.
 */
#ifndef BW_TEST_SPLIT_H
#define BW_TEST_SPLIT_H

#include "filters/buf.h"
#include "tests/unit/testutil.h"

typedef void (*bw_split_run)(void *ud, const char *p, size_t n, const size_t *cuts, size_t ncuts,
                             struct bw_buf *out);

/* Feeds p in the pieces that cuts (ascending offsets inside (0, n)) make. */
#define BW_SPLIT_FOREACH(p, n, cuts, ncuts, piece, plen, body)                                                    \
    do {                                                                                                           \
        size_t bw_k_, bw_at_ = 0;                                                                                  \
        for (bw_k_ = 0; bw_k_ <= (ncuts); bw_k_++) {                                                               \
            size_t bw_to_ = bw_k_ < (ncuts) ? (cuts)[bw_k_] : (n);                                                 \
            const char *piece = (p) + bw_at_;                                                                      \
            size_t plen = bw_to_ - bw_at_;                                                                         \
            bw_at_ = bw_to_;                                                                                       \
            body                                                                                                   \
        }                                                                                                          \
    } while (0)

static unsigned long bw_split_rand(unsigned long *s)
{
    *s = *s * 6364136223846793005ul + 1442695040888963407ul;
    return *s >> 33;
}

static int bw_split_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Returns the number of runs that differed from the whole-input run (0 is a pass). */
static inline size_t bw_split_check(bw_split_run run, void *ud, const char *p, size_t n, unsigned nrandom,
                                    struct bw_buf *whole_out)
{
    struct bw_buf whole, got;
    size_t *cuts = malloc((n + 1) * sizeof(*cuts));
    size_t i, k, bad = 0;
    unsigned long seed = 0x5eed;

    bw_buf_init(&whole, 0);
    bw_buf_init(&got, 0);
    run(ud, p, n, NULL, 0, &whole);
    /* every single cut */
    for (i = 1; i < n; i++) {
        bw_buf_reset(&got);
        cuts[0] = i;
        run(ud, p, n, cuts, 1, &got);
        if (got.len != whole.len || memcmp(got.base, whole.base, got.len) != 0) {
            if (bad++ == 0)
                fprintf(stderr, "split at %zu differs:\n--- whole\n%s\n--- split\n%s\n", i, whole.base, got.base);
        }
    }
    /* byte by byte */
    for (i = 1; i < n; i++)
        cuts[i - 1] = i;
    bw_buf_reset(&got);
    run(ud, p, n, cuts, n ? n - 1 : 0, &got);
    if (got.len != whole.len || memcmp(got.base, whole.base, got.len) != 0) {
        if (bad++ == 0)
            fprintf(stderr, "byte by byte differs:\n--- whole\n%s\n--- split\n%s\n", whole.base, got.base);
    }
    /* seeded random cuts */
    for (k = 0; k < nrandom && n > 1; k++) {
        size_t m = 1 + bw_split_rand(&seed) % (n < 64 ? n - 1 : 63), j = 0;

        for (i = 0; i < m; i++)
            cuts[i] = 1 + bw_split_rand(&seed) % (n - 1);
        qsort(cuts, m, sizeof(*cuts), bw_split_cmp);
        for (i = 0; i < m; i++)
            if (j == 0 || cuts[j - 1] != cuts[i])
                cuts[j++] = cuts[i];
        bw_buf_reset(&got);
        run(ud, p, n, cuts, j, &got);
        if (got.len != whole.len || memcmp(got.base, whole.base, got.len) != 0) {
            if (bad++ == 0)
                fprintf(stderr, "random split %zu differs:\n--- whole\n%s\n--- split\n%s\n", k, whole.base,
                        got.base);
        }
    }
    if (whole_out) {
        bw_buf_reset(whole_out);
        bw_buf_add(whole_out, whole.base ? whole.base : "", whole.len);
    }
    bw_buf_free(&whole);
    bw_buf_free(&got);
    free(cuts);
    return bad;
}

#endif
