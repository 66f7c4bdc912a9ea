/* stackplan demo: the main job. For every shipped model: quick profile,
 * sensitivity analysis, Pareto front, a plan within 1 point of the
 * baseline verified on the calibration split, the plan run on the test set
 * against the dense model and the best single configuration; a Markdown
 * report with PNG plots under out/demo. Sub-steps log to files there;
 * the terminal gets one progress line per step. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/core/file_io.h"
#include "engine/data/dataset.h"
#include "engine/onnx/model.h"
#include "planner/plan_inputs.h"
#include "profiler/device_info.h"
#include "profiler/profile_io.h"
#include "engine/core/json_file.h"
#include "engine/core/timer.h"
#include "results/demo_manifest.h"
#include "results/demo_report.h"
#include "results/plan_baselines.h"

static const char usage_text[] =
    "usage: stackplan demo [--models DIR] [--out DIR] [--only NAME] [--limit N]\n"
    "\n"
    "The main job, on this machine, for every model of DIR/manifest.json (the\n"
    "shipped trained models, default models/): quick profile, sensitivity analysis\n"
    "on N calibration images (default 500), the Pareto front, a plan within 1\n"
    "point of the baseline accuracy verified on the calibration split, and the\n"
    "plan run on the test set against the dense model and the best single\n"
    "configuration. Writes report.md, PNG plots and every intermediate file\n"
    "(profiles, accuracy files, plans, logs) to --out (default out/demo).\n"
    "\n"
    "  --only NAME   only that model of the manifest\n";

typedef struct demo_options {
  const char *models, *out, *only;
  int limit;
} demo_options;

static double t_start;

static void progress(const char *model, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const char *model, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("[%5.0f s] %-10s ", sp_time_now() - t_start, model);
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
}

/* Runs a subcommand with its stdout appended to `log`; its exit code. */
static int logged(const char *log, sp_cmd_fn cmd, char **argv) {
  int argc = 0;
  while (argv[argc]) argc++;
  fflush(stdout);
  /* O_NONBLOCK: a FIFO put at the log's path fails at once, never blocks */
  int saved = dup(1), fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK, 0644);
  if (saved < 0 || fd < 0) return sp_cli_error("demo", 3, "cannot write %s", log);
  dup2(fd, 1);
  close(fd);
  int rc = cmd(argc, argv);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  return rc;
}

static void path_in(char *out, size_t size, const char *dir, const char *name, const char *suffix) {
  snprintf(out, size, "%s/%s%s", dir, name, suffix);
}

/* The verify lines of the plan log. */
static void verify_lines(const char *log, char *out, size_t size) {
  out[0] = '\0';
  FILE *f = fopen(log, "r");
  char line[512];
  size_t n = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "verif", 5) && n + strlen(line) < size) n += (size_t)snprintf(out + n, size - n, "%s", line);
  if (f) fclose(f);
}

/* Seconds a measurement waits for the machine to be back at the profile's
 * speed (run --settle): the host slows a CPU for tens of seconds at times. */
#define DEMO_SETTLE_S 30

static int measure_plan(const sp_plan_file *f, const char *model, const sp_fmnist *data, sp_plan_measurement *m) {
  sp_plan_exec x;
  sp_plan_measure_options o = {.repeat = 100, .warmup = 3, .data = data, .reference = 1,
                               .rss_baseline = sp_plan_memory_baseline(), /* before the model loads */
                               .settle_seconds = DEMO_SETTLE_S};
  sp_status s = sp_plan_exec_build(f, "plan", model, 0, &x);
  if (!s) {
    s = sp_plan_measure(f, &x, &o, m);
    sp_plan_exec_free(&x);
  }
  return s ? sp_cli_fail("demo", s) : 0;
}

/* The dense model as `infer --threads 1` runs it: no plan, default variants. */
static int measure_default(const sp_plan_file *f, const char *model, double *ms) {
  sp_plan_exec x = {.device = -1};
  sp_plan_measurement m;
  sp_plan_measure_options o = {.repeat = 100, .warmup = 3, .reference = 1, .settle_seconds = DEMO_SETTLE_S};
  sp_status s = sp_model_load(model, &x.graph);
  if (!s) s = sp_plan_measure(f, &x, &o, &m);
  sp_graph_free(x.graph);
  if (s) return sp_cli_fail("demo", s);
  *ms = m.latency_ms;
  sp_plan_measurement_free(&m);
  return 0;
}

static int measure_baseline(const sp_plan_file *plan, const sp_profile *prof, const char *model, const char *variant,
                            int threads, double *pred_ms, double *ms) {
  sp_plan_file f;
  sp_plan_measurement m;
  sp_status s = sp_plan_dense_baseline(plan, prof, variant, threads, &f, NULL);
  if (s) return sp_cli_fail("demo", s);
  int rc = measure_plan(&f, model, NULL, &m);
  *pred_ms = f.predicted.latency_ms;
  if (!rc) *ms = m.latency_ms;
  sp_plan_measurement_free(&m);
  sp_plan_file_free(&f);
  return rc;
}

