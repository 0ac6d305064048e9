/*
 * json_tree.c: one-pass strict JSON into an arena (see json_tree.h).
 *
 * Acceptance must match policies/json.c's scanner byte for byte, and the
 * tree must match what cJSON 1.7 builds from the same text, because the
 * adapters were written and tested against those two: the rules below
 * mirror json.c's scan (same order of checks is not needed, only the same
 * verdict) and cJSON's parse_* (valueint of numbers saturated to int,
 * valueint 1 for true, a list's first child's prev pointing at its last).
 *
 * Speed comes from three things: nodes and strings are bumped from the
 * arena (one allocation for every string of the text: decoded strings
 * plus their NULs never exceed the text's length), strings are copied 16
 * bytes at a time while no quote, backslash, control or non-ASCII byte is
 * in sight, and duplicate keys are looked for per object as it closes.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "filters/limits.h"
#include "policies/json.h"
#include "policies/json_tree.h"

#define NUMBER_MAX 63 /* as json.c: cJSON's number buffer */
#define SLAB 32       /* nodes taken from the arena at once */

struct jp {
    const unsigned char *s;
    size_t n, i;
    struct bw_arena *a;
    char *sp;     /* next free byte of the string space */
    cJSON *slab;  /* unused nodes */
    size_t nslab;
    int rv;       /* first failure: BW_EINVAL, BW_ELIMIT, BW_ENOMEM */
};

static int bad(struct jp *p)
{
    if (p->rv == 0)
        p->rv = BW_EINVAL;
    return -1;
}

/* The arena said no: its cap (413) or malloc (500)? */
static int nomem(struct jp *p, size_t n)
{
    const struct bw_arena *a = p->a;
    size_t grow = 2 * a->total;

    if (grow < n)
        grow = n;
    if (grow < 16384)
        grow = 16384;
    /* the arena's next chunk is at most max(n, 16 KB, twice the last): only then can the cap be the reason */
    if (p->rv == 0)
        p->rv = a->max && a->total + grow > a->max ? BW_ELIMIT : BW_ENOMEM;
    return -1;
}

static cJSON *node(struct jp *p)
{
    cJSON *j;

    if (p->nslab == 0) {
        if ((p->slab = bw_arena_alloc(p->a, SLAB * sizeof(cJSON))) == NULL) {
            nomem(p, SLAB * sizeof(cJSON));
            return NULL;
        }
        p->nslab = SLAB;
    }
    j = p->slab++;
    p->nslab--;
    memset(j, 0, sizeof(*j));
    return j;
}

static void skip_ws(struct jp *p)
{
    while (p->i < p->n) {
        unsigned char c = p->s[p->i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            break;
        p->i++;
    }
}

static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static char *put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xc0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xe0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *d++ = (char)(0xf0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    }
    return d;
}

/* The string at p->i (its opening quote), decoded into the string space. */
static char *pstring(struct jp *p)
{
    const unsigned char *s = p->s;
    size_t i = p->i + 1, n = p->n;
    char *d = p->sp, *out = p->sp;

    for (;;) {
        unsigned char c;
#if defined(__SSE2__)
        /* 16 plain bytes at a time; the string space has 16 bytes to spare (see bw_json_tree_parse) */
        const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            /* signed compare: bytes >= 0x80 are negative, so "< 0x20" also catches non-ASCII */
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)), _mm_cmplt_epi8(v, sp));
            unsigned bits = (unsigned)_mm_movemask_epi8(m);
            _mm_storeu_si128((__m128i *)d, v);
            if (bits == 0) {
                d += 16;
                i += 16;
                continue;
            }
            bits = (unsigned)__builtin_ctz(bits);
            d += bits;
            i += bits;
            break;
        }
#endif
        if (i >= n)
            return bad(p), NULL;
        c = s[i];
        if (c == '"') {
            *d++ = '\0';
            p->sp = d;
            p->i = i + 1;
            return out;
        }
        if (c < 0x20)
            return bad(p), NULL;
        if (c < 0x80 && c != '\\') {
            *d++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = bw_json_utf8_seq(s + i, n - i);
            if (k == 0)
                return bad(p), NULL;
            memcpy(d, s + i, k);
            d += k;
            i += k;
            continue;
        }
        /* an escape */
        if (i + 1 >= n)
            return bad(p), NULL;
        switch (s[i + 1]) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            unsigned u, lo;
            if (i + 6 > n || bw_json_hex4(s + i + 2, &u) != 0 || u == 0 || (u >= 0xdc00 && u <= 0xdfff))
                return bad(p), NULL;
            if (u >= 0xd800 && u <= 0xdbff) {
                if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' || bw_json_hex4(s + i + 8, &lo) != 0 || lo < 0xdc00 ||
                    lo > 0xdfff)
                    return bad(p), NULL;
                u = 0x10000 + (((u & 0x3ff) << 10) | (lo & 0x3ff));
                i += 6;
            }
            d = put_utf8(d, u);
            i += 6;
            continue;
        }
        default: return bad(p), NULL;
        }
        i += 2;
    }
}

