/* In-place writes (tg_add_, tg_mul_scalar_, tg_fill_, tg_zero_, tg_copy_,
 * tg_uniform_, tg_normal_, tg_set) and the tape, as in PyTorch:
 *
 *  - a leaf that requires grad, or a view of one, may only be written in
 *    place under no_grad (optimizers, initialisers); otherwise PyTorch's
 *    error;
 *  - any other tensor that takes part in autograd is rebased: the write is
 *    recorded as a node whose input is the tensor's old value, and that
 *    node becomes the tensor's grad_fn. Nodes recorded earlier keep their
 *    edge to the old grad_fn; if their backward reads the old values, the
 *    version check (tg_saved, tg_node_input) raises;
 *  - a view of a tensor in the graph is not rebased (PyTorch would rebase
 *    its base through CopySlices): the write is refused, never computed
 *    silently. */
#include <string.h>

#include "ops/ops.h"

/* The tensor a recorded view op (view, permute, expand, slice) was taken
 * from: its storage is the view's own. */
static const tg_tensor *view_source(const tg_tensor *t) {
  const tg_node *node = t->grad_fn;
  if (!node || node->inplace || node->n_inputs < 1 || !node->inputs[0]) return NULL;
  return node->inputs[0]->storage == t->storage ? node->inputs[0] : NULL;
}

/* Whether two elements of t share one memory location (a stride-0 dim of
 * more than one element: an expand), as PyTorch's has_internal_overlap. */
static bool internal_overlap(const tg_tensor *t) {
  for (int d = 0; d < t->ndim; d++)
    if (t->shape[d] > 1 && t->strides[d] == 0) return true;
  return false;
}

/* Whether a and b, both contiguous in one storage, share some but not all
 * of their elements (PyTorch decides only such simple cases too). */
static bool partial_overlap(const tg_tensor *a, const tg_tensor *b) {
  if (a->storage != b->storage || !tg_is_contiguous(a) || !tg_is_contiguous(b))
    return false;
  int64_t na = tg_numel(a), nb = tg_numel(b);
  if (na == 0 || nb == 0) return false;
  bool same = a->offset == b->offset && na == nb;
  return !same && a->offset < b->offset + nb && b->offset < a->offset + na;
}

bool tg_inplace_prepare(const char *fn, const tg_tensor *t, const tg_tensor *other) {
  /* whatever the grad mode: a write through these would compute garbage */
  if (internal_overlap(t))
    tg_error("%s: unsupported operation: more than one element of the written-to tensor "
             "refers to a single memory location. Please clone() the tensor before "
             "performing the operation.",
             fn);
  if (other && partial_overlap(t, other))
    tg_error("%s: unsupported operation: some elements of the input tensor and the "
             "written-to tensor refer to a single memory location. Please clone() the "
             "tensor before performing the operation.",
             fn);
  if (!tg_is_grad_enabled()) return false;
  bool other_requires_grad = other && other->requires_grad;
  if (!t->requires_grad && !other_requires_grad) return false;
  if (t->requires_grad && !t->grad_fn)
    tg_error("%s: a leaf Variable that requires grad is being used in an in-place "
             "operation.",
             fn);
  const tg_tensor *base = t;
  for (const tg_tensor *src = view_source(t); src; src = view_source(src)) base = src;
  if (base != t && !base->grad_fn)
    tg_error("%s: a view of a leaf Variable that requires grad is being used in an "
             "in-place operation.",
             fn);
  if (base != t)
    tg_error("%s: in-place write to a view of a tensor that requires grad is not "
             "supported (PyTorch rebases the view's base); write the base tensor, or "
             "clone the view first",
             fn);
  if (other && other != t && other->storage == t->storage)
    tg_error("%s: the source shares memory with the tensor written in place, whose "
             "graph it would then hold; clone it first",
             fn);
  if (!t->requires_grad && t->storage->refcount > 1)
    tg_error("%s: writing a tensor that requires grad in place into a tensor that "
             "shares its storage with others (a view, or a saved tensor) is not "
             "supported; clone it first",
             fn);
  return true;
}

