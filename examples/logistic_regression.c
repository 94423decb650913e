/* Logistic regression on make_moons, the lecture's "second simplest neural
 * network": yhat = sigmoid(W x + b), trained by plain full-batch gradient
 * descent written out as the slide writes it,
 *
 *     W_new = W_old - alpha * dW,
 *
 * with no optimizer object. The program
 *   1. checks at one step that autograd's dW is the slide's closed form
 *      dW = (1/N) sum_i (yhat_i - y_i) x_i   (and db = (1/N) sum_i (yhat_i - y_i));
 *   2. shows why MSE is a poor loss for it: the same model, from the same
 *      start, trained with BCELoss and with MSELoss; and again from a bad
 *      start (the weights pointing the wrong way), where the sigmoid
 *      saturates and MSE's gradient vanishes while BCE's does not;
 *   3. plots the loss curves, the validation accuracy and both losses along
 *      one weight (MSE's is flat far out: not convex) to DIR/losses.png,
 *      and logs the curves to TensorBoard in DIR/tb.
 *
 * --epochs sets the gradient steps (default 150), --seed the initial
 * weights (the data are the lecture's fixed random_state=0 / 13).
 *
 * PyTorch twin: examples/pytorch/logistic_regression.py.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "example.h"
#include "tensorgrad.h"

#define ALPHA 0.1 /* the learning rate alpha */
#define N_RUNS 4
#define N_LANDSCAPE 121

typedef struct data {
  tg_tensor *X_train, *y_train, *X_val, *y_val; /* float32; y (N, 1) */
} data;

/* The lecture's data pipeline: make_moons, train_test_split, StandardScaler
 * fitted on the training rows only. */
static void load_data(data *d) {
  tg_bunch moons = {0}, train = {0}, val = {0};
  /* X, y = make_moons(n_samples=10000, noise=0.3, random_state=0) */
  example_check(tg_make_moons(&moons, 10000, true, 0.3, 0), "make_moons");
  /* X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=.2,
   * random_state=13) */
  tg_split_options split = tg_split_defaults();
  split.test_size = 0.2;
  split.random_state = 13;
  int64_t *train_rows, *val_rows, n_train, n_val;
  example_check(tg_train_test_split(moons.n_samples, &split, &train_rows, &n_train,
                                    &val_rows, &n_val),
                "train_test_split");
  example_check(tg_bunch_take(&moons, train_rows, n_train, &train), "take train rows");
  example_check(tg_bunch_take(&moons, val_rows, n_val, &val), "take validation rows");
  free(train_rows);
  free(val_rows);

  tg_scope_begin();
  tg_tensor *X_train, *y_train, *X_val, *y_val;
  tg_bunch_tensors(&train, &X_train, &y_train);
  tg_bunch_tensors(&val, &X_val, &y_val);
  /* sc = StandardScaler(); sc.fit(X_train); X_train = sc.transform(X_train) ... */
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_standard_scaler_fit(sc, X_train);
  /* torch.as_tensor(X_train).float(), torch.as_tensor(y_train.reshape(-1, 1)).float() */
  d->X_train = tg_keep(tg_to(tg_standard_scaler_transform(sc, X_train), TG_FLOAT32));
  d->X_val = tg_keep(tg_to(tg_standard_scaler_transform(sc, X_val), TG_FLOAT32));
  d->y_train = tg_keep(tg_reshape(tg_to(y_train, TG_FLOAT32), TG_SHAPE(-1, 1)));
  d->y_val = tg_keep(tg_reshape(tg_to(y_val, TG_FLOAT32), TG_SHAPE(-1, 1)));
  tg_standard_scaler_free(sc);
  tg_scope_end();
  tg_bunch_free(&moons);
  tg_bunch_free(&train);
  tg_bunch_free(&val);
}

static void free_data(data *d) {
  tg_release(d->X_train);
  tg_release(d->y_train);
  tg_release(d->X_val);
  tg_release(d->y_val);
}

/* model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()); one statement per
 * layer, since C leaves the order of argument evaluation unspecified and
 * the weights must be drawn in PyTorch's order. */
