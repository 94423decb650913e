/* Views: new geometry over the same storage, no copy. Four recorded ops
 * cover them all: "view" (view, reshape, squeeze, unsqueeze, flatten; its
 * gradient is reshaped back), "permute" (transpose, t, permute), "expand"
 * (gradient summed back) and "slice" (narrow, select; gradient placed into
 * zeros by "slice_backward"). */
#include <stdio.h>
#include <string.h>

#include "ops/ops.h"

static tg_tensor *make_view(tg_tensor *t, tg_shape shape, const int64_t *strides,
                            int64_t offset, const tg_op *op) {
  tg_tensor *out = tg_alias(t, shape, strides, offset);
  tg_record(op, out, 1, &t);
  return out;
}

/* ---- view / reshape ---- */

/* The view ops keep their input (whose storage the view shares anyway) and
 * read it version-checked: a base written in place after the view was taken
 * would make the view's gradient silently wrong (PyTorch regenerates the
 * view's grad_fn instead), so backward refuses, and ops/inplace.c walks from
 * a view to its base through these inputs. */
static void view_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_reshape(g, tg_shape_of(tg_node_input(node, 0)));
}

const tg_op tg_op_view = {
    .name = "view", .backward = view_backward, .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

/* Resolves one -1 and checks the element count. */
static tg_shape infer_shape(const char *op, const tg_tensor *t, tg_shape shape) {
  int64_t known = 1, numel = tg_numel(t);
  int infer = -1;
  for (int i = 0; i < shape.ndim; i++) {
    if (shape.d[i] == -1) {
      if (infer >= 0) tg_error("%s: only one dimension can be inferred", op);
      infer = i;
    } else if (shape.d[i] < 0) {
      tg_error("%s: invalid shape dimension %lld", op, (long long)shape.d[i]);
    } else if (__builtin_mul_overflow(known, shape.d[i], &known)) {
      char s[TG_SHAPE_STR_MAX];
      tg_error("%s: element count overflows 64 bits in shape %s", op,
               tg_shape_str(shape, s));
    }
  }
  if (infer >= 0 && known != 0 && numel % known == 0) shape.d[infer] = numel / known;
  if ((infer >= 0 && (known == 0 || numel % known != 0)) ||
      (infer < 0 && known != numel)) {
    char s[TG_SHAPE_STR_MAX];
    tg_error("%s: shape %s is invalid for input of size %lld", op, tg_shape_str(shape, s),
             (long long)numel);
  }
  return shape;
}

/* Strides that view t's elements at `shape` without a copy, when possible:
 * each run of old dims laid out back to back may be re-split freely. */
static bool view_strides(const tg_tensor *t, tg_shape shape, int64_t *out) {
  if (tg_is_contiguous(t) || tg_numel(t) == 0) {
    tg_contiguous_strides(shape, out);
    return true;
  }
  int view_d = shape.ndim - 1;
  int64_t chunk_stride = t->strides[t->ndim - 1], tensor_numel = 1, view_numel = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    tensor_numel *= t->shape[d];
    bool chunk_ends = d == 0 || (t->shape[d - 1] != 1 &&
                                 t->strides[d - 1] != tensor_numel * chunk_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || shape.d[view_d] == 1)) {
      out[view_d] = view_numel * chunk_stride;
      view_numel *= shape.d[view_d];
      view_d--;
    }
    if (view_numel != tensor_numel) return false;
    if (d > 0) {
      chunk_stride = t->strides[d - 1];
      tensor_numel = view_numel = 1;
    }
  }
  return view_d == -1;
}

tg_tensor *tg_view(tg_tensor *t, tg_shape shape) {
  shape = infer_shape("tg_view", t, shape);
  int64_t strides[TG_MAX_DIMS];
  if (!view_strides(t, shape, strides)) {
    char sv[TG_SHAPE_STR_MAX], st[TG_SHAPE_STR_MAX], ss[TG_SHAPE_STR_MAX];
    tg_shape t_strides = tg_shape_make(t->ndim, t->strides);
    tg_error("tg_view: view size %s is not compatible with input tensor's size %s and "
             "stride %s (at least one dimension spans across two contiguous subspaces); "
             "use tg_reshape instead",
             tg_shape_str(shape, sv), tg_shape_str(tg_shape_of(t), st),
             tg_shape_str(t_strides, ss));
  }
  return make_view(t, shape, strides, t->offset, &tg_op_view);
}

