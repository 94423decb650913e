/* libFuzzer target for the checkpoint loader: arbitrary bytes as the file
 * tg_checkpoint_load restores a model (Linear + BatchNorm1d) and Adam
 * from, then tg_load_tensors. A loader must return -1 with a message for
 * anything it cannot use: a tensorgrad error (abort), a crash, a leak or
 * UB is a finding. Seeds: corpus_checkpoint/ (a valid checkpoint and the
 * hostile ones of tests/hostile/). */
#include "tensorgrad.h"
#include "fuzz_input_file.h"

static tg_module *model;
static tg_optimizer *optimizer;

static void set_up(void) {
  model = tg_nn_sequential(tg_nn_linear(2, 2, true),
                           tg_nn_batch_norm1d(2, 1e-5, 0.1, true, true), NULL);
  optimizer = tg_adam(tg_module_parameters(model), TG_ADAM_DEFAULTS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!model) set_up();
  const char *path = fuzz_input_file(data, size, ".safetensors");
  int64_t epoch;
  tg_tensor_dict *extra = NULL, *all = NULL;
  if (tg_checkpoint_load(path, model, optimizer, &epoch, &extra) == 0)
    tg_tensor_dict_free(extra);
  if (tg_load_tensors(path, &all) == 0) tg_tensor_dict_free(all);
  return 0;
}
