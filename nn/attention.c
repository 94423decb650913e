/* Attention: scaled_dot_product_attention and nn.MultiheadAttention as
 * PyTorch 1.13's F.multi_head_attention_forward computes it, from
 * differentiable ops (matmul, softmax, masked_fill, dropout, linear); the
 * common case of MultiheadAttention (no weights asked for, no key padding
 * mask or dropout) runs its heads as one op (below).
 *
 * Both scale the queries before the product, q / sqrt(E) @ k^T, add the
 * mask (a bool mask becomes 0 / -inf), take the softmax over the keys,
 * drop out attention weights and multiply by v. */
#include <math.h>
#include <stdio.h>

#include "nn/nn_internal.h"
#include "nn/vector_math.h"
#include "ops/ops.h"

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
  int64_t rows, len;
  int64_t mask_rows, first; /* score row i reads mask row (first + i) % mask_rows */
  double scale; /* of the scores (and so of their gradient): 1 but in the heads op */
} sm_rows;

/* Rows whose maximum and sum are taken side by side (independent chains
 * of compares and adds; each row still in its own order). */
enum { SOFTMAX_ROWS = 4 };

#define TG_TEMPLATE "nn/attention_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

static sm_rows rows_of(const tg_tensor *y) {
  int64_t len = y->ndim ? y->shape[y->ndim - 1] : 1;
  return (sm_rows){len ? tg_numel(y) / len : 0, len, 1, 0, 1};
}

/* y (g - sum(g y)), differentiable again */
static void masked_softmax_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node);
  grads[0] = tg_mul(tg_sub(g, tg_sum(tg_mul(g, y), TG_DIMS(-1), true)), y);
}

/* The rows are split over the pool: with an exponential per element a row
 * is several times a light loop's work, so chunks of SOFTMAX_GRAIN
 * elements (the transformer row's 4 heads x 32 x 23 rows of 23 run on two
 * threads). Each row is computed alone: the bits do not depend on the
 * split. */
enum { SOFTMAX_GRAIN = 1 << 13 };

typedef struct sm_job {
  sm_rows r;
  bool f32, grad;
  const char *in, *other; /* the scores and the mask, or g and y */
  char *out;
} sm_job;

/* rows [begin, end) of the job */
static void sm_part(int64_t begin, int64_t end, void *arg) {
  const sm_job *j = arg;
  sm_rows r = j->r;
  r.rows = end - begin, r.first = begin;
  int64_t at = begin * r.len;
  if (j->f32 && j->grad)
    masked_softmax_grad_rows_f32(&r, (const float *)j->in + at,
                                 (const float *)j->other + at, (float *)j->out + at);
  else if (j->f32)
    masked_softmax_rows_f32(&r, (const float *)j->in + at, (const float *)j->other,
                            (float *)j->out + at);
  else if (j->grad)
    masked_softmax_grad_rows_f64(&r, (const double *)j->in + at,
                                 (const double *)j->other + at, (double *)j->out + at);
  else
    masked_softmax_rows_f64(&r, (const double *)j->in + at, (const double *)j->other,
                            (double *)j->out + at);
}

static void sm_run(sm_job *j) {
  int64_t rows = j->r.len > 0 ? SOFTMAX_GRAIN / j->r.len : 1;
  tg_parallel_for(j->r.rows, rows > 1 ? rows : 1, sm_part, j);
}

/* softmax(s + mask) row by row into y (which may be s) */
static void softmax_rows(const sm_rows *r, const tg_tensor *s, const tg_tensor *mask,
                         tg_tensor *y) {
  sm_job j = {*r,        y->dtype == TG_FLOAT32,     false,
              tg_ptr(s), mask ? tg_ptr(mask) : NULL, tg_ptr(y)};
  sm_run(&j);
}

