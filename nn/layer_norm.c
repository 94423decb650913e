/* nn.LayerNorm, built from differentiable ops so autograd gives its exact
 * backward (and a second one), and GELU.
 *
 * LayerNorm normalises over the last dims with the biased variance:
 * y = (x - mean) / sqrt(var + eps) * weight + bias. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "nn/vector_math.h"
#include "tensor/core.h"

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

/* LayerNorm from differentiable ops, when weight or bias is missing. */
static tg_tensor *layer_norm_composite(tg_tensor *x, tg_shape dims, tg_tensor *weight,
                                       tg_tensor *bias, double eps) {
  tg_tensor *mean = tg_mean(x, dims, true);
  tg_tensor *var = tg_var(x, dims, 0, true);
  tg_tensor *y = tg_mul(tg_sub(x, mean), tg_pow_scalar(tg_add_scalar(var, eps), -0.5));
  if (weight) y = tg_mul(y, weight);
  if (bias) y = tg_add(y, bias);
  return y;
}

/* ---- LayerNorm with weight and bias as one op (NativeLayerNormBackward0):
 * one pass over each row forwards and backwards ---- */

typedef struct ln_rows {
  int64_t rows, d;
  double eps;
} ln_rows;

#define TG_TEMPLATE "nn/layer_norm_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

typedef struct ln_args {
  int normalized_ndim;
  double eps;
} ln_args;

static tg_shape normalized_dims(int ndim, int normalized_ndim) {
  tg_shape dims = {normalized_ndim, {0}};
  for (int i = 0; i < normalized_ndim; i++) dims.d[i] = ndim - normalized_ndim + i;
  return dims;
}

static void layer_norm_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const ln_args *a = tg_node_args(node);
  tg_tensor *x = tg_node_input(node, 0), *w = tg_node_input(node, 1);
  tg_shape dims = normalized_dims(x->ndim, a->normalized_ndim);
  tg_tensor *rstd = tg_pow_scalar(tg_add_scalar(tg_var(x, dims, 0, true), a->eps), -0.5);
  tg_tensor *xhat = tg_mul(tg_sub(x, tg_mean(x, dims, true)), rstd);
  tg_tensor *gw = tg_mul(g, w);
  if (tg_needs_input_grad(node, 0))
    grads[0] = tg_mul(rstd, tg_sub(tg_sub(gw, tg_mean(gw, dims, true)),
                                   tg_mul(xhat, tg_mean(tg_mul(gw, xhat), dims, true))));
  if (tg_needs_input_grad(node, 1))
    grads[1] = tg_sum_to_size(tg_mul(g, xhat), tg_shape_of(w));
  if (tg_needs_input_grad(node, 2)) grads[2] = tg_sum_to_size(g, tg_shape_of(w));
}

/* ---- the rows on the pool's threads ----
 * A row is a few passes over d elements: chunks of LN_GRAIN elements (the
 * transformer row's 736 rows of 64 make two). The forward's rows are
 * independent. The backward's dw and db sum over the rows: each piece of
 * LN_PIECE rows sums its own, and the pieces' sums are added in order
 * afterwards, so the bits do not depend on the thread count. */
enum { LN_GRAIN = 1 << 14, LN_PIECE = 64 };

typedef struct ln_job {
  ln_rows r;
  bool f32;
  const char *x, *w, *b, *dy, *mean_in, *rstd_in;
  char *y, *mean, *rstd; /* forward: y, mean, rstd; backward: dx in y */
  double *scratch;       /* per slot: d + 1 doubles forward, 3 d backward */
  double *sums;          /* backward: dw and db (2 d doubles) per piece */
} ln_job;

