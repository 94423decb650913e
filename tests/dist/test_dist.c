/* tensorgrad_dist under `mpirun -np W` (ctest runs W = 2 and W = 4): the
 * collectives, DistributedSampler against PyTorch's indices, and DDP against
 * one process: W ranks with batch B end with the parameters of a single
 * process trained with batch W*B on the same samples (float64: to the last
 * bit when W = 2, where the two-term sum has one order; otherwise within
 * rounding). Also no_sync, buckets, buffers, mismatches and resuming a
 * checkpoint at another world size. Every rank runs every test. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "tensorgrad/checkpoint.h"
#include "tensorgrad/dist.h"
#include "test_util.h"

enum { IN = 5, HIDDEN = 8, OUT = 3, B = 4, STEPS = 3 };

static int W, RANK;

/* ---- collectives --------------------------------------------------------------- */

START_TEST(test_group) {
  const char *size = getenv("OMPI_COMM_WORLD_SIZE");
  if (size) ck_assert_int_eq(W, atoi(size));
  ck_assert_int_ge(RANK, 0);
  ck_assert_int_lt(RANK, W);
  ck_assert(tg_dist_is_initialized());
  tg_dist_barrier();
}
END_TEST

START_TEST(test_all_reduce_and_broadcast) {
  tg_scope_begin();
  tg_tensor *t = tg_full(TG_SHAPE(2, 3), RANK + 1, TG_FLOAT32);
  tg_dist_all_reduce(t, TG_DIST_SUM);
  ck_assert_double_eq(tg_get_flat(t, 5), W * (W + 1) / 2.0);
  tg_tensor *m = tg_full(TG_SHAPE(3), RANK + 1, TG_FLOAT64);
  tg_dist_all_reduce(m, TG_DIST_MEAN);
  ck_assert_double_eq(tg_get_flat(m, 0), (W + 1) / 2.0);
  tg_tensor *i = tg_full(TG_SHAPE(1), RANK, TG_INT64);
  tg_dist_all_reduce(i, TG_DIST_MAX);
  ck_assert_double_eq(tg_item(i), W - 1);
  tg_fill_(i, RANK);
  tg_dist_all_reduce(i, TG_DIST_MIN);
  ck_assert_double_eq(tg_item(i), 0);
  ck_assert_double_eq(tg_dist_all_reduce_scalar(1.5, TG_DIST_SUM), 1.5 * W);
  tg_tensor *b = tg_full(TG_SHAPE(4), RANK * 10, TG_FLOAT64);
  tg_dist_broadcast(b, W - 1);
  ck_assert_double_eq(tg_get_flat(b, 3), (W - 1) * 10);
  tg_scope_end();
}
END_TEST

START_TEST(test_collective_errors) {
  tg_scope_begin();
  tg_tensor *i = tg_zeros(TG_SHAPE(2), TG_INT64);
  TG_EXPECT_ERROR((tg_dist_all_reduce(i, TG_DIST_MEAN), 0),
                  "tg_dist_all_reduce: MEAN needs a floating tensor, got int64");
  tg_tensor *t = tg_t(tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32));
  TG_EXPECT_ERROR((tg_dist_all_reduce(t, TG_DIST_SUM), 0),
                  "tg_dist_all_reduce: the tensor must be contiguous");
  TG_EXPECT_ERROR((tg_dist_all_reduce(tg_zeros(TG_SHAPE(1), TG_BOOL), TG_DIST_SUM), 0),
                  "tg_dist_all_reduce: tensors of dtype bool cannot be communicated");
  TG_EXPECT_ERROR((tg_dist_broadcast(i, W), 0), "tg_dist_broadcast: root");
  TG_EXPECT_ERROR((tg_dist_set_timeout(0), 0),
                  "tg_dist_set_timeout: seconds must be > 0");
  tg_dist_set_timeout(tg_dist_timeout()); /* unchanged */
  tg_scope_end();
}
END_TEST

