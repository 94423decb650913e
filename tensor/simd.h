/* Run-time dispatch of the hand-written kernels (tensor/simd.c): each hot
 * loop is compiled once per instruction-set path and the path is chosen
 * once per process, from the CPU or from $TG_ISA. Included by core.h,
 * after TG_CAT and TG_INLINE. */
#ifndef TG_TENSOR_SIMD_H
#define TG_TENSOR_SIMD_H

#include <stdatomic.h>

/* Ordered by width: a CPU that runs a path runs every one before it. */
typedef enum tg_isa {
  TG_ISA_BASELINE, /* x86-64 (SSE2), or any other CPU family */
  TG_ISA_AVX2,     /* x86-64-v3: AVX2, FMA */
  TG_ISA_AVX512,   /* x86-64-v4: AVX-512 F, BW, CD, DQ, VL */
  TG_ISA_COUNT
} tg_isa;

/* The path picked at first use; -1 until then. */
extern _Atomic int tg_simd_chosen;
tg_isa tg_simd_select(void);

/* The path every kernel runs: the widest this CPU has, or the one $TG_ISA
 * names (baseline, avx2, avx512) if the CPU has it. */
static inline tg_isa tg_simd_isa(void) {
  int isa = atomic_load_explicit(&tg_simd_chosen, memory_order_relaxed);
  return isa >= 0 ? (tg_isa)isa : tg_simd_select();
}

/* The widest path this process may run: the CPU's (and its OS's) widest,
 * or the narrower one $TG_ISA names. */
tg_isa tg_simd_best(void);
/* The name $TG_ISA and tg_simd_path use for a path. */
const char *tg_simd_name(tg_isa isa);
/* For the tests: run every kernel on `isa` (<= tg_simd_best()) from now on. */
void tg_simd_force(tg_isa isa);

/* Function attributes compiling a function for a path. GCC and clang
 * inline a plain always_inline function into such a function and
 * vectorise it there for the wider target. ISO C mode never contracts
 * a * b + c into an FMA, and the kernels reassociate nothing, so every
 * path computes the same roundings: they differ in speed alone. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target)
#define TG_HAVE_PATHS 1
#define TG_TARGET_AVX2 __attribute__((target("arch=x86-64-v3")))
#if defined(__clang__) /* which takes no vector width here */
#define TG_TARGET_AVX512 __attribute__((target("arch=x86-64-v4")))
#else
#define TG_TARGET_AVX512 __attribute__((target("arch=x86-64-v4,prefer-vector-width=512")))
#endif
#endif
#endif

#define TG_KERNEL_BODY_ TG_INLINE void
#define TG_KERNEL_NAME_(name, path) TG_CAT(name, path)

/* A void kernel compiled for every path, and `name`, which runs the
 * chosen path's copy. Written before the kernel's body, as
 *   TG_DISPATCHED(axpy_f32, (float *y, const float *x, int64_t n), (y, x, n)) {
 *     for (int64_t i = 0; i < n; i++) y[i] += x[i];
 *   }
 * params are the parameter list, args the same names as arguments. */
#ifdef TG_HAVE_PATHS
#define TG_DISPATCHED(name, params, args)                                                \
  TG_KERNEL_BODY_ TG_KERNEL_NAME_(name, _body) params;                                   \
  static TG_TARGET_AVX512 void TG_KERNEL_NAME_(name, _avx512) params {                   \
    TG_KERNEL_NAME_(name, _body) args;                                                   \
  }                                                                                      \
  static TG_TARGET_AVX2 void TG_KERNEL_NAME_(name, _avx2) params {                       \
    TG_KERNEL_NAME_(name, _body) args;                                                   \
  }                                                                                      \
  static void TG_KERNEL_NAME_(name, _baseline) params {                                  \
    TG_KERNEL_NAME_(name, _body) args;                                                   \
  }                                                                                      \
  static void name params {                                                              \
    switch (tg_simd_isa()) {                                                             \
    case TG_ISA_AVX512:                                                                  \
      TG_KERNEL_NAME_(name, _avx512) args;                                               \
      break;                                                                             \
    case TG_ISA_AVX2:                                                                    \
      TG_KERNEL_NAME_(name, _avx2) args;                                                 \
      break;                                                                             \
    default:                                                                             \
      TG_KERNEL_NAME_(name, _baseline) args;                                             \
      break;                                                                             \
    }                                                                                    \
  }                                                                                      \
  TG_KERNEL_BODY_ TG_KERNEL_NAME_(name, _body) params
#else
#define TG_TARGET_AVX2
#define TG_TARGET_AVX512
#define TG_DISPATCHED(name, params, args)                                                \
  TG_KERNEL_BODY_ TG_KERNEL_NAME_(name, _body) params;                                   \
  static void name params {                                                              \
    TG_KERNEL_NAME_(name, _body) args;                                                   \
  }                                                                                      \
  TG_KERNEL_BODY_ TG_KERNEL_NAME_(name, _body) params
#endif

#endif
