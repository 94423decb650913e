/* Float32 GEMM for the small products of the lecture's networks (a batch of
 * 16 through 2 -> 1000 -> 1, say). OpenBLAS's fixed cost per call (argument
 * checks, packing into its panels, a separate beta pass, waking its
 * threads) dwarfs 32K multiply-adds, so such products are computed here.
 *
 * C = alpha op(A) op(B) + beta C is computed in one of three loop orders,
 * each with unit-stride inner loops the compiler turns into vector code:
 *   rows:  each row of C is a sum of rows of op(B), scaled by op(A)[i][p];
 *   cols:  the same for the columns of C (rows of C^T = op(B)^T op(A)^T);
 *   dots:  each C[i][j] is a dot product of a row of op(A) and a column of
 *          op(B) (best for a long k and a thin C, like the 1000 -> 1 layer).
 * An operand that lacks the unit stride an order needs is packed first;
 * the order with the fewest estimated vector operations wins.
 *
 * Rows and cols add the products for p = 0, 1, ..., k - 1 in order; dots
 * keeps 8 partial sums. Both orders are fixed by the shapes alone, so a
 * result does not depend on the CPU or on the thread count. */
#include <string.h>

#include "tensor/internal.h"

enum {
  TILE_R = 4,  /* rows of C per register tile */
  TILE_W = 16, /* columns of C per register tile: two 8-float vectors */
  LANES = 8,   /* partial sums of a dot product */
  /* up to this many multiply-adds the loops here beat OpenBLAS's setup */
  SMALL_MACS = 1 << 17,
};

/* GCC's vector extension: one AVX register in the AVX2 clone, two SSE
 * registers in the baseline one. Loads and stores go through an unaligned,
 * aliasing twin of the type (no function takes or returns a vector: that
 * would have no fixed ABI in the baseline clone). */
typedef float v8 __attribute__((vector_size(LANES * sizeof(float))));
typedef float v8_unaligned
    __attribute__((vector_size(LANES * sizeof(float)), aligned(4), may_alias));
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

/* c = alpha acc + beta c, where beta = 0 never reads c (BLAS's rule: C may
 * hold NaN then). */
static inline float scale_into(float acc, float alpha, float beta, const float *c) {
  return beta == 0 ? alpha * acc : alpha * acc + beta * *c;
}

/* acc = rows 0..r-1 of a (at a[i * a_rs + p * a_cs]) times the 16
 * unit-stride columns of b (row p at b + p * b_rs), p = 0, 1, ... in order.
 * Inlined with a constant r, so each row count gets its own loop. */
static inline __attribute__((always_inline)) void
tile_products(int r, int64_t k, const float *a, int64_t a_rs, int64_t a_cs,
              const float *b, int64_t b_rs, v8 acc[TILE_R][2]) {
  for (int i = 0; i < TILE_R; i++) acc[i][0] = acc[i][1] = (v8){0};
  for (int64_t p = 0; p < k; p++) {
    v8 b0 = LOAD8(b + p * b_rs), b1 = LOAD8(b + p * b_rs + LANES);
    for (int i = 0; i < r; i++) {
      float ai = a[i * a_rs + p * a_cs];
      acc[i][0] += ai * b0;
      acc[i][1] += ai * b1;
    }
  }
}

/* One tile of C: r <= TILE_R rows by TILE_W columns of a x b, scaled into
 * c (element (i, q) at c[i * c_rs + q * c_cs]). */
static TG_SIMD void tile(int r, int64_t k, matrix a, matrix b, float alpha, float beta,
                         float *c, int64_t c_rs, int64_t c_cs) {
  v8 acc[TILE_R][2];
  switch (r) {
  case 4:
    tile_products(4, k, a.data, a.rs, a.cs, b.data, b.rs, acc);
    break;
  case 3:
    tile_products(3, k, a.data, a.rs, a.cs, b.data, b.rs, acc);
    break;
  case 2:
    tile_products(2, k, a.data, a.rs, a.cs, b.data, b.rs, acc);
    break;
  default:
    tile_products(1, k, a.data, a.rs, a.cs, b.data, b.rs, acc);
    break;
  }
  for (int i = 0; i < r; i++)
    for (int h = 0; h < 2; h++) {
      float *ci = c + i * c_rs + h * LANES * c_cs;
      v8 v = alpha * acc[i][h];
      if (c_cs == 1) {
        STORE8(ci, beta == 0 ? v : v + beta * LOAD8(ci));
      } else {
        for (int q = 0; q < LANES; q++)
          ci[q * c_cs] = beta == 0 ? v[q] : v[q] + beta * ci[q * c_cs];
      }
    }
}

/* Columns left over after the last full tile, one element at a time in the
 * same order (p = 0, 1, ...), so they round like the tiles. */
static void leftover(int64_t m, int64_t n, int64_t k, matrix a, matrix b, float alpha,
                     float beta, float *c, int64_t c_rs, int64_t c_cs) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t q = 0; q < n; q++) {
      float acc = 0;
      for (int64_t p = 0; p < k; p++)
        acc += a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + q];
      float *cq = c + i * c_rs + q * c_cs;
      *cq = scale_into(acc, alpha, beta, cq);
    }
}

