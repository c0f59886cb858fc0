/* file_writer.c — the public writer API: Arrow batches in, a Parquet file out.
 *
 * Layout: "PAR1", row groups (each column chunk written contiguously after the
 * whole row group was buffered), column indexes, offset indexes, footer,
 * footer length, "PAR1". The file is written under a temporary name beside
 * the target and renamed on close, so readers never see a partial file.
 *
 * Threads: with threads > 1 pages are compressed on a worker pool as they are
 * cut (column/wpool.h) while this thread goes on shredding and encoding. A
 * closed row group is queued with its metadata minus offsets; queued row
 * groups are written strictly in order once their pages are done, and offsets
 * are assigned then. Nothing the writer decides looks at compressed sizes, so
 * the file is byte-identical for any thread count. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec/codec.h"
#include "column/cdc.h"
#include "column/column_writer.h"
#include "column/wpool.h"
#include "column/shred.h"
#include "file/schema.h"
#include "util/error.h"

#define WBUF_CAP (4u << 20)

typedef struct chunk_idx {
  int64_t ci_off, oi_off;   /* into w->ci_all / w->oi_all */
  int32_t ci_len, oi_len;
  bool has_ci;
} chunk_idx;

/* A closed row group waiting for its pages to be compressed. Row groups reach
 * the file strictly in the order they were closed; offsets are assigned then. */
typedef struct rg_job {
  uint32_t rg;         /* index into w->rgs */
  pq_wchunk *chunks;   /* n_leaves */
} rg_job;

struct parq_writer {
  char *path, *tmp;
  int fd;
  parq_buf wbuf;
  int64_t pos;                 /* logical file size so far */
  int64_t on_disk;             /* bytes handed to write(2) so far */
  int64_t synced;              /* bytes whose writeback was started (fsync on) */
  parq_write_options opt;
  parq_arena arena;            /* schema elements, footer metadata, copied strings */
  pq_schema_element *elems;
  uint32_t n_elems;
  pq_schema schema;
  bool schema_built;
  pq_wplan plan;
  int n_leaves;
  pq_column_writer **cols;
  pq_col_config *cfg;
  pq_shred_scratch scratch;
  int64_t rg_rows, total_rows;
  pq_row_group *rgs;
  uint32_t n_rgs, cap_rgs;
  parq_buf ci_all, oi_all, idx;  /* idx: chunk_idx per (row group, leaf) */
  pq_key_value *kv;
  uint32_t n_kv;
  const char *created_by;
  parq_error fail;             /* first error; the writer refuses work after it */
  /* Background compression (threads > 1): closed row groups wait in a ring
   * until their pages are compressed, then are written in order. */
  pq_wpool *pool;              /* NULL: pages are compressed inline */
  rg_job *q;
  uint32_t q_head, q_len, q_cap, max_pending;
  int64_t pending_raw;         /* uncompressed bytes of queued row groups */
  /* Content-defined row-group cuts (cdc && cdc_row_groups; see parq.h). */
  bool cdc_rg;
  pq_cdc_rg rg_cut;
  int64_t rg_max_rows;
};

void parq_write_options_init(parq_write_options *o) {
  memset(o, 0, sizeof *o);
  o->codec = PARQ_CODEC_ZSTD;
  o->level = 0;
  o->row_group_rows = 1048576;
  o->row_group_bytes = 128LL << 20;
  o->page_bytes = 1LL << 20;
  o->page_rows = 20000;
  o->page_version = 1;
  o->dictionary = 1;
  o->dictionary_page_bytes = 1LL << 20;
  o->statistics = 1;
  o->page_index = 1;
  o->write_crc = 1;
  o->bloom_filter = 0;
  o->stats_truncate = 64;
  o->fsync = 1;
  o->threads = 1;
  o->cdc_min_bytes = 256LL << 10;
  o->cdc_max_bytes = 1LL << 20;
  o->cdc_row_groups = 1;
}

/* ---------------------------------------------------------------- file I/O */

/* With fsync on, start the disk writeback of every WRITEBACK_STEP written
 * bytes at once (without waiting): the fsync at close then finds little
 * left to write instead of stalling on the whole file, which on a large
 * file was a serial tail of a quarter second or more. */
