/* tg_summary: torch-summary's table (the one the lecture prints), made the
 * way torch-summary makes it: run a batch of 2 through the model with a
 * hook on every submodule, one row per call, in call order, then print the
 * rows as a tree with parents above their children. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "tensor/core.h"

enum { MAX_DEPTH = 3, NAME_WIDTH = 40, COL_WIDTH = 25 };

typedef struct row {
  const tg_module *module;
  int depth, depth_index;
  tg_shape output; /* batch dim shown as -1 */
  int64_t params, macs;
  bool trainable, recursive, leaf;
} row;

typedef struct placed {
  const tg_module *module;
  int depth;
} placed;

/* What the hook sees. If the summary's forward raises an error and the
 * handler longjmps out, the hook is still installed: `alive` tells. The
 * summary's scope holds one reference to it and rec another, so once that
 * scope has been unwound its count drops to 1 and the hook retires. */
static _Thread_local struct {
  tg_tensor *alive;
  placed *modules;
  int n_modules;
  row *rows;
  int n_rows, cap_rows;
  int next_index[MAX_DEPTH + 3];
} rec;

static void *grow(void *p, int n, int *cap, size_t item) {
  if (n < *cap) return p;
  *cap = *cap ? 2 * *cap : 16;
  void *bigger = realloc(p, (size_t)*cap * item);
  if (!bigger) tg_error("tg_summary: out of memory");
  return bigger;
}

/* torch-summary hooks every module but the root (unless it is alone), down
 * to depth MAX_DEPTH + 1. */
static void place(const tg_module *m, int depth, int *cap) {
  if (depth > 0 || m->n_children == 0) {
    rec.modules = grow(rec.modules, rec.n_modules, cap, sizeof *rec.modules);
    rec.modules[rec.n_modules++] = (placed){m, depth};
  }
  if (depth > MAX_DEPTH) return;
  for (int i = 0; i < m->n_children; i++) place(m->children[i].module, depth + 1, cap);
}

static int depth_of(const tg_module *m) {
  for (int i = 0; i < rec.n_modules; i++)
    if (rec.modules[i].module == m) return rec.modules[i].depth;
  return -1;
}

/* Parameter counts and torch-summary's mult-adds: a weight's size (times
 * the output's spatial size for convolutions); nested weights count too. */
static void count_params(row *r) {
  tg_tensor_dict *params = tg_module_named_parameters(r->module);
  bool conv = strstr(r->module->vtable->type_name, "Conv") != NULL;
  r->trainable = true;
  for (int i = 0; i < params->n; i++) {
    const tg_tensor *p = params->items[i].tensor;
    int64_t n = tg_numel(p);
    r->params += n;
    r->trainable &= p->requires_grad;
    const char *name = params->items[i].name;
    if (!strcmp(name, "weight") && conv) {
      int64_t spatial = 1;
      for (int d = 2; d < r->output.ndim; d++) spatial *= r->output.d[d];
      r->macs += n * spatial;
    } else if (strstr(name, "weight")) {
      r->macs += n;
    }
  }
  tg_tensor_dict_free(params);
}

static void reset(void) {
  tg_nn_forward_hook = NULL;
  tg_release(rec.alive);
  free(rec.modules);
  free(rec.rows);
  memset(&rec, 0, sizeof rec);
}

static void record(tg_module *m, tg_tensor *output, void *ctx) {
  if (rec.alive->refcount < 2) { /* left over from a summary that failed */
    reset();
    return;
  }
  int depth = depth_of(m);
  if (depth < 0) return;
  rec.rows = grow(rec.rows, rec.n_rows, &rec.cap_rows, sizeof *rec.rows);
  row *r = &rec.rows[rec.n_rows];
  *r = (row){m, depth, ++rec.next_index[depth], tg_shape_of(output)};
  if (r->output.ndim > 0) r->output.d[0] = -1;
  r->leaf = m->n_children == 0;
  count_params(r);
  for (int i = 0; i < rec.n_rows && r->params > 0; i++)
    if (rec.rows[i].module == m) r->recursive = true;
  rec.n_rows++;
}

