/* load_state_dict with PyTorch's strictness rules. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "tensor/core.h"

/* ---- load_state_dict ---- */

/* The error message, built in parts; overlong messages are cut, never overrun. */
typedef struct message {
  char text[2048];
  size_t len;
  int n_parts;
} message;

static void append(message *msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append(message *msg, const char *fmt, ...) {
  if (msg->len >= sizeof msg->text - 1) return;
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(msg->text + msg->len, sizeof msg->text - msg->len, fmt, args);
  va_end(args);
  if (n > 0) msg->len += (size_t)n;
  if (msg->len > sizeof msg->text - 1) msg->len = sizeof msg->text - 1;
}

static void start_part(message *msg, const char *title) {
  append(msg, "%s%s", msg->n_parts++ ? "; " : "tg_load_state_dict: ", title);
}

/* Lists the names of `from` that `other` lacks, under `title`. */
static void list_absent(message *msg, const tg_tensor_dict *from,
                        const tg_tensor_dict *other, const char *title) {
  int listed = 0;
  for (int i = 0; i < from->n; i++) {
    if (tg_tensor_dict_get(other, from->items[i].name)) continue;
    if (!listed++) start_part(msg, title);
    append(msg, "%s\"%s\"", listed > 1 ? ", " : "", from->items[i].name);
  }
}

static void list_size_mismatches(message *msg, const tg_tensor_dict *model,
                                 const tg_tensor_dict *state) {
  for (int i = 0; i < model->n; i++) {
    const tg_tensor *have = model->items[i].tensor;
    const tg_tensor *given = tg_tensor_dict_get(state, model->items[i].name);
    if (!given ||
        (have->ndim == given->ndim &&
         !memcmp(have->shape, given->shape, (size_t)have->ndim * sizeof *have->shape)))
      continue;
    char sg[TG_SHAPE_STR_MAX], sh[TG_SHAPE_STR_MAX];
    start_part(msg, "size mismatch for ");
    append(msg,
           "%s: copying a param with shape %s from checkpoint, the shape in current "
           "model is %s",
           model->items[i].name, tg_shape_str(tg_shape_of(given), sg),
           tg_shape_str(tg_shape_of(have), sh));
  }
}

/* An integer buffer (num_batches_tracked) takes a floating value only if it
 * is a whole number int64 holds: NaN or 1e300 has no int64 to become. */
static bool fits_integer(const char *name, const tg_tensor *have,
                         const tg_tensor *given) {
  if (have->dtype != TG_INT64 || !tg_is_floating(given->dtype)) return true;
  for (int64_t k = 0; k < tg_numel(given); k++) {
    double v = tg_get_flat(given, k);
    if (!tg_double_is_i64(v)) {
      tg_set_last_error("tg_load_state_dict: \"%s\" is int64 but the state dict holds "
                        "%g at element %lld, which is not a whole number int64 can hold",
                        name, v, (long long)k);
      return false;
    }
  }
  return true;
}

int tg_load_state_dict(tg_module *m, const tg_tensor_dict *state, bool strict) {
  if (!m || !state) {
    tg_set_last_error("tg_load_state_dict: %s is NULL",
                      m ? "the state dict" : "the module");
    return -1;
  }
  tg_tensor_dict *model = tg_state_dict(m);
  message msg = {"", 0, 0};
  if (strict) {
    list_absent(&msg, model, state, "missing key(s) in state_dict: ");
    list_absent(&msg, state, model, "unexpected key(s) in state_dict: ");
  }
  list_size_mismatches(&msg, model, state);
  if (msg.n_parts) {
    tg_tensor_dict_free(model);
    tg_set_last_error("%s", msg.text);
    return -1;
  }
  for (int i = 0; i < model->n; i++) {
    const tg_tensor *given = tg_tensor_dict_get(state, model->items[i].name);
    if (given && !fits_integer(model->items[i].name, model->items[i].tensor, given)) {
      tg_tensor_dict_free(model);
      return -1;
    }
  }
  tg_no_grad_begin(); /* parameters are leaves that require grad: not recorded */
  for (int i = 0; i < model->n; i++) {
    const tg_tensor *given = tg_tensor_dict_get(state, model->items[i].name);
    if (given) tg_copy_(model->items[i].tensor, given);
  }
  tg_no_grad_end();
  tg_tensor_dict_free(model);
  return 0;
}
