/* IDX files, FashionMNIST and the transforms: fixtures the tests write,
 * torchvision's transforms against tests/golden/vision.py, and the real
 * Fashion-MNIST files when Debian's dataset-fashion-mnist is installed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tensorgrad/vision.h"
#include "test_util.h"

static tg_golden *golden;
static char *dir;

static void setup(void) {
  golden = tg_golden_load(TG_TEST_DIR "/golden/vision.txt");
  dir = tg_test_temp_dir("tg_vision");
}
static void teardown(void) {
  tg_golden_free(golden);
  tg_test_remove_tree(dir);
  free(dir);
}

static char *in_dir(const char *name) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

/* ---- IDX ---- */

START_TEST(test_idx_ubyte_plain_and_gzip) {
  uint8_t bytes[24];
  for (int i = 0; i < 24; i++) bytes[i] = (uint8_t)(i * 11);
  for (int gz = 0; gz < 2; gz++) {
    const char *path = in_dir(gz ? "a.idx.gz" : "a.idx");
    tg_test_write_idx(path, TG_IDX_UBYTE, 3, (uint32_t[]){2, 3, 4}, bytes, 24, gz);
    tg_idx idx;
    ck_assert_int_eq(tg_idx_read(path, &idx), 0);
    ck_assert_int_eq(idx.type, TG_IDX_UBYTE);
    ck_assert_int_eq(idx.ndim, 3);
    ck_assert_int_eq(idx.dims[2], 4);
    ck_assert_int_eq(idx.numel, 24);
    tg_tensor *t = tg_idx_tensor(&idx, TG_INT64);
    tg_assert_shape(t, TG_SHAPE(2, 3, 4));
    ck_assert_double_eq(tg_get_flat(t, 23), 253);
    tg_release(t);
    tg_idx_free(&idx);
  }
}
END_TEST

/* Wider types arrive big-endian and come out in host order. */
START_TEST(test_idx_wide_types) {
  const uint8_t shorts[] = {0xff, 0xfe, 0x01, 0x00}; /* -2, 256 */
  tg_test_write_idx(in_dir("s.idx"), TG_IDX_SHORT, 1, (uint32_t[]){2}, shorts, 4, false);
  const uint8_t floats[] = {0x3f, 0xc0, 0x00, 0x00,
                            0xc1, 0x20, 0x00, 0x00}; /* 1.5, -10 */
  tg_test_write_idx(in_dir("f.idx"), TG_IDX_FLOAT, 1, (uint32_t[]){2}, floats, 8, true);
  tg_idx s, f;
  ck_assert_int_eq(tg_idx_read(in_dir("s.idx"), &s), 0);
  ck_assert_int_eq(tg_idx_read(in_dir("f.idx"), &f), 0);
  tg_tensor *ts = tg_idx_tensor(&s, TG_FLOAT64), *tf = tg_idx_tensor(&f, TG_FLOAT32);
  ck_assert_double_eq(tg_get_flat(ts, 0), -2);
  ck_assert_double_eq(tg_get_flat(ts, 1), 256);
  ck_assert_double_eq(tg_get_flat(tf, 0), 1.5);
  ck_assert_double_eq(tg_get_flat(tf, 1), -10);
  TG_EXPECT_ERROR(tg_idx_tensor(&f, TG_INT64),
                  "tg_idx_tensor: floating-point IDX data converts to float32 or "
                  "float64, not int64");
  tg_release(ts);
  tg_release(tf);
  tg_idx_free(&s);
  tg_idx_free(&f);
}
END_TEST

