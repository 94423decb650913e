/* Checkpoints: tensors and state dicts round-trip through safetensors, a
 * training run resumed in a fresh process continues bit for bit, and bad
 * files give errors that name the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

START_TEST(test_tensors_round_trip) {
  char path[512];
  tg_tensor_dict *d = tg_tensor_dict_new();
  tg_scope_begin();
  tg_tensor_dict_add(d, "weight",
                     tg_t(tg_reshape(tg_arange(0, 6, 1, TG_FLOAT32), TG_SHAPE(2, 3))));
  tg_tensor_dict_add(d, "double", tg_full(TG_SHAPE(2, 1, 2), 0.1, TG_FLOAT64));
  tg_tensor_dict_add(d, "steps", tg_scalar(12, TG_INT64));
  tg_tensor_dict_add(d, "mask", tg_gt_scalar(tg_arange(0, 4, 1, TG_FLOAT32), 1.5));
  tg_tensor_dict_add(d, "empty", tg_zeros(TG_SHAPE(0, 3), TG_FLOAT32));
  tg_scope_end();
  ck_assert_int_eq(tg_save_tensors(tg_test_dir_path("t.safetensors", path), d), 0);
  tg_tensor_dict *back = NULL;
  ck_assert_int_eq(tg_load_tensors(path, &back), 0);
  ck_assert_int_eq(back->n, d->n);
  for (int i = 0; i < d->n; i++) {
    tg_tensor *want = d->items[i].tensor,
              *got = tg_tensor_dict_get(back, d->items[i].name);
    ck_assert_msg(got != NULL, "%s missing", d->items[i].name);
    ck_assert_int_eq(got->dtype, want->dtype);
    tg_assert_shape(got, tg_shape_of(want));
    tg_assert_close(got, want, 0, 0, d->items[i].name);
  }
  tg_tensor_dict_free(back);
  tg_tensor_dict_free(d);
}
END_TEST

static tg_module *small_net(void) {
  return tg_nn_sequential(tg_nn_linear(3, 5, true), tg_nn_tanh(),
                          tg_nn_linear(5, 2, true), NULL);
}

START_TEST(test_state_dict_file) {
  char path[512];
  tg_manual_seed(1);
  tg_module *a = small_net();
  tg_manual_seed(2);
  tg_module *b = small_net();
  ck_assert_int_eq(tg_save_state_dict(tg_test_dir_path("sd.safetensors", path), a), 0);
  ck_assert_int_eq(tg_load_state_dict_file(path, b, true), 0);
  tg_scope_begin();
  tg_assert_close(tg_module_parameter(b, "2.weight"), tg_module_parameter(a, "2.weight"),
                  0, 0, "2.weight");
  tg_scope_end();
  /* a model of another shape is refused, naming the file and the key */
  tg_module *other = tg_nn_sequential(tg_nn_linear(3, 4, true), tg_nn_tanh(),
                                      tg_nn_linear(4, 2, true), NULL);
  ck_assert_int_eq(tg_load_state_dict_file(path, other, true), -1);
  ck_assert_msg(strstr(tg_last_error(), path) &&
                    strstr(tg_last_error(), "size mismatch for 0.weight"),
                "%s", tg_last_error());
  tg_module_free(a);
  tg_module_free(b);
  tg_module_free(other);
}
END_TEST

/* ---- resuming ---- */

typedef struct run {
  tg_module *model;
  tg_optimizer *opt;
  tg_tensor *x, *y;
} run;

static run new_run(void) {
  run r;
  tg_manual_seed(7);
  r.model = small_net();
  tg_adam_options opts = TG_ADAM_DEFAULTS;
  opts.lr = 0.05;
  r.opt = tg_adam(tg_module_parameters(r.model), opts);
  r.x = tg_randn(TG_SHAPE(16, 3), TG_FLOAT32);
  r.y = tg_randn(TG_SHAPE(16, 2), TG_FLOAT32);
  return r;
}

static void train(run *r, int steps) {
  for (int s = 0; s < steps; s++) {
    tg_scope_begin();
    tg_tensor *loss = tg_mse_loss(tg_module_forward(r->model, r->x), r->y, NULL);
    tg_backward(loss, NULL, 0);
    tg_optimizer_step(r->opt);
    tg_optimizer_zero_grad(r->opt, true);
    tg_scope_end();
  }
}

