/* repack_plan.c — where `parq repack`'s shards begin and end.
 *
 * A shard closes after a full row group (row_group_rows rows) once it holds
 * at least the target rows / row bytes / text characters; the last shard
 * takes what is left. That depends only on each row's (encoded length, text
 * characters) in output order, which the spill index records, so every rank
 * of a distributed run computes the same plan from the indexes alone (16
 * bytes per row) and then writes only its own shards. */
#include <stdlib.h>
#include <string.h>

#include "dataset/repack_internal.h"
#include "util/error.h"

void pq_planner_init(pq_planner *p, int64_t row_group_rows, int64_t shard_rows,
                     int64_t shard_bytes, int64_t shard_chars) {
  memset(p, 0, sizeof *p);
  p->rgr = row_group_rows;
  if (shard_rows > 0) p->max_rows = shard_rows;
  else if (shard_bytes > 0) p->max_bytes = shard_bytes;
  else p->max_chars = shard_chars;
}

int pq_planner_step(pq_planner *p, uint32_t len, uint32_t chars) {
  p->bytes += len;
  p->group_chars += chars;
  if (++p->in_group < p->rgr) return 0;
  p->rows += p->in_group;
  p->chars += p->group_chars;
  p->in_group = p->group_chars = 0;
  int full = p->max_rows > 0 ? p->rows >= p->max_rows
             : p->max_bytes > 0 ? p->bytes >= p->max_bytes
                                : p->chars >= p->max_chars;
  if (!full) return 0;
  p->rows = p->chars = p->bytes = 0;
  return 1;
}

int64_t pq_planner_finish(pq_planner *p) {
  int64_t n = p->rows + p->in_group;
  p->rows = p->chars = p->bytes = p->in_group = p->group_chars = 0;
  return n;
}

void pq_plan_free(pq_plan *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].src_rec);
    free(p->v[i].src_off);
  }
  free(p->v);
  memset(p, 0, sizeof *p);
}

void pq_spillset_free(pq_spillset *s) {
  if (!s) return;
  size_t n = (size_t)s->n_buckets * (size_t)s->n_parts;
  for (size_t i = 0; s->paths && i < n; i++) free(s->paths[i]);
  free(s->paths);
  free(s->rows);
  free(s->bytes);
  memset(s, 0, sizeof *s);
}

/* Start a shard at ordinal `start`; pos (n_parts entries, may be NULL) are
 * the per-part index / byte positions where it begins. */
static parq_status push_shard(pq_plan *p, int64_t start, const int64_t *rec, const int64_t *off,
                              parq_error *err) {
  if (p->n == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 64;
    pq_shard_plan *t = realloc(p->v, nc * sizeof *t);
    if (!t) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    p->v = t;
    p->cap = nc;
  }
  pq_shard_plan *s = &p->v[p->n];
  memset(s, 0, sizeof *s);
  s->start = start;
  if (rec) {
    size_t k = (size_t)p->n_parts;
    s->src_rec = malloc(k * sizeof *s->src_rec);
    s->src_off = malloc(k * sizeof *s->src_off);
    if (!s->src_rec || !s->src_off) {
      free(s->src_rec), free(s->src_off);
      return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    }
    memcpy(s->src_rec, rec, k * sizeof *rec);
    memcpy(s->src_off, off, k * sizeof *off);
  }
  p->n++;
  return PARQ_OK;
}

/* Account one row at ordinal `ord`; opens a shard when none is open. */
static parq_status plan_row(pq_plan *p, pq_planner *pl, int *open, int64_t ord, uint32_t len,
                            uint32_t chars, const int64_t *rec, const int64_t *off,
                            parq_error *err) {
  if (!*open) {
    PARQ_TRY(push_shard(p, ord, rec, off, err));
    *open = 1;
  }
  if (pq_planner_step(pl, len, chars)) {
    p->v[p->n - 1].rows = ord + 1 - p->v[p->n - 1].start;
    *open = 0;
  }
  return PARQ_OK;
}

static void plan_end(pq_plan *p, pq_planner *pl, int open, int64_t total) {
  pq_planner_finish(pl);
  if (open) p->v[p->n - 1].rows = total - p->v[p->n - 1].start;
  p->rows = total;
}

parq_status pq_plan_buckets(const pq_spillset *s, pq_planner *pl, pq_plan *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  out->n_parts = s->n_parts;
  int open = 0;
  int64_t ord = 0;
  for (uint32_t b = 0; b < s->n_buckets; b++) {
    size_t at = (size_t)b * (size_t)s->n_parts;
    pq_bucket bk;
    parq_status st = pq_bucket_load_parts((const char *const *)s->paths + at, s->bytes + at,
                                          s->rows + at, s->n_parts, 1, &bk, err);
    for (int64_t i = 0; i < bk.n && st == PARQ_OK; i++, ord++)
      st = plan_row(out, pl, &open, ord, bk.recs[i].len, bk.recs[i].chars, NULL, NULL, err);
    pq_bucket_free(&bk);
    if (st != PARQ_OK) {
      pq_plan_free(out);
      return st;
    }
  }
  plan_end(out, pl, open, ord);
  return PARQ_OK;
}

parq_status pq_plan_ordered(const pq_spillset *s, pq_planner *pl, pq_plan *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  int k = s->n_parts;
  out->n_parts = k;
  if (s->n_buckets != 1) return parq_err_set(err, PARQ_EINTERNAL, "repack: ordered spill needs one bucket");
  pq_spill_reader *rd = calloc((size_t)k, sizeof *rd);
  int64_t *rec = calloc((size_t)k, sizeof *rec), *off = calloc((size_t)k, sizeof *off);
  /* head[q]: the next entry of part q (valid when has[q]) */
  uint64_t *hk = calloc((size_t)k, sizeof *hk);
  uint32_t *hl = calloc((size_t)k, sizeof *hl), *hc = calloc((size_t)k, sizeof *hc);
  int *has = calloc((size_t)k, sizeof *has);
  parq_status st = PARQ_OK;
  if (!rd || !rec || !off || !hk || !hl || !hc || !has) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int q = 0; q < k && st == PARQ_OK; q++) {
    st = pq_spill_reader_open(&rd[q], s->paths[q], s->bytes[q], s->rows[q], 0, 0, err);
    if (st == PARQ_OK) st = pq_spill_reader_next(&rd[q], &hk[q], &hl[q], &hc[q], err);
    if (st == PARQ_OK) has[q] = 1;
    else if (st == PARQ_DONE) st = PARQ_OK;
  }
  int open = 0;
  int64_t ord = 0;
  while (st == PARQ_OK) {
    int m = -1;
    for (int q = 0; q < k; q++)
      if (has[q] && (m < 0 || hk[q] < hk[m])) m = q;
    if (m < 0) break;
    st = plan_row(out, pl, &open, ord++, hl[m], hc[m], rec, off, err);
    rec[m]++;
    off[m] += hl[m];
    if (st == PARQ_OK) st = pq_spill_reader_next(&rd[m], &hk[m], &hl[m], &hc[m], err);
    if (st == PARQ_DONE) {
      has[m] = 0;
      st = PARQ_OK;
    }
  }
  for (int q = 0; rd && q < k; q++) pq_spill_reader_close(&rd[q]);
  free(rd), free(rec), free(off), free(hk), free(hl), free(hc), free(has);
  if (st != PARQ_OK) {
    pq_plan_free(out);
    return st;
  }
  plan_end(out, pl, open, ord);
  return PARQ_OK;
}
