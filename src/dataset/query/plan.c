/* plan.c — the planner: binds column references against the input schema
 * (frame slots = the distinct column paths the query reads, which is also
 * the reader's projection), infers types, finds aggregates, rewrites the
 * post-aggregation expressions onto the aggregate frame (group keys, then
 * aggregate values), resolves ORDER BY (output alias, position, an item's
 * expression, or a hidden extra column), extracts pushdown predicates from
 * WHERE, and builds the logical plan tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataset/query/plan.h"
#include "util/arrow.h"
#include "util/error.h"

static parq_status nomem(pq_query_error *err) {
  return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory planning the query");
}

/* Find a column by dotted path in a "+s" schema; *leaf receives the node. */
const struct ArrowSchema *pq_qschema_find(const struct ArrowSchema *s, const char *path) {
  for (int64_t k = 0; k < s->n_children; k++) /* a top-level name containing dots */
    if (s->children[k]->name && !strcmp(s->children[k]->name, path)) return s->children[k];
  const struct ArrowSchema *node = s;
  const char *p = path;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    const struct ArrowSchema *next = NULL;
    if (node->format && node->format[0] == '+' && node->format[1] == 's')
      for (int64_t k = 0; k < node->n_children; k++) {
        const char *nm = node->children[k]->name;
        if (nm && strlen(nm) == len && !memcmp(nm, p, len)) next = node->children[k];
      }
    if (!next) return NULL;
    node = next;
    p = dot ? dot + 1 : p + len;
  }
  return node == s ? NULL : node;
}

int pq_arrow_to_qtype(const struct ArrowSchema *s, qtype *t) {
  pq_arrow_type at;
  if (s->dictionary || pq_arrow_parse_format(s->format, &at, NULL) != PARQ_OK) return 0;
  switch (at.kind) {
    case PQA_BOOL: *t = QT_BOOL; return 1;
    case PQA_INT8: case PQA_UINT8: case PQA_INT16: case PQA_UINT16: case PQA_INT32:
    case PQA_UINT32: case PQA_INT64: case PQA_UINT64: *t = QT_INT; return 1;
    case PQA_FLOAT32: case PQA_FLOAT64: *t = QT_DBL; return 1;
    case PQA_DECIMAL: *t = at.width <= 128 ? QT_DBL : QT_NULL; return at.width <= 128;
    case PQA_UTF8: case PQA_LARGE_UTF8: case PQA_BINARY: case PQA_LARGE_BINARY:
    case PQA_UTF8_VIEW: case PQA_BINARY_VIEW:
      *t = QT_STR; return 1;
    case PQA_DATE32: case PQA_DATE64: *t = QT_DATE; return 1;
    case PQA_TIMESTAMP: *t = QT_TS; return 1;
    case PQA_NULL: *t = QT_NULL; return 1;
    default: return 0;
  }
}

typedef struct B {
  pq_query *q;
  const struct ArrowSchema *schema;
  pq_query_error *err;
} B;

static int is_agg(const qexpr *e) { return e->kind == QE_FUNC && e->op < QF_AGG_END; }

static int has_agg(const qexpr *e) {
  if (!e) return 0;
  if (is_agg(e)) return 1;
  for (int k = 0; k < e->nargs; k++)
    if (has_agg(e->args[k])) return 1;
  return 0;
}

static parq_status add_scan_col(B *b, const char *path, qtype t, int *slot) {
  pq_query *q = b->q;
  for (int k = 0; k < q->nscan; k++)
    if (!strcmp(q->scan_cols[k], path)) {
      *slot = k;
      return PARQ_OK;
    }
  char **nc = parq_arena_calloc(&q->arena, (size_t)q->nscan + 1, sizeof *nc);
  qtype *nt = parq_arena_calloc(&q->arena, (size_t)q->nscan + 1, sizeof *nt);
  if (!nc || !nt) return nomem(b->err);
  if (q->nscan) {
    memcpy(nc, q->scan_cols, (size_t)q->nscan * sizeof *nc);
    memcpy(nt, q->scan_types, (size_t)q->nscan * sizeof *nt);
  }
  nc[q->nscan] = parq_arena_strndup(&q->arena, path, strlen(path));
  if (!nc[q->nscan]) return nomem(b->err);
  nt[q->nscan] = t;
  q->scan_cols = nc;
  q->scan_types = nt;
  *slot = q->nscan++;
  return PARQ_OK;
}

