/* Iris Flowers Classification: lecture 6's multiclass notebook, line by line.
 *
 * load_iris -> train_test_split -> StandardScaler (fitted on the training
 * rows only) -> an IRISDataset and DataLoaders -> SimpleMultiClassificationNet
 * (4 -> 50 -> 100 -> 3) trained with CrossEntropyLoss, printing the training
 * confusion matrix as the lecture does. It trains twice: with the "Model,
 * Loss, Optimizer" slide (SGD, lr 0.1), with the "PyTorch for Adam" slide
 * (Adam, lr 0.1) and with Adam at the slide's alpha = 0.001, each from the
 * same seed. Adam at lr 0.1 is unstable here: it normalises every gradient to
 * a step of about lr, so accuracy jumps between epochs and float32 rounding
 * differences grow into different runs (tensorgrad and PyTorch part ways
 * within the first epoch); at 0.001 it converges smoothly. Then it prints sklearn's
 * classification_report for the validation set and writes
 *   DIR/iris_confusion.png   validation confusion matrices of both runs
 *   DIR/iris_loss.png        train/val loss per epoch of both runs
 *   DIR/sgd, DIR/adam        TensorBoard scalars (Loss/train, Loss/val, accuracy/train,
 * accuracy/val) The PyTorch twin is examples/pytorch/iris.py. */
#include <stdio.h>
#include <stdlib.h>

#include "example.h"
#include "tensorgrad.h"
#include "tensorgrad/progress.h"

enum { N_CLASSES = 3, BATCH_SIZE = 10, PRINT_EVERY = 10, N_RUNS = 3 };
static const int64_t CLASS_LABELS[N_CLASSES] = {0, 1, 2};

/* ---- class IRISDataset(Dataset) --------------------------------------------------- */

typedef struct IRISDataset {
  tg_dataset base;
  tg_tensor *X, *Y;
} IRISDataset;

static int64_t iris_len(tg_dataset *self) {
  return tg_size(((IRISDataset *)self)->X, 0); /* len(self.X) */
}

static void iris_getitem(tg_dataset *self, int64_t index, tg_tensor **x, tg_tensor **y) {
  IRISDataset *d = (IRISDataset *)self;
  *x = tg_select(d->X, 0, index); /* self.X[index] */
  *y = tg_select(d->Y, 0, index); /* self.Y[index] */
}

static void iris_free(tg_dataset *self) {
  IRISDataset *d = (IRISDataset *)self;
  tg_release(d->X);
  tg_release(d->Y);
  free(d);
}

static const tg_dataset_vtable IRISDataset_vtable = {
    .name = "IRISDataset", .len = iris_len, .get_item = iris_getitem, .free = iris_free};

static tg_dataset *IRISDataset_new(tg_tensor *x_tensor, tg_tensor *y_tensor) {
  IRISDataset *d = example_calloc(1, sizeof *d);
  tg_dataset_init(&d->base, &IRISDataset_vtable);
  d->X = tg_retain(x_tensor);
  d->Y = tg_retain(y_tensor);
  return &d->base;
}

/* ---- class SimpleMultiClassificationNet(nn.Module) ----------------------------------
 */

typedef struct SimpleMultiClassificationNet {
  tg_module base;
  tg_module *linearLayer1, *linearLayer2, *relu, *linearLayer3;
} SimpleMultiClassificationNet;

static tg_tensor *net_forward(tg_module *m, tg_tensor *x) {
  SimpleMultiClassificationNet *self = (SimpleMultiClassificationNet *)m;
  tg_tensor *u = tg_module_forward(self->linearLayer1, x);
  tg_tensor *v = tg_module_forward(self->relu, u);
  tg_tensor *w = tg_module_forward(self->linearLayer2, v);
  tg_tensor *mm = tg_module_forward(self->relu, w);
  tg_tensor *z = tg_module_forward(self->linearLayer3, mm);
  return z; /* logits: softmax is not part of the model, CrossEntropyLoss applies it */
}

static const tg_module_vtable net_vtable = {"SimpleMultiClassificationNet", net_forward};

/* Layers registered in __init__'s order, so the weights match PyTorch's. */
static tg_module *SimpleMultiClassificationNet_new(void) {
  SimpleMultiClassificationNet *self = tg_module_new(&net_vtable, sizeof *self);
  self->linearLayer1 =
      tg_module_add(&self->base, "linearLayer1", tg_nn_linear(4, 50, true));
  self->linearLayer2 =
      tg_module_add(&self->base, "linearLayer2", tg_nn_linear(50, 100, true));
  self->relu = tg_module_add(&self->base, "relu", tg_nn_relu());
  self->linearLayer3 =
      tg_module_add(&self->base, "linearLayer3", tg_nn_linear(100, 3, true));
  return &self->base;
}

