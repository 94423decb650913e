/* Reading a data file whole, gzip or not. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data/read_file.h"
#include "io/atomic_file.h"
#include "tensorgrad/tensor.h"

/* The whole file into a malloc'd buffer; zlib reads plain files as they are
 * and inflates gzip ones. A FIFO or device is refused before any read can
 * block, and a gzip stream cut short is an error, not fewer rows. */
int tg_read_whole_file(const char *path, char **text, size_t *len) {
  return tg_read_whole_file_limited(path, TG_DATA_FILE_LIMIT, text, len);
}

int tg_read_whole_file_limited(const char *path, size_t limit, char **text, size_t *len) {
  enum { CHUNK = 1 << 16 };
  int fd = tg_open_regular(path);
  if (fd < 0) return -1;
  gzFile f = gzdopen(fd, "rb");
  if (!f) {
    close(fd);
    tg_set_last_error("%s: cannot open: out of memory", path);
    return -1;
  }
  size_t cap = 0, n = 0;
  char *buf = NULL;
  for (;;) {
    if (n > limit) {
      tg_set_last_error(
          "%s: more than %zu bytes of content (%zu read from the first %lld "
          "bytes of the file): too large to load, or a gzip bomb",
          path, limit, n, (long long)gzoffset(f));
      break;
    }
    if (cap - n < CHUNK) { /* double, but never past what the limit can need */
      size_t grown = cap ? 2 * cap : 2 * CHUNK;
      if (grown > limit + CHUNK) grown = limit + CHUNK;
      char *bigger = realloc(buf, grown);
      if (!bigger) {
        tg_set_last_error("%s: out of memory after %zu bytes", path, n);
        break;
      }
      buf = bigger;
      cap = grown;
    }
    int got = gzread(f, buf + n, CHUNK);
    if (got < 0) {
      int code;
      tg_set_last_error("%s: read error after %zu bytes: %s", path, n, gzerror(f, &code));
      break;
    }
    int code = Z_OK;
    if (got == 0) gzerror(f, &code);
    if (got == 0 && code != Z_OK) {
      tg_set_last_error("%s: the gzip stream ends early after %zu bytes (truncated "
                        "file?): %s",
                        path, n, gzerror(f, &code));
      break;
    }
    if (got == 0) {
      gzclose(f);
      *text = buf;
      *len = n;
      return 0;
    }
    n += (size_t)got;
  }
  gzclose(f);
  free(buf);
  return -1;
}
