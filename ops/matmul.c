/* Matrix products through cblas ?gemm: matmul with PyTorch's rules (1-D,
 * 2-D, batched with broadcast batch dims) and linear (x @ w^T + b as one
 * GEMM with the bias folded in as beta = 1). Transposed views go to BLAS
 * as CblasTrans with their own leading dimension; nothing is copied unless
 * a view has no BLAS layout at all (an expanded one, say). */
#include <cblas.h>
#include <pthread.h>
#include <limits.h>
#include <string.h>

#include "ops/ops.h"

/* A 2-D operand as BLAS sees it: base pointer, transpose flag, ld. */
typedef struct blas_operand {
  const char *data;
  CBLAS_TRANSPOSE trans;
  int ld;
} blas_operand;

static int64_t max64(int64_t a, int64_t b) {
  return a > b ? a : b;
}

/* The row-major layout of the last two dims of t, if BLAS can read it. */
static bool blas_layout(const tg_tensor *t, CBLAS_TRANSPOSE *trans, int64_t *ld) {
  int64_t rows = t->shape[t->ndim - 2], cols = t->shape[t->ndim - 1];
  int64_t rs = t->strides[t->ndim - 2], cs = t->strides[t->ndim - 1];
  /* a dim of size 1 has no meaningful stride: pick the one that fits */
  if ((cols == 1 || cs == 1) && (rows == 1 || rs >= max64(1, cols))) {
    *trans = CblasNoTrans;
    *ld = rows == 1 ? max64(1, cols) : rs;
    return *ld <= INT_MAX;
  }
  if ((rows == 1 || rs == 1) && (cols == 1 || cs >= max64(1, rows))) {
    *trans = CblasTrans;
    *ld = cols == 1 ? max64(1, rows) : cs;
    return *ld <= INT_MAX;
  }
  return false;
}

/* op(x)[r][c] sits at r * rs + c * cs elements from x.data */
static void operand_strides(blas_operand x, int64_t *rs, int64_t *cs) {
  *rs = x.trans == CblasNoTrans ? x.ld : 1;
  *cs = x.trans == CblasNoTrans ? 1 : x.ld;
}

/* Small float products in plain loops (gemm_small.c); false when BLAS
 * must take it. C = alpha a b + beta C, or + beta bias[j] when bias is
 * given (a row of that stride added to every row of C). */
static bool gemm_small(blas_operand a, blas_operand b, int64_t m, int64_t n, int64_t k,
                       double alpha, double beta, const float *bias, int64_t bias_stride,
                       char *c, int64_t ldc) {
  int64_t a_rs, a_cs, b_rs, b_cs;
  operand_strides(a, &a_rs, &a_cs);
  operand_strides(b, &b_rs, &b_cs);
  return tg_sgemm_small(m, n, k, (float)alpha, (const float *)a.data, a_rs, a_cs,
                        (const float *)b.data, b_rs, b_cs, (float)beta, bias, 0,
                        bias_stride, (float *)c, ldc);
}

/* Below this many multiply-adds a product runs on its caller's thread:
 * waking OpenBLAS's worker costs more than it saves there, and the woken
 * worker spins beside the pool's (the sequence rows' 2-thread steps were
 * slower than their 1-thread ones; bench/README.md). */
#define BLAS_SERIAL_MACS (1LL << 25)

static void gemm_raw(tg_dtype dtype, blas_operand a, blas_operand b, int m, int n, int k,
                     double alpha, double beta, char *c, int ldc) {
  if (dtype == TG_FLOAT32 && gemm_small(a, b, m, n, k, alpha, beta, NULL, 0, c, ldc))
    return;
  bool serial = (int64_t)m * n * k < BLAS_SERIAL_MACS;
  if (serial) tg_blas_serial_begin();
  tg_blas_begin();
  if (dtype == TG_FLOAT32)
    cblas_sgemm(CblasRowMajor, a.trans, b.trans, m, n, k, (float)alpha,
                (const float *)a.data, a.ld, (const float *)b.data, b.ld, (float)beta,
                (float *)c, ldc);
  else
    cblas_dgemm(CblasRowMajor, a.trans, b.trans, m, n, k, alpha, (const double *)a.data,
                a.ld, (const double *)b.data, b.ld, beta, (double *)c, ldc);
  tg_blas_end();
  if (serial) tg_blas_serial_end();
}

