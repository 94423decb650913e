/* The tensor object: construction, reference counting, basic facts.
 *
 * Releasing is iterative: dropping the last reference to a loss can free a
 * chain of a million nodes, and freeing them recursively would overflow the
 * stack. Objects whose count reaches zero go on a worklist that the
 * outermost release drains. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"

/* ---- facts ---- */

const char *tg_dtype_name(tg_dtype dtype) {
  static const char *names[] = {"bool", "int64", "float32", "float64"};
  return (unsigned)dtype < 4 ? names[dtype] : "invalid";
}

size_t tg_dtype_size(tg_dtype dtype) {
  static const size_t sizes[] = {sizeof(bool), sizeof(int64_t), sizeof(float),
                                 sizeof(double)};
  return sizes[dtype];
}

bool tg_is_floating(tg_dtype dtype) {
  return dtype == TG_FLOAT32 || dtype == TG_FLOAT64;
}

tg_dtype tg_promote(tg_dtype a, tg_dtype b) {
  return a > b ? a : b;
}

/* Every tensor's shape passed tg_shape_problem when it was made, so its
 * product fits in int64. */
int64_t tg_shape_numel(tg_shape s) {
  int64_t n = 1;
  for (int i = 0; i < s.ndim; i++) n *= s.d[i];
  return n;
}

const char *tg_shape_problem(int ndim, const int64_t *d, size_t elem_size) {
  if (ndim < 0 || ndim > TG_MAX_DIMS)
    return "more than " TG_STR(TG_MAX_DIMS) " dimensions";
  /* The contiguous strides skip zero dims, so their product must fit too:
   * a (0, 2^40, 2^40) tensor has no elements but a stride of 2^80. */
  int64_t extent = 1, bytes;
  for (int i = 0; i < ndim; i++) {
    if (d[i] < 0) return "negative dimension";
    if (__builtin_mul_overflow(extent, d[i] > 0 ? d[i] : 1, &extent))
      return "element count overflows 64 bits";
  }
  if (__builtin_mul_overflow(extent, (int64_t)elem_size, &bytes))
    return "byte size overflows 64 bits";
  return NULL;
}

int64_t tg_numel(const tg_tensor *t) {
  tg_use(t, NULL);
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

tg_shape tg_shape_make(int ndim, const int64_t *d) {
  if (ndim < 0 || ndim > TG_MAX_DIMS)
    tg_error("tg_shape_make: a shape has 0 to %d dimensions, got %d", TG_MAX_DIMS, ndim);
  tg_shape s = {ndim, {0}};
  if (ndim > 0) memcpy(s.d, d, sizeof(int64_t) * (size_t)ndim);
  return s;
}

/* A tensor's dims past its ndim are zero (new_header), and its ndim and
 * shape are laid out as a tg_shape's ndim and d (checked below), so its
 * shape is one copy of those bytes. Building the shape field by field
 * made GCC assemble it on the stack in stores of other widths and
 * offsets than the loads that copied it out, which had to wait for them
 * (a store is not forwarded to a load it only partly covers): that was a
 * twentieth of a moons epoch's cycles here. */
_Static_assert(offsetof(tg_tensor, shape) - offsetof(tg_tensor, ndim) ==
                       offsetof(tg_shape, d) &&
                   sizeof(((tg_tensor *)0)->shape) == sizeof(((tg_shape *)0)->d),
               "a tensor's ndim and shape are laid out as a tg_shape");
tg_shape tg_shape_of(const tg_tensor *t) {
  tg_use(t, NULL);
  tg_shape s;
  memcpy(&s, &t->ndim, sizeof s);
  return s;
}

bool tg_same_shape(const tg_tensor *a, const tg_tensor *b) {
  tg_use(a, NULL);
  tg_use(b, NULL);
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return false;
  return true;
}

bool tg_shape_equal(tg_shape a, tg_shape b) {
  if (a.ndim != b.ndim) return false;
  for (int i = 0; i < a.ndim; i++)
    if (a.d[i] != b.d[i]) return false;
  return true;
}

int tg_wrap_dim(const char *op, int64_t dim, int ndim) {
  int n = ndim > 0 ? ndim : 1; /* a 0-d tensor accepts dim 0 and -1 */
  if (dim < -n || dim >= n)
    tg_error("%s: dimension out of range (expected to be in range of [%d, %d], but "
             "got %lld)",
             op, -n, n - 1, (long long)dim);
  return (int)(dim < 0 ? dim + n : dim);
}

unsigned tg_dims_mask(const char *op, tg_shape dims, int ndim) {
  unsigned mask = 0;
  for (int i = 0; i < dims.ndim; i++) {
    int d = tg_wrap_dim(op, dims.d[i], ndim);
    if (ndim == 0) continue;
    if (mask & (1u << d))
      tg_error("%s: dim %d appears multiple times in the list of dims", op, d);
    mask |= 1u << d;
  }
  return mask;
}

int64_t tg_size(const tg_tensor *t, int dim) {
  return t->shape[tg_wrap_dim("tg_size", dim, t->ndim)];
}

void tg_contiguous_strides(tg_shape shape, int64_t *strides) {
  int64_t stride = 1;
  for (int i = shape.ndim - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape.d[i] > 0 ? shape.d[i] : 1;
  }
}

bool tg_is_contiguous(const tg_tensor *t) {
  for (int i = 0; i < t->ndim; i++)
    if (t->shape[i] == 0) return true; /* no element to misplace, as in PyTorch */
  int64_t expected = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    if (t->shape[i] != 1 && t->strides[i] != expected) return false;
    expected *= t->shape[i];
  }
  return true;
}

