/* Tests of proxy/pconf.c: the proxy configuration loader and its errors. */
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "proxy/pconf.c"
#include "tests/unit/testutil.h"

static struct bw_pconf *load(const char *json, struct bw_errs *errs)
{
    struct bw_pconf *c = NULL;

    bw_errs_init(errs, "t.json");
    bw_pconf_load_mem("/etc/bw/t.json", json, strlen(json), &c, errs);
    return c;
}

static int has(const struct bw_errs *e, const char *s)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        if (strstr(e->msg[i], s))
            return 1;
    return 0;
}

#define MIN "\"listeners\":[{\"address\":\"127.0.0.1:8080\"}],\"upstreams\":[{\"name\":\"u\",\"url\":\"http://h:1\"}]"

static void test_pconf_demo_config(void)
{
    struct bw_pconf *c = NULL;
    struct bw_errs e;

    bw_errs_init(&e, "conf/bulwark.json");
    CU_ASSERT_EQUAL_FATAL(bw_pconf_load("conf/bulwark.json", &c, &e), 0);
    CU_ASSERT_EQUAL(c->nlisteners, 2);
    CU_ASSERT(c->listeners[1].tls);
    CU_ASSERT_STRING_EQUAL(c->listeners[1].tlsc.certificate, "conf/tls/demo.crt");
    CU_ASSERT_STRING_EQUAL(c->guardrails[0].file, "conf/guardrails/demo.json");
    CU_ASSERT_STRING_EQUAL(c->guardrails[0].version, "DRAFT");
    CU_ASSERT(c->has_admin);
    CU_ASSERT_EQUAL(c->workers, 0);
    CU_ASSERT_EQUAL(c->limits.max_body_bytes, 8388608);
    CU_ASSERT_EQUAL(c->routes[0].guardrail, 0);
    CU_ASSERT(c->routes[0].input && c->routes[0].output);
    CU_ASSERT(!c->routes[0].on_error_pass);
    CU_ASSERT_EQUAL(c->upstreams[0].connect_timeout_ms, 2000);
    CU_ASSERT(c->upstreams[0].tls_verify);
    bw_pconf_free(c);
    bw_errs_free(&e);
}

static void test_pconf_defaults(void)
{
    struct bw_errs e;
    struct bw_pconf *c = load("{" MIN ",\"routes\":[{\"upstream\":\"u\"}]}", &e);

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(c->routes[0].path_prefix, "/");
    CU_ASSERT_STRING_EQUAL(c->routes[0].name, "route0");
    CU_ASSERT_EQUAL(c->routes[0].guardrail, -1);
    CU_ASSERT_EQUAL(c->routes[0].api, BW_PX_API_AUTO);
    CU_ASSERT(!c->routes[0].trace);
    CU_ASSERT_EQUAL(c->limits.max_header_bytes, 65536);
    CU_ASSERT_EQUAL(c->limits.max_concurrent_streams, 100);
    CU_ASSERT_EQUAL(c->upstreams[0].retries, 1);
    CU_ASSERT_EQUAL(c->upstreams[0].response_timeout_ms, 120000);
    CU_ASSERT(c->apply_api);
    CU_ASSERT_STRING_EQUAL(c->log_access, "stderr");
    bw_pconf_free(c);
    bw_errs_free(&e);
}

