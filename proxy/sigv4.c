/*
 * sigv4.c: AWS Signature Version 4 (see sigv4.h).
 *
 * Canonical request = method, canonical URI, canonical query, canonical
 * headers, signed header names, payload hash, one per line. The URI is the
 * wire path with dot segments and repeated slashes removed, encoded again
 * (every byte but A-Z a-z 0-9 - . _ ~ and '/'); botocore does the same for
 * bedrock-runtime, which is why a model id "v1:0" travels as "v1%3A0" and
 * is signed as "v1%253A0". Query pairs are decoded, re-encoded and sorted.
 * Header names are lower-cased, values trimmed with inner runs of spaces
 * made one, repeated names joined with ','.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/sigv4.h"

static const char hexu[] = "0123456789ABCDEF", hexl[] = "0123456789abcdef";

int bw_sigv4_creds_from_env(struct bw_sigv4_creds *c)
{
    c->akid = getenv("AWS_ACCESS_KEY_ID");
    c->secret = getenv("AWS_SECRET_ACCESS_KEY");
    c->token = getenv("AWS_SESSION_TOKEN");
    if (c->token && c->token[0] == 0)
        c->token = NULL;
    if (c->akid == NULL || c->akid[0] == 0 || c->secret == NULL || c->secret[0] == 0)
        return BW_ENOTFOUND;
    return 0;
}

static int unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int enc(struct bw_buf *b, const char *s, size_t n, int keep_slash)
{
    size_t i;
    int rv;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            rv = bw_buf_addc(b, (char)c);
        } else {
            char e[3] = {'%', hexu[c >> 4], hexu[c & 15]};
            rv = bw_buf_add(b, e, 3);
        }
        if (rv != 0)
            return rv;
    }
    return 0;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into b ('+' stays '+': SigV4 decodes like RFC 3986, not forms). */
static int dec(struct bw_buf *b, const char *s, size_t n)
{
    size_t i;
    int rv;

    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
            rv = bw_buf_addc(b, (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2])));
            i += 2;
        } else {
            rv = bw_buf_addc(b, s[i]);
        }
        if (rv != 0)
            return rv;
    }
    return 0;
}

/* Removes "." and ".." segments and empty segments, keeping a trailing slash. */
static int normalize(const char *p, size_t n, struct bw_buf *out)
{
    size_t *segs, ns = 0, i = 0, k;
    int trailing = n > 0 && p[n - 1] == '/', rv = 0;

    segs = malloc((n + 1) * 2 * sizeof(*segs));
    if (segs == NULL)
        return BW_ENOMEM;
    while (i < n) {
        size_t s, e;

        while (i < n && p[i] == '/')
            i++;
        s = i;
        while (i < n && p[i] != '/')
            i++;
        e = i;
        if (e == s || (e - s == 1 && p[s] == '.'))
            continue;
        if (e - s == 2 && p[s] == '.' && p[s + 1] == '.') {
            if (ns)
                ns--;
            /* a ".." ends in a directory */
            if (i >= n)
                trailing = 1;
            continue;
        }
        segs[2 * ns] = s;
        segs[2 * ns + 1] = e;
        ns++;
    }
    /* "/a/.." and "/." end with the root's slash only */
    if (n > 0 && ns == 0)
        trailing = 0;
    for (k = 0; k < ns && rv == 0; k++)
        rv = bw_buf_addc(out, '/') || bw_buf_add(out, p + segs[2 * k], segs[2 * k + 1] - segs[2 * k]) ? BW_ENOMEM : 0;
    if (rv == 0 && (ns == 0 || trailing))
        rv = bw_buf_addc(out, '/');
    free(segs);
    return rv;
}

static int canon_uri(const struct bw_sigv4_req *r, struct bw_buf *out)
{
    struct bw_buf a, b;
    const char *p = r->path ? r->path : "/";
    size_t n = r->path ? r->path_len : 1;
    int rv;

    bw_buf_init(&a, 0);
    bw_buf_init(&b, 0);
    if (n == 0) {
        p = "/";
        n = 1;
    }
    if (r->flags & BW_SIGV4_NO_NORMALIZE)
        rv = bw_buf_add(&a, p, n);
    else
        rv = normalize(p, n, &a);
    if (rv == 0 && (r->flags & BW_SIGV4_SINGLE_ENCODE)) {
        rv = dec(&b, a.base, a.len);
        if (rv == 0)
            rv = enc(out, b.base ? b.base : "", b.len, 1);
    } else if (rv == 0) {
        rv = enc(out, a.base, a.len, 1);
    }
    bw_buf_free(&a);
    bw_buf_free(&b);
    return rv;
}

