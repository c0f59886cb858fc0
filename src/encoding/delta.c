/* delta.c — DELTA_BINARY_PACKED for INT32 and INT64.
 *
 * Layout: <block size> <miniblocks per block> <total count> <zigzag first>,
 * then blocks of <zigzag min delta> <one bit-width byte per miniblock>
 * <bit-packed miniblocks>. All arithmetic is done on unsigned types so the
 * deltas wrap exactly like the writers' two's-complement math (no UB). */
#include "encoding/bitpack.h"
#include "encoding/encoding.h"
#include "util/error.h"

typedef struct {
  uint64_t block_size, mb_count, vpm, total;
  uint64_t first; /* zigzag-decoded, as raw bits */
} delta_hdr;

static parq_status read_header(const uint8_t *data, size_t len, size_t *pos, delta_hdr *h,
                               parq_error *err) {
  uint64_t zz;
  if (pq_read_uvarint(data, len, pos, &h->block_size) ||
      pq_read_uvarint(data, len, pos, &h->mb_count) ||
      pq_read_uvarint(data, len, pos, &h->total) || pq_read_uvarint(data, len, pos, &zz))
    return parq_err_set(err, PARQ_ECORRUPT,
                        "DELTA_BINARY_PACKED: truncated or bad header varint at byte %zu of %zu",
                        *pos, len);
  h->first = (uint64_t)pq_zigzag_dec(zz);
  /* The spec asks for block size % 128 and values per miniblock % 32; we only
   * need whole groups of 8 to stay byte aligned, so accept that. */
  if (h->block_size == 0 || h->mb_count == 0 || h->block_size % h->mb_count ||
      (h->block_size / h->mb_count) % 8)
    return parq_err_set(err, PARQ_ECORRUPT,
                        "DELTA_BINARY_PACKED: invalid block size %llu with %llu miniblocks",
                        (unsigned long long)h->block_size, (unsigned long long)h->mb_count);
  h->vpm = h->block_size / h->mb_count;
  return PARQ_OK;
}

/* Decodes the first n values into out (reinterpreted as unsigned), then walks
 * the rest of the stream so *consumed points past all `total` values. The
 * last miniblock may be cut short as long as the values it holds are there. */
#define PQ_DEF_DELTA_DECODE(NAME, ST, UT, MAXBW, UNPACK_N)                                       \
  parq_status NAME(const uint8_t *data, size_t len, ST *sout, size_t n, size_t *consumed,         \
                   parq_error *err) {                                                             \
    UT *out = (UT *)sout;                                                                         \
    if (n == 0 && len == 0) {                                                                     \
      if (consumed) *consumed = 0;                                                                \
      return PARQ_OK;                                                                             \
    }                                                                                             \
    size_t pos = 0;                                                                               \
    delta_hdr h = {0};                                                                            \
    PARQ_TRY(read_header(data, len, &pos, &h, err));                                              \
    if (h.total < n)                                                                              \
      return parq_err_set(err, PARQ_ECORRUPT,                                                     \
                          "DELTA_BINARY_PACKED: header holds %llu values, %zu expected",          \
                          (unsigned long long)h.total, n);                                        \
    size_t got = 0;                                                                               \
    UT prev = (UT)h.first;                                                                        \
    if (n > 0) out[got++] = prev;                                                                 \
    uint64_t left = h.total ? h.total - 1 : 0; /* values still encoded */                        \
    while (left > 0) {                                                                            \
      size_t bpos = pos;                                                                          \
      uint64_t zz;                                                                                \
      if (pq_read_uvarint(data, len, &pos, &zz))                                                  \
        return parq_err_set(err, PARQ_ECORRUPT,                                                   \
                            "DELTA_BINARY_PACKED: truncated block header at byte %zu "            \
                            "(%llu values left)",                                                 \
                            bpos, (unsigned long long)left);                                      \
      const UT md = (UT)pq_zigzag_dec(zz);                                                        \
      if (h.mb_count > len - pos)                                                                 \
        return parq_err_set(err, PARQ_ECORRUPT,                                                   \
                            "DELTA_BINARY_PACKED: %llu miniblock bit widths at byte %zu, only "   \
                            "%zu bytes left",                                                     \
                            (unsigned long long)h.mb_count, pos, len - pos);                      \
      const uint8_t *bws = data + pos;                                                            \
      pos += (size_t)h.mb_count;                                                                  \
      for (uint64_t m = 0; m < h.mb_count && left > 0; m++) {                                     \
        int bw = bws[m];                                                                          \
        if (bw > (MAXBW))                                                                         \
          return parq_err_set(err, PARQ_ECORRUPT,                                                 \
                              "DELTA_BINARY_PACKED: miniblock bit width %d > %d at byte %zu", bw, \
                              (MAXBW), (size_t)(bws + m - data));                                 \
        uint64_t cnt = left < h.vpm ? left : h.vpm;                                               \
        size_t avail = len - pos;                                                                 \
        size_t dec = n - got < cnt ? n - got : (size_t)cnt;                                       \
        size_t need = pq_packed_bytes(dec < cnt ? (size_t)cnt : dec, bw);                         \
        if (bw && cnt > (uint64_t)avail * 8 / (uint64_t)bw) need = SIZE_MAX;                      \
        if (need > avail)                                                                         \
          return parq_err_set(err, PARQ_ECORRUPT,                                                 \
                              "DELTA_BINARY_PACKED: miniblock at byte %zu needs %zu bytes for "   \
                              "%llu values of width %d, only %zu left",                           \
                              pos, need, (unsigned long long)cnt, bw, avail);                     \
        if (dec > 0) {                                                                            \
          UT *o = out + got;                                                                      \
          UNPACK_N(data + pos, avail, o, dec, bw);                                                 \
          UT acc = prev;                                                                          \
          for (size_t i = 0; i < dec; i++) {                                                      \
            acc += md + o[i];                                                                     \
            o[i] = acc;                                                                           \
          }                                                                                       \
          prev = acc;                                                                             \
          got += dec;                                                                             \
        }                                                                                         \
        /* a full miniblock is vpm values; clamp for a truncated final one */                     \
        uint64_t full = h.vpm / 8 * (uint64_t)bw;                                                 \
        pos += full < avail ? (size_t)full : avail;                                               \
        left -= cnt;                                                                              \
      }                                                                                           \
    }                                                                                             \
    if (consumed) *consumed = pos;                                                                \
    return PARQ_OK;                                                                               \
  }

