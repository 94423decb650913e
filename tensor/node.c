/* Tape nodes: what an op records so that backward can run later, and the
 * leaf-side API (requires_grad, retain_grad, .grad). */
#include <ctype.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"

static int64_t node_counter;

/* Nodes of up to POOLED_INPUTS inputs share one block size and are reused
 * from a free list: a step records and frees the same few dozen nodes. */
enum { POOLED_INPUTS = 4, POOLED_ARGS = 128, POOL_LIMIT = 4096 };
static const size_t INPUT_BYTES =
    sizeof(tg_tensor *) + sizeof(tg_node *) + sizeof(uint64_t) + 2 * sizeof(bool);

typedef union pooled_node {
  tg_node node;
  union pooled_node *next;
} pooled_node;

/* Per thread, like every cache. */
static _Thread_local pooled_node *node_pool;
static _Thread_local int node_pool_len;

void tg_node_caches_free(void) {
  while (node_pool) {
    pooled_node *p = node_pool;
    node_pool = p->next;
    free(p);
  }
  node_pool_len = 0;
}

/* The node, its inputs (pointers, grad_fns, versions, requires_grad,
 * kept), its arguments (16-byte aligned, hence the slack), then the header
 * copies of unkept inputs (8-byte aligned) in one block. Only the part up
 * to the arguments needs zeroing: a header copy is written whole when made. */
static size_t node_zeroed_bytes(int room, size_t args_size) {
  return sizeof(tg_node) + (size_t)room * INPUT_BYTES + 16 + args_size;
}

static size_t node_block_bytes(int room, size_t args_size) {
  return node_zeroed_bytes(room, args_size) + 8 + (size_t)room * sizeof(tg_tensor);
}

static tg_node *node_block_new(int n_inputs, size_t args_size) {
  if (n_inputs > POOLED_INPUTS || args_size > POOLED_ARGS)
    return calloc(1, node_block_bytes(n_inputs, args_size));
  if (!node_pool) return calloc(1, node_block_bytes(POOLED_INPUTS, POOLED_ARGS));
  pooled_node *p = node_pool;
  node_pool = p->next;
  node_pool_len--;
  /* only the part this node uses: nothing reads past its arguments */
  memset(p, 0, node_zeroed_bytes(n_inputs, args_size));
  return &p->node;
}

static bool node_block_pooled(const tg_node *node) {
  return node->n_inputs <= POOLED_INPUTS && node->op->args_size <= POOLED_ARGS;
}

void tg_node_block_free(tg_node *node) {
  if (node_block_pooled(node) && node_pool_len < POOL_LIMIT && tg_caching_enabled()) {
    tg_thread_caches_in_use();
    pooled_node *p = (pooled_node *)node;
    p->next = node_pool;
    node_pool = p;
    node_pool_len++;
    return;
  }
  free(node);
}

/* Whether the node keeps input i (see tg_op.keeps_inputs): its backward
 * reads it, or it is a leaf whose .grad the gradient goes to. Inputs past
 * the masks' 15 bits are always kept. */
static bool keeps_input(const tg_node *node, int i) {
  unsigned declared = node->op->keeps_inputs;
  if (!(declared & TG_KEEPS_DECLARED) || i >= 15) return true;
  const tg_tensor *in = node->inputs[i];
  if (!in->grad_fn && in->requires_grad) return true;
  if (declared & TG_INPUT(i)) return true;
  if (!(declared & (TG_INPUT(i) << 15))) return false;
  for (int k = 0; k < node->n_inputs; k++)
    if (k != i && node->input_requires_grad[k]) return true;
  return false;
}

/* Input i as a header the node owns: shape, dtype and grad_fn, no data. */
static tg_tensor *input_meta(tg_node *node, int i) {
  tg_tensor *meta = &node->input_metas[i];
  *meta = *node->inputs[i];
  meta->refcount = 0; /* never retained or released */
  meta->storage = NULL;
  meta->grad = NULL;
  meta->grad_fn = node->input_fns[i];
  meta->checked = NULL; /* the copy is not the tensor checked mode tracks */
  return meta;
}

