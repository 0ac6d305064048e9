/*
 * exchange.c: one request through the guardrail and the upstream.
 *
 * The exchange runs on its worker's thread from start to end; it is driven
 * by two events only: the request is complete (on_request), and the
 * upstream answered or failed (on_upstream). Guardrails run synchronously
 * in between, on the worker's own scanning scratch; their results are
 * copied out (masked texts into the request's arena, assessments rendered)
 * before the next evaluation reuses that scratch.
 *
 * Failing closed: a guardrail fault, an answer that cannot be read as the
 * API's JSON (or comes compressed) refuse the exchange unless the route
 * says "on_error": "pass"; a malformed request is the client's 400 either
 * way. A route's guardrail always applies; a guardrail the client names
 * (Bedrock headers or guardrailConfig) applies too, after it, when the
 * route allows that id.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filters/limits.h"
#include "filters/content.h"
#include "pii/pii.h"
#include "policies/apply.h"
#include "proxy/conn.h"
#include "proxy/exchange.h"
#include "proxy/log.h"
#include "proxy/sigv4.h"
#include "proxy/spipe.h"
#include "proxy/upstream.h"
#include "proxy/worker.h"

enum { V_NONE = 0, V_MASKED, V_BLOCKED };

struct ex {
    struct bw_px_stream *s;
    struct bw_px_worker *w;
    struct bw_px_gen *gen;
    const struct bw_pconf *conf;
    const struct bw_px_route_conf *rt;
    const struct bw_px_upstream_conf *up;
    int api;
    const char *path;             /* what the upstream gets: the request's, or without the route's prefix */
    size_t plen;
    struct bw_adapter_opts aopts;
    struct bw_areq rq;
    struct bw_aresp rs;
    int have_rq, have_rs;
    struct bw_guardrail *gr[2];
    size_t ngr;
    int trace;                    /* enum bw_trace_mode in effect */
    struct bw_buf tr[2];          /* rendered assessment per direction */
    const char *tr_id;            /* guardrail id of the assessments */
    struct bw_buf body_up;        /* the request body when rewritten */
    const char *up_body;
    size_t up_len;
    struct bw_px_upreq *ur;
    struct bw_px_upres *res;
    int verdict[2];
    int fault[2];                 /* a guardrail fault let through (on_error pass) */
    struct bw_guardrail *blocked_by;
    uint64_t guard_ns[2];
    int status;
    int sigv4;
    int streaming;                /* the answer goes to the client as it comes (not guarded) */
    int cut;                      /* the streamed answer was reset */
    int paused;                   /* the upstream waits for the client to read */
    /* guarded streams (spipe.h) */
    struct bw_spipe *sp[2];       /* the streamed answer is guarded through them, one per guardrail, in a row */
    size_t nsp;
    struct bw_areq rq0;           /* the first of two pipelines: the request without trace (the last one has it) */
    struct sp_end {
        struct ex *x;
        struct bw_guardrail *g;
    } sp_end[2];
    int sp_pass;                  /* not a stream to guard (an error status): as is */
    int sp_ended;                 /* the pipeline's end was counted */
    int ending;                   /* the stream ended before the upstream: end_timer finishes */
    struct bw_px_timer end_timer;
    const char *note;             /* why, for the access log */
    char rid[72];
};

static struct bw_px_worker *worker_of(struct bw_px_stream *s)
{
    return s->conn->w;
}

/* The route: host (when the route names one) and path prefix, first match in order. */
static int match_route(const struct bw_pconf *c, const struct bw_px_req *r)
{
    size_t i, hl = r->authority.len;
    const char *host = r->authority.base;

    if (host) {
        const char *colon = hl && host[0] != '[' ? memchr(host, ':', hl) : NULL;
        if (host[0] == '[') {
            const char *rb = memchr(host, ']', hl);
            if (rb)
                hl = (size_t)(rb - host + 1);
        } else if (colon)
            hl = (size_t)(colon - host);
    }
    for (i = 0; i < c->nroutes; i++) {
        const struct bw_px_route_conf *rt = &c->routes[i];
        if (rt->host && (host == NULL || strlen(rt->host) != hl || strncasecmp(rt->host, host, hl) != 0))
            continue;
        if (r->path.len >= rt->plen && memcmp(r->path.base, rt->path_prefix, rt->plen) == 0)
            return (int)i;
    }
    return -1;
}

static int api_for(const struct bw_px_route_conf *rt, const struct bw_px_req *r, const char *path, size_t plen)
{
    int api = bw_api_detect(r->method.base, path, plen);
    int fam = api == BW_API_NONE ? -1 : bw_api_family(api);

    if (api == BW_API_APPLY)
        return BW_API_NONE;
    switch (rt->api) {
    case BW_PX_API_AUTO: return api;
    case BW_PX_API_OPENAI: return fam == BW_FAM_OPENAI ? api : BW_API_NONE;
    case BW_PX_API_ANTHROPIC: return fam == BW_FAM_ANTHROPIC ? api : BW_API_NONE;
    case BW_PX_API_BEDROCK: return fam == BW_FAM_BEDROCK ? api : BW_API_NONE;
    case BW_PX_API_GENERIC: return strcmp(r->method.base, "POST") == 0 ? BW_API_GENERIC : BW_API_NONE;
    }
    return BW_API_NONE;
}

