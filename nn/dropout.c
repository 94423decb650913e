/* Dropout as PyTorch 1.13 does it on the CPU: noise = bernoulli_(1 - p),
 * noise /= 1 - p, out = x * noise. bernoulli_ draws one 53-bit uniform
 * double per element (u < 1 - p keeps it), which is exactly what
 * tg_rand(float64) draws, so a seeded mask matches torch's. */
#include <stdio.h>

#include "nn/nn_internal.h"

tg_tensor *tg_dropout(tg_tensor *x, double p, bool training) {
  if (!(p >= 0 && p <= 1))
    tg_error("tg_dropout: dropout probability has to be between 0 and 1, but got %g", p);
  if (!tg_is_floating(x->dtype))
    tg_error("tg_dropout: expected a floating tensor, got %s", tg_dtype_name(x->dtype));
  tg_scope_begin();
  if (!training || p == 0 || tg_numel(x) == 0) return tg_scope_return(x); /* x itself */
  if (p == 1) return tg_scope_return(tg_mul(x, tg_zeros_like(x)));
  tg_tensor *keep = tg_lt_scalar(tg_rand(tg_shape_of(x), TG_FLOAT64), 1 - p);
  /* the scale is computed in x's dtype, as noise.div_(1 - p) does */
  tg_tensor *noise = tg_div(tg_to(keep, x->dtype), tg_scalar(1 - p, x->dtype));
  return tg_scope_return(tg_mul(x, noise));
}

typedef struct dropout {
  tg_module base;
  double p;
} dropout;

static tg_tensor *dropout_forward(tg_module *m, tg_tensor *x) {
  return tg_dropout(x, ((dropout *)m)->p, m->training);
}

static void dropout_extra_repr(const tg_module *m, char *buf, size_t size) {
  char p[40];
  tg_nn_float_repr(((const dropout *)m)->p, p, sizeof p);
  snprintf(buf, size, "p=%s, inplace=False", p);
}

static const tg_module_vtable dropout_vtable = {"Dropout", dropout_forward, NULL,
                                                dropout_extra_repr};

tg_module *tg_nn_dropout(double p) {
  if (!(p >= 0 && p <= 1))
    tg_error("tg_nn_dropout: dropout probability has to be between 0 and 1, but got %g",
             p);
  dropout *d = tg_module_new(&dropout_vtable, sizeof *d);
  d->p = p;
  return &d->base;
}
