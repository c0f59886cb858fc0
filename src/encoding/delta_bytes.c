/* delta_bytes.c — DELTA_LENGTH_BYTE_ARRAY (delta-packed lengths followed by
 * the concatenated bytes) and DELTA_BYTE_ARRAY (front coding: delta-packed
 * prefix lengths, then the suffixes as DELTA_LENGTH_BYTE_ARRAY). */
#include <stdbool.h>
#include <stdlib.h>

#include "encoding/encoding.h"
#include "util/error.h"

/* Turns n lengths (already in offs) into end offsets starting at base,
 * checking each is >= 0 and that the total fits `avail` bytes. */
static parq_status lengths_to_offsets(int32_t *offs, size_t n, size_t base, size_t avail,
                                      size_t *total_out, const char *what, parq_error *err) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (offs[i] < 0)
      return parq_err_set(err, PARQ_ECORRUPT, "%s: value %zu has negative length %d", what, i,
                          (int)offs[i]);
    total += (size_t)offs[i];
    if (total > avail)
      return parq_err_set(err, PARQ_ECORRUPT,
                          "%s: lengths up to value %zu need %zu bytes, only %zu present", what, i,
                          total, avail);
  }
  if (total > (size_t)INT32_MAX - base)
    return parq_err_set(err, PARQ_ENOMEM, "%s: over 2 GiB of values in one buffer", what);
  size_t cur = base;
  for (size_t i = 0; i < n; i++) {
    cur += (size_t)offs[i];
    offs[i] = (int32_t)cur;
  }
  *total_out = total;
  return PARQ_OK;
}

/* rel: offsets count from the buffer's length at entry instead of from 0. */
static parq_status delta_length_decode(const uint8_t *data, size_t len, size_t n, parq_buf *bytes,
                                       int32_t *offsets_out, size_t *consumed, bool rel,
                                       parq_error *err) {
  size_t pos = 0, total = 0, base = rel ? 0 : bytes->len;
  /* The lengths are decoded straight into offsets_out, then summed in place. */
  parq_status st = pq_delta_decode_i32(data, len, offsets_out, n, &pos, err);
  if (st) {
    parq_err_prefix(err, "DELTA_LENGTH_BYTE_ARRAY lengths");
    return st;
  }
  PARQ_TRY(lengths_to_offsets(offsets_out, n, base, len - pos, &total, "DELTA_LENGTH_BYTE_ARRAY",
                              err));
  if (total) {
    if (parq_buf_reserve(bytes, total)) return PARQ_ENOMEM;
    parq_buf_put(bytes, data + pos, total); /* the values are contiguous: one copy */
  }
  if (consumed) *consumed = pos + total;
  return PARQ_OK;
}

parq_status pq_delta_length_decode(const uint8_t *data, size_t len, size_t n, parq_buf *bytes,
                                   int32_t *offsets_out, size_t *consumed, parq_error *err) {
  return delta_length_decode(data, len, n, bytes, offsets_out, consumed, false, err);
}

parq_status pq_delta_length_decode_rel(const uint8_t *data, size_t len, size_t n, parq_buf *bytes,
                                       int32_t *offsets_out, size_t *consumed, parq_error *err) {
  return delta_length_decode(data, len, n, bytes, offsets_out, consumed, true, err);
}

parq_status pq_delta_length_encode(const int32_t *offsets, const uint8_t *data, size_t n,
                                   parq_buf *out) {
  int32_t *lens = NULL;
  if (n) {
    lens = malloc(n * sizeof *lens);
    if (!lens) return PARQ_ENOMEM;
    for (size_t i = 0; i < n; i++) lens[i] = offsets[i + 1] - offsets[i];
  }
  parq_status st = pq_delta_encode_i32(lens, n, out);
  free(lens);
  if (st || n == 0 || offsets[n] == offsets[0]) return st;
  return parq_buf_append(out, data + offsets[0], (size_t)(offsets[n] - offsets[0]));
}

/* `sub` is subtracted from every offset written (0, or the buffer's length at
 * entry for page-relative offsets). */
