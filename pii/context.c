/*
 * context.c: context words and lexicons of the PII recogniser.
 *
 * Ambiguous values (a 4-digit PIN, a 9-digit passport number, a 3-digit
 * CVV) are only reported when a context word stands in the few words
 * before them, as Presidio's LemmaContextAwareEnhancer does (5 words
 * before). Context is computed only for candidates that passed their shape
 * checks, by walking back over the view: no pattern of the shared matcher
 * is spent on context words (a caseless alternation of them alone scans
 * at a third of the speed of the whole PII set).
 *
 * The name and TLD lexicons (conf/lexicons/names and web/tlds.txt) are
 * loaded once per process into one open-addressing hash set of lower-case
 * keys with flags, immutable afterwards and shared by every thread.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

#include "filters/blob.h"
#include "pii/context.h"

static const struct {
    const char *w;
    uint32_t c;
} words[] = {
    /* phone (Presidio: phone, number, telephone, cell, cellphone, mobile, call) */
    {"phone", BW_CTX_PHONE}, {"phones", BW_CTX_PHONE}, {"telephone", BW_CTX_PHONE}, {"tel", BW_CTX_PHONE},
    {"telefon", BW_CTX_PHONE}, {"mobile", BW_CTX_PHONE}, {"mob", BW_CTX_PHONE}, {"cell", BW_CTX_PHONE},
    {"cellphone", BW_CTX_PHONE}, {"fax", BW_CTX_PHONE}, {"pager", BW_CTX_PHONE}, {"call", BW_CTX_PHONE},
    {"calling", BW_CTX_PHONE}, {"called", BW_CTX_PHONE}, {"ring", BW_CTX_PHONE}, {"dial", BW_CTX_PHONE},
    {"text", BW_CTX_PHONE}, {"sms", BW_CTX_PHONE}, {"whatsapp", BW_CTX_PHONE}, {"contact", BW_CTX_PHONE},
    {"reach", BW_CTX_PHONE}, {"desk", BW_CTX_PHONE}, {"office", BW_CTX_PHONE}, {"messages", BW_CTX_PHONE},
    {"message", BW_CTX_PHONE}, {"answering", BW_CTX_PHONE}, {"hotline", BW_CTX_PHONE}, {"ph", BW_CTX_PHONE},
    {"tel.", BW_CTX_PHONE}, {"voicemail", BW_CTX_PHONE}, {"extension", BW_CTX_PHONE},
    /* card (Presidio: credit, card, visa, mastercard, cc, amex, discover, jcb, diners, maestro, instapayment) */
    {"card", BW_CTX_CARD | BW_CTX_HEALTH}, {"cards", BW_CTX_CARD}, {"credit", BW_CTX_CARD}, {"debit", BW_CTX_CARD},
    {"visa", BW_CTX_CARD}, {"mastercard", BW_CTX_CARD}, {"amex", BW_CTX_CARD}, {"discover", BW_CTX_CARD},
    {"jcb", BW_CTX_CARD}, {"diners", BW_CTX_CARD}, {"maestro", BW_CTX_CARD}, {"cc", BW_CTX_CARD},
    {"cardholder", BW_CTX_CARD}, {"unionpay", BW_CTX_CARD}, {"instapayment", BW_CTX_CARD},
    /* SSN (Presidio: social, security, ssn, ssns, ssid) */
    {"ssn", BW_CTX_SSN}, {"ssns", BW_CTX_SSN}, {"ssid", BW_CTX_SSN}, {"social", BW_CTX_SSN | BW_CTX_SIN},
    {"security", BW_CTX_SSN | BW_CTX_CVV},
    /* ITIN (Presidio: individual, taxpayer, itin, tax, payer, taxid, tin) */
    {"itin", BW_CTX_ITIN}, {"taxpayer", BW_CTX_ITIN | BW_CTX_UTR}, {"tax", BW_CTX_ITIN | BW_CTX_UTR},
    {"taxid", BW_CTX_ITIN}, {"tin", BW_CTX_ITIN}, {"payer", BW_CTX_ITIN},
    /* SIN (Presidio: sin, social insurance, nas, assurance sociale) */
    {"sin", BW_CTX_SIN}, {"insurance", BW_CTX_SIN | BW_CTX_NINO}, {"nas", BW_CTX_SIN}, {"assurance", BW_CTX_SIN},
    /* routing (Presidio: aba, routing, abarouting, association, bankrouting) */
    {"routing", BW_CTX_ROUTING}, {"aba", BW_CTX_ROUTING}, {"rtn", BW_CTX_ROUTING}, {"abarouting", BW_CTX_ROUTING},
    {"bankrouting", BW_CTX_ROUTING}, {"transit", BW_CTX_ROUTING},
    /* bank account (Presidio: check, account, account#, acct, bank, save, debit) */
    {"account", BW_CTX_ACCOUNT}, {"accounts", BW_CTX_ACCOUNT}, {"acct", BW_CTX_ACCOUNT}, {"acc", BW_CTX_ACCOUNT},
    {"checking", BW_CTX_ACCOUNT}, {"savings", BW_CTX_ACCOUNT}, {"bank", BW_CTX_ACCOUNT | BW_CTX_SWIFT},
    {"deposit", BW_CTX_ACCOUNT}, {"beneficiary", BW_CTX_ACCOUNT},
    /* NHS (Presidio: national health service, nhs, health services authority, health authority) */
    {"nhs", BW_CTX_NHS}, {"health", BW_CTX_NHS | BW_CTX_HEALTH},
    /* UTR */
    {"utr", BW_CTX_UTR}, {"hmrc", BW_CTX_UTR}, {"unique", BW_CTX_UTR}, {"assessment", BW_CTX_UTR},
    /* Canadian health numbers */
    {"ohip", BW_CTX_HEALTH}, {"hcn", BW_CTX_HEALTH}, {"phn", BW_CTX_HEALTH}, {"ramq", BW_CTX_HEALTH},
    {"msp", BW_CTX_HEALTH}, {"medicare", BW_CTX_HEALTH}, {"healthcare", BW_CTX_HEALTH},
    /* passport (Presidio: us, united, states, passport, passport#, travel, document) */
    {"passport", BW_CTX_PASSPORT}, {"passports", BW_CTX_PASSPORT}, {"travel", BW_CTX_PASSPORT},
    /* PIN */
    {"pin", BW_CTX_PIN}, {"pins", BW_CTX_PIN}, {"pincode", BW_CTX_PIN}, {"atm", BW_CTX_PIN},
    /* CVV */
    {"cvv", BW_CTX_CVV}, {"cvv2", BW_CTX_CVV}, {"cvc", BW_CTX_CVV}, {"cvc2", BW_CTX_CVV}, {"csc", BW_CTX_CVV},
    {"cvn", BW_CTX_CVV}, {"cid", BW_CTX_CVV}, {"verification", BW_CTX_CVV},
    /* expiry */
    {"exp", BW_CTX_EXPIRY}, {"expiry", BW_CTX_EXPIRY}, {"expires", BW_CTX_EXPIRY}, {"expiration", BW_CTX_EXPIRY},
    {"expire", BW_CTX_EXPIRY}, {"expiring", BW_CTX_EXPIRY}, {"expired", BW_CTX_EXPIRY}, {"thru", BW_CTX_EXPIRY},
    {"valid", BW_CTX_EXPIRY},
    /* driver id (Presidio: driver, license, permit, lic, identification, dls, cdls, lic#, driving) */
    {"driver", BW_CTX_DRIVER}, {"drivers", BW_CTX_DRIVER}, {"driver's", BW_CTX_DRIVER},
    {"license", BW_CTX_DRIVER | BW_CTX_PLATE}, {"licence", BW_CTX_DRIVER | BW_CTX_PLATE}, {"dl", BW_CTX_DRIVER},
    {"dln", BW_CTX_DRIVER}, {"driving", BW_CTX_DRIVER}, {"permit", BW_CTX_DRIVER}, {"lic", BW_CTX_DRIVER},
    {"cdl", BW_CTX_DRIVER}, {"dls", BW_CTX_DRIVER}, {"cdls", BW_CTX_DRIVER},
    /* licence plate */
    {"plate", BW_CTX_PLATE}, {"plates", BW_CTX_PLATE}, {"registration", BW_CTX_PLATE}, {"reg", BW_CTX_PLATE},
    {"numberplate", BW_CTX_PLATE}, {"vrn", BW_CTX_PLATE}, {"tag", BW_CTX_PLATE},
    /* VIN */
    {"vin", BW_CTX_VIN}, {"chassis", BW_CTX_VIN}, {"vehicle", BW_CTX_VIN | BW_CTX_PLATE},
    /* age */
    {"age", BW_CTX_AGE}, {"aged", BW_CTX_AGE}, {"turned", BW_CTX_AGE}, {"turn", BW_CTX_AGE},
    {"turning", BW_CTX_AGE}, {"turns", BW_CTX_AGE},
    /* postal codes (part of ADDRESS) */
    {"zip", BW_CTX_ZIP}, {"zipcode", BW_CTX_ZIP}, {"postal", BW_CTX_ZIP}, {"postcode", BW_CTX_ZIP},
    {"plz", BW_CTX_ZIP},
    /* SWIFT / IBAN */
    {"swift", BW_CTX_SWIFT}, {"bic", BW_CTX_SWIFT}, {"iban", BW_CTX_IBAN | BW_CTX_ACCOUNT},
    /* MAC */
    {"mac", BW_CTX_MAC}, {"ethernet", BW_CTX_MAC}, {"hardware", BW_CTX_MAC}, {"physical", BW_CTX_MAC},
    /* NINO */
    {"nino", BW_CTX_NINO}, {"ni", BW_CTX_NINO},
    /* dates: a number after these is a date */
    {"date", BW_CTX_DATE}, {"born", BW_CTX_DATE}, {"dob", BW_CTX_DATE}, {"birthday", BW_CTX_DATE},
    {"since", BW_CTX_DATE}, {"year", BW_CTX_DATE}, {"in", 0},
    {"aws", BW_CTX_AWS}, {"secret", BW_CTX_AWS},
    {"address", BW_CTX_ADDRESS}, {"lives", BW_CTX_ADDRESS}, {"located", BW_CTX_ADDRESS},
};

