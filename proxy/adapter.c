/*
 * adapter.c: API detection, dispatch to the per-API adapters, and what they
 * share: the strict JSON check, the block builder (Bedrock input tags), and
 * the splicer that writes a body back with only the changed bytes changed.
 *
 * Why splice instead of cJSON_Print: re-printing a body turns integers over
 * 2^53 into floats (an OpenAI "seed" stops being an integer), writes 1e400
 * as null, and reorders nothing but rewrites every number's spelling. The
 * splicer walks the original text alongside the parsed tree, finds the
 * byte spans of the nodes to change, and copies everything else verbatim.
 */
#include <ctype.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/limits.h"
#include "filters/errs.h"
#include "policies/json.h"
#include "policies/json_tree.h"
#include "proxy/adapt_int.h"
#include "proxy/stream_api.h"

/* ------------------------------------------------------------------ */
/* detection and names                                                 */

static int ends_with(const char *p, size_t n, const char *suf)
{
    size_t m = strlen(suf);
    return n >= m && memcmp(p + n - m, suf, m) == 0;
}

int bw_api_detect(const char *method, const char *path, size_t n)
{
    const char *q, *m, *op;
    size_t i;

    if (method == NULL || strcmp(method, "POST") != 0 || path == NULL)
        return BW_API_NONE;
    if ((q = memchr(path, '?', n)) != NULL)
        n = (size_t)(q - path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    /* Bedrock runtime: .../model/{id}/{op}; the id never holds a raw '/' (ARNs come %2F-encoded) */
    for (i = n; i >= 7; i--) {
        m = path + i - 7;
        if (memcmp(m, "/model/", 7) == 0) {
            const char *id = m + 7, *end = path + n;
            if ((op = memchr(id, '/', (size_t)(end - id))) == NULL || op == id)
                break;
            op++;
            if ((size_t)(end - op) == 6 && memcmp(op, "invoke", 6) == 0)
                return BW_API_BEDROCK_INVOKE;
            if ((size_t)(end - op) == 27 && memcmp(op, "invoke-with-response-stream", 27) == 0)
                return BW_API_BEDROCK_INVOKE;
            if ((size_t)(end - op) == 8 && memcmp(op, "converse", 8) == 0)
                return BW_API_BEDROCK_CONVERSE;
            if ((size_t)(end - op) == 15 && memcmp(op, "converse-stream", 15) == 0)
                return BW_API_BEDROCK_CONVERSE;
            break;
        }
    }
    if (ends_with(path, n, "/apply")) {
        const char *g = NULL;
        for (i = 0; i + 11 <= n; i++)
            if (memcmp(path + i, "/guardrail/", 11) == 0)
                g = path + i;
        if (g && memmem(g, (size_t)(path + n - g), "/version/", 9))
            return BW_API_APPLY;
    }
    if (ends_with(path, n, "/chat/completions"))
        return BW_API_OPENAI_CHAT;
    if (ends_with(path, n, "/completions"))
        return BW_API_OPENAI_COMPLETIONS;
    if (ends_with(path, n, "/responses"))
        return BW_API_OPENAI_RESPONSES;
    if (ends_with(path, n, "/messages"))
        return BW_API_ANTHROPIC;
    return BW_API_NONE;
}

static const char *const api_names[BW_API__N] = {
    [BW_API_NONE] = "none",
    [BW_API_OPENAI_CHAT] = "openai-chat",
    [BW_API_OPENAI_COMPLETIONS] = "openai-completions",
    [BW_API_OPENAI_RESPONSES] = "openai-responses",
    [BW_API_ANTHROPIC] = "anthropic",
    [BW_API_BEDROCK_INVOKE] = "bedrock-invoke",
    [BW_API_BEDROCK_CONVERSE] = "bedrock-converse",
    [BW_API_GENERIC] = "generic",
    [BW_API_APPLY] = "bedrock-apply",
};

const char *bw_api_name(int api)
{
    return api > 0 && api < BW_API__N ? api_names[api] : "none";
}

int bw_api_family_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    if (strcmp(name, "openai") == 0)
        return BW_FAM_OPENAI;
    if (strcmp(name, "anthropic") == 0)
        return BW_FAM_ANTHROPIC;
    if (strcmp(name, "bedrock") == 0)
        return BW_FAM_BEDROCK;
    if (strcmp(name, "generic") == 0)
        return BW_FAM_GENERIC;
    return -1;
}

int bw_api_family(int api)
{
    switch (api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_OPENAI_COMPLETIONS:
    case BW_API_OPENAI_RESPONSES: return BW_FAM_OPENAI;
    case BW_API_ANTHROPIC: return BW_FAM_ANTHROPIC;
    case BW_API_BEDROCK_INVOKE:
    case BW_API_BEDROCK_CONVERSE: return BW_FAM_BEDROCK;
    case BW_API_GENERIC: return BW_FAM_GENERIC;
    default: return -1;
    }
}

int bw_api_stream_is_evs(int api)
{
    return api == BW_API_BEDROCK_INVOKE || api == BW_API_BEDROCK_CONVERSE;
}

const char *bw_api_stream_ctype(int api)
{
    return bw_api_stream_is_evs(api) ? "application/vnd.amazon.eventstream" : "text/event-stream";
}

static const struct bw_adapter_ops *ops_of(int api)
{
    switch (api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_OPENAI_COMPLETIONS:
    case BW_API_OPENAI_RESPONSES: return &bw_adapter_openai_ops;
    case BW_API_ANTHROPIC: return &bw_adapter_anthropic_ops;
    case BW_API_BEDROCK_INVOKE: return &bw_adapter_invoke_ops;
    case BW_API_BEDROCK_CONVERSE: return &bw_adapter_converse_ops;
    case BW_API_GENERIC: return &bw_adapter_generic_ops;
    default: return NULL;
    }
}

/* ------------------------------------------------------------------ */
/* strict JSON                                                         */

