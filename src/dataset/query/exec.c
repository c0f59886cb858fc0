/* exec.c — runs a planned query: expands the FROM path, binds against the
 * first input's schema, scans this rank's share of row groups (Parquet:
 * projection = the referenced columns, WHERE conjuncts pushed down as
 * parq_predicate) or whole text files, converts each Arrow batch into
 * column vectors (strings read as Arrow views: pointers into the pages, no
 * copy), filters, then either aggregates or projects into the
 * result. Distributed: aggregate states are exchanged by key hash, each rank
 * finishes its groups, and rank 0 gathers the rows and applies ORDER BY /
 * LIMIT. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/query/plan.h"
#include "dataset/repack_internal.h"
#include "io/io.h"
#include "util/arrow.h"
#include "util/error.h"

/* ---- Arrow column -> qvec ---- */

static int64_t ts_to_micros(int64_t v, pq_arrow_unit u) {
  switch (u) {
    case PQA_SECOND: return v * 1000000;
    case PQA_MILLI: return v * 1000;
    case PQA_NANO: return v / 1000 - (v % 1000 < 0);
    default: return v;
  }
}

static double dec_to_double(const uint8_t *p, int width, int scale) {
  double v;
  if (width == 32) {
    int32_t x;
    memcpy(&x, p, 4);
    v = x;
  } else if (width == 64) {
    int64_t x;
    memcpy(&x, p, 8);
    v = (double)x;
  } else {
    uint64_t lo;
    int64_t hi;
    memcpy(&lo, p, 8);
    memcpy(&hi, p + 8, 8);
    v = (double)hi * 18446744073709551616.0 + (double)lo;
  }
  return v / pow(10.0, scale);
}

/* A malloc'ed buffer kept across batches: the per-batch vectors that are fully
 * overwritten anyway skip the arena's zero-fill and the page faults of fresh memory. */
typedef struct qscr {
  void *p;
  size_t cap;
} qscr;

static void *scr_get(qscr *b, size_t n) {
  if (n > b->cap) {
    size_t c = n + n / 4 + 64;
    void *p = malloc(c);
    if (!p) return NULL;
    free(b->p);
    b->p = p;
    b->cap = c;
  }
  return b->p;
}

static parq_status column_vec(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                              const char *path, qtype want, parq_arena *a, qscr *scr, qvec *v,
                              const char *file, pq_query_error *err);

/* Convert column `path` of the batch into v (type t; storage in arena). */
parq_status pq_column_vec(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                              const char *path, qtype want, parq_arena *a, qvec *v,
                              const char *file, pq_query_error *err) {
  return column_vec(schema, batch, path, want, a, NULL, v, file, err);
}