/* the scores' gradient y (g - sum(g y)) row by row into out (which may be g) */
static void softmax_grad_rows(const sm_rows *r, const tg_tensor *g, const tg_tensor *y,
                              tg_tensor *out) {
  sm_job j = {*r, y->dtype == TG_FLOAT32, true, tg_ptr(g), tg_ptr(y), tg_ptr(out)};
  sm_run(&j);
}

static void masked_softmax_backward_fused(tg_node *node, tg_tensor *g,
                                          tg_tensor **grads) {
  tg_tensor *y = tg_saved_output(node), *out = tg_alloc(tg_shape_of(y), y->dtype);
  sm_rows r = rows_of(y);
  softmax_grad_rows(&r, tg_contiguous(g), y, out);
  grads[0] = out;
}

/* PyTorch's grad_fn of the weights: SoftmaxBackward0 */
const tg_op tg_op_masked_softmax = {.name = "softmax",
                                    .backward = masked_softmax_backward,
                                    .backward_fused = masked_softmax_backward_fused,
                                    .keeps_inputs = TG_KEEPS_NONE};

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
  if (tg_numel(y) > 0) softmax_rows(&r, s, m, y); /* none: no query or no key */
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

/* ---- MultiheadAttention's heads as one op ----
 * softmax(q k^T / sqrt(Dh) + mask) v for every batch element and head, the
 * heads read in place from the projections and the output written with
 * its heads side by side, ready for out_proj: no split or merge copies and
 * no scaled copy of q (the softmax kernel scales the scores, and the
 * scores' gradient, by 1 / sqrt(Dh): for a power-of-two Dh this rounds
 * exactly as PyTorch's q / sqrt(Dh) @ k^T). The products are batches over (batch element,
 * head) of small GEMMs (gemm_small.c for float32, split across threads). The inputs are
 * the packed projection of self-attention (q, k, v in its columns 0, E, 2E, so its
 * gradient is made in one piece) or q, k and v, each (T, N, width) time-major or (N, T,
 * width) batch-major, rows unit-stride; the output (L, N, E) or (N, L, E). The weights
 * are saved for backward. */

typedef struct heads_args {
  int64_t heads, embed; /* H and E = H * Dh */
  bool batch_major, has_mask;
  int in[3];      /* the input holding q, k and v */
  int64_t col[3]; /* their first column in it */
} heads_args;

/* One matrix per (batch element n, head h): element (r, c) of (n, h)'s at
 * data[n * ns + h * hs + r * rs + c * cs] (element strides). */
typedef struct per_head {
  char *data;
  int64_t ns, hs, rs, cs;
} per_head;

static per_head transposed_heads(per_head x) {
  return (per_head){x.data, x.ns, x.hs, x.cs, x.rs};
}

/* The heads of projection `which` (0 q, 1 k, 2 v) in t: an input or its
 * gradient, laid out as the inputs. */
static per_head projection(const heads_args *a, tg_tensor *t, int which) {
  int tok = a->batch_major ? 1 : 0;
  return (per_head){tg_ptr(t) + a->col[which] * (int64_t)tg_dtype_size(t->dtype),
                    t->strides[1 - tok], a->embed / a->heads, t->strides[tok], 1};
}

/* (N * H, L, S) weights, contiguous */
static per_head weights_of(tg_tensor *w, int64_t heads) {
  int64_t block = w->shape[1] * w->shape[2];
  return (per_head){tg_ptr(w), heads * block, block, w->shape[2], 1};
}

/* The output or its gradient: (L, N, E) or (N, L, E), contiguous. */
static per_head heads_output(const heads_args *a, tg_tensor *o) {
  int64_t E = a->embed, batch_step = a->batch_major ? o->shape[1] * E : E;
  return (per_head){tg_ptr(o), batch_step, E / a->heads,
                    a->batch_major ? E : o->shape[1] * E, 1};
}

