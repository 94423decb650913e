/* Float32 GEMM for the small products of the lecture's networks (a batch of
 * 16 through 2 -> 1000 -> 1, say). OpenBLAS's fixed cost per call (argument
 * checks, packing into its panels, a separate beta pass, waking its
 * threads) dwarfs 32K multiply-adds, so such products are computed here.
 *
 * C = alpha op(A) op(B) + beta D, where D is C itself (BLAS's beta) or a
 * bias row broadcast down C (linear's bias, without copying it into C
 * first), is computed in one of three loop orders,
 * each with unit-stride inner loops the compiler turns into vector code:
 *   rows:  each row of C is a sum of rows of op(B), scaled by op(A)[i][p];
 *   cols:  the same for the columns of C (rows of C^T = op(B)^T op(A)^T);
 *   dots:  each C[i][j] is a dot product of a row of op(A) and a column of
 *          op(B) (best for a long k and a thin C, like the 1000 -> 1 layer).
 * An operand that lacks the unit stride an order needs is packed first;
 * the order with the fewest estimated vector operations wins.
 *
 * Rows and cols add the products for p = 0, 1, ..., k - 1 in order; dots
 * keeps 32 partial sums. Both orders are fixed by the shapes alone, so a
 * result does not depend on the CPU or on the thread count. The kernels
 * are compiled for each instruction-set path (tensor/simd.h): the tiles
 * are 4 x 32 (AVX-512 registers) and 4 x 16 on the AVX-512 path, 4 x 16 on
 * the AVX2 one and 4 x 8 (SSE registers) on the baseline one; every path's
 * dots use the same 8-float vectors. Every element is rounded alike on
 * every path, no multiply-add is fused, so the results are bit for bit the
 * same; the loop order is chosen with the 4 x 16 costs on every path for
 * that reason. */
#include <limits.h>
#include <string.h>

#include "ops/ops.h"
#ifdef TG_HAVE_LIBXSMM
#include <libxsmm.h>
#endif

enum {
  TILE_R = 4,  /* rows of C per register tile */
  TILE_W = 16, /* columns of C per register tile: two 8-float vectors (two
                  16-float ones where the AVX-512 path can) */
  LANES = 8,   /* partial sums of a dot product */
  /* up to this many multiply-adds the loops here beat OpenBLAS's setup */
  SMALL_MACS = 1 << 19,
};

/* GCC's vector extension: v4 is one SSE register, v8 one AVX register
 * (two SSE ones in the baseline path's dots), v16 one AVX-512 register.
 * Loads and stores go through an unaligned, aliasing twin of the
 * type (no function takes or returns a vector: that would have no fixed
 * ABI in the baseline path). */
typedef float v8 __attribute__((vector_size(LANES * sizeof(float))));
typedef float v8_unaligned
    __attribute__((vector_size(LANES * sizeof(float)), aligned(4), may_alias));
typedef float v4 __attribute__((vector_size(LANES / 2 * sizeof(float))));
typedef float v4_unaligned
    __attribute__((vector_size(LANES / 2 * sizeof(float)), aligned(4), may_alias));
typedef float v16 __attribute__((vector_size(2 * LANES * sizeof(float))));
typedef float v16_unaligned
    __attribute__((vector_size(2 * LANES * sizeof(float)), aligned(4), may_alias));
#define LOAD8(p) (*(const v8_unaligned *)(p))
#define STORE8(p, v) (*(v8_unaligned *)(p) = (v))

/* An operand, or its packed copy: element (r, c) at data[r * rs + c * cs]. */
typedef struct matrix {
  const float *data;
  int64_t rs, cs;
} matrix;

static matrix transposed(matrix x) {
  return (matrix){x.data, x.cs, x.rs};
}

/* Where a product goes: C(i, j) = alpha acc + beta D(i, j), with C and D
 * given by strides (D's row stride is 0 for a broadcast bias row, and D
 * may be C itself). beta = 0 never reads D (BLAS's rule: C may hold NaN). */
