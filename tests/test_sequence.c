/* The sequence layers against PyTorch 1.13 (tests/golden/sequence.py):
 * multinomial draws and seeded initialisation bit for bit; Embedding,
 * LayerNorm, GELU, RNN/LSTM/GRU (strided, batch_first, unbatched,
 * bidirectional, with and without initial states), scaled dot-product
 * attention (bool, float and causal masks), MultiheadAttention (batch_first,
 * key_padding_mask, cross-attention, averaged weights) and
 * TransformerEncoderLayer in float64: outputs, final states and every
 * gradient at 1e-10; then the layers' errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "nn/vector_math.h"
#include "tensorgrad/nn.h"
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/sequence.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

static tg_tensor *entry(const char *c, const char *what, tg_dtype dtype) {
  char key[256];
  snprintf(key, sizeof key, "%s.%s", c, what);
  return tg_golden_tensor(golden, key, dtype);
}
static bool has(const char *c, const char *what) {
  char key[256];
  snprintf(key, sizeof key, "%s.%s", c, what);
  return tg_golden_has(golden, key);
}
static tg_tensor *leaf(const char *c, const char *what) {
  return tg_requires_grad_(entry(c, what, TG_FLOAT64), true);
}
/* a bool mask stored as 0/1 */
static tg_tensor *bool_entry(const char *c, const char *what) {
  return tg_ne_scalar(entry(c, what, TG_INT64), 0);
}

static void expect_close(const tg_tensor *t, const char *c, const char *what) {
  char label[256];
  snprintf(label, sizeof label, "%s.%s", c, what);
  tg_assert_close(t, entry(c, what, TG_FLOAT64), 1e-10, 1e-12, label);
}

/* Converts m to float64 and copies PyTorch's parameters in. */
/* PyTorch's parameters, written as `with torch.no_grad(): p.copy_(...)` */
static void load_params(tg_module *m, const char *c) {
  tg_module_to(m, TG_FLOAT64);
  tg_tensor_dict *params = tg_module_named_parameters(m);
  char what[200];
  tg_no_grad_begin();
  for (int i = 0; i < params->n; i++) {
    snprintf(what, sizeof what, "param.%s", params->items[i].name);
    tg_copy_(params->items[i].tensor, entry(c, what, TG_FLOAT64));
  }
  tg_no_grad_end();
  tg_tensor_dict_free(params);
}

static void expect_param_grads(tg_module *m, const char *c) {
  tg_tensor_dict *params = tg_module_named_parameters(m);
  char what[200];
  for (int i = 0; i < params->n; i++) {
    snprintf(what, sizeof what, "grad.%s", params->items[i].name);
    ck_assert_msg(tg_grad(params->items[i].tensor), "%s.%s: no gradient", c, what);
    expect_close(tg_grad(params->items[i].tensor), c, what);
  }
  tg_tensor_dict_free(params);
}

/* sum(out_i * g_i) with the golden g_i, and the outputs compared. */
static void backward_with(const char *c, int n, const char *const *names,
                          tg_tensor *const *outs) {
  tg_tensor *total = NULL;
  for (int i = 0; i < n; i++) {
    char g[64];
    snprintf(g, sizeof g, "g%s", names[i]);
    expect_close(outs[i], c, names[i]);
    tg_tensor *term =
        tg_sum(tg_mul(outs[i], entry(c, g, TG_FLOAT64)), TG_ALL_DIMS, false);
    total = total ? tg_add(total, term) : term;
  }
  tg_backward(total, NULL, 0);
}

/* ---- multinomial ---- */

START_TEST(test_multinomial_matches_torch) {
  tg_scope_begin();
  const tg_dtype dtypes[2] = {TG_FLOAT32, TG_FLOAT64};
  const char *tags[2] = {"f32", "f64"};
  const struct {
    int64_t n;
    bool repl;
  } cases[] = {{1, false}, {1, true}, {4, false}, {6, false}, {50, true}};
  for (int d = 0; d < 2; d++) {
    tg_tensor *probs = tg_golden_tensor(golden, "multinomial.probs", dtypes[d]);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
      char what[64];
      snprintf(what, sizeof what, "%s.n%lld.%s", tags[d], (long long)cases[i].n,
               cases[i].repl ? "repl" : "norepl");
      tg_manual_seed(5);
      tg_assert_close(tg_multinomial(probs, cases[i].n, cases[i].repl),
                      entry("multinomial", what, TG_INT64), 0, 0, what);
    }
    tg_manual_seed(9);
    tg_assert_close(
        tg_multinomial(tg_select(probs, 0, 1), 3, false),
        entry("multinomial", tags[d] == tags[0] ? "f32.1d" : "f64.1d", TG_INT64), 0, 0,
        "1-D probs");
  }
  tg_tensor *soft = tg_golden_tensor(golden, "multinomial.big.softmax", TG_FLOAT32);
  tg_manual_seed(12);
  tg_assert_close(tg_multinomial(soft, 1, false),
                  tg_golden_tensor(golden, "multinomial.big.draws", TG_INT64), 0, 0,
                  "softmax rows");
  tg_scope_end();
}
END_TEST

