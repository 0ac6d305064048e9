/*
 * testrun.h: the policy test runner (`bulwark test`), engine side.
 *
 * A policy repository wants CI: "these prompts must be blocked, this one
 * must come out masked like so, this one must pass", and "on this labelled
 * sample the PII policy keeps its recall above 0.9". A suite file states
 * both as JSON (docs/policy-testing.md): cases with expectations, and
 * labelled datasets (JSON lines) with thresholds. This module loads and
 * validates suites strictly (every problem as "FILE: JSON.path: problem",
 * like guardrail files), loads the guardrails they target, runs every case
 * and dataset row through bw_apply(), and keeps what the reporters
 * (policies/report.h) need: per-case verdicts with the actual findings and
 * outputs, per-policy confusion matrices, threshold verdicts, latencies.
 *
 * The engine reads suite, dataset and guardrail files and writes nothing;
 * the CLI (proxy/cli_test.c) picks the reporters and the exit status.
 */
#ifndef BW_TESTRUN_H
#define BW_TESTRUN_H

#include "filters/arena.h"
#include "filters/errs.h"
#include "policies/apply.h"

/* Caps on what one run holds (each over it is a suite error). */
#define BW_POL_TEST_MAX_CASES 100000    /* cases in one suite */
#define BW_POL_TEST_MAX_ROWS 1000000    /* rows in one dataset */
#define BW_POL_TEST_MAX_DATASETS 64     /* datasets in one suite */
#define BW_POL_TEST_MAX_EXPECT 256      /* finding expectations of one case */
#define BW_POL_TEST_MAX_SUITES 4096     /* suite files in one run */
#define BW_POL_TEST_EXAMPLES 5          /* misclassified rows kept per dataset, policy and kind */

/*
 * What a statistic is about: one of the guardrail's policies (enum
 * bw_policy), or the guardrail as a whole (did it intervene?), which is
 * what a dataset's plain "label" scores unless the dataset names a policy.
 */
#define BW_POL_TEST_GUARDRAIL BW_POL__N
#define BW_POL_TEST_NPOL (BW_POL__N + 1)

/* "topic", "content", "word", "pii", "regex", "grounding", "guardrail". */
const char *bw_pol_test_policy_name(int policy);

/* The verdict the guardrail gave a text. */
enum bw_pol_test_verdict {
    BW_PT_NONE = 0,   /* NONE */
    BW_PT_BLOCKED,    /* GUARDRAIL_INTERVENED, blocked */
    BW_PT_MASKED,     /* GUARDRAIL_INTERVENED, masked only */
    BW_PT_INTERVENED, /* expectations only: either of the two above */
};

/* "NONE", "BLOCKED", "MASKED", "GUARDRAIL_INTERVENED". */
const char *bw_pol_test_verdict_name(int v);

enum bw_pol_test_status { BW_PT_PASS = 0, BW_PT_FAIL, BW_PT_SKIP, BW_PT_ERROR };

/* "pass", "fail", "skip", "error". */
const char *bw_pol_test_status_name(int st);

/*
 * A finding expectation: every field given must hold for one finding. -1
 * (or NULL) leaves a field free.
 */
struct bw_pol_test_want {
    int policy;     /* enum bw_policy */
    int sub;        /* word policy: BW_WORD_CUSTOM or BW_WORD_MANAGED */
    int type;       /* PII entity, content category, grounding type, managed list */
    const char *name;  /* topic or regex name */
    const char *match; /* the matched text, exactly */
    int action;     /* reported action: BW_ACT_NONE, BW_ACT_BLOCK, BW_ACT_ANONYMIZE */
    int confidence; /* content filters: at least this enum bw_conf */
    int detected;   /* 1 (default) or 0 */
    const char *path; /* JSON path of the expectation, for messages */
};

/* A finding as reported, copied out of the worker. */
struct bw_pol_test_found {
    uint8_t policy, sub, detected, action, confidence, dup;
    uint16_t type;
    uint32_t block, start, end;
    float score, threshold;
    const char *name;  /* topic or regex name, or NULL */
    const char *match; /* matched text for span findings, or NULL */
};

