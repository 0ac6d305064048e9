/*
 * log.c: JSON-lines logging with stable per-sink descriptors and
 * per-thread buffering of access and audit lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/msg.h"

/* a thread's pending access/audit lines; flushed well before this */
#define TL_FLUSH_AT (32u * 1024)
#define TL_MAX (1024u * 1024)

static int sink_fd[BW_SINK__N] = {-1, -1, -1};
static atomic_int sink_off[BW_SINK__N];
static atomic_int level = BW_LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const sink_types[] = {"log", "access", "audit"};

struct tl {
    struct bw_buf b[BW_SINK__N];
    int init;
};
static _Thread_local struct tl tl;

int bw_px_log_init(void)
{
    int i;

    for (i = 0; i < BW_SINK__N; i++) {
        if (sink_fd[i] >= 0)
            continue;
        if ((sink_fd[i] = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1)
            return BW_EIO;
        atomic_store(&sink_off[i], 0);
    }
    return BW_OK;
}

int bw_px_log_open(int sink, const char *target)
{
    int fd, rv = BW_OK;

    if (sink < 0 || sink >= BW_SINK__N || sink_fd[sink] < 0)
        return BW_EINVAL;
    if (strcmp(target, "off") == 0) {
        atomic_store(&sink_off[sink], 1);
        return BW_OK;
    }
    if (strcmp(target, "stderr") == 0)
        fd = 2;
    else if (strcmp(target, "stdout") == 0)
        fd = 1;
    else if ((fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) == -1)
        return BW_EIO;
    /* dup2 replaces the descriptor atomically: writers never see it closed */
    if (dup3(fd, sink_fd[sink], O_CLOEXEC) == -1)
        rv = BW_EIO;
    else
        atomic_store(&sink_off[sink], 0);
    if (fd > 2)
        close(fd);
    return rv;
}

void bw_px_log_set_level(int lvl)
{
    atomic_store(&level, lvl);
}

int bw_px_log_level(void)
{
    return atomic_load_explicit(&level, memory_order_relaxed);
}

int bw_px_log_level_from_name(const char *name)
{
    size_t i;

    for (i = 0; i < BW_NELEMS(level_names); i++)
        if (strcmp(name, level_names[i]) == 0)
            return (int)i;
    return -1;
}

static void put_ts(struct bw_buf *b)
{
    /* the second's text is formatted once per second per thread; the milliseconds by hand */
    static _Thread_local time_t last = -1;
    static _Thread_local char s[32];
    static _Thread_local size_t sl;
    struct timespec ts;
    struct tm tm;
    char ms[4];
    long m;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last) {
        gmtime_r(&ts.tv_sec, &tm);
        sl = strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
        last = ts.tv_sec;
    }
    m = ts.tv_nsec / 1000000;
    ms[0] = (char)('0' + m / 100);
    ms[1] = (char)('0' + m / 10 % 10);
    ms[2] = (char)('0' + m % 10);
    bw_buf_add(b, "{\"ts\":\"", 7);
    bw_buf_add(b, s, sl);
    bw_buf_addc(b, '.');
    bw_buf_add(b, ms, 3);
    bw_buf_add(b, "Z\"", 2);
}

static void put_key(struct bw_buf *b, const char *key)
{
    bw_buf_add(b, ",\"", 2);
    bw_buf_adds(b, key);
    bw_buf_add(b, "\":", 2);
}

int bw_px_json_ki(struct bw_buf *b, const char *key, long long v)
{
    char num[24];
    size_t n = 0;

    put_key(b, key);
    if (v < 0) {
        num[n++] = '-';
        n += bw_px_fmt_u64(num + n, (uint64_t)0 - (uint64_t)v);
    } else
        n = bw_px_fmt_u64(num, (uint64_t)v);
    return bw_buf_add(b, num, n);
}

