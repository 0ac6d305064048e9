/*
 * context.h: what the parts of the PII recogniser share: context words
 * (the few words before a candidate that make an ambiguous number a PIN,
 * a CVV or a passport number, as Presidio's context enhancer does), the
 * name and web lexicons built from conf/lexicons, and the NAME and ADDRESS
 * passes (names.c, address.c).
 *
 * Everything here reads the normalised view of the text (case kept, see
 * filters/norm.h) and allocates nothing per call.
 */
#ifndef BW_PII_CONTEXT_H
#define BW_PII_CONTEXT_H

#include "filters/bw.h"

/* Context classes: a word can belong to several. */
enum {
    BW_CTX_PHONE = 1u << 0,
    BW_CTX_CARD = 1u << 1,
    BW_CTX_SSN = 1u << 2,
    BW_CTX_ITIN = 1u << 3,
    BW_CTX_SIN = 1u << 4,
    BW_CTX_ROUTING = 1u << 5,
    BW_CTX_ACCOUNT = 1u << 6,
    BW_CTX_NHS = 1u << 7,
    BW_CTX_UTR = 1u << 8,
    BW_CTX_HEALTH = 1u << 9,
    BW_CTX_PASSPORT = 1u << 10,
    BW_CTX_PIN = 1u << 11,
    BW_CTX_CVV = 1u << 12,
    BW_CTX_EXPIRY = 1u << 13,
    BW_CTX_DRIVER = 1u << 14,
    BW_CTX_PLATE = 1u << 15,
    BW_CTX_VIN = 1u << 16,
    BW_CTX_AGE = 1u << 17,
    BW_CTX_ZIP = 1u << 18,
    BW_CTX_SWIFT = 1u << 19,
    BW_CTX_IBAN = 1u << 20,
    BW_CTX_MAC = 1u << 21,
    BW_CTX_NINO = 1u << 22,
    BW_CTX_DATE = 1u << 23, /* date, born, dob: a number there is a date, not PII */
    BW_CTX_AWS = 1u << 24,
    BW_CTX_ADDRESS = 1u << 25,
};

/* Words looked at before a candidate (Presidio: 5). */
#define BW_CTX_WORDS_BEFORE 6

/* Classes of one lower-case ASCII word, 0 when it is no context word. */
uint32_t bw_pii_ctx_word(const char *w, size_t n);

/*
 * Classes of the words in the BW_CTX_WORDS_BEFORE words that end before
 * view offset pos (looking back at most 96 bytes, across at most one
 * line break).
 */
uint32_t bw_pii_ctx_before(const char *v, size_t len, size_t pos);
/* The same, and in *near the classes of the 3 nearest words only. */
uint32_t bw_pii_ctx_before2(const char *v, size_t len, size_t pos, uint32_t *near);

/*
 * The last walk back that found no context word, kept in a scan's scratch
 * (zeroed, or v = NULL, before its first use): numbers in a row with no
 * letter between them (HTML entities such as "&#128514;&#128515;", 18% of
 * the corpus's digit runs) are answered from it without a walk. The walk
 * at some earlier position ended within its six words (or at a second
 * newline) and every word it read starts at lo or later and has no class;
 * the words it read since are those from a on (a word starts at a when
 * top). A later position p whose 96 bytes reach no lower than lo, with no
 * letter in [a, p) (and p > a when top: at a itself the walk would read
 * one word more below), reads only those words and words of no letter: no
 * class.
 */
struct bw_pii_ctxm {
    const char *v;
    size_t lo, a;
    int top;
};

/* bw_pii_ctx_before2(), answered from or kept in *m. */
uint32_t bw_pii_ctx_before3(const char *v, size_t len, size_t pos, uint32_t *near, struct bw_pii_ctxm *m);

/* Classes of the first `nwords` words after view offset pos (same line). */
uint32_t bw_pii_ctx_after(const char *v, size_t len, size_t pos, int nwords);

/* Lexicons, built once per process from conf/lexicons and then shared. */
#define BW_LEX_FIRST 0x01   /* a first name */
#define BW_LEX_LAST 0x02    /* a last name */
#define BW_LEX_COMMON 0x04  /* also a common English word ("Will", "Rose") */
#define BW_LEX_TLD 0x08     /* a top-level domain */
#define BW_LEX_CCTLD 0x10   /* a two-letter (country) TLD */
#define BW_LEX_GTLD 0x20    /* a widely used generic TLD accepted in bare domains */
#define BW_LEX_NOTNAME 0x40 /* capitalised but rarely a person: months, places, brands */
#define BW_LEX_ORG 0x80     /* ends an organisation or place name ("Street", "Inc") */
#define BW_LEX_HONOR 0x100  /* an honorific ("Mr", "Dr") */
#define BW_LEX_STYPE 0x200  /* a street type ("Street", "Ave", "vej") */
#define BW_LEX_SPREFIX 0x400 /* a street prefix ("Rue", "Via", "ul") */
#define BW_LEX_UNIT 0x800   /* a unit word ("Apt", "Suite") */
#define BW_LEX_ASTOP 0x1000 /* a word that ends an address block ("Mobile", "Phone") */
#define BW_LEX_CUE 0x2000   /* a word after which capitalised words are a name ("Dear") */
#define BW_LEX_PLACE 0x4000 /* opens a place name before a capitalised word ("San", "New", "Lake") */

