/*
 * gconf.h: a guardrail configuration, validated: Bedrock's CreateGuardrail
 * request body or GetGuardrail response, read from JSON into the policy
 * modules' own configuration types. Loading collects every error of a file
 * as "FILE: JSON.path: problem" ("FILE:LINE:COL: problem" for malformed
 * JSON); unknown and duplicate keys are errors.
 */
#ifndef BW_GCONF_H
#define BW_GCONF_H

#include "filters/arena.h"
#include "filters/content.h"
#include "filters/errs.h"
#include "filters/grounding.h"
#include "filters/topics.h"
#include "filters/words.h"
#include "pii/pii.h"

struct bw_gconf {
    struct bw_arena arena; /* owns every string and array below */
    const char *file;      /* as given to the loader */
    const char *name;
    const char *description;       /* may be NULL */
    const char *blocked_input;     /* blockedInputMessaging */
    const char *blocked_output;    /* blockedOutputsMessaging */
    int has_content, has_topics, has_words, has_pii, has_regex, has_grounding;
    struct bw_content_conf content;
    struct bw_topics_conf topics;
    struct bw_words_conf words;
    struct bw_pii_conf pii;
    struct bw_regex_conf regex;
    struct bw_grounding_conf grounding;
    /* accepted, validated and not acted on by a self-hosted proxy */
    int has_automated_reasoning;
    const char *cross_region_profile;
    const char *kms_key;
};

/*
 * Loads and validates a guardrail file. On success *out is a new
 * configuration the caller frees with bw_gconf_free(). On failure returns
 * BW_ECONFIG (every problem in errs), BW_EIO or BW_ENOMEM.
 */
int bw_gconf_load_file(const char *path, struct bw_gconf **out, struct bw_errs *errs);

/*
 * Reads a configuration file (at most BW_MAX_CONFIG_BYTES) into a malloc'd,
 * NUL-terminated buffer. On failure adds "FILE: problem" to errs and returns
 * BW_EIO, BW_ENOMEM or BW_ECONFIG (too large).
 */
int bw_conf_read_file(const char *path, char **buf, size_t *len, struct bw_errs *errs);

/* The same from a buffer; label names it in errors. */
int bw_gconf_load_mem(const char *label, const char *json, size_t len, struct bw_gconf **out, struct bw_errs *errs);

void bw_gconf_free(struct bw_gconf *c);

#endif