const char *tg_shape_str(tg_shape shape, char *buf) {
  int len = snprintf(buf, TG_SHAPE_STR_MAX, "(");
  for (int i = 0; i < shape.ndim; i++)
    len += snprintf(buf + len, (size_t)(TG_SHAPE_STR_MAX - len), "%s%lld", i ? "x" : "",
                    (long long)shape.d[i]);
  snprintf(buf + len, (size_t)(TG_SHAPE_STR_MAX - len), ")");
  return buf;
}

tg_shape tg_broadcast_shapes(const char *op, tg_shape a, tg_shape b) {
  tg_shape out = {a.ndim > b.ndim ? a.ndim : b.ndim, {0}};
  for (int i = 0; i < out.ndim; i++) {
    int ia = a.ndim - out.ndim + i, ib = b.ndim - out.ndim + i;
    int64_t da = ia >= 0 ? a.d[ia] : 1, db = ib >= 0 ? b.d[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      char sa[TG_SHAPE_STR_MAX], sb[TG_SHAPE_STR_MAX];
      tg_error("%s: shapes %s and %s cannot be broadcast (dimension %d: %lld vs %lld)",
               op, tg_shape_str(a, sa), tg_shape_str(b, sb), i, (long long)da,
               (long long)db);
    }
    out.d[i] = da == 1 ? db : da;
  }
  return out;
}

void tg_check_floating(const char *op, const tg_tensor *t) {
  if (!tg_is_floating(t->dtype))
    tg_error("%s: expected a floating point tensor, got %s", op, tg_dtype_name(t->dtype));
}

double tg_load(const char *p, tg_dtype dtype) {
  switch (dtype) {
  case TG_FLOAT32:
    return *(const float *)p;
  case TG_FLOAT64:
    return *(const double *)p;
  case TG_INT64:
    return (double)*(const int64_t *)p;
  case TG_BOOL:
    return *(const bool *)p;
  }
  return 0;
}

void tg_store(char *p, tg_dtype dtype, double v) {
  switch (dtype) {
  case TG_FLOAT32:
    *(float *)p = (float)v;
    break;
  case TG_FLOAT64:
    *(double *)p = v;
    break;
  case TG_INT64:
    *(int64_t *)p = tg_double_to_i64(v);
    break;
  case TG_BOOL:
    *(bool *)p = v != 0;
    break;
  }
}

/* ---- construction ---- */

/* Tensors alive in the process (every thread). */
static int64_t live_tensors;

/* Tensor headers are reused from a free list: every op makes one and
 * every scope end drops a few. Each thread has its own list (no locks);
 * a header released on another thread than made it joins that thread's. */
enum { HEADER_POOL_LIMIT = 4096 };

typedef union pooled_header {
  tg_tensor tensor;
  union pooled_header *next;
} pooled_header;

static _Thread_local pooled_header *header_pool;
static _Thread_local int header_pool_len;

static tg_tensor *header_new(void) {
  pooled_header *h = header_pool;
  if (!h) return calloc(1, sizeof(tg_tensor));
  header_pool = h->next;
  header_pool_len--;
  memset(h, 0, sizeof(tg_tensor));
  return &h->tensor;
}

static void header_free(tg_tensor *t) {
  if (header_pool_len < HEADER_POOL_LIMIT && tg_caching_enabled()) {
    tg_thread_caches_in_use();
    pooled_header *h = (pooled_header *)t;
    h->next = header_pool;
    header_pool = h;
    header_pool_len++;
    return;
  }
  free(t);
}

int64_t tg_live_tensor_count(void) {
  return __atomic_load_n(&live_tensors, __ATOMIC_RELAXED);
}

static tg_tensor *new_header(tg_shape shape, tg_dtype dtype) {
  if (shape.ndim < 0 || shape.ndim > TG_MAX_DIMS)
    tg_error("tensors have at most %d dimensions, got %d", TG_MAX_DIMS, shape.ndim);
  const char *problem = tg_shape_problem(shape.ndim, shape.d, tg_dtype_size(dtype));
  if (problem) {
    char s[TG_SHAPE_STR_MAX];
    tg_error("%s in shape %s (dtype %s)", problem, tg_shape_str(shape, s),
             tg_dtype_name(dtype));
  }
  tg_tensor *t = header_new();
  if (!t) tg_error("out of memory allocating a tensor");
  __atomic_add_fetch(&live_tensors, 1, __ATOMIC_RELAXED);
  t->refcount = 1;
  t->dtype = dtype;
  t->ndim = shape.ndim;
  /* the dims past ndim stay zero (the header starts zeroed and no one
   * writes them after this): tg_shape_of copies all of them */
  memcpy(t->shape, shape.d, sizeof(int64_t) * (size_t)shape.ndim);
  TG_CHECKED_HOOK(tg_checked_created(t));
  return t;
}

