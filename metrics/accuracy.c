/* accuracy_score: the fraction of exact label matches. */
#include "metrics/metrics_internal.h"

int tg_accuracy_score(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                      double *accuracy) {
  const char *fn = "tg_accuracy_score";
  tg_metrics_check_out(fn, accuracy, "accuracy");
  if (tg_metrics_check_arrays(fn, n, y_true, "y_true", y_pred, "y_pred") != 0) return -1;
  int64_t correct = 0;
  for (int64_t i = 0; i < n; i++) correct += y_true[i] == y_pred[i];
  *accuracy = (double)correct / (double)n;
  return 0;
}
