/* Optimizers against PyTorch 1.13: a 3-5-2 tanh MLP trained for 20 steps on
 * fixed batches, once per configuration (tests/golden/optim.py makes the
 * same runs), in float32 and float64; state dict round trips; errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensor/core.h" /* storage versions, for the in-place check */
#include "tensorgrad/optim.h"
#include "test_util.h"

#define STEPS 20
#define N_PARAMS 4

static tg_golden *golden;

static void load_golden(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/optim.txt");
}
static void free_golden(void) {
  tg_golden_free(golden);
  golden = NULL;
}

/* ---- the configurations, named as in optim.py ---- */

static tg_optimizer *sgd(tg_tensor **p, double lr, double momentum, double dampening,
                         double weight_decay, bool nesterov, bool maximize) {
  tg_sgd_options o = TG_SGD_DEFAULTS;
  o.lr = lr;
  o.momentum = momentum;
  o.dampening = dampening;
  o.weight_decay = weight_decay;
  o.nesterov = nesterov;
  o.maximize = maximize;
  return tg_sgd((tg_params){p, N_PARAMS}, o);
}

static tg_optimizer *make_sgd(tg_tensor **p) {
  return sgd(p, 0.1, 0, 0, 0, false, false);
}
static tg_optimizer *make_sgd_momentum(tg_tensor **p) {
  return sgd(p, 0.05, 0.9, 0, 0, false, false);
}
static tg_optimizer *make_sgd_dampening(tg_tensor **p) {
  return sgd(p, 0.05, 0.9, 0.3, 0, false, false);
}
static tg_optimizer *make_sgd_nesterov(tg_tensor **p) {
  return sgd(p, 0.05, 0.9, 0, 0, true, false);
}
static tg_optimizer *make_sgd_weight_decay(tg_tensor **p) {
  return sgd(p, 0.1, 0.5, 0, 0.01, false, false);
}
static tg_optimizer *make_sgd_maximize(tg_tensor **p) {
  return sgd(p, 0.05, 0.8, 0, 0, false, true);
}
static tg_optimizer *make_sgd_clip(tg_tensor **p) {
  return sgd(p, 0.1, 0.9, 0, 0, false, false);
}
static tg_optimizer *make_sgd_cosine(tg_tensor **p) {
  return sgd(p, 0.1, 0.5, 0, 0, false, false);
}

static tg_optimizer *make_rmsprop(tg_tensor **p) {
  return tg_rmsprop((tg_params){p, N_PARAMS}, TG_RMSPROP_DEFAULTS);
}
static tg_optimizer *make_rmsprop_centered(tg_tensor **p) {
  tg_rmsprop_options o = TG_RMSPROP_DEFAULTS;
  o.lr = 0.005;
  o.centered = true;
  return tg_rmsprop((tg_params){p, N_PARAMS}, o);
}
static tg_optimizer *make_rmsprop_momentum(tg_tensor **p) {
  tg_rmsprop_options o = TG_RMSPROP_DEFAULTS;
  o.lr = 0.002;
  o.momentum = 0.9;
  return tg_rmsprop((tg_params){p, N_PARAMS}, o);
}
static tg_optimizer *make_rmsprop_all(tg_tensor **p) {
  tg_rmsprop_options o = {.lr = 0.003,
                          .alpha = 0.9,
                          .eps = 1e-6,
                          .weight_decay = 0.01,
                          .momentum = 0.5,
                          .centered = true,
                          .maximize = true};
  return tg_rmsprop((tg_params){p, N_PARAMS}, o);
}

static tg_optimizer *adam(tg_tensor **p, tg_adam_options o, double lr) {
  o.lr = lr;
  return tg_adam((tg_params){p, N_PARAMS}, o);
}
static tg_optimizer *make_adam(tg_tensor **p) {
  return adam(p, TG_ADAM_DEFAULTS, 0.01);
}
static tg_optimizer *make_adam_amsgrad(tg_tensor **p) {
  tg_adam_options o = TG_ADAM_DEFAULTS;
  o.amsgrad = true;
  return adam(p, o, 0.01);
}
static tg_optimizer *make_adam_weight_decay(tg_tensor **p) {
  tg_adam_options o = {.betas = {0.8, 0.99}, .eps = 1e-6, .weight_decay = 0.05};
  return adam(p, o, 0.02);
}
static tg_optimizer *make_adam_maximize(tg_tensor **p) {
  tg_adam_options o = TG_ADAM_DEFAULTS;
  o.maximize = true;
  return adam(p, o, 0.01);
}
static tg_optimizer *make_adam_multistep(tg_tensor **p) {
  return adam(p, TG_ADAM_DEFAULTS, 0.02);
}
static tg_optimizer *make_adamw(tg_tensor **p) {
  tg_adam_options o = TG_ADAMW_DEFAULTS;
  o.lr = 0.01;
  return tg_adamw((tg_params){p, N_PARAMS}, o);
}
static tg_optimizer *make_adamw_amsgrad(tg_tensor **p) {
  tg_adam_options o = TG_ADAMW_DEFAULTS;
  o.lr = 0.02;
  o.weight_decay = 0.1;
  o.amsgrad = true;
  return tg_adamw((tg_params){p, N_PARAMS}, o);
}

static tg_optimizer *make_nadam(tg_tensor **p) {
  tg_nadam_options o = TG_NADAM_DEFAULTS;
  o.lr = 0.01;
  return tg_nadam((tg_params){p, N_PARAMS}, o);
}
static tg_optimizer *make_nadam_all(tg_tensor **p) {
  tg_nadam_options o = {.lr = 0.02,
                        .betas = {0.8, 0.99},
                        .eps = 1e-6,
                        .weight_decay = 0.05,
                        .momentum_decay = 0.01};
  return tg_nadam((tg_params){p, N_PARAMS}, o);
}
static tg_optimizer *make_radam(tg_tensor **p) {
  tg_radam_options o = TG_RADAM_DEFAULTS;
  o.lr = 0.01;
  return tg_radam((tg_params){p, N_PARAMS}, o);
}
static tg_optimizer *make_radam_all(tg_tensor **p) {
  tg_radam_options o = {
      .lr = 0.02, .betas = {0.8, 0.9}, .eps = 1e-6, .weight_decay = 0.05};
  return tg_radam((tg_params){p, N_PARAMS}, o);
}

