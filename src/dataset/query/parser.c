/* parser.c — recursive-descent SQL parser producing the AST in query.h.
 *
 * Grammar (one SELECT):
 *   SELECT [DISTINCT] item, ... FROM 'path' [[AS] alias] [WHERE e]
 *   [GROUP BY e, ...] [HAVING e] [ORDER BY e [ASC|DESC] [NULLS FIRST|LAST], ...]
 *   [LIMIT n] [OFFSET n] [;]
 * Precedence, loosest first: OR, AND, NOT, comparison / IS / IN / BETWEEN /
 * LIKE, ||, + -, * / %, unary -, ::, primary. BETWEEN is rewritten to
 * (x >= lo AND x <= hi) and CASE x WHEN v to CASE WHEN x = v. All nodes live
 * in the query's arena, so rewritten trees may share subtrees. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataset/query/lexer.h"
#include "util/error.h"

typedef struct P {
  pq_query *q;
  const char *src;
  qtoken *t;
  int n, i;
  pq_query_error *err;
} P;

parq_status pq_qerr(pq_query_error *err, parq_status code, int pos, const char *fmt, ...) {
  if (!err) return code;
  if (err->e.code != PARQ_OK) return code; /* first error wins */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->e.message, sizeof err->e.message, fmt, ap);
  va_end(ap);
  err->e.code = code;
  err->pos = pos;
  return code;
}

static qtoken *cur(P *p) { return &p->t[p->i]; }

static int is_kw(P *p, const char *kw) {
  qtoken *t = cur(p);
  return t->kind == TK_IDENT && (int)strlen(kw) == t->len &&
         !strncasecmp(p->src + t->pos, kw, (size_t)t->len);
}
static int accept_kw(P *p, const char *kw) {
  if (!is_kw(p, kw)) return 0;
  p->i++;
  return 1;
}
static int is_sym(P *p, const char *s) { return cur(p)->kind == TK_SYM && !strcmp(cur(p)->sym, s); }
static int accept_sym(P *p, const char *s) {
  if (!is_sym(p, s)) return 0;
  p->i++;
  return 1;
}

static parq_status fail(P *p, const char *expected) {
  qtoken *t = cur(p);
  if (t->kind == TK_EOF)
    return pq_qerr(p->err, PARQ_EINVAL, t->pos, "syntax error at end of query: expected %s",
                   expected);
  return pq_qerr(p->err, PARQ_EINVAL, t->pos, "syntax error at '%.*s': expected %s",
                 t->len > 40 ? 40 : t->len, p->src + t->pos, expected);
}
static parq_status expect_kw(P *p, const char *kw) {
  if (accept_kw(p, kw)) return PARQ_OK;
  return fail(p, kw);
}
static parq_status expect_sym(P *p, const char *s) {
  if (accept_sym(p, s)) return PARQ_OK;
  char buf[8];
  snprintf(buf, sizeof buf, "'%s'", s);
  return fail(p, buf);
}

static parq_status oom(P *p) {
  return pq_qerr(p->err, PARQ_ENOMEM, -1, "out of memory parsing the query");
}

static qexpr *node(P *p, qe_kind k, int pos) {
  qexpr *e = parq_arena_alloc(&p->q->arena, sizeof *e);
  if (!e) return NULL;
  e->kind = k;
  e->pos = pos;
  e->end = pos;
  e->slot = -1;
  return e;
}
static int set_args(P *p, qexpr *e, qexpr **a, int n) {
  e->args = parq_arena_calloc(&p->q->arena, (size_t)(n ? n : 1), sizeof *a);
  if (!e->args) return -1;
  memcpy(e->args, a, (size_t)n * sizeof *a);
  e->nargs = n;
  return 0;
}