#define WRITEBACK_STEP ((int64_t)8 << 20)
static void start_writeback(parq_writer *w) {
#ifdef SYNC_FILE_RANGE_WRITE
  if (!w->opt.fsync || w->on_disk - w->synced < WRITEBACK_STEP) return;
  /* Advisory: an error here resurfaces at the fsync. */
  (void)sync_file_range(w->fd, w->synced, w->on_disk - w->synced, SYNC_FILE_RANGE_WRITE);
  w->synced = w->on_disk;
#else
  (void)w;
#endif
}

static parq_status fd_write_all(parq_writer *w, const uint8_t *p, size_t n, parq_error *err) {
  while (n > 0) {
    ssize_t k = write(w->fd, p, n > (1u << 30) ? (1u << 30) : n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return parq_err_errno(err, "write %s", w->tmp);
    }
    p += k;
    n -= (size_t)k;
    w->on_disk += k;
  }
  start_writeback(w);
  return PARQ_OK;
}

static parq_status wflush(parq_writer *w, parq_error *err) {
  if (!w->wbuf.len) return PARQ_OK;
  parq_status st = fd_write_all(w, w->wbuf.data, w->wbuf.len, err);
  parq_buf_clear(&w->wbuf);
  return st;
}

static parq_status wr(parq_writer *w, const void *p, size_t n, parq_error *err) {
  if (!n) return PARQ_OK;
  w->pos += (int64_t)n;
  if (n >= WBUF_CAP / 2) {
    PARQ_TRY(wflush(w, err));
    return fd_write_all(w, p, n, err);
  }
  if (w->wbuf.len + n > WBUF_CAP) PARQ_TRY(wflush(w, err));
  if (parq_buf_append(&w->wbuf, p, n) != PARQ_OK)
    return parq_err_set(err, PARQ_ENOMEM, "write buffer: out of memory");
  return PARQ_OK;
}

/* ---------------------------------------------------------------- options */

static void resolve_column(const parq_writer *w, const pq_leaf *leaf, const char *dotted,
                           const parq_write_options *o, pq_col_config *c) {
  memset(c, 0, sizeof *c);
  int codec = o->codec, level = o->level, enc = PARQ_ENC_DEFAULT;
  int dict = o->dictionary ? 1 : 0, stats = o->statistics ? 1 : 0, dict_set = -1;
  /* Top-level name matches first, exact leaf paths override them. */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < o->n_columns; i++) {
      const parq_column_options *co = &o->columns[i];
      if (!co->path) continue;
      bool m = pass == 0 ? (leaf->n_path_parts > 0 && !strcmp(co->path, leaf->path_parts[0]) &&
                            strcmp(co->path, dotted))
                         : !strcmp(co->path, dotted);
      if (!m) continue;
      if (co->codec >= 0) codec = co->codec;
      if (co->level != INT32_MIN) level = co->level;
      if (co->encoding != PARQ_ENC_DEFAULT) enc = co->encoding;
      if (co->dictionary >= 0) dict = dict_set = co->dictionary;
      if (co->statistics >= 0) stats = co->statistics;
    }
  }
  if (enc == PARQ_ENC_RLE_DICTIONARY || enc == PARQ_ENC_PLAIN_DICTIONARY) {
    dict = 1;
    enc = PARQ_ENC_PLAIN;
  } else if (enc != PARQ_ENC_DEFAULT) {
    dict = dict_set == 1; /* an explicit value encoding wins over the global dictionary */
  } else {
    enc = PARQ_ENC_PLAIN;
  }
  (void)w;
  c->path = dotted;
  c->path_parts = leaf->path_parts;
  c->n_path = leaf->n_path_parts;
  c->elem = leaf->elem;
  c->max_def = leaf->max_def;
  c->max_rep = leaf->max_rep;
  c->codec = codec;
  c->level = level;
  c->encoding = enc;
  c->dictionary = dict != 0;
  c->statistics = stats != 0;
  c->page_version = o->page_version;
  c->page_bytes = o->page_bytes > 0 ? o->page_bytes : (1LL << 20);
  c->page_rows = o->page_rows > 0 ? o->page_rows : 20000;
  c->dict_page_bytes = o->dictionary_page_bytes > 0 ? o->dictionary_page_bytes : (1LL << 20);
  c->stats_truncate = o->stats_truncate;
  c->write_crc = o->write_crc != 0;
  c->cdc = o->cdc != 0;
  c->cdc_min = o->cdc_min_bytes;
  c->cdc_max = o->cdc_max_bytes;
  c->cdc_norm = o->cdc_norm_level;
}