static int hexval(int c)
{
    if ('0' <= c && c <= '9')
        return c - '0';
    if ('a' <= c && c <= 'f')
        return c - 'a' + 10;
    if ('A' <= c && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int url_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n + 0 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        }
        if (o + 1 >= cap || c == 0)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

int bw_px_apply_path(const char *path, size_t len, char *id, size_t idlen, char *ver, size_t verlen)
{
    static const char pfx[] = "/guardrail/", mid[] = "/version/", sfx[] = "/apply";
    const char *p = path, *end, *q, *v;

    if ((q = memchr(path, '?', len)) != NULL)
        len = (size_t)(q - path);
    end = path + len;
    if (len < sizeof(pfx) - 1 || memcmp(p, pfx, sizeof(pfx) - 1) != 0)
        return -1;
    p += sizeof(pfx) - 1;
    if ((size_t)(end - path) < sizeof(sfx) - 1 || memcmp(end - (sizeof(sfx) - 1), sfx, sizeof(sfx) - 1) != 0)
        return -1;
    end -= sizeof(sfx) - 1;
    /* the id may be an encoded ARN; its slashes come encoded, so search for /version/ from the right */
    for (v = end - (sizeof(mid) - 1); v >= p; v--)
        if (memcmp(v, mid, sizeof(mid) - 1) == 0)
            break;
    if (v < p)
        return -1;
    if (url_decode(p, (size_t)(v - p), id, idlen) != 0 ||
        url_decode(v + sizeof(mid) - 1, (size_t)(end - v - (sizeof(mid) - 1)), ver, verlen) != 0)
        return -1;
    return strchr(ver, '/') ? -1 : 0;
}

/* responses */

static void add_hdr(struct bw_hdr *h, size_t *n, const char *name, const char *value)
{
    h[*n].name.base = name;
    h[*n].name.len = strlen(name);
    h[*n].value.base = value;
    h[*n].value.len = strlen(value);
    (*n)++;
}

static int intervened(const struct ex *x)
{
    return x->verdict[0] != V_NONE || x->verdict[1] != V_NONE;
}

static const char *verdict_name(int v)
{
    return v == V_BLOCKED ? "BLOCKED" : v == V_MASKED ? "MASKED" : "NONE";
}

static void access_log(struct ex *x)
{
    struct bw_px_stream *s = x->s;
    struct bw_buf *b = bw_px_log_begin(BW_SINK_ACCESS);
    const char *q;
    size_t plen = s->req.path.len;

    if (b == NULL)
        return;
    /* the query string may carry anything; the path is enough to know what was asked */
    if (s->req.path.base && (q = memchr(s->req.path.base, '?', plen)) != NULL)
        plen = (size_t)(q - s->req.path.base);
    /* no printf below: an access line per request was ~46k instructions with it, most of the proxy path's */
    bw_px_json_kv(b, "request_id", x->rid, strlen(x->rid));
    bw_px_json_ki(b, "conn", (long long)s->conn->id);
    bw_buf_adds(b, s->req.version == 20   ? ",\"proto\":\"h2\""
                   : s->req.version == 10 ? ",\"proto\":\"http/1.0\""
                                          : ",\"proto\":\"http/1.1\"");
    bw_px_json_kv(b, "peer", s->conn->peer, strlen(s->conn->peer));
    bw_px_json_kv(b, "method", s->req.method.base ? s->req.method.base : "", s->req.method.len);
    bw_px_json_kv(b, "path", s->req.path.base ? s->req.path.base : "", plen);
    if (x->rt)
        bw_px_json_kv(b, "route", x->rt->name, strlen(x->rt->name));
    bw_buf_adds(b, ",\"api\":\"");
    bw_buf_adds(b, bw_api_name(x->api));
    bw_buf_addc(b, '"');
    bw_px_json_ki(b, "status", x->status);
    bw_buf_adds(b, intervened(x) ? ",\"action\":\"INTERVENED\",\"input\":\"" : ",\"action\":\"NONE\",\"input\":\"");
    bw_buf_adds(b, verdict_name(x->verdict[0]));
    bw_buf_adds(b, "\",\"output\":\"");
    bw_buf_adds(b, verdict_name(x->verdict[1]));
    bw_buf_addc(b, '"');
    if (x->up)
        bw_px_json_kv(b, "upstream", x->up->name, strlen(x->up->name));
    if (x->res) {
        bw_px_json_ki(b, "upstream_status", x->res->status);
        bw_px_json_ki(b, "attempts", x->res->attempts);
        bw_px_json_kfix(b, "upstream_ms", x->res->ns, 1000000, 3);
    }
    bw_px_json_ki(b, "bytes_in", (long long)s->req.body.len);
    bw_px_json_ki(b, "bytes_out", (long long)s->bytes_out);
    bw_px_json_kfix(b, "guard_in_us", x->guard_ns[0], 1000, 1);
    bw_px_json_kfix(b, "guard_out_us", x->guard_ns[1], 1000, 1);
    bw_px_json_kfix(b, "ms", bw_px_clock_ns() - s->t0_ns, 1000000, 3);
    if (x->fault[0] || x->fault[1])
        bw_buf_adds(b, ",\"guardrail_fault\":true");
    if (x->note)
        bw_px_json_kv(b, "note", x->note, strlen(x->note));
    bw_px_log_end(BW_SINK_ACCESS, b);
}

/* Releases everything but the arena (which goes with the stream). */
static void cleanup(struct ex *x)
{
    if (x->ending)
        bw_px_timer_stop(&x->w->loop, &x->end_timer);
    x->ending = 0;
    while (x->nsp > 0) {
        x->nsp--;
        bw_spipe_free(x->sp[x->nsp]);
        free(x->sp[x->nsp]);
        x->sp[x->nsp] = NULL;
    }
    if (x->ur)
        bw_px_up_release(x->ur);
    x->ur = NULL;
    x->res = NULL;
    if (x->have_rs)
        bw_aresp_free(&x->rs);
    if (x->have_rq)
        bw_areq_free(&x->rq);
    x->have_rs = x->have_rq = 0;
    bw_buf_free(&x->tr[0]);
    bw_buf_free(&x->tr[1]);
    bw_buf_free(&x->body_up);
    if (x->gen)
        bw_px_gen_unref(x->gen);
    x->gen = NULL;
}

static void finish(struct ex *x)
{
    struct bw_px_metrics *m = x->w->m;
    unsigned slot = x->rt ? x->rt->metric_slot : 0;

    bw_px_ctr_add(&m->req[slot][bw_px_metrics_status_idx(x->status)][intervened(x)], 1);
    bw_px_metrics_observe(m, BW_H_REQUEST, bw_px_clock_ns() - x->s->t0_ns);
    access_log(x);
    cleanup(x);
    x->s->hdata = NULL;
}

/* Sends an answer with the exchange's own headers, then ends the exchange. */
static void reply(struct ex *x, int status, const struct bw_hdr *extra, size_t nextra, const char *ctype,
                  const char *body, size_t len)
{
    struct bw_hdr *h;
    size_t n = 0, i;

    x->status = status;
    h = bw_arena_alloc(&x->s->arena, (nextra + 4) * sizeof(*h));
    if (h != NULL) {
        for (i = 0; i < nextra; i++) {
            const struct bw_iov *nm = &extra[i].name;
            /* the upstream must not speak for bulwark */
            if (nm->len > 10 && strncasecmp(nm->base, "x-bulwark-", 10) == 0)
                continue;
            if (ctype && nm->len == 12 && strncasecmp(nm->base, "content-type", 12) == 0)
                continue;
            h[n++] = extra[i];
        }
        if (ctype)
            add_hdr(h, &n, "content-type", ctype);
        add_hdr(h, &n, "x-bulwark-action", intervened(x) ? "INTERVENED" : "NONE");
        add_hdr(h, &n, "x-bulwark-request-id", x->rid);
    }
    bw_px_respond(x->s, status, h, h ? n : 0, body, len);
    finish(x);
}

static const char *generic_type(int status)
{
    switch (status) {
    case 400: return "invalid_request_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 502: return "bad_gateway";
    case 504: return "gateway_timeout";
    }
    return status >= 500 ? "api_error" : "invalid_request_error";
}

/* An error in the API's own shape (OpenAI, Anthropic, Bedrock), else a generic JSON error. */
static int error_body(int api, int status, const char *msg, struct bw_buf *b, const char **ctype,
                      const char **errtype)
{
    *errtype = NULL;
    if (api != BW_API_NONE && api != BW_API_GENERIC && bw_adapter_error(api, status, msg, b, ctype, errtype) == 0)
        return 0;
    bw_buf_reset(b);
    *ctype = "application/json";
    bw_buf_adds(b, "{\"error\":{\"message\":\"");
    bw_buf_json_str(b, msg, strlen(msg));
    return bw_buf_printf(b, "\",\"type\":\"%s\",\"code\":%d}}", generic_type(status), status);
}

static void reply_error(struct ex *x, int status, const char *msg)
{
    struct bw_buf b;
    struct bw_hdr h[1];
    const char *ctype = "application/json", *errtype = NULL;
    size_t n = 0;

    bw_buf_init(&b, 1u << 20);
    error_body(x->api, status, msg, &b, &ctype, &errtype);
    if (errtype)
        add_hdr(h, &n, "x-amzn-errortype", errtype);
    if (x->note == NULL)
        x->note = msg;
    reply(x, status, h, n, ctype, b.base ? b.base : "", b.len);
    bw_buf_free(&b);
}

/* A Bedrock ApplyGuardrail error: {"message"} with x-amzn-ErrorType. */
static void reply_bedrock(struct ex *x, int status, const char *errtype, const char *msg)
{
    struct bw_buf b;
    struct bw_hdr h[1];
    size_t n = 0;

    bw_buf_init(&b, 1u << 20);
    bw_buf_adds(&b, "{\"message\":\"");
    bw_buf_json_str(&b, msg, strlen(msg));
    bw_buf_adds(&b, "\"}");
    add_hdr(h, &n, "x-amzn-ErrorType", errtype);
    x->note = msg;
    reply(x, status, h, n, "application/json", b.base ? b.base : "", b.len);
    bw_buf_free(&b);
}

/* guardrails */

static void audit(struct ex *x, const struct bw_guardrail *g, int dir, const struct bw_apply_res *res)
{
    struct bw_px_metrics *m = x->w->m;
    size_t i;

    for (i = 0; i < res->nf; i++) {
        const struct bw_finding *f = &res->f[i];
        const char *name = NULL;
        struct bw_buf *b;
        char tb[32];
        unsigned t;

        if (!f->detected || f->action == BW_ACT_NONE)
            continue;
        t = bw_px_metrics_type_idx(f);
        if (f->policy < BW_POL__N)
            bw_px_ctr_add(&m->interv[dir][f->policy][t][f->action == BW_ACT_ANONYMIZE], 1);
        if ((b = bw_px_log_begin(BW_SINK_AUDIT)) == NULL)
            continue;
        bw_px_json_kv(b, "request_id", x->rid, strlen(x->rid));
        if (x->rt)
            bw_px_json_kv(b, "route", x->rt->name, strlen(x->rt->name));
        bw_px_json_kv(b, "guardrail", g->id, strlen(g->id));
        bw_px_json_kv(b, "version", g->version, strlen(g->version));
        bw_buf_printf(b, ",\"direction\":\"%s\",\"policy\":\"%s\",\"finding\":\"%s\",\"action\":\"%s\"",
                      dir ? "OUTPUT" : "INPUT", bw_px_policy_name(f->policy),
                      bw_px_metrics_type_name(f->policy, t, tb, sizeof(tb)),
                      f->action == BW_ACT_ANONYMIZE ? "ANONYMIZED" : "BLOCKED");
        /* configured names are policy, not data; the matched text is never written */
        if (f->policy == BW_POL_TOPIC && g->conf && f->item < g->conf->topics.n)
            name = g->conf->topics.items[f->item].name;
        else if (f->policy == BW_POL_REGEX && g->conf && f->item < g->conf->regex.n)
            name = g->conf->regex.items[f->item].name;
        if (name)
            bw_px_json_kv(b, "name", name, strlen(name));
        if (f->policy == BW_POL_CONTENT)
            bw_buf_printf(b, ",\"confidence\":\"%s\"", bw_conf_name(f->confidence));
        bw_buf_printf(b, ",\"block\":%u", f->block);
        if (f->end > f->start)
            bw_buf_printf(b, ",\"offset\":%u,\"length\":%u", f->start, f->end - f->start);
        bw_px_log_end(BW_SINK_AUDIT, b);
    }
}

/*
 * Runs the guardrails of direction dir over blocks. *verdict: V_NONE,
 * V_MASKED (*masked holds one text per block, arena copies) or V_BLOCKED
 * (x->blocked_by says whose). Returns 0 or the apply error.
 */
static int guard(struct ex *x, int dir, const struct bw_block *blocks, size_t n, struct bw_iov **masked,
                 int *verdict)
{
    struct bw_block *cur = NULL;
    struct bw_iov *mk = NULL;
    size_t gi, i;
    char err[256];
    int rv;

    *verdict = V_NONE;
    *masked = NULL;
    for (gi = 0; gi < x->ngr; gi++) {
        struct bw_guardrail *g = x->gr[gi];
        struct bw_apply_req ar;
        struct bw_apply_res res;
        uint64_t t0 = bw_px_clock_ns(), dt;

        memset(&ar, 0, sizeof(ar));
        memset(&res, 0, sizeof(res));
        ar.dir = dir;
        ar.scope = x->trace == BW_TRACE_FULL ? BW_SCOPE_FULL : BW_SCOPE_INTERVENTIONS;
        ar.blocks = cur ? cur : blocks;
        ar.nblocks = n;
        err[0] = '\0';
        rv = bw_apply(g, &x->w->eng, &ar, &res, err, sizeof(err));
        dt = bw_px_clock_ns() - t0;
        x->guard_ns[dir] += dt;
        bw_px_metrics_observe(x->w->m, dir ? BW_H_GUARD_OUT : BW_H_GUARD_IN, dt);
        if (rv != 0) {
            bw_px_ctr_add(&x->w->m->guard_errors[dir], 1);
            bw_px_log(BW_LOG_ERROR, "request %s: guardrail %s/%s %s failed: %s%s%s", x->rid, g->id, g->version,
                      dir ? "OUTPUT" : "INPUT", bw_strerror(rv), err[0] ? ": " : "", err);
            return rv;
        }
        audit(x, g, dir, &res);
        if (x->trace != BW_TRACE_OFF) {
            bw_buf_reset(&x->tr[dir]);
            bw_apply_render_assessment(g, &ar, &res, &x->tr[dir]);
            x->tr_id = g->id;
        }
        if (res.blocked) {
            *verdict = V_BLOCKED;
            x->blocked_by = g;
            return 0;
        }
        if (res.masked && res.out && res.nout >= n) {
            /* the next guardrail (and the rewrite) see the masked text; copy it out of the scratch */
            if (cur == NULL) {
                if ((cur = bw_arena_alloc(&x->s->arena, (n ? n : 1) * sizeof(*cur))) == NULL)
                    return BW_ENOMEM;
                memcpy(cur, blocks, n * sizeof(*cur)); /* qualifiers stay */
            }
            if (mk == NULL && (mk = bw_arena_calloc(&x->s->arena, (n ? n : 1) * sizeof(*mk))) == NULL)
                return BW_ENOMEM;
            for (i = 0; i < n; i++) {
                char *t = bw_arena_strndup(&x->s->arena, res.out[i].base ? res.out[i].base : "", res.out[i].len);
                if (t == NULL)
                    return BW_ENOMEM;
                cur[i].text = t;
                cur[i].len = res.out[i].len;
                mk[i].base = t;
                mk[i].len = res.out[i].len;
            }
            *verdict = V_MASKED;
            *masked = mk;
        }
    }
    return 0;
}

static void fill_trace(struct ex *x, struct bw_trace *tr, const char *model_output)
{
    memset(tr, 0, sizeof(*tr));
    tr->gr_id = x->tr_id ? x->tr_id : (x->ngr ? x->gr[x->ngr - 1]->id : NULL);
    tr->intervened = intervened(x);
    tr->out_intervened = x->verdict[1] != V_NONE;
    tr->action_reason = x->verdict[0] == V_BLOCKED || x->verdict[1] == V_BLOCKED ? "Guardrail blocked."
                        : intervened(x)                                         ? "Guardrail masked."
                                                                                : NULL;
    if (x->trace != BW_TRACE_OFF) {
        tr->input_json = x->tr[0].len ? x->tr[0].base : NULL;
        tr->output_json = x->tr[1].len ? x->tr[1].base : NULL;
        tr->model_output = model_output;
    }
}

static void answer_blocked(struct ex *x, int dir, const char *model_output)
{
    struct bw_buf b;
    struct bw_trace tr;
    const char *ctype = "application/json";
    const char *msg = bw_guardrail_blocked_message(x->blocked_by, dir);
    int rv;

    bw_buf_init(&b, 0);
    fill_trace(x, &tr, model_output);
    rv = bw_adapter_blocked(&x->rq, x->have_rs ? &x->rs : NULL, dir, msg ? msg : "Sorry, the model cannot answer this.",
                            &tr, &b, &ctype);
    if (rv != 0) {
        bw_buf_free(&b);
        x->note = "cannot render the blocked answer";
        reply_error(x, 500, "bulwark: the guardrail blocked this exchange");
        return;
    }
    reply(x, 200, NULL, 0, ctype, b.base ? b.base : "", b.len);
    bw_buf_free(&b);
}

/* upstream */

static int is_sane_id(const struct bw_iov *v)
{
    size_t i;

    if (v->len == 0 || v->len > 64)
        return 0;
    for (i = 0; i < v->len; i++)
        if (!isalnum((unsigned char)v->base[i]) && !strchr("-_.:", v->base[i]))
            return 0;
    return 1;
}

/* Is name listed in the request's Connection header (a hop-by-hop header by declaration)? */
static int in_connection(const struct bw_px_req *r, const struct bw_iov *name)
{
    const struct bw_hdr *c = bw_px_req_header(r, "connection");
    const char *s, *e;

    if (c == NULL)
        return 0;
    s = c->value.base;
    e = s + c->value.len;
    while (s < e) {
        const char *comma = memchr(s, ',', (size_t)(e - s)), *end = comma ? comma : e;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - s) == name->len && strncasecmp(s, name->base, name->len) == 0)
            return 1;
        s = (comma ? comma : e) + 1;
    }
    return 0;
}