/* ---- DistributedSampler ---------------------------------------------------------- */

START_TEST(test_sampler_matches_pytorch) {
  static const struct {
    int64_t n;
    int replicas;
    bool shuffle;
    int seed, epoch;
    bool drop_last;
  } cases[] = {{10, 2, false, 0, 0, false},  {10, 3, false, 0, 0, false},
               {10, 3, false, 0, 0, true},   {2, 4, false, 0, 0, false},
               {3, 4, false, 0, 0, true},    {1437, 2, true, 0, 0, false},
               {1437, 2, true, 0, 1, false}, {1437, 4, true, 7, 3, true},
               {100, 3, true, 42, 5, false}};
  tg_golden *g = tg_golden_load(TG_TEST_DIR "/golden/dist.txt");
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
    for (int rank = 0; rank < cases[c].replicas; rank++) {
      tg_distributed_sampler s = tg_distributed_sampler_make(
          cases[c].n, cases[c].replicas, rank, cases[c].shuffle, (uint64_t)cases[c].seed,
          cases[c].drop_last);
      tg_distributed_sampler_set_epoch(&s, cases[c].epoch);
      char name[96];
      snprintf(name, sizeof name, "sampler_%lld_%d_%d_%d_%d_%d_rank%d",
               (long long)cases[c].n, cases[c].replicas, cases[c].shuffle, cases[c].seed,
               cases[c].epoch, cases[c].drop_last, rank);
      int64_t n;
      const double *expected = tg_golden_get(g, name, &n, NULL);
      ck_assert_int_eq(tg_distributed_sampler_len(&s), n);
      int64_t *got = calloc((size_t)n + 1, sizeof *got);
      tg_distributed_sampler_indices(&s, got);
      for (int64_t k = 0; k < n; k++)
        ck_assert_msg(got[k] == (int64_t)expected[k], "%s[%lld]: %lld, PyTorch %g", name,
                      (long long)k, (long long)got[k], expected[k]);
      free(got);
    }
  tg_golden_free(g);
}
END_TEST

START_TEST(test_sampler_errors) {
  TG_EXPECT_ERROR(tg_distributed_sampler_make(10, 2, 2, false, 0, false),
                  "tg_distributed_sampler_make: invalid rank 2, rank should be in the "
                  "interval [0, 1]");
  tg_scope_begin();
  tg_dataset *ds = tg_tensor_dataset_new(tg_zeros(TG_SHAPE(4, 2), TG_FLOAT32), NULL);
  tg_distributed_sampler s = tg_distributed_sampler_make(5, -1, -1, false, 0, false);
  TG_EXPECT_ERROR(tg_distributed_sampler_subset(&s, ds),
                  "tg_distributed_sampler_subset: the sampler was made for 5 samples but "
                  "TensorDataset has 4");
  tg_dataset_release(ds);
  tg_scope_end();
}
END_TEST

/* ---- DDP against one process ----------------------------------------------------- */

static tg_module *mlp(uint64_t seed, tg_dtype dtype) {
  tg_manual_seed(seed);
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_linear(IN, HIDDEN, true));
  tg_nn_sequential_append(m, tg_nn_tanh());
  tg_nn_sequential_append(m, tg_nn_linear(HIDDEN, OUT, true));
  tg_module_to(m, dtype);
  return m;
}

static tg_optimizer *sgd_for(tg_module *m) {
  tg_sgd_options o = TG_SGD_DEFAULTS;
  o.lr = 0.1;
  o.momentum = 0.9;
  return tg_sgd(tg_module_parameters(m), o);
}

/* The data every rank can make: STEPS global batches of W*B rows. */
typedef struct data {
  tg_tensor *X, *Y;
} data;

static void data_free(data *d) {
  tg_release(d->X);
  tg_release(d->Y);
}

/* Frees a model and its optimizer. */
static void drop(tg_module *m, tg_optimizer *opt) {
  tg_optimizer_free(opt);
  tg_module_free(m);
}

