/* The core's private header (tensor/): storage, tensor construction,
 * broadcasting, the strided loop every elementwise kernel and reduction runs
 * on, tape nodes and error cleanups. Everything above the core (ops/,
 * autograd/, nn/, ...) may include it; the core includes nothing above it. */
#ifndef TG_TENSOR_CORE_H
#define TG_TENSOR_CORE_H

#include "tensorgrad/autograd.h"
#include "tensorgrad/tensor.h"

/* Names in templates (*.inc files instantiated once per element type):
 * TG_CAT(map_, SUFFIX) is map_f32 when SUFFIX is f32. */
#define TG_CAT_(a, b) a##b
#define TG_CAT(a, b) TG_CAT_(a, b)

/* A template's loop helper that the compiler must inline, so that the
 * element function it is passed is inlined too and the loop vectorises. */
#define TG_INLINE static inline __attribute__((always_inline))

/* TG_DISPATCHED: hot loops compiled per instruction-set path. */
#include "tensor/simd.h"

#define TG_STR_(x) #x
#define TG_STR(x) TG_STR_(x)

struct tg_storage {
  int refcount; /* atomic: storages are shared between threads */
  void *data;
  size_t nbytes;
  /* Bumped by every in-place write, so backward can tell that a tensor it
   * saved was modified after it was recorded. */
  uint64_t version;
};

/* ---- storage (storage.c) ---- */
tg_storage *tg_storage_new(size_t nbytes);
/* Whether released blocks, headers and nodes are kept for reuse. */
bool tg_caching_enabled(void);
void tg_storage_retain(tg_storage *s);
void tg_storage_release(tg_storage *s);

/* ---- tensors (tensor.c) ---- */
/* A new contiguous tensor with fresh, uninitialised storage, owned by the
 * current scope (or the caller when there is none). */
tg_tensor *tg_alloc(tg_shape shape, tg_dtype dtype);
/* A new tensor viewing src's storage with the given geometry. */
tg_tensor *tg_alias(const tg_tensor *src, tg_shape shape, const int64_t *strides,
                    int64_t offset);
void tg_contiguous_strides(tg_shape shape, int64_t *strides);
/* Registers t (a fresh reference) with the current scope; returns t. */
tg_tensor *tg_scope_adopt(tg_tensor *t);

static inline char *tg_ptr(const tg_tensor *t) {
  return (char *)t->storage->data + t->offset * (int64_t)tg_dtype_size(t->dtype);
}

/* What is wrong with a shape for a tensor of elem_size-byte elements (too
 * many dims, a negative dim, an element count or byte size past int64), or
 * NULL if nothing is. File readers check it before they make a tensor. */
const char *tg_shape_problem(int ndim, const int64_t *d, size_t elem_size);

/* A double converted to int64 only where that is defined; NaN and values
 * out of range give INT64_MIN (what x86's conversion, and so PyTorch on
 * it, gives). */
static inline int64_t tg_double_to_i64(double v) {
  return v >= -0x1p63 && v < 0x1p63 ? (int64_t)v : INT64_MIN;
}
/* Whether v is an integer that int64 holds exactly. */
static inline bool tg_double_is_i64(double v) {
  return v >= -0x1p63 && v < 0x1p63 && v == (double)(int64_t)v;
}

/* Normalises a possibly negative dim for an op's error message. It takes
 * int64 so that a dim from a tg_shape list (TG_DIMS) is range-checked whole,
 * never truncated to int first. */
int tg_wrap_dim(const char *op, int64_t dim, int ndim);
/* A list of dims (TG_DIMS, negative ones counted from the end) as a bit
 * mask; a dim named twice is an error, as in PyTorch. A 0-d tensor takes
 * dim 0 / -1 and gives the empty mask. */
unsigned tg_dims_mask(const char *op, tg_shape dims, int ndim);
tg_shape tg_shape_make(int ndim, const int64_t *d);
bool tg_shape_equal(tg_shape a, tg_shape b);
/* tg_shape_equal(tg_shape_of(a), tg_shape_of(b)) without building either shape */
bool tg_same_shape(const tg_tensor *a, const tg_tensor *b);
int64_t tg_shape_numel(tg_shape s);
/* Broadcast shape of a and b, or an error naming op and both shapes. */
tg_shape tg_broadcast_shapes(const char *op, tg_shape a, tg_shape b);
/* The dtype two operands compute in (PyTorch's promotion). */
tg_dtype tg_promote(tg_dtype a, tg_dtype b);

