/* Grad mode: whether ops record themselves on the tape (torch.no_grad). */
#include "tensor/core.h"

enum { MAX_NO_GRAD_NESTING = 64 };

/* Per thread, as in PyTorch: each thread records its own graphs. */
static _Thread_local bool grad_enabled = true;
static _Thread_local bool saved_modes[MAX_NO_GRAD_NESTING];
static _Thread_local int no_grad_depth;

bool tg_is_grad_enabled(void) {
  return grad_enabled;
}

bool tg_set_grad_enabled(bool enabled) {
  bool previous = grad_enabled;
  grad_enabled = enabled;
  return previous;
}

void tg_no_grad_begin(void) {
  if (no_grad_depth == MAX_NO_GRAD_NESTING)
    tg_error("tg_no_grad_begin: nested more than %d deep", MAX_NO_GRAD_NESTING);
  saved_modes[no_grad_depth++] = tg_set_grad_enabled(false);
}

void tg_no_grad_end(void) {
  if (no_grad_depth == 0) tg_error("tg_no_grad_end: no tg_no_grad_begin is open");
  tg_set_grad_enabled(saved_modes[--no_grad_depth]);
}

int tg_no_grad_depth(void) {
  return no_grad_depth;
}

/* Drops no_grad levels opened past `depth` without restoring the modes they
 * saved: the caller restores the grad mode it saved itself. */
void tg_no_grad_unwind(int depth) {
  if (depth >= 0 && depth < no_grad_depth) no_grad_depth = depth;
}
