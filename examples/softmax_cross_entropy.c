/* The lecture's softmax and cross-entropy slides, snippet by snippet:
 *
 *   1. softmax as a layer (nn.Softmax(dim=-1)) and as a function
 *      (F.softmax) on dummy_logits_for_batch, with each row's sum;
 *   2. CrossEntropyLoss on logits == LogSoftmax + NLLLoss, on the
 *      torch.manual_seed(11) dummy batch torch.randn((5, 3));
 *   3. the "Activation + Loss" summary table, each row computed on a small
 *      example, and the pairs that must agree shown to agree.
 *
 * The slide fixes the seed (torch.manual_seed(11)), so this program does
 * too: --seed, like --epochs, is accepted (every example takes the same
 * flags) but changes nothing; nothing trains here.
 *
 * PyTorch twin: examples/pytorch/softmax_cross_entropy.py prints the same.
 */
#include <math.h>
#include <stdio.h>

#include "example.h"
#include "tensorgrad.h"

static double max_abs_diff(tg_tensor *a, tg_tensor *b) {
  tg_scope_begin();
  double d = tg_item(tg_max_all(tg_abs(tg_sub(a, b))));
  tg_scope_end();
  return d;
}

/* Slide "PyTorch Implementation of Softmax". Returns the largest distance
 * of a row sum from 1. */
static double softmax_snippet(void) {
  tg_scope_begin();
  /* dummy_logits_for_batch = torch.tensor([[21,-5,0.5],[7,8,-10]]) #shape (2,3) */
  tg_tensor *dummy_logits_for_batch =
      tg_from_data((float[]){21, -5, 0.5f, 7, 8, -10}, TG_SHAPE(2, 3), TG_FLOAT32);

  /* softmaxLayer = nn.Softmax(dim=-1) */
  tg_module *softmaxLayer = tg_nn_softmax(-1);
  tg_tensor *layer_yhat = tg_module_forward(softmaxLayer, dummy_logits_for_batch);
  printf("softmax as a layer, nn.Softmax(dim=-1):\n");
  tg_print(layer_yhat);
  /* test_sum_each_row = torch.sum(probabilities_yhat, dim=1) #shape (2) */
  tg_tensor *layer_sums = tg_sum(layer_yhat, TG_DIMS(1), false);
  printf("sum of each row:\n");
  tg_print(layer_sums);

  /* probabilities_yhat = F.softmax(dummy_logits_for_batch, dim=-1) */
  tg_tensor *fn_yhat = tg_softmax(dummy_logits_for_batch, -1);
  tg_tensor *fn_sums = tg_sum(fn_yhat, TG_DIMS(1), false);
  printf("softmax as a function, F.softmax(dim=-1):\n");
  tg_print(fn_yhat);
  printf("sum of each row:\n");
  tg_print(fn_sums);
  printf("layer and function differ by %.3g\n\n", max_abs_diff(layer_yhat, fn_yhat));

  tg_tensor *ones = tg_ones_like(fn_sums);
  double row_sum_error =
      fmax(max_abs_diff(layer_sums, ones), max_abs_diff(fn_sums, ones));
  tg_module_free(softmaxLayer);
  tg_scope_end();
  return row_sum_error;
}

typedef struct losses {
  double ce, nll, bce, bce_logits, ce_on_probs;
} losses;