/* The address of the element at a storage offset (in elements). */
static inline char *tg_storage_ptr(const tg_tensor *t, int64_t storage_offset) {
  return (char *)t->storage->data + storage_offset * (int64_t)tg_dtype_size(t->dtype);
}
/* The address of element i of t in logical (row-major) order. */
char *tg_flat_ptr(const tg_tensor *t, int64_t i);

/* Reads / writes one element at a byte address as double. */
double tg_load(const char *p, tg_dtype dtype);
void tg_store(char *p, tg_dtype dtype, double v);

/* ---- draws for kernels (random.c) ----
 * keep[i] = (u < prob) for n uniform doubles u of the default generator,
 * drawn as tg_rand(float64) draws them (ATen's bernoulli_(prob) on the
 * CPU), under the generator's lock: dropout's mask without the tensors. */
void tg_bernoulli_draws(uint8_t *keep, int64_t n, double prob);

/* ---- threads (parallel.c) ----
 * fn(begin, end, ctx) over [0, n), split into contiguous chunks of at least
 * `grain` that tg_set_num_threads threads claim as they come free; on the
 * caller alone when n is small, one thread is asked for, or the pool is
 * already busy. fn must treat every index on its own (no order between
 * chunks). */
void tg_parallel_for(int64_t n, int64_t grain,
                     void (*fn)(int64_t begin, int64_t end, void *ctx), void *ctx);
/* Below this many elements per chunk a split costs more than it saves
 * (measured with bench/threads.c: bench/README.md, "Threads"). */
int64_t tg_parallel_grain(void);
/* Sets it (<= 0: the default): bench/threads.c measures with 1, the tests
 * split small loops. */
void tg_parallel_set_grain(int64_t elements);
/* tg_parallel_for over n items of about `cost` elements each, at least
 * tg_parallel_grain() elements per chunk. Reductions make the items pieces
 * of a fixed size and combine their partial results in item order, so the
 * result does not depend on the thread count. */
void tg_parallel_items(int64_t n, int64_t cost,
                       void (*fn)(int64_t begin, int64_t end, void *ctx), void *ctx);
void tg_parallel_set_threads(int n);
/* The threads a loop started now may use: the number of scratch slots a
 * caller allocates for tg_parallel_for_slots. */
int tg_parallel_threads(void);
/* A loop body told which thread runs it: slot is in [0, slots), and no two
 * threads run with the same slot at once, so slot-indexed scratch the
 * caller allocated before the loop is the running thread's own. */
typedef void (*tg_slot_fn)(int64_t begin, int64_t end, int slot, void *ctx);
/* tg_parallel_for and tg_parallel_items on at most `slots` threads, the
 * body told its slot. Loop bodies never allocate or call tg_error (see
 * parallel.c): scratch comes from the caller, one buffer per slot. */
void tg_parallel_for_slots(int64_t n, int64_t grain, int slots, tg_slot_fn fn, void *ctx);
void tg_parallel_items_slots(int64_t n, int64_t cost, int slots, tg_slot_fn fn,
                             void *ctx);
/* malloc(count * size) for a loop's scratch, on the caller's thread: out
 * of memory (or an overflowing size) is a tg_error naming op. Free with
 * free(). */
void *tg_scratch_alloc(const char *op, int64_t count, size_t size);
/* Tests: the next `allowed` tg_scratch_alloc calls succeed and the one
 * after fails as out of memory would (negative: none fails). */
void tg_scratch_fail_after(int allowed);

/* ---- strided iteration (iter.c) ----
 * Up to TG_ITER_MAX operands viewed at one common shape (broadcast operands
 * have stride 0). The loop body gets the innermost run: base pointers,
 * byte strides, and a length. */
#define TG_ITER_MAX 4
typedef void (*tg_loop_fn)(char **ptrs, const int64_t *strides, int64_t n, void *ctx);
/* Runs body over every element: operand 0 is usually the output, and every
 * operand must broadcast to shape. When all operands are contiguous at
 * `shape` (the common case) body gets the whole run at once, or a large
 * run in parts across threads; otherwise an iterator walks the outer dims,
 * and large loops are cut along a dim operand 0 moves along (see iter.c).
 * body must compute each element on its own, except that operand 0 may be
 * a reduction's accumulator, broadcast along the reduced dims. */