/* A-Z to a-z in 8 ASCII bytes at once (no byte is >= 0x80, so no carry crosses bytes). */
static uint64_t lower8(uint64_t x)
{
    const uint64_t hi = 0x8080808080808080ull;
    uint64_t ge_a = x + 0x3f3f3f3f3f3f3f3full; /* bit 7 set where byte >= 'A' */
    uint64_t gt_z = x + 0x2525252525252525ull; /* bit 7 set where byte > 'Z' */

    return x | (((ge_a & ~gt_z) & hi) >> 2);
}

/*
 * The n (1 to 8) bytes at p, zero-padded, byte k at bits 8k..8k+7 (as a
 * memcpy into a zeroed word gives on a little-endian machine): two
 * overlapping loads inside p[0..n) (4 + 4 bytes, or the first, middle and
 * last byte), never a read past p + n.
 */
static inline uint64_t load_n(const char *p, size_t n)
{
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        a = __builtin_bswap32(a);
        b = __builtin_bswap32(b);
#endif
        return (uint64_t)a | (uint64_t)b << (8 * (n - 4)); /* the overlap holds the same bytes */
    }
    return (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << (8 * (n / 2)) |
           (uint64_t)(unsigned char)p[n - 1] << (8 * (n - 1));
}

/* Context word hash: 512 slots, keys of at most 15 bytes. */
#define CTX_SLOTS 512u
static struct {
    char w[16];
    uint8_t n;
    uint32_t c;
} ctab[CTX_SLOTS];
/*
 * The context words of at most 8 bytes again, keyed by the word itself
 * (lower8(load_n())), 4 KB: most words met before a number are short, and
 * one probe there replaces the lower-casing copy and the byte hash.
 */
#define CTX_SHORT_SLOTS 256u
static struct {
    uint64_t key; /* 0 = empty */
    uint32_t c;
} cshort[CTX_SHORT_SLOTS];
static uint32_t first_letters; /* bit per 'a'..'z': some context word starts with it */
/* By length: bit per first letter, bit per last character class, of the context words. */
static uint32_t sig_first[16], sig_last[16];
/*
 * By first letter: bit per class (last_bit()) of the second byte. Two in
 * three words passed the length tests above and cost a lower-casing and a
 * hash each in classes(); the second byte turns most of them away. Row 26
 * (no letter first) is empty.
 */
