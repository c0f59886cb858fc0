/* repack_setup.c — what a repack run agrees on before moving rows: the
 * inputs and their one schema, the text column, the canonical command
 * (the options that change output bytes, recorded in manifest.json), and
 * the output directory's state (lock, manifest verification, strays). In
 * an MPI job every rank checks inputs and builds the command; only rank 0
 * touches the directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/repack_run.h"
#include "util/error.h"

typedef pq_repack_run run;
#define DEFAULT_SHARD_CHARS PQ_REPACK_DEFAULT_SHARD_CHARS
#define TMP_DIR PQ_REPACK_TMP_DIR

static int64_t batch_rows_for(const parq_repack_options *o) {
  int64_t b = o->memory_limit / 16 / 4096; /* assume ~4 KiB documents */
  return b < 64 ? 64 : b > 8192 ? 8192 : b;
}

/* Open input i. The first time (check_inputs) schemas are inferred and
 * compared; afterwards JSONL inputs are read with the agreed schema, which
 * skips the reader's inference read-ahead (memory) and its cost. */
parq_status pq_repack_open_input(run *r, size_t i, const pq_share_item *sh, pq_src *s, int checked,
                                 parq_error *err) {
  pq_src_options so = {r->o->columns, r->o->n_columns, batch_rows_for(r->o), NULL, 0};
  if (sh && sh->rgs) so.row_groups = sh->rgs, so.n_row_groups = sh->n_rgs;
  const struct ArrowSchema *fixed = NULL;
  if (checked && r->in.v[i].fmt == PQ_FMT_JSONL) /* (CSV may map a schema by position) */
    return pq_src_open(&r->in.v[i], &so, &r->schema, s, err);
  struct ArrowSchema got;
  for (int attempt = 0; attempt < 2; attempt++) {
    PARQ_TRY(pq_src_open(&r->in.v[i], &so, fixed, s, err));
    parq_status st = pq_src_schema(s, &got, err);
    if (st != PARQ_OK) {
      parq_err_prefix(err, "%s", r->in.v[i].path);
      pq_src_close(s);
      return st;
    }
    char msg[600];
    if (!r->schema.release) {
      r->schema = got; /* the first input fixes the schema */
      return PARQ_OK;
    }
    if (pq_schema_names_diff(&r->schema, &got, msg, sizeof msg)) {
      pq_arrow_schema_release(&got);
      pq_src_close(s);
      return parq_err_set(err, PARQ_ESCHEMA, "mixed schemas: %s: %s (first input: %s)",
                          r->in.v[i].path, msg, r->in.v[0].path);
    }
    int differ = pq_schema_types_diff(&r->schema, &got, "", msg, sizeof msg);
    pq_arrow_schema_release(&got);
    if (!differ) return PARQ_OK;
    pq_src_close(s);
    /* Text inputs are re-read with the first input's schema (inference may
     * differ on benign grounds); Parquet types must match exactly. */
    if (r->in.v[i].fmt == PQ_FMT_PARQUET || attempt == 1)
      return parq_err_set(err, PARQ_ESCHEMA, "mixed schemas: %s: %s (first input: %s)",
                          r->in.v[i].path, msg, r->in.v[0].path);
    fixed = &r->schema;
  }
  return PARQ_EINTERNAL;
}

parq_status pq_repack_check_inputs(run *r) {
  const parq_repack_options *o = r->o;
  for (size_t i = 0; i < r->in.n; i++) {
    pq_src s;
    if (i >= PQ_MAX_INPUTS)
      return parq_err_set(r->err, PARQ_EINVAL, "repack: more than %llu inputs",
                          (unsigned long long)PQ_MAX_INPUTS);
    PARQ_TRY(pq_repack_open_input(r, i, NULL, &s, 0, r->err));
    r->in.v[i].row_groups = s.pq ? parq_reader_num_row_groups(s.pq) : 0;
    pq_src_close(&s);
    r->bytes_total += r->in.v[i].size;
  }
  for (size_t c = 0; c < o->n_columns; c++) {
    int64_t k = 0;
    while (k < r->schema.n_children && strcmp(r->schema.children[k]->name, o->columns[c])) k++;
    if (k == r->schema.n_children)
      return parq_err_set(r->err, PARQ_ESCHEMA, "%s: column '%s' (from --columns) not found",
                          r->in.v[0].path, o->columns[c]);
  }
  const char *tc = o->text_column ? o->text_column : "text";
  int need_text = o->text_column || (o->shard_bytes <= 0 && o->shard_rows <= 0);
  r->text_col = -1;
  for (int64_t k = 0; k < r->schema.n_children; k++)
    if (!strcmp(r->schema.children[k]->name, tc)) r->text_col = (int)k;
  if (r->text_col < 0) {
    if (!need_text) return PARQ_OK;
    parq_buf names = PARQ_BUF_INIT;
    for (int64_t k = 0; k < r->schema.n_children; k++)
      parq_buf_printf(&names, "%s%s", k ? ", " : "", r->schema.children[k]->name);
    parq_buf_append_byte(&names, 0);
    parq_status st = parq_err_set(r->err, PARQ_ESCHEMA,
                                  "%s: text column '%s' not found (columns: %s); use --text-column NAME, or --shard-bytes / --shard-rows",
                                  r->in.v[0].path, tc, names.data ? (char *)names.data : "");
    parq_buf_free(&names);
    return st;
  }
  const char *f = r->schema.children[r->text_col]->format;
  if (strcmp(f, "u") && strcmp(f, "U")) {
    if (need_text)
      return parq_err_set(r->err, PARQ_ESCHEMA, "text column '%s' has Arrow type '%s', not a string",
                          tc, f);
    r->text_col = -1;
  }
  r->text_large = r->text_col >= 0 && !strcmp(f, "U");
  return PARQ_OK;
}

