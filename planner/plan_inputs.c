/* Loading a profile and an accuracy file for the planner (plan_inputs.h). */
#include "planner/plan_inputs.h"

#include <stdio.h>
#include <string.h>

#include "profiler/profile_io.h"

void sp_plan_inputs_free(sp_plan_inputs *in) {
  sp_plan_source_free(&in->source);
  sp_plan_accuracy_free(&in->accuracy);
  sp_profile_free(&in->profile);
  memset(in, 0, sizeof *in);
}

sp_status sp_plan_inputs_load(const char *profile_path, const char *accuracy_path, sp_plan_inputs *out) {
  memset(out, 0, sizeof *out);
  sp_status st = sp_profile_load(profile_path, &out->profile);
  if (!st) st = sp_plan_accuracy_load(accuracy_path, &out->accuracy);
  const sp_profile *p = &out->profile;
  const sp_plan_accuracy *a = &out->accuracy;
  if (!st && strcmp(p->model_fingerprint, a->structure_fingerprint))
    st = sp_fail(SP_ERR_INPUT, "%s (model %s, structure fingerprint %s) and %s (model %s, structure fingerprint %s) "
                 "are of different models", profile_path, p->model, p->model_fingerprint, accuracy_path, a->model,
                 a->structure_fingerprint);
  if (!st) st = sp_plan_from_profile(p, a, &out->source);
  if (st) {
    sp_plan_inputs_free(out);
    return st;
  }
  sp_plan_provenance *pv = &out->prov;
  snprintf(pv->model, sizeof pv->model, "%s", p->model);
  snprintf(pv->structure_fingerprint, sizeof pv->structure_fingerprint, "%s", p->model_fingerprint);
  snprintf(pv->weights_fingerprint, sizeof pv->weights_fingerprint, "%s", a->weights_fingerprint);
  snprintf(pv->device_fingerprint, sizeof pv->device_fingerprint, "%s", p->device.fingerprint);
  snprintf(pv->profile_path, sizeof pv->profile_path, "%s", profile_path);
  snprintf(pv->accuracy_path, sizeof pv->accuracy_path, "%s", accuracy_path);
  pv->profile_network_ms = sp_profile_network_speed(p).median;
  if ((st = sp_plan_hash_file(profile_path, pv->profile_hash)) ||
      (st = sp_plan_hash_file(accuracy_path, pv->accuracy_hash)))
    sp_plan_inputs_free(out);
  return st;
}
