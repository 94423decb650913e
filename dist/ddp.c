/* DistributedDataParallel: a module that owns the model, keeps its replicas
 * equal at wrap time, and averages gradients across ranks during backward.
 *
 * The reducer works like PyTorch's: every parameter has a
 * post-accumulate-grad hook (autograd/engine.c). When the hook of the last
 * parameter of a bucket has run, the bucket is ready: its gradients, times
 * 1/world_size, are copied into the bucket's flat buffer and an in-place
 * MPI_Iallreduce (sum) starts. Buckets start strictly in order (MPI needs
 * every rank to issue collectives in the same order). The first hook of a
 * backward queues an end-of-backward callback, which starts what is left,
 * waits for every bucket and copies the averages back into .grad. */
#include <stdlib.h>
#include <string.h>

#include "dist/dist_internal.h"

typedef struct bucket {
  int first, count;    /* slots order[first .. first + count) */
  tg_tensor *flat;     /* the bucket's buffer, 1-D, owned */
  int pending;         /* parameters whose gradient is not ready yet */
  MPI_Request request; /* the all-reduce in flight */
  bool started;
} bucket;

typedef struct ddp {
  tg_module base;
  tg_module *module; /* child "module" */
  tg_ddp_options opts;
  int n_params; /* the parameters that require grad, parameters() order */
  tg_tensor **params;
  int *hooks;        /* handles, per parameter */
  int *order;        /* parameter indices, reverse order: bucket slots */
  int *bucket_of;    /* per parameter */
  tg_tensor **views; /* per parameter: its part of its bucket's flat buffer */
  bool *ready;       /* per parameter, this backward */
  int n_buckets;
  bucket *buckets;
  int next_to_start; /* buckets start in order */
  bool reducing;     /* a backward has started reducing; the callback is queued */
  int started_early; /* buckets the last backward started from its hooks */
  int no_sync_depth;
  int n_buffers;
  tg_tensor **buffers;
} ddp;

static ddp *as_ddp(const tg_module *m, const char *what) {
  if (!m || strcmp(m->vtable->type_name, "DistributedDataParallel") != 0)
    tg_error("%s: the module is not a tg_ddp", what);
  return (ddp *)m;
}

/* ---- broadcasting rank 0's tensors, all in one message ---------------------- */

static size_t nbytes(const tg_tensor *t) {
  return (size_t)tg_numel(t) * tg_dtype_size(t->dtype);
}

/* Every rank's tensors[0..n) become rank 0's: packed into bytes, one Ibcast. */
static void broadcast_from_rank0(tg_tensor *const *tensors, int n, const char *what) {
  size_t total = 0;
  for (int i = 0; i < n; i++) total += nbytes(tensors[i]);
  if (total == 0 || tg_dist_world_size() == 1) return;
  unsigned char *bytes = malloc(total);
  if (!bytes) tg_error("%s: out of memory for %zu bytes", what, total);
  size_t at = 0;
  for (int i = 0; i < n; i++, at += nbytes(tensors[i - 1]))
    memcpy(bytes + at, tg_dist_data(tensors[i], what), nbytes(tensors[i]));
  MPI_Request req;
  tg_dist_check(MPI_Ibcast(bytes, (int)total, MPI_BYTE, 0, MPI_COMM_WORLD, &req), what);
  tg_dist_wait(&req, what);
  at = 0;
  for (int i = 0; i < n; i++, at += nbytes(tensors[i - 1]))
    memcpy(tg_dist_data(tensors[i], what), bytes + at, nbytes(tensors[i]));
  free(bytes);
}

/* ---- wrap-time check: every rank has the same parameters and buffers --------- */

enum { RECORD = 2 + TG_MAX_DIMS }; /* dtype, ndim, sizes */

static void describe(const tg_tensor *t, int64_t *record) {
  memset(record, 0, RECORD * sizeof *record);
  record[0] = t->dtype;
  record[1] = t->ndim;
  for (int d = 0; d < t->ndim; d++) record[2 + d] = t->shape[d];
}

static void gather(const int64_t *mine, int n, int64_t *all, const char *what) {
  MPI_Request req;
  tg_dist_check(
      MPI_Iallgather(mine, n, MPI_INT64_T, all, n, MPI_INT64_T, MPI_COMM_WORLD, &req),
      what);
  tg_dist_wait(&req, what);
}

static const char *record_str(const int64_t *r, char *buf) {
  tg_shape shape = {(int)r[1], {0}};
  for (int d = 0; d < shape.ndim; d++) shape.d[d] = r[2 + d];
  char s[TG_SHAPE_STR_MAX];
  snprintf(buf, 2 * TG_SHAPE_STR_MAX, "%s %s", tg_dtype_name((tg_dtype)r[0]),
           tg_shape_str(shape, s));
  return buf;
}

