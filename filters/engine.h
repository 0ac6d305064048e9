/*
 * engine.h: the scanning core of one guardrail direction: one matcher and
 * the policy modules it feeds. Compile once, scan once: evaluating a text is
 * one pass of the matcher over its normalised view, each match dispatched
 * to the module that owns the pattern.
 *
 * An engine is immutable once compiled and shared by every thread; each
 * thread evaluates with its own bw_worker (matcher scratch, views, findings,
 * module scratch), which allocates nothing in steady state.
 */
#ifndef BW_ENGINE_H
#define BW_ENGINE_H

#include "filters/arena.h"
#include "filters/matcher.h"
#include "filters/module.h"
#include "filters/tokens.h"

struct bw_engine;

struct bw_worker {
    struct bw_mscratch *scratch;
    struct bw_norm *norms;     /* one view per block */
    struct bw_text *texts;
    uint32_t ntexts_cap;
    struct bw_finding *f;      /* findings of the last evaluation */
    size_t nf, fcap;
    struct bw_arena arena;     /* per evaluation: module scratch, joined texts */
    /* the words of the block being scanned, read on first use (bw_eval_words) */
    struct bw_toklist toks;
    int toks_state;            /* 0 not read yet, 1 read, -1 too long to keep */
    /* the words of the joined grounding source, read on first use (bw_eval_source_words) */
    struct bw_toklist stoks;
    int stoks_state;
};

/* A block handed to bw_engine_eval(). */
struct bw_block {
    const char *text;
    size_t len;
    unsigned quals; /* BW_QUAL_* */
};

int bw_engine_new(int dir, struct bw_engine **out);
void bw_engine_free(struct bw_engine *e);

/*
 * Instantiates module ops with conf and adds it to the engine (the policies
 * layer calls this once per configured policy). Returns 0 or BW_E*.
 */
int bw_engine_add(struct bw_engine *e, const struct bw_module_ops *ops, const void *conf, struct bw_errs *errs);

/* Compiles the matcher. mode: BW_MATCHER_BLOCK [| BW_MATCHER_STREAM]. */
int bw_engine_compile(struct bw_engine *e, unsigned mode, struct bw_errs *errs);

/* The policy modules instantiated, and their state (for the renderer). */
size_t bw_engine_nmodules(const struct bw_engine *e);
const struct bw_module_ops *bw_engine_module(const struct bw_engine *e, size_t i, const void **st);
const struct bw_matcher *bw_engine_matcher(const struct bw_engine *e);
int bw_engine_dir(const struct bw_engine *e);

int bw_worker_init(struct bw_worker *w);
void bw_worker_free(struct bw_worker *w);

/*
 * Evaluates blocks: the blocks to guard (guard_content ones when any has that
 * qualifier, else the unqualified ones) are normalised and scanned; grounding
 * source and query blocks are joined and handed to the modules. Findings are
 * left in w->f[0..w->nf), valid until the next evaluation on w.
 * Returns 0, BW_EUTF8 (*bad_block, *bad_off set), BW_ESCAN, BW_ENOMEM, BW_ELIMIT.
 */
int bw_engine_eval(const struct bw_engine *e, struct bw_worker *w, const struct bw_block *blocks, size_t nblocks,
                   size_t *bad_block, size_t *bad_off);

/*
 * Streaming: the offset of t's view from which text must be held back
 * because a pattern of some module may still be matching it (the minimum
 * of the modules' hold hooks); t->len when nothing is open.
 */
size_t bw_engine_hold(const struct bw_engine *e, const struct bw_text *t);

/* Is block i guarded (scanned by the non-grounding policies)? */
int bw_block_guarded(const struct bw_block *blocks, size_t nblocks, size_t i);

#endif
