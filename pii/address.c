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

void bw_pii_address_words(bw_pii_lex_add_fn add)
{
    size_t i;

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

static int ieq(const char *s, size_t n, const char *lit)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (bw_c_upper(c))
            c = (unsigned char)(c + 32);
        if (!lit[i] || c != (unsigned char)lit[i])
            return 0;
    }
    return lit[n] == '\0';
}

static int ends_with(const char *s, size_t n, const char *const *l, size_t nl)
{
    size_t i;

    for (i = 0; i < nl; i++) {
        size_t k = strlen(l[i]);
        if (n > k + 2 && ieq(s + n - k, k, l[i]))
            return 1;
    }
    return 0;
}

static size_t word_end(const char *v, size_t len, size_t i)
{
    while (i < len) {
        unsigned char c = (unsigned char)v[i];
        if (bw_c_alpha(c) || c >= 0x80)
            i++;
        else if ((c == '\'' || c == '-') && i + 1 < len && (bw_c_alpha((unsigned char)v[i + 1]) || (unsigned char)v[i + 1] >= 0x80))
            i++;
        else
            break;
    }
    return i;
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
static int next_cap(const char *v, size_t len, size_t e)
{
    if (e < len && v[e] == '.')
        e++;
    return e + 1 < len && v[e] == ' ' &&
           (bw_c_upper((unsigned char)v[e + 1]) || bw_c_digit((unsigned char)v[e + 1]) || (unsigned char)v[e + 1] >= 0xc3);
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

/* Capitalised street words from i (at most 4, particles allowed); returns their end, sets *nw. */
static size_t street_words(const char *v, size_t len, size_t i, int *nw, size_t *last_s)
{
    size_t e = i;
    int n = 0;

    *nw = 0;
    while (n < 5 && i < len) {
        size_t we = word_end(v, len, i);
        if (we == i)
            break;
        if (!capital(v, i) && !(we - i <= 3 && n > 0)) /* "Rua do Arenque", "Avenue du Golf" */
            break;
        *last_s = i;
        n++;
        e = we;
        if (e < len && v[e] == '.')
            e++;
        if (e + 1 < len && v[e] == ' ')
            i = e + 1;
        else
            break;
    }
    *nw = n;
    return e;
}

int bw_pii_address_scan(const char *v, size_t len, bw_pii_emit_fn emit, void *ctx)
{
    size_t i = 0;
    int rv;

    while (i < len) {
        unsigned char c;
        size_t s, e = 0, we;

        if ((i = bw_pii_next_start(v, len, i, 1)) >= len)
            break;
        c = (unsigned char)v[i];
        s = i;

        /* fast path: lower-case words (but "ul." and "rue"), other scripts' lower case, punctuation */
        if ((bw_c_lower(c) && !(c == 'u' && i + 2 < len && v[i + 1] == 'l' && v[i + 2] == '.')) ||
            (c >= 0x80 && c < 0xc3) || (i > 0 && bw_c_word((unsigned char)v[i - 1]))) {
            while (i < len && bw_c_word((unsigned char)v[i]))
                i++;
            if (i == s)
                i++;
            continue;
        }
        if (!bw_c_alnum(c) && c < 0xc3) {
            i++;
            continue;
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
                we = street_words(v, len, k, &nw, &ls);
                if (nw >= 2) {
                    size_t te = word_end(v, len, ls);
                    /* the street type is capitalised: "ln" alone is a logarithm */
                    if (capital(v, ls) && lexf(v, ls, te, BW_LEX_STYPE))
                        e = we;
                }
                if (!e && nw >= 1 && ends_with(v + k, word_end(v, len, k) - k, endings,
                                               sizeof(endings) / sizeof(endings[0]))) {
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
            }
            if (e) {
                e = extend(v, len, e, s);
                if ((rv = emit(ctx, BW_PII_ADDRESS, s, e, 45)) != 0)
                    return rv;
                i = e;
                continue;
            }
            i = ne ? ne : i + 1;
            while (i < len && bw_c_digit((unsigned char)v[i]))
                i++;
            continue;
        }
        if (!(bw_c_alpha(c) || c >= 0x80)) {
            i++;
            continue;
        }
        we = word_end(v, len, i);
        if (we == i) {
            i++;
            continue;
        }
        /* post boxes */
        if ((c == 'P' || c == 'U' || c == 'B') &&
            ((ieq(v + i, we - i, "p") && we + 1 < len && v[we] == '.') || ieq(v + i, we - i, "po") ||
            ieq(v + i, we - i, "psc") || ieq(v + i, we - i, "unit") || ieq(v + i, we - i, "box") ||
            ieq(v + i, we - i, "usns") || ieq(v + i, we - i, "uscgc"))) {
            size_t k = i, ne = 0;
            int boxed = 0;
            if (ieq(v + i, we - i, "usns") || ieq(v + i, we - i, "uscgc")) {
                /* ship addresses: "USNS Bergman\nFPO AP 93757" */
                size_t a = skip_sp(v, len, we), b = word_end(v, len, a);
                if (b > a && b + 5 < len && v[b] == '\n' && (ieq(v + b + 1, 3, "fpo") || ieq(v + b + 1, 3, "apo") ||
                                                             ieq(v + b + 1, 3, "dpo")))
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
                        if (b > a && !(ieq(v + a, b - a, "p") || ieq(v + a, b - a, "o") || ieq(v + a, b - a, "po") ||
                                       ieq(v + a, b - a, "box") || ieq(v + a, b - a, "psc") ||
                                       ieq(v + a, b - a, "unit") || ieq(v + a, b - a, "post") ||
                                       ieq(v + a, b - a, "office")))
                            break;
                        if (b > a && ieq(v + a, b - a, "box"))
                            boxed = 1;
                        a = b > a ? b : a + 1;
                    }
                    if (a < k)
                        boxed = 0;
                    if (!boxed && (ieq(v + i, we - i, "psc") || ieq(v + i, we - i, "unit"))) {
                        /* "PSC 3294, Box 9168": the box follows */
                        size_t b2 = ne;
                        while (b2 < len && (v[b2] == ',' || v[b2] == ' '))
                            b2++;
                        if (b2 + 3 < len && ieq(v + b2, 3, "box")) {
                            size_t n4 = num_end(v, len, skip_sp(v, len, b2 + 3), 6);
                            if (n4)
                                ne = n4, boxed = 1;
                        }
                    }
                }
            }
            if (boxed) {
                e = extend(v, len, ne, i);
                if ((rv = emit(ctx, BW_PII_ADDRESS, i, e, 45)) != 0)
                    return rv;
                i = e;
                continue;
            }
        }
        /* prefix streets and one-word streets with a number after */
        if ((capital(v, i) || we - i <= 3) && next_cap(v, len, we)) {
            int prefix = lexf(v, i, we, BW_LEX_SPREFIX);
            int ending = !prefix && capital(v, i) && we + 1 < len && v[we] == ' ' &&
                         bw_c_digit((unsigned char)v[we + 1]) &&
                         ends_with(v + i, we - i, endings, sizeof(endings) / sizeof(endings[0]));
            if (prefix || ending) {
                size_t k = we, ls = 0, ne = 0;
                int nw = 0;
                if (k < len && v[k] == '.')
                    k++;
                if (prefix) {
                    k = skip_sp(v, len, k);
                    k = street_words(v, len, k, &nw, &ls);
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
                    if ((rv = emit(ctx, BW_PII_ADDRESS, s, e, 45)) != 0)
                        return rv;
                    i = e;
                    continue;
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
                    return rv;
                if (pe) {
                    i = pe;
                    continue;
                }
            }
        }
        i = we;
    }
    return 0;
}
