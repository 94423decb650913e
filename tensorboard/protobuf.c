/* tensorboard/protobuf.c - protobuf wire-format writer (see protobuf.h). */
#include "protobuf.h"

#include <string.h>

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

static void append_varint(tg_bytes *b, uint64_t v) {
  uint8_t out[10];
  int n = 0;
  do {
    out[n] = (uint8_t)(v & 0x7F);
    v >>= 7;
    if (v) out[n] |= 0x80;
    n++;
  } while (v);
  tg_bytes_append(b, out, (size_t)n);
}

static void append_key(tg_bytes *b, int field, int wire_type) {
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

void tg_pb_put_varint(tg_bytes *b, int field, uint64_t v) {
  append_key(b, field, WIRE_VARINT);
  append_varint(b, v);
}

void tg_pb_put_double(tg_bytes *b, int field, double v) {
  append_key(b, field, WIRE_FIXED64);
  tg_bytes_append_u64le(b, double_bits(v));
}

void tg_pb_put_float(tg_bytes *b, int field, float v) {
  append_key(b, field, WIRE_FIXED32);
  tg_bytes_append_u32le(b, float_bits(v));
}

void tg_pb_put_bytes(tg_bytes *b, int field, const void *bytes, size_t n) {
  append_key(b, field, WIRE_LEN);
  append_varint(b, n);
  tg_bytes_append(b, bytes, n);
}

void tg_pb_put_string(tg_bytes *b, int field, const char *s) {
  tg_pb_put_bytes(b, field, s, strlen(s));
}

void tg_pb_put_message(tg_bytes *b, int field, const tg_bytes *sub) {
  if (sub->failed) b->failed = true;
  tg_pb_put_bytes(b, field, sub->data, sub->len);
}

/* The key and byte length of a packed field of n values `width` bytes each;
 * false when there is nothing to write (n == 0, or a length that overflows,
 * which marks b failed). */
static bool begin_packed(tg_bytes *b, int field, size_t n, size_t width) {
  if (n == 0) return false;
  if (n > SIZE_MAX / width) {
    b->failed = true;
    return false;
  }
  append_key(b, field, WIRE_LEN);
  append_varint(b, n * width);
  return true;
}

void tg_pb_put_packed_double(tg_bytes *b, int field, const double *v, size_t n) {
  if (!begin_packed(b, field, n, 8)) return;
  for (size_t i = 0; i < n; i++) tg_bytes_append_u64le(b, double_bits(v[i]));
}

void tg_pb_put_packed_float(tg_bytes *b, int field, const float *v, size_t n) {
  if (!begin_packed(b, field, n, 4)) return;
  for (size_t i = 0; i < n; i++) tg_bytes_append_u32le(b, float_bits(v[i]));
}
