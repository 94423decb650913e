/* Numerical gradient checking, like torch.autograd.gradcheck: the Jacobian
 * that backward computes (one backward per output element) against central
 * differences (f(x + eps) - f(x - eps)) / 2 eps, element by element, in
 * float64. gradgradcheck applies the same test to the function
 * (inputs, v) -> v^T J, which exercises the backward of the backward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"

static tg_gradcheck_opts resolve(const tg_gradcheck_opts *opts) {
  tg_gradcheck_opts o = {1e-6, 1e-5, 1e-3, false};
  if (opts) {
    o.create_graph = opts->create_graph;
    if (opts->eps > 0) o.eps = opts->eps;
    if (opts->atol > 0) o.atol = opts->atol;
    if (opts->rtol > 0) o.rtol = opts->rtol;
  }
  return o;
}

static double *checked_alloc(size_t count) {
  double *p = malloc(sizeof(double) * (count + 1));
  if (!p) tg_error("tg_gradcheck: out of memory for %zu values", count);
  return p;
}

/* f's output, flattened to float64 values (no tape). */
static void evaluate(tg_fn f, void *ctx, tg_tensor *const *inputs, double *out,
                     int64_t n_out) {
  tg_state_guard guard; /* f may fail: grad mode and scopes come back */
  tg_guard_push(&guard);
  tg_scope_begin();
  bool mode = tg_set_grad_enabled(false);
  tg_tensor *y = f(inputs, ctx);
  if (tg_numel(y) != n_out) tg_error("tg_gradcheck: the function's output changed size");
  tg_copy_to_f64(y, out);
  tg_set_grad_enabled(mode);
  tg_scope_end();
  tg_guard_pop();
}

/* Moves one input element: a leaf that requires grad, written under
 * no_grad as PyTorch's gradcheck does. */
static void perturb(tg_tensor *x, const int64_t *idx, double v) {
  bool mode = tg_set_grad_enabled(false);
  tg_set(x, idx, v);
  tg_set_grad_enabled(mode);
}

typedef struct worst {
  double excess; /* how far past the tolerance; <= 0 passes */
  int input;
  int64_t in_index, out_index;
  double analytical, numerical;
} worst;

static void consider(worst *w, const tg_gradcheck_opts *o, int input, int64_t in_index,
                     int64_t out_index, double analytical, double numerical) {
  double excess = fabs(analytical - numerical) - (o->atol + o->rtol * fabs(numerical));
  if (isnan(analytical) != isnan(numerical)) excess = INFINITY;
  if (excess > w->excess)
    *w = (worst){excess, input, in_index, out_index, analytical, numerical};
}

/* Row j of the analytical Jacobian: gradients for a one-hot output grad. */
static void analytical_row(tg_tensor *y, int64_t j, int n_req, tg_tensor **req,
                           double **rows, bool create_graph) {
  tg_scope_begin();
  tg_tensor *onehot = tg_zeros_like(y);
  tg_store(tg_ptr(onehot) + j * (int64_t)sizeof(double), TG_FLOAT64, 1.0);
  tg_tensor **grads = calloc((size_t)n_req, sizeof *grads);
  if (!grads) tg_error("tg_gradcheck: out of memory");
  tg_autograd_grad(y, onehot, n_req, req, grads,
                   create_graph ? TG_CREATE_GRAPH : TG_RETAIN_GRAPH);
  for (int i = 0; i < n_req; i++) tg_copy_to_f64(grads[i], rows[i]);
  free(grads);
  tg_scope_end();
}

static void check_inputs(int n, tg_tensor *const *inputs) {
  for (int i = 0; i < n; i++)
    if (inputs[i]->requires_grad && inputs[i]->dtype != TG_FLOAT64)
      tg_error(
          "tg_gradcheck: input %d is %s; gradcheck needs float64 inputs that require "
          "grad",
          i, tg_dtype_name(inputs[i]->dtype));
}

