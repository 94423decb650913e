/* io/protobuf.h - just enough of the protobuf wire format to write
 * TensorBoard's messages. Private to io/.
 *
 * A message is built in a tg_pb buffer, field by field in field-number order
 * (the order Python's protobuf serializes in, so the bytes match PyTorch's).
 * A sub-message is built in its own buffer first and then appended with its
 * length: sizes are thereby computed bottom-up.
 *
 * Every put writes the field unconditionally. proto3 leaves scalar fields at
 * their default (0, "") out of the encoding unless they belong to a oneof or
 * a repeated field, so callers that want byte-identical output skip those.
 *
 * Out of memory is sticky: the first failed growth sets `failed` and every
 * later put does nothing, so a caller checks once at the end. */
#ifndef TG_IO_PROTOBUF_H
#define TG_IO_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tg_pb {
  uint8_t *data;
  size_t len, cap;
  bool failed;
} tg_pb;

#define TG_PB_INIT                                                                       \
  { NULL, 0, 0, false }

void tg_pb_free(tg_pb *b);

/* Raw bytes and little-endian fixed-width integers, for framing. */
void tg_pb_append(tg_pb *b, const void *bytes, size_t n);
void tg_pb_append_u32le(tg_pb *b, uint32_t v);
void tg_pb_append_u64le(tg_pb *b, uint64_t v);

/* Fields. Signed int32/int64 values go through tg_pb_put_varint as their
 * two's complement uint64, as protobuf's int32/int64 (not sint) types do. */
void tg_pb_put_varint(tg_pb *b, int field, uint64_t v);
void tg_pb_put_double(tg_pb *b, int field, double v);
void tg_pb_put_float(tg_pb *b, int field, float v);
void tg_pb_put_bytes(tg_pb *b, int field, const void *bytes, size_t n);
void tg_pb_put_string(tg_pb *b, int field, const char *s);
void tg_pb_put_message(tg_pb *b, int field, const tg_pb *sub);
/* Packed repeated fields; an empty array writes nothing, as in proto3. */
void tg_pb_put_packed_double(tg_pb *b, int field, const double *v, size_t n);
void tg_pb_put_packed_float(tg_pb *b, int field, const float *v, size_t n);

#endif
