/* Indexing and joining: index_select, gather, scatter_add, masked_fill,
 * where, cat, stack. Differentiable in their floating inputs; indices and
 * masks are not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"

static void check_index_tensor(const char *op, const tg_tensor *index) {
  if (index->dtype != TG_INT64)
    tg_error("%s: expected an int64 index tensor, got %s", op,
             tg_dtype_name(index->dtype));
}

static int64_t checked_index(const char *op, int64_t i, int dim, int64_t size) {
  if (i < -size || i >= size)
    tg_error("%s: index %lld is out of bounds for dimension %d with size %lld", op,
             (long long)i, dim, (long long)size);
  return i < 0 ? i + size : i;
}

/* outer x size x inner decomposition of a contiguous tensor along dim */
static void split_at(const tg_tensor *t, int dim, int64_t *outer, int64_t *inner) {
  *outer = *inner = 1;
  for (int i = 0; i < dim; i++) *outer *= t->shape[i];
  for (int i = dim + 1; i < t->ndim; i++) *inner *= t->shape[i];
}

/* ---- index_select ---- */

/* The index laid along `dim` and expanded to `shape`, as scatter wants. */
static tg_tensor *index_along(tg_tensor *index, int dim, tg_shape shape) {
  tg_shape view = {shape.ndim, {0}};
  for (int i = 0; i < shape.ndim; i++) view.d[i] = i == dim ? index->shape[0] : 1;
  return tg_contiguous(tg_expand(tg_reshape(index, view), shape));
}

static void index_select_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input_meta(node, 0);
  int dim = tg_node_dim(node);
  tg_tensor *index = index_along(tg_saved(node, 0), dim, tg_shape_of(g));
  grads[0] = tg_scatter_add(tg_zeros_like(x), dim, index, g);
}

const tg_op tg_op_index_select = {.name = "index_select",
                                  .backward = index_select_backward,
                                  .args_size = sizeof(tg_dim_arg),
                                  .keeps_inputs = TG_KEEPS_NONE};

/* out row (o, k) = src row (o, ix[k]), rows of `row` bytes. */
TG_INLINE void gather_rows_of(char *out, const char *src, const int64_t *ix, int64_t n,
                              int64_t outer, int64_t size, size_t row) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < n; k++)
      memcpy(out + (size_t)(o * n + k) * row, src + (size_t)(o * size + ix[k]) * row,
             row);
}

/* A DataLoader's batch is a gather of short rows (a sample of 1 to 4
 * float features, a label): those get a copy of constant size, not a
 * memcpy call per row. */
static void gather_rows(char *out, const char *src, const int64_t *ix, int64_t n,
                        int64_t outer, int64_t size, size_t row) {
  if (row == 4)
    gather_rows_of(out, src, ix, n, outer, size, 4);
  else if (row == 8)
    gather_rows_of(out, src, ix, n, outer, size, 8);
  else if (row == 16)
    gather_rows_of(out, src, ix, n, outer, size, 16);
  else
    gather_rows_of(out, src, ix, n, outer, size, row);
}

tg_tensor *tg_index_select(tg_tensor *t, int dim, tg_tensor *index) {
  check_index_tensor("tg_index_select", index);
  if (index->ndim > 1)
    tg_error("tg_index_select: index must be 0-d or 1-d, got %d dims", index->ndim);
  if (t->ndim == 0) tg_error("tg_index_select: cannot index a 0-d tensor");
  int d = tg_wrap_dim("tg_index_select", dim, t->ndim);
  tg_scope_begin();
  tg_tensor *idx = tg_contiguous(tg_reshape(index, TG_SHAPE(-1)));
  tg_tensor *src = tg_contiguous(t);
  int64_t n = idx->shape[0], outer, inner, size = t->shape[d];
  split_at(t, d, &outer, &inner);
  tg_shape shape = tg_shape_of(t);
  shape.d[d] = n;
  tg_tensor *out = tg_alloc(shape, t->dtype);
  size_t row = (size_t)inner * tg_dtype_size(t->dtype);
  const int64_t *ix = (const int64_t *)tg_ptr(idx);
  for (int64_t k = 0; k < n; k++)
    if (ix[k] < 0 || ix[k] >= size) /* PyTorch's index_select takes no negatives */
      tg_error("tg_index_select: index out of range in self (index %lld for dimension "
               "%d with size %lld)",
               (long long)ix[k], d, (long long)size);
  gather_rows(tg_ptr(out), tg_ptr(src), ix, n, outer, size, row);
  tg_node *node = tg_record(&tg_op_index_select, out, 1, &t);
  if (node) {
    tg_save(node, idx);
    tg_node_set_dim(node, d);
  }
  return tg_scope_return(out);
}

