/*
 * main.c: the bulwark command line. One table of subcommands, each in its
 * own file (cli.h, server.h), so adding one touches one line here.
 */
#include <stdio.h>
#include <string.h>

#include "proxy/cli.h"
#include "proxy/server.h"

#define BW_VERSION "0.1.0"

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct cmd cmds[] = {
    {"apply", bw_cmd_apply, "apply --guardrail FILE [--source INPUT|OUTPUT] [--scope INTERVENTIONS|FULL] [REQUEST|-]"},
    {"batch", bw_cmd_batch, "batch --guardrail FILE --source INPUT|OUTPUT   (JSON lines in, one response per line out)"},
    {"check", bw_cmd_check_any, "check FILE... | check --config FILE            (validate guardrail or proxy files)"},
    {"train", bw_cmd_train, "train --category CAT --in FILE.jsonl --out FILE.bwm [...]   (linear models)"},
    {"eval", bw_cmd_eval, "eval [--data DIR] [--only content|topics|grounding] [--full]   (quality on dev data)"},
    {"test", bw_cmd_test, "test SUITE... [--guardrail FILE] [--junit FILE] [--tap] [--json FILE] [--html FILE]"},
    {"serve", bw_cmd_serve, "serve --config FILE [--workers N]              (run the proxy)"},
    {"mock-llm", bw_cmd_mock_llm, "mock-llm [--listen HOST:PORT] [--workers N]    (run the mock model server)"},
};

static void usage(FILE *f)
{
    size_t i;

    fprintf(f, "bulwark %s: a guardrails filtering proxy\n\nusage:\n", BW_VERSION);
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(f, "  bulwark %s\n", cmds[i].help);
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("bulwark %s\n", BW_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "bulwark: unknown command \"%s\" (bulwark --help lists them)\n", argv[1]);
    return 2;
}
