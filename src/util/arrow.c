/* arrow.c — Arrow C Data Interface helpers: format parsing, owned schemas and
 * arrays with release callbacks. */
#include "util/arrow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static int parse_unit(char c, pq_arrow_unit *u) {
  switch (c) {
    case 's': *u = PQA_SECOND; return 1;
    case 'm': *u = PQA_MILLI; return 1;
    case 'u': *u = PQA_MICRO; return 1;
    case 'n': *u = PQA_NANO; return 1;
  }
  return 0;
}

parq_status pq_arrow_parse_format(const char *f, pq_arrow_type *t, parq_error *err) {
  memset(t, 0, sizeof *t);
  t->kind = PQA_UNSUPPORTED;
  if (!f || !*f) return parq_err_set(err, PARQ_EINVAL, "empty Arrow format string");
  if (f[1] == 0) {
    switch (f[0]) {
      case 'n': t->kind = PQA_NULL; return PARQ_OK;
      case 'b': t->kind = PQA_BOOL; return PARQ_OK;
      case 'c': t->kind = PQA_INT8; return PARQ_OK;
      case 'C': t->kind = PQA_UINT8; return PARQ_OK;
      case 's': t->kind = PQA_INT16; return PARQ_OK;
      case 'S': t->kind = PQA_UINT16; return PARQ_OK;
      case 'i': t->kind = PQA_INT32; return PARQ_OK;
      case 'I': t->kind = PQA_UINT32; return PARQ_OK;
      case 'l': t->kind = PQA_INT64; return PARQ_OK;
      case 'L': t->kind = PQA_UINT64; return PARQ_OK;
      case 'e': t->kind = PQA_FLOAT16; return PARQ_OK;
      case 'f': t->kind = PQA_FLOAT32; return PARQ_OK;
      case 'g': t->kind = PQA_FLOAT64; return PARQ_OK;
      case 'z': t->kind = PQA_BINARY; return PARQ_OK;
      case 'Z': t->kind = PQA_LARGE_BINARY; return PARQ_OK;
      case 'u': t->kind = PQA_UTF8; return PARQ_OK;
      case 'U': t->kind = PQA_LARGE_UTF8; return PARQ_OK;
    }
  }
  if (!strcmp(f, "vz")) { t->kind = PQA_BINARY_VIEW; return PARQ_OK; }
  if (!strcmp(f, "vu")) { t->kind = PQA_UTF8_VIEW; return PARQ_OK; }
  if (!strcmp(f, "+l")) { t->kind = PQA_LIST; return PARQ_OK; }
  if (!strcmp(f, "+L")) { t->kind = PQA_LARGE_LIST; return PARQ_OK; }
  if (!strcmp(f, "+s")) { t->kind = PQA_STRUCT; return PARQ_OK; }
  if (!strcmp(f, "+m")) { t->kind = PQA_MAP; return PARQ_OK; }
  if (!strncmp(f, "+w:", 3)) {
    t->kind = PQA_FIXED_LIST;
    t->width = atoi(f + 3);
    return PARQ_OK;
  }
  if (!strncmp(f, "w:", 2)) {
    t->kind = PQA_FIXED_BINARY;
    t->width = atoi(f + 2);
    if (t->width <= 0) return parq_err_set(err, PARQ_EINVAL, "bad Arrow format '%s'", f);
    return PARQ_OK;
  }
  if (!strncmp(f, "d:", 2)) {
    int p = 0, s = 0, bits = 128;
    int n = sscanf(f + 2, "%d,%d,%d", &p, &s, &bits);
    if (n < 2 || p <= 0 || (bits != 128 && bits != 256 && bits != 32 && bits != 64))
      return parq_err_set(err, PARQ_EINVAL, "bad Arrow decimal format '%s'", f);
    t->kind = PQA_DECIMAL;
    t->precision = p;
    t->scale = s;
    t->width = bits;
    return PARQ_OK;
  }
  if (!strcmp(f, "tdD")) { t->kind = PQA_DATE32; return PARQ_OK; }
  if (!strcmp(f, "tdm")) { t->kind = PQA_DATE64; return PARQ_OK; }
  if (f[0] == 't' && f[1] == 't' && f[2] && !f[3] && parse_unit(f[2], &t->unit)) {
    t->kind = (t->unit == PQA_SECOND || t->unit == PQA_MILLI) ? PQA_TIME32 : PQA_TIME64;
    return PARQ_OK;
  }
  if (f[0] == 't' && f[1] == 's' && f[2] && f[3] == ':' && parse_unit(f[2], &t->unit)) {
    t->kind = PQA_TIMESTAMP;
    const char *tz = f + 4;
    t->has_tz = *tz != 0;
    t->is_utc = !strcmp(tz, "UTC") || !strcmp(tz, "+00:00") || !strcmp(tz, "Etc/UTC") ||
                !strcmp(tz, "Z") || !strcmp(tz, "utc");
    return PARQ_OK;
  }
  if (f[0] == 't' && f[1] == 'D' && f[2] && !f[3] && parse_unit(f[2], &t->unit)) {
    t->kind = PQA_DURATION;
    return PARQ_OK;
  }
  return parq_err_set(err, PARQ_EUNSUPPORTED, "unsupported Arrow format '%s'", f);
}