/* c = a b (m x k times k x n) for every (n, h) of N x H */
static void head_products(tg_dtype dtype, int64_t N, int64_t H, int64_t m, int64_t n,
                          int64_t k, per_head a, per_head b, per_head c) {
  tg_sgemm_batch batch = {{N, H}, {a.ns, a.hs}, {b.ns, b.hs}, {c.ns, c.hs}};
  tg_gemm_batched(dtype, &batch, m, n, k, 1, a.data, a.rs, a.cs, b.data, b.rs, b.cs,
                  c.data, c.rs);
}

typedef struct heads_sizes {
  int64_t N, H, L, S, dh;
  double alpha;
} heads_sizes;

/* x^T per head (x: k or v, S x Dh): float32 heads copied to unit-stride
 * (N * H, Dh, S') rows, S' = S rounded up to 8 (room for the copy's last
 * 8 x 8 block), so the products with them (q k^T, g v^T) take the path for
 * plain operands (libxsmm's kernels where built) instead of packing a
 * transposed operand for every product; other dtypes as views. */
static per_head transposed_rows(per_head x, heads_sizes z, tg_dtype dtype) {
  if (dtype != TG_FLOAT32) return transposed_heads(x);
  int64_t ld = (z.S + 7) / 8 * 8;
  tg_tensor *t = tg_alloc(TG_SHAPE(z.N * z.H, z.dh, ld), dtype);
  per_head xt = {tg_ptr(t), z.H * z.dh * ld, z.dh * ld, ld, 1};
  tg_sgemm_batch batch = {{z.N, z.H}, {x.ns, x.hs}, {0, 0}, {xt.ns, xt.hs}};
  tg_stranspose_batched(&batch, z.dh, z.S, (const float *)x.data, x.rs, (float *)xt.data,
                        ld);
  return xt;
}

static heads_sizes sizes_of(const heads_args *a, const tg_tensor *q_in,
                            const tg_tensor *k_in) {
  int tok = a->batch_major ? 1 : 0;
  int64_t dh = a->embed / a->heads;
  return (heads_sizes){q_in->shape[1 - tok], a->heads, q_in->shape[tok],
                       k_in->shape[tok],     dh,       1 / sqrt((double)dh)};
}

/* The input x's projection `which` as (N * H, T, Dh) heads, differentiably. */
static tg_tensor *heads_view(const heads_args *a, tg_tensor *x, int which) {
  int tok = a->batch_major ? 1 : 0;
  int64_t T = x->shape[tok], N = x->shape[1 - tok], H = a->heads, dh = a->embed / H;
  x = tg_narrow(x, -1, a->col[which], a->embed);
  if (!a->batch_major) return tg_transpose(tg_reshape(x, TG_SHAPE(T, N * H, dh)), 0, 1);
  x = tg_permute(tg_reshape(x, TG_SHAPE(N, T, H, dh)), TG_SHAPE(0, 2, 1, 3));
  return tg_reshape(x, TG_SHAPE(N * H, T, dh));
}

/* (N * H, T, Dh) heads back to the inputs' layout, (T, N, E) or (N, T, E). */
static tg_tensor *merged_heads(const heads_args *a, tg_tensor *x, int64_t N) {
  int64_t T = x->shape[1];
  if (!a->batch_major) return tg_reshape(tg_transpose(x, 0, 1), TG_SHAPE(T, N, a->embed));
  x = tg_permute(tg_reshape(x, TG_SHAPE(N, a->heads, T, a->embed / a->heads)),
                 TG_SHAPE(0, 2, 1, 3));
  return tg_reshape(x, TG_SHAPE(N, T, a->embed));
}

/* Gives each input its gradient from dq, dk, dv: the packed input the three
 * side by side, separate inputs their own. */
static void heads_input_grads(tg_node *node, const heads_args *a, tg_tensor *const *d,
                              tg_tensor **grads) {
  if (a->in[1] == 0) {
    if (tg_needs_input_grad(node, 0)) grads[0] = tg_cat(d, 3, -1);
    return;
  }
  for (int i = 0; i < 3; i++)
    if (tg_needs_input_grad(node, i)) grads[i] = d[i];
}

