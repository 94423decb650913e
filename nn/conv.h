/* Private to nn/: the geometry of a convolution and the column kernels
 * behind it (conv_kernels.c), shared by the convolution ops (conv.c) and
 * unfold/fold (unfold.c). */
#ifndef TG_NN_CONV_H
#define TG_NN_CONV_H

#include "tensor/core.h"

/* Everything a convolution's kernels and backward need; it is also the
 * typed argument of the convolution ops' nodes. Conv1d is a conv2d of
 * height 1 (h = kh = oh = 1) that reports 3-D shapes (spatial = 1). */
typedef struct tg_conv_geometry {
  int64_t n, c, h, w;     /* input (batch, channels, height, width) */
  int64_t o, kh, kw;      /* weight (o, c / groups, kh, kw) */
  int64_t sh, sw, dh, dw; /* stride and dilation */
  int64_t pt, pl;         /* zeros before the image (top, left); the padding
                           * after it is whatever oh and ow leave over */
  int64_t oh, ow;         /* output height and width */
  int64_t groups;
  int spatial; /* 1: conv1d's 3-D tensors, 2: conv2d's 4-D ones */
} tg_conv_geometry;

/* Rows of the column matrix of one group: (c / groups) * kh * kw. */
static inline int64_t tg_nn_conv_col_rows(const tg_conv_geometry *g) {
  return g->c / g->groups * g->kh * g->kw;
}

/* The shapes of input, weight and output, 3-D or 4-D by g->spatial. */
tg_shape tg_nn_conv_input_shape(const tg_conv_geometry *g);
tg_shape tg_nn_conv_weight_shape(const tg_conv_geometry *g);
tg_shape tg_nn_conv_output_shape(const tg_conv_geometry *g);

/* im2col of `channels` planes of one image into cols, (channels * kh * kw)
 * rows of oh * ow: row (c, i, j) holds what kernel tap (i, j) of channel c
 * sees at each output position (0 in the padding). col2im adds such rows
 * back into the planes: the adjoint. */
void tg_nn_im2col(const tg_conv_geometry *g, tg_dtype dtype, const void *img,
                  int64_t channels, void *cols);
void tg_nn_col2im(const tg_conv_geometry *g, tg_dtype dtype, const void *cols,
                  int64_t channels, void *img);

/* The three products of a convolution, on contiguous data of g's shapes.
 * out = conv(x, w) + bias (bias may be NULL); gx = the gradient of the input
 * for the output gradient gout (every element written); gw = the gradient of
 * the weight. Split over the batch across tg_set_num_threads threads; the
 * results do not depend on the thread count. */
void tg_nn_conv_forward(const tg_conv_geometry *g, tg_dtype dtype, const void *x,
                        const void *w, const void *bias, void *out);
void tg_nn_conv_input_grad(const tg_conv_geometry *g, tg_dtype dtype, const void *gout,
                           const void *w, void *gx);
void tg_nn_conv_weight_grad(const tg_conv_geometry *g, tg_dtype dtype, const void *x,
                            const void *gout, void *gw);
/* gb = the bias's gradient, gout summed over images and pixels per channel
 * (LANES partial sums per plane, the planes added in order in float64). */
void tg_nn_conv_bias_grad(const tg_conv_geometry *g, tg_dtype dtype, const void *gout,
                          void *gb);

/* The stride-1 float32 kernels (conv_direct.c) behind the three above
 * where tg_nn_conv_direct_applies: products straight from padded planes,
 * no column matrix. input_grad writes every element of gx. */
bool tg_nn_conv_direct_applies(const tg_conv_geometry *g, tg_dtype dtype);
/* The weight gradient's kernel only where the product is thin (few output
 * channels times taps): wider ones go to the column kernels' GEMM. */
bool tg_nn_conv_direct_weight_applies(const tg_conv_geometry *g, tg_dtype dtype);
void tg_nn_conv_direct_forward(const tg_conv_geometry *g, const float *x, const float *w,
                               const float *bias, float *out);
void tg_nn_conv_direct_input_grad(const tg_conv_geometry *g, const float *gout,
                                  const float *w, float *gx);
void tg_nn_conv_direct_weight_grad(const tg_conv_geometry *g, const float *x,
                                   const float *gout, float *gw);

#endif
