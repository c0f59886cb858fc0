/* result.c — the materialised query result: growable typed columns, ORDER BY
 * (stable sort of a row permutation; NULLs last unless NULLS FIRST),
 * OFFSET/LIMIT, serialisation for the gather to rank 0, and conversion to an
 * Arrow batch (for the JSONL / CSV / Parquet writers) or an aligned table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/query/query.h"
#include "io/io_internal.h"
#include "util/arrow.h"
#include "util/error.h"

/* memcpy that accepts NULL pointers when n == 0 (empty vectors). */
static inline void mcpy(void *d, const void *src, size_t n) {
  if (n) memcpy(d, src, n);
}

static parq_status nomem(parq_error *err) {
  return parq_err_set(err, PARQ_ENOMEM, "out of memory building the query result");
}

void pq_result_free(pq_result *r) {
  if (!r) return;
  for (int k = 0; k < r->ncols && r->cols; k++) {
    free(r->cols[k].nul);
    free(r->cols[k].i);
    free(r->cols[k].d);
    free(r->cols[k].s);
  }
  free(r->cols);
  if (r->names)
    for (int k = 0; k < r->ncols; k++) free(r->names[k]);
  free(r->names);
  free(r->types);
  parq_arena_free(&r->strings);
  memset(r, 0, sizeof *r);
}

parq_status pq_result_init(pq_result *r, int ncols, char *const *names, const qtype *types) {
  memset(r, 0, sizeof *r);
  r->ncols = ncols;
  r->cols = calloc((size_t)(ncols ? ncols : 1), sizeof *r->cols);
  r->names = calloc((size_t)(ncols ? ncols : 1), sizeof *r->names);
  r->types = calloc((size_t)(ncols ? ncols : 1), sizeof *r->types);
  if (!r->cols || !r->names || !r->types) goto oom;
  for (int k = 0; k < ncols; k++) {
    r->names[k] = strdup(names && names[k] ? names[k] : "?");
    if (!r->names[k]) goto oom;
    r->types[k] = types[k];
    r->cols[k].t = types[k];
  }
  return PARQ_OK;
oom:
  pq_result_free(r);
  return PARQ_ENOMEM;
}

static parq_status reserve(pq_result *r, int64_t more, parq_error *err) {
  if (r->n + more <= r->cap) return PARQ_OK;
  int64_t nc = r->cap ? r->cap : 1024;
  while (nc < r->n + more) nc *= 2;
  for (int k = 0; k < r->ncols; k++) {
    qvec *c = &r->cols[k];
    uint8_t *nn = realloc(c->nul, (size_t)nc);
    if (!nn) return nomem(err);
    c->nul = nn;
    if (c->t == QT_DBL) {
      double *p = realloc(c->d, (size_t)nc * sizeof *p);
      if (!p) return nomem(err);
      c->d = p;
    } else if (c->t == QT_STR) {
      qstr *p = realloc(c->s, (size_t)nc * sizeof *p);
      if (!p) return nomem(err);
      c->s = p;
    } else {
      int64_t *p = realloc(c->i, (size_t)nc * sizeof *p);
      if (!p) return nomem(err);
      c->i = p;
    }
  }
  r->cap = nc;
  return PARQ_OK;
}

parq_status pq_result_append(pq_result *r, const qvec *cols, int64_t n, parq_error *err) {
  if (n <= 0) return PARQ_OK;
  PARQ_TRY(reserve(r, n, err));
  for (int k = 0; k < r->ncols; k++) {
    qvec *c = &r->cols[k];
    const qvec *v = &cols[k];
    if (v->nul) mcpy(c->nul + r->n, v->nul, (size_t)n);
    else memset(c->nul + r->n, v->t == QT_NULL, (size_t)n);
    if (v->t == QT_NULL) continue;
    if (c->t == QT_DBL) mcpy(c->d + r->n, v->d, (size_t)n * sizeof *v->d);
    else if (c->t == QT_STR) {
      for (int64_t j = 0; j < n; j++) {
        qstr s = v->s[j];
        if (c->nul[r->n + j]) {
          s.p = NULL, s.n = 0;
        } else if (s.n) {
          char *p = parq_arena_alloc(&r->strings, s.n);
          if (!p) return nomem(err);
          mcpy(p, s.p, s.n);
          s.p = p;
        }
        c->s[r->n + j] = s;
      }
    } else mcpy(c->i + r->n, v->i, (size_t)n * sizeof *v->i);
  }
  r->n += n;
  return PARQ_OK;
}

