/*
 * norm.h: the normalised view of a text that every detector scans, with a
 * map from each byte of the view back to the original text.
 *
 * The view is NFKC (compatibility composition: full-width, ligatures,
 * super/subscripts, ...), with default-ignorable code points removed
 * (zero-width spaces and joiners, soft hyphens, bidi and tag characters,
 * variation selectors), and in words that mix Latin with Cyrillic or Greek
 * letters the look-alike letters are folded to Latin ("pаypal" with a
 * Cyrillic a reads "paypal").
 *
 * Case is folded by matching, not by rewriting: every detector pattern is
 * compiled caseless (Hyperscan applies Unicode case folding in UTF-8 mode),
 * which keeps the case of structured identifiers (IBAN, BIC, AWS keys) and
 * of user regexes, and lets pure ASCII text be its own view: the common case
 * costs one pass to classify the bytes and no copy. Findings are always
 * reported at offsets of the ORIGINAL text.
 */
#ifndef BW_NORM_H
#define BW_NORM_H

#include "filters/bw.h"

/* A text as the detectors see it: the original and its view. */
struct bw_text {
    const char *orig;
    size_t orig_len;
    const char *view;
    size_t len;
    const uint32_t *map; /* view byte -> original byte; NULL when identity */
};

struct bw_norm {
    const char *text;    /* the view; == input when identity */
    size_t len;
    const uint32_t *map; /* view byte -> original byte; NULL when identity */
    size_t orig_len;
    size_t bad_off;      /* first invalid byte after BW_EUTF8 */
    /* owned storage, reused from call to call */
    char *obuf;
    uint32_t *mbuf;
    size_t ocap;
};

void bw_norm_init(struct bw_norm *nm);
void bw_norm_free(struct bw_norm *nm);

/*
 * Builds the view of s[0..n). The view stays valid until the next call or
 * bw_norm_free(), and borrows s when it is the identity.
 * Returns 0, BW_EUTF8 (nm->bad_off set), BW_ENOMEM, BW_ELIMIT.
 */
int bw_norm_run(struct bw_norm *nm, const char *s, size_t n);

/*
 * Is the text all ASCII? Only such a text is its own view (bw_norm_run()
 * copies any other), so it holds as many code points as bytes.
 */
static inline int bw_text_ascii(const struct bw_text *t)
{
    return t->view == t->orig && t->map == NULL && t->len == t->orig_len;
}

/* Checks that s is valid UTF-8; on BW_EUTF8 sets *bad to the offending offset. */
int bw_utf8_check(const char *s, size_t n, size_t *bad);

/* True when every byte is below 0x80. */
int bw_is_ascii(const char *s, size_t n);

/* Original offset of view offset off (a start). */
static inline size_t bw_norm_start(const uint32_t *map, size_t len, size_t orig_len, size_t off)
{
    if (map == NULL)
        return off;
    return off < len ? map[off] : orig_len;
}

/*
 * Original offset of view offset end (an exclusive end). A span that ends
 * inside the expansion of one original character (the first "s" of the "ss"
 * that "ß" folds to) ends after that character.
 */
static inline size_t bw_norm_end(const uint32_t *map, size_t len, size_t orig_len, size_t end)
{
    size_t k;

    if (map == NULL)
        return end;
    if (end == 0)
        return len ? map[0] : 0;
    for (k = end; k < len && map[k] == map[end - 1]; k++)
        ;
    return k < len ? map[k] : orig_len;
}

#endif
