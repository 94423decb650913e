/* Threads: each thread runs its own graphs (scopes, grad mode, errors and
 * caches are per thread), shares read-only tensors with the others, and
 * draws from the shared default generator. CI runs this suite under
 * ThreadSanitizer too (.ci/run, stage "ThreadSanitizer"). */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tensor/core.h"
#include "test_util.h"

enum { N_THREADS = 4 };

typedef struct worker {
  int id;
  int steps;
  tg_tensor *shared; /* read by every thread, never written */
  double loss;       /* the last step's loss */
  double grad0;      /* d loss / d w[0] */
  bool grad_mode_ok, error_ok;
  char message[256];
} worker;

/* One small regression trained for `steps` steps on data that depends on
 * the worker's id only, so every run gives the same numbers. */
static void train(worker *w) {
  tg_scope_begin();
  tg_tensor *x = tg_reshape(tg_arange(0, 24, 1, TG_FLOAT64), TG_SHAPE(8, 3));
  x = tg_add(tg_mul_scalar(x, 0.1), tg_mul_scalar(w->shared, (double)w->id));
  tg_tensor *y = tg_sum(x, TG_SHAPE(1), true);
  tg_tensor *weight =
      tg_keep(tg_requires_grad_(tg_zeros(TG_SHAPE(3, 1), TG_FLOAT64), true));
  for (int step = 0; step < w->steps; step++) {
    tg_scope_begin();
    tg_zero_grad(weight, true);
    tg_tensor *error = tg_sub(tg_matmul(x, weight), y);
    tg_tensor *loss = tg_mean(tg_mul(error, error), TG_ALL_DIMS, false);
    tg_backward(loss, NULL, 0);
    w->loss = tg_item(loss);
    w->grad0 = tg_get_flat(tg_grad(weight), 0);
    tg_no_grad_begin();
    tg_add_(weight, tg_grad(weight), -0.01);
    tg_no_grad_end();
    /* another thread's no_grad must not reach this one */
    if (!tg_is_grad_enabled()) w->grad_mode_ok = false;
    tg_scope_end();
  }
  tg_scope_end();
  tg_release(weight);
}

static _Thread_local jmp_buf worker_jmp; /* a longjmp target belongs to one thread */

static void worker_handler(const char *message, void *user) {
  worker *w = user;
  snprintf(w->message, sizeof w->message, "%s", message);
  longjmp(worker_jmp, 1);
}

/* An error on this thread goes to this thread's handler, and leaves this
 * thread's state as it was. */
static void fail_once(worker *w) {
  tg_set_error_handler(worker_handler, w);
  int depth = tg_scope_depth();
  if (setjmp(worker_jmp) == 0) {
    tg_scope_begin();
    tg_add(tg_ones(TG_SHAPE(2), TG_FLOAT32), tg_ones(TG_SHAPE(3), TG_FLOAT32));
  }
  tg_scope_unwind(depth);
  tg_set_error_handler(NULL, NULL);
  w->error_ok = strstr(w->message, "cannot be broadcast") != NULL;
}

static void *run_worker(void *arg) {
  worker *w = arg;
  w->grad_mode_ok = true;
  for (int i = 0; i < 200; i++) { /* references to the shared tensor, from every thread */
    tg_retain(w->shared);
    tg_release(w->shared);
  }
  fail_once(w);
  train(w);
  tg_scope_begin(); /* the shared generator, drawn from by every thread */
  tg_tensor *noise = tg_randn(TG_SHAPE(64), TG_FLOAT32);
  if (!(fabs(tg_item(tg_mean(noise, TG_ALL_DIMS, false))) < 1)) w->grad_mode_ok = false;
  tg_scope_end();
  return NULL;
}

