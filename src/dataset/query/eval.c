/* eval.c — vectorised evaluation of bound expressions over a frame of
 * column vectors. Every node produces a whole vector (arena storage); loops
 * are per type with no per-value indirection. SQL NULL semantics: NULL in ->
 * NULL out for operators and scalar functions, three-valued AND/OR/NOT/IN,
 * division by zero gives NULL (as DuckDB). Doubles compare with NaN largest
 * and equal to itself (DuckDB's total order). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dataset/query/query.h"
#include "io/io_internal.h"
#include "util/utf8.h"

const char *pq_qtype_name(qtype t) {
  static const char *const n[] = {"NULL", "BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR", "DATE",
                                  "TIMESTAMP"};
  return (unsigned)t < sizeof n / sizeof *n ? n[t] : "?";
}

static parq_status nomem(pq_query_error *err) {
  return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory evaluating the query");
}

parq_status pq_vec_alloc(qvec *v, qtype t, int64_t n, parq_arena *a) {
  memset(v, 0, sizeof *v);
  v->t = t;
  v->n = n;
  size_t m = (size_t)(n ? n : 1);
  if (t == QT_DBL) v->d = parq_arena_calloc(a, m, sizeof *v->d);
  else if (t == QT_STR) v->s = parq_arena_calloc(a, m, sizeof *v->s);
  else v->i = parq_arena_calloc(a, m, sizeof *v->i);
  if (!v->d && !v->s && !v->i) return PARQ_ENOMEM;
  if (t == QT_NULL) {
    v->nul = parq_arena_alloc(a, m);
    if (!v->nul) return PARQ_ENOMEM;
    memset(v->nul, 1, m);
  }
  return PARQ_OK;
}

static uint8_t *ensure_nul(qvec *v, parq_arena *a) {
  if (!v->nul) v->nul = parq_arena_calloc(a, (size_t)(v->n ? v->n : 1), 1);
  return v->nul;
}

/* OR of the NULL masks of a and b into out (NULL when neither has one). */
static parq_status merge_nul(const qvec *x, const qvec *y, qvec *out, parq_arena *a) {
  if (!x->nul && !y->nul) {
    out->nul = NULL;
    return PARQ_OK;
  }
  if (!ensure_nul(out, a)) return PARQ_ENOMEM;
  for (int64_t r = 0; r < out->n; r++)
    out->nul[r] = (uint8_t)((x->nul ? x->nul[r] : 0) | (y->nul ? y->nul[r] : 0));
  return PARQ_OK;
}

static inline int isnul(const qvec *v, int64_t r) { return v->nul && v->nul[r]; }

static inline int dcmp(double a, double b) {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a == b) return 0;
  int na = isnan(a), nb = isnan(b);
  return na - nb; /* NaN is the largest value and equals itself */
}

int pq_val_cmp(const qvec *a, int64_t i, const qvec *b, int64_t j) {
  switch (a->t) {
    case QT_DBL: return dcmp(a->d[i], b->d[j]);
    case QT_STR: {
      uint32_t n = a->s[i].n < b->s[j].n ? a->s[i].n : b->s[j].n;
      int c = n ? memcmp(a->s[i].p, b->s[j].p, n) : 0;
      if (c) return c < 0 ? -1 : 1;
      return a->s[i].n < b->s[j].n ? -1 : a->s[i].n > b->s[j].n;
    }
    default: return a->i[i] < b->i[j] ? -1 : a->i[i] > b->i[j];
  }
}

parq_status pq_key_encode(const qvec *v, int64_t i, parq_buf *b) {
  if (isnul(v, i)) return parq_buf_append_byte(b, 0);
  PARQ_TRY(parq_buf_reserve(b, 1 + 8 + (v->t == QT_STR ? 4 + (size_t)v->s[i].n : 0)));
  uint8_t tag = 1;
  parq_buf_put(b, &tag, 1);
  if (v->t == QT_DBL) {
    double d = v->d[i];
    if (d == 0) d = 0; /* -0 groups with 0 */
    if (isnan(d)) d = NAN;
    parq_buf_put(b, &d, 8);
  } else if (v->t == QT_STR) {
    parq_buf_put(b, &v->s[i].n, 4);
    if (v->s[i].n) parq_buf_put(b, v->s[i].p, v->s[i].n);
  } else {
    parq_buf_put(b, &v->i[i], 8);
  }
  return PARQ_OK;
}

uint64_t pq_key_hash(const void *p, size_t n) { return XXH3_64bits(p, n); }

/* ---------------- casts ---------------- */

static parq_status str_alloc(parq_arena *a, const char *p, size_t n, qstr *out) {
  char *s = parq_arena_alloc(a, n ? n : 1);
  if (!s) return PARQ_ENOMEM;
  if (n) memcpy(s, p, n);
  out->p = s;
  out->n = (uint32_t)n;
  return PARQ_OK;
}

