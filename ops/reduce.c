/* Reductions over any set of dims, with keepdim: sum (and through it mean,
 * var, std, logsumexp, sum_to_size), max/min with indices along one dim,
 * max/min of everything, argmax/argmin.
 *
 * The kernel views the output at the input's shape with stride 0 along the
 * reduced dims, so one strided loop accumulates every output element.
 * float32 sums of a contiguous tensor over its leading dims, its trailing
 * dims or everything add in float in PyTorch's order (its cascade_sum, bit
 * for bit); other float32 sums (strided, or over middle dims) accumulate in
 * double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"

/* Reduced dims as a bit mask; an empty list means every dim. */
static unsigned reduce_mask(const char *op, const tg_tensor *t, tg_shape dims) {
  tg_use(t, op);
  if (dims.ndim == 0) return t->ndim ? (1u << t->ndim) - 1 : 0;
  return tg_dims_mask(op, dims, t->ndim);
}

static tg_shape kept_shape(const tg_tensor *t, unsigned mask) {
  tg_shape s = tg_shape_of(t);
  for (int i = 0; i < s.ndim; i++)
    if (mask & (1u << i)) s.d[i] = 1;
  return s;
}

static tg_shape squeezed_shape(const tg_tensor *t, unsigned mask) {
  tg_shape s = {0, {0}};
  for (int i = 0; i < t->ndim; i++)
    if (!(mask & (1u << i))) s.d[s.ndim++] = t->shape[i];
  return s;
}

/* ---- the accumulation kernels ---- */

typedef enum { ACC_SUM, ACC_MAX, ACC_MIN } acc_kind;

/* Instantiations by (element, accumulator): sums of floats add in double,
 * of integers and bools in int64; max and min keep the element type. */
#define T bool
#define A int64_t
#define SUFFIX b8_i64
#include "ops/reduce_loops.inc"
#undef T
#undef A
#undef SUFFIX
#define T int64_t
#define A int64_t
#define SUFFIX i64_i64
#include "ops/reduce_loops.inc"
#undef T
#undef A
#undef SUFFIX
#define T float
#define A double
#define SUFFIX f32_f64
#include "ops/reduce_loops.inc"
#undef T
#undef A
#undef SUFFIX
#define T double
#define A double
#define SUFFIX f64_f64
#include "ops/reduce_loops.inc"
#undef T
#undef A
#undef SUFFIX
#define T float
#define A float
#define SUFFIX f32_f32
#include "ops/reduce_loops.inc"
#undef T
#undef A
#undef SUFFIX

static int64_t add_i64(int64_t acc, int64_t x) {
  return acc + x;
}
static double add_f64(double acc, double x) {
  return acc + x;
}
/* NaN wins, as in PyTorch; on ties the later element (the max of -0. and
 * 0. is 0., the min of 0. and -0. is -0., as PyTorch's kernels give) */
static int64_t max_i64(int64_t acc, int64_t x) {
  return x > acc ? x : acc;
}
static float max_f32(float acc, float x) {
  return (x != x || x >= acc) ? x : acc;
}
static double max_f64(double acc, double x) {
  return (x != x || x >= acc) ? x : acc;
}
static int64_t min_i64(int64_t acc, int64_t x) {
  return x < acc ? x : acc;
}
static float min_f32(float acc, float x) {
  return (x != x || x <= acc) ? x : acc;
}
static double min_f64(double acc, double x) {
  return (x != x || x <= acc) ? x : acc;
}

static void sum_loop_b8(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_b8_i64(p, s, n, add_i64);
}
static void sum_loop_i64(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_i64_i64(p, s, n, add_i64);
}
static void sum_loop_f32(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_f32_f64(p, s, n, add_f64);
}
static void sum_loop_f64(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_f64_f64(p, s, n, add_f64);
}
static void max_loop_i64(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_i64_i64(p, s, n, max_i64);
}
static void max_loop_f32(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_f32_f32(p, s, n, max_f32);
}
static void max_loop_f64(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_f64_f64(p, s, n, max_f64);
}
static void min_loop_i64(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_i64_i64(p, s, n, min_i64);
}
static void min_loop_f32(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_f32_f32(p, s, n, min_f32);
}
static void min_loop_f64(char **p, const int64_t *s, int64_t n, void *ctx) {
  acc_map_f64_f64(p, s, n, min_f64);
}

static const tg_loop_fn acc_loops[3][4] = {
    {sum_loop_b8, sum_loop_i64, sum_loop_f32, sum_loop_f64},
    {NULL, max_loop_i64, max_loop_f32, max_loop_f64},
    {NULL, min_loop_i64, min_loop_f32, min_loop_f64},
};

/* The accumulator's dtype: sums of floats in double, of ints in int64. */
static tg_dtype acc_dtype(acc_kind kind, tg_dtype dtype) {
  if (kind == ACC_SUM) return tg_is_floating(dtype) ? TG_FLOAT64 : TG_INT64;
  return dtype;
}

