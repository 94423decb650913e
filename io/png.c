/* PNG encode / atomic write / safe read on top of libpng.
 *
 * libpng reports errors by calling an error function that must not return;
 * we copy its message and longjmp back. Each setjmp lives in a small helper
 * that changes none of its own locals afterwards, so nothing the caller reads
 * after a longjmp is indeterminate (C11 7.13.2.1). */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkstemp, fsync, fchmod */
#endif

#include "io/atomic_file.h"
#include "tensorgrad/png.h"
#include "tensorgrad/tensor.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Refuse images above 1 GiB of pixels: a corrupt header must not make us try
 * to allocate absurd amounts of memory. */
#define MAX_PIXEL_BYTES ((size_t)1 << 30)

typedef struct {
  char message[256];
} png_failure;

static void on_png_error(png_structp png, png_const_charp message) {
  png_failure *failure = png_get_error_ptr(png);
  snprintf(failure->message, sizeof failure->message, "%s", message);
  png_longjmp(png, 1);
}

/* Warnings (unknown chunks, a bad gamma value) do not stop decoding and a
 * library must not print on the user's stderr, so they are dropped. */
static void on_png_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

/* Checks the arguments shared by encode and write; returns NULL if fine. */
static const char *invalid_image(const uint8_t *pixels, int width, int height,
                                 int channels) {
  if (!pixels) return "pixels is NULL";
  if (width <= 0 || height <= 0) return "width and height must be positive";
  if (channels != 1 && channels != 3 && channels != 4)
    return "channels must be 1 (gray), 3 (RGB) or 4 (RGBA)";
  if ((size_t)width * (size_t)height > MAX_PIXEL_BYTES / (size_t)channels)
    return "image larger than 1 GiB";
  return NULL;
}

/* ---- encoding into memory ---------------------------------------------- */

typedef struct {
  uint8_t *data;
  size_t len, cap;
} byte_buffer;

static void append_to_buffer(png_structp png, png_bytep bytes, size_t n) {
  byte_buffer *buf = png_get_io_ptr(png);
  if (buf->len + n > buf->cap) {
    size_t cap = buf->cap ? buf->cap : 4096;
    while (cap < buf->len + n) cap *= 2;
    uint8_t *grown = realloc(buf->data, cap);
    if (!grown) png_error(png, "out of memory");
    buf->data = grown;
    buf->cap = cap;
  }
  memcpy(buf->data + buf->len, bytes, n);
  buf->len += n;
}

static void flush_nothing(png_structp png) {
  (void)png;
}

static int encode_rows(png_structp png, png_infop info, const uint8_t *pixels, int width,
                       int height, int channels, byte_buffer *buf) {
  static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, 0, PNG_COLOR_TYPE_RGB,
                                     PNG_COLOR_TYPE_RGB_ALPHA};
  if (setjmp(png_jmpbuf(png))) return -1;
  png_set_write_fn(png, buf, append_to_buffer, flush_nothing);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
               color_types[channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  /* Figures are mostly flat colour: the Sub filter alone compresses them
   * about as well as libpng's per-row search over all five, in a third of
   * the time. */
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_write_info(png, info);
  size_t stride = (size_t)width * (size_t)channels;
  for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * stride);
  png_write_end(png, info);
  return 0;
}

/* Encodes into *out; on failure sets "<who>: <reason>". The image's
 * description is the calling code's: a bad one is a tg_error. */
static int encode(const char *who, const uint8_t *pixels, int width, int height,
                  int channels, uint8_t **out, size_t *out_len) {
  const char *invalid = invalid_image(pixels, width, height, channels);
  if (invalid) tg_error("%s: %s", who, invalid);
  png_failure failure = {"out of memory"};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error,
                                            on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  byte_buffer buf = {0};
  int rc = info ? encode_rows(png, info, pixels, width, height, channels, &buf) : -1;
  png_destroy_write_struct(&png, &info);
  if (rc != 0) {
    free(buf.data);
    tg_set_last_error("%s: %s", who, failure.message);
    return -1;
  }
  *out = buf.data;
  *out_len = buf.len;
  return 0;
}

int tg_png_encode(const uint8_t *pixels, int width, int height, int channels,
                  uint8_t **out, size_t *out_len) {
  if (!out || !out_len) tg_error("tg_png_encode: out and out_len must not be NULL");
  return encode("tg_png_encode", pixels, width, height, channels, out, out_len);
}

/* ---- atomic write -------------------------------------------------------- */

/* A crash mid-save leaves the previous picture (io/atomic_file.c). */
static int write_atomically(const char *path, const uint8_t *bytes, size_t n) {
  tg_atomic_file f;
  if (tg_atomic_open(&f, path, "tg_png_write") != 0) return -1;
  if (tg_atomic_write(&f, bytes, n) != 0) {
    tg_atomic_abort(&f);
    return -1;
  }
  return tg_atomic_commit(&f);
}

