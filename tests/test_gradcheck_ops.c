/* Walks the op table (tests/op_table.c) and gradchecks every differentiable
 * op in float64, on each of its shape cases, with contiguous and
 * non-contiguous inputs; gradgradchecks the ops whose second derivative is
 * not trivially zero; checks both backwards of an op that has a fused one;
 * and fails when the library defines an op object the table lacks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_table.h"
#include "tensor/core.h"
#include "test_util.h"

/* A float64 leaf of `shape`; non-contiguous when asked and possible: it is
 * the transpose of a buffer laid out with the last two dims swapped. */
static tg_tensor *make_input(tg_shape shape, const op_case *c, bool non_contiguous) {
  if (!non_contiguous || shape.ndim < 2) {
    tg_tensor *t = tg_empty(shape, TG_FLOAT64);
    op_case_fill(t, c);
    return tg_requires_grad_(t, true);
  }
  tg_shape swapped = shape;
  swapped.d[shape.ndim - 1] = shape.d[shape.ndim - 2];
  swapped.d[shape.ndim - 2] = shape.d[shape.ndim - 1];
  tg_tensor *base = tg_empty(swapped, TG_FLOAT64);
  op_case_fill(base, c);
  tg_tensor *t = tg_transpose(base, -1, -2);
  return tg_requires_grad_(t, true);
}

static tg_tensor *apply_case(tg_tensor *const *inputs, void *ctx) {
  const op_case *c = ctx;
  return c->apply(inputs);
}

/* gradcheck with the given backward path; fails the test with the report */
static void expect_gradcheck(const op_case *c, tg_tensor **inputs, int k,
                             bool non_contiguous, bool create_graph) {
  tg_gradcheck_opts opts = {.eps = c->eps, .create_graph = create_graph};
  char report[512] = "";
  bool ok = tg_gradcheck(apply_case, (void *)c, c->n_inputs, inputs, &opts, report,
                         sizeof report);
  ck_assert_msg(ok, "op %s case %d%s%s: %s", c->symbol, k,
                non_contiguous ? " (strided)" : "",
                create_graph ? " (composite backward)" : "", report);
}

static void check_case(const op_case *c, bool non_contiguous) {
  for (int k = 0; k < c->n_shapes; k++) {
    tg_scope_begin();
    tg_tensor *inputs[OP_CASE_MAX_INPUTS];
    for (int i = 0; i < c->n_inputs; i++)
      inputs[i] = make_input(c->shapes[k][i], c, non_contiguous);
    /* An op with a fused backward runs it here, and its composite one under
     * create_graph: both must give the Jacobian. */
    expect_gradcheck(c, inputs, k, non_contiguous, false);
    if (c->op->backward_fused) expect_gradcheck(c, inputs, k, non_contiguous, true);
    if (c->second_order || c->op->backward_fused) {
      tg_gradcheck_opts opts = {.eps = c->eps};
      char report[512] = "";
      bool ok = tg_gradgradcheck(apply_case, (void *)c, c->n_inputs, inputs, &opts,
                                 report, sizeof report);
      ck_assert_msg(ok, "op %s case %d: second order: %s", c->symbol, k, report);
    }
    tg_scope_end();
  }
}

START_TEST(test_every_op_contiguous) {
  tg_manual_seed(1);
  for (int i = 0; i < op_table_size; i++) check_case(&op_table[i], false);
}
END_TEST

START_TEST(test_every_op_strided) {
  tg_manual_seed(2);
  for (int i = 0; i < op_table_size; i++) check_case(&op_table[i], true);
}
END_TEST

/* Whether the tape of y records op (a walk over the nodes: names are
 * PyTorch's, which several ops share). */
static bool node_has_op(const tg_node *node, const tg_op *op, int depth) {
  if (!node || depth > 64) return false;
  if (node->op == op) return true;
  for (int i = 0; i < node->n_inputs; i++)
    if (node_has_op(node->input_fns[i], op, depth + 1)) return true;
  return false;
}

