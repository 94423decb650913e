/* Figures and axes: creating them, recording what to draw (copies of the
 * caller's arrays) and the first error, and saving. */
#include "io/atomic_file.h"
#include "plot.h"
#include "tensorgrad/png.h"
#include "tensorgrad/tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FIGURE_SIDE 16384
#define MAX_GRID_POINTS ((size_t)1 << 24)

int tg_plot_fail(tg_figure *fig, const char *fmt, ...) {
  char message[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  tg_set_last_error("%s", message);
  if (fig && !fig->error[0]) snprintf(fig->error, sizeof fig->error, "%s", message);
  return -1;
}

char *tg_plot_strdup(const char *s) {
  if (!s) return NULL;
  char *copy = malloc(strlen(s) + 1);
  return copy ? strcpy(copy, s) : NULL;
}

/* ---- figures ------------------------------------------------------------- */

tg_figure *tg_figure_new(int width, int height, int rows, int cols) {
  if (width < 16 || height < 16 || width > MAX_FIGURE_SIDE || height > MAX_FIGURE_SIDE) {
    tg_plot_fail(NULL, "tg_figure_new: size %dx%d is outside 16..%d pixels", width,
                 height, MAX_FIGURE_SIDE);
    return NULL;
  }
  if (rows < 1 || cols < 1 || rows > 64 || cols > 64) {
    tg_plot_fail(NULL, "tg_figure_new: %dx%d axes; rows and cols must be in 1..64", rows,
                 cols);
    return NULL;
  }
  tg_figure *fig = calloc(1, sizeof *fig);
  tg_axes *axes = calloc((size_t)rows * cols, sizeof *axes);
  if (!fig || !axes) {
    free(fig);
    free(axes);
    tg_plot_fail(NULL, "tg_figure_new: out of memory");
    return NULL;
  }
  *fig = (tg_figure){.width = width,
                     .height = height,
                     .rows = rows,
                     .cols = cols,
                     .width_inches = width / 100.0,
                     .height_inches = height / 100.0,
                     .dpi = 100.0,
                     .text_scale = 1.0,
                     .axes = axes};
  for (int i = 0; i < rows * cols; i++) axes[i].fig = fig;
  return fig;
}

static void free_item(plot_item *item) {
  free(item->label);
  free(item->x);
  free(item->y);
  free(item->classes);
  free(item->grid);
  free(item->levels);
  for (int i = 0; item->names && i < item->nx; i++) free(item->names[i]);
  free(item->names);
}

void tg_figure_free(tg_figure *fig) {
  if (!fig) return;
  for (int a = 0; a < fig->rows * fig->cols; a++) {
    tg_axes *ax = &fig->axes[a];
    for (int i = 0; i < ax->n_items; i++) free_item(&ax->items[i]);
    free(ax->items);
    free(ax->title);
    free(ax->xlabel);
    free(ax->ylabel);
    free(ax->colorbar_label);
  }
  free(fig->axes);
  free(fig->title);
  free(fig);
}

tg_axes *tg_figure_axes(tg_figure *fig, int index) {
  if (!fig) {
    tg_plot_fail(NULL, "tg_figure_axes: figure is NULL");
    return NULL;
  }
  if (index < 0 || index >= fig->rows * fig->cols) {
    tg_plot_fail(fig, "tg_figure_axes: index %d out of range for %dx%d axes", index,
                 fig->rows, fig->cols);
    return NULL;
  }
  return &fig->axes[index];
}

/* Replaces *slot with a copy of text. */
static int set_text(tg_figure *fig, char **slot, const char *text, const char *who) {
  char *copy = tg_plot_strdup(text ? text : "");
  if (!copy) return tg_plot_fail(fig, "%s: out of memory", who);
  free(*slot);
  *slot = copy;
  return 0;
}

int tg_figure_set_title(tg_figure *fig, const char *title) {
  if (!fig) return tg_plot_fail(NULL, "tg_figure_set_title: figure is NULL");
  return set_text(fig, &fig->title, title, "tg_figure_set_title");
}

/* The figure's first error, if any, as tg_last_error; -1 then. */
static int recorded_error(const tg_figure *fig) {
  if (!fig->error[0]) return 0;
  tg_set_last_error("%s", fig->error);
  return -1;
}

int tg_figure_render(tg_figure *fig, uint8_t **rgb_out, int *width, int *height) {
  if (!fig || !rgb_out || !width || !height)
    return tg_plot_fail(fig, "tg_figure_render: figure and outputs must not be NULL");
  if (recorded_error(fig) != 0) return -1;
  canvas c;
  if (tg_plot_canvas_init(&c, fig->width, fig->height) != 0)
    return tg_plot_fail(fig, "tg_figure_render: out of memory");
  tg_plot_render_figure(fig, &c);
  free(c.coverage);
  *rgb_out = c.rgb;
  *width = c.width;
  *height = c.height;
  return 0;
}

int tg_figure_render_svg(tg_figure *fig, char **svg, size_t *len) {
  if (!fig || !svg || !len)
    return tg_plot_fail(fig, "tg_figure_render_svg: figure and outputs must not be NULL");
  if (recorded_error(fig) != 0) return -1;
  canvas c;
  if (tg_plot_canvas_init_svg(&c, fig->width, fig->height) != 0)
    return tg_plot_fail(fig, "tg_figure_render_svg: out of memory");
  tg_plot_render_figure(fig, &c);
  int rc = tg_plot_svg_finish(&c, svg, len);
  tg_plot_canvas_free(&c);
  return rc == 0 ? 0 : tg_plot_fail(fig, "tg_figure_render_svg: out of memory");
}

/* Writes the bytes to path through a temporary file and a rename. */
static int write_atomically(const char *path, const char *bytes, size_t len,
                            const char *who) {
  tg_atomic_file f;
  if (tg_atomic_open(&f, path, who) != 0) return -1;
  if (tg_atomic_write(&f, bytes, len) != 0) {
    tg_atomic_abort(&f);
    return -1;
  }
  return tg_atomic_commit(&f);
}

int tg_figure_save_svg(tg_figure *fig, const char *path) {
  if (!path) return tg_plot_fail(fig, "tg_figure_save_svg: path is NULL");
  char *svg = NULL;
  size_t len = 0;
  if (tg_figure_render_svg(fig, &svg, &len) != 0) return -1;
  int rc = write_atomically(path, svg, len, "tg_figure_save_svg");
  free(svg);
  return rc;
}

/* With TENSORGRAD_FIGURE_JSON set, "<path>.json" gets the figure's data
 * (json_export.c). */
static int save_json_beside(const tg_figure *fig, const char *path) {
  const char *wanted = getenv("TENSORGRAD_FIGURE_JSON");
  if (!wanted || !*wanted || strcmp(wanted, "0") == 0) return 0;
  plot_buf json = {0}, json_path = {0};
  tg_plot_figure_json(fig, &json);
  tg_plot_buf_printf(&json_path, "%s.json", path);
  int rc = json.failed || json_path.failed
               ? tg_plot_fail(NULL, "tg_figure_save: %s.json: out of memory", path)
               : write_atomically(json_path.data, json.data, json.len, "tg_figure_save");
  tg_plot_buf_free(&json);
  tg_plot_buf_free(&json_path);
  return rc;
}

static bool ends_with_svg(const char *path) {
  size_t n = path ? strlen(path) : 0;
  return n >= 4 && strcasecmp(path + n - 4, ".svg") == 0;
}

int tg_figure_save(tg_figure *fig, const char *path) {
  int rc;
  if (ends_with_svg(path)) {
    rc = tg_figure_save_svg(fig, path);
  } else {
    uint8_t *pixels = NULL;
    int width = 0, height = 0;
    if (tg_figure_render(fig, &pixels, &width, &height) != 0) return -1;
    rc = tg_png_write(path, pixels, width, height, 3);
    free(pixels);
  }
  return rc == 0 ? save_json_beside(fig, path) : rc;
}

/* ---- axes settings ------------------------------------------------------- */

#define CHECK_AXES(ax, who)                                                              \
  do {                                                                                   \
    if (!(ax)) return tg_plot_fail(NULL, "%s: axes is NULL", who);                       \
  } while (0)

int tg_axes_set_title(tg_axes *ax, const char *title) {
  CHECK_AXES(ax, "tg_axes_set_title");
  return set_text(ax->fig, &ax->title, title, "tg_axes_set_title");
}

int tg_axes_set_xlabel(tg_axes *ax, const char *label) {
  CHECK_AXES(ax, "tg_axes_set_xlabel");
  return set_text(ax->fig, &ax->xlabel, label, "tg_axes_set_xlabel");
}

int tg_axes_set_ylabel(tg_axes *ax, const char *label) {
  CHECK_AXES(ax, "tg_axes_set_ylabel");
  return set_text(ax->fig, &ax->ylabel, label, "tg_axes_set_ylabel");
}

static int set_limits(tg_axes *ax, bool *fixed, double *lim, double lo, double hi,
                      const char *who) {
  if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
    return tg_plot_fail(ax->fig, "%s: limits (%g, %g) must be finite with lo < hi", who,
                        lo, hi);
  *fixed = true;
  lim[0] = lo;
  lim[1] = hi;
  return 0;
}

int tg_axes_set_xlim(tg_axes *ax, double lo, double hi) {
  CHECK_AXES(ax, "tg_axes_set_xlim");
  return set_limits(ax, &ax->fixed_x, ax->xlim, lo, hi, "tg_axes_set_xlim");
}

int tg_axes_set_ylim(tg_axes *ax, double lo, double hi) {
  CHECK_AXES(ax, "tg_axes_set_ylim");
  return set_limits(ax, &ax->fixed_y, ax->ylim, lo, hi, "tg_axes_set_ylim");
}

int tg_axes_set_grid(tg_axes *ax, bool on) {
  CHECK_AXES(ax, "tg_axes_set_grid");
  ax->grid = on;
  return 0;
}

int tg_figure_set_font_size(tg_figure *fig, double pixels) {
  if (!fig) return tg_plot_fail(NULL, "tg_figure_set_font_size: figure is NULL");
  if (!(pixels >= 4 && pixels <= 400))
    return tg_plot_fail(fig, "tg_figure_set_font_size: %g pixels is outside 4..400",
                        pixels);
  fig->text_scale = pixels / FONT_HEIGHT;
  return 0;
}

/* Sets the pixel size from inches and dpi, if it is one tg_figure_new accepts. */
static int resize(tg_figure *fig, double width_inches, double height_inches, double dpi,
                  const char *who) {
  double w = round(width_inches * dpi), h = round(height_inches * dpi);
  if (!(w >= 16 && h >= 16 && w <= MAX_FIGURE_SIDE && h <= MAX_FIGURE_SIDE))
    return tg_plot_fail(fig,
                        "%s: %g x %g inches at %g dpi is %.0fx%.0f pixels, outside "
                        "16..%d",
                        who, width_inches, height_inches, dpi, w, h, MAX_FIGURE_SIDE);
  fig->width_inches = width_inches;
  fig->height_inches = height_inches;
  fig->dpi = dpi;
  fig->width = (int)w;
  fig->height = (int)h;
  return 0;
}

int tg_figure_set_size_inches(tg_figure *fig, double width, double height) {
  const char *who = "tg_figure_set_size_inches";
  if (!fig) return tg_plot_fail(NULL, "%s: figure is NULL", who);
  if (!(width > 0 && height > 0 && isfinite(width) && isfinite(height)))
    return tg_plot_fail(fig, "%s: size %g x %g must be positive", who, width, height);
  return resize(fig, width, height, fig->dpi, who);
}

int tg_figure_set_dpi(tg_figure *fig, double dpi) {
  const char *who = "tg_figure_set_dpi";
  if (!fig) return tg_plot_fail(NULL, "%s: figure is NULL", who);
  if (!(dpi >= 10 && dpi <= 2400))
    return tg_plot_fail(fig, "%s: %g dpi is outside 10..2400", who, dpi);
  return resize(fig, fig->width_inches, fig->height_inches, dpi, who);
}

int tg_axes_set_xscale_log(tg_axes *ax, bool on) {
  CHECK_AXES(ax, "tg_axes_set_xscale_log");
  ax->xlog = on;
  return 0;
}

int tg_axes_set_yscale_log(tg_axes *ax, bool on) {
  CHECK_AXES(ax, "tg_axes_set_yscale_log");
  ax->ylog = on;
  return 0;
}

int tg_axes_colorbar(tg_axes *ax, const char *label) {
  CHECK_AXES(ax, "tg_axes_colorbar");
  ax->colorbar = true;
  return label ? set_text(ax->fig, &ax->colorbar_label, label, "tg_axes_colorbar") : 0;
}

int tg_axes_set_equal_aspect(tg_axes *ax, bool on) {
  CHECK_AXES(ax, "tg_axes_set_equal_aspect");
  ax->equal_aspect = on;
  return 0;
}

int tg_axes_set_axis_off(tg_axes *ax, bool off) {
  CHECK_AXES(ax, "tg_axes_set_axis_off");
  ax->axis_off = off;
  return 0;
}

/* ---- recording items ------------------------------------------------------- */

/* A zeroed new item at the end of the axes' list, or NULL (error set). */
static plot_item *new_item(tg_axes *ax, item_kind kind, const char *who) {
  if (ax->n_items == ax->cap_items) {
    int cap = ax->cap_items ? 2 * ax->cap_items : 4;
    plot_item *grown = realloc(ax->items, (size_t)cap * sizeof *grown);
    if (!grown) {
      tg_plot_fail(ax->fig, "%s: out of memory", who);
      return NULL;
    }
    ax->items = grown;
    ax->cap_items = cap;
  }
  plot_item *item = &ax->items[ax->n_items];
  memset(item, 0, sizeof *item);
  item->kind = kind;
  return item;
}

/* Makes the item returned by new_item part of the axes. */
static int commit_item(tg_axes *ax) {
  ax->n_items++;
  return 0;
}

static int abandon_item(tg_axes *ax, plot_item *item, const char *who) {
  free_item(item);
  return tg_plot_fail(ax->fig, "%s: out of memory", who);
}

static void *copy_array(const void *src, size_t count, size_t size) {
  void *copy = malloc(count * size);
  return copy ? memcpy(copy, src, count * size) : NULL;
}

static int apply_style(tg_axes *ax, plot_item *item, const tg_style *style,
                       double default_width) {
  tg_style s = style ? *style : (tg_style){0};
  item->color = s.color != TG_AUTO ? s.color : tg_color_cycle(ax->next_color++);
  item->line_width = s.line_width > 0 ? s.line_width : default_width;
  item->marker_size = s.marker_size;
  item->dashed = s.dashed;
  item->label = tg_plot_strdup(s.label);
  return (s.label && !item->label) ? -1 : 0;
}

int tg_axes_plot(tg_axes *ax, const double *x, const double *y, int n,
                 const tg_style *style) {
  const char *who = "tg_axes_plot";
  CHECK_AXES(ax, who);
  if (!y) return tg_plot_fail(ax->fig, "%s: y is NULL", who);
  if (n < 1) return tg_plot_fail(ax->fig, "%s: n is %d, need at least 1 point", who, n);
  plot_item *item = new_item(ax, ITEM_LINE, who);
  if (!item) return -1;
  item->n = n;
  item->x = malloc((size_t)n * sizeof *item->x);
  item->y = copy_array(y, (size_t)n, sizeof *y);
  if (!item->x || !item->y || apply_style(ax, item, style, 2.0) != 0)
    return abandon_item(ax, item, who);
  for (int i = 0; i < n; i++) item->x[i] = x ? x[i] : i;
  return commit_item(ax);
}

int tg_axes_bar(tg_axes *ax, const double *x, const double *heights, int n, double width,
                const tg_style *style) {
  const char *who = "tg_axes_bar";
  CHECK_AXES(ax, who);
  if (!heights) return tg_plot_fail(ax->fig, "%s: heights is NULL", who);
  if (n < 1) return tg_plot_fail(ax->fig, "%s: n is %d, need at least 1 bar", who, n);
  if (!(width > 0) || !isfinite(width))
    return tg_plot_fail(ax->fig, "%s: width is %g, must be positive", who, width);
  plot_item *item = new_item(ax, ITEM_BAR, who);
  if (!item) return -1;
  item->n = n;
  item->bar_width = width;
  item->x = malloc((size_t)n * sizeof *item->x);
  item->y = copy_array(heights, (size_t)n, sizeof *heights);
  if (!item->x || !item->y || apply_style(ax, item, style, 1.0) != 0)
    return abandon_item(ax, item, who);
  for (int i = 0; i < n; i++) item->x[i] = x ? x[i] : i;
  return commit_item(ax);
}

int tg_axes_hist(tg_axes *ax, const double *values, int n, int bins,
                 const tg_style *style) {
  const char *who = "tg_axes_hist";
  CHECK_AXES(ax, who);
  if (!values) return tg_plot_fail(ax->fig, "%s: values is NULL", who);
  if (bins < 1)
    return tg_plot_fail(ax->fig, "%s: bins is %d, need at least 1", who, bins);
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < n; i++)
    if (isfinite(values[i])) lo = fmin(lo, values[i]), hi = fmax(hi, values[i]);
  if (!(lo <= hi)) return tg_plot_fail(ax->fig, "%s: no finite values among %d", who, n);
  if (lo == hi) lo -= 0.5, hi += 0.5; /* numpy's range for a single value */
  double *centres = malloc((size_t)bins * sizeof *centres),
         *counts = calloc((size_t)bins, sizeof *counts);
  if (!centres || !counts) {
    free(centres), free(counts);
    return tg_plot_fail(ax->fig, "%s: out of memory", who);
  }
  double w = (hi - lo) / bins;
  for (int b = 0; b < bins; b++) centres[b] = lo + (b + 0.5) * w;
  /* numpy.histogram: bins are half-open [a, b) but the last is closed */
  for (int i = 0; i < n; i++)
    if (isfinite(values[i]))
      counts[(int)fmin(floor((values[i] - lo) / w), bins - 1.0)] += 1;
  int status = tg_axes_bar(ax, centres, counts, bins, w, style);
  free(centres), free(counts);
  return status;
}

