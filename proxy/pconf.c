/*
 * pconf.c: loading and validating conf/bulwark.json.
 *
 * cJSON accepts duplicate keys, is case-insensitive by default and has no
 * schema, so each object is walked here against a table of its keys. Every
 * problem is added to the error list with its JSON path and loading goes
 * on, so one `bulwark check --config` run reports the whole file.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filters/buf.h"
#include "filters/limits.h"
#include "policies/gconf.h"
#include "policies/json.h"
#include "proxy/pconf.h"

#define PATH_MAX_LEN 512

struct ld {
    struct bw_pconf *c;
    struct bw_errs *errs;
    char path[PATH_MAX_LEN];
    size_t plen;
};

/* JSON paths: "routes[2].upstream" */

static size_t push_key(struct ld *l, const char *key)
{
    size_t old = l->plen;
    int n = snprintf(l->path + l->plen, sizeof(l->path) - l->plen, "%s%s", l->plen ? "." : "", key);

    if (n > 0)
        l->plen = BW_MIN(l->plen + (size_t)n, sizeof(l->path) - 1);
    return old;
}

static size_t push_idx(struct ld *l, size_t i)
{
    size_t old = l->plen;
    int n = snprintf(l->path + l->plen, sizeof(l->path) - l->plen, "[%zu]", i);

    if (n > 0)
        l->plen = BW_MIN(l->plen + (size_t)n, sizeof(l->path) - 1);
    return old;
}

static void pop(struct ld *l, size_t old)
{
    l->plen = old;
    l->path[old] = '\0';
}

#define ERR(l, ...) bw_errs_add((l)->errs, (l)->path, __VA_ARGS__)

static const char *suggest(const char *name, const char *const *names, size_t n)
{
    return bw_json_suggest(name, names, n);
}

/*
 * Checks obj is an object whose keys are all in allowed (NULL-terminated).
 * Duplicate keys were reported by bw_json_parse(). Returns 0 when it is an
 * object (even with bad keys).
 */
static int check_obj(struct ld *l, const cJSON *obj, const char *const *allowed)
{
    const cJSON *it, *jt;
    size_t nallowed = 0;

    if (!cJSON_IsObject(obj)) {
        ERR(l, "expected an object");
        return -1;
    }
    while (allowed[nallowed])
        nallowed++;
    cJSON_ArrayForEach(it, obj)
    {
        size_t i, old;
        int ok = 0;

        for (i = 0; i < nallowed; i++)
            if (strcmp(it->string, allowed[i]) == 0)
                ok = 1;
        for (jt = obj->child; jt != it; jt = jt->next)
            if (strcmp(jt->string, it->string) == 0)
                ok = 2; /* a duplicate: already reported */
        if (ok)
            continue;
        old = push_key(l, it->string);
        {
            const char *s = suggest(it->string, allowed, nallowed);
            if (s)
                ERR(l, "unknown key (did you mean \"%s\"?)", s);
            else
                ERR(l, "unknown key");
        }
        pop(l, old);
    }
    return 0;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? bw_json_member(obj, key) : NULL;
}

static char *dup_str(struct ld *l, const char *s)
{
    return bw_arena_strndup(&l->c->arena, s, strlen(s));
}

/* A string member; NULL (and an error when required) when absent or not a string. */
static const char *get_str(struct ld *l, const cJSON *obj, const char *key, int required)
{
    const cJSON *v = get(obj, key);
    size_t old;
    const char *s = NULL;

    if (v == NULL) {
        if (required) {
            old = push_key(l, key);
            ERR(l, "missing (required)");
            pop(l, old);
        }
        return NULL;
    }
    old = push_key(l, key);
    if (!cJSON_IsString(v))
        ERR(l, "expected a string");
    else if (v->valuestring[0] == '\0')
        ERR(l, "must not be empty");
    else
        s = dup_str(l, v->valuestring);
    pop(l, old);
    return s;
}

static int get_bool(struct ld *l, const cJSON *obj, const char *key, int dflt)
{
    const cJSON *v = get(obj, key);
    size_t old;

    if (v == NULL)
        return dflt;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    old = push_key(l, key);
    ERR(l, "expected true or false");
    pop(l, old);
    return dflt;
}

static unsigned long long get_uint(struct ld *l, const cJSON *obj, const char *key, unsigned long long dflt,
                                   unsigned long long min, unsigned long long max)
{
    const cJSON *v = get(obj, key);
    size_t old;
    double d;

    if (v == NULL)
        return dflt;
    old = push_key(l, key);
    d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!cJSON_IsNumber(v) || d < (double)min || d > (double)max || d != (double)(unsigned long long)d) {
        ERR(l, "expected an integer from %llu to %llu", min, max);
        pop(l, old);
        return dflt;
    }
    pop(l, old);
    return (unsigned long long)d;
}

