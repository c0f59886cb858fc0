/* bitpack.c — unrolled LSB-first pack/unpack of 8-value groups.
 *
 * Every width gets its own instantiation (via the macros below and a switch),
 * so each value's byte offset, shift and mask are compile-time constants and a
 * group unpacks as 8 unaligned 64-bit loads + shift + and, with no branches.
 * Those 8-byte loads can reach up to bw+9 bytes past a group's start, so the
 * last few groups of a buffer are unpacked from a zero-padded local copy. */
#include "encoding/bitpack.h"

#include <string.h>

static inline uint64_t ld64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline void st64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, 8);
}

/* Value at bit offset `off` of width bw (1..64). Always inlined with constant
 * arguments, so the branch and shifts fold away. */
static inline __attribute__((always_inline)) uint64_t pq_get(const uint8_t *in, unsigned off,
                                                             unsigned bw) {
  unsigned b = off >> 3, s = off & 7;
  uint64_t w = ld64(in + b) >> s;
  if (s + bw > 64) w |= (uint64_t)in[b + 8] << (64 - s);
  return w & (~UINT64_C(0) >> (64 - bw));
}
#define PQ_MASK(BW) (~UINT64_C(0) >> (64 - (BW)))
#define PQ_GET(in, I, BW) pq_get((in), (I) * (BW), (BW))

#define PQ_UNPACK_GROUP(T, in, out, BW)        \
  do {                                         \
    (out)[0] = (T)PQ_GET(in, 0, BW);           \
    (out)[1] = (T)PQ_GET(in, 1, BW);           \
    (out)[2] = (T)PQ_GET(in, 2, BW);           \
    (out)[3] = (T)PQ_GET(in, 3, BW);           \
    (out)[4] = (T)PQ_GET(in, 4, BW);           \
    (out)[5] = (T)PQ_GET(in, 5, BW);           \
    (out)[6] = (T)PQ_GET(in, 6, BW);           \
    (out)[7] = (T)PQ_GET(in, 7, BW);           \
  } while (0)

/* Defines unpack_<suffix>_<BW>(in, out, ngroups, avail): `avail` >= ngroups*BW
 * is how many bytes may be read from `in` (more than the groups when the
 * caller's buffer goes on), which decides how many groups take the fast path. */
#define PQ_DEF_UNPACK(SUF, T, BW)                                                           \
  static void unpack_##SUF##_##BW(const uint8_t *in, T *out, size_t ngroups, size_t avail) { \
    size_t fast = avail >= (BW) + 9 ? (avail - 9 - (BW)) / (BW) + 1 : 0;                    \
    if (fast > ngroups) fast = ngroups;                                                     \
    for (size_t g = 0; g < fast; g++, in += (BW), out += 8) PQ_UNPACK_GROUP(T, in, out, BW); \
    for (size_t g = fast; g < ngroups; g++, in += (BW), out += 8) {                         \
      uint8_t pad[64 + 16] = {0};                                                           \
      memcpy(pad, in, (BW));                                                                \
      PQ_UNPACK_GROUP(T, pad, out, BW);                                                     \
    }                                                                                       \
  }

#define PQ_DEF_PACK(SUF, T, BW)                                                             \
  static void pack_##SUF##_##BW(const T *in, uint8_t *out, size_t ngroups) {                \
    for (size_t g = 0; g < ngroups; g++, in += 8) {                                         \
      uint64_t acc = 0;                                                                     \
      int nb = 0;                                                                           \
      for (int i = 0; i < 8; i++) {                                                         \
        uint64_t v = (uint64_t)in[i] & PQ_MASK(BW);                                         \
        acc |= v << nb;                                                                     \
        if (nb + (BW) >= 64) {                                                              \
          st64(out, acc);                                                                   \
          out += 8;                                                                         \
          acc = nb ? v >> (64 - nb) : 0;                                                    \
          nb = nb + (BW) - 64;                                                              \
        } else {                                                                            \
          nb += (BW);                                                                       \
        }                                                                                   \
      }                                                                                     \
      for (; nb > 0; nb -= 8, acc >>= 8) *out++ = (uint8_t)acc;                             \
    }                                                                                       \
  }

/* Widths 1..16, 17..32, 33..64 spelled out so each is a literal constant. */
#define PQ_W1_16(M, S, T) M(S, T, 1) M(S, T, 2) M(S, T, 3) M(S, T, 4) M(S, T, 5) M(S, T, 6) \
  M(S, T, 7) M(S, T, 8) M(S, T, 9) M(S, T, 10) M(S, T, 11) M(S, T, 12) M(S, T, 13)          \
  M(S, T, 14) M(S, T, 15) M(S, T, 16)
#define PQ_W17_32(M, S, T) M(S, T, 17) M(S, T, 18) M(S, T, 19) M(S, T, 20) M(S, T, 21)       \
  M(S, T, 22) M(S, T, 23) M(S, T, 24) M(S, T, 25) M(S, T, 26) M(S, T, 27) M(S, T, 28)        \
  M(S, T, 29) M(S, T, 30) M(S, T, 31) M(S, T, 32)
