/* repack_emit.c — rows in output order -> shard files: the emitter
 * (row groups of exactly row_group_rows rows, shards closed where the plan
 * says), pass 2 over shuffled buckets, pass 2 over an MPI job's ordered
 * spills, and the one-process --no-shuffle stream straight from the inputs.
 *
 * In an MPI job rank r writes shards s with s % K == r: it loads only the
 * buckets its shards draw rows from and skips the rest of the plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset/repack_run.h"
#include "util/error.h"

typedef pq_repack_run run;

double pq_repack_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int pq_repack_cancelled(run *r) {
  if (r->o->cancel && r->o->cancel(r->o->cancel_user)) {
    parq_err_set(r->err, PARQ_EIO, "repack: interrupted");
    return 1;
  }
  return 0;
}

/* Progress with explicit shard figures (a closed shard's, reported after
 * the emitter has moved on to the next one). */
static void report_shard(run *r, parq_repack_phase phase, const char *path, int64_t shard,
                         int64_t shard_rows, int64_t shard_chars, int64_t shard_bytes,
                         double shard_secs) {
  if (!r->o->progress) return;
  parq_repack_progress p;
  memset(&p, 0, sizeof p);
  p.phase = phase;
  p.path = path;
  p.shard = shard;
  p.shard_rows = shard_rows;
  p.shard_chars = shard_chars;
  p.shard_bytes = shard_bytes;
  p.shard_seconds = shard_secs;
  p.rows_done = r->rows_done;
  p.rows_total = r->rows_total;
  p.bytes_done = r->bytes_done;
  p.bytes_total = phase == PARQ_REPACK_SPILL ? r->share_bytes : r->bytes_total;
  p.shards_resumed = r->n_done;
  double now = pq_repack_now();
  p.elapsed = now - r->t0;
  p.eta = -1;
  double spent = now - r->emit_t0;
  if (r->rows_this_run > 0 && r->rows_total >= 0)
    p.eta = spent / (double)r->rows_this_run * (double)(r->rows_total - r->rows_done);
  else if (r->rows_total < 0 && r->bytes_done > 0 && r->emit_t0 > 0)
    p.eta = spent * (double)(r->bytes_total - r->bytes_done) / (double)r->bytes_done;
  r->o->progress(r->o->progress_user, &p);
}

void pq_repack_report(run *r, parq_repack_phase phase, const char *path, int64_t shard_bytes,
                      double shard_secs) {
  report_shard(r, phase, path, r->shard_idx, r->shard_rows, r->shard_chars, shard_bytes, shard_secs);
}

/* ---------------- the emitter ---------------- */

static parq_status open_shard(run *r) {
  const parq_repack_options *o = r->o;
  snprintf(r->shard_path, sizeof r->shard_path, "%s/shard_%05lld.parquet", o->output_dir,
           (long long)r->shard_idx);
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
  r->shard_rows = r->shard_chars = r->shard_rgs = 0;
  r->shard_t0 = pq_repack_now();
  return parq_writer_open(r->shard_path, &r->schema, &wo, &r->w, r->err);
}

/* Closing a shard: finish the file (wait for its last pages, footer,
 * fsync, rename), hash it, and record it — in the manifest at once with one
 * process (a kill loses at most the shard being written), for rank 0's
 * final gather under MPI. This runs on a helper thread while the emitter
 * goes on with the next shard: it is mostly waiting on the disk. One close
 * at a time, so shards are recorded in order. */
typedef struct pq_shard_close {
  run *r;
  parq_writer *w;
  char path[4200];
  int64_t idx, rows, rgs, chars;
  double t0;
  pthread_t tid;
  int threaded;
  int64_t bytes;
  parq_status st;
  parq_error err;
} pq_shard_close;

static void *shard_close_main(void *arg) {
  pq_shard_close *c = arg;
  run *r = c->r;
  parq_error *err = &c->err;
  parq_writer *w = c->w;
  c->w = NULL;
  parq_status st = parq_writer_close(w, err);
  pq_manifest_shard s;
  memset(&s, 0, sizeof s);
  snprintf(s.path, sizeof s.path, "shard_%05lld.parquet", (long long)c->idx);
  s.rows = c->rows;
  s.row_groups = c->rgs;
  s.text_chars = c->chars;
  if (st == PARQ_OK) st = pq_file_xxh3(c->path, &s.xxh3, &s.bytes, err);
  if (st == PARQ_OK && r->comm->size == 1) {
    st = pq_repack_manifest_push(&r->man, &s, err);
    if (st == PARQ_OK) st = pq_repack_manifest_write(r->o->output_dir, &r->man, r->o->fsync, err);
  } else if (st == PARQ_OK) {
    if (r->n_mine == r->cap_mine) {
      size_t nc = r->cap_mine ? r->cap_mine * 2 : 16;
      pq_manifest_shard *t = realloc(r->mine, nc * sizeof *t);
      if (!t) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
      else r->mine = t, r->cap_mine = nc;
    }
    if (st == PARQ_OK) r->mine[r->n_mine++] = s;
  }
  c->bytes = s.bytes;
  c->st = st;
  return NULL;
}

