/* Tests of policies/findings.c: the position order resolve leaves findings in. */
#include <stdlib.h>

#include "filters/engine.h"
#include "policies/apply.h"
#include "tests/unit/testutil.h"

/* A reference stable sort by position (insertion), the order resolve must give. */
static int before(const struct bw_finding *x, const struct bw_finding *y)
{
    if (x->block != y->block)
        return x->block < y->block;
    if (x->start != y->start)
        return x->start < y->start;
    return x->end > y->end;
}

/*
 * Word findings (never dropped) in runs of random lengths, each run sorted
 * or not, with equal positions told apart by item: resolve's merge of the
 * runs keeps the stable order.
 */
static void test_findings_sorted_runs(void)
{
    struct bw_worker w;
    struct bw_finding ref[200];
    unsigned seed = 7;
    int round;

    CU_ASSERT_EQUAL_FATAL(bw_worker_init(&w), 0);
    free(w.f);
    w.f = calloc(200, sizeof(*w.f));
    CU_ASSERT_PTR_NOT_NULL_FATAL(w.f);
    w.fcap = 200;
    for (round = 0; round < 300; round++) {
        size_t n = (size_t)(rand_r(&seed) % 200), i, j, nrun = (size_t)(rand_r(&seed) % 6) + 1;
        uint32_t pos = 0;
        for (i = 0; i < n; i++) {
            struct bw_finding *f = &w.f[i];
            if (i % (n / nrun + 1) == 0)
                pos = (uint32_t)(rand_r(&seed) % 50);
            memset(f, 0, sizeof(*f));
            f->policy = BW_POL_WORD;
            f->detected = 1;
            f->block = (uint32_t)(rand_r(&seed) % 8 == 0);
            pos += (uint32_t)(round % 3 == 0 ? rand_r(&seed) % 40 : rand_r(&seed) % 3);
            f->start = pos % 60;
            f->end = f->start + 1 + (uint32_t)(rand_r(&seed) % 2);
            f->item = (uint32_t)i;
        }
        for (i = 0; i < n; i++) {
            struct bw_finding x = w.f[i];
            for (j = i; j > 0 && before(&x, &ref[j - 1]); j--)
                ref[j] = ref[j - 1];
            ref[j] = x;
        }
        w.nf = n;
        CU_ASSERT_EQUAL_FATAL(bw_findings_resolve(&w), 0);
        CU_ASSERT_EQUAL_FATAL(w.nf, n);
        for (i = 0; i < n; i++)
            CU_ASSERT_EQUAL(w.f[i].item, ref[i].item);
        bw_arena_reset(&w.arena);
    }
    bw_worker_free(&w);
}

static const struct bw_test tests[] = {
    {"test_findings_sorted_runs", test_findings_sorted_runs},
};
BW_TEST_MAIN("findings", tests)
