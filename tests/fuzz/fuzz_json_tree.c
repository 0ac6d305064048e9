/*
 * fuzz_json_tree.c: differential libFuzzer target for the one-pass body
 * parser (policies/json_tree.c) against the strict configuration parser
 * (policies/json.c: its scanner, then cJSON's tree, then duplicate keys).
 *
 * The adapters were written against the second; the proxy runs the first.
 * They must agree on every input: the same verdict (accepted without any
 * error, or refused), and for accepted texts the same tree, node by node:
 * types, keys, strings, numbers (valuedouble to the bit, valueint), list
 * order and cJSON's "first child's prev is the last child".
 * The input is also parsed under a small arena cap: BW_ELIMIT or the same
 * verdict, never anything else.
 */
#include <stdlib.h>
#include <string.h>

#include "filters/arena.h"
#include "filters/errs.h"
#include "policies/json.h"
#include "policies/json_tree.h"

static void same(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;

    if ((a->type & 0xff) != (b->type & 0xff) || a->valueint != b->valueint ||
        memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0)
        abort();
    if ((a->string == NULL) != (b->string == NULL) || (a->string && strcmp(a->string, b->string) != 0))
        abort();
    if ((a->valuestring == NULL) != (b->valuestring == NULL) ||
        (a->valuestring && strcmp(a->valuestring, b->valuestring) != 0))
        abort();
    for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
        same(x, y);
    if (x || y)
        abort();
    if (a->child && (a->child->prev == NULL) != (b->child->prev == NULL))
        abort();
    if (a->child && a->child->prev) { /* both point at their last child */
        for (x = a->child; x->next; x = x->next)
            ;
        if (a->child->prev != x)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct bw_errs e;
    struct bw_arena a;
    cJSON *old = NULL, *nw = NULL;
    int ro, rn;

    bw_errs_init(&e, "body");
    ro = bw_json_parse((const char *)data, size, &old, &e);
    bw_errs_free(&e);
    bw_arena_init(&a, 0);
    rn = bw_json_tree_parse((const char *)data, size, &a, &nw);
    if (ro == BW_ENOMEM || rn == BW_ENOMEM)
        goto out;
    if ((ro == 0) != (rn == 0))
        abort();
    if (rn != 0 && rn != BW_EINVAL)
        abort();
    if (ro == 0)
        same(old, nw);
    bw_arena_free(&a);
    /* under a cap: refused for size, or the same verdict */
    bw_arena_init(&a, 16384 + (size & 0x3fff));
    rn = bw_json_tree_parse((const char *)data, size, &a, &nw);
    if (rn != BW_ELIMIT && rn != BW_ENOMEM && (ro == 0) != (rn == 0))
        abort();
out:
    cJSON_Delete(old);
    bw_arena_free(&a);
    return 0;
}
