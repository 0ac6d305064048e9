/*
 * json_tree.h: one-pass strict JSON parser for request and answer bodies,
 * building a cJSON-shaped tree in an arena.
 *
 * The proxy parses every guarded body twice with the configuration parser
 * (policies/json.h): the strict RFC 8259 scanner, then cJSON's tree (one
 * malloc per node and per string), then a walk for duplicate keys, then a
 * free per node. This parser does all of it in one pass with bump
 * allocation from the request's arena, and accepts exactly the texts
 * bw_json_parse() accepts without errors, building the tree cJSON would
 * build (tests/fuzz/fuzz_json_tree.c checks both against each other).
 * It says only whether a text is accepted: for the message of a refused
 * body, run bw_json_parse() on it (refused bodies are rare; accepted ones
 * are the hot path).
 *
 * The nodes are struct cJSON, so every cJSON reader (cJSON_IsString,
 * ->child, cJSON_PrintUnformatted) works on them; they must never be
 * handed to cJSON_Delete() or any cJSON function that frees or adds
 * nodes: the tree goes with the arena.
 */
#ifndef BW_JSON_TREE_H
#define BW_JSON_TREE_H

#include <cjson/cJSON.h>

#include "filters/arena.h"

/*
 * Parses len bytes of text (need not be NUL-terminated; a UTF-8 byte-order
 * mark is skipped) into *out, allocated from a. text is not referenced
 * after the call. Returns 0; BW_EINVAL when bw_json_parse() would report
 * any problem (syntax, invalid UTF-8, "\u0000", unpaired surrogates,
 * numbers over 63 characters, nesting deeper than BW_MAX_JSON_DEPTH,
 * duplicate keys, more than BW_MAX_CONFIG_BYTES); BW_ELIMIT when the tree
 * does not fit under the arena's cap (a->max): the caller answers 413;
 * BW_ENOMEM. On failure *out is NULL; what was taken from a stays there.
 */
int bw_json_tree_parse(const char *text, size_t len, struct bw_arena *a, cJSON **out);

#endif