static void ln_forward_part(int64_t begin, int64_t end, int slot, void *arg) {
  const ln_job *j = arg;
  ln_rows r = j->r;
  r.rows = end - begin;
  int64_t at = begin * r.d;
  double *scratch = j->scratch + slot * (r.d + 1);
  if (j->f32)
    layer_norm_rows_f32(&r, (const float *)j->x + at, (const float *)j->w,
                        (const float *)j->b, (float *)j->y + at, (float *)j->mean + begin,
                        (float *)j->rstd + begin, scratch);
  else
    layer_norm_rows_f64(&r, (const double *)j->x + at, (const double *)j->w,
                        (const double *)j->b, (double *)j->y + at,
                        (double *)j->mean + begin, (double *)j->rstd + begin, scratch);
}

/* pieces [begin, end) of the backward */
static void ln_backward_part(int64_t begin, int64_t end, int slot, void *arg) {
  const ln_job *j = arg;
  int64_t d = j->r.d;
  double *scratch = j->scratch + slot * 3 * d;
  for (int64_t p = begin; p < end; p++) {
    int64_t first = p * LN_PIECE, at = first * d;
    ln_rows r = j->r;
    r.rows = first + LN_PIECE < j->r.rows ? LN_PIECE : j->r.rows - first;
    double *dw = j->sums + p * 2 * d, *db = dw + d;
    if (j->f32)
      layer_norm_grad_rows_f32(&r, (const float *)j->dy + at, (const float *)j->x + at,
                               (const float *)j->w, (const float *)j->mean_in + first,
                               (const float *)j->rstd_in + first, (float *)j->y + at, dw,
                               db, scratch);
    else
      layer_norm_grad_rows_f64(&r, (const double *)j->dy + at, (const double *)j->x + at,
                               (const double *)j->w, (const double *)j->mean_in + first,
                               (const double *)j->rstd_in + first, (double *)j->y + at,
                               dw, db, scratch);
  }
}

/* n doubles of scratch for each of the pool's slots, zeroed */
static double *slot_scratch(int slots, int64_t n) {
  return (double *)tg_ptr(tg_zeros(TG_SHAPE(slots * n), TG_FLOAT64));
}

/* The summed parameter gradients, in double, as a tensor of w's dtype. */
static tg_tensor *param_grad_tensor(const double *sum, tg_tensor *w) {
  tg_tensor *out = tg_alloc(tg_shape_of(w), w->dtype);
  int64_t n = tg_numel(w);
  for (int64_t j = 0; j < n; j++)
    if (w->dtype == TG_FLOAT32)
      ((float *)tg_ptr(out))[j] = (float)sum[j];
    else
      ((double *)tg_ptr(out))[j] = sum[j];
  return out;
}

static void layer_norm_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const ln_args *a = tg_node_args(node);
  tg_tensor *x = tg_node_input(node, 0), *w = tg_contiguous(tg_node_input(node, 1));
  int64_t d = tg_numel(w);
  ln_rows r = {d ? tg_numel(x) / d : 0, d, a->eps};
  int64_t pieces = (r.rows + LN_PIECE - 1) / LN_PIECE;
  int slots = tg_parallel_threads();
  tg_tensor *dx = tg_alloc(tg_shape_of(x), x->dtype);
  ln_job j = {.r = r,
              .f32 = x->dtype == TG_FLOAT32,
              .x = tg_ptr(tg_contiguous(x)),
              .w = tg_ptr(w),
              .dy = tg_ptr(tg_contiguous(g)),
              .mean_in = tg_ptr(tg_saved(node, 0)),
              .rstd_in = tg_ptr(tg_saved(node, 1)),
              .y = tg_ptr(dx),
              .scratch = slot_scratch(slots, 3 * d),
              .sums = slot_scratch(1, pieces * 2 * d + 2 * d)};
  int64_t piece_elements = LN_PIECE * (d ? d : 1);
  tg_parallel_for_slots(pieces, (LN_GRAIN + piece_elements - 1) / piece_elements, slots,
                        ln_backward_part, &j);
  double *dw = j.sums + pieces * 2 * d, *db = dw + d; /* the pieces' sums, in order */
  for (int64_t p = 0; p < pieces; p++)
    for (int64_t k = 0; k < d; k++) {
      dw[k] += j.sums[p * 2 * d + k];
      db[k] += j.sums[p * 2 * d + d + k];
    }
  if (tg_needs_input_grad(node, 0)) grads[0] = dx;
  if (tg_needs_input_grad(node, 1)) grads[1] = param_grad_tensor(dw, w);
  if (tg_needs_input_grad(node, 2)) grads[2] = param_grad_tensor(db, w);
}

