/* Smoke-testing the lecture examples: run one with a few epochs into a
 * fresh directory, then check its summary line and that what it wrote is
 * valid: PNG files decode, TensorBoard event files have intact framing and
 * CRCs, safetensors files parse. */
#ifndef TG_EXAMPLE_RUNNER_H
#define TG_EXAMPLE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct example_run {
  char out_dir[256];  /* a fresh temporary directory, removed by example_run_free */
  char *output;       /* everything the program printed on stdout */
  char summary[1024]; /* its last line */
  int exit_code;
} example_run;

/* Runs build/examples/<name> <args> --out <fresh dir>; stderr is discarded
 * (progress bars). */
void example_run_start(example_run *run, const char *name, const char *args);
void example_run_free(example_run *run);

/* The summary line holds key=<number>: returns it (fails the test if absent). */
double example_summary_value(const example_run *run, const char *key);

/* Fail the test unless `relpath` (under out_dir) is a valid file of that kind. */
void example_expect_png(const example_run *run, const char *relpath);
void example_expect_safetensors(const example_run *run, const char *relpath);
/* At least one events.out.tfevents.* in the directory `reldir` ("" = out_dir),
 * every record framed with valid CRCs; returns the number of records. */
int example_expect_events(const example_run *run, const char *reldir);

#endif
