/* The journal of the layer in progress (profile_journal.h). */
#define _POSIX_C_SOURCE 200809L /* fileno, fdatasync */
#include "profiler/profile_journal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/file_io.h"
#include "engine/core/json_file.h"
#include "profiler/profile_read.h"

void sp_profile_journal_path(const char *path, char *out, size_t size) {
  snprintf(out, size, "%s.journal", path);
}

/* Writes one line and makes it durable; a failure ends the journal (the
 * profile goes on: it only loses the record-level resume). */
static void put_line(sp_profile_journal *j, cJSON *o) {
  char *text = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  if (!j->f) {
    free(text);
    return;
  }
  int ok = text && fputs(text, j->f) >= 0 && fputc('\n', j->f) != EOF && fflush(j->f) == 0 &&
           fdatasync(fileno(j->f)) == 0;
  free(text);
  if (!ok) {
    fclose(j->f);
    j->f = NULL;
    unlink(j->path);
  }
}

static void put_case(sp_profile_journal *j, const sp_profile *p, int layer, int first, int cases_done,
                     unsigned judged, double seconds) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "cases_done", cases_done);
  cJSON_AddNumberToObject(o, "judged", judged);
  cJSON_AddNumberToObject(o, "seconds", seconds);
  cJSON_AddStringToObject(o, "skipped", p->layers[layer].skipped);
  cJSON *records = cJSON_AddArrayToObject(o, "records");
  for (int i = first; i < p->n_records; i++)
    cJSON_AddItemToArray(records, sp_profile_record_json(p, &p->records[i]));
  put_line(j, o);
}

void sp_profile_journal_start(sp_profile_journal *j, const char *path, const sp_profile *p,
                              int layer, const sp_profile_journal_resume *known, int first) {
  sp_profile_journal_path(path, j->path, sizeof j->path);
  /* not blocking on a FIFO put there, and a regular file only (or no journal) */
  unlink(j->path);
  int fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0666);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    close(fd);
    fd = -1;
  }
  j->f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (fd >= 0 && !j->f) close(fd);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "format", SP_PROFILE_JOURNAL_FORMAT);
  cJSON_AddNumberToObject(o, "version", SP_PROFILE_JOURNAL_VERSION);
  cJSON_AddStringToObject(o, "layer", p->layers[layer].name);
  cJSON_AddStringToObject(o, "profile_updated", p->updated);
  cJSON_AddNumberToObject(o, "records_before", first);
  put_line(j, o);
  if (known && known->layer == layer && known->cases_done > 0)
    put_case(j, p, layer, first, known->cases_done, known->judged, known->seconds);
}

void sp_profile_journal_case(sp_profile_journal *j, const sp_profile *p, int layer, int from,
                             int cases_done, unsigned judged, double seconds) {
  if (j->f) put_case(j, p, layer, from, cases_done, judged, seconds);
}

void sp_profile_journal_close(sp_profile_journal *j) {
  if (j->f) fclose(j->f);
  j->f = NULL;
}

void sp_profile_journal_finish(sp_profile_journal *j) {
  sp_profile_journal_close(j);
  if (j->path[0]) unlink(j->path);
}

/* The header: matches p and names its first unmeasured layer. */
static sp_status check_header(const char *jpath, const cJSON *h, const sp_profile *p, int *layer) {
  char name[SP_NAME_MAX], updated[32];
  int before;
  sp_status s = sp_json_check_format(jpath, h, SP_PROFILE_JOURNAL_FORMAT, SP_PROFILE_JOURNAL_VERSION);
  if (!s) s = sp_json_string(jpath, h, "", "layer", name, sizeof name);
  if (!s) s = sp_json_string(jpath, h, "", "profile_updated", updated, sizeof updated);
  if (!s) s = sp_json_int(jpath, h, "", "records_before", 0, 1 << 30, &before);
  if (s) return s;
  int first = 0;
  while (first < p->n_layers && p->layers[first].measured) first++;
  *layer = sp_profile_find_layer(p, name);
  if (*layer < 0 || *layer != first)
    return sp_json_bad(jpath, "", "layer", "'%s' is not the profile's next layer", name);
  if (strcmp(updated, p->updated) || before != p->n_records)
    return sp_json_bad(jpath, "", "profile_updated", "%s: the journal is of another save of the profile",
                       updated);
  return SP_OK;
}

