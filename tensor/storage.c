/* Reference-counted storage: the bytes that tensors view.
 *
 * A caching allocator sits under it. A training step makes and drops the
 * same temporaries every time (activations, gradients, their scratch), so
 * a released storage keeps its block on a free list of its size class and
 * the next storage of that class takes it back: no malloc, no page faults
 * on fresh memory. Classes are powers of two from 64 bytes to 1 MB, then
 * four per power of two (1, 1.25, 1.5, 1.75 MB, 2 MB, ...), so a large
 * block wastes at most a quarter of its size; a request whose class is
 * empty takes a cached block of up to twice its size before mapping a new
 * one (the blocks a step's forward freed serve its backward's and the
 * evaluation's smaller tensors). Blocks of 1 MB and more are mapped from
 * the kernel and unmapped when released past the cache's cap, so their
 * memory goes back to the system rather than to libc's heap. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tensor/core.h"

enum {
  STORAGE_ALIGN = 64,
  MIN_CLASS_SHIFT = 6,  /* 64 bytes */
  FINE_FROM_SHIFT = 20, /* 1 MB: from here, four classes per power of two */
  STEPS = 4,
  COARSE_CLASSES = FINE_FROM_SHIFT - MIN_CLASS_SHIFT, /* 64 B .. 512 KB */
  N_CLASSES =
      COARSE_CLASSES + 8 * STEPS + 1, /* up to 256 MB; larger: exact, not cached */
  LARGER_TRIED = STEPS, /* a miss takes a cached block of up to 2x its size */
};
/* At most this many bytes sit on the free lists: what a step frees and
 * takes back (the Fashion example's b128 step cycles through less), not
 * every block it ever used; a larger cap only kept blocks mapped that the
 * peak could not use (bench/README.md, "Tape nodes that keep what their
 * backward reads"). */
static const size_t CACHE_LIMIT = (size_t)64 << 20;

/* GCC says it builds with AddressSanitizer by __SANITIZE_ADDRESS__, clang
 * by __has_feature(address_sanitizer); likewise for ThreadSanitizer. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TG_UNDER_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TG_UNDER_SANITIZER 1
#endif

/* Free lists (storage blocks here, tensor headers, tape nodes) would hide a
 * use after release from memory checkers: sanitizer and checked builds
 * cache nothing, and TENSORGRAD_NO_CACHE=1 turns caching off at run time
 * (CI's valgrind run). */
bool tg_caching_enabled(void) {
#if defined(TG_UNDER_SANITIZER) || defined(TG_CHECKED)
  return false;
#else
  static int enabled = -1; /* read and written atomically: any thread may ask first */
  int known = __atomic_load_n(&enabled, __ATOMIC_RELAXED);
  if (known < 0) {
    const char *off = getenv("TENSORGRAD_NO_CACHE");
    known = !(off && *off && strcmp(off, "0") != 0);
    __atomic_store_n(&enabled, known, __ATOMIC_RELAXED);
  }
  return known;
#endif
}

/* A cached storage keeps its block; `next` links the free list. */
typedef struct cached {
  tg_storage storage;
  int size_class;  /* N_CLASSES: an exact-size block, never cached */
  bool mapped;     /* from mmap (else malloc) */
  size_t capacity; /* the block's bytes */
  struct cached *next;
} cached;

/* Storage bytes alive in all threads (tg_live_storage_bytes). */
static int64_t live_bytes;

int64_t tg_live_storage_bytes(void) {
  return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED);
}

/* Per thread, like every cache: no locks on the hot path. */
static _Thread_local cached *free_lists[N_CLASSES];
static _Thread_local size_t cached_bytes;

static size_t class_bytes(int c) {
  if (c <= COARSE_CLASSES) return (size_t)1 << (c + MIN_CLASS_SHIFT);
  int fine = c - COARSE_CLASSES - 1; /* 0 = 1.25 MB */
  size_t power = (size_t)1 << (FINE_FROM_SHIFT + fine / STEPS);
  return power + power / STEPS * (size_t)(fine % STEPS + 1);
}

