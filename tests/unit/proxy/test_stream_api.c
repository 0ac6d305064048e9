/*
 * Tests of proxy/stream_api.c: each API's stream fixture decodes to the same
 * neutral events in every split; encode(decode(x)) decodes back to the
 * same texts, stops and end; texts re-cut or masked by a guard come out
 * as valid events with the summaries rewritten; blocked and error ends in
 * each API's shape, with the trace where the API carries it.
 */
#include "tests/unit/proxy/units.h"
#include "proxy/evstream.c"
#include "proxy/sse.c"
#include "proxy/stream_api.c"
#include "tests/unit/proxy/split.h"

static const char *const kind_names[] = {"?", "TEXT", "ARGS", "PASS", "STOP", "ERROR", "DONE"};

struct evlist {
    struct bw_sev **v;
    size_t n;
    struct bw_buf *tr; /* transcript, may be NULL */
};

static void esc(struct bw_buf *b, struct bw_iov v)
{
    size_t i;

    for (i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.base[i];
        if (c == '\n')
            bw_buf_adds(b, "\\n");
        else if (c < 0x20)
            bw_buf_printf(b, "\\x%02x", c);
        else
            bw_buf_addc(b, (char)c);
    }
}

static int collect(void *ud, const struct bw_sev *ev)
{
    struct evlist *l = ud;

    if (l->tr) {
        bw_buf_printf(l->tr, "%s %u/%u", kind_names[ev->kind], ev->index, ev->sub);
        if (ev->name.len) {
            bw_buf_adds(l->tr, " [");
            esc(l->tr, ev->name);
            bw_buf_adds(l->tr, "]");
        }
        if (ev->text.len) {
            bw_buf_adds(l->tr, " \"");
            esc(l->tr, ev->text);
            bw_buf_adds(l->tr, "\"");
        }
        bw_buf_addc(l->tr, '\n');
    }
    l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = bw_sev_dup(ev);
    return 0;
}