/* ---------------- command identity ---------------- */

static parq_status json_str(parq_buf *b, const char *s) {
  PARQ_TRY(parq_buf_append_byte(b, '"'));
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') PARQ_TRY(parq_buf_printf(b, "\\%c", c));
    else if (c < 0x20) PARQ_TRY(parq_buf_printf(b, "\\u%04x", c));
    else PARQ_TRY(parq_buf_append_byte(b, c));
  }
  return parq_buf_append_byte(b, '"');
}

/* Only what changes the output bytes: not threads, memory limit or fsync. */
parq_status pq_repack_build_command(run *r) {
  const parq_repack_options *o = r->o;
  parq_buf b = PARQ_BUF_INIT;
  parq_status st = parq_buf_printf(&b, "{\"inputs\":[");
  for (size_t i = 0; st == PARQ_OK && i < r->in.n; i++) {
    st = parq_buf_printf(&b, "%s{\"path\":", i ? "," : "");
    if (st == PARQ_OK) st = json_str(&b, r->in.v[i].path);
    if (st == PARQ_OK)
      st = parq_buf_printf(&b, ",\"size\":%lld,\"mtime_ns\":%lld}", (long long)r->in.v[i].size,
                           (long long)r->in.v[i].mtime_ns);
  }
  if (st == PARQ_OK) st = parq_buf_printf(&b, "],\"columns\":");
  if (st == PARQ_OK && !o->n_columns) st = parq_buf_printf(&b, "\"all\"");
  for (size_t c = 0; st == PARQ_OK && c < o->n_columns; c++) {
    if (c && (st = parq_buf_append_byte(&b, ',')) != PARQ_OK) break;
    if (!c && (st = parq_buf_append_byte(&b, '[')) != PARQ_OK) break;
    st = json_str(&b, o->columns[c]);
  }
  if (st == PARQ_OK && o->n_columns) st = parq_buf_append_byte(&b, ']');
  if (st == PARQ_OK) st = parq_buf_printf(&b, ",\"text-column\":");
  if (st == PARQ_OK) st = json_str(&b, o->text_column ? o->text_column : "text");
  if (st == PARQ_OK) {
    if (o->shard_rows > 0) st = parq_buf_printf(&b, ",\"shard-rows\":%lld", (long long)o->shard_rows);
    else if (o->shard_bytes > 0) st = parq_buf_printf(&b, ",\"shard-bytes\":%lld", (long long)o->shard_bytes);
    else st = parq_buf_printf(&b, ",\"shard-chars\":%lld",
                              (long long)(o->shard_chars > 0 ? o->shard_chars : DEFAULT_SHARD_CHARS));
  }
  if (st == PARQ_OK)
    st = parq_buf_printf(&b, ",\"row-group-rows\":%lld,\"compression\":\"%s:%d\",\"dictionary\":\"%s\","
                         "\"statistics\":\"%s\",\"seed\":",
                         (long long)o->row_group_rows, parq_codec_name(o->codec), o->level,
                         o->dictionary ? "on" : "off", o->statistics ? "on" : "off");
  if (st == PARQ_OK) {
    if (o->shuffle) st = parq_buf_printf(&b, "%llu", (unsigned long long)o->seed);
    else st = parq_buf_printf(&b, "\"no-shuffle\"");
  }
  if (st == PARQ_OK && o->cdc) /* absent when off: older manifests still match */
    st = parq_buf_printf(&b, ",\"cdc\":{\"min\":%lld,\"max\":%lld,\"norm\":%d}",
                         (long long)o->cdc_min_bytes, (long long)o->cdc_max_bytes, o->cdc_norm_level);
  if (st == PARQ_OK) st = parq_buf_printf(&b, ",\"format\":\"parq %s\"}", PARQ_VERSION_STRING);
  if (st == PARQ_OK) st = parq_buf_append_byte(&b, 0); /* parq_buf does not NUL-terminate */
  if (st != PARQ_OK) {
    parq_buf_free(&b);
    return parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  }
  r->command = (char *)parq_buf_detach(&b);
  return PARQ_OK;
}