static uint32_t sig_second[27];
/* By byte: last_bit(), and the first letter's row (0-25, 26 for any other byte). */
static unsigned char lbt[256], fidx[256];
/*
 * What classes() can find, by the first two bytes: a context word w (the
 * words[] entry as written, or w + "'s"), or either followed by # and '
 * ("acct#", "PIN's'"). ctx_forms: one bit per (first letter, second byte's
 * class, length, last byte's class) of w and w + "'s", hashed to 8192
 * bits; ctx_minlen: the shortest w by its first two bytes, which a word
 * ending in # or ' must be longer than. After the signatures above still
 * one word in five went to classes() ("the", "this", "that"): 6,292 calls
 * on 2 MB of the corpus, 871 with these. Every word classes() finds
 * passes these two, so they change no answer.
 */
static uint64_t ctx_forms[8192 / 64];
static unsigned char ctx_minlen[27][28];

static inline uint32_t form_bit(unsigned f, unsigned l1, size_t n, unsigned ll)
{
    return ((((f * 28u + l1) * 16u + (uint32_t)n) * 28u + ll) * 0x9e3779b1u) >> (32 - 13);
}

static unsigned last_bit(unsigned char c)
{
    c = (unsigned char)(c | 0x20);
    return c >= 'a' && c <= 'z' ? (unsigned)(c - 'a') : c >= '0' && c <= '9' ? 26u : 27u;
}

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static uint32_t cshort_slot(uint64_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 56) & (CTX_SHORT_SLOTS - 1);
}

/* The classes of the lower-case word of short key `key`, 0 when it is no context word. */
static uint32_t cshort_get(uint64_t key)
{
    uint32_t k = cshort_slot(key);

    while (cshort[k].key) {
        if (cshort[k].key == key)
            return cshort[k].c;
        k = (k + 1) & (CTX_SHORT_SLOTS - 1);
    }
    return 0;
}

static void ctx_build(void)
{
    size_t i;

    for (i = 0; i < 256; i++) {
        unsigned char f = (unsigned char)(i | 0x20);
        lbt[i] = (unsigned char)last_bit((unsigned char)i);
        fidx[i] = (unsigned char)(f >= 'a' && f <= 'z' ? f - 'a' : 26);
    }
    memset(ctx_minlen, 0xff, sizeof(ctx_minlen));
    for (i = 0; i < BW_NELEMS(words); i++) {
        size_t n = strlen(words[i].w);
        uint32_t k = hash(words[i].w, n) & (CTX_SLOTS - 1);
        while (ctab[k].n && !(ctab[k].n == n && memcmp(ctab[k].w, words[i].w, n) == 0))
            k = (k + 1) & (CTX_SLOTS - 1);
        memcpy(ctab[k].w, words[i].w, n);
        ctab[k].n = (uint8_t)n;
        ctab[k].c |= words[i].c;
        if (n <= 8) {
            uint64_t key = load_n(words[i].w, n);
            k = cshort_slot(key);
            while (cshort[k].key && cshort[k].key != key)
                k = (k + 1) & (CTX_SHORT_SLOTS - 1);
            cshort[k].key = key;
            cshort[k].c |= words[i].c;
        }
        first_letters |= 1u << (words[i].w[0] - 'a');
        sig_first[n] |= 1u << (words[i].w[0] - 'a');
        sig_last[n] |= 1u << last_bit((unsigned char)words[i].w[n - 1]);
        if (n + 2 < 16) /* the possessive "driver's" */
            sig_first[n + 2] |= 1u << (words[i].w[0] - 'a'), sig_last[n + 2] |= 1u << last_bit('s');
        if (n + 1 < 16) /* "acct#" */
            sig_first[n + 1] |= 1u << (words[i].w[0] - 'a'), sig_last[n + 1] |= 1u << last_bit('#');
        /* a one-letter word is seen as "x#" or "x's" */
        sig_second[words[i].w[0] - 'a'] |= 1u << last_bit(n > 1 ? (unsigned char)words[i].w[1] : '#');
        if (n >= 2) {
            unsigned f = fidx[(unsigned char)words[i].w[0]], l1 = lbt[(unsigned char)words[i].w[1]];
            uint32_t b = form_bit(f, l1, n, lbt[(unsigned char)words[i].w[n - 1]]);
            ctx_forms[b / 64] |= 1ull << (b % 64);
            if (n + 2 < 16) {
                b = form_bit(f, l1, n + 2, lbt['s']);
                ctx_forms[b / 64] |= 1ull << (b % 64);
            }
            if (n < ctx_minlen[f][l1])
                ctx_minlen[f][l1] = (unsigned char)n;
        }
    }
}

uint32_t bw_pii_ctx_word(const char *w, size_t n)
{
    uint32_t k;

    if (n == 0 || n > 15 || !bw_c_lower((unsigned char)w[0]) || !(first_letters & (1u << (w[0] - 'a'))))
        return 0;
    k = hash(w, n) & (CTX_SLOTS - 1);
    while (ctab[k].n) {
        if (ctab[k].n == n && memcmp(ctab[k].w, w, n) == 0)
            return ctab[k].c;
        k = (k + 1) & (CTX_SLOTS - 1);
    }
    return 0;
}

/* Lower-cases an ASCII word into buf; returns 0 when it holds other bytes or is too long. */
static size_t lower_word(const char *s, size_t n, char *buf)
{
    size_t i;

    if (n > 15)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (bw_c_upper(c))
            c = (unsigned char)(c + 32);
        else if (!bw_c_lower(c) && !bw_c_digit(c) && c != '\'')
            return 0;
        buf[i] = (char)c;
    }
    return n;
}

/* Classes of word s[0..n), trying it also without "'s" and a trailing "#" (acct#). */
static uint32_t classes(const char *s, size_t n)
{
    char buf[16];
    size_t k;
    uint32_t c;

    while (n && (s[n - 1] == '#' || s[n - 1] == '\''))
        n--;
    if (n > 0 && n <= 8) {
        /*
         * The words here are ASCII letters, digits, ' and #: lower8() folds
         * them; a word with a # inside, or not starting with a letter, is
         * in no table, as lower_word() and bw_pii_ctx_word() would find.
         */
        uint64_t key = lower8(load_n(s, n));
        if ((c = cshort_get(key)) != 0)
            return c;
        if (n > 2 && (key >> (8 * (n - 2)) & 0xffff) == ('\'' | 's' << 8))
            return cshort_get(key & ((1ull << (8 * (n - 2))) - 1));
        return 0;
    }
    if ((k = lower_word(s, n, buf)) == 0)
        return 0;
    if ((c = bw_pii_ctx_word(buf, k)) != 0)
        return c;
    if (k > 2 && buf[k - 2] == '\'' && buf[k - 1] == 's')
        return bw_pii_ctx_word(buf, k - 2);
    return 0;
}

