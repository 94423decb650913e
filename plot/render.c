/* Laying out a figure and drawing each axes: limits, ticks, spines, labels,
 * title, the items and the legend. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PAD 10        /* around each axes' cell */
#define TICK_LENGTH 4 /* outward tick marks */
#define TEXT_GAP 4    /* between a tick and its label, or a label and the axis */
#define INK TG_RGB(0x22, 0x22, 0x22)
#define GRID_COLOR TG_RGB(0xdd, 0xdd, 0xdd)

/* Lengths above are pixels at 100 dpi (tg_figure_new's pixels); a figure
 * at another dpi draws them, the text and the lines that much larger. */
static int px(const canvas *c, double length) {
  return (int)lround(length * c->dpi_scale);
}

/* The thickness of spines, ticks and grid lines: one pixel at 100 dpi. */
static int hairline(const canvas *c) {
  return px(c, 1.0) > 1 ? px(c, 1.0) : 1;
}

/* ---- limits ---------------------------------------------------------------- */

typedef struct {
  double lo, hi;
} span;

/* v in the axis' coordinate: log10 on a log axis, where v <= 0 has none. */
static void extend(span *s, double v, bool log_scale) {
  if (log_scale) v = v > 0 ? log10(v) : NAN;
  if (isfinite(v)) s->lo = fmin(s->lo, v), s->hi = fmax(s->hi, v);
}

/* Lines and dots get 5% of breathing room like matplotlib's margins; grids
 * (images, fills, contours) fill the axes exactly. */
static void finish_span(span *s, bool margins, bool fixed, const double *lim,
                        bool log_scale) {
  if (fixed) {
    *s = log_scale ? (span){log10(lim[0]), log10(lim[1])} : (span){lim[0], lim[1]};
    if (isfinite(s->lo) && isfinite(s->hi)) return;
    *s = (span){INFINITY, -INFINITY}; /* limits <= 0 on a log axis: fit the data */
  }
  if (!(s->lo <= s->hi)) *s = (span){0.0, 1.0};
  if (s->lo == s->hi) {
    double half = s->lo != 0 ? fabs(s->lo) * 0.05 : 0.5;
    *s = (span){s->lo - half, s->hi + half};
  } else if (margins) {
    double m = 0.05 * (s->hi - s->lo);
    *s = (span){s->lo - m, s->hi + m};
  }
}

static bool is_grid_item(item_kind kind) {
  return kind != ITEM_LINE && kind != ITEM_SCATTER && kind != ITEM_BAR;
}

static void data_limits(const tg_axes *ax, plot_frame *f) {
  span x = {INFINITY, -INFINITY}, y = {INFINITY, -INFINITY};
  bool margins = true;
  f->y_down = false;
  for (int k = 0; k < ax->n_items; k++) {
    const plot_item *item = &ax->items[k];
    for (int i = 0; i < item->n; i++)
      if (isfinite(item->x[i]) && isfinite(item->y[i]))
        extend(&x, item->x[i], ax->xlog), extend(&y, item->y[i], ax->ylog);
    for (int i = 0; i < item->n && item->kind == ITEM_BAR; i++) {
      extend(&x, item->x[i] - item->bar_width / 2, ax->xlog);
      extend(&x, item->x[i] + item->bar_width / 2, ax->xlog);
      extend(&y, 0.0, ax->ylog); /* bars stand on 0 */
    }
    if (is_grid_item(item->kind)) {
      extend(&x, item->extent.xmin, ax->xlog), extend(&x, item->extent.xmax, ax->xlog);
      extend(&y, item->extent.ymin, ax->ylog), extend(&y, item->extent.ymax, ax->ylog);
      margins = false;
    }
    if (item->kind == ITEM_IMAGE || item->kind == ITEM_CONFUSION) f->y_down = true;
  }
  finish_span(&x, margins, ax->fixed_x, ax->xlim, ax->xlog);
  finish_span(&y, margins, ax->fixed_y, ax->ylim, ax->ylog);
  *f = (plot_frame){f->box, x.lo, x.hi, y.lo, y.hi, f->y_down, ax->xlog, ax->ylog};
}

static const plot_item *confusion_item(const tg_axes *ax) {
  for (int k = 0; k < ax->n_items; k++)
    if (ax->items[k].kind == ITEM_CONFUSION) return &ax->items[k];
  return NULL;
}

/* ---- layout ------------------------------------------------------------------ */

#define BAR_GAP 12 /* between the axes and its colour bar */
#define BAR_WIDTH 14

