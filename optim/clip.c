/* Gradient clipping: torch.nn.utils.clip_grad_norm_ / clip_grad_value_ of
 * PyTorch 1.13, on the grads of a parameter list. */
#include <math.h>

#include "optim/internal.h"

/* PyTorch computes each grad's norm, and the norm of those norms, in the
 * grads' dtype: round the same way. */
static double round_to(tg_dtype dtype, double v) {
  return dtype == TG_FLOAT32 ? (double)(float)v : v;
}

/* sum |x|^p over the tensor (p finite), or max |x| (p infinite) */
static double grad_norm(const tg_tensor *g, double p) {
  int64_t n = tg_numel(g);
  double acc = 0;
  for (int64_t i = 0; i < n; i++) {
    double a = fabs(tg_get_flat(g, i));
    if (isinf(p))
      acc = (isnan(a) || a > acc) ? a : acc;
    else
      acc += pow(a, p);
  }
  return round_to(g->dtype, isinf(p) ? acc : pow(acc, 1.0 / p));
}

static tg_dtype first_grad_dtype(tg_params params) {
  for (int i = 0; i < params.n; i++)
    if (params.items[i]->grad) return params.items[i]->grad->dtype;
  return TG_FLOAT32;
}

static void check_params(const char *fn, tg_params params) {
  if (params.n < 0) tg_error("%s: params.n is %d", fn, params.n);
  if (params.n > 0 && !params.items)
    tg_error("%s: params.items is NULL with n = %d", fn, params.n);
  for (int i = 0; i < params.n; i++) {
    const tg_tensor *p = params.items[i];
    if (!p) tg_error("%s: parameter %d is NULL", fn, i);
    if (p->grad && !tg_is_floating(p->grad->dtype))
      tg_error("%s: the grad of parameter %d is %s", fn, i,
               tg_dtype_name(p->grad->dtype));
  }
}

double tg_clip_grad_norm_(tg_params params, double max_norm, double norm_type,
                          bool error_if_nonfinite) {
  const char *fn = "tg_clip_grad_norm_";
  check_params(fn, params);
  if (!(norm_type > 0))
    tg_error("%s: norm_type must be > 0 or INFINITY, got %g", fn, norm_type);
  tg_dtype dtype = first_grad_dtype(params);
  double total = 0;
  bool any = false;
  for (int i = 0; i < params.n; i++) {
    if (!params.items[i]->grad) continue;
    any = true;
    double norm = grad_norm(params.items[i]->grad, norm_type);
    if (isinf(norm_type))
      total = (isnan(norm) || norm > total) ? norm : total;
    else
      total += pow(norm, norm_type);
  }
  if (!any) return 0.0;
  if (!isinf(norm_type)) total = pow(total, 1.0 / norm_type);
  total = round_to(dtype, total);
  if (error_if_nonfinite && !isfinite(total))
    tg_error("%s: the total norm of order %g for gradients from `parameters` is "
             "non-finite, so it cannot be clipped. To disable this error and scale the "
             "gradients by the non-finite norm anyway, set error_if_nonfinite to false",
             fn, norm_type);
  double coef = round_to(dtype, max_norm / round_to(dtype, total + 1e-6));
  if (coef > 1.0) coef = 1.0;
  /* PyTorch multiplies even by 1, so a NaN total spreads NaN as it does */
  for (int i = 0; i < params.n; i++)
    if (params.items[i]->grad) tg_mul_scalar_(params.items[i]->grad, coef);
  return total;
}

void tg_clip_grad_value_(tg_params params, double clip_value) {
  check_params("tg_clip_grad_value_", params);
  for (int i = 0; i < params.n; i++) {
    tg_tensor *g = params.items[i]->grad;
    if (!g) continue;
    tg_scope_begin();
    tg_copy_(g, tg_clamp(tg_detach(g), -clip_value, clip_value));
    tg_scope_end();
  }
}
