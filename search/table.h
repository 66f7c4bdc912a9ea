/* Recorded search tables: the cost of every valid point of one kernel's
 * space on one layer, measured once by an exhaustive search, so that
 * strategies can be replayed and compared on them without a device
 * (tests/bench/bench_search.c, docs/search.md). CSV:
 *
 *   # <free text: variant, layer, shape, device, date>
 *   <param>,<param>,...,ms
 *   4,4,4,16,16,0.0254
 *   1,64,8,8,8,fail
 *
 * one row per valid point; "fail" for a point that failed (no build, a
 * refused launch, a wrong result). */
#ifndef SP_SEARCH_TABLE_H
#define SP_SEARCH_TABLE_H

#include "search/search.h"

typedef struct sp_search_table {
  char comment[512];         /* the "#" line, without "# " */
  sp_search_space space;     /* columns as parameters; the rows are its valid points */
  double *cost;              /* [space.n_points] seconds, +inf when failed */
  int best;                  /* point of the lowest cost, -1 when all failed */
} sp_search_table;

/* Writes the trace of an exhaustive search of `space` as a table.
 * SP_ERR_IO naming the file on failure. */
sp_status sp_search_table_save(const char *path, const char *comment,
                               const sp_search_space *space, const sp_search_result *r);

/* Reads a table. SP_ERR_IO when unreadable, SP_ERR_INPUT naming the file
 * and line when malformed (a short row, a value that is no integer, a cost
 * that is neither a number >= 0 nor "fail", a repeated point). Free with
 * sp_search_table_free. */
sp_status sp_search_table_load(const char *path, sp_search_table *out);

void sp_search_table_free(sp_search_table *t);

/* sp_search_eval_fn over an sp_search_table *: the recorded cost. */
int sp_search_table_eval(void *table, const int *values, double *cost, char *msg, size_t cap);

#endif
