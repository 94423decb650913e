/* The one error path. Misuse of the API (shapes, dtypes, indices) calls
 * tg_error, whose message names the op and the operands; reads of the
 * outside world instead return a status and leave a message for
 * tg_last_error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tensor/core.h"

enum { MAX_CLEANUPS = 16 };

static tg_error_handler error_handler;
/* Work in flight that an error must undo before a handler longjmps away
 * (the backward engine's node list, say), newest first. */
static struct {
  void (*fn)(void *);
  void *arg;
} cleanups[MAX_CLEANUPS];
static int n_cleanups;
static void *error_user;
static char error_message[2048];
static char last_error[2048];

void tg_set_error_handler(tg_error_handler handler, void *user) {
  error_handler = handler;
  error_user = user;
}

void tg_error(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(error_message, sizeof error_message, fmt, args);
  va_end(args);
  while (n_cleanups > 0) {
    n_cleanups--;
    cleanups[n_cleanups].fn(cleanups[n_cleanups].arg);
  }
  if (error_handler) error_handler(error_message, error_user);
  fprintf(stderr, "tensorgrad: error: %s\n", error_message);
  abort();
}

void tg_error_push_cleanup(void (*fn)(void *), void *arg) {
  if (n_cleanups == MAX_CLEANUPS)
    tg_error("error cleanups nested more than %d deep", MAX_CLEANUPS);
  cleanups[n_cleanups].fn = fn;
  cleanups[n_cleanups].arg = arg;
  n_cleanups++;
}

void tg_error_pop_cleanup(void) {
  if (n_cleanups > 0) n_cleanups--;
}

const char *tg_last_error(void) {
  return last_error;
}

void tg_set_last_error(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, args);
  va_end(args);
}
