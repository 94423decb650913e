/* tg_summary: the lecture's torchsummary table line by line (the text of
 * docs/formats.md, section 3), the Iris net with its ReLU called twice, nested
 * containers, convolutions and frozen parameters. */
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/nn.h"
#include "test_nn_nets.h"
#include "test_util.h"

#define RULE                                                                             \
  "====================================================================================" \
  "======"

static void assert_summary(tg_module *m, tg_shape input, const char *expected) {
  char *text = tg_summary_string(m, input);
  ck_assert_str_eq(text, expected);
  free(text);
}

START_TEST(test_lecture_summary_matches_line_by_line) {
  SimpleClassificationNet *net = simple_net_new();
  assert_summary(
      &net->base, TG_SHAPE(1, 2),
      RULE
      "\n"
      "Layer (type:depth-idx)                   Output Shape              Param #\n" RULE
      "\n"
      "├─Linear: 1-1                            [-1, 1, 1000]             3,000\n"
      "├─Linear: 1-2                            [-1, 1, 1]                1,001\n"
      "├─Sigmoid: 1-3                           [-1, 1, 1]                --\n" RULE "\n"
      "Total params: 4,001\n"
      "Trainable params: 4,001\n"
      "Non-trainable params: 0\n"
      "Total mult-adds (M): 0.00\n" RULE "\n"
      "Input size (MB): 0.00\n"
      "Forward/backward pass size (MB): 0.01\n"
      "Params size (MB): 0.02\n"
      "Estimated Total Size (MB): 0.02\n" RULE "\n");
  tg_module_free(&net->base);
}
END_TEST

/* 5,653 params; mult-adds are the weights' 5,500; outputs 2 x (500 + 1000
 * + 30) floats; total (40 + 3060 + 5653) x 4 bytes = 0.033 MB. */
START_TEST(test_iris_summary_counts_each_call) {
  SimpleMultiClassificationNet *net = multi_net_new();
  assert_summary(
      &net->base, TG_SHAPE(10, 4),
      RULE
      "\n"
      "Layer (type:depth-idx)                   Output Shape              Param #\n" RULE
      "\n"
      "├─Linear: 1-1                            [-1, 10, 50]              250\n"
      "├─ReLU: 1-2                              [-1, 10, 50]              --\n"
      "├─Linear: 1-3                            [-1, 10, 100]             5,100\n"
      "├─ReLU: 1-4                              [-1, 10, 100]             --\n"
      "├─Linear: 1-5                            [-1, 10, 3]               303\n" RULE "\n"
      "Total params: 5,653\n"
      "Trainable params: 5,653\n"
      "Non-trainable params: 0\n"
      "Total mult-adds (M): 0.01\n" RULE "\n"
      "Input size (MB): 0.00\n"
      "Forward/backward pass size (MB): 0.01\n"
      "Params size (MB): 0.02\n"
      "Estimated Total Size (MB): 0.03\n" RULE "\n");
  tg_module_free(&net->base);
}
END_TEST

/* Children print under their container; a frozen layer counts as
 * non-trainable and shows in parentheses; conv mult-adds scale with the
 * output's spatial size (6*1*3*3 weights x 6*6 positions = 1,944). */
START_TEST(test_nested_conv_and_frozen_summary) {
  tg_module *frozen = tg_nn_linear(24, 2, true);
  tg_module_requires_grad_(frozen, false);
  tg_module *model = tg_nn_sequential(
      tg_nn_sequential(tg_nn_conv2d(1, 6, 3, 1, 0, true), tg_nn_relu(), NULL),
      tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {3, 3}}), tg_nn_flatten(1, -1),
      frozen, NULL);
  assert_summary(
      model, TG_SHAPE(1, 8, 8),
      RULE
      "\n"
      "Layer (type:depth-idx)                   Output Shape              Param #\n" RULE
      "\n"
      "├─Sequential: 1-1                        [-1, 6, 6, 6]             --\n"
      "│    └─Conv2d: 2-1                       [-1, 6, 6, 6]             60\n"
      "│    └─ReLU: 2-2                         [-1, 6, 6, 6]             --\n"
      "├─MaxPool2d: 1-2                         [-1, 6, 2, 2]             --\n"
      "├─Flatten: 1-3                           [-1, 24]                  --\n"
      "├─Linear: 1-4                            [-1, 2]                   (50)\n" RULE
      "\n"
      "Total params: 110\n"
      "Trainable params: 60\n"
      "Non-trainable params: 50\n"
      "Total mult-adds (M): 0.00\n" RULE "\n"
      "Input size (MB): 0.00\n"
      "Forward/backward pass size (MB): 0.00\n"
      "Params size (MB): 0.00\n"
      "Estimated Total Size (MB): 0.00\n" RULE "\n");
  tg_module_free(model);
}
END_TEST

START_TEST(test_summary_errors_and_printing) {
  SimpleClassificationNet *net = simple_net_new();
  TG_EXPECT_ERROR(tg_summary_string(&net->base, TG_SHAPE(0, 2)),
                  "tg_summary: input sizes must be positive, got 0 in dim 0");
  TG_EXPECT_ERROR(tg_summary_string(&net->base, TG_SHAPE(1, 3)),
                  "tg_linear: input of shape (2x1x3) and weight of shape (1000x2) cannot "
                  "be multiplied");
  /* a failed summary leaves no hook behind: later forwards run normally */
  tg_scope_begin();
  tg_tensor *y = tg_module_forward(&net->base, tg_ones(TG_SHAPE(1, 2), TG_FLOAT32));
  ck_assert_int_eq(y->shape[1], 1);
  tg_scope_end();
  char *text = tg_summary_string(&net->base, TG_SHAPE(1, 2));
  ck_assert_ptr_nonnull(strstr(text, "Total params: 4,001"));
  free(text);
  tg_module_free(&net->base);
}
END_TEST

int main(void) {
  Suite *s = suite_create("summary");
  TCase *tc = tcase_create("summary");
  tcase_add_test(tc, test_lecture_summary_matches_line_by_line);
  tcase_add_test(tc, test_iris_summary_counts_each_call);
  tcase_add_test(tc, test_nested_conv_and_frozen_summary);
  tcase_add_test(tc, test_summary_errors_and_printing);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
