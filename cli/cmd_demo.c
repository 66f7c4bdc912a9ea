/* stackplan demo: the main job. Until the profiler and planner exist it shows
 * the zoo: `info` of every model, then a checked, timed `infer` on all cores. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine/zoo.h"

static const char usage_text[] =
    "usage: stackplan demo [--threads T]\n"
    "\n"
    "For every zoo model (vgg16, resnet18, mobilenet at w=1, c=3): prints `info`,\n"
    "then runs `infer --check` (outputs compared with the reference kernels) and\n"
    "reports the median latency. --threads defaults to the number of cores.\n";

int sp_cmd_demo(int argc, char **argv) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int threads = cores > 0 ? (int)cores : 1;
  for (int i = 1; i < argc; i++) {
    if (sp_cli_is_help(argv[i])) {
      fputs(usage_text, stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      if (!sp_cli_parse_int("demo", "--threads", argv[++i], 1, 256, &threads)) return 2;
    } else {
      return sp_cli_error("demo", 2, "unknown argument '%s' (see --help)", argv[i]);
    }
  }
  char threads_text[16];
  snprintf(threads_text, sizeof threads_text, "%d", threads);
  for (const char *const *name = sp_zoo_names(); *name; name++) {
    char model[32];
    snprintf(model, sizeof model, "%s", *name);
    printf("==== %s ====\n", model);
    fflush(stdout);
    char *info_argv[] = {"info", model, NULL};
    int rc = sp_cmd_info(2, info_argv);
    if (rc) return rc;
    char *infer_argv[] = {"infer", model, "--threads", threads_text, "--check", "--repeat", "20",
                          NULL};
    rc = sp_cmd_infer(7, infer_argv);
    if (rc) return rc;
    printf("\n");
  }
  return 0;
}
