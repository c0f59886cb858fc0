/* store.h — internals of the multi-writer Parquet store (docs/STORE.md).
 *
 * Layout of a store directory DIR:
 *   _parq_store.json        {"format":"parq-store","version":1,"key":[...]}
 *   schemas/NNNNNNNN.json   schema versions (pq_schema_to_json), created with link(2)
 *                           so two writers can never both create version N
 *   increments/<ns>-<host>-<pid>-<rand>.parquet   acknowledged appends; the
 *                           name sorts in acknowledgement order
 *   data/<snap>-<k>.parquet consolidated files
 *   snapshots/NNNNNNNNNN.json  {"snapshot":N,"data":[...],"consolidated":[...]}
 *   CURRENT                 the current snapshot number (replaced by rename)
 *   readers/<pid>-<rand>    reader leases (mtime = heartbeat)
 *   _consolidate.lock       O_EXCL claim of the one running consolidation
 * Names starting with '.' or containing ".tmp." are in-progress files and
 * are never read. */
#ifndef PARQ_DATASET_STORE_H
#define PARQ_DATASET_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "parq.h"
#include "util/buf.h"

#define PQ_STORE_META "_parq_store.json"
#define PQ_STORE_MAX_KEY 16

typedef struct pq_strvec {
  char **v;
  size_t n, cap;
} pq_strvec;
parq_status pq_strvec_push(pq_strvec *s, const char *str, parq_error *err); /* copies */
void pq_strvec_free(pq_strvec *s);
int pq_strvec_contains_sorted(const pq_strvec *s, const char *str); /* s sorted by strcmp */
void pq_strvec_sort(pq_strvec *s);

/* The store's fixed metadata. */
typedef struct pq_store_meta {
  char *key[PQ_STORE_MAX_KEY];
  size_t n_key;
} pq_store_meta;
parq_status pq_store_meta_load(const char *dir, pq_store_meta *m, parq_error *err);
void pq_store_meta_free(pq_store_meta *m);
int pq_store_is_store(const char *dir);

/* A snapshot: data files (names relative to DIR/data) and the increments
 * (names relative to DIR/increments) already folded into them. */
typedef struct pq_store_snap {
  int64_t id;              /* 0 = no snapshot yet */
  pq_strvec data;          /* in order */
  pq_strvec consolidated;  /* sorted */
} pq_store_snap;
parq_status pq_store_snap_load_current(const char *dir, pq_store_snap *s, parq_error *err);
parq_status pq_store_snap_publish(const char *dir, const pq_store_snap *s, parq_error *err);
void pq_store_snap_free(pq_store_snap *s);

/* Names of visible increments (sorted = acknowledgement order). */
parq_status pq_store_list_increments(const char *dir, pq_strvec *out, parq_error *err);

/* The current state: snapshot + pending increments (not in the snapshot). */
typedef struct pq_store_view {
  pq_store_snap snap;
  pq_strvec pending;       /* increment names, acknowledgement order */
  pq_strvec paths;         /* full paths: data files then pending increments */
  int64_t n_data;          /* the first n_data of paths are data files */
} pq_store_view;
parq_status pq_store_view_open(const char *dir, pq_store_view *v, parq_error *err);
void pq_store_view_free(pq_store_view *v);

/* Resolve a store directory into its current files (data then pending
 * increments, in order). *paths is malloc'ed, each path too. */
parq_status pq_store_resolve_files(const char *dir, char ***paths, size_t *n, parq_error *err);
void pq_store_free_files(char **paths, size_t n);

/* Schema versions. *version = 0 and *out zeroed when none. */
parq_status pq_store_schema_latest(const char *dir, int64_t *version, struct ArrowSchema *out,
                                   parq_error *err);
/* Create version `version` (fails with PARQ_ECONFLICT if it exists). */
parq_status pq_store_schema_create(const char *dir, int64_t version, const struct ArrowSchema *s,
                                   parq_error *err);
parq_status pq_store_schema_count(const char *dir, int64_t *n, parq_error *err);

/* Reader leases. */
typedef struct pq_store_lease {
  char *path;
  double last_touch;
} pq_store_lease;
parq_status pq_store_lease_take(const char *dir, pq_store_lease *l, parq_error *err);
void pq_store_lease_touch(pq_store_lease *l); /* at most once per second */
void pq_store_lease_drop(pq_store_lease *l);

