/* repack_pass1.c — pass 1 of `parq repack`: this rank's share of the
 * inputs, read, row-encoded and spilled to its bucket files (or, for an MPI
 * job's --no-shuffle, one bucket in input order), then a marker file that
 * lets a rerun skip the pass.
 *
 * Shares: one process reads everything. Rank r of K reads text input i when
 * i % K == r and Parquet global row group g (row groups of all Parquet
 * inputs in input order) when g % K == r, as the distributed SQL does. Every
 * row's key comes from (input index, row index within the input), so a
 * rank's keys never depend on what other ranks read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "dataset/repack_run.h"
#include "util/error.h"

typedef pq_repack_run run;
#define MARKER "pass1.done"

parq_status pq_repack_make_share(run *r) {
  int K = r->comm->size, me = r->comm->rank;
  r->share = calloc(r->in.n ? r->in.n : 1, sizeof *r->share);
  if (!r->share) return parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  int64_t g = 0;
  for (size_t i = 0; i < r->in.n; i++) {
    const pq_input *in = &r->in.v[i];
    pq_share_item *it = &r->share[r->n_share];
    it->input = i;
    if (in->fmt != PQ_FMT_PARQUET || K == 1) {
      if (K == 1 || (int)(i % (size_t)K) == me) {
        it->bytes = in->size;
        r->n_share++;
      }
      continue;
    }
    int64_t n = in->row_groups;
    it->rgs = malloc((size_t)(n / K + 1) * sizeof *it->rgs);
    if (!it->rgs) return parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
    for (int64_t k = 0; k < n; k++, g++)
      if (g % K == me) it->rgs[it->n_rgs++] = k;
    if (it->n_rgs == 0) {
      free(it->rgs);
      it->rgs = NULL;
      continue;
    }
    it->bytes = n > 0 ? (int64_t)((double)in->size * (double)it->n_rgs / (double)n) : 0;
    r->n_share++;
  }
  for (size_t k = 0; k < r->n_share; k++) r->share_bytes += r->share[k].bytes;
  return PARQ_OK;
}

/* ---------------- marker ---------------- */

static uint64_t command_hash(const run *r) { return XXH3_64bits(r->command, strlen(r->command)); }

/* B = ceil(2 * estimated row bytes / memory limit): a bucket loaded in pass 2
 * then takes about half the limit. Parquet input counts 3x its size
 * (typical compression ratio). The same on every rank: it counts all inputs. */
int64_t pq_repack_bucket_count(const run *r) {
  int64_t est = 0;
  for (size_t i = 0; i < r->in.n; i++)
    est += r->in.v[i].fmt == PQ_FMT_PARQUET ? 3 * r->in.v[i].size : r->in.v[i].size;
  int64_t lim = r->o->memory_limit;
  int64_t nb = (est * 2 + lim - 1) / lim;
  return nb < 1 ? 1 : nb;
}

/* Buckets a fresh pass 1 makes: 0 when the memory limit is too small. An
 * MPI --no-shuffle spills in input order into one bucket per rank. */
uint32_t pq_repack_pass1_buckets(const run *r) {
  if (!r->o->shuffle) return 1;
  int64_t nb = pq_repack_bucket_count(r);
  /* --jobs > 1: twice the buckets at half the size, so pass 2 can hold one
   * while the next loads within the same memory. */
  if (r->o->threads > 1 && nb <= 50000) nb *= 2;
  return nb > 100000 ? 0 : (uint32_t)nb;
}

