/* nn.RNN, nn.LSTM and nn.GRU as PyTorch 1.13 computes them on the CPU,
 * the RNN and GRU built from differentiable ops (linear, sigmoid, tanh,
 * mul, add, stack), so autograd gives backpropagation through time; the
 * LSTM's recurrence is one op per layer and direction (nn/lstm.c) with the
 * same arithmetic.
 *
 * Each layer and direction first projects the whole input sequence at once
 * (x W_ih^T + b_ih), then steps through time adding h W_hh^T + b_hh:
 *   RNN:  h' = tanh(h W_hh^T + b_hh + x_t)                  (or relu)
 *   LSTM: i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the gates
 *         c' = f c + i g,  h' = o tanh(c')
 *   GRU:  r = sigmoid(hr + xr), z = sigmoid(hz + xz),
 *         n = tanh(xn + hn r),  h' = (h - n) z + n
 * A reverse direction walks time backwards; the layer's output is the two
 * directions concatenated on the feature dim, with dropout between layers
 * when training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/nn_internal.h"

typedef enum { KIND_RNN, KIND_LSTM, KIND_GRU } rnn_kind;

static const char *const kind_names[] = {"RNN", "LSTM", "GRU"};
static const int kind_gates[] = {1, 4, 3};

typedef struct rnn {
  tg_module base;
  rnn_kind kind;
  int64_t input_size, hidden_size;
  tg_rnn_opts opts; /* num_layers >= 1 */
  int directions;
  /* per layer and direction: w_ih, w_hh, b_ih, b_hh (owned by base; biases
   * NULL with no_bias) */
  tg_tensor **params;
} rnn;

enum { W_IH, W_HH, B_IH, B_HH, PARAMS_PER_CELL };

static tg_tensor **cell_params(const rnn *r, int layer, int direction) {
  return r->params + ((int64_t)layer * r->directions + direction) * PARAMS_PER_CELL;
}

/* ---- one time step of the plain RNN and the GRU: the new h from
 * x_t W_ih^T + b_ih (the LSTM runs a whole sequence as one op: nn/lstm.c) ---- */

static tg_tensor *gate(tg_tensor *gates, int k, int64_t hidden) {
  return tg_narrow(gates, -1, k * hidden, hidden);
}

static tg_tensor *rnn_step(const rnn *r, tg_tensor *const *p, tg_tensor *xw,
                           tg_tensor *h) {
  int64_t H = r->hidden_size;
  tg_tensor *hw = tg_linear(h, p[W_HH], p[B_HH]);
  if (r->kind == KIND_RNN) {
    tg_tensor *pre = tg_add(hw, xw);
    return r->opts.relu ? tg_relu(pre) : tg_tanh(pre);
  }
  tg_tensor *reset = tg_sigmoid(tg_add(gate(hw, 0, H), gate(xw, 0, H)));
  tg_tensor *update = tg_sigmoid(tg_add(gate(hw, 1, H), gate(xw, 1, H)));
  tg_tensor *candidate = tg_tanh(tg_add(gate(xw, 2, H), tg_mul(gate(hw, 2, H), reset)));
  return tg_add(tg_mul(tg_sub(h, candidate), update), candidate);
}

/* One direction of one layer over x (L, N, features): the outputs stacked
 * (L, N, H); h and c are updated to the final states. */
