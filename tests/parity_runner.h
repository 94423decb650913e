/* The PyTorch parity cases' runner, shared by tests/test_audit_parity.c and
 * tests/test_audit2_nn.c: a case is a call on inputs rebuilt from a golden
 * file (tests/golden/audit_parity.py's emit_cases writes them). */
#ifndef TG_PARITY_RUNNER_H
#define TG_PARITY_RUNNER_H

#include "test_util.h"

typedef tg_tensor *(*tg_parity_fn)(tg_tensor *const *x);
typedef struct tg_parity_case {
  const char *name;
  tg_parity_fn fn;
} tg_parity_case;

/* Rebuilds the case's inputs in their dtypes (floating ones requiring
 * grad), runs the call, and compares the output's values, shape and dtype
 * and the gradient of sum(y * w) for each floating input with PyTorch's:
 * float64 to 1e-10, float32 to 1e-5; NaN must be NaN. */
void tg_parity_run_case(const tg_golden *golden, const tg_parity_case *c);

/* A suite `name` running every case of cases[0..n) against the golden file
 * at path, and checking that each case has its entries there. */
Suite *tg_parity_suite(const char *name, const char *path, const tg_parity_case *cases,
                       int n);

#endif
