/* nn.LayerNorm and GELU, built from differentiable ops so autograd gives
 * their exact backward (and a second one).
 *
 * LayerNorm normalises over the last dims with the biased variance:
 * y = (x - mean) / sqrt(var + eps) * weight + bias. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"

static void check_floating(const char *fn, const tg_tensor *x) {
  char a[TG_SHAPE_STR_MAX];
  if (!tg_is_floating(x->dtype))
    tg_error("%s: expected a floating tensor, got %s of shape %s", fn,
             tg_dtype_name(x->dtype), tg_shape_str(tg_shape_of(x), a));
}

static void check_normalized_shape(const char *fn, const tg_tensor *x, tg_shape shape) {
  char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
  bool fits = shape.ndim >= 1 && shape.ndim <= x->ndim;
  for (int i = 0; fits && i < shape.ndim; i++)
    fits = x->shape[x->ndim - shape.ndim + i] == shape.d[i];
  if (!fits)
    tg_error("%s: input of shape %s does not end with normalized_shape %s", fn,
             tg_shape_str(tg_shape_of(x), a), tg_shape_str(shape, b));
}

tg_tensor *tg_layer_norm(tg_tensor *x, tg_shape normalized_shape, tg_tensor *weight,
                         tg_tensor *bias, double eps) {
  check_floating("tg_layer_norm", x);
  check_normalized_shape("tg_layer_norm", x, normalized_shape);
  tg_scope_begin();
  tg_shape dims = {normalized_shape.ndim, {0}};
  for (int i = 0; i < dims.ndim; i++) dims.d[i] = x->ndim - normalized_shape.ndim + i;
  tg_tensor *mean = tg_mean(x, dims, true);
  tg_tensor *var = tg_var(x, dims, 0, true);
  tg_tensor *y = tg_mul(tg_sub(x, mean), tg_pow_scalar(tg_add_scalar(var, eps), -0.5));
  if (weight) y = tg_mul(y, weight);
  if (bias) y = tg_add(y, bias);
  return tg_scope_return(y);
}

typedef struct layer_norm {
  tg_module base;
  tg_shape normalized_shape;
  double eps;
  tg_tensor *weight, *bias; /* owned by base; NULL without elementwise_affine */
} layer_norm;

static tg_tensor *layer_norm_forward(tg_module *m, tg_tensor *x) {
  layer_norm *l = (layer_norm *)m;
  return tg_layer_norm(x, l->normalized_shape, l->weight, l->bias, l->eps);
}

static void layer_norm_extra_repr(const tg_module *m, char *buf, size_t size) {
  const layer_norm *l = (const layer_norm *)m;
  char dims[TG_SHAPE_STR_MAX] = "", eps[40];
  for (int i = 0; i < l->normalized_shape.ndim; i++)
    snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%lld,%s",
             (long long)l->normalized_shape.d[i],
             i + 1 < l->normalized_shape.ndim ? " " : "");
  if (l->normalized_shape.ndim > 1)
    dims[strlen(dims) - 1] = '\0'; /* (4, 5) has no comma */
  tg_nn_float_repr(l->eps, eps, sizeof eps);
  snprintf(buf, size, "(%s), eps=%s, elementwise_affine=%s", dims, eps,
           l->weight ? "True" : "False");
}

static const tg_module_vtable layer_norm_vtable = {"LayerNorm", layer_norm_forward, NULL,
                                                   layer_norm_extra_repr};

tg_module *tg_nn_layer_norm(tg_shape normalized_shape, double eps,
                            bool elementwise_affine) {
  char s[TG_SHAPE_STR_MAX];
  bool valid = normalized_shape.ndim >= 1;
  for (int i = 0; i < normalized_shape.ndim; i++)
    valid = valid && normalized_shape.d[i] > 0;
  if (!valid)
    tg_error("tg_nn_layer_norm: normalized_shape %s must have at least one dim, all "
             "positive",
             tg_shape_str(normalized_shape, s));
  layer_norm *l = tg_module_new(&layer_norm_vtable, sizeof *l);
  l->normalized_shape = normalized_shape;
  l->eps = eps;
  tg_nn_affine_params(&l->base, normalized_shape, elementwise_affine, &l->weight,
                      &l->bias);
  return &l->base;
}

/* ---- GELU ----
 * exact: x * 0.5 * (1 + erf(x / sqrt(2)))
 * tanh:  0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))
 * in the order PyTorch's CPU kernel multiplies. */

tg_tensor *tg_gelu(tg_tensor *x, bool tanh_approximation) {
  check_floating("tg_gelu", x);
  tg_scope_begin();
  tg_tensor *y;
  if (tanh_approximation) {
    const double beta = M_SQRT2 * M_2_SQRTPI * 0.5, kappa = 0.044715;
    tg_tensor *cube = tg_mul(tg_mul(x, x), x);
    tg_tensor *inner = tg_mul_scalar(tg_add(x, tg_mul_scalar(cube, kappa)), beta);
    y = tg_mul(tg_mul_scalar(x, 0.5), tg_add_scalar(tg_tanh(inner), 1));
  } else {
    tg_tensor *cdf = tg_add_scalar(tg_erf(tg_mul_scalar(x, M_SQRT1_2)), 1);
    y = tg_mul(tg_mul_scalar(x, 0.5), cdf);
  }
  return tg_scope_return(y);
}

typedef struct gelu {
  tg_module base;
  bool tanh_approximation;
} gelu;

static tg_tensor *gelu_forward(tg_module *m, tg_tensor *x) {
  return tg_gelu(x, ((gelu *)m)->tanh_approximation);
}

static void gelu_extra_repr(const tg_module *m, char *buf, size_t size) {
  snprintf(buf, size, "approximate='%s'",
           ((const gelu *)m)->tanh_approximation ? "tanh" : "none");
}

static const tg_module_vtable gelu_vtable = {"GELU", gelu_forward, NULL, gelu_extra_repr};

tg_module *tg_nn_gelu(bool tanh_approximation) {
  gelu *g = tg_module_new(&gelu_vtable, sizeof *g);
  g->tanh_approximation = tanh_approximation;
  return &g->base;
}
