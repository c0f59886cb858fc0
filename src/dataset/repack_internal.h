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

#include "parq.h"
#include "util/arrow.h"
#include "util/buf.h"

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
 * Row k of the input stream (inputs in order) gets key = mix(k, seed), a
 * bijection of k for a fixed seed, so keys never collide. The output order is
 * ascending key; bucket b holds the key range [b*2^64/B, (b+1)*2^64/B), so
 * the order does not depend on B (nor on the memory limit). */
uint64_t pq_shuffle_key(uint64_t row_index, uint64_t seed);
static inline uint32_t pq_shuffle_bucket(uint64_t key, uint32_t n_buckets) {
  return (uint32_t)(((unsigned __int128)key * n_buckets) >> 64);
}

/* ---- spill files: records [u64 key LE][u32 len LE][len bytes] ---- */
#define PQ_SPILL_MAX_OPEN 256 /* beyond this many buckets, files are reopened per flush */
typedef struct pq_spill {
  char *dir;
  uint32_t n;
  int *fds;
  parq_buf *bufs;
  int64_t *rows, *bytes;  /* per bucket */
  size_t flush_at;
} pq_spill;

parq_status pq_spill_open(pq_spill *s, const char *dir, uint32_t n_buckets, size_t flush_at,
                          parq_error *err);
parq_status pq_spill_add(pq_spill *s, uint64_t key, const uint8_t *row, size_t len,
                         parq_error *err);
/* Flush, fsync (if do_fsync) and close every bucket file. */
parq_status pq_spill_finish(pq_spill *s, int do_fsync, parq_error *err);
void pq_spill_free(pq_spill *s);
void pq_spill_bucket_path(const char *dir, uint32_t b, char *out, size_t cap);

/* A loaded bucket: its bytes and its records sorted by key. */
typedef struct pq_bucket_rec {
  uint64_t key;
  uint64_t off; /* of the row bytes within data */
  uint32_t len;
} pq_bucket_rec;

typedef struct pq_bucket {
  uint8_t *data;
  size_t size;
  pq_bucket_rec *recs;
  int64_t n;
} pq_bucket;

/* Load bucket file `path` (expected_size bytes, expected_rows records),
 * validate every record against the file, sort records by key. */
parq_status pq_bucket_load(const char *path, int64_t expected_size, int64_t expected_rows,
                           pq_bucket *out, parq_error *err);
void pq_bucket_free(pq_bucket *b);

/* pq_bucket_load on a helper thread, so pass 2 loads and sorts the next
 * bucket while it writes the current one. */
typedef struct pq_bucket_job {
  char path[4200];
  int64_t size, rows;
  pq_bucket out;
  parq_status st;
  parq_error err;
  void *tid;   /* pthread_t, boxed (this header stays free of pthread.h) */
} pq_bucket_job;
parq_status pq_bucket_load_start(pq_bucket_job *j, const char *path, int64_t expected_size,
                                 int64_t expected_rows, parq_error *err);
/* Join; on success move the bucket to *out. Safe on a job never started. */
parq_status pq_bucket_load_wait(pq_bucket_job *j, pq_bucket *out, parq_error *err);

/* ---- inputs (repack_inputs.c) ---- */
#include "io/io.h"

typedef struct pq_input {
  char *path;
  int64_t size, mtime_ns;
  pq_file_format fmt;
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
} pq_src_options;

/* One open input, text or Parquet. */
typedef struct pq_src {
  pq_text_reader *text;
  parq_reader *pq;
  int64_t rows_total, rows_done, size;
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
/* The next batch in input order (PARQ_OK; *input and *bytes_done, the bytes
 * of that input consumed, describe it), PARQ_DONE after the last, or the
 * reader's error (err filled, *input names the input). */
parq_status pq_feed_next(pq_feed *f, struct ArrowArray *b, size_t *input, int64_t *bytes_done,
                         parq_error *err);
/* Stop the thread, join it, release queued batches. NULL is fine. */
void pq_feed_stop(pq_feed *f);

/* Top-level column names differ (missing / extra / order)? 1 + msg. */
int pq_schema_names_diff(const struct ArrowSchema *ref, const struct ArrowSchema *s, char *msg,
                         size_t cap);
/* Types differ anywhere (same names assumed)? 1 + msg naming the column. */
int pq_schema_types_diff(const struct ArrowSchema *a, const struct ArrowSchema *b,
                         const char *prefix, char *msg, size_t cap);

#endif