void pq_result_truncate_cols(pq_result *r, int keep) {
  for (int k = keep; k < r->ncols; k++) {
    free(r->cols[k].nul);
    free(r->cols[k].i);
    free(r->cols[k].d);
    free(r->cols[k].s);
    free(r->names[k]);
  }
  if (keep < r->ncols) r->ncols = keep;
}

/* ---- sort ---- */
typedef struct sctx {
  const pq_result *r;
  const qorder *ord;
  int nord;
} sctx;

static int row_cmp(const void *pa, const void *pb, void *pc) {
  const sctx *c = pc;
  int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
  for (int k = 0; k < c->nord; k++) {
    const qorder *o = &c->ord[k];
    const qvec *v = &c->r->cols[o->col];
    int an = v->nul[a], bn = v->nul[b];
    int x;
    if (an || bn) {
      if (an && bn) continue;
      int nf = o->nulls_first == 1;
      x = an ? (nf ? -1 : 1) : (nf ? 1 : -1);
      return x; /* NULL placement is independent of ASC/DESC */
    }
    x = pq_val_cmp(v, a, v, b);
    if (x) return o->desc ? -x : x;
  }
  return a < b ? -1 : a > b; /* stable */
}

parq_status pq_result_sort_limit(pq_result *r, const qorder *ord, int nord, int64_t offset,
                                 int64_t limit, parq_error *err) {
  int64_t n = r->n;
  int64_t lo = offset < n ? offset : n;
  int64_t hi = limit < 0 || limit > n - lo ? n : lo + limit;
  if (nord == 0 && lo == 0 && hi == n) return PARQ_OK;
  int64_t *perm = malloc((size_t)(n ? n : 1) * sizeof *perm);
  if (!perm) return nomem(err);
  for (int64_t k = 0; k < n; k++) perm[k] = k;
  if (nord) {
    sctx c = {r, ord, nord};
    qsort_r(perm, (size_t)n, sizeof *perm, row_cmp, &c);
  }
  /* Rebuild columns with rows perm[lo..hi); strings move to a fresh arena
   * so repeated top-k compaction keeps memory bounded. */
  parq_arena strings = PARQ_ARENA_INIT;
  int64_t m = hi - lo;
  parq_status st = PARQ_OK;
  for (int k = 0; k < r->ncols && st == PARQ_OK; k++) {
    qvec *c = &r->cols[k];
    uint8_t *nn = malloc((size_t)(m ? m : 1));
    if (!nn) { st = nomem(err); break; }
    for (int64_t j = 0; j < m; j++) nn[j] = c->nul[perm[lo + j]];
    if (c->t == QT_DBL) {
      double *p = malloc((size_t)(m ? m : 1) * sizeof *p);
      if (!p) { free(nn); st = nomem(err); break; }
      for (int64_t j = 0; j < m; j++) p[j] = c->d[perm[lo + j]];
      free(c->d);
      c->d = p;
    } else if (c->t == QT_STR) {
      qstr *p = malloc((size_t)(m ? m : 1) * sizeof *p);
      if (!p) { free(nn); st = nomem(err); break; }
      for (int64_t j = 0; j < m && st == PARQ_OK; j++) {
        p[j] = c->s[perm[lo + j]];
        if (p[j].n) {
          char *s = parq_arena_alloc(&strings, p[j].n);
          if (!s) st = nomem(err);
          else mcpy(s, p[j].p, p[j].n), p[j].p = s;
        }
      }
      free(c->s);
      c->s = p;
    } else {
      int64_t *p = malloc((size_t)(m ? m : 1) * sizeof *p);
      if (!p) { free(nn); st = nomem(err); break; }
      for (int64_t j = 0; j < m; j++) p[j] = c->i[perm[lo + j]];
      free(c->i);
      c->i = p;
    }
    free(c->nul);
    c->nul = nn;
  }
  free(perm);
  if (st != PARQ_OK) {
    parq_arena_free(&strings);
    return st;
  }
  parq_arena_free(&r->strings);
  r->strings = strings;
  r->n = r->cap = m;
  return PARQ_OK;
}

