/* The harness every C benchmark links: see bench.h. */
#define _GNU_SOURCE
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tensorgrad.h"

static void usage(const char *prog) {
  fprintf(stderr, "usage: %s [--threads N] [--reps R] | --simd-path\n", prog);
  exit(2);
}

bench_args bench_parse(int argc, char **argv) {
  bench_args a = {1, 5};
  if (argc == 2 && !strcmp(argv[1], "--simd-path")) { /* for run.sh's header */
    printf("%s\n", tg_simd_path());
    exit(0);
  }
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc) usage(argv[0]);
    int v = atoi(argv[i + 1]);
    if (v < 1) usage(argv[0]);
    if (!strcmp(argv[i], "--threads"))
      a.threads = v;
    else if (!strcmp(argv[i], "--reps"))
      a.reps = v;
    else
      usage(argv[0]);
    i++;
  }
  tg_set_num_threads(a.threads);
  return a;
}

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

long bench_peak_rss_kb(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double bench_time(void (*fn)(void *ctx), void *ctx, int reps) {
  double *t = malloc(sizeof *t * (size_t)reps);
  if (!t) {
    fprintf(stderr, "bench: out of memory\n");
    exit(1);
  }
  fn(ctx); /* warm-up: caches, allocator, optimizer state */
  for (int r = 0; r < reps; r++) {
    double start = bench_now();
    fn(ctx);
    t[r] = bench_now() - start;
  }
  double m = bench_median(t, reps);
  free(t);
  return m;
}

void bench_report(const char *workload, int threads, double seconds, double gflops) {
  printf("RESULT %s %d %.9g %ld ", workload, threads, seconds, bench_peak_rss_kb());
  if (gflops > 0)
    printf("%.6g\n", gflops);
  else
    printf("-\n");
  fflush(stdout);
}

void bench_check(int status, const char *what) {
  if (status == 0) return;
  fprintf(stderr, "bench: %s failed: %s\n", what, tg_last_error());
  exit(1);
}
