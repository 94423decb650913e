/* The optimizer base: parameter groups, per-parameter state, step, zero_grad.
 * Algorithms supply an optim_vtable; everything shared lives here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim/internal.h"

double tg_optim_field_get(const optim_field *f, const void *options) {
  const char *p = (const char *)options + f->offset;
  if (f->is_bool) return *(const bool *)p ? 1.0 : 0.0;
  return *(const double *)p;
}

void tg_optim_field_set(const optim_field *f, void *options, double value) {
  char *p = (char *)options + f->offset;
  if (f->is_bool)
    *(bool *)p = value != 0.0;
  else
    *(double *)p = value;
}

bool tg_optim_check_nonneg(const char *what, double value, char *msg, size_t size) {
  if (value >= 0.0) return true; /* also rejects NaN */
  snprintf(msg, size, "invalid %s: %g", what, value);
  return false;
}

static bool in_unit_interval(int index, double beta, char *msg, size_t size) {
  if (beta >= 0.0 && beta < 1.0) return true;
  snprintf(msg, size, "invalid beta parameter at index %d: %g", index, beta);
  return false;
}

bool tg_optim_check_defaults_given(bool all_zero, const char *fields,
                                   const char *defaults, char *msg, size_t size) {
  if (!all_zero) return true;
  snprintf(msg, size,
           "%s are all 0: options written as a compound literal without the "
           "defaults? PyTorch's are %s; start from the optimizer's TG_..._DEFAULTS "
           "(o = TG_ADAM_DEFAULTS; o.lr = 0.01;) and set what differs",
           fields, defaults);
  return false;
}

bool tg_optim_check_adam_like(double lr, double eps, const double betas[2],
                              double weight_decay, char *msg, size_t size) {
  return tg_optim_check_defaults_given(betas[0] == 0 && betas[1] == 0 && eps == 0,
                                       "betas and eps", "betas (0.9, 0.999), eps 1e-08",
                                       msg, size) &&
         tg_optim_check_nonneg("learning rate", lr, msg, size) &&
         tg_optim_check_nonneg("epsilon value", eps, msg, size) &&
         in_unit_interval(0, betas[0], msg, size) &&
         in_unit_interval(1, betas[1], msg, size) &&
         tg_optim_check_nonneg("weight_decay value", weight_decay, msg, size);
}

/* ---- state ---- */

void tg_optim_state_clear(optim_param_state *st) {
  for (int i = 0; i < TG_OPTIM_MAX_BUFFERS; i++) {
    tg_release(st->buffers[i]);
    st->buffers[i] = NULL;
  }
  st->step = 0;
  st->mu_product = 1;
  st->exists = false;
}

tg_tensor *tg_optim_owned_full_like(const tg_tensor *param, double value) {
  /* Made inside a scope of our own and retained, so exactly one reference
   * survives whatever scope the caller has open. */
  tg_scope_begin();
  tg_tensor *t = tg_retain(tg_full(tg_shape_of(param), value, param->dtype));
  tg_scope_end();
  return t;
}

tg_tensor *tg_optim_buffer(optim_param_state *st, int i, const tg_tensor *param,
                           double value, bool *created) {
  *created = st->buffers[i] == NULL;
  if (*created) st->buffers[i] = tg_optim_owned_full_like(param, value);
  return st->buffers[i];
}

/* One optimizer step split for the threads: whole TG_OPTIM_BLOCKs of the
 * arrays each, so every element is updated as one thread would. */
typedef struct optim_job {
  optim_arrays a;
  size_t elem; /* bytes per element */
  optim_loop_fn loop;
  const void *ctx;
} optim_job;

static void *advance(const void *p, int64_t elements, size_t elem) {
  return p ? (char *)p + elements * (int64_t)elem : NULL;
}

static void run_blocks(int64_t begin, int64_t end, void *arg) {
  const optim_job *j = arg;
  int64_t first = begin * TG_OPTIM_BLOCK, last = end * TG_OPTIM_BLOCK;
  optim_arrays part = {.param = advance(j->a.param, first, j->elem),
                       .grad = advance(j->a.grad, first, j->elem),
                       .n = (last < j->a.n ? last : j->a.n) - first};
  for (int k = 0; k < TG_OPTIM_MAX_BUFFERS; k++)
    part.buf[k] = advance(j->a.buf[k], first, j->elem);
  j->loop(&part, j->ctx);
}

