/* The lecture's QUIZ-3, worked by tensorgrad:
 *
 *   X = [-2, 0.7, 3]
 *   - find Y = sigmoid(X) and dY/dX
 *   - taking X as a single feature, standardise it (StandardScaler) and
 *     normalise it (MinMaxScaler)
 *
 * dY/dX comes from autograd twice (backward of Y.sum(), and backward of Y
 * with an explicit gradient of ones: the same thing, since d(sum)/dY = 1)
 * and is printed next to the closed form sigma(x) * (1 - sigma(x)).
 *
 * Nothing trains here: --epochs and --seed are accepted (every example
 * takes the same flags) but change nothing; --out only receives the
 * directory example_parse creates.
 *
 * PyTorch twin: examples/pytorch/quiz3.py.
 */
#include <math.h>
#include <stdio.h>

#include "example.h"
#include "tensorgrad.h"

/* Largest |a - b| over two tensors of one shape. */
static double max_abs_diff(tg_tensor *a, tg_tensor *b) {
  tg_scope_begin();
  double d = tg_item(tg_max_all(tg_abs(tg_sub(a, b))));
  tg_scope_end();
  return d;
}

/* "k0=v0 k1=v1 k2=v2" for the summary line. */
static void print_values(const char *key, tg_tensor *t) {
  for (int64_t i = 0; i < tg_numel(t); i++)
    printf(" %s%lld=%.6g", key, (long long)i, tg_get_flat(t, i));
}

int main(int argc, char **argv) {
  example_args args;
  example_parse(argc, argv, "quiz3", 0, &args);
  tg_scope_begin();

  /* X = torch.tensor([-2, 0.7, 3], requires_grad=True) */
  tg_tensor *X = tg_from_data((float[]){-2.0f, 0.7f, 3.0f}, TG_SHAPE(3), TG_FLOAT32);
  tg_requires_grad_(X, true);

  /* Y = torch.sigmoid(X); Y.sum().backward() */
  tg_tensor *Y = tg_sigmoid(X);
  printf("Y = sigmoid(X):\n");
  tg_print(Y);
  tg_backward(tg_sum(Y, TG_ALL_DIMS, false), NULL, 0);
  tg_tensor *grad_sum = tg_clone(tg_grad(X)); /* X.grad.clone() */
  printf("dY/dX from Y.sum().backward():\n");
  tg_print(grad_sum);

  /* X.grad.zero_(); Y = torch.sigmoid(X); Y.backward(torch.ones_like(Y)) */
  tg_zero_grad(X, false);
  Y = tg_sigmoid(X);
  tg_backward(Y, tg_ones_like(Y), 0);
  printf("dY/dX from Y.backward(torch.ones_like(Y)):\n");
  tg_print(tg_grad(X));

  /* the closed form: sigma'(x) = sigma(x) * (1 - sigma(x)) */
  tg_tensor *Yd = tg_detach(Y);
  tg_tensor *closed = tg_mul(Yd, tg_rsub_scalar(Yd, 1));
  printf("closed form Y * (1 - Y):\n");
  tg_print(closed);
  double err_sum = max_abs_diff(grad_sum, closed);
  double err_ones = max_abs_diff(tg_grad(X), closed);
  double max_grad_error = fmax(err_sum, err_ones);
  printf("max |autograd - closed form| = %.3g\n\n", max_grad_error);

  /* X as one feature: X.detach().numpy().reshape(-1, 1) */
  tg_tensor *feature = tg_reshape(tg_detach(X), TG_SHAPE(-1, 1));

  /* sc = StandardScaler(); Z = sc.fit_transform(feature) */
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_tensor *Z = tg_standard_scaler_fit_transform(sc, feature);
  printf("StandardScaler: mean_ = %.6g, scale_ = %.6g (population std)\n", sc->mean_[0],
         sc->scale_[0]);
  printf("standardised X = (X - mean) / std:\n");
  tg_print(Z);

  /* mm = MinMaxScaler(); N = mm.fit_transform(feature) */
  tg_minmax_scaler *mm = tg_minmax_scaler_new(0, 1);
  tg_tensor *N = tg_minmax_scaler_fit_transform(mm, feature);
  printf("MinMaxScaler: data_min_ = %.6g, data_max_ = %.6g\n", mm->data_min_[0],
         mm->data_max_[0]);
  printf("normalised X = (X - min) / (max - min):\n");
  tg_print(N);

  printf("quiz3: max_grad_error=%.3g", max_grad_error);
  print_values("y", Y);
  print_values("dydx", tg_grad(X));
  print_values("z", Z);
  print_values("n", N);
  printf("\n");

  tg_standard_scaler_free(sc);
  tg_minmax_scaler_free(mm);
  tg_scope_end();
  return 0;
}
