/*
 * norm.c: the NFKC view with an offset map (see norm.h).
 *
 * Work is done per segment: a starter and the combining marks after it, so
 * that composition sees a whole grapheme while every output byte still maps
 * to one original position. Segments are capped at SEG_MAX code points;
 * longer runs of marks ("zalgo" text) are cut, which only affects how they
 * compose, never what is scanned.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "filters/limits.h"
#include "filters/norm.h"

#define SEG_MAX 32
#define SEG_OUT 256 /* decomposition of SEG_MAX code points fits easily */

void bw_norm_init(struct bw_norm *nm)
{
    memset(nm, 0, sizeof(*nm));
}

void bw_norm_free(struct bw_norm *nm)
{
    free(nm->obuf);
    free(nm->mbuf);
    memset(nm, 0, sizeof(*nm));
}

/*
 * End of the run of ASCII bytes starting at p[i]: 64 bytes a step with
 * AVX2 where the CPU has it and the run may be long, 32 with SSE2 (a
 * quarter of the instructions of the 8-byte loop; this check runs over
 * every text, twice for a text with a non-ASCII byte), then 8, then 1.
 */
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
/* 64 bytes a step with AVX2, for long runs (a whole ASCII text): half the SSE2 loop's instructions. */
__attribute__((target("avx2"))) static size_t ascii_run64(const unsigned char *p, size_t i, size_t n)
{
    for (; i + 64 <= n; i += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32));
        if (_mm256_movemask_epi8(_mm256_or_si256(a, b)))
            break;
    }
    return i;
}

/*
 * The offsets base, base + 1, ... into m[0..n), n a multiple of 8: eight a
 * store, four stores a step (a third of the instructions of one a step).
 */
__attribute__((target("avx2"))) static void fill_map8(uint32_t *m, uint32_t base, size_t n)
{
    __m256i v = _mm256_add_epi32(_mm256_set1_epi32((int)base), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i eight = _mm256_set1_epi32(8), c16 = _mm256_set1_epi32(16), c24 = _mm256_set1_epi32(24),
                  c32 = _mm256_set1_epi32(32);
    size_t k;

    for (k = 0; k + 32 <= n; k += 32) {
        _mm256_storeu_si256((__m256i *)(void *)(m + k), v);
        _mm256_storeu_si256((__m256i *)(void *)(m + k + 8), _mm256_add_epi32(v, eight));
        _mm256_storeu_si256((__m256i *)(void *)(m + k + 16), _mm256_add_epi32(v, c16));
        _mm256_storeu_si256((__m256i *)(void *)(m + k + 24), _mm256_add_epi32(v, c24));
        v = _mm256_add_epi32(v, c32);
    }
    for (; k < n; k += 8) {
        _mm256_storeu_si256((__m256i *)(void *)(m + k), v);
        v = _mm256_add_epi32(v, eight);
    }
}
#endif

static size_t ascii_run(const unsigned char *p, size_t i, size_t n)
{
#ifdef HAVE_AVX2_PATH
    if (n - i >= 256 && __builtin_cpu_supports("avx2"))
        i = ascii_run64(p, i, n);
#endif
#ifdef __SSE2__
    for (; i + 32 <= n; i += 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        if (_mm_movemask_epi8(_mm_or_si128(a, b)))
            break;
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull)
            break;
    }
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

/*
 * The whole 8-byte steps, then the last eight overlapping what was read
 * (below eight, 4 + 4 or the first, middle and last byte): never a byte
 * outside s[0..n). The word module asks it for the few bytes before each
 * trigger match, where a byte loop was a third of the test.
 */
int bw_is_ascii(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t w;
    uint32_t a, b;

    if (n >= 8) {
        size_t m = n & ~(size_t)7;
        if (ascii_run(p, 0, m) != m)
            return 0;
        memcpy(&w, p + n - 8, 8);
        return !(w & 0x8080808080808080ull);
    }
    if (n >= 4) {
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return !((a | b) & 0x80808080u);
    }
    return n == 0 || !((p[0] | p[n / 2] | p[n - 1]) & 0x80);
}

int bw_utf8_check(const char *s, size_t n, size_t *bad)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t i = 0;

    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k;

        if (p[i] < 0x80) {
            i = ascii_run(p, i, n);
            continue;
        }
        k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k < 0) {
            if (bad)
                *bad = i;
            return BW_EUTF8;
        }
        i += (size_t)k;
    }
    return BW_OK;
}

