/*
 * names.c: NAME, a first honest recogniser of person names without a
 * statistical model.
 *
 * Evidence, strongest first:
 *   - an honorific before capitalised words ("Mr. Gordon Trpinc": the name
 *     is reported without the title, as Bedrock does);
 *   - a cue phrase before them ("my name is", "Dear", "signed,", "name:");
 *   - a known first name (faker and stdlib name lists, conf/lexicons/names)
 *     followed by capitalised words or initials ("Faina D. Yefremova");
 *   - a known first or last name alone, when it is not also a common
 *     English word ("Will", "Rose") nor the first word of a sentence.
 * Capitalisation is read in the view, which keeps the original case.
 * A run followed by an organisation or street word ("John Doe Street",
 * "Jane Doe Organization") is not a person. Text with no upper-case letter
 * at all falls back to pairs of known names.
 */
#include <string.h>
#include <utf8proc.h>

#include "pii/context.h"
#include "pii/entities.h"

#define MAXT 6

struct tok {
    size_t s, e;  /* the word, without a trailing "'s" */
    int cap;      /* starts with an upper-case letter, not all capitals */
    int initial;  /* "J" or "J." */
    unsigned lex; /* BW_LEX_*, without BW_LEX_PLACE */
    int place;    /* one of places[], ASCII letters as written */
};

/* Upper-case letter at s (ASCII or UTF-8)? Sets *n to its byte length. */
static int upper_at(const char *s, size_t len, size_t *n)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t r;

    if ((unsigned char)s[0] < 0x80) {
        *n = 1;
        return bw_c_upper((unsigned char)s[0]);
    }
    r = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
    if (r <= 0) {
        *n = 1;
        return 0;
    }
    *n = (size_t)r;
    return utf8proc_get_property(cp)->category == UTF8PROC_CATEGORY_LU;
}

static int lower_at(const char *s, size_t len)
{
    utf8proc_int32_t cp;

    if ((unsigned char)s[0] < 0x80)
        return bw_c_lower((unsigned char)s[0]);
    if (utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp) <= 0)
        return 0;
    return utf8proc_get_property(cp)->category == UTF8PROC_CATEGORY_LL;
}

static const char *const honorifics[] = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "dame",
                                         "lady", "lord", "mister", "professor", "doctor", "rev", "fr", "sr", "sra",
                                         "herr", "frau", "mme", "mlle", "m", "monsieur", "madame", "señor", "señora"};

/* Words after a name that make it an organisation, a place or a thing. */
static const char *const org_words[] = {
    "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "boulevard", "blvd", "way", "court",
    "place", "square", "park", "bridge", "river", "lake", "mountain", "mount", "hill", "island", "county", "city",
    "inc", "ltd", "llc", "plc", "gmbh", "corp", "corporation", "company", "co", "group", "foundation", "institute",
    "university", "college", "school", "academy", "hospital", "clinic", "bank", "church", "organization",
    "organisation", "association", "society", "agency", "center", "centre", "museum", "library", "hotel", "airport",
    "station", "stadium", "award", "awards", "prize", "act", "law", "report", "building", "hall", "house", "tower",
    "theatre", "theater", "club", "band", "records", "press", "media", "news", "times", "post", "journal", "labs",
    "technologies", "systems", "solutions", "partners", "associates", "brothers", "bros", "sons", "industries",
    "international", "global", "holdings", "ventures", "capital", "studios", "pictures", "productions",
    "foods", "motors", "airlines", "railway", "highway", "gardens", "heights", "valley", "beach", "bay", "coast",
    "county", "district", "province", "state", "kingdom", "republic", "empire", "dynasty", "era", "syndrome",
    "disease", "effect", "theorem", "equation", "principle", "method", "test", "scale", "index", "prize", "day",
    "cup", "league", "trophy", "fund", "trust", "estate", "farm", "mall", "market", "store", "shop", "restaurant",
    "cafe", "bar", "pub", "inn", "motel", "lodge", "resort", "spa", "gallery", "studio", "fc", "ltd.", "inc.",
    "products", "services", "consulting", "enterprises", "enterprise", "company", "software", "pharmacy", "bakery",
    "university's", "hospital's", "county's", "industry", "trials", "trial", "revolution", "wars", "movement",
    "party", "council", "committee", "commission", "ministry", "department", "office", "court", "senate",
    "parliament", "congress", "army", "navy", "force", "forces", "team", "united", "city", "town", "village",
    "pass", "union", "research", "stanley", "capital", "partners", "consulting", "analytics", "labs", "lab",
    "gateway", "route", "crossing", "junction", "harbor", "harbour", "port", "turnpike", "radial", "extension",
    "extensions", "plains", "prairie", "rapids", "haven", "summit", "knolls", "mills", "keys", "views",
};

