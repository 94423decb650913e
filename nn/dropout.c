/* Dropout, Dropout2d and Dropout1d as PyTorch 1.13 does them on the CPU: noise =
 * bernoulli_(1 - p), noise /= 1 - p, out = x * noise. bernoulli_ draws one 53-bit uniform
 * double per element (u < 1 - p keeps it), which is exactly what
 * tg_rand(float64) draws (tg_bernoulli_draws), so a seeded mask matches torch's. */
#include <stdio.h>

#include "nn/nn_internal.h"
#include "tensor/core.h"

static void check_dropout(const char *fn, const tg_tensor *x, double p) {
  if (!(p >= 0 && p <= 1))
    tg_error("%s: dropout probability has to be between 0 and 1, but got %g", fn, p);
  if (!tg_is_floating(x->dtype))
    tg_error("%s: expected a floating tensor, got %s", fn, tg_dtype_name(x->dtype));
}

/* ATen's noise: bernoulli_(1 - p) in x's dtype, then noise.div_(1 - p),
 * so a kept element's noise is 1 / (1 - p) computed in that dtype. The
 * draws (one uniform double each, in order) come from the one generator
 * and are serial; the noise is written from them in one pass, without
 * ATen's float64 and bool temporaries. */
static tg_tensor *dropout_noise(tg_shape shape, double p, tg_dtype dtype) {
  tg_tensor *noise = tg_alloc(shape, dtype);
  int64_t n = tg_numel(noise);
  tg_storage *keep = tg_storage_new((size_t)n);
  const uint8_t *k = keep->data;
  tg_bernoulli_draws(keep->data, n, 1 - p);
  if (dtype == TG_FLOAT32) {
    float *out = (float *)tg_ptr(noise), scale = 1.0f / (float)(1 - p);
    for (int64_t i = 0; i < n; i++) out[i] = k[i] ? scale : 0.0f;
  } else {
    double *out = (double *)tg_ptr(noise), scale = 1.0 / (1 - p);
    for (int64_t i = 0; i < n; i++) out[i] = k[i] ? scale : 0.0;
  }
  tg_storage_release(keep);
  return noise;
}

/* ATen's _dropout_impl: x times a noise of noise_shape (x's, or one value
 * per (N, C) plane for feature dropout), broadcast over x. */
static tg_tensor *dropout_with_noise(tg_tensor *x, double p, bool training,
                                     tg_shape noise_shape) {
  tg_scope_begin();
  if (!training || p == 0 || tg_numel(x) == 0) return tg_scope_return(x); /* x itself */
  if (p == 1) return tg_scope_return(tg_mul(x, tg_zeros_like(x)));
  return tg_scope_return(tg_mul(x, dropout_noise(noise_shape, p, x->dtype)));
}

tg_tensor *tg_dropout(tg_tensor *x, double p, bool training) {
  check_dropout("tg_dropout", x, p);
  return dropout_with_noise(x, p, training, tg_shape_of(x));
}

/* (N, C, 1, ..., 1), ATen's make_feature_noise */
static tg_shape feature_noise_shape(const tg_tensor *x) {
  tg_shape s = tg_shape_of(x);
  for (int d = 2; d < s.ndim; d++) s.d[d] = 1;
  return s;
}

tg_tensor *tg_dropout2d(tg_tensor *x, double p, bool training) {
  char s[TG_SHAPE_STR_MAX];
  check_dropout("tg_dropout2d", x, p);
  if (x->ndim < 2)
    tg_error("tg_dropout2d: feature dropout requires at least 2 dimensions in the input, "
             "got shape %s",
             tg_shape_str(tg_shape_of(x), s));
  return dropout_with_noise(x, p, training, feature_noise_shape(x));
}

/* Unbatched (C, L) drops as a batch of one, as F.dropout1d. */
tg_tensor *tg_dropout1d(tg_tensor *x, double p, bool training) {
  char s[TG_SHAPE_STR_MAX];
  check_dropout("tg_dropout1d", x, p);
  if (x->ndim != 2 && x->ndim != 3)
    tg_error("tg_dropout1d: expected 2D or 3D input, but received shape %s",
             tg_shape_str(tg_shape_of(x), s));
  if (x->ndim == 3) return dropout_with_noise(x, p, training, feature_noise_shape(x));
  tg_scope_begin();
  tg_tensor *batch = tg_unsqueeze(x, 0);
  tg_tensor *y = dropout_with_noise(batch, p, training, feature_noise_shape(batch));
  return tg_scope_return(y == batch ? x : tg_squeeze(y, 0));
}

typedef struct dropout {
  tg_module base;
  double p;
} dropout;

static tg_tensor *dropout_forward(tg_module *m, tg_tensor *x) {
  return tg_dropout(x, ((dropout *)m)->p, m->training);
}

static tg_tensor *dropout2d_forward(tg_module *m, tg_tensor *x) {
  return tg_dropout2d(x, ((dropout *)m)->p, m->training);
}

static tg_tensor *dropout1d_forward(tg_module *m, tg_tensor *x) {
  return tg_dropout1d(x, ((dropout *)m)->p, m->training);
}

static void dropout_extra_repr(const tg_module *m, char *buf, size_t size) {
  char p[40];
  tg_nn_float_repr(((const dropout *)m)->p, p, sizeof p);
  snprintf(buf, size, "p=%s, inplace=False", p);
}

static const tg_module_vtable dropout_vtable = {"Dropout", dropout_forward, NULL,
                                                dropout_extra_repr};
static const tg_module_vtable dropout2d_vtable = {"Dropout2d", dropout2d_forward, NULL,
                                                  dropout_extra_repr};
static const tg_module_vtable dropout1d_vtable = {"Dropout1d", dropout1d_forward, NULL,
                                                  dropout_extra_repr};

static tg_module *new_dropout(const char *fn, const tg_module_vtable *vtable, double p) {
  if (!(p >= 0 && p <= 1))
    tg_error("%s: dropout probability has to be between 0 and 1, but got %g", fn, p);
  dropout *d = tg_module_new(vtable, sizeof *d);
  d->p = p;
  return &d->base;
}

tg_module *tg_nn_dropout(double p) {
  return new_dropout("tg_nn_dropout", &dropout_vtable, p);
}

tg_module *tg_nn_dropout2d(double p) {
  return new_dropout("tg_nn_dropout2d", &dropout2d_vtable, p);
}

tg_module *tg_nn_dropout1d(double p) {
  return new_dropout("tg_nn_dropout1d", &dropout1d_vtable, p);
}
