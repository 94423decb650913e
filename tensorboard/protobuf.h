/* tensorboard/protobuf.h - just enough of the protobuf wire format to write
 * TensorBoard's messages. Private to tensorboard/.
 *
 * A message is built in a tg_bytes buffer, field by field in field-number order
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
#ifndef TG_TENSORBOARD_PROTOBUF_H
#define TG_TENSORBOARD_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

#include "io/bytes.h"

/* Fields. Signed int32/int64 values go through tg_pb_put_varint as their
 * two's complement uint64, as protobuf's int32/int64 (not sint) types do. */
void tg_pb_put_varint(tg_bytes *b, int field, uint64_t v);
void tg_pb_put_double(tg_bytes *b, int field, double v);
void tg_pb_put_float(tg_bytes *b, int field, float v);
void tg_pb_put_bytes(tg_bytes *b, int field, const void *bytes, size_t n);
void tg_pb_put_string(tg_bytes *b, int field, const char *s);
void tg_pb_put_message(tg_bytes *b, int field, const tg_bytes *sub);
/* Packed repeated fields; an empty array writes nothing, as in proto3. */
void tg_pb_put_packed_double(tg_bytes *b, int field, const double *v, size_t n);
void tg_pb_put_packed_float(tg_bytes *b, int field, const float *v, size_t n);

#endif