/* INT32 columns: some writers (DuckDB) compute deltas in 64 bits, so a
 * miniblock may be up to 64 bits wide. Unpacking those in 64 bits and
 * truncating gives the same result as 32-bit wrapping arithmetic; widths
 * <= 32 (every other writer) keep the direct 32-bit path. */
static void unpack32_any(const uint8_t *in, size_t avail, uint32_t *out, size_t n, int bw) {
  if (bw <= 32) {
    pq_unpack32_n(in, avail, out, n, bw);
    return;
  }
  uint64_t tmp[256];
  while (n > 0) { /* chunks of whole groups; only the last may be partial */
    size_t c = n < 256 ? n : 256, used = c / 8 * (size_t)bw;
    pq_unpack64_n(in, avail, tmp, c, bw);
    for (size_t i = 0; i < c; i++) out[i] = (uint32_t)tmp[i];
    in += used;
    avail -= used;
    out += c;
    n -= c;
  }
}

PQ_DEF_DELTA_DECODE(pq_delta_decode_i32, int32_t, uint32_t, 64, unpack32_any)
PQ_DEF_DELTA_DECODE(pq_delta_decode_i64, int64_t, uint64_t, 64, pq_unpack64_n)

/* ---------- encoder: blocks of 128 values, 4 miniblocks of 32 ---------- */
#define PQ_DBP_BLOCK 128
#define PQ_DBP_MINIS 4
#define PQ_DBP_VPM 32

static size_t put_header(uint8_t *p, size_t n, int64_t first) {
  size_t k = 0;
  k += pq_write_uvarint(p + k, PQ_DBP_BLOCK);
  k += pq_write_uvarint(p + k, PQ_DBP_MINIS);
  k += pq_write_uvarint(p + k, n);
  k += pq_write_uvarint(p + k, pq_zigzag_enc(first));
  return k;
}

/* Deltas are taken in UT (wrapping); the minimum is found in ST so that the
 * frame of reference (delta - min) is non-negative and fits UT. Unused tail
 * slots are padded with min so they pack as zeros. */
#define PQ_DEF_DELTA_ENCODE(NAME, ST, UT, PACK)                                                   \
  parq_status NAME(const ST *vals, size_t n, parq_buf *out) {                                     \
    if (parq_buf_reserve(out, 40)) return PARQ_ENOMEM;                                            \
    out->len += put_header(out->data + out->len, n, n ? (int64_t)vals[0] : 0);                    \
    UT d[PQ_DBP_BLOCK];                                                                           \
    for (size_t i = 1; i < n; i += PQ_DBP_BLOCK) {                                                \
      size_t cnt = n - i < PQ_DBP_BLOCK ? n - i : PQ_DBP_BLOCK;                                   \
      ST mn = (ST)((UT)vals[i] - (UT)vals[i - 1]);                                                \
      for (size_t k = 0; k < cnt; k++) {                                                          \
        d[k] = (UT)vals[i + k] - (UT)vals[i + k - 1];                                             \
        if ((ST)d[k] < mn) mn = (ST)d[k];                                                         \
      }                                                                                           \
      for (size_t k = cnt; k < PQ_DBP_BLOCK; k++) d[k] = (UT)mn;                                  \
      uint8_t bws[PQ_DBP_MINIS];                                                                  \
      for (size_t m = 0; m < PQ_DBP_MINIS; m++) {                                                 \
        UT any = 0;                                                                               \
        for (size_t k = m * PQ_DBP_VPM; k < (m + 1) * PQ_DBP_VPM; k++) {                          \
          d[k] -= (UT)mn;                                                                         \
          any |= d[k];                                                                            \
        }                                                                                         \
        bws[m] = (uint8_t)(m * PQ_DBP_VPM < cnt ? pq_bit_width(any) : 0);                         \
      }                                                                                           \
      if (parq_buf_reserve(out, 10 + PQ_DBP_MINIS + PQ_DBP_BLOCK * sizeof(UT)))                   \
        return PARQ_ENOMEM;                                                                       \
      uint8_t *p = out->data + out->len;                                                          \
      p += pq_write_uvarint(p, pq_zigzag_enc((int64_t)mn));                                       \
      memcpy(p, bws, PQ_DBP_MINIS);                                                               \
      p += PQ_DBP_MINIS;                                                                          \
      for (size_t m = 0; m < PQ_DBP_MINIS && m * PQ_DBP_VPM < cnt; m++) {                         \
        PACK(d + m * PQ_DBP_VPM, p, PQ_DBP_VPM / 8, bws[m]);                                      \
        p += PQ_DBP_VPM / 8 * bws[m];                                                             \
      }                                                                                           \
      out->len = (size_t)(p - out->data);                                                         \
    }                                                                                             \
    return PARQ_OK;                                                                               \
  }

PQ_DEF_DELTA_ENCODE(pq_delta_encode_i32, int32_t, uint32_t, pq_pack32)
PQ_DEF_DELTA_ENCODE(pq_delta_encode_i64, int64_t, uint64_t, pq_pack64)
