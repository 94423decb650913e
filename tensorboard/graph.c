/* tensorboard/graph.c - add_graph: one forward of a module, recorded on the
 * tape, written as the GraphDef TensorBoard's Graphs tab draws.
 *
 * Node names are paths: "Net/fc1/linear" is the linear op that ran inside
 * the child fc1 of the root module Net, "Net/fc1/weight" its parameter,
 * "input/x" the input. The Graphs tab folds each path prefix into a box, so
 * the module tree shows as nested boxes. Each node carries its output shape
 * (attr _output_shapes, as PyTorch's exporter writes it).
 *
 * Which module an op ran in: the forward hooks of nn/ give each module's
 * span of node sequence numbers (after its input's node, up to its output's
 * node); an op belongs to the innermost span holding its number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_file.h"
#include "nn/nn_internal.h"
#include "tensor/core.h"
#include "tensorgrad/autograd.h"
#include "tensorgrad/tensorboard.h"

enum { GRAPH_NODE = 1, GRAPH_VERSIONS = 4, VERSIONS_PRODUCER = 1 };
enum { NODE_NAME = 1, NODE_OP = 2, NODE_INPUT = 3, NODE_ATTR = 5 };
enum { MAP_KEY = 1, MAP_VALUE = 2, ATTR_LIST = 1, LIST_SHAPE = 7 };
enum { SHAPE_DIM = 2, DIM_SIZE = 1 };
enum { PYTORCH_PRODUCER = 22 }; /* the VersionDef producer PyTorch writes */

typedef struct module_span {
  const tg_module *module;
  char *path;
  int64_t start, end; /* node sequence numbers; start > end until it ran */
} module_span;

typedef struct graph_trace {
  module_span *spans;
  int n, cap;
} graph_trace;

static char *join_path(const char *a, const char *sep, const char *b) {
  size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
  char *s = tg_nn_xmalloc(n);
  snprintf(s, n, "%s%s%s", a, sep, b);
  return s;
}

static void add_spans(graph_trace *t, const tg_module *m, char *path) {
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 8;
    module_span *grown = realloc(t->spans, (size_t)t->cap * sizeof *grown);
    if (!grown) tg_error("tg_summary_writer_add_graph: out of memory");
    t->spans = grown;
  }
  t->spans[t->n++] = (module_span){m, path, 1, 0};
  for (int i = 0; i < m->n_children; i++)
    add_spans(t, m->children[i].module, join_path(path, "/", m->children[i].name));
}

static module_span *span_of(graph_trace *t, const tg_module *m) {
  for (int i = 0; i < t->n; i++)
    if (t->spans[i].module == m) return &t->spans[i];
  return NULL;
}

static void before_forward(tg_module *m, tg_tensor *input, void *ctx) {
  module_span *s = span_of(ctx, m);
  if (s && s->start > s->end) s->start = input->grad_fn ? input->grad_fn->seq + 1 : 0;
}

static void after_forward(tg_module *m, tg_tensor *output, void *ctx) {
  module_span *s = span_of(ctx, m);
  if (s && s->end < s->start && output->grad_fn) s->end = output->grad_fn->seq;
}

/* The innermost module whose span holds the node (spans[0], the root, by default). */
static const char *scope_of(const graph_trace *t, const tg_node *node) {
  const module_span *best = &t->spans[0];
  for (int i = 1; i < t->n; i++) {
    const module_span *s = &t->spans[i];
    if (s->start <= node->seq && node->seq <= s->end &&
        s->end - s->start <= best->end - best->start)
      best = s;
  }
  return best->path;
}

/* ---- the tape, in creation order ----------------------------------------------------
 */

typedef struct tape {
  tg_node **nodes;
  char **names;
  const tg_tensor **outputs; /* a tensor each node made, for its shape */
  int n, cap;
} tape;

static int by_seq(const void *a, const void *b) {
  int64_t x = (*(tg_node *const *)a)->seq, y = (*(tg_node *const *)b)->seq;
  return (x > y) - (x < y);
}