static data make_data(int64_t rows, tg_dtype dtype) {
  tg_manual_seed(99);
  tg_scope_begin();
  tg_tensor *X = tg_randn(TG_SHAPE(rows, IN), TG_FLOAT64);
  tg_tensor *Y = tg_randn(TG_SHAPE(rows, OUT), TG_FLOAT64);
  data d = {tg_keep(tg_to(X, dtype)), tg_keep(tg_to(Y, dtype))};
  tg_scope_end();
  return d;
}

/* Rows [first, first + n) of this step, as DistributedSampler without
 * shuffle hands them out: rank r gets rows r, r + world, r + 2 world, ... */
static tg_tensor *rank_rows(tg_tensor *t, int64_t first, int world, int rank) {
  tg_distributed_sampler s =
      tg_distributed_sampler_make(B * world, world, rank, false, 0, false);
  int64_t idx[64];
  tg_distributed_sampler_indices(&s, idx);
  for (int k = 0; k < B; k++) idx[k] += first;
  return tg_index_select(t, 0, tg_from_data(idx, TG_SHAPE(B), TG_INT64));
}

static tg_tensor *step_loss(tg_module *m, tg_tensor *X, tg_tensor *Y) {
  return tg_mse_loss(tg_module_forward(m, X), Y, TG_MEAN);
}

/* One process, batch world*B (a step of `steps` from step `first`). */
static void train_single(tg_module *m, tg_optimizer *opt, const data *d, int first,
                         int steps, int world) {
  for (int s = first; s < first + steps; s++) {
    tg_scope_begin();
    int64_t rows = (int64_t)world * B;
    tg_tensor *X = tg_narrow(d->X, 0, s * rows, rows),
              *Y = tg_narrow(d->Y, 0, s * rows, rows);
    tg_optimizer_zero_grad(opt, true);
    tg_backward(step_loss(m, X, Y), NULL, 0);
    tg_optimizer_step(opt);
    tg_scope_end();
  }
}

/* One process, the same arithmetic as DDP: each rank's gradient alone,
 * times 1/world, summed in rank order. */
static void train_accumulated(tg_module *m, tg_optimizer *opt, const data *d, int steps,
                              int world) {
  tg_tensor_dict *named = tg_module_named_parameters(m);
  for (int s = 0; s < steps; s++) {
    tg_scope_begin();
    tg_tensor *sums[8] = {0};
    for (int r = 0; r < world; r++) {
      tg_optimizer_zero_grad(opt, true);
      int64_t first = (int64_t)s * world * B;
      tg_backward(step_loss(m, rank_rows(d->X, first, world, r),
                            rank_rows(d->Y, first, world, r)),
                  NULL, 0);
      for (int i = 0; i < named->n; i++) {
        tg_tensor *part = tg_mul_scalar(tg_grad(named->items[i].tensor), 1.0 / world);
        sums[i] = sums[i] ? tg_add(sums[i], part) : part;
      }
    }
    for (int i = 0; i < named->n; i++) tg_copy_(tg_grad(named->items[i].tensor), sums[i]);
    tg_optimizer_step(opt);
    tg_scope_end();
  }
  tg_tensor_dict_free(named);
}

static void train_ddp(tg_module *ddp, tg_optimizer *opt, const data *d, int first,
                      int steps) {
  for (int s = first; s < first + steps; s++) {
    tg_scope_begin();
    int64_t rows = (int64_t)W * B * s;
    tg_optimizer_zero_grad(opt, true);
    tg_backward(
        step_loss(ddp, rank_rows(d->X, rows, W, RANK), rank_rows(d->Y, rows, W, RANK)),
        NULL, 0);
    tg_optimizer_step(opt);
    tg_scope_end();
  }
}

