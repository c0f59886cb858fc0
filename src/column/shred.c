/* shred.c — the writer's plan (Arrow schema + Parquet levels), batch
 * validation, and Dremel shredding of one leaf for a row range.
 *
 * Shredding walks the path from the top-level column to the leaf, keeping a
 * list of "slots": either a position in the current Arrow array (still
 * defined) or a terminal level (a null or an empty list was met). Lists and
 * maps expand a slot into one slot per element. Flat columns take fast paths
 * that never build slots. */
#include "column/shred.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* ------------------------------------------------------------------ plan */

static parq_status build_node(pq_wplan *p, pq_wnode *n, const struct ArrowSchema *f,
                              int16_t pdef, int16_t prep, bool force_required, parq_error *err) {
  if (!f || !f->format) return parq_err_set(err, PARQ_EINVAL, "Arrow schema: missing field");
  const char *name = f->name ? f->name : "";
  if (f->dictionary)
    return parq_err_set(err, PARQ_EUNSUPPORTED,
                        "field '%s': dictionary-encoded Arrow arrays are not supported", name);
  PARQ_TRY(pq_arrow_parse_format(f->format, &n->at, err));
  n->name = name;
  n->nullable = !force_required && ((f->flags & ARROW_FLAG_NULLABLE) || n->at.kind == PQA_NULL);
  n->def = (int16_t)(pdef + (n->nullable ? 1 : 0));
  n->rep = prep;
  if (n->def > 255 || n->rep > 255)
    return parq_err_set(err, PARQ_EUNSUPPORTED, "field '%s': nesting too deep", name);
  switch (n->at.kind) {
    case PQA_STRUCT:
      n->kind = PQ_W_STRUCT;
      if (f->n_children <= 0)
        return parq_err_set(err, PARQ_EUNSUPPORTED, "field '%s': empty struct", name);
      n->n_children = (int)f->n_children;
      break;
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_FIXED_LIST:
      n->kind = PQ_W_LIST;
      if (f->n_children != 1)
        return parq_err_set(err, PARQ_EINVAL, "field '%s': list needs 1 child", name);
      n->n_children = 1;
      break;
    case PQA_MAP:
      n->kind = PQ_W_MAP;
      if (f->n_children != 1 || !f->children[0] || f->children[0]->n_children != 2)
        return parq_err_set(err, PARQ_EINVAL, "field '%s': map needs an entries struct of 2", name);
      n->n_children = 2;
      break;
    case PQA_UNSUPPORTED:
      return parq_err_set(err, PARQ_EUNSUPPORTED, "field '%s': unsupported type", name);
    default:
      n->kind = PQ_W_LEAF;
      n->leaf = p->n_leaves++;
      return PARQ_OK;
  }
  n->children = parq_arena_calloc(&p->arena, (size_t)n->n_children, sizeof(pq_wnode));
  if (!n->children) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (n->kind == PQ_W_STRUCT) {
    for (int i = 0; i < n->n_children; i++)
      PARQ_TRY(build_node(p, &n->children[i], f->children[i], n->def, n->rep, false, err));
  } else {
    /* The repeated group adds one definition and one repetition level. */
    n->elem_rep = (int16_t)(n->rep + 1);
    if (n->kind == PQ_W_LIST) {
      PARQ_TRY(build_node(p, &n->children[0], f->children[0], (int16_t)(n->def + 1),
                          n->elem_rep, false, err));
    } else {
      const struct ArrowSchema *e = f->children[0];
      PARQ_TRY(build_node(p, &n->children[0], e->children[0], (int16_t)(n->def + 1),
                          n->elem_rep, true, err));
      PARQ_TRY(build_node(p, &n->children[1], e->children[1], (int16_t)(n->def + 1),
                          n->elem_rep, false, err));
    }
  }
  return PARQ_OK;
}

