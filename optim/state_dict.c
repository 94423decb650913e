/* Optimizer state dicts: a flat list of named tensors (see optim.h for the
 * names), and loading one back with every check done before anything
 * changes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim/internal.h"

#define LOAD "tg_optimizer_load_state_dict"

static void add(tg_tensor_dict *sd, tg_tensor *t, const char *fmt, int index,
                const char *key) {
  char name[160];
  snprintf(name, sizeof name, fmt, index, key);
  tg_tensor_dict_add(sd, name, t);
}

static void save_state(tg_tensor_dict *sd, const tg_optimizer *opt, int i) {
  const optim_param_state *st = &opt->state[i];
  if (!st->exists) return;
  if (opt->vt->has_step)
    add(sd, tg_scalar(st->step, TG_FLOAT64), "state.%d.%s", i, "step");
  if (opt->vt->has_mu_product)
    add(sd, tg_scalar(st->mu_product, TG_FLOAT32), "state.%d.%s", i, "mu_product");
  for (int b = 0; b < opt->vt->n_buffers; b++)
    if (st->buffers[b])
      add(sd, tg_clone(st->buffers[b]), "state.%d.%s", i, opt->vt->buffer_names[b]);
}

static void save_group(tg_tensor_dict *sd, const tg_optimizer *opt, int g) {
  const optim_group *group = &opt->groups[g];
  tg_tensor *ids = tg_arange(group->first, group->first + group->n, 1, TG_INT64);
  add(sd, ids, "param_groups.%d.%s", g, "params");
  for (int f = 0; f < opt->vt->n_fields; f++) {
    const optim_field *field = &opt->vt->fields[f];
    add(sd, tg_scalar(tg_optim_field_get(field, group->options), TG_FLOAT64),
        "param_groups.%d.%s", g, field->name);
  }
  if (group->has_initial_lr)
    add(sd, tg_scalar(group->initial_lr, TG_FLOAT64), "param_groups.%d.%s", g,
        "initial_lr");
}

tg_tensor_dict *tg_optimizer_state_dict(const tg_optimizer *opt) {
  tg_tensor_dict *sd = tg_tensor_dict_new();
  if (!sd) tg_error("%s", tg_last_error());
  tg_scope_begin(); /* the dict holds its own references */
  for (int i = 0; i < opt->n_params; i++) save_state(sd, opt, i);
  for (int g = 0; g < opt->n_groups; g++) save_group(sd, opt, g);
  tg_scope_end();
  return sd;
}

/* ---- loading: parse and check everything into a plan, then apply ---- */

typedef struct load_plan {
  void **options; /* one per group */
  bool *has_initial_lr;
  double *initial_lr;
  int *param_of_id; /* saved parameter number -> our parameter, or -1 */
  int n_ids;
  optim_param_state *state; /* one per parameter, tensors borrowed from sd */
} load_plan;

static void plan_free(load_plan *plan, int n_groups) {
  if (plan->options)
    for (int g = 0; g < n_groups; g++) free(plan->options[g]);
  free(plan->options);
  free(plan->has_initial_lr);
  free(plan->initial_lr);
  free(plan->param_of_id);
  free(plan->state);
}

static bool plan_alloc(load_plan *plan, const tg_optimizer *opt) {
  int ng = opt->n_groups;
  plan->options = calloc((size_t)ng, sizeof *plan->options);
  plan->has_initial_lr = calloc((size_t)ng, sizeof *plan->has_initial_lr);
  plan->initial_lr = calloc((size_t)ng, sizeof *plan->initial_lr);
  plan->state = calloc((size_t)opt->n_params, sizeof *plan->state);
  bool ok = plan->options && plan->has_initial_lr && plan->initial_lr && plan->state;
  for (int g = 0; ok && g < ng; g++) {
    plan->options[g] = calloc(1, opt->vt->options_size);
    ok = plan->options[g] != NULL;
  }
  if (!ok) tg_set_last_error(LOAD ": out of memory");
  return ok;
}

