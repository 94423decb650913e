/* The smallest training loop: learn y = 3x + 2 from noisy samples with
 * plain gradient descent, the way a PyTorch notebook would:
 *
 *   w = torch.randn(1, requires_grad=True); b = torch.zeros(1, requires_grad=True)
 *   for step in range(200):
 *       loss = ((x * w + b - y) ** 2).mean()
 *       loss.backward()
 *       with torch.no_grad(): w -= lr * w.grad; b -= lr * b.grad
 *       w.grad.zero_(); b.grad.zero_()
 */
#include <stdio.h>

#include "tensorgrad.h"

int main(void) {
  tg_manual_seed(42);
  /* data and parameters live for the whole program: created outside scopes */
  tg_tensor *x = tg_rand(TG_SHAPE(100, 1), TG_FLOAT32);
  tg_tensor *noise = tg_randn(TG_SHAPE(100, 1), TG_FLOAT32);
  tg_scope_begin();
  tg_tensor *y =
      tg_keep(tg_add(tg_add_scalar(tg_mul_scalar(x, 3), 2), tg_mul_scalar(noise, 0.1)));
  tg_scope_end();
  tg_tensor *w = tg_requires_grad_(tg_randn(TG_SHAPE(1), TG_FLOAT32), true);
  tg_tensor *b = tg_requires_grad_(tg_zeros(TG_SHAPE(1), TG_FLOAT32), true);

  const double lr = 0.5;
  double loss_value = 0;
  for (int step = 0; step < 200; step++) {
    tg_scope_begin(); /* every temporary of this step dies at its end */
    tg_tensor *err = tg_sub(tg_add(tg_mul(x, w), b), y);
    tg_tensor *loss = tg_mean(tg_mul(err, err), TG_ALL_DIMS, false);
    tg_backward(loss, NULL, 0);
    tg_no_grad_begin();
    tg_add_(w, tg_grad(w), -lr);
    tg_add_(b, tg_grad(b), -lr);
    tg_no_grad_end();
    tg_zero_grad(w, false);
    tg_zero_grad(b, false);
    loss_value = tg_item(loss);
    tg_scope_end();
  }
  printf("learned w = %.3f, b = %.3f (true 3, 2), final mse = %.5f\n", tg_item(w),
         tg_item(b), loss_value);
  tg_release(x);
  tg_release(noise);
  tg_release(y);
  tg_release(w);
  tg_release(b);
  return 0;
}
