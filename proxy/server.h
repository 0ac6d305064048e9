/*
 * server.h: the process: the main thread (signals, reload, the admin
 * listener) and the worker threads (the proxy listeners). Also serves the
 * mock model (mock-llm), which is the same machinery with another handler.
 */
#ifndef BW_PX_SERVER_H
#define BW_PX_SERVER_H

#include "proxy/worker.h"

struct bw_px_server {
    const char *conf_path;
    struct bw_px_gen *gen;          /* the current generation (one reference) */
    struct bw_px_worker *workers;
    unsigned nworkers;
    struct bw_px_worker main;       /* the main thread: admin listener, signals */
    struct bw_px_io sig_io;
    unsigned running;               /* worker threads not finished */
    int draining;
    int signals;                    /* stop signals seen */
    pthread_t reload_th;
    int reloading, reload_again;    /* a reload runs; another SIGHUP came meanwhile */
    const struct bw_px_handler *handler; /* of the worker listeners */
    int kind;                       /* enum bw_px_lkind of the worker listeners */
};

struct bw_px_serve_opts {
    const char *conf_path;
    int workers;                    /* -1: from the configuration */
};

/* `bulwark serve`: runs until SIGTERM/SIGINT; returns the exit status. */
int bw_px_serve(const struct bw_px_serve_opts *o);

/*
 * Runs a server of kind with handler on a configuration generation already
 * built (mock-llm builds its own). Returns the exit status.
 */
int bw_px_server_run(struct bw_px_server *srv, unsigned nworkers);

/* A worker thread ended (called on that thread). */
void bw_px_server_worker_done(struct bw_px_server *srv, struct bw_px_worker *w);

/* Every metrics block of the process (workers and main), for /metrics. */
size_t bw_px_server_metrics(struct bw_px_server *srv, struct bw_px_metrics **out, size_t max);

/* `bulwark check --config FILE`: validates without serving. Returns the exit status. */
int bw_px_check_config(const char *path);

/* Subcommands (cli_serve.c); argv[0] is the command's name. */
int bw_cmd_serve(int argc, char **argv);
int bw_cmd_mock_llm(int argc, char **argv);
/* check --config FILE, or check FILE... (guardrail files, cli.h) */
int bw_cmd_check_any(int argc, char **argv);

/* The admin endpoints: /healthz, /readyz, /metrics. */
extern const struct bw_px_handler bw_px_admin_handler;

#endif
