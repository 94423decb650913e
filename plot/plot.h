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

#define FONT_HEIGHT 12 /* rows per line of text, descenders included */

typedef struct {
  int index, first_column, width, advance;
} font_glyph;

font_glyph font_lookup(unsigned char c);
bool font_ink(font_glyph g, int x, int y); /* x in [0, width), y in [0, FONT_HEIGHT) */
int font_text_width(const char *text, bool bold);

/* ---- colours (colours.c) ---------------------------------------------- */

typedef struct {
  double r, g, b; /* 0..1 */
} rgb;

rgb color_rgb(tg_color c);
tg_color color_from_rgb(rgb c);
tg_color color_mix(tg_color a, tg_color b, double t); /* (1-t)a + tb */
tg_color colormap_at(tg_colormap cmap, double t);     /* t in [0, 1], clamped */
double color_luminance(tg_color c);                   /* 0 black .. 1 white */

/* ---- canvas (canvas.c) ------------------------------------------------
 * Shapes are first rasterised as coverage (0..1 per pixel, combined with max
 * so that overlapping segments of one polyline do not darken their joints),
 * then painted in one colour with canvas_paint. */

typedef struct {
  int x0, y0, x1, y1; /* pixels [x0, x1) x [y0, y1) */
} rect;

typedef struct {
  int width, height;
  uint8_t *rgb;
  float *coverage;
  rect clip;  /* shapes and paint stay inside */
  rect dirty; /* where coverage may be non-zero */
} canvas;

int canvas_init(canvas *c, int width, int height); /* white; -1 if out of memory */
void canvas_free(canvas *c);
void canvas_set_clip(canvas *c, rect clip); /* intersected with the canvas */
void canvas_fill_rect(canvas *c, rect r, tg_color color);
void canvas_blend_pixel(canvas *c, int x, int y, tg_color color, double alpha);
/* Pixel (x, y) has its centre at (x + 0.5, y + 0.5). */
void canvas_add_segment(canvas *c, double x0, double y0, double x1, double y1,
                        double width);
void canvas_add_polyline(canvas *c, const double *px, const double *py, int n,
                         double width, bool dashed);
void canvas_add_disc(canvas *c, double cx, double cy, double radius);
void canvas_paint(canvas *c, tg_color color, double alpha);

/* Text anchored at (x, y): ax/ay = 0, 0.5, 1 put the anchor at the left /
 * centre / right and top / middle / bottom of the text's box. Vertical text
 * reads upwards (a y-axis label); its box is FONT_HEIGHT wide. */
typedef struct {
  double ax, ay;
  bool bold, vertical;
  tg_color color;
} text_style;

void canvas_text(canvas *c, const char *text, int x, int y, text_style style);

/* ---- ticks (ticks.c) -------------------------------------------------- */

#define MAX_TICKS 32

typedef struct {
  int n;
  double value[MAX_TICKS];
  char label[MAX_TICKS][24];
} ticks;

/* Round 1-2-5 ticks inside [lo, hi], about one per `spacing` of `length`
 * pixels. */
void ticks_nice(ticks *t, double lo, double hi, double length, double spacing);
/* Ticks at 0..k-1 labelled by names (categorical axes). */
void ticks_categories(ticks *t, int k, char *const *names);

/* ---- recorded figures ------------------------------------------------------ */

typedef enum {
  ITEM_LINE,
  ITEM_SCATTER,
  ITEM_FILL_PROBABILITY,
  ITEM_FILL_CLASSES,
  ITEM_CONTOUR,
  ITEM_CONFUSION,
  ITEM_IMAGE,
} item_kind;

typedef struct {
  item_kind kind;
  char *label; /* owned; NULL: not in the legend */
  tg_color color;
  double line_width, marker_size;
  bool dashed;
  int n; /* points of lines and scatter */
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
  plot_item *items;
  int n_items, cap_items;
  int next_color;
};

struct tg_figure {
  int width, height, rows, cols;
  char *title;
  tg_axes *axes;
  char error[512]; /* first error, "" if none */
};

/* Sets tg_last_error and, if it is the first, the figure's error; returns -1. */
int plot_fail(tg_figure *fig, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *plot_strdup(const char *s); /* NULL for NULL or out of memory */

/* ---- frames (frame.c) ------------------------------------------------------
 * Maps data coordinates into the pixel box of one axes. */
typedef struct {
  rect box; /* the spines are its outermost pixels */
  double xlo, xhi, ylo, yhi;
  bool y_down; /* ylo at the top (images, matrices) */
} plot_frame;

double frame_px(const plot_frame *f, double x);
double frame_py(const plot_frame *f, double y);
double frame_data_x(const plot_frame *f, double px);
double frame_data_y(const plot_frame *f, double py);

/* ---- drawing (render.c, items.c, contour.c) ------------------------------- */

void render_figure(const tg_figure *fig, canvas *c);
void draw_item(canvas *c, const plot_frame *f, const plot_item *item);
/* Adds the level-`level` isolines of the grid to the canvas coverage. */
void contour_add_level(canvas *c, const plot_frame *f, const plot_item *item,
                       double level, double width);

#endif
