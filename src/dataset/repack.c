/* repack.c — parq_repack(): inputs -> shuffled, size-targeted Parquet shards
 * plus manifest.json, resumable after a crash.
 *
 * Flow: expand and check inputs (one schema) -> compare with an existing
 * manifest (refuse a different command, verify completed shards, delete
 * strays) -> shuffle pass 1 (rows to key-range buckets in DIR/.repack-tmp,
 * then a marker file) unless a complete pass 1 is already there -> pass 2
 * (each bucket sorted by key, rows fed to the shard emitter, which skips the
 * rows of shards already complete). Without shuffling, inputs stream
 * straight into the emitter. Every row travels through the row codec, so the
 * emitter always builds full row groups of exactly row_group_rows rows. */
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "dataset/manifest.h"
#include "dataset/repack_internal.h"
#include "util/error.h"

#define DEFAULT_SHARD_CHARS 250000000ll
#define TMP_DIR ".repack-tmp"
#define MARKER "pass1.done"

void parq_repack_options_init(parq_repack_options *o) {
  memset(o, 0, sizeof *o);
  o->row_group_rows = 1024;
  o->codec = PARQ_CODEC_ZSTD;
  o->level = 3;
  o->threads = 1;
  o->shuffle = 1;
  o->seed = 42;
  o->memory_limit = (int64_t)1 << 30;
  o->fsync = 1;
  o->cdc_min_bytes = 256LL << 10;
  o->cdc_max_bytes = 1LL << 20;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---------------- run state ---------------- */

typedef struct run {
  const parq_repack_options *o;
  parq_error *err;
  pq_input_list in;
  struct ArrowSchema schema; /* reference (projected) schema */
  int text_col;              /* index of the text column, -1 if none */
  int text_large;
  char *command;             /* canonical JSON of output-affecting options */
  pq_repack_manifest man;
  char tmpdir[4096];
  int64_t bytes_total;
  double t0;
  /* emitter */
  pq_rnode nodes;
  int64_t skip;              /* rows of completed shards still to skip */
  parq_writer *w;
  char shard_path[4096];
  int64_t shard_rows, shard_chars, shard_est, shard_rgs;
  double shard_t0;
  int64_t rows_done, rows_total, rows_this_run;
  double emit_t0;
  int64_t bytes_done;
  parq_buf row;              /* scratch for one encoded row */
  int lock_fd;               /* flock on DIR/.repack.lock: one repack per directory */
  /* --jobs > 1: spill fsyncs + pass-1 marker on a helper thread (durable_main) */
  pthread_t dur_tid;
  int dur_running;
  const struct marker *dur_m;
  parq_status dur_st;
  parq_error dur_err;
} run;

static int cancelled(run *r) {
  if (r->o->cancel && r->o->cancel(r->o->cancel_user)) {
    parq_err_set(r->err, PARQ_EIO, "repack: interrupted");
    return 1;
  }
  return 0;
}

static void report(run *r, parq_repack_phase phase, const char *path, int64_t shard_bytes,
                   double shard_secs) {
  if (!r->o->progress) return;
  parq_repack_progress p;
  memset(&p, 0, sizeof p);
  p.phase = phase;
  p.path = path;
  p.shard = (int64_t)r->man.n_shards;
  p.shard_rows = r->shard_rows;
  p.shard_chars = r->shard_chars;
  p.shard_bytes = shard_bytes;
  p.shard_seconds = shard_secs;
  p.rows_done = r->rows_done;
  p.rows_total = r->rows_total;
  p.bytes_done = r->bytes_done;
  p.bytes_total = r->bytes_total;
  p.elapsed = now_s() - r->t0;
  p.eta = -1;
  double spent = now_s() - r->emit_t0;
  if (r->rows_this_run > 0 && r->rows_total >= 0)
    p.eta = spent / (double)r->rows_this_run * (double)(r->rows_total - r->rows_done);
  else if (r->rows_total < 0 && r->bytes_done > 0 && r->emit_t0 > 0)
    p.eta = spent * (double)(r->bytes_total - r->bytes_done) / (double)r->bytes_done;
  if (phase == PARQ_REPACK_SHARD) p.shard = (int64_t)r->man.n_shards - 1;
  r->o->progress(r->o->progress_user, &p);
}

/* ---------------- the shard emitter ---------------- */

static int64_t count_chars(const struct ArrowArray *batch, int col, int large) {
  const struct ArrowArray *a = batch->children[col];
  int64_t s, e;
  if (large) {
    const int64_t *o = a->buffers[1];
    s = o[a->offset], e = o[a->offset + a->length];
  } else {
    const int32_t *o = a->buffers[1];
    s = o[a->offset], e = o[a->offset + a->length];
  }
  const uint8_t *p = (const uint8_t *)a->buffers[2] + s;
  int64_t len = e - s, i = 0, cont = 0;
  /* Code points = bytes that are not UTF-8 continuation bytes (10xxxxxx).
   * This runs over every text byte on the emitter's (serial) thread, so it
   * counts 8 bytes at a time: bit 7 of x & ~(x << 1) is set exactly in the
   * bytes whose top bits are 10; per-byte counters hold up to 255 rounds. */
  const uint64_t hi = 0x8080808080808080ull, lo16 = 0x00FF00FF00FF00FFull;
  while (len - i >= 8) {
    uint64_t acc = 0;
    for (int k = 0; k < 255 && len - i >= 8; k++, i += 8) {
      uint64_t x;
      memcpy(&x, p + i, 8);
      acc += (x & ~(x << 1) & hi) >> 7;
    }
    acc = (acc & lo16) + ((acc >> 8) & lo16); /* four 16-bit lanes, each <= 510 */
    cont += (int64_t)((acc * 0x0001000100010001ull) >> 48);
  }
  for (; i < len; i++) cont += (p[i] & 0xC0) == 0x80;
  return len - cont;
}

static parq_status open_shard(run *r) {
  const parq_repack_options *o = r->o;
  snprintf(r->shard_path, sizeof r->shard_path, "%s/shard_%05zu.parquet", o->output_dir, r->man.n_shards);
  parq_write_options wo;
  parq_write_options_init(&wo);
  wo.codec = o->codec;
  wo.level = o->level;
  wo.row_group_rows = o->row_group_rows;
  wo.row_group_bytes = INT64_MAX / 4; /* row groups are cut by rows only */
  wo.dictionary = o->dictionary;
  wo.statistics = o->statistics;
  wo.threads = o->threads > 0 ? o->threads : 1;
  wo.fsync = o->fsync;
  wo.cdc = o->cdc;
  wo.cdc_min_bytes = o->cdc_min_bytes;
  wo.cdc_max_bytes = o->cdc_max_bytes;
  wo.cdc_norm_level = o->cdc_norm_level;
  wo.cdc_row_groups = 0; /* shards hold whole row_group_rows groups */
  r->shard_rows = r->shard_chars = r->shard_est = r->shard_rgs = 0;
  r->shard_t0 = now_s();
  return parq_writer_open(r->shard_path, &r->schema, &wo, &r->w, r->err);
}

static parq_status close_shard(run *r) {
  parq_writer *w = r->w;
  r->w = NULL;
  PARQ_TRY(parq_writer_close(w, r->err));
  pq_manifest_shard s;
  memset(&s, 0, sizeof s);
  snprintf(s.path, sizeof s.path, "shard_%05zu.parquet", r->man.n_shards);
  s.rows = r->shard_rows;
  s.row_groups = r->shard_rgs;
  s.text_chars = r->shard_chars;
  PARQ_TRY(pq_file_xxh3(r->shard_path, &s.xxh3, &s.bytes, r->err));
  PARQ_TRY(pq_repack_manifest_push(&r->man, &s, r->err));
  PARQ_TRY(pq_repack_manifest_write(r->o->output_dir, &r->man, r->o->fsync, r->err));
  report(r, PARQ_REPACK_SHARD, r->shard_path, s.bytes, now_s() - r->shard_t0);
  return PARQ_OK;
}

static int shard_full(const run *r) {
  const parq_repack_options *o = r->o;
  if (o->shard_rows > 0) return r->shard_rows >= o->shard_rows;
  if (o->shard_bytes > 0) return r->shard_est >= o->shard_bytes;
  int64_t target = o->shard_chars > 0 ? o->shard_chars : DEFAULT_SHARD_CHARS;
  return r->shard_chars >= target;
}

/* Write the rows built so far as one row group; maybe close the shard. */
static parq_status flush_batch(run *r) {
  if (pq_rnode_rows(&r->nodes) == 0) return PARQ_OK;
  if (!r->w) PARQ_TRY(open_shard(r));
  struct ArrowArray b;
  PARQ_TRY(pq_rnode_finish(&r->nodes, &b, r->err));
  int64_t n = b.length;
  int64_t chars = r->text_col >= 0 ? count_chars(&b, r->text_col, r->text_large) : 0;
  parq_status st = parq_writer_write(r->w, &b, r->err);
  b.release(&b);
  if (st == PARQ_OK) st = parq_writer_flush_row_group(r->w, r->err);
  if (st != PARQ_OK) return st;
  r->shard_rows += n;
  r->shard_chars += chars;
  r->shard_rgs++;
  r->rows_done += n;
  r->rows_this_run += n;
  report(r, PARQ_REPACK_WRITE, r->shard_path, 0, 0);
  if (n == r->o->row_group_rows && shard_full(r)) return close_shard(r);
  return PARQ_OK;
}

static parq_status emit_row(run *r, const uint8_t *row, size_t len) {
  if (r->skip > 0) {
    r->skip--;
    return PARQ_OK;
  }
  PARQ_TRY(pq_row_decode(&r->nodes, row, len, r->err));
  r->shard_est += (int64_t)len;
  if (pq_rnode_rows(&r->nodes) == r->o->row_group_rows) {
    if (cancelled(r)) return PARQ_EIO;
    return flush_batch(r);
  }
  return PARQ_OK;
}

static parq_status emit_finish(run *r) {
  PARQ_TRY(flush_batch(r));
  if (r->w) PARQ_TRY(close_shard(r));
  return PARQ_OK;
}

/* ---------------- inputs and schema ---------------- */

static int64_t batch_rows_for(const parq_repack_options *o) {
  int64_t b = o->memory_limit / 16 / 4096; /* assume ~4 KiB documents */
  return b < 64 ? 64 : b > 8192 ? 8192 : b;
}

/* Open input i. The first time (check_inputs) schemas are inferred and
 * compared; afterwards JSONL inputs are read with the agreed schema, which
 * skips the reader's inference read-ahead (memory) and its cost. */
static parq_status open_input_err(run *r, size_t i, pq_src *s, int checked, parq_error *err) {
  pq_src_options so = {r->o->columns, r->o->n_columns, batch_rows_for(r->o)};
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

static parq_status open_input(run *r, size_t i, pq_src *s, int checked) {
  return open_input_err(r, i, s, checked, r->err);
}

static parq_status check_inputs(run *r) {
  const parq_repack_options *o = r->o;
  for (size_t i = 0; i < r->in.n; i++) {
    pq_src s;
    PARQ_TRY(open_input(r, i, &s, 0));
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
static parq_status build_command(run *r) {
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
static parq_status clean_dir(run *r, int *foreign_shards) {
  DIR *d = opendir(r->o->output_dir);
  if (!d) return parq_err_errno(r->err, "%s", r->o->output_dir);
  struct dirent *e;
  parq_status st = PARQ_OK;
  *foreign_shards = 0;
  while ((e = readdir(d)) != NULL) {
    size_t idx;
    int tmp;
    int mtmp = !strncmp(e->d_name, "manifest.json.tmp.", 18);
    if (!mtmp && !is_shard_name(e->d_name, &idx, &tmp)) continue;
    if (!mtmp && !tmp && idx < r->man.n_shards) continue;
    if (!mtmp && !tmp) (*foreign_shards)++;
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

static parq_status rm_tree_files(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return PARQ_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char p[4600];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
  }
  closedir(d);
  return PARQ_OK;
}

/* Load or start the manifest; returns PARQ_DONE when already complete. */
static parq_status prepare_dir(run *r) {
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
      int foreign;
      PARQ_TRY(clean_dir(r, &foreign));
      char t[4200];
      snprintf(t, sizeof t, "%s/" TMP_DIR, dir);
      rm_tree_files(t);
      rmdir(t);
      return PARQ_DONE;
    }
  }
  free(r->man.command);
  r->man.command = strdup(r->command);
  if (!r->man.command) return parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  int foreign;
  PARQ_TRY(clean_dir(r, &foreign));
  for (size_t i = 0; i < r->man.n_shards; i++) {
    r->skip += r->man.shards[i].rows;
    r->rows_done += r->man.shards[i].rows;
  }
  return pq_repack_manifest_write(dir, &r->man, r->o->fsync, r->err);
}

/* ---------------- pass 1: inputs -> buckets ---------------- */

typedef struct marker {
  uint32_t b;
  int64_t *rows, *bytes;
} marker;

static uint64_t command_hash(const run *r) { return XXH3_64bits(r->command, strlen(r->command)); }

static int64_t bucket_count(const run *r);

/* Read the pass-1 marker; 0 when absent, stale or unreadable. */
static int read_marker(run *r, marker *m) {
  char p[4200];
  snprintf(p, sizeof p, "%s/" MARKER, r->tmpdir);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  unsigned long long h = 0;
  unsigned b = 0;
  /* Fewer buckets than this run's memory limit asks for would not fit: redo. */
  int ok = fscanf(f, "parq-repack-spill 1 %llx %u", &h, &b) == 2 && h == command_hash(r) && b > 0 &&
           b <= (1u << 20) && (int64_t)b >= bucket_count(r);
  if (ok) {
    m->b = b;
    m->rows = calloc(b, sizeof *m->rows);
    m->bytes = calloc(b, sizeof *m->bytes);
    ok = m->rows && m->bytes;
    for (unsigned i = 0; ok && i < b; i++) {
      long long x, y;
      ok = fscanf(f, " %lld %lld", &x, &y) == 2 && x >= 0 && y >= 0;
      if (ok) m->rows[i] = x, m->bytes[i] = y;
    }
    if (!ok) {
      free(m->rows), free(m->bytes);
      m->rows = m->bytes = NULL;
    }
  }
  fclose(f);
  return ok;
}

static parq_status write_marker(run *r, uint32_t n, const int64_t *rows, const int64_t *bytes,
                                parq_error *err) {
  parq_buf b = PARQ_BUF_INIT;
  parq_status st = parq_buf_printf(&b, "parq-repack-spill 1 %016llx %u\n",
                                   (unsigned long long)command_hash(r), n);
  for (uint32_t i = 0; st == PARQ_OK && i < n; i++)
    st = parq_buf_printf(&b, "%lld %lld\n", (long long)rows[i], (long long)bytes[i]);
  char p[4200], t[4300];
  snprintf(p, sizeof p, "%s/" MARKER, r->tmpdir);
  snprintf(t, sizeof t, "%s.tmp", p);
  FILE *f = st == PARQ_OK ? fopen(t, "w") : NULL;
  if (st == PARQ_OK && !f) st = parq_err_errno(err, "create %s", t);
  if (f) {
    int bad = fwrite(b.data, 1, b.len, f) != b.len;
    bad |= fflush(f) != 0;
    if (r->o->fsync) bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad) st = parq_err_errno(err, "write %s", t);
    else if (rename(t, p) != 0) st = parq_err_errno(err, "rename %s", t);
  }
  parq_buf_free(&b);
  return st;
}

/* Make the spill buckets durable, then write the marker that lets a rerun
 * skip pass 1. With --jobs > 1 this runs beside pass 2, which only reads the
 * buckets: a crash before the marker merely makes the rerun redo pass 1,
 * which yields the same buckets, so completed shards stay valid. */
static void *durable_main(void *arg) {
  run *r = arg;
  const struct marker *m = r->dur_m;
  r->dur_st = PARQ_OK;
  for (uint32_t i = 0; r->o->fsync && i < m->b && r->dur_st == PARQ_OK; i++) {
    char p[4200];
    pq_spill_bucket_path(r->tmpdir, i, p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      r->dur_st = parq_err_errno(&r->dur_err, "open %s", p);
      break;
    }
    if (fsync(fd) != 0) r->dur_st = parq_err_errno(&r->dur_err, "fsync %s", p);
    close(fd);
  }
  if (r->dur_st == PARQ_OK) r->dur_st = write_marker(r, m->b, m->rows, m->bytes, &r->dur_err);
  return NULL;
}

/* Wait for durable_main; its status (PARQ_OK when it never ran). */
static parq_status durable_join(run *r) {
  if (!r->dur_running) return PARQ_OK;
  pthread_join(r->dur_tid, NULL);
  r->dur_running = 0;
  if (r->dur_st != PARQ_OK && r->err) *r->err = r->dur_err;
  return r->dur_st;
}

/* B = ceil(2 * estimated row bytes / memory limit): a bucket loaded in pass 2
 * then takes about half the limit. Parquet input counts 3x its size
 * (typical compression ratio). */
static int64_t bucket_count(const run *r) {
  int64_t est = 0;
  for (size_t i = 0; i < r->in.n; i++)
    est += r->in.v[i].fmt == PQ_FMT_PARQUET ? 3 * r->in.v[i].size : r->in.v[i].size;
  int64_t lim = r->o->memory_limit;
  int64_t nb = (est * 2 + lim - 1) / lim;
  return nb < 1 ? 1 : nb;
}

/* Encode the rows of one batch and add them to the spill; k is the stream
 * index of the batch's first row (advanced past its rows). */
static parq_status spill_batch(run *r, pq_spill *sp, const struct ArrowArray *b, uint64_t *k) {
  parq_status st = PARQ_OK;
  for (int64_t j = 0; j < b->length && st == PARQ_OK; j++) {
    r->row.len = 0;
    st = pq_row_encode(&r->nodes, b, j, &r->row, r->err);
    if (st == PARQ_OK)
      st = pq_spill_add(sp, pq_shuffle_key((*k)++, r->o->seed), r->row.data, r->row.len, r->err);
  }
  return st;
}

/* Errors name the input they come from (unless they already do). */
static void name_input(run *r, size_t i) {
  if (!strstr(r->err ? r->err->message : "", r->in.v[i].path))
    parq_err_prefix(r->err, "%s", r->in.v[i].path);
}

/* --jobs 1: read, parse, encode and spill on this thread. */
static parq_status spill_serial(run *r, pq_spill *sp, uint64_t *k) {
  parq_status st = PARQ_OK;
  int64_t base = 0;
  for (size_t i = 0; i < r->in.n && st == PARQ_OK; i++) {
    pq_src s;
    if ((st = open_input(r, i, &s, 1)) != PARQ_OK) break;
    struct ArrowArray b;
    while ((st = pq_src_next(&s, &b, r->err)) == PARQ_OK) {
      st = spill_batch(r, sp, &b, k);
      b.release(&b);
      r->bytes_done = base + pq_src_bytes_done(&s);
      if (st == PARQ_OK) report(r, PARQ_REPACK_SPILL, NULL, 0, 0);
      if (st == PARQ_OK && cancelled(r)) st = PARQ_EIO;
      if (st != PARQ_OK) break;
    }
    if (st == PARQ_DONE) st = PARQ_OK;
    else if (st != PARQ_OK) name_input(r, i);
    pq_src_close(&s);
    base += r->in.v[i].size;
  }
  return st;
}

static parq_status feed_open(void *user, size_t i, pq_src *s, parq_error *err) {
  return open_input_err(user, i, s, 1, err);
}

/* --jobs > 1: a reader thread reads and parses (the larger half of pass 1)
 * while this thread encodes and spills. Batches arrive in input order, so
 * the keys, hence the shards, are those of a serial run. Two queued batches
 * keep both busy; with the ones in hand that is 4 batches of memory
 * (batch_rows_for sizes them at ~1/16 of the limit each). */
static parq_status spill_piped(run *r, pq_spill *sp, uint64_t *k) {
  pq_feed *f;
  PARQ_TRY(pq_feed_start(r->in.n, 2, feed_open, r, &f, r->err));
  parq_status st;
  size_t cur = 0; /* inputs before cur are done; base = their total size */
  int64_t base = 0;
  for (;;) {
    struct ArrowArray b;
    size_t in;
    int64_t done;
    st = pq_feed_next(f, &b, &in, &done, r->err);
    for (; cur < in && cur < r->in.n; cur++) base += r->in.v[cur].size;
    if (st == PARQ_DONE) {
      st = PARQ_OK;
      break;
    }
    if (st == PARQ_OK) {
      st = spill_batch(r, sp, &b, k);
      b.release(&b);
    }
    if (st != PARQ_OK) {
      if (in < r->in.n) name_input(r, in);
      break;
    }
    r->bytes_done = base + done;
    report(r, PARQ_REPACK_SPILL, NULL, 0, 0);
    if (cancelled(r)) {
      st = PARQ_EIO;
      name_input(r, in);
      break;
    }
  }
  pq_feed_stop(f);
  return st;
}

static parq_status pass1(run *r, marker *m) {
  int64_t est = 0;
  for (size_t i = 0; i < r->in.n; i++) est += r->in.v[i].size;
  int64_t lim = r->o->memory_limit;
  int64_t nb = bucket_count(r);
  /* --jobs > 1: twice the buckets at half the size, so pass 2 can hold one
   * while the next loads (see pass2) within the same memory. */
  if (r->o->threads > 1 && nb <= 50000) nb *= 2;
  if (nb > 100000) return parq_err_set(r->err, PARQ_EINVAL, "repack: --memory-limit too small for %lld input bytes", (long long)est);
  size_t flush_at = (size_t)(lim / 4 / nb);
  if (flush_at < 16384) flush_at = 16384;
  if (flush_at > (4u << 20)) flush_at = 4u << 20;
  rm_tree_files(r->tmpdir);
  pq_spill sp;
  PARQ_TRY(pq_spill_open(&sp, r->tmpdir, (uint32_t)nb, flush_at, r->err));
  uint64_t k = 0;
  parq_status st = r->o->threads > 1 ? spill_piped(r, &sp, &k) : spill_serial(r, &sp, &k);
  int bg = r->o->threads > 1; /* fsyncs + marker beside pass 2 (durable_main) */
  if (st == PARQ_OK) st = pq_spill_finish(&sp, bg ? 0 : r->o->fsync, r->err);
  if (st == PARQ_OK && !bg) st = write_marker(r, sp.n, sp.rows, sp.bytes, r->err);
  if (st == PARQ_OK) {
    m->b = sp.n;
    m->rows = sp.rows, m->bytes = sp.bytes;
    sp.rows = sp.bytes = NULL;
  }
  pq_spill_free(&sp);
  if (st == PARQ_OK && bg) {
    r->dur_m = m;
    if (pthread_create(&r->dur_tid, NULL, durable_main, r) == 0) {
      r->dur_running = 1;
    } else { /* no thread: do it here */
      durable_main(r);
      st = r->dur_st;
      if (st != PARQ_OK && r->err) *r->err = r->dur_err;
    }
  }
  return st;
}

/* ---------------- pass 2: buckets -> shards ---------------- */

static parq_status pass2(run *r, const marker *m) {
  r->rows_total = 0;
  for (uint32_t b = 0; b < m->b; b++) r->rows_total += m->rows[b];
  if (r->skip > r->rows_total)
    return parq_err_set(r->err, PARQ_ECORRUPT, "manifest records %lld rows but the inputs hold %lld",
                        (long long)r->skip, (long long)r->rows_total);
  r->emit_t0 = now_s();
  /* With --jobs > 1 and buckets small enough that two fit the memory limit
   * (pass 1 makes them so), bucket b+1 is read and sorted on a helper thread
   * while bucket b is written. Only the timing changes, never the rows. */
  int prefetch = r->o->threads > 1 && (int64_t)m->b >= 2 * bucket_count(r);
  pq_bucket_job job;
  int64_t pending = -1; /* bucket the job is loading */
  parq_status st = PARQ_OK;
  for (uint32_t b = 0; b < m->b && st == PARQ_OK; b++) {
    pq_bucket bk;
    memset(&bk, 0, sizeof bk);
    char p[4200];
    if (pending == (int64_t)b) {
      pending = -1;
      if ((st = pq_bucket_load_wait(&job, &bk, r->err)) != PARQ_OK) break;
    }
    if (r->skip >= m->rows[b]) { /* whole bucket already in completed shards */
      r->skip -= m->rows[b];
      pq_bucket_free(&bk);
      continue;
    }
    if (!bk.data) {
      pq_spill_bucket_path(r->tmpdir, b, p, sizeof p);
      if ((st = pq_bucket_load(p, m->bytes[b], m->rows[b], &bk, r->err)) != PARQ_OK) break;
    }
    if (prefetch && b + 1 < m->b) {
      pq_spill_bucket_path(r->tmpdir, b + 1, p, sizeof p);
      st = pq_bucket_load_start(&job, p, m->bytes[b + 1], m->rows[b + 1], r->err);
      if (st == PARQ_OK) pending = b + 1;
    }
    for (int64_t i = 0; i < bk.n && st == PARQ_OK; i++)
      st = emit_row(r, bk.data + bk.recs[i].off, bk.recs[i].len);
    pq_bucket_free(&bk);
  }
  if (pending >= 0) { /* an error stopped us: drop the bucket being loaded */
    pq_bucket bk;
    parq_error ignore;
    if (pq_bucket_load_wait(&job, &bk, &ignore) == PARQ_OK) pq_bucket_free(&bk);
  }
  PARQ_TRY(st);
  return emit_finish(r);
}

/* ---------------- no shuffle: inputs -> shards ---------------- */

static parq_status stream_inputs(run *r) {
  r->rows_total = -1;
  r->emit_t0 = now_s();
  int64_t base = 0;
  for (size_t i = 0; i < r->in.n; i++) {
    pq_src s;
    PARQ_TRY(open_input(r, i, &s, 1));
    struct ArrowArray b;
    parq_status st;
    while ((st = pq_src_next(&s, &b, r->err)) == PARQ_OK) {
      for (int64_t j = 0; j < b.length && st == PARQ_OK; j++) {
        if (r->skip > 0) {
          r->skip--;
          continue;
        }
        r->row.len = 0;
        st = pq_row_encode(&r->nodes, &b, j, &r->row, r->err);
        if (st == PARQ_OK) st = emit_row(r, r->row.data, r->row.len);
      }
      b.release(&b);
      r->bytes_done = base + pq_src_bytes_done(&s);
      if (st != PARQ_OK) break;
    }
    pq_src_close(&s);
    if (st != PARQ_DONE) return st;
    base += r->in.v[i].size;
  }
  return emit_finish(r);
}

/* ---------------- entry point ---------------- */

static parq_status check_options(const parq_repack_options *o, parq_error *err) {
  if (!o || !o->output_dir || !*o->output_dir) return parq_err_set(err, PARQ_EINVAL, "repack: no output directory");
  int targets = (o->shard_chars > 0) + (o->shard_bytes > 0) + (o->shard_rows > 0);
  if (targets > 1) return parq_err_set(err, PARQ_EINVAL, "repack: give only one of shard_chars, shard_bytes, shard_rows");
  if (o->shard_chars < 0 || o->shard_bytes < 0 || o->shard_rows < 0)
    return parq_err_set(err, PARQ_EINVAL, "repack: negative shard size");
  if (o->row_group_rows < 1 || o->row_group_rows > (1 << 24))
    return parq_err_set(err, PARQ_EINVAL, "repack: row_group_rows %lld out of range 1..16777216", (long long)o->row_group_rows);
  if (o->memory_limit < (1 << 20)) return parq_err_set(err, PARQ_EINVAL, "repack: memory limit below 1 MiB");
  return PARQ_OK;
}

static parq_status run_repack(run *r) {
  const parq_repack_options *o = r->o;
  PARQ_TRY(pq_inputs_expand(o->inputs, o->n_inputs, &r->in, r->err));
  PARQ_TRY(check_inputs(r));
  PARQ_TRY(pq_rnode_init(&r->nodes, &r->schema, r->err));
  report(r, PARQ_REPACK_SCAN, NULL, 0, 0);
  PARQ_TRY(build_command(r));
  parq_status st = prepare_dir(r);
  if (st == PARQ_DONE) { /* already complete and verified */
    r->rows_total = r->rows_done = 0;
    for (size_t i = 0; i < r->man.n_shards; i++) r->rows_done += r->man.shards[i].rows;
    r->rows_total = r->rows_done;
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/.repack.lock", o->output_dir);
    unlink(lp);
    report(r, PARQ_REPACK_DONE, NULL, 0, 0);
    return PARQ_OK;
  }
  PARQ_TRY(st);
  snprintf(r->tmpdir, sizeof r->tmpdir, "%s/" TMP_DIR, o->output_dir);
  if (o->shuffle) {
    if (mkdir(r->tmpdir, 0777) != 0 && errno != EEXIST) return parq_err_errno(r->err, "mkdir %s", r->tmpdir);
    marker m = {0, NULL, NULL};
    if (!read_marker(r, &m)) st = pass1(r, &m);
    if (st == PARQ_OK) st = pass2(r, &m);
    parq_status ds = durable_join(r); /* before m goes and the spill is removed */
    if (st == PARQ_OK) st = ds;
    free(m.rows);
    free(m.bytes);
  } else {
    st = stream_inputs(r);
  }
  PARQ_TRY(st);
  r->man.complete = 1;
  PARQ_TRY(pq_repack_manifest_write(o->output_dir, &r->man, o->fsync, r->err));
  if (o->shuffle) {
    rm_tree_files(r->tmpdir);
    rmdir(r->tmpdir);
  }
  char lp[4200];
  snprintf(lp, sizeof lp, "%s/.repack.lock", o->output_dir);
  unlink(lp); /* still held: a waiting repack would find a complete manifest anyway */
  report(r, PARQ_REPACK_DONE, NULL, 0, 0);
  return PARQ_OK;
}

parq_status parq_repack(const parq_repack_options *o, parq_error *err) {
  PARQ_TRY(check_options(o, err));
  run r;
  memset(&r, 0, sizeof r);
  r.o = o;
  r.err = err;
  r.t0 = now_s();
  r.text_col = -1;
  r.lock_fd = -1;
  parq_status st = run_repack(&r);
  if (r.lock_fd >= 0) close(r.lock_fd);
  if (r.w) parq_writer_abort(r.w); /* an error left a shard open: no partial file */
  pq_rnode_free(&r.nodes);
  pq_arrow_schema_release(&r.schema);
  pq_inputs_free(&r.in);
  pq_repack_manifest_free(&r.man);
  free(r.command);
  parq_buf_free(&r.row);
  return st;
}
