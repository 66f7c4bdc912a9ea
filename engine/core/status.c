#include "engine/core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[512];

void sp_printable(char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) *s = '?';
}

sp_status sp_fail(sp_status code, const char *fmt, ...) {
  /* formatted apart first: an argument may be sp_last_error() itself, and
   * vsnprintf must not read the buffer it writes */
  char msg[sizeof last_error];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sp_printable(msg);
  memcpy(last_error, msg, sizeof msg);
  return code;
}

const char *sp_last_error(void) { return last_error; }

void sp_clear_error(void) { last_error[0] = '\0'; }
