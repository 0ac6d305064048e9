/*
 * stream_bench.c: the streaming benchmark's two ends (issue 5, item 7).
 *
 *   stream_bench --origin --listen HOST:PORT [--tokens T] [--gap-ms G] [--sentence K]
 *   stream_bench --connect HOST:PORT [--proto h1|h2c] [--path P] [--streams N]
 *                [--tokens T] [--gap-ms G] [--ramp-ms R] [--per-conn M] [--pid PID]...
 *                [--label NAME] [--timeout-s S]
 *
 * The origin is the model: it answers every POST with an OpenAI chat
 * completion stream (text/event-stream, chat.completion.chunk deltas,
 * finish_reason "stop", [DONE]) of T tokens, one event every G ms, over
 * HTTP/1.1 (chunked) or HTTP/2 cleartext (prior knowledge). Each token
 * carries the origin's send time: 8 letters that spell CLOCK_MONOTONIC in
 * microseconds in base 20 over lowercase consonants, so no word list, PII
 * pattern or mask touches it, and it survives any re-chunking a guard does.
 * Every K-th token ends a sentence ("."), so sentence-gated classifiers
 * release text as a real answer would let them. The request headers
 * x-mock-tokens and x-mock-delay-ms (the mock model's names) override T and
 * G per request.
 *
 * The client opens N streams through HOST:PORT (HTTP/1.1: one connection
 * each; h2c: M streams per connection), all connections first, then the
 * requests spread over R ms so the streams' events are evenly phased. From
 * the client side it measures, on one clock with the origin:
 *   ttft     request written -> first token complete
 *   event    token complete at the client - its send time at the origin
 *   release  a read that completed tokens - the latest send time on that
 *            stream not after it: the time from the upstream event that let
 *            a guard release held text to that text being read. Without a
 *            guard it equals the event latency; with one, the hold-back
 *            itself (waiting for the next word or sentence end) is left out.
 *            Valid while latencies stay under the event gap.
 *   ttftn    ttft less the hold of the first token (the send time of the
 *            event that released it - the first token's send time)
 * and of the processes named by --pid (summed): CPU (utime+stime) from the
 * first request to the last stream's end, VmRSS before connecting (idle)
 * and its largest sample while all N streams are open. It prints one line
 * of key=value figures (microseconds, KB) for tests/bench/stream.sh.
 *
 * One thread, epoll, non-blocking sockets. Every fd and allocation is
 * released before exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SB_ALPHA "bcdfghjklmnpqrstvwxz"
#define SB_BASE 20
#define SB_NLET 8
#define SB_MOD 25600000000LL   /* 20^8 us: the stamp wraps every 7.1 hours */
#define SB_MAX_LINE (256 * 1024) /* cap of one SSE line at the client */
#define SB_MAX_OUT (64 << 20)  /* cap of a connection's pending output */
#define SB_RBUF (256 * 1024)
#define SB_MAX_PIDS 8
#define SB_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

static volatile sig_atomic_t stop;
static int ep = -1;
static char rbuf[SB_RBUF];

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);

    if (p == NULL) {
        fprintf(stderr, "stream_bench: out of memory\n");
        exit(1);
    }
    return p;
}

/* ------------------------------------------------------------------ */
/* output buffer                                                       */

struct obuf {
    char *base;
    size_t off, len, cap; /* pending bytes are base[off .. len) */
};

static int ob_add(struct obuf *b, const void *p, size_t n)
{
    if (b->off && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        char *v;

        if (b->off) { /* compact first */
            memmove(b->base, b->base + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        while (nc < b->len + n)
            nc *= 2;
        if (nc > SB_MAX_OUT)
            return -1;
        if (nc > b->cap) {
            if ((v = realloc(b->base, nc)) == NULL)
                return -1;
            b->base = v;
            b->cap = nc;
        }
    }
    memcpy(b->base + b->len, p, n);
    b->len += n;
    return 0;
}

static void ob_free(struct obuf *b)
{
    free(b->base);
    memset(b, 0, sizeof(*b));
}

/* Writes what it can; returns 1 if bytes remain, 0 if all went, -1 on error. */
static int ob_flush(struct obuf *b, int fd)
{
    while (b->off < b->len) {
        ssize_t n = write(fd, b->base + b->off, b->len - b->off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? 1 : -1;
        }
        b->off += (size_t)n;
    }
    b->off = b->len = 0;
    return 0;
}

static int set_events(int fd, void *ptr, uint32_t ev, int op)
{
    struct epoll_event e;

    e.events = ev;
    e.data.ptr = ptr;
    return epoll_ctl(ep, op, fd, &e);
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
    char host[64];
    const char *c = strrchr(s, ':');
    size_t n;

    if (c == NULL || (n = (size_t)(c - s)) >= sizeof(host))
        return -1;
    memcpy(host, s, n);
    host[n] = 0;
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)strtoul(c + 1, NULL, 10));
    return inet_pton(AF_INET, n ? host : "127.0.0.1", &a->sin_addr) == 1 ? 0 : -1;
}

static unsigned parse_uint(const char *s, unsigned max)
{
    unsigned long v = strtoul(s, NULL, 10);

    return (unsigned)(v > max ? max : v);
}

/* ------------------------------------------------------------------ */
/* origin                                                              */

struct oconn;

struct ostream {
    struct oconn *c;
    int32_t id;        /* HTTP/2 stream id; 0 on HTTP/1.1 */
    unsigned tokens, gap_ms, sent;
    int get;           /* a GET: answered 404 */
    int started, eof, deferred;
    int64_t start_us;
    size_t hi;         /* index in the timer heap; SIZE_MAX when not queued */
    struct obuf pend;  /* HTTP/2: event bytes nghttp2 has not taken yet */
    struct ostream *lnext, *lprev; /* HTTP/2: the connection's streams */
};

struct oconn {
    int fd, h2, closing, want_out, dirty;
    char pre[24];
    size_t npre;
    llhttp_t hp;
    nghttp2_session *ss;
    struct obuf out;
    struct ostream *h1s;
    struct ostream *list; /* HTTP/2 streams (nghttp2_session_del does not close them) */
    char hname[32], hval[32];
    size_t nhname, nhval;
    struct oconn *dnext;
};

static struct {
    unsigned tokens, gap_ms, sentence;
    struct ostream **heap;
    size_t nheap, cheap;
    struct oconn *dirty;
    llhttp_settings_t hs;
    nghttp2_session_callbacks *cbs;
} org = {.tokens = 500, .gap_ms = 20, .sentence = 12};

static int64_t due_of(const struct ostream *s)
{
    return s->start_us + (int64_t)s->sent * s->gap_ms * 1000;
}

static void heap_swap(size_t a, size_t b)
{
    struct ostream *t = org.heap[a];

    org.heap[a] = org.heap[b];
    org.heap[b] = t;
    org.heap[a]->hi = a;
    org.heap[b]->hi = b;
}

