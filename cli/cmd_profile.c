/* stackplan profile: every layer of a model under every compression,
 * channel keep, kernel variant, thread count and tuned parameter point,
 * measured on this machine and written as a stackplan-profile file
 * (docs/profiling.md, docs/formats.md). */
#define _POSIX_C_SOURCE 200809L /* sigaction, isatty, fileno */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/opencl/cl_runtime.h"
#include "engine/onnx/model.h"
#include "profiler/profile_io.h"
#include "profiler/profile_run.h"
#include "profiler/profile_sequence.h"
#include "search/tune_cache.h"

static const char usage_text[] =
    "usage: stackplan profile MODEL [--device ID] [--threads 1,2] [--quick] [--out FILE]\n"
    "                               [--resume] [--force] [--batch N] [--variants LIST]\n"
    "                               [--min-time S] [--max-time S] [--ci R]\n"
    "\n"
    "Measures every layer of MODEL (a zoo spec or an .onnx file) under every choice:\n"
    "each registered variant that supports it (OpenCL ones too with --device), each\n"
    "weight compression (none; pruning s = 0.5 0.7 0.8 0.9 0.95; ternary t = 0.7),\n"
    "each channel keep of its input and output groups (1, 0.75, 0.5, 0.25), each\n"
    "thread count, at the tuned parameter point when `stackplan tune` found one.\n"
    "Writes latency (median, p10, p90, n, noise) and memory (weight and workspace\n"
    "bytes) per option as JSON (docs/formats.md, stackplan-profile), saved after\n"
    "every layer: an interrupted run leaves a valid file that --resume continues.\n"
    "\n"
    "  --device ID      also the OpenCL/CLBlast variants on that device (`stackplan\n"
    "                   devices`), and host<->device transfer times\n"
    "  --threads LIST   thread counts of parallel variants (default 1,<cores>)\n"
    "  --quick          reduced grid for demos and CI: s = 0.5 0.9, keep 0.5, the\n"
    "                   first thread count, shorter timing, dominated variants skipped\n"
    "  --out FILE       the profile (default <model>.profile.json)\n"
    "  --resume         continue FILE: same device, model and options required\n"
    "  --force          overwrite an existing FILE instead of refusing\n"
    "  --batch N        images per call (default 1)\n"
    "  --variants LIST  only these variants, for the ops they compute\n"
    "  --min-time S     timed seconds per variant before it may stop (protocol)\n"
    "  --max-time S     timed seconds per variant at most (protocol)\n"
    "  --ci R           target half-width of the median's 95% CI, relative (0.03)\n"
    "\n"
    "Exit codes: 0 done, 1 runtime failure, 2 bad input (also: a FILE to --resume\n"
    "that is corrupt or from another device, model or options), 3 I/O error,\n"
    "130 interrupted (FILE holds every finished layer).\n";

typedef struct profile_options {
  const char *model, *out;
  char out_default[300];
  int resume, force, max_layers;
  int device_index;
  sp_profile_config config;
} profile_options;

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

static int parse_seconds(const char *option, const char *text, double lo, double hi, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end || !(v >= lo && v <= hi))
    return sp_cli_error("profile", 2, "%s expects a number in [%g, %g], got '%s'", option, lo, hi,
                        text);
  *out = v;
  return 0;
}

/* "1,2,4": distinct counts in [1, 1024], at most SP_PROFILE_MAX_THREADS. */
static int parse_threads(const char *text, sp_profile_config *c) {
  c->n_threads = 0;
  for (const char *p = text;;) {
    char *end;
    long v = strtol(p, &end, 10);
    int dup = 0;
    for (int i = 0; i < c->n_threads; i++) dup |= c->threads[i] == v;
    if (end == p || v < 1 || v > 1024 || dup || c->n_threads == SP_PROFILE_MAX_THREADS ||
        (*end && *end != ','))
      return sp_cli_error("profile", 2, "--threads expects up to %d distinct counts in [1, 1024] "
                          "separated by commas, got '%s'", SP_PROFILE_MAX_THREADS, text);
    c->threads[c->n_threads++] = (int)v;
    if (!*end) return 0;
    p = end + 1;
  }
}

