/* What every lecture example shares: the command line (--epochs, --seed,
 * --out, --threads, --resume), the output directory, the one-line
 * key=value summary each example ends with, exiting on errors, and the
 * smoothing of noisy per-iteration loss curves. */
#ifndef TG_EXAMPLE_H
#define TG_EXAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorgrad/plot.h"

typedef struct example_args {
  const char *name;
  int epochs;
  uint64_t seed;
  char out[512]; /* default runs/<name> */
  int threads;
  bool resume;    /* continue from <out>/best.safetensors where the example supports it */
  double started; /* wall clock at parse time, for seconds= */
} example_args;

/* Parses argv; prints usage and exits on --help or a bad flag. Creates
 * args->out (and parents), sets the thread count and seeds the RNG. */
void example_parse(int argc, char **argv, const char *name, int default_epochs,
                   example_args *args);

/* A string flag of one example: "--model" sets *value to the next argument. */
typedef struct example_flag {
  const char *flag;
  const char *help;
  const char **value; /* keeps its default when the flag is absent */
} example_flag;

/* example_parse with the count named count_flag ("--steps": args->epochs
 * holds the count) and extra string flags. */
void example_parse_flags(int argc, char **argv, const char *name, int default_count,
                         const char *count_flag, const example_flag *extra, int n_extra,
                         example_args *args);

/* "<out>/<file>" into buf; returns buf. */
const char *example_path(const example_args *args, const char *file, char *buf,
                         size_t size);

/* Seconds since example_parse. */
double example_seconds(const example_args *args);

/* Exits with a message naming the example when status != 0 (for the
 * functions that report through tg_last_error). */
void example_check(int status, const char *what);

/* calloc that never returns NULL: on failure exits with "<name>: out of
 * memory" (name as given to example_parse). n == 0 still allocates. */
void *example_calloc(size_t n, size_t size);

/* c mixed with white: the raw, noisy curve behind the smoothed one */
tg_color example_faded(tg_color c);

/* out[i] = mean of x[i - half .. i + half], clipped at the ends */
void example_centered_mean(const double *x, int64_t n, int64_t half, double *out);

#endif
