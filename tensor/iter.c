/* The strided loop under every elementwise kernel and reduction: a few
 * operands viewed at one shape, broadcast operands with stride 0. Adjacent
 * dims that are laid out back to back in every operand are merged first, so
 * contiguous work becomes one long innermost run the compiler vectorises. */
#include <string.h>

#include "tensor/core.h"

typedef struct iter {
  int ndim;
  int n_ops;
  int64_t shape[TG_MAX_DIMS];
  char *base[TG_ITER_MAX];
  int64_t strides[TG_ITER_MAX][TG_MAX_DIMS]; /* bytes */
} iter;

static void broadcast_strides(const tg_tensor *t, tg_shape shape, int64_t *out) {
  int64_t elem = (int64_t)tg_dtype_size(t->dtype);
  int lead = shape.ndim - t->ndim;
  for (int i = 0; i < shape.ndim; i++) {
    int j = i - lead;
    out[i] = (j < 0 || t->shape[j] == 1) ? 0 : t->strides[j] * elem;
  }
}

/* Drops size-1 dims and merges dim i into i+1 when every operand steps
 * through them as one run. */
static void coalesce(iter *it) {
  int out = 0;
  for (int i = 0; i < it->ndim; i++) {
    if (it->shape[i] == 1) continue;
    bool merge = out > 0;
    for (int k = 0; merge && k < it->n_ops; k++)
      merge = it->strides[k][out - 1] == it->strides[k][i] * it->shape[i];
    if (merge) {
      it->shape[out - 1] *= it->shape[i];
      for (int k = 0; k < it->n_ops; k++) it->strides[k][out - 1] = it->strides[k][i];
      continue;
    }
    it->shape[out] = it->shape[i];
    for (int k = 0; k < it->n_ops; k++) it->strides[k][out] = it->strides[k][i];
    out++;
  }
  it->ndim = out;
}

static void iter_init(iter *it, tg_shape shape, int n_ops, tg_tensor *const *ops) {
  memset(it, 0, sizeof *it);
  it->ndim = shape.ndim;
  it->n_ops = n_ops;
  memcpy(it->shape, shape.d, sizeof(int64_t) * (size_t)shape.ndim);
  for (int k = 0; k < n_ops; k++) {
    it->base[k] = tg_ptr(ops[k]);
    broadcast_strides(ops[k], shape, it->strides[k]);
  }
  coalesce(it);
}

static void iter_run(const iter *it, tg_loop_fn body, void *ctx) {
  for (int i = 0; i < it->ndim; i++)
    if (it->shape[i] == 0) return;
  char *ptrs[TG_ITER_MAX];
  int64_t inner_strides[TG_ITER_MAX];
  if (it->ndim == 0) {
    memcpy(ptrs, it->base, sizeof ptrs);
    memset(inner_strides, 0, sizeof inner_strides);
    body(ptrs, inner_strides, 1, ctx);
    return;
  }
  int inner = it->ndim - 1;
  for (int k = 0; k < it->n_ops; k++) inner_strides[k] = it->strides[k][inner];
  int64_t counter[TG_MAX_DIMS] = {0};
  for (;;) {
    for (int k = 0; k < it->n_ops; k++) {
      ptrs[k] = it->base[k];
      for (int d = 0; d < inner; d++) ptrs[k] += counter[d] * it->strides[k][d];
    }
    body(ptrs, inner_strides, it->shape[inner], ctx);
    int d = inner - 1;
    while (d >= 0 && ++counter[d] == it->shape[d]) counter[d--] = 0;
    if (d < 0) return;
  }
}

/* The iterator cut along one of its dims for the threads. */
typedef struct split_run {
  const iter *it;
  int dim;
  tg_loop_fn body;
  void *ctx;
} split_run;

static void run_split_part(int64_t begin, int64_t end, void *arg) {
  const split_run *r = arg;
  iter part = *r->it;
  part.shape[r->dim] = end - begin;
  for (int k = 0; k < part.n_ops; k++) part.base[k] += begin * part.strides[k][r->dim];
  iter_run(&part, r->body, r->ctx);
}

/* A dim this long or longer can be cut into enough parts for the threads. */
enum { SPLIT_LENGTH = 16 };

/* The dim to cut a strided loop along for the threads, or -1. Operand 0
 * is written; a reduction's accumulator is broadcast (stride 0) along the
 * reduced dims. Cutting a dim along which operand 0 moves gives each
 * output element to one part, whose loop visits that element's inputs in
 * the order one thread does, so the result is the same at any thread
 * count. That needs operand 0 to be contiguous (its elements distinct)
 * and no other operand to share its memory. The outermost such dim long
 * enough to cut wins (each part a block of whole inner runs), else the
 * longest. */
static int split_dim(const iter *it, tg_tensor *const *ops) {
  if (!tg_is_contiguous(ops[0])) return -1;
  for (int k = 1; k < it->n_ops; k++)
    if (ops[k]->storage == ops[0]->storage) return -1;
  int longest = -1;
  for (int d = 0; d < it->ndim; d++) {
    if (it->strides[0][d] == 0) continue;
    if (it->shape[d] >= SPLIT_LENGTH) return d;
    if (longest < 0 || it->shape[d] > it->shape[longest]) longest = d;
  }
  return longest;
}

/* One contiguous run of elements, to be cut into parts for threads. */
typedef struct flat_run {
  int n_ops;
  char *ptrs[TG_ITER_MAX];
  int64_t strides[TG_ITER_MAX];
  tg_loop_fn body;
  void *ctx;
} flat_run;

static void run_flat_part(int64_t begin, int64_t end, void *arg) {
  const flat_run *r = arg;
  char *ptrs[TG_ITER_MAX];
  for (int k = 0; k < r->n_ops; k++) ptrs[k] = r->ptrs[k] + begin * r->strides[k];
  r->body(ptrs, r->strides, end - begin, r->ctx);
}

void tg_run_elementwise(tg_shape shape, int n_ops, tg_tensor *const *ops, tg_loop_fn body,
                        void *ctx) {
  bool flat = true;
  for (int k = 0; flat && k < n_ops; k++)
    flat = ops[k]->ndim == shape.ndim && tg_is_contiguous(ops[k]) &&
           !memcmp(ops[k]->shape, shape.d, sizeof(int64_t) * (size_t)shape.ndim);
  int64_t n = tg_shape_numel(shape);
  if (flat && n > 0) {
    flat_run r = {.n_ops = n_ops, .body = body, .ctx = ctx};
    for (int k = 0; k < n_ops; k++) {
      r.ptrs[k] = tg_ptr(ops[k]);
      r.strides[k] = (int64_t)tg_dtype_size(ops[k]->dtype);
    }
    tg_parallel_for(n, tg_parallel_grain(), run_flat_part, &r);
    return;
  }
  iter it;
  iter_init(&it, shape, n_ops, ops);
  int d = n > 0 ? split_dim(&it, ops) : -1;
  if (d < 0) {
    iter_run(&it, body, ctx);
    return;
  }
  split_run r = {.it = &it, .dim = d, .body = body, .ctx = ctx};
  tg_parallel_items(it.shape[d], n / it.shape[d], run_split_part, &r);
}
