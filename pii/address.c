/*
 * address.c: ADDRESS, a first honest recogniser of postal addresses by
 * their structure, without a statistical model.
 *
 * A street is found in one of three shapes:
 *   - house number + capitalised words + a street type ("221 Baker Street",
 *     "1668 Glyn St", "24 Clarke Avenue");
 *   - a street prefix + words + house number ("Rua do Arenque 1634",
 *     "Via Franscini 71", "ul. Słowicza 10"), or a one-word street with a
 *     street ending + number ("Koskikatu 25", "Ringvej 144",
 *     "Strickstrasse 61");
 *   - post boxes: "P.O. Box 255", "PSC 3294, Box 9168", "Unit 0822 Box 8858".
 * It is then extended over what usually follows on the same or the next
 * lines: a unit ("Apt. 864", "Suite 282"), a city, a state or province
 * code, a postal code and a country. UK and Canadian postcodes alone are
 * addresses too. Isolated city or country names are not (Bedrock).
 */
#include <string.h>
#include <utf8proc.h>

#include "pii/context.h"
#include "pii/entities.h"

static const char *const types[] = {
    "street", "st", "road", "rd", "avenue", "ave", "av", "boulevard", "blvd", "lane", "ln", "drive", "dr", "court",
    "ct", "place", "pl", "way", "terrace", "ter", "parkway", "pkwy", "highway", "hwy", "circle", "cir", "square",
    "sq", "trail", "trl", "crescent", "cres", "close", "row", "walk", "loop", "alley", "plaza", "gardens", "gdns",
    "hill", "heights", "point", "ridge", "route", "rte", "pike", "turnpike", "expressway", "freeway", "grove",
    "mews", "green", "view", "vista", "crossing", "crossroad", "junction", "path", "pass", "passage", "quay",
    "wharf", "wynd", "port", "harbor", "harbour", "estate", "park", "glen", "meadow", "meadows", "orchard",
    "manor", "village", "fort", "falls", "springs", "creek", "bend", "cove", "fields", "flat", "flats", "union",
    "radial", "extensions", "extension", "prairie", "rapids", "pines", "haven", "summit", "station", "str",
    "straße", "strasse", "gasse", "weg", "allee", "platz", "ring", "chaussee", "damm", "ufer", "steig", "pfad",
    "gata", "gatan", "vej", "vei", "veien", "vegen", "vegur", "vägen", "väg", "gade", "laan", "straat",
    "plein", "dijk", "kaai", "katu", "tie", "kuja", "polku", "rinne", "utca", "út", "tér", "körút", "iela",
    "tänav", "gatve", "ulica", "ul", "cesta", "trg", "ulice", "náměstí", "odos", "yolu", "sokak", "caddesi",
};

/* Street endings inside one word ("Koskikatu", "Ringvej", "Bundesstrasse"). */
static const char *const endings[] = {"katu", "kuja", "tie", "polku", "gade", "vej", "vænget", "straße", "strasse",
                                      "gasse", "weg", "allee", "platz", "veien", "vegen", "vegur", "braut",
                                      "stræti", "gata", "gatan", "vägen", "väg", "laan", "straat", "plein", "dijk",
                                      "kade", "graben", "ring", "stien", "bakken", "torget", "stig", "gränd",
                                      "steig", "damm", "berg", "hof", "markt", "utca", "iela", "tänav", "centret"};

/* Street prefixes ("Rue de la Paix 3", "Via Roma 1"). */
static const char *const prefixes[] = {"rue", "via", "viale", "vicolo", "piazza", "piazzale", "corso", "largo",
                                       "calle", "avenida", "av", "carrer", "paseo", "plaza", "camino", "carretera",
                                       "rua", "travessa", "praça", "estrada", "alameda", "avenue", "boulevard",
                                       "chemin", "route", "allée", "quai", "impasse", "place", "cours", "ul",
                                       "ulica", "aleja", "al", "os", "pl", "strada", "calea", "bulevardul",
                                       "str", "odos", "leoforos", "λ", "οδός", "jalan", "jl", "sokak", "avinguda",
                                       "passeig", "rambla", "ronda", "vía", "carrera", "calzada", "rynek"};

static const char *const units[] = {"apt", "apartment", "suite", "ste", "unit", "flat", "floor", "fl", "room", "rm",
                                    "building", "bldg", "#", "no", "po", "p.o.", "box", "lot", "dept"};

