/*
 * upstream.c: libcurl multi, socket-action style, on the worker's loop.
 *
 * A zero timeout from libcurl ("call me back now") goes through the
 * deferred queue rather than a 1 ms timer: it is the common case right
 * after a request is added, and a millisecond per request would be most of
 * the latency budget. Socket watchers libcurl drops are freed after the
 * current batch of events, since an event for them may still be queued.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "filters/limits.h"
#include "proxy/log.h"
#include "proxy/upstream.h"
#include "proxy/upstream_int.h"
#include "proxy/worker.h"


static void check_done(struct bw_px_upclient *u);
static void req_free(struct bw_px_upreq *r);

static void on_sock(struct bw_px_io *io, uint32_t ev)
{
    struct sockw *sw = (struct sockw *)io;
    struct bw_px_upclient *u = sw->u;
    int flags = 0, running;

    if (ev & EPOLLIN)
        flags |= CURL_CSELECT_IN;
    if (ev & EPOLLOUT)
        flags |= CURL_CSELECT_OUT;
    if (ev & (EPOLLERR | EPOLLHUP))
        flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(u->multi, io->fd, flags, &running);
    check_done(u);
}

static void on_reap(struct bw_px_defer *d)
{
    struct bw_px_upclient *u = (struct bw_px_upclient *)((char *)d - offsetof(struct bw_px_upclient, reap));
    struct sockw *sw, *next;

    for (sw = u->dead; sw; sw = next) {
        next = sw->next_dead;
        free(sw);
    }
    u->dead = NULL;
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct bw_px_upclient *u = userp;
    struct sockw *sw = socketp;
    uint32_t ev = 0;

    BW_UNUSED(e);
    if (what == CURL_POLL_REMOVE) {
        if (sw) {
            bw_px_io_stop(&u->w->loop, &sw->io);
            curl_multi_assign(u->multi, s, NULL);
            sw->next_dead = u->dead;
            u->dead = sw;
            bw_px_defer(&u->w->loop, &u->reap, on_reap);
        }
        return 0;
    }
    if (what & CURL_POLL_IN)
        ev |= EPOLLIN;
    if (what & CURL_POLL_OUT)
        ev |= EPOLLOUT;
    if (sw == NULL) {
        if ((sw = calloc(1, sizeof(*sw))) == NULL)
            return -1;
        sw->u = u;
        if (bw_px_io_start(&u->w->loop, &sw->io, s, ev, on_sock) != 0) {
            free(sw);
            return -1;
        }
        curl_multi_assign(u->multi, s, sw);
        return 0;
    }
    bw_px_io_modify(&u->w->loop, &sw->io, ev);
    return 0;
}

static void on_kick(struct bw_px_defer *d)
{
    struct bw_px_upclient *u = (struct bw_px_upclient *)((char *)d - offsetof(struct bw_px_upclient, kick));
    int running;

    curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(u);
}

static void on_timer(struct bw_px_timer *t)
{
    struct bw_px_upclient *u = (struct bw_px_upclient *)((char *)t - offsetof(struct bw_px_upclient, timer));
    int running;

    curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(u);
}

static int timer_cb(CURLM *m, long ms, void *userp)
{
    struct bw_px_upclient *u = userp;

    BW_UNUSED(m);
    if (ms < 0)
        bw_px_timer_stop(&u->w->loop, &u->timer);
    else if (ms == 0)
        bw_px_defer(&u->w->loop, &u->kick, on_kick);
    else
        bw_px_timer_start(&u->w->loop, &u->timer, (uint64_t)ms, on_timer);
    return 0;
}

int bw_px_up_new(struct bw_px_worker *w, struct bw_px_upclient **out)
{
    struct bw_px_upclient *u = calloc(1, sizeof(*u));

    if (u == NULL)
        return BW_ENOMEM;
    u->w = w;
    if ((u->multi = curl_multi_init()) == NULL) {
        free(u);
        return BW_ENOMEM;
    }
    curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
    curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
    curl_multi_setopt(u->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    /* keep enough idle connections for a busy worker's keep-alive pool */
    curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, 512L);
    u->h2c_no_reuse = curl_version_info(CURLVERSION_NOW)->version_num < 0x080000;
    *out = u;
    return BW_OK;
}

