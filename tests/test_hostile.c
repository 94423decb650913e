/* Hostile input: files that are not what they claim (tests/hostile/, made
 * by make_fixtures.py), shapes that overflow, FIFOs and planted symlinks,
 * stale temporary files, and errors that a handler survives by longjmp.
 * Every case checks the message, not only the status. */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tensor/core.h"
#include "test_util.h"

#define FIXTURE(name) TG_TEST_DIR "/hostile/" name

static void assert_error_has(const char *substring) {
  ck_assert_msg(strstr(tg_last_error(), substring), "error \"%s\" lacks \"%s\"",
                tg_last_error(), substring);
}

/* ---- checkpoints ---------------------------------------------------------- */

/* The model and optimizer base_checkpoint.safetensors was saved from. */
typedef struct {
  tg_module *model;
  tg_tensor_dict *params;
  tg_optimizer *opt;
} trainee;

static trainee trainee_new(void) {
  trainee t;
  t.model = tg_nn_sequential(tg_nn_linear(2, 2, true),
                             tg_nn_batch_norm1d(2, 1e-5, 0.1, true, true), NULL);
  t.params = tg_module_named_parameters(t.model);
  t.opt = tg_adam(tg_module_parameters(t.model), TG_ADAM_DEFAULTS);
  return t;
}

static void trainee_free(trainee *t) {
  tg_optimizer_free(t->opt);
  tg_tensor_dict_free(t->params);
  tg_module_free(t->model);
}

static void expect_checkpoint_error(const char *fixture, const char *substring) {
  trainee t = trainee_new();
  double before = tg_get_flat(t.params->items[0].tensor, 0);
  int64_t epoch = -1;
  ck_assert_int_eq(tg_checkpoint_load(fixture, t.model, t.opt, &epoch, NULL), -1);
  assert_error_has(fixture);
  assert_error_has(substring);
  ck_assert_int_eq(epoch, -1);
  ck_assert_double_eq(tg_get_flat(t.params->items[0].tensor, 0), before);
  trainee_free(&t);
}

START_TEST(test_checkpoint_base_loads) {
  /* the fixtures below differ from this one in one entry each */
  trainee t = trainee_new();
  int64_t epoch = -1;
  ck_assert_int_eq(tg_checkpoint_load(FIXTURE("base_checkpoint.safetensors"), t.model,
                                      t.opt, &epoch, NULL),
                   0);
  ck_assert_int_eq(epoch, 1);
  trainee_free(&t);
}
END_TEST

START_TEST(test_checkpoint_ranks_and_sizes) {
  expect_checkpoint_error(
      FIXTURE("ckpt_dims9.safetensors"),
      "tensor \"extra.deep\" has 9 dimensions; tensorgrad tensors have "
      "at most 8");
  expect_checkpoint_error(FIXTURE("ckpt_dims64.safetensors"), "has 64 dimensions");
  expect_checkpoint_error(FIXTURE("ckpt_zero_huge.safetensors"),
                          "tensor \"extra.empty\": element count overflows 64 bits");
  tg_tensor_dict *d = NULL;
  ck_assert_int_eq(tg_load_tensors(FIXTURE("ckpt_dims64.safetensors"), &d), -1);
  assert_error_has("has 64 dimensions");
  ck_assert_ptr_null(d);
}
END_TEST

START_TEST(test_checkpoint_counts_and_values) {
  expect_checkpoint_error(FIXTURE("ckpt_opt_id_huge.safetensors"),
                          "\"param_groups.0.params\" holds 1e+09, not a parameter number "
                          "(0 to 3)");
  expect_checkpoint_error(FIXTURE("ckpt_step_nan.safetensors"),
                          "entry \"state.0.step\" holds nan, not a step count");
  expect_checkpoint_error(FIXTURE("ckpt_step_negative.safetensors"),
                          "entry \"state.0.step\" holds -3, not a step count");
  expect_checkpoint_error(FIXTURE("ckpt_exp_avg_sq_nan.safetensors"),
                          "entry \"state.1.exp_avg_sq\" holds nan at element 1");
  expect_checkpoint_error(
      FIXTURE("ckpt_nbt_nan.safetensors"),
      "\"1.num_batches_tracked\" is int64 but the state dict holds nan");
  expect_checkpoint_error(FIXTURE("ckpt_nbt_huge.safetensors"),
                          "\"1.num_batches_tracked\" is int64 but the state dict holds "
                          "1e+300");
  expect_checkpoint_error(FIXTURE("ckpt_epoch_overflow.safetensors"),
                          "not a tensorgrad checkpoint (no integer \"epoch\"");
}
END_TEST

/* ---- shapes and conversions ------------------------------------------------ */