tg_node *tg_record(const tg_op *op, tg_tensor *output, int n_inputs,
                   tg_tensor *const *inputs) {
  if (!tg_is_grad_enabled()) return NULL;
  bool any = false;
  for (int i = 0; i < n_inputs; i++) any = any || (inputs[i] && inputs[i]->requires_grad);
  if (!any) return NULL;
  tg_node *node = node_block_new(n_inputs, op->args_size);
  if (!node) tg_error("%s: out of memory recording the op", op->name);
  node->refcount = 1;
  node->op = op;
  node->n_inputs = n_inputs;
  node->inputs = (tg_tensor **)(node + 1);
  node->input_fns = (tg_node **)(node->inputs + n_inputs);
  node->input_versions = (uint64_t *)(node->input_fns + n_inputs);
  node->input_requires_grad = (bool *)(node->input_versions + n_inputs);
  node->input_kept = node->input_requires_grad + n_inputs;
  uintptr_t args = (uintptr_t)(node->input_kept + n_inputs);
  node->args = (void *)((args + 15) & ~(uintptr_t)15);
  uintptr_t metas = (uintptr_t)node->args + op->args_size;
  node->input_metas = (tg_tensor *)((metas + 7) & ~(uintptr_t)7);
  for (int i = 0; i < n_inputs; i++) {
    node->inputs[i] = inputs[i];
    if (!inputs[i]) continue;
    node->input_versions[i] = inputs[i]->storage->version;
    node->input_requires_grad[i] = inputs[i]->requires_grad;
    node->input_fns[i] = inputs[i]->grad_fn;
    tg_node_retain(node->input_fns[i]);
  }
  for (int i = 0; i < n_inputs; i++) {
    if (!inputs[i]) continue;
    node->input_kept[i] = keeps_input(node, i);
    node->inputs[i] = node->input_kept[i] ? tg_retain(inputs[i]) : input_meta(node, i);
  }
  node->seq = __atomic_fetch_add(&node_counter, 1, __ATOMIC_RELAXED);
  output->grad_fn = node;
  output->requires_grad = true;
  return node;
}

void tg_save(tg_node *node, tg_tensor *t) {
  if (node->n_saved == TG_NODE_MAX_SAVED)
    tg_error("%s: more than %d saved tensors", node->op->name, TG_NODE_MAX_SAVED);
  node->saved_versions[node->n_saved] = t->storage->version;
  node->saved[node->n_saved++] = tg_retain(t);
}

/* The output owns the node, so the node keeps the output's storage and
 * geometry rather than a reference to the output itself (no cycle). */
void tg_save_output(tg_node *node, tg_tensor *output) {
  node->output_meta = *output;
  node->output_meta.grad = NULL;
  node->output_meta.grad_fn = NULL;
  node->output_meta.storage = NULL;
  node->output_meta.checked = NULL; /* the copy is not the tensor checked mode tracks */
  node->output_storage = output->storage;
  node->output_version = output->storage->version;
  tg_storage_retain(output->storage);
  node->output_saved = true;
}

static void check_not_freed(const tg_node *node) {
  if (node->freed)
    tg_error("%s: trying to backward through the graph a second time (or to use "
             "saved tensors after they were freed); pass TG_RETAIN_GRAPH to the "
             "first tg_backward if you need to backward twice",
             node->op->name);
}

static const char *torch_type(tg_dtype dtype) {
  static const char *names[] = {"torch.BoolTensor", "torch.LongTensor",
                                "torch.FloatTensor", "torch.DoubleTensor"};
  return names[dtype];
}

/* PyTorch's check when backward unpacks a saved variable: the tensor's
 * storage must be at the version it had when it was saved. `maker` is the
 * node whose output it is (NULL for a leaf). */
static void check_version(const tg_node *node, const tg_tensor *t, uint64_t version,
                          uint64_t expected, const tg_node *maker) {
  if (version == expected) return;
  char shape[TG_SHAPE_STR_MAX] = "", of[128] = "";
  for (int d = 0, len = 0; d < t->ndim; d++)
    len += snprintf(shape + len, sizeof shape - (size_t)len, d ? ", %lld" : "%lld",
                    (long long)t->shape[d]);
  if (maker) snprintf(of, sizeof of, ", which is output 0 of %s,", tg_node_name(maker));
  tg_error("%s: one of the variables needed for gradient computation has been modified "
           "by an inplace operation: [%s [%s]]%s is at version %llu; expected version "
           "%llu instead. Hint: the in-place change happened after the op that saved "
           "it was recorded; clone the tensor before changing it.",
           tg_node_name(node), torch_type(t->dtype), shape, of,
           (unsigned long long)version, (unsigned long long)expected);
}