static int name_is(const struct bw_iov *n, const char *s)
{
    size_t l = strlen(s);

    return n->len == l && strncasecmp(n->base, s, l) == 0;
}

static int dropped_upstream(const struct ex *x, const struct bw_hdr *h)
{
    static const char *const drop[] = {"host", "content-length", "expect", "x-forwarded-for", "x-forwarded-proto",
                                       "x-forwarded-host", "forwarded", "cookie"};
    static const char *const aws[] = {"authorization", "x-amz-date", "x-amz-security-token",
                                      "x-amz-content-sha256"};
    static const char *const bedrock[] = {"x-amzn-bedrock-guardrailidentifier", "x-amzn-bedrock-guardrailversion",
                                          "x-amzn-bedrock-trace"};
    size_t i;

    if (bw_px_hop_by_hop(h->name.base, h->name.len) || in_connection(&x->s->req, &h->name))
        return 1;
    if (h->name.len >= 10 && strncasecmp(h->name.base, "x-bulwark-", 10) == 0)
        return 1;
    for (i = 0; i < BW_NELEMS(drop); i++)
        if (name_is(&h->name, drop[i]))
            return 1;
    /* the guardrail reads plain text: no compressed answers on guarded routes */
    if (x->ngr && name_is(&h->name, "accept-encoding"))
        return 1;
    if (x->sigv4)
        for (i = 0; i < BW_NELEMS(aws); i++)
            if (name_is(&h->name, aws[i]))
                return 1;
    /* bulwark applied the client's guardrail itself */
    if (x->have_rq && x->rq.gr_id)
        for (i = 0; i < BW_NELEMS(bedrock); i++)
            if (name_is(&h->name, bedrock[i]))
                return 1;
    for (i = 0; i < x->up->nheaders; i++)
        if (!x->up->headers[i].add_only && name_is(&h->name, x->up->headers[i].name))
            return 1;
    return 0;
}