static int get_enum(struct ld *l, const cJSON *obj, const char *key, const char *const *names, int dflt)
{
    const char *s = get_str(l, obj, key, 0);
    size_t i, n = 0, old;
    struct bw_buf b;

    if (s == NULL)
        return dflt;
    for (i = 0; names[i]; i++, n++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    bw_buf_init(&b, 1024);
    for (i = 0; i < n; i++)
        bw_buf_printf(&b, "%s\"%s\"", i ? ", " : "", names[i]);
    old = push_key(l, key);
    ERR(l, "unknown value \"%s\" (expected one of %s)", s, b.base ? b.base : "");
    pop(l, old);
    bw_buf_free(&b);
    return dflt;
}

/* Relative paths resolve against the configuration's directory. */
static const char *resolve(struct ld *l, const char *p)
{
    struct bw_buf b;
    const char *r;

    if (p == NULL || p[0] == '/' || l->c->dir == NULL)
        return p;
    bw_buf_init(&b, 8192);
    if (bw_buf_printf(&b, "%s/%s", l->c->dir, p) != 0) {
        bw_buf_free(&b);
        return p;
    }
    r = dup_str(l, b.base);
    bw_buf_free(&b);
    return r;
}

static int file_readable(const char *p)
{
    FILE *f = fopen(p, "rb");

    if (f == NULL)
        return 0;
    fclose(f);
    return 1;
}

/* ${VAR} from the environment, $$ for a dollar; NULL after an error. */
static const char *expand(struct ld *l, const char *s)
{
    struct bw_buf b;
    const char *p = s, *r = NULL;

    if (s == NULL || strchr(s, '$') == NULL)
        return s;
    bw_buf_init(&b, 64 * 1024);
    while (*p) {
        if (p[0] == '$' && p[1] == '$') {
            bw_buf_addc(&b, '$');
            p += 2;
        } else if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            char name[256];
            const char *v;
            size_t n;
            if (end == NULL || (n = (size_t)(end - p - 2)) == 0 || n >= sizeof(name)) {
                ERR(l, "bad ${VARIABLE} reference");
                goto out;
            }
            memcpy(name, p + 2, n);
            name[n] = '\0';
            if ((v = getenv(name)) == NULL) {
                ERR(l, "environment variable %s is not set", name);
                goto out;
            }
            bw_buf_adds(&b, v);
            p = end + 1;
        } else {
            bw_buf_addc(&b, *p++);
        }
    }
    r = bw_arena_strndup(&l->c->arena, b.base ? b.base : "", b.len);
out:
    bw_buf_free(&b);
    return r;
}

int bw_px_parse_addr(const char *s, struct sockaddr_storage *sa, socklen_t *salen)
{
    char host[256];
    const char *colon, *port;
    struct addrinfo hints, *res = NULL;
    char *end;
    unsigned long pn;
    size_t hl;

    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':')
            return BW_EINVAL;
        hl = (size_t)(rb - s - 1);
        if (hl >= sizeof(host))
            return BW_EINVAL;
        memcpy(host, s + 1, hl);
        port = rb + 2;
    } else {
        if ((colon = strrchr(s, ':')) == NULL)
            return BW_EINVAL;
        hl = (size_t)(colon - s);
        if (hl >= sizeof(host) || memchr(s, ':', hl) != NULL)
            return BW_EINVAL;
        memcpy(host, s, hl);
        port = colon + 1;
    }
    host[hl] = '\0';
    if (*port == '\0')
        return BW_EINVAL;
    errno = 0;
    pn = strtoul(port, &end, 10);
    if (*end != '\0' || errno || pn > 65535 || port[0] == '-' || port[0] == '+')
        return BW_EINVAL;
    if (strcmp(host, "localhost") == 0)
        memcpy(host, "127.0.0.1", sizeof("127.0.0.1"));
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(hl == 0 || strcmp(host, "*") == 0 ? NULL : host, port, &hints, &res) != 0 || res == NULL)
        return BW_EINVAL;
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *salen = res->ai_addrlen;
    freeaddrinfo(res);
    return BW_OK;
}

static const char *const tls_keys[] = {"certificate", "private_key", "min_version", "ciphers", NULL};

