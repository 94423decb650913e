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

static void usage(const char *name, int default_epochs, int code) {
  fprintf(
      code ? stderr : stdout,
      "usage: %s [--epochs N] [--seed S] [--out DIR] [--threads T] [--resume]\n"
      "          [--subset N] [--data DIR]\n"
      "  --epochs N   training epochs (default %d)\n"
      "  --seed S     seed for tg_manual_seed and the data (default 0)\n"
      "  --out DIR    where plots, TensorBoard logs and checkpoints go (default "
      "runs/%s)\n"
      "  --threads T  BLAS threads (default 1)\n"
      "  --resume     continue from DIR/best.safetensors when the example checkpoints\n"
      "  --subset N   the first N samples of each split (default all), where the\n"
      "               example reads a data set from files\n"
      "  --data DIR   where that data set is (default: the example's)\n",
      name, default_epochs, name);
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

static long parse_number(const char *name, const char *flag, const char *text,
                         int default_epochs) {
  char *end;
  long v = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0) {
    fprintf(stderr, "%s: %s expects a non-negative integer, got '%s'\n", name, flag,
            text);
    usage(name, default_epochs, 2);
  }
  return v;
}

void example_parse(int argc, char **argv, const char *name, int default_epochs,
                   example_args *args) {
  program = name;
  *args = (example_args){name, default_epochs, 0, "", 1, false, 0, NULL, now()};
  snprintf(args->out, sizeof args->out, "runs/%s", name);
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0)
      usage(name, default_epochs, 0);
    if (strcmp(flag, "--resume") == 0) {
      args->resume = true;
    } else if (strcmp(flag, "--epochs") == 0 && has_value) {
      args->epochs = (int)parse_number(name, flag, argv[++i], default_epochs);
    } else if (strcmp(flag, "--seed") == 0 && has_value) {
      args->seed = (uint64_t)parse_number(name, flag, argv[++i], default_epochs);
    } else if (strcmp(flag, "--threads") == 0 && has_value) {
      args->threads = (int)parse_number(name, flag, argv[++i], default_epochs);
    } else if (strcmp(flag, "--subset") == 0 && has_value) {
      args->subset = parse_number(name, flag, argv[++i], default_epochs);
    } else if (strcmp(flag, "--data") == 0 && has_value) {
      args->data = argv[++i];
    } else if (strcmp(flag, "--out") == 0 && has_value) {
      snprintf(args->out, sizeof args->out, "%s", argv[++i]);
    } else {
      fprintf(stderr, "%s: unknown or incomplete option '%s'\n", name, flag);
      usage(name, default_epochs, 2);
    }
  }
  make_dirs(args->out);
  tg_set_num_threads(args->threads > 0 ? args->threads : 1);
  tg_manual_seed(args->seed);
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