/* Writes raw bytes as a file and expects tg_idx_read to fail with msg. */
static void expect_bad_file(const uint8_t *bytes, size_t n, bool gzip, const char *msg) {
  const char *path = in_dir(gzip ? "bad.gz" : "bad");
  if (gzip) {
    gzFile f = gzopen(path, "wb");
    gzwrite(f, bytes, (unsigned)n);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, n, f);
    fclose(f);
  }
  tg_idx idx;
  ck_assert_int_eq(tg_idx_read(path, &idx), -1);
  ck_assert_ptr_null(idx.data);
  ck_assert_msg(strstr(tg_last_error(), path) && strstr(tg_last_error(), msg),
                "\"%s\" lacks the path or \"%s\"", tg_last_error(), msg);
}

START_TEST(test_idx_errors) {
  const uint8_t png[] = {0x89, 'P', 'N', 'G', 0, 0, 0, 1, 2};
  expect_bad_file(png, sizeof png, false, "bad magic 0x89504e47 at byte 0");
  const uint8_t bad_type[] = {0, 0, 0x07, 1, 0, 0, 0, 0};
  expect_bad_file(bad_type, sizeof bad_type, true, "bad magic 0x00000701 at byte 0");
  const uint8_t short_header[] = {0, 0, 8};
  expect_bad_file(short_header, sizeof short_header, false,
                  "truncated at byte 3: an IDX header has 4 bytes");
  const uint8_t cut_dims[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0};
  expect_bad_file(cut_dims, sizeof cut_dims, true,
                  "truncated at byte 10: the header of 3 dimensions has 16 bytes");
  const uint8_t cut_data[] = {0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3};
  expect_bad_file(cut_data, sizeof cut_data, true,
                  "size mismatch: the header promises 5 bytes of data from byte 8, the "
                  "file has 3 (truncated at byte 11)");
  const uint8_t extra[] = {0, 0, 0x0B, 1, 0, 0, 0, 1, 1, 2, 3};
  expect_bad_file(
      extra, sizeof extra, false,
      "the header promises 2 bytes of data from byte 8, the file has 3 (extra "
      "bytes at byte 10)");
  const uint8_t many_dims[] = {0, 0, 8, 9};
  expect_bad_file(many_dims, sizeof many_dims, false,
                  "9 dimensions at byte 3; at most 8 are supported");
  tg_idx idx;
  ck_assert_int_eq(tg_idx_read(in_dir("missing.idx"), &idx), -1);
  ck_assert_ptr_nonnull(strstr(tg_last_error(), "missing.idx: cannot open"));
  tg_idx_free(NULL);
  TG_EXPECT_ERROR(tg_idx_tensor(&idx, TG_FLOAT32),
                  "tg_idx_tensor: the IDX data is empty (not read?)");
}
END_TEST

/* ---- FashionMNIST on the fixture ---- */

START_TEST(test_fashion_mnist_fixture) {
  tg_test_write_fashion_fixture(dir, 30, 12);
  tg_dataset *train, *test;
  ck_assert_int_eq(tg_fashion_mnist(dir, true, NULL, &train), 0);
  ck_assert_int_eq(tg_fashion_mnist(dir, false, tg_to_tensor(), &test), 0);
  ck_assert_int_eq(tg_dataset_len(train), 30);
  ck_assert_int_eq(tg_dataset_len(test), 12);
  tg_scope_begin();
  tg_tensor *x, *y;
  tg_dataset_get(train, 13, &x, &y);
  tg_assert_shape(x, TG_SHAPE(1, 28, 28));
  ck_assert_int_eq(x->dtype, TG_FLOAT32);
  ck_assert_int_eq(y->dtype, TG_INT64);
  ck_assert_double_eq(tg_item(y), 3);
  /* class 3's band covers rows 8 .. 10 with values >= 200 */
  ck_assert_double_ge(tg_get(x, (int64_t[]){0, 9, 5}), 200);
  ck_assert_double_le(tg_get(x, (int64_t[]){0, 20, 5}), 63);
  tg_tensor *tx, *ty;
  tg_dataset_get(test, 11, &tx, &ty); /* the last test sample */
  ck_assert_double_le(tg_item(tg_max_all(tx)), 1.0);
  /* a batch equals its samples */
  tg_tensor *bx, *by;
  tg_dataset_get_batch(train, (int64_t[]){13, 2}, 2, &bx, &by);
  tg_assert_shape(bx, TG_SHAPE(2, 1, 28, 28));
  tg_assert_close(tg_select(bx, 0, 0), x, 0, 0, "batch sample 0");
  ck_assert_double_eq(tg_get_flat(by, 1), 2);
  tg_scope_end();
  ck_assert_str_eq(tg_fashion_mnist_classes[9], "Ankle boot");
  tg_dataset_release(train);
  tg_dataset_release(test);
}
END_TEST

