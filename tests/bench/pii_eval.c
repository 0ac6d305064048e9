/*
 * pii_eval.c: prints the PII quality report (policies/eval_pii.c).
 * Build by hand from the repository root:
 *   cc -O2 -I. tests/bench/pii_eval.c build/libbulwark.a \
 *      $(pkg-config --libs libhs libpcre2-8 libcjson libutf8proc) -lm -o build/pii_eval
 *   build/pii_eval ../shared
 */
#include <stdio.h>

#include "policies/eval_pii.h"

int main(int argc, char **argv)
{
    int rv = bw_eval_pii(argc > 1 ? argv[1] : "../shared", stdout);
    if (rv != 0)
        fprintf(stderr, "pii_eval: failed (%d)\n", rv);
    return rv ? 1 : 0;
}
