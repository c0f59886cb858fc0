/* convert.c — scalar conversions into column builders: CSV fields and JSON
 * strings/numbers/booleans become int8..uint64, floats, decimals, dates,
 * times, timestamps, durations, binary (base64) and UUIDs per the column's
 * Arrow type. Failures return PARQ_ESCHEMA with a short reason; callers add
 * file/line/field context. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

bool pq_parse_u64(const char *s, size_t n, uint64_t *out) {
  if (n == 0 || n > 20) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (d > 9) return false;
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool pq_parse_i64(const char *s, size_t n, int64_t *out) {
  bool neg = n && *s == '-';
  if (neg) s++, n--;
  if (n == 0 || n > 20) return false;
  uint64_t v = 0;
  if (n <= 18) { /* cannot overflow: tight loop */
    for (size_t i = 0; i < n; i++) {
      unsigned d = (unsigned)(s[i] - '0');
      if (d > 9) return false;
      v = v * 10 + d;
    }
  } else if (!pq_parse_u64(s, n, &v)) {
    return false;
  }
  if (neg) {
    if (v > (uint64_t)INT64_MAX + 1) return false;
    *out = (int64_t)(0 - v);
  } else {
    if (v > (uint64_t)INT64_MAX) return false;
    *out = (int64_t)v;
  }
  return true;
}

/* strtod needs a terminated string: copy short texts to the stack. */
bool pq_parse_f64(const char *s, size_t n, double *out) {
  char tmp[128];
  if (n == 0 || n >= sizeof tmp) return false;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  const char *t = tmp;
  bool neg = *t == '-';
  const char *u = t + (neg || *t == '+');
  if (!strcmp(u, "NaN") || !strcmp(u, "nan")) { *out = NAN; return true; }
  if (!strcmp(u, "Infinity") || !strcmp(u, "inf") || !strcmp(u, "Inf")) {
    *out = neg ? -INFINITY : INFINITY;
    return true;
  }
  /* Only decimal syntax: reject hex floats and words strtod would accept. */
  for (const char *q = u; *q; q++)
    if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-'))
      return false;
  char *e;
  *out = strtod(tmp, &e);
  return e == tmp + n && e != tmp;
}

static inline parq_status put(pq_col *c, const void *v, size_t w) {
  if (parq_buf_append(&c->data, v, w)) return PARQ_ENOMEM;
  PARQ_TRY(pq_col_valid(c, true));
  c->length++;
  return PARQ_OK;
}

static parq_status put_int(pq_col *c, int64_t v, bool have_u, uint64_t u, const char **why) {
  switch (c->t.kind) {
    case PQA_INT8: if (v < INT8_MIN || v > INT8_MAX) break; { int8_t x = (int8_t)v; return put(c, &x, 1); }
    case PQA_INT16: if (v < INT16_MIN || v > INT16_MAX) break; { int16_t x = (int16_t)v; return put(c, &x, 2); }
    case PQA_INT32: if (v < INT32_MIN || v > INT32_MAX) break; { int32_t x = (int32_t)v; return put(c, &x, 4); }
    case PQA_INT64: case PQA_DURATION: case PQA_TIME64: case PQA_TIMESTAMP: case PQA_DATE64:
      if (have_u) break;
      return put(c, &v, 8);
    case PQA_TIME32: case PQA_DATE32:
      if (have_u || v < INT32_MIN || v > INT32_MAX) break;
      { int32_t x = (int32_t)v; return put(c, &x, 4); }
    case PQA_UINT8: if (have_u || v < 0 || v > UINT8_MAX) break; { uint8_t x = (uint8_t)v; return put(c, &x, 1); }
    case PQA_UINT16: if (have_u || v < 0 || v > UINT16_MAX) break; { uint16_t x = (uint16_t)v; return put(c, &x, 2); }
    case PQA_UINT32: if (have_u || v < 0 || v > UINT32_MAX) break; { uint32_t x = (uint32_t)v; return put(c, &x, 4); }
    case PQA_UINT64:
      if (!have_u && v < 0) break;
      { uint64_t x = have_u ? u : (uint64_t)v; return put(c, &x, 8); }
    default: *why = "not a number type"; return PARQ_ESCHEMA;
  }
  *why = "integer out of range";
  return PARQ_ESCHEMA;
}

static parq_status put_double(pq_col *c, double d) {
  switch (c->t.kind) {
    case PQA_FLOAT64: return put(c, &d, 8);
    case PQA_FLOAT32: { float f = (float)d; return put(c, &f, 4); }
    default: { uint16_t h = pq_float_to_half((float)d); return put(c, &h, 2); }
  }
}

