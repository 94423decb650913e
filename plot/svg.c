/* The vector side of the canvas: when a canvas has an SVG sink, strokes,
 * discs, rectangles and text become SVG elements instead of pixels, so the
 * same drawing code (render.c, items.c, contour.c) writes both formats.
 *
 * What is raster by nature (the pixels of images, heatmaps, probability
 * fills and colour-bar gradients, drawn with tg_plot_canvas_blend_pixel)
 * goes to a transparent RGBA layer; before the next vector element the
 * layer is flushed as one embedded PNG <image>, so the document keeps the
 * drawing order, as matplotlib's SVGs embed imshow and colour bars. */
#include "plot.h"
#include "tensorgrad/png.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Baseline of a line of text, as a share of its height from the top: the
 * bitmap font's capitals stand on rows 1-9 of 12, descenders use 10-11. */
#define BASELINE (10.0 / FONT_HEIGHT)
#define FONT_FAMILY "DejaVu Sans, Bitstream Vera Sans, Arial, Helvetica, sans-serif"

/* ---- the sink ------------------------------------------------------------------ */

/* Strokes waiting for tg_plot_canvas_paint to give them a colour: one path
 * per stroke style (a line's runs share one; its markers are discs). */
typedef struct {
  double width;
  bool dashed;
  plot_buf d;
} pending_path;

#define MAX_PENDING_PATHS 8

struct tg_plot_svg {
  plot_buf doc;
  uint8_t *layer; /* width x height RGBA, transparent where nothing is pending */
  rect layer_dirty;
  pending_path paths[MAX_PENDING_PATHS];
  int n_paths;
  plot_buf discs; /* <circle/> elements waiting for a colour */
  bool pen_down;  /* the last path can continue with "L" */
  double pen_x, pen_y;
  int clip_groups; /* ids handed out */
  bool in_clip;    /* a clipped <g> is open */
};

static const rect no_rect = {0, 0, 0, 0};

int tg_plot_canvas_init_svg(canvas *c, int width, int height) {
  memset(c, 0, sizeof *c);
  c->width = width;
  c->height = height;
  c->clip = (rect){0, 0, width, height};
  c->text_scale = 1.0;
  c->dpi_scale = 1.0;
  c->svg = calloc(1, sizeof *c->svg);
  if (!c->svg) return -1;
  c->svg->layer = calloc((size_t)width * height, 4);
  if (!c->svg->layer) {
    tg_plot_canvas_free(c);
    return -1;
  }
  tg_plot_buf_printf(
      &c->svg->doc,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" width=\"%d\" "
      "height=\"%d\" viewBox=\"0 0 %d %d\">\n"
      "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
      "<g font-family=\"" FONT_FAMILY "\">\n",
      width, height, width, height, width, height);
  return 0;
}

void tg_plot_svg_free(tg_plot_svg *s) {
  if (!s) return;
  tg_plot_buf_free(&s->doc);
  for (int i = 0; i < MAX_PENDING_PATHS; i++) tg_plot_buf_free(&s->paths[i].d);
  tg_plot_buf_free(&s->discs);
  free(s->layer);
  free(s);
}

static void hex_color(char out[8], tg_color c) {
  snprintf(out, 8, "#%06x", (unsigned)(c & 0xFFFFFFu));
}

/* ---- the raster layer ---------------------------------------------------------- */

/* "Over" compositing of colour `color` at opacity alpha onto the layer. */
void tg_plot_svg_blend_pixel(canvas *c, int x, int y, tg_color color, double alpha) {
  uint8_t *p = c->svg->layer + ((size_t)y * c->width + x) * 4;
  rgb src = tg_plot_color_rgb(color);
  double below = p[3] / 255.0 * (1.0 - alpha), out = alpha + below;
  if (out <= 0) return;
  double channels[3] = {src.r * 255.0, src.g * 255.0, src.b * 255.0};
  for (int k = 0; k < 3; k++)
    p[k] = (uint8_t)lround((channels[k] * alpha + p[k] * below) / out);
  p[3] = (uint8_t)lround(out * 255.0);
  rect *d = &c->svg->layer_dirty;
  if (d->x0 >= d->x1)
    *d = (rect){x, y, x + 1, y + 1};
  else
    *d = (rect){x < d->x0 ? x : d->x0, y < d->y0 ? y : d->y0, x >= d->x1 ? x + 1 : d->x1,
                y >= d->y1 ? y + 1 : d->y1};
}