/* pq_column_vec; with scr, the values (every row is written below) live in scr. */
static parq_status column_vec(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                              const char *path, qtype want, parq_arena *a, qscr *scr, qvec *v,
                              const char *file, pq_query_error *err) {
  int64_t n = batch->length;
  /* walk the struct path, collecting parent NULLs */
  const struct ArrowSchema *s = schema;
  const struct ArrowArray *arr = batch;
  int64_t off = batch->offset; /* logical index of row 0 inside the child */
  uint8_t *nul = NULL;
  const char *p = path;
  for (;;) {
    int64_t found = -1;
    if (s == schema || (s->format[0] == '+' && s->format[1] == 's')) {
      /* a top-level name with dots first, then one component */
      if (s == schema)
        for (int64_t k = 0; k < s->n_children && found < 0; k++)
          if (!strcmp(s->children[k]->name, p)) found = k;
      if (found >= 0) {
        p += strlen(p);
      } else {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        for (int64_t k = 0; k < s->n_children && found < 0; k++)
          if (strlen(s->children[k]->name) == len && !memcmp(s->children[k]->name, p, len))
            found = k;
        p = dot ? dot + 1 : p + len;
      }
    }
    if (found < 0 || found >= arr->n_children)
      return pq_qerr(err, PARQ_ESCHEMA, -1, "%s: column '%s' not found", file, path);
    s = s->children[found];
    arr = arr->children[found];
    if (*p == 0) break;
    /* an intermediate struct: its NULLs make the leaf NULL */
    if (arr->null_count != 0 && arr->n_buffers > 0 && arr->buffers[0]) {
      if (!nul && !(nul = parq_arena_calloc(a, (size_t)(n ? n : 1), 1))) goto oom;
      for (int64_t r = 0; r < n; r++)
        if (!pq_arrow_is_valid(arr, off + r)) nul[r] = 1;
    }
    off += arr->offset;
  }
  qtype t;
  pq_arrow_type at;
  if (!pq_arrow_to_qtype(s, &t) || pq_arrow_parse_format(s->format, &at, NULL))
    return pq_qerr(err, PARQ_EUNSUPPORTED, -1, "%s: column '%s' has unsupported type '%s'", file,
                   path, s->format);
  qvec x;
  /* 64-bit integers and doubles are used in place: the batch outlives the frame and
   * vectors are never written through (no per-batch zero-fill + copy) */
  int alias = (at.kind == PQA_INT64 || at.kind == PQA_FLOAT64) && n > 0 && arr->n_buffers > 1 &&
              arr->buffers[1];
  if (alias) {
    memset(&x, 0, sizeof x);
    x.t = t;
    x.n = n;
    if (at.kind == PQA_INT64) x.i = (int64_t *)arr->buffers[1] + arr->offset + off;
    else x.d = (double *)arr->buffers[1] + arr->offset + off;
  } else if (scr && t != QT_NULL) {
    memset(&x, 0, sizeof x);
    x.t = t;
    x.n = n;
    void *p = scr_get(scr, (size_t)(n ? n : 1) * (t == QT_STR ? sizeof(qstr) : 8));
    if (!p) goto oom;
    if (t == QT_STR) x.s = p;
    else if (t == QT_DBL) x.d = p;
    else x.i = p;
  } else if (pq_vec_alloc(&x, t, n, a)) {
    goto oom;
  }
  /* validity */
  if (arr->null_count != 0 && arr->n_buffers > 0 && arr->buffers[0]) {
    if (!nul && !(nul = parq_arena_calloc(a, (size_t)(n ? n : 1), 1))) goto oom;
    const uint8_t *bits = arr->buffers[0];
    int64_t o = arr->offset + off;
    for (int64_t r = 0; r < n; r++) nul[r] |= !pq_bit_get(bits, o + r);
  }
  if (t == QT_NULL) {
    if (!nul && !(nul = parq_arena_alloc(a, (size_t)(n ? n : 1)))) goto oom;
    memset(nul, 1, (size_t)(n ? n : 1));
  }
  x.nul = nul;
  int64_t o = arr->offset + off;
  const void *data = arr->n_buffers > 1 ? arr->buffers[1] : NULL;
  if (t != QT_NULL && !data && n > 0)
    return pq_qerr(err, PARQ_ECORRUPT, -1, "%s: column '%s': missing data buffer", file, path);
  switch (at.kind) {
    case PQA_BOOL:
      for (int64_t r = 0; r < n; r++) x.i[r] = pq_bit_get(data, o + r);
      break;
#define INTS(T)                                                        \
  {                                                                    \
    const T *d = (const T *)data + o;                                  \
    for (int64_t r = 0; r < n; r++) x.i[r] = (int64_t)d[r];            \
  }                                                                    \
  break;
    case PQA_INT8: INTS(int8_t)
    case PQA_UINT8: INTS(uint8_t)
    case PQA_INT16: INTS(int16_t)
    case PQA_UINT16: INTS(uint16_t)
    case PQA_INT32: INTS(int32_t)
    case PQA_UINT32: INTS(uint32_t)
    case PQA_UINT64: INTS(uint64_t)
    case PQA_DATE32: INTS(int32_t)
#undef INTS
    case PQA_INT64: if (!alias) memcpy(x.i, (const int64_t *)data + o, (size_t)n * 8); break;
    case PQA_DATE64: {
      const int64_t *d = (const int64_t *)data + o;
      for (int64_t r = 0; r < n; r++) x.i[r] = d[r] / 86400000 - (d[r] % 86400000 < 0);
      break;
    }
    case PQA_TIMESTAMP: {
      const int64_t *d = (const int64_t *)data + o;
      for (int64_t r = 0; r < n; r++) x.i[r] = ts_to_micros(d[r], at.unit);
      break;
    }
    case PQA_FLOAT32: {
      const float *d = (const float *)data + o;
      for (int64_t r = 0; r < n; r++) x.d[r] = d[r];
      break;
    }
    case PQA_FLOAT64: if (!alias) memcpy(x.d, (const double *)data + o, (size_t)n * 8); break;
    case PQA_DECIMAL: {
      int w = at.width / 8;
      for (int64_t r = 0; r < n; r++)
        x.d[r] = dec_to_double((const uint8_t *)data + (size_t)(o + r) * (size_t)w, at.width, at.scale);
      break;
    }
    case PQA_UTF8: case PQA_BINARY: {
      const int32_t *of = data;
      const char *b = arr->buffers[2];
      for (int64_t r = 0; r < n; r++) {
        int32_t s0 = of[o + r], s1 = of[o + r + 1];
        x.s[r].p = b + s0;
        x.s[r].n = (uint32_t)(s1 - s0);
      }
      break;
    }
    case PQA_LARGE_UTF8: case PQA_LARGE_BINARY: {
      const int64_t *of = data;
      const char *b = arr->buffers[2];
      for (int64_t r = 0; r < n; r++) {
        x.s[r].p = b + of[o + r];
        x.s[r].n = (uint32_t)(of[o + r + 1] - of[o + r]);
      }
      break;
    }
    case PQA_UTF8_VIEW: case PQA_BINARY_VIEW: {
      /* 16-byte views: length, then 12 inline bytes, or prefix, buffer index and
       * offset into a data buffer (the reader's decompressed page). No bytes are
       * copied: the batch outlives the frame. Indexes are checked against the
       * array's buffer count (the last buffer holds the variadic sizes). */
      const uint8_t *vw = (const uint8_t *)data + (size_t)o * 16;
      int64_t nb = arr->n_buffers - 3; /* data buffers */
      const int64_t *sizes = nb > 0 ? arr->buffers[arr->n_buffers - 1] : NULL;
      if (nb > 0 && !sizes)
        return pq_qerr(err, PARQ_ECORRUPT, -1, "%s: column '%s': views without buffer sizes",
                       file, path);
      for (int64_t r = 0; r < n; r++) {
        const uint8_t *e = vw + (size_t)r * 16;
        uint32_t l;
        memcpy(&l, e, 4);
        x.s[r].n = l;
        if (l <= 12) {
          x.s[r].p = (const char *)e + 4;
        } else {
          int32_t bi, of;
          memcpy(&bi, e + 8, 4);
          memcpy(&of, e + 12, 4);
          if (bi < 0 || bi >= nb || of < 0 || (uint64_t)of + l > (uint64_t)sizes[bi]) {
            if (nul && nul[r]) { /* a NULL slot's view is never read */
              x.s[r].n = 0;
              x.s[r].p = "";
              continue;
            }
            return pq_qerr(err, PARQ_ECORRUPT, -1, "%s: column '%s': string view %lld is out "
                           "of its buffers", file, path, (long long)r);
          }
          x.s[r].p = (const char *)arr->buffers[2 + bi] + of;
        }
      }
      break;
    }
    default: break;
  }
  if (t != want && want != QT_NULL) {
    /* a later file with a different type (int vs double...): convert */
    return pq_vec_cast(&x, want, a, v, -1, err);
  }
  *v = x;
  return PARQ_OK;
oom:
  return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory converting column '%s'", path);
}