static parq_status resolve_col(B *b, qexpr *e) {
  const char *path = e->name;
  const struct ArrowSchema *c = pq_qschema_find(b->schema, path);
  if (!c && b->q->alias) { /* t.col with t the FROM alias */
    size_t al = strlen(b->q->alias);
    if (!strncmp(path, b->q->alias, al) && path[al] == '.') {
      path += al + 1;
      c = pq_qschema_find(b->schema, path);
    }
  }
  if (!c) {
    char avail[200];
    size_t o = 0;
    avail[0] = 0;
    for (int64_t k = 0; k < b->schema->n_children && o < sizeof avail - 40; k++)
      o += (size_t)snprintf(avail + o, sizeof avail - o, "%s%s", k ? ", " : "",
                            b->schema->children[k]->name ? b->schema->children[k]->name : "?");
    return pq_qerr(b->err, PARQ_EINVAL, e->pos, "column '%s' not found (columns: %s)", e->name,
                   avail);
  }
  qtype t;
  if (!pq_arrow_to_qtype(c, &t)) {
    if (c->format && c->format[0] == '+' && c->format[1] == 's')
      return pq_qerr(b->err, PARQ_EUNSUPPORTED, e->pos,
                     "column '%s' is a struct: select its fields by path (e.g. %s.%s)", e->name,
                     e->name, c->n_children ? c->children[0]->name : "x");
    return pq_qerr(b->err, PARQ_EUNSUPPORTED, e->pos, "column '%s' has unsupported type '%s'",
                   e->name, c->format ? c->format : "?");
  }
  e->kind = QE_COL;
  e->type = t;
  return add_scan_col(b, path, t, &e->slot);
}

static int numeric(qtype t) { return t == QT_INT || t == QT_DBL || t == QT_NULL || t == QT_BOOL; }

/* Common type of two branches (CASE / COALESCE). */
static int unify(qtype a, qtype b, qtype *out) {
  if (a == b || b == QT_NULL) *out = a;
  else if (a == QT_NULL) *out = b;
  else if ((a == QT_INT && b == QT_DBL) || (a == QT_DBL && b == QT_INT)) *out = QT_DBL;
  else if ((a == QT_DATE && b == QT_TS) || (a == QT_TS && b == QT_DATE)) *out = QT_TS;
  else if (a == QT_STR || b == QT_STR) *out = QT_STR;
  else return 0;
  return 1;
}