/* ---------------------------------------------------------------- lifecycle */

static void job_free(parq_writer *w, rg_job *j);

static void writer_free(parq_writer *w) {
  if (!w) return;
  /* Join the workers first: queued pages belong to the chunks freed below. */
  pq_wpool_free(w->pool);
  w->pool = NULL;
  for (uint32_t k = 0; w->q && k < w->q_len; k++) job_free(w, &w->q[(w->q_head + k) % w->q_cap]);
  free(w->q);
  if (w->fd >= 0) close(w->fd);
  for (int i = 0; i < w->n_leaves && w->cols; i++) pq_column_writer_free(w->cols[i]);
  free(w->cols);
  free(w->cfg);
  pq_shred_scratch_free(&w->scratch);
  pq_wplan_free(&w->plan);
  if (w->schema_built) pq_schema_free(&w->schema);
  parq_buf_free(&w->wbuf);
  parq_buf_free(&w->ci_all);
  parq_buf_free(&w->oi_all);
  parq_buf_free(&w->idx);
  pq_cdc_rg_free(&w->rg_cut);
  free(w->rgs);
  parq_arena_free(&w->arena);
  free(w->path);
  free(w->tmp);
  free(w);
}

void parq_writer_abort(parq_writer *w) {
  if (!w) return;
  if (w->fd >= 0) {
    close(w->fd);
    w->fd = -1;
  }
  if (w->tmp) unlink(w->tmp);
  writer_free(w);
}

static parq_status make_tmp(parq_writer *w, parq_error *err) {
  size_t n = strlen(w->path) + 64;
  w->tmp = malloc(n);
  if (!w->tmp) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int attempt = 0; attempt < 16; attempt++) {
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)w ^
          (uint64_t)attempt * 0x9e3779b97f4a7c15ull;
    }
    snprintf(w->tmp, n, "%s.tmp.%ld.%016llx", w->path, (long)getpid(), (unsigned long long)r);
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (w->fd >= 0) return PARQ_OK;
    if (errno != EEXIST) return parq_err_errno(err, "create %s", w->tmp);
  }
  return parq_err_set(err, PARQ_EIO, "create %s: could not find a free temporary name", w->path);
}