START_TEST(test_threads_train_their_own_graphs) {
  int steps = tg_test_iterations(300);
  int64_t live_before = tg_live_tensor_count();
  tg_tensor *shared = tg_full(TG_SHAPE(1, 3), 0.5, TG_FLOAT64);
  worker alone[N_THREADS], together[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    alone[i] = (worker){.id = i, .steps = steps, .shared = shared};
    run_worker(&alone[i]); /* the reference: one after the other, on this thread */
    together[i] = (worker){.id = i, .steps = steps, .shared = shared};
  }
  /* this thread's grad mode stays off while the workers train */
  tg_no_grad_begin();
  pthread_t threads[N_THREADS];
  for (int i = 0; i < N_THREADS; i++)
    ck_assert_int_eq(pthread_create(&threads[i], NULL, run_worker, &together[i]), 0);
  for (int i = 0; i < N_THREADS; i++) pthread_join(threads[i], NULL);
  ck_assert(!tg_is_grad_enabled());
  tg_no_grad_end();
  for (int i = 0; i < N_THREADS; i++) {
    ck_assert_msg(together[i].grad_mode_ok, "worker %d saw another thread's grad mode",
                  i);
    ck_assert_msg(together[i].error_ok, "worker %d: error \"%s\"", i,
                  together[i].message);
    ck_assert_double_eq(together[i].loss, alone[i].loss);
    ck_assert_double_eq(together[i].grad0, alone[i].grad0);
  }
  ck_assert_int_eq(shared->refcount, 1);
  tg_release(shared);
  ck_assert_int_eq(tg_live_tensor_count(), live_before);
}
END_TEST

/* A tensor made on one thread and released on another (the data loader's
 * hand-over of a batch). */
static void *release_batch(void *arg) {
  tg_release(arg);
  return NULL;
}

START_TEST(test_tensor_released_on_another_thread) {
  int64_t live_before = tg_live_tensor_count();
  for (int i = 0; i < 50; i++) {
    tg_tensor *batch = tg_ones(TG_SHAPE(16, 4), TG_FLOAT32);
    tg_tensor *view = tg_reshape(batch, TG_SHAPE(64)); /* shares the storage */
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, release_batch, batch), 0);
    tg_scope_begin();
    ck_assert_double_eq(tg_item(tg_sum(view, TG_ALL_DIMS, false)), 64);
    tg_scope_end();
    pthread_join(t, NULL);
    tg_release(view);
  }
  ck_assert_int_eq(tg_live_tensor_count(), live_before);
}
END_TEST

/* Optimizer steps split across tg_set_num_threads threads update every
 * element as one thread does: three steps of each algorithm on a parameter
 * larger than a thread's share, and not a whole number of blocks. */
static tg_optimizer *make_optimizer(int which, tg_tensor *p) {
  switch (which) {
  case 0:
    return tg_sgd(TG_PARAMS(p), (tg_sgd_options){.lr = 0.1,
                                                 .momentum = 0.9,
                                                 .nesterov = true,
                                                 .weight_decay = 0.01});
  case 1: {
    tg_adam_options o = TG_ADAM_DEFAULTS;
    o.amsgrad = true;
    return tg_adam(TG_PARAMS(p), o);
  }
  case 2:
    return tg_adamw(TG_PARAMS(p), TG_ADAMW_DEFAULTS);
  case 3: {
    tg_rmsprop_options o = TG_RMSPROP_DEFAULTS;
    o.centered = true, o.momentum = 0.5;
    return tg_rmsprop(TG_PARAMS(p), o);
  }
  case 4:
    return tg_adagrad(TG_PARAMS(p), TG_ADAGRAD_DEFAULTS);
  case 5:
    return tg_nadam(TG_PARAMS(p), TG_NADAM_DEFAULTS);
  default:
    return tg_radam(TG_PARAMS(p), TG_RADAM_DEFAULTS);
  }
}
enum { N_OPTIMIZERS = 7 };

/* The parameter after three steps of optimizer `which` at `threads` threads
 * (owned by the caller's scope). */
static tg_tensor *steps_at(int which, int threads, tg_tensor *start, tg_tensor *scale) {
  tg_set_num_threads(threads);
  tg_tensor *p = tg_requires_grad_(tg_detach(tg_clone(start)), true);
  tg_optimizer *opt = make_optimizer(which, p);
  for (int step = 0; step < 3; step++) {
    tg_scope_begin();
    tg_optimizer_zero_grad(opt, true);
    tg_backward(tg_sum(tg_mul(tg_mul(p, p), scale), TG_ALL_DIMS, false), NULL, 0);
    tg_optimizer_step(opt);
    tg_scope_end();
  }
  tg_optimizer_free(opt);
  return p;
}

