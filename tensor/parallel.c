/* Large loops split across the threads tg_set_num_threads asks for.
 *
 * A pool of n - 1 worker threads, started on the first large loop. A loop
 * is cut into a few chunks per thread; the caller and the workers claim
 * chunks one at a time from a shared counter until none are left, and the
 * caller returns when every chunk is done. The caller starts on the chunks
 * at once, so a worker that wakes late (its CPU busy with another process
 * on a shared machine, or with OpenBLAS's threads finishing their spin)
 * finds less to do, or nothing, instead of holding the caller up: a split
 * loop costs at most the wake-up call and a chunk's wait over one thread.
 *
 * Chunks are ranges of independent items, so which thread runs which chunk
 * does not change the result: elementwise loops compute exactly what one
 * thread would, and reductions make their items pieces of a size fixed by
 * the shape, combined in order afterwards. A loop started while the pool is
 * busy (another thread's, or one inside a worker) runs on its caller alone.
 * Work is only split between BLAS calls, so the pool never runs while
 * OpenBLAS computes.
 *
 * The rule for every loop body the pool runs: no allocation, no tg_error,
 * no tensor created or released. A worker thread has no error handler of
 * the user's (tg_error there would abort the program, or longjmp onto the
 * wrong stack) and its own storage cache. So a body's failure cases are
 * checked by its caller before the loop, and a body that needs scratch
 * memory gets it from tg_parallel_for_slots: the caller allocates one
 * buffer per slot up front, and each chunk is told the slot (0 .. slots-1)
 * of the thread running it, which no other thread uses at the same time. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "tensor/core.h"

enum { MAX_THREADS = 64 };
/* Chunks per thread: enough for a late worker to join part-way. */
enum { CHUNKS_PER_THREAD = 4 };
/* Polls before sleeping on the condition variable: about 20-50 us, so
 * the next loop of a training step finds its worker awake, and a finished
 * worker is seen without a futex wake-up. */
enum { SPINS = 1 << 11 };

typedef struct pool {
  pthread_mutex_t lock;
  pthread_cond_t work, done;
  pthread_t workers[MAX_THREADS];
  int started;          /* worker threads running */
  atomic_int wanted;    /* tg_set_num_threads's n */
  atomic_ullong job;    /* bumped for every job; workers wait for a new one */
  bool open;            /* workers may still join the current job */
  atomic_int working;   /* workers inside the current job */
  atomic_llong claimed; /* the next chunk to run */
  int64_t n, chunks;    /* the job: fn over [0, n) in `chunks` ranges */
  int slots, joined;    /* threads the job may use; those in it so far */
  tg_slot_fn fn;
  void *ctx;
} pool;

static pool the_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                        PTHREAD_COND_INITIALIZER};
static atomic_flag busy = ATOMIC_FLAG_INIT;

/* Elements per chunk, and so per thread, below which a loop stays on its
 * caller: bench/threads.c on the 2-core EPYC (bench/README.md, "Threads")
 * found a second thread slower or no faster on light loops (relu, add_,
 * an Adam step) up to 256K-512K elements, where a worker on the other core
 * reads what sits in the caller's L2 cache, and faster from 1M. */
enum { DEFAULT_GRAIN = 1 << 18 };
static atomic_llong grain = DEFAULT_GRAIN;

static void pause_briefly(void) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

/* Runs chunks of the current job on `slot` until none are left. */
static void run_chunks(pool *p, int slot) {
  for (;;) {
    int64_t c = atomic_fetch_add(&p->claimed, 1);
    if (c >= p->chunks) return;
    p->fn(p->n * c / p->chunks, p->n * (c + 1) / p->chunks, slot, p->ctx);
  }
}

/* Polls for a job other than `seen` for a while; true when one came. */
static bool spin_for_job(pool *p, unsigned long long seen) {
  for (int i = 0; i < SPINS; i++) {
    if (atomic_load_explicit(&p->job, memory_order_relaxed) != seen) return true;
    pause_briefly();
  }
  return false;
}

static void *worker(void *arg) {
  (void)arg;
  pool *p = &the_pool;
  unsigned long long seen = 0;
  for (;;) {
    spin_for_job(p, seen);
    pthread_mutex_lock(&p->lock);
    while (atomic_load(&p->job) == seen) pthread_cond_wait(&p->work, &p->lock);
    seen = atomic_load(&p->job);
    /* woke after its caller finished, or the job has all the threads its
     * scratch was sized for (workers started for an earlier, larger
     * tg_set_num_threads): nothing to join */
    if (!p->open || p->joined >= p->slots) {
      pthread_mutex_unlock(&p->lock);
      continue;
    }
    int slot = p->joined++;
    atomic_fetch_add(&p->working, 1);
    pthread_mutex_unlock(&p->lock);
    run_chunks(p, slot);
    pthread_mutex_lock(&p->lock);
    if (atomic_fetch_sub(&p->working, 1) == 1) pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->lock);
  }
  return NULL;
}