void bw_px_up_free(struct bw_px_upclient *u)
{
    size_t i;

    if (u == NULL)
        return;
    bw_px_h1c_free_pools(u);
    while (u->rfree) {
        struct bw_px_upreq *r = u->rfree;
        u->rfree = r->ud;
        req_free(r);
    }
    for (i = 0; i < u->npool; i++)
        curl_easy_cleanup(u->pool[i]);
    curl_multi_cleanup(u->multi); /* closes cached connections; REMOVEs their sockets */
    bw_px_timer_stop(&u->w->loop, &u->timer);
    bw_px_defer_cancel(&u->w->loop, &u->kick);
    bw_px_defer_cancel(&u->w->loop, &u->reap);
    on_reap(&u->reap);
    free(u);
}

unsigned bw_px_up_inflight(const struct bw_px_upclient *u)
{
    return u->inflight;
}

int bw_px_up_add_header(struct bw_px_upreq *r, const char *p, size_t nl, const char *v, size_t vl)
{
    size_t i;

    if (nl == 0 || bw_px_hop_by_hop(p, nl))
        return BW_OK;
    if (bw_buf_reserve(&r->hbuf, nl + vl + 2) != 0)
        return BW_ELIMIT;
    for (i = 0; i < nl; i++)
        r->hbuf.base[r->hbuf.len + i] = (char)(('A' <= p[i] && p[i] <= 'Z') ? p[i] + 32 : p[i]);
    r->hbuf.base[r->hbuf.len + nl] = '\0';
    memcpy(r->hbuf.base + r->hbuf.len + nl + 1, v, vl);
    r->hbuf.base[r->hbuf.len + nl + 1 + vl] = '\0';
    r->hbuf.len += nl + vl + 2;
    r->nhdr++;
    return BW_OK;
}

static int build_res_headers(struct bw_px_upreq *r)
{
    size_t i, off = 0;

    r->res.nh = 0;
    if (r->nhdr > r->hcap || r->res.h == NULL) {
        size_t n = r->nhdr > 16 ? r->nhdr : 16;
        free(r->res.h);
        r->hcap = 0;
        if ((r->res.h = calloc(n, sizeof(*r->res.h))) == NULL)
            return BW_ENOMEM;
        r->hcap = n;
    }
    for (i = 0; i < r->nhdr; i++) {
        struct bw_hdr *h = &r->res.h[i];
        h->name.base = r->hbuf.base + off;
        h->name.len = strlen(h->name.base);
        off += h->name.len + 1;
        h->value.base = r->hbuf.base + off;
        h->value.len = strlen(h->value.base);
        off += h->value.len + 1;
    }
    r->res.nh = r->nhdr;
    return BW_OK;
}

void bw_px_up_head(struct bw_px_upreq *r)
{
    if (r->res.head_sent || r->on_head == NULL)
        return;
    r->res.head_sent = 1;
    build_res_headers(r);
    r->on_head(r->ud, &r->res);
}

int bw_px_up_body(struct bw_px_upreq *r, const char *p, size_t n)
{
    if (r->on_data) {
        bw_px_up_head(r);
        if (n)
            r->on_data(r->ud, p, n);
        return BW_OK;
    }
    return bw_buf_add(&r->res.body, p, n);
}

void bw_px_up_report(struct bw_px_upreq *r)
{
    r->finished = 1;
    bw_px_timer_stop(&r->u->w->loop, &r->timer);
    r->res.ns = bw_px_clock_ns() - r->t0;
    if (r->res.rv == 0 && r->on_data && !r->res.head_sent)
        bw_px_up_head(r); /* an answer without a body */
    else if (r->res.rv == 0 && !r->res.head_sent && build_res_headers(r) != 0) {
        r->res.rv = BW_ENOMEM;
        r->res.fail = BW_UPF_PROTOCOL;
        snprintf(r->res.err, sizeof(r->res.err), "out of memory");
    }
    r->done(r->ud, &r->res);
}

