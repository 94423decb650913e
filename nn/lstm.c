/* One direction of one nn.LSTM layer over a whole sequence, as one op.
 *
 * The input projection x W_ih^T + b_ih of every time step is one GEMM
 * before this op (as PyTorch's CPU LSTM does it); the op steps through
 * time: gates = h W_hh^T + b_hh + xw_t, then the cell
 *   i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the gates
 *   c' = f c + i g,  h' = o tanh(c')
 * Its output stacks every step's h and c: (2, L, N, H). A step is one
 * small GEMM and one pass over the gates, where the composite of
 * differentiable ops it replaces recorded a dozen nodes a step and paid a
 * full-size zero tensor for every slice's gradient. The arithmetic is the
 * composite's, op for op (nn/lstm_kernels.inc), but for float32's sigmoid
 * and tanh, which are vectorised as PyTorch's are; the backward walks time in reverse in
 * one pass per step (backward_fused) or, under create_graph, recomputes the cell with
 * differentiable ops and runs the same recurrence with them. */
#include <math.h>
#include <stdlib.h>

#include "nn/nn_internal.h"
#include "nn/vector_math.h"
#include "ops/ops.h"

typedef struct lstm_step {
  int64_t rows, hidden;
  bool has_next; /* backward: a later step sent gradients back */
} lstm_step;

#define TG_TEMPLATE "nn/lstm_kernels.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

typedef struct lstm_args {
  bool reverse, has_bias;
} lstm_args;

enum { XW, H0, C0, W_HH, B_HH };

/* The time index of the s-th step taken. */
static int64_t time_of(int64_t s, int64_t steps, bool reverse) {
  return reverse ? steps - 1 - s : s;
}

/* out[part][t] of a (2, L, N, H) stack, or of an (L, N, X) tensor when
 * part is -1: an (N, X) view. */
static tg_tensor *step_of(tg_tensor *t, int part, int64_t time) {
  return tg_select(part < 0 ? t : tg_select(t, 0, part), 0, time);
}

/* ---- the composite backward (create_graph): the cell recomputed with
 * differentiable ops, then backpropagation through time with them ---- */

typedef struct cell_values {
  tg_tensor *i, *f, *g, *o, *tanh_c, *h_prev, *c_prev;
} cell_values;

static cell_values cell_recompute(tg_tensor *xw_t, tg_tensor *h, tg_tensor *c,
                                  tg_tensor *w, tg_tensor *b, tg_tensor **h_out,
                                  tg_tensor **c_out) {
  int64_t H = w->shape[1];
  tg_tensor *gates = tg_add(tg_linear(h, w, b), xw_t);
  cell_values v = {.i = tg_sigmoid(tg_narrow(gates, -1, 0, H)),
                   .f = tg_sigmoid(tg_narrow(gates, -1, H, H)),
                   .g = tg_tanh(tg_narrow(gates, -1, 2 * H, H)),
                   .o = tg_sigmoid(tg_narrow(gates, -1, 3 * H, H)),
                   .h_prev = h,
                   .c_prev = c};
  *c_out = tg_add(tg_mul(v.f, c), tg_mul(v.i, v.g));
  v.tanh_c = tg_tanh(*c_out);
  *h_out = tg_mul(v.o, v.tanh_c);
  return v;
}

/* sigmoid' = y (1 - y) */
static tg_tensor *through_sigmoid(tg_tensor *grad, tg_tensor *y) {
  return tg_mul(grad, tg_mul(y, tg_rsub_scalar(y, 1)));
}

/* One step back: the gradient of the gates before their activations;
 * *dh and *dc (the gradients reaching h and c) become those of h_prev and
 * c_prev. */
static tg_tensor *cell_grad(const cell_values *v, tg_tensor *w, tg_tensor **dh,
                            tg_tensor **dc) {
  tg_tensor *dc_total = tg_add(
      *dc, tg_mul(tg_mul(*dh, v->o), tg_rsub_scalar(tg_mul(v->tanh_c, v->tanh_c), 1)));
  tg_tensor *parts[4] = {
      through_sigmoid(tg_mul(dc_total, v->g), v->i),
      through_sigmoid(tg_mul(dc_total, v->c_prev), v->f),
      tg_mul(tg_mul(dc_total, v->i), tg_rsub_scalar(tg_mul(v->g, v->g), 1)),
      through_sigmoid(tg_mul(*dh, v->tanh_c), v->o),
  };
  tg_tensor *d_pre = tg_cat(parts, 4, -1);
  *dc = tg_mul(dc_total, v->f);
  *dh = tg_matmul(d_pre, w);
  return d_pre;
}

