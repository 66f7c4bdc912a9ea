/* A parameter space to search: parameters with candidate values and the
 * points that satisfy the constraints, enumerated once. Built from a kernel
 * variant's sp_param_space for one node and device (divisibility, register
 * budget, work-group size, local memory: the variant's valid()), or from
 * any validity callback (synthetic spaces in tests, recorded tables). */
#ifndef SP_SEARCH_SPACE_H
#define SP_SEARCH_SPACE_H

#include "kernels/kernel.h"

#define SP_SEARCH_MAX_VALUES 32

typedef struct sp_search_space {
  int n_params;
  char names[SP_MAX_PARAMS][32];
  int n_values[SP_MAX_PARAMS];
  int values[SP_MAX_PARAMS][SP_SEARCH_MAX_VALUES]; /* candidates, ascending */
  int n_points;              /* valid points */
  int *coords;               /* [n_points][n_params] value indices of each valid point */
  int grid;                  /* product of n_values */
  int *index_of;             /* [grid] point index of each grid cell, -1 when invalid */
  int default_point;         /* the point of the default values, -1 when invalid or none */
} sp_search_space;

/* Whether the values of a point (one per parameter) are valid. */
typedef int (*sp_search_valid_fn)(void *ctx, const int *values);

/* Builds a space: n_params parameters (1..SP_MAX_PARAMS), each with names[i]
 * and n_values[i] (1..SP_SEARCH_MAX_VALUES) ascending values[i][]; valid may
 * be NULL (every point); defaults may be NULL. SP_ERR_INPUT for bad sizes or
 * a grid over 2^20 cells, SP_ERR_RUNTIME when out of memory. An empty space
 * (no valid point) is not an error. Free with sp_search_space_free. */
sp_status sp_search_space_build(int n_params, const char *const *names, const int *n_values,
                                const int *const *values, const int *defaults,
                                sp_search_valid_fn valid, void *ctx, sp_search_space *out);

/* The space of variant v's parameters for node n of g on a device with
 * `limits` (NULL: no device checks). SP_ERR_INPUT when v has no parameters. */
sp_status sp_search_space_of_variant(const sp_variant *v, const sp_graph *g, const sp_node *n,
                                     const sp_device_limits *limits, sp_search_space *out);

void sp_search_space_free(sp_search_space *s);

/* The point with these value indices, or -1 (out of range or invalid). */
int sp_search_space_find(const sp_search_space *s, const int *coords);

/* The values of point p, one per parameter. */
void sp_search_space_values(const sp_search_space *s, int p, int *values);

/* The point with exactly these values, or -1. */
int sp_search_space_find_values(const sp_search_space *s, const int *values);

#endif