/* Capitalised words that are names in the lists but rarely people in prose. */
static const char *const not_names[] = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "god", "lord",
    "christmas", "easter", "america", "american", "english", "french", "german", "china", "india", "paris",
    "london", "berlin", "washington", "georgia", "virginia", "carolina", "florida", "texas", "jordan", "israel",
    "victoria", "sydney", "dallas", "houston", "phoenix", "austin", "denver", "chelsea", "madison", "brooklyn",
    "york", "jersey", "orlando", "memphis", "chester", "lincoln", "kent", "devon", "indiana", "montana", "nevada",
    "dakota", "asia", "africa", "europe", "australia", "canada", "mexico", "japan", "korea", "italy", "spain",
    "the", "a", "an", "and", "or", "but", "if", "in", "on", "at", "to", "for", "of", "by", "with", "from", "as",
    "is", "are", "was", "were", "be", "it", "its", "this", "that", "these", "those", "he", "she", "they", "we",
    "you", "i", "my", "his", "her", "our", "their", "your", "what", "who", "how", "why", "when", "where", "which",
    "hello", "hi", "dear", "thanks", "thank", "please", "yes", "no", "ok", "okay", "note", "summary", "question",
    "answer", "user", "bot", "assistant", "system", "name", "phone", "email", "address", "date", "website", "fax",
    "mobile", "desk", "office", "personal", "info", "title", "subject", "re", "fw", "fwd", "cc", "bcc", "from",
    "apt", "suite", "unit", "box", "street", "road", "avenue", "main", "north", "south", "east", "west", "new",
    "old", "great", "grand", "little", "big", "saint", "st", "san", "santa", "los", "las", "el", "la", "le",
    "les", "de", "del", "der", "den", "van", "von", "da", "di", "do", "dos", "das", "du", "mc", "mac", "al", "bin",
    "ben", "ibn", "o", "java", "python", "ruby", "perl", "rust", "swift", "kotlin", "scala", "julia", "dart",
    "linux", "windows", "apple", "amazon", "google", "microsoft", "tesla", "ford", "dell", "siri", "alexa",
    "mercedes", "porsche", "ferrari", "lexus", "chevrolet", "toyota", "honda", "nissan", "rolex", "nike",
    "adidas", "gucci", "prada", "chanel", "versace", "disney", "marvel", "harry", "potter", "bible", "quran",
    "christ", "jesus", "allah", "buddha", "muhammad", "covid", "aids", "ebola", "parkinson", "alzheimer",
    "einstein", "newton", "darwin", "shakespeare", "however", "additionally", "therefore", "finally", "overall",
    "first", "second", "third", "also", "here", "there", "then", "when", "while", "although", "because", "since",
    "after", "before", "during", "many", "some", "most", "each", "every", "one", "two", "three", "another", "other",
    "both", "all", "any", "not", "these", "those", "such", "instead", "furthermore", "moreover", "meanwhile",
    "similarly", "generally", "typically", "usually", "often", "sometimes", "yes", "sure", "certainly", "great",
    "good", "well", "please", "let", "make", "use", "try", "create", "write", "explain", "describe", "give",
    "provide", "list", "find", "identify", "generate", "compose", "suggest", "name", "tell", "imagine", "consider",
    "analyze", "compare", "classify", "summarize", "rewrite", "edit", "convert", "calculate", "design", "develop",
    "based", "according", "in", "on", "with", "without", "from", "into", "about", "over", "under", "between",
    "example", "examples", "step", "steps", "conclusion", "introduction", "input", "output", "answer", "response",
    "sentence", "paragraph", "story", "poem", "article", "essay", "title", "chapter", "section", "table", "figure",
    "however,", "english", "spanish", "chinese", "french", "german", "italian", "japanese", "russian", "arabic",
    "internet", "world", "earth", "sun", "moon", "mars", "war", "ii", "iii", "iv", "vs", "etc", "ai", "api", "ceo",
    "france", "germany", "spain", "portugal", "brazil", "argentina", "chile", "peru", "colombia", "venezuela",
    "cuba", "jamaica", "ireland", "scotland", "wales", "england", "britain", "norway", "sweden", "denmark",
    "finland", "iceland", "poland", "russia", "ukraine", "greece", "turkey", "egypt", "kenya", "nigeria",
    "ghana", "morocco", "iran", "iraq", "syria", "lebanon", "pakistan", "afghanistan", "nepal", "bhutan",
    "vietnam", "thailand", "malaysia", "singapore", "indonesia", "philippines", "zealand", "florence", "venice",
    "rome", "milan", "naples", "vienna", "prague", "athens", "dublin", "moscow", "cairo", "tokyo", "beijing",
    "delhi", "mumbai", "boston", "chicago", "seattle", "atlanta", "miami", "salem", "troy", "sparta", "eden",
    "heaven", "hell", "genesis", "exodus", "olympus", "zeus", "apollo", "venus", "jupiter", "saturn", "mercury",
    "neptune", "pluto", "gaia", "atlas", "titan", "amazon", "nile", "everest", "sahara", "arctic", "atlantic",
    "pacific", "mediterranean", "caribbean", "avatar", "batman", "superman", "spiderman", "pet", "pets",
};