/* ---- contiguous float sums over leading or trailing dims ----
 * The common reductions (a loss's mean, a bias gradient's sum over the
 * batch) without a double tensor and a conversion pass. float64 sums add
 * in the order the strided loop would, so the result is bit for bit the
 * general path's; float32 sums follow PyTorch's cascade in float (below).
 *
 * Large sums run on the threads of tg_set_num_threads: each output element
 * is still added in one fixed order, whatever the thread count. Row and
 * column sums give each thread whole rows or columns; the cascade below
 * cuts long columns at the boundaries where its own order adds finished
 * partial sums together, and adds those in order afterwards. */

/* Splits t's non-unit dims into outer x inner where mask reduces exactly
 * the outer ones (*leading) or exactly the inner ones; false otherwise. */
static bool split_reduced(const tg_tensor *t, unsigned mask, int64_t *outer,
                          int64_t *inner, bool *leading) {
  int first = -1, last = -1, kept_before = 0, kept_after = 0;
  for (int i = 0; i < t->ndim; i++) {
    if (t->shape[i] == 1) continue;
    if (mask & (1u << i)) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return false;
  for (int i = 0; i < t->ndim; i++) {
    if (t->shape[i] == 1 || (mask & (1u << i))) continue;
    if (i < first)
      kept_before++;
    else if (i > last)
      kept_after++;
    else
      return false; /* a kept dim between reduced ones */
  }
  if (kept_before && kept_after) return false;
  *leading = kept_before == 0;
  int split = *leading ? last + 1 : first;
  *outer = *inner = 1;
  for (int i = 0; i < t->ndim; i++) *(i < split ? outer : inner) *= t->shape[i];
  return true;
}

/* A contiguous rows x cols matrix and its sums (over rows or over columns),
 * for the threads' parts. */
typedef struct matrix_sum {
  const char *x;
  char *out;
  int64_t rows, cols;
} matrix_sum;

static void sum_rows_f64_part(int64_t begin, int64_t end, void *arg) {
  const matrix_sum *m = arg;
  sum_rows_f64_f64((const double *)m->x + begin * m->cols, (double *)m->out + begin,
                   end - begin, m->cols);
}

/* float64 column sums, out being the accumulator: columns [begin, end). */
TG_DISPATCHED(sum_cols_double,
              (const double *restrict x, double *restrict out, int64_t rows,
               int64_t stride, int64_t cols),
              (x, out, rows, stride, cols)) {
  for (int64_t c = 0; c < cols; c++) out[c] = 0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) out[c] += x[r * stride + c];
}
static void sum_cols_f64_part(int64_t begin, int64_t end, void *arg) {
  const matrix_sum *m = arg;
  sum_cols_double((const double *)m->x + begin, (double *)m->out + begin, m->rows,
                  m->cols, end - begin);
}

/* float32 column sums (a bias gradient over the batch) as PyTorch 1.13's
 * CPU kernel adds them on an AVX2 machine (ATen's SumKernel.cpp): in
 * float, down the rows in chunks of 2^power rows whose sums are carried up
 * through four levels of partial sums, so only sums of a similar size meet
 * (up to 16 rows this is a plain running sum). Columns in whole blocks of
 * 32 (of 4 when there are fewer than 8 columns) are summed that way; the
 * rest, as there, split the rows into four interleaved partial sums first
 * (row i goes to partial i % 4). */
enum { CASCADE_LEVELS = 4, CASCADE_BLOCK = 32, INTERLEAVE = 4 };
/* Columns per piece for the threads: whole blocks of 32. */
enum { CASCADE_CHUNK = 8 * CASCADE_BLOCK };

static int ceil_log2(int64_t n) {
  int bits = 0;
  while (((int64_t)1 << bits) < n) bits++;
  return bits;
}

/* The cascade's chunk size for `rows` rows: 2^power. */
static int cascade_power(int64_t rows) {
  int power = ceil_log2(rows) / CASCADE_LEVELS;
  return power < 4 ? 4 : power; /* chunks of at least 16 rows */
}

/* The levels `rows` rows reach: level k once there are 2^(power k). */
static int levels_used(int64_t rows, int power) {
  int used = 1;
  while (used < CASCADE_LEVELS && rows >> (power * used)) used++;
  return used;
}

/* The cascade's levels, unfolded: acc[level * n + g * cols + c] after
 * adding x[i * row_stride + g * group_stride + c] for i < rows, g < groups,
 * c < cols (n = groups * cols), for the levels_used(rows, power) levels
 * (the others would be 0). After a whole multiple of
 * 2^(power * (CASCADE_LEVELS - 1)) rows everything is in the top level. */