/* C = alpha a b + beta C by register tiles; b's columns are unit-stride. */
static void by_tiles(int64_t m, int64_t n, int64_t k, float alpha, matrix a, matrix b,
                     float beta, float *c, int64_t c_rs, int64_t c_cs) {
  int64_t full = n / TILE_W * TILE_W;
  for (int64_t i = 0; i < m; i += TILE_R) {
    matrix ai = {a.data + i * a.rs, a.rs, a.cs};
    int r = m - i < TILE_R ? (int)(m - i) : TILE_R;
    for (int64_t j = 0; j < full; j += TILE_W)
      tile(r, k, ai, (matrix){b.data + j, b.rs, 1}, alpha, beta, c + i * c_rs + j * c_cs,
           c_rs, c_cs);
  }
  if (full < n)
    leftover(m, n - full, k, a, (matrix){b.data + full, b.rs, 1}, alpha, beta,
             c + full * c_cs, c_rs, c_cs);
}

/* rows: C row by row; op(B) has unit column stride. */
static void by_rows(int64_t m, int64_t n, int64_t k, float alpha, matrix a, matrix b,
                    float beta, float *c, int64_t ldc) {
  by_tiles(m, n, k, alpha, a, b, beta, c, ldc, 1);
}

/* cols: C^T = op(B)^T op(A)^T row by row; op(A) has unit row stride. */
static void by_cols(int64_t m, int64_t n, int64_t k, float alpha, matrix a, matrix b,
                    float beta, float *c, int64_t ldc) {
  by_tiles(n, m, k, alpha, transposed(b), transposed(a), beta, c, 1, ldc);
}

/* 8 partial sums, added up lane by lane. */
static TG_SIMD float dot(const float *restrict x, const float *restrict y, int64_t k) {
  v8 part = {0};
  int64_t p = 0;
  for (; p + LANES <= k; p += LANES) part += LOAD8(x + p) * LOAD8(y + p);
  for (int l = 0; p < k; p++, l++) part[l] += x[p] * y[p];
  float sum = 0;
  for (int l = 0; l < LANES; l++) sum += part[l];
  return sum;
}

/* dots: op(A)'s rows and op(B)'s columns are unit-stride. */
static void by_dots(int64_t m, int64_t n, int64_t k, float alpha, matrix a, matrix b,
                    float beta, float *c, int64_t ldc) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float *cij = c + i * ldc + j;
      *cij = scale_into(dot(a.data + i * a.rs, b.data + j * b.cs, k), alpha, beta, cij);
    }
}

/* x's rows x cols elements copied so that the given dim has unit stride. */
static matrix pack(matrix x, int64_t rows, int64_t cols, bool unit_cols, float *buf) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t q = 0; q < cols; q++)
      buf[unit_cols ? r * cols + q : q * rows + r] = x.data[r * x.rs + q * x.cs];
  return unit_cols ? (matrix){buf, cols, 1} : (matrix){buf, 1, rows};
}

typedef enum { ROWS, COLS, DOTS } loop_order;

static int64_t vectors(int64_t len) {
  return (len + LANES - 1) / LANES;
}

/* Estimated cost of each order, in vector operations plus elements packed. */
static loop_order cheapest(int64_t m, int64_t n, int64_t k, matrix a, matrix b) {
  int64_t rows = (b.cs == 1 ? 0 : k * n) + m * k * vectors(n);
  int64_t cols = (a.rs == 1 ? 0 : m * k) + n * k * vectors(m) + m * n;
  int64_t dots =
      (a.cs == 1 ? 0 : m * k) + (b.rs == 1 ? 0 : k * n) + m * n * (vectors(k) + LANES);
  if (rows <= cols && rows <= dots) return ROWS;
  return cols <= dots ? COLS : DOTS;
}

bool tg_sgemm_small(int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                    int64_t a_rs, int64_t a_cs, const float *b, int64_t b_rs,
                    int64_t b_cs, float beta, float *c, int64_t ldc) {
  if (m * n * k > SMALL_MACS) return false;
  matrix A = {a, a_rs, a_cs}, B = {b, b_rs, b_cs};
  loop_order order = cheapest(m, n, k, A, B);
  bool pack_a = order == COLS ? a_rs != 1 : order == DOTS && a_cs != 1;
  bool pack_b = order == ROWS ? b_cs != 1 : order == DOTS && b_rs != 1;
  tg_storage *scratch = NULL;
  if (pack_a || pack_b) {
    scratch = tg_storage_new((size_t)((pack_a ? m * k : 0) + (pack_b ? k * n : 0)) *
                             sizeof(float));
    float *buf = scratch->data;
    if (pack_a) A = pack(A, m, k, order == DOTS, buf);
    if (pack_b) B = pack(B, k, n, order == ROWS, buf + (pack_a ? m * k : 0));
  }
  if (order == ROWS)
    by_rows(m, n, k, alpha, A, B, beta, c, ldc);
  else if (order == COLS)
    by_cols(m, n, k, alpha, A, B, beta, c, ldc);
  else
    by_dots(m, n, k, alpha, A, B, beta, c, ldc);
  if (scratch) tg_storage_release(scratch);
  return true;
}