tg_tensor *tg_reshape(tg_tensor *t, tg_shape shape) {
  shape = infer_shape("tg_reshape", t, shape);
  int64_t strides[TG_MAX_DIMS];
  if (view_strides(t, shape, strides))
    return tg_name_grad_fn(make_view(t, shape, strides, t->offset, &tg_op_view), t,
                           "ReshapeAliasBackward0");
  tg_scope_begin();
  return tg_scope_return(
      tg_name_grad_fn(tg_view(tg_clone(t), shape), t, "UnsafeViewBackward0"));
}

tg_tensor *tg_flatten(tg_tensor *t, int start_dim, int end_dim) {
  if (t->ndim == 0) return tg_reshape(t, TG_SHAPE(1));
  int start = tg_wrap_dim("tg_flatten", start_dim, t->ndim);
  int end = tg_wrap_dim("tg_flatten", end_dim, t->ndim);
  if (start > end)
    tg_error("tg_flatten: start_dim (%d) cannot come after end_dim (%d)", start, end);
  tg_shape s = {0, {0}};
  for (int i = 0; i < t->ndim; i++) {
    if (i > start && i <= end)
      s.d[s.ndim - 1] *= t->shape[i];
    else
      s.d[s.ndim++] = t->shape[i];
  }
  return tg_reshape(t, s);
}

tg_tensor *tg_squeeze(tg_tensor *t, int dim) {
  int d = tg_wrap_dim("tg_squeeze", dim, t->ndim);
  tg_shape s = tg_shape_of(t);
  if (t->ndim > 0 && t->shape[d] == 1) {
    memmove(s.d + d, s.d + d + 1, sizeof(int64_t) * (size_t)(s.ndim - d - 1));
    s.ndim--;
  }
  return tg_name_grad_fn(tg_reshape(t, s), t, "SqueezeBackward1");
}

tg_tensor *tg_squeeze_all(tg_tensor *t) {
  tg_shape s = {0, {0}};
  for (int i = 0; i < t->ndim; i++)
    if (t->shape[i] != 1) s.d[s.ndim++] = t->shape[i];
  return tg_name_grad_fn(tg_reshape(t, s), t, "SqueezeBackward0");
}

tg_tensor *tg_unsqueeze(tg_tensor *t, int dim) {
  int d = tg_wrap_dim("tg_unsqueeze", dim, t->ndim + 1);
  if (t->ndim == TG_MAX_DIMS)
    tg_error("tg_unsqueeze: tensors have at most %d dimensions", TG_MAX_DIMS);
  tg_shape s = tg_shape_of(t);
  memmove(s.d + d + 1, s.d + d, sizeof(int64_t) * (size_t)(s.ndim - d));
  s.d[d] = 1;
  s.ndim++;
  return tg_name_grad_fn(tg_reshape(t, s), t, "UnsqueezeBackward0");
}

/* ---- permute / transpose ---- */

typedef struct permute_args {
  int dims[TG_MAX_DIMS]; /* output dim i is input dim dims[i] */
} permute_args;

static void permute_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const permute_args *a = tg_node_args(node);
  tg_shape inverse = {g->ndim, {0}};
  for (int i = 0; i < g->ndim; i++) inverse.d[a->dims[i]] = i;
  grads[0] = tg_permute(g, inverse);
}