/* Text of one non-NULL value (DuckDB's VARCHAR cast shapes). */
static int fmt_value(const qvec *v, int64_t r, char *buf) {
  switch (v->t) {
    case QT_BOOL: return sprintf(buf, "%s", v->i[r] ? "true" : "false");
    case QT_INT: return sprintf(buf, "%lld", (long long)v->i[r]);
    case QT_DBL: {
      double d = v->d[r];
      if (isnan(d)) return sprintf(buf, "nan");
      if (isinf(d)) return sprintf(buf, d < 0 ? "-inf" : "inf");
      return pq_fmt_double(d, buf);
    }
    case QT_DATE: return pq_fmt_date(v->i[r], buf);
    case QT_TS: {
      int n = pq_fmt_timestamp(v->i[r], PQA_MICRO, false, buf);
      for (int k = 0; k < n; k++)
        if (buf[k] == 'T') buf[k] = ' ';
      /* drop an all-zero fraction: "2024-01-02 03:04:05" */
      if (n > 7 && !strcmp(buf + n - 7, ".000000")) n -= 7, buf[n] = 0;
      return n;
    }
    default: buf[0] = 0; return 0;
  }
}

static int str_to_bool(const qstr *s, int64_t *out) {
  char b[8];
  if (s->n == 0 || s->n > 5) return 0;
  for (uint32_t k = 0; k < s->n; k++) b[k] = (char)(s->p[k] | 0x20);
  b[s->n] = 0;
  if (!strcmp(b, "true") || !strcmp(b, "t") || !strcmp(b, "1")) *out = 1;
  else if (!strcmp(b, "false") || !strcmp(b, "f") || !strcmp(b, "0")) *out = 0;
  else return 0;
  return 1;
}

parq_status pq_vec_cast(const qvec *v, qtype t, parq_arena *a, qvec *out, int pos,
                        pq_query_error *err) {
  if (v->t == t) {
    *out = *v;
    return PARQ_OK;
  }
  qvec o;
  if (pq_vec_alloc(&o, t, v->n, a)) return nomem(err);
  if (v->t == QT_NULL || t == QT_NULL) {
    o.nul = parq_arena_alloc(a, (size_t)(v->n ? v->n : 1));
    if (!o.nul) return nomem(err);
    memset(o.nul, 1, (size_t)(v->n ? v->n : 1));
    *out = o;
    return PARQ_OK;
  }
  o.nul = v->nul; /* same NULLs (shared, never written through) */
  int64_t n = v->n;
  char buf[64];
  for (int64_t r = 0; r < n; r++) {
    if (isnul(v, r)) continue;
    int ok = 1;
    switch (t) {
      case QT_DBL:
        if (v->t == QT_STR) {
          char tmp[64];
          uint32_t l = v->s[r].n < 63 ? v->s[r].n : 63;
          memcpy(tmp, v->s[r].p, l);
          tmp[l] = 0;
          char *end;
          o.d[r] = strtod(tmp, &end);
          ok = l > 0 && l == v->s[r].n && *end == 0;
        } else if (v->t == QT_INT || v->t == QT_BOOL) {
          o.d[r] = (double)v->i[r];
        } else ok = 0;
        break;
      case QT_INT:
        if (v->t == QT_BOOL) o.i[r] = v->i[r];
        else if (v->t == QT_DBL) {
          double d = nearbyint(v->d[r]); /* ties to even, as DuckDB */
          ok = d >= -9.2233720368547758e18 && d < 9.2233720368547758e18;
          o.i[r] = ok ? (int64_t)d : 0;
        } else if (v->t == QT_STR) {
          const char *p = v->s[r].p;
          size_t l = v->s[r].n;
          while (l && (*p == ' ')) p++, l--;
          while (l && p[l - 1] == ' ') l--;
          ok = pq_parse_i64(p, l, &o.i[r]);
        } else ok = 0;
        break;
      case QT_BOOL:
        if (v->t == QT_INT) o.i[r] = v->i[r] != 0;
        else if (v->t == QT_DBL) o.i[r] = v->d[r] != 0;
        else if (v->t == QT_STR) ok = str_to_bool(&v->s[r], &o.i[r]);
        else ok = 0;
        break;
      case QT_STR: {
        int l = fmt_value(v, r, buf);
        if (str_alloc(a, buf, (size_t)l, &o.s[r])) return nomem(err);
        break;
      }
      case QT_DATE:
        if (v->t == QT_TS) {
          int64_t x = v->i[r], d = 86400000000LL;
          o.i[r] = x / d - (x % d < 0);
        } else if (v->t == QT_STR) {
          ok = pq_parse_date(v->s[r].p, v->s[r].n, &o.i[r]);
          if (!ok) { /* a timestamp string also casts to its date */
            bool z;
            int64_t x;
            ok = pq_parse_timestamp(v->s[r].p, v->s[r].n, PQA_MICRO, &x, &z);
            if (ok) o.i[r] = x / 86400000000LL - (x % 86400000000LL < 0);
          }
        } else ok = 0;
        break;
      case QT_TS:
        if (v->t == QT_DATE) o.i[r] = v->i[r] * 86400000000LL;
        else if (v->t == QT_STR) {
          bool z;
          ok = pq_parse_timestamp(v->s[r].p, v->s[r].n, PQA_MICRO, &o.i[r], &z);
        } else ok = 0;
        break;
      default: ok = 0;
    }
    if (!ok) {
      if (v->t == QT_STR)
        return pq_qerr(err, PARQ_EINVAL, pos, "could not convert '%.*s' to %s",
                       (int)(v->s[r].n > 60 ? 60 : v->s[r].n), v->s[r].p, pq_qtype_name(t));
      return pq_qerr(err, PARQ_EINVAL, pos, "cannot cast %s to %s%s", pq_qtype_name(v->t),
                     pq_qtype_name(t), v->t == QT_DBL ? " (value out of range)" : "");
    }
  }
  *out = o;
  return PARQ_OK;
}