typedef struct {
  plot_frame frame;
  ticks xt, yt;
  const plot_item *scaled; /* the item the colour bar shows, or NULL */
  double bar_lo, bar_hi;
  ticks bt;
  rect bar;
} axes_layout;

/* The colour bar's item: the last one with a colour scale. */
static const plot_item *colorbar_item(const tg_axes *ax, double *lo, double *hi) {
  for (int k = ax->n_items - 1; k >= 0 && ax->colorbar; k--)
    if (tg_plot_item_color_scale(&ax->items[k], lo, hi)) return &ax->items[k];
  return NULL;
}

static void axis_ticks(const canvas *c, const tg_axes *ax, const plot_frame *f, ticks *xt,
                       ticks *yt) {
  const plot_item *cm = confusion_item(ax);
  if (cm) {
    tg_plot_ticks_categories(xt, cm->nx, cm->names);
    tg_plot_ticks_categories(yt, cm->nx, cm->names);
    return;
  }
  if (f->xlog)
    tg_plot_ticks_log(xt, f->xlo, f->xhi);
  else
    tg_plot_ticks_nice(xt, f->xlo, f->xhi, f->box.x1 - f->box.x0, px(c, 80.0));
  if (f->ylog)
    tg_plot_ticks_log(yt, f->ylo, f->yhi);
  else
    tg_plot_ticks_nice(yt, f->ylo, f->yhi, f->box.y1 - f->box.y0, px(c, 50.0));
}

static int widest_label(const canvas *c, const ticks *t) {
  int w = 0;
  for (int i = 0; i < t->n; i++) {
    int lw = tg_plot_canvas_text_width(c, t->label[i], false);
    if (lw > w) w = lw;
  }
  return w;
}

/* Shrinks the box so one data unit has the same length on both axes. */
static void equalise_aspect(plot_frame *f) {
  rect *b = &f->box;
  double sx = (b->x1 - b->x0) / (f->xhi - f->xlo),
         sy = (b->y1 - b->y0) / (f->yhi - f->ylo);
  double s = fmin(sx, sy);
  int w = (int)lround(s * (f->xhi - f->xlo)), h = (int)lround(s * (f->yhi - f->ylo));
  int x0 = b->x0 + (b->x1 - b->x0 - w) / 2, y0 = b->y0 + (b->y1 - b->y0 - h) / 2;
  *b = (rect){x0, y0, x0 + w, y0 + h};
}

static axes_layout layout_axes(const canvas *c, const tg_axes *ax, rect cell) {
  axes_layout L = {.scaled = NULL};
  bool axis = !ax->axis_off;
  double scale = c->text_scale;
  int text_h = tg_plot_font_height(scale), pad = px(c, PAD);
  int tick_room = px(c, TICK_LENGTH) + px(c, TEXT_GAP);
  int top = cell.y0 + pad + (ax->title ? text_h + px(c, 8) : 0);
  int bottom = cell.y1 - pad;
  if (axis) bottom -= tick_room + text_h;
  if (axis && ax->xlabel) bottom -= text_h + px(c, 6);
  L.frame.box = (rect){cell.x0 + pad, top, cell.x1 - pad, bottom};
  data_limits(ax, &L.frame);
  if (axis) {
    /* y ticks depend only on the height, so they can size the left margin. */
    axis_ticks(c, ax, &L.frame, &L.xt, &L.yt);
    int left = pad + widest_label(c, &L.yt) + tick_room;
    if (ax->ylabel) left += text_h + px(c, 8);
    int right = pad + px(c, 12); /* room for the last x tick label to overhang */
    L.scaled = colorbar_item(ax, &L.bar_lo, &L.bar_hi);
    if (L.scaled) {
      tg_plot_ticks_nice(&L.bt, L.bar_lo, L.bar_hi, L.frame.box.y1 - L.frame.box.y0,
                         px(c, 50.0));
      right = pad + px(c, BAR_GAP) + px(c, BAR_WIDTH) + tick_room +
              widest_label(c, &L.bt) + (ax->colorbar_label ? text_h + px(c, 14) : 0);
    }
    L.frame.box.x0 = cell.x0 + left;
    L.frame.box.x1 = cell.x1 - right;
  }
  if (ax->equal_aspect) equalise_aspect(&L.frame);
  if (L.frame.box.x1 - L.frame.box.x0 < 2 || L.frame.box.y1 - L.frame.box.y0 < 2)
    L.frame.box = (rect){cell.x0, cell.y0, cell.x0 + 2, cell.y0 + 2}; /* tiny cell */
  axis_ticks(c, ax, &L.frame, &L.xt, &L.yt);
  if (L.scaled) {
    const rect b = L.frame.box;
    int x0 = b.x1 + px(c, BAR_GAP);
    L.bar = (rect){x0, b.y0, x0 + px(c, BAR_WIDTH), b.y1};
  }
  return L;
}