/*
 * Bytes of a context word: ASCII letters and digits, ' and # ("driver's",
 * "acct#"). A table: the backward word scans of bw_pii_ctx_before2() run
 * for every number of a text and were 5% of a default-guardrail apply().
 */
static const unsigned char ctxw[256] = {
    BW_PII_ALNUM_INIT(1), ['\''] = 1, ['#'] = 1,
};

static int wordc(unsigned char c)
{
    return ctxw[c];
}

/* Could word s[0..n) be a context word? A few bit tests turn most words away before any hashing. */
static inline __attribute__((always_inline)) int maybe_ctx(const char *s, size_t n)
{
    unsigned f, l1, ll;
    uint32_t b;

    if (n - 2 > 13) /* n < 2 or n > 15 */
        return 0;
    f = fidx[(unsigned char)s[0]];
    l1 = lbt[(unsigned char)s[1]];
    ll = lbt[(unsigned char)s[n - 1]];
    if (!(sig_first[n] >> f & 1) || !(sig_last[n] >> ll & 1) || !(sig_second[f] >> l1 & 1))
        return 0;
    b = form_bit(f, l1, n, ll);
    return (ctx_forms[b / 64] >> (b % 64) & 1) || (ll == 27 && n > ctx_minlen[f][l1]);
}

uint32_t bw_pii_ctx_before(const char *v, size_t len, size_t pos)
{
    return bw_pii_ctx_before2(v, len, pos, NULL);
}

static int have_avx2 = -1; /* the candidate finder's and the context walk's choice, made in lex_build() */

/*
 * The backward walk over the bytes below i, down to lim, with nw words
 * and nl newlines seen and classes c gathered above i.
 */
static uint32_t walk_bytes(const char *v, size_t i, size_t lim, int nw, int nl, uint32_t c, uint32_t *near)
{
    while (i > lim && nw < BW_CTX_WORDS_BEFORE) {
        size_t e;
        unsigned char ch = (unsigned char)v[i - 1];
        if (!wordc(ch)) {
            if (ch == '\n' && ++nl > 1)
                break;
            i--;
            continue;
        }
        e = i;
        while (i > lim && wordc((unsigned char)v[i - 1]))
            i--;
        nw++;
        if (maybe_ctx(v + i, e - i))
            c |= classes(v + i, e - i);
        if (nw == 3 && near)
            *near = c;
    }
    if (near && nw < 3)
        *near = c;
    return c;
}

#if defined(__GNUC__) && defined(__x86_64__)
/*
 * walk_bytes() over the 64 bytes before pos as bit masks (bit k: byte
 * pos - 64 + k), the context word bytes and the newlines, two AVX2 loads:
 * a word is found by two highest-bit searches, not byte by byte. A word
 * that reaches the masks' first byte, or the bytes below them, are left
 * to walk_bytes(): most walks end inside the 64 bytes.
 */
__attribute__((target("avx2"))) static uint32_t walk_avx2(const char *v, size_t pos, size_t lim, uint32_t *near,
                                                          struct bw_pii_ctxm *m)
{
    const __m256i sp = _mm256_set1_epi8(0x20), a = _mm256_set1_epi8('a'), z = _mm256_set1_epi8(25);
    const __m256i zero = _mm256_set1_epi8('0'), nine = _mm256_set1_epi8(9), q = _mm256_set1_epi8('\'');
    const __m256i hash = _mm256_set1_epi8('#'), lf = _mm256_set1_epi8('\n');
    const char *s = v + pos - 64;
    uint64_t w = 0, nl = 0, let = 0, st, y;
    unsigned t = 64, b = 64, b3 = 0;
    uint32_t c = 0;
    int nw = 0, nls, h, stop = 0, k3;

    for (h = 0; h < 2; h++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(s + 32 * h));
        __m256i l = _mm256_sub_epi8(_mm256_or_si256(x, sp), a);
        __m256i d = _mm256_sub_epi8(x, zero);
        __m256i le = _mm256_cmpeq_epi8(_mm256_min_epu8(l, z), l);
        __m256i wb = _mm256_or_si256(le, _mm256_cmpeq_epi8(_mm256_min_epu8(d, nine), d));
        wb = _mm256_or_si256(wb, _mm256_or_si256(_mm256_cmpeq_epi8(x, q), _mm256_cmpeq_epi8(x, hash)));
        w |= (uint64_t)(uint32_t)_mm256_movemask_epi8(wb) << (32 * h);
        let |= (uint64_t)(uint32_t)_mm256_movemask_epi8(le) << (32 * h);
        nl |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, lf)) << (32 * h);
    }
    /*
     * The walk stops at the second newline from pos: only the words above
     * it count, and none below is read. Without it, one newline at most
     * lies above the last word read, passed on to walk_bytes().
     */
    if (nl && (nl & (nl - 1))) {
        uint64_t x = nl & ~(1ull << (63 - __builtin_clzll(nl)));
        w &= ~0ull << (63 - __builtin_clzll(x)); /* the second newline is no word byte */
        stop = 1;
    }
    /*
     * The words' starts: the six highest (above the second newline) are
     * the words read, and only those starting with a letter can be
     * context words (maybe_ctx()). Numbers in a row (HTML entities,
     * tables) have none, and are settled here without a loop per word. A
     * walk that needs what lies below the masks (fewer than six words in
     * them, or the sixth reaching their first byte) takes the loop below.
     */
    st = w & ~(w << 1);
    nw = __builtin_popcountll(st);
    /* the lowest starts cleared: y keeps the six highest, then the three highest */
    for (y = st; nw > BW_CTX_WORDS_BEFORE; nw--)
        y &= y - 1;
    if (y)
        b = (unsigned)__builtin_ctzll(y);
    for (k3 = nw; k3 > 3; k3--)
        y &= y - 1;
    if (nw >= 3)
        b3 = (unsigned)__builtin_ctzll(y);
    if ((stop || nw == BW_CTX_WORDS_BEFORE) && !(b == 0 && (w & 1))) {
        uint32_t cn = 0;
        y = nw ? st & let & (~0ull << b) : 0;
        while (y) {
            unsigned sb = (unsigned)__builtin_ctzll(y), e = sb + (unsigned)__builtin_ctzll(~(w >> sb));
            y &= y - 1;
            if (maybe_ctx(s + sb, e - sb)) {
                uint32_t k = classes(s + sb, e - sb);
                c |= k;
                if (sb >= b3)
                    cn |= k;
            }
        }
        if (near)
            *near = nw < 3 ? c : cn;
        if (m && c == 0) {
            m->v = v;
            m->lo = pos - 64 + b;
            m->a = (w >> 63) ? pos - 64 + (63 - (unsigned)__builtin_clzll(st)) : pos;
            m->top = (int)(w >> 63);
        } else if (m)
            m->v = NULL;
        return c;
    }
    if (m)
        m->v = NULL;
    nw = 0;
    for (uint64_t rem = w; rem && nw < BW_CTX_WORDS_BEFORE;) {
        unsigned e = 64 - (unsigned)__builtin_clzll(rem);
        y = ~w << (64 - e);
        if (y == 0) /* the word may go on below the masks (never with a second newline) */
            break;
        b = e - (unsigned)__builtin_clzll(y);
        nw++;
        if (maybe_ctx(s + b, e - b))
            c |= classes(s + b, e - b);
        if (nw == 3 && near)
            *near = c;
        t = b;
        rem &= (1ull << b) - 1;
    }
    if (stop || nw == BW_CTX_WORDS_BEFORE) {
        if (near && nw < 3)
            *near = c;
        return c;
    }
    nls = t < 64 && (nl >> t) != 0;
    return walk_bytes(v, pos - 64 + t, lim, nw, nls, c, near);
}
#endif