static tg_tensor *sum_or_first(tg_tensor *sum, tg_tensor *term) {
  return sum ? tg_add(sum, term) : term;
}

static void lstm_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const lstm_args *a = tg_node_args(node);
  tg_tensor *xw = tg_node_input(node, XW), *w = tg_node_input(node, W_HH);
  tg_tensor *b = a->has_bias ? tg_node_input(node, B_HH) : NULL;
  int64_t steps = xw->shape[0];
  cell_values *v = tg_nn_xmalloc((size_t)steps * sizeof *v);
  tg_tensor **d_pre = tg_nn_xmalloc((size_t)steps * sizeof *d_pre);
  tg_tensor *h = tg_node_input(node, H0), *c = tg_node_input(node, C0);
  for (int64_t s = 0; s < steps; s++) {
    int64_t t = time_of(s, steps, a->reverse);
    v[t] = cell_recompute(step_of(xw, -1, t), h, c, w, b, &h, &c);
  }
  tg_tensor *dh = NULL, *dc = NULL, *dw = NULL, *db = NULL;
  for (int64_t s = steps - 1; s >= 0; s--) {
    int64_t t = time_of(s, steps, a->reverse);
    dh = sum_or_first(dh, step_of(g, 0, t));
    dc = sum_or_first(dc, step_of(g, 1, t));
    d_pre[t] = cell_grad(&v[t], w, &dh, &dc);
    dw = sum_or_first(dw, tg_matmul(tg_t(d_pre[t]), v[t].h_prev));
    if (b) db = sum_or_first(db, tg_sum(d_pre[t], TG_DIMS(0), false));
  }
  tg_tensor *all[5] = {tg_stack(d_pre, (int)steps, 0), dh, dc, dw, db};
  for (int i = 0; i < 5; i++)
    if ((i != B_HH || b) && tg_needs_input_grad(node, i)) grads[i] = all[i];
  free(d_pre);
  free(v);
}

/* ---- the fused backward: one pass over the gates per step ---- */

/* Every step's h_prev in time order, (L, N, H): h0, then the outputs but
 * the last one (the reverse direction's h_prev is the next time's h). */
static tg_tensor *previous_states(tg_tensor *out, tg_tensor *h0, bool reverse) {
  int64_t steps = out->shape[1];
  tg_tensor *first = tg_unsqueeze(h0, 0);
  tg_tensor *outputs = tg_narrow(tg_select(out, 0, 0), 0, reverse ? 1 : 0, steps - 1);
  tg_tensor *parts[2] = {reverse ? outputs : first, reverse ? first : outputs};
  return tg_cat(parts, 2, 0);
}

/* W_hh's and b_hh's gradients summed over all steps at once: d_pre^T h_prev
 * as one GEMM over the (L N) rows and d_pre's column sums. They go
 * straight into .grad when the engine allows it (tg_grad_destination). */
static void parameter_grads(tg_node *node, tg_tensor *d_pre, tg_tensor *h_prev,
                            tg_tensor **grads) {
  int64_t hidden = h_prev->shape[2];
  tg_tensor *d2 = tg_view(d_pre, TG_SHAPE(-1, 4 * hidden));
  if (tg_needs_input_grad(node, W_HH)) {
    tg_tensor *h2 = tg_view(h_prev, TG_SHAPE(-1, hidden)),
              *dst = tg_grad_destination(node, W_HH);
    if (dst) {
      tg_gemm(tg_t(d2), h2, dst, 1, 1);
      tg_bump_version(dst);
    } else {
      grads[W_HH] = tg_matmul(tg_t(d2), h2);
    }
  }
  if (((const lstm_args *)tg_node_args(node))->has_bias &&
      tg_needs_input_grad(node, B_HH))
    grads[B_HH] = tg_sum(d2, TG_DIMS(0), false);
}

