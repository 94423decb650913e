/* Private to nn/: helpers the loss files share. */
#ifndef TG_NN_LOSS_H
#define TG_NN_LOSS_H

#include "nn/nn_internal.h"

/* Same floating dtype and the same shape, or an error naming both. */
void tg_nn_check_same_shape(const char *loss, const tg_tensor *input,
                            const tg_tensor *target);
/* The options beyond .reduction that a loss takes. */
enum {
  TG_LOSS_WEIGHT = 1,
  TG_LOSS_POS_WEIGHT = 2,
  TG_LOSS_IGNORE_INDEX = 4,
  TG_LOSS_LABEL_SMOOTHING = 8
};
/* opts, or PyTorch's defaults when NULL, once its reduction is known and it
 * sets no option outside `takes` (a mask of the flags above); otherwise an
 * error naming the loss. */
const tg_loss_opts *tg_nn_loss_opts(const char *loss, const tg_loss_opts *opts,
                                    unsigned takes);

/* The error for a class-index target outside [0, classes) (loss_cross_entropy.c). */
_Noreturn void tg_nn_target_out_of_bounds(const char *loss, int64_t target,
                                          int64_t classes);
/* CrossEntropyLoss of (N, C) floating logits and an (N) int64 target whose
 * shapes are checked, without class weights or label smoothing: one fused
 * op (cross_entropy_fused.c). Targets other than ignore_index must be classes. */
tg_tensor *tg_nn_cross_entropy(tg_tensor *input, tg_tensor *target,
                               tg_reduction reduction, int64_t ignore_index);

#endif