uint32_t bw_pii_ctx_before3(const char *v, size_t len, size_t pos, uint32_t *near, struct bw_pii_ctxm *m)
{
    size_t lim = pos > 96 ? pos - 96 : 0, i;

    if (m->v == v && pos >= m->a + (m->top ? 1 : 0) && pos <= len && lim <= m->lo && pos - m->a <= 32) {
        for (i = m->a; i < pos && !(bw_pii_ctype[(unsigned char)v[i]] & (BW_CT_UPPER | BW_CT_LOWER)); i++)
            ;
        if (i == pos) {
            /* the word running into pos starts at a or after: the words before it were all read */
            while (i > m->a && wordc((unsigned char)v[i - 1]))
                i--;
            m->top = i < pos;
            m->a = i;
            if (near)
                *near = 0;
            return 0;
        }
    }
#if defined(__GNUC__) && defined(__x86_64__)
    if (pos >= 64 && pos <= len && (have_avx2 > 0 || (have_avx2 < 0 && __builtin_cpu_supports("avx2"))))
        return walk_avx2(v, pos, lim, near, m);
#endif
    m->v = NULL;
    return walk_bytes(v, BW_MIN(pos, len), lim, 0, 0, 0, near);
}

uint32_t bw_pii_ctx_before2(const char *v, size_t len, size_t pos, uint32_t *near)
{
    size_t lim = pos > 96 ? pos - 96 : 0;

#if defined(__GNUC__) && defined(__x86_64__)
    /* the backward scans ran for every number that could take a context word: 5,070 on 2 MB of the corpus */
    if (pos >= 64 && pos <= len && (have_avx2 > 0 || (have_avx2 < 0 && __builtin_cpu_supports("avx2"))))
        return walk_avx2(v, pos, lim, near, NULL);
#endif
    return walk_bytes(v, BW_MIN(pos, len), lim, 0, 0, 0, near);
}

uint32_t bw_pii_ctx_after(const char *v, size_t len, size_t pos, int nwords)
{
    size_t i = pos;
    uint32_t c = 0;
    int nw = 0;

    while (i < len && nw < nwords && i < pos + 64) {
        size_t s;
        unsigned char ch = (unsigned char)v[i];
        if (ch == '\n')
            break;
        if (!wordc(ch)) {
            i++;
            continue;
        }
        s = i;
        while (i < len && wordc((unsigned char)v[i]))
            i++;
        nw++;
        c |= classes(v + s, i - s);
    }
    return c;
}

/* ---- lexicons ---- */

/*
 * The lexicon is a set of 64-bit hashes of lower-cased words: the low bits
 * pick the slot, the high 32 bits are kept as the tag. No key is stored:
 * two different words share a 64-bit hash with negligible probability, and
 * the table stays small (6 bytes a slot, under 400 KB) so lookups mostly
 * hit the cache. This lookup is on the NAME path for every capitalised
 * word of a text.
 */
struct lexent {
    uint32_t tag; /* 0 = empty */
    uint16_t flags;
} __attribute__((packed));

/*
 * In front of it: a Bloom filter (64 KB, two bits a word) that turns most
 * longer words of a text, absent from the lexicon, away; and the short
 * table: every word of at most 8 ASCII bytes of the lexicon (30,000 of its
 * 36,000), keyed by the word itself, so that a short word, present or
 * not, costs one probe instead of a hot-table miss, two mixes, the Bloom
 * filter and the hashed slot (most capitalised words of prose are short:
 * "The", "However", "Python"). It answers what the hashed table answers
 * for every word it holds; for a short word it does not hold it answers
 * 0, where the hashed table could, once in about 2^31 lookups, have
 * answered another word's flags through a shared 32-bit tag.
 */
#define BLOOM_BITS (1u << 19)
#define HOT_BITS 16
#define HOT_SLOTS (1u << HOT_BITS)

struct hotent {
    uint64_t key; /* the lower-cased word, zero-padded; 0 = empty */
    uint16_t flags;
};

static struct {
    struct lexent *slots;
    uint32_t mask;
    uint64_t bloom[BLOOM_BITS / 64];
    struct hotent hot[HOT_SLOTS];
    int rv;
} lex;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

/* Hashes lower-case bytes 8 at a time. */
static uint64_t hash_lower(const unsigned char *p, size_t n, int ascii)
{
    uint64_t h = 0x243f6a8885a308d3ull ^ n;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        h = mix(h, ascii ? lower8(x) : x);
    }
    if (i < n) {
        uint64_t x = load_n((const char *)p + i, n - i);
        h = mix(h, ascii ? lower8(x) : x);
    }
    h = mix(h, 0x632be59bd9b4e019ull);
    return h ? h : 1;
}

/*
 * Folds a word to lower case (UTF-8 aware) and hashes it; returns 0 when
 * it is not valid UTF-8 or too long. ASCII words, nearly all of them, are
 * folded and hashed 8 bytes at a time.
 */