/* Unquote a 'string' or "identifier" token into the arena. */
static char *unquote(P *p, const qtoken *t, size_t *len) {
  char q = p->src[t->pos];
  char *s = parq_arena_alloc(&p->q->arena, (size_t)t->len + 1);
  if (!s) return NULL;
  size_t n = 0;
  for (int k = t->pos + 1; k < t->pos + t->len - 1; k++) {
    s[n++] = p->src[k];
    if (p->src[k] == q) k++; /* doubled quote */
  }
  s[n] = 0;
  if (len) *len = n;
  return s;
}

static char *ident_text(P *p, const qtoken *t) {
  if (t->kind == TK_QIDENT) return unquote(p, t, NULL);
  return parq_arena_strndup(&p->q->arena, p->src + t->pos, (size_t)t->len);
}

/* Words that end an expression list / cannot be an implicit alias. */
static const char *const reserved[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "OFFSET", "AS", "AND",
    "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE",
    "END", "ASC", "DESC", "NULLS", "DISTINCT", "TRUE", "FALSE", "ON", "JOIN", "UNION"};
static int is_reserved(P *p) {
  for (size_t k = 0; k < sizeof reserved / sizeof *reserved; k++)
    if (is_kw(p, reserved[k])) return 1;
  return 0;
}

static parq_status expr(P *p, qexpr **out);

static parq_status parse_type(P *p, int *t) {
  static const struct { const char *name; qtype t; } types[] = {
      {"BIGINT", QT_INT},   {"INTEGER", QT_INT},  {"INT", QT_INT},      {"INT64", QT_INT},
      {"SMALLINT", QT_INT}, {"TINYINT", QT_INT},  {"HUGEINT", QT_INT},  {"INT8", QT_INT},
      {"INT4", QT_INT},     {"UBIGINT", QT_INT},  {"DOUBLE", QT_DBL},   {"FLOAT", QT_DBL},
      {"REAL", QT_DBL},     {"FLOAT8", QT_DBL},   {"DECIMAL", QT_DBL},  {"NUMERIC", QT_DBL},
      {"VARCHAR", QT_STR},  {"TEXT", QT_STR},     {"STRING", QT_STR},   {"BOOLEAN", QT_BOOL},
      {"BOOL", QT_BOOL},    {"DATE", QT_DATE},    {"TIMESTAMP", QT_TS},
  };
  for (size_t k = 0; k < sizeof types / sizeof *types; k++)
    if (accept_kw(p, types[k].name)) {
      *t = (int)types[k].t;
      if (accept_sym(p, "(")) { /* DECIMAL(18,3), VARCHAR(10): size ignored */
        while (!is_sym(p, ")") && cur(p)->kind != TK_EOF) p->i++;
        PARQ_TRY(expect_sym(p, ")"));
      }
      return PARQ_OK;
    }
  return fail(p, "a type name (BIGINT, DOUBLE, VARCHAR, BOOLEAN, DATE, TIMESTAMP)");
}

static const struct { const char *name; qfunc f; int min, max; } funcs[] = {
    {"count", QF_COUNT, 1, 1},   {"sum", QF_SUM, 1, 1},         {"avg", QF_AVG, 1, 1},
    {"mean", QF_AVG, 1, 1},      {"min", QF_MIN, 1, 1},         {"max", QF_MAX, 1, 1},
    {"length", QF_LENGTH, 1, 1}, {"char_length", QF_LENGTH, 1, 1}, {"lower", QF_LOWER, 1, 1},
    {"upper", QF_UPPER, 1, 1},   {"substr", QF_SUBSTR, 2, 3},   {"substring", QF_SUBSTR, 2, 3},
    {"coalesce", QF_COALESCE, 1, 64}, {"abs", QF_ABS, 1, 1},   {"round", QF_ROUND, 1, 2},
    {"hash", QF_HASH, 1, 1},     {"year", QF_YEAR, 1, 1},       {"month", QF_MONTH, 1, 1},
    {"day", QF_DAY, 1, 1},       {"hour", QF_HOUR, 1, 1},       {"minute", QF_MINUTE, 1, 1},
    {"second", QF_SECOND, 1, 1},
};

