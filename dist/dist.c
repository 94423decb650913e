/* The process group: MPI start and stop, the error handler that takes every
 * rank down, waiting with a timeout, and collectives on tensors.
 *
 * Everything uses non-blocking MPI calls polled by tg_dist_wait: Open MPI
 * makes progress only inside MPI calls, and polling is what lets a rank give
 * up after the timeout instead of waiting for a dead or stuck peer forever. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dist/dist_internal.h"

enum { DEFAULT_TIMEOUT_SECONDS = 300 };

static struct {
  bool initialized;
  bool owns_mpi; /* tg_dist_init called MPI_Init */
  int rank, world_size;
  double timeout;
} group = {false, false, 0, 1, DEFAULT_TIMEOUT_SECONDS};

void tg_dist_check(int rc, const char *what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  tg_error("%s: MPI failed: %.*s", what, len, text);
}

void tg_dist_require_init(const char *what) {
  if (!group.initialized) tg_error("%s: call tg_dist_init first", what);
}

void tg_dist_error_handler(const char *message, void *user) {
  (void)user;
  fprintf(stderr, "tensorgrad: rank %d of %d: %s\n", group.rank, group.world_size,
          message);
  fflush(stderr);
  if (group.initialized) MPI_Abort(MPI_COMM_WORLD, 1);
  abort();
}

static double timeout_from_environment(void) {
  const char *text = getenv("TG_DIST_TIMEOUT");
  char *end;
  double seconds = text ? strtod(text, &end) : 0;
  return text && *text && *end == '\0' && seconds > 0 ? seconds : DEFAULT_TIMEOUT_SECONDS;
}

int tg_dist_init(int *argc, char ***argv) {
  if (group.initialized) return 0;
  int already = 0;
  MPI_Initialized(&already);
  if (!already && MPI_Init(argc, argv) != MPI_SUCCESS) {
    tg_set_last_error("tg_dist_init: MPI_Init failed");
    return -1;
  }
  group.owns_mpi = !already;
  /* errors come back as codes, and tg_dist_check turns them into tg_error */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &group.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &group.world_size);
  group.timeout = timeout_from_environment();
  group.initialized = true;
  tg_set_error_handler(tg_dist_error_handler, NULL);
  return 0;
}

void tg_dist_finalize(void) {
  if (!group.initialized) return;
  tg_dist_barrier();
  group.initialized = false;
  if (group.owns_mpi) MPI_Finalize();
  group.rank = 0;
  group.world_size = 1;
}

bool tg_dist_is_initialized(void) {
  return group.initialized;
}
int tg_dist_rank(void) {
  return group.rank;
}
int tg_dist_world_size(void) {
  return group.world_size;
}

void tg_dist_set_timeout(double seconds) {
  if (!(seconds > 0))
    tg_error("tg_dist_set_timeout: seconds must be > 0, got %g", seconds);
  group.timeout = seconds;
}

double tg_dist_timeout(void) {
  return group.timeout;
}

/* ---- waiting ------------------------------------------------------------------ */

bool tg_dist_poll(MPI_Request *req, const char *what) {
  int done = 0;
  tg_dist_check(MPI_Test(req, &done, MPI_STATUS_IGNORE), what);
  return done;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sleeps between polls, from 1 us doubling up to 1 ms: a rank that waits
 * must not take the CPU from one that computes (oversubscribed runs). */
void tg_dist_wait(MPI_Request *req, const char *what) {
  double start = now();
  long pause_ns = 1000;
  while (!tg_dist_poll(req, what)) {
    if (now() - start > group.timeout)
      tg_error("%s: timed out after %g s waiting for the other ranks (one of them died, "
               "hangs or runs a different collective); TG_DIST_TIMEOUT sets the limit",
               what, group.timeout);
    nanosleep(&(struct timespec){0, pause_ns}, NULL);
    if (pause_ns < 1000000) pause_ns *= 2;
  }
}

void tg_dist_barrier(void) {
  tg_dist_require_init("tg_dist_barrier");
  MPI_Request req;
  tg_dist_check(MPI_Ibarrier(MPI_COMM_WORLD, &req), "tg_dist_barrier");
  tg_dist_wait(&req, "tg_dist_barrier");
}

/* ---- collectives on tensors ---------------------------------------------------- */

MPI_Datatype tg_dist_mpi_type(tg_dtype dtype, const char *what) {
  switch (dtype) {
  case TG_FLOAT32:
    return MPI_FLOAT;
  case TG_FLOAT64:
    return MPI_DOUBLE;
  case TG_INT64:
    return MPI_INT64_T;
  default:
    tg_error("%s: tensors of dtype %s cannot be communicated", what,
             tg_dtype_name(dtype));
  }
}

void *tg_dist_data(tg_tensor *t, const char *what) {
  if (!tg_is_contiguous(t)) tg_error("%s: the tensor must be contiguous", what);
  switch (t->dtype) {
  case TG_FLOAT32:
    return tg_data_f32(t);
  case TG_FLOAT64:
    return tg_data_f64(t);
  case TG_INT64:
    return tg_data_i64(t);
  case TG_BOOL:
    return tg_data_bool(t);
  }
  tg_error("%s: unknown dtype", what);
}

static MPI_Op mpi_op(tg_dist_op op, const char *what) {
  switch (op) {
  case TG_DIST_SUM:
  case TG_DIST_MEAN:
    return MPI_SUM;
  case TG_DIST_MAX:
    return MPI_MAX;
  case TG_DIST_MIN:
    return MPI_MIN;
  }
  tg_error("%s: unknown reduction %d", what, (int)op);
}

void tg_dist_all_reduce(tg_tensor *t, tg_dist_op op) {
  const char *what = "tg_dist_all_reduce";
  tg_dist_require_init(what);
  MPI_Datatype type = tg_dist_mpi_type(t->dtype, what);
  if (op == TG_DIST_MEAN && !tg_is_floating(t->dtype))
    tg_error("%s: MEAN needs a floating tensor, got %s", what, tg_dtype_name(t->dtype));
  MPI_Op reduction = mpi_op(op, what);
  void *data = tg_dist_data(t, what);
  MPI_Request req;
  tg_dist_check(MPI_Iallreduce(MPI_IN_PLACE, data, (int)tg_numel(t), type, reduction,
                               MPI_COMM_WORLD, &req),
                what);
  tg_dist_wait(&req, what);
  if (op == TG_DIST_MEAN) tg_mul_scalar_(t, 1.0 / group.world_size);
}

void tg_dist_broadcast(tg_tensor *t, int root) {
  const char *what = "tg_dist_broadcast";
  tg_dist_require_init(what);
  if (root < 0 || root >= group.world_size)
    tg_error("%s: root %d is not a rank of a world of size %d", what, root,
             group.world_size);
  MPI_Datatype type = tg_dist_mpi_type(t->dtype, what);
  MPI_Request req;
  tg_dist_check(MPI_Ibcast(tg_dist_data(t, what), (int)tg_numel(t), type, root,
                           MPI_COMM_WORLD, &req),
                what);
  tg_dist_wait(&req, what);
}

double tg_dist_all_reduce_scalar(double value, tg_dist_op op) {
  tg_scope_begin();
  tg_tensor *t = tg_scalar(value, TG_FLOAT64);
  tg_dist_all_reduce(t, op);
  double result = tg_item(t);
  tg_scope_end();
  return result;
}
