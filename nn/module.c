/* The module base: registration of children, parameters and buffers, the
 * forward wrapper, lookups by dotted name, modes and whole-tree operations. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "tensor/core.h"

_Thread_local void (*tg_nn_forward_hook)(tg_module *m, tg_tensor *output, void *ctx);
_Thread_local void (*tg_nn_forward_pre_hook)(tg_module *m, tg_tensor *input, void *ctx);
_Thread_local void *tg_nn_forward_hook_ctx;

bool tg_nn_same_shape(tg_shape a, tg_shape b) {
  bool same = a.ndim == b.ndim;
  for (int i = 0; same && i < a.ndim; i++) same = a.d[i] == b.d[i];
  return same;
}

void *tg_nn_xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p) tg_error("tensorgrad nn: out of memory allocating %zu bytes", size);
  return p;
}

char *tg_nn_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(tg_nn_xmalloc(n), s, n);
}

void *tg_module_new(const tg_module_vtable *vtable, size_t size) {
  if (!vtable || !vtable->type_name || !vtable->forward)
    tg_error("tg_module_new: the vtable needs a type_name and a forward function");
  if (size < sizeof(tg_module))
    tg_error("tg_module_new: size %zu is smaller than the tg_module base (%zu)", size,
             sizeof(tg_module));
  tg_module *m = tg_nn_xmalloc(size);
  memset(m, 0, size);
  m->vtable = vtable;
  m->training = true;
  return m;
}

static void free_entries(tg_module_entry *e, int n) {
  for (int i = 0; i < n; i++) {
    free(e[i].name);
    tg_module_free(e[i].module);
    tg_release(e[i].tensor);
  }
  free(e);
}

void tg_module_free(tg_module *m) {
  if (!m) return;
  if (m->vtable->free) m->vtable->free(m);
  free_entries(m->children, m->n_children);
  free_entries(m->params, m->n_params);
  free_entries(m->buffers, m->n_buffers);
  free(m->parameters);
  free(m);
}

/* ---- registration ---- */

static bool name_taken(const tg_module *m, const char *name) {
  for (int i = 0; i < m->n_children; i++)
    if (!strcmp(m->children[i].name, name)) return true;
  for (int i = 0; i < m->n_params; i++)
    if (!strcmp(m->params[i].name, name)) return true;
  for (int i = 0; i < m->n_buffers; i++)
    if (!strcmp(m->buffers[i].name, name)) return true;
  return false;
}

static void check_name(const char *op, const tg_module *m, const char *name) {
  if (!name || !*name) tg_error("%s: a name can't be empty", op);
  if (strchr(name, '.')) tg_error("%s: name \"%s\" can't contain \".\"", op, name);
  if (name_taken(m, name))
    tg_error("%s: %s already has a member named \"%s\"", op, m->vtable->type_name, name);
}

static tg_module_entry *append(tg_module_entry **list, int *n, int *cap,
                               const char *name) {
  if (*n == *cap) {
    int grown = *cap ? 2 * *cap : 4;
    tg_module_entry *bigger = realloc(*list, (size_t)grown * sizeof **list);
    if (!bigger) tg_error("tensorgrad nn: out of memory growing a module");
    *list = bigger;
    *cap = grown;
  }
  tg_module_entry *e = &(*list)[(*n)++];
  *e = (tg_module_entry){tg_nn_xstrdup(name), NULL, NULL};
  return e;
}

tg_module *tg_module_add(tg_module *m, const char *name, tg_module *child) {
  if (!child) tg_error("tg_module_add: child \"%s\" is NULL", name ? name : "");
  check_name("tg_module_add", m, name);
  append(&m->children, &m->n_children, &m->children_cap, name)->module = child;
  return child;
}

tg_tensor *tg_module_register_parameter(tg_module *m, const char *name, tg_tensor *t) {
  check_name("tg_module_register_parameter", m, name);
  if (t && (!tg_is_floating(t->dtype) || !tg_is_leaf(t)))
    tg_error(
        "tg_module_register_parameter: parameter \"%s\" must be a floating leaf tensor, "
        "got a %s %s",
        name, tg_dtype_name(t->dtype), tg_is_leaf(t) ? "leaf" : "non-leaf");
  append(&m->params, &m->n_params, &m->params_cap, name)->tensor =
      t ? tg_retain(t) : NULL;
  if (t) tg_requires_grad_(t, true);
  return t;
}

tg_tensor *tg_module_register_buffer(tg_module *m, const char *name, tg_tensor *t) {
  check_name("tg_module_register_buffer", m, name);
  append(&m->buffers, &m->n_buffers, &m->buffers_cap, name)->tensor =
      t ? tg_retain(t) : NULL;
  return t;
}

