/* tensorgrad_dist in a program that never called tg_dist_init (run without
 * mpirun): rank 0 of a world of 1, and every collective says what is missing. */
#include <check.h>
#include <string.h>

#include "tensorgrad/dist.h"
#include "test_util.h"

START_TEST(test_before_init) {
  ck_assert(!tg_dist_is_initialized());
  ck_assert_int_eq(tg_dist_rank(), 0);
  ck_assert_int_eq(tg_dist_world_size(), 1);
  tg_dist_finalize(); /* nothing to finish: fine */
  tg_scope_begin();
  tg_tensor *t = tg_zeros(TG_SHAPE(2), TG_FLOAT32);
  TG_EXPECT_ERROR((tg_dist_barrier(), 0), "tg_dist_barrier: call tg_dist_init first");
  TG_EXPECT_ERROR((tg_dist_all_reduce(t, TG_DIST_SUM), 0),
                  "tg_dist_all_reduce: call tg_dist_init first");
  TG_EXPECT_ERROR((tg_dist_broadcast(t, 0), 0),
                  "tg_dist_broadcast: call tg_dist_init first");
  tg_module *m = tg_nn_linear(2, 2, true);
  TG_EXPECT_ERROR(tg_ddp(m, NULL), "tg_ddp: call tg_dist_init first");
  tg_module_free(m);
  tg_scope_end();
  /* the sampler needs no MPI: -1 means this process's world of one */
  tg_distributed_sampler s = tg_distributed_sampler_make(5, -1, -1, false, 0, false);
  ck_assert_int_eq(tg_distributed_sampler_len(&s), 5);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dist_uninit");
  TCase *tc = tcase_create("uninit");
  tcase_add_test(tc, test_before_init);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
