/*
 * linear.c: hashed n-gram features, logistic-regression scoring, the .bwm
 * file format and the trainer (AdaGrad SGD, deterministic for a seed).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/content.h"
#include "filters/linear.h"
#include "filters/tokens.h"

/* hash seeds that keep the feature kinds apart */
#define SEED_W1 BW_FEAT_SEED_W1
#define SEED_C3 0x121fd2155c472f96ull
#define SEED_C4 0x9b97e7c4c2d0e5a1ull
#define SEED_C5 0x46c1d9f5e3a0b877ull

#define fold bw_feat_fold

#define PUSH(x)                                                                                                    \
    do {                                                                                                           \
        buf[k++] = (x);                                                                                            \
        if (k == cap) {                                                                                            \
            if ((rv = fn(ctx, buf, k)) != 0)                                                                       \
                return rv;                                                                                         \
            k = 0;                                                                                                 \
        }                                                                                                          \
    } while (0)

int bw_feat_run_words(struct bw_tokit *it, unsigned flags, uint32_t *buf, size_t cap, bw_feat_fn fn, void *ctx)
{
    const struct bw_tok *t;
    size_t k = 0;
    uint64_t prev = 0;
    int have_prev = 0, rv;
    char b[BW_TOK_MAX + 2];

    while ((t = bw_tokit_next(it)) != NULL) {
        uint64_t hw = bw_hash64(t->w, t->len, SEED_W1);
        if (flags & BW_LIN_WORD1)
            PUSH(fold(hw));
        if ((flags & BW_LIN_WORD2) && have_prev)
            PUSH(fold(bw_hash_mix(prev, hw)));
        prev = hw;
        have_prev = 1;
        if (flags & (BW_LIN_CHAR3 | BW_LIN_CHAR4 | BW_LIN_CHAR5)) {
            size_t L = t->len + 2, i;
            b[0] = '<';
            memcpy(b + 1, t->w, t->len);
            b[t->len + 1] = '>';
            for (i = 0; i < L; i++) {
                if ((flags & BW_LIN_CHAR3) && i + 3 <= L)
                    PUSH(fold(bw_hash64(b + i, 3, SEED_C3)));
                if ((flags & BW_LIN_CHAR4) && i + 4 <= L)
                    PUSH(fold(bw_hash64(b + i, 4, SEED_C4)));
                if ((flags & BW_LIN_CHAR5) && i + 5 <= L)
                    PUSH(fold(bw_hash64(b + i, 5, SEED_C5)));
            }
        }
    }
    if (k)
        return fn(ctx, buf, k);
    return 0;
}

int bw_feat_run(const char *s, size_t n, unsigned flags, uint32_t *buf, size_t cap, bw_feat_fn fn, void *ctx)
{
    struct bw_tokit it;

    bw_tokit_init(&it, NULL, s, n);
    return bw_feat_run_words(&it, flags, buf, cap, fn, ctx);
}

struct sumctx {
    const float *w;
    uint32_t mask;
    double sum;
    size_t n;
};

static int add_sum(void *ctx, const uint32_t *h, size_t k)
{
    struct sumctx *c = ctx;
    double s = 0;
    size_t i;

    for (i = 0; i < k; i++) {
        float v = c->w[h[i] & c->mask];
        s += (h[i] & 0x80000000u) ? -v : v;
    }
    c->sum += s;
    c->n += k;
    return 0;
}

float bw_lin_finish(const struct bw_linear *m, double sum, size_t nfeat, const float *x)
{
    double z = m->bias;
    unsigned j;

    if (nfeat)
        z += sum / sqrt((double)nfeat);
    for (j = 0; j < m->ndense && x; j++)
        z += (double)m->dense[j] * x[j];
    if (z > 40)
        z = 40;
    if (z < -40)
        z = -40;
    return (float)(1.0 / (1.0 + exp(-z)));
}