START_TEST(test_multinomial_errors) {
  tg_scope_begin();
  tg_tensor *p = tg_ones(TG_SHAPE(2, 3), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_multinomial(p, 4, false),
                  "tg_multinomial: cannot sample n_sample (4) > prob_dist.size(-1) (3) "
                  "samples without replacement");
  TG_EXPECT_ERROR(tg_multinomial(p, 0, true), "cannot sample 0 samples");
  TG_EXPECT_ERROR(tg_multinomial(tg_ones(TG_SHAPE(2, 2, 2), TG_FLOAT32), 1, true),
                  "prob_dist must be 1 or 2 dim, got probs of shape (2x2x2)");
  TG_EXPECT_ERROR(tg_multinomial(tg_zeros(TG_SHAPE(3), TG_FLOAT64), 1, true),
                  "sum of probabilities <= 0");
  TG_EXPECT_ERROR(tg_multinomial(tg_full(TG_SHAPE(3), -1, TG_FLOAT64), 1, true),
                  "element < 0 (got -1");
  TG_EXPECT_ERROR(tg_multinomial(tg_ones(TG_SHAPE(3), TG_INT64), 1, true),
                  "tg_multinomial");
  tg_scope_end();
}
END_TEST

/* ---- seeded initialisation ---- */

/* Bit for bit, but for normal_ (Embedding), whose float32 vectorised path
 * in PyTorch uses SLEEF's log/sin/cos (1 ulp): within a few ulp there. */
static void expect_init(tg_module *m, const char *tag, double rtol) {
  tg_tensor_dict *params = tg_module_named_parameters(m);
  char what[200];
  ck_assert_int_gt(params->n, 0);
  for (int i = 0; i < params->n; i++) {
    snprintf(what, sizeof what, "%s.%s", tag, params->items[i].name);
    tg_assert_close(params->items[i].tensor, entry("init", what, TG_FLOAT32), rtol, 0,
                    what);
  }
  tg_tensor_dict_free(params);
  tg_module_free(m);
}

START_TEST(test_init_matches_torch) {
  tg_scope_begin();
  tg_manual_seed(0);
  expect_init(tg_nn_embedding(7, 5, 2), "embedding", 5e-7);
  tg_manual_seed(1);
  expect_init(tg_nn_lstm(3, 4, &(tg_rnn_opts){.num_layers = 2, .bidirectional = true}),
              "lstm", 0);
  tg_manual_seed(1);
  expect_init(tg_nn_gru(3, 4, &(tg_rnn_opts){.num_layers = 2}), "gru", 0);
  tg_manual_seed(1);
  expect_init(tg_nn_rnn(3, 4, &(tg_rnn_opts){.relu = true, .no_bias = true}), "rnn", 0);
  tg_manual_seed(2);
  expect_init(tg_nn_multihead_attention(8, 2, 0, true, false), "mha", 0);
  tg_manual_seed(3);
  expect_init(tg_nn_transformer_encoder_layer(8, 2, 16, 0.1, "relu", false, false),
              "encoder", 0);
  tg_scope_end();
}
END_TEST

/* ---- embedding, layer norm, gelu ---- */

START_TEST(test_embedding) {
  tg_scope_begin();
  tg_module *m = tg_nn_embedding(7, 5, -5); /* -5 is row 2 */
  load_params(m, "embedding");
  tg_tensor *y = tg_module_forward(m, entry("embedding", "idx", TG_INT64));
  backward_with("embedding", 1, (const char *[]){"y"}, &y);
  expect_param_grads(m, "embedding"); /* the padding row's gradient is zero */
  char repr[200];
  m->vtable->extra_repr(m, repr, sizeof repr);
  ck_assert_str_eq(repr, "7, 5, padding_idx=2");
  tg_module_free(m);

  /* from_pretrained: a copy, frozen or not, padding row kept as given */
  tg_tensor *table = tg_arange(0, 6, 1, TG_FLOAT32);
  table = tg_view(table, TG_SHAPE(3, 2));
  tg_module *frozen = tg_nn_embedding_from_pretrained(table, true, 1);
  tg_tensor *w = tg_module_parameter(frozen, "weight");
  ck_assert(!tg_requires_grad(w));
  ck_assert_ptr_ne(w->storage, table->storage);
  tg_tensor *rows =
      tg_module_forward(frozen, tg_from_data((int64_t[]){2, 1}, TG_SHAPE(2), TG_INT64));
  tg_assert_close_data(rows, (double[]){4, 5, 2, 3}, 4, 0, 0, "from_pretrained rows");
  tg_module *trainable = tg_nn_embedding_from_pretrained(table, false, TG_NO_PADDING_IDX);
  ck_assert(tg_requires_grad(tg_module_parameter(trainable, "weight")));
  tg_module_free(frozen);
  tg_module_free(trainable);

  TG_EXPECT_ERROR(tg_nn_embedding(4, 2, 4),
                  "tg_nn_embedding: padding_idx (4) must be within num_embeddings (4)");
  TG_EXPECT_ERROR(
      tg_embedding(tg_zeros(TG_SHAPE(2), TG_FLOAT32), table, TG_NO_PADDING_IDX),
      "tg_embedding: expected int64 indices, got float32 input of shape (2)");
  TG_EXPECT_ERROR(tg_embedding(tg_zeros(TG_SHAPE(2), TG_INT64),
                               tg_ones(TG_SHAPE(3), TG_FLOAT32), TG_NO_PADDING_IDX),
                  "tg_embedding: weight must be 2-D");
  TG_EXPECT_ERROR(
      tg_embedding(tg_full(TG_SHAPE(2), 3, TG_INT64), table, TG_NO_PADDING_IDX), "index");
  tg_scope_end();
}
END_TEST

