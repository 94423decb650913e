/* LR schedulers and gradient clipping against PyTorch 1.13
 * (tests/golden/optim.py: sched.* and clip.*), and their errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensorgrad/optim.h"
#include "test_util.h"

#define SCHED_STEPS 30

static tg_golden *golden;

static void load_golden(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/optim.txt");
}
static void free_golden(void) {
  tg_golden_free(golden);
  golden = NULL;
}

/* ---- schedulers on a two-group SGD (lr 0.1 and 0.02), as optim.py ---- */

typedef struct dummy {
  tg_tensor *w[2];
  tg_optimizer *opt;
} dummy;

static void dummy_start(dummy *d) {
  for (int i = 0; i < 2; i++)
    d->w[i] = tg_requires_grad_(tg_zeros(TG_SHAPE(1), TG_FLOAT32), true);
  tg_sgd_options o = TG_SGD_DEFAULTS;
  o.lr = 0.1;
  d->opt = tg_sgd(TG_PARAMS(d->w[0]), o);
  o.lr = 0.02;
  tg_sgd_add_param_group(d->opt, TG_PARAMS(d->w[1]), o);
}

static void dummy_end(dummy *d) {
  tg_optimizer_free(d->opt);
  tg_release(d->w[0]);
  tg_release(d->w[1]);
}

static int make_step(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_step_lr(o, 3, 0.5);
  return 1;
}
static int make_multi_step(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_multi_step_lr(o, (int64_t[]){2, 5, 5, 9}, 4, 0.3);
  return 1;
}
static int make_exponential(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_exponential_lr(o, 0.8);
  return 1;
}
static int make_cosine(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_cosine_annealing_lr(o, 4, 0.01);
  return 1;
}
static int make_cosine_zero_min(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_cosine_annealing_lr(o, 7, 0);
  return 1;
}
static int make_chained(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_step_lr(o, 4, 0.5);
  s[1] = tg_exponential_lr(o, 0.9);
  return 2;
}
static int make_plateau_min_rel(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_plateau_options p = TG_PLATEAU_DEFAULTS;
  p.patience = 2;
  s[0] = tg_reduce_lr_on_plateau(o, p);
  return 1;
}
static int make_plateau_min_abs(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_plateau_options p = TG_PLATEAU_DEFAULTS;
  p.factor = 0.5;
  p.patience = 1;
  p.threshold = 0.05;
  p.threshold_mode = TG_THRESHOLD_ABS;
  p.cooldown = 2;
  s[0] = tg_reduce_lr_on_plateau(o, p);
  return 1;
}
static int make_plateau_max_rel(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_plateau_options p = TG_PLATEAU_DEFAULTS;
  p.mode = TG_PLATEAU_MAX;
  p.factor = 0.7;
  p.patience = 0;
  p.threshold = 0.01;
  s[0] = tg_reduce_lr_on_plateau(o, p);
  return 1;
}
static int make_plateau_max_abs(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_plateau_options p = TG_PLATEAU_DEFAULTS;
  p.mode = TG_PLATEAU_MAX;
  p.patience = 1;
  p.threshold = 0.02;
  p.threshold_mode = TG_THRESHOLD_ABS;
  s[0] = tg_reduce_lr_on_plateau(o, p);
  return 1;
}
static int make_plateau_min_lrs(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_plateau_options p = TG_PLATEAU_DEFAULTS;
  p.factor = 0.5;
  p.patience = 0;
  double min_lrs[2] = {0.03, 0.001}; /* copied: may go out of scope */
  p.min_lrs = min_lrs;
  p.n_min_lrs = 2;
  s[0] = tg_reduce_lr_on_plateau(o, p);
  return 1;
}
static int make_plateau_eps(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_plateau_options p = TG_PLATEAU_DEFAULTS;
  p.factor = 0.5;
  p.patience = 0;
  p.min_lr = 0.015;
  p.eps = 0.004;
  s[0] = tg_reduce_lr_on_plateau(o, p);
  return 1;
}

