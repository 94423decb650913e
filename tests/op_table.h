/* The op table: every differentiable op of the library with how the test
 * suite gradchecks it. It lives with the tests; test_gradcheck_ops.c walks
 * it, and checks that no op object the library defines is missing. */
#ifndef TG_TESTS_OP_TABLE_H
#define TG_TESTS_OP_TABLE_H

#include "tensorgrad.h"

enum { OP_CASE_MAX_INPUTS = 5, OP_CASE_MAX_SHAPES = 3 };

typedef struct op_case {
  const tg_op *op;
  const char *symbol; /* the op object's name in the library: "tg_op_add" */
  /* Calls the op (with fixed extra arguments) on float64 inputs. */
  tg_tensor *(*apply)(tg_tensor *const *inputs);
  int n_inputs;
  int n_shapes; /* shape cases, each a shape per input */
  tg_shape shapes[OP_CASE_MAX_SHAPES][OP_CASE_MAX_INPUTS];
  /* inputs are uniform in [low, high] with |x| >= min_abs (away from kinks
   * such as abs at 0) */
  double low, high, min_abs;
  bool second_order; /* gradgradcheck too */
  double eps;        /* finite-difference step; 0 means gradcheck's default */
} op_case;

extern const op_case op_table[];
extern const int op_table_size;

/* Fills a float64 tensor with the case's inputs: uniform in [low, high],
 * redrawn while |x| < min_abs (kinks at 0), from the global generator. */
void op_case_fill(tg_tensor *t, const op_case *c);

#endif
