/* tensorgrad/autograd.h - the tape, backward, grad mode, custom ops, gradcheck.
 *
 * Every differentiable op is a tg_op: a name and a backward function. When an op runs
 * with an input that requires grad (and grad mode is on) it records a tg_node on its
 * output: the op, retained references to the inputs and whatever the backward needs
 * (tg_save). tg_backward walks those nodes in reverse topological order. Backward
 * functions are written with tensorgrad's own ops, so with TG_CREATE_GRAPH the backward
 * is itself recorded and can be differentiated again.
 *
 * User code defines new ops the same way (see examples/custom_op.c).
 */
#ifndef TENSORGRAD_AUTOGRAD_H
#define TENSORGRAD_AUTOGRAD_H

#include "tensorgrad/export.h"

#include "tensorgrad/tensor.h"

TG_API_BEGIN

#define TG_NODE_MAX_SAVED 4

/* grad_inputs[i] starts NULL; the backward sets it (a new reference or a
 * scope-owned tensor) for each input i with tg_needs_input_grad(node, i). */
typedef void (*tg_backward_fn)(tg_node *node, tg_tensor *grad_output,
                               tg_tensor **grad_inputs);

/* A differentiable op: what its node needs to run backward.
 *
 * `backward` is written with tensorgrad's own ops, so under TG_CREATE_GRAPH
 * it is recorded and can be differentiated again. An op may add
 * `backward_fused`, the same gradient computed in one pass (no recorded
 * temporaries); the engine runs it whenever the backward is not itself
 * being recorded, and `backward` otherwise. The test suite checks both.
 *
 * `args_size` bytes of typed arguments (dims, scalars) live on the node:
 * the forward fills them through tg_node_args, the backward reads them.
 *
 * `keeps_inputs` says which inputs the backward reads with tg_node_input,
 * as PyTorch's derivatives declare their SavedVariables: the node keeps a
 * reference to those and to leaves that take a gradient (the .grad they
 * accumulate into), and only the shape and dtype of the others
 * (tg_node_input_meta), so an activation nothing else uses is freed as
 * soon as the script drops it rather than at the end of the backward.
 * TG_KEEPS(always, for_others): masks of TG_INPUT(i) bits, the inputs read
 * for every gradient and those read only for another input's gradient
 * (a product's operands: kept when some other input requires grad).
 * 0, the default, keeps every input. */
typedef struct tg_op {
  const char *name; /* grad_fn name, e.g. "MulBackward0" */
  tg_backward_fn backward;
  tg_backward_fn backward_fused; /* optional */
  size_t args_size;              /* optional */
  unsigned keeps_inputs;         /* optional: TG_KEEPS(...) */
} tg_op;

#define TG_INPUT(i) (1u << (i))
#define TG_KEEPS_DECLARED (1u << 31)
#define TG_KEEPS(always, for_others)                                                     \
  (TG_KEEPS_DECLARED | (unsigned)(always) | ((unsigned)(for_others) << 15))
#define TG_KEEPS_NONE TG_KEEPS(0, 0)

/* ---- grad mode ------------------------------------------------------------- */

bool tg_is_grad_enabled(void);
/* Returns the previous mode, so callers can restore it. */
bool tg_set_grad_enabled(bool enabled);
void tg_no_grad_begin(void); /* nestable */
void tg_no_grad_end(void);

/* ---- leaves and gradients ----------------------------------------------------- */

/* Only leaves (no grad_fn) of a floating dtype can have requires_grad set. */
tg_tensor *tg_requires_grad_(tg_tensor *t, bool requires_grad);
bool tg_requires_grad(const tg_tensor *t);
void tg_retain_grad(tg_tensor *t);
tg_tensor *tg_grad(const tg_tensor *t); /* borrowed; NULL if none */
void tg_zero_grad(tg_tensor *t, bool set_to_none);
bool tg_is_leaf(const tg_tensor *t);

enum { TG_RETAIN_GRAPH = 1, TG_CREATE_GRAPH = 2 };

/* grad may be NULL only for a one-element output. */
void tg_backward(tg_tensor *t, tg_tensor *grad, int flags);

/* torch.autograd.grad: gradients of `output` w.r.t. `inputs`, returned as
 * new (scope-owned) tensors in `grads_out` instead of accumulated into
 * .grad; an input the output does not depend on gets zeros. */
