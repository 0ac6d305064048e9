/*
 * sigv4.h: AWS Signature Version 4 for the Bedrock upstream. The proxy
 * re-signs a request whenever it changed the body (masked prompt, guardrail
 * fields stripped) or when it holds the credentials itself.
 *
 * Canonical request, string to sign and signing key as in AWS's
 * "Create a signed AWS API request" (HMAC-SHA256 chain over date, region,
 * service, "aws4_request"). Tested against the aws-sig-v4-test-suite.
 */
#ifndef BW_SIGV4_H
#define BW_SIGV4_H

#include "filters/buf.h"
#include "proxy/adapter.h"

struct bw_sigv4_creds {
    const char *akid;   /* AWS_ACCESS_KEY_ID */
    const char *secret; /* AWS_SECRET_ACCESS_KEY */
    const char *token;  /* AWS_SESSION_TOKEN, or NULL */
};

/* bw_sigv4_req.flags */
#define BW_SIGV4_CONTENT_SHA256 0x1 /* add and sign X-Amz-Content-Sha256 */
#define BW_SIGV4_SINGLE_ENCODE 0x2  /* S3: the canonical path is the decoded path encoded once (default: the
                                       wire path encoded again, as botocore does for bedrock-runtime) */
#define BW_SIGV4_NO_NORMALIZE 0x4   /* S3: keep "." and ".." segments and repeated slashes */
#define BW_SIGV4_TOKEN_UNSIGNED 0x8 /* X-Amz-Security-Token is sent but not signed (a few services want that) */

struct bw_sigv4_req {
    const char *method;
    const char *path;    /* as sent on the wire (already percent-encoded), no query */
    size_t path_len;
    const char *query;   /* after '?', may be NULL */
    size_t query_len;
    const struct bw_hdr *h; /* headers to sign: host is required; never hop-by-hop ones. Authorization,
                               X-Amz-Date, X-Amz-Security-Token and X-Amz-Content-Sha256 given here are
                               ignored: the signer sets them */
    size_t nh;
    const void *body;
    size_t body_len;
    const char *payload_hash; /* hex SHA-256 of the body, or NULL to compute it ("UNSIGNED-PAYLOAD" allowed) */
    const char *region;  /* "us-east-1" */
    const char *service; /* "bedrock" */
    const char *amz_date; /* "YYYYMMDDTHHMMSSZ", or NULL for now */
    unsigned flags;
};

/* The headers to add to the request, NUL-terminated. */
struct bw_sigv4_out {
    char authorization[1024];
    char amz_date[17];
    char content_sha256[65]; /* set with BW_SIGV4_CONTENT_SHA256 */
    const char *security_token; /* creds->token, or NULL */
    char signature[65];
};

/*
 * Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN
 * (borrowed from the environment). Returns 0 or BW_ENOTFOUND when the key
 * id or the secret is missing.
 */
int bw_sigv4_creds_from_env(struct bw_sigv4_creds *c);

/*
 * Signs r with c into out. When creq/sts are not NULL, the canonical
 * request and the string to sign are appended to them (tests, debugging).
 * Returns 0; BW_EINVAL (no host header, a bad date, empty region or
 * service, a header name or value with a line break); BW_ELIMIT (an
 * Authorization header over 1023 bytes); BW_ENOMEM.
 */
int bw_sigv4_sign(const struct bw_sigv4_req *r, const struct bw_sigv4_creds *c, struct bw_sigv4_out *out,
                  struct bw_buf *creq, struct bw_buf *sts);

/* The region of a Bedrock runtime host name ("bedrock-runtime.eu-west-1.amazonaws.com"), or NULL. */
const char *bw_sigv4_region_of_host(const char *host, char *buf, size_t buflen);

#endif
