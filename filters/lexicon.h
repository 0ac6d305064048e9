/*
 * lexicon.h: weighted lexicons of the content categories, compiled into the
 * guardrail's one matcher.
 *
 * Lexicon files live under conf/lexicons/content/ (built into the library,
 * filters/blob.h), one entry a line:
 *
 *     CATEGORY <TAB> WEIGHT <TAB> TERM
 *
 * CATEGORY is a Bedrock content category (HATE, INSULTS, ...). TERM is a
 * lower-case word or phrase matched caselessly on whole words ("ass" does
 * not fire in "class"), words of a phrase separated by one space in the
 * text (phrases are literals: regular expressions joining words by "\s+"
 * made the database take seconds to compile); a trailing '*' lets the last
 * word run on ("fuck*" matches "fucking"). A term
 * "re:EXPR" is a Hyperscan expression taken as it is (it must begin with a
 * literal: filters/matcher.h, perf-anchors); it is not boundary-checked.
 * Lines starting with '#' are comments.
 *
 * A hit adds its weight to its category once per block. Phrases of the
 * PROMPT_ATTACK, VIOLENCE and MISCONDUCT categories preceded by a negation
 * ("do not", "never") count a quarter; PROMPT_ATTACK phrases inside double
 * quotes count half (a user asking what "ignore previous instructions"
 * means is not attacking).
 */
#ifndef BW_LEXICON_H
#define BW_LEXICON_H

#include "filters/content.h"
#include "filters/errs.h"
#include "filters/matcher.h"

/*
 * Besides the six categories, entries of the pseudo-category HOWTO mark a
 * request for instructions ("how can I", "step by step"): they feed no
 * model, and make a VIOLENCE or MISCONDUCT hit in the same block weigh
 * BW_LEX_HOWTO_BONUS more (filters/content.c).
 */
#define BW_LEX_HOWTO BW_CAT__N
#define BW_LEX_NSCORES (BW_CAT__N + 1)
#define BW_LEX_HOWTO_BONUS 1.0f

#define BW_LEX_PREFIX 0x1 /* no right word boundary */
#define BW_LEX_REGEX 0x2  /* raw expression, no boundary checks */
#define BW_LEX_PHRASE 0x4 /* several words */

struct bw_lex_entry {
    uint8_t cat;      /* enum bw_cat, or BW_LEX_HOWTO */
    uint8_t flags;    /* BW_LEX_* */
    uint16_t tlen;    /* bytes of term */
    float weight;
    const char *term; /* lower case, words separated by one space, NUL-terminated */
};

struct bw_lexicon {
    struct bw_lex_entry *e;
    size_t n, cap;
    struct bw_arena *strs; /* owns the terms */
};

/*
 * The lexicon shipped under conf/lexicons/content/, loaded once per process
 * and shared (immutable). Returns NULL when a file is malformed or memory
 * ran out; *rv says which (BW_ECONFIG, BW_ENOMEM).
 */
const struct bw_lexicon *bw_lex_default(int *rv);

/* An empty lexicon, for tests and tools. Returns 0 or BW_ENOMEM. */
int bw_lex_new(struct bw_lexicon **out);
void bw_lex_free(struct bw_lexicon *lx);
/* Adds the entries of one file (name for errors). Returns 0, BW_ECONFIG (errs), BW_ENOMEM. */
int bw_lex_parse(struct bw_lexicon *lx, const char *name, const char *data, size_t len, struct bw_errs *errs);

/*
 * Adds a pattern per entry whose category is in catmask (bit per enum
 * bw_cat), as item base + entry index, module mod. Returns 0 or BW_E*.
 */
int bw_lex_patterns(const struct bw_lexicon *lx, unsigned catmask, struct bw_mbuild *mb, uint16_t mod,
                    uint32_t base, struct bw_errs *errs);

/*
 * Weighs a hit of entry ix ending at view offset `to`: returns its weight
 * after boundary, negation and quotation checks (0: not a hit), and marks
 * it in seen[] (a bitmap of lx->n bits) so a repeat returns 0.
 */
float bw_lex_hit(const struct bw_lexicon *lx, uint32_t ix, const char *view, size_t len, size_t to, uint8_t *seen);

/*
 * PROMPT_ATTACK score of encoded payloads: a run of at least
 * BW_LEX_ENCODED_MIN base64 characters mixing cases and digits, or of hex
 * digits, gives 1.5 (scanned in C: a class-led pattern would slow the whole
 * database, perf-anchors.md).
 */
#define BW_LEX_ENCODED_MIN 64
float bw_lex_encoded(const char *view, size_t len);

/* Bytes of the seen[] bitmap for lx. */
static inline size_t bw_lex_seen_size(const struct bw_lexicon *lx)
{
    return (lx->n + 7) / 8;
}

/*
 * A standalone scanner of a lexicon, for training and evaluation: scores
 * every category of a text at once (scores[BW_LEX_NSCORES]).
 */
struct bw_lexscan;
int bw_lexscan_new(const struct bw_lexicon *lx, struct bw_lexscan **out);
void bw_lexscan_free(struct bw_lexscan *ls);
int bw_lexscan_run(struct bw_lexscan *ls, const char *text, size_t len, float *scores);

/*
 * Content scoring helpers (filters/content.c), shared with training and
 * evaluation so they see exactly what the module sees.
 */
struct bw_linear;
/* detected = confidence >= threshold(strength), Bedrock's table; NONE strength never. */
int bw_content_detected(int strength, int confidence);
/* Dense model features from the six lexicon scores: x[c] = log(1 + lex[c]). */
void bw_content_dense(const float *lex, float *x);
/* Confidence a lexicon score alone gives. */
int bw_content_lex_level(float score);
/*
 * The shipped models by category (NULL: lexicon only), loaded once. Returns
 * 0, or BW_EFORMAT/BW_ENOMEM with err saying which file and why.
 */
int bw_content_models(const struct bw_linear *const **models, char *err, size_t errlen);

#endif