/* ---- serialisation: u64 rows, then per column nul bytes + values ---- */
parq_status pq_result_serialize(const pq_result *r, parq_buf *out) {
  uint64_t n = (uint64_t)r->n;
  PARQ_TRY(parq_buf_append(out, &n, 8));
  for (int k = 0; k < r->ncols; k++) {
    const qvec *c = &r->cols[k];
    PARQ_TRY(parq_buf_append(out, c->nul, (size_t)n));
    if (c->t == QT_DBL) PARQ_TRY(parq_buf_append(out, c->d, (size_t)n * 8));
    else if (c->t == QT_STR) {
      for (uint64_t j = 0; j < n; j++) {
        PARQ_TRY(parq_buf_append(out, &c->s[j].n, 4));
        if (c->s[j].n) PARQ_TRY(parq_buf_append(out, c->s[j].p, c->s[j].n));
      }
    } else if (n) PARQ_TRY(parq_buf_append(out, c->i, (size_t)n * 8));
  }
  return PARQ_OK;
}

parq_status pq_result_deserialize(pq_result *r, const uint8_t *p, size_t len, parq_error *err) {
  const uint8_t *end = p + len;
  while (p < end) {
    uint64_t n;
    if (end - p < 8) goto bad;
    memcpy(&n, p, 8);
    p += 8;
    if (n > (uint64_t)(end - p)) goto bad;
    PARQ_TRY(reserve(r, (int64_t)n, err));
    for (int k = 0; k < r->ncols; k++) {
      qvec *c = &r->cols[k];
      if ((uint64_t)(end - p) < n) goto bad;
      if (n) memcpy(c->nul + r->n, p, n);
      p += n;
      if (c->t == QT_STR) {
        for (uint64_t j = 0; j < n; j++) {
          uint32_t l;
          if (end - p < 4) goto bad;
          memcpy(&l, p, 4);
          p += 4;
          if ((uint64_t)(end - p) < l) goto bad;
          char *s = l ? parq_arena_alloc(&r->strings, l) : NULL;
          if (l && !s) return nomem(err);
          if (l) memcpy(s, p, l);
          c->s[r->n + j].p = s;
          c->s[r->n + j].n = l;
          p += l;
        }
      } else {
        if ((uint64_t)(end - p) / 8 < n) goto bad;
        mcpy(c->t == QT_DBL ? (void *)(c->d + r->n) : (void *)(c->i + r->n), p, n * 8);
        p += n * 8;
      }
    }
    r->n += (int64_t)n;
  }
  return PARQ_OK;
bad:
  return parq_err_set(err, PARQ_ECORRUPT, "result gather: truncated data");
}

/* ---- Arrow ---- */
static const char *arrow_format(qtype t) {
  switch (t) {
    case QT_BOOL: return "b";
    case QT_INT: return "l";
    case QT_DBL: return "g";
    case QT_STR: return "u";
    case QT_DATE: return "tdD";
    case QT_TS: return "tsu:";
    default: return "n";
  }
}

