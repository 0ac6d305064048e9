/*
 * report.c: the reports of a policy test run (see report.h).
 *
 * Every renderer writes through one small writer that keeps the first
 * buffer error and ignores what follows, so the rendering code reads as
 * the document it writes instead of a ladder of checks; the error comes
 * back at the end.
 *
 * The same facts appear in every format: cases and threshold checks are
 * the test points of JUnit and TAP (a threshold that fails a CI run must be
 * visible where the CI system shows failures), datasets' confusion
 * matrices and the per-policy table are in the summary, JSON and HTML.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policies/report.h"

/* Cases listed under "slowest". */
#define SLOWEST 10
/* Characters of a text quoted in the summary, and in the HTML page. */
#define TEXT_QUOTE 160
#define HTML_QUOTE 20000
/* Histogram: at most this many bars (half-octave buckets, merged beyond). */
#define HIST_MAX_BARS 40

/* ------------------------------------------------------------------------ */
/* the writer */

struct w {
    struct bw_buf *b;
    int rv;
};

static void putn(struct w *o, const char *s, size_t n)
{
    if (o->rv == 0)
        o->rv = bw_buf_add(o->b, s, n);
}

static void put(struct w *o, const char *s)
{
    putn(o, s, strlen(s));
}

static void putf(struct w *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct w *o, const char *fmt, ...)
{
    va_list ap;

    if (o->rv)
        return;
    va_start(ap, fmt);
    o->rv = bw_buf_vprintf(o->b, fmt, ap);
    va_end(ap);
}

/* Length of the first `chars` characters of s (n bytes), never inside a sequence. */
static size_t cut_chars(const char *s, size_t n, size_t chars)
{
    size_t i, c = 0;

    for (i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && c++ == chars)
            return i;
    return n;
}

/* ------------------------------------------------------------------------ */
/* escaping */

int bw_pol_test_xml_escape(struct bw_buf *b, const char *s, size_t n, int attr)
{
    size_t i, run = 0;
    int rv = 0;

    for (i = 0; i < n && rv == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        char tmp[12];

        switch (c) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break; /* also keeps "]]>" out */
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        case '\n': e = attr ? "&#10;" : NULL; break;
        case '\r': e = "&#13;"; break;
        case '\t': e = attr ? "&#9;" : NULL; break;
        default:
            /* XML 1.0 has no way to carry other C0 controls, not even as
             * references: show them, as JSON would */
            if (c < 0x20 || c == 0x7f) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", c);
                e = tmp;
            } else if (c == 0xef && i + 2 < n && (unsigned char)s[i + 1] == 0xbf &&
                       ((unsigned char)s[i + 2] == 0xbe || (unsigned char)s[i + 2] == 0xbf)) {
                /* U+FFFE and U+FFFF are not XML characters either */
                e = (unsigned char)s[i + 2] == 0xbe ? "\\ufffe" : "\\uffff";
                if ((rv = bw_buf_add(b, s + i - run, run)) == 0)
                    rv = bw_buf_adds(b, e);
                run = 0;
                i += 2;
                continue;
            }
        }
        if (e == NULL) {
            run++;
            continue;
        }
        if ((rv = bw_buf_add(b, s + i - run, run)) == 0)
            rv = bw_buf_adds(b, e);
        run = 0;
    }
    if (rv == 0)
        rv = bw_buf_add(b, s + n - run, run);
    return rv;
}

int bw_pol_test_tap_escape(struct bw_buf *b, const char *s, size_t n)
{
    size_t i;
    int rv = 0;

    for (i = 0; i < n && rv == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '#' || c == '\\') {
            /* TAP: '#' starts a directive; '\' escapes it */
            char e[2] = {'\\', (char)c};
            rv = bw_buf_add(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            /* a test point is one line */
            rv = bw_buf_printf(b, "\\u%04x", c);
        } else {
            rv = bw_buf_addc(b, (char)c);
        }
    }
    return rv;
}

static void xml(struct w *o, const char *s, int attr)
{
    if (o->rv == 0)
        o->rv = bw_pol_test_xml_escape(o->b, s, strlen(s), attr);
}

static void xmln(struct w *o, const char *s, size_t n, int attr)
{
    if (o->rv == 0)
        o->rv = bw_pol_test_xml_escape(o->b, s, n, attr);
}

static void jstrn(struct w *o, const char *s, size_t n)
{
    put(o, "\"");
    if (o->rv == 0)
        o->rv = bw_buf_json_str(o->b, s, n);
    put(o, "\"");
}

static void jstr(struct w *o, const char *s)
{
    if (s == NULL)
        put(o, "null");
    else
        jstrn(o, s, strlen(s));
}

static void jnum(struct w *o, double v)
{
    if (isnan(v) || isinf(v))
        put(o, "null");
    else
        putf(o, "%.6g", v);
}

/* s in double quotes, JSON-escaped, cut at chars characters. */
static void quote(struct w *o, const char *s, size_t n, size_t chars)
{
    size_t k = cut_chars(s, n, chars);

    jstrn(o, s, k);
    if (k < n)
        put(o, "...");
}

/* ------------------------------------------------------------------------ */
/* shared facts */

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* A duration for people: 850 ns, 12.3 us, 1.25 ms, 2.1 s. */
static char *dur(uint64_t ns, int html, char *buf, size_t n)
{
    const char *us = html ? "\xc2\xb5s" : "us";

    if (ns < 1000)
        snprintf(buf, n, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(buf, n, "%.3g %s", (double)ns / 1e3, us);
    else if (ns < 1000000000)
        snprintf(buf, n, "%.3g ms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.3g s", (double)ns / 1e9);
    return buf;
}

static char *metric_str(double v, char *buf, size_t n)
{
    if (isnan(v))
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "%.3f", v);
    return buf;
}

