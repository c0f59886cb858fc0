/* rle.c — the RLE / bit-packed hybrid (levels, dictionary indices, booleans)
 * and the deprecated MSB-first BIT_PACKED level encoding.
 *
 * Hybrid runs: a ULEB128 header h; h&1 => (h>>1) groups of 8 bit-packed
 * values, else a run of (h>>1) copies of one value stored in ceil(bw/8)
 * little-endian bytes. u16 and u32 share one body via a macro so each gets a
 * tight loop over its own element type. */
#include "encoding/bitpack.h"
#include "encoding/encoding.h"
#include "util/error.h"

/* Leniencies, matching what Arrow accepts from real writers:
 *  - a bit-packed run may declare more groups than needed, and the final one
 *    may be cut short by the end of the page, as long as every needed value
 *    is present;
 *  - bit width 0 (a 1-entry dictionary): values are all 0 and a missing or
 *    truncated run header just means "the rest are zeros". */
#define PQ_DEF_RLE_DECODE(NAME, T, MAXBW, UNPACK_N)                                          \
  parq_status NAME(const uint8_t *data, size_t len, int bw, T *out, size_t n,                \
                   size_t *consumed, parq_error *err) {                                      \
    if (bw < 0 || bw > (MAXBW))                                                              \
      return parq_err_set(err, PARQ_ECORRUPT, "RLE: bit width %d out of range 0..%d", bw,    \
                          (MAXBW));                                                          \
    size_t pos = 0, got = 0;                                                                 \
    const size_t vbytes = ((size_t)bw + 7) / 8;                                              \
    const uint32_t mask = bw ? (uint32_t)(~UINT64_C(0) >> (64 - bw)) : 0;                    \
    while (got < n) {                                                                        \
      size_t hpos = pos;                                                                     \
      uint64_t h;                                                                            \
      size_t need = n - got;                                                                 \
      if (pq_read_uvarint(data, len, &pos, &h)) {                                            \
        if (bw == 0) {                                                                       \
          for (size_t i = 0; i < need; i++) out[got + i] = 0;                                \
          pos = hpos;                                                                        \
          got = n;                                                                           \
          break;                                                                             \
        }                                                                                    \
        return parq_err_set(err, PARQ_ECORRUPT,                                              \
                            "RLE: missing or bad run header at byte %zu of %zu "             \
                            "(decoded %zu of %zu values)",                                   \
                            hpos, len, got, n);                                              \
      }                                                                                      \
      if (h & 1) {                                                                           \
        uint64_t groups = h >> 1;                                                            \
        size_t avail = len - pos;                                                            \
        size_t take = groups >= (need + 7) / 8 ? need : (size_t)groups * 8;                  \
        size_t nb = pq_packed_bytes(take, bw);                                               \
        if (nb > avail)                                                                      \
          return parq_err_set(err, PARQ_ECORRUPT,                                            \
                              "RLE: bit-packed run at byte %zu needs %zu bytes for %zu "     \
                              "values of width %d, only %zu left",                           \
                              hpos, nb, take, bw, avail);                                    \
        UNPACK_N(data + pos, avail, out + got, take, bw);                                          \
        got += take;                                                                         \
        /* skip the whole run (padding included), but never past the end */                  \
        if (bw && groups > avail / (size_t)bw)                                               \
          pos = len;                                                                         \
        else                                                                                 \
          pos += (size_t)groups * (size_t)bw;                                                \
      } else {                                                                               \
        uint64_t cnt = h >> 1;                                                               \
        if (vbytes > len - pos)                                                              \
          return parq_err_set(err, PARQ_ECORRUPT,                                            \
                              "RLE: run value at byte %zu needs %zu bytes, only %zu left",   \
                              pos, vbytes, len - pos);                                       \
        uint32_t v = 0;                                                                      \
        for (size_t k = 0; k < vbytes; k++) v |= (uint32_t)data[pos + k] << (8 * k);         \
        pos += vbytes;                                                                       \
        T tv = (T)(v & mask);                                                                \
        size_t take = cnt < need ? (size_t)cnt : need;                                       \
        T *o = out + got;                                                                    \
        for (size_t i = 0; i < take; i++) o[i] = tv;                                         \
        got += take;                                                                         \
      }                                                                                      \
    }                                                                                        \
    if (consumed) *consumed = pos;                                                           \
    return PARQ_OK;                                                                          \
  }

PQ_DEF_RLE_DECODE(pq_rle_decode_u32, uint32_t, 32, pq_unpack32_n)
PQ_DEF_RLE_DECODE(pq_rle_decode_u16, uint16_t, 16, pq_unpack16_n)

parq_status pq_bitpacked_legacy_decode_u16(const uint8_t *data, size_t len, int bw,
                                           uint16_t *out, size_t n, size_t *consumed,
                                           parq_error *err) {
  if (bw < 0 || bw > 16)
    return parq_err_set(err, PARQ_ECORRUPT, "BIT_PACKED: bit width %d out of range 0..16", bw);
  if (n > SIZE_MAX / 16)
    return parq_err_set(err, PARQ_ECORRUPT, "BIT_PACKED: value count %zu too large", n);
  size_t nb = pq_packed_bytes(n, bw);
  if (nb > len)
    return parq_err_set(err, PARQ_ECORRUPT,
                        "BIT_PACKED: %zu values of width %d need %zu bytes, only %zu present", n,
                        bw, nb, len);
  if (bw == 0) {
    memset(out, 0, n * sizeof *out);
  } else {
    /* MSB-first: refill whole bytes into the low end of acc, take from the top. */
    uint64_t acc = 0;
    int nbits = 0;
    size_t p = 0;
    const uint32_t mask = (1u << bw) - 1;
    for (size_t i = 0; i < n; i++) {
      while (nbits < bw) {
        acc = (acc << 8) | data[p++];
        nbits += 8;
      }
      nbits -= bw;
      out[i] = (uint16_t)((acc >> nbits) & mask);
    }
  }
  if (consumed) *consumed = nb;
  return PARQ_OK;
}