int tg_axes_scatter(tg_axes *ax, const double *x, const double *y, const int *classes,
                    int n, const tg_style *style) {
  const char *who = "tg_axes_scatter";
  CHECK_AXES(ax, who);
  if (!x || !y) return tg_plot_fail(ax->fig, "%s: x and y must not be NULL", who);
  if (n < 1) return tg_plot_fail(ax->fig, "%s: n is %d, need at least 1 point", who, n);
  plot_item *item = new_item(ax, ITEM_SCATTER, who);
  if (!item) return -1;
  item->n = n;
  item->x = copy_array(x, (size_t)n, sizeof *x);
  item->y = copy_array(y, (size_t)n, sizeof *y);
  item->classes = classes ? copy_array(classes, (size_t)n, sizeof *classes) : NULL;
  if (!item->x || !item->y || (classes && !item->classes) ||
      apply_style(ax, item, style, 1.0) != 0)
    return abandon_item(ax, item, who);
  if (item->marker_size <= 0) item->marker_size = 3.5;
  return commit_item(ax);
}

static int check_grid(tg_axes *ax, const void *values, int nx, int ny, int min_side,
                      const char *who) {
  if (!values) return tg_plot_fail(ax->fig, "%s: grid is NULL", who);
  if (nx < min_side || ny < min_side || (size_t)nx * (size_t)ny > MAX_GRID_POINTS)
    return tg_plot_fail(ax->fig,
                        "%s: grid %dx%d must be at least %dx%d and at most 2^24 points",
                        who, nx, ny, min_side, min_side);
  return 0;
}

