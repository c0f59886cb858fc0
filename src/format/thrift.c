/* thrift.c — Thrift compact protocol reader and writer (see thrift.h). */
#include "format/thrift.h"

#include <string.h>

#include "util/error.h"

void pq_tr_init(pq_thrift_reader *r, const void *data, size_t len, parq_error *err) {
  r->start = r->p = data;
  r->end = r->p + len;
  r->depth = 0;
  r->err = err;
}

static parq_status truncated(pq_thrift_reader *r, const char *what) {
  return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: truncated %s at byte %zu", what,
                      pq_tr_pos(r));
}

parq_status pq_tr_varint_slow(pq_thrift_reader *r, uint64_t *v) {
  const uint8_t *p = r->p;
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (p >= r->end) return truncated(r, "varint");
    uint8_t b = *p++;
    /* The 10th byte may only carry the top bit of a 64-bit value. */
    if (shift == 63 && b > 1)
      return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: varint overflows 64 bits at byte %zu",
                          pq_tr_pos(r));
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      r->p = p;
      *v = x;
      return PARQ_OK;
    }
  }
  return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: varint longer than 10 bytes at byte %zu",
                      pq_tr_pos(r));
}

parq_status pq_tr_range_error(pq_thrift_reader *r, const char *what) {
  return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: %s value out of range before byte %zu",
                      what, pq_tr_pos(r));
}

parq_status pq_tr_i16(pq_thrift_reader *r, int16_t *v) {
  uint64_t u;
  PARQ_TRY(pq_tr_varint(r, &u));
  if (u > UINT16_MAX) return pq_tr_range_error(r, "i16");
  *v = (int16_t)pq_unzigzag(u);
  return PARQ_OK;
}

parq_status pq_tr_i8(pq_thrift_reader *r, int8_t *v) {
  if (r->p >= r->end) return truncated(r, "byte");
  *v = (int8_t)*r->p++;
  return PARQ_OK;
}

parq_status pq_tr_bool_elem(pq_thrift_reader *r, bool *v) {
  if (r->p >= r->end) return truncated(r, "bool");
  /* Writers use 1 = true and 2 (or 0) = false. */
  *v = *r->p++ == PQ_TT_TRUE;
  return PARQ_OK;
}

parq_status pq_tr_binary(pq_thrift_reader *r, const uint8_t **p, uint32_t *len) {
  size_t at = pq_tr_pos(r);
  uint64_t n;
  PARQ_TRY(pq_tr_varint(r, &n));
  if (n > pq_tr_left(r) || n > UINT32_MAX)
    return parq_err_set(r->err, PARQ_ECORRUPT,
                        "thrift: binary length %llu exceeds the %zu bytes left at byte %zu",
                        (unsigned long long)n, pq_tr_left(r), at);
  *p = r->p;
  *len = (uint32_t)n;
  r->p += n;
  return PARQ_OK;
}

parq_status pq_tr_string(pq_thrift_reader *r, parq_arena *a, const char **out) {
  const uint8_t *p;
  uint32_t n;
  PARQ_TRY(pq_tr_binary(r, &p, &n));
  char *s = parq_arena_strndup(a, (const char *)p, n);
  if (!s) return parq_err_set(r->err, PARQ_ENOMEM, "thrift: out of memory copying a string");
  *out = s;
  return PARQ_OK;
}

parq_status pq_tr_struct_begin(pq_thrift_reader *r) {
  if (r->depth >= PQ_THRIFT_MAX_DEPTH)
    return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: nesting deeper than %d at byte %zu",
                        PQ_THRIFT_MAX_DEPTH, pq_tr_pos(r));
  r->depth++;
  return PARQ_OK;
}

parq_status pq_tr_field_slow(pq_thrift_reader *r, int16_t *last_id, uint8_t *type,
                             int16_t *id) {
  if (r->p >= r->end) return truncated(r, "struct (missing field stop)");
  size_t at = pq_tr_pos(r);
  uint8_t b = *r->p++;
  uint8_t t = b & 0x0f;
  *type = t;
  if (t == PQ_TT_STOP) return PARQ_OK;
  if (t > PQ_TT_UUID)
    return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: invalid field type %u at byte %zu", t,
                        at);
  uint8_t delta = b >> 4;
  if (delta) {
    int32_t nid = (int32_t)*last_id + delta;
    if (nid > INT16_MAX)
      return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: field id overflow at byte %zu", at);
    *id = (int16_t)nid;
  } else {
    PARQ_TRY(pq_tr_i16(r, id));
  }
  *last_id = *id;
  return PARQ_OK;
}

