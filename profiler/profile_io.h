/* Profile files: `stackplan-profile` version 1 (docs/formats.md). */
#ifndef SP_PROFILE_IO_H
#define SP_PROFILE_IO_H

#include "profiler/profile.h"

/* Writes p to `path` atomically (profile_json.h): a reader, a crash or a
 * kill at any moment sees the previous file or this one, never half of it.
 * One record a line. SP_ERR_IO naming the file on failure. */
sp_status sp_profile_save(const char *path, const sp_profile *p);

/* Reads and validates a profile: format and version, every field's type and
 * range, and every cross-reference (a record's layer, keep levels, variant
 * known to this build with the record's backend, residency, parameter names
 * and values). SP_ERR_IO when the file cannot be read; SP_ERR_INPUT with one
 * line naming the file and the field ("p.json: records[3].keep_in: 0.6 is
 * not a keep level of group 2") when anything is wrong. On success *out is
 * filled (free with sp_profile_free); on failure it is empty. */
sp_status sp_profile_load(const char *path, sp_profile *out);

/* The same from `len` bytes in memory, named `name` in messages. */
sp_status sp_profile_load_buffer(const void *data, size_t len, const char *name,
                                 sp_profile *out);

#endif
