/* plain.c — PLAIN encoding for BOOLEAN (bit-packed, LSB first) and
 * BYTE_ARRAY (4-byte little-endian length + bytes). Fixed-width PLAIN is a
 * memcpy done by the column layer. */
#include "encoding/encoding.h"
#include "util/error.h"

static inline uint32_t rd32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

parq_status pq_plain_decode_bool(const uint8_t *data, size_t len, uint8_t *out, size_t n,
                                 size_t *consumed, parq_error *err) {
  size_t nb = n / 8 + (n % 8 != 0);
  if (nb > len)
    return parq_err_set(err, PARQ_ECORRUPT,
                        "PLAIN BOOLEAN: %zu values need %zu bytes, only %zu present", n, nb, len);
  size_t full = n / 8;
  for (size_t i = 0; i < full; i++) {
    /* Spread the 8 bits of one byte over 8 bytes: byte k keeps only bit k,
     * then adding 0x7f per byte carries a set bit into bit 7 of that byte. */
    uint64_t x = (data[i] * UINT64_C(0x0101010101010101)) & UINT64_C(0x8040201008040201);
    x = ((x + UINT64_C(0x7f7f7f7f7f7f7f7f)) >> 7) & UINT64_C(0x0101010101010101);
    for (int k = 0; k < 8; k++) out[i * 8 + k] = (uint8_t)(x >> (8 * k));
  }
  for (size_t i = full * 8; i < n; i++) out[i] = (data[i / 8] >> (i % 8)) & 1;
  if (consumed) *consumed = nb;
  return PARQ_OK;
}

parq_status pq_plain_encode_bool(const uint8_t *vals, size_t n, parq_buf *out) {
  if (n == 0) return PARQ_OK;
  size_t nb = n / 8 + (n % 8 != 0);
  if (parq_buf_reserve(out, nb)) return PARQ_ENOMEM;
  uint8_t *o = out->data + out->len;
  size_t full = n / 8;
  for (size_t i = 0; i < full; i++) {
    const uint8_t *v = vals + i * 8;
    o[i] = (uint8_t)((v[0] != 0) | (v[1] != 0) << 1 | (v[2] != 0) << 2 | (v[3] != 0) << 3 |
                     (v[4] != 0) << 4 | (v[5] != 0) << 5 | (v[6] != 0) << 6 |
                     (v[7] != 0) << 7);
  }
  if (n % 8) {
    uint8_t b = 0;
    for (size_t i = full * 8; i < n; i++) b |= (uint8_t)((vals[i] != 0) << (i % 8));
    o[full] = b;
  }
  out->len += nb;
  return PARQ_OK;
}

/* The two checks every PLAIN BYTE_ARRAY decoder makes. First: n values need
 * at least their n length words. */
static parq_status ba_check_count(size_t len, size_t n, parq_error *err) {
  if (n > len / 4)
    return parq_err_set(err, PARQ_ECORRUPT,
                        "PLAIN BYTE_ARRAY: %zu values need at least %zu bytes, only %zu present",
                        n, n * 4, len);
  return PARQ_OK;
}

/* Then, per value: read value i's length word at *pos (advancing past it)
 * into *l; the value plus `after` more bytes must still fit in the input. */
static inline parq_status ba_next_len(const uint8_t *data, size_t len, size_t n, size_t i,
                                      size_t after, size_t *pos, uint32_t *l, parq_error *err) {
  if (len - *pos < 4)
    return parq_err_set(err, PARQ_ECORRUPT,
                        "PLAIN BYTE_ARRAY: value %zu of %zu: length truncated at byte %zu", i,
                        n, *pos);
  *l = rd32le(data + *pos);
  *pos += 4;
  size_t room = len - *pos;
  if (room < after || *l > room - after)
    return parq_err_set(err, PARQ_ECORRUPT,
                        "PLAIN BYTE_ARRAY: value %zu of %zu at byte %zu: length %u exceeds "
                        "the %zu bytes left",
                        i, n, *pos - 4, *l, room);
  return PARQ_OK;
}

