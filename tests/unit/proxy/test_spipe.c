/*
 * Tests of proxy/spipe.c, the guarded stream pipeline: for every API and
 * both modes, the client bytes are the same whatever way the upstream
 * splits its bytes (at every byte, byte by byte, seeded random cuts, one
 * piece) and its text into events (the mock's words, one character per
 * event, 5-byte deltas cut inside words); values masked and words blocked
 * across boundaries, multi-byte UTF-8, cuts inside the SSE and event-stream
 * framing. Plus the ends: blocked (message, stop reason, trace), faults
 * (cut, malformed, CRC, limits), and what text is held back.
 */
#include "tests/unit/proxy/units.h"
#include "proxy/evstream.c"
#include "proxy/mock_api.c"
#include "proxy/spipe.c"
#include "proxy/sse.c"
#include "proxy/stream_api.c"
#include "policies/apply.h"
#include "policies/guardrail.h"
#include "tests/unit/proxy/split.h"

#include "tests/unit/failmalloc.h"

static struct bw_worker w;
static struct bw_guardrail *demo, *strict; /* strict: no ANONYMIZE, for asynchronous mode */

static void setup(void)
{
    struct bw_errs errs;

    bw_errs_init(&errs, NULL);
    if (bw_worker_init(&w) != 0 || bw_guardrail_load("conf/guardrails/demo.json", "demo", "DRAFT", &demo, &errs) != 0 ||
        bw_guardrail_streaming(demo, &errs) != 0 ||
        bw_guardrail_load("tests/data/proxy/stream/strict.json", "strict", "DRAFT", &strict, &errs) != 0 ||
        bw_guardrail_streaming(strict, &errs) != 0) {
        bw_errs_print(&errs, stderr);
        abort();
    }
    bw_errs_free(&errs);
}

static void teardown(void)
{
    bw_guardrail_unref(demo);
    bw_guardrail_unref(strict);
    bw_worker_free(&w);
}

/* One API: where its requests go and how a request asks for a reply. */
struct api_case {
    int api;
    const char *path;
    const char *fmt; /* %s: the JSON-escaped prompt */
};

static const struct api_case apis[] = {
    {BW_API_OPENAI_CHAT, "/v1/chat/completions",
     "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}"},
    {BW_API_OPENAI_COMPLETIONS, "/v1/completions", "{\"model\":\"gpt-3.5\",\"stream\":true,\"prompt\":\"%s\"}"},
    {BW_API_OPENAI_RESPONSES, "/v1/responses", "{\"model\":\"gpt-4o\",\"stream\":true,\"input\":\"%s\"}"},
    {BW_API_ANTHROPIC, "/v1/messages",
     "{\"model\":\"claude\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}"},
    {BW_API_BEDROCK_CONVERSE, "/model/anthropic.claude-3/converse-stream",
     "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"%s\"}]}]}"},
    {BW_API_BEDROCK_INVOKE, "/model/anthropic.claude-3-haiku/invoke-with-response-stream",
     "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\","
     "\"content\":\"%s\"}]}"},
    {BW_API_BEDROCK_INVOKE, "/model/amazon.titan-text-express-v1/invoke-with-response-stream",
     "{\"inputText\":\"%s\"}"},
};

/* A request of api case a for prompt, parsed: rq lives in ar. */
struct req {
    struct bw_arena ar;
    struct bw_areq rq;
    char body[2048];
    const struct api_case *a;
};

static void req_init(struct req *r, const struct api_case *a, const char *prompt, int trace)
{
    char err[256];

    bw_arena_init(&r->ar, 0);
    r->a = a;
    snprintf(r->body, sizeof(r->body), a->fmt, prompt);
    CU_ASSERT_EQUAL_FATAL(bw_adapter_parse_request(a->api, a->path, NULL, NULL, 0, r->body, strlen(r->body), &r->ar,
                                                   &r->rq, err, sizeof(err)),
                          0);
    r->rq.trace = trace;
}

static void req_free(struct req *r)
{
    bw_areq_free(&r->rq);
    bw_arena_free(&r->ar);
}

/* The mock's upstream stream for r, its deltas split every `split` bytes (0: by words). */
static char *upstream(const struct req *r, unsigned split, size_t *len)
{
    struct bw_mock_stream s;
    struct bw_mock_opts o;
    char *p;

    memset(&o, 0, sizeof(o));
    o.split = split;
    bw_mock_stream_init(&s);
    CU_ASSERT_EQUAL(bw_mock_stream(r->a->api, r->a->path, &o, r->body, strlen(r->body), &s), 0);
    p = malloc(s.buf.len + 1);
    memcpy(p, s.buf.base ? s.buf.base : "", s.buf.len);
    *len = s.buf.len;
    bw_mock_stream_free(&s);
    return p;
}

