/* tensorgrad/png.h - PNG encode, atomic write and safe read through libpng.
 *
 * Pixels are 8-bit, row-major, tightly packed, with `channels` bytes per
 * pixel: 1 (gray), 3 (RGB) or 4 (RGBA). Every function returns 0 on success
 * or, when the file system or a file fails it, -1 with the reason in
 * tg_last_error(), e.g.
 *   "tg_png_write: out/loss.png: cannot create temporary file: No such file..."
 * A corrupt, truncated or hostile PNG file is such a failure, never a crash.
 * The calling code's mistakes (NULL pointers, a size <= 0, channels other
 * than 1, 3 or 4) go to tg_error.
 */
#ifndef TENSORGRAD_PNG_H
#define TENSORGRAD_PNG_H

#include "tensorgrad/export.h"

#include <stddef.h>
#include <stdint.h>

TG_API_BEGIN

/* Encodes the image as a PNG in memory; *out is malloc'd (caller frees) and
 * holds *out_len bytes. TensorBoard image summaries embed these bytes. */
int tg_png_encode(const uint8_t *pixels, int width, int height, int channels,
                  uint8_t **out, size_t *out_len);

/* Writes the image to `path` atomically: the bytes go to a temporary file in
 * the same directory, are fsync'd, then renamed over `path`, so a crash never
 * leaves a half-written file behind. */
int tg_png_write(const char *path, const uint8_t *pixels, int width, int height,
                 int channels);

/* Reads any PNG (palette, 16-bit, interlaced, gray+alpha are converted) into
 * 8-bit pixels with 1 (gray), 3 (RGB) or 4 (RGBA) channels; gray+alpha
 * becomes RGBA. *pixels is malloc'd (caller frees). */
int tg_png_read(const char *path, uint8_t **pixels, int *width, int *height,
                int *channels);

TG_API_END

#endif
