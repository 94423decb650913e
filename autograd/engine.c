/* The backward engine.
 *
 * 1. Collect the nodes reachable from the output's grad_fn in post-order
 *    (iteratively: a 10^6-op chain must not overflow the C stack).
 * 2. Walk them in reverse, so a node runs only after every consumer of its
 *    output has added its contribution to node->grad_accum.
 * 3. Each node's backward returns one gradient per input; it is delivered
 *    to the input's own grad_fn (a non-leaf) or accumulated into .grad (a
 *    leaf), like PyTorch's AccumulateGrad.
 * 4. Without TG_RETAIN_GRAPH a node's inputs and saved tensors are released
 *    as soon as it has run.
 */
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"

typedef struct node_list {
  tg_node **items;
  size_t len, cap;
} node_list;

static void list_push(node_list *l, tg_node *node) {
  if (l->len == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    tg_node **grown = realloc(l->items, cap * sizeof *grown);
    if (!grown) tg_error("tg_backward: out of memory sorting the graph");
    l->items = grown;
    l->cap = cap;
  }
  l->items[l->len++] = node;
}

static void check_not_freed(const tg_node *node) {
  if (node->freed)
    tg_error("tg_backward: trying to backward through the graph a second time "
             "(the saved tensors of '%s' were freed by the first backward); pass "
             "TG_RETAIN_GRAPH to the first tg_backward if you need to backward twice",
             node->op->name);
}

/* What one backward holds while it runs; an error releases it all. */
typedef struct walk {
  node_list order; /* retained nodes, post-order */
  node_list stack;
  size_t *next_input, next_cap;
} walk;

static void walk_free(void *arg) {
  walk *w = arg;
  for (size_t k = 0; k < w->order.len; k++) {
    tg_release(w->order.items[k]->grad_accum);
    w->order.items[k]->grad_accum = NULL;
    tg_node_release(w->order.items[k]);
  }
  free(w->order.items);
  free(w->stack.items);
  free(w->next_input);
  memset(w, 0, sizeof *w);
}

static void check_versions(const tg_node *node);

/* Post-order DFS without recursion. Every node in the order is retained,
 * so freeing graphs mid-walk cannot free a node still queued. Freed graphs
 * and stale saved tensors are found here, before any gradient moves. */
/* Pushes a node to visit, with its next-input cursor at 0. */
static void walk_push(walk *w, tg_node *node) {
  list_push(&w->stack, node);
  if (w->next_cap < w->stack.cap) {
    size_t *grown = realloc(w->next_input, w->stack.cap * sizeof *grown);
    if (!grown) tg_error("tg_backward: out of memory sorting the graph");
    w->next_input = grown;
    w->next_cap = w->stack.cap;
  }
  w->next_input[w->stack.len - 1] = 0;
}

static void topological_order(walk *w, tg_node *root) {
  static uint64_t last_mark; /* shared by threads: each walk takes a fresh one */
  uint64_t mark = __atomic_add_fetch(&last_mark, 1, __ATOMIC_RELAXED);
  check_not_freed(root);
  root->visit_mark = mark;
  walk_push(w, root);
  while (w->stack.len > 0) {
    size_t top = w->stack.len - 1;
    tg_node *node = w->stack.items[top];
    tg_node *child = NULL;
    while (w->next_input[top] < (size_t)node->n_inputs && !child) {
      tg_tensor *in = node->inputs[w->next_input[top]++];
      if (in && in->grad_fn && in->grad_fn->visit_mark != mark) child = in->grad_fn;
    }
    if (child) {
      check_not_freed(child);
      child->visit_mark = mark;
      walk_push(w, child);
    } else {
      check_versions(node);
      tg_node_retain(node);
      list_push(&w->order, node);
      w->stack.len--;
    }
  }
}

/* slot += g. A node's running sum may alias gradients handed to other
 * inputs, so it is only ever replaced, never written in place. */