static void append_base64(plot_buf *t, const uint8_t *bytes, size_t n) {
  static const char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  tg_plot_buf_reserve(t, (n + 2) / 3 * 4);
  if (t->failed) return;
  char *out = t->data + t->len;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)bytes[i] << 16;
    if (i + 1 < n) v |= (uint32_t)bytes[i + 1] << 8;
    if (i + 2 < n) v |= bytes[i + 2];
    *out++ = digits[(v >> 18) & 63];
    *out++ = digits[(v >> 12) & 63];
    *out++ = i + 1 < n ? digits[(v >> 6) & 63] : '=';
    *out++ = i + 2 < n ? digits[v & 63] : '=';
  }
  *out = '\0';
  t->len = (size_t)(out - t->data);
}

/* The layer's pixels inside r, as RGB if all of them are opaque, else RGBA;
 * NULL if out of memory. */
static uint8_t *crop_layer(const canvas *c, rect r, int *channels) {
  int w = r.x1 - r.x0, h = r.y1 - r.y0;
  bool opaque = true;
  for (int y = r.y0; y < r.y1 && opaque; y++)
    for (int x = r.x0; x < r.x1 && opaque; x++)
      opaque = c->svg->layer[((size_t)y * c->width + x) * 4 + 3] == 255;
  *channels = opaque ? 3 : 4;
  uint8_t *pixels = malloc((size_t)w * h * *channels);
  for (int y = 0; pixels && y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy(pixels + ((size_t)y * w + x) * *channels,
             c->svg->layer + ((size_t)(r.y0 + y) * c->width + r.x0 + x) * 4,
             (size_t)*channels);
  return pixels;
}

/* An <image> of w x h pixels (1 gray, 3 RGB or 4 RGBA channels) stretched
 * over the box from (x0, y0) to (x1, y1), each pixel a sharp block. */
static void put_image(tg_plot_svg *s, const uint8_t *pixels, int w, int h, int channels,
                      double x0, double y0, double x1, double y1) {
  uint8_t *png = NULL;
  size_t png_len = 0;
  if (tg_png_encode(pixels, w, h, channels, &png, &png_len) != 0) {
    s->doc.failed = true;
    return;
  }
  tg_plot_buf_printf(&s->doc,
                     "<image x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                     "preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" "
                     "xlink:href=\"data:image/png;base64,",
                     x0, y0, x1 - x0, y1 - y0);
  append_base64(&s->doc, png, png_len);
  tg_plot_buf_printf(&s->doc, "\"/>\n");
  free(png);
}

static void flush_layer(canvas *c) {
  tg_plot_svg *s = c->svg;
  rect r = s->layer_dirty;
  if (r.x0 >= r.x1) return;
  int channels;
  uint8_t *pixels = crop_layer(c, r, &channels);
  if (pixels)
    put_image(s, pixels, r.x1 - r.x0, r.y1 - r.y0, channels, r.x0, r.y0, r.x1, r.y1);
  else
    s->doc.failed = true;
  free(pixels);
  for (int y = r.y0; y < r.y1; y++)
    memset(s->layer + ((size_t)y * c->width + r.x0) * 4, 0, (size_t)(r.x1 - r.x0) * 4);
  s->layer_dirty = no_rect;
}

void tg_plot_svg_image(canvas *c, const uint8_t *rgb, int w, int h, double x0, double y0,
                       double x1, double y1) {
  flush_layer(c);
  put_image(c->svg, rgb, w, h, 3, x0, y0, x1, y1);
}

/* ---- clipping ---------------------------------------------------------------- */

/* Vector elements drawn after this are clipped to `clip`, as the raster
 * canvas clips them; the whole canvas needs no group. */
void tg_plot_svg_set_clip(canvas *c) {
  tg_plot_svg *s = c->svg;
  flush_layer(c);
  if (s->in_clip) tg_plot_buf_printf(&s->doc, "</g>\n");
  s->in_clip =
      c->clip.x0 > 0 || c->clip.y0 > 0 || c->clip.x1 < c->width || c->clip.y1 < c->height;
  if (!s->in_clip) return;
  int id = ++s->clip_groups;
  tg_plot_buf_printf(
      &s->doc,
      "<clipPath id=\"clip%d\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>"
      "</clipPath>\n<g clip-path=\"url(#clip%d)\">\n",
      id, c->clip.x0, c->clip.y0, c->clip.x1 - c->clip.x0, c->clip.y1 - c->clip.y0, id);
}

/* ---- rectangles -------------------------------------------------------------- */

void tg_plot_svg_fill_rect(canvas *c, rect r, tg_color color, double alpha) {
  if (r.x1 <= r.x0 || r.y1 <= r.y0) return;
  flush_layer(c);
  char hex[8];
  hex_color(hex, color);
  tg_plot_buf_printf(&c->svg->doc,
                     "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"",
                     r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0, hex);
  if (alpha < 1) tg_plot_buf_printf(&c->svg->doc, " fill-opacity=\"%.3g\"", alpha);
  tg_plot_buf_printf(&c->svg->doc, "/>\n");
}

/* ---- strokes and discs ------------------------------------------------------ */

static pending_path *path_for(tg_plot_svg *s, double width, bool dashed) {
  for (int i = 0; i < s->n_paths; i++)
    if (s->paths[i].width == width && s->paths[i].dashed == dashed) return &s->paths[i];
  if (s->n_paths == MAX_PENDING_PATHS) return &s->paths[s->n_paths - 1];
  pending_path *p = &s->paths[s->n_paths++];
  p->width = width;
  p->dashed = dashed;
  p->d.len = 0;
  return p;
}

/* Adds the part of segment (x0,y0)-(x1,y1) within reach of the clip as
 * path data, continuing the previous piece when it ends where this starts,
 * so that a polyline stays one run and far-away points cost nothing. */
static void add_piece(canvas *c, pending_path *p, double x0, double y0, double x1,
                      double y1) {
  tg_plot_svg *s = c->svg;
  double t0, t1;
  const double a[2] = {x0, y0}, b[2] = {x1, y1};
  if (!tg_plot_canvas_clip_segment(c, a, b, p->width + 2.0, &t0, &t1)) {
    s->pen_down = false;
    return;
  }
  double ax = x0 + (x1 - x0) * t0, ay = y0 + (y1 - y0) * t0;
  double bx = x0 + (x1 - x0) * t1, by = y0 + (y1 - y0) * t1;
  if (!s->pen_down || ax != s->pen_x || ay != s->pen_y)
    tg_plot_buf_printf(&p->d, "M%.2f %.2f", ax, ay);
  tg_plot_buf_printf(&p->d, "L%.2f %.2f", bx, by);
  s->pen_down = t1 == 1.0;
  s->pen_x = bx;
  s->pen_y = by;
}

void tg_plot_svg_add_polyline(canvas *c, const double *px, const double *py, int n,
                              double width, bool dashed) {
  pending_path *p = path_for(c->svg, width, dashed);
  c->svg->pen_down = false;
  for (int i = 0; i + 1 < n; i++) {
    if (!isfinite(px[i]) || !isfinite(py[i]) || !isfinite(px[i + 1]) ||
        !isfinite(py[i + 1])) {
      c->svg->pen_down = false;
      continue;
    }
    add_piece(c, p, px[i], py[i], px[i + 1], py[i + 1]);
  }
  if (n == 1 && isfinite(px[0]) && isfinite(py[0])) /* a dot: round caps show it */
    add_piece(c, p, px[0], py[0], px[0], py[0]);
  c->svg->pen_down = false;
}

void tg_plot_svg_add_disc(canvas *c, double cx, double cy, double radius) {
  const rect k = c->clip;
  if (cx + radius < k.x0 || cx - radius > k.x1 || cy + radius < k.y0 ||
      cy - radius > k.y1)
    return;
  tg_plot_buf_printf(&c->svg->discs, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"/>", cx,
                     cy, radius);
}

void tg_plot_svg_paint(canvas *c, tg_color color, double alpha) {
  tg_plot_svg *s = c->svg;
  flush_layer(c);
  char hex[8], opacity[32] = "";
  hex_color(hex, color);
  if (alpha < 1) snprintf(opacity, sizeof opacity, " stroke-opacity=\"%.3g\"", alpha);
  for (int i = 0; i < s->n_paths; i++) {
    pending_path *p = &s->paths[i];
    if (p->d.len == 0) continue;
    double w = p->width > 0 ? p->width : 1.0;
    tg_plot_buf_printf(&s->doc,
                       "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.3g\"%s "
                       "stroke-linecap=\"round\" stroke-linejoin=\"round\"",
                       hex, w, opacity);
    /* the raster's pattern: dashes of 4 widths, gaps of 2.5 */
    if (p->dashed)
      tg_plot_buf_printf(&s->doc, " stroke-dasharray=\"%.3g %.3g\"", 4.0 * fmax(w, 1.0),
                         2.5 * fmax(w, 1.0));
    tg_plot_buf_printf(&s->doc, " d=\"%s\"/>\n", p->d.failed ? "" : p->d.data);
    s->doc.failed |= p->d.failed;
    p->d.len = 0;
  }
  s->n_paths = 0;
  if (s->discs.len > 0) {
    tg_plot_buf_printf(&s->doc, "<g fill=\"%s\"", hex);
    if (alpha < 1) tg_plot_buf_printf(&s->doc, " fill-opacity=\"%.3g\"", alpha);
    tg_plot_buf_printf(&s->doc, ">%s</g>\n", s->discs.failed ? "" : s->discs.data);
    s->doc.failed |= s->discs.failed;
    s->discs.len = 0;
  }
}

/* ---- text metrics -------------------------------------------------------------- */

/* Advance widths of ' ' to '~' in DejaVu Sans and DejaVu Sans Bold, the
 * first font the document asks for, in 1/2048 em (the fonts' hmtx tables,
 * as PIL's ImageFont.getlength reads them at size 2048). The layout gives
 * SVG text this width, so labels fit even where a viewer ignores textLength
 * (librsvg does). */
static const short dejavu_advance[2][95] = {
    {651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,
     651,  690,  1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,
     1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,
     604,  1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025,
     1403, 1251, 1403, 799,  690,  799,  1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260,
     721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253, 1300, 1300, 842,  1067,
     803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716},
    {713,  934,  1067, 1716, 1425, 2052, 1786, 627,  936,  936,  1071, 1716, 778,  850,
     778,  748,  1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819,  819,
     1716, 1716, 1716, 1188, 2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762,
     762,  1587, 1305, 2038, 1714, 1741, 1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259,
     1579, 1483, 1485, 936,  748,  936,  1716, 1024, 1024, 1382, 1466, 1214, 1466, 1389,
     891,  1466, 1458, 702,  702,  1362, 702,  2134, 1458, 1407, 1466, 1466, 1010, 1219,
     979,  1458, 1335, 1892, 1321, 1335, 1192, 1458, 748,  1458, 1716}};

int tg_plot_svg_text_width(const char *text, bool bold, int font_size) {
  long units = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    units += dejavu_advance[bold][*p >= ' ' && *p <= '~' ? *p - ' ' : '?' - ' '];
  return (int)ceil(units * (double)font_size / 2048.0);
}

/* ---- text ---------------------------------------------------------------------- */

/* XML-escaped; bytes outside printable ASCII become '?' as in the bitmap
 * font, which also keeps the document valid UTF-8. */
static void append_escaped(plot_buf *t, const char *text) {
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (*p == '&')
      tg_plot_buf_printf(t, "&amp;");
    else if (*p == '<')
      tg_plot_buf_printf(t, "&lt;");
    else if (*p == '>')
      tg_plot_buf_printf(t, "&gt;");
    else
      tg_plot_buf_printf(t, "%c", *p >= ' ' && *p <= '~' ? *p : '?');
  }
}

