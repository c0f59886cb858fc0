/* repack_internal.h — internals of `parq repack`: the row codec used for the
 * shuffle's spill files, the row builders that turn encoded rows back into
 * Arrow batches, and the bucket spill/load helpers (shuffle.c).
 *
 * Row encoding (one top-level row = the values of the struct's children):
 *   every node except type null: 1 validity byte (0 = null, nothing follows)
 *   bool: 1 byte; fixed width W: W bytes; binary/string: u32 length + bytes;
 *   list/map: u32 count + elements; fixed list: N elements; struct: children.
 * It round-trips every type the writer accepts (nested included); dictionary
 * and view arrays are refused up front. */
#ifndef PARQ_DATASET_REPACK_INTERNAL_H
#define PARQ_DATASET_REPACK_INTERNAL_H
#include <stdint.h>
#include <stdio.h>

#include "parq.h"
#include "util/arrow.h"
#include "util/buf.h"
#include "util/utf8.h"

/* One node per schema node: encoder plan and decoder builder at once. */
typedef struct pq_rnode {
  pq_arrow_type t;
  int width;             /* fixed-width value size in bytes */
  int64_t length, null_count;
  parq_buf valid, data, offs;
  struct pq_rnode *kids;
  int n_kids;
} pq_rnode;

/* Build a node tree for the top-level "+s" schema s (its children become
 * kids). PARQ_EUNSUPPORTED for dictionary / view / unknown types, naming
 * the column. */
parq_status pq_rnode_init(pq_rnode *n, const struct ArrowSchema *s, parq_error *err);
void pq_rnode_free(pq_rnode *n);

/* Append the encoding of row i of the top-level struct batch to out. */
parq_status pq_row_encode(const pq_rnode *root, const struct ArrowArray *batch, int64_t i,
                          parq_buf *out, parq_error *err);
/* Decode one encoded row (exactly len bytes) and append it to the builders. */
parq_status pq_row_decode(pq_rnode *root, const uint8_t *row, size_t len, parq_error *err);
/* Rows appended since the last finish. */
static inline int64_t pq_rnode_rows(const pq_rnode *root) { return root->length; }
/* Move the built rows into *out as a "+s" batch; builders reset. */
parq_status pq_rnode_finish(pq_rnode *root, struct ArrowArray *out, parq_error *err);

/* ---- shuffle keys ----
 * Row j of input i has the row id (i << 40) | j (pq_row_id), which any rank
 * can compute from its own share alone. Shuffled, the key is mix(id, seed),
 * a bijection for a fixed seed, so keys never collide; unshuffled (an MPI
 * job's --no-shuffle) the key is the id itself, i.e. input order. Output order
 * is ascending key; bucket b holds the key range [b*2^64/B, (b+1)*2^64/B), so
 * the order depends neither on B (the memory limit) nor on the rank count. */
#define PQ_ROW_BITS 40
#define PQ_MAX_INPUTS ((uint64_t)1 << (64 - PQ_ROW_BITS))
#define PQ_MAX_INPUT_ROWS ((uint64_t)1 << PQ_ROW_BITS)
static inline uint64_t pq_row_id(uint64_t input, uint64_t row) { return input << PQ_ROW_BITS | row; }
uint64_t pq_shuffle_key(uint64_t row_id, uint64_t seed);
static inline uint32_t pq_shuffle_bucket(uint64_t key, uint32_t n_buckets) {
  return (uint32_t)(((unsigned __int128)key * n_buckets) >> 64);
}

/* ---- spill files ----
 * Bucket b is two files: DIR/bucket_NNNNN.spill holds the encoded rows back
 * to back, DIR/bucket_NNNNN.idx one 16-byte entry per row, in the same order:
 * [u64 key LE][u32 row length LE][u32 text characters LE]. The index alone is
 * enough to place shard boundaries (pass 2's plan), so planning reads 16
 * bytes per row instead of the rows. */
#define PQ_SPILL_MAX_OPEN 128 /* beyond this many buckets, files are reopened per flush */
#define PQ_SPILL_IDX 16
typedef struct pq_spill {
  char *dir;
  uint32_t n;
  int *fds, *ifds;
  parq_buf *bufs, *ibufs;
  int64_t *rows, *bytes;  /* per bucket: rows, and bytes of the .spill file */
  size_t flush_at;
  /* Start disk writeback after each flush (set when the spill will be
   * fsynced): the final fsync then has little left to wait for. */
  int writeback;
} pq_spill;

parq_status pq_spill_open(pq_spill *s, const char *dir, uint32_t n_buckets, size_t flush_at,
                          parq_error *err);
