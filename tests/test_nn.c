/* The module system: the lecture's nets as user structs, PyTorch's initial
 * weights and names, print(model), state_dict round trips and load errors,
 * train/eval, zero_grad, dtype conversion and misuse. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/nn.h"
#include "test_nn_nets.h"
#include "test_util.h"

static tg_golden *golden;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/nn.txt");
}
static void teardown(void) {
  tg_golden_free(golden);
}

/* Every named parameter equals golden "<prefix>.<name>" bit for bit. */
static void assert_params_equal_golden(const tg_module *m, const char *prefix) {
  tg_tensor_dict *params = tg_module_named_parameters(m);
  tg_scope_begin();
  for (int i = 0; i < params->n; i++) {
    char key[200];
    snprintf(key, sizeof key, "%s.%s", prefix, params->items[i].name);
    tg_tensor *expected = tg_golden_tensor(golden, key, TG_FLOAT32);
    tg_assert_close(params->items[i].tensor, expected, 0, 0, key);
  }
  tg_scope_end();
  tg_tensor_dict_free(params);
}

START_TEST(test_linear_init_matches_torch_bit_for_bit) {
  tg_manual_seed(0);
  tg_module *lin = tg_nn_linear(2, 1000, true);
  tg_scope_begin();
  tg_assert_close(tg_module_parameter(lin, "weight"),
                  tg_golden_tensor(golden, "init.linear_2_1000.weight", TG_FLOAT32), 0, 0,
                  "weight");
  tg_assert_close(tg_module_parameter(lin, "bias"),
                  tg_golden_tensor(golden, "init.linear_2_1000.bias", TG_FLOAT32), 0, 0,
                  "bias");
  tg_scope_end();
  tg_module_free(lin);
}
END_TEST

START_TEST(test_simple_net_names_init_and_forward) {
  tg_manual_seed(42);
  SimpleClassificationNet *net = simple_net_new();
  tg_tensor_dict *params = tg_module_named_parameters(&net->base);
  const char *names[] = {"linearLayer1.weight", "linearLayer1.bias",
                         "linearLayer2.weight", "linearLayer2.bias"};
  ck_assert_int_eq(params->n, 4);
  for (int i = 0; i < 4; i++) {
    ck_assert_str_eq(params->items[i].name, names[i]);
    ck_assert(params->items[i].tensor->requires_grad);
  }
  ck_assert_ptr_eq(params->items[0].tensor,
                   tg_module_parameter(net->linearLayer1, "weight"));
  tg_tensor_dict_free(params);
  assert_params_equal_golden(&net->base, "init.simple");
  ck_assert_int_eq(tg_module_num_parameters(&net->base, false), 4001);

  tg_scope_begin();
  tg_tensor *x = tg_golden_tensor(golden, "net.simple.x", TG_FLOAT32);
  tg_tensor *y = tg_module_forward(&net->base, x);
  tg_assert_close(y, tg_golden_tensor(golden, "net.simple.y", TG_FLOAT32), 1e-5, 1e-7,
                  "forward");
  tg_scope_end();
  tg_module_free(&net->base);
}
END_TEST

/* model.parameters(): named_parameters' tensors in its order, borrowed from
 * the module, and what the optimizers take. */
START_TEST(test_module_parameters_in_pytorch_order) {
  tg_manual_seed(7);
  SimpleMultiClassificationNet *net = multi_net_new();
  tg_tensor_dict *named = tg_module_named_parameters(&net->base);
  tg_params params = tg_module_parameters(&net->base);
  ck_assert_int_eq(params.n, named->n);
  ck_assert_int_eq(params.n, 6);
  for (int i = 0; i < params.n; i++)
    ck_assert_ptr_eq(params.items[i], named->items[i].tensor);
  tg_tensor_dict_free(named);

  tg_optimizer *opt =
      tg_sgd(tg_module_parameters(&net->base), (tg_sgd_options){.lr = 0.1});
  ck_assert_int_eq(tg_optimizer_num_params(opt), 6);
  tg_optimizer_free(opt);

  tg_module *no_params = tg_nn_relu();
  ck_assert_int_eq(tg_module_parameters(no_params).n, 0);
  TG_EXPECT_ERROR(tg_sgd(tg_module_parameters(no_params), (tg_sgd_options){.lr = 0.1}),
                  "tg_sgd: optimizer got an empty parameter list");
  TG_EXPECT_ERROR(tg_module_parameters(NULL), "tg_module_parameters: module is NULL");
  tg_module_free(no_params);
  tg_module_free(&net->base);
}
END_TEST