/* Words that open a place name: "San Francisco", "New Jersey" are no person. */
static const char *const places[] = {"san", "santa", "saint", "st", "los", "las", "el", "la", "le",
                                     "new", "north", "south", "east", "west", "great", "little", "old",
                                     "grand", "mount", "lake", "fort", "port", "cape", "upper", "lower"};

/* Cue words whose next capitalised words are a name ("Dear", "signed", "my name is"). */
static const char *const cues[] = {"dear", "signed", "regards", "sincerely", "cheers", "thanks", "yours", "called",
                                   "named", "attn", "attention", "patient", "customer", "client", "mother",
                                   "father", "brother", "sister", "son", "daughter", "wife", "husband", "partner",
                                   "friend", "kid", "uncle", "aunt", "mom", "dad", "said", "asked", "told", "meet",
                                   "met", "married", "hired", "ask", "spoke", "by", "with", "contact", "i'm", "name",
                                   "from", "to", "is", "am"};

void bw_pii_names_words(bw_pii_lex_add_fn add)
{
    size_t i;

    for (i = 0; i < BW_NELEMS(honorifics); i++)
        add(honorifics[i], BW_LEX_HONOR);
    for (i = 0; i < BW_NELEMS(org_words); i++)
        add(org_words[i], BW_LEX_ORG);
    for (i = 0; i < BW_NELEMS(not_names); i++)
        add(not_names[i], BW_LEX_NOTNAME);
    for (i = 0; i < BW_NELEMS(cues); i++)
        add(cues[i], BW_LEX_CUE);
    for (i = 0; i < BW_NELEMS(places); i++)
        add(places[i], BW_LEX_PLACE);
}

/*
 * Byte classes of the walks back from a word (sentence_start(),
 * prev_word()), one load each instead of up to eight compares.
 */
#define BK_SKIP 1  /* before a sentence's first word: space, tab, quotes, (, >, *, - */
#define BK_END 2   /* ends a sentence or a line: . ! ? : newline */
#define BK_WORD 4  /* a letter of the word before, or an apostrophe */
#define BK_PUNCT 8 /* one mark allowed after the word before: . , : */
static const unsigned char bk[256] = {
    [' '] = BK_SKIP,  ['\t'] = BK_SKIP, ['"'] = BK_SKIP,          ['\''] = BK_SKIP | BK_WORD, ['('] = BK_SKIP,
    ['>'] = BK_SKIP,  ['*'] = BK_SKIP,  ['-'] = BK_SKIP,          ['.'] = BK_END | BK_PUNCT,  ['!'] = BK_END,
    ['?'] = BK_END,   ['\n'] = BK_END,  [':'] = BK_END | BK_PUNCT, ['\r'] = BK_END,           [','] = BK_PUNCT,
    ['A' ... 'Z'] = BK_WORD, ['a' ... 'z'] = BK_WORD,
};

static int sentence_start(const char *v, size_t s)
{
    size_t i = s;

    while (i > 0 && (bk[(unsigned char)v[i - 1]] & BK_SKIP))
        i--;
    return i == 0 || (bk[(unsigned char)v[i - 1]] & BK_END);
}

/* The word ending before s (skipping spaces and one punctuation mark); sets [ws, we). */
static inline __attribute__((always_inline)) int prev_word(const char *v, size_t s, size_t *ws, size_t *we,
                                                           char *punct)
{
    size_t i = s;

    *punct = 0;
    while (i > 0 && v[i - 1] == ' ')
        i--;
    if (i > 0 && (bk[(unsigned char)v[i - 1]] & BK_PUNCT)) {
        *punct = v[i - 1];
        i--;
    }
    *we = i;
    while (i > 0 && (bk[(unsigned char)v[i - 1]] & BK_WORD))
        i--;
    *ws = i;
    return *we > *ws;
}

/* Reads the word at i: letters (any script), inner apostrophes and hyphens. */
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

