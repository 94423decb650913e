/* Private to nn/: the module registry entries, the forward hook tg_summary
 * uses, and small helpers shared by the layers. */
#ifndef TG_NN_INTERNAL_H
#define TG_NN_INTERNAL_H

#include "tensorgrad/nn.h"

struct tg_module_entry {
  char *name;
  tg_module *module; /* children */
  tg_tensor *tensor; /* parameters and buffers (NULL: registered as None) */
};

/* Called after every tg_module_forward while set (tg_summary records the
 * layers a forward runs through, as torch-summary's hooks do). */
extern _Thread_local void (*tg_nn_forward_hook)(tg_module *m, tg_tensor *output,
                                                void *ctx);
/* Called before every tg_module_forward while set (add_graph tells which
 * module each recorded op ran in). Both hooks get tg_nn_forward_hook_ctx.
 * Both are per thread, like every state a forward reads. */
extern _Thread_local void (*tg_nn_forward_pre_hook)(tg_module *m, tg_tensor *input,
                                                    void *ctx);
extern _Thread_local void *tg_nn_forward_hook_ctx;

/* malloc / strdup that raise a tensorgrad error when memory runs out. */
void *tg_nn_xmalloc(size_t size);
char *tg_nn_xstrdup(const char *s);

/* A growing NUL-terminated string: print(model) and the summary table
 * are built in one. */
typedef struct tg_nn_text {
  char *data;
  size_t len, cap;
} tg_nn_text;
void tg_nn_text_put(tg_nn_text *t, const char *s);

/* Python's repr of a float: shortest round-trip digits, "1.0", "1e-05". */
void tg_nn_float_repr(double v, char *buf, size_t size);

/* One direction of an LSTM layer as one op (nn/lstm.c): from the input
 * projection xw (L, N, 4H) = x W_ih^T + b_ih, the initial states h0, c0
 * (N, H) and w_hh (4H, H), b_hh (4H, or NULL), every step's h and c
 * stacked (2, L, N, H); `reverse` walks time backwards. */
tg_tensor *tg_nn_lstm_layer(tg_tensor *xw, tg_tensor *h0, tg_tensor *c0, tg_tensor *w_hh,
                            tg_tensor *b_hh, bool reverse);

/* MultiheadAttention's heads as one op (nn/attention.c): softmax(q k^T /
 * sqrt(Dh) + mask) v over `heads` heads of q (L, N, E), k and v (S, N, E),
 * or (N, L, E) ... when batch_major, returned in q's layout; k = v = NULL
 * when q is the packed projection (L, N, 3E) of self-attention. mask: an
 * additive (L, S) or (N * heads, L, S) of q's dtype that needs no gradient,
 * or NULL. */
tg_tensor *tg_nn_heads_attention(tg_tensor *q, tg_tensor *k, tg_tensor *v, int64_t heads,
                                 tg_tensor *mask, bool batch_major);

/* A fresh float32 parameter of `shape`, uninitialised (the caller inits). */
tg_tensor *tg_nn_new_param(tg_module *m, const char *name, tg_shape shape);

/* PyTorch's reset_parameters of Linear and Conv: weight kaiming_uniform_
 * with a = sqrt(5), bias uniform in +-1/sqrt(fan_in) (bias may be NULL). */
void tg_nn_default_init(tg_tensor *weight, tg_tensor *bias);

/* Same rank and sizes. */
bool tg_nn_same_shape(tg_shape a, tg_shape b);

/* A per-channel (C) vector viewed as (1, C, 1, ...) to broadcast against
 * an input of ndim dims (batch and group norm's affine). */
tg_tensor *tg_nn_per_channel(tg_tensor *v, int ndim);
/* Errors (naming fn) unless t is NULL or a (channels) vector. */
void tg_nn_check_per_channel(const char *fn, const char *what, const tg_tensor *t,
                             int64_t channels);
/* The norms' affine parameters: weight ones and bias zeros of `shape`, or
 * both registered as None without affine. */
void tg_nn_affine_params(tg_module *m, tg_shape shape, bool affine, tg_tensor **weight,
                         tg_tensor **bias);

/* Reduces an elementwise loss as PyTorch's reduction argument says. */
tg_tensor *tg_nn_reduce(tg_tensor *loss, tg_reduction reduction);

#endif
