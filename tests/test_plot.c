/* PNG I/O and plots: each kind of plot is rendered to a file, read back with
 * tg_png_read and checked for what a reader would look for (size, title and
 * axis text where they belong, the series' colours, the legend), and every
 * error path is checked with its message. */
#include "test_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tensorgrad/plot.h"
#include "tensorgrad/png.h"
#include "plot/plot.h"

#ifndef TG_BUILD_DIR
#define TG_BUILD_DIR "."
#endif
#define OUT_DIR TG_BUILD_DIR "/test_plot_out"
#define INK_MAX 0x60
#define PI                                                                               \
  3.14159265358979323846 /* a text/spine pixel is darker than this on every channel */

/* ---- helpers ------------------------------------------------------------------ */

typedef struct {
  uint8_t *px;
  int w, h, ch;
} image;

static const char *out_path(const char *name) {
  static char path[512];
  mkdir(OUT_DIR, 0755);
  snprintf(path, sizeof path, "%s/%s", OUT_DIR, name);
  return path;
}

/* Every figure is also saved as SVG, for tests/interop/svg_check.py (ctest
 * plot_svg_xml) to parse with a real XML parser. */
static image save_and_read(tg_figure *fig, const char *name) {
  char svg_name[256];
  snprintf(svg_name, sizeof svg_name, "%.*s.svg", (int)(strlen(name) - 4), name);
  ck_assert_msg(tg_figure_save(fig, out_path(svg_name)) == 0, "save %s: %s", svg_name,
                tg_last_error());
  const char *path = out_path(name);
  ck_assert_msg(tg_figure_save(fig, path) == 0, "save %s: %s", name, tg_last_error());
  tg_figure_free(fig);
  image im;
  ck_assert_msg(tg_png_read(path, &im.px, &im.w, &im.h, &im.ch) == 0, "%s",
                tg_last_error());
  ck_assert_int_eq(im.ch, 3);
  return im;
}

static const uint8_t *pixel(const image *im, int x, int y) {
  return im->px + ((size_t)y * im->w + x) * im->ch;
}

/* Pixels of exactly `color` in [x0, x1) x [y0, y1). */
static long count_color(const image *im, tg_color color, int x0, int y0, int x1, int y1) {
  long n = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) {
      const uint8_t *p = pixel(im, x, y);
      n += p[0] == ((color >> 16) & 0xFF) && p[1] == ((color >> 8) & 0xFF) &&
           p[2] == (color & 0xFF);
    }
  return n;
}

static long count_dark(const image *im, int x0, int y0, int x1, int y1) {
  long n = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) {
      const uint8_t *p = pixel(im, x, y);
      n += p[0] < INK_MAX && p[1] < INK_MAX && p[2] < INK_MAX;
    }
  return n;
}

static long count_all(const image *im, tg_color color) {
  return count_color(im, color, 0, 0, im->w, im->h);
}

/* A reproducible uniform number in [0, 1). */
static double uniform(unsigned *state) {
  *state = *state * 1664525u + 1013904223u;
  return (*state >> 8) / 16777216.0;
}

static double normal(unsigned *state) {
  double u = uniform(state) + 1e-12, v = uniform(state);
  return sqrt(-2.0 * log(u)) * cos(2.0 * PI * v);
}

/* ---- PNG ------------------------------------------------------------------------- */

START_TEST(png_round_trip_is_exact) {
  const int channels[3] = {1, 3, 4};
  unsigned state = 7;
  for (int k = 0; k < 3; k++) {
    int w = 37, h = 23, ch = channels[k];
    uint8_t *px = malloc((size_t)w * h * ch);
    for (int i = 0; i < w * h * ch; i++) px[i] = (uint8_t)(uniform(&state) * 256);
    uint8_t *bytes;
    size_t len;
    ck_assert_int_eq(tg_png_encode(px, w, h, ch, &bytes, &len), 0);
    ck_assert(len > 8 && memcmp(bytes, "\x89PNG\r\n\x1a\n", 8) == 0);
    free(bytes);
    const char *path = out_path("roundtrip.png");
    ck_assert_int_eq(tg_png_write(path, px, w, h, ch), 0);
    image im;
    ck_assert_int_eq(tg_png_read(path, &im.px, &im.w, &im.h, &im.ch), 0);
    ck_assert_int_eq(im.w, w);
    ck_assert_int_eq(im.h, h);
    ck_assert_int_eq(im.ch, ch);
    ck_assert(memcmp(im.px, px, (size_t)w * h * ch) == 0);
    free(im.px);
    free(px);
  }
}
END_TEST

/* The write goes through a temporary file; none may be left behind. */
static int leftover_temp_files(void) {
  DIR *dir = opendir(OUT_DIR);
  ck_assert(dir != NULL);
  int n = 0;
  for (struct dirent *e; (e = readdir(dir));) n += strstr(e->d_name, ".tmp.") != NULL;
  closedir(dir);
  return n;
}

START_TEST(png_write_replaces_atomically_and_reports_errors) {
  uint8_t gray[4] = {0, 85, 170, 255};
  const char *path = out_path("replace.png");
  ck_assert_int_eq(tg_png_write(path, gray, 2, 2, 1), 0);
  ck_assert_int_eq(tg_png_write(path, gray, 4, 1, 1), 0);
  image im;
  ck_assert_int_eq(tg_png_read(path, &im.px, &im.w, &im.h, &im.ch), 0);
  ck_assert_int_eq(im.w, 4);
  free(im.px);
  ck_assert_int_eq(leftover_temp_files(), 0);

  ck_assert_int_eq(tg_png_write("/nonexistent-dir/x.png", gray, 2, 2, 1), -1);
  ck_assert_str_eq(tg_last_error(), "tg_png_write: /nonexistent-dir/x.png: cannot create "
                                    "temporary file: No such file or directory");
  TG_EXPECT_ERROR(tg_png_write(path, gray, 2, 2, 2),
                  "channels must be 1 (gray), 3 (RGB) or 4 (RGBA)");
  TG_EXPECT_ERROR(tg_png_write(path, gray, 0, 2, 1), "width and height must be positive");
  uint8_t *bytes;
  size_t len;
  TG_EXPECT_ERROR(tg_png_encode(NULL, 2, 2, 1, &bytes, &len),
                  "tg_png_encode: pixels is NULL");
  TG_EXPECT_ERROR(tg_png_encode(gray, 2, 2, 1, NULL, &len),
                  "tg_png_encode: out and out_len must not be NULL");
  TG_EXPECT_ERROR(tg_png_write(NULL, gray, 2, 2, 1), "tg_png_write: path is NULL");
  TG_EXPECT_ERROR(tg_png_read(path, NULL, NULL, NULL, NULL),
                  "tg_png_read: path and output pointers must not be NULL");
}
END_TEST

