/* stackplan infer: run a model on a seeded random batch or on a .npy batch,
 * report the outputs, the kernel variants used and the latency, optionally
 * checked against the reference kernels and written to a .npy file. The
 * dataset evaluation (--data) lives in infer_data.c. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/executor/dataset_eval.h"
#include "engine/executor/executor.h"
#include "engine/data/npy.h"
#include "engine/core/rng.h"
#include "cli/infer.h"
#include "kernels/registry.h"
#include "cli/model_args.h"
#include "profiler/measure.h"

static const char usage_text[] =
    "usage: stackplan infer MODEL [--batch N] [--threads T] [--repeat R] [--seed S]\n"
    "                             [--reference] [--check] [--layers]\n"
    "                             [--compress SPEC] [--variant LAYER=VARIANT,...]\n"
    "       stackplan infer MODEL --input X.npy [--output Y.npy] [options]\n"
    "       stackplan infer MODEL --data fashion-mnist [--split test|calib] [--limit N]\n"
    "                             [--batch N] [--threads T] [--verbose]\n"
    "\n"
    "Runs MODEL (a zoo spec such as vgg16 or resnet18:w=0.5,c=1, or an .onnx file)\n"
    "on a batch of seeded random inputs (default) or on the images of X.npy, and\n"
    "prints the predicted classes, the kernel variant of each op and the median\n"
    "latency of R runs (after 2 warm-up runs). With --data, prints the top-1\n"
    "accuracy on a dataset and the median latency per image.\n"
    "\n"
    "  --batch N      images per run (default 1)\n"
    "  --threads T    threads per kernel call (default 1)\n"
    "  --repeat R     timed runs (default 10)\n"
    "  --seed S       seed of the random inputs (default 1)\n"
    "  --reference    run every op with its naive reference kernel\n"
    "  --check        also run the reference kernels and compare the outputs\n"
    "                 (exit 1 if they differ beyond 1e-3 relative to the logit range)\n"
    "  --layers       print the variant chosen for every node\n"
    "  --input X      float32 .npy of shape N x C x H x W (the batch is N)\n"
    "  --output Y     write the outputs as a float32 .npy of shape N x classes\n"
    "  --data NAME    evaluate on a dataset: fashion-mnist (from $SP_DATA_DIR, default\n"
    "                 /usr/share/datasets/fashion-mnist)\n"
    "  --split S      test (10,000 images, default) or calib (last 5,000 training images)\n"
    "  --limit N      only the first N images of the split\n"
    "  --verbose      print the dataset directory and normalisation statistics\n"
    "  --compress S   compress before running: keep:LAYER=K (channel pruning of the\n"
    "                 layer's group), prune:LAYER=S (weight pruning), ternary:LAYER[=T],\n"
    "                 comma-separated, e.g. keep:conv3=0.5,prune:conv5=0.8,ternary:fc1\n"
    "  --variant L=V  run layer L with kernel variant V (names: stackplan bench), e.g.\n"
    "                 conv5=conv2d__csr_direct_serial; other layers take the default\n";

/* Options that do not fit the chosen mode are errors, not silently ignored. */
static int check_modes(infer_options *o) {
  if (o->data && (o->input || o->output))
    return sp_cli_error("infer", 2, "--data cannot be combined with --input/--output");
  if (o->data && (o->given_seed || o->given_repeat || o->check))
    return sp_cli_error("infer", 2, "--seed, --repeat and --check do not apply to --data");
  if (!o->data && (o->split || o->limit))
    return sp_cli_error("infer", 2, "--split and --limit need --data");
  if (o->split && strcmp(o->split, "test") && strcmp(o->split, "calib"))
    return sp_cli_error("infer", 2, "--split expects test or calib, got '%s'", o->split);
  if (o->output && !o->input)
    return sp_cli_error("infer", 2, "--output needs --input (the outputs of which inputs?)");
  if (o->input && (o->given_batch || o->given_seed))
    return sp_cli_error("infer", 2, "--batch and --seed do not apply to --input (the batch "
                        "is the file's first dimension)");
  if (!o->split) o->split = "test";
  return 0;
}