void tg_optim_run(tg_tensor *param, const tg_tensor *grad,
                  tg_tensor *const bufs[TG_OPTIM_MAX_BUFFERS], optim_loop_fn f32,
                  optim_loop_fn f64, const void *ctx) {
  optim_job j = {
      .a = {.param = tg_ptr(param), .grad = tg_ptr(grad), .n = tg_numel(param)},
      .elem = tg_dtype_size(param->dtype),
      .loop = param->dtype == TG_FLOAT32 ? f32 : f64,
      .ctx = ctx};
  for (int k = 0; k < TG_OPTIM_MAX_BUFFERS; k++)
    j.a.buf[k] = bufs[k] ? tg_ptr(bufs[k]) : NULL;
  tg_parallel_items((j.a.n + TG_OPTIM_BLOCK - 1) / TG_OPTIM_BLOCK, TG_OPTIM_BLOCK,
                    run_blocks, &j);
  tg_bump_version(param);
  for (int k = 0; k < TG_OPTIM_MAX_BUFFERS; k++)
    if (bufs[k]) tg_bump_version(bufs[k]);
}

/* ---- groups ---- */

static void check_options(const optim_vtable *vt, const char *fn, const void *options) {
  char msg[256];
  if (!vt->check(options, msg, sizeof msg)) tg_error("%s: %s", fn, msg);
}

static int param_index(const tg_optimizer *opt, const tg_tensor *p) {
  for (int i = 0; i < opt->n_params; i++)
    if (opt->params[i] == p) return i;
  return -1;
}

static void check_param(const tg_optimizer *opt, const char *fn, tg_tensor *const *params,
                        int k) {
  const tg_tensor *p = params[k];
  if (!p) tg_error("%s: parameter %d is NULL", fn, k);
  if (!tg_is_leaf(p))
    tg_error("%s: can't optimize a non-leaf tensor (parameter %d)", fn, k);
  if (p->dtype != TG_FLOAT32 && p->dtype != TG_FLOAT64)
    tg_error("%s: parameter %d is %s; optimizers update float32 or float64", fn, k,
             tg_dtype_name(p->dtype));
  if (!tg_is_contiguous(p)) tg_error("%s: parameter %d is not contiguous", fn, k);
  if (param_index(opt, p) >= 0)
    tg_error("%s: some parameters appear in more than one parameter group", fn);
  for (int j = 0; j < k; j++)
    if (params[j] == p) tg_error("%s: parameter %d appears twice in the group", fn, k);
}

/* Makes room for one more group and n more parameters; on failure nothing
 * is lost (realloc keeps the old block) and the error names the cause. */
static void reserve(tg_optimizer *opt, int n) {
  size_t params = (size_t)(opt->n_params + n);
  tg_tensor **p = realloc(opt->params, sizeof *p * params);
  if (p) opt->params = p;
  optim_param_state *st = realloc(opt->state, sizeof *st * params);
  if (st) opt->state = st;
  optim_group *g = realloc(opt->groups, sizeof *g * (size_t)(opt->n_groups + 1));
  if (g) opt->groups = g;
  if (!p || !st || !g) tg_error("out of memory adding an optimizer parameter group");
}

/* Every check of a new group, before anything is allocated. */
static void check_group(const tg_optimizer *opt, const optim_vtable *vt, const char *fn,
                        tg_params params, const void *options) {
  if (opt->vt != vt)
    tg_error("%s: the optimizer is %s; use its own options type", fn, opt->vt->name);
  if (params.n < 1 || !params.items)
    tg_error("%s: optimizer got an empty parameter list", fn);
  check_options(vt, fn, options);
  for (int k = 0; k < params.n; k++) check_param(opt, fn, params.items, k);
}

void tg_optim_add_group(tg_optimizer *opt, const optim_vtable *vt, const char *fn,
                        tg_params params, const void *options) {
  check_group(opt, vt, fn, params, options);
  reserve(opt, params.n);
  void *copy = malloc(vt->options_size);
  if (!copy) tg_error("out of memory adding an optimizer parameter group");
  memcpy(copy, options, vt->options_size);
  opt->groups[opt->n_groups++] =
      (optim_group){.first = opt->n_params, .n = params.n, .options = copy};
  for (int k = 0; k < params.n; k++) {
    optim_param_state *st = &opt->state[opt->n_params];
    *st = (optim_param_state){0};
    opt->params[opt->n_params++] = tg_retain(params.items[k]);
    if (vt->init_state) vt->init_state(copy, params.items[k], st);
  }
}