static double wavy_decay(int64_t e, void *user) {
  (void)user;
  return pow(0.95, (double)e) + 0.01 * (double)(e % 4);
}
static int make_lambda(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_lambda_lr(o, wavy_decay, NULL);
  return 1;
}
static int make_linear(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_linear_lr(o, 0.25, 0.9, 7);
  return 1;
}
static int make_linear_default(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_linear_lr(o, 1.0 / 3, 1.0, 5);
  return 1;
}
static int make_warm_restarts(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_cosine_annealing_warm_restarts(o, 5, 1, 0.001);
  return 1;
}
static int make_warm_restarts_mult(tg_optimizer *o, tg_lr_scheduler **s) {
  s[0] = tg_cosine_annealing_warm_restarts(o, 3, 2, 0);
  return 1;
}
static int make_one_cycle_cos(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_one_cycle_options c = TG_ONE_CYCLE_DEFAULTS;
  c.max_lr = 0.5;
  c.total_steps = 31;
  s[0] = tg_one_cycle_lr(o, c);
  return 1;
}
static int make_one_cycle_linear(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_one_cycle_options c = TG_ONE_CYCLE_DEFAULTS;
  c.max_lr = 0.3;
  c.total_steps = 40;
  c.pct_start = 0.25;
  c.anneal_strategy = TG_ANNEAL_LINEAR;
  c.base_momentum = 0.8;
  c.max_momentum = 0.9;
  c.div_factor = 10;
  c.final_div_factor = 100;
  s[0] = tg_one_cycle_lr(o, c);
  return 1;
}
static int make_one_cycle_three_phase(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_one_cycle_options c = TG_ONE_CYCLE_DEFAULTS;
  c.max_lr = 0.4;
  c.total_steps = 30;
  c.three_phase = true;
  c.cycle_momentum = false;
  s[0] = tg_one_cycle_lr(o, c);
  return 1;
}
static int make_sequential(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_lr_scheduler *parts[3] = {tg_linear_lr(o, 0.1, 1.0, 4),
                               tg_cosine_annealing_lr(o, 10, 0.005),
                               tg_step_lr(o, 3, 0.5)};
  s[0] = tg_sequential_lr(o, parts, 3, (int64_t[]){5, 17}, 2);
  return 1;
}
static int make_sequential_restarts(tg_optimizer *o, tg_lr_scheduler **s) {
  tg_lr_scheduler *parts[3] = {tg_exponential_lr(o, 0.9),
                               tg_cosine_annealing_warm_restarts(o, 4, 2, 0),
                               tg_multi_step_lr(o, (int64_t[]){0, 3, 3}, 3, 0.5)};
  s[0] = tg_sequential_lr(o, parts, 3, (int64_t[]){8, 20}, 2);
  return 1;
}

typedef struct sched_case {
  const char *name;
  int (*make)(tg_optimizer *opt, tg_lr_scheduler **out);
  bool plateau;
} sched_case;

static const sched_case sched_cases[] = {
    {"step", make_step},
    {"multi_step", make_multi_step},
    {"exponential", make_exponential},
    {"cosine", make_cosine},
    {"cosine_zero_min", make_cosine_zero_min},
    {"chained", make_chained},
    {"plateau_min_rel", make_plateau_min_rel, true},
    {"plateau_min_abs", make_plateau_min_abs, true},
    {"plateau_max_rel", make_plateau_max_rel, true},
    {"plateau_max_abs", make_plateau_max_abs, true},
    {"plateau_min_lrs", make_plateau_min_lrs, true},
    {"plateau_eps", make_plateau_eps, true},
    {"lambda", make_lambda},
    {"linear", make_linear},
    {"linear_default", make_linear_default},
    {"warm_restarts", make_warm_restarts},
    {"warm_restarts_mult", make_warm_restarts_mult},
    {"one_cycle_cos", make_one_cycle_cos},
    {"one_cycle_linear", make_one_cycle_linear},
    {"one_cycle_three_phase", make_one_cycle_three_phase},
    {"sequential", make_sequential},
    {"sequential_restarts", make_sequential_restarts},
};
#define N_SCHED ((int)(sizeof sched_cases / sizeof sched_cases[0]))

