/* libFuzzer target for the CSV loader (plain and gzip, zlib tells them
 * apart): the first byte picks the options, the rest is the file. Every
 * input must load or give -1 with a message; a crash, a leak or UB is a
 * finding. A successful load must hold finite features only. Seeds:
 * corpus_csv/. */
#include <math.h>

#include "tensorgrad.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  tg_csv_options o = tg_csv_defaults();
  o.delimiter = data[0] & 1 ? ';' : ',';
  o.header = data[0] & 2;
  o.label_column = data[0] & 4 ? TG_CSV_NO_LABEL : -1;
  o.skip_rows = (data[0] >> 3) & 3;
  const char *path = fuzz_input_file(data + 1, size - 1, ".csv");
  tg_bunch b;
  if (tg_load_csv(path, data[0] & 32 ? NULL : &o, &b) == 0) {
    for (int64_t i = 0; i < b.n_samples * b.n_features; i++)
      if (!isfinite(b.X[i])) abort();
    tg_bunch_free(&b);
  }
  return 0;
}