/* Words that end an address block ("Mobile: ...", "Phone ..."). */
static const char *const stops[] = {"mobile", "phone", "desk", "fax", "tel", "email", "e-mail", "website", "date",
                                    "name", "and", "for", "is", "i", "the", "to", "on", "at", "in", "from", "my",
                                    "office", "please", "can", "could", "will", "would", "it", "this", "that",
                                    "he", "she", "we", "they", "you", "there", "here", "then", "if", "but", "or",
                                    "a", "an", "as", "so", "of", "with", "by", "was", "are", "be"};

/*
 * First and last letters of the ASCII street prefixes, bit (last - 'a') of
 * pfx_sig[first - 'a']: an ASCII word that is no prefix is turned away
 * without a lexicon lookup. Set with the lexicons (below), which are
 * loaded before any walk.
 */
static uint32_t pfx_sig[26];

/*
 * The street endings by their last letter (all ASCII): bit k of
 * end_sig[last - 'a'] for endings[k], with its byte length in end_len[k].
 * ends_with() compared every ending, with a strlen() each, ~1,100
 * instructions a call; a word's last letter leaves one to seven. Set with
 * the lexicons, like pfx_sig.
 */
static uint64_t end_sig[26];
static unsigned char end_len[sizeof(endings) / sizeof(endings[0])];

void bw_pii_address_words(bw_pii_lex_add_fn add)
{
    size_t i;

    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        const char *p = prefixes[i];
        size_t n = strlen(p);
        if (bw_c_lower((unsigned char)p[0]) && bw_c_lower((unsigned char)p[n - 1]))
            pfx_sig[p[0] - 'a'] |= 1u << (p[n - 1] - 'a');
    }

    for (i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
        size_t n = strlen(endings[i]);
        end_len[i] = (unsigned char)n;
        end_sig[endings[i][n - 1] - 'a'] |= 1ull << i;
    }

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        add(types[i], BW_LEX_STYPE);
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        add(prefixes[i], BW_LEX_SPREFIX);
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        add(units[i], BW_LEX_UNIT);
    for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
        add(stops[i], BW_LEX_ASTOP);
}

static int lexf(const char *v, size_t s, size_t e, unsigned f)
{
    return e > s && (bw_pii_lex(v + s, e - s) & f) != 0;
}

/* lexf(v, s, e, BW_LEX_SPREFIX), with ASCII words that cannot be one turned away first */
static int prefix_word(const char *v, size_t s, size_t e)
{
    size_t k;

    for (k = s; k < e; k++)
        if (!bw_c_alpha((unsigned char)v[k]))
            return lexf(v, s, e, BW_LEX_SPREFIX);
    if (e == s || !(pfx_sig[(v[s] | 0x20) - 'a'] >> ((v[e - 1] | 0x20) - 'a') & 1))
        return 0;
    return lexf(v, s, e, BW_LEX_SPREFIX);
}

/* Does the word [s, s + n) end with a street ending ("Koskikatu"), after at least three more bytes? */
static int street_ending(const char *s, size_t n)
{
    unsigned char c;
    uint64_t m;

    if (n == 0)
        return 0;
    c = (unsigned char)s[n - 1];
    if (bw_c_upper(c))
        c = (unsigned char)(c + 32);
    if (c < 'a' || c > 'z') /* bw_pii_ieq() folds A-Z only; every ending ends in a-z */
        return 0;
    for (m = end_sig[c - 'a']; m; m &= m - 1) {
        unsigned k = (unsigned)__builtin_ctzll(m);
        if (n > (size_t)end_len[k] + 2 && bw_pii_ieq(s + n - end_len[k], end_len[k], endings[k]))
            return 1;
    }
    return 0;
}

static inline __attribute__((always_inline)) size_t word_end(const char *v, size_t len, size_t i)
{
    /* letters (any script), and an apostrophe or hyphen between letters */
    for (;;) {
        while (i < len && bw_pii_cls[(unsigned char)v[i]] == BW_CLS_LETTER)
            i++;
        if (i + 1 < len && bw_pii_cls[(unsigned char)v[i]] == BW_CLS_JOIN &&
            bw_pii_cls[(unsigned char)v[i + 1]] == BW_CLS_LETTER && bw_c_alpha((unsigned char)v[i + 1]))
            i++;
        else
            return i;
    }
}

