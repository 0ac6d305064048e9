/*
 * eval_cls.h: quality and speed of the statistical policies (content
 * filters, prompt attack, denied topics, contextual grounding) on the
 * shared evaluation data, and the train/dev split the trainer uses.
 *
 * Splits are by a hash of each row's text, so they do not depend on file
 * order and a row is in the same split on every machine: Davidson 70% train
 * / 30% dev; jailbreak prompts, benign queries and benign answers 50/50.
 * Figures are measured on dev rows only, which neither training nor
 * threshold calibration saw (calibration uses out-of-fold scores of the
 * train split). Denied topics and grounding are not trained: they are
 * measured on every row of their sets (and topics' negatives on the benign
 * dev split).
 */
#ifndef BW_EVAL_CLS_H
#define BW_EVAL_CLS_H

#include <stdio.h>

#include "filters/bw.h"

/* Is this text in the dev split (dev_pct percent of rows)? */
int bw_evc_is_dev(const char *text, size_t len, unsigned dev_pct);

struct bw_evc_opts {
    const char *data_dir; /* the shared data/ directory */
    const char *only;     /* NULL, or "content", "topics", "grounding" */
    int verbose;          /* print misclassified dev rows to stderr */
    int full;             /* every strength and per-category FPR rows, not only MEDIUM */
};

/*
 * Runs every evaluation and prints one markdown table to out. Returns 0,
 * BW_EIO (a data file is missing or unreadable: the message goes to
 * stderr), BW_ENOMEM, or the engine's error.
 */
int bw_evc_run(const struct bw_evc_opts *o, FILE *out);

/*
 * Writes the training sets of the content models as JSON lines
 * {"text":..., "label":0|1} into out_dir: hate.jsonl, insults.jsonl,
 * prompt_attack.jsonl. Train split rows only. Returns 0 or BW_EIO/BW_ENOMEM.
 */
int bw_evc_export(const char *data_dir, const char *out_dir);

#endif