static int demo_model(const demo_options *o, sp_demo_model *d, const sp_fmnist *test) {
  char P[600], A[600], PLAN[600], log[600], lo[32], hi[32], bound[32], limit[16], verify_images[16];
  path_in(P, sizeof P, o->out, d->name, ".profile.json");
  path_in(A, sizeof A, o->out, d->name, ".accuracy.json");
  path_in(PLAN, sizeof PLAN, o->out, d->name, ".plan.json");
  path_in(log, sizeof log, o->out, d->name, ".log");
  unlink(log);
  snprintf(limit, sizeof limit, "%d", o->limit);
  snprintf(verify_images, sizeof verify_images, "%d", SP_DEMO_VERIFY_IMAGES);
  double t0 = sp_time_now();
  progress(d->name, "1/5 profile %s --quick (log: %s)", d->path, log);
  char *profile[] = {"profile", d->path, "--quick", "--force", "--out", P, NULL};
  int rc = logged(log, sp_cmd_profile, profile);
  d->seconds[0] = sp_time_now() - t0;
  if (rc) return snprintf(d->error, sizeof d->error, "profile exited %d (see %s)", rc, log), rc;

  t0 = sp_time_now();
  progress(d->name, "2/5 sense --quick on %s calibration images", limit);
  char *sense[] = {"sense", d->path, "--data", "fashion-mnist", "--quick", "--limit", limit, "--out", A, NULL};
  rc = logged(log, sp_cmd_sense, sense);
  d->seconds[1] = sp_time_now() - t0;
  if (rc) return snprintf(d->error, sizeof d->error, "sense exited %d (see %s)", rc, log), rc;
  sp_plan_accuracy acc;
  sp_status s = sp_plan_accuracy_load(A, &acc);
  if (s) return sp_cli_fail("demo", s);
  d->baseline = acc.baseline;
  sp_plan_accuracy_free(&acc);
  d->bound = floor((d->baseline - 1) * 100) / 100;

  t0 = sp_time_now();
  progress(d->name, "3/5 Pareto front over accuracy bounds %.0f..%.0f%%", floor(d->baseline - 10), floor(d->baseline));
  snprintf(lo, sizeof lo, "%.0f", floor(d->baseline - 10));
  snprintf(hi, sizeof hi, "%.0f", floor(d->baseline));
  char sweep[96], png[600], csv[600];
  snprintf(sweep, sizeof sweep, "accuracy=%s:%s:0.5", lo, hi);
  snprintf(d->pareto_png, sizeof d->pareto_png, "%s_pareto.png", d->name);
  snprintf(d->pareto_csv, sizeof d->pareto_csv, "%s_pareto.csv", d->name);
  path_in(png, sizeof png, o->out, d->pareto_png, "");
  path_in(csv, sizeof csv, o->out, d->pareto_csv, "");
  char *query[] = {"query", "--profile", P, "--accuracy", A, "--sweep", sweep, "--csv", csv, "--png", png, NULL};
  rc = logged(log, sp_cmd_query, query);
  if (rc) d->pareto_png[0] = d->pareto_csv[0] = '\0'; /* no gnuplot: the report goes on without */
  if (access(png, R_OK)) d->pareto_png[0] = '\0';
  d->seconds[2] = sp_time_now() - t0;

  t0 = sp_time_now();
  /* at the bound itself: --verify holds a plan only when the lower end of
   * its accuracy's interval on the calibration images clears it (issue #21
   * replaced a fixed margin of 0.5 pp) */
  d->planned_bound = d->bound;
  snprintf(bound, sizeof bound, "%.2f", d->planned_bound);
  progress(d->name, "4/5 plan --min-accuracy %s --verify (the lower end of the 95%% interval on calib)", bound);
  char *plan[] = {"plan", "--profile", P, "--accuracy", A, "--min-accuracy", bound, "--verify", "--limit", verify_images,
                  "--out", PLAN, NULL};
  rc = logged(log, sp_cmd_plan, plan);
  d->seconds[3] = sp_time_now() - t0;
  verify_lines(log, d->verify_log, sizeof d->verify_log);
  if (rc) return snprintf(d->error, sizeof d->error, "plan --verify exited %d (see %s)", rc, log), rc;

  t0 = sp_time_now();
  progress(d->name, "5/5 run the plan on %d test images; the dense model and the best single configuration",
           test->count);
  sp_profile prof;
  if ((s = sp_plan_file_load(PLAN, &d->plan)) || (s = sp_profile_load(P, &prof))) return sp_cli_fail("demo", s);
  rc = measure_plan(&d->plan, d->path, test, &d->measured);
  if (!rc) rc = measure_default(&d->plan, d->path, &d->dense_default_ms);
  if (!rc) rc = measure_baseline(&d->plan, &prof, d->path, NULL, 0, &d->dense_best_pred_ms, &d->dense_best_ms);
  if (!rc && (s = sp_plan_best_single(&d->plan, &prof, d->single_variant, sizeof d->single_variant,
                                      &d->single_threads)))
    rc = sp_cli_fail("demo", s);
  if (!rc)
    rc = measure_baseline(&d->plan, &prof, d->path, d->single_variant, d->single_threads, &d->single_pred_ms,
                          &d->single_ms);
  sp_profile_free(&prof);
  d->seconds[4] = sp_time_now() - t0;
  if (rc) return snprintf(d->error, sizeof d->error, "measuring the plan failed (exit %d)", rc), rc;
  d->ok = 1;
  progress(d->name, "plan %.4f ms predicted, %.4f ms measured (%+.1f%%), accuracy %.2f%% on test (bound %.2f%%), "
                    "%.2fx faster than the dense model",
           d->plan.predicted.latency_ms, d->measured.latency_ms,
           100 * sp_relative_error(d->measured.latency_ms, d->plan.predicted.latency_ms), d->measured.accuracy,
           d->bound, d->dense_default_ms / d->measured.latency_ms);
  return 0;
}