static tg_optimizer *make_adagrad(tg_tensor **p) {
  tg_adagrad_options o = TG_ADAGRAD_DEFAULTS;
  o.lr = 0.05;
  return tg_adagrad((tg_params){p, N_PARAMS}, o);
}
static tg_optimizer *make_adagrad_all(tg_tensor **p) {
  tg_adagrad_options o = {.lr = 0.05,
                          .lr_decay = 0.01,
                          .weight_decay = 0.02,
                          .initial_accumulator_value = 0.1,
                          .eps = 1e-8,
                          .maximize = true};
  return tg_adagrad((tg_params){p, N_PARAMS}, o);
}

/* two groups: the first layer's weights, the second layer's */
static tg_optimizer *make_sgd_groups(tg_tensor **p) {
  tg_sgd_options o = TG_SGD_DEFAULTS;
  o.lr = 0.1;
  o.momentum = 0.9;
  tg_optimizer *opt = tg_sgd((tg_params){p, 2}, o);
  o.lr = 0.01;
  o.momentum = 0.5;
  o.nesterov = true;
  tg_sgd_add_param_group(opt, (tg_params){p + 2, 2}, o);
  return opt;
}
static tg_optimizer *make_adam_groups(tg_tensor **p) {
  tg_adam_options o = TG_ADAM_DEFAULTS;
  o.lr = 0.01;
  tg_optimizer *opt = tg_adam((tg_params){p, 2}, o);
  o.lr = 0.003;
  o.amsgrad = true;
  o.weight_decay = 0.1;
  tg_adam_add_param_group(opt, (tg_params){p + 2, 2}, o);
  return opt;
}
static tg_optimizer *make_rmsprop_exponential(tg_tensor **p) {
  return tg_rmsprop((tg_params){p, N_PARAMS}, TG_RMSPROP_DEFAULTS);
}

static tg_lr_scheduler *step_lr(tg_optimizer *o) {
  return tg_step_lr(o, 5, 0.5);
}
static tg_lr_scheduler *multi_step_lr(tg_optimizer *o) {
  return tg_multi_step_lr(o, (int64_t[]){3, 8, 8, 15}, 4, 0.5);
}
static tg_lr_scheduler *exponential_lr(tg_optimizer *o) {
  return tg_exponential_lr(o, 0.9);
}
static tg_lr_scheduler *cosine_lr(tg_optimizer *o) {
  return tg_cosine_annealing_lr(o, 6, 0.001);
}
static tg_optimizer *make_adamw_one_cycle(tg_tensor **p) {
  tg_adam_options o = TG_ADAMW_DEFAULTS;
  o.lr = 0.01;
  return tg_adamw((tg_params){p, N_PARAMS}, o);
}
static tg_lr_scheduler *one_cycle_lr(tg_optimizer *o) {
  tg_one_cycle_options c = TG_ONE_CYCLE_DEFAULTS;
  c.max_lr = 0.05;
  c.total_steps = 20;
  return tg_one_cycle_lr(o, c);
}
static tg_lr_scheduler *plateau(tg_optimizer *o) {
  tg_plateau_options po = TG_PLATEAU_DEFAULTS;
  po.factor = 0.5;
  po.patience = 1;
  po.threshold = 0.05;
  po.cooldown = 1;
  return tg_reduce_lr_on_plateau(o, po);
}

static double clip_norm(tg_tensor **p) {
  return tg_clip_grad_norm_((tg_params){p, N_PARAMS}, 0.5, 2, false);
}
static double clip_norm_inf(tg_tensor **p) {
  return tg_clip_grad_norm_((tg_params){p, N_PARAMS}, 0.1, INFINITY, false);
}
static double clip_value(tg_tensor **p) {
  tg_clip_grad_value_((tg_params){p, N_PARAMS}, 0.05);
  return NAN; /* no norm to compare */
}

typedef struct config {
  const char *name;
  tg_optimizer *(*make)(tg_tensor **params);
  tg_lr_scheduler *(*schedule)(tg_optimizer *opt);
  double (*clip)(tg_tensor **params);
} config;

static const config configs[] = {
    {"sgd", make_sgd},
    {"sgd_momentum", make_sgd_momentum},
    {"sgd_dampening", make_sgd_dampening},
    {"sgd_nesterov", make_sgd_nesterov},
    {"sgd_weight_decay", make_sgd_weight_decay},
    {"sgd_maximize", make_sgd_maximize},
    {"rmsprop", make_rmsprop},
    {"rmsprop_centered", make_rmsprop_centered},
    {"rmsprop_momentum", make_rmsprop_momentum},
    {"rmsprop_all", make_rmsprop_all},
    {"adam", make_adam},
    {"adam_amsgrad", make_adam_amsgrad},
    {"adam_weight_decay", make_adam_weight_decay},
    {"adam_maximize", make_adam_maximize},
    {"adamw", make_adamw},
    {"adamw_amsgrad", make_adamw_amsgrad},
    {"adagrad", make_adagrad},
    {"adagrad_all", make_adagrad_all},
    {"sgd_groups", make_sgd_groups},
    {"adam_groups", make_adam_groups},
    {"step_lr", make_sgd_clip, step_lr},
    {"multi_step_lr", make_adam_multistep, multi_step_lr},
    {"exponential_lr", make_rmsprop_exponential, exponential_lr},
    {"cosine_lr", make_sgd_cosine, cosine_lr},
    {"plateau", make_sgd_clip, plateau},
    {"one_cycle_lr", make_adamw_one_cycle, one_cycle_lr},
    {"clip_norm", make_sgd_clip, NULL, clip_norm},
    {"clip_norm_inf", make_adam, NULL, clip_norm_inf},
    {"clip_value", make_sgd, NULL, clip_value},
    {"nadam", make_nadam},
    {"nadam_all", make_nadam_all},
    {"radam", make_radam},
    {"radam_all", make_radam_all},
};
#define N_CONFIGS ((int)(sizeof configs / sizeof configs[0]))