TG_DISPATCHED(cascade_levels,
              (const float *restrict x, float *restrict acc, int64_t rows,
               int64_t row_stride, int groups, int64_t group_stride, int64_t cols,
               int power),
              (x, acc, rows, row_stride, groups, group_stride, cols, power)) {
  int64_t step = (int64_t)1 << power, mask = step - 1, n = groups * cols;
  for (int64_t c = 0; c < levels_used(rows, power) * n; c++) acc[c] = 0;
  int64_t i = 0;
  while (i + step <= rows) {
    for (int64_t j = 0; j < step; j++, i++)
      for (int g = 0; g < groups; g++)
        for (int64_t c = 0; c < cols; c++)
          acc[g * cols + c] += x[i * row_stride + g * group_stride + c];
    for (int level = 1; level < CASCADE_LEVELS; level++) {
      float *lower = acc + (level - 1) * n, *upper = acc + level * n;
      for (int64_t c = 0; c < n; c++) {
        upper[c] += lower[c];
        lower[c] = 0;
      }
      if (i & (mask << (level * power))) break;
    }
  }
  for (; i < rows; i++)
    for (int g = 0; g < groups; g++)
      for (int64_t c = 0; c < cols; c++)
        acc[g * cols + c] += x[i * row_stride + g * group_stride + c];
}

/* One cascaded sum cut into pieces: column chunks of CASCADE_CHUNK times
 * row blocks. A block is the rows whose sum the cascade carries into its
 * top level in one addition; the last piece of a column, the rows after
 * the last whole block, ends with its lower levels folded. The top level
 * is then the blocks' sums added in order, and the result that plus the
 * folded rest: the single-pass cascade's additions, in its order. */
typedef struct cascade {
  const float *x;
  int64_t rows, row_stride, group_stride, cols;
  int groups, power;
  int64_t block_rows, blocks; /* whole blocks; piece `blocks` is the rest */
  float *out;                 /* the rest's folded sums: groups x cols */
  float *block_sums;          /* blocks x groups x cols */
} cascade;

/* dst[c] = ((lower[c] + lower[stride + c]) + ...) over `levels` levels
 * of which the first `used` are in lower (the rest are 0), for c < n. */
TG_DISPATCHED(fold_levels,
              (float *restrict dst, const float *restrict lower, int64_t n,
               int64_t stride, int used, int levels),
              (dst, lower, n, stride, used, levels)) {
  for (int64_t c = 0; c < n; c++) dst[c] = lower[c];
  for (int level = 1; level < used && level < levels; level++)
    for (int64_t c = 0; c < n; c++) dst[c] += lower[level * stride + c];
  if (used < levels) /* adding zeros changes only -0, to 0 */
    for (int64_t c = 0; c < n; c++) dst[c] += 0.0f;
}

static void cascade_piece(const cascade *k, int64_t piece, float *acc) {
  int64_t chunk = piece / (k->blocks + 1), b = piece % (k->blocks + 1);
  int64_t c0 = chunk * CASCADE_CHUNK, cols = k->cols - c0;
  if (cols > CASCADE_CHUNK) cols = CASCADE_CHUNK;
  int64_t r0 = b * k->block_rows, rows = b < k->blocks ? k->block_rows : k->rows - r0;
  int64_t n = k->groups * cols;
  cascade_levels(k->x + r0 * k->row_stride + c0, acc, rows, k->row_stride, k->groups,
                 k->group_stride, cols, k->power);
  /* A whole block's sum is its top level. The rest folds its levels, and
   * the top one too when there are no blocks; otherwise cascade_sum adds
   * the top level, the blocks' sums, afterwards. */
  bool whole = b < k->blocks;
  float *dst = (whole ? k->block_sums + b * k->groups * k->cols : k->out) + c0;
  const float *src = whole ? acc + (CASCADE_LEVELS - 1) * n : acc;
  int used = whole ? 1 : levels_used(rows, k->power);
  int levels = whole ? 1 : (k->blocks ? CASCADE_LEVELS - 1 : CASCADE_LEVELS);
  for (int g = 0; g < k->groups; g++) /* groups > 1 come in one chunk */
    fold_levels(dst + g * cols, src + g * cols, cols, n, used, levels);
}

static void cascade_part(int64_t begin, int64_t end, void *arg) {
  float acc[CASCADE_LEVELS * CASCADE_CHUNK];
  for (int64_t piece = begin; piece < end; piece++) cascade_piece(arg, piece, acc);
}

/* out[j] += the top level: the blocks' sums added in order, from 0. */
TG_DISPATCHED(add_top_level,
              (float *restrict out, float *restrict sums, int64_t blocks, int64_t n),
              (out, sums, blocks, n)) {
  for (int64_t j = 0; j < n; j++) sums[j] = 0.0f + sums[j];
  for (int64_t b = 1; b < blocks; b++)
    for (int64_t j = 0; j < n; j++) sums[j] += sums[b * n + j];
  for (int64_t j = 0; j < n; j++) out[j] += sums[j];
}

