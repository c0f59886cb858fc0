/* assemble.c — record assembly: definition/repetition levels -> Arrow
 * validity bitmaps, list offsets and value buffers, plus the physical ->
 * Arrow value conversions (narrow ints, decimals, INT96, booleans).
 *
 * Slots: for a node whose nearest enclosing list has repetition level R and
 * "has an element" definition level D (R = D = 0 at the top), the node's
 * entries are the level positions p with rep[p] <= R and def[p] >= D in any
 * leaf below it. Each leaf yields the same slot count; a mismatch means the
 * file is corrupt (columns of unequal length). */
#include "column/assemble.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/levels.h"

typedef struct ctx {
  const pq_schema *s;
  pq_leaf_batch *batches;
  const uint8_t *mask;
  parq_error *err;
} ctx;

static bool node_selected(const ctx *c, const pq_node *n) {
  if (!c->mask) return true;
  for (int i = n->leaf_begin; i < n->leaf_end; i++)
    if (c->mask[i]) return true;
  return false;
}

static bool node_fully_selected(const uint8_t *mask, const pq_node *n) {
  if (!mask) return true;
  for (int i = n->leaf_begin; i < n->leaf_end; i++)
    if (!mask[i]) return false;
  return true;
}

/* First selected leaf under n. */
static int first_leaf(const ctx *c, const pq_node *n) {
  for (int i = n->leaf_begin; i < n->leaf_end; i++)
    if (!c->mask || c->mask[i]) return i;
  return n->leaf_begin;
}

/* Positions of slots in leaf `li` for context (R, D). Returns malloc'ed array
 * (NULL with *count = n_levels when every position is a slot). */
static parq_status slots_of(const ctx *c, int li, int R, int D, int64_t **out, int64_t *count) {
  const pq_leaf *leaf = &c->s->leaves[li];
  const pq_leaf_batch *b = &c->batches[li];
  *out = NULL;
  if ((leaf->max_rep == 0 || R >= leaf->max_rep) && (leaf->max_def == 0 || D == 0)) {
    *count = b->n_levels;
    return PARQ_OK;
  }
  const uint16_t *rep = leaf->max_rep ? (const uint16_t *)b->rep.data : NULL;
  const uint16_t *def = leaf->max_def ? (const uint16_t *)b->def.data : NULL;
  int64_t *s = malloc((size_t)(b->n_levels > 0 ? b->n_levels : 1) * sizeof *s);
  if (!s) return parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory");
  int64_t k = 0;
  for (int64_t p = 0; p < b->n_levels; p++) {
    if (rep && rep[p] > R) continue;
    if (def && def[p] < D) continue;
    s[k++] = p;
  }
  *out = s;
  *count = k;
  return PARQ_OK;
}

#define SLOT(i) (slots ? slots[i] : (i))

static parq_status build(const ctx *c, const pq_node *n, int R, int D, struct ArrowArray *out);

/* ---------------- primitive conversion ---------------- */

static void be_to_le_decimal(const uint8_t *src, size_t len, uint8_t *dst, size_t width) {
  /* Big-endian two's complement of `len` bytes -> little-endian `width` bytes, sign-extended. */
  uint8_t fill = (len > 0 && (src[0] & 0x80)) ? 0xFF : 0x00;
  for (size_t i = 0; i < width; i++) dst[i] = i < len ? src[len - 1 - i] : fill;
}

/* Arrow offsets (len + 1 entries, int32 or int64) from the dense end offsets
 * of the non-null values; NULL on allocation failure. */
static void *expand_offsets(const void *dense, const uint8_t *valid, int64_t len, bool wide) {
  void *mem = malloc((size_t)(len + 1) * (wide ? 8 : 4));
  if (!mem) return NULL;
  if (wide) {
    int64_t *o = mem, cur = 0, k = 0;
    const int64_t *src = dense;
    o[0] = 0;
    for (int64_t i = 0; i < len; i++) {
      if (!valid || pq_bit_get(valid, i)) cur = src[k++];
      o[i + 1] = cur;
    }
  } else {
    int32_t *o = mem, cur = 0;
    const int32_t *src = dense;
    int64_t k = 0;
    o[0] = 0;
    for (int64_t i = 0; i < len; i++) {
      if (!valid || pq_bit_get(valid, i)) cur = src[k++];
      o[i + 1] = cur;
    }
  }
  return mem;
}