static bool tape_has_op(const tg_tensor *y, const tg_op *op) {
  return node_has_op(y->grad_fn, op, 0);
}

/* The table names each op object once, and its call records that op (a
 * copy-pasted entry would check another op twice and this one never). */
START_TEST(test_table_entries_match_their_ops) {
  for (int i = 0; i < op_table_size; i++) {
    const op_case *c = &op_table[i];
    for (int j = 0; j < i; j++)
      ck_assert_msg(op_table[j].op != c->op, "%s is in the table twice", c->symbol);
    tg_scope_begin();
    tg_tensor *inputs[OP_CASE_MAX_INPUTS];
    for (int k = 0; k < c->n_inputs; k++)
      inputs[k] = make_input(c->shapes[0][k], c, false);
    ck_assert_msg(tape_has_op(c->apply(inputs), c->op),
                  "the call of %s does not record it", c->symbol);
    tg_scope_end();
  }
}
END_TEST

/* Every op object the library defines (a global named tg_op_*) has an
 * entry: an op added without one would never be gradchecked. */
START_TEST(test_every_library_op_is_in_the_table) {
  FILE *nm = popen("nm --defined-only -g " TG_BUILD_DIR "/libtensorgrad.a", "r");
  ck_assert_msg(nm != NULL, "cannot run nm");
  char line[512], missing[4096] = "";
  int found = 0;
  while (fgets(line, sizeof line, nm)) {
    char *name = strstr(line, " tg_op_");
    if (!name || !strchr(" RD", name[-1])) continue;
    name++;
    name[strcspn(name, "\n")] = 0;
    found++;
    bool listed = false;
    for (int i = 0; i < op_table_size && !listed; i++)
      listed = strcmp(op_table[i].symbol, name) == 0;
    if (!listed && strlen(missing) + strlen(name) + 2 < sizeof missing) {
      strcat(missing, " ");
      strcat(missing, name);
    }
  }
  ck_assert_int_eq(pclose(nm), 0);
  ck_assert_msg(found >= op_table_size, "nm listed %d op objects, the table has %d",
                found, op_table_size);
  ck_assert_msg(missing[0] == 0, "op objects without an entry in tests/op_table.c:%s",
                missing);
}
END_TEST

/* gradcheck must be able to fail: a deliberately wrong backward. */
static void wrong_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  grads[0] = tg_mul_scalar(g, 3.0); /* the true derivative of 2x is 2 */
}

static const tg_op wrong_op = {.name = "wrong_double", .backward = wrong_backward};

static tg_tensor *wrong_forward(tg_tensor *const *inputs, tg_tensor **to_save,
                                void *ctx) {
  return tg_mul_scalar(inputs[0], 2.0);
}

static tg_tensor *apply_wrong(tg_tensor *const *inputs, void *ctx) {
  return tg_function_apply(&wrong_op, wrong_forward, 1, inputs, NULL);
}

START_TEST(test_gradcheck_detects_wrong_backward) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(2, 3), TG_FLOAT64), true);
  char report[512] = "";
  ck_assert(!tg_gradcheck(apply_wrong, NULL, 1, &x, NULL, report, sizeof report));
  ck_assert_msg(strstr(report, "input 0") && strstr(report, "numerically"), "%s", report);
  tg_scope_end();
}
END_TEST

START_TEST(test_gradcheck_needs_float64) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_randn(TG_SHAPE(2), TG_FLOAT32), true);
  TG_EXPECT_ERROR(tg_gradcheck(apply_wrong, NULL, 1, &x, NULL, NULL, 0),
                  "tg_gradcheck: input 0 is float32");
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("gradcheck_ops");
  TCase *tc = tcase_create("op table");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_every_op_contiguous);
  tcase_add_test(tc, test_every_op_strided);
  tcase_add_test(tc, test_table_entries_match_their_ops);
  tcase_add_test(tc, test_every_library_op_is_in_the_table);
  tcase_add_test(tc, test_gradcheck_detects_wrong_backward);
  tcase_add_test(tc, test_gradcheck_needs_float64);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
