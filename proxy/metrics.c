/*
 * metrics.c: route slots, histogram buckets and the Prometheus text format.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/content.h"
#include "filters/words.h"
#include "pii/entities.h"
#include "proxy/metrics.h"

static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static char *slot_names[BW_PX_ROUTE_SLOTS];
static unsigned nslots = 1; /* slot 0 is "none" */

static const int statuses[BW_PX_NSTATUS - 1] = {200, 201, 204, 301, 302, 304, 400, 401, 403, 404,
                                                 405, 408, 413, 429, 431, 500, 502, 503, 504};
/* upper bounds in seconds; the last bucket is +Inf */
static const double bounds[BW_PX_NBUCKETS - 1] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                   0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5,   10};
static const char *const upfail[BW_UPF__N] = {"connect", "timeout", "reset", "tls", "protocol"};
static const char *const pol_names[BW_POL__N] = {"topicPolicy", "contentPolicy", "wordPolicy",
                                                 "sensitiveInformationPolicy", "regexPolicy",
                                                 "contextualGroundingPolicy"};

const char *bw_px_policy_name(int policy)
{
    return policy >= 0 && policy < BW_POL__N ? pol_names[policy] : "unknown";
}

unsigned bw_px_metrics_route_slot(const char *name)
{
    unsigned i, slot = 0;

    pthread_mutex_lock(&slot_mu);
    for (i = 1; i < nslots; i++)
        if (strcmp(slot_names[i], name) == 0) {
            slot = i;
            goto out;
        }
    if (nslots < BW_PX_ROUTE_SLOTS && (slot_names[nslots] = strdup(name)) != NULL)
        slot = nslots++;
out:
    pthread_mutex_unlock(&slot_mu);
    return slot;
}

unsigned bw_px_metrics_status_idx(int status)
{
    unsigned i;

    for (i = 0; i < BW_NELEMS(statuses); i++)
        if (statuses[i] == status)
            return i;
    return BW_PX_NSTATUS - 1;
}

void bw_px_metrics_observe(struct bw_px_metrics *m, int hist, uint64_t ns)
{
    struct bw_px_hist *h = &m->h[hist];
    double s = (double)ns / 1e9;
    unsigned i;

    for (i = 0; i < BW_NELEMS(bounds) && s > bounds[i]; i++)
        ;
    bw_px_ctr_add(&h->b[i], 1);
    bw_px_ctr_add(&h->sum_ns, ns);
}

unsigned bw_px_metrics_type_idx(const struct bw_finding *f)
{
    unsigned t = 0;

    switch (f->policy) {
    case BW_POL_CONTENT:
    case BW_POL_PII:
    case BW_POL_GROUNDING: t = f->type; break;
    case BW_POL_WORD: t = f->sub == BW_WORD_CUSTOM ? 0 : 1u + f->type; break;
    default: t = 0;
    }
    return t < BW_PX_NTYPES ? t : BW_PX_NTYPES - 1;
}

const char *bw_px_metrics_type_name(int policy, unsigned idx, char *buf, size_t len)
{
    const char *s = NULL;

    switch (policy) {
    case BW_POL_TOPIC: s = "DENY"; break;
    case BW_POL_CONTENT: s = bw_cat_name((int)idx); break;
    case BW_POL_WORD: s = idx == 0 ? "CUSTOM" : bw_wordlist_name((int)idx - 1); break;
    case BW_POL_PII: s = bw_pii_name((int)idx); break;
    case BW_POL_REGEX: s = "REGEX"; break;
    case BW_POL_GROUNDING: s = idx == 0 ? "GROUNDING" : idx == 1 ? "RELEVANCE" : NULL; break;
    }
    if (s == NULL) {
        snprintf(buf, len, "type%u", idx);
        s = buf;
    }
    return s;
}

static uint64_t ld(const bw_px_ctr *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

#define SUM(expr)                                                                                                  \
    ({                                                                                                             \
        uint64_t s_ = 0;                                                                                           \
        for (size_t k_ = 0; k_ < n; k_++)                                                                          \
            s_ += ld(&ms[k_]->expr);                                                                               \
        s_;                                                                                                        \
    })

static void hist(struct bw_buf *o, struct bw_px_metrics *const *ms, size_t n, const char *name, const char *help,
                 int id)
{
    uint64_t cum = 0, sum;
    unsigned i;

    bw_buf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (i = 0; i < BW_PX_NBUCKETS; i++) {
        cum += SUM(h[id].b[i]);
        if (i < BW_NELEMS(bounds))
            bw_buf_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cum);
        else
            bw_buf_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    }
    sum = SUM(h[id].sum_ns);
    bw_buf_printf(o, "%s_sum %.9f\n%s_count %llu\n", name, (double)sum / 1e9, name, (unsigned long long)cum);
}

static void gauge(struct bw_buf *o, const char *name, const char *help, const char *type, uint64_t v)
{
    bw_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, (unsigned long long)v);
}