/* ---------------- operators ---------------- */

static qtype cmp_type(qtype a, qtype b) {
  if (a == b) return a;
  if (a == QT_NULL) return b;
  if (b == QT_NULL) return a;
  if ((a == QT_INT && b == QT_DBL) || (a == QT_DBL && b == QT_INT)) return QT_DBL;
  if ((a == QT_DATE && b == QT_TS) || (a == QT_TS && b == QT_DATE)) return QT_TS;
  if (a == QT_STR) return b;
  if (b == QT_STR) return a;
  if (a == QT_BOOL) return b;
  return a;
}

static parq_status eval_cmp(int op, const qvec *x0, const qvec *y0, parq_arena *a, qvec *out,
                            int pos, pq_query_error *err) {
  qtype t = cmp_type(x0->t, y0->t);
  qvec x, y;
  PARQ_TRY(pq_vec_cast(x0, t, a, &x, pos, err));
  PARQ_TRY(pq_vec_cast(y0, t, a, &y, pos, err));
  if (pq_vec_alloc(out, QT_BOOL, x.n, a) || merge_nul(&x, &y, out, a)) return nomem(err);
  int64_t n = x.n, *o = out->i;
  if (t == QT_NULL) return PARQ_OK;
#define CMPLOOP(EXPR)                                                  \
  for (int64_t r = 0; r < n; r++) {                                    \
    int c = EXPR;                                                      \
    switch (op) {                                                      \
      case QO_EQ: o[r] = c == 0; break;                                \
      case QO_NE: o[r] = c != 0; break;                                \
      case QO_LT: o[r] = c < 0; break;                                 \
      case QO_LE: o[r] = c <= 0; break;                                \
      case QO_GT: o[r] = c > 0; break;                                 \
      default: o[r] = c >= 0; break;                                   \
    }                                                                  \
  }
  if (t == QT_DBL) {
    CMPLOOP(dcmp(x.d[r], y.d[r]));
  } else if (t == QT_STR) {
    CMPLOOP(pq_val_cmp(&x, r, &y, r));
  } else {
    CMPLOOP((x.i[r] > y.i[r]) - (x.i[r] < y.i[r]));
  }
#undef CMPLOOP
  return PARQ_OK;
}

static parq_status to_bool(const qvec *v, parq_arena *a, qvec *out, int pos,
                           pq_query_error *err) {
  if (v->t == QT_BOOL || v->t == QT_NULL) return pq_vec_cast(v, QT_BOOL, a, out, pos, err);
  return pq_qerr(err, PARQ_EINVAL, pos, "expected a BOOLEAN expression, got %s",
                 pq_qtype_name(v->t));
}

/* `column OP literal` (the common WHERE shape): compare against the scalar with
 * the operator hoisted out of the loop. Returns 1 when done, 0 when the types
 * need the general path, -1 out of memory. */
