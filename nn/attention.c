/* Attention: scaled_dot_product_attention and nn.MultiheadAttention as
 * PyTorch 1.13's F.multi_head_attention_forward computes it, from
 * differentiable ops (matmul, softmax, masked_fill, dropout, linear).
 *
 * Both scale the queries before the product, q / sqrt(E) @ k^T, add the
 * mask (a bool mask becomes 0 / -inf), take the softmax over the keys,
 * drop out attention weights and multiply by v. */
#include <math.h>
#include <stdio.h>

#include "nn/nn_internal.h"
#include "nn/vector_math.h"

/* The additive form of a mask: floats as they are; bools to -inf where
 * `masked_when` (MultiheadAttention masks true, scaled_dot_product_attention
 * masks false). Applied to scores by masked_fill / add. */
static tg_tensor *apply_mask(tg_tensor *scores, tg_tensor *mask, bool masked_when) {
  if (!mask) return scores;
  if (mask->dtype != TG_BOOL) return tg_add(scores, tg_to(mask, scores->dtype));
  tg_tensor *hidden = masked_when ? mask : tg_eq_scalar(mask, 0);
  return tg_masked_fill(scores, hidden, -INFINITY);
}

/* ---- softmax(scores + mask) over the last dim as one op: the masked
 * scores are never a tensor of their own ---- */

typedef struct sm_rows {
  int64_t rows, len, mask_rows; /* score row i reads mask row i % mask_rows */
} sm_rows;

#define TG_TEMPLATE "nn/attention_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

static sm_rows rows_of(const tg_tensor *y) {
  int64_t len = y->ndim ? y->shape[y->ndim - 1] : 1;
  return (sm_rows){len ? tg_numel(y) / len : 0, len, 1};
}

/* y (g - sum(g y)), differentiable again */
static void masked_softmax_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_mul(tg_sub(g, tg_sum(tg_mul(g, y), TG_DIMS(-1), true)), y);
}

static void masked_softmax_backward_fused(tg_node *node, tg_tensor *g,
                                          tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node), *out = tg_alloc(tg_shape_of(y), y->dtype);
  sm_rows r = rows_of(y);
  g = tg_contiguous(g);
  if (y->dtype == TG_FLOAT32)
    masked_softmax_grad_rows_f32(&r, (const float *)tg_ptr(g), (const float *)tg_ptr(y),
                                 (float *)tg_ptr(out));
  else
    masked_softmax_grad_rows_f64(&r, (const double *)tg_ptr(g), (const double *)tg_ptr(y),
                                 (double *)tg_ptr(out));
  grads[0] = out;
}

/* PyTorch's grad_fn of the weights: SoftmaxBackward0 */
const tg_op tg_op_masked_softmax = {.name = "softmax",
                                    .backward = masked_softmax_backward,
                                    .backward_fused = masked_softmax_backward_fused};

/* Whether `mask` can be added inside the op: an additive float mask of the
 * scores' dtype that needs no gradient, one (L, S) block per batch or one
 * for all. */
static bool fusable_mask(const tg_tensor *scores, const tg_tensor *mask) {
  if (!mask) return true;
  int64_t block = scores->shape[scores->ndim - 2] * scores->shape[scores->ndim - 1];
  return mask->dtype == scores->dtype && !tg_requires_grad(mask) && mask->ndim >= 2 &&
         mask->shape[mask->ndim - 1] == scores->shape[scores->ndim - 1] &&
         mask->shape[mask->ndim - 2] == scores->shape[scores->ndim - 2] &&
         (tg_numel(mask) == block || tg_numel(mask) == tg_numel(scores));
}

/* softmax(scores + mask, -1) for a mask that fusable_mask accepts */
static tg_tensor *masked_softmax(tg_tensor *scores, tg_tensor *mask) {
  tg_tensor *y = tg_alloc(tg_shape_of(scores), scores->dtype);
  tg_scope_begin();
  sm_rows r = rows_of(y);
  tg_tensor *s = tg_contiguous(tg_detach(scores)), *m = mask ? tg_contiguous(mask) : NULL;
  if (m && r.len > 0) r.mask_rows = tg_numel(m) / r.len;
  if (tg_numel(y) == 0)
    ; /* no query or no key (an empty batch): no row to normalise */
  else if (y->dtype == TG_FLOAT32)
    masked_softmax_rows_f32(&r, (const float *)tg_ptr(s),
                            m ? (const float *)tg_ptr(m) : NULL, (float *)tg_ptr(y));
  else
    masked_softmax_rows_f64(&r, (const double *)tg_ptr(s),
                            m ? (const double *)tg_ptr(m) : NULL, (double *)tg_ptr(y));
  tg_node *node = tg_record(&tg_op_masked_softmax, y, 1, &scores);
  if (node) tg_save_output(node, y);
  tg_scope_end();
  return y;
}

