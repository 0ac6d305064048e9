/*
 * mockllm.c: `bulwark mock-llm`, a deterministic model server for the four
 * APIs (answers and streams from mock_api.h), on the proxy's own server
 * machinery. It records what it was asked, so tests can prove what reached
 * the model and what did not:
 *
 *   GET  /_mock/stats   {"calls":N,"by_api":{...}}: model calls answered
 *   GET  /_mock/last    the body of the last model call, as received
 *   GET  /_mock/headers its headers, as a JSON object (lower-case names)
 *   POST /_mock/reset   zero the counters
 *
 * Request headers steer it (they pass through bulwark unchanged):
 *   x-mock-delay-ms: N   wait N ms before answering (and between chunks)
 *   x-mock-status: N     answer that HTTP error in the API's shape
 *   x-mock-close: 1      close the connection without answering
 *   x-mock-fault: F      a streamed answer that goes wrong halfway: "cut" (ends
 *                        inside an event, connection reset), "garble" (a
 *                        malformed event), "crc" (event-stream: a payload byte
 *                        flipped), "stall" (stops sending, never ends)
 * and, from mock_api.h, "REPLY: text" in the last user message makes the
 * model say exactly that.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy/conn.h"
#include "proxy/log.h"
#include "proxy/mock_api.h"
#include "proxy/server.h"

struct mock_state {
    atomic_ulong calls, requests;
    atomic_ulong cancelled; /* streamed answers the client (bulwark) went away from before their end */
    atomic_ulong by_api[BW_API__N];
    pthread_mutex_t mu;
    struct bw_buf last;    /* body of the last model call */
    struct bw_buf last_h;  /* its headers, as a JSON object */
};

static struct mock_state st = {.mu = PTHREAD_MUTEX_INITIALIZER};

struct mreq {
    struct bw_px_stream *s;
    struct bw_px_timer timer;
    struct bw_mock_stream ms;
    int streaming;
    size_t next;           /* next chunk to send */
    unsigned delay_ms;
    int status;
    const char *ctype;
    const char *errtype;   /* Bedrock errors: the x-amzn-ErrorType the SDKs read the error class from */
    struct bw_buf out;
    int fault;             /* FAULT_* */
};

enum { FAULT_NONE = 0, FAULT_CUT, FAULT_GARBLE, FAULT_CRC, FAULT_STALL };

static struct bw_px_loop *loop_of(struct bw_px_stream *s)
{
    return &s->conn->w->loop;
}

static void json(struct bw_px_stream *s, int status, const char *body, size_t len)
{
    struct bw_hdr h[1] = {{BW_IOV("content-type"), BW_IOV("application/json")}};

    bw_px_respond(s, status, h, 1, body, len);
}

static void mreq_free(struct mreq *m)
{
    bw_px_timer_stop(loop_of(m->s), &m->timer);
    if (m->streaming)
        bw_mock_stream_free(&m->ms);
    bw_buf_free(&m->out);
    m->s->hdata = NULL;
}

/* The fault of a streamed answer at chunk i. 1: the answer stops here (cut, stall). */
static int fault(struct mreq *m, size_t i)
{
    struct bw_px_stream *s = m->s;
    char *c = m->ms.buf.base + m->ms.off[i];
    size_t n = m->ms.off[i + 1] - m->ms.off[i];
    int evs = strcmp(m->ctype, "text/event-stream") != 0;

    switch (m->fault) {
    case FAULT_CUT:
        s->ops->send_body(s, c, n / 2, 0);
        s->ops->reset(s);
        mreq_free(m);
        return 1;
    case FAULT_STALL:
        return 1; /* the client's abort frees it */
    case FAULT_CRC:
        if (evs && n > 16) {
            c[n - 6] ^= 0x20; /* in the payload: the message CRC no longer matches */
            return 0;
        }
        __attribute__((fallthrough)); /* SSE has no CRC */
    case FAULT_GARBLE:
        if (evs)
            s->ops->send_body(s, "\0\0\0\x10\0\0\0\0\xde\xad\xbe\xefgarbage!", 20, 0);
        else
            s->ops->send_body(s, "data: {not json\n\n", 18, 0);
        return 0;
    }
    return 0;
}