parq_status parq_writer_open(const char *path, const struct ArrowSchema *schema,
                             const parq_write_options *opt, parq_writer **out, parq_error *err) {
  if (out) *out = NULL;
  if (!path || !*path || !schema || !out)
    return parq_err_set(err, PARQ_EINVAL, "parq_writer_open: path, schema and out are required");
  parq_writer *w = calloc(1, sizeof *w);
  if (!w) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  w->fd = -1;
  parq_status st = PARQ_OK;
  if (opt) w->opt = *opt;
  else parq_write_options_init(&w->opt);
  parq_write_options *o = &w->opt;
  if (o->page_version != 1 && o->page_version != 2) {
    st = parq_err_set(err, PARQ_EINVAL, "page_version %d (must be 1 or 2)", o->page_version);
    goto fail;
  }
  if (!pq_codec_supported(o->codec) || o->codec == PARQ_CODEC_LZO) {
    st = parq_err_set(err, PARQ_EINVAL, "codec %d cannot be written", (int)o->codec);
    goto fail;
  }
  if (o->row_group_rows <= 0) o->row_group_rows = 1048576;
  if (o->row_group_bytes <= 0) o->row_group_bytes = 128LL << 20;
  if (o->cdc) {
    pq_cdc_params cp;
    st = pq_cdc_params_make(o->cdc_min_bytes, o->cdc_max_bytes, o->cdc_norm_level, &cp, err);
    if (st != PARQ_OK) goto fail;
    if (o->cdc_row_groups) {
      /* Two content-defined rules on the first column (cdc.h, docs/CDC.md):
       * rows: armed at row_group_rows / 2, a key match every ~that many
       * records; key bytes: armed at 4 x cdc_max_bytes of key bytes, a match
       * every ~4 x cdc_max_bytes more. The byte rule bounds the group of a
       * wide key (text), so that a narrow column, which in one big group is
       * only a few CDC chunks long, changes only near an edit. Not smaller:
       * every group costs a changed storage chunk when a column is added,
       * dropped or cast (measured in docs/CDC.md). */
      int64_t half = o->row_group_rows / 2;
      int64_t kb = o->cdc_max_bytes > INT64_MAX / 4 ? INT64_MAX : 4 * o->cdc_max_bytes;
      w->cdc_rg = true;
      w->rg_cut.arm_rows = half;
      w->rg_cut.rec_mask = pq_cdc_mask_for(half);
      w->rg_cut.arm_bytes = kb;
      w->rg_cut.byte_gap = (uint64_t)kb;
      w->rg_max_rows = o->row_group_rows > INT64_MAX / 2 ? INT64_MAX : 2 * o->row_group_rows;
    }
  }
  w->path = strdup(path);
  if (!w->path) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); goto fail; }
  /* Schema: Arrow -> SchemaElements -> tree (leaf paths/levels) + write plan. */
  st = pq_schema_from_arrow(schema, &w->arena, &w->elems, &w->n_elems, err);
  if (st != PARQ_OK) goto fail;
  st = pq_schema_build(w->elems, w->n_elems, &w->schema, err);
  if (st != PARQ_OK) goto fail;
  w->schema_built = true;
  st = pq_wplan_build(schema, &w->plan, err);
  if (st != PARQ_OK) goto fail;
  w->n_leaves = w->plan.n_leaves;
  if (w->n_leaves != w->schema.n_leaves) {
    st = parq_err_set(err, PARQ_EINTERNAL, "writer: %d Arrow leaves but %d Parquet leaves",
                      w->n_leaves, w->schema.n_leaves);
    goto fail;
  }
  w->cols = calloc((size_t)w->n_leaves, sizeof *w->cols);
  w->cfg = calloc((size_t)w->n_leaves, sizeof *w->cfg);
  if (!w->cols || !w->cfg) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); goto fail; }
  for (int i = 0; i < w->n_leaves; i++) {
    const pq_leaf *lf = &w->schema.leaves[i];
    const pq_wnode *wn = w->plan.leaf_path[i][w->plan.leaf_depth[i] - 1];
    if (wn->def != lf->max_def || wn->rep != lf->max_rep) {
      st = parq_err_set(err, PARQ_EINTERNAL, "column '%s': level mismatch (%d/%d vs %d/%d)",
                        lf->path, wn->def, wn->rep, lf->max_def, lf->max_rep);
      goto fail;
    }
    resolve_column(w, lf, lf->path, o, &w->cfg[i]);
    if (!pq_codec_supported(w->cfg[i].codec) || w->cfg[i].codec == PARQ_CODEC_LZO) {
      st = parq_err_set(err, PARQ_EINVAL, "column '%s': codec %d cannot be written", lf->path,
                        w->cfg[i].codec);
      goto fail;
    }
    st = pq_column_writer_new(&w->cfg[i], &w->cols[i], err);
    if (st != PARQ_OK) goto fail;
  }
  /* An override naming no column is a typo the user wants to hear about. */
  for (size_t k = 0; k < o->n_columns; k++) {
    const char *cp = o->columns[k].path;
    bool hit = false;
    for (int i = 0; cp && i < w->n_leaves && !hit; i++) {
      const pq_leaf *lf = &w->schema.leaves[i];
      hit = !strcmp(cp, lf->path) || (lf->n_path_parts > 0 && !strcmp(cp, lf->path_parts[0]));
    }
    if (!hit) {
      st = parq_err_set(err, PARQ_EINVAL, "column option for '%s': no such column",
                        cp ? cp : "(null)");
      goto fail;
    }
  }
  /* Copy what the caller may free after open. */
  o->columns = NULL;
  o->n_columns = 0;
  if (opt && opt->n_kv) {
    w->kv = parq_arena_calloc(&w->arena, opt->n_kv, sizeof *w->kv);
    if (!w->kv) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < opt->n_kv; i++) {
      const char *k = opt->kv[2 * i], *v = opt->kv[2 * i + 1];
      if (!k) continue;
      pq_key_value *e = &w->kv[w->n_kv++];
      e->key = parq_arena_strndup(&w->arena, k, strlen(k));
      e->has_value = v != NULL;
      e->value = v ? parq_arena_strndup(&w->arena, v, strlen(v)) : NULL;
      if (!e->key || (v && !e->value)) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); goto fail; }
    }
  }
  o->kv = NULL;
  o->n_kv = 0;
  const char *cb = (opt && opt->created_by) ? opt->created_by : "parq version " PARQ_VERSION_STRING " (build parq)";
  w->created_by = parq_arena_strndup(&w->arena, cb, strlen(cb));
  o->created_by = NULL;
  if (!w->created_by) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); goto fail; }
  /* threads <= 1: compress inline and write each row group when it closes.
   * More: a pool compresses pages while up to `threads` closed row groups
   * wait (bounded memory); workers beyond 64 would only add contention. */
  int nt = o->threads > 64 ? 64 : o->threads;
  w->q_cap = nt > 1 ? (uint32_t)nt + 1 : 1;
  w->max_pending = nt > 1 ? (uint32_t)nt : 0;
  w->q = calloc(w->q_cap, sizeof *w->q);
  if (!w->q) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); goto fail; }
  if (nt > 1) {
    st = pq_wpool_new(nt, &w->pool, err);
    if (st != PARQ_OK) goto fail;
    for (int i = 0; i < w->n_leaves; i++) pq_column_writer_set_pool(w->cols[i], w->pool);
  }
  st = make_tmp(w, err);
  if (st != PARQ_OK) goto fail;
  if (parq_buf_reserve(&w->wbuf, WBUF_CAP) != PARQ_OK) {
    st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    goto fail;
  }
  st = wr(w, "PAR1", 4, err);
  if (st != PARQ_OK) goto fail;
  *out = w;
  return PARQ_OK;