static void heap_up(size_t i)
{
    while (i > 0 && due_of(org.heap[(i - 1) / 2]) > due_of(org.heap[i])) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < org.nheap && due_of(org.heap[l]) < due_of(org.heap[m]))
            m = l;
        if (r < org.nheap && due_of(org.heap[r]) < due_of(org.heap[m]))
            m = r;
        if (m == i)
            return;
        heap_swap(i, m);
        i = m;
    }
}

static void heap_push(struct ostream *s)
{
    if (org.nheap == org.cheap) {
        size_t nc = org.cheap ? org.cheap * 2 : 1024;
        struct ostream **v = realloc(org.heap, nc * sizeof(*v));
        if (v == NULL) {
            fprintf(stderr, "stream_bench: out of memory\n");
            exit(1);
        }
        org.heap = v;
        org.cheap = nc;
    }
    org.heap[org.nheap] = s;
    s->hi = org.nheap++;
    heap_up(s->hi);
}

static void heap_del(struct ostream *s)
{
    size_t i = s->hi;

    if (i == SIZE_MAX)
        return;
    s->hi = SIZE_MAX;
    if (i == --org.nheap)
        return;
    org.heap[i] = org.heap[org.nheap];
    org.heap[i]->hi = i;
    heap_down(i);
    heap_up(i);
}

static struct ostream *ostream_new(struct oconn *c, int32_t id)
{
    struct ostream *s = xcalloc(1, sizeof(*s));

    s->c = c;
    s->id = id;
    s->tokens = org.tokens;
    s->gap_ms = org.gap_ms;
    s->hi = SIZE_MAX;
    if (id) {
        s->lnext = c->list;
        if (c->list)
            c->list->lprev = s;
        c->list = s;
    }
    return s;
}

static void ostream_free(struct ostream *s)
{
    heap_del(s);
    if (s->id) {
        if (s->lprev)
            s->lprev->lnext = s->lnext;
        else
            s->c->list = s->lnext;
        if (s->lnext)
            s->lnext->lprev = s->lprev;
    }
    ob_free(&s->pend);
    free(s);
}

static void mark_dirty(struct oconn *c)
{
    if (!c->dirty) {
        c->dirty = 1;
        c->dnext = org.dirty;
        org.dirty = c;
    }
}

/*
 * Appends the next event(s) of s to b: the role and first token at the
 * start, then one token; the last token goes with the finish event and
 * [DONE], so a guard that holds the last words until the end releases them
 * on an event whose send time the client knows. Sets s->eof after the last.
 */
static void next_events(struct ostream *s, struct obuf *b)
{
    static const char head[] = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
                               "\"created\":1735689600,\"model\":\"bench\",\"system_fingerprint\":\"fp_bench\","
                               "\"choices\":[{\"index\":0,\"delta\":";
    char ev[512];
    int n;

    if (!s->started) {
        n = snprintf(ev, sizeof(ev), "%s{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
                                     "\"logprobs\":null,\"finish_reason\":null}]}\n\n", head);
        ob_add(b, ev, (size_t)n);
        s->started = 1;
    }
    if (s->sent < s->tokens) {
        char word[SB_NLET + 1];
        int64_t v = now_us() % SB_MOD;
        int i;

        for (i = SB_NLET - 1; i >= 0; i--) {
            word[i] = SB_ALPHA[v % SB_BASE];
            v /= SB_BASE;
        }
        word[SB_NLET] = 0;
        n = snprintf(ev, sizeof(ev), "%s{\"content\":\"%s%s%s\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
                     head, s->sent ? " " : "", word,
                     org.sentence && (s->sent + 1) % org.sentence == 0 ? "." : "");
        ob_add(b, ev, (size_t)n);
        if (++s->sent < s->tokens)
            return;
    }
    n = snprintf(ev, sizeof(ev), "%s{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", head);
    ob_add(b, ev, (size_t)n);
    s->eof = 1;
}

static void oconn_close(struct oconn *c)
{
    c->closing = 1;
}

static void oconn_free(struct oconn *c)
{
    if (c->h1s)
        ostream_free(c->h1s);
    while (c->list)
        ostream_free(c->list);
    if (c->ss)
        nghttp2_session_del(c->ss);
    ob_free(&c->out);
    close(c->fd);
    free(c);
}

static void oconn_flush(struct oconn *c)
{
    int rv;

    if (c->closing)
        return;
    if (c->h2) {
        for (;;) {
            const uint8_t *d;
            ssize_t n = nghttp2_session_mem_send(c->ss, &d);
            if (n < 0) {
                oconn_close(c);
                return;
            }
            if (n == 0)
                break;
            if (ob_add(&c->out, d, (size_t)n) != 0) {
                oconn_close(c);
                return;
            }
        }
    }
    rv = ob_flush(&c->out, c->fd);
    if (rv < 0) {
        oconn_close(c);
        return;
    }
    if (rv != c->want_out) {
        c->want_out = rv;
        set_events(c->fd, c, EPOLLIN | (rv ? EPOLLOUT : 0), EPOLL_CTL_MOD);
    }
    if (c->h2 && !nghttp2_session_want_read(c->ss) && !nghttp2_session_want_write(c->ss) && rv == 0)
        oconn_close(c);
}

/* One step of s: its next event(s) on the wire (HTTP/1.1) or to nghttp2. */
static void ostream_step(struct ostream *s)
{
    struct oconn *c = s->c;

    if (c->h2) {
        next_events(s, &s->pend); /* nghttpx and bulwark speak HTTP/1.1 upstream; h2c is the direct floor */
        if (s->deferred) {
            s->deferred = 0;
            nghttp2_session_resume_data(c->ss, s->id);
        }
        mark_dirty(c);
    } else {
        struct obuf ev = {0};
        char hex[16];
        int n;

        next_events(s, &ev);
        n = snprintf(hex, sizeof(hex), "%zx\r\n", ev.len);
        if (ob_add(&c->out, hex, (size_t)n) != 0 || ob_add(&c->out, ev.base, ev.len) != 0 ||
            ob_add(&c->out, s->eof ? "\r\n0\r\n\r\n" : "\r\n", s->eof ? 7 : 2) != 0)
            oconn_close(c); /* the proxy stopped reading: over SB_MAX_OUT pending */
        ob_free(&ev);
        mark_dirty(c);
        if (s->eof) {
            c->h1s = NULL;
            ostream_free(s);
            return;
        }
    }
    if (!s->eof)
        heap_push(s);
}

static void ostream_start(struct ostream *s)
{
    s->start_us = now_us();
    ostream_step(s);
}

