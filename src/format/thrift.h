/* thrift.h — the Thrift compact protocol: a bounds-checked reader over a byte
 * buffer and a writer appending to a parq_buf.
 *
 * Only what Parquet metadata needs: varints, zigzag integers, field headers
 * (delta and long form), lists/sets, maps (skipped only), structs, binary, and
 * bools carried in the field type. The reader never trusts the input: every
 * length is checked against the remaining bytes, and nesting is bounded by
 * PQ_THRIFT_MAX_DEPTH so hostile input cannot exhaust the stack.
 *
 * Reader errors are PARQ_ECORRUPT with the byte offset in the message. The
 * writer keeps a sticky status (first failure wins) so encoders can emit many
 * fields and check once at the end. */
#ifndef PARQ_FORMAT_THRIFT_H
#define PARQ_FORMAT_THRIFT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parq.h"
#include "util/arena.h"
#include "util/buf.h"

/* Compact-protocol wire types (the low nibble of a field header). */
enum {
  PQ_TT_STOP = 0, PQ_TT_TRUE = 1, PQ_TT_FALSE = 2, PQ_TT_BYTE = 3, PQ_TT_I16 = 4,
  PQ_TT_I32 = 5, PQ_TT_I64 = 6, PQ_TT_DOUBLE = 7, PQ_TT_BINARY = 8, PQ_TT_LIST = 9,
  PQ_TT_SET = 10, PQ_TT_MAP = 11, PQ_TT_STRUCT = 12, PQ_TT_UUID = 13
};

/* Structs/lists/maps nested deeper than this are rejected as corrupt. */
#define PQ_THRIFT_MAX_DEPTH 64

typedef struct pq_thrift_reader {
  const uint8_t *start, *p, *end;
  int depth;
  parq_error *err;
} pq_thrift_reader;

void pq_tr_init(pq_thrift_reader *r, const void *data, size_t len, parq_error *err);
static inline size_t pq_tr_pos(const pq_thrift_reader *r) { return (size_t)(r->p - r->start); }
static inline size_t pq_tr_left(const pq_thrift_reader *r) { return (size_t)(r->end - r->p); }

/* Plain values. i16/i32 fail when the zigzag value does not fit. The common
 * one-byte cases are inline because page headers are decoded once per page;
 * the *_slow functions handle everything else (and all errors). */
parq_status pq_tr_varint_slow(pq_thrift_reader *r, uint64_t *v);
parq_status pq_tr_range_error(pq_thrift_reader *r, const char *what);
static inline parq_status pq_tr_varint(pq_thrift_reader *r, uint64_t *v) {
  if (r->p < r->end && !(*r->p & 0x80)) {
    *v = *r->p++;
    return PARQ_OK;
  }
  return pq_tr_varint_slow(r, v);
}
static inline int64_t pq_unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }
static inline parq_status pq_tr_i64(pq_thrift_reader *r, int64_t *v) {
  uint64_t u = 0;
  parq_status st = pq_tr_varint(r, &u);
  if (st) return st;
  *v = pq_unzigzag(u);
  return PARQ_OK;
}
static inline parq_status pq_tr_i32(pq_thrift_reader *r, int32_t *v) {
  uint64_t u = 0;
  parq_status st = pq_tr_varint(r, &u);
  if (st) return st;
  if (u > UINT32_MAX) return pq_tr_range_error(r, "i32");
  *v = (int32_t)pq_unzigzag(u);
  return PARQ_OK;
}
parq_status pq_tr_i16(pq_thrift_reader *r, int16_t *v);
parq_status pq_tr_i8(pq_thrift_reader *r, int8_t *v);
parq_status pq_tr_i16(pq_thrift_reader *r, int16_t *v);
parq_status pq_tr_i32(pq_thrift_reader *r, int32_t *v);
parq_status pq_tr_i64(pq_thrift_reader *r, int64_t *v);
/* A bool inside a list/set/map (one byte; 1 = true). Bool *fields* have their
 * value in the field type instead: PQ_TT_TRUE / PQ_TT_FALSE. */
