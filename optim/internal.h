/* Private to optim/: the optimizer object every algorithm shares, its vtable,
 * per-parameter state, and the element loop the update rules run in. */
#ifndef TG_OPTIM_INTERNAL_H
#define TG_OPTIM_INTERNAL_H

#include <stddef.h>

#include "tensor/internal.h"
#include "tensorgrad/optim.h"

#define TG_OPTIM_MAX_BUFFERS 3
#define TG_OPTIM_MAX_FIELDS 8

/* One option of an algorithm's options struct, by name and offset, so that
 * state dicts and generic code can read and write groups' options. */
typedef struct optim_field {
  const char *name;
  size_t offset;
  bool is_bool;
} optim_field;

/* A parameter's state: PyTorch's optimizer.state[p]. */
typedef struct optim_param_state {
  bool exists;                              /* len(state) != 0 */
  double step;                              /* for algorithms with has_step */
  tg_tensor *buffers[TG_OPTIM_MAX_BUFFERS]; /* owned; NULL until needed */
} optim_param_state;

typedef struct optim_group {
  int first, n;  /* parameters first .. first+n-1 of the optimizer */
  void *options; /* owned copy of the algorithm's options struct */
  bool has_initial_lr;
  double initial_lr; /* set by the first scheduler, as group['initial_lr'] */
} optim_group;

typedef struct optim_vtable {
  const char *name;        /* "SGD" */
  const char *constructor; /* "tg_sgd", for messages */
  size_t options_size;
  /* fields[0] is always "lr" */
  int n_fields;
  optim_field fields[TG_OPTIM_MAX_FIELDS];
  int n_buffers;
  const char *buffer_names[TG_OPTIM_MAX_BUFFERS];
  bool has_step;
  /* Writes why options are invalid into msg and returns false. */
  bool (*check)(const void *options, char *msg, size_t size);
  /* Optional: state made when a parameter joins (Adagrad's sum). */
  void (*init_state)(const void *options, tg_tensor *param, optim_param_state *st);
  /* Updates one parameter that has a grad (contiguous, same dtype/shape). */
  void (*update)(const void *options, tg_tensor *param, tg_tensor *grad,
                 optim_param_state *st);
} optim_vtable;

struct tg_optimizer {
  const optim_vtable *vt;
  int n_groups;
  optim_group *groups;
  int n_params;
  tg_tensor **params;       /* retained */
  optim_param_state *state; /* one per parameter */
};

tg_optimizer *tg_optim_create(const optim_vtable *vt, tg_tensor *const *params, int n,
                              const void *options);
void tg_optim_add_group(tg_optimizer *opt, const optim_vtable *vt, const char *fn,
                        tg_tensor *const *params, int n, const void *options);

static inline double *tg_optim_field_ptr(const optim_field *f, void *options) {
  return (double *)((char *)options + f->offset);
}
double tg_optim_field_get(const optim_field *f, const void *options);
void tg_optim_field_set(const optim_field *f, void *options, double value);

/* Frees a parameter's buffers and marks it stateless. */
void tg_optim_state_clear(optim_param_state *st);
/* A new tensor like param filled with value, owned by no scope (for state). */
tg_tensor *tg_optim_owned_full_like(const tg_tensor *param, double value);
/* st->buffers[i], made (filled with value) if missing; sets *created. */
tg_tensor *tg_optim_buffer(optim_param_state *st, int i, const tg_tensor *param,
                           double value, bool *created);

/* The element loop: for every element, v[0] is the parameter, v[1] the
 * gradient and v[2 + i] buffer i (0 when bufs[i] is NULL); fn updates them
 * in double and the loop stores the parameter and the buffers back. */
#define TG_OPTIM_MAX_VALUES (2 + TG_OPTIM_MAX_BUFFERS)
typedef void (*optim_elem_fn)(double *v, const void *ctx);
/* Update rules are marked so: inlined into the loop, they vectorise. */
#define TG_OPTIM_ELEM __attribute__((always_inline))

/* Inlined into each algorithm with its own fn, so the update compiles to one
 * typed loop per dtype with no call or dtype switch per element. */
#define TG_OPTIM_LOOP(T)                                                                 \
  do {                                                                                   \
    T *p = (T *)tg_ptr(param);                                                           \
    const T *g = (const T *)tg_ptr(grad);                                                \
    T *b[TG_OPTIM_MAX_BUFFERS] = {NULL};                                                 \
    for (int k = 0; k < n_bufs; k++) b[k] = bufs[k] ? (T *)tg_ptr(bufs[k]) : NULL;       \
    for (int64_t i = 0; i < n; i++) {                                                    \
      double v[TG_OPTIM_MAX_VALUES] = {0};                                               \
      v[0] = p[i];                                                                       \
      v[1] = g[i];                                                                       \
      for (int k = 0; k < n_bufs; k++)                                                   \
        if (b[k]) v[2 + k] = b[k][i];                                                    \
      fn(v, ctx);                                                                        \
      p[i] = (T)v[0];                                                                    \
      for (int k = 0; k < n_bufs; k++)                                                   \
        if (b[k]) b[k][i] = (T)v[2 + k];                                                 \
    }                                                                                    \
  } while (0)

static inline __attribute__((always_inline)) void
tg_optim_foreach(tg_tensor *param, const tg_tensor *grad, tg_tensor *const *bufs,
                 int n_bufs, optim_elem_fn fn, const void *ctx) {
  int64_t n = tg_numel(param);
  if (param->dtype == TG_FLOAT32)
    TG_OPTIM_LOOP(float);
  else
    TG_OPTIM_LOOP(double);
  tg_bump_version(param);
  for (int k = 0; k < n_bufs; k++)
    if (bufs[k]) tg_bump_version(bufs[k]);
}

/* "lr", "eps": -> "<what> must be >= 0, got <value>" style checks. */
bool tg_optim_check_nonneg(const char *what, double value, char *msg, size_t size);

/* ---- schedulers (scheduler.c, plateau.c) ---- */

struct tg_lr_scheduler {
  const char *name;
  /* The epoch schedulers' recursive rule: group g's new lr from its current
   * one, at s->last_epoch; NULL for ReduceLROnPlateau. */
  double (*next_lr)(const tg_lr_scheduler *s, int g, double lr);
  tg_optimizer *opt;
  int n_groups;
  double *base_lrs;
  double *last_lr;
  int64_t last_epoch;
  /* the epoch schedulers' settings */
  double gamma;
  int64_t step_size;
  int64_t *milestones;
  int n_milestones;
  int64_t t_max;
  double eta_min;
  /* ReduceLROnPlateau's settings and progress */
  tg_plateau_options plateau;
  double *min_lrs;
  double best;
  int64_t num_bad_epochs, cooldown_counter;
};

/* A scheduler with base_lrs and last_lr for every group of opt (lrs read
 * now), owned arrays allocated; the caller fills in the rest. */
tg_lr_scheduler *tg_scheduler_alloc(tg_optimizer *opt, const char *name);
void tg_scheduler_record_lrs(tg_lr_scheduler *s);
void tg_scheduler_set_lr(tg_lr_scheduler *s, int g, double lr);
void tg_scheduler_check_groups(const tg_lr_scheduler *s, const char *fn);

#endif