static void arm(struct bw_px_upreq *r);

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct bw_px_upreq *r = ud;
    size_t len = size * n, nl, vl;
    const char *colon, *v, *end = p + len;

    r->last_io = bw_px_loop_now(&r->u->w->loop);
    if (!r->got_head) {
        r->got_head = 1;
        arm(r); /* from now on the idle timeout counts, not response_timeout_ms */
    }
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* a new header block (after 1xx): only the last one counts */
        bw_buf_reset(&r->hbuf);
        r->nhdr = 0;
        return len;
    }
    while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    if (end == p || (colon = memchr(p, ':', (size_t)(end - p))) == NULL)
        return len;
    nl = (size_t)(colon - p);
    for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
        ;
    vl = (size_t)(end - v);
    while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
        vl--;
    /* too many header bytes: abort the transfer */
    return bw_px_up_add_header(r, p, nl, v, vl) == 0 ? len : 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    struct bw_px_upreq *r = ud;
    size_t len = size * n;

    if (r->paused) {
        r->held = 1; /* libcurl keeps this piece and gives it again after curl_easy_pause() */
        return CURL_WRITEFUNC_PAUSE;
    }
    r->last_io = bw_px_loop_now(&r->u->w->loop);
    if (r->on_data && !r->res.head_sent) {
        long code = 0;
        curl_easy_getinfo(r->e, CURLINFO_RESPONSE_CODE, &code);
        r->res.status = (int)code;
    }
    if (bw_px_up_body(r, p, len) != 0)
        return 0; /* over the cap: CURLE_WRITE_ERROR */
    return len;
}

static void req_timer_cb(struct bw_px_timer *t);

static void arm(struct bw_px_upreq *r)
{
    uint64_t now = bw_px_loop_now(&r->u->w->loop);
    uint64_t lim = r->got_head ? r->uc->idle_timeout_ms : r->uc->response_timeout_ms;
    uint64_t from = r->got_head ? r->last_io : r->t0 / 1000000u;
    uint64_t at = from + lim;

    bw_px_timer_start(&r->u->w->loop, &r->timer, at > now ? at - now : 1, req_timer_cb);
}

static void finish(struct bw_px_upreq *r)
{
    if (r->in_multi) {
        curl_multi_remove_handle(r->u->multi, r->e);
        r->in_multi = 0;
        r->u->inflight--;
    }
    if (r->res.rv == 0) {
        long code = 0, ver = 0;
        curl_easy_getinfo(r->e, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(r->e, CURLINFO_HTTP_VERSION, &ver);
        r->res.status = (int)code;
        r->res.http_version = ver == CURL_HTTP_VERSION_2_0 ? 20 : 11;
    }
    bw_px_up_report(r);
}

static void fail_with(struct bw_px_upreq *r, int rv, int fail, const char *why)
{
    r->res.rv = rv;
    r->res.fail = fail;
    snprintf(r->res.err, sizeof(r->res.err), "%s", why);
    finish(r);
}

static void req_timer_cb(struct bw_px_timer *t)
{
    struct bw_px_upreq *r = (struct bw_px_upreq *)((char *)t - offsetof(struct bw_px_upreq, timer));
    uint64_t now = bw_px_loop_now(&r->u->w->loop);

    if (r->paused) { /* waiting for our client, not for the upstream */
        r->last_io = now;
        arm(r);
        return;
    }
    if (r->got_head && now < r->last_io + r->uc->idle_timeout_ms) {
        arm(r);
        return;
    }
    if (!r->got_head && r->t0 / 1000000u + r->uc->response_timeout_ms > now) {
        arm(r);
        return;
    }
    fail_with(r, BW_ETIMEOUT, BW_UPF_TIMEOUT,
              r->got_head ? "upstream idle timeout" : "no answer from upstream within response_timeout_ms");
}

static int add(struct bw_px_upreq *r)
{
    if (curl_multi_add_handle(r->u->multi, r->e) != CURLM_OK)
        return BW_ENOMEM;
    r->in_multi = 1;
    r->u->inflight++;
    arm(r);
    return BW_OK;
}

/* Did the attempt fail before the upstream could have acted on the request? */
static int retryable(const struct bw_px_upreq *r, int rc)
{
    if (r->retries_left <= 0 || r->got_head)
        return 0;
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING;
}

static void classify(struct bw_px_upreq *r, int rc)
{
    int fail = BW_UPF_PROTOCOL, rv = BW_EIO;
    char why[200];

    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: fail = BW_UPF_CONNECT; break;
    case CURLE_OPERATION_TIMEDOUT:
        fail = BW_UPF_TIMEOUT;
        rv = BW_ETIMEOUT;
        break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: fail = BW_UPF_RESET; break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE: fail = BW_UPF_TLS; break;
    case CURLE_WRITE_ERROR:
        rv = BW_ELIMIT;
        break;
    default: break;
    }
    snprintf(why, sizeof(why), "%s", rc == CURLE_WRITE_ERROR ? "upstream answer too large" : curl_easy_strerror(rc));
    fail_with(r, rv, fail, why);
}

