/* tensorgrad/optim.h - optimizers, learning-rate schedulers, gradient clipping.
 *
 * Mirrors torch.optim of PyTorch 1.13 (the single-tensor code paths): same
 * update rules, same defaults, same order of operations. An optimizer holds
 * parameter groups; each group has its own copy of the options (lr included),
 * so different layers can train with different settings:
 *
 *     tg_adam_options o = TG_ADAM_DEFAULTS;
 *     o.lr = 1e-2;
 *     tg_optimizer *opt = tg_adam(tg_module_parameters(model), o);
 *     for (...) {
 *       tg_optimizer_zero_grad(opt, false);
 *       tg_backward(loss, NULL, 0);
 *       tg_optimizer_step(opt);
 *     }
 *     tg_optimizer_free(opt);
 *
 * Start from the TG_..._DEFAULTS of the optimizer: a compound literal
 * (tg_adam_options){.lr = 1e-2} leaves betas and eps at 0, not at PyTorch's
 * defaults, and is refused ("betas and eps are all 0: ..."), as are RMSprop
 * options without alpha and eps, and Adagrad's without eps (0 / 0).
 *
 * Parameters are leaf tensors (float32 or float64, contiguous) that the
 * optimizer retains until tg_optimizer_free. A step updates each parameter
 * in place, element by element, without recording on the tape, and bumps its
 * storage version so autograd notices tensors saved before the update.
 * Parameters whose grad is NULL are skipped (and get no state), as in PyTorch.
 *
 * Each step computes in the parameter's dtype, op for op as PyTorch 1.13's
 * single-tensor code does on an AVX2 CPU (add with alpha and addcmul as fused
 * multiply-adds, through fmaf/fma on any CPU): given the same gradients, the
 * results equal PyTorch's bit for bit.
 *
 * Misuse (negative lr, betas outside [0, 1), nesterov without momentum,
 * mismatched grads) goes through tg_error. Loading a state dict, which may
 * come from a file, returns -1 with tg_last_error() set instead.
 */
#ifndef TENSORGRAD_OPTIM_H
#define TENSORGRAD_OPTIM_H

#include "tensorgrad/export.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "tensorgrad/tensor.h"

TG_API_BEGIN

typedef struct tg_optimizer tg_optimizer;

/* ---- SGD -------------------------------------------------------------------
 * PyTorch's form, which is NOT the lecture slide's v = beta*v + (1-beta)*g:
 *     g = grad (negated if maximize) + weight_decay * p
 *     m = g                                   on the first step
 *     m = momentum * m + (1 - dampening) * g  afterwards (dampening defaults to 0)
 *     d = nesterov ? g + momentum * m : m     (d = g when momentum == 0)
 *     p = p - lr * d
 * torch.optim.SGD has no default lr; TG_SGD_DEFAULTS leaves it NAN and tg_sgd
 * rejects it, so set o.lr. */
typedef struct tg_sgd_options {
  double lr;
  double momentum;
  double dampening;
  double weight_decay;
  bool nesterov;
  bool maximize;
} tg_sgd_options;
#define TG_SGD_DEFAULTS ((tg_sgd_options){.lr = NAN})

/* ---- RMSprop ---------------------------------------------------------------
 *     g = grad (negated if maximize) + weight_decay * p
 *     v = alpha * v + (1 - alpha) * g^2
 *     avg = sqrt(v - gbar^2) + eps   with gbar = alpha*gbar + (1-alpha)*g if centered,
 *     avg = sqrt(v) + eps            otherwise (eps outside the sqrt)
 *     b = momentum * b + g / avg; p -= lr * b    if momentum > 0,
 *     p -= lr * g / avg                          otherwise */
typedef struct tg_rmsprop_options {
  double lr;
  double alpha;
  double eps;
  double weight_decay;
  double momentum;
  bool centered;
  bool maximize;
} tg_rmsprop_options;
#define TG_RMSPROP_DEFAULTS ((tg_rmsprop_options){.lr = 1e-2, .alpha = 0.99, .eps = 1e-8})

/* ---- Adam and AdamW (one options type) ---------------------------------------
 *     t += 1; g = grad (negated if maximize)
 *     Adam:  g += weight_decay * p          AdamW: p *= 1 - lr * weight_decay
 *     m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
 *     vmax = max(vmax, v) if amsgrad (and v below means vmax)
 *     p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * AdamW differs only in its default weight_decay (1e-2). */
typedef struct tg_adam_options {
  double lr;
  double betas[2];
  double eps;
  double weight_decay;
  bool amsgrad;
  bool maximize;
} tg_adam_options;
#define TG_ADAM_DEFAULTS                                                                 \
  ((tg_adam_options){.lr = 1e-3, .betas = {0.9, 0.999}, .eps = 1e-8})
