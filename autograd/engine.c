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
 * 5. Hooks (what DistributedDataParallel needs): a leaf's post-accumulate-
 *    grad hooks run once its last gradient of this backward is in .grad; the
 *    callbacks queued during a backward run when its walk is over.
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
             tg_node_name(node));
}

/* ---- hooks ------------------------------------------------------------------
 * Few hooks exist (one per parameter under DDP), so they live in one list
 * searched linearly; a backward counts, per hook, the gradients its leaf will
 * receive (the edges into it), and runs the hook when the last one is in. */

typedef struct grad_hook {
  int handle;
  tg_tensor *leaf; /* borrowed: remove the hook before freeing the leaf */
  tg_grad_hook fn;
  void *user;
} grad_hook;

static struct {
  grad_hook *items;
  int len, cap, last_handle;
} hooks;

/* Per backward: gradients still due for each hook's leaf, and whether one came. */
typedef struct hook_state {
  int *pending;
  bool *reached, *fired;
} hook_state;

typedef struct callback_list {
  tg_autograd_callback *fns;
  void **users;
  int len, cap;
} callback_list;

static void hook_state_free(hook_state *hs) {
  free(hs->pending);
  free(hs->reached);
  free(hs->fired);
  memset(hs, 0, sizeof *hs);
}

static void hook_state_init(hook_state *hs) {
  if (hooks.len == 0) return;
  hs->pending = calloc((size_t)hooks.len, sizeof *hs->pending);
  hs->reached = calloc((size_t)hooks.len, sizeof *hs->reached);
  hs->fired = calloc((size_t)hooks.len, sizeof *hs->fired);
  if (!hs->pending || !hs->reached || !hs->fired) {
    hook_state_free(hs);
    tg_error("tg_backward: out of memory");
  }
}

/* One more gradient will flow into each hook of `leaf`. */
static void hooks_expect(hook_state *hs, const tg_tensor *leaf) {
  if (!hs->pending) return;
  for (int h = 0; h < hooks.len; h++)
    if (hooks.items[h].leaf == leaf) hs->pending[h]++;
}

static void fire(hook_state *hs, int h) {
  hs->fired[h] = true;
  hooks.items[h].fn(hooks.items[h].leaf, hooks.items[h].user);
}

/* A node that uses leaf has run: whatever gradient it had for leaf is in
 * leaf->grad (delivered, or added there by a fused backward). */
static void hooks_edge_done(hook_state *hs, tg_tensor *leaf) {
  for (int h = 0; h < hooks.len; h++) {
    if (hooks.items[h].leaf != leaf) continue;
    if (leaf->grad) hs->reached[h] = true;
    if (--hs->pending[h] <= 0 && !hs->fired[h] && hs->reached[h]) fire(hs, h);
  }
}

/* After the walk: leaves whose remaining edges carried no gradient (a branch
 * that was never reached) have all they will get. */
static void hooks_flush(hook_state *hs) {
  if (!hs->pending) return;
  for (int h = 0; h < hooks.len; h++)
    if (hs->reached[h] && !hs->fired[h]) fire(hs, h);
}

typedef struct capture {
  int n;
  tg_tensor *const *inputs;
  tg_tensor **grads; /* NULL when accumulating into .grad */
} capture;

/* The backward now running ({NULL} between backwards), for the hooks and
 * callbacks; a backward may run inside another one's op. */
typedef struct running_backward {
  const capture *cap;
  bool create_graph;
  hook_state *hooks;        /* NULL when no leaf has a hook */
  callback_list *callbacks; /* tg_autograd_queue_callback's */
} running_backward;
static _Thread_local running_backward running;

static bool backward_running(void) {
  return running.cap != NULL;
}

static void check_hooks_mutable(const char *fn) {
  if (backward_running())
    tg_error("%s: hooks cannot be added or removed while a backward runs", fn);
}