START_TEST(test_multi_net_training_step_matches_torch) {
  tg_manual_seed(7);
  SimpleMultiClassificationNet *net = multi_net_new();
  assert_params_equal_golden(&net->base, "init.multi");
  tg_scope_begin();
  int64_t labels[3] = {0, 2, 1};
  tg_tensor *x = tg_golden_tensor(golden, "net.multi.x", TG_FLOAT32);
  tg_tensor *logits = tg_module_forward(&net->base, x);
  tg_tensor *loss =
      tg_cross_entropy_loss(logits, tg_from_data(labels, TG_SHAPE(3), TG_INT64), NULL);
  tg_backward(loss, NULL, 0);
  tg_assert_close(loss, tg_golden_tensor(golden, "net.multi.loss", TG_FLOAT32), 1e-5,
                  1e-7, "loss");
  tg_tensor_dict *params = tg_module_named_parameters(&net->base);
  for (int i = 0; i < params->n; i++) {
    char key[200];
    snprintf(key, sizeof key, "net.multi.grad.%s", params->items[i].name);
    tg_assert_close(tg_grad(params->items[i].tensor),
                    tg_golden_tensor(golden, key, TG_FLOAT32), 1e-5, 1e-7, key);
  }
  tg_tensor_dict_free(params);
  tg_scope_end();

  /* zero_grad: zeros by default, released with set_to_none */
  tg_module_zero_grad(&net->base, false);
  tg_tensor *g = tg_grad(tg_module_parameter(&net->base, "linearLayer3.weight"));
  ck_assert_ptr_nonnull(g);
  tg_scope_begin();
  ck_assert_double_eq(tg_item(tg_max_all(tg_abs(g))), 0);
  tg_scope_end();
  tg_module_zero_grad(&net->base, true);
  ck_assert_ptr_null(tg_grad(tg_module_parameter(&net->base, "linearLayer3.weight")));
  tg_module_free(&net->base);
}
END_TEST

static void assert_repr(const tg_module *m, const char *expected) {
  char *text = tg_module_repr(m);
  ck_assert_str_eq(text, expected);
  free(text);
}

START_TEST(test_print_model_like_pytorch) {
  SimpleClassificationNet *net = simple_net_new();
  assert_repr(&net->base,
              "SimpleClassificationNet(\n"
              "  (linearLayer1): Linear(in_features=2, out_features=1000, bias=True)\n"
              "  (linearLayer2): Linear(in_features=1000, out_features=1, bias=True)\n"
              "  (sigmoidLayer): Sigmoid()\n"
              ")");
  tg_module_free(&net->base);
  SimpleMultiClassificationNet *multi = multi_net_new();
  assert_repr(&multi->base,
              "SimpleMultiClassificationNet(\n"
              "  (linearLayer1): Linear(in_features=4, out_features=50, bias=True)\n"
              "  (linearLayer2): Linear(in_features=50, out_features=100, bias=True)\n"
              "  (relu): ReLU()\n"
              "  (linearLayer3): Linear(in_features=100, out_features=3, bias=True)\n"
              ")");
  tg_module_free(&multi->base);
}
END_TEST

