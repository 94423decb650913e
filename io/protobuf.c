/* io/protobuf.c - protobuf wire-format writer (see protobuf.h). */
#include "protobuf.h"

#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

void tg_pb_free(tg_pb *b) {
  free(b->data);
  *b = (tg_pb)TG_PB_INIT;
}

static bool reserve(tg_pb *b, size_t extra) {
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

void tg_pb_append(tg_pb *b, const void *bytes, size_t n) {
  if (n == 0 || !reserve(b, n)) return;
  memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

static void append_le(tg_pb *b, uint64_t v, int nbytes) {
  uint8_t out[8];
  for (int i = 0; i < nbytes; i++) out[i] = (uint8_t)(v >> (8 * i));
  tg_pb_append(b, out, (size_t)nbytes);
}

void tg_pb_append_u32le(tg_pb *b, uint32_t v) {
  append_le(b, v, 4);
}
void tg_pb_append_u64le(tg_pb *b, uint64_t v) {
  append_le(b, v, 8);
}

static void append_varint(tg_pb *b, uint64_t v) {
  uint8_t out[10];
  int n = 0;
  do {
    out[n] = (uint8_t)(v & 0x7F);
    v >>= 7;
    if (v) out[n] |= 0x80;
    n++;
  } while (v);
  tg_pb_append(b, out, (size_t)n);
}

static void append_key(tg_pb *b, int field, int wire_type) {
  append_varint(b, ((uint64_t)field << 3) | (uint64_t)wire_type);
}

static uint64_t double_bits(double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  return bits;
}

static uint32_t float_bits(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return bits;
}

void tg_pb_put_varint(tg_pb *b, int field, uint64_t v) {
  append_key(b, field, WIRE_VARINT);
  append_varint(b, v);
}

void tg_pb_put_double(tg_pb *b, int field, double v) {
  append_key(b, field, WIRE_FIXED64);
  append_le(b, double_bits(v), 8);
}

void tg_pb_put_float(tg_pb *b, int field, float v) {
  append_key(b, field, WIRE_FIXED32);
  append_le(b, float_bits(v), 4);
}

void tg_pb_put_bytes(tg_pb *b, int field, const void *bytes, size_t n) {
  append_key(b, field, WIRE_LEN);
  append_varint(b, n);
  tg_pb_append(b, bytes, n);
}

void tg_pb_put_string(tg_pb *b, int field, const char *s) {
  tg_pb_put_bytes(b, field, s, strlen(s));
}

void tg_pb_put_message(tg_pb *b, int field, const tg_pb *sub) {
  if (sub->failed) b->failed = true;
  tg_pb_put_bytes(b, field, sub->data, sub->len);
}

/* The key and byte length of a packed field of n values `width` bytes each;
 * false when there is nothing to write (n == 0, or a length that overflows,
 * which marks b failed). */
static bool begin_packed(tg_pb *b, int field, size_t n, size_t width) {
  if (n == 0) return false;
  if (n > SIZE_MAX / width) {
    b->failed = true;
    return false;
  }
  append_key(b, field, WIRE_LEN);
  append_varint(b, n * width);
  return true;
}

void tg_pb_put_packed_double(tg_pb *b, int field, const double *v, size_t n) {
  if (!begin_packed(b, field, n, 8)) return;
  for (size_t i = 0; i < n; i++) append_le(b, double_bits(v[i]), 8);
}

void tg_pb_put_packed_float(tg_pb *b, int field, const float *v, size_t n) {
  if (!begin_packed(b, field, n, 4)) return;
  for (size_t i = 0; i < n; i++) append_le(b, float_bits(v[i]), 4);
}
