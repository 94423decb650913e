/* Drawing each kind of recorded item inside its axes' frame. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define BOUNDARY_COLOR TG_RGB(0x33, 0x33, 0x33)

static void draw_line(canvas *c, const plot_frame *f, const plot_item *item) {
  double *px = malloc(sizeof *px * item->n), *py = malloc(sizeof *py * item->n);
  if (!px || !py) goto done; /* nothing to draw with; the rest of the plot still is */
  /* Points without a pixel (non-finite, or <= 0 on a log axis) split the
   * line into separately drawn runs. */
  for (int start = 0; start < item->n;) {
    int len = 0;
    while (start + len < item->n) {
      px[len] = tg_plot_frame_px(f, item->x[start + len]);
      py[len] = tg_plot_frame_py(f, item->y[start + len]);
      if (!isfinite(px[len]) || !isfinite(py[len])) break;
      len++;
    }
    tg_plot_canvas_add_polyline(c, px, py, len, item->line_width * c->dpi_scale,
                                item->dashed);
    if (item->marker_size > 0)
      for (int i = 0; i < len; i++)
        tg_plot_canvas_add_disc(c, px[i], py[i], item->marker_size * c->dpi_scale);
    start += len + 1;
  }
  tg_plot_canvas_paint(c, item->color, 1.0);
done:
  free(px);
  free(py);
}

/* From 0 (or the bottom of a log axis) up to each height. */
static void draw_bars(canvas *c, const plot_frame *f, const plot_item *item) {
  for (int i = 0; i < item->n; i++) {
    double x0 = tg_plot_frame_px(f, item->x[i] - item->bar_width / 2),
           x1 = tg_plot_frame_px(f, item->x[i] + item->bar_width / 2);
    double base = f->ylog ? c->clip.y1 : tg_plot_frame_py(f, 0.0),
           top = tg_plot_frame_py(f, item->y[i]);
    if (!isfinite(x0) || !isfinite(x1) || !isfinite(top)) continue;
    rect r = {(int)lround(x0), (int)lround(fmin(base, top)), (int)lround(x1),
              (int)lround(fmax(base, top))};
    if (r.x1 <= r.x0) r.x1 = r.x0 + 1; /* keep a thin bar visible */
    tg_plot_canvas_fill_rect(c, r, item->color);
  }
}

/* Each dot gets a thin white rim so that overlapping dots and dots on a
 * tinted background stay distinguishable. */
static void draw_scatter(canvas *c, const plot_frame *f, const plot_item *item) {
  for (int i = 0; i < item->n; i++) {
    double x = tg_plot_frame_px(f, item->x[i]), y = tg_plot_frame_py(f, item->y[i]);
    tg_color color = item->classes ? tg_color_cycle(item->classes[i]) : item->color;
    tg_plot_canvas_add_disc(c, x, y, (item->marker_size + 0.8) * c->dpi_scale);
    tg_plot_canvas_paint(c, TG_WHITE, 0.9);
    tg_plot_canvas_add_disc(c, x, y, item->marker_size * c->dpi_scale);
    tg_plot_canvas_paint(c, color, 1.0);
  }
}

/* Grid coordinates (fractional column and row) of pixel (x, y)'s centre. */
static void pixel_to_grid(const plot_frame *f, const plot_item *item, int x, int y,
                          double *gx, double *gy) {
  const tg_extent *e = &item->extent;
  *gx =
      (tg_plot_frame_data_x(f, x + 0.5) - e->xmin) / (e->xmax - e->xmin) * (item->nx - 1);
  *gy =
      (tg_plot_frame_data_y(f, y + 0.5) - e->ymin) / (e->ymax - e->ymin) * (item->ny - 1);
}

static bool outside_grid(const plot_item *item, double gx, double gy) {
  return !(gx >= -0.5 && gx <= item->nx - 0.5 && gy >= -0.5 && gy <= item->ny - 0.5);
}

static double bilinear(const plot_item *item, double gx, double gy) {
  int nx = item->nx;
  gx = fmin(fmax(gx, 0.0), nx - 1.0);
  gy = fmin(fmax(gy, 0.0), item->ny - 1.0);
  int i = (int)fmin(gx, nx - 2.0), j = (int)fmin(gy, item->ny - 2.0);
  double tx = gx - i, ty = gy - j;
  const double *z = item->grid + (size_t)j * nx + i;
  return (z[0] * (1 - tx) + z[1] * tx) * (1 - ty) +
         (z[nx] * (1 - tx) + z[nx + 1] * tx) * ty;
}

