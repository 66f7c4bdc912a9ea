/* sp_accuracy_save (accuracy_io.h): one entry per line, so that files diff
 * well; written to a temp file and renamed into place. */
#define _POSIX_C_SOURCE 200809L /* getpid */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accuracy/accuracy_io.h"
#include "engine/core/file_io.h"

/* cJSON writes a non-finite number as null, which is what the format says
 * for an overflowed loss. */
/* The optional uncertainty fields of a measured entry (u->images > 0):
 * images and baseline where they differ from the file's, and the drop
 * interval. */
static void add_uncertainty(cJSON *o, const sp_accuracy *a, const sp_accuracy_uncertainty *u) {
  if (u->images > 0 && u->images != a->images) {
    cJSON_AddNumberToObject(o, "images", u->images);
    cJSON_AddNumberToObject(o, "baseline", u->baseline);
  }
  if (u->images > 0 && isfinite(u->drop_lo) && isfinite(u->drop_hi)) {
    double v[2] = {round(u->drop_lo * 1e4) / 1e4, round(u->drop_hi * 1e4) / 1e4};
    cJSON_AddItemToObject(o, "drop_interval", cJSON_CreateDoubleArray(v, 2));
  }
}

static cJSON *layer_json(const sp_accuracy *a, const sp_accuracy_layer *l) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "layer", l->layer);
  cJSON_AddStringToObject(o, "compression", l->kind == SP_COMPRESS_PRUNE ? "prune" : "ternary");
  cJSON_AddNumberToObject(o, "rate", l->rate);
  cJSON_AddNumberToObject(o, "accuracy", l->accuracy);
  cJSON_AddNumberToObject(o, "loss", l->loss);
  add_uncertainty(o, a, &l->u);
  return o;
}

static cJSON *group_json(const sp_accuracy *a, const sp_accuracy_group *gr) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "group", gr->group);
  cJSON *layers = cJSON_AddArrayToObject(o, "layers");
  for (int i = 0; layers && i < gr->n_layers; i++)
    cJSON_AddItemToArray(layers, cJSON_CreateString(gr->layers[i]));
  cJSON_AddNumberToObject(o, "keep", gr->keep);
  cJSON_AddNumberToObject(o, "channels_kept", gr->channels_kept);
  cJSON_AddNumberToObject(o, "accuracy", gr->accuracy);
  cJSON_AddNumberToObject(o, "loss", gr->loss);
  add_uncertainty(o, a, &gr->u);
  return o;
}

/* Writes `o` unformatted after `lead`; returns 0 when out of memory. */
static int put(FILE *f, const char *lead, cJSON *o) {
  char *text = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  if (!text) return 0;
  fprintf(f, "%s%s", lead, text);
  free(text);
  return 1;
}

static int write_body(FILE *f, const sp_accuracy *a) {
  cJSON *model = cJSON_CreateObject(), *data = cJSON_CreateObject(), *base = cJSON_CreateObject();
  cJSON_AddStringToObject(model, "name", a->model);
  cJSON_AddStringToObject(model, "structure_fingerprint", a->structure_fingerprint);
  cJSON_AddStringToObject(model, "weights_fingerprint", a->weights_fingerprint);
  cJSON_AddItemToObject(model, "input", cJSON_CreateIntArray(a->input, 3));
  cJSON_AddNumberToObject(model, "classes", a->classes);
  cJSON_AddStringToObject(data, "name", a->data);
  cJSON_AddStringToObject(data, "split", a->split);
  cJSON_AddNumberToObject(data, "images", a->images);
  cJSON_AddNumberToObject(base, "accuracy", a->accuracy);
  cJSON_AddNumberToObject(base, "loss", a->loss);
  fprintf(f, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n  \"created\": \"%s\",\n",
          SP_ACCURACY_FORMAT, SP_ACCURACY_VERSION, a->created);
  int ok = put(f, "  \"model\": ", model) & put(f, ",\n  \"data\": ", data) &
           put(f, ",\n  \"baseline\": ", base);
  fprintf(f, ",\n  \"source\": \"%s\",\n  \"layers\": [", a->source);
  for (int i = 0; ok && i < a->n_layers; i++)
    ok = put(f, i ? ",\n    " : "\n    ", layer_json(a, &a->layers[i]));
  fprintf(f, "%s],\n  \"groups\": [", a->n_layers ? "\n  " : "");
  for (int i = 0; ok && i < a->n_groups; i++)
    ok = put(f, i ? ",\n    " : "\n    ", group_json(a, &a->groups[i]));
  fprintf(f, "%s]\n}\n", a->n_groups ? "\n  " : "");
  return ok;
}

sp_status sp_accuracy_save(const char *path, const sp_accuracy *a) {
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  if (!write_body(af.f, a)) {
    sp_atomic_abort(&af);
    return sp_fail(SP_ERR_RUNTIME, "%s: out of memory writing it", path);
  }
  return sp_atomic_commit(&af);
}
