/* manifest.h — reading a shard directory's manifest.json, plus the tiny JSON
 * scanner the dataset layer uses for it and for stream resume states.
 *
 * A manifest looks like
 *   {"shards":[{"path":"shard_00000.parquet","rows":N,"row_groups":N,...}, ...], ...}
 * Only "shards[].path" is required; other keys are skipped. Shard order is
 * the manifest's order. Paths are relative to the directory unless absolute. */
#ifndef PARQ_DATASET_MANIFEST_H
#define PARQ_DATASET_MANIFEST_H
#include <stddef.h>
#include <stdint.h>

#include "parq.h"
#include "util/buf.h"

/* Load DIR/manifest.json. On success *paths is a malloc'ed array of *n
 * malloc'ed paths (DIR/path), in manifest order; free with
 * pq_manifest_free(). Returns PARQ_DONE (nothing allocated) when the
 * directory has no manifest.json. */
parq_status pq_manifest_load(const char *dir, char ***paths, size_t *n, parq_error *err);
void pq_manifest_free(char **paths, size_t n);

/* ---- Minimal JSON scanner (no DOM; callers walk objects key by key) ---- */
typedef struct pq_mjson {
  const char *p, *end;
  const char *what; /* document name for messages ("manifest.json", "resume state") */
  const char *start;
  parq_error *err;
  int depth;
} pq_mjson;

void pq_mjson_init(pq_mjson *j, const char *text, size_t len, const char *what, parq_error *err);
void pq_mjson_ws(pq_mjson *j);
/* ECORRUPT "<what>: <msg> at byte N". */
parq_status pq_mjson_fail(pq_mjson *j, const char *msg);
/* Skip whitespace; if the next byte is c consume it and return 1, else 0. */
int pq_mjson_eat(pq_mjson *j, char c);
parq_status pq_mjson_expect(pq_mjson *j, char c);
/* Decode a string (p at '"') into out (cleared first, NUL-terminated). */
parq_status pq_mjson_string(pq_mjson *j, parq_buf *out);
/* An integer literal (optionally negative); fails on fractions/overflow. */
parq_status pq_mjson_int(pq_mjson *j, int64_t *out);
parq_status pq_mjson_uint(pq_mjson *j, uint64_t *out);
parq_status pq_mjson_skip(pq_mjson *j);
/* Object iteration: call with p at '{' (first=1) or after a member's value
 * (first=0). Returns PARQ_OK with the key in *key, PARQ_DONE at '}'. */
parq_status pq_mjson_next_key(pq_mjson *j, int first, parq_buf *key);
/* ---- Repack's side (manifest_repack.c): full shard records, atomic writer ----
 * {"version":1,"command":{...},"shards":[{"path","rows","row_groups",
 *  "text_chars","bytes","xxh3":"<16 hex>"}],"complete":bool} */
typedef struct pq_manifest_shard {
  char path[64]; /* relative to the directory ("shard_00000.parquet") */
  int64_t rows, row_groups, text_chars, bytes;
  uint64_t xxh3;
} pq_manifest_shard;

typedef struct pq_repack_manifest {
  char *command;             /* raw JSON text of the "command" object (malloc'ed) */
  pq_manifest_shard *shards;
  size_t n_shards, cap;
  int complete;
} pq_repack_manifest;

/* PARQ_DONE (nothing allocated) when DIR has no manifest.json. */
parq_status pq_repack_manifest_load(const char *dir, pq_repack_manifest *m, parq_error *err);
/* Write DIR/manifest.json atomically (temp + fsync + rename + dir fsync). */
parq_status pq_repack_manifest_write(const char *dir, const pq_repack_manifest *m, int do_fsync,
                                     parq_error *err);
parq_status pq_repack_manifest_push(pq_repack_manifest *m, const pq_manifest_shard *s,
                                    parq_error *err);
void pq_repack_manifest_free(pq_repack_manifest *m);
/* xxh3-64 and size of a whole file. */
parq_status pq_file_xxh3(const char *path, uint64_t *hash, int64_t *size, parq_error *err);
/* Compare two command objects member by member. Returns 0 when equal; else 1
 * and msg = "--KEY NOW vs BEFORE" for the first differing member. */
int pq_repack_command_diff(const char *now, const char *before, char *msg, size_t cap);
#endif
