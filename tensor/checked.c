/* Checked mode (cmake -DTG_CHECKED=ON; on in Debug builds): the ownership
 * mistakes a C user can make, caught where they happen.
 *
 * Every tensor gets a record: the call stack that made it, how many of its
 * references scopes hold, and whether it was released. A released header
 * is not reused but kept (quarantined) for a while, so a later use reads a
 * record that says "released" instead of someone else's tensor. At exit the
 * tensors still alive are listed with the stacks that made them. */
#ifdef TG_CHECKED
#include <dlfcn.h>
#include <execinfo.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensor/core.h"

enum { MAX_FRAMES = 12, QUARANTINE = 1 << 14, LEAKS_LISTED = 10 };

typedef struct record {
  void *frames[MAX_FRAMES];
  int n_frames;
  int scope_refs; /* references held by open scopes */
  bool released;
  const char *grad_fn;        /* the recording op's name, kept past the release */
  struct record *prev, *next; /* the live list */
  tg_tensor *tensor;
} record;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static record live = {.prev = &live, .next = &live};
static tg_tensor *quarantine[QUARANTINE];
static size_t quarantine_next;
static pthread_once_t report_once = PTHREAD_ONCE_INIT;

static record *record_of(const tg_tensor *t) {
  return t->checked;
}

static const char *frame_name(void *frame) {
  Dl_info info;
  return dladdr(frame, &info) && info.dli_sname ? info.dli_sname : NULL;
}

/* The library function the user called to make the tensor (tg_ones, not
 * the tg_full it calls; tg_nn_linear for its weights): the outermost tg_
 * frame before the first named frame outside the library. -1 if none. */
static int maker_frame(const record *r) {
  int maker = -1;
  for (int i = 0; i < r->n_frames; i++) {
    const char *name = frame_name(r->frames[i]);
    if (!name) continue; /* a static function: the library's or the caller's */
    if (strncmp(name, "tg_", 3) != 0) break;
    maker = i;
  }
  return maker;
}

static const char *maker(const record *r, char *buf, size_t size) {
  if (r->grad_fn) return r->grad_fn;
  int i = maker_frame(r);
  if (i < 0) return "an unknown function (build with -rdynamic for names)";
  snprintf(buf, size, "%s", frame_name(r->frames[i]));
  return buf;
}

/* "float32 tensor of shape (2x3) made by tg_add" */
static const char *describe(const tg_tensor *t, char *buf, size_t size) {
  char shape[TG_SHAPE_STR_MAX], who[128];
  tg_shape s = {t->ndim, {0}};
  memcpy(s.d, t->shape, sizeof(int64_t) * (size_t)(t->ndim > 0 ? t->ndim : 0));
  snprintf(buf, size, "%s tensor of shape %s made by %s", tg_dtype_name(t->dtype),
           tg_shape_str(s, shape), maker(record_of(t), who, sizeof who));
  return buf;
}

/* The callers above the maker, innermost first: "f <- g <- main". */
static void print_callers(const record *r) {
  int first = maker_frame(r) + 1, shown = 0;
  for (int i = first > 0 ? first : 0; i < r->n_frames && shown < 4; i++, shown++) {
    const char *name = frame_name(r->frames[i]);
    fprintf(stderr, "%s%s", shown ? " <- " : " from ", name ? name : "?");
    if (name && strcmp(name, "main") == 0) break;
  }
  fputc('\n', stderr);
}

static void report_leaks(void) {
  pthread_mutex_lock(&lock);
  int n = 0;
  for (record *r = live.next; r != &live; r = r->next) n++;
  if (n > 0) {
    fprintf(stderr, "tensorgrad: checked mode: %d tensor%s still alive at exit:\n", n,
            n == 1 ? "" : "s");
    int listed = 0;
    for (record *r = live.next; r != &live && listed < LEAKS_LISTED; r = r->next) {
      char what[512];
      fprintf(stderr, "  %s, called", describe(r->tensor, what, sizeof what));
      print_callers(r);
      listed++;
    }
    if (n > listed) fprintf(stderr, "  ... and %d more\n", n - listed);
  }
  pthread_mutex_unlock(&lock);
}

static void register_report(void) {
  atexit(report_leaks);
}

void tg_checked_created(tg_tensor *t) {
  pthread_once(&report_once, register_report);
  record *r = calloc(1, sizeof *r);
  if (!r) tg_error("checked mode: out of memory");
  r->n_frames = backtrace(r->frames, MAX_FRAMES);
  r->tensor = t;
  t->checked = r;
  pthread_mutex_lock(&lock);
  r->next = live.next;
  r->prev = &live;
  live.next->prev = r;
  live.next = r;
  pthread_mutex_unlock(&lock);
}

void tg_checked_use(const tg_tensor *t, const char *op) {
  const record *r = record_of(t);
  if (!r || !r->released) return;
  char what[512];
  tg_error("%s%suse of a released tensor: %s (released when its last reference "
           "was dropped: a tg_release, or the end of the scope that owned it)",
           op ? op : "", op ? ": " : "", describe(t, what, sizeof what));
}

void tg_checked_release(const tg_tensor *t) {
  const record *r = record_of(t);
  if (!r) return;
  char what[512];
  if (r->released)
    tg_error("tg_release: double release of a %s", describe(t, what, sizeof what));
  if (r->scope_refs > 0 &&
      __atomic_load_n(&t->refcount, __ATOMIC_RELAXED) <= r->scope_refs)
    tg_error("tg_release: releasing a %s that a scope owns (the scope releases it "
             "at tg_scope_end; tg_keep it to own a reference of your own)",
             describe(t, what, sizeof what));
}

void tg_checked_scope_ref(tg_tensor *t, int delta) {
  record *r = record_of(t);
  if (r) r->scope_refs += delta;
}

bool tg_checked_destroyed(tg_tensor *t) {
  record *r = record_of(t);
  if (!r) return false;
  r->released = true;
  r->grad_fn = t->grad_fn ? tg_grad_fn_name(t) : NULL;
  pthread_mutex_lock(&lock);
  r->prev->next = r->next;
  r->next->prev = r->prev;
  r->prev = r->next = NULL;
  /* Keep the header; the oldest kept one is freed for real. */
  tg_tensor *evicted = quarantine[quarantine_next];
  quarantine[quarantine_next] = t;
  quarantine_next = (quarantine_next + 1) % QUARANTINE;
  pthread_mutex_unlock(&lock);
  if (evicted) {
    free(evicted->checked);
    free(evicted);
  }
  return true;
}
#else
typedef int tg_checked_mode_is_off; /* ISO C wants something in a file */
#endif
