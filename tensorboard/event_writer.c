/* tensorboard/event_writer.c - TensorBoard event files (see event_file.h).
 *
 * Records go through stdio and reach the disk on tg_event_file_flush or
 * close. TensorBoard tails these files while they grow, and its reader skips
 * a final record that is still incomplete, so no temp-file dance is needed. */
#include "event_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "tensorgrad/tensor.h"

enum {
  EVENT_WALL_TIME = 1,
  EVENT_STEP = 2,
  EVENT_FILE_VERSION = 3,
  EVENT_GRAPH_DEF = 4,
  EVENT_SUMMARY = 5
};

struct tg_event_file {
  FILE *fp;
  char *path;
  int failed; /* a write error already reported: later calls fail too */
};

/* Numbers event files in the order this process creates them, as
 * TensorBoard's own writer does, so two files opened in one second differ. */
static atomic_int file_counter;

static double wall_time_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tg_event_encode(tg_bytes *out, double wall_time, int64_t step,
                     const char *file_version, const tg_bytes *summary) {
  tg_pb_put_double(out, EVENT_WALL_TIME, wall_time);
  if (step != 0) tg_pb_put_varint(out, EVENT_STEP, (uint64_t)step);
  if (file_version) tg_pb_put_string(out, EVENT_FILE_VERSION, file_version);
  if (summary) tg_pb_put_message(out, EVENT_SUMMARY, summary);
}

void tg_event_frame(tg_bytes *out, const uint8_t *data, size_t n) {
  uint8_t length[8];
  for (int i = 0; i < 8; i++) length[i] = (uint8_t)((uint64_t)n >> (8 * i));
  tg_bytes_append(out, length, sizeof length);
  tg_bytes_append_u32le(out, tg_crc32c_mask(tg_crc32c(length, sizeof length)));
  tg_bytes_append(out, data, n);
  tg_bytes_append_u32le(out, tg_crc32c_mask(tg_crc32c(data, n)));
}

/* mkdir -p: creates each missing component of `dir`. */
static int make_dirs(const char *dir) {
  size_t n = strlen(dir);
  char *path = malloc(n + 1);
  if (!path) {
    tg_set_last_error("tg_summary_writer: %s: out of memory", dir);
    return -1;
  }
  memcpy(path, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (path[i] != '/' && path[i] != '\0') continue;
    char saved = path[i];
    path[i] = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      tg_set_last_error("tg_summary_writer: cannot create directory %s: %s", path,
                        strerror(errno));
      free(path);
      return -1;
    }
    path[i] = saved;
  }
  struct stat st;
  int is_dir = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
  free(path);
  if (!is_dir) {
    tg_set_last_error("tg_summary_writer: %s exists and is not a directory", dir);
    return -1;
  }
  return 0;
}

static char *event_file_name(const char *dir) {
  char host[HOST_NAME_MAX + 1] = "localhost";
  if (gethostname(host, sizeof host) != 0) strcpy(host, "localhost");
  host[HOST_NAME_MAX] = '\0';
  long long seconds = (long long)time(NULL);
  int counter = atomic_fetch_add(&file_counter, 1);
  const char *fmt = "%s/events.out.tfevents.%010lld.%s.%ld.%d";
  int n = snprintf(NULL, 0, fmt, dir, seconds, host, (long)getpid(), counter);
  char *path = n < 0 ? NULL : malloc((size_t)n + 1);
  if (path)
    snprintf(path, (size_t)n + 1, fmt, dir, seconds, host, (long)getpid(), counter);
  return path;
}

/* Frames an encoded Event and appends it to the file. */
static int write_record(tg_event_file *f, tg_bytes *event) {
  if (f->failed) {
    tg_set_last_error("tg_summary_writer: %s: an earlier write failed", f->path);
    tg_bytes_free(event);
    return -1;
  }
  tg_bytes record = TG_BYTES_INIT;
  tg_event_frame(&record, event->data, event->len);
  int ok = !event->failed && !record.failed;
  if (!ok) tg_set_last_error("tg_summary_writer: %s: out of memory", f->path);
  if (ok && fwrite(record.data, 1, record.len, f->fp) != record.len) {
    tg_set_last_error("tg_summary_writer: %s: write failed: %s", f->path,
                      strerror(errno));
    f->failed = ok = 0;
  }
  tg_bytes_free(event);
  tg_bytes_free(&record);
  return ok ? 0 : -1;
}

static int write_event(tg_event_file *f, int64_t step, const char *file_version,
                       const tg_bytes *summary) {
  tg_bytes event = TG_BYTES_INIT;
  tg_event_encode(&event, wall_time_now(), step, file_version, summary);
  return write_record(f, &event);
}

tg_event_file *tg_event_file_open(const char *dir) {
  if (make_dirs(dir) != 0) return NULL;
  tg_event_file *f = calloc(1, sizeof *f);
  if (f) f->path = event_file_name(dir);
  if (!f || !f->path) {
    tg_set_last_error("tg_summary_writer: %s: out of memory", dir);
    free(f);
    return NULL;
  }
  /* A new file, never an existing one and never through a symlink: the
   * name is predictable, so someone could have planted one there. */
  int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  f->fp = fd < 0 ? NULL : fdopen(fd, "wb");
  if (!f->fp) {
    tg_set_last_error(
        "tg_summary_writer: cannot create %s: %s%s", f->path, strerror(errno),
        errno == EEXIST ? " (it exists already: refusing to overwrite it)" : "");
    if (fd >= 0) close(fd);
    free(f->path);
    free(f);
    return NULL;
  }
  if (write_event(f, 0, "brain.Event:2", NULL) != 0 || tg_event_file_flush(f) != 0) {
    tg_event_file_close(f);
    return NULL;
  }
  return f;
}

const char *tg_event_file_path(const tg_event_file *f) {
  return f->path;
}

int tg_event_file_write(tg_event_file *f, const tg_bytes *summary, int64_t step) {
  return write_event(f, step, NULL, summary);
}

int tg_event_file_write_graph(tg_event_file *f, const tg_bytes *graph_def) {
  tg_bytes event = TG_BYTES_INIT;
  tg_pb_put_double(&event, EVENT_WALL_TIME, wall_time_now());
  tg_pb_put_message(&event, EVENT_GRAPH_DEF, graph_def);
  return write_record(f, &event);
}

int tg_event_file_flush(tg_event_file *f) {
  if (f->failed) {
    tg_set_last_error("tg_summary_writer: %s: an earlier write failed", f->path);
    return -1;
  }
  if (fflush(f->fp) != 0) {
    tg_set_last_error("tg_summary_writer: %s: flush failed: %s", f->path,
                      strerror(errno));
    f->failed = 1;
    return -1;
  }
  return 0;
}

int tg_event_file_close(tg_event_file *f) {
  if (!f) return 0;
  int status = tg_event_file_flush(f);
  if (fclose(f->fp) != 0 && status == 0) {
    tg_set_last_error("tg_summary_writer: %s: close failed: %s", f->path,
                      strerror(errno));
    status = -1;
  }
  free(f->path);
  free(f);
  return status;
}
