/*
 * tokens.c: words of a view for the statistical scorers, a crude English
 * stemmer and a function-word list. Kept here so that training, evaluation
 * and the run-time scorers cut text the same way.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "filters/limits.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "filters/tokens.h"

/* byte classes: word character, upper case, ASCII letter, digit, byte >= 0x80 */
#define C_W 1
#define C_U 2
#define C_D 4
#define C_L 8
#define C_H 16
#define L_ C_W | C_L
#define U_ C_W | C_U | C_L
#define H_ C_W | C_H
static const unsigned char cls[256] = {
    ['0'] = C_W | C_D, ['1'] = C_W | C_D, ['2'] = C_W | C_D, ['3'] = C_W | C_D, ['4'] = C_W | C_D,
    ['5'] = C_W | C_D, ['6'] = C_W | C_D, ['7'] = C_W | C_D, ['8'] = C_W | C_D, ['9'] = C_W | C_D,
    ['A'] = U_, ['B'] = U_, ['C'] = U_, ['D'] = U_, ['E'] = U_, ['F'] = U_, ['G'] = U_, ['H'] = U_, ['I'] = U_, ['J'] = U_, ['K'] = U_, ['L'] = U_, ['M'] = U_, ['N'] = U_, ['O'] = U_, ['P'] = U_, ['Q'] = U_, ['R'] = U_, ['S'] = U_, ['T'] = U_, ['U'] = U_, ['V'] = U_, ['W'] = U_, ['X'] = U_, ['Y'] = U_, ['Z'] = U_,
    ['a'] = L_, ['b'] = L_, ['c'] = L_, ['d'] = L_, ['e'] = L_, ['f'] = L_, ['g'] = L_, ['h'] = L_, ['i'] = L_, ['j'] = L_, ['k'] = L_, ['l'] = L_, ['m'] = L_, ['n'] = L_, ['o'] = L_, ['p'] = L_, ['q'] = L_, ['r'] = L_, ['s'] = L_, ['t'] = L_, ['u'] = L_, ['v'] = L_, ['w'] = L_, ['x'] = L_, ['y'] = L_, ['z'] = L_,
    [0x80] = H_, [0x81] = H_, [0x82] = H_, [0x83] = H_, [0x84] = H_, [0x85] = H_, [0x86] = H_, [0x87] = H_,
    [0x88] = H_, [0x89] = H_, [0x8a] = H_, [0x8b] = H_, [0x8c] = H_, [0x8d] = H_, [0x8e] = H_, [0x8f] = H_,
    [0x90] = H_, [0x91] = H_, [0x92] = H_, [0x93] = H_, [0x94] = H_, [0x95] = H_, [0x96] = H_, [0x97] = H_,
    [0x98] = H_, [0x99] = H_, [0x9a] = H_, [0x9b] = H_, [0x9c] = H_, [0x9d] = H_, [0x9e] = H_, [0x9f] = H_,
    [0xa0] = H_, [0xa1] = H_, [0xa2] = H_, [0xa3] = H_, [0xa4] = H_, [0xa5] = H_, [0xa6] = H_, [0xa7] = H_,
    [0xa8] = H_, [0xa9] = H_, [0xaa] = H_, [0xab] = H_, [0xac] = H_, [0xad] = H_, [0xae] = H_, [0xaf] = H_,
    [0xb0] = H_, [0xb1] = H_, [0xb2] = H_, [0xb3] = H_, [0xb4] = H_, [0xb5] = H_, [0xb6] = H_, [0xb7] = H_,
    [0xb8] = H_, [0xb9] = H_, [0xba] = H_, [0xbb] = H_, [0xbc] = H_, [0xbd] = H_, [0xbe] = H_, [0xbf] = H_,
    [0xc0] = H_, [0xc1] = H_, [0xc2] = H_, [0xc3] = H_, [0xc4] = H_, [0xc5] = H_, [0xc6] = H_, [0xc7] = H_,
    [0xc8] = H_, [0xc9] = H_, [0xca] = H_, [0xcb] = H_, [0xcc] = H_, [0xcd] = H_, [0xce] = H_, [0xcf] = H_,
    [0xd0] = H_, [0xd1] = H_, [0xd2] = H_, [0xd3] = H_, [0xd4] = H_, [0xd5] = H_, [0xd6] = H_, [0xd7] = H_,
    [0xd8] = H_, [0xd9] = H_, [0xda] = H_, [0xdb] = H_, [0xdc] = H_, [0xdd] = H_, [0xde] = H_, [0xdf] = H_,
    [0xe0] = H_, [0xe1] = H_, [0xe2] = H_, [0xe3] = H_, [0xe4] = H_, [0xe5] = H_, [0xe6] = H_, [0xe7] = H_,
    [0xe8] = H_, [0xe9] = H_, [0xea] = H_, [0xeb] = H_, [0xec] = H_, [0xed] = H_, [0xee] = H_, [0xef] = H_,
    [0xf0] = H_, [0xf1] = H_, [0xf2] = H_, [0xf3] = H_, [0xf4] = H_, [0xf5] = H_, [0xf6] = H_, [0xf7] = H_,
    [0xf8] = H_, [0xf9] = H_, [0xfa] = H_, [0xfb] = H_, [0xfc] = H_, [0xfd] = H_, [0xfe] = H_, [0xff] = H_,
};

/* ASCII lower case; other bytes as they are */
static const unsigned char lowtab[256] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
    30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57,
    58, 59, 60, 61, 62, 63, 64, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113,
    114, 115, 116, 117, 118, 119, 120, 121, 122, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105,
    106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127,
    128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149,
    150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171,
    172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193,
    194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215,
    216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237,
    238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255,
};

/* bytes a sentence start looks back over (spacing, opening quotes), and the ones that end a sentence */
#define S_SKIP 1
#define S_END 2
static const unsigned char sentc[256] = {
    [' '] = S_SKIP, ['\t'] = S_SKIP, ['"'] = S_SKIP, ['\''] = S_SKIP, ['('] = S_SKIP,
    ['.'] = S_END,  ['!'] = S_END,   ['?'] = S_END, ['\n'] = S_END, [':'] = S_END,
};