static void send_next(struct bw_px_timer *t)
{
    struct mreq *m = (struct mreq *)((char *)t - offsetof(struct mreq, timer));
    struct bw_px_stream *s = m->s;
    struct bw_hdr h[2];
    size_t nh = 1;

    h[0].name = BW_IOV("content-type");
    h[0].value.base = m->ctype;
    h[0].value.len = strlen(m->ctype);
    if (m->errtype) {
        h[1].name = BW_IOV("x-amzn-ErrorType");
        h[1].value.base = m->errtype;
        h[1].value.len = strlen(m->errtype);
        nh = 2;
    }
    if (!m->streaming) {
        bw_px_respond(s, m->status, h, nh, m->out.base ? m->out.base : "", m->out.len);
        mreq_free(m);
        return;
    }
    if (m->next == 0 && s->ops->send_head(s, m->status, h, nh, -1) != 0) {
        mreq_free(m);
        return;
    }
    while (m->next < m->ms.nchunks) {
        size_t i = m->next++;
        int last = m->next == m->ms.nchunks;
        if (m->fault && i == m->ms.nchunks / 2 && fault(m, i))
            return;
        if (s->ops->send_body(s, m->ms.buf.base + m->ms.off[i], m->ms.off[i + 1] - m->ms.off[i], last) != 0) {
            mreq_free(m);
            return;
        }
        if (last) {
            mreq_free(m);
            return;
        }
        if (m->delay_ms) {
            bw_px_timer_start(loop_of(s), &m->timer, m->delay_ms, send_next);
            return;
        }
    }
    s->ops->send_body(s, NULL, 0, 1);
    mreq_free(m);
}

static const struct bw_hdr *hdr(const struct bw_px_req *r, const char *name)
{
    return bw_px_req_header(r, name);
}

static void stats(struct bw_px_stream *s)
{
    struct bw_buf b;
    int i, first = 1;

    bw_buf_init(&b, 64 * 1024);
    bw_buf_printf(&b, "{\"calls\":%lu,\"requests\":%lu,\"cancelled\":%lu,\"by_api\":{", atomic_load(&st.calls),
                  atomic_load(&st.requests), atomic_load(&st.cancelled));
    for (i = 1; i < BW_API__N; i++) {
        unsigned long v = atomic_load(&st.by_api[i]);
        if (v == 0)
            continue;
        bw_buf_printf(&b, "%s\"%s\":%lu", first ? "" : ",", bw_api_name(i), v);
        first = 0;
    }
    bw_buf_adds(&b, "}}\n");
    json(s, 200, b.base, b.len);
    bw_buf_free(&b);
}

