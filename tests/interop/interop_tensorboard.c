/* Writes one TensorBoard run holding every kind of record tensorgrad's
 * SummaryWriter makes, from values real_readers.py recomputes:
 *
 *   interop_tensorboard DIR
 *
 * DIR/tb is the run (plus its add_scalars and add_hparams sub-runs) and
 * DIR/figure.png the figure that add_figure logged, for comparing pixels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tensorgrad.h"

static void check(int status, const char *what) {
  if (status != 0) {
    fprintf(stderr, "interop_tensorboard: %s: %s\n", what, tg_last_error());
    exit(1);
  }
}

static void log_scalars(tg_summary_writer *w) {
  for (int step = 0; step < 10; step++)
    check(tg_summary_writer_add_scalar(w, "scalar/sine", sin(0.5 * step), step),
          "scalar");
  const char *names[] = {"a", "b"};
  for (int step = 0; step < 5; step++) {
    double values[] = {step, -step};
    check(tg_summary_writer_add_scalars(w, "pair", names, values, 2, step), "scalars");
  }
}

static void log_histograms(tg_summary_writer *w) {
  double values[100];
  for (int step = 0; step < 2; step++) {
    for (int i = 0; i < 100; i++) values[i] = (step + 1) * (i * 0.01 - 0.5);
    check(tg_summary_writer_add_histogram(w, "hist/ramp", values, 100, step),
          "histogram");
  }
}

static void log_image(tg_summary_writer *w) {
  enum { C = 3, H = 8, W = 12 };
  uint8_t pixels[C * H * W];
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        pixels[(c * H + y) * W + x] = (uint8_t)(c * 80 + y * 10 + x);
  check(tg_summary_writer_add_image(w, "image/ramp", pixels, C, H, W, TG_IMAGE_CHW, 3),
        "image");
}

static void log_pr_curve_and_text(tg_summary_writer *w) {
  float labels[50], predictions[50];
  for (int i = 0; i < 50; i++) {
    labels[i] = (float)(i % 2);
    predictions[i] = (float)((i * 37 % 100) / 100.0);
  }
  check(tg_summary_writer_add_pr_curve(w, "pr/val", labels, predictions, 50, 11, 7),
        "pr_curve");
  check(tg_summary_writer_add_text(w, "note", "hello **tensorgrad**", 2), "text");
}

static void log_hparams(tg_summary_writer *w) {
  tg_hparam hparams[] = {
      {"lr", NULL, 0.05}, {"optimizer", "adam", 0}, {"batch", NULL, 16}};
  const char *metrics[] = {"hparam/accuracy", "hparam/loss"};
  double values[] = {0.875, 0.25};
  check(tg_summary_writer_add_hparams(w, hparams, 3, metrics, values, 2, "hp_run"),
        "hparams");
}

/* Net: fc1 -> relu (in Net's own forward) -> fc2 -> act (a Sigmoid module) */
typedef struct Net {
  tg_module base;
  tg_module *fc1, *fc2, *act;
} Net;

static tg_tensor *net_forward(tg_module *m, tg_tensor *x) {
  Net *net = (Net *)m;
  tg_tensor *h = tg_relu(tg_module_forward(net->fc1, x));
  return tg_module_forward(net->act, tg_module_forward(net->fc2, h));
}

static void log_graph(tg_summary_writer *w) {
  static const tg_module_vtable net_vtable = {"Net", net_forward, NULL, NULL};
  tg_manual_seed(0);
  Net *net = tg_module_new(&net_vtable, sizeof(Net));
  net->fc1 = tg_module_add(&net->base, "fc1", tg_nn_linear(2, 8, true));
  net->fc2 = tg_module_add(&net->base, "fc2", tg_nn_linear(8, 1, true));
  net->act = tg_module_add(&net->base, "act", tg_nn_sigmoid());
  tg_scope_begin();
  tg_tensor *x = tg_zeros(TG_SHAPE(4, 2), TG_FLOAT32);
  check(tg_summary_writer_add_graph(w, &net->base, x), "graph");
  tg_scope_end();
  tg_module_free(&net->base);
}

static void log_figure(tg_summary_writer *w, const char *png_path) {
  tg_figure *fig = tg_figure_new(320, 240, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  double x[20], y[20];
  for (int i = 0; i < 20; i++) x[i] = i, y[i] = i * i;
  tg_axes_plot(ax, x, y, 20, &(tg_style){.label = "x^2"});
  tg_axes_set_title(ax, "add_figure");
  check(tg_summary_writer_add_figure(w, "figure/square", fig, 1), "figure");
  check(tg_figure_save(fig, png_path), "figure.png");
  tg_figure_free(fig);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: interop_tensorboard DIR\n");
    return 2;
  }
  char run[4096], png[4096];
  snprintf(run, sizeof run, "%s/tb", argv[1]);
  snprintf(png, sizeof png, "%s/figure.png", argv[1]);
  tg_summary_writer *w = tg_summary_writer_open(run);
  if (!w) check(-1, "open");
  log_scalars(w);
  log_histograms(w);
  log_image(w);
  log_pr_curve_and_text(w);
  log_hparams(w);
  log_graph(w);
  log_figure(w, png);
  check(tg_summary_writer_close(w), "close");
  return 0;
}