static int parse_options(int argc, char **argv, infer_options *o) {
  static const struct option longopts[] = {
      {"batch", required_argument, 0, 'b'}, {"threads", required_argument, 0, 't'},
      {"repeat", required_argument, 0, 'r'}, {"seed", required_argument, 0, 's'},
      {"reference", no_argument, 0, 'R'},   {"check", no_argument, 0, 'c'},
      {"layers", no_argument, 0, 'l'},      {"help", no_argument, 0, 'h'},
      {"input", required_argument, 0, 'i'}, {"output", required_argument, 0, 'o'},
      {"data", required_argument, 0, 'd'},  {"split", required_argument, 0, 'S'},
      {"limit", required_argument, 0, 'L'}, {"verbose", no_argument, 0, 'v'},
      {"compress", required_argument, 0, 'C'}, {"variant", required_argument, 0, 'V'},
      {0, 0, 0, 0}};
  *o = (infer_options){.batch = 1, .threads = 1, .repeat = 10, .seed = 1};
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
      case 'b': if (!sp_cli_parse_int("infer", "--batch", optarg, 1, 4096, &o->batch)) return 2; o->given_batch = 1; break;
      case 't': if (!sp_cli_parse_int("infer", "--threads", optarg, 1, 256, &o->threads)) return 2; break;
      case 'r': if (!sp_cli_parse_int("infer", "--repeat", optarg, 1, 100000, &o->repeat)) return 2; o->given_repeat = 1; break;
      case 's': if (!sp_cli_parse_int("infer", "--seed", optarg, 0, 1 << 30, &o->seed)) return 2; o->given_seed = 1; break;
      case 'L': if (!sp_cli_parse_int("infer", "--limit", optarg, 1, 1 << 30, &o->limit)) return 2; break;
      case 'R': o->reference = 1; break;
      case 'c': o->check = 1; break;
      case 'l': o->layers = 1; break;
      case 'v': o->verbose = 1; break;
      case 'i': o->input = optarg; break;
      case 'o': o->output = optarg; break;
      case 'd': o->data = optarg; break;
      case 'S': o->split = optarg; break;
      case 'C': o->compress = optarg; break;
      case 'V': o->variant_spec = optarg; break;
      case 'h': fputs(usage_text, stdout); return -1;
      default:
        return sp_cli_error("infer", 2, "unknown or incomplete option '%s' (see --help)",
                            argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return sp_cli_error("infer", 2, optind >= argc ? "missing MODEL (see --help)"
                                                   : "expected one MODEL, got extra arguments");
  o->model = argv[optind];
  return check_modes(o);
}

static void run_executor(void *ctx) {
  void **c = ctx;
  sp_executor_run(c[0], c[1], c[2]);
}

void sp_infer_print_variants(const sp_graph *g, const sp_executor *e, int per_node) {
  if (per_node) {
    for (int i = 1; i < g->n_nodes; i++)
      printf("  %-28s %-16s %s\n", g->nodes[i].name, sp_op_name(g->nodes[i].op),
             sp_executor_variant(e, i)->name);
    return;
  }
  /* one summary line: each distinct variant with its count, in first-use order */
  printf("variants:");
  for (int i = 1; i < g->n_nodes; i++) {
    const sp_variant *v = sp_executor_variant(e, i);
    int seen = 0, count = 0;
    for (int j = 1; j < i; j++) seen |= sp_executor_variant(e, j) == v;
    if (seen) continue;
    for (int j = i; j < g->n_nodes; j++) count += sp_executor_variant(e, j) == v;
    printf(" %s x%d", v->name, count);
  }
  printf("\n");
}

static void print_predictions(const float *out, int batch, int classes) {
  int shown = batch < 8 ? batch : 8;
  printf("predictions:");
  for (int b = 0; b < shown; b++)
    printf(" %d", sp_argmax(out + (size_t)b * (size_t)classes, classes));
  printf("%s\n", batch > shown ? " ..." : "");
}

/* Largest |a-b| relative to the range of b (so the check is scale free). */
static double relative_max_diff(const float *a, const float *b, size_t n) {
  double diff = 0, lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]);
    if (!(d <= diff)) diff = d; /* NaN propagates as a failure */
    lo = fmin(lo, b[i]);
    hi = fmax(hi, b[i]);
  }
  return diff / fmax(hi - lo, 1e-12);
}

/* The input batch: seeded random numbers, or the images of --input (whose
 * shape must be N x C x H x W of the model's input). Sets o->batch. */