/* The four 1-pixel (at 100 dpi) edges of r, inside it. */
static void draw_frame(canvas *c, rect r, tg_color color) {
  int t = hairline(c);
  rect edges[4] = {{r.x0, r.y0, r.x1, r.y0 + t},
                   {r.x0, r.y1 - t, r.x1, r.y1},
                   {r.x0, r.y0, r.x0 + t, r.y1},
                   {r.x1 - t, r.y0, r.x1, r.y1}};
  for (int k = 0; k < 4; k++) tg_plot_canvas_fill_rect(c, edges[k], color);
}

/* ---- axes decorations ------------------------------------------------------ */

static void draw_grid_lines(canvas *c, const axes_layout *L) {
  const plot_frame *f = &L->frame;
  int t = hairline(c);
  for (int i = 0; i < L->xt.n; i++) {
    int x = (int)floor(tg_plot_frame_px(f, L->xt.value[i]));
    tg_plot_canvas_fill_rect(c, (rect){x, f->box.y0, x + t, f->box.y1}, GRID_COLOR);
  }
  for (int i = 0; i < L->yt.n; i++) {
    int y = (int)floor(tg_plot_frame_py(f, L->yt.value[i]));
    tg_plot_canvas_fill_rect(c, (rect){f->box.x0, y, f->box.x1, y + t}, GRID_COLOR);
  }
}

static void draw_spines_and_ticks(canvas *c, const axes_layout *L) {
  const rect b = L->frame.box;
  int t = hairline(c), tick = px(c, TICK_LENGTH), gap = px(c, TEXT_GAP);
  draw_frame(c, b, INK);
  text_style below = {0.5, 0.0, false, false, INK},
             left_of = {1.0, 0.5, false, false, INK};
  for (int i = 0; i < L->xt.n; i++) {
    int x = (int)floor(tg_plot_frame_px(&L->frame, L->xt.value[i]));
    if (x < b.x0 || x >= b.x1) continue;
    tg_plot_canvas_fill_rect(c, (rect){x, b.y1, x + t, b.y1 + tick}, INK);
    tg_plot_canvas_text(c, L->xt.label[i], x, b.y1 + tick + gap - 1, below);
  }
  for (int i = 0; i < L->yt.n; i++) {
    int y = (int)floor(tg_plot_frame_py(&L->frame, L->yt.value[i]));
    if (y < b.y0 || y >= b.y1) continue;
    tg_plot_canvas_fill_rect(c, (rect){b.x0 - tick, y, b.x0, y + t}, INK);
    /* +1: centre the digits (rows 1-9 of the font) rather than the box */
    tg_plot_canvas_text(c, L->yt.label[i], b.x0 - tick - gap, y + px(c, 1), left_of);
  }
}

static void draw_labels(canvas *c, const tg_axes *ax, const axes_layout *L, rect cell) {
  const rect b = L->frame.box;
  int mid_x = (b.x0 + b.x1) / 2, mid_y = (b.y0 + b.y1) / 2;
  if (ax->title)
    tg_plot_canvas_text(c, ax->title, mid_x, b.y0 - px(c, 6),
                        (text_style){0.5, 1.0, true, false, INK});
  if (ax->axis_off) return;
  if (ax->xlabel)
    tg_plot_canvas_text(c, ax->xlabel, mid_x,
                        b.y1 + px(c, TICK_LENGTH) + px(c, TEXT_GAP) +
                            tg_plot_font_height(c->text_scale) + px(c, 4),
                        (text_style){0.5, 0.0, false, false, INK});
  /* beside the tick labels, as matplotlib puts it, even when an equal aspect
   * moved the axes away from the cell's edge */
  int text_h = tg_plot_font_height(c->text_scale);
  int label_x = b.x0 - px(c, TICK_LENGTH) - px(c, TEXT_GAP) - widest_label(c, &L->yt) -
                px(c, 8) - text_h;
  if (ax->ylabel)
    tg_plot_canvas_text(c, ax->ylabel, label_x > cell.x0 ? label_x : cell.x0, mid_y,
                        (text_style){0.0, 0.5, false, true, INK});
}