/* Largest |a - b| over the parameters; -1 when some differ in bits. */
static double max_difference(tg_module *a, tg_module *b, bool *bitwise_equal) {
  tg_tensor_dict *pa = tg_module_named_parameters(a), *pb = tg_module_named_parameters(b);
  double worst = 0;
  *bitwise_equal = true;
  for (int i = 0; i < pa->n; i++)
    for (int64_t k = 0; k < tg_numel(pa->items[i].tensor); k++) {
      double x = tg_get_flat(pa->items[i].tensor, k),
             y = tg_get_flat(pb->items[i].tensor, k);
      if (x != y) *bitwise_equal = false;
      worst = fmax(worst, fabs(x - y));
    }
  tg_tensor_dict_free(pa);
  tg_tensor_dict_free(pb);
  return worst;
}

/* Every rank holds the same parameters: max and min over ranks agree. */
static void assert_replicas_equal(tg_module *m) {
  tg_tensor_dict *named = tg_module_named_parameters(m);
  for (int i = 0; i < named->n; i++) {
    tg_scope_begin();
    tg_tensor *hi = tg_clone(tg_detach(named->items[i].tensor)), *lo = tg_clone(hi);
    tg_dist_all_reduce(hi, TG_DIST_MAX);
    tg_dist_all_reduce(lo, TG_DIST_MIN);
    ck_assert_double_eq(tg_item(tg_max_all(tg_abs(tg_sub(hi, lo)))), 0);
    tg_scope_end();
  }
  tg_tensor_dict_free(named);
}

static void check_against_one_process(tg_dtype dtype, const tg_ddp_options *opts,
                                      double tol) {
  data d = make_data((int64_t)STEPS * W * B, dtype);
  /* each rank starts from its own weights: wrapping gives all rank 0's */
  tg_module *ddp = tg_ddp(mlp(7 + (uint64_t)RANK, dtype), opts);
  tg_optimizer *opt = sgd_for(ddp);
  train_ddp(ddp, opt, &d, 0, STEPS);
  assert_replicas_equal(ddp);

  tg_module *single = mlp(7, dtype);
  tg_optimizer *single_opt = sgd_for(single);
  train_single(single, single_opt, &d, 0, STEPS, W);
  bool bitwise;
  double diff = max_difference(tg_ddp_module(ddp), single, &bitwise);
  ck_assert_msg(diff <= tol, "DDP vs one process with batch %d: max |diff| %g > %g",
                W * B, diff, tol);

  tg_module *acc = mlp(7, dtype);
  tg_optimizer *acc_opt = sgd_for(acc);
  train_accumulated(acc, acc_opt, &d, STEPS, W);
  diff = max_difference(tg_ddp_module(ddp), acc, &bitwise);
  if (W == 2 && dtype == TG_FLOAT64)
    ck_assert_msg(bitwise, "W=2 float64 DDP is not bitwise the accumulated run: %g",
                  diff);
  else
    ck_assert_msg(diff <= tol, "DDP vs accumulated gradients: %g", diff);

  drop(acc, acc_opt);
  drop(single, single_opt);
  drop(ddp, opt);
  data_free(&d);
}

START_TEST(test_ddp_float64_equals_one_process) {
  check_against_one_process(TG_FLOAT64, NULL, 1e-12);
}
END_TEST

START_TEST(test_ddp_float32_equals_one_process) {
  check_against_one_process(TG_FLOAT32, NULL, 1e-5);
}
END_TEST