/* The values of every header called name, then extra, joined by sep, in the arena (NULL when empty). */
static char *joined(struct ex *x, const char *name, const char *sep, const char *extra)
{
    const struct bw_px_req *r = &x->s->req;
    size_t i, len = 0, sl = strlen(sep), el = extra ? strlen(extra) : 0, o = 0;
    char *out;

    /* measured first, then written: one allocation from the arena, no buffer */
    for (i = 0; i < r->nh; i++)
        if (name_is(&r->h[i].name, name))
            len += (len ? sl : 0) + r->h[i].value.len;
    if (extra)
        len += (len ? sl : 0) + el;
    if (len == 0 || len > (1u << 20) || (out = bw_arena_alloc(&x->s->arena, len + 1)) == NULL)
        return NULL;
    for (i = 0; i < r->nh; i++) {
        if (!name_is(&r->h[i].name, name))
            continue;
        if (o) {
            memcpy(out + o, sep, sl);
            o += sl;
        }
        memcpy(out + o, r->h[i].value.base, r->h[i].value.len);
        o += r->h[i].value.len;
    }
    if (extra) {
        if (o) {
            memcpy(out + o, sep, sl);
            o += sl;
        }
        memcpy(out + o, extra, el);
        o += el;
    }
    out[o] = '\0';
    return out;
}

/* The host[:port] of the upstream URL, and where its path begins. */
static const char *url_host(const char *url, char *buf, size_t len)
{
    const char *p = strstr(url, "://"), *e;

    p = p ? p + 3 : url;
    e = strchr(p, '/');
    snprintf(buf, len, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
    return buf;
}

static int sign(struct ex *x, struct bw_hdr *h, size_t *n, const char *path)
{
    const struct bw_px_sigv4_conf *sc = &x->up->sigv4;
    struct bw_sigv4_creds cr = {sc->access_key, sc->secret_key, sc->session_token};
    struct bw_sigv4_req r;
    struct bw_sigv4_out *o;
    struct bw_hdr sh[3];
    char host[512];
    const char *q = strchr(path, '?'), *base = strstr(x->up->url, "://");
    const char *bpath = base ? strchr(base + 3, '/') : NULL;
    char *fullpath;
    size_t ns = 0, bl = bpath ? strlen(bpath) : 0, pl = q ? (size_t)(q - path) : strlen(path);
    int rv;

    if ((o = bw_arena_calloc(&x->s->arena, sizeof(*o))) == NULL ||
        (fullpath = bw_arena_alloc(&x->s->arena, bl + pl + 1)) == NULL)
        return BW_ENOMEM;
    memcpy(fullpath, bpath ? bpath : "", bl);
    memcpy(fullpath + bl, path, pl);
    fullpath[bl + pl] = '\0';
    add_hdr(sh, &ns, "host", url_host(x->up->url, host, sizeof(host)));
    for (size_t i = 0; i < *n; i++)
        if (name_is(&h[i].name, "content-type"))
            sh[ns++] = h[i];
    memset(&r, 0, sizeof(r));
    r.method = x->s->req.method.base;
    r.path = fullpath;
    r.path_len = bl + pl;
    r.query = q ? q + 1 : NULL;
    r.query_len = q ? strlen(q + 1) : 0;
    r.h = sh;
    r.nh = ns;
    r.body = x->up_body;
    r.body_len = x->up_len;
    r.region = sc->region;
    r.service = sc->service;
    r.flags = BW_SIGV4_CONTENT_SHA256;
    if ((rv = bw_sigv4_sign(&r, &cr, o, NULL, NULL)) != 0)
        return rv;
    add_hdr(h, n, "authorization", o->authorization);
    add_hdr(h, n, "x-amz-date", o->amz_date);
    add_hdr(h, n, "x-amz-content-sha256", o->content_sha256);
    if (o->security_token)
        add_hdr(h, n, "x-amz-security-token", o->security_token);
    return 0;
}

static void on_upstream(void *ud, struct bw_px_upres *res);
static void on_upstream_head(void *ud, struct bw_px_upres *res);
static void on_upstream_data(void *ud, const char *p, size_t n);

static void forward(struct ex *x)
{
    struct bw_px_stream *s = x->s;
    struct bw_px_conn *c = s->conn;
    struct bw_px_upopts o;
    struct bw_hdr *h;
    size_t n = 0, i, cap = s->req.nh + x->up->nheaders + 12;
    char *fwd, *xff, *cookie, fw[160];
    const char *proto = c->ssl ? "https" : "http";

    if ((h = bw_arena_alloc(&s->arena, cap * sizeof(*h))) == NULL) {
        reply_error(x, 500, "bulwark: out of memory");
        return;
    }
    for (i = 0; i < s->req.nh; i++)
        if (!dropped_upstream(x, &s->req.h[i]))
            h[n++] = s->req.h[i];
    if ((cookie = joined(x, "cookie", "; ", NULL)) != NULL && !x->sigv4)
        add_hdr(h, &n, "cookie", cookie);
    if ((xff = joined(x, "x-forwarded-for", ", ", c->peer)) != NULL)
        add_hdr(h, &n, "x-forwarded-for", xff);
    add_hdr(h, &n, "x-forwarded-proto", proto);
    if (s->req.authority.base)
        add_hdr(h, &n, "x-forwarded-host", bw_arena_strndup(&s->arena, s->req.authority.base, s->req.authority.len));
    if (strchr(c->peer, ':'))
        snprintf(fw, sizeof(fw), "for=\"[%s]\";proto=%s", c->peer, proto);
    else { /* the usual IPv4 peer, without printf's cost */
        size_t pl = strlen(c->peer), ql = strlen(proto);
        if (pl + ql + 11 <= sizeof(fw)) {
            memcpy(fw, "for=", 4);
            memcpy(fw + 4, c->peer, pl);
            memcpy(fw + 4 + pl, ";proto=", 7);
            memcpy(fw + 11 + pl, proto, ql + 1);
        } else
            snprintf(fw, sizeof(fw), "for=%s;proto=%s", c->peer, proto);
    }
    if ((fwd = joined(x, "forwarded", ", ", fw)) != NULL)
        add_hdr(h, &n, "forwarded", fwd);
    if (bw_px_req_header(&s->req, "x-request-id") == NULL)
        add_hdr(h, &n, "x-request-id", x->rid);
    for (i = 0; i < x->up->nheaders; i++) {
        const struct bw_px_hdr_conf *hc = &x->up->headers[i];
        if (hc->add_only && bw_px_req_header(&s->req, hc->name) != NULL)
            continue;
        add_hdr(h, &n, hc->name, hc->value);
    }
    if (x->sigv4 && sign(x, h, &n, x->path) != 0) {
        x->note = "SigV4 signing failed";
        reply_error(x, 500, "bulwark: cannot sign the upstream request");
        return;
    }
    memset(&o, 0, sizeof(o));
    o.uc = x->up;
    if (x->gen->up_own[x->up - x->conf->upstreams])
        o.addr = &x->gen->up_addr[x->up - x->conf->upstreams];
    o.method = s->req.method.base;
    o.path = x->path;
    o.h = h;
    o.nh = n;
    o.body = x->up_len ? x->up_body : NULL;
    o.len = x->up_len;
    o.max_answer = BW_MAX_BODY_BYTES;
    /* nothing to read in the answer: pass it on as it arrives (SSE streams keep their pace) */
    x->streaming = x->ngr == 0 || !x->have_rq || x->rq.stream ||
                   (!x->rt->output && x->trace == BW_TRACE_OFF && x->rq.gr_id == NULL);
    if (x->streaming) {
        o.on_head = on_upstream_head;
        o.on_data = on_upstream_data;
    }
    if (bw_px_up_start(x->w->up, &o, on_upstream, x, &x->ur) != 0)
        reply_error(x, 502, "bulwark: cannot start the upstream request");
}

/* Answers with what the upstream said, body as given (our headers added). */
static void pass_answer(struct ex *x, const char *body, size_t len)
{
    struct bw_px_upres *r = x->res;

    reply(x, r->status, r->h, r->nh, NULL, body, len);
}

static const struct bw_hdr *res_header(const struct bw_px_upres *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->nh; i++)
        if (name_is(&r->h[i].name, name))
            return &r->h[i];
    return NULL;
}

