/* Colours: the default cycle, blending and the colormaps. */
#include "plot.h"

#include <math.h>

static const tg_color cycle[10] = {TG_BLUE,  TG_ORANGE, TG_GREEN, TG_RED,   TG_PURPLE,
                                   TG_BROWN, TG_PINK,   TG_GRAY,  TG_OLIVE, TG_CYAN};

tg_color tg_color_cycle(int i) {
  return cycle[((i % 10) + 10) % 10];
}

rgb tg_plot_color_rgb(tg_color c) {
  return (rgb){((c >> 16) & 0xFF) / 255.0, ((c >> 8) & 0xFF) / 255.0, (c & 0xFF) / 255.0};
}

static unsigned channel_byte(double v) {
  return (unsigned)lround(fmin(fmax(v, 0.0), 1.0) * 255.0);
}

tg_color tg_plot_color_from_rgb(rgb c) {
  return TG_RGB(channel_byte(c.r), channel_byte(c.g), channel_byte(c.b));
}

tg_color tg_plot_color_mix(tg_color a, tg_color b, double t) {
  rgb p = tg_plot_color_rgb(a), q = tg_plot_color_rgb(b);
  return tg_plot_color_from_rgb(
      (rgb){p.r + (q.r - p.r) * t, p.g + (q.g - p.g) * t, p.b + (q.b - p.b) * t});
}

double tg_plot_color_luminance(tg_color c) {
  rgb p = tg_plot_color_rgb(c);
  return 0.299 * p.r + 0.587 * p.g + 0.114 * p.b;
}

/* Nine evenly spaced samples of each matplotlib colormap; between them we
 * interpolate linearly, which is visually indistinguishable at plot sizes. */
static const tg_color viridis[9] = {
    TG_RGB(0x44, 0x01, 0x54), TG_RGB(0x47, 0x2d, 0x7b), TG_RGB(0x3b, 0x52, 0x8b),
    TG_RGB(0x2c, 0x72, 0x8e), TG_RGB(0x21, 0x91, 0x8c), TG_RGB(0x28, 0xae, 0x80),
    TG_RGB(0x5e, 0xc9, 0x62), TG_RGB(0xad, 0xdc, 0x30), TG_RGB(0xfd, 0xe7, 0x25)};
static const tg_color blues[9] = {
    TG_RGB(0xf7, 0xfb, 0xff), TG_RGB(0xde, 0xeb, 0xf7), TG_RGB(0xc6, 0xdb, 0xef),
    TG_RGB(0x9e, 0xca, 0xe1), TG_RGB(0x6b, 0xae, 0xd6), TG_RGB(0x42, 0x92, 0xc6),
    TG_RGB(0x21, 0x71, 0xb5), TG_RGB(0x08, 0x51, 0x9c), TG_RGB(0x08, 0x30, 0x6b)};

static tg_color sample(const tg_color *stops, double t) {
  double pos = t * 8.0;
  int i = (int)fmin(floor(pos), 7.0);
  return tg_plot_color_mix(stops[i], stops[i + 1], pos - i);
}

tg_color tg_plot_colormap_at(tg_colormap cmap, double t) {
  t = isnan(t) ? 0.0 : fmin(fmax(t, 0.0), 1.0);
  switch (cmap) {
  case TG_CMAP_BLUES:
    return sample(blues, t);
  case TG_CMAP_GRAY:
    return tg_plot_color_mix(TG_BLACK, TG_WHITE, t);
  case TG_CMAP_GRAY_R:
    return tg_plot_color_mix(TG_WHITE, TG_BLACK, t);
  case TG_CMAP_VIRIDIS:
    break;
  }
  return sample(viridis, t);
}