static size_t num_end(const char *v, size_t len, size_t i, size_t maxd)
{
    size_t s = i;

    while (i < len && bw_c_digit((unsigned char)v[i]) && i - s <= maxd)
        i++;
    if (i == s || i - s > maxd)
        return 0;
    /* "12B", "12-14" */
    if (i < len && bw_c_alpha((unsigned char)v[i]) && (i + 1 >= len || !bw_c_alnum((unsigned char)v[i + 1])))
        i++;
    if (i < len && bw_c_alnum((unsigned char)v[i]))
        return 0;
    return i;
}

static int capital(const char *v, size_t i)
{
    utf8proc_int32_t cp;

    if ((unsigned char)v[i] < 0x80)
        return bw_c_upper((unsigned char)v[i]);
    if ((unsigned char)v[i] < 0xc3 || utf8proc_iterate((const utf8proc_uint8_t *)v + i, 4, &cp) <= 0)
        return 0;
    return utf8proc_get_property(cp)->category == UTF8PROC_CATEGORY_LU;
}

/* After a word ending at e (and its dot): a space then a capital or a digit? */
static inline __attribute__((always_inline)) int next_cap(const char *v, size_t len, size_t e)
{
    size_t k;

    if (e < len && v[e] == '.')
        e++;
    if (e + 1 >= len || v[e] != ' ')
        return 0;
    e++;
    /* a particle first: "Rua do Arenque", "Avenue du Golf" */
    for (k = e; k < len && bw_c_lower((unsigned char)v[k]) && k - e < 4; k++)
        ;
    if (k > e && k - e <= 3 && k + 1 < len && v[k] == ' ')
        e = k + 1;
    return e < len &&
           (bw_c_upper((unsigned char)v[e]) || bw_c_digit((unsigned char)v[e]) || (unsigned char)v[e] >= 0xc3);
}

static size_t skip_sp(const char *v, size_t len, size_t i)
{
    while (i < len && (v[i] == ' ' || v[i] == '\t'))
        i++;
    return i;
}

/* A postal code at i (US ZIP, ZIP+4, 3-6 digits, "340 12", UK, Canada, "53-320", "75534-030"); returns its end or 0. */
static size_t postcode(const char *v, size_t len, size_t i)
{
    size_t e = i, d = 0, k;

    while (e < len && bw_c_digit((unsigned char)v[e]))
        e++, d++;
    if (d >= 3 && d <= 6) {
        if (e + 1 < len && (v[e] == '-' || v[e] == ' ') && bw_c_digit((unsigned char)v[e + 1])) {
            k = e + 1;
            while (k < len && bw_c_digit((unsigned char)v[k]))
                k++;
            if (k - e - 1 >= 2 && k - e - 1 <= 4 && (k >= len || !bw_c_alnum((unsigned char)v[k])))
                return k;
        }
        return e < len && bw_c_alnum((unsigned char)v[e]) ? 0 : e;
    }
    /* UK "SW1A 1AA", "M1 1AE"; Canada "B0J 2H0" */
    if (d == 0 && i + 5 < len && bw_c_upper((unsigned char)v[i])) {
        size_t a = i, sp;
        while (a < len && bw_c_alnum((unsigned char)v[a]) && a - i < 5)
            a++;
        if (a - i < 2 || a >= len || v[a] != ' ' || !bw_c_digit((unsigned char)v[a - 1] ) ) {
            if (!(a - i == 3 && bw_c_upper((unsigned char)v[i]) && bw_c_digit((unsigned char)v[i + 1]) &&
                  bw_c_upper((unsigned char)v[i + 2]) && a < len && v[a] == ' '))
                return 0;
        }
        sp = a + 1;
        if (sp + 3 <= len && bw_c_digit((unsigned char)v[sp]) && bw_c_upper((unsigned char)v[sp + 1]) &&
            (bw_c_upper((unsigned char)v[sp + 2]) || bw_c_digit((unsigned char)v[sp + 2])) &&
            (sp + 3 == len || !bw_c_alnum((unsigned char)v[sp + 3])))
            return sp + 3;
    }
    return 0;
}

/*
 * Extends an address ending at e over units, city, state, postal code and
 * country on the same line or the next two lines. Returns the new end.
 */
