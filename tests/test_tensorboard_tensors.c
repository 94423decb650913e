/* SummaryWriter calls that take tensors: an image tensor comes out as the
 * PNG PyTorch would write (x255, clipped, truncated), and bad tensors give
 * messages that name the call. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* The bytes of the (only) event file in dir. */
static uint8_t *read_events(size_t *len) {
  DIR *d = opendir(tg_test_dir);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  char path[600] = "";
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "events.out.tfevents.", 20) == 0)
      snprintf(path, sizeof path, "%s/%s", tg_test_dir, e->d_name);
  closedir(d);
  ck_assert_msg(path[0] != '\0', "no event file in %s", tg_test_dir);
  return tg_test_read_file(path, len);
}

/* The PNG inside the event bytes, decoded through a temporary file. */
static uint8_t *embedded_png(const uint8_t *events, size_t len, int *w, int *h, int *c) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static const uint8_t iend[8] = {'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
  size_t start = 0, end = 0;
  for (size_t i = 0; i + 8 <= len; i++) {
    if (!start && memcmp(events + i, signature, 8) == 0) start = i + 1;
    if (start && memcmp(events + i, iend, 8) == 0) end = i + 8;
  }
  ck_assert_msg(start && end, "no PNG in the event file");
  char path[600];
  snprintf(path, sizeof path, "%s/embedded.png", tg_test_dir);
  FILE *f = fopen(path, "wb");
  ck_assert(fwrite(events + start - 1, 1, end - start + 1, f) == end - start + 1);
  fclose(f);
  uint8_t *pixels = NULL;
  ck_assert_msg(tg_png_read(path, &pixels, w, h, c) == 0, "%s", tg_last_error());
  remove(path);
  return pixels;
}

START_TEST(test_image_tensor_is_scaled_like_pytorch) {
  tg_summary_writer *w = tg_summary_writer_open(tg_test_dir);
  ck_assert_ptr_nonnull(w);
  /* 3 x 2 x 2, CHW floats: 0.5 -> 127 (truncated), 1.2 -> 255, -1 -> 0 */
  float chw[12] = {0.5f, 1.2f, -1.0f, 0.0f, 0.25f, 0.75f,
                   1.0f, 0.1f, 0.2f,  0.3f, 0.4f,  0.9f};
  tg_scope_begin();
  tg_tensor *image = tg_from_data(chw, TG_SHAPE(3, 2, 2), TG_FLOAT32);
  ck_assert_int_eq(tg_summary_writer_add_image_tensor(w, "img", image, TG_IMAGE_CHW, 0),
                   0);
  tg_scope_end();
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
  size_t len;
  uint8_t *events = read_events(&len);
  int width, height, channels;
  uint8_t *pixels = embedded_png(events, len, &width, &height, &channels);
  ck_assert_int_eq(width, 2);
  ck_assert_int_eq(height, 2);
  ck_assert_int_eq(channels, 3);
  /* pixel (0, 0) is (R, G, B) = (0.5, 0.25, 0.2) * 255 truncated */
  ck_assert_int_eq(pixels[0], 127);
  ck_assert_int_eq(pixels[1], 63);
  ck_assert_int_eq(pixels[2], 51);
  ck_assert_int_eq(pixels[3], 255); /* 1.2 clipped */
  ck_assert_int_eq(pixels[6], 0);   /* -1 clipped */
  free(pixels);
  free(events);
}
END_TEST

START_TEST(test_bad_tensors_are_reported) {
  char sub[600];
  snprintf(sub, sizeof sub, "%s/errors", tg_test_dir);
  tg_summary_writer *w = tg_summary_writer_open(sub);
  ck_assert_ptr_nonnull(w);
  tg_scope_begin();
  TG_EXPECT_ERROR(
      tg_summary_writer_add_image_tensor(
          w, "img", tg_zeros(TG_SHAPE(1, 1, 2, 2), TG_FLOAT32), TG_IMAGE_CHW, 0),
      "tg_summary_writer_add_image_tensor: img: expected an image of 2 or 3 dims, got 4");
  /* checked before anything is allocated: no leak when the handler longjmps */
  TG_EXPECT_ERROR(tg_summary_writer_add_image_tensor(
                      w, "img", tg_zeros(TG_SHAPE(2, 2, 2), TG_FLOAT32), TG_IMAGE_CHW, 0),
                  "tg_summary_writer_add_image_tensor: tag \"img\": channels must be 1, "
                  "3 or 4, got 2");
  TG_EXPECT_ERROR(
      tg_summary_writer_add_pr_curve_tensor(w, "pr", tg_ones(TG_SHAPE(3), TG_FLOAT32),
                                            tg_ones(TG_SHAPE(2), TG_FLOAT32), 0, 0),
      "tg_summary_writer_add_pr_curve_tensor: pr: 3 labels but 2 predictions");
  TG_EXPECT_ERROR(
      tg_summary_writer_add_pr_curve_tensor(w, "pr", tg_ones(TG_SHAPE(3), TG_FLOAT32),
                                            tg_ones(TG_SHAPE(3), TG_FLOAT32), 1, 0),
      "tg_summary_writer_add_pr_curve_tensor: tag \"pr\": num_thresholds must be >= 2, "
      "got 1");
  ck_assert_int_eq(
      tg_summary_writer_add_pr_curve_tensor(w, "pr", tg_ones(TG_SHAPE(4), TG_INT64),
                                            tg_rand(TG_SHAPE(2, 2), TG_FLOAT64), 5, 0),
      0);
  ck_assert_int_eq(tg_summary_writer_add_histogram_tensor(
                       w, "h", tg_randn(TG_SHAPE(10, 3), TG_FLOAT32), 0),
                   0);
  tg_scope_end();
  ck_assert_int_eq(tg_summary_writer_close(w), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("tensorboard_tensors");
  TCase *tc = tcase_create("tensors");
  tcase_add_checked_fixture(tc, tg_test_dir_make, tg_test_dir_remove);
  tcase_add_test(tc, test_image_tensor_is_scaled_like_pytorch);
  tcase_add_test(tc, test_bad_tensors_are_reported);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
