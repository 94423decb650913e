/* Adam and AdamW: torch.optim.Adam / AdamW single-tensor steps in PyTorch
 * 1.13, including the bias correction as that code computes it (step_size
 * = lr / (1 - beta1^t), denominator sqrt(v) / sqrt(1 - beta2^t) + eps). The
 * two differ only in how weight decay enters. */
#include <stdio.h>

#include "optim/internal.h"

enum { EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ };

/* One step of one parameter: the options and the scalars PyTorch computes
 * in Python (double) from them. */
typedef struct adam_ctx {
  const tg_adam_options *o;
  bool decoupled;   /* AdamW */
  double step_size; /* lr / bias_correction1 */
  double bias_correction2_sqrt;
} adam_ctx;

/* torch.maximum: NaN wins. */
#define MAXIMUM(a, b) ((b) != (b) || (b) > (a) ? (b) : (a))

/* The single-tensor step, op for op. Pass one updates the moments of a block
 * (and max_exp_avg_sq) and keeps what the denominator takes the root of;
 * pass two applies AdamW's decay and the addcdiv_. (PyTorch's param.mul_
 * comes first, but pass one reads the parameter only for L2 decay, never
 * with AdamW's.) */
#define ADAM_LOOP(T)                                                                     \
  TG_OPTIM_SIMD static void adam_loop_##T(                                               \
      T *restrict p, const T *restrict g, T *restrict m, T *restrict s,                  \
      T *restrict s_max, int64_t n, const adam_ctx *c) {                                 \
    const tg_adam_options *o = c->o;                                                     \
    const bool maximize = o->maximize, amsgrad = o->amsgrad, decoupled = c->decoupled;   \
    const bool l2 = !decoupled && o->weight_decay != 0;                                  \
    const T beta1 = (T)o->betas[0], beta2 = (T)o->betas[1];                              \
    const T one_minus_beta1 = (T)(1 - o->betas[0]),                                      \
            one_minus_beta2 = (T)(1 - o->betas[1]);                                      \
    const T weight_decay = (T)o->weight_decay, decay = (T)(1 - o->lr * o->weight_decay); \
    const T bc2_sqrt = (T)c->bias_correction2_sqrt, eps = (T)o->eps;                     \
    const T neg_step_size = (T)-c->step_size;                                            \
    T r[TG_OPTIM_BLOCK];                                                                 \
    for (int64_t i0 = 0; i0 < n; i0 += TG_OPTIM_BLOCK) {                                 \
      int nb = tg_optim_block_len(n, i0);                                                \
      for (int j = 0; j < nb; j++) {                                                     \
        int64_t i = i0 + j;                                                              \
        T gi = TG_OPTIM_GRAD(g[i], p[i], maximize, l2, weight_decay);                    \
        TG_OPTIM_MOMENTS(m[i], s[i], gi, beta1, one_minus_beta1, beta2,                  \
                         one_minus_beta2);                                               \
        r[j] = s[i];                                                                     \
      }                                                                                  \
      /* a loop of its own: a store under a condition would keep the one */              \
      /* above from vectorising */                                                       \
      for (int j = 0; amsgrad && j < nb; j++)                                            \
        r[j] = s_max[i0 + j] = MAXIMUM(s_max[i0 + j], s[i0 + j]);                        \
      TG_OPTIM_SQRT(r, nb);                                                              \
      for (int j = 0; j < nb; j++) {                                                     \
        int64_t i = i0 + j;                                                              \
        T pi = decoupled ? p[i] * decay : p[i];                                          \
        p[i] = TG_ADDCDIV(pi, m[i], r[j] / bc2_sqrt + eps, neg_step_size);               \
      }                                                                                  \
    }                                                                                    \
  }                                                                                      \
  static void adam_##T(const optim_arrays *a, const void *ctx) {                         \
    adam_loop_##T(a->param, a->grad, a->buf[EXP_AVG], a->buf[EXP_AVG_SQ],                \
                  a->buf[MAX_EXP_AVG_SQ], a->n, ctx);                                    \
  }
ADAM_LOOP(float)
ADAM_LOOP(double)

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
  tg_optim_run(param, grad, bufs, adam_float, adam_double, &ctx);
}

static void adam_update(const void *options, tg_tensor *param, tg_tensor *grad,
                        optim_param_state *st) {
  update(options, param, grad, st, false);
}

static void adamw_update(const void *options, tg_tensor *param, tg_tensor *grad,
                         optim_param_state *st) {
  update(options, param, grad, st, true);
}

static bool adam_check(const void *options, char *msg, size_t size) {
  const tg_adam_options *o = options;
  return tg_optim_check_adam_like(o->lr, o->eps, o->betas, o->weight_decay, msg, size);
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
