/* io/atomic_file.c - temp file, fsync, rename (see atomic_file.h). */
#include "atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
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

/* ---- stale temporary files ---- */

/* The pid in "<base>.tmp.<pid>.XXXXXX", or 0 if name is not such a name. */
static long stale_pid(const char *name, const char *base) {
  size_t n = strlen(base);
  if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp.", 5) != 0) return 0;
  char *end;
  long pid = strtol(name + n + 5, &end, 10);
  if (pid <= 0 || *end != '.' || strlen(end + 1) != 6) return 0;
  return pid;
}

void tg_atomic_clean_stale(const char *path) {
  char *dir_copy = strdup(path), *base_copy = strdup(path);
  DIR *dir = dir_copy && base_copy ? opendir(dirname(dir_copy)) : NULL;
  if (dir) {
    const char *base = basename(base_copy);
    int dir_fd = dirfd(dir);
    for (struct dirent *e; (e = readdir(dir));) {
      long pid = stale_pid(e->d_name, base);
      struct stat st;
      if (pid == 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM)) continue;
      if (fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISREG(st.st_mode) && st.st_uid == geteuid())
        unlinkat(dir_fd, e->d_name, 0);
    }
    closedir(dir);
  }
  free(dir_copy);
  free(base_copy);
}

int tg_open_regular(const char *path) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    tg_set_last_error("%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  int flags = fcntl(fd, F_GETFL);
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || flags < 0 ||
      fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    tg_set_last_error("%s: not a regular file", path);
    close(fd);
    return -1;
  }
  return fd;
}

/* ---- writing ---- */

int tg_atomic_open(tg_atomic_file *f, const char *path, const char *who) {
  *f = (tg_atomic_file){.who = who};
  tg_atomic_clean_stale(path);
  char suffix[40];
  snprintf(suffix, sizeof suffix, ".tmp.%ld.XXXXXX", (long)getpid());
  size_t n = strlen(path), ns = strlen(suffix);
  f->path = malloc(n + 1);
  f->tmp_path = malloc(n + ns + 1);
  if (!f->path || !f->tmp_path) {
    tg_set_last_error("%s: %s: out of memory", who, path);
    release(f);
    return -1;
  }
  memcpy(f->path, path, n + 1);
  memcpy(f->tmp_path, path, n);
  memcpy(f->tmp_path + n, suffix, ns + 1);
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
