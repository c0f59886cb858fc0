/* encoding.h — Parquet value and level encodings (Encodings.md), decode and
 * encode. Pure functions over byte ranges: no I/O, no Parquet metadata.
 *
 * Decoders read from [data, data+len), never past it, and return
 * PARQ_ECORRUPT (message says which encoding and what was wrong) when the
 * input is short or malformed. `*consumed` (may be NULL) gets the bytes used.
 *
 * Byte-array values are produced in Arrow layout: bytes are appended to a
 * parq_buf and offsets_out[i] receives the END offset (within that buffer,
 * after appending) of value i, so a caller that pre-set offsets[-1] (the
 * start) gets a ready Arrow offsets array. Offsets are int32: exceeding
 * INT32_MAX bytes in one buffer returns PARQ_ENOMEM.
 * The *_rel variants differ only in that offsets count from the buffer's
 * length at entry (the page's own values, so a buffer may grow past 2 GiB
 * across pages); callers keeping int64 offsets (Arrow large_utf8 /
 * large_binary) add that base themselves.
 *
 * Encoders append to a parq_buf and return PARQ_OK or PARQ_ENOMEM. */
#ifndef PARQ_ENCODING_H
#define PARQ_ENCODING_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parq.h"
#include "util/buf.h"

/* ---------- bit width helpers ---------- */
/* Number of bits needed to represent v (0 for v == 0). */
static inline int pq_bit_width(uint64_t v) { return v ? 64 - __builtin_clzll(v) : 0; }

/* ---------- RLE / bit-packed hybrid (levels, dictionary indices, booleans) ----------
 * `data` starts at the first run header (no length prefix). Decodes exactly n
 * values; fewer available => PARQ_ECORRUPT. bit_width in 0..32. */
parq_status pq_rle_decode_u32(const uint8_t *data, size_t len, int bit_width, uint32_t *out,
                              size_t n, size_t *consumed, parq_error *err);
/* Same for levels (max level fits 16 bits). */
parq_status pq_rle_decode_u16(const uint8_t *data, size_t len, int bit_width, uint16_t *out,
                              size_t n, size_t *consumed, parq_error *err);
/* Legacy BIT_PACKED levels (deprecated): MSB-first bit packing, exactly n values. */
parq_status pq_bitpacked_legacy_decode_u16(const uint8_t *data, size_t len, int bit_width,
                                           uint16_t *out, size_t n, size_t *consumed,
                                           parq_error *err);
/* Encode n values (no length prefix) with the hybrid format. */
parq_status pq_rle_encode_u32(const uint32_t *vals, size_t n, int bit_width, parq_buf *out);
parq_status pq_rle_encode_u16(const uint16_t *vals, size_t n, int bit_width, parq_buf *out);

/* ---------- PLAIN ---------- */
/* BOOLEAN plain: LSB-first bits -> one byte (0/1) per value. */
parq_status pq_plain_decode_bool(const uint8_t *data, size_t len, uint8_t *out, size_t n,
                                 size_t *consumed, parq_error *err);
parq_status pq_plain_encode_bool(const uint8_t *vals, size_t n, parq_buf *out);
/* BYTE_ARRAY plain: 4-byte little-endian length + bytes, n values. */
parq_status pq_plain_decode_byte_array(const uint8_t *data, size_t len, size_t n,
                                       parq_buf *bytes, int32_t *offsets_out, size_t *consumed,
                                       parq_error *err);
parq_status pq_plain_decode_byte_array_rel(const uint8_t *data, size_t len, size_t n,
                                           parq_buf *bytes, int32_t *offsets_out,
                                           size_t *consumed, parq_error *err);
/* Arrow string view (16 bytes): int32 length, then the value inline when
 * it is <= 12 bytes, else its first 4 bytes, the buffer index bi and the
 * offset off of the value in that buffer. */
static inline void pq_view_make(uint8_t *v, const uint8_t *s, uint32_t len, int32_t bi, uint32_t off) {
  memset(v, 0, 16);
  memcpy(v, &len, 4);
  if (len <= 12) {
    if (len) memcpy(v + 4, s, len);
  } else {
    memcpy(v + 4, s, 4);
    memcpy(v + 8, &bi, 4);
    memcpy(v + 12, &off, 4);
  }
}
/* BYTE_ARRAY plain as n views (views_out: n * 16 bytes) pointing into the
 * page itself: buffer index bi, offsets counted from base_off (where data
 * starts in that buffer). No value bytes are copied. */