int bw_tok_next(const char *s, size_t n, size_t *pos, struct bw_tok *t)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = *pos, j, len = 0, nup = 0, nlet = 0;
    unsigned f = 0, acc = 0;
    char *w = t->w;

    while (i < n && !(cls[u[i]] & C_W))
        i++;
    if (i >= n) {
        *pos = n;
        return 0;
    }
    /* a sentence starts the text, or follows . ! ? : or a newline, then spacing and opening quotes */
    j = i;
    while (j > 0 && (sentc[u[j - 1]] & S_SKIP))
        j--;
    if (j == 0 || (sentc[u[j - 1]] & S_END))
        f = BW_TOKF_SENT;
    if (cls[u[i]] & C_U)
        f |= BW_TOKF_UPPER;
    t->start = i;
    /*
     * Runs of word bytes, joined across an inner apostrophe ("don't"); the
     * per-byte work is table look-ups without branches, as this loop runs
     * over every byte the statistical scorers read.
     */
    for (;;) {
        /* one pass: classify, count and copy; the copy is capped without a branch */
        while (i < n) {
            unsigned char c = u[i], k = cls[c];
            if (!(k & C_W))
                break;
            acc |= k;
            nup += (k >> 1) & 1;
            nlet += (k >> 3) & 1;
            w[len < BW_TOK_MAX ? len : BW_TOK_MAX - 1] = (char)lowtab[c];
            len += len < BW_TOK_MAX;
            i++;
        }
        if (i + 1 < n && (u[i] == '\'' || u[i] == 0x60) && (cls[u[i + 1]] & C_W)) {
            i++;
            continue;
        }
        break;
    }
    if (acc & C_D)
        f |= BW_TOKF_DIGIT;
    /*
     * Bytes >= 0x80 count as letters; but U+2000..U+206F (dashes, curly
     * quotes) end a word, except U+2019 between letters, an apostrophe.
     */
    if (acc & C_H) {
        size_t k;
        for (k = 0; k + 2 < len; k++) {
            unsigned char b0 = (unsigned char)w[k], b1 = (unsigned char)w[k + 1];
            if (b0 != 0xe2 || (b1 != 0x80 && b1 != 0x81))
                continue;
            if (b1 == 0x80 && (unsigned char)w[k + 2] == 0x99 && k > 0 && k + 3 < len) {
                memmove(w + k, w + k + 3, len - k - 3);
                len -= 3;
                k--;
                continue;
            }
            if (k == 0) {
                /* punctuation first: read on after it */
                *pos = t->start + 3;
                return bw_tok_next(s, n, pos, t);
            }
            /* the word ends before the punctuation; what follows is read next time */
            i = t->start + k;
            len = k;
            break;
        }
    }
    t->len = len;
    t->end = i;
    if (nup >= 2 && nup == nlet)
        f |= BW_TOKF_ALLCAP;
    t->flags = f;
    *pos = i;
    return 1;
}

/*
 * bw_toklist_run reads a whole text at once, so it first turns the text
 * into bit masks, one bit per byte and one mask per byte class (SSE2 where
 * there is SSE2), and finds each word's start and end by counting zero
 * bits: reading byte by byte cost two mispredicted loop exits per word and
 * about 10 us per 4 KB. Words of ASCII letters and digits shorter than 16
 * bytes and not joined by an apostrophe are read from the masks; every
 * other word is read by bw_tok_next() from its first byte, so the list is
 * exactly what bw_tok_next() gives.
 */
struct bw_tokmask {
    uint64_t w, u, l, d, h; /* word byte, upper case, letter, digit, >= 0x80 */
    uint64_t a;             /* apostrophe or backquote */
    uint64_t s, e;          /* first byte of a run of word bytes, first byte after one */
    /*
     * Of the bytes after a run (e's): x, those of runs the masks cannot
     * read (a byte >= 0x80 in it, or that byte an apostrophe, which may
     * join the next run), and g, those of runs holding a digit; a word
     * reads its end's bits, one test each, not its bytes' class bits.
     */
    uint64_t x, g;
};

static void chunk_masks(const unsigned char *p, struct bw_tokmask *m)
{
#ifdef __SSE2__
    uint64_t U = 0, L = 0, D = 0, H = 0, A = 0;
    int k;

    for (k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i up = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
        __m128i lo = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('z' + 1)));
        __m128i dg = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
        uint64_t mu = (uint64_t)(unsigned)_mm_movemask_epi8(up);
        U |= mu << (16 * k);
        L |= (mu | (uint64_t)(unsigned)_mm_movemask_epi8(lo)) << (16 * k);
        D |= (uint64_t)(unsigned)_mm_movemask_epi8(dg) << (16 * k);
        H |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << (16 * k);
        A |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\'')),
                                                                 _mm_cmpeq_epi8(x, _mm_set1_epi8(0x60))))
             << (16 * k);
    }
    m->u = U;
    m->l = L;
    m->d = D;
    m->h = H;
    m->a = A;
    m->w = L | D | H;
#else
    int k;

    m->w = m->u = m->l = m->d = m->h = m->a = 0;
    for (k = 0; k < 64; k++) {
        unsigned c = cls[p[k]];
        m->w |= (uint64_t)(c & C_W) << k;
        m->u |= (uint64_t)((c >> 1) & 1) << k;
        m->d |= (uint64_t)((c >> 2) & 1) << k;
        m->l |= (uint64_t)((c >> 3) & 1) << k;
        m->h |= (uint64_t)((c >> 4) & 1) << k;
        m->a |= (uint64_t)(p[k] == '\'' || p[k] == 0x60) << k;
    }
#endif
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
/*
 * The same with AVX2, 32 bytes a step, chosen at run time (cpu_avx2),
 * for every chunk of u[0..n) in one call. A class is a range, tested by
 * one signed compare after an add that moves the range to the bottom
 * (-128 up): a digit is x + 0x50 < -118, a letter (x | 0x20) + 0x1f <
 * -102, an upper-case letter x + 0x3f < -102. Without full (no case
 * flags wanted) the upper-case mask is not made.
 */
static inline __attribute__((always_inline, target("avx2"))) uint32_t in_range(__m256i x, char add, char below)
{
    return (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(_mm256_set1_epi8(below),
                                                            _mm256_add_epi8(x, _mm256_set1_epi8(add))));
}

