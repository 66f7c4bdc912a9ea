/* Internals of the profile reader shared by its two files (profile_read.c:
 * header sections; profile_read_records.c: records, transitions, noise). */
#ifndef SP_PROFILE_READ_H
#define SP_PROFILE_READ_H

#include <cjson/cJSON.h>

#include "profiler/profile.h"

/* An array `key` of at most max numbers in [lo, hi] into out[*n]. */
sp_status sp_profile_read_numbers(const char *file, const cJSON *obj, const char *where,
                                  const char *key, int max, double lo, double hi, double *out,
                                  int *n);

/* A "variant" of this build that computes layer l's op: its name into
 * name[size], the variant into *v. */
sp_status sp_profile_read_variant(const char *file, const cJSON *obj, const char *where,
                                  const sp_profile_layer *l, char *name, size_t size,
                                  const sp_variant **v);

/* The level of group g (index `group`) whose fraction is `key`'s value. */
sp_status sp_profile_read_keep_level(const char *file, const cJSON *obj, const char *where,
                                     const char *key, const sp_profile_group *g, int group,
                                     int *level);

/* A "compression" object: {"kind": none|prune|ternary, "rate"} with a rate
 * that fits the kind. */
sp_status sp_profile_read_compression(const char *file, const cJSON *obj, const char *where,
                                      sp_compress_choice *c);

/* The layer's "skipped" array of "variant@threads" strings. */
sp_status sp_profile_read_skipped(const char *file, const cJSON *obj, const char *where,
                                  sp_profile_layer *l);

/* One record object (as in "records"): groups and layers must be read. */
sp_status sp_profile_read_record(const char *file, const cJSON *obj, const char *where,
                                 const sp_profile *p, sp_profile_record *r);

/* A record as the profile file writes it (profile_write.c). */
cJSON *sp_profile_record_json(const sp_profile *p, const sp_profile_record *r);

/* The arrays after "layers"; groups and layers must be read. */
sp_status sp_profile_read_records(const char *file, const cJSON *root, sp_profile *p);
sp_status sp_profile_read_transitions(const char *file, const cJSON *root, sp_profile *p);
sp_status sp_profile_read_noise(const char *file, const cJSON *root, sp_profile *p);

#endif