static void check_blas_size(const char *op, int64_t v) {
  if (v > INT_MAX) tg_error("%s: dimension %lld is too large for BLAS", op, (long long)v);
}

/* A view BLAS can read: t itself, or a contiguous copy (scope-owned). */
static tg_tensor *blas_ready(tg_tensor *t, blas_operand *op) {
  CBLAS_TRANSPOSE trans = CblasNoTrans;
  int64_t ld = 1;
  if (!blas_layout(t, &trans, &ld)) {
    t = tg_contiguous(tg_detach(t));
    blas_layout(t, &trans, &ld);
  }
  *op = (blas_operand){tg_ptr(t), trans, (int)ld};
  return t;
}

void tg_gemm(const tg_tensor *a, const tg_tensor *b, tg_tensor *out, double alpha,
             double beta) {
  int64_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
  if (m == 0 || n == 0) return;
  if (k == 0) {
    tg_mul_scalar_(out, beta);
    return;
  }
  check_blas_size("tg_gemm", m);
  check_blas_size("tg_gemm", n);
  check_blas_size("tg_gemm", k);
  tg_scope_begin();
  blas_operand pa, pb;
  blas_ready((tg_tensor *)a, &pa);
  blas_ready((tg_tensor *)b, &pb);
  gemm_raw(out->dtype, pa, pb, (int)m, (int)n, (int)k, alpha, beta, tg_ptr(out), (int)n);
  tg_scope_end();
}

/* op(X) given by element strides as a BLAS operand (one stride must be 1). */
static blas_operand strided_operand(const char *data, int64_t rs, int64_t cs,
                                    int64_t rows, int64_t cols) {
  if (cs == 1 && (rs >= cols || rows == 1))
    return (blas_operand){data, CblasNoTrans, (int)max64(max64(rs, cols), 1)};
  return (blas_operand){data, CblasTrans, (int)max64(max64(cs, rows), 1)};
}

void tg_gemm_batched(tg_dtype dtype, const tg_sgemm_batch *batch, int64_t m, int64_t n,
                     int64_t k, double alpha, const void *a, int64_t a_rs, int64_t a_cs,
                     const void *b, int64_t b_rs, int64_t b_cs, void *c, int64_t ldc) {
  if (dtype == TG_FLOAT32 && tg_sgemm_small_batched(batch, m, n, k, (float)alpha, a, a_rs,
                                                    a_cs, b, b_rs, b_cs, 0, c, ldc))
    return;
  int64_t size = (int64_t)tg_dtype_size(dtype);
  blas_operand pa = strided_operand(a, a_rs, a_cs, m, k),
               pb = strided_operand(b, b_rs, b_cs, k, n);
  for (int64_t o = 0; o < batch->count[0]; o++)
    for (int64_t i = 0; i < batch->count[1]; i++) {
      blas_operand ai = pa, bi = pb;
      ai.data += (o * batch->a[0] + i * batch->a[1]) * size;
      bi.data += (o * batch->b[0] + i * batch->b[1]) * size;
      char *ci = (char *)c + (o * batch->c[0] + i * batch->c[1]) * size;
      gemm_raw(dtype, ai, bi, (int)m, (int)n, (int)k, alpha, 0, ci, (int)ldc);
    }
}

/* ---- mm: the recorded op behind matmul for operands of 2 or more dims ---- */

/* Each operand is read (so kept: see keeps_inputs) only for the other's
 * gradient, as PyTorch saves them. */
