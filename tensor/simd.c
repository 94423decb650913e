/* The instruction-set path of the hand-written kernels (tensor/simd.h):
 * picked once, at the first kernel call or tg_simd_path(), from the CPU's
 * features, unless $TG_ISA asks for a narrower path (tests and benchmarks
 * compare paths with it; valgrind, which cannot run AVX-512, reports a CPU
 * without it, so it gets the avx2 path by itself). */
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

tg_isa tg_simd_best(void) {
#ifdef TG_HAVE_PATHS
  __builtin_cpu_init(); /* may run before the constructors that call it */
  if (__builtin_cpu_supports("x86-64-v4")) return TG_ISA_AVX512;
  if (__builtin_cpu_supports("x86-64-v3")) return TG_ISA_AVX2;
#endif
  return TG_ISA_BASELINE;
}

/* The path $TG_ISA names, at most the best one; the best one when it is
 * unset. A name it does not know, or a path the CPU lacks, is said once on
 * stderr (there is no caller to return a status to). */
static tg_isa from_environment(tg_isa best) {
  const char *want = getenv("TG_ISA");
  if (!want || !*want) return best;
  for (int isa = 0; isa < TG_ISA_COUNT; isa++) {
    if (strcmp(want, names[isa]) != 0) continue;
    if (isa <= (int)best) return (tg_isa)isa;
    fprintf(stderr, "tensorgrad: TG_ISA=%s, but this CPU lacks it; using %s\n", want,
            names[best]);
    return best;
  }
  fprintf(stderr, "tensorgrad: TG_ISA=%s is not baseline, avx2 or avx512; using %s\n",
          want, names[best]);
  return best;
}

/* Threads racing here compute the same path, so whichever store lands is
 * right; only the message could repeat, and the first store wins it. */
tg_isa tg_simd_select(void) {
  tg_isa isa = from_environment(tg_simd_best());
  int unset = -1;
  atomic_compare_exchange_strong(&tg_simd_chosen, &unset, (int)isa);
  return (tg_isa)atomic_load(&tg_simd_chosen);
}

void tg_simd_force(tg_isa isa) {
  atomic_store(&tg_simd_chosen, (int)(isa <= tg_simd_best() ? isa : tg_simd_best()));
}

const char *tg_simd_path(void) {
  return names[tg_simd_isa()];
}
