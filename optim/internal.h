/* Private to optim/: the optimizer object every algorithm shares, its vtable,
 * per-parameter state, and the loops the update rules run in. */
#ifndef TG_OPTIM_INTERNAL_H
#define TG_OPTIM_INTERNAL_H

#include <math.h>
#include <stddef.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h> /* the wide paths' square roots, under target attributes */
#endif

#include "tensor/core.h"
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
  float mu_product;                         /* NAdam's (a float32 tensor there) */
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
  bool has_mu_product; /* NAdam */
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

tg_optimizer *tg_optim_create(const optim_vtable *vt, tg_params params,
                              const void *options);
void tg_optim_add_group(tg_optimizer *opt, const optim_vtable *vt, const char *fn,
                        tg_params params, const void *options);

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

/* ---- the update loops ----
 *
 * PyTorch's single-tensor steps run one tensor op after another (mul_,
 * add_ with alpha, addcmul_, sqrt, div, add_, addcdiv_), each rounding its
 * result to the parameter's dtype, with every Python float converted to
 * that dtype first. The loops below do the same, element by element, so a
 * float32 parameter is computed in float32 with PyTorch's roundings. On an
 * AVX2 CPU ATen's add-with-alpha and addcmul kernels are fused
 * multiply-adds, in the vector body and in the scalar tail alike (checked
 * bit for bit against torch 1.13 here); its baseline (non-AVX2) build
 * rounds the product separately. We always fuse, through fmaf/fma, so the
 * result is the same on every CPU. */

/* The loops are TG_DISPATCHED: compiled for AVX-512, for x86-64-v3 (AVX2
 * and FMA: what ATen's AVX2 level requires) and for the baseline, whose
 * copy calls fmaf, slower but with the same, correctly rounded, results. */

/* ATen's ops on one element, as functions of each floating type
 * (optim/element_ops.inc); these pick the one of their first operand's type. */
#define TG_TEMPLATE "optim/element_ops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE
#define TG_OPTIM_OP(name, x) _Generic((x), float : name##f32, default : name##f64)
#define TG_ADD_ALPHA(a, b, alpha) TG_OPTIM_OP(tg_optim_add_alpha_, a)(a, b, alpha)
#define TG_ADDCMUL(a, b, c, value) TG_OPTIM_OP(tg_optim_addcmul_, a)(a, b, c, value)
#define TG_ADDCDIV(a, b, c, value) TG_OPTIM_OP(tg_optim_addcdiv_, a)(a, b, c, value)
#define TG_MAXIMUM(a, b) TG_OPTIM_OP(tg_optim_maximum_, a)(a, b)
#define TG_OPTIM_GRAD(g, p, max, l2, wd) TG_OPTIM_OP(tg_optim_grad_, g)(g, p, max, l2, wd)

/* Algorithms that take square roots run in blocks: a pass over the block
 * leaves what to take the root of in a small array, one pass takes the
 * roots, a last pass updates the parameter. A block stays in L1. */
#define TG_OPTIM_BLOCK 256

/* The length of the block that starts at element i0 of n. */
static inline int tg_optim_block_len(int64_t n, int64_t i0) {
  return n - i0 < TG_OPTIM_BLOCK ? (int)(n - i0) : TG_OPTIM_BLOCK;
}

/* x[0..n) = sqrt(x[0..n)) on the widest vectors the chosen path has.
 * sqrtf may set errno, which stops GCC vectorising a loop that calls it;
 * the vector square-root instructions never do, and a square root is
 * correctly rounded, so every width gives the same bits. Each path's copy
 * takes what its full vectors leave to the four-wide (SSE) loop, then to
 * sqrtf. One switch per block of TG_OPTIM_BLOCK elements picks the copy. */
static inline void tg_optim_sqrt_f32_sse(float *x, int i, int n) {
#ifdef __SSE2__
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; i++) x[i] = sqrtf(x[i]);
}

static inline void tg_optim_sqrt_f64_sse(double *x, int i, int n) {
#ifdef __SSE2__
  for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
#endif
  for (; i < n; i++) x[i] = sqrt(x[i]);
}

#ifdef TG_HAVE_PATHS
static inline TG_TARGET_AVX512 void tg_optim_sqrt_f32_avx512(float *x, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(x + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
  tg_optim_sqrt_f32_sse(x, i, n);
}

static inline TG_TARGET_AVX2 void tg_optim_sqrt_f32_avx2(float *x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
  tg_optim_sqrt_f32_sse(x, i, n);
}

static inline TG_TARGET_AVX512 void tg_optim_sqrt_f64_avx512(double *x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm512_storeu_pd(x + i, _mm512_sqrt_pd(_mm512_loadu_pd(x + i)));
  tg_optim_sqrt_f64_sse(x, i, n);
}

static inline TG_TARGET_AVX2 void tg_optim_sqrt_f64_avx2(double *x, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4)
    _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
  tg_optim_sqrt_f64_sse(x, i, n);
}
#endif

static inline void tg_optim_sqrt_f32(float *x, int n) {
#ifdef TG_HAVE_PATHS
  tg_isa isa = tg_simd_isa();
  if (isa >= TG_ISA_AVX2) {
    (isa == TG_ISA_AVX512 ? tg_optim_sqrt_f32_avx512 : tg_optim_sqrt_f32_avx2)(x, n);
    return;
  }
#endif
  tg_optim_sqrt_f32_sse(x, 0, n);
}

