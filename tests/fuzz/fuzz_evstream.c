/*
 * fuzz_evstream.c: libFuzzer target for the AWS event-stream decoder and the
 * Bedrock stream decoding/encoding (proxy/evstream.c, proxy/stream_api.c).
 *
 * Byte 0 picks ConverseStream or InvokeModelWithResponseStream (and the
 * model family), byte 1 seeds the cut points; the rest is the stream.
 * Checks: the messages are the same whole and cut; each message
 * re-encodes to its own bytes; decoded events re-encode without fault.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -I. \
 *       $(pkg-config --cflags libcjson) tests/fuzz/fuzz_evstream.c build/libbulwark.a \
 *       $(pkg-config --libs libcjson openssl) -o build/fuzz_evstream
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

static int on_msg(void *ud, const struct bw_evs_msg *m)
{
    struct bw_buf *t = ud, re;
    size_t i;

    bw_buf_printf(t, "M%zu:", m->nh);
    for (i = 0; i < m->nh; i++) {
        bw_buf_add(t, m->h[i].name.base, m->h[i].name.len);
        bw_buf_printf(t, "=%d/%lld/", m->h[i].type, (long long)m->h[i].i);
        bw_buf_add(t, m->h[i].s.base, m->h[i].s.len);
    }
    bw_buf_add(t, m->payload.base, m->payload.len);
    /* the framing is canonical: the message encodes back to the same bytes */
    bw_buf_init(&re, 0);
    if (bw_evs_encode(&re, m->h, m->nh, m->payload.base, m->payload.len) == 0) {
        struct bw_evs_msg m2;
        if (bw_evs_parse(re.base, re.len, &m2) != 0 || m2.nh != m->nh || m2.payload.len != m->payload.len)
            abort();
    }
    bw_buf_free(&re);
    return 0;
}

static void run(const char *p, size_t n, unsigned seed, struct bw_buf *t)
{
    struct bw_evs_dec d;
    size_t at = 0;
    int rv = 0;

    bw_evs_dec_init(&d, 1u << 16);
    while (at < n && rv == 0) {
        size_t k = seed ? 1 + (seed = seed * 1103515245u + 12345u) % 13 : n - at;
        if (k > n - at)
            k = n - at;
        rv = bw_evs_dec_feed(&d, p + at, k, on_msg, t);
        at += k;
    }
    if (rv == 0)
        rv = bw_evs_dec_finish(&d);
    bw_buf_printf(t, "rv=%d", rv);
    bw_evs_dec_free(&d);
}

static int reenc(void *ud, const struct bw_sev *ev)
{
    struct bw_senc *e = ((void **)ud)[0];
    struct bw_buf *out = ((void **)ud)[1];

    bw_senc_encode(e, ev, out);
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const int natives[4] = {BW_NAT_ANTHROPIC, BW_NAT_TITAN, BW_NAT_LLAMA, BW_NAT_UNKNOWN};
    struct bw_buf a, b, out;
    struct bw_areq rq;
    struct bw_sdec d;
    struct bw_senc e;
    void *ud[2];
    const char *p;
    size_t n;

    if (size < 2)
        return 0;
    p = (const char *)data + 2;
    n = size - 2;
    bw_buf_init(&a, 0);
    bw_buf_init(&b, 0);
    run(p, n, 0, &a);
    run(p, n, data[1] | 1u, &b);
    if (a.len != b.len || memcmp(a.base, b.base, a.len) != 0)
        abort();
    bw_buf_free(&a);
    bw_buf_free(&b);

    memset(&rq, 0, sizeof(rq));
    rq.api = (data[0] & 1) ? BW_API_BEDROCK_INVOKE : BW_API_BEDROCK_CONVERSE;
    rq.native = natives[(data[0] >> 1) & 3];
    rq.trace = (data[0] >> 3) & 1;
    rq.gr_id = (data[0] & 16) ? "g" : NULL;
    bw_buf_init(&out, 0);
    bw_sdec_init(&d, &rq);
    bw_senc_init(&e, &rq, &d);
    ud[0] = &e;
    ud[1] = &out;
    if (bw_sdec_feed(&d, p, n, reenc, ud) == 0)
        bw_sdec_finish(&d, reenc, ud);
    if (data[0] & 32)
        bw_senc_blocked(&e, "blocked", &out);
    else
        bw_senc_error(&e, 429, "slow down", &out);
    /* what we wrote is valid framing */
    {
        struct bw_evs_dec v;
        bw_evs_dec_init(&v, 0);
        bw_buf_init(&a, 0);
        if (bw_evs_dec_feed(&v, out.base ? out.base : "", out.len, on_msg, &a) != 0 || bw_evs_dec_finish(&v) != 0)
            abort();
        bw_buf_free(&a);
        bw_evs_dec_free(&v);
    }
    bw_senc_free(&e);
    bw_sdec_free(&d);
    bw_buf_free(&out);
    return 0;
}
