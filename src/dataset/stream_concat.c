/* stream_concat.c — concatenating slices of Arrow arrays into one owned
 * array (how stream batches span row groups), and measuring an array's
 * buffer bytes (the stream's memory limit). Works on the layouts the reader
 * produces; offsets of lists / strings are rebased, validity is re-packed. */
#include <stdlib.h>
#include <string.h>

#include "dataset/stream_internal.h"
#include "util/arrow.h"
#include "util/error.h"

#define OOM(err) parq_err_set((err), PARQ_ENOMEM, "out of memory concatenating a batch")

/* Copy n bits from src (starting at bit so) to dst (starting at bit dofs). */
static void copy_bits(uint8_t *dst, int64_t dofs, const uint8_t *src, int64_t so, int64_t n) {
  if (n <= 0) return;
  if (((dofs | so) & 7) == 0) {
    int64_t whole = n >> 3;
    memcpy(dst + (dofs >> 3), src + (so >> 3), (size_t)whole);
    for (int64_t i = whole << 3; i < n; i++)
      if (pq_bit_get(src, so + i)) pq_bit_set(dst, dofs + i);
    return;
  }
  for (int64_t i = 0; i < n; i++)
    if (pq_bit_get(src, so + i)) pq_bit_set(dst, dofs + i);
}

/* Validity of the concatenation: NULL (all valid) unless some slice has nulls. */
static parq_status concat_validity(const pq_arrow_slice *sl, size_t n, int64_t total, uint8_t **out,
                                   int64_t *nulls, parq_error *err) {
  *out = NULL;
  *nulls = 0;
  int any = 0;
  for (size_t i = 0; i < n; i++)
    if (sl[i].len > 0 && sl[i].a->n_buffers > 0 && sl[i].a->buffers[0] && sl[i].a->null_count != 0) any = 1;
  if (!any) return PARQ_OK;
  size_t nb = (size_t)(total + 7) / 8;
  uint8_t *v = malloc(nb ? nb : 1);
  if (!v) return OOM(err);
  memset(v, 0, nb ? nb : 1);
  int64_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    const struct ArrowArray *a = sl[i].a;
    const uint8_t *src = a->n_buffers > 0 ? a->buffers[0] : NULL;
    if (!src) {
      for (int64_t k = 0; k < sl[i].len; k++) pq_bit_set(v, pos + k);
    } else {
      copy_bits(v, pos, src, a->offset + sl[i].start, sl[i].len);
    }
    pos += sl[i].len;
  }
  int64_t valid = 0;
  for (size_t b = 0; b < (size_t)(total >> 3); b++) valid += __builtin_popcount(v[b]);
  for (int64_t k = total & ~(int64_t)7; k < total; k++) valid += pq_bit_get(v, k);
  *nulls = total - valid;
  *out = v;
  return PARQ_OK;
}

/* Offsets-based layouts (strings, lists, maps): rebased offsets into *offs;
 * the source ranges [lo_i, hi_i) of the data/child come back in ranges. */
static parq_status concat_offsets(const pq_arrow_slice *sl, size_t n, int64_t total, int wide,
                                  void **offs_out, int64_t *ranges, int64_t *tot_out, parq_error *err) {
  size_t w = wide ? 8 : 4;
  uint8_t *offs = malloc((size_t)(total + 1) * w);
  if (!offs) return OOM(err);
  int64_t pos = 0, acc = 0;
  for (size_t i = 0; i < n; i++) {
    const struct ArrowArray *a = sl[i].a;
    int64_t o = a->offset + sl[i].start, len = sl[i].len;
    int64_t lo = 0, hi = 0;
    if (len == 0) {
      /* empty slice: the source may not even have an offsets buffer */
    } else if (wide) {
      const int64_t *src = a->buffers[1];
      lo = src[o], hi = src[o + len];
      for (int64_t k = 0; k < len; k++) ((int64_t *)offs)[pos + k] = acc + (src[o + k] - lo);
    } else {
      const int32_t *src = a->buffers[1];
      lo = src[o], hi = src[o + len];
      for (int64_t k = 0; k < len; k++) ((int32_t *)offs)[pos + k] = (int32_t)(acc + (src[o + k] - lo));
    }
    if (hi < lo) {
      free(offs);
      return parq_err_set(err, PARQ_ECORRUPT, "decreasing offsets in a batch slice");
    }
    ranges[2 * i] = lo;
    ranges[2 * i + 1] = hi;
    acc += hi - lo;
    pos += len;
    if (!wide && acc > INT32_MAX) {
      free(offs);
      return parq_err_set(err, PARQ_ENOMEM, "batch too large: %lld bytes/values exceed 32-bit offsets",
                          (long long)acc);
    }
  }
  if (wide) ((int64_t *)offs)[total] = acc;
  else ((int32_t *)offs)[total] = (int32_t)acc;
  *offs_out = offs;
  *tot_out = acc;
  return PARQ_OK;
}

