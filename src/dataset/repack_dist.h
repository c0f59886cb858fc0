/* repack_dist.h — parq_repack() as one rank of a distributed job (the CLI
 * passes an MPI-backed pq_comm under mpirun; parq_repack() is this with the
 * one-rank comm). Every rank must make the same call.
 *
 * Ranks parse disjoint shares of the inputs (text file i -> rank i % K,
 * Parquet global row group g -> rank g % K), spill to DIR/.repack-tmp/rank-R,
 * compute the same shard plan, and rank r writes shards s with s % K == r.
 * Rank 0 alone checks the directory, holds the lock and writes manifest.json.
 * Shards and manifest are byte-identical to a one-process run.
 *
 * On failure every rank returns an error: the lowest failing rank its own;
 * the others PARQ_EIO with a message starting "another rank failed" (which
 * names that rank and cause), so a caller prints only the first. */
#ifndef PARQ_DATASET_REPACK_DIST_H
#define PARQ_DATASET_REPACK_DIST_H
#include "dataset/dist.h"
#include "parq.h"

#define PQ_REPACK_OTHER_RANK "another rank failed"

parq_status pq_repack_dist(const parq_repack_options *o, const pq_comm *comm, parq_error *err);
#endif