/*
 * Bodies are parsed once, strictly, into the request's arena
 * (policies/json_tree.h): duplicate keys (cJSON keeps the first copy, most
 * servers the last, so guard and model could read different messages),
 * \u0000 (it would cut the string the guard reads), invalid UTF-8, deep
 * nesting and trailing bytes are all refused with a 400. Only a refused
 * body goes through the configuration loader's scanner (policies/json.h),
 * for the message that says what is wrong and where.
 */
int bw_px_json_parse(const char *body, size_t len, struct bw_arena *a, cJSON **root, char *err, size_t errlen)
{
    struct bw_errs e;
    cJSON *j = NULL;
    int rv;

    rv = bw_json_tree_parse(body, len, a, root);
    if (rv == 0 || rv == BW_ENOMEM)
        return rv;
    if (rv == BW_ELIMIT) {
        snprintf(err, errlen, "the JSON body needs more memory than allowed for one request (%zu bytes)", a->max);
        return BW_ELIMIT;
    }
    bw_errs_init(&e, "body");
    rv = bw_json_parse(body, len, &j, &e);
    cJSON_Delete(j);
    if (rv == BW_ENOMEM) {
        bw_errs_free(&e);
        return BW_ENOMEM;
    }
    /* the two parsers disagreeing would be a bug (tests/fuzz/fuzz_json_tree.c): still refused */
    if (BW_NEVER(rv == 0))
        rv = BW_EINVAL;
    snprintf(err, errlen, "malformed JSON: %s", e.n ? e.msg[0] : "not accepted");
    bw_errs_free(&e);
    return BW_EINVAL;
}

/* ------------------------------------------------------------------ */
/* splicing                                                            */

struct span {
    size_t start, end;
    const char *text;
    size_t len;
    int esc;  /* write text as a JSON string literal */
    int del;  /* a deletion (may overlap other deletions) */
    size_t seq;
};

struct pmap {
    const void **keys;
    size_t *first; /* first edit of the key */
    size_t cap;
};

struct sp {
    const char *raw;
    size_t n, i;
    const struct bw_edit *e;
    size_t ne;
    size_t *next; /* next edit of the same node, or (size_t)-1 */
    struct pmap map;
    struct span *sp;
    size_t nsp, capsp;
    int rv;
};

static size_t phash(const void *p, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)p;

    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static size_t pmap_get(const struct pmap *m, const void *k)
{
    size_t i = phash(k, m->cap);

    while (m->keys[i]) {
        if (m->keys[i] == k)
            return m->first[i];
        i = (i + 1) & (m->cap - 1);
    }
    return (size_t)-1;
}

static int add_span(struct sp *s, size_t start, size_t end, const char *text, size_t len, int esc, int del)
{
    if (s->nsp == s->capsp) {
        size_t nc = s->capsp ? s->capsp * 2 : 16;
        struct span *p = realloc(s->sp, nc * sizeof(*p));
        if (p == NULL)
            return BW_ENOMEM;
        s->sp = p;
        s->capsp = nc;
    }
    s->sp[s->nsp] = (struct span){start, end, text, len, esc, del, s->nsp};
    s->nsp++;
    return 0;
}

static void sp_ws(struct sp *s)
{
    while (s->i < s->n && (s->raw[s->i] == ' ' || s->raw[s->i] == '\t' || s->raw[s->i] == '\n' || s->raw[s->i] == '\r'))
        s->i++;
}

static void sp_skip_string(struct sp *s)
{
    s->i++;
    /* plain runs 16 bytes a step: a prompt is one long string */
    while (s->i < s->n && (s->i += bw_json_plain(s->raw + s->i, s->n - s->i, 0)) < s->n && s->raw[s->i] != '"')
        s->i += 2; /* an escape: the backslash and the byte it escapes */
    s->i++;
}

static int has_kind(const struct sp *s, const cJSON *node, int kind)
{
    size_t k;

    for (k = pmap_get(&s->map, node); k != (size_t)-1; k = s->next[k])
        if (s->e[k].kind == kind)
            return 1;
    return 0;
}

static int sp_value(struct sp *s, const cJSON *node)
{
    size_t start, k, close = 0, remaining = 0;
    int rv;

    sp_ws(s);
    start = s->i;
    if (s->i >= s->n)
        return BW_EINVAL;
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        const cJSON *c;
        size_t cnt = 0, ndel = 0, j;
        size_t *ks = NULL, *ve = NULL;
        unsigned char *del = NULL;
        int obj = cJSON_IsObject(node);

        for (c = node->child; c; c = c->next) {
            cnt++;
            if (obj && has_kind(s, c, BW_ED_DEL))
                ndel++;
        }
        if (ndel) {
            ks = malloc(cnt * sizeof(*ks));
            ve = malloc(cnt * sizeof(*ve));
            del = malloc(cnt);
            if (!ks || !ve || !del) {
                free(ks), free(ve), free(del);
                return BW_ENOMEM;
            }
        }
        s->i++; /* { or [ */
        for (c = node->child, j = 0; c; c = c->next, j++) {
            sp_ws(s);
            if (ndel) {
                ks[j] = s->i;
                del[j] = (unsigned char)has_kind(s, c, BW_ED_DEL);
            }
            if (obj) {
                sp_skip_string(s);
                sp_ws(s);
                s->i++; /* : */
            }
            if ((rv = sp_value(s, c)) != 0) {
                free(ks), free(ve), free(del);
                return rv;
            }
            if (ndel)
                ve[j] = s->i;
            sp_ws(s);
            if (s->i < s->n && s->raw[s->i] == ',')
                s->i++;
        }
        sp_ws(s);
        close = s->i;
        s->i++; /* } or ] */
        remaining = cnt - ndel;
        /* a deleted member takes the comma after it, or the last kept one's before it */
        for (j = 0; ndel && j < cnt; j++) {
            size_t a, b, p, q;
            int later = 0, earlier = 0;

            if (!del[j])
                continue;
            for (q = j + 1; q < cnt; q++)
                if (!del[q])
                    later = 1;
            for (p = j; p > 0; p--)
                if (!del[p - 1]) {
                    earlier = 1;
                    break;
                }
            if (later || !earlier) {
                a = ks[j];
                b = j + 1 < cnt ? ks[j + 1] : ve[j];
            } else {
                a = ve[p - 1];
                b = ve[j];
            }
            if ((rv = add_span(s, a, b, "", 0, 0, 1)) != 0) {
                free(ks), free(ve), free(del);
                return rv;
            }
        }
        free(ks), free(ve), free(del);
    } else if (cJSON_IsString(node)) {
        sp_skip_string(s);
    } else {
        while (s->i < s->n && !strchr(",]} \t\r\n", s->raw[s->i]))
            s->i++;
    }
    for (k = pmap_get(&s->map, node); k != (size_t)-1; k = s->next[k]) {
        const struct bw_edit *e = &s->e[k];

        switch (e->kind) {
        case BW_ED_STR: rv = add_span(s, start, s->i, e->text, e->len, 1, 0); break;
        case BW_ED_RAW: rv = add_span(s, start, s->i, e->text, e->len, 0, 0); break;
        case BW_ED_INS:
            if (!cJSON_IsObject(node))
                return BW_EINVAL;
            if (remaining++ > 0 && (rv = add_span(s, close, close, ",", 1, 0, 0)) != 0)
                return rv;
            rv = add_span(s, close, close, e->text, e->len, 0, 0);
            break;
        default: rv = 0; break; /* DEL: done by the parent */
        }
        if (rv != 0)
            return rv;
    }
    return 0;
}

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int bw_json_splice(const char *raw, size_t len, const cJSON *root, const struct bw_edit *e, size_t n,
                   struct bw_buf *out)
{
    struct sp s;
    size_t i, at = 0;
    int rv;