/* ---------------- output directory state ---------------- */

static int is_shard_name(const char *n, size_t *idx, int *tmp) {
  unsigned v;
  int used = 0;
  if (sscanf(n, "shard_%5u.parquet%n", &v, &used) != 1 || used != 19) return 0;
  *idx = v;
  *tmp = n[used] != 0;
  if (*tmp && strncmp(n + used, ".tmp.", 5)) return 0;
  return 1;
}

/* Delete writer temporaries and shard files not recorded in the manifest. */
parq_status pq_repack_clean_dir(run *r) {
  DIR *d = opendir(r->o->output_dir);
  if (!d) return parq_err_errno(r->err, "%s", r->o->output_dir);
  struct dirent *e;
  parq_status st = PARQ_OK;
  while ((e = readdir(d)) != NULL) {
    size_t idx;
    int tmp;
    int mtmp = !strncmp(e->d_name, "manifest.json.tmp.", 18);
    if (!mtmp && !is_shard_name(e->d_name, &idx, &tmp)) continue;
    if (!mtmp && !tmp && idx < r->man.n_shards) continue;
    char p[4600];
    snprintf(p, sizeof p, "%s/%s", r->o->output_dir, e->d_name);
    if (unlink(p) != 0 && errno != ENOENT) {
      st = parq_err_errno(r->err, "remove stray %s", p);
      break;
    }
  }
  closedir(d);
  return st;
}

/* Remove the files of dir; depth > 0 also empties and removes its
 * subdirectories (the per-rank spill directories). */
void pq_repack_rm_tree(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char p[4600];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (unlink(p) != 0 && errno == EISDIR && depth > 0) {
      pq_repack_rm_tree(p, depth - 1);
      rmdir(p);
    }
  }
  closedir(d);
}

/* Load or start the manifest; returns PARQ_DONE when already complete. */
parq_status pq_repack_prepare_dir(run *r) {
  const char *dir = r->o->output_dir;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return parq_err_errno(r->err, "mkdir %s", dir);
  /* Two repacks in one directory would delete each other's files. The lock
   * dies with the process, so a kill -9 never leaves the directory locked. */
  char lp[4200];
  snprintf(lp, sizeof lp, "%s/.repack.lock", dir);
  r->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (r->lock_fd < 0) return parq_err_errno(r->err, "create %s", lp);
  if (flock(r->lock_fd, LOCK_EX | LOCK_NB) != 0)
    return parq_err_set(r->err, PARQ_ECONFLICT, "%s is in use by another parq repack", dir);
  parq_status st = pq_repack_manifest_load(dir, &r->man, r->err);
  if (st < 0) return st;
  if (st == PARQ_DONE) {
    memset(&r->man, 0, sizeof r->man);
    /* Shards without a manifest belong to someone else: refuse to mix. */
    DIR *d = opendir(dir);
    if (!d) return parq_err_errno(r->err, "%s", dir);
    struct dirent *e;
    int found = 0;
    size_t idx;
    int tmp;
    while ((e = readdir(d)) != NULL)
      if (is_shard_name(e->d_name, &idx, &tmp) && !tmp) found = 1;
    closedir(d);
    if (found)
      return parq_err_set(r->err, PARQ_ECONFLICT,
                          "%s holds shard files but no manifest.json; use a new directory or delete it", dir);
  } else {
    char msg[400];
    if (pq_repack_command_diff(r->command, r->man.command, msg, sizeof msg))
      return parq_err_set(r->err, PARQ_ECONFLICT,
                          "%s holds shards from a different repack (options differ: %s); use a new directory or delete it",
                          dir, msg);
    /* Verify completed shards in order; keep the longest valid prefix. */
    size_t ok = 0;
    for (; ok < r->man.n_shards; ok++) {
      const pq_manifest_shard *s = &r->man.shards[ok];
      char p[4200];
      snprintf(p, sizeof p, "%s/%s", dir, s->path);
      uint64_t h;
      int64_t size;
      parq_error e2;
      struct stat sb;
      if (stat(p, &sb) != 0 || sb.st_size != s->bytes) break;
      if (pq_file_xxh3(p, &h, &size, &e2) != PARQ_OK || h != s->xxh3 || size != s->bytes) break;
    }
    if (ok < r->man.n_shards) r->man.complete = 0;
    r->man.n_shards = ok;
    if (r->man.complete) { /* a kill may have come before the cleanup */
      PARQ_TRY(pq_repack_clean_dir(r));
      char t[4200];
      snprintf(t, sizeof t, "%s/" TMP_DIR, dir);
      pq_repack_rm_tree(t, 1);
      rmdir(t);
      return PARQ_DONE;
    }
  }
  free(r->man.command);
  r->man.command = strdup(r->command);
  if (!r->man.command) return parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  PARQ_TRY(pq_repack_clean_dir(r));
  return pq_repack_manifest_write(dir, &r->man, r->o->fsync, r->err);
}
