/* Max pooling (MaxPool2d, MaxPool1d, AdaptiveMaxPool2d) and the geometry
 * every pooling shares: PyTorch's argument checks, output sizes and
 * windows.
 *
 * The forward keeps the argmax of each window (PyTorch's indices, flat
 * h * W + w within a plane), so the backward is one direct scatter of the
 * gradient through them: the op "max_pool2d_backward", whose own gradient
 * gathers through the same indices, so double backward works too. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "nn/pool.h"
#include "tensor/core.h"

/* ---- the geometry ---- */

/* floor(a / b) for b > 0, as ATen's div_rtn */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return q * b > a ? q - 1 : q;
}

/* PyTorch's pooling_output_shape: in ceil mode the last window must still
 * start inside the input or its left padding. Hostile sizes (a huge stride,
 * dilation or padding) are errors or exact, never a signed wrap-around. */
static int64_t output_size(const char *fn, int64_t in, int64_t k, int64_t pad,
                           int64_t stride, int64_t dilation, bool ceil_mode) {
  int64_t span = tg_padded_size(fn, in, pad, pad) - tg_kernel_extent(fn, k, dilation);
  int64_t out = ceil_mode && span > 0
                    ? span / stride + (span % stride != 0) + 1
                    : floor_div(span + (ceil_mode ? stride - 1 : 0), stride) + 1;
  int64_t last;
  if (ceil_mode && (__builtin_mul_overflow(out - 1, stride, &last) || last >= in + pad))
    out--;
  return out;
}

/* "2" for a 1-d pooling (which reads the second entry), "(2, 3)" else. */
static const char *sizes_str(const int64_t v[2], int spatial, char *buf, size_t size) {
  if (spatial == 1)
    snprintf(buf, size, "%lld", (long long)v[1]);
  else
    snprintf(buf, size, "(%lld, %lld)", (long long)v[0], (long long)v[1]);
  return buf;
}

/* (C, spatial...) or (N, C, spatial...) with C and the spatial dims
 * non-empty (the batch may be); unbatched_ndim counts C and them. */
static bool is_pool_input(const tg_tensor *x, int unbatched_ndim) {
  bool ok = x->ndim == unbatched_ndim || x->ndim == unbatched_ndim + 1;
  for (int d = x->ndim - unbatched_ndim; ok && d < x->ndim; d++) ok = x->shape[d] > 0;
  return ok;
}

static void check_input(const char *fn, const tg_tensor *x) {
  char s[TG_SHAPE_STR_MAX];
  if (!is_pool_input(x, 3))
    tg_error("%s: expected a non-empty 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
             "shape %s",
             fn, tg_shape_str(tg_shape_of(x), s));
  if (x->dtype != TG_FLOAT32 && x->dtype != TG_FLOAT64)
    tg_error("%s: expected a float32 or float64 tensor, got %s", fn,
             tg_dtype_name(x->dtype));
}

static void check_positive(const char *fn, const char *what, const int64_t v[2],
                           int spatial) {
  char a[64];
  if (v[0] < 1 || v[1] < 1)
    tg_error("%s: %s should be greater than zero, but got %s", fn, what,
             sizes_str(v, spatial, a, sizeof a));
}

static void check_padding(const char *fn, const pool_args *p, int spatial) {
  char a[64], b[64];
  for (int i = 0; i < 2; i++)
    if (p->padding[i] < 0 || p->padding[i] > p->kernel[i] / 2)
      tg_error("%s: pad should be non-negative and at most half of kernel size, but got "
               "pad=%s and kernel_size=%s",
               fn, sizes_str(p->padding, spatial, a, sizeof a),
               sizes_str(p->kernel, spatial, b, sizeof b));
}