START_TEST(test_print_every_layer_and_nesting) {
  tg_module *seq = tg_nn_sequential(
      tg_nn_conv2d(1, 6, 5, 1, 0, true), tg_nn_batch_norm2d(6, 1e-5, 0.1, true, true),
      tg_nn_max_pool2d(&(tg_pool_opts){.kernel_size = {2, 2}}),
      tg_nn_conv2d(6, 4, 3, 2, 1, false), tg_nn_flatten(1, -1),
      tg_nn_sequential(tg_nn_linear(4, 3, false), tg_nn_leaky_relu(0.01), NULL),
      tg_nn_dropout(0.5), tg_nn_batch_norm1d(3, 1e-3, 0.3, false, true), tg_nn_tanh(),
      tg_nn_softmax(1), tg_nn_log_softmax(-1), tg_nn_identity(), NULL);
  assert_repr(seq, "Sequential(\n"
                   "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
                   "  (1): BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, "
                   "track_running_stats=True)\n"
                   "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                   "ceil_mode=False)\n"
                   "  (3): Conv2d(6, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, "
                   "1), bias=False)\n"
                   "  (4): Flatten(start_dim=1, end_dim=-1)\n"
                   "  (5): Sequential(\n"
                   "    (0): Linear(in_features=4, out_features=3, bias=False)\n"
                   "    (1): LeakyReLU(negative_slope=0.01)\n"
                   "  )\n"
                   "  (6): Dropout(p=0.5, inplace=False)\n"
                   "  (7): BatchNorm1d(3, eps=0.001, momentum=0.3, affine=False, "
                   "track_running_stats=True)\n"
                   "  (8): Tanh()\n"
                   "  (9): Softmax(dim=1)\n"
                   "  (10): LogSoftmax(dim=-1)\n"
                   "  (11): Identity()\n"
                   ")");
  /* names and lookups through the nesting; absent biases are skipped */
  tg_tensor_dict *sd = tg_state_dict(seq);
  const char *keys[] = {"0.weight",
                        "0.bias",
                        "1.weight",
                        "1.bias",
                        "1.running_mean",
                        "1.running_var",
                        "1.num_batches_tracked",
                        "3.weight",
                        "5.0.weight",
                        "7.running_mean",
                        "7.running_var",
                        "7.num_batches_tracked"};
  ck_assert_int_eq(sd->n, 12);
  for (int i = 0; i < 12; i++) ck_assert_str_eq(sd->items[i].name, keys[i]);
  ck_assert_int_eq(sd->items[6].tensor->dtype, TG_INT64);
  tg_tensor_dict_free(sd);
  ck_assert_ptr_nonnull(tg_module_parameter(seq, "5.0.weight"));
  ck_assert_ptr_null(tg_module_parameter(seq, "5.0.bias"));
  ck_assert_ptr_null(tg_module_parameter(seq, "5.9.weight"));
  ck_assert_ptr_nonnull(tg_module_buffer(seq, "1.running_var"));
  ck_assert_ptr_eq(tg_module_child(seq, "5.1"),
                   tg_module_child(tg_module_child(seq, "5"), "1"));
  tg_module_free(seq);
}
END_TEST

