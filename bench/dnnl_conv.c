/* oneDNN 2.6.3 (libdnnl-dev, PyTorch 1.13's CPU convolution library) beside
 * tensorgrad's convolution kernels (nn/conv_kernels.c) on the LeNet-5 and
 * Fashion-MNIST CNN shapes: forward, input gradient and weight (+ bias)
 * gradient, float32, ms per call. oneDNN runs twice: on plain NCHW / OIHW
 * tensors (what a backend on tensorgrad's layout would hand it), and on
 * the blocked layouts it picks itself (format "any"), reorders to and from
 * them not counted: its best case. Built only where CMake finds oneDNN;
 * not a bench/run.sh row (it has no PyTorch twin). bench/README.md records
 * a run. Usage: bench_dnnl_conv [--threads N] [--reps R] */
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "nn/conv.h"

static void check(dnnl_status_t status, const char *what) {
  if (status != dnnl_success) {
    fprintf(stderr, "bench_dnnl_conv: %s failed (dnnl status %d)\n", what, (int)status);
    exit(1);
  }
}

static float *filled(int64_t n) {
  float *p = malloc((size_t)n * sizeof *p);
  for (int64_t i = 0; i < n; i++) p[i] = (float)(i * 7919 % 1000) / 1000.f - 0.5f;
  return p;
}

typedef struct shape {
  const char *name;
  int64_t n, c, side, o, k, pad;
} shape;

/* The three oneDNN primitives of one convolution and their arguments. */
typedef struct dnnl_conv {
  dnnl_primitive_t prim[3];
  dnnl_exec_arg_t args[3][4];
  int n_args[3];
  const char *impl;
} dnnl_conv;

static dnnl_memory_t memory_for(dnnl_primitive_desc_t pd, dnnl_query_t what,
                                dnnl_engine_t eng) {
  dnnl_memory_t m;
  check(dnnl_memory_create(&m, dnnl_primitive_desc_query_md(pd, what, 0), eng,
                           DNNL_MEMORY_ALLOCATE),
        "dnnl_memory_create");
  return m;
}

static dnnl_conv dnnl_setup(const shape *s, bool blocked, dnnl_engine_t eng) {
  int64_t oh = s->side + 2 * s->pad - s->k + 1;
  dnnl_dims_t xd = {s->n, s->c, s->side, s->side}, wd = {s->o, s->c, s->k, s->k},
              bd = {s->o}, yd = {s->n, s->o, oh, oh}, stride = {1, 1},
              pad = {s->pad, s->pad};
  dnnl_format_tag_t act = blocked ? dnnl_format_tag_any : dnnl_nchw,
                    wgt = blocked ? dnnl_format_tag_any : dnnl_oihw;
  dnnl_memory_desc_t xm, wm, bm, ym;
  check(dnnl_memory_desc_init_by_tag(&xm, 4, xd, dnnl_f32, act), "x desc");
  check(dnnl_memory_desc_init_by_tag(&wm, 4, wd, dnnl_f32, wgt), "w desc");
  check(dnnl_memory_desc_init_by_tag(&bm, 1, bd, dnnl_f32, dnnl_x), "b desc");
  check(dnnl_memory_desc_init_by_tag(&ym, 4, yd, dnnl_f32, act), "y desc");
  dnnl_convolution_desc_t fd, dd, wdd;
  check(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training,
                                           dnnl_convolution_direct, &xm, &wm, &bm, &ym,
                                           stride, pad, pad),
        "forward desc");
  check(dnnl_convolution_backward_data_desc_init(&dd, dnnl_convolution_direct, &xm, &wm,
                                                 &ym, stride, pad, pad),
        "backward data desc");
  check(dnnl_convolution_backward_weights_desc_init(&wdd, dnnl_convolution_direct, &xm,
                                                    &wm, &bm, &ym, stride, pad, pad),
        "backward weights desc");
  dnnl_primitive_desc_t pd[3];
  check(dnnl_primitive_desc_create(&pd[0], &fd, NULL, eng, NULL), "forward pd");
  check(dnnl_primitive_desc_create(&pd[1], &dd, NULL, eng, pd[0]), "backward data pd");
  check(dnnl_primitive_desc_create(&pd[2], &wdd, NULL, eng, pd[0]),
        "backward weights pd");
  dnnl_conv c = {.n_args = {4, 3, 4}};
  dnnl_primitive_desc_query(pd[0], dnnl_query_impl_info_str, 0, &c.impl);
  for (int i = 0; i < 3; i++)
    check(dnnl_primitive_create(&c.prim[i], pd[i]), "primitive");
  dnnl_exec_arg_t f[4] = {
      {DNNL_ARG_SRC, memory_for(pd[0], dnnl_query_src_md, eng)},
      {DNNL_ARG_WEIGHTS, memory_for(pd[0], dnnl_query_weights_md, eng)},
      {DNNL_ARG_BIAS, memory_for(pd[0], dnnl_query_weights_md, eng)},
      {DNNL_ARG_DST, memory_for(pd[0], dnnl_query_dst_md, eng)}};
  check(dnnl_memory_create(&f[2].memory, &bm, eng, DNNL_MEMORY_ALLOCATE), "bias");
  dnnl_exec_arg_t d[3] = {
      {DNNL_ARG_DIFF_DST, memory_for(pd[1], dnnl_query_diff_dst_md, eng)},
      {DNNL_ARG_WEIGHTS, memory_for(pd[1], dnnl_query_weights_md, eng)},
      {DNNL_ARG_DIFF_SRC, memory_for(pd[1], dnnl_query_diff_src_md, eng)}};
  dnnl_exec_arg_t w[4] = {
      {DNNL_ARG_SRC, memory_for(pd[2], dnnl_query_src_md, eng)},
      {DNNL_ARG_DIFF_DST, memory_for(pd[2], dnnl_query_diff_dst_md, eng)},
      {DNNL_ARG_DIFF_WEIGHTS, memory_for(pd[2], dnnl_query_diff_weights_md, eng)},
      {DNNL_ARG_DIFF_BIAS, NULL}};
  check(dnnl_memory_create(&w[3].memory, &bm, eng, DNNL_MEMORY_ALLOCATE), "diff bias");
  for (int i = 0; i < 4; i++) c.args[0][i] = f[i], c.args[2][i] = w[i];
  for (int i = 0; i < 3; i++) c.args[1][i] = d[i];
  return c;
}