static void evlist_free(struct evlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static struct bw_areq mkreq(int api, int native)
{
    struct bw_areq rq;

    memset(&rq, 0, sizeof(rq));
    rq.api = api;
    rq.native = native;
    rq.model = "test-model";
    rq.stream = 1;
    rq.nchoices = 1;
    return rq;
}

/* Decodes all of p; fills l; returns the first error (feed or finish). */
static int decode(const struct bw_areq *rq, const char *p, size_t n, struct evlist *l)
{
    struct bw_sdec d;
    int rv;

    CU_ASSERT_EQUAL_FATAL(bw_sdec_init(&d, rq), 0);
    rv = bw_sdec_feed(&d, p, n, collect, l);
    if (rv == 0)
        rv = bw_sdec_finish(&d, collect, l);
    bw_sdec_free(&d);
    return rv;
}

/* ------------------------------------------------------------------ */
/* split invariance                                                    */

struct split_ud {
    struct bw_areq rq;
};

static void run(void *ud, const char *p, size_t n, const size_t *cuts, size_t ncuts, struct bw_buf *out)
{
    struct split_ud *u = ud;
    struct bw_sdec d;
    struct evlist l = {NULL, 0, out};
    int rv = 0;

    bw_sdec_init(&d, &u->rq);
    BW_SPLIT_FOREACH(p, n, cuts, ncuts, piece, plen, {
        if (rv == 0)
            rv = bw_sdec_feed(&d, piece, plen, collect, &l);
    });
    if (rv == 0)
        rv = bw_sdec_finish(&d, collect, &l);
    bw_buf_printf(out, "rv=%d\n", rv);
    bw_sdec_free(&d);
    evlist_free(&l);
}

static char *fixture(const char *name, size_t *len)
{
    char path[256];

    snprintf(path, sizeof(path), "tests/data/proxy/stream/%s", name);
    return bw_test_slurp(path, len);
}

static void expect_transcript(int api, int native, const char *file, const char *want)
{
    struct split_ud u;
    struct bw_buf whole;
    size_t len = 0;
    char *s = fixture(file, &len);

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    u.rq = mkreq(api, native);
    bw_buf_init(&whole, 0);
    CU_ASSERT_EQUAL(bw_split_check(run, &u, s, len, 100, &whole), 0);
    if (want) {
        CU_ASSERT_STRING_EQUAL(whole.base, want);
        if (strcmp(whole.base, want) != 0)
            fprintf(stderr, "%s:\n%s\nwant:\n%s\n", file, whole.base, want);
    }
    bw_buf_free(&whole);
    free(s);
}

static void test_stream_decode_openai_chat(void)
{
    expect_transcript(BW_API_OPENAI_CHAT, 0, "openai_chat.sse",
                      "PASS 0/0\n"
                      "TEXT 0/0 \"Contact \"\n"
                      "TEXT 0/0 \"jane.doe@\"\n"
                      "TEXT 0/0 \"example.com caf\xc3\xa9 \xf0\x9f\x98\x80\"\n"
                      "STOP 0/0 \"stop\"\n"
                      "PASS 0/0\n"
                      "DONE 0/0\n"
                      "rv=0\n");
    expect_transcript(BW_API_OPENAI_CHAT, 0, "openai_chat_tools.sse",
                      "PASS 0/0\n"
                      "ARGS 0/0 \"{\"to\":\"\"\n"
                      "ARGS 0/0 \"bob@example.com\"}\"\n"
                      "STOP 0/0 \"tool_calls\"\n"
                      "DONE 0/0\n"
                      "rv=0\n");
    expect_transcript(BW_API_OPENAI_COMPLETIONS, 0, "openai_completions.sse",
                      "TEXT 0/0 \"Hello\"\nTEXT 0/0 \" world\"\nSTOP 0/0 \"stop\"\nDONE 0/0\nrv=0\n");
}

static void test_stream_decode_anthropic_responses(void)
{
    expect_transcript(BW_API_ANTHROPIC, 0, "anthropic.sse",
                      "PASS 0/0 [message_start]\n"
                      "PASS 0/0 [content_block_start]\n"
                      "PASS 0/0 [ping]\n"
                      "TEXT 0/0 [content_block_delta] \"Hello\"\n"
                      "TEXT 0/0 [content_block_delta] \" caf\xc3\xa9!\"\n"
                      "PASS 0/0 [content_block_stop]\n"
                      "PASS 1/0 [content_block_start]\n"
                      "ARGS 1/0 [content_block_delta] \"{\"location\": \"San Fra\"\n"
                      "ARGS 1/0 [content_block_delta] \"ncisco, CA\"}\"\n"
                      "PASS 1/0 [content_block_stop]\n"
                      "STOP 0/0 [message_delta] \"tool_use\"\n"
                      "DONE 0/0 [message_stop]\n"
                      "rv=0\n");
    expect_transcript(BW_API_OPENAI_RESPONSES, 0, "openai_responses.sse",
                      "PASS 0/0 [response.created]\n"
                      "PASS 0/0 [response.in_progress]\n"
                      "PASS 0/0 [response.output_item.added]\n"
                      "PASS 0/0 [response.content_part.added]\n"
                      "TEXT 0/0 [response.output_text.delta] \"Hi\"\n"
                      "TEXT 0/0 [response.output_text.delta] \" there!\"\n"
                      "PASS 0/0 [response.output_text.done]\n"
                      "PASS 0/0 [response.content_part.done]\n"
                      "PASS 0/0 [response.output_item.done]\n"
                      "DONE 0/0 [response.completed]\n"
                      "rv=0\n");
}

static void test_stream_decode_bedrock(void)
{
    expect_transcript(BW_API_BEDROCK_CONVERSE, 0, "converse.evs",
                      "PASS 0/0 [messageStart]\n"
                      "TEXT 0/0 [contentBlockDelta] \"Contact \"\n"
                      "TEXT 0/0 [contentBlockDelta] \"jane.doe@example.com caf\xc3\xa9\"\n"
                      "PASS 0/0 [contentBlockStop]\n"
                      "PASS 1/0 [contentBlockStart]\n"
                      "ARGS 1/0 [contentBlockDelta] \"{\"q\": \"x\"}\"\n"
                      "PASS 1/0 [contentBlockStop]\n"
                      "STOP 0/0 [messageStop] \"end_turn\"\n"
                      "PASS 0/0 [metadata]\n"
                      "DONE 0/0\n"
                      "rv=0\n");
    expect_transcript(BW_API_BEDROCK_INVOKE, BW_NAT_ANTHROPIC, "invoke_anthropic.evs",
                      "PASS 0/0 [message_start]\n"
                      "PASS 0/0 [content_block_start]\n"
                      "TEXT 0/0 [content_block_delta] \"Hello\"\n"
                      "TEXT 0/0 [content_block_delta] \" world\"\n"
                      "PASS 0/0 [content_block_stop]\n"
                      "STOP 0/0 [message_delta] \"end_turn\"\n"
                      "PASS 0/0 [message_stop]\n"
                      "DONE 0/0\n"
                      "rv=0\n");
    expect_transcript(BW_API_BEDROCK_INVOKE, BW_NAT_TITAN, "invoke_titan.evs",
                      "TEXT 0/0 [chunk] \"Hello\"\n"
                      "TEXT 0/0 [chunk] \" there.\"\n"
                      "STOP 0/0 [chunk] \"FINISH\"\n"
                      "DONE 0/0\n"
                      "rv=0\n");
    /* the model is unknown to the decoder: the chunk shape tells */
    expect_transcript(BW_API_BEDROCK_INVOKE, BW_NAT_UNKNOWN, "invoke_llama.evs",
                      "TEXT 0/0 [chunk] \"Hi\"\nTEXT 0/0 [chunk] \" friend\"\nSTOP 0/0 [chunk] \"stop\"\nDONE 0/0\nrv=0\n");
    expect_transcript(BW_API_BEDROCK_CONVERSE, 0, "converse_error.evs",
                      "PASS 0/0 [messageStart]\n"
                      "TEXT 0/0 [contentBlockDelta] \"Par\"\n"
                      "ERROR 0/0 [modelStreamErrorException] \"The model stream failed.\"\n"
                      "DONE 0/0\n"
                      "rv=0\n");
}

static void test_stream_decode_faults(void)
{
    struct bw_areq rq = mkreq(BW_API_OPENAI_CHAT, 0);
    struct evlist l = {NULL, 0, NULL};
    const char *bad = "data: {\"choices\":[\n\n";
    const char *cut = "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n";
    const char *nodone = "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

    CU_ASSERT_EQUAL(decode(&rq, bad, strlen(bad), &l), BW_EPROTO);
    evlist_free(&l);
    /* ended before the model stopped */
    CU_ASSERT_EQUAL(decode(&rq, cut, strlen(cut), &l), BW_EPROTO);
    evlist_free(&l);
    /* stopped but no [DONE]: tolerated */
    CU_ASSERT_EQUAL(decode(&rq, nodone, strlen(nodone), &l), 0);
    CU_ASSERT_EQUAL(l.n, 2);
    CU_ASSERT_EQUAL(l.v[1]->kind, BW_SEV_DONE);
    evlist_free(&l);
    /* an upstream error chunk */
    {
        const char *e = "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n";
        CU_ASSERT_EQUAL(decode(&rq, e, strlen(e), &l), BW_EPROTO); /* no stop, no [DONE] */
        CU_ASSERT_EQUAL(l.n, 1);
        CU_ASSERT_EQUAL(l.v[0]->kind, BW_SEV_ERROR);
        CU_ASSERT_NSTRING_EQUAL(l.v[0]->text.base, "overloaded", 10);
        evlist_free(&l);
    }
    /* a chunk whose base64 is broken */
    {
        struct bw_areq iv = mkreq(BW_API_BEDROCK_INVOKE, BW_NAT_TITAN);
        struct bw_buf b;
        bw_buf_init(&b, 0);
        bw_evs_encode_json(&b, 0, "chunk", "{\"bytes\":\"abc\"}", 15);
        CU_ASSERT_EQUAL(decode(&iv, b.base, b.len, &l), BW_EPROTO);
        evlist_free(&l);
        bw_buf_free(&b);
    }
}

/* ------------------------------------------------------------------ */
/* round trips                                                         */

/* Texts per index, stops and the end, as a guard-independent summary. */
static void summarize(const struct evlist *l, struct bw_buf *out)
{
    size_t i, k;
    char seen[64] = {0};

    for (k = 0; k < 64; k++) {
        for (i = 0; i < l->n; i++)
            if (l->v[i]->kind == BW_SEV_TEXT && l->v[i]->index == k)
                seen[k] = 1;
        if (!seen[k])
            continue;
        bw_buf_printf(out, "text[%zu]=", k);
        for (i = 0; i < l->n; i++)
            if (l->v[i]->kind == BW_SEV_TEXT && l->v[i]->index == k)
                bw_buf_add(out, l->v[i]->text.base, l->v[i]->text.len);
        bw_buf_addc(out, '\n');
    }
    for (i = 0; i < l->n; i++) {
        if (l->v[i]->kind == BW_SEV_TOOL_ARGS) {
            bw_buf_printf(out, "args[%u]+=", l->v[i]->index);
            bw_buf_add(out, l->v[i]->text.base, l->v[i]->text.len);
            bw_buf_addc(out, '\n');
        }
        if (l->v[i]->kind == BW_SEV_STOP) {
            bw_buf_adds(out, "stop=");
            bw_buf_add(out, l->v[i]->text.base, l->v[i]->text.len);
            bw_buf_addc(out, '\n');
        }
        if (l->v[i]->kind == BW_SEV_ERROR) {
            bw_buf_adds(out, "error=");
            bw_buf_add(out, l->v[i]->text.base, l->v[i]->text.len);
            bw_buf_addc(out, '\n');
        }
        if (l->v[i]->kind == BW_SEV_DONE)
            bw_buf_adds(out, "done\n");
    }
}

/*
 * Decodes the fixture, re-encodes every event (texts re-cut one character
 * at a time when recut), decodes the output: same summary.
 */
static void roundtrip(int api, int native, const char *file, int recut, struct bw_buf *wire_out)
{
    struct bw_areq rq = mkreq(api, native);
    struct evlist a = {NULL, 0, NULL}, b = {NULL, 0, NULL};
    struct bw_sdec d;
    struct bw_senc e;
    struct bw_buf wire, s1, s2;
    size_t len = 0, i;
    char *s = fixture(file, &len);

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    bw_buf_init(&wire, 0);
    bw_buf_init(&s1, 0);
    bw_buf_init(&s2, 0);
    CU_ASSERT_EQUAL_FATAL(bw_sdec_init(&d, &rq), 0);
    CU_ASSERT_EQUAL(bw_sdec_feed(&d, s, len, collect, &a), 0);
    CU_ASSERT_EQUAL(bw_sdec_finish(&d, collect, &a), 0);
    CU_ASSERT_EQUAL_FATAL(bw_senc_init(&e, &rq, &d), 0);
    for (i = 0; i < a.n; i++) {
        if (recut && a.v[i]->kind == BW_SEV_TEXT) {
            struct bw_sev piece = *a.v[i];
            size_t k = 0;
            while (k < a.v[i]->text.len) {
                /* whole UTF-8 characters */
                size_t m = 1;
                while (k + m < a.v[i]->text.len && ((unsigned char)a.v[i]->text.base[k + m] & 0xc0) == 0x80)
                    m++;
                piece.text.base = a.v[i]->text.base + k;
                piece.text.len = m;
                CU_ASSERT_EQUAL(bw_senc_encode(&e, &piece, &wire), 0);
                k += m;
            }
        } else {
            CU_ASSERT_EQUAL(bw_senc_encode(&e, a.v[i], &wire), 0);
        }
    }
    CU_ASSERT_EQUAL(decode(&rq, wire.base, wire.len, &b), 0);
    summarize(&a, &s1);
    summarize(&b, &s2);
    CU_ASSERT_STRING_EQUAL(s1.base, s2.base);
    if (strcmp(s1.base, s2.base) != 0)
        fprintf(stderr, "%s: roundtrip differs\n--- in\n%s--- out\n%s\n--- wire\n%.*s\n", file, s1.base, s2.base,
                (int)wire.len, wire.base);
    if (wire_out)
        bw_buf_add(wire_out, wire.base, wire.len);
    bw_senc_free(&e);
    bw_sdec_free(&d);
    evlist_free(&a);
    evlist_free(&b);
    bw_buf_free(&wire);
    bw_buf_free(&s1);
    bw_buf_free(&s2);
    free(s);
}

static void test_stream_roundtrip_all(void)
{
    static const struct {
        int api, native;
        const char *file;
    } t[] = {
        {BW_API_OPENAI_CHAT, 0, "openai_chat.sse"},
        {BW_API_OPENAI_CHAT, 0, "openai_chat_tools.sse"},
        {BW_API_OPENAI_COMPLETIONS, 0, "openai_completions.sse"},
        {BW_API_OPENAI_RESPONSES, 0, "openai_responses.sse"},
        {BW_API_ANTHROPIC, 0, "anthropic.sse"},
        {BW_API_BEDROCK_CONVERSE, 0, "converse.evs"},
        {BW_API_BEDROCK_CONVERSE, 0, "converse_error.evs"},
        {BW_API_BEDROCK_INVOKE, BW_NAT_ANTHROPIC, "invoke_anthropic.evs"},
        {BW_API_BEDROCK_INVOKE, BW_NAT_TITAN, "invoke_titan.evs"},
        {BW_API_BEDROCK_INVOKE, BW_NAT_LLAMA, "invoke_llama.evs"},
    };
    size_t i;

    for (i = 0; i < BW_NELEMS(t); i++) {
        roundtrip(t[i].api, t[i].native, t[i].file, 0, NULL);
        roundtrip(t[i].api, t[i].native, t[i].file, 1, NULL);
    }
}

static void test_stream_openai_chat_wire(void)
{
    struct bw_buf w;

    bw_buf_init(&w, 0);
    roundtrip(BW_API_OPENAI_CHAT, 0, "openai_chat.sse", 1, &w);
    /* fresh chunks repeat the upstream's id, created, model and fingerprint */
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "data: {\"id\":\"chatcmpl-AbC123\",\"object\":\"chat.completion.chunk\","
                                          "\"created\":1727000000,\"model\":\"gpt-4o-mini-2024-07-18\","
                                          "\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{\"index\":0,"
                                          "\"delta\":{\"content\":\"C\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"content\":\"\xf0\x9f\x98\x80\""));
    CU_ASSERT(strlen(w.base) >= 14 && strcmp(w.base + strlen(w.base) - 14, "data: [DONE]\n\n") == 0);
    bw_buf_free(&w);
}

