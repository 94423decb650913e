/* libFuzzer target for the word-list loader (makemore): every input must
 * load or give -1 with a message naming the file; a crash, a leak or UB is
 * a finding. Every accepted word is non-empty lowercase a-z, and the
 * vocabulary and the dataset built from them must work. Seeds: corpus_words/. */
#include <string.h>

#include "tensorgrad.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_input_file(data, size, ".txt");
  tg_words w;
  if (tg_words_load(path, &w) != 0) {
    if (!strstr(tg_last_error(), path)) abort();
    return 0;
  }
  for (int64_t i = 0; i < w.n; i++) {
    size_t n = strlen(w.words[i]);
    if (n == 0 || (int64_t)n > w.max_len) abort();
    for (size_t c = 0; c < n; c++)
      if (w.words[i][c] < 'a' || w.words[i][c] > 'z') abort();
  }
  tg_char_vocab v;
  tg_char_vocab_build(&v, &w);
  tg_dataset *ds = tg_words_dataset_new(&w, &v, w.max_len + 1);
  tg_dataset_release(ds);
  tg_words_free(&w);
  return 0;
}