START_TEST(test_shapes_that_overflow) {
  TG_EXPECT_ERROR(tg_zeros(TG_SHAPE(1LL << 62), TG_FLOAT32),
                  "byte size overflows 64 bits in shape (4611686018427387904) (dtype "
                  "float32)");
  TG_EXPECT_ERROR(tg_zeros(TG_SHAPE(1LL << 32, 1LL << 32), TG_FLOAT32),
                  "element count overflows 64 bits in shape (4294967296x4294967296)");
  TG_EXPECT_ERROR(tg_empty(TG_SHAPE(0, 1LL << 40, 1LL << 40), TG_FLOAT64),
                  "element count overflows 64 bits");
  TG_EXPECT_ERROR(
      tg_arange(0, 1e300, 1, TG_FLOAT32),
      "tg_arange: 1e+300 elements (start 0, end 1e+300, step 1) is more than");
  int64_t dims[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  TG_EXPECT_ERROR(tg_shape_make(9, dims),
                  "tg_shape_make: a shape has 0 to 8 dimensions, got 9");
  /* a view of a big tensor is fine where its element count fits */
  tg_scope_begin();
  tg_tensor *x = tg_zeros(TG_SHAPE(1), TG_FLOAT32);
  tg_tensor *wide = tg_expand(x, TG_SHAPE(1LL << 31, 4));
  ck_assert_int_eq(tg_numel(wide), 1LL << 33);
  TG_EXPECT_ERROR(tg_expand(x, TG_SHAPE(1LL << 32, 1LL << 32)),
                  "element count overflows");
  TG_EXPECT_ERROR(tg_reshape(x, TG_SHAPE(1LL << 32, 1LL << 32, -1)),
                  "tg_reshape: element count overflows 64 bits in shape "
                  "(4294967296x4294967296x-1)");
  tg_scope_end();
}
END_TEST

START_TEST(test_float_to_int_is_defined) {
  tg_scope_begin();
  double values[] = {NAN, 1e300, -1e300, INFINITY, 3.9, -2.5};
  int64_t expected[] = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN, 3, -2};
  tg_tensor *ints = tg_to(tg_from_data(values, TG_SHAPE(6), TG_FLOAT64), TG_INT64);
  for (int i = 0; i < 6; i++) ck_assert_int_eq(tg_cdata_i64(ints)[i], expected[i]);
  tg_scope_end();
  ck_assert(tg_double_is_i64(-0x1p63) && !tg_double_is_i64(0x1p63));
  ck_assert(!tg_double_is_i64(NAN) && !tg_double_is_i64(0.5));
}
END_TEST

/* ---- files that are not what they seem ------------------------------------- */

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "test_hostile: a loader blocked on a FIFO\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(2);
}

START_TEST(test_fifo_and_device_paths) {
  char fifo[512];
  ck_assert_int_eq(mkfifo(tg_test_dir_path("pipe", fifo), 0600), 0);
  signal(SIGALRM, on_alarm);
  alarm(10); /* a blocking open would hang here forever */
  tg_tensor_dict *d = NULL;
  ck_assert_int_eq(tg_load_tensors(fifo, &d), -1);
  assert_error_has("pipe: not a regular file");
  tg_bunch b;
  ck_assert_int_eq(tg_load_csv(fifo, NULL, &b), -1);
  assert_error_has("pipe: not a regular file");
  ck_assert_int_eq(tg_load_csv("/dev/zero", NULL, &b), -1);
  assert_error_has("/dev/zero: not a regular file");
  uint8_t *pixels = NULL;
  int width, height, channels;
  ck_assert_int_eq(tg_png_read(fifo, &pixels, &width, &height, &channels), -1);
  assert_error_has("tg_png_read: ");
  assert_error_has("pipe: not a regular file");
  trainee t = trainee_new();
  ck_assert_int_eq(tg_checkpoint_load(fifo, t.model, t.opt, NULL, NULL), -1);
  assert_error_has("not a regular file");
  trainee_free(&t);
  alarm(0);
}
END_TEST

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static void assert_file_is(const char *path, const char *text) {
  char buf[256] = {0};
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  ck_assert_str_eq(buf, text);
}

START_TEST(test_dot_replaces_a_planted_symlink) {
  char victim[512], link[512];
  write_text(tg_test_dir_path("victim.txt", victim), "precious\n");
  ck_assert_int_eq(symlink(victim, tg_test_dir_path("graph.dot", link)), 0);
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_ones(TG_SHAPE(2), TG_FLOAT64), true);
  ck_assert_int_eq(tg_graph_dot(tg_sum(tg_exp(x), TG_ALL_DIMS, false), link), 0);
  tg_scope_end();
  assert_file_is(victim, "precious\n");
  struct stat st;
  ck_assert_int_eq(lstat(link, &st), 0);
  ck_assert(S_ISREG(st.st_mode));
}
END_TEST