typedef struct result {
  float *c;
  int64_t c_rs, c_cs;
  const float *d;
  int64_t d_rs, d_cs;
  float alpha, beta;
} result;

/* The same result seen from element (i, j). */
static result result_at(result r, int64_t i, int64_t j) {
  r.c += i * r.c_rs + j * r.c_cs;
  r.d += i * r.d_rs + j * r.d_cs;
  return r;
}

static result result_transposed(result r) {
  return (result){r.c, r.c_cs, r.c_rs, r.d, r.d_cs, r.d_rs, r.alpha, r.beta};
}

/* What a store computes, fixed per call so that the tile loops carry no
 * tests: alpha = 1 and beta = 0 (a plain product), alpha = beta = 1 (a
 * bias or an accumulation), anything else. 1 x is exact, so all three
 * round alike. */
typedef enum { PLAIN, ADD, SCALED } store_kind;

static store_kind kind_of(const result *out) {
  if (out->alpha == 1 && out->beta == 0) return PLAIN;
  if (out->alpha == 1 && out->beta == 1) return ADD;
  return SCALED;
}

static inline __attribute__((always_inline)) float
scaled(store_kind kind, float acc, float alpha, float beta, const float *d) {
  if (kind == PLAIN) return acc;
  if (kind == ADD) return acc + *d;
  return beta == 0 ? alpha * acc : alpha * acc + beta * *d;
}

/* Scratch floats for packed copies, from the storage cache. */
static float *scratch(int64_t n, tg_storage **s) {
  *s = tg_storage_new((size_t)n * sizeof(float));
  return (*s)->data;
}

/* ---- register tiles: TILE_R rows x TILE_W (or 2 TILE_W) columns of C ---- */

/* Every constant row count and store kind gets its own copy of the loop. */
// clang-format off
#define FOR_CONSTANTS(kind, r, call)                                          \
  switch ((kind) * TILE_R + (r) - 1) {                                        \
  case PLAIN * TILE_R + 3:  call(PLAIN, 4);  break;                           \
  case PLAIN * TILE_R + 2:  call(PLAIN, 3);  break;                           \
  case PLAIN * TILE_R + 1:  call(PLAIN, 2);  break;                           \
  case PLAIN * TILE_R + 0:  call(PLAIN, 1);  break;                           \
  case ADD * TILE_R + 3:    call(ADD, 4);    break;                           \
  case ADD * TILE_R + 2:    call(ADD, 3);    break;                           \
  case ADD * TILE_R + 1:    call(ADD, 2);    break;                           \
  case ADD * TILE_R + 0:    call(ADD, 1);    break;                           \
  case SCALED * TILE_R + 3: call(SCALED, 4); break;                           \
  case SCALED * TILE_R + 2: call(SCALED, 3); break;                           \
  case SCALED * TILE_R + 1: call(SCALED, 2); break;                           \
  default:                  call(SCALED, 1); break;                           \
  }
// clang-format on

/* row_panel_4, row_panel_8 and row_panel_16: tiles of 4 x 8, 4 x 16 and
 * 4 x 32 (VL is a literal: it names the functions and their vectors). */
#define VL 4
#include "ops/gemm_tiles.inc"
#undef VL
#define VL 8
#include "ops/gemm_tiles.inc"
#undef VL
#define VL 16
#include "ops/gemm_tiles.inc"
#undef VL

/* Rows 0..r-1 (r <= TILE_R) of the result over n columns; b's columns are
 * unit-stride and readable up to a multiple of TILE_W. The AVX-512 path
 * takes whole 4 x 32 tiles first, then 4 x 16 ones. */
typedef void row_panel_fn(int r, int64_t n, int64_t k, matrix a, matrix b, result out);

static void row_panel_baseline(int r, int64_t n, int64_t k, matrix a, matrix b,
                               result out) {
  row_panel_4(r, n, k, a, b, out);
}

static TG_TARGET_AVX2 void row_panel_avx2(int r, int64_t n, int64_t k, matrix a, matrix b,
                                          result out) {
  row_panel_8(r, n, k, a, b, out);
}