static int check_extent(tg_axes *ax, tg_extent e, const char *who) {
  if (!isfinite(e.xmin) || !isfinite(e.xmax) || !isfinite(e.ymin) || !isfinite(e.ymax) ||
      !(e.xmin < e.xmax) || !(e.ymin < e.ymax))
    return tg_plot_fail(ax->fig,
                        "%s: extent [%g, %g] x [%g, %g] must be finite and non-empty",
                        who, e.xmin, e.xmax, e.ymin, e.ymax);
  return 0;
}

/* Records a grid item of nx*ny values (doubles or ints) over `extent`. */
static plot_item *add_grid_item(tg_axes *ax, item_kind kind, const double *values,
                                const int *classes, int nx, int ny, tg_extent extent,
                                const char *who) {
  plot_item *item = new_item(ax, kind, who);
  if (!item) return NULL;
  size_t count = (size_t)nx * (size_t)ny;
  item->nx = nx;
  item->ny = ny;
  item->extent = extent;
  if (values) item->grid = copy_array(values, count, sizeof *values);
  if (classes) item->classes = copy_array(classes, count, sizeof *classes);
  if ((values && !item->grid) || (classes && !item->classes)) {
    abandon_item(ax, item, who);
    return NULL;
  }
  return item;
}

int tg_axes_fill_probability(tg_axes *ax, const double *probs, int nx, int ny,
                             tg_extent extent) {
  const char *who = "tg_axes_fill_probability";
  CHECK_AXES(ax, who);
  if (check_grid(ax, probs, nx, ny, 2, who) || check_extent(ax, extent, who)) return -1;
  if (!add_grid_item(ax, ITEM_FILL_PROBABILITY, probs, NULL, nx, ny, extent, who))
    return -1;
  return commit_item(ax);
}

