/* gnuplot plots (plot.h). */
#define _POSIX_C_SOURCE 200809L /* posix_spawnp */
#include "results/plot.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/core/file_io.h"

extern char **environ;

int sp_plot_have_gnuplot(void) {
  return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

int sp_plot_run_gnuplot(const char *script, char *first, size_t cap) {
  if (first && cap) first[0] = 0;
  int out[2];
  if (pipe(out)) return 1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  char *argv[] = {"gnuplot", (char *)script, NULL};
  pid_t pid;
  int err = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (err) {
    close(out[0]);
    return -1;
  }
  /* drain the pipe (gnuplot must never block on it), keep the first line */
  char buf[512];
  size_t kept = 0;
  int line_done = !first || !cap;
  ssize_t got;
  while ((got = read(out[0], buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < got && !line_done; i++) {
      if (buf[i] == '\n') line_done = kept > 0; /* leading blank lines are skipped */
      else if (kept + 1 < cap) first[kept++] = buf[i], first[kept] = 0;
    }
  close(out[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return 1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return -1; /* not found by the child */
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* gnuplot strings are double-quoted: refuse what would need escaping */
static int quotable(const char *s) { return !strpbrk(s, "\"\\\n'"); }

static sp_status write_data(const char *path, const sp_plot_point *pts, int n) {
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  fprintf(af.f, "# latency_ms accuracy memory_mb\n");
  for (int i = 0; i < n; i++) fprintf(af.f, "%.9g %.9g %.9g\n", pts[i].latency_ms, pts[i].accuracy, pts[i].memory_mb);
  return sp_atomic_commit(&af);
}

/* Memory labels on every `every`-th point only: more than ~12 overlap. */
static sp_status write_script(const char *path, const char *data, const char *png, const char *title, int n) {
  int every = (n + 11) / 12;
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  fprintf(af.f,
          "set terminal pngcairo size 1000,650 font 'sans,11'\n"
          "set output \"%s\"\n"
          "set title \"%s\" noenhanced\n"
          "set xlabel 'predicted latency (ms)'\n"
          "set ylabel 'predicted top-1 accuracy (%%)'\n"
          "set cblabel 'peak memory (MB)'\n"
          "set grid\n"
          "set key bottom right\n"
          "set palette defined (0 '#1a9850', 1 '#fee08b', 2 '#d73027')\n"
          "set offsets graph 0.05, graph 0.12, graph 0.08, graph 0.08\n"
          "plot \"%s\" using 1:2 with steps lc rgb '#888888' title 'Pareto front', \\\n"
          "     \"%s\" using 1:2:3 with points pt 7 ps 1.6 palette title 'plan (colour: memory)', \\\n"
          "     \"%s\" using 1:2:(sprintf('%%.3g MB', $3)) every %d with labels offset 0,1.1 font ',9' notitle\n",
          png, title, data, data, data, every > 1 ? every : 1);
  return sp_atomic_commit(&af);
}

sp_status sp_plot_pareto(const char *png, const char *title, const sp_plot_point *pts, int n) {
  if (!quotable(png) || !quotable(title))
    return sp_fail(SP_ERR_INPUT, "%s: a plot path may not contain quotes, backslashes or newlines", png);
  size_t len = strlen(png) + 32;
  char *names = malloc(2 * len);
  if (!names) return sp_fail(SP_ERR_RUNTIME, "out of memory plotting %s", png);
  char *data = names, *script = names + len;
  snprintf(data, len, "%s.dat", png);
  snprintf(script, len, "%s.gp", png);
  /* gnuplot writes the PNG into the unique temporary of an atomic file of
   * ours (its name has no quote: mkstemp's letters and digits), which the
   * commit renames over png */
  sp_atomic_file af;
  sp_status st = write_data(data, pts, n);
  if (!st) st = sp_atomic_open(png, &af);
  if (st) {
    free(names);
    return st;
  }
  const char *tmp = af.tmp;
  st = write_script(script, data, tmp, title, n);
  if (!st) {
    char first[256];
    int rc = sp_plot_run_gnuplot(script, first, sizeof first);
    if (rc) st = sp_fail(SP_ERR_IO, "%s: gnuplot %s%s%s", png, rc < 0 ? "not found" : "failed",
                         first[0] ? ": " : "", first);
  }
  if (st) sp_atomic_abort(&af);
  else st = sp_atomic_commit(&af);
  free(names);
  return st;
}
