/* softmax and log_softmax along one dim, numerically stable: the line's
 * maximum is subtracted before exponentiating. Along the last dim they
 * round as PyTorch's CPU kernels, bit for bit (ops/softmax_loops.inc);
 * along another dim they compute in double and round once. */
#include <math.h>
#include <stdlib.h>

#include "ops/ops.h"
#include "ops/sleef_math.h"

/* ATen's Vectorized lanes on the CPU capability PyTorch picks on x86-64
 * machines with AVX2 (AVX2 also on AVX-512 CPUs: torch.__config__.show()
 * says "CPU capability usage: AVX2"); they set the order of its sums. */
enum { LANES_f32 = 8, LANES_f64 = 4 };
/* rows whose exponentials run as one loop, and a gradient's exponentials
 * kept at a time */
enum { SM_BLOCK = 32, SM_CHUNK = 1024 };

#define TG_TEMPLATE "ops/softmax_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

/* Rows of the last dim as a job for the threads, which take whole rows. */
typedef struct lastdim_job {
  tg_dtype dtype;
  const void *x, *g; /* forward: the input; backward: y and its gradient g */
  void *out;
  int64_t len;
  bool log_space;
} lastdim_job;

static void lastdim_part(int64_t begin, int64_t end, void *arg) {
  const lastdim_job *j = arg;
  int64_t at = begin * j->len;
  if (j->dtype == TG_FLOAT32)
    lastdim_rows_f32((const float *)j->x + at, (float *)j->out + at, end - begin, j->len,
                     j->log_space);
  else
    lastdim_rows_f64((const double *)j->x + at, (double *)j->out + at, end - begin,
                     j->len, j->log_space);
}

static void lastdim_grad_part(int64_t begin, int64_t end, void *arg) {
  const lastdim_job *j = arg;
  int64_t at = begin * j->len;
  if (j->dtype == TG_FLOAT32)
    lastdim_grad_rows_f32((const float *)j->g + at, (const float *)j->x + at,
                          (float *)j->out + at, end - begin, j->len, j->log_space);
  else
    lastdim_grad_rows_f64((const double *)j->g + at, (const double *)j->x + at,
                          (double *)j->out + at, end - begin, j->len, j->log_space);
}

void tg_softmax_rows(tg_dtype dtype, const void *x, void *y, int64_t rows, int64_t len,
                     bool log_space) {
  if (rows * len == 0) return;
  lastdim_job j = {.dtype = dtype, .x = x, .out = y, .len = len, .log_space = log_space};
  tg_parallel_items(rows, len, lastdim_part, &j);
}

void tg_softmax_grad_rows(tg_dtype dtype, const void *g, const void *y, void *out,
                          int64_t rows, int64_t len, bool log_space) {
  if (rows * len == 0) return;
  lastdim_job j = {
      .dtype = dtype, .x = y, .g = g, .out = out, .len = len, .log_space = log_space};
  tg_parallel_items(rows, len, lastdim_grad_part, &j);
}

/* The lines along `dim` of contiguous `in`: outer x len x inner. */
typedef struct softmax_lines {
  const char *src;
  char *dst;
  tg_dtype dtype;
  int64_t len, inner;
  bool log_space;
  double *scratch; /* len doubles per slot: a line's exponentials */
} softmax_lines;

/* The line through position o * inner + i, its exponentials computed once
 * and kept in double in e for the division. */
static void softmax_line(const softmax_lines *l, int64_t o, int64_t i, double *e) {
  int64_t len = l->len, inner = l->inner, elem = (int64_t)tg_dtype_size(l->dtype);
  int64_t base = o * len * inner + i;
  double max = -INFINITY, sum = 0;
  for (int64_t k = 0; k < len; k++) {
    double v = tg_load(l->src + (base + k * inner) * elem, l->dtype);
    if (v > max || v != v) max = v;
  }
  /* an inf maximum gives NaN (inf - inf), as PyTorch's kernel does */
  for (int64_t k = 0; k < len; k++) {
    e[k] = tg_load(l->src + (base + k * inner) * elem, l->dtype) - max;
    if (!l->log_space) e[k] = exp(e[k]);
    sum += l->log_space ? exp(e[k]) : e[k];
  }
  double log_sum = log(sum);
  for (int64_t k = 0; k < len; k++) {
    double v = l->log_space ? e[k] - log_sum : e[k] / sum;
    tg_store(l->dst + (base + k * inner) * elem, l->dtype, v);
  }
}

/* The lines through positions [begin, end) of outer x inner. */
static void softmax_part(int64_t begin, int64_t end, int slot, void *arg) {
  const softmax_lines *l = arg;
  double *e = l->scratch + slot * l->len;
  for (int64_t p = begin; p < end; p++) softmax_line(l, p / l->inner, p % l->inner, e);
}