struct run_ud {
    const struct bw_areq *rq;
    const struct bw_guardrail *g;
    int mode;
    size_t max_text;
};

static void fixed_trace(void *ud, struct bw_spipe *p)
{
    struct bw_trace tr;

    (void)ud;
    memset(&tr, 0, sizeof(tr));
    tr.gr_id = "demo";
    tr.intervened = tr.out_intervened = p->state == BW_SPIPE_BLOCKED || (p->sg && bw_sguard_masked(p->sg));
    tr.action_reason = p->state == BW_SPIPE_BLOCKED ? "Guardrail blocked." : tr.intervened ? "Guardrail masked." : NULL;
    tr.output_json = "{\"x\":1}";
    bw_senc_set_trace(&p->enc, &tr);
}

static void pipe_opts(struct bw_spipe_opts *o, const struct run_ud *u)
{
    memset(o, 0, sizeof(*o));
    o->rq = u->rq;
    o->mode = u->mode;
    o->span = u->g->sspan;
    o->cls = u->g->scls;
    o->conf = u->g->conf;
    o->w = &w;
    o->max_text = u->max_text;
    o->blocked_msg = bw_guardrail_blocked_message(u->g, BW_DIR_OUTPUT);
    o->on_end = fixed_trace;
}

/* bw_split_run: the client bytes and the end state for one split of the upstream. */
static void run(void *ud, const char *p, size_t n, const size_t *cuts, size_t ncuts, struct bw_buf *out)
{
    struct run_ud *u = ud;
    struct bw_spipe_opts o;
    struct bw_spipe sp;
    int rv = 0;

    pipe_opts(&o, u);
    CU_ASSERT_EQUAL_FATAL(bw_spipe_init(&sp, &o), 0);
    BW_SPLIT_FOREACH(p, n, cuts, ncuts, piece, plen, {
        rv = bw_spipe_feed(&sp, piece, plen);
        bw_buf_add(out, sp.out.base ? sp.out.base : "", sp.out.len);
        bw_buf_reset(&sp.out);
    });
    rv = bw_spipe_end(&sp);
    bw_buf_add(out, sp.out.base ? sp.out.base : "", sp.out.len);
    bw_buf_printf(out, "\n#state=%d rv=%d\n", sp.state, rv);
    bw_spipe_free(&sp);
}

/* The texts the client sees, decoded back, joined; and the stop reason. */
struct cap {
    struct bw_buf *t;
    char *stop;
    size_t sl;
};

static int cap_ev(void *ud, const struct bw_sev *ev)
{
    struct cap *c = ud;

    if (ev->kind == BW_SEV_TEXT)
        bw_buf_add(c->t, ev->text.base, ev->text.len);
    if (ev->kind == BW_SEV_STOP)
        snprintf(c->stop, c->sl, "%.*s", (int)ev->text.len, ev->text.base);
    return 0;
}

static void client_text(const struct bw_areq *rq, const struct bw_buf *wire, struct bw_buf *text, char *stop,
                        size_t stoplen)
{
    struct bw_sdec d;
    struct cap c = {text, stop, stoplen};
    size_t end = wire->len;
    const char *mark = wire->base ? memmem(wire->base, wire->len, "\n#state=", 8) : NULL;

    if (mark)
        end = (size_t)(mark - wire->base);
    stop[0] = '\0';
    CU_ASSERT_EQUAL_FATAL(bw_sdec_init(&d, rq), 0);
    bw_sdec_feed(&d, wire->base ? wire->base : "", end, cap_ev, &c);
    bw_sdec_finish(&d, cap_ev, &c);
    bw_sdec_free(&d);
}

/*
 * Runs prompt through every API: each upstream framing (words, one
 * character per event, 5 bytes per event) split every way must give the
 * same client bytes; the client's text must be want and its stop reason
 * stop ("" for the API's own).
 */
