/* The reference network (reference_network.h). */
#include "profiler/reference_network.h"

#include <stdlib.h>

sp_status sp_reference_network_open(const sp_graph *g, int release_dense, sp_reference_network *r) {
  *r = (sp_reference_network){0};
  sp_exec_options eo = sp_exec_options_default();
  eo.release_dense_weights = release_dense;
  r->in = calloc(sp_dims_count(g->input), sizeof *r->in);
  r->out = calloc(sp_dims_count(g->nodes[g->output].out), sizeof *r->out);
  sp_status s = r->in && r->out ? sp_executor_create(g, &eo, &r->e)
                                : sp_fail(SP_ERR_RUNTIME, "out of memory for the reference network");
  if (s) sp_reference_network_close(r);
  return s;
}

static void run_once(void *ctx) {
  sp_reference_network *r = ctx;
  sp_executor_run(r->e, r->in, r->out);
}

sp_quiet_core sp_reference_network_pin(sp_reference_network *r) {
  return sp_quiet_core_pin(run_once, r, SP_REFERENCE_RUNS);
}

void sp_reference_network_close(sp_reference_network *r) {
  sp_executor_free(r->e);
  free(r->in);
  free(r->out);
  *r = (sp_reference_network){0};
}
