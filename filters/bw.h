/*
 * bw.h: what every part of bulwark shares: return codes, borrowed views,
 * SQLite-style ALWAYS/NEVER checks. Includes nothing of ours; filters/,
 * pii/, policies/ and proxy/ all start here.
 */
#ifndef BW_H
#define BW_H

#include <stddef.h>
#include <stdint.h>

/* 0 is success; failures are negative (nghttp2, libuv). */
enum {
    BW_OK = 0,
    BW_ENOMEM = -1,    /* allocation failed */
    BW_EINVAL = -2,    /* bad argument or bad input */
    BW_ELIMIT = -3,    /* a capped buffer or count would be exceeded */
    BW_EUTF8 = -4,     /* text is not valid UTF-8 */
    BW_ESCAN = -5,     /* the scanning engine failed at run time */
    BW_ECOMPILE = -6,  /* a pattern or database did not compile */
    BW_EIO = -7,       /* read or write failed */
    BW_ENOTFOUND = -8, /* no such guardrail, route, file, ... */
    BW_EPROTO = -9,    /* protocol violation by a peer */
    BW_ECONFIG = -10,  /* configuration is invalid */
    BW_EFORMAT = -11,  /* a model or data file is corrupt or of another version */
    BW_ETIMEOUT = -12, /* a deadline passed */
};

/* Returns a static, human-readable string for a BW_E* code. */
const char *bw_strerror(int rv);

/* A borrowed byte view, not NUL-terminated (h2o_iovec_t, ngx_str_t). */
struct bw_iov {
    const char *base;
    size_t len;
};

#define BW_IOV(s) ((struct bw_iov){(s), sizeof(s) - 1})
#define BW_NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define BW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BW_MAX(a, b) ((a) > (b) ? (a) : (b))
#define BW_UNUSED(x) ((void)(x))

/* 1 under AddressSanitizer: caches of freed objects are off there, so a use after free stays visible */
#if defined(__SANITIZE_ADDRESS__)
#define BW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BW_ASAN 1
#endif
#endif
#ifndef BW_ASAN
#define BW_ASAN 0
#endif

/*
 * BW_ALWAYS(x): x should always hold. Debug builds assert; release builds
 * evaluate x so the caller takes the safe path when it does not (SQLite).
 */
#ifdef NDEBUG
#define BW_ALWAYS(x) (x)
#define BW_NEVER(x) (x)
#else
#include <assert.h>
#define BW_ALWAYS(x) ((x) ? 1 : (assert(0 && #x), 0))
#define BW_NEVER(x) ((x) ? (assert(0 && #x), 1) : 0)
#endif

#endif
