/* tensorgrad/nn.h - modules, layers, initialisation, losses, summary.
 *
 * A module is a struct whose first member is a tg_module, the way a PyTorch
 * model subclasses nn.Module:
 *
 *     typedef struct { tg_module base; tg_module *fc1, *fc2; } Net;
 *
 *     static tg_tensor *net_forward(tg_module *m, tg_tensor *x) {
 *       Net *net = (Net *)m;
 *       return tg_module_forward(net->fc2, tg_module_forward(net->fc1, x));
 *     }
 *     static const tg_module_vtable net_vtable = {"Net", net_forward};
 *
 *     Net *net = tg_module_new(&net_vtable, sizeof(Net));
 *     net->fc1 = tg_module_add(&net->base, "fc1", tg_nn_linear(2, 10, true));
 *
 * A module owns its parameters, buffers and children; tg_module_free frees
 * the whole tree. tg_module_forward runs forward inside its own scope, so
 * the temporaries of a forward never leak; the result follows the usual
 * rule (scope-owned inside a scope, the caller's outside).
 *
 * Parameters are float32 leaves with requires_grad, created with PyTorch's
 * default initialisation from the one generator: after tg_manual_seed(s),
 * building the same layers in the same order as a PyTorch script gives the
 * same initial weights.
 */
#ifndef TENSORGRAD_NN_H
#define TENSORGRAD_NN_H

#include "tensorgrad/export.h"

#include <stdio.h>

#include "tensorgrad/autograd.h"
#include "tensorgrad/tensor.h"

TG_API_BEGIN

/* ---- the module base ------------------------------------------------------ */

typedef struct tg_module tg_module;

typedef struct tg_module_vtable {
  const char *type_name; /* "Linear": printed and shown by tg_summary */
  /* Runs inside the scope tg_module_forward opens: return a tensor made
   * there, or x itself; never an extra reference (no tg_retain). */
  tg_tensor *(*forward)(tg_module *m, tg_tensor *x);
  /* Frees what the derived struct owns beyond the base (may be NULL). */
  void (*free)(tg_module *m);
  /* PyTorch's extra_repr: "in_features=2, out_features=1000, bias=True"
   * (may be NULL). Writes at most size bytes. */
  void (*extra_repr)(const tg_module *m, char *buf, size_t size);
} tg_module_vtable;

typedef struct tg_module_entry tg_module_entry; /* private */

struct tg_module {
  const tg_module_vtable *vtable;
  bool training;
  int n_children, n_params, n_buffers;
  tg_module_entry *children, *params, *buffers; /* private */
  int children_cap, params_cap, buffers_cap;
  tg_tensor **parameters; /* private: the list tg_module_parameters hands out */
  int parameters_cap;
};

/* Allocates a zeroed derived struct of `size` bytes (size >= sizeof(tg_module))
 * whose base is ready, in training mode. Returns it as void * so it can be
 * assigned to the derived type. Free with tg_module_free. */
void *tg_module_new(const tg_module_vtable *vtable, size_t size);
void tg_module_free(tg_module *m); /* the whole tree; NULL is fine */

/* Registers child under `name` (owned from now on); returns child. */
tg_module *tg_module_add(tg_module *m, const char *name, tg_module *child);
/* Registers a parameter: a float leaf made to require grad. The module takes
 * a reference of its own (tensors made inside a scope are fine). t may be
 * NULL for an absent optional parameter (bias=False), as in PyTorch. */
tg_tensor *tg_module_register_parameter(tg_module *m, const char *name, tg_tensor *t);
/* Registers a buffer (running statistics): saved in the state_dict, no grad. */
tg_tensor *tg_module_register_buffer(tg_module *m, const char *name, tg_tensor *t);

/* Applies the module: vtable->forward inside a scope of its own. */
tg_tensor *tg_module_forward(tg_module *m, tg_tensor *x);

/* Lookups by (dotted) name, e.g. "linearLayer1.weight"; borrowed, NULL if absent. */
tg_module *tg_module_child(const tg_module *m, const char *name);
tg_tensor *tg_module_parameter(const tg_module *m, const char *name);
tg_tensor *tg_module_buffer(const tg_module *m, const char *name);

