/* A figure's recorded contents as JSON: what was asked to be drawn (the
 * data, styles, labels and settings), not the pixels. tg_figure_save
 * writes it beside the picture when TENSORGRAD_FIGURE_JSON is set, so that
 * docs/plots/example_pairs.py can draw the examples' own figures again
 * with matplotlib from exactly the same data. */
#include "plot.h"

#include <math.h>

static const char *const kind_names[] = {[ITEM_LINE] = "line",
                                         [ITEM_SCATTER] = "scatter",
                                         [ITEM_FILL_PROBABILITY] = "fill_probability",
                                         [ITEM_FILL_CLASSES] = "fill_classes",
                                         [ITEM_CONTOUR] = "contour",
                                         [ITEM_CONFUSION] = "confusion",
                                         [ITEM_IMAGE] = "image",
                                         [ITEM_BAR] = "bar"};
static const char *const cmap_names[] = {[TG_CMAP_VIRIDIS] = "viridis",
                                         [TG_CMAP_BLUES] = "Blues",
                                         [TG_CMAP_GRAY] = "gray",
                                         [TG_CMAP_GRAY_R] = "gray_r"};

/* A string, or null; bytes outside printable ASCII become '?' as they are
 * drawn, which also keeps the JSON valid UTF-8. */
static void put_string(plot_buf *b, const char *s) {
  if (!s) {
    tg_plot_buf_printf(b, "null");
    return;
  }
  tg_plot_buf_printf(b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      tg_plot_buf_printf(b, "\\%c", *p);
    else
      tg_plot_buf_printf(b, "%c", *p >= ' ' && *p <= '~' ? *p : '?');
  }
  tg_plot_buf_printf(b, "\"");
}

/* Round-trips every double; non-finite values are null. */
static void put_number(plot_buf *b, double v) {
  if (isfinite(v))
    tg_plot_buf_printf(b, "%.17g", v);
  else
    tg_plot_buf_printf(b, "null");
}

static void put_numbers(plot_buf *b, const char *key, const double *v, size_t n) {
  tg_plot_buf_printf(b, ",\"%s\":[", key);
  for (size_t i = 0; i < n; i++) {
    if (i) tg_plot_buf_printf(b, ",");
    put_number(b, v[i]);
  }
  tg_plot_buf_printf(b, "]");
}

static void put_ints(plot_buf *b, const char *key, const int *v, size_t n) {
  tg_plot_buf_printf(b, ",\"%s\":[", key);
  for (size_t i = 0; i < n; i++) tg_plot_buf_printf(b, i ? ",%d" : "%d", v[i]);
  tg_plot_buf_printf(b, "]");
}

static void put_color(plot_buf *b, tg_color c) {
  if (c == TG_AUTO)
    tg_plot_buf_printf(b, "null");
  else
    tg_plot_buf_printf(b, "\"#%06x\"", (unsigned)(c & 0xFFFFFFu));
}

static void put_item(plot_buf *b, const plot_item *item) {
  tg_plot_buf_printf(b, "{\"kind\":\"%s\",\"label\":", kind_names[item->kind]);
  put_string(b, item->label);
  tg_plot_buf_printf(b, ",\"color\":");
  put_color(b, item->color);
  tg_plot_buf_printf(b, ",\"line_width\":%g,\"marker_size\":%g,\"dashed\":%s",
                     item->line_width, item->marker_size,
                     item->dashed ? "true" : "false");
  if (item->kind == ITEM_BAR)
    tg_plot_buf_printf(b, ",\"bar_width\":%.17g", item->bar_width);
  if (item->x) put_numbers(b, "x", item->x, (size_t)item->n);
  if (item->y) put_numbers(b, "y", item->y, (size_t)item->n);
  size_t cells = (size_t)item->nx * (size_t)item->ny;
  if (item->classes)
    put_ints(b, "classes", item->classes,
             item->kind == ITEM_SCATTER ? (size_t)item->n : cells);
  if (cells) {
    tg_plot_buf_printf(b, ",\"nx\":%d,\"ny\":%d", item->nx, item->ny);
    const tg_extent *e = &item->extent;
    put_numbers(b, "extent", (const double[]){e->xmin, e->xmax, e->ymin, e->ymax}, 4);
  }
  if (item->grid) put_numbers(b, "grid", item->grid, cells);
  if (item->levels) put_numbers(b, "levels", item->levels, (size_t)item->n_levels);
  if (item->kind == ITEM_IMAGE) {
    tg_plot_buf_printf(b, ",\"cmap\":\"%s\",\"vmin\":", cmap_names[item->cmap]);
    put_number(b, item->vmin);
    tg_plot_buf_printf(b, ",\"vmax\":");
    put_number(b, item->vmax);
  }
  if (item->names) {
    tg_plot_buf_printf(b, ",\"names\":[");
    for (int i = 0; i < item->nx; i++) {
      if (i) tg_plot_buf_printf(b, ",");
      put_string(b, item->names[i]);
    }
    tg_plot_buf_printf(b, "]");
  }
  tg_plot_buf_printf(b, "}");
}

static void put_limits(plot_buf *b, const char *key, bool fixed, const double *lim) {
  tg_plot_buf_printf(b, ",\"%s\":", key);
  if (!fixed) {
    tg_plot_buf_printf(b, "null");
    return;
  }
  tg_plot_buf_printf(b, "[%.17g,%.17g]", lim[0], lim[1]);
}

static void put_axes(plot_buf *b, const tg_axes *ax) {
  tg_plot_buf_printf(b, "{\"title\":");
  put_string(b, ax->title);
  tg_plot_buf_printf(b, ",\"xlabel\":");
  put_string(b, ax->xlabel);
  tg_plot_buf_printf(b, ",\"ylabel\":");
  put_string(b, ax->ylabel);
  put_limits(b, "xlim", ax->fixed_x, ax->xlim);
  put_limits(b, "ylim", ax->fixed_y, ax->ylim);
  tg_plot_buf_printf(
      b,
      ",\"grid\":%s,\"equal_aspect\":%s,\"axis_off\":%s,\"xlog\":%s,\"ylog\":%s,"
      "\"colorbar\":%s,\"colorbar_label\":",
      ax->grid ? "true" : "false", ax->equal_aspect ? "true" : "false",
      ax->axis_off ? "true" : "false", ax->xlog ? "true" : "false",
      ax->ylog ? "true" : "false", ax->colorbar ? "true" : "false");
  put_string(b, ax->colorbar_label);
  tg_plot_buf_printf(b, ",\"items\":[");
  for (int k = 0; k < ax->n_items; k++) {
    if (k) tg_plot_buf_printf(b, ",");
    put_item(b, &ax->items[k]);
  }
  tg_plot_buf_printf(b, "]}");
}

void tg_plot_figure_json(const tg_figure *fig, plot_buf *b) {
  tg_plot_buf_printf(b,
                     "{\"width\":%d,\"height\":%d,\"dpi\":%g,\"font_size\":%g,"
                     "\"rows\":%d,\"cols\":%d,\"title\":",
                     fig->width, fig->height, fig->dpi, fig->text_scale * FONT_HEIGHT,
                     fig->rows, fig->cols);
  put_string(b, fig->title);
  tg_plot_buf_printf(b, ",\"axes\":[");
  for (int a = 0; a < fig->rows * fig->cols; a++) {
    tg_plot_buf_printf(b, a ? ",\n" : "\n");
    put_axes(b, &fig->axes[a]);
  }
  tg_plot_buf_printf(b, "]}\n");
}