static void set_shapes(pool_args *p, const tg_tensor *x, int64_t out_h, int64_t out_w) {
  p->in_shape = tg_shape_of(x);
  p->out_shape = p->in_shape;
  p->out_shape.d[x->ndim - 2] = out_h;
  p->out_shape.d[x->ndim - 1] = out_w;
  p->planes = tg_numel(x) / (x->shape[x->ndim - 2] * x->shape[x->ndim - 1]);
}

/* spatial 1: a 1-d pooling run as (1, L) windows over (N, C, 1, L); its
 * messages show the second entries alone. */
static pool_args pool_args_nd(const char *fn, pool_kind kind, const tg_tensor *x,
                              const tg_pool_opts *opts, int spatial) {
  check_input(fn, x);
  if (!opts) tg_error("%s: opts must not be NULL (kernel_size has no default)", fn);
  pool_args p = {.kind = kind,
                 .ceil_mode = opts->ceil_mode,
                 .count_include_pad = !opts->no_count_include_pad,
                 .divisor_override = opts->divisor_override};
  for (int i = 0; i < 2; i++) {
    p.kernel[i] = opts->kernel_size[i];
    p.stride[i] = opts->stride[i] ? opts->stride[i] : opts->kernel_size[i];
    p.padding[i] = opts->padding[i];
    p.dilation[i] = opts->dilation[i] ? opts->dilation[i] : 1;
  }
  if (kind == POOL_AVG && (opts->dilation[0] || opts->dilation[1]))
    tg_error("%s: average pooling takes no dilation", fn);
  check_positive(fn, "kernel_size", p.kernel, spatial);
  check_positive(fn, "stride", p.stride, spatial);
  check_positive(fn, "dilation", p.dilation, spatial);
  check_padding(fn, &p, spatial);
  int64_t h = x->shape[x->ndim - 2], w = x->shape[x->ndim - 1];
  int64_t out_h = output_size(fn, h, p.kernel[0], p.padding[0], p.stride[0],
                              p.dilation[0], p.ceil_mode);
  int64_t out_w = output_size(fn, w, p.kernel[1], p.padding[1], p.stride[1],
                              p.dilation[1], p.ceil_mode);
  int64_t c = x->shape[x->ndim - 3];
  if (out_h < 1 || out_w < 1)
    tg_error("%s: given input size: (%lldx%lldx%lld). Calculated output size: "
             "(%lldx%lldx%lld). Output size is too small",
             fn, (long long)c, (long long)h, (long long)w, (long long)c, (long long)out_h,
             (long long)out_w);
  set_shapes(&p, x, out_h, out_w);
  return p;
}

pool_args tg_nn_pool_args(const char *fn, pool_kind kind, const tg_tensor *x,
                          const tg_pool_opts *opts) {
  return pool_args_nd(fn, kind, x, opts, 2);
}

pool_args tg_nn_adaptive_pool_args(const char *fn, const tg_tensor *x, int64_t out_h,
                                   int64_t out_w) {
  check_input(fn, x);
  if (out_h < 0 || out_w < 0)
    tg_error("%s: output_size must be non-negative (0 for None), got (%lld, %lld)", fn,
             (long long)out_h, (long long)out_w);
  pool_args p = {.kind = POOL_ADAPTIVE};
  set_shapes(&p, x, out_h ? out_h : x->shape[x->ndim - 2],
             out_w ? out_w : x->shape[x->ndim - 1]);
  return p;
}

/* ceil(a / b) for a >= 0, b > 0 */
static int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

/* Fills one axis's tables (start, end, size rows of t) as ATen's kernels
 * walk it. */
