/* Convolution, F.conv1d and F.conv2d with all their options (stride,
 * padding or 'same' / 'valid', dilation, groups), as one op whose kernels
 * (conv_kernels.c) build column matrices in scratch memory: nothing but
 * the output goes on the tape.
 *
 * Its backward needs two more products, the input's gradient (a transposed
 * convolution) and the weight's. Each is an op of its own, and the three
 * are each other's derivatives:
 *   conv(x, w)               d/dx: input_grad(g, w)    d/dw: weight_grad(x, g)
 *   input_grad(gout, w)      d/dgout: conv(h, w)       d/dw: weight_grad(h, gout)
 *   weight_grad(x, gout)     d/dx: input_grad(gout, h) d/dgout: conv(x, h)
 * so a convolution differentiates to any order. */
#include <stdio.h>

#include "nn/conv.h"
#include "nn/nn_internal.h"

tg_shape tg_nn_conv_input_shape(const tg_conv_geometry *g) {
  return g->spatial == 2 ? TG_SHAPE(g->n, g->c, g->h, g->w) : TG_SHAPE(g->n, g->c, g->w);
}

tg_shape tg_nn_conv_weight_shape(const tg_conv_geometry *g) {
  int64_t cg = g->c / g->groups;
  return g->spatial == 2 ? TG_SHAPE(g->o, cg, g->kh, g->kw) : TG_SHAPE(g->o, cg, g->kw);
}

tg_shape tg_nn_conv_output_shape(const tg_conv_geometry *g) {
  return g->spatial == 2 ? TG_SHAPE(g->n, g->o, g->oh, g->ow)
                         : TG_SHAPE(g->n, g->o, g->ow);
}

static tg_tensor *convolution(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                              const tg_conv_geometry *g);
static tg_tensor *conv_input_grad(tg_tensor *gout, tg_tensor *w,
                                  const tg_conv_geometry *g);
static tg_tensor *conv_weight_grad(tg_tensor *x, tg_tensor *gout,
                                   const tg_conv_geometry *g);

static void record(const tg_op *op, tg_tensor *out, int n, tg_tensor **inputs,
                   const tg_conv_geometry *g) {
  tg_node *node = tg_record(op, out, n, inputs);
  if (node) *(tg_conv_geometry *)tg_node_args(node) = *g;
}

/* The kernels read contiguous data; detached, so no copy is recorded. */
static const void *data_of(tg_tensor *t) {
  return t ? tg_ptr(tg_contiguous(tg_detach(t))) : NULL;
}

/* out = kernel(a, b), recorded as op on inputs a and b. */
typedef void (*conv_kernel)(const tg_conv_geometry *g, tg_dtype dtype, const void *a,
                            const void *b, void *out);
static tg_tensor *product(const tg_op *op, conv_kernel kernel, tg_tensor *out,
                          tg_tensor *a, tg_tensor *b, const tg_conv_geometry *g) {
  tg_scope_begin();
  kernel(g, a->dtype, data_of(a), data_of(b), tg_ptr(out));
  tg_scope_end();
  record(op, out, 2, (tg_tensor *[]){a, b}, g);
  return out;
}

/* ---- the input's gradient: a transposed convolution of gout with w ---- */

static void conv_input_grad_backward(tg_node *node, tg_tensor *h, tg_tensor **grads) {
  const tg_conv_geometry *g = tg_node_args(node);
  tg_tensor *gout = tg_node_input(node, 0), *w = tg_node_input(node, 1);
  if (tg_needs_input_grad(node, 0)) grads[0] = convolution(h, w, NULL, g);
  if (tg_needs_input_grad(node, 1)) grads[1] = conv_weight_grad(h, gout, g);
}

