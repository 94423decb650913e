/* nn.TransformerEncoderLayer: self-attention and a feed-forward block,
 * each with dropout and a residual connection, normalised after (post-norm,
 * PyTorch's default) or before (norm_first):
 *   post-norm:  x = norm1(x + sa(x)),        x = norm2(x + ff(x))
 *   norm_first: x = x + sa(norm1(x)),        x = x + ff(norm2(x))
 * where sa is dropout1(self_attn(x, x, x)) and ff is
 * dropout2(linear2(dropout(activation(linear1(x))))). */
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"

typedef struct encoder_layer {
  tg_module base;
  bool norm_first, gelu;
  tg_module *self_attn, *linear1, *dropout, *linear2, *norm1, *norm2, *dropout1,
      *dropout2;
} encoder_layer;

static tg_tensor *self_attention_block(encoder_layer *e, tg_tensor *x, tg_tensor *mask,
                                       tg_tensor *key_padding_mask) {
  tg_tensor *y = tg_mha_forward(e->self_attn, x, x, x, key_padding_mask, mask, NULL);
  return tg_module_forward(e->dropout1, y);
}

static tg_tensor *feed_forward_block(encoder_layer *e, tg_tensor *x) {
  tg_tensor *h = tg_module_forward(e->linear1, x);
  h = e->gelu ? tg_gelu(h, false) : tg_relu(h);
  h = tg_module_forward(e->linear2, tg_module_forward(e->dropout, h));
  return tg_module_forward(e->dropout2, h);
}

static const tg_module_vtable encoder_layer_vtable;

tg_tensor *tg_transformer_encoder_layer_forward(tg_module *m, tg_tensor *src,
                                                tg_tensor *src_mask,
                                                tg_tensor *src_key_padding_mask) {
  if (!m || m->vtable != &encoder_layer_vtable)
    tg_error("tg_transformer_encoder_layer_forward: module %s is not a "
             "TransformerEncoderLayer",
             m ? m->vtable->type_name : "NULL");
  encoder_layer *e = (encoder_layer *)m;
  tg_scope_begin();
  tg_tensor *x = src;
  if (e->norm_first) {
    x = tg_add(x, self_attention_block(e, tg_module_forward(e->norm1, x), src_mask,
                                       src_key_padding_mask));
    x = tg_add(x, feed_forward_block(e, tg_module_forward(e->norm2, x)));
  } else {
    x = tg_module_forward(
        e->norm1, tg_add(x, self_attention_block(e, x, src_mask, src_key_padding_mask)));
    x = tg_module_forward(e->norm2, tg_add(x, feed_forward_block(e, x)));
  }
  return tg_scope_return(x);
}

static tg_tensor *encoder_layer_module_forward(tg_module *m, tg_tensor *x) {
  return tg_transformer_encoder_layer_forward(m, x, NULL, NULL);
}

static const tg_module_vtable encoder_layer_vtable = {"TransformerEncoderLayer",
                                                      encoder_layer_module_forward};

tg_module *tg_nn_transformer_encoder_layer(int64_t d_model, int64_t nhead,
                                           int64_t dim_feedforward, double dropout,
                                           const char *activation, bool batch_first,
                                           bool norm_first) {
  const char *fn = "tg_nn_transformer_encoder_layer";
  if (!activation || (strcmp(activation, "relu") != 0 && strcmp(activation, "gelu") != 0))
    tg_error("%s: activation should be relu/gelu, not %s", fn,
             activation ? activation : "NULL");
  if (dim_feedforward <= 0)
    tg_error("%s: dim_feedforward (%lld) must be positive", fn,
             (long long)dim_feedforward);
  encoder_layer *e = tg_module_new(&encoder_layer_vtable, sizeof *e);
  e->norm_first = norm_first;
  e->gelu = strcmp(activation, "gelu") == 0;
  /* built in PyTorch's order, which is the order of the initial draws */
  e->self_attn = tg_module_add(
      &e->base, "self_attn",
      tg_nn_multihead_attention(d_model, nhead, dropout, true, batch_first));
  e->linear1 =
      tg_module_add(&e->base, "linear1", tg_nn_linear(d_model, dim_feedforward, true));
  e->dropout = tg_module_add(&e->base, "dropout", tg_nn_dropout(dropout));
  e->linear2 =
      tg_module_add(&e->base, "linear2", tg_nn_linear(dim_feedforward, d_model, true));
  e->norm1 =
      tg_module_add(&e->base, "norm1", tg_nn_layer_norm(TG_SHAPE(d_model), 1e-5, true));
  e->norm2 =
      tg_module_add(&e->base, "norm2", tg_nn_layer_norm(TG_SHAPE(d_model), 1e-5, true));
  e->dropout1 = tg_module_add(&e->base, "dropout1", tg_nn_dropout(dropout));
  e->dropout2 = tg_module_add(&e->base, "dropout2", tg_nn_dropout(dropout));
  return &e->base;
}