int bw_px_json_kfix(struct bw_buf *b, const char *key, uint64_t num, uint64_t den, int decimals)
{
    static const uint64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    char out[48];
    uint64_t scale, scaled, frac;
    size_t n;
    int i;

    if (decimals < 1 || decimals > 6 || den == 0 || num > UINT64_MAX / 1000000)
        return bw_buf_printf(b, ",\"%s\":%.*f", key, decimals, den ? (double)num / (double)den : 0.0);
    scale = p10[decimals];
    scaled = (num * scale + den / 2) / den; /* rounded half up */
    put_key(b, key);
    n = bw_px_fmt_u64(out, scaled / scale);
    out[n++] = '.';
    frac = scaled % scale;
    for (i = decimals - 1; i >= 0; i--, frac /= 10)
        out[n + (size_t)i] = (char)('0' + frac % 10);
    return bw_buf_add(b, out, n + (size_t)decimals);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; /* a log that cannot be written must not stop the proxy */
        }
        p += w;
        n -= (size_t)w;
    }
}

int bw_px_json_kv(struct bw_buf *b, const char *key, const char *val, size_t len)
{
    int rv;

    put_key(b, key);
    if ((rv = bw_buf_addc(b, '"')) != 0)
        return rv;
    if ((rv = bw_buf_json_str(b, val, len)) != 0)
        return rv;
    return bw_buf_addc(b, '"');
}

static void emit(int lvl, const char *msg, size_t msglen, const char *extra)
{
    struct bw_buf b;

    if (atomic_load(&sink_off[BW_SINK_ERROR]))
        return;
    bw_buf_init(&b, 64 * 1024);
    put_ts(&b);
    bw_buf_printf(&b, ",\"level\":\"%s\"", level_names[lvl]);
    bw_px_json_kv(&b, "msg", msg, msglen);
    if (extra && *extra) {
        bw_buf_addc(&b, ',');
        bw_buf_adds(&b, extra);
    }
    bw_buf_adds(&b, "}\n");
    if (b.base)
        write_all(sink_fd[BW_SINK_ERROR] >= 0 ? sink_fd[BW_SINK_ERROR] : 2, b.base, b.len);
    bw_buf_free(&b);
}

void bw_px_log(int lvl, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int n;

    if (lvl > bw_px_log_level())
        return;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n >= 0)
        emit(lvl, msg, strnlen(msg, sizeof(msg)), NULL);
}

void bw_px_logkv(int lvl, const char *msg, const char *extra, ...)
{
    char x[1024];
    va_list ap;
    int n;

    if (lvl > bw_px_log_level())
        return;
    va_start(ap, extra);
    n = vsnprintf(x, sizeof(x), extra, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(x))
        emit(lvl, msg, strlen(msg), x);
    else
        emit(lvl, msg, strlen(msg), NULL);
}

static void flush_sink(int sink)
{
    struct bw_buf *b = &tl.b[sink];

    if (b->len == 0)
        return;
    write_all(sink_fd[sink], b->base, b->len);
    bw_buf_reset(b);
}

struct bw_buf *bw_px_log_begin(int sink)
{
    struct bw_buf *b;
    int i;

    if (atomic_load_explicit(&sink_off[sink], memory_order_relaxed))
        return NULL;
    if (!tl.init) {
        for (i = 0; i < BW_SINK__N; i++)
            bw_buf_init(&tl.b[i], TL_MAX);
        tl.init = 1;
    }
    b = &tl.b[sink];
    if (b->len >= TL_FLUSH_AT)
        flush_sink(sink);
    put_ts(b);
    bw_buf_add(b, ",\"type\":\"", 9);
    bw_buf_adds(b, sink_types[sink]);
    bw_buf_addc(b, '"');
    return b;
}

void bw_px_log_end(int sink, struct bw_buf *b)
{
    if (bw_buf_adds(b, "}\n") != 0) {
        /* a line that did not fit is dropped whole rather than cut */
        bw_buf_reset(b);
        return;
    }
    if (b->len >= TL_FLUSH_AT)
        flush_sink(sink);
}

void bw_px_log_flush(void)
{
    int i;

    if (!tl.init)
        return;
    for (i = 0; i < BW_SINK__N; i++)
        flush_sink(i);
}

void bw_px_log_thread_done(void)
{
    int i;

    if (!tl.init)
        return;
    bw_px_log_flush();
    for (i = 0; i < BW_SINK__N; i++)
        bw_buf_free(&tl.b[i]);
    tl.init = 0;
}
