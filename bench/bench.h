/* bench/bench.h - what every C benchmark shares: a monotonic clock, peak
 * RSS, the command line (--threads N --reps R) and the one result line
 * bench/run.sh reads. The PyTorch twins print the same line (common.py). */
#ifndef TG_BENCH_H
#define TG_BENCH_H

#include <stdint.h>

typedef struct bench_args {
  int threads; /* tg_set_num_threads / torch.set_num_threads */
  int reps;    /* timed repetitions after one untimed warm-up */
} bench_args;

bench_args bench_parse(int argc, char **argv);
double bench_now(void);                /* seconds, CLOCK_MONOTONIC */
long bench_peak_rss_kb(void);          /* getrusage(RUSAGE_SELF).ru_maxrss */
double bench_median(double *v, int n); /* sorts v */

/* Times fn(ctx) reps times after one warm-up call and returns the median
 * seconds of one call. */
double bench_time(void (*fn)(void *ctx), void *ctx, int reps);

/* "RESULT <workload> <threads> <seconds> <peak_rss_kb> <gflops or ->": the
 * line run.sh collects. */
void bench_report(const char *workload, int threads, double seconds, double gflops);

/* Exits with the message when a setup step (data loading) failed. */
void bench_check(int status, const char *what);

#endif
