/* Workload 5: the cost of one tiny op, c = a + b on 16x16 float32, with a
 * requiring grad (so the op is recorded on the tape) and the same under
 * no_grad. Each c is dropped before the next, as `c = a + b` in a Python
 * loop drops the last one. Twin: pytorch/op_overhead.py. */
#include "bench.h"
#include "tensorgrad.h"

enum { OPS_PER_CALL = 100000 };

typedef struct operands {
  tg_tensor *a, *b;
} operands;

static void ops(void *arg) {
  operands *o = arg;
  for (int i = 0; i < OPS_PER_CALL; i++) {
    tg_scope_begin();
    tg_add(o->a, o->b);
    tg_scope_end();
  }
}

static void ops_no_grad(void *arg) {
  tg_no_grad_begin();
  ops(arg);
  tg_no_grad_end();
}

int main(int argc, char **argv) {
  bench_args a = bench_parse(argc, argv);
  tg_manual_seed(0);
  operands o = {tg_requires_grad_(tg_randn(TG_SHAPE(16, 16), TG_FLOAT32), true),
                tg_randn(TG_SHAPE(16, 16), TG_FLOAT32)};
  bench_report("add_16x16_recorded", a.threads,
               bench_time(ops, &o, a.reps) / OPS_PER_CALL, 0);
  bench_report("add_16x16_no_grad", a.threads,
               bench_time(ops_no_grad, &o, a.reps) / OPS_PER_CALL, 0);
  tg_release(o.a);
  tg_release(o.b);
  return 0;
}
