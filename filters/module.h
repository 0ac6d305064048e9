/*
 * module.h: the policy-module interface (nginx modules, haproxy flt_ops).
 *
 * A policy module turns its part of a guardrail configuration into patterns
 * of the direction's one matcher plus immutable state (compile), receives
 * the matches of its patterns (on_match), and turns what it saw into
 * findings (end_block, finish). A NULL slot is a no-op. Modules never scan
 * text on their own if a pattern can do it: one pass of the matcher feeds
 * every module.
 *
 * Offsets given to modules are offsets of the normalised view of the block
 * being scanned (ev->text); findings are recorded at ORIGINAL offsets by
 * bw_eval_add_span().
 */
#ifndef BW_MODULE_H
#define BW_MODULE_H

#include "filters/bw.h"
#include "filters/norm.h"

struct bw_mbuild;
struct bw_errs;
struct bw_worker;

enum bw_dir { BW_DIR_INPUT = 0, BW_DIR_OUTPUT = 1 };

/* Configured action (Bedrock BLOCK / ANONYMIZE / NONE). */
enum bw_action { BW_ACT_NONE = 0, BW_ACT_BLOCK = 1, BW_ACT_ANONYMIZE = 2 };

/* Policy kinds, in the order Bedrock renders them. */
enum bw_policy {
    BW_POL_TOPIC = 0,
    BW_POL_CONTENT,
    BW_POL_WORD,
    BW_POL_PII,
    BW_POL_REGEX,
    BW_POL_GROUNDING,
    BW_POL__N
};

/* Confidence of a content filter (Bedrock NONE/LOW/MEDIUM/HIGH). */
enum bw_conf { BW_CONF_NONE = 0, BW_CONF_LOW, BW_CONF_MEDIUM, BW_CONF_HIGH };

/* What every configurable Bedrock item has, per direction. */
struct bw_actcfg {
    uint8_t action[2];  /* enum bw_action by enum bw_dir */
    uint8_t enabled[2];
};

/* Content block qualifiers (ApplyGuardrail). */
#define BW_QUAL_GROUNDING 0x1
#define BW_QUAL_QUERY 0x2
#define BW_QUAL_GUARD 0x4

/*
 * One finding. Span findings (words, PII, regexes) have start < end in the
 * original text of content block `block`; assessment findings (content
 * categories, topics, grounding) have start == end.
 */
struct bw_finding {
    uint32_t block;
    uint32_t start, end;
    uint8_t policy;     /* enum bw_policy */
    uint8_t action;     /* configured action for this direction */
    uint8_t detected;   /* reported as detected; the action applies only then */
    uint8_t confidence; /* enum bw_conf, content filters */
    uint8_t strength;   /* enum bw_conf as filter strength, content filters */
    uint8_t sub;        /* policy-specific: word list kind, ... */
    uint8_t dup;        /* same match as an earlier finding: reported once (set by apply) */
    uint16_t type;      /* PII entity, content category, grounding type, managed list */
    uint16_t prio;      /* tie-break when spans overlap: higher wins */
    uint32_t item;      /* index of the configured item (word, regex, topic) */
    float score;        /* grounding score, classifier probability */
    float threshold;    /* grounding threshold */
};

/* One evaluation of a guardrail direction over the content of a request. */
struct bw_eval {
    int dir;                     /* enum bw_dir */
    const struct bw_text *texts; /* guarded blocks (views built by the engine) */
    uint32_t ntexts;
    uint32_t block;              /* index of the block being scanned */
    const struct bw_text *text;  /* == &texts[block] while scanning */
    struct bw_iov source;        /* grounding source (qualified blocks, joined) */
    struct bw_iov query;         /* query (qualified blocks, joined) */
    int has_source, has_query;
    struct bw_worker *w;         /* findings go here */
};

struct bw_module_ops {
    const char *name;
    enum bw_policy policy;
    /*
     * Reads the module's part of a validated configuration (conf, a type the
     * module's header declares) for direction dir, adds its patterns with
     * module id `mod`, and builds *st. *st may be left NULL when nothing is
     * enabled in this direction. Returns 0 or BW_E*; problems the validator
     * could not see (a pattern that does not compile) go to errs.
     */
    int (*compile)(const void *conf, int dir, struct bw_mbuild *mb, uint16_t mod, void **st, struct bw_errs *errs);
    /* Bytes of zeroed scratch this module needs per evaluation. */
    size_t (*scratch_size)(const void *st);
    int (*begin_block)(const void *st, struct bw_eval *ev, void *es);
    int (*on_match)(const void *st, struct bw_eval *ev, void *es, uint32_t item, size_t from, size_t to);
    int (*end_block)(const void *st, struct bw_eval *ev, void *es);
    /* After every block: emit assessment findings. */
    int (*finish)(const void *st, struct bw_eval *ev, void *es);
    void (*free)(void *st);
    /*
     * Streaming: the view offset from which the end of text t must be held
     * back because one of the module's patterns may still be matching it
     * ("moth" could become a listed word; "4111 1111" a card number).
     * Returns t->len when nothing is open. NULL: the module holds nothing
     * (classifiers are gated at sentence boundaries instead).
     */
    size_t (*hold)(const void *st, const struct bw_text *t);
};

/*
 * Records a finding. For span findings, from/to are offsets of the view of
 * the current block and are mapped to the original text here. Returns 0,
 * BW_ENOMEM or BW_ELIMIT.
 */
int bw_eval_add_span(struct bw_eval *ev, struct bw_finding *f, size_t from, size_t to);
int bw_eval_add(struct bw_eval *ev, const struct bw_finding *f);

/*
 * The words of the block being scanned (bw_tok_next over ev->text->view),
 * read once per block and shared by every scorer that needs them (content
 * models, topics, grounding): each used to read the text on its own. The
 * list belongs to the worker and is valid until the next block. NULL when
 * there is no block or it has too many words to keep (BW_MAX_TOKLIST): the
 * caller then reads the view itself (bw_tokit_init takes either).
 */
struct bw_toklist;
const struct bw_toklist *bw_eval_words(struct bw_eval *ev);

/*
 * The words of the grounding source (ev->source, the grounding blocks
 * joined), read once per evaluation like bw_eval_words: the source is the
 * same for every guarded block. Owned by the worker, valid until the next
 * evaluation. NULL without a source or when it has too many words to keep.
 */
const struct bw_toklist *bw_eval_source_words(struct bw_eval *ev);

#endif