/* Concatenate the children at index k of every slice, with rows given by
 * ranges (pairs lo, hi in child logical rows, before the child's offset). */
static parq_status concat_child(const struct ArrowSchema *cs, const pq_arrow_slice *sl, size_t n, int k,
                                const int64_t *ranges, struct ArrowArray *out, parq_error *err) {
  pq_arrow_slice *cl = malloc((n ? n : 1) * sizeof *cl);
  if (!cl) return OOM(err);
  for (size_t i = 0; i < n; i++) {
    cl[i].a = sl[i].a->children[k];
    cl[i].start = ranges[2 * i];
    cl[i].len = ranges[2 * i + 1] - ranges[2 * i];
  }
  parq_status st = pq_arrow_concat(cs, cl, n, out, err);
  free(cl);
  return st;
}

parq_status pq_arrow_concat(const struct ArrowSchema *schema, const pq_arrow_slice *sl, size_t n,
                            struct ArrowArray *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  pq_arrow_type t;
  PARQ_TRY(pq_arrow_parse_format(schema->format, &t, err));
  if (schema->dictionary) return parq_err_set(err, PARQ_EUNSUPPORTED, "concatenating dictionary arrays is not supported");
  int64_t total = 0;
  for (size_t i = 0; i < n; i++) total += sl[i].len;
  if (t.kind == PQA_NULL)
    return pq_arrow_array_make(out, total, total, 0, NULL, 0, NULL) ? OOM(err) : PARQ_OK;

  uint8_t *valid = NULL;
  int64_t nulls = 0;
  PARQ_TRY(concat_validity(sl, n, total, &valid, &nulls, err));
  int64_t *ranges = malloc((n ? n : 1) * 2 * sizeof(int64_t));
  if (!ranges) {
    free(valid);
    return OOM(err);
  }
  parq_status st = PARQ_OK;
  int fw = pq_arrow_fixed_width(&t);
  switch (t.kind) {
    case PQA_BOOL: {
      size_t nb = (size_t)(total + 7) / 8;
      uint8_t *bits = calloc(nb ? nb : 1, 1);
      if (!bits) { st = OOM(err); break; }
      int64_t pos = 0;
      for (size_t i = 0; i < n; i++) {
        copy_bits(bits, pos, sl[i].a->buffers[1], sl[i].a->offset + sl[i].start, sl[i].len);
        pos += sl[i].len;
      }
      void *bufs[2] = {valid, bits};
      valid = NULL;
      st = pq_arrow_array_make(out, total, nulls, 2, bufs, 0, NULL) ? OOM(err) : PARQ_OK;
      break;
    }
    case PQA_BINARY: case PQA_UTF8: case PQA_LARGE_BINARY: case PQA_LARGE_UTF8: {
      int wide = t.kind == PQA_LARGE_BINARY || t.kind == PQA_LARGE_UTF8;
      void *offs = NULL;
      int64_t bytes = 0;
      st = concat_offsets(sl, n, total, wide, &offs, ranges, &bytes, err);
      if (st) break;
      uint8_t *data = malloc((size_t)bytes + 1);
      if (!data) {
        free(offs);
        st = OOM(err);
        break;
      }
      int64_t pos = 0;
      for (size_t i = 0; i < n; i++) {
        int64_t len = ranges[2 * i + 1] - ranges[2 * i];
        if (len) memcpy(data + pos, (const uint8_t *)sl[i].a->buffers[2] + ranges[2 * i], (size_t)len);
        pos += len;
      }
      void *bufs[3] = {valid, offs, data};
      valid = NULL;
      st = pq_arrow_array_make(out, total, nulls, 3, bufs, 0, NULL) ? OOM(err) : PARQ_OK;
      break;
    }
    case PQA_BINARY_VIEW: case PQA_UTF8_VIEW: {
      /* Views across row groups: copy the long values into one new buffer. */
      int64_t bytes = 0;
      for (size_t i = 0; i < n; i++) {
        const uint8_t *v = (const uint8_t *)sl[i].a->buffers[1] + 16 * (sl[i].a->offset + sl[i].start);
        for (int64_t k = 0; k < sl[i].len; k++) {
          int32_t l;
          memcpy(&l, v + 16 * k, 4);
          if (l > 12) bytes += l;
        }
      }
      if (bytes > INT32_MAX) {
        st = parq_err_set(err, PARQ_ENOMEM, "batch too large: %lld string bytes exceed 32-bit view offsets",
                          (long long)bytes);
        break;
      }
      uint8_t *views = malloc((size_t)(total > 0 ? total : 1) * 16);
      pq_blob *blob = pq_blob_new((size_t)bytes);
      pq_blob **blobs = malloc(sizeof *blobs);
      if (!views || !blob || !blobs) {
        free(views);
        pq_blob_unref(blob);
        free(blobs);
        st = OOM(err);
        break;
      }
      int64_t pos = 0, at = 0;
      for (size_t i = 0; i < n; i++) {
        const struct ArrowArray *a = sl[i].a;
        const uint8_t *v = (const uint8_t *)a->buffers[1] + 16 * (a->offset + sl[i].start);
        for (int64_t k = 0; k < sl[i].len; k++, at++) {
          uint8_t *d = views + 16 * at;
          memcpy(d, v + 16 * k, 16);
          int32_t l, bi, off;
          memcpy(&l, d, 4);
          if (l <= 12) continue;
          memcpy(&bi, d + 8, 4);
          memcpy(&off, d + 12, 4);
          memcpy(blob->data + pos, (const uint8_t *)a->buffers[2 + bi] + off, (size_t)l);
          int32_t zero = 0, p32 = (int32_t)pos;
          memcpy(d + 8, &zero, 4);
          memcpy(d + 12, &p32, 4);
          pos += l;
        }
      }
      blob->len = (size_t)bytes;
      blobs[0] = blob;
      void *vbuf = valid;
      valid = NULL;
      st = pq_arrow_array_make_views(out, total, nulls, vbuf, views, blobs, 1) ? OOM(err) : PARQ_OK;
      break;
    }
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_MAP: {
      void *offs = NULL;
      int64_t kids = 0;
      st = concat_offsets(sl, n, total, t.kind == PQA_LARGE_LIST, &offs, ranges, &kids, err);
      if (st) break;
      struct ArrowArray child;
      st = concat_child(schema->children[0], sl, n, 0, ranges, &child, err);
      if (st) {
        free(offs);
        break;
      }
      void *bufs[2] = {valid, offs};
      valid = NULL;
      st = pq_arrow_array_make(out, total, nulls, 2, bufs, 1, &child) ? OOM(err) : PARQ_OK;
      break;
    }
    case PQA_FIXED_LIST: {
      for (size_t i = 0; i < n; i++) {
        ranges[2 * i] = (sl[i].a->offset + sl[i].start) * t.width;
        ranges[2 * i + 1] = ranges[2 * i] + sl[i].len * t.width;
      }
      struct ArrowArray child;
      st = concat_child(schema->children[0], sl, n, 0, ranges, &child, err);
      if (st) break;
      void *bufs[1] = {valid};
      valid = NULL;
      st = pq_arrow_array_make(out, total, nulls, 1, bufs, 1, &child) ? OOM(err) : PARQ_OK;
      break;
    }
    case PQA_STRUCT: {
      int nk = (int)schema->n_children;
      struct ArrowArray *kids = calloc((size_t)(nk > 0 ? nk : 1), sizeof *kids);
      if (!kids) { st = OOM(err); break; }
      /* A struct's offset applies to its children. */
      for (size_t i = 0; i < n; i++) {
        ranges[2 * i] = sl[i].a->offset + sl[i].start;
        ranges[2 * i + 1] = ranges[2 * i] + sl[i].len;
      }
      for (int k = 0; k < nk && !st; k++) st = concat_child(schema->children[k], sl, n, k, ranges, &kids[k], err);
      if (st) {
        for (int k = 0; k < nk; k++) pq_arrow_array_release(&kids[k]);
        free(kids);
        break;
      }
      void *bufs[1] = {valid};
      valid = NULL;
      st = pq_arrow_array_make(out, total, nulls, 1, bufs, nk, kids) ? OOM(err) : PARQ_OK;
      free(kids);
      break;
    }
    default:
      if (fw > 0) {
        uint8_t *data = malloc((size_t)(total * fw) + 1);
        if (!data) { st = OOM(err); break; }
        int64_t pos = 0;
        for (size_t i = 0; i < n; i++) {
          if (sl[i].len)
            memcpy(data + pos * fw, (const uint8_t *)sl[i].a->buffers[1] + (sl[i].a->offset + sl[i].start) * fw,
                   (size_t)(sl[i].len * fw));
          pos += sl[i].len;
        }
        void *bufs[2] = {valid, data};
        valid = NULL;
        st = pq_arrow_array_make(out, total, nulls, 2, bufs, 0, NULL) ? OOM(err) : PARQ_OK;
        break;
      }
      st = parq_err_set(err, PARQ_EUNSUPPORTED, "concatenating Arrow type '%s' is not supported", schema->format);
  }
  free(valid);
  free(ranges);
  return st;
}