/* model.parameters(): the parameters in PyTorch's order (the module's own
 * first, then each child's, recursively), ready for an optimizer:
 *     tg_optimizer *opt = tg_sgd(tg_module_parameters(model), o);
 * The list belongs to m (nothing to free) and stays valid until the next
 * call on m, a registration in m's tree, or tg_module_free. */
tg_params tg_module_parameters(tg_module *m);
/* named_parameters(): the same order, with dotted names. The dict holds the
 * parameters themselves (not copies). Free with tg_tensor_dict_free. */
tg_tensor_dict *tg_module_named_parameters(const tg_module *m);
tg_tensor_dict *tg_module_named_buffers(const tg_module *m);
int64_t tg_module_num_parameters(const tg_module *m, bool trainable_only);

void tg_module_train(tg_module *m, bool mode); /* recursive, like .train(mode) */
void tg_module_eval(tg_module *m);
void tg_module_zero_grad(tg_module *m, bool set_to_none);
/* Converts every floating parameter and buffer to dtype in place (the
 * tensors keep their identity, like model.double()); grads are dropped. */
void tg_module_to(tg_module *m, tg_dtype dtype);
void tg_module_requires_grad_(tg_module *m, bool requires_grad);

/* ---- state_dict ------------------------------------------------------------- */

/* Parameters and buffers in PyTorch's state_dict order and names, as
 * detached tensors sharing the module's storage. */
tg_tensor_dict *tg_state_dict(const tg_module *m);
/* Copies every entry into the module (converting dtype). strict: missing
 * and unexpected keys are errors; a shape mismatch always is. Nothing is
 * copied unless every entry fits. Returns 0, or -1 with tg_last_error(),
 * e.g. "tg_load_state_dict: size mismatch for linearLayer1.weight: copying
 * a param with shape (10x2) from checkpoint, the shape in current model is
 * (1000x2)". */
int tg_load_state_dict(tg_module *m, const tg_tensor_dict *state, bool strict);

/* ---- printing (print(model)) ---------------------------------------------- */

/* PyTorch's repr of the module tree; malloc'd, the caller frees. */
char *tg_module_repr(const tg_module *m);
void tg_module_print(const tg_module *m);
void tg_module_fprint(FILE *f, const tg_module *m);

/* torch-summary's table (docs/formats.md, section 3) for an input of
 * `input_shape` (without the batch dim; a batch of 2 is run, as
 * torch-summary does, drawing the input from tg_rand). */
char *tg_summary_string(tg_module *m, tg_shape input_shape); /* malloc'd */
void tg_summary(tg_module *m, tg_shape input_shape);         /* prints it */

/* ---- layers (nn.Xxx) --------------------------------------------------------- */

tg_module *tg_nn_linear(int64_t in_features, int64_t out_features, bool bias);
tg_module *tg_nn_identity(void);
tg_module *tg_nn_flatten(int start_dim, int end_dim);
/* The modules in order, NULL-terminated: tg_nn_sequential(a, b, c, NULL).
 * Build layers with parameters in statements of their own, in order: C
 * does not fix the order in which a call's arguments are evaluated, so
 * tg_nn_sequential(tg_nn_linear(..), tg_nn_linear(..), NULL) may draw the
 * second layer's initial weights first, unlike PyTorch.
 * Children are named "0", "1", ... */
tg_module *tg_nn_sequential(tg_module *first, ...);
tg_module *tg_nn_sequential_append(tg_module *seq, tg_module *m);
tg_module *tg_nn_dropout(double p);
tg_module *tg_nn_relu(void);
tg_module *tg_nn_leaky_relu(double negative_slope);
tg_module *tg_nn_sigmoid(void);
tg_module *tg_nn_tanh(void);
tg_module *tg_nn_silu(void);
/* nn.Softplus(beta=1, threshold=20), nn.ELU(alpha=1.0),
 * nn.Hardtanh(min_val=-1.0, max_val=1.0): pass PyTorch's defaults. */
tg_module *tg_nn_softplus(double beta, double threshold);
tg_module *tg_nn_elu(double alpha);
tg_module *tg_nn_hardtanh(double min_val, double max_val);
tg_module *tg_nn_softmax(int dim);
tg_module *tg_nn_log_softmax(int dim);
/* Convolution options, torch.nn.functional.conv1d/conv2d's keyword
 * arguments. Zeros are PyTorch's defaults: stride 1, padding 0, dilation
 * 1, groups 1. Pairs are (height, width); PyTorch's int k is {k, k}, and
 * conv1d reads element 0 only. `padding_rule` TG_PADDING_SAME or
 * TG_PADDING_VALID is padding='same' / 'valid' (then `padding` is unused):
 * 'same' pads d * (k - 1) in total per dim, the odd one on the right /
 * bottom as PyTorch does, and forbids strides above 1.
 *     tg_conv2d(x, w, b, &(tg_conv_opts){.stride = {2, 2}, .groups = 4})
 */