static uint64_t fold_hash(const char *s, size_t n)
{
    const uint64_t hi = 0x8080808080808080ull;
    unsigned char buf[128];
    size_t i = 0, k = 0;
    uint64_t h = 0x243f6a8885a308d3ull ^ n, x;

    /* hash_lower(s, n, 1) with the ASCII test inside, 8 bytes at a time */
    for (; i + 8 <= n; i += 8) {
        memcpy(&x, s + i, 8);
        if (x & hi)
            goto other;
        h = mix(h, lower8(x));
    }
    if (i < n) {
        if ((x = load_n(s + i, n - i)) & hi)
            goto other;
        h = mix(h, lower8(x));
    }
    h = mix(h, 0x632be59bd9b4e019ull);
    return h ? h : 1;
other:
    i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (k + 1 > sizeof(buf))
                return 0;
            buf[k++] = bw_c_upper(c) ? (unsigned char)(c + 32) : c;
            i++;
        } else {
            utf8proc_int32_t cp;
            utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
            utf8proc_ssize_t w;
            if (r <= 0 || k + 4 > sizeof(buf))
                return 0;
            w = utf8proc_encode_char(utf8proc_tolower(cp), buf + k);
            if (w <= 0)
                return 0;
            k += (size_t)w;
            i += (size_t)r;
        }
    }
    return hash_lower(buf, k, 0);
}

static struct lexent *slot_of(uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32) | 1u, k = (uint32_t)h & lex.mask;

    while (lex.slots[k].tag && lex.slots[k].tag != tag)
        k = (k + 1) & lex.mask;
    return &lex.slots[k];
}

static void bloom_set(uint64_t h)
{
    uint32_t a = (uint32_t)(h >> 13) & (BLOOM_BITS - 1), b = (uint32_t)(h >> 40) & (BLOOM_BITS - 1);

    lex.bloom[a / 64] |= 1ull << (a % 64);
    lex.bloom[b / 64] |= 1ull << (b % 64);
}

static int bloom_has(uint64_t h)
{
    uint32_t a = (uint32_t)(h >> 13) & (BLOOM_BITS - 1), b = (uint32_t)(h >> 40) & (BLOOM_BITS - 1);

    return (lex.bloom[a / 64] >> (a % 64) & 1) && (lex.bloom[b / 64] >> (b % 64) & 1);
}

/*
 * In front of the hash of a word the short table cannot hold (longer than
 * 8 bytes, or not ASCII): its length, first and last byte, each byte's low
 * five bits (which leave A-Z and a-z alike): bit (last & 31) of
 * lsig[n & 15][first & 31] is set for every word of the lexicon. A word
 * the lexicon holds passes (equal after ASCII folding: same length, same
 * low five bits at both ends); about two in three absent long words of the
 * corpus stop here, before fold_hash() (~94 instructions) and the Bloom
 * filter. 2 KB.
 */
static uint32_t lsig[16][32];

static int lex_add(const char *w, size_t n, unsigned flags)
{
    uint64_t h = fold_hash(w, n);
    struct lexent *e;

    if (h == 0 || n == 0)
        return 0;
    lsig[n & 15][(unsigned char)w[0] & 31] |= 1u << ((unsigned char)w[n - 1] & 31);
    e = slot_of(h);
    e->tag = (uint32_t)(h >> 32) | 1u;
    e->flags |= (uint16_t)flags;
    bloom_set(h);
    return 0;
}

/*
 * The lower-cased 8-byte key of a short ASCII word, 0 when the word is
 * longer or not ASCII. The bytes are checked eight at a time: the byte
 * loop was a third of a lookup.
 */
static inline uint64_t short_key(const char *w, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, hi = 0x8080808080808080ull;
    uint64_t x, pad;

    if (n == 0 || n > 8)
        return 0;
    x = load_n(w, n);
    if (x & hi)
        return 0;
    /* a NUL inside would alias a shorter word: look for a zero byte among the n */
    pad = n == 8 ? 0 : ~0ull << (8 * n);
    if (((x | pad) - ones) & ~(x | pad) & hi)
        return 0;
    return lower8(x);
}

static uint32_t hot_slot(uint64_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - HOT_BITS)) & (HOT_SLOTS - 1);
}

/*
 * Puts a short word, with the flags the hashed table gives it now, in the
 * short table; a word already there keeps its flags.
 */
static void hot_add_n(const char *w, size_t n)
{
    uint64_t key = short_key(w, n), h;
    uint32_t k, tries;

    if (key == 0)
        return;
    h = fold_hash(w, n);
    for (k = hot_slot(key), tries = 0; tries < HOT_SLOTS; k = (k + 1) & (HOT_SLOTS - 1), tries++) {
        if (lex.hot[k].key == key)
            return;
        if (lex.hot[k].key == 0) {
            lex.hot[k].key = key;
            lex.hot[k].flags = slot_of(h)->flags;
            return;
        }
    }
}

/* The short table's answer for a key (0 when absent). */
static inline unsigned hot_get(uint64_t key)
{
    uint32_t k = hot_slot(key);

    while (lex.hot[k].key) {
        if (lex.hot[k].key == key)
            return lex.hot[k].flags;
        k = (k + 1) & (HOT_SLOTS - 1);
    }
    return 0;
}

static void hot_add(const char *w, unsigned flags)
{
    BW_UNUSED(flags);
    hot_add_n(w, strlen(w));
}

/* Generic TLDs accepted in bare domains ("example.com" without scheme or www). */
static const char *const gtlds[] = {"com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "io",
                                    "ai", "app", "dev", "xyz", "online", "site", "tech", "store", "shop", "blog",
                                    "cloud", "news", "live", "pro", "name", "museum", "aero", "coop", "jobs",
                                    "travel", "mobi", "asia", "eu", "page", "website", "space", "webcam", "agency"};
/* Two-letter TLDs that are far more often file extensions than domains. */
static const char *const not_bare[] = {"py", "rs", "sh", "md", "pl", "so", "cc", "mk", "ps", "pm", "am", "as", "it",
                                       "is", "me", "to", "in", "at", "be", "do", "go", "no", "so", "us", "my",
                                       "hi", "id", "im", "tv", "ms", "gs", "ts", "cs", "js", "sv", "tk", "ml", "ly"};

static const struct {
    const char *file;
    unsigned flags;
} lex_files[] = {
    {"lexicons/names/first.txt", BW_LEX_FIRST},
    {"lexicons/names/last.txt", BW_LEX_LAST},
    {"lexicons/names/common_words.txt", BW_LEX_COMMON},
    {"lexicons/web/tlds.txt", BW_LEX_TLD},
};

static void add_word(const char *w, unsigned flags)
{
    if (lex.rv == 0)
        lex.rv = lex_add(w, strlen(w), flags);
}