fail:
  parq_err_prefix(err, "%s", path ? path : "(null)");
  parq_writer_abort(w);
  return st;
}

static parq_status failed(parq_writer *w, parq_status st, parq_error *err) {
  if (w->fail.code == PARQ_OK) {
    w->fail.code = st;
    if (err) memcpy(w->fail.message, err->message, sizeof w->fail.message);
    else snprintf(w->fail.message, sizeof w->fail.message, "%s", parq_strerror(st));
  }
  return st;
}

static parq_status refuse(const parq_writer *w, parq_error *err) {
  return parq_err_set(err, w->fail.code, "%s: writer failed earlier: %s", w->path, w->fail.message);
}

/* ---------------------------------------------------------------- row groups */

static void job_free(parq_writer *w, rg_job *j) {
  for (int i = 0; j->chunks && i < w->n_leaves; i++) pq_wchunk_free(&j->chunks[i]);
  free(j->chunks);
  j->chunks = NULL;
}

static bool job_done(parq_writer *w, const rg_job *j) {
  if (!w->pool) return true; /* compressed inline */
  for (int i = 0; i < w->n_leaves; i++) {
    const pq_wchunk *ch = &j->chunks[i];
    if (ch->dict && !pq_wpool_done(w->pool, ch->dict)) return false;
    for (size_t k = 0; k < ch->n_pages; k++)
      if (!pq_wpool_done(w->pool, ch->pages[k])) return false;
  }
  return true;
}

/* Write a row group whose chunks were detached: wait for its pages, place
 * each chunk at the current end of the file. */
static parq_status write_job(parq_writer *w, rg_job *j, parq_error *err) {
  pq_row_group *rg = &w->rgs[j->rg];
  rg->file_offset = w->pos;
  chunk_idx *ix = (chunk_idx *)w->idx.data + (size_t)j->rg * (size_t)w->n_leaves;
  for (int i = 0; i < w->n_leaves; i++) {
    pq_wchunk *ch = &j->chunks[i];
    if (w->pool) {
      if (ch->dict) pq_wpool_wait(w->pool, ch->dict);
      for (size_t k = 0; k < ch->n_pages; k++) pq_wpool_wait(w->pool, ch->pages[k]);
    }
    int64_t off = w->pos;
    ix[i].oi_off = (int64_t)w->oi_all.len;
    PARQ_TRY(pq_wchunk_place(ch, off, &rg->columns[i], &w->oi_all, err));
    ix[i].oi_len = (int32_t)((int64_t)w->oi_all.len - ix[i].oi_off);
    if (ch->dict) PARQ_TRY(wr(w, ch->dict->out.data, ch->dict->out.len, err));
    for (size_t k = 0; k < ch->n_pages; k++)
      PARQ_TRY(wr(w, ch->pages[k]->out.data, ch->pages[k]->out.len, err));
    const pq_column_metadata *m = &rg->columns[i].meta_data;
    rg->total_byte_size += m->total_uncompressed_size;
    rg->total_compressed_size += m->total_compressed_size;
    w->pending_raw -= ch->raw_bytes;
    pq_wchunk_free(ch); /* the compressed pages are in the file buffer now */
  }
  return PARQ_OK;
}