static sp_status load_input(infer_options *o, const sp_graph *g, float **in) {
  *in = NULL;
  if (!o->input) {
    size_t count = (size_t)o->batch * sp_dims_count(g->input);
    if (!(*in = malloc(count * sizeof **in)))
      return sp_fail(SP_ERR_RUNTIME, "out of memory for a batch of %d", o->batch);
    sp_rng rng;
    sp_rng_seed(&rng, (uint64_t)o->seed);
    for (size_t i = 0; i < count; i++) (*in)[i] = sp_rng_normal(&rng);
    return SP_OK;
  }
  sp_npy x;
  sp_status s = sp_npy_read_file(o->input, &x);
  if (!s && (s = sp_npy_check_finite(&x, o->input))) sp_npy_free(&x);
  if (s) return s;
  sp_dims d = g->input;
  if (x.rank != 4 || x.shape[0] < 1 || x.shape[0] > 65536 || x.shape[1] != d.c ||
      x.shape[2] != d.h || x.shape[3] != d.w) {
    char shape[96] = "";
    for (int i = 0; i < x.rank; i++)
      snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", i ? "x" : "",
               (long long)x.shape[i]);
    sp_npy_free(&x);
    return sp_fail(SP_ERR_INPUT, "%s: shape %s does not fit model %s, which takes N x %d x %d x %d "
                   "(N <= 65536)", o->input, shape, o->model, d.c, d.h, d.w);
  }
  o->batch = (int)x.shape[0];
  *in = x.data; /* taken over */
  return SP_OK;
}

int sp_cmd_infer(int argc, char **argv) {
  infer_options o;
  int rc = parse_options(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;

  sp_graph *g = NULL;
  sp_executor *e = NULL, *ref = NULL;
  float *in = NULL, *out = NULL, *ref_out = NULL;
  sp_status s = sp_cli_load_model(o.model, o.compress, &g);
  if (s) return sp_cli_fail("infer", s);
  if ((s = sp_cli_parse_variants(g, o.variant_spec, &o.variants))) {
    rc = sp_cli_fail("infer", s);
    goto done;
  }
  if (o.data) {
    rc = sp_infer_data(&o, g);
    goto done;
  }
  if ((s = load_input(&o, g, &in))) {
    rc = sp_cli_fail("infer", s);
    goto done;
  }
  int classes = (int)sp_dims_count(g->nodes[g->output].out);
  size_t out_count = (size_t)o.batch * (size_t)classes;
  out = malloc(out_count * sizeof *out);
  if (!out) {
    rc = sp_cli_error("infer", 1, "out of memory for a batch of %d", o.batch);
    goto done;
  }

  sp_exec_options opt = sp_exec_options_default();
  opt.batch = o.batch;
  opt.threads = o.threads;
  opt.reference = o.reference;
  opt.variants = o.variants;
  s = sp_executor_create(g, &opt, &e);
  if (s) {
    rc = sp_cli_fail("infer", s);
    goto done;
  }
  printf("model: %s (input %dx%dx%d, batch %d, threads %d)\n", g->name, g->input.c, g->input.h,
         g->input.w, o.batch, o.threads);
  sp_infer_print_variants(g, e, o.layers);
  /* exactly --repeat timed runs after the protocol's warm-up */
  sp_measure_options mopt = sp_measure_options_default();
  mopt.min_runs = mopt.max_runs = o.repeat;
  mopt.min_seconds = 0;
  void *ctx[3] = {e, in, out};
  sp_timing t;
  if (sp_measure(run_executor, ctx, &mopt, &t)) {
    rc = sp_cli_error("infer", 1, "out of memory timing %s", g->name);
    goto done;
  }
  print_predictions(out, o.batch, classes);
  printf("latency: median %.3f ms per run (p10 %.3f, p90 %.3f, n=%d), %.3f ms per image\n",
         1e3 * t.median, 1e3 * t.p10, 1e3 * t.p90, t.n, 1e3 * t.median / o.batch);

  if (o.check) {
    opt.reference = 1;
    opt.variants = NULL;
    ref_out = malloc(out_count * sizeof *ref_out);
    s = ref_out ? sp_executor_create(g, &opt, &ref)
                : sp_fail(SP_ERR_RUNTIME, "out of memory for the reference outputs");
    if (s) {
      rc = sp_cli_fail("infer", s);
      goto done;
    }
    sp_executor_run(ref, in, ref_out);
    double diff = relative_max_diff(out, ref_out, out_count);
    int ok = diff <= 1e-3;
    printf("check: max |output - reference| = %.2e of the logit range (%s)\n", diff,
           ok ? "ok" : "MISMATCH");
    if (!ok) {
      rc = sp_cli_error("infer", 1, "outputs differ from the reference kernels");
      goto done;
    }
  }
  if (o.output) {
    int64_t shape[2] = {o.batch, classes};
    if ((s = sp_npy_write_file(o.output, out, 2, shape))) rc = sp_cli_fail("infer", s);
    else printf("output: %s (%d x %d float32)\n", o.output, o.batch, classes);
  }
done:
  free(o.variants);
  sp_executor_free(e);
  sp_executor_free(ref);
  sp_graph_free(g);
  free(in);
  free(out);
  free(ref_out);
  return rc;
}
