/* Reference-counted storage: the bytes that tensors view.
 *
 * A caching allocator sits under it. A training step makes and drops the
 * same temporaries every time (activations, gradients, their scratch), so
 * a released storage keeps its block on a free list of its size class
 * (powers of two from 64 bytes) and the next storage of that class takes it
 * back: no malloc, no page faults on fresh memory, no munmap of large
 * blocks. What is cached is capped; past the cap blocks go back to libc. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tensor/core.h"

enum {
  STORAGE_ALIGN = 64,
  MIN_CLASS_SHIFT = 6, /* 64 bytes */
  N_CLASSES = 23,      /* up to 256 MB; larger blocks are exact-size and not cached */
};
/* At most this many bytes sit on the free lists. */
static const size_t CACHE_LIMIT = (size_t)256 << 20;

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
  int size_class;
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

static int size_class(size_t nbytes) {
  int c = 0;
  while (c < N_CLASSES && ((size_t)1 << (c + MIN_CLASS_SHIFT)) < nbytes) c++;
  return c;
}

static size_t class_bytes(int c) {
  return (size_t)1 << (c + MIN_CLASS_SHIFT);
}

/* Blocks from 4 MB on are asked to live on 2 MB pages, as numpy's are: a
 * fresh 1.28 GB array then takes 640 page faults instead of 312,000 (half
 * the time of a 10^7-row StandardScaler transform went to them). */
enum { HUGE_FROM = 4 << 20, HUGE_PAGE = 2 << 20 };

static void *block_alloc(size_t bytes) {
#ifdef MADV_HUGEPAGE
  if (bytes >= HUGE_FROM) {
    size_t whole = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *data = aligned_alloc(HUGE_PAGE, whole);
    if (data) madvise(data, whole, MADV_HUGEPAGE); /* a hint: failure is harmless */
    return data;
  }
#endif
  return aligned_alloc(STORAGE_ALIGN, bytes);
}

tg_storage *tg_storage_new(size_t nbytes) {
  int c = size_class(nbytes);
  cached *s = c < N_CLASSES ? free_lists[c] : NULL;
  if (s) {
    free_lists[c] = s->next;
    cached_bytes -= class_bytes(c);
  } else {
    s = malloc(sizeof *s);
    size_t rounded = c < N_CLASSES
                         ? class_bytes(c)
                         : (nbytes + STORAGE_ALIGN - 1) / STORAGE_ALIGN * STORAGE_ALIGN;
    void *data = block_alloc(rounded);
    if (!s || !data) {
      free(s);
      free(data);
      tg_error("out of memory allocating %zu bytes", nbytes);
    }
    s->storage.data = data;
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
      free(block->storage.data);
      free(block);
    }
  }
  cached_bytes = 0;
}

void tg_storage_release(tg_storage *s) {
  if (!s || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
  __atomic_sub_fetch(&live_bytes, (int64_t)s->nbytes, __ATOMIC_RELAXED);
  cached *block = (cached *)s; /* storage is the first member */
  int c = block->size_class;
  if (c < N_CLASSES && cached_bytes + class_bytes(c) <= CACHE_LIMIT &&
      tg_caching_enabled()) {
    tg_thread_caches_in_use();
    block->next = free_lists[c];
    free_lists[c] = block;
    cached_bytes += class_bytes(c);
    return;
  }
  free(s->data);
  free(block);
}
