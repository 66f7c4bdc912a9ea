/* The demo's Markdown report (demo_report.h). */
#include "results/demo_report.h"

#include <math.h>
#include <string.h>


static void summary(FILE *out, const sp_demo_model *models, int n) {
  fprintf(out, "| model | bound (acc. %%) | plan latency predicted / measured (ms) | error | accuracy test (%%) | "
               "speed-up vs dense model | vs best single configuration | peak memory (MB) |\n"
               "|---|--:|--:|--:|--:|--:|--:|--:|\n");
  for (int i = 0; i < n; i++) {
    const sp_demo_model *d = &models[i];
    if (!d->ok) {
      fprintf(out, "| %s | failed: %s |||||||\n", d->name, d->error);
      continue;
    }
    const sp_plan_measurement *m = &d->measured;
    fprintf(out, "| %s | %.2f | %.4f / %.4f | %+.1f%% | %.2f | %.2fx | %.2fx | %.2f |\n", d->name, d->bound,
            d->plan.predicted.latency_ms, m->latency_ms,
            100 * sp_relative_error(m->latency_ms, d->plan.predicted.latency_ms), m->accuracy,
            d->dense_default_ms / m->latency_ms, d->single_ms / m->latency_ms, sp_plan_mb(m->peak_bytes));
  }
}

static void layers(FILE *out, const sp_demo_model *d) {
  fprintf(out, "| layer | compression | keep out | variant | threads | predicted ms | measured ms |\n"
               "|---|---|--:|---|--:|--:|--:|\n");
  for (int i = 0; i < d->plan.n_layers; i++) {
    const sp_plan_file_layer *l = &d->plan.layers[i];
    char comp[48] = "none";
    if (l->compression.kind != SP_WEIGHTS_DENSE)
      snprintf(comp, sizeof comp, "%s %g", sp_weight_compression_name(l->compression.kind), l->compression.rate);
    fprintf(out, "| %s | %s | %g | `%s` | %d | %.4f | %.4f |\n", l->name, comp, l->keep_out, l->variant, l->threads,
            l->latency_ms, d->measured.layer_ms[i]);
  }
}

