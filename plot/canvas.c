/* An RGB canvas with anti-aliased strokes and discs (exact pixel coverage of
 * a capsule or a disc, box-filtered) and bitmap text. */
#include "plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const rect empty_rect = {0, 0, 0, 0};

int tg_plot_canvas_init(canvas *c, int width, int height) {
  size_t n = (size_t)width * (size_t)height;
  c->width = width;
  c->height = height;
  c->rgb = malloc(n * 3);
  c->coverage = calloc(n, sizeof *c->coverage);
  if (!c->rgb || !c->coverage) {
    tg_plot_canvas_free(c);
    return -1;
  }
  memset(c->rgb, 0xFF, n * 3);
  c->clip = (rect){0, 0, width, height};
  c->text_scale = 1.0;
  c->dpi_scale = 1.0;
  c->dirty = empty_rect;
  c->svg = NULL;
  return 0;
}

void tg_plot_canvas_free(canvas *c) {
  free(c->rgb);
  free(c->coverage);
  tg_plot_svg_free(c->svg);
  c->rgb = NULL;
  c->coverage = NULL;
  c->svg = NULL;
}

static int clamp_int(int v, int lo, int hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

void tg_plot_canvas_set_clip(canvas *c, rect r) {
  c->clip = (rect){clamp_int(r.x0, 0, c->width), clamp_int(r.y0, 0, c->height),
                   clamp_int(r.x1, 0, c->width), clamp_int(r.y1, 0, c->height)};
  if (c->svg) tg_plot_svg_set_clip(c);
}

void tg_plot_canvas_blend_pixel(canvas *c, int x, int y, tg_color color, double alpha) {
  if (x < 0 || y < 0 || x >= c->width || y >= c->height) return;
  if (c->svg) {
    tg_plot_svg_blend_pixel(c, x, y, color, alpha);
    return;
  }
  uint8_t *p = c->rgb + ((size_t)y * c->width + x) * 3;
  rgb src = tg_plot_color_rgb(color);
  double channels[3] = {src.r, src.g, src.b};
  for (int k = 0; k < 3; k++)
    p[k] = (uint8_t)lround(p[k] * (1.0 - alpha) + channels[k] * 255.0 * alpha);
}

void tg_plot_canvas_shade_rect(canvas *c, rect r, tg_color color, double alpha) {
  r = (rect){clamp_int(r.x0, 0, c->width), clamp_int(r.y0, 0, c->height),
             clamp_int(r.x1, 0, c->width), clamp_int(r.y1, 0, c->height)};
  if (c->svg) {
    tg_plot_svg_fill_rect(c, r, color, alpha);
    return;
  }
  for (int y = r.y0; y < r.y1; y++)
    for (int x = r.x0; x < r.x1; x++) tg_plot_canvas_blend_pixel(c, x, y, color, alpha);
}

void tg_plot_canvas_fill_rect(canvas *c, rect r, tg_color color) {
  tg_plot_canvas_shade_rect(c, r, color, 1.0);
}

/* The pixels a shape within `reach` of the box [x0,x1]x[y0,y1] can touch,
 * inside the clip, merged into the dirty rectangle. Done in double so that
 * far-away data points cannot overflow an int. */
static rect touched(canvas *c, double x0, double y0, double x1, double y1, double reach) {
  rect clip = c->clip;
  rect r = {(int)fmax(floor(fmin(x0, x1) - reach), clip.x0),
            (int)fmax(floor(fmin(y0, y1) - reach), clip.y0),
            (int)fmin(ceil(fmax(x0, x1) + reach) + 1, clip.x1),
            (int)fmin(ceil(fmax(y0, y1) + reach) + 1, clip.y1)};
  if (r.x0 >= r.x1 || r.y0 >= r.y1) return empty_rect;
  rect *d = &c->dirty;
  if (d->x0 >= d->x1)
    *d = r;
  else
    *d = (rect){d->x0 < r.x0 ? d->x0 : r.x0, d->y0 < r.y0 ? d->y0 : r.y0,
                d->x1 > r.x1 ? d->x1 : r.x1, d->y1 > r.y1 ? d->y1 : r.y1};
  return r;
}

static void cover(canvas *c, int x, int y, double amount) {
  float *cell = &c->coverage[(size_t)y * c->width + x];
  if (amount > *cell) *cell = (float)amount;
}

static double distance_to_segment(double px, double py, double x0, double y0, double x1,
                                  double y1) {
  double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0.0;
  t = fmin(fmax(t, 0.0), 1.0);
  return hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

/* Lines thinner than a pixel are drawn one pixel wide but fainter, which is
 * how they look to the eye anyway. */
void tg_plot_canvas_add_segment(canvas *c, double x0, double y0, double x1, double y1,
                                double width) {
  if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) return;
  if (c->svg) {
    tg_plot_svg_add_polyline(c, (double[]){x0, x1}, (double[]){y0, y1}, 2, width, false);
    return;
  }
  double half = fmax(width, 1.0) / 2.0, strength = fmin(width, 1.0);
  rect r = touched(c, x0, y0, x1, y1, half + 1.0);
  for (int y = r.y0; y < r.y1; y++)
    for (int x = r.x0; x < r.x1; x++) {
      double d = distance_to_segment(x + 0.5, y + 0.5, x0, y0, x1, y1);
      double amount = fmin(fmax(half + 0.5 - d, 0.0), 1.0) * strength;
      if (amount > 0) cover(c, x, y, amount);
    }
}

/* Liang-Barsky. */
bool tg_plot_canvas_clip_segment(const canvas *c, const double p[2], const double q[2],
                                 double margin, double *t0, double *t1) {
  const double lo[2] = {c->clip.x0 - margin, c->clip.y0 - margin};
  const double hi[2] = {c->clip.x1 + margin, c->clip.y1 + margin};
  *t0 = 0.0;
  *t1 = 1.0;
  for (int k = 0; k < 2; k++) {
    double d = q[k] - p[k];
    if (d == 0.0) {
      if (p[k] < lo[k] || p[k] > hi[k]) return false;
      continue;
    }
    double a = (lo[k] - p[k]) / d, b = (hi[k] - p[k]) / d;
    *t0 = fmax(*t0, fmin(a, b));
    *t1 = fmin(*t1, fmax(a, b));
  }
  return *t0 < *t1;
}

/* Draws the dashes of the segment, which starts `*phase` pixels into the
 * dash pattern, and advances the phase. Only the visible part is walked, so
 * a segment to a far-away point costs no more than one across the canvas. */
static void add_dashed_segment(canvas *c, double x0, double y0, double x1, double y1,
                               double width, double *phase) {
  double dash = 4.0 * fmax(width, 1.0), period = dash + 2.5 * fmax(width, 1.0);
  double len = hypot(x1 - x0, y1 - y0), t0, t1;
  const double p[2] = {x0, y0}, q[2] = {x1, y1};
  if (!(len < 1e9)) { /* absurdly far (or non-finite): dashes would not show anyway */
    tg_plot_canvas_add_segment(c, x0, y0, x1, y1, width);
    return;
  }
  if (len > 0 && tg_plot_canvas_clip_segment(c, p, q, width + 2.0, &t0, &t1)) {
    double from = *phase + t0 * len, to = *phase + t1 * len; /* pattern coordinates */
    for (double start = floor(from / period) * period; start < to; start += period) {
      double a = fmax(start, from), b = fmin(start + dash, to);
      if (a >= b) continue;
      double ta = (a - *phase) / len, tb = (b - *phase) / len;
      tg_plot_canvas_add_segment(c, x0 + (x1 - x0) * ta, y0 + (y1 - y0) * ta,
                                 x0 + (x1 - x0) * tb, y0 + (y1 - y0) * tb, width);
    }
  }
  *phase = fmod(*phase + len, period);
}

void tg_plot_canvas_add_polyline(canvas *c, const double *px, const double *py, int n,
                                 double width, bool dashed) {
  if (c->svg) {
    tg_plot_svg_add_polyline(c, px, py, n, width, dashed);
    return;
  }
  double phase = 0.0;
  for (int i = 0; i + 1 < n; i++) {
    if (dashed)
      add_dashed_segment(c, px[i], py[i], px[i + 1], py[i + 1], width, &phase);
    else
      tg_plot_canvas_add_segment(c, px[i], py[i], px[i + 1], py[i + 1], width);
  }
  if (n == 1) tg_plot_canvas_add_segment(c, px[0], py[0], px[0], py[0], width);
}

void tg_plot_canvas_add_disc(canvas *c, double cx, double cy, double radius) {
  if (!isfinite(cx) || !isfinite(cy)) return;
  if (c->svg) {
    tg_plot_svg_add_disc(c, cx, cy, radius);
    return;
  }
  rect r = touched(c, cx, cy, cx, cy, radius + 1.0);
  for (int y = r.y0; y < r.y1; y++)
    for (int x = r.x0; x < r.x1; x++) {
      double amount =
          fmin(fmax(radius + 0.5 - hypot(x + 0.5 - cx, y + 0.5 - cy), 0.0), 1.0);
      if (amount > 0) cover(c, x, y, amount);
    }
}

void tg_plot_canvas_paint(canvas *c, tg_color color, double alpha) {
  if (c->svg) {
    tg_plot_svg_paint(c, color, alpha);
    return;
  }
  rect d = c->dirty;
  for (int y = d.y0; y < d.y1; y++)
    for (int x = d.x0; x < d.x1; x++) {
      float *cell = &c->coverage[(size_t)y * c->width + x];
      if (*cell > 0) tg_plot_canvas_blend_pixel(c, x, y, color, *cell * alpha);
      *cell = 0;
    }
  c->dirty = empty_rect;
}

/* The text at the bitmap's own size, one byte of ink (0/1) per pixel,
 * width x FONT_HEIGHT; NULL if out of memory. */
static uint8_t *text_bitmap(const char *text, bool bold, int width) {
  uint8_t *ink = calloc((size_t)(width > 0 ? width : 1) * FONT_HEIGHT, 1);
  if (!ink) return NULL;
  int pen = 0;
  for (const char *p = text; *p; p++) {
    font_glyph g = tg_plot_font_lookup((unsigned char)*p);
    for (int gy = 0; gy < FONT_HEIGHT; gy++)
      for (int gx = 0; gx < g.width + bold; gx++)
        if ((tg_plot_font_ink(g, gx, gy) || (bold && tg_plot_font_ink(g, gx - 1, gy))) &&
            pen + gx < width)
          ink[gy * width + pen + gx] = 1;
    pen += g.advance + bold;
  }
  return ink;
}

/* Share of the bitmap's ink under output pixel (ox, oy) of a box scaled by
 * `scale`: 4 x 4 samples per pixel. */
static double ink_coverage(const uint8_t *ink, int width, double scale, int ox, int oy) {
  int hits = 0;
  for (int sy = 0; sy < 4; sy++)
    for (int sx = 0; sx < 4; sx++) {
      int bx = (int)((ox + (sx + 0.5) / 4) / scale),
          by = (int)((oy + (sy + 0.5) / 4) / scale);
      hits += bx < width && by < FONT_HEIGHT && ink[by * width + bx];
    }
  return hits / 16.0;
}

/* An SVG's text is drawn by the viewer's font: the layout measures it in
 * that font's metrics. */
int tg_plot_canvas_text_width(const canvas *c, const char *text, bool bold) {
  if (c->svg)
    return tg_plot_svg_text_width(text, bold, tg_plot_font_height(c->text_scale));
  return tg_plot_font_scaled_width(text, bold, c->text_scale);
}

void tg_plot_canvas_text(canvas *c, const char *text, int x, int y, text_style style) {
  double scale = c->text_scale > 0 ? c->text_scale : 1.0;
  int src_w = tg_plot_font_text_width(text, style.bold);
  int width = tg_plot_canvas_text_width(c, text, style.bold),
      height = tg_plot_font_height(scale);
  int box_w = style.vertical ? height : width;
  int box_h = style.vertical ? width : height;
  int left = x - (int)lround(style.ax * box_w), top = y - (int)lround(style.ay * box_h);
  if (c->svg) {
    tg_plot_svg_text(c, text, (rect){left, top, left + box_w, top + box_h}, style);
    return;
  }
  uint8_t *ink = text_bitmap(text, style.bold, src_w);
  if (!ink) return; /* out of memory: the figure still renders, without this text */
  for (int oy = 0; oy < height; oy++)
    for (int along = 0; along < width; along++) {
      double alpha = scale == 1.0 ? ink[oy * src_w + along]
                                  : ink_coverage(ink, src_w, scale, along, oy);
      if (alpha == 0) continue;
      if (style.vertical)
        tg_plot_canvas_blend_pixel(c, left + oy, top + box_h - 1 - along, style.color,
                                   alpha);
      else
        tg_plot_canvas_blend_pixel(c, left + along, top + oy, style.color, alpha);
    }
  free(ink);
}
