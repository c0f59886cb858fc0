/* json_parse.c — a hand-written JSON tokenizer tuned for JSON Lines: string
 * bodies are scanned 16 bytes at a time (SSE2, SWAR fallback) for '"', '\\',
 * control and non-ASCII bytes, runs are memcpy'd, escapes (with surrogate
 * pairs) decoded to UTF-8, and non-ASCII input is validated as UTF-8.
 *
 * Callers guarantee that at least 16 readable bytes follow c->end and that
 * the byte at c->end is '\n' or NUL (the reader pads its buffer with zeros),
 * so vector loads past the end of a line never fault and string scans always
 * stop at c->end; every hit is still checked against c->end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "util/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

parq_status pq_json_syntax(pq_jctx *c, const char *what) {
  long col = (long)(c->p - c->line) + 1;
  if (c->p >= c->end) return parq_err_set(c->err, PARQ_ECORRUPT, "%s:%lld: %s at end of line (column %ld)",
                                          c->file, (long long)c->lineno, what, col);
  return parq_err_set(c->err, PARQ_ECORRUPT, "%s:%lld: %s at column %ld", c->file,
                      (long long)c->lineno, what, col);
}

/* Position of the first byte in [p, end) that is '"', '\\', < 0x20 or >= 0x80;
 * end if none. Loads may read up to 15 bytes past end (padding). */
static inline const char *scan_special(const char *p, const char *end) {
#if defined(__SSE2__)
  const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
  while (p < end) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* signed compare: bytes >= 0x80 are negative, so "< 0x20" also flags them */
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                             _mm_cmplt_epi8(v, sp));
    int bits = _mm_movemask_epi8(m);
    if (bits) {
      const char *r = p + __builtin_ctz((unsigned)bits);
      return r < end ? r : end;
    }
    p += 16;
  }
  return end;
#else
  while (p < end) {
    uint64_t w;
    memcpy(&w, p, 8);
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t xq = w ^ (ones * '"'), xb = w ^ (ones * '\\');
    uint64_t t = ((xq - ones) & ~xq) | ((xb - ones) & ~xb) | (w - ones * 0x20) | w;
    t &= high;
    if (t) {
      const char *r = p + (__builtin_ctzll(t) >> 3);
      return r < end ? r : end;
    }
    p += 8;
  }
  return end;
#endif
}

static inline int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int ch = (unsigned char)p[i], d;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    else if ((ch | 32) >= 'a' && (ch | 32) <= 'f') d = (ch | 32) - 'a' + 10;
    else return -1;
    v = v << 4 | d;
  }
  return v;
}

static inline size_t put_utf8(uint8_t *o, uint32_t cp) {
  if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
  if (cp < 0x800) { o[0] = (uint8_t)(0xC0 | cp >> 6); o[1] = (uint8_t)(0x80 | (cp & 63)); return 2; }
  if (cp < 0x10000) {
    o[0] = (uint8_t)(0xE0 | cp >> 12); o[1] = (uint8_t)(0x80 | ((cp >> 6) & 63));
    o[2] = (uint8_t)(0x80 | (cp & 63));
    return 3;
  }
  o[0] = (uint8_t)(0xF0 | cp >> 18); o[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
  o[2] = (uint8_t)(0x80 | ((cp >> 6) & 63)); o[3] = (uint8_t)(0x80 | (cp & 63));
  return 4;
}

/* Decode one escape at p (pointing at '\\') into *o (room reserved); returns
 * the input position after it or NULL on a bad escape (c->p set for the
 * message). Lone surrogates become U+FFFD (like many JSON tools) rather
 * than invalid UTF-8. */
static inline const char *decode_escape(pq_jctx *c, const char *p, uint8_t **o) {
  const char *end = c->end;
  if (end - p < 2) {
    c->p = p;
    return NULL;
  }
  static const char simple[128] = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
                                   ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};
  unsigned char e = (unsigned char)p[1];
  if (e < 128 && simple[e]) {
    *(*o)++ = (uint8_t)simple[e];
    return p + 2;
  }
  if (e != 'u') {
    c->p = p;
    return NULL;
  }
  int h = end - p >= 6 ? hex4(p + 2) : -1;
  if (h < 0) {
    c->p = p;
    return NULL;
  }
  uint32_t cp = (uint32_t)h;
  const char *q = p + 6;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    int lo = (end - q >= 6 && q[0] == '\\' && q[1] == 'u') ? hex4(q + 2) : -1;
    if (lo >= 0xDC00 && lo <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
      q += 6;
    } else {
      cp = 0xFFFD;
    }
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    cp = 0xFFFD;
  }
  *o += put_utf8(*o, cp);
  return q;
}

