/* Other optimizers (lecture 6): SGD, SGD with momentum, RMSprop and Adam.
 *
 * 1. The four optimizers train the same network (the Iris model, 4 -> 50 ->
 *    100 -> 3) on the same batches: the generator is re-seeded before each
 *    run, so the initial weights and the shuffles match. Loss per iteration
 *    goes to DIR/optimizers_loss.png and to TensorBoard (DIR/tb, one run per
 *    optimizer on one chart, as add_scalars makes it).
 * 2. The same optimizers, the real tg ones, walk the slide's ill-conditioned
 *    bowl f(w) = 0.5 * (A * w1^2 + B * w2^2) with B >> A from one start:
 *    plain SGD jitters along the steep w2 and crawls along the shallow w1
 *    ("very slow progress along shallow dimension, jitter along steep
 *    direction"); DIR/optimizers_paths.png draws the contours and the paths.
 *
 * PyTorch's momentum is m = beta * m + g (dampening 0), not the slide's
 * m = beta * m + (1 - beta) * g: at the same lr its steady steps are
 * 1 / (1 - beta) = 10 times the slide's, which is much of why momentum pulls
 * ahead of plain SGD at SGD's lr on the network. On the bowl, SGD's lr is
 * already at the steep direction's limit (lr * B < 2), so momentum gets a
 * smaller one.
 * The PyTorch twin is examples/pytorch/optimizers.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"
#include "tensorgrad.h"
#include "tensorgrad/progress.h"

enum { N_OPTIMIZERS = 4, BATCH_SIZE = 10, PATH_STEPS = 50, GRID = 201 };
static const double A = 0.2, B = 20.0; /* curvature along w1 (shallow) and w2 (steep) */
static const double START[2] = {-4.5, 1.5};

/* ---- the four optimizers ------------------------------------------------------------
 */

static tg_optimizer *make_sgd(tg_params params, double lr) {
  tg_sgd_options o = TG_SGD_DEFAULTS; /* optim.SGD(params, lr=lr) */
  o.lr = lr;
  return tg_sgd(params, o);
}

static tg_optimizer *make_momentum(tg_params params, double lr) {
  tg_sgd_options o = TG_SGD_DEFAULTS; /* optim.SGD(params, lr=lr, momentum=0.9) */
  o.lr = lr;
  o.momentum = 0.9;
  return tg_sgd(params, o);
}

static tg_optimizer *make_rmsprop(tg_params params, double lr) {
  tg_rmsprop_options o = TG_RMSPROP_DEFAULTS; /* optim.RMSprop(params, lr=lr) */
  o.lr = lr;
  return tg_rmsprop(params, o);
}

static tg_optimizer *make_adam(tg_params params, double lr) {
  tg_adam_options o = TG_ADAM_DEFAULTS; /* optim.Adam(params, lr=lr) */
  o.lr = lr;
  return tg_adam(params, o);
}

typedef struct optimizer_spec {
  const char *name, *key; /* legend and summary key */
  tg_optimizer *(*make)(tg_params params, double lr);
  double lr_network, lr_bowl;
} optimizer_spec;

static const optimizer_spec OPTIMIZERS[N_OPTIMIZERS] = {
    {"SGD", "sgd", make_sgd, 0.1, 0.09},
    {"SGD+momentum 0.9", "momentum", make_momentum, 0.1, 0.02},
    {"RMSprop", "rmsprop", make_rmsprop, 0.001, 0.05},
    {"Adam", "adam", make_adam, 0.001, 0.3},
};

/* ---- 1. the network
 * --------------------------------------------------------------------- */

/* The Iris training rows, scaled on themselves, as a TensorDataset. */
static tg_dataset *iris_train_dataset(void) {
  tg_scope_begin();
  tg_tensor *X, *y, *X_train, *X_val, *y_train, *y_val;
  example_check(tg_load_iris_tensors(&X, &y), "load_iris");
  tg_split_options split = tg_split_defaults();
  split.test_size = .2;
  split.random_state = 13;
  example_check(
      tg_train_test_split_tensors(X, y, &split, &X_train, &X_val, &y_train, &y_val),
      "train_test_split");
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_tensor *scaled = tg_standard_scaler_fit_transform(sc, X_train);
  tg_standard_scaler_free(sc);
  tg_dataset *ds = tg_tensor_dataset_new(tg_to(scaled, TG_FLOAT32), y_train);
  tg_scope_end(); /* the dataset holds its own references */
  return ds;
}

/* Trains a fresh network from tg_manual_seed(seed) with one optimizer;
 * losses[i] is the loss of iteration i. */