static inline __attribute__((always_inline, target("avx2"))) void masks_avx2(const unsigned char *u, size_t n,
                                                                             struct bw_tokmask *m, size_t nch,
                                                                             int full)
{
    size_t c;

    for (c = 0; c < nch; c++) {
        const unsigned char *p = u + c * 64;
        unsigned char pad[64];
        __m256i x0, x1;
        uint64_t L, D;

        if (c * 64 + 64 > n) {
            memset(pad, 0, sizeof(pad));
            memcpy(pad, p, n - c * 64);
            p = pad;
        }
        x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
        x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
        D = in_range(x0, 0x50, -118) | (uint64_t)in_range(x1, 0x50, -118) << 32;
        L = in_range(_mm256_or_si256(x0, _mm256_set1_epi8(0x20)), 0x1f, -102) |
            (uint64_t)in_range(_mm256_or_si256(x1, _mm256_set1_epi8(0x20)), 0x1f, -102) << 32;
        m[c].u = full ? in_range(x0, 0x3f, -102) | (uint64_t)in_range(x1, 0x3f, -102) << 32 : 0;
        m[c].l = L;
        m[c].d = D;
        m[c].h = (uint32_t)_mm256_movemask_epi8(x0) | (uint64_t)(uint32_t)_mm256_movemask_epi8(x1) << 32;
        m[c].a = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(x0, _mm256_set1_epi8('\'')),
                                                                _mm256_cmpeq_epi8(x0, _mm256_set1_epi8(0x60)))) |
                 (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(x1, _mm256_set1_epi8('\'')),
                                                                          _mm256_cmpeq_epi8(x1, _mm256_set1_epi8(0x60))))
                     << 32;
        m[c].w = L | D | m[c].h;
    }
}

/* masks_avx2 with full a constant in each call */
static __attribute__((target("avx2"))) void text_masks_avx2(const unsigned char *u, size_t n, struct bw_tokmask *m,
                                                             size_t nch, int full)
{
    if (full)
        masks_avx2(u, n, m, nch, 1);
    else
        masks_avx2(u, n, m, nch, 0);
}

static int have_avx2 = -1; /* unknown yet; the CPU asked once (a race writes the same value) */

/* Has the CPU AVX2, and BMI1 and BMI2 (run_narrow_v3)? Every CPU with AVX2 we run on has them. */
static inline int cpu_avx2(void)
{
    int avx2 = __atomic_load_n(&have_avx2, __ATOMIC_RELAXED);

    if (avx2 < 0) {
        avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
        __atomic_store_n(&have_avx2, avx2, __ATOMIC_RELAXED);
    }
    return avx2;
}
#endif

void bw_tok_use_avx2(int on)
{
#if defined(__GNUC__) && defined(__x86_64__)
    __atomic_store_n(&have_avx2, on ? -1 : 0, __ATOMIC_RELAXED);
#else
    (void)on;
#endif
}

/*
 * The bytes after the runs of w that hold a bit of b (b within w), c the
 * carry from the chunk before and to the next: w + b carries each bit of
 * b through the rest of its run onto the byte after it.
 */
static inline uint64_t run_ends(uint64_t w, uint64_t b, uint64_t *c)
{
    uint64_t x = w + b, y = x + *c;

    *c = (x < w) | (y < x);
    return y & ~w;
}

/* Bits [s, s + len) of mask field f (len <= 16; the chunk after the last is all zero). */
#define MBITS(m, s, len, f)                                                                                         \
    (((((m)[(s) >> 6].f >> ((s) & 63)) | (((s) & 63) ? (m)[((s) >> 6) + 1].f << (64 - ((s) & 63)) : 0))) &        \
     ((1ull << (len)) - 1))

#define FAST_MAX 16 /* longest word read from the masks */

/*
 * BW_TOKF_SENT for a word at u[st] (st > 0: u[st - 1] is no word byte), as
 * bw_tok_next() finds it: a sentence starts the text, or follows . ! ? :
 * or a newline, then spacing and opening quotes. The usual cases, one byte
 * or one space and a byte before the word, are told by a select, not a
 * branch: whether a sentence ends there is as good as random to the branch
 * predictor, and walking back byte by byte cost a misprediction at every
 * sentence start.
 */
static inline unsigned sent_flag(const unsigned char *u, size_t st)
{
    unsigned c1, c2, v;
    size_t j;

    if (st >= 2) {
        c1 = sentc[u[st - 1]];
        c2 = sentc[u[st - 2]];
        if (!(c1 & c2 & S_SKIP)) {
            v = (c1 & S_SKIP) ? c2 : c1;
            return (v & S_END) << 2; /* S_END 2 -> BW_TOKF_SENT 8 */
        }
    }
    j = st;
    while (j > 0 && (sentc[u[j - 1]] & S_SKIP))
        j--;
    return (j == 0 || (sentc[u[j - 1]] & S_END)) ? BW_TOKF_SENT : 0;
}

static void stop_ensure(void);
static inline int stop_probe(uint64_t a, uint64_t b);
static inline size_t stem_len(const char *w, size_t n);

/*
 * Grows the list's arrays to want words at least: the slots and flags, a
 * narrow list's w16 and len8, and the ids, keys and infos (a narrow list
 * numbers each word as it reads it).
 */
static int reserve(struct bw_toklist *tl, size_t want)
{
    size_t ncap;
    struct bw_tok *nt;

    if (want <= tl->cap)
        return BW_OK;
    if (want > BW_MAX_TOKLIST)
        return BW_ELIMIT;
    for (ncap = 1024; ncap < want; ncap *= 2)
        ;
    if ((nt = realloc(tl->t, ncap * sizeof(*nt))) == NULL)
        return BW_ENOMEM;
    tl->t = nt;
    {
        uint8_t *nf = realloc(tl->flags, ncap);
        if (nf == NULL)
            return BW_ENOMEM;
        tl->flags = nf;
    }
    {
        struct bw_tokw *nw = realloc(tl->w16, ncap * sizeof(*nw));
        uint8_t *nl;
        if (nw == NULL)
            return BW_ENOMEM;
        tl->w16 = nw;
        if ((nl = realloc(tl->len8, ncap)) == NULL)
            return BW_ENOMEM;
        tl->len8 = nl;
    }
    {
        uint32_t *ni = realloc(tl->id, ncap * sizeof(*ni));
        struct bw_tokkey *nk;
        uint8_t *nf;
        if (ni == NULL)
            return BW_ENOMEM;
        tl->id = ni;
        if ((nk = realloc(tl->key, ncap * sizeof(*nk))) == NULL)
            return BW_ENOMEM;
        tl->key = nk;
        if ((nf = realloc(tl->info, ncap)) == NULL)
            return BW_ENOMEM;
        tl->info = nf;
    }
    tl->cap = ncap;
    return BW_OK;
}

/*
 * Word ids are found through an open-addressing table of 16-bit entries,
 * an id + 1 each (0: empty). An entry that is not empty is all but always
 * the word (the table is at most half full): the branch that tells a
 * text's new words from its repeats, which alternate as good as randomly,
 * reads the entry only, and the key is read to confirm (a branch the
 * predictor gets right). A hash tag beside each id (32-bit entries) saved
 * no branch: it cost 6 instructions a word and twice the table's cache
 * lines. A word of 16 bytes and a longer one share their key (the first
 * 16 bytes): the confirmation compares their lengths; a shorter word's
 * key holds a zero byte, which no word has.
 *
 * Between runs the table is all zero but for its first tabdirty slots: a
 * run zeroes what it wrote after use (tab_clear), entry by entry when its
 * text held few distinct words (the memset of 16 KB before every run was
 * 8% of the narrow list's instructions on a chat text of 44 words
 * repeated), else the next run clears the slots whole before use.
 */
