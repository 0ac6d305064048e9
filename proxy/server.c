/*
 * server.c: process start, listeners, worker threads, signals, reload and
 * graceful shutdown.
 *
 * Signals are blocked in every thread and read from a signalfd by the main
 * thread's loop, so handlers never run in a random thread at a random
 * point. SIGHUP builds a new generation next to the running one (sharing
 * unchanged guardrails) and posts it to the workers; a configuration that
 * fails to load, or that changes the listeners (sockets are bound once),
 * is logged and the running one stays. SIGTERM or SIGINT drains: workers
 * stop accepting, answer what is in flight (HTTP/1.1 with Connection:
 * close, HTTP/2 with GOAWAY), and exit when their last connection closes or
 * drain_timeout_ms passes; a second signal stops at once.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/conn.h"
#include "proxy/exchange.h"
#include "proxy/log.h"
#include "proxy/server.h"
#include "proxy/upstream.h"

#define BACKLOG 1024

static int make_socket(const struct sockaddr_storage *sa, socklen_t salen, int reuseport, char *bound,
                       size_t blen)
{
    struct sockaddr_storage got;
    socklen_t gl = sizeof(got);
    int fd, one = 1;

    if ((fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        goto fail;
    if (bind(fd, (const struct sockaddr *)sa, salen) != 0 || listen(fd, BACKLOG) != 0)
        goto fail;
    if (bound && getsockname(fd, (struct sockaddr *)&got, &gl) == 0) {
        char host[64];
        if (got.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&got)->sin6_addr, host, sizeof(host));
            snprintf(bound, blen, "[%s]:%u", host, ntohs(((struct sockaddr_in6 *)&got)->sin6_port));
        } else {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&got)->sin_addr, host, sizeof(host));
            snprintf(bound, blen, "%s:%u", host, ntohs(((struct sockaddr_in *)&got)->sin_port));
        }
    }
    return fd;

fail:
    close(fd);
    return -1;
}

static void set_port(struct sockaddr_storage *sa, const char *bound)
{
    const char *colon = strrchr(bound, ':');
    uint16_t port = colon ? (uint16_t)strtoul(colon + 1, NULL, 10) : 0;

    if (sa->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)sa)->sin_port = htons(port);
}

/*
 * One SO_REUSEPORT socket per worker per listener: the kernel spreads
 * connections evenly. Port 0 is resolved by the first bind and reused.
 */
static int open_listeners(struct bw_px_server *srv, unsigned nw)
{
    const struct bw_pconf *c = srv->gen->conf;
    size_t i, j;

    for (j = 0; j < nw; j++) {
        if ((srv->workers[j].lis = calloc(c->nlisteners ? c->nlisteners : 1, sizeof(struct bw_px_listener))) ==
            NULL)
            return BW_ENOMEM;
        srv->workers[j].nlis = 0;
    }
    for (i = 0; i < c->nlisteners; i++) {
        const struct bw_px_listener_conf *lc = &c->listeners[i];
        struct sockaddr_storage sa = lc->addr.sa;
        char bound[96] = "";

        for (j = 0; j < nw; j++) {
            struct bw_px_listener *l = &srv->workers[j].lis[i];
            l->io.fd = -1;
            l->fd = make_socket(&sa, lc->addr.salen, 1, j == 0 ? bound : NULL, sizeof(bound));
            if (l->fd < 0) {
                bw_px_log(BW_LOG_ERROR, "cannot listen on %s: %s", lc->addr.text, strerror(errno));
                return BW_EIO;
            }
            if (j == 0)
                set_port(&sa, bound);
            l->index = (int)i;
            l->kind = srv->kind;
            l->tls = lc->tls;
            l->http2 = lc->http2;
            l->handler = srv->handler;
            srv->workers[j].nlis++;
        }
        bw_px_logkv(BW_LOG_INFO, "listening", "\"address\":\"%s\",\"kind\":\"%s\",\"tls\":%s,\"http2\":%s", bound,
                    srv->kind == BW_LK_MOCK ? "mock" : "proxy", lc->tls ? "true" : "false",
                    lc->http2 ? "true" : "false");
    }
    return BW_OK;
}