static void accumulate_sum(tg_tensor **slot, tg_tensor *g) {
  if (!*slot) {
    *slot = tg_retain(g);
    return;
  }
  tg_tensor *sum = tg_retain(tg_add(*slot, g));
  tg_release(*slot);
  *slot = sum;
}

/* leaf.grad += g, as PyTorch's AccumulateGrad: the first gradient is
 * copied (so later in-place accumulation touches nothing else); under
 * create_graph the sum stays on the tape instead. */
static void accumulate_grad(tg_tensor *t, tg_tensor *g, bool create_graph) {
  if (create_graph) {
    accumulate_sum(&t->grad, g);
  } else if (!t->grad) {
    t->grad = tg_retain(tg_clone(tg_detach(g)));
  } else {
    tg_add_(t->grad, g, 1.0);
  }
}

typedef struct capture {
  int n;
  tg_tensor *const *inputs;
  tg_tensor **grads; /* NULL when accumulating into .grad */
} capture;

static int captured_index(const capture *cap, const tg_tensor *t) {
  for (int j = 0; j < cap->n; j++)
    if (cap->inputs[j] == t) return j;
  return -1;
}

static void deliver(tg_tensor *input, tg_tensor *g, const capture *cap,
                    bool create_graph) {
  if (cap->grads) {
    int j = captured_index(cap, input);
    if (j >= 0) accumulate_sum(&cap->grads[j], g);
    if (input->grad_fn) accumulate_sum(&input->grad_fn->grad_accum, g);
    return;
  }
  if (input->grad_fn) {
    accumulate_sum(&input->grad_fn->grad_accum, g);
    if (input->retains_grad) accumulate_grad(input, g, create_graph);
  } else {
    accumulate_grad(input, g, create_graph);
  }
}

static void check_versions(const tg_node *node) {
  for (int i = 0; i < node->n_inputs; i++) {
    const tg_tensor *in = node->inputs[i];
    if (in && in->storage->version != node->input_versions[i])
      tg_error("tg_backward: input %d of '%s' was modified by an in-place operation "
               "after it was recorded (version %llu, expected %llu)",
               i, node->op->name, (unsigned long long)in->storage->version,
               (unsigned long long)node->input_versions[i]);
  }
  for (int i = 0; i < node->n_saved; i++) {
    const tg_tensor *s = node->saved[i];
    if (s->storage->version != node->saved_versions[i])
      tg_error("tg_backward: a tensor saved by '%s' was modified by an in-place "
               "operation after it was recorded (version %llu, expected %llu)",
               node->op->name, (unsigned long long)s->storage->version,
               (unsigned long long)node->saved_versions[i]);
  }
}

static void check_grad_shape(const tg_node *node, int i, const tg_tensor *g) {
  const tg_tensor *in = node->inputs[i];
  if (!tg_shape_equal(tg_shape_of(g), tg_shape_of(in))) {
    char sg[TG_SHAPE_STR_MAX], si[TG_SHAPE_STR_MAX];
    tg_error("tg_backward: the backward of '%s' returned a gradient of shape %s for "
             "input %d of shape %s",
             node->op->name, tg_shape_str(tg_shape_of(g), sg), i,
             tg_shape_str(tg_shape_of(in), si));
  }
}

