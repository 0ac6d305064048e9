/*
 * evstream.c: AWS event-stream framing (see evstream.h).
 *
 * Whole messages found in one feed are parsed in place; only a message cut
 * between feeds is copied, and only once its prelude CRC vouches for the
 * length. CRC-32 is computed with a slicing-by-8 table built once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/evstream.h"

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    uint32_t i, j, c;

    for (i = 0; i < 256; i++) {
        c = i;
        for (j = 0; j < 8; j++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_tab[0][i] = c;
    }
    for (i = 0; i < 256; i++)
        for (j = 1; j < 8; j++)
            crc_tab[j][i] = (crc_tab[j - 1][i] >> 8) ^ crc_tab[0][crc_tab[j - 1][i] & 0xff];
}

uint32_t bw_evs_crc32(uint32_t crc, const void *buf, size_t n)
{
    const unsigned char *p = buf;

    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (n >= 8) {
        uint32_t a = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = crc_tab[7][a & 0xff] ^ crc_tab[6][(a >> 8) & 0xff] ^ crc_tab[5][(a >> 16) & 0xff] ^
              crc_tab[4][a >> 24] ^ crc_tab[3][p[4]] ^ crc_tab[2][p[5]] ^ crc_tab[1][p[6]] ^ crc_tab[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

void bw_evs_dec_init(struct bw_evs_dec *d, size_t max_message)
{
    memset(d, 0, sizeof(*d));
    d->max_message = max_message ? max_message : BW_EVS_MAX_MESSAGE;
    bw_buf_init(&d->buf, d->max_message);
}

void bw_evs_dec_free(struct bw_evs_dec *d)
{
    bw_buf_free(&d->buf);
}

/* Checks a prelude; returns the message's total length or a BW_E* code. */
static long prelude(const unsigned char *p, size_t max)
{
    uint32_t total = get32(p), hlen = get32(p + 4);

    if (bw_evs_crc32(0, p, 8) != get32(p + 8))
        return BW_EPROTO;
    if (total < BW_EVS_OVERHEAD || hlen > total - BW_EVS_OVERHEAD || hlen > BW_EVS_MAX_HEADERS_BYTES)
        return BW_EPROTO;
    if (total > max)
        return BW_ELIMIT;
    return (long)total;
}

static int headers(const unsigned char *p, size_t n, struct bw_evs_msg *m)
{
    size_t i = 0;

    m->nh = 0;
    while (i < n) {
        struct bw_evs_header *h;
        size_t nl, vl;

        if (m->nh == BW_EVS_MAX_HEADERS)
            return BW_EPROTO;
        h = &m->h[m->nh++];
        memset(h, 0, sizeof(*h));
        nl = p[i++];
        if (nl == 0 || n - i < nl + 1)
            return BW_EPROTO;
        h->name.base = (const char *)p + i;
        h->name.len = nl;
        i += nl;
        h->type = p[i++];
        switch (h->type) {
        case BW_EVS_TRUE: h->i = 1; break;
        case BW_EVS_FALSE: h->i = 0; break;
        case BW_EVS_BYTE:
            if (n - i < 1)
                return BW_EPROTO;
            h->i = (int8_t)p[i++];
            break;
        case BW_EVS_SHORT:
            if (n - i < 2)
                return BW_EPROTO;
            h->i = (int16_t)((uint16_t)p[i] << 8 | p[i + 1]);
            i += 2;
            break;
        case BW_EVS_INT:
            if (n - i < 4)
                return BW_EPROTO;
            h->i = (int32_t)get32(p + i);
            i += 4;
            break;
        case BW_EVS_LONG:
        case BW_EVS_TIMESTAMP:
            if (n - i < 8)
                return BW_EPROTO;
            h->i = (int64_t)((uint64_t)get32(p + i) << 32 | get32(p + i + 4));
            i += 8;
            break;
        case BW_EVS_BYTES:
        case BW_EVS_STRING:
            if (n - i < 2)
                return BW_EPROTO;
            vl = (size_t)p[i] << 8 | p[i + 1];
            i += 2;
            if (n - i < vl)
                return BW_EPROTO;
            h->s.base = (const char *)p + i;
            h->s.len = vl;
            i += vl;
            break;
        case BW_EVS_UUID:
            if (n - i < 16)
                return BW_EPROTO;
            h->s.base = (const char *)p + i;
            h->s.len = 16;
            i += 16;
            break;
        default:
            return BW_EPROTO;
        }
    }
    return 0;
}