static int open_admin(struct bw_px_server *srv)
{
    const struct bw_pconf *c = srv->gen->conf;
    struct bw_px_listener *l;
    char bound[96] = "";

    if (!c->has_admin)
        return BW_OK;
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return BW_ENOMEM;
    l->fd = make_socket(&c->admin.addr.sa, c->admin.addr.salen, 0, bound, sizeof(bound));
    if (l->fd < 0) {
        bw_px_log(BW_LOG_ERROR, "cannot listen on %s (admin): %s", c->admin.addr.text, strerror(errno));
        free(l);
        return BW_EIO;
    }
    l->index = -1;
    l->kind = BW_LK_ADMIN;
    l->tls = c->admin.tls;
    l->http2 = c->admin.http2;
    l->handler = &bw_px_admin_handler;
    if (bw_px_worker_listen(&srv->main, l, 1) != 0) {
        close(l->fd);
        free(l);
        return BW_EIO;
    }
    bw_px_logkv(BW_LOG_INFO, "listening", "\"address\":\"%s\",\"kind\":\"admin\",\"tls\":%s,\"http2\":%s", bound,
                l->tls ? "true" : "false", l->http2 ? "true" : "false");
    return BW_OK;
}

static void apply_log_conf(const struct bw_pconf *c)
{
    static const int sinks[] = {BW_SINK_ERROR, BW_SINK_ACCESS, BW_SINK_AUDIT};
    const char *targets[] = {c->log_error, c->log_access, c->log_audit};
    size_t i;

    bw_px_log_set_level(c->log_level);
    for (i = 0; i < BW_NELEMS(sinks); i++)
        if (bw_px_log_open(sinks[i], targets[i]) != 0)
            bw_px_log(BW_LOG_ERROR, "cannot open log %s: %s", targets[i], strerror(errno));
}

static int same_listener(const struct bw_px_listener_conf *a, const struct bw_px_listener_conf *b)
{
    return strcmp(a->addr.text, b->addr.text) == 0 && a->tls == b->tls && a->http2 == b->http2;
}

static int listeners_changed(const struct bw_pconf *a, const struct bw_pconf *b)
{
    size_t i;

    if (a->nlisteners != b->nlisteners || a->has_admin != b->has_admin)
        return 1;
    for (i = 0; i < a->nlisteners; i++)
        if (!same_listener(&a->listeners[i], &b->listeners[i]))
            return 1;
    return a->has_admin && !same_listener(&a->admin, &b->admin);
}

/*
 * Reload runs on its own thread: compiling guardrails can take seconds,
 * and the main thread must keep answering /healthz and signals meanwhile.
 * The result comes back through the main loop's mailbox.
 */
struct reload_job {
    struct bw_px_server *srv;
    struct bw_px_gen *prev; /* referenced for the job */
    struct bw_px_gen *g;
    struct bw_errs errs;
    int rv;
};

static void *reload_main(void *arg)
{
    struct reload_job *j = arg;
    struct bw_px_msg *m;

    j->rv = bw_px_gen_load(j->srv->conf_path, j->prev, &j->g, &j->errs);
    if (j->rv == 0 && listeners_changed(j->prev->conf, j->g->conf)) {
        bw_errs_add(&j->errs, "listeners", "listeners and admin cannot change on reload; restart to apply");
        bw_px_gen_unref(j->g);
        j->g = NULL;
        j->rv = BW_ECONFIG;
    }
    /* the main thread waits for this message: without memory it would wait for ever */
    while ((m = calloc(1, sizeof(*m))) == NULL)
        usleep(10000);
    m->type = BW_MSG_RELOADED;
    m->arg = j;
    bw_px_loop_post(&j->srv->main.loop, m);
    return NULL;
}

static void start_reload(struct bw_px_server *srv)
{
    struct reload_job *j;

    if (srv->reloading) {
        srv->reload_again = 1; /* signals coalesce: one more run covers them all */
        return;
    }
    if ((j = calloc(1, sizeof(*j))) == NULL) {
        bw_px_log(BW_LOG_ERROR, "reload: out of memory");
        return;
    }
    j->srv = srv;
    j->prev = srv->gen;
    bw_px_gen_ref(j->prev);
    bw_errs_init(&j->errs, srv->conf_path);
    if (pthread_create(&srv->reload_th, NULL, reload_main, j) != 0) {
        bw_px_log(BW_LOG_ERROR, "reload: cannot start a thread: %s", strerror(errno));
        bw_px_gen_unref(j->prev);
        free(j);
        return;
    }
    srv->reloading = 1;
}