/* ---- the model and its training ---- */

typedef struct run {
  const config *c;
  tg_dtype dtype;
  const char *dt; /* "f32" / "f64" in golden names */
  tg_tensor *params[N_PARAMS];
  tg_tensor *x, *t; /* all batches */
  tg_optimizer *opt;
  tg_lr_scheduler *sched;
} run;

static void run_start(run *r, const config *c, tg_dtype dtype) {
  static const char *names[N_PARAMS] = {"init.W1", "init.b1", "init.W2", "init.b2"};
  r->c = c;
  r->dtype = dtype;
  r->dt = dtype == TG_FLOAT32 ? "f32" : "f64";
  for (int i = 0; i < N_PARAMS; i++)
    r->params[i] = tg_requires_grad_(tg_golden_tensor(golden, names[i], dtype), true);
  r->x = tg_golden_tensor(golden, "data.X", dtype);
  r->t = tg_golden_tensor(golden, "data.T", dtype);
  r->opt = c->make(r->params);
  r->sched = c->schedule ? c->schedule(r->opt) : NULL;
}

static void run_end(run *r) {
  tg_lr_scheduler_free(r->sched);
  tg_optimizer_free(r->opt);
  for (int i = 0; i < N_PARAMS; i++) tg_release(r->params[i]);
  tg_release(r->x);
  tg_release(r->t);
}

/* One training step on batch k, as optim.py's train() does it; returns the
 * norm clip_grad_norm_ gave (NaN without one). */
static double run_step(run *r, int k) {
  tg_tensor **p = r->params;
  tg_optimizer_zero_grad(r->opt, false);
  tg_scope_begin();
  tg_tensor *x = tg_select(r->x, 0, k), *t = tg_select(r->t, 0, k);
  tg_tensor *y = tg_linear(tg_tanh(tg_linear(x, p[0], p[1])), p[2], p[3]);
  tg_tensor *d = tg_sub(y, t);
  tg_tensor *loss = tg_mean(tg_mul(d, d), TG_ALL_DIMS, false);
  tg_backward(loss, NULL, 0);
  double norm = r->c->clip ? r->c->clip(p) : NAN;
  tg_optimizer_step(r->opt);
  if (r->sched && r->c->schedule == plateau)
    tg_lr_scheduler_step_metric(r->sched, tg_item(loss));
  else if (r->sched)
    tg_lr_scheduler_step(r->sched);
  tg_scope_end();
  return norm;
}

/* W1, b1, W2, b2 flattened into one vector (scope-owned). */
static tg_tensor *flat_params(run *r) {
  tg_tensor *flat[N_PARAMS];
  for (int i = 0; i < N_PARAMS; i++) flat[i] = tg_flatten(tg_detach(r->params[i]), 0, -1);
  return tg_cat(flat, N_PARAMS, 0);
}

static void check_step(run *r, int k, double norm) {
  /* atol covers weights that pass near zero, where float32 rounding of
   * O(1) terms leaves a few ulps (of 1) in an absolute sense */
  double rtol = r->dtype == TG_FLOAT32 ? 1e-5 : 1e-10;
  double atol = r->dtype == TG_FLOAT32 ? 2e-7 : 1e-14;
  char name[128], what[160];
  snprintf(name, sizeof name, "train.%s.%s.%d", r->c->name, r->dt, k);
  snprintf(what, sizeof what, "%s parameters", name);
  tg_scope_begin();
  tg_tensor *expected = tg_golden_tensor(golden, name, TG_FLOAT64);
  tg_assert_close(flat_params(r), expected, rtol, atol, what);
  tg_scope_end();

  snprintf(name, sizeof name, "train.%s.%s.%d.lr", r->c->name, r->dt, k);
  int64_t n;
  const double *lr = tg_golden_get(golden, name, &n, NULL);
  ck_assert_int_eq(n, tg_optimizer_num_groups(r->opt));
  for (int g = 0; g < n; g++)
    ck_assert_msg(fabs(tg_optimizer_get_lr(r->opt, g) - lr[g]) <= 1e-15 * lr[g],
                  "%s[%d]: %.17g, expected %.17g", name, g,
                  tg_optimizer_get_lr(r->opt, g), lr[g]);

  snprintf(name, sizeof name, "train.%s.%s.%d.norm", r->c->name, r->dt, k);
  if (tg_golden_has(golden, name)) {
    double want = tg_golden_get(golden, name, NULL, NULL)[0];
    ck_assert_msg(fabs(norm - want) <= rtol * fabs(want), "%s: %.17g, expected %.17g",
                  name, norm, want);
  }
}

/* _i: config index * 2 + dtype */
START_TEST(test_training_matches_pytorch) {
  run r;
  run_start(&r, &configs[_i / 2], _i % 2 ? TG_FLOAT64 : TG_FLOAT32);
  for (int k = 0; k < STEPS; k++) check_step(&r, k, run_step(&r, k));
  run_end(&r);
}
END_TEST

/* ---- the optimizers alone, on PyTorch's gradients ---- */

#define FIXED_STEPS 8