/* One bucket per parameter: they start one by one during backward */
START_TEST(test_ddp_small_buckets_in_reverse_order) {
  tg_ddp_options o = TG_DDP_DEFAULTS;
  o.bucket_cap_mb = o.first_bucket_cap_mb = 1e-9;
  tg_module *ddp = tg_ddp(mlp(7, TG_FLOAT64), &o);
  ck_assert_int_eq(tg_ddp_num_buckets(ddp), 4);
  for (int p = 0; p < 4; p++) ck_assert_int_eq(tg_ddp_bucket_of(ddp, p), 3 - p);
  tg_module_free(ddp);
  /* the weight of the last layer (24 doubles) fills a 200-byte first bucket */
  o.first_bucket_cap_mb = 150.0 / (1024 * 1024);
  o.bucket_cap_mb = 1;
  ddp = tg_ddp(mlp(7, TG_FLOAT64), &o);
  ck_assert_int_eq(tg_ddp_num_buckets(ddp), 2);
  ck_assert_int_eq(tg_ddp_bucket_of(ddp, 3), 0); /* bias 2 */
  ck_assert_int_eq(tg_ddp_bucket_of(ddp, 2), 0); /* weight 2: now 192 bytes >= 150 */
  ck_assert_int_eq(tg_ddp_bucket_of(ddp, 1), 1);
  ck_assert_int_eq(tg_ddp_bucket_of(ddp, 0), 1);
  TG_EXPECT_ERROR(tg_ddp_bucket_of(ddp, 4),
                  "tg_ddp_bucket_of: parameter 4 is out of range");
  tg_module_free(ddp);
  o.bucket_cap_mb = o.first_bucket_cap_mb = 1e-9;
  check_against_one_process(TG_FLOAT64, &o, 1e-12);
  /* each bucket starts from the hooks as soon as its gradient is in, while
   * backward goes on (not all at the end), unless under no_sync */
  ddp = tg_ddp(mlp(7, TG_FLOAT64), &o);
  tg_scope_begin();
  tg_tensor *x = tg_ones(TG_SHAPE(2, IN), TG_FLOAT64);
  tg_backward(tg_sum(tg_module_forward(ddp, x), TG_ALL_DIMS, false), NULL, 0);
  ck_assert_int_eq(tg_ddp_buckets_started_early(ddp), W > 1 ? 4 : 0);
  tg_ddp_no_sync_begin(ddp);
  tg_backward(tg_sum(tg_module_forward(ddp, x), TG_ALL_DIMS, false), NULL, 0);
  tg_ddp_no_sync_end(ddp);
  ck_assert_int_eq(tg_ddp_buckets_started_early(ddp), W > 1 ? 4 : 0); /* unchanged */
  tg_scope_end();
  tg_module_free(ddp);
}
END_TEST

/* no_sync: two half batches, the first without communication, end like one
 * synchronised step over both */
START_TEST(test_ddp_no_sync_accumulates) {
  data d = make_data((int64_t)2 * W * B, TG_FLOAT64);
  tg_module *ddp = tg_ddp(mlp(7, TG_FLOAT64), NULL);
  tg_optimizer *opt = sgd_for(ddp);
  tg_scope_begin();
  tg_optimizer_zero_grad(opt, true);
  for (int half = 0; half < 2; half++) {
    if (half == 0) tg_ddp_no_sync_begin(ddp);
    tg_tensor *X = rank_rows(d.X, (int64_t)half * W * B, W, RANK);
    tg_tensor *Y = rank_rows(d.Y, (int64_t)half * W * B, W, RANK);
    tg_backward(tg_mul_scalar(step_loss(ddp, X, Y), 0.5), NULL, 0);
    if (half == 0) tg_ddp_no_sync_end(ddp);
  }
  tg_optimizer_step(opt);
  tg_scope_end();
  assert_replicas_equal(ddp);
  /* one process: both halves, batch 2*W*B */
  tg_module *single = mlp(7, TG_FLOAT64);
  tg_optimizer *single_opt = sgd_for(single);
  tg_scope_begin();
  tg_backward(step_loss(single, d.X, d.Y), NULL, 0);
  tg_optimizer_step(single_opt);
  tg_scope_end();
  bool bitwise;
  ck_assert_double_le(max_difference(tg_ddp_module(ddp), single, &bitwise), 1e-12);
  TG_EXPECT_ERROR((tg_ddp_no_sync_end(ddp), 0),
                  "tg_ddp_no_sync_end: no tg_ddp_no_sync_begin to end");
  TG_EXPECT_ERROR(tg_ddp_module(single), "tg_ddp_module: the module is not a tg_ddp");
  drop(single, single_opt);
  drop(ddp, opt);
  data_free(&d);
}
END_TEST