/* ---- one epoch's labels and losses (the lecture's all_Y_train_epoch, ...) ---------- */

typedef struct epoch_record {
  int64_t *y, *yhat; /* true and predicted class of every sample seen */
  int64_t n;
  double loss_sum;
  int batches;
} epoch_record;

static epoch_record epoch_record_new(int64_t capacity) {
  return (epoch_record){example_calloc((size_t)capacity, sizeof(int64_t)),
                        example_calloc((size_t)capacity, sizeof(int64_t)), 0, 0, 0};
}

static void epoch_record_free(epoch_record *r) {
  free(r->y);
  free(r->yhat);
}

/* y_hat = F.softmax(logits, dim=-1); y_hat = np.argmax(y_hat, axis=1) */
static void epoch_record_add(epoch_record *r, tg_tensor *Y, tg_tensor *logits,
                             double loss) {
  tg_tensor *y_hat = tg_argmax(tg_softmax(tg_detach(logits), -1), 1, false);
  for (int64_t i = 0; i < tg_numel(Y); i++) {
    r->y[r->n + i] = (int64_t)tg_get_flat(Y, i);
    r->yhat[r->n + i] = (int64_t)tg_get_flat(y_hat, i);
  }
  r->n += tg_numel(Y);
  r->loss_sum += loss;
  r->batches++;
}

static double epoch_mean_loss(const epoch_record *r) {
  return r->loss_sum / r->batches;
}

static double epoch_accuracy(const epoch_record *r) {
  double acc;
  example_check(tg_accuracy_score(r->y, r->yhat, r->n, &acc), "accuracy_score");
  return acc;
}

/* numpy's one-line look of a confusion matrix, "[[41  0  0] [ 0 41  1] [ 0  1 36]]",
 * into buf */
static void format_confusion(const epoch_record *r, char *buf, size_t size) {
  tg_confusion cm;
  example_check(tg_confusion_matrix(r->y, r->yhat, r->n, CLASS_LABELS, N_CLASSES,
                                    TG_NORMALIZE_NONE, &cm),
                "confusion_matrix");
  int64_t max = 0;
  for (int i = 0; i < N_CLASSES * N_CLASSES; i++)
    max = cm.counts[i] > max ? cm.counts[i] : max;
  int width = snprintf(NULL, 0, "%lld", (long long)max);
  size_t len = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < N_CLASSES && len < size; i++) {
    len += (size_t)snprintf(buf + len, size - len, i ? " [" : "[");
    for (int j = 0; j < N_CLASSES && len < size; j++)
      len += (size_t)snprintf(buf + len, size - len, j ? " %*lld" : "%*lld", width,
                              (long long)cm.counts[i * N_CLASSES + j]);
    if (len < size) len += (size_t)snprintf(buf + len, size - len, "]");
  }
  if (len < size) snprintf(buf + len, size - len, "]");
  tg_confusion_free(&cm);
}

/* ---- training --------------------------------------------------------------------- */

typedef enum { USE_SGD, USE_ADAM } optimizer_kind;

typedef struct run_result {
  const char *name;
  optimizer_kind kind;
  double lr;
  const char *tb_dir;                /* TensorBoard run directory under DIR */
  double *train_losses, *val_losses; /* one per epoch */
  epoch_record val;                  /* the last epoch's validation predictions */
  double val_acc;
} run_result;

static tg_optimizer *make_optimizer(optimizer_kind kind, double lr, tg_module *model) {
  if (kind == USE_SGD) {
    /* optimizer = optim.SGD(model.parameters(), lr=lr) */
    tg_sgd_options o = TG_SGD_DEFAULTS;
    o.lr = lr;
    return tg_sgd(tg_module_parameters(model), o);
  }
  /* optimizer = optim.Adam(model.parameters(), lr=lr, betas=(0.9,0.999), eps=1e-08) */
  tg_adam_options o = {.lr = lr, .betas = {0.9, 0.999}, .eps = 1e-08};
  return tg_adam(tg_module_parameters(model), o);
}

