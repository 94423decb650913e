/* Lecture 6's main notebook: binary classification of scikit-learn's two
 * moons with a Dataset, DataLoaders, SimpleClassificationNet, BCELoss and
 * SGD, a batch training loop with per-epoch loss and accuracy, TensorBoard
 * scalars, best-model checkpoints, and the metrics of "More Metrics":
 * confusion matrix, TPR/FPR, precision/recall, ROC and PR curves.
 *
 *   build/examples/moons [--epochs N] [--seed S] [--out DIR] [--resume]
 *
 * Writes DIR/roc_pr.png, DIR/decision_boundary.png, DIR/curves.png,
 * DIR/tb (TensorBoard) and DIR/best.safetensors. examples/pytorch/moons.py is
 * the same notebook in PyTorch; with the same seed both print the same numbers
 * (the same data, initial weights and batch order; float32 rounding drifts). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "example.h"
#include "tensorgrad.h"
#include "tensorgrad/progress.h"

enum { BATCH_SIZE = 16, DEFAULT_EPOCHS = 20 };

/* ---- class MoonsDataSet(Dataset) ------------------------------------------------ */

typedef struct MoonsDataSet {
  tg_dataset base;
  tg_tensor *X, *Y;
} MoonsDataSet;

static int64_t moons_len(tg_dataset *self) { /* def __len__(self): return len(self.X) */
  return tg_size(((MoonsDataSet *)self)->X, 0);
}

/* def __getitem__(self, index): return (self.X[index], self.Y[index]) */
static void moons_getitem(tg_dataset *self, int64_t index, tg_tensor **x, tg_tensor **y) {
  MoonsDataSet *ds = (MoonsDataSet *)self;
  *x = tg_select(ds->X, 0, index);
  *y = tg_select(ds->Y, 0, index);
}

static void moons_free(tg_dataset *self) {
  MoonsDataSet *ds = (MoonsDataSet *)self;
  tg_release(ds->X);
  tg_release(ds->Y);
  free(ds);
}

static const tg_dataset_vtable moons_vtable = {.name = "MoonsDataSet",
                                               .len = moons_len,
                                               .get_item = moons_getitem,
                                               .free = moons_free};

static tg_dataset *MoonsDataSet_new(tg_tensor *x_tensor, tg_tensor *y_tensor) {
  MoonsDataSet *ds = malloc(sizeof *ds);
  if (!ds) tg_error("moons: out of memory");
  tg_dataset_init(&ds->base, &moons_vtable); /* super().__init__() */
  ds->X = tg_retain(x_tensor);
  ds->Y = tg_retain(y_tensor);
  return &ds->base;
}

/* ---- class SimpleClassificationNet(torch.nn.Module) ----------------------------- */

typedef struct SimpleClassificationNet {
  tg_module base;
  tg_module *linearLayer1, *linearLayer2, *sigmoidLayer;
} SimpleClassificationNet;

/* The lecture's summary lists Linear, Linear, Sigmoid and nothing between the
 * two linears, so this net is a (wide) logistic regression: a straight
 * decision boundary, about 85% on these moons. */
static tg_tensor *net_forward(tg_module *m, tg_tensor *x) {
  SimpleClassificationNet *net = (SimpleClassificationNet *)m;
  tg_tensor *u = tg_module_forward(net->linearLayer1, x);
  tg_tensor *z = tg_module_forward(net->linearLayer2, u);
  return tg_module_forward(net->sigmoidLayer, z);
}

static const tg_module_vtable net_vtable = {"SimpleClassificationNet", net_forward};

static SimpleClassificationNet *SimpleClassificationNet_new(void) {
  SimpleClassificationNet *net = tg_module_new(&net_vtable, sizeof *net);
  net->linearLayer1 =
      tg_module_add(&net->base, "linearLayer1", tg_nn_linear(2, 1000, true));
  net->linearLayer2 =
      tg_module_add(&net->base, "linearLayer2", tg_nn_linear(1000, 1, true));
  net->sigmoidLayer = tg_module_add(&net->base, "sigmoidLayer", tg_nn_sigmoid());
  return net;
}

/* ---- what one epoch collects: all_Y_epoch, all_Yhat_epoch, all_losses_epoch ----- */

