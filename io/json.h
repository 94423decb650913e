/* io/json.h - a strict, schema-driven JSON reader and a string escaper for
 * the safetensors header. Private to io/.
 *
 * There is no document tree: the caller walks the grammar it expects with
 * these calls, so nothing is allocated except decoded strings, whose size is
 * bounded by the bytes actually present. The first failure records a message
 * and its byte position; every later call fails at once. */
#ifndef TG_IO_JSON_H
#define TG_IO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

typedef struct tg_json {
  const uint8_t *p;
  size_t n, at;
  bool failed;
  size_t error_at;
  char error[200];
} tg_json;

/* Records the first error (printf-style) at byte `at`; always returns false. */
bool tg_json_fail(tg_json *j, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void tg_json_skip_ws(tg_json *j);
/* Skips whitespace; true (and consumed) if the next byte is c. */
bool tg_json_accept(tg_json *j, char c);
/* Like accept, but a different byte is an error naming `what`. */
bool tg_json_expect(tg_json *j, char c, const char *what);
/* A string: malloc'd, NUL-terminated, escapes decoded; *len excludes the NUL
 * (the string itself may hold NUL from \u0000). NULL on error. */
char *tg_json_string(tg_json *j, size_t *len);
/* A non-negative integer without sign, fraction or exponent. */
bool tg_json_uint(tg_json *j, uint64_t *v);

/* Offset of the first byte that is not valid UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included), or n if all are. */
size_t tg_utf8_invalid_at(const uint8_t *s, size_t n);

/* Appends s as a JSON string literal, escaped as serde_json does. */
void tg_json_put_string(tg_bytes *out, const char *s);

#endif