typedef enum {
  TG_PADDING_EXPLICIT = 0,
  TG_PADDING_VALID = 1,
  TG_PADDING_SAME = 2
} tg_padding_rule;
typedef struct tg_conv_opts {
  int64_t stride[2], padding[2], dilation[2];
  int64_t groups;
  tg_padding_rule padding_rule;
} tg_conv_opts;

/* nn.Conv2d(in, out, k, stride, padding, bias): square kernel, the same
 * stride and padding on both dims. */
tg_module *tg_nn_conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                        int64_t stride, int64_t padding, bool bias);
/* nn.Conv2d with every option: kernel (kh, kw), opts as above (NULL:
 * defaults). Weight (out, in / groups, kh, kw), bias (out). */
tg_module *tg_nn_conv2d_opts(int64_t in_channels, int64_t out_channels, int64_t kh,
                             int64_t kw, bool bias, const tg_conv_opts *opts);
/* nn.Conv1d: weight (out, in / groups, k), bias (out). */
tg_module *tg_nn_conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                        bool bias, const tg_conv_opts *opts);

/* The options of the pooling layers, PyTorch's keyword arguments. Every
 * size is a (height, width) pair: PyTorch's int k is {k, k}. A zero entry
 * takes PyTorch's default: stride None (the kernel size), dilation 1.
 * The 1-d layers read the first entry of each pair. A module's repr prints
 * a pair of equal entries as an int, as PyTorch prints MaxPool2d(2). */
typedef struct tg_pool_opts {
  int64_t kernel_size[2];
  int64_t stride[2];
  int64_t padding[2];  /* on both sides: -inf for max pooling, zeros for avg */
  int64_t dilation[2]; /* max pooling only */
  bool ceil_mode;
  bool no_count_include_pad; /* avg: count_include_pad=False */
  int64_t divisor_override;  /* avg: 0 for None */
} tg_pool_opts;

/* nn.MaxPool2d / nn.MaxPool1d / nn.AvgPool2d(**opts) and
 * nn.AdaptiveAvgPool2d / nn.AdaptiveMaxPool2d((out_h, out_w)), an output
 * size of 0 being PyTorch's None (the input's size). */
tg_module *tg_nn_max_pool2d(const tg_pool_opts *opts);
tg_module *tg_nn_max_pool1d(const tg_pool_opts *opts);
tg_module *tg_nn_avg_pool2d(const tg_pool_opts *opts);
tg_module *tg_nn_adaptive_avg_pool2d(int64_t out_h, int64_t out_w);
tg_module *tg_nn_adaptive_max_pool2d(int64_t out_h, int64_t out_w);
/* A max-pooling module's forward with return_indices=True: the output, and
 * the indices into *indices (see tg_max_pool2d). */
tg_tensor *tg_max_pool_forward(tg_module *m, tg_tensor *x, tg_tensor **indices);

/* nn.BatchNorm1d/2d(num_features, eps, momentum, affine,
 * track_running_stats). momentum NAN is PyTorch's None: the running
 * statistics are the cumulative average, factor 1 / num_batches_tracked.
 * Without track_running_stats there are no buffers and eval mode
 * normalises with the batch statistics too. */
tg_module *tg_nn_batch_norm1d(int64_t num_features, double eps, double momentum,
                              bool affine, bool track_running_stats);
tg_module *tg_nn_batch_norm2d(int64_t num_features, double eps, double momentum,
                              bool affine, bool track_running_stats);
/* nn.GroupNorm(num_groups, num_channels, eps, affine): weight ones, bias
 * zeros, one (C) each. */
tg_module *tg_nn_group_norm(int64_t num_groups, int64_t num_channels, double eps,
                            bool affine);
/* nn.Dropout2d(p) / nn.Dropout1d(p): whole channels zeroed (see tg_dropout2d). */
tg_module *tg_nn_dropout2d(double p);
tg_module *tg_nn_dropout1d(double p);