int tg_axes_fill_classes(tg_axes *ax, const int *classes, int nx, int ny,
                         tg_extent extent) {
  const char *who = "tg_axes_fill_classes";
  CHECK_AXES(ax, who);
  if (check_grid(ax, classes, nx, ny, 2, who) || check_extent(ax, extent, who)) return -1;
  if (!add_grid_item(ax, ITEM_FILL_CLASSES, NULL, classes, nx, ny, extent, who))
    return -1;
  return commit_item(ax);
}

/* About n evenly spaced round levels strictly inside the data's range. */
static int choose_levels(const double *z, size_t count, int n, double **levels) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < count; i++)
    if (isfinite(z[i])) lo = fmin(lo, z[i]), hi = fmax(hi, z[i]);
  ticks t;
  tg_plot_ticks_nice(&t, lo, hi, n + 1.0, 1.0);
  *levels = malloc(sizeof **levels * (t.n > 0 ? t.n : 1));
  if (!*levels) return -1;
  int kept = 0;
  for (int i = 0; i < t.n; i++)
    if (t.value[i] > lo && t.value[i] < hi) (*levels)[kept++] = t.value[i];
  return kept;
}

int tg_axes_contour(tg_axes *ax, const double *z, int nx, int ny, tg_extent extent,
                    const double *levels, int n_levels, const tg_style *style) {
  const char *who = "tg_axes_contour";
  CHECK_AXES(ax, who);
  if (check_grid(ax, z, nx, ny, 2, who) || check_extent(ax, extent, who)) return -1;
  if (n_levels < 1 || n_levels > 1000)
    return tg_plot_fail(ax->fig, "%s: n_levels is %d, must be in 1..1000", who, n_levels);
  plot_item *item = add_grid_item(ax, ITEM_CONTOUR, z, NULL, nx, ny, extent, who);
  if (!item) return -1;
  item->n_levels =
      levels ? n_levels : choose_levels(z, (size_t)nx * ny, n_levels, &item->levels);
  if (levels) item->levels = copy_array(levels, (size_t)n_levels, sizeof *levels);
  tg_style s = style ? *style : (tg_style){0};
  item->color = s.color; /* TG_AUTO: viridis per level, no cycle colour used */
  item->line_width = s.line_width > 0 ? s.line_width : 1.25;
  item->dashed = s.dashed;
  item->label = tg_plot_strdup(s.label);
  if (!item->levels || item->n_levels < 0 || (s.label && !item->label))
    return abandon_item(ax, item, who);
  return commit_item(ax);
}