static pool_axis axis_windows(const pool_args *a, int axis) {
  int64_t in = a->in_shape.d[a->in_shape.ndim - 2 + axis];
  int64_t out = a->out_shape.d[a->out_shape.ndim - 2 + axis];
  tg_tensor *t = tg_alloc(TG_SHAPE(3, out), TG_INT64);
  int64_t *start = tg_data_i64(t), *end = start + out, *size = end + out;
  int64_t k = a->kernel[axis], pad = a->padding[axis], step = 1;
  for (int64_t o = 0; o < out; o++) {
    int64_t first = o * a->stride[axis] - pad;
    if (a->kind == POOL_ADAPTIVE) {
      start[o] = o * in / out;
      end[o] = ceil_div((o + 1) * in, out);
      size[o] = end[o] - start[o];
    } else if (a->kind == POOL_MAX) {
      step = a->dilation[axis];
      start[o] = first;
      end[o] = first + (k - 1) * step + 1 < in ? first + (k - 1) * step + 1 : in;
      while (start[o] < 0) start[o] += step;
      size[o] = 0;
    } else { /* avg: the padded window counts when count_include_pad */
      int64_t padded_end = first + k < in + pad ? first + k : in + pad;
      start[o] = first > 0 ? first : 0;
      end[o] = padded_end < in ? padded_end : in;
      size[o] = a->count_include_pad ? padded_end - first : end[o] - start[o];
    }
  }
  return (pool_axis){in, out, step, start, end, size};
}

pool_windows tg_nn_pool_windows(const pool_args *a) {
  return (pool_windows){a->planes, axis_windows(a, 0), axis_windows(a, 1),
                        a->divisor_override, a->kind == POOL_ADAPTIVE};
}

void tg_nn_pair_repr(const int64_t pair[2], bool zero_is_none, char *buf, size_t size) {
  char v[2][24];
  for (int i = 0; i < 2; i++)
    if (zero_is_none && pair[i] == 0)
      snprintf(v[i], sizeof v[i], "None");
    else
      snprintf(v[i], sizeof v[i], "%lld", (long long)pair[i]);
  if (pair[0] == pair[1])
    snprintf(buf, size, "%s", v[0]);
  else
    snprintf(buf, size, "(%s, %s)", v[0], v[1]);
}

pool_job tg_nn_pool_window_job(const pool_windows *w, const void *src, void *dst) {
  return (pool_job){.w = w,
                    .planes = w->planes,
                    .plane_in = w->h.in * w->w.in,
                    .plane_out = w->h.out * w->w.out,
                    .src = src,
                    .dst = dst};
}

void tg_nn_pool_planes(const pool_job *job, void (*fn)(int64_t, int64_t, void *)) {
  /* a plane's cost: its reads and writes (windows overlap little) */
  tg_parallel_items(job->planes, job->plane_in + job->plane_out, fn, (void *)job);
}

/* ---- the loops ---- */

#define TG_TEMPLATE "nn/max_pool_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

/* ---- max_pool2d_backward: the gradient scattered through the indices ---- */

static tg_tensor *scatter_through(const tg_op *op, tg_tensor *g, tg_tensor *indices,
                                  tg_shape in_shape, bool windows_2x2);

/* Its gradient is the incoming one gathered through the same indices. */
static void max_pool_scatter_backward(tg_node *node, tg_tensor *gg, tg_tensor **grads) {
  tg_tensor *indices = tg_saved(node, 0);
  int64_t planes = tg_numel(indices) / indices->shape[indices->ndim - 1] /
                   indices->shape[indices->ndim - 2];
  tg_tensor *flat = tg_reshape(gg, TG_SHAPE(planes, -1));
  tg_tensor *picked = tg_gather(flat, 1, tg_reshape(indices, TG_SHAPE(planes, -1)));
  grads[0] = tg_reshape(picked, tg_shape_of(indices));
}