/*
 * Reads the word [s, e) into t. lo_end: [s, lo_end) is known to be a
 * capital and lower-case ASCII letters (s when the caller has read
 * nothing); a lower-case letter right after the capital settles the case
 * test below, and a word of ASCII letters only is looked up without
 * bw_pii_lex()'s checks.
 */
static void read_tok(const char *v, size_t len, size_t s, size_t e, struct tok *t, int lowercase_text, size_t lo_end)
{
    size_t n, k;
    int has_lower = lo_end > s + 1, lower_rest = has_lower, upper_rest = 0, high = 0, other = 0;

    t->s = s;
    t->e = e;
    if (e - s > 2 && v[e - 2] == '\'' && (v[e - 1] == 's' || v[e - 1] == 'S'))
        t->e = e - 2;
    t->cap = upper_at(v + s, len - s, &n);
    t->initial = t->cap && t->e - s == n;
    for (k = has_lower ? t->e : s + n; k < t->e; k++) {
        unsigned char ct = bw_pii_ctype[(unsigned char)v[k]];
        upper_rest |= ct & BW_CT_UPPER;
        lower_rest |= ct & BW_CT_LOWER;
        high |= ct & BW_CT_HIGH;
        other |= !(ct & (BW_CT_UPPER | BW_CT_LOWER));
    }
    if (high && !lower_rest)
        for (k = s + n; k < t->e; k++)
            if ((unsigned char)v[k] >= 0xc0 && lower_at(v + k, len - k))
                lower_rest = 1;
    if (t->cap && upper_rest && !lower_rest)
        t->cap = 0; /* ALL CAPS: a heading or an acronym */
    t->lex = 0;
    t->place = 0;
    if ((t->cap || lowercase_text) && !t->initial) {
        int letters = has_lower ? t->e <= lo_end : n == 1 && bw_c_alpha((unsigned char)v[s]) && !other;
        t->lex = letters ? bw_pii_lex_letters(v + s, t->e - s) : bw_pii_lex(v + s, t->e - s);
        /* places[] as bw_pii_ieq() compared them: ASCII letters only (the lexicon folds more) */
        t->place = letters && (t->lex & BW_LEX_PLACE);
        t->lex &= ~(unsigned)BW_LEX_PLACE;
    }
    if (t->lex & BW_LEX_NOTNAME)
        t->lex = BW_LEX_COMMON | (t->lex & (BW_LEX_ORG | BW_LEX_HONOR));
}

static int has_upper(const char *v, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (bw_c_upper((unsigned char)v[i]))
            return 1;
    return 0;
}

/*
 * Byte classes of may_start_address(), one load a test: after the word,
 * a letter (read on), a digit or dot (yes) or a space; after the space, a
 * capital, digit or other script (yes) or a lower-case letter (a
 * particle); in ag_box[], the capitals that start a box or unit word;
 * in ag_cue[], before the word, the bytes that or-ed with 0x20 end an
 * address cue (t, n, :, s, o, f: the gate of cue_before()).
 */
#define AG_LET 1
#define AG_YES 2
#define AG_SP 4
#define AG_CAP 8
#define AG_LOW 16
static const unsigned char ag[256] = {
    ['A' ... 'Z'] = AG_LET | AG_CAP, ['a' ... 'z'] = AG_LET | AG_LOW, [0x80 ... 0xc2] = AG_LET,
    [0xc3 ... 0xff] = AG_LET | AG_CAP, ['0' ... '9'] = AG_YES | AG_CAP, ['.'] = AG_YES, [' '] = AG_SP,
};
static const unsigned char ag_box[256] = {['A'] = 1, ['B'] = 1, ['P'] = 1, ['S'] = 1, ['U'] = 1};
static const unsigned char ag_cue[256] = {
    ['T'] = 1, ['N'] = 1, ['S'] = 1, ['O'] = 1, ['F'] = 1, ['t'] = 1,
    ['n'] = 1, ['s'] = 1, ['o'] = 1, ['f'] = 1, [':'] = 1, [0x1a] = 1,
};

/*
 * Could an address start at the capitalised word at i? Streets and boxes
 * go on with a capital, a digit or a short particle ("Rua do"), units and
 * boxes begin with A, B, P, S or U, postcodes hold a digit: the other
 * capitalised words of a text skip the ADDRESS checks.
 *
 * With `names`, where the word is followed by a short lower-case word,
 * only what bw_pii_address_may_hit() can accept there passes: a box or
 * unit word (A, B, P, S, U), an address cue before (its gate: the byte
 * before is t, n, :, s, o or f), or a capital, digit or other script
 * after a particle of one to three letters (its next_cap()). "The cat",
 * "It is": two in five candidates of the corpus went through the whole
 * check for nothing.
 *
 * e: where the letters after v[i] are still to be read (i + 1, or the end
 * of the lower-case run the walk has already read).
 */