static int pnumber(struct jp *p, cJSON *j)
{
    const unsigned char *s = p->s;
    size_t n = p->n, start = p->i, i = p->i;
    int plain = 1;
    char buf[NUMBER_MAX + 1];
    double d;

    if (s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return bad(p);
    if (s[i] == '0' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
        return bad(p); /* leading zero */
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i < n && s[i] == '.') {
        plain = 0;
        if (++i >= n || s[i] < '0' || s[i] > '9')
            return bad(p);
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        plain = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return bad(p);
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i - start > NUMBER_MAX)
        return bad(p);
    if (plain && i - start <= 16) {
        /* up to 15 digits: exact in a double, the same value strtod gives */
        size_t k = start + (s[start] == '-');
        long long v = 0;
        if (i - k <= 15) {
            for (; k < i; k++)
                v = v * 10 + (s[k] - '0');
            d = s[start] == '-' ? -(double)v : (double)v; /* -0 stays -0.0, as strtod */
            goto set;
        }
    }
    memcpy(buf, s + start, i - start);
    buf[i - start] = '\0';
    d = strtod(buf, NULL);
set:
    j->type = cJSON_Number;
    j->valuedouble = d;
    if (d >= INT_MAX)
        j->valueint = INT_MAX;
    else if (d <= (double)INT_MIN)
        j->valueint = INT_MIN;
    else
        j->valueint = (int)d;
    p->i = i;
    return 0;
}

static int pvalue(struct jp *p, cJSON *j, int depth);

static int key_lt(const void *x, const void *y)
{
    const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;

    return strcmp(a->string, b->string);
}

/* Does obj (n members) hold two members with the same key? */
static int has_dup(struct jp *p, const cJSON *obj, size_t n)
{
    const cJSON *a, *b, **v;
    size_t i, k;

    if (n <= 32) { /* the usual object: quadratic beats sorting */
        for (a = obj->child->next, i = 1; a; a = a->next, i++)
            for (b = obj->child, k = 0; k < i; b = b->next, k++)
                if (a->string[0] == b->string[0] && strcmp(a->string, b->string) == 0)
                    return 1;
        return 0;
    }
    /* a scratch array from the arena: it goes with the tree */
    if ((v = bw_arena_alloc(p->a, n * sizeof(*v))) == NULL)
        return nomem(p, n * sizeof(*v)), -1;
    for (a = obj->child, i = 0; a; a = a->next)
        v[i++] = a;
    qsort(v, n, sizeof(*v), key_lt);
    for (i = 1; i < n; i++)
        if (strcmp(v[i]->string, v[i - 1]->string) == 0)
            return 1;
    return 0;
}

static int pobject(struct jp *p, cJSON *j, int depth)
{
    cJSON *last = NULL, *c;
    size_t n = 0;
    int d;

    j->type = cJSON_Object;
    p->i++; /* '{' */
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
        return 0;
    }
    for (;;) {
        char *key;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != '"')
            return bad(p);
        if ((key = pstring(p)) == NULL)
            return -1;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':')
            return bad(p);
        p->i++;
        if ((c = node(p)) == NULL)
            return -1;
        c->string = key;
        if (last) {
            last->next = c;
            c->prev = last;
        } else
            j->child = c;
        last = c;
        n++;
        if (pvalue(p, c, depth) != 0)
            return -1;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            break;
        }
        return bad(p);
    }
    j->child->prev = last;
    if (n > 1 && (d = has_dup(p, j, n)) != 0)
        return d > 0 ? bad(p) : -1;
    return 0;
}

static int parray(struct jp *p, cJSON *j, int depth)
{
    cJSON *last = NULL, *c;

    j->type = cJSON_Array;
    p->i++; /* '[' */
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        return 0;
    }
    for (;;) {
        if ((c = node(p)) == NULL)
            return -1;
        if (last) {
            last->next = c;
            c->prev = last;
        } else
            j->child = c;
        last = c;
        if (pvalue(p, c, depth) != 0)
            return -1;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == ']') {
            p->i++;
            break;
        }
        return bad(p);
    }
    j->child->prev = last;
    return 0;
}

static int word(struct jp *p, const char *w, size_t wl)
{
    if (p->n - p->i < wl || memcmp(p->s + p->i, w, wl) != 0 || (p->i + wl < p->n && is_word(p->s[p->i + wl])))
        return bad(p);
    p->i += wl;
    return 0;
}

/* depth: containers already open around this value (json.c's value()) */
static int pvalue(struct jp *p, cJSON *j, int depth)
{
    unsigned char c;

    skip_ws(p);
    if (p->i >= p->n)
        return bad(p);
    c = p->s[p->i];
    switch (c) {
    case '{':
    case '[':
        if (depth >= BW_MAX_JSON_DEPTH)
            return bad(p);
        return c == '{' ? pobject(p, j, depth + 1) : parray(p, j, depth + 1);
    case '"':
        j->type = cJSON_String;
        return (j->valuestring = pstring(p)) != NULL ? 0 : -1;
    case 't':
        j->type = cJSON_True;
        j->valueint = 1;
        return word(p, "true", 4);
    case 'f':
        j->type = cJSON_False;
        return word(p, "false", 5);
    case 'n':
        j->type = cJSON_NULL;
        return word(p, "null", 4);
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return pnumber(p, j);
        return bad(p);
    }
}

int bw_json_tree_parse(const char *text, size_t len, struct bw_arena *a, cJSON **out)
{
    struct jp p;
    cJSON *root;

    *out = NULL;
    if (len > BW_MAX_CONFIG_BYTES)
        return BW_EINVAL;
    memset(&p, 0, sizeof(p));
    p.s = (const unsigned char *)text;
    p.n = len;
    p.a = a;
    if (len >= 3 && p.s[0] == 0xef && p.s[1] == 0xbb && p.s[2] == 0xbf)
        p.i = 3;
    /* every decoded string and its NUL fit in the text's length; 16 more for the wide copy */
    if ((p.sp = bw_arena_alloc(a, len + 16)) == NULL)
        return nomem(&p, len + 16), p.rv;
    if ((root = node(&p)) == NULL)
        return p.rv;
    if (pvalue(&p, root, 0) != 0)
        return p.rv ? p.rv : BW_EINVAL;
    skip_ws(&p);
    if (p.i != p.n)
        return BW_EINVAL;
    *out = root;
    return BW_OK;
}