_Static_assert(BW_MAX_TOKLIST < 0xffff, "an id + 1 fits in an entry");
/* a slot is the hash's top 15 bits (masked): a table has at most 2 * BW_MAX_TOKLIST slots */
_Static_assert(2 * BW_MAX_TOKLIST <= 1u << 15, "slots fit in the hash's top 15 bits");
#define SLOT(h, mask) ((uint32_t)((h) >> 49) & (mask))

/*
 * A word's hash from its key (its first 16 bytes, zero-padded): longer
 * words that share them meet in the compare. One multiply: b is 0 for
 * most words, and the rotation keeps its bytes off a's.
 */
static inline uint64_t key_hash(uint64_t a, uint64_t b)
{
    return (a ^ (b << 29 | b >> 35)) * 0x9e3779b97f4a7c15ull;
}

/* Makes tl->tab hold want slots (a power of two), all zero. */
static int tab_size(struct bw_toklist *tl, size_t want)
{
    uint16_t *nt;

    if (want <= tl->tabcap) {
        if (tl->tabdirty)
            memset(tl->tab, 0, tl->tabdirty * sizeof(*tl->tab));
        tl->tabdirty = 0;
        return BW_OK;
    }
    if ((nt = calloc(want, sizeof(*nt))) == NULL)
        return BW_ENOMEM;
    free(tl->tab);
    tl->tab = nt;
    tl->tabcap = want;
    tl->tabdirty = 0;
    return BW_OK;
}

/*
 * Zeroes the entries of ids 0..nid-1, the table used at mask + 1 slots,
 * one by one for a few ids; else the slots are left to tab_size to clear
 * whole before the next use (a memset of 4-8 KB took less time than finding
 * 300 entries again, each at a random place, and, done before use, brings
 * the table into the cache: prose's probes, each after a mispredicted
 * branch, then hit it there).
 */
static void tab_clear(struct bw_toklist *tl, uint32_t mask, const struct bw_tokkey *key, uint32_t nid)
{
    uint32_t k, s;
    uint16_t *tab = tl->tab;

    if ((size_t)nid * 32 > (size_t)mask + 1) {
        tl->tabdirty = (size_t)mask + 1;
        return;
    }
    for (k = 0; k < nid; k++) {
        uint64_t h = key_hash(key[k].a, key[k].b);
        for (s = SLOT(h, mask); tab[s] != k + 1; s = (s + 1) & mask)
            ;
        tab[s] = 0;
    }
}

/* The first 16 bytes of word w, zero-padded (16 bytes of w readable: a slot's w or a w16). */
static inline void word_key(const char *w, size_t n, uint64_t *a, uint64_t *b)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(a, w, 8);
    memcpy(b, w + 8, 8);
    if (n < 8) {
        *a &= (1ull << (8 * n)) - 1;
        *b = 0;
    } else if (n < 16) {
        *b &= n == 8 ? 0 : (1ull << (8 * (n - 8))) - 1;
    }
#else
    unsigned char k[16];

    memset(k, 0, sizeof(k));
    memcpy(k, w, n < 16 ? n : 16);
    memcpy(a, k, 8);
    memcpy(b, k + 8, 8);
#endif
}

/* The numbering's state: the table (mask + 1 slots in use), the keys and infos by id, the list's slots. */
struct numb {
    uint16_t *tab;
    struct bw_tokkey *key;
    uint8_t *info;
    const struct bw_tok *tt;
    uint32_t mask, nid;
};

/*
 * A new id for word i of a list (its key a, b, its bytes w, a slot's when
 * it is longer than 16, its flags f) at the empty slot s. stop: a list
 * with slots: its info now, with the function-word bit (only grounding
 * reads the bit, and it asks for a full list; the eighth pass found the
 * probe here cheaper than anywhere after). A narrow list's infos are
 * found after its reading loop (narrow_info): the stemmer inlined into
 * the loop cost its registers at every word.
 */
static inline __attribute__((always_inline)) uint32_t new_id(struct numb *nb, uint32_t s, uint64_t a, uint64_t b,
                                                             size_t len, size_t i, const char *w, unsigned f, int stop)
{
    uint32_t d = nb->nid++;
    struct bw_tokkey *k = &nb->key[d];

    k->a = a;
    k->b = b;
    k->len = (uint32_t)len;
    k->first = (uint32_t)i;
    /* a function word has at most 10 bytes: its key is a, b (stop_has) */
    if (stop)
        nb->info[d] = (uint8_t)(stem_len(w, len) | (f & BW_TOKF_DIGIT ? BW_TOKI_DIGIT : 0) |
                                (len <= 10 && stop_probe(a, b) ? BW_TOKI_STOP : 0));
    nb->tab[s] = (uint16_t)(d + 1);
    return d;
}

/* Does id d hold the word a, b, len, w (len <= 16 when short)? */
static inline __attribute__((always_inline)) int same_word(const struct numb *nb, uint32_t d, uint64_t a, uint64_t b,
                                                           size_t len, const char *w, int short_w)
{
    const struct bw_tokkey *k = &nb->key[d];

    return k->a == a && k->b == b &&
           (len < 16 || (k->len == len && (short_w || len <= 16 ||
                                           memcmp(nb->tt[k->first].w + 16, w + 16, len - 16) == 0)));
}

/* The probe on past slot s, which holds another word (as number_word): out of the reading loop. */
static __attribute__((noinline)) uint32_t probe_on(struct numb *nb, uint32_t s, uint64_t a, uint64_t b, size_t len,
                                                   size_t i, const char *w, unsigned f, int stop)
{
    uint32_t x;

    for (s = (s + 1) & nb->mask; (x = nb->tab[s]) != 0; s = (s + 1) & nb->mask)
        if (same_word(nb, x - 1, a, b, len, w, 0))
            return x - 1;
    return new_id(nb, s, a, b, len, i, w, f, stop);
}


/*
 * The id of word i of a list, its key a, b, its bytes w and flags f (as
 * new_id); short_w: it is known to be 16 bytes at most. A word found at
 * its first slot or new there costs no loop: the probe goes on out of
 * line (probe_on), which keeps the reading loop's registers.
 */
