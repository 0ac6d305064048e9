/*
 * cli_test.c: `bulwark test`, the policy test runner, for CI of a policy
 * repository: loads suites (policies/testrun.h), runs them, writes the
 * reports asked for (policies/report.h) and exits 0 when everything
 * passed, 1 when a case or a threshold failed, 2 when a suite, a dataset
 * or a guardrail is broken (nothing runs then) or a report cannot be
 * written.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filters/errs.h"
#include "policies/report.h"
#include "policies/testrun.h"

/* Declared here until proxy/cli.h, which the lead owns, lists it. */
int bw_cmd_test(int argc, char **argv);

static const char usage_text[] =
    "usage: bulwark test SUITE... [--guardrail FILE] [--junit FILE] [--tap] [--json FILE] [--html FILE] [-v]\n"
    "\n"
    "  SUITE            a suite file, or a directory: its *.json files, in name order\n"
    "  --guardrail FILE test FILE instead of the guardrail each suite names\n"
    "  --junit FILE     JUnit XML report (- for stdout)\n"
    "  --tap            TAP version 13 on stdout (the summary goes to stderr)\n"
    "  --json FILE      JSON report (- for stdout)\n"
    "  --html FILE      self-contained HTML report (- for stdout)\n"
    "  -v, --verbose    list the cases that passed too\n"
    "\n"
    "exit status: 0 all passed, 1 a case or threshold failed, 2 a suite, dataset or guardrail is broken\n";

struct opts {
    const char *guardrail, *junit, *json, *html;
    int tap, verbose;
};

/* A growable list of suite paths (owned strings). */
struct list {
    char **v;
    size_t n, cap;
};

static int push(struct list *l, char *s)
{
    if (s == NULL)
        return BW_ENOMEM;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, nc * sizeof(*nv));
        if (nv == NULL) {
            free(s);
            return BW_ENOMEM;
        }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory stands for the *.json files directly in it: suites sit next to their data/ and guardrails/. */
static int expand_dir(struct list *l, const char *dir)
{
    struct dirent *e;
    size_t first = l->n, dl = strlen(dir);
    DIR *d;
    int rv = 0;

    if ((d = opendir(dir)) == NULL)
        return BW_EIO;
    while (rv == 0 && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        struct stat st;
        char *p;

        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if ((p = malloc(dl + n + 2)) == NULL) {
            rv = BW_ENOMEM;
            break;
        }
        snprintf(p, dl + n + 2, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", e->d_name);
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        rv = push(l, p);
    }
    closedir(d);
    if (rv == 0)
        qsort(l->v + first, l->n - first, sizeof(*l->v), cmp_str);
    return rv;
}

/* Writes b to path ("-": stdout). Returns 0 or prints why not and returns 2. */
static int write_report(const char *what, const char *path, const struct bw_buf *b, int rv)
{
    FILE *f;
    int bad;

    if (rv != 0) {
        fprintf(stderr, "bulwark test: cannot render the %s report: %s\n", what, bw_strerror(rv));
        return 2;
    }
    f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "bulwark test: cannot write the %s report to %s: %s\n", what, path, strerror(errno));
        return 2;
    }
    bad = fwrite(b->base ? b->base : "", 1, b->len, f) != b->len;
    bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "bulwark test: cannot write the %s report to %s: %s\n", what, path, strerror(errno));
        return 2;
    }
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"guardrail", required_argument, NULL, 'g'},
        {"junit", required_argument, NULL, 'j'},
        {"tap", no_argument, NULL, 't'},
        {"json", required_argument, NULL, 'J'},
        {"html", required_argument, NULL, 'H'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "g:vh", lo, NULL)) != -1) {
        switch (c) {
        case 'g':
            o->guardrail = optarg;
            break;
        case 'j':
            o->junit = optarg;
            break;
        case 't':
            o->tap = 1;
            break;
        case 'J':
            o->json = optarg;
            break;
        case 'H':
            o->html = optarg;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'h':
            return 3;
        default:
            fprintf(stderr, "bulwark test: unknown or incomplete option \"%s\"\n%s", argv[optind - 1], usage_text);
            return 2;
        }
    }
    return 0;
}

