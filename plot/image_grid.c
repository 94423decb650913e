/* tg_image_grid: a figure of small images with a caption above each, like
 * the lecture's grids of digits titled with prediction and truth. */
#include "plot.h"

#include <math.h>

#define CAPTION_BAND (FONT_HEIGHT + 14)

tg_figure *tg_image_grid(const double *images, int n, int height, int width, int cols,
                         const char *const *captions, int cell_pixels) {
  if (!images || n < 1 || height < 1 || width < 1 || cols < 1) {
    tg_plot_fail(NULL,
                 "tg_image_grid: need images, n >= 1, a positive image size and cols >= 1"
                 " (got n=%d, %dx%d, cols=%d)",
                 n, height, width, cols);
    return NULL;
  }
  if (cols > n) cols = n;
  int rows = (n + cols - 1) / cols;
  /* Whole screen pixels per image pixel keep the blocks even. */
  int zoom = (int)fmax(1.0, round((cell_pixels > 0 ? cell_pixels : 96) / (double)width));
  int cell_w = width * zoom + 20,
      cell_h = height * zoom + 20 + (captions ? CAPTION_BAND : 0);
  tg_figure *fig = tg_figure_new(cols * cell_w, rows * cell_h, rows, cols);
  if (!fig) return NULL;
  for (int i = 0; i < rows * cols; i++) {
    tg_axes *ax = tg_figure_axes(fig, i);
    tg_axes_set_axis_off(ax, true);
    if (i >= n) continue;
    tg_axes_imshow(ax, images + (size_t)i * width * height, width, height, TG_CMAP_GRAY_R,
                   0.0, 0.0);
    if (captions && captions[i]) tg_axes_set_title(ax, captions[i]);
  }
  if (fig->error[0]) { /* out of memory while recording */
    tg_figure_free(fig);
    return NULL;
  }
  return fig;
}
