/* io/bytes.h - a growable byte buffer, shared by the safetensors writer,
 * the JSON escaper and the protobuf encoder of tensorboard/.
 *
 * Out of memory is sticky: the first failed growth sets `failed` and every
 * later append does nothing, so a caller checks once at the end. */
#ifndef TG_IO_BYTES_H
#define TG_IO_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tg_bytes {
  uint8_t *data;
  size_t len, cap;
  bool failed;
} tg_bytes;

#define TG_BYTES_INIT                                                                    \
  { NULL, 0, 0, false }

void tg_bytes_free(tg_bytes *b);

/* Raw bytes and little-endian fixed-width integers, for framing. */
void tg_bytes_append(tg_bytes *b, const void *bytes, size_t n);
void tg_bytes_append_u32le(tg_bytes *b, uint32_t v);
void tg_bytes_append_u64le(tg_bytes *b, uint64_t v);

#endif