/* Slide "Cross-Entropy Loss in PyTorch": option 1 and option 2. */
static void cross_entropy_snippet(tg_tensor *Z, tg_tensor *Y, losses *out) {
  tg_scope_begin();
  printf("dummy_batch_of_logits_Z = torch.randn((5, 3)) after torch.manual_seed(11):\n");
  tg_print(Z);
  printf("dummy_labels_Y:\n");
  tg_print(Y);

  /* option-1: loss_fn = nn.CrossEntropyLoss(); loss = loss_fn(Z, Y) */
  tg_tensor *loss = tg_cross_entropy_loss(Z, Y, NULL);
  printf("option-1, CrossEntropyLoss on logits:\n");
  tg_print(loss);
  out->ce = tg_item(loss);

  /* option-2: logSoftmaxLayer = nn.LogSoftmax(dim=-1); loss_fn = nn.NLLLoss() */
  tg_module *logSoftmaxLayer = tg_nn_log_softmax(-1);
  tg_tensor *log_batch_Yhat = tg_module_forward(logSoftmaxLayer, Z);
  loss = tg_nll_loss(log_batch_Yhat, Y, NULL);
  printf("option-2, LogSoftmax + NLLLoss:\n");
  tg_print(loss);
  out->nll = tg_item(loss);
  tg_module_free(logSoftmaxLayer);
  tg_scope_end();
}

/* Slide "Summary (Activation + Loss)": binary rows on the first column of Z
 * as one logit per sample with target "label is 1"; multiclass rows on Z. */
static void summary_table(tg_tensor *Z, tg_tensor *Y, losses *out) {
  tg_scope_begin();
  tg_tensor *z = tg_select(Z, 1, 0);                    /* Z[:, 0] */
  tg_tensor *t = tg_to(tg_eq_scalar(Y, 1), TG_FLOAT32); /* (Y == 1).float() */

  tg_module *sigmoidLayer = tg_nn_sigmoid();
  out->bce = tg_item(tg_bce_loss(tg_module_forward(sigmoidLayer, z), t, NULL));
  out->bce_logits = tg_item(tg_bce_with_logits_loss(z, t, NULL));
  /* the classic slip: softmax before CrossEntropyLoss, which applies its own */
  out->ce_on_probs = tg_item(tg_cross_entropy_loss(tg_softmax(Z, -1), Y, NULL));
  tg_module_free(sigmoidLayer);

  printf("\nSummary (Activation + Loss), binary on Z[:, 0] with target (Y == 1):\n");
  printf("  %-27s %-29s %s\n", "task", "activation + loss", "loss");
  printf("  %-27s %-29s %.6f\n", "Binary Classification", "Sigmoid + BCELoss", out->bce);
  printf("  %-27s %-29s %.6f\n", "", "logits + BCEWithLogitsLoss", out->bce_logits);
  printf("  %-27s %-29s %.6f\n", "Multiclass Classification", "LogSoftmax + NLLLoss",
         out->nll);
  printf("  %-27s %-29s %.6f\n", "", "logits + CrossEntropyLoss", out->ce);
  printf("  %-27s %-29s %.6f  <- wrong pair: softmax applied twice\n", "",
         "Softmax + CrossEntropyLoss", out->ce_on_probs);
  tg_scope_end();
}

int main(int argc, char **argv) {
  example_args args;
  example_parse(argc, argv, "softmax_cross_entropy", 0, &args);
  tg_scope_begin();
  double row_sum_error = softmax_snippet();

  /* torch.manual_seed(11); dummy_batch_of_logits_Z = torch.randn((5, 3)) */
  tg_manual_seed(11);
  tg_tensor *Z = tg_randn(TG_SHAPE(5, 3), TG_FLOAT32);
  /* dummy_labels_Y = torch.tensor([0, 0, 1, 2, 1]) */
  tg_tensor *Y = tg_from_data((int64_t[]){0, 0, 1, 2, 1}, TG_SHAPE(5), TG_INT64);

  losses l;
  cross_entropy_snippet(Z, Y, &l);
  summary_table(Z, Y, &l);
  double max_diff = fmax(fabs(l.ce - l.nll), fabs(l.bce - l.bce_logits));
  printf("softmax_cross_entropy: ce=%.8g nll=%.8g bce=%.8g bce_logits=%.8g max_diff=%.3g "
         "ce_on_probs=%.8g row_sum_error=%.3g\n",
         l.ce, l.nll, l.bce, l.bce_logits, max_diff, l.ce_on_probs, row_sum_error);
  tg_scope_end();
  return 0;
}
