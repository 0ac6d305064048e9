/*
 * log.h: the proxy's three logs, one JSON object per line:
 *   - the error log (levels error/warn/info/debug), written at once;
 *   - the access log, one line per exchange;
 *   - the audit log, one line per guardrail intervention. Audit lines carry
 *     guardrail, direction, policy, type, action, offsets and lengths, never
 *     the matched text.
 * Access and audit lines are built in a per-thread buffer and written when
 * the thread's loop finishes an iteration (or the buffer fills): one
 * write(2) for many lines, and lines of different threads never interleave
 * inside a line.
 *
 * Each sink writes to a file descriptor that stays the same for the life of
 * the process; reopening (SIGHUP) dup2()s the new file over it, so threads
 * never write to a closed or reused descriptor.
 */
#ifndef BW_PX_LOG_H
#define BW_PX_LOG_H

#include "filters/buf.h"

enum bw_px_level { BW_LOG_ERROR = 0, BW_LOG_WARN, BW_LOG_INFO, BW_LOG_DEBUG };
enum bw_px_sink { BW_SINK_ERROR = 0, BW_SINK_ACCESS, BW_SINK_AUDIT, BW_SINK__N };

/* Sets up the sinks on stderr, level info. Call once before threads start. */
int bw_px_log_init(void);

/*
 * Points a sink at "stderr", "stdout", "off" or a file path (appended,
 * created 0640). Returns 0 or BW_EIO (errno kept); the old target stays on
 * failure.
 */
int bw_px_log_open(int sink, const char *target);
void bw_px_log_set_level(int level);
int bw_px_log_level(void);
/* -1 for an unknown name */
int bw_px_log_level_from_name(const char *name);

/* Writes one error-log line now. msg is escaped. */
void bw_px_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The same with extra fields: extra is a printf format producing
 * `"key":value,...` (already JSON), appended after "msg".
 */
void bw_px_logkv(int level, const char *msg, const char *extra, ...) __attribute__((format(printf, 3, 4)));

#define bw_px_log_on(lvl) ((lvl) <= bw_px_log_level())

/*
 * Starts a buffered line for sink (access or audit): returns the thread's
 * buffer with `{"ts":"...","type":"access"` already written, or NULL when
 * the sink is off. The caller appends `,"k":v` pairs and calls
 * bw_px_log_end().
 */
struct bw_buf *bw_px_log_begin(int sink);
void bw_px_log_end(int sink, struct bw_buf *b);
/* Writes the thread's buffered lines. */
void bw_px_log_flush(void);
/* Frees the thread's buffers (thread exit). */
void bw_px_log_thread_done(void);

/* Appends ,"key":"escaped value" */
int bw_px_json_kv(struct bw_buf *b, const char *key, const char *val, size_t len);
/*
 * Appends ,"key":v: an integer (bw_px_json_ki), or num/den rounded to
 * decimals (1 to 6) places (bw_px_json_kfix: 1234567 ns / 1e6 with 3 is
 * 1.235), the access log's numbers without printf's cost (~46k
 * instructions per access line before).
 */
int bw_px_json_ki(struct bw_buf *b, const char *key, long long v);
int bw_px_json_kfix(struct bw_buf *b, const char *key, uint64_t num, uint64_t den, int decimals);

#endif