/* `sub` is subtracted from every offset written: 0 for buffer-absolute
 * offsets, the buffer's starting length for page-relative ones (_rel). */
static parq_status plain_decode_ba(const uint8_t *data, size_t len, size_t n, parq_buf *bytes,
                                   int32_t *offsets_out, size_t *consumed, size_t sub,
                                   parq_error *err) {
  PARQ_TRY(ba_check_count(len, n, err));
  /* The value bytes can never exceed the input minus the length words, so
   * one reservation bounded by the input size covers every value. */
  if (parq_buf_reserve(bytes, len - n * 4 + 16)) return PARQ_ENOMEM; /* +16: see below */
  uint8_t *dst = bytes->data;
  size_t cur = bytes->len, pos = 0;
  for (size_t i = 0; i < n; i++) {
    /* The later values' length words must still fit after this one: that
     * keeps the total within the reservation made above. */
    uint32_t l = 0;
    PARQ_TRY(ba_next_len(data, len, n, i, (n - 1 - i) * 4, &pos, &l, err));
    /* Short values: one fixed 16-byte copy (a single vector move) instead of
     * a variable-length memcpy call; the extra bytes land in the 16 bytes of
     * slack reserved above or are overwritten by the next value. */
    if (l <= 16 && len - pos >= 16)
      memcpy(dst + cur, data + pos, 16);
    else
      memcpy(dst + cur, data + pos, l);
    cur += l;
    pos += l;
    if (cur - sub > INT32_MAX)
      return parq_err_set(err, PARQ_ENOMEM, "PLAIN BYTE_ARRAY: over 2 GiB of values in one buffer");
    offsets_out[i] = (int32_t)(cur - sub);
  }
  bytes->len = cur;
  if (consumed) *consumed = pos;
  return PARQ_OK;
}

parq_status pq_plain_decode_byte_array(const uint8_t *data, size_t len, size_t n,
                                       parq_buf *bytes, int32_t *offsets_out, size_t *consumed,
                                       parq_error *err) {
  return plain_decode_ba(data, len, n, bytes, offsets_out, consumed, 0, err);
}

parq_status pq_plain_decode_byte_array_rel(const uint8_t *data, size_t len, size_t n,
                                           parq_buf *bytes, int32_t *offsets_out,
                                           size_t *consumed, parq_error *err) {
  return plain_decode_ba(data, len, n, bytes, offsets_out, consumed, bytes->len, err);
}

parq_status pq_plain_decode_byte_array_views(const uint8_t *data, size_t len, size_t n,
                                             uint32_t base_off, int32_t bi, uint8_t *views_out,
                                             parq_error *err) {
  PARQ_TRY(ba_check_count(len, n, err));
  if ((uint64_t)base_off + len > INT32_MAX)
    return parq_err_set(err, PARQ_ENOMEM, "PLAIN BYTE_ARRAY: page beyond 2 GiB of its buffer");
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t l = 0;
    PARQ_TRY(ba_next_len(data, len, n, i, 0, &pos, &l, err));
    pq_view_make(views_out + 16 * i, data + pos, l, bi, base_off + (uint32_t)pos);
    pos += l;
  }
  return PARQ_OK;
}

parq_status pq_plain_encode_byte_array(const int32_t *offsets, const uint8_t *data, size_t n,
                                       parq_buf *out) {
  if (n == 0) return PARQ_OK;
  size_t total = (size_t)(offsets[n] - offsets[0]);
  if (parq_buf_reserve(out, total + 4 * n)) return PARQ_ENOMEM;
  uint8_t *o = out->data + out->len;
  for (size_t i = 0; i < n; i++) {
    uint32_t l = (uint32_t)(offsets[i + 1] - offsets[i]);
    o[0] = (uint8_t)l;
    o[1] = (uint8_t)(l >> 8);
    o[2] = (uint8_t)(l >> 16);
    o[3] = (uint8_t)(l >> 24);
    if (l) memcpy(o + 4, data + offsets[i], l);
    o += 4 + l;
  }
  out->len = (size_t)(o - out->data);
  return PARQ_OK;
}