/* Write finished row groups from the front of the queue; block on the oldest
 * while more than `keep` are queued. keep 0 writes everything. */
static parq_status drain(parq_writer *w, uint32_t keep, parq_error *err) {
  while (w->q_len > 0) {
    rg_job *j = &w->q[w->q_head];
    if (w->q_len <= keep && !job_done(w, j)) break;
    parq_status st = write_job(w, j, err);
    if (st != PARQ_OK) {
      parq_err_prefix(err, "row group %u", j->rg);
      return st; /* the job stays queued; writer_free releases it */
    }
    job_free(w, j);
    w->q_head = (w->q_head + 1) % w->q_cap;
    w->q_len--;
  }
  return PARQ_OK;
}

/* Close the open row group: finish and detach every column chunk (metadata
 * that does not depend on compression is filled now) and queue it. Without a
 * pool it is written at once, as the pages were compressed inline. */
static parq_status close_rg(parq_writer *w, parq_error *err) {
  if (w->rg_rows == 0) return PARQ_OK;
  for (int i = 0; i < w->n_leaves; i++) PARQ_TRY(pq_column_writer_finish_chunk(w->cols[i], err));
  if (w->n_rgs == w->cap_rgs) {
    uint32_t cap = w->cap_rgs ? w->cap_rgs * 2 : 8;
    pq_row_group *n = realloc(w->rgs, cap * sizeof *n);
    if (!n) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    w->rgs = n;
    w->cap_rgs = cap;
  }
  if (parq_buf_reserve(&w->idx, (size_t)w->n_leaves * sizeof(chunk_idx)) != PARQ_OK)
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  pq_row_group *rg = &w->rgs[w->n_rgs];
  memset(rg, 0, sizeof *rg);
  rg->columns = parq_arena_calloc(&w->arena, (size_t)w->n_leaves, sizeof(pq_column_chunk));
  rg_job j = {w->n_rgs, calloc((size_t)w->n_leaves, sizeof(pq_wchunk))};
  if (!rg->columns || !j.chunks) {
    free(j.chunks);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  rg->n_columns = (uint32_t)w->n_leaves;
  rg->num_rows = w->rg_rows;
  rg->has_file_offset = true;
  rg->has_total_compressed_size = true;
  if (w->n_rgs < 32768) {
    rg->has_ordinal = true;
    rg->ordinal = (int16_t)w->n_rgs;
  }
  for (int i = 0; i < w->n_leaves; i++) {
    chunk_idx ix;
    memset(&ix, 0, sizeof ix);
    ix.ci_off = (int64_t)w->ci_all.len;
    parq_status st = pq_column_writer_detach(w->cols[i], &w->arena, &rg->columns[i], &ix.has_ci,
                                             &w->ci_all, &j.chunks[i], err);
    if (st != PARQ_OK) {
      /* Chunks detached so far may have pages on the pool: let them finish. */
      for (int k = 0; w->pool && k < i; k++) {
        pq_wchunk *ch = &j.chunks[k];
        if (ch->dict) pq_wpool_wait(w->pool, ch->dict);
        for (size_t p = 0; p < ch->n_pages; p++) pq_wpool_wait(w->pool, ch->pages[p]);
      }
      job_free(w, &j);
      return st;
    }
    ix.ci_len = (int32_t)((int64_t)w->ci_all.len - ix.ci_off);
    parq_buf_put(&w->idx, &ix, sizeof ix); /* reserved above */
    w->pending_raw += j.chunks[i].raw_bytes;
  }
  w->n_rgs++;
  w->total_rows += w->rg_rows;
  w->rg_rows = 0;
  w->q[(w->q_head + w->q_len) % w->q_cap] = j;
  w->q_len++;
  /* At most max_pending row groups wait for compression; the producer
   * blocks (helping the workers) beyond that. */
  return drain(w, w->max_pending, err);
}

static parq_status flush_rg(parq_writer *w, parq_error *err) {
  parq_status st = close_rg(w, err);
  if (st != PARQ_OK) parq_err_prefix(err, "%s", w->path);
  return st;
}

parq_status parq_writer_flush_row_group(parq_writer *w, parq_error *err) {
  if (!w) return parq_err_set(err, PARQ_EINVAL, "writer is NULL");
  if (w->fail.code) return refuse(w, err);
  parq_status st = flush_rg(w, err);
  return st == PARQ_OK ? st : failed(w, st, err);
}

static int64_t buffered(const parq_writer *w) {
  int64_t b = 0;
  for (int i = 0; i < w->n_leaves; i++) b += pq_column_writer_buffered(w->cols[i]);
  return b;
}

/* Bytes per PLAIN value of a fixed-width leaf (BOOLEAN: 1), 0 for BYTE_ARRAY. */
static int phys_width(const pq_schema_element *e) {
  switch (e->type) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32: case PQ_FLOAT: return 4;
    case PQ_INT64: case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY: return e->type_length;
    default: return 0;
  }
}