/* The momentum OneCycleLR cycles, read back through the state dict. */
static double group_momentum(const dummy *d, int g) {
  char key[64];
  snprintf(key, sizeof key, "param_groups.%d.momentum", g);
  tg_tensor_dict *sd = tg_optimizer_state_dict(d->opt);
  double m = tg_item(tg_tensor_dict_get(sd, key));
  tg_tensor_dict_free(sd);
  return m;
}

static void check_lrs(const dummy *d, const tg_lr_scheduler *last, const double *want,
                      const double *momentum, const char *name, int step) {
  for (int g = 0; g < 2; g++) {
    double m = group_momentum(d, g);
    ck_assert_msg(fabs(m - momentum[g]) <= 1e-15 * fabs(momentum[g]),
                  "%s step %d group %d: momentum %.17g, expected %.17g", name, step, g, m,
                  momentum[g]);
    double got = tg_optimizer_get_lr(d->opt, g);
    /* the recursive forms are the same double operations as PyTorch's */
    ck_assert_msg(fabs(got - want[g]) <= 1e-15 * fabs(want[g]),
                  "%s step %d group %d: lr %.17g, expected %.17g", name, step, g, got,
                  want[g]);
    ck_assert_double_eq(tg_lr_scheduler_get_last_lr(last)[g], got);
  }
}

START_TEST(test_scheduler_matches_pytorch) {
  const sched_case *c = &sched_cases[_i];
  char name[64];
  snprintf(name, sizeof name, "sched.%s.lr", c->name);
  int64_t n;
  const double *want = tg_golden_get(golden, name, &n, NULL);
  ck_assert_int_eq(n, 2 * (SCHED_STEPS + 1));
  const double *metrics = tg_golden_get(golden, "sched.metrics", NULL, NULL);
  snprintf(name, sizeof name, "sched.%s.momentum", c->name);
  const double *momentum = tg_golden_get(golden, name, &n, NULL);
  ck_assert_int_eq(n, 2 * (SCHED_STEPS + 1));
  dummy d;
  dummy_start(&d);
  tg_lr_scheduler *s[2];
  int n_sched = c->make(d.opt, s);
  check_lrs(&d, s[n_sched - 1], want, momentum, c->name, 0);
  ck_assert_int_eq(tg_lr_scheduler_last_epoch(s[0]), 0);
  for (int k = 0; k < SCHED_STEPS; k++) {
    for (int i = 0; i < n_sched; i++) {
      if (c->plateau)
        tg_lr_scheduler_step_metric(s[i], metrics[k]);
      else
        tg_lr_scheduler_step(s[i]);
    }
    check_lrs(&d, s[n_sched - 1], want + 2 * (k + 1), momentum + 2 * (k + 1), c->name,
              k + 1);
  }
  ck_assert_int_eq(tg_lr_scheduler_last_epoch(s[0]), SCHED_STEPS);
  for (int i = 0; i < n_sched; i++) tg_lr_scheduler_free(s[i]);
  dummy_end(&d);
}
END_TEST