/* Sets each parameter's grad to optim.py's fixed grad of step k. */
static void set_fixed_grads(tg_tensor **p, int k) {
  for (int i = 0; i < N_PARAMS; i++) {
    char name[64];
    snprintf(name, sizeof name, "fixed.grad.%d.%d", k, i);
    tg_release(p[i]->grad);
    p[i]->grad = tg_golden_tensor(golden, name, p[i]->dtype); /* owned by p[i] */
  }
}

/* Every optimizer configuration without a scheduler or clipping, given the
 * same grads as PyTorch: the parameters must come out bit for bit, in float32
 * as in float64 (each op rounds where ATen's does). _i: config * 2 + dtype. */
START_TEST(test_fixed_grads_match_pytorch_exactly) {
  const config *c = &configs[_i / 2];
  if (c->schedule || c->clip) return;
  tg_dtype dtype = _i % 2 ? TG_FLOAT64 : TG_FLOAT32;
  tg_tensor *p[N_PARAMS];
  for (int i = 0; i < N_PARAMS; i++) {
    char name[32];
    snprintf(name, sizeof name, "fixed.init.%d", i);
    p[i] = tg_requires_grad_(tg_golden_tensor(golden, name, dtype), true);
  }
  tg_optimizer *opt = c->make(p);
  for (int k = 0; k < FIXED_STEPS; k++) {
    set_fixed_grads(p, k);
    tg_optimizer_step(opt);
  }
  char name[64];
  snprintf(name, sizeof name, "fixed.%s.%s", c->name, _i % 2 ? "f64" : "f32");
  tg_scope_begin();
  tg_tensor *flat[N_PARAMS];
  for (int i = 0; i < N_PARAMS; i++) flat[i] = tg_flatten(tg_detach(p[i]), 0, -1);
  tg_assert_close(tg_cat(flat, N_PARAMS, 0), tg_golden_tensor(golden, name, TG_FLOAT64),
                  0, 0, name);
  tg_scope_end();
  tg_optimizer_free(opt);
  for (int i = 0; i < N_PARAMS; i++) tg_release(p[i]);
}
END_TEST

/* ---- state dicts ---- */

/* The parameters' bytes, for bit-identical comparisons. */
static void snapshot(run *r, double *out) {
  tg_scope_begin();
  tg_copy_to_f64(flat_params(r), out);
  tg_scope_end();
}

#define N_VALUES 32 /* 15 + 5 + 10 + 2 */

/* 10 steps, state_dict, a fresh optimizer (with a wrong lr) loads it, 10 more
 * steps: bit for bit the 20 straight steps. */
START_TEST(test_state_dict_round_trip) {
  const config *c = &configs[_i / 2];
  tg_dtype dtype = _i % 2 ? TG_FLOAT64 : TG_FLOAT32;
  double straight[N_VALUES], resumed[N_VALUES];
  run r;
  run_start(&r, c, dtype);
  for (int k = 0; k < STEPS; k++) run_step(&r, k);
  snapshot(&r, straight);
  run_end(&r);

  run_start(&r, c, dtype);
  for (int k = 0; k < STEPS / 2; k++) run_step(&r, k);
  tg_tensor_dict *sd = tg_optimizer_state_dict(r.opt);
  tg_optimizer_free(r.opt);
  r.opt = c->make(r.params);
  tg_optimizer_set_lr(r.opt, 0, 123.0);
  ck_assert_int_eq(tg_optimizer_load_state_dict(r.opt, sd), 0);
  tg_tensor_dict_free(sd);
  ck_assert_double_ne(tg_optimizer_get_lr(r.opt, 0), 123.0);
  for (int k = STEPS / 2; k < STEPS; k++) run_step(&r, k);
  snapshot(&r, resumed);
  run_end(&r);
  ck_assert_msg(memcmp(straight, resumed, sizeof straight) == 0,
                "%s: resumed training differs from straight training", c->name);
}
END_TEST

static bool has_entry(const tg_tensor_dict *sd, const char *name) {
  return tg_tensor_dict_get(sd, name) != NULL;
}