#define TG_ADAMW_DEFAULTS                                                                \
  ((tg_adam_options){                                                                    \
      .lr = 1e-3, .betas = {0.9, 0.999}, .eps = 1e-8, .weight_decay = 1e-2})

/* ---- NAdam ------------------------------------------------------------------
 *     t += 1; g = grad + weight_decay * p
 *     mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay)); mu_prod *= mu_t
 *     m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
 *     d = sqrt(v / (1 - beta2^t)) + eps
 *     p -= lr (1 - mu_t) / (1 - mu_prod) * g / d
 *     p -= lr mu_{t+1} / (1 - mu_prod mu_{t+1}) * m / d
 * mu_prod is a float32 scalar for every dtype, as PyTorch's is. */
typedef struct tg_nadam_options {
  double lr;
  double betas[2];
  double eps;
  double weight_decay;
  double momentum_decay;
} tg_nadam_options;
#define TG_NADAM_DEFAULTS                                                                \
  ((tg_nadam_options){                                                                   \
      .lr = 2e-3, .betas = {0.9, 0.999}, .eps = 1e-8, .momentum_decay = 4e-3})

/* ---- RAdam ------------------------------------------------------------------
 *     t += 1; g = grad + weight_decay * p; m and v as Adam's
 *     rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
 *     rho_t > 5: p -= m / (1 - beta1^t) * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
 *                with r = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2)
 * rho_t)) otherwise: p -= m / (1 - beta1^t) * lr */
typedef struct tg_radam_options {
  double lr;
  double betas[2];
  double eps;
  double weight_decay;
} tg_radam_options;
#define TG_RADAM_DEFAULTS                                                                \
  ((tg_radam_options){.lr = 1e-3, .betas = {0.9, 0.999}, .eps = 1e-8})

/* ---- Adagrad ------------------------------------------------------------------
 *     t += 1; g = grad (negated if maximize) + weight_decay * p
 *     s += g^2   (s starts at initial_accumulator_value)
 *     p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps) */
typedef struct tg_adagrad_options {
  double lr;
  double lr_decay;
  double weight_decay;
  double initial_accumulator_value;
  double eps;
  bool maximize;
} tg_adagrad_options;
#define TG_ADAGRAD_DEFAULTS ((tg_adagrad_options){.lr = 1e-2, .eps = 1e-10})

/* ---- construction --------------------------------------------------------------
 * Each constructor makes an optimizer whose first group holds params, as
 * torch.optim.SGD(model.parameters(), lr=0.1) does:
 *     tg_sgd(tg_module_parameters(model), (tg_sgd_options){.lr = 0.1})
 *     tg_sgd(TG_PARAMS(w, b), o)           raw tensors */
tg_optimizer *tg_sgd(tg_params params, tg_sgd_options options);
tg_optimizer *tg_rmsprop(tg_params params, tg_rmsprop_options options);
tg_optimizer *tg_adam(tg_params params, tg_adam_options options);
tg_optimizer *tg_adamw(tg_params params, tg_adam_options options);
tg_optimizer *tg_adagrad(tg_params params, tg_adagrad_options options);
tg_optimizer *tg_nadam(tg_params params, tg_nadam_options options);
tg_optimizer *tg_radam(tg_params params, tg_radam_options options);

/* torch's optimizer.add_param_group: a new group with its own options. The
 * options type must match the optimizer (tg_adam_options for Adam and AdamW).
 * A parameter may belong to one group only. */
void tg_sgd_add_param_group(tg_optimizer *opt, tg_params params, tg_sgd_options options);
void tg_rmsprop_add_param_group(tg_optimizer *opt, tg_params params,
                                tg_rmsprop_options options);
void tg_adam_add_param_group(tg_optimizer *opt, tg_params params,
                             tg_adam_options options);
void tg_adagrad_add_param_group(tg_optimizer *opt, tg_params params,
                                tg_adagrad_options options);
void tg_nadam_add_param_group(tg_optimizer *opt, tg_params params,
                              tg_nadam_options options);
void tg_radam_add_param_group(tg_optimizer *opt, tg_params params,
                              tg_radam_options options);

void tg_optimizer_free(tg_optimizer *opt); /* NULL is fine */

/* ---- use ---------------------------------------------------------------------- */

void tg_optimizer_step(tg_optimizer *opt);
/* PyTorch 1.13's default is set_to_none = false: grads are zeroed in place
 * (and detached if a create_graph backward gave them a grad_fn). */
void tg_optimizer_zero_grad(tg_optimizer *opt, bool set_to_none);