/* The gradients from the forward recomputed with recorded ops, so that
 * they can be differentiated again. */
static void heads_attention_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const heads_args *a = tg_node_args(node);
  tg_tensor *x[3], *d[3];
  for (int i = 0; i < 3; i++) x[i] = heads_view(a, tg_node_input(node, a->in[i]), i);
  heads_sizes z =
      sizes_of(a, tg_node_input(node, a->in[0]), tg_node_input(node, a->in[1]));
  tg_tensor *s = tg_mul_scalar(tg_matmul(x[0], tg_transpose(x[1], 1, 2)), z.alpha);
  if (a->has_mask) s = tg_add(s, tg_saved(node, 1));
  tg_tensor *p = tg_softmax(s, -1),
            *go = heads_view(&(heads_args){a->heads, a->embed, a->batch_major}, g, 0);
  tg_tensor *dp = tg_matmul(go, tg_transpose(x[2], 1, 2));
  tg_tensor *ds = tg_mul(tg_sub(dp, tg_sum(tg_mul(dp, p), TG_DIMS(-1), true)), p);
  d[0] = merged_heads(a, tg_mul_scalar(tg_matmul(ds, x[1]), z.alpha), z.N);
  d[1] = merged_heads(a, tg_mul_scalar(tg_matmul(tg_transpose(ds, 1, 2), x[0]), z.alpha),
                      z.N);
  d[2] = merged_heads(a, tg_matmul(tg_transpose(p, 1, 2), go), z.N);
  heads_input_grads(node, a, d, grads);
}

/* A contiguous gradient of input x's shape (every element gets written). */
static tg_tensor *heads_grad_like(const tg_tensor *x) {
  return tg_alloc(tg_shape_of(x), x->dtype);
}

static void heads_attention_backward_fused(tg_node *node, tg_tensor *g,
                                           tg_tensor **grads) {
  const heads_args *a = tg_node_args(node);
  tg_tensor *in[3], *d[3], *w = tg_saved(node, 0);
  for (int i = 0; i < 3; i++) in[i] = tg_node_input(node, a->in[i]);
  if (tg_numel(w) == 0 || tg_numel(g) == 0) { /* an empty batch: the ops handle it */
    heads_attention_backward(node, g, grads);
    return;
  }
  heads_sizes z = sizes_of(a, in[0], in[1]);
  tg_tensor *packed = a->in[1] == 0 ? heads_grad_like(in[0]) : NULL;
  for (int i = 0; i < 3; i++) d[i] = packed ? packed : heads_grad_like(in[i]);
  per_head q = projection(a, in[0], 0), k = projection(a, in[1], 1),
           v = projection(a, in[2], 2), dq = projection(a, d[0], 0),
           dk = projection(a, d[1], 1), dv = projection(a, d[2], 2),
           go = heads_output(a, tg_contiguous(g)), W = weights_of(w, z.H);
  tg_tensor *ds = tg_alloc(tg_shape_of(w), w->dtype);
  per_head dS = weights_of(ds, z.H);
  tg_dtype dt = w->dtype;
  head_products(dt, z.N, z.H, z.L, z.S, z.dh, go, transposed_rows(v, z, dt), dS);
  head_products(dt, z.N, z.H, z.S, z.dh, z.L, transposed_heads(W), go, dv);
  sm_rows r = rows_of(w);
  r.scale = z.alpha;
  softmax_grad_rows(&r, ds, w, ds);
  head_products(dt, z.N, z.H, z.L, z.dh, z.S, dS, k, dq);
  head_products(dt, z.N, z.H, z.S, z.dh, z.L, transposed_heads(dS), q, dk);
  if (packed) {
    if (tg_needs_input_grad(node, 0)) grads[0] = packed;
    return;
  }
  heads_input_grads(node, a, d, grads);
}

