#include "example.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tensorgrad.h"

static const char *program = "example"; /* example_parse's name, for messages */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What example_parse_flags was given, for the usage text. */
typedef struct parse_spec {
  const char *name;
  int default_count;
  const char *count_flag; /* "--epochs" or "--steps" */
  const example_flag *extra;
  int n_extra;
} parse_spec;

static void usage(const parse_spec *spec, int code) {
  FILE *f = code ? stderr : stdout;
  const char *unit = spec->count_flag + 2;
  fprintf(f, "usage: %s [%s N] [--seed S] [--out DIR] [--threads T] [--resume]",
          spec->name, spec->count_flag);
  for (int i = 0; i < spec->n_extra; i++) fprintf(f, " [%s X]", spec->extra[i].flag);
  fprintf(
      f,
      "\n  %s N%*s training %s (default %d)\n"
      "  --seed S     seed for tg_manual_seed and the data (default 0)\n"
      "  --out DIR    where plots, TensorBoard logs and checkpoints go (default "
      "runs/%s)\n"
      "  --threads T  BLAS threads (default 1)\n"
      "  --resume     continue from DIR/best.safetensors when the example checkpoints\n",
      spec->count_flag, (int)(10 - strlen(spec->count_flag)), "", unit,
      spec->default_count, spec->name);
  for (int i = 0; i < spec->n_extra; i++)
    fprintf(f, "  %s X%*s %s\n", spec->extra[i].flag,
            (int)(10 - strlen(spec->extra[i].flag)), "", spec->extra[i].help);
  exit(code);
}

/* mkdir -p */
static void make_dirs(const char *path) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) break;
    *p = '/';
  }
  if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
    exit(1);
  }
}

static long parse_number(const parse_spec *spec, const char *flag, const char *text) {
  char *end;
  long v = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0) {
    fprintf(stderr, "%s: %s expects a non-negative integer, got '%s'\n", spec->name, flag,
            text);
    usage(spec, 2);
  }
  return v;
}

/* Sets an extra flag's value; false if `flag` is none of them. */
static bool parse_extra(const parse_spec *spec, const char *flag, const char *value) {
  for (int i = 0; i < spec->n_extra; i++)
    if (strcmp(flag, spec->extra[i].flag) == 0) {
      *spec->extra[i].value = value;
      return true;
    }
  return false;
}

void example_parse_flags(int argc, char **argv, const char *name, int default_count,
                         const char *count_flag, const example_flag *extra, int n_extra,
                         example_args *args) {
  const parse_spec spec = {name, default_count, count_flag, extra, n_extra};
  program = name;
  *args = (example_args){name, default_count, 0, "", 1, false, now()};
  snprintf(args->out, sizeof args->out, "runs/%s", name);
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) usage(&spec, 0);
    if (strcmp(flag, "--resume") == 0) {
      args->resume = true;
    } else if (strcmp(flag, count_flag) == 0 && has_value) {
      args->epochs = (int)parse_number(&spec, flag, argv[++i]);
    } else if (strcmp(flag, "--seed") == 0 && has_value) {
      args->seed = (uint64_t)parse_number(&spec, flag, argv[++i]);
    } else if (strcmp(flag, "--threads") == 0 && has_value) {
      args->threads = (int)parse_number(&spec, flag, argv[++i]);
    } else if (strcmp(flag, "--out") == 0 && has_value) {
      snprintf(args->out, sizeof args->out, "%s", argv[++i]);
    } else if (!(has_value && parse_extra(&spec, flag, argv[i + 1]))) {
      fprintf(stderr, "%s: unknown or incomplete option '%s'\n", name, flag);
      usage(&spec, 2);
    } else {
      i++;
    }
  }
  make_dirs(args->out);
  tg_set_num_threads(args->threads > 0 ? args->threads : 1);
  tg_manual_seed(args->seed);
}

void example_parse(int argc, char **argv, const char *name, int default_epochs,
                   example_args *args) {
  example_parse_flags(argc, argv, name, default_epochs, "--epochs", NULL, 0, args);
}

const char *example_path(const example_args *args, const char *file, char *buf,
                         size_t size) {
  snprintf(buf, size, "%s/%s", args->out, file);
  return buf;
}

double example_seconds(const example_args *args) {
  return now() - args->started;
}

void example_check(int status, const char *what) {
  if (status == 0) return;
  fprintf(stderr, "error: %s: %s\n", what, tg_last_error());
  exit(1);
}

void *example_calloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fprintf(stderr, "%s: out of memory\n", program);
    exit(1);
  }
  return p;
}

tg_color example_faded(tg_color c) {
  uint32_t r = (c >> 16) & 0xff, g = (c >> 8) & 0xff, b = c & 0xff;
  return TG_RGB((r + 2 * 255) / 3, (g + 2 * 255) / 3, (b + 2 * 255) / 3);
}

void example_centered_mean(const double *x, int64_t n, int64_t half, double *out) {
  for (int64_t i = 0; i < n; i++) {
    int64_t lo = i - half < 0 ? 0 : i - half, hi = i + half >= n ? n - 1 : i + half;
    double sum = 0;
    for (int64_t j = lo; j <= hi; j++) sum += x[j];
    out[i] = sum / (double)(hi - lo + 1);
  }
}
