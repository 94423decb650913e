/* Epoch learning-rate schedulers (StepLR, MultiStepLR, ExponentialLR,
 * CosineAnnealingLR, LambdaLR, LinearLR, CosineAnnealingWarmRestarts) with
 * torch.optim.lr_scheduler 1.13's step semantics: construction records initial_lr and
 * takes the first step (last_epoch 0); each step advances last_epoch and applies the
 * recursive get_lr form. */
#include <math.h>
#include <stdlib.h>

#include "optim/internal.h"

tg_lr_scheduler *tg_scheduler_alloc(tg_optimizer *opt, const char *name) {
  tg_lr_scheduler *s = calloc(1, sizeof *s);
  int n = opt->n_groups;
  if (s) {
    s->base_lrs = calloc((size_t)n, sizeof(double));
    s->last_lr = calloc((size_t)n, sizeof(double));
  }
  if (!s || !s->base_lrs || !s->last_lr) {
    tg_lr_scheduler_free(s);
    tg_error("%s: out of memory", name);
  }
  s->name = name;
  s->opt = opt;
  s->n_groups = n;
  for (int g = 0; g < n; g++) s->base_lrs[g] = tg_optimizer_get_lr(opt, g);
  tg_scheduler_record_lrs(s);
  return s;
}

void tg_scheduler_record_lrs(tg_lr_scheduler *s) {
  for (int g = 0; g < s->n_groups; g++) s->last_lr[g] = tg_optimizer_get_lr(s->opt, g);
}

/* Schedulers may set any lr their formula gives, as PyTorch does. */
void tg_scheduler_set_lr(tg_lr_scheduler *s, int g, double lr) {
  tg_optim_field_set(&s->opt->vt->fields[0], s->opt->groups[g].options, lr);
}

void tg_scheduler_check_groups(const tg_lr_scheduler *s, const char *fn) {
  if (s->opt->n_groups != s->n_groups)
    tg_error("%s: the optimizer has %d parameter groups, the %s was made for %d", fn,
             s->opt->n_groups, s->name, s->n_groups);
}

void tg_lr_scheduler_free(tg_lr_scheduler *s) {
  if (!s) return;
  free(s->base_lrs);
  free(s->last_lr);
  free(s->milestones);
  free(s->min_lrs);
  if (s->free_extra) s->free_extra(s);
  free(s);
}

const double *tg_lr_scheduler_get_last_lr(const tg_lr_scheduler *s) {
  return s->last_lr;
}
int64_t tg_lr_scheduler_last_epoch(const tg_lr_scheduler *s) {
  return s->last_epoch;
}

void tg_lr_scheduler_step(tg_lr_scheduler *s) {
  if (!s->next_lr && !s->step)
    tg_error("tg_lr_scheduler_step: %s needs the monitored value; use "
             "tg_lr_scheduler_step_metric",
             s->name);
  tg_scheduler_check_groups(s, "tg_lr_scheduler_step");
  if (s->step) {
    s->step(s);
    return;
  }
  s->last_epoch++;
  if (s->advance) s->advance(s);
  for (int g = 0; g < s->n_groups; g++)
    tg_scheduler_set_lr(s, g, s->next_lr(s, g, tg_optimizer_get_lr(s->opt, g)));
  tg_scheduler_record_lrs(s);
}

void tg_scheduler_restart(tg_lr_scheduler *s) {
  s->last_epoch = 0;
  if (s->advance) s->advance(s);
  for (int g = 0; g < s->n_groups; g++)
    tg_scheduler_set_lr(s, g,
                        s->closed_lr ? s->closed_lr(s, g)
                                     : s->next_lr(s, g, tg_optimizer_get_lr(s->opt, g)));
  tg_scheduler_record_lrs(s);
}

tg_lr_scheduler *tg_scheduler_start(tg_optimizer *opt, const char *name,
                                    double (*next_lr)(const tg_lr_scheduler *, int,
                                                      double)) {
  for (int g = 0; g < opt->n_groups; g++) {
    optim_group *group = &opt->groups[g];
    if (!group->has_initial_lr) {
      group->has_initial_lr = true;
      group->initial_lr = tg_optimizer_get_lr(opt, g);
    }
  }
  tg_lr_scheduler *s = tg_scheduler_alloc(opt, name);
  for (int g = 0; g < opt->n_groups; g++) s->base_lrs[g] = opt->groups[g].initial_lr;
  s->next_lr = next_lr;
  s->last_epoch = -1;
  return s;
}

/* ---- the rules ---- */

