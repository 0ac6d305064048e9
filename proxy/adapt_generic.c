/*
 * adapt_generic.c: any other JSON (or plain text) API, described by the
 * route with RFC 6901 JSON pointers to the request's and the answer's
 * texts. A pointer to an array or object takes every string under it, and
 * a "*" segment on an array takes every element (our extension: the
 * pointer "/messages/ * /content", without the spaces, reads every
 * message). With no pointer the whole body is one text, JSON or not.
 *
 * A blocked answer is built from the first answer pointer: "/choices/0/text"
 * gives {"choices":[{"text":"<message>"}]}; with no pointer it is the
 * message as text/plain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/limits.h"
#include "proxy/adapt_int.h"

/* The next segment of pointer p (after its '/'), unescaped into seg. Returns the rest, or NULL at the end. */
static const char *gn_segment(const char *p, char *seg, size_t segcap, size_t *seglen)
{
    size_t n = 0;

    if (*p != '/')
        return NULL;
    p++;
    while (*p && *p != '/') {
        char ch = *p++;
        if (ch == '~' && (*p == '0' || *p == '1'))
            ch = *p++ == '0' ? '~' : '/';
        if (n + 1 < segcap)
            seg[n++] = ch;
    }
    seg[n] = 0;
    *seglen = n;
    return p;
}

static int gn_index(const char *s, size_t n, long *out)
{
    size_t i;
    long v = 0;

    if (n == 0 || (n > 1 && s[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 100000000)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int gn_resolve(struct bw_actx *c, cJSON *node, const char *ptr, int depth)
{
    char seg[256];
    size_t sl;
    const char *rest;
    cJSON *ch;
    long idx;
    int rv;

    if (node == NULL || depth > BW_MAX_JSON_DEPTH)
        return 0;
    if (*ptr == 0)
        return bw_actx_leaves(c, node, 0, 0);
    if ((rest = gn_segment(ptr, seg, sizeof(seg), &sl)) == NULL)
        return bw_actx_fail(c, "JSON pointer \"%s\" must start with '/'", ptr);
    if (cJSON_IsArray(node)) {
        if (sl == 1 && seg[0] == '*') {
            for (ch = node->child; ch; ch = ch->next)
                if ((rv = gn_resolve(c, ch, rest, depth + 1)) != 0)
                    return rv;
            return 0;
        }
        if (gn_index(seg, sl, &idx) != 0)
            return 0;
        return gn_resolve(c, cJSON_GetArrayItem(node, (int)idx), rest, depth + 1);
    }
    if (cJSON_IsObject(node) && strlen(seg) == sl)
        return gn_resolve(c, cJSON_GetObjectItemCaseSensitive(node, seg), rest, depth + 1);
    return 0;
}

/* The whole body as the one block (src.node NULL). */
static int gn_raw(struct bw_actx *c, const char *body, size_t len)
{
    if (len == 0)
        return 0;
    c->b = bw_arena_alloc(c->a, sizeof(*c->b));
    c->s = bw_arena_alloc(c->a, sizeof(*c->s));
    if (!c->b || !c->s)
        return BW_ENOMEM;
    c->b[0] = (struct bw_block){body, len, 0};
    c->s[0] = (struct bw_src){NULL, 0, len};
    c->n = c->cap = 1;
    return 0;
}

static int gn_parse_req(struct bw_actx *c)
{
    size_t i;
    int rv;

    if (c->o == NULL || c->o->nin == 0)
        return gn_raw(c, c->rq->body, c->rq->body_len);
    c->rq->model = bw_jstr(c->root, "model");
    c->rq->stream = cJSON_IsTrue(bw_jget(c->root, "stream"));
    for (i = 0; i < c->o->nin; i++)
        if ((rv = gn_resolve(c, c->root, c->o->in_ptrs[i], 0)) != 0)
            return rv;
    return 0;
}

static int gn_parse_resp(struct bw_actx *c)
{
    size_t i;
    int rv;

    if (c->o == NULL || c->o->nout == 0)
        return gn_raw(c, c->rs->body, c->rs->body_len);
    for (i = 0; i < c->o->nout; i++)
        if ((rv = gn_resolve(c, c->root, c->o->out_ptrs[i], 0)) != 0)
            return rv;
    return 0;
}

static int gn_resp_edits(const struct bw_areq *rq, const struct bw_aresp *rs, int masked, const struct bw_trace *tr,
                         struct bw_arena *a, struct bw_edits *ed)
{
    struct bw_buf b;
    char *t;
    int rv;

    (void)masked;
    if ((tr = bw_trace_want(rq, tr)) == NULL || !cJSON_IsObject(rs->root))
        return 0;
    bw_buf_init(&b, 0);
    if ((rv = bw_trace_bulwark(tr, &b)) == 0) {
        t = bw_arena_strndup(a, b.base, b.len);
        rv = t ? bw_ed_ins(a, ed, rs->root, "bulwark_trace", t, b.len) : BW_ENOMEM;
    }
    bw_buf_free(&b);
    return rv;
}

/* Wraps inner in the containers that segments [k..] of ptr name, innermost last. */
static int gn_skeleton(const char *ptr, const char *msg, const struct bw_trace *tr, struct bw_buf *out, int top)
{
    char seg[256];
    size_t sl;
    const char *rest;
    long idx, i;
    int rv;

    if (*ptr == 0)
        return bw_buf_jstr(out, msg);
    if ((rest = gn_segment(ptr, seg, sizeof(seg), &sl)) == NULL)
        return BW_EINVAL;
    if ((sl == 1 && (seg[0] == '*' || seg[0] == '-')) || gn_index(seg, sl, &idx) == 0) {
        if (sl == 1 && (seg[0] == '*' || seg[0] == '-'))
            idx = 0;
        if ((rv = bw_buf_addc(out, '[')) != 0)
            return rv;
        for (i = 0; i < BW_MIN(idx, 16); i++)
            if ((rv = bw_buf_adds(out, "null,")) != 0)
                return rv;
        if ((rv = gn_skeleton(rest, msg, NULL, out, 0)) != 0)
            return rv;
        return bw_buf_addc(out, ']');
    }
    if ((rv = bw_buf_addc(out, '{')) != 0 || (rv = bw_buf_jstr(out, seg)) != 0 || (rv = bw_buf_addc(out, ':')) != 0 ||
        (rv = gn_skeleton(rest, msg, NULL, out, 0)) != 0)
        return rv;
    if (top && tr && ((rv = bw_buf_adds(out, ",\"bulwark_trace\":")) != 0 || (rv = bw_trace_bulwark(tr, out)) != 0))
        return rv;
    return bw_buf_addc(out, '}');
}

static int gn_blocked(const struct bw_areq *rq, const struct bw_aresp *rs, int dir, const char *msg,
                      const struct bw_trace *tr, struct bw_buf *out, const char **ct)
{
    const struct bw_adapter_opts *o = rq->opts;

    (void)rs;
    (void)dir;
    if (o == NULL || o->nout == 0) {
        *ct = "text/plain; charset=utf-8";
        return bw_buf_adds(out, msg);
    }
    *ct = "application/json";
    return gn_skeleton(o->out_ptrs[0], msg, bw_trace_want(rq, tr), out, 1);
}

const struct bw_adapter_ops bw_adapter_generic_ops = {
    .parse_req = gn_parse_req,
    .parse_resp = gn_parse_resp,
    .resp_edits = gn_resp_edits,
    .blocked = gn_blocked,
};