/* Read this rank's pass-1 marker; 0 when absent, stale or unreadable. */
int pq_repack_read_marker(run *r, pq_marker *m) {
  char p[4300];
  snprintf(p, sizeof p, "%s/" MARKER, r->rankdir);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  unsigned long long h = 0;
  unsigned b = 0;
  int rank = -1, size = -1;
  /* Fewer buckets than this run's memory limit asks for would not fit: redo. */
  int ok = fscanf(f, "parq-repack-spill 2 %llx %u %d %d", &h, &b, &rank, &size) == 4 &&
           h == command_hash(r) && rank == r->comm->rank && size == r->comm->size && b > 0 &&
           b <= (1u << 20) &&
           (r->o->shuffle ? (int64_t)b >= pq_repack_bucket_count(r) : b == 1);
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
  parq_status st = parq_buf_printf(&b, "parq-repack-spill 2 %016llx %u %d %d\n",
                                   (unsigned long long)command_hash(r), n, r->comm->rank,
                                   r->comm->size);
  for (uint32_t i = 0; st == PARQ_OK && i < n; i++)
    st = parq_buf_printf(&b, "%lld %lld\n", (long long)rows[i], (long long)bytes[i]);
  char p[4300], t[4400];
  snprintf(p, sizeof p, "%s/" MARKER, r->rankdir);
  snprintf(t, sizeof t, "%s.tmp", p);
  FILE *f = st == PARQ_OK ? fopen(t, "w") : NULL;
  if (st != PARQ_OK) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  else if (!f) st = parq_err_errno(err, "create %s", t);
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

static parq_status fsync_path(const char *p, parq_error *err) {
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return parq_err_errno(err, "open %s", p);
  parq_status st = fsync(fd) != 0 ? parq_err_errno(err, "fsync %s", p) : PARQ_OK;
  close(fd);
  return st;
}

/* Make the spill buckets durable, then write the marker that lets a rerun
 * skip pass 1. In one process with --jobs > 1 this runs beside pass 2,
 * which only reads the buckets: a crash before the marker merely makes the
 * rerun redo pass 1, which yields the same buckets, so completed shards stay
 * valid. */
static void *durable_main(void *arg) {
  run *r = arg;
  const pq_marker *m = r->dur_m;
  r->dur_st = PARQ_OK;
  for (uint32_t i = 0; r->o->fsync && i < m->b && r->dur_st == PARQ_OK; i++) {
    char p[4400];
    pq_spill_bucket_path(r->rankdir, i, p, sizeof p);
    r->dur_st = fsync_path(p, &r->dur_err);
    pq_spill_index_path(r->rankdir, i, p, sizeof p);
    if (r->dur_st == PARQ_OK) r->dur_st = fsync_path(p, &r->dur_err);
  }
  if (r->dur_st == PARQ_OK) r->dur_st = write_marker(r, m->b, m->rows, m->bytes, &r->dur_err);
  return NULL;
}

parq_status pq_repack_durable_join(run *r) {
  if (!r->dur_running) return PARQ_OK;
  pthread_join(r->dur_tid, NULL);
  r->dur_running = 0;
  if (r->dur_st != PARQ_OK) *r->err = r->dur_err;
  return r->dur_st;
}

/* ---------------- spilling ---------------- */

uint32_t pq_repack_row_chars(const run *r, const struct ArrowArray *b, int64_t j) {
  if (r->text_col < 0) return 0;
  const struct ArrowArray *a = b->children[r->text_col];
  int64_t k = a->offset + b->offset + j;
  const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
  if (v && !((v[k >> 3] >> (k & 7)) & 1)) return 0;
  int64_t s, e;
  if (r->text_large) {
    const int64_t *o = a->buffers[1];
    s = o[k], e = o[k + 1];
  } else {
    const int32_t *o = a->buffers[1];
    s = o[k], e = o[k + 1];
  }
  return e > s ? (uint32_t)pq_utf8_chars((const uint8_t *)a->buffers[2] + s, e - s) : 0;
}

/* Encode the rows of one batch of input `input` (first row `first`) and add
 * them to the spill. */
static parq_status spill_batch(run *r, pq_spill *sp, const struct ArrowArray *b, size_t input,
                               int64_t first) {
  if (first < 0 || (uint64_t)first + (uint64_t)b->length > PQ_MAX_INPUT_ROWS)
    return parq_err_set(r->err, PARQ_EUNSUPPORTED, "more than %llu rows in one input",
                        (unsigned long long)PQ_MAX_INPUT_ROWS);
  parq_status st = PARQ_OK;
  for (int64_t j = 0; j < b->length && st == PARQ_OK; j++) {
    r->row.len = 0;
    st = pq_row_encode(&r->nodes, b, j, &r->row, r->err);
    uint64_t id = pq_row_id(input, (uint64_t)(first + j));
    uint64_t key = r->o->shuffle ? pq_shuffle_key(id, r->o->seed) : id;
    if (st == PARQ_OK) st = pq_spill_add_row(sp, key, r->row.data, r->row.len, pq_repack_row_chars(r, b, j), r->err);
  }
  return st;
}

/* Errors name the input they come from (unless they already do). */
static void name_input(run *r, size_t i) {
  if (!strstr(r->err->message, r->in.v[i].path)) parq_err_prefix(r->err, "%s", r->in.v[i].path);
}

/* --jobs 1: read, parse, encode and spill on this thread. */
static parq_status spill_serial(run *r, pq_spill *sp) {
  parq_status st = PARQ_OK;
  int64_t base = 0;
  for (size_t k = 0; k < r->n_share && st == PARQ_OK; k++) {
    const pq_share_item *it = &r->share[k];
    pq_src s;
    if ((st = pq_repack_open_input(r, it->input, it, &s, 1, r->err)) != PARQ_OK) break;
    s.size = it->bytes;
    struct ArrowArray b;
    while ((st = pq_src_next(&s, &b, r->err)) == PARQ_OK) {
      st = spill_batch(r, sp, &b, it->input, s.first_row);
      b.release(&b);
      r->bytes_done = base + pq_src_bytes_done(&s);
      if (st == PARQ_OK) pq_repack_report(r, PARQ_REPACK_SPILL, NULL, 0, 0);
      if (st == PARQ_OK && pq_repack_cancelled(r)) st = PARQ_EIO;
      if (st != PARQ_OK) break;
    }
    if (st == PARQ_DONE) st = PARQ_OK;
    else if (st != PARQ_OK) name_input(r, it->input);
    pq_src_close(&s);
    base += it->bytes;
  }
  return st;
}

static parq_status feed_open(void *user, size_t k, pq_src *s, parq_error *err) {
  run *r = user;
  parq_status st = pq_repack_open_input(r, r->share[k].input, &r->share[k], s, 1, err);
  if (st == PARQ_OK) s->size = r->share[k].bytes;
  return st;
}

/* --jobs > 1: a reader thread reads and parses (the larger half of pass 1)
 * while this thread encodes and spills. Batches arrive in share order, so
 * the spill files are those of a serial run. Two queued batches keep both
 * busy; with the ones in hand that is 4 batches of memory (batch_rows_for
 * sizes them at ~1/16 of the limit each). */
static parq_status spill_piped(run *r, pq_spill *sp) {
  pq_feed *f;
  PARQ_TRY(pq_feed_start(r->n_share, 2, feed_open, r, &f, r->err));
  parq_status st;
  size_t cur = 0; /* share items before cur are done; base = their total size */
  int64_t base = 0;
  for (;;) {
    struct ArrowArray b;
    size_t k;
    int64_t done, first;
    st = pq_feed_next(f, &b, &k, &first, &done, r->err);
    for (; cur < k && cur < r->n_share; cur++) base += r->share[cur].bytes;
    if (st == PARQ_DONE) {
      st = PARQ_OK;
      break;
    }
    if (st == PARQ_OK) {
      st = spill_batch(r, sp, &b, r->share[k].input, first);
      b.release(&b);
    }
    if (st != PARQ_OK) {
      if (k < r->n_share) name_input(r, r->share[k].input);
      break;
    }
    r->bytes_done = base + done;
    pq_repack_report(r, PARQ_REPACK_SPILL, NULL, 0, 0);
    if (pq_repack_cancelled(r)) {
      st = PARQ_EIO;
      name_input(r, r->share[k].input);
      break;
    }
  }
  pq_feed_stop(f);
  return st;
}

parq_status pq_repack_pass1(run *r, uint32_t nb, pq_marker *m) {
  int64_t lim = r->o->memory_limit;
  size_t flush_at = (size_t)(lim / 4 / nb);
  if (flush_at < 16384) flush_at = 16384;
  if (flush_at > (4u << 20)) flush_at = 4u << 20;
  pq_repack_rm_tree(r->rankdir, 0);
  pq_spill sp;
  PARQ_TRY(pq_spill_open(&sp, r->rankdir, nb, flush_at, r->err));
  sp.writeback = r->o->fsync != 0;
  parq_status st = r->o->threads > 1 ? spill_piped(r, &sp) : spill_serial(r, &sp);
  /* fsyncs + marker beside pass 2 (durable_main); in an MPI job the marker
   * must exist before the ranks compare notes, so it is written here */
  int bg = r->o->threads > 1 && r->comm->size == 1;
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
      if (st != PARQ_OK) *r->err = r->dur_err;
    }
  }
  return st;
}