/* Add a row to the bucket of its key; chars = its text characters. */
parq_status pq_spill_add_row(pq_spill *s, uint64_t key, const uint8_t *row, size_t len,
                             uint32_t chars, parq_error *err);
static inline parq_status pq_spill_add(pq_spill *s, uint64_t key, const uint8_t *row, size_t len,
                                       parq_error *err) {
  return pq_spill_add_row(s, key, row, len, 0, err);
}
/* Flush, fsync (if do_fsync) and close every bucket file. */
parq_status pq_spill_finish(pq_spill *s, int do_fsync, parq_error *err);
void pq_spill_free(pq_spill *s);
/* Path of bucket b's .spill file; its index is the same path with .idx. */
void pq_spill_bucket_path(const char *dir, uint32_t b, char *out, size_t cap);
void pq_spill_index_path(const char *dir, uint32_t b, char *out, size_t cap);

/* A loaded bucket: its bytes and its records sorted by key. */
typedef struct pq_bucket_rec {
  uint64_t key;
  uint64_t off; /* of the row bytes within data */
  uint32_t len, chars;
} pq_bucket_rec;

typedef struct pq_bucket {
  uint8_t *data;         /* malloc'ed, or the spill file mapped read-only (mapped) */
  size_t size;
  int mapped;
  pq_bucket_rec *recs;
  int64_t n;
} pq_bucket;

/* One bucket as written by several ranks: part q is the .spill file
 * paths[q] (bytes[q] bytes, rows[q] rows; its index beside it). The records
 * of all parts are validated and sorted by key; index_only skips the row
 * bytes (data stays NULL; enough to plan shards). */
parq_status pq_bucket_load_parts(const char *const *paths, const int64_t *bytes,
                                 const int64_t *rows, int n_parts, int index_only, pq_bucket *out,
                                 parq_error *err);
/* Load the bucket in .spill file `path` (expected_size bytes, expected_rows rows). */
parq_status pq_bucket_load(const char *path, int64_t expected_size, int64_t expected_rows,
                           pq_bucket *out, parq_error *err);
void pq_bucket_free(pq_bucket *b);

/* pq_bucket_load_parts on a helper thread, so pass 2 loads and sorts the
 * next bucket while it writes the current one. The arrays must stay valid
 * until the wait. */
typedef struct pq_bucket_job {
  const char *const *paths;
  const int64_t *bytes, *rows;
  int n;
  pq_bucket out;
  parq_status st;
  parq_error err;
  void *tid;   /* pthread_t, boxed (this header stays free of pthread.h) */
} pq_bucket_job;
parq_status pq_bucket_load_start(pq_bucket_job *j, const char *const *paths, const int64_t *bytes,
                                 const int64_t *rows, int n_parts, parq_error *err);
/* Join; on success move the bucket to *out. Safe on a job never started. */
parq_status pq_bucket_load_wait(pq_bucket_job *j, pq_bucket *out, parq_error *err);

/* Sequential reader of one bucket written in key order (an MPI job's
 * --no-shuffle spill), starting at index entry `rec` / row byte `off`. */
typedef struct pq_spill_reader {
  FILE *idx, *data;
  int64_t left_rows, left_bytes; /* still to read from here */
  uint64_t last_key;
  int have_last, at_start;
  const char *name;
} pq_spill_reader;
parq_status pq_spill_reader_open(pq_spill_reader *r, const char *path, int64_t bytes, int64_t rows,
                                 int64_t rec, int64_t off, parq_error *err);
/* Next index entry (PARQ_DONE at the end); keys must ascend and lengths
 * fit the row bytes (read from the start, they must cover them exactly). */
parq_status pq_spill_reader_next(pq_spill_reader *r, uint64_t *key, uint32_t *len,
                                 uint32_t *chars, parq_error *err);
/* The row bytes of the entry just read (into row, cleared first). */
parq_status pq_spill_reader_row(pq_spill_reader *r, uint32_t len, parq_buf *row, parq_error *err);
void pq_spill_reader_close(pq_spill_reader *r);

/* ---- shard boundaries (repack_plan.c) ----
 * Shards close after a full row group once they reach the target, so their
 * boundaries follow from each row's (length, characters) in output order
 * alone: every rank computes the same plan. */
typedef struct pq_planner {
  int64_t rgr, max_rows, max_bytes, max_chars; /* exactly one target > 0 */
  int64_t rows, chars, bytes, in_group, group_chars;
} pq_planner;
void pq_planner_init(pq_planner *p, int64_t row_group_rows, int64_t shard_rows,
                     int64_t shard_bytes, int64_t shard_chars);
/* Account one row; 1 when the shard closes after it. */
int pq_planner_step(pq_planner *p, uint32_t len, uint32_t chars);
/* Rows of the unfinished last shard (0: none), resetting the planner. */
int64_t pq_planner_finish(pq_planner *p);