static parq_status build_primitive(const ctx *c, const pq_node *n, int R, int D,
                                   struct ArrowArray *out) {
  int li = n->leaf_begin;
  const pq_leaf *leaf = &c->s->leaves[li];
  pq_leaf_batch *b = &c->batches[li];
  int64_t *slots = NULL, len = 0;
  PARQ_TRY(slots_of(c, li, R, D, &slots, &len));
  const uint16_t *def = leaf->max_def ? (const uint16_t *)b->def.data : NULL;
  uint16_t md = (uint16_t)leaf->max_def;
  /* validity */
  int64_t nulls = 0;
  uint8_t *valid = NULL;
  if (def) {
    if (!slots) nulls = len - pq_count_eq_u16(def, len, md); /* flat: slots are levels */
    else
      for (int64_t i = 0; i < len; i++) nulls += def[SLOT(i)] != md;
    if (nulls) {
      valid = calloc((size_t)(len + 8) / 8 + 1, 1);
      if (!valid) goto oom;
      for (int64_t i = 0; i < len; i++)
        if (def[SLOT(i)] == md) pq_bit_set(valid, i);
    }
  }
  if (len - nulls != b->n_values) {
    free(slots);
    free(valid);
    return parq_err_set(c->err, PARQ_ECORRUPT, "column '%s': %lld values for %lld defined slots",
                        leaf->path, (long long)b->n_values, (long long)(len - nulls));
  }
  const char *f = n->arrow_format;
  pq_arrow_type t;
  if (pq_arrow_parse_format(f, &t, c->err)) {
    free(slots);
    free(valid);
    return c->err ? c->err->code : PARQ_EINTERNAL;
  }
  free(slots);
  slots = NULL;
  if (t.kind == PQA_NULL) {
    free(valid);
    return pq_arrow_array_make(out, len, len, 0, NULL, 0, NULL) ? parq_err_set(c->err, PARQ_ENOMEM, "out of memory") : PARQ_OK;
  }
  int64_t nv = b->n_values;
  if (t.kind == PQA_UTF8_VIEW || t.kind == PQA_BINARY_VIEW) {
    if (!b->views) {
      free(valid);
      return parq_err_set(c->err, PARQ_EINTERNAL, "column '%s': Arrow '%s' without decoded views", leaf->path,
                          n->arrow_format);
    }
    /* Dense views spread over the slots; null slots get an empty view. */
    uint8_t *views;
    if (!valid && len == nv && b->values.len) {
      views = parq_buf_detach(&b->values);
    } else {
      views = calloc((size_t)(len > 0 ? len : 1), 16);
      if (!views) goto oom;
      for (int64_t i = 0, k = 0; i < len && k < nv; i++)
        if (!valid || pq_bit_get(valid, i)) memcpy(views + 16 * i, b->values.data + 16 * k++, 16);
    }
    int nb = (int)(b->blobs.len / sizeof(pq_blob *));
    pq_blob **blobs = (pq_blob **)parq_buf_detach(&b->blobs); /* the references move along */
    return pq_arrow_array_make_views(out, len, nulls, valid, views, blobs, nb)
               ? parq_err_set(c->err, PARQ_ENOMEM, "out of memory")
               : PARQ_OK;
  }
  bool large = t.kind == PQA_LARGE_UTF8 || t.kind == PQA_LARGE_BINARY;
  if (large || t.kind == PQA_UTF8 || t.kind == PQA_BINARY) {
    if (large != b->wide) {
      free(valid);
      return parq_err_set(c->err, PARQ_EINTERNAL, "column '%s': %s offsets for Arrow '%s'", leaf->path,
                          b->wide ? "int64" : "int32", n->arrow_format);
    }
    /* Arrow offsets: a leading 0, and null slots repeat the previous end.
     * The data buffer is handed over as is. */
    void *offs = expand_offsets(b->offsets.data, valid, len, b->wide);
    if (!offs) goto oom;
    void *data = parq_buf_detach(&b->data);
    if (!data) data = malloc(1);
    void *bufs[3] = {valid, offs, data};
    if (!data) {
      free(offs);
      goto oom;
    }
    return pq_arrow_array_make(out, len, nulls, 3, bufs, 0, NULL) ? parq_err_set(c->err, PARQ_ENOMEM, "out of memory") : PARQ_OK;
  }
  /* Fixed-width outputs. */
  int phys = leaf->type;
  size_t in_w = (size_t)pq_leaf_value_width(leaf);
  const uint8_t *in = b->values.data;
  if (t.kind == PQA_BOOL) {
    uint8_t *bits = calloc((size_t)(len + 8) / 8 + 1, 1);
    if (!bits) goto oom;
    int64_t k = 0;
    for (int64_t i = 0; i < len; i++)
      if (!valid || pq_bit_get(valid, i))
        if (in[k++]) pq_bit_set(bits, i);
    void *bufs[2] = {valid, bits};
    return pq_arrow_array_make(out, len, nulls, 2, bufs, 0, NULL) ? parq_err_set(c->err, PARQ_ENOMEM, "out of memory") : PARQ_OK;
  }
  size_t out_w = (size_t)pq_arrow_fixed_width(&t);
  bool same = (out_w == in_w) && t.kind != PQA_DECIMAL && phys != PQ_INT96 && phys != PQ_BYTE_ARRAY;
  if (same && !valid) {
    void *vals = parq_buf_detach(&b->values);
    if (!vals) vals = malloc(1);
    if (!vals) goto oom;
    void *bufs[2] = {NULL, vals};
    return pq_arrow_array_make(out, len, 0, 2, bufs, 0, NULL) ? parq_err_set(c->err, PARQ_ENOMEM, "out of memory") : PARQ_OK;
  }
  uint8_t *dst = calloc((size_t)(len > 0 ? len : 1), out_w);
  if (!dst) goto oom;
  const int32_t *boff = (const int32_t *)b->offsets.data;
  int64_t k = 0;
  for (int64_t i = 0; i < len; i++) {
    if (valid && !pq_bit_get(valid, i)) continue;
    uint8_t *d = dst + (size_t)i * out_w;
    if (k >= nv) break;
    if (t.kind == PQA_DECIMAL) {
      if (phys == PQ_INT32) {
        int32_t v;
        memcpy(&v, in + 4 * k, 4);
        int64_t w = v;
        memcpy(d, &w, 8);
        memset(d + 8, w < 0 ? 0xFF : 0, out_w - 8);
      } else if (phys == PQ_INT64) {
        int64_t w;
        memcpy(&w, in + 8 * k, 8);
        memcpy(d, &w, 8);
        memset(d + 8, w < 0 ? 0xFF : 0, out_w - 8);
      } else if (phys == PQ_BYTE_ARRAY) {
        int32_t s0 = k ? boff[k - 1] : 0, s1 = boff[k];
        size_t l = (size_t)(s1 - s0);
        if (l > out_w) {
          free(dst);
          free(valid);
          return parq_err_set(c->err, PARQ_ECORRUPT, "column '%s': decimal of %zu bytes exceeds %zu", leaf->path, l, out_w);
        }
        be_to_le_decimal(b->data.data + s0, l, d, out_w);
      } else { /* FLBA */
        if (in_w > out_w) {
          free(dst);
          free(valid);
          return parq_err_set(c->err, PARQ_ECORRUPT, "column '%s': decimal of %zu bytes exceeds %zu", leaf->path, in_w, out_w);
        }
        be_to_le_decimal(in + in_w * k, in_w, d, out_w);
      }
    } else if (phys == PQ_INT96) {
      /* 8 bytes nanoseconds-of-day + 4 bytes Julian day -> microseconds since epoch. */
      uint64_t nanos;
      int32_t jd;
      memcpy(&nanos, in + 12 * k, 8);
      memcpy(&jd, in + 12 * k + 8, 4);
      /* Wrapping arithmetic: garbage days must not be undefined behaviour. */
      int64_t us = (int64_t)((uint64_t)((int64_t)jd - 2440588) * 86400000000ULL + nanos / 1000);
      memcpy(d, &us, 8);
    } else if (out_w == in_w) {
      memcpy(d, in + in_w * k, in_w);
    } else if (in_w == 4 && out_w == 1) {
      d[0] = in[4 * k];
    } else if (in_w == 4 && out_w == 2) {
      memcpy(d, in + 4 * k, 2);
    } else {
      free(dst);
      free(valid);
      return parq_err_set(c->err, PARQ_EINTERNAL, "column '%s': no conversion from physical type %d to Arrow '%s'",
                          leaf->path, phys, f);
    }
    k++;
  }
  void *bufs[2] = {valid, dst};
  return pq_arrow_array_make(out, len, nulls, 2, bufs, 0, NULL) ? parq_err_set(c->err, PARQ_ENOMEM, "out of memory") : PARQ_OK;
oom:
  free(slots);
  free(valid);
  return parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory");
}

