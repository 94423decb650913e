/* Contour lines by marching squares: each grid cell whose corners straddle
 * the level gets one or two segments between linearly interpolated edge
 * crossings; a saddle cell is resolved by the value at its centre. */
#include "plot.h"

#include <math.h>

enum { BOTTOM, RIGHT, TOP, LEFT, NONE = -1 };

/* For each corner pattern (bit 1: bottom-left above the level, 2:
 * bottom-right, 4: top-right, 8: top-left) the edges joined by a segment.
 * Saddles 5 and 10 list the split used when the centre is below the level. */
static const signed char edge_pairs[16][4] = {
    {NONE, NONE, NONE, NONE},  {LEFT, BOTTOM, NONE, NONE},  {BOTTOM, RIGHT, NONE, NONE},
    {LEFT, RIGHT, NONE, NONE}, {RIGHT, TOP, NONE, NONE},    {LEFT, BOTTOM, RIGHT, TOP},
    {BOTTOM, TOP, NONE, NONE}, {LEFT, TOP, NONE, NONE},     {LEFT, TOP, NONE, NONE},
    {BOTTOM, TOP, NONE, NONE}, {BOTTOM, RIGHT, TOP, LEFT},  {RIGHT, TOP, NONE, NONE},
    {LEFT, RIGHT, NONE, NONE}, {BOTTOM, RIGHT, NONE, NONE}, {LEFT, BOTTOM, NONE, NONE},
    {NONE, NONE, NONE, NONE}};

typedef struct {
  double z[4]; /* bottom-left, bottom-right, top-right, top-left */
  int i, j;
} cell;

/* Where the level crosses `edge`, in grid index coordinates. */
static void crossing(const cell *c, int edge, double level, double *gx, double *gy) {
  static const int from[4] = {0, 1, 3, 0}, to[4] = {1, 2, 2, 3};
  static const double x0[4] = {0, 1, 0, 0}, y0[4] = {0, 0, 1, 0};
  static const double dx[4] = {1, 0, 1, 0}, dy[4] = {0, 1, 0, 1};
  double a = c->z[from[edge]], b = c->z[to[edge]];
  double t = (level - a) / (b - a);
  *gx = c->i + x0[edge] + dx[edge] * t;
  *gy = c->j + y0[edge] + dy[edge] * t;
}

static void add_cell_segments(canvas *cv, const plot_frame *f, const plot_item *item,
                              const cell *c, double level, double width) {
  int pattern = 0;
  for (int k = 0; k < 4; k++) pattern |= (c->z[k] >= level) << k;
  bool saddle = pattern == 5 || pattern == 10;
  double centre = (c->z[0] + c->z[1] + c->z[2] + c->z[3]) / 4.0;
  if (saddle && centre >= level) pattern = 15 - pattern; /* the other split */
  const signed char *pairs = edge_pairs[pattern];
  double sx = (item->extent.xmax - item->extent.xmin) / (item->nx - 1);
  double sy = (item->extent.ymax - item->extent.ymin) / (item->ny - 1);
  for (int k = 0; k < 4 && pairs[k] != NONE; k += 2) {
    double gx0, gy0, gx1, gy1;
    crossing(c, pairs[k], level, &gx0, &gy0);
    crossing(c, pairs[k + 1], level, &gx1, &gy1);
    tg_plot_canvas_add_segment(cv, tg_plot_frame_px(f, item->extent.xmin + gx0 * sx),
                               tg_plot_frame_py(f, item->extent.ymin + gy0 * sy),
                               tg_plot_frame_px(f, item->extent.xmin + gx1 * sx),
                               tg_plot_frame_py(f, item->extent.ymin + gy1 * sy), width);
  }
}

void tg_plot_contour_add_level(canvas *cv, const plot_frame *f, const plot_item *item,
                               double level, double width) {
  const double *z = item->grid;
  int nx = item->nx;
  for (int j = 0; j + 1 < item->ny; j++)
    for (int i = 0; i + 1 < nx; i++) {
      cell c = {{z[j * nx + i], z[j * nx + i + 1], z[(j + 1) * nx + i + 1],
                 z[(j + 1) * nx + i]},
                i,
                j};
      if (!isfinite(c.z[0] + c.z[1] + c.z[2] + c.z[3])) continue;
      add_cell_segments(cv, f, item, &c, level, width);
    }
}