START_TEST(test_scheduler_errors) {
  dummy d;
  dummy_start(&d);
  TG_EXPECT_ERROR(tg_step_lr(d.opt, 0, 0.1), "tg_step_lr: step_size must be >= 1, got 0");
  TG_EXPECT_ERROR(tg_cosine_annealing_lr(d.opt, -2, 0),
                  "tg_cosine_annealing_lr: T_max must be >= 1, got -2");
  TG_EXPECT_ERROR(tg_multi_step_lr(d.opt, NULL, 2, 0.1),
                  "tg_multi_step_lr: milestones is NULL with n = 2");
  tg_plateau_options p = TG_PLATEAU_DEFAULTS;
  p.factor = 1.0;
  TG_EXPECT_ERROR(tg_reduce_lr_on_plateau(d.opt, p),
                  "tg_reduce_lr_on_plateau: factor should be < 1.0, got 1");
  p = TG_PLATEAU_DEFAULTS;
  p.min_lrs = (double[]){0.1, 0.2, 0.3};
  p.n_min_lrs = 3;
  TG_EXPECT_ERROR(tg_reduce_lr_on_plateau(d.opt, p),
                  "tg_reduce_lr_on_plateau: expected 2 min_lrs, got 3");
  p = TG_PLATEAU_DEFAULTS;
  p.mode = (tg_plateau_mode)7;
  TG_EXPECT_ERROR(tg_reduce_lr_on_plateau(d.opt, p),
                  "tg_reduce_lr_on_plateau: mode 7 is unknown");
  p = TG_PLATEAU_DEFAULTS;
  p.threshold_mode = (tg_threshold_mode)9;
  TG_EXPECT_ERROR(tg_reduce_lr_on_plateau(d.opt, p),
                  "tg_reduce_lr_on_plateau: threshold mode 9 is unknown");
  p = TG_PLATEAU_DEFAULTS;
  p.patience = -1;
  TG_EXPECT_ERROR(tg_reduce_lr_on_plateau(d.opt, p),
                  "tg_reduce_lr_on_plateau: patience (-1) and cooldown (0) must be >= 0");

  TG_EXPECT_ERROR(
      tg_linear_lr(d.opt, 1.5, 1, 5),
      "tg_linear_lr: start_factor must be greater than 0 and at most 1, got 1.5");
  TG_EXPECT_ERROR(tg_linear_lr(d.opt, 0.5, -1, 5),
                  "tg_linear_lr: end_factor must be between 0 and 1, got -1");
  TG_EXPECT_ERROR(tg_linear_lr(d.opt, 0.5, 1, 0),
                  "tg_linear_lr: total_iters must be >= 1, got 0");
  TG_EXPECT_ERROR(tg_lambda_lr(d.opt, NULL, NULL), "tg_lambda_lr: lr_lambda is NULL");
  TG_EXPECT_ERROR(tg_cosine_annealing_warm_restarts(d.opt, 0, 1, 0),
                  "tg_cosine_annealing_warm_restarts: T_0 must be >= 1, got 0");
  TG_EXPECT_ERROR(tg_cosine_annealing_warm_restarts(d.opt, 3, 0, 0),
                  "tg_cosine_annealing_warm_restarts: T_mult must be >= 1, got 0");
  tg_one_cycle_options c = TG_ONE_CYCLE_DEFAULTS;
  c.total_steps = 10;
  TG_EXPECT_ERROR(tg_one_cycle_lr(d.opt, c),
                  "tg_one_cycle_lr: max_lr must be >= 0, got nan");
  c.max_lr = 0.1;
  c.total_steps = 0;
  TG_EXPECT_ERROR(tg_one_cycle_lr(d.opt, c),
                  "tg_one_cycle_lr: total_steps must be >= 1, got 0");
  c.total_steps = 10;
  c.pct_start = 1.5;
  TG_EXPECT_ERROR(tg_one_cycle_lr(d.opt, c),
                  "tg_one_cycle_lr: pct_start must be between 0 and 1, got 1.5");
  c.pct_start = 0.3;
  c.anneal_strategy = (tg_anneal_strategy)5;
  TG_EXPECT_ERROR(tg_one_cycle_lr(d.opt, c),
                  "tg_one_cycle_lr: anneal_strategy 5 is unknown");
  c.anneal_strategy = TG_ANNEAL_COS;
  c.total_steps = 2;
  tg_lr_scheduler *cycle = tg_one_cycle_lr(d.opt, c);
  tg_lr_scheduler_step(cycle);
  tg_lr_scheduler_step(cycle);
  TG_EXPECT_ERROR(
      tg_lr_scheduler_step(cycle),
      "tg_lr_scheduler_step: tried to step 4 times; OneCycleLR's total_steps is 2");
  tg_lr_scheduler_free(cycle);
  tg_lr_scheduler *lin = tg_linear_lr(d.opt, 0.5, 1, 3);
  TG_EXPECT_ERROR(tg_sequential_lr(d.opt, &lin, 1, (int64_t[]){2}, 1),
                  "tg_sequential_lr: 1 schedulers need 0 milestones, got 1");
  tg_lr_scheduler *plateau = tg_reduce_lr_on_plateau(d.opt, TG_PLATEAU_DEFAULTS);
  TG_EXPECT_ERROR(
      tg_sequential_lr(d.opt, &plateau, 1, NULL, 0),
      "tg_sequential_lr: scheduler 0 (ReduceLROnPlateau) cannot be sequenced");
  tg_lr_scheduler *seq = tg_sequential_lr(d.opt, &lin, 1, NULL, 0);
  TG_EXPECT_ERROR(tg_lr_scheduler_step_metric(seq, 1.0),
                  "tg_lr_scheduler_step_metric: SequentialLR takes no metric; use "
                  "tg_lr_scheduler_step");
  tg_lr_scheduler_free(seq);
  TG_EXPECT_ERROR(
      tg_lr_scheduler_step(plateau),
      "tg_lr_scheduler_step: ReduceLROnPlateau needs the monitored value; use "
      "tg_lr_scheduler_step_metric");
  tg_lr_scheduler *step = tg_step_lr(d.opt, 2, 0.1);
  TG_EXPECT_ERROR(tg_lr_scheduler_step_metric(step, 1.0),
                  "tg_lr_scheduler_step_metric: StepLR takes no metric; use "
                  "tg_lr_scheduler_step");
  tg_tensor *w = tg_requires_grad_(tg_zeros(TG_SHAPE(1), TG_FLOAT32), true);
  tg_sgd_options o = TG_SGD_DEFAULTS;
  o.lr = 0.1;
  tg_sgd_add_param_group(d.opt, tg_test_params(&w, 1), o);
  TG_EXPECT_ERROR(
      tg_lr_scheduler_step(step),
      "tg_lr_scheduler_step: the optimizer has 3 parameter groups, the StepLR "
      "was made for 2");
  tg_lr_scheduler_free(step);
  tg_lr_scheduler_free(plateau);
  tg_release(w);
  dummy_end(&d);
}
END_TEST