static void finish_reload(struct bw_px_server *srv, struct reload_job *j)
{
    struct bw_px_gen *g = j->g;
    unsigned i;

    pthread_join(srv->reload_th, NULL);
    srv->reloading = 0;
    bw_px_gen_unref(j->prev);
    if (j->rv != 0 || srv->draining) {
        for (i = 0; i < j->errs.n; i++)
            bw_px_logkv(BW_LOG_ERROR, "reload rejected", "\"problem\":\"%s\"", j->errs.msg[i]);
        if (j->rv != 0) {
            bw_px_log(BW_LOG_ERROR, "reload rejected (%s); the running configuration stays", bw_strerror(j->rv));
            bw_px_ctr_add(&srv->main.m->reload_failures, 1);
        }
        if (g)
            bw_px_gen_unref(g);
        goto out;
    }
    if (srv->kind != BW_LK_MOCK)
        apply_log_conf(g->conf);
    for (i = 0; i < srv->nworkers; i++) {
        struct bw_px_msg *m = calloc(1, sizeof(*m));
        if (m == NULL)
            continue; /* that worker keeps the old generation; better than none */
        bw_px_gen_ref(g);
        m->type = BW_MSG_GEN;
        m->arg = g;
        bw_px_loop_post(&srv->workers[i].loop, m);
    }
    bw_px_gen_ref(g);
    bw_px_worker_set_gen(&srv->main, g);
    bw_px_gen_unref(srv->gen);
    srv->gen = g;
    bw_px_ctr_add(&srv->main.m->reloads, 1);
    bw_px_logkv(BW_LOG_INFO, "configuration reloaded", "\"generation\":%llu", (unsigned long long)g->serial);
out:
    bw_errs_free(&j->errs);
    free(j);
    if (srv->reload_again && !srv->draining) {
        srv->reload_again = 0;
        start_reload(srv);
    }
}

static void post_all(struct bw_px_server *srv, int type)
{
    unsigned i;

    for (i = 0; i < srv->nworkers; i++) {
        struct bw_px_msg *m = calloc(1, sizeof(*m));
        if (m == NULL)
            continue;
        m->type = type;
        bw_px_loop_post(&srv->workers[i].loop, m);
    }
}

static void on_signal(struct bw_px_io *io, uint32_t ev)
{
    struct bw_px_server *srv = (struct bw_px_server *)((char *)io - offsetof(struct bw_px_server, sig_io));
    struct signalfd_siginfo si;

    BW_UNUSED(ev);
    while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGHUP:
            bw_px_log(BW_LOG_INFO, "SIGHUP: reloading %s", srv->conf_path ? srv->conf_path : "");
            if (srv->conf_path && !srv->draining)
                start_reload(srv);
            break;
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            if (srv->signals++ == 0 && si.ssi_signo != SIGQUIT) {
                bw_px_log(BW_LOG_INFO, "%s: draining %u workers", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM",
                          srv->running);
                srv->draining = 1;
                post_all(srv, BW_MSG_DRAIN);
            } else {
                bw_px_log(BW_LOG_INFO, "stopping now");
                srv->draining = 1;
                post_all(srv, BW_MSG_STOP);
            }
            break;
        }
    }
}

static void on_main_msg(struct bw_px_loop *l, struct bw_px_msg *m)
{
    struct bw_px_worker *w = l->data;

    if (m->type == BW_MSG_STOP && w->srv->running > 0)
        w->srv->running--;
    else if (m->type == BW_MSG_RELOADED)
        finish_reload(w->srv, m->arg);
    free(m);
}

void bw_px_server_worker_done(struct bw_px_server *srv, struct bw_px_worker *w)
{
    struct bw_px_msg *m = calloc(1, sizeof(*m));

    BW_UNUSED(w);
    bw_px_log_thread_done();
    if (m == NULL) {
        /* cannot tell the main thread; it will notice at join time */
        return;
    }
    m->type = BW_MSG_STOP;
    bw_px_loop_post(&srv->main.loop, m);
}

size_t bw_px_server_metrics(struct bw_px_server *srv, struct bw_px_metrics **out, size_t max)
{
    size_t n = 0, i;

    for (i = 0; i < srv->nworkers && n < max; i++)
        if (srv->workers[i].m)
            out[n++] = srv->workers[i].m;
    if (n < max && srv->main.m)
        out[n++] = srv->main.m;
    return n;
}

static int block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGQUIT);
    signal(SIGPIPE, SIG_IGN); /* SSL_write() writes with write(2) */
    return pthread_sigmask(SIG_BLOCK, set, NULL) == 0 ? 0 : -1;
}