struct qpair {
    char *k, *v;
};

static int qcmp(const void *a, const void *b)
{
    const struct qpair *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

static int canon_query(const char *q, size_t n, struct bw_buf *out)
{
    struct qpair *v = NULL;
    size_t nv = 0, cap = 0, i = 0, k;
    int rv = 0;

    while (i < n && rv == 0) {
        size_t s = i, eq;
        struct bw_buf kb, vb, raw;

        while (i < n && q[i] != '&')
            i++;
        if (i == s) {
            i++;
            continue;
        }
        for (eq = s; eq < i && q[eq] != '='; eq++)
            ;
        bw_buf_init(&kb, 0);
        bw_buf_init(&vb, 0);
        bw_buf_init(&raw, 0);
        rv = dec(&raw, q + s, eq - s);
        rv = rv || enc(&kb, raw.base ? raw.base : "", raw.len, 0);
        bw_buf_reset(&raw);
        if (rv == 0 && eq < i)
            rv = dec(&raw, q + eq + 1, i - eq - 1);
        rv = rv || enc(&vb, raw.base ? raw.base : "", raw.len, 0);
        bw_buf_free(&raw);
        if (rv == 0 && nv == cap) {
            struct qpair *nvp = realloc(v, (cap ? cap * 2 : 8) * sizeof(*v));
            if (nvp == NULL)
                rv = BW_ENOMEM;
            else {
                v = nvp;
                cap = cap ? cap * 2 : 8;
            }
        }
        if (rv == 0) {
            v[nv].k = bw_buf_detach(&kb);
            v[nv].v = bw_buf_detach(&vb);
            nv++;
        }
        bw_buf_free(&kb);
        bw_buf_free(&vb);
        i++;
    }
    if (rv == 0 && nv > 1)
        qsort(v, nv, sizeof(*v), qcmp);
    for (k = 0; k < nv; k++) {
        if (rv == 0)
            rv = (k && bw_buf_addc(out, '&')) || bw_buf_adds(out, v[k].k) || bw_buf_addc(out, '=') ||
                         bw_buf_adds(out, v[k].v)
                     ? BW_ENOMEM
                     : 0;
        free(v[k].k);
        free(v[k].v);
    }
    free(v);
    return rv ? BW_ENOMEM : 0;
}

struct hent {
    char *name; /* lower case */
    const struct bw_iov *val;
};

static int hcmp(const void *a, const void *b)
{
    const struct hent *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    /* stable for repeated names: keep the order given */
    return c ? c : (x->val < y->val ? -1 : x->val > y->val);
}

/* Appends a header value trimmed, runs of spaces and tabs made one space. */
static int add_value(struct bw_buf *b, const struct bw_iov *v)
{
    size_t s = 0, e = v->len, i;
    int sp = 0, rv;

    while (s < e && (v->base[s] == ' ' || v->base[s] == '\t'))
        s++;
    while (e > s && (v->base[e - 1] == ' ' || v->base[e - 1] == '\t'))
        e--;
    for (i = s; i < e; i++) {
        char c = v->base[i];
        if (c == ' ' || c == '\t') {
            sp = 1;
            continue;
        }
        if (sp && (rv = bw_buf_addc(b, ' ')) != 0)
            return rv;
        sp = 0;
        if ((rv = bw_buf_addc(b, c)) != 0)
            return rv;
    }
    return 0;
}

static int owned(const char *n)
{
    return strcmp(n, "authorization") == 0 || strcmp(n, "x-amz-date") == 0 ||
           strcmp(n, "x-amz-security-token") == 0 || strcmp(n, "x-amz-content-sha256") == 0;
}

static void hexstr(const unsigned char *d, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hexl[d[i] >> 4];
        out[2 * i + 1] = hexl[d[i] & 15];
    }
    out[2 * n] = 0;
}