/* softmax(q / sqrt(E) @ k^T + masks) with dropout; returns weights @ v and
 * the weights in *weights when asked. */
static tg_tensor *attend(tg_tensor *q, tg_tensor *k, tg_tensor *v, tg_tensor *mask,
                         bool masked_when, tg_tensor *extra_mask, double dropout_p,
                         tg_tensor **weights) {
  double scale = sqrt((double)tg_size(q, -1));
  tg_tensor *scores = tg_matmul(tg_div_scalar(q, scale), tg_transpose(k, -2, -1));
  tg_tensor *w;
  if (!extra_mask && (!mask || mask->dtype != TG_BOOL) && fusable_mask(scores, mask) &&
      tg_is_floating(scores->dtype)) {
    w = masked_softmax(scores, mask);
  } else {
    scores = apply_mask(apply_mask(scores, mask, masked_when), extra_mask, true);
    w = tg_softmax(scores, -1);
  }
  if (dropout_p > 0) w = tg_dropout(w, dropout_p, true);
  if (weights) *weights = w;
  return tg_matmul(w, v);
}

static void check_qkv(const char *fn, const tg_tensor *q, const tg_tensor *k,
                      const tg_tensor *v) {
  char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX], c[TG_SHAPE_STR_MAX];
  bool ok = q->ndim >= 2 && k->ndim >= 2 && v->ndim >= 2 &&
            tg_size(q, -1) == tg_size(k, -1) && tg_size(k, -2) == tg_size(v, -2) &&
            tg_is_floating(q->dtype);
  if (!ok)
    tg_error(
        "%s: expected query (..., L, E), key (..., S, E) and value (..., S, Ev), got "
        "%s %s, %s and %s",
        fn, tg_dtype_name(q->dtype), tg_shape_str(tg_shape_of(q), a),
        tg_shape_str(tg_shape_of(k), b), tg_shape_str(tg_shape_of(v), c));
}

tg_tensor *tg_scaled_dot_product_attention(tg_tensor *q, tg_tensor *k, tg_tensor *v,
                                           tg_tensor *attn_mask, double dropout_p,
                                           bool is_causal) {
  const char *fn = "tg_scaled_dot_product_attention";
  check_qkv(fn, q, k, v);
  if (is_causal && attn_mask)
    tg_error("%s: explicit attn_mask should not be set when is_causal is true", fn);
  if (!(dropout_p >= 0 && dropout_p <= 1))
    tg_error("%s: dropout_p has to be between 0 and 1, but got %g", fn, dropout_p);
  tg_scope_begin();
  if (is_causal) {
    int64_t L = tg_size(q, -2), S = tg_size(k, -2);
    tg_tensor *rows = tg_unsqueeze(tg_arange(0, (double)L, 1, TG_INT64), 1);
    tg_tensor *cols = tg_arange(0, (double)S, 1, TG_INT64);
    attn_mask = tg_le(cols, rows); /* tril: key j <= query i may attend */
  }
  return tg_scope_return(attend(q, k, v, attn_mask, false, NULL, dropout_p, NULL));
}

/* ---- nn.MultiheadAttention ---- */

typedef struct mha {
  tg_module base;
  int64_t embed_dim, num_heads;
  double dropout;
  bool batch_first;
  tg_tensor *in_proj_weight, *in_proj_bias; /* owned by base (bias may be NULL) */
  tg_module *out_proj;
} mha;

