/* prune.c — row-group pruning from column-chunk statistics: a row group is
 * skipped only when its min/max (or null counts) prove that no row satisfies
 * one of the AND-ed predicates. Unknown or inexact statistics never prune. */
#include <math.h>
#include <string.h>

#include "file/file_reader_internal.h"

typedef struct val { int kind; int64_t i; uint64_t u; double d; const uint8_t *s; size_t n; } val;

/* Decode a statistics value of the leaf's physical type. 0 if unusable. */
static int stat_val(const pq_leaf *leaf, pq_bytes b, val *v) {
  memset(v, 0, sizeof *v);
  switch (leaf->type) {
    case PQ_INT32: {
      if (b.len != 4) return 0;
      int32_t x;
      memcpy(&x, b.ptr, 4);
      v->kind = 1, v->i = x, v->d = x;
      return 1;
    }
    case PQ_INT64: {
      if (b.len != 8) return 0;
      memcpy(&v->i, b.ptr, 8);
      v->kind = 1, v->d = (double)v->i;
      return 1;
    }
    case PQ_FLOAT: {
      if (b.len != 4) return 0;
      float f;
      memcpy(&f, b.ptr, 4);
      if (isnan(f)) return 0;
      v->kind = 2, v->d = f;
      return 1;
    }
    case PQ_DOUBLE: {
      if (b.len != 8) return 0;
      memcpy(&v->d, b.ptr, 8);
      if (isnan(v->d)) return 0;
      v->kind = 2;
      return 1;
    }
    case PQ_BYTE_ARRAY:
      v->kind = 3, v->s = b.ptr, v->n = b.len;
      return 1;
  }
  return 0;
}

/* Compare stat value a with predicate constant; returns <0, 0, >0, or 2 if incomparable. */
static int cmp(const val *a, const parq_predicate *p, bool is_unsigned) {
  if (a->kind == 3) {
    if (p->kind != PARQ_VALUE_STRING) return 2;
    size_t n = a->n < p->s_len ? a->n : p->s_len;
    int c = memcmp(a->s, p->s, n);
    if (c) return c < 0 ? -1 : 1;
    return a->n < p->s_len ? -1 : a->n > p->s_len ? 1 : 0;
  }
  if (p->kind == PARQ_VALUE_INT && a->kind == 1 && !is_unsigned)
    return a->i < p->i ? -1 : a->i > p->i ? 1 : 0;
  double x = a->d, y;
  if (p->kind == PARQ_VALUE_INT) y = (double)p->i;
  else if (p->kind == PARQ_VALUE_DOUBLE) y = p->d;
  else return 2;
  if (isnan(y)) return 2;
  return x < y ? -1 : x > y ? 1 : 0;
}

static bool leaf_unsigned(const pq_leaf *leaf) {
  const pq_schema_element *e = leaf->elem;
  if (e->logical.kind == PQ_LT_INTEGER) return !e->logical.is_signed;
  return e->converted_type >= PQ_CT_UINT_8 && e->converted_type <= PQ_CT_UINT_64;
}

int pq_reader_rg_may_match(parq_reader *r, int64_t g) {
  pq_row_group *rg = &r->md.row_groups[g];
  for (size_t k = 0; k < r->opt.n_predicates; k++) {
    const parq_predicate *p = &r->opt.predicates[k];
    int li = -1;
    for (int l = 0; l < r->schema.n_leaves; l++)
      if (!strcmp(r->schema.leaves[l].path, p->column) ||
          (r->schema.leaves[l].node->parent == r->schema.root && !strcmp(r->schema.leaves[l].node->name, p->column)))
        li = l;
    if (li < 0) continue;
    const pq_leaf *leaf = &r->schema.leaves[li];
    if (leaf->max_rep > 0) continue;
    const pq_column_metadata *m = &rg->columns[li].meta_data;
    if (!m->has_statistics) continue;
    const pq_statistics *st = &m->statistics;
    if (p->op == PARQ_CMP_IS_NULL) {
      if (st->has_null_count && st->null_count == 0) return 0;
      continue;
    }
    if (p->op == PARQ_CMP_IS_NOT_NULL) {
      if (st->has_null_count && st->null_count == rg->num_rows && rg->num_rows > 0) return 0;
      continue;
    }
    bool uns = leaf_unsigned(leaf);
    pq_bytes mn, mx;
    bool have = false;
    if (st->has_min_value && st->has_max_value) {
      mn = st->min_value, mx = st->max_value, have = true;
    } else if (st->has_min && st->has_max && leaf->type != PQ_BYTE_ARRAY && !uns) {
      mn = st->min, mx = st->max, have = true; /* legacy signed order is right for signed numbers */
    }
    if (!have) continue;
    if (leaf->type == PQ_BYTE_ARRAY) {
      /* Byte-wise order only holds for strings / plain binary, not decimals. */
      if (leaf->elem->logical.kind == PQ_LT_DECIMAL || leaf->elem->converted_type == PQ_CT_DECIMAL) continue;
    }
    if (leaf->type == PQ_INT32 || leaf->type == PQ_INT64) {
      if (leaf->elem->logical.kind == PQ_LT_DECIMAL || leaf->elem->converted_type == PQ_CT_DECIMAL) continue;
    }
    val vmin, vmax;
    if (!stat_val(leaf, mn, &vmin) || !stat_val(leaf, mx, &vmax)) continue;
    if (uns) continue; /* unsigned compare of predicate constants: not worth the risk */
    int cmin = cmp(&vmin, p, uns), cmax = cmp(&vmax, p, uns);
    if (cmin == 2 || cmax == 2) continue;
    bool max_exact = !st->has_is_max_value_exact || st->is_max_value_exact;
    switch (p->op) {
      case PARQ_CMP_EQ: if (cmin > 0 || (cmax < 0 && max_exact)) return 0; break;
      case PARQ_CMP_LT: if (cmin >= 0) return 0; break;
      case PARQ_CMP_LE: if (cmin > 0) return 0; break;
      case PARQ_CMP_GT: if (cmax <= 0 && max_exact) return 0; break;
      case PARQ_CMP_GE: if (cmax < 0 && max_exact) return 0; break;
      case PARQ_CMP_NE:
        if (cmin == 0 && cmax == 0 && max_exact && st->has_null_count && st->null_count == 0) return 0;
        break;
      default: break;
    }
  }
  return 1;
}