int tg_png_write(const char *path, const uint8_t *pixels, int width, int height,
                 int channels) {
  if (!path) tg_error("tg_png_write: path is NULL");
  char who[4200];
  snprintf(who, sizeof who, "tg_png_write: %s", path);
  uint8_t *bytes;
  size_t n;
  if (encode(who, pixels, width, height, channels, &bytes, &n) != 0) return -1;
  int rc = write_atomically(path, bytes, n);
  free(bytes);
  return rc;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct {
  FILE *file;
  long size;         /* the file's bytes */
  long offset;       /* bytes consumed so far, for the error message */
  char message[128]; /* png_error keeps only the pointer */
} file_reader;

static void read_from_file(png_structp png, png_bytep bytes, size_t n) {
  file_reader *reader = png_get_io_ptr(png);
  size_t got = fread(bytes, 1, n, reader->file);
  reader->offset += (long)got;
  if (got != n) {
    snprintf(reader->message, sizeof reader->message, "%s at byte %ld",
             ferror(reader->file) ? "read error" : "file truncated", reader->offset);
    png_error(png, reader->message);
  }
}

typedef struct {
  uint8_t *pixels;
  png_bytep *rows;
  int width, height, channels;
} decoded_image;

/* Asks libpng to deliver 8-bit gray, RGB or RGBA whatever the file holds. */
static void request_8bit_gray_rgb_or_rgba(png_structp png, png_infop info) {
  int color_type = png_get_color_type(png, info);
  png_set_expand(png); /* palette -> RGB, 1/2/4-bit gray -> 8-bit, tRNS -> alpha */
  png_set_strip_16(png);
  bool alpha =
      (color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
  if (!(color_type & PNG_COLOR_MASK_COLOR) && alpha) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
}

static int decode_rows(png_structp png, png_infop info, file_reader *reader,
                       decoded_image *img) {
  if (setjmp(png_jmpbuf(png))) return -1;
  png_set_read_fn(png, reader, read_from_file);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  request_8bit_gray_rgb_or_rgba(png, info);
  img->width = (int)png_get_image_width(png, info);
  img->height = (int)png_get_image_height(png, info);
  img->channels = png_get_channels(png, info);
  size_t stride = png_get_rowbytes(png, info);
  if (stride != (size_t)img->width * (size_t)img->channels)
    png_error(png, "unsupported pixel layout");
  if ((size_t)img->height > MAX_PIXEL_BYTES / stride)
    png_error(png, "image larger than 1 GiB");
  /* deflate expands at most 1032-fold, and an 8-bit pixel comes from at
   * least one bit of a 1-bit palette image (32x as RGBA): a header asking
   * for more than the file can hold is refused before the allocation. */
  if ((double)stride * img->height > 32.0 * 1032.0 * (double)reader->size) {
    snprintf(reader->message, sizeof reader->message,
             "%dx%d pixels cannot come from %ld bytes", img->width, img->height,
             reader->size);
    png_error(png, reader->message);
  }
  img->pixels = malloc(stride * (size_t)img->height);
  img->rows = malloc(sizeof *img->rows * (size_t)img->height);
  if (!img->pixels || !img->rows) png_error(png, "out of memory");
  for (int y = 0; y < img->height; y++) img->rows[y] = img->pixels + (size_t)y * stride;
  png_read_image(png, img->rows);
  png_read_end(png, NULL);
  return 0;
}

/* Opens `path` and checks the 8-byte signature; NULL with the error set. */
static FILE *open_png(const char *path) {
  int fd = tg_open_regular(path); /* a FIFO or device must not block the read */
  FILE *file = fd < 0 ? NULL : fdopen(fd, "rb");
  if (!file) {
    char reason[1024];
    snprintf(reason, sizeof reason, "%s", fd < 0 ? tg_last_error() : strerror(errno));
    if (fd >= 0) close(fd);
    tg_set_last_error("tg_png_read: %s", reason);
    return NULL;
  }
  png_byte signature[8];
  size_t got = fread(signature, 1, sizeof signature, file);
  if (got != sizeof signature || png_sig_cmp(signature, 0, sizeof signature) != 0) {
    tg_set_last_error("tg_png_read: %s: not a PNG file (bad signature at byte 0)", path);
    fclose(file);
    return NULL;
  }
  return file;
}

int tg_png_read(const char *path, uint8_t **pixels, int *width, int *height,
                int *channels) {
  if (!path || !pixels || !width || !height || !channels)
    tg_error("tg_png_read: path and output pointers must not be NULL");
  FILE *file = open_png(path);
  if (!file) return -1;
  png_failure failure = {"out of memory"};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error,
                                           on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  struct stat st;
  file_reader reader = {file, fstat(fileno(file), &st) == 0 ? (long)st.st_size : 0, 8,
                        ""};
  decoded_image img = {0};
  int rc = info ? decode_rows(png, info, &reader, &img) : -1;
  png_destroy_read_struct(&png, &info, NULL);
  fclose(file);
  free(img.rows);
  if (rc != 0) {
    free(img.pixels);
    tg_set_last_error("tg_png_read: %s: %s", path, failure.message);
    return -1;
  }
  *pixels = img.pixels;
  *width = img.width;
  *height = img.height;
  *channels = img.channels;
  return 0;
}