/* A guardrail fault, or an answer that cannot be guarded: refuse unless the route passes them. */
static int fault(struct ex *x, int dir, int status, const char *msg)
{
    x->fault[dir] = 1;
    if (x->rt && x->rt->on_error_pass)
        return 0;
    x->note = msg;
    reply_error(x, status, msg);
    return -1;
}

static char *model_output(struct ex *x)
{
    struct bw_buf b;
    size_t i;
    char *r;

    if (x->trace == BW_TRACE_OFF)
        return NULL;
    bw_buf_init(&b, BW_MAX_BODY_BYTES);
    for (i = 0; i < x->rs.nanswer; i++) {
        if (i)
            bw_buf_addc(&b, '\n');
        bw_buf_add(&b, x->rs.blocks[i].text, x->rs.blocks[i].len);
    }
    r = bw_arena_strndup(&x->s->arena, b.base ? b.base : "", b.len);
    bw_buf_free(&b);
    return r;
}

/*
 * Guarded streams. The pipeline (spipe.h) turns the upstream's bytes into
 * the client's; this part does the I/O around it. The pipeline may end
 * before the upstream (a block, a malformed event, a limit): its last
 * bytes go out at once, and the rest (end of the response, cancelling
 * the upstream request) waits for end_timer, because the upstream cannot
 * be released from inside its own callbacks. A client that goes away
 * meanwhile aborts the exchange (on_abort), which cancels the upstream.
 */

/* The verdict of the guarded stream: audit lines, metrics, the trace of its final event. */
static void stream_on_end(void *ud, struct bw_spipe *p)
{
    struct sp_end *se = ud;
    struct ex *x = se->x;
    struct bw_guardrail *g = se->g;
    int v;
    struct bw_apply_res res;
    struct bw_apply_req ar;
    struct bw_block *blk = NULL;
    struct bw_trace tr;
    const char *mo = NULL;
    /* a guardrail without answer policies has no guard: only the trace (and Bedrock's action) to give */
    unsigned i, nch = p->sg ? bw_sguard_nchannels(p->sg) : 0;
    uint64_t ns = p->sg ? bw_sguard_ns(p->sg) : 0;

    memset(&res, 0, sizeof(res));
    if (p->sg)
        res.f = bw_sguard_findings(p->sg, &res.nf);
    res.blocked = p->state == BW_SPIPE_BLOCKED;
    res.masked = !res.blocked && p->sg && bw_sguard_masked(p->sg);
    res.intervened = res.blocked || res.masked;
    res.latency_ns = ns;
    for (i = 0; i < nch; i++)
        res.chars_total += (unsigned)bw_sguard_text(p->sg, i).len;
    res.chars_guarded = res.chars_total;
    for (i = 0; i < BW_POL__N; i++)
        if (bw_guardrail_has_policy(g, BW_DIR_OUTPUT, (int)i))
            res.units[i] = (res.chars_total + 999) / 1000;
    x->guard_ns[1] += ns;
    bw_px_metrics_observe(x->w->m, BW_H_GUARD_OUT, ns);
    audit(x, g, BW_DIR_OUTPUT, &res);
    v = res.blocked ? V_BLOCKED : res.masked ? V_MASKED : V_NONE;
    if (v > x->verdict[1])
        x->verdict[1] = v; /* with two guardrails, the first's block reaches the second as text */
    if (res.blocked)
        x->blocked_by = g;
    if (x->trace != BW_TRACE_OFF && (blk = bw_arena_calloc(&x->s->arena, (nch ? nch : 1) * sizeof(*blk))) != NULL) {
        for (i = 0; i < nch; i++) {
            struct bw_iov t = bw_sguard_text(p->sg, i);
            blk[i].text = t.base;
            blk[i].len = t.len;
        }
        memset(&ar, 0, sizeof(ar));
        ar.dir = BW_DIR_OUTPUT;
        ar.scope = x->trace == BW_TRACE_FULL ? BW_SCOPE_FULL : BW_SCOPE_INTERVENTIONS;
        ar.blocks = blk;
        ar.nblocks = nch;
        bw_buf_reset(&x->tr[1]);
        bw_apply_render_assessment(g, &ar, &res, &x->tr[1]);
        x->tr_id = g->id;
        if (res.blocked) { /* the model's answer, for the trace: the channels joined by newlines */
            struct bw_buf mb;

            bw_buf_init(&mb, BW_MAX_BODY_BYTES);
            for (i = 0; i < nch; i++) {
                if (i)
                    bw_buf_addc(&mb, '\n');
                bw_buf_add(&mb, blk[i].text, blk[i].len);
            }
            mo = bw_arena_strndup(&x->s->arena, mb.base ? mb.base : "", mb.len);
            bw_buf_free(&mb);
        }
    }
    fill_trace(x, &tr, mo);
    bw_senc_set_trace(&p->enc, &tr);
}

/*
 * Sets up the guarded stream of a request that asks for one on a route
 * that guards answers. Returns 0, or -1 after answering an error.
 */
static int stream_setup(struct ex *x)
{
    struct bw_spipe_opts o;
    struct bw_errs errs;
    char msg[400];
    size_t i, k;
    int rv, async = x->rq.async ? x->rq.async > 0 : x->rt->stream_async; /* the client may choose either mode */

    for (k = 0; k < x->ngr; k++) {
        if (async && bw_px_anonymizes_output(x->gr[k])) {
            snprintf(msg, sizeof(msg),
                     "guardrail %s masks sensitive information in answers, which asynchronous stream processing "
                     "cannot do; use synchronous processing",
                     x->gr[k]->id);
            reply_error(x, 400, msg);
            return -1;
        }
        bw_errs_init(&errs, NULL);
        rv = bw_guardrail_streaming(x->gr[k], &errs);
        bw_errs_free(&errs);
        if (rv != 0) {
            bw_px_ctr_add(&x->w->m->guard_errors[1], 1);
            reply_error(x, 500, "bulwark: the output guardrail cannot guard streams; the request is refused");
            return -1;
        }
    }
    /* nothing to guard in answers, nothing to add to them: the stream passes as it comes */
    for (k = 0; k < x->ngr && !x->gr[k]->sspan && !x->gr[k]->scls; k++)
        ;
    if (k == x->ngr && x->trace == BW_TRACE_OFF && x->rq.gr_id == NULL)
        return 0;
    /*
     * Two guardrails (the route's, then the client's): two pipelines in a
     * row, the first one's client bytes are the second one's upstream. Only
     * the last renders the trace and Bedrock's guardrail action.
     */
    x->rq0 = x->rq;
    x->rq0.trace = BW_TRACE_OFF;
    x->rq0.gr_id = NULL;
    memset(&o, 0, sizeof(o));
    o.mode = async ? BW_STREAM_ASYNC : BW_STREAM_SYNC;
    o.w = &x->w->eng;
    o.max_text = x->conf->limits.max_stream_bytes;
    o.on_end = stream_on_end;
    for (i = 0; i < x->rq.nblocks; i++) { /* the request's grounding source and query, for every pipeline */
        const struct bw_block *b = &x->rq.blocks[i];
        if ((b->quals & BW_QUAL_GROUNDING) && o.source == NULL) {
            o.source = b->text;
            o.source_len = b->len;
        } else if ((b->quals & BW_QUAL_QUERY) && o.query == NULL) {
            o.query = b->text;
            o.query_len = b->len;
        }
    }
    for (k = 0; k < x->ngr; k++) {
        struct bw_guardrail *g = x->gr[k];

        o.rq = k + 1 < x->ngr ? &x->rq0 : &x->rq;
        o.span = g->sspan;
        o.cls = g->scls;
        o.conf = g->conf;
        o.blocked_msg = bw_guardrail_blocked_message(g, BW_DIR_OUTPUT);
        x->sp_end[k].x = x;
        x->sp_end[k].g = g;
        o.ud = &x->sp_end[k];
        if ((x->sp[k] = calloc(1, sizeof(*x->sp[k]))) == NULL) {
            reply_error(x, 500, "bulwark: out of memory");
            return -1;
        }
        if ((rv = bw_spipe_init(x->sp[k], &o)) != 0) {
            free(x->sp[k]);
            x->sp[k] = NULL;
            reply_error(x, rv == BW_EINVAL ? 400 : 500,
                        rv == BW_EINVAL ? "bulwark: streamed answers of this API cannot be guarded; ask without stream"
                                        : "bulwark: out of memory");
            return -1;
        }
        x->nsp = k + 1;
    }
    return 0;
}

