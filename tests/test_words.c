/* Word lists for makemore: the a-z filter, the seeded split, the character
 * vocabulary, CharDataset's (x, y) rows, and the errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static char *dir, *fixture;

static void setup(void) {
  dir = tg_test_temp_dir("tg_words");
  fixture = tg_test_words_fixture(dir, 200);
}
static void teardown(void) {
  tg_test_remove_tree(dir);
  free(fixture);
  free(dir);
}

START_TEST(test_load_filters_plain_words) {
  tg_words w;
  ck_assert_msg(tg_words_load(fixture, &w) == 0, "%s", tg_last_error());
  ck_assert_int_eq(w.n, 200); /* the capitals, apostrophes, UTF-8 and blanks are gone */
  for (int64_t i = 0; i < w.n; i++) {
    size_t len = strlen(w.words[i]);
    ck_assert(len >= 2 && len <= 9 && (int64_t)len <= w.max_len);
    ck_assert_msg(strspn(w.words[i], "abcdefghijklmnopqrstuvwxyz") == len, "%s",
                  w.words[i]);
  }
  ck_assert_int_le(w.max_len, 9);
  tg_words_free(&w);
  tg_words_free(&w); /* empty is fine */
  tg_words_free(NULL);
}
END_TEST

START_TEST(test_split_is_a_seeded_permutation) {
  tg_words w, parts[3], again[3];
  ck_assert_int_eq(tg_words_load(fixture, &w), 0);
  tg_manual_seed(3);
  tg_words_split(&w, &parts[0], &parts[1], &parts[2]);
  ck_assert_int_eq(parts[0].n, 160);
  ck_assert_int_eq(parts[1].n, 20);
  ck_assert_int_eq(parts[2].n, 20);
  /* the split is torch.randperm(n) on the generator: the same seed, the same parts */
  tg_manual_seed(3);
  tg_tensor *perm = tg_randperm(w.n);
  for (int64_t i = 0; i < 160; i++)
    ck_assert_str_eq(parts[0].words[i], w.words[(int64_t)tg_get_flat(perm, i)]);
  for (int64_t i = 0; i < 20; i++)
    ck_assert_str_eq(parts[2].words[i], w.words[(int64_t)tg_get_flat(perm, 180 + i)]);
  tg_release(perm);
  tg_manual_seed(4);
  tg_words_split(&w, &again[0], &again[1], &again[2]);
  int same = 0;
  for (int64_t i = 0; i < 160; i++)
    same += strcmp(parts[0].words[i], again[0].words[i]) == 0;
  ck_assert_int_lt(same, 160); /* another seed, another order */
  for (int k = 0; k < 3; k++) tg_words_free(&parts[k]), tg_words_free(&again[k]);
  tg_words_free(&w);
}
END_TEST

START_TEST(test_vocab_and_dataset_rows) {
  tg_words w = {0};
  char *list[2] = {"cab", "ba"};
  w.n = 2, w.words = list, w.max_len = 3;
  tg_char_vocab v;
  tg_char_vocab_build(&v, &w);
  ck_assert_int_eq(v.size, 4);
  ck_assert_int_eq(v.chars[0], '.');
  ck_assert_int_eq(v.index['a'], 1);
  ck_assert_int_eq(v.index['c'], 3);
  ck_assert_int_eq(v.index['z'], -1);
  tg_scope_begin();
  tg_dataset *ds = tg_words_dataset_new(&w, &v, 5);
  ck_assert_int_eq(tg_dataset_len(ds), 2);
  tg_tensor *x, *y;
  tg_dataset_get_batch(ds, (int64_t[]){0, 1}, 2, &x, &y);
  /* x: start token then the word; y: the word, the end token, then ignored */
  tg_assert_close_data(x, (double[]){0, 3, 1, 2, 0, 0, 2, 1, 0, 0}, 10, 0, 0, "x");
  tg_assert_close_data(y, (double[]){3, 1, 2, 0, -1, 2, 1, 0, -1, -1}, 10, 0, 0, "y");
  /* one sample: the same row, encoded on its own */
  tg_dataset_get(ds, 1, &x, &y);
  ck_assert_int_eq(x->ndim, 1);
  tg_assert_close_data(x, (double[]){0, 2, 1, 0, 0}, 5, 0, 0, "x[1]");
  tg_assert_close_data(y, (double[]){2, 1, 0, -1, -1}, 5, 0, 0, "y[1]");
  TG_EXPECT_ERROR(tg_words_dataset_new(&w, &v, 3),
                  "tg_words_dataset_new: the word \"cab\" (3 characters) does not fit "
                  "block_size 3");
  TG_EXPECT_ERROR(tg_words_dataset_new(&w, &v, 0), "block_size (0) must be positive");
  char *other[1] = {"dog"};
  tg_words w2 = {1, other, 3};
  TG_EXPECT_ERROR(tg_words_dataset_new(&w2, &v, 5),
                  "the word \"dog\" has 'd', which is not in the vocabulary");
  tg_dataset_release(ds);
  tg_scope_end();
}
END_TEST

START_TEST(test_load_errors) {
  tg_words w;
  ck_assert_int_eq(tg_words_load("/nonexistent/words", &w), -1);
  ck_assert_str_eq(tg_last_error(),
                   "/nonexistent/words: cannot open: No such file or directory");
  ck_assert_int_eq(w.n, 0);
  char path[512];
  snprintf(path, sizeof path, "%s/capitals.txt", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("Aachen\nBoston\n", f);
  fclose(f);
  ck_assert_int_eq(tg_words_load(path, &w), -1);
  ck_assert_msg(
      strstr(tg_last_error(), "capitals.txt: no lowercase a-z words in 14 bytes"), "%s",
      tg_last_error());
}
END_TEST

int main(void) {
  Suite *s = suite_create("words");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_load_filters_plain_words);
  tcase_add_test(tc, test_split_is_a_seeded_permutation);
  tcase_add_test(tc, test_vocab_and_dataset_rows);
  tcase_add_test(tc, test_load_errors);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
