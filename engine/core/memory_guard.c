/* The memory guard (memory_guard.h). */
#include "engine/core/memory_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MemAvailable in bytes, -1 when /proc/meminfo does not say. */
static double mem_available(void) {
  FILE *f = fopen("/proc/meminfo", "r"); /* a proc file: never a FIFO */
  char line[256];
  double kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1) break;
  if (f) fclose(f);
  return kib >= 0 ? kib * 1024 : -1;
}

/* SP_MEMORY_LIMIT in bytes, -1 when unset or malformed. */
static double env_limit(void) {
  const char *text = getenv("SP_MEMORY_LIMIT");
  if (!text || !*text) return -1;
  char *end = NULL;
  double v = strtod(text, &end);
  double scale = 1;
  if (end && (*end == 'K' || *end == 'k')) scale = 1024.0, end++;
  else if (end && (*end == 'M' || *end == 'm')) scale = 1024.0 * 1024, end++;
  else if (end && (*end == 'G' || *end == 'g')) scale = 1024.0 * 1024 * 1024, end++;
  return end && !*end && v >= 0 ? v * scale : -1;
}

double sp_memory_available(void) {
  double avail = mem_available(), limit = env_limit();
  if (limit >= 0 && (avail < 0 || limit < avail)) return limit;
  return avail;
}

sp_status sp_memory_check(const char *what, double bytes) {
  double avail = mem_available(), limit = env_limit();
  int by_limit = limit >= 0 && (avail < 0 || limit < avail);
  double cap = by_limit ? limit : avail;
  if (cap < 0 || bytes <= cap) return SP_OK;
  return sp_fail(SP_ERR_RUNTIME, "%s: about %.0f MiB needed, more than the %.0f MiB available (%s)",
                 what, bytes / (1024.0 * 1024), cap / (1024.0 * 1024),
                 by_limit ? "SP_MEMORY_LIMIT" : "MemAvailable in /proc/meminfo");
}
