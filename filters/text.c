/* text.c: UTF-8 stepping and character classes for the detectors. */
#include <utf8proc.h>

#include "filters/text.h"

size_t bw_utf8_next(const char *s, size_t n, size_t i, int32_t *cp)
{
    utf8proc_int32_t c;
    utf8proc_ssize_t k;

    if ((unsigned char)s[i] < 0x80) {
        *cp = (unsigned char)s[i];
        return 1;
    }
    k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
    if (k <= 0) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = c;
    return (size_t)k;
}

size_t bw_utf8_prev(const char *s, size_t i, int32_t *cp)
{
    size_t j = i;

    if (i == 0) {
        *cp = -1;
        return 0;
    }
    do
        j--;
    while (j > 0 && i - j < 4 && ((unsigned char)s[j] & 0xc0) == 0x80);
    bw_utf8_next(s, i, j, cp);
    return j;
}

int bw_is_word_cp(int32_t cp)
{
    utf8proc_category_t c;

    if (cp < 0)
        return 0;
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
    c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME) || c == UTF8PROC_CATEGORY_ND ||
           c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

int bw_is_unspaced_cp(int32_t cp)
{
    return (cp >= 0x0e00 && cp <= 0x0eff) ||   /* Thai, Lao */
           (cp >= 0x1000 && cp <= 0x109f) ||   /* Myanmar */
           (cp >= 0x1780 && cp <= 0x17ff) ||   /* Khmer */
           (cp >= 0x2e80 && cp <= 0x9fff) ||   /* CJK radicals .. unified ideographs, kana */
           (cp >= 0xac00 && cp <= 0xd7af) ||   /* Hangul syllables */
           (cp >= 0xf900 && cp <= 0xfaff) ||   /* CJK compatibility */
           (cp >= 0xff66 && cp <= 0xff9f) ||   /* half-width kana */
           (cp >= 0x20000 && cp <= 0x3134f);   /* CJK extensions */
}

int bw_word_before(const char *s, size_t i)
{
    int32_t cp;

    if (i == 0)
        return 0;
    bw_utf8_prev(s, i, &cp);
    return bw_is_word_cp(cp);
}

int bw_word_at(const char *s, size_t n, size_t i)
{
    int32_t cp;

    if (i >= n)
        return 0;
    bw_utf8_next(s, n, i, &cp);
    return bw_is_word_cp(cp);
}

size_t bw_utf8_count(const char *s, size_t n)
{
    size_t i, c = 0;

    for (i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}
