/* Home Task 3 (lecture 6): a multiclass model for sklearn's digits.
 *
 * load_digits (1797 8x8 images, 64 pixel features) -> train_test_split ->
 * StandardScaler fitted on the training rows -> an MLP (64 -> 128 -> 64 -> 10)
 * trained once with SGD and once with Adam from the same seed (the task's
 * "comparison (Loss vs Iteration)"), the 10-class confusion matrix, and then
 * the same digits as 1x8x8 images through a small CNN (conv, batch norm,
 * max pooling). Writes
 *   DIR/digits_sgd_vs_adam.png   MLP loss per iteration, SGD vs Adam
 *   DIR/digits_confusion.png     test confusion matrices, MLP (Adam) and CNN
 *   DIR/digits_grid.png          test digits with predicted / true labels
 *   DIR/mlp_sgd, DIR/mlp_adam, DIR/cnn   TensorBoard scalars per epoch
 * The PyTorch twin is examples/pytorch/digits.py. */
#include <stdio.h>
#include <stdlib.h>

#include "example.h"
#include "tensorgrad.h"
#include "tensorgrad/progress.h"

enum { N_CLASSES = 10, SIDE = 8, BATCH_SIZE = 32, PRINT_EVERY = 5 };
enum { GRID_FIRST = 24, GRID_MISTAKES = 8, GRID_COLS = 8 };

/* ---- the models -----------------------------------------------------------------------
 * * One layer per statement: C leaves the evaluation order of function arguments (and of
 * initializer lists) open, and the layers must draw their initial weights in PyTorch's
 * order. */

static tg_module *mlp(void) {
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_linear(64, 128, true)); /* nn.Linear(64, 128) */
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_linear(128, 64, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_linear(64, N_CLASSES, true));
  return m;
}

/* 1x8x8 -> conv 16 -> pool -> 16x4x4 -> conv 32 -> pool -> 32x2x2 -> 10 logits */
static tg_module *cnn(void) {
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(
      m, tg_nn_conv2d(1, 16, 3, 1, 1, true)); /* nn.Conv2d(1, 16, 3, padding=1) */
  tg_nn_sequential_append(m, tg_nn_batch_norm2d(16, 1e-5, 0.1, true, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}));
  tg_nn_sequential_append(m, tg_nn_conv2d(16, 32, 3, 1, 1, true));
  tg_nn_sequential_append(m, tg_nn_batch_norm2d(32, 1e-5, 0.1, true, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}));
  tg_nn_sequential_append(m, tg_nn_flatten(1, -1));
  tg_nn_sequential_append(m, tg_nn_linear(32 * 2 * 2, N_CLASSES, true));
  return m;
}

static tg_optimizer *sgd(tg_params params) {
  tg_sgd_options o = TG_SGD_DEFAULTS; /* optim.SGD(params, lr=0.1) */
  o.lr = 0.1;
  return tg_sgd(params, o);
}

static tg_optimizer *adam(tg_params params) {
  return tg_adam(params, TG_ADAM_DEFAULTS); /* optim.Adam(params, lr=0.001) */
}

static tg_optimizer *adam_fast(tg_params params) {
  tg_adam_options o = TG_ADAM_DEFAULTS; /* optim.Adam(params, lr=0.01) */
  o.lr = 0.01;
  return tg_adam(params, o);
}

/* ---- one training run
 * ------------------------------------------------------------------- */

typedef struct run {
  const char *name, *key; /* "MLP SGD"; TensorBoard directory */
  tg_module *(*make_model)(void);
  tg_optimizer *(*make_optimizer)(tg_params params);
  tg_tensor *X_train, *X_test; /* borrowed: features or images */
  double *losses;              /* one per iteration */
  int64_t n_losses;
  int64_t *y_pred; /* test predictions after the last epoch */
  double acc;
} run;

/* Mean loss of the epoch; every batch's loss appended to r->losses. */
static double train_one_epoch(run *r, tg_module *model, tg_dataloader *loader,
                              tg_optimizer *optimizer, tg_progress *bar) {
  tg_module_train(model, true);
  double sum = 0;
  int batches = 0;
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  while (tg_loader_next(&it, &X, &Y)) {
    tg_scope_begin();
    tg_tensor *loss = tg_cross_entropy_loss(tg_module_forward(model, X), Y, NULL);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(optimizer);
    tg_optimizer_zero_grad(optimizer, false);
    double value = tg_item(loss);
    r->losses[r->n_losses++] = value;
    sum += value;
    batches++;
    tg_progress_set_postfix(bar, "loss=%.4f", value);
    tg_progress_update(bar, 1);
    tg_scope_end();
  }
  return sum / batches;
}

