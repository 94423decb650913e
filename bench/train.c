/* The lecture's training loop for the epoch benchmarks: see train.h. */
#include "train.h"

#include <stdlib.h>

#include "bench.h"

static tg_tensor *to_float_rows(tg_tensor *y) {
  return tg_reshape(tg_to(y, TG_FLOAT32), TG_SHAPE(-1, 1));
}

void task_data(task *t, tg_tensor *X, tg_tensor *y, int64_t batch_size, bool validate) {
  tg_split_options split = tg_split_defaults();
  split.test_size = 0.2;
  split.random_state = 13;
  tg_tensor *X_train, *X_val, *y_train, *y_val;
  bench_check(
      tg_train_test_split_tensors(X, y, &split, &X_train, &X_val, &y_train, &y_val),
      "train_test_split");
  tg_scope_begin();
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_standard_scaler_fit(sc, X_train); /* only from training data */
  tg_tensor *xt = tg_to(tg_standard_scaler_transform(sc, X_train), TG_FLOAT32);
  tg_tensor *xv = tg_to(tg_standard_scaler_transform(sc, X_val), TG_FLOAT32);
  bool bce = t->loss == TASK_BCE;
  tg_tensor *yt = bce ? to_float_rows(y_train) : y_train;
  tg_tensor *yv = bce ? to_float_rows(y_val) : y_val;
  t->train_set = tg_tensor_dataset_new(xt, yt);
  t->val_set = tg_tensor_dataset_new(xv, yv);
  tg_standard_scaler_free(sc);
  tg_scope_end();
  t->train = tg_dataloader_new(t->train_set, batch_size, true, false);
  t->val = validate ? tg_dataloader_new(t->val_set, batch_size, false, false) : NULL;
  tg_release(X);
  tg_release(y);
  tg_release(X_train);
  tg_release(X_val);
  tg_release(y_train);
  tg_release(y_val);
}

tg_module *task_mlp(const int64_t *sizes, int n_sizes, bool relu, bool sigmoid) {
  tg_module *seq = tg_nn_sequential(NULL);
  for (int i = 0; i + 1 < n_sizes; i++) {
    tg_nn_sequential_append(seq, tg_nn_linear(sizes[i], sizes[i + 1], true));
    if (relu && i + 2 < n_sizes) tg_nn_sequential_append(seq, tg_nn_relu());
  }
  if (sigmoid) tg_nn_sequential_append(seq, tg_nn_sigmoid());
  return seq;
}

static tg_tensor *loss_of(const task *t, tg_tensor *y_hat, tg_tensor *y) {
  return t->loss == TASK_BCE ? tg_bce_loss(y_hat, y, NULL)
                             : tg_cross_entropy_loss(y_hat, y, NULL);
}

void task_epoch(void *arg) {
  task *t = arg;
  double total = 0;
  tg_tensor *X, *Y;
  tg_loader_iter it = tg_loader_begin(t->train);
  while (tg_loader_next(&it, &X, &Y)) {
    tg_scope_begin();
    tg_module_train(t->model, true);
    tg_tensor *loss = loss_of(t, tg_module_forward(t->model, X), Y);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(t->opt);
    tg_optimizer_zero_grad(t->opt, false);
    total += tg_item(loss);
    tg_scope_end();
  }
  if (!t->val) return;
  tg_module_eval(t->model);
  tg_no_grad_begin();
  it = tg_loader_begin(t->val);
  while (tg_loader_next(&it, &X, &Y)) {
    tg_scope_begin();
    total += tg_item(loss_of(t, tg_module_forward(t->model, X), Y));
    tg_scope_end();
  }
  tg_no_grad_end();
  if (total != total) bench_check(-1, "training (the loss is NaN)");
}

void task_free(task *t) {
  tg_optimizer_free(t->opt);
  tg_module_free(t->model);
  tg_dataloader_free(t->train);
  tg_dataloader_free(t->val);
  tg_dataset_release(t->train_set);
  tg_dataset_release(t->val_set);
}

batch_step batch_step_mlp(const int64_t *sizes, int n_sizes, int64_t batch) {
  tg_manual_seed(0);
  batch_step s;
  s.model = task_mlp(sizes, n_sizes, true, false);
  s.opt = tg_adam(tg_module_parameters(s.model), TG_ADAM_DEFAULTS);
  s.x = tg_randn(TG_SHAPE(batch, sizes[0]), TG_FLOAT32);
  s.y = tg_randint(0, sizes[n_sizes - 1], TG_SHAPE(batch));
  return s;
}

void batch_step_free(batch_step *s) {
  tg_release(s->x);
  tg_release(s->y);
  tg_optimizer_free(s->opt);
  tg_module_free(s->model);
}

void batch_steps(batch_step *s, int n) {
  for (int k = 0; k < n; k++) {
    tg_scope_begin();
    tg_tensor *loss =
        tg_cross_entropy_loss(tg_module_forward(s->model, s->x), s->y, NULL);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(s->opt);
    tg_optimizer_zero_grad(s->opt, false);
    if (tg_item(loss) != tg_item(loss)) bench_check(-1, "training (the loss is NaN)");
    tg_scope_end();
  }
}