#define PQ_W33_64(M, S, T) M(S, T, 33) M(S, T, 34) M(S, T, 35) M(S, T, 36) M(S, T, 37)       \
  M(S, T, 38) M(S, T, 39) M(S, T, 40) M(S, T, 41) M(S, T, 42) M(S, T, 43) M(S, T, 44)        \
  M(S, T, 45) M(S, T, 46) M(S, T, 47) M(S, T, 48) M(S, T, 49) M(S, T, 50) M(S, T, 51)        \
  M(S, T, 52) M(S, T, 53) M(S, T, 54) M(S, T, 55) M(S, T, 56) M(S, T, 57) M(S, T, 58)        \
  M(S, T, 59) M(S, T, 60) M(S, T, 61) M(S, T, 62) M(S, T, 63) M(S, T, 64)

PQ_W1_16(PQ_DEF_UNPACK, 16, uint16_t)
PQ_W1_16(PQ_DEF_UNPACK, 32, uint32_t)
PQ_W17_32(PQ_DEF_UNPACK, 32, uint32_t)
PQ_W1_16(PQ_DEF_UNPACK, 64, uint64_t)
PQ_W17_32(PQ_DEF_UNPACK, 64, uint64_t)
PQ_W33_64(PQ_DEF_UNPACK, 64, uint64_t)
PQ_W1_16(PQ_DEF_PACK, 32, uint32_t)
PQ_W17_32(PQ_DEF_PACK, 32, uint32_t)
PQ_W1_16(PQ_DEF_PACK, 64, uint64_t)
PQ_W17_32(PQ_DEF_PACK, 64, uint64_t)
PQ_W33_64(PQ_DEF_PACK, 64, uint64_t)

#define PQ_CASE_UNPACK(S, T, BW)          \
  case BW:                                \
    unpack_##S##_##BW(in, out, ngroups, avail); \
    return;
#define PQ_CASE_PACK(S, T, BW) \
  case BW:                     \
    pack_##S##_##BW(in, out, ngroups); \
    return;

void pq_unpack16(const uint8_t *in, uint16_t *out, size_t ngroups, int bw) {
  pq_unpack16_avail(in, ngroups * (size_t)(bw > 0 ? bw : 0), out, ngroups, bw);
}

void pq_unpack16_avail(const uint8_t *in, size_t avail, uint16_t *out, size_t ngroups, int bw) {
  switch (bw) {
    PQ_W1_16(PQ_CASE_UNPACK, 16, uint16_t)
    default:
      memset(out, 0, ngroups * 8 * sizeof *out);
  }
}

void pq_unpack32(const uint8_t *in, uint32_t *out, size_t ngroups, int bw) {
  pq_unpack32_avail(in, ngroups * (size_t)(bw > 0 ? bw : 0), out, ngroups, bw);
}

void pq_unpack32_avail(const uint8_t *in, size_t avail, uint32_t *out, size_t ngroups, int bw) {
  switch (bw) {
    PQ_W1_16(PQ_CASE_UNPACK, 32, uint32_t)
    PQ_W17_32(PQ_CASE_UNPACK, 32, uint32_t)
    default:
      memset(out, 0, ngroups * 8 * sizeof *out);
  }
}

void pq_unpack64(const uint8_t *in, uint64_t *out, size_t ngroups, int bw) {
  pq_unpack64_avail(in, ngroups * (size_t)(bw > 0 ? bw : 0), out, ngroups, bw);
}

void pq_unpack64_avail(const uint8_t *in, size_t avail, uint64_t *out, size_t ngroups, int bw) {
  switch (bw) {
    PQ_W1_16(PQ_CASE_UNPACK, 64, uint64_t)
    PQ_W17_32(PQ_CASE_UNPACK, 64, uint64_t)
    PQ_W33_64(PQ_CASE_UNPACK, 64, uint64_t)
    default:
      memset(out, 0, ngroups * 8 * sizeof *out);
  }
}

void pq_pack32(const uint32_t *in, uint8_t *out, size_t ngroups, int bw) {
  switch (bw) {
    PQ_W1_16(PQ_CASE_PACK, 32, uint32_t)
    PQ_W17_32(PQ_CASE_PACK, 32, uint32_t)
    default:
      return; /* width 0: nothing to write */
  }
}

void pq_pack64(const uint64_t *in, uint8_t *out, size_t ngroups, int bw) {
  switch (bw) {
    PQ_W1_16(PQ_CASE_PACK, 64, uint64_t)
    PQ_W17_32(PQ_CASE_PACK, 64, uint64_t)
    PQ_W33_64(PQ_CASE_PACK, 64, uint64_t)
    default:
      return;
  }
}

/* Whole groups straight from the input, then the partial tail group from a
 * zeroed copy of the bytes that exist. */
#define PQ_DEF_UNPACK_N(SUF, T)                                                          \
  void pq_unpack##SUF##_n(const uint8_t *in, size_t avail, T *out, size_t n, int bw) {   \
    size_t full = n / 8, rest = n % 8;                                                   \
    pq_unpack##SUF##_avail(in, avail, out, full, bw);                                    \
    if (rest) {                                                                          \
      uint8_t pad[64] = {0};                                                             \
      T tmp[8];                                                                          \
      memcpy(pad, in + full * (size_t)bw, (rest * (size_t)bw + 7) / 8);                  \
      pq_unpack##SUF(pad, tmp, 1, bw);                                                   \
      memcpy(out + full * 8, tmp, rest * sizeof(T));                                     \
    }                                                                                    \
  }
PQ_DEF_UNPACK_N(16, uint16_t)
PQ_DEF_UNPACK_N(32, uint32_t)
PQ_DEF_UNPACK_N(64, uint64_t)