const tg_op tg_op_conv_input_grad = {.name = "ConvolutionBackwardBackward0",
                                     .backward = conv_input_grad_backward,
                                     .args_size = sizeof(tg_conv_geometry),
                                     .keeps_inputs =
                                         TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

static tg_tensor *conv_input_grad(tg_tensor *gout, tg_tensor *w,
                                  const tg_conv_geometry *g) {
  tg_tensor *gx = tg_alloc(tg_nn_conv_input_shape(g), gout->dtype);
  return product(&tg_op_conv_input_grad, tg_nn_conv_input_grad, gx, gout, w, g);
}

/* ---- the weight's gradient: gout correlated with x ---- */

static void conv_weight_grad_backward(tg_node *node, tg_tensor *h, tg_tensor **grads) {
  const tg_conv_geometry *g = tg_node_args(node);
  tg_tensor *x = tg_node_input(node, 0), *gout = tg_node_input(node, 1);
  if (tg_needs_input_grad(node, 0)) grads[0] = conv_input_grad(gout, h, g);
  if (tg_needs_input_grad(node, 1)) grads[1] = convolution(x, h, NULL, g);
}

const tg_op tg_op_conv_weight_grad = {.name = "ConvolutionBackwardBackward0",
                                      .backward = conv_weight_grad_backward,
                                      .args_size = sizeof(tg_conv_geometry),
                                      .keeps_inputs =
                                          TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

static tg_tensor *conv_weight_grad(tg_tensor *x, tg_tensor *gout,
                                   const tg_conv_geometry *g) {
  tg_tensor *gw = tg_alloc(tg_nn_conv_weight_shape(g), x->dtype);
  return product(&tg_op_conv_weight_grad, tg_nn_conv_weight_grad, gw, x, gout, g);
}

/* ---- the convolution ---- */

/* The input's and the weight's gradients, those that are needed. */
static void conv_products_backward(tg_node *node, tg_tensor *gout, tg_tensor **grads) {
  const tg_conv_geometry *g = tg_node_args(node);
  tg_tensor *x = tg_node_input(node, 0), *w = tg_node_input(node, 1);
  if (tg_needs_input_grad(node, 0)) grads[0] = conv_input_grad(gout, w, g);
  if (tg_needs_input_grad(node, 1)) grads[1] = conv_weight_grad(x, gout, g);
}

static void convolution_backward(tg_node *node, tg_tensor *gout, tg_tensor **grads) {
  const tg_conv_geometry *g = tg_node_args(node);
  conv_products_backward(node, gout, grads);
  if (tg_needs_input_grad(node, 2))
    grads[2] = tg_sum(gout, g->spatial == 2 ? TG_DIMS(0, 2, 3) : TG_DIMS(0, 2), false);
}

/* The same when the backward is not recorded: the bias's gradient is then
 * one pass over the planes instead of a strided reduction. */
static void convolution_backward_fused(tg_node *node, tg_tensor *gout,
                                       tg_tensor **grads) {
  const tg_conv_geometry *g = tg_node_args(node);
  conv_products_backward(node, gout, grads);
  if (!tg_needs_input_grad(node, 2)) return;
  grads[2] = tg_alloc(TG_SHAPE(g->o), gout->dtype);
  tg_scope_begin();
  tg_nn_conv_bias_grad(g, gout->dtype, data_of(gout), tg_ptr(grads[2]));
  tg_scope_end();
}

const tg_op tg_op_convolution = {.name = "ConvolutionBackward0",
                                 .backward = convolution_backward,
                                 .backward_fused = convolution_backward_fused,
                                 .args_size = sizeof(tg_conv_geometry),
                                 .keeps_inputs = TG_KEEPS(TG_INPUT(0) | TG_INPUT(1), 0)};

static tg_tensor *convolution(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                              const tg_conv_geometry *g) {
  tg_tensor *out = tg_alloc(tg_nn_conv_output_shape(g), x->dtype);
  tg_scope_begin();
  tg_nn_conv_forward(g, x->dtype, data_of(x), data_of(w), data_of(b), tg_ptr(out));
  tg_scope_end();
  record(&tg_op_convolution, out, 3, (tg_tensor *[]){x, w, b}, g);
  return out;
}

/* ---- arguments: PyTorch's checks and messages ---- */

static const char *sizes_str(int spatial, int64_t h, int64_t w, char *buf, size_t size) {
  if (spatial == 2)
    snprintf(buf, size, "%lld x %lld", (long long)h, (long long)w);
  else
    snprintf(buf, size, "%lld", (long long)w);
  return buf;
}

static void check_options(const char *op, const tg_conv_opts *o) {
  for (int i = 0; i < 2; i++) {
    if (o->stride[i] < 0) tg_error("%s: non-positive stride is not supported", op);
    if (o->padding[i] < 0) tg_error("%s: negative padding is not supported", op);
    if (o->dilation[i] < 0) tg_error("%s: dilation should be greater than zero", op);
  }
  if (o->groups < 0) tg_error("%s: non-positive groups is not supported", op);
  if (o->padding_rule < TG_PADDING_EXPLICIT || o->padding_rule > TG_PADDING_SAME)
    tg_error("%s: padding_rule %d is not TG_PADDING_EXPLICIT, _VALID or _SAME", op,
             (int)o->padding_rule);
}

static int64_t or_one(int64_t v) {
  return v ? v : 1;
}

/* Padding before and after one dim of kernel k with dilation d. */
static void padding_of(const char *op, const tg_conv_opts *o, int i, int64_t k, int64_t d,
                       int64_t *before, int64_t *after) {
  int64_t total = tg_kernel_extent(op, k, d) - 1;
  if (o->padding_rule == TG_PADDING_SAME) { /* the odd one goes after, as in ATen */
    *before = total / 2;
    *after = total - *before;
  } else {
    *before = *after = o->padding_rule == TG_PADDING_VALID ? 0 : o->padding[i];
  }
}

/* Height and width of the geometry from the options (dim i of a pair is
 * the height for conv2d; conv1d uses element 0 for its width). */
static void spatial_geometry(const char *op, tg_conv_geometry *g, const tg_conv_opts *o) {
  int iw = g->spatial == 2 ? 1 : 0;
  g->sh = g->spatial == 2 ? or_one(o->stride[0]) : 1;
  g->sw = or_one(o->stride[iw]);
  g->dh = g->spatial == 2 ? or_one(o->dilation[0]) : 1;
  g->dw = or_one(o->dilation[iw]);
  if (o->padding_rule == TG_PADDING_SAME && (g->sh != 1 || g->sw != 1))
    tg_error("%s: padding='same' is not supported for strided convolutions", op);
  int64_t pb = 0, pr;
  g->pt = 0;
  if (g->spatial == 2) padding_of(op, o, 0, g->kh, g->dh, &g->pt, &pb);
  padding_of(op, o, iw, g->kw, g->dw, &g->pl, &pr);
  int64_t ph = tg_padded_size(op, g->h, g->pt, pb),
          pw = tg_padded_size(op, g->w, g->pl, pr);
  int64_t eh = tg_kernel_extent(op, g->kh, g->dh),
          ew = tg_kernel_extent(op, g->kw, g->dw);
  if (ph < eh || pw < ew) {
    char a[64], b[64];
    tg_error("%s: Calculated padded input size per channel: (%s). Kernel size: (%s). "
             "Kernel size can't be greater than actual input size",
             op, sizes_str(g->spatial, ph, pw, a, sizeof a),
             sizes_str(g->spatial, eh, ew, b, sizeof b));
  }
  g->oh = (ph - eh) / g->sh + 1;
  g->ow = (pw - ew) / g->sw + 1;
}

static void check_tensors(const char *op, int spatial, const tg_tensor *x,
                          const tg_tensor *w, const tg_tensor *b) {
  char sx[TG_SHAPE_STR_MAX], sw[TG_SHAPE_STR_MAX];
  bool floating = x->dtype == TG_FLOAT32 || x->dtype == TG_FLOAT64;
  if (!floating || w->dtype != x->dtype || (b && b->dtype != x->dtype))
    tg_error(
        "%s: input, weight and bias must be float32 or float64 of one dtype, got %s, "
        "%s and %s",
        op, tg_dtype_name(x->dtype), tg_dtype_name(w->dtype),
        b ? tg_dtype_name(b->dtype) : "no bias");
  if (w->ndim != spatial + 2)
    tg_error("%s: expected a %dD weight (out_channels, in_channels / groups, %s), got "
             "weight of size %s",
             op, spatial + 2, spatial == 2 ? "kH, kW" : "kW",
             tg_shape_str(tg_shape_of(w), sw));
  if (x->ndim != spatial + 2)
    tg_error("%s: Expected %dD (unbatched) or %dD (batched) input to conv%dd, but got "
             "input of size: %s",
             op, spatial + 1, spatial + 2, spatial, tg_shape_str(tg_shape_of(x), sx));
}

static void check_channels(const char *op, const tg_tensor *x, const tg_tensor *w,
                           const tg_tensor *b, int64_t groups) {
  char sx[TG_SHAPE_STR_MAX], sw[TG_SHAPE_STR_MAX], sb[TG_SHAPE_STR_MAX];
  const char *w_str = tg_shape_str(tg_shape_of(w), sw);
  if (w->shape[0] < groups)
    tg_error("%s: Given groups=%lld, expected weight to be at least %lld at dimension 0, "
             "but got weight of size %s instead",
             op, (long long)groups, (long long)groups, w_str);
  if (w->shape[0] % groups)
    tg_error(
        "%s: Given groups=%lld, expected weight to be divisible by %lld at dimension "
        "0, but got weight of size %s instead",
        op, (long long)groups, (long long)groups, w_str);
  if (w->shape[1] * groups != x->shape[1])
    tg_error("%s: Given groups=%lld, weight of size %s, expected input%s to have %lld "
             "channels, but got %lld channels instead",
             op, (long long)groups, w_str, tg_shape_str(tg_shape_of(x), sx),
             (long long)(w->shape[1] * groups), (long long)x->shape[1]);
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
    tg_error("%s: Given weight of size %s, expected bias to be 1-dimensional with %lld "
             "elements, but got bias of size %s instead",
             op, w_str, (long long)w->shape[0], tg_shape_str(tg_shape_of(b), sb));
}

/* The batched convolution, x (N, C, [H,] W). */
static tg_tensor *conv_batched(const char *op, int spatial, tg_tensor *x, tg_tensor *w,
                               tg_tensor *b, const tg_conv_opts *o) {
  check_tensors(op, spatial, x, w, b);
  int64_t groups = or_one(o->groups);
  check_channels(op, x, w, b, groups);
  tg_conv_geometry g = {.n = x->shape[0],
                        .c = x->shape[1],
                        .h = spatial == 2 ? x->shape[2] : 1,
                        .w = x->shape[x->ndim - 1],
                        .o = w->shape[0],
                        .kh = spatial == 2 ? w->shape[2] : 1,
                        .kw = w->shape[w->ndim - 1],
                        .groups = groups,
                        .spatial = spatial};
  spatial_geometry(op, &g, o);
  return convolution(x, w, b, &g);
}

/* PyTorch's conv1d/conv2d: an unbatched input gains a batch dim of 1 that
 * the output loses again. */
static tg_tensor *conv_nd(const char *op, int spatial, tg_tensor *x, tg_tensor *w,
                          tg_tensor *b, const tg_conv_opts *opts) {
  tg_conv_opts o = opts ? *opts : (tg_conv_opts){0};
  check_options(op, &o);
  if (x->ndim != spatial + 1) return conv_batched(op, spatial, x, w, b, &o);
  tg_scope_begin();
  tg_tensor *out = conv_batched(op, spatial, tg_unsqueeze(x, 0), w, b, &o);
  return tg_scope_return(tg_squeeze(out, 0));
}

tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                     const tg_conv_opts *opts) {
  return conv_nd("tg_conv2d", 2, x, weight, bias, opts);
}

tg_tensor *tg_conv1d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                     const tg_conv_opts *opts) {
  return conv_nd("tg_conv1d", 1, x, weight, bias, opts);
}
