/* libFuzzer target for the optimizers' state loading: arbitrary bytes as a
 * safetensors file of state-dict entries, loaded into each optimizer (SGD
 * with Nesterov momentum, RMSprop centered with momentum, Adagrad, Adam
 * with amsgrad, AdamW, NAdam, RAdam) over a float32 and a float64
 * parameter, then one step when the load succeeds: whatever a file holds,
 * a load returns -1 with a message or leaves state a step can use. A
 * tensorgrad error (abort), a crash, a leak or UB is a finding.
 * Seeds: corpus_optimizer/ (each optimizer's state after two steps). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad.h"
#include "tests/fuzz/fuzz_input_file.h"

enum { N_OPTIMIZERS = 7 };
static tg_tensor *params[2];
static tg_optimizer *optimizers[N_OPTIMIZERS];

static void set_up(void) {
  params[0] = tg_requires_grad_(tg_ones(TG_SHAPE(2, 3), TG_FLOAT32), true);
  params[1] = tg_requires_grad_(tg_ones(TG_SHAPE(3), TG_FLOAT64), true);
  tg_params p = {params, 2};
  tg_sgd_options sgd = TG_SGD_DEFAULTS;
  sgd.lr = 0.1, sgd.momentum = 0.9, sgd.nesterov = true;
  tg_rmsprop_options rms = TG_RMSPROP_DEFAULTS;
  rms.centered = true, rms.momentum = 0.5;
  tg_adam_options ams = TG_ADAM_DEFAULTS;
  ams.amsgrad = true;
  optimizers[0] = tg_sgd(p, sgd);
  optimizers[1] = tg_rmsprop(p, rms);
  optimizers[2] = tg_adagrad(p, TG_ADAGRAD_DEFAULTS);
  optimizers[3] = tg_adam(p, ams);
  optimizers[4] = tg_adamw(p, TG_ADAMW_DEFAULTS);
  optimizers[5] = tg_nadam(p, TG_NADAM_DEFAULTS);
  optimizers[6] = tg_radam(p, TG_RADAM_DEFAULTS);
  for (int i = 0; i < 2; i++) {
    params[i]->grad = tg_full_like(params[i], 0.25);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!params[0]) set_up();
  const char *path = fuzz_input_file(data, size, ".safetensors");
  tg_tensor_dict *state = NULL;
  if (tg_load_tensors(path, &state) != 0) {
    if (!strstr(tg_last_error(), path)) abort(); /* a refusal names the file */
    return 0;
  }
  for (int i = 0; i < N_OPTIMIZERS; i++) {
    if (tg_optimizer_load_state_dict(optimizers[i], state) == 0)
      tg_optimizer_step(optimizers[i]);
    else if (strncmp(tg_last_error(), "tg_optimizer_load_state_dict: ", 30) != 0)
      abort();
  }
  tg_tensor_dict_free(state);
  return 0;
}