tg_tensor *tg_saved(tg_node *node, int i) {
  check_not_freed(node);
  if (i < 0 || i >= node->n_saved)
    tg_error("%s: no saved tensor %d (it saved %d)", node->op->name, i, node->n_saved);
  tg_tensor *t = node->saved[i];
  check_version(node, t, t->storage->version, node->saved_versions[i], t->grad_fn);
  return t;
}

tg_tensor *tg_saved_output(tg_node *node) {
  check_not_freed(node);
  if (!node->output_saved) tg_error("%s: the output was not saved", node->op->name);
  tg_tensor meta = node->output_meta;
  meta.storage = node->output_storage;
  check_version(node, &meta, meta.storage->version, node->output_version, node);
  tg_tensor *out = tg_alias(&meta, tg_shape_of(&meta), meta.strides, meta.offset);
  /* Under create_graph the backward is being recorded: the output must
   * lead back to this node, as the real output would. */
  if (tg_is_grad_enabled()) {
    tg_node_retain(node);
    out->grad_fn = node;
    out->requires_grad = true;
  }
  return out;
}

tg_tensor *tg_node_input_meta(tg_node *node, int i) {
  check_not_freed(node);
  if (i < 0 || i >= node->n_inputs)
    tg_error("%s: no input %d (it has %d)", node->op->name, i, node->n_inputs);
  return node->inputs[i];
}

tg_tensor *tg_node_input(tg_node *node, int i) {
  tg_tensor *t = tg_node_input_meta(node, i);
  if (t && !node->input_kept[i])
    tg_error("%s: the backward reads input %d, which the op does not keep; declare it "
             "in the op's keeps_inputs",
             tg_node_name(node), i);
  if (t) check_version(node, t, t->storage->version, node->input_versions[i], t->grad_fn);
  return t;
}

bool tg_needs_input_grad(const tg_node *node, int i) {
  return i >= 0 && i < node->n_inputs && node->inputs[i] && node->input_requires_grad[i];
}

void *tg_node_args(tg_node *node) {
  return node->args;
}

const char *tg_grad_fn_name(const tg_tensor *t) {
  return t->grad_fn ? tg_node_name(t->grad_fn) : NULL;
}

/* Built-in ops whose PyTorch name is not their own name in CamelCase. */
static const struct {
  const char *op, *torch;
} torch_names[] = {
    {"log1p", "Log1PBackward0"},
    {"pow_scalar", "PowBackward0"},
    {"pow", "PowBackward1"},
    {"clamp", "ClampBackward1"},
    {"max_all", "MaxBackward1"},
    {"min_all", "MinBackward1"},
    {"to", "ToCopyBackward0"},
    {"linear", "AddmmBackward0"},
    {"cross_entropy", "NllLossBackward0"},
    {"max_pool2d", "MaxPool2DWithIndicesBackward0"},
    {"max_pool2d_backward", "MaxPool2DWithIndicesBackwardBackward0"},
    {"adaptive_max_pool2d", "AdaptiveMaxPool2DBackward0"},
    {"avg_pool2d", "AvgPool2DBackward0"},
    {"avg_pool2d_backward", "AvgPool2DBackwardBackward0"},
    {"adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0"},
    {"adaptive_avg_pool2d_backward", "AdaptiveAvgPool2DBackwardBackward0"},
    {"adaptive_max_pool2d_backward", "AdaptiveMaxPool2DBackwardBackward0"},
};

/* "log_softmax" -> "LogSoftmaxBackward0": PyTorch's pattern. Each op's
 * name is built once and kept (ops are static, a few dozen); threads name
 * nodes at once (tg_print, error messages), so the cache is locked. */
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *camel_name_locked(const tg_op *op) {
  enum { MAX_OPS = 256, LEN = 64 };
  static const tg_op *ops[MAX_OPS];
  static char names[MAX_OPS][LEN];
  static int n_ops;
  for (int i = 0; i < n_ops; i++)
    if (ops[i] == op) return names[i];
  if (n_ops == MAX_OPS) return op->name;
  char *name = names[n_ops];
  size_t len = 0;
  bool upper = true;
  for (const char *c = op->name; *c && len + 10 < LEN; c++) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    name[len++] = upper ? (char)toupper((unsigned char)*c) : *c;
    upper = false;
  }
  snprintf(name + len, LEN - len, "Backward0");
  ops[n_ops++] = op;
  return name;
}