/* Feeds a fixture through decode -> f (the guard) -> encode. */
typedef int (*guard_fn)(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out, void *st);

static void through(int api, int native, const char *file, const struct bw_trace *tr, int trace_mode, const char *gr,
                    guard_fn g, void *st, struct bw_buf *wire)
{
    struct bw_areq rq = mkreq(api, native);
    struct evlist a = {NULL, 0, NULL};
    struct bw_sdec d;
    struct bw_senc e;
    size_t len = 0, i;
    char *s = fixture(file, &len);

    rq.trace = trace_mode;
    rq.gr_id = gr;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(bw_sdec_init(&d, &rq), 0);
    CU_ASSERT_EQUAL(bw_sdec_feed(&d, s, len, collect, &a), 0);
    CU_ASSERT_EQUAL(bw_sdec_finish(&d, collect, &a), 0);
    CU_ASSERT_EQUAL_FATAL(bw_senc_init(&e, &rq, &d), 0);
    if (tr)
        CU_ASSERT_EQUAL(bw_senc_set_trace(&e, tr), 0);
    for (i = 0; i < a.n; i++)
        if (g(&e, a.v[i], wire, st) != 0)
            break;
    bw_senc_free(&e);
    bw_sdec_free(&d);
    evlist_free(&a);
    free(s);
}

