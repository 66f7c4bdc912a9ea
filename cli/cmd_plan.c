/* stackplan plan: the fastest (or smallest) way to run a model under
 * accuracy, memory and latency bounds, from a profile and an accuracy file;
 * printed as a table and written as a plan file for `stackplan run`. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plan_args.h"
#include "results/plan_verify.h"
#include "planner/plan_inputs.h"


static const char usage_text[] =
    "usage: stackplan plan --profile P --accuracy A [--min-accuracy X] [--max-memory MB]\n"
    "                      [--max-latency MS] [--objective latency|memory|accuracy]\n"
    "                      [--solver ilp|greedy|exhaustive|dp] [--out plan.json]\n"
    "                      [--verify [--model M] [--limit N]]\n"
    "\n"
    "Picks per layer the kernel variant, threads, parameters, device, weight\n"
    "compression and channel keep that minimise the objective (default: latency)\n"
    "under the bounds, from a profile (`stackplan profile`) and an accuracy file\n"
    "(`stackplan sense`) of the same model. Prints one line per layer and the\n"
    "predicted totals; --out writes the plan (docs/formats.md, stackplan-plan).\n"
    "\n"
    "  --min-accuracy X   top-1 accuracy in percent, in (0, 100]\n"
    "  --max-memory MB    peak memory (weights + live activations + workspace), MB = 2^20 bytes\n"
    "  --max-latency MS   predicted end-to-end latency in milliseconds\n"
    "  --objective O      latency (default), memory or accuracy\n"
    "  --solver S         ilp (default: GLPK, proven optimal), greedy, exhaustive, dp (chains)\n"
    "  --out FILE         write the plan there (atomically; nothing is written on failure)\n"
    "  --verify           run the plan on the calibration split (fashion-mnist): it holds\n"
    "                     when the lower end of its accuracy's 95% interval (Wilson)\n"
    "                     clears --min-accuracy, measured on more images while the\n"
    "                     interval straddles it; while it misses, correct the model,\n"
    "                     raise the bound and re-solve; then report it on the test set\n"
    "  --model M          the model to run for --verify (default: the profile's model)\n"
    "  --limit N          --verify on the first N images of each split (calib: at first)\n"
    "\n"
    "Exit codes: 0 ok, 2 bad input, 3 unreadable file, 4 no plan meets the bounds\n"
    "(the message gives the nearest bounds that can be met).\n";

static void print_params(const sp_plan_file_layer *l, char *out, size_t size) {
  snprintf(out, size, "-");
  size_t n = 0;
  for (int i = 0; i < l->n_params && n < size; i++)
    n += (size_t)snprintf(out + n, size - n, "%s%s=%d", i ? "," : "", l->param_names[i], l->params[i]);
}

static void print_plan(const sp_plan_file *f) {
  printf("%-22s %-14s %-8s %-11s %-8s %-9s %3s %-16s %10s %12s\n", "layer", "compression", "format", "algorithm",
         "backend", "device", "thr", "params", "pred ms", "weight B");
  for (int i = 0; i < f->n_layers; i++) {
    const sp_plan_file_layer *l = &f->layers[i];
    char comp[48], dev[24], params[96];
    if (l->compression.kind == SP_WEIGHTS_DENSE) snprintf(comp, sizeof comp, "none");
    else snprintf(comp, sizeof comp, "%s %g", sp_weight_compression_name(l->compression.kind), l->compression.rate);
    if (l->keep_out < 1) snprintf(comp + strlen(comp), sizeof comp - strlen(comp), " k%g", l->keep_out);
    if (l->device < 0) snprintf(dev, sizeof dev, "host");
    else snprintf(dev, sizeof dev, "device:%d", l->device);
    print_params(l, params, sizeof params);
    printf("%-22s %-14s %-8s %-11s %-8s %-9s %3d %-16s %10.4f %12.0f\n", l->name, comp, l->format, l->algorithm,
           l->backend, dev, l->threads, params, l->latency_ms, l->weight_bytes);
  }
  const sp_plan_metrics *m = &f->predicted;
  printf("predicted: latency %.4f ms (transitions %.4f ms), peak memory %.3f MB (at %s), accuracy %.2f%%\n",
         m->latency_ms, m->transition_ms, sp_plan_mb(m->peak_bytes),
         m->peak_step >= 0 && m->peak_step < f->n_layers ? f->layers[m->peak_step].name : "-", m->accuracy);
  printf("solver: %s, %s in %.3f s, gap %.3g, options %d of %d used\n", f->solver, sp_plan_result_name(f->result),
         f->solve_s, f->gap, f->options_used, f->options_total);
}

typedef struct plan_cli {
  sp_plan_args a;
  const char *out, *model;
  int verify, limit;
} plan_cli;

static int parse(int argc, char **argv, plan_cli *c) {
  sp_plan_args *a = &c->a;
  sp_plan_args_init(a);
  for (int i = 1; i < argc; i++) {
    if (sp_cli_is_help(argv[i])) {
      fputs(usage_text, stdout);
      return -1;
    }
    int r = sp_plan_args_parse("plan", argc, argv, &i, a);
    if (r == 2) return 2;
    if (r) continue;
    if (!strcmp(argv[i], "--out") && i + 1 < argc) c->out = argv[++i];
    else if (!strcmp(argv[i], "--model") && i + 1 < argc) c->model = argv[++i];
    else if (!strcmp(argv[i], "--verify")) c->verify = 1;
    else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
      if (!sp_cli_parse_int("plan", "--limit", argv[++i], 1, 1 << 24, &c->limit)) return 2;
    } else return sp_cli_error("plan", 2, "unknown or incomplete option '%s' (see --help)", argv[i]);
  }
  int rc = sp_plan_args_check("plan", a);
  if (!rc && c->verify && !isfinite(a->bounds.min_accuracy))
    rc = sp_cli_error("plan", 2, "--verify needs --min-accuracy X (the bound it verifies)");
  if (!rc && !c->verify && (c->model || c->limit))
    rc = sp_cli_error("plan", 2, "--model and --limit go with --verify");
  return rc;
}

/* The plan could not be made: exit 4 with the nearest bounds when proven
 * infeasible, else the solver's reason. */
