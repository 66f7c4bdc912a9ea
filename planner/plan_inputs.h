/* What `plan` and `query` read: a profile and an accuracy file of the same
 * model, turned into a planning problem with its provenance. */
#ifndef SP_PLAN_INPUTS_H
#define SP_PLAN_INPUTS_H

#include "planner/from_profile.h"
#include "planner/plan_io.h"

typedef struct sp_plan_inputs {
  sp_profile profile;
  sp_plan_accuracy accuracy;
  sp_plan_source source; /* source.problem: bounds absent, min latency */
  sp_plan_provenance prov;
} sp_plan_inputs;

/* Reads an accuracy file (`stackplan-accuracy` version 1) into the
 * planner's view of it. SP_ERR_IO when unreadable, SP_ERR_INPUT naming the
 * file and the field. */
sp_status sp_plan_accuracy_load(const char *path, sp_plan_accuracy *out);

/* Loads both files, checks they are of the same model (structure
 * fingerprints equal: else SP_ERR_INPUT naming both files and both
 * fingerprints), builds the problem and the provenance (file hashes). The
 * readers' errors pass through. Free with sp_plan_inputs_free. */
sp_status sp_plan_inputs_load(const char *profile_path, const char *accuracy_path, sp_plan_inputs *out);

void sp_plan_inputs_free(sp_plan_inputs *in);

#endif
