/* repack.c — parq_repack() / pq_repack_dist(): inputs -> shuffled,
 * size-targeted Parquet shards plus manifest.json, resumable after a crash,
 * in one process or as the K ranks of an MPI job with identical output.
 *
 * Flow: expand and check inputs (one schema); rank 0 compares with an
 * existing manifest (refuse a different command, verify completed shards,
 * delete strays) -> pass 1: each rank spills its share of the rows to
 * key-range buckets in DIR/.repack-tmp[/rank-R], then a marker file, unless
 * complete markers are already there -> every rank plans the shard
 * boundaries from the spill indexes -> pass 2: rank r writes shards
 * s % K == r -> rank 0 gathers the shard records and writes the manifest.
 * One process without shuffling streams the inputs straight into shards.
 *
 * Ranks agree at four fixed points (after setup, on markers, after pass 1,
 * after pass 2) and once more after the manifest: every rank makes the same
 * collective calls whatever fails, so a failure anywhere fails every rank
 * at the next point, never hangs one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/repack_dist.h"
#include "dataset/repack_run.h"
#include "util/error.h"

typedef pq_repack_run run;

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

/* ---------------- agreement between ranks ---------------- */

typedef struct agreed {
  parq_buf buf;
  size_t *lens;
  const uint8_t **part; /* rank q's payload */
  size_t *part_len;
} agreed;

static void agreed_free(agreed *g) {
  parq_buf_free(&g->buf);
  free(g->lens);
  free(g->part);
  free(g->part_len);
  memset(g, 0, sizeof *g);
}

/* Share st (and its message) plus a payload with every rank. If any rank
 * failed, the lowest failing rank keeps its own error and the others get
 * PQ_REPACK_OTHER_RANK naming it; every rank returns an error. */
static parq_status agree(run *r, parq_status st, const void *payload, size_t len, agreed *g) {
  agreed_free(g);
  int K = r->comm->size;
  int32_t s32 = st < 0 ? (int32_t)st : 0;
  uint32_t ml = st < 0 ? (uint32_t)strnlen(r->err->message, sizeof r->err->message) : 0;
  parq_buf blob = PARQ_BUF_INIT;
  g->lens = calloc((size_t)K, sizeof *g->lens);
  g->part = calloc((size_t)K, sizeof *g->part);
  g->part_len = calloc((size_t)K, sizeof *g->part_len);
  int oom = !g->lens || !g->part || !g->part_len;
  oom |= parq_buf_append(&blob, &s32, 4) != PARQ_OK || parq_buf_append(&blob, &ml, 4) != PARQ_OK;
  if (ml) oom |= parq_buf_append(&blob, r->err->message, ml) != PARQ_OK;
  if (len) oom |= parq_buf_append(&blob, payload, len) != PARQ_OK;
  if (oom) { /* still take part, as a failed rank */
    s32 = PARQ_ENOMEM;
    blob.len = 0;
    ml = 0;
    parq_buf_append(&blob, &s32, 4);
    parq_buf_append(&blob, &ml, 4);
    st = parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  }
  size_t lens1[1];
  parq_status cs = r->comm->allgather(r->comm->ctx, blob.data, blob.len, &g->buf,
                                      g->lens ? g->lens : lens1, r->err);
  parq_buf_free(&blob);
  if (cs != PARQ_OK) return cs;
  if (oom) return st;
  size_t off = 0;
  int first = -1;
  const char *fmsg = "";
  uint32_t fml = 0;
  for (int q = 0; q < K; q++) {
    const uint8_t *p = g->buf.data + off;
    size_t n = g->lens[q];
    int32_t qs;
    uint32_t qml;
    if (n < 8 || off + n > g->buf.len) return parq_err_set(r->err, PARQ_EINTERNAL, "repack: bad message from rank %d", q);
    memcpy(&qs, p, 4);
    memcpy(&qml, p + 4, 4);
    if (qml > n - 8) return parq_err_set(r->err, PARQ_EINTERNAL, "repack: bad message from rank %d", q);
    if (qs < 0 && first < 0) first = q, fmsg = (const char *)p + 8, fml = qml;
    g->part[q] = p + 8 + qml;
    g->part_len[q] = n - 8 - qml;
    off += n;
  }
  if (first < 0) return PARQ_OK;
  if (first == r->comm->rank) return st;
  return parq_err_set(r->err, PARQ_EIO, PQ_REPACK_OTHER_RANK " (rank %d of %d: %.*s)", first, K,
                      (int)fml, fmsg);
}

/* ---------------- phases ---------------- */

