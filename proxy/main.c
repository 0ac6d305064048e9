/*
 * main.c: the bulwark command line: one table of {name, function, help},
 * so each command is one line to add (and merges stay trivial).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/server.h"

int bw_px_mock_main(int argc, char **argv);

static int cmd_serve(int argc, char **argv)
{
    struct bw_px_serve_opts o = {NULL, -1};
    int i;

    for (i = 0; i < argc; i++) {
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
        } else {
            fprintf(stderr, "usage: bulwark serve --config FILE [--workers N]\n");
            return 2;
        }
    }
    if (o.conf_path == NULL) {
        fprintf(stderr, "usage: bulwark serve --config FILE [--workers N]\n");
        return 2;
    }
    return bw_px_serve(&o);
}

static int cmd_mock(int argc, char **argv)
{
    return bw_px_mock_main(argc, argv);
}

/* `check --config FILE`; the lead's `check FILE...` (guardrail files) shares the name. */
static int cmd_check(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[0], "--config") == 0)
        return bw_px_check_config(argv[1]);
    fprintf(stderr, "usage: bulwark check --config FILE\n");
    return 2;
}

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct cmd cmds[] = {
    {"serve", cmd_serve, "serve --config FILE [--workers N]   run the proxy"},
    {"mock-llm", cmd_mock, "mock-llm --listen HOST:PORT         run the mock model server"},
    {"check", cmd_check, "check --config FILE                 validate a proxy configuration"},
};

static int usage(void)
{
    size_t i;

    fprintf(stderr, "usage: bulwark COMMAND ...\n");
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(stderr, "  %s\n", cmds[i].help);
    return 2;
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2)
        return usage();
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 2, argv + 2);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage();
        return 0;
    }
    fprintf(stderr, "bulwark: unknown command \"%s\"\n", argv[1]);
    return usage();
}