typedef struct epoch_log {
  int64_t n;       /* samples so far */
  int64_t *y;      /* labels */
  double *yhat;    /* predicted probabilities */
  int64_t *pred;   /* yhat >= 0.5, filled by log_accuracy */
  double loss_sum; /* of the batch losses */
  int64_t batches;
} epoch_log;

static epoch_log log_new(int64_t capacity) {
  epoch_log log = {.y = malloc(capacity * sizeof(int64_t)),
                   .yhat = malloc(capacity * sizeof(double)),
                   .pred = malloc(capacity * sizeof(int64_t))};
  if (!log.y || !log.yhat || !log.pred) tg_error("moons: out of memory");
  return log;
}

static void log_free(epoch_log *log) {
  free(log->y);
  free(log->yhat);
  free(log->pred);
}

static void log_batch(epoch_log *log, tg_tensor *Y, tg_tensor *y_hat, double loss) {
  double labels[BATCH_SIZE];
  int64_t b = tg_numel(Y);
  tg_copy_to_f64(Y, labels);
  tg_copy_to_f64(y_hat, log->yhat + log->n);
  for (int64_t i = 0; i < b; i++) log->y[log->n + i] = (int64_t)labels[i];
  log->n += b;
  log->loss_sum += loss;
  log->batches++;
}

static double log_loss(const epoch_log *log) {
  return log->loss_sum / (double)log->batches;
}

/* accuracy_score(all_Y_epoch, all_Yhat_epoch >= 0.5) */
static double log_accuracy(epoch_log *log) {
  for (int64_t i = 0; i < log->n; i++) log->pred[i] = log->yhat[i] >= 0.5;
  double accuracy;
  example_check(tg_accuracy_score(log->y, log->pred, log->n, &accuracy),
                "accuracy_score");
  return accuracy;
}

/* ---- training and validation passes --------------------------------------------- */

static void train_one_epoch(tg_module *model, tg_dataloader *train_loader,
                            tg_optimizer *opt, epoch_log *log, tg_progress *bar) {
  tg_loader_iter it = tg_loader_begin(train_loader);
  tg_tensor *X_train, *Y_train;
  while (tg_loader_next(&it, &X_train, &Y_train)) { /* batch wise training on train set */
    tg_scope_begin();
    tg_module_train(model, true);
    tg_tensor *y_hat = tg_module_forward(model, X_train);
    tg_tensor *loss = tg_bce_loss(y_hat, Y_train, NULL); /* loss_fn = nn.BCELoss() */
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(opt);
    tg_optimizer_zero_grad(opt, false);
    log_batch(log, Y_train, y_hat, tg_item(loss)); /* store metrics for all batches */
    tg_scope_end();
    tg_progress_set_postfix(bar, "loss=%.4f", log_loss(log)); /* this epoch's so far */
    tg_progress_update(bar, 1);
  }
}

static void validate(tg_module *model, tg_dataloader *val_loader, epoch_log *log) {
  tg_module_eval(model);
  tg_no_grad_begin(); /* with torch.no_grad(): */
  tg_loader_iter it = tg_loader_begin(val_loader);
  tg_tensor *X_val, *Y_val;
  while (tg_loader_next(&it, &X_val, &Y_val)) {
    tg_scope_begin();
    tg_tensor *y_hat = tg_module_forward(model, X_val);
    log_batch(log, Y_val, y_hat, tg_item(tg_bce_loss(y_hat, Y_val, NULL)));
    tg_scope_end();
  }
  tg_no_grad_end();
}

/* ---- histories, checkpoints ----------------------------------------------------- */

/* train_losses, val_losses and the accuracies, one entry per epoch */
enum { LOSS, VAL_LOSS, ACCURACY, VAL_ACCURACY, N_HISTORIES };
static const char *const history_names[N_HISTORIES] = {"loss", "val_loss", "accuracy",
                                                       "val_accuracy"};

typedef struct history {
  double *values[N_HISTORIES];
  int n, capacity;
} history;

static void history_reserve(history *h, int capacity) {
  if (capacity <= h->capacity) return;
  for (int k = 0; k < N_HISTORIES; k++) {
    double *grown = realloc(h->values[k], (size_t)capacity * sizeof(double));
    if (!grown) tg_error("moons: out of memory");
    h->values[k] = grown;
  }
  h->capacity = capacity;
}

static void history_free(history *h) {
  for (int k = 0; k < N_HISTORIES; k++) free(h->values[k]);
}