/* One case line: its records appended to p (none when it is bad). */
static sp_status read_case(const char *jpath, const cJSON *o, int n, sp_profile *p, int layer,
                           sp_profile_journal_resume *r) {
  char w[32], skipped[sizeof p->layers[0].skipped];
  snprintf(w, sizeof w, "line %d", n + 2);
  int cases;
  double judged, seconds;
  const cJSON *records;
  sp_status s = sp_json_int(jpath, o, w, "cases_done", r->cases_done + 1, 1 << 20, &cases);
  if (!s) s = sp_json_number(jpath, o, w, "judged", 0, 4294967295.0, &judged);
  if (!s) s = sp_json_number(jpath, o, w, "seconds", 0, 1e9, &seconds);
  if (!s) s = sp_json_string(jpath, o, w, "skipped", skipped, sizeof skipped);
  if (!s) s = sp_json_array(jpath, o, w, "records", 0, &records);
  int before = p->n_records, i = 0;
  for (const cJSON *e = s ? NULL : records->child; e && !s; e = e->next, i++) {
    sp_profile_record rec = {0};
    char rw[48];
    snprintf(rw, sizeof rw, "line %d records[%d]", n + 2, i);
    s = cJSON_IsObject(e) ? sp_profile_read_record(jpath, e, rw, p, &rec)
                          : sp_json_bad(jpath, rw, "", "expected an object");
    if (!s && rec.layer != layer) s = sp_json_bad(jpath, rw, "layer", "not the journal's layer");
    if (!s) s = sp_profile_add_record(p, &rec);
  }
  if (s) {
    p->n_records = before;
    return s;
  }
  r->cases_done = cases;
  r->judged = (unsigned)judged;
  r->seconds = seconds;
  memcpy(p->layers[layer].skipped, skipped, sizeof skipped);
  return SP_OK;
}

sp_status sp_profile_journal_replay(const char *path, sp_profile *p, sp_profile_journal_resume *out,
                                    char *note, size_t note_size) {
  *out = (sp_profile_journal_resume){.layer = -1};
  note[0] = 0;
  char jpath[1100];
  sp_profile_journal_path(path, jpath, sizeof jpath);
  if (access(jpath, F_OK) != 0) return SP_OK;
  char *text = NULL;
  size_t len = 0;
  sp_status s = sp_file_read_all(jpath, SP_FILE_CAP_JSON, "a profile journal", &text, &len);
  if (s == SP_ERR_RUNTIME) return s;
  int layer = -1, lines = 0;
  sp_profile_journal_resume r = {.layer = -1, .first = p->n_records};
  char *line = text, *end = text ? text + len : NULL;
  /* the header, then whole lines; what follows the last newline is torn */
  for (char *nl; !s && line && (nl = memchr(line, '\n', (size_t)(end - line))); line = nl + 1, lines++) {
    cJSON *o = NULL;
    s = sp_json_parse(line, (size_t)(nl - line), jpath, &o);
    if (!s && lines == 0) s = check_header(jpath, o, p, &layer);
    else if (!s) s = read_case(jpath, o, lines - 1, p, layer, &r);
    cJSON_Delete(o);
    if (s == SP_ERR_RUNTIME) break;
    if (s && lines > 0) { /* a bad line after good ones: keep those */
      snprintf(note, note_size, "profile: %s: ignored from here on", sp_last_error());
      s = SP_OK;
      break;
    }
  }
  free(text);
  if (s == SP_ERR_RUNTIME) return s;
  if (s || layer < 0) {
    if (!note[0]) snprintf(note, note_size, "profile: ignoring %s: %s", jpath, s ? sp_last_error() : "no header");
    p->n_records = r.first;
    unlink(jpath);
    return SP_OK;
  }
  r.layer = layer;
  *out = r;
  if (!note[0])
    snprintf(note, note_size, "profile: %s: layer %s resumed after %d cases (%d records)", jpath,
             p->layers[layer].name, r.cases_done, p->n_records - r.first);
  return SP_OK;
}