static void test_pconf_env_and_paths(void)
{
    struct bw_errs e;
    struct bw_pconf *c;

    setenv("BW_T_KEY", "s3cr3t", 1);
    c = load("{\"listeners\":[{\"address\":\"[::1]:0\"}],\"upstreams\":[{\"name\":\"u\",\"url\":"
             "\"https://api.example.com/v1/\",\"tls\":{\"ca_file\":\"/dev/null\",\"verify\":false},\"headers\":"
             "[{\"name\":\"Authorization\",\"value\":\"Bearer ${BW_T_KEY}$$\"}]}],\"routes\":[{\"upstream\":\"u\"}],"
             "\"log\":{\"access\":\"logs/a.log\"}}",
             &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(c->upstreams[0].headers[0].name, "authorization");
    CU_ASSERT_STRING_EQUAL(c->upstreams[0].headers[0].value, "Bearer s3cr3t$");
    CU_ASSERT_STRING_EQUAL(c->upstreams[0].url, "https://api.example.com/v1");
    CU_ASSERT(c->upstreams[0].https);
    CU_ASSERT(!c->upstreams[0].tls_verify);
    CU_ASSERT_STRING_EQUAL(c->log_access, "/etc/bw/logs/a.log");
    CU_ASSERT_EQUAL(c->listeners[0].addr.sa.ss_family, AF_INET6);
    bw_pconf_free(c);
    bw_errs_free(&e);
}

static void test_pconf_duplicate_key(void)
{
    struct bw_errs e;
    struct bw_pconf *c = load("{" MIN "," MIN ",\"routes\":[{\"upstream\":\"u\"}]}", &e);

    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT(has(&e, "t.json: listeners: duplicate key"));
    bw_errs_free(&e);
}

static void test_pconf_route_options(void)
{
    struct bw_errs e;
    struct bw_pconf *c = load("{" MIN ",\"routes\":[{\"name\":\"g\",\"path_prefix\":\"/gen\",\"strip_prefix\":true,"
                              "\"upstream\":\"u\",\"api\":\"generic\",\"generic\":{\"input\":[\"/prompt\"],\"output\":"
                              "[\"/text\",\"/more/0\"]},\"directions\":[\"output\"],\"on_error\":\"pass\","
                              "\"client_guardrails\":[\"*\"],\"trace\":true,\"host\":\"api.example.com\"}]}",
                              &e);

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->routes[0].api, BW_PX_API_GENERIC);
    CU_ASSERT_EQUAL(c->routes[0].ngen_in, 1);
    CU_ASSERT_EQUAL(c->routes[0].ngen_out, 2);
    CU_ASSERT_STRING_EQUAL(c->routes[0].gen_out[1], "/more/0");
    CU_ASSERT(!c->routes[0].input && c->routes[0].output);
    CU_ASSERT(c->routes[0].on_error_pass && c->routes[0].client_any && c->routes[0].trace);
    CU_ASSERT(c->routes[0].strip_prefix);
    CU_ASSERT_STRING_EQUAL(c->routes[0].host, "api.example.com");
    bw_pconf_free(c);
    bw_errs_free(&e);
    c = load("{" MIN ",\"routes\":[{\"upstream\":\"u\",\"generic\":{\"input\":[\"prompt\"]}}]}", &e);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT(has(&e, "routes[0].generic.input[0]: \"prompt\" is not a JSON pointer"));
    bw_errs_free(&e);
}

static void test_pconf_stream_keys(void)
{
    struct bw_errs e;
    struct bw_pconf *c = load("{" MIN ",\"routes\":[{\"upstream\":\"u\",\"stream_mode\":\"async\"},"
                              "{\"upstream\":\"u\"}],\"limits\":{\"max_stream_bytes\":100000}}",
                              &e);

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(c->routes[0].stream_async && !c->routes[1].stream_async);
    CU_ASSERT_EQUAL(c->limits.max_stream_bytes, 100000);
    bw_pconf_free(c);
    bw_errs_free(&e);
    c = load("{" MIN ",\"routes\":[{\"upstream\":\"u\"}]}", &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->limits.max_stream_bytes, 4u << 20);
    bw_pconf_free(c);
    bw_errs_free(&e);
    c = load("{" MIN ",\"routes\":[{\"upstream\":\"u\",\"stream_mode\":\"later\"}],"
             "\"limits\":{\"max_stream_bytes\":1}}",
             &e);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT(has(&e, "routes[0].stream_mode"));
    CU_ASSERT(has(&e, "limits.max_stream_bytes"));
    bw_errs_free(&e);
}

