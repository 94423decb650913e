/* libFuzzer target for the PNG reader: every input must decode or give -1
 * with a message naming the file; a crash, a leak or UB is a finding. A
 * decoded image has positive sizes and 1, 3 or 4 channels. Seeds:
 * corpus_png/. */
#include <string.h>

#include "tensorgrad.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_input_file(data, size, ".png");
  uint8_t *pixels;
  int width, height, channels;
  if (tg_png_read(path, &pixels, &width, &height, &channels) != 0) {
    if (!strstr(tg_last_error(), path)) abort();
    return 0;
  }
  if (width <= 0 || height <= 0 || (channels != 1 && channels != 3 && channels != 4))
    abort();
  volatile uint8_t last = pixels[(size_t)width * height * channels - 1];
  (void)last;
  free(pixels);
  return 0;
}