struct bw_pol_test_case {
    const char *name;
    const char *path; /* "cases[3]" */
    int dir;          /* enum bw_dir */
    struct bw_block *blocks;
    size_t nblocks;
    unsigned nimages; /* image blocks: counted, not evaluated */
    size_t nguarded;  /* blocks the non-grounding policies look at */
    const char *skip; /* reason; the case is not run */

    /* expectations */
    int want_verdict; /* enum bw_pol_test_verdict */
    struct bw_pol_test_want *want, *deny; /* must appear / must not appear */
    size_t nwant, ndeny;
    const char **outputs; /* expected outputs, or NULL */
    size_t noutputs;
    int single_output; /* given as "output" (one string) */

    /* results */
    int status; /* enum bw_pol_test_status */
    int verdict;
    uint64_t latency_ns;
    struct bw_pol_test_found *found;
    size_t nfound;
    const char **got; /* actual outputs (see docs: blocked message, masked or original text) */
    size_t ngot;
    char **fails; /* one line per broken expectation */
    size_t nfails;
    unsigned policies; /* bit per enum bw_policy the case is about (for the per-policy table) */
};

/* A confusion matrix. Positive = the guardrail (or policy) acted. */
struct bw_pol_test_cm {
    uint64_t tp, fp, tn, fn;
};

/* Metrics of a confusion matrix; NAN where undefined (a zero denominator). */
struct bw_pol_test_metrics {
    double precision, recall, f1, fpr;
};

/* Thresholds on the metrics; NAN where not set. */
struct bw_pol_test_thr {
    double min_precision, min_recall, min_f1, max_fpr;
};

enum bw_pol_test_metric { BW_PT_PRECISION = 0, BW_PT_RECALL, BW_PT_F1, BW_PT_FPR, BW_PT__NMETRIC };

/* "precision", "recall", "f1", "fpr". */
const char *bw_pol_test_metric_name(int m);

/* One threshold checked after a dataset ran. */
struct bw_pol_test_check {
    int policy;
    int metric;   /* enum bw_pol_test_metric */
    int is_max;   /* max_fpr; the others are minimums */
    double limit;
    double value; /* NAN when undefined */
    int passed;
};

/* A dataset row. label[p]: -1 unlabelled, 0 allow, 1 block. */
struct bw_pol_test_row {
    struct bw_block blocks[3]; /* text, grounding source, query */
    uint8_t nblocks;
    int8_t label[BW_POL_TEST_NPOL];
    unsigned line;
};

/* Positive prediction: an acting finding (BLOCK or ANONYMIZE), or any detected one. */
enum { BW_PT_PRED_ACTED = 0, BW_PT_PRED_DETECTED };

struct bw_pol_test_dataset {
    const char *name;
    const char *path; /* as resolved (relative to the suite file) */
    int dir;
    int label_policy; /* what a plain "label" scores */
    int predict;      /* BW_PT_PRED_* */
    struct bw_pol_test_thr thr[BW_POL_TEST_NPOL];
    struct bw_pol_test_row *rows;
    size_t nrows;
    unsigned labelled; /* bit per policy some row labels */
    /* results */
    struct bw_pol_test_cm cm[BW_POL_TEST_NPOL];
    /* misclassified rows (indexes into rows): [policy][0] false negatives, [1] false positives */
    uint32_t ex[BW_POL_TEST_NPOL][2][BW_POL_TEST_EXAMPLES];
    uint8_t nex[BW_POL_TEST_NPOL][2];
    struct bw_pol_test_check *checks;
    size_t nchecks;
    uint64_t latency_ns; /* all rows together */
    int errors;          /* rows apply() failed on (counted as neither) */
};