/* ---- gather / scatter_add share one walk over the index ---- */

/* For every element of `index` (contiguous), calls visit with the offset of
 * that element in index layout and the offset of the element it selects in
 * a contiguous tensor of `target` shape. */
typedef void (*index_visit)(int64_t index_pos, int64_t target_pos, void *ctx);

static void walk_index(const char *op, const tg_tensor *index, tg_shape target, int dim,
                       index_visit visit, void *ctx) {
  int64_t n = tg_numel(index), counter[TG_MAX_DIMS] = {0};
  int64_t strides[TG_MAX_DIMS];
  tg_contiguous_strides(target, strides);
  const int64_t *ix = (const int64_t *)tg_ptr(index);
  for (int64_t pos = 0; pos < n; pos++) {
    int64_t target_pos = 0;
    for (int i = 0; i < index->ndim; i++) {
      int64_t c = i == dim ? checked_index(op, ix[pos], dim, target.d[dim]) : counter[i];
      target_pos += c * strides[i];
    }
    visit(pos, target_pos, ctx);
    for (int i = index->ndim - 1; i >= 0 && ++counter[i] == index->shape[i]; i--)
      counter[i] = 0;
  }
}

static void check_gather_shapes(const char *op, const tg_tensor *t, int dim,
                                const tg_tensor *index) {
  check_index_tensor(op, index);
  bool ok = index->ndim == t->ndim;
  for (int i = 0; ok && i < t->ndim; i++) ok = i == dim || index->shape[i] <= t->shape[i];
  if (!ok) {
    char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
    tg_error("%s: index %s must have the same number of dims as the input %s and be no "
             "larger outside dim %d",
             op, tg_shape_str(tg_shape_of(index), a), tg_shape_str(tg_shape_of(t), b),
             dim);
  }
}

typedef struct copy_ctx {
  char *dst;
  const char *src;
  size_t elem;
  tg_dtype dtype;
} copy_ctx;

static void gather_visit(int64_t index_pos, int64_t target_pos, void *ctx) {
  copy_ctx *c = ctx;
  memcpy(c->dst + (size_t)index_pos * c->elem, c->src + (size_t)target_pos * c->elem,
         c->elem);
}

static void scatter_add_visit(int64_t index_pos, int64_t target_pos, void *ctx) {
  copy_ctx *c = ctx;
  char *slot = c->dst + (size_t)target_pos * c->elem;
  tg_store(slot, c->dtype,
           tg_load(slot, c->dtype) +
               tg_load(c->src + (size_t)index_pos * c->elem, c->dtype));
}

static void gather_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input_meta(node, 0);
  grads[0] = tg_scatter_add(tg_zeros_like(x), tg_node_dim(node), tg_saved(node, 0), g);
}

