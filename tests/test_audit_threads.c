/* Two threads train two separate models at once, each with its own data,
 * loss and optimizer, and must end with exactly the parameters each model
 * gets trained alone (README, "Threads": graphs, scopes, grad mode and
 * errors are per thread; the pool takes one caller's loop at a time). The
 * models cover the kernels with scratch memory or threads of their own:
 * convolution, BatchNorm, max pooling, LayerNorm, GELU, an LSTM, the fused
 * cross-entropy, Adam and SGD. tg_set_num_threads(2) with a tiny grain makes
 * every splittable loop of both threads ask for the pool at once. CI runs
 * this suite under ThreadSanitizer (.ci/run). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "tensor/core.h"
#include "test_util.h"

enum { N_MODELS = 3 };

typedef struct job {
  int which;
  int steps;
  tg_module *model;
  tg_optimizer *opt;
  tg_tensor *x, *y; /* this model's data, never written */
  double last_loss;
} job;

static tg_module *conv_net(void) {
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_conv2d(1, 4, 3, 1, 1, true));
  tg_nn_sequential_append(m, tg_nn_batch_norm2d(4, 1e-5, 0.1, true, true));
  tg_nn_sequential_append(m, tg_nn_relu());
  tg_nn_sequential_append(m, tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}));
  tg_nn_sequential_append(m, tg_nn_flatten(1, -1));
  tg_nn_sequential_append(m, tg_nn_linear(4 * 4 * 4, 3, true));
  return m;
}

static tg_module *norm_mlp(void) {
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_linear(10, 64, true));
  tg_nn_sequential_append(m, tg_nn_layer_norm(TG_SHAPE(64), 1e-5, true));
  tg_nn_sequential_append(m, tg_nn_gelu(false));
  tg_nn_sequential_append(m, tg_nn_linear(64, 1, true));
  return m;
}

static tg_module *recurrent(void) {
  tg_module *m = tg_nn_sequential(NULL);
  tg_nn_sequential_append(m, tg_nn_lstm(6, 16, &(tg_rnn_opts){.batch_first = true}));
  tg_nn_sequential_append(m, tg_nn_flatten(1, -1));
  tg_nn_sequential_append(m, tg_nn_linear(5 * 16, 3, true));
  return m;
}

/* The model, its optimizer and its data, made on the calling thread (the
 * initial weights and the data come from the global generator). */
static job make_job(int which, int steps) {
  job j = {.which = which, .steps = steps};
  tg_manual_seed(100 + which);
  if (which == 0) {
    j.model = conv_net();
    j.x = tg_randn(TG_SHAPE(8, 1, 8, 8), TG_FLOAT32);
    j.y = tg_randint(0, 3, TG_SHAPE(8));
    j.opt = tg_adam(tg_module_parameters(j.model), TG_ADAM_DEFAULTS);
  } else if (which == 1) {
    j.model = norm_mlp();
    j.x = tg_randn(TG_SHAPE(32, 10), TG_FLOAT64);
    j.y = tg_randn(TG_SHAPE(32, 1), TG_FLOAT64);
    tg_module_to(j.model, TG_FLOAT64);
    j.opt = tg_sgd(tg_module_parameters(j.model),
                   (tg_sgd_options){.lr = 0.05, .momentum = 0.9, .nesterov = true});
  } else {
    j.model = recurrent();
    j.x = tg_randn(TG_SHAPE(4, 5, 6), TG_FLOAT32);
    j.y = tg_randint(0, 3, TG_SHAPE(4));
    j.opt = tg_adam(tg_module_parameters(j.model), TG_ADAM_DEFAULTS);
  }
  return j;
}

static void *train(void *arg) {
  job *j = arg;
  for (int step = 0; step < j->steps; step++) {
    tg_scope_begin();
    tg_optimizer_zero_grad(j->opt, true);
    tg_tensor *out = tg_module_forward(j->model, j->x);
    tg_tensor *loss = j->which == 1 ? tg_mse_loss(out, j->y, NULL)
                                    : tg_cross_entropy_loss(out, j->y, NULL);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(j->opt);
    j->last_loss = tg_item(loss);
    tg_scope_end();
  }
  return NULL;
}

static void free_job(job *j) {
  tg_optimizer_free(j->opt);
  tg_module_free(j->model);
  tg_release(j->x);
  tg_release(j->y);
}

/* Every parameter and buffer of a is bit for bit b's. */
static void expect_same_state(tg_module *a, tg_module *b, int which) {
  tg_tensor_dict *sa = tg_state_dict(a), *sb = tg_state_dict(b);
  ck_assert_int_eq(sa->n, sb->n);
  for (int i = 0; i < sa->n; i++) {
    char what[128];
    snprintf(what, sizeof what, "model %d, %s", which, sa->items[i].name);
    tg_assert_close(sa->items[i].tensor, sb->items[i].tensor, 0, 0, what);
  }
  tg_tensor_dict_free(sa);
  tg_tensor_dict_free(sb);
}

