/* tensorgrad/tensor.h - the tensor type, ownership, creation, views and ops.
 *
 * A tg_tensor is a strided view (shape, strides, offset, dtype) over a
 * reference-counted storage. Every function that returns a tensor returns a
 * NEW reference: inside a scope (tg_scope_begin/end) the scope owns it and
 * releases it at tg_scope_end unless it is kept; outside any scope the caller
 * owns it and calls tg_release.
 *
 * Ops record themselves on the autograd tape when an input requires grad
 * (see autograd.h). Misuse (shape mismatch, wrong dtype, bad index) goes
 * through tg_error, which prints and aborts unless a handler is installed.
 */
#ifndef TENSORGRAD_TENSOR_H
#define TENSORGRAD_TENSOR_H

#include "tensorgrad/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

TG_API_BEGIN

#define TG_MAX_DIMS 8

typedef enum { TG_BOOL = 0, TG_INT64 = 1, TG_FLOAT32 = 2, TG_FLOAT64 = 3 } tg_dtype;

/* A shape, or a list of dims. TG_SHAPE(16, 2) builds one in place;
 * TG_SCALAR_SHAPE is the 0-d shape; TG_ALL_DIMS (an empty list) means
 * "every dim" to the reductions. */
typedef struct tg_shape {
  int ndim;
  int64_t d[TG_MAX_DIMS];
} tg_shape;

#define TG_SHAPE(...)                                                                    \
  ((tg_shape){(int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), {__VA_ARGS__}})
#define TG_DIMS(...) TG_SHAPE(__VA_ARGS__)
#define TG_SCALAR_SHAPE ((tg_shape){0, {0}})
#define TG_ALL_DIMS ((tg_shape){0, {0}})

typedef struct tg_storage tg_storage;
typedef struct tg_node tg_node;

typedef struct tg_tensor {
  int refcount;
  tg_dtype dtype;
  int ndim;
  int64_t shape[TG_MAX_DIMS];
  int64_t strides[TG_MAX_DIMS]; /* in elements, may be 0 (expand) */
  int64_t offset;               /* in elements, into storage */
  tg_storage *storage;
  bool requires_grad;
  bool retains_grad;
  struct tg_tensor *grad; /* owned; NULL until a backward reaches it */
  tg_node *grad_fn;       /* owned; NULL for leaves */
  void *checked;          /* checked mode's record of the tensor, else NULL */
} tg_tensor;

/* ---- errors ------------------------------------------------------------ */

/* Called with the formatted message. The default prints it and the call
 * stack to stderr and aborts. A handler may longjmp out (tests do): grad
 * mode and the scopes the failing call opened are restored first. If it
 * returns, tensorgrad aborts anyway, because the failing op has no result
 * to give. The handler, like tg_last_error, belongs to the calling thread. */
typedef void (*tg_error_handler)(const char *message, void *user);
void tg_set_error_handler(tg_error_handler handler, void *user);
void tg_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Functions that read the outside world (files) do not call tg_error: they
 * return a status and leave the message here. */
const char *tg_last_error(void);
void tg_set_last_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- ownership --------------------------------------------------------- */

tg_tensor *tg_retain(tg_tensor *t);
void tg_release(tg_tensor *t); /* NULL is fine */

void tg_scope_begin(void);
void tg_scope_end(void);
/* Keep t alive past the current scope: it moves to the enclosing scope, or
 * to the caller when there is none. Returns t. */
tg_tensor *tg_keep(tg_tensor *t);
/* tg_keep(t), then tg_scope_end(): the idiom for returning a result. */
tg_tensor *tg_scope_return(tg_tensor *t);
int tg_scope_depth(void);
/* Tensors alive right now: a quick leak check around a loop. */
int64_t tg_live_tensor_count(void);
/* Bytes of tensor storage alive right now (what tensors and tape nodes hold,
 * not the allocator's cache): what a forward leaves for its backward. */
int64_t tg_live_storage_bytes(void);
/* Close scopes until depth is `depth` (error recovery after a longjmp). */
void tg_scope_unwind(int depth);

/* ---- basic facts --------------------------------------------------------- */

const char *tg_dtype_name(tg_dtype dtype);
size_t tg_dtype_size(tg_dtype dtype);
bool tg_is_floating(tg_dtype dtype);
int64_t tg_numel(const tg_tensor *t);
int64_t tg_size(const tg_tensor *t, int dim); /* negative dims count from the end */
tg_shape tg_shape_of(const tg_tensor *t);
bool tg_is_contiguous(const tg_tensor *t);
/* "(16x2)" style text for messages; buf of at least TG_SHAPE_STR_MAX bytes. */
#define TG_SHAPE_STR_MAX 200
const char *tg_shape_str(tg_shape shape, char *buf);