static inline void tg_optim_sqrt_f64(double *x, int n) {
#ifdef TG_HAVE_PATHS
  tg_isa isa = tg_simd_isa();
  if (isa >= TG_ISA_AVX2) {
    (isa == TG_ISA_AVX512 ? tg_optim_sqrt_f64_avx512 : tg_optim_sqrt_f64_avx2)(x, n);
    return;
  }
#endif
  tg_optim_sqrt_f64_sse(x, 0, n);
}

/* A parameter, its (contiguous) grad and the state buffers an algorithm
 * uses (NULL otherwise), as raw arrays of n elements of their dtype. */
typedef struct optim_arrays {
  void *param;
  const void *grad;
  void *buf[TG_OPTIM_MAX_BUFFERS];
  int64_t n;
} optim_arrays;
typedef void (*optim_loop_fn)(const optim_arrays *a, const void *ctx);

/* Runs an algorithm's float32 or float64 loop (by param's dtype) on param,
 * grad and bufs, then bumps the versions of what it wrote. */
void tg_optim_run(tg_tensor *param, const tg_tensor *grad,
                  tg_tensor *const bufs[TG_OPTIM_MAX_BUFFERS], optim_loop_fn f32,
                  optim_loop_fn f64, const void *ctx);

/* "lr", "eps": -> "<what> must be >= 0, got <value>" style checks. */
bool tg_optim_check_nonneg(const char *what, double value, char *msg, size_t size);
/* False, with a message, when all_zero: the hyper-parameters whose PyTorch
 * defaults are not 0 were all left at 0, as a compound literal
 * (tg_adam_options){.lr = 0.01} leaves them, which would silently run
 * another algorithm (Adam with betas (0, 0)) instead of PyTorch's. */
bool tg_optim_check_defaults_given(bool all_zero, const char *fields,
                                   const char *defaults, char *msg, size_t size);
/* The checks Adam, NAdam and RAdam share, in PyTorch's order. */
bool tg_optim_check_adam_like(double lr, double eps, const double betas[2],
                              double weight_decay, char *msg, size_t size);

/* Adam's moment updates, op for op: m.mul_(beta1).add_(g, alpha=1-beta1)
 * and v.mul_(beta2).addcmul_(g, g, value=1-beta2). */
#define TG_OPTIM_MOMENTS(m, v, g, beta1, one_minus_beta1, beta2, one_minus_beta2)        \
  do {                                                                                   \
    (m) = TG_ADD_ALPHA((m) * (beta1), g, one_minus_beta1);                               \
    (v) = TG_ADDCMUL((v) * (beta2), g, g, one_minus_beta2);                              \
  } while (0)

/* ---- schedulers (scheduler.c, plateau.c) ---- */

/* One phase of OneCycleLR: lr and momentum anneal from start to end while
 * the step goes from the previous phase's end_step to this one's. */
typedef struct one_cycle_phase {
  double end_step;
  double start_lr, end_lr, start_momentum, end_momentum;
} one_cycle_phase;

struct tg_lr_scheduler {
  const char *name;
  /* The epoch schedulers' recursive rule: group g's new lr from its current
   * one, at s->last_epoch; NULL for ReduceLROnPlateau. */
  double (*next_lr)(const tg_lr_scheduler *s, int g, double lr);
  /* Optional: the closed form at s->last_epoch (PyTorch's step(epoch) path,
   * which SequentialLR takes at its milestones); next_lr when NULL. */
  double (*closed_lr)(const tg_lr_scheduler *s, int g);
  /* Optional: runs after last_epoch advanced, before the lrs are set. */
  void (*advance)(tg_lr_scheduler *s);
  /* Optional: replaces the whole step (SequentialLR). */
  void (*step)(tg_lr_scheduler *s);
  /* Optional: frees what the rule owns. */
  void (*free_extra)(tg_lr_scheduler *s);
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
  double (*lr_lambda)(int64_t epoch, void *user); /* LambdaLR */
  void *user;
  double start_factor, end_factor; /* LinearLR */
  int64_t total_iters;
  int64_t t_0, t_i, t_mult, t_cur; /* CosineAnnealingWarmRestarts */
  /* OneCycleLR: total steps, phases, anneal rule, the momentum option it
   * cycles (-1: none) */
  int64_t total_steps;
  one_cycle_phase phases[3];
  int n_phases;
  double (*anneal)(double start, double end, double pct);
  int momentum_field;
  /* SequentialLR: the schedulers it owns; milestones above */
  tg_lr_scheduler **children;
  int n_children;
  /* ReduceLROnPlateau's settings and progress */
  tg_plateau_options plateau;
  double *min_lrs;
  double best;
  int64_t num_bad_epochs, cooldown_counter;
};

/* A scheduler with base_lrs and last_lr for every group of opt (lrs read
 * now), owned arrays allocated; the caller fills in the rest. */
tg_lr_scheduler *tg_scheduler_alloc(tg_optimizer *opt, const char *name);
/* PyTorch's _LRScheduler.__init__ with last_epoch = -1, before its first
 * step: records each group's initial_lr once and takes it as base_lrs. */
tg_lr_scheduler *tg_scheduler_start(tg_optimizer *opt, const char *name,
                                    double (*next_lr)(const tg_lr_scheduler *, int,
                                                      double));
/* PyTorch's step(epoch) with epoch 0: restarts the schedule (SequentialLR). */
void tg_scheduler_restart(tg_lr_scheduler *s);
void tg_scheduler_record_lrs(tg_lr_scheduler *s);
void tg_scheduler_set_lr(tg_lr_scheduler *s, int g, double lr);
void tg_scheduler_check_groups(const tg_lr_scheduler *s, const char *fn);

#endif
