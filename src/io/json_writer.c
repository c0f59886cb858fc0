/* json_writer.c — Arrow arrays to JSON text (JSON Lines rows and single
 * values), following the rules in io.h: exact decimals, shortest round-trip
 * floats, ISO dates/times, base64 binary, canonical UUIDs, lists as arrays,
 * structs as objects, maps as [{"key":..,"value":..}]. Types are parsed once
 * per batch into a pq_jplan so the per-value work is a switch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "util/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---------------- string escaping ---------------- */

/* 0: copy; 1: short escape (table value is the letter); 'u': \u00XX. */
static const char esc_tab[32] = {'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f',
                                 'r', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
                                 'u', 'u', 'u', 'u', 'u', 'u'};
static const char hexd[] = "0123456789abcdef";

parq_status pq_json_escape(const char *s, size_t n, parq_buf *out) {
  if (n > (SIZE_MAX - 8) / 6 || parq_buf_reserve(out, n * 6 + 2)) return PARQ_ENOMEM;
  unsigned char *o = out->data + out->len;
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  *o++ = '"';
  while (p < end) {
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
      __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                               _mm_cmplt_epi8(v, sp)); /* signed: also flags bytes >= 0x80 */
      int bits = _mm_movemask_epi8(m);
      if (bits) {
        int k = __builtin_ctz((unsigned)bits);
        memcpy(o, p, 16); /* room reserved: 6 bytes per input byte */
        o += k;
        p += k;
        goto special;
      }
      memcpy(o, p, 16);
      o += 16;
      p += 16;
    }
#endif
    while (p < end) {
      unsigned char c = *p;
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      *o++ = c;
      p++;
    }
    if (p >= end) break;
#if defined(__SSE2__)
  special:;
#endif
    unsigned char c = *p;
    if (c >= 0x80) {
      int k = pq_utf8_seq(p, end);
      if (k) {
        memcpy(o, p, (size_t)k);
        o += k;
        p += k;
      } else { /* invalid byte: U+FFFD keeps the output valid JSON */
        memcpy(o, "\\ufffd", 6);
        o += 6;
        p++;
      }
    } else if (c == '"' || c == '\\') {
      o[0] = '\\';
      o[1] = c;
      o += 2;
      p++;
    } else {
      char e = esc_tab[c];
      if (e != 'u') {
        o[0] = '\\';
        o[1] = (unsigned char)e;
        o += 2;
      } else {
        memcpy(o, "\\u00", 4);
        o[4] = (unsigned char)hexd[c >> 4];
        o[5] = (unsigned char)hexd[c & 15];
        o += 6;
      }
      p++;
    }
  }
  *o++ = '"';
  out->len = (size_t)(o - out->data);
  return PARQ_OK;
}

/* ---------------- plans ---------------- */

