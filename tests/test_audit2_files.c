/* The second audit's file cases: a checkpoint cut short, and
 * damaged values the safetensors framing cannot see. Each fix's test failed
 * before it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* A trained Linear(3, 2) and its Adam (one step taken, so state exists). */
typedef struct trained {
  tg_module *model;
  tg_optimizer *opt;
} trained;

static trained train_one_step(void) {
  tg_manual_seed(7);
  trained t = {tg_nn_linear(3, 2, true), NULL};
  t.opt = tg_adam(tg_module_parameters(t.model), TG_ADAM_DEFAULTS);
  tg_scope_begin();
  tg_tensor *x = tg_randn(TG_SHAPE(4, 3), TG_FLOAT32);
  tg_backward(tg_sum(tg_module_forward(t.model, x), TG_ALL_DIMS, false), NULL, 0);
  tg_optimizer_step(t.opt);
  tg_scope_end();
  return t;
}

static void trained_free(trained *t) {
  tg_optimizer_free(t->opt);
  tg_module_free(t->model);
}

static void write_bytes(const char *path, const uint8_t *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
  fclose(f);
}

/* A prefix of a checkpoint is refused with the file's name and a byte
 * offset, and leaves the model as it was. */
START_TEST(test_checkpoint_cut_short) {
  trained t = train_one_step();
  char path[512], cut[512];
  ck_assert_int_eq(tg_checkpoint_save(tg_test_dir_path("ck.safetensors", path), t.model,
                                      t.opt, 3, NULL),
                   0);
  size_t n;
  uint8_t *bytes = tg_test_read_file(path, &n);
  tg_test_dir_path("cut.safetensors", cut);
  tg_tensor *weight = tg_module_parameter(t.model, "weight");
  float before = tg_get_flat(weight, 0);
  /* every byte of the framing, then ~100 cuts through the header and data
   * (each cut is a file written and read: the disk is the cost) */
  for (size_t k = 0; k < n; k += k < 24 ? 1 : 1 + n / 100) {
    write_bytes(cut, bytes, k);
    int64_t epoch = -1;
    ck_assert_msg(tg_checkpoint_load(cut, t.model, t.opt, &epoch, NULL) == -1,
                  "a checkpoint cut at byte %zu of %zu loaded", k, n);
    ck_assert_msg(strstr(tg_last_error(), cut) && strstr(tg_last_error(), "(at byte "),
                  "cut at %zu: \"%s\" names no file or offset", k, tg_last_error());
    ck_assert(epoch == -1 && tg_get_flat(weight, 0) == before);
  }
  free(bytes);
  trained_free(&t);
}
END_TEST

/* A flag (nesterov, amsgrad, maximize, centered) read as 0.5 or NaN was
 * taken as true: a damaged file switched the algorithm, or the direction
 * of the steps, silently. Only 0 and 1 load. */
START_TEST(test_optimizer_flags_must_be_0_or_1) {
  trained t = train_one_step();
  const double bad[] = {0.5, -1, NAN, 2};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tg_tensor_dict *sd = tg_optimizer_state_dict(t.opt);
    tg_fill_(tg_tensor_dict_get(sd, "param_groups.0.maximize"), bad[i]);
    ck_assert_int_eq(tg_optimizer_load_state_dict(t.opt, sd), -1);
    ck_assert_msg(strstr(tg_last_error(), "tg_optimizer_load_state_dict: entry "
                                          "\"param_groups.0.maximize\" holds ") &&
                      strstr(tg_last_error(), ", not a flag (0 or 1)"),
                  "%s", tg_last_error());
    tg_tensor_dict_free(sd);
  }
  tg_tensor_dict *sd = tg_optimizer_state_dict(t.opt);
  tg_fill_(tg_tensor_dict_get(sd, "param_groups.0.amsgrad"), 1);
  ck_assert_int_eq(tg_optimizer_load_state_dict(t.opt, sd), 0);
  tg_tensor_dict_free(sd);
  trained_free(&t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("audit2_files");
  TCase *tc = tcase_create("files");
  tcase_add_checked_fixture(tc, tg_test_dir_make, tg_test_dir_remove);
  tcase_add_test(tc, test_checkpoint_cut_short);
  tcase_add_test(tc, test_optimizer_flags_must_be_0_or_1);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