tg_optimizer *tg_optim_create(const optim_vtable *vt, tg_params params,
                              const void *options) {
  const tg_optimizer empty = {.vt = vt};
  check_group(&empty, vt, vt->constructor, params, options); /* so errors leak nothing */
  tg_optimizer *opt = calloc(1, sizeof *opt);
  if (!opt) tg_error("%s: out of memory", vt->constructor);
  opt->vt = vt;
  tg_optim_add_group(opt, vt, vt->constructor, params, options);
  return opt;
}

void tg_optimizer_free(tg_optimizer *opt) {
  if (!opt) return;
  for (int i = 0; i < opt->n_params; i++) {
    tg_optim_state_clear(&opt->state[i]);
    tg_release(opt->params[i]);
  }
  for (int g = 0; g < opt->n_groups; g++) free(opt->groups[g].options);
  free(opt->groups);
  free(opt->params);
  free(opt->state);
  free(opt);
}

/* ---- step and zero_grad ---- */

static void step_param(tg_optimizer *opt, const optim_group *group, int i) {
  tg_tensor *p = opt->params[i];
  tg_tensor *grad = p->grad;
  if (!grad) return;
  if (grad->dtype != p->dtype || !tg_same_shape(grad, p)) {
    char gs[TG_SHAPE_STR_MAX], ps[TG_SHAPE_STR_MAX];
    tg_error("tg_optimizer_step: parameter %d is %s %s but its grad is %s %s", i,
             tg_dtype_name(p->dtype), tg_shape_str(tg_shape_of(p), ps),
             tg_dtype_name(grad->dtype), tg_shape_str(tg_shape_of(grad), gs));
  }
  tg_scope_begin();
  tg_tensor *g = tg_contiguous(grad);
  opt->vt->update(group->options, p, g, &opt->state[i]);
  tg_scope_end();
}

void tg_optimizer_step(tg_optimizer *opt) {
  if (!opt) tg_error("tg_optimizer_step: optimizer is NULL");
  tg_state_guard guard; /* a bad gradient's error leaves grad mode as found */
  tg_guard_push(&guard);
  tg_no_grad_begin(); /* nothing here belongs on the tape */
  for (int gi = 0; gi < opt->n_groups; gi++) {
    const optim_group *group = &opt->groups[gi];
    for (int i = group->first; i < group->first + group->n; i++)
      step_param(opt, group, i);
  }
  tg_no_grad_end();
  tg_guard_pop();
}

static void detach_in_place(tg_tensor *t) {
  tg_node_forget_output(t);
  if (t->grad_fn) tg_node_release(t->grad_fn);
  t->grad_fn = NULL;
  t->requires_grad = false;
}

void tg_optimizer_zero_grad(tg_optimizer *opt, bool set_to_none) {
  if (!opt) tg_error("tg_optimizer_zero_grad: optimizer is NULL");
  for (int i = 0; i < opt->n_params; i++) {
    tg_tensor *p = opt->params[i];
    if (p->grad && !set_to_none) detach_in_place(p->grad);
    tg_zero_grad(p, set_to_none);
  }
}

/* ---- accessors ---- */

const char *tg_optimizer_name(const tg_optimizer *opt) {
  return opt->vt->name;
}
int tg_optimizer_num_groups(const tg_optimizer *opt) {
  return opt->n_groups;
}
int tg_optimizer_num_params(const tg_optimizer *opt) {
  return opt->n_params;
}

static optim_group *group_at(const tg_optimizer *opt, const char *fn, int group) {
  if (group < 0 || group >= opt->n_groups)
    tg_error("%s: group %d out of range (the optimizer has %d)", fn, group,
             opt->n_groups);
  return &opt->groups[group];
}

double tg_optimizer_get_lr(const tg_optimizer *opt, int group) {
  const optim_group *g = group_at(opt, "tg_optimizer_get_lr", group);
  return tg_optim_field_get(&opt->vt->fields[0], g->options);
}

void tg_optimizer_set_lr(tg_optimizer *opt, int group, double lr) {
  optim_group *g = group_at(opt, "tg_optimizer_set_lr", group);
  if (!(lr >= 0.0)) tg_error("tg_optimizer_set_lr: invalid learning rate: %g", lr);
  tg_optim_field_set(&opt->vt->fields[0], g->options, lr);
}