parq_status pq_jplan_build(const struct ArrowSchema *s, pq_jplan *p, parq_error *err) {
  memset(p, 0, sizeof *p);
  PARQ_TRY(pq_arrow_parse_format(s->format, &p->t, err));
  if (p->t.kind == PQA_UNSUPPORTED)
    return parq_err_set(err, PARQ_EUNSUPPORTED, "cannot write Arrow type '%s' as text", s->format);
  p->name = s->name ? s->name : "";
  parq_buf kb = PARQ_BUF_INIT;
  if (pq_json_escape(p->name, strlen(p->name), &kb) || parq_buf_append_byte(&kb, ':') ||
      parq_buf_append_byte(&kb, 0)) {
    parq_buf_free(&kb);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  p->key_len = kb.len - 1;
  p->key = (char *)parq_buf_detach(&kb);
  if (p->t.kind == PQA_FIXED_BINARY && p->t.width == 16 && s->metadata) {
    char *ext = pq_arrow_metadata_get(s->metadata, "ARROW:extension:name");
    p->uuid = ext && !strcmp(ext, "arrow.uuid");
    free(ext);
  }
  bool nested = p->t.kind == PQA_LIST || p->t.kind == PQA_LARGE_LIST ||
                p->t.kind == PQA_FIXED_LIST || p->t.kind == PQA_STRUCT || p->t.kind == PQA_MAP;
  if (nested) {
    if (p->t.kind != PQA_STRUCT && s->n_children != 1)
      return parq_err_set(err, PARQ_EINVAL, "field '%s': list/map type needs one child", p->name);
    if (p->t.kind == PQA_MAP && s->children[0]->n_children != 2)
      return parq_err_set(err, PARQ_EINVAL, "field '%s': map entries need two children", p->name);
    if (s->n_children > 0) {
      p->kids = calloc((size_t)s->n_children, sizeof *p->kids);
      if (!p->kids) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      p->n_kids = (int)s->n_children;
      for (int i = 0; i < p->n_kids; i++) PARQ_TRY(pq_jplan_build(s->children[i], &p->kids[i], err));
    }
  }
  return PARQ_OK;
}

void pq_jplan_free(pq_jplan *p) {
  for (int i = 0; i < p->n_kids; i++) pq_jplan_free(&p->kids[i]);
  free(p->kids);
  free(p->key);
  memset(p, 0, sizeof *p);
}

static int min_buffers(const pq_jplan *p) {
  switch (p->t.kind) {
    case PQA_NULL: return 0;
    case PQA_STRUCT: case PQA_FIXED_LIST: return 1;
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_MAP: return 2;
    case PQA_UTF8: case PQA_LARGE_UTF8: case PQA_BINARY: case PQA_LARGE_BINARY: return 3;
    case PQA_UTF8_VIEW: case PQA_BINARY_VIEW: return 2;
    default: return 2;
  }
}

parq_status pq_jplan_check(const pq_jplan *p, const struct ArrowArray *a, parq_error *err) {
  if (!a || !a->release) return parq_err_set(err, PARQ_EINVAL, "field '%s': released array", p->name);
  if (a->n_buffers < min_buffers(p) || a->n_children < p->n_kids || a->length < 0 || a->offset < 0)
    return parq_err_set(err, PARQ_EINVAL, "field '%s': array does not match its type (%lld buffers, %lld children)",
                        p->name, (long long)a->n_buffers, (long long)a->n_children);
  for (int i = 1; i < min_buffers(p); i++)
    if (!a->buffers[i] && a->length > 0)
      return parq_err_set(err, PARQ_EINVAL, "field '%s': missing buffer %d", p->name, i);
  for (int i = 0; i < p->n_kids; i++) PARQ_TRY(pq_jplan_check(&p->kids[i], a->children[i], err));
  return PARQ_OK;
}

/* ---------------- values ---------------- */

static inline char *fmt_u64(char *o, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *o++ = tmp[--n];
  return o;
}
static inline char *fmt_i64(char *o, int64_t v) {
  if (v < 0) {
    *o++ = '-';
    return fmt_u64(o, 0 - (uint64_t)v);
  }
  return fmt_u64(o, (uint64_t)v);
}

static parq_status put_i64(parq_buf *out, int64_t v) {
  if (parq_buf_reserve(out, 24)) return PARQ_ENOMEM;
  char *o = (char *)out->data + out->len;
  out->len += (size_t)(fmt_i64(o, v) - o);
  return PARQ_OK;
}
static parq_status put_u64(parq_buf *out, uint64_t v) {
  if (parq_buf_reserve(out, 24)) return PARQ_ENOMEM;
  char *o = (char *)out->data + out->len;
  out->len += (size_t)(fmt_u64(o, v) - o);
  return PARQ_OK;
}

static parq_status put_double(parq_buf *out, double d, bool single) {
  if (isnan(d)) return parq_buf_append(out, "\"NaN\"", 5);
  if (isinf(d)) return d > 0 ? parq_buf_append(out, "\"Infinity\"", 10)
                             : parq_buf_append(out, "\"-Infinity\"", 11);
  char tmp[40];
  int n = single ? pq_fmt_float((float)d, tmp) : pq_fmt_double(d, tmp);
  return parq_buf_append(out, tmp, (size_t)n);
}

static parq_status put_quoted(parq_buf *out, const char *s, int n) {
  if (parq_buf_reserve(out, (size_t)n + 2)) return PARQ_ENOMEM;
  out->data[out->len++] = '"';
  parq_buf_put(out, s, (size_t)n);
  out->data[out->len++] = '"';
  return PARQ_OK;
}

static parq_status put_uuid(parq_buf *out, const uint8_t *b) {
  char t[36];
  int k = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) t[k++] = '-';
    t[k++] = hexd[b[i] >> 4];
    t[k++] = hexd[b[i] & 15];
  }
  return put_quoted(out, t, 36);
}

