/* libFuzzer target for the IDX reader (plain and gzip, zlib tells them
 * apart): every input must load or give -1 with a message naming the file;
 * a crash, a leak or UB is a finding. An accepted file must hold exactly
 * numel elements, and converting them to a tensor of every dtype the type
 * allows must work. Seeds: corpus_idx/. */
#include <string.h>

#include "tensorgrad.h"
#include "tensorgrad/vision.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_input_file(data, size, ".idx");
  tg_idx idx;
  if (tg_idx_read(path, &idx) != 0) {
    if (!strstr(tg_last_error(), path)) abort();
    return 0;
  }
  int64_t numel = 1;
  for (int d = 0; d < idx.ndim; d++) numel *= idx.dims[d];
  if (numel != idx.numel) abort();
  bool floating = idx.type == TG_IDX_FLOAT || idx.type == TG_IDX_DOUBLE;
  tg_dtype dtypes[] = {TG_FLOAT32, TG_FLOAT64, TG_INT64, TG_BOOL};
  for (int i = 0; i < (floating ? 2 : 4); i++) {
    tg_tensor *t = tg_idx_tensor(&idx, dtypes[i]);
    if (tg_numel(t) != numel) abort();
    tg_release(t);
  }
  tg_idx_free(&idx);
  return 0;
}