static int cmp_lit(int op, const qvec *x, const qexpr *l, parq_arena *a, qvec *out) {
  qtype t = x->t;
  if (l->lt == QT_NULL || cmp_type(t, l->lt) != t) return 0;
  if (!(t == l->lt || (t == QT_DBL && l->lt == QT_INT))) return 0;
  if (t != QT_INT && t != QT_DBL && t != QT_DATE && t != QT_TS) return 0;
  int64_t n = x->n;
  if (pq_vec_alloc(out, QT_BOOL, n, a)) return -1;
  out->nul = x->nul;
  int64_t *o = out->i;
#define LITLOOP(V, C)                                                  \
  switch (op) {                                                        \
    case QO_EQ: for (int64_t r = 0; r < n; r++) o[r] = V[r] == C; break; \
    case QO_NE: for (int64_t r = 0; r < n; r++) o[r] = V[r] != C; break; \
    case QO_LT: for (int64_t r = 0; r < n; r++) o[r] = V[r] < C; break;  \
    case QO_LE: for (int64_t r = 0; r < n; r++) o[r] = V[r] <= C; break; \
    case QO_GT: for (int64_t r = 0; r < n; r++) o[r] = V[r] > C; break;  \
    default: for (int64_t r = 0; r < n; r++) o[r] = V[r] >= C; break;    \
  }
  if (t == QT_DBL) {
    double c = l->lt == QT_DBL ? l->ld : (double)l->li;
    if (isnan(c)) return 0; /* NaN ordering: general path */
    const double *v = x->d;
    /* NaN sorts largest and equals itself: fix those rows up afterwards */
    LITLOOP(v, c);
    for (int64_t r = 0; r < n; r++)
      if (isnan(v[r])) o[r] = op == QO_NE || op == QO_GT || op == QO_GE;
  } else {
    int64_t c = l->li;
    const int64_t *v = x->i;
    LITLOOP(v, c);
  }
#undef LITLOOP
  return 1;
}

static parq_status eval_logic(int op, const qvec *x0, const qvec *y0, parq_arena *a, qvec *out,
                              int pos, pq_query_error *err) {
  qvec x, y;
  PARQ_TRY(to_bool(x0, a, &x, pos, err));
  PARQ_TRY(to_bool(y0, a, &y, pos, err));
  int64_t n = x.n;
  if (pq_vec_alloc(out, QT_BOOL, n, a)) return nomem(err);
  if (!x.nul && !y.nul) { /* no NULLs: plain bitwise logic */
    if (op == QO_AND)
      for (int64_t r = 0; r < n; r++) out->i[r] = (x.i[r] != 0) & (y.i[r] != 0);
    else
      for (int64_t r = 0; r < n; r++) out->i[r] = (x.i[r] != 0) | (y.i[r] != 0);
    return PARQ_OK;
  }
  if (!ensure_nul(out, a)) return nomem(err);
  for (int64_t r = 0; r < n; r++) {
    int xn = isnul(&x, r), yn = isnul(&y, r);
    int64_t xv = x.i[r], yv = y.i[r];
    if (op == QO_AND) {
      if ((!xn && !xv) || (!yn && !yv)) out->i[r] = 0;
      else if (xn || yn) out->nul[r] = 1;
      else out->i[r] = 1;
    } else {
      if ((!xn && xv) || (!yn && yv)) out->i[r] = 1;
      else if (xn || yn) out->nul[r] = 1;
      else out->i[r] = 0;
    }
  }
  return PARQ_OK;
}

static parq_status eval_arith(const qexpr *e, const qvec *x0, const qvec *y0, parq_arena *a,
                              qvec *out, pq_query_error *err) {
  qtype t = e->type;
  qvec x, y;
  qtype in = t == QT_NULL ? QT_NULL : (e->op == QO_DIV ? QT_DBL : t);
  PARQ_TRY(pq_vec_cast(x0, in, a, &x, e->pos, err));
  PARQ_TRY(pq_vec_cast(y0, in, a, &y, e->pos, err));
  if (pq_vec_alloc(out, t, x.n, a) || merge_nul(&x, &y, out, a)) return nomem(err);
  int64_t n = x.n;
  if (t == QT_NULL) return PARQ_OK;
  if (t == QT_DBL) {
    double *o = out->d;
    const double *p = x.d, *q = y.d;
    switch (e->op) {
      case QO_ADD: for (int64_t r = 0; r < n; r++) o[r] = p[r] + q[r]; break;
      case QO_SUB: for (int64_t r = 0; r < n; r++) o[r] = p[r] - q[r]; break;
      case QO_MUL: for (int64_t r = 0; r < n; r++) o[r] = p[r] * q[r]; break;
      default:
        for (int64_t r = 0; r < n; r++) {
          if (q[r] == 0) {
            if (!ensure_nul(out, a)) return nomem(err);
            out->nul[r] = 1;
          } else {
            o[r] = e->op == QO_DIV ? p[r] / q[r] : fmod(p[r], q[r]);
          }
        }
    }
    return PARQ_OK;
  }
  int64_t *o = out->i;
  const int64_t *p = x.i, *q = y.i;
  /* wrap-around instead of UB on overflow */
  switch (e->op) {
    case QO_ADD: for (int64_t r = 0; r < n; r++) o[r] = (int64_t)((uint64_t)p[r] + (uint64_t)q[r]); break;
    case QO_SUB: for (int64_t r = 0; r < n; r++) o[r] = (int64_t)((uint64_t)p[r] - (uint64_t)q[r]); break;
    case QO_MUL: for (int64_t r = 0; r < n; r++) o[r] = (int64_t)((uint64_t)p[r] * (uint64_t)q[r]); break;
    default: /* QO_MOD (integer) */
      for (int64_t r = 0; r < n; r++) {
        if (q[r] == 0) {
          if (!ensure_nul(out, a)) return nomem(err);
          out->nul[r] = 1;
        } else {
          o[r] = q[r] == -1 ? 0 : p[r] % q[r];
        }
      }
  }
  return PARQ_OK;
}