bool pq_jplan_bytes(const pq_jplan *p, const struct ArrowArray *a, int64_t i, const char **s,
                    size_t *n) {
  int64_t j = a->offset + i;
  switch (p->t.kind) {
    case PQA_UTF8: case PQA_BINARY: {
      const int32_t *o = a->buffers[1];
      *s = (const char *)a->buffers[2] + o[j];
      *n = (size_t)(o[j + 1] - o[j]);
      return true;
    }
    case PQA_LARGE_UTF8: case PQA_LARGE_BINARY: {
      const int64_t *o = a->buffers[1];
      *s = (const char *)a->buffers[2] + o[j];
      *n = (size_t)(o[j + 1] - o[j]);
      return true;
    }
    case PQA_UTF8_VIEW: case PQA_BINARY_VIEW: {
      const uint8_t *v = (const uint8_t *)a->buffers[1] + 16 * j;
      int32_t len, bi, off;
      memcpy(&len, v, 4);
      if (len <= 12) {
        *s = (const char *)v + 4;
      } else {
        memcpy(&bi, v + 8, 4);
        memcpy(&off, v + 12, 4);
        if (bi < 0 || 2 + bi >= a->n_buffers) return false;
        *s = (const char *)a->buffers[2 + bi] + off;
      }
      *n = (size_t)len;
      return true;
    }
    default: return false;
  }
}

static parq_status list_range(const pq_jplan *p, const struct ArrowArray *a, int64_t j, int64_t *b,
                              int64_t *e) {
  if (p->t.kind == PQA_LARGE_LIST) {
    const int64_t *o = a->buffers[1];
    *b = o[j];
    *e = o[j + 1];
  } else if (p->t.kind == PQA_FIXED_LIST) {
    *b = j * p->t.width;
    *e = *b + p->t.width;
  } else {
    const int32_t *o = a->buffers[1];
    *b = o[j];
    *e = o[j + 1];
  }
  return PARQ_OK;
}

parq_status pq_jplan_value(const pq_jplan *p, const struct ArrowArray *a, int64_t i, parq_buf *out) {
  int64_t j = a->offset + i;
  if (p->t.kind == PQA_NULL || (a->buffers[0] && !pq_bit_get(a->buffers[0], j)))
    return parq_buf_append(out, "null", 4);
  const void *d = a->n_buffers > 1 ? a->buffers[1] : NULL;
  switch (p->t.kind) {
    case PQA_BOOL:
      return pq_bit_get(d, j) ? parq_buf_append(out, "true", 4) : parq_buf_append(out, "false", 5);
    case PQA_INT8: return put_i64(out, ((const int8_t *)d)[j]);
    case PQA_INT16: return put_i64(out, ((const int16_t *)d)[j]);
    case PQA_INT32: return put_i64(out, ((const int32_t *)d)[j]);
    case PQA_INT64: case PQA_DURATION: return put_i64(out, ((const int64_t *)d)[j]);
    case PQA_UINT8: return put_u64(out, ((const uint8_t *)d)[j]);
    case PQA_UINT16: return put_u64(out, ((const uint16_t *)d)[j]);
    case PQA_UINT32: return put_u64(out, ((const uint32_t *)d)[j]);
    case PQA_UINT64: return put_u64(out, ((const uint64_t *)d)[j]);
    case PQA_FLOAT16: return put_double(out, pq_half_to_float(((const uint16_t *)d)[j]), true);
    case PQA_FLOAT32: return put_double(out, ((const float *)d)[j], true);
    case PQA_FLOAT64: return put_double(out, ((const double *)d)[j], false);
    case PQA_UTF8: case PQA_LARGE_UTF8: case PQA_UTF8_VIEW: {
      const char *s;
      size_t n;
      if (!pq_jplan_bytes(p, a, i, &s, &n)) return PARQ_EINVAL;
      return pq_json_escape(s, n, out);
    }
    case PQA_BINARY: case PQA_LARGE_BINARY: case PQA_BINARY_VIEW: {
      const char *s;
      size_t n;
      if (!pq_jplan_bytes(p, a, i, &s, &n)) return PARQ_EINVAL;
      PARQ_TRY(parq_buf_append_byte(out, '"'));
      PARQ_TRY(pq_base64_encode((const uint8_t *)s, n, out));
      return parq_buf_append_byte(out, '"');
    }
    case PQA_FIXED_BINARY: {
      const uint8_t *b = (const uint8_t *)d + (size_t)j * (size_t)p->t.width;
      if (p->uuid) return put_uuid(out, b);
      PARQ_TRY(parq_buf_append_byte(out, '"'));
      PARQ_TRY(pq_base64_encode(b, (size_t)p->t.width, out));
      return parq_buf_append_byte(out, '"');
    }
    case PQA_DECIMAL: {
      int w = p->t.width / 8;
      return pq_decimal_format((const uint8_t *)d + (size_t)j * (size_t)w, w, p->t.scale, out);
    }
    case PQA_DATE32: case PQA_DATE64: {
      int64_t days = p->t.kind == PQA_DATE32 ? ((const int32_t *)d)[j] : ((const int64_t *)d)[j];
      if (p->t.kind == PQA_DATE64) days = days / 86400000 - (days % 86400000 < 0);
      char t[48];
      return put_quoted(out, t, pq_fmt_date(days, t));
    }
    case PQA_TIME32: case PQA_TIME64: {
      int64_t v = p->t.kind == PQA_TIME32 ? ((const int32_t *)d)[j] : ((const int64_t *)d)[j];
      char t[48];
      return put_quoted(out, t, pq_fmt_time(v, p->t.unit, t));
    }
    case PQA_TIMESTAMP: {
      char t[64];
      return put_quoted(out, t, pq_fmt_timestamp(((const int64_t *)d)[j], p->t.unit,
                                                 p->t.is_utc || p->t.has_tz, t));
    }
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_FIXED_LIST: case PQA_MAP: {
      int64_t b, e;
      list_range(p, a, j, &b, &e);
      const struct ArrowArray *c = a->children[0];
      PARQ_TRY(parq_buf_append_byte(out, '['));
      for (int64_t k = b; k < e; k++) {
        if (k > b) PARQ_TRY(parq_buf_append_byte(out, ','));
        if (p->t.kind != PQA_MAP) {
          PARQ_TRY(pq_jplan_value(&p->kids[0], c, k, out));
          continue;
        }
        /* map entry: {"key":..,"value":..} whatever the entry field names are */
        const pq_jplan *ent = &p->kids[0];
        int64_t ek = c->offset + k;
        PARQ_TRY(parq_buf_append(out, "{\"key\":", 7));
        PARQ_TRY(pq_jplan_value(&ent->kids[0], c->children[0], ek, out));
        PARQ_TRY(parq_buf_append(out, ",\"value\":", 9));
        PARQ_TRY(pq_jplan_value(&ent->kids[1], c->children[1], ek, out));
        PARQ_TRY(parq_buf_append_byte(out, '}'));
      }
      return parq_buf_append_byte(out, ']');
    }
    case PQA_STRUCT:
      PARQ_TRY(parq_buf_append_byte(out, '{'));
      for (int k = 0; k < p->n_kids; k++) {
        if (k) PARQ_TRY(parq_buf_append_byte(out, ','));
        PARQ_TRY(parq_buf_append(out, p->kids[k].key, p->kids[k].key_len));
        PARQ_TRY(pq_jplan_value(&p->kids[k], a->children[k], j, out));
      }
      return parq_buf_append_byte(out, '}');
    default: return PARQ_EUNSUPPORTED;
  }
}