/* A guard that masks "jane.doe@example.com" cut across deltas: it holds text until the stop. */
struct mask_st {
    struct bw_buf held;
    uint32_t index;
    int have;
};

static int mask_guard(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out, void *stp)
{
    struct mask_st *st = stp;
    int rv;

    if (ev->kind == BW_SEV_TEXT) {
        bw_buf_add(&st->held, ev->text.base, ev->text.len);
        st->index = ev->index;
        st->have = 1;
        return 0;
    }
    if (st->have && ev->kind != BW_SEV_TOOL_ARGS) {
        struct bw_sev t = *ev;
        char *p, *q;
        struct bw_buf m;

        bw_buf_init(&m, 0);
        p = st->held.base;
        while ((q = strstr(p, "jane.doe@example.com")) != NULL) {
            bw_buf_add(&m, p, (size_t)(q - p));
            bw_buf_adds(&m, "{EMAIL}");
            p = q + 20;
        }
        bw_buf_adds(&m, p);
        t.kind = BW_SEV_TEXT;
        t.index = st->index;
        t.sub = 0;
        t.text.base = m.base;
        t.text.len = m.len;
        rv = bw_senc_encode(e, &t, out);
        bw_buf_free(&m);
        bw_buf_reset(&st->held);
        st->have = 0;
        if (rv)
            return rv;
    }
    return bw_senc_encode(e, ev, out);
}

