/* blob.c: embedded conf/ data files, with an on-disk override. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/blob.h"
#include "filters/limits.h"

/* generated at build time from conf/ (scripts/embed.sh) */
struct bw_blob {
    const char *name;
    const unsigned char *start;
    const unsigned char *end;
};
extern const struct bw_blob bw_blobs[];
extern const size_t bw_nblobs;

struct loaded {
    struct loaded *next;
    char *name;
    char *data;
    size_t len;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded *cache; /* files read from BULWARK_DATA_DIR, kept for the process */

static int from_dir(const char *dir, const char *name, struct bw_iov *out)
{
    char path[4096];
    struct loaded *l;
    FILE *f;
    long n;
    int rv = BW_ENOTFOUND;

    if (strstr(name, "..") != NULL)
        return BW_ENOTFOUND;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return BW_ENOTFOUND;
    pthread_mutex_lock(&lock);
    for (l = cache; l; l = l->next)
        if (strcmp(l->name, name) == 0) {
            *out = (struct bw_iov){l->data, l->len};
            pthread_mutex_unlock(&lock);
            return BW_OK;
        }
    if ((f = fopen(path, "rb")) == NULL)
        goto out;
    rv = BW_EIO;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (long)BW_MAX_CONFIG_BYTES ||
        fseek(f, 0, SEEK_SET) != 0)
        goto close;
    rv = BW_ENOMEM;
    if ((l = calloc(1, sizeof(*l))) == NULL || (l->data = malloc((size_t)n + 1)) == NULL ||
        (l->name = strdup(name)) == NULL) {
        if (l) {
            free(l->data);
            free(l);
        }
        goto close;
    }
    rv = BW_EIO;
    if (fread(l->data, 1, (size_t)n, f) != (size_t)n) {
        free(l->data);
        free(l->name);
        free(l);
        goto close;
    }
    l->data[n] = '\0';
    l->len = (size_t)n;
    l->next = cache;
    cache = l;
    *out = (struct bw_iov){l->data, l->len};
    rv = BW_OK;
close:
    fclose(f);
out:
    pthread_mutex_unlock(&lock);
    return rv;
}

int bw_blob_get(const char *name, struct bw_iov *out)
{
    const char *dir = getenv("BULWARK_DATA_DIR");
    size_t i;

    if (dir && *dir && from_dir(dir, name, out) == BW_OK)
        return BW_OK;
    for (i = 0; i < bw_nblobs; i++)
        if (strcmp(bw_blobs[i].name, name) == 0) {
            out->base = (const char *)bw_blobs[i].start;
            out->len = (size_t)(bw_blobs[i].end - bw_blobs[i].start);
            return BW_OK;
        }
    return BW_ENOTFOUND;
}

void bw_blob_each(const char *prefix, void (*fn)(const char *name, struct bw_iov data, void *ctx), void *ctx)
{
    size_t i, pl = strlen(prefix);

    for (i = 0; i < bw_nblobs; i++)
        if (strncmp(bw_blobs[i].name, prefix, pl) == 0)
            fn(bw_blobs[i].name,
               (struct bw_iov){(const char *)bw_blobs[i].start, (size_t)(bw_blobs[i].end - bw_blobs[i].start)}, ctx);
}
