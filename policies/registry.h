/*
 * registry.h: the guardrails a process serves, by (id, version), each a
 * reference-counted compiled guardrail.
 *
 * A registry is built whole (at start, and again on every reload) and is
 * immutable once published, so readers need no lock: they hold a reference
 * to the registry for as long as they use a guardrail borrowed from it.
 * Reload builds a new registry, reusing the compiled guardrails of the old
 * one whose file did not change, and publishes it with
 * bw_registry_slot_swap(); exchanges in flight finish on the old one, which
 * is freed with its last reference. A new registry that fails to build is
 * never published: the old one stays.
 */
#ifndef BW_REGISTRY_H
#define BW_REGISTRY_H

#include <pthread.h>

#include "filters/errs.h"
#include "policies/guardrail.h"

struct bw_registry;

/* A new empty registry with one reference. BW_ENOMEM. */
int bw_registry_new(struct bw_registry **out);
void bw_registry_ref(struct bw_registry *r);
void bw_registry_unref(struct bw_registry *r);

/*
 * Loads file as guardrail (id, version) into r. When prev (may be NULL)
 * holds the same (id, version) compiled from the same file, unchanged since
 * (device, inode, size, modification time), that guardrail is shared
 * instead of compiled again. Returns 0; BW_ECONFIG (problems in errs);
 * BW_EIO; BW_ENOMEM; BW_ELIMIT (more than BW_REGISTRY_MAX guardrails);
 * BW_EINVAL when (id, version) is already in r.
 */
int bw_registry_load(struct bw_registry *r, const char *id, const char *version, const char *file,
                     const struct bw_registry *prev, struct bw_errs *errs);

/* Adds an already compiled guardrail under its own id and version; takes a reference. */
int bw_registry_add(struct bw_registry *r, struct bw_guardrail *g);

/*
 * The guardrail for (id, version), borrowed: valid while the caller holds a
 * reference on r. id may be a Bedrock guardrail ARN (".../guardrail/ID");
 * an empty or NULL version means "DRAFT". NULL when absent.
 */
struct bw_guardrail *bw_registry_get(const struct bw_registry *r, const char *id, const char *version);

/* Number of guardrails, and the i-th (borrowed), in load order. */
size_t bw_registry_count(const struct bw_registry *r);
struct bw_guardrail *bw_registry_at(const struct bw_registry *r, size_t i);

#define BW_REGISTRY_MAX 1024

/*
 * The published registry of a process. acquire() returns the current one
 * with a reference for the caller; swap() publishes r (taking the caller's
 * reference) and drops the slot's reference to the previous one.
 */
struct bw_registry_slot {
    pthread_mutex_t mu;
    struct bw_registry *cur;
};

int bw_registry_slot_init(struct bw_registry_slot *s);
void bw_registry_slot_free(struct bw_registry_slot *s);
struct bw_registry *bw_registry_slot_acquire(struct bw_registry_slot *s);
void bw_registry_slot_swap(struct bw_registry_slot *s, struct bw_registry *r);

#endif