static const struct bw_trace trace = {
    "gr1", "Guardrail masked.", "{\"sensitiveInformationPolicy\":{\"piiEntities\":[]}}",
    "{\"sensitiveInformationPolicy\":{\"piiEntities\":[{\"type\":\"EMAIL\",\"action\":\"ANONYMIZED\"}]}}", NULL, 1, 1,
};

static void test_stream_masked_with_trace(void)
{
    struct mask_st st;
    struct bw_buf w;
    struct evlist l = {NULL, 0, NULL};
    struct bw_buf sum;
    struct bw_areq rq;

    bw_buf_init(&st.held, 0);
    st.have = 0;
    bw_buf_init(&w, 0);
    bw_buf_init(&sum, 0);
    /* OpenAI chat */
    through(BW_API_OPENAI_CHAT, 0, "openai_chat.sse", &trace, BW_TRACE_ON, NULL, mask_guard, &st, &w);
    rq = mkreq(BW_API_OPENAI_CHAT, 0);
    CU_ASSERT_EQUAL(decode(&rq, w.base, w.len, &l), 0);
    summarize(&l, &sum);
    CU_ASSERT_STRING_EQUAL(sum.base, "text[0]=Contact {EMAIL} caf\xc3\xa9 \xf0\x9f\x98\x80\nstop=stop\ndone\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"choices\":[],\"bulwark_trace\":{\"action\":\"INTERVENED\","
                                          "\"actionReason\":\"Guardrail masked.\",\"guardrailId\":\"gr1\""));
    CU_ASSERT_PTR_NULL(strstr(w.base, "jane.doe"));
    evlist_free(&l);
    /* Converse: the trace in the metadata event */
    bw_buf_reset(&w);
    bw_buf_reset(&sum);
    through(BW_API_BEDROCK_CONVERSE, 0, "converse.evs", &trace, BW_TRACE_ON, "gr1", mask_guard, &st, &w);
    rq = mkreq(BW_API_BEDROCK_CONVERSE, 0);
    CU_ASSERT_EQUAL(decode(&rq, w.base, w.len, &l), 0);
    summarize(&l, &sum);
    CU_ASSERT_STRING_EQUAL(sum.base, "text[0]=Contact {EMAIL} caf\xc3\xa9\nargs[1]+={\"q\": \"x\"}\nstop=end_turn\ndone\n");
    CU_ASSERT_EQUAL_FATAL(l.n > 2, 1);
    {
        const struct bw_sev *m = l.v[l.n - 2];
        cJSON *j = cJSON_ParseWithLength(m->data.base, m->data.len);
        CU_ASSERT_NSTRING_EQUAL(m->name.base, "metadata", 8);
        CU_ASSERT_EQUAL(jpint(j, "usage.totalTokens", 0), 21);
        CU_ASSERT_STRING_EQUAL(jpstr(j, "trace.guardrail.actionReason"), "Guardrail masked.");
        CU_ASSERT_STRING_EQUAL(jpstr(j, "trace.guardrail.outputAssessments.gr1.0.sensitiveInformationPolicy.piiEntities.0.type"),
                               "EMAIL");
        cJSON_Delete(j);
    }
    evlist_free(&l);
    /* InvokeModel (Anthropic): the last chunk carries Bedrock's action and trace */
    bw_buf_reset(&w);
    through(BW_API_BEDROCK_INVOKE, BW_NAT_ANTHROPIC, "invoke_anthropic.evs", &trace, BW_TRACE_ON, "gr1", mask_guard,
            &st, &w);
    rq = mkreq(BW_API_BEDROCK_INVOKE, BW_NAT_ANTHROPIC);
    CU_ASSERT_EQUAL(decode(&rq, w.base, w.len, &l), 0);
    CU_ASSERT_EQUAL_FATAL(l.n > 2, 1);
    {
        const struct bw_sev *m = l.v[l.n - 2];
        cJSON *j = cJSON_ParseWithLength(m->data.base, m->data.len);
        CU_ASSERT_STRING_EQUAL(jpstr(j, "type"), "message_stop");
        CU_ASSERT_STRING_EQUAL(jpstr(j, "amazon-bedrock-guardrailAction"), "INTERVENED");
        CU_ASSERT_PTR_NOT_NULL(jpath(j, "amazon-bedrock-trace.guardrail.input.gr1"));
        CU_ASSERT_PTR_NOT_NULL(jpath(j, "amazon-bedrock-invocationMetrics"));
        cJSON_Delete(j);
    }
    evlist_free(&l);
    /* Titan: texts rebuilt from the model's own first chunk */
    bw_buf_reset(&w);
    through(BW_API_BEDROCK_INVOKE, BW_NAT_TITAN, "invoke_titan.evs", NULL, BW_TRACE_OFF, NULL, mask_guard, &st, &w);
    rq = mkreq(BW_API_BEDROCK_INVOKE, BW_NAT_TITAN);
    CU_ASSERT_EQUAL(decode(&rq, w.base, w.len, &l), 0);
    bw_buf_reset(&sum);
    summarize(&l, &sum);
    CU_ASSERT_STRING_EQUAL(sum.base, "text[0]=Hello there.\nstop=FINISH\ndone\n");
    evlist_free(&l);
    bw_buf_free(&w);
    bw_buf_free(&sum);
    bw_buf_free(&st.held);
}

/* Responses: the summaries say what was sent, sequence numbers run 0, 1, 2... */
static int resp_guard(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out, void *st)
{
    (void)st;
    if (ev->kind == BW_SEV_TEXT && ev->text.len == 7 && memcmp(ev->text.base, " there!", 7) == 0) {
        struct bw_sev t = *ev;
        t.text = BW_IOV(" {NAME}!");
        return bw_senc_encode(e, &t, out);
    }
    return bw_senc_encode(e, ev, out);
}

