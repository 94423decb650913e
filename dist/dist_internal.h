/* What dist/ shares inside: MPI status checks and waiting with a timeout. */
#ifndef TG_DIST_INTERNAL_H
#define TG_DIST_INTERNAL_H

#include <mpi.h>

#include "tensorgrad/dist.h"

/* tg_error naming `what` and MPI's message unless rc is MPI_SUCCESS. */
void tg_dist_check(int rc, const char *what);
/* Progresses and waits for req; past the timeout, tg_error naming `what`. */
void tg_dist_wait(MPI_Request *req, const char *what);
/* One MPI_Test: lets a non-blocking collective progress; true when done. */
bool tg_dist_poll(MPI_Request *req, const char *what);
/* The MPI type of a tensor dtype (float32, float64, int64). */
MPI_Datatype tg_dist_mpi_type(tg_dtype dtype, const char *what);
/* The first element of a contiguous tensor. */
void *tg_dist_data(tg_tensor *t, const char *what);
void tg_dist_require_init(const char *what);

#endif