static int may_start_address(const char *v, size_t len, size_t i, size_t e, int names)
{
    unsigned char c = (unsigned char)v[i];
    unsigned g;
    size_t k, pb;

    /* "Apt", "Apartment", "Suite", "Ste", "PO", "P.O.", "PSC", "Unit", "USNS", "Box" */
    /* only A, B, P, S and U start one: one load turns the other capitals away */
    if (ag_box[c] && i + 1 < len) {
        unsigned char d = (unsigned char)v[i + 1];
        if ((c == 'A' && d == 'p') || (c == 'S' && (d == 'u' || d == 't')) || (c == 'P' && (d == 'O' || d == '.' || d == 'S')) ||
            (c == 'U' && (d == 'n' || d == 'S')) || (c == 'B' && d == 'o'))
            return 1;
    }
    while ((g = e < len ? ag[(unsigned char)v[e]] : 0) & AG_LET)
        e++;
    if (g & AG_YES)
        return 1;
    if (!(g & AG_SP) || e + 1 >= len)
        return 0;
    g = ag[(unsigned char)v[e + 1]];
    if (g & AG_CAP)
        return 1;
    /* a particle: "Rua do Arenque" */
    if (!(g & AG_LOW) || e + 4 >= len || (v[e + 2] != ' ' && v[e + 3] != ' ' && v[e + 4] != ' '))
        return 0;
    if (!names)
        return 1;
    /* a box or unit word only at one of their lengths: "But it", "So we" go on */
    if (bw_pii_box_len(c, e - i))
        return 1;
    for (k = e + 1; k < len && bw_c_lower((unsigned char)v[k]) && k - (e + 1) < 4; k++)
        ;
    if (k - (e + 1) <= 3 && k + 1 < len && v[k] == ' ' && (ag[(unsigned char)v[k + 1]] & AG_CAP))
        return 1;
    for (pb = i; pb > 0 && v[pb - 1] == ' '; pb--)
        ;
    return pb > 0 && ag_cue[(unsigned char)v[pb - 1]];
}

/*
 * Is the run t[0..nt) a name, given the evidence before it? Sets
 * *name_end to its last word. Inline: its first call has strong == 0 and
 * lowercase_text a constant of one().
 */
static inline __attribute__((always_inline)) int decide(const char *v, const struct tok *t, int nt, int known,
                                                        int strong, int lowercase_text, int *name_end)
{
    int k, n, accept = 0;
    unsigned l0 = t[0].lex;
    int first_ok = (l0 & BW_LEX_FIRST) && !(l0 & BW_LEX_COMMON);
    int any_first = (l0 & BW_LEX_FIRST) != 0;

    *name_end = -1;
    /* where the name ends: known or capitalised words, at most 4 */
    for (k = 0; k < nt && k < 4; k++) {
        if (t[k].lex == BW_LEX_COMMON && !t[k].initial && k > 0 && !strong)
            break;
        *name_end = k;
    }
    /* a trailing initial is not part of the name */
    while (*name_end > 0 && t[*name_end].initial)
        (*name_end)--;
    if (*name_end < 0)
        return 0;
    n = *name_end + 1;
    if (strong && !(l0 == BW_LEX_COMMON && n == 1 && !t[0].initial))
        accept = 1;
    else if (lowercase_text)
        accept = n >= 2 || (first_ok && t[0].e - t[0].s >= 4 && !sentence_start(v, t[0].s));
    else if (n >= 2 && (first_ok || (any_first && known >= 1) || known >= 2))
        accept = 1;
    else if (n == 3 && t[1].initial && !t[0].initial && !t[2].initial &&
             (!(t[0].lex & BW_LEX_COMMON) || (t[0].lex & BW_LEX_FIRST)) && !(t[2].lex & BW_LEX_COMMON))
        accept = 1; /* "Soib K. Kishiev", "Tom I. Holzman": a middle initial between two capitalised words */
    else if (n == 2 && (l0 & BW_LEX_FIRST) && !t[1].initial && !(t[1].lex & BW_LEX_COMMON) && t[1].e - t[1].s >= 3)
        accept = 1; /* "Harry Sheppard", "Eve Magrath": a first name that is also a word, then a surname */
    else if (n == 1 && known && !t[0].initial && !sentence_start(v, t[0].s))
        accept = 1;
    else if (n == 1 && first_ok && t[0].e - t[0].s >= 4)
        accept = 1; /* "Catherine is ..." */
    if (t[0].initial && n == 1)
        accept = 0;
    return accept;
}