parq_status pq_tr_bool_elem(pq_thrift_reader *r, bool *v);
/* Binary/string: points into the input; length checked against what is left. */
parq_status pq_tr_binary(pq_thrift_reader *r, const uint8_t **p, uint32_t *len);
/* Binary copied into the arena with a terminating NUL. */
parq_status pq_tr_string(pq_thrift_reader *r, parq_arena *a, const char **out);

/* Struct framing: begin checks and increments the depth; end decrements it.
 * Between them, pq_tr_field() yields each field; *type == PQ_TT_STOP ends the
 * struct. *last_id is the struct's previous field id (start at 0). */
parq_status pq_tr_struct_begin(pq_thrift_reader *r);
static inline void pq_tr_struct_end(pq_thrift_reader *r) { r->depth--; }
parq_status pq_tr_field_slow(pq_thrift_reader *r, int16_t *last_id, uint8_t *type, int16_t *id);
static inline parq_status pq_tr_field(pq_thrift_reader *r, int16_t *last_id, uint8_t *type,
                                      int16_t *id) {
  /* Fast path: short-form header (delta 1..15) of a valid type, no overflow. */
  if (r->p < r->end) {
    uint8_t b = *r->p, t = b & 0x0f;
    if (b >> 4 && t <= PQ_TT_UUID && t != PQ_TT_STOP && *last_id < INT16_MAX - 15) {
      r->p++;
      *type = t;
      *id = (int16_t)(*last_id + (b >> 4));
      *last_id = *id;
      return PARQ_OK;
    }
  }
  return pq_tr_field_slow(r, last_id, type, id);
}

/* List or set header. The size is checked against the remaining bytes (every
 * element takes at least one byte) so callers may allocate `*n` elements.
 * Bool element types are normalised to PQ_TT_TRUE. */
parq_status pq_tr_list(pq_thrift_reader *r, uint8_t *elem_type, uint32_t *n);

/* Skip a field value of wire type `type` (any type, nested to the depth limit). */
parq_status pq_tr_skip(pq_thrift_reader *r, uint8_t type);

/* ---- Writer ---- */
typedef struct pq_thrift_writer {
  parq_buf *out;
  parq_status st; /* first failure; later calls do nothing */
} pq_thrift_writer;

static inline void pq_tw_init(pq_thrift_writer *w, parq_buf *out) {
  w->out = out;
  w->st = PARQ_OK;
}
/* Raw values (list elements, or after pq_tw_field). */
void pq_tw_varint(pq_thrift_writer *w, uint64_t v);
void pq_tw_i32(pq_thrift_writer *w, int32_t v);
void pq_tw_i64(pq_thrift_writer *w, int64_t v);
void pq_tw_bool_elem(pq_thrift_writer *w, bool v);
void pq_tw_binary(pq_thrift_writer *w, const void *p, size_t n);
void pq_tw_list(pq_thrift_writer *w, uint8_t elem_type, uint32_t n);

/* Field header; ids must increase within a struct for delta encoding to be
 * used, but any order is encoded correctly. For PQ_TT_STRUCT the caller then
 * writes the nested fields (with its own last id = 0) and pq_tw_stop(). */
void pq_tw_field(pq_thrift_writer *w, int16_t *last_id, uint8_t type, int16_t id);
void pq_tw_stop(pq_thrift_writer *w);
/* Field header + value in one call. */
void pq_tw_field_i8(pq_thrift_writer *w, int16_t *last_id, int16_t id, int8_t v);
void pq_tw_field_i16(pq_thrift_writer *w, int16_t *last_id, int16_t id, int16_t v);
void pq_tw_field_i32(pq_thrift_writer *w, int16_t *last_id, int16_t id, int32_t v);
void pq_tw_field_i64(pq_thrift_writer *w, int16_t *last_id, int16_t id, int64_t v);
void pq_tw_field_bool(pq_thrift_writer *w, int16_t *last_id, int16_t id, bool v);
void pq_tw_field_binary(pq_thrift_writer *w, int16_t *last_id, int16_t id, const void *p,
                        size_t n);
/* Field header + list header. */
void pq_tw_field_list(pq_thrift_writer *w, int16_t *last_id, int16_t id, uint8_t elem_type,
                      uint32_t n);
/* An empty struct as a field (union members such as StringType). */
void pq_tw_field_empty_struct(pq_thrift_writer *w, int16_t *last_id, int16_t id);

#endif
