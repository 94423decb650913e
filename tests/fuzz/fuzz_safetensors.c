/* libFuzzer target for the in-memory safetensors parser.
 *
 * Beyond "no crash, no leak, no out-of-bounds read" (ASan's job), it checks
 * what a successful parse promises: every tensor's bytes lie inside the
 * input, tile the data section exactly in file order, match shape x dtype,
 * and names are unique. Build and run: see README.md beside this file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tensorgrad/safetensors.h"

static void check_invariants(const uint8_t *data, size_t size, const tg_st_file *f) {
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; i--) header_len = header_len << 8 | data[i];
  const uint8_t *next = data + 8 + header_len;
  for (size_t i = 0; i < f->ntensors; i++) {
    const tg_st_tensor *t = &f->tensors[i];
    uint64_t bytes = tg_st_dtype_size(t->dtype);
    for (int d = 0; d < t->ndim; d++) bytes *= (uint64_t)t->shape[d];
    if (t->data != next || bytes != t->nbytes) abort();
    next += t->nbytes;
    for (size_t j = 0; j < i; j++)
      if (strcmp(f->tensors[j].name, t->name) == 0) abort();
  }
  if (next != data + size) abort();
  for (size_t i = 0; i < f->nmeta; i++)
    if (!f->meta[i].key || !f->meta[i].value) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tg_st_file *f;
  if (tg_safetensors_parse(data, size, "fuzz", &f) == 0) {
    check_invariants(data, size, f);
    tg_safetensors_free(f);
  }
  return 0;
}