/* y_pred = model(X_test).argmax(dim=1), in eval mode without grad */
static double evaluate(run *r, tg_module *model, const int64_t *y_test) {
  tg_module_eval(model);
  tg_no_grad_begin();
  tg_scope_begin();
  tg_tensor *pred = tg_argmax(tg_module_forward(model, r->X_test), 1, false);
  int64_t n = tg_numel(pred);
  for (int64_t i = 0; i < n; i++) r->y_pred[i] = (int64_t)tg_get_flat(pred, i);
  tg_scope_end();
  tg_no_grad_end();
  double acc;
  example_check(tg_accuracy_score(y_test, r->y_pred, n, &acc), "accuracy_score");
  return acc;
}

static void train(run *r, tg_tensor *y_train, const int64_t *y_test,
                  const example_args *args) {
  tg_manual_seed(args->seed); /* every run starts from the same generator state */
  tg_dataset *ds = tg_tensor_dataset_new(r->X_train, y_train);
  tg_dataloader *train_loader = tg_dataloader_new(ds, BATCH_SIZE, true, false);
  tg_dataset_release(ds); /* the loader keeps it */
  tg_module *model = r->make_model();
  tg_optimizer *optimizer = r->make_optimizer(tg_module_parameters(model));
  char dir[600];
  tg_summary_writer *w =
      tg_summary_writer_open(example_path(args, r->key, dir, sizeof dir));
  if (!w) example_check(-1, "SummaryWriter");
  int64_t per_epoch = tg_dataloader_len(train_loader);
  r->losses = example_calloc((size_t)(per_epoch * args->epochs), sizeof(double));
  r->y_pred = example_calloc((size_t)tg_size(r->X_test, 0), sizeof(int64_t));
  tg_progress bar;
  tg_progress_begin(&bar, per_epoch * args->epochs,
                    &(tg_progress_options){.desc = r->name});
  for (int epoch = 0; epoch < args->epochs; epoch++) {
    double loss = train_one_epoch(r, model, train_loader, optimizer, &bar);
    r->acc = evaluate(r, model, y_test);
    example_check(tg_summary_writer_add_scalar(w, "Loss/train", loss, epoch),
                  "add_scalar");
    example_check(tg_summary_writer_add_scalar(w, "accuracy/test", r->acc, epoch),
                  "add_scalar");
    if ((epoch + 1) % PRINT_EVERY == 0 || epoch == 0 || epoch == args->epochs - 1)
      tg_progress_write(&bar, stdout, "%-9s epoch %3d  loss=%.4f  test_acc=%.4f\n",
                        r->name, epoch, loss, r->acc);
  }
  tg_progress_end(&bar);
  example_check(tg_summary_writer_close(w), "SummaryWriter.close");
  tg_optimizer_free(optimizer);
  tg_module_free(model);
  tg_dataloader_free(train_loader);
}

static void run_free(run *r) {
  free(r->losses);
  free(r->y_pred);
}

/* ---- reporting
 * ------------------------------------------------------------------------------ */

static tg_confusion confusion(const int64_t *y_test, const int64_t *y_pred, int64_t n) {
  static const int64_t labels[N_CLASSES] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  tg_confusion cm;
  example_check(
      tg_confusion_matrix(y_test, y_pred, n, labels, N_CLASSES, TG_NORMALIZE_NONE, &cm),
      "confusion_matrix");
  return cm;
}

/* print(confusion_matrix(...)) the way numpy prints it */
static void print_confusion(const tg_confusion *cm) {
  int64_t max = 0;
  for (int i = 0; i < N_CLASSES * N_CLASSES; i++)
    max = cm->counts[i] > max ? cm->counts[i] : max;
  int width = snprintf(NULL, 0, "%lld", (long long)max);
  for (int i = 0; i < N_CLASSES; i++) {
    printf(i ? " [" : "[[");
    for (int j = 0; j < N_CLASSES; j++)
      printf(j ? " %*lld" : "%*lld", width, (long long)cm->counts[i * N_CLASSES + j]);
    printf(i == N_CLASSES - 1 ? "]]\n" : "]\n");
  }
}

