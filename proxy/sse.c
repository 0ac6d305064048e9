/*
 * sse.c: incremental Server-Sent Events decoder and encoder (see sse.h).
 *
 * Bytes of a line are used in place when the whole line is in one feed;
 * only a line split across feeds is copied. The one subtle split is CR LF
 * cut between two feeds: the CR ends the line at once and skip_lf eats the
 * LF when it comes, so the line is never seen twice.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/sse.h"

static const unsigned char bom8[3] = {0xef, 0xbb, 0xbf};

void bw_sse_dec_init(struct bw_sse_dec *d, size_t max_line, size_t max_event)
{
    memset(d, 0, sizeof(*d));
    d->max_line = max_line ? max_line : BW_SSE_MAX_LINE;
    d->max_event = max_event ? max_event : BW_SSE_MAX_EVENT;
    bw_buf_init(&d->line, d->max_line);
    bw_buf_init(&d->data, d->max_event);
    bw_buf_init(&d->name, d->max_line);
    bw_buf_init(&d->id, d->max_line);
    d->retry = -1;
}

void bw_sse_dec_free(struct bw_sse_dec *d)
{
    bw_buf_free(&d->line);
    bw_buf_free(&d->data);
    bw_buf_free(&d->name);
    bw_buf_free(&d->id);
}

static void reset_event(struct bw_sse_dec *d)
{
    bw_buf_reset(&d->data);
    bw_buf_reset(&d->name);
    bw_buf_reset(&d->id);
    d->has_id = 0;
    d->retry = -1;
    d->fields = 0;
}

static int dispatch(struct bw_sse_dec *d, bw_sse_cb cb, void *ud)
{
    struct bw_sse_event ev;
    int rv;

    /* the spec drops an event without data (only event:/id: lines) */
    if (d->fields != 2) {
        reset_event(d);
        return 0;
    }
    memset(&ev, 0, sizeof(ev));
    ev.event.base = d->name.base ? d->name.base : "";
    ev.event.len = d->name.len;
    ev.data.base = d->data.base;
    ev.data.len = d->data.len;
    if (ev.data.len && ev.data.base[ev.data.len - 1] == '\n')
        ev.data.len--;
    if (ev.data.base == NULL)
        ev.data.base = "";
    ev.id.base = d->id.base ? d->id.base : "";
    ev.id.len = d->id.len;
    ev.has_id = d->has_id;
    ev.retry = d->retry;
    rv = cb(ud, &ev);
    reset_event(d);
    return rv;
}

static int set(struct bw_buf *b, const char *p, size_t n)
{
    bw_buf_reset(b);
    return bw_buf_add(b, p, n);
}