/* BatchNorm's running statistics: rank 0's, broadcast before each forward
 * with grad on (not under no_grad, not in no_sync) */
START_TEST(test_ddp_broadcasts_buffers_each_forward) {
  tg_manual_seed(3);
  tg_module *net = tg_nn_sequential(NULL);
  tg_nn_sequential_append(net, tg_nn_linear(2, 2, true));
  tg_nn_sequential_append(net, tg_nn_batch_norm1d(2, 1e-5, 0.1, true, true));
  tg_module *ddp = tg_ddp(net, NULL);
  tg_tensor *mean = tg_module_buffer(tg_ddp_module(ddp), "1.running_mean");
  tg_scope_begin();
  tg_tensor *X =
      tg_ones(TG_SHAPE(4, 2), TG_FLOAT32); /* batch mean: the same everywhere */
  tg_fill_(mean, RANK + 1.0);
  tg_no_grad_begin();
  tg_module_forward(ddp, X); /* no broadcast: 0.9 * (rank + 1) + 0.1 * m */
  tg_no_grad_end();
  double after_no_grad = tg_get_flat(mean, 0);
  tg_fill_(mean, RANK + 1.0);
  tg_module_forward(ddp, X); /* rank 0's 1.0 first */
  double after_broadcast = tg_get_flat(mean, 0);
  tg_scope_end();
  double lo = tg_dist_all_reduce_scalar(after_broadcast, TG_DIST_MIN);
  double hi = tg_dist_all_reduce_scalar(after_broadcast, TG_DIST_MAX);
  ck_assert_double_eq(lo, hi);
  if (W > 1)
    ck_assert_double_lt(tg_dist_all_reduce_scalar(after_no_grad, TG_DIST_MIN),
                        tg_dist_all_reduce_scalar(after_no_grad, TG_DIST_MAX));
  tg_module_free(ddp);
}
END_TEST

/* ---- mismatches between ranks ---------------------------------------------------- */

START_TEST(test_ddp_mismatch_is_an_error_on_every_rank) {
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_linear(4, RANK == 1 ? 3 : 2, true));
  TG_EXPECT_ERROR(tg_ddp(m, NULL),
                  "tg_ddp: parameter 0 '0.weight' is float32 (3x4) on rank 1 but float32 "
                  "(2x4) on rank 0: every rank must wrap the same model");
  tg_module_free(m);
  m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_linear(4, 2, RANK != 1));
  TG_EXPECT_ERROR(tg_ddp(m, NULL), "tg_ddp: rank 1 has 1 parameters but rank 0 has 2");
  tg_module_free(m);
  m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_linear(4, 2, true));
  if (RANK == 1) tg_module_to(m, TG_FLOAT64);
  TG_EXPECT_ERROR(tg_ddp(m, NULL),
                  "is float64 (2x4) on rank 1 but float32 (2x4) on rank 0");
  tg_module_free(m);
  TG_EXPECT_ERROR(tg_ddp(NULL, NULL), "tg_ddp: module is NULL");
  tg_ddp_options o = TG_DDP_DEFAULTS;
  o.bucket_cap_mb = 0;
  m = tg_nn_linear(2, 2, true);
  TG_EXPECT_ERROR(tg_ddp(m, &o), "tg_ddp: bucket caps must be > 0 MB, got 0 and 1");
  tg_module_free(m);
}
END_TEST

/* ---- checkpoints: written by rank 0, resumed at another world size ----------------
 * ctest runs the W=2 suite with TG_DIST_SAVE=<file>: 2 steps, rank 0 saves.
 * The W=4 suite, with TG_DIST_RESUME=<file>, loads it, trains 2 more steps
 * and must match one process that did 2 steps at batch 2B, 2 at batch 4B. */