/* ms per call of each of the three primitives, after one warm-up call. */
static void dnnl_time(dnnl_conv *c, dnnl_stream_t stream, int reps, double *ms) {
  for (int p = 0; p < 3; p++) {
    check(dnnl_primitive_execute(c->prim[p], stream, c->n_args[p], c->args[p]),
          "execute");
    dnnl_stream_wait(stream);
    double t0 = bench_now();
    for (int r = 0; r < reps; r++) {
      dnnl_primitive_execute(c->prim[p], stream, c->n_args[p], c->args[p]);
      dnnl_stream_wait(stream);
    }
    ms[p] = (bench_now() - t0) / reps * 1e3;
  }
}

static void tg_time(const shape *s, int reps, double *ms) {
  int64_t oh = s->side + 2 * s->pad - s->k + 1;
  tg_conv_geometry g = {.n = s->n,
                        .c = s->c,
                        .h = s->side,
                        .w = s->side,
                        .o = s->o,
                        .kh = s->k,
                        .kw = s->k,
                        .sh = 1,
                        .sw = 1,
                        .dh = 1,
                        .dw = 1,
                        .pt = s->pad,
                        .pl = s->pad,
                        .oh = oh,
                        .ow = oh,
                        .groups = 1,
                        .spatial = 2};
  int64_t nx = s->n * s->c * s->side * s->side, nw = s->o * s->c * s->k * s->k,
          ny = s->n * s->o * oh * oh;
  float *x = filled(nx), *w = filled(nw), *b = filled(s->o), *y = filled(ny),
        *gy = filled(ny), *gx = filled(nx), *gw = filled(nw);
  for (int p = 0; p < 3; p++) {
    double t0 = 0;
    for (int r = -1; r < reps; r++) { /* r = -1: the warm-up */
      if (r == 0) t0 = bench_now();
      if (p == 0) tg_nn_conv_forward(&g, TG_FLOAT32, x, w, b, y);
      if (p == 1) tg_nn_conv_input_grad(&g, TG_FLOAT32, gy, w, gx);
      if (p == 2) tg_nn_conv_weight_grad(&g, TG_FLOAT32, x, gy, gw);
    }
    ms[p] = (bench_now() - t0) / reps * 1e3;
  }
  free(x), free(w), free(b), free(y), free(gy), free(gx), free(gw);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  static const shape shapes[] = {{"LeNet conv1 b64", 64, 1, 28, 6, 5, 2},
                                 {"LeNet conv2 b64", 64, 6, 14, 16, 5, 0},
                                 {"LeNet conv1 b256", 256, 1, 28, 6, 5, 2},
                                 {"LeNet conv2 b256", 256, 6, 14, 16, 5, 0},
                                 {"Fashion conv1 b128", 128, 1, 28, 32, 3, 1},
                                 {"Fashion conv2 b128", 128, 32, 14, 64, 3, 1}};
  dnnl_engine_t eng;
  dnnl_stream_t stream;
  check(dnnl_engine_create(&eng, dnnl_cpu, 0), "engine");
  check(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags), "stream");
  printf("ms per call, %d thread(s): forward / input grad / weight grad\n", a.threads);
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
    double tg[3], plain[3], blocked[3];
    tg_time(&shapes[i], a.reps, tg);
    dnnl_conv p = dnnl_setup(&shapes[i], false, eng),
              bl = dnnl_setup(&shapes[i], true, eng);
    dnnl_time(&p, stream, a.reps, plain);
    dnnl_time(&bl, stream, a.reps, blocked);
    printf("%-20s tensorgrad %7.2f %7.2f %7.2f | oneDNN %s %7.2f %7.2f %7.2f | oneDNN %s "
           "%7.2f %7.2f %7.2f\n",
           shapes[i].name, tg[0], tg[1], tg[2], p.impl, plain[0], plain[1], plain[2],
           bl.impl, blocked[0], blocked[1], blocked[2]);
  }
  return 0; /* the primitives and memory live until exit */
}
