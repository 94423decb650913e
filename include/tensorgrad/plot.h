/* tensorgrad/plot.h - a tiny matplotlib: line, scatter, bar, contour,
 * decision boundary, confusion-matrix and image plots saved as PNG or SVG.
 *
 *   tg_figure *fig = tg_figure_new(1000, 420, 1, 2);      // plt.subplots(1, 2)
 *   tg_axes *roc = tg_figure_axes(fig, 0);
 *   tg_axes_plot(roc, fpr, tpr, n, &(tg_style){.color = TG_PURPLE, .label = "MLP"});
 *   tg_axes_set_title(roc, "ROC curve");
 *   tg_axes_set_xlabel(roc, "False positive rate");
 *   ...
 *   if (tg_figure_save(fig, "roc_pr.png") != 0) puts(tg_last_error());
 *   tg_figure_free(fig);
 *
 * Inputs are plain double arrays which the figure copies, so the caller may
 * free them right after the call. Nothing is drawn until the figure is
 * rendered, which is when axis limits are chosen from all the data.
 *
 * Errors: every call returns 0 or -1 with tg_last_error() set ("tg_axes_plot:
 * x is NULL"). The figure also remembers its first error and
 * tg_figure_save / tg_figure_render fail with it, so a script may check only
 * the final save.
 */
#ifndef TENSORGRAD_PLOT_H
#define TENSORGRAD_PLOT_H

#include "tensorgrad/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

TG_API_BEGIN

/* ---- colours ------------------------------------------------------------ */

/* 0xAARRGGBB with alpha 0xFF; the value 0 (TG_AUTO) means "pick for me". */
typedef uint32_t tg_color;
#define TG_RGB(r, g, b) ((tg_color)(0xFF000000u | ((r) << 16) | ((g) << 8) | (b)))
#define TG_AUTO ((tg_color)0)
/* matplotlib's default cycle (tab10), in its order, and a few named ones. */
#define TG_BLUE TG_RGB(0x1f, 0x77, 0xb4)
#define TG_ORANGE TG_RGB(0xff, 0x7f, 0x0e)
#define TG_GREEN TG_RGB(0x2c, 0xa0, 0x2c)
#define TG_RED TG_RGB(0xd6, 0x27, 0x28)
#define TG_PURPLE TG_RGB(0x94, 0x67, 0xbd)
#define TG_BROWN TG_RGB(0x8c, 0x56, 0x4b)
#define TG_PINK TG_RGB(0xe3, 0x77, 0xc2)
#define TG_GRAY TG_RGB(0x7f, 0x7f, 0x7f)
#define TG_OLIVE TG_RGB(0xbc, 0xbd, 0x22)
#define TG_CYAN TG_RGB(0x17, 0xbe, 0xcf)
#define TG_BLACK TG_RGB(0, 0, 0)
#define TG_WHITE TG_RGB(0xff, 0xff, 0xff)

/* The i-th colour of the default cycle (wraps around after 10). */
tg_color tg_color_cycle(int i);

typedef enum {
  TG_CMAP_VIRIDIS = 0, /* perceptually uniform, the matplotlib default */
  TG_CMAP_BLUES,       /* white to dark blue: heatmaps, confusion matrices */
  TG_CMAP_GRAY,        /* black (low) to white (high) */
  TG_CMAP_GRAY_R,      /* white (low) to black (high): digit images */
} tg_colormap;

/* ---- styles ----------------------------------------------------------------
 * Zero means default for every field, so
 *   &(tg_style){.label = "train"}   or simply NULL   are both fine. */
typedef struct {
  const char *label;  /* legend entry; NULL keeps the series out of the legend */
  tg_color color;     /* TG_AUTO: next colour of the axes' cycle */
  double line_width;  /* pixels; 0: 2 for lines, 1.25 for contours */
  bool dashed;        /* e.g. the chance diagonal of a ROC plot */
  double marker_size; /* dot radius in pixels; lines: 0 = no dots, scatter: 0 = 3.5 */
} tg_style;

/* Data rectangle covered by a grid: column 0 is at xmin, column nx-1 at
 * xmax, row 0 at ymin (bottom), row ny-1 at ymax (top). */