enum { SAVED_STEPS = 2 };

START_TEST(test_checkpoint_save_and_resume) {
  const char *save = getenv("TG_DIST_SAVE"), *resume = getenv("TG_DIST_RESUME");
  data d = make_data((int64_t)(SAVED_STEPS + 2) * 8 * B, TG_FLOAT64);
  tg_module *ddp = tg_ddp(mlp(7, TG_FLOAT64), NULL);
  tg_optimizer *opt = sgd_for(ddp);
  if (save) {
    train_ddp(ddp, opt, &d, 0, SAVED_STEPS);
    if (RANK == 0) {
      tg_tensor_dict *extra = tg_tensor_dict_new();
      tg_tensor *world = tg_scalar(W, TG_INT64);
      tg_tensor_dict_add(extra, "world_size", world);
      tg_release(world);
      ck_assert_int_eq(
          tg_checkpoint_save(save, tg_ddp_module(ddp), opt, SAVED_STEPS, extra), 0);
      tg_tensor_dict_free(extra);
    }
    tg_dist_barrier();
  }
  if (resume && access(resume, R_OK) == 0) {
    int64_t steps;
    tg_tensor_dict *extra;
    ck_assert_int_eq(tg_checkpoint_load(resume, tg_ddp_module(ddp), opt, &steps, &extra),
                     0);
    int saved_world = (int)tg_item(tg_tensor_dict_get(extra, "world_size"));
    tg_tensor_dict_free(extra);
    ck_assert_int_ne(saved_world, W);
    /* the saved run's steps used rows [0, steps * saved_world * B): go on after them,
     * counted in this world's batches */
    int64_t done_rows = steps * saved_world * B;
    ck_assert_int_eq(done_rows % (W * B), 0);
    int first = (int)(done_rows / (W * B));
    train_ddp(ddp, opt, &d, first, 2);
    tg_module *single = mlp(7, TG_FLOAT64);
    tg_optimizer *single_opt = sgd_for(single);
    train_single(single, single_opt, &d, 0, (int)steps, saved_world);
    train_single(single, single_opt, &d, first, 2, W);
    bool bitwise;
    double diff = max_difference(tg_ddp_module(ddp), single, &bitwise);
    ck_assert_msg(diff <= 1e-12, "resumed at W=%d from W=%d: max |diff| %g", W,
                  saved_world, diff);
    drop(single, single_opt);
  }
  drop(ddp, opt);
  data_free(&d);
}
END_TEST

int main(int argc, char **argv) {
  if (tg_dist_init(&argc, &argv) != 0) {
    fprintf(stderr, "%s\n", tg_last_error());
    return 1;
  }
  W = tg_dist_world_size();
  RANK = tg_dist_rank();
  Suite *s = suite_create("dist");
  TCase *tc = tcase_create("dist");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_group);
  tcase_add_test(tc, test_all_reduce_and_broadcast);
  tcase_add_test(tc, test_collective_errors);
  tcase_add_test(tc, test_sampler_matches_pytorch);
  tcase_add_test(tc, test_sampler_errors);
  tcase_add_test(tc, test_ddp_float64_equals_one_process);
  tcase_add_test(tc, test_ddp_float32_equals_one_process);
  tcase_add_test(tc, test_ddp_small_buckets_in_reverse_order);
  tcase_add_test(tc, test_ddp_no_sync_accumulates);
  tcase_add_test(tc, test_ddp_broadcasts_buffers_each_forward);
  tcase_add_test(tc, test_ddp_mismatch_is_an_error_on_every_rank);
  tcase_add_test(tc, test_checkpoint_save_and_resume);
  suite_add_tcase(s, tc);
  /* a failed check must not leave the other ranks waiting: stop them all */
  int failed = tg_test_run(s);
  if (failed) MPI_Abort(MPI_COMM_WORLD, failed);
  tg_dist_finalize();
  return 0;
}