static TG_TARGET_AVX512 void row_panel_avx512(int r, int64_t n, int64_t k, matrix a,
                                              matrix b, result out) {
  int64_t wide = n / (2 * TILE_W) * (2 * TILE_W);
  row_panel_16(r, wide, k, a, b, out);
  b.data += wide;
  row_panel_8(r, n - wide, k, a, b, result_at(out, 0, wide));
}

static row_panel_fn *const row_panels[TG_ISA_COUNT] = {
    [TG_ISA_BASELINE] = row_panel_baseline,
    [TG_ISA_AVX2] = row_panel_avx2,
    [TG_ISA_AVX512] = row_panel_avx512};

/* ---- packing ---- */

/* Lanes of two vectors picked by index (0-7 from a, 8-15 from b). */
#if defined(__clang__)
#define SHUFFLE(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
typedef int v8i __attribute__((vector_size(LANES * sizeof(int))));
#define SHUFFLE(a, b, ...) __builtin_shuffle(a, b, (v8i){__VA_ARGS__})
#endif

/* dst[u * ld_dst + t] = src[t * ld_src + u] for an 8 x 8 block, in
 * registers: pairs of rows interleaved, then pairs of pairs, then halves. */
static inline __attribute__((always_inline)) void
transpose8x8(const float *src, int64_t ld_src, int rows, float *dst, int64_t ld_dst) {
  v8 r[8], t[8], u[8];
  for (int i = 0; i < 8; i++) {
    r[i] = (v8){0};
    if (i < rows) r[i] = LOAD8(src + i * ld_src);
  }
  for (int i = 0; i < 8; i += 2) {
    t[i] = SHUFFLE(r[i], r[i + 1], 0, 8, 1, 9, 2, 10, 3, 11);
    t[i + 1] = SHUFFLE(r[i], r[i + 1], 4, 12, 5, 13, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4)
    for (int h = 0; h < 2; h++) {
      u[i + 2 * h] = SHUFFLE(t[i + h], t[i + h + 2], 0, 1, 8, 9, 2, 3, 10, 11);
      u[i + 2 * h + 1] = SHUFFLE(t[i + h], t[i + h + 2], 4, 5, 12, 13, 6, 7, 14, 15);
    }
  for (int c = 0; c < 4; c++) {
    STORE8(dst + 2 * c * ld_dst, SHUFFLE(u[c], u[c + 4], 0, 1, 2, 3, 8, 9, 10, 11));
    STORE8(dst + (2 * c + 1) * ld_dst,
           SHUFFLE(u[c], u[c + 4], 4, 5, 6, 7, 12, 13, 14, 15));
  }
}

/* A transposed operand (op(B)[p][q] at data[p + q * cs], a weight read as
 * W^T) copied to k x width rows: 8 x 8 blocks through registers, or for
 * k = 2 (the moons net's two features) eight columns deinterleaved from
 * two vectors; the edges one element at a time. */
TG_DISPATCHED(pack_transposed,
              (const float *restrict w, int64_t cs, int64_t k, int64_t cols,
               float *restrict buf, int64_t width),
              (w, cs, k, cols, buf, width)) {
  int64_t q0 = 0, p_blocked = 0;
  if (k == 2 && cs == 2) {
    for (; q0 + LANES <= cols; q0 += LANES) {
      v8 lo = LOAD8(w + 2 * q0), hi = LOAD8(w + 2 * q0 + LANES);
      STORE8(buf + q0, SHUFFLE(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14));
      STORE8(buf + width + q0, SHUFFLE(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15));
    }
    p_blocked = k;
  } else if (k >= LANES) {
    p_blocked = k / LANES * LANES;
    for (; q0 + LANES <= cols; q0 += LANES)
      for (int64_t p = 0; p < p_blocked; p += LANES)
        transpose8x8(w + q0 * cs + p, cs, LANES, buf + p * width + q0, width);
    /* the last columns as a block of fewer rows (zeros for the missing
     * ones) when the buffer's rows have room for the whole block */
    if (q0 < cols && q0 + LANES <= width) {
      for (int64_t p = 0; p < p_blocked; p += LANES)
        transpose8x8(w + q0 * cs + p, cs, (int)(cols - q0), buf + p * width + q0, width);
      q0 = cols;
    }
  }
  /* what the blocks left: columns past q0, rows past p_blocked */
  for (int64_t p = 0; p < k; p++)
    for (int64_t q = p < p_blocked ? q0 : 0; q < cols; q++)
      buf[p * width + q] = w[q * cs + p];
}

void tg_stranspose_batched(const tg_sgemm_batch *batch, int64_t rows, int64_t cols,
                           const float *src, int64_t ld_src, float *dst, int64_t ld_dst) {
  for (int64_t o = 0; o < batch->count[0]; o++)
    for (int64_t i = 0; i < batch->count[1]; i++)
      pack_transposed(src + o * batch->a[0] + i * batch->a[1], ld_src, rows, cols,
                      dst + o * batch->c[0] + i * batch->c[1], ld_dst);
}

/* Columns [j0, j0 + w) of b, copied with unit-stride columns and zeros up
 * to a multiple of TILE_W (so every tile reads whole vectors). */
static matrix pack_padded(matrix b, int64_t k, int64_t j0, int64_t w, float *buf) {
  int64_t width = (w + TILE_W - 1) / TILE_W * TILE_W;
  if (b.rs == 1) {
    pack_transposed(b.data + j0 * b.cs, b.cs, k, w, buf, width);
  } else {
    for (int64_t p = 0; p < k; p++)
      for (int64_t q = 0; q < w; q++)
        buf[p * width + q] = b.data[p * b.rs + (j0 + q) * b.cs];
  }
  for (int64_t p = 0; p < k; p++)
    for (int64_t q = w; q < width; q++) buf[p * width + q] = 0;
  return (matrix){buf, width, 1};
}

/* Floats of scratch by_tiles needs: the padded copy of b's last columns. */
static int64_t tiles_scratch(int64_t n, int64_t k, matrix b) {
  int64_t direct = b.cs == 1 ? n / TILE_W * TILE_W : 0;
  return direct < n ? k * (n - direct + TILE_W) : 0;
}

/* The result = a b by register tiles. Whole tiles read b in place when its
 * columns are unit-stride; the rest come from a padded copy in buf. */
static void by_tiles(int64_t m, int64_t n, int64_t k, matrix a, matrix b, result out,
                     float *buf) {
  int64_t direct = b.cs == 1 ? n / TILE_W * TILE_W : 0;
  matrix rest = direct < n ? pack_padded(b, k, direct, n - direct, buf) : b;
  row_panel_fn *row_panel = row_panels[tg_simd_isa()];
  for (int64_t i = 0; i < m; i += TILE_R) {
    matrix ai = {a.data + i * a.rs, a.rs, a.cs};
    int r = m - i < TILE_R ? (int)(m - i) : TILE_R;
    if (direct) row_panel(r, direct, k, ai, b, result_at(out, i, 0));
    if (direct < n) row_panel(r, n - direct, k, ai, rest, result_at(out, i, direct));
  }
}

/* ---- dot products: for a long k and a thin C ---- */

/* 32 partial sums in four vectors (four independent chains of adds, not
 * one waiting on the last), added up in a fixed order. */
static inline __attribute__((always_inline)) float
dot(const float *restrict x, const float *restrict y, int64_t k) {
  v8 part[4] = {{0}, {0}, {0}, {0}};
  int64_t p = 0;
  for (; p + 4 * LANES <= k; p += 4 * LANES)
    for (int q = 0; q < 4; q++)
      part[q] += LOAD8(x + p + q * LANES) * LOAD8(y + p + q * LANES);
  for (; p + LANES <= k; p += LANES) part[0] += LOAD8(x + p) * LOAD8(y + p);
  v8 total = (part[0] + part[1]) + (part[2] + part[3]);
  for (int l = 0; p < k; p++, l++) total[l] += x[p] * y[p];
  float sum = 0;
  for (int l = 0; l < LANES; l++) sum += total[l];
  return sum;
}

/* x (rows x cols) copied so that its rows are unit-stride. */
static matrix pack_rows(matrix x, int64_t rows, int64_t cols, float *buf) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t q = 0; q < cols; q++) buf[r * cols + q] = x.data[r * x.rs + q * x.cs];
  return (matrix){buf, cols, 1};
}