/* PyTorch's grad_fn of the merged heads: the bmm of weights and v */
const tg_op tg_op_heads_attention = {
    .name = "bmm",
    .backward = heads_attention_backward,
    .backward_fused = heads_attention_backward_fused,
    .args_size = sizeof(heads_args),
    .keeps_inputs = TG_KEEPS(TG_INPUT(0) | TG_INPUT(1) | TG_INPUT(2), 0)};

tg_tensor *tg_nn_heads_attention(tg_tensor *q, tg_tensor *k, tg_tensor *v, int64_t heads,
                                 tg_tensor *mask, bool batch_major) {
  bool packed = !k;
  int64_t E = q->shape[2] / (packed ? 3 : 1);
  heads_args a = {heads, E, batch_major, mask != NULL};
  tg_scope_begin();
  tg_tensor *in[3] = {tg_contiguous(q), packed ? NULL : tg_contiguous(k),
                      packed ? NULL : tg_contiguous(v)};
  for (int i = 0; i < 3; i++) {
    a.in[i] = packed ? 0 : i;
    a.col[i] = packed ? i * E : 0;
  }
  tg_tensor *q_in = in[a.in[0]], *k_in = in[a.in[1]];
  heads_sizes z = sizes_of(&a, q_in, k_in);
  tg_dtype dt = q->dtype;
  tg_tensor *w = tg_alloc(TG_SHAPE(z.N * z.H, z.L, z.S), dt);
  tg_tensor *out =
      tg_alloc(batch_major ? TG_SHAPE(z.N, z.L, E) : TG_SHAPE(z.L, z.N, E), dt);
  per_head W = weights_of(w, z.H);
  head_products(dt, z.N, z.H, z.L, z.S, z.dh, projection(&a, q_in, 0),
                transposed_rows(projection(&a, k_in, 1), z, dt), W);
  sm_rows r = rows_of(w);
  r.scale = z.alpha;
  if (mask && r.len > 0) r.mask_rows = tg_numel(mask) / r.len;
  if (tg_numel(w) > 0) softmax_rows(&r, w, mask, w); /* none: an empty batch */
  head_products(dt, z.N, z.H, z.L, z.dh, z.S, W, projection(&a, in[a.in[2]], 2),
                heads_output(&a, out));
  tg_node *node = tg_record(&tg_op_heads_attention, out, packed ? 1 : 3, in);
  if (node) {
    *(heads_args *)tg_node_args(node) = a;
    tg_save(node, w);
    if (mask) tg_save(node, mask);
  }
  return tg_scope_return(out);
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

/* The q, k, v projections: one GEMM for self-attention, as
 * _in_projection_packed, whose result is returned packed (in[0], q, k, v
 * in its columns 0, E, 2E; returns 1); else three (returns 3). */
static int in_projection(const mha *a, tg_tensor *query, tg_tensor *key, tg_tensor *value,
                         tg_tensor **in) {
  int64_t E = a->embed_dim;
  tg_tensor *w = a->in_proj_weight, *b = a->in_proj_bias;
  if (query == key && key == value) {
    in[0] = tg_linear(query, w, b);
    return 1;
  }
  tg_tensor *x[3] = {query, key, value};
  for (int i = 0; i < 3; i++)
    in[i] =
        tg_linear(x[i], tg_narrow(w, 0, i * E, E), b ? tg_narrow(b, 0, i * E, E) : NULL);
  return 3;
}

/* (T, N, E) -> (N * heads, T, head_dim) */
static tg_tensor *split_heads(const mha *a, tg_tensor *x) {
  int64_t T = tg_size(x, 0), N = tg_size(x, 1);
  /* the head size spelled out: -1 is ambiguous for an empty sequence */
  return tg_transpose(tg_view(tg_contiguous(x),
                              TG_SHAPE(T, N * a->num_heads, a->embed_dim / a->num_heads)),
                      0, 1);
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
  tg_tensor *in[3], *q, *k, *v, *weights;
  if (in_projection(a, query, key, value, in) == 1) {
    q = tg_narrow(in[0], -1, 0, a->embed_dim);
    k = tg_narrow(in[0], -1, a->embed_dim, a->embed_dim);
    v = tg_narrow(in[0], -1, 2 * a->embed_dim, a->embed_dim);
  } else {
    q = in[0], k = in[1], v = in[2];
  }
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

/* Whether the heads can run as one op (tg_nn_heads_attention): no
 * attention weights asked for, no key padding mask or active dropout, a
 * mask that needs no gradient. */
static bool heads_fusable(const mha *a, bool training, const tg_tensor *kpm,
                          const tg_tensor *mask, tg_tensor **attn_weights,
                          const tg_tensor *query) {
  return !attn_weights && !kpm && (!training || a->dropout == 0) &&
         (!mask || !tg_requires_grad(mask)) &&
         (query->dtype == TG_FLOAT32 || query->dtype == TG_FLOAT64);
}

/* MultiheadAttention by tg_nn_heads_attention, in the input's own layout
 * (batch-major with batch_first: no transposes). */
static tg_tensor *mha_fused(const mha *a, tg_tensor *query, tg_tensor *key,
                            tg_tensor *value, tg_tensor *mask) {
  tg_scope_begin();
  bool batched = query->ndim == 3, batch_major = batched && a->batch_first;
  if (!batched) { /* one batch element, time-major; self-attention stays packed */
    bool self = query == key && key == value;
    query = tg_unsqueeze(query, 1);
    key = self ? query : tg_unsqueeze(key, 1);
    value = self ? query : tg_unsqueeze(value, 1);
  }
  tg_tensor *in[3];
  int n = in_projection(a, query, key, value, in);
  if (mask && mask->dtype == TG_BOOL)
    mask = tg_masked_fill(tg_zeros(tg_shape_of(mask), query->dtype), mask, -INFINITY);
  else if (mask)
    mask = tg_contiguous(tg_to(mask, query->dtype));
  tg_tensor *out =
      n == 1
          ? tg_nn_heads_attention(in[0], NULL, NULL, a->num_heads, mask, batch_major)
          : tg_nn_heads_attention(in[0], in[1], in[2], a->num_heads, mask, batch_major);
  tg_shape shape = tg_shape_of(out);
  out = tg_module_forward(
      a->out_proj, tg_view(out, TG_SHAPE(tg_numel(out) / a->embed_dim, a->embed_dim)));
  out = tg_view(out, shape);
  if (!batched) return tg_scope_return(tg_squeeze(out, 1));
  /* PyTorch's last op: a view of out_proj's result, or with batch_first its
   * transpose back */
  return tg_scope_return(batch_major ? tg_name_grad_fn(out, query, "TransposeBackward0")
                                     : out);
}

tg_tensor *tg_mha_forward(tg_module *m, tg_tensor *query, tg_tensor *key,
                          tg_tensor *value, tg_tensor *key_padding_mask,
                          tg_tensor *attn_mask, tg_tensor **attn_weights) {
  if (!m || m->vtable != &mha_vtable)
    tg_error("tg_mha_forward: module %s is not a MultiheadAttention",
             m ? m->vtable->type_name : "NULL");
  const mha *a = (const mha *)m;
  check_mha_inputs(a, query, key, value, key_padding_mask, attn_mask);
  bool batched = query->ndim == 3, self = query == key && key == value;
  if (heads_fusable(a, m->training, key_padding_mask, attn_mask, attn_weights, query))
    return mha_fused(a, query, key, value, attn_mask);
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
  if (embed_dim > INT64_MAX / 3) /* in_proj_weight has 3 * embed_dim rows */
    tg_error("tg_nn_multihead_attention: embed_dim (%lld) is too large: 3 * embed_dim "
             "does not fit in 64 bits",
             (long long)embed_dim);
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