const tg_op tg_op_permute = {.name = "permute",
                             .backward = permute_backward,
                             .args_size = sizeof(permute_args),
                             .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_permute(tg_tensor *t, tg_shape dims) {
  if (dims.ndim != t->ndim) {
    char s[TG_SHAPE_STR_MAX];
    tg_error("tg_permute: number of dims don't match: the tensor has %d, got %d (%s)",
             t->ndim, dims.ndim, tg_shape_str(dims, s));
  }
  tg_shape shape = {t->ndim, {0}};
  int64_t strides[TG_MAX_DIMS];
  unsigned seen = 0;
  for (int i = 0; i < t->ndim; i++) {
    int d = tg_wrap_dim("tg_permute", dims.d[i], t->ndim);
    if (seen & (1u << d)) tg_error("tg_permute: repeated dim %d", d);
    seen |= 1u << d;
    shape.d[i] = t->shape[d];
    strides[i] = t->strides[d];
  }
  tg_tensor *out = tg_alias(t, shape, strides, t->offset);
  tg_node *node = tg_record(&tg_op_permute, out, 1, &t);
  if (node) {
    permute_args *a = tg_node_args(node);
    for (int i = 0; i < t->ndim; i++)
      a->dims[i] = tg_wrap_dim("tg_permute", dims.d[i], t->ndim);
  }
  return out;
}

tg_tensor *tg_transpose(tg_tensor *t, int dim0, int dim1) {
  tg_shape perm = {t->ndim, {0}};
  for (int i = 0; i < t->ndim; i++) perm.d[i] = i;
  if (t->ndim == 0) return tg_permute(t, perm);
  int a = tg_wrap_dim("tg_transpose", dim0, t->ndim),
      b = tg_wrap_dim("tg_transpose", dim1, t->ndim);
  perm.d[a] = b;
  perm.d[b] = a;
  return tg_name_grad_fn(tg_permute(t, perm), t, "TransposeBackward0");
}

tg_tensor *tg_t(tg_tensor *t) {
  if (t->ndim > 2)
    tg_error("tg_t: expects a tensor with <= 2 dimensions, but it has %d", t->ndim);
  return tg_name_grad_fn(t->ndim < 2 ? tg_transpose(t, 0, 0) : tg_transpose(t, 0, 1), t,
                         "TBackward0");
}

/* ---- expand ---- */

static void expand_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_sum_to_size(g, tg_shape_of(tg_node_input(node, 0)));
}

const tg_op tg_op_expand = {.name = "expand",
                            .backward = expand_backward,
                            .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

tg_tensor *tg_expand(tg_tensor *t, tg_shape shape) {
  char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
  if (shape.ndim < t->ndim)
    tg_error("tg_expand: the number of sizes provided (%d) must be greater or equal to "
             "the number of dimensions in the tensor (%d)",
             shape.ndim, t->ndim);
  int64_t strides[TG_MAX_DIMS];
  int lead = shape.ndim - t->ndim;
  for (int i = 0; i < shape.ndim; i++) {
    int j = i - lead;
    int64_t size = j >= 0 ? t->shape[j] : 1;
    if (shape.d[i] == -1) {
      if (j < 0) tg_error("tg_expand: -1 is not allowed in a leading, new dimension");
      shape.d[i] = size;
    }
    if (size != shape.d[i] && size != 1)
      tg_error(
          "tg_expand: the expanded size of the tensor (%lld) must match the existing "
          "size (%lld) at non-singleton dimension %d; target sizes %s, tensor sizes %s",
          (long long)shape.d[i], (long long)size, i, tg_shape_str(shape, a),
          tg_shape_str(tg_shape_of(t), b));
    strides[i] = (j < 0 || size != shape.d[i]) ? 0 : t->strides[j];
  }
  return make_view(t, shape, strides, t->offset, &tg_op_expand);
}

/* ---- slice / narrow / select ---- */

typedef struct slice_args {
  int dim;
  int64_t start, step;
  int64_t length; /* elements taken along dim */
} slice_args;

extern const tg_op tg_op_slice;

/* Records op (slice or its backward) with the slice's arguments. */
static void record_slice(const tg_op *op, tg_tensor *out, tg_tensor *in, slice_args s,
                         int64_t length) {
  tg_node *node = tg_record(op, out, 1, &in);
  if (node) {
    s.length = length;
    *(slice_args *)tg_node_args(node) = s;
  }
}

static tg_tensor *slice_view(tg_tensor *t, slice_args s, int64_t length) {
  tg_shape shape = tg_shape_of(t);
  int64_t strides[TG_MAX_DIMS];
  memcpy(strides, t->strides, sizeof strides);
  shape.d[s.dim] = length;
  strides[s.dim] *= s.step;
  int64_t offset = t->offset + (length > 0 ? s.start * t->strides[s.dim] : 0);
  tg_tensor *out = tg_alias(t, shape, strides, offset);
  record_slice(&tg_op_slice, out, t, s, length);
  return out;
}

static tg_tensor *slice_backward_op(tg_tensor *g, tg_shape input_shape, slice_args s);

static void slice_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  slice_args s = *(const slice_args *)tg_node_args(node);
  grads[0] = slice_backward_op(g, tg_shape_of(tg_node_input(node, 0)), s);
}

