/* The instruction-set path of the hand-written kernels (tensor/simd.h):
 * picked once, at the first kernel call or tg_simd_path(), from the CPU's
 * features, unless $TG_ISA names a narrower path (benchmarks compare paths
 * with it; CTest's valgrind runs set avx2, since valgrind cannot run
 * AVX-512 code; its CPU reports none anyway). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"

_Atomic int tg_simd_chosen = -1;

static const char *const names[TG_ISA_COUNT] = {
    [TG_ISA_BASELINE] = "baseline", [TG_ISA_AVX2] = "avx2", [TG_ISA_AVX512] = "avx512"};

const char *tg_simd_name(tg_isa isa) {
  return names[isa];
}

#ifdef TG_HAVE_PATHS
/* The x86-64 levels the paths are compiled for. GCC checks every feature
 * of a level; clang 14 knows no level names, so the features the kernels'
 * code can use are checked one by one. */
static bool cpu_has_v4(void) {
#if defined(__clang__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
#else
  return __builtin_cpu_supports("x86-64-v4");
#endif
}

static bool cpu_has_v3(void) {
#if defined(__clang__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
         __builtin_cpu_supports("popcnt");
#else
  return __builtin_cpu_supports("x86-64-v3");
#endif
}
#endif

/* The widest path the CPU (and its OS) can run. */
static tg_isa cpu_best(void) {
#ifdef TG_HAVE_PATHS
  __builtin_cpu_init(); /* may run before the constructors that call it */
  if (cpu_has_v3() && cpu_has_v4()) return TG_ISA_AVX512;
  if (cpu_has_v3()) return TG_ISA_AVX2;
#endif
  return TG_ISA_BASELINE;
}

/* The path $TG_ISA names if the CPU has it, else the CPU's widest; with
 * `say`, a name it does not know, or a path the CPU lacks, is said on
 * stderr (there is no caller to return a status to). */
static tg_isa allowed(bool say) {
  tg_isa best = cpu_best();
  const char *want = getenv("TG_ISA");
  if (!want || !*want) return best;
  for (int isa = 0; isa < TG_ISA_COUNT; isa++) {
    if (strcmp(want, names[isa]) != 0) continue;
    if (isa <= (int)best) return (tg_isa)isa;
    if (say)
      fprintf(stderr, "tensorgrad: TG_ISA=%s, but this CPU lacks it; using %s\n", want,
              names[best]);
    return best;
  }
  if (say)
    fprintf(stderr, "tensorgrad: TG_ISA=%s is not baseline, avx2 or avx512; using %s\n",
            want, names[best]);
  return best;
}

tg_isa tg_simd_best(void) {
  return allowed(false);
}

/* Threads racing here pick the same path (the message may then be said
 * twice); the first store stands. */
tg_isa tg_simd_select(void) {
  tg_isa isa = allowed(true);
  int unset = -1;
  atomic_compare_exchange_strong(&tg_simd_chosen, &unset, (int)isa);
  return (tg_isa)atomic_load(&tg_simd_chosen);
}

void tg_simd_force(tg_isa isa) {
  tg_isa best = tg_simd_best();
  atomic_store(&tg_simd_chosen, (int)(isa <= best ? isa : best));
}

const char *tg_simd_path(void) {
  return names[tg_simd_isa()];
}
