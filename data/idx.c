/* IDX files, the format MNIST and Fashion-MNIST ship in (gzip or not):
 *   bytes 0-1  zero
 *   byte  2    the element type (0x08 ubyte ... 0x0E double)
 *   byte  3    the number of dimensions
 *   then one big-endian uint32 per dimension, then the elements, big-endian.
 * The reader checks all of it against the file's length and names the file
 * and the byte offset of whatever is wrong. */
#include <stdlib.h>
#include <string.h>

#include "data/read_file.h"
#include "tensor/core.h"
#include "tensorgrad/vision.h"

static int element_size(int type) {
  switch (type) {
  case TG_IDX_UBYTE:
  case TG_IDX_BYTE:
    return 1;
  case TG_IDX_SHORT:
    return 2;
  case TG_IDX_INT:
  case TG_IDX_FLOAT:
    return 4;
  case TG_IDX_DOUBLE:
    return 8;
  default:
    return 0;
  }
}

static uint32_t big_endian_u32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Elements wider than a byte arrive big-endian; turn them around in place. */
static void to_host_order(unsigned char *data, int64_t numel, int size) {
  const uint16_t probe = 1;
  if (size == 1 || *(const unsigned char *)&probe == 0) return; /* big-endian host */
  for (int64_t i = 0; i < numel; i++) {
    unsigned char *e = data + i * size;
    for (int a = 0, b = size - 1; a < b; a++, b--) {
      unsigned char t = e[a];
      e[a] = e[b];
      e[b] = t;
    }
  }
}

/* The header: type, dims and the data's size, checked against len. */
static int parse_header(const char *path, const unsigned char *buf, size_t len,
                        tg_idx *out, size_t *data_start) {
  if (len < 4) {
    tg_set_last_error("%s: truncated at byte %zu: an IDX header has 4 bytes", path, len);
    return -1;
  }
  int size = element_size(buf[2]);
  if (buf[0] != 0 || buf[1] != 0 || size == 0) {
    tg_set_last_error("%s: bad magic 0x%02x%02x%02x%02x at byte 0: not an IDX file "
                      "(expected 0x0000, a type code 08 09 0b 0c 0d or 0e, the rank)",
                      path, buf[0], buf[1], buf[2], buf[3]);
    return -1;
  }
  int ndim = buf[3];
  if (ndim > TG_MAX_DIMS) {
    tg_set_last_error("%s: %d dimensions at byte 3; at most %d are supported", path, ndim,
                      TG_MAX_DIMS);
    return -1;
  }
  size_t header = 4 + 4 * (size_t)ndim;
  if (len < header) {
    tg_set_last_error("%s: truncated at byte %zu: the header of %d dimensions has %zu "
                      "bytes",
                      path, len, ndim, header);
    return -1;
  }
  out->type = (tg_idx_type)buf[2];
  out->ndim = ndim;
  for (int d = 0; d < ndim; d++) out->dims[d] = big_endian_u32(buf + 4 + 4 * d);
  /* What a tensor of these dims needs, in its widest dtype (8 bytes): zero
   * dims included, since the strides skip them (0 x 2^32 x 2^32 x 2^32). */
  const char *problem = tg_shape_problem(ndim, out->dims, 8);
  if (problem) {
    tg_set_last_error("%s: the dimensions at bytes 4 to %zu make no tensor: %s", path,
                      header - 1, problem);
    return -1;
  }
  out->numel = 1;
  for (int d = 0; d < ndim; d++) out->numel *= out->dims[d];
  size_t want = (size_t)out->numel * (size_t)size;
  if (len - header != want) {
    tg_set_last_error(
        "%s: size mismatch: the header promises %zu bytes of data from byte "
        "%zu, the file has %zu (%s at byte %zu)",
        path, want, header, len - header,
        len - header < want ? "truncated" : "extra bytes",
        len - header < want ? len : header + want);
    return -1;
  }
  *data_start = header;
  return 0;
}

int tg_idx_read(const char *path, tg_idx *out) {
  memset(out, 0, sizeof *out);
  char *buf;
  size_t len, start;
  if (tg_read_whole_file(path, &buf, &len)) return -1;
  if (parse_header(path, (const unsigned char *)buf, len, out, &start)) {
    free(buf);
    memset(out, 0, sizeof *out);
    return -1;
  }
  out->buffer = buf;
  out->data = buf + start;
  to_host_order(out->data, out->numel, element_size(out->type));
  return 0;
}

void tg_idx_free(tg_idx *idx) {
  if (!idx) return;
  free(idx->buffer);
  memset(idx, 0, sizeof *idx);
}

/* Element i as a double, whatever the type. Wider elements may sit at any
 * byte offset, so they are copied out rather than read through a cast. */
static double element(const tg_idx *idx, int64_t i) {
  const unsigned char *p = (const unsigned char *)idx->data + i * element_size(idx->type);
  switch (idx->type) {
  case TG_IDX_UBYTE:
    return *p;
  case TG_IDX_BYTE:
    return (signed char)*p;
  case TG_IDX_SHORT: {
    int16_t v;
    memcpy(&v, p, 2);
    return v;
  }
  case TG_IDX_INT: {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  case TG_IDX_FLOAT: {
    float v;
    memcpy(&v, p, 4);
    return v;
  }
  default: {
    double v;
    memcpy(&v, p, 8);
    return v;
  }
  }
}

tg_tensor *tg_idx_tensor(const tg_idx *idx, tg_dtype dtype) {
  if (!idx || !idx->data) tg_error("tg_idx_tensor: the IDX data is empty (not read?)");
  bool float_data = idx->type == TG_IDX_FLOAT || idx->type == TG_IDX_DOUBLE;
  if (float_data && !tg_is_floating(dtype))
    tg_error("tg_idx_tensor: floating-point IDX data converts to float32 or float64, not "
             "%s",
             tg_dtype_name(dtype));
  tg_shape shape = {.ndim = idx->ndim};
  for (int d = 0; d < idx->ndim; d++) shape.d[d] = idx->dims[d];
  tg_tensor *t = tg_empty(shape, dtype);
  char *out = tg_ptr(t);
  for (int64_t i = 0; i < idx->numel; i++) {
    double v = element(idx, i);
    switch (dtype) {
    case TG_FLOAT32:
      ((float *)out)[i] = (float)v;
      break;
    case TG_FLOAT64:
      ((double *)out)[i] = v;
      break;
    case TG_INT64:
      ((int64_t *)out)[i] = (int64_t)v;
      break;
    case TG_BOOL:
      ((bool *)out)[i] = v != 0;
      break;
    }
  }
  return t;
}
