/*
 * admin.c: the admin listener's endpoints, served by the main thread so
 * they answer even when every worker is busy:
 *   GET /healthz  200 while the process runs
 *   GET /readyz   200 when serving, 503 while draining
 *   GET /metrics  Prometheus text format, summed over the workers
 */
#include <stdio.h>
#include <string.h>

#include "proxy/conn.h"
#include "proxy/server.h"

static int path_is(const struct bw_px_req *r, const char *p)
{
    size_t n = strlen(p), len = r->path.len;
    const char *q = memchr(r->path.base, '?', len);

    if (q)
        len = (size_t)(q - r->path.base);
    return len == n && memcmp(r->path.base, p, n) == 0;
}

static void text(struct bw_px_stream *s, int status, const char *ctype, const char *body, size_t len)
{
    struct bw_hdr h[2];

    h[0].name = BW_IOV("content-type");
    h[0].value.base = ctype;
    h[0].value.len = strlen(ctype);
    h[1].name = BW_IOV("cache-control");
    h[1].value = BW_IOV("no-store");
    bw_px_respond(s, status, h, 2, body, len);
}

static void on_request(struct bw_px_stream *s)
{
    struct bw_px_server *srv = s->conn->w->srv;
    const struct bw_px_req *r = &s->req;
    struct bw_px_metrics *ms[260];
    struct bw_buf b;
    size_t n;

    if (strcmp(r->method.base, "GET") != 0 && strcmp(r->method.base, "HEAD") != 0) {
        bw_px_respond_error(s, 405, "the admin endpoints are GET only", NULL, 0);
        return;
    }
    if (path_is(r, "/healthz")) {
        text(s, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
    } else if (path_is(r, "/readyz")) {
        if (srv->draining)
            text(s, 503, "application/json", "{\"status\":\"draining\"}\n", 22);
        else
            text(s, 200, "application/json", "{\"status\":\"ready\"}\n", 19);
    } else if (path_is(r, "/metrics")) {
        bw_buf_init(&b, 16u << 20);
        n = bw_px_server_metrics(srv, ms, BW_NELEMS(ms));
        if (bw_px_metrics_render(ms, n, &b) != 0)
            bw_px_respond_error(s, 500, "cannot render metrics", NULL, 0);
        else
            text(s, 200, "text/plain; version=0.0.4; charset=utf-8", b.base, b.len);
        bw_buf_free(&b);
    } else {
        bw_px_respond_error(s, 404, "not found: the admin endpoints are /healthz, /readyz and /metrics", NULL, 0);
    }
}

const struct bw_px_handler bw_px_admin_handler = {
    .name = "admin",
    .on_request = on_request,
};
