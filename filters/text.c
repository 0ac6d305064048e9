/* text.c: UTF-8 stepping and character classes for the detectors. */
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
/*
 * The continuation bytes of s[0..n), n a multiple of 64, with AVX2: the
 * compare reads memory directly and 64 bytes take seven instructions,
 * where gcc's SSE2 loop below takes 13 for 16 (register copies).
 */
__attribute__((target("avx2"))) static size_t cont_avx2(const char *s, size_t n)
{
    const __m256i lim = _mm256_set1_epi8(-64), zero = _mm256_setzero_si256();
    size_t i = 0, c = 0;

    while (i < n) {
        __m256i a = zero, b = zero;
        __m128i h;
        size_t k;
        /* at most 255 steps per lane count */
        for (k = 0; k < 255 && i < n; k++, i += 64) {
            a = _mm256_sub_epi8(a, _mm256_cmpgt_epi8(lim, _mm256_loadu_si256((const __m256i *)(const void *)(s + i))));
            b = _mm256_sub_epi8(b, _mm256_cmpgt_epi8(lim, _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 32))));
        }
        a = _mm256_add_epi64(_mm256_sad_epu8(a, zero), _mm256_sad_epu8(b, zero));
        h = _mm_add_epi64(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
        c += (size_t)_mm_cvtsi128_si64(h) + (size_t)_mm_extract_epi64(h, 1);
    }
    return c;
}
#endif

/*
 * Code points = bytes that are not continuation bytes (10xxxxxx). Eight
 * bytes at a time: apply() counts every block for its usage figures, and a
 * byte loop cost 3% of a default-guardrail apply().
 */
size_t bw_utf8_count(const char *s, size_t n)
{
    const uint64_t lo = 0x0101010101010101ull;
    size_t i = 0, c = 0;

#if defined(__GNUC__) && defined(__x86_64__)
    if (n >= 64 && __builtin_cpu_supports("avx2")) {
        i = n & ~(size_t)63;
        c = i - cont_avx2(s, i);
    }
#endif
#ifdef __SSE2__
    /* sixteen bytes a step: a continuation byte is a signed byte below -64 */
    {
        const __m128i lim = _mm_set1_epi8(-64), zero = _mm_setzero_si128();
        while (i + 16 <= n) {
            __m128i acc = zero;
            size_t k;
            /* at most 255 steps per lane count */
            for (k = 0; k < 255 && i + 16 <= n; k++, i += 16) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
                acc = _mm_sub_epi8(acc, _mm_cmplt_epi8(x, lim));
            }
            acc = _mm_sad_epu8(acc, zero);
            c += k * 16 - (size_t)(_mm_cvtsi128_si32(acc) + _mm_cvtsi128_si32(_mm_srli_si128(acc, 8)));
        }
    }
#endif

    while (i + 8 <= n) {
        uint64_t acc = 0;
        size_t k;
        /* at most 255 words per lane sum, so no byte lane overflows */
        for (k = 0; k < 255 && i + 8 <= n; k++, i += 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            /* 1 in each byte lane whose byte is not 10xxxxxx: bit 7 clear or bit 6 set */
            acc += ((~w >> 7) | (w >> 6)) & lo;
        }
        acc = (acc & 0x00ff00ff00ff00ffull) + ((acc >> 8) & 0x00ff00ff00ff00ffull);
        c += (size_t)((acc * 0x0001000100010001ull) >> 48);
    }
    for (; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}