static parq_status delta_byte_array_decode(const uint8_t *data, size_t len, size_t n,
                                           parq_buf *bytes, int32_t *offsets_out,
                                           size_t *consumed, size_t sub, parq_error *err) {
  size_t p1 = 0, p2 = 0;
  parq_status st = pq_delta_decode_i32(data, len, offsets_out, n, &p1, err);
  if (st) {
    parq_err_prefix(err, "DELTA_BYTE_ARRAY prefix lengths");
    return st;
  }
  int32_t *suf = NULL;
  if (n) {
    suf = malloc(n * sizeof *suf);
    if (!suf) return parq_err_set(err, PARQ_ENOMEM, "DELTA_BYTE_ARRAY: out of memory");
  }
  st = pq_delta_decode_i32(data + p1, len - p1, suf, n, &p2, err);
  if (st) {
    parq_err_prefix(err, "DELTA_BYTE_ARRAY suffix lengths");
    goto done;
  }
  const uint8_t *sd = data + p1 + p2;
  size_t savail = len - p1 - p2, sused = 0, total = 0, base = bytes->len;
  /* Pass 1: validate every length and size the output exactly. */
  int64_t prev_len = 0;
  for (size_t i = 0; i < n; i++) {
    int32_t p = offsets_out[i], s = suf[i];
    if (p < 0 || p > prev_len) {
      st = parq_err_set(err, PARQ_ECORRUPT,
                        "DELTA_BYTE_ARRAY: value %zu has prefix length %d but the previous value "
                        "is %lld bytes",
                        i, (int)p, (long long)prev_len);
      goto done;
    }
    if (s < 0 || (size_t)s > savail - sused) {
      st = parq_err_set(err, PARQ_ECORRUPT,
                        "DELTA_BYTE_ARRAY: value %zu suffix length %d exceeds the %zu suffix "
                        "bytes left",
                        i, (int)s, savail - sused);
      goto done;
    }
    sused += (size_t)s;
    prev_len = (int64_t)p + s;
    total += (size_t)prev_len;
    if (total > (size_t)INT32_MAX - (base - sub)) {
      st = parq_err_set(err, PARQ_ENOMEM, "DELTA_BYTE_ARRAY: over 2 GiB of values in one buffer");
      goto done;
    }
  }
  if (parq_buf_reserve(bytes, total + 32)) { /* slack for the 16-byte copies below */
    st = parq_err_set(err, PARQ_ENOMEM, "DELTA_BYTE_ARRAY: out of memory");
    goto done;
  }
  /* Pass 2: each value = prefix of the previous value (already in `bytes`,
   * just before the write position, so never overlapping) + its suffix. */
  /* Short copies are done as fixed 16-byte moves when the source has 16
   * bytes to read (the previous value's bytes end where `dst` starts, so the
   * prefix source never overlaps); the overshoot lands in the slack. */
  size_t cur = base, prev_start = base;
  const uint8_t *s = sd, *send = sd + sused;
  uint8_t *const bd = bytes->data;
  for (size_t i = 0; i < n; i++) {
    size_t p = (size_t)offsets_out[i], sl = (size_t)suf[i];
    uint8_t *dst = bd + cur;
    if (p <= 16 && cur - prev_start >= 16)
      memcpy(dst, bd + prev_start, 16);
    else if (p)
      memcpy(dst, bd + prev_start, p);
    if (sl <= 16 && (size_t)(send - s) >= 16)
      memcpy(dst + p, s, 16);
    else if (sl)
      memcpy(dst + p, s, sl);
    s += sl;
    prev_start = cur;
    cur += p + sl;
    offsets_out[i] = (int32_t)(cur - sub);
  }
  bytes->len = cur;
  if (consumed) *consumed = p1 + p2 + sused;
done:
  free(suf);
  return st;
}

parq_status pq_delta_byte_array_decode(const uint8_t *data, size_t len, size_t n,
                                       parq_buf *bytes, int32_t *offsets_out, size_t *consumed,
                                       parq_error *err) {
  return delta_byte_array_decode(data, len, n, bytes, offsets_out, consumed, 0, err);
}

parq_status pq_delta_byte_array_decode_rel(const uint8_t *data, size_t len, size_t n,
                                           parq_buf *bytes, int32_t *offsets_out,
                                           size_t *consumed, parq_error *err) {
  return delta_byte_array_decode(data, len, n, bytes, offsets_out, consumed, bytes->len, err);
}

/* Length of the common prefix of a and b, 8 bytes at a time. */
static size_t common_prefix(const uint8_t *a, const uint8_t *b, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    if (x != y) break;
  }
  while (i < n && a[i] == b[i]) i++;
  return i;
}

parq_status pq_delta_byte_array_encode(const int32_t *offsets, const uint8_t *data, size_t n,
                                       parq_buf *out) {
  int32_t *pre = NULL, *suf = NULL;
  if (n) {
    pre = malloc(2 * n * sizeof *pre);
    if (!pre) return PARQ_ENOMEM;
    suf = pre + n;
  }
  size_t suf_total = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = (size_t)(offsets[i + 1] - offsets[i]), p = 0;
    if (i) {
      size_t pl = (size_t)(offsets[i] - offsets[i - 1]);
      p = common_prefix(data + offsets[i - 1], data + offsets[i], pl < l ? pl : l);
    }
    pre[i] = (int32_t)p;
    suf[i] = (int32_t)(l - p);
    suf_total += l - p;
  }
  parq_status st = pq_delta_encode_i32(pre, n, out);
  if (!st) st = pq_delta_encode_i32(suf, n, out);
  if (!st && suf_total && parq_buf_reserve(out, suf_total)) st = PARQ_ENOMEM;
  for (size_t i = 0; !st && i < n; i++)
    if (suf[i]) parq_buf_put(out, data + offsets[i + 1] - suf[i], (size_t)suf[i]);
  free(pre);
  return st;
}
