/* rowcodec.c — row-at-a-time serialization of Arrow struct batches (the
 * shuffle's spill format) and the builders that rebuild Arrow batches from
 * encoded rows. Format: see repack_internal.h. Decoding validates every
 * length against the remaining bytes, so a damaged spill file gives an error,
 * never an out-of-bounds read. */
#include <stdlib.h>
#include <string.h>

#include "dataset/repack_internal.h"
#include "util/error.h"

#define MAX_DEPTH 64

/* ---------------- plan / builders ---------------- */

static parq_status node_init(pq_rnode *n, const struct ArrowSchema *s, const char *path,
                             int depth, parq_error *err) {
  memset(n, 0, sizeof *n);
  if (depth > MAX_DEPTH) return parq_err_set(err, PARQ_EUNSUPPORTED, "column '%s': nested too deeply", path);
  if (s->dictionary)
    return parq_err_set(err, PARQ_EUNSUPPORTED, "column '%s': dictionary-encoded arrays are not supported by repack", path);
  PARQ_TRY(pq_arrow_parse_format(s->format, &n->t, err));
  n->width = pq_arrow_fixed_width(&n->t);
  switch (n->t.kind) {
    case PQA_BINARY_VIEW: case PQA_UTF8_VIEW: case PQA_UNSUPPORTED:
      return parq_err_set(err, PARQ_EUNSUPPORTED, "column '%s': Arrow type '%s' is not supported by repack",
                          path, s->format);
    default: break;
  }
  int nk = (int)s->n_children;
  int need = (n->t.kind == PQA_LIST || n->t.kind == PQA_LARGE_LIST || n->t.kind == PQA_FIXED_LIST ||
              n->t.kind == PQA_MAP) ? 1 : -1;
  if (need > 0 && nk != 1) return parq_err_set(err, PARQ_EINVAL, "column '%s': list type needs one child", path);
  if (n->t.kind != PQA_STRUCT && need < 0 && nk != 0)
    return parq_err_set(err, PARQ_EINVAL, "column '%s': unexpected children", path);
  if (nk > 0) {
    n->kids = calloc((size_t)nk, sizeof *n->kids);
    if (!n->kids) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    n->n_kids = nk;
    for (int i = 0; i < nk; i++) {
      char sub[256];
      snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", s->children[i]->name ? s->children[i]->name : "");
      PARQ_TRY(node_init(&n->kids[i], s->children[i], sub, depth + 1, err));
    }
  }
  /* Offsets start with a 0 entry. */
  if (n->t.kind == PQA_UTF8 || n->t.kind == PQA_BINARY || n->t.kind == PQA_LIST || n->t.kind == PQA_MAP) {
    int32_t z = 0;
    if (parq_buf_append(&n->offs, &z, 4)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  } else if (n->t.kind == PQA_LARGE_UTF8 || n->t.kind == PQA_LARGE_BINARY || n->t.kind == PQA_LARGE_LIST) {
    int64_t z = 0;
    if (parq_buf_append(&n->offs, &z, 8)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  return PARQ_OK;
}

parq_status pq_rnode_init(pq_rnode *n, const struct ArrowSchema *s, parq_error *err) {
  if (!s || !s->format || strcmp(s->format, "+s"))
    return parq_err_set(err, PARQ_EINVAL, "repack: top-level schema must be a struct");
  parq_status st = node_init(n, s, "", 0, err);
  if (st) pq_rnode_free(n);
  return st;
}

void pq_rnode_free(pq_rnode *n) {
  if (!n) return;
  for (int i = 0; i < n->n_kids; i++) pq_rnode_free(&n->kids[i]);
  free(n->kids);
  parq_buf_free(&n->valid);
  parq_buf_free(&n->data);
  parq_buf_free(&n->offs);
  memset(n, 0, sizeof *n);
}

/* ---------------- encode ---------------- */

static inline int is_valid(const struct ArrowArray *a, int64_t j) {
  const uint8_t *v = a->n_buffers > 0 ? (const uint8_t *)a->buffers[0] : NULL;
  return !v || ((v[j >> 3] >> (j & 7)) & 1);
}

static parq_status put_u32(parq_buf *out, uint64_t v, parq_error *err) {
  if (v > UINT32_MAX) return parq_err_set(err, PARQ_EUNSUPPORTED, "repack: value of %llu bytes/items is too large", (unsigned long long)v);
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  if (parq_buf_append(out, b, 4)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}

/* Encode logical element i of array a (node n). */
static parq_status enc(const pq_rnode *n, const struct ArrowArray *a, int64_t i, parq_buf *out,
                       parq_error *err) {
  if (n->t.kind == PQA_NULL) return PARQ_OK;
  int64_t j = a->offset + i;
  uint8_t v = (uint8_t)is_valid(a, j);
  if (parq_buf_append_byte(out, v)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (!v) return PARQ_OK;
  switch (n->t.kind) {
    case PQA_BOOL: {
      const uint8_t *bits = a->buffers[1];
      return parq_buf_append_byte(out, (bits[j >> 3] >> (j & 7)) & 1) ? parq_err_set(err, PARQ_ENOMEM, "out of memory") : PARQ_OK;
    }
    case PQA_UTF8: case PQA_BINARY: case PQA_LARGE_UTF8: case PQA_LARGE_BINARY: {
      int64_t s, e;
      if (n->t.kind == PQA_UTF8 || n->t.kind == PQA_BINARY) {
        const int32_t *o = a->buffers[1];
        s = o[j], e = o[j + 1];
      } else {
        const int64_t *o = a->buffers[1];
        s = o[j], e = o[j + 1];
      }
      if (e < s) return parq_err_set(err, PARQ_ECORRUPT, "repack: negative string length");
      PARQ_TRY(put_u32(out, (uint64_t)(e - s), err));
      if (parq_buf_append(out, (const uint8_t *)a->buffers[2] + s, (size_t)(e - s)))
        return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      return PARQ_OK;
    }
    case PQA_LIST: case PQA_MAP: case PQA_LARGE_LIST: {
      int64_t s, e;
      if (n->t.kind == PQA_LARGE_LIST) {
        const int64_t *o = a->buffers[1];
        s = o[j], e = o[j + 1];
      } else {
        const int32_t *o = a->buffers[1];
        s = o[j], e = o[j + 1];
      }
      if (e < s) return parq_err_set(err, PARQ_ECORRUPT, "repack: negative list length");
      PARQ_TRY(put_u32(out, (uint64_t)(e - s), err));
      for (int64_t k = s; k < e; k++) PARQ_TRY(enc(&n->kids[0], a->children[0], k, out, err));
      return PARQ_OK;
    }
    case PQA_FIXED_LIST:
      for (int64_t k = j * n->t.width; k < (j + 1) * n->t.width; k++)
        PARQ_TRY(enc(&n->kids[0], a->children[0], k, out, err));
      return PARQ_OK;
    case PQA_STRUCT:
      for (int c = 0; c < n->n_kids; c++) PARQ_TRY(enc(&n->kids[c], a->children[c], j, out, err));
      return PARQ_OK;
    default:
      if (parq_buf_append(out, (const uint8_t *)a->buffers[1] + j * n->width, (size_t)n->width))
        return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      return PARQ_OK;
  }
}

parq_status pq_row_encode(const pq_rnode *root, const struct ArrowArray *batch, int64_t i,
                          parq_buf *out, parq_error *err) {
  if (batch->n_children != root->n_kids)
    return parq_err_set(err, PARQ_EINTERNAL, "repack: batch has %lld columns, schema %d",
                        (long long)batch->n_children, root->n_kids);
  int64_t j = batch->offset + i;
  for (int c = 0; c < root->n_kids; c++) PARQ_TRY(enc(&root->kids[c], batch->children[c], j, out, err));
  return PARQ_OK;
}

/* ---------------- decode ---------------- */

typedef struct rd {
  const uint8_t *p, *end;
  parq_error *err;
} rd;

static parq_status short_row(rd *r) {
  return parq_err_set(r->err, PARQ_ECORRUPT, "repack spill: truncated row record");
}

static parq_status oom(rd *r) { return parq_err_set(r->err, PARQ_ENOMEM, "out of memory"); }

static inline parq_status push_valid(pq_rnode *n, int v) {
  int64_t i = n->length;
  if ((i & 7) == 0 && parq_buf_append_byte(&n->valid, 0)) return PARQ_ENOMEM;
  if (v) n->valid.data[i >> 3] |= (uint8_t)(1u << (i & 7));
  else n->null_count++;
  return PARQ_OK;
}

static parq_status push_off(pq_rnode *n, int64_t end, rd *r) {
  if (n->t.kind == PQA_LARGE_UTF8 || n->t.kind == PQA_LARGE_BINARY || n->t.kind == PQA_LARGE_LIST)
    return parq_buf_append(&n->offs, &end, 8) ? oom(r) : PARQ_OK;
  if (end > INT32_MAX)
    return parq_err_set(r->err, PARQ_EUNSUPPORTED, "repack: a batch's column exceeds 2 GiB (use a smaller --row-group-rows)");
  int32_t e = (int32_t)end;
  return parq_buf_append(&n->offs, &e, 4) ? oom(r) : PARQ_OK;
}

static parq_status append_null(pq_rnode *n, rd *r) {
  switch (n->t.kind) {
    case PQA_NULL:
      n->length++, n->null_count++;
      return PARQ_OK;
    case PQA_BOOL:
      if ((n->length & 7) == 0 && parq_buf_append_byte(&n->data, 0)) return oom(r);
      break;
    case PQA_UTF8: case PQA_BINARY: case PQA_LARGE_UTF8: case PQA_LARGE_BINARY:
      PARQ_TRY(push_off(n, (int64_t)n->data.len, r));
      break;
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_MAP:
      PARQ_TRY(push_off(n, n->kids[0].length, r));
      break;
    case PQA_FIXED_LIST:
      for (int32_t k = 0; k < n->t.width; k++) PARQ_TRY(append_null(&n->kids[0], r));
      break;
    case PQA_STRUCT:
      for (int k = 0; k < n->n_kids; k++) PARQ_TRY(append_null(&n->kids[k], r));
      break;
    default:
      if (parq_buf_resize(&n->data, n->data.len + (size_t)n->width)) return oom(r);
      break;
  }
  if (push_valid(n, 0)) return oom(r);
  n->length++;
  return PARQ_OK;
}

static parq_status get_u32(rd *r, uint32_t *v) {
  if (r->end - r->p < 4) return short_row(r);
  *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
  r->p += 4;
  return PARQ_OK;
}

static parq_status dec(pq_rnode *n, rd *r) {
  if (n->t.kind == PQA_NULL) {
    n->length++, n->null_count++;
    return PARQ_OK;
  }
  if (r->p >= r->end) return short_row(r);
  uint8_t v = *r->p++;
  if (v > 1) return parq_err_set(r->err, PARQ_ECORRUPT, "repack spill: bad validity byte %u", v);
  if (!v) return append_null(n, r);
  switch (n->t.kind) {
    case PQA_BOOL: {
      if (r->p >= r->end) return short_row(r);
      uint8_t b = *r->p++;
      if ((n->length & 7) == 0 && parq_buf_append_byte(&n->data, 0)) return oom(r);
      if (b) n->data.data[n->length >> 3] |= (uint8_t)(1u << (n->length & 7));
      break;
    }
    case PQA_UTF8: case PQA_BINARY: case PQA_LARGE_UTF8: case PQA_LARGE_BINARY: {
      uint32_t len;
      PARQ_TRY(get_u32(r, &len));
      if ((size_t)(r->end - r->p) < len) return short_row(r);
      if (parq_buf_append(&n->data, r->p, len)) return oom(r);
      r->p += len;
      PARQ_TRY(push_off(n, (int64_t)n->data.len, r));
      break;
    }
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_MAP: {
      uint32_t cnt;
      PARQ_TRY(get_u32(r, &cnt));
      /* Every element but type null takes >= 1 byte: cap counts of null lists. */
      if (n->kids[0].t.kind != PQA_NULL ? cnt > (size_t)(r->end - r->p) : cnt > (1u << 24))
        return short_row(r);
      for (uint32_t k = 0; k < cnt; k++) PARQ_TRY(dec(&n->kids[0], r));
      PARQ_TRY(push_off(n, n->kids[0].length, r));
      break;
    }
    case PQA_FIXED_LIST:
      for (int32_t k = 0; k < n->t.width; k++) PARQ_TRY(dec(&n->kids[0], r));
      break;
    case PQA_STRUCT:
      for (int k = 0; k < n->n_kids; k++) PARQ_TRY(dec(&n->kids[k], r));
      break;
    default:
      if ((size_t)(r->end - r->p) < (size_t)n->width) return short_row(r);
      if (parq_buf_append(&n->data, r->p, (size_t)n->width)) return oom(r);
      r->p += n->width;
      break;
  }
  if (push_valid(n, 1)) return oom(r);
  n->length++;
  return PARQ_OK;
}

parq_status pq_row_decode(pq_rnode *root, const uint8_t *row, size_t len, parq_error *err) {
  rd r = {row, row + len, err};
  for (int c = 0; c < root->n_kids; c++) PARQ_TRY(dec(&root->kids[c], &r));
  if (r.p != r.end) return parq_err_set(err, PARQ_ECORRUPT, "repack spill: %zu trailing bytes in a row record", (size_t)(r.end - r.p));
  root->length++;
  return PARQ_OK;
}

/* ---------------- finish ---------------- */

/* Detach a buffer, never NULL (consumers may dislike NULL data buffers). */
static void *take(parq_buf *b) {
  if (b->len == 0 && parq_buf_reserve(b, 8)) return NULL;
  return parq_buf_detach(b);
}

static parq_status reset_offsets(pq_rnode *n) {
  int64_t z = 0;
  switch (n->t.kind) {
    case PQA_UTF8: case PQA_BINARY: case PQA_LIST: case PQA_MAP:
      return parq_buf_append(&n->offs, &z, 4);
    case PQA_LARGE_UTF8: case PQA_LARGE_BINARY: case PQA_LARGE_LIST:
      return parq_buf_append(&n->offs, &z, 8);
    default:
      return PARQ_OK;
  }
}

static parq_status finish(pq_rnode *n, struct ArrowArray *out, int top) {
  struct ArrowArray kids[n->n_kids > 0 ? n->n_kids : 1];
  int nk = 0;
  parq_status st = PARQ_OK;
  for (; nk < n->n_kids; nk++)
    if ((st = finish(&n->kids[nk], &kids[nk], 0)) != PARQ_OK) break;
  if (st) {
    for (int i = 0; i < nk; i++) pq_arrow_array_release(&kids[i]);
    return st;
  }
  void *bufs[3] = {NULL, NULL, NULL};
  int nb = 0;
  int64_t len = n->length, nulls = top ? 0 : n->null_count;
  int var = n->t.kind == PQA_UTF8 || n->t.kind == PQA_BINARY || n->t.kind == PQA_LARGE_UTF8 ||
            n->t.kind == PQA_LARGE_BINARY;
  int offs = var || n->t.kind == PQA_LIST || n->t.kind == PQA_LARGE_LIST || n->t.kind == PQA_MAP;
  int oomf = 0;
  if (n->t.kind != PQA_NULL) {
    if (nulls > 0) {
      bufs[0] = parq_buf_detach(&n->valid);
      oomf |= !bufs[0];
    }
    nb = 1;
    if (offs) oomf |= !(bufs[nb++] = take(&n->offs));
    if (var || n->width > 0 || n->t.kind == PQA_BOOL) oomf |= !(bufs[nb++] = take(&n->data));
  }
  n->length = n->null_count = 0;
  n->valid.len = n->data.len = n->offs.len = 0;
  if (reset_offsets(n)) oomf = 1;
  if (oomf) {
    for (int i = 0; i < nb; i++) free(bufs[i]);
    for (int i = 0; i < n->n_kids; i++) pq_arrow_array_release(&kids[i]);
    return PARQ_ENOMEM;
  }
  return pq_arrow_array_make(out, len, nulls, nb, bufs, n->n_kids, kids);
}

parq_status pq_rnode_finish(pq_rnode *root, struct ArrowArray *out, parq_error *err) {
  parq_status st = finish(root, out, 1);
  if (st) return parq_err_set(err, st, "repack: building a batch failed (%s)", parq_strerror(st));
  return PARQ_OK;
}