/* "<model>.profile.json" in the current folder: a path's base name, a zoo
 * spec's ':', '=' and ',' as '_' ("resnet18_w_0.5_c_1.profile.json"). */
static void default_out(profile_options *o) {
  const char *base = strrchr(o->model, '/');
  size_t n = 0;
  for (const char *p = base ? base + 1 : o->model; *p && n + 1 < 200; p++)
    o->out_default[n++] = (*p == ':' || *p == '=' || *p == ',') ? '_' : *p;
  snprintf(o->out_default + n, sizeof o->out_default - n, ".profile.json");
  o->out = o->out_default;
}

static int parse_options(int argc, char **argv, profile_options *o) {
  int quick = 0;
  const char *threads = NULL, *variants = NULL, *batch = NULL, *device = NULL;
  double min_time = -1, max_time = -1, ci = -1;
  memset(o, 0, sizeof *o);
  o->device_index = -1;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (sp_cli_is_help(arg)) {
      fputs(usage_text, stdout);
      return -1;
    } else if (!strcmp(arg, "--quick")) quick = 1;
    else if (!strcmp(arg, "--resume")) o->resume = 1;
    else if (!strcmp(arg, "--force")) o->force = 1;
    else if (!value && arg[0] == '-') rc = sp_cli_error("profile", 2, "unknown or incomplete option '%s' (see --help)", arg);
    else if (!strcmp(arg, "--device")) device = argv[++i];
    else if (!strcmp(arg, "--threads")) threads = argv[++i];
    else if (!strcmp(arg, "--out")) o->out = argv[++i];
    else if (!strcmp(arg, "--batch")) batch = argv[++i];
    else if (!strcmp(arg, "--variants")) variants = argv[++i];
    else if (!strcmp(arg, "--min-time")) rc = parse_seconds(arg, argv[++i], 0, 60, &min_time);
    else if (!strcmp(arg, "--max-time")) rc = parse_seconds(arg, argv[++i], 1e-6, 600, &max_time);
    else if (!strcmp(arg, "--ci")) rc = parse_seconds(arg, argv[++i], 1e-4, 0.5, &ci);
    else if (!strcmp(arg, "--max-layers")) { /* for tests: stop after N layers, as if killed */
      if (!sp_cli_parse_int("profile", arg, argv[++i], 1, 1 << 20, &o->max_layers)) rc = 2;
    } else if (arg[0] == '-') rc = sp_cli_error("profile", 2, "unknown option '%s' (see --help)", arg);
    else if (o->model) rc = sp_cli_error("profile", 2, "expected one MODEL, got '%s' too", arg);
    else o->model = arg;
    if (rc) return rc;
  }
  if (!o->model) return sp_cli_error("profile", 2, "missing MODEL (see --help)");
  o->config = sp_profile_config_default(quick);
  sp_profile_config *c = &o->config;
  if (threads && parse_threads(threads, c)) return 2;
  if (quick && threads) c->n_threads = 1; /* --quick: the first count given */
  if (batch && !sp_cli_parse_int("profile", "--batch", batch, 1, 4096, &c->batch)) return 2;
  if (variants && strlen(variants) >= sizeof c->variants)
    return sp_cli_error("profile", 2, "--variants: list too long");
  if (variants) snprintf(c->variants, sizeof c->variants, "%s", variants);
  if (min_time >= 0) c->protocol.min_seconds = min_time;
  if (max_time > 0) c->protocol.max_seconds = max_time;
  if (ci > 0) c->protocol.rel_ci = ci;
  if (c->protocol.max_seconds < c->protocol.min_seconds)
    return sp_cli_error("profile", 2, "--max-time %g is below --min-time %g",
                        c->protocol.max_seconds, c->protocol.min_seconds);
  if (device && sp_cl_parse_device(device, &o->device_index)) return sp_cli_fail("profile", SP_ERR_INPUT);
  c->device = o->device_index;
  if (!o->out) default_out(o);
  return 0;
}