static void train_network(const optimizer_spec *spec, tg_dataset *dataset, int epochs,
                          uint64_t seed, double *losses) {
  tg_manual_seed(seed); /* same init, same shuffles for every optimizer */
  tg_dataloader *loader = tg_dataloader_new(dataset, BATCH_SIZE, true, false);
  /* nn.Sequential(nn.Linear(4, 50), nn.ReLU(), nn.Linear(50, 100), nn.ReLU(),
   * nn.Linear(100, 3)), built one layer per statement: C leaves the order in
   * which function arguments are evaluated open (gcc goes right to left), and
   * the layers must draw their initial weights in PyTorch's order. */
  tg_module *model = tg_nn_sequential(NULL);
  tg_nn_sequential_append(model, tg_nn_linear(4, 50, true));
  tg_nn_sequential_append(model, tg_nn_relu());
  tg_nn_sequential_append(model, tg_nn_linear(50, 100, true));
  tg_nn_sequential_append(model, tg_nn_relu());
  tg_nn_sequential_append(model, tg_nn_linear(100, 3, true));
  tg_optimizer *optimizer = spec->make(tg_module_parameters(model), spec->lr_network);
  int64_t iteration = 0;
  tg_progress bar;
  tg_progress_begin(&bar, epochs * tg_dataloader_len(loader),
                    &(tg_progress_options){.desc = spec->name});
  for (int epoch = 0; epoch < epochs; epoch++) {
    tg_loader_iter it = tg_loader_begin(loader);
    tg_tensor *X, *Y;
    while (tg_loader_next(&it, &X, &Y)) {
      tg_scope_begin();
      tg_tensor *loss = tg_cross_entropy_loss(tg_module_forward(model, X), Y, NULL);
      tg_backward(loss, NULL, 0);
      tg_optimizer_step(optimizer);
      tg_optimizer_zero_grad(optimizer, false);
      losses[iteration++] = tg_item(loss);
      tg_progress_set_postfix(&bar, "loss=%.4f", tg_item(loss));
      tg_progress_update(&bar, 1);
      tg_scope_end();
    }
  }
  tg_progress_end(&bar);
  tg_optimizer_free(optimizer);
  tg_module_free(model);
  tg_dataloader_free(loader);
}

/* ---- 2. the bowl
 * ------------------------------------------------------------------------ */

static double bowl(double w1, double w2) {
  return 0.5 * (A * w1 * w1 + B * w2 * w2);
}

/* PATH_STEPS steps of the optimizer on a 2-element parameter from START;
 * path gets the PATH_STEPS + 1 points visited (w1 in path_x, w2 in path_y). */
static void walk(const optimizer_spec *spec, double *path_x, double *path_y) {
  tg_tensor *w = tg_requires_grad_(tg_from_data(START, TG_SHAPE(2), TG_FLOAT64), true);
  const double curvature_values[2] = {A, B};
  tg_tensor *curvature = tg_from_data(curvature_values, TG_SHAPE(2), TG_FLOAT64);
  tg_optimizer *optimizer = spec->make(TG_PARAMS(w), spec->lr_bowl);
  for (int step = 0; step <= PATH_STEPS; step++) {
    path_x[step] = tg_get_flat(w, 0);
    path_y[step] = tg_get_flat(w, 1);
    if (step == PATH_STEPS) break;
    tg_scope_begin();
    /* loss = 0.5 * (A * w1^2 + B * w2^2) */
    tg_tensor *loss =
        tg_mul_scalar(tg_sum(tg_mul(curvature, tg_mul(w, w)), TG_ALL_DIMS, false), 0.5);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(optimizer);
    tg_optimizer_zero_grad(optimizer, false);
    tg_scope_end();
  }
  tg_optimizer_free(optimizer);
  tg_release(curvature);
  tg_release(w);
}

/* ---- pictures and logs
 * ------------------------------------------------------------------- */