const tg_op tg_op_gather = {.name = "gather",
                            .backward = gather_backward,
                            .args_size = sizeof(tg_dim_arg),
                            .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_gather(tg_tensor *t, int dim, tg_tensor *index) {
  int d = tg_wrap_dim("tg_gather", dim, t->ndim);
  check_gather_shapes("tg_gather", t, d, index);
  tg_scope_begin();
  tg_tensor *src = tg_contiguous(t), *idx = tg_contiguous(index);
  tg_tensor *out = tg_alloc(tg_shape_of(index), t->dtype);
  copy_ctx c = {tg_ptr(out), tg_ptr(src), tg_dtype_size(t->dtype), t->dtype};
  walk_index("tg_gather", idx, tg_shape_of(t), d, gather_visit, &c);
  tg_node *node = tg_record(&tg_op_gather, out, 1, &t);
  if (node) {
    tg_save(node, idx);
    tg_node_set_dim(node, d);
  }
  return tg_scope_return(out);
}

static void scatter_add_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0)) grads[0] = g;
  if (tg_needs_input_grad(node, 1))
    grads[1] = tg_gather(g, tg_node_dim(node), tg_saved(node, 0));
}

const tg_op tg_op_scatter_add = {.name = "scatter_add",
                                 .backward = scatter_add_backward,
                                 .args_size = sizeof(tg_dim_arg),
                                 .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_scatter_add(tg_tensor *t, int dim, tg_tensor *index, tg_tensor *src) {
  int d = tg_wrap_dim("tg_scatter_add", dim, t->ndim);
  check_gather_shapes("tg_scatter_add", t, d, index);
  if (!tg_shape_equal(tg_shape_of(index), tg_shape_of(src))) {
    char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
    tg_error("tg_scatter_add: index shape %s must equal src shape %s",
             tg_shape_str(tg_shape_of(index), a), tg_shape_str(tg_shape_of(src), b));
  }
  if (src->dtype != t->dtype)
    tg_error("tg_scatter_add: src (%s) must have the dtype of the input (%s)",
             tg_dtype_name(src->dtype), tg_dtype_name(t->dtype));
  tg_scope_begin();
  tg_tensor *out = tg_alloc(tg_shape_of(t), t->dtype);
  tg_copy_into(out, t);
  tg_tensor *idx = tg_contiguous(index), *values = tg_contiguous(src);
  copy_ctx c = {tg_ptr(out), tg_ptr(values), tg_dtype_size(t->dtype), t->dtype};
  walk_index("tg_scatter_add", idx, tg_shape_of(t), d, scatter_add_visit, &c);
  tg_tensor *inputs[2] = {t, src};
  tg_node *node = tg_record(&tg_op_scatter_add, out, 2, inputs);
  if (node) {
    tg_save(node, idx);
    tg_node_set_dim(node, d);
  }
  return tg_scope_return(out);
}

/* ---- where / masked_fill ---- */

static void where_loop(char **p, const int64_t *s, int64_t n, void *ctx) {
  size_t elem = *(const size_t *)ctx;
  for (int64_t i = 0; i < n; i++) {
    bool c = *(const bool *)(p[1] + i * s[1]);
    memcpy(p[0] + i * s[0], c ? p[2] + i * s[2] : p[3] + i * s[3], elem);
  }
}

static void where_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *cond = tg_saved(node, 0), *zero = tg_scalar(0, g->dtype);
  if (tg_needs_input_grad(node, 0))
    grads[0] =
        tg_sum_to_size(tg_where(cond, g, zero), tg_shape_of(tg_node_input_meta(node, 0)));
  if (tg_needs_input_grad(node, 1))
    grads[1] =
        tg_sum_to_size(tg_where(cond, zero, g), tg_shape_of(tg_node_input_meta(node, 1)));
}