/* Wait for the pending close, report it, and pass on its status. */
parq_status pq_repack_close_wait(run *r) {
  pq_shard_close *c = r->closing;
  if (!c) return PARQ_OK;
  r->closing = NULL;
  if (c->threaded) pthread_join(c->tid, NULL);
  parq_status st = c->st;
  if (st != PARQ_OK) {
    *r->err = c->err;
  } else {
    report_shard(r, PARQ_REPACK_SHARD, c->path, c->idx, c->rows, c->chars, c->bytes,
                 pq_repack_now() - c->t0);
  }
  free(c);
  return st;
}

static parq_status close_shard(run *r) {
  PARQ_TRY(pq_repack_close_wait(r));
  pq_shard_close *c = calloc(1, sizeof *c);
  if (!c) return parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  c->r = r;
  c->w = r->w;
  r->w = NULL;
  snprintf(c->path, sizeof c->path, "%s", r->shard_path);
  c->idx = r->shard_idx;
  c->rows = r->shard_rows;
  c->rgs = r->shard_rgs;
  c->chars = r->shard_chars;
  c->t0 = r->shard_t0;
  r->closing = c;
  c->threaded = pthread_create(&c->tid, NULL, shard_close_main, c) == 0;
  if (!c->threaded) shard_close_main(c); /* no thread: close inline */
  r->shard_idx++;
  return PARQ_OK;
}

/* Write the rows built so far as one row group. */
static parq_status flush_batch(run *r) {
  if (pq_rnode_rows(&r->nodes) == 0) return PARQ_OK;
  if (!r->w) PARQ_TRY(open_shard(r));
  struct ArrowArray b;
  PARQ_TRY(pq_rnode_finish(&r->nodes, &b, r->err));
  int64_t n = b.length;
  parq_status st = parq_writer_write(r->w, &b, r->err);
  b.release(&b);
  if (st == PARQ_OK) st = parq_writer_flush_row_group(r->w, r->err);
  if (st != PARQ_OK) return st;
  r->shard_rows += n;
  r->shard_chars += r->group_chars;
  r->group_chars = 0;
  r->shard_rgs++;
  r->rows_done += n;
  r->rows_this_run += n;
  pq_repack_report(r, PARQ_REPACK_WRITE, r->shard_path, 0, 0);
  return PARQ_OK;
}

/* One row of the current shard; `last` closes the shard after it. */
static parq_status emit_row(run *r, const uint8_t *row, size_t len, uint32_t chars, int last) {
  PARQ_TRY(pq_row_decode(&r->nodes, row, len, r->err));
  r->group_chars += chars;
  if (pq_rnode_rows(&r->nodes) == r->o->row_group_rows || last) {
    if (pq_repack_cancelled(r)) return PARQ_EIO;
    PARQ_TRY(flush_batch(r));
  }
  return last ? close_shard(r) : PARQ_OK;
}

/* ---------------- pass 2: shuffled buckets -> shards ---------------- */

/* The first shard at or after s that this rank writes. */
static size_t next_mine(const run *r, size_t s) {
  size_t K = (size_t)r->comm->size, me = (size_t)r->comm->rank;
  return s + (me + K - s % K) % K;
}