static int64_t *xmalloc_i64(size_t n) {
  int64_t *p = malloc(sizeof *p * (n ? n : 1));
  if (!p) tg_error("tg_ddp: out of memory");
  return p;
}

/* Writes into msg (the same on every rank) the first way in which a rank's
 * tensors differ from rank 0's: their count, or an entry's dtype or shape.
 * Returns whether they differ. kind is "parameter" or "buffer". */
static bool replicas_differ(const tg_tensor_dict *named, const char *kind, char *msg,
                            size_t size) {
  int world = tg_dist_world_size(), n = named->n;
  int64_t *counts = xmalloc_i64((size_t)world), count = n;
  gather(&count, 1, counts, "tg_ddp");
  for (int r = 1; r < world; r++)
    if (counts[r] != counts[0]) {
      snprintf(msg, size, "rank %d has %lld %ss but rank 0 has %lld", r,
               (long long)counts[r], kind, (long long)counts[0]);
      free(counts);
      return true;
    }
  free(counts);
  size_t per_rank = (size_t)n * RECORD;
  int64_t *mine = xmalloc_i64(per_rank), *all = xmalloc_i64(per_rank * (size_t)world);
  for (int i = 0; i < n; i++) describe(named->items[i].tensor, mine + (size_t)i * RECORD);
  gather(mine, (int)per_rank, all, "tg_ddp");
  bool differ = false;
  for (int r = 1; r < world && !differ; r++)
    for (int i = 0; i < n && !differ; i++) {
      const int64_t *a = all + (size_t)i * RECORD,
                    *b = all + (size_t)r * per_rank + (size_t)i * RECORD;
      if (memcmp(a, b, RECORD * sizeof *a) == 0) continue;
      char sa[2 * TG_SHAPE_STR_MAX], sb[2 * TG_SHAPE_STR_MAX];
      int len =
          snprintf(msg, size, "%s %d '%s' is %s on rank %d but %s on rank 0", kind, i,
                   named->items[i].name, record_str(b, sb), r, record_str(a, sa));
      differ = len > 0; /* a long name is cut, never lost */
    }
  free(mine);
  free(all);
  return differ;
}

/* PyTorch's _verify_param_shape_across_processes: an error on every rank
 * alike. Nothing is allocated yet, so the module stays the caller's. */
static void verify_replicas(tg_module *module) {
  tg_tensor_dict *params = tg_module_named_parameters(module);
  tg_tensor_dict *buffers = tg_module_named_buffers(module);
  char msg[512];
  bool differ = replicas_differ(params, "parameter", msg, sizeof msg) ||
                replicas_differ(buffers, "buffer", msg, sizeof msg);
  tg_tensor_dict_free(params);
  tg_tensor_dict_free(buffers);
  if (differ) tg_error("tg_ddp: %s: every rank must wrap the same model", msg);
}

/* ---- buckets ------------------------------------------------------------------ */

/* Parameters in reverse order, a new bucket when the dtype changes or the
 * current one has reached its cap (the first cap is first_bucket_cap_mb). */
static void assign_buckets(ddp *d) {
  d->buckets = calloc((size_t)(d->n_params ? d->n_params : 1), sizeof *d->buckets);
  if (!d->buckets) tg_error("tg_ddp: out of memory");
  size_t filled = 0;
  for (int k = 0; k < d->n_params; k++) {
    int p = d->n_params - 1 - k;
    d->order[k] = p;
    double cap_mb =
        d->n_buckets <= 1 ? d->opts.first_bucket_cap_mb : d->opts.bucket_cap_mb;
    bucket *open = d->n_buckets ? &d->buckets[d->n_buckets - 1] : NULL;
    bool full = open && (double)filled >= cap_mb * 1024 * 1024;
    if (!open || full || d->params[d->order[open->first]]->dtype != d->params[p]->dtype) {
      open = &d->buckets[d->n_buckets++];
      open->first = k;
      filled = 0;
    }
    open->count++;
    filled += nbytes(d->params[p]);
    d->bucket_of[p] = d->n_buckets - 1;
  }
}

/* Each bucket's flat buffer, and every parameter's view of its part. */
static void make_buffers(ddp *d) {
  for (int b = 0; b < d->n_buckets; b++) {
    bucket *bk = &d->buckets[b];
    int64_t numel = 0;
    for (int k = bk->first; k < bk->first + bk->count; k++)
      numel += tg_numel(d->params[d->order[k]]);
    tg_dtype dtype = d->params[d->order[bk->first]]->dtype;
    tg_scope_begin(); /* owned references only, whatever scope the caller is in */
    bk->flat = tg_retain(tg_zeros(TG_SHAPE(numel), dtype));
    int64_t offset = 0;
    for (int k = bk->first; k < bk->first + bk->count; k++) {
      tg_tensor *p = d->params[d->order[k]];
      tg_tensor *part = tg_narrow(bk->flat, 0, offset, tg_numel(p));
      d->views[d->order[k]] = tg_retain(tg_view(part, tg_shape_of(p)));
      offset += tg_numel(p);
    }
    tg_scope_end();
  }
}