/* Bind (scan stage when agg_ok == 0: no aggregates allowed) and type e. */
static parq_status bind(B *b, qexpr *e, int allow_agg) {
  if (e->kind == QE_COL) return resolve_col(b, e);
  if (e->kind == QE_SLOT) return PARQ_OK; /* typed when created */
  if (is_agg(e)) {
    if (!allow_agg)
      return pq_qerr(b->err, PARQ_EINVAL, e->pos, "aggregate function not allowed here");
    for (int k = 0; k < e->nargs; k++)
      if (has_agg(e->args[k]))
        return pq_qerr(b->err, PARQ_EINVAL, e->args[k]->pos, "aggregates cannot be nested");
  }
  for (int k = 0; k < e->nargs; k++) PARQ_TRY(bind(b, e->args[k], is_agg(e) ? 0 : allow_agg));
  qtype a0 = e->nargs ? e->args[0]->type : QT_NULL;
  qtype a1 = e->nargs > 1 ? e->args[1]->type : QT_NULL;
  switch (e->kind) {
    case QE_LIT: e->type = e->lt; break;
    case QE_NEG:
      if (!numeric(a0) || a0 == QT_BOOL)
        return pq_qerr(b->err, PARQ_EINVAL, e->pos, "cannot negate %s", pq_qtype_name(a0));
      e->type = a0;
      break;
    case QE_NOT: case QE_ISNULL: case QE_IN: case QE_LIKE: e->type = QT_BOOL; break;
    case QE_CAST: e->type = (qtype)e->op; break;
    case QE_BIN:
      if (e->op >= QO_EQ) {
        e->type = QT_BOOL;
        if (e->op <= QO_GE) {
          int ok = a0 == a1 || a0 == QT_NULL || a1 == QT_NULL || a0 == QT_STR || a1 == QT_STR ||
                   (numeric(a0) && numeric(a1)) ||
                   ((a0 == QT_DATE || a0 == QT_TS) && (a1 == QT_DATE || a1 == QT_TS));
          if (!ok)
            return pq_qerr(b->err, PARQ_EINVAL, e->pos, "cannot compare %s with %s",
                           pq_qtype_name(a0), pq_qtype_name(a1));
        }
      } else if (e->op == QO_CONCAT) {
        e->type = QT_STR;
      } else {
        if (!numeric(a0) || !numeric(a1) || a0 == QT_BOOL || a1 == QT_BOOL)
          return pq_qerr(b->err, PARQ_EINVAL, e->pos, "arithmetic on %s and %s",
                         pq_qtype_name(a0), pq_qtype_name(a1));
        if (a0 == QT_NULL && a1 == QT_NULL) e->type = QT_NULL;
        else if (e->op == QO_DIV || a0 == QT_DBL || a1 == QT_DBL) e->type = QT_DBL;
        else e->type = QT_INT;
      }
      break;
    case QE_CASE: {
      int npairs = (e->nargs - e->has_else) / 2;
      qtype t = QT_NULL;
      for (int k = 0; k < npairs + e->has_else; k++) {
        qexpr *v = k < npairs ? e->args[2 * k + 1] : e->args[e->nargs - 1];
        if (!unify(t, v->type, &t))
          return pq_qerr(b->err, PARQ_EINVAL, v->pos, "CASE branches mix %s and %s",
                         pq_qtype_name(t), pq_qtype_name(v->type));
      }
      e->type = t;
      break;
    }
    case QE_FUNC:
      /* min/max(DISTINCT x) = min/max(x); sum/avg over distinct values have no engine
       * (the DISTINCT set only counts) and must not quietly return a wrong number */
      if (e->distinct && (e->op == QF_MIN || e->op == QF_MAX)) e->distinct = 0;
      if (e->distinct && (e->op == QF_SUM || e->op == QF_AVG))
        return pq_qerr(b->err, PARQ_EUNSUPPORTED, e->pos, "%s(DISTINCT ...) is not supported",
                       e->op == QF_SUM ? "sum" : "avg");
      switch (e->op) {
        case QF_COUNT: e->type = QT_INT; break;
        case QF_SUM:
          if (a0 == QT_STR || a0 == QT_DATE || a0 == QT_TS)
            return pq_qerr(b->err, PARQ_EINVAL, e->pos, "sum() of %s", pq_qtype_name(a0));
          e->type = a0 == QT_DBL ? QT_DBL : QT_INT;
          break;
        case QF_AVG:
          if (a0 == QT_STR || a0 == QT_DATE || a0 == QT_TS)
            return pq_qerr(b->err, PARQ_EINVAL, e->pos, "avg() of %s", pq_qtype_name(a0));
          e->type = QT_DBL;
          break;
        case QF_MIN: case QF_MAX: e->type = a0; break;
        case QF_LENGTH: case QF_HASH: e->type = QT_INT; break;
        case QF_YEAR: case QF_MONTH: case QF_DAY: case QF_HOUR: case QF_MINUTE: case QF_SECOND:
          e->type = QT_INT;
          break;
        case QF_LOWER: case QF_UPPER: case QF_SUBSTR: e->type = QT_STR; break;
        case QF_ABS: case QF_ROUND:
          if (!numeric(a0) || a0 == QT_BOOL)
            return pq_qerr(b->err, PARQ_EINVAL, e->pos, "%s() of %s",
                           e->op == QF_ABS ? "abs" : "round", pq_qtype_name(a0));
          e->type = a0;
          break;
        case QF_COALESCE: {
          qtype t = QT_NULL;
          for (int k = 0; k < e->nargs; k++)
            if (!unify(t, e->args[k]->type, &t))
              return pq_qerr(b->err, PARQ_EINVAL, e->args[k]->pos, "coalesce() mixes %s and %s",
                             pq_qtype_name(t), pq_qtype_name(e->args[k]->type));
          e->type = t;
          break;
        }
        default: break;
      }
      break;
    default: break;
  }
  return PARQ_OK;
}