parq_status parq_writer_write(parq_writer *w, const struct ArrowArray *batch, parq_error *err) {
  if (!w) return parq_err_set(err, PARQ_EINVAL, "writer is NULL");
  if (w->fail.code) return refuse(w, err);
  /* A malformed batch is the caller's mistake and leaves the writer usable. */
  PARQ_TRY(pq_wplan_validate(&w->plan, batch, err));
  int64_t row = 0, n = batch->length;
  while (row < n) {
    /* Pieces end at row-group boundaries; bounded so byte limits are checked often. */
    int64_t limit = w->cdc_rg ? w->rg_max_rows : w->opt.row_group_rows;
    int64_t take = limit - w->rg_rows;
    if (take > n - row) take = n - row;
    if (take > 65536) take = 65536;
    bool cut_here = false;
    if (w->cdc_rg) {
      /* Content-defined row-group end (pq_cdc_rg_scan over the first column);
       * a group past half of row_group_bytes is armed as well. */
      int64_t rows = w->rg_rows;
      if (rows && rows < w->rg_cut.arm_rows && buffered(w) >= w->opt.row_group_bytes / 2)
        rows = w->rg_cut.arm_rows;
      pq_leaf_batch lb;
      int64_t cut = -1;
      parq_status st = pq_shred_leaf(&w->plan, 0, batch, row, take, &w->scratch, &lb, err);
      if (st == PARQ_OK)
        st = pq_cdc_rg_scan(&w->rg_cut, &lb, w->cfg[0].elem->type, phys_width(w->cfg[0].elem),
                            w->cfg[0].max_def, rows, &cut, err);
      if (st != PARQ_OK) {
        parq_err_prefix(err, "%s", w->path);
        return failed(w, st, err);
      }
      if (cut > 0) {
        take = cut;
        cut_here = true;
      }
    }
    for (int i = 0; i < w->n_leaves; i++) {
      pq_leaf_batch lb;
      parq_status st = pq_shred_leaf(&w->plan, i, batch, row, take, &w->scratch, &lb, err);
      if (st == PARQ_OK) st = pq_column_writer_write(w->cols[i], &lb, err);
      if (st != PARQ_OK) {
        parq_err_prefix(err, "%s", w->path);
        return failed(w, st, err);
      }
    }
    w->rg_rows += take;
    row += take;
    int64_t byte_cap = w->opt.row_group_bytes;
    if (w->cdc_rg) byte_cap = byte_cap > INT64_MAX / 2 ? INT64_MAX : 2 * byte_cap;
    if (cut_here || w->rg_rows >= limit || buffered(w) >= byte_cap) {
      parq_status st = flush_rg(w, err);
      if (st != PARQ_OK) return failed(w, st, err);
    } else if (w->q_len) {
      /* Write queued row groups whose pages are done now, not at the next
       * close: with large row groups that frees their pages much sooner. */
      parq_status st = drain(w, w->max_pending, err);
      if (st != PARQ_OK) {
        parq_err_prefix(err, "%s", w->path);
        return failed(w, st, err);
      }
    }
  }
  return PARQ_OK;
}

/* ---------------------------------------------------------------- close */