static tg_module *logistic_regression(void) {
  tg_module *linear = tg_nn_linear(2, 1, true);
  tg_module *sigmoid = tg_nn_sigmoid();
  return tg_nn_sequential(linear, sigmoid, NULL);
}

static tg_tensor *loss_of(bool mse, tg_tensor *yhat, tg_tensor *y) {
  return mse ? tg_mse_loss(yhat, y, NULL) : tg_bce_loss(yhat, y, NULL);
}

static double accuracy(tg_module *model, tg_tensor *X, tg_tensor *y) {
  tg_scope_begin();
  tg_no_grad_begin();
  tg_tensor *predicted =
      tg_to(tg_gt_scalar(tg_module_forward(model, X), 0.5), TG_FLOAT32);
  double acc =
      tg_item(tg_mean(tg_to(tg_eq(predicted, y), TG_FLOAT64), TG_ALL_DIMS, false));
  tg_no_grad_end();
  tg_scope_end();
  return acc;
}

/* ---- 1: autograd's dW against the slide's formula ----------------------------- */

static double check_gradient(tg_module *model, const data *d) {
  tg_scope_begin();
  tg_tensor *W = tg_module_parameter(model, "0.weight"),
            *b = tg_module_parameter(model, "0.bias");
  tg_tensor *yhat = tg_module_forward(model, d->X_train);
  tg_backward(tg_bce_loss(yhat, d->y_train, NULL), NULL, 0);

  /* dW = (1/N) sum_i (yhat_i - y_i) x_i = (yhat - y)^T X / N;  db = mean(yhat - y) */
  double n = (double)tg_size(d->X_train, 0);
  tg_tensor *err = tg_sub(tg_detach(yhat), d->y_train);
  tg_tensor *dW = tg_div_scalar(tg_matmul(tg_t(err), d->X_train), n);
  tg_tensor *db = tg_mean(err, TG_DIMS(0), false);
  printf("one step of BCE on the %lld training rows, at the initial weights:\n",
         (long long)n);
  printf("autograd W.grad:\n");
  tg_print(tg_grad(W));
  printf("closed form (1/N) sum (yhat - y) x:\n");
  tg_print(dW);
  printf("autograd b.grad:\n");
  tg_print(tg_grad(b));
  printf("closed form (1/N) sum (yhat - y):\n");
  tg_print(db);
  double diff = fmax(tg_item(tg_max_all(tg_abs(tg_sub(tg_grad(W), dW)))),
                     tg_item(tg_max_all(tg_abs(tg_sub(tg_grad(b), db)))));
  printf("max |autograd - closed form| = %.3g\n\n", diff);
  tg_module_zero_grad(model, true);
  tg_scope_end();
  return diff;
}

/* ---- 2: training, BCE against MSE ------------------------------------------------ */

typedef struct run {
  const char *label;
  bool mse;
  tg_module *model;
  double *loss, *val_acc; /* per epoch */
} run;

/* W_new = W_old - alpha * dW for every parameter, by hand. */
static double gradient_step(run *r, const data *d) {
  tg_scope_begin();
  tg_tensor *loss = loss_of(r->mse, tg_module_forward(r->model, d->X_train), d->y_train);
  tg_backward(loss, NULL, 0);
  tg_params params = tg_module_parameters(r->model);
  tg_no_grad_begin(); /* with torch.no_grad(): p -= alpha * p.grad */
  for (int i = 0; i < params.n; i++)
    tg_add_(params.items[i], tg_grad(params.items[i]), -ALPHA);
  tg_no_grad_end();
  tg_module_zero_grad(r->model, true);
  double value = tg_item(loss);
  tg_scope_end();
  return value;
}

static void log_epoch(tg_summary_writer *tb, const run *runs, int epoch) {
  const char *names[N_RUNS];
  double losses[N_RUNS], accs[N_RUNS];
  for (int i = 0; i < N_RUNS; i++) {
    names[i] = runs[i].label;
    losses[i] = runs[i].loss[epoch];
    accs[i] = runs[i].val_acc[epoch];
  }
  example_check(tg_summary_writer_add_scalars(tb, "loss", names, losses, N_RUNS, epoch),
                "tensorboard");
  example_check(tg_summary_writer_add_scalars(tb, "val_acc", names, accs, N_RUNS, epoch),
                "tensorboard");
}