typedef struct {
  double xmin, xmax, ymin, ymax;
} tg_extent;

/* ---- figures and axes ------------------------------------------------------ */

typedef struct tg_figure tg_figure;
typedef struct tg_axes tg_axes;

/* A width x height pixel figure split into rows x cols axes. NULL (with
 * tg_last_error) on bad sizes or out of memory. Its size is width/100 x
 * height/100 inches at 100 dpi, which tg_figure_set_size_inches and
 * tg_figure_set_dpi change. */
tg_figure *tg_figure_new(int width, int height, int rows, int cols);
void tg_figure_free(tg_figure *fig); /* NULL is fine */
/* Axes `index`, counted row by row from 0 (plt.subplot(rows, cols, index+1)).
 * NULL (and the figure's error set) if out of range; every tg_axes_* call
 * accepts NULL and fails, so a bad index surfaces at save time. */
tg_axes *tg_figure_axes(tg_figure *fig, int index);
int tg_figure_set_title(tg_figure *fig, const char *title); /* plt.suptitle */
/* The height of a line of text in pixels at 100 dpi (default 12,
 * descenders included): every title, label, tick label and legend entry of
 * the figure is drawn at that size times dpi/100, resampled from the bitmap
 * font with anti-aliasing (in an SVG: the font-size of its <text>), and the
 * layout makes room for it. For a figure at twice the resolution, set the
 * dpi to 200 rather than doubling sizes by hand. */
int tg_figure_set_font_size(tg_figure *fig, double pixels);
/* plt.figure(figsize=(w, h), dpi=d): the figure is w*dpi x h*dpi pixels
 * (rounded). Every length of the drawing is given at 100 dpi and scales
 * with dpi: text (the font size above), line widths, markers, spines,
 * ticks, gaps and margins, so a figure at dpi 200 is the same picture as at
 * 100 with twice the pixels. -1 if the pixel size leaves 16..16384, or on a
 * size <= 0 or a dpi outside 10..2400. */
int tg_figure_set_size_inches(tg_figure *fig, double width, double height);
int tg_figure_set_dpi(tg_figure *fig, double dpi);

/* Draws the figure into a malloc'd RGB buffer of width*height*3 bytes. */
int tg_figure_render(tg_figure *fig, uint8_t **rgb, int *width, int *height);
/* Renders and writes the file atomically (temporary file, then rename):
 * SVG if the path ends in ".svg" (any case), else PNG (see tg_png_write).
 * With the environment variable TENSORGRAD_FIGURE_JSON set (not "0"), it
 * also writes "<path>.json": the figure's data, styles, labels and settings
 * as recorded, which docs/plots/example_pairs.py draws again with
 * matplotlib. */
int tg_figure_save(tg_figure *fig, const char *path);
/* The figure as an SVG document (vector: lines are <path>s, markers
 * <circle>s, text is <text> at the figure's font size; images, heatmaps,
 * fills and colour-bar gradients are embedded PNG <image>s). *svg is
 * malloc'd and NUL-terminated (caller frees), *len bytes long. */
int tg_figure_render_svg(tg_figure *fig, char **svg, size_t *len);
/* Writes the SVG atomically; -1 with "tg_figure_save_svg: <path>: ..." when
 * the file cannot be written. */
int tg_figure_save_svg(tg_figure *fig, const char *path);

int tg_axes_set_title(tg_axes *ax, const char *title);
int tg_axes_set_xlabel(tg_axes *ax, const char *label);
int tg_axes_set_ylabel(tg_axes *ax, const char *label);
/* Fixes a limit pair (lo < hi); otherwise limits fit the data plus 5%. */
int tg_axes_set_xlim(tg_axes *ax, double lo, double hi);
int tg_axes_set_ylim(tg_axes *ax, double lo, double hi);
int tg_axes_set_grid(tg_axes *ax, bool on); /* light grid lines at the ticks */
/* One data unit is as long on x as on y (contours, 2-D data). */
int tg_axes_set_equal_aspect(tg_axes *ax, bool on);
/* ax.set_xscale("log") / set_yscale("log"): base-10 log axes with ticks at
 * the powers of ten; values <= 0 are left out (break lines), as matplotlib
 * masks them. */