/* ---- the reducer ------------------------------------------------------------- */

static const char *const REDUCE = "tg_ddp: all-reduce of gradient bucket";

static void start_bucket(ddp *d, bucket *bk) {
  double scale = 1.0 / tg_dist_world_size();
  for (int k = bk->first; k < bk->first + bk->count; k++) {
    int p = d->order[k];
    tg_tensor *grad = tg_grad(d->params[p]);
    if (grad) {
      tg_copy_(d->views[p], grad);
    } else {
      tg_zero_(d->views[p]); /* no gradient here: contributes zeros */
    }
  }
  tg_mul_scalar_(bk->flat, scale);
  tg_dist_check(MPI_Iallreduce(MPI_IN_PLACE, tg_dist_data(bk->flat, REDUCE),
                               (int)tg_numel(bk->flat),
                               tg_dist_mpi_type(bk->flat->dtype, REDUCE), MPI_SUM,
                               MPI_COMM_WORLD, &bk->request),
                REDUCE);
  bk->started = true;
}

/* Starts every ready bucket from next_to_start on, in order. */
static void start_ready_buckets(ddp *d) {
  while (d->next_to_start < d->n_buckets && d->buckets[d->next_to_start].pending == 0)
    start_bucket(d, &d->buckets[d->next_to_start++]);
}

/* Gives the in-flight all-reduces a chance to progress (MPI progresses only
 * inside MPI calls). */
static void progress(ddp *d) {
  for (int b = 0; b < d->next_to_start; b++)
    if (d->buckets[b].started) {
      tg_dist_poll(&d->buckets[b].request, REDUCE);
      return;
    }
}

static void reset_for_next_backward(ddp *d) {
  for (int b = 0; b < d->n_buckets; b++) {
    d->buckets[b].pending = d->buckets[b].count;
    d->buckets[b].started = false;
  }
  memset(d->ready, 0, sizeof *d->ready * (size_t)d->n_params);
  d->next_to_start = 0;
  d->reducing = false;
}

/* End of backward: parameters still pending got no gradient; start the rest,
 * wait for all and copy the averages into .grad. */
static void finish_reduction(void *user) {
  ddp *d = user;
  d->started_early = d->next_to_start;
  for (int b = d->next_to_start; b < d->n_buckets; b++) d->buckets[b].pending = 0;
  start_ready_buckets(d);
  for (int b = 0; b < d->n_buckets; b++) {
    tg_dist_wait(&d->buckets[b].request, REDUCE);
    d->buckets[b].started = false;
  }
  for (int p = 0; p < d->n_params; p++) {
    tg_tensor *param = d->params[p];
    if (!param->grad) param->grad = tg_retain(tg_zeros_like(param)); /* owned */
    tg_copy_(param->grad, d->views[p]);
  }
  reset_for_next_backward(d);
}

static int index_of(const ddp *d, const tg_tensor *param) {
  for (int p = 0; p < d->n_params; p++)
    if (d->params[p] == param) return p;
  tg_error("tg_ddp: a hook ran for a tensor that is not a parameter of the model");
}

static void on_grad_ready(tg_tensor *param, void *user) {
  ddp *d = user;
  if (d->no_sync_depth > 0 || tg_dist_world_size() == 1) return;
  if (!d->reducing) {
    d->reducing = true;
    tg_autograd_queue_callback(finish_reduction, d);
  }
  int p = index_of(d, param);
  if (d->ready[p])
    tg_error("tg_ddp: parameter %d received a second gradient in one backward", p);
  d->ready[p] = true;
  d->buckets[d->bucket_of[p]].pending--;
  start_ready_buckets(d);
  progress(d);
}

/* ---- the module --------------------------------------------------------------- */

static tg_tensor *ddp_forward(tg_module *m, tg_tensor *x) {
  ddp *d = (ddp *)m;
  if (d->opts.broadcast_buffers && tg_is_grad_enabled() && d->no_sync_depth == 0)
    broadcast_from_rank0(d->buffers, d->n_buffers, "tg_ddp: broadcast of the buffers");
  return tg_module_forward(d->module, x);
}