const tg_op tg_op_where = {
    .name = "where", .backward = where_backward, .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_where(tg_tensor *condition, tg_tensor *a, tg_tensor *b) {
  if (condition->dtype != TG_BOOL)
    tg_error("tg_where: expected a bool condition, got %s",
             tg_dtype_name(condition->dtype));
  tg_shape shape = tg_broadcast_shapes("tg_where", tg_shape_of(a), tg_shape_of(b));
  shape = tg_broadcast_shapes("tg_where", tg_shape_of(condition), shape);
  tg_dtype dt = tg_promote(a->dtype, b->dtype);
  tg_scope_begin();
  tg_tensor *ca = tg_to(a, dt), *cb = tg_to(b, dt);
  tg_tensor *ops[4] = {tg_alloc(shape, dt), condition, ca, cb};
  size_t elem = tg_dtype_size(dt);
  tg_run_elementwise(shape, 4, ops, where_loop, &elem);
  tg_node *node = tg_record(&tg_op_where, ops[0], 2, ops + 2);
  if (node) tg_save(node, condition);
  return tg_scope_return(ops[0]);
}

tg_tensor *tg_masked_fill(tg_tensor *t, tg_tensor *mask, double value) {
  if (mask->dtype != TG_BOOL)
    tg_error("tg_masked_fill: expected a bool mask, got %s", tg_dtype_name(mask->dtype));
  tg_shape shape = tg_shape_of(t);
  if (!tg_shape_equal(tg_broadcast_shapes("tg_masked_fill", tg_shape_of(mask), shape),
                      shape)) {
    char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
    tg_error(
        "tg_masked_fill: mask of shape %s does not broadcast to the input's shape %s",
        tg_shape_str(tg_shape_of(mask), a), tg_shape_str(shape, b));
  }
  tg_scope_begin();
  tg_tensor *out = tg_where(mask, tg_scalar(value, t->dtype), t);
  return tg_scope_return(tg_name_grad_fn(out, t, "MaskedFillBackward0"));
}

/* ---- cat / stack ---- */

static void cat_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  int dim = tg_node_dim(node);
  int64_t offset = 0;
  for (int i = 0; i < node->n_inputs; i++) {
    int64_t size = tg_node_input_meta(node, i)->shape[dim];
    if (tg_needs_input_grad(node, i)) grads[i] = tg_narrow(g, dim, offset, size);
    offset += size;
  }
}

const tg_op tg_op_cat = {.name = "cat",
                         .backward = cat_backward,
                         .args_size = sizeof(tg_dim_arg),
                         .keeps_inputs = TG_KEEPS_NONE};

static tg_shape cat_shape(tg_tensor *const *tensors, int n, int dim) {
  tg_shape shape = tg_shape_of(tensors[0]);
  for (int i = 1; i < n; i++) {
    bool ok = tensors[i]->ndim == shape.ndim;
    for (int k = 0; ok && k < shape.ndim; k++)
      ok = k == dim || tensors[i]->shape[k] == shape.d[k];
    if (!ok) {
      char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
      tg_error("tg_cat: sizes of tensors must match except in dimension %d: tensor 0 has "
               "shape %s but tensor %d has shape %s",
               dim, tg_shape_str(tg_shape_of(tensors[0]), a), i,
               tg_shape_str(tg_shape_of(tensors[i]), b));
    }
    shape.d[dim] += tensors[i]->shape[dim];
  }
  return shape;
}

/* Whether cat_blocks can copy the inputs: contiguous and of dtype. */
static bool blocks_copyable(tg_tensor *const *tensors, int n, tg_dtype dtype) {
  for (int i = 0; i < n; i++)
    if (tensors[i]->dtype != dtype || !tg_is_contiguous(tensors[i])) return false;
  return true;
}

/* Copies blocks_copyable inputs into contiguous out along dim: out is
 * `outer` rows (the elements before dim), each the inputs' next rows side
 * by side (numel / outer elements of input i). The data loader stacks
 * every batch this way. */
