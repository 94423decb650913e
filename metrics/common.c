/* Argument checks and small numeric helpers shared by every metric. */
#include <math.h>
#include <stdlib.h>

#include "metrics/metrics_internal.h"
#include "tensorgrad/tensor.h"

int tg_metrics_check_arrays(const char *fn, int64_t n, const void *a, const char *a_name,
                            const void *b, const char *b_name) {
  if (n < 0) tg_error("%s: n must be >= 0, got %lld", fn, (long long)n);
  if (!a || (b_name && !b)) tg_error("%s: %s is NULL", fn, !a ? a_name : b_name);
  if (n == 0) {
    tg_set_last_error("%s: need at least one sample, got n = 0", fn);
    return -1;
  }
  return 0;
}

void tg_metrics_check_out(const char *fn, const void *out, const char *name) {
  if (!out) tg_error("%s: %s is NULL", fn, name);
}

int tg_metrics_check_finite(const char *fn, const double *v, int64_t n,
                            const char *name) {
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i])) {
      tg_set_last_error("%s: %s[%lld] is %g; scores must be finite", fn, name,
                        (long long)i, v[i]);
      return -1;
    }
  }
  return 0;
}

void *tg_metrics_alloc(const char *fn, int64_t count, size_t size) {
  void *p = NULL;
  if (count >= 0 && (uint64_t)count <= SIZE_MAX / size)
    p = malloc((size_t)(count ? count : 1) * size);
  if (!p) tg_set_last_error("%s: out of memory", fn);
  return p;
}

double tg_metrics_ratio(int64_t num, int64_t den, tg_zero_division zero_division) {
  if (den == 0) return zero_division == TG_ZERO_DIVISION_1 ? 1.0 : 0.0;
  return (double)num / (double)den;
}

void tg_metrics_check_zero_division(const char *fn, tg_zero_division zero_division) {
  if (zero_division < TG_ZERO_DIVISION_WARN || zero_division > TG_ZERO_DIVISION_1)
    tg_error("%s: zero_division must be WARN, 0 or 1, got %d", fn, (int)zero_division);
}
