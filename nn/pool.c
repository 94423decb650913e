/* 2-D max pooling. The forward remembers which input element won each
 * window (PyTorch's indices, flat over H*W); the backward scatters the
 * gradient back through them with scatter_add, which is differentiable, so
 * double backward works too. */
#include <math.h>
#include <stdio.h>

#include "nn/nn_internal.h"
#include "tensor/core.h"

typedef struct pool_geometry {
  int64_t planes, h, w, k, stride, pad, out_h, out_w;
} pool_geometry;

#define POOL_LOOP(T)                                                                     \
  static void pool_##T(const pool_geometry *g, const T *in, T *out, int64_t *idx) {      \
    for (int64_t p = 0; p < g->planes; p++)                                              \
      for (int64_t oy = 0; oy < g->out_h; oy++)                                          \
        for (int64_t ox = 0; ox < g->out_w; ox++) {                                      \
          int64_t best = -1;                                                             \
          T best_v = -INFINITY;                                                          \
          for (int64_t y = oy * g->stride - g->pad; y < oy * g->stride - g->pad + g->k;  \
               y++)                                                                      \
            for (int64_t x = ox * g->stride - g->pad;                                    \
                 x < ox * g->stride - g->pad + g->k; x++) {                              \
              if (y < 0 || y >= g->h || x < 0 || x >= g->w) continue;                    \
              T v = in[(p * g->h + y) * g->w + x];                                       \
              if (best < 0 || v > best_v || isnan(v)) { /* NaN wins, as in torch */      \
                best = y * g->w + x;                                                     \
                best_v = v;                                                              \
                if (isnan(v)) goto done_##T;                                             \
              }                                                                          \
            }                                                                            \
          done_##T : out[(p * g->out_h + oy) * g->out_w + ox] = best_v;                  \
          idx[(p * g->out_h + oy) * g->out_w + ox] = best;                               \
        }                                                                                \
  }
POOL_LOOP(float)
POOL_LOOP(double)

static void max_pool2d_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input_meta(node, 0), *idx = tg_saved(node, 0);
  int64_t n = x->shape[0], c = x->shape[1];
  tg_tensor *flat = tg_zeros(TG_SHAPE(n, c, x->shape[2] * x->shape[3]), x->dtype);
  tg_tensor *g_flat = tg_reshape(g, TG_SHAPE(n, c, -1));
  tg_tensor *summed =
      tg_scatter_add(flat, 2, tg_reshape(idx, TG_SHAPE(n, c, -1)), g_flat);
  grads[0] = tg_view(summed, tg_shape_of(x));
}

const tg_op tg_op_max_pool2d = {.name = "max_pool2d", .backward = max_pool2d_backward};

tg_tensor *tg_max_pool2d(tg_tensor *x, int64_t kernel_size, int64_t stride,
                         int64_t padding) {
  char s[TG_SHAPE_STR_MAX];
  if (x->ndim != 4)
    tg_error("tg_max_pool2d: expected a 4-D input (N, C, H, W), got shape %s",
             tg_shape_str(tg_shape_of(x), s));
  if (x->dtype != TG_FLOAT32 && x->dtype != TG_FLOAT64)
    tg_error("tg_max_pool2d: expected a float32 or float64 tensor, got %s",
             tg_dtype_name(x->dtype));
  if (stride == 0) stride = kernel_size;
  if (kernel_size < 1 || stride < 1 || padding < 0 || 2 * padding > kernel_size)
    tg_error("tg_max_pool2d: need kernel_size >= 1, stride >= 1 and 0 <= padding <= "
             "kernel_size / 2, got %lld, %lld, %lld",
             (long long)kernel_size, (long long)stride, (long long)padding);
  pool_geometry g = {
      x->shape[0] * x->shape[1], x->shape[2], x->shape[3], kernel_size, stride, padding};
  g.out_h = (g.h + 2 * padding - kernel_size) / stride + 1;
  g.out_w = (g.w + 2 * padding - kernel_size) / stride + 1;
  if (g.h + 2 * padding < kernel_size || g.w + 2 * padding < kernel_size)
    tg_error(
        "tg_max_pool2d: kernel size %lld is larger than the padded input (%lldx%lld)",
        (long long)kernel_size, (long long)(g.h + 2 * padding),
        (long long)(g.w + 2 * padding));
  tg_scope_begin();
  tg_shape shape = TG_SHAPE(x->shape[0], x->shape[1], g.out_h, g.out_w);
  tg_tensor *out = tg_alloc(shape, x->dtype);
  tg_tensor *idx = tg_alloc(shape, TG_INT64);
  tg_tensor *in = tg_contiguous(x);
  if (x->dtype == TG_FLOAT32)
    pool_float(&g, tg_cdata_f32(in), tg_data_f32(out), tg_data_i64(idx));
  else
    pool_double(&g, tg_cdata_f64(in), tg_data_f64(out), tg_data_i64(idx));
  tg_node *node = tg_record(&tg_op_max_pool2d, out, 1, &x);
  if (node) tg_save(node, idx);
  return tg_scope_return(out);
}

typedef struct max_pool2d {
  tg_module base;
  int64_t kernel_size, stride, padding;
} max_pool2d;

static tg_tensor *max_pool2d_forward(tg_module *m, tg_tensor *x) {
  const max_pool2d *p = (const max_pool2d *)m;
  return tg_max_pool2d(x, p->kernel_size, p->stride, p->padding);
}

static void max_pool2d_extra_repr(const tg_module *m, char *buf, size_t size) {
  const max_pool2d *p = (const max_pool2d *)m;
  snprintf(buf, size,
           "kernel_size=%lld, stride=%lld, padding=%lld, dilation=1, ceil_mode=False",
           (long long)p->kernel_size, (long long)p->stride, (long long)p->padding);
}

static const tg_module_vtable max_pool2d_vtable = {"MaxPool2d", max_pool2d_forward, NULL,
                                                   max_pool2d_extra_repr};

tg_module *tg_nn_max_pool2d(int64_t kernel_size, int64_t stride, int64_t padding) {
  max_pool2d *p = tg_module_new(&max_pool2d_vtable, sizeof *p);
  p->kernel_size = kernel_size;
  p->stride = stride ? stride : kernel_size;
  p->padding = padding;
  return &p->base;
}