static inline __attribute__((always_inline)) uint32_t number_word(struct numb *nb, uint64_t a, uint64_t b, size_t len,
                                                                  size_t i, const char *w, unsigned f, int stop,
                                                                  int short_w)
{
    uint64_t h = key_hash(a, b);
    uint32_t s = SLOT(h, nb->mask), x = nb->tab[s];

    if (x == 0)
        return new_id(nb, s, a, b, len, i, w, f, stop);
    if (same_word(nb, x - 1, a, b, len, w, short_w))
        return x - 1;
    return probe_on(nb, s, a, b, len, i, w, f, stop);
}

/*
 * Doubles the slots in use when ids fill half of them (a narrow list's
 * table is sized for prose): the entries cleared, then written again from
 * the keys. The ids are lost (the table left all zero) when that fails.
 */
static __attribute__((noinline)) int tab_grow(struct bw_toklist *tl, struct numb *nb)
{
    size_t want = ((size_t)nb->mask + 1) * 2;
    uint32_t k, s;
    int rv;

    tab_clear(tl, nb->mask, nb->key, nb->nid);
    if ((rv = tab_size(tl, want)) != BW_OK) {
        nb->nid = 0;
        return rv;
    }
    nb->tab = tl->tab;
    nb->mask = (uint32_t)want - 1;
    for (k = 0; k < nb->nid; k++) {
        uint64_t h = key_hash(nb->key[k].a, nb->key[k].b);
        for (s = SLOT(h, nb->mask); nb->tab[s] != 0; s = (s + 1) & nb->mask)
            ;
        nb->tab[s] = (uint16_t)(k + 1);
    }
    return BW_OK;
}

/* A narrow list's infos (as new_id's, without the function-word bit), from the keys and slots. */
static void narrow_info(struct numb *nb, const uint8_t *F)
{
    uint32_t d;

    for (d = 0; d < nb->nid; d++) {
        const struct bw_tokkey *k = &nb->key[d];
        const char *w = k->len <= 16 ? (const char *)k : nb->tt[k->first].w;
        nb->info[d] = (uint8_t)(stem_len(w, k->len) | (F[k->first] & BW_TOKF_DIGIT ? BW_TOKI_DIGIT : 0));
    }
}

#ifdef __SSE2__
/*
 * 16 bytes 0xff (0x20), then 16 zero: from lenmask[0 (1)] + 16 - len, a
 * mask of a word's len first bytes (their lower-casing bits, to or in)
 */
static const unsigned char lenmask[2][32] = {
    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    {0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20},
};

/* The two halves of y, as memcpy would put them. */
static inline void vec_key(__m128i y, uint64_t *a, uint64_t *b)
{
#ifdef __x86_64__
    *a = (uint64_t)_mm_cvtsi128_si64(y);
    *b = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(y, y));
#else
    memcpy(a, &y, 8);
    memcpy(b, (const char *)&y + 8, 8);
#endif
}

/*
 * probe_on for a narrow list's short word, its key y (zero-padded) taken
 * apart again: the reading loop keeps no key, slot nor entry for it.
 */
static __attribute__((noinline)) uint32_t short_probe(struct numb *nb, __m128i y, size_t len, size_t i, unsigned f)
{
    uint64_t a, b, h;

    vec_key(y, &a, &b);
    h = key_hash(a, b);
    /* w is read for a word longer than 16 bytes or a function word's info only */
    return probe_on(nb, SLOT(h, nb->mask), a, b, len, i, NULL, f, 0);
}
#endif

/*
 * full: every flag of bw_tok_next(); else (bw_toklist_run_lean) only
 * BW_TOKF_DIGIT is found on the words read from the masks, no sentence
 * starts and no case flags: a constant, so each caller gets its own copy.
 * narrow: the words numbered as they are read, their first 16 bytes still
 * in a register (a narrow list: bw_toklist_run); else numbered after by
 * number_slots().
 */