static void lex_build(void)
{
    struct bw_iov iov[BW_NELEMS(lex_files)];
    size_t i, lines = 0, nslots = 1024;

    ctx_build();
#if defined(__GNUC__) && defined(__x86_64__)
    have_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    have_avx2 = 0;
#endif
    for (i = 0; i < BW_NELEMS(lex_files); i++) {
        size_t k;
        if ((lex.rv = bw_blob_get(lex_files[i].file, &iov[i])) != 0)
            return;
        for (k = 0; k < iov[i].len; k++)
            lines += iov[i].base[k] == '\n';
    }
    lines += 2048; /* the lists of names.c and address.c */
    while (nslots < lines + lines / 2)
        nslots <<= 1;
    lex.mask = (uint32_t)nslots - 1;
    if ((lex.slots = calloc(nslots, sizeof(*lex.slots))) == NULL) {
        lex.rv = BW_ENOMEM;
        return;
    }
    for (i = 0; i < BW_NELEMS(lex_files); i++) {
        const char *p = iov[i].base, *end = p + iov[i].len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            size_t n = (size_t)(e - p);
            unsigned f = lex_files[i].flags;
            while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
                n--;
            if (n && p[0] != '#') {
                if (f == BW_LEX_TLD && n == 2)
                    f |= BW_LEX_CCTLD;
                if ((lex.rv = lex_add(p, n, f)) != 0)
                    return;
            }
            p = e + 1;
        }
    }
    for (i = 0; i < BW_NELEMS(gtlds); i++)
        lex_add(gtlds[i], strlen(gtlds[i]), BW_LEX_GTLD);
    bw_pii_names_words(add_word);
    bw_pii_address_words(add_word);
    if (lex.rv)
        return;
    /* the hot table, once every flag is merged */
    bw_pii_names_words(hot_add);
    bw_pii_address_words(hot_add);
    /* file-extension look-alikes lose the cctld-in-bare-domain privilege */
    for (i = 0; i < BW_NELEMS(not_bare); i++) {
        struct lexent *e = slot_of(fold_hash(not_bare[i], strlen(not_bare[i])));
        if (e->tag)
            e->flags &= (uint16_t)~BW_LEX_CCTLD;
    }
    /*
     * The other short words, after that change (the recogniser's words
     * above keep the flags they had before it, as they always did: "is"
     * and "to" are cues and still count as country codes there).
     */
    for (i = 0; i < BW_NELEMS(lex_files); i++) {
        const char *p = iov[i].base, *end = p + iov[i].len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            size_t n = (size_t)(e - p);
            while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
                n--;
            if (n && p[0] != '#')
                hot_add_n(p, n);
            p = e + 1;
        }
    }
    for (i = 0; i < BW_NELEMS(gtlds); i++)
        hot_add_n(gtlds[i], strlen(gtlds[i]));
}

int bw_pii_lex_load(void)
{
    pthread_once(&once, lex_build);
    return lex.rv;
}

unsigned bw_pii_lex(const char *w, size_t n)
{
    uint64_t h, key;

    if (lex.slots == NULL || n == 0 || n > 64)
        return 0;
    if ((key = short_key(w, n)) != 0)
        return hot_get(key); /* every short word of the lexicon is in the short table */
    if (!(lsig[n & 15][(unsigned char)w[0] & 31] >> ((unsigned char)w[n - 1] & 31) & 1))
        return 0;
    h = fold_hash(w, n);
    if (h == 0)
        h = 1;
    if (!bloom_has(h))
        return 0;
    return slot_of(h)->flags;
}

/*
 * For 1 to 8 ASCII letters, short_key() is lower8(load_n()): its checks
 * (high bit, NUL, length) cannot fail, the walk's capitalised words skip
 * them.
 */
unsigned bw_pii_lex_letters(const char *w, size_t n)
{
    /* one compare for n == 0 and n > 8; before the load the short table is empty and answers 0, as bw_pii_lex() does */
    if (n - 1 > 7)
        return bw_pii_lex(w, n);
    return hot_get(lower8(load_n(w, n)));
}

/* ---- byte classes ---- */

const unsigned char bw_pii_ctype[256] = {
    ['0' ... '9'] = BW_CT_DIGIT, ['A' ... 'Z'] = BW_CT_UPPER, ['a' ... 'z'] = BW_CT_LOWER,
    [' '] = BW_CT_SPACE,         ['\t'] = BW_CT_SPACE,        ['\n'] = BW_CT_SPACE,
    ['\r'] = BW_CT_SPACE,        ['\f'] = BW_CT_SPACE,        ['\v'] = BW_CT_SPACE,
    [0x80 ... 0xff] = BW_CT_HIGH,
};

/* GNU range designators: accepted by gcc and clang in C11 mode without -pedantic. */
const unsigned char bw_pii_cls[256] = {
    ['A' ... 'Z'] = BW_CLS_LETTER, ['a' ... 'z'] = BW_CLS_LETTER, [0x80 ... 0xff] = BW_CLS_LETTER,
    ['0' ... '9'] = BW_CLS_DIGIT,  ['\''] = BW_CLS_JOIN,           ['-'] = BW_CLS_JOIN,
};

/* ---- candidate finder ---- */

/* Lead bytes 0xC3..0xDF start the 2-byte letters of Latin, Greek and Cyrillic; 0xE2 (quotes, dashes) does not. */
static int start_byte(unsigned char c, int digits)
{
    return bw_c_upper(c) || (c >= 0xc3 && c <= 0xdf) || (digits && bw_c_digit(c));
}

#ifdef __SSE2__
/* Bits of v[i..i+16) where start_byte() holds. */
static unsigned mask16(const char *v, size_t i, int digits)
{
    const __m128i a = _mm_set1_epi8('A'), z = _mm_set1_epi8(25), hi = _mm_set1_epi8((char)0xc3);
    const __m128i hz = _mm_set1_epi8(0x1c), zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
    __m128i t = _mm_sub_epi8(x, a);
    __m128i m = _mm_cmpeq_epi8(_mm_min_epu8(t, z), t);

    t = _mm_sub_epi8(x, hi);
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(t, hz), t));
    if (digits) {
        __m128i d = _mm_sub_epi8(x, zero);
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d));
    }
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