static parq_status write_indexes(parq_writer *w, parq_error *err) {
  const chunk_idx *ix = (const chunk_idx *)w->idx.data;
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t r = 0; r < w->n_rgs; r++) {
      for (int c = 0; c < w->n_leaves; c++) {
        const chunk_idx *x = &ix[(size_t)r * (size_t)w->n_leaves + (size_t)c];
        pq_column_chunk *cc = &w->rgs[r].columns[c];
        if (pass == 0 && x->has_ci) {
          cc->has_column_index = true;
          cc->column_index_offset = w->pos;
          cc->column_index_length = x->ci_len;
          PARQ_TRY(wr(w, w->ci_all.data + x->ci_off, (size_t)x->ci_len, err));
        } else if (pass == 1) {
          cc->has_offset_index = true;
          cc->offset_index_offset = w->pos;
          cc->offset_index_length = x->oi_len;
          PARQ_TRY(wr(w, w->oi_all.data + x->oi_off, (size_t)x->oi_len, err));
        }
      }
    }
  }
  return PARQ_OK;
}

static parq_status finish(parq_writer *w, parq_error *err) {
  PARQ_TRY(flush_rg(w, err));
  parq_status dst = drain(w, 0, err);
  if (dst != PARQ_OK) {
    parq_err_prefix(err, "%s", w->path);
    return dst;
  }
  if (w->opt.page_index) PARQ_TRY(write_indexes(w, err));
  pq_file_metadata fm;
  memset(&fm, 0, sizeof fm);
  fm.version = 2;
  fm.schema = w->elems;
  fm.n_schema = w->n_elems;
  fm.num_rows = w->total_rows;
  fm.row_groups = w->rgs;
  fm.n_row_groups = w->n_rgs;
  fm.kv = w->kv;
  fm.n_kv = w->n_kv;
  fm.created_by = w->created_by;
  fm.column_orders = parq_arena_calloc(&w->arena, (size_t)w->n_leaves, sizeof(int32_t));
  if (!fm.column_orders) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int i = 0; i < w->n_leaves; i++) fm.column_orders[i] = 1; /* TYPE_DEFINED_ORDER */
  fm.n_column_orders = (uint32_t)w->n_leaves;
  parq_buf foot = PARQ_BUF_INIT;
  parq_status st = pq_encode_file_metadata(&fm, &foot);
  if (st == PARQ_OK && foot.len > UINT32_MAX) st = PARQ_ENOMEM;
  if (st != PARQ_OK) {
    parq_buf_free(&foot);
    return parq_err_set(err, st, "footer encoding failed");
  }
  uint8_t tail[8];
  uint32_t fl = (uint32_t)foot.len;
  memcpy(tail, &fl, 4);
  memcpy(tail + 4, "PAR1", 4);
  st = wr(w, foot.data, foot.len, err);
  parq_buf_free(&foot);
  PARQ_TRY(st);
  PARQ_TRY(wr(w, tail, 8, err));
  PARQ_TRY(wflush(w, err));
  if (w->opt.fsync && fsync(w->fd) != 0) return parq_err_errno(err, "fsync %s", w->tmp);
  int fd = w->fd;
  w->fd = -1;
  if (close(fd) != 0) return parq_err_errno(err, "close %s", w->tmp);
  if (rename(w->tmp, w->path) != 0) return parq_err_errno(err, "rename %s to %s", w->tmp, w->path);
  if (w->opt.fsync) {
    char *d = strdup(w->path);
    if (d) {
      int dfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0) {
        (void)fsync(dfd); /* best effort: the file itself is complete */
        close(dfd);
      }
      free(d);
    }
  }
  free(w->tmp);
  w->tmp = NULL; /* renamed: nothing to clean up */
  return PARQ_OK;
}

parq_status parq_writer_close(parq_writer *w, parq_error *err) {
  if (!w) return PARQ_OK;
  parq_status st;
  if (w->fail.code) st = refuse(w, err);
  else st = finish(w, err);
  parq_writer_abort(w); /* frees; unlinks the temporary unless renamed */
  return st;
}

/* Queued row groups count with their uncompressed size until written. */
int64_t parq_writer_bytes(const parq_writer *w) {
  return w ? w->pos + w->pending_raw + buffered(w) : 0;
}

int64_t parq_writer_rows(const parq_writer *w) { return w ? w->total_rows + w->rg_rows : 0; }
