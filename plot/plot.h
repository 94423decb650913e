/* plot/plot.h - private to plot/: the font, the anti-aliased canvas,
 * and the recorded contents of figures and axes. */
#ifndef TG_PLOT_PLOT_H
#define TG_PLOT_PLOT_H

#include "tensorgrad/plot.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- font (font.c) ------------------------------------------------------- */

#define FONT_HEIGHT 12 /* rows per line of text at scale 1, descenders included */

typedef struct {
  int index, first_column, width, advance;
} font_glyph;

font_glyph tg_plot_font_lookup(unsigned char c);
bool tg_plot_font_ink(font_glyph g, int x,
                      int y); /* x in [0, width), y in [0, FONT_HEIGHT) */
int tg_plot_font_text_width(const char *text, bool bold);
/* Text drawn `scale` times the bitmap's size (tg_figure_set_font_size):
 * the height of a line and the width of a string, in pixels. */
int tg_plot_font_height(double scale);
int tg_plot_font_scaled_width(const char *text, bool bold, double scale);

/* ---- colours (colours.c) ---------------------------------------------- */

typedef struct {
  double r, g, b; /* 0..1 */
} rgb;

rgb tg_plot_color_rgb(tg_color c);
tg_color tg_plot_color_from_rgb(rgb c);
tg_color tg_plot_color_mix(tg_color a, tg_color b, double t); /* (1-t)a + tb */
tg_color tg_plot_colormap_at(tg_colormap cmap, double t);     /* t in [0, 1], clamped */
double tg_plot_color_luminance(tg_color c);                   /* 0 black .. 1 white */

/* ---- canvas (canvas.c) ------------------------------------------------
 * Shapes are first rasterised as coverage (0..1 per pixel, combined with max
 * so that overlapping segments of one polyline do not darken their joints),
 * then painted in one colour with canvas_paint. */

typedef struct {
  int x0, y0, x1, y1; /* pixels [x0, x1) x [y0, y1) */
} rect;

typedef struct tg_plot_svg tg_plot_svg;

typedef struct {
  int width, height;
  uint8_t *rgb;
  float *coverage;
  rect clip;         /* shapes and paint stay inside */
  double text_scale; /* text size relative to the bitmap font's (1: 12 px lines) */
  double dpi_scale;  /* pixels per pixel-at-100-dpi: line widths, markers, gaps */
  rect dirty;        /* where coverage may be non-zero */
  tg_plot_svg *svg;  /* non-NULL: a vector canvas (svg.c), rgb and coverage unused */
} canvas;

int tg_plot_canvas_init(canvas *c, int width,
                        int height); /* white; -1 if out of memory */
/* A canvas that writes an SVG document (svg.c); -1 if out of memory. */
int tg_plot_canvas_init_svg(canvas *c, int width, int height);
void tg_plot_canvas_free(canvas *c);
void tg_plot_canvas_set_clip(canvas *c, rect clip); /* intersected with the canvas */
void tg_plot_canvas_fill_rect(canvas *c, rect r, tg_color color);
/* The rectangle blended at opacity alpha (a legend's background). */
void tg_plot_canvas_shade_rect(canvas *c, rect r, tg_color color, double alpha);
/* The part [t0, t1] of the segment p + t (q - p) within `margin` of the
 * clip rectangle; false if none is. */
bool tg_plot_canvas_clip_segment(const canvas *c, const double p[2], const double q[2],
                                 double margin, double *t0, double *t1);
void tg_plot_canvas_blend_pixel(canvas *c, int x, int y, tg_color color, double alpha);
/* Pixel (x, y) has its centre at (x + 0.5, y + 0.5). */
void tg_plot_canvas_add_segment(canvas *c, double x0, double y0, double x1, double y1,
                                double width);
void tg_plot_canvas_add_polyline(canvas *c, const double *px, const double *py, int n,
                                 double width, bool dashed);
void tg_plot_canvas_add_disc(canvas *c, double cx, double cy, double radius);
void tg_plot_canvas_paint(canvas *c, tg_color color, double alpha);

/* Text anchored at (x, y): ax/ay = 0, 0.5, 1 put the anchor at the left /
 * centre / right and top / middle / bottom of the text's box. Vertical text
 * reads upwards (a y-axis label); its box is tg_plot_font_height(scale) wide. At a
 * scale other than 1 the bitmap is resampled: each pixel's ink is the
 * share of the glyph pixels it covers, so scaled text stays smooth. */
typedef struct {
  double ax, ay;
  bool bold, vertical;
  tg_color color;
} text_style;

void tg_plot_canvas_text(canvas *c, const char *text, int x, int y, text_style style);
/* The width the layout gives the text on this canvas. */
int tg_plot_canvas_text_width(const canvas *c, const char *text, bool bold);

/* ---- a growing string (buffer.c) ---------------------------------------------- */

typedef struct {
  char *data; /* NUL-terminated once anything was written */
  size_t len, cap;
  bool failed; /* out of memory: the text is lost, and saving reports it */
} plot_buf;

