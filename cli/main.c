/* stackplan: entry point and subcommand dispatch. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

typedef struct command {
  const char *name;
  sp_cmd_fn fn;
  const char *summary;
} command;

static const command commands[] = {
    {"info", sp_cmd_info, "print a model's layers, shapes, parameters and MACs"},
    {"infer", sp_cmd_infer, "run a model on inputs and report outputs and latency"},
    {"bench", sp_cmd_bench, "time every kernel variant on every layer, then end to end"},
    {"memory", sp_cmd_memory, "runtime memory estimate against measured peak resident memory"},
    {"devices", sp_cmd_devices, "list the OpenCL devices and the ids --device takes"},
    {"sense", sp_cmd_sense, "accuracy of each compression option on real data: an accuracy file"},
    {"profile", sp_cmd_profile, "measure every layer under every choice: a profile for the planner"},
    {"tune", sp_cmd_tune, "search the best parameters of each OpenCL kernel per layer (cached)"},
    {"plan", sp_cmd_plan, "pick per layer the fastest configuration under accuracy/memory bounds"},
    {"run", sp_cmd_run, "run a plan file and measure it against its prediction"},
    {"query", sp_cmd_query, "Pareto front of latency, memory and accuracy over a sweep of bounds"},
    {"demo", sp_cmd_demo, "the main job: show the zoo and run it"},
};

static void usage(FILE *to) {
  fprintf(to,
          "usage: stackplan <command> [options]\n"
          "\n"
          "Measures how a CNN runs on this machine under every choice of compression,\n"
          "format, algorithm and backend, and plans the fastest way to run it.\n"
          "\n"
          "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(to,
          "\n"
          "`stackplan <command> --help` describes one command.\n"
          "Exit codes: 0 ok, 1 runtime failure, 2 bad input or usage, 3 file I/O error,\n"
          "4 no plan meets the bounds (plan).\n");
}

int sp_cli_error(const char *cmd, int code, const char *fmt, ...) {
  char msg[1024]; /* one line, whatever the arguments hold (sp_printable) */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sp_printable(msg);
  fprintf(stderr, "stackplan %s: %s\n", cmd, msg);
  return code;
}

int sp_cli_fail(const char *cmd, sp_status status) {
  return sp_cli_error(cmd, (int)status, "%s", sp_last_error());
}

int sp_cli_parse_int(const char *cmd, const char *option, const char *text, int lo, int hi,
                     int *out) {
  char *end = NULL;
  long v = text && *text ? strtol(text, &end, 10) : 0;
  if (!text || !*text || *end || v < lo || v > hi) {
    sp_cli_error(cmd, 2, "%s expects an integer in [%d, %d], got '%s'", option, lo, hi,
                 text ? text : "");
    return 0;
  }
  *out = (int)v;
  return 1;
}

int sp_cli_is_help(const char *arg) { return !strcmp(arg, "-h") || !strcmp(arg, "--help"); }

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (sp_cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("stackplan 0.1.0\n");
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "stackplan: unknown command '%s' (see stackplan --help)\n", argv[1]);
  return 2;
}
