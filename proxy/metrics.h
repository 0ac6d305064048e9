/*
 * metrics.h: Prometheus counters, gauges and histograms.
 *
 * Each worker owns one bw_px_metrics and is its only writer, so updates are
 * plain relaxed load+store (no locked instruction on the hot path); the
 * admin thread sums the workers' copies with relaxed loads when scraped.
 *
 * Route labels: routes are given a slot by name the first time a
 * configuration names them, for the life of the process, so counters
 * survive reloads and a renamed route starts its own series.
 */
#ifndef BW_PX_METRICS_H
#define BW_PX_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "filters/buf.h"
#include "filters/module.h"

#define BW_PX_ROUTE_SLOTS 64   /* slot 0: requests no route took */
#define BW_PX_NSTATUS 20
#define BW_PX_NBUCKETS 17      /* the last is +Inf */
#define BW_PX_NTYPES 40        /* per policy: PII entities are the most */

typedef _Atomic uint64_t bw_px_ctr;

struct bw_px_hist {
    bw_px_ctr b[BW_PX_NBUCKETS];
    bw_px_ctr sum_ns;
};

enum bw_px_upfail { BW_UPF_CONNECT = 0, BW_UPF_TIMEOUT, BW_UPF_RESET, BW_UPF_TLS, BW_UPF_PROTOCOL, BW_UPF__N };
/* how a guarded stream ended (bulwark_guarded_streams_total{end=...}) */
enum bw_px_send {
    BW_SEND_DONE = 0,   /* the answer ended normally */
    BW_SEND_BLOCKED,    /* the guardrail blocked it mid-stream */
    BW_SEND_UPSTREAM_ERROR, /* the upstream sent an error event */
    BW_SEND_MALFORMED,  /* malformed SSE / event-stream frame, CRC mismatch */
    BW_SEND_CUT,        /* the upstream broke off mid-stream */
    BW_SEND_IDLE,       /* the upstream went idle past idle_timeout_ms */
    BW_SEND_TOO_LONG,   /* longer than max_stream_bytes */
    BW_SEND_GUARD_ERROR, /* the output guard failed (fail closed) */
    BW_SEND_CLIENT_GONE, /* the client went away; the upstream was cancelled */
    BW_SEND__N
};

enum bw_px_hist_id { BW_H_GUARD_IN = 0, BW_H_GUARD_OUT, BW_H_UPSTREAM, BW_H_REQUEST, BW_H__N };

struct bw_px_metrics {
    bw_px_ctr req[BW_PX_ROUTE_SLOTS][BW_PX_NSTATUS][2]; /* [route][status][intervened] */
    bw_px_ctr interv[2][BW_POL__N][BW_PX_NTYPES][2];    /* [dir][policy][type][anonymized] */
    bw_px_ctr guard_errors[2];
    bw_px_ctr upstream_fail[BW_PX_ROUTE_SLOTS][BW_UPF__N];
    bw_px_ctr upstream_retries;
    bw_px_ctr conns_total;
    bw_px_ctr conns_open;   /* gauge */
    bw_px_ctr streams_open; /* gauge */
    bw_px_ctr queued_bytes; /* gauge: HTTP/2 response bytes queued for clients, not yet framed */
    bw_px_ctr reloads, reload_failures;
    bw_px_ctr stream_events[2];        /* guarded streams: [0] events from upstreams, [1] events to clients */
    bw_px_ctr stream_ends[BW_SEND__N]; /* guarded streams by how they ended */
    struct bw_px_hist h[BW_H__N];
};

static inline void bw_px_ctr_add(bw_px_ctr *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v, memory_order_relaxed);
}
static inline void bw_px_ctr_sub(bw_px_ctr *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) - v, memory_order_relaxed);
}

/* The slot of a route name (registered on first use); 0 when the table is full. */
unsigned bw_px_metrics_route_slot(const char *name);
/* Index of a status code in the req table. */
unsigned bw_px_metrics_status_idx(int status);
void bw_px_metrics_observe(struct bw_px_metrics *m, int hist, uint64_t ns);

/* The type label index of a finding, and its text. */
unsigned bw_px_metrics_type_idx(const struct bw_finding *f);
const char *bw_px_metrics_type_name(int policy, unsigned idx, char *buf, size_t len);

/*
 * Renders the Prometheus text exposition of the sum of ms[0..n) into out.
 * BW_ENOMEM, BW_ELIMIT.
 */
int bw_px_metrics_render(struct bw_px_metrics *const *ms, size_t n, struct bw_buf *out);

/* Bedrock's names of policies: "sensitiveInformationPolicy", ... */
const char *bw_px_policy_name(int policy);

#endif