static void mm_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *a = tg_node_input_meta(node, 0), *b = tg_node_input_meta(node, 1);
  if (tg_needs_input_grad(node, 0)) {
    tg_tensor *b_t = tg_transpose(tg_node_input(node, 1), -1, -2);
    grads[0] = tg_sum_to_size(tg_matmul(g, b_t), tg_shape_of(a));
  }
  if (!tg_needs_input_grad(node, 1)) return;
  a = tg_node_input(node, 0);
  if (b->ndim == 2 && a->ndim > 2) { /* one product over the folded batch */
    int64_t k = tg_size(a, -1), n = tg_size(b, -1);
    grads[1] =
        tg_matmul(tg_t(tg_reshape(a, TG_SHAPE(-1, k))), tg_reshape(g, TG_SHAPE(-1, n)));
  } else {
    grads[1] = tg_sum_to_size(tg_matmul(tg_transpose(a, -1, -2), g), tg_shape_of(b));
  }
}

const tg_op tg_op_mm = {.name = "mm",
                        .backward = mm_backward,
                        .keeps_inputs = TG_KEEPS(0, TG_INPUT(0) | TG_INPUT(1))};

static void mismatch(const char *op, const tg_tensor *a, const tg_tensor *b) {
  char sa[TG_SHAPE_STR_MAX], sb[TG_SHAPE_STR_MAX];
  tg_error("%s: shapes %s and %s cannot be multiplied", op,
           tg_shape_str(tg_shape_of(a), sa), tg_shape_str(tg_shape_of(b), sb));
}

static void check_operands(const char *op, const tg_tensor *a, const tg_tensor *b) {
  tg_use(a, op);
  tg_use(b, op);
  if (!tg_is_floating(a->dtype) || a->dtype != b->dtype)
    tg_error("%s: expected floating point operands of one dtype, got %s and %s", op,
             tg_dtype_name(a->dtype), tg_dtype_name(b->dtype));
}

/* Byte offset of batch element `i` (row-major over `batch`) in t. */
static int64_t batch_offset(const tg_tensor *t, tg_shape batch, int64_t i) {
  int lead = batch.ndim - (t->ndim - 2);
  int64_t off = 0;
  for (int d = batch.ndim - 1; d >= 0; d--) {
    int64_t idx = i % batch.d[d];
    i /= batch.d[d];
    int j = d - lead;
    if (j >= 0 && t->shape[j] != 1) off += idx * t->strides[j];
  }
  return off * (int64_t)tg_dtype_size(t->dtype);
}

/* Element stride of t along dim d of the broadcast batch (0 where t is
 * broadcast or lacks the dim). */
static int64_t batch_stride(const tg_tensor *t, tg_shape batch, int d) {
  int j = d - (batch.ndim - (t->ndim - 2));
  return j >= 0 && t->shape[j] != 1 ? t->strides[j] : 0;
}

/* Whether a's batch and rows are one run of rows (a stacked (count * m, k)
 * matrix) and b the same matrix for every product: then the batch can be
 * one GEMM, as PyTorch folds it. */
static bool folds(const tg_tensor *a, blas_operand pa, const tg_tensor *b, tg_shape batch,
                  int64_t m) {
  if (pa.trans != CblasNoTrans || tg_shape_numel(batch) * m > INT_MAX) return false;
  int64_t expected = m * pa.ld;
  for (int d = batch.ndim - 1; d >= 0; d--) {
    if (batch_stride(b, batch, d)) return false;
    if (batch.d[d] == 1) continue;
    if (batch_stride(a, batch, d) != expected) return false;
    expected *= batch.d[d];
  }
  return true;
}

/* The products of a float32 batch of at most two dims in one call to
 * gemm_small.c; false when it cannot take them. */
