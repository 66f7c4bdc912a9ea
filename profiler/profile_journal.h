/* The journal of the layer in progress: "<profile>.journal" beside the
 * profile, append-only, one line per measured case of that layer with the
 * case's records, flushed to the disk before the next case starts. The
 * profile itself is saved (atomically) once a layer is whole; its journal
 * is then removed. `profile --resume` after a kill -9 folds the journal's
 * whole lines back in, so that only the case being timed when the process
 * died is measured again: one round-robin measurement of that case's
 * variants, which the protocol times together (docs/profiling.md). */
#ifndef SP_PROFILE_JOURNAL_H
#define SP_PROFILE_JOURNAL_H

#include <stdio.h>

#include "profiler/profile.h"

#define SP_PROFILE_JOURNAL_FORMAT "stackplan-profile-journal"
#define SP_PROFILE_JOURNAL_VERSION 1

typedef struct sp_profile_journal {
  FILE *f;         /* NULL: not journalling (it could not be created) */
  char path[1100];
} sp_profile_journal;

/* What a journal gave back to the layer it was for. */
typedef struct sp_profile_journal_resume {
  int layer;       /* -1: nothing to resume */
  int cases_done;  /* the layer's first cases_done cases are in p->records */
  int first;       /* index of the layer's first record in p->records */
  unsigned judged; /* --quick: formats judged (profile_run.c, skip_dominated) */
  double seconds;  /* spent on the layer before */
} sp_profile_journal_resume;

/* The journal's path for a profile at `path`. */
void sp_profile_journal_path(const char *path, char *out, size_t size);

/* Starts the journal of `layer` (truncating any older one) with a header
 * naming the layer and the profile's state as last saved (p->updated, its
 * record count). Already-known cases of the layer (a resumed journal) are
 * written again as one line: records [first, p->n_records). A journal that
 * cannot be written only costs the record-level resume: j->f stays NULL. */
void sp_profile_journal_start(sp_profile_journal *j, const char *path, const sp_profile *p,
                              int layer, const sp_profile_journal_resume *known, int first);

/* Appends the records [from, p->n_records) (the case just measured) as the
 * line that brings the layer to `cases_done` cases, with its skipped list,
 * `judged` and seconds so far, and flushes it to the disk. */
void sp_profile_journal_case(sp_profile_journal *j, const sp_profile *p, int layer, int from,
                             int cases_done, unsigned judged, double seconds);

/* Closes the journal and removes its file (the layer is saved whole). */
void sp_profile_journal_finish(sp_profile_journal *j);

/* Closes the journal and keeps its file (an interrupted layer). */
void sp_profile_journal_close(sp_profile_journal *j);

/* Folds the journal beside `path` into p (loaded from path, its unmeasured
 * records dropped): when its header matches p and names p's first
 * unmeasured layer, the records of each whole line are appended to p and
 * *out says how far the layer got. A torn last line (the kill came while it
 * was written) is ignored; a journal that does not match, is corrupt or
 * names a measured layer is ignored whole (and removed). Returns a one-line
 * note for the user ("" when there was no journal). Only memory can fail. */
sp_status sp_profile_journal_replay(const char *path, sp_profile *p, sp_profile_journal_resume *out,
                                    char *note, size_t note_size);

#endif