START_TEST(test_layer_norm_and_gelu) {
  tg_scope_begin();
  const char *cases[2] = {"layer_norm", "layer_norm2"};
  tg_shape shapes[2] = {TG_SHAPE(6), TG_SHAPE(2, 3)};
  for (int i = 0; i < 2; i++) {
    tg_module *m = tg_nn_layer_norm(shapes[i], 1e-5, true);
    load_params(m, cases[i]);
    tg_tensor *x = leaf(cases[i], "x");
    tg_tensor *y = tg_module_forward(m, x);
    backward_with(cases[i], 1, (const char *[]){"y"}, &y);
    expect_close(tg_grad(x), cases[i], "gx_out");
    expect_param_grads(m, cases[i]);
    tg_module_free(m);
  }
  tg_module *plain = tg_nn_layer_norm(TG_SHAPE(4, 5), 1e-5, false);
  ck_assert_int_eq(tg_module_num_parameters(plain, false), 0);
  char repr[200];
  plain->vtable->extra_repr(plain, repr, sizeof repr);
  ck_assert_str_eq(repr, "(4, 5), eps=1e-05, elementwise_affine=False");
  tg_module_free(plain);

  const char *gelus[2] = {"gelu_none", "gelu_tanh"};
  for (int i = 0; i < 2; i++) {
    tg_module *m = tg_nn_gelu(i == 1);
    tg_tensor *x = leaf(gelus[i], "x");
    tg_tensor *y = tg_module_forward(m, x);
    backward_with(gelus[i], 1, (const char *[]){"y"}, &y);
    expect_close(tg_grad(x), gelus[i], "gx_out");
    tg_module_free(m);
  }
  TG_EXPECT_ERROR(
      tg_layer_norm(tg_ones(TG_SHAPE(2, 3), TG_FLOAT32), TG_SHAPE(2), NULL, NULL, 1e-5),
      "tg_layer_norm: input of shape (2x3) does not end with normalized_shape (2)");
  TG_EXPECT_ERROR(tg_nn_layer_norm(TG_SHAPE(0), 1e-5, true), "tg_nn_layer_norm");
  TG_EXPECT_ERROR(tg_gelu(tg_ones(TG_SHAPE(2), TG_INT64), false),
                  "tg_gelu: expected a floating tensor, got int64");
  tg_scope_end();
}
END_TEST

/* ---- recurrent layers ---- */

/* clip_grad_norm_ over a layer's parameters: the total is the 2-norm of
 * every gradient as one vector, and afterwards it is max_norm. */
static void expect_clipped(tg_module *m) {
  tg_tensor_dict *params = tg_module_named_parameters(m);
  double sum = 0;
  for (int i = 0; i < params->n; i++) {
    tg_tensor *g = tg_grad(params->items[i].tensor);
    sum += tg_item(tg_sum(tg_mul(g, g), TG_ALL_DIMS, false));
  }
  double total = tg_clip_grad_norm_(tg_module_parameters(m), 0.5, 2, true);
  ck_assert_double_eq_tol(total, sqrt(sum), 1e-12 * sqrt(sum));
  double after = 0;
  for (int i = 0; i < params->n; i++) {
    tg_tensor *g = tg_grad(params->items[i].tensor);
    after += tg_item(tg_sum(tg_mul(g, g), TG_ALL_DIMS, false));
  }
  ck_assert_double_eq_tol(sqrt(after), 0.5, 1e-6);
  tg_tensor_dict_free(params);
}

typedef enum { RNN, LSTM, GRU } kind;

static tg_module *make(kind k, const tg_rnn_opts *opts) {
  return k == LSTM  ? tg_nn_lstm(3, 4, opts)
         : k == GRU ? tg_nn_gru(3, 4, opts)
                    : tg_nn_rnn(3, 4, opts);
}

static void check_recurrent(const char *c, kind k, tg_rnn_opts opts, bool strided) {
  tg_scope_begin();
  tg_module *m = make(k, &opts);
  load_params(m, c);
  tg_tensor *x = leaf(c, "x");
  tg_tensor *h0 = has(c, "h0") ? leaf(c, "h0") : NULL;
  tg_tensor *c0 = has(c, "c0") ? leaf(c, "c0") : NULL;
  tg_tensor *hn, *cn;
  tg_tensor *y = tg_rnn_forward(m, strided ? tg_transpose(x, 0, 1) : x, h0, c0, &hn,
                                k == LSTM ? &cn : NULL);
  tg_tensor *outs[3] = {y, hn, k == LSTM ? cn : NULL};
  backward_with(c, k == LSTM ? 3 : 2, (const char *[]){"y", "hn", "cn"}, outs);
  expect_close(tg_grad(x), c, "gx_out");
  if (h0) expect_close(tg_grad(h0), c, "gh0_out");
  if (c0) expect_close(tg_grad(c0), c, "gc0_out");
  expect_param_grads(m, c);
  expect_clipped(m);
  tg_module_free(m);
  tg_scope_end();
}

START_TEST(test_lstm) {
  check_recurrent("lstm", LSTM, (tg_rnn_opts){.num_layers = 2, .bidirectional = true},
                  false);
  check_recurrent("lstm_bf", LSTM, (tg_rnn_opts){.batch_first = true}, false);
  check_recurrent("lstm_strided", LSTM, (tg_rnn_opts){.num_layers = 2}, true);
  check_recurrent("lstm_unbatched", LSTM, (tg_rnn_opts){0}, false);
}
END_TEST

