/*
 * mock_api.h: what bulwark's mock model answers (bulwark mock-llm, demos,
 * tests, benchmarks). Deterministic: the answer is the text after "REPLY:"
 * in the last user message when there is one, else "You said: " and that
 * message. Bodies and streams are what the official SDKs parse (openai,
 * @anthropic-ai/sdk, @aws-sdk/client-bedrock-runtime): ids, object,
 * created, model, usage, stop reasons.
 *
 * Streamed answers come as a list of chunks, one wire event each, so the
 * server can send them with delays: N tokens give N text deltas. The query
 * parameters "tokens" (split the answer into that many deltas; the answer
 * is repeated to reach at least that many words) and "delay_ms" (asked
 * pause between chunks), or the headers X-Mock-Tokens / X-Mock-Delay-Ms,
 * set them for benchmarks; "split" (X-Mock-Split: N) cuts the deltas every N
 * bytes instead of at words, for tests of values split across events. "status=NNN" (or X-Mock-Status) answers that
 * HTTP error in the API's error shape.
 */
#ifndef BW_MOCK_API_H
#define BW_MOCK_API_H

#include "filters/buf.h"
#include "proxy/adapter.h"

/* One streamed answer: chunk i is buf.base[off[i] .. off[i+1]). */
struct bw_mock_stream {
    struct bw_buf buf;
    size_t *off;       /* nchunks + 1 offsets */
    size_t nchunks, cap;
    unsigned delay_ms; /* pause the server should make between chunks */
    int status;
    const char *content_type;
};

/* Settings from the query string and headers (tokens, delay_ms, status). */
struct bw_mock_opts {
    unsigned tokens;   /* 0: one delta per word of the answer */
    unsigned delay_ms;
    int status;        /* 0: 200 */
    unsigned split;    /* "split" / X-Mock-Split: deltas of N bytes (at character boundaries); 0: by words */
};

/* Reads the mock settings from the path's query string and headers h[0..nh). */
void bw_mock_opts_parse(const char *path, const struct bw_hdr *h, size_t nh, struct bw_mock_opts *o);

/*
 * The non-streamed answer to a request of api (enum bw_api; path gives the
 * Bedrock model id and form). Appends the body to out, sets *status and
 * *content_type (static). A request the API would refuse (bad JSON, no
 * messages) gets that API's 400. For a streamed request (stream:true or a
 * Bedrock -stream path) use bw_mock_stream(). Returns 0, BW_ENOMEM,
 * BW_ELIMIT.
 */
int bw_mock_answer(int api, const char *path, const char *body, size_t len, int *status, struct bw_buf *out,
                   const char **content_type);

/* As bw_mock_answer() with settings (o may be NULL). */
int bw_mock_answer_opts(int api, const char *path, const struct bw_mock_opts *o, const char *body, size_t len,
                        int *status, struct bw_buf *out, const char **content_type);

/*
 * The streamed answer: fills s (initialise with bw_mock_stream_init) with
 * the chunks of the API's stream form (SSE events or event-stream
 * messages). A refused request gives one chunk, the error body, with its
 * status. Returns 0, BW_ENOMEM, BW_ELIMIT.
 */
void bw_mock_stream_init(struct bw_mock_stream *s);
void bw_mock_stream_free(struct bw_mock_stream *s);
int bw_mock_stream(int api, const char *path, const struct bw_mock_opts *o, const char *body, size_t len,
                   struct bw_mock_stream *s);

/* Does this request ask for a streamed answer (stream:true, a -stream path)? */
int bw_mock_wants_stream(int api, const char *path, const char *body, size_t len);

#endif