int bw_px_metrics_render(struct bw_px_metrics *const *ms, size_t n, struct bw_buf *o)
{
    unsigned r, s, a, d, p, t, ns;
    char tb[32];
    char *names[BW_PX_ROUTE_SLOTS];

    pthread_mutex_lock(&slot_mu);
    ns = nslots;
    memcpy(names, slot_names, sizeof(names));
    pthread_mutex_unlock(&slot_mu);

    bw_buf_adds(o, "# HELP bulwark_requests_total Exchanges answered, by route, status and guardrail action.\n"
                   "# TYPE bulwark_requests_total counter\n");
    for (r = 0; r < ns; r++)
        for (s = 0; s < BW_PX_NSTATUS; s++)
            for (a = 0; a < 2; a++) {
                uint64_t v = SUM(req[r][s][a]);
                char st[8];
                if (v == 0)
                    continue;
                if (s < BW_NELEMS(statuses))
                    snprintf(st, sizeof(st), "%d", statuses[s]);
                else
                    snprintf(st, sizeof(st), "other");
                bw_buf_printf(o, "bulwark_requests_total{route=\"%s\",status=\"%s\",action=\"%s\"} %llu\n",
                              r == 0 ? "" : names[r], st, a ? "INTERVENED" : "NONE", (unsigned long long)v);
            }
    bw_buf_adds(o, "# HELP bulwark_interventions_total Guardrail findings acted on, by direction, policy, type "
                   "and action.\n# TYPE bulwark_interventions_total counter\n");
    for (d = 0; d < 2; d++)
        for (p = 0; p < BW_POL__N; p++)
            for (t = 0; t < BW_PX_NTYPES; t++)
                for (a = 0; a < 2; a++) {
                    uint64_t v = SUM(interv[d][p][t][a]);
                    if (v == 0)
                        continue;
                    bw_buf_printf(o,
                                  "bulwark_interventions_total{direction=\"%s\",policy=\"%s\",type=\"%s\","
                                  "action=\"%s\"} %llu\n",
                                  d ? "OUTPUT" : "INPUT", pol_names[p],
                                  bw_px_metrics_type_name((int)p, t, tb, sizeof(tb)), a ? "ANONYMIZED" : "BLOCKED",
                                  (unsigned long long)v);
                }
    bw_buf_adds(o, "# HELP bulwark_guardrail_errors_total Guardrail runtime faults, by direction.\n"
                   "# TYPE bulwark_guardrail_errors_total counter\n");
    bw_buf_printf(o, "bulwark_guardrail_errors_total{direction=\"INPUT\"} %llu\n",
                  (unsigned long long)SUM(guard_errors[0]));
    bw_buf_printf(o, "bulwark_guardrail_errors_total{direction=\"OUTPUT\"} %llu\n",
                  (unsigned long long)SUM(guard_errors[1]));
    bw_buf_adds(o, "# HELP bulwark_upstream_failures_total Upstream exchanges that failed, by route and cause.\n"
                   "# TYPE bulwark_upstream_failures_total counter\n");
    for (r = 0; r < ns; r++)
        for (s = 0; s < BW_UPF__N; s++) {
            uint64_t v = SUM(upstream_fail[r][s]);
            if (v)
                bw_buf_printf(o, "bulwark_upstream_failures_total{route=\"%s\",cause=\"%s\"} %llu\n",
                              r == 0 ? "" : names[r], upfail[s], (unsigned long long)v);
        }
    gauge(o, "bulwark_upstream_retries_total", "Upstream attempts repeated after a failed connection.", "counter",
          SUM(upstream_retries));
    hist(o, ms, n, "bulwark_guardrail_input_seconds", "Time applying the input guardrail.", BW_H_GUARD_IN);
    hist(o, ms, n, "bulwark_guardrail_output_seconds", "Time applying the output guardrail.", BW_H_GUARD_OUT);
    hist(o, ms, n, "bulwark_upstream_seconds", "Upstream time, request sent to answer received.", BW_H_UPSTREAM);
    hist(o, ms, n, "bulwark_request_seconds", "Exchange time, request received to answer queued.", BW_H_REQUEST);
    gauge(o, "bulwark_connections_total", "Downstream connections accepted.", "counter", SUM(conns_total));
    gauge(o, "bulwark_open_connections", "Downstream connections open.", "gauge", SUM(conns_open));
    gauge(o, "bulwark_open_streams", "Requests in flight (HTTP/1.1 requests and HTTP/2 streams).", "gauge",
          SUM(streams_open));
    gauge(o, "bulwark_queued_response_bytes",
          "HTTP/2 response bytes accepted for clients and not yet sent (bounded per stream and per connection).",
          "gauge", SUM(queued_bytes));
    {
        static const char *const ends[BW_SEND__N] = {"done",       "blocked",  "upstream_error",
                                                     "malformed",  "cut",      "idle_timeout",
                                                     "too_long",   "guard_error", "client_gone"};
        unsigned e;

        bw_buf_adds(o, "# HELP bulwark_stream_events_total Events of guarded streamed answers, by direction.\n"
                       "# TYPE bulwark_stream_events_total counter\n");
        bw_buf_printf(o, "bulwark_stream_events_total{direction=\"upstream\"} %llu\n",
                      (unsigned long long)SUM(stream_events[0]));
        bw_buf_printf(o, "bulwark_stream_events_total{direction=\"client\"} %llu\n",
                      (unsigned long long)SUM(stream_events[1]));
        bw_buf_adds(o, "# HELP bulwark_guarded_streams_total Guarded streamed answers, by how they ended.\n"
                       "# TYPE bulwark_guarded_streams_total counter\n");
        for (e = 0; e < BW_SEND__N; e++)
            bw_buf_printf(o, "bulwark_guarded_streams_total{end=\"%s\"} %llu\n", ends[e],
                          (unsigned long long)SUM(stream_ends[e]));
    }
    gauge(o, "bulwark_reloads_total", "Configuration reloads applied.", "counter", SUM(reloads));
    gauge(o, "bulwark_reload_failures_total", "Configuration reloads rejected.", "counter", SUM(reload_failures));
    return o->base ? BW_OK : BW_ENOMEM;
}