static parq_status eval_concat(const qvec *x0, const qvec *y0, parq_arena *a, qvec *out, int pos,
                               pq_query_error *err) {
  qvec x, y;
  PARQ_TRY(pq_vec_cast(x0, QT_STR, a, &x, pos, err));
  PARQ_TRY(pq_vec_cast(y0, QT_STR, a, &y, pos, err));
  if (pq_vec_alloc(out, QT_STR, x.n, a) || merge_nul(&x, &y, out, a)) return nomem(err);
  if (x.t == QT_NULL || y.t == QT_NULL) return PARQ_OK;
  for (int64_t r = 0; r < x.n; r++) {
    if (isnul(out, r)) continue;
    size_t l = (size_t)x.s[r].n + y.s[r].n;
    if (l > UINT32_MAX) return pq_qerr(err, PARQ_ENOMEM, pos, "string too long");
    char *s = parq_arena_alloc(a, l ? l : 1);
    if (!s) return nomem(err);
    if (x.s[r].n) memcpy(s, x.s[r].p, x.s[r].n);
    if (y.s[r].n) memcpy(s + x.s[r].n, y.s[r].p, y.s[r].n);
    out->s[r].p = s;
    out->s[r].n = (uint32_t)l;
  }
  return PARQ_OK;
}

/* ---------------- LIKE ---------------- */

static size_t u8len(unsigned char c) {
  return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}