    if (n == 0)
        return bw_buf_add(out, raw, len);
    memset(&s, 0, sizeof(s));
    s.raw = raw;
    s.n = len;
    s.e = e;
    s.ne = n;
    for (s.map.cap = 16; s.map.cap < 2 * n; s.map.cap *= 2)
        ;
    s.map.keys = calloc(s.map.cap, sizeof(*s.map.keys));
    s.map.first = calloc(s.map.cap, sizeof(*s.map.first));
    s.next = malloc(n * sizeof(*s.next));
    if (!s.map.keys || !s.map.first || !s.next) {
        rv = BW_ENOMEM;
        goto out;
    }
    /* insert in reverse so each chain lists a node's edits in the order given */
    for (i = n; i-- > 0;) {
        size_t h = phash(e[i].node, s.map.cap);

        while (s.map.keys[h] && s.map.keys[h] != e[i].node)
            h = (h + 1) & (s.map.cap - 1);
        s.next[i] = s.map.keys[h] ? s.map.first[h] : (size_t)-1;
        s.map.keys[h] = e[i].node;
        s.map.first[h] = i;
    }
    if ((rv = sp_value(&s, root)) != 0)
        goto out;
    if (s.nsp > 1)
        qsort(s.sp, s.nsp, sizeof(*s.sp), span_cmp);
    for (i = 0; i < s.nsp; i++) {
        struct span *p = &s.sp[i];

        if (p->start < at) {
            /* overlapping deletions of members of one object merge */
            if (!p->del || !s.sp[i - 1].del || BW_NEVER(p->start < s.sp[i - 1].start)) {
                rv = BW_EINVAL;
                goto out;
            }
            if (p->end > at) {
                at = p->end;
            }
            continue;
        }
        if ((rv = bw_buf_add(out, raw + at, p->start - at)) != 0)
            goto out;
        if (p->esc) {
            if ((rv = bw_buf_addc(out, '"')) != 0 || (rv = bw_buf_json_str(out, p->text, p->len)) != 0 ||
                (rv = bw_buf_addc(out, '"')) != 0)
                goto out;
        } else if ((rv = bw_buf_add(out, p->text, p->len)) != 0) {
            goto out;
        }
        at = p->end;
    }
    rv = bw_buf_add(out, raw + at, len - at);
out:
    free(s.map.keys);
    free(s.map.first);
    free(s.next);
    free(s.sp);
    return rv;
}

int bw_ed_add(struct bw_arena *a, struct bw_edits *ed, int kind, cJSON *node, const char *text, size_t len)
{
    if (ed->n == ed->cap) {
        size_t nc = ed->cap ? ed->cap * 2 : 8;
        struct bw_edit *v = bw_arena_alloc(a, nc * sizeof(*v));

        if (v == NULL)
            return BW_ENOMEM;
        if (ed->n)
            memcpy(v, ed->v, ed->n * sizeof(*v));
        ed->v = v;
        ed->cap = nc;
    }
    ed->v[ed->n] = (struct bw_edit){kind, node, NULL, text, len, 0};
    ed->n++;
    return 0;
}

int bw_ed_ins(struct bw_arena *a, struct bw_edits *ed, cJSON *obj, const char *key, const char *json, size_t jlen)
{
    struct bw_buf b;
    char *t;
    int rv;

    bw_buf_init(&b, 0);
    if ((rv = bw_buf_jstr(&b, key)) != 0 || (rv = bw_buf_addc(&b, ':')) != 0 ||
        (rv = bw_buf_add(&b, json, jlen)) != 0) {
        bw_buf_free(&b);
        return rv;
    }
    t = bw_arena_strndup(a, b.base, b.len);
    rv = t ? bw_ed_add(a, ed, BW_ED_INS, obj, t, b.len) : BW_ENOMEM;
    bw_buf_free(&b);
    return rv;
}

cJSON *bw_jget(const cJSON *obj, const char *key)
{
    const cJSON *c;

    /* cJSON_GetObjectItemCaseSensitive's walk, inline and with a first-byte check: ~45 lookups per exchange */
    if (obj == NULL || (obj->type & 0xff) != cJSON_Object || key == NULL)
        return NULL;
    for (c = obj->child; c != NULL && c->string != NULL; c = c->next)
        if (c->string[0] == key[0] && strcmp(c->string, key) == 0)
            return (cJSON *)c;
    return NULL;
}