tg_node *tg_inplace_record(const tg_op *op, tg_tensor *t, tg_tensor *other) {
  tg_scope_begin();
  tg_tensor *old = tg_alias(t, tg_shape_of(t), t->strides, t->offset);
  tg_node_forget_output(t);  /* t's .grad takes the new value's gradient */
  old->grad_fn = t->grad_fn; /* moves t's reference */
  old->requires_grad = t->requires_grad;
  t->grad_fn = NULL;
  /* t.add_(t): input 1 is the old value too (and no cycle t -> node -> t) */
  tg_tensor *inputs[2] = {old, other == t ? old : other};
  tg_node *node = tg_record(op, t, other ? 2 : 1, inputs);
  node->inplace = true;
  if (t->retains_grad) node->retained_by = t;
  tg_scope_end();
  return node;
}

/* ---- add_: t += alpha * other ---- */

typedef struct alpha_arg {
  double alpha;
} alpha_arg;

static void add_inplace_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  double alpha = ((const alpha_arg *)tg_node_args(node))->alpha;
  if (tg_needs_input_grad(node, 0)) grads[0] = g;
  if (tg_needs_input_grad(node, 1))
    grads[1] = tg_sum_to_size(alpha == 1 ? g : tg_mul_scalar(g, alpha),
                              tg_shape_of(tg_node_input_meta(node, 1)));
}

const tg_op tg_op_add_inplace = {.name = "AddBackward0",
                                 .backward = add_inplace_backward,
                                 .args_size = sizeof(alpha_arg),
                                 .keeps_inputs = TG_KEEPS_NONE};

/* ---- mul_ by a scalar ---- */

static void mul_inplace_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_mul_scalar(g, ((const alpha_arg *)tg_node_args(node))->alpha);
}

const tg_op tg_op_mul_inplace = {.name = "MulBackward0",
                                 .backward = mul_inplace_backward,
                                 .args_size = sizeof(alpha_arg),
                                 .keeps_inputs = TG_KEEPS_NONE};

/* ---- fill_, zero_, uniform_, normal_: the old values are gone ---- */

static void overwrite_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  (void)node;
  grads[0] = tg_zeros_like(g);
}

const tg_op tg_op_fill_inplace = {.name = "FillBackward2",
                                  .backward = overwrite_backward,
                                  .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_zero_inplace = {.name = "ZeroBackward0",
                                  .backward = overwrite_backward,
                                  .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_uniform_inplace = {.name = "UniformBackward0",
                                     .backward = overwrite_backward,
                                     .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_normal_inplace = {.name = "NormalBackward0",
                                    .backward = overwrite_backward,
                                    .keeps_inputs = TG_KEEPS_NONE};

/* ---- copy_: dst takes src's values (broadcast, converted) ---- */

static void copy_inplace_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  if (tg_needs_input_grad(node, 0)) grads[0] = tg_zeros_like(g);
  if (tg_needs_input_grad(node, 1))
    grads[1] = tg_sum_to_size(g, tg_shape_of(tg_node_input_meta(node, 1)));
}

const tg_op tg_op_copy_inplace = {.name = "CopyBackwards",
                                  .backward = copy_inplace_backward,
                                  .keeps_inputs = TG_KEEPS_NONE};

/* ---- set: one element overwritten ---- */

typedef struct index_arg {
  int64_t index[TG_MAX_DIMS];
} index_arg;

static void set_inplace_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *kept = tg_ones_like(g);
  tg_set(kept, ((const index_arg *)tg_node_args(node))->index, 0);
  grads[0] = tg_mul(g, kept);
}

const tg_op tg_op_set_inplace = {.name = "CopySlices",
                                 .backward = set_inplace_backward,
                                 .args_size = sizeof(index_arg),
                                 .keeps_inputs = TG_KEEPS_NONE};

void tg_inplace_set_args(tg_node *node, const int64_t *index, int ndim) {
  memcpy(((index_arg *)tg_node_args(node))->index, index, sizeof(int64_t) * (size_t)ndim);
}

void tg_inplace_set_alpha(tg_node *node, double alpha) {
  ((alpha_arg *)tg_node_args(node))->alpha = alpha;
}
