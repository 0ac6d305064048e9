/*
 * json.h: strict JSON for configuration files, on top of cJSON.
 *
 * cJSON is lenient where a configuration loader must not be: it accepts
 * duplicate keys (keeping both), numbers such as "01" or "1.", invalid
 * UTF-8, and it says only where parsing stopped, not why. So a file is
 * first checked against RFC 8259 by a scanner of our own, which reports
 * the first syntax problem as "FILE:LINE:COL: problem" and caps nesting at
 * BW_MAX_JSON_DEPTH; only then is the tree built by cJSON, and duplicate
 * keys are reported from the tree with their JSON path.
 *
 * The validation context (struct bw_jv) then walks the tree with typed
 * getters. Each getter checks one key of an object, records a precise
 * error "FILE: json.path: problem" when the value is missing, of the wrong
 * type or out of bounds, and carries on, so a loader collects every error
 * of a file in one pass. Keys are looked up case-sensitively; unknown keys
 * are rejected with a did-you-mean suggestion. Nothing here knows about
 * guardrails: the proxy's own configuration loader uses the same helpers.
 */
#ifndef BW_JSON_H
#define BW_JSON_H

#include <cjson/cJSON.h>

#include "filters/bw.h"
#include "filters/errs.h"

/* Longest JSON path kept for messages; longer paths end in "...". */
#define BW_JSON_PATH_MAX 512

/*
 * Reads a whole file into a NUL-terminated buffer the caller frees. Returns
 * 0, BW_EIO (errno describes it), BW_ELIMIT when the file holds more than
 * max bytes (nothing is returned then), BW_ENOMEM.
 */
int bw_json_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Parses text (len bytes, need not be NUL-terminated) strictly into a cJSON
 * tree the caller frees with cJSON_Delete(). A UTF-8 byte-order mark is
 * skipped. Returns 0; BW_ECONFIG with the problem in errs: either one
 * syntax error "FILE:LINE:COL: problem" (*out is NULL), or one line per
 * duplicate key "FILE: path.key: duplicate key", in which case *out is
 * still set (first members win in bw_json_member()) so that the caller can
 * go on looking for other errors, and must free it; BW_ELIMIT when text is
 * longer than BW_MAX_CONFIG_BYTES (also reported in errs); BW_ENOMEM.
 * errs->file names the file in messages.
 */
int bw_json_parse(const char *text, size_t len, cJSON **out, struct bw_errs *errs);

/*
 * The position of byte offset off of text as a 1-based line and column
 * (columns count characters, not bytes). Exposed for callers that report
 * positions of their own.
 */
void bw_json_linecol(const char *text, size_t len, size_t off, unsigned *line, unsigned *col);

/* The closest name to s (case-insensitive edit distance), or NULL if none is close. */
const char *bw_json_suggest(const char *s, const char *const *names, size_t n);

/* Number of characters (code points) of a valid UTF-8 string. */
size_t bw_json_utf8_len(const char *s);

/*
 * True when text holds the escape \u0000. cJSON decodes it into a NUL that
 * ends the C string, so whatever follows would escape every check while the
 * raw body is still forwarded: request parsers refuse such bodies.
 */
int bw_json_has_nul_escape(const char *text, size_t len);

/* The four hexadecimal digits at s (after "\\u"): 0 and their value, or -1. */
int bw_json_hex4(const unsigned char *s, unsigned *out);

/* Length of the valid UTF-8 sequence at s[0] (a byte >= 0x80, avail bytes
 * readable), or 0: no overlongs, surrogates or code points above U+10FFFF. */
size_t bw_json_utf8_seq(const unsigned char *s, size_t avail);

/* "a string", "a number", ... for messages. */
const char *bw_json_type_name(const cJSON *j);

/* The first member key of obj (case-sensitive), or NULL. */
const cJSON *bw_json_member(const cJSON *obj, const char *key);

/* A validation walk over one document. */
struct bw_jv {
    struct bw_errs *errs;
    size_t nerr; /* errors recorded through this context */
    size_t plen;
    char path[BW_JSON_PATH_MAX];
};

void bw_jv_init(struct bw_jv *v, struct bw_errs *errs);

/*
 * Path steps: each returns a mark that bw_jv_pop() restores. Keys that are
 * not plain identifiers are written ["like this"].
 */
size_t bw_jv_key(struct bw_jv *v, const char *key);
size_t bw_jv_index(struct bw_jv *v, size_t i);
void bw_jv_pop(struct bw_jv *v, size_t mark);

/* Records "FILE: path: problem" at the current path. */
void bw_jv_err(struct bw_jv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Writes s into dst (size n) for a message: in double quotes, escaped as in
 * JSON, cut at 100 characters with "...". Returns dst.
 */
char *bw_jv_quote(char *dst, size_t n, const char *s);

/*
 * Rejects every member of obj whose key is not in allowed (n names) with
 * "path.key: unknown key (did you mean K?)". Returns the number rejected.
 */
size_t bw_jv_keys(struct bw_jv *v, const cJSON *obj, const char *const *allowed, size_t n);

/*
 * Typed getters. Each looks up key in obj (which the caller checked is an
 * object). Absent: records "missing required key" when required. Present:
 * checks the type and the bounds and records a problem at path.key.
 * Return 1 when the value is present and valid (*out set), 0 when absent,
 * -1 when present and invalid (an error was recorded).
 */
/* min/max in characters (code points), as AWS counts string lengths */
int bw_jv_string(struct bw_jv *v, const cJSON *obj, const char *key, int required, size_t min, size_t max,
                 const char **out);
int bw_jv_bool(struct bw_jv *v, const cJSON *obj, const char *key, int required, int *out);
int bw_jv_number(struct bw_jv *v, const cJSON *obj, const char *key, int required, double min, double max,
                 double *out);
int bw_jv_int(struct bw_jv *v, const cJSON *obj, const char *key, int required, long long min, long long max,
              long long *out);
/* names[*out] == value; what names the kind in "unknown <what> \"X\" (did you mean Y?)" */
int bw_jv_enum(struct bw_jv *v, const cJSON *obj, const char *key, int required, const char *what,
               const char *const *names, size_t n, int *out);
int bw_jv_object(struct bw_jv *v, const cJSON *obj, const char *key, int required, const cJSON **out);
/* min/max items; *out is set whenever the value is an array, even with
 * too few or too many items, so that its items can still be checked */
int bw_jv_array(struct bw_jv *v, const cJSON *obj, const char *key, int required, size_t min, size_t max,
                const cJSON **out);

/* The same checks on a value at the current path (array items, ...). */
int bw_jv_string_val(struct bw_jv *v, const cJSON *j, size_t min, size_t max, const char **out);
int bw_jv_enum_val(struct bw_jv *v, const cJSON *j, const char *what, const char *const *names, size_t n, int *out);
/* Is j an object? Records "expected an object, found ..." when not. */
int bw_jv_is_object(struct bw_jv *v, const cJSON *j);

#endif