static void plot_losses(double *const *losses, int64_t n, int64_t per_epoch,
                        const example_args *args) {
  tg_figure *fig = tg_figure_new(900, 480, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  double *smooth = example_calloc((size_t)n, sizeof *smooth);
  for (int k = 0; k < N_OPTIMIZERS; k++)
    tg_axes_plot(ax, NULL, losses[k], (int)n,
                 &(tg_style){.color = example_faded(tg_color_cycle(k)), .line_width = 1});
  for (int k = 0; k < N_OPTIMIZERS; k++) {
    char label[64];
    snprintf(label, sizeof label, "%s lr=%g", OPTIMIZERS[k].name,
             OPTIMIZERS[k].lr_network);
    example_centered_mean(losses[k], n, per_epoch / 2, smooth);
    tg_axes_plot(ax, NULL, smooth, (int)n,
                 &(tg_style){.label = label, .color = tg_color_cycle(k)});
  }
  free(smooth);
  tg_axes_set_title(
      ax, "Same network, same batches: loss per iteration (bold: one-epoch mean)");
  tg_axes_set_xlabel(ax, "iteration");
  tg_axes_set_ylabel(ax, "cross-entropy loss");
  tg_axes_set_grid(ax, true);
  char path[600];
  example_check(
      tg_figure_save(fig, example_path(args, "optimizers_loss.png", path, sizeof path)),
      "saving optimizers_loss.png");
  tg_figure_free(fig);
}

static void plot_paths(double (*px)[PATH_STEPS + 1], double (*py)[PATH_STEPS + 1],
                       const example_args *args) {
  tg_extent extent = {-5, 5, -2, 2};
  double *z = example_calloc((size_t)GRID * GRID, sizeof *z);
  for (int j = 0; j < GRID; j++)
    for (int i = 0; i < GRID; i++)
      z[j * GRID + i] = bowl(extent.xmin + (extent.xmax - extent.xmin) * i / (GRID - 1),
                             extent.ymin + (extent.ymax - extent.ymin) * j / (GRID - 1));
  const double levels[] = {0.05, 0.2, 0.5, 1, 2, 5, 10, 20, 40};
  tg_figure *fig = tg_figure_new(900, 440, 1, 1);
  tg_axes *ax = tg_figure_axes(fig, 0);
  tg_axes_contour(ax, z, GRID, GRID, extent, levels, sizeof levels / sizeof *levels,
                  &(tg_style){.color = TG_RGB(0xc0, 0xc0, 0xc0)});
  free(z);
  for (int k = 0; k < N_OPTIMIZERS; k++) {
    char label[64];
    snprintf(label, sizeof label, "%s lr=%g", OPTIMIZERS[k].name, OPTIMIZERS[k].lr_bowl);
    tg_axes_plot(
        ax, px[k], py[k], PATH_STEPS + 1,
        &(tg_style){.label = label, .color = tg_color_cycle(k), .marker_size = 2.5});
  }
  char title[128];
  snprintf(title, sizeof title, "%d steps on f(w) = 0.5 (%g w1^2 + %g w2^2)", PATH_STEPS,
           A, B);
  tg_axes_set_title(ax, title);
  tg_axes_set_xlabel(ax, "w1 (shallow)");
  tg_axes_set_ylabel(ax, "w2 (steep)");
  tg_axes_set_xlim(ax, extent.xmin, extent.xmax);
  tg_axes_set_ylim(ax, extent.ymin, extent.ymax);
  tg_axes_set_equal_aspect(ax, true);
  char path[600];
  example_check(
      tg_figure_save(fig, example_path(args, "optimizers_paths.png", path, sizeof path)),
      "saving optimizers_paths.png");
  tg_figure_free(fig);
}

/* tboardWriter.add_scalars("Loss/train", {"sgd": ..., ...}, iteration) */
static void log_losses(double *const *losses, int64_t n, const example_args *args) {
  char dir[600];
  tg_summary_writer *w =
      tg_summary_writer_open(example_path(args, "tb", dir, sizeof dir));
  if (!w) example_check(-1, "SummaryWriter");
  const char *names[N_OPTIMIZERS];
  for (int k = 0; k < N_OPTIMIZERS; k++) names[k] = OPTIMIZERS[k].key;
  for (int64_t i = 0; i < n; i++) {
    double values[N_OPTIMIZERS];
    for (int k = 0; k < N_OPTIMIZERS; k++) values[k] = losses[k][i];
    example_check(
        tg_summary_writer_add_scalars(w, "Loss/train", names, values, N_OPTIMIZERS, i),
        "add_scalars");
  }
  example_check(tg_summary_writer_close(w), "SummaryWriter.close");
}

int main(int argc, char **argv) {
  example_args args;
  example_parse(argc, argv, "optimizers", 30, &args);
  tg_dataset *dataset = iris_train_dataset();
  tg_dataloader *probe = tg_dataloader_new(dataset, BATCH_SIZE, false, false);
  int64_t per_epoch = tg_dataloader_len(probe), n = per_epoch * args.epochs;
  tg_dataloader_free(probe);

  double *losses[N_OPTIMIZERS];
  double path_x[N_OPTIMIZERS][PATH_STEPS + 1], path_y[N_OPTIMIZERS][PATH_STEPS + 1];
  char summary[512] = "";
  for (int k = 0; k < N_OPTIMIZERS; k++) {
    const optimizer_spec *spec = &OPTIMIZERS[k];
    losses[k] = example_calloc((size_t)n, sizeof(double));
    train_network(spec, dataset, args.epochs, args.seed, losses[k]);
    walk(spec, path_x[k], path_y[k]);
    double last = 0; /* mean loss of the last epoch: one iteration is too noisy */
    for (int64_t i = n - per_epoch; i < n; i++) last += losses[k][i] / (double)per_epoch;
    double f_end = bowl(path_x[k][PATH_STEPS], path_y[k][PATH_STEPS]);
    printf(
        "%-17s lr=%-6g first loss %.6f  last epoch %.6f | bowl lr=%-5g f after %d steps "
        "%.3g\n",
        spec->name, spec->lr_network, n ? losses[k][0] : 0.0, n ? last : 0.0,
        spec->lr_bowl, PATH_STEPS, f_end);
    size_t len = strlen(summary);
    snprintf(summary + len, sizeof summary - len, "%s=%.4f f_%s=%.3g ", spec->key,
             n ? last : 0.0, spec->key, f_end);
  }
  plot_losses(losses, n, per_epoch, &args);
  plot_paths(path_x, path_y, &args);
  log_losses(losses, n, &args);

  printf("optimizers: %sepochs=%d seconds=%.1f\n", summary, args.epochs,
         example_seconds(&args));
  for (int k = 0; k < N_OPTIMIZERS; k++) free(losses[k]);
  tg_dataset_release(dataset);
  return 0;
}
