/* The C side of the checkpoint round trip in tests/interop/real_readers.py:
 *
 *   interop_checkpoint IN OUT STEPS
 *
 * Seeds 0 and builds Sequential(Linear(2,3), Tanh, Linear(3,1)) with Adam
 * (lr 0.01) as torch does; loads the checkpoint IN unless it is "-"; takes
 * STEPS full-batch steps of MSE on a fixed data set; saves the checkpoint
 * OUT with epoch = the epoch read + STEPS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad.h"

static void check(int status, const char *what) {
  if (status != 0) {
    fprintf(stderr, "interop_checkpoint: %s: %s\n", what, tg_last_error());
    exit(1);
  }
}

static tg_optimizer *adam_for(tg_module *model) {
  tg_adam_options options = TG_ADAM_DEFAULTS;
  options.lr = 0.01;
  return tg_adam(tg_module_parameters(model), options);
}

/* x[i] = (i / 4 - 1, (i * 3 % 8) / 4 - 1), y[i] = sin-free target x0 - 2 x1 */
static void data(float *x, float *y) {
  for (int i = 0; i < 8; i++) {
    x[2 * i] = i / 4.0f - 1.0f;
    x[2 * i + 1] = (float)(i * 3 % 8) / 4.0f - 1.0f;
    y[i] = x[2 * i] - 2.0f * x[2 * i + 1];
  }
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: interop_checkpoint IN|- OUT STEPS\n");
    return 2;
  }
  tg_manual_seed(0);
  tg_module *first = tg_nn_linear(2, 3, true); /* one statement per layer: init order */
  tg_module *second = tg_nn_linear(3, 1, true);
  tg_module *model = tg_nn_sequential(first, tg_nn_tanh(), second, NULL);
  tg_optimizer *opt = adam_for(model);
  int64_t epoch = 0;
  if (strcmp(argv[1], "-") != 0)
    check(tg_checkpoint_load(argv[1], model, opt, &epoch, NULL), "load");
  float x[16], y[8];
  data(x, y);
  int steps = atoi(argv[3]);
  for (int s = 0; s < steps; s++) {
    tg_scope_begin();
    tg_tensor *out =
        tg_module_forward(model, tg_from_data(x, TG_SHAPE(8, 2), TG_FLOAT32));
    tg_tensor *loss =
        tg_mse_loss(out, tg_from_data(y, TG_SHAPE(8, 1), TG_FLOAT32), TG_MEAN);
    tg_optimizer_zero_grad(opt, true);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(opt);
    tg_scope_end();
  }
  check(tg_checkpoint_save(argv[2], model, opt, epoch + steps, NULL), "save");
  tg_optimizer_free(opt);
  tg_module_free(model);
  return 0;
}