parq_status pq_plain_decode_byte_array_views(const uint8_t *data, size_t len, size_t n,
                                             uint32_t base_off, int32_t bi, uint8_t *views_out,
                                             parq_error *err);
/* Encode n values given Arrow-style offsets (n+1 entries) and data. */
parq_status pq_plain_encode_byte_array(const int32_t *offsets, const uint8_t *data, size_t n,
                                       parq_buf *out);
/* Fixed-width plain (INT32/INT64/INT96/FLOAT/DOUBLE/FLBA) is a memcpy and is
 * done by the column layer directly. */

/* ---------- DELTA_BINARY_PACKED ---------- */
parq_status pq_delta_decode_i32(const uint8_t *data, size_t len, int32_t *out, size_t n,
                                size_t *consumed, parq_error *err);
parq_status pq_delta_decode_i64(const uint8_t *data, size_t len, int64_t *out, size_t n,
                                size_t *consumed, parq_error *err);
/* Block size 128, 4 miniblocks of 32 (the values Arrow and parquet-mr write). */
parq_status pq_delta_encode_i32(const int32_t *vals, size_t n, parq_buf *out);
parq_status pq_delta_encode_i64(const int64_t *vals, size_t n, parq_buf *out);

/* ---------- DELTA_LENGTH_BYTE_ARRAY ---------- */
parq_status pq_delta_length_decode(const uint8_t *data, size_t len, size_t n, parq_buf *bytes,
                                   int32_t *offsets_out, size_t *consumed, parq_error *err);
parq_status pq_delta_length_decode_rel(const uint8_t *data, size_t len, size_t n, parq_buf *bytes,
                                       int32_t *offsets_out, size_t *consumed, parq_error *err);
parq_status pq_delta_length_encode(const int32_t *offsets, const uint8_t *data, size_t n,
                                   parq_buf *out);

/* ---------- DELTA_BYTE_ARRAY (incremental / front coding) ----------
 * Also used for FIXED_LEN_BYTE_ARRAY. */
parq_status pq_delta_byte_array_decode(const uint8_t *data, size_t len, size_t n,
                                       parq_buf *bytes, int32_t *offsets_out, size_t *consumed,
                                       parq_error *err);
parq_status pq_delta_byte_array_decode_rel(const uint8_t *data, size_t len, size_t n,
                                           parq_buf *bytes, int32_t *offsets_out,
                                           size_t *consumed, parq_error *err);
parq_status pq_delta_byte_array_encode(const int32_t *offsets, const uint8_t *data, size_t n,
                                       parq_buf *out);

/* ---------- BYTE_STREAM_SPLIT ----------
 * n values of `width` bytes each (4, 8, 2 for FLOAT16, k for FLBA). The input
 * must be exactly n*width bytes. */
parq_status pq_bss_decode(const uint8_t *data, size_t len, size_t width, uint8_t *out, size_t n,
                          parq_error *err);
parq_status pq_bss_encode(const uint8_t *vals, size_t width, size_t n, parq_buf *out);

/* ---------- Dictionary building (writer) ----------
 * Maps values to dense indices in first-seen order. Fixed-width values are
 * compared bytewise (so -0.0 and 0.0, or two NaN payloads, stay distinct, as
 * the PLAIN round trip requires). */
typedef struct pq_dict pq_dict;
/* width > 0: fixed-width values of that many bytes; width == 0: byte arrays. */
pq_dict *pq_dict_new(size_t width);
void pq_dict_free(pq_dict *d);
void pq_dict_reset(pq_dict *d);
/* Insert n fixed-width values (contiguous, width bytes each); indices -> out. */
parq_status pq_dict_insert_fixed(pq_dict *d, const uint8_t *vals, size_t n, uint32_t *out);
/* Insert n byte arrays given Arrow offsets (n+1) and data; indices -> out. */
parq_status pq_dict_insert_binary(pq_dict *d, const int32_t *offsets, const uint8_t *data,
                                  size_t n, uint32_t *out);
size_t pq_dict_size(const pq_dict *d);          /* distinct values */
size_t pq_dict_plain_bytes(const pq_dict *d);   /* size of its PLAIN encoding */
/* Append the dictionary page body (PLAIN encoding of the values, in index order). */
parq_status pq_dict_write_plain(const pq_dict *d, parq_buf *out);
/* Access entry i (for statistics): fixed values point at width bytes. */
void pq_dict_get(const pq_dict *d, size_t i, const uint8_t **ptr, size_t *len);

#endif