/* Why there is no plan, as a status with its message: the planner's
 * diagnosis of infeasible bounds (SP_ERR_INFEASIBLE), an unsupported
 * problem (SP_ERR_INPUT), a solver that gave up (SP_ERR_INFEASIBLE) or failed. */
static sp_status no_plan(const sp_plan_args *a, const sp_plan_problem *p, sp_plan *plan) {
  if (plan->result == SP_PLAN_INFEASIBLE) {
    /* the ILP's message already is the planner's diagnosis (planner.h) */
    if (a->solver != SP_SOLVER_ILP || !a->nearest) {
      sp_status st = sp_plan_nearest_bounds(p, NULL, &plan->nearest, plan->message, (int)sizeof plan->message);
      if (st) return st;
    }
    return sp_fail(SP_ERR_INFEASIBLE, "%s", plan->message);
  }
  sp_status code = plan->result == SP_PLAN_UNSUPPORTED ? SP_ERR_INPUT
                   : plan->result == SP_PLAN_GAVE_UP  ? SP_ERR_INFEASIBLE
                                                      : SP_ERR_RUNTIME;
  return sp_fail(code, "%s solver: %s: %s", sp_plan_solver_name(a->solver),
                 sp_plan_result_name(plan->result), plan->message[0] ? plan->message : "no plan");
}

/* Solves the problem of `in` and fills f (sp_plan_verify_solver.solve). */
static sp_status solve(void *ctx, sp_plan_inputs *in, sp_plan *plan, sp_plan_file *f) {
  const sp_plan_args *a = ctx;
  sp_plan_problem *p = &in->source.problem;
  sp_plan_free(plan);
  sp_plan_file_free(f);
  memset(plan, 0, sizeof *plan);
  memset(f, 0, sizeof *f);
  sp_status st = sp_plan_args_solve(a, p, plan);
  if (st) return st;
  if (!plan->has_plan || !(plan->result == SP_PLAN_OPTIMAL || plan->result == SP_PLAN_FEASIBLE ||
                           plan->result == SP_PLAN_TIME_LIMIT))
    return no_plan(a, p, plan);
  return sp_plan_file_build(&in->profile, &in->source, plan, sp_plan_solver_name(a->solver), &in->prov, f);
}

/* sp_plan_verify_solver.solve_problem: the chosen solver on p as it is. */
static sp_status solve_problem(void *ctx, const sp_plan_problem *p, sp_plan *plan) {
  return sp_plan_args_solve(ctx, p, plan);
}

static void print_notes(const sp_plan_inputs *in) {
  for (const char *s = in->source.notes; *s;) {
    const char *e = strchr(s, '\n');
    printf("note: %.*s\n", (int)(e - s), s);
    s = e + 1;
  }
}

int sp_cmd_plan(int argc, char **argv) {
  plan_cli c = {0};
  int rc = parse(argc, argv, &c);
  if (rc) return rc < 0 ? 0 : rc;
  sp_plan_inputs in;
  sp_status st = sp_plan_inputs_load(c.a.profile, c.a.accuracy, &in);
  if (st) return sp_cli_fail("plan", st);
  sp_plan_problem *p = &in.source.problem;
  p->bounds = c.a.bounds;
  p->objective = c.a.objective;
  sp_plan plan = {0};
  sp_plan_file f = {0};
  if (c.verify) {
    sp_plan_verify_solver solver = {.solve = solve, .solve_problem = solve_problem, .ctx = &c.a};
    st = sp_plan_verify(&in, c.a.bounds.min_accuracy, c.model, c.limit, &solver, &plan, &f, stdout);
  } else {
    st = solve(&c.a, &in, &plan, &f);
  }
  if (!st && c.out) st = sp_plan_file_save(c.out, &f);
  if (st) rc = sp_cli_fail("plan", st);
  if (!rc) {
    if (in.source.notes[0]) print_notes(&in);
    char warning[256];
    if (sp_plan_accuracy_warning(p, &f.predicted, warning, (int)sizeof warning))
      fprintf(stderr, "stackplan plan: warning: %s\n", warning);
    print_plan(&f);
    if (c.out) printf("wrote %s\n", c.out);
  }
  sp_plan_file_free(&f);
  sp_plan_free(&plan);
  sp_plan_inputs_free(&in);
  return rc;
}
