/* Mapping between data coordinates and the pixels of one axes' box: the
 * only thing both the layout (render.c) and the items (items.c, contour.c)
 * need from each other, kept here so neither depends on the other. */
#include "plot.h"

#include <math.h>

/* Data to the frame's linear coordinate: log10 on a log axis. */
static double to_axis(bool log_scale, double v) {
  return log_scale ? (v > 0 ? log10(v) : NAN) : v;
}

static double from_axis(bool log_scale, double v) {
  return log_scale ? pow(10.0, v) : v;
}

double tg_plot_frame_px(const plot_frame *f, double x) {
  x = to_axis(f->xlog, x);
  return f->box.x0 + 0.5 + (x - f->xlo) / (f->xhi - f->xlo) * (f->box.x1 - f->box.x0 - 1);
}

double tg_plot_frame_py(const plot_frame *f, double y) {
  y = to_axis(f->ylog, y);
  double t = (y - f->ylo) / (f->yhi - f->ylo) * (f->box.y1 - f->box.y0 - 1);
  return f->y_down ? f->box.y0 + 0.5 + t : f->box.y1 - 0.5 - t;
}

double tg_plot_frame_data_x(const plot_frame *f, double px) {
  return from_axis(f->xlog, f->xlo + (px - f->box.x0 - 0.5) /
                                         (f->box.x1 - f->box.x0 - 1) * (f->xhi - f->xlo));
}

double tg_plot_frame_data_y(const plot_frame *f, double py) {
  double t = f->y_down ? py - f->box.y0 - 0.5 : f->box.y1 - 0.5 - py;
  return from_axis(f->ylog, f->ylo + t / (f->box.y1 - f->box.y0 - 1) * (f->yhi - f->ylo));
}