static size_t extend(const char *v, size_t len, size_t e, size_t start)
{
    size_t i, best = e;
    int lines = 0, words = 0;

    i = e;
    while (i < len && best - start < 200) {
        size_t k, we, sp = i;
        i = skip_sp(v, len, i);
        /* two spaces end the address, except as the indentation of a new line */
        if (i - sp >= 2 && !(sp > 0 && v[sp - 1] == '\n'))
            break;
        if (i < len && (v[i] == ',' || v[i] == '\n')) {
            if (v[i] == '\n') {
                if (++lines > 3)
                    break;
                if (i + 1 < len && v[i + 1] == '\n')
                    break;
            }
            i++;
            continue;
        }
        if (i >= len)
            break;
        /* unit: "Apt. 864", "Suite 282", "#12" */
        we = word_end(v, len, i);
        if (we > i && lexf(v, i, we, BW_LEX_UNIT)) {
            k = we;
            if (k < len && v[k] == '.')
                k++;
            k = skip_sp(v, len, k);
            if ((we = num_end(v, len, k, 6)) != 0) {
                best = i = we;
                continue;
            }
            break;
        }
        if ((k = postcode(v, len, i)) != 0) {
            best = i = k;
            continue;
        }
        if (we > i && capital(v, i) && !lexf(v, i, we, BW_LEX_ASTOP)) {
            /* a city, state or country word; "Mobile:" and the like end the block */
            if (we < len && v[we] == ':')
                break;
            if (++words > 6)
                break;
            best = i = we;
            if (i < len && v[i] == '.' && we - i <= 3)
                best = ++i;
            continue;
        }
        /* "(Greek)", "nan" of the synthetic data is no address word */
        if (v[i] == '(') {
            size_t c = i + 1;
            while (c < len && v[c] != ')' && v[c] != '\n' && c - i < 20)
                c++;
            if (c < len && v[c] == ')') {
                i = c + 1;
                continue;
            }
        }
        break;
    }
    return best;
}

/* A unit word ("Apt.", "Suite") after a space at e? */
static int unit_after(const char *v, size_t len, size_t e)
{
    size_t a = e + 1, b;

    if (e + 1 >= len || v[e] != ' ')
        return 0;
    b = word_end(v, len, a);
    return b > a && capital(v, a) && lexf(v, a, b, BW_LEX_UNIT);
}

/* "the corner of " before s? Returns the start of that phrase, or s. */
static size_t corner_start(const char *v, size_t s)
{
    static const char lit[] = "corner of ";
    size_t n = sizeof(lit) - 1;

    if (s < n || !bw_pii_ieq(v + s - n, n - 1, "corner of"))
        return s;
    s -= n;
    if (s >= 4 && bw_pii_ieq(v + s - 4, 3, "the") && v[s - 1] == ' ')
        s -= 4;
    return s;
}

/* Does an address cue end right before s ("lives at", "address:", "ship to")? */
static int cue_before(const char *v, size_t s)
{
#define CUE(x) {x, sizeof(x) - 1}
    /* by their last two letters: "at" [0, 9), "to" [9, 14), "on", "is", "s:" */
    static const struct {
        const char *s;
        size_t n;
    } cues[] = {CUE("lives at"),   CUE("live at"),   CUE("living at"), CUE("located at"), CUE("resides at"),
                CUE("reside at"),  CUE("based at"),  CUE("stay at"),   CUE("staying at"), CUE("ship to"),
                CUE("send to"),    CUE("deliver to"), CUE("sent to"),  CUE("moved to"),   CUE("lives on"),
                CUE("address is"), CUE("address:")};
#undef CUE
    size_t i, lim, e = s;
    unsigned char l2, l1;

    while (e > 0 && v[e - 1] == ' ')
        e--;
    /* every cue ends in "at", "to", "on", "is" or "s:": one test turns most words away from the list */
    if (e < 2)
        return 0;
    l2 = (unsigned char)(v[e - 2] | 0x20);
    l1 = (unsigned char)(v[e - 1] | 0x20);
    if (l2 == 'a' && l1 == 't')
        i = 0, lim = 9;
    else if (l2 == 't' && l1 == 'o')
        i = 9, lim = 14;
    else if (l2 == 'o' && l1 == 'n')
        i = 14, lim = 15;
    else if (l2 == 'i' && l1 == 's')
        i = 15, lim = 16;
    else if (l2 == 's' && l1 == ':')
        i = 16, lim = 17;
    else
        return 0;
    for (; i < lim; i++) {
        size_t n = cues[i].n;
        if (e >= n && bw_pii_ieq(v + e - n, n, cues[i].s) && (e == n || !bw_c_alpha((unsigned char)v[e - n - 1])))
            return 1;
    }
    return 0;
}