static parq_status func_call(P *p, qtoken *name, qexpr **out) {
  int f = -1;
  for (size_t k = 0; k < sizeof funcs / sizeof *funcs; k++)
    if ((int)strlen(funcs[k].name) == name->len &&
        !strncasecmp(p->src + name->pos, funcs[k].name, (size_t)name->len))
      f = (int)k;
  if (f < 0)
    return pq_qerr(p->err, PARQ_EINVAL, name->pos, "unknown function '%.*s'", name->len,
                   p->src + name->pos);
  qexpr *e = node(p, QE_FUNC, name->pos);
  if (!e) return oom(p);
  e->op = funcs[f].f;
  qexpr *a[64];
  int n = 0;
  if (funcs[f].f == QF_COUNT && accept_sym(p, "*")) {
    e->star = 1;
  } else {
    if (funcs[f].f < QF_AGG_END && accept_kw(p, "DISTINCT")) e->distinct = 1;
    if (!is_sym(p, ")")) {
      for (;;) {
        if (n == 64) return pq_qerr(p->err, PARQ_EINVAL, cur(p)->pos, "too many arguments");
        PARQ_TRY(expr(p, &a[n]));
        n++;
        if (!accept_sym(p, ",")) break;
      }
    }
    if (n < funcs[f].min || n > funcs[f].max)
      return pq_qerr(p->err, PARQ_EINVAL, name->pos, "%s() takes %d%s%d argument%s, got %d",
                     funcs[f].name, funcs[f].min, funcs[f].max > funcs[f].min ? " to " : "",
                     funcs[f].max > funcs[f].min ? funcs[f].max : 0, funcs[f].max > 1 ? "s" : "",
                     n);
  }
  PARQ_TRY(expect_sym(p, ")"));
  if (set_args(p, e, a, n)) return oom(p);
  e->end = p->t[p->i - 1].pos + p->t[p->i - 1].len;
  *out = e;
  return PARQ_OK;
}