int bw_evs_parse(const char *buf, size_t n, struct bw_evs_msg *m)
{
    const unsigned char *p = (const unsigned char *)buf;
    long total;
    uint32_t hlen;
    int rv;

    if (n < BW_EVS_OVERHEAD)
        return BW_EPROTO;
    total = prelude(p, n);
    if (total == BW_ELIMIT || (total >= 0 && (size_t)total != n))
        return BW_EPROTO;
    if (total < 0)
        return (int)total;
    if (bw_evs_crc32(0, p, n - 4) != get32(p + n - 4))
        return BW_EPROTO;
    hlen = get32(p + 4);
    if ((rv = headers(p + BW_EVS_PRELUDE, hlen, m)) != 0)
        return rv;
    m->payload.base = buf + BW_EVS_PRELUDE + hlen;
    m->payload.len = n - BW_EVS_OVERHEAD - hlen;
    return 0;
}

static int deliver(struct bw_evs_dec *d, const char *p, size_t n, bw_evs_cb cb, void *ud)
{
    int rv;

    if ((rv = bw_evs_parse(p, n, &d->msg)) != 0)
        return rv;
    return cb(ud, &d->msg);
}

static int feed(struct bw_evs_dec *d, const char *p, size_t n, bw_evs_cb cb, void *ud)
{
    long total;
    size_t take;
    int rv;

    while (n > 0) {
        if (d->buf.len == 0 && n >= BW_EVS_PRELUDE) {
            /* fast path: whole messages in place */
            if ((total = prelude((const unsigned char *)p, d->max_message)) < 0)
                return (int)total;
            if ((size_t)total <= n) {
                if ((rv = deliver(d, p, (size_t)total, cb, ud)) != 0)
                    return rv;
                p += total;
                n -= (size_t)total;
                continue;
            }
            d->need = (size_t)total;
        }
        if (d->need == 0) {
            /* gather the prelude first */
            take = BW_MIN(n, BW_EVS_PRELUDE - d->buf.len);
            if ((rv = bw_buf_add(&d->buf, p, take)) != 0)
                return rv;
            p += take;
            n -= take;
            if (d->buf.len < BW_EVS_PRELUDE)
                return 0;
            if ((total = prelude((const unsigned char *)d->buf.base, d->max_message)) < 0)
                return (int)total;
            d->need = (size_t)total;
            continue;
        }
        take = BW_MIN(n, d->need - d->buf.len);
        if ((rv = bw_buf_add(&d->buf, p, take)) != 0)
            return rv;
        p += take;
        n -= take;
        if (d->buf.len == d->need) {
            rv = deliver(d, d->buf.base, d->buf.len, cb, ud);
            bw_buf_reset(&d->buf);
            d->need = 0;
            if (rv != 0)
                return rv;
        }
    }
    return 0;
}

int bw_evs_dec_feed(struct bw_evs_dec *d, const char *p, size_t n, bw_evs_cb cb, void *ud)
{
    int rv;

    if (d->err)
        return d->err;
    if ((rv = feed(d, p, n, cb, ud)) != 0)
        d->err = rv;
    return rv;
}

int bw_evs_dec_finish(struct bw_evs_dec *d)
{
    if (d->err)
        return d->err;
    return d->buf.len ? BW_EPROTO : 0;
}