/* Decoded text is never longer than its source (escapes shrink), so one
 * reservation of the rest of the line (+16 for whole-vector stores) covers
 * the string and the loop writes through a raw pointer. */
parq_status pq_json_string(pq_jctx *c, parq_buf *out) {
  const char *p = c->p + 1, *end = c->end;
  if (parq_buf_reserve(out, (size_t)(end - p) + 32)) return PARQ_ENOMEM;
  uint8_t *o = out->data + out->len;
  for (;;) {
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    int bits;
    for (;;) {
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
      _mm_storeu_si128((__m128i *)(void *)o, v);
      __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                               _mm_cmplt_epi8(v, sp));
      bits = _mm_movemask_epi8(m);
      if (bits) break;
      p += 16;
      o += 16;
    }
    int k = __builtin_ctz((unsigned)bits);
    p += k;
    o += k;
#else
    const char *s = scan_special(p, end);
    memcpy(o, p, (size_t)(s - p));
    o += s - p;
    p = s;
#endif
    if (p >= end) {
      c->p = end;
      return pq_json_syntax(c, "unterminated string");
    }
    unsigned char ch = (unsigned char)*p;
    if (ch == '"') {
      c->p = p + 1;
      out->len = (size_t)(o - out->data);
      return PARQ_OK;
    }
    if (ch == '\\') {
      const char *n = decode_escape(c, p, &o);
      if (!n) return pq_json_syntax(c, "invalid escape");
      p = n;
      continue;
    }
    if (ch < 0x20) {
      c->p = p;
      return pq_json_syntax(c, "control character in string");
    }
    /* Non-ASCII: validate a run of multi-byte sequences (and ASCII between
     * them) with a scalar loop, which suits text that is mostly non-ASCII. */
    int ascii = 0;
    while (p < end && ascii < 8) {
      unsigned char b = (unsigned char)*p;
      if (b >= 0x80) {
        int n = pq_utf8_seq((const unsigned char *)p, (const unsigned char *)end);
        if (!n) {
          c->p = p;
          return pq_json_syntax(c, "invalid UTF-8 in string");
        }
        memcpy(o, p, 4); /* room: 32 spare bytes */
        o += n;
        p += n;
        ascii = 0;
      } else if (b < 0x20 || b == '"' || b == '\\') {
        break;
      } else {
        *o++ = b;
        p++;
        ascii++;
      }
    }
  }
}

/* First '"' or '\\' in [p, end) (end if none): skipping needs no more. */
static inline const char *scan_quote(const char *p, const char *end) {
#if defined(__SSE2__)
  const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
  while (p < end) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    int bits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)));
    if (bits) {
      const char *r = p + __builtin_ctz((unsigned)bits);
      return r < end ? r : end;
    }
    p += 16;
  }
  return end;
#else
  while (p < end && *p != '"' && *p != '\\') p++;
  return p;
#endif
}

/* Skipped strings (unknown keys, inference) are checked for termination and
 * escape shape only; their bytes are dropped, so UTF-8 is not validated. */
parq_status pq_json_skip_string(pq_jctx *c) {
  const char *p = c->p + 1, *end = c->end;
  for (;;) {
    const char *s = scan_quote(p, end);
    if (s >= end) {
      c->p = end;
      return pq_json_syntax(c, "unterminated string");
    }
    if (*s == '"') {
      c->p = s + 1;
      return PARQ_OK;
    }
    if (end - s < 2) {
      c->p = s;
      return pq_json_syntax(c, "unterminated escape");
    }
    p = s + 2;
  }
}