static void save(tg_figure *fig, const example_args *args, const char *file) {
  char path[600];
  example_check(tg_figure_save(fig, example_path(args, file, path, sizeof path)), file);
  tg_figure_free(fig);
}

static void plot_sgd_vs_adam(const run *runs, int n_runs, int64_t per_epoch,
                             const example_args *args) {
  tg_figure *fig = tg_figure_new(900, 480, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  for (int k = 0; k < n_runs; k++)
    tg_axes_plot(ax, NULL, runs[k].losses, (int)runs[k].n_losses,
                 &(tg_style){.color = example_faded(tg_color_cycle(k)), .line_width = 1});
  for (int k = 0; k < n_runs; k++) {
    double *smooth = example_calloc((size_t)runs[k].n_losses, sizeof *smooth);
    example_centered_mean(runs[k].losses, runs[k].n_losses, per_epoch / 2, smooth);
    tg_axes_plot(ax, NULL, smooth, (int)runs[k].n_losses,
                 &(tg_style){.label = runs[k].name, .color = tg_color_cycle(k)});
    free(smooth);
  }
  tg_axes_set_title(ax, "Digits MLP, SGD lr=0.1 vs Adam lr=0.001 (bold: one-epoch mean)");
  tg_axes_set_xlabel(ax, "iteration");
  tg_axes_set_ylabel(ax, "cross-entropy loss");
  tg_axes_set_grid(ax, true);
  save(fig, args, "digits_sgd_vs_adam.png");
}

static void plot_confusions(const run *const *runs, int n_runs, const int64_t *y_test,
                            int64_t n, const example_args *args) {
  tg_figure *fig = tg_figure_new(560 * n_runs, 580, 1, n_runs);
  for (int k = 0; k < n_runs; k++) {
    tg_confusion cm = confusion(y_test, runs[k]->y_pred, n);
    double counts[N_CLASSES * N_CLASSES];
    for (int i = 0; i < N_CLASSES * N_CLASSES; i++) counts[i] = (double)cm.counts[i];
    tg_confusion_free(&cm);
    tg_axes *ax = tg_figure_axes(fig, k);
    tg_axes_confusion_matrix(ax, counts, N_CLASSES, NULL);
    tg_axes_colorbar(ax, "count");
    char title[96];
    snprintf(title, sizeof title, "%s: test accuracy %.3f", runs[k]->name, runs[k]->acc);
    tg_axes_set_title(ax, title);
  }
  save(fig, args, "digits_confusion.png");
}

/* The first GRID_FIRST test digits, then up to GRID_MISTAKES of the later ones
 * the model got wrong. */
static void plot_grid(const run *r, tg_tensor *images, const int64_t *y_test, int64_t n,
                      const example_args *args) {
  int64_t picked[GRID_FIRST + GRID_MISTAKES];
  int count = 0;
  for (int64_t i = 0; i < n && count < GRID_FIRST; i++) picked[count++] = i;
  for (int64_t i = count; i < n && count < GRID_FIRST + GRID_MISTAKES; i++)
    if (r->y_pred[i] != y_test[i]) picked[count++] = i;
  double *pixels = example_calloc((size_t)count * SIDE * SIDE, sizeof *pixels);
  char captions[GRID_FIRST + GRID_MISTAKES][32];
  const char *caption_ptrs[GRID_FIRST + GRID_MISTAKES];
  for (int k = 0; k < count; k++) {
    for (int p = 0; p < SIDE * SIDE; p++)
      pixels[k * SIDE * SIDE + p] = tg_get_flat(images, picked[k] * SIDE * SIDE + p);
    snprintf(captions[k], sizeof captions[k], "p=%lld t=%lld%s",
             (long long)r->y_pred[picked[k]], (long long)y_test[picked[k]],
             r->y_pred[picked[k]] != y_test[picked[k]] ? " X" : "");
    caption_ptrs[k] = captions[k];
  }
  tg_figure *fig = tg_image_grid(pixels, count, SIDE, SIDE, GRID_COLS, caption_ptrs, 80);
  free(pixels);
  if (!fig) example_check(-1, "image grid");
  char title[128];
  snprintf(title, sizeof title,
           "%s on test digits (p=predicted, t=true); last row: its mistakes", r->name);
  tg_figure_set_title(fig, title);
  save(fig, args, "digits_grid.png");
}

/* ---- the task
 * ------------------------------------------------------------------------------ */

typedef struct digits_data {
  tg_tensor *x_train, *x_test;     /* standardized features (N, 64) */
  tg_tensor *img_train, *img_test; /* images (N, 1, 8, 8), pixels / 16 */
  tg_tensor *y_train;              /* int64 (N) */
  int64_t *y_test, n_test;
} digits_data;

static void load_data(digits_data *d) {
  tg_scope_begin();
  tg_tensor *X, *y; /* (1797, 64) pixels 0..16, and the digit */
  example_check(tg_load_digits_tensors(&X, &y, 10), "load_digits");
  tg_split_options split = tg_split_defaults();
  split.test_size = .2;
  split.random_state = 13;
  tg_tensor *X_train, *X_test, *y_test;
  example_check(
      tg_train_test_split_tensors(X, y, &split, &X_train, &X_test, &d->y_train, &y_test),
      "train_test_split");
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_standard_scaler_fit(sc, X_train); /* note only from training data */
  d->x_train = tg_keep(tg_to(tg_standard_scaler_transform(sc, X_train), TG_FLOAT32));
  d->x_test = tg_keep(tg_to(tg_standard_scaler_transform(sc, X_test), TG_FLOAT32));
  tg_standard_scaler_free(sc);
  /* the CNN sees the images themselves: torch.as_tensor(X / 16).float().reshape(-1, 1, 8,
   * 8) */
  tg_shape image = TG_SHAPE(-1, 1, SIDE, SIDE);
  d->img_train =
      tg_keep(tg_reshape(tg_to(tg_div_scalar(X_train, 16), TG_FLOAT32), image));
  d->img_test = tg_keep(tg_reshape(tg_to(tg_div_scalar(X_test, 16), TG_FLOAT32), image));
  tg_keep(d->y_train);
  d->n_test = tg_numel(y_test);
  d->y_test = example_calloc((size_t)d->n_test, sizeof *d->y_test);
  for (int64_t i = 0; i < d->n_test; i++) d->y_test[i] = (int64_t)tg_get_flat(y_test, i);
  tg_scope_end();
}

static void digits_data_free(digits_data *d) {
  tg_release(d->x_train);
  tg_release(d->x_test);
  tg_release(d->img_train);
  tg_release(d->img_test);
  tg_release(d->y_train);
  free(d->y_test);
}

int main(int argc, char **argv) {
  example_args args;
  example_parse(argc, argv, "digits", 20, &args);
  digits_data d;
  load_data(&d);

  run mlp_sgd = {.name = "MLP SGD",
                 .key = "mlp_sgd",
                 .make_model = mlp,
                 .make_optimizer = sgd,
                 .X_train = d.x_train,
                 .X_test = d.x_test};
  run mlp_adam = {.name = "MLP Adam",
                  .key = "mlp_adam",
                  .make_model = mlp,
                  .make_optimizer = adam,
                  .X_train = d.x_train,
                  .X_test = d.x_test};
  run conv = {.name = "CNN Adam",
              .key = "cnn",
              .make_model = cnn,
              .make_optimizer = adam_fast,
              .X_train = d.img_train,
              .X_test = d.img_test};
  train(&mlp_sgd, d.y_train, d.y_test, &args);
  train(&mlp_adam, d.y_train, d.y_test, &args);
  train(&conv, d.y_train, d.y_test, &args);

  printf("MLP (Adam) test confusion matrix:\n");
  tg_confusion cm = confusion(d.y_test, mlp_adam.y_pred, d.n_test);
  print_confusion(&cm);
  tg_confusion_free(&cm);
  run both[2] = {mlp_sgd, mlp_adam};
  plot_sgd_vs_adam(both, 2, (tg_numel(d.y_train) + BATCH_SIZE - 1) / BATCH_SIZE, &args);
  const run *shown[2] = {&mlp_adam, &conv};
  plot_confusions(shown, 2, d.y_test, d.n_test, &args);
  plot_grid(&mlp_adam, d.img_test, d.y_test, d.n_test, &args);

  printf(
      "digits: mlp_sgd_acc=%.4f mlp_adam_acc=%.4f cnn_acc=%.4f epochs=%d seconds=%.1f\n",
      mlp_sgd.acc, mlp_adam.acc, conv.acc, args.epochs, example_seconds(&args));
  run_free(&mlp_sgd);
  run_free(&mlp_adam);
  run_free(&conv);
  digits_data_free(&d);
  return 0;
}
