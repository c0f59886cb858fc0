/* bitpack.h — LSB-first bit packing of 8-value groups (the layout of the
 * RLE/bit-packed hybrid and DELTA_BINARY_PACKED miniblocks), plus the ULEB128
 * varint and zigzag helpers those encodings share.
 *
 * A group of 8 values of width bw occupies exactly bw bytes, so unpacking
 * `ngroups` groups reads exactly ngroups*bw bytes and never past them. */
#ifndef PARQ_ENCODING_BITPACK_H
#define PARQ_ENCODING_BITPACK_H
#include <stddef.h>
#include <stdint.h>

/* Unpack ngroups*8 values. Widths: 0..16 (u16), 0..32 (u32), 0..64 (u64). */
void pq_unpack16(const uint8_t *in, uint16_t *out, size_t ngroups, int bw);
void pq_unpack32(const uint8_t *in, uint32_t *out, size_t ngroups, int bw);
void pq_unpack64(const uint8_t *in, uint64_t *out, size_t ngroups, int bw);

/* The same, where `avail` (>= ngroups*bw) bytes may be read from `in`: when
 * the caller's buffer continues past the groups, more of them take the fast
 * path (full 8-byte loads) instead of going through a padded copy. */
void pq_unpack16_avail(const uint8_t *in, size_t avail, uint16_t *out, size_t ngroups, int bw);
void pq_unpack32_avail(const uint8_t *in, size_t avail, uint32_t *out, size_t ngroups, int bw);
void pq_unpack64_avail(const uint8_t *in, size_t avail, uint64_t *out, size_t ngroups, int bw);

/* Unpack n values (any n); reads at most pq_packed_bytes(n, bw) bytes, of
 * which `avail` (>= that) may be read: the last partial group may be cut
 * short, as at the end of a truncated page. */
void pq_unpack16_n(const uint8_t *in, size_t avail, uint16_t *out, size_t n, int bw);
void pq_unpack32_n(const uint8_t *in, size_t avail, uint32_t *out, size_t n, int bw);
void pq_unpack64_n(const uint8_t *in, size_t avail, uint64_t *out, size_t n, int bw);

/* Pack ngroups*8 values, writing exactly ngroups*bw bytes. Bits above bw in
 * the inputs are ignored. */
void pq_pack32(const uint32_t *in, uint8_t *out, size_t ngroups, int bw);
void pq_pack64(const uint64_t *in, uint8_t *out, size_t ngroups, int bw);

/* Bytes holding n values of bw bits (n*bw rounded up to whole bytes). The
 * caller guarantees n*bw does not overflow (n bounded by the input length). */
static inline size_t pq_packed_bytes(size_t n, int bw) {
  return (n / 8) * (size_t)bw + ((n % 8) * (size_t)bw + 7) / 8;
}

/* ---------- ULEB128 varints and zigzag ---------- */
/* Read a varint at data[*pos]; advances *pos. 0 on success, -1 when the
 * input ends inside the varint or it is longer than 10 bytes / 64 bits. */
static inline int pq_read_uvarint(const uint8_t *data, size_t len, size_t *pos, uint64_t *v) {
  uint64_t r = 0;
  size_t p = *pos;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= len) return -1;
    uint8_t b = data[p++];
    if (shift == 63 && (b & 0x7e)) return -1; /* bits beyond 64 */
    r |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *pos = p;
      *v = r;
      return 0;
    }
  }
  return -1;
}

/* Write a varint into p (room for 10 bytes); returns bytes written. */
static inline size_t pq_write_uvarint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

static inline uint64_t pq_zigzag_enc(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t pq_zigzag_dec(uint64_t v) { return (int64_t)((v >> 1) ^ (~(v & 1) + 1)); }

#endif
