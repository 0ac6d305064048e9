/*
 * cli.h: the subcommands of the bulwark binary. Each lives in its own file
 * and takes the arguments after its name; all return the process exit
 * status: 0 success, 1 a test or threshold failed, 2 bad input or config.
 */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <stdio.h>

#include "filters/buf.h"

int bw_cmd_apply(int argc, char **argv);
int bw_cmd_batch(int argc, char **argv);
int bw_cmd_check(int argc, char **argv);
int bw_cmd_test(int argc, char **argv);

/* Reads a whole file ("-" for stdin) into b. Returns 0 or BW_EIO/BW_ELIMIT. */
int bw_cli_read(const char *path, struct bw_buf *b);

#endif
