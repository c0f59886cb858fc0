/* store_schema.c — schema evolution for the store: which input schemas an
 * increment may have (compatible changes become a new schema version), and
 * the row conversion that brings a batch of an older (or narrower) schema to
 * the target schema. Conversion goes through repack's row codec: each target
 * column is either the source column's encoding, a null, or a widened value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/repack_internal.h"
#include "dataset/store.h"
#include "util/arrow.h"
#include "util/error.h"

static int same_type(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  if (strcmp(a->format, b->format) || a->n_children != b->n_children) return 0;
  if ((!a->dictionary) != (!b->dictionary)) return 0;
  for (int64_t i = 0; i < a->n_children; i++) {
    const char *na = a->children[i]->name ? a->children[i]->name : "";
    const char *nb = b->children[i]->name ? b->children[i]->name : "";
    if (strcmp(na, nb) || !same_type(a->children[i], b->children[i])) return 0;
  }
  return 1;
}

int pq_store_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  return same_type(a, b);
}

static int64_t find_child(const struct ArrowSchema *s, const char *name) {
  for (int64_t i = 0; i < s->n_children; i++)
    if (s->children[i]->name && !strcmp(s->children[i]->name, name)) return i;
  return -1;
}

static int fmt_is(const struct ArrowSchema *s, const char *f) { return !strcmp(s->format, f); }

/* Target format for a column stored as `cur` receiving `in`: NULL when
 * incompatible; *widen = 1 when the store's type must change to it. */
static const struct ArrowSchema *merge_type(const struct ArrowSchema *cur,
                                            const struct ArrowSchema *in, int *widen) {
  *widen = 0;
  if (same_type(cur, in) || fmt_is(in, "n")) return cur;
  if (fmt_is(cur, "n")) {
    *widen = 1;
    return in;
  }
  if (fmt_is(cur, "i") && fmt_is(in, "l")) {
    *widen = 1;
    return in;
  }
  /* JSON inference makes 1 an int64 and 1.5 a double: a numeric column that
   * starts out integral may become double (exact below 2^53). */
  if ((fmt_is(cur, "f") || fmt_is(cur, "i") || fmt_is(cur, "l")) && fmt_is(in, "g")) {
    *widen = 1;
    return in;
  }
  if (fmt_is(cur, "l") && fmt_is(in, "i")) return cur;
  if (fmt_is(cur, "g") && (fmt_is(in, "f") || fmt_is(in, "i") || fmt_is(in, "l"))) return cur;
  return NULL;
}

