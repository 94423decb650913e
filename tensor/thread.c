/* Per-thread caches and their cleanup when the thread exits. Everything a
 * thread caches (released tensor headers, nodes, storage blocks, scope
 * buffers) lives in _Thread_local lists; a pthread key's destructor frees
 * them when the thread ends, so worker threads do not leak. */
#include <pthread.h>
#include <stdbool.h>

#include "tensor/core.h"

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static _Thread_local bool registered;

static void free_thread_caches(void *unused) {
  (void)unused;
  tg_scope_caches_free();
  tg_tensor_caches_free();
  tg_node_caches_free();
  tg_storage_caches_free();
  tg_tensor_caches_free(); /* freeing can release headers into the pool again */
}

static void make_exit_key(void) {
  pthread_key_create(&exit_key, free_thread_caches);
}

void tg_thread_caches_in_use(void) {
  if (registered) return;
  registered = true;
  pthread_once(&exit_key_once, make_exit_key);
  pthread_setspecific(exit_key, &registered); /* non-NULL: the destructor runs */
}
