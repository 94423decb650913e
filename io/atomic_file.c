/* io/atomic_file.c - temp file, fsync, rename (see atomic_file.h). */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tensorgrad/tensor.h"

static void release(tg_atomic_file *f) {
  free(f->path);
  free(f->tmp_path);
  f->path = f->tmp_path = NULL;
  f->fp = NULL;
}

/* The permissions the new file gets: the old file's if there is one, so a
 * save does not silently change them; else rw-r--r--. */
static mode_t target_mode(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_mode & 07777 : 0644;
}

int tg_atomic_open(tg_atomic_file *f, const char *path, const char *who) {
  *f = (tg_atomic_file){.who = who};
  size_t n = strlen(path);
  f->path = malloc(n + 1);
  f->tmp_path = malloc(n + sizeof ".tmp.XXXXXX");
  if (!f->path || !f->tmp_path) {
    tg_set_last_error("%s: %s: out of memory", who, path);
    release(f);
    return -1;
  }
  memcpy(f->path, path, n + 1);
  memcpy(f->tmp_path, path, n);
  memcpy(f->tmp_path + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
  int fd = mkstemp(f->tmp_path);
  if (fd < 0) {
    tg_set_last_error("%s: %s: cannot create temporary file: %s", who, path,
                      strerror(errno));
    release(f);
    return -1;
  }
  if (fchmod(fd, target_mode(path)) != 0 || !(f->fp = fdopen(fd, "wb"))) {
    tg_set_last_error("%s: %s: cannot set up temporary file: %s", who, path,
                      strerror(errno));
    close(fd);
    unlink(f->tmp_path);
    release(f);
    return -1;
  }
  return 0;
}

int tg_atomic_write(tg_atomic_file *f, const void *bytes, size_t n) {
  if (f->failed) return -1;
  if (n && fwrite(bytes, 1, n, f->fp) != n) {
    tg_set_last_error("%s: %s: write failed: %s", f->who, f->path, strerror(errno));
    f->failed = true;
    return -1;
  }
  return 0;
}

/* Makes the rename itself durable. Some file systems cannot fsync a
 * directory; the data is already safe then, so that is not an error. */
static void sync_directory(const char *path) {
  char *copy = strdup(path);
  if (!copy) return;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(copy);
}

int tg_atomic_commit(tg_atomic_file *f) {
  const char *step = NULL;
  if (f->failed)
    step = "";
  else if (fflush(f->fp) != 0)
    step = "flush";
  else if (fsync(fileno(f->fp)) != 0)
    step = "fsync";
  int saved = errno;
  if (fclose(f->fp) != 0 && !step) step = "close", saved = errno;
  if (!step && rename(f->tmp_path, f->path) != 0) step = "rename", saved = errno;
  if (step) {
    if (*step)
      tg_set_last_error("%s: %s: %s failed: %s", f->who, f->path, step, strerror(saved));
    unlink(f->tmp_path);
    release(f);
    return -1;
  }
  sync_directory(f->path);
  release(f);
  return 0;
}

void tg_atomic_abort(tg_atomic_file *f) {
  if (!f->fp) return;
  fclose(f->fp);
  unlink(f->tmp_path);
  release(f);
}