/* The anchor point and text-anchor: `along` is the share of the text's
 * length before the anchor (0 start, 0.5 middle, 1 end). */
static const char *text_anchor(double along) {
  return along < 0.25 ? "start" : along > 0.75 ? "end" : "middle";
}

/* The text takes the box the layout gave it (textLength: the bitmap font's
 * width), so nothing a viewer's font does can make labels overlap. */
void tg_plot_svg_text(canvas *c, const char *text, rect box, text_style style) {
  if (!*text) return;
  flush_layer(c);
  plot_buf *doc = &c->svg->doc;
  char hex[8];
  hex_color(hex, style.color);
  int length = style.vertical ? box.y1 - box.y0 : box.x1 - box.x0,
      height = style.vertical ? box.x1 - box.x0 : box.y1 - box.y0;
  /* `along`: the share of the text before the anchor point (bx, by) on
   * the baseline; vertical text reads upwards, so it starts at the bottom. */
  double along = style.vertical ? 1.0 - style.ay : style.ax;
  double bx = style.vertical ? box.x0 + BASELINE * height : box.x0 + along * length;
  double by = style.vertical ? box.y1 - along * length : box.y0 + BASELINE * height;
  tg_plot_buf_printf(
      doc, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" fill=\"%s\" text-anchor=\"%s\"",
      style.vertical ? 0.0 : bx, style.vertical ? 0.0 : by, height, hex,
      text_anchor(along));
  if (length > 0)
    tg_plot_buf_printf(doc, " textLength=\"%d\" lengthAdjust=\"spacingAndGlyphs\"",
                       length);
  if (style.bold) tg_plot_buf_printf(doc, " font-weight=\"bold\"");
  if (style.vertical)
    tg_plot_buf_printf(doc, " transform=\"translate(%.1f %.1f) rotate(-90)\"", bx, by);
  tg_plot_buf_printf(doc, ">");
  append_escaped(doc, text);
  tg_plot_buf_printf(doc, "</text>\n");
}

/* ---- the finished document ------------------------------------------------------ */

int tg_plot_svg_finish(canvas *c, char **out, size_t *len) {
  tg_plot_svg *s = c->svg;
  flush_layer(c);
  if (s->in_clip) tg_plot_buf_printf(&s->doc, "</g>\n");
  s->in_clip = false;
  tg_plot_buf_printf(&s->doc, "</g>\n</svg>\n");
  if (s->doc.failed) return -1;
  *out = s->doc.data;
  *len = s->doc.len;
  s->doc = (plot_buf){0};
  return 0;
}
