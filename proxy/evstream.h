/*
 * evstream.h: the AWS event-stream binary framing (application/
 * vnd.amazon.eventstream), the stream form of Bedrock's
 * InvokeModelWithResponseStream and ConverseStream.
 *
 * A message is: total length (u32 BE), headers length (u32 BE), prelude
 * CRC (CRC-32 of the first 8 bytes), headers, payload, message CRC (CRC-32
 * of everything before it). CRC-32 is zlib's (ISO-HDLC, reflected
 * 0xEDB88320). Headers are (u8 name length, name, u8 type, value) with the
 * types below; strings and byte arrays carry a u16 BE length.
 *
 * The decoder takes the bytes in any split and gives the same messages; it
 * checks the prelude CRC as soon as 12 bytes are in, so a corrupt length
 * never makes it buffer megabytes, and holds a message until its CRC is
 * checked. Any mismatch or malformed header is BW_EPROTO.
 */
#ifndef BW_EVSTREAM_H
#define BW_EVSTREAM_H

#include "filters/buf.h"

/* AWS's own limits: a message of at most 16 MB, headers of at most 128 KB. */
#define BW_EVS_MAX_MESSAGE (16u << 20)
#define BW_EVS_MAX_HEADERS_BYTES (128u << 10)
#define BW_EVS_MAX_HEADERS 64
#define BW_EVS_PRELUDE 12
#define BW_EVS_OVERHEAD 16 /* prelude + message CRC */

enum bw_evs_type {
    BW_EVS_TRUE = 0,
    BW_EVS_FALSE = 1,
    BW_EVS_BYTE = 2,
    BW_EVS_SHORT = 3,
    BW_EVS_INT = 4,
    BW_EVS_LONG = 5,
    BW_EVS_BYTES = 6,
    BW_EVS_STRING = 7,
    BW_EVS_TIMESTAMP = 8, /* ms since the epoch, in i */
    BW_EVS_UUID = 9,      /* 16 bytes, in s */
};

struct bw_evs_header {
    struct bw_iov name;
    int type;         /* enum bw_evs_type */
    int64_t i;        /* BOOL (1/0), BYTE, SHORT, INT, LONG, TIMESTAMP */
    struct bw_iov s;  /* BYTES, STRING, UUID */
};

/* One message; views point into the decoder (or the encoder's caller) and live until the callback returns. */
struct bw_evs_msg {
    struct bw_evs_header h[BW_EVS_MAX_HEADERS];
    size_t nh;
    struct bw_iov payload;
};

typedef int (*bw_evs_cb)(void *ud, const struct bw_evs_msg *m);

struct bw_evs_dec {
    struct bw_buf buf;  /* a message split across feeds */
    size_t need;        /* total length of the buffered message, 0 until the prelude is in */
    size_t max_message;
    int err;            /* sticky error */
    struct bw_evs_msg msg;
};

/* CRC-32 (zlib's crc32()): crc is 0 to start, or the value of the bytes before. */
uint32_t bw_evs_crc32(uint32_t crc, const void *p, size_t n);

/* max_message 0: BW_EVS_MAX_MESSAGE. Allocates nothing. */
void bw_evs_dec_init(struct bw_evs_dec *d, size_t max_message);
void bw_evs_dec_free(struct bw_evs_dec *d);

/*
 * Decodes n bytes, calling cb per complete, CRC-checked message. Returns 0,
 * the callback's non-zero value, BW_EPROTO (CRC mismatch, lengths that do
 * not add up, a malformed or truncated header), BW_ELIMIT (a message over
 * max_message), BW_ENOMEM. Errors are sticky.
 */
int bw_evs_dec_feed(struct bw_evs_dec *d, const char *p, size_t n, bw_evs_cb cb, void *ud);

/* The input ended: 0 on a message boundary, BW_EPROTO when a message was cut. */
int bw_evs_dec_finish(struct bw_evs_dec *d);

/*
 * Parses one complete message held in p[0..n) (CRCs checked). The message
 * views point into p. Returns 0 or BW_EPROTO.
 */
int bw_evs_parse(const char *p, size_t n, struct bw_evs_msg *m);

/*
 * Appends one message with headers h[0..nh) and the payload. Returns 0,
 * BW_EINVAL (a name over 255 bytes, a string over 65535, an unknown type),
 * BW_ELIMIT, BW_ENOMEM.
 */
int bw_evs_encode(struct bw_buf *out, const struct bw_evs_header *h, size_t nh, const void *payload, size_t plen);

/* The string value of header name, or NULL when absent or not a string. */
const struct bw_iov *bw_evs_header_str(const struct bw_evs_msg *m, const char *name);

/* A string header for bw_evs_encode(). */
static inline struct bw_evs_header bw_evs_str(const char *name, const char *value)
{
    struct bw_evs_header h;

    h.name.base = name;
    h.name.len = strlen(name);
    h.type = BW_EVS_STRING;
    h.i = 0;
    h.s.base = value;
    h.s.len = strlen(value);
    return h;
}

/*
 * Appends a Bedrock stream message: ":event-type" ev (or ":exception-type"
 * when exception), ":content-type application/json", ":message-type"
 * event|exception, and the JSON payload.
 */
int bw_evs_encode_json(struct bw_buf *out, int exception, const char *type, const char *json, size_t jlen);

#endif