static void write_bytes(const char *path, const uint8_t *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert(f && fwrite(bytes, 1, n, f) == n);
  fclose(f);
}

START_TEST(png_read_rejects_bad_files_with_messages) {
  uint8_t px[64 * 3];
  for (int i = 0; i < 64 * 3; i++) px[i] = (uint8_t)(i * 5);
  uint8_t *bytes;
  size_t len;
  ck_assert_int_eq(tg_png_encode(px, 8, 8, 3, &bytes, &len), 0);
  uint8_t *pixels;
  int w, h, ch;
  char expected[600];
  const char *path = out_path("bad.png");

  write_bytes(path, bytes, len - 30); /* cut inside the IDAT chunk */
  ck_assert_int_eq(tg_png_read(path, &pixels, &w, &h, &ch), -1);
  snprintf(expected, sizeof expected, "tg_png_read: %s: file truncated at byte", path);
  ck_assert_msg(strstr(tg_last_error(), expected), "%s", tg_last_error());

  bytes[len - 20] ^= 0x5A; /* the compressed data's checksum, inside IDAT */
  write_bytes(path, bytes, len);
  ck_assert_int_eq(tg_png_read(path, &pixels, &w, &h, &ch), -1);
  snprintf(expected, sizeof expected, "tg_png_read: %s: IDAT: incorrect data check",
           path);
  ck_assert_str_eq(tg_last_error(), expected);

  bytes[len - 20] ^= 0x5A;
  bytes[33 + 4] ^= 0x01; /* the first chunk after IHDR: its type, so its CRC is wrong */
  write_bytes(path, bytes, len);
  ck_assert_int_eq(tg_png_read(path, &pixels, &w, &h, &ch), -1);
  snprintf(expected, sizeof expected, "tg_png_read: %s: ", path);
  ck_assert_msg(strstr(tg_last_error(), expected) == tg_last_error(), "%s",
                tg_last_error());

  write_bytes(path, (const uint8_t *)"GIF89a not a png", 16);
  ck_assert_int_eq(tg_png_read(path, &pixels, &w, &h, &ch), -1);
  snprintf(expected, sizeof expected,
           "tg_png_read: %s: not a PNG file (bad signature at byte 0)", path);
  ck_assert_str_eq(tg_last_error(), expected);

  ck_assert_int_eq(tg_png_read(OUT_DIR "/missing.png", &pixels, &w, &h, &ch), -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_png_read: " OUT_DIR
                   "/missing.png: cannot open: No such file or directory");
  free(bytes);
}
END_TEST

/* ---- ticks ------------------------------------------------------------------------ */

START_TEST(ticks_are_round_1_2_5_steps) {
  ticks t;
  tg_plot_ticks_nice(&t, -0.05, 1.05, 500, 80); /* about 6 ticks over [0, 1] */
  ck_assert_int_eq(t.n, 6);
  ck_assert_str_eq(t.label[0], "0.0");
  ck_assert_str_eq(t.label[5], "1.0");
  ck_assert_double_eq_tol(t.value[1], 0.2, 1e-12);
  tg_plot_ticks_nice(&t, -3.7, 12.2, 300, 80); /* step 5 */
  ck_assert_int_eq(t.n, 3);
  ck_assert_str_eq(t.label[0], "0");
  ck_assert_str_eq(t.label[2], "10");
  tg_plot_ticks_nice(&t, -0.0031, 0.0032, 400, 50); /* step 0.001, zero printed plainly */
  ck_assert_int_eq(t.n, 7);
  ck_assert_str_eq(t.label[0], "-0.003");
  ck_assert_str_eq(t.label[3], "0.000");
  tg_plot_ticks_nice(&t, 1, 1, 400, 50);
  ck_assert_int_eq(t.n, 0);
}
END_TEST

/* ---- line plots ------------------------------------------------------------------- */