static size_t street_words(const char *v, size_t len, size_t i, int *nw, size_t *last_s, int stop_at_type);

/* "the corner of A and B": widens [s, *e) over the phrase and the second street. */
static size_t corner(const char *v, size_t len, size_t s, size_t *e)
{
    size_t cs = corner_start(v, s), k, ls;
    int nw;

    if (cs == s)
        return s;
    k = *e;
    while (k < len && v[k] == ' ')
        k++;
    if (k + 4 < len && bw_pii_ieq(v + k, 3, "and") && v[k + 3] == ' ') {
        size_t a = k + 4, b;
        /* "and 25 Dili Gianni Street": a number may lead the second street */
        if ((b = num_end(v, len, a, 5)) != 0 && b < len && v[b] == ' ')
            a = b + 1;
        b = street_words(v, len, a, &nw, &ls, 0);
        if (nw >= 1)
            *e = b;
    }
    return cs;
}

/*
 * Capitalised street words from i (at most 5, particles allowed); returns
 * their end, sets *nw and the start of the last one. stop_at_type: end
 * after the first street type that follows a name ("Botley Road St." ends
 * at "Road" only when nothing else follows; "Timms Drive Suite 215" at
 * "Drive").
 */
static size_t street_words(const char *v, size_t len, size_t i, int *nw, size_t *last_s, int stop_at_type)
{
    size_t e = i;
    int n = 0;

    *nw = 0;
    while (n < 5 && i < len) {
        size_t we = word_end(v, len, i), ne = we;
        if (we == i)
            break;
        if (!capital(v, i)) {
            /* a particle between capitalised words: "Rua do Arenque", "Avenue du Golf"; not first after a number */
            if (we - i > 3 || we + 1 >= len || v[we] != ' ' || !capital(v, we + 1) || (n == 0 && stop_at_type))
                break;
            i = we + 1;
            continue;
        }
        *last_s = i;
        n++;
        if (ne < len && v[ne] == '.')
            ne++;
        e = ne;
        if (stop_at_type && n >= 2 && lexf(v, i, we, BW_LEX_STYPE)) {
            /* a second type right after ("Road St.") belongs to it */
            size_t a = e + 1, b = a < len ? word_end(v, len, a) : a;
            if (e + 1 < len && v[e] == ' ' && b > a && capital(v, a) && lexf(v, a, b, BW_LEX_STYPE)) {
                *last_s = a;
                e = b < len && v[b] == '.' ? b + 1 : b;
            }
            break;
        }
        if (e + 1 < len && v[e] == ' ')
            i = e + 1;
        else
            break;
    }
    *nw = n;
    return e;
}

/*
 * Looks for an address starting at the candidate i (a word start with a
 * capital or a digit). Returns where the caller continues; *hit is set when
 * one was reported; *rvp gets emit()'s failure.
 */
/*
 * A necessary condition for bw_pii_address_at() to report an address at
 * the word start i (an ASCII capital or a lead byte >= 0xC3), one test per
 * way it can: a digit right after the word (postcodes), a box or unit word,
 * a cue before it ("lives at", "corner of"), or a capital or number after
 * it with a digit next or a street prefix. Most capitalised words of prose
 * (sentence starts, titles) fail all of them and then cost no ADDRESS
 * check: they were 95% of its calls and 5% of a default apply(). The word
 * is read once here, where the checks used to read it again each.
 */