int pq_arrow_fixed_width(const pq_arrow_type *t) {
  switch (t->kind) {
    case PQA_INT8: case PQA_UINT8: return 1;
    case PQA_INT16: case PQA_UINT16: case PQA_FLOAT16: return 2;
    case PQA_INT32: case PQA_UINT32: case PQA_FLOAT32: case PQA_DATE32: case PQA_TIME32: return 4;
    case PQA_INT64: case PQA_UINT64: case PQA_FLOAT64: case PQA_DATE64: case PQA_TIME64:
    case PQA_TIMESTAMP: case PQA_DURATION: return 8;
    case PQA_FIXED_BINARY: return t->width;
    case PQA_DECIMAL: return t->width / 8;
    default: return 0;
  }
}

/* ---------------- schemas ---------------- */
typedef struct schema_priv {
  char *format, *name, *metadata;
  struct ArrowSchema **children;
} schema_priv;

static void schema_release(struct ArrowSchema *s) {
  if (!s || !s->release) return;
  schema_priv *p = s->private_data;
  for (int64_t i = 0; i < s->n_children; i++) {
    struct ArrowSchema *c = s->children[i];
    if (c) {
      if (c->release) c->release(c);
      free(c);
    }
  }
  if (s->dictionary) {
    if (s->dictionary->release) s->dictionary->release(s->dictionary);
    free(s->dictionary);
  }
  if (p) {
    free(p->format);
    free(p->name);
    free(p->metadata);
    free(p->children);
    free(p);
  }
  s->release = NULL;
}

parq_status pq_arrow_schema_init(struct ArrowSchema *out, const char *format, const char *name,
                                 int64_t flags, int64_t n_children) {
  memset(out, 0, sizeof *out);
  schema_priv *p = calloc(1, sizeof *p);
  if (!p) return PARQ_ENOMEM;
  p->format = strdup(format ? format : "n");
  p->name = strdup(name ? name : "");
  if (n_children > 0) p->children = calloc((size_t)n_children, sizeof *p->children);
  if (!p->format || !p->name || (n_children > 0 && !p->children)) goto oom;
  for (int64_t i = 0; i < n_children; i++) {
    p->children[i] = calloc(1, sizeof(struct ArrowSchema));
    if (!p->children[i]) goto oom;
  }
  out->format = p->format;
  out->name = p->name;
  out->flags = flags;
  out->n_children = n_children;
  out->children = p->children;
  out->private_data = p;
  out->release = schema_release;
  return PARQ_OK;
oom:
  if (p->children)
    for (int64_t i = 0; i < n_children; i++) free(p->children[i]);
  free(p->children);
  free(p->format);
  free(p->name);
  free(p);
  return PARQ_ENOMEM;
}