static parq_status primary(P *p, qexpr **out) {
  qtoken *t = cur(p);
  qexpr *e;
  if (t->kind == TK_INT || t->kind == TK_FLOAT) {
    e = node(p, QE_LIT, t->pos);
    if (!e) return oom(p);
    char buf[128];
    int l = t->len < 127 ? t->len : 127;
    memcpy(buf, p->src + t->pos, (size_t)l);
    buf[l] = 0;
    errno = 0;
    if (t->kind == TK_INT) {
      e->lt = QT_INT;
      e->li = strtoll(buf, NULL, 10);
      if (errno == ERANGE) { /* too big for BIGINT: a double */
        e->lt = QT_DBL;
        e->ld = strtod(buf, NULL);
      }
    } else {
      e->lt = QT_DBL;
      e->ld = strtod(buf, NULL);
    }
    p->i++;
  } else if (t->kind == TK_STRING) {
    e = node(p, QE_LIT, t->pos);
    if (!e) return oom(p);
    size_t n;
    char *s = unquote(p, t, &n);
    if (!s) return oom(p);
    e->lt = QT_STR;
    e->ls.p = s;
    e->ls.n = (uint32_t)n;
    p->i++;
  } else if (accept_kw(p, "NULL") || accept_kw(p, "TRUE") || accept_kw(p, "FALSE")) {
    e = node(p, QE_LIT, t->pos);
    if (!e) return oom(p);
    char c = (char)toupper((unsigned char)p->src[t->pos]);
    e->lt = c == 'N' ? QT_NULL : QT_BOOL;
    e->li = c == 'T';
  } else if (accept_sym(p, "(")) {
    PARQ_TRY(expr(p, &e));
    PARQ_TRY(expect_sym(p, ")"));
  } else if (accept_kw(p, "CASE")) {
    e = node(p, QE_CASE, t->pos);
    if (!e) return oom(p);
    qexpr *operand = NULL, *a[256];
    int n = 0;
    if (!is_kw(p, "WHEN")) PARQ_TRY(expr(p, &operand));
    while (accept_kw(p, "WHEN")) {
      if (n >= 254) return pq_qerr(p->err, PARQ_EINVAL, t->pos, "CASE has too many branches");
      int wpos = cur(p)->pos;
      PARQ_TRY(expr(p, &a[n]));
      if (operand) {
        qexpr *eq = node(p, QE_BIN, wpos);
        qexpr *pair[2] = {operand, a[n]};
        if (!eq || set_args(p, eq, pair, 2)) return oom(p);
        eq->op = QO_EQ;
        a[n] = eq;
      }
      PARQ_TRY(expect_kw(p, "THEN"));
      PARQ_TRY(expr(p, &a[n + 1]));
      n += 2;
    }
    if (n == 0) return fail(p, "WHEN");
    if (accept_kw(p, "ELSE")) {
      PARQ_TRY(expr(p, &a[n]));
      n++;
      e->has_else = 1;
    }
    PARQ_TRY(expect_kw(p, "END"));
    if (set_args(p, e, a, n)) return oom(p);
  } else if (accept_kw(p, "CAST")) {
    PARQ_TRY(expect_sym(p, "("));
    e = node(p, QE_CAST, t->pos);
    if (!e) return oom(p);
    qexpr *x;
    PARQ_TRY(expr(p, &x));
    PARQ_TRY(expect_kw(p, "AS"));
    PARQ_TRY(parse_type(p, &e->op));
    PARQ_TRY(expect_sym(p, ")"));
    if (set_args(p, e, &x, 1)) return oom(p);
  } else if (is_kw(p, "EXTRACT") && p->t[p->i + 1].kind == TK_SYM &&
             !strcmp(p->t[p->i + 1].sym, "(")) {
    p->i += 2;
    static const struct { const char *n; qfunc f; } parts[] = {
        {"YEAR", QF_YEAR}, {"MONTH", QF_MONTH}, {"DAY", QF_DAY}, {"HOUR", QF_HOUR},
        {"MINUTE", QF_MINUTE}, {"SECOND", QF_SECOND}};
    int f = -1;
    for (size_t k = 0; k < sizeof parts / sizeof *parts; k++)
      if (accept_kw(p, parts[k].n)) f = (int)parts[k].f;
    if (f < 0) return fail(p, "YEAR, MONTH, DAY, HOUR, MINUTE or SECOND");
    PARQ_TRY(expect_kw(p, "FROM"));
    e = node(p, QE_FUNC, t->pos);
    if (!e) return oom(p);
    e->op = f;
    qexpr *x;
    PARQ_TRY(expr(p, &x));
    PARQ_TRY(expect_sym(p, ")"));
    if (set_args(p, e, &x, 1)) return oom(p);
  } else if ((is_kw(p, "DATE") || is_kw(p, "TIMESTAMP")) && p->t[p->i + 1].kind == TK_STRING) {
    /* DATE '2024-01-02' is CAST('2024-01-02' AS DATE) */
    int ty = is_kw(p, "DATE") ? QT_DATE : QT_TS;
    p->i++;
    qexpr *x;
    PARQ_TRY(primary(p, &x));
    e = node(p, QE_CAST, t->pos);
    if (!e || set_args(p, e, &x, 1)) return oom(p);
    e->op = ty;
  } else if (t->kind == TK_IDENT || t->kind == TK_QIDENT) {
    if (t->kind == TK_IDENT && is_reserved(p)) return fail(p, "an expression");
    p->i++;
    if (t->kind == TK_IDENT && accept_sym(p, "(")) return func_call(p, t, out);
    /* column path a.b.c */
    parq_buf path = PARQ_BUF_INIT;
    char *part = ident_text(p, t);
    if (!part || parq_buf_append(&path, part, strlen(part))) goto path_oom;
    while (is_sym(p, ".") &&
           (p->t[p->i + 1].kind == TK_IDENT || p->t[p->i + 1].kind == TK_QIDENT)) {
      p->i++;
      part = ident_text(p, cur(p));
      p->i++;
      if (!part || parq_buf_append_byte(&path, '.') || parq_buf_append(&path, part, strlen(part)))
        goto path_oom;
    }
    e = node(p, QE_COL, t->pos);
    if (!e) goto path_oom;
    e->name = parq_arena_strndup(&p->q->arena, (const char *)path.data, path.len);
    parq_buf_free(&path);
    if (!e->name) return oom(p);
    goto done;
  path_oom:
    parq_buf_free(&path);
    return oom(p);
  } else {
    return fail(p, "an expression");
  }
done:
  if (p->i > 0) {
    qtoken *last = &p->t[p->i - 1];
    if (last->pos + last->len > e->end) e->end = last->pos + last->len;
  }
  if (e->pos > t->pos) e->pos = t->pos;
  *out = e;
  return PARQ_OK;
}

