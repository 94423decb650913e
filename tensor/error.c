/* The one error path. Misuse of the API (shapes, dtypes, indices) calls
 * tg_error, whose message names the op and the operands; reads of the
 * outside world instead return a status and leave a message for
 * tg_last_error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tensor/internal.h"

static tg_error_handler error_handler;
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
  if (error_handler) error_handler(error_message, error_user);
  fprintf(stderr, "tensorgrad: error: %s\n", error_message);
  abort();
}

const char *tg_last_error(void) { return last_error; }

void tg_set_last_error(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, args);
  va_end(args);
}