/* ---- text ---- */

/* Characters, not bytes: the tree glyphs are 3-byte UTF-8 but one column. */
static size_t columns(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static void put_padded(tg_nn_text *t, const char *s, size_t width) {
  tg_nn_text_put(t, s);
  for (size_t n = columns(s); n < width; n++) tg_nn_text_put(t, " ");
  tg_nn_text_put(t, " ");
}

/* Python's format(n, ","): 4,001 */
static void with_commas(int64_t v, char *buf) {
  char digits[32];
  snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
  size_t n = strlen(digits), j = 0;
  if (v < 0) buf[j++] = '-';
  for (size_t i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) buf[j++] = ',';
    buf[j++] = digits[i];
  }
  buf[j] = 0;
}

static void end_line(tg_nn_text *t) {
  while (t->len && t->data[t->len - 1] == ' ') t->data[--t->len] = 0;
  tg_nn_text_put(t, "\n");
}

static void format_row(tg_nn_text *t, const char *name, const char *output,
                       const char *params, size_t name_width) {
  put_padded(t, name, name_width);
  put_padded(t, output, COL_WIDTH);
  put_padded(t, params, COL_WIDTH);
  end_line(t);
}

static void shape_list(tg_shape s, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (int d = 0; d < s.ndim && n < size; d++)
    n += (size_t)snprintf(buf + n, size - n, "%s%lld", d ? ", " : "", (long long)s.d[d]);
  if (n < size) snprintf(buf + n, size - n, "]");
}

static void put_row(tg_nn_text *t, const row *r, bool reached_max_depth,
                    size_t name_width) {
  char name[160] = "", output[TG_SHAPE_STR_MAX], params[40] = "--";
  if (r->depth == 1) strcat(name, "├─");
  for (int d = 1; d < r->depth && r->depth > 1; d++) strcat(name, "│    ");
  if (r->depth > 1) strcat(name, "└─");
  snprintf(name + strlen(name), sizeof name - strlen(name), "%s: %d-%d",
           r->module->vtable->type_name, r->depth, r->depth_index);
  shape_list(r->output, output, sizeof output);
  if (r->recursive) {
    strcpy(params, "(recursive)");
  } else if (r->params > 0 && (reached_max_depth || r->leaf)) {
    char n[32];
    with_commas(r->params, n);
    snprintf(params, sizeof params, r->trainable ? "%s" : "(%s)", n);
  }
  format_row(t, name, output, params, name_width);
}

/* Each row of `depth` in [left, right), followed by its children: the rows
 * of depth + 1 recorded since the previous row of `depth`. */
static void put_tree(tg_nn_text *t, int left, int right, int depth, size_t name_width) {
  if (depth > MAX_DEPTH) return;
  int new_left = left - 1;
  for (int i = left; i < right; i++) {
    if (rec.rows[i].depth != depth) continue;
    put_row(t, &rec.rows[i], depth == MAX_DEPTH, name_width);
    put_tree(t, new_left + 1, i, depth + 1, name_width);
    new_left = i;
  }
}

static size_t name_width(void) {
  size_t longest = 0;
  for (int i = 0; i < rec.n_rows; i++) {
    char name[160];
    snprintf(name, sizeof name, "%s: %d-%d", rec.rows[i].module->vtable->type_name,
             rec.rows[i].depth, rec.rows[i].depth_index);
    size_t len = strlen(name) + (size_t)rec.rows[i].depth * 5 + 1;
    if (len > longest) longest = len;
  }
  return longest >= NAME_WIDTH ? (longest + 4) / 5 * 5 : NAME_WIDTH;
}

static void put_divider(tg_nn_text *t, size_t width) {
  for (size_t i = 0; i < width; i++) tg_nn_text_put(t, "=");
  tg_nn_text_put(t, "\n");
}