static bool batched_small(const tg_tensor *a, blas_operand pa, const tg_tensor *b,
                          blas_operand pb, tg_shape batch, int64_t m, int64_t n,
                          int64_t k, tg_tensor *out) {
  if (a->dtype != TG_FLOAT32 || batch.ndim > 2) return false;
  tg_sgemm_batch bt = {{1, 1}, {0, 0}, {0, 0}, {0, 0}};
  for (int d = 0; d < batch.ndim; d++) {
    int slot = d + 2 - batch.ndim;
    bt.count[slot] = batch.d[d];
    bt.a[slot] = batch_stride(a, batch, d);
    bt.b[slot] = batch_stride(b, batch, d);
  }
  bt.c[1] = m * n;
  bt.c[0] = bt.count[1] * m * n;
  int64_t a_rs, a_cs, b_rs, b_cs;
  operand_strides(pa, &a_rs, &a_cs);
  operand_strides(pb, &b_rs, &b_cs);
  return tg_sgemm_small_batched(&bt, m, n, k, 1, (const float *)pa.data, a_rs, a_cs,
                                (const float *)pb.data, b_rs, b_cs, 0,
                                (float *)tg_ptr(out), n);
}

/* out = a @ b over the batch: one batched call of small products (they read
 * the operands in place, where one folded GEMM would pack them: measured
 * faster on the transformer row's (32, 23, 256) x (256, 64)), else one GEMM
 * when the batch folds, else one GEMM per product. */
static void mm_products(tg_tensor *a, tg_tensor *b, tg_shape batch, int64_t m, int64_t n,
                        int64_t k, tg_tensor *out) {
  blas_operand pa, pb;
  tg_tensor *ra = blas_ready(a, &pa), *rb = blas_ready(b, &pb);
  int64_t count = tg_shape_numel(batch);
  if (batched_small(ra, pa, rb, pb, batch, m, n, k, out)) return;
  if (folds(ra, pa, rb, batch, m)) {
    gemm_raw(a->dtype, pa, pb, (int)(count * m), (int)n, (int)k, 1, 0, tg_ptr(out),
             (int)n);
    return;
  }
  int64_t out_step = m * n * (int64_t)tg_dtype_size(a->dtype);
  for (int64_t i = 0; i < count; i++) {
    blas_operand ai = pa, bi = pb;
    ai.data += batch_offset(ra, batch, i);
    bi.data += batch_offset(rb, batch, i);
    gemm_raw(a->dtype, ai, bi, (int)m, (int)n, (int)k, 1, 0, tg_ptr(out) + i * out_step,
             (int)n);
  }
}

static tg_tensor *mm(tg_tensor *a, tg_tensor *b) {
  int64_t m = a->shape[a->ndim - 2], k = a->shape[a->ndim - 1], n = b->shape[b->ndim - 1];
  if (b->shape[b->ndim - 2] != k) mismatch("tg_matmul", a, b);
  tg_shape batch_a = tg_shape_make(a->ndim - 2, a->shape),
           batch_b = tg_shape_make(b->ndim - 2, b->shape);
  tg_shape batch = tg_broadcast_shapes("tg_matmul", batch_a, batch_b);
  tg_shape shape = batch;
  shape.d[shape.ndim++] = m;
  shape.d[shape.ndim++] = n;
  check_blas_size("tg_matmul", max64(max64(m, n), k));
  /* beta = 0 writes every element; only an empty k leaves zeros to fill */
  tg_tensor *out = k ? tg_alloc(shape, a->dtype) : tg_zeros(shape, a->dtype);
  if (m && n && k && tg_shape_numel(batch)) {
    tg_scope_begin();
    mm_products(a, b, batch, m, n, k, out);
    tg_scope_end();
  }
  tg_tensor *inputs[2] = {a, b};
  tg_record(&tg_op_mm, out, 2, inputs);
  return out;
}

tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b) {
  check_operands("tg_matmul", a, b);
  if (a->ndim == 0 || b->ndim == 0)
    tg_error("tg_matmul: both arguments need at least 1 dimension, got %dD and %dD",
             a->ndim, b->ndim);
  if (a->ndim >= 2 && b->ndim >= 2) return mm(a, b);
  /* PyTorch's rule: a 1-D operand gains a dim of 1 that is removed again */
  if (a->ndim == 1 && b->ndim == 1 && a->shape[0] != b->shape[0])
    mismatch("tg_matmul", a, b);
  if (a->ndim == 1 && b->ndim >= 2 && a->shape[0] != b->shape[b->ndim - 2])
    mismatch("tg_matmul", a, b);
  if (b->ndim == 1 && a->ndim >= 2 && b->shape[0] != a->shape[a->ndim - 1])
    mismatch("tg_matmul", a, b);
  tg_scope_begin();
  tg_tensor *a2 = a->ndim == 1 ? tg_unsqueeze(a, 0) : a;
  tg_tensor *b2 = b->ndim == 1 ? tg_unsqueeze(b, 1) : b;
  tg_tensor *out = mm(a2, b2);
  if (b->ndim == 1) out = tg_squeeze(out, -1);
  if (a->ndim == 1) out = tg_squeeze(out, a->ndim == 1 && b->ndim == 1 ? 0 : -2);
  if (a->ndim == 1 && b->ndim == 1) tg_name_grad_fn(out, a, "DotBackward0");
  return tg_scope_return(out);
}

/* ---- linear ---- */

/* t (2-D) as a BLAS operand in place, or its transpose; false when BLAS
 * cannot read it without a copy. */
static bool operand_of(const tg_tensor *t, bool transpose, blas_operand *op) {
  CBLAS_TRANSPOSE trans;
  int64_t ld;
  if (t->ndim != 2 || !blas_layout(t, &trans, &ld)) return false;
  if (transpose) trans = trans == CblasNoTrans ? CblasTrans : CblasNoTrans;
  *op = (blas_operand){tg_ptr(t), trans, (int)ld};
  return true;
}

/* w_grad += g^T x, in place from g's and x's memory when the product is
 * small enough for gemm_small.c (no transposed view, no scope). */
static void add_weight_grad(tg_tensor *g, tg_tensor *x, tg_tensor *w_grad) {
  blas_operand pg, px;
  if (w_grad->dtype == TG_FLOAT32 && operand_of(g, true, &pg) &&
      operand_of(x, false, &px) &&
      gemm_small(pg, px, w_grad->shape[0], w_grad->shape[1], g->shape[0], 1, 1, NULL, 0,
                 tg_ptr(w_grad), w_grad->shape[1]))
    return;
  tg_gemm(tg_t(g), x, w_grad, 1, 1);
}

/* t (..., n) as a matrix (rows, n), the leading dims flattened; spelled
 * out, since (-1, n) is ambiguous when t is empty (no rows, or n = 0). */
static tg_tensor *as_rows(tg_tensor *t) {
  int64_t rows = 1;
  for (int d = 0; d < t->ndim - 1; d++) rows *= t->shape[d];
  return tg_reshape(t, TG_SHAPE(rows, t->shape[t->ndim - 1]));
}

/* x: (..., in), w: (out, in). The gradients are g w, g^T x (over all
 * leading dims flattened) and g summed over them. With `fused`, w's
 * gradient is added into an existing w.grad by the GEMM itself (beta = 1:
 * the same rounding as a temporary and an add, without the temporary). */
static void linear_grads(tg_node *node, tg_tensor *g, tg_tensor **grads, bool fused) {
  tg_tensor *g2 = g->ndim == 2 ? g : as_rows(g);
  /* x is read (so kept) only for w's gradient, w only for x's */
  if (tg_needs_input_grad(node, 0)) grads[0] = tg_matmul(g, tg_node_input(node, 1));
  if (tg_needs_input_grad(node, 1)) {
    tg_tensor *x = tg_node_input(node, 0), *x2 = x->ndim == 2 ? x : as_rows(x);
    tg_tensor *w_grad = fused ? tg_grad_destination(node, 1) : NULL;
    if (w_grad) {
      add_weight_grad(g2, x2, w_grad);
      tg_bump_version(w_grad);
    } else {
      grads[1] = tg_matmul(tg_t(g2), x2);
    }
  }
  if (tg_needs_input_grad(node, 2)) grads[2] = tg_sum(g2, TG_DIMS(0), false);
}