/* ---- colour bar ------------------------------------------------------------------ */

/* Pixel row of value v on the bar: bar_lo at the bottom row, bar_hi at the top. */
static double bar_py(const axes_layout *L, double v) {
  double t = (v - L->bar_lo) / (L->bar_hi - L->bar_lo);
  return L->bar.y1 - 0.5 - t * (L->bar.y1 - L->bar.y0 - 1);
}

/* The gradient is an image (pixels, one colour a row), as matplotlib's is. */
static void draw_colorbar(canvas *c, const tg_axes *ax, const axes_layout *L) {
  if (!L->scaled) return;
  const rect b = L->bar;
  int t = hairline(c), tick = px(c, TICK_LENGTH);
  /* inside the frame: the top row shows the top colour, the bottom row the bottom's */
  for (int y = b.y0 + t; y < b.y1 - t; y++) {
    double v = (b.y1 - t - 1 - y) / fmax(b.y1 - b.y0 - 2 * t - 1, 1.0);
    tg_color color = tg_plot_item_color_at(L->scaled, v);
    for (int x = b.x0; x < b.x1; x++) tg_plot_canvas_blend_pixel(c, x, y, color, 1.0);
  }
  draw_frame(c, b, INK);
  int label_x = b.x1 + tick + px(c, TEXT_GAP);
  for (int i = 0; i < L->bt.n; i++) {
    int y = (int)floor(bar_py(L, L->bt.value[i]));
    if (y < b.y0 || y >= b.y1) continue;
    tg_plot_canvas_fill_rect(c, (rect){b.x1, y, b.x1 + tick, y + t}, INK);
    tg_plot_canvas_text(c, L->bt.label[i], label_x, y + px(c, 1),
                        (text_style){0.0, 0.5, false, false, INK});
  }
  if (ax->colorbar_label)
    tg_plot_canvas_text(c, ax->colorbar_label,
                        label_x + widest_label(c, &L->bt) + px(c, 8), (b.y0 + b.y1) / 2,
                        (text_style){0.0, 0.5, false, true, INK});
}

/* ---- legend -------------------------------------------------------------------- */

#define LEGEND_SAMPLE 24

static int legend_entries(const tg_axes *ax, const plot_item **out) {
  int n = 0;
  for (int k = 0; k < ax->n_items && n < 32; k++)
    if (ax->items[k].label) out[n++] = &ax->items[k];
  return n;
}

/* How many points of the lines and dots (lines sampled every few pixels)
 * the rectangle would hide. */
static long hidden_points(const tg_axes *ax, const plot_frame *f, rect r) {
  long hidden = 0;
  for (int k = 0; k < ax->n_items; k++) {
    const plot_item *item = &ax->items[k];
    for (int i = 0; i < item->n; i++) {
      double x1 = tg_plot_frame_px(f, item->x[i]), y1 = tg_plot_frame_py(f, item->y[i]);
      double x0 =
          i > 0 && item->kind == ITEM_LINE ? tg_plot_frame_px(f, item->x[i - 1]) : x1;
      double y0 =
          i > 0 && item->kind == ITEM_LINE ? tg_plot_frame_py(f, item->y[i - 1]) : y1;
      int steps = (int)fmin(ceil(hypot(x1 - x0, y1 - y0) / 4.0), 1000.0);
      for (int s = 0; s <= steps; s++) {
        double t = steps ? (double)s / steps : 1.0;
        double x = x0 + (x1 - x0) * t, y = y0 + (y1 - y0) * t;
        hidden += x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
      }
    }
  }
  return hidden;
}

/* matplotlib's loc="best": the corner hiding the least data. */
static rect place_legend(const canvas *c, const tg_axes *ax, const plot_frame *f, int w,
                         int h) {
  const rect b = f->box;
  const int m = px(c, 8);
  rect corners[4] = {{b.x1 - m - w, b.y0 + m, b.x1 - m, b.y0 + m + h},
                     {b.x0 + m, b.y0 + m, b.x0 + m + w, b.y0 + m + h},
                     {b.x0 + m, b.y1 - m - h, b.x0 + m + w, b.y1 - m},
                     {b.x1 - m - w, b.y1 - m - h, b.x1 - m, b.y1 - m}};
  int best = 0;
  long least = hidden_points(ax, f, corners[0]);
  for (int k = 1; k < 4 && least > 0; k++) {
    long hidden = hidden_points(ax, f, corners[k]);
    if (hidden < least) least = hidden, best = k;
  }
  return corners[best];
}

