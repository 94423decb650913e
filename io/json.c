/* io/json.c - strict JSON pieces (see json.h). */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool tg_json_fail(tg_json *j, size_t at, const char *fmt, ...) {
  if (j->failed) return false;
  j->failed = true;
  j->error_at = at;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(j->error, sizeof j->error, fmt, ap);
  va_end(ap);
  return false;
}

void tg_json_skip_ws(tg_json *j) {
  while (j->at < j->n && strchr(" \t\n\r", j->p[j->at]) && j->p[j->at]) j->at++;
}

bool tg_json_accept(tg_json *j, char c) {
  if (j->failed) return false;
  tg_json_skip_ws(j);
  if (j->at < j->n && j->p[j->at] == (uint8_t)c) {
    j->at++;
    return true;
  }
  return false;
}

bool tg_json_expect(tg_json *j, char c, const char *what) {
  if (tg_json_accept(j, c)) return true;
  if (j->at >= j->n)
    return tg_json_fail(j, j->at, "header ends where %s was expected", what);
  return tg_json_fail(j, j->at, "expected %s", what);
}

static int hex_digit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Reads the 4 hex digits of a \u escape starting at p[at]. */
static bool read_hex4(tg_json *j, size_t at, uint32_t *v) {
  if (j->n - at < 4) return tg_json_fail(j, at, "truncated \\u escape");
  *v = 0;
  for (int i = 0; i < 4; i++) {
    int d = hex_digit(j->p[at + i]);
    if (d < 0) return tg_json_fail(j, at + i, "bad hex digit in \\u escape");
    *v = *v << 4 | (uint32_t)d;
  }
  return true;
}

static size_t put_utf8(char *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes the \u escape at p[at] (after the backslash and 'u'), joining a
 * surrogate pair; advances *at past it. */
static bool read_unicode_escape(tg_json *j, size_t *at, uint32_t *cp) {
  size_t start = *at - 2;
  if (!read_hex4(j, *at, cp)) return false;
  *at += 4;
  if (*cp >= 0xDC00 && *cp <= 0xDFFF)
    return tg_json_fail(j, start, "lone low surrogate in \\u escape");
  if (*cp < 0xD800 || *cp > 0xDBFF) return true;
  uint32_t low;
  if (j->n - *at < 2 || j->p[*at] != '\\' || j->p[*at + 1] != 'u' ||
      !read_hex4(j, *at + 2, &low) || low < 0xDC00 || low > 0xDFFF)
    return tg_json_fail(j, start, "high surrogate not followed by a low one");
  *at += 6;
  *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
  return true;
}

/* Position of the closing quote of the string whose body starts at `at`. */
static bool find_string_end(tg_json *j, size_t at, size_t *end) {
  for (; at < j->n; at++) {
    if (j->p[at] == '"') {
      *end = at;
      return true;
    }
    if (j->p[at] == '\\') at++;
  }
  return tg_json_fail(j, j->n, "unterminated string");
}

static bool decode_escape(tg_json *j, size_t *at, char *out, size_t *len) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  uint8_t c = j->p[*at + 1];
  const char *hit = c ? strchr(from, c) : NULL;
  if (hit) {
    out[(*len)++] = to[hit - from];
    *at += 2;
    return true;
  }
  if (c != 'u') return tg_json_fail(j, *at, "invalid escape \\%c", c);
  *at += 2;
  uint32_t cp;
  if (!read_unicode_escape(j, at, &cp)) return false;
  *len += put_utf8(out + *len, cp);
  return true;
}

char *tg_json_string(tg_json *j, size_t *len) {
  if (!tg_json_expect(j, '"', "a string")) return NULL;
  size_t end = 0;
  if (!find_string_end(j, j->at, &end)) return NULL;
  /* Escapes only shrink: the raw length bounds the decoded one. */
  char *out = malloc(end - j->at + 1);
  if (!out) {
    tg_json_fail(j, j->at, "out of memory");
    return NULL;
  }
  *len = 0;
  size_t at = j->at;
  while (at < end) {
    uint8_t c = j->p[at];
    if (c < 0x20) {
      tg_json_fail(j, at, "raw control character 0x%02x in a string", c);
      free(out);
      return NULL;
    }
    if (c != '\\') {
      out[(*len)++] = (char)c;
      at++;
    } else if (!decode_escape(j, &at, out, len)) {
      free(out);
      return NULL;
    }
  }
  out[*len] = '\0';
  j->at = end + 1;
  return out;
}

bool tg_json_uint(tg_json *j, uint64_t *v) {
  if (j->failed) return false;
  tg_json_skip_ws(j);
  size_t start = j->at;
  if (j->at < j->n && j->p[j->at] == '-')
    return tg_json_fail(j, start,
                        "expected a non-negative integer, got a negative number");
  *v = 0;
  while (j->at < j->n && j->p[j->at] >= '0' && j->p[j->at] <= '9') {
    unsigned d = j->p[j->at] - '0';
    if (*v > (UINT64_MAX - d) / 10) return tg_json_fail(j, start, "integer too large");
    *v = *v * 10 + d;
    j->at++;
  }
  if (j->at == start) return tg_json_fail(j, start, "expected a non-negative integer");
  if (j->p[start] == '0' && j->at - start > 1)
    return tg_json_fail(j, start, "integer with a leading zero");
  if (j->at < j->n && strchr(".eE", j->p[j->at]) && j->p[j->at])
    return tg_json_fail(j, start, "expected an integer, got a fraction or exponent");
  return true;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_sequence(const uint8_t *s, size_t n) {
  uint8_t c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF; /* range allowed for the second byte */
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c == 0xE0)
    len = 3, lo = 0xA0; /* no overlong forms */
  else if (c == 0xED)
    len = 3, hi = 0x9F; /* no UTF-16 surrogates */
  else if (c >= 0xE1 && c <= 0xEF)
    len = 3;
  else if (c == 0xF0)
    len = 4, lo = 0x90; /* no overlong forms */
  else if (c == 0xF4)
    len = 4, hi = 0x8F; /* nothing past U+10FFFF */
  else if (c >= 0xF1 && c <= 0xF3)
    len = 4;
  else
    return 0;
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return len;
}

size_t tg_utf8_invalid_at(const uint8_t *s, size_t n) {
  size_t at = 0;
  while (at < n) {
    size_t len = utf8_sequence(s + at, n - at);
    if (len == 0) return at;
    at += len;
  }
  return n;
}

void tg_json_put_string(tg_bytes *out, const char *s) {
  tg_bytes_append(out, "\"", 1);
  for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
    static const char short_escapes[] = "\"\\\b\f\n\r\t", letters[] = "\"\\bfnrt";
    const char *hit = strchr(short_escapes, *p);
    char esc[8];
    if (hit) {
      esc[0] = '\\';
      esc[1] = letters[hit - short_escapes];
      tg_bytes_append(out, esc, 2);
    } else if (*p < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      tg_bytes_append(out, esc, 6);
    } else {
      tg_bytes_append(out, p, 1);
    }
  }
  tg_bytes_append(out, "\"", 1);
}