int tg_register_post_accumulate_grad_hook(tg_tensor *leaf, tg_grad_hook fn, void *user) {
  check_hooks_mutable("tg_register_post_accumulate_grad_hook");
  if (!leaf || !fn)
    tg_error("tg_register_post_accumulate_grad_hook: leaf and fn are required");
  if (leaf->grad_fn || !leaf->requires_grad)
    tg_error("tg_register_post_accumulate_grad_hook: the tensor must be a leaf that "
             "requires grad");
  if (hooks.len == hooks.cap) {
    int cap = hooks.cap ? 2 * hooks.cap : 16;
    grad_hook *grown = realloc(hooks.items, (size_t)cap * sizeof *grown);
    if (!grown) tg_error("tg_register_post_accumulate_grad_hook: out of memory");
    hooks.items = grown;
    hooks.cap = cap;
  }
  hooks.items[hooks.len++] = (grad_hook){++hooks.last_handle, leaf, fn, user};
  return hooks.last_handle;
}

void tg_remove_hook(int handle) {
  check_hooks_mutable("tg_remove_hook");
  for (int h = 0; h < hooks.len; h++) {
    if (hooks.items[h].handle != handle) continue;
    memmove(&hooks.items[h], &hooks.items[h + 1],
            (size_t)(hooks.len - h - 1) * sizeof *hooks.items);
    if (--hooks.len == 0) {
      free(hooks.items);
      hooks.items = NULL;
      hooks.cap = 0;
    }
    return;
  }
  tg_error("tg_remove_hook: no hook has handle %d", handle);
}

void tg_autograd_queue_callback(tg_autograd_callback fn, void *user) {
  callback_list *l = running.callbacks;
  if (!l) tg_error("tg_autograd_queue_callback: no backward is running");
  if (l->len == l->cap) {
    int cap = l->cap ? 2 * l->cap : 4;
    tg_autograd_callback *fns = realloc(l->fns, (size_t)cap * sizeof *fns);
    if (fns) l->fns = fns;
    void **users = realloc(l->users, (size_t)cap * sizeof *users);
    if (users) l->users = users;
    if (!fns || !users) tg_error("tg_autograd_queue_callback: out of memory");
    l->cap = cap;
  }
  l->fns[l->len] = fn;
  l->users[l->len++] = user;
}

/* In queue order; a callback may queue more. */
static void run_callbacks(callback_list *l) {
  for (int k = 0; k < l->len; k++) l->fns[k](l->users[k]);
}

static void callback_list_free(void *arg) {
  callback_list *l = arg;
  free(l->fns);
  free(l->users);
  memset(l, 0, sizeof *l);
}

/* What one backward holds while it runs; an error releases it all. */
typedef struct walk {
  node_list order; /* retained nodes, post-order */
  node_list stack;
  size_t *next_input, next_cap;
  hook_state hooks;
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
  hook_state_free(&w->hooks);
  memset(w, 0, sizeof *w);
}

/* Post-order DFS without recursion. Every node in the order is retained,
 * so freeing graphs mid-walk cannot free a node still queued. Freed graphs
 * are found here, before any gradient moves; stale saved tensors when a
 * backward reads them (tg_saved, tg_node_input), as in PyTorch. */
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