static int reserve(struct bw_norm *nm, size_t need)
{
    size_t ncap;
    char *o;
    uint32_t *m;

    if (need <= nm->ocap)
        return BW_OK;
    if (need > (size_t)BW_MAX_TEXT_BYTES * 4)
        return BW_ELIMIT;
    ncap = nm->ocap ? nm->ocap : 1024;
    while (ncap < need)
        ncap *= 2;
    if ((o = realloc(nm->obuf, ncap)) == NULL)
        return BW_ENOMEM;
    nm->obuf = o;
    if ((m = realloc(nm->mbuf, ncap * sizeof(*m))) == NULL)
        return BW_ENOMEM;
    nm->mbuf = m;
    nm->ocap = ncap;
    return BW_OK;
}

/* Look-alike letters that mixed-script words use to dodge word lists. */
static int confusable(utf8proc_int32_t cp)
{
    switch (cp) {
    /* Cyrillic */
    case 0x0410: return 'A';
    case 0x0412: return 'B';
    case 0x0415: return 'E';
    case 0x041a: return 'K';
    case 0x041c: return 'M';
    case 0x041d: return 'H';
    case 0x041e: return 'O';
    case 0x0420: return 'P';
    case 0x0421: return 'C';
    case 0x0422: return 'T';
    case 0x0423: return 'Y';
    case 0x0425: return 'X';
    case 0x0405: return 'S';
    case 0x0406: return 'I';
    case 0x0408: return 'J';
    case 0x0430: return 'a';
    case 0x0432: return 'b';
    case 0x0435: return 'e';
    case 0x043a: return 'k';
    case 0x043c: return 'm';
    case 0x043d: return 'h';
    case 0x043e: return 'o';
    case 0x0440: return 'p';
    case 0x0441: return 'c';
    case 0x0442: return 't';
    case 0x0443: return 'y';
    case 0x0445: return 'x';
    case 0x0455: return 's';
    case 0x0456: return 'i';
    case 0x0458: return 'j';
    case 0x04bb: return 'h';
    case 0x0501: return 'd';
    case 0x051b: return 'q';
    case 0x051d: return 'w';
    /* Greek */
    case 0x0391: return 'A';
    case 0x0392: return 'B';
    case 0x0395: return 'E';
    case 0x0396: return 'Z';
    case 0x0397: return 'H';
    case 0x0399: return 'I';
    case 0x039a: return 'K';
    case 0x039c: return 'M';
    case 0x039d: return 'N';
    case 0x039f: return 'O';
    case 0x03a1: return 'P';
    case 0x03a4: return 'T';
    case 0x03a5: return 'Y';
    case 0x03a7: return 'X';
    case 0x03b1: return 'a';
    case 0x03b5: return 'e';
    case 0x03b9: return 'i';
    case 0x03ba: return 'k';
    case 0x03bd: return 'v';
    case 0x03bf: return 'o';
    case 0x03c1: return 'p';
    case 0x03c4: return 't';
    case 0x03c5: return 'u';
    case 0x03c7: return 'x';
    case 0x03b7: return 'n';
    case 0x03b6: return 'z';
    case 0x03b2: return 'b';
    case 0x03bc: return 'u';
    }
    return 0;
}

static int is_latin_letter(utf8proc_int32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7);
}

static int is_wordish(utf8proc_int32_t cp)
{
    utf8proc_category_t c;

    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME) || c == UTF8PROC_CATEGORY_ND;
}

/*
 * Folds look-alike letters in the words of the view that mix them with Latin
 * letters, in place (folding only shrinks: two bytes become one). Runs only
 * when the view holds a look-alike at all.
 */
static size_t fold_confusables(char *o, uint32_t *m, size_t len)
{
    size_t r = 0, w = 0;

    while (r < len) {
        size_t ws = r, k;
        int latin = 0, conf = 0;
        utf8proc_int32_t cp;

        /* one word: a maximal run of word characters */
        while (r < len) {
            k = (size_t)utf8proc_iterate((const utf8proc_uint8_t *)o + r, (utf8proc_ssize_t)(len - r), &cp);
            if ((utf8proc_ssize_t)k <= 0)
                k = 1, cp = 0;
            if (!is_wordish(cp))
                break;
            if (confusable(cp))
                conf = 1;
            else if (is_latin_letter(cp))
                latin = 1;
            r += k;
        }
        if (latin && conf) {
            size_t q = ws;
            while (q < r) {
                int f;
                k = (size_t)utf8proc_iterate((const utf8proc_uint8_t *)o + q, (utf8proc_ssize_t)(r - q), &cp);
                if ((utf8proc_ssize_t)k <= 0)
                    k = 1, cp = 0;
                if ((f = confusable(cp)) != 0) {
                    o[w] = (char)f;
                    m[w++] = m[q];
                } else {
                    memmove(o + w, o + q, k);
                    memmove(m + w, m + q, k * sizeof(*m));
                    w += k;
                }
                q += k;
            }
        } else if (w != ws) {
            memmove(o + w, o + ws, r - ws);
            memmove(m + w, m + ws, (r - ws) * sizeof(*m));
            w += r - ws;
        } else {
            w = r;
        }
        /* the separator after it (or an undecodable byte) */
        if (r < len) {
            k = (size_t)utf8proc_iterate((const utf8proc_uint8_t *)o + r, (utf8proc_ssize_t)(len - r), &cp);
            if ((utf8proc_ssize_t)k <= 0)
                k = 1;
            if (w != r) {
                memmove(o + w, o + r, k);
                memmove(m + w, m + r, k * sizeof(*m));
            }
            w += k;
            r += k;
        }
    }
    return w;
}

