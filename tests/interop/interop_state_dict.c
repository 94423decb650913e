/* The C side of tests/interop/interop_state_dict.py:
 *   save PATH  seeds 0, builds Sequential(Linear(2,3), ReLU, Linear(3,1)) and
 *              saves its state_dict (PyTorch's init gives the same weights);
 *   load PATH  loads a state_dict PyTorch wrote into the same model.
 * Both then print the model's output on a fixed input, one value a line. */
#include <stdio.h>
#include <string.h>

#include "tensorgrad.h"

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "save") != 0 && strcmp(argv[1], "load") != 0)) {
    fprintf(stderr, "usage: %s save|load PATH\n", argv[0]);
    return 2;
  }
  tg_manual_seed(0);
  /* one statement per layer: C leaves the order of evaluating a call's
   * arguments open, and initialisation must draw in PyTorch's order */
  tg_module *first = tg_nn_linear(2, 3, true);
  tg_module *second = tg_nn_linear(3, 1, true);
  tg_module *model = tg_nn_sequential(first, tg_nn_relu(), second, NULL);
  int status = strcmp(argv[1], "save") == 0
                   ? tg_save_state_dict(argv[2], model)
                   : tg_load_state_dict_file(argv[2], model, true);
  if (status != 0) {
    fprintf(stderr, "%s\n", tg_last_error());
    tg_module_free(model);
    return 1;
  }
  float input[8] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f, 0.0f, 0.0f};
  tg_scope_begin();
  tg_tensor *y =
      tg_module_forward(model, tg_from_data(input, TG_SHAPE(4, 2), TG_FLOAT32));
  for (int64_t i = 0; i < tg_numel(y); i++) printf("%.9g\n", tg_get_flat(y, i));
  tg_scope_end();
  tg_module_free(model);
  return 0;
}