/* The pipeline whose bytes go to the client. */
static struct bw_spipe *sp_last(const struct ex *x)
{
    return x->sp[x->nsp - 1];
}

/* Moves the first pipeline's bytes into the second (two guardrails); its end ends the second's input. */
static void chain(struct ex *x)
{
    struct bw_spipe *a = x->sp[0], *b;

    if (x->nsp < 2)
        return;
    b = x->sp[1];
    if (a->out.len)
        bw_spipe_feed(b, a->out.base, a->out.len);
    bw_buf_reset(&a->out);
    if (a->state != BW_SPIPE_RUN && b->state == BW_SPIPE_RUN) {
        if (a->state == BW_SPIPE_FAILED)
            bw_spipe_fail(b, a->err, 502, a->why ? a->why : "bulwark: the streamed answer failed");
        else
            bw_spipe_end(b);
    }
}

/* How the pipeline ended, for the metric. */
static int send_reason(const struct bw_spipe *p, int at_eof)
{
    switch (p->state) {
    case BW_SPIPE_DONE: return BW_SEND_DONE;
    case BW_SPIPE_BLOCKED: return BW_SEND_BLOCKED;
    }
    switch (p->err) {
    case BW_EIO: return BW_SEND_UPSTREAM_ERROR;
    case BW_EPROTO: return at_eof ? BW_SEND_CUT : BW_SEND_MALFORMED;
    case BW_ELIMIT: return BW_SEND_TOO_LONG;
    case BW_ETIMEOUT: return BW_SEND_IDLE;
    }
    return BW_SEND_GUARD_ERROR;
}

/* Records the end of the pipeline once: metrics and the access log's note. */
static void stream_count(struct ex *x, int at_eof)
{
    struct bw_px_metrics *m = x->w->m;
    /* the reason is the first pipeline's when it failed (its error event only passed through the second) */
    struct bw_spipe *p = x->sp[0]->state == BW_SPIPE_FAILED ? x->sp[0] : sp_last(x);
    int reason = at_eof < 0 ? BW_SEND_CLIENT_GONE : send_reason(p, at_eof);

    if (x->sp_ended)
        return;
    x->sp_ended = 1;
    bw_px_ctr_add(&m->stream_ends[reason], 1);
    bw_px_ctr_add(&m->stream_events[0], x->sp[0]->ev_in);
    bw_px_ctr_add(&m->stream_events[1], sp_last(x)->ev_out);
    if (p->state == BW_SPIPE_FAILED && x->note == NULL)
        x->note = p->why;
    if (p->state == BW_SPIPE_FAILED)
        bw_px_log(BW_LOG_WARN, "request %s: streamed answer of %s ended with an error: %s", x->rid, x->up->name,
                  p->why ? p->why : "?");
}

/* Sends what the pipeline produced; eof ends the response. */
static void stream_out(struct ex *x, int eof)
{
    struct bw_px_stream *s = x->s;
    struct bw_buf *o = &sp_last(x)->out;

    if (!x->cut && !s->done && s->status && (o->len || eof) && s->ops->send_body(s, o->base, o->len, eof) != 0) {
        x->note = "the client does not keep up with the streamed answer";
        x->cut = 1;
        s->ops->reset(s);
    }
    bw_buf_reset(o);
}

/* The pipeline ended before the upstream: end the response and cancel the upstream, outside its callbacks. */
static void stream_end_cb(struct bw_px_timer *t)
{
    struct ex *x = (struct ex *)((char *)t - offsetof(struct ex, end_timer));

    x->ending = 0;
    stream_out(x, 1);
    finish(x);
}

static void stream_data(struct ex *x, const char *p, size_t n)
{
    if (x->ending || x->sp_ended)
        return;
    if (n)
        bw_spipe_feed(x->sp[0], p, n);
    chain(x);
    stream_out(x, 0);
    if (sp_last(x)->state != BW_SPIPE_RUN) {
        stream_count(x, 0);
        x->ending = 1;
        bw_px_up_pause(x->ur, 1);
        bw_px_timer_start(&x->w->loop, &x->end_timer, 0, stream_end_cb);
    }
}

/* Streamed pass-through: the upstream's head goes out with bulwark's headers. */
static void on_upstream_head(void *ud, struct bw_px_upres *res)
{
    struct ex *x = ud;
    struct bw_px_stream *s = x->s;
    const struct bw_hdr *cl = res_header(res, "content-length"), *ce;
    struct bw_hdr *h;
    int64_t clen = -1;
    size_t n = 0, i;

    x->res = res;
    x->status = res->status;
    /* only a successful generation is guarded; errors go back as they are */
    if (x->nsp && (res->status < 200 || res->status > 299 || s->req.is_head))
        x->sp_pass = 1;
    if (x->nsp && !x->sp_pass)
        cl = NULL; /* the guarded body is not the upstream's */
    if (cl && cl->value.len && cl->value.len < 19) {
        clen = 0;
        for (i = 0; i < cl->value.len && clen >= 0; i++)
            clen = ('0' <= cl->value.base[i] && cl->value.base[i] <= '9') ? clen * 10 + (cl->value.base[i] - '0')
                                                                           : -1;
    }
    if ((h = bw_arena_alloc(&s->arena, (res->nh + 2) * sizeof(*h))) == NULL) {
        s->ops->reset(s);
        return;
    }
    for (i = 0; i < res->nh; i++) {
        if (res->h[i].name.len > 10 && strncasecmp(res->h[i].name.base, "x-bulwark-", 10) == 0)
            continue;
        if (x->nsp && !x->sp_pass &&
            (name_is(&res->h[i].name, "content-length") || name_is(&res->h[i].name, "content-encoding")))
            continue;
        h[n++] = res->h[i];
    }
    /* a guarded stream's head goes before its answer is known: the input's verdict; the final event has the rest */
    add_hdr(h, &n, "x-bulwark-action", intervened(x) ? "INTERVENED" : "NONE");
    add_hdr(h, &n, "x-bulwark-request-id", x->rid);
    if (s->ops->send_head(s, res->status, h, n, clen) != 0) {
        x->cut = 1;
        s->ops->reset(s);
        return;
    }
    if (x->nsp && !x->sp_pass && (ce = res_header(res, "content-encoding")) != NULL &&
        !(ce->value.len == 8 && strncasecmp(ce->value.base, "identity", 8) == 0)) {
        /* cannot be read, so cannot be guarded: the API's error event instead */
        x->fault[1] = 1;
        bw_spipe_fail(x->sp[0], BW_EPROTO, 502, "bulwark: the upstream answer is compressed and cannot be guarded");
        stream_data(x, NULL, 0);
    }
}

static void on_upstream_data(void *ud, const char *p, size_t n)
{
    struct ex *x = ud;

    if (x->nsp && !x->sp_pass) {
        stream_data(x, p, n);
        if (!x->paused && !x->ending && x->ur && x->s->ops->pending(x->s) > BW_PX_STREAM_HIGH) {
            x->paused = 1;
            bw_px_up_pause(x->ur, 1);
        }
        return;
    }

    /*
     * A client that went away: its abort (deferred) releases the upstream
     * request. A client that reads so slowly that the capped buffers fill:
     * cut, rather than drop bytes from the middle of its answer.
     */
    if (!x->cut && !x->s->done && x->s->status && x->s->ops->send_body(x->s, p, n, 0) != 0) {
        x->note = "the client does not keep up with the streamed answer";
        x->cut = 1;
        x->s->ops->reset(x->s);
        return;
    }
    if (!x->paused && x->s->ops->pending(x->s) > BW_PX_STREAM_HIGH) {
        x->paused = 1;
        bw_px_up_pause(x->ur, 1);
    }
}

