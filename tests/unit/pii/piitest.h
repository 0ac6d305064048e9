/*
 * piitest.h: what the PII tests share: a guardrail direction with every
 * PII type enabled (ANONYMIZE), evaluated on one text, and lookups of its
 * findings by type.
 */
#ifndef BW_PIITEST_H
#define BW_PIITEST_H

#include "filters/engine.h"
#include "filters/errs.h"
#include "pii/pii.h"
#include "tests/unit/testutil.h"

static struct bw_engine *pt_eng;
static struct bw_worker pt_w;
static struct bw_pii_item pt_items[BW_PII__N];
static struct bw_pii_conf pt_conf;

/* Builds the engine once; types NULL (or ntypes 0): all 31. */
static inline void pt_init(const int *types, size_t ntypes)
{
    struct bw_errs errs;
    size_t i;

    if (pt_eng)
        return;
    if (types == NULL || ntypes == 0)
        ntypes = BW_PII__N;
    for (i = 0; i < ntypes; i++) {
        pt_items[i].type = types ? types[i] : (int)i;
        pt_items[i].ac.action[0] = pt_items[i].ac.action[1] = BW_ACT_ANONYMIZE;
        pt_items[i].ac.enabled[0] = pt_items[i].ac.enabled[1] = 1;
    }
    pt_conf.items = pt_items;
    pt_conf.n = ntypes;
    bw_errs_init(&errs, NULL);
    CU_ASSERT_FATAL(bw_engine_new(BW_DIR_INPUT, &pt_eng) == 0);
    CU_ASSERT_FATAL(bw_engine_add(pt_eng, &bw_pii_module, &pt_conf, &errs) == 0);
    CU_ASSERT_FATAL(bw_engine_compile(pt_eng, BW_MATCHER_BLOCK, &errs) == 0);
    bw_errs_free(&errs);
    CU_ASSERT_FATAL(bw_worker_init(&pt_w) == 0);
}

static inline void pt_fini(void)
{
    if (pt_eng) {
        bw_worker_free(&pt_w);
        bw_engine_free(pt_eng);
        pt_eng = NULL;
    }
}

/* Evaluates s; returns the number of findings. */
static inline size_t pt_run(const char *s)
{
    struct bw_block b = {s, strlen(s), 0};

    pt_init(NULL, 0);
    CU_ASSERT_FATAL(bw_engine_eval(pt_eng, &pt_w, &b, 1, NULL, NULL) == 0);
    return pt_w.nf;
}

/* Findings of type t in the last evaluation; start and end of the first one when wanted. */
static inline size_t pt_count(int t, size_t *start, size_t *end)
{
    size_t k, n = 0;

    for (k = 0; k < pt_w.nf; k++)
        if (pt_w.f[k].policy == BW_POL_PII && pt_w.f[k].type == t) {
            if (n == 0 && start)
                *start = pt_w.f[k].start;
            if (n == 0 && end)
                *end = pt_w.f[k].end;
            n++;
        }
    return n;
}

/* Does s hold exactly one finding of type t, spanning the substring want? */
static inline int pt_exact(const char *s, int t, const char *want)
{
    size_t a = 0, b = 0;
    const char *p = strstr(s, want);

    pt_run(s);
    if (p == NULL || pt_count(t, &a, &b) != 1)
        return 0;
    return a == (size_t)(p - s) && b == a + strlen(want);
}

/* Does s hold a finding of type t at all? */
static inline int pt_has(const char *s, int t)
{
    pt_run(s);
    return pt_count(t, NULL, NULL) > 0;
}

#endif