void tg_run_elementwise(tg_shape shape, int n_ops, tg_tensor *const *ops, tg_loop_fn body,
                        void *ctx);

/* Writes to t: bump its storage version (in-place ops and optimizers). */
static inline void tg_bump_version(tg_tensor *t) {
  t->storage->version++;
}

/* ---- tape nodes (node.c) ---- */

/* What an op records on its output: opaque outside the library. */
struct tg_node {
  int refcount;
  const tg_op *op;
  int n_inputs;
  /* The inputs; NULL for an absent one and once the graph is freed. Those
   * the op keeps (input_kept: what its backward reads, and leaves that take
   * a gradient) are retained tensors; the others point at input_metas[i],
   * a copy of the header without storage or references (shape, dtype and
   * the grad_fn, borrowed from input_fns), so the node holds no memory of
   * theirs (see tg_op.keeps_inputs). */
  tg_tensor **inputs;
  tg_tensor *input_metas;
  bool *input_kept;
  /* Each input's grad_fn when the op was recorded (retained), PyTorch's
   * edges: an in-place op later gives the input tensor a new grad_fn, but
   * this node's gradient still belongs to the value it read. */
  tg_node **input_fns;
  uint64_t *input_versions;  /* storage versions when recorded */
  bool *input_requires_grad; /* when recorded */
  void *args;                /* op->args_size bytes, in the node's block */
  int n_saved;
  tg_tensor *saved[TG_NODE_MAX_SAVED];
  uint64_t saved_versions[TG_NODE_MAX_SAVED];
  /* The output is saved without a reference (it owns this node); backward
   * gets it back through tg_saved_output. */
  tg_storage *output_storage;
  tg_tensor output_meta;
  uint64_t output_version;
  bool output_saved;
  bool inplace; /* recorded by an in-place op on its input 0's storage */
  /* PyTorch's grad_fn name when the op's default does not say it (a
   * composite's last node, or a variant: SumBackward1); see tg_node_name. */
  const char *torch_name;
  bool freed; /* saved tensors released after a backward */
  /* Set by the engine before it calls the backward: whether gradients of
   * leaf inputs may be added straight into their .grad (see
   * tg_grad_destination). */
  bool grads_into_leaves;
  /* The non-leaf tensor whose .grad this node's output gradient also goes
   * to (tg_retain_grad), borrowed: PyTorch's retains_grad hook holds it
   * weakly too. Cleared when the tensor dies or stops being this node's
   * output (tg_node_forget_output). */
  tg_tensor *retained_by;
  /* engine bookkeeping */
  uint64_t visit_mark;
  tg_tensor *grad_accum;
  int64_t seq; /* creation order, for printing */
};

void tg_node_release(tg_node *node);
void tg_node_retain(tg_node *node);
/* A zeroed node with room for n_inputs input pointers and versions, and
 * its release: small nodes come from a free list (node.c). */
void tg_node_block_free(tg_node *node);
/* Releases a node's inputs and saved tensors after backward (node.c). */
void tg_free_graph(tg_node *node);
/* t is about to stop being its grad_fn's output (it dies, or an in-place
 * write or detach gives it another grad_fn): the node forgets it. */
void tg_node_forget_output(tg_tensor *t);

/* PyTorch's grad_fn name of a node ("MulBackward0"), as printed by
 * tg_print, the tape printer and DOT export. */
const char *tg_node_name(const tg_node *node);
/* Names out's grad_fn as PyTorch would (a composite's result, or a variant
 * of an op); nothing when out has no grad_fn of its own (none, or src's:
 * the op returned its input). Returns out. */
tg_tensor *tg_name_grad_fn(tg_tensor *out, const tg_tensor *src, const char *torch_name);
/* An input for its shape and dtype only: not version-checked, so an
 * in-place change of its values after recording is no error (PyTorch
 * checks only what backward reads). */
tg_tensor *tg_node_input_meta(tg_node *node, int i);

/* ---- in-place writes and the tape (ops/inplace.c) ----
 * Before an in-place op `fn` writes t (from `other`, or NULL): raises
 * PyTorch's errors for a leaf that requires grad and for views, and says
 * whether the write must be recorded (grad mode on and t or other requires
 * grad). After the write, tg_inplace_record rebases t, as PyTorch does: a
 * new node of `op` whose input 0 is t's old value (holding t's old grad_fn)
 * and input 1 `other`, becomes t's grad_fn. Returns the node. */
