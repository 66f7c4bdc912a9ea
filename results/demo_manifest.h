/* The models manifest (models/manifest.json, format `stackplan-models`
 * version 1, docs/formats.md): which shipped models `demo` runs. */
#ifndef SP_DEMO_MANIFEST_H
#define SP_DEMO_MANIFEST_H

#include <stddef.h>

#include "engine/core/status.h"

#define SP_MANIFEST_MAX_MODELS 8

typedef struct sp_manifest_model {
  char name[64]; /* a model's name: letters, digits, '_', '-', '.' */
  char file[256]; /* its ONNX file, a plain name in the manifest's folder */
} sp_manifest_model;

typedef struct sp_manifest {
  int n;
  sp_manifest_model models[SP_MANIFEST_MAX_MODELS];
} sp_manifest;

/* Reads and validates the manifest at `path`: format, version, a "models"
 * array of 1 to SP_MANIFEST_MAX_MODELS objects, each with a "name" and a
 * "file" (no '/', not "." or ".."); other fields are the training record and
 * not read. SP_ERR_IO when it cannot be read, SP_ERR_INPUT with one line
 * naming the file and the field. */
sp_status sp_manifest_load(const char *path, sp_manifest *out);

/* The same from `len` bytes in memory, named `name` in messages. */
sp_status sp_manifest_load_buffer(const void *data, size_t len, const char *name,
                                  sp_manifest *out);

#endif
