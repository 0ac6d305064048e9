/*
 * gen.h: a configuration generation: the loaded configuration, its
 * guardrail registry, the TLS contexts of its listeners and the route ->
 * guardrail bindings, built whole and immutable once built.
 *
 * Reload builds a new generation on the main thread and posts a reference
 * to every worker; each worker swaps its pointer, and every exchange holds
 * a reference to the generation it started on, so an in-flight exchange
 * finishes with the routes, upstreams and guardrails it began with.
 */
#ifndef BW_PX_GEN_H
#define BW_PX_GEN_H

#include <openssl/ssl.h>
#include <stdatomic.h>

#include "policies/registry.h"
#include "proxy/pconf.h"
#include "proxy/upstream.h"

struct bw_px_gen {
    atomic_int refs;
    uint64_t serial;
    struct bw_pconf *conf;
    struct bw_registry *reg;
    SSL_CTX **tls;          /* by listener, NULL for cleartext */
    SSL_CTX *admin_tls;
    struct bw_guardrail **route_gr; /* by route, borrowed from reg; NULL: none */
    struct bw_px_upaddr *up_addr;   /* by upstream: resolved cleartext HTTP/1.1 address */
    unsigned char *up_own;          /* by upstream: served by the own HTTP/1.1 client */
};

/*
 * Loads path, compiles its guardrails (sharing unchanged ones with prev,
 * which may be NULL) and builds the TLS contexts. Returns 0 with *out
 * holding one reference, or BW_ECONFIG/BW_EIO/BW_ENOMEM with every problem
 * in errs.
 */
int bw_px_gen_load(const char *path, const struct bw_px_gen *prev, struct bw_px_gen **out, struct bw_errs *errs);
/* The same from a loaded configuration, which the generation takes over (freed on failure too). */
int bw_px_gen_build(struct bw_pconf *c, const struct bw_px_gen *prev, struct bw_px_gen **out, struct bw_errs *errs);
void bw_px_gen_ref(struct bw_px_gen *g);
/* Does g mask (ANONYMIZE) anything in answers? Such a guardrail cannot guard asynchronous streams. */
int bw_px_anonymizes_output(const struct bw_guardrail *g);
void bw_px_gen_unref(struct bw_px_gen *g);

#endif
