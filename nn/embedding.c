/* nn.Embedding: a lookup of rows of a weight table through index_select,
 * whose backward adds each output row's gradient into its row. The
 * padding_idx row keeps its value but never receives a gradient, as in
 * PyTorch: the table is read through where(row != padding_idx, weight,
 * weight.detach()), which is weight itself forwards. */
#include <stdio.h>

#include "nn/nn_internal.h"

typedef struct embedding {
  tg_module base;
  int64_t num_embeddings, embedding_dim, padding_idx; /* normalised, or NO_PADDING */
  tg_tensor *weight;                                  /* owned by base */
} embedding;

/* padding_idx in [-num, num) counts from the end when negative. */
static int64_t normalise_padding_idx(const char *fn, int64_t padding_idx, int64_t num) {
  if (padding_idx == TG_NO_PADDING_IDX) return padding_idx;
  if (padding_idx < -num || padding_idx >= num)
    tg_error("%s: padding_idx (%lld) must be within num_embeddings (%lld)", fn,
             (long long)padding_idx, (long long)num);
  return padding_idx < 0 ? padding_idx + num : padding_idx;
}

/* weight with the padding row cut off from the graph. */
static tg_tensor *without_padding_grad(tg_tensor *weight, int64_t padding_idx) {
  if (padding_idx == TG_NO_PADDING_IDX || !tg_requires_grad(weight)) return weight;
  tg_tensor *rows = tg_arange(0, (double)tg_size(weight, 0), 1, TG_INT64);
  tg_tensor *keep = tg_unsqueeze(tg_ne_scalar(rows, (double)padding_idx), 1);
  return tg_where(keep, weight, tg_detach(weight));
}

tg_tensor *tg_embedding(tg_tensor *input, tg_tensor *weight, int64_t padding_idx) {
  char a[TG_SHAPE_STR_MAX], b[TG_SHAPE_STR_MAX];
  if (input->dtype != TG_INT64)
    tg_error("tg_embedding: expected int64 indices, got %s input of shape %s",
             tg_dtype_name(input->dtype), tg_shape_str(tg_shape_of(input), a));
  if (weight->ndim != 2)
    tg_error("tg_embedding: weight must be 2-D (num_embeddings, embedding_dim), got %s",
             tg_shape_str(tg_shape_of(weight), b));
  padding_idx = normalise_padding_idx("tg_embedding", padding_idx, tg_size(weight, 0));
  tg_scope_begin();
  tg_shape out_shape = tg_shape_of(input);
  if (out_shape.ndim >= TG_MAX_DIMS)
    tg_error("tg_embedding: input of shape %s has too many dims",
             tg_shape_str(out_shape, a));
  out_shape.d[out_shape.ndim++] = tg_size(weight, 1);
  tg_tensor *table = without_padding_grad(weight, padding_idx);
  tg_tensor *flat = tg_reshape(input, TG_SHAPE(-1));
  return tg_scope_return(tg_reshape(tg_index_select(table, 0, flat), out_shape));
}

static tg_tensor *embedding_forward(tg_module *m, tg_tensor *x) {
  embedding *e = (embedding *)m;
  return tg_embedding(x, e->weight, e->padding_idx);
}

static void embedding_extra_repr(const tg_module *m, char *buf, size_t size) {
  const embedding *e = (const embedding *)m;
  int n = snprintf(buf, size, "%lld, %lld", (long long)e->num_embeddings,
                   (long long)e->embedding_dim);
  if (e->padding_idx != TG_NO_PADDING_IDX && n >= 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, ", padding_idx=%lld", (long long)e->padding_idx);
}

static const tg_module_vtable embedding_vtable = {"Embedding", embedding_forward, NULL,
                                                  embedding_extra_repr};

static embedding *embedding_new(int64_t num, int64_t dim, int64_t padding_idx,
                                const char *fn) {
  if (num < 0 || dim < 0)
    tg_error("%s: num_embeddings (%lld) and embedding_dim (%lld) must not be negative",
             fn, (long long)num, (long long)dim);
  padding_idx = normalise_padding_idx(fn, padding_idx, num);
  embedding *e = tg_module_new(&embedding_vtable, sizeof *e);
  e->num_embeddings = num;
  e->embedding_dim = dim;
  e->padding_idx = padding_idx;
  return e;
}

tg_module *tg_nn_embedding(int64_t num_embeddings, int64_t embedding_dim,
                           int64_t padding_idx) {
  embedding *e =
      embedding_new(num_embeddings, embedding_dim, padding_idx, "tg_nn_embedding");
  e->weight =
      tg_nn_new_param(&e->base, "weight", TG_SHAPE(num_embeddings, embedding_dim));
  tg_init_normal_(e->weight, 0, 1);
  if (e->padding_idx != TG_NO_PADDING_IDX) {
    tg_scope_begin();
    tg_fill_(tg_select(tg_detach(e->weight), 0, e->padding_idx), 0);
    tg_scope_end();
  }
  return &e->base;
}

tg_module *tg_nn_embedding_from_pretrained(tg_tensor *embeddings, bool freeze,
                                           int64_t padding_idx) {
  char s[TG_SHAPE_STR_MAX];
  if (embeddings->ndim != 2 || !tg_is_floating(embeddings->dtype))
    tg_error("tg_nn_embedding_from_pretrained: embeddings must be a 2-D floating tensor, "
             "got %s of shape %s",
             tg_dtype_name(embeddings->dtype), tg_shape_str(tg_shape_of(embeddings), s));
  embedding *e = embedding_new(tg_size(embeddings, 0), tg_size(embeddings, 1),
                               padding_idx, "tg_nn_embedding_from_pretrained");
  tg_scope_begin();
  e->weight =
      tg_module_register_parameter(&e->base, "weight", tg_clone(tg_detach(embeddings)));
  tg_scope_end();
  tg_requires_grad_(e->weight, !freeze);
  return &e->base;
}
