/* Private to nn/: what max pooling (pool.c) and average pooling
 * (avg_pool.c) share: the checked geometry a node keeps, the windows it
 * gives along each axis, and the modules' repr. */
#ifndef TG_NN_POOL_H
#define TG_NN_POOL_H

#include "nn/nn_internal.h"

typedef enum { POOL_MAX, POOL_AVG, POOL_ADAPTIVE } pool_kind;

/* The checked options, with defaults filled in, and the shapes they map
 * between. Kept on the node (tg_node_args), so a backward rebuilds the
 * windows from it. */
typedef struct pool_args {
  pool_kind kind;
  int64_t kernel[2], stride[2], padding[2], dilation[2], divisor_override;
  bool ceil_mode, count_include_pad;
  int64_t planes; /* N * C */
  tg_shape in_shape, out_shape;
} pool_args;

/* The windows along one axis: output i reads the inputs start[i],
 * start[i] + step, ... below end[i] (all inside the input; empty when
 * start[i] >= end[i]); avg pooling's divisor takes size[i] from this axis. */
typedef struct pool_axis {
  int64_t in, out, step;
  const int64_t *start, *end, *size;
} pool_axis;

typedef struct pool_windows {
  int64_t planes;
  pool_axis h, w;
  int64_t divisor_override; /* 0: size_h * size_w */
  bool divide_per_axis;     /* adaptive: sum / size_h / size_w, as ATen */
} pool_windows;

/* One pass of a pooling over whole planes (N * C of them), a job for the
 * threads: each plane is pooled, or its gradient scattered back, on its
 * own, so the result does not depend on the thread count. */
typedef struct pool_job {
  const pool_windows *w; /* NULL for the scatter, which reads indices only */
  /* elements per plane of the pooling's input and of its output, in the
   * forward and the backward alike */
  int64_t planes, plane_in, plane_out;
  const void *src;  /* the forward's input; a backward's output gradient */
  void *dst;        /* the forward's output; a backward's input gradient */
  int64_t *indices; /* max pooling's argmax: written forward, read back */
} pool_job;

/* The job of a pooling over w's planes (their sizes read from w): src and
 * dst as in pool_job, no indices. */
pool_job tg_nn_pool_window_job(const pool_windows *w, const void *src, void *dst);

/* fn(begin, end, job) over the job's planes, split across the threads
 * when they are many and large enough. */
void tg_nn_pool_planes(const pool_job *job, void (*fn)(int64_t, int64_t, void *));

/* Checks x and opts as PyTorch does (errors name fn) and returns the
 * geometry of max (with dilation) or avg pooling. */
pool_args tg_nn_pool_args(const char *fn, pool_kind kind, const tg_tensor *x,
                          const tg_pool_opts *opts);
/* The same for adaptive pooling to (out_h, out_w), 0 meaning the input's. */
pool_args tg_nn_adaptive_pool_args(const char *fn, const tg_tensor *x, int64_t out_h,
                                   int64_t out_w);
/* The windows of a; their tables are scope-owned tensors. */
pool_windows tg_nn_pool_windows(const pool_args *a);

/* MaxPool2d(2)'s jobs (max_pool_2x2.c): the forward over a pool_job's
 * planes (windows, src, dst, indices), and the backward writing the whole
 * input gradient dst from src (the output's gradient) and the indices. */
void tg_nn_max_pool_2x2_f32(int64_t begin, int64_t end, void *job);
void tg_nn_max_pool_2x2_f64(int64_t begin, int64_t end, void *job);
void tg_nn_max_pool_2x2_backward_f32(int64_t begin, int64_t end, void *job);
void tg_nn_max_pool_2x2_backward_f64(int64_t begin, int64_t end, void *job);

/* "2" when both are equal, "(2, 3)" otherwise; "None" for a 0 of an
 * adaptive output size. */
void tg_nn_pair_repr(const int64_t pair[2], bool zero_is_none, char *buf, size_t size);

#endif