/* ---- creation ------------------------------------------------------------ */

tg_tensor *tg_empty(tg_shape shape, tg_dtype dtype);
tg_tensor *tg_zeros(tg_shape shape, tg_dtype dtype);
tg_tensor *tg_ones(tg_shape shape, tg_dtype dtype);
tg_tensor *tg_full(tg_shape shape, double value, tg_dtype dtype);
tg_tensor *tg_scalar(double value, tg_dtype dtype);
/* Copies numel elements of `dtype` from data (float, double, int64_t, bool). */
tg_tensor *tg_from_data(const void *data, tg_shape shape, tg_dtype dtype);
tg_tensor *tg_arange(double start, double end, double step, tg_dtype dtype);
tg_tensor *tg_linspace(double start, double end, int64_t steps, tg_dtype dtype);
tg_tensor *tg_eye(int64_t n, tg_dtype dtype);
tg_tensor *tg_empty_like(const tg_tensor *t);
tg_tensor *tg_zeros_like(const tg_tensor *t);
tg_tensor *tg_ones_like(const tg_tensor *t);
tg_tensor *tg_full_like(const tg_tensor *t, double value);

/* ---- random (one generator, tg_manual_seed; PyTorch's CPU mt19937) ------- */

void tg_manual_seed(uint64_t seed);
uint64_t tg_initial_seed(void);
uint32_t tg_random_u32(void); /* raw draws from the global generator */
/* torch.get_rng_state() / set_rng_state(): the global generator's whole
 * state (twister words, position, seed, cached normal) as a new int64
 * tensor of TG_RNG_STATE_SIZE values, and back. Setting it makes every later
 * draw (rand, randn, dropout masks, DataLoader shuffles) repeat the stream
 * from where it was taken. tg_rng_state_valid checks a tensor read from a
 * file before tg_set_rng_state, which raises an error on a bad one. */
#define TG_RNG_STATE_SIZE 628
tg_tensor *tg_get_rng_state(void);
bool tg_rng_state_valid(const tg_tensor *state);
void tg_set_rng_state(const tg_tensor *state);
uint64_t tg_random_u64(void);
/* A generator of one's own, like torch.Generator().manual_seed(seed): the
 * DataLoader's sampler shuffles with one. NULL means the global one. */
typedef struct tg_generator tg_generator;
tg_generator *tg_generator_new(uint64_t seed);
void tg_generator_free(tg_generator *g);
uint32_t tg_generator_random_u32(tg_generator *g);
uint64_t tg_generator_random_u64(tg_generator *g);
/* torch.randperm(n, generator=g) into out[0 .. n-1] */
void tg_randperm_into(tg_generator *g, int64_t n, int64_t *out);
tg_tensor *tg_rand(tg_shape shape, tg_dtype dtype);               /* U[0, 1) */
tg_tensor *tg_randn(tg_shape shape, tg_dtype dtype);              /* N(0, 1) */
tg_tensor *tg_randint(int64_t low, int64_t high, tg_shape shape); /* int64 */
tg_tensor *tg_randperm(int64_t n);                                /* int64 */
tg_tensor *tg_rand_like(const tg_tensor *t);
tg_tensor *tg_randn_like(const tg_tensor *t);
/* torch.multinomial: num_samples category indices (int64) per row of
 * probs (1-D (C) or 2-D (N, C), non-negative, not necessarily normalised),
 * drawn as PyTorch 1.13's CPU kernel draws them: without replacement
 * argmax/top-k of p / q with q ~ Exp(1), one 53-bit uniform per category;
 * with replacement a binary search of the normalised cumulative sum, one
 * 53-bit uniform per sample. */
tg_tensor *tg_multinomial(tg_tensor *probs, int64_t num_samples, bool replacement);

/* ---- copies and conversion ------------------------------------------------- */

tg_tensor *tg_clone(tg_tensor *t);              /* differentiable */
tg_tensor *tg_contiguous(tg_tensor *t);         /* t itself (new ref) if contiguous */
tg_tensor *tg_to(tg_tensor *t, tg_dtype dtype); /* differentiable between floats */
tg_tensor *tg_detach(tg_tensor *t);             /* shares storage, no grad_fn */

/* ---- in-place (bump the storage version) ------------------------------------
 * As in PyTorch: with grad mode on, a leaf that requires grad (or a view of
 * one) may not be written; a tensor in the graph is rebased (the write is
 * recorded and becomes its grad_fn). See docs/autograd.md. */

