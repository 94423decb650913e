/* Workloads 8 and 9: one training step of a sequence model, the makemore
 * shapes (batch 32 of 23 characters, a 27-letter vocabulary):
 *   lstm_step        Embedding(27, 16) -> LSTM(16, 64, batch_first) ->
 *                    Linear(64, 27), cross-entropy, Adam
 *   transformer_step one TransformerEncoderLayer(64, 4 heads, ff 256,
 *                    GELU, pre-norm, batch_first) under a causal mask on
 *                    (32, 23, 64) inputs, MSE to a fixed target, Adam
 * A step is forward, backward, Adam and zero_grad. Twin: pytorch/sequence.py. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "tensorgrad.h"

enum { BATCH = 32, STEPS = 23, VOCAB = 27 };

typedef struct step_ctx {
  tg_module *modules[3]; /* the LSTM model's embedding, lstm, head; or the layer */
  int n_modules;
  tg_optimizer *opt;
  tg_tensor *x, *target, *mask;
} step_ctx;

/* Adam over the parameters of the modules, in order. */
static tg_optimizer *adam_over(tg_module *const *modules, int n) {
  tg_optimizer *opt = tg_adam(tg_module_parameters(modules[0]), TG_ADAM_DEFAULTS);
  for (int m = 1; m < n; m++)
    tg_adam_add_param_group(opt, tg_module_parameters(modules[m]), TG_ADAM_DEFAULTS);
  return opt;
}

static void lstm_step(void *p) {
  step_ctx *c = p;
  tg_scope_begin();
  tg_tensor *h = tg_module_forward(c->modules[0], c->x);
  tg_tensor *logits =
      tg_module_forward(c->modules[2], tg_module_forward(c->modules[1], h));
  tg_tensor *loss = tg_cross_entropy_loss(tg_reshape(logits, TG_SHAPE(-1, VOCAB)),
                                          tg_reshape(c->target, TG_SHAPE(-1)), NULL);
  tg_backward(loss, NULL, 0);
  tg_optimizer_step(c->opt);
  tg_optimizer_zero_grad(c->opt, true);
  tg_scope_end();
}

static void transformer_step(void *p) {
  step_ctx *c = p;
  tg_scope_begin();
  tg_tensor *y = tg_transformer_encoder_layer_forward(c->modules[0], c->x, c->mask, NULL);
  tg_backward(tg_mse_loss(y, c->target, NULL), NULL, 0);
  tg_optimizer_step(c->opt);
  tg_optimizer_zero_grad(c->opt, true);
  tg_scope_end();
}

static void bench_lstm(bench_args a) {
  tg_manual_seed(0);
  step_ctx c = {.n_modules = 3};
  c.modules[0] = tg_nn_embedding(VOCAB, 16, TG_NO_PADDING_IDX);
  c.modules[1] = tg_nn_lstm(16, 64, &(tg_rnn_opts){.batch_first = true});
  c.modules[2] = tg_nn_linear(64, VOCAB, true);
  c.opt = adam_over(c.modules, 3);
  c.x = tg_randint(0, VOCAB, TG_SHAPE(BATCH, STEPS));
  c.target = tg_randint(0, VOCAB, TG_SHAPE(BATCH, STEPS));
  bench_report("lstm_step", a.threads, bench_time(lstm_step, &c, a.reps), 0);
  tg_optimizer_free(c.opt);
  for (int m = 0; m < 3; m++) tg_module_free(c.modules[m]);
  tg_release(c.x);
  tg_release(c.target);
}

static void bench_transformer(bench_args a) {
  tg_manual_seed(0);
  step_ctx c = {.n_modules = 1};
  c.modules[0] = tg_nn_transformer_encoder_layer(64, 4, 256, 0.0, "gelu", true, true);
  c.opt = adam_over(c.modules, 1);
  c.x = tg_randn(TG_SHAPE(BATCH, STEPS, 64), TG_FLOAT32);
  c.target = tg_randn(TG_SHAPE(BATCH, STEPS, 64), TG_FLOAT32);
  c.mask = tg_zeros(TG_SHAPE(STEPS, STEPS), TG_FLOAT32);
  for (int64_t i = 0; i < STEPS; i++)
    for (int64_t j = i + 1; j < STEPS; j++) tg_set(c.mask, (int64_t[]){i, j}, -INFINITY);
  bench_report("transformer_step", a.threads, bench_time(transformer_step, &c, a.reps),
               0);
  tg_optimizer_free(c.opt);
  tg_module_free(c.modules[0]);
  tg_release(c.x);
  tg_release(c.target);
  tg_release(c.mask);
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  bench_lstm(a);
  bench_transformer(a);
  return 0;
}
