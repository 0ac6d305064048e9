/*
 * arena.h: a bump allocator freed whole (nginx and h2o pools). One arena
 * per evaluation or per request; nothing in it is freed on its own.
 */
#ifndef BW_ARENA_H
#define BW_ARENA_H

#include "filters/bw.h"

struct bw_arena_chunk;

struct bw_arena {
    struct bw_arena_chunk *head; /* current chunk, most recent first */
    size_t total;                /* bytes held in chunks */
    size_t max;                  /* cap on total; 0 = unlimited */
};

void bw_arena_init(struct bw_arena *a, size_t max);
/* Returns n bytes aligned to 16, or NULL on BW_ENOMEM/BW_ELIMIT. */
void *bw_arena_alloc(struct bw_arena *a, size_t n);
void *bw_arena_calloc(struct bw_arena *a, size_t n);
/* Copies n bytes plus a NUL. */
char *bw_arena_strndup(struct bw_arena *a, const char *s, size_t n);
/* Frees every chunk but the first, which is kept for reuse. */
void bw_arena_reset(struct bw_arena *a);
void bw_arena_free(struct bw_arena *a);

#endif
