/* Status codes and the one-line error message every failing call leaves behind. */
#ifndef SP_STATUS_H
#define SP_STATUS_H

/* Values double as the CLI's exit codes (docs/cli.md). */
typedef enum sp_status {
  SP_OK = 0,
  SP_ERR_RUNTIME = 1, /* out of memory, internal failure */
  SP_ERR_INPUT = 2,   /* bad input or usage: unknown model, bad option, shape mismatch */
  SP_ERR_IO = 3,      /* a file could not be read or written */
  SP_ERR_INFEASIBLE = 4, /* no plan meets the bounds (plan, query, plan --verify) */
} sp_status;

/* Records a printf-style message for the current thread and returns `code`,
 * so that failures read `return sp_fail(SP_ERR_INPUT, "...", ...);`. The
 * message stays one line (control characters, from file names or strings
 * read from a file, become '?'), and an argument may be sp_last_error()
 * itself (`sp_fail(s, "%s: %s", path, sp_last_error())`). */
sp_status sp_fail(sp_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last message recorded by sp_fail on this thread ("" if none). */
const char *sp_last_error(void);

/* Replaces every control character of `s` (newline, escape, ...) by '?',
 * so that a string read from a file cannot break or forge a message line. */
void sp_printable(char *s);

/* Clears the message. */
void sp_clear_error(void);

#endif