START_TEST(test_gru_and_rnn) {
  check_recurrent(
      "gru", GRU,
      (tg_rnn_opts){.num_layers = 2, .bidirectional = true, .batch_first = true}, false);
  check_recurrent("gru_strided", GRU, (tg_rnn_opts){0}, true);
  check_recurrent("rnn_tanh", RNN, (tg_rnn_opts){.num_layers = 2}, false);
  check_recurrent("rnn_relu", RNN,
                  (tg_rnn_opts){.relu = true, .no_bias = true, .bidirectional = true},
                  false);
}
END_TEST

START_TEST(test_lstm_dropout_between_layers) {
  tg_scope_begin();
  tg_module *m = tg_nn_lstm(3, 4, &(tg_rnn_opts){.num_layers = 3, .dropout = 0.5});
  load_params(m, "lstm_dropout");
  tg_manual_seed(77);
  tg_tensor *y = tg_module_forward(m, entry("lstm_dropout", "x", TG_FLOAT64));
  expect_close(y, "lstm_dropout", "y");
  char repr[200];
  m->vtable->extra_repr(m, repr, sizeof repr);
  ck_assert_str_eq(repr, "3, 4, num_layers=3, dropout=0.5");
  /* eval: no dropout, so two runs agree */
  tg_module_eval(m);
  tg_tensor *x = entry("lstm_dropout", "x", TG_FLOAT64);
  tg_assert_close(tg_module_forward(m, x), tg_module_forward(m, x), 0, 0, "eval");
  tg_module_free(m);
  tg_scope_end();
}
END_TEST

typedef struct {
  tg_module *m;
  bool lstm;
} rnn_ctx;

/* (x, h0, c0) -> sum of the output and final states: a float64 gradcheck
 * through two layers in both directions. */
static tg_tensor *recurrent_fn(tg_tensor *const *in, void *ctx) {
  const rnn_ctx *c = ctx;
  tg_tensor *hn, *cn = NULL;
  tg_tensor *y = tg_rnn_forward(c->m, in[0], in[1], c->lstm ? in[2] : NULL, &hn,
                                c->lstm ? &cn : NULL);
  tg_tensor *loss =
      tg_add(tg_sum(tg_tanh(y), TG_ALL_DIMS, false), tg_sum(hn, TG_ALL_DIMS, false));
  return cn ? tg_add(loss, tg_sum(tg_mul(cn, cn), TG_ALL_DIMS, false)) : loss;
}

START_TEST(test_recurrent_gradcheck) {
  tg_scope_begin();
  const kind kinds[3] = {LSTM, GRU, RNN};
  for (int i = 0; i < 3; i++) {
    tg_manual_seed(3);
    tg_module *m = make(kinds[i], &(tg_rnn_opts){.num_layers = 2, .bidirectional = true});
    tg_module_to(m, TG_FLOAT64);
    rnn_ctx ctx = {m, kinds[i] == LSTM};
    tg_tensor *in[3] = {
        tg_requires_grad_(tg_randn(TG_SHAPE(3, 2, 3), TG_FLOAT64), true),
        tg_requires_grad_(tg_randn(TG_SHAPE(4, 2, 4), TG_FLOAT64), true),
        kinds[i] == LSTM
            ? tg_requires_grad_(tg_randn(TG_SHAPE(4, 2, 4), TG_FLOAT64), true)
            : NULL};
    char report[512];
    ck_assert_msg(tg_gradcheck(recurrent_fn, &ctx, kinds[i] == LSTM ? 3 : 2, in, NULL,
                               report, sizeof report),
                  "%s", report);
    tg_module_free(m);
  }
  tg_scope_end();
}
END_TEST

START_TEST(test_recurrent_errors) {
  tg_scope_begin();
  tg_module *lstm = tg_nn_lstm(3, 4, NULL), *gru = tg_nn_gru(3, 4, NULL);
  tg_tensor *x = tg_zeros(TG_SHAPE(5, 2, 3), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_rnn_forward(lstm, tg_zeros(TG_SHAPE(5, 2, 2), TG_FLOAT32), NULL,
                                 NULL, NULL, NULL),
                  "tg_rnn_forward: LSTM: input.size(-1) must be equal to input_size. "
                  "Expected 3, got 2");
  TG_EXPECT_ERROR(
      tg_rnn_forward(lstm, tg_zeros(TG_SHAPE(3), TG_FLOAT32), NULL, NULL, NULL, NULL),
      "expected input to be 2-D or 3-D, got (3)");
  TG_EXPECT_ERROR(
      tg_rnn_forward(lstm, x, tg_zeros(TG_SHAPE(1, 3, 4), TG_FLOAT32), NULL, NULL, NULL),
      "tg_rnn_forward: LSTM: expected h0 of shape (1x2x4), got (1x3x4)");
  TG_EXPECT_ERROR(
      tg_rnn_forward(gru, x, NULL, tg_zeros(TG_SHAPE(1, 2, 4), TG_FLOAT32), NULL, NULL),
      "tg_rnn_forward: GRU has no cell state; c0 must be NULL");
  TG_EXPECT_ERROR(
      tg_rnn_forward(lstm, x, tg_zeros(TG_SHAPE(1, 2, 4), TG_FLOAT64), NULL, NULL, NULL),
      "h0 is float64 but the input is float32");
  tg_module *lin = tg_nn_linear(2, 2, true);
  TG_EXPECT_ERROR(tg_rnn_forward(lin, x, NULL, NULL, NULL, NULL),
                  "tg_rnn_forward: module Linear is not an RNN, LSTM or GRU");
  TG_EXPECT_ERROR(tg_nn_lstm(3, 0, NULL),
                  "tg_nn_lstm: input_size (3) must not be negative, "
                  "hidden_size (0) and num_layers (1) must be positive");
  TG_EXPECT_ERROR(tg_nn_gru(3, 4, &(tg_rnn_opts){.dropout = 2}),
                  "tg_nn_gru: dropout should be a number in range [0, 1]");
  TG_EXPECT_ERROR(tg_nn_lstm(3, 4, &(tg_rnn_opts){.relu = true}),
                  "tg_nn_lstm: relu is an option of the plain RNN only");
  tg_module_free(lin);
  tg_module_free(lstm);
  tg_module_free(gru);
  tg_scope_end();
}
END_TEST

