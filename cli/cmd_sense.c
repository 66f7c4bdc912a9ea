/* stackplan sense: options, the model and data checks, and the dispatch to
 * one of its modes (sense_cli.h). */
#define _GNU_SOURCE /* getopt_long */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/data/dataset.h"
#include "engine/onnx/model.h"
#include "engine/core/timer.h"
#include "cli/cmd_sense.h"

static const char usage_text[] =
    "usage: stackplan sense MODEL --data fashion-mnist [--split calib|test] [--limit N]\n"
    "                             [--out FILE] [--quick] [--budget PP] [--threads T] [--batch N]\n"
    "                             [--parallel batches|kernels]\n"
    "       stackplan sense MODEL --data fashion-mnist --curves DIR [options]\n"
    "       stackplan sense MODEL --data fashion-mnist --additivity N --accuracy FILE\n"
    "                             [--seed S] [--max-drop D] [--csv FILE] [options]\n"
    "       stackplan sense MODEL --check FILE\n"
    "       stackplan sense MODEL --identify\n"
    "\n"
    "Measures what each compression option costs in accuracy: the top-1 accuracy\n"
    "and mean cross-entropy of MODEL with one layer or one channel group\n"
    "compressed at a time, on the calibration split (the last 5,000 training\n"
    "images; the test set only with --split test). Options per conv/fc layer:\n"
    "weight pruning s in {0.5, 0.7, 0.8, 0.9, 0.95} and ternary t = 0.7; per\n"
    "prunable channel group: keep k in {0.75, 0.5, 0.25}. Prints a table and with\n"
    "--out writes the accuracy file the planner reads (stackplan-accuracy v1).\n"
    "\n"
    "  --data NAME       fashion-mnist (from $SP_DATA_DIR, default\n"
    "                    /usr/share/datasets/fashion-mnist); the model must take\n"
    "                    1x32x32 images and give 10 outputs\n"
    "  --split S         calib (default) or test\n"
    "  --limit N         only the first N images of the split\n"
    "  --out FILE        write the accuracy file (through a temp file and a rename)\n"
    "  --budget PP       where an entry's drop interval (95%, Wilson) straddles PP\n"
    "                    (the drop a plan may spend), measure it again on twice the\n"
    "                    images, up to the whole split (with --limit: start there)\n"
    "  --quick           a smaller grid: s in {0.5, 0.9}, t = 0.7, k = 0.5\n"
    "  --threads T       threads (default: the number of cores)\n"
    "  --batch N         images per kernel call (default 64)\n"
    "  --parallel P      batches (default): each thread runs whole batches with\n"
    "                    serial kernels; kernels: one batch at a time, OpenMP kernels\n"
    "  --curves DIR      accuracy of the whole model vs sparsity (every conv/fc pruned\n"
    "                    to s), vs channel keep (every prunable group at k), vs\n"
    "                    ternary threshold t: DIR/<model>_curves.csv and .png\n"
    "  --additivity N    N seeded random combinations of 2 to 6 entries of the\n"
    "                    accuracy file --accuracy FILE (same model and data),\n"
    "                    measured together and compared with the additive prediction\n"
    "                    baseline - sum of drops; prints a table, --csv FILE writes it\n"
    "  --seed S          seed of the combinations (default 1)\n"
    "  --max-drop D      draw only entries whose drop is at most D points (the options\n"
    "                    a plan with a minimum accuracy can pick; default: all)\n"
    "  --check FILE      check an accuracy file (e.g. one made in PyTorch) against\n"
    "                    MODEL: format, fields, fingerprints, layer and group names\n"
    "  --identify        print MODEL's identity as JSON (name, fingerprints, input,\n"
    "                    classes, conv/fc layers, prunable groups) for tools that\n"
    "                    write accuracy files\n"
    "\n"
    "Exit codes: 0 ok, 1 runtime failure, 2 bad input or usage, 3 file I/O error.\n";

enum { OPT_QUICK = 256, OPT_PARALLEL, OPT_CURVES, OPT_ADDITIVITY, OPT_ACCURACY, OPT_CSV,
       OPT_SEED, OPT_MAX_DROP, OPT_CHECK, OPT_IDENTIFY, OPT_BUDGET };

/* A drop in percentage points for `option`: a number in [0, 100]. */
static int parse_drop(const char *option, const char *text, double *out) {
  char *end = NULL;
  double v = strtod(text, &end);
  if (end == text || *end || !(v >= 0 && v <= 100))
    return sp_cli_error(SENSE_CMD, 2, "%s expects points in [0, 100], got '%s'", option, text);
  *out = v;
  return 0;
}

