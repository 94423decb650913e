/* 2-D convolution as im2col + GEMM. unfold (im2col) and fold (col2im) are
 * linear and each other's adjoint, so each is the other's backward and the
 * convolution, built from them and matmul, differentiates to any order. */
#include <math.h>
#include <stdio.h>

#include "nn/nn_internal.h"
#include "tensor/core.h"

/* Geometry shared by unfold and fold: image (H, W), square kernel k. */
typedef struct window {
  int64_t n, c, h, w, k, stride, pad, out_h, out_w;
} window;

static int64_t out_size(int64_t in, int64_t k, int64_t stride, int64_t pad) {
  return (in + 2 * pad - k) / stride + 1;
}

static void check_window(const char *op, int64_t h, int64_t w, int64_t k, int64_t stride,
                         int64_t pad) {
  if (k < 1 || stride < 1 || pad < 0)
    tg_error(
        "%s: kernel_size (%lld) and stride (%lld) must be positive and padding (%lld) "
        "not negative",
        op, (long long)k, (long long)stride, (long long)pad);
  if (h + 2 * pad < k || w + 2 * pad < k)
    tg_error("%s: kernel size %lld is larger than the padded input (%lldx%lld)", op,
             (long long)k, (long long)(h + 2 * pad), (long long)(w + 2 * pad));
}

/* Walks every (patch row, column) pair; `to_cols` copies image -> cols,
 * otherwise accumulates cols -> image. Both tensors contiguous. */
#define WINDOW_LOOP(T)                                                                   \
  static void walk_##T(const window *g, T *img, T *cols, bool to_cols) {                 \
    int64_t rows = g->c * g->k * g->k, len = g->out_h * g->out_w;                        \
    for (int64_t n = 0; n < g->n; n++)                                                   \
      for (int64_t r = 0; r < rows; r++) {                                               \
        int64_t c = r / (g->k * g->k), ki = r / g->k % g->k, kj = r % g->k;              \
        T *plane = img + (n * g->c + c) * g->h * g->w;                                   \
        T *line = cols + (n * rows + r) * len;                                           \
        for (int64_t oy = 0; oy < g->out_h; oy++) {                                      \
          int64_t y = oy * g->stride - g->pad + ki;                                      \
          for (int64_t ox = 0; ox < g->out_w; ox++) {                                    \
            int64_t x = ox * g->stride - g->pad + kj;                                    \
            bool inside = y >= 0 && y < g->h && x >= 0 && x < g->w;                      \
            T *slot = &line[oy * g->out_w + ox];                                         \
            if (to_cols)                                                                 \
              *slot = inside ? plane[y * g->w + x] : 0;                                  \
            else if (inside)                                                             \
              plane[y * g->w + x] += *slot;                                              \
          }                                                                              \
        }                                                                                \
      }                                                                                  \
  }
WINDOW_LOOP(float)
WINDOW_LOOP(double)

/* Reads one side and writes the other, which is always a fresh tensor: the
 * const accessors keep checked mode from counting the read side a write. */
static void walk(const window *g, tg_tensor *img, tg_tensor *cols, bool to_cols) {
  if (img->dtype == TG_FLOAT32)
    walk_float(g, (float *)tg_cdata_f32(img), (float *)tg_cdata_f32(cols), to_cols);
  else
    walk_double(g, (double *)tg_cdata_f64(img), (double *)tg_cdata_f64(cols), to_cols);
}

static void unfold_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const window *w = tg_node_args(node);
  grads[0] = tg_fold(g, w->h, w->w, w->k, w->stride, w->pad);
}

static void fold_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const window *w = tg_node_args(node);
  grads[0] = tg_unfold(g, w->k, w->stride, w->pad);
}

const tg_op tg_op_unfold = {
    .name = "unfold", .backward = unfold_backward, .args_size = sizeof(window)};
const tg_op tg_op_fold = {
    .name = "fold", .backward = fold_backward, .args_size = sizeof(window)};

static void record(const tg_op *op, tg_tensor *out, tg_tensor *in, const window *g) {
  tg_node *node = tg_record(op, out, 1, &in);
  if (node) *(window *)tg_node_args(node) = *g;
}

static void check_float(const char *op, const tg_tensor *t) {
  if (t->dtype != TG_FLOAT32 && t->dtype != TG_FLOAT64)
    tg_error("%s: expected a float32 or float64 tensor, got %s", op,
             tg_dtype_name(t->dtype));
}

tg_tensor *tg_unfold(tg_tensor *x, int64_t kernel_size, int64_t stride, int64_t padding) {
  char s[TG_SHAPE_STR_MAX];
  check_float("tg_unfold", x);
  if (x->ndim != 4)
    tg_error("tg_unfold: expected a 4-D input (N, C, H, W), got shape %s",
             tg_shape_str(tg_shape_of(x), s));
  window g = {x->shape[0], x->shape[1], x->shape[2], x->shape[3],
              kernel_size, stride,      padding};
  check_window("tg_unfold", g.h, g.w, g.k, stride, padding);
  g.out_h = out_size(g.h, g.k, stride, padding);
  g.out_w = out_size(g.w, g.k, stride, padding);
  tg_scope_begin();
  tg_tensor *cols = tg_alloc(TG_SHAPE(g.n, g.c * g.k * g.k, g.out_h * g.out_w), x->dtype);
  walk(&g, tg_contiguous(x), cols, true);
  record(&tg_op_unfold, cols, x, &g);
  return tg_scope_return(cols);
}