static bool is_int_kind(pq_arrow_kind k) {
  return k == PQA_INT8 || k == PQA_INT16 || k == PQA_INT32 || k == PQA_INT64 || k == PQA_UINT8 ||
         k == PQA_UINT16 || k == PQA_UINT32 || k == PQA_UINT64 || k == PQA_DURATION;
}

/* Integer text (JSON integer literal or CSV field) into an integer-ish column. */
static parq_status int_text(pq_col *c, const char *s, size_t n, const char **why) {
  int64_t v;
  if (pq_parse_i64(s, n, &v)) return put_int(c, v, false, 0, why);
  uint64_t u;
  if (c->t.kind == PQA_UINT64 && pq_parse_u64(s, n, &u)) return put_int(c, 0, true, u, why);
  *why = "integer out of range";
  for (size_t i = (n && (*s == '-' || *s == '+')); i < n; i++)
    if ((unsigned)(s[i] - '0') > 9) *why = "not an integer";
  return PARQ_ESCHEMA;
}

parq_status pq_col_append_number(pq_col *c, const char *s, size_t n, bool is_int,
                                 const char **why) {
  pq_arrow_kind k = c->t.kind;
  if (k == PQA_UTF8 || k == PQA_LARGE_UTF8) {
    if (parq_buf_append(&c->data, s, n)) return PARQ_ENOMEM;
    return pq_col_end_var(c, c->data.len, true);
  }
  if (k == PQA_FLOAT64 || k == PQA_FLOAT32 || k == PQA_FLOAT16) {
    double d;
    if (is_int && n <= 18) { /* exact and much cheaper than strtod */
      int64_t v;
      if (pq_parse_i64(s, n, &v)) return put_double(c, (double)v);
    }
    if (!pq_parse_f64(s, n, &d)) {
      *why = "bad number";
      return PARQ_ESCHEMA;
    }
    return put_double(c, d);
  }
  if (k == PQA_DECIMAL) {
    uint8_t b[32];
    if (!pq_decimal_parse(s, n, c->t.precision, c->t.scale, c->t.width / 8, b)) {
      *why = "does not fit the decimal precision/scale";
      return PARQ_ESCHEMA;
    }
    return put(c, b, (size_t)(c->t.width / 8));
  }
  if (is_int_kind(k) || k == PQA_DATE32 || k == PQA_DATE64 || k == PQA_TIME32 ||
      k == PQA_TIME64 || k == PQA_TIMESTAMP) {
    if (!is_int) {
      *why = "not an integer";
      return PARQ_ESCHEMA;
    }
    return int_text(c, s, n, why);
  }
  *why = NULL;
  return PARQ_ESCHEMA;
}

parq_status pq_col_append_bool(pq_col *c, bool v, const char **why) {
  if (c->t.kind == PQA_UTF8 || c->t.kind == PQA_LARGE_UTF8) {
    if (parq_buf_append(&c->data, v ? "true" : "false", v ? 4 : 5)) return PARQ_ENOMEM;
    return pq_col_end_var(c, c->data.len, true);
  }
  if (c->t.kind != PQA_BOOL) {
    *why = NULL;
    return PARQ_ESCHEMA;
  }
  int64_t i = c->length;
  if ((i & 7) == 0 && parq_buf_append_byte(&c->data, 0)) return PARQ_ENOMEM;
  if (v) c->data.data[i >> 3] |= (uint8_t)(1u << (i & 7));
  PARQ_TRY(pq_col_valid(c, true));
  c->length++;
  return PARQ_OK;
}

static bool ieq(const char *s, size_t n, const char *w) {
  size_t l = strlen(w);
  if (n != l) return false;
  for (size_t i = 0; i < n; i++)
    if ((s[i] | 32) != w[i]) return false;
  return true;
}

static int hexv(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  ch = (char)(ch | 32);
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

static bool parse_uuid(const char *s, size_t n, uint8_t out[16]) {
  if (n != 36) return false;
  int j = 0;
  for (size_t i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
      continue;
    }
    int h = hexv(s[i]), l = i + 1 < 36 ? hexv(s[i + 1]) : -1;
    if (h < 0 || l < 0) return false;
    out[j++] = (uint8_t)(h << 4 | l);
    i++;
  }
  return j == 16;
}