static void on_request(struct bw_px_stream *s)
{
    struct bw_px_req *r = &s->req;
    const struct bw_hdr *h;
    struct bw_mock_opts o;
    struct mreq *m;
    int api;

    atomic_fetch_add(&st.requests, 1);
    if (strcmp(r->method.base, "GET") == 0 && r->path.len >= 12 && memcmp(r->path.base, "/_mock/stats", 12) == 0) {
        stats(s);
        return;
    }
    if (strcmp(r->method.base, "GET") == 0 && r->path.len >= 11 && memcmp(r->path.base, "/_mock/last", 11) == 0) {
        struct bw_buf copy;
        bw_buf_init(&copy, 0);
        pthread_mutex_lock(&st.mu);
        bw_buf_add(&copy, st.last.base ? st.last.base : "", st.last.len);
        pthread_mutex_unlock(&st.mu);
        json(s, 200, copy.base ? copy.base : "", copy.len);
        bw_buf_free(&copy);
        return;
    }
    if (strcmp(r->method.base, "GET") == 0 && r->path.len >= 14 && memcmp(r->path.base, "/_mock/headers", 14) == 0) {
        struct bw_buf copy;
        bw_buf_init(&copy, 0);
        pthread_mutex_lock(&st.mu);
        bw_buf_add(&copy, st.last_h.base ? st.last_h.base : "{}", st.last_h.base ? st.last_h.len : 2);
        pthread_mutex_unlock(&st.mu);
        json(s, 200, copy.base ? copy.base : "{}", copy.len);
        bw_buf_free(&copy);
        return;
    }
    if (strcmp(r->method.base, "POST") == 0 && r->path.len >= 12 && memcmp(r->path.base, "/_mock/reset", 12) == 0) {
        int i;
        atomic_store(&st.calls, 0);
        atomic_store(&st.requests, 0);
        for (i = 0; i < BW_API__N; i++)
            atomic_store(&st.by_api[i], 0);
        json(s, 200, "{\"reset\":true}\n", 15);
        return;
    }
    if ((h = hdr(r, "x-mock-close")) != NULL && h->value.len && h->value.base[0] == '1') {
        atomic_fetch_add(&st.calls, 1);
        bw_px_conn_close(s->conn); /* the stream is aborted; we never started anything */
        return;
    }
    api = bw_api_detect(r->method.base, r->path.base, r->path.len);
    if (api == BW_API_NONE || api == BW_API_APPLY) {
        json(s, 404, "{\"error\":{\"message\":\"mock-llm: no such model endpoint\",\"type\":\"not_found_error\"}}",
             81);
        return;
    }
    atomic_fetch_add(&st.calls, 1);
    atomic_fetch_add(&st.by_api[api], 1);
    pthread_mutex_lock(&st.mu);
    bw_buf_reset(&st.last);
    bw_buf_add(&st.last, r->body.base ? r->body.base : "", r->body.len);
    bw_buf_reset(&st.last_h);
    bw_buf_addc(&st.last_h, '{');
    for (size_t i = 0; i < r->nh; i++) {
        bw_buf_adds(&st.last_h, i ? ",\"" : "\"");
        bw_buf_json_str(&st.last_h, r->h[i].name.base, r->h[i].name.len);
        bw_buf_adds(&st.last_h, "\":\"");
        bw_buf_json_str(&st.last_h, r->h[i].value.base, r->h[i].value.len);
        bw_buf_addc(&st.last_h, '"');
    }
    bw_buf_addc(&st.last_h, '}');
    pthread_mutex_unlock(&st.mu);

    if ((m = bw_arena_calloc(&s->arena, sizeof(*m))) == NULL) {
        bw_px_respond_error(s, 500, "out of memory", NULL, 0);
        return;
    }
    m->s = s;
    s->hdata = m;
    bw_buf_init(&m->out, 0);
    bw_mock_opts_parse(r->path.base, r->h, r->nh, &o);
    m->delay_ms = o.delay_ms;
    if ((h = hdr(r, "x-mock-fault")) != NULL) {
        static const char *const faults[] = {"", "cut", "garble", "crc", "stall"};
        int k;
        for (k = 1; k < 5; k++)
            if (h->value.len == strlen(faults[k]) && memcmp(h->value.base, faults[k], h->value.len) == 0)
                m->fault = k;
    }
    m->ctype = "application/json";
    m->status = 200;
    if (bw_mock_wants_stream(api, r->path.base, r->body.base ? r->body.base : "", r->body.len)) {
        m->streaming = 1;
        bw_mock_stream_init(&m->ms);
        if (bw_mock_stream(api, r->path.base, &o, r->body.base ? r->body.base : "", r->body.len, &m->ms) != 0) {
            mreq_free(m);
            bw_px_respond_error(s, 500, "mock-llm: cannot build the stream", NULL, 0);
            return;
        }
        m->status = m->ms.status ? m->ms.status : 200;
        m->ctype = m->ms.content_type ? m->ms.content_type : "text/event-stream";
        m->delay_ms = m->ms.delay_ms;
    } else if (bw_mock_answer_opts(api, r->path.base, &o, r->body.base ? r->body.base : "", r->body.len,
                                   &m->status, &m->out, &m->ctype) != 0) {
        mreq_free(m);
        bw_px_respond_error(s, 500, "mock-llm: cannot build the answer", NULL, 0);
        return;
    }
    if (m->status >= 400 && bw_api_family(api) == BW_FAM_BEDROCK)
        m->errtype = bw_adapter_error_type(api, m->status);
    if (o.delay_ms)
        bw_px_timer_start(loop_of(s), &m->timer, o.delay_ms, send_next);
    else
        send_next(&m->timer);
}

