/* Mapping between data coordinates and the pixels of one axes' box: the
 * only thing both the layout (render.c) and the items (items.c, contour.c)
 * need from each other, kept here so neither depends on the other. */
#include "plot.h"

double frame_px(const plot_frame *f, double x) {
  return f->box.x0 + 0.5 + (x - f->xlo) / (f->xhi - f->xlo) * (f->box.x1 - f->box.x0 - 1);
}

double frame_py(const plot_frame *f, double y) {
  double t = (y - f->ylo) / (f->yhi - f->ylo) * (f->box.y1 - f->box.y0 - 1);
  return f->y_down ? f->box.y0 + 0.5 + t : f->box.y1 - 0.5 - t;
}

double frame_data_x(const plot_frame *f, double px) {
  return f->xlo +
         (px - f->box.x0 - 0.5) / (f->box.x1 - f->box.x0 - 1) * (f->xhi - f->xlo);
}

double frame_data_y(const plot_frame *f, double py) {
  double t = f->y_down ? py - f->box.y0 - 0.5 : f->box.y1 - 0.5 - py;
  return f->ylo + t / (f->box.y1 - f->box.y0 - 1) * (f->yhi - f->ylo);
}