static void test_pconf_addr(void)
{
    struct sockaddr_storage sa;
    socklen_t sl;

    CU_ASSERT_EQUAL(bw_px_parse_addr("127.0.0.1:80", &sa, &sl), 0);
    CU_ASSERT_EQUAL(bw_px_parse_addr("[::]:443", &sa, &sl), 0);
    CU_ASSERT_EQUAL(sa.ss_family, AF_INET6);
    CU_ASSERT_EQUAL(bw_px_parse_addr("*:8080", &sa, &sl), 0);
    CU_ASSERT_EQUAL(bw_px_parse_addr(":8080", &sa, &sl), 0);
    CU_ASSERT_EQUAL(bw_px_parse_addr("localhost:0", &sa, &sl), 0);
    CU_ASSERT_NOT_EQUAL(bw_px_parse_addr("127.0.0.1", &sa, &sl), 0);
    CU_ASSERT_NOT_EQUAL(bw_px_parse_addr("127.0.0.1:", &sa, &sl), 0);
    CU_ASSERT_NOT_EQUAL(bw_px_parse_addr("127.0.0.1:-1", &sa, &sl), 0);
    CU_ASSERT_NOT_EQUAL(bw_px_parse_addr("127.0.0.1:65536", &sa, &sl), 0);
    CU_ASSERT_NOT_EQUAL(bw_px_parse_addr("example.com:80", &sa, &sl), 0);
    CU_ASSERT_NOT_EQUAL(bw_px_parse_addr("::1:80", &sa, &sl), 0);
    CU_ASSERT_NOT_EQUAL(bw_px_parse_addr("[::1]80", &sa, &sl), 0);
}

/* tests/data/proxy/bad_pconf/NAME.json must give exactly the lines of NAME.err */
static void test_pconf_golden_errors(void)
{
    const char *dir = "tests/data/proxy/bad_pconf";
    char cwd[4096];
    struct dirent *d;
    DIR *dp;
    int n = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
    CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dp = opendir("."));
    while ((d = readdir(dp)) != NULL) {
        size_t l = strlen(d->d_name), i;
        char errf[512], *want;
        struct bw_pconf *c = NULL;
        struct bw_errs e;
        struct bw_buf got;

        if (l < 6 || strcmp(d->d_name + l - 5, ".json") != 0)
            continue;
        snprintf(errf, sizeof(errf), "%.*s.err", (int)(l - 5), d->d_name);
        want = bw_test_slurp(errf, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(want);
        bw_errs_init(&e, d->d_name);
        CU_ASSERT_NOT_EQUAL(bw_pconf_load(d->d_name, &c, &e), 0);
        CU_ASSERT_PTR_NULL(c);
        bw_buf_init(&got, 0);
        for (i = 0; i < e.n; i++)
            bw_buf_printf(&got, "%s\n", e.msg[i]);
        if (got.base == NULL || strcmp(got.base, want) != 0)
            fprintf(stderr, "\n%s: got\n%s\nwant\n%s\n", d->d_name, got.base ? got.base : "", want);
        CU_ASSERT(got.base && strcmp(got.base, want) == 0);
        bw_buf_free(&got);
        bw_errs_free(&e);
        free(want);
        n++;
    }
    closedir(dp);
    CU_ASSERT(n >= 4);
    CU_ASSERT_EQUAL(chdir(cwd), 0);
}

static const struct bw_test tests[] = {
    {"test_pconf_demo_config", test_pconf_demo_config},
    {"test_pconf_defaults", test_pconf_defaults},
    {"test_pconf_stream_keys", test_pconf_stream_keys},
    {"test_pconf_env_and_paths", test_pconf_env_and_paths},
    {"test_pconf_duplicate_key", test_pconf_duplicate_key},
    {"test_pconf_route_options", test_pconf_route_options},
    {"test_pconf_addr", test_pconf_addr},
    {"test_pconf_golden_errors", test_pconf_golden_errors},
};

BW_TEST_MAIN("pconf", tests)