int bw_pii_address_may_hit(const char *v, size_t len, size_t i, size_t e)
{
    unsigned char c = (unsigned char)v[i], pc;
    size_t we, pb = i, n;
    const char *w = v + i;

    we = word_end(v, len, e); /* == word_end(v, len, i): v[i] is a letter */
    if (we < len && bw_c_digit((unsigned char)v[we]))
        return 1;
    n = we - i;
    /*
     * The box and unit words, compared only where a word of that first
     * letter and length exists (bw_pii_box_len, the NAME walk's gate too):
     * "People", "But", "Some" went through up to seven compares.
     */
    if (bw_pii_box_len(c, n)) {
        switch (n) {
        case 1: /* "P." */
            if (we + 1 < len && v[we] == '.')
                return 1;
            break;
        case 2:
            if (bw_pii_ieq(w, n, "po"))
                return 1;
            break;
        case 3:
            if (bw_pii_ieq(w, n, c == 'P' ? "psc" : c == 'B' ? "box" : "apt"))
                return 1;
            break;
        case 4:
            if (bw_pii_ieq(w, n, "unit") || bw_pii_ieq(w, n, "usns"))
                return 1;
            break;
        case 5:
            if (bw_pii_ieq(w, n, c == 'U' ? "uscgc" : "suite"))
                return 1;
            break;
        case 9:
            if (bw_pii_ieq(w, n, "apartment"))
                return 1;
            break;
        }
    }
    /* the cue checks, behind the same gate as there */
    while (pb > 0 && v[pb - 1] == ' ')
        pb--;
    pc = pb > 0 ? (unsigned char)(v[pb - 1] | 0x20) : 0;
    if ((pc == 't' || pc == 'n' || pc == ':' || pc == 's' || pc == 'o' || pc == 'f') &&
        (corner_start(v, i) != i || cue_before(v, i)))
        return 1;
    /* a number after the space: next_cap() holds there too */
    if (we + 1 < len && v[we] == ' ' && bw_c_digit((unsigned char)v[we + 1]))
        return 1;
    /*
     * A capital and the lower-case letters the caller read: ASCII
     * letters, prefix_word()'s loop can be skipped, and its signature,
     * which turns most words away, is tested before next_cap().
     */
    if (we == e && bw_c_upper(c))
        return pfx_sig[c - 'A'] >> ((v[we - 1] | 0x20) - 'a') & 1 && next_cap(v, len, we) &&
               lexf(v, i, we, BW_LEX_SPREFIX);
    return next_cap(v, len, we) && prefix_word(v, i, we);
}