bool tg_gradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                  const tg_gradcheck_opts *opts, char *report, size_t report_size) {
  tg_gradcheck_opts o = resolve(opts);
  check_inputs(n_inputs, inputs);
  tg_scope_begin();
  tg_tensor *y = f(inputs, ctx);
  tg_check_floating("tg_gradcheck", y);
  int64_t n_out = tg_numel(y);
  int n_req = 0;
  tg_tensor *req[16];
  int req_index[16];
  for (int i = 0; i < n_inputs && n_req < 16; i++)
    if (inputs[i]->requires_grad) {
      req_index[n_req] = i;
      req[n_req++] = inputs[i];
    }
  /* analytical[i][j * numel_i + k] = d y[j] / d x_i[k] */
  double *analytical[16], *rows[16];
  double *plus = checked_alloc((size_t)n_out), *minus = checked_alloc((size_t)n_out);
  for (int i = 0; i < n_req; i++)
    analytical[i] = checked_alloc((size_t)(n_out * tg_numel(req[i])));
  worst w = {0, -1, 0, 0, 0, 0};
  if (y->requires_grad)
    for (int64_t j = 0; j < n_out; j++) {
      for (int i = 0; i < n_req; i++) rows[i] = analytical[i] + j * tg_numel(req[i]);
      analytical_row(y, j, n_req, req, rows, o.create_graph);
    }
  else
    for (int i = 0; i < n_req; i++)
      memset(analytical[i], 0, sizeof(double) * (size_t)(n_out * tg_numel(req[i])));
  for (int i = 0; i < n_req; i++) {
    tg_tensor *x = req[i];
    for (int64_t k = 0; k < tg_numel(x); k++) {
      int64_t idx[TG_MAX_DIMS], rest = k;
      for (int d = x->ndim - 1; d >= 0; d--) {
        idx[d] = rest % x->shape[d];
        rest /= x->shape[d];
      }
      double v = tg_get(x, idx);
      perturb(x, idx, v + o.eps);
      evaluate(f, ctx, inputs, plus, n_out);
      perturb(x, idx, v - o.eps);
      evaluate(f, ctx, inputs, minus, n_out);
      perturb(x, idx, v);
      for (int64_t j = 0; j < n_out; j++)
        consider(&w, &o, req_index[i], k, j, analytical[i][j * tg_numel(x) + k],
                 (plus[j] - minus[j]) / (2 * o.eps));
    }
  }
  for (int i = 0; i < n_req; i++) free(analytical[i]);
  free(plus);
  free(minus);
  tg_scope_end();
  if (w.excess > 0 && report)
    snprintf(report, report_size,
             "gradcheck failed for input %d: d output[%lld] / d input[%lld] is %.10g "
             "analytically but %.10g numerically",
             w.input, (long long)w.out_index, (long long)w.in_index, w.analytical,
             w.numerical);
  return !(w.excess > 0);
}

/* ---- second order ---- */

typedef struct vjp_ctx {
  tg_fn f;
  void *ctx;
  int n; /* inputs of f; the last input of the wrapper is v */
} vjp_ctx;

/* (x..., v) -> concatenation of v^T dy/dx_i over the inputs needing grad */
static tg_tensor *vjp(tg_tensor *const *inputs, void *ctx) {
  const vjp_ctx *c = ctx;
  if (!tg_is_grad_enabled()) { /* the numerical pass still needs one backward */
    tg_state_guard guard;
    tg_guard_push(&guard);
    bool mode = tg_set_grad_enabled(true);
    tg_tensor *out = tg_detach(vjp(inputs, ctx));
    tg_set_grad_enabled(mode);
    tg_guard_pop();
    return out;
  }
  tg_tensor *y = c->f(inputs, c->ctx);
  tg_tensor *req[16], *grads[16], *flat[16];
  int n_req = 0;
  int64_t total = 0;
  for (int i = 0; i < c->n && n_req < 16; i++)
    if (inputs[i]->requires_grad) {
      total += tg_numel(inputs[i]);
      req[n_req++] = inputs[i];
    }
  if (!y->requires_grad) return tg_zeros(TG_SHAPE(total), TG_FLOAT64);
  tg_autograd_grad(y, inputs[c->n], n_req, req, grads, TG_CREATE_GRAPH);
  for (int i = 0; i < n_req; i++) flat[i] = tg_reshape(grads[i], TG_SHAPE(-1));
  return tg_cat(flat, n_req, 0);
}

bool tg_gradgradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                      const tg_gradcheck_opts *opts, char *report, size_t report_size) {
  check_inputs(n_inputs, inputs);
  if (n_inputs >= 15) tg_error("tg_gradgradcheck: at most 14 inputs");
  tg_scope_begin();
  tg_tensor *y = f(inputs, ctx);
  tg_tensor *all[16];
  memcpy(all, inputs, sizeof(tg_tensor *) * (size_t)n_inputs);
  all[n_inputs] = tg_requires_grad_(tg_randn(tg_shape_of(y), TG_FLOAT64), true);
  vjp_ctx c = {f, ctx, n_inputs};
  bool ok = tg_gradcheck(vjp, &c, n_inputs + 1, all, opts, report, report_size);
  tg_scope_end();
  return ok;
}
