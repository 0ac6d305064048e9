/*
 * tls.h: OpenSSL server contexts for the listeners: TLS 1.2 or newer,
 * forward-secret AEAD suites only, no renegotiation, no compression, ALPN
 * "h2" then "http/1.1". A context is built per configuration generation so
 * SIGHUP picks up a renewed certificate; connections keep a reference to
 * the context they were accepted with.
 */
#ifndef BW_PX_TLS_H
#define BW_PX_TLS_H

#include <openssl/ssl.h>

#include "filters/errs.h"
#include "proxy/pconf.h"

/*
 * Builds a server context for a listener. Returns 0 with *out set, or
 * BW_ECONFIG with the reason in errs (unreadable certificate, key that does
 * not match, bad cipher list).
 */
int bw_px_tls_server_ctx(const struct bw_px_listener_conf *lc, SSL_CTX **out, struct bw_errs *errs);

/* Text of the last OpenSSL error of this thread (and clears the queue). */
const char *bw_px_tls_err(char *buf, size_t len);

#endif