/* The name of the one events.out.tfevents.* file in logdir. */
static void event_file_in(const char *logdir, char *name) {
  DIR *d = opendir(logdir);
  ck_assert_ptr_nonnull(d);
  name[0] = '\0';
  for (struct dirent *e; (e = readdir(d));)
    if (strncmp(e->d_name, "events.out.tfevents.", 20) == 0) strcpy(name, e->d_name);
  closedir(d);
  ck_assert(name[0] != '\0');
}

START_TEST(test_event_file_never_follows_a_symlink) {
  char first_dir[512], second_dir[512], victim[512], name[512];
  tg_summary_writer *w = tg_summary_writer_open(tg_test_dir_path("first", first_dir));
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  event_file_in(first_dir, name);
  /* "events.out.tfevents.<seconds>.<host>.<pid>.<counter>": the next
   * writer of this process takes counter + 1 in this second or the next
   * few; plant a symlink at each of those names. */
  char *counter_at = strrchr(name, '.'), *seconds_at = name + 20;
  int counter = atoi(counter_at + 1);
  long long seconds = atoll(seconds_at);
  const char *host_pid = strchr(seconds_at, '.');
  write_text(tg_test_dir_path("victim.txt", victim), "precious\n");
  ck_assert_int_eq(mkdir(tg_test_dir_path("second", second_dir), 0755), 0);
  for (long long s = seconds; s < seconds + 30; s++) {
    char planted[1024];
    snprintf(planted, sizeof planted, "%s/events.out.tfevents.%010lld%.*s.%d", second_dir,
             s, (int)(counter_at - host_pid), host_pid, counter + 1);
    ck_assert_int_eq(symlink(victim, planted), 0);
  }
  ck_assert_ptr_null(tg_summary_writer_open(second_dir));
  assert_error_has("refusing to overwrite it");
  assert_file_is(victim, "precious\n");
}
END_TEST

START_TEST(test_truncated_gzip_is_an_error) {
  tg_bunch b;
  ck_assert_int_eq(tg_load_csv(FIXTURE("truncated.csv.gz"), NULL, &b), -1);
  assert_error_has("truncated.csv.gz: the gzip stream ends early");
}
END_TEST

START_TEST(test_csv_bom_and_null_options) {
  tg_bunch b;
  ck_assert_int_eq(tg_load_csv(FIXTURE("bom.csv"), NULL, &b), 0);
  ck_assert_str_eq(b.feature_names[0], "width");
  ck_assert_int_eq(b.n_samples, 2);
  ck_assert_double_eq(b.X[0], 1.5);
  ck_assert_int_eq(b.y[1], 1);
  tg_bunch_free(&b);
  TG_EXPECT_ERROR(tg_load_csv(NULL, NULL, &b), "tg_load_csv: path is NULL");
}
END_TEST

START_TEST(test_csv_features_must_be_finite_decimals) {
  tg_bunch b;
  ck_assert_int_eq(tg_load_csv(FIXTURE("nan_feature.csv"), NULL, &b), -1);
  assert_error_has("nan_feature.csv:3: column 2: 'nan' is not a finite decimal number");
  ck_assert_int_eq(tg_load_csv(FIXTURE("inf_feature.csv"), NULL, &b), -1);
  assert_error_has("inf_feature.csv:3: column 1: '-inf' is not a finite decimal number");
  ck_assert_int_eq(tg_load_csv(FIXTURE("hex_feature.csv"), NULL, &b), -1);
  assert_error_has("hex_feature.csv:2: column 2: '0x1p3' is not a finite decimal number");
}
END_TEST

/* A pid that no process has: a child that has exited and been reaped. */
static long dead_pid(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  ck_assert_int_gt(pid, 0);
  waitpid(pid, NULL, 0);
  return pid;
}

START_TEST(test_stale_temp_files_are_cleaned) {
  char path[512], other_path[512], stale[600], live[600], other[600];
  tg_test_dir_path("model.safetensors", path);
  tg_test_dir_path("other.safetensors", other_path);
  snprintf(stale, sizeof stale, "%.500s.tmp.%ld.AbC123", path, dead_pid());
  snprintf(live, sizeof live, "%.500s.tmp.%ld.AbC123", path, (long)getpid());
  snprintf(other, sizeof other, "%.500s.tmp.%ld.AbC123", other_path, dead_pid());
  write_text(stale, "half a save");
  write_text(live, "a save in progress");
  write_text(other, "another file's");
  tg_tensor_dict *d = tg_tensor_dict_new();
  tg_scope_begin();
  tg_tensor_dict_add(d, "w", tg_ones(TG_SHAPE(2), TG_FLOAT32));
  tg_scope_end();
  ck_assert_int_eq(tg_save_tensors(path, d), 0);
  ck_assert_int_eq(access(stale, F_OK), -1); /* the interrupted save's leftover: gone */
  ck_assert_int_eq(access(live, F_OK), 0);   /* a writer still running: kept */
  ck_assert_int_eq(access(other, F_OK), 0);  /* another path's: not ours to judge */
  /* a load of that path cleans too */
  write_text(stale, "half a save");
  tg_tensor_dict *back = NULL;
  ck_assert_int_eq(tg_load_tensors(path, &back), 0);
  ck_assert_int_eq(access(stale, F_OK), -1);
  tg_tensor_dict_free(back);
  tg_tensor_dict_free(d);
}
END_TEST