void tg_autograd_grad(tg_tensor *output, tg_tensor *grad_output, int n_inputs,
                      tg_tensor *const *inputs, tg_tensor **grads_out, int flags);

/* ---- hooks (what DistributedDataParallel is built on) --------------------------- */

typedef void (*tg_grad_hook)(tg_tensor *leaf, void *user);
typedef void (*tg_autograd_callback)(void *user);

/* PyTorch's Tensor.register_post_accumulate_grad_hook: during each
 * tg_backward that reaches `leaf` (a leaf that requires grad), fn(leaf, user)
 * runs once, right after the last gradient this backward has for it was
 * accumulated into leaf->grad, while the rest of the graph is still being
 * walked. tg_autograd_grad, which fills no .grad, runs no hooks. The hook
 * borrows leaf: remove it before freeing the tensor. Returns a handle for
 * tg_remove_hook. Hooks cannot be added or removed while a backward runs. */
int tg_register_post_accumulate_grad_hook(tg_tensor *leaf, tg_grad_hook fn, void *user);
void tg_remove_hook(int handle);

/* PyTorch's Variable._execution_engine.queue_callback: fn(user) runs once,
 * when the backward now running has walked its whole graph (so every .grad
 * is final); callbacks run in the order queued. Only valid inside a backward,
 * e.g. from a hook. */
void tg_autograd_queue_callback(tg_autograd_callback fn, void *user);

/* ---- writing ops (built-in and custom) ---------------------------------------- */

/* Record `op` on `output` if grad mode is on and any input requires grad;
 * returns the node (to tg_save into) or NULL when nothing was recorded. */
tg_node *tg_record(const tg_op *op, tg_tensor *output, int n_inputs,
                   tg_tensor *const *inputs);
void tg_save(tg_node *node, tg_tensor *t);
void tg_save_output(tg_node *node, tg_tensor *output);
tg_tensor *tg_saved(tg_node *node, int i);      /* borrowed or scope-owned */
tg_tensor *tg_saved_output(tg_node *node);      /* scope-owned */
tg_tensor *tg_node_input(tg_node *node, int i); /* borrowed */
bool tg_needs_input_grad(const tg_node *node, int i);
/* The op's typed arguments: tg_op.args_size bytes, zeroed at recording. */
void *tg_node_args(tg_node *node);
/* t.grad_fn.name(): the name of the op that made t, or NULL for a leaf. */
const char *tg_grad_fn_name(const tg_tensor *t);

/* torch.autograd.Function in C: `forward` runs with the tape off and may
 * put up to TG_NODE_MAX_SAVED tensors in to_save (its backward reads them
 * with tg_saved, in order); then `op`, whose backward the user wrote, is
 * recorded on the result. */
typedef tg_tensor *(*tg_forward_fn)(tg_tensor *const *inputs, tg_tensor **to_save,
                                    void *ctx);
tg_tensor *tg_function_apply(const tg_op *op, tg_forward_fn forward, int n_inputs,
                             tg_tensor *const *inputs, void *ctx);

/* ---- gradcheck ------------------------------------------------------------------ */

typedef tg_tensor *(*tg_fn)(tg_tensor *const *inputs, void *ctx);

typedef struct tg_gradcheck_opts {
  double eps;  /* default 1e-6 */
  double atol; /* default 1e-5 */
  double rtol; /* default 1e-3 */
  /* Compute the analytical Jacobian with the backward recorded
   * (TG_CREATE_GRAPH): ops with a fused backward then run their composite
   * one, so a test can check both paths. */
  bool create_graph;
} tg_gradcheck_opts;

/* Compares the analytical Jacobian of f (every output element, every input
 * that requires grad) with central differences. Inputs must be float64.
 * On failure writes a report naming the input and the worst element into
 * report (may be NULL) and returns false. opts may be NULL. */
bool tg_gradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                  const tg_gradcheck_opts *opts, char *report, size_t report_size);
/* Checks second derivatives: gradcheck of (inputs, v) -> vJ of f. */
bool tg_gradgradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                      const tg_gradcheck_opts *opts, char *report, size_t report_size);

/* ---- teaching aids ---------------------------------------------------------------- */

void tg_print_graph(const tg_tensor *t); /* grad_fn chain to stdout */
void tg_fprint_graph(void *file, const tg_tensor *t);
/* Graphviz DOT of the tape; returns 0, or -1 with tg_last_error set. */
int tg_graph_dot(const tg_tensor *t, const char *path);

TG_API_END
#endif