START_TEST(test_state_dict_names) {
  run r;
  run_start(&r, &configs[11], TG_FLOAT64); /* adam_amsgrad */
  tg_tensor_dict *before = tg_optimizer_state_dict(r.opt);
  ck_assert_int_eq(before->n, 1 + 7); /* no state before the first step */
  run_step(&r, 0);
  tg_tensor_dict *sd = tg_optimizer_state_dict(r.opt);
  ck_assert_int_eq(sd->n, 4 * 4 + 1 + 7);
  ck_assert_str_eq(sd->items[0].name, "state.0.step");
  ck_assert_double_eq(tg_item(tg_tensor_dict_get(sd, "state.3.step")), 1);
  const char *names[] = {
      "state.0.exp_avg",        "state.1.exp_avg_sq",     "state.3.max_exp_avg_sq",
      "param_groups.0.params",  "param_groups.0.lr",      "param_groups.0.betas.0",
      "param_groups.0.betas.1", "param_groups.0.eps",     "param_groups.0.weight_decay",
      "param_groups.0.amsgrad", "param_groups.0.maximize"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    ck_assert_msg(has_entry(sd, names[i]), "missing %s", names[i]);
  tg_assert_shape(tg_tensor_dict_get(sd, "state.0.exp_avg"), TG_SHAPE(5, 3));
  ck_assert_double_eq(tg_item(tg_tensor_dict_get(sd, "param_groups.0.betas.1")), 0.999);
  ck_assert_double_eq(tg_item(tg_tensor_dict_get(sd, "param_groups.0.amsgrad")), 1);
  /* a snapshot: more steps leave it alone */
  double m = tg_get_flat(tg_tensor_dict_get(sd, "state.0.exp_avg"), 0);
  run_step(&r, 1);
  ck_assert_double_eq(tg_get_flat(tg_tensor_dict_get(sd, "state.0.exp_avg"), 0), m);
  tg_tensor_dict_free(before);
  tg_tensor_dict_free(sd);
  run_end(&r);
}
END_TEST

/* NAdam's state holds its momentum product, a float32 scalar as PyTorch's. */
START_TEST(test_state_dict_nadam_mu_product) {
  run r;
  run_start(&r, &configs[29], TG_FLOAT64); /* nadam */
  run_step(&r, 0);
  run_step(&r, 1);
  tg_tensor_dict *sd = tg_optimizer_state_dict(r.opt);
  tg_tensor *mu = tg_tensor_dict_get(sd, "state.2.mu_product");
  ck_assert_ptr_nonnull(mu);
  ck_assert_int_eq(mu->dtype, TG_FLOAT32);
  /* mu_1 mu_2 with beta1 0.9 and momentum_decay 4e-3, rounded as float32 */
  float mu1 = (float)(0.9 * (1 - 0.5 * pow(0.96, 0.004))),
        mu2 = (float)(0.9 * (1 - 0.5 * pow(0.96, 0.008)));
  ck_assert_float_eq((float)tg_item(mu), mu1 * mu2);
  ck_assert_double_eq(tg_item(tg_tensor_dict_get(sd, "param_groups.0.momentum_decay")),
                      0.004);
  /* a product outside (0, 1] from a file is refused, the state untouched */
  const double bad[] = {NAN, 0, -0.5, 1.5, INFINITY};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    tg_fill_(mu, bad[k]);
    ck_assert_int_eq(tg_optimizer_load_state_dict(r.opt, sd), -1);
    ck_assert_msg(strstr(tg_last_error(), "entry \"state.2.mu_product\" holds") &&
                      strstr(tg_last_error(), "not a product of momentum factors"),
                  "%s", tg_last_error());
  }
  tg_tensor_dict_free(sd);
  run_end(&r);
}
END_TEST

START_TEST(test_state_dict_scheduler_and_adagrad) {
  run r;
  run_start(&r, &configs[17], TG_FLOAT32); /* adagrad_all: state from the start */
  tg_tensor_dict *sd = tg_optimizer_state_dict(r.opt);
  ck_assert_double_eq(tg_item(tg_tensor_dict_get(sd, "state.2.step")), 0);
  ck_assert_double_eq_tol(tg_get_flat(tg_tensor_dict_get(sd, "state.2.sum"), 3), 0.1,
                          1e-8);
  ck_assert_ptr_null(tg_tensor_dict_get(sd, "param_groups.0.initial_lr"));
  tg_lr_scheduler *s = tg_exponential_lr(r.opt, 0.5);
  tg_lr_scheduler_step(s);
  tg_tensor_dict *sd2 = tg_optimizer_state_dict(r.opt);
  ck_assert_double_eq(tg_item(tg_tensor_dict_get(sd2, "param_groups.0.initial_lr")),
                      0.05);
  ck_assert_double_eq(tg_item(tg_tensor_dict_get(sd2, "param_groups.0.lr")), 0.025);
  ck_assert_int_eq(tg_optimizer_load_state_dict(r.opt, sd), 0); /* back to lr 0.05 */
  ck_assert_double_eq(tg_optimizer_get_lr(r.opt, 0), 0.05);
  tg_lr_scheduler_free(s);
  tg_tensor_dict_free(sd);
  tg_tensor_dict_free(sd2);
  run_end(&r);
}
END_TEST

/* A float64 Adam state dict loads into a float32 optimizer, converted. */
START_TEST(test_state_dict_converts_dtype) {
  run a, b;
  run_start(&a, &configs[10], TG_FLOAT64);
  run_start(&b, &configs[10], TG_FLOAT32);
  run_step(&a, 0);
  tg_tensor_dict *sd = tg_optimizer_state_dict(a.opt);
  ck_assert_int_eq(tg_optimizer_load_state_dict(b.opt, sd), 0);
  tg_tensor_dict *back = tg_optimizer_state_dict(b.opt);
  tg_tensor *m = tg_tensor_dict_get(back, "state.0.exp_avg");
  ck_assert_int_eq(m->dtype, TG_FLOAT32);
  tg_assert_close(m, tg_tensor_dict_get(sd, "state.0.exp_avg"), 1e-6, 0, "exp_avg");
  tg_tensor_dict_free(sd);
  tg_tensor_dict_free(back);
  run_end(&a);
  run_end(&b);
}
END_TEST

/* ---- loading errors: -1, a message, and the optimizer unchanged ---- */

static void expect_load_error(tg_optimizer *opt, const tg_tensor_dict *sd,
                              const char *message) {
  double lr = tg_optimizer_get_lr(opt, 0);
  ck_assert_int_eq(tg_optimizer_load_state_dict(opt, sd), -1);
  ck_assert_msg(strstr(tg_last_error(), message) != NULL, "error \"%s\" lacks \"%s\"",
                tg_last_error(), message);
  ck_assert_double_eq(tg_optimizer_get_lr(opt, 0), lr);
}

static void put_scalar(tg_tensor_dict *sd, const char *name, double v) {
  tg_tensor *t = tg_scalar(v, TG_FLOAT64);
  tg_tensor_dict_add(sd, name, t);
  tg_release(t);
}

/* A hand-made SGD state dict for one group of n parameters. */
static tg_tensor_dict *sgd_dict(int n, double lr) {
  tg_tensor_dict *sd = tg_tensor_dict_new();
  tg_tensor *ids = tg_arange(0, n, 1, TG_INT64);
  tg_tensor_dict_add(sd, "param_groups.0.params", ids);
  tg_release(ids);
  const char *fields[] = {"momentum", "dampening", "weight_decay", "nesterov",
                          "maximize"};
  put_scalar(sd, "param_groups.0.lr", lr);
  for (int i = 0; i < 5; i++) {
    char name[64];
    snprintf(name, sizeof name, "param_groups.0.%s", fields[i]);
    put_scalar(sd, name, 0);
  }
  return sd;
}