/* The smallest class holding nbytes (N_CLASSES past the largest). */
static int size_class(size_t nbytes) {
  if (nbytes <= (size_t)1 << MIN_CLASS_SHIFT) return 0;
  int log2_up = 64 - __builtin_clzll((unsigned long long)(nbytes - 1));
  if (log2_up <= FINE_FROM_SHIFT) return log2_up - MIN_CLASS_SHIFT;
  size_t power = (size_t)1 << (log2_up - 1), quarter = power / STEPS;
  int steps = (int)((nbytes - power + quarter - 1) / quarter); /* 1 .. STEPS */
  int c = COARSE_CLASSES + (log2_up - 1 - FINE_FROM_SHIFT) * STEPS + steps;
  return c < N_CLASSES ? c : N_CLASSES;
}

/* Large blocks come from the kernel, those from 4 MB on asked to live on
 * 2 MB pages, as numpy's are: a fresh 1.28 GB array then takes 640 page
 * faults instead of 312,000 (half the time of a 10^7-row StandardScaler
 * transform went to them). Under memory checkers (no caching) every block
 * is malloc's, which they watch. */
enum { MAP_FROM = 1 << 20, HUGE_FROM = 4 << 20, HUGE_PAGE = 2 << 20 };

static void *map_block(size_t bytes) {
  size_t slack = bytes >= HUGE_FROM ? HUGE_PAGE : 0; /* to align to a 2 MB page */
  char *p = mmap(NULL, bytes + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) return NULL;
  if (!slack) return p;
  char *aligned = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (aligned > p) munmap(p, (size_t)(aligned - p));
  if (aligned + bytes < p + bytes + slack)
    munmap(aligned + bytes, (size_t)(p + bytes + slack - (aligned + bytes)));
#ifdef MADV_HUGEPAGE
  madvise(aligned, bytes, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
  return aligned;
}

static void block_alloc(cached *s, size_t bytes) {
  s->mapped = bytes >= MAP_FROM && tg_caching_enabled();
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  if (s->mapped) bytes = (bytes + page - 1) / page * page; /* whole pages to unmap */
  s->capacity = bytes;
  s->storage.data = s->mapped ? map_block(bytes) : aligned_alloc(STORAGE_ALIGN, bytes);
}

static void block_free(cached *s) {
  if (s->mapped)
    munmap(s->storage.data, s->capacity);
  else
    free(s->storage.data);
  free(s);
}

/* A cached block for class c: its own, or the smallest of the next few. */
static cached *take_cached(int c) {
  for (int k = c; k < N_CLASSES && k <= c + (c < COARSE_CLASSES ? 1 : LARGER_TRIED);
       k++) {
    cached *s = free_lists[k];
    if (!s) continue;
    free_lists[k] = s->next;
    cached_bytes -= s->capacity;
    return s;
  }
  return NULL;
}

tg_storage *tg_storage_new(size_t nbytes) {
  int c = size_class(nbytes);
  cached *s = c < N_CLASSES ? take_cached(c) : NULL;
  if (!s) {
    s = malloc(sizeof *s);
    size_t rounded = c < N_CLASSES
                         ? class_bytes(c)
                         : (nbytes + STORAGE_ALIGN - 1) / STORAGE_ALIGN * STORAGE_ALIGN;
    if (s) block_alloc(s, rounded);
    if (!s || !s->storage.data) {
      free(s);
      tg_error("out of memory allocating %zu bytes", nbytes);
    }
    s->size_class = c;
  }
  __atomic_add_fetch(&live_bytes, (int64_t)nbytes, __ATOMIC_RELAXED);
  s->storage.refcount = 1;
  s->storage.nbytes = nbytes;
  s->storage.version = 0;
  return &s->storage;
}

void tg_storage_retain(tg_storage *s) {
  __atomic_add_fetch(&s->refcount, 1, __ATOMIC_RELAXED);
}

void tg_storage_caches_free(void) {
  for (int c = 0; c < N_CLASSES; c++) {
    while (free_lists[c]) {
      cached *block = free_lists[c];
      free_lists[c] = block->next;
      block_free(block);
    }
  }
  cached_bytes = 0;
}

void tg_storage_release(tg_storage *s) {
  if (!s || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
  __atomic_sub_fetch(&live_bytes, (int64_t)s->nbytes, __ATOMIC_RELAXED);
  cached *block = (cached *)s; /* storage is the first member */
  int c = block->size_class;
  if (c < N_CLASSES && cached_bytes + block->capacity <= CACHE_LIMIT &&
      tg_caching_enabled()) {
    tg_thread_caches_in_use();
    block->next = free_lists[c];
    free_lists[c] = block;
    cached_bytes += block->capacity;
    return;
  }
  block_free(block);
}