/* out[g * cols + c] = the cascaded sum over i < rows of
 * x[i * row_stride + g * group_stride + c], for g < groups, c < cols.
 * groups * cols is at most CASCADE_CHUNK unless groups is 1. */
static void cascade_sum(const float *x, float *out, int64_t rows, int64_t row_stride,
                        int groups, int64_t group_stride, int64_t cols) {
  int power = cascade_power(rows);
  int64_t block_rows = (int64_t)1 << (power * (CASCADE_LEVELS - 1));
  cascade k = {.x = x,
               .rows = rows,
               .row_stride = row_stride,
               .group_stride = group_stride,
               .cols = cols,
               .groups = groups,
               .power = power,
               .block_rows = block_rows,
               .blocks = rows / block_rows,
               .out = out};
  int64_t n = groups * cols, chunks = (cols + CASCADE_CHUNK - 1) / CASCADE_CHUNK;
  if (n == 0) return;
  int64_t pieces = chunks * (k.blocks + 1);
  tg_storage *s =
      k.blocks ? tg_storage_new(sizeof(float) * (size_t)(k.blocks * n)) : NULL;
  if (s) k.block_sums = s->data;
  tg_parallel_items(pieces, rows * n / pieces, cascade_part, &k);
  if (s) {
    add_top_level(out, k.block_sums, k.blocks, n);
    tg_storage_release(s);
  }
}

/* float32 row sums (over trailing dims, or everything) as PyTorch 1.13's
 * cascade_sum adds a contiguous row on an AVX2 machine: a row of 8 or more
 * is read as vectors of 8 floats, four vector accumulators take every
 * fourth vector through the four-level cascade above (row_sum's
 * multi_row_sum), the vectors past the last four go to the first, the four
 * are added, then the scalar tail is summed from 0 and the first
 * accumulator's 8 lanes added to it in order (vectorized_inner_sum). A
 * shorter row: the same with 4 scalar accumulators (scalar_inner_sum). */
enum { SUM_LANES = 8, SUM_ILP = 4 };

static float scalar_row_sum(const float *x, int64_t n) {
  float part[SUM_ILP] = {0};
  int64_t i = 0;
  if (n >= SUM_ILP)
    for (; i < SUM_ILP; i++) part[i] += x[i];
  for (; i < n; i++) part[0] += x[i];
  for (int k = 1; k < SUM_ILP; k++) part[0] += part[k];
  return part[0];
}

/* The row's sum from its four accumulators `part` (after the cascade over
 * its whole groups of four vectors). */
static float finish_row_sum(const float *x, int64_t n, float *part) {
  int64_t vecs = n / SUM_LANES;
  for (int64_t v = vecs / SUM_ILP * SUM_ILP; v < vecs; v++)
    for (int l = 0; l < SUM_LANES; l++) part[l] += x[v * SUM_LANES + l];
  for (int k = 1; k < SUM_ILP; k++)
    for (int l = 0; l < SUM_LANES; l++) part[l] += part[k * SUM_LANES + l];
  float sum = 0;
  for (int64_t i = vecs * SUM_LANES; i < n; i++) sum += x[i];
  for (int l = 0; l < SUM_LANES; l++) sum += part[l];
  return sum;
}

enum { SUM_WIDTH = SUM_ILP * SUM_LANES };

static float row_sum_f32(const float *x, int64_t n) {
  if (n < SUM_LANES) return scalar_row_sum(x, n);
  int64_t quads = n / SUM_WIDTH;
  float acc[CASCADE_LEVELS * SUM_WIDTH], part[SUM_WIDTH];
  int power = cascade_power(quads);
  cascade_levels(x, acc, quads, SUM_WIDTH, 1, 0, SUM_WIDTH, power);
  fold_levels(part, acc, SUM_WIDTH, SUM_WIDTH, levels_used(quads, power), CASCADE_LEVELS);
  return finish_row_sum(x, n, part);
}

/* One long row (a sum of everything) on the threads: its cascade cut into
 * blocks as cascade_sum cuts columns, the same additions in the same
 * order. Not inside a loop body: cascade_sum allocates. */
static float long_row_sum_f32(const float *x, int64_t n) {
  if (n < SUM_LANES) return scalar_row_sum(x, n);
  float part[SUM_WIDTH];
  cascade_sum(x, part, n / SUM_WIDTH, SUM_WIDTH, 1, 0, SUM_WIDTH);
  return finish_row_sum(x, n, part);
}

/* Sums over trailing dims: rows [begin, end). */
static void sum_rows_f32_part(int64_t begin, int64_t end, void *arg) {
  const matrix_sum *m = arg;
  const float *x = (const float *)m->x;
  float *out = (float *)m->out;
  for (int64_t r = begin; r < end; r++) out[r] = row_sum_f32(x + r * m->cols, m->cols);
}

