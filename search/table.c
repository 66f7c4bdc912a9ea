/* Recorded search tables (table.h). */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "search/table.h"

#include "engine/core/file_io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sp_status sp_search_table_save(const char *path, const char *comment,
                               const sp_search_space *space, const sp_search_result *r) {
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  FILE *f = af.f;
  fprintf(f, "# %s\n", comment);
  for (int i = 0; i < space->n_params; i++) fprintf(f, "%s,", space->names[i]);
  fprintf(f, "ms\n");
  int values[SP_MAX_PARAMS];
  for (int k = 0; k < r->n_evals; k++) {
    sp_search_space_values(space, r->trace[k].point, values);
    for (int i = 0; i < space->n_params; i++) fprintf(f, "%d,", values[i]);
    if (isfinite(r->trace[k].cost)) fprintf(f, "%.6g\n", 1e3 * r->trace[k].cost);
    else fprintf(f, "fail\n");
  }
  return sp_atomic_commit(&af);
}

void sp_search_table_free(sp_search_table *t) {
  sp_search_space_free(&t->space);
  free(t->cost);
  memset(t, 0, sizeof *t);
  t->best = -1;
}

typedef struct rows {
  int n_params, n, cap;
  int *values;               /* [n][n_params] */
  double *cost;              /* [n] */
} rows;

/* Sorted distinct values of column i. */
static int column_values(const rows *r, int i, int *out) {
  int n = 0;
  for (int k = 0; k < r->n; k++) {
    int v = r->values[(size_t)k * r->n_params + i], at = 0;
    while (at < n && out[at] < v) at++;
    if (at < n && out[at] == v) continue;
    if (n == SP_SEARCH_MAX_VALUES) return -1;
    memmove(out + at + 1, out + at, (size_t)(n - at) * sizeof *out);
    out[at] = v;
    n++;
  }
  return n;
}

static int row_of(const rows *r, const int *values) {
  for (int k = 0; k < r->n; k++)
    if (!memcmp(r->values + (size_t)k * r->n_params, values, (size_t)r->n_params * sizeof *values))
      return k;
  return -1;
}

static int row_valid(void *ctx, const int *values) { return row_of(ctx, values) >= 0; }

/* Parses one data line into the rows. */
static sp_status parse_row(const char *path, int line_no, char *line, rows *r) {
  if (r->n == r->cap) {
    int cap = r->cap ? 2 * r->cap : 256;
    int *v = realloc(r->values, (size_t)cap * (size_t)r->n_params * sizeof *v);
    double *c = v ? realloc(r->cost, (size_t)cap * sizeof *c) : NULL;
    if (v) r->values = v;
    if (c) r->cost = c;
    if (!v || !c) return sp_fail(SP_ERR_RUNTIME, "%s: out of memory", path);
    r->cap = cap;
  }
  int *values = r->values + (size_t)r->n * r->n_params;
  char *p = line, *end;
  for (int i = 0; i < r->n_params; i++) {
    long v = strtol(p, &end, 10);
    if (end == p || *end != ',')
      return sp_fail(SP_ERR_INPUT, "%s:%d: expected %d integers then the cost", path, line_no, r->n_params);
    values[i] = (int)v;
    p = end + 1;
  }
  p[strcspn(p, "\r\n")] = 0;
  double cost = INFINITY;
  if (strcmp(p, "fail")) {
    cost = strtod(p, &end) * 1e-3;
    if (end == p || *end || !(cost >= 0) || isinf(cost))
      return sp_fail(SP_ERR_INPUT, "%s:%d: cost '%s' is neither a number >= 0 nor fail", path, line_no, p);
  }
  if (row_of(r, values) >= 0) return sp_fail(SP_ERR_INPUT, "%s:%d: a point repeated", path, line_no);
  r->cost[r->n++] = cost;
  return SP_OK;
}

static sp_status read_rows(const char *path, FILE *f, sp_search_table *t, rows *r,
                           char names[SP_MAX_PARAMS][32]) {
  char line[1024];
  int line_no = 0;
  sp_status s = SP_OK;
  while (!s && fgets(line, sizeof line, f)) {
    line_no++;
    if (line_no == 1 && line[0] == '#') {
      const char *c = line + 1 + (line[1] == ' ');
      snprintf(t->comment, sizeof t->comment, "%.*s", (int)strcspn(c, "\r\n"), c);
    } else if (!r->n_params && !r->n) { /* the header: names, then "ms" */
      for (char *save = NULL, *tok = strtok_r(line, ",\r\n", &save); tok; tok = strtok_r(NULL, ",\r\n", &save)) {
        if (!strcmp(tok, "ms")) break;
        if (r->n_params == SP_MAX_PARAMS || strlen(tok) >= 32)
          return sp_fail(SP_ERR_INPUT, "%s:%d: too many or too long column names", path, line_no);
        snprintf(names[r->n_params++], 32, "%s", tok);
      }
      if (!r->n_params) return sp_fail(SP_ERR_INPUT, "%s:%d: expected column names", path, line_no);
    } else if (line[0] != '\n') {
      s = parse_row(path, line_no, line, r);
    }
  }
  return s;
}

sp_status sp_search_table_load(const char *path, sp_search_table *t) {
  memset(t, 0, sizeof *t);
  t->best = -1;
  FILE *f;
  sp_status s0 = sp_file_open_read(path, SP_FILE_CAP_TEXT, "a search table", &f, NULL);
  if (s0) return s0;
  rows r = {0};
  char names[SP_MAX_PARAMS][32];
  sp_status s = read_rows(path, f, t, &r, names);
  fclose(f);
  if (!s && !r.n) s = sp_fail(SP_ERR_INPUT, "%s: no rows", path);
  int values[SP_MAX_PARAMS][SP_SEARCH_MAX_VALUES], n_values[SP_MAX_PARAMS];
  const int *value_ptr[SP_MAX_PARAMS];
  const char *name_ptr[SP_MAX_PARAMS];
  for (int i = 0; !s && i < r.n_params; i++) {
    n_values[i] = column_values(&r, i, values[i]);
    value_ptr[i] = values[i];
    name_ptr[i] = names[i];
    if (n_values[i] < 0) s = sp_fail(SP_ERR_INPUT, "%s: column %s has too many values", path, names[i]);
  }
  if (!s) s = sp_search_space_build(r.n_params, name_ptr, n_values, value_ptr, NULL, row_valid, &r, &t->space);
  if (!s && !(t->cost = malloc((size_t)t->space.n_points * sizeof *t->cost)))
    s = sp_fail(SP_ERR_RUNTIME, "%s: out of memory", path);
  for (int p = 0; !s && p < t->space.n_points; p++) {
    int v[SP_MAX_PARAMS];
    sp_search_space_values(&t->space, p, v);
    t->cost[p] = r.cost[row_of(&r, v)];
    if (isfinite(t->cost[p]) && (t->best < 0 || t->cost[p] < t->cost[t->best])) t->best = p;
  }
  free(r.values);
  free(r.cost);
  if (s) sp_search_table_free(t);
  return s;
}

int sp_search_table_eval(void *table, const int *values, double *cost, char *msg, size_t cap) {
  const sp_search_table *t = table;
  int p = sp_search_space_find_values(&t->space, values);
  if (p < 0 || !isfinite(t->cost[p])) {
    snprintf(msg, cap, p < 0 ? "not in the table" : "failed when recorded");
    return 1;
  }
  *cost = t->cost[p];
  return 0;
}