/* ---------------- struct ---------------- */
static parq_status build_struct_children(const ctx *c, const pq_node *n, int R, int D, int64_t len,
                                         struct ArrowArray *kids, int *nk) {
  *nk = 0;
  for (int i = 0; i < n->n_children; i++) {
    const pq_node *ch = n->children[i];
    if (!node_selected(c, ch)) continue;
    parq_status st = build(c, ch, R, D, &kids[*nk]);
    if (st) return st;
    (*nk)++;
    if (kids[*nk - 1].length != len)
      return parq_err_set(c->err, PARQ_ECORRUPT, "field '%s' has %lld entries but its parent has %lld (columns of unequal length)",
                          ch->name, (long long)kids[*nk - 1].length, (long long)len);
  }
  return PARQ_OK;
}

static parq_status build_struct(const ctx *c, const pq_node *n, int R, int D, struct ArrowArray *out) {
  int li = first_leaf(c, n);
  const pq_leaf *leaf = &c->s->leaves[li];
  pq_leaf_batch *b = &c->batches[li];
  int64_t *slots = NULL, len = 0;
  PARQ_TRY(slots_of(c, li, R, D, &slots, &len));
  uint8_t *valid = NULL;
  int64_t nulls = 0;
  if (n->nullable || n->def_level > D) {
    const uint16_t *def = leaf->max_def ? (const uint16_t *)b->def.data : NULL;
    if (def) {
      for (int64_t i = 0; i < len; i++) nulls += def[SLOT(i)] < n->def_level;
      if (nulls) {
        valid = calloc((size_t)(len + 8) / 8 + 1, 1);
        if (!valid) {
          free(slots);
          return parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory");
        }
        for (int64_t i = 0; i < len; i++)
          if (def[SLOT(i)] >= n->def_level) pq_bit_set(valid, i);
      }
    }
  }
  free(slots);
  struct ArrowArray *kids = calloc((size_t)(n->n_children > 0 ? n->n_children : 1), sizeof *kids);
  if (!kids) {
    free(valid);
    return parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory");
  }
  int nk = 0;
  parq_status st = build_struct_children(c, n, R, D, len, kids, &nk);
  if (st) {
    for (int i = 0; i < nk; i++) pq_arrow_array_release(&kids[i]);
    free(kids);
    free(valid);
    return st;
  }
  void *bufs[1] = {valid};
  st = pq_arrow_array_make(out, len, nulls, 1, bufs, nk, kids);
  free(kids);
  return st ? parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory") : PARQ_OK;
}