/* ---- attention ---- */

START_TEST(test_scaled_dot_product_attention) {
  const char *cases[4] = {"sdpa", "sdpa_bool", "sdpa_float", "sdpa_causal"};
  for (int i = 0; i < 4; i++) {
    tg_scope_begin();
    const char *c = cases[i];
    tg_tensor *q = leaf(c, "q"), *k = leaf(c, "k"), *v = leaf(c, "v");
    tg_tensor *mask = i == 1   ? bool_entry(c, "mask")
                      : i == 2 ? entry(c, "mask", TG_FLOAT64)
                               : NULL;
    tg_tensor *y = tg_scaled_dot_product_attention(q, k, v, mask, 0, i == 3);
    backward_with(c, 1, (const char *[]){"y"}, &y);
    expect_close(tg_grad(q), c, "gq_out");
    expect_close(tg_grad(k), c, "gk_out");
    expect_close(tg_grad(v), c, "gv_out");
    tg_scope_end();
  }
  tg_scope_begin();
  tg_tensor *q = tg_ones(TG_SHAPE(2, 3), TG_FLOAT32);
  TG_EXPECT_ERROR(
      tg_scaled_dot_product_attention(q, tg_ones(TG_SHAPE(4, 2), TG_FLOAT32), q, NULL, 0,
                                      false),
      "tg_scaled_dot_product_attention: expected query (..., L, E), key (..., S, "
      "E) and value (..., S, Ev), got float32 (2x3), (4x2) and (2x3)");
  TG_EXPECT_ERROR(
      tg_scaled_dot_product_attention(q, q, q, tg_ones(TG_SHAPE(2, 2), TG_BOOL), 0, true),
      "explicit attn_mask should not be set when is_causal is true");
  TG_EXPECT_ERROR(tg_scaled_dot_product_attention(q, q, q, NULL, 1.5, false),
                  "dropout_p has to be between 0 and 1, but got 1.5");
  /* dropout: every kept weight scaled by 1 / (1 - p) */
  tg_manual_seed(0);
  tg_tensor *w = tg_scaled_dot_product_attention(tg_zeros(TG_SHAPE(8, 4), TG_FLOAT64),
                                                 tg_zeros(TG_SHAPE(8, 4), TG_FLOAT64),
                                                 tg_eye(8, TG_FLOAT64), NULL, 0.5, false);
  for (int64_t i = 0; i < 64; i++) {
    double e = tg_get_flat(w, i);
    ck_assert(e == 0 || fabs(e - 0.25) < 1e-15);
  }
  tg_scope_end();
}
END_TEST

static void check_mha(const char *c, bool batch_first, bool self) {
  tg_scope_begin();
  tg_module *m = tg_nn_multihead_attention(8, 2, 0, true, batch_first);
  load_params(m, c);
  tg_tensor *q = leaf(c, "q");
  tg_tensor *k = self ? q : leaf(c, "k"), *v = self ? q : leaf(c, "v");
  tg_tensor *kpm = has(c, "kpm") ? bool_entry(c, "kpm") : NULL;
  tg_tensor *mask = !has(c, "mask") ? NULL
                    : self          ? bool_entry(c, "mask")
                                    : entry(c, "mask", TG_FLOAT64);
  tg_tensor *w;
  tg_tensor *y = tg_mha_forward(m, q, k, v, kpm, mask, &w);
  tg_tensor *outs[2] = {y, w};
  backward_with(c, 2, (const char *[]){"y", "w"}, outs);
  expect_close(tg_grad(q), c, "gq_out");
  if (!self) {
    expect_close(tg_grad(k), c, "gk_out");
    expect_close(tg_grad(v), c, "gv_out");
  }
  expect_param_grads(m, c);
  expect_clipped(m);
  tg_module_free(m);
  tg_scope_end();
}

