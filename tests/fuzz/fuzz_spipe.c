/*
 * fuzz_spipe.c: libFuzzer target for the guarded stream pipeline
 * (proxy/spipe.c: decoder -> streaming output guard -> encoder) fed random
 * splits.
 *
 * Byte 0 picks the API (OpenAI chat, completions, responses, Anthropic,
 * Converse, InvokeModel with Anthropic or Titan bodies) and the mode
 * (synchronous with the demo guardrail, asynchronous with a block-only
 * one); byte 1 seeds the cut points; the rest is the upstream stream.
 * Checks: no fault or leak; the client bytes and the end state are the same
 * whole, cut at random, and (for short inputs) one byte at a time.
 *
 * Run from the repository root (it loads conf/guardrails/demo.json and
 * tests/data/proxy/stream/strict.json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/adapter.c"
#include "proxy/adapt_anthropic.c"
#include "proxy/adapt_bedrock.c"
#include "proxy/adapt_generic.c"
#include "proxy/adapt_openai.c"
#include "proxy/evstream.c"
#include "proxy/spipe.c"
#include "proxy/sse.c"
#include "proxy/stream_api.c"
#include "policies/apply.h"
#include "policies/guardrail.h"

static struct bw_worker w;
static struct bw_guardrail *gr[2];

static void setup(void)
{
    static const char *const files[2] = {"conf/guardrails/demo.json", "tests/data/proxy/stream/strict.json"};
    struct bw_errs errs;
    int i;

    bw_errs_init(&errs, NULL);
    if (bw_worker_init(&w) != 0)
        abort();
    for (i = 0; i < 2; i++)
        if (bw_guardrail_load(files[i], i ? "strict" : "demo", "DRAFT", &gr[i], &errs) != 0 ||
            bw_guardrail_streaming(gr[i], &errs) != 0) {
            bw_errs_print(&errs, stderr);
            abort();
        }
    bw_errs_free(&errs);
}

/* Client bytes and end state for p cut every few bytes (seed), or whole (seed 0), or byte by byte (seed 1). */
static void run(const struct bw_areq *rq, int async, const char *p, size_t n, unsigned seed, struct bw_buf *out)
{
    const struct bw_guardrail *g = gr[async];
    struct bw_spipe_opts o;
    struct bw_spipe sp;
    size_t at = 0;

    memset(&o, 0, sizeof(o));
    o.rq = rq;
    o.mode = async ? BW_STREAM_ASYNC : BW_STREAM_SYNC;
    o.span = g->sspan;
    o.cls = g->scls;
    o.conf = g->conf;
    o.w = &w;
    o.max_text = 16384;
    o.blocked_msg = "blocked";
    if (bw_spipe_init(&sp, &o) != 0)
        abort();
    /* fresh ids and clocks would differ between runs: pin them */
    snprintf(sp.enc.own.id, sizeof(sp.enc.own.id), "fixed");
    sp.enc.own.created = 1;
    while (at < n) {
        size_t k = seed == 0 ? n - at : seed == 1 ? 1 : 1 + (seed = seed * 1103515245u + 12345u) % 13;
        if (k > n - at)
            k = n - at;
        bw_spipe_feed(&sp, p + at, k);
        at += k;
    }
    bw_spipe_end(&sp);
    bw_buf_add(out, sp.out.base ? sp.out.base : "", sp.out.len);
    bw_buf_printf(out, "|state=%d err=%d", sp.state, sp.err);
    bw_spipe_free(&sp);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const int apis[7] = {BW_API_OPENAI_CHAT,      BW_API_OPENAI_COMPLETIONS, BW_API_OPENAI_RESPONSES,
                                BW_API_ANTHROPIC,        BW_API_BEDROCK_CONVERSE,   BW_API_BEDROCK_INVOKE,
                                BW_API_BEDROCK_INVOKE};
    struct bw_buf a, b;
    struct bw_areq rq;
    const char *p;
    size_t n;
    int async;

    if (gr[0] == NULL)
        setup();
    if (size < 2)
        return 0;
    p = (const char *)data + 2;
    n = size - 2;
    memset(&rq, 0, sizeof(rq));
    rq.api = apis[(data[0] & 0x7f) % 7];
    rq.native = (data[0] & 0x7f) % 7 == 6 ? BW_NAT_TITAN : BW_NAT_ANTHROPIC;
    rq.model = "m";
    rq.stream = 1;
    rq.nchoices = 1;
    async = data[0] >> 7;
    bw_buf_init(&a, 0);
    bw_buf_init(&b, 0);
    run(&rq, async, p, n, 0, &a);
    run(&rq, async, p, n, (unsigned)data[1] | 2u, &b);
    if (a.len != b.len || memcmp(a.base, b.base, a.len) != 0) {
        fprintf(stderr, "whole:\n%.*s\n--- cut:\n%.*s\n", (int)a.len, a.base, (int)b.len, b.base);
        abort(); /* the split changed what the client gets */
    }
    if (n <= 2048) {
        bw_buf_reset(&b);
        run(&rq, async, p, n, 1, &b);
        if (a.len != b.len || memcmp(a.base, b.base, a.len) != 0)
            abort();
    }
    bw_buf_free(&a);
    bw_buf_free(&b);
    return 0;
}