static void load_listener(struct ld *l, const cJSON *o, struct bw_px_listener_conf *lc, int admin)
{
    static const char *const keys[] = {"address", "tls", "http2", NULL};
    static const char *const tlsv[] = {"TLSv1.2", "TLSv1.3", NULL};
    const cJSON *t;
    const char *a;
    size_t old;

    if (check_obj(l, o, keys) != 0)
        return;
    a = get_str(l, o, "address", 1);
    if (a) {
        lc->addr.text = a;
        if (bw_px_parse_addr(a, &lc->addr.sa, &lc->addr.salen) != 0) {
            old = push_key(l, "address");
            ERR(l, "\"%s\" is not HOST:PORT with a numeric address", a);
            pop(l, old);
        }
    }
    lc->http2 = get_bool(l, o, "http2", !admin);
    if ((t = get(o, "tls")) != NULL) {
        old = push_key(l, "tls");
        if (check_obj(l, t, tls_keys) == 0) {
            lc->tls = 1;
            lc->tlsc.certificate = resolve(l, get_str(l, t, "certificate", 1));
            lc->tlsc.private_key = resolve(l, get_str(l, t, "private_key", 1));
            lc->tlsc.min_version = get_enum(l, t, "min_version", tlsv, 0) == 1 ? TLS1_3_VERSION : TLS1_2_VERSION;
            lc->tlsc.ciphers = get_str(l, t, "ciphers", 0);
            if (lc->tlsc.certificate && !file_readable(lc->tlsc.certificate)) {
                size_t o2 = push_key(l, "certificate");
                ERR(l, "cannot read %s: %s", lc->tlsc.certificate, strerror(errno));
                pop(l, o2);
            }
            if (lc->tlsc.private_key && !file_readable(lc->tlsc.private_key)) {
                size_t o2 = push_key(l, "private_key");
                ERR(l, "cannot read %s: %s", lc->tlsc.private_key, strerror(errno));
                pop(l, o2);
            }
        }
        pop(l, old);
    }
}