/* ---- clipping ---- */

typedef struct clip_params {
  tg_tensor *p[3];
} clip_params;

/* Three parameters whose grads are optim.py's fixed ones, in dtype. */
static void clip_start(clip_params *c, tg_dtype dtype) {
  for (int i = 0; i < 3; i++) {
    char name[32];
    snprintf(name, sizeof name, "clip.grad%d", i);
    tg_tensor *g = tg_golden_tensor(golden, name, dtype);
    c->p[i] = tg_requires_grad_(tg_zeros_like(g), true);
    c->p[i]->grad = g; /* the parameter owns its grad */
  }
}

static void clip_end(clip_params *c) {
  for (int i = 0; i < 3; i++) tg_release(c->p[i]);
}

static void check_grads(clip_params *c, const char *name, double rtol) {
  tg_scope_begin();
  tg_tensor *flat[3];
  for (int i = 0; i < 3; i++) flat[i] = tg_flatten(c->p[i]->grad, 0, -1);
  tg_assert_close(tg_cat(flat, 3, 0), tg_golden_tensor(golden, name, TG_FLOAT64), rtol, 0,
                  name);
  tg_scope_end();
}

static const char *norm_names[] = {"1", "2", "3", "0.5", "inf"};
static const double norm_types[] = {1, 2, 3, 0.5, INFINITY};

