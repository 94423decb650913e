/* Named tensors, state dicts and training checkpoints as safetensors files.
 * The byte format lives in io/safetensors*.c; this file converts between
 * tg_tensor and the format's raw buffers and lays out checkpoints (see
 * include/tensorgrad/checkpoint.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"
#include "tensorgrad/checkpoint.h"
#include "tensorgrad/safetensors.h"

#define MODEL_PREFIX "model."
#define OPTIMIZER_PREFIX "optimizer."
#define EXTRA_PREFIX "extra."
#define RNG_STATE_KEY "rng_state" /* the global generator, tg_get_rng_state */

static tg_st_dtype st_dtype(tg_dtype dtype) {
  switch (dtype) {
  case TG_FLOAT32:
    return TG_ST_F32;
  case TG_FLOAT64:
    return TG_ST_F64;
  case TG_INT64:
    return TG_ST_I64;
  case TG_BOOL:
    return TG_ST_BOOL;
  }
  return TG_ST_F32;
}

/* ---- writing ---- */

/* Writes `d` with `meta`; every tensor as contiguous bytes (the tensors in
 * memory are little-endian on every machine tensorgrad builds for). */
static int write_dict(const char *path, const tg_tensor_dict *d, const tg_st_meta *meta,
                      size_t nmeta) {
  if (!d)
    tg_error("tg_save_tensors: %s: the tensor dict is NULL", path ? path : "(NULL)");
  tg_st_tensor *entries = calloc((size_t)d->n + 1, sizeof *entries);
  if (!entries) {
    tg_set_last_error("%s: out of memory", path);
    return -1;
  }
  tg_error_push_cleanup(free, entries); /* a name the writer rejects */
  tg_scope_begin();
  for (int i = 0; i < d->n; i++) {
    tg_tensor *t = tg_contiguous(tg_detach(d->items[i].tensor));
    entries[i] =
        (tg_st_tensor){d->items[i].name, st_dtype(t->dtype),
                       t->ndim,          t->shape,
                       tg_ptr(t),        (size_t)tg_numel(t) * tg_dtype_size(t->dtype)};
  }
  int status = tg_safetensors_write(path, entries, (size_t)d->n, meta, nmeta);
  tg_scope_end();
  tg_error_pop_cleanup();
  free(entries);
  return status;
}

int tg_save_tensors(const char *path, const tg_tensor_dict *tensors) {
  const tg_st_meta meta[] = {{"format", "pt"}};
  return write_dict(path, tensors, meta, 1);
}

int tg_save_state_dict(const char *path, const tg_module *model) {
  tg_tensor_dict *state = tg_state_dict(model);
  int status = tg_save_tensors(path, state);
  tg_tensor_dict_free(state);
  return status;
}

/* Appends every entry of `from` to `to` under prefix + name. */
static void add_prefixed(tg_tensor_dict *to, const char *prefix,
                         const tg_tensor_dict *from) {
  for (int i = 0; from && i < from->n; i++) {
    size_t len = strlen(prefix) + strlen(from->items[i].name) + 1;
    char *name = malloc(len);
    if (!name) tg_error("tg_checkpoint_save: out of memory");
    snprintf(name, len, "%s%s", prefix, from->items[i].name);
    tg_tensor_dict_add(to, name, from->items[i].tensor);
    free(name);
  }
}

static void free_dict(void *d) {
  tg_tensor_dict_free(d);
}

int tg_checkpoint_save(const char *path, const tg_module *model, const tg_optimizer *opt,
                       int64_t epoch, const tg_tensor_dict *extra) {
  tg_tensor_dict *all = tg_tensor_dict_new();
  tg_tensor_dict *model_state = tg_state_dict(model);
  tg_tensor_dict *opt_state = opt ? tg_optimizer_state_dict(opt) : NULL;
  tg_error_push_cleanup(free_dict, all); /* a name in extra the writer rejects */
  tg_error_push_cleanup(free_dict, model_state);
  tg_error_push_cleanup(free_dict, opt_state);
  add_prefixed(all, MODEL_PREFIX, model_state);
  add_prefixed(all, OPTIMIZER_PREFIX, opt_state);
  add_prefixed(all, EXTRA_PREFIX, extra);
  tg_scope_begin();
  tg_tensor_dict_add(all, RNG_STATE_KEY, tg_get_rng_state());
  tg_scope_end();
  char epoch_text[32];
  snprintf(epoch_text, sizeof epoch_text, "%" PRId64, epoch);
  const tg_st_meta meta[] = {{"format", "pt"}, {"epoch", epoch_text}};
  int status = write_dict(path, all, meta, 2);
  for (int i = 0; i < 3; i++) tg_error_pop_cleanup();
  tg_tensor_dict_free(model_state);
  tg_tensor_dict_free(opt_state);
  tg_tensor_dict_free(all);
  return status;
}

/* ---- reading ---- */