static void invariant(const struct bw_guardrail *g, int mode, const char *prompt, const char *want,
                      int want_state, unsigned nrandom)
{
    static const unsigned splits[] = {0, 1, 5};
    size_t i, k;

    for (i = 0; i < BW_NELEMS(apis); i++) {
        struct req r;
        struct run_ud u;
        struct bw_buf first, whole, text;
        char stop[64], tag[64];

        req_init(&r, &apis[i], prompt, BW_TRACE_ON);
        u.rq = &r.rq;
        u.g = g;
        u.mode = mode;
        u.max_text = 0;
        bw_buf_init(&first, 0);
        bw_buf_init(&whole, 0);
        bw_buf_init(&text, 0);
        snprintf(tag, sizeof(tag), "%s %s", bw_api_name(apis[i].api), apis[i].path);
        for (k = 0; k < BW_NELEMS(splits); k++) {
            size_t n, bad;
            char *up = upstream(&r, splits[k], &n);

            if (k == 0) {
                bad = bw_split_check(run, &u, up, n, nrandom, &whole);
            } else {
                /* re-framed events: in one piece and byte by byte (every cut was checked above) */
                size_t *cuts = malloc(n * sizeof(*cuts)), j;
                struct bw_buf bb;
                for (j = 1; j < n; j++)
                    cuts[j - 1] = j;
                bw_buf_init(&bb, 0);
                bw_buf_reset(&whole);
                run(&u, up, n, NULL, 0, &whole);
                run(&u, up, n, cuts, n - 1, &bb);
                bad = bb.len != whole.len || memcmp(bb.base, whole.base, bb.len) != 0;
                bw_buf_free(&bb);
                free(cuts);
            }
            CU_ASSERT_EQUAL(bad, 0);
            if (bad)
                fprintf(stderr, "%s split %u: %zu runs differ\n", tag, splits[k], bad);
            if (k == 0) {
                bw_buf_add(&first, whole.base, whole.len);
            } else if (whole.len != first.len || memcmp(whole.base, first.base, whole.len) != 0) {
                CU_FAIL("re-framed upstream events give other client bytes");
                fprintf(stderr, "%s: split %u differs from words:\n--- words\n%.*s\n--- split\n%.*s\n", tag,
                        splits[k], (int)first.len, first.base, (int)whole.len, whole.base);
            }
            free(up);
        }
        bw_buf_reset(&text);
        client_text(&r.rq, &first, &text, stop, sizeof(stop));
        bw_buf_addc(&text, '\0');
        if (strcmp(text.base, want) != 0) {
            CU_FAIL("client text");
            fprintf(stderr, "%s: client text\n  got  %s\n  want %s\n%.*s\n", tag, text.base, want, (int)first.len,
                    first.base);
        }
        {
            char st[32];
            snprintf(st, sizeof(st), "#state=%d ", want_state);
            CU_ASSERT_PTR_NOT_NULL(memmem(first.base, first.len, st, strlen(st)));
            if (want_state == BW_SPIPE_BLOCKED && apis[i].api != BW_API_OPENAI_RESPONSES &&
                !(apis[i].api == BW_API_BEDROCK_INVOKE && r.rq.native == BW_NAT_TITAN)) {
                CU_ASSERT(strcmp(stop, "content_filter") == 0 || strcmp(stop, "guardrail_intervened") == 0);
                if (!(strcmp(stop, "content_filter") == 0 || strcmp(stop, "guardrail_intervened") == 0))
                    fprintf(stderr, "%s: stop %s\n", tag, stop);
            }
        }
        bw_buf_free(&first);
        bw_buf_free(&whole);
        bw_buf_free(&text);
        req_free(&r);
    }
}

static void test_spipe_pass_unchanged(void)
{
    invariant(demo, BW_STREAM_SYNC, "REPLY: Hello there. The weather is fine today, see you!",
              "Hello there. The weather is fine today, see you!", BW_SPIPE_DONE, 20);
}

static void test_spipe_mask_across_events(void)
{
    invariant(demo, BW_STREAM_SYNC,
              "REPLY: Write to jane.doe@example.com or pay with 4111 1111 1111 1111 today.",
              "Write to {EMAIL} or pay with {CREDIT_DEBIT_CARD_NUMBER} today.", BW_SPIPE_DONE, 20);
}

static void test_spipe_utf8_mask(void)
{
    invariant(demo, BW_STREAM_SYNC, "REPLY: Caf\\u00e9 cr\\u00e8me \\u2014 na\\u00efve: jose@example.org \\ud83d\\ude00 ok.",
              "Caf\xc3\xa9 cr\xc3\xa8me \xe2\x80\x94 na\xc3\xafve: {EMAIL} \xf0\x9f\x98\x80 ok.", BW_SPIPE_DONE, 20);
}

