/*
 * guardrail.h: a compiled guardrail: its configuration and one scanning
 * engine per direction. Immutable once built and reference-counted, so a
 * reload can swap in a new one while in-flight requests finish on the old.
 */
#ifndef BW_GUARDRAIL_H
#define BW_GUARDRAIL_H

#include "filters/engine.h"
#include "policies/gconf.h"

struct bw_guardrail {
    int refs; /* atomic */
    char *id;      /* [a-z0-9]+ */
    char *version; /* "DRAFT" or a number */
    char *arn;
    struct bw_gconf *conf;
    struct bw_engine *eng[2]; /* by enum bw_dir */
    /*
     * Streamed answers (policies/stream.h): the OUTPUT policies split in
     * two engines, pattern policies checked per word step and classifiers
     * per sentence; NULL when there are none of them. Built on first use
     * (bw_guardrail_streaming), so the CLI never pays for them.
     */
    struct bw_engine *sspan, *scls;
    int streaming; /* sspan/scls built; set once, under a lock */
};

/*
 * Compiles conf (taken over: freed with the guardrail, or on failure) into
 * a guardrail with id and version. Returns 0, BW_ECONFIG (errs filled),
 * BW_ENOMEM.
 */
int bw_guardrail_compile(struct bw_gconf *conf, const char *id, const char *version, struct bw_guardrail **out,
                         struct bw_errs *errs);

/* Loads, validates and compiles a guardrail file. id NULL: derived from the file name. */
int bw_guardrail_load(const char *path, const char *id, const char *version, struct bw_guardrail **out,
                      struct bw_errs *errs);

/*
 * Builds the streaming engines if they are not built yet (thread-safe; the
 * proxy calls it when it loads a guardrail so no request waits for it).
 * Returns 0 or BW_E*.
 */
int bw_guardrail_streaming(struct bw_guardrail *g, struct bw_errs *errs);

void bw_guardrail_ref(struct bw_guardrail *g);
void bw_guardrail_unref(struct bw_guardrail *g);

/* Is policy p configured and enabled for direction dir (for usage units)? */
int bw_guardrail_has_policy(const struct bw_guardrail *g, int dir, int policy);

#endif