static void put_totals(tg_nn_text *t, tg_shape input, size_t width) {
  int64_t total = 0, trainable = 0, macs = 0;
  double outputs = 0, inputs = 1;
  for (int i = 0; i < rec.n_rows; i++) {
    const row *r = &rec.rows[i];
    macs += r->macs;
    if (r->recursive) continue;
    if ((r->leaf && r->depth < MAX_DEPTH) || r->depth == MAX_DEPTH) {
      total += r->params;
      if (r->trainable) trainable += r->params;
    }
    if (r->params > 0 && r->leaf) {
      double numel = 1;
      for (int d = 0; d < r->output.ndim; d++) numel *= (double)r->output.d[d];
      outputs += 2.0 * fabs(numel); /* x2 for the gradients */
    }
  }
  for (int d = 0; d < input.ndim; d++) inputs *= (double)input.d[d];
  char line[200], a[32], b[32], c[32];
  with_commas(total, a);
  with_commas(trainable, b);
  with_commas(total - trainable, c);
  snprintf(line, sizeof line,
           "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n"
           "Total mult-adds (%s): %.2f\n",
           a, b, c, macs >= 1e9 ? "G" : "M",
           macs >= 1e9 ? (double)macs / 1e9 : (double)macs / 1e6);
  tg_nn_text_put(t, line);
  put_divider(t, width);
  const double mb = 4.0 / (1024.0 * 1024.0); /* float32 bytes, in MB */
  snprintf(line, sizeof line,
           "Input size (MB): %.2f\nForward/backward pass size (MB): %.2f\n"
           "Params size (MB): %.2f\nEstimated Total Size (MB): %.2f\n",
           inputs * mb, outputs * mb, (double)total * mb,
           (inputs + outputs + (double)total) * mb);
  tg_nn_text_put(t, line);
  put_divider(t, width);
}

static void run_batch_of_two(tg_module *m, tg_shape input_shape) {
  tg_params params = tg_module_parameters(m);
  tg_dtype dtype = params.n ? params.items[0]->dtype : TG_FLOAT32;
  tg_state_guard guard; /* a failing forward leaves grad mode and scopes as found */
  tg_guard_push(&guard);
  tg_scope_begin();
  rec.alive = tg_retain(tg_zeros(TG_SCALAR_SHAPE, TG_FLOAT32));
  tg_no_grad_begin();
  tg_tensor *one = tg_unsqueeze(tg_rand(input_shape, dtype), 0);
  tg_tensor *pair[2] = {one, one};
  tg_nn_forward_hook = record;
  tg_module_forward(m, tg_cat(pair, 2, 0));
  tg_nn_forward_hook = NULL;
  tg_no_grad_end();
  tg_scope_end();
  tg_guard_pop();
}

char *tg_summary_string(tg_module *m, tg_shape input_shape) {
  for (int d = 0; d < input_shape.ndim; d++)
    if (input_shape.d[d] <= 0)
      tg_error("tg_summary: input sizes must be positive, got %lld in dim %d",
               (long long)input_shape.d[d], d);
  reset();
  int cap_modules = 0;
  place(m, 0, &cap_modules);
  run_batch_of_two(m, input_shape);
  size_t nw = name_width(), width = nw + 2 * COL_WIDTH;
  tg_nn_text t = {NULL, 0, 0};
  put_divider(&t, width);
  format_row(&t, "Layer (type:depth-idx)", "Output Shape", "Param #", nw);
  put_divider(&t, width);
  put_tree(&t, 0, rec.n_rows, 1, nw);
  put_divider(&t, width);
  put_totals(&t, input_shape, width);
  reset();
  return t.data;
}

void tg_summary(tg_module *m, tg_shape input_shape) {
  char *s = tg_summary_string(m, input_shape);
  fputs(s, stdout);
  free(s);
}