static tg_tensor *run_direction(const rnn *r, tg_tensor *const *p, tg_tensor *x,
                                bool reverse, tg_tensor **h, tg_tensor **c) {
  int64_t steps = tg_size(x, 0);
  tg_tensor *xw = tg_linear(x, p[W_IH], p[B_IH]);
  if (r->kind == KIND_LSTM && steps) {
    tg_tensor *hc = tg_nn_lstm_layer(xw, *h, *c, p[W_HH], p[B_HH], reverse);
    tg_tensor *out = tg_select(hc, 0, 0);
    int64_t last = reverse ? 0 : steps - 1;
    *h = tg_select(out, 0, last);
    *c = tg_select(tg_select(hc, 0, 1), 0, last);
    return out;
  }
  tg_tensor **outs = tg_nn_xmalloc((size_t)(steps ? steps : 1) * sizeof *outs);
  for (int64_t s = 0; s < steps; s++) {
    int64_t t = reverse ? steps - 1 - s : s;
    *h = rnn_step(r, p, tg_select(xw, 0, t), *h);
    outs[t] = *h;
  }
  tg_tensor *out = steps
                       ? tg_stack(outs, (int)steps, 0)
                       : tg_zeros(TG_SHAPE(0, tg_size(*h, 0), r->hidden_size), x->dtype);
  free(outs);
  return out;
}

/* x (L, N, I) and states (layers * directions, N, H) -> output (L, N, D * H). */
static tg_tensor *run_layers(const rnn *r, tg_tensor *x, tg_tensor *h0, tg_tensor *c0,
                             bool training, tg_tensor **h_n, tg_tensor **c_n) {
  int cells = r->opts.num_layers * r->directions;
  tg_tensor **hs = tg_nn_xmalloc((size_t)cells * 2 * sizeof *hs), **cs = hs + cells;
  for (int layer = 0; layer < r->opts.num_layers; layer++) {
    tg_tensor *outs[2];
    for (int d = 0; d < r->directions; d++) {
      int k = layer * r->directions + d;
      hs[k] = tg_select(h0, 0, k);
      cs[k] = c0 ? tg_select(c0, 0, k) : NULL;
      outs[d] = run_direction(r, cell_params(r, layer, d), x, d == 1, &hs[k], &cs[k]);
    }
    x = r->directions == 2 ? tg_cat(outs, 2, 2) : outs[0];
    if (layer + 1 < r->opts.num_layers) x = tg_dropout(x, r->opts.dropout, training);
  }
  *h_n = tg_stack(hs, cells, 0);
  *c_n = c0 ? tg_stack(cs, cells, 0) : NULL;
  free(hs);
  return x;
}

static void check_state(const rnn *r, const char *name, tg_tensor *s, tg_shape expected,
                        const tg_tensor *x) {
  char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
  tg_shape got = tg_shape_of(s);
  if (!tg_nn_same_shape(got, expected))
    tg_error("tg_rnn_forward: %s: expected %s of shape %s, got %s", kind_names[r->kind],
             name, tg_shape_str(expected, a), tg_shape_str(got, b));
  if (s->dtype != x->dtype)
    tg_error("tg_rnn_forward: %s: %s is %s but the input is %s", kind_names[r->kind],
             name, tg_dtype_name(s->dtype), tg_dtype_name(x->dtype));
}

static void check_input(const rnn *r, const tg_tensor *x, const tg_tensor *c0) {
  char a[TG_SHAPE_STR_MAX];
  if (x->ndim != 2 && x->ndim != 3)
    tg_error("tg_rnn_forward: %s: expected input to be 2-D or 3-D, got %s",
             kind_names[r->kind], tg_shape_str(tg_shape_of(x), a));
  if (!tg_is_floating(x->dtype))
    tg_error("tg_rnn_forward: %s: expected a floating input, got %s", kind_names[r->kind],
             tg_dtype_name(x->dtype));
  if (tg_size(x, -1) != r->input_size)
    tg_error("tg_rnn_forward: %s: input.size(-1) must be equal to input_size. Expected "
             "%lld, got %lld",
             kind_names[r->kind], (long long)r->input_size, (long long)tg_size(x, -1));
  if (c0 && r->kind != KIND_LSTM)
    tg_error("tg_rnn_forward: %s has no cell state; c0 must be NULL",
             kind_names[r->kind]);
}

static const tg_module_vtable rnn_vtables[3];