/* ---------------- list / map ---------------- */
static parq_status build_list(const ctx *c, const pq_node *n, int R, int D, struct ArrowArray *out) {
  int li = first_leaf(c, n);
  const pq_leaf *leaf = &c->s->leaves[li];
  pq_leaf_batch *b = &c->batches[li];
  int64_t *slots = NULL, len = 0;
  PARQ_TRY(slots_of(c, li, R, D, &slots, &len));
  const uint16_t *def = leaf->max_def ? (const uint16_t *)b->def.data : NULL;
  const uint16_t *rep = leaf->max_rep ? (const uint16_t *)b->rep.data : NULL;
  int32_t *offs = malloc((size_t)(len + 1) * 4);
  uint8_t *valid = NULL;
  int64_t nulls = 0;
  if (!offs) {
    free(slots);
    return parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory");
  }
  int LR = n->list_rep_level, LD = n->rep_def_level;
  int64_t total = 0;
  offs[0] = 0;
  for (int64_t i = 0; i < len; i++) {
    int64_t p = SLOT(i);
    int dv = def ? def[p] : LD;
    if (dv < n->def_level) {
      if (!valid) {
        valid = malloc((size_t)(len + 8) / 8 + 1);
        if (!valid) {
          free(slots);
          free(offs);
          return parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory");
        }
        memset(valid, 0xFF, (size_t)(len + 8) / 8 + 1);
      }
      pq_bit_clear(valid, i);
      nulls++;
    } else if (dv >= LD) {
      /* Elements start at p and at every later position with rep <= LR, up to
       * the next boundary of this context (rep <= R; it need not be a slot). */
      int64_t cnt = 1;
      if (rep)
        for (int64_t q = p + 1; q < b->n_levels && rep[q] > R; q++) cnt += rep[q] <= LR;
      total += cnt;
      if (total > INT32_MAX) {
        free(slots);
        free(offs);
        free(valid);
        return parq_err_set(c->err, PARQ_ENOMEM, "list '%s' has more than 2^31 elements in one batch", n->name);
      }
    }
    offs[i + 1] = (int32_t)total;
  }
  free(slots);
  struct ArrowArray child;
  parq_status st;
  if (n->kind == PQ_NODE_MAP) {
    /* entries struct (no validity) with key and value */
    struct ArrowArray kids[2];
    int nk = 0;
    st = PARQ_OK;
    for (int i = 0; i < n->n_children && !st; i++) {
      st = build(c, n->children[i], LR, LD, &kids[nk]);
      if (!st) {
        nk++;
        if (kids[nk - 1].length != total)
          st = parq_err_set(c->err, PARQ_ECORRUPT, "map '%s': %lld entries but %lld %s values", n->name, (long long)total,
                            (long long)kids[nk - 1].length, i ? "value" : "key");
      }
    }
    if (!st) {
      void *eb[1] = {NULL};
      st = pq_arrow_array_make(&child, total, 0, 1, eb, nk, kids);
      if (st) st = parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory");
    } else {
      for (int i = 0; i < nk; i++) pq_arrow_array_release(&kids[i]);
    }
  } else {
    st = build(c, n->children[0], LR, LD, &child);
    if (!st && child.length != total) {
      pq_arrow_array_release(&child);
      st = parq_err_set(c->err, PARQ_ECORRUPT, "list '%s': offsets say %lld elements but the element column has %lld",
                        n->name, (long long)total, (long long)child.length);
    }
  }
  if (st) {
    free(offs);
    free(valid);
    return st;
  }
  void *bufs[2] = {valid, offs};
  st = pq_arrow_array_make(out, len, nulls, 2, bufs, 1, &child);
  return st ? parq_err_set(c->err, PARQ_ENOMEM, "assemble: out of memory") : PARQ_OK;
}