parq_status pq_store_schema_merge(const struct ArrowSchema *cur, const struct ArrowSchema *in,
                                  struct ArrowSchema *out, int *changed, parq_error *err) {
  memset(out, 0, sizeof *out);
  *changed = 0;
  if (strcmp(in->format, "+s"))
    return parq_err_set(err, PARQ_ESCHEMA, "input schema is not a struct");
  if (!cur || !cur->release || cur->n_children == 0) {
    *changed = 1;
    if (pq_arrow_schema_copy(in, out)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    return PARQ_OK;
  }
  /* Output: the store's columns in order, then the input's new ones. */
  int64_t n_new = 0;
  for (int64_t i = 0; i < in->n_children; i++) {
    const char *nm = in->children[i]->name ? in->children[i]->name : "";
    if (find_child(cur, nm) < 0) n_new++;
  }
  for (int64_t i = 0; i < cur->n_children; i++) {
    const struct ArrowSchema *c = cur->children[i];
    int64_t k = find_child(in, c->name ? c->name : "");
    if (k < 0) {
      if (!(c->flags & ARROW_FLAG_NULLABLE))
        return parq_err_set(err, PARQ_ESCHEMA,
                            "column '%s' is required by the store schema but missing from the "
                            "input", c->name);
      continue;
    }
    int w;
    if (!merge_type(c, in->children[k], &w))
      return parq_err_set(err, PARQ_ESCHEMA,
                          "column '%s': input type '%s' is incompatible with the store's type "
                          "'%s' (compatible changes: new nullable columns, int32->int64, "
                          "float->double)", c->name, in->children[k]->format, c->format);
  }
  if (pq_arrow_schema_init(out, "+s", "", 0, cur->n_children + n_new))
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int64_t o = 0;
  parq_status st = PARQ_OK;
  for (int64_t i = 0; i < cur->n_children && !st; i++, o++) {
    const struct ArrowSchema *c = cur->children[i];
    int64_t k = find_child(in, c->name ? c->name : "");
    int w = 0;
    const struct ArrowSchema *t = k < 0 ? c : merge_type(c, in->children[k], &w);
    if (w) *changed = 1;
    pq_arrow_schema_release(out->children[o]);
    if (pq_arrow_schema_copy(t, out->children[o])) st = PARQ_ENOMEM;
    else if (w) {
      /* Keep the store's name and nullability with the wider type. */
      out->children[o]->flags = c->flags | (t->flags & ARROW_FLAG_NULLABLE);
    }
  }
  for (int64_t i = 0; i < in->n_children && !st; i++) {
    const struct ArrowSchema *c = in->children[i];
    if (find_child(cur, c->name ? c->name : "") >= 0) continue;
    *changed = 1;
    pq_arrow_schema_release(out->children[o]);
    if (pq_arrow_schema_copy(c, out->children[o])) st = PARQ_ENOMEM;
    else out->children[o]->flags |= ARROW_FLAG_NULLABLE; /* older rows have no value */
    o++;
  }
  if (st) {
    pq_arrow_schema_release(out);
    return parq_err_set(err, st, "out of memory");
  }
  return PARQ_OK;
}

/* ---------------- row conversion ---------------- */

typedef enum { CV_COPY, CV_NULL, CV_I32_I64, CV_F32_F64, CV_I32_F64, CV_I64_F64 } cv_kind;

struct pq_conform {
  pq_rnode src, dst;
  int identity;
  int n_cols;
  cv_kind *kind;
  int *src_col;
  parq_buf row;
  int64_t bytes;
};

static cv_kind conv_for(const struct ArrowSchema *s, const struct ArrowSchema *d) {
  if (same_type(s, d)) return CV_COPY;
  if (fmt_is(s, "n")) return CV_NULL;
  if (fmt_is(s, "i") && fmt_is(d, "l")) return CV_I32_I64;
  if (fmt_is(s, "f") && fmt_is(d, "g")) return CV_F32_F64;
  if (fmt_is(s, "i") && fmt_is(d, "g")) return CV_I32_F64;
  if (fmt_is(s, "l") && fmt_is(d, "g")) return CV_I64_F64;
  return (cv_kind)-1;
}

parq_status pq_conform_open(const struct ArrowSchema *src, const struct ArrowSchema *dst,
                            pq_conform **out, parq_error *err) {
  *out = NULL;
  pq_conform *c = calloc(1, sizeof *c);
  if (!c) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  c->n_cols = (int)dst->n_children;
  c->kind = calloc((size_t)c->n_cols + 1, sizeof *c->kind);
  c->src_col = calloc((size_t)c->n_cols + 1, sizeof *c->src_col);
  parq_status st = PARQ_OK;
  if (!c->kind || !c->src_col) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (!st) st = pq_rnode_init(&c->src, src, err);
  if (!st) st = pq_rnode_init(&c->dst, dst, err);
  c->identity = src->n_children == dst->n_children;
  for (int i = 0; !st && i < c->n_cols; i++) {
    const struct ArrowSchema *d = dst->children[i];
    int64_t k = find_child(src, d->name ? d->name : "");
    c->src_col[i] = (int)k;
    if (k < 0) {
      if (!(d->flags & ARROW_FLAG_NULLABLE))
        st = parq_err_set(err, PARQ_ESCHEMA, "column '%s' is missing and not nullable", d->name);
      c->kind[i] = CV_NULL;
      c->identity = 0;
      continue;
    }
    c->kind[i] = conv_for(src->children[k], d);
    if ((int)c->kind[i] < 0)
      st = parq_err_set(err, PARQ_ESCHEMA, "column '%s': cannot convert '%s' to '%s'", d->name,
                        src->children[k]->format, d->format);
    if (k != i || c->kind[i] != CV_COPY) c->identity = 0;
  }
  if (st) {
    pq_conform_close(c);
    return st;
  }
  *out = c;
  return PARQ_OK;
}

int pq_conform_identity(const pq_conform *c) { return c->identity; }
int64_t pq_conform_rows(const pq_conform *c) { return pq_rnode_rows(&c->dst); }
int64_t pq_conform_bytes(const pq_conform *c) { return c->bytes; }

void pq_conform_close(pq_conform *c) {
  if (!c) return;
  pq_rnode_free(&c->src);
  pq_rnode_free(&c->dst);
  parq_buf_free(&c->row);
  free(c->kind);
  free(c->src_col);
  free(c);
}

static parq_status widen(const struct ArrowArray *col, int64_t j, cv_kind k, parq_buf *out) {
  if (!pq_arrow_is_valid(col, j)) return parq_buf_append_byte(out, 0);
  int64_t at = col->offset + j;
  uint8_t v[9];
  v[0] = 1;
  switch (k) {
    case CV_I32_I64: {
      int64_t x = ((const int32_t *)col->buffers[1])[at];
      memcpy(v + 1, &x, 8);
      break;
    }
    case CV_F32_F64: {
      double x = ((const float *)col->buffers[1])[at];
      memcpy(v + 1, &x, 8);
      break;
    }
    case CV_I32_F64: {
      double x = ((const int32_t *)col->buffers[1])[at];
      memcpy(v + 1, &x, 8);
      break;
    }
    default: {
      double x = (double)((const int64_t *)col->buffers[1])[at];
      memcpy(v + 1, &x, 8);
      break;
    }
  }
  return parq_buf_append(out, v, 9);
}

parq_status pq_conform_row(pq_conform *c, const struct ArrowArray *batch, int64_t i,
                           parq_error *err) {
  parq_buf_clear(&c->row);
  if (c->identity) {
    PARQ_TRY(pq_row_encode(&c->src, batch, i, &c->row, err));
  } else {
    int64_t j = batch->offset + i;
    for (int t = 0; t < c->n_cols; t++) {
      int s = c->src_col[t];
      parq_status st = PARQ_OK;
      if (c->kind[t] == CV_NULL) {
        st = parq_buf_append_byte(&c->row, 0);
      } else if (c->kind[t] == CV_COPY) {
        /* Encode just column s: a one-child view of the root and the batch. */
        pq_rnode one = c->src;
        one.kids = &c->src.kids[s];
        one.n_kids = 1;
        struct ArrowArray view = *batch;
        view.n_children = 1;
        view.children = &batch->children[s];
        st = pq_row_encode(&one, &view, i, &c->row, err);
      } else {
        st = widen(batch->children[s], j, c->kind[t], &c->row);
      }
      if (st) return st == PARQ_ENOMEM ? parq_err_set(err, st, "out of memory") : st;
    }
  }
  c->bytes += (int64_t)c->row.len;
  return pq_row_decode(&c->dst, c->row.data, c->row.len, err);
}

parq_status pq_conform_finish(pq_conform *c, struct ArrowArray *out, parq_error *err) {
  c->bytes = 0;
  return pq_rnode_finish(&c->dst, out, err);
}