parq_status pq_result_to_arrow(const pq_result *r, struct ArrowSchema *schema,
                               struct ArrowArray *batch, parq_error *err) {
  memset(schema, 0, sizeof *schema);
  memset(batch, 0, sizeof *batch);
  if (pq_arrow_schema_init(schema, "+s", "", 0, r->ncols)) return nomem(err);
  struct ArrowArray *kids = calloc((size_t)(r->ncols ? r->ncols : 1), sizeof *kids);
  if (!kids) goto oom;
  int64_t n = r->n;
  for (int k = 0; k < r->ncols; k++) {
    const qvec *c = &r->cols[k];
    if (pq_arrow_schema_init(schema->children[k], arrow_format(c->t), r->names[k],
                             ARROW_FLAG_NULLABLE, 0))
      goto oom;
    int64_t nulls = 0;
    for (int64_t j = 0; j < n; j++) nulls += c->nul[j];
    void *bufs[3] = {NULL, NULL, NULL};
    int nb = 2;
    if (c->t == QT_NULL) {
      nb = 0;
      if (pq_arrow_array_make(&kids[k], n, n, 0, bufs, 0, NULL)) goto oom;
      continue;
    }
    if (nulls) {
      uint8_t *v = calloc((size_t)(n + 8) / 8, 1);
      if (!v) goto oom;
      for (int64_t j = 0; j < n; j++)
        if (!c->nul[j]) pq_bit_set(v, j);
      bufs[0] = v;
    }
    size_t m = (size_t)(n ? n : 1);
    if (c->t == QT_BOOL) {
      uint8_t *b = calloc((m + 7) / 8, 1);
      if (!b) goto oom_bufs;
      for (int64_t j = 0; j < n; j++)
        if (c->i[j]) pq_bit_set(b, j);
      bufs[1] = b;
    } else if (c->t == QT_DATE) {
      int32_t *d = malloc(m * 4);
      if (!d) goto oom_bufs;
      for (int64_t j = 0; j < n; j++) d[j] = (int32_t)c->i[j];
      bufs[1] = d;
    } else if (c->t == QT_STR) {
      size_t total = 0;
      for (int64_t j = 0; j < n; j++) total += c->s[j].n;
      if (total > INT32_MAX) {
        free(bufs[0]);
        pq_arrow_schema_release(schema);
        free(kids);
        return parq_err_set(err, PARQ_EUNSUPPORTED, "result column too large (> 2 GiB of text)");
      }
      int32_t *off = malloc((m + 1) * 4);
      char *data = malloc(total ? total : 1);
      if (!off || !data) {
        free(off);
        free(data);
        goto oom_bufs;
      }
      size_t o = 0;
      off[0] = 0;
      for (int64_t j = 0; j < n; j++) {
        if (c->s[j].n) memcpy(data + o, c->s[j].p, c->s[j].n);
        o += c->s[j].n;
        off[j + 1] = (int32_t)o;
      }
      bufs[1] = off;
      bufs[2] = data;
      nb = 3;
    } else {
      void *d = malloc(m * 8);
      if (!d) goto oom_bufs;
      mcpy(d, c->t == QT_DBL ? (void *)c->d : (void *)c->i, (size_t)n * 8);
      bufs[1] = d;
    }
    if (pq_arrow_array_make(&kids[k], n, nulls, nb, bufs, 0, NULL)) goto oom;
    continue;
  oom_bufs:
    free(bufs[0]);
    goto oom;
  }
  void *top[1] = {NULL};
  if (pq_arrow_array_make(batch, n, 0, 1, top, r->ncols, kids)) goto oom;
  free(kids);
  return PARQ_OK;
oom:
  if (kids)
    for (int k = 0; k < r->ncols; k++) pq_arrow_array_release(&kids[k]);
  free(kids);
  pq_arrow_schema_release(schema);
  return nomem(err);
}