static void on_upstream(void *ud, struct bw_px_upres *res)
{
    struct ex *x = ud;
    const struct bw_hdr *ce;
    struct bw_iov *masked = NULL;
    struct bw_trace tr;
    struct bw_buf out;
    char err[256];
    int v = V_NONE, rv, rewrite;

    x->res = res;
    bw_px_metrics_observe(x->w->m, BW_H_UPSTREAM, res->ns);
    if (res->head_sent && x->nsp && !x->sp_pass) {
        /* a guarded stream: the pipeline ends it in the API's own way */
        if (res->rv != 0) {
            unsigned slot = x->rt ? x->rt->metric_slot : 0;
            bw_px_ctr_add(&x->w->m->upstream_fail[slot][res->fail], 1);
            if (res->rv == BW_ETIMEOUT)
                bw_spipe_fail(x->sp[0], BW_ETIMEOUT, 504, "bulwark: the upstream stopped sending in time");
            else
                bw_spipe_fail(x->sp[0], BW_EPROTO, 502, "bulwark: the upstream broke off the streamed answer");
            if (x->note == NULL)
                x->note = res->err;
        } else {
            bw_spipe_end(x->sp[0]);
        }
        chain(x);
        stream_out(x, 1);
        stream_count(x, 1);
        finish(x);
        return;
    }
    if (res->head_sent) {
        /* streamed: the head went out already; end the body, or cut it off */
        if (res->rv != 0) {
            unsigned slot = x->rt ? x->rt->metric_slot : 0;
            bw_px_ctr_add(&x->w->m->upstream_fail[slot][res->fail], 1);
            x->note = res->err;
            if (!x->s->done && !x->cut)
                x->s->ops->reset(x->s);
        } else if (!x->s->done && !x->cut)
            x->s->ops->send_body(x->s, NULL, 0, 1);
        finish(x);
        return;
    }
    if (res->rv != 0) {
        unsigned slot = x->rt ? x->rt->metric_slot : 0;
        bw_px_ctr_add(&x->w->m->upstream_fail[slot][res->fail], 1);
        x->note = res->err;
        bw_px_log(BW_LOG_WARN, "request %s: upstream %s: %s", x->rid, x->up->name, res->err);
        if (res->rv == BW_ETIMEOUT)
            reply_error(x, 504, "bulwark: the upstream did not answer in time");
        else if (res->rv == BW_ELIMIT)
            reply_error(x, 502, "bulwark: the upstream answer is too large");
        else
            reply_error(x, 502, "bulwark: the upstream could not be reached or closed the connection");
        return;
    }
    /*
     * Only a successful generation is guarded; errors and other answers go
     * back as they are. A streamed answer reaches here only on a route that
     * does not guard the output (guarded() refused the others): as is.
     */
    if (x->ngr == 0 || !x->have_rq || res->status < 200 || res->status > 299 || x->s->req.is_head ||
        x->rq.stream || (!x->rt->output && x->trace == BW_TRACE_OFF && x->rq.gr_id == NULL)) {
        pass_answer(x, res->body.base ? res->body.base : "", res->body.len);
        return;
    }
    if ((ce = res_header(res, "content-encoding")) != NULL &&
        !(ce->value.len == 8 && strncasecmp(ce->value.base, "identity", 8) == 0)) {
        if (fault(x, 1, 502, "bulwark: the upstream answer is compressed and cannot be guarded") == 0)
            pass_answer(x, res->body.base ? res->body.base : "", res->body.len);
        return;
    }
    err[0] = '\0';
    rv = bw_adapter_parse_response(&x->rq, &x->aopts, res->body.base ? res->body.base : "", res->body.len,
                                   &x->s->arena, &x->rs, err, sizeof(err));
    if (rv != 0) {
        if (rv == BW_EINVAL)
            bw_px_log(BW_LOG_WARN, "request %s: answer of %s not understood: %s", x->rid, x->up->name, err);
        if (fault(x, 1, 502, "bulwark: the upstream answer could not be read, so it cannot be guarded") == 0)
            pass_answer(x, res->body.base ? res->body.base : "", res->body.len);
        return;
    }
    x->have_rs = 1;
    if (x->rt->output && x->rs.nblocks) {
        rv = guard(x, BW_DIR_OUTPUT, x->rs.blocks, x->rs.nblocks, &masked, &v);
        if (rv != 0) {
            if (fault(x, 1, 500, "bulwark: the output guardrail failed; the answer is withheld") != 0)
                return;
            v = V_NONE;
            masked = NULL;
        }
    }
    x->verdict[1] = v;
    if (v == V_BLOCKED) {
        answer_blocked(x, BW_DIR_OUTPUT, model_output(x));
        return;
    }
    /* a rewrite when text was masked, when a trace is asked, or for Bedrock's guardrailAction */
    rewrite = v == V_MASKED || x->trace != BW_TRACE_OFF || x->rq.gr_id != NULL;
    if (!rewrite) {
        pass_answer(x, res->body.base ? res->body.base : "", res->body.len);
        return;
    }
    fill_trace(x, &tr, NULL);
    bw_buf_init(&out, BW_MAX_BODY_BYTES);
    if (bw_adapter_response_body(&x->rq, &x->rs, masked, &tr, &out) != 0) {
        bw_buf_free(&out);
        /* never let a masked answer out unmasked */
        if (v == V_MASKED || fault(x, 1, 500, "bulwark: cannot rewrite the answer") != 0) {
            if (v == V_MASKED)
                reply_error(x, 500, "bulwark: cannot rewrite the masked answer");
            return;
        }
        pass_answer(x, res->body.base ? res->body.base : "", res->body.len);
        return;
    }
    reply(x, res->status, res->h, res->nh, NULL, out.base ? out.base : "", out.len);
    bw_buf_free(&out);
}

static int client_may_name(const struct bw_px_route_conf *rt, const char *id)
{
    size_t i;
    const char *slash;

    if (rt->client_any)
        return 1;
    if (strncmp(id, "arn:", 4) == 0 && (slash = strrchr(id, '/')) != NULL)
        id = slash + 1;
    for (i = 0; i < rt->nclient; i++)
        if (strcmp(rt->client_ids[i], id) == 0)
            return 1;
    return 0;
}

static void guarded(struct ex *x)
{
    struct bw_px_stream *s = x->s;
    struct bw_guardrail *rg = x->gen->route_gr[x->rt - x->conf->routes];
    struct bw_iov *masked = NULL;
    char err[512], msg[600];
    int rv, v = V_NONE;

    x->aopts.in_ptrs = x->rt->gen_in;
    x->aopts.nin = x->rt->ngen_in;
    x->aopts.out_ptrs = x->rt->gen_out;
    x->aopts.nout = x->rt->ngen_out;
    err[0] = '\0';
    rv = bw_adapter_parse_request(x->api, x->path, &x->aopts, s->req.h, s->req.nh,
                                  s->req.body.base ? s->req.body.base : "", s->req.body.len, &s->arena, &x->rq, err,
                                  sizeof(err));
    if (rv != 0) {
        x->note = "request not understood";
        reply_error(x, rv == BW_EINVAL ? 400 : rv == BW_ELIMIT ? 413 : 500, err[0] ? err : bw_strerror(rv));
        return;
    }
    x->have_rq = 1;
    if (rg)
        x->gr[x->ngr++] = rg;
    if (x->rq.gr_id) {
        struct bw_guardrail *cg = bw_registry_get(x->gen->reg, x->rq.gr_id, x->rq.gr_version);
        /* naming the route's own guardrail adds nothing and is always allowed */
        if ((cg == NULL || cg != rg) && !client_may_name(x->rt, x->rq.gr_id)) {
            snprintf(msg, sizeof(msg), "guardrail %s is not allowed on this route", x->rq.gr_id);
            reply_error(x, 403, msg);
            return;
        }
        if (cg == NULL) {
            snprintf(msg, sizeof(msg), "guardrail %s version %s was not found", x->rq.gr_id,
                     x->rq.gr_version ? x->rq.gr_version : "DRAFT");
            reply_error(x, 404, msg);
            return;
        }
        if (cg != rg)
            x->gr[x->ngr++] = cg;
    }
    x->trace = x->rt->trace ? x->rq.trace : BW_TRACE_OFF;
    bw_buf_init(&x->tr[0], BW_MAX_BODY_BYTES);
    bw_buf_init(&x->tr[1], BW_MAX_BODY_BYTES);
    /* a streamed answer on a route that guards answers goes through the streaming output guard */
    if (x->rq.stream && x->ngr && x->rt->output && stream_setup(x) != 0)
        return;
    if (x->ngr && x->rt->input && x->rq.nblocks) {
        rv = guard(x, BW_DIR_INPUT, x->rq.blocks, x->rq.nblocks, &masked, &v);
        if (rv == BW_EUTF8) {
            reply_error(x, 400, "the request text is not valid UTF-8");
            return;
        }
        if (rv != 0) {
            if (fault(x, 0, 500, "bulwark: the input guardrail failed; the request is refused") != 0)
                return;
            v = V_NONE;
            masked = NULL;
        }
    }
    x->verdict[0] = v;
    if (v == V_BLOCKED) {
        answer_blocked(x, BW_DIR_INPUT, NULL);
        return;
    }
    x->up_body = s->req.body.base;
    x->up_len = s->req.body.len;
    if (bw_adapter_request_changed(&x->rq, masked)) {
        bw_buf_init(&x->body_up, BW_MAX_BODY_BYTES);
        if (bw_adapter_request_body(&x->rq, masked, &x->body_up) != 0) {
            reply_error(x, 500, "bulwark: cannot rewrite the request");
            return;
        }
        x->up_body = x->body_up.base ? x->body_up.base : "";
        x->up_len = x->body_up.len;
    }
    forward(x);
}