/* HTTP/1.1 request side */
static int h1o_begin(llhttp_t *p)
{
    struct oconn *c = p->data;

    if (c->h1s) /* a request while the previous answer streams: proxies do not pipeline */
        return -1;
    c->h1s = ostream_new(c, 0);
    return 0;
}

static int h1o_field(llhttp_t *p, const char *at, size_t n)
{
    struct oconn *c = p->data;

    if (c->nhname + n < sizeof(c->hname)) {
        memcpy(c->hname + c->nhname, at, n);
        c->nhname += n;
    } else
        c->nhname = sizeof(c->hname); /* too long to be one of ours */
    return 0;
}

static int h1o_value(llhttp_t *p, const char *at, size_t n)
{
    struct oconn *c = p->data;

    if (c->nhval + n < sizeof(c->hval)) {
        memcpy(c->hval + c->nhval, at, n);
        c->nhval += n;
    }
    return 0;
}

static void knob(struct ostream *s, const char *name, size_t nl, const char *val, size_t vl)
{
    char v[16];

    if (vl >= sizeof(v))
        return;
    memcpy(v, val, vl);
    v[vl] = 0;
    if (nl == 13 && strncasecmp(name, "x-mock-tokens", 13) == 0)
        s->tokens = parse_uint(v, 1000000);
    else if (nl == 15 && strncasecmp(name, "x-mock-delay-ms", 15) == 0)
        s->gap_ms = parse_uint(v, 60000);
}

static int h1o_value_done(llhttp_t *p)
{
    struct oconn *c = p->data;

    if (c->h1s && c->nhname < sizeof(c->hname))
        knob(c->h1s, c->hname, c->nhname, c->hval, c->nhval);
    c->nhname = c->nhval = 0;
    return 0;
}

static int h1o_done(llhttp_t *p)
{
    struct oconn *c = p->data;
    static const char head[] = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
                               "transfer-encoding: chunked\r\n\r\n";
    static const char nf[] = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";

    if (llhttp_get_method(p) != HTTP_POST) {
        ob_add(&c->out, nf, sizeof(nf) - 1);
        ostream_free(c->h1s);
        c->h1s = NULL;
        mark_dirty(c);
        return 0;
    }
    ob_add(&c->out, head, sizeof(head) - 1);
    ostream_start(c->h1s);
    return 0;
}

/* HTTP/2 request side */
static ssize_t h2o_read(nghttp2_session *ss, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                        nghttp2_data_source *src, void *ud)
{
    struct ostream *s = src->ptr;
    size_t n = s->pend.len - s->pend.off;

    (void)ss;
    (void)id;
    (void)ud;
    if (n == 0) {
        if (s->eof) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
            return 0;
        }
        s->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (n > len)
        n = len;
    memcpy(buf, s->pend.base + s->pend.off, n);
    s->pend.off += n;
    if (s->pend.off == s->pend.len) {
        s->pend.off = s->pend.len = 0;
        if (s->eof)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return (ssize_t)n;
}

static int h2o_begin_headers(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
    struct oconn *c = ud;

    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
        nghttp2_session_set_stream_user_data(ss, f->hd.stream_id, ostream_new(c, f->hd.stream_id));
    return 0;
}

static int h2o_header(nghttp2_session *ss, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                      const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    struct ostream *s = nghttp2_session_get_stream_user_data(ss, f->hd.stream_id);

    (void)flags;
    (void)ud;
    if (s == NULL || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (nl == 7 && memcmp(name, ":method", 7) == 0)
        s->get = !(vl == 4 && memcmp(value, "POST", 4) == 0);
    else
        knob(s, (const char *)name, nl, (const char *)value, vl);
    return 0;
}

static int h2o_frame(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
    struct ostream *s;
    nghttp2_nv ok[2] = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
                        {(uint8_t *)"content-type", (uint8_t *)"text/event-stream", 12, 17, NGHTTP2_NV_FLAG_NONE}};
    nghttp2_nv nf[1] = {{(uint8_t *)":status", (uint8_t *)"404", 7, 3, NGHTTP2_NV_FLAG_NONE}};
    nghttp2_data_provider dp;

    (void)ud;
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) || !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    if ((s = nghttp2_session_get_stream_user_data(ss, f->hd.stream_id)) == NULL)
        return 0;
    if (s->get) {
        nghttp2_submit_response(ss, s->id, nf, 1, NULL);
        return 0;
    }
    dp.source.ptr = s;
    dp.read_callback = h2o_read;
    if (nghttp2_submit_response(ss, s->id, ok, 2, &dp) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    ostream_start(s);
    return 0;
}

static int h2o_close(nghttp2_session *ss, int32_t id, uint32_t code, void *ud)
{
    struct ostream *s = nghttp2_session_get_stream_user_data(ss, id);

    (void)code;
    (void)ud;
    if (s) {
        nghttp2_session_set_stream_user_data(ss, id, NULL);
        ostream_free(s);
    }
    return 0;
}

static int oconn_start_h2(struct oconn *c)
{
    nghttp2_settings_entry iv[1] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 10000}};

    c->h2 = 1;
    if (nghttp2_session_server_new(&c->ss, org.cbs, c) != 0)
        return -1;
    return nghttp2_submit_settings(c->ss, NGHTTP2_FLAG_NONE, iv, 1) != 0 ? -1 : 0;
}

static void oconn_read(struct oconn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, rbuf, sizeof(rbuf));
        const char *p = rbuf;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            oconn_close(c);
            return;
        }
        if (!c->h2 && c->npre < sizeof(c->pre)) { /* which protocol: the h2 preface, or HTTP/1.1 */
            size_t k = sizeof(c->pre) - c->npre;
            if (k > (size_t)n)
                k = (size_t)n;
            memcpy(c->pre + c->npre, p, k);
            c->npre += k;
            if (memcmp(c->pre, SB_H2_PREFACE, c->npre) == 0) {
                if (c->npre < sizeof(c->pre))
                    continue;
                if (oconn_start_h2(c) != 0) {
                    oconn_close(c);
                    return;
                }
                p = c->pre; /* the preface, then the rest of this read */
                if (nghttp2_session_mem_recv(c->ss, (const uint8_t *)p, sizeof(c->pre)) < 0) {
                    oconn_close(c);
                    return;
                }
                p = rbuf + k;
                n -= (ssize_t)k;
            } else {
                /* HTTP/1.1: feed what was held back, then the rest */
                size_t held = c->npre - k;
                c->npre = sizeof(c->pre);
                if (held && llhttp_execute(&c->hp, c->pre, held) != HPE_OK) {
                    oconn_close(c);
                    return;
                }
            }
        }
        if (c->h2) {
            if (n > 0 && nghttp2_session_mem_recv(c->ss, (const uint8_t *)p, (size_t)n) < 0) {
                oconn_close(c);
                return;
            }
        } else if (llhttp_execute(&c->hp, p, (size_t)n) != HPE_OK) {
            oconn_close(c);
            return;
        }
        mark_dirty(c);
        if (p + n == rbuf + sizeof(rbuf))
            continue;
        return; /* drained, most likely: level-triggered epoll reports the rest */
    }
}