/* Replace every frame column by its rows idx[0..m). need (may be NULL = all): columns
 * read after the filter; the others only shrink to m rows (nothing reads them). */
static parq_status gather_rows(qframe *f, const int64_t *idx, int64_t m, const uint8_t *need,
                               parq_arena *a, pq_query_error *err) {
  for (int k = 0; k < f->ncols; k++) {
    qvec *c = &f->cols[k], o;
    if (need && !need[k]) {
      c->n = m;
      continue;
    }
    if (pq_vec_alloc(&o, c->t, m, a)) return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
    if (c->nul) {
      o.nul = parq_arena_alloc(a, (size_t)(m ? m : 1));
      if (!o.nul) return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
      for (int64_t j = 0; j < m; j++) o.nul[j] = c->nul[idx[j]];
    }
    if (c->t == QT_DBL)
      for (int64_t j = 0; j < m; j++) o.d[j] = c->d[idx[j]];
    else if (c->t == QT_STR)
      for (int64_t j = 0; j < m; j++) o.s[j] = c->s[idx[j]];
    else if (c->t != QT_NULL)
      for (int64_t j = 0; j < m; j++) o.i[j] = c->i[idx[j]];
    *c = o;
  }
  f->n = m;
  return PARQ_OK;
}

/* Keep rows where sel is TRUE (not NULL). */
static parq_status apply_filter(const qvec *sel, qframe *f, const uint8_t *need, parq_arena *a,
                                pq_query_error *err) {
  int64_t n = f->n, m = 0;
  int64_t *idx = parq_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *idx);
  if (!idx) return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
  if (sel->t != QT_BOOL) m = 0;
  else if (sel->nul) /* branch-free selection vector */
    for (int64_t r = 0; r < n; r++) idx[m] = r, m += !sel->nul[r] & (sel->i[r] != 0);
  else
    for (int64_t r = 0; r < n; r++) idx[m] = r, m += sel->i[r] != 0;
  if (m == n) return PARQ_OK;
  return gather_rows(f, idx, m, need, a, err);
}

/* Mark the scan columns an expression (bound on the scan frame) reads. */
static void mark_cols(const qexpr *e, uint8_t *need, int nscan) {
  if (!e) return;
  if (e->kind == QE_COL && e->slot >= 0 && e->slot < nscan) need[e->slot] = 1;
  for (int k = 0; k < e->nargs; k++) mark_cols(e->args[k], need, nscan);
}

/* WHERE as a conjunction of `numeric column OP literal` (the pushed-down shape): the
 * selection vector is built straight from the columns, conjunct after conjunct over the
 * rows still selected, with no boolean vectors in between. Same truth as pq_eval: a
 * NULL value fails its conjunct, NaN sorts largest (and equals itself). */
#define MAX_CONJ 16
typedef struct qconj {
  qtype t; /* column type */
  int slot, op, dbl;
  int64_t ci;
  double cd;
} qconj;