/* Splits "<prefix>.<number>.<key>"; returns the number or -1. */
static long parse_name(const char *name, const char *prefix, const char **key) {
  size_t len = strlen(prefix);
  if (strncmp(name, prefix, len) != 0 || name[len] != '.') return -1;
  char *end;
  const char *digits = name + len + 1;
  if (*digits < '0' || *digits > '9') return -1;
  long n = strtol(digits, &end, 10);
  if (*end != '.' || n > 1000000000L) return -1;
  *key = end + 1;
  return n;
}

static bool scalar_value(const tg_named_tensor *e, double *value) {
  if (tg_numel(e->tensor) != 1) {
    tg_set_last_error(LOAD ": entry \"%s\" has %lld elements, expected one", e->name,
                      (long long)tg_numel(e->tensor));
    return false;
  }
  *value = tg_item(e->tensor);
  return true;
}

/* A step count: a whole number from 0 to 2^53 (NaN or a negative step
 * would turn the bias corrections into garbage on the next step). */
static bool step_value(const tg_named_tensor *e, double *step) {
  if (!scalar_value(e, step)) return false;
  if (!(*step >= 0 && *step <= 0x1p53 && *step == floor(*step))) {
    tg_set_last_error(LOAD ": entry \"%s\" holds %g, not a step count (a whole number "
                           ">= 0)",
                      e->name, *step);
    return false;
  }
  return true;
}

/* NAdam's running product of momentum factors, each in (0, 1): a value
 * outside (0, 1] would poison every later step. */
static bool mu_product_value(const tg_named_tensor *e, float *mu_product) {
  double v;
  if (!scalar_value(e, &v)) return false;
  if (!(v > 0 && v <= 1)) {
    tg_set_last_error(LOAD ": entry \"%s\" holds %g, not a product of momentum factors "
                           "(in (0, 1])",
                      e->name, v);
    return false;
  }
  *mu_product = (float)v;
  return true;
}

/* Optimizer buffers hold finite values: a NaN would reach the weights. */
static bool all_finite(const tg_named_tensor *e) {
  int64_t n = tg_numel(e->tensor);
  for (int64_t k = 0; k < n; k++) {
    double v = tg_get_flat(e->tensor, k);
    if (!isfinite(v)) {
      tg_set_last_error(LOAD ": entry \"%s\" holds %g at element %lld", e->name, v,
                        (long long)k);
      return false;
    }
  }
  return true;
}

static int count_groups(const tg_tensor_dict *sd) {
  int n = 0;
  for (int i = 0; i < sd->n; i++) {
    const char *key;
    long g = parse_name(sd->items[i].name, "param_groups", &key);
    if (g >= 0 && strcmp(key, "params") == 0 && g + 1 > n) n = (int)g + 1;
  }
  return n;
}