const tg_op tg_op_max_pool2d_backward = {.name = "max_pool2d_backward",
                                         .backward = max_pool_scatter_backward,
                                         .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_adaptive_max_pool2d_backward = {.name = "adaptive_max_pool2d_backward",
                                                  .backward = max_pool_scatter_backward,
                                                  .keeps_inputs = TG_KEEPS_NONE};

/* The input gradient of a MaxPool2d(2) (windows_2x2: written whole in one
 * pass) or of any max pooling (zeros, then the scatter). */
static tg_tensor *scatter_through(const tg_op *op, tg_tensor *g, tg_tensor *indices,
                                  tg_shape in_shape, bool windows_2x2) {
  tg_scope_begin();
  tg_tensor *gc = tg_contiguous(g);
  tg_tensor *out =
      windows_2x2 ? tg_alloc(in_shape, g->dtype) : tg_zeros(in_shape, g->dtype);
  int nd = in_shape.ndim;
  pool_windows w = {.planes = tg_numel(indices) / indices->shape[nd - 1] /
                              indices->shape[nd - 2],
                    .h = {.in = in_shape.d[nd - 2], .out = indices->shape[nd - 2]},
                    .w = {.in = in_shape.d[nd - 1], .out = indices->shape[nd - 1]}};
  pool_job job = tg_nn_pool_window_job(&w, tg_ptr(gc), tg_ptr(out));
  job.indices = (int64_t *)tg_ptr(indices);
  bool f32 = g->dtype == TG_FLOAT32;
  if (windows_2x2)
    tg_nn_pool_planes(&job, f32 ? tg_nn_max_pool_2x2_backward_f32
                                : tg_nn_max_pool_2x2_backward_f64);
  else
    tg_nn_pool_planes(&job, f32 ? max_pool_scatter_f32 : max_pool_scatter_f64);
  tg_node *node = tg_record(op, out, 1, &g);
  if (node) tg_save(node, indices);
  return tg_scope_return(out);
}

/* ---- max_pool2d and adaptive_max_pool2d ---- */

/* What a max pooling's node keeps beside the indices. */
typedef struct max_pool_node_args {
  bool windows_2x2; /* MaxPool2d(2) inside the input: is_2x2_stride_2 */
} max_pool_node_args;

static void max_pool2d_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const max_pool_node_args *a = tg_node_args(node);
  grads[0] = scatter_through(&tg_op_max_pool2d_backward, g, tg_saved(node, 0),
                             tg_shape_of(tg_node_input_meta(node, 0)), a->windows_2x2);
}

static void adaptive_max_pool2d_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = scatter_through(&tg_op_adaptive_max_pool2d_backward, g, tg_saved(node, 0),
                             tg_shape_of(tg_node_input_meta(node, 0)), false);
}