static bool valid_elem_type(uint8_t t) { return t >= PQ_TT_TRUE && t <= PQ_TT_UUID; }

parq_status pq_tr_list(pq_thrift_reader *r, uint8_t *elem_type, uint32_t *n) {
  if (r->p >= r->end) return truncated(r, "list header");
  size_t at = pq_tr_pos(r);
  uint8_t b = *r->p++;
  uint8_t t = b & 0x0f;
  uint64_t size = b >> 4;
  if (size == 15) PARQ_TRY(pq_tr_varint(r, &size));
  if (size && !valid_elem_type(t))
    return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: invalid list element type %u at byte %zu",
                        t, at);
  /* Every element occupies at least one byte, so this bounds allocations by
   * the input size. */
  if (size > pq_tr_left(r))
    return parq_err_set(r->err, PARQ_ECORRUPT,
                        "thrift: list of %llu elements exceeds the %zu bytes left at byte %zu",
                        (unsigned long long)size, pq_tr_left(r), at);
  *elem_type = t == PQ_TT_FALSE ? PQ_TT_TRUE : t;
  *n = (uint32_t)size;
  return PARQ_OK;
}

/* in_container: bools in lists/maps take a byte; bool fields take none. */
static parq_status skip_value(pq_thrift_reader *r, uint8_t type, bool in_container) {
  uint64_t u;
  switch (type) {
  case PQ_TT_TRUE:
  case PQ_TT_FALSE:
    if (!in_container) return PARQ_OK;
    /* fall through */
  case PQ_TT_BYTE:
    if (r->p >= r->end) return truncated(r, "byte");
    r->p++;
    return PARQ_OK;
  case PQ_TT_I16:
  case PQ_TT_I32:
  case PQ_TT_I64:
    return pq_tr_varint(r, &u);
  case PQ_TT_DOUBLE:
  case PQ_TT_UUID: {
    size_t w = type == PQ_TT_DOUBLE ? 8 : 16;
    if (pq_tr_left(r) < w) return truncated(r, type == PQ_TT_DOUBLE ? "double" : "uuid");
    r->p += w;
    return PARQ_OK;
  }
  case PQ_TT_BINARY: {
    const uint8_t *p;
    uint32_t n;
    return pq_tr_binary(r, &p, &n);
  }
  case PQ_TT_LIST:
  case PQ_TT_SET: {
    uint8_t et;
    uint32_t n;
    PARQ_TRY(pq_tr_list(r, &et, &n));
    PARQ_TRY(pq_tr_struct_begin(r)); /* counts list nesting against the depth limit */
    for (uint32_t i = 0; i < n; i++) PARQ_TRY(skip_value(r, et, true));
    pq_tr_struct_end(r);
    return PARQ_OK;
  }
  case PQ_TT_MAP: {
    size_t at = pq_tr_pos(r);
    PARQ_TRY(pq_tr_varint(r, &u));
    if (u == 0) return PARQ_OK;
    /* Each entry needs at least a key byte and a value byte. */
    if (u > pq_tr_left(r) / 2)
      return parq_err_set(r->err, PARQ_ECORRUPT,
                          "thrift: map of %llu entries exceeds the input at byte %zu",
                          (unsigned long long)u, at);
    if (r->p >= r->end) return truncated(r, "map header");
    uint8_t kv = *r->p++;
    uint8_t kt = kv >> 4, vt = kv & 0x0f;
    if (!valid_elem_type(kt) || !valid_elem_type(vt))
      return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: invalid map types 0x%02x at byte %zu",
                          kv, at);
    PARQ_TRY(pq_tr_struct_begin(r));
    for (uint64_t i = 0; i < u; i++) {
      PARQ_TRY(skip_value(r, kt, true));
      PARQ_TRY(skip_value(r, vt, true));
    }
    pq_tr_struct_end(r);
    return PARQ_OK;
  }
  case PQ_TT_STRUCT: {
    PARQ_TRY(pq_tr_struct_begin(r));
    int16_t last = 0, id;
    uint8_t t;
    for (;;) {
      PARQ_TRY(pq_tr_field(r, &last, &t, &id));
      if (t == PQ_TT_STOP) break;
      PARQ_TRY(skip_value(r, t, false));
    }
    pq_tr_struct_end(r);
    return PARQ_OK;
  }
  default:
    return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: cannot skip type %u at byte %zu", type,
                        pq_tr_pos(r));
  }
}

parq_status pq_tr_skip(pq_thrift_reader *r, uint8_t type) { return skip_value(r, type, false); }

/* ---- Writer ---- */

