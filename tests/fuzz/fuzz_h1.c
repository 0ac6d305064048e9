/*
 * fuzz_h1.c: libFuzzer target for the HTTP/1.1 request path: the bytes of
 * a downstream connection (split where the input says) go through a real
 * connection object (conn.c: reads, buffering, lingering close) into the
 * HTTP/1.1 session (h1.c: llhttp, limits, pipelining, Expect, h2c upgrade
 * refused) and a handler that answers every request, so the answer path
 * runs too. Build and run with tests/fuzz/run.sh.
 *
 * Input: byte 0 picks the split size (1..64 bytes per write), the rest is
 * what the client sends.
 *
 * Unlike the adapter fuzzers this one links the proxy's objects and llhttp
 * (tests/fuzz/fuzz_h1.sh builds it with -DBW_FUZZ_PROXY). Built by the
 * generic rule, which links libbulwark.a only, it compiles to a no-op.
 */
#ifdef BW_FUZZ_PROXY
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/conn.h"
#include "proxy/log.h"
#include "proxy/worker.h"

static struct bw_px_worker W;
static struct bw_px_listener L;
static int ready;

static void on_request(struct bw_px_stream *s)
{
    static const char body[] = "{\"ok\":true}";
    struct bw_hdr h[1] = {{BW_IOV("content-type"), BW_IOV("application/json")}};

    /* echo the size so body handling matters to the answer */
    if (s->req.body.len & 1)
        bw_px_respond_error(s, 400, "odd", NULL, 0);
    else
        bw_px_respond(s, 200, h, 1, body, sizeof(body) - 1);
}

static const struct bw_px_handler handler = {.name = "fuzz", .on_request = on_request};

static void setup(void)
{
    static const char conf[] =
        "{\"listeners\":[{\"address\":\"127.0.0.1:0\",\"http2\":false}],\"upstreams\":[{\"name\":\"u\",\"url\":"
        "\"http://127.0.0.1:9\"}],\"routes\":[{\"upstream\":\"u\"}],\"limits\":{\"max_body_bytes\":4096,"
        "\"max_header_bytes\":2048},\"log\":{\"level\":\"error\",\"access\":\"off\",\"audit\":\"off\"}}";
    struct bw_pconf *c;
    struct bw_errs e;

    bw_px_log_init();
    bw_px_log_set_level(BW_LOG_ERROR);
    bw_errs_init(&e, "fuzz");
    if (bw_pconf_load_mem("./fuzz.json", conf, sizeof(conf) - 1, &c, &e) != 0 ||
        bw_px_gen_build(c, NULL, &W.gen, &e) != 0 || bw_px_worker_init(&W, NULL, 0) != 0)
        abort();
    bw_errs_free(&e);
    W.max_conns = 1u << 30;
    L.w = &W;
    L.fd = -1;
    L.io.fd = -1;
    L.index = 0;
    L.kind = BW_LK_PROXY;
    L.handler = &handler;
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    char junk[65536];
    size_t step, off;
    int sv[2], i;

    if (!ready)
        setup();
    if (size < 1)
        return 0;
    step = (size_t)(data[0] % 64) + 1;
    data++;
    size--;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        return 0;
    if (bw_px_conn_accept(&W, &L, sv[0], (struct sockaddr *)&sa) != 0) {
        close(sv[1]);
        return 0;
    }
    for (off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (write(sv[1], data + off, n) < 0)
            break;
        bw_px_loop_run_once(&W.loop, 0);
        while (read(sv[1], junk, sizeof(junk)) > 0)
            ;
    }
    shutdown(sv[1], SHUT_WR);
    for (i = 0; i < 50 && W.conns; i++) {
        bw_px_loop_run_once(&W.loop, 0);
        while (read(sv[1], junk, sizeof(junk)) > 0)
            ;
    }
    /* whatever is still open (a lingering close) goes now */
    while (W.conns) {
        bw_px_conn_close(W.conns);
        bw_px_loop_run_once(&W.loop, 0);
    }
    close(sv[1]);
    return 0;
}
#else
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    return 0;
}
#endif
