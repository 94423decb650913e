/* bench/train.h - the lecture's training loop, shared by the moons, Iris and
 * digits benchmarks (bench/pytorch/train.py is its twin): scaled float32
 * data split as the notebooks do, an MLP, a loader, and one epoch. */
#ifndef TG_BENCH_TRAIN_H
#define TG_BENCH_TRAIN_H

#include "tensorgrad.h"

typedef enum { TASK_BCE, TASK_CROSS_ENTROPY } task_loss;

typedef struct task {
  tg_module *model;
  tg_optimizer *opt;
  tg_dataset *train_set, *val_set;
  tg_dataloader *train, *val; /* val NULL: no validation pass */
  task_loss loss;
} task;

/* X (n, f) float64 and y (n) int64 as the dataset functions return them:
 * train_test_split(test_size=0.2, random_state=13), StandardScaler fitted
 * on the training part, float32; y becomes float32 (n, 1) for BCE. Steals
 * X and y. */
void task_data(task *t, tg_tensor *X, tg_tensor *y, int64_t batch_size, bool validate);

/* Linear layers of the given sizes, ReLU between them when relu, and a
 * final Sigmoid when sigmoid (lecture's SimpleClassificationNet: none
 * between, sigmoid at the end). */
tg_module *task_mlp(const int64_t *sizes, int n_sizes, bool relu, bool sigmoid);

/* One epoch: train over every batch (forward, loss, backward, step,
 * zero_grad, loss.item()), then the validation pass under no_grad. */
void task_epoch(void *t);

void task_free(task *t);

/* A model trained over and over on one fixed batch (gemm_mlp, ddp_gemm). */
typedef struct batch_step {
  tg_module *model;
  tg_optimizer *opt;
  tg_tensor *x, *y; /* (B, features) float32, (B) int64 classes */
} batch_step;

/* An MLP of the given sizes (ReLU between), Adam with PyTorch's defaults,
 * randn (batch, sizes[0]) float32 input and randint classes, drawn in the
 * twins' order after tg_manual_seed(0). */
batch_step batch_step_mlp(const int64_t *sizes, int n_sizes, int64_t batch);
void batch_step_free(batch_step *s);

/* n steps: forward, cross-entropy, backward, step, zero_grad, loss.item(). */
void batch_steps(batch_step *s, int n);

#endif