/* ---- text table ---- */
static int cell(const qvec *c, int64_t j, char *buf, size_t cap, const char **out, size_t *len) {
  if (c->nul[j]) {
    *out = "NULL";
    *len = 4;
    return 0;
  }
  int n = 0;
  switch (c->t) {
    case QT_STR:
      *out = c->s[j].p ? c->s[j].p : "";
      *len = c->s[j].n;
      return 0;
    case QT_BOOL: n = snprintf(buf, cap, "%s", c->i[j] ? "true" : "false"); break;
    case QT_INT: n = snprintf(buf, cap, "%lld", (long long)c->i[j]); break;
    case QT_DBL:
      if (isnan(c->d[j])) n = snprintf(buf, cap, "nan");
      else if (isinf(c->d[j])) n = snprintf(buf, cap, c->d[j] < 0 ? "-inf" : "inf");
      else n = pq_fmt_double(c->d[j], buf);
      break;
    case QT_DATE: n = pq_fmt_date(c->i[j], buf); break;
    case QT_TS: n = pq_fmt_timestamp(c->i[j], PQA_MICRO, false, buf); break;
    default: n = 0;
  }
  *out = buf;
  *len = (size_t)n;
  return 1;
}

/* Display width: UTF-8 code points, and the cell is cut at 60 of them. */
static size_t disp(const char *s, size_t n, size_t *bytes) {
  size_t w = 0, k = 0;
  while (k < n && w < 60) {
    k++;
    while (k < n && ((unsigned char)s[k] & 0xC0) == 0x80) k++;
    w++;
  }
  *bytes = k;
  return w;
}

parq_status pq_result_table(const pq_result *r, parq_buf *out, parq_error *err) {
  size_t *w = calloc((size_t)(r->ncols ? r->ncols : 1), sizeof *w);
  if (!w) return nomem(err);
  char buf[64];
  const char *s;
  size_t l, b;
  for (int k = 0; k < r->ncols; k++) w[k] = disp(r->names[k], strlen(r->names[k]), &b);
  for (int64_t j = 0; j < r->n; j++)
    for (int k = 0; k < r->ncols; k++) {
      cell(&r->cols[k], j, buf, sizeof buf, &s, &l);
      size_t d = disp(s, l, &b);
      if (d > w[k]) w[k] = d;
    }
  parq_status st = PARQ_OK;
  for (int k = 0; k < r->ncols; k++) {
    size_t d = disp(r->names[k], strlen(r->names[k]), &b);
    st |= parq_buf_printf(out, "%s%.*s%*s", k ? " | " : "", (int)b, r->names[k], (int)(w[k] - d), "");
  }
  st |= parq_buf_append_byte(out, '\n');
  for (int k = 0; k < r->ncols; k++) {
    st |= parq_buf_printf(out, "%s", k ? "-+-" : "");
    for (size_t x = 0; x < w[k]; x++) st |= parq_buf_append_byte(out, '-');
  }
  st |= parq_buf_append_byte(out, '\n');
  for (int64_t j = 0; j < r->n && st == PARQ_OK; j++) {
    for (int k = 0; k < r->ncols; k++) {
      cell(&r->cols[k], j, buf, sizeof buf, &s, &l);
      size_t d = disp(s, l, &b);
      int right = r->cols[k].t == QT_INT || r->cols[k].t == QT_DBL;
      int pad = (int)(w[k] - d);
      if (k) st |= parq_buf_printf(out, " | ");
      if (right) st |= parq_buf_printf(out, "%*s", pad, "");
      for (size_t x = 0; x < b; x++) { /* control characters would break the layout */
        char ch = s[x];
        st |= parq_buf_append_byte(out, (unsigned char)ch < 0x20 ? ' ' : (uint8_t)ch);
      }
      if (!right && k + 1 < r->ncols) st |= parq_buf_printf(out, "%*s", pad, "");
    }
    st |= parq_buf_append_byte(out, '\n');
  }
  st |= parq_buf_printf(out, "(%lld row%s)\n", (long long)r->n, r->n == 1 ? "" : "s");
  free(w);
  if (st != PARQ_OK) return nomem(err);
  return PARQ_OK;
}
