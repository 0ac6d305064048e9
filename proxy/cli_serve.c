/*
 * cli_serve.c: the proxy's subcommands: serve, mock-llm, and check
 * --config (check with guardrail files is cli_apply.c's). Each takes its
 * arguments with argv[0] being its own name.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/cli.h"
#include "proxy/server.h"

int bw_px_mock_main(int argc, char **argv);

int bw_cmd_serve(int argc, char **argv)
{
    struct bw_px_serve_opts o = {NULL, -1};
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            o.conf_path = argv[++i];
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 256) {
                fprintf(stderr, "bulwark serve: --workers takes 0 to 256\n");
                return 2;
            }
            o.workers = (int)v;
        } else
            break;
    }
    if (i < argc || o.conf_path == NULL) {
        fprintf(stderr, "usage: bulwark serve --config FILE [--workers N]\n");
        return 2;
    }
    /*
     * A worker's malloc arena rises and falls with the requests in flight;
     * glibc gave the top back to the kernel at every fall (mprotect, and page
     * faults when it rose again). Keep up to 64 MB free per arena instead,
     * as nginx and haproxy keep their pools.
     */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    return bw_px_serve(&o);
}

int bw_cmd_mock_llm(int argc, char **argv)
{
    return bw_px_mock_main(argc - 1, argv + 1);
}

int bw_cmd_check_any(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--config") == 0) {
        if (argc != 3) {
            fprintf(stderr, "usage: bulwark check --config FILE\n");
            return 2;
        }
        return bw_px_check_config(argv[2]);
    }
    return bw_cmd_check(argc, argv);
}
