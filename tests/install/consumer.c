/* A program outside the tree, built against an installed tensorgrad. */
#include <stdio.h>

#include <tensorgrad.h>

int main(void) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_full(TG_SHAPE(2), 3.0, TG_FLOAT64), true);
  tg_backward(tg_sum(tg_mul(x, x), TG_ALL_DIMS, false), NULL, 0);
  double g = tg_get_flat(tg_grad(x), 0);
  tg_scope_end();
  printf("d(x^2)/dx at 3 = %g\n", g);
  return g == 6.0 ? 0 : 1;
}
