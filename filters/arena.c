/* arena.c: bump allocation in chunks. */
#include <stdlib.h>
#include <string.h>

#include "filters/arena.h"

struct bw_arena_chunk {
    struct bw_arena_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

#define CHUNK_MIN (16u * 1024)

void bw_arena_init(struct bw_arena *a, size_t max)
{
    a->head = NULL;
    a->total = 0;
    a->max = max;
}

void *bw_arena_alloc(struct bw_arena *a, size_t n)
{
    struct bw_arena_chunk *c = a->head;
    size_t sz;

    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    if (c == NULL || c->size - c->used < n) {
        sz = n > CHUNK_MIN ? n : CHUNK_MIN;
        if (c != NULL && c->size * 2 > sz && c->size < (1u << 24))
            sz = c->size * 2 > n ? c->size * 2 : n;
        if (a->max && a->total + sz > a->max)
            return NULL;
        if ((c = malloc(sizeof(*c) + sz)) == NULL)
            return NULL;
        c->size = sz;
        c->used = 0;
        c->next = a->head;
        a->head = c;
        a->total += sz;
    }
    c->used += n;
    return c->data + c->used - n;
}

void *bw_arena_calloc(struct bw_arena *a, size_t n)
{
    void *p = bw_arena_alloc(a, n);

    if (p)
        memset(p, 0, n);
    return p;
}

char *bw_arena_strndup(struct bw_arena *a, const char *s, size_t n)
{
    char *p = bw_arena_alloc(a, n + 1);

    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void bw_arena_reset(struct bw_arena *a)
{
    struct bw_arena_chunk *c, *next;
    size_t total = a->total;

    if (a->head == NULL)
        return;
    if (a->head->next == NULL) {
        a->head->used = 0;
        return;
    }
    /* several chunks: replace them by one that holds them all, so the next
       round of the same work allocates nothing (no malloc churn per request) */
    for (c = a->head; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->total = 0;
    if ((c = malloc(sizeof(*c) + total)) != NULL) {
        c->size = total;
        c->used = 0;
        c->next = NULL;
        a->head = c;
        a->total = total;
    }
}

void bw_arena_free(struct bw_arena *a)
{
    struct bw_arena_chunk *c, *next;

    for (c = a->head; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->total = 0;
}