static parq_status emit_pass2(run *r, const pq_spillset *ss, const pq_plan *p) {
  int K = ss->n_parts;
  uint32_t B = ss->n_buckets;
  int64_t *base = calloc((size_t)B + 1, sizeof *base);
  char *need = calloc((size_t)B + 1, 1);
  if (!base || !need) {
    free(base), free(need);
    return parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  }
  for (uint32_t b = 0; b < B; b++) {
    base[b + 1] = base[b];
    for (int q = 0; q < K; q++) base[b + 1] += ss->rows[(size_t)b * K + q];
  }
  /* Buckets holding rows of this rank's shards; the rest are never read. */
  r->rows_total = r->comm->size == 1 ? p->rows : 0;
  r->rows_done = r->comm->size == 1 ? r->done_rows : 0;
  uint32_t bk0 = 0;
  for (size_t s = next_mine(r, (size_t)r->n_done); s < p->n; s = next_mine(r, s + 1)) {
    const pq_shard_plan *sh = &p->v[s];
    if (r->comm->size > 1) r->rows_total += sh->rows;
    while (bk0 < B && base[bk0 + 1] <= sh->start) bk0++;
    for (uint32_t b = bk0; b < B && base[b] < sh->start + sh->rows; b++) need[b] = 1;
  }
  r->emit_t0 = pq_repack_now();
  /* With --jobs > 1 and buckets small enough that two fit the memory limit
   * (pass 1 makes them so), the next bucket needed is read and sorted on a
   * helper thread while this one is written. Only timing changes. */
  int prefetch = r->o->threads > 1 && (int64_t)B >= 2 * pq_repack_bucket_count(r);
  pq_bucket_job job;
  int64_t pending = -1; /* bucket the job is loading */
  parq_status st = PARQ_OK;
  size_t s = next_mine(r, (size_t)r->n_done);
  for (uint32_t b = 0; b < B && st == PARQ_OK && s < p->n; b++) {
    if (!need[b]) continue;
    size_t at = (size_t)b * K;
    pq_bucket bk;
    memset(&bk, 0, sizeof bk);
    if (pending == (int64_t)b) {
      pending = -1;
      if ((st = pq_bucket_load_wait(&job, &bk, r->err)) != PARQ_OK) break;
    } else {
      st = pq_bucket_load_parts((const char *const *)ss->paths + at, ss->bytes + at, ss->rows + at, K,
                                0, &bk, r->err);
      if (st != PARQ_OK) break;
    }
    if (bk.n != base[b + 1] - base[b]) {
      pq_bucket_free(&bk);
      st = parq_err_set(r->err, PARQ_ECORRUPT, "repack: spill bucket %u changed since planning", b);
      break;
    }
    uint32_t nx = b + 1;
    while (nx < B && !need[nx]) nx++;
    if (prefetch && nx < B) {
      size_t an = (size_t)nx * K;
      st = pq_bucket_load_start(&job, (const char *const *)ss->paths + an, ss->bytes + an,
                                ss->rows + an, K, r->err);
      if (st == PARQ_OK) pending = nx;
    }
    /* this rank's shards overlapping [base[b], base[b+1]) */
    while (st == PARQ_OK && s < p->n && p->v[s].start < base[b + 1]) {
      const pq_shard_plan *sh = &p->v[s];
      int64_t end = sh->start + sh->rows;
      int64_t from = (sh->start > base[b] ? sh->start : base[b]) - base[b];
      int64_t to = (end < base[b + 1] ? end : base[b + 1]) - base[b];
      if (sh->start >= base[b]) r->shard_idx = (int64_t)s;
      for (int64_t i = from; i < to && st == PARQ_OK; i++) {
        const pq_bucket_rec *rc = &bk.recs[i];
        st = emit_row(r, bk.data + rc->off, rc->len, rc->chars, base[b] + i + 1 == end);
      }
      if (end > base[b + 1]) break; /* continues in a later bucket */
      s = next_mine(r, s + 1);
    }
    pq_bucket_free(&bk);
  }
  if (pending >= 0) { /* an error stopped us: drop the bucket being loaded */
    pq_bucket bk;
    parq_error ignore;
    if (pq_bucket_load_wait(&job, &bk, &ignore) == PARQ_OK) pq_bucket_free(&bk);
  }
  free(base);
  free(need);
  if (st == PARQ_OK && s < p->n)
    st = parq_err_set(r->err, PARQ_EINTERNAL, "repack: shard %zu was not reached", s);
  return st;
}

/* ---------------- pass 2: ordered spills (MPI --no-shuffle) ---------------- */

/* Each rank's spill is in key (= input) order, so a shard is a K-way merge
 * starting where the plan recorded each part's position. */
