/* Tests of proxy/loop.c: timer heap order, deferred calls, the mailbox. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "proxy/loop.c"
#include "tests/unit/testutil.h"

static struct bw_px_loop L;
static int fired[512], nfired;

struct idt {
    struct bw_px_timer t;
    int id;
    uint64_t due;
};

static void on_id(struct bw_px_timer *t)
{
    fired[nfired++] = ((struct idt *)t)->id;
}

static void test_loop_timers_in_order(void)
{
    struct idt ts[200];
    int i;
    uint64_t now;

    CU_ASSERT_EQUAL_FATAL(bw_px_loop_init(&L, NULL, NULL), 0);
    nfired = 0;
    srand(7);
    for (i = 0; i < 200; i++) {
        ts[i].id = i;
        memset(&ts[i].t, 0, sizeof(ts[i].t));
        uint64_t ms = (uint64_t)(1 + rand() % 40);
        ts[i].due = L.now + ms;
        bw_px_timer_start(&L, &ts[i].t, ms, on_id);
    }
    /* stop every third, re-arm every seventh further away */
    for (i = 0; i < 200; i += 3)
        bw_px_timer_stop(&L, &ts[i].t);
    for (i = 1; i < 200; i += 7) {
        if (i % 3 == 0)
            continue;
        ts[i].due = L.now + 45;
        bw_px_timer_start(&L, &ts[i].t, 45, on_id);
    }
    now = bw_px_clock_ms();
    while (L.nheap && bw_px_clock_ms() - now < 2000)
        bw_px_loop_run_once(&L, 100);
    CU_ASSERT_EQUAL(L.nheap, 0);
    CU_ASSERT_EQUAL(nfired, 200 - 67);
    for (i = 1; i < nfired; i++)
        CU_ASSERT(ts[fired[i - 1]].due <= ts[fired[i]].due); /* earliest deadline first */
    for (i = 0; i < nfired; i++)
        CU_ASSERT(fired[i] % 3 != 0);
    bw_px_loop_free(&L);
}

/* A restart further away keeps the heap place (lazily moved); a restart nearer moves it at once. */
static void test_loop_timer_restart(void)
{
    struct idt a, b;
    uint64_t t0, fa = 0, fb = 0;

    CU_ASSERT_EQUAL_FATAL(bw_px_loop_init(&L, NULL, NULL), 0);
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.id = 1;
    b.id = 2;
    nfired = 0;
    bw_px_timer_start(&L, &a.t, 10, on_id);
    bw_px_timer_start(&L, &b.t, 200, on_id);
    bw_px_timer_start(&L, &a.t, 60, on_id); /* later: only recorded */
    CU_ASSERT_EQUAL(a.t.due, a.t.at + 50);
    bw_px_timer_start(&L, &b.t, 30, on_id); /* nearer: moved */
    CU_ASSERT_EQUAL(b.t.at, b.t.due);
    t0 = bw_px_clock_ms();
    while (nfired < 2 && bw_px_clock_ms() - t0 < 2000) {
        bw_px_loop_run_once(&L, 100);
        if (nfired >= 1 && fb == 0)
            fb = bw_px_clock_ms() - t0;
        if (nfired >= 2 && fa == 0)
            fa = bw_px_clock_ms() - t0;
    }
    CU_ASSERT_EQUAL(nfired, 2);
    CU_ASSERT_EQUAL(fired[0], 2); /* b at 30 ms, then a at 60, not at 10 */
    CU_ASSERT_EQUAL(fired[1], 1);
    CU_ASSERT(fb >= 29);
    CU_ASSERT(fa >= 59);
    CU_ASSERT_EQUAL(L.nheap, 0);
    /* a postponed timer can still be stopped */
    bw_px_timer_start(&L, &a.t, 10, on_id);
    bw_px_timer_start(&L, &a.t, 20, on_id);
    bw_px_timer_stop(&L, &a.t);
    CU_ASSERT_EQUAL(L.nheap, 0);
    CU_ASSERT_EQUAL(a.t.slot, 0);
    bw_px_loop_free(&L);
}

static int order[8], norder;
static struct bw_px_defer d1, d2;

static void on_d2(struct bw_px_defer *d)
{
    BW_UNUSED(d);
    order[norder++] = 2;
}

static void on_d1(struct bw_px_defer *d)
{
    BW_UNUSED(d);
    order[norder++] = 1;
    bw_px_defer(&L, &d2, on_d2); /* queued from a deferred call: runs in the same pass */
}

static void test_loop_defer(void)
{
    CU_ASSERT_EQUAL_FATAL(bw_px_loop_init(&L, NULL, NULL), 0);
    norder = 0;
    memset(&d1, 0, sizeof(d1));
    memset(&d2, 0, sizeof(d2));
    bw_px_defer(&L, &d1, on_d1);
    bw_px_defer(&L, &d1, on_d1); /* twice: once */
    bw_px_loop_run_once(&L, 0);
    CU_ASSERT_EQUAL(norder, 2);
    CU_ASSERT_EQUAL(order[0], 1);
    CU_ASSERT_EQUAL(order[1], 2);
    bw_px_defer(&L, &d2, on_d2);
    bw_px_defer_cancel(&L, &d2);
    bw_px_loop_run_once(&L, 0);
    CU_ASSERT_EQUAL(norder, 2);
    bw_px_loop_free(&L);
}

static int got;

static void on_msg(struct bw_px_loop *l, struct bw_px_msg *m)
{
    BW_UNUSED(l);
    got += m->type;
    free(m);
}

static void *poster(void *arg)
{
    int i;

    for (i = 0; i < 100; i++) {
        struct bw_px_msg *m = calloc(1, sizeof(*m));
        m->type = 1;
        bw_px_loop_post(arg, m);
    }
    return NULL;
}

static void test_loop_mailbox(void)
{
    pthread_t th[4];
    uint64_t t0;
    int i;

    CU_ASSERT_EQUAL_FATAL(bw_px_loop_init(&L, on_msg, NULL), 0);
    got = 0;
    for (i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, poster, &L);
    for (i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    t0 = bw_px_clock_ms();
    while (got < 400 && bw_px_clock_ms() - t0 < 2000)
        bw_px_loop_run_once(&L, 50);
    CU_ASSERT_EQUAL(got, 400);
    bw_px_loop_free(&L);
}

static const struct bw_test tests[] = {
    {"test_loop_timers_in_order", test_loop_timers_in_order},
    {"test_loop_timer_restart", test_loop_timer_restart},
    {"test_loop_defer", test_loop_defer},
    {"test_loop_mailbox", test_loop_mailbox},
};

BW_TEST_MAIN("loop", tests)
