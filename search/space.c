/* Parameter spaces (space.h): every grid cell enumerated once, the valid
 * ones numbered. */
#include "search/space.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sp_search_space_free(sp_search_space *s) {
  free(s->coords);
  free(s->index_of);
  memset(s, 0, sizeof *s);
}

/* Grid cell <-> value indices, last parameter fastest (as sp_param_point_next). */
static void cell_coords(const sp_search_space *s, int cell, int *coords) {
  for (int i = s->n_params - 1; i >= 0; i--) {
    coords[i] = cell % s->n_values[i];
    cell /= s->n_values[i];
  }
}

static int coords_cell(const sp_search_space *s, const int *coords) {
  int cell = 0;
  for (int i = 0; i < s->n_params; i++) {
    if (coords[i] < 0 || coords[i] >= s->n_values[i]) return -1;
    cell = cell * s->n_values[i] + coords[i];
  }
  return cell;
}

sp_status sp_search_space_build(int n_params, const char *const *names, const int *n_values,
                                const int *const *values, const int *defaults,
                                sp_search_valid_fn valid, void *ctx, sp_search_space *out) {
  memset(out, 0, sizeof *out);
  out->default_point = -1;
  if (n_params < 1 || n_params > SP_MAX_PARAMS)
    return sp_fail(SP_ERR_INPUT, "search space: %d parameters (1..%d)", n_params, SP_MAX_PARAMS);
  long grid = 1;
  for (int i = 0; i < n_params; i++) {
    if (n_values[i] < 1 || n_values[i] > SP_SEARCH_MAX_VALUES)
      return sp_fail(SP_ERR_INPUT, "search space: parameter %s has %d values (1..%d)", names[i],
                     n_values[i], SP_SEARCH_MAX_VALUES);
    for (int k = 1; k < n_values[i]; k++)
      if (values[i][k] <= values[i][k - 1])
        return sp_fail(SP_ERR_INPUT, "search space: values of %s not ascending", names[i]);
    grid *= n_values[i];
    if (grid > (1 << 20)) return sp_fail(SP_ERR_INPUT, "search space: more than 2^20 points");
    snprintf(out->names[i], sizeof out->names[i], "%s", names[i]);
    out->n_values[i] = n_values[i];
    memcpy(out->values[i], values[i], (size_t)n_values[i] * sizeof(int));
  }
  out->n_params = n_params;
  out->grid = (int)grid;
  out->index_of = malloc((size_t)grid * sizeof *out->index_of);
  out->coords = malloc((size_t)grid * (size_t)n_params * sizeof *out->coords);
  if (!out->index_of || !out->coords) {
    sp_search_space_free(out);
    return sp_fail(SP_ERR_RUNTIME, "search space: out of memory");
  }
  int c[SP_MAX_PARAMS], v[SP_MAX_PARAMS];
  for (int cell = 0; cell < out->grid; cell++) {
    cell_coords(out, cell, c);
    for (int i = 0; i < n_params; i++) v[i] = out->values[i][c[i]];
    int ok = !valid || valid(ctx, v);
    out->index_of[cell] = ok ? out->n_points : -1;
    if (ok) memcpy(out->coords + (size_t)out->n_points++ * (size_t)n_params, c, sizeof(int) * (size_t)n_params);
  }
  if (defaults) out->default_point = sp_search_space_find_values(out, defaults);
  return SP_OK;
}

typedef struct variant_ctx {
  const sp_param_space *space;
  const sp_graph *g;
  const sp_node *n;
  const sp_device_limits *limits;
} variant_ctx;

static int variant_valid(void *ctx, const int *values) {
  const variant_ctx *v = ctx;
  return !v->space->valid || v->space->valid(v->g, v->n, values, v->limits);
}

sp_status sp_search_space_of_variant(const sp_variant *v, const sp_graph *g, const sp_node *n,
                                     const sp_device_limits *limits, sp_search_space *out) {
  memset(out, 0, sizeof *out);
  out->default_point = -1;
  if (!v->params || v->params->count < 1)
    return sp_fail(SP_ERR_INPUT, "%s has no parameters to tune", v->name);
  const sp_param_space *ps = v->params;
  const char *names[SP_MAX_PARAMS];
  int n_values[SP_MAX_PARAMS], defaults[SP_MAX_PARAMS];
  const int *values[SP_MAX_PARAMS];
  for (int i = 0; i < ps->count; i++) {
    names[i] = ps->params[i].name;
    n_values[i] = ps->params[i].n_values;
    values[i] = ps->params[i].values;
    defaults[i] = ps->params[i].default_value;
  }
  variant_ctx ctx = {ps, g, n, limits};
  return sp_search_space_build(ps->count, names, n_values, values, defaults, variant_valid, &ctx,
                               out);
}

int sp_search_space_find(const sp_search_space *s, const int *coords) {
  int cell = coords_cell(s, coords);
  return cell < 0 ? -1 : s->index_of[cell];
}

void sp_search_space_values(const sp_search_space *s, int p, int *values) {
  const int *c = s->coords + (size_t)p * (size_t)s->n_params;
  for (int i = 0; i < s->n_params; i++) values[i] = s->values[i][c[i]];
}

int sp_search_space_find_values(const sp_search_space *s, const int *values) {
  int c[SP_MAX_PARAMS];
  for (int i = 0; i < s->n_params; i++) {
    c[i] = 0;
    while (c[i] < s->n_values[i] && s->values[i][c[i]] != values[i]) c[i]++;
    if (c[i] == s->n_values[i]) return -1;
  }
  return sp_search_space_find(s, c);
}