static void train_one_epoch(tg_module *model, tg_dataloader *train_loader,
                            tg_optimizer *optimizer, epoch_record *rec,
                            tg_progress *bar) {
  tg_module_train(model, true);
  tg_loader_iter it = tg_loader_begin(train_loader);
  tg_tensor *X_train, *Y_train;
  while (tg_loader_next(&it, &X_train, &Y_train)) { /* batch wise training on train set */
    tg_scope_begin();
    tg_tensor *logits = tg_module_forward(model, X_train);
    tg_tensor *loss =
        tg_cross_entropy_loss(logits, Y_train, NULL); /* loss_fn(logits, Y) */
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(optimizer);
    tg_optimizer_zero_grad(optimizer, false);
    epoch_record_add(rec, Y_train, logits, tg_item(loss));
    tg_progress_set_postfix(bar, "loss=%.4f", tg_item(loss));
    tg_progress_update(bar, 1);
    tg_scope_end();
  }
}

static void validate(tg_module *model, tg_dataloader *val_loader, epoch_record *rec) {
  tg_module_eval(model);
  tg_no_grad_begin(); /* with torch.no_grad(): */
  tg_loader_iter it = tg_loader_begin(val_loader);
  tg_tensor *X_val, *Y_val;
  while (tg_loader_next(&it, &X_val, &Y_val)) {
    tg_scope_begin();
    tg_tensor *logits = tg_module_forward(model, X_val);
    epoch_record_add(rec, Y_val, logits,
                     tg_item(tg_cross_entropy_loss(logits, Y_val, NULL)));
    tg_scope_end();
  }
  tg_no_grad_end();
}

static void log_epoch(tg_summary_writer *w, int epoch, const run_result *r,
                      double acTrain) {
  example_check(
      tg_summary_writer_add_scalar(w, "Loss/train", r->train_losses[epoch], epoch),
      "add_scalar");
  example_check(tg_summary_writer_add_scalar(w, "Loss/val", r->val_losses[epoch], epoch),
                "add_scalar");
  example_check(tg_summary_writer_add_scalar(w, "accuracy/train", acTrain, epoch),
                "add_scalar");
  example_check(tg_summary_writer_add_scalar(w, "accuracy/val", r->val_acc, epoch),
                "add_scalar");
}

/* test_batch = next(iter(train_loader)); total_batches_one_epoch =
 * len(iter(train_loader)) Both draw from the generator, as in PyTorch, so they stay even
 * when not shown. */
static void peek_loader(tg_dataloader *train_loader, bool show) {
  tg_loader_iter it = tg_loader_begin(train_loader);
  tg_tensor *test_X, *test_Y;
  tg_loader_next(&it, &test_X, &test_Y);
  char sx[TG_SHAPE_STR_MAX], sy[TG_SHAPE_STR_MAX];
  if (show)
    printf("test_batch: X %s Y %s, ", tg_shape_str(tg_shape_of(test_X), sx),
           tg_shape_str(tg_shape_of(test_Y), sy));
  tg_loader_end(&it);
  it = tg_loader_begin(train_loader);
  tg_loader_end(&it);
  if (show)
    printf("%lld batches per epoch\n", (long long)tg_dataloader_len(train_loader));
}

/* One run of the notebook from tg_manual_seed(seed) on: loaders, model,
 * optimizer, `epochs` epochs. Fills *r. */