static int origin_main(const char *listen_at)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    struct epoll_event evs[256];
    int lfd, one = 1, rv = 0;
    struct oconn **all = NULL;
    size_t nall = 0, call = 0, i;
    int lmark;

    if (parse_addr(listen_at, &a) != 0) {
        fprintf(stderr, "stream_bench: bad --listen %s\n", listen_at);
        return 2;
    }
    if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 4096) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
        perror("stream_bench: listen");
        close(lfd);
        return 1;
    }
    llhttp_settings_init(&org.hs);
    org.hs.on_message_begin = h1o_begin;
    org.hs.on_header_field = h1o_field;
    org.hs.on_header_value = h1o_value;
    org.hs.on_header_value_complete = h1o_value_done;
    org.hs.on_message_complete = h1o_done;
    nghttp2_session_callbacks_new(&org.cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(org.cbs, h2o_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(org.cbs, h2o_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(org.cbs, h2o_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(org.cbs, h2o_close);
    set_events(lfd, &lmark, EPOLLIN, EPOLL_CTL_ADD);
    printf("listening %u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);

    while (!stop) {
        int timeout = -1, n, k;
        int64_t t;

        if (org.nheap) {
            int64_t d = due_of(org.heap[0]) - now_us();
            timeout = d <= 0 ? 0 : (int)((d + 999) / 1000);
        }
        n = epoll_wait(ep, evs, 256, timeout);
        if (n < 0 && errno != EINTR) {
            rv = 1;
            break;
        }
        for (k = 0; k < n; k++) {
            struct oconn *c;
            if (evs[k].data.ptr == &lmark) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    c = xcalloc(1, sizeof(*c));
                    c->fd = fd;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    llhttp_init(&c->hp, HTTP_REQUEST, &org.hs);
                    c->hp.data = c;
                    if (nall == call) {
                        call = call ? call * 2 : 1024;
                        all = realloc(all, call * sizeof(*all));
                        if (all == NULL) {
                            fprintf(stderr, "stream_bench: out of memory\n");
                            exit(1);
                        }
                    }
                    all[nall++] = c;
                    set_events(fd, c, EPOLLIN, EPOLL_CTL_ADD);
                }
                continue;
            }
            c = evs[k].data.ptr;
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                oconn_read(c);
            if (evs[k].events & EPOLLOUT)
                mark_dirty(c);
        }
        t = now_us();
        while (org.nheap && due_of(org.heap[0]) <= t) {
            struct ostream *s = org.heap[0];
            heap_del(s);
            ostream_step(s);
        }
        while (org.dirty) {
            struct oconn *c = org.dirty;
            org.dirty = c->dnext;
            c->dirty = 0;
            oconn_flush(c);
        }
        /* free closed connections */
        for (i = 0; i < nall;) {
            if (all[i]->closing) {
                oconn_free(all[i]);
                all[i] = all[--nall];
            } else
                i++;
        }
    }
    for (i = 0; i < nall; i++)
        oconn_free(all[i]);
    free(all);
    free(org.heap);
    nghttp2_session_callbacks_del(org.cbs);
    close(lfd);
    return rv;
}

/* ------------------------------------------------------------------ */
/* client                                                              */

struct cconn;

struct cstream {
    struct cconn *c;
    int32_t id;
    int state;           /* 0 waiting, 1 requested, 2 ended, 3 failed */
    int status, done;    /* HTTP status; [DONE] seen */
    int64_t t_req, t_end;
    unsigned ntok, nev, extra, boff;
    int in_event;
    char *line;
    size_t llen, lcap;
    uint64_t run;
    unsigned nrun;
    int64_t *tsend, *trecv; /* per token */
    int64_t *dt;            /* reads that completed tokens: their time */
    unsigned ndel;
    char err[160];
};

struct cconn {
    int fd, h2, connected, closed, want_out, ready;
    llhttp_t hp;
    nghttp2_session *ss;
    struct obuf out;
    struct cstream *s1;
    unsigned nactive;
};

static struct {
    const char *label, *path, *proto, *dump;
    struct sockaddr_in addr;
    unsigned streams, tokens, gap_ms, ramp_ms, per_conn, timeout_s;
    int pids[SB_MAX_PIDS], npids;
    struct cstream *st;
    struct cconn *cc;
    unsigned ncc;
    char body[512];
    size_t nbody;
    int64_t tnow;  /* time of the current read */
    llhttp_settings_t hs;
    nghttp2_session_callbacks *cbs;
    unsigned nopen, nended;
} cli = {.label = "target", .path = "/v1/chat/completions", .proto = "h1", .streams = 100, .tokens = 100,
         .gap_ms = 20, .ramp_ms = 1000, .per_conn = 100, .timeout_s = 0};

/* CPU seconds (utime+stime) and VmRSS KB of the --pid processes, summed. */
static double proc_cpu(void)
{
    long tck = sysconf(_SC_CLK_TCK);
    double total = 0;
    int i;

    for (i = 0; i < cli.npids; i++) {
        char path[64], buf[1024], *p;
        unsigned long ut = 0, stt = 0;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", cli.pids[i]);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        if ((p = strrchr(buf, ')')) == NULL)
            continue;
        /* after ")": state(3) ... utime(14) stime(15) */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) == 2)
            total += (double)(ut + stt) / (double)tck;
    }
    return total;
}

static long proc_rss(void)
{
    long total = 0;
    int i;

    for (i = 0; i < cli.npids; i++) {
        char path[64], line[256];
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", cli.pids[i]);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        while (fgets(line, sizeof(line), f))
            if (strncmp(line, "VmRSS:", 6) == 0)
                total += strtol(line + 6, NULL, 10);
        fclose(f);
    }
    return total;
}

static void cs_fail(struct cstream *s, const char *why)
{
    if (s->state >= 2)
        return;
    if (s->state == 1)
        cli.nopen--;
    s->state = 3;
    s->t_end = now_us();
    cli.nended++;
    if (!s->err[0])
        snprintf(s->err, sizeof(s->err), "%s", why);
}

static void cs_end(struct cstream *s)
{
    if (s->state >= 2)
        return;
    if (s->status != 200 || !s->done) {
        cs_fail(s, s->status != 200 ? "status" : "no [DONE]");
        return;
    }
    cli.nopen--;
    s->state = 2;
    s->t_end = now_us();
    cli.nended++;
}