static inline __attribute__((always_inline)) int read_words(struct bw_toklist *tl, const char *s, size_t n, int full,
                                                            int narrow)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t nch = (n + 63) / 64, c, pos = 0, cs, ce, nw;
    struct bw_tokmask *m;
    const struct bw_tokmask *mce; /* &m[ce >> 6] */
    struct bw_tok *T;
    struct bw_tokw *W;
    uint8_t *F, *L;
    uint64_t carry = 0, hc = 0, dc = 0, ms, me;
    uint32_t *id;
    struct numb nb = {0};
    int rv = BW_OK;

    tl->n = 0;
    tl->nid = 0;
    /* the masks take 5 bits a byte: longer texts are read by each scorer itself, as before the list */
    if (n > 2 * (size_t)BW_MAX_TOKLIST)
        return BW_ELIMIT;
    /*
     * words are one byte at least and a byte apart: the arrays are grown
     * here for (n + 1) / 2 of them, not tested at every word
     */
    if ((rv = reserve(tl, (n + 1) / 2)) != BW_OK)
        return rv;
    if (nch + 1 > tl->mcap) {
        struct bw_tokmask *nm = realloc(tl->m, (nch + 1) * sizeof(*nm));
        if (nm == NULL)
            return BW_ENOMEM;
        tl->m = nm;
        tl->mcap = nch + 1;
    }
    if (narrow) {
        /*
         * a slot for every 4 bytes (prose holds a distinct word in 10 to
         * 15), doubled when ids fill half (tab_grow): a table sized for the
         * most words the text could hold (one in two bytes) took twice the
         * cache lines, each first touched at random, and cost prose more
         * time than the memset it replaced
         */
        size_t want = 64;
        while (want < n / 2)
            want <<= 1;
        if ((rv = tab_size(tl, want)) != BW_OK)
            return rv;
        nb.mask = (uint32_t)want - 1;
        nb.tab = tl->tab;
    }
    m = tl->m;
    {
#if defined(__GNUC__) && defined(__x86_64__)
        if (cpu_avx2())
            text_masks_avx2(u, n, m, nch, full);
        else
#endif
            for (c = 0; c < nch; c++) {
                if (c * 64 + 64 <= n) {
                    chunk_masks(u + c * 64, &m[c]);
                } else {
                    unsigned char pad[64];
                    memset(pad, 0, sizeof(pad));
                    memcpy(pad, u + c * 64, n - c * 64);
                    chunk_masks(pad, &m[c]);
                }
            }
    }
    memset(&m[nch], 0, sizeof(m[nch]));
    /*
     * Runs of word bytes as two bit streams, where they start and where they
     * end (the chunk after the last holds the end of a run ending the
     * text). The k-th start and the k-th end bound the k-th run: the words
     * are read by popping one bit of each, not by searching from where the
     * last word ended, which chained every word's search on the one before.
     */
    for (c = 0; c <= nch; c++) {
        uint64_t prev = (m[c].w << 1) | carry;
        m[c].s = m[c].w & ~prev;
        m[c].e = ~m[c].w & prev;
        carry = m[c].w >> 63;
        m[c].x = run_ends(m[c].w, m[c].h, &hc) | m[c].a;
        m[c].g = run_ends(m[c].w, m[c].d, &dc);
    }
    cs = ce = 0;
    mce = m;
    ms = m[0].s;
    me = m[0].e;
    /*
     * The list's count and arrays in locals, written back when the loop
     * ends or grows them: the build has -fno-strict-aliasing, so every
     * store into a slot would otherwise reload them, and tl->n++ chained
     * each word's slot address on the last word's store.
     */
    nw = 0;
    T = tl->t;
    F = tl->flags;
    W = tl->w16;
    L = tl->len8;
    id = tl->id;
    nb.key = tl->key;
    nb.info = tl->info;
    nb.tt = T;
    for (;;) {
        struct bw_tok *t;
        uint64_t up, let, a, b;
        size_t st, e, len, j;
        unsigned f, eb;

        /* (cs and ce count bytes, 64 a chunk: no multiply per word) */
        while (ms == 0) {
            if ((cs += 64) >= 64 * nch)
                goto done;
            ms = m[cs >> 6].s;
        }
        st = cs + (unsigned)__builtin_ctzll(ms);
        ms &= ms - 1;
        while (me == 0) {
            ce += 64; /* every start has its end, the last in the chunk after the last */
            me = (++mce)->e;
        }
        eb = (unsigned)__builtin_ctzll(me);
        e = ce + eb;
        me &= me - 1;
        t = &T[nw];
        len = e - st;
#ifdef __SSE2__
        if (len < FAST_MAX && st + 16 <= n) {
            /*
             * The word's 16 bytes at once, lower-cased into the slot (or
             * 0x20: an ASCII letter or digit); the bytes past the word are
             * never read. A byte >= 0x80 in it, or an apostrophe after it,
             * sends it to the general reader, and it holds a digit or not:
             * two bits of its end (x, g), set per chunk, not tests of its
             * bytes at every word.
             */
            __m128i x, y;
            if ((mce->x >> eb) & 1)
                goto general;
            x = _mm_loadu_si128((const __m128i *)(const void *)(u + st));
            f = (mce->g >> eb) & 1 ? BW_TOKF_DIGIT : 0;
            if (full) {
                uint32_t lm = (uint32_t)((1ul << len) - 1);
                __m128i up16 = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
                __m128i lo16 = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('z' + 1)));
                up = (uint32_t)_mm_movemask_epi8(up16) & lm;
                let = up | ((uint32_t)_mm_movemask_epi8(lo16) & lm);
                f |= sent_flag(u, st);
                if (up & 1)
                    f |= BW_TOKF_UPPER;
                if ((up & (up - 1)) && (let & ~up) == 0) /* two or more letters, all upper case */
                    f |= BW_TOKF_ALLCAP;
            }
            if (narrow) {
                uint64_t h;
                uint32_t sl, xx;
                /* zero-padded (past the word w16 is undefined): the key as it is, no masking */
                y = _mm_or_si128(_mm_and_si128(x, _mm_loadu_si128((const __m128i *)(const void *)(lenmask[0] + 16 - len))),
                                 _mm_loadu_si128((const __m128i *)(const void *)(lenmask[1] + 16 - len)));
                _mm_storeu_si128((__m128i *)(void *)W[nw].w, y);
                vec_key(y, &a, &b);
                L[nw] = (uint8_t)len;
                /* number_word for a short word, its key compared as the vector it is in */
                h = key_hash(a, b);
                sl = SLOT(h, nb.mask);
                xx = nb.tab[sl];
                if (xx != 0 && _mm_movemask_epi8(_mm_cmpeq_epi8(
                                   _mm_loadu_si128((const __m128i *)(const void *)&nb.key[xx - 1]), y)) == 0xffff) {
                    xx--;
                } else if (xx == 0) {
                    /* new_id, the key stored from the vector (its info: narrow_info) */
                    struct bw_tokkey *k = &nb.key[nb.nid];
                    _mm_storeu_si128((__m128i *)(void *)k, y);
                    k->len = (uint32_t)len;
                    k->first = (uint32_t)nw;
                    nb.tab[sl] = (uint16_t)(nb.nid + 1);
                    xx = nb.nid++;
                    if (nb.nid * 2 > nb.mask && (rv = tab_grow(tl, &nb)) != BW_OK) {
                        nw = 0;
                        goto done;
                    }
                } else {
                    xx = short_probe(&nb, y, len, nw, f);
                    if (nb.nid * 2 > nb.mask && (rv = tab_grow(tl, &nb)) != BW_OK) {
                        nw = 0;
                        goto done;
                    }
                }
                id[nw] = xx;
                F[nw++] = (uint8_t)f;
                continue;
            }
            _mm_storeu_si128((__m128i *)(void *)t->w, _mm_or_si128(x, _mm_set1_epi8(0x20)));
        } else
