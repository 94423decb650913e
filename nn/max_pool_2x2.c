/* MaxPool2d(2): 2x2 windows at stride 2, all inside the input, the
 * pooling of nearly every CNN. Its forward saves the argmax (PyTorch's
 * flat h * W + w indices) and its backward writes the whole input gradient
 * in one pass (no zero fill and scatter: the windows do not overlap).
 *
 * Both go a pair of input rows at a time. The float32 ones run on the
 * path's vectors (tensor/simd.h): VL windows' four elements deinterleaved
 * from two rows, ATen's rule (a larger value or a NaN takes over, in the
 * window's order) as compare masks and blends, the indices blended along,
 * and the row's last windows under load/store masks, so LeNet's rows of 14
 * and 5 windows stay on the vector path. Each path makes the same
 * selections, so every path gives the same bits; float64 and the baseline
 * path run the branch-free scalar loops (max_pool_2x2_loops.inc). */
#include "nn/pool.h"
#include "tensor/core.h"

#define TG_TEMPLATE "nn/max_pool_2x2_loops.inc"
#include "tensor/for_float_types.inc"
#undef TG_TEMPLATE

#ifdef TG_HAVE_PATHS
#include <immintrin.h>

/* ---- AVX-512: 16 windows a vector ---- */

/* (v > best) | isnan(v) per lane: where v takes over */
static TG_TARGET_AVX512 __mmask16 takes_16(__m512 v, __m512 best) {
  return _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
}

static TG_TARGET_AVX512 void pair_max_avx512(const float *top, int64_t width, int64_t at,
                                             int64_t n, float *out, int64_t *indices) {
  const __m512i even =
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i below = _mm512_set1_epi32((int32_t)width);
  for (int64_t x = 0; x < n; x += 16) {
    int64_t left = n - x < 16 ? n - x : 16;
    uint32_t in = (uint32_t)((1ull << (2 * left)) - 1); /* the 2 left pairs of floats */
    __mmask16 lo = (__mmask16)in, hi = (__mmask16)(in >> 16);
    __mmask16 windows = (__mmask16)((1u << left) - 1);
    const float *t = top + 2 * x, *b = t + width;
    __m512 t0 = _mm512_maskz_loadu_ps(lo, t), t1 = _mm512_maskz_loadu_ps(hi, t + 16);
    __m512 b0 = _mm512_maskz_loadu_ps(lo, b), b1 = _mm512_maskz_loadu_ps(hi, b + 16);
    __m512i first = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(at + 2 * x)), even);
    __m512i second = _mm512_add_epi32(first, _mm512_set1_epi32(1));
    __m512 best = _mm512_permutex2var_ps(t0, even, t1);
    __m512i best_at = first;
    __m512 v = _mm512_permutex2var_ps(t0, odd, t1);
    __mmask16 m = takes_16(v, best);
    best = _mm512_mask_mov_ps(best, m, v);
    best_at = _mm512_mask_mov_epi32(best_at, m, second);
    v = _mm512_permutex2var_ps(b0, even, b1);
    m = takes_16(v, best);
    best = _mm512_mask_mov_ps(best, m, v);
    best_at = _mm512_mask_mov_epi32(best_at, m, _mm512_add_epi32(first, below));
    v = _mm512_permutex2var_ps(b0, odd, b1);
    m = takes_16(v, best);
    best = _mm512_mask_mov_ps(best, m, v);
    best_at = _mm512_mask_mov_epi32(best_at, m, _mm512_add_epi32(second, below));
    _mm512_mask_storeu_ps(out + x, windows, best);
    _mm512_mask_storeu_epi64(indices + x, (__mmask8)windows,
                             _mm512_cvtepi32_epi64(_mm512_castsi512_si256(best_at)));
    _mm512_mask_storeu_epi64(
        indices + x + 8, (__mmask8)(windows >> 8),
        _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(best_at, 1)));
  }
}