/* "param_groups.<g>.params" of every group: sizes, and the id -> parameter map. */
static bool map_params(load_plan *plan, const tg_optimizer *opt,
                       const tg_tensor_dict *sd) {
  int n_groups = count_groups(sd);
  if (n_groups != opt->n_groups) {
    tg_set_last_error(LOAD ": loaded state dict has a different number of parameter "
                           "groups (%d, the optimizer has %d)",
                      n_groups, opt->n_groups);
    return false;
  }
  int64_t max_id = -1;
  for (int g = 0; g < opt->n_groups; g++) {
    char name[64];
    snprintf(name, sizeof name, "param_groups.%d.params", g);
    tg_tensor *ids = tg_tensor_dict_get(sd, name);
    if (!ids) {
      tg_set_last_error(LOAD ": missing entry \"%s\"", name);
      return false;
    }
    if (ids->ndim != 1 || tg_numel(ids) != opt->groups[g].n) {
      tg_set_last_error(LOAD
                        ": loaded state dict contains a parameter group that "
                        "doesn't match the size of optimizer's group (group %d has %lld "
                        "parameters, the optimizer's has %d)",
                        g, (long long)tg_numel(ids), opt->groups[g].n);
      return false;
    }
    /* Ids number the saved parameters 0..n-1 and there are as many as the
     * optimizer has: anything larger cannot be right, and must not size
     * an allocation. */
    for (int64_t k = 0; k < tg_numel(ids); k++) {
      double id = tg_get_flat(ids, k);
      if (!(id >= 0 && id < opt->n_params) || id != floor(id)) {
        tg_set_last_error(LOAD ": \"%s\" holds %g, not a parameter number (0 to %d)",
                          name, id, opt->n_params - 1);
        return false;
      }
      if (id > max_id) max_id = (int64_t)id;
    }
  }
  plan->n_ids = (int)(max_id + 1);
  plan->param_of_id = malloc(sizeof(int) * (size_t)(plan->n_ids ? plan->n_ids : 1));
  if (!plan->param_of_id) {
    tg_set_last_error(LOAD ": out of memory");
    return false;
  }
  for (int i = 0; i < plan->n_ids; i++) plan->param_of_id[i] = -1;
  for (int g = 0; g < opt->n_groups; g++) {
    char name[64];
    snprintf(name, sizeof name, "param_groups.%d.params", g);
    tg_tensor *ids = tg_tensor_dict_get(sd, name);
    for (int k = 0; k < opt->groups[g].n; k++) {
      int id = (int)tg_get_flat(ids, k);
      if (plan->param_of_id[id] >= 0) {
        tg_set_last_error(LOAD ": parameter number %d appears twice in param_groups", id);
        return false;
      }
      plan->param_of_id[id] = opt->groups[g].first + k;
    }
  }
  return true;
}

static int find_field(const optim_vtable *vt, const char *key) {
  for (int f = 0; f < vt->n_fields; f++)
    if (strcmp(vt->fields[f].name, key) == 0) return f;
  return -1;
}

static int find_buffer(const optim_vtable *vt, const char *key) {
  for (int b = 0; b < vt->n_buffers; b++)
    if (strcmp(vt->buffer_names[b], key) == 0) return b;
  return -1;
}

static bool unknown(const tg_optimizer *opt, const char *name) {
  tg_set_last_error(LOAD ": unknown entry \"%s\" for %s", name, opt->vt->name);
  return false;
}

static bool load_group_entry(load_plan *plan, const tg_optimizer *opt,
                             const tg_named_tensor *e, int g, const char *key,
                             unsigned *seen) {
  if (strcmp(key, "params") == 0) return true;
  double value;
  if (strcmp(key, "initial_lr") == 0) {
    if (!scalar_value(e, &value)) return false;
    plan->has_initial_lr[g] = true;
    plan->initial_lr[g] = value;
    return true;
  }
  int f = find_field(opt->vt, key);
  if (f < 0) return unknown(opt, e->name);
  if (!scalar_value(e, &value)) return false;
  /* a flag other than 0 or 1 (a damaged file) would switch maximize,
   * amsgrad, nesterov or centered on silently */
  if (opt->vt->fields[f].is_bool && value != 0 && value != 1) {
    tg_set_last_error(LOAD ": entry \"%s\" holds %g, not a flag (0 or 1)", e->name,
                      value);
    return false;
  }
  tg_optim_field_set(&opt->vt->fields[f], plan->options[g], value);
  seen[g] |= 1u << f;
  return true;
}

