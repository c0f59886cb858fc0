/* prune.c — row-group pruning from column-chunk statistics: a row group is
 * skipped only when its min/max (or null counts) prove that no row satisfies
 * one of the AND-ed predicates. Unknown or inexact statistics never prune. */
#include <math.h>
#include <string.h>

#include <stdlib.h>

#include "encoding/bloom.h"
#include "file/file_reader_internal.h"
#include "util/error.h"

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

/* Bloom filter probe for an equality predicate: 0 when the filter proves the
 * value absent, 1 otherwise (including every error: filters only prune). */
static int bloom_may_contain(parq_reader *r, const pq_leaf *leaf, const pq_column_metadata *m,
                             const parq_predicate *p) {
  uint8_t buf[8];
  const void *val;
  size_t len;
  if (leaf->type == PQ_INT32 && p->kind == PARQ_VALUE_INT && p->i >= INT32_MIN && p->i <= INT32_MAX) {
    int32_t v = (int32_t)p->i;
    memcpy(buf, &v, 4);
    val = buf, len = 4;
  } else if (leaf->type == PQ_INT64 && p->kind == PARQ_VALUE_INT) {
    memcpy(buf, &p->i, 8);
    val = buf, len = 8;
  } else if (leaf->type == PQ_BYTE_ARRAY && p->kind == PARQ_VALUE_STRING) {
    val = p->s, len = p->s_len;
  } else {
    return 1;
  }
  int64_t off = m->bloom_filter_offset;
  uint8_t head[64];
  size_t hl = sizeof head;
  if (off < 4 || off >= r->size) return 1;
  if ((int64_t)hl > r->size - off) hl = (size_t)(r->size - off);
  if (pq_reader_read_at(r, off, hl, head, NULL)) return 1;
  pq_bloom_filter_header h;
  size_t used = 0;
  if (pq_decode_bloom_filter_header(head, hl, &h, &used, NULL)) return 1;
  if (h.algorithm != 1 || h.hash != 1 || h.compression != 1) return 1;
  if (h.num_bytes <= 0 || h.num_bytes % 32 || h.num_bytes > (128 << 20) || (int64_t)h.num_bytes > r->size - off - (int64_t)used)
    return 1;
  uint8_t *bits = malloc((size_t)h.num_bytes);
  if (!bits) return 1;
  int res = 1;
  if (!pq_reader_read_at(r, off + (int64_t)used, (size_t)h.num_bytes, bits, NULL))
    res = pq_bloom_check(bits, (size_t)h.num_bytes, pq_bloom_hash(val, len));
  free(bits);
  return res;
}

/* Leaf index for a predicate's column (dotted leaf path, or a top-level
 * primitive's name); -1 when absent or repeated (not prunable). */
static int predicate_leaf(parq_reader *r, const parq_predicate *p) {
  for (int l = 0; l < r->schema.n_leaves; l++) {
    const pq_leaf *leaf = &r->schema.leaves[l];
    if (!strcmp(leaf->path, p->column) ||
        (leaf->node->parent == r->schema.root && !strcmp(leaf->node->name, p->column)))
      return leaf->max_rep > 0 ? -1 : l;
  }
  return -1;
}

/* Can a range of values with these statistics contain a row satisfying p?
 * has_mm: min/max usable; nulls: -1 unknown; rows: values in the range. */
static int minmax_may_match(const pq_leaf *leaf, const parq_predicate *p, bool has_mm, pq_bytes mn,
                            pq_bytes mx, bool max_exact, int64_t nulls, int64_t rows) {
  if (p->op == PARQ_CMP_IS_NULL) return !(nulls == 0);
  if (p->op == PARQ_CMP_IS_NOT_NULL) return !(nulls >= 0 && nulls == rows && rows > 0);
  if (nulls >= 0 && nulls == rows && rows > 0) return 0; /* all null: no comparison is true */
  if (!has_mm) return 1;
  bool uns = leaf_unsigned(leaf);
  if (uns) return 1; /* unsigned compare of predicate constants: not worth the risk */
  bool dec = leaf->elem->logical.kind == PQ_LT_DECIMAL || leaf->elem->converted_type == PQ_CT_DECIMAL;
  if (dec) return 1; /* byte-wise / integer order is not the decimal's order */
  val vmin, vmax;
  if (!stat_val(leaf, mn, &vmin) || !stat_val(leaf, mx, &vmax)) return 1;
  int cmin = cmp(&vmin, p, uns), cmax = cmp(&vmax, p, uns);
  if (cmin == 2 || cmax == 2) return 1;
  switch (p->op) {
    case PARQ_CMP_EQ: return !(cmin > 0 || (cmax < 0 && max_exact));
    case PARQ_CMP_LT: return !(cmin >= 0);
    case PARQ_CMP_LE: return !(cmin > 0);
    case PARQ_CMP_GT: return !(cmax <= 0 && max_exact);
    case PARQ_CMP_GE: return !(cmax < 0 && max_exact);
    case PARQ_CMP_NE: return !(cmin == 0 && cmax == 0 && max_exact && nulls == 0);
    default: return 1;
  }
}