/* A second FashionMNIST over the same files with another transform gives
 * what reading them again would, and outlives the first. */
START_TEST(test_fashion_mnist_with_transform_shares_the_files) {
  tg_test_write_fashion_fixture(dir, 30, 12);
  tg_dataset *raw, *scaled;
  ck_assert_int_eq(tg_fashion_mnist(dir, true, NULL, &raw), 0);
  ck_assert_int_eq(tg_fashion_mnist(dir, true, tg_to_tensor(), &scaled), 0);
  tg_dataset *shared = tg_fashion_mnist_with_transform(raw, tg_to_tensor());
  tg_dataset *again = tg_fashion_mnist_with_transform(shared, NULL);
  tg_dataset_release(raw); /* the files stay while a sharer holds them */
  ck_assert_int_eq(tg_dataset_len(shared), 30);
  tg_scope_begin();
  tg_tensor *x, *y, *sx, *sy, *rx, *ry;
  for (int64_t i = 0; i < 30; i += 7) {
    tg_dataset_get(shared, i, &x, &y);
    tg_dataset_get(scaled, i, &sx, &sy);
    tg_assert_close(x, sx, 0, 0, "shared sample");
    ck_assert_double_eq(tg_item(y), tg_item(sy));
    tg_dataset_get(again, i, &rx, &ry);
    tg_assert_close(tg_div_scalar(rx, 255), sx, 0, 0, "raw sample of a sharer's sharer");
  }
  tg_scope_end();
  tg_dataset_release(shared);
  tg_dataset_release(scaled);
  tg_dataset_release(again);
  tg_scope_begin();
  tg_dataset *tensors = tg_tensor_dataset_new(tg_zeros(TG_SHAPE(2, 3), TG_FLOAT32), NULL);
  TG_EXPECT_ERROR(tg_fashion_mnist_with_transform(tensors, tg_to_tensor()),
                  "tg_fashion_mnist_with_transform: expected a FashionMNIST dataset, got "
                  "TensorDataset");
  TG_EXPECT_ERROR(tg_fashion_mnist_with_transform(NULL, NULL),
                  "tg_fashion_mnist_with_transform: expected a FashionMNIST dataset, got "
                  "NULL");
  tg_dataset_release(tensors);
  tg_scope_end();
}
END_TEST

