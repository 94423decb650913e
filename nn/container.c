/* Structural modules: Sequential, Identity, Flatten. */
#include <stdarg.h>
#include <stdio.h>

#include "nn/nn_internal.h"
#include "tensor/core.h"

/* Each layer's output is released as soon as the next layer has run (not at
 * the end of the whole forward): what the backward needs, the tape nodes
 * keep, so an activation nothing saved is freed here. */
static tg_tensor *sequential_forward(tg_module *m, tg_tensor *x) {
  tg_tensor *held = NULL; /* our reference to the previous layer's output */
  for (int i = 0; i < m->n_children; i++) {
    tg_scope_begin();
    tg_tensor *y = tg_retain(tg_module_forward(m->children[i].module, x));
    tg_scope_end();
    tg_release(held);
    x = held = y;
  }
  /* held is NULL without children: x is the input, which the caller owns */
  return held ? tg_scope_adopt(held) : x; /* tg_module_forward makes it a new reference */
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