int tg_axes_confusion_matrix(tg_axes *ax, const double *counts, int k,
                             const char *const *class_names) {
  const char *who = "tg_axes_confusion_matrix";
  CHECK_AXES(ax, who);
  if (check_grid(ax, counts, k, k, 1, who)) return -1;
  if (k > MAX_TICKS)
    return tg_plot_fail(ax->fig, "%s: k is %d, at most %d classes", who, k, MAX_TICKS);
  tg_extent extent = {-0.5, k - 0.5, -0.5, k - 0.5};
  plot_item *item = add_grid_item(ax, ITEM_CONFUSION, counts, NULL, k, k, extent, who);
  if (!item) return -1;
  item->names = calloc((size_t)k, sizeof *item->names);
  for (int i = 0; item->names && i < k; i++) {
    char number[16];
    snprintf(number, sizeof number, "%d", i);
    item->names[i] =
        tg_plot_strdup(class_names && class_names[i] ? class_names[i] : number);
    if (!item->names[i]) return abandon_item(ax, item, who);
  }
  if (!item->names) return abandon_item(ax, item, who);
  ax->equal_aspect = true; /* square cells */
  if ((!ax->xlabel && tg_axes_set_xlabel(ax, "Predicted label") != 0) ||
      (!ax->ylabel && tg_axes_set_ylabel(ax, "True label") != 0))
    return abandon_item(ax, item, who);
  return commit_item(ax);
}

int tg_axes_imshow(tg_axes *ax, const double *values, int width, int height,
                   tg_colormap cmap, double vmin, double vmax) {
  const char *who = "tg_axes_imshow";
  CHECK_AXES(ax, who);
  if (check_grid(ax, values, width, height, 1, who)) return -1;
  tg_extent extent = {-0.5, width - 0.5, -0.5, height - 0.5};
  plot_item *item =
      add_grid_item(ax, ITEM_IMAGE, values, NULL, width, height, extent, who);
  if (!item) return -1;
  item->cmap = cmap;
  item->vmin = vmin;
  item->vmax = vmax;
  ax->equal_aspect = true;
  return commit_item(ax);
}