/* One step's cell backward on raw rows (see nn/lstm_kernels.inc). */
static void cell_backward(const lstm_step *st, tg_tensor *gh, tg_tensor *dh_next,
                          tg_tensor *gc, tg_tensor *dc_next, tg_tensor *act,
                          tg_tensor *c_prev, tg_tensor *tanh_c, tg_tensor *d_pre) {
  char *dh = dh_next ? tg_ptr(dh_next) : NULL;
  if (d_pre->dtype == TG_FLOAT32)
    cell_backward_f32(st, (const float *)tg_ptr(gh), (const float *)dh,
                      (const float *)tg_ptr(gc), (float *)tg_ptr(dc_next),
                      (const float *)tg_ptr(act), (const float *)tg_ptr(c_prev),
                      (const float *)tg_ptr(tanh_c), (float *)tg_ptr(d_pre));
  else
    cell_backward_f64(st, (const double *)tg_ptr(gh), (const double *)dh,
                      (const double *)tg_ptr(gc), (double *)tg_ptr(dc_next),
                      (const double *)tg_ptr(act), (const double *)tg_ptr(c_prev),
                      (const double *)tg_ptr(tanh_c), (double *)tg_ptr(d_pre));
}

static void lstm_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const lstm_args *a = tg_node_args(node);
  tg_tensor *out = tg_saved_output(node), *act = tg_saved(node, 0),
            *tanh_c = tg_saved(node, 1);
  tg_tensor *xw = tg_node_input_meta(node, XW), *w = tg_node_input(node, W_HH);
  tg_tensor *h0 = tg_contiguous(tg_node_input(node, H0)),
            *c0 = tg_contiguous(tg_node_input(node, C0));
  int64_t steps = xw->shape[0], rows = xw->shape[1], hidden = w->shape[1];
  g = tg_contiguous(g);
  tg_tensor *d_pre = tg_alloc(tg_shape_of(xw), xw->dtype);
  tg_tensor *dh = NULL, *dc = tg_alloc(TG_SHAPE(rows, hidden), xw->dtype);
  for (int64_t s = steps - 1; s >= 0; s--) {
    int64_t t = time_of(s, steps, a->reverse), before = time_of(s - 1, steps, a->reverse);
    tg_tensor *c_prev = s ? step_of(out, 1, before) : c0;
    tg_tensor *d_pre_t = step_of(d_pre, -1, t);
    lstm_step st = {rows, hidden, s < steps - 1};
    cell_backward(&st, step_of(g, 0, t), dh, step_of(g, 1, t), dc, step_of(act, -1, t),
                  c_prev, step_of(tanh_c, -1, t), d_pre_t);
    if (s || tg_needs_input_grad(node, H0)) dh = tg_matmul(d_pre_t, w);
  }
  if (tg_needs_input_grad(node, XW)) grads[XW] = d_pre;
  if (tg_needs_input_grad(node, H0)) grads[H0] = dh;
  if (tg_needs_input_grad(node, C0)) grads[C0] = dc;
  parameter_grads(node, d_pre, previous_states(out, h0, a->reverse), grads);
}

const tg_op tg_op_lstm_layer = {
    .name = "lstm_layer",
    .backward = lstm_backward,
    .backward_fused = lstm_backward_fused,
    .args_size = sizeof(lstm_args),
    .keeps_inputs = TG_KEEPS(
        TG_INPUT(XW) | TG_INPUT(H0) | TG_INPUT(C0) | TG_INPUT(W_HH) | TG_INPUT(B_HH), 0)};

/* ---- the forward ---- */

static void cell_forward(const lstm_step *st, tg_tensor *hw, tg_tensor *xw,
                         tg_tensor *c_prev, tg_tensor *act, tg_tensor *c,
                         tg_tensor *tanh_c, tg_tensor *h) {
  if (hw->dtype == TG_FLOAT32)
    cell_forward_f32(st, (const float *)tg_ptr(hw), (const float *)tg_ptr(xw),
                     (const float *)tg_ptr(c_prev), (float *)tg_ptr(act),
                     (float *)tg_ptr(c), (float *)tg_ptr(tanh_c), (float *)tg_ptr(h));
  else
    cell_forward_f64(st, (const double *)tg_ptr(hw), (const double *)tg_ptr(xw),
                     (const double *)tg_ptr(c_prev), (double *)tg_ptr(act),
                     (double *)tg_ptr(c), (double *)tg_ptr(tanh_c), (double *)tg_ptr(h));
}

