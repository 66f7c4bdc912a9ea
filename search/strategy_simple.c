/* The model-free strategies: exhaustive, random without replacement and
 * simulated annealing (search.h). */
#include <math.h>
#include <stdlib.h>

#include "search/search_internal.h"

void sp_search_exhaustive(sp_search_ctx *c) {
  double cost;
  for (int p = 0; p < c->space->n_points; p++)
    if (sp_search_try(c, p, &cost) < 0) return;
}

void sp_search_random(sp_search_ctx *c) {
  int n = c->space->n_points;
  int *order = malloc((size_t)n * sizeof *order);
  if (!order) {
    c->oom = c->stop = 1;
    return;
  }
  for (int i = 0; i < n; i++) order[i] = i;
  for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
    int j = sp_search_rand_below(c, i + 1), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  double cost;
  for (int i = 0; i < n; i++)
    if (sp_search_try(c, order[i], &cost) < 0) break;
  free(order);
}

/* A neighbour of p: one parameter moved one value up or down, or (one move
 * in five) to any of its values; -1 when 20 tries found no valid one. */
static int neighbour(sp_search_ctx *c, int p) {
  const sp_search_space *s = c->space;
  int coords[SP_MAX_PARAMS];
  for (int tries = 0; tries < 20; tries++) {
    for (int i = 0; i < s->n_params; i++) coords[i] = s->coords[(size_t)p * s->n_params + i];
    int i = sp_search_rand_below(c, s->n_params);
    if (s->n_values[i] < 2) continue;
    if (sp_search_rand_below(c, 5) == 0) coords[i] = sp_search_rand_below(c, s->n_values[i]);
    else coords[i] += sp_search_rand_below(c, 2) ? 1 : -1;
    int q = sp_search_space_find(s, coords);
    if (q >= 0 && q != p) return q;
  }
  return -1;
}

#define T_START 0.10   /* accepting a 10% loss has probability 1/e at the start */
#define T_END 0.002
#define INIT_SHARE 0.2 /* of the budget: random points first, the walk starts at their best */

void sp_search_anneal(sp_search_ctx *c) {
  const sp_search_result *r = c->result;
  int budget = sp_search_budget_left(c);
  double horizon = budget < 1 << 30 ? budget : 200; /* steps over which T cools */
  double cost;
  for (int i = 0; i < (int)(INIT_SHARE * horizon) && !c->stop; i++) {
    int p = sp_search_random_unseen(c);
    if (p < 0 || sp_search_try(c, p, &cost) < 0) break;
  }
  int cur = r->best >= 0 ? r->best : sp_search_random_unseen(c);
  double cur_cost;
  while (cur >= 0 && sp_search_try(c, cur, &cur_cost) == 0) cur = sp_search_random_unseen(c);
  if (cur < 0) return;
  int stuck = 0, step = 0;
  while (!c->stop) {
    double f = horizon > 0 ? (double)step / horizon : 1;
    double T = T_START * pow(T_END / T_START, f > 1 ? 1 : f);
    int q = neighbour(c, cur);
    if (q < 0 || stuck > 50) { /* no way on, or circling seen points: restart elsewhere */
      q = sp_search_random_unseen(c);
      if (q < 0) return;
      stuck = 0;
    }
    int fresh = !sp_search_seen(c, q);
    int ok = sp_search_try(c, q, &cost);
    if (ok < 0) return;
    stuck = fresh ? 0 : stuck + 1;
    step += fresh;
    if (!ok) continue;
    double loss = cur_cost > 0 ? (cost - cur_cost) / cur_cost : cost - cur_cost;
    if (loss <= 0 || (fresh && sp_rng_uniform(&c->rng) < exp(-loss / T))) {
      cur = q;
      cur_cost = cost;
    }
  }
}
