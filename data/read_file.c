/* Reading a data file whole, gzip or not. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data/read_file.h"
#include "tensorgrad/tensor.h"

/* The whole file into a malloc'd buffer; zlib reads plain files as they are
 * and inflates gzip ones. */
int tg_read_whole_file(const char *path, char **text, size_t *len) {
  enum { CHUNK = 1 << 16 };
  errno = 0;
  gzFile f = gzopen(path, "rb");
  if (!f) {
    tg_set_last_error("%s: cannot open: %s", path,
                      errno ? strerror(errno) : "out of memory");
    return -1;
  }
  size_t cap = 0, n = 0;
  char *buf = NULL;
  for (;;) {
    if (cap - n < CHUNK) {
      char *bigger = realloc(buf, cap ? 2 * cap : 2 * CHUNK);
      if (!bigger) {
        tg_set_last_error("%s: out of memory after %zu bytes", path, n);
        break;
      }
      buf = bigger;
      cap = cap ? 2 * cap : 2 * CHUNK;
    }
    int got = gzread(f, buf + n, CHUNK);
    if (got < 0) {
      int code;
      tg_set_last_error("%s: read error after %zu bytes: %s", path, n, gzerror(f, &code));
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