/* torch.save({'epoch': ..., 'model_state_dict': ..., 'optimizer_state_dict': ...,
 *             'loss': train_losses, 'val_loss': val_losses, ...}, 'best.pth') */
static void save_best(const char *path, tg_module *model, tg_optimizer *opt,
                      const history *h) {
  tg_scope_begin();
  tg_tensor_dict *extra = tg_tensor_dict_new();
  for (int k = 0; k < N_HISTORIES; k++)
    tg_tensor_dict_add(extra, history_names[k],
                       tg_from_data(h->values[k], TG_SHAPE(h->n), TG_FLOAT64));
  example_check(tg_checkpoint_save(path, model, opt, h->n, extra),
                "saving the checkpoint");
  tg_tensor_dict_free(extra);
  tg_scope_end();
}

/* checkpoint = torch.load('best.pth'); model.load_state_dict(...);
 * optimizer.load_state_dict(...); total_epochs = checkpoint['epoch'];
 * losses = checkpoint['loss']; val_losses = checkpoint['val_loss'] */
static void load_best(const char *path, tg_module *model, tg_optimizer *opt, history *h) {
  int64_t total_epochs;
  tg_tensor_dict *extra;
  example_check(tg_checkpoint_load(path, model, opt, &total_epochs, &extra),
                "loading the checkpoint");
  for (int k = 0; k < N_HISTORIES; k++) {
    tg_tensor *t = tg_tensor_dict_get(extra, history_names[k]);
    if (!t || t->ndim != 1 || tg_numel(t) != total_epochs) {
      fprintf(stderr, "error: %s: extra.%s is missing or does not hold %lld epochs\n",
              path, history_names[k], (long long)total_epochs);
      exit(1);
    }
    history_reserve(h, (int)total_epochs);
    tg_copy_to_f64(t, h->values[k]);
  }
  h->n = (int)total_epochs;
  tg_tensor_dict_free(extra);
}

/* ---- pictures ------------------------------------------------------------------- */

static void plot_roc_pr(const char *path, const tg_roc *roc, const tg_pr *pr,
                        double auc) {
  tg_figure *fig = tg_figure_new(1000, 420, 1, 2); /* plt.subplot(1,2,1) ... (1,2,2) */
  tg_axes *left = tg_figure_axes(fig, 0), *right = tg_figure_axes(fig, 1);
  char label[64]; /* the AUC to the digits the summary line prints */
  snprintf(label, sizeof label, "MLP (AUC = %.4f)", auc);
  tg_axes_plot(left, roc->fpr, roc->tpr, (int)roc->n,
               &(tg_style){.color = TG_PURPLE, .label = label});
  tg_axes_plot(left, (const double[]){0, 1}, (const double[]){0, 1}, 2,
               &(tg_style){.color = TG_GRAY,
                           .dashed = true,
                           .line_width = 1.25,
                           .label = "chance (AUC = 0.5)"});
  tg_axes_set_title(left, "ROC Curve");
  /* The slide labels the ROC axes ylabel('FPR'), xlabel('TPR'): swapped by
   * mistake. A ROC curve plots TPR (y) against FPR (x). */
  tg_axes_set_xlabel(left, "FPR");
  tg_axes_set_ylabel(left, "TPR");
  tg_axes_plot(right, pr->recall, pr->precision, (int)pr->n_points,
               &(tg_style){.color = TG_RED});
  tg_axes_set_title(right, "Precision-Recall Curve");
  tg_axes_set_xlabel(right, "Recall");
  tg_axes_set_ylabel(right, "Precision");
  example_check(tg_figure_save(fig, path), path);
  tg_figure_free(fig);
}

/* Loss and accuracy per epoch, the saved best epoch marked. */
static void plot_curves(const char *path, const history *h, int best_epoch) {
  double *epoch = malloc((size_t)h->n * sizeof *epoch);
  if (!epoch) tg_error("moons: out of memory");
  for (int i = 0; i < h->n; i++) epoch[i] = i + 1;
  tg_figure *fig = tg_figure_new(1000, 420, 1, 2);
  const char *titles[2] = {"BCE loss", "accuracy"};
  for (int k = 0; k < 2; k++) {
    tg_axes *ax = tg_figure_axes(fig, k);
    tg_axes_plot(ax, epoch, h->values[2 * k], h->n, &(tg_style){.label = "train"});
    tg_axes_plot(ax, epoch, h->values[2 * k + 1], h->n, &(tg_style){.label = "val"});
    if (k == 1 && best_epoch > 0) {
      double x = best_epoch, y = h->values[VAL_ACCURACY][best_epoch - 1];
      tg_axes_scatter(
          ax, &x, &y, NULL, 1,
          &(tg_style){.color = TG_RED, .marker_size = 5, .label = "best (saved)"});
    }
    tg_axes_set_title(ax, titles[k]);
    tg_axes_set_xlabel(ax, "epoch");
    tg_axes_set_ylabel(ax, titles[k]);
    tg_axes_set_grid(ax, true);
  }
  example_check(tg_figure_save(fig, path), path);
  tg_figure_free(fig);
  free(epoch);
}