const char *tg_optimizer_name(const tg_optimizer *opt); /* "SGD", "Adam", ... */
int tg_optimizer_num_groups(const tg_optimizer *opt);
int tg_optimizer_num_params(const tg_optimizer *opt); /* over all groups */
double tg_optimizer_get_lr(const tg_optimizer *opt, int group);
void tg_optimizer_set_lr(tg_optimizer *opt, int group, double lr);

/* ---- state dicts ------------------------------------------------------------------
 * A flat, ordered list of (name, tensor), ready for a safetensors checkpoint.
 * Names follow torch's optimizer.state_dict() nesting with dots; parameters
 * are numbered 0.. across groups in order:
 *     state.<i>.step                 0-d float64 (Adam, AdamW, RMSprop, Adagrad)
 *     state.<i>.<buffer>             param's dtype and shape: momentum_buffer,
 *                                    exp_avg, exp_avg_sq, max_exp_avg_sq,
 *                                    square_avg, grad_avg, sum
 *     param_groups.<g>.params        int64 1-D: the group's parameter numbers
 *     param_groups.<g>.<option>      0-d float64: lr, momentum, betas.0, betas.1,
 *                                    nesterov (0/1), ... and initial_lr once a
 *                                    scheduler set it
 * State exists only for parameters that have been stepped (Adagrad: always). */

/* A snapshot: the tensors are copies, later steps do not change them. */
tg_tensor_dict *tg_optimizer_state_dict(const tg_optimizer *opt);
/* Replaces the options of every group and the state of every parameter with
 * copies of those in sd (floating buffers converted to the parameter's
 * dtype). Checks everything first: on error (different number of groups or
 * parameters, wrong shapes, unknown or missing entries, invalid options)
 * returns -1 with tg_last_error set and leaves opt unchanged. */
int tg_optimizer_load_state_dict(tg_optimizer *opt, const tg_tensor_dict *sd);
/* Every check tg_optimizer_load_state_dict makes, changing nothing: 0, or
 * -1 with the same message. */
int tg_optimizer_check_state_dict(const tg_optimizer *opt, const tg_tensor_dict *sd);

/* ---- learning-rate schedulers (torch.optim.lr_scheduler, 1.13) ---------------------
 * A scheduler borrows its optimizer, which must outlive it, and writes the
 * lr of every group. Construction does PyTorch's initial step (last_epoch
 * becomes 0); call tg_lr_scheduler_step once per epoch (or per batch) after
 * tg_optimizer_step. The epoch schedulers use PyTorch's recursive forms,
 * which read each group's current lr, so chaining two schedulers on one
 * optimizer composes them as PyTorch does. */
typedef struct tg_lr_scheduler tg_lr_scheduler;

/* lr *= gamma every step_size epochs (PyTorch's default gamma is 0.1). */
tg_lr_scheduler *tg_step_lr(tg_optimizer *opt, int64_t step_size, double gamma);
/* lr *= gamma^k at an epoch listed k times in milestones. */
tg_lr_scheduler *tg_multi_step_lr(tg_optimizer *opt, const int64_t *milestones, int n,
                                  double gamma);
tg_lr_scheduler *tg_exponential_lr(tg_optimizer *opt, double gamma);
/* SGDR without restarts, in 1.13's recursive form; with e = last_epoch,
 *     if (e - 1 - T_max) % (2 T_max) == 0:
 *       lr = lr + (base - eta_min) (1 - cos(pi / T_max)) / 2
 *     else:
 *       lr = (1 + cos(pi e / T_max)) / (1 + cos(pi (e - 1) / T_max))
 *            * (lr - eta_min) + eta_min
 * which follows eta_min + (base - eta_min) (1 + cos(pi e / T_max)) / 2 and
 * keeps oscillating past T_max. */
tg_lr_scheduler *tg_cosine_annealing_lr(tg_optimizer *opt, int64_t t_max, double eta_min);
/* lr = base * lr_lambda(epoch, user), for every group. */
tg_lr_scheduler *tg_lambda_lr(tg_optimizer *opt,
                              double (*lr_lambda)(int64_t epoch, void *user), void *user);
/* Warm-up: the lr factor goes linearly from start_factor to end_factor over
 * total_iters steps, then stays (PyTorch's defaults: 1/3, 1.0, 5). */
tg_lr_scheduler *tg_linear_lr(tg_optimizer *opt, double start_factor, double end_factor,
                              int64_t total_iters);
/* SGDR: lr = eta_min + (base - eta_min)(1 + cos(pi T_cur / T_i)) / 2, where
 * T_cur restarts at 0 after T_i steps and T_i grows by T_mult each cycle. */
tg_lr_scheduler *tg_cosine_annealing_warm_restarts(tg_optimizer *opt, int64_t t_0,
                                                   int64_t t_mult, double eta_min);

