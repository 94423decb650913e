/* The digits MLP of Home Task 3 (examples/digits.c), trained data-parallel:
 *
 *   mpirun -np 2 build/examples/ddp_digits [--epochs N] [--seed S] [--out DIR]
 *                                          [--threads T] [--resume]
 *
 * (as root add --allow-run-as-root; more ranks than cores needs
 * --oversubscribe). Every rank loads the same data and builds the same
 * model; DistributedDataParallel makes rank 0's weights everyone's and
 * averages the gradients during backward, and a DistributedSampler gives each
 * rank its share of every epoch (batch 32 per rank, so the global batch is
 * 32 x world size). The test accuracy is counted on each rank's share of the
 * test set and summed across ranks. Rank 0 alone writes
 *   DIR/losses.txt               epoch, step and the loss averaged over the ranks
 *   DIR/checkpoint.safetensors   model (without the DDP wrapper) + Adam + epoch
 *   DIR/tensorboard              Loss/train and accuracy/test per epoch
 * and the summary line. --resume continues from the checkpoint, with any
 * number of ranks. The PyTorch twin is examples/pytorch/ddp_digits.py. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "example.h"
#include "tensorgrad.h"
#include "tensorgrad/dist.h"

enum { N_CLASSES = 10, BATCH_SIZE = 32 };

static tg_module *mlp(void) { /* one layer per statement: PyTorch's init order */
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_linear(64, 128, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_linear(128, 64, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_linear(64, N_CLASSES, true));
  return m;
}

typedef struct digits {
  tg_dataset *train, *test; /* standardized float32 features, int64 labels */
} digits;

/* load_digits -> train_test_split(test_size=.2, random_state=13) -> StandardScaler
 * fitted on the training rows: the same on every rank. */
static digits load(void) {
  tg_scope_begin();
  tg_tensor *X, *y, *X_train, *X_test, *y_train, *y_test;
  example_check(tg_load_digits_tensors(&X, &y, N_CLASSES), "load_digits");
  tg_split_options split = tg_split_defaults();
  split.test_size = .2;
  split.random_state = 13;
  example_check(
      tg_train_test_split_tensors(X, y, &split, &X_train, &X_test, &y_train, &y_test),
      "train_test_split");
  tg_standard_scaler *sc = tg_standard_scaler_new(true, true);
  tg_standard_scaler_fit(sc, X_train);
  digits d = {tg_tensor_dataset_new(
                  tg_to(tg_standard_scaler_transform(sc, X_train), TG_FLOAT32), y_train),
              tg_tensor_dataset_new(
                  tg_to(tg_standard_scaler_transform(sc, X_test), TG_FLOAT32), y_test)};
  tg_standard_scaler_free(sc);
  tg_scope_end();
  return d;
}

/* This rank's samples of the epoch, in batches of BATCH_SIZE:
 * DataLoader(ds, batch_size=32, sampler=DistributedSampler(ds, seed=seed)). */
static tg_dataloader *epoch_loader(tg_dataset *ds, bool shuffle, uint64_t seed,
                                   int64_t epoch) {
  tg_distributed_sampler s =
      tg_distributed_sampler_make(tg_dataset_len(ds), -1, -1, shuffle, seed, false);
  tg_distributed_sampler_set_epoch(&s, epoch);
  tg_dataset *mine = tg_distributed_sampler_subset(&s, ds);
  tg_dataloader *loader = tg_dataloader_new(mine, BATCH_SIZE, false, false);
  tg_dataset_release(mine);
  return loader;
}

/* Mean over the epoch's steps of the loss averaged across ranks; rank 0
 * appends each step's to losses (may be NULL). */
static double train_epoch(tg_module *model, tg_optimizer *opt, tg_dataloader *loader,
                          int64_t epoch, FILE *losses) {
  tg_module_train(model, true);
  double sum = 0;
  int64_t steps = 0;
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  while (tg_loader_next(&it, &X, &Y)) {
    tg_scope_begin();
    tg_tensor *loss = tg_cross_entropy_loss(tg_module_forward(model, X), Y, NULL);
    tg_backward(loss, NULL, 0); /* gradients averaged over the ranks in here */
    tg_optimizer_step(opt);
    tg_optimizer_zero_grad(opt, false);
    double global = tg_dist_all_reduce_scalar(tg_item(loss), TG_DIST_MEAN);
    if (losses)
      fprintf(losses, "%lld %lld %.8f\n", (long long)epoch, (long long)steps, global);
    sum += global;
    steps++;
    tg_scope_end();
  }
  return sum / (double)steps;
}

