/* The one file reader and writer (file_io.h). */
#define _GNU_SOURCE /* O_CLOEXEC, fdopen, fsync, mkstemp */
#include "engine/core/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m) {
  if (S_ISDIR(m)) return "is a directory";
  if (S_ISFIFO(m)) return "is a FIFO";
  if (S_ISCHR(m) || S_ISBLK(m)) return "is a device";
  if (S_ISSOCK(m)) return "is a socket";
  return "is not a regular file";
}

sp_status sp_file_open_read(const char *path, size_t cap, const char *what, FILE **out,
                            size_t *size) {
  *out = NULL;
  /* O_NONBLOCK: opening a FIFO with no writer returns at once instead of
   * waiting for one; the type check below then refuses it. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return sp_fail(SP_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return sp_fail(SP_ERR_IO, "%s: cannot read: %s", path, strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return sp_fail(SP_ERR_IO, "%s: cannot read: %s, not a file", path, kind_of(st.st_mode));
  }
  if (st.st_size < 0 || (unsigned long long)st.st_size > cap) {
    close(fd);
    return sp_fail(SP_ERR_INPUT, "%s: %lld bytes, more than the cap of %zu for %s", path,
                   (long long)st.st_size, cap, what);
  }
  int flags = fcntl(fd, F_GETFL);
  FILE *f = NULL;
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 || !(f = fdopen(fd, "rb"))) {
    int err = errno;
    close(fd);
    return sp_fail(SP_ERR_IO, "%s: cannot read: %s", path, strerror(err));
  }
  *out = f;
  if (size) *size = (size_t)st.st_size;
  return SP_OK;
}

sp_status sp_file_read_all(const char *path, size_t cap, const char *what, char **data,
                           size_t *len) {
  *data = NULL;
  *len = 0;
  FILE *f;
  size_t size;
  sp_status s = sp_file_open_read(path, cap, what, &f, &size);
  if (s) return s;
  /* one byte more than the size: a file that grew since fstat is noticed
   * (and capped), never read without bound */
  char *buf = malloc(size + 2);
  if (!buf) {
    fclose(f);
    return sp_fail(SP_ERR_RUNTIME, "%s: out of memory reading %zu bytes", path, size);
  }
  size_t got = fread(buf, 1, size + 1, f);
  int err = ferror(f);
  fclose(f);
  if (err || got != size) {
    free(buf);
    return sp_fail(SP_ERR_IO, "%s: read error (%s)", path,
                   err ? "I/O error" : "the file changed while it was read");
  }
  buf[got] = 0;
  *data = buf;
  *len = got;
  return SP_OK;
}

sp_status sp_atomic_open(const char *path, sp_atomic_file *af) {
  memset(af, 0, sizeof *af);
  size_t n = strlen(path);
  af->path = strdup(path);
  af->tmp = malloc(n + 12);
  if (!af->path || !af->tmp) {
    free(af->tmp);
    af->tmp = NULL; /* nothing created yet */
    sp_atomic_abort(af);
    return sp_fail(SP_ERR_RUNTIME, "out of memory writing %s", path);
  }
  memcpy(af->tmp, path, n);
  memcpy(af->tmp + n, ".tmp.XXXXXX", 12);
  int fd = mkstemp(af->tmp);
  if (fd < 0) {
    int err = errno;
    free(af->tmp);
    af->tmp = NULL;
    sp_atomic_abort(af);
    return sp_fail(SP_ERR_IO, "%s: cannot write: %s", path, strerror(err));
  }
  /* mkstemp makes 0600; give the file the mode fopen would */
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0 || !(af->f = fdopen(fd, "wb"))) {
    int err = errno;
    close(fd);
    sp_atomic_abort(af);
    return sp_fail(SP_ERR_IO, "%s: cannot write: %s", path, strerror(err));
  }
  return SP_OK;
}

void sp_atomic_abort(sp_atomic_file *af) {
  if (af->f) fclose(af->f);
  if (af->tmp) unlink(af->tmp);
  free(af->tmp);
  free(af->path);
  memset(af, 0, sizeof *af);
}

/* fsync of the folder holding path: makes the rename itself durable. */
static void sync_folder(const char *path) {
  char *dir = strdup(path);
  if (!dir) return;
  char *slash = strrchr(dir, '/');
  if (slash) *(slash == dir ? slash + 1 : slash) = 0;
  int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

sp_status sp_atomic_commit(sp_atomic_file *af) {
  if (!af->f) {
    sp_atomic_abort(af);
    return sp_fail(SP_ERR_IO, "cannot write: no file open");
  }
  errno = 0;
  int ok = !ferror(af->f) && fflush(af->f) == 0 && fsync(fileno(af->f)) == 0;
  int err = errno ? errno : EIO;
  if (fclose(af->f) != 0 && ok) ok = 0, err = errno;
  af->f = NULL;
  if (ok && rename(af->tmp, af->path) != 0) ok = 0, err = errno;
  if (!ok) {
    sp_status s = sp_fail(SP_ERR_IO, "%s: cannot write: %s", af->path, strerror(err));
    sp_atomic_abort(af);
    return s;
  }
  sync_folder(af->path);
  free(af->tmp);
  af->tmp = NULL; /* renamed: nothing to remove */
  sp_atomic_abort(af);
  return SP_OK;
}

sp_status sp_file_write_atomic(const char *path, const void *data, size_t len) {
  sp_atomic_file af;
  sp_status s = sp_atomic_open(path, &af);
  if (s) return s;
  if (len && fwrite(data, 1, len, af.f) != len) {
    s = sp_fail(SP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    sp_atomic_abort(&af);
    return s;
  }
  return sp_atomic_commit(&af);
}

sp_status sp_make_dirs(const char *path) {
  char buf[4096];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf) return sp_fail(SP_ERR_IO, "%s: cannot create: path empty or too long", path);
  memcpy(buf, path, n + 1);
  /* each prefix that ends before a '/', then the whole path */
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    const char keep = buf[i];
    buf[i] = '\0';
    struct stat st;
    if (mkdir(buf, 0755) && (errno != EEXIST || stat(buf, &st) || !S_ISDIR(st.st_mode))) {
      const int err = errno == EEXIST ? ENOTDIR : errno;
      return sp_fail(SP_ERR_IO, "%s: cannot create folder %s: %s", path, buf, strerror(err));
    }
    buf[i] = keep;
  }
  return SP_OK;
}
