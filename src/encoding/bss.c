/* bss.c — BYTE_STREAM_SPLIT: byte k of every value is stored in stream k
 * (streams laid end to end), for any value width. The common widths get
 * their own constant-width loop so the compiler can unroll/vectorise it. */
#include "encoding/encoding.h"
#include "util/error.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define LD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define ST(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))

/* 16 values per step: byte-interleave the 4 streams with unpack lo/hi. */
static size_t bss_dec4_sse2(const uint8_t *in, uint8_t *out, size_t n) {
  const uint8_t *s0 = in, *s1 = in + n, *s2 = in + 2 * n, *s3 = in + 3 * n;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i a = LD(s0 + i), b = LD(s1 + i), c = LD(s2 + i), d = LD(s3 + i);
    __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
    __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
    uint8_t *o = out + 4 * i;
    ST(o, _mm_unpacklo_epi16(ab0, cd0));
    ST(o + 16, _mm_unpackhi_epi16(ab0, cd0));
    ST(o + 32, _mm_unpacklo_epi16(ab1, cd1));
    ST(o + 48, _mm_unpackhi_epi16(ab1, cd1));
  }
  return i;
}

static size_t bss_dec8_sse2(const uint8_t *in, uint8_t *out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i x[8], y[8], z[8];
    for (int k = 0; k < 8; k++) x[k] = LD(in + (size_t)k * n + i);
    for (int k = 0; k < 4; k++) { /* pairs of streams: bytes k*2, k*2+1 */
      y[2 * k] = _mm_unpacklo_epi8(x[2 * k], x[2 * k + 1]);
      y[2 * k + 1] = _mm_unpackhi_epi8(x[2 * k], x[2 * k + 1]);
    }
    /* quads: streams 0-3 from y[0..3], streams 4-7 from y[4..7] */
    z[0] = _mm_unpacklo_epi16(y[0], y[2]); /* values 0-3, bytes 0-3 */
    z[1] = _mm_unpackhi_epi16(y[0], y[2]); /* values 4-7 */
    z[2] = _mm_unpacklo_epi16(y[1], y[3]); /* values 8-11 */
    z[3] = _mm_unpackhi_epi16(y[1], y[3]); /* values 12-15 */
    z[4] = _mm_unpacklo_epi16(y[4], y[6]);
    z[5] = _mm_unpackhi_epi16(y[4], y[6]);
    z[6] = _mm_unpacklo_epi16(y[5], y[7]);
    z[7] = _mm_unpackhi_epi16(y[5], y[7]);
    uint8_t *o = out + 8 * i;
    for (int k = 0; k < 4; k++) {
      ST(o + 32 * k, _mm_unpacklo_epi32(z[k], z[k + 4]));
      ST(o + 32 * k + 16, _mm_unpackhi_epi32(z[k], z[k + 4]));
    }
  }
  return i;
}
#endif

/* Values [from, n) of a split stream; n is the stream length. */
static inline __attribute__((always_inline)) void bss_dec(const uint8_t *in, size_t w,
                                                          uint8_t *out, size_t n, size_t from) {
  /* Work in column chunks so the w input streams and the output stay in cache. */
  for (size_t i0 = from; i0 < n; i0 += 256) {
    size_t i1 = n - i0 < 256 ? n : i0 + 256;
    for (size_t k = 0; k < w; k++) {
      const uint8_t *s = in + k * n;
      for (size_t i = i0; i < i1; i++) out[i * w + k] = s[i];
    }
  }
}

static inline __attribute__((always_inline)) void bss_enc(const uint8_t *in, size_t w,
                                                          uint8_t *out, size_t n) {
  for (size_t i0 = 0; i0 < n; i0 += 256) {
    size_t i1 = n - i0 < 256 ? n : i0 + 256;
    for (size_t k = 0; k < w; k++) {
      uint8_t *s = out + k * n;
      for (size_t i = i0; i < i1; i++) s[i] = in[i * w + k];
    }
  }
}

parq_status pq_bss_decode(const uint8_t *data, size_t len, size_t width, uint8_t *out, size_t n,
                          parq_error *err) {
  if (width == 0)
    return parq_err_set(err, PARQ_ECORRUPT, "BYTE_STREAM_SPLIT: value width is 0");
  if (n > SIZE_MAX / width || n * width != len)
    return parq_err_set(err, PARQ_ECORRUPT,
                        "BYTE_STREAM_SPLIT: %zu values of %zu bytes need %zu bytes, page has %zu",
                        n, width, n <= SIZE_MAX / width ? n * width : SIZE_MAX, len);
  size_t done = 0;
  switch (width) {
    case 2: bss_dec(data, 2, out, n, 0); break;
    case 4:
#if defined(__SSE2__)
      done = bss_dec4_sse2(data, out, n);
#endif
      bss_dec(data, 4, out, n, done);
      break;
    case 8:
#if defined(__SSE2__)
      done = bss_dec8_sse2(data, out, n);
#endif
      bss_dec(data, 8, out, n, done);
      break;
    default: bss_dec(data, width, out, n, 0); break;
  }
  return PARQ_OK;
}

parq_status pq_bss_encode(const uint8_t *vals, size_t width, size_t n, parq_buf *out) {
  if (width == 0 || n == 0) return PARQ_OK;
  if (n > SIZE_MAX / width || parq_buf_reserve(out, n * width)) return PARQ_ENOMEM;
  uint8_t *o = out->data + out->len;
  switch (width) {
    case 2: bss_enc(vals, 2, o, n); break;
    case 4: bss_enc(vals, 4, o, n); break;
    case 8: bss_enc(vals, 8, o, n); break;
    default: bss_enc(vals, width, o, n); break;
  }
  out->len += n * width;
  return PARQ_OK;
}