static void do_apply(struct ex *x, const char *id, const char *ver)
{
    struct bw_px_stream *s = x->s;
    struct bw_guardrail *g = bw_registry_get(x->gen->reg, id, ver);
    struct bw_apply_req ar;
    struct bw_apply_res res;
    struct bw_buf out;
    char err[512];
    int rv;

    x->api = BW_API_APPLY;
    if (g == NULL) {
        snprintf(err, sizeof(err), "The guardrail %.200s with version %.20s was not found.", id,
                 ver[0] ? ver : "DRAFT");
        reply_bedrock(x, 404, "ResourceNotFoundException", err);
        return;
    }
    x->gr[x->ngr++] = g;
    memset(&ar, 0, sizeof(ar));
    err[0] = '\0';
    if (bw_apply_parse(s->req.body.base ? s->req.body.base : "", s->req.body.len, &s->arena, &ar, err,
                       sizeof(err)) != 0) {
        reply_bedrock(x, 400, "ValidationException", err[0] ? err : "Invalid request body.");
        return;
    }
    memset(&res, 0, sizeof(res));
    {
        uint64_t t0 = bw_px_clock_ns(), dt;
        rv = bw_apply(g, &x->w->eng, &ar, &res, err, sizeof(err));
        dt = bw_px_clock_ns() - t0;
        x->guard_ns[ar.dir ? 1 : 0] = dt;
        bw_px_metrics_observe(x->w->m, ar.dir ? BW_H_GUARD_OUT : BW_H_GUARD_IN, dt);
    }
    if (rv == BW_EUTF8 || rv == BW_EINVAL) {
        reply_bedrock(x, 400, "ValidationException", err[0] ? err : bw_strerror(rv));
        return;
    }
    if (rv != 0) {
        bw_px_ctr_add(&x->w->m->guard_errors[ar.dir ? 1 : 0], 1);
        reply_bedrock(x, 500, "InternalServerException", "The guardrail failed to evaluate the content.");
        return;
    }
    audit(x, g, ar.dir ? 1 : 0, &res);
    x->verdict[ar.dir ? 1 : 0] = res.blocked ? V_BLOCKED : res.masked ? V_MASKED : V_NONE;
    bw_buf_init(&out, BW_MAX_BODY_BYTES);
    if (bw_apply_render(g, &ar, &res, &out) != 0) {
        bw_buf_free(&out);
        reply_bedrock(x, 500, "InternalServerException", "The response could not be rendered.");
        return;
    }
    reply(x, 200, NULL, 0, "application/json", out.base ? out.base : "", out.len);
    bw_buf_free(&out);
}

static void on_request(struct bw_px_stream *s)
{
    struct bw_px_worker *w = worker_of(s);
    struct bw_px_req *r = &s->req;
    const struct bw_hdr *rid;
    struct ex *x;
    char id[2100], ver[64], msg[300];
    int ri;

    if ((x = bw_arena_calloc(&s->arena, sizeof(*x))) == NULL) {
        bw_px_respond_error(s, 500, "out of memory", NULL, 0);
        return;
    }
    s->hdata = x;
    x->s = s;
    x->w = w;
    x->gen = w->gen;
    bw_px_gen_ref(x->gen);
    x->conf = x->gen->conf;
    if ((rid = bw_px_req_header(r, "x-request-id")) != NULL && is_sane_id(&rid->value))
        snprintf(x->rid, sizeof(x->rid), "%.*s", (int)rid->value.len, rid->value.base);
    else
        bw_px_fmt_hex16(x->rid, s->id);

    if (x->conf->apply_api && strcmp(r->method.base, "POST") == 0 &&
        bw_px_apply_path(r->path.base, r->path.len, id, sizeof(id), ver, sizeof(ver)) == 0) {
        do_apply(x, id, ver);
        return;
    }
    x->api = bw_api_detect(r->method.base, r->path.base, r->path.len);
    if ((ri = match_route(x->conf, r)) < 0) {
        snprintf(msg, sizeof(msg), "bulwark: no route for %.*s", (int)BW_MIN(r->path.len, 200), r->path.base);
        reply_error(x, 404, msg);
        return;
    }
    x->rt = &x->conf->routes[ri];
    x->up = &x->conf->upstreams[x->rt->upstream];
    x->sigv4 = x->up->has_sigv4;
    x->path = r->path.base;
    x->plen = r->path.len;
    if (x->rt->strip_prefix && x->rt->plen > 1) {
        const char *rest = r->path.base + x->rt->plen;
        size_t rl = r->path.len - x->rt->plen;
        char *p = bw_arena_alloc(&s->arena, rl + 2);
        if (p == NULL) {
            reply_error(x, 500, "bulwark: out of memory");
            return;
        }
        p[0] = '/';
        memcpy(p + (rest[0] != '/'), rest, rl);
        p[rl + (rest[0] != '/')] = '\0';
        x->path = p;
        x->plen = rl + (rest[0] != '/');
    }
    x->api = api_for(x->rt, r, x->path, x->plen);
    if (x->api != BW_API_NONE && (x->gen->route_gr[ri] || x->rt->nclient || x->rt->client_any)) {
        guarded(x);
        return;
    }
    /* no adapter for this request, or no guardrail on this route */
    if (x->gen->route_gr[ri] && r->body.len && !x->rt->passthrough_unknown) {
        snprintf(msg, sizeof(msg),
                 "bulwark: %s %.*s cannot be guarded on route %s (set \"passthrough_unknown\" to forward it)",
                 r->method.base, (int)BW_MIN(r->path.len, 200), r->path.base, x->rt->name);
        reply_error(x, 400, msg);
        return;
    }
    x->up_body = r->body.base;
    x->up_len = r->body.len;
    forward(x);
}

static void on_writable(struct bw_px_stream *s)
{
    struct ex *x = s->hdata;

    if (x && x->paused && !x->ending && x->ur && s->ops->pending(s) < BW_PX_STREAM_LOW) {
        x->paused = 0;
        bw_px_up_pause(x->ur, 0);
    }
}

static void on_abort(struct bw_px_stream *s)
{
    struct ex *x = s->hdata;

    if (x == NULL)
        return;
    /* the client went away first: nginx's 499 */
    if (x->nsp && !x->sp_pass && !x->sp_ended && sp_last(x)->state == BW_SPIPE_RUN)
        stream_count(x, -1);
    x->status = 499;
    x->note = "client closed the connection";
    finish(x);
}

static int on_error_body(struct bw_px_stream *s, int status, const char *msg, struct bw_buf *out,
                         const char **ctype)
{
    const char *errtype;
    int api = s->req.method.base && s->req.path.base
                  ? bw_api_detect(s->req.method.base, s->req.path.base, s->req.path.len)
                  : BW_API_NONE;

    return error_body(api, status, msg, out, ctype, &errtype);
}

/* The session answered an error itself (400, 413, 431): log it as an exchange. */
static void on_rejected(struct bw_px_stream *s, int status, const char *msg)
{
    struct bw_px_worker *w = worker_of(s);
    struct ex x;

    memset(&x, 0, sizeof(x));
    x.s = s;
    x.w = w;
    x.status = status;
    x.note = msg;
    if (s->req.method.base && s->req.path.base)
        x.api = bw_api_detect(s->req.method.base, s->req.path.base, s->req.path.len);
    snprintf(x.rid, sizeof(x.rid), "%016llx", (unsigned long long)s->id);
    if (s->t0_ns == 0)
        s->t0_ns = bw_px_clock_ns();
    bw_px_ctr_add(&w->m->req[0][bw_px_metrics_status_idx(status)][0], 1);
    access_log(&x);
}

const struct bw_px_handler bw_px_exchange_handler = {
    .name = "exchange",
    .on_request = on_request,
    .on_abort = on_abort,
    .on_writable = on_writable,
    .error_body = on_error_body,
    .on_rejected = on_rejected,
};