static void on_abort(struct bw_px_stream *s)
{
    struct mreq *m = s->hdata;

    if (m && m->streaming)
        atomic_fetch_add(&st.cancelled, 1);
    if (m)
        mreq_free(m);
}

static const struct bw_px_handler mock_handler = {
    .name = "mock-llm",
    .on_request = on_request,
    .on_abort = on_abort,
};

static int usage(void)
{
    fprintf(stderr, "usage: bulwark mock-llm --listen HOST:PORT [--workers N] [--tls CERT KEY]\n");
    return 2;
}

int bw_px_mock_main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:9000", *cert = NULL, *key = NULL;
    struct bw_px_server srv;
    struct bw_pconf *c = NULL;
    struct bw_errs errs;
    struct bw_buf conf;
    unsigned nw = 1;
    int i, rv;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v == 0 || v > 64)
                return usage();
            nw = (unsigned)v;
        } else if (strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
            cert = argv[++i];
            key = argv[++i];
        } else
            return usage();
    }
    bw_px_log_init();
    bw_buf_init(&conf, 64 * 1024);
    bw_buf_adds(&conf, "{\"listeners\":[{\"address\":\"");
    bw_buf_json_str(&conf, listen, strlen(listen));
    bw_buf_adds(&conf, "\"");
    if (cert) {
        bw_buf_adds(&conf, ",\"tls\":{\"certificate\":\"");
        bw_buf_json_str(&conf, cert, strlen(cert));
        bw_buf_adds(&conf, "\",\"private_key\":\"");
        bw_buf_json_str(&conf, key, strlen(key));
        bw_buf_adds(&conf, "\"}");
    }
    bw_buf_adds(&conf, "}],\"upstreams\":[{\"name\":\"none\",\"url\":\"http://127.0.0.1:9\"}],"
                       "\"routes\":[{\"upstream\":\"none\"}],"
                       "\"limits\":{\"max_body_bytes\":67108864,\"max_connections\":100000,"
                       "\"max_concurrent_streams\":1000,\"drain_timeout_ms\":2000},"
                       "\"log\":{\"access\":\"off\",\"audit\":\"off\"}}");
    bw_errs_init(&errs, "mock-llm");
    rv = bw_pconf_load_mem("./mock-llm", conf.base, conf.len, &c, &errs);
    bw_buf_free(&conf);
    memset(&srv, 0, sizeof(srv));
    if (rv == 0)
        rv = bw_px_gen_build(c, NULL, &srv.gen, &errs);
    if (rv != 0) {
        bw_errs_print(&errs, stderr);
        bw_errs_free(&errs);
        return 1;
    }
    bw_errs_free(&errs);
    bw_buf_init(&st.last, 0);
    bw_buf_init(&st.last_h, 0);
    srv.handler = &mock_handler;
    srv.kind = BW_LK_MOCK;
    rv = bw_px_server_run(&srv, nw);
    bw_px_gen_unref(srv.gen);
    bw_buf_free(&st.last);
    bw_buf_free(&st.last_h);
    return rv;
}