static void test_stream_responses_summaries(void)
{
    struct bw_buf w;
    struct evlist l = {NULL, 0, NULL};
    struct bw_areq rq = mkreq(BW_API_OPENAI_RESPONSES, 0);
    size_t i;
    int seq = 0, ok = 1;

    bw_buf_init(&w, 0);
    through(BW_API_OPENAI_RESPONSES, 0, "openai_responses.sse", &trace, BW_TRACE_ON, NULL, resp_guard, NULL, &w);
    CU_ASSERT_EQUAL(decode(&rq, w.base, w.len, &l), 0);
    for (i = 0; i < l.n; i++) {
        cJSON *j = cJSON_ParseWithLength(l.v[i]->data.base, l.v[i]->data.len);
        if (l.v[i]->kind != BW_SEV_TEXT && jpint(j, "sequence_number", -1) != seq)
            ok = 0;
        if (l.v[i]->kind != BW_SEV_TEXT)
            seq++;
        else
            seq++;
        cJSON_Delete(j);
    }
    CU_ASSERT(ok);
    CU_ASSERT_PTR_NULL(strstr(w.base, "Hi there!"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"type\":\"response.output_text.done\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"text\":\"Hi {NAME}!\",\"logprobs\":[]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"part\":{\"type\":\"output_text\",\"text\":\"Hi {NAME}!\""));
    {
        const struct bw_sev *last = l.v[l.n - 1];
        cJSON *j = cJSON_ParseWithLength(last->data.base, last->data.len);
        CU_ASSERT_EQUAL(last->kind, BW_SEV_DONE);
        CU_ASSERT_STRING_EQUAL(jpstr(j, "response.output.0.content.0.text"), "Hi {NAME}!");
        CU_ASSERT_STRING_EQUAL(jpstr(j, "bulwark_trace.action"), "INTERVENED");
        CU_ASSERT_EQUAL(jpint(j, "sequence_number", -1), 9);
        cJSON_Delete(j);
    }
    evlist_free(&l);
    bw_buf_free(&w);
}

/* ------------------------------------------------------------------ */
/* blocked and error ends                                              */

/* Passes events until the first TEXT, then blocks. */
static int block_guard(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out, void *st)
{
    int *after = st;

    if (ev->kind == BW_SEV_TEXT && (*after)-- == 0) {
        bw_senc_blocked(e, "Sorry, blocked.", out);
        return 1;
    }
    return bw_senc_encode(e, ev, out);
}

static void blocked_case(int api, int native, const char *file, int after, const char *want_summary,
                         struct bw_buf *wire)
{
    struct evlist l = {NULL, 0, NULL};
    struct bw_areq rq = mkreq(api, native);
    struct bw_buf sum;

    bw_buf_init(&sum, 0);
    bw_buf_reset(wire);
    through(api, native, file, &trace, BW_TRACE_ON, "gr1", block_guard, &after, wire);
    CU_ASSERT_EQUAL(decode(&rq, wire->base, wire->len, &l), 0);
    if (getenv("BW_TEST_DUMP")) {
        size_t i;
        fprintf(stderr, "==== %s\n", file);
        for (i = 0; i < l.n; i++)
            fprintf(stderr, "%s [%.*s] %.*s\n", kind_names[l.v[i]->kind], (int)l.v[i]->name.len, l.v[i]->name.base,
                    (int)l.v[i]->data.len, l.v[i]->data.base);
    }
    summarize(&l, &sum);
    CU_ASSERT_STRING_EQUAL(sum.base, want_summary);
    if (strcmp(sum.base, want_summary) != 0)
        fprintf(stderr, "%s blocked:\n%s\nwant:\n%s\n--- wire\n%.*s\n", file, sum.base, want_summary, (int)wire->len,
                wire->base);
    evlist_free(&l);
    bw_buf_free(&sum);
}

static void test_stream_blocked_ends(void)
{
    struct bw_buf w;

    bw_buf_init(&w, 0);
    blocked_case(BW_API_OPENAI_CHAT, 0, "openai_chat.sse", 1,
                 "text[0]=Contact Sorry, blocked.\nstop=content_filter\ndone\n", &w);
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"finish_reason\":\"content_filter\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"bulwark_trace\":{\"action\":\"INTERVENED\""));
    blocked_case(BW_API_OPENAI_COMPLETIONS, 0, "openai_completions.sse", 0,
                 "text[0]=Sorry, blocked.\nstop=content_filter\ndone\n", &w);
    blocked_case(BW_API_ANTHROPIC, 0, "anthropic.sse", 1,
                 "text[0]=HelloSorry, blocked.\nstop=guardrail_intervened\ndone\n", &w);
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"stop_reason\":\"guardrail_intervened\",\"stop_sequence\":null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "event: message_stop\ndata: {\"type\":\"message_stop\",\"bulwark_trace\":{"));
    blocked_case(BW_API_OPENAI_RESPONSES, 0, "openai_responses.sse", 1, "text[0]=HiSorry, blocked.\ndone\n", &w);
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "event: response.incomplete\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"incomplete_details\":{\"reason\":\"content_filter\"}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"text\":\"HiSorry, blocked.\""));
    blocked_case(BW_API_BEDROCK_CONVERSE, 0, "converse.evs", 0,
                 "text[0]=Sorry, blocked.\nstop=guardrail_intervened\ndone\n", &w);
    CU_ASSERT_PTR_NOT_NULL(memmem(w.base, w.len, "\"trace\":{\"guardrail\":", 21));
    blocked_case(BW_API_BEDROCK_INVOKE, BW_NAT_ANTHROPIC, "invoke_anthropic.evs", 0,
                 "text[0]=Sorry, blocked.\nstop=guardrail_intervened\ndone\n", &w);
    blocked_case(BW_API_BEDROCK_INVOKE, BW_NAT_TITAN, "invoke_titan.evs", 1,
                 "text[0]=HelloSorry, blocked.\nstop=CONTENT_FILTERED\ndone\n", &w);
    blocked_case(BW_API_BEDROCK_INVOKE, BW_NAT_LLAMA, "invoke_llama.evs", 0,
                 "text[0]=Sorry, blocked.\nstop=stop\ndone\n", &w);
    bw_buf_free(&w);
}