static void free_unfinished(void *m) {
  tg_module_free(m);
}

/* A size no tensor can have (a hostile or mistyped constructor argument)
 * fails here, in the middle of the module's constructor: the module, which
 * nobody holds yet, is freed on the way out instead of leaking. */
tg_tensor *tg_nn_new_param(tg_module *m, const char *name, tg_shape shape) {
  tg_error_push_cleanup(free_unfinished, m);
  tg_scope_begin();
  tg_tensor *t = tg_module_register_parameter(m, name, tg_empty(shape, TG_FLOAT32));
  tg_scope_end(); /* the module's own reference keeps it */
  tg_error_pop_cleanup();
  return t;
}

/* ---- forward ---- */

tg_tensor *tg_module_forward(tg_module *m, tg_tensor *x) {
  if (!m) tg_error("tg_module_forward: module is NULL");
  tg_use(x, "tg_module_forward");
  if (tg_nn_forward_pre_hook) tg_nn_forward_pre_hook(m, x, tg_nn_forward_hook_ctx);
  tg_scope_begin();
  tg_tensor *out = m->vtable->forward(m, x);
  if (!out)
    tg_error("tg_module_forward: %s's forward returned NULL", m->vtable->type_name);
  if (tg_nn_forward_hook) tg_nn_forward_hook(m, out, tg_nn_forward_hook_ctx);
  return tg_scope_return(out);
}

/* ---- lookups ---- */

static const tg_module_entry *find(const tg_module_entry *e, int n, const char *name,
                                   size_t len) {
  for (int i = 0; i < n; i++)
    if (strlen(e[i].name) == len && !strncmp(e[i].name, name, len)) return &e[i];
  return NULL;
}

/* Follows the dotted prefix of `name` down the tree; *leaf gets the last part. */
static const tg_module *walk(const tg_module *m, const char *name, const char **leaf) {
  if (!name) tg_error("module lookup: name is NULL");
  const char *dot;
  while (m && (dot = strchr(name, '.'))) {
    const tg_module_entry *e =
        find(m->children, m->n_children, name, (size_t)(dot - name));
    m = e ? e->module : NULL;
    name = dot + 1;
  }
  *leaf = name;
  return m;
}

tg_module *tg_module_child(const tg_module *m, const char *name) {
  const char *leaf;
  m = walk(m, name, &leaf);
  const tg_module_entry *e =
      m ? find(m->children, m->n_children, leaf, strlen(leaf)) : NULL;
  return e ? e->module : NULL;
}

tg_tensor *tg_module_parameter(const tg_module *m, const char *name) {
  const char *leaf;
  m = walk(m, name, &leaf);
  const tg_module_entry *e = m ? find(m->params, m->n_params, leaf, strlen(leaf)) : NULL;
  return e ? e->tensor : NULL;
}

tg_tensor *tg_module_buffer(const tg_module *m, const char *name) {
  const char *leaf;
  m = walk(m, name, &leaf);
  const tg_module_entry *e =
      m ? find(m->buffers, m->n_buffers, leaf, strlen(leaf)) : NULL;
  return e ? e->tensor : NULL;
}

/* ---- whole-tree walks ---- */

typedef void (*tensor_visit)(const char *name, tg_tensor *t, void *ctx);

/* Visits parameters (and/or buffers) of m then of each child, recursively,
 * with dotted names: PyTorch's named_parameters / state_dict order. */
static void visit_tensors(const tg_module *m, const char *prefix, bool params,
                          bool buffers, tensor_visit visit, void *ctx) {
  size_t plen = strlen(prefix);
  for (int pass = 0; pass < 2; pass++) {
    if ((pass == 0 && !params) || (pass == 1 && !buffers)) continue;
    const tg_module_entry *e = pass == 0 ? m->params : m->buffers;
    int n = pass == 0 ? m->n_params : m->n_buffers;
    for (int i = 0; i < n; i++) {
      if (!e[i].tensor) continue;
      char *full = tg_nn_xmalloc(plen + strlen(e[i].name) + 1);
      strcpy(full, prefix);
      strcat(full, e[i].name);
      visit(full, e[i].tensor, ctx);
      free(full);
    }
  }
  for (int i = 0; i < m->n_children; i++) {
    char *child_prefix = tg_nn_xmalloc(plen + strlen(m->children[i].name) + 2);
    strcpy(child_prefix, prefix);
    strcat(child_prefix, m->children[i].name);
    strcat(child_prefix, ".");
    visit_tensors(m->children[i].module, child_prefix, params, buffers, visit, ctx);
    free(child_prefix);
  }
}