/* The result = a b by dots, a's rows and b's columns unit-stride. */
TG_DISPATCHED(dot_products,
              (int64_t m, int64_t n, int64_t k, matrix a, matrix b, result out),
              (m, n, k, a, b, out)) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      out.c[i * out.c_rs + j * out.c_cs] =
          scaled(SCALED, dot(a.data + i * a.rs, b.data + j * b.cs, k), out.alpha,
                 out.beta, out.d + i * out.d_rs + j * out.d_cs);
}

/* Floats of scratch by_dots needs: row-major copies of a and b^T when
 * their rows are not unit-stride. */
static int64_t dots_scratch(int64_t m, int64_t n, int64_t k, matrix a, matrix b) {
  return (a.cs == 1 ? 0 : m * k) + (b.rs == 1 ? 0 : k * n);
}

static void by_dots(int64_t m, int64_t n, int64_t k, matrix a, matrix b, result out,
                    float *buf) {
  if (a.cs != 1) {
    a = pack_rows(a, m, k, buf);
    buf += m * k;
  }
  if (b.rs != 1) b = transposed(pack_rows(transposed(b), n, k, buf));
  dot_products(m, n, k, a, b, out);
}

/* ---- choosing the loop order ---- */

typedef enum { ROWS, COLS, DOTS } loop_order;