static double step_lr_next(const tg_lr_scheduler *s, int g, double lr) {
  if (s->last_epoch == 0 || s->last_epoch % s->step_size != 0) return lr;
  return lr * s->gamma;
}

static double multi_step_lr_next(const tg_lr_scheduler *s, int g, double lr) {
  int count = 0; /* a milestone listed k times multiplies by gamma^k */
  for (int i = 0; i < s->n_milestones; i++) count += s->milestones[i] == s->last_epoch;
  return count ? lr * pow(s->gamma, count) : lr;
}

static double exponential_lr_next(const tg_lr_scheduler *s, int g, double lr) {
  return s->last_epoch == 0 ? lr : lr * s->gamma;
}

static double cosine_lr_next(const tg_lr_scheduler *s, int g, double lr) {
  int64_t e = s->last_epoch, t = s->t_max;
  if (e == 0) return lr;
  int64_t period = 2 * t, phase = ((e - 1 - t) % period + period) % period; /* Python % */
  if (phase == 0) /* the trough, where the ratio below would divide by zero */
    return lr + (s->base_lrs[g] - s->eta_min) * (1 - cos(M_PI / (double)t)) / 2;
  return (1 + cos(M_PI * (double)e / (double)t)) /
             (1 + cos(M_PI * (double)(e - 1) / (double)t)) * (lr - s->eta_min) +
         s->eta_min;
}

static double linear_lr_next(const tg_lr_scheduler *s, int g, double lr) {
  double start = s->start_factor, end = s->end_factor;
  if (s->last_epoch == 0) return lr * start;
  if (s->last_epoch > s->total_iters) return lr;
  return lr * (1. + (end - start) / ((double)s->total_iters * start +
                                     (double)(s->last_epoch - 1) * (end - start)));
}

/* LambdaLR and CosineAnnealingWarmRestarts are closed forms already. */
static double lambda_lr_next(const tg_lr_scheduler *s, int g, double lr) {
  (void)lr;
  return s->base_lrs[g] * s->lr_lambda(s->last_epoch, s->user);
}

static double warm_restarts_next(const tg_lr_scheduler *s, int g, double lr) {
  (void)lr;
  double base = s->base_lrs[g];
  return s->eta_min +
         (base - s->eta_min) * (1 + cos(M_PI * (double)s->t_cur / (double)s->t_i)) / 2;
}

/* The cycle position: the first step (and a restart) starts the first
 * cycle; each later one moves on, into a cycle T_mult times longer at the
 * end of one. */
static void warm_restarts_advance(tg_lr_scheduler *s) {
  if (s->last_epoch == 0) {
    s->t_i = s->t_0;
    s->t_cur = 0;
    return;
  }
  if (++s->t_cur >= s->t_i) {
    s->t_cur -= s->t_i;
    s->t_i *= s->t_mult;
  }
}

/* ---- closed forms (PyTorch's _get_closed_form_lr) ---- */

static double step_lr_closed(const tg_lr_scheduler *s, int g) {
  return s->base_lrs[g] * pow(s->gamma, (double)(s->last_epoch / s->step_size));
}

static double multi_step_lr_closed(const tg_lr_scheduler *s, int g) {
  int passed = 0; /* bisect_right over the sorted milestones */
  for (int i = 0; i < s->n_milestones; i++) passed += s->milestones[i] <= s->last_epoch;
  return s->base_lrs[g] * pow(s->gamma, passed);
}

static double exponential_lr_closed(const tg_lr_scheduler *s, int g) {
  return s->base_lrs[g] * pow(s->gamma, (double)s->last_epoch);
}

static double cosine_lr_closed(const tg_lr_scheduler *s, int g) {
  return s->eta_min + (s->base_lrs[g] - s->eta_min) *
                          (1 + cos(M_PI * (double)s->last_epoch / (double)s->t_max)) / 2;
}

static double linear_lr_closed(const tg_lr_scheduler *s, int g) {
  int64_t e = s->last_epoch < s->total_iters ? s->last_epoch : s->total_iters;
  return s->base_lrs[g] * (s->start_factor + (s->end_factor - s->start_factor) *
                                                 (double)e / (double)s->total_iters);
}

/* ---- constructors ---- */

tg_lr_scheduler *tg_step_lr(tg_optimizer *opt, int64_t step_size, double gamma) {
  if (step_size < 1)
    tg_error("tg_step_lr: step_size must be >= 1, got %lld", (long long)step_size);
  tg_lr_scheduler *s = tg_scheduler_start(opt, "StepLR", step_lr_next);
  s->closed_lr = step_lr_closed;
  s->step_size = step_size;
  s->gamma = gamma;
  tg_lr_scheduler_step(s);
  return s;
}

