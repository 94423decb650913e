/* Structural modules: Sequential, Identity, Flatten. */
#include <stdarg.h>
#include <stdio.h>

#include "nn/nn_internal.h"

static tg_tensor *sequential_forward(tg_module *m, tg_tensor *x) {
  for (int i = 0; i < m->n_children; i++) x = tg_module_forward(m->children[i].module, x);
  return x; /* tg_module_forward turns it into a new reference */
}

static const tg_module_vtable sequential_vtable = {"Sequential", sequential_forward};

tg_module *tg_nn_sequential_append(tg_module *seq, tg_module *m) {
  if (seq->vtable != &sequential_vtable)
    tg_error("tg_nn_sequential_append: expected a Sequential, got a %s",
             seq->vtable->type_name);
  char name[24];
  snprintf(name, sizeof name, "%d", seq->n_children);
  return tg_module_add(seq, name, m);
}

tg_module *tg_nn_sequential(tg_module *first, ...) {
  tg_module *seq = tg_module_new(&sequential_vtable, sizeof(tg_module));
  va_list args;
  va_start(args, first);
  for (tg_module *m = first; m; m = va_arg(args, tg_module *))
    tg_nn_sequential_append(seq, m);
  va_end(args);
  return seq;
}

static tg_tensor *identity_forward(tg_module *m, tg_tensor *x) {
  return x;
}

static const tg_module_vtable identity_vtable = {"Identity", identity_forward};

tg_module *tg_nn_identity(void) {
  return tg_module_new(&identity_vtable, sizeof(tg_module));
}

typedef struct flatten {
  tg_module base;
  int start_dim, end_dim;
} flatten;

static tg_tensor *flatten_forward(tg_module *m, tg_tensor *x) {
  const flatten *f = (const flatten *)m;
  return tg_flatten(x, f->start_dim, f->end_dim);
}

static void flatten_extra_repr(const tg_module *m, char *buf, size_t size) {
  const flatten *f = (const flatten *)m;
  snprintf(buf, size, "start_dim=%d, end_dim=%d", f->start_dim, f->end_dim);
}

static const tg_module_vtable flatten_vtable = {"Flatten", flatten_forward, NULL,
                                                flatten_extra_repr};

tg_module *tg_nn_flatten(int start_dim, int end_dim) {
  flatten *f = tg_module_new(&flatten_vtable, sizeof *f);
  f->start_dim = start_dim;
  f->end_dim = end_dim;
  return &f->base;
}