START_TEST(test_multihead_attention) {
  check_mha("mha", false, true);
  check_mha("mha_bf_kpm", true, true);
  check_mha("mha_cross_float", false, false);
  tg_scope_begin();
  tg_module *m = tg_nn_multihead_attention(8, 2, 0, true, false);
  tg_tensor *x = tg_zeros(TG_SHAPE(4, 3, 8), TG_FLOAT32);
  TG_EXPECT_ERROR(
      tg_mha_forward(m, x, x, x, tg_zeros(TG_SHAPE(3, 5), TG_BOOL), NULL, NULL),
      "tg_mha_forward: expected key_padding_mask of shape (3x4), got (3x5)");
  TG_EXPECT_ERROR(
      tg_mha_forward(m, x, x, x, NULL, tg_zeros(TG_SHAPE(4, 5), TG_BOOL), NULL),
      "tg_mha_forward: the shape of attn_mask is (4x5), but should be (4x4) or "
      "(6x4x4)");
  TG_EXPECT_ERROR(
      tg_mha_forward(m, tg_zeros(TG_SHAPE(4, 3, 6), TG_FLOAT32), x, x, NULL, NULL, NULL),
      "with E = embed_dim 8, got (4x3x6), (4x3x8) and (4x3x8)");
  TG_EXPECT_ERROR(
      tg_nn_multihead_attention(8, 3, 0, true, false),
      "tg_nn_multihead_attention: embed_dim (8) must be a positive multiple of "
      "num_heads (3)");
  /* unbatched self-attention is the batch of one */
  tg_tensor *u = tg_randn(TG_SHAPE(4, 8), TG_FLOAT32), *wu, *wb;
  tg_tensor *yu = tg_mha_forward(m, u, u, u, NULL, NULL, &wu);
  tg_tensor *ub = tg_unsqueeze(u, 1);
  tg_tensor *yb = tg_mha_forward(m, ub, ub, ub, NULL, NULL, &wb);
  tg_assert_close(yu, tg_squeeze(yb, 1), 1e-6, 1e-7, "unbatched output");
  tg_assert_close(wu, tg_squeeze(wb, 0), 1e-6, 1e-7, "unbatched weights");
  tg_module_free(m);
  tg_scope_end();
}
END_TEST

/* The gradients of sum(y * r) for the inputs and m's parameters, cloned,
 * and every .grad cleared again. */
static void grads_of(tg_tensor *y, tg_tensor *r, tg_module *m, tg_tensor *const *in,
                     int n_in, tg_tensor **out) {
  tg_backward(tg_sum(tg_mul(y, r), TG_ALL_DIMS, false), NULL, 0);
  tg_tensor_dict *params = tg_module_named_parameters(m);
  for (int i = 0; i < n_in + params->n; i++) {
    tg_tensor *t = i < n_in ? in[i] : params->items[i - n_in].tensor;
    out[i] = tg_clone(tg_grad(t));
    tg_zero_grad(t, true);
  }
  tg_tensor_dict_free(params);
}

/* MultiheadAttention's heads as one op (taken when no weights are asked
 * for) against the composite path (weights asked for): outputs and every
 * gradient, batched or not, either layout, self or cross, each mask form
 * (0 none, 1 bool (L, S), 2 float (N * heads, L, S) with -inf entries). */
static void expect_heads_op_like_composite(tg_dtype dtype, bool batch_first, bool self,
                                           int mask_kind, bool batched, int64_t L,
                                           int64_t S) {
  tg_scope_begin();
  tg_manual_seed(5);
  int64_t N = batched ? 3 : 1, E = 8, H = 2;
  if (self) S = L;
  tg_module *m = tg_nn_multihead_attention(E, H, 0, true, batch_first);
  tg_module_to(m, dtype);
  tg_shape qs = !batched      ? TG_SHAPE(L, E)
                : batch_first ? TG_SHAPE(N, L, E)
                              : TG_SHAPE(L, N, E);
  tg_shape ks = !batched      ? TG_SHAPE(S, E)
                : batch_first ? TG_SHAPE(N, S, E)
                              : TG_SHAPE(S, N, E);
  tg_tensor *in[3] = {tg_requires_grad_(tg_randn(qs, dtype), true)};
  for (int i = 1; i < 3; i++)
    in[i] = self ? in[0] : tg_requires_grad_(tg_randn(ks, dtype), true);
  tg_tensor *mask = NULL;
  if (mask_kind == 1) mask = tg_triu(tg_ones(TG_SHAPE(L, S), TG_BOOL), 1);
  if (mask_kind == 2)
    mask = tg_masked_fill(tg_neg(tg_rand(TG_SHAPE(N * H, L, S), dtype)),
                          tg_gt_scalar(tg_rand(TG_SHAPE(N * H, L, S), TG_FLOAT64), 0.7),
                          -INFINITY);
  tg_tensor *w, *y = tg_mha_forward(m, in[0], in[1], in[2], NULL, mask, NULL);
  tg_tensor *r = tg_randn(tg_shape_of(y), dtype), *got[16], *want[16];
  int n_in = self ? 1 : 3;
  grads_of(y, r, m, in, n_in, got);
  tg_tensor *y_ref = tg_mha_forward(m, in[0], in[1], in[2], NULL, mask, &w);
  grads_of(y_ref, r, m, in, n_in, want);
  ck_assert_str_eq(tg_grad_fn_name(y), tg_grad_fn_name(y_ref));
  double rtol = dtype == TG_FLOAT32 ? 1e-5 : 1e-12, atol = rtol / 10;
  tg_assert_close(y, y_ref, rtol, atol, "output");
  for (int i = 0; i < n_in + 4; i++)
    tg_assert_close(got[i], want[i], rtol, atol, "gradient");
  tg_module_free(m);
  tg_scope_end();
}

