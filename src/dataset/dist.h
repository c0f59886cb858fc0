/* dist.h — the communication interface the SQL engine and repartition use
 * to run as one rank of a distributed job. The library never calls MPI: the
 * CLI (src/cli/cmd_sql.c, built with PARQ_HAVE_MPI) fills a pq_comm with MPI
 * collectives; pq_comm_local() is the single-process (rank 0 of 1) version.
 *
 * Work split: global row group g (row groups of all Parquet inputs
 * concatenated in input order) belongs to rank g % size; text inputs are
 * whole files, file i to rank i % size. */
#ifndef PARQ_DATASET_DIST_H
#define PARQ_DATASET_DIST_H
#include <stddef.h>
#include <stdint.h>

#include "parq.h"
#include "util/buf.h"

typedef struct pq_comm {
  int rank, size;
  void *ctx;
  /* send[r] goes to rank r (size entries); *recv receives everything sent to
   * this rank, concatenated in rank order. */
  parq_status (*alltoallv)(void *ctx, const parq_buf *send, parq_buf *recv, parq_error *err);
  /* Rank 0 receives every rank's bytes concatenated in rank order into
   * *recv (untouched elsewhere). */
  parq_status (*gather)(void *ctx, const void *data, size_t len, parq_buf *recv, parq_error *err);
  /* Logical AND of ok over all ranks. */
  int (*all_ok)(void *ctx, int ok);
  /* Every rank receives every rank's bytes concatenated in rank order; if
   * lens is non-NULL it gets size entries: the byte count from each rank. */
  parq_status (*allgather)(void *ctx, const void *data, size_t len, parq_buf *recv,
                           size_t *lens, parq_error *err);
} pq_comm;

/* A one-rank communicator (no MPI). */
void pq_comm_local(pq_comm *c);

/* Global-row-group split: for each Parquet file, the row groups this rank
 * owns. counts[f] = row groups of file f; *out gets, for file f, a malloc'ed
 * array (*out)[f] of (*n_out)[f] indexes. */
parq_status pq_dist_split(const int64_t *counts, size_t n_files, int rank, int size,
                          int64_t ***out, size_t **n_out, parq_error *err);
void pq_dist_split_free(int64_t **sel, size_t *n, size_t n_files);

/* ---- repartition (repartition.c) ----
 * Output: DIR/part-PPPPP/part-RRRRR.parquet, one file per (partition,
 * rank) that received rows (RRRRR = 00000 in a single process). Files are
 * staged in DIR/.staging-RRRRR and moved into place only when every rank
 * succeeded (comm->all_ok), so a failed job leaves no partition files. */
typedef enum { PQ_PART_HASH, PQ_PART_ROWS, PQ_PART_FILES } pq_part_mode;

typedef struct pq_repartition_options {
  const char *const *inputs;  /* files, directories, globs */
  size_t n_inputs;
  const char *output_dir;
  int partitions;
  pq_part_mode mode;
  const char *const *hash_cols; /* PQ_PART_HASH: dotted column paths */
  size_t n_hash_cols;
  parq_write_options write;
} pq_repartition_options;

typedef struct pq_repartition_stats {
  int64_t rows_in, files_out;
} pq_repartition_stats;

parq_status pq_repartition(const pq_repartition_options *o, const pq_comm *comm,
                           pq_repartition_stats *stats, parq_error *err);
#endif