static void free_run(run *r) {
  tg_optimizer_free(r->opt);
  tg_module_free(r->model);
  tg_release(r->x);
  tg_release(r->y);
}

/* 10 steps, save, load in a fresh process, 10 more == 20 straight steps. */
START_TEST(test_resume_is_bit_identical) {
  char ckpt[512], resumed[512];
  tg_test_dir_path("resume.safetensors", ckpt);
  tg_test_dir_path("resumed_params.safetensors", resumed);
  run r = new_run();
  train(&r, 10);
  tg_scope_begin();
  tg_tensor_dict *extra = tg_tensor_dict_new();
  tg_tensor_dict_add(extra, "loss", tg_arange(0, 10, 1, TG_FLOAT64));
  tg_scope_end();
  ck_assert_int_eq(tg_checkpoint_save(ckpt, r.model, r.opt, 10, extra), 0);
  tg_tensor_dict_free(extra);
  pid_t pid = fork();
  if (pid == 0) { /* the fresh process: other weights until the checkpoint loads */
    run fresh = new_run();
    tg_manual_seed(99);
    tg_module_free(fresh.model);
    fresh.model = small_net();
    tg_optimizer_free(fresh.opt);
    fresh.opt = tg_adam(tg_module_parameters(fresh.model), TG_ADAM_DEFAULTS);
    int64_t epoch = -1;
    tg_tensor_dict *back = NULL;
    if (tg_checkpoint_load(ckpt, fresh.model, fresh.opt, &epoch, &back) != 0 ||
        epoch != 10 || !tg_tensor_dict_get(back, "loss"))
      _exit(3);
    tg_tensor_dict_free(back);
    train(&fresh, 10);
    int saved = tg_save_state_dict(resumed, fresh.model);
    free_run(&fresh); /* valgrind checks the child's leaks too */
    _exit(saved == 0 ? 0 : 4);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: %d",
                status);
  train(&r, 10);
  tg_tensor_dict *straight = tg_state_dict(r.model), *after = NULL;
  ck_assert_int_eq(tg_load_tensors(resumed, &after), 0);
  for (int i = 0; i < straight->n; i++)
    tg_assert_close(tg_tensor_dict_get(after, straight->items[i].name),
                    straight->items[i].tensor, 0, 0, straight->items[i].name);
  tg_tensor_dict_free(straight);
  tg_tensor_dict_free(after);
  free_run(&r);
}
END_TEST

/* What a training step draws after a resume: a dropout mask, a DataLoader's
 * epoch order (its sampler seeds from the global generator), normals. */
static tg_tensor *random_draws(void) {
  tg_tensor *mask = tg_dropout(tg_ones(TG_SHAPE(64), TG_FLOAT32), 0.5, true);
  tg_tensor *order = tg_to(tg_randperm(32), TG_FLOAT32);
  tg_tensor *normals = tg_randn(TG_SHAPE(5), TG_FLOAT32);
  return tg_cat((tg_tensor *[]){mask, order, normals}, 3, 0);
}

/* Save mid-stream (an odd number of normals drawn, so one is cached), then
 * draw; a fresh process that loads the checkpoint draws the same bits. */
START_TEST(test_resume_continues_random_stream) {
  char ckpt[512], resumed[512];
  tg_test_dir_path("rng.safetensors", ckpt);
  tg_test_dir_path("rng_draws.safetensors", resumed);
  tg_manual_seed(3);
  tg_module *model = small_net();
  tg_scope_begin();
  tg_randn(TG_SHAPE(3), TG_FLOAT64);
  ck_assert_int_eq(tg_checkpoint_save(ckpt, model, NULL, 1, NULL), 0);
  tg_tensor *straight = random_draws();
  pid_t pid = fork();
  if (pid == 0) {
    tg_manual_seed(12345);
    tg_rand(TG_SHAPE(7), TG_FLOAT32);
    if (tg_checkpoint_load(ckpt, model, NULL, NULL, NULL) != 0) _exit(3);
    tg_tensor_dict *d = tg_tensor_dict_new();
    tg_tensor_dict_add(d, "draws", random_draws());
    int saved = tg_save_tensors(resumed, d);
    tg_tensor_dict_free(d);
    tg_scope_end();
    tg_module_free(model);
    _exit(saved == 0 ? 0 : 4);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: %d",
                status);
  tg_tensor_dict *back = NULL;
  ck_assert_int_eq(tg_load_tensors(resumed, &back), 0);
  tg_assert_close(tg_tensor_dict_get(back, "draws"), straight, 0, 0,
                  "draws after resume");
  tg_tensor_dict_free(back);
  tg_scope_end();
  tg_module_free(model);
}
END_TEST