const tg_op tg_op_slice = {.name = "slice",
                           .backward = slice_backward,
                           .args_size = sizeof(slice_args),
                           .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

/* The gradient of slice: zeros with g written into the sliced positions.
 * Its own gradient is the same slice of the incoming gradient. */
static void slice_scatter_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  const slice_args *s = tg_node_args(node);
  grads[0] = tg_slice(g, s->dim, s->start, s->start + s->length * s->step, s->step);
}

const tg_op tg_op_slice_backward = {.name = "slice_backward",
                                    .backward = slice_scatter_backward,
                                    .args_size = sizeof(slice_args),
                                    .keeps_inputs = TG_KEEPS_NONE};

static tg_tensor *slice_backward_op(tg_tensor *g, tg_shape input_shape, slice_args s) {
  tg_tensor *out = tg_zeros(input_shape, g->dtype);
  int64_t length = g->shape[s.dim];
  tg_scope_begin();
  bool mode = tg_set_grad_enabled(false);
  tg_copy_into(slice_view(out, s, length), g);
  tg_set_grad_enabled(mode);
  tg_scope_end();
  record_slice(&tg_op_slice_backward, out, g, s, length);
  return out;
}

tg_tensor *tg_slice(tg_tensor *t, int dim, int64_t start, int64_t end, int64_t step) {
  if (t->ndim == 0) tg_error("tg_slice: cannot slice a 0-d tensor");
  int d = tg_wrap_dim("tg_slice", dim, t->ndim);
  if (step <= 0) tg_error("tg_slice: step must be positive, got %lld", (long long)step);
  int64_t size = t->shape[d];
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = start < 0 ? 0 : (start > size ? size : start);
  end = end < start ? start : (end > size ? size : end);
  int64_t length = (end - start + step - 1) / step;
  return slice_view(t, (slice_args){d, start, step, 0}, length);
}

tg_tensor *tg_narrow(tg_tensor *t, int dim, int64_t start, int64_t length) {
  if (t->ndim == 0) tg_error("tg_narrow: cannot narrow a 0-d tensor");
  int d = tg_wrap_dim("tg_narrow", dim, t->ndim);
  int64_t size = t->shape[d];
  if (start < 0) start += size;
  if (start < 0 || length < 0 || start + length > size)
    tg_error("tg_narrow: start (%lld) + length (%lld) exceeds dimension size (%lld)",
             (long long)start, (long long)length, (long long)size);
  return tg_slice(t, d, start, start + length, 1);
}

/* What select returns when nothing is recorded: one view without dim d
 * (a Dataset's __getitem__ runs this per sample, so no slice and squeeze
 * in between). */
static tg_tensor *select_view(tg_tensor *t, int d, int64_t index) {
  tg_shape shape = {t->ndim - 1, {0}};
  int64_t strides[TG_MAX_DIMS];
  for (int i = 0, j = 0; i < t->ndim; i++) {
    if (i == d) continue;
    shape.d[j] = t->shape[i];
    strides[j++] = t->strides[i];
  }
  return tg_alias(t, shape, strides, t->offset + index * t->strides[d]);
}

tg_tensor *tg_select(tg_tensor *t, int dim, int64_t index) {
  if (t->ndim == 0) tg_error("tg_select: cannot select from a 0-d tensor");
  int d = tg_wrap_dim("tg_select", dim, t->ndim);
  int64_t size = t->shape[d];
  if (index < -size || index >= size)
    tg_error("tg_select: index %lld is out of range for dimension %d with size %lld",
             (long long)index, d, (long long)size);
  if (index < 0) index += size;
  if (!(t->requires_grad && tg_is_grad_enabled())) return select_view(t, d, index);
  tg_scope_begin();
  tg_tensor *out = tg_squeeze(tg_slice(t, d, index, index + 1, 1), d);
  return tg_scope_return(tg_name_grad_fn(out, t, "SelectBackward0"));
}