START_TEST(test_load_errors) {
  run r, groups, adam_run;
  run_start(&r, &configs[1], TG_FLOAT32);         /* sgd_momentum, 1 group */
  run_start(&groups, &configs[18], TG_FLOAT32);   /* sgd_groups, 2 groups */
  run_start(&adam_run, &configs[10], TG_FLOAT32); /* adam */
  run_step(&groups, 0);
  run_step(&adam_run, 0);

  tg_tensor_dict *sd = tg_optimizer_state_dict(groups.opt);
  expect_load_error(r.opt, sd,
                    "tg_optimizer_load_state_dict: loaded state dict has a different "
                    "number of parameter groups (2, the optimizer has 1)");
  tg_tensor_dict_free(sd);

  sd = sgd_dict(3, 0.5);
  expect_load_error(r.opt, sd,
                    "loaded state dict contains a parameter group that doesn't match the "
                    "size of optimizer's group (group 0 has 3 parameters, the "
                    "optimizer's has 4)");
  tg_tensor_dict_free(sd);

  sd = tg_optimizer_state_dict(adam_run.opt);
  expect_load_error(r.opt, sd, "unknown entry \"state.0.step\" for SGD");
  tg_tensor_dict_free(sd);

  sd = sgd_dict(4, -1);
  expect_load_error(r.opt, sd, "param_groups.0: invalid learning rate: -1");
  tg_tensor_dict_free(sd);

  sd = sgd_dict(4, 0.5);
  tg_tensor *wrong = tg_zeros(TG_SHAPE(3, 5), TG_FLOAT32);
  tg_tensor_dict_add(sd, "state.0.momentum_buffer", wrong);
  tg_release(wrong);
  expect_load_error(r.opt, sd,
                    "entry \"state.0.momentum_buffer\" is float32 (3x5), parameter 0 is "
                    "float32 (5x3)");
  TG_EXPECT_ERROR(tg_tensor_dict_add(sd, "param_groups.0.lr", wrong),
                  "tg_tensor_dict_add: duplicate name \"param_groups.0.lr\"");
  tg_tensor_dict_free(sd);

  sd = sgd_dict(4, 0.5);
  tg_tensor *buf = tg_zeros(TG_SHAPE(5), TG_FLOAT32);
  tg_tensor_dict_add(sd, "state.9.momentum_buffer", buf);
  tg_release(buf);
  expect_load_error(r.opt, sd,
                    "entry \"state.9.momentum_buffer\" is for parameter 9, which no "
                    "group lists");
  tg_tensor_dict_free(sd);

  sd = sgd_dict(4, 0.5);
  put_scalar(sd, "momentum", 0.5);
  expect_load_error(r.opt, sd, "unknown entry \"momentum\" for SGD");
  tg_tensor_dict_free(sd);

  sd = sgd_dict(4, 0.5);
  tg_tensor *two = tg_zeros(TG_SHAPE(2), TG_FLOAT64);
  tg_tensor_dict_add(sd, "param_groups.0.initial_lr", two);
  tg_release(two);
  expect_load_error(r.opt, sd,
                    "entry \"param_groups.0.initial_lr\" has 2 elements, expected one");
  tg_tensor_dict_free(sd);

  /* a dict without one option */
  sd = tg_tensor_dict_new();
  tg_tensor *ids = tg_arange(0, 4, 1, TG_INT64);
  tg_tensor_dict_add(sd, "param_groups.0.params", ids);
  tg_release(ids);
  put_scalar(sd, "param_groups.0.lr", 0.5);
  expect_load_error(r.opt, sd, "missing entry \"param_groups.0.momentum\"");
  tg_tensor_dict_free(sd);

  sd = sgd_dict(4, 0.5); /* and a good one loads */
  ck_assert_int_eq(tg_optimizer_load_state_dict(r.opt, sd), 0);
  ck_assert_double_eq(tg_optimizer_get_lr(r.opt, 0), 0.5);
  tg_tensor_dict_free(sd);
  run_end(&r);
  run_end(&groups);
  run_end(&adam_run);
}
END_TEST

/* ---- construction and use errors ---- */