bool tg_inplace_prepare(const char *fn, const tg_tensor *t, const tg_tensor *other);
tg_node *tg_inplace_record(const tg_op *op, tg_tensor *t, tg_tensor *other);
/* The recorded write's arguments: add_'s alpha or mul_'s factor; set's index. */
void tg_inplace_set_alpha(tg_node *node, double alpha);
void tg_inplace_set_args(tg_node *node, const int64_t *index, int ndim);
extern const tg_op tg_op_add_inplace, tg_op_mul_inplace, tg_op_fill_inplace,
    tg_op_zero_inplace, tg_op_copy_inplace, tg_op_normal_inplace, tg_op_uniform_inplace,
    tg_op_set_inplace;

/* Copies src (any strides, broadcastable, any dtype) into dst. */
void tg_copy_into(tg_tensor *dst, const tg_tensor *src);

/* For a backward that can add its gradient for input i straight into the
 * leaf's .grad (a GEMM with beta = 1 instead of a temporary and an add):
 * that .grad, or NULL when the gradient must be returned through grads[i]
 * (a non-leaf input, no .grad yet, or the engine did not allow it: under
 * create_graph or tg_autograd_grad). A backward that adds into it leaves
 * grads[i] NULL and bumps its version. */
tg_tensor *tg_grad_destination(tg_node *node, int i);

/* Registers work that tg_error must undo before a handler longjmps out;
 * pop it when the work is done. Nestable. */
void tg_error_push_cleanup(void (*fn)(void *), void *arg);
void tg_error_pop_cleanup(void);

/* ---- threads (thread.c) ----
 * Caches of released memory (tensor headers, nodes, storage blocks, scope
 * buffers) are per thread. A thread that starts caching calls this once so
 * that its caches are freed when it exits. */
void tg_thread_caches_in_use(void);
/* The per-module halves of that cleanup. */
void tg_tensor_caches_free(void);
void tg_node_caches_free(void);
void tg_storage_caches_free(void);
void tg_scope_caches_free(void);

/* ---- error recovery (error.c) ----
 * The calling thread's grad mode, no_grad nesting and scope depth, saved
 * on entry to a function that may fail half-way (tg_backward, tg_summary,
 * tg_function_apply) and restored by tg_error before a handler longjmps. */
typedef struct tg_state_guard {
  bool grad_enabled;
  int scope_depth;
  int no_grad_depth;
} tg_state_guard;
void tg_guard_push(tg_state_guard *g);
void tg_guard_pop(void);
int tg_no_grad_depth(void);
void tg_no_grad_unwind(int depth);

/* ---- checked mode (checked.c, -DTG_CHECKED=ON) ----
 * Use after release, double release and releasing a scope's tensor stop
 * with a message naming the tensor; live tensors are reported at exit. */
#ifdef TG_CHECKED
#define TG_CHECKED_HOOK(call) call
void tg_checked_created(tg_tensor *t);
void tg_checked_use(const tg_tensor *t, const char *op);
void tg_checked_release(const tg_tensor *t);
void tg_checked_scope_ref(tg_tensor *t, int delta);
/* Marks t released; true if its header is kept (quarantined). */
bool tg_checked_destroyed(tg_tensor *t);
#else
#define TG_CHECKED_HOOK(call) ((void)0)
#endif

/* A NULL where a tensor is needed: what a lookup gives for a name it does
 * not have, or tg_grad before any backward. An error naming op (or, for
 * NULL, the public function reading the tensor) instead of a crash. */
void tg_null_tensor(const char *op) __attribute__((noreturn));
/* Every read of a tensor's header by a public function starts here: NULL
 * is an error in every build, a released tensor in checked builds. */
static inline void tg_use(const tg_tensor *t, const char *op) {
  if (!t) tg_null_tensor(op);
  TG_CHECKED_HOOK(tg_checked_use(t, op));
}

/* Window geometry for convolution and pooling from options that may come
 * from anywhere: the padded size (size + before + after) and a dilated
 * kernel's extent (dilation * (kernel - 1) + 1, for kernel >= 1), or an
 * error naming op when they do not fit in 64 bits (no signed wrap-around). */
int64_t tg_padded_size(const char *op, int64_t size, int64_t before, int64_t after);
int64_t tg_kernel_extent(const char *op, int64_t kernel, int64_t dilation);

/* Checks for ops that only work on floating tensors. */
void tg_check_floating(const char *op, const tg_tensor *t);

#endif
