/* The activation arena's placement (engine/arena_plan.h): tensors alive at
 * the same step never share bytes, offsets are aligned, the arena is never
 * below the live-bytes bound, and on the shapes a network produces it
 * reaches the bound where a buffer per slot cannot. */
#include <stdlib.h>

#include "engine/executor/arena_plan.h"
#include "tests/unit/testing.h"

#define ALIGN 64

static size_t up(size_t b) { return (b + ALIGN - 1) / ALIGN * ALIGN; }

/* Every invariant of a placement of t[0..n) in `arena` bytes. */
static void check_valid(const sp_arena_tensor *t, int n, size_t arena, const char *what) {
  CHECK_MSG(arena != (size_t)-1, "%s: out of memory", what);
  CHECK_MSG(arena >= sp_arena_lower_bound(t, n, ALIGN), "%s: %zu below the bound %zu", what, arena,
            sp_arena_lower_bound(t, n, ALIGN));
  size_t sum = 0;
  for (int i = 0; i < n; i++) {
    sum += up(t[i].bytes);
    CHECK_MSG(t[i].offset % ALIGN == 0, "%s: tensor %d at %zu", what, i, t[i].offset);
    CHECK_MSG(t[i].offset + up(t[i].bytes) <= arena, "%s: tensor %d past the end", what, i);
    for (int j = 0; j < i; j++) {
      int together = t[i].first <= t[j].last && t[j].first <= t[i].last;
      int disjoint = t[i].offset + up(t[i].bytes) <= t[j].offset ||
                     t[j].offset + up(t[j].bytes) <= t[i].offset;
      CHECK_MSG(!together || !t[i].bytes || !t[j].bytes || disjoint,
                "%s: tensors %d and %d are alive together and overlap", what, j, i);
    }
  }
  CHECK_MSG(arena <= sum, "%s: %zu is more than all tensors apart (%zu)", what, arena, sum);
}

/* A chain: output i alive from step i to i + 1, each with a workspace at its
 * own step; a big workspace next to small activations. A buffer per slot
 * keeps the workspace's slot at its size for the activations that reuse it;
 * offsets need only the largest step. */
static void test_chain(void) {
  enum { N = 6 };
  const size_t out[N] = {4096, 8192, 8192, 1024, 1024, 64};
  const size_t ws[N] = {0, 65536, 0, 0, 32768, 0};
  sp_arena_tensor t[2 * N];
  for (int i = 0; i < N; i++) {
    t[2 * i] = (sp_arena_tensor){.bytes = out[i], .first = i, .last = i + 1};
    t[2 * i + 1] = (sp_arena_tensor){.bytes = ws[i], .first = i, .last = i};
  }
  size_t arena = sp_arena_place(t, 2 * N, ALIGN);
  check_valid(t, 2 * N, arena, "chain");
  CHECK_MSG(arena == sp_arena_lower_bound(t, 2 * N, ALIGN), "chain: %zu, bound %zu", arena,
            sp_arena_lower_bound(t, 2 * N, ALIGN));
  CHECK(sp_arena_lower_bound(t, 2 * N, ALIGN) == 4096 + 8192 + 65536);
  CHECK(t[3].offset == 0);                   /* the largest first, at the start */
  CHECK(t[1].bytes == 0 && t[1].offset == 0); /* no workspace: no room */
}

/* A residual block: the block input stays alive across two convolutions. */
static void test_residual(void) {
  sp_arena_tensor t[] = {
      {.bytes = 1000, .first = 0, .last = 3}, /* block input, read by the add at step 3 */
      {.bytes = 1000, .first = 1, .last = 2}, /* conv a */
      {.bytes = 1000, .first = 2, .last = 3}, /* conv b */
      {.bytes = 1000, .first = 3, .last = 4}, /* add */
      {.bytes = 5000, .first = 1, .last = 1}, /* conv a's workspace */
  };
  size_t arena = sp_arena_place(t, 5, ALIGN);
  check_valid(t, 5, arena, "residual");
  CHECK_MSG(arena == sp_arena_lower_bound(t, 5, ALIGN), "residual: %zu, bound %zu", arena,
            sp_arena_lower_bound(t, 5, ALIGN));
}

/* Random lifetimes and sizes: always valid, and close to the bound. */
static void test_random(void) {
  uint64_t seed = 7;
  double worst = 1;
  for (int round = 0; round < 300; round++) {
    int n = sp_test_rand_int(&seed, 1, 40);
    sp_arena_tensor t[40];
    for (int i = 0; i < n; i++) {
      int first = sp_test_rand_int(&seed, 0, 30);
      t[i] = (sp_arena_tensor){.bytes = (size_t)sp_test_rand_int(&seed, 0, 1 << 16), .first = first,
                               .last = first + sp_test_rand_int(&seed, 0, 6)};
    }
    size_t arena = sp_arena_place(t, n, ALIGN);
    check_valid(t, n, arena, "random");
    size_t bound = sp_arena_lower_bound(t, n, ALIGN);
    if (bound && (double)arena / (double)bound > worst) worst = (double)arena / (double)bound;
  }
  /* greedy by size is no optimal packing, but not far from one */
  CHECK_MSG(worst < 1.5, "random: arena up to %.2fx the bound", worst);
  printf("random instances: arena at most %.3fx the live-bytes bound\n", worst);
}

int main(void) {
  test_chain();
  test_residual();
  test_random();
  CHECK(sp_arena_place(NULL, 0, ALIGN) == 0);
  return sp_test_finish("test_arena_plan");
}