START_TEST(test_option_errors) {
  run r;
  run_start(&r, &configs[0], TG_FLOAT32);
  tg_tensor **p = r.params;
  TG_EXPECT_ERROR(tg_sgd(tg_test_params(p, 4), TG_SGD_DEFAULTS),
                  "tg_sgd: lr is required (TG_SGD_DEFAULTS leaves it unset)");
  TG_EXPECT_ERROR(sgd(p, -0.1, 0, 0, 0, false, false),
                  "tg_sgd: invalid learning rate: -0.1");
  TG_EXPECT_ERROR(sgd(p, 0.1, -0.5, 0, 0, false, false),
                  "tg_sgd: invalid momentum value: -0.5");
  TG_EXPECT_ERROR(sgd(p, 0.1, 0, 0, -1, false, false),
                  "tg_sgd: invalid weight_decay value: -1");
  TG_EXPECT_ERROR(sgd(p, 0.1, 0, 0, 0, true, false),
                  "tg_sgd: Nesterov momentum requires a momentum and zero dampening");
  TG_EXPECT_ERROR(sgd(p, 0.1, 0.9, 0.1, 0, true, false),
                  "tg_sgd: Nesterov momentum requires a momentum and zero dampening");

  tg_adam_options ao = TG_ADAM_DEFAULTS;
  ao.betas[1] = 1.0;
  TG_EXPECT_ERROR(tg_adam(tg_test_params(p, 4), ao),
                  "tg_adam: invalid beta parameter at index 1: 1");
  ao = TG_ADAMW_DEFAULTS;
  ao.betas[0] = -0.1;
  TG_EXPECT_ERROR(tg_adamw(tg_test_params(p, 4), ao),
                  "tg_adamw: invalid beta parameter at index 0: -0.1");
  ao = TG_ADAM_DEFAULTS;
  ao.lr = -1e-3;
  TG_EXPECT_ERROR(tg_adam(tg_test_params(p, 4), ao),
                  "tg_adam: invalid learning rate: -0.001");
  ao = TG_ADAM_DEFAULTS;
  ao.eps = -1;
  TG_EXPECT_ERROR(tg_adam(tg_test_params(p, 4), ao),
                  "tg_adam: invalid epsilon value: -1");

  tg_rmsprop_options ro = TG_RMSPROP_DEFAULTS;
  ro.alpha = -0.5;
  TG_EXPECT_ERROR(tg_rmsprop(tg_test_params(p, 4), ro),
                  "tg_rmsprop: invalid alpha value: -0.5");
  ro = TG_RMSPROP_DEFAULTS;
  ro.eps = NAN;
  TG_EXPECT_ERROR(tg_rmsprop(tg_test_params(p, 4), ro),
                  "tg_rmsprop: invalid epsilon value: nan");

  tg_adagrad_options go = TG_ADAGRAD_DEFAULTS;
  go.lr_decay = -1;
  TG_EXPECT_ERROR(tg_adagrad(tg_test_params(p, 4), go),
                  "tg_adagrad: invalid lr_decay value: -1");
  go = TG_ADAGRAD_DEFAULTS;
  go.initial_accumulator_value = -2;
  TG_EXPECT_ERROR(tg_adagrad(tg_test_params(p, 4), go),
                  "tg_adagrad: invalid initial_accumulator_value value: -2");

  tg_nadam_options no = TG_NADAM_DEFAULTS;
  no.momentum_decay = -0.1;
  TG_EXPECT_ERROR(tg_nadam(tg_test_params(p, 4), no),
                  "tg_nadam: invalid momentum_decay value: -0.1");
  no = TG_NADAM_DEFAULTS;
  no.betas[0] = 1;
  TG_EXPECT_ERROR(tg_nadam(tg_test_params(p, 4), no),
                  "tg_nadam: invalid beta parameter at index 0: 1");
  tg_radam_options rao = TG_RADAM_DEFAULTS;
  rao.weight_decay = -1;
  TG_EXPECT_ERROR(tg_radam(tg_test_params(p, 4), rao),
                  "tg_radam: invalid weight_decay value: -1");
  run_end(&r);
}
END_TEST

START_TEST(test_param_errors) {
  run r;
  run_start(&r, &configs[0], TG_FLOAT32);
  tg_tensor **p = r.params;
  tg_scope_begin();
  tg_tensor *not_leaf = tg_mul_scalar(p[0], 2);
  TG_EXPECT_ERROR(tg_adagrad(tg_test_params(&not_leaf, 1), TG_ADAGRAD_DEFAULTS),
                  "tg_adagrad: can't optimize a non-leaf tensor (parameter 0)");
  tg_tensor *ints = tg_arange(0, 3, 1, TG_INT64);
  TG_EXPECT_ERROR(tg_adam(tg_test_params(&ints, 1), TG_ADAM_DEFAULTS),
                  "tg_adam: parameter 0 is int64; optimizers update float32 or float64");
  tg_tensor *strided = tg_detach(tg_t(p[0]));
  TG_EXPECT_ERROR(tg_adam(tg_test_params(&strided, 1), TG_ADAM_DEFAULTS),
                  "tg_adam: parameter 0 is not contiguous");
  TG_EXPECT_ERROR(tg_adam(tg_test_params(p, 0), TG_ADAM_DEFAULTS),
                  "tg_adam: optimizer got an empty parameter list");
  TG_EXPECT_ERROR(
      tg_adam(tg_test_params((tg_tensor *[]){p[1], p[1]}, 2), TG_ADAM_DEFAULTS),
      "tg_adam: parameter 1 appears twice in the group");
  tg_scope_end();

  tg_adam_options ao = TG_ADAM_DEFAULTS;
  tg_optimizer *opt = tg_adam(tg_test_params(p, 2), ao);
  TG_EXPECT_ERROR(tg_adam_add_param_group(opt, tg_test_params(p + 1, 2), ao),
                  "tg_adam_add_param_group: some parameters appear in more than one "
                  "parameter group");
  tg_sgd_options so = TG_SGD_DEFAULTS;
  so.lr = 0.1;
  TG_EXPECT_ERROR(
      tg_sgd_add_param_group(opt, tg_test_params(p + 2, 2), so),
      "tg_sgd_add_param_group: the optimizer is Adam; use its own options type");
  ao.lr = -1;
  TG_EXPECT_ERROR(tg_adam_add_param_group(opt, tg_test_params(p + 2, 2), ao),
                  "tg_adam_add_param_group: invalid learning rate: -1");
  ck_assert_int_eq(tg_optimizer_num_groups(opt), 1);
  ck_assert_int_eq(tg_optimizer_num_params(opt), 2);
  TG_EXPECT_ERROR(tg_optimizer_get_lr(opt, 1),
                  "tg_optimizer_get_lr: group 1 out of range (the optimizer has 1)");
  TG_EXPECT_ERROR(tg_optimizer_set_lr(opt, 0, -0.5),
                  "tg_optimizer_set_lr: invalid learning rate: -0.5");
  ck_assert_str_eq(tg_optimizer_name(opt), "Adam");

  /* a grad of the wrong shape */
  p[0]->grad = tg_zeros(TG_SHAPE(3, 5), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_optimizer_step(opt),
                  "tg_optimizer_step: parameter 0 is float32 (5x3) "
                  "but its grad is float32 (3x5)");
  ck_assert(tg_is_grad_enabled());
  tg_optimizer_free(opt);
  run_end(&r);
}
END_TEST

