/*
 * gen.c: building and releasing configuration generations.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/gen.h"
#include "proxy/metrics.h"
#include "proxy/tls.h"

static atomic_ullong serial;

void bw_px_gen_ref(struct bw_px_gen *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

static void gen_free(struct bw_px_gen *g)
{
    size_t i;

    if (g->tls) {
        for (i = 0; i < g->conf->nlisteners; i++)
            SSL_CTX_free(g->tls[i]);
        free(g->tls);
    }
    SSL_CTX_free(g->admin_tls);
    free(g->route_gr);
    free(g->up_addr);
    free(g->up_own);
    bw_registry_unref(g->reg);
    bw_pconf_free(g->conf);
    free(g);
}

void bw_px_gen_unref(struct bw_px_gen *g)
{
    if (g && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
        gen_free(g);
}

int bw_px_gen_load(const char *path, const struct bw_px_gen *prev, struct bw_px_gen **out, struct bw_errs *errs)
{
    struct bw_pconf *c;
    int rv;

    *out = NULL;
    if ((rv = bw_pconf_load(path, &c, errs)) != 0)
        return rv;
    return bw_px_gen_build(c, prev, out, errs);
}

int bw_px_anonymizes_output(const struct bw_guardrail *g)
{
    const struct bw_gconf *c = g->conf;
    size_t i;

    if (c == NULL)
        return 0;
    for (i = 0; i < c->pii.n; i++)
        if (c->pii.items[i].ac.enabled[BW_DIR_OUTPUT] && c->pii.items[i].ac.action[BW_DIR_OUTPUT] == BW_ACT_ANONYMIZE)
            return 1;
    for (i = 0; i < c->regex.n; i++)
        if (c->regex.items[i].ac.enabled[BW_DIR_OUTPUT] &&
            c->regex.items[i].ac.action[BW_DIR_OUTPUT] == BW_ACT_ANONYMIZE)
            return 1;
    return 0;
}

int bw_px_gen_build(struct bw_pconf *c, const struct bw_px_gen *prev, struct bw_px_gen **out, struct bw_errs *errs)
{
    struct bw_px_gen *g;
    size_t i;
    int rv, bad = 0;

    *out = NULL;
    if ((g = calloc(1, sizeof(*g))) == NULL) {
        bw_pconf_free(c);
        return BW_ENOMEM;
    }
    atomic_init(&g->refs, 1);
    g->conf = c;
    for (i = 0; i < c->nroutes; i++)
        c->routes[i].metric_slot = bw_px_metrics_route_slot(c->routes[i].name);
    g->serial = atomic_fetch_add(&serial, 1) + 1;
    if ((rv = bw_registry_new(&g->reg)) != 0)
        goto fail;
    for (i = 0; i < c->nguardrails; i++) {
        const struct bw_px_grd_conf *gc = &c->guardrails[i];
        rv = bw_registry_load(g->reg, gc->id, gc->version, gc->file, prev ? prev->reg : NULL, errs);
        if (rv == BW_ENOMEM)
            goto fail;
        if (rv != 0) {
            /* the guardrail loader names its file; say which entry it was */
            bw_errs_add(errs, NULL, "guardrails[%zu]: guardrail \"%s\" version \"%s\" not loaded: %s", i, gc->id,
                        gc->version, bw_strerror(rv));
            bad = 1;
        }
    }
    if ((g->tls = calloc(c->nlisteners ? c->nlisteners : 1, sizeof(*g->tls))) == NULL ||
        (g->route_gr = calloc(c->nroutes ? c->nroutes : 1, sizeof(*g->route_gr))) == NULL) {
        rv = BW_ENOMEM;
        goto fail;
    }
    if ((g->up_addr = calloc(c->nupstreams ? c->nupstreams : 1, sizeof(*g->up_addr))) == NULL ||
        (g->up_own = calloc(c->nupstreams ? c->nupstreams : 1, 1)) == NULL) {
        rv = BW_ENOMEM;
        goto fail;
    }
    for (i = 0; i < c->nupstreams; i++)
        g->up_own[i] = bw_px_upaddr_resolve(&c->upstreams[i], &g->up_addr[i]) == 0;
    for (i = 0; i < c->nlisteners; i++)
        if (c->listeners[i].tls && bw_px_tls_server_ctx(&c->listeners[i], &g->tls[i], errs) != 0)
            bad = 1;
    if (c->has_admin && c->admin.tls && bw_px_tls_server_ctx(&c->admin, &g->admin_tls, errs) != 0)
        bad = 1;
    for (i = 0; i < c->nroutes && !bad; i++) {
        const struct bw_px_route_conf *r = &c->routes[i];
        if (r->guardrail >= 0) {
            const struct bw_px_grd_conf *gc = &c->guardrails[r->guardrail];
            g->route_gr[i] = bw_registry_get(g->reg, gc->id, gc->version);
            if (g->route_gr[i] && r->stream_async && bw_px_anonymizes_output(g->route_gr[i])) {
                /* Bedrock: masking is not possible when text goes out before it is checked */
                bw_errs_add(errs, NULL,
                            "routes[%zu].stream_mode: \"async\" cannot mask: guardrail \"%s\" version \"%s\" "
                            "anonymizes answers (ANONYMIZE on the output side); use \"sync\" or BLOCK/NONE actions",
                            i, gc->id, gc->version);
                bad = 1;
            }
            /* the streaming engines, built now so no streamed request waits for them */
            if (g->route_gr[i] && r->output && bw_guardrail_streaming(g->route_gr[i], errs) != 0)
                bad = 1;
        }
    }
    if (bad) {
        rv = BW_ECONFIG;
        goto fail;
    }
    *out = g;
    return BW_OK;

fail:
    bw_px_gen_unref(g);
    return rv;
}
