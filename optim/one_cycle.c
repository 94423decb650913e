/* OneCycleLR (torch.optim.lr_scheduler 1.13): a step-wise schedule that
 * anneals lr from max_lr / div_factor up to max_lr, then down to far below
 * the start, and cycles the momentum (or Adam's beta1) the other way. */
#include <math.h>
#include <string.h>

#include "optim/internal.h"

static double anneal_cos(double start, double end, double pct) {
  double cos_out = cos(M_PI * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}

static double anneal_linear(double start, double end, double pct) {
  return (end - start) * pct + start;
}

/* The phase the current step is in and how far along it; the last phase
 * takes every step past its end too, as PyTorch's loop does. */
static const one_cycle_phase *current_phase(const tg_lr_scheduler *s, double *pct) {
  double start_step = 0, step = (double)s->last_epoch;
  for (int i = 0; i < s->n_phases; i++) {
    const one_cycle_phase *p = &s->phases[i];
    if (step <= p->end_step || i == s->n_phases - 1) {
      *pct = (step - start_step) / (p->end_step - start_step);
      return p;
    }
    start_step = p->end_step;
  }
  return NULL; /* unreachable: n_phases >= 2 */
}

/* Every group gets the same lr (one max_lr for all); the momentum is set
 * as a side effect, as PyTorch's get_lr does. */
static double one_cycle_next(const tg_lr_scheduler *s, int g, double lr) {
  (void)lr;
  if (s->last_epoch > s->total_steps)
    tg_error("tg_lr_scheduler_step: tried to step %lld times; OneCycleLR's total_steps "
             "is %lld",
             (long long)s->last_epoch + 1, (long long)s->total_steps);
  double pct = 0;
  const one_cycle_phase *p = current_phase(s, &pct);
  if (s->momentum_field >= 0)
    tg_optim_field_set(&s->opt->vt->fields[s->momentum_field], s->opt->groups[g].options,
                       s->anneal(p->start_momentum, p->end_momentum, pct));
  return s->anneal(p->start_lr, p->end_lr, pct);
}

static int find_momentum_field(const tg_optimizer *opt) {
  for (int f = 0; f < opt->vt->n_fields; f++) {
    const char *name = opt->vt->fields[f].name;
    if (strcmp(name, "momentum") == 0 || strcmp(name, "betas.0") == 0) return f;
  }
  return -1;
}

static void check_options(const tg_optimizer *opt, const tg_one_cycle_options *o) {
  const char *fn = "tg_one_cycle_lr";
  if (o->total_steps < 1)
    tg_error("%s: total_steps must be >= 1, got %lld", fn, (long long)o->total_steps);
  if (!(o->pct_start >= 0 && o->pct_start <= 1))
    tg_error("%s: pct_start must be between 0 and 1, got %g", fn, o->pct_start);
  if (o->anneal_strategy != TG_ANNEAL_COS && o->anneal_strategy != TG_ANNEAL_LINEAR)
    tg_error("%s: anneal_strategy %d is unknown", fn, (int)o->anneal_strategy);
  if (!(o->max_lr >= 0)) tg_error("%s: max_lr must be >= 0, got %g", fn, o->max_lr);
  /* the lr is max_lr / div_factor (/ final_div_factor): 0 would make it inf */
  if (!(o->div_factor > 0 && o->final_div_factor > 0))
    tg_error("%s: div_factor (%g) and final_div_factor (%g) must be > 0 (PyTorch's "
             "defaults: 25 and 1e4; start from TG_ONE_CYCLE_DEFAULTS)",
             fn, o->div_factor, o->final_div_factor);
  if (o->cycle_momentum && find_momentum_field(opt) < 0)
    tg_error("%s: %s has no momentum to cycle; set cycle_momentum = false", fn,
             opt->vt->name);
}

/* PyTorch's _schedule_phases: up, (back down,) then the final anneal. */
static void set_phases(tg_lr_scheduler *s, const tg_one_cycle_options *o) {
  double initial = o->max_lr / o->div_factor, min_lr = initial / o->final_div_factor;
  double total = (double)o->total_steps, up_end = o->pct_start * total - 1;
  double lo = o->base_momentum, hi = o->max_momentum;
  s->phases[0] = (one_cycle_phase){up_end, initial, o->max_lr, hi, lo};
  if (o->three_phase) {
    s->phases[1] =
        (one_cycle_phase){2 * o->pct_start * total - 2, o->max_lr, initial, lo, hi};
    s->phases[2] = (one_cycle_phase){total - 1, initial, min_lr, hi, hi};
    s->n_phases = 3;
  } else {
    s->phases[1] = (one_cycle_phase){total - 1, o->max_lr, min_lr, lo, hi};
    s->n_phases = 2;
  }
}

tg_lr_scheduler *tg_one_cycle_lr(tg_optimizer *opt, tg_one_cycle_options o) {
  check_options(opt, &o);
  for (int g = 0; g < opt->n_groups; g++) { /* OneCycleLR always sets initial_lr */
    opt->groups[g].has_initial_lr = true;
    opt->groups[g].initial_lr = o.max_lr / o.div_factor;
  }
  int momentum_field = o.cycle_momentum ? find_momentum_field(opt) : -1;
  for (int g = 0; momentum_field >= 0 && g < opt->n_groups; g++)
    tg_optim_field_set(&opt->vt->fields[momentum_field], opt->groups[g].options,
                       o.max_momentum);
  tg_lr_scheduler *s = tg_scheduler_start(opt, "OneCycleLR", one_cycle_next);
  s->total_steps = o.total_steps;
  s->anneal = o.anneal_strategy == TG_ANNEAL_COS ? anneal_cos : anneal_linear;
  s->momentum_field = momentum_field;
  set_phases(s, &o);
  tg_lr_scheduler_step(s);
  return s;
}