static const char *camel_name(const tg_op *op) {
  pthread_mutex_lock(&names_lock);
  const char *name = camel_name_locked(op);
  pthread_mutex_unlock(&names_lock);
  return name;
}

/* A name that starts in upper case is PyTorch's already (the in-place ops',
 * or a custom op's). */
const char *tg_node_name(const tg_node *node) {
  if (node->torch_name) return node->torch_name;
  const char *name = node->op->name;
  if (isupper((unsigned char)name[0])) return name;
  for (size_t i = 0; i < sizeof torch_names / sizeof torch_names[0]; i++)
    if (strcmp(torch_names[i].op, name) == 0) return torch_names[i].torch;
  return camel_name(node->op);
}

tg_tensor *tg_name_grad_fn(tg_tensor *out, const tg_tensor *src, const char *torch_name) {
  if (out->grad_fn && out->grad_fn != src->grad_fn) out->grad_fn->torch_name = torch_name;
  return out;
}

tg_tensor *tg_grad_destination(tg_node *node, int i) {
  tg_tensor *in = node->inputs[i];
  if (!node->grads_into_leaves || !in || in->grad_fn || !tg_needs_input_grad(node, i))
    return NULL;
  tg_tensor *grad = in->grad;
  if (!grad || grad->dtype != in->dtype || !tg_is_contiguous(grad) ||
      !tg_same_shape(grad, in))
    return NULL;
  return grad;
}

/* ---- leaves and gradients ---- */

bool tg_is_leaf(const tg_tensor *t) {
  return t->grad_fn == NULL;
}
bool tg_requires_grad(const tg_tensor *t) {
  return t->requires_grad;
}
tg_tensor *tg_grad(const tg_tensor *t) {
  return t->grad;
}

tg_tensor *tg_requires_grad_(tg_tensor *t, bool requires_grad) {
  if (t->grad_fn)
    tg_error("tg_requires_grad_: you can only change requires_grad of leaf tensors; "
             "this one is the output of '%s' (use tg_detach first)",
             tg_node_name(t->grad_fn));
  if (requires_grad && !tg_is_floating(t->dtype))
    tg_error("tg_requires_grad_: only tensors of floating point dtype can require "
             "gradients, got %s",
             tg_dtype_name(t->dtype));
  t->requires_grad = requires_grad;
  return t;
}

void tg_retain_grad(tg_tensor *t) {
  if (!t->requires_grad)
    tg_error("tg_retain_grad: can't retain the gradient of a tensor that does not "
             "require grad");
  if (!t->grad_fn) return;
  t->retains_grad = true;
  t->grad_fn->retained_by = t;
}

void tg_node_forget_output(tg_tensor *t) {
  if (t->grad_fn && t->grad_fn->retained_by == t) t->grad_fn->retained_by = NULL;
}

void tg_zero_grad(tg_tensor *t, bool set_to_none) {
  if (!t->grad) return;
  if (set_to_none) {
    tg_release(t->grad);
    t->grad = NULL;
  } else if (t->grad->requires_grad) { /* recorded (create_graph): detach, as PyTorch */
    tg_tensor *zeros = tg_retain(tg_zeros_like(t->grad));
    tg_release(t->grad);
    t->grad = zeros;
  } else {
    tg_zero_(t->grad);
  }
}

void tg_free_graph(tg_node *node) {
  for (int i = 0; i < node->n_inputs; i++) {
    if (node->input_kept[i]) tg_release(node->inputs[i]);
    node->input_kept[i] = false;
    node->inputs[i] = NULL;
    tg_node_release(node->input_fns[i]);
    node->input_fns[i] = NULL;
  }
  for (int i = 0; i < node->n_saved; i++) {
    tg_release(node->saved[i]);
    node->saved[i] = NULL;
  }
  tg_storage_release(node->output_storage);
  node->output_storage = NULL;
  node->freed = true;
}