static void run_node(tg_node *node, const capture *cap, bool create_graph) {
  tg_tensor *grads_stack[8];
  tg_tensor **grads =
      node->n_inputs <= 8 ? grads_stack : calloc((size_t)node->n_inputs, sizeof *grads);
  if (!grads) tg_error("tg_backward: out of memory");
  memset(grads, 0, sizeof(tg_tensor *) * (size_t)node->n_inputs);
  tg_scope_begin();
  /* A fused backward is the composite computed in one pass, for when the
   * backward is not itself recorded; only then may gradients go straight
   * into a leaf's .grad (not under tg_autograd_grad, which returns them). */
  bool fused = node->op->backward_fused && !create_graph;
  node->grads_into_leaves = fused && !cap->grads;
  (fused ? node->op->backward_fused : node->op->backward)(node, node->grad_accum, grads);
  node->grads_into_leaves = false;
  for (int i = 0; i < node->n_inputs; i++) {
    if (!grads[i] || !tg_needs_input_grad(node, i)) continue;
    check_grad_shape(node, i, grads[i]);
    /* as PyTorch: a gradient has its input's dtype (mixed float32/float64) */
    tg_tensor *g = tg_to(grads[i], node->inputs[i]->dtype);
    deliver(node->inputs[i], g, cap, create_graph);
  }
  tg_scope_end();
  if (grads != grads_stack) free(grads);
}

static tg_tensor *initial_grad(tg_tensor *t, tg_tensor *grad) {
  char st[TG_SHAPE_STR_MAX], sg[TG_SHAPE_STR_MAX];
  if (!t->requires_grad)
    tg_error("tg_backward: the tensor does not require grad and has no grad_fn");
  if (!grad) {
    if (tg_numel(t) != 1)
      tg_error("tg_backward: grad can be implicitly created only for scalar outputs, "
               "got shape %s; pass a gradient of that shape",
               tg_shape_str(tg_shape_of(t), st));
    return tg_ones_like(t);
  }
  if (!tg_shape_equal(tg_shape_of(grad), tg_shape_of(t)))
    tg_error("tg_backward: gradient of shape %s does not match the output's shape %s",
             tg_shape_str(tg_shape_of(grad), sg), tg_shape_str(tg_shape_of(t), st));
  return grad;
}

static void run_backward(tg_tensor *t, tg_tensor *grad, int flags, const capture *cap) {
  bool create_graph = flags & TG_CREATE_GRAPH;
  bool retain_graph = create_graph || (flags & TG_RETAIN_GRAPH);
  tg_state_guard guard; /* an error restores grad mode and scopes */
  tg_guard_push(&guard);
  bool previous_mode = tg_set_grad_enabled(create_graph);
  tg_scope_begin();
  grad = initial_grad(t, grad);
  if (!t->grad_fn) {
    deliver(t, grad, cap, create_graph);
  } else {
    walk w = {0};
    tg_error_push_cleanup(walk_free, &w);
    topological_order(&w, t->grad_fn);
    if (t->retains_grad && !cap->grads) accumulate_grad(t, grad, create_graph);
    accumulate_sum(&t->grad_fn->grad_accum, grad);
    for (size_t k = w.order.len; k-- > 0;) {
      tg_node *node = w.order.items[k];
      if (node->grad_accum) run_node(node, cap, create_graph);
      tg_release(node->grad_accum);
      node->grad_accum = NULL;
      if (!retain_graph) tg_free_graph(node);
    }
    tg_error_pop_cleanup();
    walk_free(&w);
  }
  tg_scope_end();
  tg_set_grad_enabled(previous_mode);
  tg_guard_pop();
}

void tg_backward(tg_tensor *t, tg_tensor *grad, int flags) {
  capture none = {0, NULL, NULL};
  run_backward(t, grad, flags, &none);
}

void tg_autograd_grad(tg_tensor *output, tg_tensor *grad_output, int n_inputs,
                      tg_tensor *const *inputs, tg_tensor **grads_out, int flags) {
  for (int j = 0; j < n_inputs; j++) {
    if (!inputs[j]->requires_grad)
      tg_error("tg_autograd_grad: input %d does not require grad", j);
    grads_out[j] = NULL;
  }
  capture cap = {n_inputs, inputs, grads_out};
  run_backward(output, grad_output, flags, &cap);
  /* each slot holds one reference: hand it to the caller's scope */
  for (int j = 0; j < n_inputs; j++)
    grads_out[j] = grads_out[j] ? tg_scope_adopt(grads_out[j]) : tg_zeros_like(inputs[j]);
}