static void train(run_result *r, tg_dataset *train_dataset, tg_dataset *val_dataset,
                  const example_args *args, bool show) {
  tg_manual_seed(args->seed);
  tg_dataloader *train_loader = tg_dataloader_new(train_dataset, BATCH_SIZE, true, false);
  tg_dataloader *val_loader = tg_dataloader_new(val_dataset, BATCH_SIZE, false, false);
  peek_loader(train_loader, show);
  tg_module *model = SimpleMultiClassificationNet_new();
  if (show) {
    tg_module_print(model);             /* print(model) */
    tg_summary(model, TG_SHAPE(10, 4)); /* summary(model, (10, 4)) */
  }
  tg_optimizer *optimizer = make_optimizer(r->kind, r->lr, model);
  char path[600];
  tg_summary_writer *tboardWriter =
      tg_summary_writer_open(example_path(args, r->tb_dir, path, sizeof path));
  if (!tboardWriter) example_check(-1, "SummaryWriter");

  int64_t n_train = tg_dataset_len(train_dataset), n_val = tg_dataset_len(val_dataset);
  r->train_losses = example_calloc((size_t)args->epochs, sizeof(double));
  r->val_losses = example_calloc((size_t)args->epochs, sizeof(double));
  r->val = epoch_record_new(n_val);
  printf("--- %s ---\n", r->name);
  tg_progress bar;
  tg_progress_begin(&bar, args->epochs * tg_dataloader_len(train_loader),
                    &(tg_progress_options){.desc = r->name});
  for (int epoch = 0; epoch < args->epochs; epoch++) { /* epochs loop */
    epoch_record tr = epoch_record_new(n_train);
    train_one_epoch(model, train_loader, optimizer, &tr, &bar);
    r->val.n = 0, r->val.loss_sum = 0, r->val.batches = 0;
    validate(model, val_loader, &r->val);
    r->train_losses[epoch] = epoch_mean_loss(&tr); /* mean loss for all batches */
    r->val_losses[epoch] = epoch_mean_loss(&r->val);
    r->val_acc = epoch_accuracy(&r->val);
    double acTrain = epoch_accuracy(&tr);
    log_epoch(tboardWriter, epoch, r, acTrain);
    if ((epoch + 1) % PRINT_EVERY == 0 || epoch == 0 || epoch == args->epochs - 1) {
      char cmTrain[128];
      format_confusion(&tr, cmTrain, sizeof cmTrain);
      tg_progress_write(&bar, stdout, /* print(cmTrain) */
                        "epoch=%3d, %s  loss=%.4f acc=%.3f val_loss=%.4f val_acc=%.3f\n",
                        epoch, cmTrain, r->train_losses[epoch], acTrain,
                        r->val_losses[epoch], r->val_acc);
    }
    epoch_record_free(&tr);
  }
  tg_progress_end(&bar);
  example_check(tg_summary_writer_close(tboardWriter), "SummaryWriter.close");
  tg_optimizer_free(optimizer);
  tg_module_free(model);
  tg_dataloader_free(train_loader);
  tg_dataloader_free(val_loader);
}

static void run_result_free(run_result *r) {
  free(r->train_losses);
  free(r->val_losses);
  epoch_record_free(&r->val);
}

/* ---- the pictures ------------------------------------------------------------------ */

static void plot_confusions(const run_result *runs, int n_runs, const char *const *names,
                            const example_args *args) {
  tg_figure *fig = tg_figure_new(420 * n_runs, 440, 1, n_runs);
  for (int k = 0; k < n_runs; k++) {
    tg_confusion cm;
    example_check(tg_confusion_matrix(runs[k].val.y, runs[k].val.yhat, runs[k].val.n,
                                      CLASS_LABELS, N_CLASSES, TG_NORMALIZE_NONE, &cm),
                  "confusion_matrix");
    double counts[N_CLASSES * N_CLASSES];
    for (int i = 0; i < N_CLASSES * N_CLASSES; i++) counts[i] = (double)cm.counts[i];
    tg_confusion_free(&cm);
    tg_axes *ax = tg_figure_axes(fig, k);
    tg_axes_confusion_matrix(ax, counts, N_CLASSES, names);
    tg_axes_colorbar(ax, "count");
    char title[128];
    snprintf(title, sizeof title, "%s: validation, accuracy %.3f", runs[k].name,
             runs[k].val_acc);
    tg_axes_set_title(ax, title);
  }
  char path[600];
  example_check(
      tg_figure_save(fig, example_path(args, "iris_confusion.png", path, sizeof path)),
      "saving iris_confusion.png");
  tg_figure_free(fig);
}