const char *bw_jstr(const cJSON *obj, const char *key)
{
    const cJSON *n = bw_jget(obj, key);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

char *bw_jprint(struct bw_arena *a, const cJSON *n, size_t *len)
{
    char *p = cJSON_PrintUnformatted(n), *q;

    if (p == NULL)
        return NULL;
    q = bw_arena_strndup(a, p, strlen(p));
    if (len)
        *len = strlen(p);
    cJSON_free(p);
    return q;
}

/* ------------------------------------------------------------------ */
/* blocks                                                              */

int bw_actx_fail(struct bw_actx *c, const char *fmt, ...)
{
    va_list ap;

    if (c->err && c->errlen) {
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return BW_EINVAL;
}

static int push(struct bw_actx *c, cJSON *node, size_t off, size_t len, unsigned quals)
{
    if (len == 0)
        return 0;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        struct bw_block *b;
        struct bw_src *s;

        if (c->n >= BW_MAX_BLOCKS)
            return bw_actx_fail(c, "more than %d texts to guard in one body", BW_MAX_BLOCKS);
        b = bw_arena_alloc(c->a, nc * sizeof(*b));
        s = bw_arena_alloc(c->a, nc * sizeof(*s));
        if (!b || !s)
            return BW_ENOMEM;
        if (c->n) {
            memcpy(b, c->b, c->n * sizeof(*b));
            memcpy(s, c->s, c->n * sizeof(*s));
        }
        c->b = b;
        c->s = s;
        c->cap = nc;
    }
    c->b[c->n].text = node->valuestring + off;
    c->b[c->n].len = len;
    c->b[c->n].quals = quals;
    c->s[c->n].node = node;
    c->s[c->n].off = off;
    c->s[c->n].len = len;
    c->n++;
    return 0;
}

static const struct {
    const char *name;
    size_t len;
    unsigned qual;
} tag_kinds[] = {
    {"guardContent", 12, BW_QUAL_GUARD},
    {"groundingSource", 15, BW_QUAL_GROUNDING},
    {"query", 5, BW_QUAL_QUERY},
};

#define TAG_PREFIX "amazon-bedrock-guardrails-"
#define TAG_PREFIX_LEN 26

/*
 * At s[k] (just after the prefix) a tag name "_<suffix>>" with our suffix?
 * Returns the kind index and sets *end past '>', or -1.
 */
static int tag_at(const char *s, size_t n, size_t k, const char *sfx, size_t *end)
{
    size_t sl = strlen(sfx), t;

    for (t = 0; t < BW_NELEMS(tag_kinds); t++) {
        size_t m = tag_kinds[t].len;
        if (n - k >= m + 2 + sl && memcmp(s + k, tag_kinds[t].name, m) == 0 && s[k + m] == '_' &&
            memcmp(s + k + m + 1, sfx, sl) == 0 && s[k + m + 1 + sl] == '>') {
            *end = k + m + 2 + sl;
            return (int)t;
        }
    }
    return -1;
}

int bw_actx_str(struct bw_actx *c, cJSON *node, unsigned quals)
{
    const char *s, *hit;
    size_t n, pos = 0, cur = 0;
    int open = -1, rv;

    if (!cJSON_IsString(node) || node->valuestring == NULL)
        return 0;
    s = node->valuestring;
    n = strlen(s);
    if (c->tag_suffix == NULL)
        return push(c, node, 0, n, quals);
    while ((hit = memmem(s + pos, n - pos, TAG_PREFIX, TAG_PREFIX_LEN)) != NULL) {
        size_t k = (size_t)(hit - s), start, end;
        int closing, t;

        pos = k + TAG_PREFIX_LEN;
        if (k >= 2 && s[k - 2] == '<' && s[k - 1] == '/') {
            closing = 1;
            start = k - 2;
        } else if (k >= 1 && s[k - 1] == '<') {
            closing = 0;
            start = k - 1;
        } else {
            continue;
        }
        if ((t = tag_at(s, n, pos, c->tag_suffix, &end)) < 0)
            continue; /* another suffix, or not a tag: plain text */
        if (!closing) {
            if (open >= 0)
                return bw_actx_fail(c, "input tags cannot be nested: <" TAG_PREFIX "%s_%s> inside <" TAG_PREFIX
                                       "%s_%s>",
                                    tag_kinds[t].name, c->tag_suffix, tag_kinds[open].name, c->tag_suffix);
            if ((rv = push(c, node, cur, start - cur, quals)) != 0)
                return rv;
            open = t;
        } else {
            if (open != t)
                return bw_actx_fail(c, "closing input tag </" TAG_PREFIX "%s_%s> without its opening tag",
                                    tag_kinds[t].name, c->tag_suffix);
            if ((rv = push(c, node, cur, start - cur, tag_kinds[t].qual)) != 0)
                return rv;
            open = -1;
        }
        if ((rv = bw_ed_add(c->a, c->ed, BW_ED_CUT, node, NULL, end - start)) != 0)
            return rv;
        c->ed->v[c->ed->n - 1].off = start;
        c->ntags++;
        cur = pos = end;
    }
    if (open >= 0)
        return bw_actx_fail(c, "input tag <" TAG_PREFIX "%s_%s> is not closed in the same text",
                            tag_kinds[open].name, c->tag_suffix);
    return push(c, node, cur, n - cur, quals);
}

int bw_actx_leaves(struct bw_actx *c, cJSON *node, unsigned quals, int depth)
{
    cJSON *ch;
    int rv;

    if (node == NULL || depth > BW_MAX_JSON_DEPTH)
        return 0;
    if (cJSON_IsString(node))
        return bw_actx_str(c, node, quals);
    if (cJSON_IsObject(node) || cJSON_IsArray(node))
        for (ch = node->child; ch; ch = ch->next)
            if ((rv = bw_actx_leaves(c, ch, quals, depth + 1)) != 0)
                return rv;
    return 0;
}

int bw_actx_opt_str(struct bw_actx *c, cJSON *node, unsigned quals, const char *what)
{
    if (node == NULL || cJSON_IsNull(node))
        return 0;
    if (!cJSON_IsString(node))
        return bw_actx_fail(c, "%s: expected a string", what);
    return bw_actx_str(c, node, quals);
}

int bw_last_turn_start(const struct bw_actx *c, const cJSON *msgs, const char *role_key, const char *assistant)
{
    const cJSON *m;
    int i = 0, start = 0;

    if (c->o == NULL || !(c->o->flags & BW_ADAPT_LAST_TURN) || !cJSON_IsArray(msgs))
        return 0;
    for (m = msgs->child; m; m = m->next, i++) {
        const char *r = bw_jstr(m, role_key);
        if (r && strcmp(r, assistant) == 0)
            start = i + 1;
    }
    return start;
}

/* ------------------------------------------------------------------ */
/* helpers for rendering                                               */

const struct bw_iov *bw_hdr_get(const struct bw_hdr *h, size_t nh, const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < nh; i++)
        if (h[i].name.len == n && strncasecmp(h[i].name.base, name, n) == 0)
            return &h[i].value;
    return NULL;
}