/* Light where the model is unsure, stronger where it is confident. */
static tg_color probability_tint(double p) {
  double confidence = fmin(fabs(p - 0.5) * 2.0, 1.0);
  return tg_plot_color_mix(TG_WHITE, tg_color_cycle(p >= 0.5), 0.12 + 0.38 * confidence);
}

static void draw_fill(canvas *c, const plot_frame *f, const plot_item *item) {
  rect clip = c->clip;
  for (int y = clip.y0; y < clip.y1; y++)
    for (int x = clip.x0; x < clip.x1; x++) {
      double gx, gy;
      pixel_to_grid(f, item, x, y, &gx, &gy);
      if (outside_grid(item, gx, gy)) continue;
      tg_color color;
      if (item->kind == ITEM_FILL_PROBABILITY) {
        color = probability_tint(bilinear(item, gx, gy));
      } else {
        size_t at = (size_t)lround(gy) * item->nx + (size_t)lround(gx);
        color = tg_plot_color_mix(TG_WHITE, tg_color_cycle(item->classes[at]), 0.3);
      }
      tg_plot_canvas_blend_pixel(c, x, y, color, 1.0);
    }
  if (item->kind == ITEM_FILL_PROBABILITY) {
    tg_plot_contour_add_level(c, f, item, 0.5, 1.5 * c->dpi_scale);
    tg_plot_canvas_paint(c, BOUNDARY_COLOR, 0.85);
  }
}

static void draw_contour(canvas *c, const plot_frame *f, const plot_item *item) {
  for (int k = 0; k < item->n_levels; k++) {
    double t = item->n_levels > 1 ? (double)k / (item->n_levels - 1) : 0.5;
    tg_color color =
        item->color != TG_AUTO ? item->color : tg_plot_colormap_at(TG_CMAP_VIRIDIS, t);
    tg_plot_contour_add_level(c, f, item, item->levels[k],
                              item->line_width * c->dpi_scale);
    tg_plot_canvas_paint(c, color, 1.0);
  }
}

static void value_range(const plot_item *item, double *lo, double *hi) {
  *lo = item->vmin;
  *hi = item->vmax;
  if (*lo != *hi) return;
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t i = 0; i < (size_t)item->nx * item->ny; i++)
    if (isfinite(item->grid[i]))
      *lo = fmin(*lo, item->grid[i]), *hi = fmax(*hi, item->grid[i]);
  if (!(*hi > *lo)) *hi = *lo + 1.0; /* constant or empty: one colour */
}

/* Images and matrices: cell (column i, row j) covers [i-0.5, i+0.5] x
 * [j-0.5, j+0.5] in data coordinates, row 0 at the top. */
/* The cells' colours as an image of (nx*k) x (ny*k) RGB pixels, each cell a
 * k x k block; NULL if out of memory. */
static uint8_t *cell_image(const plot_item *item, tg_colormap cmap, double lo, double hi,
                           int k) {
  int w = item->nx * k, h = item->ny * k;
  uint8_t *rgb = malloc((size_t)w * h * 3);
  for (int y = 0; rgb && y < h; y++)
    for (int x = 0; x < w; x++) {
      double v = item->grid[(size_t)(y / k) * item->nx + x / k];
      tg_color color = tg_plot_colormap_at(cmap, (v - lo) / (hi - lo));
      uint8_t *p = rgb + ((size_t)y * w + x) * 3;
      p[0] = (color >> 16) & 0xFF, p[1] = (color >> 8) & 0xFF, p[2] = color & 0xFF;
    }
  return rgb;
}

/* In an SVG, the cells are one image stretched over them. Each cell is a
 * block of about its on-screen size, so the picture stays sharp in viewers
 * that smooth images (librsvg) and in those that honour pixelated. On a log
 * axis the blocks would be uneven: the per-pixel path below draws those. */
