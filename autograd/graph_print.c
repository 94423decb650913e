/* Teaching aids: the grad_fn chain as text, and the whole tape as Graphviz
 * DOT, so a learner can see what backward will walk. */
#include <stdio.h>
#include <stdlib.h>

#include "io/atomic_file.h"
#include "tensor/core.h"

static void print_node(FILE *f, const tg_node *node, int depth, int max_depth) {
  fprintf(f, "%*s%s (#%lld)\n", 2 * depth, "", tg_node_name(node), (long long)node->seq);
  if (depth >= max_depth) {
    fprintf(f, "%*s...\n", 2 * depth + 2, "");
    return;
  }
  for (int i = 0; i < node->n_inputs; i++) {
    const tg_tensor *in = node->inputs[i];
    char s[TG_SHAPE_STR_MAX];
    if (!in) continue;
    if (node->input_fns[i])
      print_node(f, node->input_fns[i], depth + 1, max_depth);
    else if (node->input_requires_grad[i])
      fprintf(f, "%*sleaf %s %s (accumulates into .grad)\n", 2 * depth + 2, "",
              tg_shape_str(tg_shape_of(in), s), tg_dtype_name(in->dtype));
  }
}

/* A tree walk: a node shared by two paths prints twice, as in torchviz's
 * text form; the depth limit keeps long chains readable. */
void tg_fprint_graph(void *file, const tg_tensor *t) {
  FILE *f = file;
  if (!t->grad_fn) {
    fprintf(f, t->requires_grad ? "leaf (requires grad)\n"
                                : "no graph (does not require grad)\n");
    return;
  }
  print_node(f, t->grad_fn, 0, 32);
}

void tg_print_graph(const tg_tensor *t) {
  tg_fprint_graph(stdout, t);
}

/* DOT: one box per node, one ellipse per leaf, edges from inputs to users.
 * Walked iteratively with a stack so long chains are fine. */
int tg_graph_dot(const tg_tensor *t, const char *path) {
  /* A temporary file renamed over path: a symlink planted at path is
   * replaced, never followed. */
  tg_atomic_file out;
  if (tg_atomic_open(&out, path, "tg_graph_dot") != 0) return -1;
  FILE *f = out.fp;
  static uint64_t last_mark = 1ull << 62; /* distinct from the engine's marks */
  uint64_t mark = __atomic_add_fetch(&last_mark, 1, __ATOMIC_RELAXED);
  fprintf(f, "digraph tape {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
  size_t cap = 64, len = 0;
  tg_node **stack = malloc(cap * sizeof *stack);
  if (t->grad_fn && stack) {
    t->grad_fn->visit_mark = mark;
    stack[len++] = t->grad_fn;
  }
  while (len > 0 && stack) {
    tg_node *node = stack[--len];
    fprintf(f, "  n%lld [shape=box, label=\"%s\"];\n", (long long)node->seq,
            tg_node_name(node));
    for (int i = 0; i < node->n_inputs; i++) {
      tg_tensor *in = node->inputs[i];
      tg_node *fn = node->input_fns[i];
      if (!in || !node->input_requires_grad[i]) continue;
      if (!fn) {
        char s[TG_SHAPE_STR_MAX];
        fprintf(f, "  leaf%p [shape=ellipse, label=\"leaf %s\"];\n  leaf%p -> n%lld;\n",
                (void *)in, tg_shape_str(tg_shape_of(in), s), (void *)in,
                (long long)node->seq);
        continue;
      }
      fprintf(f, "  n%lld -> n%lld;\n", (long long)fn->seq, (long long)node->seq);
      if (fn->visit_mark == mark) continue;
      fn->visit_mark = mark;
      if (len == cap) {
        tg_node **grown = realloc(stack, 2 * cap * sizeof *grown);
        if (!grown) break;
        stack = grown;
        cap *= 2;
      }
      stack[len++] = fn;
    }
  }
  fprintf(f, "}\n");
  bool ok = stack != NULL && len == 0;
  free(stack);
  if (!ok || ferror(f)) {
    tg_atomic_abort(&out);
    tg_set_last_error("tg_graph_dot: failed writing %s", path);
    return -1;
  }
  return tg_atomic_commit(&out);
}