static void train(run *runs, const data *d, int epochs, tg_summary_writer *tb) {
  printf("%5s  %-32s%s\n", "", "loss (own objective)", "validation accuracy");
  printf("%5s ", "epoch");
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < N_RUNS; i++) printf(" %7s", runs[i].label);
  printf("\n");
  for (int epoch = 0; epoch < epochs; epoch++) {
    for (int i = 0; i < N_RUNS; i++) {
      runs[i].loss[epoch] = gradient_step(&runs[i], d);
      runs[i].val_acc[epoch] = accuracy(runs[i].model, d->X_val, d->y_val);
    }
    log_epoch(tb, runs, epoch);
    if (epoch % 15 == 0 || epoch == epochs - 1) {
      printf("%5d ", epoch);
      for (int i = 0; i < N_RUNS; i++) printf(" %7.4f", runs[i].loss[epoch]);
      for (int i = 0; i < N_RUNS; i++) printf(" %7.4f", runs[i].val_acc[epoch]);
      printf("\n");
    }
  }
  printf("\n");
}

/* ---- 3: plots -------------------------------------------------------------------- */

/* Both losses with W[0][which] swept over w[] and the rest as in `model`. */
static void landscape(tg_module *model, const data *d, int which, const double *w,
                      double *mse, double *bce) {
  tg_tensor *W = tg_module_parameter(model, "0.weight");
  double kept = tg_get_flat(W, which);
  int64_t index[2] = {0, which};
  tg_no_grad_begin();
  for (int i = 0; i < N_LANDSCAPE; i++) {
    tg_scope_begin();
    tg_set(W, index, w[i]);
    tg_tensor *yhat = tg_module_forward(model, d->X_train);
    mse[i] = tg_item(loss_of(true, yhat, d->y_train));
    bce[i] = tg_item(loss_of(false, yhat, d->y_train));
    tg_scope_end();
  }
  tg_set(W, index, kept);
  tg_no_grad_end();
}

static void plot(const run *runs, int epochs, const data *d, const example_args *args) {
  tg_figure *fig = tg_figure_new(1100, 860, 2, 2);
  if (!fig) example_check(-1, "tg_figure_new");
  tg_figure_set_title(fig, "Logistic regression on make_moons: BCE vs MSE");
  const tg_color colors[N_RUNS] = {TG_BLUE, TG_ORANGE, TG_BLUE, TG_ORANGE};
  tg_axes *loss_ax = tg_figure_axes(fig, 0), *acc_ax = tg_figure_axes(fig, 1);
  for (int i = 0; i < N_RUNS && epochs > 0; i++) { /* --epochs 0: landscape only */
    tg_style style = {.label = runs[i].label, .color = colors[i], .dashed = i >= 2};
    tg_axes_plot(loss_ax, NULL, runs[i].loss, epochs, &style);
    style.label = NULL; /* one legend is enough: it would cover the rising curves */
    tg_axes_plot(acc_ax, NULL, runs[i].val_acc, epochs, &style);
  }
  tg_axes_set_title(loss_ax, "Training loss (each its own objective)");
  tg_axes_set_xlabel(loss_ax, "epoch");
  tg_axes_set_ylabel(loss_ax, "loss");
  tg_axes_set_title(acc_ax, "Validation accuracy (colours as on the left)");
  tg_axes_set_xlabel(acc_ax, "epoch");
  tg_axes_set_ylabel(acc_ax, "accuracy");
  tg_axes_set_ylim(acc_ax, 0, 1);

  /* along the second weight, the others at the BCE model's trained values */
  double w[N_LANDSCAPE], mse[N_LANDSCAPE], bce[N_LANDSCAPE];
  for (int i = 0; i < N_LANDSCAPE; i++) w[i] = -12 + 24.0 * i / (N_LANDSCAPE - 1);
  landscape(runs[0].model, d, 1, w, mse, bce);
  tg_axes *mse_ax = tg_figure_axes(fig, 2), *bce_ax = tg_figure_axes(fig, 3);
  tg_axes_plot(mse_ax, w, mse, N_LANDSCAPE, &(tg_style){.color = TG_ORANGE});
  tg_axes_set_title(mse_ax, "MSE along w2: flat far out, not convex");
  tg_axes_plot(bce_ax, w, bce, N_LANDSCAPE, &(tg_style){.color = TG_BLUE});
  tg_axes_set_title(bce_ax, "BCE along w2: convex");
  for (int k = 2; k < 4; k++) {
    tg_axes *ax = tg_figure_axes(fig, k);
    tg_axes_set_xlabel(ax, "w2, with w1 and b as the BCE model learned them");
    tg_axes_set_ylabel(ax, "loss");
    tg_axes_set_grid(ax, true);
  }
  tg_axes_set_grid(loss_ax, true);
  tg_axes_set_grid(acc_ax, true);
  char path[600];
  example_check(tg_figure_save(fig, example_path(args, "losses.png", path, sizeof path)),
                "saving losses.png");
  printf("wrote %s\n", path);
  /* the same figure as vectors, for a paper: the extension picks SVG */
  example_check(tg_figure_save(fig, example_path(args, "losses.svg", path, sizeof path)),
                "saving losses.svg");
  printf("wrote %s\n", path);
  tg_figure_free(fig);
}