/* Setup on every rank; the directory on rank 0; everyone learns the outcome. */
static parq_status setup(run *r, int *done) {
  const parq_repack_options *o = r->o;
  parq_status st = pq_inputs_expand(o->inputs, o->n_inputs, &r->in, r->err);
  if (st == PARQ_OK) st = pq_repack_check_inputs(r);
  if (st == PARQ_OK) st = pq_rnode_init(&r->nodes, &r->schema, r->err);
  if (st == PARQ_OK) st = pq_repack_build_command(r);
  if (st == PARQ_OK) pq_repack_report(r, PARQ_REPACK_SCAN, NULL, 0, 0);
  snprintf(r->tmpdir, sizeof r->tmpdir, "%s/" PQ_REPACK_TMP_DIR, o->output_dir);
  int64_t info[3] = {0, 0, 0}; /* rank 0: complete?, shards done, their rows */
  if (st == PARQ_OK && r->comm->rank == 0) {
    st = pq_repack_prepare_dir(r);
    info[0] = st == PARQ_DONE;
    if (st == PARQ_DONE) st = PARQ_OK;
    info[1] = (int64_t)r->man.n_shards;
    for (size_t i = 0; i < r->man.n_shards; i++) info[2] += r->man.shards[i].rows;
    if (st == PARQ_OK && !info[0] && (o->shuffle || r->comm->size > 1) &&
        mkdir(r->tmpdir, 0777) != 0 && errno != EEXIST)
      st = parq_err_errno(r->err, "mkdir %s", r->tmpdir);
  }
  agreed g = {0};
  st = agree(r, st, info, sizeof info, &g);
  if (st == PARQ_OK) {
    if (g.part_len[0] != sizeof info) st = parq_err_set(r->err, PARQ_EINTERNAL, "repack: bad setup message");
    else memcpy(info, g.part[0], sizeof info);
  }
  agreed_free(&g);
  *done = (int)info[0];
  r->n_done = info[1];
  r->done_rows = info[2];
  return st;
}

/* Pass 1 or its markers, agreed by all ranks; fills the spill set. */
static parq_status spill_phase(run *r, pq_marker *m, pq_spillset *ss) {
  int K = r->comm->size;
  parq_status st = PARQ_OK;
  if (K == 1) snprintf(r->rankdir, sizeof r->rankdir, "%s", r->tmpdir);
  else snprintf(r->rankdir, sizeof r->rankdir, "%s/rank-%05d", r->tmpdir, r->comm->rank);
  if (K > 1 && mkdir(r->rankdir, 0777) != 0 && errno != EEXIST)
    st = parq_err_errno(r->err, "mkdir %s", r->rankdir);
  if (st == PARQ_OK) st = pq_repack_make_share(r);
  uint32_t have[2] = {0, 0}; /* valid marker?, its buckets */
  if (st == PARQ_OK && pq_repack_read_marker(r, m)) have[0] = 1, have[1] = m->b;
  agreed g = {0};
  st = agree(r, st, have, sizeof have, &g);
  if (st != PARQ_OK) { /* every rank knows */
    agreed_free(&g);
    return st;
  }
  int reuse = 1;
  for (int q = 0; reuse && q < K; q++) {
    uint32_t h[2];
    if (g.part_len[q] != sizeof h) reuse = 0;
    else memcpy(h, g.part[q], sizeof h), reuse = h[0] && h[1] == have[1];
  }
  /* Every rank's pass 1 must be complete and cut alike, or all redo it. */
  if (!reuse) {
    free(m->rows), free(m->bytes);
    memset(m, 0, sizeof *m);
    uint32_t nb = pq_repack_pass1_buckets(r);
    if (nb == 0)
      st = parq_err_set(r->err, PARQ_EINVAL, "repack: --memory-limit too small for %lld input bytes",
                        (long long)r->bytes_total);
    else
      st = pq_repack_pass1(r, nb, m);
  }
  /* everyone's per-bucket rows and bytes */
  parq_buf pl = PARQ_BUF_INIT;
  if (st == PARQ_OK && (parq_buf_append(&pl, &m->b, 4) || parq_buf_append(&pl, m->rows, m->b * 8) ||
                        parq_buf_append(&pl, m->bytes, m->b * 8)))
    st = parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  st = agree(r, st, pl.data, pl.len, &g);
  parq_buf_free(&pl);
  if (st == PARQ_OK) {
    uint32_t B = m->b;
    ss->n_buckets = B;
    ss->n_parts = K;
    size_t n = (size_t)B * (size_t)K;
    ss->paths = calloc(n, sizeof *ss->paths);
    ss->rows = calloc(n, sizeof *ss->rows);
    ss->bytes = calloc(n, sizeof *ss->bytes);
    if (!ss->paths || !ss->rows || !ss->bytes) st = parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
    for (int q = 0; q < K && st == PARQ_OK; q++) {
      uint32_t qb;
      if (g.part_len[q] != 4 + (size_t)B * 16 || (memcpy(&qb, g.part[q], 4), qb != B)) {
        st = parq_err_set(r->err, PARQ_EINTERNAL, "repack: rank %d spilled to other buckets", q);
        break;
      }
      char dir[4300];
      if (K == 1) snprintf(dir, sizeof dir, "%s", r->tmpdir);
      else snprintf(dir, sizeof dir, "%s/rank-%05d", r->tmpdir, q);
      for (uint32_t b = 0; b < B && st == PARQ_OK; b++) {
        size_t at = (size_t)b * K + q;
        memcpy(&ss->rows[at], g.part[q] + 4 + (size_t)b * 8, 8);
        memcpy(&ss->bytes[at], g.part[q] + 4 + (size_t)B * 8 + (size_t)b * 8, 8);
        char p[4400];
        pq_spill_bucket_path(dir, b, p, sizeof p);
        if (!(ss->paths[at] = strdup(p))) st = parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
      }
    }
  }
  agreed_free(&g);
  return st;
}