parq_status pq_json_number(pq_jctx *c, const char **s, size_t *n, bool *is_int) {
  const char *p = c->p, *end = c->end, *start = p;
  bool isint = true;
  if (p < end && *p == '-') p++;
  if (p >= end || (unsigned)(*p - '0') > 9) {
    c->p = p;
    return pq_json_syntax(c, "invalid number");
  }
  if (*p == '0') {
    p++;
  } else {
    while (p < end && (unsigned)(*p - '0') <= 9) p++;
  }
  if (p < end && *p == '.') {
    isint = false;
    p++;
    if (p >= end || (unsigned)(*p - '0') > 9) {
      c->p = p;
      return pq_json_syntax(c, "invalid number");
    }
    while (p < end && (unsigned)(*p - '0') <= 9) p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    isint = false;
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || (unsigned)(*p - '0') > 9) {
      c->p = p;
      return pq_json_syntax(c, "invalid number");
    }
    while (p < end && (unsigned)(*p - '0') <= 9) p++;
  }
  c->p = p;
  *s = start;
  *n = (size_t)(p - start);
  *is_int = isint;
  return PARQ_OK;
}

parq_status pq_json_word(pq_jctx *c, const char *w, size_t n) {
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n)) return pq_json_syntax(c, "invalid literal");
  c->p += n;
  return PARQ_OK;
}

