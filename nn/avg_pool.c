/* Average pooling: AvgPool2d (count_include_pad, ceil_mode,
 * divisor_override) and AdaptiveAvgPool2d, windows from pool.c.
 *
 * Average pooling is linear, so its backward is its adjoint: the op
 * "avg_pool2d_backward", which spreads each output's gradient over its
 * window, and whose own backward is the pooling again. */
#include <stdio.h>

#include "nn/pool.h"
#include "tensor/core.h"

#define TG_TEMPLATE "nn/avg_pool_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

static tg_tensor *avg_pool_pass(tg_tensor *t, const pool_args *a, bool adjoint);

/* ---- avg_pool2d_backward: the adjoint ---- */

static void adjoint_backward(tg_node *node, tg_tensor *gg, tg_tensor **grads) {
  grads[0] = avg_pool_pass(gg, tg_node_args(node), false);
}

const tg_op tg_op_avg_pool2d_backward = {.name = "avg_pool2d_backward",
                                         .backward = adjoint_backward,
                                         .args_size = sizeof(pool_args),
                                         .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_adaptive_avg_pool2d_backward = {.name = "adaptive_avg_pool2d_backward",
                                                  .backward = adjoint_backward,
                                                  .args_size = sizeof(pool_args),
                                                  .keeps_inputs = TG_KEEPS_NONE};

/* ---- avg_pool2d and adaptive_avg_pool2d ---- */

static void avg_pool_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = avg_pool_pass(g, tg_node_args(node), true);
}

const tg_op tg_op_avg_pool2d = {.name = "avg_pool2d",
                                .backward = avg_pool_backward,
                                .args_size = sizeof(pool_args),
                                .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_adaptive_avg_pool2d = {.name = "adaptive_avg_pool2d",
                                         .backward = avg_pool_backward,
                                         .args_size = sizeof(pool_args),
                                         .keeps_inputs = TG_KEEPS_NONE};

/* The pooling of t, or (adjoint) the gradient t of a pooling's output
 * spread over the input's shape; recorded either way. */
static tg_tensor *avg_pool_pass(tg_tensor *t, const pool_args *a, bool adjoint) {
  tg_scope_begin();
  tg_tensor *in = tg_contiguous(t);
  tg_tensor *out =
      adjoint ? tg_zeros(a->in_shape, t->dtype) : tg_alloc(a->out_shape, t->dtype);
  pool_windows w = tg_nn_pool_windows(a);
  pool_job job = tg_nn_pool_window_job(&w, tg_ptr(in), tg_ptr(out));
  bool f32 = t->dtype == TG_FLOAT32;
  if (adjoint)
    tg_nn_pool_planes(&job, f32 ? avg_pool_adjoint_f32 : avg_pool_adjoint_f64);
  else
    tg_nn_pool_planes(&job, f32 ? avg_pool_f32 : avg_pool_f64);
  bool adaptive = a->kind == POOL_ADAPTIVE;
  const tg_op *op = adjoint ? (adaptive ? &tg_op_adaptive_avg_pool2d_backward
                                        : &tg_op_avg_pool2d_backward)
                            : (adaptive ? &tg_op_adaptive_avg_pool2d : &tg_op_avg_pool2d);
  tg_node *node = tg_record(op, out, 1, &t);
  if (node) *(pool_args *)tg_node_args(node) = *a;
  return tg_scope_return(out);
}

tg_tensor *tg_avg_pool2d(tg_tensor *x, const tg_pool_opts *opts) {
  pool_args a = tg_nn_pool_args("tg_avg_pool2d", POOL_AVG, x, opts);
  return avg_pool_pass(x, &a, false);
}

tg_tensor *tg_adaptive_avg_pool2d(tg_tensor *x, int64_t out_h, int64_t out_w) {
  pool_args a = tg_nn_adaptive_pool_args("tg_adaptive_avg_pool2d", x, out_h, out_w);
  return avg_pool_pass(x, &a, false);
}

/* ---- the modules ---- */

typedef struct avg_pool_module {
  tg_module base;
  tg_pool_opts opts;
  int64_t output_size[2]; /* adaptive */
} avg_pool_module;

static tg_tensor *avg_pool2d_forward(tg_module *m, tg_tensor *x) {
  return tg_avg_pool2d(x, &((avg_pool_module *)m)->opts);
}

static tg_tensor *adaptive_avg_pool2d_forward(tg_module *m, tg_tensor *x) {
  const avg_pool_module *p = (const avg_pool_module *)m;
  return tg_adaptive_avg_pool2d(x, p->output_size[0], p->output_size[1]);
}

/* PyTorch's AvgPool2d shows kernel_size, stride and padding only. */
static void avg_pool2d_extra_repr(const tg_module *m, char *buf, size_t size) {
  const tg_pool_opts *o = &((const avg_pool_module *)m)->opts;
  int64_t stride[2] = {o->stride[0] ? o->stride[0] : o->kernel_size[0],
                       o->stride[1] ? o->stride[1] : o->kernel_size[1]};
  char k[64], s[64], p[64];
  tg_nn_pair_repr(o->kernel_size, false, k, sizeof k);
  tg_nn_pair_repr(stride, false, s, sizeof s);
  tg_nn_pair_repr(o->padding, false, p, sizeof p);
  snprintf(buf, size, "kernel_size=%s, stride=%s, padding=%s", k, s, p);
}

static void adaptive_avg_pool2d_extra_repr(const tg_module *m, char *buf, size_t size) {
  char text[64];
  tg_nn_pair_repr(((const avg_pool_module *)m)->output_size, true, text, sizeof text);
  snprintf(buf, size, "output_size=%s", text);
}

static const tg_module_vtable avg_pool2d_vtable = {"AvgPool2d", avg_pool2d_forward, NULL,
                                                   avg_pool2d_extra_repr};
static const tg_module_vtable adaptive_avg_pool2d_vtable = {
    "AdaptiveAvgPool2d", adaptive_avg_pool2d_forward, NULL,
    adaptive_avg_pool2d_extra_repr};

tg_module *tg_nn_avg_pool2d(const tg_pool_opts *opts) {
  if (!opts)
    tg_error("tg_nn_avg_pool2d: opts must not be NULL (kernel_size has no default)");
  avg_pool_module *p = tg_module_new(&avg_pool2d_vtable, sizeof *p);
  p->opts = *opts;
  return &p->base;
}

tg_module *tg_nn_adaptive_avg_pool2d(int64_t out_h, int64_t out_w) {
  avg_pool_module *p = tg_module_new(&adaptive_avg_pool2d_vtable, sizeof *p);
  p->output_size[0] = out_h;
  p->output_size[1] = out_w;
  return &p->base;
}
