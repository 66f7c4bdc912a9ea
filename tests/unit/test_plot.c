/* The one gnuplot runner (results/plot.h): success, a failing script with
 * its first line of output, and a Pareto plot written atomically. Skipped
 * (77) where gnuplot is not installed. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "results/plot.h"
#include "tests/unit/testing.h"

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) fputs(text, f), fclose(f);
}

int main(void) {
  if (!sp_plot_have_gnuplot()) {
    printf("test_plot: no gnuplot, skipped\n");
    return 77;
  }
  char dir[] = "/tmp/sp_test_plot_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char script[256], png[256], first[128];
  snprintf(script, sizeof script, "%s/ok.gp", dir);
  snprintf(png, sizeof png, "%s/ok.png", dir);
  char text[512];
  snprintf(text, sizeof text, "set terminal pngcairo size 200,100\nset output \"%s\"\nplot x\n", png);
  write_text(script, text);
  CHECK(sp_plot_run_gnuplot(script, first, sizeof first) == 0);
  struct stat st;
  CHECK(stat(png, &st) == 0 && st.st_size > 0);

  snprintf(script, sizeof script, "%s/bad.gp", dir);
  write_text(script, "\n\nthis is no gnuplot command\n");
  int rc = sp_plot_run_gnuplot(script, first, sizeof first);
  CHECK_MSG(rc > 0, "exit %d", rc);
  CHECK_MSG(first[0] != 0 && !strchr(first, '\n'), "first line: '%s'", first);

  snprintf(png, sizeof png, "%s/front.png", dir);
  sp_plot_point pts[] = {{1.0, 90.0, 2.0}, {2.0, 92.0, 3.0}, {3.0, 93.0, 5.0}};
  CHECK_MSG(sp_plot_pareto(png, "front", pts, 3) == SP_OK, "%s", sp_last_error());
  CHECK(stat(png, &st) == 0 && st.st_size > 0);
  CHECK(sp_plot_pareto("/tmp/a\"b.png", "x", pts, 3) == SP_ERR_INPUT);

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
  return sp_test_finish("test_plot");
}