static void check_done(struct bw_px_upclient *u)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(u->multi, &left)) != NULL) {
        struct bw_px_upreq *r = NULL;
        CURLcode rc;

        if (m->msg != CURLMSG_DONE)
            continue;
        rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r == NULL || r->finished)
            continue;
        if (rc == CURLE_OK) {
            finish(r);
            continue;
        }
        if (retryable(r, rc)) {
            curl_multi_remove_handle(u->multi, r->e);
            r->in_multi = 0;
            u->inflight--;
            r->retries_left--;
            r->res.attempts++;
            bw_buf_reset(&r->res.body);
            bw_buf_reset(&r->hbuf);
            r->nhdr = 0;
            bw_px_ctr_add(&u->w->m->upstream_retries, 1);
            if (add(r) == 0)
                continue;
        }
        classify(r, rc);
    }
}

static CURL *get_easy(struct bw_px_upclient *u)
{
    CURL *e;

    if (u->npool) {
        e = u->pool[--u->npool];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

static int build_headers(struct bw_px_upreq *r, const struct bw_px_upopts *o)
{
    struct bw_buf line;
    struct curl_slist *n;
    size_t i;
    int rv = BW_OK;

    bw_buf_init(&line, 1u << 20);
    for (i = 0; i < o->nh && rv == 0; i++) {
        bw_buf_reset(&line);
        if (o->h[i].value.len)
            rv = bw_buf_printf(&line, "%.*s: %.*s", (int)o->h[i].name.len, o->h[i].name.base,
                               (int)o->h[i].value.len, o->h[i].value.base);
        else /* libcurl's spelling of an empty value */
            rv = bw_buf_printf(&line, "%.*s;", (int)o->h[i].name.len, o->h[i].name.base);
        if (rv == 0) {
            if ((n = curl_slist_append(r->hl, line.base)) == NULL)
                rv = BW_ENOMEM;
            else
                r->hl = n;
        }
    }
    /* libcurl adds these on its own; a proxy forwards only what the client sent */
    for (i = 0; i < o->nh; i++)
        if (o->h[i].name.len == 6 && strncasecmp(o->h[i].name.base, "accept", 6) == 0)
            break;
    if (rv == 0 && i == o->nh)
        r->hl = (n = curl_slist_append(r->hl, "Accept:")) ? n : r->hl;
    if (rv == 0)
        r->hl = (n = curl_slist_append(r->hl, "Expect:")) ? n : r->hl;
    bw_buf_free(&line);
    return rv;
}

int bw_px_up_start(struct bw_px_upclient *u, const struct bw_px_upopts *o, bw_px_up_done_fn done, void *ud,
                   struct bw_px_upreq **out)
{
    const struct bw_px_upstream_conf *uc = o->uc;
    struct bw_px_upreq *r;
    size_t ul;
    long ver;

    if ((r = u->rfree) != NULL) {
        /* a kept request: its buffers' storage stays, the rest starts afresh */
        struct bw_buf hbuf = r->hbuf, body = r->res.body, head = r->head;
        struct bw_hdr *h = r->res.h;
        size_t hcap = r->hcap;

        u->rfree = r->ud;
        u->nrfree--;
        memset(r, 0, sizeof(*r));
        r->hbuf = hbuf;
        r->res.body = body;
        r->head = head;
        r->res.h = h;
        r->hcap = hcap;
    } else if ((r = calloc(1, sizeof(*r))) == NULL)
        return BW_ENOMEM;
    r->u = u;
    r->uc = uc;
    r->done = done;
    r->ud = ud;
    r->on_head = o->on_head;
    r->on_data = o->on_data;
    r->retries_left = (int)uc->retries;
    r->res.attempts = 1;
    r->hbuf.max = BW_UP_HEADER_BYTES_MAX;
    r->res.body.max = o->max_answer ? o->max_answer : BW_MAX_BODY_BYTES;
    if (o->addr) {
        r->t0 = bw_px_clock_ns();
        if (bw_px_h1c_start(r, o) != 0)
            goto fail;
        *out = r;
        return BW_OK;
    }
    ul = strlen(uc->url) + strlen(o->path) + 1;
    if ((r->url = malloc(ul)) == NULL || (r->e = get_easy(u)) == NULL)
        goto fail;
    snprintf(r->url, ul, "%s%s", uc->url, o->path);
    if (build_headers(r, o) != 0)
        goto fail;
    curl_easy_setopt(r->e, CURLOPT_URL, r->url);
    curl_easy_setopt(r->e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->e, CURLOPT_HTTPHEADER, r->hl);
    curl_easy_setopt(r->e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(r->e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(r->e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(r->e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->e, CURLOPT_CONNECTTIMEOUT_MS, (long)uc->connect_timeout_ms);
    curl_easy_setopt(r->e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(r->e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(r->e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(r->e, CURLOPT_SSL_VERIFYPEER, uc->tls_verify ? 1L : 0L);
    curl_easy_setopt(r->e, CURLOPT_SSL_VERIFYHOST, uc->tls_verify ? 2L : 0L);
    if (uc->ca_file)
        curl_easy_setopt(r->e, CURLOPT_CAINFO, uc->ca_file);
    if (uc->http == BW_PX_HTTP_1_1)
        ver = CURL_HTTP_VERSION_1_1;
    else if (uc->http == BW_PX_HTTP_2)
        ver = uc->https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    else
        ver = uc->https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
    curl_easy_setopt(r->e, CURLOPT_HTTP_VERSION, ver);
    if (ver == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE && u->h2c_no_reuse)
        /* libcurl before 8.0 fails every request after the first on a reused h2c connection */
        curl_easy_setopt(r->e, CURLOPT_FORBID_REUSE, 1L);
    else if (ver != CURL_HTTP_VERSION_1_1)
        curl_easy_setopt(r->e, CURLOPT_PIPEWAIT, 1L);
    if (strcmp(o->method, "GET") == 0 && o->body == NULL)
        curl_easy_setopt(r->e, CURLOPT_HTTPGET, 1L);
    else if (strcmp(o->method, "HEAD") == 0)
        curl_easy_setopt(r->e, CURLOPT_NOBODY, 1L);
    else {
        if (o->body || strcmp(o->method, "POST") == 0 || strcmp(o->method, "PUT") == 0 ||
            strcmp(o->method, "PATCH") == 0) {
            curl_easy_setopt(r->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->len);
            curl_easy_setopt(r->e, CURLOPT_POSTFIELDS, o->body ? o->body : "");
        }
        if (strcmp(o->method, "POST") != 0)
            curl_easy_setopt(r->e, CURLOPT_CUSTOMREQUEST, o->method);
    }
    r->t0 = bw_px_clock_ns();
    if (add(r) != 0)
        goto fail;
    *out = r;
    return BW_OK;

fail:
    bw_px_up_release(r);
    return BW_ENOMEM;
}

void bw_px_up_pause(struct bw_px_upreq *r, int paused)
{
    if (r == NULL || r->finished || (int)r->paused == !!paused)
        return;
    r->paused = !!paused;
    if (r->addr) {
        bw_px_h1c_pause(r, paused);
        return;
    }
    if (!paused) {
        r->last_io = bw_px_loop_now(&r->u->w->loop);
        if (r->held) {
            r->held = 0;
            curl_easy_pause(r->e, CURLPAUSE_CONT); /* may deliver the held piece right here */
        }
    }
}

/* a variable, not a macro: a cap of 0 (ASan) would make the comparison a constant one */
static const unsigned req_cache_max = BW_UP_REQ_CACHE;

static void req_free(struct bw_px_upreq *r)
{
    free(r->res.h);
    bw_buf_free(&r->res.body);
    bw_buf_free(&r->hbuf);
    bw_buf_free(&r->head);
    free(r);
}

void bw_px_up_release(struct bw_px_upreq *r)
{
    struct bw_px_upclient *u;

    if (r == NULL)
        return;
    u = r->u;
    if (r->addr)
        bw_px_h1c_release(r);
    if (r->in_multi) {
        curl_multi_remove_handle(u->multi, r->e);
        u->inflight--;
    }
    bw_px_timer_stop(&u->w->loop, &r->timer);
    if (r->e) {
        if (u->npool < BW_UP_EASY_POOL)
            u->pool[u->npool++] = r->e;
        else
            curl_easy_cleanup(r->e);
    }
    curl_slist_free_all(r->hl);
    free(r->url);
    if (u->nrfree < req_cache_max && r->res.body.cap <= BW_UP_REQ_KEEP && r->hbuf.cap <= BW_UP_REQ_KEEP &&
        r->head.cap <= BW_UP_REQ_KEEP && r->hcap <= 64) {
        bw_buf_reset(&r->res.body);
        bw_buf_reset(&r->hbuf);
        bw_buf_reset(&r->head);
        r->ud = u->rfree;
        u->rfree = r;
        u->nrfree++;
        return;
    }
    req_free(r);
}