static void model_section(FILE *out, const sp_demo_model *d) {
  fprintf(out, "\n## %s (`%s`)\n\n", d->name, d->path);
  if (!d->ok) {
    fprintf(out, "Failed: %s\n", d->error);
    return;
  }
  fprintf(out, "Steps: quick profile %.0f s, sensitivity %.0f s, Pareto sweep %.0f s, plan + verify %.0f s, "
               "measurements %.0f s.\n\n",
          d->seconds[0], d->seconds[1], d->seconds[2], d->seconds[3], d->seconds[4]);
  if (d->pareto_png[0])
    fprintf(out, "### Pareto front\n\nAccuracy (predicted) against latency (predicted), colour = peak memory; "
                 "points in [`%s`](%s).\n\n![Pareto front of %s](%s)\n\n",
            d->pareto_csv, d->pareto_csv, d->name, d->pareto_png);
  fprintf(out, "### The plan\n\nBound: accuracy ≥ %.2f%% on the test images (the dense model's %.2f%% on the "
               "calibration images of the sensitivity analysis, minus 1 point); planned at %.2f%% and verified "
               "on up to %d calibration images: a plan holds when the lower end of its accuracy's 95%% "
               "interval (Wilson) clears the bound",
          d->bound, d->baseline, d->planned_bound, SP_DEMO_VERIFY_IMAGES);
  fprintf(out, " (`plan --verify`):\n\n```\n%s```\n\n", d->verify_log);
  layers(out, d);
  const sp_plan_measurement *m = &d->measured;
  const sp_plan_file *f = &d->plan;
  fprintf(out, "\n### Predicted against measured\n\n| | predicted | measured | error |\n|---|--:|--:|--:|\n");
  fprintf(out, "| latency (ms, median of %d runs; p10 %.4f, p90 %.4f) | %.4f | %.4f | %+.1f%% |\n", m->runs, m->p10_ms,
          m->p90_ms, f->predicted.latency_ms, m->latency_ms, 100 * sp_relative_error(m->latency_ms, f->predicted.latency_ms));
  if (m->has_memory)
    fprintf(out, "| peak memory (MB; measured: peak RSS growth %.3f + OpenCL buffers %.3f) | %.3f | %.3f | %+.1f%% |\n",
            sp_plan_mb(m->rss_bytes), sp_plan_mb(m->cl_bytes), sp_plan_mb(f->predicted.peak_bytes),
            sp_plan_mb(m->measured_peak_bytes), 100 * sp_relative_error(m->measured_peak_bytes, f->predicted.peak_bytes));
  fprintf(out, "| peak memory (MB; the executor's bookkeeping, not a measurement) | %.3f | %.3f | %+.1f%% |\n",
          sp_plan_mb(f->predicted.peak_bytes), sp_plan_mb(m->peak_bytes), 100 * sp_relative_error(m->peak_bytes, f->predicted.peak_bytes));
  fprintf(out, "| accuracy (%%; measured on the %d test images) | %.2f | %.2f | %+.2f pp |\n", m->images,
          f->predicted.accuracy, m->accuracy, m->accuracy - f->predicted.accuracy);
  if (f->prov.profile_network_ms > 0 && m->network_ms > 0) {
    /* how busy the machine was at run time against profile time (docs/cli.md, run) */
    double ratio = m->network_ms / f->prov.profile_network_ms;
    fprintf(out, "| machine speed: the reference network (dense, default variants, 1 thread; ms) | %.4f | %.4f | "
                 "%.2fx |\n", f->prov.profile_network_ms, m->network_ms, ratio);
    fprintf(out, "| latency at the profile's machine speed (measured / that ratio; ms) | %.4f | %.4f | %+.1f%% |\n",
            f->predicted.latency_ms, m->latency_ms / ratio,
            100 * sp_relative_error(m->latency_ms / ratio, f->predicted.latency_ms));
  }
  fprintf(out, "\n### Speed-up\n\nAll measured here in one run (median of %d runs, batch %d).\n\n"
               "| configuration | predicted ms | measured ms | the plan is faster by |\n|---|--:|--:|--:|\n",
          m->runs, f->batch);
  fprintf(out, "| dense model, the engine's default variants, 1 thread (`stackplan infer`) | | %.4f | %.2fx |\n",
          d->dense_default_ms, d->dense_default_ms / m->latency_ms);
  fprintf(out, "| best single configuration: `%s` at %d thread%s on every conv layer, dense | %.4f | %.4f | %.2fx |\n",
          d->single_variant, d->single_threads, d->single_threads > 1 ? "s" : "", d->single_pred_ms, d->single_ms,
          d->single_ms / m->latency_ms);
  fprintf(out, "| fastest dense variant per layer (no compression) | %.4f | %.4f | %.2fx |\n", d->dense_best_pred_ms,
          d->dense_best_ms, d->dense_best_ms / m->latency_ms);
  fprintf(out, "| **the plan** | %.4f | %.4f | 1.00x |\n", f->predicted.latency_ms, m->latency_ms);
}

void sp_demo_report_write(FILE *out, const sp_demo_machine *m, const sp_demo_model *models, int n) {
  fprintf(out, "# stackplan demo report\n\n");
  fprintf(out, "Made by `stackplan demo` on %s in %.0f s.\n\n", m->date, m->total_seconds);
  fprintf(out, "- Machine: %s, %d logical cores\n- Device the plans ran on: %s\n- Build: %s\n\n", m->cpu, m->cores,
          m->device, m->build);
  fprintf(out, "For each shipped model: `stackplan profile MODEL --quick`, `stackplan sense MODEL --data "
               "fashion-mnist --quick --limit N` (calibration split), `stackplan query --sweep accuracy=…` (the "
               "Pareto front), `stackplan plan --min-accuracy (baseline − 1) --verify`, then the plan run on the "
               "whole test set (`stackplan run PLAN --data fashion-mnist`) against the dense model and the best "
               "single configuration. The files are beside this report.\n\n");
  summary(out, models, n);
  for (int i = 0; i < n; i++) model_section(out, &models[i]);
}