static void cascade_sum_cols(const float *x, float *out, int64_t rows, int64_t cols) {
  /* fewer columns than a vector's 8: blocks of 4 (scalar_outer_sum) */
  int64_t block = cols < SUM_LANES ? SUM_ILP : CASCADE_BLOCK;
  int64_t blocked = cols / block * block, rest = cols - blocked;
  cascade_sum(x, out, rows, cols, 1, 0, blocked);
  if (rest) {
    float acc[INTERLEAVE * CASCADE_BLOCK]; /* four partials of each column */
    int64_t quads = rows / INTERLEAVE;
    cascade_sum(x + blocked, acc, quads, INTERLEAVE * cols, INTERLEAVE, cols, rest);
    for (int64_t c = 0; c < rest; c++) {
      float sum = acc[c];
      for (int64_t i = quads * INTERLEAVE; i < rows; i++)
        sum += x[i * cols + blocked + c];
      for (int g = 1; g < INTERLEAVE; g++) sum += acc[g * rest + c];
      out[blocked + c] = sum;
    }
  }
}

/* NULL when t's layout is not one of the fast cases. */
static tg_tensor *sum_contiguous(tg_tensor *t, unsigned mask) {
  int64_t outer, inner;
  bool leading;
  if (!tg_is_floating(t->dtype) || !tg_is_contiguous(t) ||
      !split_reduced(t, mask, &outer, &inner, &leading))
    return NULL;
  tg_tensor *out = tg_alloc(kept_shape(t, mask), t->dtype);
  bool f32 = t->dtype == TG_FLOAT32;
  if (leading && inner == 1) { /* everything: one row, as ATen's iterator makes it */
    leading = false;
    inner = outer;
    outer = 1;
  }
  matrix_sum m = {.x = tg_ptr(t), .out = tg_ptr(out), .rows = outer, .cols = inner};
  if (!leading && outer == 1 && f32)
    *(float *)m.out = long_row_sum_f32((const float *)m.x, inner);
  else if (!leading) /* one row per output element */
    tg_parallel_items(outer, inner, f32 ? sum_rows_f32_part : sum_rows_f64_part, &m);
  else if (!f32) /* the output itself is a double accumulator */
    tg_parallel_items(inner, outer, sum_cols_f64_part, &m);
  else
    cascade_sum_cols((const float *)m.x, (float *)m.out, outer, inner);
  return out;
}

/* Reduces t over mask into a keepdim-shaped tensor of the result dtype. */
static tg_tensor *accumulate(acc_kind kind, tg_tensor *t, unsigned mask) {
  tg_dtype result = kind == ACC_SUM && !tg_is_floating(t->dtype) ? TG_INT64 : t->dtype;
  if (kind == ACC_SUM) {
    tg_tensor *fast = sum_contiguous(t, mask);
    if (fast) return fast;
  }
  tg_scope_begin();
  tg_tensor *acc = tg_alloc(kept_shape(t, mask), acc_dtype(kind, t->dtype));
  if (kind == ACC_SUM)
    tg_fill_(acc, 0);
  else if (tg_is_floating(t->dtype))
    tg_fill_(acc, kind == ACC_MAX ? -INFINITY : INFINITY);
  else
    tg_fill_(acc, kind == ACC_MAX ? -9.2e18 : 9.2e18);
  tg_tensor *ops[2] = {acc, t};
  tg_run_elementwise(tg_shape_of(t), 2, ops, acc_loops[kind][t->dtype], NULL);
  return tg_scope_return(tg_to(acc, result));
}

/* ---- sum ---- */

/* The keepdim result viewed without its reduced dims (no copy, no tape). */
static tg_tensor *squeeze_reduced(tg_tensor *kept, const tg_tensor *t, unsigned mask) {
  tg_shape s = squeezed_shape(t, mask);
  int64_t strides[TG_MAX_DIMS];
  tg_contiguous_strides(s, strides);
  return tg_alias(kept, s, strides, 0);
}

static tg_tensor *keepdim_view(tg_tensor *g, const tg_tensor *input, unsigned mask) {
  return tg_reshape(g, kept_shape(input, mask));
}

typedef struct sum_args {
  unsigned mask; /* the reduced dims */
} sum_args;

static void sum_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input_meta(node, 0);
  const sum_args *a = tg_node_args(node);
  grads[0] = tg_expand(keepdim_view(g, x, a->mask), tg_shape_of(x));
}

const tg_op tg_op_sum = {.name = "sum",
                         .backward = sum_backward,
                         .args_size = sizeof(sum_args),
                         .keeps_inputs = TG_KEEPS_NONE};

tg_tensor *tg_sum(tg_tensor *t, tg_shape dims, bool keepdim) {
  unsigned mask = reduce_mask("tg_sum", t, dims);
  tg_scope_begin();
  tg_tensor *out = accumulate(ACC_SUM, t, mask);
  if (!keepdim) out = squeeze_reduced(out, t, mask);
  tg_node *node = tg_record(&tg_op_sum, out, 1, &t);
  if (node) ((sum_args *)tg_node_args(node))->mask = mask;
  if (dims.ndim) tg_name_grad_fn(out, t, "SumBackward1");
  return tg_scope_return(out);
}