static bool is_rnn(const tg_module *m) {
  return m && (m->vtable == &rnn_vtables[0] || m->vtable == &rnn_vtables[1] ||
               m->vtable == &rnn_vtables[2]);
}

tg_tensor *tg_rnn_forward(tg_module *m, tg_tensor *x, tg_tensor *h0, tg_tensor *c0,
                          tg_tensor **h_n, tg_tensor **c_n) {
  if (!is_rnn(m))
    tg_error("tg_rnn_forward: module %s is not an RNN, LSTM or GRU",
             m ? m->vtable->type_name : "NULL");
  const rnn *r = (const rnn *)m;
  check_input(r, x, c0);
  bool batched = x->ndim == 3;
  int64_t batch = batched ? tg_size(x, r->opts.batch_first ? 0 : 1) : 1;
  int cells = r->opts.num_layers * r->directions;
  tg_shape state =
      batched ? TG_SHAPE(cells, batch, r->hidden_size) : TG_SHAPE(cells, r->hidden_size);
  if (h0) check_state(r, "h0", h0, state, x);
  if (c0) check_state(r, "c0", c0, state, x);
  tg_scope_begin();
  if (!batched) {
    x = tg_unsqueeze(x, 1);
    if (h0) h0 = tg_unsqueeze(h0, 1);
    if (c0) c0 = tg_unsqueeze(c0, 1);
  } else if (r->opts.batch_first) {
    x = tg_transpose(x, 0, 1);
  }
  tg_shape full = TG_SHAPE(cells, batch, r->hidden_size);
  if (!h0) h0 = tg_zeros(full, x->dtype);
  if (!c0 && r->kind == KIND_LSTM) c0 = tg_zeros(full, x->dtype);
  tg_tensor *hn, *cn;
  tg_tensor *out = run_layers(r, x, h0, c0, m->training, &hn, &cn);
  if (!batched) {
    out = tg_squeeze(out, 1);
    hn = tg_squeeze(hn, 1);
    if (cn) cn = tg_squeeze(cn, 1);
  } else if (r->opts.batch_first) {
    out = tg_transpose(out, 0, 1);
  }
  if (h_n) *h_n = tg_keep(hn);
  if (c_n) *c_n = tg_keep(cn);
  return tg_scope_return(out);
}

static tg_tensor *rnn_module_forward(tg_module *m, tg_tensor *x) {
  return tg_rnn_forward(m, x, NULL, NULL, NULL, NULL);
}

static void rnn_free(tg_module *m) {
  free(((rnn *)m)->params);
}

static void rnn_extra_repr(const tg_module *m, char *buf, size_t size) {
  const rnn *r = (const rnn *)m;
  char dropout[40];
  tg_nn_float_repr(r->opts.dropout, dropout, sizeof dropout);
  int n = snprintf(buf, size, "%lld, %lld", (long long)r->input_size,
                   (long long)r->hidden_size);
#define APPEND(...)                                                                      \
  if (n >= 0 && (size_t)n < size) n += snprintf(buf + n, size - (size_t)n, __VA_ARGS__)
  if (r->opts.num_layers != 1) APPEND(", num_layers=%d", r->opts.num_layers);
  if (r->opts.no_bias) APPEND(", bias=False");
  if (r->opts.batch_first) APPEND(", batch_first=True");
  if (r->opts.dropout != 0) APPEND(", dropout=%s", dropout);
  if (r->opts.bidirectional) APPEND(", bidirectional=True");
#undef APPEND
}

static const tg_module_vtable rnn_vtables[3] = {
    {"RNN", rnn_module_forward, rnn_free, rnn_extra_repr},
    {"LSTM", rnn_module_forward, rnn_free, rnn_extra_repr},
    {"GRU", rnn_module_forward, rnn_free, rnn_extra_repr},
};