struct lat {
    size_t n;
    uint64_t p50, p95, p99, max, sum;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles of every apply() latency of the run. */
static int lat_stats(const struct bw_pol_test_run *r, struct lat *l)
{
    uint64_t *v;
    size_t i;

    memset(l, 0, sizeof(*l));
    if (r->nlat == 0)
        return 0;
    if ((v = malloc(r->nlat * sizeof(*v))) == NULL)
        return BW_ENOMEM;
    memcpy(v, r->lat, r->nlat * sizeof(*v));
    qsort(v, r->nlat, sizeof(*v), cmp_u64);
    l->n = r->nlat;
#define RANK(q) v[(size_t)ceil((q) * (double)r->nlat) > 0 ? (size_t)ceil((q) * (double)r->nlat) - 1 : 0]
    l->p50 = RANK(0.50);
    l->p95 = RANK(0.95);
    l->p99 = RANK(0.99);
#undef RANK
    l->max = v[r->nlat - 1];
    for (i = 0; i < r->nlat; i++)
        l->sum += v[i];
    free(v);
    return 0;
}

/* Is this policy's row worth a line in the per-policy table? */
static int pol_row(const struct bw_pol_test_run *r, int p)
{
    const struct bw_pol_test_cm *c = &r->cm[p];

    return (p < BW_POL__N && r->pol_cases[p]) || c->tp + c->fp + c->tn + c->fn;
}

static int labelled(const struct bw_pol_test_dataset *ds, int p)
{
    return (ds->labelled >> p) & 1u;
}

/* The text of a case for a report: its first guarded block. */
static const struct bw_block *case_text(const struct bw_pol_test_case *tc)
{
    size_t i;

    for (i = 0; i < tc->nblocks; i++)
        if (bw_block_guarded(tc->blocks, tc->nblocks, i))
            return &tc->blocks[i];
    return tc->nblocks ? &tc->blocks[0] : NULL;
}

static const char *dir_name(int d)
{
    return d == BW_DIR_OUTPUT ? "OUTPUT" : "INPUT";
}

static const char *want_action(const struct bw_pol_test_case *tc)
{
    return bw_pol_test_verdict_name(tc->want_verdict);
}

/* Findings worth showing: detected ones, each match once. */
static int shown(const struct bw_pol_test_found *f)
{
    return f->detected && !f->dup;
}

static void check_str(const struct bw_pol_test_check *c, char *buf, size_t n)
{
    char v[32];

    snprintf(buf, n, "%s %s %s %s %.3f", bw_pol_test_policy_name(c->policy), bw_pol_test_metric_name(c->metric),
             metric_str(c->value, v, sizeof(v)), c->is_max ? "<=" : ">=", c->limit);
}

/* ------------------------------------------------------------------------ */
/* text */

static void text_case(struct w *o, const struct bw_pol_test_suite *s, const struct bw_pol_test_case *tc)
{
    static const char *const tag[] = {"ok  ", "FAIL", "skip", "ERR "};
    const struct bw_block *t = case_text(tc);
    char d[600];
    size_t i, nshown = 0;

    putf(o, "%s  %s :: %s  [%s", tag[tc->status], s->file, tc->name, dir_name(tc->dir));
    if (tc->status == BW_PT_SKIP) {
        put(o, ", skipped: ");
        put(o, tc->skip);
        put(o, "]\n");
        return;
    }
    putf(o, ", %s]\n", dur(tc->latency_ns, 0, d, sizeof(d)));
    if (tc->status == BW_PT_PASS)
        return;
    if (t) {
        put(o, "      text      ");
        quote(o, t->text, t->len, TEXT_QUOTE);
        if (tc->nblocks > 1)
            putf(o, " (+%zu more blocks)", tc->nblocks - 1);
        put(o, "\n");
    }
    putf(o, "      expected  %s\n", want_action(tc));
    if (tc->status != BW_PT_ERROR)
        putf(o, "      actual    %s\n", bw_pol_test_verdict_name(tc->verdict));
    for (i = 0; i < tc->nfails; i++)
        putf(o, "      problem   %s\n", tc->fails[i]);
    for (i = 0; i < tc->nfound; i++)
        if (shown(&tc->found[i])) {
            putf(o, "      %s %s\n", nshown++ ? "         " : "findings ",
                 bw_pol_test_found_str(&tc->found[i], d, sizeof(d)));
        }
    if (nshown == 0 && tc->status != BW_PT_ERROR)
        put(o, "      findings  (none)\n");
    for (i = 0; i < tc->ngot && tc->verdict != BW_PT_NONE; i++) {
        put(o, i ? "                " : "      output    ");
        quote(o, tc->got[i], strlen(tc->got[i]), TEXT_QUOTE);
        put(o, "\n");
    }
}

static void text_policy_table(struct w *o, const struct bw_pol_test_run *r)
{
    struct bw_pol_test_metrics m;
    char a[4][32];
    int p, any = 0;

    for (p = 0; p < BW_POL_TEST_NPOL; p++) {
        if (!pol_row(r, p))
            continue;
        if (!any++)
            put(o, r->rows ? "\nper policy    cases  failed      TP      FP      TN      FN  precision  recall      F1     "
                             "FPR\n"
                           : "\nper policy    cases  failed\n");
        bw_pol_test_metrics(&r->cm[p], &m);
        if (p < BW_POL__N)
            putf(o, "  %-10s %6zu %7zu", bw_pol_test_policy_name(p), r->pol_cases[p], r->pol_failed[p]);
        else
            putf(o, "  %-10s %6s %7s", bw_pol_test_policy_name(p), "-", "-");
        if (!r->rows) { /* no dataset: the columns would all read n/a */
            put(o, "\n");
            continue;
        }
        putf(o, " %7llu %7llu %7llu %7llu %10s %7s %7s %7s\n", (unsigned long long)r->cm[p].tp,
             (unsigned long long)r->cm[p].fp, (unsigned long long)r->cm[p].tn, (unsigned long long)r->cm[p].fn,
             metric_str(m.precision, a[0], 32), metric_str(m.recall, a[1], 32), metric_str(m.f1, a[2], 32),
             metric_str(m.fpr, a[3], 32));
    }
}

static void text_dataset(struct w *o, const struct bw_pol_test_suite *s, const struct bw_pol_test_dataset *ds)
{
    struct bw_pol_test_metrics m;
    char a[4][32], c[256];
    size_t i, k;
    int p;

    putf(o, "\ndataset %s (%s, %zu rows, %s, predicted = %s)\n", ds->name, s->file, ds->nrows, dir_name(ds->dir),
         ds->predict == BW_PT_PRED_DETECTED ? "detected" : "intervened");
    if (ds->errors)
        putf(o, "  ERROR  %d rows could not be evaluated\n", ds->errors);
    put(o, "  policy          TP      FP      TN      FN  precision  recall      F1     FPR\n");
    for (p = 0; p < BW_POL_TEST_NPOL; p++) {
        if (!labelled(ds, p))
            continue;
        bw_pol_test_metrics(&ds->cm[p], &m);
        putf(o, "  %-10s %7llu %7llu %7llu %7llu %10s %7s %7s %7s\n", bw_pol_test_policy_name(p),
             (unsigned long long)ds->cm[p].tp, (unsigned long long)ds->cm[p].fp, (unsigned long long)ds->cm[p].tn,
             (unsigned long long)ds->cm[p].fn, metric_str(m.precision, a[0], 32), metric_str(m.recall, a[1], 32),
             metric_str(m.f1, a[2], 32), metric_str(m.fpr, a[3], 32));
    }
    for (i = 0; i < ds->nchecks; i++) {
        check_str(&ds->checks[i], c, sizeof(c));
        putf(o, "  %s  %s\n", ds->checks[i].passed ? "ok  " : "FAIL", c);
    }
    for (p = 0; p < BW_POL_TEST_NPOL; p++)
        for (k = 0; k < 2; k++) {
            if (!ds->nex[p][k])
                continue;
            putf(o, "  %s %s at line", bw_pol_test_policy_name(p), k ? "false positives" : "false negatives");
            put(o, ds->nex[p][k] > 1 ? "s" : "");
            for (i = 0; i < ds->nex[p][k]; i++)
                putf(o, "%s %u", i ? "," : "", ds->rows[ds->ex[p][k][i]].line);
            k ? (void)putf(o, "%s\n", ds->cm[p].fp > ds->nex[p][k] ? ", ..." : "")
              : (void)putf(o, "%s\n", ds->cm[p].fn > ds->nex[p][k] ? ", ..." : "");
        }
}

int bw_pol_test_report_text(const struct bw_pol_test_run *r, int verbose, struct bw_buf *out)
{
    struct w o = {out, 0};
    struct lat l;
    char d[4][32];
    size_t i, k, ndatasets = 0;
    int rv;

    if ((rv = lat_stats(r, &l)) != 0)
        return rv;
    for (i = 0; i < r->nsuites; i++) {
        const struct bw_pol_test_suite *s = &r->suites[i];
        ndatasets += s->ndatasets;
        for (k = 0; k < s->ncases; k++)
            if (verbose || s->cases[k].status == BW_PT_FAIL || s->cases[k].status == BW_PT_ERROR)
                text_case(&o, s, &s->cases[k]);
    }
    for (i = 0; i < r->nsuites; i++)
        for (k = 0; k < r->suites[i].ndatasets; k++)
            text_dataset(&o, &r->suites[i], &r->suites[i].datasets[k]);
    text_policy_table(&o, r);
    putf(&o, "\n%zu suite%s, %zu case%s: %zu passed, %zu failed, %zu skipped, %zu errors", r->nsuites,
         r->nsuites == 1 ? "" : "s", r->cases, r->cases == 1 ? "" : "s", r->passed, r->failed, r->skipped,
         r->errors);
    if (ndatasets)
        putf(&o, "; %zu dataset%s (%zu rows), thresholds: %zu of %zu met", ndatasets, ndatasets == 1 ? "" : "s",
             r->rows, r->checks - r->checks_failed, r->checks);
    put(&o, "\n");
    if (l.n)
        putf(&o, "latency per apply: p50 %s, p95 %s, p99 %s, max %s over %zu evaluations\n",
             dur(l.p50, 0, d[0], 32), dur(l.p95, 0, d[1], 32), dur(l.p99, 0, d[2], 32), dur(l.max, 0, d[3], 32), l.n);
    put(&o, bw_pol_test_ok(r) ? "PASS\n" : "FAIL\n");
    return o.rv;
}

/* ------------------------------------------------------------------------ */
/* JUnit XML */

static void iso_time(long long t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        snprintf(buf, n, "1970-01-01T00:00:00");
}

/* A failure's body: the problems, the findings, the outputs. */
static void junit_body(struct w *o, const struct bw_pol_test_case *tc)
{
    const struct bw_block *t = case_text(tc);
    char d[600];
    size_t i;

    for (i = 0; i < tc->nfails; i++) {
        xml(o, tc->fails[i], 0);
        put(o, "\n");
    }
    if (t) {
        put(o, "text: ");
        xmln(o, t->text, cut_chars(t->text, t->len, HTML_QUOTE), 0);
        put(o, "\n");
    }
    for (i = 0; i < tc->nfound; i++)
        if (shown(&tc->found[i])) {
            put(o, "found: ");
            xml(o, bw_pol_test_found_str(&tc->found[i], d, sizeof(d)), 0);
            put(o, "\n");
        }
}

int bw_pol_test_report_junit(const struct bw_pol_test_run *r, struct bw_buf *out)
{
    struct w o = {out, 0};
    char ts[40], c[256];
    size_t i, k, j, tests = 0, fails = 0, errors = 0;

    for (i = 0; i < r->nsuites; i++)
        for (k = 0; k < r->suites[i].ndatasets; k++) {
            tests += r->suites[i].datasets[k].nchecks + (r->suites[i].datasets[k].errors ? 1 : 0);
            errors += r->suites[i].datasets[k].errors ? 1 : 0;
        }
    tests += r->cases;
    fails = r->failed + r->checks_failed;
    errors += r->errors;
    iso_time(r->started, ts, sizeof(ts));
    put(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    putf(&o, "<testsuites name=\"bulwark test\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
             "time=\"%.6f\" timestamp=\"%s\">\n",
         tests, fails, errors, r->skipped, (double)r->wall_ns / 1e9, ts);
    for (i = 0; i < r->nsuites; i++) {
        const struct bw_pol_test_suite *s = &r->suites[i];
        size_t st = s->ncases, sf = s->failed, se = s->errors;

        for (k = 0; k < s->ndatasets; k++) {
            st += s->datasets[k].nchecks + (s->datasets[k].errors ? 1 : 0);
            se += s->datasets[k].errors ? 1 : 0;
            for (j = 0; j < s->datasets[k].nchecks; j++)
                sf += !s->datasets[k].checks[j].passed;
        }
        put(&o, "  <testsuite name=\"");
        xml(&o, s->name, 1);
        put(&o, "\" file=\"");
        xml(&o, s->file, 1);
        putf(&o, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.6f\" timestamp=\"%s\">\n",
             st, sf, se, s->skipped, (double)s->latency_ns / 1e9, ts);
        put(&o, "    <properties><property name=\"guardrail\" value=\"");
        xml(&o, s->guardrail_path ? s->guardrail_path : "", 1);
        put(&o, "\"/></properties>\n");
        for (k = 0; k < s->ncases; k++) {
            const struct bw_pol_test_case *tc = &s->cases[k];
            put(&o, "    <testcase classname=\"");
            xml(&o, s->name, 1);
            put(&o, "\" name=\"");
            xml(&o, tc->name, 1);
            put(&o, "\" file=\"");
            xml(&o, s->file, 1);
            putf(&o, "\" time=\"%.6f\"", (double)tc->latency_ns / 1e9);
            if (tc->status == BW_PT_PASS) {
                put(&o, "/>\n");
                continue;
            }
            put(&o, ">\n");
            if (tc->status == BW_PT_SKIP) {
                put(&o, "      <skipped message=\"");
                xml(&o, tc->skip, 1);
                put(&o, "\"/>\n");
            } else {
                const char *el = tc->status == BW_PT_ERROR ? "error" : "failure";
                putf(&o, "      <%s type=\"%s\" message=\"", el, tc->status == BW_PT_ERROR ? "apply" : "expectation");
                xml(&o, tc->nfails ? tc->fails[0] : "", 1);
                if (tc->nfails > 1)
                    putf(&o, " (and %zu more)", tc->nfails - 1);
                put(&o, "\">");
                junit_body(&o, tc);
                putf(&o, "</%s>\n", el);
            }
            put(&o, "    </testcase>\n");
        }
        for (k = 0; k < s->ndatasets; k++) {
            const struct bw_pol_test_dataset *ds = &s->datasets[k];
            for (j = 0; j < ds->nchecks; j++) {
                const struct bw_pol_test_check *ck = &ds->checks[j];
                check_str(ck, c, sizeof(c));
                put(&o, "    <testcase classname=\"");
                xml(&o, s->name, 1);
                put(&o, ".datasets\" name=\"");
                xml(&o, ds->name, 1);
                put(&o, ": ");
                putf(&o, "%s %s %s %.3f", bw_pol_test_policy_name(ck->policy), bw_pol_test_metric_name(ck->metric),
                     ck->is_max ? "&lt;=" : "&gt;=", ck->limit);
                put(&o, "\" file=\"");
                xml(&o, s->file, 1);
                putf(&o, "\" time=\"%.6f\"", (double)ds->latency_ns / 1e9);
                if (ck->passed) {
                    put(&o, "/>\n");
                    continue;
                }
                put(&o, ">\n      <failure type=\"threshold\" message=\"");
                xml(&o, c, 1);
                put(&o, "\">");
                xml(&o, c, 0);
                putf(&o, "\nTP %llu, FP %llu, TN %llu, FN %llu</failure>\n    </testcase>\n",
                     (unsigned long long)ds->cm[ck->policy].tp, (unsigned long long)ds->cm[ck->policy].fp,
                     (unsigned long long)ds->cm[ck->policy].tn, (unsigned long long)ds->cm[ck->policy].fn);
            }
            if (ds->errors) {
                put(&o, "    <testcase classname=\"");
                xml(&o, s->name, 1);
                put(&o, ".datasets\" name=\"");
                xml(&o, ds->name, 1);
                putf(&o, ": evaluation\" time=\"0\">\n      <error type=\"apply\" message=\"%d rows could not be "
                         "evaluated\"/>\n    </testcase>\n",
                     ds->errors);
            }
        }
        put(&o, "  </testsuite>\n");
    }
    put(&o, "</testsuites>\n");
    return o.rv;
}

/* ------------------------------------------------------------------------ */
/* TAP */

static void tap_point(struct w *o, size_t *n, int ok, const char *suite, const char *what, const char *what2)
{
    putf(o, "%sok %zu - ", ok ? "" : "not ", ++*n);
    if (o->rv == 0)
        o->rv = bw_pol_test_tap_escape(o->b, suite, strlen(suite));
    put(o, ": ");
    if (o->rv == 0)
        o->rv = bw_pol_test_tap_escape(o->b, what, strlen(what));
    if (what2 && o->rv == 0)
        o->rv = bw_pol_test_tap_escape(o->b, what2, strlen(what2));
}

int bw_pol_test_report_tap(const struct bw_pol_test_run *r, struct bw_buf *out)
{
    struct w o = {out, 0};
    char d[600], c[256];
    size_t i, k, j, n = 0, total = r->cases;

    for (i = 0; i < r->nsuites; i++)
        for (k = 0; k < r->suites[i].ndatasets; k++)
            total += r->suites[i].datasets[k].nchecks + (r->suites[i].datasets[k].errors ? 1 : 0);
    putf(&o, "TAP version 13\n1..%zu\n", total);
    for (i = 0; i < r->nsuites; i++) {
        const struct bw_pol_test_suite *s = &r->suites[i];
        for (k = 0; k < s->ncases; k++) {
            const struct bw_pol_test_case *tc = &s->cases[k];
            tap_point(&o, &n, tc->status == BW_PT_PASS || tc->status == BW_PT_SKIP, s->name, tc->name, NULL);
            if (tc->status == BW_PT_SKIP) {
                put(&o, " # SKIP ");
                if (o.rv == 0)
                    o.rv = bw_pol_test_tap_escape(o.b, tc->skip, strlen(tc->skip));
            }
            put(&o, "\n");
            if (tc->status != BW_PT_FAIL && tc->status != BW_PT_ERROR)
                continue;
            /* YAML diagnostics: JSON strings are YAML double-quoted scalars */
            put(&o, "  ---\n  file: ");
            jstr(&o, s->file);
            put(&o, "\n  expected: ");
            jstr(&o, want_action(tc));
            put(&o, "\n  actual: ");
            jstr(&o, tc->status == BW_PT_ERROR ? "error" : bw_pol_test_verdict_name(tc->verdict));
            put(&o, "\n  failures:\n");
            for (j = 0; j < tc->nfails; j++) {
                put(&o, "    - ");
                jstr(&o, tc->fails[j]);
                put(&o, "\n");
            }
            put(&o, "  findings:");
            for (j = 0, d[0] = 0; j < tc->nfound; j++)
                if (shown(&tc->found[j])) {
                    put(&o, "\n    - ");
                    jstr(&o, bw_pol_test_found_str(&tc->found[j], d, sizeof(d)));
                }
            put(&o, d[0] ? "\n  ...\n" : " []\n  ...\n");
        }
        for (k = 0; k < s->ndatasets; k++) {
            const struct bw_pol_test_dataset *ds = &s->datasets[k];
            for (j = 0; j < ds->nchecks; j++) {
                check_str(&ds->checks[j], c, sizeof(c));
                tap_point(&o, &n, ds->checks[j].passed, s->name, ds->name, NULL);
                put(&o, " ");
                if (o.rv == 0)
                    o.rv = bw_pol_test_tap_escape(o.b, c, strlen(c));
                put(&o, "\n");
            }
            if (ds->errors) {
                tap_point(&o, &n, 0, s->name, ds->name, " evaluation");
                putf(&o, "\n  ---\n  message: \"%d rows could not be evaluated\"\n  ...\n", ds->errors);
            }
        }
    }
    return o.rv;
}

/* ------------------------------------------------------------------------ */
/* JSON */

static void json_metrics(struct w *o, const struct bw_pol_test_cm *cm)
{
    struct bw_pol_test_metrics m;

    bw_pol_test_metrics(cm, &m);
    putf(o, "\"tp\":%llu,\"fp\":%llu,\"tn\":%llu,\"fn\":%llu,\"precision\":", (unsigned long long)cm->tp,
         (unsigned long long)cm->fp, (unsigned long long)cm->tn, (unsigned long long)cm->fn);
    jnum(o, m.precision);
    put(o, ",\"recall\":");
    jnum(o, m.recall);
    put(o, ",\"f1\":");
    jnum(o, m.f1);
    put(o, ",\"fpr\":");
    jnum(o, m.fpr);
}

static void json_found(struct w *o, const struct bw_pol_test_found *f)
{
    static const char *const acts[] = {"NONE", "BLOCKED", "ANONYMIZED"};
    char d[600];

    put(o, "{\"policy\":");
    jstr(o, bw_pol_test_policy_name(f->policy));
    put(o, ",\"summary\":");
    jstr(o, bw_pol_test_found_str(f, d, sizeof(d)));
    if (f->name) {
        put(o, ",\"name\":");
        jstr(o, f->name);
    }
    if (f->match) {
        putf(o, ",\"block\":%u,\"start\":%u,\"end\":%u,\"match\":", f->block, f->start, f->end);
        jstr(o, f->match);
    }
    if (f->policy == BW_POL_GROUNDING) {
        put(o, ",\"score\":");
        jnum(o, f->score);
        put(o, ",\"threshold\":");
        jnum(o, f->threshold);
    }
    putf(o, ",\"action\":\"%s\",\"detected\":%s}", acts[f->action <= 2 ? f->action : 0],
         f->detected ? "true" : "false");
}

static void json_case(struct w *o, const struct bw_pol_test_case *tc)
{
    size_t i, n = 0;

    put(o, "{\"name\":");
    jstr(o, tc->name);
    put(o, ",\"path\":");
    jstr(o, tc->path);
    putf(o, ",\"source\":\"%s\",\"status\":\"%s\",\"latency_ms\":", dir_name(tc->dir),
         bw_pol_test_status_name(tc->status));
    jnum(o, ms(tc->latency_ns));
    if (tc->skip) {
        put(o, ",\"skip\":");
        jstr(o, tc->skip);
    }
    put(o, ",\"expected\":{\"action\":");
    jstr(o, want_action(tc));
    if (tc->outputs) {
        put(o, ",\"outputs\":[");
        for (i = 0; i < tc->noutputs; i++) {
            put(o, i ? "," : "");
            jstr(o, tc->outputs[i]);
        }
        put(o, "]");
    }
    put(o, "}");
    if (tc->status == BW_PT_PASS || tc->status == BW_PT_FAIL) {
        put(o, ",\"actual\":{\"action\":");
        jstr(o, bw_pol_test_verdict_name(tc->verdict));
        put(o, ",\"findings\":[");
        for (i = 0; i < tc->nfound; i++)
            if (shown(&tc->found[i])) {
                put(o, n++ ? "," : "");
                json_found(o, &tc->found[i]);
            }
        put(o, "],\"outputs\":[");
        for (i = 0; i < tc->ngot; i++) {
            put(o, i ? "," : "");
            jstr(o, tc->got[i]);
        }
        put(o, "]}");
    }
    put(o, ",\"failures\":[");
    for (i = 0; i < tc->nfails; i++) {
        put(o, i ? "," : "");
        jstr(o, tc->fails[i]);
    }
    put(o, "]}");
}

static void json_dataset(struct w *o, const struct bw_pol_test_dataset *ds)
{
    size_t i, k, n = 0;
    int p;

    put(o, "{\"name\":");
    jstr(o, ds->name);
    put(o, ",\"path\":");
    jstr(o, ds->path);
    putf(o, ",\"source\":\"%s\",\"predicted\":\"%s\",\"rows\":%zu,\"errors\":%d,\"latency_ms\":", dir_name(ds->dir),
         ds->predict == BW_PT_PRED_DETECTED ? "detected" : "intervened", ds->nrows, ds->errors);
    jnum(o, ms(ds->latency_ns));
    put(o, ",\"policies\":[");
    for (p = 0; p < BW_POL_TEST_NPOL; p++) {
        if (!labelled(ds, p))
            continue;
        put(o, n++ ? ",{\"policy\":" : "{\"policy\":");
        jstr(o, bw_pol_test_policy_name(p));
        put(o, ",");
        json_metrics(o, &ds->cm[p]);
        for (k = 0; k < 2; k++) {
            put(o, k ? ",\"false_positive_lines\":[" : ",\"false_negative_lines\":[");
            for (i = 0; i < ds->nex[p][k]; i++)
                putf(o, "%s%u", i ? "," : "", ds->rows[ds->ex[p][k][i]].line);
            put(o, "]");
        }
        put(o, "}");
    }
    put(o, "],\"thresholds\":[");
    for (i = 0; i < ds->nchecks; i++) {
        const struct bw_pol_test_check *c = &ds->checks[i];
        put(o, i ? ",{\"policy\":" : "{\"policy\":");
        jstr(o, bw_pol_test_policy_name(c->policy));
        putf(o, ",\"metric\":\"%s\",\"op\":\"%s\",\"limit\":", bw_pol_test_metric_name(c->metric),
             c->is_max ? "<=" : ">=");
        jnum(o, c->limit);
        put(o, ",\"value\":");
        jnum(o, c->value);
        putf(o, ",\"passed\":%s}", c->passed ? "true" : "false");
    }
    put(o, "]}");
}

int bw_pol_test_report_json(const struct bw_pol_test_run *r, struct bw_buf *out)
{
    struct w o = {out, 0};
    struct lat l;
    char ts[40];
    size_t i, k, n = 0;
    int p, rv;

    if ((rv = lat_stats(r, &l)) != 0)
        return rv;
    iso_time(r->started, ts, sizeof(ts));
    putf(&o, "{\"report\":\"bulwark test\",\"version\":1,\"started\":\"%sZ\",\"ok\":%s,", ts,
         bw_pol_test_ok(r) ? "true" : "false");
    putf(&o, "\"summary\":{\"suites\":%zu,\"cases\":%zu,\"passed\":%zu,\"failed\":%zu,\"skipped\":%zu,\"errors\":%zu,"
             "\"thresholds\":%zu,\"thresholds_failed\":%zu,\"rows\":%zu,\"wall_ms\":",
         r->nsuites, r->cases, r->passed, r->failed, r->skipped, r->errors, r->checks, r->checks_failed, r->rows);
    jnum(&o, ms(r->wall_ns));
    putf(&o, ",\"latency_ms\":{\"evaluations\":%zu,\"p50\":", l.n);
    jnum(&o, ms(l.p50));
    put(&o, ",\"p95\":");
    jnum(&o, ms(l.p95));
    put(&o, ",\"p99\":");
    jnum(&o, ms(l.p99));
    put(&o, ",\"max\":");
    jnum(&o, ms(l.max));
    put(&o, ",\"mean\":");
    jnum(&o, l.n ? ms(l.sum) / (double)l.n : NAN);
    put(&o, "}},\"policies\":[");
    for (p = 0; p < BW_POL_TEST_NPOL; p++) {
        if (!pol_row(r, p))
            continue;
        put(&o, n++ ? ",{\"policy\":" : "{\"policy\":");
        jstr(&o, bw_pol_test_policy_name(p));
        if (p < BW_POL__N)
            putf(&o, ",\"cases\":%zu,\"failed\":%zu", r->pol_cases[p], r->pol_failed[p]);
        put(&o, ",");
        json_metrics(&o, &r->cm[p]);
        put(&o, "}");
    }
    put(&o, "],\"suites\":[");
    for (i = 0; i < r->nsuites; i++) {
        const struct bw_pol_test_suite *s = &r->suites[i];
        put(&o, i ? ",{\"file\":" : "{\"file\":");
        jstr(&o, s->file);
        put(&o, ",\"name\":");
        jstr(&o, s->name);
        put(&o, ",\"guardrail\":");
        jstr(&o, s->guardrail_path);
        putf(&o, ",\"passed\":%zu,\"failed\":%zu,\"skipped\":%zu,\"errors\":%zu,\"cases\":[", s->passed, s->failed,
             s->skipped, s->errors);
        for (k = 0; k < s->ncases; k++) {
            put(&o, k ? "," : "");
            json_case(&o, &s->cases[k]);
        }
        put(&o, "],\"datasets\":[");
        for (k = 0; k < s->ndatasets; k++) {
            put(&o, k ? "," : "");
            json_dataset(&o, &s->datasets[k]);
        }
        put(&o, "]}");
    }
    put(&o, "]}\n");
    return o.rv;
}

/* ------------------------------------------------------------------------ */
/* HTML */

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d232a;"
    "background:#f6f7f9}"
    "main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}"
    "h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5d9de;"
    "padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}"
    "small,.muted{color:#5d6873}"
    "table{border-collapse:collapse;background:#fff;margin:6px 0}"
    "th,td{border:1px solid #d5d9de;padding:3px 8px;text-align:left;vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".badge{display:inline-block;padding:1px 10px;border-radius:10px;color:#fff;font-size:14px}"
    ".pass .badge,.badge.pass{background:#1f883d}.fail .badge,.badge.fail{background:#cf222e}"
    "tr.fail td,tr.error td{background:#fff0f0}tr.skip td{color:#5d6873}"
    "li.pass{color:#1f883d}li.fail{color:#cf222e;font-weight:600}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px}"
    ".card{background:#fff;border:1px solid #d5d9de;border-radius:6px;padding:8px 14px;min-width:90px}"
    ".card b{display:block;font-size:22px}"
    ".cmgrid{display:flex;flex-wrap:wrap;gap:18px}"
    "table.cm td{width:70px;text-align:right;font-size:16px}"
    "table.cm td.tp,table.cm td.tn{background:#e9f7ee}table.cm td.fp,table.cm td.fn{background:#fdecec}"
    "article.case{background:#fff;border:1px solid #d5d9de;border-left:4px solid #cf222e;border-radius:4px;"
    "padding:6px 12px;margin:10px 0}"
    "dl{display:grid;grid-template-columns:110px 1fr;gap:2px 10px;margin:6px 0}dt{color:#5d6873}dd{margin:0}"
    "pre{white-space:pre-wrap;word-break:break-word;margin:0;font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}"
    "svg text{font:11px system-ui,sans-serif;fill:#5d6873}svg rect.bar{fill:#4f7cac}"
    "svg rect.bar:hover{fill:#2c5282}";

/* The page's one script: filters the case table. It must run without errors: the tests load the page. */
static const char script[] =
    "(function(){"
    "var t=document.getElementById('case-table');if(!t)return;"
    "var rows=t.tBodies[0].rows,cb=document.getElementById('only-failed'),out=document.getElementById('shown');"
    "function upd(){var n=0;for(var i=0;i<rows.length;i++){"
    "var hide=cb.checked&&rows[i].className==='pass';rows[i].hidden=hide;if(!hide)n++;}"
    "out.textContent=n+' of '+rows.length+' shown';}"
    "cb.addEventListener('change',upd);upd();"
    "document.body.setAttribute('data-ready','1');"
    "})();";

static void h(struct w *o, const char *s)
{
    xml(o, s, 0);
}

static void html_card(struct w *o, const char *id, const char *label, size_t v)
{
    putf(o, "<div class=\"card\"><b id=\"%s\">%zu</b>%s</div>", id, v, label);
}

static void html_metric_cells(struct w *o, const struct bw_pol_test_cm *cm)
{
    struct bw_pol_test_metrics m;
    char a[4][32];

    bw_pol_test_metrics(cm, &m);
    putf(o,
         "<td class=\"n tp\">%llu</td><td class=\"n fp\">%llu</td><td class=\"n tn\">%llu</td><td class=\"n fn\">%llu"
         "</td><td class=\"n precision\">%s</td><td class=\"n recall\">%s</td><td class=\"n f1\">%s</td>"
         "<td class=\"n fpr\">%s</td>",
         (unsigned long long)cm->tp, (unsigned long long)cm->fp, (unsigned long long)cm->tn,
         (unsigned long long)cm->fn, metric_str(m.precision, a[0], 32), metric_str(m.recall, a[1], 32),
         metric_str(m.f1, a[2], 32), metric_str(m.fpr, a[3], 32));
}

static void html_policies(struct w *o, const struct bw_pol_test_run *r)
{
    int p;

    put(o, "<section id=\"policies\"><h2>Per policy</h2>"
           "<p class=\"muted\">Cases count under each policy their expectations name or their findings show; "
           "TP&#8230;FPR come from the labelled datasets (positive = the policy acted).</p>"
           "<table id=\"policy-table\"><thead><tr><th>policy</th><th class=\"n\">cases</th><th class=\"n\">failed</th>"
           "<th class=\"n\">TP</th><th class=\"n\">FP</th><th class=\"n\">TN</th><th class=\"n\">FN</th>"
           "<th class=\"n\">precision</th><th class=\"n\">recall</th><th class=\"n\">F1</th><th class=\"n\">FPR</th>"
           "</tr></thead><tbody>");
    for (p = 0; p < BW_POL_TEST_NPOL; p++) {
        if (!pol_row(r, p))
            continue;
        putf(o, "<tr id=\"pol-%s\"><th>%s</th>", bw_pol_test_policy_name(p), bw_pol_test_policy_name(p));
        if (p < BW_POL__N)
            putf(o, "<td class=\"n cases\">%zu</td><td class=\"n failed\">%zu</td>", r->pol_cases[p], r->pol_failed[p]);
        else
            put(o, "<td class=\"n cases\">&#8211;</td><td class=\"n failed\">&#8211;</td>");
        html_metric_cells(o, &r->cm[p]);
        put(o, "</tr>");
    }
    put(o, "</tbody></table></section>\n");
}

static void html_dataset(struct w *o, const struct bw_pol_test_suite *s, const struct bw_pol_test_dataset *ds,
                         size_t idx)
{
    struct bw_pol_test_metrics m;
    char a[4][32], c[256];
    size_t i, k;
    int p;

    putf(o, "<div class=\"dataset\" id=\"ds-%zu\"><h3>", idx);
    h(o, ds->name);
    put(o, " <small>");
    h(o, ds->path);
    putf(o, " &#183; %zu rows &#183; %s &#183; suite ", ds->nrows, dir_name(ds->dir));
    h(o, s->file);
    putf(o, " &#183; positive = %s</small></h3>",
         ds->predict == BW_PT_PRED_DETECTED ? "detected" : "the policy acted");
    if (ds->errors)
        putf(o, "<p class=\"fail\"><span class=\"badge fail\">error</span> %d rows could not be evaluated</p>",
             ds->errors);
    put(o, "<div class=\"cmgrid\">");
    for (p = 0; p < BW_POL_TEST_NPOL; p++) {
        const struct bw_pol_test_cm *cm = &ds->cm[p];
        if (!labelled(ds, p))
            continue;
        bw_pol_test_metrics(cm, &m);
        putf(o,
             "<div><table class=\"cm\" id=\"cm-%zu-%s\"><caption>%s</caption>"
             "<tr><th></th><th>predicted block</th><th>predicted allow</th></tr>"
             "<tr><th>labelled block</th><td class=\"tp\" title=\"true positives\">%llu</td>"
             "<td class=\"fn\" title=\"false negatives\">%llu</td></tr>"
             "<tr><th>labelled allow</th><td class=\"fp\" title=\"false positives\">%llu</td>"
             "<td class=\"tn\" title=\"true negatives\">%llu</td></tr></table>"
             "<div class=\"muted\">precision %s &#183; recall %s &#183; F1 %s &#183; FPR %s</div></div>",
             idx, bw_pol_test_policy_name(p), bw_pol_test_policy_name(p), (unsigned long long)cm->tp,
             (unsigned long long)cm->fn, (unsigned long long)cm->fp, (unsigned long long)cm->tn,
             metric_str(m.precision, a[0], 32), metric_str(m.recall, a[1], 32), metric_str(m.f1, a[2], 32),
             metric_str(m.fpr, a[3], 32));
    }
    put(o, "</div>");
    if (ds->nchecks) {
        put(o, "<ul class=\"checks\">");
        for (i = 0; i < ds->nchecks; i++) {
            check_str(&ds->checks[i], c, sizeof(c));
            putf(o, "<li class=\"%s\">%s: ", ds->checks[i].passed ? "pass" : "fail",
                 ds->checks[i].passed ? "met" : "FAILED");
            h(o, c);
            put(o, "</li>");
        }
        put(o, "</ul>");
    }
    for (p = 0; p < BW_POL_TEST_NPOL; p++)
        for (k = 0; k < 2; k++) {
            if (!ds->nex[p][k])
                continue;
            putf(o, "<details><summary>%s: %s (%llu)</summary><ol>", bw_pol_test_policy_name(p),
                 k ? "false positives" : "false negatives",
                 (unsigned long long)(k ? ds->cm[p].fp : ds->cm[p].fn));
            for (i = 0; i < ds->nex[p][k]; i++) {
                const struct bw_pol_test_row *rw = &ds->rows[ds->ex[p][k][i]];
                putf(o, "<li>line %u: <pre>", rw->line);
                if (rw->nblocks)
                    xmln(o, rw->blocks[0].text, cut_chars(rw->blocks[0].text, rw->blocks[0].len, 500), 0);
                put(o, "</pre></li>");
            }
            put(o, "</ol></details>");
        }
    put(o, "</div>\n");
}

struct slow {
    const struct bw_pol_test_suite *s;
    const struct bw_pol_test_case *tc;
};

static int by_latency(const void *a, const void *b)
{
    const struct slow *x = a, *y = b;

    return x->tc->latency_ns < y->tc->latency_ns ? 1 : x->tc->latency_ns > y->tc->latency_ns ? -1 : 0;
}

static int html_slowest(struct w *o, const struct bw_pol_test_run *r)
{
    struct slow *v;
    size_t i, k, n = 0;
    char d[32];

    if ((v = malloc((r->cases ? r->cases : 1) * sizeof(*v))) == NULL)
        return BW_ENOMEM;
    for (i = 0; i < r->nsuites; i++)
        for (k = 0; k < r->suites[i].ncases; k++)
            if (r->suites[i].cases[k].status != BW_PT_SKIP && n < r->cases)
                v[n++] = (struct slow){&r->suites[i], &r->suites[i].cases[k]};
    qsort(v, n, sizeof(*v), by_latency);
    put(o, "<section id=\"slowest\"><h2>Slowest cases</h2><table id=\"slowest-table\"><thead><tr><th>#</th>"
           "<th>suite</th><th>case</th><th>status</th><th class=\"n\">latency</th></tr></thead><tbody>");
    for (i = 0; i < n && i < SLOWEST; i++) {
        putf(o, "<tr class=\"%s\"><td class=\"n\">%zu</td><td>", bw_pol_test_status_name(v[i].tc->status), i + 1);
        h(o, v[i].s->name);
        put(o, "</td><td>");
        h(o, v[i].tc->name);
        putf(o, "</td><td>%s</td><td class=\"n\" data-ns=\"%llu\">%s</td></tr>", bw_pol_test_status_name(v[i].tc->status),
             (unsigned long long)v[i].tc->latency_ns, dur(v[i].tc->latency_ns, 1, d, sizeof(d)));
    }
    if (n == 0)
        put(o, "<tr><td colspan=\"5\" class=\"muted\">no case ran</td></tr>");
    put(o, "</tbody></table></section>\n");
    free(v);
    return 0;
}

/* Half-octave bucket of a latency: bucket k holds [2^(k/2), 2^((k+1)/2)) ns. */
static int bucket(uint64_t ns)
{
    return (int)floor(2.0 * log2((double)(ns ? ns : 1)));
}

static void html_histogram(struct w *o, const struct bw_pol_test_run *r)
{
    const int W = 720, H = 240, L = 48, R = 12, T = 12, B = 44;
    unsigned counts[HIST_MAX_BARS];
    int kmin = 1 << 30, kmax = -1, step = 1, nb, i, maxc = 0;
    size_t j;
    char d1[32], d2[32];
    double bw;

    put(o, "<section id=\"latency\"><h2>Latency of apply()</h2>");
    if (r->nlat == 0) {
        put(o, "<p class=\"muted\">nothing was evaluated</p></section>\n");
        return;
    }
    for (j = 0; j < r->nlat; j++) {
        int k = bucket(r->lat[j]);
        kmin = k < kmin ? k : kmin;
        kmax = k > kmax ? k : kmax;
    }
    /* merge buckets in twos, fours, ... until they fit */
    while ((kmax / step) - (kmin / step) + 1 > HIST_MAX_BARS)
        step *= 2;
    kmin = kmin / step * step;
    nb = kmax / step - kmin / step + 1;
    memset(counts, 0, sizeof(counts));
    for (j = 0; j < r->nlat; j++) {
        int b = bucket(r->lat[j]) / step - kmin / step;
        counts[b]++;
    }
    for (i = 0; i < nb; i++)
        maxc = (int)counts[i] > maxc ? (int)counts[i] : maxc;
    bw = (double)(W - L - R) / nb;
    putf(o,
         "<p class=\"muted\">%zu evaluations (cases and dataset rows), in buckets of a half octave; hover a bar "
         "for its range.</p>"
         "<svg id=\"latency-histogram\" data-total=\"%zu\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
         "role=\"img\" aria-label=\"latency histogram\">",
         r->nlat, r->nlat, W, H, W, H);
    putf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#8a949e\"/>", L, H - B, W - R, H - B);
    putf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#8a949e\"/>", L, T, L, H - B);
    putf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>", L - 6, T + 10, maxc);
    putf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>", L - 6, H - B);
    putf(o, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">evaluations</text>",
         (T + H - B) / 2, (T + H - B) / 2);
    for (i = 0; i < nb; i++) {
        int k0 = (kmin / step + i) * step;
        uint64_t lo = (uint64_t)llround(pow(2.0, k0 / 2.0)), hi = (uint64_t)llround(pow(2.0, (k0 + step) / 2.0));
        double bh = maxc ? (double)counts[i] * (H - B - T) / maxc : 0;
        double x = L + i * bw;

        putf(o, "<rect class=\"bar\" data-count=\"%u\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                "<title>%s &#8211; %s: %u</title></rect>",
             counts[i], x + 1, H - B - bh, bw > 3 ? bw - 2 : bw, bh, dur(lo, 1, d1, sizeof(d1)),
             dur(hi, 1, d2, sizeof(d2)), counts[i]);
        /* a label every few bars keeps them legible */
        if (i % (nb > 8 ? (nb + 7) / 8 : 1) == 0)
            putf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", x, H - B + 16,
                 dur(lo, 1, d1, sizeof(d1)));
    }
    putf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">latency per evaluation</text>", (L + W - R) / 2, H - 6);
    put(o, "</svg></section>\n");
}

static void html_failure(struct w *o, const struct bw_pol_test_suite *s, const struct bw_pol_test_case *tc,
                         size_t si, size_t ci)
{
    char d[600];
    size_t i, n = 0;

    putf(o, "<article class=\"case %s\" id=\"fail-%zu-%zu\"><h3>", bw_pol_test_status_name(tc->status), si, ci);
    h(o, s->name);
    put(o, " &#8250; ");
    h(o, tc->name);
    putf(o, " <small>%s &#183; ", tc->path);
    h(o, s->file);
    put(o, "</small></h3><dl>");
    putf(o, "<dt>source</dt><dd>%s</dd>", dir_name(tc->dir));
    for (i = 0; i < tc->nblocks; i++) {
        const struct bw_block *b = &tc->blocks[i];
        put(o, b->quals & BW_QUAL_GROUNDING ? "<dt>grounding</dt>" : b->quals & BW_QUAL_QUERY ? "<dt>query</dt>"
                                                                                             : "<dt>text</dt>");
        put(o, "<dd><pre>");
        xmln(o, b->text, cut_chars(b->text, b->len, HTML_QUOTE), 0);
        put(o, "</pre></dd>");
    }
    putf(o, "<dt>expected</dt><dd class=\"expected\">%s</dd>", want_action(tc));
    if (tc->status != BW_PT_ERROR)
        putf(o, "<dt>actual</dt><dd class=\"actual\">%s</dd>", bw_pol_test_verdict_name(tc->verdict));
    put(o, "<dt>problems</dt><dd><ul>");
    for (i = 0; i < tc->nfails; i++) {
        put(o, "<li><pre>");
        h(o, tc->fails[i]);
        put(o, "</pre></li>");
    }
    put(o, "</ul></dd><dt>findings</dt><dd><ul>");
    for (i = 0; i < tc->nfound; i++)
        if (shown(&tc->found[i])) {
            n++;
            put(o, "<li><pre>");
            h(o, bw_pol_test_found_str(&tc->found[i], d, sizeof(d)));
            put(o, "</pre></li>");
        }
    if (n == 0)
        put(o, "<li class=\"muted\">none</li>");
    put(o, "</ul></dd>");
    if (tc->ngot) {
        put(o, "<dt>outputs</dt><dd><ul>");
        for (i = 0; i < tc->ngot; i++) {
            put(o, "<li><pre>");
            xmln(o, tc->got[i], cut_chars(tc->got[i], strlen(tc->got[i]), HTML_QUOTE), 0);
            put(o, "</pre></li>");
        }
        put(o, "</ul></dd>");
    }
    put(o, "</dl></article>\n");
}

static void html_cases(struct w *o, const struct bw_pol_test_run *r)
{
    char d[32];
    size_t i, k;

    put(o, "<section id=\"cases\"><h2>All cases</h2><p><label><input type=\"checkbox\" id=\"only-failed\"> "
           "show only cases that did not pass</label> &#183; <span id=\"shown\"></span></p>"
           "<table id=\"case-table\"><thead><tr><th>suite</th><th>case</th><th>source</th><th>status</th>"
           "<th>expected</th><th>actual</th><th class=\"n\">latency</th></tr></thead><tbody>");
    for (i = 0; i < r->nsuites; i++)
        for (k = 0; k < r->suites[i].ncases; k++) {
            const struct bw_pol_test_case *tc = &r->suites[i].cases[k];
            putf(o, "<tr class=\"%s\"><td>", bw_pol_test_status_name(tc->status));
            h(o, r->suites[i].name);
            put(o, "</td><td>");
            h(o, tc->name);
            putf(o, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"n\">%s</td></tr>", dir_name(tc->dir),
                 bw_pol_test_status_name(tc->status), want_action(tc),
                 tc->status == BW_PT_PASS || tc->status == BW_PT_FAIL ? bw_pol_test_verdict_name(tc->verdict) : "",
                 tc->status == BW_PT_SKIP ? "" : dur(tc->latency_ns, 1, d, sizeof(d)));
        }
    put(o, "</tbody></table></section>\n");
}

int bw_pol_test_report_html(const struct bw_pol_test_run *r, struct bw_buf *out)
{
    struct w o = {out, 0};
    struct lat l;
    char ts[40], d[4][32];
    size_t i, k, nds = 0, nfail = 0;
    int ok = bw_pol_test_ok(r), rv;

    if ((rv = lat_stats(r, &l)) != 0)
        return rv;
    iso_time(r->started, ts, sizeof(ts));
    put(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            /* nothing may be fetched: the report is one file, readable offline and from CI artifacts */
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    putf(&o, "<title>bulwark test: %s (%zu cases)</title>\n<style>%s</style></head>\n", ok ? "PASS" : "FAIL", r->cases,
         css);
    putf(&o, "<body class=\"%s\"><main><header><h1>bulwark policy tests <span id=\"verdict\" class=\"badge %s\">%s"
             "</span></h1><p class=\"muted\">started %sZ &#183; %s wall &#183; suites: ",
         ok ? "pass" : "fail", ok ? "pass" : "fail", ok ? "PASS" : "FAIL", ts, dur(r->wall_ns, 1, d[0], 32));
    for (i = 0; i < r->nsuites; i++) {
        put(&o, i ? ", " : "");
        h(&o, r->suites[i].file);
    }
    put(&o, "</p></header>\n<section id=\"summary\"><div class=\"cards\">");
    html_card(&o, "n-cases", "cases", r->cases);
    html_card(&o, "n-passed", "passed", r->passed);
    html_card(&o, "n-failed", "failed", r->failed);
    html_card(&o, "n-skipped", "skipped", r->skipped);
    html_card(&o, "n-errors", "errors", r->errors);
    html_card(&o, "n-rows", "dataset rows", r->rows);
    html_card(&o, "n-checks", "thresholds", r->checks);
    html_card(&o, "n-checks-failed", "thresholds failed", r->checks_failed);
    put(&o, "</div>");
    if (l.n)
        putf(&o, "<p id=\"latency-summary\">apply() latency: p50 %s &#183; p95 %s &#183; p99 %s &#183; max %s</p>",
             dur(l.p50, 1, d[0], 32), dur(l.p95, 1, d[1], 32), dur(l.p99, 1, d[2], 32), dur(l.max, 1, d[3], 32));
    put(&o, "</section>\n");
    html_policies(&o, r);
    for (i = 0; i < r->nsuites; i++)
        nds += r->suites[i].ndatasets;
    if (nds) {
        size_t idx = 0;
        put(&o, "<section id=\"datasets\"><h2>Labelled datasets</h2>");
        for (i = 0; i < r->nsuites; i++)
            for (k = 0; k < r->suites[i].ndatasets; k++)
                html_dataset(&o, &r->suites[i], &r->suites[i].datasets[k], idx++);
        put(&o, "</section>\n");
    }
    for (i = 0; i < r->nsuites; i++)
        nfail += r->suites[i].failed + r->suites[i].errors;
    putf(&o, "<section id=\"failures\"><h2>Failing cases (<span id=\"n-failing\">%zu</span>)</h2>", nfail);
    if (nfail == 0)
        put(&o, "<p class=\"muted\">none</p>");
    for (i = 0; i < r->nsuites; i++)
        for (k = 0; k < r->suites[i].ncases; k++) {
            int st = r->suites[i].cases[k].status;
            if (st == BW_PT_FAIL || st == BW_PT_ERROR)
                html_failure(&o, &r->suites[i], &r->suites[i].cases[k], i, k);
        }
    put(&o, "</section>\n");
    if (o.rv == 0 && (rv = html_slowest(&o, r)) != 0)
        return rv;
    html_histogram(&o, r);
    html_cases(&o, r);
    putf(&o, "</main><script>%s</script></body></html>\n", script);
    return o.rv;
}