static TG_TARGET_AVX512 void pair_scatter_avx512(float *top, int64_t width, int64_t at,
                                                 int64_t n, const float *g,
                                                 const int64_t *indices) {
  const __m512i even =
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  /* lanes of (left, right) interleaved: the first 8 pairs, the last 8 */
  const __m512i low =
      _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i high = _mm512_add_epi32(low, _mm512_set1_epi32(8));
  const __m512i one = _mm512_set1_epi32(1), below = _mm512_set1_epi32((int32_t)width);
  for (int64_t x = 0; x < n; x += 16) {
    int64_t left = n - x < 16 ? n - x : 16;
    uint32_t in = (uint32_t)((1ull << (2 * left)) - 1);
    __mmask16 lo = (__mmask16)in, hi = (__mmask16)(in >> 16);
    __mmask16 windows = (__mmask16)((1u << left) - 1);
    __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(windows, g + x), _mm512_setzero_ps());
    __m256i at_lo =
        _mm512_cvtepi64_epi32(_mm512_maskz_loadu_epi64((__mmask8)windows, indices + x));
    __m256i at_hi = _mm512_cvtepi64_epi32(
        _mm512_maskz_loadu_epi64((__mmask8)(windows >> 8), indices + x + 8));
    __m512i rel = _mm512_sub_epi32(
        _mm512_inserti64x4(_mm512_castsi256_si512(at_lo), at_hi, 1),
        _mm512_add_epi32(_mm512_set1_epi32((int32_t)(at + 2 * x)), even));
    __m512i zero = _mm512_setzero_si512();
    __m512 tl = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(rel, zero), v);
    __m512 tr = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(rel, one), v);
    __m512 bl = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(rel, below), v);
    __m512 br = _mm512_maskz_mov_ps(
        _mm512_cmpeq_epi32_mask(rel, _mm512_add_epi32(below, one)), v);
    float *t = top + 2 * x, *b = t + width;
    _mm512_mask_storeu_ps(t, lo, _mm512_permutex2var_ps(tl, low, tr));
    _mm512_mask_storeu_ps(t + 16, hi, _mm512_permutex2var_ps(tl, high, tr));
    _mm512_mask_storeu_ps(b, lo, _mm512_permutex2var_ps(bl, low, br));
    _mm512_mask_storeu_ps(b + 16, hi, _mm512_permutex2var_ps(bl, high, br));
  }
}

/* ---- AVX2: 8 windows a vector ---- */

/* lanes i < count set (all ones), the others clear */
static TG_TARGET_AVX2 __m256i first_lanes_8(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)count),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The even floats of the 16 in lo, hi, in order (odd_8: the odd ones);
 * the shuffle works per 128-bit half, the permute puts the halves in order. */
static TG_TARGET_AVX2 __m256 even_8(__m256 lo, __m256 hi) {
  __m256d halves = _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(halves, 0xD8));
}

static TG_TARGET_AVX2 __m256 odd_8(__m256 lo, __m256 hi) {
  __m256d halves = _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xDD));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(halves, 0xD8));
}

/* best, best_at <- v, v_at where v takes over ((v > best) | isnan(v)) */
static TG_TARGET_AVX2 void take_8(__m256 v, __m256i v_at, __m256 *best,
                                  __m256i *best_at) {
  __m256 m = _mm256_or_ps(_mm256_cmp_ps(v, *best, _CMP_GT_OQ),
                          _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  *best = _mm256_blendv_ps(*best, v, m);
  *best_at = _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(*best_at), _mm256_castsi256_ps(v_at), m));
}

static TG_TARGET_AVX2 void pair_max_avx2(const float *top, int64_t width, int64_t at,
                                         int64_t n, float *out, int64_t *indices) {
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), below = _mm256_set1_epi32((int32_t)width);
  for (int64_t x = 0; x < n; x += 8) {
    int64_t left = n - x < 8 ? n - x : 8;
    __m256i lo = first_lanes_8(2 * left), hi = first_lanes_8(2 * left - 8);
    __m256i windows = first_lanes_8(left);
    const float *t = top + 2 * x, *b = t + width;
    __m256 t0 = _mm256_maskload_ps(t, lo), t1 = _mm256_maskload_ps(t + 8, hi);
    __m256 b0 = _mm256_maskload_ps(b, lo), b1 = _mm256_maskload_ps(b + 8, hi);
    __m256i first = _mm256_add_epi32(_mm256_set1_epi32((int32_t)(at + 2 * x)), even);
    __m256i second = _mm256_add_epi32(first, one);
    __m256 best = even_8(t0, t1);
    __m256i best_at = first;
    take_8(odd_8(t0, t1), second, &best, &best_at);
    take_8(even_8(b0, b1), _mm256_add_epi32(first, below), &best, &best_at);
    take_8(odd_8(b0, b1), _mm256_add_epi32(second, below), &best, &best_at);
    _mm256_maskstore_ps(out + x, windows, best);
    _mm256_maskstore_epi64((long long *)(indices + x),
                           _mm256_cvtepi32_epi64(_mm256_castsi256_si128(windows)),
                           _mm256_cvtepi32_epi64(_mm256_castsi256_si128(best_at)));
    _mm256_maskstore_epi64((long long *)(indices + x + 4),
                           _mm256_cvtepi32_epi64(_mm256_extracti128_si256(windows, 1)),
                           _mm256_cvtepi32_epi64(_mm256_extracti128_si256(best_at, 1)));
  }
}