static int valid_token(const char *s)
{
    /* RFC 9110 token characters, lower-cased by the loader */
    for (; *s; s++)
        if (!(('a' <= *s && *s <= 'z') || ('0' <= *s && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
            return 0;
    return 1;
}

static void load_headers(struct ld *l, const cJSON *arr, struct bw_px_upstream_conf *u)
{
    static const char *const keys[] = {"name", "value", "add_only", NULL};
    struct bw_px_hdr_conf *h;
    const cJSON *it;
    size_t i = 0, n;

    if (!cJSON_IsArray(arr)) {
        ERR(l, "expected an array of {\"name\", \"value\"}");
        return;
    }
    n = (size_t)cJSON_GetArraySize(arr);
    if ((h = bw_arena_calloc(&l->c->arena, (n ? n : 1) * sizeof(*h))) == NULL)
        return;
    cJSON_ArrayForEach(it, arr)
    {
        size_t old = push_idx(l, i++);
        char *name;
        if (check_obj(l, it, keys) == 0) {
            const char *nm = get_str(l, it, "name", 1);
            const char *val = get_str(l, it, "value", 1);
            if (nm) {
                name = dup_str(l, nm);
                for (char *p = name; *p; p++)
                    if ('A' <= *p && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
                h[u->nheaders].name = name;
                if (!valid_token(name) || name[0] == ':') {
                    size_t o2 = push_key(l, "name");
                    ERR(l, "\"%s\" is not a header name", nm);
                    pop(l, o2);
                }
            }
            if (val) {
                size_t o2 = push_key(l, "value");
                h[u->nheaders].value = expand(l, val);
                if (h[u->nheaders].value && strpbrk(h[u->nheaders].value, "\r\n\0"))
                    ERR(l, "header values must not contain CR or LF");
                pop(l, o2);
            }
            h[u->nheaders].add_only = get_bool(l, it, "add_only", 0);
            if (nm && val)
                u->nheaders++;
        }
        pop(l, old);
    }
    u->headers = h;
}

static void load_upstream(struct ld *l, const cJSON *o, struct bw_px_upstream_conf *u)
{
    static const char *const keys[] = {"name", "url", "connect_timeout_ms", "response_timeout_ms",
                                       "idle_timeout_ms", "http_version", "tls", "headers", "retries",
                                       "aws_sigv4", NULL};
    static const char *const utls_keys[] = {"ca_file", "verify", NULL};
    static const char *const sig_keys[] = {"region", "service", "access_key_id", "secret_access_key",
                                           "session_token", NULL};
    static const char *const vers[] = {"auto", "1.1", "2", NULL};
    const cJSON *t;
    const char *url;
    size_t old;

    if (check_obj(l, o, keys) != 0)
        return;
    u->name = get_str(l, o, "name", 1);
    url = get_str(l, o, "url", 1);
    if (url) {
        const char *rest = NULL;
        char *d;
        size_t n;
        if (strncmp(url, "http://", 7) == 0)
            rest = url + 7;
        else if (strncmp(url, "https://", 8) == 0) {
            rest = url + 8;
            u->https = 1;
        }
        old = push_key(l, "url");
        if (rest == NULL || *rest == '\0' || *rest == '/')
            ERR(l, "\"%s\" is not an http:// or https:// URL with a host", url);
        else if (strpbrk(url, "?#@ "))
            ERR(l, "\"%s\": the URL must not have a query, fragment, user or spaces", url);
        pop(l, old);
        d = dup_str(l, url);
        n = strlen(d);
        while (n > 0 && d[n - 1] == '/' && (size_t)(d + n - 1 - d) > (size_t)(rest ? rest - url : 0))
            d[--n] = '\0';
        u->url = d;
    }
    u->connect_timeout_ms = (unsigned)get_uint(l, o, "connect_timeout_ms", 2000, 1, 600000);
    u->response_timeout_ms = (unsigned)get_uint(l, o, "response_timeout_ms", 120000, 1, 3600000);
    u->idle_timeout_ms = (unsigned)get_uint(l, o, "idle_timeout_ms", 60000, 1, 3600000);
    u->http = get_enum(l, o, "http_version", vers, BW_PX_HTTP_AUTO);
    u->retries = (unsigned)get_uint(l, o, "retries", 1, 0, 5);
    u->tls_verify = 1;
    if ((t = get(o, "tls")) != NULL) {
        old = push_key(l, "tls");
        if (check_obj(l, t, utls_keys) == 0) {
            u->ca_file = resolve(l, get_str(l, t, "ca_file", 0));
            u->tls_verify = get_bool(l, t, "verify", 1);
            if (u->ca_file && !file_readable(u->ca_file)) {
                size_t o2 = push_key(l, "ca_file");
                ERR(l, "cannot read %s: %s", u->ca_file, strerror(errno));
                pop(l, o2);
            }
        }
        pop(l, old);
    }
    if ((t = get(o, "headers")) != NULL) {
        old = push_key(l, "headers");
        load_headers(l, t, u);
        pop(l, old);
    }
    if ((t = get(o, "aws_sigv4")) != NULL) {
        old = push_key(l, "aws_sigv4");
        if (check_obj(l, t, sig_keys) == 0) {
            struct bw_px_sigv4_conf *s = &u->sigv4;
            size_t o2;
            u->has_sigv4 = 1;
            s->region = get_str(l, t, "region", 1);
            s->service = get_str(l, t, "service", 0);
            if (s->service == NULL)
                s->service = "bedrock";
            o2 = push_key(l, "access_key_id");
            s->access_key = expand(l, get_str(l, t, "access_key_id", 0));
            pop(l, o2);
            o2 = push_key(l, "secret_access_key");
            s->secret_key = expand(l, get_str(l, t, "secret_access_key", 0));
            pop(l, o2);
            o2 = push_key(l, "session_token");
            s->session_token = expand(l, get_str(l, t, "session_token", 0));
            pop(l, o2);
            if (get(t, "access_key_id") == NULL)
                s->access_key = expand(l, "${AWS_ACCESS_KEY_ID}");
            if (get(t, "secret_access_key") == NULL)
                s->secret_key = expand(l, "${AWS_SECRET_ACCESS_KEY}");
            if (get(t, "session_token") == NULL && getenv("AWS_SESSION_TOKEN"))
                s->session_token = expand(l, "${AWS_SESSION_TOKEN}");
        }
        pop(l, old);
    }
}

static int find_upstream(const struct bw_pconf *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->nupstreams; i++)
        if (c->upstreams[i].name && strcmp(c->upstreams[i].name, name) == 0)
            return (int)i;
    return -1;
}

int bw_pconf_guardrail(const struct bw_pconf *c, const char *id, const char *version)
{
    size_t i;

    for (i = 0; i < c->nguardrails; i++) {
        const struct bw_px_grd_conf *g = &c->guardrails[i];
        if (g->id && strcmp(g->id, id) == 0 && (version == NULL || (g->version && strcmp(g->version, version) == 0)))
            return (int)i;
    }
    return -1;
}

/* Names, for "did you mean" on cross references. */
static const char **names_of(struct ld *l, int upstreams, size_t *n)
{
    struct bw_pconf *c = l->c;
    size_t i, k = upstreams ? c->nupstreams : c->nguardrails;
    const char **v = bw_arena_calloc(&c->arena, (k + 1) * sizeof(*v));

    *n = 0;
    if (v == NULL)
        return NULL;
    for (i = 0; i < k; i++) {
        const char *s = upstreams ? c->upstreams[i].name : c->guardrails[i].id;
        if (s)
            v[(*n)++] = s;
    }
    return v;
}

static const char *const *str_list(struct ld *l, const cJSON *arr, size_t *n)
{
    const char **v;
    const cJSON *it;
    size_t i = 0;

    *n = 0;
    if (!cJSON_IsArray(arr)) {
        ERR(l, "expected an array of strings");
        return NULL;
    }
    if ((v = bw_arena_calloc(&l->c->arena, ((size_t)cJSON_GetArraySize(arr) + 1) * sizeof(*v))) == NULL)
        return NULL;
    cJSON_ArrayForEach(it, arr)
    {
        size_t old = push_idx(l, i++);
        if (!cJSON_IsString(it) || it->valuestring[0] == '\0')
            ERR(l, "expected a non-empty string");
        else
            v[(*n)++] = dup_str(l, it->valuestring);
        pop(l, old);
    }
    return v;
}

static void check_pointers(struct ld *l, const char *key, const char *const *p, size_t n)
{
    size_t i, old;

    for (i = 0; i < n; i++) {
        if (p[i][0] == '/')
            continue;
        old = push_key(l, key);
        push_idx(l, i);
        ERR(l, "\"%s\" is not a JSON pointer (RFC 6901: starts with /)", p[i]);
        pop(l, old);
    }
}

static void load_route(struct ld *l, const cJSON *o, struct bw_px_route_conf *r, size_t idx)
{
    static const char *const keys[] = {"name", "host", "path_prefix", "upstream", "api", "guardrail",
                                       "guardrail_version", "directions", "on_error", "trace",
                                       "client_guardrails", "generic", "passthrough_unknown", "strip_prefix",
                                       "stream_mode", NULL};
    static const char *const apis[] = {"auto", "openai", "anthropic", "bedrock", "generic", NULL};
    static const char *const onerr[] = {"block", "pass", NULL};
    static const char *const smodes[] = {"sync", "async", NULL};
    static const char *const gen_keys[] = {"input", "output", NULL};
    struct bw_pconf *c = l->c;
    const cJSON *t;
    const char *up, *gr, *grv;
    size_t old, nn;
    char nm[32];

    if (check_obj(l, o, keys) != 0)
        return;
    r->guardrail = -1;
    r->path_prefix = get_str(l, o, "path_prefix", 0);
    if (r->path_prefix == NULL)
        r->path_prefix = "/";
    else if (r->path_prefix[0] != '/') {
        old = push_key(l, "path_prefix");
        ERR(l, "must start with /");
        pop(l, old);
    }
    r->plen = strlen(r->path_prefix);
    r->host = get_str(l, o, "host", 0);
    r->name = get_str(l, o, "name", 0);
    if (r->name && strspn(r->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/-") !=
                       strlen(r->name)) {
        /* names become metric labels and log fields: keep them plain */
        old = push_key(l, "name");
        ERR(l, "\"%s\": a route name is made of letters, digits and . _ : / -", r->name);
        pop(l, old);
    }
    if (r->name == NULL) {
        snprintf(nm, sizeof(nm), "route%zu", idx);
        r->name = dup_str(l, nm);
    }
    if ((up = get_str(l, o, "upstream", 1)) != NULL) {
        int u = find_upstream(c, up);
        if (u < 0) {
            const char **names = names_of(l, 1, &nn);
            const char *s = names ? suggest(up, names, nn) : NULL;
            old = push_key(l, "upstream");
            if (s)
                ERR(l, "unknown upstream \"%s\" (did you mean \"%s\"?)", up, s);
            else
                ERR(l, "unknown upstream \"%s\"", up);
            pop(l, old);
        } else
            r->upstream = (size_t)u;
    }
    r->api = get_enum(l, o, "api", apis, BW_PX_API_AUTO);
    gr = get_str(l, o, "guardrail", 0);
    grv = get_str(l, o, "guardrail_version", 0);
    if (gr) {
        r->guardrail = bw_pconf_guardrail(c, gr, grv);
        if (r->guardrail < 0) {
            const char **names = names_of(l, 0, &nn);
            const char *s = names ? suggest(gr, names, nn) : NULL;
            old = push_key(l, "guardrail");
            if (grv && bw_pconf_guardrail(c, gr, NULL) >= 0)
                ERR(l, "guardrail \"%s\" has no version \"%s\"", gr, grv);
            else if (s)
                ERR(l, "unknown guardrail \"%s\" (did you mean \"%s\"?)", gr, s);
            else
                ERR(l, "unknown guardrail \"%s\"", gr);
            pop(l, old);
        }
    } else if (grv) {
        old = push_key(l, "guardrail_version");
        ERR(l, "given without \"guardrail\"");
        pop(l, old);
    }
    r->input = r->output = 1;
    if ((t = get(o, "directions")) != NULL) {
        const char *const *d;
        size_t n, i;
        old = push_key(l, "directions");
        d = str_list(l, t, &n);
        r->input = r->output = 0;
        for (i = 0; d && i < n; i++) {
            if (strcmp(d[i], "input") == 0)
                r->input = 1;
            else if (strcmp(d[i], "output") == 0)
                r->output = 1;
            else {
                size_t o2 = push_idx(l, i);
                ERR(l, "unknown direction \"%s\" (expected \"input\" or \"output\")", d[i]);
                pop(l, o2);
            }
        }
        pop(l, old);
    }
    r->on_error_pass = get_enum(l, o, "on_error", onerr, 0) == 1;
    r->trace = get_bool(l, o, "trace", 0);
    r->passthrough_unknown = get_bool(l, o, "passthrough_unknown", 0);
    r->strip_prefix = get_bool(l, o, "strip_prefix", 0);
    r->stream_async = get_enum(l, o, "stream_mode", smodes, 0) == 1;
    if ((t = get(o, "client_guardrails")) != NULL) {
        size_t i;
        old = push_key(l, "client_guardrails");
        r->client_ids = str_list(l, t, &r->nclient);
        for (i = 0; r->client_ids && i < r->nclient; i++) {
            if (strcmp(r->client_ids[i], "*") == 0)
                r->client_any = 1;
            else if (bw_pconf_guardrail(c, r->client_ids[i], NULL) < 0) {
                size_t o2 = push_idx(l, i);
                ERR(l, "unknown guardrail \"%s\"", r->client_ids[i]);
                pop(l, o2);
            }
        }
        pop(l, old);
    }
    if ((t = get(o, "generic")) != NULL) {
        old = push_key(l, "generic");
        if (check_obj(l, t, gen_keys) == 0) {
            const cJSON *a;
            size_t o2;
            if ((a = get(t, "input")) != NULL) {
                o2 = push_key(l, "input");
                r->gen_in = str_list(l, a, &r->ngen_in);
                pop(l, o2);
                check_pointers(l, "input", r->gen_in, r->ngen_in);
            }
            if ((a = get(t, "output")) != NULL) {
                o2 = push_key(l, "output");
                r->gen_out = str_list(l, a, &r->ngen_out);
                pop(l, o2);
                check_pointers(l, "output", r->gen_out, r->ngen_out);
            }
        }
        pop(l, old);
    } else if (r->api == BW_PX_API_GENERIC && r->guardrail >= 0) {
        ERR(l, "\"api\": \"generic\" needs \"generic\": {\"input\": [JSON pointers], \"output\": [...]}");
    }
}

static void load_guardrail(struct ld *l, const cJSON *o, struct bw_px_grd_conf *g)
{
    static const char *const keys[] = {"id", "version", "file", NULL};
    size_t old;
    const char *p;

    if (check_obj(l, o, keys) != 0)
        return;
    g->id = get_str(l, o, "id", 1);
    g->version = get_str(l, o, "version", 0);
    if (g->version == NULL)
        g->version = "DRAFT";
    g->file = resolve(l, get_str(l, o, "file", 1));
    if (g->id) {
        for (p = g->id; *p; p++)
            if (!(('a' <= *p && *p <= 'z') || ('0' <= *p && *p <= '9')))
                break;
        if (*p || strlen(g->id) > 64) {
            old = push_key(l, "id");
            ERR(l, "\"%s\": a guardrail id is 1 to 64 of [a-z0-9] (Bedrock)", g->id);
            pop(l, old);
        }
    }
    if (g->version && strcmp(g->version, "DRAFT") != 0) {
        for (p = g->version; *p && '0' <= *p && *p <= '9'; p++)
            ;
        if (*p || g->version[0] == '0' || strlen(g->version) > 8) {
            old = push_key(l, "version");
            ERR(l, "\"%s\": a version is \"DRAFT\" or a number from 1 to 99999999", g->version);
            pop(l, old);
        }
    }
    if (g->file && !file_readable(g->file)) {
        old = push_key(l, "file");
        ERR(l, "cannot read %s: %s", g->file, strerror(errno));
        pop(l, old);
    }
}

/* Runs fn on each element of the array at key, with the path set. */
#define EACH(l, root, key, arr, n, T, fn)                                                                          \
    do {                                                                                                           \
        const cJSON *a_ = get(root, key), *it_;                                                                    \
        size_t old_ = push_key(l, key), i_ = 0;                                                                    \
        if (a_ != NULL && !cJSON_IsArray(a_))                                                                      \
            ERR(l, "expected an array");                                                                           \
        else if (a_ != NULL) {                                                                                     \
            size_t cnt_ = (size_t)cJSON_GetArraySize(a_);                                                          \
            if (cnt_ > 1024)                                                                                       \
                ERR(l, "too many entries (%zu, at most 1024)", cnt_);                                              \
            else if ((arr = bw_arena_calloc(&(l)->c->arena, (cnt_ ? cnt_ : 1) * sizeof(T))) != NULL) {            \
                cJSON_ArrayForEach(it_, a_)                                                                        \
                {                                                                                                  \
                    size_t o_ = push_idx(l, i_);                                                                   \
                    fn;                                                                                            \
                    pop(l, o_);                                                                                    \
                    i_++;                                                                                          \
                }                                                                                                  \
                n = cnt_;                                                                                          \
            }                                                                                                      \
        }                                                                                                          \
        pop(l, old_);                                                                                              \
    } while (0)

static void load_limits(struct ld *l, const cJSON *o)
{
    static const char *const keys[] = {"max_body_bytes", "max_header_bytes", "idle_timeout_ms",
                                       "request_timeout_ms", "drain_timeout_ms", "max_connections",
                                       "max_concurrent_streams", "max_stream_bytes", NULL};
    struct bw_px_limits *m = &l->c->limits;

    if (o && check_obj(l, o, keys) != 0)
        return;
    m->max_body_bytes = (size_t)get_uint(l, o, "max_body_bytes", 8u << 20, 1024, BW_MAX_BODY_BYTES);
    m->max_header_bytes = (size_t)get_uint(l, o, "max_header_bytes", 64u << 10, 1024, 1u << 20);
    m->idle_timeout_ms = (unsigned)get_uint(l, o, "idle_timeout_ms", 60000, 100, 3600000);
    m->request_timeout_ms = (unsigned)get_uint(l, o, "request_timeout_ms", 60000, 100, 3600000);
    m->drain_timeout_ms = (unsigned)get_uint(l, o, "drain_timeout_ms", 30000, 0, 3600000);
    m->max_connections = (unsigned)get_uint(l, o, "max_connections", 10000, 1, 1000000);
    m->max_concurrent_streams = (unsigned)get_uint(l, o, "max_concurrent_streams", 100, 1, 10000);
    m->max_stream_bytes = (size_t)get_uint(l, o, "max_stream_bytes", 4u << 20, 64, BW_MAX_TEXT_BYTES);
}

static const char *log_target(struct ld *l, const cJSON *o, const char *key)
{
    const char *s = get_str(l, o, key, 0);

    if (s == NULL)
        return "stderr";
    if (strcmp(s, "stderr") == 0 || strcmp(s, "stdout") == 0 || strcmp(s, "off") == 0)
        return s;
    return resolve(l, s);
}

static void load_log(struct ld *l, const cJSON *o)
{
    static const char *const keys[] = {"level", "error", "access", "audit", NULL};
    static const char *const levels[] = {"error", "warn", "info", "debug", NULL};
    struct bw_pconf *c = l->c;

    c->log_level = 2;
    c->log_error = c->log_access = c->log_audit = "stderr";
    if (o == NULL || check_obj(l, o, keys) != 0)
        return;
    c->log_level = get_enum(l, o, "level", levels, 2);
    c->log_error = log_target(l, o, "error");
    c->log_access = log_target(l, o, "access");
    c->log_audit = log_target(l, o, "audit");
}

static void cross_checks(struct ld *l)
{
    struct bw_pconf *c = l->c;
    size_t i, j, old;

    for (i = 0; i < c->nupstreams; i++)
        for (j = 0; j < i; j++)
            if (c->upstreams[i].name && c->upstreams[j].name && strcmp(c->upstreams[i].name, c->upstreams[j].name) == 0) {
                old = push_key(l, "upstreams");
                push_idx(l, i);
                ERR(l, "upstream \"%s\" is defined twice", c->upstreams[i].name);
                pop(l, old);
            }
    for (i = 0; i < c->nguardrails; i++)
        for (j = 0; j < i; j++)
            if (c->guardrails[i].id && c->guardrails[j].id && strcmp(c->guardrails[i].id, c->guardrails[j].id) == 0 &&
                strcmp(c->guardrails[i].version, c->guardrails[j].version) == 0) {
                old = push_key(l, "guardrails");
                push_idx(l, i);
                ERR(l, "guardrail \"%s\" version \"%s\" is defined twice", c->guardrails[i].id, c->guardrails[i].version);
                pop(l, old);
            }
    for (i = 0; i < c->nlisteners; i++)
        for (j = 0; j < i; j++)
            if (c->listeners[i].addr.text && c->listeners[j].addr.text && c->listeners[i].addr.salen &&
                c->listeners[i].addr.salen == c->listeners[j].addr.salen &&
                memcmp(&c->listeners[i].addr.sa, &c->listeners[j].addr.sa, c->listeners[i].addr.salen) == 0 &&
                strstr(c->listeners[i].addr.text, ":0") == NULL) {
                old = push_key(l, "listeners");
                push_idx(l, i);
                ERR(l, "address %s is used twice", c->listeners[i].addr.text);
                pop(l, old);
            }
}

int bw_pconf_load_mem(const char *path, const char *json, size_t len, struct bw_pconf **out, struct bw_errs *errs)
{
    static const char *const keys[] = {"listeners", "admin", "workers", "guardrails", "upstreams", "routes",
                                       "limits", "log", "apply_api", NULL};
    struct ld l;
    struct bw_pconf *c;
    cJSON *root = NULL;
    const char *slash;
    const cJSON *t;
    size_t nerr0 = errs->n;
    int rv = BW_ECONFIG;

    *out = NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return BW_ENOMEM;
    bw_arena_init(&c->arena, 0);
    c->file = bw_arena_strndup(&c->arena, path, strlen(path));
    if ((slash = strrchr(path, '/')) != NULL)
        c->dir = bw_arena_strndup(&c->arena, path, (size_t)(slash == path ? 1 : slash - path));
    else
        c->dir = NULL;
    memset(&l, 0, sizeof(l));
    l.c = c;
    l.errs = errs;
    /* strict RFC 8259, line:column for syntax errors, duplicate keys, depth cap */
    rv = bw_json_parse(json, len, &root, errs);
    if (root == NULL) {
        rv = rv == BW_ENOMEM ? BW_ENOMEM : BW_ECONFIG;
        goto fail;
    }
    rv = BW_ECONFIG;
    if (check_obj(&l, root, keys) != 0)
        goto fail_root;
    EACH(&l, root, "guardrails", c->guardrails, c->nguardrails, struct bw_px_grd_conf,
         load_guardrail(&l, it_, &c->guardrails[i_]));
    EACH(&l, root, "upstreams", c->upstreams, c->nupstreams, struct bw_px_upstream_conf,
         load_upstream(&l, it_, &c->upstreams[i_]));
    EACH(&l, root, "listeners", c->listeners, c->nlisteners, struct bw_px_listener_conf,
         load_listener(&l, it_, &c->listeners[i_], 0));
    EACH(&l, root, "routes", c->routes, c->nroutes, struct bw_px_route_conf,
         load_route(&l, it_, &c->routes[i_], i_));
    if (c->nlisteners == 0)
        bw_errs_add(errs, "listeners", "at least one listener is needed");
    if (c->nroutes == 0)
        bw_errs_add(errs, "routes", "at least one route is needed");
    if ((t = get(root, "admin")) != NULL) {
        size_t old = push_key(&l, "admin");
        c->has_admin = 1;
        load_listener(&l, t, &c->admin, 1);
        pop(&l, old);
    }
    c->workers = (unsigned)get_uint(&l, root, "workers", 0, 0, 256);
    c->apply_api = get_bool(&l, root, "apply_api", 1);
    {
        size_t old = push_key(&l, "limits");
        load_limits(&l, get(root, "limits"));
        pop(&l, old);
        old = push_key(&l, "log");
        load_log(&l, get(root, "log"));
        pop(&l, old);
    }
    cross_checks(&l);
    if (errs->n == nerr0 && errs->dropped == 0)
        rv = BW_OK;
fail_root:
    cJSON_Delete(root);
fail:
    if (rv != BW_OK) {
        bw_pconf_free(c);
        return rv;
    }
    *out = c;
    return BW_OK;
}

int bw_pconf_load(const char *path, struct bw_pconf **out, struct bw_errs *errs)
{
    char *text = NULL;
    size_t len = 0;
    int rv;

    *out = NULL;
    if ((rv = bw_conf_read_file(path, &text, &len, errs)) != 0)
        return rv;
    rv = bw_pconf_load_mem(path, text, len, out, errs);
    free(text);
    return rv;
}

void bw_pconf_free(struct bw_pconf *c)
{
    if (c == NULL)
        return;
    bw_arena_free(&c->arena);
    free(c);
}