/* Runs over every line along `dim` of contiguous `in`, writing `out`; the
 * threads take whole lines, each with its own line buffer. */
static void run_softmax_lines(const char *name, const tg_tensor *in, tg_tensor *out,
                              int dim, bool log_space) {
  softmax_lines l = {.src = tg_ptr(in),
                     .dst = tg_ptr(out),
                     .dtype = in->dtype,
                     .len = in->ndim ? in->shape[dim] : 1,
                     .inner = 1,
                     .log_space = log_space};
  int64_t outer = 1;
  for (int i = 0; i < dim; i++) outer *= in->shape[i];
  for (int i = dim + 1; i < in->ndim; i++) l.inner *= in->shape[i];
  if (dim >= in->ndim - 1) { /* the last dim: ATen's lastdim kernels */
    tg_softmax_rows(in->dtype, tg_ptr(in), tg_ptr(out), outer, l.len, log_space);
    return;
  }
  if (outer * l.inner == 0) return;
  int slots = tg_parallel_threads();
  l.scratch = tg_scratch_alloc(name, slots * l.len, sizeof(double));
  tg_parallel_items_slots(outer * l.inner, l.len, slots, softmax_part, &l);
  free(l.scratch);
}

typedef struct softmax_args {
  int dim;
} softmax_args;

/* Both ops save their output, which their backward reads. */
static tg_tensor *softmax_forward(const char *name, const tg_op *op, tg_tensor *t,
                                  int dim, bool log_space) {
  tg_check_floating(name, t);
  int d = tg_wrap_dim(name, dim, t->ndim);
  tg_scope_begin();
  tg_tensor *out = tg_alloc(tg_shape_of(t), t->dtype);
  run_softmax_lines(name, tg_contiguous(t), out, d, log_space);
  tg_node *node = tg_record(op, out, 1, &t);
  if (node) {
    ((softmax_args *)tg_node_args(node))->dim = d;
    tg_save_output(node, out);
  }
  return tg_scope_return(out);
}

/* The fused backward along the last dim: one pass over the rows, as ATen's
 * kernel. False for another dim (the composite backward takes it). */
static bool lastdim_backward(tg_node *node, tg_tensor *g, tg_tensor **grads,
                             bool log_space) {
  const softmax_args *a = tg_node_args(node);
  tg_tensor *y = tg_saved_output(node);
  if (a->dim < y->ndim - 1) return false;
  g = tg_contiguous(tg_to(g, y->dtype));
  tg_tensor *out = tg_alloc(tg_shape_of(y), y->dtype);
  int64_t len = y->ndim ? y->shape[y->ndim - 1] : 1, n = tg_numel(y);
  if (n)
    tg_softmax_grad_rows(y->dtype, tg_ptr(g), tg_ptr(y), tg_ptr(out), n / len, len,
                         log_space);
  grads[0] = out;
  return true;
}

/* ---- softmax; its gradient is y * (g - sum(g * y)) ---- */

static void softmax_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const softmax_args *a = tg_node_args(node);
  tg_tensor *y = tg_saved_output(node);
  tg_tensor *dot = tg_sum(tg_mul(g, y), TG_DIMS(a->dim), true);
  grads[0] = tg_mul(y, tg_sub(g, dot));
}

static void softmax_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (!lastdim_backward(node, g, grads, false)) softmax_backward(node, g, grads);
}

const tg_op tg_op_softmax = {.name = "softmax",
                             .backward = softmax_backward,
                             .backward_fused = softmax_backward_fused,
                             .args_size = sizeof(softmax_args),
                             .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_softmax(tg_tensor *t, int dim) {
  return softmax_forward("tg_softmax", &tg_op_softmax, t, dim, false);
}

/* ---- log_softmax; its gradient is g - exp(y) * sum(g) ---- */

static void log_softmax_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const softmax_args *a = tg_node_args(node);
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_sub(g, tg_mul(tg_exp(y), tg_sum(g, TG_DIMS(a->dim), true)));
}

static void log_softmax_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (!lastdim_backward(node, g, grads, true)) log_softmax_backward(node, g, grads);
}

const tg_op tg_op_log_softmax = {.name = "log_softmax",
                                 .backward = log_softmax_backward,
                                 .backward_fused = log_softmax_backward_fused,
                                 .args_size = sizeof(softmax_args),
                                 .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_log_softmax(tg_tensor *t, int dim) {
  return softmax_forward("tg_log_softmax", &tg_op_log_softmax, t, dim, true);
}