static void plot_losses(const run_result *runs, int n_runs, const example_args *args) {
  tg_figure *fig = tg_figure_new(800, 450, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  for (int k = 0; k < n_runs; k++) {
    char train_label[64], val_label[64];
    snprintf(train_label, sizeof train_label, "%s train", runs[k].name);
    snprintf(val_label, sizeof val_label, "%s val", runs[k].name);
    tg_axes_plot(ax, NULL, runs[k].train_losses, args->epochs,
                 &(tg_style){.label = train_label, .color = tg_color_cycle(k)});
    tg_axes_plot(
        ax, NULL, runs[k].val_losses, args->epochs,
        &(tg_style){.label = val_label, .color = tg_color_cycle(k), .dashed = true});
  }
  tg_axes_set_title(ax, "Iris: cross-entropy loss per epoch");
  tg_axes_set_xlabel(ax, "epoch");
  tg_axes_set_ylabel(ax, "loss");
  tg_axes_set_grid(ax, true);
  char path[600];
  example_check(
      tg_figure_save(fig, example_path(args, "iris_loss.png", path, sizeof path)),
      "saving iris_loss.png");
  tg_figure_free(fig);
}

static void print_report(const run_result *r, const char *const *names) {
  tg_report_options o = tg_report_options_default();
  o.target_names = names;
  o.digits = 3;
  printf("%s validation report:\n", r->name);
  example_check(
      tg_classification_report_fprint(stdout, r->val.y, r->val.yhat, r->val.n, &o),
      "classification_report");
  printf("\n");
}

/* ---- the notebook ---------------------------------------------------------------------
 */

/* Everything up to the datasets: tensors made here die with the scope, the
 * datasets keep what they need. */
static void load_data(tg_bunch *iris, tg_dataset **train_dataset,
                      tg_dataset **val_dataset) {
  example_check(tg_load_iris(iris), "load_iris"); /* iris = load_iris() */
  tg_scope_begin();
  tg_tensor *X, *y; /* X = iris['data']; y = iris['target'] */
  tg_bunch_tensors(iris, &X, &y);
  tg_split_options split = tg_split_defaults();
  split.test_size = .2;
  split.random_state = 13;
  tg_tensor *X_train, *X_val, *y_train, *y_val;
  example_check(
      tg_train_test_split_tensors(X, y, &split, &X_train, &X_val, &y_train, &y_val),
      "train_test_split");
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_standard_scaler_fit(sc, X_train); /* note only from training data */
  X_train = tg_standard_scaler_transform(sc, X_train);
  X_val = tg_standard_scaler_transform(sc, X_val);
  tg_standard_scaler_free(sc);
  tg_tensor *x_train_tensor = tg_to(X_train, TG_FLOAT32); /* torch.as_tensor(X).float() */
  tg_tensor *x_val_tensor = tg_to(X_val, TG_FLOAT32);
  /* The slide writes torch.as_tensor(y_train.reshape(-1, 1)).float(), which
   * CrossEntropyLoss rejects in PyTorch ("0D or 1D target tensor expected,
   * multi-target not supported") and in tensorgrad:
   *   tg_cross_entropy_loss: expected an int64 class-index target of shape (10)
   *   for input of shape (10x3) (or class probabilities of shape (10x3)), got a
   *   float32 target of shape (10x1)
   * The targets are class indices: int64 of shape (N), as y already is. */
  tg_tensor *y_train_tensor = y_train, *y_val_tensor = y_val;
  *train_dataset = IRISDataset_new(x_train_tensor, y_train_tensor);
  *val_dataset = IRISDataset_new(x_val_tensor, y_val_tensor);
  tg_scope_end();
}

int main(int argc, char **argv) {
  example_args args;
  example_parse(argc, argv, "iris", 100, &args);
  tg_bunch iris = {0};
  tg_dataset *train_dataset, *val_dataset;
  load_data(&iris, &train_dataset, &val_dataset);
  const char *const *names = (const char *const *)iris.target_names;

  /* the "Model, Loss, Optimizer" slide, the "PyTorch for Adam" slide (lr 0.1),
   * and Adam with the slide's own step size alpha = 0.001, which is stable */
  run_result runs[N_RUNS] = {
      {.name = "SGD lr=0.1", .kind = USE_SGD, .lr = 0.1, .tb_dir = "sgd"},
      {.name = "Adam lr=0.1", .kind = USE_ADAM, .lr = 0.1, .tb_dir = "adam"},
      {.name = "Adam lr=0.001", .kind = USE_ADAM, .lr = 0.001, .tb_dir = "adam_lr1e-3"}};
  for (int k = 0; k < N_RUNS; k++)
    train(&runs[k], train_dataset, val_dataset, &args, k == 0);
  for (int k = 0; k < N_RUNS; k++) print_report(&runs[k], names);
  plot_confusions(runs, N_RUNS, names, &args);
  plot_losses(runs, N_RUNS, &args);

  printf("iris: val_acc_sgd=%.3f val_acc_adam=%.3f val_acc_adam_lr1e-3=%.3f epochs=%d "
         "seconds=%.1f\n",
         runs[0].val_acc, runs[1].val_acc, runs[2].val_acc, args.epochs,
         example_seconds(&args));
  for (int k = 0; k < N_RUNS; k++) run_result_free(&runs[k]);
  tg_dataset_release(train_dataset);
  tg_dataset_release(val_dataset);
  tg_bunch_free(&iris);
  return 0;
}