static bool utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *e = p + n;
  while (p < e) {
    if (e - p >= 8) {
      uint64_t w;
      memcpy(&w, p, 8);
      if (!(w & 0x8080808080808080ull)) {
        p += 8;
        continue;
      }
    }
    unsigned c = *p;
    if (c < 0x80) { p++; continue; }
    int k = c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
    if (!k || e - p < k) return false;
    for (int i = 1; i < k; i++)
      if ((p[i] & 0xC0) != 0x80) return false;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] >= 0x90))
      return false;
    p += k;
  }
  return true;
}

parq_status pq_col_append_text(pq_col *c, const char *s, size_t n, const char **why) {
  *why = NULL;
  switch (c->t.kind) {
    case PQA_UTF8: case PQA_LARGE_UTF8:
      if (!utf8_valid(s, n)) {
        *why = "invalid UTF-8";
        return PARQ_ESCHEMA;
      }
      if (parq_buf_append(&c->data, s, n)) return PARQ_ENOMEM;
      return pq_col_end_var(c, c->data.len, true);
    case PQA_NULL: return pq_col_append_null(c);
    case PQA_BOOL:
      if (ieq(s, n, "true")) return pq_col_append_bool(c, true, why);
      if (ieq(s, n, "false")) return pq_col_append_bool(c, false, why);
      *why = "not true/false";
      return PARQ_ESCHEMA;
    case PQA_INT8: case PQA_INT16: case PQA_INT32: case PQA_INT64: case PQA_UINT8:
    case PQA_UINT16: case PQA_UINT32: case PQA_UINT64: case PQA_DURATION:
      return int_text(c, s, n, why);
    case PQA_FLOAT16: case PQA_FLOAT32: case PQA_FLOAT64: {
      double d;
      if (!pq_parse_f64(s, n, &d)) {
        *why = "not a number";
        return PARQ_ESCHEMA;
      }
      return put_double(c, d);
    }
    case PQA_DECIMAL: {
      uint8_t b[32];
      if (!pq_decimal_parse(s, n, c->t.precision, c->t.scale, c->t.width / 8, b)) {
        *why = "not a decimal fitting precision/scale";
        return PARQ_ESCHEMA;
      }
      return put(c, b, (size_t)(c->t.width / 8));
    }
    case PQA_DATE32: case PQA_DATE64: {
      int64_t d;
      if (!pq_parse_date(s, n, &d)) {
        *why = "not a YYYY-MM-DD date";
        return PARQ_ESCHEMA;
      }
      if (c->t.kind == PQA_DATE64) {
        d *= 86400000;
        return put(c, &d, 8);
      }
      if (d < INT32_MIN || d > INT32_MAX) {
        *why = "date out of range";
        return PARQ_ESCHEMA;
      }
      int32_t x = (int32_t)d;
      return put(c, &x, 4);
    }
    case PQA_TIME32: case PQA_TIME64: {
      int64_t v;
      if (!pq_parse_time(s, n, c->t.unit, &v)) {
        *why = "not an HH:MM:SS time";
        return PARQ_ESCHEMA;
      }
      if (c->t.kind == PQA_TIME32) {
        int32_t x = (int32_t)v;
        return put(c, &x, 4);
      }
      return put(c, &v, 8);
    }
    case PQA_TIMESTAMP: {
      int64_t v;
      bool zoned;
      if (!pq_parse_timestamp(s, n, c->t.unit, &v, &zoned)) {
        *why = "not a YYYY-MM-DD HH:MM:SS timestamp";
        return PARQ_ESCHEMA;
      }
      return put(c, &v, 8);
    }
    case PQA_BINARY: case PQA_LARGE_BINARY:
      if (pq_base64_decode(s, n, &c->data)) {
        *why = "invalid base64";
        return PARQ_ESCHEMA;
      }
      return pq_col_end_var(c, c->data.len, true);
    case PQA_FIXED_BINARY: {
      uint8_t u[16];
      if (c->t.width == 16 && parse_uuid(s, n, u)) return put(c, u, 16);
      size_t before = c->data.len;
      if (pq_base64_decode(s, n, &c->data) || c->data.len - before != (size_t)c->t.width) {
        c->data.len = before;
        *why = c->is_uuid ? "not a UUID" : "not base64 of the fixed width";
        return PARQ_ESCHEMA;
      }
      PARQ_TRY(pq_col_valid(c, true));
      c->length++;
      return PARQ_OK;
    }
    default:
      *why = "nested value must be JSON";
      return PARQ_ESCHEMA;
  }
}