/* Starts workers up to threads - 1; returns how many threads can run. */
static int ensure_workers(pool *p, int threads) {
  while (p->started < threads - 1) {
    if (pthread_create(&p->workers[p->started], NULL, worker, NULL) != 0)
      break; /* run with what there is */
    pthread_detach(p->workers[p->started]);
    p->started++;
  }
  return p->started + 1;
}

void tg_parallel_set_threads(int n) {
  atomic_store(&the_pool.wanted, n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n));
}

int tg_parallel_threads(void) {
  int n = atomic_load(&the_pool.wanted);
  return n < 1 ? 1 : n;
}

/* Closes the job to late workers and waits for those inside it. */
static void finish_job(pool *p) {
  for (int i = 0; i < SPINS && atomic_load(&p->working) > 0; i++) pause_briefly();
  pthread_mutex_lock(&p->lock);
  p->open = false;
  while (atomic_load(&p->working) > 0) pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}

void tg_parallel_for_slots(int64_t n, int64_t grain_items, int slots, tg_slot_fn fn,
                           void *ctx) {
  pool *p = &the_pool;
  int64_t most = grain_items > 0 ? n / grain_items : n; /* chunks of >= grain */
  int threads = tg_parallel_threads();
  if (threads > slots) threads = slots;
  if (threads <= 1 || most < 2 || atomic_flag_test_and_set(&busy)) {
    fn(0, n, 0, ctx);
    return;
  }
  pthread_mutex_lock(&p->lock);
  /* workers started for a larger count earlier stay out (p->slots) */
  int started = ensure_workers(p, threads);
  if (threads > started) threads = started;
  int64_t chunks = (int64_t)threads * CHUNKS_PER_THREAD;
  p->n = n, p->fn = fn, p->ctx = ctx, p->chunks = most < chunks ? most : chunks;
  p->slots = threads, p->joined = 1; /* the caller is slot 0 */
  atomic_store(&p->claimed, 0);
  p->open = true;
  atomic_fetch_add(&p->job, 1);
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  run_chunks(p, 0);
  finish_job(p);
  atomic_flag_clear(&busy);
}

/* A loop without scratch: fn and its context, called whatever the slot. */
typedef struct slotless {
  void (*fn)(int64_t begin, int64_t end, void *ctx);
  void *ctx;
} slotless;

static void run_slotless(int64_t begin, int64_t end, int slot, void *arg) {
  (void)slot;
  const slotless *s = arg;
  s->fn(begin, end, s->ctx);
}

void tg_parallel_for(int64_t n, int64_t grain_items, void (*fn)(int64_t, int64_t, void *),
                     void *ctx) {
  slotless s = {fn, ctx};
  tg_parallel_for_slots(n, grain_items, MAX_THREADS, run_slotless, &s);
}

int64_t tg_parallel_grain(void) {
  return atomic_load_explicit(&grain, memory_order_relaxed);
}

void tg_parallel_set_grain(int64_t elements) {
  atomic_store(&grain, elements > 0 ? elements : DEFAULT_GRAIN);
}

/* Items of `cost` elements per chunk of at least the grain. */
static int64_t items_grain(int64_t cost) {
  int64_t elements = tg_parallel_grain();
  if (cost < 1) cost = 1;
  return cost >= elements ? 1 : (elements + cost - 1) / cost;
}

void tg_parallel_items(int64_t n, int64_t cost, void (*fn)(int64_t, int64_t, void *),
                       void *ctx) {
  tg_parallel_for(n, items_grain(cost), fn, ctx);
}

void tg_parallel_items_slots(int64_t n, int64_t cost, int slots, tg_slot_fn fn,
                             void *ctx) {
  tg_parallel_for_slots(n, items_grain(cost), slots, fn, ctx);
}

/* Test hook: how many tg_scratch_alloc calls succeed before one fails
 * (negative: none fails). */
static atomic_int scratch_allowed = -1;

void tg_scratch_fail_after(int allowed) {
  atomic_store(&scratch_allowed, allowed);
}

void *tg_scratch_alloc(const char *op, int64_t count, size_t size) {
  int allowed = atomic_load(&scratch_allowed);
  if (allowed >= 0) atomic_store(&scratch_allowed, allowed - 1);
  size_t items = count > 0 ? (size_t)count : 1;
  bool too_big = size > 0 && items > SIZE_MAX / size;
  void *p = allowed == 0 || too_big ? NULL : malloc(items * (size ? size : 1));
  if (!p)
    tg_error("%s: out of memory for %lld x %zu bytes of scratch", op, (long long)count,
             size);
  return p;
}