/* A token completed at cli.tnow with stamp v (mod SB_MOD). */
static void cs_token(struct cstream *s, uint64_t v)
{
    int64_t t = cli.tnow, d;

    if (s->ntok >= cli.tokens) {
        s->extra++;
        return;
    }
    d = ((t - (int64_t)v) % SB_MOD + SB_MOD) % SB_MOD;
    s->tsend[s->ntok] = t - d;
    s->trecv[s->ntok] = t;
    s->ntok++;
    if (s->ndel == 0 || s->dt[s->ndel - 1] != t)
        s->dt[s->ndel++] = t;
}

/* The text of a JSON string value starting at p (after the quote). */
static void cs_text(struct cstream *s, const char *p, const char *end)
{
    while (p < end && *p != '"') {
        const char *a;
        if (*p == '\\') {
            p++;
            if (p < end && *p == 'u')
                p += 4;
            p++;
            s->nrun = 0;
            continue;
        }
        if (*p >= 'a' && *p <= 'z' && (a = memchr(SB_ALPHA, *p, SB_BASE)) != NULL) {
            s->run = s->run * SB_BASE + (uint64_t)(a - SB_ALPHA);
            if (++s->nrun == SB_NLET) {
                cs_token(s, s->run);
                s->nrun = 0;
                s->run = 0;
            }
        } else {
            s->nrun = 0;
            s->run = 0;
        }
        p++;
    }
}

static void cs_line(struct cstream *s, const char *l, size_t n)
{
    const char *p, *end = l + n;

    if (n && l[n - 1] == '\r')
        end--, n--;
    if (n == 0) {
        if (s->in_event)
            s->nev++;
        s->in_event = 0;
        return;
    }
    if (n < 5 || memcmp(l, "data:", 5) != 0)
        return;
    s->in_event = 1;
    p = l + 5;
    if (p < end && *p == ' ')
        p++;
    if (end - p == 6 && memcmp(p, "[DONE]", 6) == 0) {
        s->done = 1;
        return;
    }
    /* "content" : "..." in the delta; other strings carry no text of ours */
    while ((p = memmem(p, (size_t)(end - p), "\"content\"", 9)) != NULL) {
        p += 9;
        while (p < end && (*p == ' ' || *p == ':'))
            p++;
        if (p < end && *p == '"') {
            cs_text(s, p + 1, end);
            return;
        }
    }
}

static void cs_body(struct cstream *s, const char *p, size_t n)
{
    if (s->status != 200) {
        size_t k = strlen(s->err), room = sizeof(s->err) - 1 - k;
        if (k == 0 && room > 16) {
            k = (size_t)snprintf(s->err, sizeof(s->err), "HTTP %d: ", s->status);
            room = sizeof(s->err) - 1 - k;
        }
        if (n < room)
            room = n;
        memcpy(s->err + k, p, room);
        s->err[k + room] = 0;
        for (char *q = s->err; *q; q++)
            if (*q == '\n' || *q == '\r' || *q == ' ')
                *q = '_';
        return;
    }
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t k = nl ? (size_t)(nl - p) : n;

        if (s->llen == 0 && nl) {
            cs_line(s, p, k); /* the whole line is here: no copy */
        } else {
            if (s->llen + k > s->lcap) {
                size_t nc = s->lcap ? s->lcap : 1024;
                while (nc < s->llen + k)
                    nc *= 2;
                if (nc > SB_MAX_LINE) {
                    cs_fail(s, "SSE line too long");
                    return;
                }
                s->line = realloc(s->line, nc);
                if (s->line == NULL) {
                    fprintf(stderr, "stream_bench: out of memory\n");
                    exit(1);
                }
                s->lcap = nc;
            }
            memcpy(s->line + s->llen, p, k);
            s->llen += k;
            if (nl) {
                cs_line(s, s->line, s->llen);
                s->llen = 0;
            }
        }
        if (!nl)
            return;
        p += k + 1;
        n -= k + 1;
    }
}

/* HTTP/1.1 response side */
static int h1c_headers(llhttp_t *p)
{
    struct cconn *c = p->data;

    if (c->s1)
        c->s1->status = p->status_code;
    return 0;
}

static int h1c_body(llhttp_t *p, const char *at, size_t n)
{
    struct cconn *c = p->data;

    if (c->s1)
        cs_body(c->s1, at, n);
    return 0;
}

static int h1c_done(llhttp_t *p)
{
    struct cconn *c = p->data;

    if (c->s1) {
        cs_end(c->s1);
        c->s1 = NULL;
    }
    c->closed = 1; /* one stream per connection: close it */
    return HPE_PAUSED;
}

/* HTTP/2 */
static ssize_t h2c_body_read(nghttp2_session *ss, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                             nghttp2_data_source *src, void *ud)
{
    struct cstream *s = src->ptr;
    size_t n = cli.nbody - s->boff;

    (void)ss;
    (void)id;
    (void)ud;
    if (n > len)
        n = len;
    memcpy(buf, cli.body + s->boff, n);
    s->boff += (unsigned)n;
    if (s->boff == cli.nbody)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int h2c_header(nghttp2_session *ss, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                      const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    struct cstream *s = nghttp2_session_get_stream_user_data(ss, f->hd.stream_id);
    char v[8];

    (void)flags;
    (void)ud;
    if (s && nl == 7 && memcmp(name, ":status", 7) == 0 && vl < sizeof(v)) {
        memcpy(v, value, vl);
        v[vl] = 0;
        s->status = (int)strtol(v, NULL, 10);
    }
    return 0;
}

static int h2c_data(nghttp2_session *ss, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    struct cstream *s = nghttp2_session_get_stream_user_data(ss, id);

    (void)flags;
    (void)ud;
    if (s)
        cs_body(s, (const char *)data, len);
    return 0;
}

static int h2c_frame(nghttp2_session *ss, const nghttp2_frame *f, void *ud)
{
    struct cconn *c = ud;

    (void)ss;
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK))
        c->ready = 1;
    return 0;
}

static int h2c_close(nghttp2_session *ss, int32_t id, uint32_t code, void *ud)
{
    struct cstream *s = nghttp2_session_get_stream_user_data(ss, id);
    struct cconn *c = ud;

    if (s) {
        if (code != NGHTTP2_NO_ERROR && !s->err[0])
            snprintf(s->err, sizeof(s->err), "RST_STREAM %u", code);
        cs_end(s);
        c->nactive--;
    }
    return 0;
}

static void cc_flush(struct cconn *c)
{
    int rv;

    if (c->closed || !c->connected)
        return;
    if (c->h2) {
        for (;;) {
            const uint8_t *d;
            ssize_t n = nghttp2_session_mem_send(c->ss, &d);
            if (n <= 0)
                break;
            ob_add(&c->out, d, (size_t)n);
        }
    }
    rv = ob_flush(&c->out, c->fd);
    if (rv < 0) {
        c->closed = 1;
        return;
    }
    if (rv != c->want_out) {
        c->want_out = rv;
        set_events(c->fd, c, EPOLLIN | (rv ? EPOLLOUT : 0), EPOLL_CTL_MOD);
    }
}

