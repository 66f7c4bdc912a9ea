/* The stackplan command line: one binary, git-style subcommands. Each
 * subcommand lives in cli/cmd_<name>.c and is listed in cli/main.c. */
#ifndef SP_CLI_H
#define SP_CLI_H

#include "engine/core/status.h"

/* A subcommand: returns the process exit code (docs/cli.md). `argv[0]` is
 * the subcommand's name. */
typedef int (*sp_cmd_fn)(int argc, char **argv);

int sp_cmd_info(int argc, char **argv);
int sp_cmd_infer(int argc, char **argv);
int sp_cmd_demo(int argc, char **argv);
int sp_cmd_bench(int argc, char **argv);
int sp_cmd_memory(int argc, char **argv);
int sp_cmd_devices(int argc, char **argv);
int sp_cmd_sense(int argc, char **argv);
int sp_cmd_profile(int argc, char **argv);
int sp_cmd_tune(int argc, char **argv);
int sp_cmd_plan(int argc, char **argv);
int sp_cmd_query(int argc, char **argv);
int sp_cmd_run(int argc, char **argv);

/* Prints "stackplan <cmd>: <message>" on stderr, one line (control
 * characters of the message become '?'), and returns `code`. */
int sp_cli_error(const char *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints the message of the last failure (sp_last_error) for `cmd` and
 * returns `status` as the exit code. */
int sp_cli_fail(const char *cmd, sp_status status);

/* Parses a positive integer option value in [lo, hi]; on failure prints an
 * error naming `option` and returns 0. */
int sp_cli_parse_int(const char *cmd, const char *option, const char *text, int lo, int hi,
                     int *out);

/* Whether `arg` is -h or --help. */
int sp_cli_is_help(const char *arg);

#endif