size_t bw_pii_next_start(const char *v, size_t len, size_t from, int digits)
{
    size_t i = from;

#ifdef __SSE2__
    while (i + 16 <= len) {
        unsigned mask = mask16(v, i, digits);
        while (mask) {
            size_t p = i + (size_t)__builtin_ctz(mask);
            if (p == 0 || !bw_c_word((unsigned char)v[p - 1]))
                return p;
            mask &= mask - 1;
        }
        i += 16;
    }
#endif
    for (; i < len; i++)
        if (start_byte((unsigned char)v[i], digits) && (i == 0 || !bw_c_word((unsigned char)v[i - 1])))
            return i;
    return len;
}

#ifdef __SSE2__
#if defined(__GNUC__) && defined(__x86_64__)
/* The same over 64 bytes with AVX2, chosen at run time. */
static inline __attribute__((always_inline, target("avx2"))) uint64_t mask64_avx2(const char *v, int digits)
{
    /*
     * A range [lo, lo + n) by one add and one signed compare: x + (0x80 - lo)
     * puts it at -128 .. -128 + n - 1, below every other byte.
     */
    const __m256i a = _mm256_set1_epi8((char)(0x80 - 'A')), z = _mm256_set1_epi8((char)(-128 + 26));
    const __m256i hi = _mm256_set1_epi8((char)(0x80 - 0xc3)), hz = _mm256_set1_epi8((char)(-128 + 0x1d));
    const __m256i zero = _mm256_set1_epi8('0'), nine = _mm256_set1_epi8(9);
    uint64_t r = 0;
    int h;

    for (h = 0; h < 2; h++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(v + 32 * h));
        __m256i m = _mm256_cmpgt_epi8(z, _mm256_add_epi8(x, a));

        m = _mm256_or_si256(m, _mm256_cmpgt_epi8(hz, _mm256_add_epi8(x, hi)));
        if (digits) {
            __m256i d = _mm256_sub_epi8(x, zero);
            m = _mm256_or_si256(m, _mm256_cmpeq_epi8(_mm256_min_epu8(d, nine), d));
        }
        r |= (uint64_t)(uint32_t)_mm256_movemask_epi8(m) << (32 * h);
    }
    return r;
}

/* n masks of the 64-byte blocks from v, one loop per variant: no call or test per block. */
__attribute__((target("avx2"))) static void masks_avx2(const char *v, unsigned n, int digits, uint64_t *out)
{
    unsigned b;

    if (digits)
        for (b = 0; b < n; b++)
            out[b] = mask64_avx2(v + 64 * (size_t)b, 1);
    else
        for (b = 0; b < n; b++)
            out[b] = mask64_avx2(v + 64 * (size_t)b, 0);
}
#endif

/*
 * Candidate bytes of the n 64-byte blocks at i, bit per byte, into out.
 * 64-byte blocks, BW_PII_STARTS_BATCH at a time: per block, the choice,
 * the call and the iterator's refill were as many instructions as the
 * compares.
 */
static void block_masks(const char *v, size_t i, unsigned n, int digits, uint64_t *out)
{
    unsigned b;

#if defined(__GNUC__) && defined(__x86_64__)
    /* set once by lex_build(); before that (a walk without lexicons) ask the CPU each time */
    if (have_avx2 > 0 || (have_avx2 < 0 && __builtin_cpu_supports("avx2"))) {
        masks_avx2(v + i, n, digits, out);
        return;
    }
#endif
    for (b = 0; b < n; b++, i += 64)
        out[b] = (uint64_t)mask16(v, i, digits) | (uint64_t)mask16(v, i + 16, digits) << 16 |
                 (uint64_t)mask16(v, i + 32, digits) << 32 | (uint64_t)mask16(v, i + 48, digits) << 48;
}
#else
/* Without SSE2: the same masks, byte by byte (bw_pii_start_masks() needs them). */
static void block_masks(const char *v, size_t i, unsigned n, int digits, uint64_t *out)
{
    unsigned b, k;

    for (b = 0; b < n; b++, i += 64) {
        uint64_t m = 0;
        for (k = 0; k < 64; k++)
            m |= (uint64_t)start_byte((unsigned char)v[i + k], digits) << k;
        out[b] = m;
    }
}
#endif

void bw_pii_start_masks(const char *v, size_t len, size_t from, unsigned n, uint64_t *out)
{
    size_t full = len > from ? (len - from) / BW_PII_STARTS_BLOCK : 0;
    unsigned k = (unsigned)BW_MIN(full, (size_t)n);
    char pad[BW_PII_STARTS_BLOCK];

    if (k)
        block_masks(v, from, k, 0, out);
    if (k == n)
        return;
    /* the last, partial block, read as if NULs followed the text: a NUL is no candidate */
    from += BW_PII_STARTS_BLOCK * (size_t)k;
    if (from < len) {
        memset(pad, 0, sizeof(pad));
        memcpy(pad, v + from, len - from);
        block_masks(pad, 0, 1, 0, out + k);
        k++;
    }
    for (; k < n; k++)
        out[k] = 0;
}

size_t bw_pii_starts_next(struct bw_pii_starts *it, size_t from)
{
#ifdef __SSE2__
    const char *v = it->v;

    for (;;) {
        size_t off = from - it->bat, b;
        uint64_t m;
        if (from < it->bat || off >= (size_t)it->nbat * BW_PII_STARTS_BLOCK) {
            size_t blk = from & ~(size_t)(BW_PII_STARTS_BLOCK - 1);
            size_t n = (it->len - BW_MIN(blk, it->len)) / BW_PII_STARTS_BLOCK;
            if (n == 0)
                break; /* the tail, under a block */
            it->bat = blk;
            it->nbat = (unsigned)BW_MIN(n, (size_t)BW_PII_STARTS_BATCH);
            block_masks(v, blk, it->nbat, it->digits, it->masks);
            off = from - blk;
        }
        b = off / BW_PII_STARTS_BLOCK;
        m = it->masks[b] & (~0ull << (off % BW_PII_STARTS_BLOCK)); /* the candidates from `from` on */
        for (;;) {
            while (m) {
                size_t p = it->bat + b * BW_PII_STARTS_BLOCK + (size_t)__builtin_ctzll(m);
                if (p == 0 || !bw_c_word((unsigned char)v[p - 1]))
                    return p;
                m &= m - 1;
            }
            if (++b >= it->nbat)
                break;
            m = it->masks[b];
        }
        from = it->bat + (size_t)it->nbat * BW_PII_STARTS_BLOCK;
    }
    return bw_pii_next_start(v, it->len, from, it->digits);
#else
    return bw_pii_next_start(it->v, it->len, from, it->digits);
#endif
}
