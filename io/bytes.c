/* io/bytes.c - the growable byte buffer (see bytes.h). */
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

void tg_bytes_free(tg_bytes *b) {
  free(b->data);
  *b = (tg_bytes)TG_BYTES_INIT;
}

static bool reserve(tg_bytes *b, size_t extra) {
  if (b->failed) return false;
  if (extra <= b->cap - b->len) return true;
  if (extra > SIZE_MAX / 2 - b->len) {
    b->failed = true;
    return false;
  }
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->len < extra) cap *= 2;
  uint8_t *grown = realloc(b->data, cap);
  if (!grown) {
    b->failed = true;
    return false;
  }
  b->data = grown;
  b->cap = cap;
  return true;
}

void tg_bytes_append(tg_bytes *b, const void *bytes, size_t n) {
  if (n == 0 || !reserve(b, n)) return;
  memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

static void append_le(tg_bytes *b, uint64_t v, int nbytes) {
  uint8_t out[8];
  for (int i = 0; i < nbytes; i++) out[i] = (uint8_t)(v >> (8 * i));
  tg_bytes_append(b, out, (size_t)nbytes);
}

void tg_bytes_append_u32le(tg_bytes *b, uint32_t v) {
  append_le(b, v, 4);
}
void tg_bytes_append_u64le(tg_bytes *b, uint64_t v) {
  append_le(b, v, 8);
}