int bw_norm_run(struct bw_norm *nm, const char *s, size_t n)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    const utf8proc_option_t opt = UTF8PROC_COMPAT | UTF8PROC_IGNORE;
    size_t i = 0, w = 0, a0;
    int rv, any_conf = 0;

    nm->orig_len = n;
    nm->bad_off = 0;
    if (n > BW_MAX_TEXT_BYTES)
        return BW_ELIMIT;
    /* the ASCII prefix is valid UTF-8: the check starts after it */
    if ((a0 = i = ascii_run(p, 0, n)) == n) {
        nm->text = s;
        nm->len = n;
        nm->map = NULL;
        return BW_OK;
    }
    if ((rv = bw_utf8_check(s + i, n - i, &nm->bad_off)) != 0) {
        nm->bad_off += i;
        return rv;
    }
    i = 0;
    if ((rv = reserve(nm, n + n / 2 + 64)) != 0)
        return rv;

    while (i < n) {
        utf8proc_int32_t seg[SEG_OUT];
        utf8proc_ssize_t nseg, q;
        size_t j = i, ncp = 0, segstart;

        /* a run of ASCII is copied as is; its last byte may start a
           combining sequence, so it waits for the segment path */
        j = i == 0 ? a0 : ascii_run(p, i, n); /* the first run was measured above */
        if (j < n && j > i)
            j--;
        if (j > i) {
            size_t k;
            uint32_t *m, base;
            if ((rv = reserve(nm, w + (j - i) + 4)) != 0)
                return rv;
            m = nm->mbuf + w;
            base = (uint32_t)i;
            memcpy(nm->obuf + w, s + i, j - i);
            k = 0;
#ifdef HAVE_AVX2_PATH
            if (j - i >= 64 && __builtin_cpu_supports("avx2")) {
                k = (j - i) & ~(size_t)7;
                fill_map8(m, base, k);
            }
#endif
#ifdef __SSE2__
            /* -O2 does not vectorise this loop (its trip count is unknown): four offsets a store */
            {
                __m128i v = _mm_add_epi32(_mm_set1_epi32((int)(base + k)), _mm_setr_epi32(0, 1, 2, 3));
                const __m128i four = _mm_set1_epi32(4);
                for (; k + 4 <= j - i; k += 4) {
                    _mm_storeu_si128((__m128i *)(void *)(m + k), v);
                    v = _mm_add_epi32(v, four);
                }
            }
#endif
            for (; k < j - i; k++)
                m[k] = base + (uint32_t)k;
            w += j - i;
            i = j;
            if (i >= n)
                break;
        }
        /* a segment: one starter and the non-starters that follow it */
        segstart = i;
        while (j < n && ncp < SEG_MAX) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t k = utf8proc_iterate(p + j, (utf8proc_ssize_t)(n - j), &cp);
            if (k < 0)
                return BW_EUTF8; /* checked above; keeps the analyser honest */
            if (ncp > 0 && utf8proc_get_property(cp)->combining_class == 0)
                break;
            j += (size_t)k;
            ncp++;
        }
        nseg = utf8proc_decompose_custom(p + i, (utf8proc_ssize_t)(j - i), seg, SEG_OUT, opt | UTF8PROC_DECOMPOSE,
                                         NULL, NULL);
        if (nseg < 0 || nseg > SEG_OUT)
            return BW_EUTF8;
        nseg = utf8proc_normalize_utf32(seg, nseg, opt | UTF8PROC_COMPOSE);
        if (nseg < 0)
            return BW_EUTF8;
        if ((rv = reserve(nm, w + (size_t)nseg * 4 + 4)) != 0)
            return rv;
        for (q = 0; q < nseg; q++) {
            utf8proc_ssize_t k = utf8proc_encode_char(seg[q], (utf8proc_uint8_t *)nm->obuf + w);
            for (utf8proc_ssize_t b = 0; b < k; b++)
                nm->mbuf[w + (size_t)b] = (uint32_t)segstart;
            w += (size_t)k;
            any_conf |= confusable(seg[q]) != 0;
        }
        i = j;
    }
    if (any_conf)
        w = fold_confusables(nm->obuf, nm->mbuf, w);
    nm->text = nm->obuf;
    nm->len = w;
    nm->map = nm->mbuf;
    return BW_OK;
}