static void cc_drop(struct cconn *c, const char *why)
{
    unsigned i;

    if (c->fd < 0)
        return;
    for (i = 0; i < cli.streams; i++)
        if (cli.st[i].c == c && cli.st[i].state < 2)
            cs_fail(&cli.st[i], why);
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->closed = 1;
}

static void cc_read(struct cconn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, rbuf, sizeof(rbuf));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            if (!c->h2 && c->s1 && n == 0 && llhttp_finish(&c->hp) == HPE_OK && c->s1)
                cs_end(c->s1);
            cc_drop(c, n == 0 ? "connection closed" : "read error");
            return;
        }
        cli.tnow = now_us();
        if (c->h2) {
            if (nghttp2_session_mem_recv(c->ss, (const uint8_t *)rbuf, (size_t)n) < 0) {
                cc_drop(c, "HTTP/2 error");
                return;
            }
        } else {
            llhttp_errno_t e = llhttp_execute(&c->hp, rbuf, (size_t)n);
            if (e != HPE_OK && e != HPE_PAUSED) {
                cc_drop(c, llhttp_errno_name(e));
                return;
            }
        }
        if (c->closed) {
            cc_drop(c, "closed");
            return;
        }
        if ((size_t)n < sizeof(rbuf))
            return; /* drained, most likely: level-triggered epoll reports the rest, saving a read */
    }
}

static void cc_start(struct cstream *s)
{
    struct cconn *c = s->c;
    char tok[16], gap[16];

    snprintf(tok, sizeof(tok), "%u", cli.tokens);
    snprintf(gap, sizeof(gap), "%u", cli.gap_ms);
    if (c->fd < 0 || c->closed) {
        s->state = 3;
        cli.nended++;
        snprintf(s->err, sizeof(s->err), "connection lost before the request");
        return;
    }
    s->state = 1;
    cli.nopen++;
    s->t_req = now_us();
    if (c->h2) {
        char cl[16];
        nghttp2_nv nv[8];
        nghttp2_data_provider dp;
        int32_t id;
        size_t k = 0;
        char host[32];

        snprintf(cl, sizeof(cl), "%zu", cli.nbody);
        snprintf(host, sizeof(host), "127.0.0.1:%u", (unsigned)ntohs(cli.addr.sin_port));
#define NV(n, v) nv[k++] = (nghttp2_nv){(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
        NV(":method", "POST");
        NV(":scheme", "http");
        NV(":authority", host);
        NV(":path", cli.path);
        NV("content-type", "application/json");
        NV("content-length", cl);
        NV("x-mock-tokens", tok);
        NV("x-mock-delay-ms", gap);
#undef NV
        dp.source.ptr = s;
        dp.read_callback = h2c_body_read;
        id = nghttp2_submit_request(c->ss, NULL, nv, k, &dp, s);
        if (id < 0) {
            cs_fail(s, nghttp2_strerror(id));
            return;
        }
        s->id = id;
        c->nactive++;
    } else {
        char req[1024];
        int n = snprintf(req, sizeof(req),
                         "POST %s HTTP/1.1\r\nhost: 127.0.0.1:%u\r\ncontent-type: application/json\r\n"
                         "accept: text/event-stream\r\ncontent-length: %zu\r\nx-mock-tokens: %s\r\n"
                         "x-mock-delay-ms: %s\r\n\r\n",
                         cli.path, (unsigned)ntohs(cli.addr.sin_port), cli.nbody, tok, gap);
        c->s1 = s;
        ob_add(&c->out, req, (size_t)n);
        ob_add(&c->out, cli.body, cli.nbody);
    }
    cc_flush(c);
}

