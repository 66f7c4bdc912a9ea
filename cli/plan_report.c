/* Measured against predicted, printed (plan_report.h). */
#include "cli/plan_report.h"


void sp_plan_report_layers(FILE *out, const sp_plan_file *f, const sp_plan_measurement *m) {
  fprintf(out, "%-22s %-34s %3s %10s %10s %8s\n", "layer", "variant", "thr", "pred ms", "meas ms", "error");
  double sum = 0;
  for (int i = 0; i < f->n_layers; i++) {
    const sp_plan_file_layer *l = &f->layers[i];
    sum += m->layer_ms[i];
    fprintf(out, "%-22s %-34s %3d %10.4f %10.4f %+7.1f%%\n", l->name, l->variant, l->threads, l->latency_ms,
            m->layer_ms[i], 100 * sp_relative_error(m->layer_ms[i], l->latency_ms));
  }
  fprintf(out, "%-22s %-34s %3s %10.4f %10.4f %+7.1f%%\n", "sum of layers", "", "", f->predicted.latency_ms,
          sum, 100 * sp_relative_error(sum, f->predicted.latency_ms));
}

void sp_plan_report_totals(FILE *out, const sp_plan_file *f, const sp_plan_measurement *m, const char *split) {
  fprintf(out, "%-18s %12s %12s %9s\n", "", "predicted", "measured", "error");
  fprintf(out, "%-18s %12.4f %12.4f %+8.1f%%  (p10 %.4f, p90 %.4f, %d runs)\n", "latency (ms)",
          f->predicted.latency_ms, m->latency_ms, 100 * sp_relative_error(m->latency_ms, f->predicted.latency_ms),
          m->p10_ms, m->p90_ms, m->runs);
  /* measured: the process's peak resident growth (+ OpenCL buffers); the
   * executor's bookkeeping beside it, never in its place */
  if (m->has_memory)
    fprintf(out, "%-18s %12.4f %12.4f %+8.1f%%  (RSS growth %.4f + OpenCL %.4f%s)\n", "peak memory (MB)",
            sp_plan_mb(f->predicted.peak_bytes), sp_plan_mb(m->measured_peak_bytes),
            100 * sp_relative_error(m->measured_peak_bytes, f->predicted.peak_bytes), sp_plan_mb(m->rss_bytes),
            sp_plan_mb(m->cl_bytes),
            m->measured_peak_bytes < m->rss_bytes + m->cl_bytes ? ", in RSS already: a CPU device" : "");
  else
    fprintf(out, "%-18s %12.4f %12s %9s  (not measured: /proc/self unavailable)\n", "peak memory (MB)",
            sp_plan_mb(f->predicted.peak_bytes), "-", "-");
  fprintf(out, "%-18s %12.4f %12.4f %+8.1f%%  (executor's bookkeeping: weights %.4f + activations %.4f + "
          "workspace %.4f + device %.4f)\n",
          "  bookkeeping (MB)", sp_plan_mb(f->predicted.peak_bytes), sp_plan_mb(m->peak_bytes),
          100 * sp_relative_error(m->peak_bytes, f->predicted.peak_bytes), sp_plan_mb(m->weight_bytes),
          sp_plan_mb(m->activation_bytes), sp_plan_mb(m->workspace_bytes), sp_plan_mb(m->device_bytes));
  if (m->core.cpu >= 0) {
    fprintf(out, "core: cpu %d, where the reference network ran fastest (median of 5 runs on each:",
            m->core.cpu);
    for (int k = 0; k < m->core.n; k++)
      fprintf(out, "%s cpu %d %.4f ms", k ? "," : "", m->core.cpus[k], 1e3 * m->core.median[k]);
    fprintf(out, ")\n");
  }
  if (f->prov.profile_network_ms > 0 && m->network_ms > 0) {
    /* the same workload then and now: how much slower the machine is than
     * when profiled (the host's other tenants), and the latency this run
     * would have measured at the profile's machine speed */
    double ratio = m->network_ms / f->prov.profile_network_ms, at = m->latency_ms / ratio;
    fprintf(out, "machine speed: reference network %.4f ms, %.4f when profiled (%.2fx); latency at the "
            "profile's speed %.4f ms (%+.1f%%)", m->network_ms, f->prov.profile_network_ms, ratio,
            at, 100 * sp_relative_error(at, f->predicted.latency_ms));
    if (m->waited_s >= 1)
      fprintf(out, "; waited %.0f s for the profile's speed (--settle)%s", m->waited_s,
              ratio > SP_SETTLE_RATIO ? ", in vain" : "");
    fputc('\n', out);
  }
  if (m->has_accuracy)
    fprintf(out, "%-18s %12.2f %12.2f %+8.2f pp (fashion-mnist %s, %d/%d)\n", "accuracy (%)",
            f->predicted.accuracy, m->accuracy, m->accuracy - f->predicted.accuracy, split, m->correct, m->images);
  if (m->transfers.uploads || m->transfers.downloads)
    fprintf(out, "transfers per run: %d up (%zu bytes), %d down (%zu bytes)\n", m->transfers.uploads,
            m->transfers.upload_bytes, m->transfers.downloads, m->transfers.download_bytes);
}
