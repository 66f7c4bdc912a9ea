/* The verify loop as a library call (results/plan_verify.h): its statuses
 * reach the caller instead of exit codes, with the solver's message, and no
 * solve runs before the data is there. The loop on real plans is exercised
 * end to end by tests/cli/test_demo.sh and test_plan.sh. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, setenv */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/plan_verify.h"
#include "tests/unit/fmnist_fixture.h"
#include "tests/unit/testing.h"

static int solves;

static sp_status solve_infeasible(void *ctx, sp_plan_inputs *in, sp_plan *plan, sp_plan_file *f) {
  solves++;
  return sp_fail(SP_ERR_INFEASIBLE, "no plan reaches %.1f%%", in->source.problem.bounds.min_accuracy);
}

static sp_status solve_problem_none(void *ctx, const sp_plan_problem *p, sp_plan *plan) {
  plan->has_plan = 0;
  return SP_OK;
}

int main(void) {
  sp_plan_verify_solver solver = {.solve = solve_infeasible, .solve_problem = solve_problem_none};
  sp_plan_inputs in;
  memset(&in, 0, sizeof in);
  in.source.problem.bounds.min_accuracy = 91.0;
  sp_plan plan = {0};
  sp_plan_file f = {0};
  FILE *log = tmpfile();
  CHECK(log != NULL);

  /* no data: the loader's status, and no solve */
  setenv("SP_DATA_DIR", "/nonexistent/stackplan-data", 1);
  sp_status s = sp_plan_verify(&in, 91.0, "vgg16:w=0.125,c=1", 100, &solver, &plan, &f, log);
  CHECK_MSG(s != SP_OK && s != SP_ERR_INFEASIBLE && solves == 0, "status %d, %d solves", s, solves);

  /* the solver finds no plan: its status and message come back unchanged */
  char dir[] = "/tmp/sp_test_plan_verify_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  fixture_write_fmnist(dir);
  setenv("SP_DATA_DIR", dir, 1);
  s = sp_plan_verify(&in, 91.0, "vgg16:w=0.125,c=1", 100, &solver, &plan, &f, log);
  CHECK_MSG(s == SP_ERR_INFEASIBLE && solves == 1, "status %d, %d solves", s, solves);
  CHECK_MSG(strstr(sp_last_error(), "no plan reaches 91.0%") != NULL, "%s", sp_last_error());
  CHECK(in.source.problem.bounds.min_accuracy == 91.0 && f.bounds.min_accuracy == 91.0);
  fixture_remove_fmnist(dir);
  rmdir(dir);
  fclose(log);
  return sp_test_finish("test_plan_verify");
}