static parq_status postfix(P *p, qexpr **out) {
  int pos = cur(p)->pos;
  PARQ_TRY(primary(p, out));
  while (accept_sym(p, "::")) {
    qexpr *c = node(p, QE_CAST, pos);
    if (!c) return oom(p);
    PARQ_TRY(parse_type(p, &c->op));
    if (set_args(p, c, out, 1)) return oom(p);
    c->end = p->t[p->i - 1].pos + p->t[p->i - 1].len;
    *out = c;
  }
  return PARQ_OK;
}

static parq_status unary(P *p, qexpr **out) {
  int pos = cur(p)->pos;
  if (accept_sym(p, "-")) {
    qexpr *x;
    PARQ_TRY(unary(p, &x));
    if (x->kind == QE_LIT && (x->lt == QT_INT || x->lt == QT_DBL)) { /* fold -literal */
      if (x->lt == QT_INT) x->li = (int64_t)(0 - (uint64_t)x->li);
      else x->ld = -x->ld;
      x->pos = pos;
      *out = x;
      return PARQ_OK;
    }
    qexpr *e = node(p, QE_NEG, pos);
    if (!e || set_args(p, e, &x, 1)) return oom(p);
    e->end = x->end;
    *out = e;
    return PARQ_OK;
  }
  if (accept_sym(p, "+")) return unary(p, out);
  return postfix(p, out);
}

static parq_status binary(P *p, qexpr **out, qexpr *l, int op, qexpr *r, int pos) {
  qexpr *e = node(p, QE_BIN, pos);
  qexpr *a[2] = {l, r};
  if (!e || set_args(p, e, a, 2)) return oom(p);
  e->op = op;
  e->pos = l->pos;
  e->end = r->end;
  *out = e;
  return PARQ_OK;
}

static parq_status term(P *p, qexpr **out) {
  PARQ_TRY(unary(p, out));
  for (;;) {
    int op, pos = cur(p)->pos;
    if (is_sym(p, "*")) op = QO_MUL;
    else if (is_sym(p, "/")) op = QO_DIV;
    else if (is_sym(p, "%")) op = QO_MOD;
    else return PARQ_OK;
    p->i++;
    qexpr *r;
    PARQ_TRY(unary(p, &r));
    PARQ_TRY(binary(p, out, *out, op, r, pos));
  }
}

static parq_status sum(P *p, qexpr **out) {
  PARQ_TRY(term(p, out));
  for (;;) {
    int op, pos = cur(p)->pos;
    if (is_sym(p, "+")) op = QO_ADD;
    else if (is_sym(p, "-")) op = QO_SUB;
    else return PARQ_OK;
    p->i++;
    qexpr *r;
    PARQ_TRY(term(p, &r));
    PARQ_TRY(binary(p, out, *out, op, r, pos));
  }
}

static parq_status concat(P *p, qexpr **out) {
  PARQ_TRY(sum(p, out));
  while (is_sym(p, "||")) {
    int pos = cur(p)->pos;
    p->i++;
    qexpr *r;
    PARQ_TRY(sum(p, &r));
    PARQ_TRY(binary(p, out, *out, QO_CONCAT, r, pos));
  }
  return PARQ_OK;
}