/* ---- progress on stderr: a bar on a terminal, plain lines otherwise ---- */

typedef struct progress_state {
  int tty;
  double last_draw;
} progress_state;

static void format_time(double s, char *out, size_t cap) {
  if (s < 0) snprintf(out, cap, "?");
  else if (s < 60) snprintf(out, cap, "%.0fs", s);
  else if (s < 3600) snprintf(out, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
  else snprintf(out, cap, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

/* One line on stdout per finished layer: its fastest uncompressed option. */
static void print_layer(const sp_profile *p, int layer, int records, int cpu) {
  const sp_profile_layer *l = &p->layers[layer];
  const sp_profile_record *best = NULL;
  for (int i = p->n_records - records; i < p->n_records; i++) {
    const sp_profile_record *r = &p->records[i];
    if (!r->failed && !r->keep_in && !r->keep_out && r->compression.kind == SP_WEIGHTS_DENSE &&
        (!best || r->median_ms < best->median_ms))
      best = r;
  }
  printf("%-24s %-28s %5d records  ", l->name, l->op, records);
  if (best) printf("fastest %s@%d %.4f ms", best->variant, best->threads, best->median_ms);
  else printf("no uncompressed timing");
  printf("  noise %.1f%%  %.1f s", 100 * l->noise_median, l->seconds);
  if (cpu >= 0) printf("  cpu %d", cpu);
  putchar('\n');
  fflush(stdout);
}

static void on_progress(void *ctx, const sp_profile_progress *pr, const sp_profile *p) {
  progress_state *ps = ctx;
  char elapsed[16], eta[16];
  format_time(pr->elapsed, elapsed, sizeof elapsed);
  format_time(pr->eta, eta, sizeof eta);
  const char *name = p->layers[pr->layer].name;
  if (pr->event == SP_PROFILE_EVENT_SEQUENCE) {
    if (ps->tty) fputs("\r\033[K", stderr);
    fprintf(stderr, "profile: timing each layer's fastest record in sequence and alone, per "
            "keep level (%d rounds); %s elapsed\n", SP_SEQUENCE_ROUNDS, elapsed);
    fflush(stderr);
    return;
  }
  if (pr->event == SP_PROFILE_EVENT_LAYER) {
    if (ps->tty) fputs("\r\033[K", stderr); /* the bar's line, cleared before stdout writes */
    fflush(stderr);
    print_layer(p, pr->layer, pr->layer_records, pr->cpu);
  }
  if (ps->tty) {
    if (pr->event == SP_PROFILE_EVENT_CASE && pr->elapsed - ps->last_draw < 0.2) return;
    ps->last_draw = pr->elapsed;
    double f = pr->tasks_total ? (double)pr->tasks_done / (double)pr->tasks_total : 1;
    char bar[31];
    int fill = (int)(f * 30 + 0.5);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r[%s] %3.0f%%  layer %d/%d %-20.20s  %s elapsed, ETA %s   ", bar, 100 * f,
            pr->layers_done + (pr->event == SP_PROFILE_EVENT_CASE), pr->layers_total, name,
            elapsed, eta);
  } else if (pr->event == SP_PROFILE_EVENT_LAYER) {
    fprintf(stderr, "profile: layer %d/%d %s done; %s elapsed, ETA %s\n", pr->layers_done,
            pr->layers_total, name, elapsed, eta);
  }
  fflush(stderr);
}

/* Loads FILE to continue it, or NULL-equivalent (fresh) when it does not
 * exist; errors name the file and the field. */
static int prepare_file(const profile_options *o, const sp_profile *fresh, sp_profile *p) {
  int exists = access(o->out, F_OK) == 0;
  if (exists && !o->resume && !o->force)
    return sp_cli_error("profile", 2, "%s exists: --resume continues it, --force overwrites it",
                        o->out);
  if (!exists || !o->resume) {
    *p = *fresh;
    return 0;
  }
  sp_status s = sp_profile_load(o->out, p);
  if (!s) s = sp_profile_check_resume(o->out, p, fresh);
  if (s) {
    sp_profile_free(p);
    return sp_cli_fail("profile", s);
  }
  return 0;
}

static int run(const profile_options *o, const sp_graph *g) {
  sp_device_info dev;
  sp_status s = sp_device_info_collect(o->device_index, &dev);
  if (s) return sp_cli_fail("profile", s);
  sp_profile fresh, p;
  s = sp_profile_init(g, o->model, &dev, &o->config, &fresh);
  if (s) return sp_cli_fail("profile", s);
  int rc = prepare_file(o, &fresh, &p);
  if (rc) {
    sp_profile_free(&fresh);
    return rc;
  }
  int resumed = p.groups != fresh.groups;
  if (resumed) sp_profile_free(&fresh); /* resumed: the file's copy is used */
  sp_cl_device *device = NULL;
  if (o->device_index >= 0 && (s = sp_cl_device_get(o->device_index, &device))) {
    sp_profile_free(&p);
    return sp_cli_fail("profile", s);
  }
  sp_tune_cache cache;
  sp_tune_cache_open(&dev, &cache); /* a missing or corrupt cache: defaults, with a warning */
  progress_state ps = {.tty = isatty(fileno(stderr))};
  sp_profile_run_options ro = {.path = o->out, .device = device, .max_layers = o->max_layers,
                               .stop = &interrupted, .tuned = sp_tune_cache_point,
                               .tuned_ctx = &cache, .progress = on_progress, .progress_ctx = &ps,
                               .resume = resumed};
  struct sigaction sa = {.sa_handler = on_sigint, .sa_flags = SA_RESETHAND}, old;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  sp_profile_run_result res;
  s = sp_profile_run(g, &p, &ro, &res);
  sigaction(SIGINT, &old, NULL);
  if (ps.tty) fputc('\n', stderr);
  if (res.journal_note[0]) fprintf(stderr, "%s\n", res.journal_note);
  int measured = 0;
  for (int i = 0; i < p.n_layers; i++) measured += p.layers[i].measured;
  if (s) rc = sp_cli_fail("profile", s);
  else if (res.interrupted)
    rc = sp_cli_error("profile", 130, "interrupted: %s holds %d of %d layers; --resume continues",
                      o->out, measured, p.n_layers);
  else {
    sp_profile_speed speed = sp_profile_network_speed(&p);
    if (speed.layers)
      printf("machine: reference network %.4f ms (default variants, one thread; median before "
             "%d layers, %.4f-%.4f); %d layers measured again, the machine slow the first time\n",
             speed.median, speed.layers, speed.min, speed.max, res.layers_settled);
    sp_profile_speed seq = sp_profile_sequence_summary(&p);
    if (seq.layers)
      printf("sequence: layers run %.2fx their time alone inside the network (median over %d "
             "layers x keep levels, %.2f-%.2f); the planner scales each layer's host times by its "
             "own ratio\n",
             seq.median, seq.layers, seq.min, seq.max);
    printf("profile: %s: %d of %d layers, %d records (%d failed in this run), %.1f s%s\n", o->out,
           measured, p.n_layers, p.n_records, res.records_failed, res.seconds,
           res.stopped ? " (stopped by --max-layers)" : "");
  }
  sp_tune_cache_close(&cache);
  sp_profile_free(&p);
  return rc;
}

int sp_cmd_profile(int argc, char **argv) {
  profile_options o;
  int rc = parse_options(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;
  sp_graph *g = NULL;
  sp_status s = sp_model_load(o.model, &g);
  if (s) return sp_cli_fail("profile", s);
  rc = run(&o, g);
  sp_graph_free(g);
  return rc;
}