static int64_t round_up(int64_t len, int64_t to) {
  return (len + to - 1) / to * to;
}

/* Rough cost of tiles over an m x n C: per row and step of k, one broadcast
 * and two multiply-adds per TILE_W columns; the padded copy; the stores
 * (vectors along unit-stride rows of C, single floats down its columns). */
static int64_t tiles_cost(int64_t m, int64_t n, int64_t k, matrix b, bool c_rows) {
  int64_t packed = b.cs == 1 ? n % TILE_W : n;
  return round_up(n, TILE_W) / TILE_W * k * (2 + 3 * m) + k * round_up(packed, TILE_W) +
         2 * m * (c_rows ? round_up(n, LANES) / LANES : n);
}

static loop_order cheapest(int64_t m, int64_t n, int64_t k, matrix a, matrix b) {
  int64_t rows = tiles_cost(m, n, k, b, true);
  int64_t cols = tiles_cost(n, m, k, transposed(a), false);
  int64_t dots = (a.cs == 1 ? 0 : m * k) + (b.rs == 1 ? 0 : k * n) +
                 m * n * (2 * round_up(k, LANES) / LANES + 2 * LANES);
  if (rows <= cols && rows <= dots) return ROWS;
  return cols <= dots ? COLS : DOTS;
}

/* ---- libxsmm's JIT kernels, where they win (optional: TG_HAVE_LIBXSMM) ---- */

#ifdef TG_HAVE_LIBXSMM
/* libxsmm 1.17 computes a column-major C' = A' B' + beta C' (alpha 1, beta
 * 0 or 1) and has no kernel for a transposed A'. The row-major C = op(A)
 * op(B) is C' = C^T = op(B)^T op(A)^T, so op(B)'s rows must be unit-stride
 * (A' is then op(B)^T as stored), op(A) may be either way round (B' plain
 * or transposed), and D must be C. Measured (bench/README.md), its kernels
 * win from 16 columns of C (its M) and lose on tall, thin products: 1000 x
 * 2 x 16 took four times the hand-written instructions. Its JIT code fuses
 * multiply-adds, so it is used on the AVX2 and AVX-512 paths only: the
 * baseline path stays the hand-written reference. */