int tg_axes_set_xscale_log(tg_axes *ax, bool on);
int tg_axes_set_yscale_log(tg_axes *ax, bool on);
/* plt.colorbar(): a bar at the right of the axes showing the colour scale of
 * its last coloured item (an image, a confusion matrix, a probability fill
 * or auto-coloured contours), with ticks and an optional label. The bar
 * shows nothing if the axes holds no such item. */
int tg_axes_colorbar(tg_axes *ax, const char *label);
/* Hides spines, ticks and labels; the title stays (image grids). */
int tg_axes_set_axis_off(tg_axes *ax, bool off);

/* ---- what can be drawn --------------------------------------------------- */

/* A line through (x[i], y[i]); x NULL means 0, 1, ..., n-1. Non-finite
 * points break the line. A legend appears when two or more drawn things
 * have labels. */
int tg_axes_plot(tg_axes *ax, const double *x, const double *y, int n,
                 const tg_style *style);

/* plt.bar(x, heights, width): bars from 0 to heights[i] centred at x[i]
 * (NULL: 0, 1, ..., n-1), filled with style->color. */
int tg_axes_bar(tg_axes *ax, const double *x, const double *heights, int n, double width,
                const tg_style *style);
/* plt.hist(values, bins): `bins` equal bins over [min, max] of the finite
 * values (numpy.histogram's, the last bin closed), drawn as touching bars. */
int tg_axes_hist(tg_axes *ax, const double *values, int n, int bins,
                 const tg_style *style);

/* Dots at (x[i], y[i]). With classes non-NULL, dot i takes colour
 * tg_color_cycle(classes[i]) and style->color is ignored. */
int tg_axes_scatter(tg_axes *ax, const double *x, const double *y, const int *classes,
                    int n, const tg_style *style);

/* Decision-boundary background for a 2-class model: probs[j*nx + i] is
 * P(class 1) at grid point i, j of `extent`. Drawn as a smooth tint from
 * class 0's colour (p=0) through white (p=0.5) to class 1's (p=1), with the
 * p=0.5 boundary drawn as a line. Colours: tg_color_cycle(0) and (1). */
int tg_axes_fill_probability(tg_axes *ax, const double *probs, int nx, int ny,
                             tg_extent extent);
/* Same for k classes: classes[j*nx + i] is the predicted class; each region
 * gets a light tint of tg_color_cycle(class). */
int tg_axes_fill_classes(tg_axes *ax, const int *classes, int nx, int ny,
                         tg_extent extent);

/* Contour lines of z[j*nx + i] over `extent` at the given levels (NULL:
 * about n_levels evenly spaced round values). Lines take style->color, or
 * if TG_AUTO a viridis colour per level. */
int tg_axes_contour(tg_axes *ax, const double *z, int nx, int ny, tg_extent extent,
                    const double *levels, int n_levels, const tg_style *style);

/* A k x k confusion matrix, counts[true*k + predicted], drawn as a Blues
 * heatmap with each count written in its cell and class names on both axes
 * (NULL: "0".."k-1"). Axis labels default to "Predicted label" / "True label". */
int tg_axes_confusion_matrix(tg_axes *ax, const double *counts, int k,
                             const char *const *class_names);

/* An image of values[row*width + col], row 0 at the top, mapped through
 * `cmap` from vmin to vmax (vmin == vmax: the data's range). Square pixels,
 * nearest-neighbour scaling. */
int tg_axes_imshow(tg_axes *ax, const double *values, int width, int height,
                   tg_colormap cmap, double vmin, double vmax);

/* A figure of n grayscale images (each height x width, stored one after the
 * other) in rows of `cols`, drawn white (low) to black (high) and scaled so
 * each image is about cell_pixels wide (0: 96), with captions[i] (NULL: none)
 * above image i, e.g. "p=3 t=3". NULL on error. The caller saves and frees
 * the figure. */
tg_figure *tg_image_grid(const double *images, int n, int height, int width, int cols,
                         const char *const *captions, int cell_pixels);

TG_API_END

#endif