static bool load_state_entry(load_plan *plan, const tg_optimizer *opt,
                             const tg_named_tensor *e, long id, const char *key) {
  int i = id < plan->n_ids ? plan->param_of_id[id] : -1;
  if (i < 0) {
    tg_set_last_error(LOAD ": entry \"%s\" is for parameter %ld, which no group lists",
                      e->name, id);
    return false;
  }
  optim_param_state *st = &plan->state[i];
  st->exists = true;
  if (opt->vt->has_step && strcmp(key, "step") == 0) return step_value(e, &st->step);
  if (opt->vt->has_mu_product && strcmp(key, "mu_product") == 0)
    return mu_product_value(e, &st->mu_product);
  int b = find_buffer(opt->vt, key);
  if (b < 0) return unknown(opt, e->name);
  const tg_tensor *p = opt->params[i];
  if (!tg_same_shape(e->tensor, p) || !tg_is_floating(e->tensor->dtype)) {
    char got[TG_SHAPE_STR_MAX], want[TG_SHAPE_STR_MAX];
    tg_set_last_error(LOAD ": entry \"%s\" is %s %s, parameter %d is %s %s", e->name,
                      tg_dtype_name(e->tensor->dtype),
                      tg_shape_str(tg_shape_of(e->tensor), got), i,
                      tg_dtype_name(p->dtype), tg_shape_str(tg_shape_of(p), want));
    return false;
  }
  if (!all_finite(e)) return false;
  st->buffers[b] = e->tensor;
  return true;
}

static bool check_groups(load_plan *plan, const tg_optimizer *opt, const unsigned *seen) {
  for (int g = 0; g < opt->n_groups; g++) {
    for (int f = 0; f < opt->vt->n_fields; f++)
      if (!(seen[g] & (1u << f))) {
        tg_set_last_error(LOAD ": missing entry \"param_groups.%d.%s\"", g,
                          opt->vt->fields[f].name);
        return false;
      }
    char msg[256];
    if (!opt->vt->check(plan->options[g], msg, sizeof msg)) {
      tg_set_last_error(LOAD ": param_groups.%d: %s", g, msg);
      return false;
    }
  }
  return true;
}

static bool build_plan(load_plan *plan, const tg_optimizer *opt,
                       const tg_tensor_dict *sd) {
  if (!plan_alloc(plan, opt) || !map_params(plan, opt, sd)) return false;
  unsigned seen[opt->n_groups];
  memset(seen, 0, sizeof seen);
  for (int k = 0; k < sd->n; k++) {
    const tg_named_tensor *e = &sd->items[k];
    const char *key;
    long g = parse_name(e->name, "param_groups", &key);
    long id = parse_name(e->name, "state", &key);
    bool ok = g >= 0    ? g < opt->n_groups
                              ? load_group_entry(plan, opt, e, (int)g, key, seen)
                              : unknown(opt, e->name)
                 : id >= 0 ? load_state_entry(plan, opt, e, id, key)
                        : unknown(opt, e->name);
    if (!ok) return false;
  }
  return check_groups(plan, opt, seen);
}

static void apply_plan(tg_optimizer *opt, const load_plan *plan) {
  for (int g = 0; g < opt->n_groups; g++) {
    optim_group *group = &opt->groups[g];
    memcpy(group->options, plan->options[g], opt->vt->options_size);
    group->has_initial_lr = plan->has_initial_lr[g];
    group->initial_lr = plan->initial_lr[g];
  }
  for (int i = 0; i < opt->n_params; i++) {
    const optim_param_state *from = &plan->state[i];
    optim_param_state *st = &opt->state[i];
    tg_optim_state_clear(st);
    st->exists = from->exists;
    st->step = from->step;
    st->mu_product = from->mu_product;
    for (int b = 0; b < TG_OPTIM_MAX_BUFFERS; b++) {
      if (!from->buffers[b]) continue;
      st->buffers[b] = tg_optim_owned_full_like(opt->params[i], 0);
      tg_copy_(st->buffers[b], from->buffers[b]); /* converts to the param's dtype */
    }
  }
}

int tg_optimizer_check_state_dict(const tg_optimizer *opt, const tg_tensor_dict *sd) {
  load_plan plan = {0};
  bool ok = build_plan(&plan, opt, sd);
  plan_free(&plan, opt->n_groups);
  return ok ? 0 : -1;
}

int tg_optimizer_load_state_dict(tg_optimizer *opt, const tg_tensor_dict *sd) {
  load_plan plan = {0};
  bool ok = build_plan(&plan, opt, sd);
  if (ok) apply_plan(opt, &plan);
  plan_free(&plan, opt->n_groups);
  return ok ? 0 : -1;
}
