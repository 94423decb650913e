/* DataLoader: batches of a dataset in order or shuffled, drawing randomness
 * exactly where PyTorch 1.13's single-process loader does, so that seeded C
 * and Python programs see the same batches:
 *
 *   iter(loader)   _BaseDataLoaderIter.__init__ draws a base seed,
 *                  torch.empty((), dtype=torch.int64).random_(): random64()
 *                  % 2^63 from the global generator, shuffling or not.
 *   first next()   RandomSampler.__iter__ draws another the same way, seeds
 *                  a fresh torch.Generator with it and takes randperm(n).
 */
#include <stdlib.h>

#include "tensorgrad/data.h"

struct tg_dataloader {
  tg_dataset *dataset;
  int64_t batch_size;
  bool shuffle;
  bool drop_last;
};

tg_dataloader *tg_dataloader_new(tg_dataset *ds, int64_t batch_size, bool shuffle,
                                 bool drop_last) {
  if (!ds) tg_error("tg_dataloader_new: the dataset is NULL");
  if (batch_size <= 0)
    tg_error("tg_dataloader_new: batch_size should be a positive integer, got %lld",
             (long long)batch_size);
  if (tg_dataset_len(ds) <= 0)
    tg_error(
        "tg_dataloader_new: the dataset (%s) is empty; a DataLoader needs at least one "
        "sample",
        ds->vtable->name);
  tg_dataloader *loader = malloc(sizeof *loader);
  if (!loader) tg_error("tg_dataloader_new: out of memory");
  loader->dataset = tg_dataset_retain(ds);
  loader->batch_size = batch_size;
  loader->shuffle = shuffle;
  loader->drop_last = drop_last;
  return loader;
}

void tg_dataloader_free(tg_dataloader *loader) {
  if (!loader) return;
  tg_dataset_release(loader->dataset);
  free(loader);
}

int64_t tg_dataloader_len(const tg_dataloader *loader) {
  int64_t n = tg_dataset_len(loader->dataset), b = loader->batch_size;
  return loader->drop_last ? n / b : (n + b - 1) / b;
}

/* torch.empty((), dtype=torch.int64).random_(): the full non-negative
 * int64 range, from one 64-bit draw. */
static uint64_t draw_int64_seed(void) {
  return tg_random_u64() % (1ull << 63);
}

tg_loader_iter tg_loader_begin(tg_dataloader *loader) {
  (void)draw_int64_seed(); /* the workers' base seed: unused, but drawn */
  return (tg_loader_iter){loader, NULL, 0, NULL, NULL, false};
}

static int64_t *epoch_order(const tg_dataloader *loader) {
  int64_t n = tg_dataset_len(loader->dataset);
  int64_t *order = malloc(sizeof *order * (size_t)n);
  if (!order)
    tg_error("tg_loader_next: out of memory for the order of %lld samples", (long long)n);
  if (loader->shuffle) {
    tg_generator *gen = tg_generator_new(draw_int64_seed());
    tg_randperm_into(gen, n, order);
    tg_generator_free(gen);
  } else {
    for (int64_t i = 0; i < n; i++) order[i] = i;
  }
  return order;
}

void tg_loader_end(tg_loader_iter *it) {
  tg_release(it->X);
  tg_release(it->Y);
  free(it->order);
  it->X = it->Y = NULL;
  it->order = NULL;
  it->done = true;
}

bool tg_loader_next(tg_loader_iter *it, tg_tensor **X, tg_tensor **Y) {
  tg_release(it->X);
  tg_release(it->Y);
  it->X = it->Y = *X = *Y = NULL;
  if (it->done) return false;
  const tg_dataloader *loader = it->loader;
  if (!it->order) it->order = epoch_order(loader);
  int64_t left = tg_dataset_len(loader->dataset) - it->next;
  int64_t size = left < loader->batch_size ? left : loader->batch_size;
  if (size == 0 || (loader->drop_last && size < loader->batch_size)) {
    tg_loader_end(it);
    return false;
  }
  /* The batch must outlive every scope the caller opens or closes until the
   * next call, so the iterator holds its own reference. */
  tg_scope_begin();
  tg_tensor *x, *y;
  tg_dataset_get_batch(loader->dataset, it->order + it->next, size, &x, &y);
  it->X = tg_retain(x);
  it->Y = y ? tg_retain(y) : NULL;
  tg_scope_end();
  it->next += size;
  *X = it->X;
  *Y = it->Y;
  return true;
}