const tg_op tg_op_max_pool2d = {.name = "max_pool2d",
                                .backward = max_pool2d_backward,
                                .args_size = sizeof(max_pool_node_args),
                                .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_adaptive_max_pool2d = {.name = "adaptive_max_pool2d",
                                         .backward = adaptive_max_pool2d_backward,
                                         .keeps_inputs = TG_KEEPS_NONE};

/* MaxPool2d(2) on an input whose windows all lie inside it, with planes
 * whose flat indices the vector paths hold in 32 bits. */
static bool is_2x2_stride_2(const pool_args *a) {
  int nd = a->in_shape.ndim;
  bool fits =
      a->kind == POOL_MAX && a->in_shape.d[nd - 2] * a->in_shape.d[nd - 1] <= INT32_MAX;
  for (int i = 0; i < 2; i++)
    fits = fits && a->kernel[i] == 2 && a->stride[i] == 2 && a->padding[i] == 0 &&
           a->dilation[i] == 1 &&
           2 * a->out_shape.d[nd - 2 + i] <= a->in_shape.d[nd - 2 + i];
  return fits;
}

static tg_tensor *max_pool(tg_tensor *x, const pool_args *a, const tg_op *op,
                           tg_tensor **indices) {
  tg_scope_begin();
  tg_tensor *out = tg_alloc(a->out_shape, x->dtype);
  tg_tensor *idx = tg_alloc(a->out_shape, TG_INT64);
  tg_tensor *in = tg_contiguous(x);
  pool_windows w = tg_nn_pool_windows(a);
  pool_job job = tg_nn_pool_window_job(&w, tg_ptr(in), tg_ptr(out));
  job.indices = tg_data_i64(idx);
  bool f32 = x->dtype == TG_FLOAT32, windows_2x2 = is_2x2_stride_2(a);
  if (windows_2x2)
    tg_nn_pool_planes(&job, f32 ? tg_nn_max_pool_2x2_f32 : tg_nn_max_pool_2x2_f64);
  else
    tg_nn_pool_planes(&job, f32 ? max_pool_f32 : max_pool_f64);
  tg_node *node = tg_record(op, out, 1, &x);
  if (node) {
    tg_save(node, idx);
    if (op->args_size)
      ((max_pool_node_args *)tg_node_args(node))->windows_2x2 = windows_2x2;
  }
  if (indices) *indices = tg_keep(idx);
  return tg_scope_return(out);
}

tg_tensor *tg_max_pool2d(tg_tensor *x, const tg_pool_opts *opts, tg_tensor **indices) {
  pool_args a = tg_nn_pool_args("tg_max_pool2d", POOL_MAX, x, opts);
  return max_pool(x, &a, &tg_op_max_pool2d, indices);
}

tg_tensor *tg_adaptive_max_pool2d(tg_tensor *x, int64_t out_h, int64_t out_w,
                                  tg_tensor **indices) {
  pool_args a = tg_nn_adaptive_pool_args("tg_adaptive_max_pool2d", x, out_h, out_w);
  return max_pool(x, &a, &tg_op_adaptive_max_pool2d, indices);
}

/* max_pool2d over (N, C, 1, L) with (1, k) windows, as ATen does it. */
tg_tensor *tg_max_pool1d(tg_tensor *x, const tg_pool_opts *opts, tg_tensor **indices) {
  char s[TG_SHAPE_STR_MAX];
  if (!is_pool_input(x, 2))
    tg_error("tg_max_pool1d: expected a non-empty 2-D (C, L) or 3-D (N, C, L) input, got "
             "shape %s",
             tg_shape_str(tg_shape_of(x), s));
  if (!opts)
    tg_error("tg_max_pool1d: opts must not be NULL (kernel_size has no default)");
  tg_pool_opts o2 = {
      .kernel_size = {1, opts->kernel_size[0]},
      .stride = {1, opts->stride[0] ? opts->stride[0] : opts->kernel_size[0]},
      .padding = {0, opts->padding[0]},
      .dilation = {1, opts->dilation[0]},
      .ceil_mode = opts->ceil_mode};
  tg_scope_begin();
  tg_tensor *x2 = tg_unsqueeze(x, -2);
  pool_args a = pool_args_nd("tg_max_pool1d", POOL_MAX, x2, &o2, 1);
  tg_tensor *idx2 = NULL;
  tg_tensor *out = tg_squeeze(max_pool(x2, &a, &tg_op_max_pool2d, &idx2), -2);
  if (indices) *indices = tg_keep(tg_squeeze(idx2, -2));
  return tg_scope_return(out);
}

/* ---- the modules ---- */

typedef enum { MAX_POOL2D, MAX_POOL1D, ADAPTIVE_MAX_POOL2D } max_pool_type;

typedef struct max_pool_module {
  tg_module base;
  max_pool_type type;
  tg_pool_opts opts;
  int64_t output_size[2]; /* adaptive */
} max_pool_module;

static tg_tensor *max_pool_module_run(tg_module *m, tg_tensor *x, tg_tensor **indices) {
  const max_pool_module *p = (const max_pool_module *)m;
  switch (p->type) {
  case ADAPTIVE_MAX_POOL2D:
    return tg_adaptive_max_pool2d(x, p->output_size[0], p->output_size[1], indices);
  case MAX_POOL1D:
    return tg_max_pool1d(x, &p->opts, indices);
  default:
    return tg_max_pool2d(x, &p->opts, indices);
  }
}

static tg_tensor *max_pool_module_forward(tg_module *m, tg_tensor *x) {
  return max_pool_module_run(m, x, NULL);
}

tg_tensor *tg_max_pool_forward(tg_module *m, tg_tensor *x, tg_tensor **indices) {
  if (m->vtable->forward != max_pool_module_forward)
    tg_error("tg_max_pool_forward: expected a MaxPool1d, MaxPool2d or AdaptiveMaxPool2d "
             "module, got %s",
             m->vtable->type_name);
  tg_scope_begin();
  tg_tensor *idx = NULL;
  tg_tensor *out = max_pool_module_run(m, x, &idx);
  if (indices) *indices = tg_keep(idx);
  return tg_scope_return(out);
}

static void max_pool_extra_repr(const tg_module *m, char *buf, size_t size) {
  const max_pool_module *p = (const max_pool_module *)m;
  const tg_pool_opts *o = &p->opts;
  bool one_d = p->type == MAX_POOL1D;
  int64_t stride[2] = {o->stride[0] ? o->stride[0] : o->kernel_size[0],
                       o->stride[1] ? o->stride[1] : o->kernel_size[1]};
  int64_t dilation[2] = {o->dilation[0] ? o->dilation[0] : 1,
                         o->dilation[1] ? o->dilation[1] : 1};
  const int64_t *pairs[4] = {o->kernel_size, stride, o->padding, dilation};
  char text[4][64];
  for (int i = 0; i < 4; i++)
    if (one_d)
      snprintf(text[i], sizeof text[i], "%lld", (long long)pairs[i][0]);
    else
      tg_nn_pair_repr(pairs[i], false, text[i], sizeof text[i]);
  snprintf(buf, size, "kernel_size=%s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s",
           text[0], text[1], text[2], text[3], o->ceil_mode ? "True" : "False");
}

static void adaptive_repr(const tg_module *m, char *buf, size_t size) {
  char text[64];
  tg_nn_pair_repr(((const max_pool_module *)m)->output_size, true, text, sizeof text);
  snprintf(buf, size, "output_size=%s", text);
}

static const tg_module_vtable max_pool2d_vtable = {"MaxPool2d", max_pool_module_forward,
                                                   NULL, max_pool_extra_repr};
static const tg_module_vtable max_pool1d_vtable = {"MaxPool1d", max_pool_module_forward,
                                                   NULL, max_pool_extra_repr};
static const tg_module_vtable adaptive_max_pool2d_vtable = {
    "AdaptiveMaxPool2d", max_pool_module_forward, NULL, adaptive_repr};

static tg_module *new_max_pool(const char *fn, const tg_module_vtable *vtable,
                               max_pool_type type, const tg_pool_opts *opts) {
  if (type != ADAPTIVE_MAX_POOL2D && !opts)
    tg_error("%s: opts must not be NULL (kernel_size has no default)", fn);
  max_pool_module *p = tg_module_new(vtable, sizeof *p);
  p->type = type;
  if (opts) p->opts = *opts;
  return &p->base;
}

tg_module *tg_nn_max_pool2d(const tg_pool_opts *opts) {
  return new_max_pool("tg_nn_max_pool2d", &max_pool2d_vtable, MAX_POOL2D, opts);
}

tg_module *tg_nn_max_pool1d(const tg_pool_opts *opts) {
  return new_max_pool("tg_nn_max_pool1d", &max_pool1d_vtable, MAX_POOL1D, opts);
}

tg_module *tg_nn_adaptive_max_pool2d(int64_t out_h, int64_t out_w) {
  tg_module *m = new_max_pool("tg_nn_adaptive_max_pool2d", &adaptive_max_pool2d_vtable,
                              ADAPTIVE_MAX_POOL2D, NULL);
  max_pool_module *p = (max_pool_module *)m;
  p->output_size[0] = out_h;
  p->output_size[1] = out_w;
  return m;
}