static parq_status emit_pass2_ordered(run *r, const pq_spillset *ss, const pq_plan *p) {
  int K = ss->n_parts;
  pq_spill_reader *rd = calloc((size_t)K, sizeof *rd);
  uint64_t *hk = calloc((size_t)K, sizeof *hk);
  uint32_t *hl = calloc((size_t)K, sizeof *hl), *hc = calloc((size_t)K, sizeof *hc);
  int *has = calloc((size_t)K, sizeof *has);
  parq_status st = PARQ_OK;
  if (!rd || !hk || !hl || !hc || !has) st = parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  r->rows_total = r->rows_done = 0;
  for (size_t s = next_mine(r, (size_t)r->n_done); s < p->n; s = next_mine(r, s + 1))
    r->rows_total += p->v[s].rows;
  r->emit_t0 = pq_repack_now();
  for (size_t s = next_mine(r, (size_t)r->n_done); st == PARQ_OK && s < p->n; s = next_mine(r, s + 1)) {
    const pq_shard_plan *sh = &p->v[s];
    r->shard_idx = (int64_t)s;
    for (int q = 0; q < K && st == PARQ_OK; q++) {
      has[q] = 0;
      st = pq_spill_reader_open(&rd[q], ss->paths[q], ss->bytes[q], ss->rows[q], sh->src_rec[q],
                                sh->src_off[q], r->err);
      if (st == PARQ_OK) st = pq_spill_reader_next(&rd[q], &hk[q], &hl[q], &hc[q], r->err);
      if (st == PARQ_OK) has[q] = 1;
      else if (st == PARQ_DONE) st = PARQ_OK;
    }
    for (int64_t i = 0; i < sh->rows && st == PARQ_OK; i++) {
      int m = -1;
      for (int q = 0; q < K; q++)
        if (has[q] && (m < 0 || hk[q] < hk[m])) m = q;
      if (m < 0) {
        st = parq_err_set(r->err, PARQ_ECORRUPT, "repack: spill ends inside shard %zu", s);
        break;
      }
      st = pq_spill_reader_row(&rd[m], hl[m], &r->row, r->err);
      if (st == PARQ_OK) st = emit_row(r, r->row.data, r->row.len, hc[m], i + 1 == sh->rows);
      if (st == PARQ_OK && i + 1 < sh->rows) {
        st = pq_spill_reader_next(&rd[m], &hk[m], &hl[m], &hc[m], r->err);
        if (st == PARQ_DONE) {
          has[m] = 0;
          st = PARQ_OK;
        }
      }
    }
    for (int q = 0; q < K; q++) pq_spill_reader_close(&rd[q]);
  }
  free(rd), free(hk), free(hl), free(hc), free(has);
  return st;
}

/* ---------------- one process, no shuffle: inputs -> shards ---------------- */

static parq_status emit_stream(run *r) {
  r->rows_total = -1;
  r->rows_done = r->done_rows;
  r->skip = r->done_rows;
  r->shard_idx = r->n_done;
  r->emit_t0 = pq_repack_now();
  pq_planner_init(&r->planner, r->o->row_group_rows, r->o->shard_rows, r->o->shard_bytes,
                  r->o->shard_chars > 0 ? r->o->shard_chars : PQ_REPACK_DEFAULT_SHARD_CHARS);
  int64_t base = 0;
  for (size_t i = 0; i < r->in.n; i++) {
    pq_src s;
    PARQ_TRY(pq_repack_open_input(r, i, NULL, &s, 1, r->err));
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
        uint32_t chars = pq_repack_row_chars(r, &b, j);
        if (st == PARQ_OK) {
          int last = pq_planner_step(&r->planner, (uint32_t)r->row.len, chars);
          st = emit_row(r, r->row.data, r->row.len, chars, last);
        }
      }
      b.release(&b);
      r->bytes_done = base + pq_src_bytes_done(&s);
      if (st != PARQ_OK) break;
    }
    pq_src_close(&s);
    if (st != PARQ_DONE) return st;
    base += r->in.v[i].size;
  }
  PARQ_TRY(flush_batch(r));
  if (r->w) PARQ_TRY(close_shard(r));
  return PARQ_OK;
}

/* Every way out of pass 2 waits for the last shard's close: its status
 * counts, and the run must not be torn down under the helper thread. An
 * earlier error keeps its message. */
static parq_status finish_emit(run *r, parq_status st) {
  if (st == PARQ_OK) return pq_repack_close_wait(r);
  parq_error keep = *r->err;
  (void)pq_repack_close_wait(r);
  *r->err = keep;
  return st;
}

parq_status pq_repack_pass2(run *r, const pq_spillset *ss, const pq_plan *p) {
  return finish_emit(r, emit_pass2(r, ss, p));
}

parq_status pq_repack_pass2_ordered(run *r, const pq_spillset *ss, const pq_plan *p) {
  return finish_emit(r, emit_pass2_ordered(r, ss, p));
}

parq_status pq_repack_stream(run *r) { return finish_emit(r, emit_stream(r)); }