void tg_fill_(tg_tensor *t, double value);
void tg_zero_(tg_tensor *t);
void tg_copy_(tg_tensor *dst, const tg_tensor *src); /* src broadcasts to dst */
void tg_uniform_(tg_tensor *t, double low, double high);
void tg_normal_(tg_tensor *t, double mean, double std);
void tg_add_(tg_tensor *t, const tg_tensor *other, double alpha); /* t += alpha*other */
void tg_mul_scalar_(tg_tensor *t, double value);

/* ---- element access -------------------------------------------------------- */

double tg_item(const tg_tensor *t); /* one element, any dtype */
double tg_get(const tg_tensor *t, const int64_t *index);
void tg_set(tg_tensor *t, const int64_t *index, double value);
/* element i of the tensor in row-major (logical) order */
double tg_get_flat(const tg_tensor *t, int64_t i);
/* Pointer to the first element; errors unless t is contiguous and of the
 * named dtype. In checked mode tg_data_* count as a write (the version
 * goes up, so a backward that saved t refuses to run); read through the
 * const tg_cdata_* instead. */
float *tg_data_f32(tg_tensor *t);
double *tg_data_f64(tg_tensor *t);
int64_t *tg_data_i64(tg_tensor *t);
bool *tg_data_bool(tg_tensor *t);
const float *tg_cdata_f32(const tg_tensor *t);
const double *tg_cdata_f64(const tg_tensor *t);
const int64_t *tg_cdata_i64(const tg_tensor *t);
const bool *tg_cdata_bool(const tg_tensor *t);
/* Copy all elements, in logical order, converted to double. */
void tg_copy_to_f64(const tg_tensor *t, double *out);

/* ---- printing ------------------------------------------------------------ */

void tg_print(const tg_tensor *t); /* like print(tensor) in PyTorch */
void tg_fprint(void *file, const tg_tensor *t);

/* ---- views (no copy; differentiable) --------------------------------------- */

tg_tensor *tg_view(tg_tensor *t, tg_shape shape); /* one dim may be -1 */
tg_tensor *tg_reshape(tg_tensor *t, tg_shape shape);
tg_tensor *tg_transpose(tg_tensor *t, int dim0, int dim1);
tg_tensor *tg_t(tg_tensor *t); /* 2-D transpose */
tg_tensor *tg_permute(tg_tensor *t, tg_shape dims);
tg_tensor *tg_expand(tg_tensor *t, tg_shape shape); /* -1 keeps a size */
tg_tensor *tg_squeeze(tg_tensor *t, int dim);
tg_tensor *tg_squeeze_all(tg_tensor *t);
tg_tensor *tg_unsqueeze(tg_tensor *t, int dim);
tg_tensor *tg_flatten(tg_tensor *t, int start_dim, int end_dim);
tg_tensor *tg_narrow(tg_tensor *t, int dim, int64_t start, int64_t length);
tg_tensor *tg_slice(tg_tensor *t, int dim, int64_t start, int64_t end, int64_t step);
tg_tensor *tg_select(tg_tensor *t, int dim, int64_t index);

/* ---- indexing and joining (differentiable in the float inputs) ------------- */

tg_tensor *tg_index_select(tg_tensor *t, int dim, tg_tensor *index);
tg_tensor *tg_gather(tg_tensor *t, int dim, tg_tensor *index);
tg_tensor *tg_scatter_add(tg_tensor *t, int dim, tg_tensor *index, tg_tensor *src);
tg_tensor *tg_masked_fill(tg_tensor *t, tg_tensor *mask, double value);
tg_tensor *tg_cat(tg_tensor *const *tensors, int n, int dim);
tg_tensor *tg_stack(tg_tensor *const *tensors, int n, int dim);
tg_tensor *tg_where(tg_tensor *condition, tg_tensor *a, tg_tensor *b);
/* torch.flip: the listed dims reversed (a copy). */
tg_tensor *tg_flip(tg_tensor *t, tg_shape dims);
/* Tensor.repeat: tiled repeats.d[i] times along dim i (repeats may have
 * more dims than t). */
tg_tensor *tg_repeat(tg_tensor *t, tg_shape repeats);
/* torch.tril / triu on the last two dims: zeros above (below) the diagonal
 * `diagonal` (0 the main one, > 0 above it). */
tg_tensor *tg_tril(tg_tensor *t, int64_t diagonal);
tg_tensor *tg_triu(tg_tensor *t, int64_t diagonal);
/* torch.split / torch.chunk along dim: views into out (at most max_out /
 * chunks of them); return how many. chunk may give fewer than asked. */