static void test_stream_blocked_before_anything(void)
{
    static const struct {
        int api, native;
        const char *first;
    } t[] = {
        {BW_API_ANTHROPIC, 0, "event: message_start\n"},
        {BW_API_OPENAI_RESPONSES, 0, "event: response.created\n"},
        {BW_API_OPENAI_CHAT, 0, "data: {\"id\":\"chatcmpl-bw"},
    };
    size_t i;

    for (i = 0; i < BW_NELEMS(t); i++) {
        struct bw_areq rq = mkreq(t[i].api, t[i].native);
        struct bw_senc e;
        struct bw_buf w;
        struct evlist l = {NULL, 0, NULL};

        bw_buf_init(&w, 0);
        CU_ASSERT_EQUAL_FATAL(bw_senc_init(&e, &rq, NULL), 0);
        CU_ASSERT_EQUAL(bw_senc_blocked(&e, "No.", &w), 0);
        CU_ASSERT(strncmp(w.base, t[i].first, strlen(t[i].first)) == 0);
        CU_ASSERT_EQUAL(decode(&rq, w.base, w.len, &l), 0);
        /* nothing more after the end */
        {
            size_t before = w.len;
            struct bw_sev ev;
            memset(&ev, 0, sizeof(ev));
            ev.kind = BW_SEV_TEXT;
            ev.text = BW_IOV("late");
            CU_ASSERT_EQUAL(bw_senc_encode(&e, &ev, &w), 0);
            CU_ASSERT_EQUAL(w.len, before);
        }
        if (t[i].api == BW_API_OPENAI_CHAT)
            CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"delta\":{\"role\":\"assistant\",\"content\":\"No.\"}"));
        evlist_free(&l);
        bw_senc_free(&e);
        bw_buf_free(&w);
    }
    /* Converse from nothing: messageStart, delta, stop, messageStop, metadata */
    {
        struct bw_areq rq = mkreq(BW_API_BEDROCK_CONVERSE, 0);
        struct bw_senc e;
        struct bw_buf w, tr;
        struct evlist l = {NULL, 0, NULL};

        bw_buf_init(&w, 0);
        bw_buf_init(&tr, 0);
        l.tr = &tr;
        CU_ASSERT_EQUAL_FATAL(bw_senc_init(&e, &rq, NULL), 0);
        CU_ASSERT_EQUAL(bw_senc_blocked(&e, "No.", &w), 0);
        CU_ASSERT_EQUAL(decode(&rq, w.base, w.len, &l), 0);
        CU_ASSERT_STRING_EQUAL(tr.base, "PASS 0/0 [messageStart]\n"
                                        "TEXT 0/0 [contentBlockDelta] \"No.\"\n"
                                        "PASS 0/0 [contentBlockStop]\n"
                                        "STOP 0/0 [messageStop] \"guardrail_intervened\"\n"
                                        "PASS 0/0 [metadata]\n"
                                        "DONE 0/0\n");
        evlist_free(&l);
        bw_senc_free(&e);
        bw_buf_free(&w);
        bw_buf_free(&tr);
    }
}