static parq_status comparison(P *p, qexpr **out) {
  PARQ_TRY(concat(p, out));
  for (;;) {
    qexpr *l = *out;
    int pos = cur(p)->pos;
    static const struct { const char *s; int op; } cmps[] = {
        {"=", QO_EQ}, {"==", QO_EQ}, {"<>", QO_NE}, {"!=", QO_NE}, {"<", QO_LT},
        {"<=", QO_LE}, {">", QO_GT}, {">=", QO_GE}};
    int op = -1;
    for (size_t k = 0; k < sizeof cmps / sizeof *cmps; k++)
      if (is_sym(p, cmps[k].s)) op = cmps[k].op;
    if (op >= 0) {
      p->i++;
      qexpr *r;
      PARQ_TRY(concat(p, &r));
      PARQ_TRY(binary(p, out, l, op, r, pos));
      continue;
    }
    if (accept_kw(p, "IS")) {
      qexpr *e = node(p, QE_ISNULL, l->pos);
      if (!e || set_args(p, e, &l, 1)) return oom(p);
      e->negated = accept_kw(p, "NOT");
      PARQ_TRY(expect_kw(p, "NULL"));
      e->end = p->t[p->i - 1].pos + p->t[p->i - 1].len;
      *out = e;
      continue;
    }
    int neg = 0;
    if (is_kw(p, "NOT") && p->i + 1 < p->n) {
      p->i++;
      if (is_kw(p, "IN") || is_kw(p, "LIKE") || is_kw(p, "ILIKE") || is_kw(p, "BETWEEN")) {
        neg = 1;
      } else {
        p->i--;
        return PARQ_OK;
      }
    }
    if (accept_kw(p, "IN")) {
      PARQ_TRY(expect_sym(p, "("));
      qexpr *a[1024];
      int n = 0;
      a[n++] = l;
      for (;;) {
        if (n == 1024) return pq_qerr(p->err, PARQ_EINVAL, cur(p)->pos, "IN list too long");
        PARQ_TRY(expr(p, &a[n]));
        n++;
        if (!accept_sym(p, ",")) break;
      }
      PARQ_TRY(expect_sym(p, ")"));
      qexpr *e = node(p, QE_IN, l->pos);
      if (!e || set_args(p, e, a, n)) return oom(p);
      e->negated = neg;
      e->end = p->t[p->i - 1].pos + p->t[p->i - 1].len;
      *out = e;
    } else if (is_kw(p, "LIKE") || is_kw(p, "ILIKE")) {
      int ci = is_kw(p, "ILIKE");
      p->i++;
      qexpr *r;
      PARQ_TRY(concat(p, &r));
      qexpr *e = node(p, QE_LIKE, l->pos);
      qexpr *a[2] = {l, r};
      if (!e || set_args(p, e, a, 2)) return oom(p);
      e->negated = neg;
      e->ci = ci;
      e->end = r->end;
      *out = e;
    } else if (accept_kw(p, "BETWEEN")) {
      qexpr *lo, *hi, *ge, *le, *both;
      PARQ_TRY(concat(p, &lo));
      PARQ_TRY(expect_kw(p, "AND"));
      PARQ_TRY(concat(p, &hi));
      PARQ_TRY(binary(p, &ge, l, QO_GE, lo, pos));
      PARQ_TRY(binary(p, &le, l, QO_LE, hi, pos));
      PARQ_TRY(binary(p, &both, ge, QO_AND, le, pos));
      if (neg) {
        qexpr *e = node(p, QE_NOT, l->pos);
        if (!e || set_args(p, e, &both, 1)) return oom(p);
        e->end = hi->end;
        both = e;
      }
      *out = both;
    } else {
      return PARQ_OK;
    }
  }
}