/* ---------- encoder ---------- */

/* Longest runs/literals per header; keeps (count << 1) within the uint32 that
 * Arrow's decoder reads, and literal value counts within int32. */
#define PQ_RLE_MAX_RUN (UINT32_C(1) << 30)
#define PQ_RLE_MAX_GROUPS (UINT32_C(1) << 20)

static parq_status emit_repeat(parq_buf *out, uint32_t v, size_t cnt, int bw) {
  const size_t vbytes = ((size_t)bw + 7) / 8;
  v &= (uint32_t)(~UINT64_C(0) >> (64 - bw));
  while (cnt > 0) {
    size_t c = cnt > PQ_RLE_MAX_RUN ? PQ_RLE_MAX_RUN : cnt;
    if (parq_buf_reserve(out, 16)) return PARQ_ENOMEM;
    out->len += pq_write_uvarint(out->data + out->len, (uint64_t)c << 1);
    for (size_t k = 0; k < vbytes; k++) out->data[out->len++] = (uint8_t)(v >> (8 * k));
    cnt -= c;
  }
  return PARQ_OK;
}

/* Pack `cnt` u32 values as literal runs; the last group is zero-padded. */
static parq_status emit_literal32(parq_buf *out, const uint32_t *v, size_t cnt, int bw) {
  while (cnt > 0) {
    size_t groups = (cnt + 7) / 8;
    if (groups > PQ_RLE_MAX_GROUPS) groups = PQ_RLE_MAX_GROUPS;
    size_t take = groups * 8 < cnt ? groups * 8 : cnt;
    if (parq_buf_reserve(out, 10 + groups * (size_t)bw)) return PARQ_ENOMEM;
    out->len += pq_write_uvarint(out->data + out->len, ((uint64_t)groups << 1) | 1);
    size_t full = take / 8;
    pq_pack32(v, out->data + out->len, full, bw);
    out->len += full * (size_t)bw;
    if (take % 8) {
      uint32_t tmp[8] = {0};
      memcpy(tmp, v + full * 8, (take % 8) * sizeof *tmp);
      pq_pack32(tmp, out->data + out->len, 1, bw);
      out->len += (size_t)bw;
    }
    v += take;
    cnt -= take;
  }
  return PARQ_OK;
}

static parq_status emit_literal16(parq_buf *out, const uint16_t *v, size_t cnt, int bw) {
  /* Widen in chunks of whole groups so only the final chunk can be padded. */
  uint32_t tmp[512];
  while (cnt > 0) {
    size_t c = cnt > 512 ? 512 : cnt;
    for (size_t i = 0; i < c; i++) tmp[i] = v[i];
    PARQ_TRY(emit_literal32(out, tmp, c, bw));
    v += c;
    cnt -= c;
  }
  return PARQ_OK;
}

/* Greedy: repeats of >= 8 become RLE runs, everything else is gathered into
 * literal runs. A literal run must hold whole groups of 8 (only the final one
 * may be padded), so a repeat that follows a literal count that is not a
 * multiple of 8 first donates values to complete the group. */
#define PQ_DEF_RLE_ENCODE(NAME, T, MAXBW, EMIT_LIT)                                   \
  parq_status NAME(const T *vals, size_t n, int bw, parq_buf *out) {                  \
    if (bw < 0 || bw > (MAXBW)) return PARQ_EINVAL;                                   \
    if (bw == 0 || n == 0) return PARQ_OK; /* width 0: nothing to store */            \
    size_t i = 0, lit_start = 0, lit_cnt = 0;                                         \
    while (i < n) {                                                                   \
      T v = vals[i];                                                                  \
      size_t j = i + 1;                                                               \
      while (j < n && vals[j] == v) j++;                                              \
      size_t run = j - i;                                                             \
      if (run >= 8 && lit_cnt % 8) {                                                  \
        size_t k = 8 - lit_cnt % 8;                                                   \
        lit_cnt += k;                                                                 \
        i += k;                                                                       \
        run -= k;                                                                     \
      }                                                                               \
      if (run >= 8) {                                                                 \
        if (lit_cnt) PARQ_TRY(EMIT_LIT(out, vals + lit_start, lit_cnt, bw));          \
        PARQ_TRY(emit_repeat(out, (uint32_t)v, run, bw));                         \
        lit_start = j;                                                                \
        lit_cnt = 0;                                                                  \
      } else {                                                                        \
        lit_cnt += run;                                                               \
      }                                                                               \
      i = j;                                                                          \
    }                                                                                 \
    if (lit_cnt) PARQ_TRY(EMIT_LIT(out, vals + lit_start, lit_cnt, bw));              \
    return PARQ_OK;                                                                   \
  }

PQ_DEF_RLE_ENCODE(pq_rle_encode_u32, uint32_t, 32, emit_literal32)
PQ_DEF_RLE_ENCODE(pq_rle_encode_u16, uint16_t, 16, emit_literal16)
