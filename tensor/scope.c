/* Scopes (autorelease pools). C has no destructors, so an expression such as
 * tg_mse_loss(tg_add(tg_matmul(x, w), b), y) would leak its temporaries.
 * Inside tg_scope_begin/tg_scope_end every new tensor is owned by the
 * innermost scope and released at its end unless kept. */
#include <stdio.h>
#include <stdlib.h>

#include "tensor/core.h"

typedef struct pool {
  tg_tensor **items;
  size_t len, cap;
} pool;

/* Scopes belong to the thread that opened them. */
static _Thread_local pool *pools;
static _Thread_local int depth, pools_cap;

void tg_scope_caches_free(void) {
  for (int i = 0; i < pools_cap; i++) free(pools[i].items);
  free(pools);
  pools = NULL;
  pools_cap = depth = 0;
}

static void pool_push(pool *p, tg_tensor *t) {
  TG_CHECKED_HOOK(tg_checked_scope_ref(t, +1));
  if (p->len == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    tg_tensor **grown = realloc(p->items, cap * sizeof *grown);
    if (!grown) tg_error("out of memory growing a scope");
    p->items = grown;
    p->cap = cap;
  }
  p->items[p->len++] = t;
}

void tg_scope_begin(void) {
  if (depth == pools_cap) {
    int cap = pools_cap ? 2 * pools_cap : 8;
    pool *grown = realloc(pools, (size_t)cap * sizeof *grown);
    if (!grown) tg_error("out of memory opening a scope");
    tg_thread_caches_in_use();
    for (int i = pools_cap; i < cap; i++) grown[i] = (pool){NULL, 0, 0};
    pools = grown;
    pools_cap = cap;
  }
  pools[depth++].len = 0; /* each depth keeps its buffer for the next scope */
}

void tg_scope_end(void) {
  if (depth == 0) tg_error("tg_scope_end: no scope is open");
  pool *p = &pools[--depth];
  /* release newest first: results die before the temporaries they used */
  while (p->len > 0) {
    tg_tensor *t = p->items[--p->len];
    TG_CHECKED_HOOK(tg_checked_scope_ref(t, -1));
    tg_release(t);
  }
}

int tg_scope_depth(void) {
  return depth;
}

void tg_scope_unwind(int target) {
  while (depth > target) tg_scope_end();
}

tg_tensor *tg_scope_adopt(tg_tensor *t) {
  if (depth > 0) pool_push(&pools[depth - 1], t);
  return t;
}

tg_tensor *tg_keep(tg_tensor *t) {
  if (!t) return NULL;
  tg_retain(t);
  if (depth >= 2) pool_push(&pools[depth - 2], t);
  return t;
}

tg_tensor *tg_scope_return(tg_tensor *t) {
  tg_keep(t);
  tg_scope_end();
  return t;
}