const tg_op tg_op_layer_norm = {.name = "native_layer_norm",
                                .backward = layer_norm_backward,
                                .backward_fused = layer_norm_backward_fused,
                                .args_size = sizeof(ln_args),
                                .keeps_inputs = TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

static tg_tensor *layer_norm_op(tg_tensor *x, tg_shape normalized_shape, tg_tensor *w,
                                tg_tensor *b, double eps) {
  int64_t d = tg_shape_numel(normalized_shape);
  ln_rows r = {d ? tg_numel(x) / d : 0, d, eps};
  tg_shape row_shape = tg_shape_make(x->ndim - normalized_shape.ndim, x->shape);
  tg_tensor *y = tg_alloc(tg_shape_of(x), x->dtype);
  tg_scope_begin();
  tg_tensor *mean = tg_alloc(row_shape, x->dtype), *rstd = tg_alloc(row_shape, x->dtype);
  int slots = tg_parallel_threads();
  ln_job j = {.r = r,
              .f32 = x->dtype == TG_FLOAT32,
              .x = tg_ptr(tg_contiguous(tg_detach(x))),
              .w = tg_ptr(tg_contiguous(tg_detach(w))),
              .b = tg_ptr(tg_contiguous(tg_detach(b))),
              .y = tg_ptr(y),
              .mean = tg_ptr(mean),
              .rstd = tg_ptr(rstd),
              .scratch = slot_scratch(slots, d + 1)};
  tg_parallel_for_slots(r.rows, d ? (LN_GRAIN + d - 1) / d : r.rows, slots,
                        ln_forward_part, &j);
  tg_tensor *inputs[3] = {x, w, b};
  tg_node *node = tg_record(&tg_op_layer_norm, y, 3, inputs);
  if (node) {
    *(ln_args *)tg_node_args(node) = (ln_args){normalized_shape.ndim, eps};
    tg_save(node, mean);
    tg_save(node, rstd);
  }
  tg_scope_end();
  return y;
}

tg_tensor *tg_layer_norm(tg_tensor *x, tg_shape normalized_shape, tg_tensor *weight,
                         tg_tensor *bias, double eps) {
  check_floating("tg_layer_norm", x);
  check_normalized_shape("tg_layer_norm", x, normalized_shape);
  bool one_op = weight && bias && weight->dtype == x->dtype && bias->dtype == x->dtype &&
                tg_shape_equal(tg_shape_of(weight), normalized_shape) &&
                tg_shape_equal(tg_shape_of(bias), normalized_shape);
  if (one_op) return layer_norm_op(x, normalized_shape, weight, bias, eps);
  tg_scope_begin();
  tg_shape dims = normalized_dims(x->ndim, normalized_shape.ndim);
  return tg_scope_return(layer_norm_composite(x, dims, weight, bias, eps));
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
 * exact: x * 0.5 * (1 + erf(x / sqrt(2))), one op with PyTorch's backward
 *        (GeluBackward0) in one pass, or composed of differentiable ops
 *        when it is itself recorded
 * tanh:  0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))), composed
 * in the order PyTorch's CPU kernel multiplies. */

#define TG_TEMPLATE "nn/gelu_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

/* GELU's loops take an erf or an exp per element, several times a light
 * elementwise op's work, for which the pool's grain (256K elements a
 * chunk) was measured: split at GELU_GRAIN instead, so the transformer
 * row's (32, 23, 256) activations and their gradient run on two threads. */
enum { GELU_GRAIN = 1 << 14 };

