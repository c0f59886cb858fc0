/* repack_run.h — the state of one parq_repack() call shared by its files:
 * repack.c (entry, phases, the cross-rank agreement), repack_setup.c
 * (inputs, schema, command identity, output directory), repack_pass1.c
 * (inputs -> spill buckets) and repack_emit.c (rows -> shards). */
#ifndef PARQ_DATASET_REPACK_RUN_H
#define PARQ_DATASET_REPACK_RUN_H
#include <pthread.h>

#include "dataset/dist.h"
#include "dataset/manifest.h"
#include "dataset/repack_internal.h"

#define PQ_REPACK_DEFAULT_SHARD_CHARS 250000000ll
#define PQ_REPACK_TMP_DIR ".repack-tmp"

/* What this rank reads in pass 1: input `input`, whole (rgs NULL) or only
 * these Parquet row groups. */
typedef struct pq_share_item {
  size_t input;
  int64_t *rgs;
  size_t n_rgs;
  int64_t bytes; /* its share of the input's size (progress) */
} pq_share_item;

/* This rank's pass-1 result (from the marker file or a fresh pass 1). */
typedef struct pq_marker {
  uint32_t b;
  int64_t *rows, *bytes;
} pq_marker;

typedef struct pq_repack_run {
  const parq_repack_options *o;
  const pq_comm *comm;
  parq_error *err;           /* never NULL */
  pq_input_list in;
  struct ArrowSchema schema; /* reference (projected) schema */
  int text_col;              /* index of the text column, -1 if none */
  int text_large;
  char *command;             /* canonical JSON of output-affecting options */
  pq_repack_manifest man;    /* rank 0: the manifest being written */
  char tmpdir[4096], rankdir[4200];
  int64_t bytes_total;
  double t0;
  pq_share_item *share;
  size_t n_share;
  int64_t share_bytes;
  /* resume: shards complete before this run and their rows */
  int64_t n_done, done_rows;
  /* emitter */
  pq_rnode nodes;
  int64_t skip;              /* no-shuffle stream: rows of completed shards still to skip */
  pq_planner planner;        /* no-shuffle stream: decides shard ends as rows arrive */
  parq_writer *w;
  int64_t shard_idx;         /* shard being written */
  char shard_path[4200];
  int64_t shard_rows, shard_chars, shard_rgs, group_chars;
  double shard_t0;
  int64_t rows_done, rows_total, rows_this_run;
  double emit_t0;
  int64_t bytes_done;
  parq_buf row;              /* scratch for one encoded row */
  pq_manifest_shard *mine;   /* MPI: shards this rank wrote (rank 0 writes the manifest) */
  size_t n_mine, cap_mine;
  int lock_fd;               /* rank 0: flock on DIR/.repack.lock: one repack per directory */
  /* one process, --jobs > 1: spill fsyncs + pass-1 marker on a helper thread */
  pthread_t dur_tid;
  int dur_running;
  const pq_marker *dur_m;
  parq_status dur_st;
  parq_error dur_err;
  /* the previous shard's close (footer, fsync, hash, manifest) on a helper
   * thread while this thread encodes the next shard */
  struct pq_shard_close *closing;
} pq_repack_run;

double pq_repack_now(void);
int pq_repack_cancelled(pq_repack_run *r);
void pq_repack_report(pq_repack_run *r, parq_repack_phase phase, const char *path,
                      int64_t shard_bytes, double shard_secs);

/* repack_setup.c */
parq_status pq_repack_open_input(pq_repack_run *r, size_t i, const pq_share_item *sh, pq_src *s,
                                 int checked, parq_error *err);
parq_status pq_repack_check_inputs(pq_repack_run *r);
parq_status pq_repack_build_command(pq_repack_run *r);
/* Rank 0: lock, load / verify / start the manifest; PARQ_DONE when complete. */
parq_status pq_repack_prepare_dir(pq_repack_run *r);
/* Delete shard files this run's manifest does not list, and temporaries. */
parq_status pq_repack_clean_dir(pq_repack_run *r);
void pq_repack_rm_tree(const char *dir, int depth);

/* repack_pass1.c */
parq_status pq_repack_make_share(pq_repack_run *r);
int64_t pq_repack_bucket_count(const pq_repack_run *r);
uint32_t pq_repack_pass1_buckets(const pq_repack_run *r);
int pq_repack_read_marker(pq_repack_run *r, pq_marker *m);
parq_status pq_repack_pass1(pq_repack_run *r, uint32_t n_buckets, pq_marker *m);
parq_status pq_repack_durable_join(pq_repack_run *r);
/* Text characters of row j of an input batch (0 without a text column or when null). */
uint32_t pq_repack_row_chars(const pq_repack_run *r, const struct ArrowArray *b, int64_t j);

/* repack_emit.c */
parq_status pq_repack_stream(pq_repack_run *r);
parq_status pq_repack_pass2(pq_repack_run *r, const pq_spillset *ss, const pq_plan *p);
parq_status pq_repack_pass2_ordered(pq_repack_run *r, const pq_spillset *ss, const pq_plan *p);
/* Wait for a shard close still running on its helper thread (none: OK). */
parq_status pq_repack_close_wait(pq_repack_run *r);
#endif