/* Returns the BW_LEX_* flags of a word, compared case-insensitively; 0 when absent. */
unsigned bw_pii_lex(const char *w, size_t n);
/* bw_pii_lex() of a word of ASCII letters only ([A-Za-z]+): its bytes are not checked. */
unsigned bw_pii_lex_letters(const char *w, size_t n);
/* Loads the lexicons (once; thread-safe). Returns 0 or BW_ENOMEM / BW_ENOTFOUND. */
int bw_pii_lex_load(void);

/* The word lists of names.c and address.c, added to the lexicons at load. */
typedef void (*bw_pii_lex_add_fn)(const char *w, unsigned flags);
void bw_pii_names_words(bw_pii_lex_add_fn add);
void bw_pii_address_words(bw_pii_lex_add_fn add);

/*
 * Character helpers shared by the recogniser files, by table: one load and
 * one test each (the range compares were 6% of a default apply()'s
 * instructions, spread over every byte loop of the walks and callbacks).
 */
extern const unsigned char bw_pii_ctype[256];
/* Designated initialisers setting every ASCII letter and digit of a 256-byte table to v. */
#define BW_PII_ALNUM_INIT(v)                                                                                    \
    ['0'] = v, ['1'] = v, ['2'] = v, ['3'] = v, ['4'] = v, ['5'] = v, ['6'] = v, ['7'] = v, ['8'] = v,          \
    ['9'] = v, ['a'] = v, ['b'] = v, ['c'] = v, ['d'] = v, ['e'] = v, ['f'] = v, ['g'] = v, ['h'] = v,          \
    ['i'] = v, ['j'] = v, ['k'] = v, ['l'] = v, ['m'] = v, ['n'] = v, ['o'] = v, ['p'] = v, ['q'] = v,          \
    ['r'] = v, ['s'] = v, ['t'] = v, ['u'] = v, ['v'] = v, ['w'] = v, ['x'] = v, ['y'] = v, ['z'] = v,          \
    ['A'] = v, ['B'] = v, ['C'] = v, ['D'] = v, ['E'] = v, ['F'] = v, ['G'] = v, ['H'] = v, ['I'] = v,          \
    ['J'] = v, ['K'] = v, ['L'] = v, ['M'] = v, ['N'] = v, ['O'] = v, ['P'] = v, ['Q'] = v, ['R'] = v,          \
    ['S'] = v, ['T'] = v, ['U'] = v, ['V'] = v, ['W'] = v, ['X'] = v, ['Y'] = v, ['Z'] = v

#define BW_CT_DIGIT 0x01
#define BW_CT_UPPER 0x02
#define BW_CT_LOWER 0x04
#define BW_CT_SPACE 0x08
#define BW_CT_HIGH 0x10 /* a byte >= 0x80 */

static inline int bw_c_digit(unsigned char c)
{
    return bw_pii_ctype[c] & BW_CT_DIGIT;
}
static inline int bw_c_upper(unsigned char c)
{
    return (bw_pii_ctype[c] & BW_CT_UPPER) != 0;
}
static inline int bw_c_lower(unsigned char c)
{
    return (bw_pii_ctype[c] & BW_CT_LOWER) != 0;
}
static inline int bw_c_alpha(unsigned char c)
{
    return (bw_pii_ctype[c] & (BW_CT_UPPER | BW_CT_LOWER)) != 0;
}
static inline int bw_c_alnum(unsigned char c)
{
    return (bw_pii_ctype[c] & (BW_CT_UPPER | BW_CT_LOWER | BW_CT_DIGIT)) != 0;
}
static inline int bw_c_space(unsigned char c)
{
    return (bw_pii_ctype[c] & BW_CT_SPACE) != 0;
}
/*
 * Is s[0..n) the lower-case ASCII literal lit, ignoring the case of s? The
 * one caseless compare of names.c, address.c and recognize.c (each had a
 * copy).
 */
static inline int bw_pii_ieq(const char *s, size_t n, const char *lit)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (bw_c_upper(c))
            c = (unsigned char)(c + 32);
        if (lit[i] == '\0' || c != (unsigned char)lit[i])
            return 0;
    }
    return lit[n] == '\0';
}