/* A name the writer rejects is the calling code's mistake: tg_error, with
 * what the save had allocated freed (ASan's leak check is the guard). */
START_TEST(test_bad_names_are_misuse) {
  char path[512];
  tg_module *m = small_net();
  tg_tensor_dict *d = tg_tensor_dict_new();
  tg_tensor *z = tg_zeros(TG_SHAPE(1), TG_FLOAT32);
  tg_tensor_dict_add(d, "__metadata__", z);
  TG_EXPECT_ERROR(tg_save_tensors(tg_test_dir_path("bad.safetensors", path), d),
                  "tensor \"__metadata__\": the name __metadata__ is reserved");
  tg_tensor_dict *extra = tg_tensor_dict_new();
  tg_tensor_dict_add(extra, "loss\xff", z);
  TG_EXPECT_ERROR(
      tg_checkpoint_save(tg_test_dir_path("bad.safetensors", path), m, NULL, 1, extra),
      "tensor \"extra.loss\xff\": name is not valid UTF-8");
  tg_release(z);
  tg_tensor_dict_free(d);
  tg_tensor_dict_free(extra);
  tg_module_free(m);
}
END_TEST

START_TEST(test_errors_name_the_file) {
  char path[512];
  tg_module *m = small_net();
  ck_assert_int_eq(
      tg_checkpoint_load("/nonexistent/ckpt.safetensors", m, NULL, NULL, NULL), -1);
  ck_assert_msg(strstr(tg_last_error(), "/nonexistent/ckpt.safetensors"), "%s",
                tg_last_error());
  /* a plain state dict is not a checkpoint */
  ck_assert_int_eq(tg_save_state_dict(tg_test_dir_path("plain.safetensors", path), m), 0);
  ck_assert_int_eq(tg_checkpoint_load(path, m, NULL, NULL, NULL), -1);
  ck_assert_msg(strstr(tg_last_error(), "not a tensorgrad checkpoint"), "%s",
                tg_last_error());
  /* a checkpoint without optimizer state cannot restore an optimizer */
  ck_assert_int_eq(tg_checkpoint_save(tg_test_dir_path("model_only.safetensors", path), m,
                                      NULL, 3, NULL),
                   0);
  tg_sgd_options opts = TG_SGD_DEFAULTS;
  opts.lr = 0.1;
  tg_optimizer *opt = tg_sgd(tg_module_parameters(m), opts);
  ck_assert_int_eq(tg_checkpoint_load(path, m, opt, NULL, NULL), -1);
  ck_assert_msg(strstr(tg_last_error(), "holds no optimizer state"), "%s",
                tg_last_error());
  /* a truncated file */
  FILE *f = fopen(tg_test_dir_path("short.safetensors", path), "wb");
  fputs("abc", f);
  fclose(f);
  tg_tensor_dict *d = NULL;
  ck_assert_int_eq(tg_load_tensors(path, &d), -1);
  ck_assert_msg(strstr(tg_last_error(), "short.safetensors"), "%s", tg_last_error());
  tg_optimizer_free(opt);
  tg_module_free(m);
}
END_TEST