/* ---- functional (torch.nn.functional), differentiable ------------------------ */

/* F.conv2d: x (N, C, H, W) or unbatched (C, H, W), weight
 * (O, C / groups, kh, kw), bias (O) or NULL; opts NULL for the defaults. */
tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                     const tg_conv_opts *opts);
/* F.conv1d: x (N, C, L) or (C, L), weight (O, C / groups, k), bias (O). */
tg_tensor *tg_conv1d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                     const tg_conv_opts *opts);
/* F.unfold (im2col): (N, C, H, W) -> (N, C*k*k, L) patches, and its
 * adjoint F.fold (col2im). */
tg_tensor *tg_unfold(tg_tensor *x, int64_t kernel_size, int64_t stride, int64_t padding);
tg_tensor *tg_fold(tg_tensor *cols, int64_t height, int64_t width, int64_t kernel_size,
                   int64_t stride, int64_t padding);
/* F.max_pool2d of x (N, C, H, W) or (C, H, W). When indices is not NULL
 * it receives return_indices' int64 tensor: the argmax of each window as
 * h * W + w within its plane, like PyTorch. NaN wins a window. */
tg_tensor *tg_max_pool2d(tg_tensor *x, const tg_pool_opts *opts, tg_tensor **indices);
/* F.max_pool1d of x (N, C, L) or (C, L); indices are positions along L. */
tg_tensor *tg_max_pool1d(tg_tensor *x, const tg_pool_opts *opts, tg_tensor **indices);
tg_tensor *tg_avg_pool2d(tg_tensor *x, const tg_pool_opts *opts);
/* Window i along an axis is [floor(i * in / out), ceil((i + 1) * in / out)). */
tg_tensor *tg_adaptive_avg_pool2d(tg_tensor *x, int64_t out_h, int64_t out_w);
tg_tensor *tg_adaptive_max_pool2d(tg_tensor *x, int64_t out_h, int64_t out_w,
                                  tg_tensor **indices);
/* Training: batch statistics, and running_mean/var (may be NULL) updated
 * with momentum and the unbiased variance. Eval: the running statistics.
 * weight/bias may be NULL. x is (N, C) or (N, C, ...). One op
 * (NativeBatchNormBackward0) rounding as ATen's CPU kernel; per-channel
 * tensors of another floating dtype are converted to x's. */
tg_tensor *tg_batch_norm(tg_tensor *x, tg_tensor *running_mean, tg_tensor *running_var,
                         tg_tensor *weight, tg_tensor *bias, bool training,
                         double momentum, double eps);
/* Draws the mask like torch's bernoulli_(1 - p) and scales kept values by
 * 1 / (1 - p); the identity when !training or p == 0. */
tg_tensor *tg_dropout(tg_tensor *x, double p, bool training);
/* F.dropout2d: one mask value per (N, C) plane, drawn like bernoulli_ on
 * an (N, C, 1, ...) tensor, so a seeded mask matches PyTorch's. x has at
 * least 2 dims. F.dropout1d takes (N, C, L) or unbatched (C, L). */
tg_tensor *tg_dropout2d(tg_tensor *x, double p, bool training);
tg_tensor *tg_dropout1d(tg_tensor *x, double p, bool training);
/* F.group_norm: x (N, C, ...), C divisible by num_groups; weight and bias
 * (C) or NULL. */
tg_tensor *tg_group_norm(tg_tensor *x, int64_t num_groups, tg_tensor *weight,
                         tg_tensor *bias, double eps);

/* ---- initialisation (torch.nn.init), in place, from the one generator ------- */

typedef enum { TG_FAN_IN = 0, TG_FAN_OUT = 1 } tg_fan_mode;

/* nonlinearity: "linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu",
 * "selu"; param is leaky_relu's slope (NAN for the default 0.01). */
double tg_calculate_gain(const char *nonlinearity, double param);
void tg_calculate_fan_in_and_fan_out(const tg_tensor *t, int64_t *fan_in,
                                     int64_t *fan_out);
void tg_init_uniform_(tg_tensor *t, double a, double b);
void tg_init_normal_(tg_tensor *t, double mean, double std);
void tg_init_constant_(tg_tensor *t, double value);
void tg_init_zeros_(tg_tensor *t);
void tg_init_ones_(tg_tensor *t);
void tg_init_xavier_uniform_(tg_tensor *t, double gain);
void tg_init_xavier_normal_(tg_tensor *t, double gain);
void tg_init_kaiming_uniform_(tg_tensor *t, double a, tg_fan_mode mode,
                              const char *nonlinearity);
