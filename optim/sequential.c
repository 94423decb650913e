/* SequentialLR (torch.optim.lr_scheduler 1.13): hands the steps to one
 * scheduler after another, switching at the milestones, where the next one
 * restarts from epoch 0. */
#include <stdlib.h>

#include "optim/internal.h"

/* bisect_right(milestones, epoch): the scheduler in charge at epoch. */
static int in_charge(const tg_lr_scheduler *s, int64_t epoch) {
  int i = 0;
  while (i < s->n_milestones && s->milestones[i] <= epoch) i++;
  return i;
}

static void sequential_step(tg_lr_scheduler *s) {
  s->last_epoch++;
  int i = in_charge(s, s->last_epoch);
  tg_lr_scheduler *child = s->children[i];
  if (i > 0 && s->milestones[i - 1] == s->last_epoch)
    tg_scheduler_restart(child);
  else
    tg_lr_scheduler_step(child);
  tg_scheduler_record_lrs(s);
}

static void free_children(tg_lr_scheduler *s) {
  for (int i = 0; i < s->n_children; i++) tg_lr_scheduler_free(s->children[i]);
  free(s->children);
}

static void check_args(tg_optimizer *opt, tg_lr_scheduler *const *schedulers, int n,
                       const int64_t *milestones, int n_milestones) {
  const char *fn = "tg_sequential_lr";
  if (n < 1 || !schedulers) tg_error("%s: needs at least one scheduler, got %d", fn, n);
  if (n_milestones != n - 1)
    tg_error("%s: %d schedulers need %d milestones, got %d", fn, n, n - 1, n_milestones);
  for (int i = 0; i < n; i++) {
    if (!schedulers[i]) tg_error("%s: scheduler %d is NULL", fn, i);
    if (schedulers[i]->opt != opt)
      tg_error("%s: scheduler %d belongs to another optimizer", fn, i);
    if (!schedulers[i]->next_lr || schedulers[i]->step)
      tg_error("%s: scheduler %d (%s) cannot be sequenced", fn, i, schedulers[i]->name);
  }
  for (int i = 1; i < n_milestones; i++)
    if (milestones[i] < milestones[i - 1])
      tg_error("%s: milestones must be increasing, got %lld after %lld", fn,
               (long long)milestones[i], (long long)milestones[i - 1]);
}

tg_lr_scheduler *tg_sequential_lr(tg_optimizer *opt, tg_lr_scheduler *const *schedulers,
                                  int n, const int64_t *milestones, int n_milestones) {
  check_args(opt, schedulers, n, milestones, n_milestones);
  tg_lr_scheduler *s = tg_scheduler_alloc(opt, "SequentialLR");
  s->children = malloc(sizeof *s->children * (size_t)n);
  s->milestones = malloc(sizeof(int64_t) * (size_t)(n_milestones ? n_milestones : 1));
  if (!s->children || !s->milestones) {
    tg_lr_scheduler_free(s);
    tg_error("tg_sequential_lr: out of memory");
  }
  for (int i = 0; i < n; i++) s->children[i] = schedulers[i];
  for (int i = 0; i < n_milestones; i++) s->milestones[i] = milestones[i];
  s->n_children = n;
  s->n_milestones = n_milestones;
  s->free_extra = free_children;
  s->step = sequential_step;
  /* PyTorch resets the lrs, undoes every scheduler's first step and takes
   * the first scheduler's again. */
  for (int g = 0; g < opt->n_groups; g++)
    tg_scheduler_set_lr(s, g, opt->groups[g].initial_lr);
  for (int i = 0; i < n; i++) s->children[i]->last_epoch--;
  tg_lr_scheduler_step(s->children[0]);
  s->last_epoch = 0;
  tg_scheduler_record_lrs(s);
  return s;
}
