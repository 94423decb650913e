/* Past the lecture: a CNN on Fashion-MNIST (70000 28x28 grey images of
 * clothes, 10 classes), the way a PyTorch user writes it next.
 *
 * FashionMNIST from Debian's dataset-fashion-mnist (or --data DIR) ->
 * 55000 training / 5000 validation images (a random permutation) ->
 * RandomHorizontalFlip + ToTensor + Normalize for training, ToTensor +
 * Normalize otherwise -> two conv-BN-ReLU-pool blocks, dropout and a linear
 * head -> AdamW with OneCycleLR stepped every batch -> the best epoch (by
 * validation accuracy) checkpointed and evaluated on the 10000 test images.
 * Writes
 *   DIR/train, DIR/val              TensorBoard: loss, accuracy and lr per epoch
 *   DIR/best.safetensors            the best epoch's weights
 *   DIR/fashion_confusion.png       the test confusion matrix, named classes
 *   DIR/fashion_mistakes.png        misclassified test images, predicted / true
 * --subset N takes the first N images of each split (CI's smoke run).
 * The PyTorch twin is examples/pytorch/fashion_mnist.py: the same seed gives
 * the same split, initial weights, batches and augmentation draws. */
#include <stdio.h>
#include <stdlib.h>

#include "example.h"
#include "tensorgrad.h"

enum { N_CLASSES = 10, SIDE = 28, BATCH_SIZE = 128, EVAL_BATCH = 100 };
enum { GRID_MISTAKES = 32, GRID_COLS = 8 };
static const double MEAN = 0.2860, STD = 0.3530; /* of the training pixels */
static const double MAX_LR = 3e-3, WEIGHT_DECAY = 1e-2, DROPOUT = 0.3;

/* ---- the model: one layer per statement, so the weights are drawn in
 * PyTorch's order ---- */

/* 1x28x28 -> 32x14x14 -> 64x7x7 -> 10 logits. The convolutions have no
 * bias: batch norm subtracts it again, so its gradient is rounding noise,
 * which Adam would turn into steps of full size. */
static tg_module *cnn(void) {
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_conv2d(1, 32, 3, 1, 1, false));
  tg_nn_sequential_append(m, tg_nn_batch_norm2d(32, 1e-5, 0.1, true, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}));
  tg_nn_sequential_append(m, tg_nn_conv2d(32, 64, 3, 1, 1, false));
  tg_nn_sequential_append(m, tg_nn_batch_norm2d(64, 1e-5, 0.1, true, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}));
  tg_nn_sequential_append(m, tg_nn_flatten(1, -1));
  tg_nn_sequential_append(m, tg_nn_dropout(DROPOUT));
  tg_nn_sequential_append(m, tg_nn_linear(64 * 7 * 7, N_CLASSES, true));
  return m;
}

/* ---- data ---- */

static const char *data_root; /* --data (NULL: Debian's directory) */
static int64_t subset_size;   /* --subset (0: everything) */

static tg_transform *eval_transform(void) {
  return tg_compose(
      (tg_transform *[]){tg_to_tensor(), tg_normalize_image(&MEAN, &STD, 1)}, 2);
}

static tg_transform *train_transform(void) {
  tg_transform *flip = tg_random_horizontal_flip(0.5);
  tg_transform *rest = eval_transform();
  return tg_compose((tg_transform *[]){flip, rest}, 2);
}

static tg_dataset *load(bool train, tg_transform *t) {
  tg_dataset *ds;
  if (tg_fashion_mnist(data_root, train, t, &ds)) {
    fprintf(stderr,
            "error: FashionMNIST: %s\n(apt-get install dataset-fashion-mnist, or pass "
            "--data DIR)\n",
            tg_last_error());
    exit(1);
  }
  return ds;
}

/* The first n samples of ds (n = 0 or too many: all of them). */
static tg_dataset *first(tg_dataset *ds, int64_t n) {
  int64_t len = tg_dataset_len(ds);
  if (n <= 0 || n >= len) return ds;
  int64_t *idx = example_calloc((size_t)n, sizeof *idx);
  for (int64_t i = 0; i < n; i++) idx[i] = i;
  tg_dataset *sub = tg_subset_new(ds, idx, n);
  free(idx);
  tg_dataset_release(ds);
  return sub;
}