int tg_split(tg_tensor *t, int64_t split_size, int dim, tg_tensor **out, int max_out);
int tg_chunk(tg_tensor *t, int chunks, int dim, tg_tensor **out);
/* torch.any / torch.all over dims (TG_ALL_DIMS for all), as bool; not
 * recorded. */
tg_tensor *tg_any(tg_tensor *t, tg_shape dims, bool keepdim);
tg_tensor *tg_all(tg_tensor *t, tg_shape dims, bool keepdim);
/* F.one_hot: int64 labels -> int64 (..., num_classes); -1: max label + 1. */
tg_tensor *tg_one_hot(tg_tensor *labels, int64_t num_classes);

/* ---- elementwise, with NumPy broadcasting ---------------------------------- */

tg_tensor *tg_add(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_sub(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_mul(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_div(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_pow(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_maximum(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_minimum(tg_tensor *a, tg_tensor *b);

tg_tensor *tg_add_scalar(tg_tensor *a, double s);
tg_tensor *tg_sub_scalar(tg_tensor *a, double s);  /* a - s */
tg_tensor *tg_rsub_scalar(tg_tensor *a, double s); /* s - a */
tg_tensor *tg_mul_scalar(tg_tensor *a, double s);
tg_tensor *tg_div_scalar(tg_tensor *a, double s);
tg_tensor *tg_pow_scalar(tg_tensor *a, double exponent);

tg_tensor *tg_neg(tg_tensor *a);
tg_tensor *tg_exp(tg_tensor *a);
tg_tensor *tg_log(tg_tensor *a);
tg_tensor *tg_log1p(tg_tensor *a);
tg_tensor *tg_sqrt(tg_tensor *a);
tg_tensor *tg_abs(tg_tensor *a);
tg_tensor *tg_sigmoid(tg_tensor *a);
tg_tensor *tg_tanh(tg_tensor *a);
tg_tensor *tg_erf(tg_tensor *a);
tg_tensor *tg_relu(tg_tensor *a);
tg_tensor *tg_leaky_relu(tg_tensor *a, double negative_slope);
/* Bounds may be -INFINITY / INFINITY for "none". */
tg_tensor *tg_clamp(tg_tensor *a, double min, double max);
tg_tensor *tg_sin(tg_tensor *a);
tg_tensor *tg_cos(tg_tensor *a);
/* Steps: their gradient is zero, as PyTorch's. round takes halves to even. */
tg_tensor *tg_floor(tg_tensor *a);
tg_tensor *tg_ceil(tg_tensor *a);
tg_tensor *tg_round(tg_tensor *a);
/* F.silu: x * sigmoid(x) */
tg_tensor *tg_silu(tg_tensor *a);
/* F.softplus: log(1 + exp(beta x)) / beta, and x where beta x > threshold
 * (PyTorch's defaults: beta 1, threshold 20). */
tg_tensor *tg_softplus(tg_tensor *a, double beta, double threshold);
/* F.elu: x above 0, alpha (exp(x) - 1) otherwise (default alpha 1). */
tg_tensor *tg_elu(tg_tensor *a, double alpha);
/* F.hardtanh: clamp to [min_val, max_val] (defaults -1, 1); the gradient
 * passes strictly inside. */
tg_tensor *tg_hardtanh(tg_tensor *a, double min_val, double max_val);

/* comparisons give bool tensors and are never recorded */
tg_tensor *tg_eq(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_ne(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_lt(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_le(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_gt(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_ge(tg_tensor *a, tg_tensor *b);
tg_tensor *tg_eq_scalar(tg_tensor *a, double s);
tg_tensor *tg_ne_scalar(tg_tensor *a, double s);
tg_tensor *tg_lt_scalar(tg_tensor *a, double s);
tg_tensor *tg_le_scalar(tg_tensor *a, double s);
tg_tensor *tg_gt_scalar(tg_tensor *a, double s);
tg_tensor *tg_ge_scalar(tg_tensor *a, double s);

/* ---- reductions (dims: TG_DIMS(...) or TG_ALL_DIMS) ------------------------ */

tg_tensor *tg_sum(tg_tensor *t, tg_shape dims, bool keepdim);
tg_tensor *tg_mean(tg_tensor *t, tg_shape dims, bool keepdim);
/* correction 1 is the unbiased estimator, 0 the population one */
tg_tensor *tg_var(tg_tensor *t, tg_shape dims, int correction, bool keepdim);
tg_tensor *tg_std(tg_tensor *t, tg_shape dims, int correction, bool keepdim);
tg_tensor *tg_logsumexp(tg_tensor *t, tg_shape dims, bool keepdim);
/* values along one dim; *indices (may be NULL) receives an int64 tensor */
tg_tensor *tg_max(tg_tensor *t, int dim, bool keepdim, tg_tensor **indices);
tg_tensor *tg_min(tg_tensor *t, int dim, bool keepdim, tg_tensor **indices);
tg_tensor *tg_max_all(tg_tensor *t);
tg_tensor *tg_min_all(tg_tensor *t);
tg_tensor *tg_argmax(tg_tensor *t, int dim, bool keepdim);
tg_tensor *tg_argmin(tg_tensor *t, int dim, bool keepdim);
tg_tensor *tg_softmax(tg_tensor *t, int dim);
/* torch.cumsum along dim (bool and int64 sum as int64). */
tg_tensor *tg_cumsum(tg_tensor *t, int dim);
/* torch.sort along dim (NaN last when ascending, first when descending;
 * equal values keep their order); *indices (may be NULL) gets int64. */
tg_tensor *tg_sort(tg_tensor *t, int dim, bool descending, tg_tensor **indices);
tg_tensor *tg_argsort(tg_tensor *t, int dim, bool descending);
/* torch.topk: the k largest (or smallest) along dim, sorted. */
tg_tensor *tg_topk(tg_tensor *t, int64_t k, int dim, bool largest, tg_tensor **indices);
tg_tensor *tg_log_softmax(tg_tensor *t, int dim);
/* Reduce a broadcast gradient back to `shape` (sums the expanded dims). */
tg_tensor *tg_sum_to_size(tg_tensor *t, tg_shape shape);

/* ---- linear algebra ---------------------------------------------------------- */

/* torch.matmul: 1-D, 2-D and batched with broadcast batch dims. */
tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b);
/* F.linear: x @ w^T + b (b may be NULL); one GEMM with the bias folded in. */
tg_tensor *tg_linear(tg_tensor *x, tg_tensor *w, tg_tensor *b);
/* torch.bmm: (b, n, m) @ (b, m, p) without broadcasting. */
tg_tensor *tg_bmm(tg_tensor *a, tg_tensor *b);

/* ---- parameter lists (what optimizers and clipping take) ----------------------- */

/* PyTorch's `params` argument: the tensors an optimizer updates or a clip
 * rescales, in order. tg_module_parameters(model) gives a model's (the
 * model.parameters() of PyTorch); for raw tensors, list them in place,
 *     tg_sgd(TG_PARAMS(w, b), o)
 * or wrap an array, (tg_params){array, n}. The list is only read during the
 * call: an optimizer retains the tensors themselves. */
typedef struct tg_params {
  tg_tensor *const *items;
  int n;
} tg_params;

#define TG_PARAMS(...)                                                                   \
  ((tg_params){(tg_tensor *const[]){__VA_ARGS__},                                        \
               (int)(sizeof((tg_tensor *[]){__VA_ARGS__}) / sizeof(tg_tensor *))})

/* ---- named tensors (state dicts) ------------------------------------------------ */

/* An ordered list of (name, tensor): iterate items[0 .. n-1]. Each entry
 * owns a copy of its name and one reference to its tensor. What state_dict,
 * named_parameters and optimizer state dicts return; what checkpoints save. */
typedef struct tg_named_tensor {
  char *name;
  tg_tensor *tensor;
} tg_named_tensor;

typedef struct tg_tensor_dict {
  int n;
  int capacity;
  tg_named_tensor *items;
} tg_tensor_dict;

tg_tensor_dict *tg_tensor_dict_new(void);
/* Appends a copy of name and a new reference to t; names must be unique. */
void tg_tensor_dict_add(tg_tensor_dict *d, const char *name, tg_tensor *t);
tg_tensor *tg_tensor_dict_get(const tg_tensor_dict *d,
                              const char *name); /* borrowed; NULL if absent */
void tg_tensor_dict_free(tg_tensor_dict *d);     /* NULL is fine */

/* ---- threads ------------------------------------------------------------------ */

void tg_set_num_threads(int n);
int tg_get_num_threads(void);

/* The instruction-set path the hand-written kernels (small GEMMs, fused
 * activation gradients, optimizer steps) run: "avx512", "avx2" or
 * "baseline". Picked once per process: the widest the CPU has, or a
 * narrower one named by the environment variable TG_ISA. Every path gives
 * the same numbers, bit for bit. */
const char *tg_simd_path(void);

TG_API_END
#endif