/* OneCycleLR, stepped once per batch for total_steps steps (PyTorch's
 * epochs * steps_per_epoch). The lr rises from max_lr / div_factor to
 * max_lr over pct_start of the steps, then falls to that start over
 * final_div_factor; three_phase goes back to the start first, then down.
 * With cycle_momentum the optimizer's momentum (SGD, RMSprop) or beta1
 * (Adam, AdamW, NAdam, RAdam) goes from max_momentum down and back. One
 * max_lr for every group. */
typedef enum { TG_ANNEAL_COS, TG_ANNEAL_LINEAR } tg_anneal_strategy;
typedef struct tg_one_cycle_options {
  double max_lr;
  int64_t total_steps;
  double pct_start;
  tg_anneal_strategy anneal_strategy;
  bool cycle_momentum;
  double base_momentum, max_momentum;
  double div_factor, final_div_factor;
  bool three_phase;
} tg_one_cycle_options;
#define TG_ONE_CYCLE_DEFAULTS                                                            \
  ((tg_one_cycle_options){.max_lr = NAN,                                                 \
                          .pct_start = 0.3,                                              \
                          .anneal_strategy = TG_ANNEAL_COS,                              \
                          .cycle_momentum = true,                                        \
                          .base_momentum = 0.85,                                         \
                          .max_momentum = 0.95,                                          \
                          .div_factor = 25,                                              \
                          .final_div_factor = 1e4})
tg_lr_scheduler *tg_one_cycle_lr(tg_optimizer *opt, tg_one_cycle_options options);

/* SequentialLR: schedulers[0] until milestones[0], then schedulers[1]
 * (restarted at epoch 0), ...; n_milestones = n - 1. It takes ownership of
 * the schedulers (made for opt, just before it): free only the sequence. */
tg_lr_scheduler *tg_sequential_lr(tg_optimizer *opt, tg_lr_scheduler *const *schedulers,
                                  int n, const int64_t *milestones, int n_milestones);

typedef enum { TG_PLATEAU_MIN, TG_PLATEAU_MAX } tg_plateau_mode;
typedef enum { TG_THRESHOLD_REL, TG_THRESHOLD_ABS } tg_threshold_mode;

/* ReduceLROnPlateau: after more than `patience` epochs without improvement
 * (rel: better than best * (1 -/+ threshold); abs: best -/+ threshold),
 * lr = max(lr * factor, min_lr), skipped when the change is <= eps; then
 * `cooldown` epochs are ignored. min_lrs (one per group, n_min_lrs of them)
 * overrides min_lr when not NULL. */
typedef struct tg_plateau_options {
  tg_plateau_mode mode;
  double factor;
  int64_t patience;
  double threshold;
  tg_threshold_mode threshold_mode;
  int64_t cooldown;
  double min_lr;
  const double *min_lrs;
  int n_min_lrs;
  double eps;
} tg_plateau_options;
#define TG_PLATEAU_DEFAULTS                                                              \
  ((tg_plateau_options){.mode = TG_PLATEAU_MIN,                                          \
                        .factor = 0.1,                                                   \
                        .patience = 10,                                                  \
                        .threshold = 1e-4,                                               \
                        .threshold_mode = TG_THRESHOLD_REL,                              \
                        .eps = 1e-8})
tg_lr_scheduler *tg_reduce_lr_on_plateau(tg_optimizer *opt, tg_plateau_options options);

/* One epoch of an epoch scheduler (errors for ReduceLROnPlateau). */
void tg_lr_scheduler_step(tg_lr_scheduler *s);
/* One epoch of ReduceLROnPlateau with the monitored value (errors for the others). */
void tg_lr_scheduler_step_metric(tg_lr_scheduler *s, double metric);
/* The lr of each group after the last step (one per group). */
const double *tg_lr_scheduler_get_last_lr(const tg_lr_scheduler *s);
int64_t tg_lr_scheduler_last_epoch(const tg_lr_scheduler *s);
void tg_lr_scheduler_free(tg_lr_scheduler *s); /* NULL is fine */

/* ---- gradient clipping (torch.nn.utils, 1.13) -----------------------------------------
 * Parameters without a grad are ignored. */

/* Scales all grads by min(1, max_norm / (total + 1e-6)), where total is the
 * norm_type-norm (> 0, or INFINITY) of all grads seen as one vector; returns
 * total (0 when no parameter has a grad), rounded to the grads' dtype. With
 * error_if_nonfinite a NaN or infinite total is an error. */
double tg_clip_grad_norm_(tg_params params, double max_norm, double norm_type,
                          bool error_if_nonfinite);
/* Clamps every grad element to [-clip_value, clip_value]. */
void tg_clip_grad_value_(tg_params params, double clip_value);

TG_API_END
#endif