tg_tensor *tg_fold(tg_tensor *cols, int64_t height, int64_t width, int64_t kernel_size,
                   int64_t stride, int64_t padding) {
  char s[TG_SHAPE_STR_MAX];
  check_float("tg_fold", cols);
  check_window("tg_fold", height, width, kernel_size, stride, padding);
  int64_t kk = kernel_size * kernel_size;
  window g = {0,
              0,
              height,
              width,
              kernel_size,
              stride,
              padding,
              out_size(height, kernel_size, stride, padding),
              out_size(width, kernel_size, stride, padding)};
  if (cols->ndim != 3 || cols->shape[1] % kk || cols->shape[2] != g.out_h * g.out_w)
    tg_error("tg_fold: expected patches of shape (N, C*%lld, %lld) for a %lldx%lld "
             "image, got %s",
             (long long)kk, (long long)(g.out_h * g.out_w), (long long)height,
             (long long)width, tg_shape_str(tg_shape_of(cols), s));
  g.n = cols->shape[0];
  g.c = cols->shape[1] / kk;
  tg_scope_begin();
  tg_tensor *img = tg_zeros(TG_SHAPE(g.n, g.c, height, width), cols->dtype);
  walk(&g, img, tg_contiguous(cols), false);
  record(&tg_op_fold, img, cols, &g);
  return tg_scope_return(img);
}

tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias, int64_t stride,
                     int64_t padding) {
  char sx[TG_SHAPE_STR_MAX], sw[TG_SHAPE_STR_MAX];
  if (x->ndim != 4)
    tg_error("tg_conv2d: expected a 4-D input (N, C, H, W), got shape %s",
             tg_shape_str(tg_shape_of(x), sx));
  if (weight->ndim != 4 || weight->shape[2] != weight->shape[3] ||
      weight->shape[1] != x->shape[1])
    tg_error(
        "tg_conv2d: weight of shape %s (out, in, k, k) does not fit an input of shape %s",
        tg_shape_str(tg_shape_of(weight), sw), tg_shape_str(tg_shape_of(x), sx));
  if (x->dtype != weight->dtype || (bias && bias->dtype != x->dtype))
    tg_error("tg_conv2d: input, weight and bias must share a dtype, got %s and %s",
             tg_dtype_name(x->dtype), tg_dtype_name(weight->dtype));
  int64_t out_ch = weight->shape[0], k = weight->shape[2];
  if (bias && (bias->ndim != 1 || bias->shape[0] != out_ch))
    tg_error("tg_conv2d: bias of shape %s does not match %lld output channels",
             tg_shape_str(tg_shape_of(bias), sx), (long long)out_ch);
  check_window("tg_conv2d", x->shape[2], x->shape[3], k, stride, padding);
  tg_scope_begin();
  tg_tensor *cols = tg_unfold(x, k, stride, padding);       /* (N, C*k*k, L) */
  tg_tensor *w2 = tg_reshape(weight, TG_SHAPE(out_ch, -1)); /* (O, C*k*k) */
  tg_tensor *out = tg_matmul(w2, cols);                     /* (N, O, L) */
  if (bias) out = tg_add(out, tg_view(bias, TG_SHAPE(out_ch, 1)));
  out = tg_view(out,
                TG_SHAPE(x->shape[0], out_ch, out_size(x->shape[2], k, stride, padding),
                         out_size(x->shape[3], k, stride, padding)));
  return tg_scope_return(tg_name_grad_fn(out, x, "ConvolutionBackward0"));
}

/* ---- nn.Conv2d ---- */

typedef struct conv2d {
  tg_module base;
  int64_t in_channels, out_channels, kernel_size, stride, padding;
  tg_tensor *weight, *bias;
} conv2d;

static tg_tensor *conv2d_forward(tg_module *m, tg_tensor *x) {
  conv2d *c = (conv2d *)m;
  return tg_conv2d(x, c->weight, c->bias, c->stride, c->padding);
}

static void conv2d_extra_repr(const tg_module *m, char *buf, size_t size) {
  const conv2d *c = (const conv2d *)m;
  int n = snprintf(buf, size, "%lld, %lld, kernel_size=(%lld, %lld), stride=(%lld, %lld)",
                   (long long)c->in_channels, (long long)c->out_channels,
                   (long long)c->kernel_size, (long long)c->kernel_size,
                   (long long)c->stride, (long long)c->stride);
  if (n < 0 || (size_t)n >= size) return;
  if (c->padding)
    n += snprintf(buf + n, size - (size_t)n, ", padding=(%lld, %lld)",
                  (long long)c->padding, (long long)c->padding);
  if (!c->bias && (size_t)n < size) snprintf(buf + n, size - (size_t)n, ", bias=False");
}

static const tg_module_vtable conv2d_vtable = {"Conv2d", conv2d_forward, NULL,
                                               conv2d_extra_repr};

tg_module *tg_nn_conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                        int64_t stride, int64_t padding, bool bias) {
  if (in_channels < 1 || out_channels < 1 || kernel_size < 1 || stride < 1 || padding < 0)
    tg_error("tg_nn_conv2d: channels (%lld, %lld), kernel_size (%lld) and stride (%lld) "
             "must be "
             "positive and padding (%lld) not negative",
             (long long)in_channels, (long long)out_channels, (long long)kernel_size,
             (long long)stride, (long long)padding);
  conv2d *c = tg_module_new(&conv2d_vtable, sizeof *c);
  *c = (conv2d){c->base, in_channels, out_channels, kernel_size,
                stride,  padding,     NULL,         NULL};
  c->weight = tg_nn_new_param(
      &c->base, "weight", TG_SHAPE(out_channels, in_channels, kernel_size, kernel_size));
  c->bias = bias ? tg_nn_new_param(&c->base, "bias", TG_SHAPE(out_channels))
                 : tg_module_register_parameter(&c->base, "bias", NULL);
  tg_nn_default_init(c->weight, c->bias);
  return &c->base;
}