/* The models of the manifest (name, file); the count, or minus the exit
 * code after an error. */
static int read_manifest(const demo_options *o, sp_demo_model *models, int cap) {
  char path[600];
  snprintf(path, sizeof path, "%s/manifest.json", o->models);
  sp_manifest man;
  sp_status s = sp_manifest_load(path, &man);
  if (s == SP_ERR_IO) return -sp_cli_error("demo", 3, "%s (the shipped models; --models DIR)", sp_last_error());
  if (s) return -sp_cli_fail("demo", s);
  int count = 0;
  for (int i = 0; i < man.n && count < cap; i++) {
    if (o->only && strcmp(o->only, man.models[i].name)) continue;
    memset(&models[count], 0, sizeof models[count]);
    snprintf(models[count].name, sizeof models[count].name, "%s", man.models[i].name);
    snprintf(models[count].path, sizeof models[count].path, "%s/%s", o->models, man.models[i].file);
    count++;
  }
  if (!count) return -sp_cli_error("demo", 2, "%s: no model%s%s", path, o->only ? " named " : "", o->only ? o->only : "");
  return count;
}

static void machine_of(sp_demo_machine *m) {
  sp_device_info info;
  memset(m, 0, sizeof *m);
  if (!sp_device_info_collect(-1, &info)) {
    snprintf(m->cpu, sizeof m->cpu, "%s", info.cpu);
    m->cores = info.cores;
    snprintf(m->build, sizeof m->build, "stackplan %s, %s %s, OpenBLAS %s, GLPK %s", info.version, info.compiler,
             info.flags, info.openblas, info.glpk);
  }
  snprintf(m->device, sizeof m->device, "the host CPU (the quick profiles measure host variants only)");
  sp_profile_now(m->date);
}

static int write_report(const demo_options *o, const sp_demo_machine *mach, const sp_demo_model *models, int n) {
  char path[600];
  snprintf(path, sizeof path, "%s/report.md", o->out);
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (!s) {
    sp_demo_report_write(af.f, mach, models, n);
    s = sp_atomic_commit(&af);
  }
  if (s) return sp_cli_fail("demo", s);
  printf("report: %s\n", path);
  return 0;
}

int sp_cmd_demo(int argc, char **argv) {
  demo_options o = {.models = "models", .out = "out/demo", .limit = 500};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (sp_cli_is_help(arg)) {
      fputs(usage_text, stdout);
      return 0;
    } else if (!strcmp(arg, "--models") && value) o.models = argv[++i];
    else if (!strcmp(arg, "--out") && value) o.out = argv[++i];
    else if (!strcmp(arg, "--only") && value) o.only = argv[++i];
    else if (!strcmp(arg, "--limit") && value) {
      if (!sp_cli_parse_int("demo", arg, argv[++i], 1, 5000, &o.limit)) return 2;
    } else return sp_cli_error("demo", 2, "unknown or incomplete argument '%s' (see --help)", arg);
  }
  t_start = sp_time_now();
  static sp_demo_model models[8];
  int n = read_manifest(&o, models, 8);
  if (n < 0) return -n;
  sp_status made = sp_make_dirs(o.out);
  if (made || access(o.out, W_OK))
    return sp_cli_error("demo", 3, "%s (or not writable; --out DIR names another folder)",
                        made ? sp_last_error() : o.out);
  sp_fmnist test;
  sp_status s = sp_fmnist_load(sp_fmnist_dir(), SP_FMNIST_TEST, 0, &test);
  if (s) return sp_cli_fail("demo", s);
  int failed = 0;
  for (int i = 0; i < n; i++) failed |= demo_model(&o, &models[i], &test) != 0;
  sp_fmnist_free(&test);
  sp_demo_machine mach;
  machine_of(&mach);
  mach.total_seconds = sp_time_now() - t_start;
  int rc = write_report(&o, &mach, models, n);
  for (int i = 0; i < n; i++) {
    sp_plan_file_free(&models[i].plan);
    sp_plan_measurement_free(&models[i].measured);
  }
  printf("demo: %d model%s in %.0f s%s\n", n, n > 1 ? "s" : "", mach.total_seconds, failed ? ", some failed" : "");
  return rc ? rc : failed ? 1 : 0;
}