/* A cue word [ws, we) before a run: "is" only after "name", "am" after "I", "from"/"to" with a colon. */
static int cue_ok(const char *v, size_t ws, size_t we, char punct)
{
    size_t ws2, we2;
    char p2;

    if (bw_pii_ieq(v + ws, we - ws, "is") || bw_pii_ieq(v + ws, we - ws, "am")) {
        if (!prev_word(v, ws, &ws2, &we2, &p2) || p2)
            return 0;
        return bw_pii_ieq(v + ws, we - ws, "is") ? bw_pii_ieq(v + ws2, we2 - ws2, "name") : bw_pii_ieq(v + ws2, we2 - ws2, "i");
    }
    if (bw_pii_ieq(v + ws, we - ws, "from") || bw_pii_ieq(v + ws, we - ws, "to") || bw_pii_ieq(v + ws, we - ws, "name") ||
        bw_pii_ieq(v + ws, we - ws, "attn") || bw_pii_ieq(v + ws, we - ws, "patient") || bw_pii_ieq(v + ws, we - ws, "client") ||
        bw_pii_ieq(v + ws, we - ws, "customer") || bw_pii_ieq(v + ws, we - ws, "contact"))
        return punct == ':';
    if (punct == ',') /* sign-offs: "Regards, Ann" */
        return bw_pii_ieq(v + ws, we - ws, "regards") || bw_pii_ieq(v + ws, we - ws, "sincerely") || bw_pii_ieq(v + ws, we - ws, "thanks") ||
               bw_pii_ieq(v + ws, we - ws, "cheers") || bw_pii_ieq(v + ws, we - ws, "signed") || bw_pii_ieq(v + ws, we - ws, "yours") ||
               bw_pii_ieq(v + ws, we - ws, "dear");
    return punct == 0;
}

int bw_pii_names_scan(const char *v, size_t len, bw_pii_emit_fn emit, void *ctx)
{
    return bw_pii_walk(v, len, 1, 0, emit, ctx);
}

/*
 * One candidate of the walk: a capital or a 2-byte letter's lead byte at a
 * word start i (in lower-case text, any byte). Returns where the walk goes
 * on, past i; *rvp gets emit()'s failure. Inlined into both loops of
 * bw_pii_walk(), where lowercase_text is a constant. lower_stops: the
 * text's last byte is no lower-case letter.
 */
