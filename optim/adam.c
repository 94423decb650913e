/* Adam and AdamW: torch.optim.Adam / AdamW single-tensor steps in PyTorch
 * 1.13, including the bias correction as that code computes it (step_size
 * = lr / (1 - beta1^t), denominator sqrt(v) / sqrt(1 - beta2^t) + eps). The
 * two differ only in how weight decay enters. */
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>

#include "optim/internal.h"

enum { EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ };

typedef struct adam_ctx {
  const tg_adam_options *o;
  bool decoupled;   /* AdamW */
  double step_size; /* lr / bias_correction1 */
  double bias_correction2_sqrt;
} adam_ctx;

static inline TG_OPTIM_ELEM void adam_elem(double *v, const void *ctx_) {
  const adam_ctx *ctx = ctx_;
  const tg_adam_options *o = ctx->o;
  double p = v[0], g = o->maximize ? -v[1] : v[1];
  if (ctx->decoupled)
    p *= 1 - o->lr * o->weight_decay;
  else if (o->weight_decay != 0)
    g += o->weight_decay * p;
  double *m = &v[2 + EXP_AVG], *s = &v[2 + EXP_AVG_SQ];
  *m = o->betas[0] * *m + (1 - o->betas[0]) * g;
  *s = o->betas[1] * *s + (1 - o->betas[1]) * g * g;
  double second = *s;
  if (o->amsgrad) {
    double *max_s = &v[2 + MAX_EXP_AVG_SQ];
    if (isnan(*s) || *s > *max_s) *max_s = *s; /* torch.maximum propagates NaN */
    second = *max_s;
  }
  double denom = sqrt(second) / ctx->bias_correction2_sqrt + o->eps;
  v[0] = p + -ctx->step_size * (*m / denom);
}

/* sqrt without the errno branch (and the call behind it) that C's sqrt
 * keeps in a loop; the same correctly rounded result. */
static inline double sqrt_exact(double x) {
#ifdef __SSE2__
  return _mm_cvtsd_f64(_mm_sqrt_sd(_mm_setzero_pd(), _mm_set_sd(x)));
#else
  return sqrt(x);
#endif
}

/* The default options (no weight decay, amsgrad or maximize): adam_elem's
 * arithmetic, in the same order, as one tight loop. */
#define ADAM_PLAIN(T)                                                                    \
  static void adam_plain_##T(T *restrict p, const T *restrict g, T *restrict m,          \
                             T *restrict s, int64_t n, const adam_ctx *ctx) {            \
    const double b1 = ctx->o->betas[0], b2 = ctx->o->betas[1], eps = ctx->o->eps;        \
    const double step = ctx->step_size, bc2 = ctx->bias_correction2_sqrt;                \
    for (int64_t i = 0; i < n; i++) {                                                    \
      double gi = g[i];                                                                  \
      double mi = b1 * (double)m[i] + (1 - b1) * gi;                                     \
      double si = b2 * (double)s[i] + (1 - b2) * gi * gi;                                \
      m[i] = (T)mi;                                                                      \
      s[i] = (T)si;                                                                      \
      p[i] = (T)((double)p[i] + -step * (mi / (sqrt_exact(si) / bc2 + eps)));            \
    }                                                                                    \
  }
ADAM_PLAIN(float)
ADAM_PLAIN(double)

static bool plain_options(const tg_adam_options *o, bool decoupled) {
  return !decoupled && o->weight_decay == 0 && !o->amsgrad && !o->maximize;
}