static parq_status negation(P *p, qexpr **out) {
  int pos = cur(p)->pos;
  if (accept_kw(p, "NOT")) {
    qexpr *x;
    PARQ_TRY(negation(p, &x));
    qexpr *e = node(p, QE_NOT, pos);
    if (!e || set_args(p, e, &x, 1)) return oom(p);
    e->end = x->end;
    *out = e;
    return PARQ_OK;
  }
  return comparison(p, out);
}

static parq_status conjunction(P *p, qexpr **out) {
  PARQ_TRY(negation(p, out));
  while (is_kw(p, "AND")) {
    int pos = cur(p)->pos;
    p->i++;
    qexpr *r;
    PARQ_TRY(negation(p, &r));
    PARQ_TRY(binary(p, out, *out, QO_AND, r, pos));
  }
  return PARQ_OK;
}

static parq_status expr(P *p, qexpr **out) {
  PARQ_TRY(conjunction(p, out));
  while (is_kw(p, "OR")) {
    int pos = cur(p)->pos;
    p->i++;
    qexpr *r;
    PARQ_TRY(conjunction(p, &r));
    PARQ_TRY(binary(p, out, *out, QO_OR, r, pos));
  }
  return PARQ_OK;
}

static parq_status int_clause(P *p, int64_t *v) {
  qtoken *t = cur(p);
  if (t->kind != TK_INT) return fail(p, "a non-negative integer");
  char buf[32];
  int l = t->len < 31 ? t->len : 31;
  memcpy(buf, p->src + t->pos, (size_t)l);
  buf[l] = 0;
  errno = 0;
  long long x = strtoll(buf, NULL, 10);
  if (errno == ERANGE) return pq_qerr(p->err, PARQ_EINVAL, t->pos, "number out of range");
  *v = x;
  p->i++;
  return PARQ_OK;
}

/* A growable array of pointers in the arena (copied when it grows). */
static int grow(P *p, void **v, int n, int *cap, size_t sz) {
  if (n < *cap) return 0;
  int nc = *cap ? *cap * 2 : 8;
  void *nv = parq_arena_calloc(&p->q->arena, (size_t)nc, sz);
  if (!nv) return -1;
  if (n) memcpy(nv, *v, (size_t)n * sz);
  *v = nv;
  *cap = nc;
  return 0;
}

static parq_status expr_list(P *p, qexpr ***v, int *n) {
  int cap = 0;
  for (;;) {
    if (grow(p, (void **)v, *n, &cap, sizeof **v)) return oom(p);
    PARQ_TRY(expr(p, &(*v)[*n]));
    (*n)++;
    if (!accept_sym(p, ",")) return PARQ_OK;
  }
}