static void test_spipe_block_mid_stream(void)
{
    /* the listed phrase straddles events in every framing; nothing of it may reach the client */
    invariant(demo, BW_STREAM_SYNC, "REPLY: Sure. The code name is project nightingale and more words follow here.",
              "Sure. Sorry, I can't provide that information.", BW_SPIPE_BLOCKED, 20);
}

static void test_spipe_async_cut(void)
{
    invariant(strict, BW_STREAM_ASYNC, "REPLY: Sure. The code name is project nightingale and more words follow.",
              "Sure. The code name is project Sorry, I can't provide that information.", BW_SPIPE_BLOCKED, 10);
    invariant(strict, BW_STREAM_ASYNC, "REPLY: Nothing to see here, all fine.", "Nothing to see here, all fine.",
              BW_SPIPE_DONE, 10);
}

/* Feeds a whole upstream and returns the pipeline's client bytes and state. */
static int one_run(const struct req *r, const struct bw_guardrail *g, int mode, size_t max_text, const char *up,
                   size_t n, int end, struct bw_buf *out)
{
    struct run_ud u = {&r->rq, g, mode, max_text};
    struct bw_spipe_opts o;
    struct bw_spipe sp;
    int state;

    pipe_opts(&o, &u);
    CU_ASSERT_EQUAL_FATAL(bw_spipe_init(&sp, &o), 0);
    bw_spipe_feed(&sp, up, n);
    if (end)
        bw_spipe_end(&sp);
    bw_buf_add(out, sp.out.base ? sp.out.base : "", sp.out.len);
    bw_buf_addc(out, '\0');
    out->len--;
    state = sp.state;
    bw_spipe_free(&sp);
    return state;
}

static void test_spipe_faults(void)
{
    size_t i;

    for (i = 0; i < BW_NELEMS(apis); i++) {
        struct req r;
        struct bw_buf out;
        size_t n;
        char *up;
        int evs = bw_api_stream_is_evs(apis[i].api);

        req_init(&r, &apis[i], "REPLY: one two three four five six seven", BW_TRACE_OFF);
        up = upstream(&r, 0, &n);
        bw_buf_init(&out, 0);
        /* cut mid-event: the API's error, nothing held released */
        CU_ASSERT_EQUAL(one_run(&r, demo, BW_STREAM_SYNC, 0, up, n / 2 + 3, 1, &out), BW_SPIPE_FAILED);
        CU_ASSERT(out.len > 0);
        CU_ASSERT_PTR_NULL(memmem(out.base, out.len, "seven", 5));
        bw_buf_reset(&out);
        /* malformed: garbage where an event should be */
        {
            char *bad = malloc(n + 64);
            size_t h = n / 3;
            memcpy(bad, up, h);
            memcpy(bad + h, evs ? "\x00\x00\x00\x08\x00\x00\x00\x00garbage!" : "data: {not json\n\n", evs ? 16 : 17);
            CU_ASSERT_EQUAL(one_run(&r, demo, BW_STREAM_SYNC, 0, bad, h + (evs ? 16 : 17), 1, &out),
                            BW_SPIPE_FAILED);
            bw_buf_reset(&out);
            if (evs) {
                /* CRC mismatch: a payload byte flipped in the second message */
                memcpy(bad, up, n);
                uint32_t tl = ((uint32_t)(unsigned char)up[0] << 24) | ((uint32_t)(unsigned char)up[1] << 16) |
                              ((uint32_t)(unsigned char)up[2] << 8) | (unsigned char)up[3];
                bad[tl + 20] ^= 0x20;
                CU_ASSERT_EQUAL(one_run(&r, demo, BW_STREAM_SYNC, 0, bad, n, 1, &out), BW_SPIPE_FAILED);
                CU_ASSERT_PTR_NOT_NULL(memmem(out.base, out.len, ":message-type", 13));
                bw_buf_reset(&out);
            }
            free(bad);
        }
        /* longer than allowed */
        CU_ASSERT_EQUAL(one_run(&r, demo, BW_STREAM_SYNC, 10, up, n, 1, &out), BW_SPIPE_FAILED);
        CU_ASSERT_PTR_NULL(memmem(out.base, out.len, "three", 5));
        bw_buf_reset(&out);
        /* the whole answer passes */
        CU_ASSERT_EQUAL(one_run(&r, demo, BW_STREAM_SYNC, 0, up, n, 1, &out), BW_SPIPE_DONE);
        bw_buf_free(&out);
        free(up);
        req_free(&r);
    }
}