static void run_together_and_alone(int threads) {
  int steps = tg_test_iterations(40);
  int64_t live_before = tg_live_tensor_count();
  tg_set_num_threads(threads);
  tg_parallel_set_grain(64); /* every splittable loop asks for the pool */
  job alone[N_MODELS], together[N_MODELS];
  for (int i = 0; i < N_MODELS; i++) {
    alone[i] = make_job(i, steps);
    train(&alone[i]);
    together[i] = make_job(i, steps);
  }
  pthread_t t[N_MODELS];
  for (int i = 0; i < N_MODELS; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, train, &together[i]), 0);
  for (int i = 0; i < N_MODELS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < N_MODELS; i++) {
    ck_assert_double_eq(together[i].last_loss, alone[i].last_loss);
    expect_same_state(together[i].model, alone[i].model, i);
    free_job(&alone[i]);
    free_job(&together[i]);
  }
  tg_parallel_set_grain(0);
  tg_set_num_threads(1);
  ck_assert_int_eq(tg_live_tensor_count(), live_before);
}

START_TEST(test_models_train_at_once_as_alone_one_thread_each) {
  run_together_and_alone(1);
}
END_TEST

START_TEST(test_models_train_at_once_as_alone_with_the_pool) {
  run_together_and_alone(2);
}
END_TEST

/* grad_fn names ("MulBackward0") are built once per op and cached for
 * the process; two threads naming nodes at once (tg_print, tg_print_graph,
 * an error message) raced on that cache. Each thread names the nodes of
 * graphs of many ops while the other does; TSan sees any race, and every
 * name must come out whole. */
static void *name_nodes(void *arg) {
  bool *ok = arg;
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_rand(TG_SHAPE(2, 3), TG_FLOAT64), true);
  tg_tensor *ys[] = {tg_exp(x),    tg_log1p(x),      tg_sigmoid(x),
                     tg_tanh(x),   tg_relu(x),       tg_sqrt(x),
                     tg_abs(x),    tg_neg(x),        tg_sin(x),
                     tg_cos(x),    tg_softmax(x, 1), tg_log_softmax(x, 0),
                     tg_t(x),      tg_clone(x),      tg_mul(x, x),
                     tg_add(x, x), tg_cumsum(x, 1),  tg_flip(x, TG_DIMS(0)),
                     tg_erf(x),    tg_silu(x)};
  const char *expected[] = {"ExpBackward0",  "Log1PBackward0",   "SigmoidBackward0",
                            "TanhBackward0", "ReluBackward0",    "SqrtBackward0",
                            "AbsBackward0",  "NegBackward0",     "SinBackward0",
                            "CosBackward0",  "SoftmaxBackward0", "LogSoftmaxBackward0",
                            "TBackward0",    "CloneBackward0",   "MulBackward0",
                            "AddBackward0",  "CumsumBackward0",  "IndexSelectBackward0",
                            "ErfBackward0",  "SiluBackward0"};
  *ok = true;
  for (int round = 0; round < 50; round++)
    for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++)
      if (strcmp(tg_grad_fn_name(ys[i]), expected[i]) != 0) *ok = false;
  FILE *null = fopen("/dev/null", "w");
  for (int round = 0; round < 20; round++) tg_fprint_graph(null, tg_add(ys[0], ys[19]));
  fclose(null);
  tg_scope_end();
  return NULL;
}

START_TEST(test_threads_name_nodes_at_once) {
  pthread_t t[2];
  bool ok[2];
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, name_nodes, &ok[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  ck_assert(ok[0] && ok[1]);
}
END_TEST

/* The default generator is shared and each fill takes it once (README,
 * "Threads"): two threads drawing at once get, between them, exactly the
 * blocks one thread draws in a row, each tensor whole. Odd sizes use the
 * scalar normal path, whose cached second value crosses tensors. */
enum { DRAWS = 200, DRAW_SIZE = 7 };
typedef struct drawer {
  double values[DRAWS / 2][DRAW_SIZE];
} drawer;

static void *draw(void *arg) {
  drawer *d = arg;
  for (int i = 0; i < DRAWS / 2; i++) {
    if (i % 8 == 0) sched_yield(); /* let the other thread in between */
    tg_scope_begin();
    tg_tensor *t = tg_randn(TG_SHAPE(DRAW_SIZE), TG_FLOAT64);
    for (int k = 0; k < DRAW_SIZE; k++) d->values[i][k] = tg_get_flat(t, k);
    tg_scope_end();
  }
  return NULL;
}

START_TEST(test_threads_draw_whole_tensors_from_the_default_generator) {
  drawer alone[2], together[2];
  tg_manual_seed(7);
  draw(&alone[0]);
  draw(&alone[1]);
  tg_manual_seed(7);
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, draw, &together[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  /* every block drawn together is one of the blocks drawn alone (the fills
   * are alike, so the stream of fills is the same whichever thread asks) */
  for (int i = 0; i < 2; i++)
    for (int b = 0; b < DRAWS / 2; b++) {
      bool found = false;
      for (int j = 0; j < 2 && !found; j++)
        for (int c = 0; c < DRAWS / 2 && !found; c++)
          found = memcmp(together[i].values[b], alone[j].values[c],
                         sizeof together[i].values[b]) == 0;
      ck_assert_msg(found, "thread %d, tensor %d is not a block of the one-thread stream",
                    i, b);
    }
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit_threads");
  TCase *tc = tcase_create("threads");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_models_train_at_once_as_alone_one_thread_each);
  tcase_add_test(tc, test_models_train_at_once_as_alone_with_the_pool);
  tcase_add_test(tc, test_threads_name_nodes_at_once);
  tcase_add_test(tc, test_threads_draw_whole_tensors_from_the_default_generator);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