/* ---- behaviour around the step ---- */

START_TEST(test_zero_grad) {
  run r;
  run_start(&r, &configs[10], TG_FLOAT64);
  run_step(&r, 0);
  tg_tensor *grad = r.params[0]->grad;
  tg_optimizer_zero_grad(r.opt, false); /* 1.13's default: zeros, same tensor */
  ck_assert_ptr_eq(r.params[0]->grad, grad);
  for (int i = 0; i < 15; i++) ck_assert_double_eq(tg_get_flat(grad, i), 0);
  tg_optimizer_zero_grad(r.opt, true);
  for (int i = 0; i < N_PARAMS; i++) ck_assert_ptr_null(r.params[i]->grad);

  /* a grad with a history (create_graph) is detached, as PyTorch does */
  tg_scope_begin();
  tg_tensor *y = tg_sum(tg_mul(r.params[1], r.params[1]), TG_ALL_DIMS, false);
  tg_backward(y, NULL, TG_CREATE_GRAPH);
  tg_scope_end();
  ck_assert_ptr_nonnull(r.params[1]->grad->grad_fn);
  tg_optimizer_zero_grad(r.opt, false);
  ck_assert_ptr_null(r.params[1]->grad->grad_fn);
  ck_assert(!r.params[1]->grad->requires_grad);
  run_end(&r);
}
END_TEST

/* Parameters without grads are skipped and get no state; a step bumps the
 * storage version of what it writes, so autograd's saved-tensor check sees
 * the update. */
START_TEST(test_step_skips_and_bumps_version) {
  run r;
  run_start(&r, &configs[10], TG_FLOAT64);
  double before = tg_get_flat(r.params[3], 0);
  uint64_t v0 = r.params[0]->storage->version, v3 = r.params[3]->storage->version;
  tg_scope_begin();
  tg_tensor *y = tg_sum(tg_mul(r.params[0], r.params[0]), TG_ALL_DIMS, false);
  tg_backward(y, NULL, 0);
  tg_scope_end();
  tg_optimizer_step(r.opt);
  ck_assert_double_eq(tg_get_flat(r.params[3], 0), before);
  ck_assert_uint_eq(r.params[3]->storage->version, v3);
  ck_assert_uint_gt(r.params[0]->storage->version, v0);
  tg_tensor_dict *sd = tg_optimizer_state_dict(r.opt);
  ck_assert_ptr_nonnull(tg_tensor_dict_get(sd, "state.0.exp_avg"));
  ck_assert_ptr_null(tg_tensor_dict_get(sd, "state.3.exp_avg"));
  tg_tensor_dict_free(sd);
  run_end(&r);
}
END_TEST

/* The header's SGD momentum formula, by hand: m1 = g, m2 = 0.9 m1 + 0.7 g. */
START_TEST(test_sgd_momentum_by_hand) {
  tg_tensor *w = tg_requires_grad_(tg_zeros(TG_SHAPE(1), TG_FLOAT64), true);
  tg_sgd_options o = {.lr = 0.1, .momentum = 0.9, .dampening = 0.3};
  tg_optimizer *opt = tg_sgd(TG_PARAMS(w), o);
  for (int k = 0; k < 2; k++) {
    tg_optimizer_zero_grad(opt, false);
    tg_scope_begin();
    tg_backward(tg_sum(tg_mul_scalar(w, 2.0), TG_ALL_DIMS, false), NULL, 0); /* g = 2 */
    tg_scope_end();
    tg_optimizer_step(opt);
  }
  /* w = -0.1 * 2 - 0.1 * (0.9 * 2 + 0.7 * 2) */
  ck_assert_double_eq_tol(tg_get_flat(w, 0), -0.2 - 0.32, 1e-15);
  tg_optimizer_free(opt);
  tg_release(w);
}
END_TEST

int main(void) {
  Suite *s = suite_create("optim");
  TCase *tc = tcase_create("golden");
  tcase_set_timeout(tc, 600);
  tcase_add_unchecked_fixture(tc, load_golden, free_golden);
  tcase_add_loop_test(tc, test_training_matches_pytorch, 0, 2 * N_CONFIGS);
  tcase_add_loop_test(tc, test_fixed_grads_match_pytorch_exactly, 0, 2 * N_CONFIGS);
  /* round trips: every optimizer with all its buffers, and groups */
  static const int round_trip[] = {3, 5, 9, 11, 12, 15, 17, 18, 19, 30, 32};
  for (size_t i = 0; i < sizeof round_trip / sizeof *round_trip; i++)
    for (int d = 0; d < 2; d++)
      tcase_add_loop_test(tc, test_state_dict_round_trip, 2 * round_trip[i] + d,
                          2 * round_trip[i] + d + 1);
  suite_add_tcase(s, tc);
  TCase *api = tcase_create("api");
  tcase_add_unchecked_fixture(api, load_golden, free_golden);
  tcase_add_test(api, test_state_dict_names);
  tcase_add_test(api, test_state_dict_nadam_mu_product);
  tcase_add_test(api, test_state_dict_scheduler_and_adagrad);
  tcase_add_test(api, test_state_dict_converts_dtype);
  tcase_add_test(api, test_load_errors);
  tcase_add_test(api, test_option_errors);
  tcase_add_test(api, test_param_errors);
  tcase_add_test(api, test_zero_grad);
  tcase_add_test(api, test_step_skips_and_bumps_version);
  tcase_add_test(api, test_sgd_momentum_by_hand);
  suite_add_tcase(s, api);
  return tg_test_run(s);
}
