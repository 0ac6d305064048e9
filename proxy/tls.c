/*
 * tls.c: server-side TLS contexts. The defaults follow Mozilla's
 * "intermediate" profile: TLS 1.2 and 1.3, ECDHE with AES-GCM or
 * ChaCha20-Poly1305, server cipher preference, no renegotiation.
 */
#include <openssl/err.h>
#include <string.h>

#include "proxy/tls.h"

#define DEFAULT_CIPHERS                                                                                            \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                     \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

const char *bw_px_tls_err(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();

    if (e == 0)
        snprintf(buf, len, "unknown TLS error");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

/* ALPN: h2 when the listener allows it and the client offers it, else http/1.1. */
static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned int inlen, void *arg)
{
    static const unsigned char h2[] = "\x02h2", h1[] = "\x08http/1.1";
    int http2 = arg != NULL;
    unsigned char *sel;

    BW_UNUSED(ssl);
    if (http2 && SSL_select_next_proto(&sel, outlen, h2, sizeof(h2) - 1, in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
    }
    if (SSL_select_next_proto(&sel, outlen, h1, sizeof(h1) - 1, in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
    }
    /* a client offering neither gets no ALPN and speaks HTTP/1.1 */
    return SSL_TLSEXT_ERR_NOACK;
}

int bw_px_tls_server_ctx(const struct bw_px_listener_conf *lc, SSL_CTX **out, struct bw_errs *errs)
{
    SSL_CTX *ctx;
    char eb[256];

    *out = NULL;
    if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
        bw_errs_add(errs, NULL, "listener %s: %s", lc->addr.text, bw_px_tls_err(eb, sizeof(eb)));
        return BW_ECONFIG;
    }
    SSL_CTX_set_min_proto_version(ctx, lc->tlsc.min_version ? lc->tlsc.min_version : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(ctx, lc->tlsc.ciphers ? lc->tlsc.ciphers : DEFAULT_CIPHERS) != 1) {
        bw_errs_add(errs, NULL, "listener %s: tls.ciphers: %s", lc->addr.text, bw_px_tls_err(eb, sizeof(eb)));
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, lc->tlsc.certificate) != 1) {
        bw_errs_add(errs, NULL, "listener %s: tls.certificate %s: %s", lc->addr.text, lc->tlsc.certificate,
                    bw_px_tls_err(eb, sizeof(eb)));
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, lc->tlsc.private_key, SSL_FILETYPE_PEM) != 1) {
        bw_errs_add(errs, NULL, "listener %s: tls.private_key %s: %s", lc->addr.text, lc->tlsc.private_key,
                    bw_px_tls_err(eb, sizeof(eb)));
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        bw_errs_add(errs, NULL, "listener %s: the private key does not match the certificate", lc->addr.text);
        ERR_clear_error();
        goto fail;
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, lc->http2 ? (void *)1 : NULL);
    *out = ctx;
    return BW_OK;

fail:
    SSL_CTX_free(ctx);
    return BW_ECONFIG;
}