/* Record, for each leaf, the node path from its top-level column. */
static parq_status fill_paths(pq_wplan *p, pq_wnode *n, pq_wnode **stack, int *cidx, int depth,
                              parq_error *err) {
  if (depth >= 300) return parq_err_set(err, PARQ_EUNSUPPORTED, "nesting too deep");
  stack[depth] = n;
  if (n->kind == PQ_W_LEAF) {
    int L = n->leaf;
    p->leaf_depth[L] = depth + 1;
    p->leaf_path[L] = parq_arena_calloc(&p->arena, (size_t)depth + 1, sizeof(pq_wnode *));
    p->leaf_child[L] = parq_arena_calloc(&p->arena, (size_t)depth + 1, sizeof(int));
    if (!p->leaf_path[L] || !p->leaf_child[L]) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    memcpy(p->leaf_path[L], stack, sizeof(pq_wnode *) * ((size_t)depth + 1));
    memcpy(p->leaf_child[L], cidx, sizeof(int) * ((size_t)depth + 1));
    return PARQ_OK;
  }
  for (int i = 0; i < n->n_children; i++) {
    cidx[depth + 1] = i;
    PARQ_TRY(fill_paths(p, &n->children[i], stack, cidx, depth + 1, err));
  }
  return PARQ_OK;
}

parq_status pq_wplan_build(const struct ArrowSchema *schema, pq_wplan *p, parq_error *err) {
  memset(p, 0, sizeof *p);
  if (!schema || !schema->format || strcmp(schema->format, "+s"))
    return parq_err_set(err, PARQ_EINVAL, "writer schema must be an Arrow struct (\"+s\")");
  if (schema->n_children <= 0)
    return parq_err_set(err, PARQ_EINVAL, "writer schema has no columns");
  p->root.kind = PQ_W_STRUCT;
  p->root.n_children = (int)schema->n_children;
  p->root.children = parq_arena_calloc(&p->arena, (size_t)schema->n_children, sizeof(pq_wnode));
  if (!p->root.children) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  parq_status st = PARQ_OK;
  for (int i = 0; i < p->root.n_children && st == PARQ_OK; i++)
    st = build_node(p, &p->root.children[i], schema->children[i], 0, 0, false, err);
  if (st != PARQ_OK) goto fail;
  p->leaf_path = parq_arena_calloc(&p->arena, (size_t)p->n_leaves, sizeof(pq_wnode **));
  p->leaf_depth = parq_arena_calloc(&p->arena, (size_t)p->n_leaves, sizeof(int));
  p->leaf_child = parq_arena_calloc(&p->arena, (size_t)p->n_leaves, sizeof(int *));
  pq_wnode *stack[301];
  int cidx[301];
  if (!p->leaf_path || !p->leaf_depth || !p->leaf_child) {
    st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    goto fail;
  }
  for (int i = 0; i < p->root.n_children && st == PARQ_OK; i++) {
    cidx[0] = i;
    st = fill_paths(p, &p->root.children[i], stack, cidx, 0, err);
  }
  if (st == PARQ_OK) return PARQ_OK;
fail:
  pq_wplan_free(p);
  return st;
}

