/* ReduceLROnPlateau, as torch.optim.lr_scheduler 1.13 has it: count epochs
 * without improvement of the monitored value, and after more than
 * `patience` of them cut every group's lr by `factor` (down to its min_lr,
 * skipping changes of at most eps), then ignore `cooldown` epochs. */
#include <math.h>
#include <stdlib.h>

#include "optim/internal.h"

static void check(const tg_optimizer *opt, const tg_plateau_options *o) {
  const char *fn = "tg_reduce_lr_on_plateau";
  if (!(o->factor < 1.0)) tg_error("%s: factor should be < 1.0, got %g", fn, o->factor);
  if (o->mode != TG_PLATEAU_MIN && o->mode != TG_PLATEAU_MAX)
    tg_error("%s: mode %d is unknown", fn, (int)o->mode);
  if (o->threshold_mode != TG_THRESHOLD_REL && o->threshold_mode != TG_THRESHOLD_ABS)
    tg_error("%s: threshold mode %d is unknown", fn, (int)o->threshold_mode);
  if (o->min_lrs && o->n_min_lrs != opt->n_groups)
    tg_error("%s: expected %d min_lrs, got %d", fn, opt->n_groups, o->n_min_lrs);
  if (o->patience < 0 || o->cooldown < 0)
    tg_error("%s: patience (%lld) and cooldown (%lld) must be >= 0", fn,
             (long long)o->patience, (long long)o->cooldown);
}

tg_lr_scheduler *tg_reduce_lr_on_plateau(tg_optimizer *opt, tg_plateau_options options) {
  check(opt, &options);
  tg_lr_scheduler *s = tg_scheduler_alloc(opt, "ReduceLROnPlateau");
  s->min_lrs = malloc(sizeof(double) * (size_t)opt->n_groups);
  if (!s->min_lrs) {
    tg_lr_scheduler_free(s);
    tg_error("tg_reduce_lr_on_plateau: out of memory");
  }
  for (int g = 0; g < opt->n_groups; g++)
    s->min_lrs[g] = options.min_lrs ? options.min_lrs[g] : options.min_lr;
  options.min_lrs = NULL; /* copied; the caller's array need not outlive us */
  s->plateau = options;
  s->best = options.mode == TG_PLATEAU_MIN ? INFINITY : -INFINITY;
  return s;
}

static bool is_better(const tg_plateau_options *o, double a, double best) {
  bool rel = o->threshold_mode == TG_THRESHOLD_REL;
  if (o->mode == TG_PLATEAU_MIN)
    return rel ? a < best * (1.0 - o->threshold) : a < best - o->threshold;
  return rel ? a > best * (o->threshold + 1.0) : a > best + o->threshold;
}

static void reduce_lr(tg_lr_scheduler *s) {
  for (int g = 0; g < s->n_groups; g++) {
    double old_lr = tg_optimizer_get_lr(s->opt, g);
    double new_lr = fmax(old_lr * s->plateau.factor, s->min_lrs[g]);
    if (old_lr - new_lr > s->plateau.eps) tg_scheduler_set_lr(s, g, new_lr);
  }
}

void tg_lr_scheduler_step_metric(tg_lr_scheduler *s, double metric) {
  if (s->next_lr || s->step)
    tg_error("tg_lr_scheduler_step_metric: %s takes no metric; use tg_lr_scheduler_step",
             s->name);
  tg_scheduler_check_groups(s, "tg_lr_scheduler_step_metric");
  s->last_epoch++;
  if (is_better(&s->plateau, metric, s->best)) {
    s->best = metric;
    s->num_bad_epochs = 0;
  } else {
    s->num_bad_epochs++;
  }
  if (s->cooldown_counter > 0) {
    s->cooldown_counter--;
    s->num_bad_epochs = 0; /* bad epochs in cooldown do not count */
  }
  if (s->num_bad_epochs > s->plateau.patience) {
    reduce_lr(s);
    s->cooldown_counter = s->plateau.cooldown;
    s->num_bad_epochs = 0;
  }
  tg_scheduler_record_lrs(s);
}