/* Reserve room for n bytes; false (and sticky ENOMEM) on failure. */
static inline bool tw_room(pq_thrift_writer *w, size_t n) {
  if (w->st) return false;
  if (w->out->cap - w->out->len >= n) return true;
  if (parq_buf_reserve(w->out, n)) {
    w->st = PARQ_ENOMEM;
    return false;
  }
  return true;
}

static inline void put_varint(parq_buf *b, uint64_t v) {
  uint8_t *p = b->data + b->len;
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  b->len = (size_t)(p - b->data);
}

static inline uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

void pq_tw_varint(pq_thrift_writer *w, uint64_t v) {
  if (tw_room(w, 10)) put_varint(w->out, v);
}

void pq_tw_i32(pq_thrift_writer *w, int32_t v) {
  /* 32-bit zigzag: same bits as 64-bit zigzag of a sign-extended value. */
  if (tw_room(w, 5)) put_varint(w->out, (uint32_t)zigzag(v));
}

void pq_tw_i64(pq_thrift_writer *w, int64_t v) {
  if (tw_room(w, 10)) put_varint(w->out, zigzag(v));
}

void pq_tw_bool_elem(pq_thrift_writer *w, bool v) {
  if (tw_room(w, 1)) w->out->data[w->out->len++] = v ? PQ_TT_TRUE : PQ_TT_FALSE;
}

void pq_tw_binary(pq_thrift_writer *w, const void *p, size_t n) {
  if (!w->st && n > UINT32_MAX) w->st = PARQ_EINVAL;
  if (!tw_room(w, 10 + n)) return;
  put_varint(w->out, n);
  if (n) parq_buf_put(w->out, p, n);
}

void pq_tw_list(pq_thrift_writer *w, uint8_t elem_type, uint32_t n) {
  if (!tw_room(w, 6)) return;
  parq_buf *b = w->out;
  if (n < 15) {
    b->data[b->len++] = (uint8_t)(n << 4 | elem_type);
  } else {
    b->data[b->len++] = (uint8_t)(0xf0 | elem_type);
    put_varint(b, n);
  }
}

void pq_tw_field(pq_thrift_writer *w, int16_t *last_id, uint8_t type, int16_t id) {
  if (!tw_room(w, 4)) return;
  parq_buf *b = w->out;
  int32_t delta = (int32_t)id - *last_id;
  if (delta > 0 && delta <= 15) {
    b->data[b->len++] = (uint8_t)(delta << 4 | type);
  } else {
    b->data[b->len++] = type;
    put_varint(b, (uint32_t)zigzag(id));
  }
  *last_id = id;
}

void pq_tw_stop(pq_thrift_writer *w) {
  if (tw_room(w, 1)) w->out->data[w->out->len++] = PQ_TT_STOP;
}

void pq_tw_field_i8(pq_thrift_writer *w, int16_t *last_id, int16_t id, int8_t v) {
  pq_tw_field(w, last_id, PQ_TT_BYTE, id);
  if (tw_room(w, 1)) w->out->data[w->out->len++] = (uint8_t)v;
}

void pq_tw_field_i16(pq_thrift_writer *w, int16_t *last_id, int16_t id, int16_t v) {
  pq_tw_field(w, last_id, PQ_TT_I16, id);
  pq_tw_i32(w, v);
}

void pq_tw_field_i32(pq_thrift_writer *w, int16_t *last_id, int16_t id, int32_t v) {
  pq_tw_field(w, last_id, PQ_TT_I32, id);
  pq_tw_i32(w, v);
}

void pq_tw_field_i64(pq_thrift_writer *w, int16_t *last_id, int16_t id, int64_t v) {
  pq_tw_field(w, last_id, PQ_TT_I64, id);
  pq_tw_i64(w, v);
}

void pq_tw_field_bool(pq_thrift_writer *w, int16_t *last_id, int16_t id, bool v) {
  pq_tw_field(w, last_id, v ? PQ_TT_TRUE : PQ_TT_FALSE, id);
}

void pq_tw_field_binary(pq_thrift_writer *w, int16_t *last_id, int16_t id, const void *p,
                        size_t n) {
  pq_tw_field(w, last_id, PQ_TT_BINARY, id);
  pq_tw_binary(w, p, n);
}

void pq_tw_field_list(pq_thrift_writer *w, int16_t *last_id, int16_t id, uint8_t elem_type,
                      uint32_t n) {
  pq_tw_field(w, last_id, PQ_TT_LIST, id);
  pq_tw_list(w, elem_type, n);
}

void pq_tw_field_empty_struct(pq_thrift_writer *w, int16_t *last_id, int16_t id) {
  pq_tw_field(w, last_id, PQ_TT_STRUCT, id);
  pq_tw_stop(w);
}