/* One complete line, without its line end. */
static int on_line(struct bw_sse_dec *d, const char *p, size_t n, bw_sse_cb cb, void *ud)
{
    const char *colon, *v;
    size_t flen, vlen;
    int rv;

    if (n == 0)
        return dispatch(d, cb, ud);
    if (p[0] == ':') {
        struct bw_sse_event ev;

        memset(&ev, 0, sizeof(ev));
        ev.comment = 1;
        ev.retry = -1;
        ev.event.base = ev.id.base = "";
        ev.data.base = p + 1;
        ev.data.len = n - 1;
        if (ev.data.len && ev.data.base[0] == ' ') {
            ev.data.base++;
            ev.data.len--;
        }
        return cb(ud, &ev);
    }
    colon = memchr(p, ':', n);
    flen = colon ? (size_t)(colon - p) : n;
    v = colon ? colon + 1 : p + n;
    vlen = (size_t)(p + n - v);
    if (vlen && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (flen == 4 && memcmp(p, "data", 4) == 0) {
        if (d->data.len + vlen + 1 + d->name.len > d->max_event)
            return BW_ELIMIT;
        if ((rv = bw_buf_add(&d->data, v, vlen)) != 0 || (rv = bw_buf_addc(&d->data, '\n')) != 0)
            return rv;
        d->fields = 2;
        return 0;
    }
    if (d->fields == 0)
        d->fields = 1;
    if (flen == 5 && memcmp(p, "event", 5) == 0) {
        if (vlen + d->data.len > d->max_event)
            return BW_ELIMIT;
        return set(&d->name, v, vlen);
    }
    if (flen == 2 && memcmp(p, "id", 2) == 0) {
        if (memchr(v, '\0', vlen) != NULL)
            return 0; /* the spec ignores such an id */
        d->has_id = 1;
        return set(&d->id, v, vlen);
    }
    if (flen == 5 && memcmp(p, "retry", 5) == 0) {
        long r = 0;
        size_t i;

        for (i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return 0;
            if (r < 100000000)
                r = r * 10 + (v[i] - '0');
        }
        if (vlen)
            d->retry = r;
        return 0;
    }
    return 0; /* unknown fields are ignored */
}

static int feed_lines(struct bw_sse_dec *d, const char *p, size_t n, bw_sse_cb cb, void *ud)
{
    size_t i = 0, j;
    int rv;

    while (i < n) {
        if (d->skip_lf) {
            d->skip_lf = 0;
            if (p[i] == '\n') {
                i++;
                continue;
            }
        }
        for (j = i; j < n && p[j] != '\n' && p[j] != '\r'; j++)
            ;
        if (j == n) {
            if (d->line.len + (n - i) > d->max_line)
                return BW_ELIMIT;
            return bw_buf_add(&d->line, p + i, n - i);
        }
        if (d->line.len) {
            if (d->line.len + (j - i) > d->max_line)
                return BW_ELIMIT;
            if ((rv = bw_buf_add(&d->line, p + i, j - i)) != 0)
                return rv;
            rv = on_line(d, d->line.base, d->line.len, cb, ud);
            bw_buf_reset(&d->line);
        } else {
            if (j - i > d->max_line)
                return BW_ELIMIT;
            rv = on_line(d, p + i, j - i, cb, ud);
        }
        if (p[j] == '\r')
            d->skip_lf = 1;
        i = j + 1;
        if (rv != 0)
            return rv;
    }
    return 0;
}

int bw_sse_dec_feed(struct bw_sse_dec *d, const char *p, size_t n, bw_sse_cb cb, void *ud)
{
    int rv;

    if (d->err)
        return d->err;
    /* a UTF-8 BOM may open the stream, in any split */
    while (!d->started && n > 0) {
        if ((unsigned char)p[0] == bom8[d->nbom]) {
            d->nbom++;
            p++;
            n--;
            if (d->nbom == 3)
                d->started = 1;
            continue;
        }
        d->started = 1;
        if (d->nbom && (rv = feed_lines(d, (const char *)bom8, d->nbom, cb, ud)) != 0)
            return d->err = rv;
    }
    if (n == 0)
        return 0;
    if ((rv = feed_lines(d, p, n, cb, ud)) != 0)
        d->err = rv;
    return rv;
}

int bw_sse_dec_finish(struct bw_sse_dec *d)
{
    if (d->err)
        return d->err;
    if (!d->started && d->nbom)
        return BW_EPROTO;
    if (d->line.len || d->fields)
        return BW_EPROTO;
    return 0;
}

int bw_sse_encode(struct bw_buf *out, const char *name, size_t nlen, const char *data, size_t dlen)
{
    size_t i = 0, j;
    int rv;

    if (name) {
        if (memchr(name, '\n', nlen) || memchr(name, '\r', nlen))
            return BW_EINVAL;
        if ((rv = bw_buf_add(out, "event: ", 7)) != 0 || (rv = bw_buf_add(out, name, nlen)) != 0 ||
            (rv = bw_buf_addc(out, '\n')) != 0)
            return rv;
    }
    for (;;) {
        for (j = i; j < dlen && data[j] != '\n' && data[j] != '\r'; j++)
            ;
        if ((rv = bw_buf_add(out, "data: ", 6)) != 0 || (rv = bw_buf_add(out, data + i, j - i)) != 0 ||
            (rv = bw_buf_addc(out, '\n')) != 0)
            return rv;
        if (j >= dlen)
            break;
        if (data[j] == '\r' && j + 1 < dlen && data[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    return bw_buf_addc(out, '\n');
}

int bw_sse_comment(struct bw_buf *out, const char *text, size_t len)
{
    size_t i;
    int rv;

    if ((rv = bw_buf_add(out, ": ", 2)) != 0)
        return rv;
    /* a line break would end the comment and start a field */
    for (i = 0; i < len; i++)
        if ((rv = bw_buf_addc(out, text[i] == '\n' || text[i] == '\r' ? ' ' : text[i])) != 0)
            return rv;
    return bw_buf_add(out, "\n\n", 2);
}