typedef struct pq_shard_plan {
  int64_t start, rows; /* ordinal of the first row in output order, row count */
  int64_t *src_rec, *src_off; /* ordered mode: per part, first index entry / row byte */
} pq_shard_plan;

typedef struct pq_plan {
  pq_shard_plan *v;
  size_t n, cap;
  int64_t rows;        /* all rows */
  int n_parts;
} pq_plan;

/* Spill state of all ranks: part q's bucket b is paths[b * n_parts + q]. */
typedef struct pq_spillset {
  uint32_t n_buckets;
  int n_parts;
  char **paths;
  int64_t *rows, *bytes; /* [b * n_parts + q] */
} pq_spillset;
void pq_spillset_free(pq_spillset *s);

/* Shuffled: walk the buckets' indexes in key order. */
parq_status pq_plan_buckets(const pq_spillset *s, pq_planner *pl, pq_plan *out, parq_error *err);
/* Ordered (one bucket per part, each in key order): merge the parts. */
parq_status pq_plan_ordered(const pq_spillset *s, pq_planner *pl, pq_plan *out, parq_error *err);
void pq_plan_free(pq_plan *p);

/* ---- inputs (repack_inputs.c) ---- */
#include "io/io.h"

typedef struct pq_input {
  char *path;
  int64_t size, mtime_ns;
  pq_file_format fmt;
  int64_t row_groups; /* Parquet: row groups (repack fills it when checking inputs) */
} pq_input;

typedef struct pq_input_list {
  pq_input *v;
  size_t n, cap;
} pq_input_list;

/* Files as given, directories (their .jsonl/.csv/.parquet... files, sorted,
 * hidden files skipped) and glob patterns (sorted matches), in argument order. */
parq_status pq_inputs_expand(const char *const *args, size_t n, pq_input_list *out, parq_error *err);
void pq_inputs_free(pq_input_list *l);

typedef struct pq_src_options {
  const char *const *columns;
  size_t n_columns;
  int64_t batch_rows;
  const int64_t *row_groups; /* Parquet: read only these (ascending); NULL = all */
  size_t n_row_groups;
} pq_src_options;

/* One open input, text or Parquet. */
typedef struct pq_src {
  pq_text_reader *text;
  parq_reader *pq;
  int64_t rows_total, rows_done, size;
  /* Row index within the file of the first row of the last batch. */
  int64_t first_row;
  /* Row-group selection: the groups, their first rows, position */
  const int64_t *sel;
  size_t n_sel, k;
  int64_t *sel_start, in_group;
} pq_src;

/* fixed: a schema text inputs must follow (NULL: infer). Errors name the file. */
parq_status pq_src_open(const pq_input *in, const pq_src_options *o, const struct ArrowSchema *fixed,
                        pq_src *s, parq_error *err);
parq_status pq_src_schema(pq_src *s, struct ArrowSchema *out, parq_error *err);
parq_status pq_src_next(pq_src *s, struct ArrowArray *out, parq_error *err);
int64_t pq_src_bytes_done(const pq_src *s);
void pq_src_close(pq_src *s);

/* ---- pass 1 reader thread (repack_feed.c) ----
 * Opens inputs 0..n-1 in order with open() (on the feed's thread; errors go
 * to the err it is given) and queues their batches, at most depth at a time. */
typedef parq_status (*pq_feed_open_fn)(void *user, size_t i, pq_src *s, parq_error *err);
typedef struct pq_feed pq_feed;
parq_status pq_feed_start(size_t n_inputs, int depth, pq_feed_open_fn open, void *user,
                          pq_feed **out, parq_error *err);
/* The next batch in input order (PARQ_OK; *input, *first_row (index of
 * its first row in that input) and *bytes_done, the bytes of that input
 * consumed, describe it), PARQ_DONE after the last, or the reader's error
 * (err filled, *input names the input). */
parq_status pq_feed_next(pq_feed *f, struct ArrowArray *b, size_t *input, int64_t *first_row,
                         int64_t *bytes_done, parq_error *err);
/* Stop the thread, join it, release queued batches. NULL is fine. */
void pq_feed_stop(pq_feed *f);

/* Top-level column names differ (missing / extra / order)? 1 + msg. */
int pq_schema_names_diff(const struct ArrowSchema *ref, const struct ArrowSchema *s, char *msg,
                         size_t cap);
/* Types differ anywhere (same names assumed)? 1 + msg naming the column. */
int pq_schema_types_diff(const struct ArrowSchema *a, const struct ArrowSchema *b,
                         const char *prefix, char *msg, size_t cap);

#endif