static void linear_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  linear_grads(node, g, grads, false);
}

static void linear_backward_fused(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  linear_grads(node, g, grads, true);
}

const tg_op tg_op_linear = {.name = "linear",
                            .backward = linear_backward,
                            .backward_fused = linear_backward_fused,
                            .keeps_inputs = TG_KEEPS(0, TG_INPUT(0) | TG_INPUT(1))};

static void check_linear(const tg_tensor *x, const tg_tensor *w, const tg_tensor *b) {
  char sx[TG_SHAPE_STR_MAX], sw[TG_SHAPE_STR_MAX];
  check_operands("tg_linear", x, w);
  if (w->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1])
    tg_error("tg_linear: input of shape %s and weight of shape %s cannot be multiplied "
             "(the input's last dim must equal the weight's in_features)",
             tg_shape_str(tg_shape_of(x), sx), tg_shape_str(tg_shape_of(w), sw));
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0] || b->dtype != w->dtype))
    tg_error("tg_linear: bias of shape %s (%s) does not match weight of shape %s (%s)",
             tg_shape_str(tg_shape_of(b), sx), tg_dtype_name(b->dtype),
             tg_shape_str(tg_shape_of(w), sw), tg_dtype_name(w->dtype));
}

/* out = x w^T + b straight from the tensors' memory when x is a 2-D
 * float32 matrix and the product is small: the moons step's first layer
 * runs this 500 times an epoch, so no views, detaches or scope around it. */
static bool linear_small_2d(tg_tensor *x, tg_tensor *w, tg_tensor *b, tg_tensor *out) {
  blas_operand px, pw;
  if (!b || out->dtype != TG_FLOAT32 || !operand_of(x, false, &px) ||
      !operand_of(w, true, &pw))
    return false;
  return gemm_small(px, pw, x->shape[0], w->shape[0], x->shape[1], 1, 1,
                    (const float *)tg_ptr(b), b->strides[0], tg_ptr(out), w->shape[0]);
}

/* out = x w^T + b for a float32 product small enough for gemm_small.c,
 * which adds the bias as it stores each tile (the same x w^T + b as BLAS
 * with beta = 1 on rows holding b, without copying b into them first). */
static bool linear_small(tg_tensor *x, tg_tensor *w_t, tg_tensor *b, tg_tensor *out) {
  if (out->dtype != TG_FLOAT32) return false;
  blas_operand px, pw;
  tg_scope_begin();
  blas_ready(x, &px);
  blas_ready(w_t, &pw);
  bool done =
      gemm_small(px, pw, out->shape[0], out->shape[1], x->shape[1], 1, 1,
                 (const float *)tg_ptr(b), b->strides[0], tg_ptr(out), out->shape[1]);
  tg_scope_end();
  return done;
}

static tg_tensor *record_linear(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                                tg_tensor *out) {
  tg_tensor *inputs[3] = {x, w, b};
  tg_record(&tg_op_linear, out, 3, inputs);
  /* PyTorch's F.linear: addmm with a bias, mm without (2-D input) */
  return b ? out : tg_name_grad_fn(out, x, "MmBackward0");
}

