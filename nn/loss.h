/* Private to nn/: helpers the loss files share. */
#ifndef TG_NN_LOSS_H
#define TG_NN_LOSS_H

#include "nn/nn_internal.h"

void tg_nn_check_reduction(const char *loss, tg_reduction reduction);
/* Same floating dtype and the same shape, or an error naming both. */
void tg_nn_check_same_shape(const char *loss, const tg_tensor *input,
                            const tg_tensor *target);
/* opts, or PyTorch's defaults when NULL. */
const tg_loss_opts *tg_nn_loss_opts(const tg_loss_opts *opts);

/* The error for a class-index target outside [0, classes) (loss_nll.c). */
_Noreturn void tg_nn_target_out_of_bounds(const char *loss, int64_t target,
                                          int64_t classes);

#endif