static void draw_legend_sample(canvas *c, const plot_item *item, int x, int y) {
  int sample = px(c, LEGEND_SAMPLE);
  if (item->kind == ITEM_BAR) {
    tg_plot_canvas_fill_rect(
        c, (rect){x + px(c, 6), y - px(c, 5), x + sample - px(c, 6), y + px(c, 6)},
        item->color);
    return;
  }
  if (item->kind == ITEM_SCATTER) {
    tg_plot_canvas_add_disc(c, x + sample / 2.0, y + 0.5,
                            item->marker_size * c->dpi_scale);
  } else {
    double xs[2] = {x, x + sample}, ys[2] = {y + 0.5, y + 0.5};
    tg_plot_canvas_add_polyline(c, xs, ys, 2, item->line_width * c->dpi_scale,
                                item->dashed);
  }
  tg_plot_canvas_paint(
      c, item->color != TG_AUTO ? item->color : tg_plot_colormap_at(TG_CMAP_VIRIDIS, 0.5),
      1.0);
}

static void draw_legend(canvas *c, const tg_axes *ax, const plot_frame *f) {
  const plot_item *entries[32];
  int n = legend_entries(ax, entries);
  if (n < 2) return;
  int text_h = tg_plot_font_height(c->text_scale), row = text_h + px(c, 5), text_w = 0;
  for (int i = 0; i < n; i++) {
    int w = tg_plot_canvas_text_width(c, entries[i]->label, false);
    if (w > text_w) text_w = w;
  }
  int margin = px(c, 8), sample = px(c, LEGEND_SAMPLE);
  rect r = place_legend(c, ax, f, margin + sample + margin + text_w + margin,
                        px(c, 6) + n * row + px(c, 2));
  tg_plot_canvas_shade_rect(c, r, TG_WHITE, 0.85);
  draw_frame(c, r, TG_RGB(0xcc, 0xcc, 0xcc));
  for (int i = 0; i < n; i++) {
    int mid = r.y0 + px(c, 6) + i * row + text_h / 2;
    draw_legend_sample(c, entries[i], r.x0 + margin, mid - px(c, 1));
    tg_plot_canvas_text(c, entries[i]->label, r.x0 + 2 * margin + sample, mid,
                        (text_style){0.0, 0.5, false, false, INK});
  }
}

/* ---- whole axes and figure ---------------------------------------------------- */

static void render_axes(canvas *c, const tg_axes *ax, rect cell) {
  axes_layout L = layout_axes(c, ax, cell);
  tg_plot_canvas_set_clip(c, L.frame.box);
  for (int k = 0; k < ax->n_items; k++)
    if (is_grid_item(ax->items[k].kind) && ax->items[k].kind != ITEM_CONTOUR)
      tg_plot_draw_item(c, &L.frame, &ax->items[k]);
  if (ax->grid) draw_grid_lines(c, &L);
  for (int k = 0; k < ax->n_items; k++)
    if (!is_grid_item(ax->items[k].kind) || ax->items[k].kind == ITEM_CONTOUR)
      tg_plot_draw_item(c, &L.frame, &ax->items[k]);
  tg_plot_canvas_set_clip(c, (rect){0, 0, c->width, c->height});
  if (!ax->axis_off) draw_spines_and_ticks(c, &L);
  draw_labels(c, ax, &L, cell);
  draw_colorbar(c, ax, &L);
  draw_legend(c, ax, &L.frame);
}

void tg_plot_render_figure(const tg_figure *fig, canvas *c) {
  int top = 0;
  c->dpi_scale = fig->dpi / 100.0;
  c->text_scale = fig->text_scale * c->dpi_scale;
  if (fig->title) {
    tg_plot_canvas_text(c, fig->title, fig->width / 2, px(c, PAD),
                        (text_style){0.5, 0.0, true, false, INK});
    top = tg_plot_font_height(c->text_scale) + px(c, 14);
  }
  for (int r = 0; r < fig->rows; r++)
    for (int k = 0; k < fig->cols; k++) {
      rect cell = {fig->width * k / fig->cols, top + (fig->height - top) * r / fig->rows,
                   fig->width * (k + 1) / fig->cols,
                   top + (fig->height - top) * (r + 1) / fig->rows};
      render_axes(c, &fig->axes[r * fig->cols + k], cell);
    }
}