int bw_rand_id(struct bw_buf *out, const char *prefix)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[12];
    char s[25];
    size_t i;
    int rv;

    if (RAND_bytes(r, sizeof(r)) != 1) {
        /* ids need not be secret, only unlikely to repeat */
        uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out;
        for (i = 0; i < sizeof(r); i++)
            r[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)(i * 37);
    }
    for (i = 0; i < sizeof(r); i++) {
        s[2 * i] = hex[r[i] >> 4];
        s[2 * i + 1] = hex[r[i] & 15];
    }
    s[24] = 0;
    if ((rv = bw_buf_adds(out, prefix)) != 0)
        return rv;
    return bw_buf_add(out, s, 24);
}

char *bw_rand_id_arena(struct bw_arena *a, const char *prefix)
{
    struct bw_buf b;
    char *p = NULL;

    bw_buf_init(&b, 0);
    if (bw_rand_id(&b, prefix) == 0)
        p = bw_arena_strndup(a, b.base, b.len);
    bw_buf_free(&b);
    return p;
}

int bw_buf_jstr(struct bw_buf *b, const char *s)
{
    int rv;

    if (s == NULL)
        return bw_buf_add(b, "null", 4);
    if ((rv = bw_buf_addc(b, '"')) != 0 || (rv = bw_buf_json_str(b, s, strlen(s))) != 0)
        return rv;
    return bw_buf_addc(b, '"');
}

int bw_buf_jraw(struct bw_buf *b, const char *json)
{
    return json ? bw_buf_adds(b, json) : bw_buf_add(b, "null", 4);
}

static const char *trace_id(const struct bw_trace *tr)
{
    return tr->gr_id ? tr->gr_id : "bulwark";
}

int bw_trace_bulwark(const struct bw_trace *tr, struct bw_buf *out)
{
    int rv = bw_buf_printf(out, "{\"action\":\"%s\"", tr->intervened ? "INTERVENED" : "NONE");

    if (rv == 0 && tr->action_reason)
        rv = bw_buf_adds(out, ",\"actionReason\":") || bw_buf_jstr(out, tr->action_reason);
    if (rv == 0)
        rv = bw_buf_adds(out, ",\"guardrailId\":") || bw_buf_jstr(out, trace_id(tr));
    if (rv == 0)
        rv = bw_buf_adds(out, ",\"input\":") || bw_buf_jraw(out, tr->input_json);
    if (rv == 0)
        rv = bw_buf_adds(out, ",\"output\":") || bw_buf_jraw(out, tr->output_json);
    if (rv == 0)
        rv = bw_buf_addc(out, '}');
    return rv ? BW_ENOMEM : 0;
}

static int model_output(const struct bw_trace *tr, struct bw_buf *out, int *first)
{
    int rv = 0;

    if (tr->model_output) {
        rv = bw_buf_adds(out, *first ? "\"modelOutput\":[" : ",\"modelOutput\":[") ||
             bw_buf_jstr(out, tr->model_output) || bw_buf_addc(out, ']');
        *first = 0;
    }
    if (rv == 0 && tr->action_reason) {
        rv = bw_buf_adds(out, *first ? "\"actionReason\":" : ",\"actionReason\":") ||
             bw_buf_jstr(out, tr->action_reason);
        *first = 0;
    }
    return rv;
}

int bw_trace_converse(const struct bw_trace *tr, struct bw_buf *out)
{
    int first = 1, rv;

    rv = bw_buf_addc(out, '{') || model_output(tr, out, &first);
    if (rv == 0 && tr->input_json) {
        rv = bw_buf_adds(out, first ? "\"inputAssessment\":{" : ",\"inputAssessment\":{") ||
             bw_buf_jstr(out, trace_id(tr)) || bw_buf_addc(out, ':') || bw_buf_adds(out, tr->input_json) ||
             bw_buf_addc(out, '}');
        first = 0;
    }
    if (rv == 0 && tr->output_json) {
        rv = bw_buf_adds(out, first ? "\"outputAssessments\":{" : ",\"outputAssessments\":{") ||
             bw_buf_jstr(out, trace_id(tr)) || bw_buf_adds(out, ":[") || bw_buf_adds(out, tr->output_json) ||
             bw_buf_adds(out, "]}");
        first = 0;
    }
    if (rv == 0)
        rv = bw_buf_addc(out, '}');
    return rv ? BW_ENOMEM : 0;
}