/* Structural equality (used to match GROUP BY keys and dedupe aggregates). */
int pq_expr_equal(const qexpr *a, const qexpr *b) {
  if (a->kind != b->kind || a->op != b->op || a->nargs != b->nargs || a->negated != b->negated ||
      a->distinct != b->distinct || a->star != b->star || a->ci != b->ci ||
      a->has_else != b->has_else)
    return 0;
  if (a->kind == QE_COL || a->kind == QE_SLOT) return a->slot == b->slot && a->slot >= 0;
  if (a->kind == QE_LIT) {
    if (a->lt != b->lt) return 0;
    if (a->lt == QT_STR) return a->ls.n == b->ls.n && !memcmp(a->ls.p, b->ls.p, a->ls.n);
    if (a->lt == QT_DBL) return a->ld == b->ld;
    return a->li == b->li;
  }
  for (int k = 0; k < a->nargs; k++)
    if (!pq_expr_equal(a->args[k], b->args[k])) return 0;
  return 1;
}

/* Rewrite a bound expression onto the aggregate frame. */
static parq_status rewrite(B *b, qexpr *e, qexpr **out) {
  pq_query *q = b->q;
  for (int k = 0; k < q->ngroup; k++)
    if (pq_expr_equal(e, q->group[k])) {
      qexpr *s = parq_arena_alloc(&q->arena, sizeof *s);
      if (!s) return nomem(b->err);
      *s = *e;
      s->kind = QE_SLOT;
      s->slot = k;
      s->nargs = 0;
      s->type = q->group[k]->type;
      *out = s;
      return PARQ_OK;
    }
  if (is_agg(e)) {
    int j = -1;
    for (int k = 0; k < q->naggs; k++)
      if (pq_expr_equal(e, q->aggs[k])) j = k;
    if (j < 0) {
      qexpr **na = parq_arena_calloc(&q->arena, (size_t)q->naggs + 1, sizeof *na);
      if (!na) return nomem(b->err);
      if (q->naggs) memcpy(na, q->aggs, (size_t)q->naggs * sizeof *na);
      na[q->naggs] = e;
      q->aggs = na;
      j = q->naggs++;
    }
    qexpr *s = parq_arena_alloc(&q->arena, sizeof *s);
    if (!s) return nomem(b->err);
    *s = *e;
    s->kind = QE_SLOT;
    s->slot = q->ngroup + j;
    s->nargs = 0;
    *out = s;
    return PARQ_OK;
  }
  if (e->kind == QE_COL)
    return pq_qerr(b->err, PARQ_EINVAL, e->pos,
                   "column '%s' must appear in GROUP BY or be used in an aggregate function",
                   e->name);
  qexpr *c = parq_arena_alloc(&q->arena, sizeof *c);
  if (!c) return nomem(b->err);
  *c = *e;
  if (e->nargs) {
    c->args = parq_arena_calloc(&q->arena, (size_t)e->nargs, sizeof *c->args);
    if (!c->args) return nomem(b->err);
    for (int k = 0; k < e->nargs; k++) PARQ_TRY(rewrite(b, e->args[k], &c->args[k]));
  }
  *out = c;
  return PARQ_OK;
}

/* Bind an output-stage expression: scan frame, or aggregate frame. */
static parq_status bind_output(B *b, qexpr *e, qexpr **out) {
  PARQ_TRY(bind(b, e, b->q->aggregate));
  if (!b->q->aggregate) {
    *out = e;
    return PARQ_OK;
  }
  PARQ_TRY(rewrite(b, e, out));
  return bind(b, *out, 0); /* retype the copy (slots are typed) */
}

/* ---- pushdown ---- */
static void add_pred(pq_query *q, parq_predicate *p) {
  if (q->npreds < 64) q->preds[q->npreds++] = *p;
}

