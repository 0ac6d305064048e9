/*
 * eval_pii.h: measures the PII recogniser (pii/recognize.c) on the shared
 * evaluation data: per-entity precision, recall and F1 on presidio-research's
 * synthetic set, the pass rate on Presidio's recogniser test cases, and
 * the pass rate of the validators on python-stdnum's vectors.
 */
#ifndef BW_EVAL_PII_H
#define BW_EVAL_PII_H

#include <stdio.h>

/*
 * Reads data/pii/{presidio_research_synth_dev.json,
 * presidio_analyzer_recognizer_cases.jsonl, stdnum_number_cases.tsv} under
 * shared_data_dir (the directory holding data/) and prints a report to out.
 * Returns 0, BW_EIO (a file is missing or unreadable), BW_EFORMAT, BW_ENOMEM.
 */
int bw_eval_pii(const char *shared_data_dir, FILE *out);

#endif