START_TEST(test_mha_heads_as_one_op) {
  for (int d = 0; d < 2; d++)
    for (int bf = 0; bf < 2; bf++)
      for (int mask = 0; mask < 3; mask++) {
        tg_dtype dtype = d ? TG_FLOAT64 : TG_FLOAT32;
        expect_heads_op_like_composite(dtype, bf, true, mask, true, 5, 5);
        expect_heads_op_like_composite(dtype, bf, false, mask, true, 5, 7);
        expect_heads_op_like_composite(dtype, bf, true, mask == 2 ? 0 : mask, false, 5,
                                       5);
      }
  /* empty sequences: no keys (the output is out_proj's bias), no queries */
  expect_heads_op_like_composite(TG_FLOAT64, true, false, 0, true, 4, 0);
  expect_heads_op_like_composite(TG_FLOAT32, false, true, 0, true, 0, 0);
}
END_TEST

START_TEST(test_transformer_encoder_layer) {
  const char *cases[2] = {"encoder_post_relu", "encoder_pre_gelu"};
  for (int i = 0; i < 2; i++) {
    tg_scope_begin();
    tg_module *m =
        tg_nn_transformer_encoder_layer(8, 2, 16, 0, i ? "gelu" : "relu", true, i == 1);
    load_params(m, cases[i]);
    tg_tensor *x = leaf(cases[i], "x");
    tg_tensor *mask = tg_full(TG_SHAPE(5, 5), 0, TG_FLOAT64);
    for (int64_t r = 0; r < 5; r++)
      for (int64_t col = r + 1; col < 5; col++)
        tg_set(mask, (int64_t[]){r, col}, -INFINITY);
    tg_tensor *y = tg_transformer_encoder_layer_forward(m, x, mask, NULL);
    backward_with(cases[i], 1, (const char *[]){"y"}, &y);
    expect_close(tg_grad(x), cases[i], "gx_out");
    expect_param_grads(m, cases[i]);
    expect_clipped(m);
    tg_module_free(m);
    tg_scope_end();
  }
  TG_EXPECT_ERROR(
      tg_nn_transformer_encoder_layer(8, 2, 16, 0, "tanh", false, false),
      "tg_nn_transformer_encoder_layer: activation should be relu/gelu, not tanh");
}
END_TEST

/* ---- the float32 kernels of the fused ops (SLEEF's expf, Cephes' tanhf,
 * ATen's erf, the one-pass layers) against float64 ---- */

START_TEST(test_vector_math_exp_tanh_erf) {
  double worst_exp = 0, worst_erf = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.0173f) {
    double ref = exp((double)x);
    worst_exp = fmax(worst_exp, fabs(tg_nn_exp_f32(x) - ref) / ref);
  }
  for (float x = -6.0f; x < 6.0f; x += 0.0007f) {
    worst_erf = fmax(worst_erf, fabs(tg_nn_erf_f32(x) - erf((double)x)));
    ck_assert_float_eq(tg_nn_erf_f32(-x), -tg_nn_erf_f32(x));
  }
  double worst_tanh = 0;
  for (float x = -10.0f; x < 10.0f; x += 0.00091f)
    if (x != 0)
      worst_tanh = fmax(worst_tanh, fabs(tg_nn_tanh_f32(x) - tanh((double)x)) /
                                        fabs(tanh((double)x)));
  ck_assert_msg(worst_tanh < 2e-7, "tanhf relative error %g", worst_tanh); /* ~2 ulp */
  ck_assert_float_eq(tg_nn_tanh_f32(1e-30f), 1e-30f);
  ck_assert_float_eq(tg_nn_tanh_f32(-INFINITY), -1.0f);
  ck_assert_float_eq(tg_nn_tanh_f32(50.0f), 1.0f);
  ck_assert_float_nan(tg_nn_tanh_f32(NAN));
  ck_assert_msg(worst_exp < 1.5e-7, "expf relative error %g", worst_exp); /* ~1 ulp */
  ck_assert_msg(worst_erf < 6e-7, "erf absolute error %g", worst_erf);
  ck_assert_float_eq(tg_nn_exp_f32(-200.0f), 0.0f);
  ck_assert_float_eq(tg_nn_exp_f32(-INFINITY), 0.0f);
  ck_assert_float_infinite(tg_nn_exp_f32(200.0f));
  ck_assert_float_infinite(tg_nn_exp_f32(INFINITY));
  ck_assert_float_nan(tg_nn_exp_f32(NAN));
  ck_assert_float_eq(tg_nn_exp_f32(0.0f), 1.0f);
  /* subnormal results come out scaled right */
  ck_assert_double_eq_tol(tg_nn_exp_f32(-90.0f) / exp(-90.0), 1, 1e-4);
  ck_assert_float_eq(tg_nn_erf_f32(10.0f), 1.0f);
}
END_TEST

typedef tg_tensor *(*float_fn)(tg_tensor *const *x);

/* f in float32 agrees with f in float64 (outputs and every input's
 * gradient of sum(y * r), r fixed) to a few float32 roundings. */