parq_status pq_arrow_schema_set_metadata(struct ArrowSchema *s, const char *const *keys,
                                         const char *const *values, int n) {
  schema_priv *p = s->private_data;
  size_t size = 4;
  for (int i = 0; i < n; i++) size += 8 + strlen(keys[i]) + strlen(values[i]);
  char *m = malloc(size);
  if (!m) return PARQ_ENOMEM;
  char *w = m;
  int32_t v = n;
  memcpy(w, &v, 4);
  w += 4;
  for (int i = 0; i < n; i++) {
    v = (int32_t)strlen(keys[i]);
    memcpy(w, &v, 4);
    memcpy(w + 4, keys[i], (size_t)v);
    w += 4 + v;
    v = (int32_t)strlen(values[i]);
    memcpy(w, &v, 4);
    memcpy(w + 4, values[i], (size_t)v);
    w += 4 + v;
  }
  free(p->metadata);
  p->metadata = m;
  s->metadata = m;
  return PARQ_OK;
}

char *pq_arrow_metadata_get(const char *metadata, const char *key) {
  if (!metadata) return NULL;
  const char *r = metadata;
  int32_t n, kl, vl;
  memcpy(&n, r, 4);
  r += 4;
  size_t klen = strlen(key);
  for (int32_t i = 0; i < n; i++) {
    memcpy(&kl, r, 4);
    const char *k = r + 4;
    r += 4 + kl;
    memcpy(&vl, r, 4);
    const char *val = r + 4;
    r += 4 + vl;
    if ((size_t)kl == klen && !memcmp(k, key, klen)) {
      char *out = malloc((size_t)vl + 1);
      if (!out) return NULL;
      memcpy(out, val, (size_t)vl);
      out[vl] = 0;
      return out;
    }
  }
  return NULL;
}

static size_t metadata_size(const char *metadata) {
  if (!metadata) return 0;
  const char *r = metadata;
  int32_t n, l;
  memcpy(&n, r, 4);
  r += 4;
  for (int32_t i = 0; i < 2 * n; i++) {
    memcpy(&l, r, 4);
    r += 4 + l;
  }
  return (size_t)(r - metadata);
}

parq_status pq_arrow_schema_copy(const struct ArrowSchema *src, struct ArrowSchema *dst) {
  PARQ_TRY(pq_arrow_schema_init(dst, src->format, src->name, src->flags, src->n_children));
  if (src->metadata) {
    size_t n = metadata_size(src->metadata);
    schema_priv *p = dst->private_data;
    p->metadata = malloc(n);
    if (!p->metadata) {
      schema_release(dst);
      return PARQ_ENOMEM;
    }
    memcpy(p->metadata, src->metadata, n);
    dst->metadata = p->metadata;
  }
  for (int64_t i = 0; i < src->n_children; i++) {
    parq_status st = pq_arrow_schema_copy(src->children[i], dst->children[i]);
    if (st) {
      schema_release(dst);
      return st;
    }
  }
  return PARQ_OK;
}

/* ---------------- arrays ---------------- */
typedef struct array_priv {
  void **buffers;
  struct ArrowArray **child_ptrs;
  struct ArrowArray *children;
  int n_buffers, n_children;
  /* view arrays: buffers[2 .. 2+n_blobs) point into blobs, which are
   * unreferenced instead of freed */
  pq_blob **blobs;
  int n_blobs;
} array_priv;

/* The private block itself (its buffers and children are handled by the caller). */
static void priv_free(array_priv *p) {
  if (!p) return;
  free(p->blobs);
  free(p->buffers);
  free(p->children);
  free(p->child_ptrs);
  free(p);
}

static void array_release(struct ArrowArray *a) {
  if (!a || !a->release) return;
  array_priv *p = a->private_data;
  if (p) {
    for (int i = 0; i < p->n_children; i++)
      if (p->children[i].release) p->children[i].release(&p->children[i]);
    for (int i = 0; i < p->n_buffers; i++)
      if (i < 2 || i >= 2 + p->n_blobs) free(p->buffers[i]);
    for (int i = 0; i < p->n_blobs; i++) pq_blob_unref(p->blobs[i]);
    priv_free(p);
  }
  a->release = NULL;
}