/* Registers one cell's parameters under PyTorch's names. */
static void add_cell(rnn *r, int layer, int direction) {
  static const char *const stems[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  int64_t gates_h = kind_gates[r->kind] * r->hidden_size;
  int64_t in = layer == 0 ? r->input_size : r->directions * r->hidden_size;
  tg_shape shapes[] = {TG_SHAPE(gates_h, in), TG_SHAPE(gates_h, r->hidden_size),
                       TG_SHAPE(gates_h), TG_SHAPE(gates_h)};
  tg_tensor **p = cell_params(r, layer, direction);
  for (int i = 0; i < PARAMS_PER_CELL; i++) {
    if (r->opts.no_bias && i >= B_IH) break;
    char name[64];
    snprintf(name, sizeof name, "%s_l%d%s", stems[i], layer, direction ? "_reverse" : "");
    p[i] = tg_nn_new_param(&r->base, name, shapes[i]);
  }
}

static tg_module *rnn_new(rnn_kind kind, int64_t input_size, int64_t hidden_size,
                          const tg_rnn_opts *opts, const char *fn) {
  tg_rnn_opts o = opts ? *opts : (tg_rnn_opts){0};
  if (o.num_layers == 0) o.num_layers = 1;
  if (input_size < 0 || hidden_size <= 0 || o.num_layers < 0)
    tg_error("%s: input_size (%lld) must not be negative, hidden_size (%lld) and "
             "num_layers (%d) must be positive",
             fn, (long long)input_size, (long long)hidden_size, o.num_layers);
  if (!(o.dropout >= 0 && o.dropout <= 1))
    tg_error(
        "%s: dropout should be a number in range [0, 1] representing the probability "
        "of an element being zeroed, got %g",
        fn, o.dropout);
  if (kind != KIND_RNN && o.relu)
    tg_error("%s: relu is an option of the plain RNN only", fn);
  int64_t rows, inputs;
  if (__builtin_mul_overflow(hidden_size, (int64_t)kind_gates[kind], &rows) ||
      __builtin_mul_overflow(hidden_size, (int64_t)2, &inputs))
    tg_error("%s: hidden_size %lld is too large: its weights have more rows than 64 bits "
             "can count",
             fn, (long long)hidden_size);
  rnn *r = tg_module_new(&rnn_vtables[kind], sizeof *r);
  r->kind = kind;
  r->input_size = input_size;
  r->hidden_size = hidden_size;
  r->opts = o;
  r->directions = o.bidirectional ? 2 : 1;
  size_t n_params = (size_t)o.num_layers * (size_t)r->directions * PARAMS_PER_CELL;
  r->params = tg_nn_xmalloc(n_params * sizeof *r->params);
  for (size_t i = 0; i < n_params; i++)
    r->params[i] = NULL; /* biases stay NULL without bias */
  for (int layer = 0; layer < o.num_layers; layer++)
    for (int d = 0; d < r->directions; d++) add_cell(r, layer, d);
  /* reset_parameters: every parameter, in order, uniform in +-1/sqrt(hidden) */
  double bound = 1 / sqrt((double)hidden_size);
  tg_tensor_dict *params = tg_module_named_parameters(&r->base);
  for (int i = 0; i < params->n; i++)
    tg_init_uniform_(params->items[i].tensor, -bound, bound);
  tg_tensor_dict_free(params);
  return &r->base;
}

tg_module *tg_nn_rnn(int64_t input_size, int64_t hidden_size, const tg_rnn_opts *opts) {
  return rnn_new(KIND_RNN, input_size, hidden_size, opts, "tg_nn_rnn");
}
tg_module *tg_nn_lstm(int64_t input_size, int64_t hidden_size, const tg_rnn_opts *opts) {
  return rnn_new(KIND_LSTM, input_size, hidden_size, opts, "tg_nn_lstm");
}
tg_module *tg_nn_gru(int64_t input_size, int64_t hidden_size, const tg_rnn_opts *opts) {
  return rnn_new(KIND_GRU, input_size, hidden_size, opts, "tg_nn_gru");
}
