#include "profiler/rss.h"

#include <stdio.h>
#include <string.h>

static long status_field_bytes(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  size_t len = strlen(field);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, len) && line[len] == ':') {
      if (sscanf(line + len + 1, "%ld", &kib) != 1) kib = -1;
      break;
    }
  fclose(f);
  return kib < 0 ? -1 : kib * 1024;
}

long sp_rss_current_bytes(void) { return status_field_bytes("VmRSS"); }

long sp_rss_peak_bytes(void) { return status_field_bytes("VmHWM"); }

int sp_rss_reset_peak(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return -1;
  int ok = fputs("5", f) >= 0;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}