static tg_figure *loss_curves(int n_series) {
  tg_figure *fig = tg_figure_new(640, 440, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  double epoch[60], train[60], val[60];
  for (int i = 0; i < 60; i++) {
    epoch[i] = i + 1;
    train[i] = 0.65 * exp(-i / 9.0) + 0.06 + 0.01 * sin(i * 1.3);
    val[i] = 0.62 * exp(-i / 12.0) + 0.12 + 0.0004 * i * (i > 35 ? i - 35 : 0) / 10.0;
  }
  tg_axes_plot(ax, epoch, train, 60, &(tg_style){.label = "train"});
  if (n_series > 1) tg_axes_plot(ax, epoch, val, 60, &(tg_style){.label = "validation"});
  tg_axes_set_title(ax, "Loss vs epoch");
  tg_axes_set_xlabel(ax, "Epoch");
  tg_axes_set_ylabel(ax, "Loss (BCE)");
  tg_axes_set_grid(ax, true);
  return fig;
}

START_TEST(line_plot_has_text_series_and_legend) {
  image im = save_and_read(loss_curves(2), "loss_curves.png");
  ck_assert_int_eq(im.w, 640);
  ck_assert_int_eq(im.h, 440);
  long title = count_dark(&im, 260, 0, 380, 28),
       x_label = count_dark(&im, 280, 410, 360, 440);
  long y_label = count_dark(&im, 0, 150, 26, 290);
  ck_assert_msg(title > 40 && x_label > 15 && y_label > 30,
                "title %ld, xlabel %ld, ylabel %ld", title, x_label, y_label);
  ck_assert_int_eq(count_dark(&im, 0, 0, 200, 25),
                   0); /* nothing but the title up there */
  ck_assert(count_all(&im, TG_BLUE) > 300);
  ck_assert(count_all(&im, TG_ORANGE) > 300);
  ck_assert(count_all(&im, TG_RGB(0xcc, 0xcc, 0xcc)) > 100); /* the legend's frame */
  free(im.px);

  im = save_and_read(loss_curves(1), "loss_single.png");
  ck_assert_int_eq(count_all(&im, TG_ORANGE), 0);
  ck_assert_int_eq(count_all(&im, TG_RGB(0xcc, 0xcc, 0xcc)),
                   0); /* one series: no legend */
  free(im.px);
}
END_TEST

/* The lecture's ROC and PR curves side by side (plt.subplot(1, 2, i)). */
START_TEST(roc_and_pr_side_by_side) {
  enum { N = 400 };
  double score[N];
  int label[N];
  unsigned state = 11;
  for (int i = 0; i < N; i++) {
    label[i] = i % 2;
    score[i] = 1.0 / (1.0 + exp(-(label[i] ? 1.2 : -1.2) - 1.1 * normal(&state)));
  }
  double fpr[N + 1], tpr[N + 1], precision[N], recall[N];
  int n = 0;
  for (int k = 0; k <= N; k++) { /* sweep the threshold down through the scores */
    double threshold = 1.0 - (double)k / N;
    int tp = 0, fp = 0;
    for (int i = 0; i < N; i++)
      if (score[i] >= threshold) tp += label[i], fp += !label[i];
    fpr[k] = fp / (N / 2.0);
    tpr[k] = tp / (N / 2.0);
    if (tp + fp > 0) precision[n] = (double)tp / (tp + fp), recall[n++] = tp / (N / 2.0);
  }
  tg_figure *fig = tg_figure_new(1000, 420, 1, 2);
  tg_axes *roc = tg_figure_axes(fig, 0), *pr = tg_figure_axes(fig, 1);
  tg_axes_plot(roc, fpr, tpr, N + 1, &(tg_style){.color = TG_PURPLE, .label = "MLP"});
  double diag[2] = {0, 1};
  tg_axes_plot(
      roc, diag, diag, 2,
      &(tg_style){
          .color = TG_GRAY, .dashed = true, .line_width = 1.2, .label = "chance"});
  tg_axes_set_title(roc, "ROC curve");
  tg_axes_set_xlabel(roc, "False positive rate");
  tg_axes_set_ylabel(roc, "True positive rate");
  tg_axes_plot(pr, recall, precision, n, &(tg_style){.color = TG_RED});
  tg_axes_set_title(pr, "Precision-recall curve");
  tg_axes_set_xlabel(pr, "Recall");
  tg_axes_set_ylabel(pr, "Precision");
  image im = save_and_read(fig, "roc_pr.png");
  ck_assert(count_color(&im, TG_PURPLE, 0, 0, 500, 420) > 300);
  ck_assert_int_eq(count_color(&im, TG_PURPLE, 500, 0, 1000, 420), 0);
  ck_assert(count_color(&im, TG_RED, 500, 0, 1000, 420) > 300);
  ck_assert_int_eq(count_color(&im, TG_RED, 0, 0, 500, 420), 0);
  ck_assert(count_dark(&im, 180, 0, 320, 30) > 40); /* left title */
  ck_assert(count_dark(&im, 660, 0, 860, 30) > 40); /* right title */
  free(im.px);
}
END_TEST

/* ---- 2-D classifiers -------------------------------------------------------------- */

/* sklearn's make_moons(noise=0.15) shape, from our own generator. */
static void make_moons(int n, double *x, double *y, int *cls) {
  unsigned state = 3;
  for (int i = 0; i < n; i++) {
    double t = PI * uniform(&state);
    cls[i] = i % 2;
    x[i] = cls[i] ? 1.0 - cos(t) : cos(t);
    y[i] = cls[i] ? 0.5 - sin(t) : sin(t);
    x[i] += 0.15 * normal(&state);
    y[i] += 0.15 * normal(&state);
  }
}

START_TEST(decision_boundary_over_moons) {
  enum { N = 200, G = 120 };
  double x[N], y[N], probs[G * G];
  int cls[N];
  make_moons(N, x, y, cls);
  tg_extent e = {-1.6, 2.6, -1.1, 1.6};
  for (int j = 0; j < G; j++)
    for (int i = 0; i < G; i++) { /* a plausible MLP: a wavy boundary */
      double gx = e.xmin + (e.xmax - e.xmin) * i / (G - 1);
      double gy = e.ymin + (e.ymax - e.ymin) * j / (G - 1);
      probs[j * G + i] =
          1.0 / (1.0 + exp(-4.0 * (0.6 * sin(2.2 * (gx - 0.5)) - gy + 0.25)));
    }
  tg_figure *fig = tg_figure_new(640, 480, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_fill_probability(ax, probs, G, G, e);
  tg_axes_scatter(ax, x, y, cls, N, NULL);
  tg_axes_set_title(ax, "Decision boundary (MLP on moons)");
  tg_axes_set_xlabel(ax, "x1");
  tg_axes_set_ylabel(ax, "x2");
  image im = save_and_read(fig, "decision_boundary.png");
  ck_assert(count_all(&im, TG_BLUE) > 500);   /* class 0 dots */
  ck_assert(count_all(&im, TG_ORANGE) > 500); /* class 1 dots */
  /* The confident corners are tinted with 50% of the class colour. */
  ck_assert(count_all(&im, tg_plot_color_mix(TG_WHITE, TG_BLUE, 0.5)) > 1000);
  ck_assert(count_all(&im, tg_plot_color_mix(TG_WHITE, TG_ORANGE, 0.5)) > 1000);
  free(im.px);

  int classes[G * G];
  for (int k = 0; k < G * G; k++) classes[k] = probs[k] >= 0.5;
  fig = tg_figure_new(480, 400, 1, 1);
  ax = tg_figure_axes(fig, 0);
  tg_axes_fill_classes(ax, classes, G, G, e);
  tg_axes_scatter(ax, x, y, cls, N, NULL);
  im = save_and_read(fig, "decision_classes.png");
  ck_assert(count_all(&im, tg_plot_color_mix(TG_WHITE, TG_ORANGE, 0.3)) > 10000);
  free(im.px);
}
END_TEST

/* Gradient descent vs momentum on f = x^2/2 + 10 y^2/2 (ill-conditioned). */
static int descend(double momentum, double lr, double *px, double *py, int steps) {
  double x = -4.5, y = 1.5, vx = 0, vy = 0;
  for (int i = 0; i < steps; i++) {
    px[i] = x;
    py[i] = y;
    vx = momentum * vx + x;
    vy = momentum * vy + 10.0 * y;
    x -= lr * vx;
    y -= lr * vy;
  }
  return steps;
}

START_TEST(contours_with_optimizer_paths) {
  enum { G = 101, S = 40 };
  double z[G * G];
  tg_extent e = {-5, 5, -2, 2};
  for (int j = 0; j < G; j++)
    for (int i = 0; i < G; i++) {
      double x = e.xmin + 10.0 * i / (G - 1), y = e.ymin + 4.0 * j / (G - 1);
      z[j * G + i] = 0.5 * x * x + 5.0 * y * y;
    }
  double levels[8] = {0.25, 0.5, 1, 2, 4, 8, 16, 24};
  double sx[S], sy[S], mx[S], my[S];
  descend(0.0, 0.18, sx, sy, S);
  descend(0.6, 0.05, mx, my, S);
  tg_figure *fig = tg_figure_new(720, 380, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_contour(ax, z, G, G, e, levels, 8, NULL);
  tg_axes_plot(ax, sx, sy, S,
               &(tg_style){.label = "SGD lr=0.18", .color = TG_RED, .marker_size = 2.5});
  tg_axes_plot(
      ax, mx, my, S,
      &(tg_style){.label = "momentum 0.6", .color = TG_BLACK, .marker_size = 2.5});
  tg_axes_set_equal_aspect(ax, true);
  tg_axes_set_title(ax, "Optimizer paths on an ill-conditioned loss");
  tg_axes_set_xlabel(ax, "w1");
  tg_axes_set_ylabel(ax, "w2");
  image im = save_and_read(fig, "contour_paths.png");
  ck_assert(count_all(&im, tg_plot_colormap_at(TG_CMAP_VIRIDIS, 0.0)) >
            20); /* innermost level */
  ck_assert(count_all(&im, tg_plot_colormap_at(TG_CMAP_VIRIDIS, 1.0)) >
            50); /* outermost level */
  ck_assert(count_all(&im, TG_RED) > 100);
  free(im.px);
}
END_TEST

/* ---- confusion matrix and images ------------------------------------------------ */

START_TEST(confusion_matrix_cells_and_names) {
  const double counts[9] = {50, 3, 0, 5, 41, 4, 1, 2, 44};
  const char *names[3] = {"setosa", "versicolor", "virginica"};
  tg_figure *fig = tg_figure_new(520, 460, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_confusion_matrix(ax, counts, 3, names);
  tg_axes_set_title(ax, "Confusion matrix (validation)");
  image im = save_and_read(fig, "confusion_matrix.png");
  tg_color darkest = tg_plot_colormap_at(TG_CMAP_BLUES, 1.0),
           lightest = tg_plot_colormap_at(TG_CMAP_BLUES, 0.0);
  ck_assert(count_all(&im, darkest) > 5000);
  ck_assert(count_all(&im, lightest) > 5000);
  /* Find the darkest cell (50, top-left): it must hold white text, and the
   * lightest (0, top-right) black text. */
  int x0 = im.w, y0 = im.h, x1 = 0, y1 = 0;
  for (int y = 0; y < im.h; y++)
    for (int x = 0; x < im.w; x++)
      if (count_color(&im, darkest, x, y, x + 1, y + 1)) {
        if (x < x0) x0 = x;
        if (y < y0) y0 = y;
        if (x > x1) x1 = x;
        if (y > y1) y1 = y;
      }
  int cell = x1 - x0 + 1;
  ck_assert(cell > 60 && cell < 200);
  ck_assert(count_color(&im, TG_WHITE, x0, y0, x1, y1) > 10);
  ck_assert(count_dark(&im, x0 + 2 * cell, y0, x1 + 2 * cell, y1) > 10);
  /* Class names: left of the matrix and under it. */
  ck_assert(count_dark(&im, 0, y0, x0 - 5, y1) > 40);
  ck_assert(count_dark(&im, x0, y1 + 2 * cell + 5, x1, y1 + 2 * cell + 25) > 30);
  free(im.px);
}
END_TEST

START_TEST(image_grid_of_digits) {
  enum { N = 10, S = 8 };
  double images[N * S * S];
  char captions[N][32];
  const char *caption_ptrs[N];
  for (int k = 0; k < N; k++) {
    for (int i = 0; i < S * S; i++) { /* a ring of varying thickness */
      double r = hypot(i % S - 3.5, i / S - 3.5);
      images[k * S * S + i] = fmax(0.0, 16.0 - 9.0 * fabs(r - 1.5 - 0.15 * k));
    }
    snprintf(captions[k], sizeof captions[k], "p=%d t=%d", k, k == 7 ? 1 : k);
    caption_ptrs[k] = captions[k];
  }
  tg_figure *fig = tg_image_grid(images, N, S, S, 5, caption_ptrs, 96);
  ck_assert_ptr_nonnull(fig);
  image im = save_and_read(fig, "digits_grid.png");
  ck_assert_int_eq(im.w, 5 * (96 + 20));
  ck_assert_int_eq(im.h, 2 * (96 + 20 + FONT_HEIGHT + 14));
  ck_assert(count_all(&im, TG_BLACK) > 2000);      /* the brightest image pixels */
  ck_assert(count_dark(&im, 20, 0, 100, 26) > 20); /* first caption */
  ck_assert_int_eq(count_dark(&im, 0, im.h - 8, im.w, im.h), 0); /* margins stay white */
  free(im.px);
}
END_TEST

/* ---- errors ----------------------------------------------------------------------- */

/* The bar's top row has the colour map's top colour, its bottom row the
 * bottom colour: values 0..1 shown with vmin -1, vmax 2 never reach either,
 * so every pixel of those colours belongs to the bar. */
START_TEST(colorbar_shows_the_scale_extremes) {
  double values[16 * 16];
  for (int i = 0; i < 16 * 16; i++) values[i] = (i % 16) / 15.0;
  tg_figure *fig = tg_figure_new(420, 360, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_imshow(ax, values, 16, 16, TG_CMAP_VIRIDIS, -1.0, 2.0);
  tg_axes_colorbar(ax, "value");
  image im = save_and_read(fig, "colorbar.png");
  tg_color top = tg_plot_colormap_at(TG_CMAP_VIRIDIS, 1.0),
           bottom = tg_plot_colormap_at(TG_CMAP_VIRIDIS, 0.0);
  int top_y = im.h, bottom_y = -1, top_x0 = im.w, top_x1 = 0;
  for (int y = 0; y < im.h; y++)
    for (int x = 0; x < im.w; x++) {
      if (count_color(&im, top, x, y, x + 1, y + 1)) {
        top_y = y < top_y ? y : top_y;
        top_x0 = x < top_x0 ? x : top_x0;
        top_x1 = x > top_x1 ? x : top_x1;
      }
      if (count_color(&im, bottom, x, y, x + 1, y + 1))
        bottom_y = y > bottom_y ? y : bottom_y;
    }
  ck_assert_msg(top_x1 - top_x0 + 1 >= 10 && top_x1 - top_x0 + 1 <= 14, "bar %d..%d",
                top_x0, top_x1);
  ck_assert_int_gt(top_x0, im.w * 2 / 3); /* beside the image, at the right */
  ck_assert_int_lt(top_y, im.h / 5);
  ck_assert_int_gt(bottom_y, im.h * 3 / 4);
  /* tick labels (-1 ... 2) right of the bar, and its label further right */
  ck_assert(count_dark(&im, top_x1 + 2, top_y, top_x1 + 40, bottom_y) > 40);
  ck_assert(count_dark(&im, top_x1 + 40, top_y, im.w, bottom_y) > 15);
  free(im.px);
}
END_TEST

START_TEST(log_axes_space_decades_evenly) {
  ticks t;
  tg_plot_ticks_log(&t, -2.2, 3.5);
  ck_assert_int_eq(t.n, 6);
  ck_assert_str_eq(t.label[0], "0.01");
  ck_assert_str_eq(t.label[5], "1000");
  tg_plot_ticks_log(&t, 0.0, 1.0); /* one decade: 1, 2, 5, 10 */
  ck_assert_int_eq(t.n, 4);
  ck_assert(t.value[1] == 2.0 && t.value[2] == 5.0);
  plot_frame f = {{0, 0, 101, 101}, 0.0, 4.0, 0.0, 4.0, false, true, true};
  double step = tg_plot_frame_py(&f, 10.0) - tg_plot_frame_py(&f, 1.0);
  ck_assert(fabs(step + 25.0) < 1e-9); /* 100 pixels for 4 decades, upwards */
  ck_assert(fabs(tg_plot_frame_py(&f, 1000.0) - tg_plot_frame_py(&f, 100.0) - step) <
            1e-9);
  ck_assert(fabs(tg_plot_frame_data_x(&f, tg_plot_frame_px(&f, 300.0)) - 300.0) < 1e-9);
  ck_assert(isnan(tg_plot_frame_py(&f, 0.0))); /* no pixel for 0 on a log axis */
  /* A loss falling by decades draws a straight line; 0 and negatives are left out. */
  double x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {1000, 100, 10, 1, 0, -1};
  tg_figure *fig = tg_figure_new(360, 300, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_plot(ax, x, y, 6, &(tg_style){.color = TG_RED});
  tg_axes_set_yscale_log(ax, true);
  tg_axes_set_ylabel(ax, "loss");
  image im = save_and_read(fig, "log_axis.png");
  ck_assert(count_all(&im, TG_RED) > 100);
  free(im.px);
}
END_TEST

/* numpy.histogram's bins: [0, 0, 1, 1, 1, 2] in 3 bins counts 2, 3, 1; the
 * bars' heights in pixels keep those ratios. */
START_TEST(histogram_bars_have_the_counts_heights) {
  const double values[6] = {0, 0, 1, 1, 1, 2};
  tg_figure *fig = tg_figure_new(360, 300, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  ck_assert_int_eq(tg_axes_hist(ax, values, 6, 3, &(tg_style){.color = TG_GREEN}), 0);
  image im = save_and_read(fig, "hist.png");
  int heights[3] = {0}, x0 = im.w, x1 = 0;
  for (int x = 0; x < im.w; x++)
    if (count_color(&im, TG_GREEN, x, 0, x + 1, im.h)) x0 = x < x0 ? x : x0, x1 = x;
  for (int b = 0; b < 3; b++) {
    int mid = x0 + (x1 - x0) * (2 * b + 1) / 6;
    heights[b] = (int)count_color(&im, TG_GREEN, mid, 0, mid + 1, im.h);
  }
  ck_assert_msg(abs(2 * heights[1] - 3 * heights[0]) <= 3 &&
                    abs(heights[1] - 3 * heights[2]) <= 3,
                "heights %d %d %d", heights[0], heights[1], heights[2]);
  free(im.px);
  fig = tg_figure_new(360, 300, 1, 1);
  ax = tg_figure_axes(fig, 0);
  ck_assert_int_eq(tg_axes_hist(ax, values, 6, 0, NULL), -1);
  ck_assert_str_eq(tg_last_error(), "tg_axes_hist: bins is 0, need at least 1");
  ck_assert_int_eq(tg_axes_bar(ax, NULL, values, 6, -1.0, NULL), -1);
  ck_assert_str_eq(tg_last_error(), "tg_axes_bar: width is -1, must be positive");
  tg_figure_free(fig);
}
END_TEST

/* A bigger font: the same figure at twice the size with 24-pixel text has
 * titles twice as tall; at 1.5 times (18 px) glyph edges are anti-aliased
 * (grey pixels between the ink and the paper). */
static int ink_rows(const image *im, int x0, int y0, int x1, int y1) {
  int rows = 0;
  for (int y = y0; y < y1; y++) rows += count_dark(im, x0, y, x1, y + 1) > 0;
  return rows;
}

static image titled_figure(double zoom, const char *name) {
  tg_figure *fig = tg_figure_new((int)(300 * zoom), (int)(200 * zoom), 1, 1);
  ck_assert_int_eq(tg_figure_set_font_size(fig, 12.0 * zoom), 0);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_plot(ax, NULL, (const double[]){1, 3, 2}, 3, NULL);
  tg_axes_set_title(ax, "Training loss");
  return save_and_read(fig, name);
}

START_TEST(font_scales_with_antialiasing) {
  image small = titled_figure(1.0, "font_12px.png"),
        big = titled_figure(2.0, "font_24px.png"),
        mid = titled_figure(1.5, "font_18px.png");
  int rows = ink_rows(&small, 100, 0, 200, 25),
      big_rows = ink_rows(&big, 200, 0, 400, 50);
  ck_assert_msg(big_rows >= 2 * rows - 2 && big_rows <= 2 * rows + 2,
                "title rows %d vs %d", rows, big_rows);
  long grey = 0;
  for (int y = 0; y < 38; y++)
    for (int x = 150; x < 300; x++) {
      const uint8_t *p = pixel(&mid, x, y);
      grey += p[0] > 0x40 && p[0] < 0xE0 && p[0] == p[1] && p[1] == p[2];
    }
  ck_assert_msg(grey > 20, "%ld anti-aliased edge pixels", grey);
  free(small.px);
  free(big.px);
  free(mid.px);
  tg_figure *fig = tg_figure_new(300, 200, 1, 1);
  ck_assert_int_eq(tg_figure_set_font_size(fig, 1.0), -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_figure_set_font_size: 1 pixels is outside 4..400");
  tg_figure_free(fig);
}
END_TEST

START_TEST(plot_errors_have_messages) {
  ck_assert_ptr_null(tg_figure_new(10, 480, 1, 1));
  ck_assert_str_eq(tg_last_error(),
                   "tg_figure_new: size 10x480 is outside 16..16384 pixels");
  ck_assert_ptr_null(tg_figure_new(640, 480, 0, 2));
  ck_assert_str_eq(tg_last_error(),
                   "tg_figure_new: 0x2 axes; rows and cols must be in 1..64");

  tg_figure *fig = tg_figure_new(300, 200, 1, 2);
  ck_assert_ptr_null(tg_figure_axes(fig, 2));
  ck_assert_str_eq(tg_last_error(), "tg_figure_axes: index 2 out of range for 1x2 axes");
  double v[2] = {1, 2};
  ck_assert_int_eq(tg_axes_plot(NULL, v, v, 2, NULL), -1);
  ck_assert_str_eq(tg_last_error(), "tg_axes_plot: axes is NULL");
  tg_axes *ax = tg_figure_axes(fig, 0);
  ck_assert_int_eq(tg_axes_plot(ax, v, NULL, 2, NULL), -1);
  ck_assert_str_eq(tg_last_error(), "tg_axes_plot: y is NULL");
  ck_assert_int_eq(tg_axes_set_xlim(ax, 1, 1), -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_axes_set_xlim: limits (1, 1) must be finite with lo < hi");
  ck_assert_int_eq(tg_axes_contour(ax, v, 1, 2, (tg_extent){0, 1, 0, 1}, NULL, 5, NULL),
                   -1);
  ck_assert(strstr(tg_last_error(), "tg_axes_contour: grid 1x2 must be at least 2x2"));
  ck_assert_int_eq(tg_axes_fill_probability(ax, v, 2, 2, (tg_extent){0, 0, 0, 1}), -1);
  ck_assert(
      strstr(tg_last_error(), "extent [0, 0] x [0, 1] must be finite and non-empty"));

  /* The figure remembers its first error, and saving reports it. */
  ck_assert_int_eq(tg_figure_save(fig, out_path("never.png")), -1);
  ck_assert_str_eq(tg_last_error(), "tg_figure_axes: index 2 out of range for 1x2 axes");
  ck_assert_int_eq(access(out_path("never.png"), F_OK), -1);
  tg_figure_free(fig);

  fig = tg_figure_new(300, 200, 1, 1);
  ck_assert_int_eq(tg_figure_save(fig, "/nonexistent-dir/plot.png"), -1);
  ck_assert(
      strstr(tg_last_error(), "tg_png_write: /nonexistent-dir/plot.png: cannot create"));
  tg_figure_free(fig);
}
END_TEST

/* ---- SVG --------------------------------------------------------------------------- */

/* A small XML well-formedness check: every tag closes in order, attribute
 * values are quoted, and '&' starts one of XML's entities. Returns NULL or
 * what is wrong and where. */
static const char *xml_problem(const char *doc) {
  static char why[128];
  const char *stack[64];
  size_t stack_len[64];
  int depth = 0;
  const char *p = doc;
  if (strncmp(p, "<?xml", 5) == 0) p = strstr(p, "?>") + 2;
  for (; *p; p++) {
    if (*p == '&') {
      if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
          strncmp(p, "&quot;", 6))
        return snprintf(why, sizeof why, "bad entity at %ld", (long)(p - doc)), why;
      continue;
    }
    if (*p != '<') continue;
    bool closing = p[1] == '/';
    const char *name = p + 1 + closing;
    size_t n = strcspn(name, " />\n");
    const char *end = name + n;
    for (bool quoted = false; *end && (quoted || *end != '>'); end++)
      if (*end == '"') quoted = !quoted;
    if (!*end)
      return snprintf(why, sizeof why, "unclosed tag at %ld", (long)(p - doc)), why;
    if (closing) {
      if (depth == 0 || stack_len[depth - 1] != n || strncmp(stack[depth - 1], name, n))
        return snprintf(why, sizeof why, "mismatched </%.*s> at %ld", (int)n, name,
                        (long)(p - doc)),
               why;
      depth--;
    } else if (end[-1] != '/') {
      if (depth == 64) return "nested too deeply";
      stack[depth] = name, stack_len[depth++] = n;
    }
    p = end;
  }
  return depth == 0 ? NULL : "unclosed element at the end";
}

/* How many times `needle` occurs in `doc`. */
static int occurrences(const char *doc, const char *needle) {
  int n = 0;
  for (const char *p = doc; (p = strstr(p, needle)); p++) n++;
  return n;
}

/* A <text> element with this content at this font size. */
static bool has_text(const char *doc, const char *content, int font_size) {
  char tail[128], size[32];
  snprintf(tail, sizeof tail, ">%s</text>", content);
  snprintf(size, sizeof size, "font-size=\"%d\"", font_size);
  for (const char *p = doc; (p = strstr(p, tail)); p++) {
    const char *open = p;
    while (open > doc && strncmp(open, "<text", 5) != 0) open--;
    char element[512];
    snprintf(element, sizeof element, "%.*s", (int)(p - open), open);
    if (strstr(element, size)) return true;
  }
  return false;
}

static tg_figure *svg_test_figure(void) {
  tg_figure *fig = tg_figure_new(720, 320, 1, 2);
  tg_figure_set_title(fig, "Curves & <heat>");
  tg_axes *lines = tg_figure_axes(fig, 0), *heat = tg_figure_axes(fig, 1);
  double x[40], up[40], down[40], img[12];
  for (int i = 0; i < 40; i++) x[i] = i, up[i] = i * 0.025, down[i] = 1 - i * 0.025;
  for (int i = 0; i < 12; i++) img[i] = i;
  tg_axes_plot(lines, x, up, 40, &(tg_style){.label = "train", .color = TG_BLUE});
  tg_axes_plot(lines, x, down, 40,
               &(tg_style){.label = "val", .color = TG_ORANGE, .dashed = true});
  tg_axes_set_xlabel(lines, "epoch");
  tg_axes_set_ylabel(lines, "loss");
  tg_axes_imshow(heat, img, 4, 3, TG_CMAP_VIRIDIS, 0, 0);
  tg_axes_colorbar(heat, "value");
  tg_axes_set_ylabel(heat, "row");
  return fig;
}

START_TEST(svg_is_vector_xml_with_the_figures_text) {
  tg_figure *fig = svg_test_figure();
  char *svg;
  size_t len;
  ck_assert_int_eq(tg_figure_render_svg(fig, &svg, &len), 0);
  ck_assert_uint_eq(len, strlen(svg));
  const char *problem = xml_problem(svg);
  ck_assert_msg(!problem, "%s", problem);
  ck_assert(strstr(svg, "width=\"720\" height=\"320\" viewBox=\"0 0 720 320\""));
  /* lines are strokes in the series' colours, the val line dashed */
  ck_assert(strstr(svg, "<path fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\""));
  ck_assert(strstr(svg, "stroke=\"#ff7f0e\" stroke-width=\"2\""));
  ck_assert_int_eq(occurrences(svg, "stroke-dasharray=\"8 5\""), 2); /* line + legend */
  /* text at the figure's size: title, axis labels, ticks, legend, colour bar */
  const char *texts[] = {"Curves &amp; &lt;heat&gt;",
                         "epoch",
                         "loss",
                         "0.0",
                         "1.0",
                         "10",
                         "train",
                         "val",
                         "row",
                         "value",
                         "0"};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
    ck_assert_msg(has_text(svg, texts[i], 12), "no <text> %s at 12px", texts[i]);
  ck_assert_int_eq(occurrences(svg, "rotate(-90)"), 3); /* two y labels, the bar's */
  /* the heatmap and the colour-bar gradient are embedded PNGs */
  ck_assert_int_eq(occurrences(svg, "xlink:href=\"data:image/png;base64,iVBORw0KGgo"), 2);
  ck_assert_int_eq(occurrences(svg, "<clipPath"), 2);

  /* tg_figure_save picks SVG by extension and writes the same document */
  const char *path = out_path("figure.SVG");
  ck_assert_int_eq(tg_figure_save(fig, path), 0);
  FILE *f = fopen(path, "rb");
  ck_assert(f != NULL);
  char *back = malloc(len + 1);
  ck_assert_uint_eq(fread(back, 1, len + 1, f), len);
  fclose(f);
  ck_assert(memcmp(back, svg, len) == 0);
  ck_assert_int_eq(leftover_temp_files(), 0);
  ck_assert_int_eq(tg_figure_save_svg(fig, out_path("figure.svg")), 0);
  free(back);
  free(svg);

  /* a bigger font is a bigger font-size */
  ck_assert_int_eq(tg_figure_set_font_size(fig, 20), 0);
  ck_assert_int_eq(tg_figure_render_svg(fig, &svg, &len), 0);
  ck_assert(has_text(svg, "epoch", 20) && has_text(svg, "train", 20));
  free(svg);
  /* at 200 dpi: twice the canvas, the text and the strokes */
  ck_assert_int_eq(tg_figure_set_font_size(fig, 12), 0);
  ck_assert_int_eq(tg_figure_set_dpi(fig, 200), 0);
  ck_assert_int_eq(tg_figure_render_svg(fig, &svg, &len), 0);
  ck_assert(strstr(svg, "width=\"1440\" height=\"640\" viewBox=\"0 0 1440 640\""));
  ck_assert(has_text(svg, "epoch", 24) && has_text(svg, "train", 24));
  ck_assert(strstr(svg, "stroke=\"#1f77b4\" stroke-width=\"4\""));
  free(svg);

  ck_assert_int_eq(tg_figure_save(fig, "/nonexistent-dir/plot.svg"), -1);
  ck_assert_msg(strstr(tg_last_error(),
                       "tg_figure_save_svg: /nonexistent-dir/plot.svg: cannot create"),
                "%s", tg_last_error());
  ck_assert_int_eq(tg_figure_save_svg(fig, NULL), -1);
  ck_assert_str_eq(tg_last_error(), "tg_figure_save_svg: path is NULL");
  tg_figure_free(fig);

  /* the figure's first error fails the SVG as it fails the PNG */
  fig = tg_figure_new(300, 200, 1, 1);
  ck_assert_ptr_null(tg_figure_axes(fig, 1));
  ck_assert_int_eq(tg_figure_save(fig, out_path("never.svg")), -1);
  ck_assert_str_eq(tg_last_error(), "tg_figure_axes: index 1 out of range for 1x1 axes");
  ck_assert_int_eq(access(out_path("never.svg"), F_OK), -1);
  tg_figure_free(fig);
}
END_TEST

/* Lines far outside the limits are cut at the axes, not written whole. */
START_TEST(svg_clips_far_away_points) {
  tg_figure *fig = tg_figure_new(300, 200, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_plot(ax, (const double[]){0, 1, 2}, (const double[]){0, 1e300, 1}, 3, NULL);
  tg_axes_set_ylim(ax, 0, 1);
  char *svg;
  size_t len;
  ck_assert_int_eq(tg_figure_render_svg(fig, &svg, &len), 0);
  ck_assert_ptr_null(strstr(svg, "e+"));
  ck_assert(len < 20000);
  ck_assert_ptr_null(xml_problem(svg));
  free(svg);
  tg_figure_free(fig);
}
END_TEST

/* TENSORGRAD_FIGURE_JSON: the figure's data beside the picture, exact. */
START_TEST(figure_json_beside_the_picture) {
  tg_figure *fig = svg_test_figure();
  const char *png = out_path("described.png");
  char json_path[600];
  snprintf(json_path, sizeof json_path, "%s.json", png);
  unlink(json_path);
  ck_assert_int_eq(tg_figure_save(fig, png), 0);
  ck_assert_int_eq(access(json_path, F_OK), -1); /* off unless asked for */
  setenv("TENSORGRAD_FIGURE_JSON", "1", 1);
  ck_assert_int_eq(tg_figure_save(fig, png), 0);
  unsetenv("TENSORGRAD_FIGURE_JSON");
  FILE *f = fopen(json_path, "rb");
  ck_assert_msg(f != NULL, "%s missing", json_path);
  static char json[65536];
  json[fread(json, 1, sizeof json - 1, f)] = '\0';
  fclose(f);
  const char *expected[] = {
      "{\"width\":720,\"height\":320,\"dpi\":100,\"font_size\":12,\"rows\":1,\"cols\":2,"
      "\"title\":\"Curves & <heat>\"",
      "\"xlabel\":\"epoch\",\"ylabel\":\"loss\"",
      "{\"kind\":\"line\",\"label\":\"train\",\"color\":\"#1f77b4\",\"line_width\":2",
      "\"dashed\":true,\"x\":[0,1,2,",
      "0.025000000000000001,", /* doubles round-trip */
      "{\"kind\":\"image\"",
      "\"grid\":[0,1,2,3,4,5,6,7,8,9,10,11],\"cmap\":\"viridis\"",
      "\"colorbar\":true,\"colorbar_label\":\"value\"",
  };
  for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
    ck_assert_msg(strstr(json, expected[i]), "no %s in %s", expected[i], json);
  tg_figure_free(fig);
}
END_TEST

/* ---- figure size and dpi ------------------------------------------------------------
 */

/* The bottom spine: the lowest row that is dark across a third of the image. */
static int bottom_spine(const image *im) {
  for (int y = im->h - 1; y >= 0; y--)
    if (count_dark(im, 0, y, im->w, y + 1) > im->w / 3) return y;
  return -1;
}

/* Rows of the x tick labels: the first run of inked rows below the tick
 * marks, right of the y tick labels (the lowest of which reaches down there). */
static int tick_label_rows(const image *im, int tick_length) {
  int y = bottom_spine(im) + tick_length + 1, rows = 0, x0 = im->w / 3;
  while (y < im->h && count_dark(im, x0, y, im->w, y + 1) == 0) y++;
  for (; y < im->h && count_dark(im, x0, y, im->w, y + 1) > 0; y++) rows++;
  return rows;
}

/* Rows of the red line in the middle column. */
static int line_thickness(const image *im) {
  int rows = 0;
  for (int y = 0; y < im->h; y++) {
    const uint8_t *p = pixel(im, im->w / 2, y);
    rows += p[0] > 0xA0 && p[1] < 0x80 && p[2] < 0x80;
  }
  return rows;
}

static image figure_at_dpi(double dpi, const char *name) {
  tg_figure *fig = tg_figure_new(300, 200, 1, 1);
  ck_assert_int_eq(tg_figure_set_size_inches(fig, 4, 2.5), 0);
  ck_assert_int_eq(tg_figure_set_dpi(fig, dpi), 0);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_plot(ax, NULL, (const double[]){0.5, 0.5}, 2, &(tg_style){.color = TG_RED});
  tg_axes_scatter(ax, (const double[]){0.5}, (const double[]){0.25}, NULL, 1,
                  &(tg_style){.color = TG_GREEN, .marker_size = 4});
  tg_axes_set_ylim(ax, 0, 1);
  return save_and_read(fig, name);
}

START_TEST(dpi_scales_canvas_text_and_lines) {
  image at100 = figure_at_dpi(100, "dpi100.png"),
        at200 = figure_at_dpi(200, "dpi200.png"),
        at150 = figure_at_dpi(150, "dpi150.png");
  ck_assert_int_eq(at100.w, 400);
  ck_assert_int_eq(at100.h, 250);
  ck_assert_int_eq(at200.w, 800);
  ck_assert_int_eq(at200.h, 500);
  ck_assert_int_eq(at150.w, 600);
  ck_assert_int_eq(at150.h, 375);
  int small = tick_label_rows(&at100, 4), big = tick_label_rows(&at200, 8);
  ck_assert_msg(small >= 8 && small <= 10 && abs(big - 2 * small) <= 1,
                "tick labels %d rows at 100 dpi, %d at 200", small, big);
  /* a disc of radius r paints about pi (r - 1/2)^2 pixels in full colour */
  double r = sqrt(count_all(&at100, TG_GREEN) / PI) + 0.5,
         big_r = sqrt(count_all(&at200, TG_GREEN) / PI) + 0.5;
  ck_assert_msg(fabs(r - 4) < 0.3 && fabs(big_r - 8) < 0.3, "marker radius %g vs %g", r,
                big_r);
  ck_assert_msg(line_thickness(&at100) == 2 && line_thickness(&at200) == 4,
                "line %d rows at 100 dpi, %d at 200", line_thickness(&at100),
                line_thickness(&at200));
  free(at100.px);
  free(at200.px);
  free(at150.px);

  tg_figure *fig = tg_figure_new(300, 200, 1, 1);
  ck_assert_int_eq(tg_figure_set_dpi(fig, 5), -1);
  ck_assert_str_eq(tg_last_error(), "tg_figure_set_dpi: 5 dpi is outside 10..2400");
  ck_assert_int_eq(tg_figure_set_size_inches(fig, 0, 3), -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_figure_set_size_inches: size 0 x 3 must be positive");
  ck_assert_int_eq(tg_figure_set_size_inches(fig, 200, 3), -1);
  ck_assert_str_eq(tg_last_error(),
                   "tg_figure_set_size_inches: 200 x 3 inches at 100 dpi "
                   "is 20000x300 pixels, outside 16..16384");
  tg_figure_free(fig);
}
END_TEST

int main(void) {
  Suite *s = suite_create("plot");
  TCase *png = tcase_create("png");
  tcase_add_test(png, png_round_trip_is_exact);
  tcase_add_test(png, png_write_replaces_atomically_and_reports_errors);
  tcase_add_test(png, png_read_rejects_bad_files_with_messages);
  suite_add_tcase(s, png);
  TCase *plots = tcase_create("plots");
  tcase_set_timeout(plots, 120);
  tcase_add_test(plots, ticks_are_round_1_2_5_steps);
  tcase_add_test(plots, line_plot_has_text_series_and_legend);
  tcase_add_test(plots, roc_and_pr_side_by_side);
  tcase_add_test(plots, decision_boundary_over_moons);
  tcase_add_test(plots, contours_with_optimizer_paths);
  tcase_add_test(plots, confusion_matrix_cells_and_names);
  tcase_add_test(plots, image_grid_of_digits);
  tcase_add_test(plots, colorbar_shows_the_scale_extremes);
  tcase_add_test(plots, log_axes_space_decades_evenly);
  tcase_add_test(plots, histogram_bars_have_the_counts_heights);
  tcase_add_test(plots, font_scales_with_antialiasing);
  tcase_add_test(plots, plot_errors_have_messages);
  tcase_add_test(plots, svg_is_vector_xml_with_the_figures_text);
  tcase_add_test(plots, svg_clips_far_away_points);
  tcase_add_test(plots, figure_json_beside_the_picture);
  tcase_add_test(plots, dpi_scales_canvas_text_and_lines);
  suite_add_tcase(s, plots);
  return tg_test_run(s);
}
