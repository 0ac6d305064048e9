/*
 * matcher.h: the one multi-pattern matcher of a guardrail direction.
 *
 * Every pattern of every policy module goes into ONE Hyperscan database;
 * each pattern id maps back to (module, item). A text is scanned once and
 * every match is handed to a callback. User regexes (PCRE2 syntax) that
 * Hyperscan cannot take run on PCRE2 (JIT), gated where possible by a
 * Hyperscan prefilter copy of the pattern so PCRE2 only runs on texts that
 * may match. Matching is linear-time except for those PCRE2 patterns, which
 * are checked for catastrophic backtracking at compile time and bounded by
 * match limits at run time.
 *
 * The compiled matcher is immutable and shared between threads; each thread
 * owns a bw_mscratch.
 */
#ifndef BW_MATCHER_H
#define BW_MATCHER_H

#include "filters/bw.h"
#include "filters/limits.h"

struct bw_matcher;
struct bw_mbuild;
struct bw_mscratch;
struct bw_mstream;

/* pattern flags */
#define BW_PAT_LITERAL 0x01   /* expr is a literal string, not a regex */
#define BW_PAT_CASELESS 0x02  /* match ignoring case (Unicode simple folding) */
#define BW_PAT_SOM 0x04       /* report the start of match (costly: use sparingly) */
#define BW_PAT_USER 0x08      /* a user's PCRE2 regex: validated, falls back to PCRE2 */
#define BW_PAT_DOTALL 0x10
#define BW_PAT_MULTILINE 0x20
#define BW_PAT_SINGLE 0x40    /* report at most one match per scan */

/* matcher modes */
#define BW_MATCHER_BLOCK 0x1
#define BW_MATCHER_STREAM 0x2

struct bw_pat_err {
    char msg[256];
    int offset; /* offset in the expression, -1 when not known */
    int index;  /* pattern index, -1 when not about one pattern */
};

int bw_mbuild_new(struct bw_mbuild **out);
void bw_mbuild_free(struct bw_mbuild *b);

/*
 * Adds a pattern. Returns its index (>= 0), or BW_ECOMPILE with *err set
 * (user regexes are compiled right away so their errors name them),
 * BW_ENOMEM or BW_ELIMIT. expr is copied.
 */
int bw_mbuild_add(struct bw_mbuild *b, uint16_t module, uint32_t item, const char *expr, size_t len,
                  unsigned flags, struct bw_pat_err *err);

/*
 * Longest match pattern `index` can make, in bytes: a literal's length, a
 * user regex's by Hyperscan's analysis; UINT32_MAX when unbounded or not
 * known (built-in regexes, PCRE2 patterns).
 */
uint32_t bw_mbuild_max_width(const struct bw_mbuild *b, int index);

/* Number of patterns added so far. */
size_t bw_mbuild_count(const struct bw_mbuild *b);

/*
 * Compiles everything added into a matcher (mode: BW_MATCHER_BLOCK, and
 * BW_MATCHER_STREAM to also build the streaming database). The builder can
 * be freed afterwards. Returns 0, BW_ECOMPILE (*err set), BW_ENOMEM.
 */
int bw_mbuild_compile(struct bw_mbuild *b, unsigned mode, struct bw_matcher **out, struct bw_pat_err *err);

void bw_matcher_free(struct bw_matcher *m);

/* Size in bytes of the compiled databases (for metrics and benchmarks). */
size_t bw_matcher_size(const struct bw_matcher *m);

/* Allocates *s, or grows it to fit m. Returns 0 or BW_ENOMEM. */
int bw_mscratch_reserve(struct bw_mscratch **s, const struct bw_matcher *m);
void bw_mscratch_free(struct bw_mscratch *s);

/*
 * Called for each match, at offsets of the scanned text. from is the start
 * for BW_PAT_SOM and PCRE2 patterns, 0 otherwise. A non-zero return stops
 * the scan, which then returns that value.
 */
typedef int (*bw_match_fn)(void *ctx, uint16_t module, uint32_t item, size_t from, size_t to);

/*
 * Scans text (valid UTF-8) once for every pattern. Returns 0, the callback's
 * non-zero value, BW_ESCAN (engine failure or a PCRE2 limit hit: callers
 * fail closed).
 */
int bw_matcher_scan(const struct bw_matcher *m, struct bw_mscratch *s, const char *text, size_t len, bw_match_fn fn,
                    void *ctx);

/*
 * The same with the match handed straight to the module that owns the
 * pattern: fn[module](st[module], ev, es[module], item, from, to), a NULL
 * fn ignoring it (the engine's scan: one indirect call per match instead
 * of two). A module id >= n stops the scan with BW_ESCAN.
 */
struct bw_eval;
typedef int (*bw_mod_match_fn)(const void *st, struct bw_eval *ev, void *es, uint32_t item, size_t from, size_t to);
struct bw_mdispatch {
    size_t n;
    struct bw_eval *ev;
    bw_mod_match_fn fn[BW_MAX_MODULES];
    const void *st[BW_MAX_MODULES];
    void *es[BW_MAX_MODULES];
};
int bw_matcher_scan_mods(const struct bw_matcher *m, struct bw_mscratch *s, const char *text, size_t len,
                         const struct bw_mdispatch *d);

/* The raw Hyperscan block scan, without dispatch: for benchmarks only. */
int bw_matcher_scan_raw(const struct bw_matcher *m, struct bw_mscratch *s, const char *text, size_t len,
                        unsigned long long *nmatches);

#endif