static void collect(tape *tp, tg_node *root) {
  static uint64_t last_mark = 3ull << 61; /* distinct from the engine's and graph_dot's */
  uint64_t mark = __atomic_add_fetch(&last_mark, 1, __ATOMIC_RELAXED); /* threads */
  tp->cap = 64;
  tp->nodes = tg_nn_xmalloc((size_t)tp->cap * sizeof *tp->nodes);
  root->visit_mark = mark;
  tp->nodes[tp->n++] = root;
  for (int done = 0; done < tp->n; done++) { /* the array is the work list */
    tg_node *node = tp->nodes[done];
    for (int i = 0; i < node->n_inputs; i++) {
      tg_tensor *in = node->inputs[i];
      if (!in || !in->grad_fn || in->grad_fn->visit_mark == mark) continue;
      in->grad_fn->visit_mark = mark;
      if (tp->n == tp->cap) {
        tp->cap *= 2;
        tg_node **grown = realloc(tp->nodes, (size_t)tp->cap * sizeof *grown);
        if (!grown) tg_error("tg_summary_writer_add_graph: out of memory");
        tp->nodes = grown;
      }
      tp->nodes[tp->n++] = in->grad_fn;
    }
  }
  qsort(tp->nodes, (size_t)tp->n, sizeof *tp->nodes, by_seq);
}

/* "<scope>/<op>", with "_1", "_2", ... when the scope already has one. */
static void name_nodes(tape *tp, const graph_trace *t) {
  tp->names = tg_nn_xmalloc((size_t)tp->n * sizeof *tp->names);
  for (int i = 0; i < tp->n; i++) {
    char *name = join_path(scope_of(t, tp->nodes[i]), "/", tp->nodes[i]->op->name);
    for (int k = 1, clash = 1; clash; k++) {
      clash = 0;
      for (int j = 0; j < i && !clash; j++) clash = strcmp(tp->names[j], name) == 0;
      if (clash) {
        char suffix[16];
        snprintf(suffix, sizeof suffix, "_%d", k);
        char *base = join_path(scope_of(t, tp->nodes[i]), "/", tp->nodes[i]->op->name);
        free(name);
        name = join_path(base, "", suffix);
        free(base);
      }
    }
    tp->names[i] = name;
  }
}

/* Each node's output shape, read from a tensor it made: an input of a later
 * node, or the forward's output (a node's own record of its output may be
 * taken before the kernel has shaped it). */
static void find_outputs(tape *tp, const tg_tensor *out) {
  tp->outputs = tg_nn_xmalloc((size_t)tp->n * sizeof *tp->outputs);
  for (int i = 0; i < tp->n; i++)
    tp->outputs[i] = tp->nodes[i] == out->grad_fn ? out : &tp->nodes[i]->output_meta;
  for (int i = 0; i < tp->n; i++)
    for (int k = 0; k < tp->nodes[i]->n_inputs; k++) {
      const tg_tensor *in = tp->nodes[i]->inputs[k];
      for (int j = 0; in && in->grad_fn && j < i; j++)
        if (tp->nodes[j] == in->grad_fn) tp->outputs[j] = in;
    }
}

static void tape_free(tape *tp) {
  free(tp->outputs);
  for (int i = 0; i < tp->n && tp->names; i++) free(tp->names[i]);
  free(tp->names);
  free(tp->nodes);
}

/* ---- GraphDef -------------------------------------------------------------------------
 */

/* attr {key "_output_shapes" value {list {shape {dim {size} ...}}}} */
static void put_output_shape(tg_bytes *node, const tg_tensor *t) {
  tg_bytes shape = TG_BYTES_INIT, list = TG_BYTES_INIT, value = TG_BYTES_INIT,
           entry = TG_BYTES_INIT;
  for (int d = 0; d < t->ndim; d++) {
    tg_bytes dim = TG_BYTES_INIT;
    tg_pb_put_varint(&dim, DIM_SIZE, (uint64_t)t->shape[d]);
    tg_pb_put_message(&shape, SHAPE_DIM, &dim);
    tg_bytes_free(&dim);
  }
  tg_pb_put_message(&list, LIST_SHAPE, &shape);
  tg_pb_put_message(&value, ATTR_LIST, &list);
  tg_pb_put_string(&entry, MAP_KEY, "_output_shapes");
  tg_pb_put_message(&entry, MAP_VALUE, &value);
  tg_pb_put_message(node, NODE_ATTR, &entry);
  tg_bytes *parts[] = {&shape, &list, &value, &entry};
  for (int i = 0; i < 4; i++) tg_bytes_free(parts[i]);
}

static void put_node(tg_bytes *graph, const char *name, const char *op,
                     const char *const *inputs, int n_inputs, const tg_tensor *output) {
  tg_bytes node = TG_BYTES_INIT;
  tg_pb_put_string(&node, NODE_NAME, name);
  tg_pb_put_string(&node, NODE_OP, op);
  for (int i = 0; i < n_inputs; i++) tg_pb_put_string(&node, NODE_INPUT, inputs[i]);
  put_output_shape(&node, output);
  tg_pb_put_message(graph, GRAPH_NODE, &node);
  tg_bytes_free(&node);
}

typedef struct leaf_names {
  const tg_tensor_dict *params;
  const char *root;
  const tg_tensor *input;
} leaf_names;

