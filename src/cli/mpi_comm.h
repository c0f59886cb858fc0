/* mpi_comm.h — join an MPI job when launched by mpirun (mpi_comm.c). */
#ifndef PARQ_CLI_MPI_COMM_H
#define PARQ_CLI_MPI_COMM_H
#include "dataset/dist.h"

/* Fill *c: MPI collectives under a launcher (with PARQ_HAVE_MPI), else the
 * one-rank local comm. 0 ok, -1 MPI_Init failed (message printed). */
int cli_mpi_begin(pq_comm *c);
/* MPI_Finalize when cli_mpi_begin joined MPI. */
void cli_mpi_end(const pq_comm *c);
/* A rank failed: print "rank R of W failed: what" and abort the whole job
 * (no-op in a one-rank run). */
void cli_mpi_fail(const pq_comm *c, const char *what);
#endif