static int parse_option(int c, sense_args *a) {
  switch (c) {
    case 'd': a->data = optarg; return 0;
    case 'S': a->split = optarg; return 0;
    case 'o': a->out = optarg; return 0;
    case 'L': return sp_cli_parse_int(SENSE_CMD, "--limit", optarg, 1, 1 << 30, &a->limit) ? 0 : 2;
    case 't':
      return sp_cli_parse_int(SENSE_CMD, "--threads", optarg, 1, 256, &a->opt.threads) ? 0 : 2;
    case 'b':
      return sp_cli_parse_int(SENSE_CMD, "--batch", optarg, 1, 4096, &a->opt.batch) ? 0 : 2;
    case OPT_QUICK: a->quick = 1; return 0;
    case OPT_PARALLEL:
      if (!strcmp(optarg, "batches") || !strcmp(optarg, "kernels")) {
        a->opt.parallel_kernels = !strcmp(optarg, "kernels");
        return 0;
      }
      return sp_cli_error(SENSE_CMD, 2, "--parallel expects batches or kernels, got '%s'", optarg);
    case OPT_CURVES: a->curves = optarg; return 0;
    case OPT_ADDITIVITY:
      return sp_cli_parse_int(SENSE_CMD, "--additivity", optarg, 1, 100000, &a->additivity) ? 0
                                                                                           : 2;
    case OPT_ACCURACY: a->accuracy = optarg; return 0;
    case OPT_CSV: a->csv = optarg; return 0;
    case OPT_SEED: return sp_cli_parse_int(SENSE_CMD, "--seed", optarg, 0, 1 << 30, &a->seed) ? 0 : 2;
    case OPT_MAX_DROP: return parse_drop("--max-drop", optarg, &a->max_drop);
    case OPT_BUDGET: return parse_drop("--budget", optarg, &a->budget);
    case OPT_CHECK: a->check = optarg; return 0;
    case OPT_IDENTIFY: a->identify = 1; return 0;
    default: return sp_cli_error(SENSE_CMD, 2, "unknown or incomplete option (see --help)");
  }
}

/* Options that do not fit the chosen mode are errors, never ignored. */
static int check_modes(sense_args *a) {
  int modes = !!a->curves + !!a->additivity + !!a->check + a->identify;
  if (modes > 1)
    return sp_cli_error(SENSE_CMD, 2, "--curves, --additivity, --check and --identify exclude "
                                      "each other");
  if ((a->check || a->identify) && (a->data || a->split || a->limit || a->out || a->quick))
    return sp_cli_error(SENSE_CMD, 2, "--check and --identify take no --data, --split, --limit, "
                                      "--out or --quick");
  if (!a->check && !a->identify && !a->data)
    return sp_cli_error(SENSE_CMD, 2, "missing --data fashion-mnist (see --help)");
  if (a->data && strcmp(a->data, "fashion-mnist"))
    return sp_cli_error(SENSE_CMD, 2, "unknown dataset '%s' (fashion-mnist)", a->data);
  if (a->split && strcmp(a->split, "calib") && strcmp(a->split, "test"))
    return sp_cli_error(SENSE_CMD, 2, "--split expects calib or test, got '%s'", a->split);
  if (a->additivity && !a->accuracy)
    return sp_cli_error(SENSE_CMD, 2, "--additivity needs --accuracy FILE (the per-layer drops)");
  if (!a->additivity && (a->accuracy || a->csv || isfinite(a->max_drop)))
    return sp_cli_error(SENSE_CMD, 2, "--accuracy, --max-drop and --csv go with --additivity");
  if ((a->curves || a->additivity) && (a->out || a->quick))
    return sp_cli_error(SENSE_CMD, 2, "--out and --quick go with the accuracy table, not with "
                                      "--curves or --additivity");
  if (isfinite(a->budget) && (a->curves || a->additivity || a->check || a->identify))
    return sp_cli_error(SENSE_CMD, 2, "--budget goes with the accuracy table");
  if (!a->split) a->split = "calib";
  return 0;
}