/* q, k, v projections; one GEMM for self-attention, as _in_projection_packed. */
static void in_projection(const mha *a, tg_tensor *query, tg_tensor *key,
                          tg_tensor *value, tg_tensor **q, tg_tensor **k, tg_tensor **v) {
  int64_t E = a->embed_dim;
  tg_tensor *w = a->in_proj_weight, *b = a->in_proj_bias;
  if (query == key && key == value) {
    tg_tensor *qkv = tg_linear(query, w, b);
    *q = tg_narrow(qkv, -1, 0, E);
    *k = tg_narrow(qkv, -1, E, E);
    *v = tg_narrow(qkv, -1, 2 * E, E);
    return;
  }
  tg_tensor *in[3] = {query, key, value}, **out[3] = {q, k, v};
  for (int i = 0; i < 3; i++)
    *out[i] =
        tg_linear(in[i], tg_narrow(w, 0, i * E, E), b ? tg_narrow(b, 0, i * E, E) : NULL);
}

/* (T, N, E) -> (N * heads, T, head_dim) */
static tg_tensor *split_heads(const mha *a, tg_tensor *x) {
  int64_t T = tg_size(x, 0), N = tg_size(x, 1), head_dim = tg_size(x, 2) / a->num_heads;
  tg_tensor *heads = tg_view(tg_contiguous(x), TG_SHAPE(T, N * a->num_heads, head_dim));
  return tg_transpose(heads, 0, 1); /* sizes spelled out: -1 is ambiguous for N = 0 */
}

static void check_mha_inputs(const mha *a, tg_tensor *q, tg_tensor *k, tg_tensor *v,
                             tg_tensor *kpm, tg_tensor *mask) {
  const char *fn = "tg_mha_forward";
  char s1[TG_SHAPE_STR_MAX], s2[TG_SHAPE_STR_MAX], s3[TG_SHAPE_STR_MAX];
  bool batched = q->ndim == 3;
  if ((q->ndim != 2 && q->ndim != 3) || k->ndim != q->ndim || v->ndim != q->ndim ||
      tg_size(q, -1) != a->embed_dim || tg_size(k, -1) != a->embed_dim ||
      !tg_nn_same_shape(tg_shape_of(k), tg_shape_of(v)))
    tg_error("%s: expected query, key and value (L, N, E), (S, N, E), (S, N, E) (or "
             "unbatched (L, E)) with E = embed_dim %lld, got %s, %s and %s",
             fn, (long long)a->embed_dim, tg_shape_str(tg_shape_of(q), s1),
             tg_shape_str(tg_shape_of(k), s2), tg_shape_str(tg_shape_of(v), s3));
  int64_t L = tg_size(q, batched && a->batch_first ? 1 : 0),
          S = tg_size(k, batched && a->batch_first ? 1 : 0),
          N = batched ? tg_size(q, a->batch_first ? 0 : 1) : 1;
  if (kpm && !tg_nn_same_shape(tg_shape_of(kpm), batched ? TG_SHAPE(N, S) : TG_SHAPE(S)))
    tg_error("%s: expected key_padding_mask of shape %s, got %s", fn,
             tg_shape_str(batched ? TG_SHAPE(N, S) : TG_SHAPE(S), s1),
             tg_shape_str(tg_shape_of(kpm), s2));
  if (mask && !tg_nn_same_shape(tg_shape_of(mask), TG_SHAPE(L, S)) &&
      !tg_nn_same_shape(tg_shape_of(mask), TG_SHAPE(N * a->num_heads, L, S)))
    tg_error("%s: the shape of attn_mask is %s, but should be %s or %s", fn,
             tg_shape_str(tg_shape_of(mask), s1), tg_shape_str(TG_SHAPE(L, S), s2),
             tg_shape_str(TG_SHAPE(N * a->num_heads, L, S), s3));
}

/* query (L, N, E), key and value (S, N, E) -> (L, N, E) */
static tg_tensor *mha_core(const mha *a, bool training, tg_tensor *query, tg_tensor *key,
                           tg_tensor *value, tg_tensor *kpm, tg_tensor *mask,
                           tg_tensor **avg_weights) {
  int64_t L = tg_size(query, 0), N = tg_size(query, 1), S = tg_size(key, 0),
          H = a->num_heads;
  tg_tensor *q, *k, *v, *weights;
  in_projection(a, query, key, value, &q, &k, &v);
  if (mask && mask->ndim == 2) mask = tg_unsqueeze(mask, 0);
  if (kpm)
    kpm =
        tg_reshape(tg_expand(tg_view(kpm, TG_SHAPE(N, 1, 1, S)), TG_SHAPE(-1, H, -1, -1)),
                   TG_SHAPE(N * H, 1, S));
  tg_tensor *out = attend(split_heads(a, q), split_heads(a, k), split_heads(a, v), mask,
                          true, kpm, training ? a->dropout : 0, &weights);
  out = tg_view(tg_contiguous(tg_transpose(out, 0, 1)), TG_SHAPE(L * N, a->embed_dim));
  out = tg_view(tg_module_forward(a->out_proj, out), TG_SHAPE(L, N, a->embed_dim));
  if (avg_weights)
    *avg_weights = tg_div_scalar(
        tg_sum(tg_view(weights, TG_SHAPE(N, H, L, S)), TG_DIMS(1), false), (double)H);
  return out;
}