static inline __attribute__((always_inline)) size_t one(const char *v, size_t len, size_t i, int names, int address,
                                                        int lowercase_text, int lower_stops, bw_pii_emit_fn emit,
                                                        void *ctx, int *rvp)
{
    struct tok t[MAXT];
    int nt = 0, k, strong = 0, known = 0, name_end = -1, accept, rv;
    size_t j, ws, we, elow;
    char punct;
    unsigned char c = (unsigned char)v[i];

    /* the lower-case letters after a capital, read once for both passes */
    elow = i + 1;
    if (!lowercase_text && bw_c_upper(c)) {
        if (lower_stops)
            while (bw_c_lower((unsigned char)v[elow]))
                elow++;
        else
            while (elow < len && bw_c_lower((unsigned char)v[elow]))
                elow++;
    }
    /*
     * With NAME on, an ADDRESS check without a hit changes nothing: only
     * the words that may hold one are checked.
     */
    if (address && !lowercase_text &&
        may_start_address(v, len, i, elow, names) && (!names || bw_pii_address_may_hit(v, len, i, elow))) {
        int hit = 0;
        size_t n = bw_pii_address_at(v, len, i, emit, ctx, &hit, &rv);
        if (rv) {
            *rvp = rv;
            return len;
        }
        if (hit || !names)
            return n > i ? n : i + 1;
    }

    /*
     * In text with capitals i comes from the candidate finder: a
     * capital or a 2-byte letter's lead byte at a word start. Lower-case
     * text is walked byte by byte: skip what cannot start a word there.
     */
    if (lowercase_text && (!(bw_c_alpha(c) || c >= 0xc3) || (i > 0 && bw_c_word((unsigned char)v[i - 1]))))
        return i + 1;
    /*
     * A capital: no lower-case letter after it (elow == i + 1) for the
     * first two tests below, one or more for the third, so each word
     * meets only the tests that can hold for it.
     */
    if (!lowercase_text && bw_c_upper(c) && elow == i + 1) {
        size_t e = elow;
        /* "USA", "HTML": all-capital words are headings and acronyms, never names */
        if (i + 2 < len && bw_c_upper((unsigned char)v[i + 1]) &&
            (bw_c_upper((unsigned char)v[i + 2]) || !bw_c_alpha((unsigned char)v[i + 2]))) {
            while (i < len && bw_c_alnum((unsigned char)v[i]))
                i++;
            return i;
        }
        /*
         * A lone capital ("I", "A") before a lower-case word or
         * punctuation other than an initial's dot: a run of one
         * initial, which decide() never accepts, honorific or cue
         * before it or not.
         */
        if (names && e < len && v[e] != '.' &&
            ((e + 1 < len && v[e] == ' ' && bw_c_lower((unsigned char)v[e + 1])) ||
             (v[e] != ' ' && v[e] != '\'' && v[e] != '-' && !bw_c_word((unsigned char)v[e]))))
            return e;
    } else if (!lowercase_text && bw_c_upper(c)) {
        size_t e = elow;
        /* a single word: a lower-case word or punctuation follows (not a capital, not "'s", not an initial's dot) */
        if (names && e < len &&
            ((e + 1 < len && v[e] == ' ' && bw_c_lower((unsigned char)v[e + 1])) ||
             (v[e] != ' ' && v[e] != '\'' && v[e] != '-' && !bw_c_word((unsigned char)v[e])))) {
            unsigned f;
            /*
             * A short capitalised word opening a sentence and followed by a
             * lower-case word ("The", "It", "In") can never be a name on its
             * own (see decide()): skip it without a lookup.
             */
            if (e - i < 4 && v[e] == ' ' && sentence_start(v, i))
                return e;
            /*
             * The common case, one capitalised word before a lower-case
             * one: a single lookup settles most of them ("This", "Python",
             * "Paris"); the full run logic below only sees known names and
             * words after an honorific or a cue.
             */
            f = bw_pii_lex_letters(v + i, e - i); /* a capital and lower-case ASCII letters */
            if ((f & BW_LEX_NOTNAME) || ((f & BW_LEX_COMMON) && !(f & BW_LEX_HONOR)))
                return e;
            if (!(f & (BW_LEX_FIRST | BW_LEX_LAST))) {
                size_t ws0, we0;
                char p0;
                /* no cue ends a sentence: after a full stop only an honorific ("Mr.") is worth a lookup */
                unsigned pf = prev_word(v, i, &ws0, &we0, &p0) && (p0 != '.' || we0 - ws0 <= 4)
                                  ? bw_pii_lex(v + ws0, we0 - ws0)
                                  : 0;
                if (!(pf & (BW_LEX_HONOR | BW_LEX_CUE)))
                    return e;
            }
        }
    }
    /* a run of capitalised words (or, in lower-case text, of known names) */
    j = i;
    while (nt < MAXT && j < len) {
        size_t e, lo = j;
        /* the case first: the word after a run, most often lower-case, is not read */
        if (!lowercase_text && !upper_at(v + j, len - j, &(size_t){0}))
            break;
        /*
         * An ASCII capital's lower-case letters (the first word's are read
         * already): one short loop, which settles read_tok()'s case test
         * and makes its word end the rest to read.
         */
        if (nt == 0)
            lo = bw_c_upper(c) ? elow : j;
        else if (bw_c_upper((unsigned char)v[j]))
            for (lo = j + 1; lo < len && bw_c_lower((unsigned char)v[lo]);)
                lo++;
        e = word_end(v, len, lo > j ? lo : j);
        if (e == j)
            break;
        read_tok(v, len, j, e, &t[nt], lowercase_text, lo);
        if (lowercase_text) {
            if (!(t[nt].lex & (BW_LEX_FIRST | BW_LEX_LAST)) || (t[nt].lex & BW_LEX_COMMON))
                break;
        } else if (!t[nt].cap) {
            break;
        }
        nt++;
        j = e;
        if (j < len && v[j] == '.' && t[nt - 1].initial)
            j++;
        if (j + 1 < len && v[j] == ' ' && (bw_c_alpha((unsigned char)v[j + 1]) || (unsigned char)v[j + 1] >= 0x80))
            j++;
        else
            break;
    }
    if (nt == 0) {
        i = word_end(v, len, i);
        if (i < len && !bw_c_alpha((unsigned char)v[i]))
            i++;
        return i;
    }
    /* leading words that are no name ("The Steffen Mauer version", "I'm Melvin", "Mr Smith") */
    while (nt > 1 && !t[0].initial &&
           ((t[0].lex & (BW_LEX_HONOR | BW_LEX_CUE)) ||
            ((t[0].lex & BW_LEX_COMMON) && !(t[0].lex & (BW_LEX_FIRST | BW_LEX_LAST))))) {
        if (t[0].place) { /* "San Francisco", "New Jersey": a place */
            nt = 0;
            break;
        }
        if (t[0].lex & BW_LEX_HONOR)
            strong = 2;
        else if (bw_pii_ieq(v + t[0].s, t[0].e - t[0].s, "dear") && !strong)
            strong = 1;
        memmove(&t[0], &t[1], sizeof(t[0]) * (size_t)(nt - 1));
        nt--;
    }
    if (nt == 0)
        return j > i ? j : i + 1;
    /* drop a trailing organisation or street word and what it names */
    for (k = 1; k < nt; k++)
        if (t[k].lex & BW_LEX_ORG) {
            nt = 0;
            break;
        }
    if (nt == 0)
        return j > i ? j : i + 1;
    for (k = 0; k < nt; k++) {
        unsigned lx = t[k].lex;
        if ((lx & (BW_LEX_FIRST | BW_LEX_LAST)) && !(lx & BW_LEX_COMMON))
            known++;
    }
    name_end = -1;
    accept = decide(v, t, nt, known, 0, lowercase_text, &name_end);
    /* the word before, looked up only when the run needs it: an honorific or a cue */
    if (!accept && !(nt == 1 && (t[0].lex & BW_LEX_COMMON)) && prev_word(v, t[0].s, &ws, &we, &punct)) {
        unsigned f = bw_pii_lex(v + ws, we - ws);
        if ((f & BW_LEX_HONOR) && (punct == '.' || punct == 0))
            strong = 2;
        else if ((f & BW_LEX_CUE) && punct != '.' && cue_ok(v, ws, we, punct))
            strong = 1;
        if (strong)
            accept = decide(v, t, nt, known, strong, lowercase_text, &name_end);
    }
    if (accept) {
        /* the word after the run may make it an organisation or a street ("Jane Doe Street") */
        size_t e2 = t[nt - 1].e, s2;
        while (e2 < len && v[e2] == ' ')
            e2++;
        s2 = e2;
        e2 = word_end(v, len, e2);
        if (e2 > s2 && (bw_pii_lex(v + s2, e2 - s2) & BW_LEX_ORG))
            accept = 0;
    }
    if (accept && (rv = emit(ctx, BW_PII_NAME, t[0].s, t[name_end].e, strong ? 45 : 40)) != 0) {
        *rvp = rv;
        return len;
    }
    return j > i ? j : i + 1;
}