parq_status pq_json_skip_value(pq_jctx *c) {
  if (c->p >= c->end) return pq_json_syntax(c, "expected a value");
  switch (*c->p) {
    case '"': return pq_json_skip_string(c);
    case 't': return pq_json_word(c, "true", 4);
    case 'f': return pq_json_word(c, "false", 5);
    case 'n': return pq_json_word(c, "null", 4);
    case '{': case '[': {
      char close = *c->p == '{' ? '}' : ']';
      bool obj = close == '}';
      if (++c->depth > PQ_JSON_MAX_DEPTH) return pq_json_syntax(c, "nesting too deep");
      c->p++;
      pq_json_ws(c);
      if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return PARQ_OK;
      }
      for (;;) {
        if (obj) {
          if (c->p >= c->end || *c->p != '"') return pq_json_syntax(c, "expected '\"' (object key)");
          PARQ_TRY(pq_json_skip_string(c));
          pq_json_ws(c);
          if (c->p >= c->end || *c->p != ':') return pq_json_syntax(c, "expected ':'");
          c->p++;
          pq_json_ws(c);
        }
        PARQ_TRY(pq_json_skip_value(c));
        pq_json_ws(c);
        if (c->p < c->end && *c->p == ',') {
          c->p++;
          pq_json_ws(c);
          continue;
        }
        if (c->p < c->end && *c->p == close) {
          c->p++;
          c->depth--;
          return PARQ_OK;
        }
        return pq_json_syntax(c, obj ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
    default: {
      const char *s;
      size_t n;
      bool is_int;
      if (*c->p == '-' || (unsigned)(*c->p - '0') <= 9) return pq_json_number(c, &s, &n, &is_int);
      return pq_json_syntax(c, "expected a value");
    }
  }
}

/* ---------------- parsing values into column builders ---------------- */

static const char *kind_of(char ch) {
  switch (ch) {
    case '"': return "string";
    case '{': return "object";
    case '[': return "array";
    case 't': case 'f': return "boolean";
    default: return "number";
  }
}

static parq_status mismatch(pq_jctx *c, pq_col *col, const char *got, const char *why) {
  return parq_err_set(c->err, PARQ_ESCHEMA, "%s:%lld: field '%s': %s value does not fit type %s%s%s",
                      c->file, (long long)c->lineno, col->path, got, col->tname, why ? ": " : "",
                      why ? why : "");
}

/* A utf8 column receiving a non-string value stores its JSON text (numbers
 * and literals verbatim, objects/arrays as their source text). */
static parq_status append_raw_text(pq_jctx *c, pq_col *col) {
  const char *s = c->p;
  PARQ_TRY(pq_json_skip_value(c));
  if (parq_buf_append(&col->data, s, (size_t)(c->p - s))) return PARQ_ENOMEM;
  return pq_col_end_var(col, col->data.len, true);
}

static parq_status list_into(pq_jctx *c, pq_col *col) {
  pq_col *kid = &col->kids[0];
  if (++c->depth > PQ_JSON_MAX_DEPTH) return pq_json_syntax(c, "nesting too deep");
  c->p++;
  pq_json_ws(c);
  int64_t n = 0;
  if (c->p < c->end && *c->p == ']') {
    c->p++;
  } else {
    for (;;) {
      PARQ_TRY(pq_json_value_into(c, kid));
      n++;
      pq_json_ws(c);
      if (c->p < c->end && *c->p == ',') {
        c->p++;
        pq_json_ws(c);
        continue;
      }
      if (c->p < c->end && *c->p == ']') {
        c->p++;
        break;
      }
      return pq_json_syntax(c, "expected ',' or ']'");
    }
  }
  c->depth--;
  if (col->t.kind == PQA_FIXED_LIST) {
    if (n != col->t.width) {
      char why[64];
      snprintf(why, sizeof why, "array has %lld elements", (long long)n);
      return mismatch(c, col, "array", why);
    }
    PARQ_TRY(pq_col_valid(col, true));
    col->length++;
    return PARQ_OK;
  }
  return pq_col_end_var(col, (size_t)kid->length, true);
}

/* Map from a JSON object: keys converted from their text to the key type. */
static parq_status map_object_into(pq_jctx *c, pq_col *col) {
  pq_col *ent = &col->kids[0], *key = &ent->kids[0], *val = &ent->kids[1];
  if (++c->depth > PQ_JSON_MAX_DEPTH) return pq_json_syntax(c, "nesting too deep");
  c->p++;
  pq_json_ws(c);
  if (c->p < c->end && *c->p == '}') {
    c->p++;
  } else {
    for (;;) {
      if (c->p >= c->end || *c->p != '"') return pq_json_syntax(c, "expected '\"' (object key)");
      c->scratch.len = 0;
      PARQ_TRY(pq_json_string(c, &c->scratch));
      const char *why = NULL;
      parq_status st = pq_col_append_text(key, (const char *)c->scratch.data, c->scratch.len, &why);
      if (st == PARQ_ESCHEMA) return mismatch(c, key, "string", why);
      PARQ_TRY(st);
      pq_json_ws(c);
      if (c->p >= c->end || *c->p != ':') return pq_json_syntax(c, "expected ':'");
      c->p++;
      pq_json_ws(c);
      PARQ_TRY(pq_json_value_into(c, val));
      PARQ_TRY(pq_col_valid(ent, true));
      ent->length++;
      pq_json_ws(c);
      if (c->p < c->end && *c->p == ',') {
        c->p++;
        pq_json_ws(c);
        continue;
      }
      if (c->p < c->end && *c->p == '}') {
        c->p++;
        break;
      }
      return pq_json_syntax(c, "expected ',' or '}'");
    }
  }
  c->depth--;
  return pq_col_end_var(col, (size_t)ent->length, true);
}

static inline int find_field(pq_col *col, const char *k, size_t kl) {
  int n = col->n_kids, h = col->hint;
  if (h < n && col->kids[h].name_len == kl && !memcmp(col->kids[h].name, k, kl)) return h;
  for (int i = 0; i < n; i++)
    if (col->kids[i].name_len == kl && !memcmp(col->kids[i].name, k, kl)) return i;
  return -1;
}

/* Keys not in the schema are skipped; a repeated key keeps its first value. */
parq_status pq_json_object_into(pq_jctx *c, pq_col *col) {
  int64_t row = col->length;
  if (++c->depth > PQ_JSON_MAX_DEPTH) return pq_json_syntax(c, "nesting too deep");
  c->p++;
  pq_json_ws(c);
  if (c->p < c->end && *c->p == '}') {
    c->p++;
  } else {
    for (;;) {
      if (c->p >= c->end || *c->p != '"') return pq_json_syntax(c, "expected '\"' (object key)");
      /* Keys rarely contain escapes: compare in place when they do not. */
      const char *k = c->p + 1, *q = scan_special(k, c->end);
      size_t kl;
      if (q < c->end && *q == '"') {
        kl = (size_t)(q - k);
        c->p = q + 1;
      } else {
        c->scratch.len = 0;
        PARQ_TRY(pq_json_string(c, &c->scratch));
        k = (const char *)c->scratch.data;
        kl = c->scratch.len;
      }
      int fi = find_field(col, k, kl);
      pq_json_ws(c);
      if (c->p >= c->end || *c->p != ':') return pq_json_syntax(c, "expected ':'");
      c->p++;
      pq_json_ws(c);
      if (fi >= 0 && col->kids[fi].length == row) {
        col->hint = fi + 1;
        PARQ_TRY(pq_json_value_into(c, &col->kids[fi]));
      } else {
        PARQ_TRY(pq_json_skip_value(c));
      }
      pq_json_ws(c);
      if (c->p < c->end && *c->p == ',') {
        c->p++;
        pq_json_ws(c);
        continue;
      }
      if (c->p < c->end && *c->p == '}') {
        c->p++;
        break;
      }
      return pq_json_syntax(c, "expected ',' or '}'");
    }
  }
  c->depth--;
  col->hint = 0;
  for (int i = 0; i < col->n_kids; i++)
    if (col->kids[i].length == row) PARQ_TRY(pq_col_append_null(&col->kids[i]));
  PARQ_TRY(pq_col_valid(col, true));
  col->length++;
  return PARQ_OK;
}

parq_status pq_json_value_into(pq_jctx *c, pq_col *col) {
  if (c->p >= c->end) return pq_json_syntax(c, "expected a value");
  char ch = *c->p;
  if (ch == 'n') {
    PARQ_TRY(pq_json_word(c, "null", 4));
    return pq_col_append_null(col);
  }
  const char *why = NULL;
  parq_status st;
  switch (col->t.kind) {
    case PQA_UTF8: case PQA_LARGE_UTF8:
      if (ch == '"') {
        PARQ_TRY(pq_json_string(c, &col->data));
        return pq_col_end_var(col, col->data.len, true);
      }
      return append_raw_text(c, col);
    case PQA_NULL:
      PARQ_TRY(pq_json_skip_value(c));
      return pq_col_append_null(col);
    case PQA_STRUCT:
      if (ch != '{') break;
      return pq_json_object_into(c, col);
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_FIXED_LIST:
      if (ch != '[') break;
      return list_into(c, col);
    case PQA_MAP:
      if (ch == '{') return map_object_into(c, col);
      if (ch == '[') return list_into(c, col); /* [{"key":..,"value":..}, ...] */
      break;
    default:
      if (ch == '"') {
        c->scratch.len = 0;
        PARQ_TRY(pq_json_string(c, &c->scratch));
        st = pq_col_append_text(col, (const char *)c->scratch.data, c->scratch.len, &why);
        if (st == PARQ_ESCHEMA) return mismatch(c, col, "string", why);
        return st;
      }
      if (ch == 't' || ch == 'f') {
        bool v = ch == 't';
        PARQ_TRY(pq_json_word(c, v ? "true" : "false", v ? 4 : 5));
        st = pq_col_append_bool(col, v, &why);
        if (st == PARQ_ESCHEMA) return mismatch(c, col, "boolean", why);
        return st;
      }
      if (ch == '-' || (unsigned)(ch - '0') <= 9) {
        const char *s;
        size_t n;
        bool is_int;
        PARQ_TRY(pq_json_number(c, &s, &n, &is_int));
        st = pq_col_append_number(col, s, n, is_int, &why);
        if (st == PARQ_ESCHEMA) return mismatch(c, col, is_int ? "integer" : "float", why);
        return st;
      }
      break;
  }
  if (ch != '"' && ch != '{' && ch != '[' && ch != 't' && ch != 'f' && ch != '-' &&
      (unsigned)(ch - '0') > 9)
    return pq_json_syntax(c, "expected a value");
  return mismatch(c, col, kind_of(ch), NULL);
}