static double self_cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t pct(const int64_t *v, size_t n, double q)
{
    size_t i;

    if (n == 0)
        return -1;
    i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static int client_main(void)
{
    struct epoll_event evs[256];
    unsigned i, next = 0, nok = 0, nfail = 0, nrefused = 0;
    int64_t t0, t_conn, deadline, next_sample = 0, expect_us, fl_us, fl_last = 0;
    long rss_idle, rss_conn = 0, rss_open = -1, rss_peak = 0;
    unsigned open_at_peak = 0, open_max = 0;
    double cpu0, cpu1 = -1, self0, self1 = -1;
    size_t ntok = 0, nd = 0, nev = 0;
    int64_t *ev, *rel, *ttft, *ttftn;
    unsigned nttft = 0, extra = 0;
    int one = 1, h2 = strcmp(cli.proto, "h2c") == 0;
    const char *first_err = NULL;
    int first_status = 0;

    cli.nbody = (size_t)snprintf(cli.body, sizeof(cli.body),
                                 "{\"model\":\"bench\",\"stream\":true,\"messages\":[{\"role\":\"system\",\"content\":"
                                 "\"You are a helpful assistant.\"},{\"role\":\"user\",\"content\":\"Tell me a long "
                                 "story about a lighthouse keeper and the sea, in plain words.\"}]}");
    cli.st = xcalloc(cli.streams, sizeof(*cli.st));
    cli.ncc = h2 ? (cli.streams + cli.per_conn - 1) / cli.per_conn : cli.streams;
    cli.cc = xcalloc(cli.ncc, sizeof(*cli.cc));
    llhttp_settings_init(&cli.hs);
    cli.hs.on_headers_complete = h1c_headers;
    cli.hs.on_body = h1c_body;
    cli.hs.on_message_complete = h1c_done;
    nghttp2_session_callbacks_new(&cli.cbs);
    nghttp2_session_callbacks_set_on_header_callback(cli.cbs, h2c_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cli.cbs, h2c_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cli.cbs, h2c_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cli.cbs, h2c_close);
    for (i = 0; i < cli.streams; i++) {
        struct cstream *s = &cli.st[i];
        s->c = &cli.cc[h2 ? i % cli.ncc : i];
        s->tsend = xcalloc(cli.tokens, sizeof(int64_t));
        s->trecv = xcalloc(cli.tokens, sizeof(int64_t));
        s->dt = xcalloc(cli.tokens, sizeof(int64_t));
    }

    rss_idle = proc_rss();
    /* all connections first */
    for (i = 0; i < cli.ncc; i++) {
        struct cconn *c = &cli.cc[i];
        c->h2 = h2;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            perror("stream_bench: socket");
            c->closed = 1;
            continue;
        }
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(c->fd, (struct sockaddr *)&cli.addr, sizeof(cli.addr)) != 0 && errno != EINPROGRESS) {
            close(c->fd);
            c->fd = -1;
            c->closed = 1;
            continue;
        }
        set_events(c->fd, c, EPOLLOUT, EPOLL_CTL_ADD);
        c->want_out = 1;
        llhttp_init(&c->hp, HTTP_RESPONSE, &cli.hs);
        c->hp.data = c;
        if (h2 && nghttp2_session_client_new(&c->ss, cli.cbs, c) == 0)
            nghttp2_submit_settings(c->ss, NGHTTP2_FLAG_NONE, NULL, 0);
    }
    deadline = now_us() + 30 * 1000000LL;
    fl_us = getenv("SB_FLUSH_MS") ? atoll(getenv("SB_FLUSH_MS")) * 1000 : 0;
    for (;;) {
        unsigned nready = 0;
        int n;
        for (i = 0; i < cli.ncc; i++)
            nready += cli.cc[i].closed || (cli.cc[i].connected && (!h2 || cli.cc[i].ready));
        if (nready == cli.ncc || now_us() > deadline || stop)
            break;
        n = epoll_wait(ep, evs, 256, 100);
        for (int j = 0; j < n; j++) {
            struct cconn *c = evs[j].data.ptr;
            if (!c->connected && (evs[j].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t el = sizeof(err);
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) {
                    cc_drop(c, "connect failed");
                    continue;
                }
                c->connected = 1;
                c->want_out = 0;
                set_events(c->fd, c, EPOLLIN, EPOLL_CTL_MOD);
                cc_flush(c);
                continue;
            }
            if (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                cc_read(c);
            if (c->fd >= 0 && (evs[j].events & EPOLLOUT))
                cc_flush(c);
        }
    }
    for (i = 0; i < cli.ncc; i++)
        if (!cli.cc[i].connected && cli.cc[i].fd >= 0)
            cc_drop(&cli.cc[i], "connect timed out");
    usleep(200 * 1000); /* let the proxy accept and settle */
    rss_conn = proc_rss();

    expect_us = (int64_t)cli.ramp_ms * 1000 + (int64_t)cli.tokens * cli.gap_ms * 1000;
    t0 = t_conn = now_us();
    deadline = t0 + (cli.timeout_s ? (int64_t)cli.timeout_s * 1000000 : 2 * expect_us + 60000000LL);
    cpu0 = proc_cpu();
    self0 = self_cpu();
    while (cli.nended < cli.streams && !stop) {
        int64_t t = now_us(), wake = deadline;
        int n, timeout;
        /*
         * SB_FLUSH_MS=N: h2 frames (WINDOW_UPDATE) go out every N ms, not
         * after each read: a client N ms away, for the connection window's
         * bound of ~65,535 bytes per round trip (docs/streaming-bench.md)
         */
        if (fl_us && t - fl_last >= fl_us) {
            fl_last = t;
            for (unsigned k = 0; k < cli.ncc; k++)
                if (cli.cc[k].fd >= 0 && cli.cc[k].h2)
                    cc_flush(&cli.cc[k]);
        }
        if (fl_us && fl_last + fl_us < wake)
            wake = fl_last + fl_us;

        while (next < cli.streams && t >= t0 + (int64_t)next * cli.ramp_ms * 1000 / cli.streams)
            if (cli.st[next++].state == 0) /* not failed with its connection */
                cc_start(&cli.st[next - 1]);
        if (cli.nopen > open_max)
            open_max = cli.nopen;
        if (t >= next_sample || (cli.nopen == cli.streams && rss_open < 0)) {
            long r = proc_rss();
            if (cli.nopen == cli.streams && r > rss_open)
                rss_open = r;
            if (cli.nopen > open_at_peak || (cli.nopen == open_at_peak && r > rss_peak)) {
                open_at_peak = cli.nopen;
                rss_peak = r;
            }
            next_sample = t + 100000;
        }
        if (next < cli.streams)
            wake = t0 + (int64_t)next * cli.ramp_ms * 1000 / cli.streams;
        if (next_sample < wake)
            wake = next_sample;
        if (t > deadline)
            break;
        timeout = wake <= t ? 0 : (int)((wake - t + 999) / 1000);
        n = epoll_wait(ep, evs, 256, timeout);
        for (int j = 0; j < n; j++) {
            struct cconn *c = evs[j].data.ptr;
            if (c->fd < 0)
                continue;
            if (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                cc_read(c);
            if (c->fd >= 0 && c->h2 && (!fl_us || (evs[j].events & EPOLLOUT)))
                cc_flush(c); /* WINDOW_UPDATE, SETTINGS ACK */
            else if (c->fd >= 0 && (evs[j].events & EPOLLOUT))
                cc_flush(c);
        }
        if (cli.nended == cli.streams && cpu1 < 0) {
            cpu1 = proc_cpu();
            self1 = self_cpu();
        }
    }
    if (cpu1 < 0) {
        cpu1 = proc_cpu();
        self1 = self_cpu();
    }
    for (i = 0; i < cli.streams; i++)
        if (cli.st[i].state < 2)
            cs_fail(&cli.st[i], cli.st[i].state == 0 ? "not started" : "timed out");

    /* figures */
    for (i = 0; i < cli.streams; i++)
        ntok += cli.st[i].ntok, nd += cli.st[i].ndel;
    ev = xcalloc(ntok, sizeof(int64_t));
    rel = xcalloc(nd, sizeof(int64_t));
    ttft = xcalloc(cli.streams, sizeof(int64_t));
    ttftn = xcalloc(cli.streams, sizeof(int64_t));
    ntok = nd = 0;
    for (i = 0; i < cli.streams; i++) {
        struct cstream *s = &cli.st[i];
        unsigned j, d, m = 0;

        if (s->state == 2)
            nok++;
        else {
            nfail++;
            if (s->status && s->status != 200)
                nrefused++;
            if (!first_err) {
                first_err = s->err[0] ? s->err : "failed";
                first_status = s->status;
            }
        }
        nev += s->nev;
        extra += s->extra;
        if (s->ntok)
            ttft[nttft++] = s->trecv[0] - s->t_req;
        for (j = 0; j < s->ntok; j++)
            ev[ntok++] = s->trecv[j] - s->tsend[j];
        /* release: each read that completed tokens, against the latest send before it */
        for (d = 0; d < s->ndel; d++) {
            while (m + 1 < s->ntok && s->tsend[m + 1] <= s->dt[d])
                m++;
            rel[nd++] = s->dt[d] - s->tsend[m];
            if (d == 0) /* TTFT less the hold: the first release came on event m */
                ttftn[nttft - 1] = s->trecv[0] - s->t_req - (s->tsend[m] - s->tsend[0]);
        }
    }
    if (cli.dump) { /* one line per stream, for diagnosis: where a tail comes from */
        FILE *f = fopen(cli.dump, "w");
        for (i = 0; f && i < cli.streams; i++) {
            struct cstream *s = &cli.st[i];
            int64_t mx = 0, sum = 0;
            for (unsigned j = 0; j < s->ntok; j++) {
                int64_t l = s->trecv[j] - s->tsend[j];
                sum += l;
                mx = l > mx ? l : mx;
            }
            fprintf(f, "stream %u conn %ld state %d status %d tokens %u reads %u ttft_us %lld ev_mean_us %lld "
                       "ev_max_us %lld end_us %lld err %s\n",
                    i, (long)(s->c - cli.cc), s->state, s->status, s->ntok, s->ndel,
                    (long long)(s->ntok ? s->trecv[0] - s->t_req : -1), (long long)(s->ntok ? sum / s->ntok : -1),
                    (long long)mx, (long long)(s->t_end - t0), s->err[0] ? s->err : "-");
        }
        if (f)
            fclose(f);
    }
    qsort(ev, ntok, sizeof(int64_t), cmp64);
    qsort(rel, nd, sizeof(int64_t), cmp64);
    qsort(ttft, nttft, sizeof(int64_t), cmp64);
    qsort(ttftn, nttft, sizeof(int64_t), cmp64);
    {
        double events = (double)nok * (cli.tokens + 3); /* role, tokens, finish, [DONE] as sent upstream */
        unsigned nopen = rss_open >= 0 ? cli.streams : open_at_peak;
        long rss_at = rss_open >= 0 ? rss_open : rss_peak;

        printf("result label=%s proto=%s streams=%u tokens=%u gap_ms=%u ok=%u failed=%u refused=%u status=%d "
               "tokens_rx=%zu events_rx=%zu extra=%u "
               "ttft_p50_us=%lld ttft_p99_us=%lld ttftn_p50_us=%lld ttftn_p99_us=%lld ev_p50_us=%lld ev_p99_us=%lld ev_max_us=%lld rel_p50_us=%lld "
               "rel_p99_us=%lld cpu_s=%.2f cpu_us_per_event=%.2f rss_idle_kb=%ld rss_conn_kb=%ld rss_open_kb=%ld "
               "open=%u open_max=%u rss_kb_per_stream=%.1f client_cpu_s=%.2f wall_s=%.1f err=%s\n",
               cli.label, cli.proto, cli.streams, cli.tokens, cli.gap_ms, nok, nfail, nrefused, first_status, ntok,
               nev, extra, (long long)pct(ttft, nttft, 0.50), (long long)pct(ttft, nttft, 0.99),
               (long long)pct(ttftn, nttft, 0.50), (long long)pct(ttftn, nttft, 0.99),
               (long long)pct(ev, ntok, 0.50), (long long)pct(ev, ntok, 0.99), (long long)pct(ev, ntok, 1.0),
               (long long)pct(rel, nd, 0.50), (long long)pct(rel, nd, 0.99), cpu1 - cpu0,
               events > 0 ? 1e6 * (cpu1 - cpu0) / events : -1.0, rss_idle, rss_conn, rss_at, nopen, open_max,
               nopen ? (double)(rss_at - rss_idle) / nopen : -1.0, self1 - self0, (double)(now_us() - t_conn) / 1e6,
               first_err ? first_err : "-");
    }
    free(ev);
    free(rel);
    free(ttft);
    free(ttftn);
    for (i = 0; i < cli.ncc; i++) {
        struct cconn *c = &cli.cc[i];
        if (c->fd >= 0)
            close(c->fd);
        if (c->ss)
            nghttp2_session_del(c->ss);
        ob_free(&c->out);
    }
    for (i = 0; i < cli.streams; i++) {
        free(cli.st[i].tsend);
        free(cli.st[i].trecv);
        free(cli.st[i].dt);
        free(cli.st[i].line);
    }
    free(cli.st);
    free(cli.cc);
    nghttp2_session_callbacks_del(cli.cbs);
    return nok == cli.streams ? 0 : 3;
}

/* ------------------------------------------------------------------ */

static int usage(void)
{
    fprintf(stderr,
            "usage: stream_bench --origin --listen HOST:PORT [--tokens T] [--gap-ms G] [--sentence K]\n"
            "       stream_bench --connect HOST:PORT [--proto h1|h2c] [--path P] [--streams N] [--tokens T]\n"
            "                    [--gap-ms G] [--ramp-ms R] [--per-conn M] [--pid PID]... [--label NAME]\n"
            "                    [--timeout-s S] [--dump FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"origin", no_argument, NULL, 'O'},      {"listen", required_argument, NULL, 'l'},
        {"connect", required_argument, NULL, 'c'}, {"proto", required_argument, NULL, 'P'},
        {"path", required_argument, NULL, 'p'},  {"streams", required_argument, NULL, 'n'},
        {"tokens", required_argument, NULL, 't'}, {"gap-ms", required_argument, NULL, 'g'},
        {"ramp-ms", required_argument, NULL, 'r'}, {"per-conn", required_argument, NULL, 'm'},
        {"pid", required_argument, NULL, 'i'},   {"label", required_argument, NULL, 'L'},
        {"sentence", required_argument, NULL, 's'}, {"timeout-s", required_argument, NULL, 'T'},
        {"dump", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0}};
    const char *listen_at = NULL, *connect_to = NULL;
    int origin = 0, o, rv;
    struct sigaction sa;

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'O': origin = 1; break;
        case 'l': listen_at = optarg; break;
        case 'c': connect_to = optarg; break;
        case 'P': cli.proto = optarg; break;
        case 'p': cli.path = optarg; break;
        case 'n': cli.streams = parse_uint(optarg, 1000000); break;
        case 't': cli.tokens = org.tokens = parse_uint(optarg, 1000000); break;
        case 'g': cli.gap_ms = org.gap_ms = parse_uint(optarg, 60000); break;
        case 'r': cli.ramp_ms = parse_uint(optarg, 3600000); break;
        case 'm': cli.per_conn = parse_uint(optarg, 100000); break;
        case 's': org.sentence = parse_uint(optarg, 100000); break;
        case 'T': cli.timeout_s = parse_uint(optarg, 86400); break;
        case 'L': cli.label = optarg; break;
        case 'D': cli.dump = optarg; break;
        case 'i':
            if (cli.npids < SB_MAX_PIDS)
                cli.pids[cli.npids++] = (int)parse_uint(optarg, 1u << 30);
            break;
        default: return usage();
        }
    }
    if (origin == !!connect_to || (origin && !listen_at) || cli.streams == 0 || cli.tokens == 0 ||
        cli.per_conn == 0 || (strcmp(cli.proto, "h1") != 0 && strcmp(cli.proto, "h2c") != 0))
        return usage();
    if (connect_to && parse_addr(connect_to, &cli.addr) != 0) {
        fprintf(stderr, "stream_bench: bad --connect %s\n", connect_to);
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        perror("stream_bench: epoll");
        return 1;
    }
    rv = origin ? origin_main(listen_at) : client_main();
    close(ep);
    return rv;
}