tg_tensor *tg_linear(tg_tensor *x, tg_tensor *w, tg_tensor *b) {
  check_linear(x, w, b);
  int64_t out_features = w->shape[0];
  tg_shape shape = tg_shape_of(x);
  shape.d[shape.ndim - 1] = out_features;
  tg_tensor *out = tg_alloc(shape, x->dtype);
  if (linear_small_2d(x, w, b, out)) return record_linear(x, w, b, out);
  tg_scope_begin();
  bool mode = tg_set_grad_enabled(false);
  tg_tensor *x2 = as_rows(tg_detach(x));
  tg_tensor *out2 = as_rows(tg_detach(out));
  tg_tensor *wt = tg_t(tg_detach(w));
  if (!(b && linear_small(x2, wt, b, out2))) {
    if (b)
      tg_copy_into(out2, b); /* every row starts as the bias: beta = 1 adds x @ w^T */
    tg_gemm(x2, wt, out2, 1, b ? 1 : 0);
  }
  tg_set_grad_enabled(mode);
  tg_scope_end();
  return record_linear(x, w, b, out);
}

/* OpenBLAS (pthreads build) stops its worker threads with this; the next
 * product big enough for several threads starts them again. Weak: other
 * builds lack it. */
extern void blas_thread_shutdown_(void) __attribute__((weak));

/* OpenBLAS's thread count and its workers must not change while another
 * thread is inside a product: blas_thread_shutdown_ then joined a worker
 * that waited for that product forever (a program whose second thread
 * called tg_set_num_threads hung). Products hold this lock shared, the
 * change exclusively; writers go first, so a thread computing product
 * after product cannot keep the change waiting. */
static pthread_rwlock_t blas_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

void tg_blas_begin(void) {
  pthread_rwlock_rdlock(&blas_lock);
}

void tg_blas_end(void) {
  pthread_rwlock_unlock(&blas_lock);
}

/* OpenBLAS's (pthreads build) thread count for its next products, set
 * directly: openblas_set_num_threads would restart the workers that
 * tg_set_num_threads stopped, and they spin in sched_yield beside the
 * pool's threads. Weak: with another BLAS nothing is changed. While serial
 * users are inside, blas_saved_threads holds the count they hide. */
extern int blas_cpu_number __attribute__((weak));
static pthread_mutex_t blas_serial_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_serial_users, blas_saved_threads;

void tg_blas_serial_begin(void) {
  if (!&blas_cpu_number) return;
  pthread_mutex_lock(&blas_serial_lock);
  if (blas_serial_users++ == 0) {
    blas_saved_threads = blas_cpu_number;
    blas_cpu_number = 1;
  }
  pthread_mutex_unlock(&blas_serial_lock);
}

void tg_blas_serial_end(void) {
  if (!&blas_cpu_number) return;
  pthread_mutex_lock(&blas_serial_lock);
  if (--blas_serial_users == 0) blas_cpu_number = blas_saved_threads;
  pthread_mutex_unlock(&blas_serial_lock);
}

void tg_set_num_threads(int n) {
  pthread_rwlock_wrlock(&blas_lock);
  openblas_set_num_threads(n < 1 ? 1 : n);
  if (&blas_cpu_number) { /* a serial user keeps OpenBLAS at 1 until it leaves */
    pthread_mutex_lock(&blas_serial_lock);
    if (blas_serial_users > 0) {
      blas_saved_threads = blas_cpu_number;
      blas_cpu_number = 1;
    }
    pthread_mutex_unlock(&blas_serial_lock);
  }
  tg_parallel_set_threads(n);
  /* The workers OpenBLAS starts when it loads spin on sched_yield for a
   * while before they sleep, taking cores from the calling thread whenever
   * there are no more cores than threads (bench/README.md has the numbers).
   * Products small enough for gemm_small.c never need them, and OpenBLAS
   * starts them again for the next big product. */
  if (blas_thread_shutdown_) blas_thread_shutdown_();
  pthread_rwlock_unlock(&blas_lock);
}
int tg_get_num_threads(void) {
  if (&blas_cpu_number) {
    pthread_mutex_lock(&blas_serial_lock);
    int n = blas_serial_users > 0 ? blas_saved_threads : blas_cpu_number;
    pthread_mutex_unlock(&blas_serial_lock);
    return n;
  }
  return openblas_get_num_threads();
}
