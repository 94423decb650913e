/* The one error path. Misuse of the API (shapes, dtypes, indices) calls
 * tg_error, whose message names the op and the operands; reads of the
 * outside world instead return a status and leave a message for
 * tg_last_error.
 *
 * All of it is per thread: the handler (a longjmp target belongs to one
 * thread), the messages, and the work an error must undo. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<execinfo.h>)
#include <execinfo.h>
#define TG_HAVE_BACKTRACE 1
#endif
#endif

#include "tensor/core.h"

enum { MAX_CLEANUPS = 16, MAX_FRAMES = 64 };

static _Thread_local tg_error_handler error_handler;
static _Thread_local void *error_user;
/* Work in flight that an error must undo before a handler longjmps away
 * (the backward engine's node list, the grad mode a function turned off),
 * newest first. A NULL fn marks a state guard. */
static _Thread_local struct {
  void (*fn)(void *);
  void *arg;
} cleanups[MAX_CLEANUPS];
static _Thread_local int n_cleanups;
static _Thread_local char error_message[2048];
static _Thread_local char last_error[2048];

void tg_set_error_handler(tg_error_handler handler, void *user) {
  error_handler = handler;
  error_user = user;
}

static void restore_state(void *arg) {
  const tg_state_guard *g = arg;
  tg_scope_unwind(g->scope_depth);
  tg_no_grad_unwind(g->no_grad_depth);
  tg_set_grad_enabled(g->grad_enabled);
}

/* Where the programming error happened: the frames above tg_error, with
 * names where the platform has them (executables need -rdynamic for their
 * own functions; static functions stay addresses). */
static void print_call_stack(void) {
#ifdef TG_HAVE_BACKTRACE
  void *frames[MAX_FRAMES];
  int n = backtrace(frames, MAX_FRAMES);
  fprintf(stderr, "tensorgrad: call stack (most recent call first):\n");
  fflush(stderr);
  if (n > 2) backtrace_symbols_fd(frames + 2, n - 2, STDERR_FILENO);
#endif
}

void tg_null_tensor(const char *op) {
  tg_error("%s: a tensor argument is NULL (tg_grad before any backward, and a lookup "
           "such as tg_module_parameter or tg_tensor_dict_get of a name that is not "
           "there, return NULL)",
           op ? op : "tensorgrad");
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
  fflush(stdout); /* what the program printed so far comes first, even into a pipe */
  fprintf(stderr, "tensorgrad: error: %s\n", error_message);
  print_call_stack();
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

void tg_guard_push(tg_state_guard *g) {
  *g = (tg_state_guard){tg_is_grad_enabled(), tg_scope_depth(), tg_no_grad_depth()};
  tg_error_push_cleanup(restore_state, g);
}

void tg_guard_pop(void) {
  tg_error_pop_cleanup();
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