int bw_cmd_test(int argc, char **argv)
{
    struct bw_pol_test_run run;
    struct list suites = {NULL, 0, 0};
    struct bw_errs errs;
    struct bw_buf b;
    struct opts o;
    FILE *summary;
    size_t i;
    int rv, status = 2, stdout_taken;

    if ((rv = parse_opts(argc, argv, &o)) != 0) {
        if (rv == 3) {
            fputs(usage_text, stdout);
            return 0;
        }
        return rv;
    }
    if (optind >= argc) {
        fprintf(stderr, "bulwark test: no SUITE given\n%s", usage_text);
        return 2;
    }
    stdout_taken = o.tap || (o.junit && strcmp(o.junit, "-") == 0) || (o.json && strcmp(o.json, "-") == 0) ||
                   (o.html && strcmp(o.html, "-") == 0);
    /* the readable summary must not corrupt a machine-readable stdout */
    summary = stdout_taken ? stderr : stdout;

    bw_errs_init(&errs, NULL);
    bw_pol_test_init(&run);
    bw_buf_init(&b, BW_POL_TEST_REPORT_MAX);
    for (i = (size_t)optind; i < (size_t)argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            size_t before = suites.n;
            if ((rv = expand_dir(&suites, argv[i])) != 0) {
                fprintf(stderr, "bulwark test: %s: %s\n", argv[i], rv == BW_EIO ? strerror(errno) : bw_strerror(rv));
                goto out;
            }
            if (suites.n == before) {
                fprintf(stderr, "bulwark test: %s: no *.json suite in this directory\n", argv[i]);
                goto out;
            }
        } else if (push(&suites, strdup(argv[i])) != 0) {
            fprintf(stderr, "bulwark test: out of memory\n");
            goto out;
        }
    }
    /* validate everything before running anything: a broken suite is exit 2, not a partial run */
    for (i = 0; i < suites.n; i++) {
        rv = bw_pol_test_load(&run, suites.v[i], o.guardrail, &errs);
        if (rv == BW_ENOMEM) {
            fprintf(stderr, "bulwark test: out of memory\n");
            goto out;
        }
    }
    if (errs.n || errs.dropped) {
        bw_errs_print(&errs, stderr);
        fprintf(stderr, "bulwark test: %zu problem%s in the suites; nothing was run\n", errs.n + errs.dropped,
                errs.n + errs.dropped == 1 ? "" : "s");
        goto out;
    }
    if ((rv = bw_pol_test_exec(&run, &errs)) != 0) {
        bw_errs_print(&errs, stderr);
        fprintf(stderr, "bulwark test: %s\n",
                rv == BW_ECONFIG ? "a guardrail does not compile; nothing was run" : bw_strerror(rv));
        goto out;
    }
    status = bw_pol_test_ok(&run) ? 0 : 1;
    if (o.tap) {
        rv = bw_pol_test_report_tap(&run, &b);
        if (write_report("TAP", "-", &b, rv) != 0)
            status = 2;
        bw_buf_reset(&b);
    }
    if (o.junit) {
        rv = bw_pol_test_report_junit(&run, &b);
        if (write_report("JUnit", o.junit, &b, rv) != 0)
            status = 2;
        bw_buf_reset(&b);
    }
    if (o.json) {
        rv = bw_pol_test_report_json(&run, &b);
        if (write_report("JSON", o.json, &b, rv) != 0)
            status = 2;
        bw_buf_reset(&b);
    }
    if (o.html) {
        rv = bw_pol_test_report_html(&run, &b);
        if (write_report("HTML", o.html, &b, rv) != 0)
            status = 2;
        bw_buf_reset(&b);
    }
    rv = bw_pol_test_report_text(&run, o.verbose, &b);
    if (rv != 0)
        fprintf(stderr, "bulwark test: cannot render the summary: %s\n", bw_strerror(rv));
    fwrite(b.base ? b.base : "", 1, b.len, summary);
    fflush(summary);
out:
    for (i = 0; i < suites.n; i++)
        free(suites.v[i]);
    free(suites.v);
    bw_buf_free(&b);
    bw_pol_test_free(&run);
    bw_errs_free(&errs);
    return status;
}
