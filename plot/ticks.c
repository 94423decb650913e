/* Tick positions at round numbers (1, 2 or 5 times a power of ten) and
 * their labels with just enough decimals. */
#include "plot.h"

#include <math.h>
#include <stdio.h>

static double nice_step(double range, double target_count) {
  double raw = range / target_count;
  double magnitude = pow(10.0, floor(log10(raw)));
  static const double multiples[] = {1.0, 2.0, 5.0, 10.0};
  /* 0.75: rather a few more ticks than too few (0.2 steps over [0, 1] at
   * 5.25 ticks' worth of room, not 0.5). */
  for (int i = 0; i < 3; i++)
    if (multiples[i] * magnitude >= raw * 0.75) return multiples[i] * magnitude;
  return multiples[3] * magnitude;
}

static void format_tick(char *out, size_t size, double value, double step) {
  double biggest = fabs(value);
  if (biggest >= 1e6 || step < 1e-4) {
    snprintf(out, size, "%.3g", value);
    return;
  }
  int decimals = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
  snprintf(out, size, "%.*f", decimals, value);
}

void tg_plot_ticks_nice(ticks *t, double lo, double hi, double length, double spacing) {
  t->n = 0;
  if (!(hi > lo) || !isfinite(hi - lo)) return;
  double target = fmax(length / spacing, 2.0);
  double step = nice_step(hi - lo, target);
  double slack = step * 1e-9;
  for (double k = ceil((lo - slack) / step); t->n < MAX_TICKS; k++) {
    double value = k * step;
    if (value > hi + slack) break;
    if (fabs(value) < slack) value = 0.0; /* never print "-0.0" */
    t->value[t->n] = value;
    format_tick(t->label[t->n], sizeof t->label[t->n], value, step);
    t->n++;
  }
}

void tg_plot_ticks_categories(ticks *t, int k, char *const *names) {
  t->n = k < MAX_TICKS ? k : MAX_TICKS;
  for (int i = 0; i < t->n; i++) {
    t->value[i] = i;
    snprintf(t->label[i], sizeof t->label[i], "%s", names[i]);
  }
}

void tg_plot_ticks_log(ticks *t, double lo, double hi) {
  t->n = 0;
  if (!(hi > lo) || !isfinite(hi - lo)) return;
  bool few = floor(hi) - ceil(lo) < 2;
  for (double k = floor(lo); k <= ceil(hi) && t->n < MAX_TICKS; k++) {
    static const double multiples[] = {1, 2, 5};
    for (int m = 0; m < (few ? 3 : 1) && t->n < MAX_TICKS; m++) {
      double e = k + log10(multiples[m]);
      if (e < lo - 1e-9 || e > hi + 1e-9) continue;
      t->value[t->n] = multiples[m] * pow(10.0, k);
      snprintf(t->label[t->n], sizeof t->label[t->n], "%g", t->value[t->n]);
      t->n++;
    }
  }
}
