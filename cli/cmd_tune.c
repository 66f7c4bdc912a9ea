/* stackplan tune: the best parameter point (work-group, tiles, vector
 * width) of every tunable kernel variant on every layer of a model, each
 * candidate checked against the reference before it is timed; results go
 * to the tuning cache, which `profile` reads (docs/search.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/opencl/cl_runtime.h"
#include "engine/onnx/model.h"
#include "kernels/registry.h"
#include "search/tune.h"

static const char usage_text[] =
    "usage: stackplan tune MODEL [--device ID] [--layer NAME] [--variant NAME]\n"
    "                            [--strategy S] [--budget N] [--fraction F] [--time S]\n"
    "                            [--patience N] [--seed S] [--retune]\n"
    "\n"
    "Searches the parameter space of every tunable kernel variant (the OpenCL ones:\n"
    "work-group size, tiles, vector width) on every layer of MODEL, on an OpenCL\n"
    "device. Each candidate runs once and is checked against the reference kernel,\n"
    "then timed; failures (no build, refused launch, wrong result) are counted, not\n"
    "fatal. One line per layer and variant: evaluations, best point, its time and\n"
    "the speed-up over the default point. Results go to the tuning cache\n"
    "(<cache>/tuning/<device>.json); a layer already there is not tuned again.\n"
    "\n"
    "  --device ID     OpenCL device (`stackplan devices`; default 0)\n"
    "  --layer NAME    only this layer\n"
    "  --variant NAME  only this variant\n"
    "  --strategy S    exhaustive, random, anneal (default) or bayes\n"
    "  --budget N      evaluations per layer and variant (default 30)\n"
    "  --fraction F    ... or at most this fraction of the valid points\n"
    "  --time S        ... or at most S seconds per layer and variant\n"
    "  --patience N    ... or stop after N evaluations without improvement\n"
    "  --seed S        seed of the random strategies (default 1)\n"
    "  --retune        tune again what the cache already holds\n";

typedef struct tune_cli {
  const char *model, *layer, *variant;
  int device_index;
  sp_tune_options opt;
} tune_cli;

static int parse_options(int argc, char **argv, tune_cli *o) {
  const char *device = NULL;
  memset(o, 0, sizeof *o);
  o->opt = sp_tune_options_default();
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (sp_cli_is_help(arg)) {
      fputs(usage_text, stdout);
      return -1;
    } else if (!strcmp(arg, "--retune")) o->opt.retune = 1;
    else if (!value && arg[0] == '-') rc = sp_cli_error("tune", 2, "unknown or incomplete option '%s' (see --help)", arg);
    else if (!strcmp(arg, "--device")) device = argv[++i];
    else if (!strcmp(arg, "--layer")) o->layer = argv[++i];
    else if (!strcmp(arg, "--variant")) o->variant = argv[++i];
    else if (!strcmp(arg, "--strategy")) {
      if (sp_search_strategy_parse(argv[++i], &o->opt.search.strategy)) rc = sp_cli_fail("tune", SP_ERR_INPUT);
    } else if (!strcmp(arg, "--budget")) {
      if (!sp_cli_parse_int("tune", arg, argv[++i], 1, 1 << 24, &o->opt.search.max_evals)) rc = 2;
    } else if (!strcmp(arg, "--fraction") || !strcmp(arg, "--time")) {
      char *end;
      double v = strtod(argv[++i], &end);
      int fraction = !strcmp(arg, "--fraction");
      if (end == argv[i] || *end || !(v > 0) || (fraction && v > 1) || v > 1e6)
        rc = sp_cli_error("tune", 2, "%s expects %s, got '%s'", arg,
                          fraction ? "a fraction in (0, 1]" : "seconds > 0", argv[i]);
      else if (fraction) o->opt.search.max_fraction = v;
      else o->opt.search.max_seconds = v;
    } else if (!strcmp(arg, "--patience")) {
      if (!sp_cli_parse_int("tune", arg, argv[++i], 1, 1 << 24, &o->opt.search.patience)) rc = 2;
    } else if (!strcmp(arg, "--seed")) {
      int seed;
      if (!sp_cli_parse_int("tune", arg, argv[++i], 0, 1 << 30, &seed)) rc = 2;
      o->opt.search.seed = (uint64_t)seed;
    } else if (arg[0] == '-') rc = sp_cli_error("tune", 2, "unknown option '%s' (see --help)", arg);
    else if (o->model) rc = sp_cli_error("tune", 2, "expected one MODEL, got '%s' too", arg);
    else o->model = arg;
    if (rc) return rc;
  }
  if (!o->model) return sp_cli_error("tune", 2, "missing MODEL (see --help)");
  if (o->variant) {
    const sp_variant *v = sp_registry_find(o->variant);
    if (!v) return sp_cli_error("tune", 2, "unknown variant '%s' (see stackplan bench)", o->variant);
    if (!v->params) return sp_cli_error("tune", 2, "variant %s has no parameters to tune", o->variant);
  }
  if (device) {
    if (sp_cl_parse_device(device, &o->device_index)) return sp_cli_fail("tune", SP_ERR_INPUT);
  } else if (!sp_cl_enabled()) {
    return sp_cli_error("tune", 2, "no OpenCL device (%s): only OpenCL variants have parameters "
                        "to tune", sp_cl_disabled_reason());
  }
  return 0;
}

static void print_outcome(const char *layer, const sp_variant *v, const sp_tune_outcome *t) {
  const sp_tune_entry *e = &t->entry;
  printf("%-24s %-26s ", layer, v->name);
  if (!t->found) {
    printf("%d evaluations, all failed: %s\n", e->evaluations, t->first_error);
    return;
  }
  printf("%3d evaluations (%d failed) of %5d points, best", e->evaluations, e->failures, e->space);
  for (int i = 0; i < e->n_params; i++) printf(" %s=%d", e->names[i], e->values[i]);
  printf(" %.4f ms", e->best_ms);
  if (e->default_ms > 0) printf(", default %.4f ms, speed-up %.2fx", e->default_ms, e->default_ms / e->best_ms);
  else printf(", the default point failed");
  printf("%s\n", t->cached ? " (cached)" : "");
  fflush(stdout);
}

/* Tunes every selected variant on node i; returns the exit code. */
static int tune_node(const sp_graph *g, int i, const tune_cli *o, sp_tune_cache *cache, int *tuned) {
  int count, rc = 0;
  const sp_variant *all = sp_registry_variants(&count);
  for (int k = 0; k < count && !rc; k++) {
    const sp_variant *v = &all[k];
    if (!v->params || (o->variant && strcmp(o->variant, v->name))) continue;
    sp_tune_outcome t;
    sp_status s = sp_tune_layer(g, i, v, &o->opt, cache, &t);
    if (s == SP_ERR_INPUT) continue; /* the variant cannot run this layer */
    if (s) return sp_cli_fail("tune", s);
    print_outcome(g->nodes[i].name, v, &t);
    (*tuned)++;
    if (!t.cached && t.found && (s = sp_tune_cache_save(cache))) rc = sp_cli_fail("tune", s);
  }
  return rc;
}