/* A byte of a word: ASCII letters and digits, and any non-ASCII UTF-8 byte. */
static inline int bw_c_word(unsigned char c)
{
    return (bw_pii_ctype[c] & (BW_CT_UPPER | BW_CT_LOWER | BW_CT_DIGIT | BW_CT_HIGH)) != 0;
}

/*
 * Byte classes by table, for the loops that run over every byte of a
 * word: 1 letter or non-ASCII byte (a letter of a name), 2 digit,
 * 4 apostrophe or hyphen (inside a name: "O'Brien", "Jean-Luc").
 */
extern const unsigned char bw_pii_cls[256];
#define BW_CLS_LETTER 1
#define BW_CLS_DIGIT 2
#define BW_CLS_JOIN 4

/*
 * The next word start at or after `from` whose first byte is an ASCII
 * capital, a UTF-8 lead byte of a 2-byte letter (0xC3..0xDF), or, when
 * `digits`, a digit. Returns len when there is none. Scans 16 bytes at a
 * time: a plain byte loop over 4 KB costs more than the whole matcher scan.
 */
size_t bw_pii_next_start(const char *v, size_t len, size_t from, int digits);

/*
 * The same as an iterator that keeps the candidate masks of up to
 * BW_PII_STARTS_BATCH 64-byte blocks, computed together, so that calls
 * with increasing `from` scan each block once. Any `from` is answered,
 * an earlier one too (it refills the masks there).
 */
#define BW_PII_STARTS_BLOCK 64
#define BW_PII_STARTS_BATCH 64
struct bw_pii_starts {
    const char *v;
    size_t len;
    size_t bat;    /* offset of the first block of masks[] */
    unsigned nbat; /* blocks in masks[], 0 before the first call */
    int digits;
    uint64_t masks[BW_PII_STARTS_BATCH];
};

static inline void bw_pii_starts_init(struct bw_pii_starts *it, const char *v, size_t len, int digits)
{
    it->v = v;
    it->len = len;
    it->bat = 0;
    it->nbat = 0;
    it->digits = digits;
}

size_t bw_pii_starts_next(struct bw_pii_starts *it, size_t from);

/*
 * The candidate masks themselves, for a walk that keeps them in its own
 * loop: bit k of out[b] is set where the byte at from + 64 * b + k is an
 * ASCII capital or a 0xC3..0xDF lead byte (word start or not: the caller
 * tests the byte before). from is a multiple of 64; bytes at and after
 * len count as NULs (no candidate), so the last, partial block needs no
 * byte loop.
 */
void bw_pii_start_masks(const char *v, size_t len, size_t from, unsigned n, uint64_t *out);

/*
 * The NAME and ADDRESS passes walk the view once (they cannot use
 * caseless patterns: capitalisation is their main evidence) and report
 * candidates through emit(ctx, type, from, to, score).
 */
typedef int (*bw_pii_emit_fn)(void *ctx, int type, size_t from, size_t to, int score);

int bw_pii_names_scan(const char *v, size_t len, bw_pii_emit_fn emit, void *ctx);
int bw_pii_address_scan(const char *v, size_t len, bw_pii_emit_fn emit, void *ctx);

/*
 * One candidate of the ADDRESS walk: a word start with a capital or a
 * digit at i. Returns where the walk goes on; *hit says whether an address
 * was reported; *rvp gets emit()'s failure (then the return is len).
 */
size_t bw_pii_address_at(const char *v, size_t len, size_t i, bw_pii_emit_fn emit, void *ctx, int *hit, int *rvp);

/*
 * 0 when bw_pii_address_at() cannot report an address at the capitalised
 * word start i (its return value then only matters to a walk without NAME).
 * e: where the word's letters are still to be read: i + 1, or further when
 * the caller has read the lower-case ASCII letters after a capital.
 */
int bw_pii_address_may_hit(const char *v, size_t len, size_t i, size_t e);

/*
 * Can a box or unit word (P., PO, PSC, Unit, USNS, USCGC, Box, Apt,
 * Apartment, Suite) start with capital c and be n bytes long? The first
 * test of both bw_pii_address_may_hit() and the NAME walk's address gate:
 * "People", "But", "Some" fail it at once.
 */
static inline int bw_pii_box_len(unsigned char c, size_t n)
{
    switch (c) {
    case 'P': return n >= 1 && n <= 3;
    case 'U': return n == 4 || n == 5;
    case 'B': return n == 3;
    case 'A': return n == 3 || n == 9;
    case 'S': return n == 5;
    default: return 0;
    }
}

/* The NAME walk; with `address`, it also runs the ADDRESS candidates of its capitals (one pass for both). */
int bw_pii_walk(const char *v, size_t len, int names, int address, bw_pii_emit_fn emit, void *ctx);

#endif
