/*
 * stream.h: the streaming output guard. Answers are guarded as they
 * stream: text deltas go in, checked (and masked) text comes out, as soon
 * as no pattern can still be matching it.
 *
 * Split invariance. The guard never acts on the upstream's chunking: it
 * walks the text by steps fixed by the text itself (the start of each word,
 * and the end), and at each step decides from the text up to that step
 * alone what to release and whether to block. Feeding "4111 1111" +
 * " 1111 1111" or the whole answer at once, or one byte at a time, gives
 * the same releases in the same pieces, so the client receives the same
 * bytes (HOUSE_STYLE: results must not change when the input is split).
 *
 * At each step the pattern policies (words, PII, regexes: the "span"
 * engine) are evaluated on a window: the held text plus some left context.
 * The release point is the earliest offset where a pattern may still be
 * open (each module's hold hook: "moth" could become a listed word, a digit
 * run a card number, a regex match is at most its width long), moved back
 * before any finding it would cut. Released text is masked. A BLOCK finding
 * stops the stream. Classifier policies (content filters, denied topics,
 * grounding: the "classifier" engine) are scored on the text so far at
 * sentence ends and at the end; in synchronous mode text is released only
 * up to the last sentence end they passed (no text reaches the client
 * before it was checked).
 *
 * Asynchronous mode releases each step at once and checks beside it: the
 * stream is cut at the first finding; masking is impossible there (config
 * refuses ANONYMIZE with async, as Bedrock does).
 */
#ifndef BW_STREAM_H
#define BW_STREAM_H

#include "filters/engine.h"

enum bw_smode { BW_STREAM_SYNC = 0, BW_STREAM_ASYNC };

struct bw_sguard;

/* Where released text goes: masked text of channel ch, in order. */
typedef int (*bw_release_fn)(void *ctx, unsigned ch, const char *text, size_t len);

struct bw_gconf;

struct bw_sguard_opts {
    int mode;                /* enum bw_smode */
    const struct bw_gconf *conf; /* for regex mask names; may be NULL */
    size_t max_bytes;        /* cap on the text of all channels; 0: 4 MiB */
    const char *source;      /* grounding source and query, or NULL */
    size_t source_len;
    const char *query;
    size_t query_len;
};

/*
 * A guard over engines span (may be NULL) and cls (may be NULL), both
 * OUTPUT-direction engines that outlive the guard. Returns 0 or BW_ENOMEM.
 */
int bw_sguard_new(const struct bw_engine *span, const struct bw_engine *cls, const struct bw_sguard_opts *o,
                  struct bw_sguard **out);
void bw_sguard_free(struct bw_sguard *sg);

/*
 * Feeds a text delta of channel ch (a choice, a content block, tool-call
 * arguments; channels are guarded separately). release() is called zero or
 * more times. Returns 0 (check bw_sguard_blocked()), BW_ELIMIT (over
 * max_bytes), BW_EUTF8, BW_ESCAN, BW_ENOMEM: callers fail closed.
 */
int bw_sguard_feed(struct bw_sguard *sg, struct bw_worker *w, unsigned ch, const char *p, size_t n, bw_release_fn fn,
                   void *ctx);

/* End of the answer: final checks (grounding, classifiers) and release of the rest. */
int bw_sguard_finish(struct bw_sguard *sg, struct bw_worker *w, bw_release_fn fn, void *ctx);

/* Has the guard blocked? After a block nothing more is released. */
int bw_sguard_blocked(const struct bw_sguard *sg);
/* Has anything been masked so far? */
int bw_sguard_masked(const struct bw_sguard *sg);

/* Number of channels seen; text of channel ch so far (original, unmasked). */
unsigned bw_sguard_nchannels(const struct bw_sguard *sg);
struct bw_iov bw_sguard_text(const struct bw_sguard *sg, unsigned ch);

/*
 * Findings so far (span findings released or blocking, plus the latest
 * classifier findings), with block = channel, offsets in the channel text.
 * Valid until the next call on sg.
 */
const struct bw_finding *bw_sguard_findings(struct bw_sguard *sg, size_t *n);

/*
 * Channel ch's progress in its original text: bytes fed so far and bytes
 * released so far (a release callback sees the new released end). Callers
 * use them to keep other events in order with the text. 0s for an unknown
 * channel.
 */
void bw_sguard_pos(const struct bw_sguard *sg, unsigned ch, size_t *fed, size_t *released);

/* Processing time spent in the guard, nanoseconds. */
uint64_t bw_sguard_ns(const struct bw_sguard *sg);

#endif
