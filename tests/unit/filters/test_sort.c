/* Tests of filters/sort.h: the natural merge sort against an insertion sort. */
#include <stdlib.h>

#include "filters/sort.h"
#include "tests/unit/testutil.h"

struct el {
    unsigned key, seq;
};

static int by_key(const void *a, const void *b)
{
    const struct el *x = a, *y = b;

    return x->key < y->key ? -1 : x->key > y->key;
}

/*
 * Arrays of 0 to 300 elements made of 1 to 8 runs, each sorted, reversed or
 * random, with many equal keys: the result is the stable order (equal keys
 * keep their input order, told by seq), also for odd run counts and a last
 * run of one element.
 */
static void test_sort_stable_runs(void)
{
    struct el a[300], ref[300], tmp[300];
    unsigned seed = 11;
    int round;

    for (round = 0; round < 2000; round++) {
        size_t n = (size_t)(rand_r(&seed) % 301), nrun = (size_t)(rand_r(&seed) % 8) + 1, i, j;
        unsigned kind = 0, key = 0;
        for (i = 0; i < n; i++) {
            if (i % (n / nrun + 1) == 0) {
                kind = (unsigned)rand_r(&seed) % 3;
                key = (unsigned)rand_r(&seed) % 20;
            }
            if (kind == 0)
                key += (unsigned)rand_r(&seed) % 3;
            else if (kind == 1)
                key = key > 0 ? key - (unsigned)rand_r(&seed) % 2 : 0;
            else
                key = (unsigned)rand_r(&seed) % 20;
            a[i] = (struct el){key, (unsigned)i};
        }
        for (i = 0; i < n; i++) {
            struct el x = a[i];
            for (j = i; j > 0 && x.key < ref[j - 1].key; j--)
                ref[j] = ref[j - 1];
            ref[j] = x;
        }
        bw_sort_stable(a, n, sizeof(a[0]), by_key, tmp);
        for (i = 0; i < n; i++) {
            CU_ASSERT_EQUAL(a[i].key, ref[i].key);
            CU_ASSERT_EQUAL(a[i].seq, ref[i].seq);
        }
    }
}

static const struct bw_test tests[] = {
    {"test_sort_stable_runs", test_sort_stable_runs},
};
BW_TEST_MAIN("sort", tests)