static void update(const void *options, tg_tensor *param, tg_tensor *grad,
                   optim_param_state *st, bool decoupled) {
  const tg_adam_options *o = options;
  bool created;
  tg_tensor *bufs[3] = {tg_optim_buffer(st, EXP_AVG, param, 0, &created),
                        tg_optim_buffer(st, EXP_AVG_SQ, param, 0, &created), NULL};
  if (o->amsgrad)
    bufs[MAX_EXP_AVG_SQ] = tg_optim_buffer(st, MAX_EXP_AVG_SQ, param, 0, &created);
  st->exists = true;
  st->step += 1;
  adam_ctx ctx = {.o = o,
                  .decoupled = decoupled,
                  .step_size = o->lr / (1 - pow(o->betas[0], st->step)),
                  .bias_correction2_sqrt = sqrt(1 - pow(o->betas[1], st->step))};
  if (!plain_options(o, decoupled)) {
    tg_optim_foreach(param, grad, bufs, 3, adam_elem, &ctx);
    return;
  }
  int64_t n = tg_numel(param);
  if (param->dtype == TG_FLOAT32)
    adam_plain_float(tg_data_f32(param), (const float *)tg_ptr(grad),
                     tg_data_f32(bufs[0]), tg_data_f32(bufs[1]), n, &ctx);
  else
    adam_plain_double(tg_data_f64(param), (const double *)tg_ptr(grad),
                      tg_data_f64(bufs[0]), tg_data_f64(bufs[1]), n, &ctx);
  tg_bump_version(param);
  tg_bump_version(bufs[0]);
  tg_bump_version(bufs[1]);
}

static void adam_update(const void *options, tg_tensor *param, tg_tensor *grad,
                        optim_param_state *st) {
  update(options, param, grad, st, false);
}

static void adamw_update(const void *options, tg_tensor *param, tg_tensor *grad,
                         optim_param_state *st) {
  update(options, param, grad, st, true);
}

static bool in_unit_interval(int index, double beta, char *msg, size_t size) {
  if (beta >= 0.0 && beta < 1.0) return true;
  snprintf(msg, size, "invalid beta parameter at index %d: %g", index, beta);
  return false;
}

static bool adam_check(const void *options, char *msg, size_t size) {
  const tg_adam_options *o = options;
  return tg_optim_check_nonneg("learning rate", o->lr, msg, size) &&
         tg_optim_check_nonneg("epsilon value", o->eps, msg, size) &&
         in_unit_interval(0, o->betas[0], msg, size) &&
         in_unit_interval(1, o->betas[1], msg, size) &&
         tg_optim_check_nonneg("weight_decay value", o->weight_decay, msg, size);
}

#define FIELD(name, is_bool)                                                             \
  { #name, offsetof(tg_adam_options, name), is_bool }
#define ADAM_FIELDS                                                                      \
  .n_fields = 7,                                                                         \
  .fields = {FIELD(lr, false),                                                           \
             {"betas.0", offsetof(tg_adam_options, betas), false},                       \
             {"betas.1", offsetof(tg_adam_options, betas) + sizeof(double), false},      \
             FIELD(eps, false),                                                          \
             FIELD(weight_decay, false),                                                 \
             FIELD(amsgrad, true),                                                       \
             FIELD(maximize, true)},                                                     \
  .n_buffers = 3, .buffer_names = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},           \
  .has_step = true, .check = adam_check

static const optim_vtable adam_vtable = {
    .name = "Adam",
    .constructor = "tg_adam",
    .options_size = sizeof(tg_adam_options),
    ADAM_FIELDS,
    .update = adam_update,
};

static const optim_vtable adamw_vtable = {
    .name = "AdamW",
    .constructor = "tg_adamw",
    .options_size = sizeof(tg_adam_options),
    ADAM_FIELDS,
    .update = adamw_update,
};

tg_optimizer *tg_adam(tg_tensor *const *params, int n, tg_adam_options options) {
  return tg_optim_create(&adam_vtable, params, n, &options);
}

tg_optimizer *tg_adamw(tg_tensor *const *params, int n, tg_adam_options options) {
  return tg_optim_create(&adamw_vtable, params, n, &options);
}

void tg_adam_add_param_group(tg_optimizer *opt, tg_tensor *const *params, int n,
                             tg_adam_options options) {
  const optim_vtable *vt = opt->vt == &adamw_vtable ? &adamw_vtable : &adam_vtable;
  tg_optim_add_group(opt, vt, "tg_adam_add_param_group", params, n, &options);
}