static void add_to_dict(const char *name, tg_tensor *t, void *ctx) {
  tg_tensor_dict_add(ctx, name, t);
}

tg_tensor_dict *tg_module_named_parameters(const tg_module *m) {
  tg_tensor_dict *d = tg_tensor_dict_new();
  visit_tensors(m, "", true, false, add_to_dict, d);
  return d;
}

typedef struct param_list {
  tg_module *owner;
  int n;
} param_list;

static void append_parameter(const char *name, tg_tensor *t, void *ctx) {
  param_list *list = ctx;
  tg_module *m = list->owner;
  if (list->n == m->parameters_cap) {
    int grown = m->parameters_cap ? 2 * m->parameters_cap : 8;
    tg_tensor **bigger = realloc(m->parameters, (size_t)grown * sizeof *bigger);
    if (!bigger) tg_error("tg_module_parameters: out of memory");
    m->parameters = bigger;
    m->parameters_cap = grown;
  }
  m->parameters[list->n++] = t;
}

tg_params tg_module_parameters(tg_module *m) {
  if (!m) tg_error("tg_module_parameters: module is NULL");
  param_list list = {m, 0};
  visit_tensors(m, "", true, false, append_parameter, &list);
  return (tg_params){m->parameters, list.n};
}

tg_tensor_dict *tg_module_named_buffers(const tg_module *m) {
  tg_tensor_dict *d = tg_tensor_dict_new();
  visit_tensors(m, "", false, true, add_to_dict, d);
  return d;
}

static void add_detached(const char *name, tg_tensor *t, void *ctx) {
  tg_scope_begin();
  tg_tensor_dict_add(ctx, name, tg_detach(t));
  tg_scope_end();
}

tg_tensor_dict *tg_state_dict(const tg_module *m) {
  if (!m) tg_error("tg_state_dict: module is NULL");
  tg_tensor_dict *d = tg_tensor_dict_new();
  visit_tensors(m, "", true, true, add_detached, d);
  return d;
}

typedef struct count_ctx {
  int64_t total;
  bool trainable_only;
} count_ctx;

static void count_param(const char *name, tg_tensor *t, void *ctx) {
  count_ctx *c = ctx;
  if (!c->trainable_only || t->requires_grad) c->total += tg_numel(t);
}

int64_t tg_module_num_parameters(const tg_module *m, bool trainable_only) {
  count_ctx c = {0, trainable_only};
  visit_tensors(m, "", true, false, count_param, &c);
  return c.total;
}

void tg_module_train(tg_module *m, bool mode) {
  m->training = mode;
  for (int i = 0; i < m->n_children; i++) tg_module_train(m->children[i].module, mode);
}

void tg_module_eval(tg_module *m) {
  tg_module_train(m, false);
}

static void zero_grad_visit(const char *name, tg_tensor *t, void *ctx) {
  tg_zero_grad(t, *(bool *)ctx);
}

void tg_module_zero_grad(tg_module *m, bool set_to_none) {
  visit_tensors(m, "", true, false, zero_grad_visit, &set_to_none);
}

static void requires_grad_visit(const char *name, tg_tensor *t, void *ctx) {
  tg_requires_grad_(t, *(bool *)ctx);
}

void tg_module_requires_grad_(tg_module *m, bool requires_grad) {
  visit_tensors(m, "", true, false, requires_grad_visit, &requires_grad);
}

/* Like `param.data = param.data.to(dtype)`: the tensor object stays (layers
 * and optimizers keep pointers to it) and gets new storage. */
static void convert_visit(const char *name, tg_tensor *t, void *ctx) {
  tg_dtype dtype = *(tg_dtype *)ctx;
  if (!tg_is_floating(t->dtype) || t->dtype == dtype) return;
  tg_scope_begin();
  bool mode = tg_set_grad_enabled(false);
  tg_tensor *converted = tg_to(tg_detach(t), dtype); /* fresh, contiguous */
  tg_set_grad_enabled(mode);
  tg_storage_retain(converted->storage);
  tg_storage_release(t->storage);
  t->storage = converted->storage;
  t->dtype = dtype;
  t->offset = converted->offset;
  memcpy(t->strides, converted->strides, sizeof t->strides);
  tg_release(t->grad);
  t->grad = NULL;
  tg_scope_end();
}

void tg_module_to(tg_module *m, tg_dtype dtype) {
  if (!tg_is_floating(dtype))
    tg_error("tg_module_to: expected a floating dtype, got %s", tg_dtype_name(dtype));
  visit_tensors(m, "", true, true, convert_visit, &dtype);
}
