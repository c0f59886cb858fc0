/* stats.c — sort orders, value comparison and min/max accumulation (see stats.h).
 *
 * Type-specific loops run over whole value runs so the per-value cost is a
 * compare, not a call; only FLBA/FLOAT16/DECIMAL go through pq_value_cmp. */
#include "column/stats.h"

#include <math.h>
#include <string.h>

#include "util/error.h"

pq_sort_order pq_sort_order_of(const pq_schema_element *e) {
  const pq_logical_type *lt = &e->logical;
  int ct = e->converted_type;
  bool dec = lt->kind == PQ_LT_DECIMAL || ct == PQ_CT_DECIMAL;
  switch (e->type) {
    case PQ_BOOLEAN: return PQ_ORDER_BOOL;
    case PQ_INT32:
      if ((lt->kind == PQ_LT_INTEGER && !lt->is_signed) || ct == PQ_CT_UINT_8 ||
          ct == PQ_CT_UINT_16 || ct == PQ_CT_UINT_32)
        return PQ_ORDER_U32;
      return PQ_ORDER_I32;
    case PQ_INT64:
      if ((lt->kind == PQ_LT_INTEGER && !lt->is_signed) || ct == PQ_CT_UINT_64)
        return PQ_ORDER_U64;
      return PQ_ORDER_I64;
    case PQ_FLOAT: return PQ_ORDER_FLOAT;
    case PQ_DOUBLE: return PQ_ORDER_DOUBLE;
    case PQ_BYTE_ARRAY: return dec ? PQ_ORDER_DECIMAL_BE : PQ_ORDER_BYTES;
    case PQ_FIXED_LEN_BYTE_ARRAY:
      if (lt->kind == PQ_LT_FLOAT16 && e->type_length == 2) return PQ_ORDER_FLOAT16;
      if (dec) return PQ_ORDER_DECIMAL_BE;
      if (ct == PQ_CT_INTERVAL) return PQ_ORDER_NONE;
      return PQ_ORDER_BYTES;
    default: return PQ_ORDER_NONE;
  }
}

bool pq_sort_order_legacy_ok(pq_sort_order o) {
  return o == PQ_ORDER_BOOL || o == PQ_ORDER_I32 || o == PQ_ORDER_I64 || o == PQ_ORDER_FLOAT ||
         o == PQ_ORDER_DOUBLE;
}

double pq_float16_to_double(uint16_t h) {
  int s = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v;
  if (e == 0) v = ldexp((double)m, -24);
  else if (e == 31) v = m ? NAN : INFINITY;
  else v = ldexp((double)(m | 0x400), e - 25);
  return s ? -v : v;
}

bool pq_value_is_nan(pq_sort_order o, const uint8_t *v) {
  if (o == PQ_ORDER_FLOAT) { float f; memcpy(&f, v, 4); return isnan(f); }
  if (o == PQ_ORDER_DOUBLE) { double d; memcpy(&d, v, 8); return isnan(d); }
  if (o == PQ_ORDER_FLOAT16) {
    uint16_t h; memcpy(&h, v, 2);
    return (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
  }
  return false;
}

#define CMP3(x, y) ((x) < (y) ? -1 : (x) > (y) ? 1 : 0)

static int bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  size_t n = alen < blen ? alen : blen;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return c < 0 ? -1 : 1;
  return CMP3(alen, blen);
}