tg_tensor *tg_sum_to_size(tg_tensor *t, tg_shape shape) {
  if (tg_shape_equal(tg_shape_of(t), shape)) return tg_scope_adopt(tg_retain(t));
  int lead = t->ndim - shape.ndim;
  bool ok = lead >= 0;
  tg_shape dims = {0, {0}};
  for (int i = 0; ok && i < t->ndim; i++) {
    int j = i - lead;
    if (j < 0 || (shape.d[j] == 1 && t->shape[i] != 1))
      dims.d[dims.ndim++] = i;
    else
      ok = shape.d[j] == t->shape[i];
  }
  if (!ok) {
    char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
    tg_error("tg_sum_to_size: size %s is not expandable to size %s",
             tg_shape_str(shape, b), tg_shape_str(tg_shape_of(t), a));
  }
  tg_scope_begin();
  tg_tensor *s = dims.ndim ? tg_sum(t, dims, true) : t;
  return tg_scope_return(tg_name_grad_fn(tg_reshape(s, shape), t, "SumBackward1"));
}

/* ---- composites of sum ---- */

static int64_t reduced_count(const tg_tensor *t, unsigned mask) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++)
    if (mask & (1u << i)) n *= t->shape[i];
  return n;
}

tg_tensor *tg_mean(tg_tensor *t, tg_shape dims, bool keepdim) {
  if (!tg_is_floating(t->dtype))
    tg_error("tg_mean: could not infer output dtype; input dtype must be floating "
             "point, got %s",
             tg_dtype_name(t->dtype));
  int64_t n = reduced_count(t, reduce_mask("tg_mean", t, dims));
  tg_scope_begin();
  tg_tensor *out = tg_div_scalar(tg_sum(t, dims, keepdim), (double)n);
  return tg_scope_return(
      tg_name_grad_fn(out, t, dims.ndim ? "MeanBackward1" : "MeanBackward0"));
}

/* ---- var / std: ops of their own, for PyTorch's backward at the edges ---- */

typedef struct var_args {
  unsigned mask;
  int correction;
} var_args;

static tg_shape mask_dims(const tg_tensor *t, unsigned mask) {
  tg_shape dims = {0, {0}};
  for (int i = 0; i < t->ndim; i++)
    if (mask & (1u << i)) dims.d[dims.ndim++] = i;
  return dims;
}

/* PyTorch's var_backward: g * 2 (x - mean) / (N - correction). The forward
 * divides by max(0, N - correction); the backward by N - correction. */
static tg_tensor *var_grad(tg_node *node, tg_tensor *g) {
  tg_tensor *x = tg_node_input(node, 0);
  const var_args *a = tg_node_args(node);
  int64_t n = reduced_count(x, a->mask);
  tg_tensor *centered = tg_sub(x, tg_mean(x, mask_dims(x, a->mask), true));
  double scale = 2.0 / (double)(n - a->correction);
  return tg_mul(tg_mul_scalar(centered, scale), keepdim_view(g, x, a->mask));
}

static void var_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = var_grad(node, g);
}

/* PyTorch's std_backward: var's with g / (2 std), and 0 where std is 0 (a
 * constant slice), not 0 / 0. */
static void std_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *std = tg_saved_output(node), *zero = tg_eq_scalar(std, 0);
  /* divide by 1 there, so that no inf enters (its second derivative) */
  tg_tensor *g_var = tg_div(g, tg_mul_scalar(tg_masked_fill(std, zero, 1), 2));
  grads[0] = var_grad(node, tg_masked_fill(g_var, zero, 0));
}

