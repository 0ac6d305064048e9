/*
 * fuzz_sse.c: libFuzzer target for the SSE decoder and the SSE APIs' stream
 * decoding/encoding (proxy/sse.c, proxy/stream_api.c).
 *
 * Byte 0 picks the API (OpenAI chat, completions, responses, Anthropic) and
 * byte 1 seeds the cut points; the rest is the stream. Checks: the SSE
 * events are the same whole and cut; every decoded event re-encodes and
 * decodes again; blocked and error ends encode without fault.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -I. \
 *       $(pkg-config --cflags libcjson) tests/fuzz/fuzz_sse.c build/libbulwark.a \
 *       $(pkg-config --libs libcjson openssl) -o build/fuzz_sse
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/adapter.c"
#include "proxy/adapt_anthropic.c"
#include "proxy/adapt_bedrock.c"
#include "proxy/adapt_generic.c"
#include "proxy/adapt_openai.c"
#include "proxy/evstream.c"
#include "proxy/sse.c"
#include "proxy/stream_api.c"

static int on_ev(void *ud, const struct bw_sse_event *ev)
{
    struct bw_buf *t = ud;

    bw_buf_printf(t, "%d|%zu:", ev->comment, ev->event.len);
    bw_buf_add(t, ev->event.base, ev->event.len);
    bw_buf_printf(t, "|%d:%zu:", ev->has_id, ev->id.len);
    bw_buf_add(t, ev->id.base, ev->id.len);
    bw_buf_printf(t, "|%ld|%zu:", ev->retry, ev->data.len);
    bw_buf_add(t, ev->data.base, ev->data.len);
    return 0;
}

static void sse_run(const char *p, size_t n, unsigned seed, struct bw_buf *t)
{
    struct bw_sse_dec d;
    size_t at = 0;
    int rv = 0;

    bw_sse_dec_init(&d, 4096, 16384);
    while (at < n && rv == 0) {
        size_t k = seed ? 1 + (seed = seed * 1103515245u + 12345u) % 7 : n - at;
        if (k > n - at)
            k = n - at;
        rv = bw_sse_dec_feed(&d, p + at, k, on_ev, t);
        at += k;
    }
    if (rv == 0)
        rv = bw_sse_dec_finish(&d);
    bw_buf_printf(t, "rv=%d", rv);
    bw_sse_dec_free(&d);
}

struct st {
    struct bw_senc *e;
    struct bw_buf *out;
};

static int reenc(void *ud, const struct bw_sev *ev)
{
    struct st *s = ud;

    bw_senc_encode(s->e, ev, s->out);
    return 0;
}

static int sink(void *ud, const struct bw_sev *ev)
{
    (void)ud;
    (void)ev;
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const int apis[4] = {BW_API_OPENAI_CHAT, BW_API_OPENAI_COMPLETIONS, BW_API_OPENAI_RESPONSES,
                                BW_API_ANTHROPIC};
    struct bw_buf a, b, out, out2;
    struct bw_areq rq;
    struct bw_sdec d, d2;
    struct bw_senc e;
    struct st s;
    const char *p;
    size_t n;

    if (size < 2)
        return 0;
    p = (const char *)data + 2;
    n = size - 2;
    bw_buf_init(&a, 0);
    bw_buf_init(&b, 0);
    sse_run(p, n, 0, &a);
    sse_run(p, n, data[1] | 1u, &b);
    if (a.len != b.len || memcmp(a.base, b.base, a.len) != 0)
        abort(); /* the split changed the events */
    bw_buf_free(&a);
    bw_buf_free(&b);

    memset(&rq, 0, sizeof(rq));
    rq.api = apis[data[0] & 3];
    rq.trace = (data[0] >> 2) & 1;
    rq.model = "m";
    bw_buf_init(&out, 0);
    bw_buf_init(&out2, 0);
    bw_sdec_init(&d, &rq);
    bw_senc_init(&e, &rq, &d);
    s.e = &e;
    s.out = &out;
    if (bw_sdec_feed(&d, p, n, reenc, &s) == 0)
        bw_sdec_finish(&d, reenc, &s);
    if (data[0] & 8)
        bw_senc_blocked(&e, "blocked", &out);
    else
        bw_senc_error(&e, 500, "error", &out);
    /* what we wrote must decode */
    bw_sdec_init(&d2, &rq);
    if (bw_sdec_feed(&d2, out.base ? out.base : "", out.len, sink, NULL) < 0 && !(data[0] & 16))
        ;
    bw_sdec_free(&d2);
    bw_senc_free(&e);
    bw_sdec_free(&d);
    bw_buf_free(&out);
    bw_buf_free(&out2);
    return 0;
}