static parq_status build(const ctx *c, const pq_node *n, int R, int D, struct ArrowArray *out) {
  switch (n->kind) {
    case PQ_NODE_PRIMITIVE: return build_primitive(c, n, R, D, out);
    case PQ_NODE_STRUCT: return build_struct(c, n, R, D, out);
    case PQ_NODE_LIST:
    case PQ_NODE_MAP: return build_list(c, n, R, D, out);
  }
  return parq_err_set(c->err, PARQ_EINTERNAL, "assemble: bad node kind");
}

parq_status pq_assemble_node(const pq_schema *s, const pq_node *n, pq_leaf_batch *batches,
                             const uint8_t *leaf_mask, struct ArrowArray *out, parq_error *err) {
  ctx c = {s, batches, leaf_mask, err};
  return build(&c, n, 0, 0, out);
}

parq_status pq_projected_schema(const pq_node *n, const uint8_t *mask, struct ArrowSchema *out,
                                parq_error *err) {
  if (n->kind != PQ_NODE_STRUCT || node_fully_selected(mask, n))
    return pq_schema_node_to_arrow(n, out, err);
  int nk = 0;
  for (int i = 0; i < n->n_children; i++) {
    const pq_node *ch = n->children[i];
    for (int j = ch->leaf_begin; j < ch->leaf_end; j++)
      if (mask[j]) {
        nk++;
        break;
      }
  }
  const char *name = n->name;
  if (n->parent && n->parent->kind == PQ_NODE_LIST) name = "element";
  if (pq_arrow_schema_init(out, "+s", name, n->nullable ? ARROW_FLAG_NULLABLE : 0, nk))
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int k = 0;
  for (int i = 0; i < n->n_children; i++) {
    const pq_node *ch = n->children[i];
    bool sel = false;
    for (int j = ch->leaf_begin; j < ch->leaf_end && !sel; j++) sel = mask[j];
    if (!sel) continue;
    parq_status st = pq_projected_schema(ch, mask, out->children[k++], err);
    if (st) {
      pq_arrow_schema_release(out);
      return st;
    }
  }
  return PARQ_OK;
}
