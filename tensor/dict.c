/* An ordered list of named tensors: what state_dict, named_parameters and
 * optimizer state dicts return, and what checkpoints save and load. */
#include <stdlib.h>
#include <string.h>

#include "tensor/core.h"

tg_tensor_dict *tg_tensor_dict_new(void) {
  tg_tensor_dict *d = calloc(1, sizeof *d);
  if (!d) tg_error("tg_tensor_dict_new: out of memory");
  return d;
}

void tg_tensor_dict_add(tg_tensor_dict *d, const char *name, tg_tensor *t) {
  if (!d || !name) tg_error("tg_tensor_dict_add: %s is NULL", d ? "name" : "the dict");
  if (!t) tg_error("tg_tensor_dict_add: tensor \"%s\" is NULL", name);
  if (tg_tensor_dict_get(d, name))
    tg_error("tg_tensor_dict_add: duplicate name \"%s\"", name);
  if (d->n == d->capacity) {
    int grown = d->capacity ? 2 * d->capacity : 8;
    tg_named_tensor *bigger = realloc(d->items, (size_t)grown * sizeof *bigger);
    if (!bigger) tg_error("tg_tensor_dict_add: out of memory");
    d->items = bigger;
    d->capacity = grown;
  }
  char *copy = strdup(name);
  if (!copy) tg_error("tg_tensor_dict_add: out of memory");
  d->items[d->n++] = (tg_named_tensor){copy, tg_retain(t)};
}

tg_tensor *tg_tensor_dict_get(const tg_tensor_dict *d, const char *name) {
  if (!d || !name) tg_error("tg_tensor_dict_get: %s is NULL", d ? "name" : "the dict");
  for (int i = 0; i < d->n; i++)
    if (!strcmp(d->items[i].name, name)) return d->items[i].tensor;
  return NULL;
}

void tg_tensor_dict_free(tg_tensor_dict *d) {
  if (!d) return;
  for (int i = 0; i < d->n; i++) {
    free(d->items[i].name);
    tg_release(d->items[i].tensor);
  }
  free(d->items);
  free(d);
}