static void pushdown(pq_query *q, const qexpr *e) {
  if (!e) return;
  if (e->kind == QE_BIN && e->op == QO_AND) {
    pushdown(q, e->args[0]);
    pushdown(q, e->args[1]);
    return;
  }
  parq_predicate p;
  memset(&p, 0, sizeof p);
  if (e->kind == QE_ISNULL && e->args[0]->kind == QE_COL) {
    p.column = q->scan_cols[e->args[0]->slot];
    p.op = e->negated ? PARQ_CMP_IS_NOT_NULL : PARQ_CMP_IS_NULL;
    add_pred(q, &p);
    return;
  }
  if (e->kind != QE_BIN || e->op < QO_EQ || e->op > QO_GE) return;
  const qexpr *c = e->args[0], *l = e->args[1];
  int op = e->op, flip = 0;
  if (c->kind == QE_LIT && l->kind == QE_COL) {
    const qexpr *t = c;
    c = l;
    l = t;
    flip = 1;
  }
  if (c->kind != QE_COL || l->kind != QE_LIT) return;
  static const parq_cmp map[] = {PARQ_CMP_EQ, PARQ_CMP_NE, PARQ_CMP_LT,
                                 PARQ_CMP_LE, PARQ_CMP_GT, PARQ_CMP_GE};
  static const int flipped[] = {QO_EQ, QO_NE, QO_GT, QO_GE, QO_LT, QO_LE};
  if (flip) op = flipped[op - QO_EQ];
  p.op = map[op - QO_EQ];
  p.column = q->scan_cols[c->slot];
  if (c->type == QT_INT && l->lt == QT_INT) {
    p.kind = PARQ_VALUE_INT;
    p.i = l->li;
  } else if (c->type == QT_DBL && (l->lt == QT_INT || l->lt == QT_DBL)) {
    p.kind = PARQ_VALUE_DOUBLE;
    p.d = l->lt == QT_INT ? (double)l->li : l->ld;
    if (p.d != p.d) return; /* NaN literal: no pruning */
  } else if (c->type == QT_STR && l->lt == QT_STR) {
    p.kind = PARQ_VALUE_STRING;
    p.s = l->ls.p;
    p.s_len = l->ls.n;
  } else {
    return;
  }
  add_pred(q, &p);
}

static qplan *mk(pq_query *q, qp_kind k, qplan *child) {
  qplan *p = parq_arena_alloc(&q->arena, sizeof *p);
  if (p) {
    p->kind = k;
    p->child[0] = child;
  }
  return p;
}