static int decimal_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  int na = alen && (a[0] & 0x80), nb = blen && (b[0] & 0x80);
  if (na != nb) return na ? -1 : 1;
  uint8_t pad = na ? 0xff : 0x00;
  size_t L = alen > blen ? alen : blen;
  for (size_t i = 0; i < L; i++) {
    uint8_t x = i < L - alen ? pad : a[i - (L - alen)];
    uint8_t y = i < L - blen ? pad : b[i - (L - blen)];
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

int pq_value_cmp(pq_sort_order o, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  switch (o) {
    case PQ_ORDER_BOOL: return CMP3(a[0] != 0, b[0] != 0);
    case PQ_ORDER_I32: { int32_t x, y; memcpy(&x, a, 4); memcpy(&y, b, 4); return CMP3(x, y); }
    case PQ_ORDER_U32: { uint32_t x, y; memcpy(&x, a, 4); memcpy(&y, b, 4); return CMP3(x, y); }
    case PQ_ORDER_I64: { int64_t x, y; memcpy(&x, a, 8); memcpy(&y, b, 8); return CMP3(x, y); }
    case PQ_ORDER_U64: { uint64_t x, y; memcpy(&x, a, 8); memcpy(&y, b, 8); return CMP3(x, y); }
    case PQ_ORDER_FLOAT: { float x, y; memcpy(&x, a, 4); memcpy(&y, b, 4); return CMP3(x, y); }
    case PQ_ORDER_DOUBLE: { double x, y; memcpy(&x, a, 8); memcpy(&y, b, 8); return CMP3(x, y); }
    case PQ_ORDER_FLOAT16: {
      uint16_t x, y; memcpy(&x, a, 2); memcpy(&y, b, 2);
      double dx = pq_float16_to_double(x), dy = pq_float16_to_double(y);
      return CMP3(dx, dy);
    }
    case PQ_ORDER_BYTES: return bytes_cmp(a, alen, b, blen);
    case PQ_ORDER_DECIMAL_BE: return decimal_cmp(a, alen, b, blen);
    default: return 0;
  }
}

void pq_stats_init(pq_stats *s, pq_sort_order o) {
  memset(s, 0, sizeof *s);
  s->order = o;
}

void pq_stats_reset(pq_stats *s) {
  s->has_minmax = false;
  s->null_count = 0;
  parq_buf_clear(&s->min);
  parq_buf_clear(&s->max);
}

void pq_stats_free(pq_stats *s) {
  parq_buf_free(&s->min);
  parq_buf_free(&s->max);
}

static parq_status set_buf(parq_buf *b, const uint8_t *p, size_t n) {
  parq_buf_clear(b);
  return parq_buf_append(b, p, n);
}

parq_status pq_stats_update_minmax(pq_stats *s, const uint8_t *mn, size_t mnlen,
                                   const uint8_t *mx, size_t mxlen) {
  if (s->order == PQ_ORDER_NONE) return PARQ_OK;
  if (!s->has_minmax) {
    PARQ_TRY(set_buf(&s->min, mn, mnlen));
    PARQ_TRY(set_buf(&s->max, mx, mxlen));
    s->has_minmax = true;
    return PARQ_OK;
  }
  if (pq_value_cmp(s->order, mn, mnlen, s->min.data, s->min.len) < 0)
    PARQ_TRY(set_buf(&s->min, mn, mnlen));
  if (pq_value_cmp(s->order, mx, mxlen, s->max.data, s->max.len) > 0)
    PARQ_TRY(set_buf(&s->max, mx, mxlen));
  return PARQ_OK;
}

/* Typed min/max over a run; NaN skipped for floats (x != x). */
#define RUN_MINMAX(T, SKIPNAN)                                        \
  do {                                                                \
    T mn = 0, mx = 0;                                                 \
    bool any = false;                                                 \
    for (size_t i = 0; i < n; i++) {                                  \
      T v;                                                            \
      memcpy(&v, vals + i * sizeof(T), sizeof(T));                    \
      if (SKIPNAN && v != v) continue;                                \
      if (!any) { mn = mx = v; any = true; continue; }                \
      if (v < mn) mn = v;                                             \
      if (v > mx) mx = v;                                             \
    }                                                                 \
    if (!any) return PARQ_OK;                                         \
    return pq_stats_update_minmax(s, (const uint8_t *)&mn, sizeof(T), \
                                  (const uint8_t *)&mx, sizeof(T));   \
  } while (0)

parq_status pq_stats_update_fixed(pq_stats *s, const uint8_t *vals, size_t width, size_t n) {
  if (n == 0) return PARQ_OK;
  switch (s->order) {
    case PQ_ORDER_NONE: return PARQ_OK;
    case PQ_ORDER_BOOL: {
      bool f = false, t = false;
      for (size_t i = 0; i < n; i++) { if (vals[i]) t = true; else f = true; }
      uint8_t mn = f ? 0 : 1, mx = t ? 1 : 0;
      return pq_stats_update_minmax(s, &mn, 1, &mx, 1);
    }
    case PQ_ORDER_I32: RUN_MINMAX(int32_t, 0);
    case PQ_ORDER_U32: RUN_MINMAX(uint32_t, 0);
    case PQ_ORDER_I64: RUN_MINMAX(int64_t, 0);
    case PQ_ORDER_U64: RUN_MINMAX(uint64_t, 0);
    case PQ_ORDER_FLOAT: RUN_MINMAX(float, 1);
    case PQ_ORDER_DOUBLE: RUN_MINMAX(double, 1);
    default: {
      const uint8_t *mn = NULL, *mx = NULL;
      for (size_t i = 0; i < n; i++) {
        const uint8_t *v = vals + i * width;
        if (pq_value_is_nan(s->order, v)) continue;
        if (!mn) { mn = mx = v; continue; }
        if (pq_value_cmp(s->order, v, width, mn, width) < 0) mn = v;
        if (pq_value_cmp(s->order, v, width, mx, width) > 0) mx = v;
      }
      if (!mn) return PARQ_OK;
      return pq_stats_update_minmax(s, mn, width, mx, width);
    }
  }
}

parq_status pq_stats_update_binary(pq_stats *s, const int32_t *offsets, const uint8_t *data,
                                   size_t n) {
  if (n == 0 || s->order == PQ_ORDER_NONE) return PARQ_OK;
  size_t mn = 0, mx = 0;
  for (size_t i = 1; i < n; i++) {
    const uint8_t *v = data + offsets[i];
    size_t l = (size_t)(offsets[i + 1] - offsets[i]);
    if (pq_value_cmp(s->order, v, l, data + offsets[mn], (size_t)(offsets[mn + 1] - offsets[mn])) < 0)
      mn = i;
    else if (pq_value_cmp(s->order, v, l, data + offsets[mx],
                          (size_t)(offsets[mx + 1] - offsets[mx])) > 0)
      mx = i;
  }
  return pq_stats_update_minmax(s, data + offsets[mn], (size_t)(offsets[mn + 1] - offsets[mn]),
                                data + offsets[mx], (size_t)(offsets[mx + 1] - offsets[mx]));
}

parq_status pq_stats_merge(pq_stats *dst, const pq_stats *src) {
  dst->null_count += src->null_count;
  if (!src->has_minmax) return PARQ_OK;
  return pq_stats_update_minmax(dst, src->min.data, src->min.len, src->max.data, src->max.len);
}

static bool is_zero(pq_sort_order o, const uint8_t *v) {
  if (o == PQ_ORDER_FLOAT) { float f; memcpy(&f, v, 4); return f == 0.0f; }
  if (o == PQ_ORDER_DOUBLE) { double d; memcpy(&d, v, 8); return d == 0.0; }
  if (o == PQ_ORDER_FLOAT16) { uint16_t h; memcpy(&h, v, 2); return (h & 0x7fff) == 0; }
  return false;
}

parq_status pq_stats_export(const pq_stats *s, int64_t truncate, parq_arena *a,
                            pq_statistics *out) {
  memset(out, 0, sizeof *out);
  out->has_null_count = true;
  out->null_count = s->null_count;
  if (!s->has_minmax || s->order == PQ_ORDER_NONE) return PARQ_OK;
  size_t mnlen = s->min.len, mxlen = s->max.len;
  uint8_t *mn = parq_arena_alloc(a, mnlen + 1), *mx = parq_arena_alloc(a, mxlen + 1);
  if (!mn || !mx) return PARQ_ENOMEM;
  if (mnlen) memcpy(mn, s->min.data, mnlen);
  if (mxlen) memcpy(mx, s->max.data, mxlen);
  bool min_exact = true, max_exact = true;
  /* Zero extremes: -0.0 as min and +0.0 as max, so either zero is covered. */
  if (is_zero(s->order, mn)) {
    if (s->order == PQ_ORDER_FLOAT) { float z = -0.0f; memcpy(mn, &z, 4); }
    else if (s->order == PQ_ORDER_DOUBLE) { double z = -0.0; memcpy(mn, &z, 8); }
    else if (s->order == PQ_ORDER_FLOAT16) { mn[0] = 0x00; mn[1] = 0x80; }
  }
  if (is_zero(s->order, mx)) memset(mx, 0, mxlen);
  if (s->order == PQ_ORDER_BYTES && truncate > 0) {
    size_t t = (size_t)truncate;
    if (mnlen > t) { mnlen = t; min_exact = false; }
    if (mxlen > t) {
      /* An upper bound: shorten, then bump the last byte that can be bumped. */
      size_t k = t;
      while (k > 0 && mx[k - 1] == 0xff) k--;
      if (k > 0) { mx[k - 1]++; mxlen = k; max_exact = false; }
    }
  }
  out->has_min_value = out->has_max_value = true;
  out->min_value = (pq_bytes){mn, (uint32_t)mnlen};
  out->max_value = (pq_bytes){mx, (uint32_t)mxlen};
  out->has_is_max_value_exact = out->has_is_min_value_exact = true;
  out->is_max_value_exact = max_exact;
  out->is_min_value_exact = min_exact;
  if (pq_sort_order_legacy_ok(s->order)) {
    out->has_min = out->has_max = true;
    out->min = out->min_value;
    out->max = out->max_value;
  }
  return PARQ_OK;
}