void tg_init_kaiming_normal_(tg_tensor *t, double a, tg_fan_mode mode,
                             const char *nonlinearity);

/* ---- losses ------------------------------------------------------------------- */

typedef enum { TG_MEAN = 0, TG_SUM = 1, TG_NONE = 2 } tg_reduction;

/* The options of every loss, as PyTorch's keyword arguments: each loss takes
 * a pointer to them, NULL for PyTorch's defaults (a zeroed struct is the
 * same: mean, no weights, ignore_index -100, no label smoothing):
 *     tg_mse_loss(y_hat, y, NULL)                              MSELoss()
 *     tg_l1_loss(y_hat, y, &(tg_loss_opts){.reduction = TG_SUM})  L1Loss(reduction='sum')
 * Setting an option a loss does not take (a weight for MSE) is an error. */
typedef struct tg_loss_opts {
  tg_reduction reduction;
  tg_tensor *weight;     /* BCE: per element (broadcast); NLL/CE: per class (C) */
  tg_tensor *pos_weight; /* BCEWithLogits: per class, broadcast over the last dim */
  bool has_ignore_index; /* false: ignore_index is -100 */
  int64_t ignore_index;
  double label_smoothing; /* CE, in [0, 1] */
} tg_loss_opts;

tg_tensor *tg_mse_loss(tg_tensor *input, tg_tensor *target, const tg_loss_opts *opts);
tg_tensor *tg_l1_loss(tg_tensor *input, tg_tensor *target, const tg_loss_opts *opts);
/* input are probabilities; the logs are clamped at -100 like PyTorch. */
tg_tensor *tg_bce_loss(tg_tensor *input, tg_tensor *target, const tg_loss_opts *opts);
tg_tensor *tg_bce_with_logits_loss(tg_tensor *input, tg_tensor *target,
                                   const tg_loss_opts *opts);
/* input: log-probabilities (N, C), (N, C, d1, ...) or (C); target int64
 * class indices (N), (N, d1, ...) or (). */
tg_tensor *tg_nll_loss(tg_tensor *input, tg_tensor *target, const tg_loss_opts *opts);
/* input: logits. target: int64 class indices as for tg_nll_loss, or
 * floating class probabilities of the input's shape. */
tg_tensor *tg_cross_entropy_loss(tg_tensor *input, tg_tensor *target,
                                 const tg_loss_opts *opts);

/* ---- sequences: embeddings, norms, recurrent layers, attention ---------------- */

/* padding_idx for a table without one. */
#define TG_NO_PADDING_IDX INT64_MIN

/* nn.Embedding: weight (num_embeddings, embedding_dim) drawn from N(0, 1);
 * the padding_idx row (negative counts from the end) starts at zero and
 * never receives a gradient. input is int64 of any shape; the output adds
 * a last dim of embedding_dim. */
tg_module *tg_nn_embedding(int64_t num_embeddings, int64_t embedding_dim,
                           int64_t padding_idx);
/* Embedding.from_pretrained: a copy of embeddings (2-D) as the weight,
 * trainable unless freeze. */
tg_module *tg_nn_embedding_from_pretrained(tg_tensor *embeddings, bool freeze,
                                           int64_t padding_idx);
tg_tensor *tg_embedding(tg_tensor *input, tg_tensor *weight, int64_t padding_idx);

/* nn.LayerNorm over the last normalized_shape.ndim dims: weight ones, bias
 * zeros (elementwise_affine), biased variance as PyTorch. weight/bias of
 * the functional form may be NULL. */
tg_module *tg_nn_layer_norm(tg_shape normalized_shape, double eps,
                            bool elementwise_affine);
tg_tensor *tg_layer_norm(tg_tensor *x, tg_shape normalized_shape, tg_tensor *weight,
                         tg_tensor *bias, double eps);

/* GELU: x Phi(x), exactly (erf) or with PyTorch's approximate='tanh'. */
tg_tensor *tg_gelu(tg_tensor *x, bool tanh_approximation);
tg_module *tg_nn_gelu(bool tanh_approximation);