int pq_reader_rg_may_match(parq_reader *r, int64_t g) {
  pq_row_group *rg = &r->md.row_groups[g];
  for (size_t k = 0; k < r->opt.n_predicates; k++) {
    const parq_predicate *p = &r->opt.predicates[k];
    int li = predicate_leaf(r, p);
    if (li < 0) continue;
    const pq_leaf *leaf = &r->schema.leaves[li];
    const pq_column_metadata *m = &rg->columns[li].meta_data;
    if (p->op == PARQ_CMP_EQ && m->has_bloom_filter_offset && !bloom_may_contain(r, leaf, m, p)) return 0;
    if (!m->has_statistics) continue;
    const pq_statistics *st = &m->statistics;
    pq_bytes mn = {0}, mx = {0};
    bool have = false;
    if (st->has_min_value && st->has_max_value) {
      mn = st->min_value, mx = st->max_value, have = true;
    } else if (st->has_min && st->has_max && leaf->type != PQ_BYTE_ARRAY && leaf->type != PQ_FIXED_LEN_BYTE_ARRAY) {
      mn = st->min, mx = st->max, have = true; /* legacy signed order is right for signed numbers */
    }
    bool max_exact = !st->has_is_max_value_exact || st->is_max_value_exact;
    if (!minmax_may_match(leaf, p, have, mn, mx, max_exact, st->has_null_count ? st->null_count : -1, rg->num_rows))
      return 0;
  }
  return 1;
}

/* Row ranges of row group g that may satisfy every predicate, from the page
 * index (ColumnIndex + OffsetIndex) of the predicate columns. Returns the
 * number of ranges written to *out (malloc'ed pairs [begin, end)), or -1 when
 * the page index cannot narrow anything (no predicates / no index). */
int64_t pq_reader_page_ranges(parq_reader *r, int64_t g, int64_t **out, parq_error *err) {
  *out = NULL;
  pq_row_group *rg = &r->md.row_groups[g];
  int64_t nrows = rg->num_rows;
  if (!r->opt.n_predicates || nrows <= 0) return -1;
  /* keep[row] would be too big; work with a sorted list of ranges instead. */
  int64_t *cur = malloc(2 * sizeof *cur);
  if (!cur) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  cur[0] = 0, cur[1] = nrows;
  int64_t ncur = 1;
  bool narrowed = false;
  for (size_t k = 0; k < r->opt.n_predicates; k++) {
    const parq_predicate *p = &r->opt.predicates[k];
    int li = predicate_leaf(r, p);
    if (li < 0) continue;
    const pq_leaf *leaf = &r->schema.leaves[li];
    const pq_column_chunk *cc = &rg->columns[li];
    if (!cc->has_column_index || !cc->has_offset_index) continue;
    if (cc->column_index_length <= 0 || cc->offset_index_length <= 0 ||
        cc->column_index_length > (64 << 20) || cc->offset_index_length > (64 << 20))
      continue;
    uint8_t *cib = malloc((size_t)cc->column_index_length), *oib = malloc((size_t)cc->offset_index_length);
    parq_arena a = PARQ_ARENA_INIT;
    pq_column_index ci;
    pq_offset_index oi;
    bool ok = cib && oib &&
              !pq_reader_read_at(r, cc->column_index_offset, (size_t)cc->column_index_length, cib, NULL) &&
              !pq_reader_read_at(r, cc->offset_index_offset, (size_t)cc->offset_index_length, oib, NULL) &&
              !pq_decode_column_index(cib, (size_t)cc->column_index_length, &a, &ci, NULL) &&
              !pq_decode_offset_index(oib, (size_t)cc->offset_index_length, &a, &oi, NULL) &&
              ci.n_pages == oi.n_pages && oi.n_pages > 0;
    int64_t *pr = NULL, npr = 0;
    if (ok) {
      pr = malloc((size_t)oi.n_pages * 2 * sizeof *pr);
      ok = pr != NULL;
    }
    for (uint32_t i = 0; ok && i < oi.n_pages; i++) {
      int64_t b = oi.page_locations[i].first_row_index;
      int64_t e = i + 1 < oi.n_pages ? oi.page_locations[i + 1].first_row_index : nrows;
      if (b < 0 || e < b || e > nrows) {
        ok = false;
        break;
      }
      int64_t nulls = ci.has_null_counts ? ci.null_counts[i] : -1;
      int m;
      if (ci.null_pages[i]) m = minmax_may_match(leaf, p, false, ci.min_values[i], ci.max_values[i], true, e - b, e - b);
      else m = minmax_may_match(leaf, p, true, ci.min_values[i], ci.max_values[i], false, nulls, e - b);
      if (!m) continue;
      if (npr && pr[2 * npr - 1] == b) pr[2 * npr - 1] = e; /* merge adjacent */
      else pr[2 * npr] = b, pr[2 * npr + 1] = e, npr++;
    }
    free(cib), free(oib);
    parq_arena_free(&a);
    if (!ok) {
      free(pr);
      continue;
    }
    /* Intersect cur with pr (both sorted, disjoint). */
    int64_t *nx = malloc((size_t)(ncur + npr + 1) * 2 * sizeof *nx);
    if (!nx) {
      free(pr), free(cur);
      return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    }
    int64_t nn = 0, i = 0, j = 0;
    while (i < ncur && j < npr) {
      int64_t b = cur[2 * i] > pr[2 * j] ? cur[2 * i] : pr[2 * j];
      int64_t e = cur[2 * i + 1] < pr[2 * j + 1] ? cur[2 * i + 1] : pr[2 * j + 1];
      if (b < e) nx[2 * nn] = b, nx[2 * nn + 1] = e, nn++;
      if (cur[2 * i + 1] < pr[2 * j + 1]) i++;
      else j++;
    }
    free(cur), free(pr);
    cur = nx, ncur = nn;
    narrowed = true;
  }
  if (!narrowed || (ncur == 1 && cur[0] == 0 && cur[1] == nrows)) {
    free(cur);
    return -1;
  }
  *out = cur;
  return ncur;
}