/* Right answers on this rank's share of the test set, summed over the ranks. */
static double test_accuracy(tg_module *model, tg_dataset *test) {
  tg_module_eval(model);
  tg_no_grad_begin();
  tg_dataloader *loader = epoch_loader(test, false, 0, 0);
  double counts[2] = {0, 0}; /* right, seen */
  tg_loader_iter it = tg_loader_begin(loader);
  tg_tensor *X, *Y;
  while (tg_loader_next(&it, &X, &Y)) {
    tg_scope_begin();
    tg_tensor *pred = tg_argmax(tg_module_forward(model, X), 1, false);
    counts[0] += tg_item(tg_sum(tg_eq(pred, Y), TG_ALL_DIMS, false));
    counts[1] += (double)tg_numel(Y);
    tg_scope_end();
  }
  tg_dataloader_free(loader);
  tg_no_grad_end();
  tg_scope_begin();
  tg_tensor *both = tg_from_data(counts, TG_SHAPE(2), TG_FLOAT64);
  tg_dist_all_reduce(both, TG_DIST_SUM); /* the global count */
  double acc = tg_get_flat(both, 0) / tg_get_flat(both, 1);
  tg_scope_end();
  return acc;
}

/* --resume: every rank loads rank 0's last checkpoint; returns the next epoch. */
static int64_t resume(const example_args *args, tg_module *model, tg_optimizer *opt) {
  char path[600];
  example_path(args, "checkpoint.safetensors", path, sizeof path);
  if (!args->resume || access(path, R_OK) != 0) return 0;
  int64_t epoch;
  example_check(tg_checkpoint_load(path, model, opt, &epoch, NULL), "resume");
  if (tg_dist_rank() == 0)
    printf("resumed from %s after epoch %lld on %d ranks\n", path, (long long)epoch,
           tg_dist_world_size());
  return epoch + 1;
}

typedef struct rank0_files {
  FILE *losses;
  tg_summary_writer *board;
} rank0_files;

static rank0_files open_files(const example_args *args, bool append) {
  rank0_files f = {NULL, NULL};
  if (tg_dist_rank() != 0) return f;
  char path[600];
  f.losses =
      fopen(example_path(args, "losses.txt", path, sizeof path), append ? "a" : "w");
  if (!f.losses) example_check(-1, "losses.txt");
  f.board = tg_summary_writer_open(example_path(args, "tensorboard", path, sizeof path));
  if (!f.board) example_check(-1, "SummaryWriter");
  return f;
}

static void log_epoch(rank0_files *f, const example_args *args, tg_module *model,
                      tg_optimizer *opt, int64_t epoch, double loss, double acc) {
  if (tg_dist_rank() == 0) {
    char path[600];
    example_check(tg_summary_writer_add_scalar(f->board, "Loss/train", loss, epoch),
                  "add_scalar");
    example_check(tg_summary_writer_add_scalar(f->board, "accuracy/test", acc, epoch),
                  "add_scalar");
    example_check(tg_checkpoint_save(
                      example_path(args, "checkpoint.safetensors", path, sizeof path),
                      model, opt, epoch, NULL),
                  "checkpoint");
    printf("epoch %3lld  loss=%.4f  test_acc=%.4f\n", (long long)epoch, loss, acc);
    fflush(stdout);
  }
  tg_dist_barrier(); /* the checkpoint is complete before any rank may read it */
}

int main(int argc, char **argv) {
  if (tg_dist_init(&argc, &argv) != 0) {
    fprintf(stderr, "ddp_digits: %s\n", tg_last_error());
    return 1;
  }
  example_args args;
  example_parse(argc, argv, "ddp_digits", 10, &args);
  digits data = load();
  tg_module *model = tg_ddp(mlp(), NULL); /* DDP(model): rank 0's weights everywhere */
  tg_optimizer *opt = tg_adam(tg_module_parameters(model), TG_ADAM_DEFAULTS);
  int64_t first_epoch = resume(&args, tg_ddp_module(model), opt);
  rank0_files files = open_files(&args, first_epoch > 0);
  double loss = 0, acc = 0;
  for (int64_t epoch = first_epoch; epoch < args.epochs; epoch++) {
    tg_dataloader *loader = epoch_loader(data.train, true, args.seed, epoch);
    loss = train_epoch(model, opt, loader, epoch, files.losses);
    tg_dataloader_free(loader);
    acc = test_accuracy(model, data.test);
    log_epoch(&files, &args, tg_ddp_module(model), opt, epoch, loss, acc);
  }
  if (tg_dist_rank() == 0) {
    fclose(files.losses);
    example_check(tg_summary_writer_close(files.board), "SummaryWriter.close");
    printf("ddp_digits: world_size=%d epochs=%d final_loss=%.4f test_acc=%.4f "
           "seconds=%.1f\n",
           tg_dist_world_size(), args.epochs, loss, acc, example_seconds(&args));
  }
  tg_optimizer_free(opt);
  tg_module_free(model);
  tg_dataset_release(data.train);
  tg_dataset_release(data.test);
  tg_dist_finalize();
  return 0;
}
