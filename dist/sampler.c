/* DistributedSampler: which samples of the data set this rank trains on in
 * an epoch, with torch.utils.data.DistributedSampler's arithmetic, so that
 * a PyTorch job and a tensorgrad job split the same data the same way. */
#include <stdlib.h>

#include "tensorgrad/dist.h"

tg_distributed_sampler tg_distributed_sampler_make(int64_t dataset_len, int num_replicas,
                                                   int rank, bool shuffle, uint64_t seed,
                                                   bool drop_last) {
  if (num_replicas < 0) num_replicas = tg_dist_world_size();
  if (rank < 0) rank = tg_dist_rank();
  if (num_replicas == 0 || rank >= num_replicas)
    tg_error("tg_distributed_sampler_make: invalid rank %d, rank should be in the "
             "interval [0, %d]",
             rank, num_replicas - 1);
  if (dataset_len < 0)
    tg_error("tg_distributed_sampler_make: dataset_len must be non-negative, got %lld",
             (long long)dataset_len);
  tg_distributed_sampler s = {
      dataset_len, num_replicas, rank, shuffle, drop_last, seed, 0, 0, 0};
  /* PyTorch: split to the nearest length that divides evenly, dropping the
   * tail with drop_last, padding it otherwise */
  if (drop_last && dataset_len % num_replicas != 0)
    s.num_samples = (dataset_len - num_replicas + num_replicas - 1) / num_replicas;
  else
    s.num_samples = (dataset_len + num_replicas - 1) / num_replicas;
  if (s.num_samples < 0) s.num_samples = 0;
  s.total_size = s.num_samples * num_replicas;
  return s;
}

void tg_distributed_sampler_set_epoch(tg_distributed_sampler *s, int64_t epoch) {
  s->epoch = epoch;
}

int64_t tg_distributed_sampler_len(const tg_distributed_sampler *s) {
  return s->num_samples;
}

/* The epoch's order of all samples: randperm from seed + epoch, or 0..n-1. */
static int64_t *epoch_order(const tg_distributed_sampler *s) {
  int64_t n = s->dataset_len;
  int64_t *order = malloc(sizeof *order * (size_t)(n > 0 ? n : 1));
  if (!order) tg_error("tg_distributed_sampler_indices: out of memory");
  if (s->shuffle) {
    tg_generator *g = tg_generator_new(s->seed + (uint64_t)s->epoch);
    tg_randperm_into(g, n, order);
    tg_generator_free(g);
  } else {
    for (int64_t i = 0; i < n; i++) order[i] = i;
  }
  return order;
}

void tg_distributed_sampler_indices(const tg_distributed_sampler *s, int64_t *out) {
  int64_t n = s->dataset_len;
  if (s->num_samples == 0) return;
  int64_t *order = epoch_order(s);
  /* position k of the padded (or cut) list is order[k mod n]: padding
   * repeats the list from its start, as many times as needed */
  for (int64_t j = 0; j < s->num_samples; j++) {
    int64_t k = s->rank + j * s->num_replicas;
    out[j] = order[k % n];
  }
  free(order);
}

tg_dataset *tg_distributed_sampler_subset(const tg_distributed_sampler *s,
                                          tg_dataset *ds) {
  if (tg_dataset_len(ds) != s->dataset_len)
    tg_error("tg_distributed_sampler_subset: the sampler was made for %lld samples but "
             "%s has %lld",
             (long long)s->dataset_len, ds->vtable->name, (long long)tg_dataset_len(ds));
  int64_t *indices =
      malloc(sizeof *indices * (size_t)(s->num_samples ? s->num_samples : 1));
  if (!indices) tg_error("tg_distributed_sampler_subset: out of memory");
  tg_distributed_sampler_indices(s, indices);
  tg_dataset *subset = tg_subset_new(ds, indices, s->num_samples);
  free(indices);
  return subset;
}
