/* Tape nodes: what an op records so that backward can run later, and the
 * leaf-side API (requires_grad, retain_grad, .grad). */
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"

static int64_t node_counter;

/* Nodes of up to POOLED_INPUTS inputs share one block size and are reused
 * from a free list: a step records and frees the same few dozen nodes. */
enum { POOLED_INPUTS = 4, POOLED_ARGS = 128, POOL_LIMIT = 4096 };
static const size_t INPUT_BYTES = sizeof(tg_tensor *) + sizeof(uint64_t);

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

/* The node, its input pointers and versions, then its arguments (16-byte
 * aligned, hence the slack) in one block. */
static size_t node_block_bytes(int room, size_t args_size) {
  return sizeof(tg_node) + (size_t)room * INPUT_BYTES + args_size + 16;
}

static tg_node *node_block_new(int n_inputs, size_t args_size) {
  if (n_inputs > POOLED_INPUTS || args_size > POOLED_ARGS)
    return calloc(1, node_block_bytes(n_inputs, args_size));
  size_t bytes = node_block_bytes(POOLED_INPUTS, POOLED_ARGS);
  if (!node_pool) return calloc(1, bytes);
  pooled_node *p = node_pool;
  node_pool = p->next;
  node_pool_len--;
  memset(p, 0, bytes);
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
  node->input_versions = (uint64_t *)(node->inputs + n_inputs);
  uintptr_t args = (uintptr_t)(node->input_versions + n_inputs);
  node->args = (void *)((args + 15) & ~(uintptr_t)15);
  for (int i = 0; i < n_inputs; i++) {
    node->inputs[i] = tg_retain(inputs[i]);
    if (inputs[i]) node->input_versions[i] = inputs[i]->storage->version;
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

tg_tensor *tg_saved(tg_node *node, int i) {
  check_not_freed(node);
  if (i < 0 || i >= node->n_saved)
    tg_error("%s: no saved tensor %d (it saved %d)", node->op->name, i, node->n_saved);
  return node->saved[i];
}

tg_tensor *tg_saved_output(tg_node *node) {
  check_not_freed(node);
  if (!node->output_saved) tg_error("%s: the output was not saved", node->op->name);
  tg_tensor meta = node->output_meta;
  meta.storage = node->output_storage;
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

tg_tensor *tg_node_input(tg_node *node, int i) {
  check_not_freed(node);
  if (i < 0 || i >= node->n_inputs)
    tg_error("%s: no input %d (it has %d)", node->op->name, i, node->n_inputs);
  return node->inputs[i];
}

bool tg_needs_input_grad(const tg_node *node, int i) {
  return i >= 0 && i < node->n_inputs && node->inputs[i] &&
         node->inputs[i]->requires_grad;
}

void *tg_node_args(tg_node *node) {
  return node->args;
}

const char *tg_grad_fn_name(const tg_tensor *t) {
  return t->grad_fn ? t->grad_fn->op->name : NULL;
}

tg_tensor *tg_grad_destination(tg_node *node, int i) {
  tg_tensor *in = node->inputs[i];
  if (!node->grads_into_leaves || !in || in->grad_fn || !tg_needs_input_grad(node, i))
    return NULL;
  tg_tensor *grad = in->grad;
  if (!grad || grad->dtype != in->dtype || !tg_is_contiguous(grad) ||
      !tg_shape_equal(tg_shape_of(grad), tg_shape_of(in)))
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
             t->grad_fn->op->name);
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
  if (t->grad_fn) t->retains_grad = true;
}

void tg_zero_grad(tg_tensor *t, bool set_to_none) {
  if (!t->grad) return;
  if (set_to_none) {
    tg_release(t->grad);
    t->grad = NULL;
  } else {
    tg_zero_(t->grad);
  }
}

void tg_free_graph(tg_node *node) {
  for (int i = 0; i < node->n_inputs; i++) {
    tg_release(node->inputs[i]);
    node->inputs[i] = NULL;
  }
  for (int i = 0; i < node->n_saved; i++) {
    tg_release(node->saved[i]);
    node->saved[i] = NULL;
  }
  tg_storage_release(node->output_storage);
  node->output_storage = NULL;
  node->freed = true;
}