int bw_pii_walk(const char *v, size_t len, int names, int address, bw_pii_emit_fn emit, void *ctx)
{
    uint64_t st[BW_PII_STARTS_BATCH];
    size_t i = 0, bat;
    int rv = 0;

    if (has_upper(v, len)) {
        /* the text's last byte is no lower-case letter: a run of them stops before len without a bound test */
        int lower_stops = !bw_c_lower((unsigned char)v[len - 1]);
        /*
         * The masks of up to 64 blocks at a time, walked here: a block's
         * bits below where the walk stands are cleared when it starts, a
         * bit the last candidate's words went past is skipped, the others
         * tested for a word start.
         */
        for (bat = 0; bat < len; bat += BW_PII_STARTS_BLOCK * BW_PII_STARTS_BATCH) {
            unsigned nb = (unsigned)BW_MIN((len - bat + BW_PII_STARTS_BLOCK - 1) / BW_PII_STARTS_BLOCK,
                                           (size_t)BW_PII_STARTS_BATCH), b;
            if (i >= bat + BW_PII_STARTS_BLOCK * (size_t)nb)
                continue;
            bw_pii_start_masks(v, len, bat, nb, st);
            for (b = 0; b < nb; b++) {
                size_t base = bat + BW_PII_STARTS_BLOCK * (size_t)b;
                uint64_t m = st[b];
                if (i > base) {
                    if (i - base >= BW_PII_STARTS_BLOCK)
                        continue;
                    m &= ~0ull << (i - base);
                }
                while (m) {
                    size_t p = base + (size_t)__builtin_ctzll(m);
                    m &= m - 1;
                    if (p < i || (p > 0 && bw_c_word((unsigned char)v[p - 1])))
                        continue;
                    i = one(v, len, p, names, address, 0, lower_stops, emit, ctx, &rv);
                    if (rv)
                        return rv;
                }
            }
        }
        return 0;
    }
    if (!names)
        return 0; /* addresses there start with digits: the digit-run callback has them */
    while (i < len) {
        i = one(v, len, i, names, address, 1, 0, emit, ctx, &rv);
        if (rv)
            return rv;
    }
    return 0;
}