/* What the guard holds while the answer streams: the release is word by word. */
static void test_spipe_hold_is_short(void)
{
    struct req r;
    struct run_ud u;
    struct bw_spipe_opts o;
    struct bw_spipe sp;
    size_t n, i;
    char *up;
    struct bw_buf text;
    char stop[32];

    req_init(&r, &apis[0], "REPLY: Hello there. Yesterday Maria went to the market with Thomas and bought bread.",
             BW_TRACE_OFF);
    up = upstream(&r, 0, &n);
    u.rq = &r.rq;
    u.g = strict;
    u.mode = BW_STREAM_SYNC;
    u.max_text = 0;
    pipe_opts(&o, &u);
    CU_ASSERT_EQUAL_FATAL(bw_spipe_init(&sp, &o), 0);
    /*
     * Feed event by event (SSE events end with a blank line). What is held
     * is the last word (it may still grow) and before it only a run of
     * capitalised words (a name may still grow): never a lower-case word
     * that is complete.
     */
    for (i = 0; i < n;) {
        const char *e = memmem(up + i, n - i, "\n\n", 2);
        size_t m = e ? (size_t)(e - (up + i)) + 2 : n - i, fed = 0, rel = 0, j, last;
        struct bw_iov t;
        int ok = 1;

        bw_spipe_feed(&sp, up + i, m);
        i += m;
        if (sp.sg == NULL || bw_sguard_nchannels(sp.sg) == 0)
            continue;
        bw_sguard_pos(sp.sg, 0, &fed, &rel);
        t = bw_sguard_text(sp.sg, 0);
        for (last = fed; last > rel && t.base[last - 1] != ' '; last--)
            ;
        for (j = rel; j < last; j++)
            if ((j == rel || t.base[j - 1] == ' ') && t.base[j] != ' ' && !(t.base[j] >= 'A' && t.base[j] <= 'Z'))
                ok = 0;
        CU_ASSERT(ok);
        if (!ok)
            fprintf(stderr, "held \"%.*s\"\n", (int)(fed - rel), t.base + rel);
    }
    bw_spipe_end(&sp);
    bw_buf_init(&text, 0);
    {
        struct bw_buf wire = sp.out;
        client_text(&r.rq, &wire, &text, stop, sizeof(stop));
    }
    bw_buf_addc(&text, '\0');
    CU_ASSERT_STRING_EQUAL(text.base, "Hello there. Yesterday Maria went to the market with Thomas and bought bread.");
    bw_buf_free(&text);
    bw_spipe_free(&sp);
    free(up);
    req_free(&r);
}