/* Point *out at p's buffers and children; p becomes its private data. */
static void publish(struct ArrowArray *out, array_priv *p, int64_t length, int64_t null_count) {
  out->length = length;
  out->null_count = null_count;
  out->offset = 0;
  out->n_buffers = p->n_buffers;
  out->n_children = p->n_children;
  out->buffers = (const void **)p->buffers;
  out->children = p->child_ptrs;
  out->private_data = p;
  out->release = array_release;
}

parq_status pq_arrow_array_make(struct ArrowArray *out, int64_t length, int64_t null_count,
                                int n_buffers, void **buffers, int n_children,
                                struct ArrowArray *children) {
  memset(out, 0, sizeof *out);
  array_priv *p = calloc(1, sizeof *p);
  if (!p) goto fail;
  p->buffers = calloc((size_t)(n_buffers > 0 ? n_buffers : 1), sizeof(void *));
  p->children = calloc((size_t)(n_children > 0 ? n_children : 1), sizeof(struct ArrowArray));
  p->child_ptrs = calloc((size_t)(n_children > 0 ? n_children : 1), sizeof(struct ArrowArray *));
  if (!p->buffers || !p->children || !p->child_ptrs) goto fail;
  p->n_buffers = n_buffers;
  p->n_children = n_children;
  for (int i = 0; i < n_buffers; i++) p->buffers[i] = buffers[i];
  for (int i = 0; i < n_children; i++) {
    p->children[i] = children[i];
    children[i].release = NULL;
    p->child_ptrs[i] = &p->children[i];
  }
  publish(out, p, length, null_count);
  return PARQ_OK;
fail:
  /* Ownership was transferred even on failure: free what we were given. */
  for (int i = 0; i < n_buffers; i++) free(buffers[i]);
  for (int i = 0; i < n_children; i++)
    if (children[i].release) children[i].release(&children[i]);
  priv_free(p);
  return PARQ_ENOMEM;
}

parq_status pq_arrow_array_make_views(struct ArrowArray *out, int64_t length, int64_t null_count,
                                      void *validity, void *views, pq_blob **blobs, int n_blobs) {
  memset(out, 0, sizeof *out);
  int nb = 3 + n_blobs;
  array_priv *p = calloc(1, sizeof *p);
  int64_t *sizes = malloc(sizeof(int64_t) * (size_t)(n_blobs > 0 ? n_blobs : 1));
  if (!p || !sizes) goto fail;
  p->buffers = calloc((size_t)nb, sizeof(void *));
  p->children = calloc(1, sizeof(struct ArrowArray));
  p->child_ptrs = calloc(1, sizeof(struct ArrowArray *));
  if (!p->buffers || !p->children || !p->child_ptrs) goto fail;
  p->n_buffers = nb;
  p->blobs = blobs;
  p->n_blobs = n_blobs;
  p->buffers[0] = validity;
  p->buffers[1] = views;
  for (int i = 0; i < n_blobs; i++) {
    p->buffers[2 + i] = blobs[i]->data;
    sizes[i] = (int64_t)blobs[i]->len;
  }
  p->buffers[nb - 1] = sizes;
  publish(out, p, length, null_count);
  return PARQ_OK;
fail:
  free(validity);
  free(views);
  free(sizes);
  for (int i = 0; i < n_blobs; i++) pq_blob_unref(blobs[i]);
  free(blobs);
  priv_free(p);
  return PARQ_ENOMEM;
}

/* ---------------- shared arrays and zero-copy slices ----------------
 * A holder owns one array; every node of every slice tree made from it holds
 * a reference, so consumers may release slices (or children they moved out)
 * in any order, on any thread. Buffers are never copied. */
typedef struct shared_holder {
  atomic_long refs;
  struct ArrowArray arr;
  int push; /* a struct without validity: slices move the children instead of the top */
} shared_holder;

typedef struct slice_priv {
  shared_holder *h;
  struct ArrowArray *kids;
  struct ArrowArray **kid_ptrs;
  struct ArrowArray dict;
  int n_kids;
  int64_t base; /* top nodes: first row, relative to the holder's array */
} slice_priv;

static void holder_unref(shared_holder *h) {
  if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1) {
    if (h->arr.release) h->arr.release(&h->arr);
    free(h);
  }
}