void tg_plot_buf_reserve(plot_buf *b, size_t extra);
void tg_plot_buf_printf(plot_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tg_plot_buf_free(plot_buf *b);

/* The figure's recorded contents as JSON (json_export.c). */
void tg_plot_figure_json(const tg_figure *fig, plot_buf *b);

/* ---- SVG (svg.c): the canvas calls these when c->svg is set ------------------ */

void tg_plot_svg_free(tg_plot_svg *s);
void tg_plot_svg_blend_pixel(canvas *c, int x, int y, tg_color color, double alpha);
void tg_plot_svg_set_clip(canvas *c);
void tg_plot_svg_fill_rect(canvas *c, rect r, tg_color color, double alpha);
void tg_plot_svg_add_polyline(canvas *c, const double *px, const double *py, int n,
                              double width, bool dashed);
void tg_plot_svg_add_disc(canvas *c, double cx, double cy, double radius);
void tg_plot_svg_paint(canvas *c, tg_color color, double alpha);
/* A w x h RGB image, one sharp block per pixel, over the box (x0, y0)-(x1, y1):
 * heatmaps at their data's resolution. */
void tg_plot_svg_image(canvas *c, const uint8_t *rgb, int w, int h, double x0, double y0,
                       double x1, double y1);
/* The width of the text in the font the SVG names, at font_size pixels. */
int tg_plot_svg_text_width(const char *text, bool bold, int font_size);
/* box: where the bitmap font's text would be (rotated if vertical). */
void tg_plot_svg_text(canvas *c, const char *text, rect box, text_style style);
/* Closes the document and hands it over (*out malloc'd, NUL-terminated);
 * -1 if memory ran out while writing it. */
int tg_plot_svg_finish(canvas *c, char **out, size_t *len);

/* ---- ticks (ticks.c) -------------------------------------------------- */

#define MAX_TICKS 32

typedef struct {
  int n;
  double value[MAX_TICKS];
  char label[MAX_TICKS][24];
} ticks;

/* Round 1-2-5 ticks inside [lo, hi], about one per `spacing` of `length`
 * pixels. */
void tg_plot_ticks_nice(ticks *t, double lo, double hi, double length, double spacing);
/* Ticks at 0..k-1 labelled by names (categorical axes). */
void tg_plot_ticks_categories(ticks *t, int k, char *const *names);
/* Log axes over [10^lo, 10^hi]: the powers of ten, with 2x and 5x between
 * them when fewer than three powers fall inside. Values in data units. */
void tg_plot_ticks_log(ticks *t, double lo, double hi);

/* ---- recorded figures ------------------------------------------------------ */

typedef enum {
  ITEM_LINE,
  ITEM_SCATTER,
  ITEM_FILL_PROBABILITY,
  ITEM_FILL_CLASSES,
  ITEM_CONTOUR,
  ITEM_CONFUSION,
  ITEM_IMAGE,
  ITEM_BAR,
} item_kind;

typedef struct {
  item_kind kind;
  char *label; /* owned; NULL: not in the legend */
  tg_color color;
  double line_width, marker_size;
  bool dashed;
  int n;            /* points of lines and scatter, bars */
  double bar_width; /* bars: x[i] is the centre, y[i] the height */
  double *x, *y;
  int *classes; /* scatter classes, or the class grid */
  int nx, ny;   /* grids: fills, contour, confusion (k x k), image */
  double *grid;
  tg_extent extent;
  double *levels; /* contour */
  int n_levels;
  tg_colormap cmap; /* image */
  double vmin, vmax;
  char **names; /* confusion: k class names */
} plot_item;

struct tg_axes {
  tg_figure *fig;
  char *title, *xlabel, *ylabel;
  bool fixed_x, fixed_y;
  double xlim[2], ylim[2];
  bool grid, equal_aspect, axis_off;
  bool xlog, ylog;      /* base-10 log scales */
  bool colorbar;        /* a colour bar at the right for the last coloured item */
  char *colorbar_label; /* owned; NULL: none */
  plot_item *items;
  int n_items, cap_items;
  int next_color;
};

struct tg_figure {
  int width, height, rows, cols; /* width, height: pixels, inches times dpi */
  double width_inches, height_inches, dpi;
  double text_scale; /* tg_figure_set_font_size / FONT_HEIGHT, at 100 dpi */
  char *title;
  tg_axes *axes;
  char error[512]; /* first error, "" if none */
};

/* Sets tg_last_error and, if it is the first, the figure's error; returns -1. */
int tg_plot_fail(tg_figure *fig, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *tg_plot_strdup(const char *s); /* NULL for NULL or out of memory */

/* ---- frames (frame.c) ------------------------------------------------------
 * Maps data coordinates into the pixel box of one axes. */
typedef struct {
  rect box;                  /* the spines are its outermost pixels */
  double xlo, xhi, ylo, yhi; /* log10 of the limits on a log axis */
  bool y_down;               /* ylo at the top (images, matrices) */
  bool xlog, ylog;
} plot_frame;

double tg_plot_frame_px(const plot_frame *f, double x);
double tg_plot_frame_py(const plot_frame *f, double y);
double tg_plot_frame_data_x(const plot_frame *f, double px);
double tg_plot_frame_data_y(const plot_frame *f, double py);

/* ---- drawing (render.c, items.c, contour.c) ------------------------------- */

void tg_plot_render_figure(const tg_figure *fig, canvas *c);
void tg_plot_draw_item(canvas *c, const plot_frame *f, const plot_item *item);
/* The colour scale an item paints with (images, matrices, probability fills,
 * auto-coloured contours): the values at both ends; false if it has none. */
bool tg_plot_item_color_scale(const plot_item *item, double *lo, double *hi);
tg_color tg_plot_item_color_at(const plot_item *item, double t); /* t in [0, 1] */
/* Adds the level-`level` isolines of the grid to the canvas coverage. */
void tg_plot_contour_add_level(canvas *c, const plot_frame *f, const plot_item *item,
                               double level, double width);

#endif
