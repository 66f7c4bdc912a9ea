/* sp_sense_additivity (sense_additivity.h): seeded random combinations of
 * accuracy-file entries, measured together. */
#include "accuracy/sense_additivity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/file_io.h"
#include "engine/core/rng.h"

#define MAX_ITEMS 6
#define SPEC_ITEM (SP_NAME_MAX + 40)

/* A pick: an index into acc->layers (kind prune/ternary) or acc->groups. */
typedef struct pick {
  sp_compress_kind kind;
  int entry;
} pick;

static int random_below(sp_rng *r, int n) { return (int)(sp_rng_next(r) % (uint64_t)n); }

/* Whether `p` compresses what an earlier pick already does (the same layer's
 * weights, or the same group). */
static int taken(const sp_accuracy *a, const pick *p, const pick *picks, int n) {
  for (int i = 0; i < n; i++) {
    int keeps = (p->kind == SP_COMPRESS_KEEP) + (picks[i].kind == SP_COMPRESS_KEEP);
    if (keeps == 2 && !strcmp(a->groups[p->entry].group, a->groups[picks[i].entry].group))
      return 1;
    if (keeps == 0 && !strcmp(a->layers[p->entry].layer, a->layers[picks[i].entry].layer))
      return 1;
  }
  return 0;
}

/* The entries a draw may pick, per kind (prune, ternary, keep): indices into
 * acc->layers or acc->groups whose drop is at most max_drop. */
typedef struct pool {
  int count[3];
  int *entry[3];
} pool;

static sp_status pool_build(const sp_accuracy *a, double max_drop, pool *p) {
  memset(p, 0, sizeof *p);
  for (int k = 0; k < 3; k++) {
    p->entry[k] = malloc(((size_t)(k == SP_COMPRESS_KEEP ? a->n_groups : a->n_layers) + 1) *
                         sizeof(int));
    if (!p->entry[k]) return sp_fail(SP_ERR_RUNTIME, "out of memory drawing combinations");
  }
  for (int i = 0; i < a->n_layers; i++)
    if (sp_accuracy_drop(a, a->layers[i].accuracy) <= max_drop)
      p->entry[a->layers[i].kind][p->count[a->layers[i].kind]++] = i;
  for (int i = 0; i < a->n_groups; i++)
    if (sp_accuracy_drop(a, a->groups[i].accuracy) <= max_drop)
      p->entry[SP_COMPRESS_KEEP][p->count[SP_COMPRESS_KEEP]++] = i;
  return SP_OK;
}

static void pool_free(pool *p) {
  for (int k = 0; k < 3; k++) free(p->entry[k]);
}

/* Draws one combination into c: its spec and its predicted accuracy. */
static sp_status draw(const sp_accuracy *a, const pool *pl, sp_rng *r, sp_sense_combo *c) {
  sp_compress_kind kinds[3];
  int n_kinds = 0;
  for (int k = 0; k < 3; k++)
    if (pl->count[k]) kinds[n_kinds++] = (sp_compress_kind)k;
  int want = 2 + random_below(r, MAX_ITEMS - 1);
  pick picks[MAX_ITEMS];
  int n = 0;
  for (int attempt = 0; n_kinds && n < want && attempt < 1000; attempt++) {
    pick p = {kinds[random_below(r, n_kinds)], 0};
    p.entry = pl->entry[p.kind][random_below(r, pl->count[p.kind])];
    if (!taken(a, &p, picks, n)) picks[n++] = p;
  }
  if (n < 2) return sp_fail(SP_ERR_INPUT, "additivity: the accuracy file has too few distinct "
                                          "layers and groups to combine (within the drop limit)");
  c->spec = malloc((size_t)n * SPEC_ITEM);
  if (!c->spec) return sp_fail(SP_ERR_RUNTIME, "out of memory for combinations");
  size_t len = 0;
  double drops = 0;
  for (int i = 0; i < n; i++) {
    const char *sep = i ? "," : "";
    if (picks[i].kind == SP_COMPRESS_KEEP) {
      const sp_accuracy_group *gr = &a->groups[picks[i].entry];
      len += (size_t)snprintf(c->spec + len, (size_t)n * SPEC_ITEM - len, "%skeep:%s=%.15g", sep,
                              gr->group, gr->keep);
      drops += sp_accuracy_drop(a, gr->accuracy);
    } else {
      const sp_accuracy_layer *l = &a->layers[picks[i].entry];
      len += (size_t)snprintf(c->spec + len, (size_t)n * SPEC_ITEM - len, "%s%s:%s=%.15g", sep,
                              l->kind == SP_COMPRESS_PRUNE ? "prune" : "ternary", l->layer,
                              l->rate);
      drops += sp_accuracy_drop(a, l->accuracy);
    }
  }
  c->n_items = n;
  c->predicted = a->accuracy - drops;
  return SP_OK;
}

