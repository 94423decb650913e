/* Data-parallel scaling of the GEMM-bound step of gemm_mlp.c: each of the
 * N ranks of `mpirun -np N` trains the 784 -> 1024 -> 1024 -> 10 MLP on its
 * own batch of 256 (weak scaling: the global batch is 256 N) with DDP and
 * Adam. Rank 0 prints, as medians over --reps calls of STEPS_PER_CALL steps:
 *   DDP tensorgrad <N> <step seconds> <compute seconds> <gradient bytes> <buckets>
 * where compute is the same step under no_sync (no communication). The twin
 * is pytorch/ddp_gemm.py (DDP on gloo); bench/ddp.sh runs both at 1, 2, 4. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "tensorgrad/dist.h"
#include "train.h"

enum { BATCH = 256, STEPS_PER_CALL = 5 };

static void steps(void *arg) {
  batch_steps(arg, STEPS_PER_CALL);
  tg_dist_barrier(); /* every rank's steps are in the time */
}

static void local_steps(void *arg) {
  batch_step *s = arg;
  tg_ddp_no_sync_begin(s->model);
  steps(s);
  tg_ddp_no_sync_end(s->model);
}

int main(int argc, char **argv) {
  if (tg_dist_init(&argc, &argv) != 0) bench_check(-1, "tg_dist_init");
  bench_args a = bench_parse(argc, argv);
  tg_manual_seed((uint64_t)tg_dist_rank()); /* each rank its own data */
  batch_step s;
  s.model =
      tg_ddp(task_mlp((const int64_t[]){784, 1024, 1024, 10}, 4, true, false), NULL);
  s.opt = tg_adam(tg_module_parameters(s.model), TG_ADAM_DEFAULTS);
  s.x = tg_randn(TG_SHAPE(BATCH, 784), TG_FLOAT32);
  s.y = tg_randint(0, 10, TG_SHAPE(BATCH));
  double t_step = bench_time(steps, &s, a.reps) / STEPS_PER_CALL;
  double t_compute = bench_time(local_steps, &s, a.reps) / STEPS_PER_CALL;
  if (tg_dist_rank() == 0)
    printf("DDP tensorgrad %d %.9g %.9g %lld %d\n", tg_dist_world_size(), t_step,
           t_compute, (long long)tg_module_num_parameters(s.model, true) * 4,
           tg_ddp_num_buckets(s.model));
  tg_release(s.x);
  tg_release(s.y);
  tg_optimizer_free(s.opt);
  tg_module_free(s.model);
  tg_dist_finalize();
  return 0;
}