static void test_stream_error_ends(void)
{
    struct bw_buf w;
    struct bw_senc e;
    struct bw_areq rq;
    struct evlist l = {NULL, 0, NULL};

    bw_buf_init(&w, 0);
    rq = mkreq(BW_API_OPENAI_CHAT, 0);
    bw_senc_init(&e, &rq, NULL);
    CU_ASSERT_EQUAL(bw_senc_error(&e, 502, "upstream went away", &w), 0);
    CU_ASSERT_STRING_EQUAL(w.base, "data: {\"error\":{\"message\":\"upstream went away\",\"type\":\"server_error\","
                                   "\"param\":null,\"code\":null}}\n\n");
    CU_ASSERT_PTR_NULL(strstr(w.base, "[DONE]"));
    bw_senc_free(&e);

    bw_buf_reset(&w);
    rq = mkreq(BW_API_ANTHROPIC, 0);
    bw_senc_init(&e, &rq, NULL);
    CU_ASSERT_EQUAL(bw_senc_error(&e, 529, "Overloaded", &w), 0);
    CU_ASSERT_STRING_EQUAL(w.base, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                                   "\"message\":\"Overloaded\"}}\n\n");
    bw_senc_free(&e);

    bw_buf_reset(&w);
    rq = mkreq(BW_API_BEDROCK_CONVERSE, 0);
    bw_senc_init(&e, &rq, NULL);
    CU_ASSERT_EQUAL(bw_senc_error(&e, 429, "Too many requests", &w), 0);
    {
        struct bw_evs_msg m;
        const struct bw_iov *x;
        CU_ASSERT_EQUAL_FATAL(bw_evs_parse(w.base, w.len, &m), 0);
        x = bw_evs_header_str(&m, ":message-type");
        CU_ASSERT(x && x->len == 9 && memcmp(x->base, "exception", 9) == 0);
        x = bw_evs_header_str(&m, ":exception-type");
        CU_ASSERT(x && x->len == 19 && memcmp(x->base, "throttlingException", 19) == 0);
        CU_ASSERT_NSTRING_EQUAL(m.payload.base, "{\"message\":\"Too many requests\"}", m.payload.len);
    }
    CU_ASSERT_EQUAL(decode(&rq, w.base, w.len, &l), 0);
    CU_ASSERT_EQUAL(l.v[0]->kind, BW_SEV_ERROR);
    evlist_free(&l);
    bw_senc_free(&e);

    bw_buf_reset(&w);
    rq = mkreq(BW_API_OPENAI_RESPONSES, 0);
    bw_senc_init(&e, &rq, NULL);
    CU_ASSERT_EQUAL(bw_senc_error(&e, 500, "boom", &w), 0);
    CU_ASSERT_STRING_EQUAL(w.base, "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":"
                                   "\"boom\",\"param\":null,\"sequence_number\":0}\n\n");
    bw_senc_free(&e);
    bw_buf_free(&w);
}

static void test_stream_sev_dup_and_comments(void)
{
    struct bw_sev ev, *c;
    struct bw_areq rq = mkreq(BW_API_OPENAI_CHAT, 0);
    struct evlist l = {NULL, 0, NULL};
    struct bw_senc e;
    struct bw_buf w;
    const char *in = ": OPENROUTER PROCESSING\n\ndata: [DONE]\n\n";

    memset(&ev, 0, sizeof(ev));
    ev.kind = BW_SEV_TEXT;
    ev.index = 3;
    ev.text = BW_IOV("abc");
    ev.name = BW_IOV("n");
    ev.data = BW_IOV("{}");
    c = bw_sev_dup(&ev);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->index, 3);
    CU_ASSERT_STRING_EQUAL(c->text.base, "abc");
    CU_ASSERT_STRING_EQUAL(c->data.base, "{}");
    free(c);
    CU_ASSERT_EQUAL(decode(&rq, in, strlen(in), &l), 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 2);
    CU_ASSERT(l.v[0]->flags & BW_SEVF_COMMENT);
    bw_buf_init(&w, 0);
    bw_senc_init(&e, &rq, NULL);
    bw_senc_encode(&e, l.v[0], &w);
    CU_ASSERT_STRING_EQUAL(w.base, ": OPENROUTER PROCESSING\n\n");
    bw_senc_free(&e);
    bw_buf_free(&w);
    evlist_free(&l);
}

/* Responses events without an "event:" line: the name comes from the data's type */
static void test_stream_responses_unnamed(void)
{
    const char *in = "data: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"r1\"}}\n\n"
                     "data: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,"
                     "\"item_id\":\"m1\",\"delta\":\"hey\",\"sequence_number\":1}\n\n"
                     "data: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"r1\"}}\n\n";
    struct bw_areq rq = mkreq(BW_API_OPENAI_RESPONSES, 0);
    struct evlist l = {NULL, 0, NULL};
    struct bw_sdec d;
    struct bw_senc e;
    struct bw_buf w;
    size_t i;

    bw_buf_init(&w, 0);
    CU_ASSERT_EQUAL_FATAL(bw_sdec_init(&d, &rq), 0);
    CU_ASSERT_EQUAL(bw_sdec_feed(&d, in, strlen(in), collect, &l), 0);
    CU_ASSERT_EQUAL(bw_sdec_finish(&d, collect, &l), 0);
    CU_ASSERT_EQUAL(bw_senc_init(&e, &rq, &d), 0);
    for (i = 0; i < l.n; i++)
        CU_ASSERT_EQUAL(bw_senc_encode(&e, l.v[i], &w), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "event: response.created\ndata: {\"type\":\"response.created\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "event: response.completed\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.base, "\"item_id\":\"m1\""));
    bw_senc_free(&e);
    bw_sdec_free(&d);
    evlist_free(&l);
    bw_buf_free(&w);
}

static const struct bw_test tests[] = {
    {"test_stream_responses_unnamed", test_stream_responses_unnamed},
    {"test_stream_decode_openai_chat", test_stream_decode_openai_chat},
    {"test_stream_decode_anthropic_responses", test_stream_decode_anthropic_responses},
    {"test_stream_decode_bedrock", test_stream_decode_bedrock},
    {"test_stream_decode_faults", test_stream_decode_faults},
    {"test_stream_roundtrip_all", test_stream_roundtrip_all},
    {"test_stream_openai_chat_wire", test_stream_openai_chat_wire},
    {"test_stream_masked_with_trace", test_stream_masked_with_trace},
    {"test_stream_responses_summaries", test_stream_responses_summaries},
    {"test_stream_blocked_ends", test_stream_blocked_ends},
    {"test_stream_blocked_before_anything", test_stream_blocked_before_anything},
    {"test_stream_error_ends", test_stream_error_ends},
    {"test_stream_sev_dup_and_comments", test_stream_sev_dup_and_comments},
};

BW_TEST_MAIN("stream_api", tests)
