/* Epoch learning-rate schedulers (StepLR, MultiStepLR, ExponentialLR,
 * CosineAnnealingLR) with torch.optim.lr_scheduler 1.13's step semantics:
 * construction records initial_lr and takes the first step (last_epoch 0);
 * each step advances last_epoch and applies the recursive get_lr form. */
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
  free(s);
}

const double *tg_lr_scheduler_get_last_lr(const tg_lr_scheduler *s) {
  return s->last_lr;
}
int64_t tg_lr_scheduler_last_epoch(const tg_lr_scheduler *s) {
  return s->last_epoch;
}

void tg_lr_scheduler_step(tg_lr_scheduler *s) {
  if (!s->next_lr)
    tg_error("tg_lr_scheduler_step: %s needs the monitored value; use "
             "tg_lr_scheduler_step_metric",
             s->name);
  tg_scheduler_check_groups(s, "tg_lr_scheduler_step");
  s->last_epoch++;
  for (int g = 0; g < s->n_groups; g++)
    tg_scheduler_set_lr(s, g, s->next_lr(s, g, tg_optimizer_get_lr(s->opt, g)));
  tg_scheduler_record_lrs(s);
}

/* PyTorch's _LRScheduler.__init__ with last_epoch = -1. */
static tg_lr_scheduler *start(tg_optimizer *opt, const char *name,
                              double (*next_lr)(const tg_lr_scheduler *, int, double)) {
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

/* ---- constructors ---- */

tg_lr_scheduler *tg_step_lr(tg_optimizer *opt, int64_t step_size, double gamma) {
  if (step_size < 1)
    tg_error("tg_step_lr: step_size must be >= 1, got %lld", (long long)step_size);
  tg_lr_scheduler *s = start(opt, "StepLR", step_lr_next);
  s->step_size = step_size;
  s->gamma = gamma;
  tg_lr_scheduler_step(s);
  return s;
}

tg_lr_scheduler *tg_multi_step_lr(tg_optimizer *opt, const int64_t *milestones, int n,
                                  double gamma) {
  if (n < 0 || (n > 0 && !milestones))
    tg_error("tg_multi_step_lr: milestones is NULL with n = %d", n);
  tg_lr_scheduler *s = start(opt, "MultiStepLR", multi_step_lr_next);
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
  tg_lr_scheduler *s = start(opt, "ExponentialLR", exponential_lr_next);
  s->gamma = gamma;
  tg_lr_scheduler_step(s);
  return s;
}

tg_lr_scheduler *tg_cosine_annealing_lr(tg_optimizer *opt, int64_t t_max,
                                        double eta_min) {
  if (t_max < 1)
    tg_error("tg_cosine_annealing_lr: T_max must be >= 1, got %lld", (long long)t_max);
  tg_lr_scheduler *s = start(opt, "CosineAnnealingLR", cosine_lr_next);
  s->t_max = t_max;
  s->eta_min = eta_min;
  tg_lr_scheduler_step(s);
  return s;
}