tg_lr_scheduler *tg_multi_step_lr(tg_optimizer *opt, const int64_t *milestones, int n,
                                  double gamma) {
  if (n < 0 || (n > 0 && !milestones))
    tg_error("tg_multi_step_lr: milestones is NULL with n = %d", n);
  tg_lr_scheduler *s = tg_scheduler_start(opt, "MultiStepLR", multi_step_lr_next);
  s->closed_lr = multi_step_lr_closed;
  s->milestones = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (!s->milestones) {
    tg_lr_scheduler_free(s);
    tg_error("tg_multi_step_lr: out of memory");
  }
  for (int i = 0; i < n; i++) s->milestones[i] = milestones[i];
  s->n_milestones = n;
  s->gamma = gamma;
  tg_lr_scheduler_step(s);
  return s;
}

tg_lr_scheduler *tg_exponential_lr(tg_optimizer *opt, double gamma) {
  tg_lr_scheduler *s = tg_scheduler_start(opt, "ExponentialLR", exponential_lr_next);
  s->closed_lr = exponential_lr_closed;
  s->gamma = gamma;
  tg_lr_scheduler_step(s);
  return s;
}

tg_lr_scheduler *tg_cosine_annealing_lr(tg_optimizer *opt, int64_t t_max,
                                        double eta_min) {
  if (t_max < 1)
    tg_error("tg_cosine_annealing_lr: T_max must be >= 1, got %lld", (long long)t_max);
  tg_lr_scheduler *s = tg_scheduler_start(opt, "CosineAnnealingLR", cosine_lr_next);
  s->closed_lr = cosine_lr_closed;
  s->t_max = t_max;
  s->eta_min = eta_min;
  tg_lr_scheduler_step(s);
  return s;
}

tg_lr_scheduler *tg_lambda_lr(tg_optimizer *opt,
                              double (*lr_lambda)(int64_t epoch, void *user),
                              void *user) {
  if (!lr_lambda) tg_error("tg_lambda_lr: lr_lambda is NULL");
  tg_lr_scheduler *s = tg_scheduler_start(opt, "LambdaLR", lambda_lr_next);
  s->lr_lambda = lr_lambda;
  s->user = user;
  tg_lr_scheduler_step(s);
  return s;
}

tg_lr_scheduler *tg_linear_lr(tg_optimizer *opt, double start_factor, double end_factor,
                              int64_t total_iters) {
  /* PyTorch takes 0 here, then divides by total_iters * start_factor at the
   * first step (ZeroDivisionError); the lr would be NaN from then on. */
  if (!(start_factor > 0 && start_factor <= 1))
    tg_error("tg_linear_lr: start_factor must be greater than 0 and at most 1, got %g "
             "(0 would make every later lr NaN: PyTorch's recursive form divides by it)",
             start_factor);
  if (!(end_factor >= 0 && end_factor <= 1))
    tg_error("tg_linear_lr: end_factor must be between 0 and 1, got %g", end_factor);
  if (total_iters < 1)
    tg_error("tg_linear_lr: total_iters must be >= 1, got %lld", (long long)total_iters);
  tg_lr_scheduler *s = tg_scheduler_start(opt, "LinearLR", linear_lr_next);
  s->closed_lr = linear_lr_closed;
  s->start_factor = start_factor;
  s->end_factor = end_factor;
  s->total_iters = total_iters;
  tg_lr_scheduler_step(s);
  return s;
}

tg_lr_scheduler *tg_cosine_annealing_warm_restarts(tg_optimizer *opt, int64_t t_0,
                                                   int64_t t_mult, double eta_min) {
  if (t_0 < 1)
    tg_error("tg_cosine_annealing_warm_restarts: T_0 must be >= 1, got %lld",
             (long long)t_0);
  if (t_mult < 1)
    tg_error("tg_cosine_annealing_warm_restarts: T_mult must be >= 1, got %lld",
             (long long)t_mult);
  tg_lr_scheduler *s =
      tg_scheduler_start(opt, "CosineAnnealingWarmRestarts", warm_restarts_next);
  s->advance = warm_restarts_advance;
  s->t_0 = s->t_i = t_0;
  s->t_mult = t_mult;
  s->eta_min = eta_min;
  tg_lr_scheduler_step(s);
  return s;
}