tg_tensor *tg_alloc(tg_shape shape, tg_dtype dtype) {
  tg_tensor *t = new_header(shape, dtype);
  tg_contiguous_strides(shape, t->strides);
  t->storage = tg_storage_new((size_t)tg_shape_numel(shape) * tg_dtype_size(dtype));
  return tg_scope_adopt(t);
}

tg_tensor *tg_alias(const tg_tensor *src, tg_shape shape, const int64_t *strides,
                    int64_t offset) {
  tg_tensor *t = new_header(shape, src->dtype);
  memcpy(t->strides, strides, sizeof(int64_t) * (size_t)shape.ndim);
  t->offset = offset;
  t->storage = src->storage;
  tg_storage_retain(t->storage);
  return tg_scope_adopt(t);
}

/* ---- reference counting ----
 * Counts are atomic: a tensor made on one thread may be shared with others
 * (a parameter read by several workers, a batch handed to the trainer).
 * The worklist of dead objects is per thread. */

typedef struct dead_item {
  void *object;
  bool is_node;
} dead_item;

static _Thread_local dead_item *dead;
static _Thread_local size_t dead_len, dead_cap;
static _Thread_local bool draining;

static void push_dead(void *object, bool is_node) {
  if (dead_len == dead_cap) {
    size_t cap = dead_cap ? 2 * dead_cap : 256;
    dead_item *grown = realloc(dead, cap * sizeof *grown);
    if (!grown) {
      fprintf(stderr, "tensorgrad: out of memory while freeing\n");
      abort();
    }
    tg_thread_caches_in_use();
    dead = grown;
    dead_cap = cap;
  }
  dead[dead_len++] = (dead_item){object, is_node};
}

void tg_tensor_caches_free(void) {
  while (header_pool) {
    pooled_header *h = header_pool;
    header_pool = h->next;
    free(h);
  }
  header_pool_len = 0;
  free(dead);
  dead = NULL;
  dead_len = dead_cap = 0;
}

static void destroy_tensor(tg_tensor *t) {
  bool quarantined = false; /* checked mode keeps the header to catch later uses */
  TG_CHECKED_HOOK(quarantined = tg_checked_destroyed(t));
  tg_storage_release(t->storage);
  tg_release(t->grad);
  tg_node_forget_output(t);
  tg_node_release(t->grad_fn);
  __atomic_sub_fetch(&live_tensors, 1, __ATOMIC_RELAXED);
  if (!quarantined) header_free(t);
}

static void destroy_node(tg_node *node) {
  tg_free_graph(node); /* inputs, edges, saved tensors */
  tg_release(node->grad_accum);
  tg_node_block_free(node);
}

static void drain(void) {
  if (draining) return;
  draining = true;
  while (dead_len > 0) {
    dead_item item = dead[--dead_len];
    if (item.is_node)
      destroy_node(item.object);
    else
      destroy_tensor(item.object);
  }
  draining = false;
}

tg_tensor *tg_retain(tg_tensor *t) {
  if (!t) return t;
  tg_use(t, "tg_retain");
  __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
  return t;
}

void tg_release(tg_tensor *t) {
  if (!t) return;
  TG_CHECKED_HOOK(tg_checked_release(t));
  if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
  push_dead(t, false);
  drain();
}

void tg_node_retain(tg_node *node) {
  if (node) __atomic_add_fetch(&node->refcount, 1, __ATOMIC_RELAXED);
}

void tg_node_release(tg_node *node) {
  if (!node || __atomic_sub_fetch(&node->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
  push_dead(node, true);
  drain();
}

int64_t tg_padded_size(const char *op, int64_t size, int64_t before, int64_t after) {
  int64_t padded;
  if (__builtin_add_overflow(size, before, &padded) ||
      __builtin_add_overflow(padded, after, &padded))
    tg_error("%s: size %lld padded by %lld and %lld does not fit in 64 bits", op,
             (long long)size, (long long)before, (long long)after);
  return padded;
}

int64_t tg_kernel_extent(const char *op, int64_t kernel, int64_t dilation) {
  int64_t span;
  if (__builtin_mul_overflow(dilation, kernel - 1, &span) ||
      __builtin_add_overflow(span, 1, &span))
    tg_error("%s: kernel size %lld with dilation %lld spans more than 64 bits can count",
             op, (long long)kernel, (long long)dilation);
  return span;
}