/* P(class 1) over a grid around the validation points, with the points on top. */
static void plot_decision_boundary(const char *path, tg_module *model, tg_tensor *X_val,
                                   const int64_t *y_val) {
  enum { GRID = 200 }; /* a multiple of CHUNK rows below */
  int64_t n = tg_size(X_val, 0);
  double *xy = malloc((size_t)n * 2 * sizeof *xy),
         *probs = malloc(GRID * GRID * sizeof *probs);
  double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
  int *classes = malloc((size_t)n * sizeof *classes);
  float *grid = malloc(GRID * GRID * 2 * sizeof *grid);
  if (!xy || !probs || !x || !y || !classes || !grid) tg_error("moons: out of memory");
  tg_copy_to_f64(X_val, xy);
  tg_extent e = {xy[0], xy[0], xy[1], xy[1]};
  for (int64_t i = 0; i < n; i++) {
    x[i] = xy[2 * i], y[i] = xy[2 * i + 1], classes[i] = (int)y_val[i];
    e.xmin = x[i] < e.xmin ? x[i] : e.xmin, e.xmax = x[i] > e.xmax ? x[i] : e.xmax;
    e.ymin = y[i] < e.ymin ? y[i] : e.ymin, e.ymax = y[i] > e.ymax ? y[i] : e.ymax;
  }
  e = (tg_extent){e.xmin - 0.3, e.xmax + 0.3, e.ymin - 0.3, e.ymax + 0.3};
  for (int j = 0; j < GRID; j++)
    for (int i = 0; i < GRID; i++) {
      grid[2 * (j * GRID + i)] = (float)(e.xmin + (e.xmax - e.xmin) * i / (GRID - 1));
      grid[2 * (j * GRID + i) + 1] = (float)(e.ymin + (e.ymax - e.ymin) * j / (GRID - 1));
    }
  /* in chunks of rows: the whole grid at once would hold a 40000 x 1000
   * hidden layer (160 MB) for a picture */
  enum { CHUNK = 2000 };
  tg_no_grad_begin();
  tg_module_eval(model);
  for (int start = 0; start < GRID * GRID; start += CHUNK) {
    tg_scope_begin();
    tg_tensor *rows = tg_from_data(grid + 2 * start, TG_SHAPE(CHUNK, 2), TG_FLOAT32);
    tg_copy_to_f64(tg_module_forward(model, rows), probs + start);
    tg_scope_end();
  }
  tg_no_grad_end();

  tg_figure *fig = tg_figure_new(600, 640, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_fill_probability(ax, probs, GRID, GRID, e);
  tg_axes_scatter(ax, x, y, classes, (int)n, &(tg_style){.marker_size = 2.5});
  tg_axes_set_title(ax, "Decision boundary on the validation data");
  tg_axes_set_xlabel(ax, "x1 (standardized)");
  tg_axes_set_ylabel(ax, "x2 (standardized)");
  tg_axes_set_equal_aspect(ax, true);
  tg_axes_colorbar(ax, "P(class 1)");
  example_check(tg_figure_save(fig, path), path);
  tg_figure_free(fig);
  free(xy), free(probs), free(x), free(y), free(classes), free(grid);
}

/* print(stateDict), briefly: names and shapes, not the 3,000 weights */
static void print_state_dict(const tg_module *model) {
  tg_tensor_dict *stateDict = tg_state_dict(model);
  printf("stateDict: ");
  for (int i = 0; i < stateDict->n; i++) {
    const tg_tensor *t = stateDict->items[i].tensor;
    printf("%s%s (", i ? ", " : "", stateDict->items[i].name);
    for (int d = 0; d < t->ndim; d++)
      printf("%s%lld", d ? ", " : "", (long long)t->shape[d]);
    printf(t->ndim == 1 ? ",)" : ")");
  }
  printf("\n");
  tg_tensor_dict_free(stateDict);
}

/* ---- the notebook's data cells ------------------------------------------------- */

typedef struct moons_data {
  tg_tensor *x_train_tensor, *y_train_tensor, *x_val_tensor, *y_val_tensor;
} moons_data;

static moons_data load_moons(void) {
  /* Getting a toy dataset from scikit learn library */
  tg_tensor *X, *y, *X_train, *X_val, *y_train, *y_val;
  example_check(tg_make_moons_tensors(&X, &y, 10000, true, 0.3, 0), "make_moons");
  tg_split_options split = tg_split_defaults();
  split.test_size = .2;
  split.random_state = 13;
  example_check(
      tg_train_test_split_tensors(X, y, &split, &X_train, &X_val, &y_train, &y_val),
      "train_test_split");
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_standard_scaler_fit(sc, X_train); /* note only from training data */

  /* Builds tensors from numpy arrays (kept: they live as long as the run) */
  tg_scope_begin();
  moons_data d = {
      tg_keep(tg_to(tg_standard_scaler_transform(sc, X_train), TG_FLOAT32)),
      tg_keep(tg_to(tg_view(y_train, TG_SHAPE(-1, 1)), TG_FLOAT32)),
      tg_keep(tg_to(tg_standard_scaler_transform(sc, X_val), TG_FLOAT32)),
      tg_keep(tg_to(tg_view(y_val, TG_SHAPE(-1, 1)), TG_FLOAT32)),
  };
  tg_scope_end();
  tg_standard_scaler_free(sc);
  tg_tensor *raw[] = {X, y, X_train, X_val, y_train, y_val};
  for (size_t i = 0; i < sizeof raw / sizeof *raw; i++) tg_release(raw[i]);
  return d;
}

static void moons_data_free(moons_data *d) {
  tg_release(d->x_train_tensor);
  tg_release(d->y_train_tensor);
  tg_release(d->x_val_tensor);
  tg_release(d->y_val_tensor);
}

/* test_batch = next(iter(train_loader));
 * total_batches_one_epoch = len(iter(train_loader)) */
static void peek_loader(tg_dataloader *train_loader) {
  tg_tensor *X_train, *Y_train;
  tg_loader_iter it = tg_loader_begin(train_loader);
  tg_loader_next(&it, &X_train, &Y_train);
  printf("test_batch: X_train (%lld, %lld), Y_train (%lld, %lld); ",
         (long long)tg_size(X_train, 0), (long long)tg_size(X_train, 1),
         (long long)tg_size(Y_train, 0), (long long)tg_size(Y_train, 1));
  tg_loader_end(&it);
  it = tg_loader_begin(train_loader); /* iter() draws a seed even when unused */
  tg_loader_end(&it);
  int64_t total_batches_one_epoch = tg_dataloader_len(train_loader);
  printf("%lld batches per epoch\n", (long long)total_batches_one_epoch);
}

/* ---- the batch training loop ------------------------------------------------------ */

typedef struct trainer {
  tg_module *model;
  tg_optimizer *optimizer;
  tg_dataloader *train_loader, *val_loader;
  tg_summary_writer *tboardWriter;
  const char *best_path;
  history h;            /* every epoch so far */
  double best_accuracy; /* of the saved checkpoint */
  bool have_best;
} trainer;

/* --resume: the best checkpoint's weights, optimizer state and histories */
static int resume(trainer *t) {
  load_best(t->best_path, t->model, t->optimizer, &t->h);
  for (int i = 0; i < t->h.n; i++)
    if (t->h.values[VAL_ACCURACY][i] > t->best_accuracy)
      t->best_accuracy = t->h.values[VAL_ACCURACY][i];
  t->have_best = true;
  printf("resumed from %s at epoch %d (best val_acc %.4f)\n", t->best_path, t->h.n,
         t->best_accuracy);
  return t->h.n;
}

static void fit(trainer *t, int start_epoch, int epochs) {
  history *h = &t->h;
  history_reserve(h, epochs);
  /* room for every sample of an epoch */
  int64_t n_train = tg_dataloader_len(t->train_loader) * BATCH_SIZE;
  int64_t n_val = tg_dataloader_len(t->val_loader) * BATCH_SIZE;
  tg_progress bar;
  bool training = epochs > start_epoch;
  tg_progress_begin(
      &bar, training ? (epochs - start_epoch) * tg_dataloader_len(t->train_loader) : 0,
      &(tg_progress_options){.desc = "train",
                             .mode = training ? TG_PROGRESS_AUTO : TG_PROGRESS_OFF});
  for (int epoch = start_epoch; epoch < epochs; epoch++) { /* epochs loop */
    epoch_log train_log = log_new(n_train), val_log = log_new(n_val);
    train_one_epoch(t->model, t->train_loader, t->optimizer, &train_log, &bar);
    validate(t->model, t->val_loader, &val_log);
    /* computing metrics for current epoch */
    double acTrain = log_accuracy(&train_log), acVal = log_accuracy(&val_log);
    h->values[LOSS][epoch] = log_loss(&train_log); /* mean loss for all batches */
    h->values[VAL_LOSS][epoch] = log_loss(&val_log);
    h->values[ACCURACY][epoch] = acTrain;
    h->values[VAL_ACCURACY][epoch] = acVal;
    h->n = epoch + 1;
    tg_summary_writer_add_scalar(t->tboardWriter, "Loss/train", h->values[LOSS][epoch],
                                 epoch);
    tg_summary_writer_add_scalar(t->tboardWriter, "Loss/val", h->values[VAL_LOSS][epoch],
                                 epoch);
    tg_summary_writer_add_scalar(t->tboardWriter, "accuracy/train", acTrain, epoch);
    tg_summary_writer_add_scalar(t->tboardWriter, "accuracy/val", acVal, epoch);
    bool saved = acVal > t->best_accuracy;
    if (saved) {
      t->best_accuracy = acVal;
      save_best(t->best_path, t->model, t->optimizer, h);
      t->have_best = true;
    }
    tg_progress_write(&bar, stdout,
                      "epoch %3d/%d  train_loss=%.6f val_loss=%.6f train_acc=%.4f "
                      "val_acc=%.4f%s\n",
                      epoch + 1, epochs, h->values[LOSS][epoch],
                      h->values[VAL_LOSS][epoch], acTrain, acVal,
                      saved ? "  (best, saved)" : "");
    log_free(&train_log);
    log_free(&val_log);
  }
  tg_progress_end(&bar);
}

/* ---- More Metrics: the best model on the validation data ------------------------- */

/* cm50 = confusion_matrix(all_Y_val_epoch, all_Yhat_val_epoch >= 0.5)
 * TN, FP, FN, TP = cm50.ravel() ... */
static void print_confusion(const epoch_log *val) {
  tg_binary_counts cm50;
  example_check(tg_binary_confusion(val->y, val->pred, val->n, NULL, &cm50),
                "confusion_matrix");
  double TN = (double)cm50.tn, FP = (double)cm50.fp, FN = (double)cm50.fn;
  double TP = (double)cm50.tp;
  double TPR = TP / (TP + FN), FPR = FP / (FP + TN);
  double precision = TP / (TP + FP), recall = TP / (TP + FN);
  double Accuracy = (TP + TN) / (TP + TN + FP + FN);
  printf("confusion matrix at 0.5: TN=%lld FP=%lld FN=%lld TP=%lld\n", (long long)cm50.tn,
         (long long)cm50.fp, (long long)cm50.fn, (long long)cm50.tp);
  printf("TPR=%.4f FPR=%.4f precision=%.4f recall=%.4f accuracy=%.4f\n", TPR, FPR,
         precision, recall, Accuracy);
}

/* fpr, tpr, rocthresholds = roc_curve(all_Y_val_epoch, all_Yhat_val_epoch)
 * precision, recall, prThreshold = precision_recall_curve(...)
 * auc = roc_auc_score(...), then the two plots side by side. Returns auc. */
static double roc_pr(const epoch_log *val, const char *png_path) {
  tg_roc roc;
  tg_pr pr;
  double auc;
  example_check(tg_roc_curve(val->y, val->yhat, val->n, 1, true, &roc), "roc_curve");
  example_check(tg_precision_recall_curve(val->y, val->yhat, val->n, 1, &pr),
                "precision_recall_curve");
  example_check(tg_roc_auc_score(val->y, val->yhat, val->n, &auc), "roc_auc_score");
  plot_roc_pr(png_path, &roc, &pr, auc);
  tg_roc_free(&roc);
  tg_pr_free(&pr);
  return auc;
}

/* tboardWriter.add_pr_curve("pr_curve/val", labels, predictions, step) */
static void add_pr_curve(tg_summary_writer *w, const epoch_log *val, int step) {
  float *labels = malloc((size_t)val->n * sizeof *labels);
  float *predictions = malloc((size_t)val->n * sizeof *predictions);
  if (!labels || !predictions) tg_error("moons: out of memory");
  for (int64_t i = 0; i < val->n; i++)
    labels[i] = (float)val->y[i], predictions[i] = (float)val->yhat[i];
  example_check(tg_summary_writer_add_pr_curve(w, "pr_curve/val", labels, predictions,
                                               (size_t)val->n, 0, step),
                "add_pr_curve");
  free(labels);
  free(predictions);
}

int main(int argc, char **argv) {
  example_args args;
  example_parse(argc, argv, "moons", DEFAULT_EPOCHS, &args); /* torch.manual_seed(seed) */
  char path[600], best_path[600];
  example_path(&args, "best.safetensors", best_path, sizeof best_path);

  moons_data data = load_moons();
  /* Builds dataset containing ALL data points */
  tg_dataset *train_dataset = MoonsDataSet_new(data.x_train_tensor, data.y_train_tensor);
  tg_dataset *val_dataset = MoonsDataSet_new(data.x_val_tensor, data.y_val_tensor);
  /* Builds a loader of each set */
  tg_dataloader *train_loader = tg_dataloader_new(train_dataset, BATCH_SIZE, true, false);
  tg_dataloader *val_loader = tg_dataloader_new(val_dataset, BATCH_SIZE, false, false);
  peek_loader(train_loader);

  SimpleClassificationNet *net = SimpleClassificationNet_new();
  tg_module *model = &net->base;
  print_state_dict(model);           /* print(stateDict) */
  tg_module_print(model);            /* print(model) */
  tg_summary(model, TG_SHAPE(1, 2)); /* summary(model,(1,2)) */

  /* optimizer = optim.SGD(model.parameters(), lr=lr) */
  trainer t = {.model = model,
               .optimizer =
                   tg_sgd(tg_module_parameters(model), (tg_sgd_options){.lr = 0.1}),
               .train_loader = train_loader,
               .val_loader = val_loader,
               .tboardWriter =
                   tg_summary_writer_open(example_path(&args, "tb", path, sizeof path)),
               .best_path = best_path};
  if (!t.tboardWriter) example_check(-1, "SummaryWriter");

  int start_epoch = args.resume ? resume(&t) : 0;
  fit(&t, start_epoch, args.epochs);

  /* loading best model: the metrics below are the best epoch's */
  history best = {{NULL}, 0, 0};
  if (t.have_best) load_best(best_path, model, t.optimizer, &best);
  epoch_log val_log = log_new(tg_dataset_len(val_dataset));
  validate(model, val_loader, &val_log);
  double val_accuracy = log_accuracy(&val_log);
  printf("best model: epoch %d of %d\n", best.n, t.h.n);
  print_confusion(&val_log);
  double auc = roc_pr(&val_log, example_path(&args, "roc_pr.png", path, sizeof path));
  plot_decision_boundary(example_path(&args, "decision_boundary.png", path, sizeof path),
                         model, data.x_val_tensor, val_log.y);
  if (t.h.n > 0)
    plot_curves(example_path(&args, "curves.png", path, sizeof path), &t.h, best.n);
  add_pr_curve(t.tboardWriter, &val_log, best.n);
  example_check(tg_summary_writer_close(t.tboardWriter), "SummaryWriter.close");

  printf("moons: val_acc=%.4f val_auc=%.4f train_loss=%.6f val_loss=%.6f best_epoch=%d "
         "epochs=%d seconds=%.1f\n",
         val_accuracy, auc, best.n ? best.values[LOSS][best.n - 1] : NAN,
         log_loss(&val_log), best.n, t.h.n, example_seconds(&args));

  log_free(&val_log);
  history_free(&best);
  history_free(&t.h);
  tg_optimizer_free(t.optimizer);
  tg_module_free(model);
  tg_dataloader_free(train_loader);
  tg_dataloader_free(val_loader);
  tg_dataset_release(train_dataset);
  tg_dataset_release(val_dataset);
  moons_data_free(&data);
  return 0;
}