#endif
        {
            if (len > FAST_MAX || MBITS(m, st, len, h) != 0 ||
                (e + 1 < n && (u[e] == '\'' || u[e] == 0x60) && (cls[u[e + 1]] & C_W))) {
            general:
                /* the general reader, from this word's first byte */
                pos = st;
                if (!bw_tok_next(s, n, &pos, t))
                    goto done;
                if (narrow) {
                    /* the slot stays: it holds the bytes of a word longer than 16 (bw_toklist_bytes) */
                    memcpy(W[nw].w, t->w, 16);
                    L[nw] = (uint8_t)t->len;
                    word_key(t->w, t->len, &a, &b);
                    id[nw] = number_word(&nb, a, b, t->len, nw, t->w, t->flags, 0, 0);
                    if (nb.nid * 2 > nb.mask && (rv = tab_grow(tl, &nb)) != BW_OK) {
                        nw = 0;
                        goto done;
                    }
                }
                F[nw++] = (uint8_t)t->flags;
                /*
                 * it may have read past this run (an apostrophe joins the
                 * next) or stopped inside it (at U+2000..U+206F): the
                 * streams go on from where it stopped, a word starting
                 * there if that is inside a run
                 */
                cs = ce = pos & ~(size_t)63;
                ms = m[cs >> 6].s & (~0ull << (pos & 63));
                if (pos < n && ((m[cs >> 6].w >> (pos & 63)) & 1))
                    ms |= 1ull << (pos & 63);
                mce = &m[ce >> 6];
                me = mce->e & ((~0ull << (pos & 63)) << 1);
                continue;
            }
            f = 0;
            if (full) {
                f = sent_flag(u, st);
                up = MBITS(m, st, len, u);
                let = MBITS(m, st, len, l);
                if (up & 1)
                    f |= BW_TOKF_UPPER;
                if ((up & (up - 1)) && (let & ~up) == 0) /* two or more letters, all upper case */
                    f |= BW_TOKF_ALLCAP;
            }
            if (MBITS(m, st, len, d))
                f |= BW_TOKF_DIGIT;
            for (j = 0; j < len; j++)
                (narrow ? W[nw].w : t->w)[j] = (char)lowtab[u[st + j]];
            if (narrow) {
                word_key(W[nw].w, len, &a, &b);
                L[nw] = (uint8_t)len;
                id[nw] = number_word(&nb, a, b, len, nw, W[nw].w, f, 0, 1); /* len <= FAST_MAX here */
                if (nb.nid * 2 > nb.mask && (rv = tab_grow(tl, &nb)) != BW_OK) {
                    nw = 0;
                    goto done;
                }
            }
        }
        if (!narrow) {
            t->len = len;
            t->start = st;
            t->end = e;
            t->flags = f;
        }
        F[nw++] = (uint8_t)f;
    }
done:
    if (narrow) {
        if (rv == BW_OK)
            narrow_info(&nb, F);
        tab_clear(tl, nb.mask, nb.key, nb.nid);
        tl->nid = nb.nid;
    }
    tl->n = nw;
    return rv;
}

/*
 * Numbers the words of a list with slots (tl->id, tl->nid). The table is
 * used at the size this text needs (twice its words, a power of two),
 * however large it grew for a longer text.
 */
static __attribute__((noinline)) int number_slots(struct bw_toklist *tl)
{
    const struct bw_tok *tt = tl->t;
    struct numb nb = {.key = tl->key, .info = tl->info, .tt = tt};
    uint32_t *id = tl->id;
    size_t want = 64, i, nw = tl->n;
    int rv;

    tl->nid = 0;
    while (want < nw * 2)
        want <<= 1;
    if ((rv = tab_size(tl, want)) != BW_OK)
        return rv;
    nb.tab = tl->tab;
    nb.mask = (uint32_t)want - 1;
    stop_ensure();
    for (i = 0; i < nw; i++) {
        uint64_t a, b;
        word_key(tt[i].w, tt[i].len, &a, &b);
        id[i] = number_word(&nb, a, b, tt[i].len, i, tt[i].w, tt[i].flags, 1, 0);
    }
    tab_clear(tl, nb.mask, nb.key, nb.nid);
    tl->nid = nb.nid;
    return BW_OK;
}

/* Reads the words of s (with every flag when full) and numbers them; an empty list when that fails. */
static inline __attribute__((always_inline)) int run(struct bw_toklist *tl, const char *s, size_t n, int full,
                                                     int narrow)
{
    int rv;

    tl->narrow = narrow;
    rv = read_words(tl, s, n, full, narrow);
    if (rv == BW_OK && !narrow && (rv = number_slots(tl)) != BW_OK)
        tl->n = 0;
    return rv;
}

/*
 * One copy of the reading loop per kind of list (read_words is inlined with
 * full a constant): the lean loop then holds no test of full at all.
 */
static __attribute__((noinline)) int run_full(struct bw_toklist *tl, const char *s, size_t n)
{
    return run(tl, s, n, 1, 0);
}

static __attribute__((noinline)) int run_lean(struct bw_toklist *tl, const char *s, size_t n)
{
    return run(tl, s, n, 0, 0);
}

/*
 * A list nobody reads the slots of (content models, topics: ids and bytes
 * by id): 18 bytes written and read back a word (w16, len8, flags), not a
 * 64-byte slot, whose 45 KB for a 4 KB text did not stay in L1.
 */
static __attribute__((noinline)) int run_narrow(struct bw_toklist *tl, const char *s, size_t n)
{
    return run(tl, s, n, 0, 1);
}

#if defined(__GNUC__) && defined(__x86_64__)
/*
 * The same loop compiled for AVX2 with BMI1 and BMI2, chosen at run time
 * (cpu_avx2): a word's bits popped by blsr, shifts by shrx without the
 * count in cl, vectors with three operands (no copies): 4 fewer
 * instructions a word.
 */
static __attribute__((noinline, target("avx2,bmi,bmi2"))) int run_narrow_v3(struct bw_toklist *tl, const char *s,
                                                                            size_t n)
{
    return run(tl, s, n, 0, 1);
}
#endif

int bw_toklist_run(struct bw_toklist *tl, const char *s, size_t n)
{
    int full = tl->want_case;

    tl->want_case = 0;
    if (full)
        return run_full(tl, s, n);
#if defined(__GNUC__) && defined(__x86_64__)
    if (cpu_avx2())
        return run_narrow_v3(tl, s, n);
#endif
    return run_narrow(tl, s, n);
}

int bw_toklist_run_lean(struct bw_toklist *tl, const char *s, size_t n)
{
    return run_lean(tl, s, n);
}

void bw_toklist_free(struct bw_toklist *tl)
{
    free(tl->t);
    free(tl->flags);
    free(tl->w16);
    free(tl->len8);
    free(tl->m);
    free(tl->id);
    free(tl->key);
    free(tl->tab);
    free(tl->info);
    memset(tl, 0, sizeof(*tl));
}

/* Does w[0..n) end with the sl bytes of suf, with more before them? (sl constant: the compare is inlined) */
#define ENDS(w, n, suf, sl) ((n) > (sl) && memcmp((w) + (n) - (sl), (suf), (sl)) == 0)

/*
 * Each step tests only the endings its last byte allows (a switch, not a
 * chain of compares): the stemmer runs once for every distinct word of
 * every text grounding and topics read. The same rules in the same order
 * as the chain they replace (tests/unit/filters/test_linear.c keeps that
 * chain and compares).
 */