struct bw_pol_test_suite {
    const char *file;           /* as given */
    const char *name;
    const char *guardrail_path; /* as resolved */
    struct bw_pol_test_gr *gr;  /* the run's entry for it */
    const struct bw_guardrail *g; /* set by bw_pol_test_exec() */
    struct bw_pol_test_case *cases;
    size_t ncases;
    struct bw_pol_test_dataset *datasets;
    size_t ndatasets;
    /* results */
    size_t passed, failed, skipped, errors;
    uint64_t latency_ns; /* of the cases */
};

struct bw_pol_test_gr; /* a guardrail loaded for the run */

struct bw_pol_test_run {
    struct bw_arena arena; /* owns everything below but the guardrails */
    struct bw_pol_test_suite *suites;
    size_t nsuites, capsuites;
    struct bw_pol_test_gr **grs;
    size_t ngrs;
    /* results */
    size_t cases, passed, failed, skipped, errors;
    size_t checks, checks_failed;
    size_t rows;
    size_t pol_cases[BW_POL__N], pol_failed[BW_POL__N];
    struct bw_pol_test_cm cm[BW_POL_TEST_NPOL]; /* summed over the datasets */
    uint64_t *lat; /* every apply() latency: cases, then rows */
    size_t nlat;
    uint64_t wall_ns;
    long long started; /* Unix time */
};

void bw_pol_test_init(struct bw_pol_test_run *r);

/*
 * Loads and validates the suite at path, the configuration of the
 * guardrail it targets (guardrail, when not NULL, overrides the suite's
 * "guardrail"; each file is read once per run), and the datasets it names. Relative paths in the suite are relative to its
 * directory. Returns 0; BW_ECONFIG with every problem in errs ("FILE:
 * JSON.path: problem", "FILE:LINE:COL: problem" for malformed JSON,
 * "DATASET:LINE: ..." for dataset rows); BW_EIO (unreadable, in errs);
 * BW_ELIMIT (a cap above, in errs); BW_ENOMEM. A suite that fails is not
 * added.
 */
int bw_pol_test_load(struct bw_pol_test_run *r, const char *path, const char *guardrail, struct bw_errs *errs);

/* The same from memory: label names the suite, dir is the directory relative paths start from. */
int bw_pol_test_load_mem(struct bw_pol_test_run *r, const char *label, const char *dir, const char *json,
                         size_t len, const char *guardrail, struct bw_errs *errs);

/*
 * Compiles the guardrails, then runs every loaded case and dataset, fills
 * in the results and checks the thresholds. Call it only when every load
 * succeeded. Returns 0 (whatever the verdicts); BW_ECONFIG when a guardrail
 * does not compile (a pattern Hyperscan and PCRE2 both refuse; in errs),
 * nothing run; BW_ENOMEM. A case that apply() fails on is a case in error,
 * not a failure of the run.
 */
int bw_pol_test_exec(struct bw_pol_test_run *r, struct bw_errs *errs);

/* 1 when every case passed or was skipped and every threshold held. */
int bw_pol_test_ok(const struct bw_pol_test_run *r);

void bw_pol_test_free(struct bw_pol_test_run *r);

/* Metrics of cm (NAN where a denominator is zero). */
void bw_pol_test_metrics(const struct bw_pol_test_cm *cm, struct bw_pol_test_metrics *m);

/* The value of metric m of mx. */
double bw_pol_test_metric(const struct bw_pol_test_metrics *mx, int m);

/*
 * Does finding f satisfy expectation w? Exposed for the unit tests and the
 * reporters (which list the findings a failed "must not appear" matched).
 */
int bw_pol_test_matches(const struct bw_pol_test_want *w, const struct bw_pol_test_found *f);

/*
 * Writes a one-line description of w ("pii EMAIL ANONYMIZED") or f
 * ("word PROFANITY \"darn\" BLOCKED") into dst. Returns dst.
 */
char *bw_pol_test_want_str(const struct bw_pol_test_want *w, char *dst, size_t n);
char *bw_pol_test_found_str(const struct bw_pol_test_found *f, char *dst, size_t n);

#endif