/* Helpers. */
char *pq_store_path(const char *dir, const char *sub, const char *name); /* NULL on OOM */
parq_status pq_store_fsync_dir(const char *path, parq_error *err);
/* Write a whole file: tmp + fsync + rename (+ dir fsync). */
parq_status pq_store_write_atomic(const char *dir, const char *name, const void *data, size_t n,
                                  parq_error *err);
parq_status pq_store_read_small(const char *path, size_t max, parq_buf *out, parq_error *err);
uint64_t pq_store_random64(void);
double pq_store_now(void); /* CLOCK_REALTIME seconds */
/* PARQ_STORE_CRASH_AT=<step>: _exit(9) at that named step (tests only). */
void pq_store_crash_point(const char *step);

/* Schema compatibility: the schema an increment written from input `in`
 * must have, given the store's latest `cur` (NULL = none). *changed = 1 when
 * it differs from cur (a new schema version). PARQ_ESCHEMA names the column. */
parq_status pq_store_schema_merge(const struct ArrowSchema *cur, const struct ArrowSchema *in,
                                  struct ArrowSchema *out, int *changed, parq_error *err);

/* Same names and types (nullability ignored). */
int pq_store_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b);

/* Row conversion from a source schema to a target schema (columns matched by
 * name; missing ones null; int32->int64, float->double, int->double widen). */
typedef struct pq_conform pq_conform;
parq_status pq_conform_open(const struct ArrowSchema *src, const struct ArrowSchema *dst,
                            pq_conform **out, parq_error *err);
int pq_conform_identity(const pq_conform *c);
/* Append row i of batch (src schema), converted, to the target builder. */
parq_status pq_conform_row(pq_conform *c, const struct ArrowArray *batch, int64_t i,
                           parq_error *err);
int64_t pq_conform_rows(const pq_conform *c);
int64_t pq_conform_bytes(const pq_conform *c); /* encoded bytes buffered */
/* Move the rows built so far into *out (a target-schema batch). */
parq_status pq_conform_finish(pq_conform *c, struct ArrowArray *out, parq_error *err);
void pq_conform_close(pq_conform *c);

/* De-duplication table: xxh3-128 of the key values -> winning global row. */
typedef struct pq_keyset pq_keyset;
parq_status pq_keyset_open(int64_t memory_limit, pq_keyset **out, parq_error *err);
void pq_keyset_close(pq_keyset *k);
parq_status pq_keyset_put(pq_keyset *k, const uint64_t h[2], int64_t row, parq_error *err);
int64_t pq_keyset_get(const pq_keyset *k, const uint64_t h[2]); /* -1 if absent */
int64_t pq_keyset_count(const pq_keyset *k);

/* The de-duplicated scan of a list of files (consolidate and export). For
 * every batch, `emit` receives it converted to `target` plus a mask of the
 * rows to keep. */
typedef parq_status (*pq_scan_emit)(void *user, const struct ArrowArray *batch, parq_error *err);
typedef struct pq_scan_options {
  const char *const *paths;
  size_t n_paths;
  const struct ArrowSchema *target; /* schema every emitted batch has */
  const char *const *key;           /* key columns (NULL/0 = keep all rows) */
  size_t n_key;
  const parq_predicate *preds;      /* pushdown + row filter (applied after de-dup) */
  size_t n_preds;
  int64_t batch_rows;               /* rows per emitted batch (default 65536) */
  int64_t memory_limit;             /* for the key table (default 1 GiB) */
  pq_store_lease *lease;            /* touched while scanning (may be NULL) */
  pq_scan_emit emit;
  void *user;
  int64_t rows_in, rows_out;        /* filled: rows read, rows emitted */
} pq_scan_options;
parq_status pq_store_scan(pq_scan_options *o, parq_error *err);

/* Parse "col OP literal [AND ...]" (OP: = != < <= > >=) into predicates
 * pointing into *store (free both with free()). */
parq_status pq_store_parse_where(const char *expr, parq_predicate **out, size_t *n, char **store,
                                 parq_error *err);
#endif
