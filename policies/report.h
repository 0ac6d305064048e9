/*
 * report.h: the reports of a policy test run (policies/testrun.h): the
 * readable summary, JUnit XML and TAP for CI systems, a JSON report for
 * tools, and one self-contained HTML page for people. Each renders a run
 * that bw_pol_test_exec() finished into a buffer; none does I/O.
 *
 * Reports show the cases' texts, matches and outputs: they are the user's
 * own fixtures, and a failing case is not debuggable without them. (Logs
 * of the proxy never show matched values; a test report is not a log.)
 */
#ifndef BW_REPORT_H
#define BW_REPORT_H

#include "filters/buf.h"
#include "policies/testrun.h"

/* Cap on one report; each renderer returns BW_ELIMIT past it. */
#define BW_POL_TEST_REPORT_MAX (256u * 1024 * 1024)

/*
 * Each appends its report to out. Return 0, BW_ENOMEM or BW_ELIMIT (out's
 * cap; what was written so far stays in out).
 */

/* The summary: failing cases with expected vs actual and the findings, the
 * datasets' statistics, the thresholds, the totals. verbose also lists the
 * cases that passed. */
int bw_pol_test_report_text(const struct bw_pol_test_run *r, int verbose, struct bw_buf *out);

/* JUnit XML: a <testsuite> per suite file, a <testcase> per case and per threshold. */
int bw_pol_test_report_junit(const struct bw_pol_test_run *r, struct bw_buf *out);

/* TAP version 13: one test point per case and per threshold, YAML diagnostics on failures. */
int bw_pol_test_report_tap(const struct bw_pol_test_run *r, struct bw_buf *out);

/* The whole run as one JSON document (format in docs/policy-testing.md). */
int bw_pol_test_report_json(const struct bw_pol_test_run *r, struct bw_buf *out);

/*
 * One HTML page with no external reference (inline CSS, inline SVG, one
 * inline script, a Content-Security-Policy that forbids loading anything):
 * totals, a per-policy table, a confusion matrix per labelled dataset and
 * policy, the slowest cases, a latency histogram, every failing case.
 */
int bw_pol_test_report_html(const struct bw_pol_test_run *r, struct bw_buf *out);

/* Escaping, exposed for the unit tests. */
/* XML/HTML text (attr 0) or attribute value (attr 1); control characters become visible \uXXXX. */
int bw_pol_test_xml_escape(struct bw_buf *b, const char *s, size_t n, int attr);
/* A TAP test point description: one line, '#' and '\' escaped. */
int bw_pol_test_tap_escape(struct bw_buf *b, const char *s, size_t n);

#endif