/* Grounding on streams: scored at sentence ends (GROUNDING blocks there) and at the end (RELEVANCE). */
static int ground_run(const char *answer, const char *query, struct bw_buf *text)
{
    static const char src[] = "The Eiffel Tower is in Paris. It was completed in 1889 for the World's Fair.";
    struct bw_guardrail *g;
    struct bw_errs errs;
    struct req r;
    struct bw_spipe_opts o;
    struct bw_spipe sp;
    struct run_ud u;
    size_t n;
    char *up, stop[32], prompt[512];
    int state;

    bw_errs_init(&errs, NULL);
    CU_ASSERT_EQUAL_FATAL(bw_guardrail_load("tests/data/proxy/stream/grounding.json", "g", "DRAFT", &g, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_guardrail_streaming(g, &errs), 0);
    bw_errs_free(&errs);
    snprintf(prompt, sizeof(prompt), "REPLY: %s", answer);
    req_init(&r, &apis[0], prompt, BW_TRACE_OFF);
    up = upstream(&r, 3, &n);
    u.rq = &r.rq;
    u.g = g;
    u.mode = BW_STREAM_SYNC;
    u.max_text = 0;
    pipe_opts(&o, &u);
    o.source = src;
    o.source_len = strlen(src);
    o.query = query;
    o.query_len = strlen(query);
    CU_ASSERT_EQUAL_FATAL(bw_spipe_init(&sp, &o), 0);
    bw_spipe_feed(&sp, up, n);
    bw_spipe_end(&sp);
    client_text(&r.rq, &sp.out, text, stop, sizeof(stop));
    bw_buf_addc(text, '\0');
    state = sp.state;
    bw_spipe_free(&sp);
    free(up);
    req_free(&r);
    bw_guardrail_unref(g);
    return state;
}

static void test_spipe_grounding(void)
{
    struct bw_buf t;

    bw_buf_init(&t, 0);
    CU_ASSERT_EQUAL(ground_run("The Eiffel Tower was completed in 1889. It is in Paris.",
                               "When was the Eiffel Tower completed?", &t),
                    BW_SPIPE_DONE);
    CU_ASSERT_STRING_EQUAL(t.base, "The Eiffel Tower was completed in 1889. It is in Paris.");
    /* an unsupported date and name in the first sentence: blocked before that sentence goes out */
    bw_buf_reset(&t);
    CU_ASSERT_EQUAL(ground_run("It was completed in 1925 by Gustave Martin and Bob Jones. It is in Paris.",
                               "When was the Eiffel Tower completed?", &t),
                    BW_SPIPE_BLOCKED);
    CU_ASSERT_STRING_EQUAL(t.base, "Not grounded.");
    /* irrelevant: decided at the end only, after the text went out (as Bedrock) */
    bw_buf_reset(&t);
    CU_ASSERT_EQUAL(ground_run("The Eiffel Tower is in Paris. The Eiffel Tower is in Paris.",
                               "What is the best pasta recipe with tomatoes and basil?", &t),
                    BW_SPIPE_BLOCKED);
    CU_ASSERT_STRING_EQUAL(t.base, "The Eiffel Tower is in Paris. Not grounded.");
    bw_buf_free(&t);
}

/*
 * The recorded fixtures (tool-call arguments, upstream error events, other
 * InvokeModel bodies) through the pipeline: split-invariant in both modes,
 * and the e-mail in tool-call arguments masked in synchronous mode.
 */
static void test_spipe_fixtures(void)
{
    static const struct {
        const char *file;
        int api, native;
    } fx[] = {
        {"openai_chat.sse", BW_API_OPENAI_CHAT, 0},
        {"openai_chat_tools.sse", BW_API_OPENAI_CHAT, 0},
        {"openai_completions.sse", BW_API_OPENAI_COMPLETIONS, 0},
        {"openai_responses.sse", BW_API_OPENAI_RESPONSES, 0},
        {"anthropic.sse", BW_API_ANTHROPIC, 0},
        {"converse.evs", BW_API_BEDROCK_CONVERSE, 0},
        {"converse_error.evs", BW_API_BEDROCK_CONVERSE, 0},
        {"invoke_anthropic.evs", BW_API_BEDROCK_INVOKE, BW_NAT_ANTHROPIC},
        {"invoke_titan.evs", BW_API_BEDROCK_INVOKE, BW_NAT_TITAN},
        {"invoke_llama.evs", BW_API_BEDROCK_INVOKE, BW_NAT_LLAMA},
    };
    size_t i, n = 0;
    int mode;

    for (i = 0; i < BW_NELEMS(fx); i++) {
        char path[256], *p;
        struct bw_areq rq;
        struct run_ud u;
        struct bw_buf whole;

        snprintf(path, sizeof(path), "tests/data/proxy/stream/%s", fx[i].file);
        p = bw_test_slurp(path, &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        memset(&rq, 0, sizeof(rq));
        rq.api = fx[i].api;
        rq.native = fx[i].native;
        rq.model = "m";
        rq.stream = 1;
        rq.nchoices = 1;
        for (mode = 0; mode < 2; mode++) {
            size_t bad;
            u.rq = &rq;
            u.g = mode ? strict : demo;
            u.mode = mode ? BW_STREAM_ASYNC : BW_STREAM_SYNC;
            u.max_text = 0;
            bw_buf_init(&whole, 0);
            bad = bw_split_check(run, &u, p, n, 20, &whole);
            CU_ASSERT_EQUAL(bad, 0);
            if (bad)
                fprintf(stderr, "%s mode %d: %zu runs differ\n", fx[i].file, mode, bad);
            if (mode == 0 && strcmp(fx[i].file, "openai_chat_tools.sse") == 0) {
                CU_ASSERT_PTR_NULL(memmem(whole.base, whole.len, "bob@example.com", 15));
                CU_ASSERT_PTR_NOT_NULL(memmem(whole.base, whole.len, "{EMAIL}", 7));
            }
            bw_buf_free(&whole);
        }
        free(p);
    }
}

/* One byte per event: a character split between two deltas (raw bytes in the JSON strings) and a mask across them. */
static void test_spipe_byte_per_event(void)
{
    static const char text[] = "Caf\xc3\xa9 \xf0\x9f\x98\x80 mail jane@example.org now.";
    struct bw_buf up, whole;
    struct bw_areq rq;
    struct run_ud u;
    size_t i, bad;

    bw_buf_init(&up, 0);
    bw_buf_init(&whole, 0);
    for (i = 0; text[i]; i++) {
        bw_buf_adds(&up, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                         "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
        bw_buf_addc(&up, text[i]);
        bw_buf_adds(&up, "\"},\"finish_reason\":null}]}\n\n");
    }
    bw_buf_adds(&up, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                     "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    memset(&rq, 0, sizeof(rq));
    rq.api = BW_API_OPENAI_CHAT;
    rq.model = "m";
    rq.stream = 1;
    rq.nchoices = 1;
    u.rq = &rq;
    u.g = demo;
    u.mode = BW_STREAM_SYNC;
    u.max_text = 0;
    bad = bw_split_check(run, &u, up.base, up.len, 10, &whole);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_PTR_NOT_NULL(memmem(whole.base, whole.len, "#state=1 ", 9));
    {
        struct bw_buf t;
        char stop[32];
        bw_buf_init(&t, 0);
        client_text(&rq, &whole, &t, stop, sizeof(stop));
        bw_buf_addc(&t, '\0');
        CU_ASSERT_STRING_EQUAL(t.base, "Caf\xc3\xa9 \xf0\x9f\x98\x80 mail {EMAIL} now.");
        bw_buf_free(&t);
    }
    bw_buf_free(&up);
    bw_buf_free(&whole);
}

/* A guardrail with no policy on answers: no guard, the events re-encoded as they came, the trace added. */
static void test_spipe_no_output_policies(void)
{
    struct bw_guardrail *g;
    struct bw_errs errs;
    struct req r;
    struct run_ud u;
    struct bw_buf whole, t;
    size_t n, i;
    char *up, stop[32];

    bw_errs_init(&errs, NULL);
    CU_ASSERT_EQUAL_FATAL(bw_guardrail_load("tests/data/proxy/stream/input_only.json", "io", "DRAFT", &g, &errs), 0);
    CU_ASSERT_EQUAL_FATAL(bw_guardrail_streaming(g, &errs), 0);
    bw_errs_free(&errs);
    CU_ASSERT(g->sspan == NULL && g->scls == NULL);
    for (i = 0; i < BW_NELEMS(apis); i++) {
        req_init(&r, &apis[i], "REPLY: Mail jane@example.com now.", BW_TRACE_ON);
        up = upstream(&r, 3, &n);
        u.rq = &r.rq;
        u.g = g;
        u.mode = BW_STREAM_SYNC;
        u.max_text = 0;
        bw_buf_init(&whole, 0);
        bw_buf_init(&t, 0);
        CU_ASSERT_EQUAL(bw_split_check(run, &u, up, n, 5, &whole), 0);
        CU_ASSERT_PTR_NOT_NULL(memmem(whole.base, whole.len, "#state=1 ", 9));
        client_text(&r.rq, &whole, &t, stop, sizeof(stop));
        bw_buf_addc(&t, '\0');
        CU_ASSERT_STRING_EQUAL(t.base, "Mail jane@example.com now.");
        bw_buf_free(&whole);
        bw_buf_free(&t);
        free(up);
        req_free(&r);
    }
    bw_guardrail_unref(g);
}

#if FAILMALLOC
static const char *const fm_answers[] = {"REPLY: Mail jane.doe@example.com now. Thanks.",
                                         "REPLY: Sure. The code is project nightingale. Bye."};

/* One API (apis[api]), one answer, one mode, each allocation failed in turn. */
static void alloc_case(size_t api, size_t a, int mode)
{
    struct req r;
    struct run_ud u = {NULL, mode ? strict : demo, mode ? BW_STREAM_ASYNC : BW_STREAM_SYNC, 0};
    struct bw_buf ref, got, rt, gt;
    char rstop[32], gstop[32];
    size_t n, i;
    long turn, before;
    char *up;

    req_init(&r, &apis[api], fm_answers[a], BW_TRACE_ON);
    up = upstream(&r, 3, &n);
    u.rq = &r.rq;
    bw_buf_init(&ref, 0);
    bw_buf_init(&rt, 0);
    run(&u, up, n, NULL, 0, &ref);
    client_text(&r.rq, &ref, &rt, rstop, sizeof(rstop));
    for (turn = 0;; turn++) {
        struct bw_spipe_opts o;
        struct bw_spipe sp;
        int rv, state = BW_SPIPE_FAILED;
        size_t pieces[64], np = 0;

        for (i = 0; i < n && np < BW_NELEMS(pieces) - 1; i += n / 40 + 1)
            pieces[np++] = i;
        pieces[np] = n;
        pipe_opts(&o, &u);
        before = fm_live;
        fm_failed = 0;
        bw_buf_init(&got, 0);
        fm_countdown = turn;
        rv = bw_spipe_init(&sp, &o);
        if (rv == 0) {
            for (i = 0; i < np; i++)
                bw_spipe_feed(&sp, up + pieces[i], pieces[i + 1] - pieces[i]);
            bw_spipe_end(&sp);
        }
        fm_countdown = -1;
        if (rv == 0) {
            state = sp.state;
            bw_buf_add(&got, sp.out.base ? sp.out.base : "", sp.out.len);
            bw_spipe_free(&sp);
        } else {
            CU_ASSERT_EQUAL(rv, BW_ENOMEM);
        }
        CU_ASSERT_EQUAL(fm_live, before + (got.base != NULL));
        if (fm_live != before + (got.base != NULL))
            fprintf(stderr, "leak: %s answer %zu turn %ld: %ld\n", apis[api].path, a, turn,
                    fm_live - before - (got.base != NULL));
        /* fail closed: never the unmasked value, never the blocked phrase */
        CU_ASSERT(got.base == NULL || !memmem(got.base, got.len, "jane.doe", 8));
        CU_ASSERT(got.base == NULL || !memmem(got.base, got.len, "nightingale", 11));
        if (state != BW_SPIPE_FAILED) {
            bw_buf_init(&gt, 0);
            client_text(&r.rq, &got, &gt, gstop, sizeof(gstop));
            CU_ASSERT(gt.len == rt.len && memcmp(gt.base, rt.base, gt.len) == 0);
            CU_ASSERT_STRING_EQUAL(gstop, rstop);
            if (strcmp(gstop, rstop) != 0 || gt.len != rt.len)
                fprintf(stderr, "%s answer %zu turn %ld state %d: %.*s [%s] want %.*s [%s]\n", apis[api].path, a,
                        turn, state, (int)gt.len, gt.base, gstop, (int)rt.len, rt.base, rstop);
            bw_buf_free(&gt);
        }
        bw_buf_free(&got);
        if (fm_failed == 0)
            break;
    }
    CU_ASSERT(turn > 10);
    bw_buf_free(&ref);
    bw_buf_free(&rt);
    free(up);
    req_free(&r);
}
#endif

/*
 * Fails each allocation of a stream in turn (masks, a block, the trace),
 * for every API, synchronous (masks and a block) and asynchronous (a
 * block): the pipeline ends as it should (the same text and stop) or with
 * an error (FAILED), never with the unmasked value or the blocked phrase,
 * never a crash or a leak.
 */
static void test_spipe_alloc_failure(void)
{
#if FAILMALLOC
    size_t api, a;

    for (api = 0; api < BW_NELEMS(apis); api++)
        for (a = 0; a < BW_NELEMS(fm_answers); a++) {
            alloc_case(api, a, 0);
            if (a == 1)
                alloc_case(api, a, 1);
        }
#endif
}

static const struct bw_test tests[] = {
    {"test_spipe_alloc_failure", test_spipe_alloc_failure},
    {"test_spipe_no_output_policies", test_spipe_no_output_policies},
    {"test_spipe_byte_per_event", test_spipe_byte_per_event},
    {"test_spipe_fixtures", test_spipe_fixtures},
    {"test_spipe_grounding", test_spipe_grounding},
    {"test_spipe_pass_unchanged", test_spipe_pass_unchanged},
    {"test_spipe_mask_across_events", test_spipe_mask_across_events},
    {"test_spipe_utf8_mask", test_spipe_utf8_mask},
    {"test_spipe_block_mid_stream", test_spipe_block_mid_stream},
    {"test_spipe_async_cut", test_spipe_async_cut},
    {"test_spipe_faults", test_spipe_faults},
    {"test_spipe_hold_is_short", test_spipe_hold_is_short},
};

#define main bw_test_main_
BW_TEST_MAIN("spipe", tests)
#undef main

int main(void)
{
    int rv;

    setup();
    rv = bw_test_main_();
    teardown();
    return rv;
}