float bw_lin_prob(const struct bw_linear *m, const char *s, size_t n, const float *x)
{
    uint32_t buf[256];
    struct sumctx c = {m->w, (1u << m->bits) - 1, 0, 0};

    bw_feat_run(s, n, m->flags, buf, BW_NELEMS(buf), add_sum, &c);
    return bw_lin_finish(m, c.sum, c.n, x);
}

int bw_lin_level(const struct bw_linear *m, float p)
{
    if (p >= m->thr[2])
        return BW_CONF_HIGH;
    if (p >= m->thr[1])
        return BW_CONF_MEDIUM;
    if (p >= m->thr[0])
        return BW_CONF_LOW;
    return BW_CONF_NONE;
}

/* ---- file format ---- */

static uint32_t crctab[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    uint32_t i;

    for (i = 0; i < 256; i++) {
        uint32_t v = i;
        int k;
        for (k = 0; k < 8; k++)
            v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
        crctab[i] = v;
    }
}

uint32_t bw_crc32(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t c = 0xffffffffu;
    const uint32_t *tab = crctab;
    size_t i;

    pthread_once(&crc_once, crc_init);
    for (i = 0; i < n; i++)
        c = tab[(c ^ b[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float rdf(const unsigned char *p)
{
    uint32_t u = rd32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void wr16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void wrf(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    wr32(p, u);
}

static int fmterr(char *err, size_t errlen, const char *msg, unsigned long a, unsigned long b)
{
    if (err && errlen)
        snprintf(err, errlen, msg, a, b);
    return BW_EFORMAT;
}

int bw_lin_load(const void *data, size_t n, struct bw_linear **out, char *err, size_t errlen)
{
    const unsigned char *p = data;
    struct bw_linear *m;
    size_t slots, need, i;
    unsigned ver, hsize, bits, nd;
    uint32_t plen;
    float scale;

    *out = NULL;
    if (n < 8 || memcmp(p, "BWLM", 4) != 0)
        return fmterr(err, errlen, "not a bulwark model file (bad magic)%.0lu%.0lu", 0, 0);
    ver = rd16(p + 4);
    if (ver != BW_LIN_VERSION)
        return fmterr(err, errlen, "model file version %lu, this build reads version %lu", ver, BW_LIN_VERSION);
    if (n < BW_LIN_HEADER)
        return fmterr(err, errlen, "model file truncated: %lu bytes, header needs %lu", n, BW_LIN_HEADER);
    hsize = rd16(p + 6);
    bits = p[10];
    nd = p[11];
    if (hsize != BW_LIN_HEADER)
        return fmterr(err, errlen, "model header size %lu, expected %lu", hsize, BW_LIN_HEADER);
    if (bits < 8 || bits > 24)
        return fmterr(err, errlen, "model has 2^%lu slots, supported 2^8..2^24%.0lu", bits, 0);
    if (nd > BW_LIN_MAXDENSE)
        return fmterr(err, errlen, "model has %lu dense features, at most %lu", nd, BW_LIN_MAXDENSE);
    slots = (size_t)1 << bits;
    need = (size_t)nd * 4 + slots * 2;
    plen = rd32(p + 44);
    if (plen != need)
        return fmterr(err, errlen, "model payload size %lu, its header implies %lu", plen, need);
    if (n - BW_LIN_HEADER < need)
        return fmterr(err, errlen, "model file truncated: %lu payload bytes of %lu", n - BW_LIN_HEADER, need);
    if (n - BW_LIN_HEADER > need)
        return fmterr(err, errlen, "model file has %lu bytes after the payload%.0lu", n - BW_LIN_HEADER - need, 0);
    if (bw_crc32(p + BW_LIN_HEADER, need) != rd32(p + 48))
        return fmterr(err, errlen, "model file corrupt: payload checksum mismatch%.0lu%.0lu", 0, 0);
    if ((m = calloc(1, sizeof(*m))) == NULL || (m->w = malloc(slots * sizeof(float))) == NULL) {
        free(m);
        return BW_ENOMEM;
    }
    m->category = rd16(p + 8);
    m->bits = bits;
    m->ndense = nd;
    m->flags = rd32(p + 12);
    m->seed = rd32(p + 16);
    m->rows = rd32(p + 20);
    for (i = 0; i < 3; i++)
        m->thr[i] = rdf(p + 24 + 4 * i);
    m->bias = rdf(p + 36);
    scale = rdf(p + 40);
    p += BW_LIN_HEADER;
    for (i = 0; i < nd; i++)
        m->dense[i] = rdf(p + 4 * i);
    p += nd * 4;
    for (i = 0; i < slots; i++)
        m->w[i] = (float)(int16_t)rd16(p + 2 * i) * scale;
    if (!(m->flags & BW_LIN_ALLF) || (m->flags & ~(unsigned)BW_LIN_ALLF) || !isfinite(scale)) {
        unsigned long flags = m->flags;
        bw_lin_free(m);
        return fmterr(err, errlen, "model feature set 0x%lx unknown or scale invalid%.0lu", flags, 0);
    }
    *out = m;
    return BW_OK;
}

int bw_lin_save(const struct bw_linear *m, struct bw_buf *out)
{
    size_t slots = (size_t)1 << m->bits, need = (size_t)m->ndense * 4 + slots * 2, i;
    unsigned char h[BW_LIN_HEADER];
    unsigned char *pl;
    float mx = 0, scale;
    int rv;

    for (i = 0; i < slots; i++)
        mx = fmaxf(mx, fabsf(m->w[i]));
    scale = mx > 0 ? mx / 32767.0f : 1.0f;
    if ((pl = malloc(need)) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < m->ndense; i++)
        wrf(pl + 4 * i, m->dense[i]);
    for (i = 0; i < slots; i++) {
        long q = lrintf(m->w[i] / scale);
        wr16(pl + m->ndense * 4 + 2 * i, (uint16_t)(int16_t)BW_MAX(-32767, BW_MIN(32767, q)));
    }
    memset(h, 0, sizeof(h));
    memcpy(h, "BWLM", 4);
    wr16(h + 4, BW_LIN_VERSION);
    wr16(h + 6, BW_LIN_HEADER);
    wr16(h + 8, (uint16_t)m->category);
    h[10] = (unsigned char)m->bits;
    h[11] = (unsigned char)m->ndense;
    wr32(h + 12, m->flags);
    wr32(h + 16, m->seed);
    wr32(h + 20, m->rows);
    for (i = 0; i < 3; i++)
        wrf(h + 24 + 4 * i, m->thr[i]);
    wrf(h + 36, m->bias);
    wrf(h + 40, scale);
    wr32(h + 44, (uint32_t)need);
    wr32(h + 48, bw_crc32(pl, need));
    if ((rv = bw_buf_add(out, h, sizeof(h))) == 0)
        rv = bw_buf_add(out, pl, need);
    free(pl);
    return rv;
}

void bw_lin_free(struct bw_linear *m)
{
    if (m == NULL)
        return;
    free(m->w);
    free(m);
}

/* ---- training ---- */

void bw_lin_opts_default(struct bw_lin_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->flags = BW_LIN_WORD1 | BW_LIN_WORD2 | BW_LIN_CHAR4;
    o->bits = 18;
    o->epochs = 8;
    o->lr = 0.2;
    o->l2 = 1e-6;
    o->seed = 1;
    o->balance = 1;
}

struct feats {
    uint32_t *h;
    size_t n, cap;
};

static int add_feats(void *ctx, const uint32_t *h, size_t k)
{
    struct feats *f = ctx;

    if (f->n + k > f->cap) {
        size_t ncap = f->cap ? f->cap : 1 << 16;
        uint32_t *nh;
        while (ncap < f->n + k)
            ncap *= 2;
        if ((nh = realloc(f->h, ncap * sizeof(*nh))) == NULL)
            return BW_ENOMEM;
        f->h = nh;
        f->cap = ncap;
    }
    memcpy(f->h + f->n, h, k * sizeof(*h));
    f->n += k;
    return 0;
}

static uint32_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return (uint32_t)(x >> 32);
}

int bw_lin_train(const struct bw_lin_row *rows, size_t n, const struct bw_lin_opts *o, struct bw_linear **out)
{
    struct bw_linear *m = NULL;
    struct feats f = {0};
    size_t *off = NULL, *order = NULL, slots, i, e;
    float *G = NULL;
    double Gd[BW_LIN_MAXDENSE] = {0}, Gb = 0, wpos = 1, wneg = 1;
    size_t npos = 0;
    uint64_t rng;
    uint32_t buf[512];
    int rv = BW_ENOMEM;

    *out = NULL;
    for (i = 0; i < n; i++)
        npos += rows[i].label != 0;
    if (n == 0 || npos == 0 || npos == n || o->bits < 8 || o->bits > 24 || o->ndense > BW_LIN_MAXDENSE)
        return BW_EINVAL;
    if (o->balance) {
        wpos = (double)n / (2.0 * (double)npos);
        wneg = (double)n / (2.0 * (double)(n - npos));
    }
    slots = (size_t)1 << o->bits;
    if ((off = malloc((n + 1) * sizeof(*off))) == NULL || (order = malloc(n * sizeof(*order))) == NULL)
        goto out;
    for (i = 0; i < n; i++) {
        off[i] = f.n;
        if ((rv = bw_feat_run(rows[i].text, rows[i].len, o->flags, buf, BW_NELEMS(buf), add_feats, &f)) != 0)
            goto out;
        order[i] = i;
    }
    off[n] = f.n;
    rv = BW_ENOMEM;
    if ((m = calloc(1, sizeof(*m))) == NULL || (m->w = calloc(slots, sizeof(float))) == NULL ||
        (G = calloc(slots, sizeof(float))) == NULL)
        goto out;
    m->category = o->category;
    m->bits = o->bits;
    m->ndense = o->ndense;
    m->flags = o->flags;
    m->seed = o->seed;
    m->rows = (uint32_t)n;
    m->thr[0] = 0.5f;
    m->thr[1] = 0.7f;
    m->thr[2] = 0.9f;
    rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)o->seed * 0xbf58476d1ce4e5b9ull);
    if (rng == 0)
        rng = 1;
    for (e = 0; e < o->epochs; e++) {
        /* Fisher-Yates with the seeded generator: the only randomness */
        for (i = n; i > 1; i--) {
            size_t j = xorshift(&rng) % i, t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (i = 0; i < n; i++) {
            const struct bw_lin_row *r = &rows[order[i]];
            const uint32_t *h = f.h + off[order[i]];
            size_t k = off[order[i] + 1] - off[order[i]], q;
            double inv = k ? 1.0 / sqrt((double)k) : 0, z = m->bias, p, g, lr = o->lr;
            unsigned j;
            for (q = 0; q < k; q++) {
                float v = m->w[h[q] & (slots - 1)];
                z += ((h[q] & 0x80000000u) ? -v : v) * inv;
            }
            for (j = 0; j < o->ndense; j++)
                z += (double)m->dense[j] * r->x[j];
            z = z > 40 ? 40 : z < -40 ? -40 : z;
            p = 1.0 / (1.0 + exp(-z));
            g = (p - (r->label ? 1.0 : 0.0)) * (r->weight > 0 ? r->weight : 1.0) * (r->label ? wpos : wneg);
            for (q = 0; q < k; q++) {
                size_t s = h[q] & (slots - 1);
                double gi = g * ((h[q] & 0x80000000u) ? -inv : inv) + o->l2 * m->w[s];
                G[s] += (float)(gi * gi);
                m->w[s] -= (float)(lr * gi / sqrt((double)G[s] + 1e-8));
            }
            for (j = 0; j < o->ndense; j++) {
                double gi = g * r->x[j] + o->l2 * m->dense[j];
                Gd[j] += gi * gi;
                m->dense[j] -= (float)(lr * gi / sqrt(Gd[j] + 1e-8));
            }
            Gb += g * g;
            m->bias -= (float)(lr * g / sqrt(Gb + 1e-8));
        }
    }
    *out = m;
    m = NULL;
    rv = BW_OK;
out:
    bw_lin_free(m);
    free(G);
    free(f.h);
    free(off);
    free(order);
    return rv;
}

int bw_lin_oof(const struct bw_lin_row *rows, size_t n, const struct bw_lin_opts *o, unsigned k, float *p)
{
    struct bw_lin_row *sub;
    unsigned *fold;
    size_t i, ns;
    unsigned f;
    int rv = BW_OK;

    if (k < 2 || n == 0)
        return BW_EINVAL;
    if ((sub = malloc(n * sizeof(*sub))) == NULL || (fold = malloc(n * sizeof(*fold))) == NULL) {
        free(sub);
        return BW_ENOMEM;
    }
    for (i = 0; i < n; i++)
        fold[i] = (unsigned)(bw_hash64(rows[i].text, rows[i].len, 0x5eed) % k);
    for (f = 0; f < k && rv == 0; f++) {
        struct bw_linear *m;
        for (i = ns = 0; i < n; i++)
            if (fold[i] != f)
                sub[ns++] = rows[i];
        if ((rv = bw_lin_train(sub, ns, o, &m)) != 0)
            break;
        for (i = 0; i < n; i++)
            if (fold[i] == f)
                p[i] = bw_lin_prob(m, rows[i].text, rows[i].len, rows[i].x);
        bw_lin_free(m);
    }
    free(sub);
    free(fold);
    return rv;
}

static const float *sort_p;

static int by_p_desc(const void *a, const void *b)
{
    float x = sort_p[*(const size_t *)a], y = sort_p[*(const size_t *)b];
    if (x != y)
        return x < y ? 1 : -1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int bw_lin_pick(const float *p, const uint8_t *y, size_t n, const char *rule, float *thr)
{
    size_t *ix, i, npos = 0, tp = 0, fp = 0;
    double x = 0, best = -1;
    int kind;
    float chosen;

    if (n == 0)
        return BW_EINVAL;
    if (strncmp(rule, "fpr:", 4) == 0)
        kind = 0;
    else if (strncmp(rule, "prec:", 5) == 0)
        kind = 1;
    else if (strncmp(rule, "recall:", 7) == 0)
        kind = 2;
    else if (strcmp(rule, "f1") == 0)
        kind = 3;
    else
        return BW_EINVAL;
    if (kind < 3) {
        char *end;
        x = strtod(strchr(rule, ':') + 1, &end);
        if (*end != '\0' || x < 0 || x > 1)
            return BW_EINVAL;
    }
    if ((ix = malloc(n * sizeof(*ix))) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < n; i++) {
        ix[i] = i;
        npos += y[i] != 0;
    }
    sort_p = p; /* qsort has no context argument; training is single-threaded */
    qsort(ix, n, sizeof(*ix), by_p_desc);
    /* nothing positive: a threshold above every score */
    chosen = nextafterf(p[ix[0]], 2.0f);
    if (kind == 2)
        chosen = p[ix[n - 1]];
    for (i = 0; i < n;) {
        float t = p[ix[i]];
        double fpr, prec, rec, f1;
        while (i < n && p[ix[i]] == t) {
            if (y[ix[i]])
                tp++;
            else
                fp++;
            i++;
        }
        fpr = n > npos ? (double)fp / (double)(n - npos) : 0;
        prec = (double)tp / (double)(tp + fp);
        rec = npos ? (double)tp / (double)npos : 0;
        f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
        if (kind == 0 && fpr <= x)
            chosen = t;
        else if (kind == 1 && prec >= x)
            chosen = t;
        else if (kind == 2 && rec >= x) {
            chosen = t;
            break;
        } else if (kind == 3 && f1 > best) {
            best = f1;
            chosen = t;
        }
        if (kind == 0 && fpr > x)
            break;
    }
    free(ix);
    *thr = chosen;
    return BW_OK;
}