static uint16_t load_u16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

/* IEEE half to float: sign, 5-bit exponent, 10-bit mantissa. */
static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff,
           bits;
  if (exp == 0 && mant == 0) {
    bits = sign;
  } else if (exp == 0) { /* subnormal: normalise */
    int shift = 0;
    while (!(mant & 0x400)) {
      mant <<= 1;
      shift++;
    }
    bits = sign | (uint32_t)(127 - 15 - shift + 1) << 23 | (mant & 0x3ff) << 13;
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* One element of a file tensor as double (data may be unaligned). */
static double element(const tg_st_tensor *st, int64_t i) {
  const uint8_t *p = (const uint8_t *)st->data + (size_t)i * tg_st_dtype_size(st->dtype);
  switch (st->dtype) {
  case TG_ST_F16:
    return half_to_float(load_u16(p));
  case TG_ST_BF16: {
    uint32_t bits = (uint32_t)load_u16(p) << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
  }
  case TG_ST_I32: {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  case TG_ST_I16: {
    int16_t v;
    memcpy(&v, p, sizeof v);
    return v;
  }
  case TG_ST_I8:
    return (int8_t)p[0];
  case TG_ST_U8:
    return p[0];
  default:
    return 0; /* the four native dtypes are copied directly */
  }
}

/* The dtype a file tensor loads as: F32, F64, I64 and BOOL as they are;
 * half precision widened to float32, narrow integers to int64. */
static tg_dtype tensor_dtype(tg_st_dtype dtype) {
  switch (dtype) {
  case TG_ST_F64:
    return TG_FLOAT64;
  case TG_ST_I64:
  case TG_ST_I32:
  case TG_ST_I16:
  case TG_ST_I8:
  case TG_ST_U8:
    return TG_INT64;
  case TG_ST_BOOL:
    return TG_BOOL;
  default:
    return TG_FLOAT32;
  }
}

/* A tensor holding a file tensor, converted as tensor_dtype says. */
static tg_tensor *tensor_from_file(const tg_st_tensor *st) {
  tg_shape shape = tg_shape_make(st->ndim, st->shape);
  switch (st->dtype) {
  case TG_ST_F32:
    return tg_from_data(st->data, shape, TG_FLOAT32);
  case TG_ST_F64:
    return tg_from_data(st->data, shape, TG_FLOAT64);
  case TG_ST_I64:
    return tg_from_data(st->data, shape, TG_INT64);
  case TG_ST_BOOL: {
    tg_tensor *t = tg_zeros(shape, TG_BOOL);
    const uint8_t *bytes = st->data;
    for (int64_t i = 0; i < tg_numel(t); i++) tg_data_bool(t)[i] = bytes[i] != 0;
    return t;
  }
  default: {
    bool wide_float = st->dtype == TG_ST_F16 || st->dtype == TG_ST_BF16;
    tg_tensor *t = tg_empty(shape, wide_float ? TG_FLOAT32 : TG_INT64);
    for (int64_t i = 0; i < tg_numel(t); i++)
      tg_store(tg_ptr(t) + i * (int64_t)tg_dtype_size(t->dtype), t->dtype,
               element(st, i));
    return t;
  }
  }
}

/* The format allows any rank and any dims whose bytes fit the file; a
 * tensor must also fit tg_tensor (TG_MAX_DIMS, and strides past zero dims
 * within int64), checked before anything is made from it. */
static int check_fits_tensor(const char *path, const tg_st_tensor *st) {
  tg_dtype dtype = tensor_dtype(st->dtype);
  const char *problem = st->ndim > TG_MAX_DIMS
                            ? NULL
                            : tg_shape_problem(st->ndim, st->shape, tg_dtype_size(dtype));
  if (st->ndim > TG_MAX_DIMS)
    tg_set_last_error("%s: tensor \"%s\" has %d dimensions; tensorgrad tensors have at "
                      "most %d",
                      path, st->name, st->ndim, TG_MAX_DIMS);
  else if (problem)
    tg_set_last_error("%s: tensor \"%s\": %s", path, st->name, problem);
  return st->ndim > TG_MAX_DIMS || problem ? -1 : 0;
}

static int read_file(const char *path, tg_st_file **file, tg_tensor_dict **out) {
  if (tg_safetensors_read(path, file) != 0) return -1;
  for (size_t i = 0; i < (*file)->ntensors; i++)
    if (check_fits_tensor(path, &(*file)->tensors[i]) != 0) return -1;
  tg_tensor_dict *d = tg_tensor_dict_new();
  tg_scope_begin(); /* the dict holds the only references */
  for (size_t i = 0; i < (*file)->ntensors; i++)
    tg_tensor_dict_add(d, (*file)->tensors[i].name,
                       tensor_from_file(&(*file)->tensors[i]));
  tg_scope_end();
  *out = d;
  return 0;
}

int tg_load_tensors(const char *path, tg_tensor_dict **out) {
  tg_st_file *file = NULL;
  int status = read_file(path, &file, out);
  tg_safetensors_free(file);
  return status;
}

/* Prefixes a failed step's message with the file (and section, if any). */
static int in_file(const char *path, const char *section, int status) {
  if (status != 0) {
    char reason[1536];
    snprintf(reason, sizeof reason, "%s", tg_last_error());
    tg_set_last_error("%s: %s%s%s", path, section ? section : "", section ? ": " : "",
                      reason);
  }
  return status;
}

int tg_load_state_dict_file(const char *path, tg_module *model, bool strict) {
  tg_tensor_dict *state;
  if (tg_load_tensors(path, &state) != 0) return -1;
  int status = in_file(path, NULL, tg_load_state_dict(model, state, strict));
  tg_tensor_dict_free(state);
  return status;
}

/* The entries of `all` under `prefix`, with the prefix removed. */
static tg_tensor_dict *section(const tg_tensor_dict *all, const char *prefix) {
  tg_tensor_dict *d = tg_tensor_dict_new();
  size_t len = strlen(prefix);
  for (int i = 0; i < all->n; i++)
    if (strncmp(all->items[i].name, prefix, len) == 0)
      tg_tensor_dict_add(d, all->items[i].name + len, all->items[i].tensor);
  return d;
}

static int parse_epoch(const char *path, const tg_st_file *file, int64_t *epoch) {
  const char *text = tg_safetensors_meta_get(file, "epoch");
  char *end = NULL;
  errno = 0;
  long long v = text ? strtoll(text, &end, 10) : 0;
  if (!text || *text == '\0' || *end != '\0' || errno == ERANGE) {
    tg_set_last_error(
        "%s: not a tensorgrad checkpoint (no integer \"epoch\" in its metadata)", path);
    return -1;
  }
  *epoch = v;
  return 0;
}

/* The saved generator state, if the checkpoint has one (one written before
 * generator states were saved has none and leaves the generator as it is):
 * checked with the rest before anything changes, restored last. */
static int check_rng_state(const char *path, const tg_tensor *state) {
  if (!state) return 0;
  char shape[128], why[256] = "";
  if (state->dtype != TG_INT64)
    snprintf(why, sizeof why, "dtype %s", tg_dtype_name(state->dtype));
  else if (state->ndim != 1 || state->shape[0] != TG_RNG_STATE_SIZE)
    snprintf(why, sizeof why, "shape %s", tg_shape_str(tg_shape_of(state), shape));
  else if (!tg_rng_state_valid(state))
    snprintf(why, sizeof why,
             "values out of range (state words must be in 0..2^32-1, "
             "the position in 0..624, the cached-normal flag 0 or 1)");
  if (!why[0]) return 0;
  tg_set_last_error("%s: \"%s\" is not a generator state: %s; tg_get_rng_state gives "
                    "int64 of shape (%d)",
                    path, RNG_STATE_KEY, why, TG_RNG_STATE_SIZE);
  return -1;
}

int tg_checkpoint_load(const char *path, tg_module *model, tg_optimizer *opt,
                       int64_t *epoch, tg_tensor_dict **extra) {
  tg_st_file *file = NULL;
  tg_tensor_dict *all = NULL;
  int64_t saved_epoch = 0;
  if (read_file(path, &file, &all) != 0 || parse_epoch(path, file, &saved_epoch) != 0) {
    tg_safetensors_free(file);
    tg_tensor_dict_free(all);
    return -1;
  }
  tg_tensor_dict *model_state = section(all, MODEL_PREFIX);
  tg_tensor_dict *opt_state = section(all, OPTIMIZER_PREFIX);
  /* Nothing changes unless everything loads: the optimizer's state is
   * checked before the model's is copied in (which checks before copying). */
  const tg_tensor *rng_state = tg_tensor_dict_get(all, RNG_STATE_KEY);
  int status = check_rng_state(path, rng_state);
  if (status == 0 && opt && opt_state->n == 0) {
    tg_set_last_error("%s: the checkpoint holds no optimizer state", path);
    status = -1;
  }
  if (status == 0 && opt)
    status = in_file(path, "optimizer", tg_optimizer_check_state_dict(opt, opt_state));
  if (status == 0)
    status = in_file(path, "model", tg_load_state_dict(model, model_state, true));
  if (status == 0 && opt)
    status = in_file(path, "optimizer", tg_optimizer_load_state_dict(opt, opt_state));
  if (status == 0 && rng_state) tg_set_rng_state(rng_state);
  if (status == 0 && epoch) *epoch = saved_epoch;
  if (status == 0 && extra) *extra = section(all, EXTRA_PREFIX);
  tg_tensor_dict_free(model_state);
  tg_tensor_dict_free(opt_state);
  tg_tensor_dict_free(all);
  tg_safetensors_free(file);
  return status;
}
