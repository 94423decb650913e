/* A program outside the tree, built against an installed tensorgrad: one
 * backward pass, and every built-in data set loaded from the installed
 * share/tensorgrad. Exits 1, with tg_last_error on stderr, when a data set
 * cannot be loaded. */
#include <stdio.h>

#include <tensorgrad.h>

static int check_data_set(const char *name, int status, tg_bunch *b, int64_t n_samples,
                          int64_t n_features) {
  if (status) {
    fprintf(stderr, "%s\n", tg_last_error());
    return 1;
  }
  int wrong = b->n_samples != n_samples || b->n_features != n_features;
  printf("%s: %lld x %lld\n", name, (long long)b->n_samples, (long long)b->n_features);
  tg_bunch_free(b);
  return wrong;
}

int main(void) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_full(TG_SHAPE(2), 3.0, TG_FLOAT64), true);
  tg_backward(tg_sum(tg_mul(x, x), TG_ALL_DIMS, false), NULL, 0);
  double g = tg_get_flat(tg_grad(x), 0);
  tg_scope_end();
  printf("d(x^2)/dx at 3 = %g\n", g);
  if (g != 6.0) return 1;

  tg_bunch b;
  if (check_data_set("iris", tg_load_iris(&b), &b, 150, 4) ||
      check_data_set("breast_cancer", tg_load_breast_cancer(&b), &b, 569, 30) ||
      check_data_set("digits", tg_load_digits(&b, 10), &b, 1797, 64))
    return 1;
  return 0;
}