/* 1 when e is such a conjunction (its conjuncts appended to c), else 0. */
static int collect_conj(const qexpr *e, qconj *c, int *nc) {
  if (e->kind != QE_BIN) return 0;
  if (e->op == QO_AND)
    return collect_conj(e->args[0], c, nc) && collect_conj(e->args[1], c, nc);
  if (e->op < QO_EQ || e->op > QO_GE || *nc == MAX_CONJ) return 0;
  const qexpr *x = e->args[0], *l = e->args[1];
  if (x->kind != QE_COL || l->kind != QE_LIT || x->slot < 0) return 0;
  qtype t = x->type;
  int same = t == l->lt && (t == QT_INT || t == QT_DBL || t == QT_DATE || t == QT_TS);
  if (!same && !(t == QT_DBL && l->lt == QT_INT)) return 0;
  qconj *q = &c[(*nc)++];
  q->t = t;
  q->slot = x->slot;
  q->op = e->op;
  q->dbl = t == QT_DBL;
  q->ci = l->li;
  q->cd = l->lt == QT_DBL ? l->ld : (double)l->li;
  if (q->dbl && isnan(q->cd)) return 0; /* NaN literal: general path */
  return 1;
}

/* Keep in idx[0..*m) the rows (all n when first) passing conjunct c over column v. */
static void conj_select(const qconj *c, const qvec *v, int64_t n, int first, int64_t *idx,
                        int64_t *m) {
  const uint8_t *nul = v->nul;
  int64_t k = 0, cnt = first ? n : *m;
#define SEL(PASS)                                                              \
  for (int64_t j = 0; j < cnt; j++) {                                          \
    int64_t r = first ? j : idx[j];                                            \
    idx[k] = r;                                                                \
    k += (!nul || !nul[r]) & (PASS);                                           \
  }
#define OPS(V, C, NANP)                                                        \
  switch (c->op) {                                                             \
    case QO_EQ: SEL(V == C) break;                                             \
    case QO_NE: SEL(V != C || NANP) break;                                     \
    case QO_LT: SEL(V < C && !(NANP)) break;                                   \
    case QO_LE: SEL(V <= C && !(NANP)) break;                                  \
    case QO_GT: SEL(V > C || NANP) break;                                      \
    default: SEL(V >= C || NANP) break;                                        \
  }
  if (c->dbl) {
    const double *d = v->d, cd = c->cd;
    OPS(d[r], cd, isnan(d[r]))
  } else {
    const int64_t *i = v->i, ci = c->ci;
    OPS(i[r], ci, 0)
  }
#undef OPS
#undef SEL
  *m = k;
}

typedef struct run {
  pq_query *q;
  const pq_exec_options *o;
  pq_agg *agg;
  pq_result *res;
  int64_t keep; /* offset + limit (top-k bound) or -1 */
  int done;     /* LIMIT without ORDER BY reached */
  qscr *scr;    /* per scan column: its values, reused batch after batch */
  uint8_t *need; /* per scan column: read after WHERE (the others are not gathered) */
  qconj conj[MAX_CONJ]; /* WHERE as `column OP literal` conjuncts (nconj > 0) */
  int nconj;
  qscr sel;     /* their selection vector */
} run;

/* ORDER BY key compare of row a of ka[] against row b of kb[] (one vector per
 * ORDER BY key): < 0 when a sorts first. NULLs are placed as pq_result_sort_limit does. */
static int key_cmp(const pq_query *q, const qvec *ka, int64_t a, const qvec *kb, int64_t b) {
  for (int k = 0; k < q->norder; k++) {
    const qorder *o = &q->order[k];
    int an = ka[k].t == QT_NULL || (ka[k].nul && ka[k].nul[a]);
    int bn = kb[k].t == QT_NULL || (kb[k].nul && kb[k].nul[b]);
    if (an || bn) {
      if (an && bn) continue;
      int nf = o->nulls_first == 1;
      return an ? (nf ? -1 : 1) : (nf ? 1 : -1);
    }
    int x = pq_val_cmp(&ka[k], a, &kb[k], b);
    if (x) return o->desc ? -x : x;
  }
  return 0;
}

/* Heap order for top-k: worse rows on top; on equal keys the later row is worse
 * (the final sort is stable, so earlier input rows win ties). */
static inline int heap_worse(const pq_query *q, const qvec *kv, int64_t a, int64_t b) {
  int c = key_cmp(q, kv, a, kv, b);
  return c ? c > 0 : a > b;
}