const tg_op tg_op_var = {.name = "var",
                         .backward = var_backward,
                         .args_size = sizeof(var_args),
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};
const tg_op tg_op_std = {.name = "std",
                         .backward = std_backward,
                         .args_size = sizeof(var_args),
                         .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

static tg_tensor *variance(const char *op, tg_tensor *t, tg_shape dims, int correction,
                           bool keepdim, bool root) {
  tg_check_floating(op, t);
  unsigned mask = reduce_mask(op, t, dims);
  int64_t n = reduced_count(t, mask), divisor = n > correction ? n - correction : 0;
  tg_scope_begin();
  bool mode = tg_set_grad_enabled(false);
  tg_tensor *centered = tg_sub(t, tg_mean(t, dims, true));
  tg_tensor *out =
      tg_div_scalar(tg_sum(tg_mul(centered, centered), dims, keepdim), (double)divisor);
  if (root) out = tg_sqrt(out);
  tg_set_grad_enabled(mode);
  tg_node *node = tg_record(root ? &tg_op_std : &tg_op_var, out, 1, &t);
  if (node) {
    *(var_args *)tg_node_args(node) = (var_args){mask, correction};
    if (root) tg_save_output(node, out);
  }
  return tg_scope_return(out);
}

tg_tensor *tg_var(tg_tensor *t, tg_shape dims, int correction, bool keepdim) {
  return variance("tg_var", t, dims, correction, keepdim, false);
}

tg_tensor *tg_std(tg_tensor *t, tg_shape dims, int correction, bool keepdim) {
  return variance("tg_std", t, dims, correction, keepdim, true);
}

/* log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the (not
 * differentiated) maximum, so large inputs do not overflow. */
tg_tensor *tg_logsumexp(tg_tensor *t, tg_shape dims, bool keepdim) {
  tg_check_floating("tg_logsumexp", t);
  unsigned mask = reduce_mask("tg_logsumexp", t, dims);
  tg_scope_begin();
  tg_tensor *m = accumulate(ACC_MAX, t, mask);
  tg_tensor *m_finite = tg_masked_fill(m, tg_eq_scalar(tg_abs(m), INFINITY), 0);
  tg_tensor *s = tg_sum(tg_exp(tg_sub(t, m_finite)), dims, true);
  tg_tensor *out = tg_add(tg_log(s), m_finite);
  if (!keepdim) out = tg_reshape(out, squeezed_shape(t, mask));
  return tg_scope_return(tg_name_grad_fn(out, t, "LogsumexpBackward0"));
}

/* ---- max / min of everything: the gradient is shared by all the elements
 * equal to the extreme, as PyTorch does ---- */

/* The gradient is shared evenly by the elements equal to the result, or
 * by the NaNs when the result is NaN (PyTorch's evenly_distribute_backward). */
static void extreme_all_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input(node, 0), *y = tg_saved_output(node);
  tg_tensor *both_nan = tg_mul(tg_ne(x, x), tg_ne(y, y)); /* bool: and, or below */
  tg_tensor *hits = tg_to(tg_add(tg_eq(x, y), both_nan), x->dtype);
  grads[0] = tg_mul(tg_div(hits, tg_sum(hits, TG_ALL_DIMS, false)), g);
}

const tg_op tg_op_max_all = {.name = "max_all",
                             .backward = extreme_all_backward,
                             .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};
const tg_op tg_op_min_all = {.name = "min_all",
                             .backward = extreme_all_backward,
                             .keeps_inputs = TG_KEEPS(TG_INPUT(0), 0)};

static tg_tensor *extreme_all(const char *name, acc_kind kind, const tg_op *op,
                              tg_tensor *t) {
  if (tg_numel(t) == 0)
    tg_error("%s: %s(): Expected reduction dim to be specified for input.numel() == 0. "
             "Specify the reduction dim with the 'dim' argument.",
             name, kind == ACC_MAX ? "max" : "min");
  if (t->dtype == TG_BOOL) tg_error("%s: expected a numeric tensor, got bool", name);
  unsigned mask = reduce_mask(name, t, TG_ALL_DIMS);
  tg_scope_begin();
  tg_tensor *out = squeeze_reduced(accumulate(kind, t, mask), t, mask);
  tg_node *node = tg_record(op, out, 1, &t);
  if (node) tg_save_output(node, out);
  return tg_scope_return(out);
}

tg_tensor *tg_max_all(tg_tensor *t) {
  return extreme_all("tg_max_all", ACC_MAX, &tg_op_max_all, t);
}
tg_tensor *tg_min_all(tg_tensor *t) {
  return extreme_all("tg_min_all", ACC_MIN, &tg_op_min_all, t);
}

/* ---- max / min / argmax / argmin along one dim ---- */

/* Visits each line along `dim` of a contiguous tensor: outer x len x inner. */
typedef struct lines {
  int64_t outer, len, inner;
} lines;

static lines lines_of(const tg_tensor *t, int dim) {
  lines l = {1, t->ndim ? t->shape[dim] : 1, 1};
  for (int i = 0; i < dim; i++) l.outer *= t->shape[i];
  for (int i = dim + 1; i < t->ndim; i++) l.inner *= t->shape[i];
  return l;
}

/* The lines of a contiguous tensor along one dim and where their extremes
 * go: a job for the threads, which take whole lines. */
typedef struct extremes {
  lines l;
  const char *data;
  tg_dtype dtype;
  bool want_max;
  int64_t *idx;
  char *values; /* NULL: indices only */
  tg_dtype values_dtype;
} extremes;

/* Index of the first extreme in each line (NaN counts as the extreme), for
 * the lines through positions [begin, end) of outer x inner: the threads
 * split the kept positions, so a reduction over dim 0 splits too. */