/* A leaf's node name: input/x, <root>/<param path>, or NULL (a constant). */
static char *leaf_name(const leaf_names *l, const tg_tensor *t) {
  if (t == l->input) return join_path("input", "/", "x");
  for (int i = 0; i < l->params->n; i++) {
    if (l->params->items[i].tensor != t) continue;
    char *name = join_path(l->root, "/", l->params->items[i].name);
    for (char *p = name + strlen(l->root); *p; p++)
      if (*p == '.') *p = '/';
    return name;
  }
  return NULL;
}

static void put_leaves(tg_bytes *graph, const leaf_names *l) {
  put_node(graph, "input/x", "IO Node", NULL, 0, l->input);
  for (int i = 0; i < l->params->n; i++) {
    char *name = leaf_name(l, l->params->items[i].tensor);
    put_node(graph, name, "Parameter", NULL, 0, l->params->items[i].tensor);
    free(name);
  }
}

static void put_op_nodes(tg_bytes *graph, const tape *tp, const leaf_names *l) {
  for (int i = 0; i < tp->n; i++) {
    tg_node *node = tp->nodes[i];
    char **inputs = tg_nn_xmalloc((size_t)(node->n_inputs + 1) * sizeof *inputs);
    int n = 0;
    for (int k = 0; k < node->n_inputs; k++) {
      const tg_tensor *in = node->inputs[k];
      if (!in) continue;
      if (in->grad_fn) {
        for (int j = 0; j < i; j++)
          if (tp->nodes[j] == in->grad_fn) inputs[n++] = tg_nn_xstrdup(tp->names[j]);
      } else {
        char *name = leaf_name(l, in);
        if (name) inputs[n++] = name;
      }
    }
    put_node(graph, tp->names[i], node->op->name, (const char *const *)inputs, n,
             tp->outputs[i]);
    for (int k = 0; k < n; k++) free(inputs[k]);
    free(inputs);
  }
}

static void put_graph(tg_bytes *graph, const tape *tp, const leaf_names *l) {
  put_leaves(graph, l);
  put_op_nodes(graph, tp, l);
  tg_bytes versions = TG_BYTES_INIT;
  tg_pb_put_varint(&versions, VERSIONS_PRODUCER, PYTORCH_PRODUCER);
  tg_pb_put_message(graph, GRAPH_VERSIONS, &versions);
  tg_bytes_free(&versions);
}

/* ---- add_graph -----------------------------------------------------------------------
 */

/* Runs the forward with the hooks set and grad mode on; returns the output
 * (scope-owned), or NULL when the forward recorded no op. */
static tg_tensor *traced_forward(tg_module *model, tg_tensor *x, graph_trace *t) {
  bool was_enabled = tg_set_grad_enabled(true);
  tg_nn_forward_pre_hook = before_forward;
  tg_nn_forward_hook = after_forward;
  tg_nn_forward_hook_ctx = t;
  tg_tensor *out = tg_module_forward(model, x);
  tg_nn_forward_pre_hook = NULL;
  tg_nn_forward_hook = NULL;
  tg_nn_forward_hook_ctx = NULL;
  tg_set_grad_enabled(was_enabled);
  return out->grad_fn ? out : NULL;
}

int tg_event_file_write_module_graph(tg_event_file *file, tg_module *model,
                                     tg_tensor *input) {
  graph_trace trace = {0};
  add_spans(&trace, model, tg_nn_xstrdup(model->vtable->type_name));
  tg_scope_begin();
  /* A leaf of its own that requires grad: every op that reads it is recorded. */
  tg_tensor *x = tg_requires_grad_(tg_clone(tg_detach(input)), true);
  tg_tensor *out = traced_forward(model, x, &trace);
  int status = -1;
  if (!out) {
    tg_set_last_error("tg_summary_writer_add_graph: %s's forward recorded no op",
                      model->vtable->type_name);
  } else {
    tape tp = {0};
    collect(&tp, out->grad_fn);
    name_nodes(&tp, &trace);
    find_outputs(&tp, out);
    tg_tensor_dict *params = tg_module_named_parameters(model);
    leaf_names leaves = {params, trace.spans[0].path, x};
    tg_bytes graph = TG_BYTES_INIT;
    put_graph(&graph, &tp, &leaves);
    status = tg_event_file_write_graph(file, &graph);
    tg_bytes_free(&graph);
    tg_tensor_dict_free(params);
    tape_free(&tp);
  }
  tg_scope_end();
  for (int i = 0; i < trace.n; i++) free(trace.spans[i].path);
  free(trace.spans);
  return status;
}