typedef struct splits {
  tg_dataset *train, *val, *test;
} splits;

/* One permutation of the training files splits them: the training part sees
 * augmented images, the validation part plain ones (the same bytes in
 * memory, read once). */
static splits load_splits(void) {
  tg_dataset *files = load(true, train_transform());
  tg_dataset *plain =
      first(tg_fashion_mnist_with_transform(files, eval_transform()), subset_size);
  tg_dataset *augmented = first(files, subset_size);
  int64_t n = tg_dataset_len(plain), n_val = n / 12, n_train = n - n_val;
  tg_tensor *perm = tg_randperm(n); /* torch.randperm(n) */
  splits s = {
      .train = tg_subset_new(augmented, tg_data_i64(perm), n_train),
      .val = tg_subset_new(plain, tg_data_i64(perm) + n_train, n_val),
      .test = first(load(false, eval_transform()), subset_size),
  };
  tg_release(perm);
  tg_dataset_release(augmented);
  tg_dataset_release(plain);
  return s;
}

/* ---- training ---- */

typedef struct trainer {
  tg_module *model;
  tg_optimizer *opt;
  tg_lr_scheduler *sched;
  tg_dataloader *train_loader, *val_loader, *test_loader;
  tg_progress bar;
} trainer;

static tg_optimizer *adamw(tg_module *model) {
  tg_adam_options o = TG_ADAMW_DEFAULTS; /* optim.AdamW(params, weight_decay=1e-2) */
  o.weight_decay = WEIGHT_DECAY;
  return tg_adamw(tg_module_parameters(model), o);
}

/* The mean of the epoch's batch losses. */
static double train_one_epoch(trainer *t) {
  tg_module_train(t->model, true);
  double sum = 0;
  int64_t batches = 0;
  tg_loader_iter it = tg_loader_begin(t->train_loader);
  tg_tensor *X, *Y;
  while (tg_loader_next(&it, &X, &Y)) {
    tg_scope_begin();
    tg_tensor *loss = tg_cross_entropy_loss(tg_module_forward(t->model, X), Y, NULL);
    tg_optimizer_zero_grad(t->opt, false);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(t->opt);
    tg_lr_scheduler_step(t->sched); /* OneCycleLR moves every batch */
    double value = tg_item(loss);
    sum += value;
    batches++;
    tg_progress_set_postfix(&t->bar, "loss=%.4f", value);
    tg_progress_update(&t->bar, 1);
    tg_scope_end();
  }
  return sum / (double)batches;
}

typedef struct scores {
  double loss, acc;
} scores;

/* Loss and accuracy over a loader in eval mode; predictions into y_pred
 * and labels into y_true when they are not NULL. */
static scores evaluate(trainer *t, tg_dataloader *loader, int64_t *y_pred,
                       int64_t *y_true) {
  tg_module_eval(t->model);
  tg_no_grad_begin();
  double loss_sum = 0;
  int64_t n = 0, right = 0;
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  while (tg_loader_next(&it, &X, &Y)) {
    tg_scope_begin();
    tg_tensor *logits = tg_module_forward(t->model, X);
    int64_t b = tg_size(Y, 0);
    loss_sum += tg_item(tg_cross_entropy_loss(logits, Y, NULL)) * (double)b;
    tg_tensor *pred = tg_argmax(logits, 1, false);
    for (int64_t i = 0; i < b; i++) {
      int64_t p = (int64_t)tg_get_flat(pred, i), y = (int64_t)tg_get_flat(Y, i);
      right += p == y;
      if (y_pred) y_pred[n + i] = p;
      if (y_true) y_true[n + i] = y;
    }
    n += b;
    tg_scope_end();
  }
  tg_no_grad_end();
  return (scores){loss_sum / (double)n, (double)right / (double)n};
}

static void log_epoch(tg_summary_writer *w, const char *split, scores s, int epoch) {
  example_check(tg_summary_writer_add_scalar(w, "loss", s.loss, epoch), split);
  example_check(tg_summary_writer_add_scalar(w, "accuracy", s.acc, epoch), split);
}