int bw_evs_encode(struct bw_buf *out, const struct bw_evs_header *h, size_t nh, const void *payload, size_t plen)
{
    size_t hlen = 0, i, start = out->len, total;
    unsigned char tmp[16];
    int rv;

    for (i = 0; i < nh; i++) {
        if (h[i].name.len == 0 || h[i].name.len > 255)
            return BW_EINVAL;
        hlen += 2 + h[i].name.len;
        switch (h[i].type) {
        case BW_EVS_TRUE:
        case BW_EVS_FALSE: break;
        case BW_EVS_BYTE: hlen += 1; break;
        case BW_EVS_SHORT: hlen += 2; break;
        case BW_EVS_INT: hlen += 4; break;
        case BW_EVS_LONG:
        case BW_EVS_TIMESTAMP: hlen += 8; break;
        case BW_EVS_BYTES:
        case BW_EVS_STRING:
            if (h[i].s.len > 65535)
                return BW_EINVAL;
            hlen += 2 + h[i].s.len;
            break;
        case BW_EVS_UUID:
            if (h[i].s.len != 16)
                return BW_EINVAL;
            hlen += 16;
            break;
        default: return BW_EINVAL;
        }
    }
    if (hlen > BW_EVS_MAX_HEADERS_BYTES || plen > BW_EVS_MAX_MESSAGE - BW_EVS_OVERHEAD - hlen)
        return BW_ELIMIT;
    total = BW_EVS_OVERHEAD + hlen + plen;
    if ((rv = bw_buf_reserve(out, total)) != 0)
        return rv;
    put32(tmp, (uint32_t)total);
    put32(tmp + 4, (uint32_t)hlen);
    put32(tmp + 8, bw_evs_crc32(0, tmp, 8));
    bw_buf_add(out, tmp, 12);
    for (i = 0; i < nh; i++) {
        unsigned char t = (unsigned char)h[i].type;
        uint64_t v = (uint64_t)h[i].i;
        size_t k, w = 0;

        tmp[0] = (unsigned char)h[i].name.len;
        bw_buf_add(out, tmp, 1);
        bw_buf_add(out, h[i].name.base, h[i].name.len);
        bw_buf_add(out, &t, 1);
        switch (t) {
        case BW_EVS_BYTE: w = 1; break;
        case BW_EVS_SHORT: w = 2; break;
        case BW_EVS_INT: w = 4; break;
        case BW_EVS_LONG:
        case BW_EVS_TIMESTAMP: w = 8; break;
        case BW_EVS_BYTES:
        case BW_EVS_STRING:
            tmp[0] = (unsigned char)(h[i].s.len >> 8);
            tmp[1] = (unsigned char)h[i].s.len;
            bw_buf_add(out, tmp, 2);
            /* fall through */
        case BW_EVS_UUID: bw_buf_add(out, h[i].s.base, h[i].s.len); break;
        default: break;
        }
        for (k = 0; k < w; k++)
            tmp[k] = (unsigned char)(v >> (8 * (w - 1 - k)));
        bw_buf_add(out, tmp, w);
    }
    bw_buf_add(out, payload, plen);
    put32(tmp, bw_evs_crc32(0, out->base + start, out->len - start));
    bw_buf_add(out, tmp, 4);
    return 0;
}

const struct bw_iov *bw_evs_header_str(const struct bw_evs_msg *m, const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < m->nh; i++)
        if (m->h[i].type == BW_EVS_STRING && m->h[i].name.len == n && memcmp(m->h[i].name.base, name, n) == 0)
            return &m->h[i].s;
    return NULL;
}

int bw_evs_encode_json(struct bw_buf *out, int exception, const char *type, const char *json, size_t jlen)
{
    struct bw_evs_header h[3];

    h[0] = bw_evs_str(exception ? ":exception-type" : ":event-type", type);
    h[1] = bw_evs_str(":content-type", "application/json");
    h[2] = bw_evs_str(":message-type", exception ? "exception" : "event");
    return bw_evs_encode(out, h, 3, json, jlen);
}