START_TEST(test_fashion_mnist_errors) {
  tg_dataset *ds = (tg_dataset *)1;
  ck_assert_int_eq(tg_fashion_mnist(in_dir("nowhere"), true, tg_to_tensor(), &ds), -1);
  ck_assert_ptr_null(ds);
  ck_assert_ptr_nonnull(strstr(tg_last_error(), "nowhere/train-images-idx3-ubyte"));
  /* 3 images, 2 labels */
  uint8_t zeros[3 * 784] = {0};
  tg_test_write_idx(in_dir("train-images-idx3-ubyte"), TG_IDX_UBYTE, 3,
                    (uint32_t[]){3, 28, 28}, zeros, sizeof zeros, false);
  tg_test_write_idx(in_dir("train-labels-idx1-ubyte.gz"), TG_IDX_UBYTE, 1,
                    (uint32_t[]){2}, zeros, 2, true);
  ck_assert_int_eq(tg_fashion_mnist(dir, true, NULL, &ds), -1);
  ck_assert_ptr_nonnull(strstr(tg_last_error(), "3 images but 2 labels"));
  uint8_t labels[3] = {1, 12, 0};
  tg_test_write_idx(in_dir("train-labels-idx1-ubyte.gz"), TG_IDX_UBYTE, 1,
                    (uint32_t[]){3}, labels, 3, true);
  ck_assert_int_eq(tg_fashion_mnist(dir, true, NULL, &ds), -1);
  ck_assert_ptr_nonnull(strstr(
      tg_last_error(), "label 12 at byte 9 of the labels is not a class (0 .. 9)"));
  tg_test_write_idx(in_dir("train-labels-idx1-ubyte.gz"), TG_IDX_SHORT, 1,
                    (uint32_t[]){3}, zeros, 6, true);
  ck_assert_int_eq(tg_fashion_mnist(dir, true, NULL, &ds), -1);
  ck_assert_ptr_nonnull(strstr(tg_last_error(), "expected ubyte images (N, H, W)"));
}
END_TEST

/* The real files, when the package is installed. */
START_TEST(test_fashion_mnist_debian_package) {
  if (access(TG_FASHION_MNIST_ROOT "/t10k-labels-idx1-ubyte.gz", R_OK) != 0) {
    printf("test_fashion_mnist_debian_package: skipped, " TG_FASHION_MNIST_ROOT
           " is absent (apt-get install dataset-fashion-mnist)\n");
    return;
  }
  tg_dataset *test;
  ck_assert_int_eq(tg_fashion_mnist(NULL, false, tg_to_tensor(), &test), 0);
  ck_assert_int_eq(tg_dataset_len(test), 10000);
  tg_scope_begin();
  tg_tensor *x, *y;
  tg_dataset_get(test, 0, &x, &y);
  ck_assert_double_eq(tg_item(y), 9); /* torchvision: test[0] is an ankle boot */
  tg_dataset_get(test, 1, &x, &y);
  ck_assert_double_eq(tg_item(y), 2);
  tg_assert_shape(x, TG_SHAPE(1, 28, 28));
  tg_scope_end();
  tg_dataset_release(test);
}
END_TEST

/* ---- transforms against torchvision's code ---- */

static const double MEAN[2] = {0.5, 0.25}, STD[2] = {0.2, 0.4};

static void expect_golden(tg_tensor *got, const char *name) {
  tg_tensor *want = tg_golden_tensor(golden, name, TG_FLOAT32);
  tg_assert_shape(got, tg_shape_of(want));
  tg_assert_close(got, want, 0, 0, name); /* the same float32 operations */
}

START_TEST(test_transforms_match_torchvision) {
  tg_scope_begin();
  tg_tensor *image = tg_golden_tensor(golden, "image", TG_FLOAT32);
  tg_transform *chain = tg_compose(
      (tg_transform *[]){tg_random_horizontal_flip(0.5), tg_random_crop(4, 5, 1),
                         tg_to_tensor(), tg_normalize_image(MEAN, STD, 2)},
      4);
  tg_manual_seed(3);
  for (int k = 0; k < 8; k++) {
    char name[32];
    snprintf(name, sizeof name, "chain.%d", k);
    expect_golden(tg_transform_apply(chain, image), name);
  }
  tg_transform *crop = tg_random_crop(5, 6, 2);
  tg_manual_seed(11);
  for (int k = 0; k < 4; k++) {
    char name[32];
    snprintf(name, sizeof name, "crop_only.%d", k);
    expect_golden(tg_transform_apply(crop, image), name);
  }
  tg_transform *flip = tg_random_horizontal_flip(1.0), *to_tensor = tg_to_tensor();
  tg_transform *norm = tg_normalize_image(MEAN, STD, 2);
  expect_golden(tg_transform_apply(flip, image), "flip_always");
  expect_golden(tg_transform_apply(to_tensor, image), "to_tensor");
  expect_golden(tg_transform_apply(norm, tg_transform_apply(to_tensor, image)),
                "normalize");
  /* a full-size crop without padding draws nothing */
  tg_transform *same = tg_random_crop(5, 6, 0);
  tg_manual_seed(5);
  tg_tensor *kept = tg_transform_apply(same, image);
  double next = tg_item(tg_rand(TG_SHAPE(1), TG_FLOAT64));
  tg_manual_seed(5);
  ck_assert_double_eq(next, tg_item(tg_rand(TG_SHAPE(1), TG_FLOAT64)));
  tg_assert_close(kept, image, 0, 0, "full-size crop");
  tg_scope_end();
  tg_transform *all[] = {chain, crop, flip, to_tensor, norm, same};
  for (int i = 0; i < 6; i++) tg_transform_free(all[i]);
}
END_TEST