static int run(const sp_graph *g, tune_cli *o) {
  int known = !o->layer;
  for (int i = 1; i < g->n_nodes && !known; i++) known = !strcmp(o->layer, g->nodes[i].name);
  if (!known) return sp_cli_error("tune", 2, "%s has no layer '%s' (see stackplan info)", g->name, o->layer);
  sp_cl_device *device = NULL;
  sp_device_info info;
  sp_status s = sp_cl_device_get(o->device_index, &device);
  if (!s) s = sp_device_info_collect(o->device_index, &info);
  if (s) return sp_cli_fail("tune", s);
  o->opt.device = device;
  o->opt.device_index = o->device_index;
  o->opt.limits = sp_cl_info(device)->limits;
  sp_tune_cache cache;
  if ((s = sp_tune_cache_open(&info, &cache))) return sp_cli_fail("tune", s);
  if ((s = sp_tune_cache_check_writable(&cache))) { /* before the search, not after it */
    sp_tune_cache_close(&cache);
    return sp_cli_fail("tune", s);
  }
  printf("# %s on %s; strategy %s, budget %d, seed %llu; cache %s\n", g->name,
         sp_cl_info(device)->name, sp_search_strategy_name(o->opt.search.strategy),
         o->opt.search.max_evals, (unsigned long long)o->opt.search.seed, cache.path);
  int rc = 0, tuned = 0;
  for (int i = 1; i < g->n_nodes && !rc; i++)
    if (!o->layer || !strcmp(o->layer, g->nodes[i].name)) rc = tune_node(g, i, o, &cache, &tuned);
  if (!rc && !tuned)
    rc = sp_cli_error("tune", 2, "nothing to tune: no layer has a variant with parameters%s%s",
                      o->variant ? " among " : "", o->variant ? o->variant : "");
  sp_tune_cache_close(&cache);
  return rc;
}

int sp_cmd_tune(int argc, char **argv) {
  tune_cli o;
  int rc = parse_options(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;
  if (o.device_index < 0) o.device_index = 0;
  sp_graph *g = NULL;
  sp_status s = sp_model_load(o.model, &g);
  if (s) return sp_cli_fail("tune", s);
  rc = run(g, &o);
  sp_graph_free(g);
  return rc;
}