static tg_summary_writer *writer(const example_args *args, const char *name) {
  char dir[600];
  tg_summary_writer *w =
      tg_summary_writer_open(example_path(args, name, dir, sizeof dir));
  if (!w) example_check(-1, "SummaryWriter");
  return w;
}

/* ---- pictures ---- */

static void save(tg_figure *fig, const example_args *args, const char *file) {
  char path[600];
  example_check(tg_figure_save(fig, example_path(args, file, path, sizeof path)), file);
  tg_figure_free(fig);
}

static void plot_confusion(const int64_t *y_true, const int64_t *y_pred, int64_t n,
                           double acc, const example_args *args) {
  static const int64_t labels[N_CLASSES] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  tg_confusion cm;
  example_check(
      tg_confusion_matrix(y_true, y_pred, n, labels, N_CLASSES, TG_NORMALIZE_NONE, &cm),
      "confusion_matrix");
  double counts[N_CLASSES * N_CLASSES];
  for (int i = 0; i < N_CLASSES * N_CLASSES; i++) counts[i] = (double)cm.counts[i];
  tg_confusion_free(&cm);
  tg_figure *fig = tg_figure_new(760, 760, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  example_check(tg_axes_confusion_matrix(ax, counts, N_CLASSES, tg_fashion_mnist_classes),
                "confusion matrix plot");
  tg_axes_colorbar(ax, "count");
  char title[96];
  snprintf(title, sizeof title, "Fashion-MNIST test set: accuracy %.4f", acc);
  tg_axes_set_title(ax, title);
  save(fig, args, "fashion_confusion.png");
}

/* The first GRID_MISTAKES test images the model got wrong, un-normalised. */
static void plot_mistakes(tg_dataset *test, const int64_t *y_true, const int64_t *y_pred,
                          int64_t n, const example_args *args) {
  double *pixels = example_calloc((size_t)GRID_MISTAKES * SIDE * SIDE, sizeof *pixels);
  char captions[GRID_MISTAKES][40];
  const char *caption_ptrs[GRID_MISTAKES];
  int count = 0;
  for (int64_t i = 0; i < n && count < GRID_MISTAKES; i++) {
    if (y_pred[i] == y_true[i]) continue;
    tg_scope_begin();
    tg_tensor *x, *y;
    tg_dataset_get(test, i, &x, &y);
    for (int p = 0; p < SIDE * SIDE; p++)
      pixels[count * SIDE * SIDE + p] = tg_get_flat(x, p) * STD + MEAN;
    tg_scope_end();
    snprintf(captions[count], sizeof captions[count], "%.11s / %.11s",
             tg_fashion_mnist_classes[y_pred[i]], tg_fashion_mnist_classes[y_true[i]]);
    caption_ptrs[count] = captions[count];
    count++;
  }
  if (count == 0) {
    free(pixels);
    return;
  }
  tg_figure *fig = tg_image_grid(pixels, count, SIDE, SIDE, GRID_COLS, caption_ptrs, 96);
  free(pixels);
  if (!fig) example_check(-1, "image grid");
  tg_figure_set_title(fig, "Misclassified test images (predicted / true)");
  save(fig, args, "fashion_mistakes.png");
}

/* ---- the run ---- */

int main(int argc, char **argv) {
  const char *subset = "0";
  data_root = NULL;
  const example_flag flags[] = {
      {"--subset", "the first N images of each split (default 0: all)", &subset},
      {"--data", "the Fashion-MNIST files (default " TG_FASHION_MNIST_ROOT ")",
       &data_root}};
  example_args args;
  example_parse_flags(argc, argv, "fashion_mnist", 8, "--epochs", flags, 2, &args);
  char *end;
  subset_size = strtoll(subset, &end, 10);
  if (*subset == '\0' || *end != '\0' || subset_size < 0) {
    fprintf(stderr, "fashion_mnist: --subset expects a non-negative integer, got '%s'\n",
            subset);
    return 2;
  }
  splits data = load_splits();
  trainer t = {.model = cnn()};
  t.train_loader = tg_dataloader_new(data.train, BATCH_SIZE, true, false);
  t.val_loader = tg_dataloader_new(data.val, EVAL_BATCH, false, false);
  t.test_loader = tg_dataloader_new(data.test, EVAL_BATCH, false, false);
  t.opt = adamw(t.model);
  int64_t per_epoch = tg_dataloader_len(t.train_loader);
  tg_one_cycle_options cycle = TG_ONE_CYCLE_DEFAULTS; /* OneCycleLR(opt, max_lr, ...) */
  cycle.max_lr = MAX_LR;
  cycle.total_steps = per_epoch * (args.epochs > 0 ? args.epochs : 1);
  t.sched = tg_one_cycle_lr(t.opt, cycle);
  tg_summary_writer *train_log = writer(&args, "train"), *val_log = writer(&args, "val");
  char best_path[600];
  example_path(&args, "best.safetensors", best_path, sizeof best_path);

  printf("FashionMNIST: %lld training, %lld validation, %lld test images\n",
         (long long)tg_dataset_len(data.train), (long long)tg_dataset_len(data.val),
         (long long)tg_dataset_len(data.test));
  tg_progress_begin(&t.bar, per_epoch * args.epochs,
                    &(tg_progress_options){.desc = "train"});
  double train_loss = NAN;
  scores val = {NAN, NAN}, best = {NAN, -1};
  int best_epoch = -1;
  for (int epoch = 0; epoch < args.epochs; epoch++) {
    double lr = tg_optimizer_get_lr(t.opt, 0);
    train_loss = train_one_epoch(&t);
    val = evaluate(&t, t.val_loader, NULL, NULL);
    example_check(tg_summary_writer_add_scalar(train_log, "loss", train_loss, epoch),
                  "add_scalar");
    example_check(tg_summary_writer_add_scalar(train_log, "lr", lr, epoch), "add_scalar");
    log_epoch(val_log, "add_scalar", val, epoch);
    if (val.acc > best.acc) {
      best = val;
      best_epoch = epoch;
      example_check(tg_save_state_dict(best_path, t.model), "save the best checkpoint");
    }
    tg_progress_write(
        &t.bar, stdout, "epoch %2d  train_loss=%.4f  val_loss=%.4f  val_acc=%.4f%s\n",
        epoch, train_loss, val.loss, val.acc, best_epoch == epoch ? "  (best)" : "");
  }
  tg_progress_end(&t.bar);
  example_check(tg_summary_writer_close(train_log), "SummaryWriter.close");
  example_check(tg_summary_writer_close(val_log), "SummaryWriter.close");

  /* the test set, once, with the best epoch's weights */
  if (best_epoch >= 0)
    example_check(tg_load_state_dict_file(best_path, t.model, true), "load the best");
  int64_t n_test = tg_dataset_len(data.test);
  int64_t *y_pred = example_calloc((size_t)n_test, sizeof *y_pred);
  int64_t *y_true = example_calloc((size_t)n_test, sizeof *y_true);
  scores test = evaluate(&t, t.test_loader, y_pred, y_true);
  plot_confusion(y_true, y_pred, n_test, test.acc, &args);
  plot_mistakes(data.test, y_true, y_pred, n_test, &args);

  printf("fashion_mnist: train_loss=%.6f val_loss=%.6f val_acc=%.6f best_val_acc=%.6f "
         "best_epoch=%d test_loss=%.6f test_acc=%.6f epochs=%d seconds=%.1f\n",
         train_loss, val.loss, val.acc, best.acc, best_epoch, test.loss, test.acc,
         args.epochs, example_seconds(&args));
  free(y_pred);
  free(y_true);
  tg_lr_scheduler_free(t.sched);
  tg_optimizer_free(t.opt);
  tg_module_free(t.model);
  tg_dataloader_free(t.train_loader);
  tg_dataloader_free(t.val_loader);
  tg_dataloader_free(t.test_loader);
  tg_dataset_release(data.train);
  tg_dataset_release(data.val);
  tg_dataset_release(data.test);
  return 0;
}
