/*
 * text.h: small UTF-8 helpers the detectors share: step over code points,
 * classify word characters, compare ASCII case-insensitively.
 */
#ifndef BW_TEXT_H
#define BW_TEXT_H

#include "filters/bw.h"

/* Decodes the code point starting at s[i] (s valid UTF-8); returns its length. */
size_t bw_utf8_next(const char *s, size_t n, size_t i, int32_t *cp);
/* Decodes the code point ending just before s[i]; returns its start. */
size_t bw_utf8_prev(const char *s, size_t i, int32_t *cp);
/* Letters, marks and digits of any script, and '_'. */
int bw_is_word_cp(int32_t cp);
/* Scripts written without spaces between words (CJK, Kana, Hangul, Thai...). */
int bw_is_unspaced_cp(int32_t cp);
/* Is there a word character right before s[i] / at s[i]? */
int bw_word_before(const char *s, size_t i);
int bw_word_at(const char *s, size_t n, size_t i);
/* Number of code points in s[0..n). */
size_t bw_utf8_count(const char *s, size_t n);

static inline int bw_ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

#endif