size_t bw_pii_address_at(const char *v, size_t len, size_t i, bw_pii_emit_fn emit, void *ctx, int *hit, int *rvp)
{
    int rv;

    unsigned char c = (unsigned char)v[i];
    size_t s = i, e = 0, we;

    *hit = 0;
    *rvp = 0;

    /* fast path: lower-case words (but "ul." and "rue"), other scripts' lower case, punctuation */
    if ((bw_c_lower(c) && !(c == 'u' && i + 2 < len && v[i + 1] == 'l' && v[i + 2] == '.')) ||
        (c >= 0x80 && c < 0xc3) || (i > 0 && bw_c_word((unsigned char)v[i - 1]))) {
        while (i < len && bw_c_word((unsigned char)v[i]))
            i++;
        if (i == s)
            i++;
        return i;
    }
    if (!bw_c_alnum(c) && c < 0xc3) {
        i++;
        return i;
    }
    if (bw_c_digit(c)) {
        /* house number + street words + type, or + a street-ending word */
        size_t ne = num_end(v, len, i, 6), k, ls = 0;
        int nw;
        if (ne && ne < len && v[ne] == ' ') {
            k = ne + 1;
            /* "6750 Koskikatu 25", "3536 1659 Hoog St": a second number */
            if (bw_c_digit((unsigned char)v[k])) {
                size_t n2 = num_end(v, len, k, 5);
                if (n2 && n2 < len && v[n2] == ' ')
                    k = n2 + 1;
            }
            we = street_words(v, len, k, &nw, &ls, 1);
            if (nw >= 2) {
                size_t te = word_end(v, len, ls);
                /* the street type is capitalised: "ln" alone is a logarithm */
                if (capital(v, ls) && lexf(v, ls, te, BW_LEX_STYPE))
                    e = we;
            }
            if (!e && nw >= 1 && street_ending(v + k, word_end(v, len, k) - k)) {
                size_t n3, w1 = word_end(v, len, k);
                n3 = w1 < len && v[w1] == ' ' ? num_end(v, len, w1 + 1, 5) : 0;
                e = n3 ? n3 : w1;
            }
            if (!e && nw >= 1) {
                /* "233 Erzsébet tér 19." / "9554 62 Rue Gafsa": a prefix street after the number */
                size_t w1 = word_end(v, len, k);
                if (lexf(v, k, w1, BW_LEX_SPREFIX) && nw >= 2)
                    e = we;
            }
            if (!e && nw >= 1 && nw <= 3 && ne - i >= 3) {
                /* "19902 Dobrovského 1394", "5100 Quadra 104": number, name, number, then the line ends */
                size_t k2 = skip_sp(v, len, we), n3 = num_end(v, len, k2, 4);
                if (n3 && n3 > k2 && (n3 == len || v[n3] == '\n' || v[n3] == ',' || unit_after(v, len, n3)))
                    e = n3;
            }
        }
        if (e) {
            e = extend(v, len, e, s);
            s = corner(v, len, s, &e);
            if (++*hit && (rv = emit(ctx, BW_PII_ADDRESS, s, e, 45)) != 0)
                {
            *rvp = rv;
            return len;
        }
            i = e;
            return i;
        }
        i = ne ? ne : i + 1;
        while (i < len && bw_c_digit((unsigned char)v[i]))
            i++;
        return i;
    }
    if (!(bw_c_alpha(c) || c >= 0x80)) {
        i++;
        return i;
    }
    we = word_end(v, len, i);
    if (we == i) {
        i++;
        return i;
    }
    /* post boxes */
    if ((c == 'P' || c == 'U' || c == 'B') &&
        ((bw_pii_ieq(v + i, we - i, "p") && we + 1 < len && v[we] == '.') || bw_pii_ieq(v + i, we - i, "po") ||
        bw_pii_ieq(v + i, we - i, "psc") || bw_pii_ieq(v + i, we - i, "unit") || bw_pii_ieq(v + i, we - i, "box") ||
        bw_pii_ieq(v + i, we - i, "usns") || bw_pii_ieq(v + i, we - i, "uscgc"))) {
        size_t k = i, ne = 0;
        int boxed = 0;
        if (bw_pii_ieq(v + i, we - i, "usns") || bw_pii_ieq(v + i, we - i, "uscgc")) {
            /* ship addresses: "USNS Bergman\nFPO AP 93757" */
            size_t a = skip_sp(v, len, we), b = word_end(v, len, a);
            if (b > a && b + 5 < len && v[b] == '\n' && (bw_pii_ieq(v + b + 1, 3, "fpo") || bw_pii_ieq(v + b + 1, 3, "apo") ||
                                                         bw_pii_ieq(v + b + 1, 3, "dpo")))
                boxed = 1, ne = b;
        } else {
            while (k < len && k - i < 24 && !bw_c_digit((unsigned char)v[k]) && v[k] != '\n')
                k++;
            ne = k < len ? num_end(v, len, k, 6) : 0;
            if (ne) {
                size_t a = i, b;
                /* the words before the number must be box words */
                while (a < k) {
                    b = word_end(v, len, a);
                    if (b > a && !(bw_pii_ieq(v + a, b - a, "p") || bw_pii_ieq(v + a, b - a, "o") || bw_pii_ieq(v + a, b - a, "po") ||
                                   bw_pii_ieq(v + a, b - a, "box") || bw_pii_ieq(v + a, b - a, "psc") ||
                                   bw_pii_ieq(v + a, b - a, "unit") || bw_pii_ieq(v + a, b - a, "post") ||
                                   bw_pii_ieq(v + a, b - a, "office")))
                        break;
                    if (b > a && bw_pii_ieq(v + a, b - a, "box"))
                        boxed = 1;
                    a = b > a ? b : a + 1;
                }
                if (a < k)
                    boxed = 0;
                if (!boxed && (bw_pii_ieq(v + i, we - i, "psc") || bw_pii_ieq(v + i, we - i, "unit"))) {
                    /* "PSC 3294, Box 9168": the box follows */
                    size_t b2 = ne;
                    while (b2 < len && (v[b2] == ',' || v[b2] == ' '))
                        b2++;
                    if (b2 + 3 < len && bw_pii_ieq(v + b2, 3, "box")) {
                        size_t n4 = num_end(v, len, skip_sp(v, len, b2 + 3), 6);
                        if (n4)
                            ne = n4, boxed = 1;
                    }
                }
            }
        }
        if (boxed) {
            e = extend(v, len, ne, i);
            if (++*hit && (rv = emit(ctx, BW_PII_ADDRESS, i, e, 45)) != 0)
                {
            *rvp = rv;
            return len;
        }
            i = e;
            return i;
        }
    }
    if (bw_c_upper(c) || c >= 0xc3) {
        size_t k = we, ne = 0, ls = 0, we2;
        int nw = 0;
        size_t pb = i;
        unsigned char pc;
        while (pb > 0 && v[pb - 1] == ' ')
            pb--;
        pc = pb > 0 ? (unsigned char)(v[pb - 1] | 0x20) : 0;
        /* a unit alone: "Apt. 595", "Suite 282" */
        if ((c == 'A' || c == 'S') &&
            (bw_pii_ieq(v + i, we - i, "apt") || bw_pii_ieq(v + i, we - i, "apartment") || bw_pii_ieq(v + i, we - i, "suite"))) {
            if (k < len && v[k] == '.')
                k++;
            ne = num_end(v, len, skip_sp(v, len, k), 5);
            if (ne && ne > skip_sp(v, len, k)) {
                e = extend(v, len, ne, i);
                if (++*hit && (rv = emit(ctx, BW_PII_ADDRESS, i, e, 40)) != 0)
                    {
            *rvp = rv;
            return len;
        }
                i = e;
                return i;
            }
        }
        /*
         * "lives at Maneeži 75", "the corner of Csabai kapu 39. and Mathias Pass": words, then a
         * number, after a cue (the character before the word gates the lookups)
         */
        if ((pc == 't' || pc == 'n' || pc == ':' || pc == 's' || pc == 'o' || pc == 'f') &&
            (corner_start(v, i) != i || cue_before(v, i)) && capital(v, i))
            we2 = street_words(v, len, i, &nw, &ls, 1);
        else
            we2 = i;
        if (nw >= 1 && nw <= 4 && (ne = num_end(v, len, skip_sp(v, len, we2), 5)) != 0 &&
            ne > skip_sp(v, len, we2)) {
            size_t st = i;
            if (ne < len && v[ne] == '.')
                ne++;
            e = extend(v, len, ne, i);
            st = corner(v, len, st, &e);
            if (++*hit && (rv = emit(ctx, BW_PII_ADDRESS, st, e, 45)) != 0)
                {
            *rvp = rv;
            return len;
        }
            i = e;
            return i;
        }
    }
    /* prefix streets and one-word streets with a number after */
    if ((capital(v, i) || we - i <= 3) && next_cap(v, len, we)) {
        int prefix = lexf(v, i, we, BW_LEX_SPREFIX);
        int ending = !prefix && capital(v, i) && we + 1 < len && v[we] == ' ' &&
                     bw_c_digit((unsigned char)v[we + 1]) &&
                     street_ending(v + i, we - i);
        if (prefix || ending) {
            size_t k = we, ls = 0, ne = 0;
            int nw = 0;
            if (k < len && v[k] == '.')
                k++;
            if (prefix) {
                k = skip_sp(v, len, k);
                k = street_words(v, len, k, &nw, &ls, 0);
                k = skip_sp(v, len, k);
                if (nw >= 1)
                    ne = num_end(v, len, k, 5);
            } else {
                k = skip_sp(v, len, k);
                ne = num_end(v, len, k, 5);
            }
            if (ne && (prefix ? nw >= 1 : 1) && capital(v, i)) {
                if (ne < len && v[ne] == '.')
                    ne++;
                e = extend(v, len, ne, s);
                if (++*hit && (rv = emit(ctx, BW_PII_ADDRESS, s, e, 45)) != 0)
                    {
            *rvp = rv;
            return len;
        }
                i = e;
                return i;
            }
        }
    }
    /* a UK or Canadian postcode alone, after an address word or at a line's end */
    if (bw_c_upper(c) && we < len && bw_c_digit((unsigned char)v[we])) {
        size_t pe = postcode(v, len, i);
        if (pe && (pe == len || v[pe] == '\n' || v[pe] == ',' || v[pe] == '.' || v[pe] == ' ')) {
            int digits = 0, k2;
            for (k2 = 0; k2 < (int)(pe - i); k2++)
                digits += bw_c_digit((unsigned char)v[i + (size_t)k2]);
            if (digits >= 2 && (rv = emit(ctx, BW_PII_ADDRESS, i, pe, 40)) != 0)
                {
            *rvp = rv;
            return len;
        }
            if (pe) {
                i = pe;
                return i;
            }
        }
    }
    i = we;
    return i;
}

int bw_pii_address_scan(const char *v, size_t len, bw_pii_emit_fn emit, void *ctx)
{
    size_t i = 0;
    int rv = 0, hit;
    struct bw_pii_starts it;

    bw_pii_starts_init(&it, v, len, 1);
    while (i < len && rv == 0) {
        size_t n;
        if ((i = bw_pii_starts_next(&it, i)) >= len)
            break;
        n = bw_pii_address_at(v, len, i, emit, ctx, &hit, &rv);
        i = n > i ? n : i + 1;
    }
    return rv;
}