START_TEST(test_float_repr_like_python) {
  char buf[64];
  const struct {
    double v;
    const char *text;
  } cases[] = {
      {0.5, "0.5"},      {1e-5, "1e-05"},     {1.0, "1.0"},    {100.0, "100.0"},
      {0.1, "0.1"},      {1.5e-7, "1.5e-07"}, {1e16, "1e+16"}, {123456.789, "123456.789"},
      {0.0001, "0.0001"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tg_module *m = tg_nn_leaky_relu(cases[i].v);
    char *text = tg_module_repr(m);
    snprintf(buf, sizeof buf, "LeakyReLU(negative_slope=%s)", cases[i].text);
    ck_assert_str_eq(text, buf);
    free(text);
    tg_module_free(m);
  }
}
END_TEST

/* PyTorch's reprs of the activations with settings, at its defaults. */
START_TEST(test_activation_reprs_and_errors) {
  tg_module *ms[4] = {tg_nn_silu(), tg_nn_softplus(1, 20), tg_nn_elu(1.0),
                      tg_nn_hardtanh(-1.0, 1.0)};
  const char *want[4] = {"SiLU()", "Softplus(beta=1, threshold=20)", "ELU(alpha=1.0)",
                         "Hardtanh(min_val=-1.0, max_val=1.0)"};
  for (int i = 0; i < 4; i++) {
    char *text = tg_module_repr(ms[i]);
    ck_assert_str_eq(text, want[i]);
    free(text);
    tg_module_free(ms[i]);
  }
  TG_EXPECT_ERROR(tg_nn_softplus(0, 20), "tg_nn_softplus: beta must not be zero");
  TG_EXPECT_ERROR(tg_nn_hardtanh(1, -1),
                  "tg_nn_hardtanh: min_val (1) must not be greater than max_val (-1)");
  tg_scope_begin();
  tg_tensor *x = tg_zeros(TG_SHAPE(2), TG_FLOAT32);
  TG_EXPECT_ERROR(tg_softplus(x, 0, 20), "tg_softplus: beta must not be zero");
  TG_EXPECT_ERROR(tg_hardtanh(x, 2, 1),
                  "tg_hardtanh: min_val (2) must not be greater than max_val (1)");
  TG_EXPECT_ERROR(tg_hardtanh(tg_zeros(TG_SHAPE(2), TG_INT64), -1, 1),
                  "tg_hardtanh: expected a floating tensor, got int64");
  /* the steps keep integers as they are */
  tg_tensor *i = tg_floor(tg_arange(-2, 3, 1, TG_INT64));
  ck_assert_int_eq(i->dtype, TG_INT64);
  ck_assert_double_eq(tg_get_flat(i, 0), -2);
  ck_assert_double_eq(tg_item(tg_round(tg_scalar(2.5, TG_FLOAT64))), 2);
  ck_assert_double_eq(tg_item(tg_round(tg_scalar(-0.5, TG_FLOAT32))), -0.0);
  tg_scope_end();
}
END_TEST

START_TEST(test_state_dict_round_trip) {
  tg_manual_seed(1);
  SimpleClassificationNet *a = simple_net_new();
  SimpleClassificationNet *b = simple_net_new(); /* different draws */
  tg_tensor_dict *sd = tg_state_dict(&a->base);
  ck_assert_int_eq(sd->n, 4);
  ck_assert_str_eq(sd->items[2].name, "linearLayer2.weight");
  ck_assert(!sd->items[0].tensor->requires_grad); /* detached, shares storage */
  ck_assert_int_eq(tg_load_state_dict(&b->base, sd, true), 0);
  tg_scope_begin();
  tg_assert_close(tg_module_parameter(&b->base, "linearLayer1.weight"),
                  tg_module_parameter(&a->base, "linearLayer1.weight"), 0, 0, "copied");
  /* a copy, not an alias: changing a later leaves b alone */
  double before = tg_get_flat(tg_module_parameter(&b->base, "linearLayer2.bias"), 0);
  tg_no_grad_begin(); /* a parameter: a leaf that requires grad */
  tg_fill_(tg_module_parameter(&a->base, "linearLayer2.bias"), 5);
  tg_no_grad_end();
  ck_assert_double_eq(tg_get_flat(sd->items[3].tensor, 0), 5); /* sd views a's storage */
  ck_assert_double_eq(tg_get_flat(tg_module_parameter(&b->base, "linearLayer2.bias"), 0),
                      before);
  ck_assert(tg_module_parameter(&b->base, "linearLayer1.weight")->requires_grad);
  tg_scope_end();
  tg_tensor_dict_free(sd);
  tg_module_free(&a->base);
  tg_module_free(&b->base);
}
END_TEST

START_TEST(test_state_dict_buffers_round_trip) {
  tg_module *a = tg_nn_batch_norm1d(3, 1e-5, 0.1, true, true),
            *b = tg_nn_batch_norm1d(3, 1e-5, 0.1, true, true);
  tg_scope_begin();
  tg_module_forward(a, tg_randn(TG_SHAPE(4, 3), TG_FLOAT32));
  tg_module_forward(a, tg_randn(TG_SHAPE(4, 3), TG_FLOAT32));
  tg_tensor_dict *sd = tg_state_dict(a);
  ck_assert_int_eq(tg_load_state_dict(b, sd, true), 0);
  ck_assert_double_eq(tg_item(tg_module_buffer(b, "num_batches_tracked")), 2);
  tg_assert_close(tg_module_buffer(b, "running_var"), tg_module_buffer(a, "running_var"),
                  0, 0, "running_var");
  tg_tensor_dict_free(sd);
  tg_scope_end();
  tg_module_free(a);
  tg_module_free(b);
}
END_TEST

START_TEST(test_load_state_dict_errors) {
  SimpleClassificationNet *net = simple_net_new();
  tg_scope_begin();
  tg_tensor *w_before = tg_clone(tg_module_parameter(&net->base, "linearLayer1.weight"));
  tg_tensor_dict *sd = tg_state_dict(&net->base);

  /* wrong shape: nothing is copied, even the entries that fit */
  tg_tensor_dict *bad = tg_tensor_dict_new();
  tg_tensor_dict_add(bad, "linearLayer1.weight", tg_zeros(TG_SHAPE(10, 2), TG_FLOAT32));
  for (int i = 1; i < sd->n; i++)
    tg_tensor_dict_add(bad, sd->items[i].name, sd->items[i].tensor);
  ck_assert_int_eq(tg_load_state_dict(&net->base, bad, true), -1);
  ck_assert_str_eq(
      tg_last_error(),
      "tg_load_state_dict: size mismatch for linearLayer1.weight: copying a param with "
      "shape (10x2) from checkpoint, the shape in current model is (1000x2)");
  ck_assert_int_eq(tg_load_state_dict(&net->base, bad, false), -1); /* never allowed */
  tg_tensor_dict_free(bad);

  /* missing and unexpected keys */
  tg_tensor_dict *partial = tg_tensor_dict_new();
  tg_tensor_dict_add(partial, "linearLayer1.weight",
                     tg_zeros(TG_SHAPE(1000, 2), TG_FLOAT32));
  tg_tensor_dict_add(partial, "linearLayer1.bias", sd->items[1].tensor);
  tg_tensor_dict_add(partial, "fc.weight", tg_zeros(TG_SHAPE(3), TG_FLOAT32));
  ck_assert_int_eq(tg_load_state_dict(&net->base, partial, true), -1);
  ck_assert_str_eq(
      tg_last_error(),
      "tg_load_state_dict: missing key(s) in state_dict: \"linearLayer2.weight\", "
      "\"linearLayer2.bias\"; unexpected key(s) in state_dict: \"fc.weight\"");
  tg_assert_close(tg_module_parameter(&net->base, "linearLayer1.weight"), w_before, 0, 0,
                  "untouched after a failed load");
  /* non-strict loads what matches */
  ck_assert_int_eq(tg_load_state_dict(&net->base, partial, false), 0);
  ck_assert_double_eq(
      tg_item(tg_max_all(tg_abs(tg_module_parameter(&net->base, "linearLayer1.weight")))),
      0);
  tg_tensor_dict_free(partial);
  tg_tensor_dict_free(sd);
  tg_scope_end();
  ck_assert_int_eq(tg_load_state_dict(&net->base, NULL, true), -1);
  ck_assert_str_eq(tg_last_error(), "tg_load_state_dict: the state dict is NULL");
  tg_module_free(&net->base);
}
END_TEST

START_TEST(test_train_eval_recursive) {
  tg_module *seq = tg_nn_sequential(tg_nn_linear(2, 2, true),
                                    tg_nn_sequential(tg_nn_dropout(0.5), NULL), NULL);
  ck_assert(seq->training);
  tg_module_eval(seq);
  ck_assert(!seq->training);
  ck_assert(!tg_module_child(seq, "1.0")->training);
  tg_module_train(seq, true);
  ck_assert(tg_module_child(seq, "1.0")->training);
  tg_module_free(seq);
}
END_TEST

START_TEST(test_to_float64_keeps_tensor_identity) {
  tg_manual_seed(42);
  SimpleClassificationNet *net = simple_net_new();
  tg_tensor *w = tg_module_parameter(&net->base, "linearLayer1.weight");
  tg_scope_begin();
  tg_tensor *before = tg_to(tg_detach(w), TG_FLOAT64);
  tg_tensor *x = tg_ones(TG_SHAPE(3, 2), TG_FLOAT32);
  tg_backward(tg_sum(tg_module_forward(&net->base, x), TG_ALL_DIMS, false), NULL, 0);
  ck_assert_ptr_nonnull(tg_grad(w));
  tg_module_to(&net->base, TG_FLOAT64);
  ck_assert_ptr_eq(tg_module_parameter(&net->base, "linearLayer1.weight"), w);
  ck_assert_int_eq(w->dtype, TG_FLOAT64);
  ck_assert_ptr_null(tg_grad(w));
  ck_assert(w->requires_grad);
  tg_assert_close(w, before, 0, 0, "converted values");
  tg_tensor *y = tg_module_forward(&net->base, tg_ones(TG_SHAPE(3, 2), TG_FLOAT64));
  ck_assert_int_eq(y->dtype, TG_FLOAT64);
  tg_scope_end();
  TG_EXPECT_ERROR(tg_module_to(&net->base, TG_INT64),
                  "tg_module_to: expected a floating dtype, got int64");
  tg_module_free(&net->base);
}
END_TEST

START_TEST(test_requires_grad_and_trainable_count) {
  tg_module *lin = tg_nn_linear(3, 2, true);
  tg_module_requires_grad_(lin, false);
  ck_assert_int_eq(tg_module_num_parameters(lin, false), 8);
  ck_assert_int_eq(tg_module_num_parameters(lin, true), 0);
  tg_module_free(lin);
}
END_TEST

static tg_tensor *null_forward(tg_module *m, tg_tensor *x) {
  return NULL;
}
static const tg_module_vtable null_vtable = {"Broken", null_forward};
static const tg_module_vtable no_forward_vtable = {"NoForward", NULL};

START_TEST(test_module_misuse_errors) {
  tg_module *lin = tg_nn_linear(2, 3, true);
  tg_module *relu = tg_nn_relu();
  TG_EXPECT_ERROR(tg_module_add(lin, "weight", relu),
                  "tg_module_add: Linear already has a member named \"weight\"");
  TG_EXPECT_ERROR(tg_module_add(lin, "a.b", relu),
                  "tg_module_add: name \"a.b\" can't contain \".\"");
  TG_EXPECT_ERROR(tg_module_add(lin, "", relu), "tg_module_add: a name can't be empty");
  TG_EXPECT_ERROR(tg_module_add(lin, "x", NULL), "tg_module_add: child \"x\" is NULL");
  tg_scope_begin();
  tg_tensor *leaf = tg_requires_grad_(tg_ones(TG_SHAPE(2), TG_FLOAT32), true);
  TG_EXPECT_ERROR(tg_module_register_parameter(lin, "scale", tg_mul_scalar(leaf, 2)),
                  "tg_module_register_parameter: parameter \"scale\" must be a floating "
                  "leaf tensor, got a float32 non-leaf");
  TG_EXPECT_ERROR(
      tg_module_register_parameter(lin, "idx", tg_zeros(TG_SHAPE(2), TG_INT64)),
      "must be a floating leaf tensor, got a int64 leaf");
  TG_EXPECT_ERROR(
      tg_module_forward(lin, tg_ones(TG_SHAPE(4, 5), TG_FLOAT32)),
      "tg_linear: input of shape (4x5) and weight of shape (3x2) cannot be multiplied");
  tg_scope_end();
  TG_EXPECT_ERROR(tg_module_new(&no_forward_vtable, sizeof(tg_module)),
                  "tg_module_new: the vtable needs a type_name and a forward function");
  TG_EXPECT_ERROR(tg_module_new(&null_vtable, 4),
                  "tg_module_new: size 4 is smaller than the tg_module base");
  tg_module *broken = tg_module_new(&null_vtable, sizeof(tg_module));
  tg_scope_begin();
  TG_EXPECT_ERROR(tg_module_forward(broken, tg_ones(TG_SHAPE(1), TG_FLOAT32)),
                  "tg_module_forward: Broken's forward returned NULL");
  tg_scope_end();
  TG_EXPECT_ERROR(tg_nn_sequential_append(lin, relu),
                  "tg_nn_sequential_append: expected a Sequential, got a Linear");
  tg_module_free(broken);
  tg_module_free(relu);
  tg_module_free(lin);
}
END_TEST

START_TEST(test_tensor_dict) {
  tg_tensor_dict *d = tg_tensor_dict_new();
  tg_scope_begin();
  tg_tensor *t = tg_ones(TG_SHAPE(2), TG_FLOAT32);
  tg_tensor_dict_add(d, "a", t);
  ck_assert_ptr_eq(tg_tensor_dict_get(d, "a"), t);
  ck_assert_ptr_null(tg_tensor_dict_get(d, "b"));
  TG_EXPECT_ERROR(tg_tensor_dict_add(d, "a", t),
                  "tg_tensor_dict_add: duplicate name \"a\"");
  TG_EXPECT_ERROR(tg_tensor_dict_add(d, "c", NULL),
                  "tg_tensor_dict_add: tensor \"c\" is NULL");
  tg_scope_end();
  ck_assert_int_eq(t->refcount, 1); /* the dict's own reference outlives the scope */
  tg_tensor_dict_free(d);
  tg_tensor_dict_free(NULL);
  tg_module_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("nn");
  TCase *tc = tcase_create("modules");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_linear_init_matches_torch_bit_for_bit);
  tcase_add_test(tc, test_simple_net_names_init_and_forward);
  tcase_add_test(tc, test_module_parameters_in_pytorch_order);
  tcase_add_test(tc, test_multi_net_training_step_matches_torch);
  tcase_add_test(tc, test_print_model_like_pytorch);
  tcase_add_test(tc, test_print_every_layer_and_nesting);
  tcase_add_test(tc, test_float_repr_like_python);
  tcase_add_test(tc, test_activation_reprs_and_errors);
  tcase_add_test(tc, test_state_dict_round_trip);
  tcase_add_test(tc, test_state_dict_buffers_round_trip);
  tcase_add_test(tc, test_load_state_dict_errors);
  tcase_add_test(tc, test_train_eval_recursive);
  tcase_add_test(tc, test_to_float64_keeps_tensor_identity);
  tcase_add_test(tc, test_requires_grad_and_trainable_count);
  tcase_add_test(tc, test_module_misuse_errors);
  tcase_add_test(tc, test_tensor_dict);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