static parq_status select_stmt(P *p) {
  pq_query *q = p->q;
  PARQ_TRY(expect_kw(p, "SELECT"));
  if (accept_kw(p, "DISTINCT")) q->distinct = 1;
  int cap = 0;
  for (;;) {
    if (is_sym(p, "*")) {
      if (q->nitems || q->star) return fail(p, "an expression ('*' must be the only item)");
      p->i++;
      q->star = 1;
    } else {
      if (q->star) return fail(p, "FROM");
      if (grow(p, (void **)&q->items, q->nitems, &cap, sizeof *q->items)) return oom(p);
      int cap2 = cap;
      (void)cap2;
      qexpr *e;
      PARQ_TRY(expr(p, &e));
      char *name = NULL;
      if (accept_kw(p, "AS")) {
        if (cur(p)->kind != TK_IDENT && cur(p)->kind != TK_QIDENT) return fail(p, "an alias");
        name = ident_text(p, cur(p));
        p->i++;
      } else if ((cur(p)->kind == TK_IDENT && !is_reserved(p)) || cur(p)->kind == TK_QIDENT) {
        name = ident_text(p, cur(p));
        p->i++;
      } else if (e->kind == QE_COL) {
        const char *dot = strrchr(e->name, '.');
        name = parq_arena_strndup(&q->arena, dot ? dot + 1 : e->name,
                                  strlen(dot ? dot + 1 : e->name));
      } else {
        name = parq_arena_strndup(&q->arena, p->src + e->pos, (size_t)(e->end - e->pos));
      }
      if (!name) return oom(p);
      /* names grows in step with items */
      char **nn = parq_arena_calloc(&q->arena, (size_t)cap, sizeof *nn);
      if (!nn) return oom(p);
      if (q->nitems) memcpy(nn, q->names, (size_t)q->nitems * sizeof *nn);
      q->names = nn;
      q->items[q->nitems] = e;
      q->names[q->nitems] = name;
      q->nitems++;
    }
    if (!accept_sym(p, ",")) break;
  }
  PARQ_TRY(expect_kw(p, "FROM"));
  if (cur(p)->kind != TK_STRING)
    return fail(p, "a quoted path ('file.parquet', 'dir/*.parquet' or 'dir')");
  q->from_pos = cur(p)->pos;
  q->from = unquote(p, cur(p), NULL);
  if (!q->from) return oom(p);
  p->i++;
  if (accept_kw(p, "AS")) {
    if (cur(p)->kind != TK_IDENT && cur(p)->kind != TK_QIDENT) return fail(p, "an alias");
    q->alias = ident_text(p, cur(p));
    p->i++;
  } else if ((cur(p)->kind == TK_IDENT && !is_reserved(p)) || cur(p)->kind == TK_QIDENT) {
    q->alias = ident_text(p, cur(p));
    p->i++;
  }
  if (is_kw(p, "JOIN") || is_sym(p, ","))
    return pq_qerr(p->err, PARQ_EUNSUPPORTED, cur(p)->pos, "joins are not supported yet");
  if (accept_kw(p, "WHERE")) PARQ_TRY(expr(p, &q->where));
  if (accept_kw(p, "GROUP")) {
    PARQ_TRY(expect_kw(p, "BY"));
    PARQ_TRY(expr_list(p, &q->group, &q->ngroup));
  }
  if (accept_kw(p, "HAVING")) PARQ_TRY(expr(p, &q->having));
  if (accept_kw(p, "ORDER")) {
    PARQ_TRY(expect_kw(p, "BY"));
    int ocap = 0;
    for (;;) {
      if (grow(p, (void **)&q->order, q->norder, &ocap, sizeof *q->order)) return oom(p);
      qorder *o = &q->order[q->norder];
      PARQ_TRY(expr(p, &o->e));
      o->nulls_first = -1;
      if (accept_kw(p, "DESC")) o->desc = 1;
      else accept_kw(p, "ASC");
      if (accept_kw(p, "NULLS")) {
        if (accept_kw(p, "FIRST")) o->nulls_first = 1;
        else if (accept_kw(p, "LAST")) o->nulls_first = 0;
        else return fail(p, "FIRST or LAST");
      }
      q->norder++;
      if (!accept_sym(p, ",")) break;
    }
  }
  for (int k = 0; k < 2; k++) {
    if (accept_kw(p, "LIMIT")) PARQ_TRY(int_clause(p, &q->limit));
    if (accept_kw(p, "OFFSET")) PARQ_TRY(int_clause(p, &q->offset));
  }
  accept_sym(p, ";");
  if (cur(p)->kind != TK_EOF) return fail(p, "end of query");
  return PARQ_OK;
}

parq_status pq_query_parse(const char *text, pq_query *q, pq_query_error *err) {
  memset(q, 0, sizeof *q);
  q->text = text;
  q->limit = -1;
  if (err) {
    memset(err, 0, sizeof *err);
    err->pos = -1;
  }
  P p = {q, text, NULL, 0, 0, err};
  PARQ_TRY(pq_lex(text, &p.t, &p.n, err));
  parq_status st = select_stmt(&p);
  free(p.t);
  return st;
}

void pq_query_free(pq_query *q) {
  if (!q) return;
  parq_arena_free(&q->arena);
  memset(q, 0, sizeof *q);
}