static void expect_float32_like_float64(float_fn f, int n, const tg_shape *shapes) {
  tg_scope_begin();
  tg_manual_seed(3);
  tg_tensor *x64[5], *x32[5];
  for (int i = 0; i < n; i++) {
    tg_tensor *u = tg_sub_scalar(tg_mul_scalar(tg_rand(shapes[i], TG_FLOAT64), 2), 1);
    x32[i] = tg_requires_grad_(tg_to(u, TG_FLOAT32), true);
    x64[i] = tg_requires_grad_(u, true);
  }
  tg_tensor *y64 = f(x64), *y32 = f(x32);
  tg_tensor *r = tg_rand(tg_shape_of(y64), TG_FLOAT64);
  tg_backward(tg_sum(tg_mul(y64, r), TG_ALL_DIMS, false), NULL, 0);
  tg_backward(tg_sum(tg_mul(y32, tg_to(r, TG_FLOAT32)), TG_ALL_DIMS, false), NULL, 0);
  for (int k = -1; k < n; k++) {
    tg_tensor *a = k < 0 ? y32 : tg_grad(x32[k]), *b = k < 0 ? y64 : tg_grad(x64[k]);
    for (int64_t j = 0; j < tg_numel(b); j++) {
      double want = tg_get_flat(b, j), got = tg_get_flat(a, j);
      ck_assert_msg(fabs(got - want) <= 2e-5 * (1 + fabs(want)),
                    "%s %d element %lld: float32 %.9g, float64 %.9g",
                    k < 0 ? "output" : "gradient of input", k, (long long)j, got, want);
    }
  }
  tg_scope_end();
}

static tg_tensor *gelu_of(tg_tensor *const *x) {
  return tg_gelu(tg_mul_scalar(x[0], 4), false);
}
static tg_tensor *layer_norm_of(tg_tensor *const *x) {
  return tg_layer_norm(x[0], TG_SHAPE(8), x[1], x[2], 1e-5);
}
/* causal attention under a float mask: the fused softmax */
static tg_tensor *attention_of(tg_tensor *const *x) {
  tg_tensor *mask = tg_zeros(TG_SHAPE(5, 5), x[0]->dtype);
  for (int64_t i = 0; i < 5; i++)
    for (int64_t j = i + 1; j < 5; j++) tg_set(mask, (int64_t[]){i, j}, -INFINITY);
  return tg_scaled_dot_product_attention(x[0], x[1], x[2], mask, 0, false);
}
static tg_tensor *lstm_layer_of(tg_tensor *const *x) {
  return tg_nn_lstm_layer(tg_mul_scalar(x[0], 3), x[1], x[2], x[3], x[4], false);
}

/* MultiheadAttention's heads as one op: three heads of 16 (the batched
 * small products' odd 23-row tiles), causal self-attention time-major and
 * cross-attention batch-major */
static tg_tensor *heads_attention_of(tg_tensor *const *x) {
  int64_t L = x[0]->shape[0];
  tg_tensor *mask = tg_triu(tg_full(TG_SHAPE(L, L), -INFINITY, x[0]->dtype), 1);
  tg_tensor *self = tg_nn_heads_attention(x[0], NULL, NULL, 3, mask, false);
  tg_tensor *q = tg_transpose(tg_narrow(x[0], -1, 0, 48), 0, 1);
  tg_tensor *both[2] = {
      tg_flatten(self, 0, -1),
      tg_flatten(tg_nn_heads_attention(q, x[1], x[2], 3, NULL, true), 0, -1)};
  return tg_cat(both, 2, 0);
}

START_TEST(test_float32_fused_layers_match_float64) {
  expect_float32_like_float64(gelu_of, 1, (tg_shape[]){TG_SHAPE(7, 33)});
  expect_float32_like_float64(layer_norm_of, 3,
                              (tg_shape[]){TG_SHAPE(6, 8), TG_SHAPE(8), TG_SHAPE(8)});
  expect_float32_like_float64(
      attention_of, 3,
      (tg_shape[]){TG_SHAPE(3, 5, 4), TG_SHAPE(3, 5, 4), TG_SHAPE(3, 5, 6)});
  expect_float32_like_float64(
      heads_attention_of, 3,
      (tg_shape[]){TG_SHAPE(23, 2, 144), TG_SHAPE(2, 9, 48), TG_SHAPE(2, 9, 48)});
  expect_float32_like_float64(lstm_layer_of, 5,
                              (tg_shape[]){TG_SHAPE(6, 3, 20), TG_SHAPE(3, 5),
                                           TG_SHAPE(3, 5), TG_SHAPE(20, 5),
                                           TG_SHAPE(20)});
}
END_TEST

static Suite *sequence_suite(void) {
  Suite *s = suite_create("sequence");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_multinomial_matches_torch);
  tcase_add_test(tc, test_multinomial_errors);
  tcase_add_test(tc, test_init_matches_torch);
  tcase_add_test(tc, test_embedding);
  tcase_add_test(tc, test_layer_norm_and_gelu);
  tcase_add_test(tc, test_lstm);
  tcase_add_test(tc, test_gru_and_rnn);
  tcase_add_test(tc, test_lstm_dropout_between_layers);
  tcase_add_test(tc, test_recurrent_gradcheck);
  tcase_add_test(tc, test_recurrent_errors);
  tcase_add_test(tc, test_scaled_dot_product_attention);
  tcase_add_test(tc, test_multihead_attention);
  tcase_add_test(tc, test_transformer_encoder_layer);
  tcase_add_test(tc, test_mha_heads_as_one_op);
  tcase_add_test(tc, test_vector_math_exp_tanh_erf);
  tcase_add_test(tc, test_float32_fused_layers_match_float64);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return tg_test_run(sequence_suite());
}