/* _i: dtype * 10 + norm type * 2 + max norm */
START_TEST(test_clip_grad_norm_matches_pytorch) {
  tg_dtype dtype = _i / 10 ? TG_FLOAT64 : TG_FLOAT32;
  int which = (_i % 10) / 2;
  bool large = _i % 2;
  double rtol = dtype == TG_FLOAT32 ? 1e-6 : 1e-13;
  clip_params c;
  clip_start(&c, dtype);
  double norm = tg_clip_grad_norm_((tg_params){c.p, 3}, large ? 1000.0 : 0.5,
                                   norm_types[which], false);
  char name[96];
  snprintf(name, sizeof name, "clip.%s.norm.%s.%s", dtype == TG_FLOAT32 ? "f32" : "f64",
           norm_names[which], large ? "large" : "small");
  double want = tg_golden_get(golden, name, NULL, NULL)[0];
  ck_assert_msg(fabs(norm - want) <= rtol * want, "%s: %.17g, expected %.17g", name, norm,
                want);
  strcat(name, ".grads");
  check_grads(&c, name, rtol);
  clip_end(&c);
}
END_TEST

START_TEST(test_clip_grad_value_matches_pytorch) {
  tg_dtype dtype = _i ? TG_FLOAT64 : TG_FLOAT32;
  clip_params c;
  clip_start(&c, dtype);
  tg_clip_grad_value_((tg_params){c.p, 3}, 0.7);
  check_grads(&c, _i ? "clip.f64.value.grads" : "clip.f32.value.grads", 0);
  clip_end(&c);
}
END_TEST

START_TEST(test_clip_edge_cases) {
  clip_params c;
  clip_start(&c, TG_FLOAT64);
  tg_tensor *none = tg_zeros(TG_SHAPE(2), TG_FLOAT64);
  ck_assert_double_eq(tg_clip_grad_norm_(tg_test_params(&none, 1), 1.0, 2, true),
                      0); /* no grads */
  tg_clip_grad_value_(tg_test_params(&none, 1), 1.0);
  ck_assert_ptr_null(none->grad);
  tg_release(none);

  tg_set(c.p[1]->grad, (int64_t[]){2}, INFINITY);
  TG_EXPECT_ERROR(tg_clip_grad_norm_(tg_test_params(c.p, 3), 1.0, 2, true),
                  "tg_clip_grad_norm_: the total norm of order 2 for gradients from "
                  "`parameters` is non-finite, so it cannot be clipped");
  /* without the check, the inf norm scales everything as PyTorch does */
  ck_assert(isinf(tg_clip_grad_norm_(tg_test_params(c.p, 3), 1.0, 2, false)));
  ck_assert_double_eq(tg_get_flat(c.p[0]->grad, 0), 0.0);
  ck_assert(isnan(tg_get_flat(c.p[1]->grad, 2))); /* inf * 0 */
  TG_EXPECT_ERROR(tg_clip_grad_norm_(tg_test_params(c.p, 3), 1.0, 0, false),
                  "tg_clip_grad_norm_: norm_type must be > 0 or INFINITY, got 0");
  TG_EXPECT_ERROR(tg_clip_grad_norm_(tg_test_params(c.p, -1), 1.0, 2, false),
                  "tg_clip_grad_norm_: params.n is -1");
  TG_EXPECT_ERROR(tg_clip_grad_norm_(tg_test_params(NULL, 3), 1.0, 2, false),
                  "tg_clip_grad_norm_: params.items is NULL with n = 3");
  TG_EXPECT_ERROR(tg_clip_grad_value_(tg_test_params((tg_tensor *[]){NULL}, 1), 1.0),
                  "tg_clip_grad_value_: parameter 0 is NULL");
  clip_end(&c);
}
END_TEST

int main(void) {
  Suite *s = suite_create("optim_schedule");
  TCase *tc = tcase_create("golden");
  tcase_add_unchecked_fixture(tc, load_golden, free_golden);
  tcase_add_loop_test(tc, test_scheduler_matches_pytorch, 0, N_SCHED);
  tcase_add_test(tc, test_scheduler_errors);
  tcase_add_loop_test(tc, test_clip_grad_norm_matches_pytorch, 0, 20);
  tcase_add_loop_test(tc, test_clip_grad_value_matches_pytorch, 0, 2);
  tcase_add_test(tc, test_clip_edge_cases);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