static void slice_release(struct ArrowArray *a) {
  if (!a || !a->release) return;
  slice_priv *p = a->private_data;
  for (int i = 0; i < p->n_kids; i++)
    if (p->kids[i].release) p->kids[i].release(&p->kids[i]);
  if (p->dict.release) p->dict.release(&p->dict);
  shared_holder *h = p->h;
  free(p->kids);
  free(p->kid_ptrs);
  free(p);
  a->release = NULL;
  holder_unref(h);
}

static int64_t count_nulls(const uint8_t *valid, int64_t off, int64_t len) {
  int64_t set = 0;
  for (int64_t i = 0; i < len; i++) set += pq_bit_get(valid, off + i);
  return len - set;
}

/* Node `src` of h's tree as a slice node; top nodes get [off, off+len). */
static parq_status slice_node(shared_holder *h, const struct ArrowArray *src, int top, int64_t off,
                              int64_t len, struct ArrowArray *out) {
  memset(out, 0, sizeof *out);
  slice_priv *p = calloc(1, sizeof *p);
  if (!p) return PARQ_ENOMEM;
  int nk = (int)src->n_children;
  p->kids = calloc((size_t)(nk > 0 ? nk : 1), sizeof *p->kids);
  p->kid_ptrs = calloc((size_t)(nk > 0 ? nk : 1), sizeof *p->kid_ptrs);
  if (!p->kids || !p->kid_ptrs) {
    free(p->kids);
    free(p->kid_ptrs);
    free(p);
    return PARQ_ENOMEM;
  }
  p->h = h;
  atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
  *out = *src;
  out->children = p->kid_ptrs;
  out->dictionary = NULL;
  out->private_data = p;
  out->release = slice_release;
  if (top) {
    out->offset = src->offset + off;
    out->length = len;
    if (src->null_count == 0) out->null_count = 0;
    else if (src->n_buffers == 0) out->null_count = len;
    else if (!src->buffers[0]) out->null_count = 0;
    else out->null_count = count_nulls(src->buffers[0], out->offset, len);
  }
  parq_status st = PARQ_OK;
  p->base = off;
  /* With push, the top keeps offset 0 and each child is sliced at the rows
   * the top's [offset + off, +len) maps to: naive consumers that ignore
   * the struct's own offset still read the right rows. */
  int push = top && h->push && src == &h->arr; /* the root only */
  if (push) out->offset = src->offset, out->null_count = 0;
  for (int i = 0; i < nk && !st; i++) {
    if (push) st = slice_node(h, src->children[i], 1, src->offset + off, len, &p->kids[i]);
    else st = slice_node(h, src->children[i], 0, 0, 0, &p->kids[i]);
    p->kid_ptrs[i] = &p->kids[i];
    p->n_kids = i + 1;
  }
  if (!st && src->dictionary) {
    st = slice_node(h, src->dictionary, 0, 0, 0, &p->dict);
    if (!st) out->dictionary = &p->dict;
  }
  if (st) slice_release(out);
  return st;
}

parq_status pq_arrow_make_shared(struct ArrowArray *a, int is_struct) {
  shared_holder *h = malloc(sizeof *h);
  if (!h) return PARQ_ENOMEM;
  h->push = is_struct && a->n_buffers >= 1 && !a->buffers[0];
  atomic_init(&h->refs, 1); /* dropped below, once the first slice holds its own */
  h->arr = *a;
  a->release = NULL;
  parq_status st = slice_node(h, &h->arr, 1, 0, h->arr.length, a);
  if (st) { /* give the caller its array back */
    *a = h->arr;
    free(h);
    return st;
  }
  holder_unref(h);
  return PARQ_OK;
}

parq_status pq_arrow_subslice(const struct ArrowArray *a, int64_t off, int64_t len,
                              struct ArrowArray *out) {
  if (a->release != slice_release || off < 0 || len < 0 || off + len > a->length)
    return PARQ_EINVAL;
  const slice_priv *p = a->private_data;
  /* Slice the holder's array at a's own position. */
  return slice_node(p->h, &p->h->arr, 1, p->base + off, len, out);
}
