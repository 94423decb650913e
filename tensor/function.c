/* Custom differentiable ops from user code, like torch.autograd.Function:
 * the forward runs with the tape off (its insides are not recorded), then
 * the user's op, whose backward the user wrote, is recorded on the result
 * with whatever the forward asked to save. */
#include "tensor/core.h"

tg_tensor *tg_function_apply(const tg_op *op, tg_forward_fn forward, int n_inputs,
                             tg_tensor *const *inputs, void *ctx) {
  tg_tensor *to_save[TG_NODE_MAX_SAVED] = {0};
  tg_state_guard guard; /* the forward may fail: grad mode and scopes come back */
  tg_guard_push(&guard);
  tg_scope_begin();
  tg_no_grad_begin();
  tg_tensor *out = forward(inputs, to_save, ctx);
  tg_no_grad_end();
  tg_guard_pop();
  /* a fresh header: the forward may have returned one of its inputs */
  out = tg_detach(out);
  tg_node *node = tg_record(op, out, n_inputs, inputs);
  for (int i = 0; node && i < TG_NODE_MAX_SAVED && to_save[i]; i++)
    tg_save(node, to_save[i]);
  return tg_scope_return(out);
}
