#include "engine/executor/arena_plan.h"

#include <stdlib.h>

static size_t aligned(size_t bytes, size_t align) { return (bytes + align - 1) & ~(align - 1); }

static int overlaps(const sp_arena_tensor *a, const sp_arena_tensor *b) {
  return a->first <= b->last && b->first <= a->last;
}

/* Order of placement: larger first, then earlier index (qsort is not stable). */
typedef struct by_size_ctx {
  const sp_arena_tensor *t;
  int index;
} by_size_ctx;

static int by_size(const void *pa, const void *pb) {
  const by_size_ctx *a = pa, *b = pb;
  if (a->t[a->index].bytes != b->t[b->index].bytes)
    return a->t[a->index].bytes > b->t[b->index].bytes ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);
}

static int by_offset(const void *pa, const void *pb) {
  const sp_arena_tensor *a = *(const sp_arena_tensor *const *)pa;
  const sp_arena_tensor *b = *(const sp_arena_tensor *const *)pb;
  return (a->offset > b->offset) - (a->offset < b->offset);
}

size_t sp_arena_place(sp_arena_tensor *t, int n, size_t align) {
  by_size_ctx *order = malloc((size_t)(n + 1) * sizeof *order);
  const sp_arena_tensor **placed = malloc((size_t)(n + 1) * sizeof *placed);
  const sp_arena_tensor **live = malloc((size_t)(n + 1) * sizeof *live);
  if (!order || !placed || !live) {
    free(order), free(placed), free(live);
    return (size_t)-1;
  }
  for (int i = 0; i < n; i++) order[i] = (by_size_ctx){t, i};
  qsort(order, (size_t)n, sizeof *order, by_size);
  size_t arena = 0;
  int n_placed = 0;
  for (int k = 0; k < n; k++) {
    sp_arena_tensor *x = &t[order[k].index];
    size_t need = aligned(x->bytes, align);
    x->offset = 0;
    if (!need) continue;
    /* the placed tensors alive with x, by offset: x goes in the smallest gap between them */
    int n_live = 0;
    for (int j = 0; j < n_placed; j++)
      if (overlaps(placed[j], x)) live[n_live++] = placed[j];
    qsort(live, (size_t)n_live, sizeof *live, by_offset);
    size_t at = 0, best = (size_t)-1, best_gap = (size_t)-1;
    for (int j = 0; j < n_live; j++) {
      if (live[j]->offset >= at && live[j]->offset - at >= need && live[j]->offset - at < best_gap)
        best = at, best_gap = live[j]->offset - at;
      size_t end = live[j]->offset + aligned(live[j]->bytes, align);
      if (end > at) at = end;
    }
    x->offset = best != (size_t)-1 ? best : at;
    if (x->offset + need > arena) arena = x->offset + need;
    placed[n_placed++] = x;
  }
  free(order), free(placed), free(live);
  return arena;
}

size_t sp_arena_lower_bound(const sp_arena_tensor *t, int n, size_t align) {
  size_t most = 0;
  for (int i = 0; i < n; i++) { /* the sum is largest at some tensor's first step */
    size_t sum = 0;
    for (int j = 0; j < n; j++)
      if (t[j].first <= t[i].first && t[i].first <= t[j].last) sum += aligned(t[j].bytes, align);
    if (sum > most) most = sum;
  }
  return most;
}
