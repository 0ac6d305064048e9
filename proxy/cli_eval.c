/*
 * cli_eval.c: `bulwark eval [--data DIR] [--only content|topics|grounding]
 * [--full] [--verbose] [--export OUT_DIR]`: detector quality on the shared
 * data as a markdown table (policies/eval_cls.h): content filters at
 * strength MEDIUM, or at every strength with --full; --verbose lists the
 * misclassified rows on stderr. --export writes the content models'
 * training sets instead.
 */
#include <stdio.h>
#include <string.h>

#include "policies/eval_cls.h"

int bw_cmd_eval(int argc, char **argv);

static int usage(void)
{
    fprintf(stderr, "usage: bulwark eval [--data DIR] [--only content|topics|grounding] [--full] [--verbose]\n"
                    "       bulwark eval [--data DIR] --export OUT_DIR\n"
                    "DIR is the shared data directory (default ../shared/data).\n");
    return 2;
}

int bw_cmd_eval(int argc, char **argv)
{
    struct bw_evc_opts o = {"../shared/data", NULL, 0, 0};
    const char *export_dir = NULL;
    int i, rv;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            o.data_dir = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            o.only = argv[++i];
        else if (strcmp(argv[i], "--export") == 0 && i + 1 < argc)
            export_dir = argv[++i];
        else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0)
            o.verbose = 1;
        else if (strcmp(argv[i], "--full") == 0)
            o.full = 1;
        else
            return usage();
    }
    if (o.only && strcmp(o.only, "content") && strcmp(o.only, "topics") && strcmp(o.only, "grounding"))
        return usage();
    rv = export_dir ? bw_evc_export(o.data_dir, export_dir) : bw_evc_run(&o, stdout);
    if (rv != 0) {
        fprintf(stderr, "bulwark eval: %s\n", bw_strerror(rv));
        return 1;
    }
    return 0;
}