static inline __attribute__((always_inline)) size_t stem_len(const char *w, size_t n)
{
    if (n <= 3)
        return n;
    /* plurals: -ies, -sses, -s but not -ss -us -is */
    if (w[n - 1] == 's') {
        if (ENDS(w, n, "ies", 3) && n > 4)
            n -= 3;
        else if (ENDS(w, n, "sses", 4))
            n -= 2;
        else if (w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i')
            n -= 1;
    }
    /* -ing, -ed, -ly, a stem of four bytes at least left */
    switch (w[n - 1]) {
    case 'g':
        if (ENDS(w, n, "ing", 3) && n - 3 >= 4)
            n -= 3;
        break;
    case 'd':
        if (ENDS(w, n, "ed", 2) && n - 2 >= 4)
            n -= 2;
        break;
    case 'y':
        if (ENDS(w, n, "ly", 2) && n - 2 >= 4)
            n -= 2;
        break;
    }
    /* derivational endings: treatment/treat, medication/medical/medic, financial/finance */
    switch (w[n - 1]) {
    case 'n':
        if ((ENDS(w, n, "ation", 5) || ENDS(w, n, "ition", 5)) && n - 5 >= 4)
            n -= 5;
        else if (ENDS(w, n, "ion", 3) && n - 3 >= 4)
            n -= 3;
        break;
    case 't':
        if (ENDS(w, n, "ment", 4) && n - 4 >= 4)
            n -= 4;
        else if (ENDS(w, n, "ist", 3) && n - 3 >= 4)
            n -= 3;
        break;
    case 's':
        if (ENDS(w, n, "ness", 4) && n - 4 >= 4)
            n -= 4;
        break;
    case 'l':
        if (ENDS(w, n, "ial", 3) && n - 3 >= 4)
            n -= 3;
        else if (ENDS(w, n, "al", 2) && n - 2 >= 5)
            n -= 2;
        break;
    }
    if (n > 4 && (w[n - 1] == 'e' || w[n - 1] == 'y' || w[n - 1] == 'i'))
        n -= 1;
    return n;
}

size_t bw_tok_stem(const char *w, size_t n)
{
    return stem_len(w, n);
}

/* sorted for reading; looked up through a hash set */
static const char *const stops[] = {
    "a",       "about",   "above",  "after",   "again",   "against", "all",     "also",    "am",      "an",
    "and",     "any",     "are",    "as",      "at",      "be",      "because", "been",    "before",  "being",
    "below",   "between", "both",   "but",     "by",      "can",     "could",   "did",     "do",      "does",
    "doing",   "done",    "down",   "during",  "each",    "either",  "etc",     "even",    "ever",    "every",
    "few",     "for",     "from",   "further", "get",     "gets",    "getting", "give",    "given",   "go",
    "going",   "got",     "had",    "has",     "have",    "having",  "he",      "her",     "here",    "hers",
    "herself", "him",     "himself","his",     "how",     "however", "i",       "ie",      "if",      "im",
    "in",      "into",    "is",     "it",      "its",     "itself",  "ive",     "just",    "let",     "like",
    "make",    "many",    "may",    "me",      "might",   "mine",    "more",    "most",    "much",    "must",
    "my",      "myself",  "no",     "nor",     "not",     "now",     "of",      "off",     "on",      "once",
    "one",     "only",    "or",     "other",   "others",  "our",     "ours",    "ourselves","out",    "over",
    "own",     "please",  "put",    "rather",  "really",  "same",    "say",     "see",     "shall",   "she",
    "should",  "so",      "some",   "such",    "take",    "tell",    "than",    "that",    "thats",   "the",
    "their",   "theirs",  "them",   "themselves","then",  "there",   "these",   "they",    "thing",   "things",
    "this",    "those",   "though", "through", "thus",    "to",      "too",     "under",   "until",   "up",
    "upon",    "us",      "use",    "used",    "using",   "very",    "via",     "was",     "way",     "we",
    "well",    "were",    "what",   "whats",   "when",    "where",   "whether", "which",   "while",   "who",
    "whom",    "whose",   "why",    "will",    "with",    "within",  "without", "would",   "yes",     "yet",
    "you",     "your",    "youre",  "yours",   "yourself","yourselves",
};

/*
 * The function words as a set of their bytes: a word of at most 10 bytes
 * packs into two 64-bit keys (zero-padded; no function word is empty, so a
 * zero first key marks an empty slot), hashed by one multiply and compared
 * exactly. Hashing the bytes one by one (FNV) cost more than the look-up it
 * fed, once for every word of every text grounding reads. Built on first use.
 */
#define STOP_SLOTS 512
static uint64_t stopkey[STOP_SLOTS][2];
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;
static int stop_ready;

static uint32_t stop_slot(uint64_t a, uint64_t b)
{
    return (uint32_t)(((a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull) >> 55);
}

static void stop_init(void)
{
    size_t i;

    for (i = 0; i < BW_NELEMS(stops); i++) {
        uint64_t k[2] = {0, 0};
        uint32_t s;
        memcpy(k, stops[i], strlen(stops[i]));
        for (s = stop_slot(k[0], k[1]); stopkey[s][0]; s = (s + 1) & (STOP_SLOTS - 1))
            ;
        stopkey[s][0] = k[0];
        stopkey[s][1] = k[1];
    }
    __atomic_store_n(&stop_ready, 1, __ATOMIC_RELEASE);
}

static void stop_ensure(void)
{
    if (!__atomic_load_n(&stop_ready, __ATOMIC_ACQUIRE))
        pthread_once(&stop_once, stop_init);
}

/* stop_has once stop_ensure() ran: inlined into the numbering loop */
static inline __attribute__((always_inline)) int stop_probe(uint64_t a, uint64_t b)
{
    uint32_t s;

    for (s = stop_slot(a, b); stopkey[s][0]; s = (s + 1) & (STOP_SLOTS - 1))
        if (stopkey[s][0] == a && stopkey[s][1] == b)
            return 1;
    return 0;
}

static int stop_has(uint64_t a, uint64_t b)
{
    stop_ensure();
    return stop_probe(a, b);
}

int bw_tok_stopword(const char *w, size_t n)
{
    uint64_t k[2] = {0, 0};

    if (n == 0 || n > 10)
        return 0;
    memcpy(k, w, n);
    return stop_has(k[0], k[1]);
}

int bw_tok_stop(const struct bw_tok *t)
{
    uint64_t a, b;
    size_t n = t->len;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    return bw_tok_stopword(t->w, n); /* the masks below keep the low-order bytes */
#endif
    if (n == 0 || n > 10)
        return 0;
    /* t->w holds BW_TOK_MAX bytes: read 16, keep the word's */
    memcpy(&a, t->w, 8);
    memcpy(&b, t->w + 8, 8);
    if (n < 8) {
        a &= (1ull << (8 * n)) - 1;
        b = 0;
    } else {
        b &= n == 8 ? 0 : (1ull << (8 * (n - 8))) - 1;
    }
    return stop_has(a, b);
}
