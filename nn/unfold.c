/* F.unfold (im2col) and F.fold (col2im) with square windows: the column
 * matrices of the convolution's kernels as tensors of their own. They are
 * linear and each other's adjoint, so each is the other's backward and both
 * differentiate to any order. The convolution itself never builds them. */
#include "nn/conv.h"
#include "nn/nn_internal.h"

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

static void check_float(const char *op, const tg_tensor *t) {
  if (t->dtype != TG_FLOAT32 && t->dtype != TG_FLOAT64)
    tg_error("%s: expected a float32 or float64 tensor, got %s", op,
             tg_dtype_name(t->dtype));
}

/* The windows of an h x w image of c channels (n images). */
static tg_conv_geometry window(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k,
                               int64_t stride, int64_t pad) {
  return (tg_conv_geometry){.n = n,
                            .c = c,
                            .h = h,
                            .w = w,
                            .o = 1,
                            .kh = k,
                            .kw = k,
                            .sh = stride,
                            .sw = stride,
                            .dh = 1,
                            .dw = 1,
                            .pt = pad,
                            .pl = pad,
                            .oh = (h + 2 * pad - k) / stride + 1,
                            .ow = (w + 2 * pad - k) / stride + 1,
                            .groups = 1,
                            .spatial = 2};
}

static void unfold_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const tg_conv_geometry *w = tg_node_args(node);
  grads[0] = tg_fold(g, w->h, w->w, w->kh, w->sh, w->pt);
}

static void fold_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const tg_conv_geometry *w = tg_node_args(node);
  grads[0] = tg_unfold(g, w->kh, w->sh, w->pt);
}

const tg_op tg_op_unfold = {.name = "Im2ColBackward0",
                            .backward = unfold_backward,
                            .args_size = sizeof(tg_conv_geometry),
                            .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_fold = {.name = "Col2ImBackward0",
                          .backward = fold_backward,
                          .args_size = sizeof(tg_conv_geometry),
                          .keeps_inputs = TG_KEEPS_NONE};

static void record(const tg_op *op, tg_tensor *out, tg_tensor *in,
                   const tg_conv_geometry *g) {
  tg_node *node = tg_record(op, out, 1, &in);
  if (node) *(tg_conv_geometry *)tg_node_args(node) = *g;
}

/* Bytes of one image's planes and of its column matrix. */
static int64_t image_bytes(const tg_conv_geometry *g, tg_dtype dtype) {
  return g->c * g->h * g->w * (int64_t)tg_dtype_size(dtype);
}
static int64_t cols_bytes(const tg_conv_geometry *g, tg_dtype dtype) {
  return g->c * g->kh * g->kw * g->oh * g->ow * (int64_t)tg_dtype_size(dtype);
}

tg_tensor *tg_unfold(tg_tensor *x, int64_t kernel_size, int64_t stride, int64_t padding) {
  char s[TG_SHAPE_STR_MAX];
  check_float("tg_unfold", x);
  if (x->ndim != 4)
    tg_error("tg_unfold: expected a 4-D input (N, C, H, W), got shape %s",
             tg_shape_str(tg_shape_of(x), s));
  check_window("tg_unfold", x->shape[2], x->shape[3], kernel_size, stride, padding);
  tg_conv_geometry g = window(x->shape[0], x->shape[1], x->shape[2], x->shape[3],
                              kernel_size, stride, padding);
  tg_scope_begin();
  tg_tensor *cols = tg_alloc(TG_SHAPE(g.n, g.c * g.kh * g.kw, g.oh * g.ow), x->dtype);
  const char *img = tg_ptr(tg_contiguous(tg_detach(x)));
  for (int64_t i = 0; i < g.n; i++)
    tg_nn_im2col(&g, x->dtype, img + i * image_bytes(&g, x->dtype), g.c,
                 tg_ptr(cols) + i * cols_bytes(&g, x->dtype));
  record(&tg_op_unfold, cols, x, &g);
  return tg_scope_return(cols);
}

tg_tensor *tg_fold(tg_tensor *cols, int64_t height, int64_t width, int64_t kernel_size,
                   int64_t stride, int64_t padding) {
  char s[TG_SHAPE_STR_MAX];
  check_float("tg_fold", cols);
  check_window("tg_fold", height, width, kernel_size, stride, padding);
  int64_t kk = kernel_size * kernel_size;
  tg_conv_geometry g = window(0, 0, height, width, kernel_size, stride, padding);
  if (cols->ndim != 3 || cols->shape[1] % kk || cols->shape[2] != g.oh * g.ow)
    tg_error("tg_fold: expected patches of shape (N, C*%lld, %lld) for a %lldx%lld "
             "image, got %s",
             (long long)kk, (long long)(g.oh * g.ow), (long long)height, (long long)width,
             tg_shape_str(tg_shape_of(cols), s));
  g.n = cols->shape[0];
  g.c = cols->shape[1] / kk;
  tg_scope_begin();
  tg_tensor *img = tg_zeros(TG_SHAPE(g.n, g.c, height, width), cols->dtype);
  const char *src = tg_ptr(tg_contiguous(tg_detach(cols)));
  for (int64_t i = 0; i < g.n; i++)
    tg_nn_col2im(&g, cols->dtype, src + i * cols_bytes(&g, cols->dtype), g.c,
                 tg_ptr(img) + i * image_bytes(&g, cols->dtype));
  record(&tg_op_fold, img, cols, &g);
  return tg_scope_return(img);
}