/* Bytes of rows [off, off+len) of array a (logical, a->offset excluded). */
static int64_t bytes_range(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t off, int64_t len) {
  pq_arrow_type t;
  if (pq_arrow_parse_format(s->format, &t, NULL)) return 0;
  int64_t o = a->offset + off, b = 0;
  if (t.kind == PQA_NULL || len <= 0) return 0;
  if (a->n_buffers > 0 && a->buffers[0]) b += (len + 7) / 8;
  int fw = pq_arrow_fixed_width(&t);
  switch (t.kind) {
    case PQA_BOOL: return b + (len + 7) / 8;
    case PQA_BINARY: case PQA_UTF8: {
      const int32_t *x = a->buffers[1];
      return b + 4 * (len + 1) + (x[o + len] - x[o]);
    }
    case PQA_LARGE_BINARY: case PQA_LARGE_UTF8: {
      const int64_t *x = a->buffers[1];
      return b + 8 * (len + 1) + (x[o + len] - x[o]);
    }
    case PQA_BINARY_VIEW: case PQA_UTF8_VIEW: {
      const uint8_t *v = (const uint8_t *)a->buffers[1] + 16 * o;
      b += 16 * len;
      for (int64_t k = 0; k < len; k++) {
        int32_t l;
        memcpy(&l, v + 16 * k, 4);
        if (l > 12) b += l;
      }
      return b;
    }
    case PQA_LIST: case PQA_MAP: {
      const int32_t *x = a->buffers[1];
      return b + 4 * (len + 1) + bytes_range(s->children[0], a->children[0], x[o], x[o + len] - x[o]);
    }
    case PQA_LARGE_LIST: {
      const int64_t *x = a->buffers[1];
      return b + 8 * (len + 1) + bytes_range(s->children[0], a->children[0], x[o], x[o + len] - x[o]);
    }
    case PQA_FIXED_LIST:
      return b + bytes_range(s->children[0], a->children[0], o * t.width, len * t.width);
    case PQA_STRUCT:
      for (int64_t k = 0; k < s->n_children && k < a->n_children; k++)
        b += bytes_range(s->children[k], a->children[k], o, len);
      return b;
    default: return b + (int64_t)fw * len;
  }
}

int64_t pq_arrow_array_bytes(const struct ArrowSchema *schema, const struct ArrowArray *a) {
  return bytes_range(schema, a, 0, a->length);
}