typedef struct gelu_run {
  tg_loop_fn body;
  char *ptrs[4];
  int n_ops;
  int64_t size;
} gelu_run;

static void gelu_part(int64_t begin, int64_t end, void *arg) {
  const gelu_run *r = arg;
  char *p[4];
  int64_t s[4];
  for (int i = 0; i < r->n_ops; i++) p[i] = r->ptrs[i] + begin * r->size, s[i] = r->size;
  r->body(p, s, end - begin, NULL);
}

/* body over ops of one shape and dtype: contiguous ones as flat runs
 * split over the pool, others through tg_run_elementwise */
static void gelu_run_ops(int n_ops, tg_tensor *const *ops, tg_loop_fn body) {
  bool flat = true;
  for (int i = 0; i < n_ops; i++) flat = flat && tg_is_contiguous(ops[i]);
  if (!flat) {
    tg_run_elementwise(tg_shape_of(ops[0]), n_ops, ops, body, NULL);
    return;
  }
  gelu_run r = {body, {NULL}, n_ops, (int64_t)tg_dtype_size(ops[0]->dtype)};
  for (int i = 0; i < n_ops; i++) r.ptrs[i] = tg_ptr(ops[i]);
  tg_parallel_for(tg_numel(ops[0]), GELU_GRAIN, gelu_part, &r);
}

/* g * (cdf + x * pdf), differentiable again */
static void gelu_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input(node, 0);
  tg_tensor *cdf =
      tg_mul_scalar(tg_add_scalar(tg_erf(tg_mul_scalar(x, M_SQRT1_2)), 1), 0.5);
  tg_tensor *pdf = tg_mul_scalar(tg_exp(tg_mul_scalar(tg_mul(x, x), -0.5)),
                                 M_2_SQRTPI * M_SQRT1_2 * 0.5);
  grads[0] = tg_mul(g, tg_add(cdf, tg_mul(x, pdf)));
}

static void gelu_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input(node, 0);
  if (g->dtype != x->dtype || !tg_shape_equal(tg_shape_of(g), tg_shape_of(x))) {
    gelu_backward(node, g, grads);
    return;
  }
  tg_tensor *out = tg_alloc(tg_shape_of(x), x->dtype);
  tg_tensor *ops[4] = {out, g, x, tg_saved(node, 0)};
  gelu_run_ops(4, ops, x->dtype == TG_FLOAT32 ? gelu_grad_loop_f32 : gelu_grad_loop_f64);
  grads[0] = out;
}

const tg_op tg_op_gelu = {.name = "gelu",
                          .backward = gelu_backward,
                          .backward_fused = gelu_backward_fused,
                          .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

static tg_tensor *gelu_tanh(tg_tensor *x) {
  tg_scope_begin();
  const double beta = M_SQRT2 * M_2_SQRTPI * 0.5, kappa = 0.044715;
  tg_tensor *cube = tg_mul(tg_mul(x, x), x);
  tg_tensor *inner = tg_mul_scalar(tg_add(x, tg_mul_scalar(cube, kappa)), beta);
  tg_tensor *y = tg_mul(tg_mul_scalar(x, 0.5), tg_add_scalar(tg_tanh(inner), 1));
  return tg_scope_return(y);
}

tg_tensor *tg_gelu(tg_tensor *x, bool tanh_approximation) {
  check_floating("tg_gelu", x);
  if (tanh_approximation) return gelu_tanh(x);
  tg_tensor *out = tg_alloc(tg_shape_of(x), x->dtype);
  tg_scope_begin();
  tg_tensor *ops[3] = {out, tg_alloc(tg_shape_of(x), x->dtype), x};
  gelu_run_ops(3, ops, x->dtype == TG_FLOAT32 ? gelu_loop_f32 : gelu_loop_f64);
  tg_node *node = tg_record(&tg_op_gelu, out, 1, &x);
  if (node) tg_save(node, ops[1]);
  tg_scope_end();
  return out;
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