static void count_leaf_edges(walk *w, const tg_node *node) {
  for (int i = 0; i < node->n_inputs; i++) {
    const tg_tensor *in = node->inputs[i];
    if (in && !in->grad_fn && tg_needs_input_grad(node, i)) hooks_expect(&w->hooks, in);
  }
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
      tg_node *fn = node->input_fns[w->next_input[top]++];
      if (fn && fn->visit_mark != mark) child = fn;
    }
    if (child) {
      check_not_freed(child);
      child->visit_mark = mark;
      walk_push(w, child);
    } else {
      count_leaf_edges(w, node);
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

/* Whether tg_autograd_grad asked for the gradient of input j: a leaf is
 * found by identity, a non-leaf by its grad_fn (PyTorch's edge), since the
 * nodes it feeds need not keep the tensor itself. */
static bool captures(const capture *cap, int j, const tg_tensor *leaf,
                     const tg_node *fn) {
  return fn ? cap->inputs[j]->grad_fn == fn : cap->inputs[j] == leaf;
}

/* g is the gradient of the value grad_fn `fn` made (an in-place op may
 * have given the tensor a newer grad_fn since), or of `leaf` when fn is
 * NULL. */
static void deliver(tg_tensor *leaf, tg_node *fn, tg_tensor *g, const capture *cap,
                    bool create_graph) {
  if (cap->grads) {
    for (int j = 0; j < cap->n; j++)
      if (captures(cap, j, leaf, fn)) accumulate_sum(&cap->grads[j], g);
    if (fn) accumulate_sum(&fn->grad_accum, g);
    return;
  }
  if (fn) {
    accumulate_sum(&fn->grad_accum, g);
    if (fn->retained_by) accumulate_grad(fn->retained_by, g, create_graph);
  } else {
    accumulate_grad(leaf, g, create_graph);
  }
}

static void check_grad_shape(const tg_node *node, int i, const tg_tensor *g) {
  const tg_tensor *in = node->inputs[i];
  if (!tg_same_shape(g, in)) {
    char sg[TG_SHAPE_STR_MAX], si[TG_SHAPE_STR_MAX];
    tg_error("tg_backward: the backward of '%s' returned a gradient of shape %s for "
             "input %d of shape %s",
             tg_node_name(node), tg_shape_str(tg_shape_of(g), sg), i,
             tg_shape_str(tg_shape_of(in), si));
  }
}

static void restore_running(void *outer) {
  running = *(const running_backward *)outer;
}

/* Counted as in count_leaf_edges: one per input. */
static void leaf_edges_done(const tg_node *node) {
  hook_state *hs = running.hooks;
  if (!hs || !hs->pending) return;
  for (int i = 0; i < node->n_inputs; i++) {
    tg_tensor *in = node->inputs[i];
    if (in && !in->grad_fn && tg_needs_input_grad(node, i)) hooks_edge_done(hs, in);
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
    /* as PyTorch: a gradient has its input's dtype (mixed float32/float64);
     * the usual case, the same dtype, skips tg_to's reference in the scope */
    tg_dtype dtype = node->inputs[i]->dtype;
    tg_tensor *g = grads[i]->dtype == dtype ? grads[i] : tg_to(grads[i], dtype);
    tg_node *fn = node->input_fns[i];
    deliver(fn ? NULL : node->inputs[i], fn, g, cap, create_graph);
  }
  leaf_edges_done(node);
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
  if (!tg_same_shape(grad, t))
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
  running_backward outer = running;
  callback_list callbacks = {0};
  running = (running_backward){cap, create_graph, NULL, &callbacks};
  tg_error_push_cleanup(restore_running, &outer);
  tg_error_push_cleanup(callback_list_free, &callbacks);
  tg_scope_begin();
  grad = initial_grad(t, grad);
  if (!t->grad_fn) {
    deliver(t, NULL, grad, cap, create_graph);
  } else {
    walk w = {0};
    tg_error_push_cleanup(walk_free, &w);
    if (!cap->grads) hook_state_init(&w.hooks);
    running.hooks = &w.hooks;
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
    hooks_flush(&w.hooks);
    running.hooks = NULL;
    tg_error_pop_cleanup();
    walk_free(&w);
  }
  run_callbacks(&callbacks);
  tg_scope_end();
  tg_error_pop_cleanup();
  callback_list_free(&callbacks);
  tg_error_pop_cleanup();
  running = outer;
  tg_set_grad_enabled(previous_mode);
  tg_guard_pop();
}

void tg_backward(tg_tensor *t, tg_tensor *grad, int flags) {
  tg_use(t, "tg_backward");
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