static inline unsigned char fold(unsigned char c, int ci) {
  return ci && c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

/* Wildcard match: % any run, _ one character (UTF-8), \ escapes. Iterative
 * with one backtrack point (linear for typical patterns). */
static int like(const char *s, size_t n, const char *p, size_t m, int ci) {
  size_t i = 0, j = 0, star_j = (size_t)-1, star_i = 0;
  while (i < n) {
    if (j < m && p[j] == '%') {
      star_j = ++j;
      star_i = i;
      continue;
    }
    if (j < m && p[j] == '_') {
      i += u8len((unsigned char)s[i]);
      j++;
      continue;
    }
    if (j < m) {
      size_t pj = j;
      if (p[pj] == '\\' && pj + 1 < m) pj++;
      if (fold((unsigned char)p[pj], ci) == fold((unsigned char)s[i], ci)) {
        i++;
        j = pj + 1;
        continue;
      }
    }
    if (star_j == (size_t)-1) return 0;
    star_i += u8len((unsigned char)s[star_i]);
    i = star_i;
    j = star_j;
  }
  while (j < m && p[j] == '%') j++;
  return j == m;
}

/* ---------------- functions ---------------- */

/* Byte offset of code point index ci (clamped to n). */
static uint32_t utf8_off(const char *p, uint32_t n, int64_t ci) {
  uint32_t k = 0;
  while (k < n && ci > 0) {
    k++;
    while (k < n && ((unsigned char)p[k] & 0xC0) == 0x80) k++;
    ci--;
  }
  return k;
}

static parq_status eval_func(const qexpr *e, const qframe *f, parq_arena *a, qvec *out,
                             pq_query_error *err) {
  qvec v[64];
  int na = e->nargs;
  for (int k = 0; k < na; k++) PARQ_TRY(pq_eval(e->args[k], f, a, &v[k], err));
  int64_t n = f->n;
  switch (e->op) {
    case QF_COALESCE: {
      if (pq_vec_alloc(out, e->type, n, a)) return nomem(err);
      if (!ensure_nul(out, a)) return nomem(err);
      memset(out->nul, 1, (size_t)(n ? n : 1));
      for (int k = na - 1; k >= 0; k--) {
        qvec c;
        PARQ_TRY(pq_vec_cast(&v[k], e->type, a, &c, e->args[k]->pos, err));
        if (c.t == QT_NULL) continue;
        for (int64_t r = 0; r < n; r++) {
          if (isnul(&c, r)) continue;
          out->nul[r] = 0;
          if (c.t == QT_DBL) out->d[r] = c.d[r];
          else if (c.t == QT_STR) out->s[r] = c.s[r];
          else out->i[r] = c.i[r];
        }
      }
      return PARQ_OK;
    }
    case QF_HASH: {
      if (pq_vec_alloc(out, QT_INT, n, a)) return nomem(err);
      parq_buf b = PARQ_BUF_INIT;
      for (int64_t r = 0; r < n; r++) {
        parq_buf_clear(&b);
        for (int k = 0; k < na; k++)
          if (pq_key_encode(&v[k], r, &b)) {
            parq_buf_free(&b);
            return nomem(err);
          }
        out->i[r] = (int64_t)pq_key_hash(b.data, b.len);
      }
      parq_buf_free(&b);
      return PARQ_OK;
    }
    default: break;
  }
  qvec x = v[0];
  if (x.t == QT_NULL) { /* NULL in, NULL out */
    if (pq_vec_alloc(out, e->type, n, a)) return nomem(err);
    if (!ensure_nul(out, a)) return nomem(err);
    memset(out->nul, 1, (size_t)(n ? n : 1));
    return PARQ_OK;
  }
  if (pq_vec_alloc(out, e->type, n, a)) return nomem(err);
  out->nul = x.nul;
  switch (e->op) {
    case QF_LENGTH:
      PARQ_TRY(pq_vec_cast(&v[0], QT_STR, a, &x, e->pos, err));
      for (int64_t r = 0; r < n; r++)
        if (!isnul(&x, r)) out->i[r] = pq_utf8_chars((const uint8_t *)x.s[r].p, x.s[r].n);
      return PARQ_OK;
    case QF_LOWER:
    case QF_UPPER:
      PARQ_TRY(pq_vec_cast(&v[0], QT_STR, a, &x, e->pos, err));
      for (int64_t r = 0; r < n; r++) {
        if (isnul(&x, r)) continue;
        if (str_alloc(a, x.s[r].p, x.s[r].n, &out->s[r])) return nomem(err);
        char *s = (char *)out->s[r].p;
        for (uint32_t k = 0; k < x.s[r].n; k++) {
          char c = s[k];
          if (e->op == QF_LOWER && c >= 'A' && c <= 'Z') s[k] = (char)(c | 0x20);
          if (e->op == QF_UPPER && c >= 'a' && c <= 'z') s[k] = (char)(c & ~0x20);
        }
      }
      return PARQ_OK;
    case QF_SUBSTR: {
      PARQ_TRY(pq_vec_cast(&v[0], QT_STR, a, &x, e->pos, err));
      qvec st, ln;
      PARQ_TRY(pq_vec_cast(&v[1], QT_INT, a, &st, e->args[1]->pos, err));
      if (na > 2) PARQ_TRY(pq_vec_cast(&v[2], QT_INT, a, &ln, e->args[2]->pos, err));
      if (merge_nul(&x, &st, out, a)) return nomem(err);
      if (na > 2) {
        qvec tmp = *out;
        if (merge_nul(&tmp, &ln, out, a)) return nomem(err);
      }
      for (int64_t r = 0; r < n; r++) {
        if (isnul(out, r)) continue;
        int64_t cnt = pq_utf8_chars((const uint8_t *)x.s[r].p, x.s[r].n);
        int64_t s0 = st.i[r];
        if (s0 < 0) s0 = cnt + s0 + 1;
        int64_t lo = s0, hi = na > 2 ? (ln.i[r] < 0 ? s0 : s0 + (ln.i[r] > cnt + 1 ? cnt + 1 : ln.i[r])) : cnt + 1;
        if (lo < 1) lo = 1;
        if (hi > cnt + 1) hi = cnt + 1;
        if (hi < lo) hi = lo;
        uint32_t b0 = utf8_off(x.s[r].p, x.s[r].n, lo - 1);
        uint32_t b1 = utf8_off(x.s[r].p, x.s[r].n, hi - 1);
        out->s[r].p = x.s[r].p + b0;
        out->s[r].n = b1 - b0;
      }
      return PARQ_OK;
    }
    case QF_ABS:
      for (int64_t r = 0; r < n; r++) {
        if (x.t == QT_DBL) out->d[r] = fabs(x.d[r]);
        else out->i[r] = x.i[r] < 0 ? (int64_t)(0 - (uint64_t)x.i[r]) : x.i[r];
      }
      return PARQ_OK;
    case QF_ROUND: {
      qvec dg = {0};
      if (na > 1) {
        PARQ_TRY(pq_vec_cast(&v[1], QT_INT, a, &dg, e->args[1]->pos, err));
        if (merge_nul(&x, &dg, out, a)) return nomem(err);
      }
      for (int64_t r = 0; r < n; r++) {
        if (isnul(out, r)) continue;
        int64_t d = na > 1 ? dg.i[r] : 0;
        if (x.t != QT_DBL) {
          out->i[r] = x.i[r];
          continue;
        }
        if (d > 300) d = 300;
        if (d < -300) d = -300;
        double m = pow(10.0, (double)d);
        double y = round(x.d[r] * m) / m;
        out->d[r] = isfinite(y) ? y : x.d[r];
      }
      return PARQ_OK;
    }
    case QF_YEAR: case QF_MONTH: case QF_DAY: case QF_HOUR: case QF_MINUTE: case QF_SECOND: {
      if (x.t != QT_DATE) PARQ_TRY(pq_vec_cast(&v[0], QT_TS, a, &x, e->pos, err));
      for (int64_t r = 0; r < n; r++) {
        if (isnul(&x, r)) continue;
        int64_t days, us = 0;
        if (x.t == QT_DATE) days = x.i[r];
        else {
          const int64_t D = 86400000000LL;
          days = x.i[r] / D - (x.i[r] % D < 0);
          us = x.i[r] - days * D;
        }
        int64_t y;
        unsigned mo, d;
        pq_civil_from_days(days, &y, &mo, &d);
        switch (e->op) {
          case QF_YEAR: out->i[r] = y; break;
          case QF_MONTH: out->i[r] = mo; break;
          case QF_DAY: out->i[r] = d; break;
          case QF_HOUR: out->i[r] = us / 3600000000LL; break;
          case QF_MINUTE: out->i[r] = us / 60000000LL % 60; break;
          default: out->i[r] = us / 1000000 % 60; break;
        }
      }
      return PARQ_OK;
    }
    default:
      return pq_qerr(err, PARQ_EINVAL, e->pos,
                     "aggregate function not allowed here (WHERE / GROUP BY / nested)");
  }
}

parq_status pq_eval(const qexpr *e, const qframe *f, parq_arena *a, qvec *out,
                    pq_query_error *err) {
  int64_t n = f->n;
  switch (e->kind) {
    case QE_COL:
    case QE_SLOT:
      *out = f->cols[e->slot];
      return PARQ_OK;
    case QE_LIT: {
      if (pq_vec_alloc(out, e->lt, n, a)) return nomem(err);
      for (int64_t r = 0; r < n; r++) {
        if (e->lt == QT_DBL) out->d[r] = e->ld;
        else if (e->lt == QT_STR) out->s[r] = e->ls;
        else out->i[r] = e->li;
      }
      return PARQ_OK;
    }
    case QE_NEG: {
      qvec x;
      PARQ_TRY(pq_eval(e->args[0], f, a, &x, err));
      if (pq_vec_alloc(out, e->type, n, a)) return nomem(err);
      out->nul = x.nul;
      if (x.t == QT_DBL)
        for (int64_t r = 0; r < n; r++) out->d[r] = -x.d[r];
      else if (x.t == QT_INT)
        for (int64_t r = 0; r < n; r++) out->i[r] = (int64_t)(0 - (uint64_t)x.i[r]);
      return PARQ_OK;
    }
    case QE_NOT: {
      qvec x0, x;
      PARQ_TRY(pq_eval(e->args[0], f, a, &x0, err));
      PARQ_TRY(to_bool(&x0, a, &x, e->pos, err));
      if (pq_vec_alloc(out, QT_BOOL, n, a)) return nomem(err);
      out->nul = x.nul;
      for (int64_t r = 0; r < n; r++) out->i[r] = !x.i[r];
      return PARQ_OK;
    }
    case QE_ISNULL: {
      qvec x;
      PARQ_TRY(pq_eval(e->args[0], f, a, &x, err));
      if (pq_vec_alloc(out, QT_BOOL, n, a)) return nomem(err);
      for (int64_t r = 0; r < n; r++) out->i[r] = isnul(&x, r) != e->negated;
      return PARQ_OK;
    }
    case QE_BIN: {
      qvec x, y;
      if (e->op >= QO_EQ && e->op <= QO_GE && e->args[1]->kind == QE_LIT) {
        PARQ_TRY(pq_eval(e->args[0], f, a, &x, err));
        int fast = cmp_lit(e->op, &x, e->args[1], a, out);
        if (fast < 0) return nomem(err);
        if (fast) return PARQ_OK;
        PARQ_TRY(pq_eval(e->args[1], f, a, &y, err));
        return eval_cmp(e->op, &x, &y, a, out, e->pos, err);
      }
      PARQ_TRY(pq_eval(e->args[0], f, a, &x, err));
      PARQ_TRY(pq_eval(e->args[1], f, a, &y, err));
      switch (e->op) {
        case QO_AND:
        case QO_OR: return eval_logic(e->op, &x, &y, a, out, e->pos, err);
        case QO_CONCAT: return eval_concat(&x, &y, a, out, e->pos, err);
        case QO_EQ: case QO_NE: case QO_LT: case QO_LE: case QO_GT: case QO_GE:
          return eval_cmp(e->op, &x, &y, a, out, e->pos, err);
        default: return eval_arith(e, &x, &y, a, out, err);
      }
    }
    case QE_IN: {
      /* x IN (a, b, ...): TRUE if any equal, else NULL if x or any item NULL. */
      qvec x;
      PARQ_TRY(pq_eval(e->args[0], f, a, &x, err));
      if (pq_vec_alloc(out, QT_BOOL, n, a)) return nomem(err);
      uint8_t *anynull = parq_arena_calloc(a, (size_t)(n ? n : 1), 1);
      if (!anynull) return nomem(err);
      for (int k = 1; k < e->nargs; k++) {
        qvec y, c;
        PARQ_TRY(pq_eval(e->args[k], f, a, &y, err));
        PARQ_TRY(eval_cmp(QO_EQ, &x, &y, a, &c, e->args[k]->pos, err));
        for (int64_t r = 0; r < n; r++) {
          if (isnul(&c, r)) anynull[r] = 1;
          else if (c.i[r]) out->i[r] = 1;
        }
      }
      for (int64_t r = 0; r < n; r++) {
        if (!out->i[r] && anynull[r]) {
          if (!ensure_nul(out, a)) return nomem(err);
          out->nul[r] = 1;
        } else if (e->negated) {
          out->i[r] = !out->i[r];
        }
      }
      return PARQ_OK;
    }
    case QE_LIKE: {
      qvec x0, y0, x, y;
      PARQ_TRY(pq_eval(e->args[0], f, a, &x0, err));
      PARQ_TRY(pq_eval(e->args[1], f, a, &y0, err));
      PARQ_TRY(pq_vec_cast(&x0, QT_STR, a, &x, e->pos, err));
      PARQ_TRY(pq_vec_cast(&y0, QT_STR, a, &y, e->args[1]->pos, err));
      if (pq_vec_alloc(out, QT_BOOL, n, a) || merge_nul(&x, &y, out, a)) return nomem(err);
      if (x.t == QT_NULL || y.t == QT_NULL) return PARQ_OK;
      for (int64_t r = 0; r < n; r++) {
        if (isnul(out, r)) continue;
        out->i[r] = like(x.s[r].p, x.s[r].n, y.s[r].p, y.s[r].n, e->ci) != e->negated;
      }
      return PARQ_OK;
    }
    case QE_CASE: {
      int npairs = (e->nargs - e->has_else) / 2;
      if (pq_vec_alloc(out, e->type, n, a) || !ensure_nul(out, a)) return nomem(err);
      uint8_t *done = parq_arena_calloc(a, (size_t)(n ? n : 1), 1);
      if (!done) return nomem(err);
      memset(out->nul, 1, (size_t)(n ? n : 1));
      for (int k = 0; k <= npairs; k++) {
        qvec c, v0, v;
        int has_cond = k < npairs;
        if (!has_cond && !e->has_else) break;
        if (has_cond) {
          qvec c0;
          PARQ_TRY(pq_eval(e->args[2 * k], f, a, &c0, err));
          PARQ_TRY(to_bool(&c0, a, &c, e->args[2 * k]->pos, err));
        }
        const qexpr *ve = has_cond ? e->args[2 * k + 1] : e->args[e->nargs - 1];
        PARQ_TRY(pq_eval(ve, f, a, &v0, err));
        PARQ_TRY(pq_vec_cast(&v0, e->type, a, &v, ve->pos, err));
        for (int64_t r = 0; r < n; r++) {
          if (done[r]) continue;
          if (has_cond && (isnul(&c, r) || !c.i[r])) continue;
          done[r] = 1;
          if (isnul(&v, r)) continue;
          out->nul[r] = 0;
          if (v.t == QT_DBL) out->d[r] = v.d[r];
          else if (v.t == QT_STR) out->s[r] = v.s[r];
          else out->i[r] = v.i[r];
        }
      }
      return PARQ_OK;
    }
    case QE_CAST: {
      qvec x;
      PARQ_TRY(pq_eval(e->args[0], f, a, &x, err));
      return pq_vec_cast(&x, (qtype)e->op, a, out, e->pos, err);
    }
    case QE_FUNC: return eval_func(e, f, a, out, err);
    default: return pq_qerr(err, PARQ_EINTERNAL, e->pos, "unexpected expression");
  }
}