parq_status pq_query_plan(pq_query *q, const struct ArrowSchema *schema, pq_query_error *err) {
  B b = {q, schema, err};
  /* SELECT *: every top-level column (struct fields by path). */
  if (q->star) {
    int cap = 0;
    for (int64_t k = 0; k < schema->n_children; k++) {
      const struct ArrowSchema *c = schema->children[k];
      char *paths[256];
      int nl = 0;
      if (c->format[0] == '+' && c->format[1] == 's') {
        for (int64_t j = 0; j < c->n_children && nl < 256; j++) {
          size_t l = strlen(c->name) + strlen(c->children[j]->name) + 2;
          paths[nl] = parq_arena_alloc(&q->arena, l);
          if (!paths[nl]) return nomem(err);
          snprintf(paths[nl], l, "%s.%s", c->name, c->children[j]->name);
          nl++;
        }
      } else {
        paths[nl] = parq_arena_strndup(&q->arena, c->name, strlen(c->name));
        if (!paths[nl]) return nomem(err);
        nl++;
      }
      for (int j = 0; j < nl; j++) {
        if (q->nitems == cap) {
          int nc = cap ? cap * 2 : 16;
          qexpr **ni = parq_arena_calloc(&q->arena, (size_t)nc, sizeof *ni);
          char **nn = parq_arena_calloc(&q->arena, (size_t)nc, sizeof *nn);
          if (!ni || !nn) return nomem(err);
          if (q->nitems) {
            memcpy(ni, q->items, (size_t)q->nitems * sizeof *ni);
            memcpy(nn, q->names, (size_t)q->nitems * sizeof *nn);
          }
          q->items = ni, q->names = nn, cap = nc;
        }
        qexpr *e = parq_arena_alloc(&q->arena, sizeof *e);
        if (!e) return nomem(err);
        e->kind = QE_COL;
        e->name = paths[j];
        e->pos = q->from_pos;
        e->slot = -1;
        q->items[q->nitems] = e;
        q->names[q->nitems++] = paths[j];
      }
    }
    if (q->nitems == 0) return pq_qerr(err, PARQ_EINVAL, q->from_pos, "input has no columns");
  }
  /* Aggregate query? */
  for (int k = 0; k < q->nitems; k++) q->aggregate |= has_agg(q->items[k]);
  for (int k = 0; k < q->norder; k++) q->aggregate |= has_agg(q->order[k].e);
  if (q->having) q->aggregate = 1;
  if (q->ngroup) q->aggregate = 1;
  if (q->distinct) {
    if (q->aggregate)
      return pq_qerr(err, PARQ_EUNSUPPORTED, 0,
                     "SELECT DISTINCT with aggregates or GROUP BY is not supported");
    q->group = q->items; /* DISTINCT = GROUP BY every item */
    q->ngroup = q->nitems;
    q->aggregate = 1;
  }
  if (q->where) {
    PARQ_TRY(bind(&b, q->where, 0));
    if (q->where->type != QT_BOOL && q->where->type != QT_NULL)
      return pq_qerr(err, PARQ_EINVAL, q->where->pos, "WHERE needs a BOOLEAN, got %s",
                     pq_qtype_name(q->where->type));
  }
  for (int k = 0; k < q->ngroup; k++) {
    qexpr *g = q->group[k];
    /* GROUP BY 1 / GROUP BY alias refer to select items */
    if (g->kind == QE_LIT && g->lt == QT_INT && !q->distinct) {
      if (g->li < 1 || g->li > q->nitems)
        return pq_qerr(err, PARQ_EINVAL, g->pos, "GROUP BY position %lld is not in the select list",
                       (long long)g->li);
      q->group[k] = g = q->items[g->li - 1];
    } else if (g->kind == QE_COL && !strchr(g->name, '.') && !pq_qschema_find(schema, g->name)) {
      const char *alias = g->name; /* g changes on a match: compare with the alias */
      for (int j = 0; j < q->nitems; j++)
        if (!strcmp(q->names[j], alias)) {
          q->group[k] = g = q->items[j];
          break;
        }
    }
    if (has_agg(g)) return pq_qerr(err, PARQ_EINVAL, g->pos, "aggregates are not allowed in GROUP BY");
    PARQ_TRY(bind(&b, g, 0));
  }
  /* Projection: items, then hidden ORDER BY columns. */
  int cap = q->nitems + q->norder;
  q->proj = parq_arena_calloc(&q->arena, (size_t)(cap ? cap : 1), sizeof *q->proj);
  if (!q->proj) return nomem(err);
  for (int k = 0; k < q->nitems; k++) PARQ_TRY(bind_output(&b, q->items[k], &q->proj[k]));
  q->nproj = q->nitems;
  if (q->having) {
    qexpr *h;
    PARQ_TRY(bind_output(&b, q->having, &h));
    q->having = h;
  }
  for (int k = 0; k < q->norder; k++) {
    qorder *o = &q->order[k];
    qexpr *e = o->e;
    o->col = -1;
    if (e->kind == QE_LIT && e->lt == QT_INT) {
      if (e->li < 1 || e->li > q->nitems)
        return pq_qerr(err, PARQ_EINVAL, e->pos, "ORDER BY position %lld is not in the select list",
                       (long long)e->li);
      o->col = (int)e->li - 1;
      continue;
    }
    if (e->kind == QE_COL && !strchr(e->name, '.'))
      for (int j = 0; j < q->nitems && o->col < 0; j++)
        if (!strcmp(q->names[j], e->name)) o->col = j;
    if (o->col >= 0) continue;
    qexpr *be;
    PARQ_TRY(bind_output(&b, e, &be));
    for (int j = 0; j < q->nitems && o->col < 0; j++)
      if (pq_expr_equal(be, q->proj[j])) o->col = j;
    if (o->col < 0) {
      q->proj[q->nproj] = be;
      o->col = q->nproj++;
    }
  }
  for (int k = 0; k < q->naggs; k++) {
    qexpr *a = q->aggs[k];
    if ((a->op == QF_SUM || a->op == QF_AVG) && a->nargs && a->args[0]->type == QT_BOOL)
      return pq_qerr(err, PARQ_EINVAL, a->pos, "%s() of BOOLEAN", a->op == QF_SUM ? "sum" : "avg");
  }
  if (q->having && q->having->type != QT_BOOL && q->having->type != QT_NULL)
    return pq_qerr(err, PARQ_EINVAL, q->having->pos, "HAVING needs a BOOLEAN");
  /* Pushdown predicates from WHERE's conjuncts. */
  q->preds = parq_arena_calloc(&q->arena, 64, sizeof *q->preds);
  if (!q->preds) return nomem(err);
  pushdown(q, q->where);
  /* Logical plan. */
  qplan *p = mk(q, QP_SCAN, NULL);
  if (p && q->where) p = mk(q, QP_FILTER, p);
  if (p && q->aggregate) p = mk(q, QP_AGGREGATE, p);
  if (p && q->having) p = mk(q, QP_FILTER, p);
  if (p) p = mk(q, QP_PROJECT, p);
  if (p && q->norder) p = mk(q, QP_SORT, p);
  if (p && (q->limit >= 0 || q->offset > 0)) p = mk(q, QP_LIMIT, p);
  if (!p) return nomem(err);
  q->plan = p;
  return PARQ_OK;
}