enum { LIBRARY_MIN_COLS = 16 };

typedef struct library_call {
  libxsmm_blasint m, n, k, lda, ldb, ldc;
  int flags;
} library_call;

static bool library_fits(int64_t m, int64_t n, int64_t k, float alpha, int64_t a_rs,
                         int64_t a_cs, int64_t b_rs, int64_t b_cs, float beta,
                         bool d_is_c, int64_t ldc, library_call *call) {
  if (tg_simd_isa() == TG_ISA_BASELINE || alpha != 1 || (beta != 0 && beta != 1) ||
      !d_is_c || n < LIBRARY_MIN_COLS || b_cs != 1 || (a_cs != 1 && a_rs != 1))
    return false;
  bool a_rows = a_cs == 1;
  /* a leading dimension that is never stepped over may be anything here */
  int64_t lda = k == 1 ? n : b_rs,
          ldb = a_rows ? (m == 1 ? k : a_rs) : (k == 1 ? m : a_cs);
  if (lda < n || ldb < (a_rows ? k : m) || ldc < n || lda > INT_MAX || ldb > INT_MAX ||
      ldc > INT_MAX)
    return false;
  *call = (library_call){(libxsmm_blasint)n,
                         (libxsmm_blasint)m,
                         (libxsmm_blasint)k,
                         (libxsmm_blasint)lda,
                         (libxsmm_blasint)ldb,
                         (libxsmm_blasint)ldc,
                         a_rows ? LIBXSMM_GEMM_FLAG_NONE : LIBXSMM_GEMM_FLAG_TRANS_B};
  return true;
}

/* libxsmm's kernel for the call (JIT-compiled at its first use, then found
 * in libxsmm's registry), or NULL if it has none. */
static libxsmm_smmfunction library_kernel(const library_call *call, float alpha,
                                          float beta) {
  return libxsmm_smmdispatch(call->m, call->n, call->k, &call->lda, &call->ldb,
                             &call->ldc, &alpha, &beta, &call->flags, NULL);
}
#endif

bool tg_sgemm_small_by_library(int64_t m, int64_t n, int64_t k, float alpha, int64_t a_rs,
                               int64_t a_cs, int64_t b_rs, int64_t b_cs, float beta,
                               bool d_is_c, int64_t ldc) {
#ifdef TG_HAVE_LIBXSMM
  library_call call;
  return k > 0 && m * n * k <= SMALL_MACS &&
         library_fits(m, n, k, alpha, a_rs, a_cs, b_rs, b_cs, beta, d_is_c, ldc, &call);
#else
  return false;
#endif
}

/* ---- one product, or a batch of them ---- */

/* How each product of a call is computed: fixed by the shapes and strides
 * alone, so chosen once for a whole batch. */
typedef struct plan {
  int64_t m, n, k;
  loop_order order;
  int64_t scratch; /* floats of packed copies one product needs */
#ifdef TG_HAVE_LIBXSMM
  libxsmm_smmfunction kernel; /* libxsmm's, or NULL for the loops here */
#endif
} plan;

static plan plan_for(int64_t m, int64_t n, int64_t k, matrix a, matrix b, result out) {
  plan p = {.m = m, .n = n, .k = k, .order = cheapest(m, n, k, a, b)};
#ifdef TG_HAVE_LIBXSMM
  library_call call;
  if (library_fits(m, n, k, out.alpha, a.rs, a.cs, b.rs, b.cs, out.beta, out.d == out.c,
                   out.c_rs, &call))
    p.kernel = library_kernel(&call, out.alpha, out.beta);
  if (p.kernel) return p;
#endif
  switch (p.order) {
  case ROWS:
    p.scratch = tiles_scratch(n, k, b);
    break;
  case COLS:
    p.scratch = tiles_scratch(m, k, transposed(a));
    break;
  case DOTS:
    p.scratch = dots_scratch(m, n, k, a, b);
    break;
  }
  return p;
}