static void extremes_part(int64_t begin, int64_t end, void *arg) {
  const extremes *e = arg;
  lines l = e->l;
  int64_t elem = (int64_t)tg_dtype_size(e->dtype);
  int64_t value_elem = e->values ? (int64_t)tg_dtype_size(e->values_dtype) : 0;
  for (int64_t at = begin; at < end; at++) {
    int64_t base = at / l.inner * l.len * l.inner + at % l.inner, best = 0;
    double best_v = tg_load(e->data + base * elem, e->dtype);
    for (int64_t k = 1; k < l.len && best_v == best_v; k++) {
      double v = tg_load(e->data + (base + k * l.inner) * elem, e->dtype);
      if (v != v || (e->want_max ? v > best_v : v < best_v)) {
        best_v = v;
        best = k;
      }
    }
    e->idx[at] = best;
    if (e->values) tg_store(e->values + at * value_elem, e->values_dtype, best_v);
  }
}

static void find_extremes(tg_tensor *t, int dim, bool want_max, tg_tensor *values,
                          tg_tensor *indices) {
  extremes e = {.l = lines_of(t, dim),
                .data = tg_ptr(t),
                .dtype = t->dtype,
                .want_max = want_max,
                .idx = (int64_t *)tg_ptr(indices),
                .values = values ? tg_ptr(values) : NULL,
                .values_dtype = values ? values->dtype : t->dtype};
  tg_parallel_items(e.l.outer * e.l.inner, e.l.len, extremes_part, &e);
}

static tg_shape line_result_shape(const tg_tensor *t, int dim, bool keepdim) {
  unsigned mask = t->ndim ? 1u << dim : 0;
  return keepdim ? kept_shape(t, mask) : squeezed_shape(t, mask);
}

static int check_line_dim(const char *op, const tg_tensor *t, int dim) {
  int d = tg_wrap_dim(op, dim, t->ndim);
  if (t->ndim && t->shape[d] == 0)
    tg_error("%s: %s(): Expected reduction dim %d to have non-zero size.", op, op + 3, d);
  if (t->dtype == TG_BOOL) tg_error("%s: expected a numeric tensor, got bool", op);
  return t->ndim ? d : 0;
}

/* Scatters g back to the positions of the chosen elements. */
typedef struct extreme_args {
  int dim;
} extreme_args;

static void extreme_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  tg_tensor *x = tg_node_input_meta(node, 0), *idx = tg_saved(node, 0);
  int dim = ((const extreme_args *)tg_node_args(node))->dim;
  tg_tensor *g_kept = tg_reshape(g, tg_shape_of(idx));
  grads[0] = tg_scatter_add(tg_zeros_like(x), dim, idx, g_kept);
}

const tg_op tg_op_max = {.name = "max",
                         .backward = extreme_backward,
                         .args_size = sizeof(extreme_args),
                         .keeps_inputs = TG_KEEPS_NONE};
const tg_op tg_op_min = {.name = "min",
                         .backward = extreme_backward,
                         .args_size = sizeof(extreme_args),
                         .keeps_inputs = TG_KEEPS_NONE};

static tg_tensor *extreme_along(const char *name, const tg_op *op, bool want_max,
                                tg_tensor *t, int dim, bool keepdim,
                                tg_tensor **indices) {
  dim = check_line_dim(name, t, dim);
  tg_scope_begin();
  tg_tensor *c = tg_contiguous(t);
  tg_tensor *values = tg_alloc(line_result_shape(t, dim, keepdim), t->dtype);
  tg_tensor *idx_kept = tg_alloc(line_result_shape(t, dim, true), TG_INT64);
  find_extremes(c, dim, want_max, values, idx_kept);
  tg_node *node = tg_record(op, values, 1, &t);
  if (node) {
    tg_save(node, idx_kept);
    ((extreme_args *)tg_node_args(node))->dim = dim;
  }
  if (indices) *indices = tg_keep(tg_reshape(idx_kept, tg_shape_of(values)));
  return tg_scope_return(values);
}

tg_tensor *tg_max(tg_tensor *t, int dim, bool keepdim, tg_tensor **indices) {
  return extreme_along("tg_max", &tg_op_max, true, t, dim, keepdim, indices);
}

tg_tensor *tg_min(tg_tensor *t, int dim, bool keepdim, tg_tensor **indices) {
  return extreme_along("tg_min", &tg_op_min, false, t, dim, keepdim, indices);
}

static tg_tensor *arg_extreme(const char *name, bool want_max, tg_tensor *t, int dim,
                              bool keepdim) {
  dim = check_line_dim(name, t, dim);
  tg_scope_begin();
  tg_tensor *idx = tg_alloc(line_result_shape(t, dim, keepdim), TG_INT64);
  find_extremes(tg_contiguous(t), dim, want_max, NULL, idx);
  return tg_scope_return(idx);
}

tg_tensor *tg_argmax(tg_tensor *t, int dim, bool keepdim) {
  return arg_extreme("tg_argmax", true, t, dim, keepdim);
}

tg_tensor *tg_argmin(tg_tensor *t, int dim, bool keepdim) {
  return arg_extreme("tg_argmin", false, t, dim, keepdim);
}