int bw_px_server_run(struct bw_px_server *srv, unsigned nw)
{
    sigset_t set;
    unsigned i, started = 0;
    int sfd = -1, rv = 1;

    if (block_signals(&set) != 0 || (sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
        bw_px_log(BW_LOG_ERROR, "cannot set up signals: %s", strerror(errno));
        return 1;
    }
    if ((srv->workers = calloc(nw, sizeof(*srv->workers))) == NULL)
        goto out_sfd;
    srv->nworkers = nw;
    if (bw_px_worker_init(&srv->main, srv, (int)nw) != 0)
        goto out_workers;
    srv->main.loop.on_msg = on_main_msg;
    bw_px_gen_ref(srv->gen);
    srv->main.gen = srv->gen;
    for (i = 0; i < nw; i++) {
        if (bw_px_worker_init(&srv->workers[i], srv, (int)i) != 0)
            goto out_init;
        bw_px_gen_ref(srv->gen);
        srv->workers[i].gen = srv->gen;
        srv->workers[i].max_conns = (srv->gen->conf->limits.max_connections + nw - 1) / nw;
    }
    if (open_listeners(srv, nw) != 0 || open_admin(srv) != 0)
        goto out_init;
    for (i = 0; i < nw; i++)
        if (bw_px_worker_listen(&srv->workers[i], srv->workers[i].lis, srv->workers[i].nlis) != 0)
            goto out_init;
    if (bw_px_io_start(&srv->main.loop, &srv->sig_io, sfd, EPOLLIN, on_signal) != 0)
        goto out_init;
    for (i = 0; i < nw; i++) {
        if (pthread_create(&srv->workers[i].th, NULL, bw_px_worker_main, &srv->workers[i]) != 0) {
            bw_px_log(BW_LOG_ERROR, "cannot start worker %u: %s", i, strerror(errno));
            srv->draining = 1;
            break;
        }
        started++;
        srv->running++;
    }
    if (started == nw)
        bw_px_logkv(BW_LOG_INFO, "started", "\"workers\":%u,\"pid\":%d", nw, (int)getpid());
    else
        post_all(srv, BW_MSG_STOP);
    while (!(srv->draining && srv->running == 0 && !srv->reloading)) {
        if (bw_px_loop_run_once(&srv->main.loop, -1) < 0)
            break;
        bw_px_log_flush();
    }
    for (i = 0; i < started; i++)
        pthread_join(srv->workers[i].th, NULL);
    rv = started == nw ? 0 : 1;
    bw_px_io_stop(&srv->main.loop, &srv->sig_io);
    bw_px_log(BW_LOG_INFO, "stopped");
out_init:
    for (i = 0; i < nw; i++)
        if (srv->workers[i].m) {
            bw_px_worker_free(&srv->workers[i]);
            free(srv->workers[i].m);
        }
    bw_px_worker_free(&srv->main);
    free(srv->main.m);
out_workers:
    free(srv->workers);
out_sfd:
    close(sfd);
    bw_px_log_flush();
    return rv;
}

static unsigned ncpu(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? (unsigned)n : 1;
}

int bw_px_serve(const struct bw_px_serve_opts *o)
{
    struct bw_px_server srv;
    struct bw_errs errs;
    unsigned nw;
    int rv;

    memset(&srv, 0, sizeof(srv));
    bw_px_log_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bw_errs_init(&errs, o->conf_path);
    rv = bw_px_gen_load(o->conf_path, NULL, &srv.gen, &errs);
    if (rv != 0) {
        bw_errs_print(&errs, stderr);
        if (errs.n == 0)
            fprintf(stderr, "%s: %s\n", o->conf_path, bw_strerror(rv));
        bw_errs_free(&errs);
        curl_global_cleanup();
        return 1;
    }
    bw_errs_free(&errs);
    apply_log_conf(srv.gen->conf);
    srv.conf_path = o->conf_path;
    srv.handler = &bw_px_exchange_handler;
    srv.kind = BW_LK_PROXY;
    nw = o->workers > 0 ? (unsigned)o->workers : srv.gen->conf->workers ? srv.gen->conf->workers : ncpu();
    rv = bw_px_server_run(&srv, nw);
    bw_px_gen_unref(srv.gen);
    curl_global_cleanup();
    return rv;
}

int bw_px_check_config(const char *path)
{
    struct bw_px_gen *g = NULL;
    struct bw_errs errs;
    int rv;

    bw_errs_init(&errs, path);
    rv = bw_px_gen_load(path, NULL, &g, &errs);
    if (rv != 0) {
        bw_errs_print(&errs, stderr);
        if (errs.n == 0)
            fprintf(stderr, "%s: %s\n", path, bw_strerror(rv));
        bw_errs_free(&errs);
        return 2; /* the CLI's convention: 2 for bad input or configuration */
    }
    printf("%s: ok (%zu listeners, %zu routes, %zu upstreams, %zu guardrails)\n", path, g->conf->nlisteners,
           g->conf->nroutes, g->conf->nupstreams, g->conf->nguardrails);
    bw_errs_free(&errs);
    bw_px_gen_unref(g);
    return 0;
}
