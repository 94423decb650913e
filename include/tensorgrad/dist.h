/* tensorgrad/dist.h - data-parallel training over MPI, in the shape of
 * torch.distributed and DistributedDataParallel.
 *
 * An optional part of tensorgrad: the library tensorgrad_dist, built when
 * CMake finds MPI (Open MPI: apt-get install libopenmpi-dev openmpi-bin). It
 * is not included by tensorgrad.h; include this header and link
 * tensorgrad::tensorgrad_dist (or pkg-config tensorgrad-dist). Each process
 * of `mpirun -np N prog` is one rank:
 *
 *   tg_dist_init(&argc, &argv);                   // dist.init_process_group
 *   tg_module *model = tg_ddp(make_model(), NULL); // DDP(model)
 *   tg_distributed_sampler s = tg_distributed_sampler_make(len, -1, -1, true, seed,
 * false); for (epoch ...) { tg_distributed_sampler_set_epoch(&s, epoch); tg_dataset *mine
 * = tg_distributed_sampler_subset(&s, train_set); tg_dataloader *loader =
 * tg_dataloader_new(mine, B, false, false);
 *     ... forward through model, tg_backward (gradients averaged), step ...
 *   }
 *   if (tg_dist_rank() == 0) save a checkpoint of tg_ddp_module(model);
 *   tg_dist_finalize();
 *
 * Faults: tg_dist_init installs tg_dist_error_handler, so a tensorgrad error
 * on any rank prints "tensorgrad: rank R of N: <message>" and MPI_Abort()s
 * the whole job; a rank that dies is reported by mpirun, which stops the
 * others. Every collective is non-blocking and polled with a timeout
 * (TG_DIST_TIMEOUT seconds in the environment, default 300), so a rank that
 * hangs makes the others stop with an error instead of waiting forever.
 */
#ifndef TENSORGRAD_DIST_H
#define TENSORGRAD_DIST_H

#include <stdbool.h>
#include <stdint.h>

#include "tensorgrad/export.h"

#include "tensorgrad/data.h"
#include "tensorgrad/nn.h"

TG_API_BEGIN

/* ---- the process group ------------------------------------------------------- */

/* MPI_Init (unless the program already did), the error handler, the timeout.
 * argc/argv may be NULL. Returns 0, or -1 with tg_last_error() set. */
int tg_dist_init(int *argc, char ***argv);
/* Waits for every rank, then MPI_Finalize if tg_dist_init initialized MPI. */
void tg_dist_finalize(void);
bool tg_dist_is_initialized(void);
int tg_dist_rank(void);       /* 0 .. world_size - 1; 0 before tg_dist_init */
int tg_dist_world_size(void); /* 1 before tg_dist_init */
void tg_dist_barrier(void);
/* Seconds a collective may wait for the other ranks before it is an error. */
void tg_dist_set_timeout(double seconds);
double tg_dist_timeout(void);
/* The error handler tg_dist_init installs: prints the message with the rank
 * to stderr and aborts every rank (MPI_Abort). */
void tg_dist_error_handler(const char *message, void *user);

/* ---- collectives on tensors (in place, every rank calls them in the same order) */

typedef enum { TG_DIST_SUM = 0, TG_DIST_MEAN, TG_DIST_MAX, TG_DIST_MIN } tg_dist_op;

/* t (contiguous float32, float64 or int64; MEAN needs a float) becomes the
 * reduction of every rank's t, e.g. a global validation accuracy. */
void tg_dist_all_reduce(tg_tensor *t, tg_dist_op op);
/* Every rank's t becomes root's t (same shape and dtype on every rank). */
void tg_dist_broadcast(tg_tensor *t, int root);
/* The same for one number. */
double tg_dist_all_reduce_scalar(double value, tg_dist_op op);

/* ---- DistributedDataParallel ----------------------------------------------------- */

