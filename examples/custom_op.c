/* A new differentiable op from user code: swish(x) = x * sigmoid(x) as one
 * fused op with a hand-written backward, the C version of
 *
 *   class Swish(torch.autograd.Function):
 *       @staticmethod
 *       def forward(ctx, x):
 *           ctx.save_for_backward(x)
 *           return x * torch.sigmoid(x)
 *       @staticmethod
 *       def backward(ctx, grad_output):
 *           x, = ctx.saved_tensors
 *           s = torch.sigmoid(x)
 *           return grad_output * (s + x * s * (1 - s))
 *
 * The program
 *   1. checks the op against the composed x * sigmoid(x),
 *   2. gradchecks it (first and second derivatives), and shows why the
 *      backward recomputes sigmoid(x) from the input: a variant that saves
 *      the forward's sigmoid passes gradcheck but fails gradgradcheck, since
 *      a tensor made while the tape is off is a constant to the second
 *      derivative;
 *   3. trains a tiny Linear(2,8) -> Swish -> Linear(8,1) on make_moons for
 *      --epochs full-batch Adam steps (default 200), seeded with --seed;
 *   4. prints the tape of the loss and writes it to DIR/graph.dot
 *      (render with: dot -Tpng DIR/graph.dot -o graph.png).
 *
 * PyTorch twin: examples/pytorch/custom_op.py.
 */
#include <stdio.h>

#include "example.h"
#include "tensorgrad.h"

/* ---- the op ---------------------------------------------------------------- */

/* d swish / dx = s + x * s * (1 - s), with s = sigmoid(x) */
static tg_tensor *swish_grad(tg_tensor *g, tg_tensor *x, tg_tensor *s) {
  return tg_mul(g, tg_add(s, tg_mul(x, tg_mul(s, tg_rsub_scalar(s, 1)))));
}

/* Built from the input with tensorgrad ops, so under TG_CREATE_GRAPH the
 * backward is recorded too and can be differentiated again. */
static void swish_backward(tg_node *node, tg_tensor *grad_output,
                           tg_tensor **grad_inputs) {
  tg_tensor *x = tg_node_input(node, 0);
  grad_inputs[0] = swish_grad(grad_output, x, tg_sigmoid(x));
}

static const tg_op swish_op = {.name = "swish", .backward = swish_backward};

/* runs with the tape off (tg_function_apply turns it off) */
static tg_tensor *swish_forward(tg_tensor *const *inputs, tg_tensor **to_save,
                                void *ctx) {
  return tg_mul(inputs[0], tg_sigmoid(inputs[0]));
}

/* Swish.apply(x); the tg_fn signature, so tg_gradcheck can call it */
static tg_tensor *swish(tg_tensor *const *inputs, void *ctx) {
  return tg_function_apply(&swish_op, swish_forward, 1, inputs, NULL);
}

/* ---- the variant that saves sigmoid(x) from the forward -------------------- */

static void swish_saved_backward(tg_node *node, tg_tensor *grad_output,
                                 tg_tensor **grad_inputs) {
  grad_inputs[0] = swish_grad(grad_output, tg_node_input(node, 0), tg_saved(node, 0));
}

static const tg_op swish_saved_op = {.name = "swish_saved",
                                     .backward = swish_saved_backward};

static tg_tensor *swish_saved_forward(tg_tensor *const *inputs, tg_tensor **to_save,
                                      void *ctx) {
  to_save[0] = tg_sigmoid(inputs[0]); /* ctx.save_for_backward(x, s) */
  return tg_mul(inputs[0], to_save[0]);
}

static tg_tensor *swish_saved(tg_tensor *const *inputs, void *ctx) {
  return tg_function_apply(&swish_saved_op, swish_saved_forward, 1, inputs, NULL);
}

/* ---- 1 and 2: compare and gradcheck -------------------------------------------- */

typedef struct checks {
  double max_diff; /* fused vs composed, values and gradients */
  bool gradcheck, gradgradcheck, saved_gradcheck, saved_gradgradcheck;
} checks;

static double max_abs_diff(tg_tensor *a, tg_tensor *b) {
  return tg_item(tg_max_all(tg_abs(tg_sub(a, b))));
}

static void compare_with_composed(checks *c) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_linspace(-4, 4, 9, TG_FLOAT64), true);
  tg_tensor *fused = swish(&x, NULL);
  tg_tensor *composed = tg_mul(x, tg_sigmoid(x));
  tg_tensor *g_fused, *g_composed;
  tg_autograd_grad(tg_sum(fused, TG_ALL_DIMS, false), NULL, 1, &x, &g_fused, 0);
  tg_autograd_grad(tg_sum(composed, TG_ALL_DIMS, false), NULL, 1, &x, &g_composed, 0);
  printf("x = torch.linspace(-4, 4, 9); Swish.apply(x):\n");
  tg_print(fused);
  printf("its gradient (hand-written backward):\n");
  tg_print(g_fused);
  c->max_diff = max_abs_diff(fused, composed);
  double grad_diff = max_abs_diff(g_fused, g_composed);
  if (grad_diff > c->max_diff) c->max_diff = grad_diff;
  printf("max |fused - composed x * sigmoid(x)| over values and gradients = %.3g\n\n",
         c->max_diff);
  tg_scope_end();
}

static bool report_check(const char *what, bool ok, const char *report) {
  printf("  %-50s %s%s%s\n", what, ok ? "passed" : "FAILED", ok ? "" : ": ",
         ok ? "" : report);
  return ok;
}