/* The options of nn.RNN / nn.LSTM / nn.GRU. A zeroed struct (or NULL) is
 * PyTorch's defaults: one layer, biases, (seq, batch, feature) layout, no
 * dropout, one direction, tanh. */
typedef struct tg_rnn_opts {
  int num_layers; /* 0 means 1 */
  bool no_bias;   /* bias=False */
  bool batch_first;
  double dropout; /* on every layer's output but the last, when training */
  bool bidirectional;
  bool relu; /* nn.RNN's nonlinearity='relu' */
} tg_rnn_opts;

/* Parameters weight_ih_l<k>[_reverse], weight_hh_l<k>[_reverse],
 * bias_ih_l<k>[_reverse], bias_hh_l<k>[_reverse] in PyTorch's order, each
 * uniform in +-1/sqrt(hidden_size); gates stacked i|f|g|o (LSTM) and
 * r|z|n (GRU). tg_module_forward gives the output sequence alone. */
tg_module *tg_nn_rnn(int64_t input_size, int64_t hidden_size, const tg_rnn_opts *opts);
tg_module *tg_nn_lstm(int64_t input_size, int64_t hidden_size, const tg_rnn_opts *opts);
tg_module *tg_nn_gru(int64_t input_size, int64_t hidden_size, const tg_rnn_opts *opts);
/* x is (L, N, input_size), (N, L, input_size) with batch_first, or
 * unbatched (L, input_size). h0 and c0 (LSTM only) are
 * (num_layers * num_directions, N, hidden_size) (unbatched: no N) or NULL
 * for zeros. Returns the output (L, N, num_directions * hidden_size); the
 * final states go to *h_n and *c_n when those are not NULL. */
tg_tensor *tg_rnn_forward(tg_module *m, tg_tensor *x, tg_tensor *h0, tg_tensor *c0,
                          tg_tensor **h_n, tg_tensor **c_n);

/* softmax(q k^T / sqrt(E) + mask) v over the last two dims, q (..., L, E),
 * k (..., S, E), v (..., S, Ev). attn_mask (broadcast to (..., L, S)) is
 * bool (true: may attend) or float (added); is_causal masks the upper
 * triangle (then attn_mask must be NULL). dropout_p drops attention
 * weights (always: pass 0 in eval, as with F.scaled_dot_product_attention). */
tg_tensor *tg_scaled_dot_product_attention(tg_tensor *q, tg_tensor *k, tg_tensor *v,
                                           tg_tensor *attn_mask, double dropout_p,
                                           bool is_causal);

/* nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, batch_first):
 * in_proj_weight (3E, E) xavier_uniform, in_proj_bias zeros, out_proj a
 * Linear(E, E) with a zero bias. tg_module_forward(m, x) is self-attention. */
tg_module *tg_nn_multihead_attention(int64_t embed_dim, int64_t num_heads, double dropout,
                                     bool bias, bool batch_first);
/* query (L, N, E) or (N, L, E) with batch_first (unbatched (L, E)); key
 * and value likewise with S. key_padding_mask (N, S): bool (true: ignore)
 * or float (added); attn_mask (L, S) or (N * num_heads, L, S): bool (true:
 * may NOT attend, as nn.MultiheadAttention) or float. When attn_weights is
 * not NULL it receives the weights averaged over heads, (N, L, S). */
tg_tensor *tg_mha_forward(tg_module *m, tg_tensor *query, tg_tensor *key,
                          tg_tensor *value, tg_tensor *key_padding_mask,
                          tg_tensor *attn_mask, tg_tensor **attn_weights);

/* nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
 * activation "relu" or "gelu", layer_norm_eps 1e-5, batch_first,
 * norm_first). Children self_attn, linear1, dropout, linear2, norm1,
 * norm2, dropout1, dropout2, built in PyTorch's order. */
tg_module *tg_nn_transformer_encoder_layer(int64_t d_model, int64_t nhead,
                                           int64_t dim_feedforward, double dropout,
                                           const char *activation, bool batch_first,
                                           bool norm_first);
/* src_mask and src_key_padding_mask as attn_mask and key_padding_mask of
 * tg_mha_forward (either may be NULL). */
tg_tensor *tg_transformer_encoder_layer_forward(tg_module *m, tg_tensor *src,
                                                tg_tensor *src_mask,
                                                tg_tensor *src_key_padding_mask);

TG_API_END
#endif