static int sha256hex(const void *p, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;

    if (EVP_Digest(p, n, md, &ml, EVP_sha256(), NULL) != 1 || ml != 32)
        return BW_ENOMEM;
    hexstr(md, 32, out);
    return 0;
}

static int hmac(const void *key, size_t klen, const void *msg, size_t n, unsigned char out[32])
{
    unsigned int ol = 0;

    if (HMAC(EVP_sha256(), key, (int)klen, msg, n, out, &ol) == NULL || ol != 32)
        return BW_ENOMEM;
    return 0;
}

static int valid_date(const char *d)
{
    int i;

    if (strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
        return 0;
    for (i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)d[i]))
            return 0;
    return 1;
}

int bw_sigv4_sign(const struct bw_sigv4_req *r, const struct bw_sigv4_creds *c, struct bw_sigv4_out *out,
                  struct bw_buf *creq_out, struct bw_buf *sts_out)
{
    struct bw_buf creq, signed_h, sts, key;
    struct hent *hs = NULL;
    struct bw_iov extra[3];
    const char *extra_names[3];
    size_t nh = 0, i, ne = 0;
    char payload[65], date8[9], creq_hash[65];
    unsigned char k[32];
    int rv = 0, has_host = 0, n;

    memset(out, 0, sizeof(*out));
    if (!r->region || !r->region[0] || !r->service || !r->service[0] || !r->method || !c || !c->akid || !c->secret)
        return BW_EINVAL;
    if (r->amz_date) {
        if (!valid_date(r->amz_date))
            return BW_EINVAL;
        memcpy(out->amz_date, r->amz_date, 17);
    } else {
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm);
    }
    memcpy(date8, out->amz_date, 8);
    date8[8] = 0;
    if (r->payload_hash) {
        snprintf(payload, sizeof(payload), "%s", r->payload_hash);
    } else if ((rv = sha256hex(r->body ? r->body : "", r->body_len, payload)) != 0) {
        return rv;
    }
    if (r->flags & BW_SIGV4_CONTENT_SHA256)
        snprintf(out->content_sha256, sizeof(out->content_sha256), "%s", payload);
    out->security_token = c->token;

    /* headers: the caller's (minus ours), then x-amz-date, token, content hash */
    extra[ne] = (struct bw_iov){out->amz_date, 16};
    extra_names[ne++] = "x-amz-date";
    if (c->token && !(r->flags & BW_SIGV4_TOKEN_UNSIGNED)) {
        extra[ne] = (struct bw_iov){c->token, strlen(c->token)};
        extra_names[ne++] = "x-amz-security-token";
    }
    if (r->flags & BW_SIGV4_CONTENT_SHA256) {
        extra[ne] = (struct bw_iov){out->content_sha256, 64};
        extra_names[ne++] = "x-amz-content-sha256";
    }
    if ((hs = calloc(r->nh + ne, sizeof(*hs))) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < r->nh; i++) {
        char *nm;
        size_t j;

        if (memchr(r->h[i].name.base, '\n', r->h[i].name.len) || memchr(r->h[i].value.base, '\n', r->h[i].value.len) ||
            memchr(r->h[i].value.base, '\r', r->h[i].value.len) || r->h[i].name.len == 0) {
            rv = BW_EINVAL;
            goto out;
        }
        if ((nm = malloc(r->h[i].name.len + 1)) == NULL) {
            rv = BW_ENOMEM;
            goto out;
        }
        for (j = 0; j < r->h[i].name.len; j++)
            nm[j] = (char)tolower((unsigned char)r->h[i].name.base[j]);
        nm[j] = 0;
        if (owned(nm)) {
            free(nm);
            continue;
        }
        if (strcmp(nm, "host") == 0)
            has_host = 1;
        hs[nh].name = nm;
        hs[nh].val = &r->h[i].value;
        nh++;
    }
    if (!has_host) {
        rv = BW_EINVAL;
        goto out;
    }
    for (i = 0; i < ne; i++) {
        if ((hs[nh].name = strdup(extra_names[i])) == NULL) {
            rv = BW_ENOMEM;
            goto out;
        }
        hs[nh].val = &extra[i];
        nh++;
    }
    if (nh > 1)
        qsort(hs, nh, sizeof(*hs), hcmp);

    bw_buf_init(&creq, 0);
    bw_buf_init(&signed_h, 0);
    bw_buf_init(&sts, 0);
    bw_buf_init(&key, 0);
    rv = bw_buf_adds(&creq, r->method) || bw_buf_addc(&creq, '\n') || canon_uri(r, &creq) ||
         bw_buf_addc(&creq, '\n') || canon_query(r->query ? r->query : "", r->query ? r->query_len : 0, &creq) ||
         bw_buf_addc(&creq, '\n');
    for (i = 0; i < nh && rv == 0; i++) {
        if (i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0) {
            /* repeated header: one line, values joined with ',' (the newline is replaced) */
            creq.len--;
            rv = bw_buf_addc(&creq, ',') || add_value(&creq, hs[i].val) || bw_buf_addc(&creq, '\n');
            continue;
        }
        rv = bw_buf_adds(&creq, hs[i].name) || bw_buf_addc(&creq, ':') || add_value(&creq, hs[i].val) ||
             bw_buf_addc(&creq, '\n') || (signed_h.len && bw_buf_addc(&signed_h, ';')) ||
             bw_buf_adds(&signed_h, hs[i].name);
    }
    rv = rv || bw_buf_addc(&creq, '\n') || bw_buf_add(&creq, signed_h.base, signed_h.len) ||
         bw_buf_addc(&creq, '\n') || bw_buf_adds(&creq, payload);
    if (rv == 0)
        rv = sha256hex(creq.base, creq.len, creq_hash) ? 1 : 0;
    rv = rv || bw_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", out->amz_date, date8, r->region,
                             r->service, creq_hash);
    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
    rv = rv || bw_buf_adds(&key, "AWS4") || bw_buf_adds(&key, c->secret);
    rv = rv || hmac(key.base, key.len, date8, 8, k) || hmac(k, 32, r->region, strlen(r->region), k) ||
         hmac(k, 32, r->service, strlen(r->service), k) || hmac(k, 32, "aws4_request", 12, k) ||
         hmac(k, 32, sts.base, sts.len, k);
    if (rv == 0) {
        hexstr(k, 32, out->signature);
        n = snprintf(out->authorization, sizeof(out->authorization),
                     "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s", c->akid,
                     date8, r->region, r->service, signed_h.base, out->signature);
        if (n < 0 || (size_t)n >= sizeof(out->authorization))
            rv = BW_ELIMIT;
    } else {
        rv = BW_ENOMEM;
    }
    if (rv == 0 && creq_out)
        rv = bw_buf_add(creq_out, creq.base, creq.len);
    if (rv == 0 && sts_out)
        rv = bw_buf_add(sts_out, sts.base, sts.len);
    OPENSSL_cleanse(k, sizeof(k));
    if (key.base)
        OPENSSL_cleanse(key.base, key.len);
    bw_buf_free(&creq);
    bw_buf_free(&signed_h);
    bw_buf_free(&sts);
    bw_buf_free(&key);
out:
    for (i = 0; i < nh; i++)
        free(hs[i].name);
    free(hs);
    return rv;
}

const char *bw_sigv4_region_of_host(const char *host, char *buf, size_t buflen)
{
    const char *p = host, *dot, *lab;
    size_t n;

    if (host == NULL)
        return NULL;
    /* the label after the first "bedrock..." label: bedrock-runtime.eu-west-1.amazonaws.com */
    while (p && *p) {
        dot = strchr(p, '.');
        if (strncmp(p, "bedrock", 7) == 0 && dot) {
            lab = dot + 1;
            dot = strchr(lab, '.');
            n = dot ? (size_t)(dot - lab) : strlen(lab);
            /* xx-yyyy-N, xx-gov-yyyy-N */
            if (n >= 9 && n < buflen && isdigit((unsigned char)lab[n - 1]) && lab[2] == '-') {
                memcpy(buf, lab, n);
                buf[n] = 0;
                return buf;
            }
            return NULL;
        }
        p = dot ? dot + 1 : NULL;
    }
    return NULL;
}