typedef struct tg_ddp_options {
  double bucket_cap_mb;       /* 25, as PyTorch */
  double first_bucket_cap_mb; /* 1: the first bucket starts communication early */
  bool broadcast_buffers;     /* rank 0's buffers (BatchNorm statistics) each forward */
} tg_ddp_options;
#define TG_DDP_DEFAULTS ((tg_ddp_options){25.0, 1.0, true})

/* DDP(module): a module named "DistributedDataParallel" that owns `module`
 * (child "module", so its state_dict keys start "module.", as PyTorch's).
 * Wrapping broadcasts rank 0's parameters and buffers to every rank, after
 * checking that every rank has the same parameters and buffers (count,
 * shapes, dtypes): a mismatch is an error on every rank naming the entry,
 * the shapes and the ranks (the module then stays the caller's). opts NULL
 * means TG_DDP_DEFAULTS.
 *
 * Backward: parameters are grouped into buckets in reverse order (the order
 * in which backward produces their gradients), each at most bucket_cap_mb
 * (the first first_bucket_cap_mb). When the last gradient of a bucket has
 * been accumulated, the bucket (each gradient times 1/world_size, copied
 * into one buffer) is all-reduced with MPI_Iallreduce while backward goes
 * on; buckets start in order, on every rank alike. tg_backward returns once
 * every bucket is back in .grad: the average over the ranks. A parameter
 * that got no gradient in this backward contributes zeros.
 * Forward: while grad mode is on and outside no_sync, rank 0's buffers are
 * broadcast first (SyncBatchNorm is not provided). */
tg_module *tg_ddp(tg_module *module, const tg_ddp_options *opts);
tg_module *tg_ddp_module(tg_module *ddp); /* the wrapped module (ddp.module) */
/* model.no_sync(): backwards in between only accumulate local gradients; the
 * first backward after tg_ddp_no_sync_end averages the accumulated sums. */
void tg_ddp_no_sync_begin(tg_module *ddp);
void tg_ddp_no_sync_end(tg_module *ddp);
int tg_ddp_num_buckets(const tg_module *ddp);
/* How many buckets the last synchronised backward started from its gradient
 * hooks, while backward still ran (the others started when it ended). */
int tg_ddp_buckets_started_early(const tg_module *ddp);
/* The bucket of parameter i (in tg_module_named_parameters order). */
int tg_ddp_bucket_of(const tg_module *ddp, int param_index);

/* ---- DistributedSampler ------------------------------------------------------------ */

/* torch.utils.data.DistributedSampler, with its arithmetic: each rank gets
 * num_samples = ceil(n / replicas) indices (drop_last: floor), the list
 * padded by repeating its start (or cut) to num_samples * replicas, rank r
 * taking every replicas-th from r. shuffle draws randperm(n) from a
 * generator seeded with seed + epoch, the same permutation PyTorch's
 * torch.Generator().manual_seed(seed + epoch) gives. */
typedef struct tg_distributed_sampler {
  int64_t dataset_len;
  int num_replicas, rank;
  bool shuffle, drop_last;
  uint64_t seed;
  int64_t epoch;
  int64_t num_samples, total_size;
} tg_distributed_sampler;

/* num_replicas / rank < 0 mean tg_dist_world_size() / tg_dist_rank(). */
tg_distributed_sampler tg_distributed_sampler_make(int64_t dataset_len, int num_replicas,
                                                   int rank, bool shuffle, uint64_t seed,
                                                   bool drop_last);
void tg_distributed_sampler_set_epoch(tg_distributed_sampler *s, int64_t epoch);
int64_t tg_distributed_sampler_len(const tg_distributed_sampler *s); /* num_samples */
/* This rank's indices for the current epoch, num_samples of them. */
void tg_distributed_sampler_indices(const tg_distributed_sampler *s, int64_t *out);
/* A Subset of ds with those indices, in order: give it to a DataLoader
 * without shuffle (DataLoader(ds, sampler=s)). The caller releases it. */
tg_dataset *tg_distributed_sampler_subset(const tg_distributed_sampler *s,
                                          tg_dataset *ds);

TG_API_END
#endif