static int parse_args(int argc, char **argv, sense_args *a) {
  static const struct option longopts[] = {
      {"data", required_argument, 0, 'd'},      {"split", required_argument, 0, 'S'},
      {"limit", required_argument, 0, 'L'},     {"out", required_argument, 0, 'o'},
      {"threads", required_argument, 0, 't'},   {"batch", required_argument, 0, 'b'},
      {"quick", no_argument, 0, OPT_QUICK},     {"parallel", required_argument, 0, OPT_PARALLEL},
      {"curves", required_argument, 0, OPT_CURVES},
      {"additivity", required_argument, 0, OPT_ADDITIVITY},
      {"accuracy", required_argument, 0, OPT_ACCURACY}, {"csv", required_argument, 0, OPT_CSV},
      {"seed", required_argument, 0, OPT_SEED}, {"max-drop", required_argument, 0, OPT_MAX_DROP},
      {"check", required_argument, 0, OPT_CHECK},
      {"identify", no_argument, 0, OPT_IDENTIFY}, {"budget", required_argument, 0, OPT_BUDGET},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  *a = (sense_args){.seed = 1, .max_drop = INFINITY, .budget = INFINITY, .opt = sp_sense_options_default()};
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return -1;
    }
    if (c == '?' || c == ':')
      return sp_cli_error(SENSE_CMD, 2, "unknown or incomplete option '%s' (see --help)",
                          argv[optind - 1]);
    int rc = parse_option(c, a);
    if (rc) return rc;
  }
  if (optind != argc - 1)
    return sp_cli_error(SENSE_CMD, 2, optind >= argc ? "missing MODEL (see --help)"
                                                     : "expected one MODEL, got extra arguments");
  a->model = argv[optind];
  return check_modes(a);
}

/* Fashion-MNIST models take 1 x 32 x 32 images and give 10 scores. */
static int check_model(const sense_args *a, const sp_graph *g) {
  sp_dims in = g->input;
  size_t classes = sp_dims_count(g->nodes[g->output].out);
  if (in.c != 1 || in.h != SP_FMNIST_SIDE || in.w != SP_FMNIST_SIDE || classes != SP_FMNIST_CLASSES)
    return sp_cli_error(SENSE_CMD, 2,
                        "model %s has input %dx%dx%d and %zu outputs; fashion-mnist needs input "
                        "1x32x32 and 10 outputs", a->model, in.c, in.h, in.w, classes);
  return 0;
}

void sp_sense_model_stem(const char *model, char *out, size_t cap) {
  const char *base = strrchr(model, '/');
  base = base ? base + 1 : model;
  size_t n = strcspn(base, ":.");
  snprintf(out, cap, "%.*s", (int)(n ? n : strlen(base)), base);
}

void sp_sense_progress(void *start, int64_t done, int64_t total) {
  if (!isatty(STDERR_FILENO) || done <= 0 || total <= 0) return;
  double elapsed = sp_time_now() - *(const double *)start;
  int left = (int)(elapsed * (double)(total - done) / (double)done);
  fprintf(stderr, "\rsense: %3.0f%%, %dm%02ds left ", 100.0 * (double)done / (double)total,
          left / 60, left % 60);
  if (done == total) fputs("\r\033[K", stderr);
}

/* Loads the split, then runs the mode. */
static int run_with_data(sense_args *a, const sp_graph *g) {
  int rc = check_model(a, g);
  if (rc) return rc;
  sp_fmnist d;
  sp_fmnist_split split = strcmp(a->split, "test") ? SP_FMNIST_CALIB : SP_FMNIST_TEST;
  /* --budget: the whole split, of which the table measures --limit first */
  sp_status s = sp_fmnist_load(sp_fmnist_dir(), split, isfinite(a->budget) ? 0 : a->limit, &d);
  if (s) return sp_cli_fail(SENSE_CMD, s);
  sp_sense_data data = {a->data, a->split, d.inputs, d.labels, d.count};
  double start = sp_time_now();
  a->opt.progress = sp_sense_progress;
  a->opt.progress_ctx = &start;
  if (a->curves) rc = sp_sense_run_curves(a, g, &data);
  else if (a->additivity) rc = sp_sense_run_additivity(a, g, &data);
  else rc = sp_sense_run_table(a, g, &data);
  sp_fmnist_free(&d);
  return rc;
}

int sp_cmd_sense(int argc, char **argv) {
  sense_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  sp_graph *g = NULL;
  sp_status s = sp_model_load(a.model, &g);
  if (s) return sp_cli_fail(SENSE_CMD, s);
  if (a.check) rc = sp_sense_run_check(&a, g);
  else if (a.identify) rc = sp_sense_run_identify(&a, g);
  else rc = run_with_data(&a, g);
  sp_graph_free(g);
  return rc;
}