/* One product as planned, packing into buf (p->scratch floats). */
static void run_product(const plan *p, matrix a, matrix b, result out, float *buf) {
#ifdef TG_HAVE_LIBXSMM
  if (p->kernel) {
    p->kernel(b.data, a.data, out.c);
    return;
  }
#endif
  switch (p->order) {
  case ROWS: /* each row of C sums rows of op(B) */
    by_tiles(p->m, p->n, p->k, a, b, out, buf);
    break;
  case COLS: /* the same for C^T = op(B)^T op(A)^T, stored transposed */
    by_tiles(p->n, p->m, p->k, transposed(b), transposed(a), result_transposed(out), buf);
    break;
  case DOTS:
    by_dots(p->m, p->n, p->k, a, b, out, buf);
    break;
  }
}

bool tg_sgemm_small(int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                    int64_t a_rs, int64_t a_cs, const float *b, int64_t b_rs,
                    int64_t b_cs, float beta, const float *d, int64_t d_rs, int64_t d_cs,
                    float *c, int64_t ldc) {
  if (k == 0 || m * n * k > SMALL_MACS) return false; /* BLAS scales C when k = 0 */
  matrix A = {a, a_rs, a_cs}, B = {b, b_rs, b_cs};
  result out = {c, ldc, 1, d ? d : c, d ? d_rs : ldc, d ? d_cs : 1, alpha, beta};
  plan p = plan_for(m, n, k, A, B, out);
  tg_storage *s = NULL;
  run_product(&p, A, B, out, p.scratch ? scratch(p.scratch, &s) : NULL);
  if (s) tg_storage_release(s);
  return true;
}

/* Packed copies up to this many floats sit on the stack of the thread that
 * computes a product, so a batch split across threads allocates nothing. */
enum { STACK_SCRATCH = 4096 };

typedef struct batch_job {
  const tg_sgemm_batch *batch;
  plan plan;
  matrix a, b;
  result out;
  float *heap; /* scratch when the stack's is too small (one thread only) */
} batch_job;

/* Products [begin, end) of the batch, in row-major order over its two dims. */
static void run_products(int64_t begin, int64_t end, void *ctx) {
  const batch_job *job = ctx;
  const tg_sgemm_batch *bt = job->batch;
  float stack[STACK_SCRATCH];
  float *buf = job->heap ? job->heap : stack;
  for (int64_t t = begin; t < end; t++) {
    int64_t o = t / bt->count[1], i = t % bt->count[1];
    matrix a = job->a, b = job->b;
    result out = job->out;
    a.data += o * bt->a[0] + i * bt->a[1];
    b.data += o * bt->b[0] + i * bt->b[1];
    out.c += o * bt->c[0] + i * bt->c[1];
    out.d = out.c;
    run_product(&job->plan, a, b, out, buf);
  }
}

bool tg_sgemm_small_batched(const tg_sgemm_batch *batch, int64_t m, int64_t n, int64_t k,
                            float alpha, const float *a, int64_t a_rs, int64_t a_cs,
                            const float *b, int64_t b_rs, int64_t b_cs, float beta,
                            float *c, int64_t ldc) {
  if (k == 0 || m * n * k > SMALL_MACS) return false;
  int64_t count = batch->count[0] * batch->count[1];
  if (count == 0 || m == 0 || n == 0) return true;
  batch_job job = {.batch = batch,
                   .a = {a, a_rs, a_cs},
                   .b = {b, b_rs, b_cs},
                   .out = {c, ldc, 1, c, ldc, 1, alpha, beta}};
  job.plan = plan_for(m, n, k, job.a, job.b, job.out);
  if (job.plan.scratch <= STACK_SCRATCH) {
    tg_parallel_items(count, m * n * k, run_products, &job);
    return true;
  }
  tg_storage *s = NULL;
  job.heap = scratch(job.plan.scratch, &s);
  run_products(0, count, &job);
  tg_storage_release(s);
  return true;
}