/* A copy of checkpoint `from` with its rng_state entry replaced. */
static void write_with_rng_state(const char *from, const char *to, tg_st_dtype dtype,
                                 int64_t length, const void *data) {
  tg_st_file *f = NULL;
  ck_assert_int_eq(tg_safetensors_read(from, &f), 0);
  int64_t shape[1] = {length};
  tg_st_tensor *tensors = calloc(f->ntensors, sizeof *tensors);
  for (size_t i = 0; i < f->ntensors; i++) {
    tensors[i] = f->tensors[i];
    if (strcmp(tensors[i].name, "rng_state") == 0)
      tensors[i] = (tg_st_tensor){
          "rng_state", dtype, 1, shape, data, (size_t)length * tg_st_dtype_size(dtype)};
  }
  ck_assert_int_eq(tg_safetensors_write(to, tensors, f->ntensors, f->meta, f->nmeta), 0);
  free(tensors);
  tg_safetensors_free(f);
}

/* A checkpoint whose generator state is malformed (wrong dtype, wrong
 * length, words out of range, a position past the end) fails to load with
 * the file and the entry named, and changes neither the model nor the
 * generator. */
START_TEST(test_bad_rng_state_is_refused) {
  char good[512], bad[512];
  tg_manual_seed(4);
  tg_module *saved = small_net();
  ck_assert_int_eq(tg_checkpoint_save(tg_test_dir_path("good.safetensors", good), saved,
                                      NULL, 2, NULL),
                   0);
  tg_scope_begin();
  tg_tensor *state = tg_contiguous(tg_get_rng_state());
  int64_t words[TG_RNG_STATE_SIZE], negative[TG_RNG_STATE_SIZE], past[TG_RNG_STATE_SIZE];
  memcpy(words, tg_cdata_i64(state), sizeof words);
  memcpy(negative, words, sizeof words);
  memcpy(past, words, sizeof words);
  negative[5] = -1;
  past[624] = 625; /* the position in the 624 words */
  double as_double[TG_RNG_STATE_SIZE] = {0};
  struct {
    tg_st_dtype dtype;
    int64_t length;
    const void *data;
    const char *why;
  } cases[] = {
      {TG_ST_F64, TG_RNG_STATE_SIZE, as_double, "dtype float64"},
      {TG_ST_I64, TG_RNG_STATE_SIZE - 1, words, "shape (627)"},
      {TG_ST_I64, TG_RNG_STATE_SIZE, negative, "values out of range"},
      {TG_ST_I64, TG_RNG_STATE_SIZE, past, "values out of range"},
  };
  tg_manual_seed(99);
  tg_module *model = small_net();
  tg_tensor *weight_before = tg_clone(tg_module_parameter(model, "0.weight"));
  tg_tensor *rng_before = tg_get_rng_state();
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    write_with_rng_state(good, tg_test_dir_path("bad_rng.safetensors", bad),
                         cases[k].dtype, cases[k].length, cases[k].data);
    ck_assert_int_eq(tg_checkpoint_load(bad, model, NULL, NULL, NULL), -1);
    char expected[1024];
    snprintf(expected, sizeof expected, "%s: \"rng_state\" is not a generator state: %s",
             bad, cases[k].why);
    ck_assert_msg(strstr(tg_last_error(), expected), "case %zu: %s", k, tg_last_error());
    tg_assert_close(tg_module_parameter(model, "0.weight"), weight_before, 0, 0,
                    "the model is unchanged");
    tg_assert_close(tg_get_rng_state(), rng_before, 0, 0, "the generator is unchanged");
  }
  /* the well-formed state loads, and the generator is the saved one */
  ck_assert_int_eq(tg_checkpoint_load(good, model, NULL, NULL, NULL), 0);
  tg_assert_close(tg_get_rng_state(), state, 0, 0, "the saved generator");
  tg_scope_end();
  tg_module_free(model);
  tg_module_free(saved);
}
END_TEST

int main(void) {
  Suite *s = suite_create("checkpoint");
  TCase *tc = tcase_create("safetensors");
  tcase_add_checked_fixture(tc, tg_test_dir_make, tg_test_dir_remove);
  tcase_add_test(tc, test_tensors_round_trip);
  tcase_add_test(tc, test_state_dict_file);
  tcase_add_test(tc, test_resume_is_bit_identical);
  tcase_add_test(tc, test_resume_continues_random_stream);
  tcase_add_test(tc, test_bad_names_are_misuse);
  tcase_add_test(tc, test_errors_name_the_file);
  tcase_add_test(tc, test_bad_rng_state_is_refused);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
