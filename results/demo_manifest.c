/* The models manifest reader (demo_manifest.h). */
#include "results/demo_manifest.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/json_file.h"

static int is_name(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_' || *s == '-' || *s == '.'))
      return 0;
  return 1;
}

/* Validates root (read from `path`, s its read status) into out and deletes it. */
static sp_status load_root(const char *path, cJSON *root, sp_status s, sp_manifest *out) {
  memset(out, 0, sizeof *out);
  const cJSON *list = NULL;
  if (!s) s = sp_json_check_format(path, root, "stackplan-models", 1);
  if (!s) s = sp_json_array(path, root, "", "models", 1, &list);
  if (!s && cJSON_GetArraySize(list) > SP_MANIFEST_MAX_MODELS)
    s = sp_json_bad(path, "", "models", "more than %d models", SP_MANIFEST_MAX_MODELS);
  int i = 0;
  for (const cJSON *m = s ? NULL : list->child; m && !s; m = m->next, i++) {
    char w[32];
    snprintf(w, sizeof w, "models[%d]", i);
    sp_manifest_model *e = &out->models[i];
    if (!cJSON_IsObject(m)) s = sp_json_bad(path, w, "", "expected an object");
    if (!s) s = sp_json_string(path, m, w, "name", e->name, sizeof e->name);
    if (!s && !is_name(e->name))
      s = sp_json_bad(path, w, "name", "'%s' is not a name (letters, digits, _ - .)", e->name);
    for (int k = 0; k < i && !s; k++)
      if (!strcmp(out->models[k].name, e->name))
        s = sp_json_bad(path, w, "name", "'%s' is listed twice", e->name);
    if (!s) s = sp_json_string(path, m, w, "file", e->file, sizeof e->file);
    if (!s && (!*e->file || strchr(e->file, '/') || !strcmp(e->file, ".") || !strcmp(e->file, "..")))
      s = sp_json_bad(path, w, "file", "'%s' is not a file name in the manifest's folder", e->file);
  }
  if (!s) out->n = i;
  cJSON_Delete(root);
  if (s) memset(out, 0, sizeof *out);
  return s;
}

sp_status sp_manifest_load(const char *path, sp_manifest *out) {
  cJSON *root = NULL;
  sp_status s = sp_json_read_file(path, &root);
  return load_root(path, root, s, out);
}

sp_status sp_manifest_load_buffer(const void *data, size_t len, const char *name,
                                  sp_manifest *out) {
  cJSON *root = NULL;
  sp_status s = sp_json_parse(data, len, name, &root);
  return load_root(name, root, s, out);
}
