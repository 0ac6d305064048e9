/*
 * findings.c: what apply() and the streaming guard do alike with findings:
 * resolve overlapping spans deterministically, and name masks.
 */
#include <stdlib.h>
#include <string.h>

#include "filters/sort.h"
#include "policies/apply.h"

static int severity(const struct bw_finding *f)
{
    return f->action == BW_ACT_BLOCK ? 2 : f->action == BW_ACT_ANONYMIZE ? 1 : 0;
}

static int resolvable(const struct bw_finding *f)
{
    return f->detected && f->end > f->start && (f->policy == BW_POL_PII || f->policy == BW_POL_REGEX);
}

static int by_pos(const void *a, const void *b)
{
    const struct bw_finding *x = a, *y = b;

    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    if (x->policy != y->policy)
        return x->policy < y->policy ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

/* Rank when spans overlap: stronger action, then longer, then priority, then position. */
static int better(const struct bw_finding *x, const struct bw_finding *y)
{
    int sx = severity(x), sy = severity(y);
    uint32_t lx = x->end - x->start, ly = y->end - y->start;

    if (sx != sy)
        return sx > sy;
    if (lx != ly)
        return lx > ly;
    if (x->prio != y->prio)
        return x->prio > y->prio;
    if (x->start != y->start)
        return x->start < y->start;
    return x->type < y->type;
}

/*
 * Overlapping PII and regex findings resolve deterministically: within each
 * cluster of overlapping spans, the best one (stronger action first, so a
 * BLOCK is never lost to an ANONYMIZE, then the longest, then the highest
 * priority) is kept, then the next best that overlaps none kept, and so on.
 * Losers are dropped: they are neither reported nor masked.
 */
enum { R_OPEN = 0, R_KEPT, R_DROPPED };

int bw_findings_resolve(struct bw_worker *w)
{
    struct bw_finding *f = w->f;
    size_t n = w->nf, i = 0, k, out;
    uint8_t *st;

    if (n > 1) {
        void *tmp = bw_arena_alloc(&w->arena, n * sizeof(*f));
        if (tmp == NULL)
            return BW_ENOMEM;
        bw_sort_stable(f, n, sizeof(*f), by_pos, tmp);
    }
    if ((st = bw_arena_calloc(&w->arena, n + 1)) == NULL)
        return BW_ENOMEM;
    while (i < n) {
        size_t j;
        uint32_t end;

        if (!resolvable(&f[i])) {
            i++;
            continue;
        }
        /* the cluster: resolvable findings that overlap transitively */
        end = f[i].end;
        for (j = i + 1; j < n && f[j].block == f[i].block && f[j].start < end; j++)
            if (resolvable(&f[j]) && f[j].end > end)
                end = f[j].end;
        /* selection by rank; clusters are small (a handful of spans) */
        for (;;) {
            size_t best = SIZE_MAX;
            for (k = i; k < j; k++)
                if (resolvable(&f[k]) && st[k] == R_OPEN && (best == SIZE_MAX || better(&f[k], &f[best])))
                    best = k;
            if (best == SIZE_MAX)
                break;
            st[best] = R_KEPT;
            for (k = i; k < j; k++)
                if (st[k] == R_OPEN && resolvable(&f[k]) && f[k].start < f[best].end && f[best].start < f[k].end)
                    st[k] = R_DROPPED;
        }
        i = j;
    }
    /* most applies drop none: nothing moves until the first drop */
    for (i = 0; i < n && st[i] != R_DROPPED; i++)
        ;
    for (out = i; i < n; i++)
        if (st[i] != R_DROPPED)
            f[out++] = f[i];
    w->nf = out;
    return BW_OK;
}

const char *bw_mask_name(const struct bw_gconf *c, const struct bw_finding *f)
{
    if (f->policy == BW_POL_REGEX)
        return c && f->item < c->regex.n ? c->regex.items[f->item].name : "REGEX";
    return bw_pii_name(f->type);
}

