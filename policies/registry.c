/*
 * registry.c: (id, version) -> compiled guardrail, built whole and then
 * read-only. A handful of guardrails per process makes a linear search the
 * right data structure.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policies/registry.h"

struct entry {
    struct bw_guardrail *g;
    char *id, *version, *file;
    /* identity of the file the guardrail was compiled from */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int has_stat;
};

struct bw_registry {
    atomic_int refs;
    struct entry *e;
    size_t n, cap;
};

int bw_registry_new(struct bw_registry **out)
{
    struct bw_registry *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return BW_ENOMEM;
    atomic_init(&r->refs, 1);
    *out = r;
    return BW_OK;
}

void bw_registry_ref(struct bw_registry *r)
{
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void bw_registry_unref(struct bw_registry *r)
{
    size_t i;

    if (r == NULL || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (i = 0; i < r->n; i++) {
        bw_guardrail_unref(r->e[i].g);
        free(r->e[i].id);
        free(r->e[i].version);
        free(r->e[i].file);
    }
    free(r->e);
    free(r);
}

static const char *norm_version(const char *v)
{
    return v == NULL || *v == '\0' ? "DRAFT" : v;
}

static struct entry *find(const struct bw_registry *r, const char *id, const char *version)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        if (strcmp(r->e[i].id, id) == 0 && strcmp(r->e[i].version, version) == 0)
            return &r->e[i];
    return NULL;
}

static int push(struct bw_registry *r, struct bw_guardrail *g, const char *id, const char *version, const char *file,
                const struct stat *st)
{
    struct entry *e;

    if (r->n >= BW_REGISTRY_MAX)
        return BW_ELIMIT;
    if (find(r, id, version) != NULL)
        return BW_EINVAL;
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 8;
        if ((e = realloc(r->e, ncap * sizeof(*e))) == NULL)
            return BW_ENOMEM;
        r->e = e;
        r->cap = ncap;
    }
    e = &r->e[r->n];
    memset(e, 0, sizeof(*e));
    e->id = strdup(id);
    e->version = strdup(version);
    e->file = file ? strdup(file) : NULL;
    if (e->id == NULL || e->version == NULL || (file && e->file == NULL)) {
        free(e->id);
        free(e->version);
        free(e->file);
        return BW_ENOMEM;
    }
    if (st) {
        e->dev = st->st_dev;
        e->ino = st->st_ino;
        e->size = st->st_size;
        e->mtime = st->st_mtim;
        e->has_stat = 1;
    }
    e->g = g;
    r->n++;
    return BW_OK;
}

int bw_registry_add(struct bw_registry *r, struct bw_guardrail *g)
{
    int rv;

    bw_guardrail_ref(g);
    if ((rv = push(r, g, g->id, norm_version(g->version), NULL, NULL)) != 0)
        bw_guardrail_unref(g);
    return rv;
}

static int same_file(const struct entry *e, const char *file, const struct stat *st)
{
    return e->has_stat && e->file && strcmp(e->file, file) == 0 && e->dev == st->st_dev && e->ino == st->st_ino &&
           e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
           e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

int bw_registry_load(struct bw_registry *r, const char *id, const char *version, const char *file,
                     const struct bw_registry *prev, struct bw_errs *errs)
{
    struct bw_guardrail *g = NULL;
    struct entry *old;
    struct stat st;
    int has_st, rv;

    version = norm_version(version);
    if (find(r, id, version) != NULL)
        return BW_EINVAL;
    has_st = stat(file, &st) == 0;
    if (prev && has_st && (old = find(prev, id, version)) != NULL && same_file(old, file, &st)) {
        g = old->g;
        bw_guardrail_ref(g);
    } else if ((rv = bw_guardrail_load(file, id, version, &g, errs)) != 0) {
        return rv;
    }
    if ((rv = push(r, g, id, version, file, has_st ? &st : NULL)) != 0)
        bw_guardrail_unref(g);
    return rv;
}

struct bw_guardrail *bw_registry_get(const struct bw_registry *r, const char *id, const char *version)
{
    const char *slash;
    struct entry *e;

    if (r == NULL || id == NULL)
        return NULL;
    /* arn:aws:bedrock:REGION:ACCOUNT:guardrail/ID */
    if (strncmp(id, "arn:", 4) == 0) {
        if ((slash = strrchr(id, '/')) == NULL || strstr(id, ":guardrail/") == NULL)
            return NULL;
        id = slash + 1;
    }
    e = find(r, id, norm_version(version));
    return e ? e->g : NULL;
}

size_t bw_registry_count(const struct bw_registry *r)
{
    return r ? r->n : 0;
}

struct bw_guardrail *bw_registry_at(const struct bw_registry *r, size_t i)
{
    return r && i < r->n ? r->e[i].g : NULL;
}

int bw_registry_slot_init(struct bw_registry_slot *s)
{
    s->cur = NULL;
    return pthread_mutex_init(&s->mu, NULL) == 0 ? BW_OK : BW_ENOMEM;
}

void bw_registry_slot_free(struct bw_registry_slot *s)
{
    bw_registry_unref(s->cur);
    s->cur = NULL;
    pthread_mutex_destroy(&s->mu);
}

struct bw_registry *bw_registry_slot_acquire(struct bw_registry_slot *s)
{
    struct bw_registry *r;

    /* the lock closes the window between reading cur and taking the reference */
    pthread_mutex_lock(&s->mu);
    if ((r = s->cur) != NULL)
        bw_registry_ref(r);
    pthread_mutex_unlock(&s->mu);
    return r;
}

void bw_registry_slot_swap(struct bw_registry_slot *s, struct bw_registry *r)
{
    struct bw_registry *old;

    pthread_mutex_lock(&s->mu);
    old = s->cur;
    s->cur = r;
    pthread_mutex_unlock(&s->mu);
    bw_registry_unref(old);
}