/* Plan the shards and write this rank's. No agreement inside. */
static parq_status write_phase(run *r, const pq_spillset *ss, pq_plan *plan) {
  pq_planner pl;
  pq_planner_init(&pl, r->o->row_group_rows, r->o->shard_rows, r->o->shard_bytes,
                  r->o->shard_chars > 0 ? r->o->shard_chars : PQ_REPACK_DEFAULT_SHARD_CHARS);
  PARQ_TRY(r->o->shuffle ? pq_plan_buckets(ss, &pl, plan, r->err) : pq_plan_ordered(ss, &pl, plan, r->err));
  if ((size_t)r->n_done > plan->n)
    return parq_err_set(r->err, PARQ_ECORRUPT, "manifest records %lld shards but the inputs make %zu",
                        (long long)r->n_done, plan->n);
  for (size_t i = 0; i < r->man.n_shards && i < plan->n; i++) /* rank 0 */
    if (r->man.shards[i].rows != plan->v[i].rows)
      return parq_err_set(r->err, PARQ_ECORRUPT,
                          "manifest: shard %zu has %lld rows but the inputs make %lld; delete the directory",
                          i, (long long)r->man.shards[i].rows, (long long)plan->v[i].rows);
  return r->o->shuffle ? pq_repack_pass2(r, ss, plan) : pq_repack_pass2_ordered(r, ss, plan);
}

static int64_t shard_index(const pq_manifest_shard *s) {
  unsigned v = 0;
  return sscanf(s->path, "shard_%5u.parquet", &v) == 1 ? (int64_t)v : -1;
}

/* Gather every rank's shard records; rank 0 writes the manifest: complete
 * when all succeeded, else the contiguous run of finished shards (so a
 * rerun resumes there). On failure each rank removes the shards it wrote
 * past that run: the directory never holds a shard the manifest omits. */
static parq_status finish_phase(run *r, parq_status st, int64_t n_planned) {
  int K = r->comm->size;
  agreed g = {0};
  parq_status all = agree(r, st, r->mine, r->n_mine * sizeof *r->mine, &g);
  if (!g.part_len) { /* the exchange itself failed */
    agreed_free(&g);
    return all;
  }
  /* records by shard index, from all ranks */
  size_t n = 0;
  for (int q = 0; q < K; q++) n += g.part_len[q] / sizeof(pq_manifest_shard);
  pq_manifest_shard *recs = calloc(n ? n : 1, sizeof *recs);
  parq_status ms = PARQ_OK; /* rank 0's manifest write */
  if (!recs) {
    ms = parq_err_set(r->err, PARQ_ENOMEM, "out of memory");
  } else {
    size_t k = 0;
    for (int q = 0; q < K; q++)
      for (size_t i = 0; i + sizeof *recs <= g.part_len[q]; i += sizeof *recs) memcpy(&recs[k++], g.part[q] + i, sizeof *recs);
  }
  int64_t end = r->n_done; /* contiguous finished shards [0, end) */
  for (int found = 1; recs && found;) {
    found = 0;
    for (size_t i = 0; i < n; i++)
      if (shard_index(&recs[i]) == end) {
        if (r->comm->rank == 0 && K > 1 && ms == PARQ_OK) ms = pq_repack_manifest_push(&r->man, &recs[i], r->err);
        end++;
        found = 1;
        break;
      }
  }
  if (K == 1) end = (int64_t)r->man.n_shards;
  if (r->comm->rank == 0 && ms == PARQ_OK) {
    if (all == PARQ_OK && n_planned >= 0 && end != n_planned)
      ms = parq_err_set(r->err, PARQ_EINTERNAL, "repack: %lld of %lld shards were written",
                        (long long)end, (long long)n_planned);
    r->man.complete = all == PARQ_OK && ms == PARQ_OK;
    if (ms == PARQ_OK && (all == PARQ_OK || K > 1))
      ms = pq_repack_manifest_write(r->o->output_dir, &r->man, r->o->fsync, r->err);
  }
  if (all != PARQ_OK) /* shards past the manifest's run go */
    for (size_t i = 0; i < r->n_mine; i++)
      if (shard_index(&r->mine[i]) >= end) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", r->o->output_dir, r->mine[i].path);
        unlink(p);
      }
  free(recs);
  agreed_free(&g);
  if (all != PARQ_OK) {
    agree(r, PARQ_OK, NULL, 0, &g); /* everyone has cleaned up */
    agreed_free(&g);
    return all;
  }
  st = agree(r, ms, NULL, 0, &g);
  agreed_free(&g);
  return st;
}