int bw_trace_invoke(const struct bw_trace *tr, struct bw_buf *out)
{
    int first = 1, rv;

    rv = bw_buf_adds(out, "{\"guardrail\":{") || model_output(tr, out, &first);
    if (rv == 0) {
        rv = bw_buf_adds(out, first ? "\"input\":{" : ",\"input\":{");
        if (rv == 0 && tr->input_json)
            rv = bw_buf_jstr(out, trace_id(tr)) || bw_buf_addc(out, ':') || bw_buf_adds(out, tr->input_json);
        rv = rv || bw_buf_adds(out, "},\"outputs\":[");
        if (rv == 0 && tr->output_json)
            rv = bw_buf_addc(out, '{') || bw_buf_jstr(out, trace_id(tr)) || bw_buf_addc(out, ':') ||
                 bw_buf_adds(out, tr->output_json) || bw_buf_addc(out, '}');
        rv = rv || bw_buf_adds(out, "]}}");
    }
    return rv ? BW_ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* the interface                                                       */

static int trace_mode(const char *v, size_t n)
{
    if (n == 7 && strncasecmp(v, "enabled", 7) == 0)
        return BW_TRACE_ON;
    if (n == 12 && strncasecmp(v, "enabled_full", 12) == 0)
        return BW_TRACE_FULL;
    if (n == 8 && strncasecmp(v, "disabled", 8) == 0)
        return BW_TRACE_OFF;
    return -1;
}

int bw_adapter_parse_request(int api, const char *path, const struct bw_adapter_opts *o, const struct bw_hdr *h,
                             size_t nh, const char *body, size_t len, struct bw_arena *a, struct bw_areq *rq,
                             char *err, size_t errlen)
{
    const struct bw_adapter_ops *ops = ops_of(api);
    struct bw_actx c;
    const struct bw_iov *tv;
    int rv;

    memset(rq, 0, sizeof(*rq));
    if (errlen)
        err[0] = 0;
    rq->api = api;
    rq->opts = o;
    rq->body = body;
    rq->body_len = len;
    rq->nchoices = 1;
    if (ops == NULL) {
        snprintf(err, errlen, "no adapter for API %s", bw_api_name(api));
        return BW_EINVAL;
    }
    if ((rq->ed = bw_arena_calloc(a, sizeof(*rq->ed))) == NULL)
        return BW_ENOMEM;
    memset(&c, 0, sizeof(c));
    c.rq = rq;
    c.o = o;
    c.h = h;
    c.nh = nh;
    c.path = path ? path : "";
    c.a = a;
    c.ed = rq->ed;
    c.err = err;
    c.errlen = errlen;
    if ((tv = bw_hdr_get(h, nh, "x-bulwark-trace")) != NULL) {
        int m = trace_mode(tv->base, tv->len);
        if (m < 0) {
            snprintf(err, errlen, "X-Bulwark-Trace: expected enabled, disabled or enabled_full");
            return BW_EINVAL;
        }
        rq->trace = m;
    }
    /* the generic API may take a non-JSON body whole */
    if (!(api == BW_API_GENERIC && (o == NULL || o->nin == 0))) {
        if ((rv = bw_px_json_parse(body, len, a, &rq->root, err, errlen)) != 0)
            return rv;
        if (!cJSON_IsObject(rq->root) && api != BW_API_GENERIC) {
            snprintf(err, errlen, "the request body must be a JSON object");
            rv = BW_EINVAL;
            goto fail;
        }
    }
    c.root = rq->root;
    if ((rv = ops->parse_req(&c)) != 0)
        goto fail;
    rq->blocks = c.b;
    rq->src = c.s;
    rq->nblocks = c.n;
    rq->has_tags = c.ntags > 0;
    return 0;
fail:
    rq->root = NULL; /* in the arena */
    rq->nblocks = 0;
    return rv;
}

void bw_areq_free(struct bw_areq *rq)
{
    if (rq)
        rq->root = NULL; /* the tree goes with the arena */
}

/* One change to a string: replace [off, off+len) with text. */
struct strop {
    cJSON *node;
    size_t off, len;
    const char *text;
    size_t tlen;
    size_t seq;
};

static int strop_cmp(const void *a, const void *b)
{
    const struct strop *x = a, *y = b;

    if (x->node != y->node)
        return (uintptr_t)x->node < (uintptr_t)y->node ? -1 : 1;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Applies string changes (masks, input tags) and wrapper edits, and splices
 * the body. a holds the new strings.
 */
static int rebuild(const char *body, size_t len, const cJSON *root, const struct bw_src *src, size_t nsrc,
                   const struct bw_iov *masked, const struct bw_edits *ed, struct bw_arena *a, struct bw_buf *out)
{
    struct strop *ops;
    struct bw_edits fin;
    size_t nops = 0, i, j, k;
    int rv = 0;

    memset(&fin, 0, sizeof(fin));
    ops = malloc((nsrc + (ed ? ed->n : 0) + 1) * sizeof(*ops));
    if (ops == NULL)
        return BW_ENOMEM;
    for (i = 0; masked && i < nsrc; i++)
        if (masked[i].base && src[i].node)
        {
            ops[nops] = (struct strop){src[i].node, src[i].off, src[i].len, masked[i].base, masked[i].len, nops};
            nops++;
        }
    for (i = 0; ed && i < ed->n; i++)
        if (ed->v[i].kind == BW_ED_CUT)
        {
            ops[nops] = (struct strop){ed->v[i].node, ed->v[i].off, ed->v[i].len, "", 0, nops};
            nops++;
        }
    qsort(ops, nops, sizeof(*ops), strop_cmp);
    for (i = 0; i < nops; i = j) {
        const char *s = ops[i].node->valuestring;
        size_t slen = strlen(s), at = 0;
        struct bw_buf nb;
        char *t;

        bw_buf_init(&nb, 0);
        for (j = i; j < nops && ops[j].node == ops[i].node; j++) {
            if (ops[j].off < at || ops[j].off + ops[j].len > slen) {
                rv = BW_EINVAL; /* overlapping slices: a caller bug */
                break;
            }
            if ((rv = bw_buf_add(&nb, s + at, ops[j].off - at)) != 0 ||
                (rv = bw_buf_add(&nb, ops[j].text, ops[j].tlen)) != 0)
                break;
            at = ops[j].off + ops[j].len;
        }
        if (rv == 0)
            rv = bw_buf_add(&nb, s + at, slen - at);
        t = rv == 0 ? bw_arena_strndup(a, nb.base ? nb.base : "", nb.len) : NULL;
        if (rv == 0 && t == NULL)
            rv = BW_ENOMEM;
        if (rv == 0) {
            /* a string inside a Converse guardContent wrapper is written by the unwrap */
            int wrapped = 0;
            for (k = 0; ed && k < ed->n; k++)
                if (ed->v[k].kind == BW_ED_UNWRAP && ed->v[k].inner == ops[i].node) {
                    ed->v[k].text = t;
                    ed->v[k].len = nb.len;
                    wrapped = 1;
                }
            if (!wrapped)
                rv = bw_ed_add(a, &fin, BW_ED_STR, ops[i].node, t, nb.len);
        }
        bw_buf_free(&nb);
        if (rv != 0)
            goto out;
    }
    for (k = 0; ed && k < ed->n; k++) {
        const struct bw_edit *e = &ed->v[k];

        if (e->kind == BW_ED_CUT)
            continue;
        if (e->kind == BW_ED_UNWRAP) {
            struct bw_buf nb;
            const char *txt = e->text ? e->text : e->inner->valuestring;
            size_t tl = e->text ? e->len : strlen(e->inner->valuestring);
            char *t;

            bw_buf_init(&nb, 0);
            rv = bw_buf_adds(&nb, "{\"text\":\"") || bw_buf_json_str(&nb, txt, tl) || bw_buf_adds(&nb, "\"}");
            t = rv == 0 ? bw_arena_strndup(a, nb.base, nb.len) : NULL;
            rv = t ? bw_ed_add(a, &fin, BW_ED_RAW, e->node, t, nb.len) : BW_ENOMEM;
            bw_buf_free(&nb);
        } else {
            rv = bw_ed_add(a, &fin, e->kind, e->node, e->text, e->len);
        }
        if (rv != 0)
            goto out;
    }
    rv = bw_json_splice(body, len, root, fin.v, fin.n, out);
out:
    /* unwrap texts pointed into a; forget them so a second call starts clean */
    for (k = 0; ed && k < ed->n; k++)
        if (ed->v[k].kind == BW_ED_UNWRAP) {
            ed->v[k].text = NULL;
            ed->v[k].len = 0;
        }
    free(ops);
    return rv;
}

int bw_adapter_request_changed(const struct bw_areq *rq, const struct bw_iov *masked)
{
    size_t i;

    if (rq->ed && rq->ed->n)
        return 1;
    for (i = 0; masked && i < rq->nblocks; i++)
        if (masked[i].base)
            return 1;
    return 0;
}

int bw_adapter_request_body(const struct bw_areq *rq, const struct bw_iov *masked, struct bw_buf *out)
{
    struct bw_arena a;
    int rv;

    if (rq->root == NULL) {
        /* generic raw body: one block, the whole body */
        if (masked && rq->nblocks == 1 && masked[0].base)
            return bw_buf_add(out, masked[0].base, masked[0].len);
        return bw_buf_add(out, rq->body, rq->body_len);
    }
    bw_arena_init(&a, 0);
    rv = rebuild(rq->body, rq->body_len, rq->root, rq->src, rq->nblocks, masked, rq->ed, &a, out);
    bw_arena_free(&a);
    return rv;
}

int bw_adapter_parse_response(const struct bw_areq *rq, const struct bw_adapter_opts *o, const char *body,
                              size_t len, struct bw_arena *a, struct bw_aresp *rs, char *err, size_t errlen)
{
    const struct bw_adapter_ops *ops = ops_of(rq->api);
    struct bw_actx c;
    size_t i, nctx = 0;
    int rv;

    memset(rs, 0, sizeof(*rs));
    rs->body = body;
    rs->body_len = len;
    if (errlen)
        err[0] = 0;
    if (ops == NULL) {
        snprintf(err, errlen, "no adapter for API %s", bw_api_name(rq->api));
        return BW_EINVAL;
    }
    memset(&c, 0, sizeof(c));
    c.rq = (struct bw_areq *)rq;
    c.rs = rs;
    c.o = o;
    c.a = a;
    c.err = err;
    c.errlen = errlen;
    if (!(rq->api == BW_API_GENERIC && (o == NULL || o->nout == 0))) {
        if ((rv = bw_px_json_parse(body, len, a, &rs->root, err, errlen)) != 0)
            return rv;
        if (!cJSON_IsObject(rs->root) && rq->api != BW_API_GENERIC) {
            snprintf(err, errlen, "the answer is not a JSON object");
            rv = BW_EINVAL;
            goto fail;
        }
    }
    c.root = rs->root;
    if ((rv = ops->parse_resp(&c)) != 0)
        goto fail;
    rs->nanswer = c.n;
    /* the request's grounding source and query ride along for the OUTPUT evaluation */
    for (i = 0; i < rq->nblocks; i++)
        if (rq->blocks[i].quals & (BW_QUAL_GROUNDING | BW_QUAL_QUERY))
            nctx++;
    if (nctx) {
        struct bw_block *b = bw_arena_alloc(a, (c.n + nctx) * sizeof(*b));
        struct bw_src *s = bw_arena_alloc(a, (c.n + nctx) * sizeof(*s));

        if (!b || !s) {
            rv = BW_ENOMEM;
            goto fail;
        }
        if (c.n) {
            memcpy(b, c.b, c.n * sizeof(*b));
            memcpy(s, c.s, c.n * sizeof(*s));
        }
        for (i = 0; i < rq->nblocks; i++)
            if (rq->blocks[i].quals & (BW_QUAL_GROUNDING | BW_QUAL_QUERY)) {
                b[c.n] = rq->blocks[i];
                s[c.n] = (struct bw_src){NULL, 0, rq->blocks[i].len};
                c.n++;
            }
        c.b = b;
        c.s = s;
    }
    rs->blocks = c.b;
    rs->src = c.s;
    rs->nblocks = c.n;
    return 0;
fail:
    rs->root = NULL; /* in the arena */
    return rv;
}

void bw_aresp_free(struct bw_aresp *rs)
{
    if (rs)
        rs->root = NULL; /* the tree goes with the arena */
}

int bw_adapter_response_body(const struct bw_areq *rq, const struct bw_aresp *rs, const struct bw_iov *masked,
                             const struct bw_trace *tr, struct bw_buf *out)
{
    const struct bw_adapter_ops *ops = ops_of(rq->api);
    struct bw_edits ed;
    struct bw_arena a;
    size_t i;
    int rv, any = 0;

    if (ops == NULL)
        return BW_EINVAL;
    if (rs->root == NULL) {
        if (masked && rs->nanswer == 1 && masked[0].base)
            return bw_buf_add(out, masked[0].base, masked[0].len);
        return bw_buf_add(out, rs->body, rs->body_len);
    }
    for (i = 0; masked && i < rs->nanswer; i++)
        if (masked[i].base)
            any = 1;
    memset(&ed, 0, sizeof(ed));
    bw_arena_init(&a, 0);
    rv = ops->resp_edits ? ops->resp_edits(rq, rs, any, tr, &a, &ed) : 0;
    if (rv == 0)
        rv = rebuild(rs->body, rs->body_len, rs->root, rs->src, rs->nanswer, masked, &ed, &a, out);
    bw_arena_free(&a);
    return rv;
}

int bw_adapter_blocked(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *message,
                       const struct bw_trace *tr, struct bw_buf *out, const char **content_type)
{
    const struct bw_adapter_ops *ops = ops_of(rq->api);

    if (ops == NULL)
        return BW_EINVAL;
    if (message == NULL)
        message = "";
    if (rq->stream && rs == NULL && rq->api != BW_API_GENERIC) {
        /* a blocked prompt of a streamed request: the client reads a stream,
         * and a JSON body would be an empty stream to the SDKs */
        struct bw_senc e;
        int rv = bw_senc_init(&e, rq, NULL);

        /* nothing came from upstream: the blocked message goes to every choice the client asked for (OpenAI n) */
        if (rv == 0 && rq->nchoices > 1 && (rq->api == BW_API_OPENAI_CHAT || rq->api == BW_API_OPENAI_COMPLETIONS))
            e.seen = rq->nchoices >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << rq->nchoices) - 1;
        if (rv == 0 && tr != NULL)
            rv = bw_senc_set_trace(&e, tr);
        if (rv == 0)
            rv = bw_senc_blocked(&e, message, out);
        bw_senc_free(&e);
        *content_type = bw_api_stream_ctype(rq->api);
        return rv;
    }
    *content_type = "application/json";
    return ops->blocked(rq, rs, dir, message, tr, out, content_type);
}

/* ------------------------------------------------------------------ */
/* errors                                                              */

const char *bw_adapter_error_type(int api, int status)
{
    switch (api == BW_API_APPLY ? BW_FAM_BEDROCK : bw_api_family(api)) {
    case BW_FAM_ANTHROPIC:
        switch (status) {
        case 400: case 422: return "invalid_request_error";
        case 401: return "authentication_error";
        case 402: return "billing_error";
        case 403: return "permission_error";
        case 404: return "not_found_error";
        case 413: return "request_too_large";
        case 429: return "rate_limit_error";
        case 503: case 529: return "overloaded_error";
        default: return status >= 500 ? "api_error" : "invalid_request_error";
        }
    case BW_FAM_BEDROCK:
        switch (status) {
        case 400: case 413: case 422: return "ValidationException";
        case 401: return "UnrecognizedClientException";
        case 403: return "AccessDeniedException";
        case 404: return "ResourceNotFoundException";
        case 408: case 504: return "ModelTimeoutException";
        case 424: case 502: return "ModelErrorException";
        case 429: return "ThrottlingException";
        case 503: return "ServiceUnavailableException";
        default: return status >= 500 ? "InternalServerException" : "ValidationException";
        }
    default: /* OpenAI, and the generic API speaks OpenAI's error shape */
        switch (status) {
        case 401: return "authentication_error";
        case 403: return "permission_error";
        case 404: return "not_found_error";
        case 429: return "rate_limit_error";
        default: return status >= 500 ? "server_error" : "invalid_request_error";
        }
    }
}

int bw_adapter_error(int api, int status, const char *message, struct bw_buf *out, const char **content_type,
                     const char **errtype)
{
    const char *t = bw_adapter_error_type(api, status);
    int fam = api == BW_API_APPLY ? BW_FAM_BEDROCK : bw_api_family(api);
    int rv;

    if (message == NULL)
        message = "";
    *content_type = "application/json";
    if (errtype)
        *errtype = NULL;
    switch (fam) {
    case BW_FAM_ANTHROPIC:
        rv = bw_buf_printf(out, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":", t) ||
             bw_buf_jstr(out, message) || bw_buf_adds(out, "}}");
        break;
    case BW_FAM_BEDROCK:
        if (errtype)
            *errtype = t;
        rv = bw_buf_adds(out, "{\"message\":") || bw_buf_jstr(out, message) || bw_buf_addc(out, '}');
        break;
    default:
        rv = bw_buf_adds(out, "{\"error\":{\"message\":") || bw_buf_jstr(out, message) ||
             bw_buf_printf(out, ",\"type\":\"%s\",\"param\":null,\"code\":", t) ||
             bw_buf_jraw(out, status == 429 ? "\"rate_limit_exceeded\"" : NULL) || bw_buf_adds(out, "}}");
        break;
    }
    return rv ? BW_ENOMEM : 0;
}
