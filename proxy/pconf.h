/*
 * pconf.h: the proxy configuration (conf/bulwark.json), validated the way
 * guardrail files are: every problem of the file is collected as
 * "FILE: JSON.path: problem" ("FILE:LINE:COL: problem" for malformed
 * JSON), unknown and duplicate keys are errors, numbers are range-checked,
 * names cross-referenced (a route's upstream and guardrail must exist).
 * Relative paths resolve against the directory of the configuration file;
 * ${VAR} in upstream header values and credentials comes from the
 * environment at load time (and is never logged).
 *
 * The loaded configuration is immutable; everything lives in its arena.
 * docs/proxy.md documents every key.
 */
#ifndef BW_PX_PCONF_H
#define BW_PX_PCONF_H

#include <sys/socket.h>

#include "filters/arena.h"
#include "filters/errs.h"

/* what a route's "api" key says */
enum bw_px_apimode {
    BW_PX_API_AUTO = 0, /* by method and path */
    BW_PX_API_OPENAI,
    BW_PX_API_ANTHROPIC,
    BW_PX_API_BEDROCK,
    BW_PX_API_GENERIC
};

enum bw_px_httpver { BW_PX_HTTP_AUTO = 0, BW_PX_HTTP_1_1, BW_PX_HTTP_2 };

struct bw_px_addr {
    const char *text; /* as written */
    struct sockaddr_storage sa;
    socklen_t salen;
};

struct bw_px_tls_conf {
    const char *certificate; /* resolved paths */
    const char *private_key;
    int min_version;         /* TLS1_2_VERSION or TLS1_3_VERSION */
    const char *ciphers;     /* TLS 1.2 cipher list, NULL: bulwark's default */
};

struct bw_px_listener_conf {
    struct bw_px_addr addr;
    int tls;                 /* has a "tls" object */
    struct bw_px_tls_conf tlsc;
    int http2;               /* offer h2 (ALPN) and accept h2c */
};

struct bw_px_hdr_conf {
    const char *name;  /* lower case */
    const char *value; /* ${VAR} expanded */
    int add_only;      /* only when the client did not send it */
};

struct bw_px_sigv4_conf {
    const char *region, *service;
    const char *access_key, *secret_key, *session_token; /* expanded; token may be NULL */
};

struct bw_px_upstream_conf {
    const char *name;
    const char *url;       /* scheme://host[:port][/base], without a trailing slash */
    int https;
    unsigned connect_timeout_ms, response_timeout_ms, idle_timeout_ms;
    int http;              /* enum bw_px_httpver */
    int tls_verify;
    const char *ca_file;   /* resolved, NULL: system store */
    const struct bw_px_hdr_conf *headers;
    size_t nheaders;
    unsigned retries;      /* extra attempts when the connection failed before a byte came back */
    int has_sigv4;
    struct bw_px_sigv4_conf sigv4;
};

struct bw_px_grd_conf {
    const char *id, *version;
    const char *file; /* resolved */
};

struct bw_px_route_conf {
    const char *name;
    const char *host;        /* NULL: any; compared without port, case-insensitively */
    const char *path_prefix;
    size_t plen;
    size_t upstream;         /* index into upstreams */
    int api;                 /* enum bw_px_apimode */
    int guardrail;           /* index into guardrails, -1: none */
    int input, output;       /* directions guarded */
    int on_error_pass;       /* runtime guardrail faults let the exchange through */
    int trace;               /* clients may ask for the trace */
    int client_any;          /* clients may name any configured guardrail */
    const char *const *client_ids; /* ... or these ids */
    size_t nclient;
    const char *const *gen_in, *const *gen_out; /* generic: JSON pointers */
    size_t ngen_in, ngen_out;
    int passthrough_unknown; /* forward bodies of requests no adapter knows, unguarded */
    int strip_prefix;        /* the upstream (and the API detection) sees the path without path_prefix */
    int stream_async;        /* "stream_mode": "async": streamed answers are checked beside, not before */
    unsigned metric_slot;    /* set by the metrics layer */
};

struct bw_px_limits {
    size_t max_body_bytes, max_header_bytes;
    unsigned idle_timeout_ms;    /* keep-alive and stalled connections */
    unsigned request_timeout_ms; /* whole request head and body */
    unsigned drain_timeout_ms;   /* SIGTERM: how long in-flight exchanges get */
    unsigned max_connections;    /* per process */
    unsigned max_concurrent_streams; /* HTTP/2, per connection */
    size_t max_stream_bytes;     /* text of one guarded streamed answer */
};

struct bw_pconf {
    struct bw_arena arena;
    const char *file, *dir;
    struct bw_px_listener_conf *listeners;
    size_t nlisteners;
    int has_admin;
    struct bw_px_listener_conf admin;
    unsigned workers;        /* 0: one per core */
    struct bw_px_grd_conf *guardrails;
    size_t nguardrails;
    struct bw_px_upstream_conf *upstreams;
    size_t nupstreams;
    struct bw_px_route_conf *routes;
    size_t nroutes;
    struct bw_px_limits limits;
    int apply_api;           /* answer POST /guardrail/{id}/version/{v}/apply */
    int log_level;
    const char *log_error, *log_access, *log_audit; /* "stderr", "stdout", "off" or a resolved path */
};

/*
 * Loads and validates a configuration file. On success *out is owned by the
 * caller (bw_pconf_free). On failure returns BW_ECONFIG with every problem
 * in errs, BW_EIO (errs says why) or BW_ENOMEM. Guardrail files are not
 * read here (the registry compiles them).
 */
int bw_pconf_load(const char *path, struct bw_pconf **out, struct bw_errs *errs);
/* The same from memory; path names the file in errors and anchors relative paths. */
int bw_pconf_load_mem(const char *path, const char *json, size_t len, struct bw_pconf **out, struct bw_errs *errs);
void bw_pconf_free(struct bw_pconf *c);

/* Parses "host:port", "[v6]:port", ":port" or "*:port". Returns 0 or BW_EINVAL. */
int bw_px_parse_addr(const char *s, struct sockaddr_storage *sa, socklen_t *salen);

/* The guardrail index for (id, version); version NULL: the first with id. -1 when none. */
int bw_pconf_guardrail(const struct bw_pconf *c, const char *id, const char *version);

#endif