static parq_status run_all(run *r) {
  int done = 0;
  PARQ_TRY(setup(r, &done));
  char lp[4200];
  snprintf(lp, sizeof lp, "%s/.repack.lock", r->o->output_dir);
  if (done) { /* already complete and verified */
    if (r->comm->rank == 0) unlink(lp);
    r->rows_done = r->rows_total = r->done_rows;
    r->shard_idx = r->n_done;
    if (r->comm->rank == 0) pq_repack_report(r, PARQ_REPACK_DONE, NULL, 0, 0);
    return PARQ_OK;
  }
  parq_status st;
  int64_t planned = -1;
  pq_marker m = {0, NULL, NULL};
  pq_spillset ss;
  pq_plan plan;
  memset(&ss, 0, sizeof ss);
  memset(&plan, 0, sizeof plan);
  int spilled = r->o->shuffle || r->comm->size > 1;
  if (!spilled) {
    st = pq_repack_stream(r);
  } else {
    st = spill_phase(r, &m, &ss);
    if (st != PARQ_OK) { /* every rank knows: no further agreement */
      pq_repack_durable_join(r);
      free(m.rows), free(m.bytes);
      pq_spillset_free(&ss);
      return st;
    }
    st = write_phase(r, &ss, &plan);
    planned = (int64_t)plan.n;
    parq_status ds = pq_repack_durable_join(r); /* before the spill is removed */
    if (st == PARQ_OK) st = ds;
  }
  free(m.rows), free(m.bytes);
  pq_spillset_free(&ss);
  pq_plan_free(&plan);
  if (r->w) { /* an error left a shard open: no partial file */
    parq_writer_abort(r->w);
    r->w = NULL;
  }
  PARQ_TRY(finish_phase(r, st, planned));
  if (r->comm->rank == 0) {
    if (spilled) {
      pq_repack_rm_tree(r->tmpdir, 1);
      rmdir(r->tmpdir);
    }
    unlink(lp); /* still held: a waiting repack would find a complete manifest anyway */
    r->rows_done = r->rows_total = 0;
    for (size_t i = 0; i < r->man.n_shards; i++) r->rows_done += r->man.shards[i].rows;
    r->rows_total = r->rows_done;
    r->shard_idx = (int64_t)r->man.n_shards;
    pq_repack_report(r, PARQ_REPACK_DONE, NULL, 0, 0);
  }
  return PARQ_OK;
}

/* ---------------- entry points ---------------- */

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

parq_status pq_repack_dist(const parq_repack_options *o, const pq_comm *comm, parq_error *err) {
  /* Same options on every rank, so a refusal here is unanimous. */
  PARQ_TRY(check_options(o, err));
  if (comm->size < 1 || comm->rank < 0 || comm->rank >= comm->size)
    return parq_err_set(err, PARQ_EINVAL, "repack: bad rank %d of %d", comm->rank, comm->size);
  parq_error e;
  memset(&e, 0, sizeof e);
  run r;
  memset(&r, 0, sizeof r);
  r.o = o;
  r.comm = comm;
  r.err = &e;
  r.t0 = pq_repack_now();
  r.text_col = -1;
  r.lock_fd = -1;
  parq_status st = run_all(&r);
  if (r.lock_fd >= 0) close(r.lock_fd);
  if (r.w) parq_writer_abort(r.w);
  pq_rnode_free(&r.nodes);
  pq_arrow_schema_release(&r.schema);
  pq_inputs_free(&r.in);
  pq_repack_manifest_free(&r.man);
  for (size_t i = 0; i < r.n_share; i++) free(r.share[i].rgs);
  free(r.share);
  free(r.mine);
  free(r.command);
  parq_buf_free(&r.row);
  if (err && st != PARQ_OK) *err = e;
  return st;
}

parq_status parq_repack(const parq_repack_options *o, parq_error *err) {
  pq_comm c;
  pq_comm_local(&c);
  return pq_repack_dist(o, &c, err);
}