void pq_wplan_free(pq_wplan *p) {
  if (!p) return;
  parq_arena_free(&p->arena);
  memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------ validation */

static parq_status bad(parq_error *err, const char *name, const char *what) {
  return parq_err_set(err, PARQ_EINVAL, "batch column '%s': %s", name, what);
}

static int64_t get_off(const void *offs, bool large, int64_t i) {
  return large ? ((const int64_t *)offs)[i] : (int64_t)((const int32_t *)offs)[i];
}

/* Offsets [off, off+len] must be monotone, start >= 0 and end <= limit (limit < 0: unbounded). */
static parq_status check_offsets(const void *offs, bool large, int64_t off, int64_t len,
                                 int64_t limit, const char *name, parq_error *err) {
  if (len == 0) return PARQ_OK;
  if (!offs) return bad(err, name, "missing offsets buffer");
  int64_t prev = get_off(offs, large, off);
  if (prev < 0) return bad(err, name, "negative offset");
  for (int64_t i = 1; i <= len; i++) {
    int64_t v = get_off(offs, large, off + i);
    if (v < prev) return bad(err, name, "offsets are not monotone");
    prev = v;
  }
  if (limit >= 0 && prev > limit) return bad(err, name, "offsets exceed the child length");
  return PARQ_OK;
}

static parq_status validate(const pq_wnode *n, const struct ArrowArray *a, parq_error *err) {
  const char *name = n->name;
  if (!a || !a->release) return bad(err, name, "missing or released array");
  if (a->length < 0 || a->offset < 0 || a->length > INT64_MAX / 2 - a->offset)
    return bad(err, name, "negative length or offset");
  int64_t end = a->offset + a->length;
  int want_buf = 2, want_children = 0;
  switch (n->at.kind) {
    case PQA_NULL: want_buf = 0; break;
    case PQA_BINARY: case PQA_LARGE_BINARY: case PQA_UTF8: case PQA_LARGE_UTF8: want_buf = 3; break;
    case PQA_BINARY_VIEW: case PQA_UTF8_VIEW: want_buf = 3; break; /* at least */
    case PQA_STRUCT: want_buf = 1; want_children = n->n_children; break;
    case PQA_FIXED_LIST: want_buf = 1; want_children = 1; break;
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_MAP: want_buf = 2; want_children = 1; break;
    default: break;
  }
  bool views = n->at.kind == PQA_BINARY_VIEW || n->at.kind == PQA_UTF8_VIEW;
  if (views ? a->n_buffers < want_buf : a->n_buffers != want_buf) {
    if (!(n->at.kind == PQA_NULL && a->n_buffers <= 1))
      return bad(err, name, "wrong number of buffers");
  }
  if (a->n_buffers > 0 && !a->buffers) return bad(err, name, "missing buffers");
  if (a->n_children != want_children || (want_children && !a->children))
    return bad(err, name, "wrong number of children");
  if (a->length == 0) return PARQ_OK;
  for (int b = 1; b < want_buf; b++)
    if (!a->buffers[b] && !(views && b == 2)) return bad(err, name, "missing data buffer");
  switch (n->at.kind) {
    case PQA_BINARY: case PQA_UTF8:
      return check_offsets(a->buffers[1], false, a->offset, a->length, -1, name, err);
    case PQA_LARGE_BINARY: case PQA_LARGE_UTF8:
      return check_offsets(a->buffers[1], true, a->offset, a->length, -1, name, err);
    case PQA_BINARY_VIEW: case PQA_UTF8_VIEW: {
      int64_t ndata = a->n_buffers - 3;
      const int64_t *sizes = (const int64_t *)a->buffers[a->n_buffers - 1];
      const uint8_t *v = (const uint8_t *)a->buffers[1];
      for (int64_t i = a->offset; i < end; i++) {
        int32_t len, bi, off;
        memcpy(&len, v + 16 * i, 4);
        if (len < 0) return bad(err, name, "negative view length");
        if (len <= 12) continue;
        memcpy(&bi, v + 16 * i + 8, 4);
        memcpy(&off, v + 16 * i + 12, 4);
        if (bi < 0 || bi >= ndata || off < 0 || !a->buffers[2 + bi])
          return bad(err, name, "view refers to a missing data buffer");
        if (sizes && (int64_t)off + len > sizes[bi])
          return bad(err, name, "view exceeds its data buffer");
      }
      return PARQ_OK;
    }
    case PQA_STRUCT:
      for (int i = 0; i < n->n_children; i++) {
        const struct ArrowArray *c = a->children[i];
        if (!c || c->length < end) return bad(err, n->children[i].name, "child shorter than struct");
        PARQ_TRY(validate(&n->children[i], c, err));
      }
      return PARQ_OK;
    case PQA_FIXED_LIST: {
      const struct ArrowArray *c = a->children[0];
      if (n->at.width < 0 || !c || c->length / (n->at.width ? n->at.width : 1) < end)
        return bad(err, name, "fixed-size list child too short");
      return validate(&n->children[0], c, err);
    }
    case PQA_LIST: case PQA_LARGE_LIST: {
      const struct ArrowArray *c = a->children[0];
      if (!c) return bad(err, name, "missing list child");
      PARQ_TRY(check_offsets(a->buffers[1], n->at.kind == PQA_LARGE_LIST, a->offset, a->length,
                             c->length, name, err));
      return validate(&n->children[0], c, err);
    }
    case PQA_MAP: {
      const struct ArrowArray *e = a->children[0];
      if (!e || e->n_children != 2 || !e->children || e->length < 0 || e->offset < 0)
        return bad(err, name, "map entries must be a struct of 2");
      PARQ_TRY(check_offsets(a->buffers[1], false, a->offset, a->length, e->length, name, err));
      for (int i = 0; i < 2; i++) {
        const struct ArrowArray *c = e->children[i];
        if (!c || c->length < e->offset + e->length)
          return bad(err, n->children[i].name, "map child shorter than entries");
        PARQ_TRY(validate(&n->children[i], c, err));
      }
      return PARQ_OK;
    }
    default:
      return PARQ_OK;
  }
}

parq_status pq_wplan_validate(const pq_wplan *p, const struct ArrowArray *batch, parq_error *err) {
  if (!batch || !batch->release) return parq_err_set(err, PARQ_EINVAL, "batch is NULL or released");
  if (batch->n_children != p->root.n_children || !batch->children)
    return parq_err_set(err, PARQ_EINVAL, "batch has %lld columns, schema has %d",
                        (long long)batch->n_children, p->root.n_children);
  if (batch->length < 0 || batch->offset < 0)
    return parq_err_set(err, PARQ_EINVAL, "batch has a negative length or offset");
  if (batch->null_count > 0 && batch->n_buffers > 0 && batch->buffers && batch->buffers[0])
    return parq_err_set(err, PARQ_EINVAL, "batch struct has null rows");
  for (int i = 0; i < p->root.n_children; i++) {
    const struct ArrowArray *c = batch->children[i];
    if (!c || c->length < batch->offset + batch->length)
      return parq_err_set(err, PARQ_EINVAL, "batch column '%s' has %lld rows, batch has %lld",
                          p->root.children[i].name, c ? (long long)c->length : -1LL,
                          (long long)(batch->offset + batch->length));
    PARQ_TRY(validate(&p->root.children[i], c, err));
  }
  return PARQ_OK;
}

/* ------------------------------------------------------------- shredding */

void pq_shred_scratch_free(pq_shred_scratch *s) {
  for (int i = 0; i < 2; i++) {
    parq_buf_free(&s->pos[i]);
    parq_buf_free(&s->def[i]);
    parq_buf_free(&s->rep[i]);
  }
}

static bool has_nulls(const struct ArrowArray *a) {
  return a->n_buffers > 0 && a->buffers[0] && a->null_count != 0;
}

static parq_status reserve_slots(pq_shred_scratch *s, int w, size_t n) {
  if (n > SIZE_MAX / 8) return PARQ_ENOMEM;
  parq_buf_clear(&s->pos[w]);
  parq_buf_clear(&s->def[w]);
  parq_buf_clear(&s->rep[w]);
  PARQ_TRY(parq_buf_reserve(&s->pos[w], n * sizeof(int64_t)));
  PARQ_TRY(parq_buf_reserve(&s->def[w], n * sizeof(uint16_t)));
  PARQ_TRY(parq_buf_reserve(&s->rep[w], n * sizeof(uint16_t)));
  return PARQ_OK;
}

/* Flat leaf (top-level primitive): no slots needed. */
static parq_status shred_flat(const pq_wnode *n, const struct ArrowArray *a, int64_t base,
                              int64_t nrows, pq_shred_scratch *s, pq_leaf_batch *out,
                              parq_error *err) {
  size_t cnt = (size_t)nrows;
  out->first = base;
  if (!n->nullable) {
    if (has_nulls(a))
      for (int64_t i = 0; i < nrows; i++)
        if (!pq_arrow_is_valid(a, base + i))
          return parq_err_set(err, PARQ_EINVAL, "column '%s': null in a non-nullable field",
                              n->name);
    out->n_levels = out->n_values = cnt;
    return PARQ_OK;
  }
  if (reserve_slots(s, 0, cnt) != PARQ_OK) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  uint16_t *def = (uint16_t *)s->def[0].data;
  out->def = def;
  out->n_levels = cnt;
  if (n->at.kind == PQA_NULL) {
    memset(def, 0, cnt * sizeof *def);
    out->n_values = 0;
    return PARQ_OK;
  }
  if (!has_nulls(a)) {
    for (size_t i = 0; i < cnt; i++) def[i] = 1;
    out->n_values = cnt;
    return PARQ_OK;
  }
  int64_t *idx = (int64_t *)s->pos[0].data;
  size_t nv = 0;
  for (int64_t i = 0; i < nrows; i++) {
    bool v = pq_arrow_is_valid(a, base + i);
    def[i] = v;
    idx[nv] = base + i;
    nv += v;
  }
  out->n_values = nv;
  out->idx = idx;
  return PARQ_OK;
}

parq_status pq_shred_leaf(const pq_wplan *p, int leaf, const struct ArrowArray *batch,
                          int64_t row0, int64_t nrows, pq_shred_scratch *s, pq_leaf_batch *out,
                          parq_error *err) {
  memset(out, 0, sizeof *out);
  pq_wnode *const *path = p->leaf_path[leaf];
  const int *cidx = p->leaf_child[leaf];
  int depth = p->leaf_depth[leaf];
  const pq_wnode *lnode = path[depth - 1];
  const struct ArrowArray *a = batch->children[cidx[0]];
  int64_t base = batch->offset + row0;
  if (depth == 1) {
    out->arr = a;
    out->at = &lnode->at;
    return shred_flat(lnode, a, base, nrows, s, out, err);
  }
  int cur = 0;
  size_t n = (size_t)nrows;
  if (reserve_slots(s, cur, n) != PARQ_OK) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int64_t *pos = (int64_t *)s->pos[cur].data;
  uint16_t *def = (uint16_t *)s->def[cur].data, *rep = (uint16_t *)s->rep[cur].data;
  for (size_t i = 0; i < n; i++) {
    pos[i] = base + (int64_t)i;
    rep[i] = 0;
    def[i] = 0;
  }
  for (int k = 0; k < depth; k++) {
    const pq_wnode *nd = path[k];
    /* Nulls at this node end the slot with the parent's level. */
    if (nd->at.kind == PQA_NULL) {
      for (size_t i = 0; i < n; i++)
        if (pos[i] >= 0) { pos[i] = -1; def[i] = (uint16_t)(nd->def - 1); }
    } else if (has_nulls(a)) {
      for (size_t i = 0; i < n; i++) {
        if (pos[i] < 0 || pq_arrow_is_valid(a, pos[i])) continue;
        if (!nd->nullable)
          return parq_err_set(err, PARQ_EINVAL, "column '%s': null in a non-nullable field",
                              nd->name);
        pos[i] = -1;
        def[i] = (uint16_t)(nd->def - 1);
      }
    }
    if (nd->kind == PQ_W_LEAF) break;
    if (nd->kind == PQ_W_STRUCT) {
      for (size_t i = 0; i < n; i++)
        if (pos[i] >= 0) pos[i] += a->offset;
      a = a->children[cidx[k + 1]];
      continue;
    }
    /* LIST / MAP: expand each defined slot into its elements. */
    const void *offs = nd->at.kind == PQA_FIXED_LIST ? NULL : a->buffers[1];
    bool large = nd->at.kind == PQA_LARGE_LIST;
    int64_t fw = nd->at.width;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
      if (pos[i] < 0) { total++; continue; }
      int64_t ph = a->offset + pos[i];
      int64_t len = offs ? get_off(offs, large, ph + 1) - get_off(offs, large, ph) : fw;
      total += len > 0 ? (size_t)len : 1;
    }
    int nw = cur ^ 1;
    if (reserve_slots(s, nw, total) != PARQ_OK)
      return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    int64_t *npos = (int64_t *)s->pos[nw].data;
    uint16_t *ndef = (uint16_t *)s->def[nw].data, *nrep = (uint16_t *)s->rep[nw].data;
    const struct ArrowArray *child = a->children[0];
    int64_t shift = 0;
    if (nd->kind == PQ_W_MAP) {
      shift = child->offset; /* entries struct -> key/value logical index */
      child = child->children[cidx[k + 1]];
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
      if (pos[i] < 0) {
        npos[o] = -1; ndef[o] = def[i]; nrep[o] = rep[i]; o++;
        continue;
      }
      int64_t ph = a->offset + pos[i];
      int64_t st = offs ? get_off(offs, large, ph) : ph * fw;
      int64_t en = offs ? get_off(offs, large, ph + 1) : st + fw;
      if (st == en) {
        npos[o] = -1; ndef[o] = (uint16_t)nd->def; nrep[o] = rep[i]; o++;
        continue;
      }
      npos[o] = st + shift; ndef[o] = 0; nrep[o] = rep[i]; o++;
      for (int64_t e = st + 1; e < en; e++) {
        npos[o] = e + shift; ndef[o] = 0; nrep[o] = (uint16_t)nd->elem_rep; o++;
      }
    }
    cur = nw;
    n = total;
    pos = npos; def = ndef; rep = nrep;
    a = child;
  }
  /* Value slots get the leaf's full definition level; compact positions. */
  size_t nv = 0;
  bool contiguous = true;
  for (size_t i = 0; i < n; i++) {
    if (pos[i] < 0) continue;
    def[i] = (uint16_t)lnode->def;
    if (nv && pos[i] != pos[nv - 1] + 1) contiguous = false;
    pos[nv++] = pos[i];
  }
  out->arr = a;
  out->at = &lnode->at;
  out->n_levels = n;
  out->n_values = nv;
  out->def = lnode->def > 0 ? def : NULL;
  out->rep = lnode->rep > 0 ? rep : NULL;
  if (contiguous) out->first = nv ? pos[0] : 0;
  else out->idx = pos;
  return PARQ_OK;
}
