/*
 * json.c: strict JSON for configuration files (see json.h).
 *
 * The scanner below is a plain recursive-descent recogniser of RFC 8259
 * that builds nothing: it exists to say precisely what is wrong and where
 * (cJSON only gives the offset where it stopped), to refuse what cJSON
 * would accept or silently mangle ("\u0000" truncates a cJSON string, a
 * number longer than 63 characters is cut), and to cap nesting before any
 * tree is built. Once a text passes, cJSON cannot fail on it but for memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filters/limits.h"
#include "policies/json.h"

/* cJSON copies a number into a 64-byte buffer: longer ones would be cut. */
#define NUMBER_MAX 63

/* ------------------------------------------------------------------------ */
/* files */

int bw_json_read_file(const char *path, size_t max, char **out, size_t *len)
{
    struct stat st;
    char *buf, *nb;
    size_t cap = 4096, n = 0;
    ssize_t r;
    int fd, err, rv = BW_OK;

    *out = NULL;
    *len = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return BW_EIO;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            errno = EISDIR;
            return BW_EIO;
        }
        if (S_ISREG(st.st_mode)) {
            if ((unsigned long long)st.st_size > max) {
                close(fd);
                return BW_ELIMIT;
            }
            cap = (size_t)st.st_size + 1;
        }
    }
    if ((buf = malloc(cap)) == NULL) {
        close(fd);
        return BW_ENOMEM;
    }
    for (;;) {
        if (n + 1 == cap) { /* full: a pipe, or a file that grew */
            if (n > max) {
                rv = BW_ELIMIT;
                break;
            }
            if ((nb = realloc(buf, cap * 2)) == NULL) {
                rv = BW_ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rv = BW_EIO;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (rv == BW_OK && n > max)
        rv = BW_ELIMIT;
    err = errno;
    close(fd);
    if (rv != BW_OK) {
        free(buf);
        errno = err;
        return rv;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return BW_OK;
}

/* ------------------------------------------------------------------------ */
/* positions and characters */

static int has_bom(const char *s, size_t n)
{
    return n >= 3 && (unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf;
}

void bw_json_linecol(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
    size_t i, start = has_bom(text, len) ? 3 : 0;
    unsigned l = 1, c = 1;

    if (off > len)
        off = len;
    for (i = start; i < off; i++) {
        unsigned char b = (unsigned char)text[i];
        if (b == '\n') {
            l++;
            c = 1;
        } else if ((b & 0xc0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

size_t bw_json_utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t k;

    if (c >= 0xc2 && c <= 0xdf)
        k = 1;
    else if (c >= 0xe0 && c <= 0xef)
        k = 2;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 3;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* UTF-16 surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (avail < k + 1 || s[1] < lo || s[1] > hi)
        return 0;
    if (k >= 2 && (s[2] & 0xc0) != 0x80)
        return 0;
    if (k >= 3 && (s[3] & 0xc0) != 0x80)
        return 0;
    return k + 1;
}

/* Offset of the first byte that is not valid UTF-8, or n. */
static size_t utf8_bad(const unsigned char *s, size_t n)
{
    size_t i = 0, k;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((k = bw_json_utf8_seq(s + i, n - i)) == 0)
            return i;
        i += k;
    }
    return n;
}

size_t bw_json_utf8_len(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* ------------------------------------------------------------------------ */
/* the strict scanner */

struct scan {
    const char *s;
    size_t n, i;
    int failed;
    size_t epos;
    char msg[200];
};

static int fail(struct scan *sc, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct scan *sc, size_t pos, const char *fmt, ...)
{
    va_list ap;

    if (!sc->failed) {
        sc->failed = 1;
        sc->epos = pos;
        va_start(ap, fmt);
        vsnprintf(sc->msg, sizeof(sc->msg), fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Describes the character at pos for a message: 'x', U+0009, end of file. */
static const char *what_at(const struct scan *sc, size_t pos, char *buf, size_t n)
{
    const unsigned char *s = (const unsigned char *)sc->s;
    unsigned cp;

    if (pos >= sc->n)
        return "end of file";
    if (s[pos] >= 0x21 && s[pos] < 0x7f) {
        snprintf(buf, n, "'%c'", s[pos]);
        return buf;
    }
    cp = s[pos];
    if (cp >= 0xf0 && pos + 3 < sc->n)
        cp = ((cp & 7u) << 18) | ((s[pos + 1] & 63u) << 12) | ((s[pos + 2] & 63u) << 6) | (s[pos + 3] & 63u);
    else if (cp >= 0xe0 && pos + 2 < sc->n)
        cp = ((cp & 15u) << 12) | ((s[pos + 1] & 63u) << 6) | (s[pos + 2] & 63u);
    else if (cp >= 0xc0 && pos + 1 < sc->n)
        cp = ((cp & 31u) << 6) | (s[pos + 1] & 63u);
    snprintf(buf, n, "U+%04X", cp);
    return buf;
}

static void skip_ws(struct scan *sc)
{
    while (sc->i < sc->n) {
        char c = sc->s[sc->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->i++;
    }
}

static int is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int value(struct scan *sc, int depth);

int bw_json_hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    int k;

    for (k = 0; k < 4; k++) {
        unsigned char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int hex4(struct scan *sc, size_t at, unsigned *out)
{
    if (at + 4 > sc->n || bw_json_hex4((const unsigned char *)sc->s + at, out) != 0)
        return fail(sc, at - 2, "invalid \\u escape: expected 4 hexadecimal digits");
    return 0;
}

static int string(struct scan *sc)
{
    size_t start = sc->i;
    char wb[16];

    sc->i++; /* opening quote */
    for (;;) {
        unsigned char c;
        size_t esc;
        unsigned u, lo;

        if (sc->i >= sc->n)
            return fail(sc, start, "unterminated string");
        c = (unsigned char)sc->s[sc->i];
        if (c == '"') {
            sc->i++;
            return 0;
        }
        if (c == '\n' || c == '\r')
            return fail(sc, start, "unterminated string (a line break before the closing quote)");
        if (c < 0x20)
            return fail(sc, sc->i, "control character %s in a string must be escaped", what_at(sc, sc->i, wb, sizeof(wb)));
        if (c != '\\') {
            sc->i++;
            continue;
        }
        esc = sc->i;
        if (esc + 1 >= sc->n)
            return fail(sc, start, "unterminated string");
        c = (unsigned char)sc->s[esc + 1];
        if (c != 'u') {
            if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
                return fail(sc, esc, "invalid escape '\\%c' in a string", c >= 0x21 && c < 0x7f ? c : '?');
            sc->i = esc + 2;
            continue;
        }
        if (hex4(sc, esc + 2, &u) != 0)
            return -1;
        sc->i = esc + 6;
        if (u == 0)
            return fail(sc, esc, "\\u0000 is not allowed in a string");
        if (u >= 0xdc00 && u <= 0xdfff)
            return fail(sc, esc, "unpaired UTF-16 surrogate \\u%04X", u);
        if (u >= 0xd800 && u <= 0xdbff) {
            if (sc->i + 1 >= sc->n || sc->s[sc->i] != '\\' || sc->s[sc->i + 1] != 'u')
                return fail(sc, esc, "unpaired UTF-16 surrogate \\u%04X", u);
            if (hex4(sc, sc->i + 2, &lo) != 0)
                return -1;
            if (lo < 0xdc00 || lo > 0xdfff)
                return fail(sc, esc, "unpaired UTF-16 surrogate \\u%04X", u);
            sc->i += 6;
        }
    }
}

static int digits(struct scan *sc)
{
    size_t s0 = sc->i;

    while (sc->i < sc->n && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9')
        sc->i++;
    return sc->i > s0;
}

static int number(struct scan *sc)
{
    size_t start = sc->i;
    char wb[16];

    if (sc->s[sc->i] == '-')
        sc->i++;
    if (sc->i < sc->n && sc->s[sc->i] == '0' && sc->i + 1 < sc->n && sc->s[sc->i + 1] >= '0' &&
        sc->s[sc->i + 1] <= '9')
        return fail(sc, start, "numbers must not have leading zeros");
    if (!digits(sc))
        return fail(sc, sc->i, "expected a digit, found %s", what_at(sc, sc->i, wb, sizeof(wb)));
    if (sc->i < sc->n && sc->s[sc->i] == '.') {
        sc->i++;
        if (!digits(sc))
            return fail(sc, sc->i, "expected a digit after '.', found %s", what_at(sc, sc->i, wb, sizeof(wb)));
    }
    if (sc->i < sc->n && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
        sc->i++;
        if (sc->i < sc->n && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-'))
            sc->i++;
        if (!digits(sc))
            return fail(sc, sc->i, "expected a digit in the exponent, found %s", what_at(sc, sc->i, wb, sizeof(wb)));
    }
    if (sc->i - start > NUMBER_MAX)
        return fail(sc, start, "number too long (more than %d characters)", NUMBER_MAX);
    return 0;
}

/* A bare word where a value belongs: true/false/null, or a mistake. */
static int word(struct scan *sc)
{
    static const char *const lits[] = {"true", "false", "null"};
    size_t start = sc->i, n;
    const char *hint;
    char w[24];

    while (sc->i < sc->n && is_word(sc->s[sc->i]))
        sc->i++;
    n = sc->i - start;
    if ((n == 4 && memcmp(sc->s + start, "true", 4) == 0) || (n == 5 && memcmp(sc->s + start, "false", 5) == 0) ||
        (n == 4 && memcmp(sc->s + start, "null", 4) == 0))
        return 0;
    snprintf(w, sizeof(w), "%.*s%s", (int)BW_MIN(n, 16), sc->s + start, n > 16 ? "..." : "");
    hint = bw_json_suggest(w, lits, 3);
    if (hint && strlen(w) == strlen(hint))
        return fail(sc, start, "unexpected word \"%s\" (JSON literals are lowercase: %s)", w, hint);
    if (strcmp(w, "NaN") == 0 || strcmp(w, "Infinity") == 0)
        return fail(sc, start, "%s is not a JSON number", w);
    return fail(sc, start, "unexpected word \"%s\", expected a value (strings need double quotes)", w);
}

static int object(struct scan *sc, int depth)
{
    size_t comma = 0;
    char wb[16];

    sc->i++; /* '{' */
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == '}') {
        sc->i++;
        return 0;
    }
    for (;;) {
        skip_ws(sc);
        if (sc->i >= sc->n)
            return fail(sc, sc->i, "unexpected end of file, expected a key in double quotes");
        if (sc->s[sc->i] == '}' && comma)
            return fail(sc, comma, "trailing comma before '}'");
        if (sc->s[sc->i] == '\'')
            return fail(sc, sc->i, "keys must be in double quotes, not single quotes");
        if (sc->s[sc->i] == '/')
            return fail(sc, sc->i, "comments are not allowed in JSON");
        if (sc->s[sc->i] != '"')
            return fail(sc, sc->i, "expected a key in double quotes, found %s", what_at(sc, sc->i, wb, sizeof(wb)));
        if (string(sc) != 0)
            return -1;
        skip_ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ':')
            return fail(sc, sc->i, "expected ':' after the key, found %s", what_at(sc, sc->i, wb, sizeof(wb)));
        sc->i++;
        if (value(sc, depth) != 0)
            return -1;
        skip_ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == ',') {
            comma = sc->i++;
            continue;
        }
        if (sc->i < sc->n && sc->s[sc->i] == '}') {
            sc->i++;
            return 0;
        }
        if (sc->i >= sc->n)
            return fail(sc, sc->i, "unexpected end of file, expected ',' or '}'");
        if (sc->s[sc->i] == '"')
            return fail(sc, sc->i, "expected ',' or '}', found '\"' (missing comma?)");
        return fail(sc, sc->i, "expected ',' or '}' after a member, found %s", what_at(sc, sc->i, wb, sizeof(wb)));
    }
}

static int array(struct scan *sc, int depth)
{
    size_t comma = 0;
    char wb[16];

    sc->i++; /* '[' */
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == ']') {
        sc->i++;
        return 0;
    }
    for (;;) {
        skip_ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == ']' && comma)
            return fail(sc, comma, "trailing comma before ']'");
        if (value(sc, depth) != 0)
            return -1;
        skip_ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == ',') {
            comma = sc->i++;
            continue;
        }
        if (sc->i < sc->n && sc->s[sc->i] == ']') {
            sc->i++;
            return 0;
        }
        if (sc->i >= sc->n)
            return fail(sc, sc->i, "unexpected end of file, expected ',' or ']'");
        return fail(sc, sc->i, "expected ',' or ']' after an element, found %s%s", what_at(sc, sc->i, wb, sizeof(wb)),
                    strchr("\"{[-0123456789tfn", sc->s[sc->i]) ? " (missing comma?)" : "");
    }
}

/* depth: containers already open around this value */
static int value(struct scan *sc, int depth)
{
    char c, wb[16];

    skip_ws(sc);
    if (sc->i >= sc->n)
        return fail(sc, sc->i, "unexpected end of file, expected a value");
    c = sc->s[sc->i];
    if ((c == '{' || c == '[') && depth >= BW_MAX_JSON_DEPTH)
        return fail(sc, sc->i, "nesting deeper than %d levels", BW_MAX_JSON_DEPTH);
    if (c == '{')
        return object(sc, depth + 1);
    if (c == '[')
        return array(sc, depth + 1);
    if (c == '"')
        return string(sc);
    if (c == '-' || (c >= '0' && c <= '9'))
        return number(sc);
    if (is_word(c))
        return word(sc);
    if (c == '\'')
        return fail(sc, sc->i, "strings must be in double quotes, not single quotes");
    if (c == '/')
        return fail(sc, sc->i, "comments are not allowed in JSON");
    if (c == '.' && sc->i + 1 < sc->n && sc->s[sc->i + 1] >= '0' && sc->s[sc->i + 1] <= '9')
        return fail(sc, sc->i, "a number must start with a digit (0.5, not .5)");
    if (c == '+')
        return fail(sc, sc->i, "a number must not start with '+'");
    return fail(sc, sc->i, "unexpected %s, expected a value", what_at(sc, sc->i, wb, sizeof(wb)));
}

/* ------------------------------------------------------------------------ */
/* parse */

/* "FILE:LINE:COL: msg": errs prefixes "FILE: ", so format the position here. */
static void err_at(struct bw_errs *errs, const char *text, size_t len, size_t off, const char *msg)
{
    const char *file = errs->file;
    unsigned line, col;

    bw_json_linecol(text, len, off, &line, &col);
    errs->file = NULL;
    if (file)
        bw_errs_addraw(errs, "%s:%u:%u: %s", file, line, col, msg);
    else
        bw_errs_addraw(errs, "%u:%u: %s", line, col, msg);
    errs->file = file;
}

struct keyref {
    const char *key;
    size_t idx;
};

static int keycmp(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Marks in dup[] every member whose key an earlier member already has. */
static int find_dups(const cJSON *obj, size_t n, unsigned char *dup)
{
    const cJSON *a, *b;
    struct keyref *r;
    size_t i, k;

    if (n <= 32) { /* the usual object: quadratic is cheaper than sorting */
        for (a = obj->child, i = 0; a; a = a->next, i++)
            for (b = obj->child, k = 0; k < i; b = b->next, k++)
                if (strcmp(a->string, b->string) == 0) {
                    dup[i] = 1;
                    break;
                }
        return 0;
    }
    if ((r = malloc(n * sizeof(*r))) == NULL)
        return BW_ENOMEM;
    for (a = obj->child, i = 0; a; a = a->next, i++) {
        r[i].key = a->string;
        r[i].idx = i;
    }
    qsort(r, n, sizeof(*r), keycmp);
    for (i = 1; i < n; i++)
        if (strcmp(r[i].key, r[i - 1].key) == 0)
            dup[r[i].idx] = 1;
    free(r);
    return 0;
}

static int dup_walk(struct bw_jv *v, const cJSON *j)
{
    const cJSON *c;
    unsigned char *dup = NULL;
    size_t n = 0, i, mark;
    int rv = 0;

    if (cJSON_IsObject(j)) {
        for (c = j->child; c; c = c->next)
            n++;
        if (n > 1) {
            if ((dup = calloc(n, 1)) == NULL)
                return BW_ENOMEM;
            if ((rv = find_dups(j, n, dup)) != 0) {
                free(dup);
                return rv;
            }
        }
        for (c = j->child, i = 0; c && rv == 0; c = c->next, i++) {
            mark = bw_jv_key(v, c->string);
            if (dup && dup[i])
                bw_jv_err(v, "duplicate key");
            rv = dup_walk(v, c);
            bw_jv_pop(v, mark);
        }
        free(dup);
    } else if (cJSON_IsArray(j)) {
        for (c = j->child, i = 0; c && rv == 0; c = c->next, i++) {
            mark = bw_jv_index(v, i);
            rv = dup_walk(v, c);
            bw_jv_pop(v, mark);
        }
    }
    return rv;
}

int bw_json_parse(const char *text, size_t len, cJSON **out, struct bw_errs *errs)
{
    struct scan sc;
    struct bw_jv v;
    size_t bad, start;
    cJSON *root;
    int rv;

    *out = NULL;
    if (len > BW_MAX_CONFIG_BYTES) {
        bw_errs_add(errs, NULL, "file is larger than %u bytes", BW_MAX_CONFIG_BYTES);
        return BW_ELIMIT;
    }
    if (len >= 2 && (((unsigned char)text[0] == 0xfe && (unsigned char)text[1] == 0xff) ||
                     ((unsigned char)text[0] == 0xff && (unsigned char)text[1] == 0xfe))) {
        bw_errs_add(errs, NULL, "file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8");
        return BW_ECONFIG;
    }
    start = has_bom(text, len) ? 3 : 0;
    if ((bad = utf8_bad((const unsigned char *)text, len)) < len) {
        char m[96];
        snprintf(m, sizeof(m), "invalid UTF-8: byte 0x%02X at byte offset %zu", (unsigned char)text[bad], bad);
        err_at(errs, text, len, bad, m);
        return BW_ECONFIG;
    }
    memset(&sc, 0, sizeof(sc));
    sc.s = text;
    sc.n = len;
    sc.i = start;
    skip_ws(&sc);
    if (sc.i == len) {
        bw_errs_add(errs, NULL, "file is empty");
        return BW_ECONFIG;
    }
    if (value(&sc, 0) == 0) {
        skip_ws(&sc);
        if (sc.i < len)
            fail(&sc, sc.i, "unexpected content after the JSON value");
    }
    if (sc.failed) {
        err_at(errs, text, len, sc.epos, sc.msg);
        return BW_ECONFIG;
    }
    /* the scanner accepted it: cJSON fails only for lack of memory */
    if ((root = cJSON_ParseWithLength(text + start, len - start)) == NULL)
        return BW_ENOMEM;
    bw_jv_init(&v, errs);
    if ((rv = dup_walk(&v, root)) != 0) {
        cJSON_Delete(root);
        return rv;
    }
    /* with duplicates the tree is still handed out: the caller may look for more errors */
    *out = root;
    return v.nerr ? BW_ECONFIG : BW_OK;
}

/* ------------------------------------------------------------------------ */
/* suggestions */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive Levenshtein distance; both strings at most 64 bytes. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t row[65], i, j, prev, tmp;

    for (j = 0; j <= nb; j++)
        row[j] = j;
    for (i = 1; i <= na; i++) {
        prev = row[0];
        row[0] = i;
        for (j = 1; j <= nb; j++) {
            size_t best = prev + (lower(a[i - 1]) != lower(b[j - 1]));
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            tmp = row[j];
            row[j] = best;
            prev = tmp;
        }
    }
    return row[nb];
}

static int is_prefix_ci(const char *p, size_t np, const char *s)
{
    size_t i;

    for (i = 0; i < np; i++)
        if (s[i] == '\0' || lower(p[i]) != lower(s[i]))
            return 0;
    return 1;
}

const char *bw_json_suggest(const char *s, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1, ns = strlen(s), i;

    if (ns == 0 || ns > 64)
        return NULL;
    for (i = 0; i < n; i++) {
        size_t nn = strlen(names[i]), d, lim;
        int ok;
        if (nn > 64)
            continue;
        d = distance(s, ns, names[i], nn);
        lim = BW_MAX(ns, nn) / 3;
        ok = d <= BW_MAX(lim, 1);
        /* "filters" for "filtersConfig": the other shape's spelling */
        if (!ok && BW_MIN(ns, nn) >= 3)
            ok = ns < nn ? is_prefix_ci(s, ns, names[i]) : is_prefix_ci(names[i], nn, s);
        if (ok && d < bestd) {
            best = names[i];
            bestd = d;
        }
    }
    return best;
}

/* ------------------------------------------------------------------------ */
/* the validation walk */

const char *bw_json_type_name(const cJSON *j)
{
    if (cJSON_IsObject(j))
        return "an object";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNull(j))
        return "null";
    return "nothing";
}

const cJSON *bw_json_member(const cJSON *obj, const char *key)
{
    const cJSON *c;

    for (c = obj ? obj->child : NULL; c; c = c->next)
        if (c->string && strcmp(c->string, key) == 0)
            return c;
    return NULL;
}

void bw_jv_init(struct bw_jv *v, struct bw_errs *errs)
{
    v->errs = errs;
    v->nerr = 0;
    v->plen = 0;
    v->path[0] = '\0';
}

/*
 * Appends n bytes of s to the path. Four bytes are always kept free so a
 * path that does not fit can end in "...".
 */
static void path_add(struct bw_jv *v, const char *s, size_t n)
{
    if (v->plen + n + 4 > sizeof(v->path)) {
        if (v->plen < 3 || memcmp(v->path + v->plen - 3, "...", 3) != 0) {
            memcpy(v->path + v->plen, "...", 4);
            v->plen += 3;
        }
        return;
    }
    memcpy(v->path + v->plen, s, n);
    v->plen += n;
    v->path[v->plen] = '\0';
}

static int is_ident(const char *k)
{
    const char *p = k;

    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
        return 0;
    for (; *p; p++)
        if (!is_word(*p) && *p != '-')
            return 0;
    return p - k <= 60;
}

size_t bw_jv_key(struct bw_jv *v, const char *key)
{
    size_t mark = v->plen;
    char q[400];

    if (is_ident(key)) {
        if (v->plen)
            path_add(v, ".", 1);
        path_add(v, key, strlen(key));
    } else {
        bw_jv_quote(q, sizeof(q), key);
        path_add(v, "[", 1);
        path_add(v, q, strlen(q));
        path_add(v, "]", 1);
    }
    return mark;
}

size_t bw_jv_index(struct bw_jv *v, size_t i)
{
    size_t mark = v->plen;
    char b[32];
    int n = snprintf(b, sizeof(b), "[%zu]", i);

    path_add(v, b, (size_t)n);
    return mark;
}

void bw_jv_pop(struct bw_jv *v, size_t mark)
{
    if (mark <= v->plen) {
        v->plen = mark;
        v->path[mark] = '\0';
    }
}

void bw_jv_err(struct bw_jv *v, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    v->nerr++;
    bw_errs_add(v->errs, v->path, "%s", msg);
}

char *bw_jv_quote(char *dst, size_t n, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t w = 0, chars = 0;

    if (n < 8) {
        if (n)
            dst[0] = '\0';
        return dst;
    }
    dst[w++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[8];
        size_t k = 0;

        if ((c & 0xc0) != 0x80 && ++chars > 100) {
            if (w + 5 <= n) {
                memcpy(dst + w, "...", 3);
                w += 3;
            }
            break;
        }
        if (c == '"' || c == '\\') {
            e[k++] = '\\';
            e[k++] = (char)c;
        } else if (c == '\n') {
            e[k++] = '\\';
            e[k++] = 'n';
        } else if (c == '\t') {
            e[k++] = '\\';
            e[k++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(e, "\\u00", 4);
            k = 4;
            e[k++] = hex[c >> 4];
            e[k++] = hex[c & 15];
        } else {
            e[k++] = (char)c;
        }
        if (w + k + 2 > n) /* room for the quote and NUL */
            break;
        memcpy(dst + w, e, k);
        w += k;
    }
    /* never leave half a UTF-8 sequence when the buffer ran out */
    if (w > 1 && ((unsigned char)dst[w - 1] & 0x80)) {
        size_t k = w - 1, need;
        while (k > 1 && ((unsigned char)dst[k] & 0xc0) == 0x80)
            k--;
        need = (unsigned char)dst[k] >= 0xf0 ? 4 : (unsigned char)dst[k] >= 0xe0 ? 3 : 2;
        if (w - k < need)
            w = k;
    }
    dst[w++] = '"';
    dst[w] = '\0';
    return dst;
}

size_t bw_jv_keys(struct bw_jv *v, const cJSON *obj, const char *const *allowed, size_t n)
{
    const cJSON *c;
    size_t bad = 0, i, mark;

    for (c = obj->child; c; c = c->next) {
        const char *hint;
        for (i = 0; i < n; i++)
            if (strcmp(c->string, allowed[i]) == 0)
                break;
        if (i < n)
            continue;
        bad++;
        mark = bw_jv_key(v, c->string);
        if ((hint = bw_json_suggest(c->string, allowed, n)) != NULL)
            bw_jv_err(v, "unknown key (did you mean %s?)", hint);
        else
            bw_jv_err(v, "unknown key");
        bw_jv_pop(v, mark);
    }
    return bad;
}

/* Looks key up; reports it missing when required. */
static const cJSON *get(struct bw_jv *v, const cJSON *obj, const char *key, int required)
{
    const cJSON *j = bw_json_member(obj, key);

    if (j == NULL && required)
        bw_jv_err(v, "missing required key \"%s\"", key);
    return j;
}

int bw_jv_is_object(struct bw_jv *v, const cJSON *j)
{
    if (cJSON_IsObject(j))
        return 1;
    bw_jv_err(v, "expected an object, found %s", bw_json_type_name(j));
    return 0;
}

int bw_jv_string_val(struct bw_jv *v, const cJSON *j, size_t min, size_t max, const char **out)
{
    size_t n;

    if (!cJSON_IsString(j) || j->valuestring == NULL) {
        bw_jv_err(v, "expected a string, found %s", bw_json_type_name(j));
        return -1;
    }
    n = bw_json_utf8_len(j->valuestring);
    if (n < min) {
        if (n == 0)
            bw_jv_err(v, "must not be empty");
        else
            bw_jv_err(v, "too short: %zu characters (at least %zu)", n, min);
        return -1;
    }
    if (n > max) {
        bw_jv_err(v, "too long: %zu characters (at most %zu)", n, max);
        return -1;
    }
    *out = j->valuestring;
    return 1;
}

int bw_jv_string(struct bw_jv *v, const cJSON *obj, const char *key, int required, size_t min, size_t max,
                 const char **out)
{
    const cJSON *j = get(v, obj, key, required);
    size_t mark;
    int rv;

    if (j == NULL)
        return 0;
    mark = bw_jv_key(v, key);
    rv = bw_jv_string_val(v, j, min, max, out);
    bw_jv_pop(v, mark);
    return rv;
}

int bw_jv_bool(struct bw_jv *v, const cJSON *obj, const char *key, int required, int *out)
{
    const cJSON *j = get(v, obj, key, required);
    size_t mark;

    if (j == NULL)
        return 0;
    if (cJSON_IsBool(j)) {
        *out = cJSON_IsTrue(j);
        return 1;
    }
    mark = bw_jv_key(v, key);
    bw_jv_err(v, "expected true or false, found %s", bw_json_type_name(j));
    bw_jv_pop(v, mark);
    return -1;
}

static void range_err(struct bw_jv *v, double x, double min, double max)
{
    if (isinf(max))
        bw_jv_err(v, "%g is out of range (at least %g)", x, min);
    else if (isinf(min))
        bw_jv_err(v, "%g is out of range (at most %g)", x, max);
    else
        bw_jv_err(v, "%g is out of range (%g to %g)", x, min, max);
}

int bw_jv_number(struct bw_jv *v, const cJSON *obj, const char *key, int required, double min, double max,
                 double *out)
{
    const cJSON *j = get(v, obj, key, required);
    size_t mark;
    int rv = -1;

    if (j == NULL)
        return 0;
    mark = bw_jv_key(v, key);
    if (!cJSON_IsNumber(j)) {
        bw_jv_err(v, "expected a number, found %s", bw_json_type_name(j));
    } else if (!(j->valuedouble >= min && j->valuedouble <= max)) {
        range_err(v, j->valuedouble, min, max);
    } else {
        *out = j->valuedouble;
        rv = 1;
    }
    bw_jv_pop(v, mark);
    return rv;
}

int bw_jv_int(struct bw_jv *v, const cJSON *obj, const char *key, int required, long long min, long long max,
              long long *out)
{
    const cJSON *j = get(v, obj, key, required);
    size_t mark;
    double d;
    int rv = -1;

    if (j == NULL)
        return 0;
    mark = bw_jv_key(v, key);
    d = cJSON_IsNumber(j) ? j->valuedouble : 0;
    if (!cJSON_IsNumber(j)) {
        bw_jv_err(v, "expected an integer, found %s", bw_json_type_name(j));
    } else if (d != floor(d) || fabs(d) > 9007199254740992.0) {
        bw_jv_err(v, "expected an integer, found %g", d);
    } else if (d < (double)min || d > (double)max) {
        bw_jv_err(v, "%.0f is out of range (%lld to %lld)", d, min, max);
    } else {
        *out = (long long)d;
        rv = 1;
    }
    bw_jv_pop(v, mark);
    return rv;
}

int bw_jv_enum_val(struct bw_jv *v, const cJSON *j, const char *what, const char *const *names, size_t n, int *out)
{
    const char *hint;
    char q[400], list[400];
    size_t i, w = 0;

    if (!cJSON_IsString(j) || j->valuestring == NULL) {
        bw_jv_err(v, "expected a string, found %s", bw_json_type_name(j));
        return -1;
    }
    for (i = 0; i < n; i++)
        if (strcmp(j->valuestring, names[i]) == 0) {
            *out = (int)i;
            return 1;
        }
    bw_jv_quote(q, sizeof(q), j->valuestring);
    if ((hint = bw_json_suggest(j->valuestring, names, n)) != NULL) {
        bw_jv_err(v, "unknown %s %s (did you mean %s?)", what, q, hint);
    } else if (n <= 8) {
        /* a short list says more than "unknown" */
        list[0] = '\0';
        for (i = 0; i < n; i++) {
            int k = snprintf(list + w, sizeof(list) - w, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
            if (k < 0 || (size_t)k >= sizeof(list) - w)
                break;
            w += (size_t)k;
        }
        bw_jv_err(v, "unknown %s %s (expected %s)", what, q, list);
    } else {
        bw_jv_err(v, "unknown %s %s", what, q);
    }
    return -1;
}

int bw_jv_enum(struct bw_jv *v, const cJSON *obj, const char *key, int required, const char *what,
               const char *const *names, size_t n, int *out)
{
    const cJSON *j = get(v, obj, key, required);
    size_t mark;
    int rv;

    if (j == NULL)
        return 0;
    mark = bw_jv_key(v, key);
    rv = bw_jv_enum_val(v, j, what, names, n, out);
    bw_jv_pop(v, mark);
    return rv;
}

int bw_jv_object(struct bw_jv *v, const cJSON *obj, const char *key, int required, const cJSON **out)
{
    const cJSON *j = get(v, obj, key, required);
    size_t mark;
    int ok;

    if (j == NULL)
        return 0;
    mark = bw_jv_key(v, key);
    ok = bw_jv_is_object(v, j);
    bw_jv_pop(v, mark);
    if (!ok)
        return -1;
    *out = j;
    return 1;
}

int bw_jv_array(struct bw_jv *v, const cJSON *obj, const char *key, int required, size_t min, size_t max,
                const cJSON **out)
{
    const cJSON *j = get(v, obj, key, required), *c;
    size_t mark, n = 0;
    int rv = -1;

    if (j == NULL)
        return 0;
    mark = bw_jv_key(v, key);
    if (!cJSON_IsArray(j)) {
        bw_jv_err(v, "expected an array, found %s", bw_json_type_name(j));
    } else {
        for (c = j->child; c; c = c->next)
            n++;
        if (n < min && n == 0)
            bw_jv_err(v, "must not be empty");
        else if (n < min)
            bw_jv_err(v, "too few items: %zu (at least %zu)", n, min);
        else if (n > max)
            bw_jv_err(v, "too many items: %zu (at most %zu)", n, max);
        else
            rv = 1;
    }
    bw_jv_pop(v, mark);
    if (cJSON_IsArray(j))
        *out = j;
    return rv;
}

/* An escaped backslash before "u0000" is not an escape. */
int bw_json_has_nul_escape(const char *s, size_t n)
{
    const char *p = s, *end = s + n;

    while ((p = memmem(p, (size_t)(end - p), "u0000", 5)) != NULL) {
        size_t bs = 0;
        const char *q = p;
        while (q > s && q[-1] == '\\')
            q--, bs++;
        if (bs % 2 == 1)
            return 1;
        p += 5;
    }
    return 0;
}