static void expr_text(const pq_query *q, const qexpr *e, parq_buf *out) {
  if (e->end > e->pos && e->kind != QE_SLOT)
    parq_buf_printf(out, "%.*s", e->end - e->pos, q->text + e->pos);
  else if (e->kind == QE_COL)
    parq_buf_printf(out, "%s", e->name);
  else
    parq_buf_printf(out, "#%d", e->slot);
}

parq_status pq_query_explain(const pq_query *q, parq_buf *out) {
  const qplan *chain[16];
  int n = 0;
  for (const qplan *p = q->plan; p && n < 16; p = p->child[0]) chain[n++] = p;
  int having_seen = 0;
  for (int k = 0; k < n; k++) {
    const qplan *p = chain[k];
    parq_buf_printf(out, "%*s", 2 * k, "");
    switch (p->kind) {
      case QP_LIMIT:
        parq_buf_printf(out, "Limit limit=%lld offset=%lld\n", (long long)q->limit,
                        (long long)q->offset);
        break;
      case QP_SORT:
        parq_buf_printf(out, "Sort");
        for (int j = 0; j < q->norder; j++)
          parq_buf_printf(out, "%s #%d %s", j ? "," : "", q->order[j].col,
                          q->order[j].desc ? "DESC" : "ASC");
        parq_buf_printf(out, "\n");
        break;
      case QP_PROJECT:
        parq_buf_printf(out, "Project");
        for (int j = 0; j < q->nproj; j++)
          parq_buf_printf(out, "%s %s", j ? "," : "", j < q->nitems ? q->names[j] : "(hidden)");
        parq_buf_printf(out, "\n");
        break;
      case QP_FILTER:
        parq_buf_printf(out, "Filter ");
        /* the upper filter (if an aggregate sits below) is HAVING */
        if (p->child[0]->kind == QP_AGGREGATE && !having_seen) {
          having_seen = 1;
          parq_buf_printf(out, "(HAVING)\n");
        } else {
          expr_text(q, q->where, out);
          parq_buf_printf(out, "\n");
        }
        break;
      case QP_AGGREGATE:
        parq_buf_printf(out, "Aggregate keys=%d aggregates=%d:", q->ngroup, q->naggs);
        for (int j = 0; j < q->naggs; j++) {
          parq_buf_printf(out, " ");
          expr_text(q, q->aggs[j], out);
        }
        parq_buf_printf(out, "\n");
        break;
      case QP_SCAN:
        parq_buf_printf(out, "Scan '%s' columns=[", q->from);
        for (int j = 0; j < q->nscan; j++) parq_buf_printf(out, "%s%s", j ? ", " : "", q->scan_cols[j]);
        parq_buf_printf(out, "] pushdown=%d\n", q->npreds);
        break;
    }
  }
  return PARQ_OK;
}
