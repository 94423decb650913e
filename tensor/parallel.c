/* Large loops split across the threads tg_set_num_threads asks for.
 *
 * A pool of n - 1 worker threads, started on the first large loop: the
 * caller runs the first part itself, the workers the others, and the
 * caller returns when all are done. Work is only split between BLAS calls,
 * so the pool and OpenBLAS's own threads never run at once. Parts are
 * contiguous ranges of independent elements, so a split loop computes
 * exactly what one thread would. A loop started while the pool is busy
 * (another thread's, or one inside a worker) runs on its caller alone. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "tensor/core.h"

enum { MAX_THREADS = 64 };

typedef struct pool {
  pthread_mutex_t lock;
  pthread_cond_t work, done;
  pthread_t workers[MAX_THREADS];
  int started;  /* worker threads running */
  int wanted;   /* tg_set_num_threads's n */
  uint64_t job; /* bumped for every job; workers wait for a new one */
  int pending;  /* parts not finished */
  int parts;    /* parts of the current job */
  int64_t n;    /* the job: fn over [0, n) in `parts` ranges */
  void (*fn)(int64_t begin, int64_t end, void *ctx);
  void *ctx;
} pool;

static pool the_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                        PTHREAD_COND_INITIALIZER};
static atomic_flag busy = ATOMIC_FLAG_INIT;

static void run_part(const pool *p, int part) {
  int64_t begin = p->n * part / p->parts, end = p->n * (part + 1) / p->parts;
  if (begin < end) p->fn(begin, end, p->ctx);
}

static void *worker(void *arg) {
  int part = (int)(intptr_t)arg;
  pool *p = &the_pool;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (p->job == seen) pthread_cond_wait(&p->work, &p->lock);
    seen = p->job;
    if (part >= p->parts) continue; /* a job with fewer parts than workers */
    pthread_mutex_unlock(&p->lock);
    run_part(p, part);
    pthread_mutex_lock(&p->lock);
    if (--p->pending == 0) pthread_cond_signal(&p->done);
  }
  return NULL;
}

/* Starts workers up to parts - 1; returns how many parts can run. */
static int ensure_workers(pool *p, int parts) {
  while (p->started < parts - 1) {
    if (pthread_create(&p->workers[p->started], NULL, worker,
                       (void *)(intptr_t)(p->started + 1)) != 0)
      break; /* run with what there is */
    pthread_detach(p->workers[p->started]);
    p->started++;
  }
  return p->started + 1;
}

void tg_parallel_set_threads(int n) {
  the_pool.wanted = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
}

int tg_parallel_threads(void) {
  return the_pool.wanted < 1 ? 1 : the_pool.wanted;
}

void tg_parallel_for(int64_t n, int64_t grain, void (*fn)(int64_t, int64_t, void *),
                     void *ctx) {
  pool *p = &the_pool;
  int64_t most = grain > 0 ? n / grain : n;
  int parts = tg_parallel_threads();
  if (most < parts) parts = (int)(most < 1 ? 1 : most);
  if (parts <= 1 || atomic_flag_test_and_set(&busy)) {
    fn(0, n, ctx);
    return;
  }
  pthread_mutex_lock(&p->lock);
  parts = ensure_workers(p, parts);
  p->n = n, p->fn = fn, p->ctx = ctx, p->parts = parts, p->pending = parts - 1;
  p->job++;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  run_part(p, 0);
  pthread_mutex_lock(&p->lock);
  while (p->pending > 0) pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
  atomic_flag_clear(&busy);
}
