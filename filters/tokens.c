/*
 * tokens.c: words of a view for the statistical scorers, a crude English
 * stemmer and a function-word list. Kept here so that training, evaluation
 * and the run-time scorers cut text the same way.
 */
#include <string.h>

#include "filters/tokens.h"

static int is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

int bw_tok_next(const char *s, size_t n, size_t *pos, struct bw_tok *t)
{
    size_t i = *pos, nup = 0, nlet = 0;
    int sent;

    /* a sentence starts the text, or follows . ! ? and spacing */
    while (i < n && !bw_tok_wordc((unsigned char)s[i]))
        i++;
    if (i >= n) {
        *pos = n;
        return 0;
    }
    if (i == 0) {
        sent = 1;
    } else {
        size_t k = i;
        sent = 0;
        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\n' || s[k - 1] == '\t' || s[k - 1] == '"' ||
                         s[k - 1] == '\'' || s[k - 1] == '('))
            k--;
        if (k == 0 || s[k - 1] == '.' || s[k - 1] == '!' || s[k - 1] == '?' || s[k - 1] == '\n' || s[k - 1] == ':')
            sent = 1;
    }
    t->start = i;
    t->len = 0;
    t->flags = sent ? BW_TOKF_SENT : 0;
    if (is_upper((unsigned char)s[i]))
        t->flags |= BW_TOKF_UPPER;
    for (;;) {
        unsigned char c = (unsigned char)s[i];
        if (bw_tok_wordc(c)) {
            if (c >= '0' && c <= '9')
                t->flags |= BW_TOKF_DIGIT;
            if (is_upper(c)) {
                nup++;
                c = (unsigned char)(c | 0x20);
            }
            if (c >= 'a' && c <= 'z')
                nlet++;
            if (t->len < BW_TOK_MAX)
                t->w[t->len++] = (char)c;
            i++;
        } else if ((c == '\'' || c == 0x60) && i + 1 < n && bw_tok_wordc((unsigned char)s[i + 1]) && i > t->start) {
            i++; /* don't -> dont */
        } else if (c == 0xe2 && i + 3 < n && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x99 &&
                   bw_tok_wordc((unsigned char)s[i + 3])) {
            i += 3; /* right single quotation mark as an apostrophe */
        } else {
            break;
        }
        if (i >= n)
            break;
    }
    /* UTF-8 punctuation (U+2000..U+206F: dashes, quotes) is not part of words */
    t->end = i;
    if (nup >= 2 && nup == nlet)
        t->flags |= BW_TOKF_ALLCAP;
    *pos = i;
    return 1;
}

static int ends(const char *w, size_t n, const char *suf, size_t sl)
{
    return n > sl && memcmp(w + n - sl, suf, sl) == 0;
}

size_t bw_tok_stem(const char *w, size_t n)
{
    if (n <= 3)
        return n;
    if (ends(w, n, "ies", 3) && n > 4)
        n -= 3;
    else if (ends(w, n, "sses", 4))
        n -= 2;
    else if (w[n - 1] == 's' && !ends(w, n, "ss", 2) && !ends(w, n, "us", 2) && !ends(w, n, "is", 2))
        n -= 1;
    if (ends(w, n, "ing", 3) && n - 3 >= 4)
        n -= 3;
    else if (ends(w, n, "ed", 2) && n - 2 >= 4)
        n -= 2;
    else if (ends(w, n, "ly", 2) && n - 2 >= 4)
        n -= 2;
    /* derivational endings: treatment/treat, medication/medical/medic, financial/finance */
    if ((ends(w, n, "ation", 5) || ends(w, n, "ition", 5)) && n - 5 >= 4)
        n -= 5;
    else if ((ends(w, n, "ment", 4) || ends(w, n, "ness", 4)) && n - 4 >= 4)
        n -= 4;
    else if ((ends(w, n, "ial", 3) || ends(w, n, "ist", 3) || ends(w, n, "ion", 3)) && n - 3 >= 4)
        n -= 3;
    else if (ends(w, n, "al", 2) && n - 2 >= 5)
        n -= 2;
    if (n > 4 && (w[n - 1] == 'e' || w[n - 1] == 'y' || w[n - 1] == 'i'))
        n -= 1;
    return n;
}

/* sorted, so a binary search finds them */
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

int bw_tok_stopword(const char *w, size_t n)
{
    size_t lo = 0, hi = BW_NELEMS(stops);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        size_t sl = strlen(stops[mid]);
        int c = memcmp(stops[mid], w, BW_MIN(sl, n));
        if (c == 0)
            c = sl < n ? -1 : sl > n ? 1 : 0;
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