int main(int argc, char **argv) {
  example_args args;
  example_parse(argc, argv, "logistic_regression", 150, &args);
  data d;
  load_data(&d);

  /* torch.manual_seed(seed); the same start for both losses */
  run runs[N_RUNS] = {{.label = "BCE", .mse = false},
                      {.label = "MSE", .mse = true},
                      {.label = "BCE-bad", .mse = false},
                      {.label = "MSE-bad", .mse = true}};
  for (int i = 0; i < N_RUNS; i++) {
    runs[i].model = logistic_regression();
    runs[i].loss = calloc((size_t)args.epochs + 1, sizeof(double));
    runs[i].val_acc = calloc((size_t)args.epochs + 1, sizeof(double));
    if (!runs[i].loss || !runs[i].val_acc) example_check(-1, "out of memory");
  }
  /* model_mse.load_state_dict(model_bce.state_dict()) */
  tg_tensor_dict *start = tg_state_dict(runs[0].model);
  example_check(tg_load_state_dict(runs[1].model, start, true), "load_state_dict");
  tg_tensor_dict_free(start);
  /* the bad start: W = [[-2, 4]], b = 0, pointing away from the answer */
  for (int i = 2; i < N_RUNS; i++) {
    tg_no_grad_begin();
    tg_tensor *W = tg_module_parameter(runs[i].model, "0.weight");
    tg_set(W, (int64_t[]){0, 0}, -2);
    tg_set(W, (int64_t[]){0, 1}, 4);
    tg_zero_(tg_module_parameter(runs[i].model, "0.bias"));
    tg_no_grad_end();
  }

  double dW_diff = check_gradient(runs[0].model, &d);
  char tb_dir[600];
  tg_summary_writer *tb =
      tg_summary_writer_open(example_path(&args, "tb", tb_dir, sizeof tb_dir));
  if (!tb) example_check(-1, "opening the TensorBoard writer");
  train(runs, &d, args.epochs, tb);
  example_check(tg_summary_writer_close(tb), "closing the TensorBoard writer");
  plot(runs, args.epochs, &d, &args);

  double final_acc[N_RUNS];
  for (int i = 0; i < N_RUNS; i++)
    final_acc[i] = accuracy(runs[i].model, d.X_val, d.y_val);
  printf(
      "logistic_regression: bce_val_acc=%.4f mse_val_acc=%.4f bad_start_bce_val_acc=%.4f "
      "bad_start_mse_val_acc=%.4f dW_max_diff=%.3g epochs=%d seconds=%.2f\n",
      final_acc[0], final_acc[1], final_acc[2], final_acc[3], dW_diff, args.epochs,
      example_seconds(&args));
  for (int i = 0; i < N_RUNS; i++) {
    tg_module_free(runs[i].model);
    free(runs[i].loss);
    free(runs[i].val_acc);
  }
  free_data(&d);
  return 0;
}
