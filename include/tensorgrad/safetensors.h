/* tensorgrad/safetensors.h - the safetensors file format, at the byte level.
 *
 * A file is: u64 little-endian header length N | N bytes of JSON header,
 * space-padded to a multiple of 8 | the tensors' bytes, back to back. This
 * API moves named raw buffers in and out of such files; checkpoints of
 * tg_tensor state dicts are built on it, and PyTorch's
 * safetensors.torch.load_file reads what it writes.
 *
 * Writes are atomic (temporary file in the same directory, fsync, rename):
 * a crash mid-save leaves the previous file intact. Reads validate the whole
 * file before returning anything. Every function returns 0 on success, or -1
 * with tg_last_error() set to "<path>: <what is wrong> (at byte N)"; bad
 * bytes never crash, and no allocation is sized by an unchecked header. */
#ifndef TENSORGRAD_SAFETENSORS_H
#define TENSORGRAD_SAFETENSORS_H

#include "tensorgrad/export.h"

#include <stddef.h>
#include <stdint.h>

TG_API_BEGIN

typedef enum {
  TG_ST_F64,
  TG_ST_F32,
  TG_ST_F16,
  TG_ST_BF16,
  TG_ST_I64,
  TG_ST_I32,
  TG_ST_I16,
  TG_ST_I8,
  TG_ST_U8,
  TG_ST_BOOL
} tg_st_dtype;

const char *tg_st_dtype_name(tg_st_dtype dtype); /* "F32"...; NULL if invalid */
size_t tg_st_dtype_size(tg_st_dtype dtype);      /* bytes per element; 0 if invalid */

/* One tensor: `nbytes` must equal prod(shape) * element size (rank 0 has one
 * element). Data is little-endian, row-major; in a file just read it is not
 * necessarily aligned for its dtype (copy it out with memcpy). */
typedef struct tg_st_tensor {
  const char *name;
  tg_st_dtype dtype;
  int ndim;
  const int64_t *shape;
  const void *data;
  size_t nbytes;
} tg_st_tensor;

/* One __metadata__ entry: both strings UTF-8. */
typedef struct tg_st_meta {
  const char *key;
  const char *value;
} tg_st_meta;

/* Writes n tensors and nmeta metadata entries (pass {"format", "pt"} for
 * PyTorch's tools) to `path`, laid out as the reference writer does: widest
 * alignment first, then by name; compact JSON; header padded with spaces.
 * Returns -1 when the file system fails it. A tensor or metadata entry that
 * would make a file readers reject (a NULL or repeated or non-UTF-8 name,
 * the name __metadata__, an unknown dtype, a negative dimension, nbytes that
 * do not match the shape, NULL data) is the calling code's mistake and goes
 * to tg_error; nothing is written. */
int tg_safetensors_write(const char *path, const tg_st_tensor *tensors, size_t n,
                         const tg_st_meta *meta, size_t nmeta);

/* A parsed file: tensors in file (offset) order, metadata in header order. */
typedef struct tg_st_file {
  tg_st_tensor *tensors;
  size_t ntensors;
  tg_st_meta *meta;
  size_t nmeta;
  void *owned_bytes; /* the file's contents when read from a path */
} tg_st_file;

/* Reads and validates `path`. *out owns everything, freed by
 * tg_safetensors_free. */
int tg_safetensors_read(const char *path, tg_st_file **out);

/* Validates n bytes in memory. The tensors' data points into `bytes`, which
 * must outlive *out. `origin` names the bytes in error messages. */
int tg_safetensors_parse(const void *bytes, size_t n, const char *origin,
                         tg_st_file **out);

void tg_safetensors_free(tg_st_file *f); /* NULL is fine */

/* The tensor called `name`, or NULL. */
const tg_st_tensor *tg_safetensors_find(const tg_st_file *f, const char *name);
/* The metadata value for `key`, or NULL. */
const char *tg_safetensors_meta_get(const tg_st_file *f, const char *key);

TG_API_END

#endif
