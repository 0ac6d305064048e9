/*
 * msg.c: helpers every handler uses on a stream: header lookup, one-call
 * responses, JSON error answers, status texts, hop-by-hop names.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proxy/msg.h"

const struct bw_hdr *bw_px_req_header(const struct bw_px_req *r, const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < r->nh; i++)
        if (r->h[i].name.len == n && memcmp(r->h[i].name.base, name, n) == 0)
            return &r->h[i];
    return NULL;
}

int bw_px_respond(struct bw_px_stream *s, int status, const struct bw_hdr *h, size_t nh, const char *body,
                  size_t len)
{
    int rv;

    if ((rv = s->ops->send_head(s, status, h, nh, (int64_t)len)) != 0)
        return rv;
    return s->ops->send_body(s, body, len, 1);
}

static const char *error_type(int status)
{
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 408: return "timeout_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 431: return "request_header_fields_too_large";
    case 502: return "bad_gateway";
    case 503: return "service_unavailable";
    case 504: return "gateway_timeout";
    }
    return status >= 500 ? "api_error" : "invalid_request_error";
}

int bw_px_respond_error(struct bw_px_stream *s, int status, const char *msg, const struct bw_hdr *extra,
                        size_t nextra)
{
    struct bw_hdr h[8];
    struct bw_buf b;
    const char *ctype = "application/json";
    size_t nh = 0, i;
    int rv = -1;

    bw_buf_init(&b, 64 * 1024);
    if (s->handler && s->handler->error_body)
        rv = s->handler->error_body(s, status, msg, &b, &ctype);
    if (rv != 0) {
        bw_buf_reset(&b);
        bw_buf_printf(&b, "{\"error\":{\"message\":\"");
        bw_buf_json_str(&b, msg, strlen(msg));
        bw_buf_printf(&b, "\",\"type\":\"%s\",\"code\":%d}}", error_type(status), status);
    }
    h[nh].name = BW_IOV("content-type");
    h[nh].value.base = ctype;
    h[nh++].value.len = strlen(ctype);
    if (!s->started) {
        /* rejected by the session before any handler ran: no guardrail was involved */
        h[nh].name = BW_IOV("x-bulwark-action");
        h[nh++].value = BW_IOV("NONE");
    }
    for (i = 0; i < nextra && nh < BW_NELEMS(h); i++)
        h[nh++] = extra[i];
    rv = b.base ? bw_px_respond(s, status, h, nh, b.base, b.len) : BW_ENOMEM;
    bw_buf_free(&b);
    if (!s->started && s->handler && s->handler->on_rejected)
        s->handler->on_rejected(s, status, msg);
    return rv;
}

size_t bw_px_fmt_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

size_t bw_px_fmt_hex16(char *out, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    int i;

    for (i = 15; i >= 0; i--, v >>= 4)
        out[i] = hex[v & 15];
    out[16] = '\0';
    return 16;
}

const char *bw_px_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 424: return "Failed Dependency";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    }
    return "";
}

int bw_px_hop_by_hop(const char *name, size_t len)
{
    /* by length first: every header of every request and answer comes through here */
    switch (len) {
    case 2: return strncasecmp(name, "te", 2) == 0;
    case 7: return strncasecmp(name, "trailer", 7) == 0 || strncasecmp(name, "upgrade", 7) == 0;
    case 10: return strncasecmp(name, "connection", 10) == 0 || strncasecmp(name, "keep-alive", 10) == 0;
    case 14: return strncasecmp(name, "http2-settings", 14) == 0;
    case 16: return strncasecmp(name, "proxy-connection", 16) == 0;
    case 17: return strncasecmp(name, "transfer-encoding", 17) == 0;
    case 18: return strncasecmp(name, "proxy-authenticate", 18) == 0;
    case 19: return strncasecmp(name, "proxy-authorization", 19) == 0;
    }
    return 0;
}
