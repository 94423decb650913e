/* A DDP job in which rank 1 misbehaves at step 2, for tests/dist/faults.sh:
 *   dist_fault die     rank 1 is killed (SIGKILL) before its backward
 *   dist_fault error   rank 1 makes a tensorgrad error (a shape mismatch)
 *   dist_fault hang    rank 1 stops answering (sleeps) before its backward
 *   dist_fault ok      nobody misbehaves (the job must then succeed)
 * Every other rank must stop within seconds, never hang. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tensorgrad.h"
#include "tensorgrad/dist.h"

enum { STEPS = 5, FAULT_STEP = 2, FAULTY_RANK = 1 };

static void misbehave(const char *mode) {
  if (strcmp(mode, "die") == 0) raise(SIGKILL);
  if (strcmp(mode, "error") == 0)
    tg_matmul(tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32), tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32));
  if (strcmp(mode, "hang") == 0) sleep(600);
}

int main(int argc, char **argv) {
  if (tg_dist_init(&argc, &argv) != 0) return 1;
  const char *mode = argc > 1 ? argv[1] : "ok";
  tg_manual_seed(0);
  tg_module *net = tg_nn_sequential(NULL);
  tg_nn_sequential_append(net, tg_nn_linear(3, 4, true));
  tg_module *model = tg_ddp(net, NULL);
  tg_sgd_options o = TG_SGD_DEFAULTS;
  o.lr = 0.1;
  tg_optimizer *opt = tg_sgd(tg_module_parameters(model), o);
  for (int step = 0; step < STEPS; step++) {
    tg_scope_begin();
    tg_tensor *loss =
        tg_sum(tg_module_forward(model, tg_ones(TG_SHAPE(2, 3), TG_FLOAT32)), TG_ALL_DIMS,
               false);
    if (step == FAULT_STEP && tg_dist_rank() == FAULTY_RANK) misbehave(mode);
    tg_optimizer_zero_grad(opt, true);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(opt);
    tg_scope_end();
  }
  if (tg_dist_rank() == 0)
    printf("dist_fault: %d steps on %d ranks\n", STEPS, tg_dist_world_size());
  tg_optimizer_free(opt);
  tg_module_free(model);
  tg_dist_finalize();
  return 0;
}