parq_status pq_json_write_value(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i,
                                parq_buf *out, parq_error *err) {
  pq_jplan p;
  parq_status st = pq_jplan_build(s, &p, err);
  if (!st) st = pq_jplan_check(&p, a, err);
  if (!st && (i < 0 || i >= a->length)) st = parq_err_set(err, PARQ_EINVAL, "row %lld out of range", (long long)i);
  if (!st) {
    st = pq_jplan_value(&p, a, i, out);
    if (st) parq_err_set(err, st, "cannot write value of field '%s'", p.name);
  }
  pq_jplan_free(&p);
  return st;
}

parq_status pq_jsonl_write_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                                 parq_buf *out, parq_error *err) {
  pq_jplan p;
  parq_status st = pq_jplan_build(schema, &p, err);
  if (!st && p.t.kind != PQA_STRUCT)
    st = parq_err_set(err, PARQ_EINVAL, "JSONL batches must be structs, got '%s'", schema->format);
  if (!st) st = pq_jplan_check(&p, batch, err);
  for (int64_t i = 0; !st && i < batch->length; i++) {
    /* a null top-level row still prints as an object of its fields' values */
    int64_t j = batch->offset + i;
    st = parq_buf_append_byte(out, '{');
    for (int k = 0; !st && k < p.n_kids; k++) {
      if (k) st = parq_buf_append_byte(out, ',');
      if (!st) st = parq_buf_append(out, p.kids[k].key, p.kids[k].key_len);
      if (!st) st = pq_jplan_value(&p.kids[k], batch->children[k], j, out);
    }
    if (!st) st = parq_buf_append(out, "}\n", 2);
    if (st) parq_err_set(err, st, "cannot write row %lld as JSON", (long long)i);
  }
  pq_jplan_free(&p);
  return st;
}
