/* Reference-counted storage: the bytes that tensors view. */
#include <stdlib.h>
#include <string.h>

#include "tensor/internal.h"

enum { STORAGE_ALIGN = 64 };

tg_storage *tg_storage_new(size_t nbytes) {
  tg_storage *s = malloc(sizeof *s);
  /* aligned_alloc wants a multiple of the alignment, and never 0 bytes */
  size_t rounded = (nbytes + STORAGE_ALIGN - 1) / STORAGE_ALIGN * STORAGE_ALIGN;
  void *data = aligned_alloc(STORAGE_ALIGN, rounded ? rounded : STORAGE_ALIGN);
  if (!s || !data) {
    free(s);
    free(data);
    tg_error("out of memory allocating %zu bytes", nbytes);
  }
  s->refcount = 1;
  s->data = data;
  s->nbytes = nbytes;
  s->version = 0;
  return s;
}

void tg_storage_retain(tg_storage *s) { s->refcount++; }

void tg_storage_release(tg_storage *s) {
  if (s && --s->refcount == 0) {
    free(s->data);
    free(s);
  }
}