static void check_lstm_layer(tg_tensor *xw, tg_tensor *h0, tg_tensor *c0, tg_tensor *w,
                             tg_tensor *b) {
  char s[5][TG_SHAPE_STR_MAX];
  int64_t H = w->ndim == 2 ? w->shape[1] : -1;
  bool ok =
      xw->ndim == 3 && xw->shape[0] > 0 && tg_is_floating(xw->dtype) && H > 0 &&
      tg_shape_equal(tg_shape_of(w), TG_SHAPE(4 * H, H)) &&
      tg_shape_equal(tg_shape_of(xw), TG_SHAPE(xw->shape[0], xw->shape[1], 4 * H)) &&
      tg_shape_equal(tg_shape_of(h0), TG_SHAPE(xw->shape[1], H)) &&
      tg_shape_equal(tg_shape_of(c0), TG_SHAPE(xw->shape[1], H)) &&
      (!b || tg_shape_equal(tg_shape_of(b), TG_SHAPE(4 * H)));
  tg_tensor *all[4] = {h0, c0, w, b};
  for (int i = 0; i < 4; i++) ok = ok && (!all[i] || all[i]->dtype == xw->dtype);
  if (!ok)
    tg_error("tg_nn_lstm_layer: expected xw (L >= 1, N, 4H), h0 and c0 (N, H), w_hh "
             "(4H, H) and b_hh (4H) of one floating dtype, got %s %s, %s, %s, %s and %s",
             tg_dtype_name(xw->dtype), tg_shape_str(tg_shape_of(xw), s[0]),
             tg_shape_str(tg_shape_of(h0), s[1]), tg_shape_str(tg_shape_of(c0), s[2]),
             tg_shape_str(tg_shape_of(w), s[3]),
             b ? tg_shape_str(tg_shape_of(b), s[4]) : "no bias");
}

tg_tensor *tg_nn_lstm_layer(tg_tensor *xw, tg_tensor *h0, tg_tensor *c0, tg_tensor *w_hh,
                            tg_tensor *b_hh, bool reverse) {
  check_lstm_layer(xw, h0, c0, w_hh, b_hh);
  int64_t steps = xw->shape[0], rows = xw->shape[1], hidden = w_hh->shape[1];
  tg_tensor *out = tg_alloc(TG_SHAPE(2, steps, rows, hidden), xw->dtype);
  tg_scope_begin();
  tg_tensor *act = tg_alloc(tg_shape_of(xw), xw->dtype);
  tg_tensor *tanh_c = tg_alloc(TG_SHAPE(steps, rows, hidden), xw->dtype);
  bool mode = tg_set_grad_enabled(false);
  tg_tensor *x = tg_contiguous(tg_detach(xw)), *w = tg_detach(w_hh),
            *b = b_hh ? tg_detach(b_hh) : NULL, *o = tg_detach(out);
  tg_tensor *h = tg_contiguous(tg_detach(h0)), *c = tg_contiguous(tg_detach(c0));
  lstm_step st = {rows, hidden, false};
  for (int64_t s = 0; s < steps; s++) {
    int64_t t = time_of(s, steps, reverse);
    tg_tensor *hw = tg_linear(h, w, b);
    h = step_of(o, 0, t);
    tg_tensor *c_next = step_of(o, 1, t);
    cell_forward(&st, hw, step_of(x, -1, t), c, step_of(act, -1, t), c_next,
                 step_of(tanh_c, -1, t), h);
    c = c_next;
  }
  tg_set_grad_enabled(mode);
  tg_tensor *inputs[5] = {xw, h0, c0, w_hh, b_hh};
  tg_node *node = tg_record(&tg_op_lstm_layer, out, b_hh ? 5 : 4, inputs);
  if (node) {
    *(lstm_args *)tg_node_args(node) = (lstm_args){reverse, b_hh != NULL};
    tg_save(node, act);
    tg_save(node, tanh_c);
    tg_save_output(node, out);
  }
  tg_scope_end();
  return out;
}