sp_status sp_sense_additivity(const sp_graph *g, const sp_accuracy *acc,
                              const sp_sense_data *data, int n, uint64_t seed, double max_drop,
                              const sp_sense_options *opt, sp_sense_combo **out,
                              sp_sense_score *baseline) {
  *out = NULL;
  pool pl;
  sp_status s = pool_build(acc, max_drop, &pl);
  if (s) {
    pool_free(&pl);
    return s;
  }
  sp_sense_combo *c = calloc((size_t)n + 1, sizeof *c);
  const char **specs = calloc((size_t)n + 1, sizeof *specs);
  sp_sense_score *scores = calloc((size_t)n + 1, sizeof *scores);
  s = c && specs && scores ? SP_OK : sp_fail(SP_ERR_RUNTIME, "out of memory");
  sp_rng r;
  sp_rng_seed(&r, seed);
  for (int i = 0; !s && i < n; i++) {
    s = draw(acc, &pl, &r, &c[i]);
    specs[i] = c[i].spec;
  }
  if (!s) s = sp_sense_evaluate(g, data->inputs, data->labels, data->count, specs, n, opt,
                                baseline, scores);
  for (int i = 0; !s && i < n; i++) {
    c[i].measured = sp_sense_accuracy(&scores[i]);
    c[i].loss = sp_sense_loss(&scores[i]);
  }
  free(specs);
  free(scores);
  pool_free(&pl);
  if (s) {
    sp_sense_combos_free(c, n);
    return s;
  }
  *out = c;
  return SP_OK;
}

void sp_sense_combos_free(sp_sense_combo *c, int n) {
  for (int i = 0; c && i < n; i++) free(c[i].spec);
  free(c);
}

static int ascending(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

sp_sense_error_summary sp_sense_additivity_summary(const sp_sense_combo *c, int n) {
  sp_sense_error_summary e = {.n = n};
  double *abs_err = malloc(((size_t)n + 1) * sizeof *abs_err);
  if (!abs_err || n < 1) {
    free(abs_err);
    return e;
  }
  for (int i = 0; i < n; i++) {
    double err = c[i].predicted - c[i].measured;
    e.mean += err / n;
    e.mean_abs += fabs(err) / n;
    abs_err[i] = fabs(err);
    if (fabs(err) > e.max_abs) e.max_abs = fabs(err);
    e.optimistic += err > 0;
    e.pessimistic += err < 0;
  }
  qsort(abs_err, (size_t)n, sizeof *abs_err, ascending);
  e.median_abs = n % 2 ? abs_err[n / 2] : (abs_err[n / 2 - 1] + abs_err[n / 2]) / 2;
  free(abs_err);
  return e;
}

sp_status sp_sense_additivity_write_csv(const char *path, const char *model, const sp_sense_combo *c,
                                        int n) {
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  FILE *f = af.f;
  fprintf(f, "model,combination,items,predicted,measured,error,loss,spec\n");
  for (int i = 0; i < n; i++)
    fprintf(f, "%s,%d,%d,%.4f,%.4f,%.4f,%.6f,\"%s\"\n", model, i + 1, c[i].n_items,
            c[i].predicted, c[i].measured, c[i].predicted - c[i].measured, c[i].loss, c[i].spec);
  return sp_atomic_commit(&af);
}