static bool svg_cells(canvas *c, const plot_frame *f, const plot_item *item,
                      tg_colormap cmap, double lo, double hi) {
  if (!c->svg || f->xlog || f->ylog) return false;
  double x0 = tg_plot_frame_px(f, -0.5), x1 = tg_plot_frame_px(f, item->nx - 0.5),
         y0 = tg_plot_frame_py(f, -0.5), y1 = tg_plot_frame_py(f, item->ny - 0.5);
  int k = (int)fmax(1.0, ceil(fmax(fabs(x1 - x0) / item->nx, fabs(y1 - y0) / item->ny)));
  while (k > 1 && (double)item->nx * item->ny * k * k > (1 << 22)) k--;
  uint8_t *rgb = cell_image(item, cmap, lo, hi, k);
  if (!rgb) return false; /* out of memory: the per-pixel path needs no buffer */
  tg_plot_svg_image(c, rgb, item->nx * k, item->ny * k, x0, y0, x1, y1);
  free(rgb);
  return true;
}

static void draw_cells(canvas *c, const plot_frame *f, const plot_item *item,
                       tg_colormap cmap) {
  double lo, hi;
  value_range(item, &lo, &hi);
  if (svg_cells(c, f, item, cmap, lo, hi)) return;
  rect clip = c->clip;
  for (int y = clip.y0; y < clip.y1; y++)
    for (int x = clip.x0; x < clip.x1; x++) {
      long i = lround(tg_plot_frame_data_x(f, x + 0.5)),
           j = lround(tg_plot_frame_data_y(f, y + 0.5));
      if (i < 0 || j < 0 || i >= item->nx || j >= item->ny) continue;
      double v = item->grid[(size_t)j * item->nx + (size_t)i];
      tg_plot_canvas_blend_pixel(c, x, y, tg_plot_colormap_at(cmap, (v - lo) / (hi - lo)),
                                 1.0);
    }
}

static void draw_confusion(canvas *c, const plot_frame *f, const plot_item *item) {
  double lo, hi;
  value_range(item, &lo, &hi);
  draw_cells(c, f, item, TG_CMAP_BLUES);
  for (int j = 0; j < item->ny; j++)
    for (int i = 0; i < item->nx; i++) {
      double v = item->grid[(size_t)j * item->nx + i];
      char text[32];
      if (v == floor(v) && fabs(v) < 1e15)
        snprintf(text, sizeof text, "%.0f", v);
      else
        snprintf(text, sizeof text, "%.3g", v);
      tg_color cell = tg_plot_colormap_at(TG_CMAP_BLUES, (v - lo) / (hi - lo));
      tg_color ink = tg_plot_color_luminance(cell) < 0.5 ? TG_WHITE : TG_BLACK;
      tg_plot_canvas_text(c, text, (int)floor(tg_plot_frame_px(f, i)),
                          (int)floor(tg_plot_frame_py(f, j)) + 1,
                          (text_style){0.5, 0.5, false, false, ink});
    }
}

bool tg_plot_item_color_scale(const plot_item *item, double *lo, double *hi) {
  switch (item->kind) {
  case ITEM_IMAGE:
  case ITEM_CONFUSION:
    value_range(item, lo, hi);
    return true;
  case ITEM_FILL_PROBABILITY:
    *lo = 0.0, *hi = 1.0;
    return true;
  case ITEM_CONTOUR:
    *lo = item->levels[0], *hi = item->levels[item->n_levels - 1];
    return item->color == TG_AUTO && item->n_levels > 1;
  default:
    return false;
  }
}

tg_color tg_plot_item_color_at(const plot_item *item, double t) {
  switch (item->kind) {
  case ITEM_IMAGE:
    return tg_plot_colormap_at(item->cmap, t);
  case ITEM_CONFUSION:
    return tg_plot_colormap_at(TG_CMAP_BLUES, t);
  case ITEM_FILL_PROBABILITY:
    return probability_tint(t);
  default:
    return tg_plot_colormap_at(TG_CMAP_VIRIDIS, t);
  }
}

void tg_plot_draw_item(canvas *c, const plot_frame *f, const plot_item *item) {
  switch (item->kind) {
  case ITEM_LINE:
    draw_line(c, f, item);
    break;
  case ITEM_SCATTER:
    draw_scatter(c, f, item);
    break;
  case ITEM_FILL_PROBABILITY:
  case ITEM_FILL_CLASSES:
    draw_fill(c, f, item);
    break;
  case ITEM_CONTOUR:
    draw_contour(c, f, item);
    break;
  case ITEM_CONFUSION:
    draw_confusion(c, f, item);
    break;
  case ITEM_IMAGE:
    draw_cells(c, f, item, item->cmap);
    break;
  case ITEM_BAR:
    draw_bars(c, f, item);
    break;
  }
}