START_TEST(test_optimizer_steps_give_the_same_bits) {
  tg_scope_begin();
  tg_parallel_set_grain(1024); /* split steps of this size */
  tg_manual_seed(3);
  for (int f64 = 0; f64 <= 1; f64++) {
    tg_dtype dtype = f64 ? TG_FLOAT64 : TG_FLOAT32;
    int64_t n = tg_test_iterations(300001); /* 3000 under valgrind */
    tg_tensor *start = tg_randn(TG_SHAPE(n), dtype);
    tg_tensor *scale = tg_rand(TG_SHAPE(n), dtype);
    for (int which = 0; which < N_OPTIMIZERS; which++) {
      tg_tensor *one = steps_at(which, 1, start, scale);
      for (int threads = 2; threads <= 3; threads++) {
        tg_tensor *many = steps_at(which, threads, start, scale);
        char what[64];
        snprintf(what, sizeof what, "optimizer %d, %s, %d threads", which,
                 tg_dtype_name(dtype), threads);
        tg_assert_close(many, one, 0, 0, what);
      }
    }
  }
  tg_set_num_threads(1);
  tg_parallel_set_grain(0);
  tg_scope_end();
}
END_TEST

/* No loop body the pool runs allocates or raises: softmax's line buffers
 * are allocated once, by the caller, one per thread, so running out of
 * memory for them reaches this thread's handler even with every line split
 * across threads. */
START_TEST(test_softmax_scratch_fails_on_the_caller) {
  tg_scope_begin();
  tg_parallel_set_grain(1024); /* split every line of this size */
  tg_set_num_threads(3);
  tg_tensor *x = tg_randn(TG_SHAPE(64, 300), TG_FLOAT32);
  tg_scratch_fail_after(0);
  TG_EXPECT_ERROR(tg_softmax(x, 1), "tg_softmax: out of memory for 900 x 8 bytes");
  tg_scratch_fail_after(1); /* one allocation for the whole call: */
  tg_tensor *y = tg_softmax(x, 0);
  TG_EXPECT_ERROR(tg_log_softmax(x, 0), "tg_log_softmax: out of memory"); /* the next */
  tg_scratch_fail_after(-1);
  tg_set_num_threads(1);
  tg_assert_close(y, tg_softmax(x, 0), 0, 0, "softmax at 3 threads");
  tg_parallel_set_grain(0);
  tg_scope_end();
}
END_TEST

/* The slots a loop's chunks ran on: each chunk marks its slot, and checks
 * that no other thread holds that slot at the same time. */
typedef struct slot_use {
  int slots;
  atomic_int bad, seen[8], busy[8];
} slot_use;

static void mark_slot(int64_t begin, int64_t end, int slot, void *arg) {
  slot_use *u = arg;
  if (slot < 0 || slot >= u->slots) {
    atomic_fetch_add(&u->bad, 1);
    return;
  }
  if (atomic_fetch_add(&u->busy[slot], 1) != 0) atomic_fetch_add(&u->bad, 1);
  atomic_fetch_add(&u->seen[slot], 1);
  volatile double x = 0;
  for (int64_t i = begin; i < end; i++)
    for (int k = 0; k < 2000; k++) x += 1e-9; /* long enough for workers to join */
  atomic_fetch_sub(&u->busy[slot], 1);
}

/* A chunk's slot is below the slots its caller allocated scratch for, and
 * its own while it runs, also when workers started for a larger
 * tg_set_num_threads are still there. */
START_TEST(test_slots_stay_below_the_count_asked_for) {
  tg_set_num_threads(4); /* starts three workers */
  slot_use first = {.slots = 4};
  tg_parallel_for_slots(400, 1, 4, mark_slot, &first);
  ck_assert_int_eq(atomic_load(&first.bad), 0);
  for (int slots = 1; slots <= 3; slots++) {
    tg_set_num_threads(slots == 3 ? 2 : 4); /* fewer threads, or fewer slots */
    for (int round = 0; round < 20; round++) {
      slot_use u = {.slots = slots};
      tg_parallel_for_slots(200, 1, slots, mark_slot, &u);
      ck_assert_msg(atomic_load(&u.bad) == 0, "%d slots: a chunk ran on a wrong slot",
                    slots);
      int chunks = 0;
      for (int k = 0; k < 8; k++) chunks += atomic_load(&u.seen[k]);
      ck_assert_int_gt(chunks, 0);
    }
  }
  tg_set_num_threads(1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("threads");
  TCase *tc = tcase_create("threads");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_threads_train_their_own_graphs);
  tcase_add_test(tc, test_tensor_released_on_another_thread);
  tcase_add_test(tc, test_optimizer_steps_give_the_same_bits);
  tcase_add_test(tc, test_softmax_scratch_fails_on_the_caller);
  tcase_add_test(tc, test_slots_stay_below_the_count_asked_for);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