static void run_gradchecks(checks *c) {
  tg_scope_begin();
  /* x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True) */
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(3, 4), TG_FLOAT64), true);
  char report[512] = "";
  printf("gradcheck on a random 3x4 float64 input:\n");
  c->gradcheck =
      report_check("tg_gradcheck(swish)",
                   tg_gradcheck(swish, NULL, 1, &x, NULL, report, sizeof report), report);
  c->gradgradcheck = report_check(
      "tg_gradgradcheck(swish)",
      tg_gradgradcheck(swish, NULL, 1, &x, NULL, report, sizeof report), report);
  c->saved_gradcheck = report_check(
      "tg_gradcheck(swish_saved)",
      tg_gradcheck(swish_saved, NULL, 1, &x, NULL, report, sizeof report), report);
  c->saved_gradgradcheck = report_check(
      "tg_gradgradcheck(swish_saved) (expected to fail)",
      tg_gradgradcheck(swish_saved, NULL, 1, &x, NULL, report, sizeof report), report);
  printf("\n");
  tg_scope_end();
}

/* ---- 3: the op inside a model ------------------------------------------------------ */

/* class SwishLayer(nn.Module): def forward(self, x): return Swish.apply(x) */
static tg_tensor *swish_layer_forward(tg_module *m, tg_tensor *x) {
  return swish(&x, NULL);
}
static const tg_module_vtable swish_layer_vtable = {.type_name = "SwishLayer",
                                                    .forward = swish_layer_forward};

typedef struct training {
  double first_loss, loss, accuracy;
} training;

static double accuracy_of(tg_tensor *logits, tg_tensor *y) {
  tg_scope_begin();
  tg_tensor *hits = tg_eq(tg_to(tg_gt_scalar(logits, 0), TG_FLOAT32), y);
  double acc = tg_item(tg_mean(tg_to(hits, TG_FLOAT64), TG_ALL_DIMS, false));
  tg_scope_end();
  return acc;
}

static void train_model(const example_args *args, training *t) {
  /* X, y = make_moons(n_samples=200, noise=0.2, random_state=seed) */
  tg_tensor *X64, *y64;
  example_check(tg_make_moons_tensors(&X64, &y64, 200, true, 0.2, (uint32_t)args->seed),
                "make_moons");
  tg_scope_begin();
  tg_tensor *X = tg_to(X64, TG_FLOAT32);                              /* .float() */
  tg_tensor *y = tg_reshape(tg_to(y64, TG_FLOAT32), TG_SHAPE(-1, 1)); /* (200, 1) */

  tg_manual_seed(args->seed); /* torch.manual_seed(seed): the same init as PyTorch */
  /* One statement per layer: C leaves the order in which function arguments
   * are evaluated unspecified, and the layers must draw their initial
   * weights in PyTorch's order. */
  tg_module *fc1 = tg_nn_linear(2, 8, true);
  tg_module *act = tg_module_new(&swish_layer_vtable, sizeof(tg_module));
  tg_module *fc2 = tg_nn_linear(8, 1, true);
  tg_module *model = tg_nn_sequential(fc1, act, fc2, NULL);
  tg_module_print(model);
  /* optimizer = optim.Adam(model.parameters(), lr=0.05) */
  tg_adam_options o = TG_ADAM_DEFAULTS;
  o.lr = 0.05;
  tg_optimizer *optimizer = tg_adam(tg_module_parameters(model), o);

  tg_tensor *output = NULL, *loss = NULL; /* the last step's, for the tape below */
  for (int epoch = 0; epoch < args->epochs; epoch++) {
    tg_scope_begin();
    tg_optimizer_zero_grad(optimizer, true);
    output = tg_module_forward(model, X);
    loss = tg_bce_with_logits_loss(output, y, NULL);
    tg_backward(loss, NULL, TG_RETAIN_GRAPH); /* retained: the tape is printed below */
    tg_optimizer_step(optimizer);
    if (epoch == 0) t->first_loss = tg_item(loss);
    if (epoch % 40 == 0 || epoch == args->epochs - 1)
      printf("epoch %3d  loss %.6f\n", epoch, tg_item(loss));
    bool last = epoch == args->epochs - 1;
    output = last ? tg_keep(output) : NULL;
    loss = last ? tg_keep(loss) : NULL;
    tg_scope_end();
  }
  tg_no_grad_begin();
  tg_tensor *logits = tg_module_forward(model, X);
  tg_no_grad_end();
  t->loss = tg_item(tg_bce_with_logits_loss(logits, y, NULL));
  t->accuracy = accuracy_of(logits, y);
  printf("after %d steps: loss %.6f, train accuracy %.3f\n\n", args->epochs, t->loss,
         t->accuracy);

  /* ---- 4: the tape of the last step ---- */
  if (loss) {
    printf(
        "the tape of model(X), its grad_fn chain (the loss adds BCEWithLogits' ops):\n");
    tg_print_graph(output);
    char path[600];
    example_check(tg_graph_dot(loss, example_path(args, "graph.dot", path, sizeof path)),
                  "tg_graph_dot");
    printf("wrote the tape of the loss to %s\n\n", path);
  }
  tg_optimizer_free(optimizer);
  tg_module_free(model);
  tg_scope_end();
  tg_release(X64);
  tg_release(y64);
}

int main(int argc, char **argv) {
  example_args args;
  example_parse(argc, argv, "custom_op", 200, &args);
  checks c;
  compare_with_composed(&c);
  run_gradchecks(&c);
  training t = {0};
  train_model(&args, &t);
  printf(
      "custom_op: gradcheck=%d gradgradcheck=%d saved_gradcheck=%d "
      "saved_gradgradcheck=%d "
      "max_diff=%.3g first_loss=%.6f loss=%.6f train_acc=%.3f epochs=%d seconds=%.2f\n",
      c.gradcheck, c.gradgradcheck, c.saved_gradcheck, c.saved_gradgradcheck, c.max_diff,
      t.first_loss, t.loss, t.accuracy, args.epochs, example_seconds(&args));
  return 0;
}