/* ---- errors a handler survives ------------------------------------------- */

static jmp_buf recover_jmp;

static void recover_handler(const char *message, void *user) {
  (void)message;
  (void)user;
  longjmp(recover_jmp, 1);
}

/* Runs fn, which must fail; afterwards grad mode, the no_grad nesting and
 * the scope depth are as they were, with nothing restored by the test. */
#define EXPECT_RECOVERED(call)                                                           \
  do {                                                                                   \
    int depth = tg_scope_depth();                                                        \
    tg_set_error_handler(recover_handler, NULL);                                         \
    if (setjmp(recover_jmp) == 0) {                                                      \
      call;                                                                              \
      ck_abort_msg("expected an error from " #call);                                     \
    }                                                                                    \
    tg_set_error_handler(NULL, NULL);                                                    \
    ck_assert_msg(tg_is_grad_enabled(), "grad mode left off by " #call);                 \
    ck_assert_int_eq(tg_scope_depth(), depth);                                           \
    ck_assert_int_eq(tg_no_grad_depth(), 0);                                             \
  } while (0)

static void no_backward(tg_node *node, tg_tensor *g, tg_tensor **grads) {
  (void)node;
  (void)g;
  (void)grads;
}

static tg_tensor *bad_matmul_forward(tg_tensor *const *inputs, tg_tensor **to_save,
                                     void *ctx) {
  (void)ctx;
  to_save[0] = inputs[0];
  return tg_matmul(inputs[0], tg_ones(TG_SHAPE(5, 5), TG_FLOAT64));
}

START_TEST(test_errors_restore_grad_mode_and_scopes) {
  tg_scope_begin();
  tg_tensor *x = tg_requires_grad_(tg_ones(TG_SHAPE(2, 3), TG_FLOAT64), true);
  /* tg_backward: a second backward through a freed graph */
  tg_tensor *y = tg_sum(tg_exp(x), TG_ALL_DIMS, false);
  tg_backward(y, NULL, 0);
  EXPECT_RECOVERED(tg_backward(y, NULL, 0));
  /* ... and a backward whose gradient has the wrong shape, under create_graph */
  tg_tensor *z = tg_exp(x);
  EXPECT_RECOVERED(tg_backward(z, tg_ones(TG_SHAPE(4), TG_FLOAT64), TG_CREATE_GRAPH));
  /* tg_function_apply: the user's forward fails with the tape off */
  static const tg_op op = {"BadMatmul", no_backward, NULL, 0};
  tg_tensor *inputs[1] = {x};
  EXPECT_RECOVERED(tg_function_apply(&op, bad_matmul_forward, 1, inputs, NULL));
  /* tg_summary: the module's forward fails on the dummy input */
  tg_module *net = tg_nn_linear(4, 2, true);
  EXPECT_RECOVERED(free(tg_summary_string(net, TG_SHAPE(3))));
  tg_module_free(net);
  /* and recording works afterwards */
  ck_assert_ptr_nonnull(tg_mul(x, x)->grad_fn);
  tg_scope_end();
}
END_TEST

int main(void) {
  Suite *s = suite_create("hostile");
  TCase *files = tcase_create("files");
  tcase_add_checked_fixture(files, tg_test_dir_make, tg_test_dir_remove);
  tcase_add_test(files, test_checkpoint_base_loads);
  tcase_add_test(files, test_checkpoint_ranks_and_sizes);
  tcase_add_test(files, test_checkpoint_counts_and_values);
  tcase_add_test(files, test_fifo_and_device_paths);
  tcase_add_test(files, test_dot_replaces_a_planted_symlink);
  tcase_add_test(files, test_event_file_never_follows_a_symlink);
  tcase_add_test(files, test_truncated_gzip_is_an_error);
  tcase_add_test(files, test_csv_bom_and_null_options);
  tcase_add_test(files, test_csv_features_must_be_finite_decimals);
  tcase_add_test(files, test_stale_temp_files_are_cleaned);
  suite_add_tcase(s, files);
  TCase *core = tcase_create("core");
  tcase_add_test(core, test_shapes_that_overflow);
  tcase_add_test(core, test_float_to_int_is_defined);
  tcase_add_test(core, test_errors_restore_grad_mode_and_scopes);
  suite_add_tcase(s, core);
  return tg_test_run(s);
}
