/* The C side of the safetensors interop test (interop_safetensors.py drives
 * it with PyTorch):
 *   interop_safetensors write PATH   writes the reference tensors
 *   interop_safetensors check PATH   reads PATH (written by Python) and checks
 *                                     every tensor against the reference
 * The reference tensors are defined by formulas both sides share: element i
 * (row-major) of every tensor is value(i) below, cast to its dtype. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/safetensors.h"
#include "tensorgrad/tensor.h"

#define MAX_BYTES 256

/* value(i) = (i * 7 % 11) - 5 + 0.25 * (i % 4): exact in every float dtype. */
static double value(int i) {
  return (double)(i * 7 % 11) - 5 + 0.25 * (i % 4);
}

typedef struct {
  const char *name;
  tg_st_dtype dtype;
  int ndim;
  int64_t shape[3];
} spec;

static const spec specs[] = {
    {"linear.weight", TG_ST_F32, 2, {3, 4}},
    {"linear.bias", TG_ST_F32, 1, {3}},
    {"double", TG_ST_F64, 3, {2, 1, 3}},
    {"half", TG_ST_F16, 1, {5}},
    {"brain", TG_ST_BF16, 1, {5}},
    {"steps", TG_ST_I64, 0, {0}},
    {"labels", TG_ST_I64, 1, {6}},
    {"i32", TG_ST_I32, 1, {4}},
    {"i16", TG_ST_I16, 1, {4}},
    {"i8", TG_ST_I8, 1, {4}},
    {"u8", TG_ST_U8, 1, {4}},
    {"mask", TG_ST_BOOL, 1, {5}},
    {"empty", TG_ST_F32, 2, {0, 3}},
};
#define NSPECS (sizeof specs / sizeof specs[0])

static int64_t numel(const spec *s) {
  int64_t n = 1;
  for (int d = 0; d < s->ndim; d++) n *= s->shape[d];
  return n;
}

/* Half and bfloat16 bit patterns of v, exact for the values used here. */
static uint16_t to_half(double v) {
  if (v == 0) return 0;
  uint16_t sign = v < 0 ? 0x8000 : 0;
  v = fabs(v);
  int e;
  double m = frexp(v, &e); /* v = m * 2^e, m in [0.5, 1) */
  return (uint16_t)(sign | (uint16_t)(e + 14) << 10 | (uint16_t)((m * 2 - 1) * 1024));
}

static uint16_t to_bf16(double v) {
  float f = (float)v;
  uint32_t bits;
  memcpy(&bits, &f, 4);
  return (uint16_t)(bits >> 16);
}

/* Element i of tensor s, little-endian, into out; returns its size. */
static size_t encode(const spec *s, int i, uint8_t *out) {
  double v = value(i);
  uint64_t u = 0;
  size_t size = tg_st_dtype_size(s->dtype);
  switch (s->dtype) {
  case TG_ST_F64:
    memcpy(&u, &v, 8);
    break;
  case TG_ST_F32: {
    float f = (float)v;
    uint32_t b;
    memcpy(&b, &f, 4);
    u = b;
    break;
  }
  case TG_ST_F16:
    u = to_half(v);
    break;
  case TG_ST_BF16:
    u = to_bf16(v);
    break;
  case TG_ST_U8:
    u = (uint64_t)(int64_t)(v + 5) & 0xFF;
    break; /* non-negative */
  case TG_ST_BOOL:
    u = v > 0;
    break;
  default:
    u = (uint64_t)(int64_t)floor(v);
    break; /* signed ints: floor */
  }
  for (size_t k = 0; k < size; k++) out[k] = (uint8_t)(u >> (8 * k));
  return size;
}

static void fill(const spec *s, uint8_t *buf) {
  size_t at = 0;
  for (int64_t i = 0; i < numel(s); i++) at += encode(s, (int)i, buf + at);
}

static int write_reference(const char *path) {
  static uint8_t bufs[NSPECS][MAX_BYTES];
  tg_st_tensor t[NSPECS];
  for (size_t k = 0; k < NSPECS; k++) {
    fill(&specs[k], bufs[k]);
    t[k] = (tg_st_tensor){
        specs[k].name, specs[k].dtype,
        specs[k].ndim, specs[k].shape,
        bufs[k],       (size_t)numel(&specs[k]) * tg_st_dtype_size(specs[k].dtype)};
  }
  const tg_st_meta meta = {"format", "pt"};
  return tg_safetensors_write(path, t, NSPECS, &meta, 1);
}

static int check_reference(const char *path) {
  tg_st_file *f;
  if (tg_safetensors_read(path, &f) != 0) return -1;
  int bad = f->ntensors != NSPECS;
  for (size_t k = 0; k < NSPECS && !bad; k++) {
    const spec *s = &specs[k];
    const tg_st_tensor *t = tg_safetensors_find(f, s->name);
    uint8_t expected[MAX_BYTES];
    fill(s, expected);
    size_t n = (size_t)numel(s) * tg_st_dtype_size(s->dtype);
    bad = !t || t->dtype != s->dtype || t->ndim != s->ndim || t->nbytes != n ||
          (n && memcmp(t->data, expected, n) != 0);
    for (int d = 0; !bad && d < s->ndim; d++) bad = t->shape[d] != s->shape[d];
    if (bad) tg_set_last_error("%s: tensor %s differs from the reference", path, s->name);
  }
  const char *format = tg_safetensors_meta_get(f, "format");
  if (!bad && (!format || strcmp(format, "pt") != 0)) {
    tg_set_last_error("%s: no __metadata__ format=pt", path);
    bad = 1;
  }
  tg_safetensors_free(f);
  return bad ? -1 : 0;
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "check") != 0)) {
    fprintf(stderr, "usage: %s write|check PATH\n", argv[0]);
    return 2;
  }
  int status =
      strcmp(argv[1], "write") == 0 ? write_reference(argv[2]) : check_reference(argv[2]);
  if (status != 0) {
    fprintf(stderr, "%s\n", tg_last_error());
    return 1;
  }
  printf("%s %s: ok\n", argv[1], argv[2]);
  return 0;
}