/* 8 int64 indices, under the mask of the first `count` lanes, as int32 */
static TG_TARGET_AVX2 __m256i load_indices_8(const int64_t *indices, int64_t count) {
  __m256i windows = first_lanes_8(count);
  __m256i lo = _mm256_maskload_epi64(
      (const long long *)indices, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(windows)));
  __m256i hi =
      _mm256_maskload_epi64((const long long *)(indices + 4),
                            _mm256_cvtepi32_epi64(_mm256_extracti128_si256(windows, 1)));
  /* the low halves of the 64-bit lanes, in order */
  const __m256i pick = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  __m256i lo4 = _mm256_permutevar8x32_epi32(lo, pick);
  __m256i hi4 = _mm256_permutevar8x32_epi32(hi, pick);
  return _mm256_permute2x128_si256(lo4, hi4, 0x20);
}

static TG_TARGET_AVX2 void pair_scatter_avx2(float *top, int64_t width, int64_t at,
                                             int64_t n, const float *g,
                                             const int64_t *indices) {
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), below = _mm256_set1_epi32((int32_t)width);
  for (int64_t x = 0; x < n; x += 8) {
    int64_t left = n - x < 8 ? n - x : 8;
    __m256i lo = first_lanes_8(2 * left), hi = first_lanes_8(2 * left - 8);
    __m256 v = _mm256_add_ps(_mm256_maskload_ps(g + x, first_lanes_8(left)),
                             _mm256_setzero_ps());
    __m256i rel = _mm256_sub_epi32(
        load_indices_8(indices + x, left),
        _mm256_add_epi32(_mm256_set1_epi32((int32_t)(at + 2 * x)), even));
    __m256 tl = _mm256_and_ps(
        _mm256_castsi256_ps(_mm256_cmpeq_epi32(rel, _mm256_setzero_si256())), v);
    __m256 tr = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(rel, one)), v);
    __m256 bl = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(rel, below)), v);
    __m256 br = _mm256_and_ps(
        _mm256_castsi256_ps(_mm256_cmpeq_epi32(rel, _mm256_add_epi32(below, one))), v);
    /* (left, right) pairs interleaved: unpack works per 128-bit half */
    __m256 t_a = _mm256_unpacklo_ps(tl, tr), t_b = _mm256_unpackhi_ps(tl, tr);
    __m256 b_a = _mm256_unpacklo_ps(bl, br), b_b = _mm256_unpackhi_ps(bl, br);
    float *t = top + 2 * x, *b = t + width;
    _mm256_maskstore_ps(t, lo, _mm256_permute2f128_ps(t_a, t_b, 0x20));
    _mm256_maskstore_ps(t + 8, hi, _mm256_permute2f128_ps(t_a, t_b, 0x31));
    _mm256_maskstore_ps(b, lo, _mm256_permute2f128_ps(b_a, b_b, 0x20));
    _mm256_maskstore_ps(b + 8, hi, _mm256_permute2f128_ps(b_a, b_b, 0x31));
  }
}
#endif

/* Each path's float32 pair loops (tg_simd_isa() picks one). */
static pair_max_fn_f32 *const pair_max_paths[TG_ISA_COUNT] = {
    [TG_ISA_BASELINE] = pair_max_scalar_f32,
#ifdef TG_HAVE_PATHS
    [TG_ISA_AVX2] = pair_max_avx2,
    [TG_ISA_AVX512] = pair_max_avx512,
#endif
};
static pair_scatter_fn_f32 *const pair_scatter_paths[TG_ISA_COUNT] = {
    [TG_ISA_BASELINE] = pair_scatter_scalar_f32,
#ifdef TG_HAVE_PATHS
    [TG_ISA_AVX2] = pair_scatter_avx2,
    [TG_ISA_AVX512] = pair_scatter_avx512,
#endif
};

void tg_nn_max_pool_2x2_f32(int64_t begin, int64_t end, void *job) {
  max_2x2_planes_f32(job, begin, end, pair_max_paths[tg_simd_isa()]);
}

void tg_nn_max_pool_2x2_f64(int64_t begin, int64_t end, void *job) {
  max_2x2_planes_f64(job, begin, end, pair_max_scalar_f64);
}

void tg_nn_max_pool_2x2_backward_f32(int64_t begin, int64_t end, void *job) {
  scatter_2x2_planes_f32(job, begin, end, pair_scatter_paths[tg_simd_isa()]);
}

void tg_nn_max_pool_2x2_backward_f64(int64_t begin, int64_t end, void *job) {
  scatter_2x2_planes_f64(job, begin, end, pair_scatter_scalar_f64);
}