START_TEST(test_transform_errors) {
  tg_scope_begin();
  tg_tensor *image = tg_zeros(TG_SHAPE(1, 4, 4), TG_FLOAT32);
  tg_transform *crop = tg_random_crop(7, 7, 1), *norm = tg_normalize_image(MEAN, STD, 2);
  TG_EXPECT_ERROR(tg_transform_apply(crop, image),
                  "RandomCrop: required crop size (7, 7) is larger than the padded image "
                  "(6, 6)");
  TG_EXPECT_ERROR(tg_transform_apply(norm, image),
                  "Normalize: the image has 1 channels, mean and std have 2");
  TG_EXPECT_ERROR(tg_transform_apply(norm, tg_zeros(TG_SHAPE(4, 4), TG_FLOAT32)),
                  "Normalize: expected a (C, H, W) image, got shape (4x4)");
  TG_EXPECT_ERROR(tg_transform_apply(NULL, image),
                  "tg_transform_apply: the transform or the image is NULL");
  TG_EXPECT_ERROR(tg_normalize_image(MEAN, (double[]){1, 0}, 2),
                  "tg_normalize_image: std evaluated to zero for channel 1");
  TG_EXPECT_ERROR(
      tg_normalize_image(NULL, STD, 2),
      "tg_normalize_image: needs mean and std for at least one channel, got 2");
  TG_EXPECT_ERROR(tg_random_horizontal_flip(1.5),
                  "tg_random_horizontal_flip: p must be between 0 and 1, got 1.5");
  TG_EXPECT_ERROR(
      tg_random_crop(0, 3, 1),
      "tg_random_crop: size must be positive and padding >= 0, got (0, 3) and 1");
  TG_EXPECT_ERROR(tg_compose(NULL, 2), "tg_compose: transforms is NULL with n = 2");
  TG_EXPECT_ERROR(tg_compose((tg_transform *[]){NULL}, 1),
                  "tg_compose: transform 0 is NULL");
  tg_transform *empty = tg_compose(NULL, 0);
  tg_assert_close(tg_transform_apply(empty, image), image, 0, 0, "empty Compose");
  tg_scope_end();
  tg_transform_free(empty);
  tg_transform_free(crop);
  tg_transform_free(norm);
  tg_transform_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("vision");
  TCase *tc = tcase_create("vision");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_idx_ubyte_plain_and_gzip);
  tcase_add_test(tc, test_idx_wide_types);
  tcase_add_test(tc, test_idx_errors);
  tcase_add_test(tc, test_fashion_mnist_fixture);
  tcase_add_test(tc, test_fashion_mnist_errors);
  tcase_add_test(tc, test_fashion_mnist_with_transform_shares_the_files);
  tcase_add_test(tc, test_fashion_mnist_debian_package);
  tcase_add_test(tc, test_transforms_match_torchvision);
  tcase_add_test(tc, test_transform_errors);
  suite_add_tcase(s, tc);
  return tg_test_run(s);
}