static void ddp_free(tg_module *m) {
  ddp *d = (ddp *)m;
  for (int p = 0; p < d->n_params; p++) {
    if (d->hooks && d->hooks[p]) tg_remove_hook(d->hooks[p]);
    if (d->views) tg_release(d->views[p]);
  }
  for (int b = 0; b < d->n_buckets; b++) tg_release(d->buckets[b].flat);
  free(d->buckets);
  free(d->params);
  free(d->hooks);
  free(d->order);
  free(d->bucket_of);
  free(d->views);
  free(d->ready);
  free(d->buffers);
}

static void ddp_extra_repr(const tg_module *m, char *buf, size_t size) {
  const ddp *d = (const ddp *)m;
  snprintf(buf, size, "world_size=%d, buckets=%d, bucket_cap_mb=%g", tg_dist_world_size(),
           d->n_buckets, d->opts.bucket_cap_mb);
}

static const tg_module_vtable ddp_vtable = {"DistributedDataParallel", ddp_forward,
                                            ddp_free, ddp_extra_repr};

/* The tensors of a dict as an array (borrowed), all or those that require grad. */
static int collect(const tg_tensor_dict *named, tg_tensor ***out, bool trainable_only) {
  *out = calloc((size_t)(named->n ? named->n : 1), sizeof **out);
  if (!*out) tg_error("tg_ddp: out of memory");
  int n = 0;
  for (int i = 0; i < named->n; i++)
    if (!trainable_only || named->items[i].tensor->requires_grad)
      (*out)[n++] = named->items[i].tensor;
  return n;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) tg_error("tg_ddp: out of memory");
  return p;
}

tg_module *tg_ddp(tg_module *module, const tg_ddp_options *opts) {
  tg_dist_require_init("tg_ddp");
  if (!module) tg_error("tg_ddp: module is NULL");
  tg_ddp_options o = opts ? *opts : TG_DDP_DEFAULTS;
  if (!(o.bucket_cap_mb > 0) || !(o.first_bucket_cap_mb > 0))
    tg_error("tg_ddp: bucket caps must be > 0 MB, got %g and %g", o.bucket_cap_mb,
             o.first_bucket_cap_mb);
  verify_replicas(module);
  ddp *d = tg_module_new(&ddp_vtable, sizeof(ddp));
  d->opts = o;
  d->module = tg_module_add(&d->base, "module", module);
  tg_tensor_dict *params = tg_module_named_parameters(module);
  tg_tensor_dict *buffers = tg_module_named_buffers(module);
  tg_tensor **all_params = NULL;
  int n_all = collect(params, &all_params, false);
  d->n_params = collect(params, &d->params, true);
  d->n_buffers = collect(buffers, &d->buffers, false);
  broadcast_from_rank0(all_params, n_all, "tg_ddp: broadcast of the parameters");
  broadcast_from_rank0(d->buffers, d->n_buffers, "tg_ddp: broadcast of the buffers");
  free(all_params);
  tg_tensor_dict_free(params);
  tg_tensor_dict_free(buffers);

  size_t n = (size_t)d->n_params;
  d->order = xcalloc(n, sizeof *d->order);
  d->bucket_of = xcalloc(n, sizeof *d->bucket_of);
  d->views = xcalloc(n, sizeof *d->views);
  d->ready = xcalloc(n, sizeof *d->ready);
  d->hooks = xcalloc(n, sizeof *d->hooks);
  assign_buckets(d);
  make_buffers(d);
  reset_for_next_backward(d);
  for (int p = 0; p < d->n_params; p++)
    d->hooks[p] = tg_register_post_accumulate_grad_hook(d->params[p], on_grad_ready, d);
  return &d->base;
}

tg_module *tg_ddp_module(tg_module *m) {
  return as_ddp(m, "tg_ddp_module")->module;
}

void tg_ddp_no_sync_begin(tg_module *m) {
  as_ddp(m, "tg_ddp_no_sync_begin")->no_sync_depth++;
}

void tg_ddp_no_sync_end(tg_module *m) {
  ddp *d = as_ddp(m, "tg_ddp_no_sync_end");
  if (d->no_sync_depth == 0)
    tg_error("tg_ddp_no_sync_end: no tg_ddp_no_sync_begin to end");
  d->no_sync_depth--;
}

int tg_ddp_num_buckets(const tg_module *m) {
  return as_ddp(m, "tg_ddp_num_buckets")->n_buckets;
}

int tg_ddp_buckets_started_early(const tg_module *m) {
  return as_ddp(m, "tg_ddp_buckets_started_early")->started_early;
}

int tg_ddp_bucket_of(const tg_module *m, int param_index) {
  const ddp *d = as_ddp(m, "tg_ddp_bucket_of");
  if (param_index < 0 || param_index >= d->n_params)
    tg_error("tg_ddp_bucket_of: parameter %d is out of range (the model has %d "
             "that require grad)",
             param_index, d->n_params);
  return d->bucket_of[param_index];
}