static const tg_module_vtable mha_vtable;

tg_tensor *tg_mha_forward(tg_module *m, tg_tensor *query, tg_tensor *key,
                          tg_tensor *value, tg_tensor *key_padding_mask,
                          tg_tensor *attn_mask, tg_tensor **attn_weights) {
  if (!m || m->vtable != &mha_vtable)
    tg_error("tg_mha_forward: module %s is not a MultiheadAttention",
             m ? m->vtable->type_name : "NULL");
  const mha *a = (const mha *)m;
  check_mha_inputs(a, query, key, value, key_padding_mask, attn_mask);
  bool batched = query->ndim == 3, self = query == key && key == value;
  tg_scope_begin();
  if (!batched) {
    query = tg_unsqueeze(query, 1);
    key = self ? query : tg_unsqueeze(key, 1);
    value = self ? query : tg_unsqueeze(value, 1);
    if (key_padding_mask) key_padding_mask = tg_unsqueeze(key_padding_mask, 0);
  } else if (a->batch_first) {
    query = tg_transpose(query, 0, 1);
    key = self ? query : tg_transpose(key, 0, 1);
    value = self ? query : tg_transpose(value, 0, 1);
  }
  tg_tensor *weights = NULL;
  tg_tensor *out = mha_core(a, m->training, query, key, value, key_padding_mask,
                            attn_mask, attn_weights ? &weights : NULL);
  if (!batched) {
    out = tg_squeeze(out, 1);
    if (weights) weights = tg_squeeze(weights, 0);
  } else if (a->batch_first) {
    out = tg_transpose(out, 0, 1);
  }
  if (attn_weights) *attn_weights = tg_keep(weights);
  return tg_scope_return(out);
}

static tg_tensor *mha_module_forward(tg_module *m, tg_tensor *x) {
  return tg_mha_forward(m, x, x, x, NULL, NULL, NULL);
}

static const tg_module_vtable mha_vtable = {"MultiheadAttention", mha_module_forward};

tg_module *tg_nn_multihead_attention(int64_t embed_dim, int64_t num_heads, double dropout,
                                     bool bias, bool batch_first) {
  if (embed_dim <= 0 || num_heads <= 0 || embed_dim % num_heads != 0)
    tg_error("tg_nn_multihead_attention: embed_dim (%lld) must be a positive multiple of "
             "num_heads (%lld)",
             (long long)embed_dim, (long long)num_heads);
  if (!(dropout >= 0 && dropout <= 1))
    tg_error("tg_nn_multihead_attention: dropout has to be between 0 and 1, but got %g",
             dropout);
  mha *a = tg_module_new(&mha_vtable, sizeof *a);
  a->embed_dim = embed_dim;
  a->num_heads = num_heads;
  a->dropout = dropout;
  a->batch_first = batch_first;
  /* PyTorch's order of draws: out_proj's Linear init in __init__, then
   * _reset_parameters: xavier_uniform_(in_proj_weight), zero biases. */
  a->in_proj_weight =
      tg_nn_new_param(&a->base, "in_proj_weight", TG_SHAPE(3 * embed_dim, embed_dim));
  a->in_proj_bias =
      bias ? tg_nn_new_param(&a->base, "in_proj_bias", TG_SHAPE(3 * embed_dim))
           : tg_module_register_parameter(&a->base, "in_proj_bias", NULL);
  a->out_proj =
      tg_module_add(&a->base, "out_proj", tg_nn_linear(embed_dim, embed_dim, bias));
  tg_init_xavier_uniform_(a->in_proj_weight, 1);
  if (bias) {
    tg_init_zeros_(a->in_proj_bias);
    tg_init_zeros_(tg_module_parameter(a->out_proj, "bias"));
  }
  return &a->base;
}