static void cat_blocks(tg_tensor *const *tensors, int n, int dim, tg_tensor *out) {
  int64_t outer, inner;
  split_at(out, dim, &outer, &inner);
  if (outer == 0 || tg_numel(out) == 0) return;
  size_t elem = tg_dtype_size(out->dtype);
  char *dst = tg_ptr(out);
  if (outer == 1) { /* stacking samples: each input is one block */
    for (int i = 0; i < n; i++) {
      const tg_tensor *t = tensors[i];
      size_t bytes = (size_t)tg_numel(t) * elem;
      memcpy(dst, (const char *)t->storage->data + t->offset * (int64_t)elem, bytes);
      dst += bytes;
    }
    return;
  }
  for (int64_t o = 0; o < outer; o++)
    for (int i = 0; i < n; i++) {
      size_t row = (size_t)(tg_numel(tensors[i]) / outer) * elem;
      memcpy(dst, tg_ptr(tensors[i]) + (size_t)o * row, row);
      dst += row;
    }
}

tg_tensor *tg_cat(tg_tensor *const *tensors, int n, int dim) {
  if (n <= 0) tg_error("tg_cat: expected a non-empty list of tensors");
  if (tensors[0]->ndim == 0)
    tg_error("tg_cat: zero-dimensional tensor 0 cannot be concatenated");
  int d = tg_wrap_dim("tg_cat", dim, tensors[0]->ndim);
  tg_shape shape = cat_shape(tensors, n, d);
  tg_dtype dt = tensors[0]->dtype;
  for (int i = 1; i < n; i++) dt = tg_promote(dt, tensors[i]->dtype);
  tg_scope_begin();
  tg_tensor *out = tg_alloc(shape, dt);
  if (blocks_copyable(tensors, n, dt)) {
    cat_blocks(tensors, n, d, out);
  } else {
    int64_t offset = 0;
    bool mode = tg_set_grad_enabled(false);
    for (int i = 0; i < n; i++) {
      tg_copy_into(tg_narrow(out, d, offset, tensors[i]->shape[d]), tensors[i]);
      offset += tensors[i]->shape[d];
    }
    tg_set_grad_enabled(mode);
  }
  tg_node *node = tg_record(&tg_op_cat, out, n, tensors);
  if (node) tg_node_set_dim(node, d);
  return tg_scope_return(out);
}

/* tg_shape_equal without copying both shapes out: a DataLoader batch
 * checks every sample. */
static bool same_shape(const tg_tensor *a, const tg_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return false;
  return true;
}

tg_tensor *tg_stack(tg_tensor *const *tensors, int n, int dim) {
  if (n <= 0) tg_error("tg_stack: expected a non-empty list of tensors");
  for (int i = 1; i < n; i++)
    if (!same_shape(tensors[i], tensors[0])) {
      char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
      tg_error(
          "tg_stack: stack expects each tensor to be equal size, but got %s at entry "
          "0 and %s at entry %d",
          tg_shape_str(tg_shape_of(tensors[0]), a),
          tg_shape_str(tg_shape_of(tensors[i]), b), i);
    }
  int d = tg_wrap_dim("tg_stack", dim, tensors[0]->ndim + 1);
  bool recorded = false;
  for (int i = 0; i < n; i++) recorded = recorded || tensors[i]->requires_grad;
  recorded = recorded && tg_is_grad_enabled();
  if (!recorded && tensors[0]->ndim < TG_MAX_DIMS &&
      blocks_copyable(tensors, n, tensors[0]->dtype)) { /* the batch path */
    tg_shape shape = tg_shape_of(tensors[0]);
    memmove(shape.d + d + 1, shape.d + d, sizeof(int64_t) * (size_t)(shape.ndim - d));
    shape.d[d] = n;
    shape.ndim++;
    tg_tensor *out = tg_alloc(shape, tensors[0]->dtype);
    cat_blocks(tensors, n, d, out);
    return out;
  }
  tg_scope_begin();
  tg_tensor **parts = malloc(sizeof(tg_tensor *) * (size_t)n);
  if (!parts) tg_error("tg_stack: out of memory");
  for (int i = 0; i < n; i++) parts[i] = tg_unsqueeze(tensors[i], d);
  tg_tensor *out = tg_cat(parts, n, d);
  free(parts);
  return tg_scope_return(tg_name_grad_fn(out, tensors[0], "StackBackward0"));
}
