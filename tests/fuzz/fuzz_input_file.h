/* The fuzz targets for loaders that take a path: each input is written to
 * one file per process, which the loader then reads. */
#ifndef TG_FUZZ_INPUT_FILE_H
#define TG_FUZZ_INPUT_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *fuzz_input_file(const uint8_t *data, size_t size, const char *suffix) {
  static char path[256];
  snprintf(path, sizeof path, "/tmp/tg_fuzz_%ld%s", (long)getpid(), suffix);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();
  return path;
}

#endif