static void heap_down(const pq_query *q, const qvec *kv, int64_t *h, int64_t n, int64_t i) {
  for (;;) {
    int64_t l = 2 * i + 1, w = i;
    if (l < n && heap_worse(q, kv, h[l], h[w])) w = l;
    if (l + 1 < n && heap_worse(q, kv, h[l + 1], h[w])) w = l + 1;
    if (w == i) return;
    int64_t t = h[i];
    h[i] = h[w];
    h[w] = t;
    i = w;
  }
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* ORDER BY ... LIMIT k over one frame: only the ORDER BY expressions are
 * evaluated for every row; a bounded heap of k row ids (worst on top, also
 * cut by the k-th best row kept so far) picks this frame's candidates, and
 * only those rows are gathered, projected (late materialisation: long string
 * columns are copied for at most k rows per frame) and merged into the result,
 * which is then cut back to its best k rows (sorted, so row k-1 is the bar). */
static parq_status project_topk(run *R, qframe *f, parq_arena *a, pq_query_error *err) {
  pq_query *q = R->q;
  pq_result *res = R->res;
  qvec kv[64], rk[64];
  for (int k = 0; k < q->norder; k++) {
    int c = q->order[k].col;
    PARQ_TRY(pq_eval(q->proj[c], f, a, &kv[k], err));
    if (kv[k].t != res->types[c])
      PARQ_TRY(pq_vec_cast(&kv[k], res->types[c], a, &kv[k], q->proj[c]->pos, err));
    rk[k] = res->cols[c];
  }
  int64_t n = f->n, keep = R->keep, hn = 0;
  int64_t bar = res->n >= keep ? keep - 1 : -1; /* res is sorted once it holds k rows */
  int64_t *h = parq_arena_alloc(a, (size_t)(keep < n ? keep : n) * sizeof *h + 8);
  if (!h) return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
  /* first key an integer-like column without NULLs: most rows lose on it alone, so
   * compare it inline and call the full comparison only on a tie */
  qtype t0 = kv[0].t;
  int fast = !kv[0].nul && kv[0].i && (t0 == QT_INT || t0 == QT_DATE || t0 == QT_TS || t0 == QT_BOOL);
  int desc0 = q->order[0].desc;
  const int64_t *k0 = kv[0].i;
  int fast_bar = fast && bar >= 0 && !(rk[0].nul && rk[0].nul[bar]);
  int64_t b0 = fast_bar ? rk[0].i[bar] : 0;
  for (int64_t r = 0; r < n; r++) {
    if (fast_bar) {
      int64_t x = k0[r];
      if (desc0 ? x < b0 : x > b0) continue;
      if (x == b0 && key_cmp(q, kv, r, rk, bar) >= 0) continue;
    } else if (bar >= 0 && key_cmp(q, kv, r, rk, bar) >= 0) {
      continue; /* ties: kept row wins */
    }
    if (hn < keep) {
      int64_t i = hn++;
      h[i] = r;
      while (i > 0 && heap_worse(q, kv, h[i], h[(i - 1) / 2])) {
        int64_t p = (i - 1) / 2, t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
      }
    } else if (fast && (desc0 ? k0[r] < k0[h[0]] : k0[r] > k0[h[0]])) {
      continue; /* worse than the worst kept row on the first key alone */
    } else if (heap_worse(q, kv, h[0], r)) {
      h[0] = r;
      heap_down(q, kv, h, hn, 0);
    }
  }
  if (hn == 0) return PARQ_OK;
  qsort(h, (size_t)hn, sizeof *h, cmp_i64); /* input order, for stable ties */
  /* the scan frame only needs its projected columns; aggregate frames need them all */
  if (hn < n) PARQ_TRY(gather_rows(f, h, hn, R->q->aggregate ? NULL : R->need, a, err));
  qvec cols[256];
  for (int k = 0; k < q->nproj; k++) PARQ_TRY(pq_eval(q->proj[k], f, a, &cols[k], err));
  for (int k = 0; k < q->nproj; k++)
    if (cols[k].t != res->types[k])
      PARQ_TRY(pq_vec_cast(&cols[k], res->types[k], a, &cols[k], q->proj[k]->pos, err));
  PARQ_TRY(pq_result_append(res, cols, f->n, &err->e));
  if (res->n >= keep) PARQ_TRY(pq_result_sort_limit(res, q->order, q->norder, 0, keep, &err->e));
  return PARQ_OK;
}

/* Project a frame (scan frame, or aggregate frame after HAVING) into the result. */
static parq_status project(run *R, qframe *f, parq_arena *a, pq_query_error *err) {
  pq_query *q = R->q;
  qvec cols[256];
  if (q->nproj > 256) return pq_qerr(err, PARQ_EUNSUPPORTED, -1, "more than 256 output columns");
  /* a bounded heap pays off while k is small against the frames */
  if (q->norder && q->norder <= 64 && R->keep > 0 && R->keep <= 4096)
    return project_topk(R, f, a, err);
  if (q->norder && R->keep == 0) return PARQ_OK;
  for (int k = 0; k < q->nproj; k++) PARQ_TRY(pq_eval(q->proj[k], f, a, &cols[k], err));
  for (int k = 0; k < q->nproj; k++)
    if (cols[k].t != R->res->types[k]) PARQ_TRY(pq_vec_cast(&cols[k], R->res->types[k], a, &cols[k], q->proj[k]->pos, err));
  int64_t n = f->n;
  if (!q->norder && R->keep >= 0 && R->res->n + n >= R->keep) {
    n = R->keep - R->res->n;
    R->done = 1;
  }
  PARQ_TRY(pq_result_append(R->res, cols, n, &err->e));
  /* ORDER BY ... LIMIT k (large k): compact to the best k now and then */
  if (q->norder && R->keep >= 0 && R->res->n > 4 * R->keep + 65536)
    PARQ_TRY(pq_result_sort_limit(R->res, q->order, q->norder, 0, R->keep, &err->e));
  return PARQ_OK;
}

static parq_status process_batch(run *R, const struct ArrowSchema *schema,
                                 const struct ArrowArray *batch, const char *file,
                                 pq_query_error *err) {
  pq_query *q = R->q;
  parq_arena a = PARQ_ARENA_INIT;
  parq_status st = PARQ_OK;
  qframe f = {NULL, q->nscan, batch->length};
  f.cols = parq_arena_calloc(&a, (size_t)(q->nscan ? q->nscan : 1), sizeof *f.cols);
  if (!f.cols) st = pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
  for (int k = 0; k < q->nscan && st == PARQ_OK; k++)
    st = column_vec(schema, batch, q->scan_cols[k], q->scan_types[k], &a, &R->scr[k], &f.cols[k],
                    file, err);
  int fastw = st == PARQ_OK && q->where && R->nconj > 0;
  for (int k = 0; fastw && k < R->nconj; k++) /* the types it was planned for */
    fastw = f.cols[R->conj[k].slot].t == R->conj[k].t;
  if (fastw) {
    int64_t n = f.n, m = 0, *idx = scr_get(&R->sel, (size_t)(n ? n : 1) * sizeof *idx);
    if (!idx) st = pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
    for (int k = 0; k < R->nconj && st == PARQ_OK && (k == 0 || m > 0); k++)
      conj_select(&R->conj[k], &f.cols[R->conj[k].slot], n, k == 0, idx, &m);
    if (st == PARQ_OK && m < n) st = gather_rows(&f, idx, m, R->need, &a, err);
  } else if (st == PARQ_OK && q->where) {
    qvec sel;
    st = pq_eval(q->where, &f, &a, &sel, err);
    if (st == PARQ_OK) st = apply_filter(&sel, &f, R->need, &a, err);
  }
  if (st == PARQ_OK && f.n > 0) {
    if (q->aggregate) st = pq_agg_add(R->agg, &f, &a, err);
    else st = project(R, &f, &a, err);
  }
  parq_arena_free(&a);
  return st;
}

/* Schema of the first input; for Parquet also its row-group count, so its footer
 * (large with small row groups) is decoded once here instead of twice. */
static parq_status open_schema(const pq_input *in, struct ArrowSchema *schema, int64_t *nrg,
                               parq_error *err) {
  if (in->fmt == PQ_FMT_PARQUET) {
    parq_reader *r;
    PARQ_TRY(parq_reader_open(in->path, NULL, &r, err));
    *nrg = parq_reader_num_row_groups(r);
    parq_status st = parq_reader_schema(r, schema, err);
    parq_reader_close(r);
    return st;
  }
  pq_text_read_options to;
  pq_text_read_options_init(&to);
  to.format = in->fmt;
  pq_text_reader *t;
  PARQ_TRY(pq_text_reader_open(in->path, &to, &t, err));
  parq_status st = pq_text_reader_schema(t, schema, err);
  pq_text_reader_close(t);
  return st;
}

static parq_status scan_file(run *R, const pq_input *in, const int64_t *rgs, size_t nrg,
                             pq_query_error *err) {
  pq_query *q = R->q;
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  parq_status st;
  parq_reader *pr = NULL;
  pq_text_reader *tr = NULL;
  const char **cols = calloc((size_t)(q->nscan ? q->nscan : 1), sizeof *cols);
  if (!cols) return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
  int ncols = 0;
  if (in->fmt == PQ_FMT_PARQUET) {
    if (nrg == 0) {
      free(cols);
      return PARQ_OK;
    }
    parq_read_options ro;
    parq_read_options_init(&ro);
    for (int k = 0; k < q->nscan; k++) cols[ncols++] = q->scan_cols[k];
    ro.columns = ncols ? cols : NULL;
    ro.n_columns = (size_t)ncols;
    ro.row_groups = rgs;
    ro.n_row_groups = nrg;
    ro.predicates = q->preds;
    ro.n_predicates = (size_t)q->npreds;
    ro.batch_rows = R->o->batch_rows > 0 ? R->o->batch_rows : 65536;
    ro.string_views = 1; /* strings point into the decompressed pages: no per-row copy */
    st = parq_reader_open(in->path, &ro, &pr, &err->e);
    if (st == PARQ_OK) st = parq_reader_schema(pr, &schema, &err->e);
    if (st == PARQ_OK && q->nscan == 0) {
      /* no column referenced (count(*)): row counts come from the footer */
      for (size_t k = 0; k < nrg && st == PARQ_OK && !R->done; k++) {
        int64_t left = parq_reader_row_group_num_rows(pr, rgs[k]);
        while (left > 0 && st == PARQ_OK && !R->done) {
          struct ArrowArray fake = {0};
          fake.length = left < 65536 ? left : 65536;
          left -= fake.length;
          st = process_batch(R, &schema, &fake, in->path, err);
        }
      }
      goto out;
    }
  } else {
    pq_text_read_options to;
    pq_text_read_options_init(&to);
    to.format = in->fmt;
    /* top-level names referenced (text readers project by name) */
    for (int k = 0; k < q->nscan; k++) {
      const char *dot = strchr(q->scan_cols[k], '.');
      size_t l = dot ? (size_t)(dot - q->scan_cols[k]) : strlen(q->scan_cols[k]);
      int dup = 0;
      for (int j = 0; j < ncols; j++)
        if (strlen(cols[j]) == l && !memcmp(cols[j], q->scan_cols[k], l)) dup = 1;
      if (dup) continue;
      char *c = parq_arena_strndup(&q->arena, q->scan_cols[k], l);
      if (!c) {
        free(cols);
        return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
      }
      cols[ncols++] = c;
    }
    to.columns = ncols ? cols : NULL;
    to.n_columns = (size_t)ncols;
    to.batch_rows = 65536;
    st = pq_text_reader_open(in->path, &to, &tr, &err->e);
    if (st == PARQ_OK) st = pq_text_reader_schema(tr, &schema, &err->e);
  }
  while (st == PARQ_OK && !R->done) {
    st = pr ? parq_reader_next(pr, &batch, &err->e) : pq_text_reader_next(tr, &batch, &err->e);
    if (st == PARQ_DONE) {
      st = PARQ_OK;
      break;
    }
    if (st != PARQ_OK) break;
    st = process_batch(R, &schema, &batch, in->path, err);
    pq_arrow_array_release(&batch);
  }
out:
  if (st != PARQ_OK && err && err->e.message[0] && !strstr(err->e.message, in->path))
    parq_err_prefix(&err->e, "%s", in->path);
  pq_arrow_array_release(&batch);
  pq_arrow_schema_release(&schema);
  parq_reader_close(pr);
  pq_text_reader_close(tr);
  free(cols);
  return st;
}

/* One frame of finished groups (all of them, or one spill partition): HAVING,
 * then the projection into the result. */
static parq_status emit_groups(void *ctx, qframe *f, parq_arena *a, pq_query_error *err) {
  run *R = ctx;
  if (R->q->having) {
    qvec sel;
    PARQ_TRY(pq_eval(R->q->having, f, a, &sel, err));
    PARQ_TRY(apply_filter(&sel, f, NULL, a, err));
  }
  return f->n ? project(R, f, a, err) : PARQ_OK;
}

/* The in-order split (threads): scan units in input order — each Parquet row
 * group, each text file — cut into `size` contiguous blocks of near-equal count;
 * rank `rank` takes block `rank`. Same output shape as pq_dist_split; a text file
 * is this rank's when (*n_out)[f] == 1. */
static parq_status split_in_order(const pq_input_list *in, const int64_t *counts, int rank,
                                  int size, int64_t ***out, size_t **n_out, pq_query_error *err) {
  size_t nf = in->n;
  int64_t total = 0;
  for (size_t f = 0; f < nf; f++)
    total += in->v[f].fmt == PQ_FMT_PARQUET ? (counts[f] > 0 ? counts[f] : 0) : 1;
  int64_t lo = total * rank / size, hi = total * (rank + 1) / size, u = 0;
  int64_t **sel = calloc(nf ? nf : 1, sizeof *sel);
  size_t *ns = calloc(nf ? nf : 1, sizeof *ns);
  if (!sel || !ns) goto oom;
  for (size_t f = 0; f < nf; f++) {
    int64_t c = in->v[f].fmt == PQ_FMT_PARQUET ? (counts[f] > 0 ? counts[f] : 0) : 1;
    sel[f] = malloc((size_t)(c ? c : 1) * sizeof **sel);
    if (!sel[f]) goto oom;
    for (int64_t k = 0; k < c; k++, u++)
      if (u >= lo && u < hi) sel[f][ns[f]++] = k;
  }
  *out = sel;
  *n_out = ns;
  return PARQ_OK;
oom:
  pq_dist_split_free(sel, ns, nf);
  return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory splitting row groups");
}

parq_status pq_query_run(pq_query *q, const pq_exec_options *o, const pq_comm *comm,
                         pq_result *out, pq_query_error *err) {
  memset(out, 0, sizeof *out);
  pq_input_list inputs;
  const char *arg = q->from;
  parq_error e = {0};
  parq_status st = pq_inputs_expand(&arg, 1, &inputs, &e);
  if (st != PARQ_OK) {
    pq_inputs_free(&inputs);
    return pq_qerr(err, st, q->from_pos, "%s", e.message);
  }
  if (inputs.n == 0) {
    pq_inputs_free(&inputs);
    return pq_qerr(err, PARQ_EINVAL, q->from_pos, "%s: no input files found", q->from);
  }
  struct ArrowSchema schema = {0};
  int64_t *counts = NULL, **sel = NULL;
  size_t *nsel = NULL;
  run R;
  memset(&R, 0, sizeof R);
  R.q = q;
  R.o = o;
  R.res = out;
  R.keep = -1;
  qtype *types = NULL;
  int64_t nrg0 = 0;
  st = open_schema(&inputs.v[0], &schema, &nrg0, &e);
  if (st != PARQ_OK) {
    st = pq_qerr(err, st, q->from_pos, "%s", e.message);
    goto done;
  }
  if ((st = pq_query_plan(q, &schema, err)) != PARQ_OK) {
    if (err) err->usage = st != PARQ_ENOMEM;
    goto done;
  }
  types = calloc((size_t)q->nproj + 1, sizeof *types);
  if (!types) goto oom;
  for (int k = 0; k < q->nproj; k++) types[k] = q->proj[k]->type;
  char **names = calloc((size_t)q->nproj + 1, sizeof *names);
  if (!names) goto oom;
  for (int k = 0; k < q->nproj; k++) names[k] = k < q->nitems ? q->names[k] : "";
  st = pq_result_init(out, q->nproj, names, types);
  free(names);
  if (st != PARQ_OK) goto oom;
  if (q->limit >= 0) R.keep = q->offset + q->limit;
  R.scr = calloc((size_t)q->nscan + 1, sizeof *R.scr);
  R.need = calloc((size_t)q->nscan + 1, 1);
  if (!R.scr || !R.need) goto oom;
  if (q->where && !collect_conj(q->where, R.conj, &R.nconj)) R.nconj = 0;
  if (q->aggregate) {
    for (int k = 0; k < q->ngroup; k++) mark_cols(q->group[k], R.need, q->nscan);
    for (int k = 0; k < q->naggs; k++) mark_cols(q->aggs[k], R.need, q->nscan);
  } else {
    for (int k = 0; k < q->nproj; k++) mark_cols(q->proj[k], R.need, q->nscan);
  }
  if (q->aggregate && (st = pq_agg_new(q, o->memory_limit, &R.agg, &err->e)) != PARQ_OK) goto done;
  /* this rank's share: global row groups g % size == rank; text files i % size */
  counts = calloc(inputs.n, sizeof *counts);
  if (!counts) goto oom;
  for (size_t f = 0; f < inputs.n; f++) {
    if (inputs.v[f].fmt != PQ_FMT_PARQUET) continue;
    if (f == 0) {
      counts[0] = nrg0;
      continue;
    }
    parq_reader *r;
    if ((st = parq_reader_open(inputs.v[f].path, NULL, &r, &e)) != PARQ_OK) {
      st = pq_qerr(err, st, q->from_pos, "%s", e.message);
      goto done;
    }
    counts[f] = parq_reader_num_row_groups(r);
    parq_reader_close(r);
  }
  if (o->in_order) st = split_in_order(&inputs, counts, comm->rank, comm->size, &sel, &nsel, err);
  else st = pq_dist_split(counts, inputs.n, comm->rank, comm->size, &sel, &nsel, &err->e);
  if (st != PARQ_OK) goto done;
  for (size_t f = 0; f < inputs.n && !R.done; f++) {
    if (inputs.v[f].fmt != PQ_FMT_PARQUET &&
        (o->in_order ? nsel[f] == 0 : (int)(f % (size_t)comm->size) != comm->rank))
      continue;
    if ((st = scan_file(&R, &inputs.v[f], sel[f], nsel[f], err)) != PARQ_OK) goto done;
  }
  if (q->aggregate) {
    /* in order: states meet on rank 0 in rank order (= input order), so groups come
     * out first-seen as in one rank, and ORDER BY ties break the same way */
    if ((st = pq_agg_exchange(R.agg, comm, o->in_order, &err->e)) != PARQ_OK) goto done;
    if ((st = pq_agg_finish(R.agg, emit_groups, &R, err)) != PARQ_OK) goto done;
  }
  if (comm->size > 1) {
    /* local top-k, then rank 0 gathers everything */
    if (q->norder && R.keep >= 0 &&
        (st = pq_result_sort_limit(out, q->order, q->norder, 0, R.keep, &err->e)) != PARQ_OK)
      goto done;
    parq_buf mine = PARQ_BUF_INIT, all = PARQ_BUF_INIT;
    st = pq_result_serialize(out, &mine);
    if (st == PARQ_OK) st = comm->gather(comm->ctx, mine.data, mine.len, &all, &err->e);
    parq_buf_free(&mine);
    if (st == PARQ_OK && comm->rank == 0) {
      out->n = 0;
      st = pq_result_deserialize(out, all.data, all.len, &err->e);
    }
    parq_buf_free(&all);
    if (st != PARQ_OK) goto done;
  }
  st = pq_result_sort_limit(out, q->order, q->norder, q->offset, q->limit, &err->e);
  if (st == PARQ_OK) pq_result_truncate_cols(out, q->nitems);
  goto done;
oom:
  st = pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
done:
  if (st != PARQ_OK) pq_result_free(out);
  free(types);
  free(counts);
  pq_dist_split_free(sel, nsel, inputs.n);
  pq_agg_free(R.agg);
  for (int k = 0; R.scr && k < q->nscan; k++) free(R.scr[k].p);
  free(R.sel.p);
  free(R.scr);
  free(R.need);
  pq_arrow_schema_release(&schema);
  pq_inputs_free(&inputs);
  return st;
}
