/* test_encoding.c — round trips, spec byte vectors and hostile inputs for
 * every encoding in src/encoding (RLE hybrid, BIT_PACKED, PLAIN bool/binary,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT, the dictionary builder). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/bitpack.h"
#include "encoding/encoding.h"
#include "test.h"

static const size_t SIZES[] = {0, 1, 7, 8, 9, 1000, 100003};
#define NSIZES (sizeof SIZES / sizeof SIZES[0])

static uint64_t rng_state;
static uint64_t rnd(void) { /* splitmix64: deterministic */
  uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}
static uint64_t mask_of(int bw) { return bw ? ~UINT64_C(0) >> (64 - bw) : 0; }

/* Values with runs of random length (exercises both run kinds). */
static void fill_u32(uint32_t *v, size_t n, int bw, int runny) {
  for (size_t i = 0; i < n;) {
    uint32_t x = (uint32_t)(rnd() & mask_of(bw));
    size_t run = runny ? 1 + rnd() % 40 : 1;
    for (size_t k = 0; k < run && i < n; k++) v[i++] = x;
  }
}

/* ---------- RLE / bit-packed hybrid ---------- */

TEST(rle_spec_example) {
  /* Encodings.md: 0..7 with bit width 3, bit-packed = 10001000 11000110 11111010 */
  const uint8_t bp[] = {0x03, 0x88, 0xC6, 0xFA};
  uint32_t out[8];
  size_t used = 0;
  CHECK_OK(pq_rle_decode_u32(bp, sizeof bp, 3, out, 8, &used, &e_));
  for (uint32_t i = 0; i < 8; i++) CHECK(out[i] == i);
  CHECK(used == 4);
  /* and our encoder writes exactly that */
  uint32_t in[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  parq_buf b = PARQ_BUF_INIT;
  CHECK_OK(pq_rle_encode_u32(in, 8, 3, &b));
  CHECK(b.len == 4 && memcmp(b.data, bp, 4) == 0);
  parq_buf_free(&b);
  /* An RLE run: 100 x 5 at width 3 -> header varint(200) = C8 01, value 05 */
  const uint8_t rl[] = {0xC8, 0x01, 0x05};
  uint16_t o16[100];
  CHECK_OK(pq_rle_decode_u16(rl, sizeof rl, 3, o16, 100, &used, &e_));
  CHECK(used == 3);
  for (int i = 0; i < 100; i++) CHECK(o16[i] == 5);
  uint16_t r16[100];
  for (int i = 0; i < 100; i++) r16[i] = 5;
  CHECK_OK(pq_rle_encode_u16(r16, 100, 3, &b));
  CHECK(b.len == 3 && memcmp(b.data, rl, 3) == 0);
  parq_buf_free(&b);
  /* Legacy BIT_PACKED, same values: 00000101 00111001 01110111 */
  const uint8_t legacy[] = {0x05, 0x39, 0x77};
  CHECK_OK(pq_bitpacked_legacy_decode_u16(legacy, 3, 3, o16, 8, &used, &e_));
  for (int i = 0; i < 8; i++) CHECK(o16[i] == i);
  CHECK(used == 3);
  parq_error err = {0};
  CHECK(pq_bitpacked_legacy_decode_u16(legacy, 2, 3, o16, 8, &used, &err) == PARQ_ECORRUPT);
}

TEST(rle_roundtrip_u32) {
  rng_state = 1;
  uint32_t *v = malloc(100003 * sizeof *v), *o = malloc((100003 + 8) * sizeof *o);
  for (int bw = 0; bw <= 32; bw++)
    for (size_t si = 0; si < NSIZES; si++)
      for (int runny = 0; runny < 2; runny++) {
        size_t n = SIZES[si];
        fill_u32(v, n, bw, runny);
        parq_buf b = PARQ_BUF_INIT;
        CHECK_OK(pq_rle_encode_u32(v, n, bw, &b));
        size_t used = 99;
        o[n] = 0xdeadbeef;
        parq_error err = {0};
        int st = pq_rle_decode_u32(b.data ? b.data : (const uint8_t *)"", b.len, bw, o, n, &used,
                                   &err);
        CHECK(st == PARQ_OK);
        if (st) fprintf(stderr, "bw %d n %zu: %s\n", bw, n, err.message);
        CHECK(memcmp(v, o, n * sizeof *v) == 0);
        CHECK(o[n] == 0xdeadbeef);
        CHECK(used == b.len);
        /* runs (mean length ~20) must compress well below plain bit packing */
        if (runny && n == 100003 && bw > 0) CHECK(b.len < n * (size_t)bw / 8 / (bw < 4 ? 1 : 4));
        parq_buf_free(&b);
      }
  free(v);
  free(o);
}

TEST(rle_roundtrip_u16) {
  rng_state = 2;
  uint16_t *v = malloc(100003 * sizeof *v), *o = malloc(100003 * sizeof *o);
  uint32_t *t = malloc(100003 * sizeof *t);
  for (int bw = 0; bw <= 16; bw++)
    for (size_t si = 0; si < NSIZES; si++)
      for (int runny = 0; runny < 2; runny++) {
        size_t n = SIZES[si];
        fill_u32(t, n, bw, runny);
        for (size_t i = 0; i < n; i++) v[i] = (uint16_t)t[i];
        parq_buf b = PARQ_BUF_INIT;
        CHECK_OK(pq_rle_encode_u16(v, n, bw, &b));
        size_t used = 99;
        CHECK_OK(pq_rle_decode_u16(b.data ? b.data : (const uint8_t *)"", b.len, bw, o, n, &used,
                                   &e_));
        CHECK(memcmp(v, o, n * sizeof *v) == 0);
        CHECK(used == b.len);
        parq_buf_free(&b);
      }
  free(v);
  free(o);
  free(t);
}

TEST(rle_bit_width_zero_and_limits) {
  uint32_t o[16];
  size_t used;
  parq_error err = {0};
  for (int i = 0; i < 16; i++) o[i] = 7;
  /* no data at all: all zeros (1-entry dictionary, ARROW-GH-43605) */
  CHECK_OK(pq_rle_decode_u32((const uint8_t *)"", 0, 0, o, 16, &used, &e_));
  for (int i = 0; i < 16; i++) CHECK(o[i] == 0);
  /* real runs with 0-byte values: RLE run of 10, then bit-packed 1 group */
  const uint8_t r[] = {0x14, 0x03};
  for (int i = 0; i < 16; i++) o[i] = 7;
  CHECK_OK(pq_rle_decode_u32(r, 2, 0, o, 16, &used, &e_));
  for (int i = 0; i < 16; i++) CHECK(o[i] == 0);
  CHECK(used == 2);
  /* width 0 encodes to nothing */
  parq_buf b = PARQ_BUF_INIT;
  CHECK_OK(pq_rle_encode_u32(o, 16, 0, &b));
  CHECK(b.len == 0);
  uint16_t o16[4];
  CHECK(pq_rle_decode_u32(r, 2, 33, o, 4, &used, &err) == PARQ_ECORRUPT);
  CHECK(strstr(err.message, "33") != NULL);
  CHECK(pq_rle_decode_u16(r, 2, 17, o16, 4, &used, &err) == PARQ_ECORRUPT);
  CHECK(pq_rle_decode_u32(r, 2, -1, o, 4, &used, &err) == PARQ_ECORRUPT);
  CHECK(pq_bitpacked_legacy_decode_u16(r, 2, 17, o16, 4, &used, &err) == PARQ_ECORRUPT);
  /* not enough values */
  const uint8_t short_run[] = {0x06, 0x01}; /* 3 x 1 */
  CHECK(pq_rle_decode_u32(short_run, 2, 1, o, 4, &used, &err) == PARQ_ECORRUPT);
  CHECK_OK(pq_rle_decode_u32(short_run, 2, 1, o, 3, &used, &e_));
  CHECK(o[0] == 1 && o[2] == 1 && used == 2);
  /* RLE run value with bits above the width is masked to the width */
  const uint8_t hi[] = {0x04, 0xff}; /* 2 x 0xff at width 3 */
  CHECK_OK(pq_rle_decode_u32(hi, 2, 3, o, 2, &used, &e_));
  CHECK(o[0] == 7 && o[1] == 7);
  /* 32-bit RLE value */
  const uint8_t w32[] = {0x02, 0x78, 0x56, 0x34, 0x12};
  CHECK_OK(pq_rle_decode_u32(w32, 5, 32, o, 1, &used, &e_));
  CHECK(o[0] == 0x12345678 && used == 5);
  parq_buf_free(&b);
}

TEST(rle_truncated_last_run) {
  /* 10 values at width 5 as one literal run of 2 groups (10 bytes of data);
   * some writers stop the page once the real values are written. */
  uint32_t v[10], o[10];
  for (int i = 0; i < 10; i++) v[i] = (uint32_t)(i * 3 % 32);
  parq_buf b = PARQ_BUF_INIT;
  CHECK_OK(pq_rle_encode_u32(v, 10, 5, &b));
  CHECK(b.len == 11);
  size_t used;
  parq_error err = {0};
  /* 10 values * 5 bits = 50 bits -> 7 bytes after the 1-byte header */
  CHECK_OK(pq_rle_decode_u32(b.data, 8, 5, o, 10, &used, &e_));
  CHECK(memcmp(v, o, sizeof v) == 0);
  CHECK(used == 8);
  CHECK(pq_rle_decode_u32(b.data, 7, 5, o, 10, &used, &err) == PARQ_ECORRUPT);
  /* a run that declares far more groups than the data holds */
  uint8_t big[12] = {0xff, 0x7f}; /* groups = 8191 */
  memcpy(big + 2, b.data + 1, 10);
  CHECK_OK(pq_rle_decode_u32(big, 12, 5, o, 10, &used, &e_));
  CHECK(memcmp(v, o, sizeof v) == 0);
  CHECK(used == 12);
  CHECK(pq_rle_decode_u32(big, 12, 5, o, 17, &used, &err) == PARQ_ECORRUPT);
  parq_buf_free(&b);
}

TEST(rle_prefixes_and_garbage) {
  rng_state = 3;
  size_t n = 300;
  uint32_t v[300], o[300];
  uint16_t o16[300];
  for (int bw = 0; bw <= 32; bw += 1) {
    fill_u32(v, n, bw, 1);
    parq_buf b = PARQ_BUF_INIT;
    CHECK_OK(pq_rle_encode_u32(v, n, bw, &b));
    for (size_t cut = 0; cut <= b.len; cut++) {
      /* copy to an exact-size heap block so ASan sees any overread */
      uint8_t *p = malloc(cut ? cut : 1);
      if (cut) memcpy(p, b.data, cut);
      size_t used = 0;
      parq_error err = {0};
      int st = pq_rle_decode_u32(p, cut, bw, o, n, &used, &err);
      CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
      if (st == PARQ_OK) CHECK(memcmp(o, v, sizeof v) == 0 && used <= cut);
      /* a cut inside the real values (not just the final group's padding) must fail */
      if (bw > 0 && cut + (size_t)bw * 8 <= b.len - (b.len > 40 ? 40 : b.len)) CHECK(st);
      free(p);
    }
    parq_buf_free(&b);
  }
  for (int iter = 0; iter < 20000; iter++) {
    size_t len = rnd() % 40;
    uint8_t *p = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) p[i] = (uint8_t)rnd();
    int bw = (int)(rnd() % 34);
    size_t want = rnd() % 300, used;
    parq_error err = {0};
    int st = pq_rle_decode_u32(p, len, bw, o, want, &used, &err);
    CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
    if (st == PARQ_OK) CHECK(used <= len);
    st = pq_rle_decode_u16(p, len, bw % 18, o16, want, &used, &err);
    CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
    st = pq_bitpacked_legacy_decode_u16(p, len, bw % 18, o16, want, &used, &err);
    CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
    free(p);
  }
}

TEST(legacy_bitpacked_roundtrip) {
  /* MSB-first reference packer in the test, every width, several sizes */
  rng_state = 4;
  for (int bw = 0; bw <= 16; bw++)
    for (size_t si = 0; si < NSIZES; si++) {
      size_t n = SIZES[si];
      uint16_t *v = malloc((n + 1) * 2), *o = malloc((n + 1) * 2);
      size_t nb = (n * (size_t)bw + 7) / 8;
      uint8_t *p = calloc(nb + 1, 1);
      for (size_t i = 0; i < n; i++) {
        v[i] = (uint16_t)(rnd() & mask_of(bw));
        for (int k = 0; k < bw; k++) {
          size_t bit = i * (size_t)bw + (size_t)k;
          if (v[i] >> (bw - 1 - k) & 1) p[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
        }
      }
      size_t used;
      CHECK_OK(pq_bitpacked_legacy_decode_u16(p, nb, bw, o, n, &used, &e_));
      CHECK(used == nb);
      CHECK(n == 0 || memcmp(v, o, n * 2) == 0);
      free(v);
      free(o);
      free(p);
    }
}

TEST(bitpack_all_widths) {
  rng_state = 5;
  enum { G = 37 };
  uint64_t v64[G * 8], o64[G * 8];
  uint32_t v32[G * 8], o32[G * 8];
  uint16_t o16[G * 8];
  for (int bw = 0; bw <= 64; bw++) {
    for (int i = 0; i < G * 8; i++) v64[i] = rnd() & mask_of(bw);
    /* exact-size heap buffer so reading past the groups shows up under ASan */
    uint8_t *p = malloc(G * 8 + (size_t)G * (size_t)bw);
    pq_pack64(v64, p, G, bw);
    pq_unpack64(p, o64, G, bw);
    CHECK(memcmp(v64, o64, sizeof v64) == 0);
    for (size_t n = 0; n < 20; n++) {
      pq_unpack64_n(p, (n * (size_t)bw + 7) / 8, o64, n, bw);
      CHECK(n == 0 || memcmp(v64, o64, n * 8) == 0);
    }
    if (bw <= 32) {
      for (int i = 0; i < G * 8; i++) v32[i] = (uint32_t)v64[i];
      uint8_t *q = malloc((size_t)G * (size_t)bw + 1);
      pq_pack32(v32, q, G, bw);
      CHECK(memcmp(p, q, (size_t)G * (size_t)bw) == 0);
      pq_unpack32(q, o32, G, bw);
      CHECK(memcmp(v32, o32, sizeof v32) == 0);
      if (bw <= 16) {
        pq_unpack16(q, o16, G, bw);
        int ok = 1;
        for (int i = 0; i < G * 8; i++) ok &= o16[i] == (uint16_t)v32[i];
        CHECK(ok);
      }
      free(q);
    }
    free(p);
  }
}

/* ---------- PLAIN ---------- */

TEST(plain_bool) {
  rng_state = 6;
  for (size_t si = 0; si < NSIZES; si++) {
    size_t n = SIZES[si];
    uint8_t *v = malloc(n + 1), *o = malloc(n + 1);
    for (size_t i = 0; i < n; i++) v[i] = rnd() & 1;
    parq_buf b = PARQ_BUF_INIT;
    CHECK_OK(pq_plain_encode_bool(v, n, &b));
    CHECK(b.len == (n + 7) / 8);
    size_t used;
    CHECK_OK(pq_plain_decode_bool(b.data, b.len, o, n, &used, &e_));
    CHECK(n == 0 || memcmp(v, o, n) == 0);
    CHECK(used == b.len);
    parq_error err = {0};
    if (n) CHECK(pq_plain_decode_bool(b.data, b.len - 1, o, n, &used, &err) == PARQ_ECORRUPT);
    parq_buf_free(&b);
    free(v);
    free(o);
  }
  const uint8_t bits[] = {0xA5, 0x01};
  uint8_t o[9];
  CHECK_OK(pq_plain_decode_bool(bits, 2, o, 9, NULL, &e_));
  const uint8_t want[9] = {1, 0, 1, 0, 0, 1, 0, 1, 1};
  CHECK(memcmp(o, want, 9) == 0);
}

/* Random strings (Arrow offsets), with shared prefixes to exercise front coding. */
static void make_strings(size_t n, size_t maxlen, int32_t **offs, uint8_t **data) {
  int32_t *o = malloc((n + 1) * sizeof *o);
  size_t cap = n * maxlen + 1;
  uint8_t *d = malloc(cap);
  o[0] = 0;
  size_t cur = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = maxlen ? rnd() % (maxlen + 1) : 0;
    size_t keep = 0;
    if (i && (rnd() & 1)) {
      size_t pl = (size_t)(o[i] - o[i - 1]);
      keep = pl < l ? pl : l;
      keep = keep ? rnd() % (keep + 1) : 0;
      memcpy(d + cur, d + o[i - 1], keep);
    }
    for (size_t k = keep; k < l; k++) d[cur + k] = (uint8_t)('a' + rnd() % 4);
    cur += l;
    o[i + 1] = (int32_t)cur;
  }
  *offs = o;
  *data = d;
}

typedef parq_status (*ba_dec)(const uint8_t *, size_t, size_t, parq_buf *, int32_t *, size_t *,
                              parq_error *);
typedef parq_status (*ba_enc)(const int32_t *, const uint8_t *, size_t, parq_buf *);

/* Round trip + every-prefix check for one byte-array encoding. */
static void ba_roundtrip(ba_enc enc, ba_dec dec, const char *name) {
  rng_state = 7;
  const size_t maxlens[] = {0, 1, 5, 40};
  for (size_t si = 0; si < NSIZES; si++)
    for (size_t mi = 0; mi < 4; mi++) {
      size_t n = SIZES[si];
      int32_t *offs;
      uint8_t *data;
      make_strings(n, maxlens[mi], &offs, &data);
      parq_buf b = PARQ_BUF_INIT;
      CHECK_OK(enc(offs, data, n, &b));
      /* decode after some bytes already in the buffer: offsets are absolute */
      parq_buf vals = PARQ_BUF_INIT;
      CHECK_OK(parq_buf_append(&vals, "xyz", 3));
      int32_t *o = malloc((n + 1) * sizeof *o);
      size_t used = 0;
      parq_error err = {0};
      int st = dec(b.data ? b.data : (const uint8_t *)"", b.len, n, &vals, o + 1, &used, &err);
      CHECK(st == PARQ_OK);
      if (st) fprintf(stderr, "%s n=%zu: %s\n", name, n, err.message);
      o[0] = 3;
      CHECK(used == b.len);
      CHECK(vals.len == 3 + (size_t)offs[n]);
      int ok = 1;
      for (size_t i = 0; i <= n; i++) ok &= o[i] - 3 == offs[i];
      CHECK(ok);
      CHECK(vals.len == 3 || memcmp(vals.data + 3, data, (size_t)offs[n]) == 0);
      /* every prefix: error or OK, never an overread (exact-size copies) */
      if (n <= 9 || (n == 1000 && mi == 2)) {
        for (size_t cut = 0; cut < b.len; cut++) {
          uint8_t *p = malloc(cut ? cut : 1);
          if (cut) memcpy(p, b.data, cut);
          parq_buf t = PARQ_BUF_INIT;
          st = dec(p, cut, n, &t, o, &used, &err);
          CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
          if (st == PARQ_OK) CHECK(used <= cut);
          parq_buf_free(&t);
          free(p);
        }
      }
      free(o);
      parq_buf_free(&vals);
      parq_buf_free(&b);
      free(offs);
      free(data);
    }
}

TEST(plain_byte_array) {
  ba_roundtrip(pq_plain_encode_byte_array, pq_plain_decode_byte_array, "PLAIN");
  const uint8_t bad[] = {5, 0, 0, 0, 'a', 'b'};
  parq_buf t = PARQ_BUF_INIT;
  int32_t o[2];
  parq_error err = {0};
  CHECK(pq_plain_decode_byte_array(bad, 6, 1, &t, o, NULL, &err) == PARQ_ECORRUPT);
  CHECK(strstr(err.message, "PLAIN") != NULL);
  const uint8_t neg[] = {0xff, 0xff, 0xff, 0xff};
  CHECK(pq_plain_decode_byte_array(neg, 4, 1, &t, o, NULL, &err) == PARQ_ECORRUPT);
  parq_buf_free(&t);
}

TEST(delta_length_byte_array) {
  ba_roundtrip(pq_delta_length_encode, pq_delta_length_decode, "DELTA_LENGTH");
}

TEST(delta_byte_array) {
  ba_roundtrip(pq_delta_byte_array_encode, pq_delta_byte_array_decode, "DELTA_BYTE_ARRAY");
  /* prefix longer than the previous value -> corrupt */
  int32_t pre[2] = {0, 5}, suf[2] = {2, 1};
  parq_buf b = PARQ_BUF_INIT;
  CHECK_OK(pq_delta_encode_i32(pre, 2, &b));
  CHECK_OK(pq_delta_encode_i32(suf, 2, &b));
  CHECK_OK(parq_buf_append(&b, "abc", 3));
  parq_buf t = PARQ_BUF_INIT;
  int32_t o[2];
  parq_error err = {0};
  CHECK(pq_delta_byte_array_decode(b.data, b.len, 2, &t, o, NULL, &err) == PARQ_ECORRUPT);
  CHECK(strstr(err.message, "prefix") != NULL);
  /* a valid hand-made one: "ab", "abc" (prefix 2 + "c") */
  parq_buf_free(&b);
  pre[1] = 2;
  CHECK_OK(pq_delta_encode_i32(pre, 2, &b));
  CHECK_OK(pq_delta_encode_i32(suf, 2, &b));
  CHECK_OK(parq_buf_append(&b, "abc", 3));
  size_t used;
  CHECK_OK(pq_delta_byte_array_decode(b.data, b.len, 2, &t, o, &used, &e_));
  CHECK(t.len == 5 && memcmp(t.data, "ababc", 5) == 0 && o[0] == 2 && o[1] == 5);
  CHECK(used == b.len);
  parq_buf_free(&b);
  parq_buf_free(&t);
}

/* ---------- DELTA_BINARY_PACKED ---------- */

TEST(delta_spec_examples) {
  /* 1,2,3,4,5: deltas all 1 -> min delta 1, widths 0, no miniblock data */
  const uint8_t ex1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
  int32_t v1[5] = {1, 2, 3, 4, 5}, o[8];
  size_t used;
  CHECK_OK(pq_delta_decode_i32(ex1, sizeof ex1, o, 5, &used, &e_));
  CHECK(memcmp(o, v1, sizeof v1) == 0 && used == sizeof ex1);
  parq_buf b = PARQ_BUF_INIT;
  CHECK_OK(pq_delta_encode_i32(v1, 5, &b));
  CHECK(b.len == sizeof ex1 && memcmp(b.data, ex1, sizeof ex1) == 0);
  parq_buf_free(&b);
  /* 7,5,3,1,2,3,4,5: deltas -2,-2,-2,1,1,1,1 -> min -2, adjusted 0,0,0,3,3,3,3
   * at width 2 in a 32-value miniblock (8 bytes, zero padded) */
  const uint8_t ex2[] = {0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0,
                         0xC0, 0x3F, 0,    0,    0,    0,    0, 0};
  int32_t v2[8] = {7, 5, 3, 1, 2, 3, 4, 5};
  CHECK_OK(pq_delta_decode_i32(ex2, sizeof ex2, o, 8, &used, &e_));
  CHECK(memcmp(o, v2, sizeof v2) == 0 && used == sizeof ex2);
  CHECK_OK(pq_delta_encode_i32(v2, 8, &b));
  CHECK(b.len == sizeof ex2 && memcmp(b.data, ex2, sizeof ex2) == 0);
  /* the same stream read as INT64 */
  int64_t o64[8];
  CHECK_OK(pq_delta_decode_i64(ex2, sizeof ex2, o64, 8, &used, &e_));
  for (int i = 0; i < 8; i++) CHECK(o64[i] == v2[i]);
  /* truncated final miniblock: only the 2 bytes holding the 7 deltas */
  CHECK_OK(pq_delta_decode_i32(ex2, 12, o, 8, &used, &e_));
  CHECK(memcmp(o, v2, sizeof v2) == 0 && used == 12);
  parq_error err = {0};
  CHECK(pq_delta_decode_i32(ex2, 11, o, 8, &used, &err) == PARQ_ECORRUPT);
  /* fewer values than asked for */
  CHECK(pq_delta_decode_i32(ex2, sizeof ex2, o, 9, &used, &err) == PARQ_ECORRUPT);
  /* asking for fewer: consumed still covers the whole stream */
  CHECK_OK(pq_delta_decode_i32(ex2, sizeof ex2, o, 3, &used, &e_));
  CHECK(used == sizeof ex2 && o[2] == 3);
  CHECK_OK(pq_delta_decode_i32(ex2, sizeof ex2, o, 0, &used, &e_));
  CHECK(used == sizeof ex2);
  parq_buf_free(&b);
  /* Width 33 in an INT32 column (DuckDB computes deltas in 64 bits): read
   * as 64-bit and truncated, i.e. 32-bit wrapping. 65 is invalid for both. */
  uint8_t w33[6 + 4 + 33 * 4] = {0x80, 0x01, 0x04, 0x03, 0x00, 0x00, 33, 0, 0, 0};
  for (int i = 10; i < (int)sizeof w33; i++) w33[i] = (uint8_t)(i * 37 + 11);
  CHECK_OK(pq_delta_decode_i64(w33, sizeof w33, o64, 3, &used, &e_));
  CHECK(used == sizeof w33);
  CHECK_OK(pq_delta_decode_i32(w33, sizeof w33, o, 3, &used, &e_));
  for (int i = 0; i < 3; i++) CHECK(o[i] == (int32_t)(uint32_t)(uint64_t)o64[i]);
  CHECK(o64[1] != (int64_t)o[1]); /* the 33rd bit really was set */
  w33[6] = 65;
  CHECK(pq_delta_decode_i64(w33, sizeof w33, o64, 3, &used, &err) == PARQ_ECORRUPT);
  CHECK(strstr(err.message, "65") != NULL);
  CHECK(pq_delta_decode_i32(w33, sizeof w33, o, 3, &used, &err) == PARQ_ECORRUPT);
  /* a bad header */
  const uint8_t badhdr[] = {0x80, 0x01, 0x03, 0x05, 0x02};
  CHECK(pq_delta_decode_i32(badhdr, sizeof badhdr, o, 5, &used, &err) == PARQ_ECORRUPT);
  /* empty input for zero values */
  CHECK_OK(pq_delta_decode_i32((const uint8_t *)"", 0, o, 0, &used, &e_));
  CHECK(pq_delta_decode_i32((const uint8_t *)"", 0, o, 1, &used, &err) == PARQ_ECORRUPT);
}

/* Values whose deltas need up to `bits` bits. */
static void fill_i64(int64_t *v, size_t n, int bits, int mode) {
  uint64_t acc = rnd();
  for (size_t i = 0; i < n; i++) {
    if (mode == 1) { /* extremes: wrap-around deltas */
      static const int64_t ex[] = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN + 1};
      v[i] = ex[rnd() % 6];
      continue;
    }
    acc += rnd() & mask_of(bits);
    v[i] = (int64_t)acc;
  }
}

TEST(delta_roundtrip_i64) {
  rng_state = 8;
  int64_t *v = malloc(100003 * 8), *o = malloc(100004 * 8);
  for (int bits = 0; bits <= 64; bits++)
    for (size_t si = 0; si < NSIZES; si++)
      for (int mode = 0; mode < 2; mode++) {
        if (mode == 1 && bits) continue;
        size_t n = SIZES[si];
        fill_i64(v, n, bits, mode);
        parq_buf b = PARQ_BUF_INIT;
        CHECK_OK(pq_delta_encode_i64(v, n, &b));
        size_t used = 0;
        o[n] = 12345;
        parq_error err = {0};
        int st = pq_delta_decode_i64(b.data, b.len, o, n, &used, &err);
        CHECK(st == PARQ_OK);
        if (st) fprintf(stderr, "bits %d n %zu: %s\n", bits, n, err.message);
        CHECK(n == 0 || memcmp(v, o, n * 8) == 0);
        CHECK(used == b.len && o[n] == 12345);
        parq_buf_free(&b);
      }
  free(v);
  free(o);
}

TEST(delta_roundtrip_i32) {
  rng_state = 9;
  int32_t *v = malloc(100003 * 4), *o = malloc(100003 * 4);
  int64_t *t = malloc(100003 * 8);
  for (int bits = 0; bits <= 33; bits++)
    for (size_t si = 0; si < NSIZES; si++)
      for (int mode = 0; mode < 2; mode++) {
        if (mode == 1 && bits) continue;
        size_t n = SIZES[si];
        fill_i64(t, n, bits, 0);
        for (size_t i = 0; i < n; i++) v[i] = (int32_t)(uint32_t)t[i];
        if (mode == 1) {
          static const int32_t ex[] = {INT32_MIN, INT32_MAX, 0, -1, 1, INT32_MIN + 1};
          for (size_t i = 0; i < n; i++) v[i] = ex[rnd() % 6];
        }
        parq_buf b = PARQ_BUF_INIT;
        CHECK_OK(pq_delta_encode_i32(v, n, &b));
        size_t used = 0;
        CHECK_OK(pq_delta_decode_i32(b.data, b.len, o, n, &used, &e_));
        CHECK(n == 0 || memcmp(v, o, n * 4) == 0);
        CHECK(used == b.len);
        parq_buf_free(&b);
      }
  /* an INT64 stream of 33..64-bit deltas read as INT32 == truncation */
  for (int bits = 33; bits <= 64; bits += 31) {
    fill_i64(t, 1000, bits, 0);
    parq_buf w = PARQ_BUF_INIT;
    CHECK_OK(pq_delta_encode_i64(t, 1000, &w));
    CHECK_OK(pq_delta_decode_i32(w.data, w.len, o, 1000, NULL, &e_));
    int ok = 1;
    for (int i = 0; i < 1000; i++) ok &= o[i] == (int32_t)(uint32_t)(uint64_t)t[i];
    CHECK(ok);
    parq_buf_free(&w);
  }
  /* alternating extremes: every delta overflows int32 and must wrap */
  int32_t ext[9] = {INT32_MIN, INT32_MAX, INT32_MIN, 0, INT32_MAX, -1, INT32_MIN, 1, INT32_MAX};
  parq_buf b = PARQ_BUF_INIT;
  CHECK_OK(pq_delta_encode_i32(ext, 9, &b));
  CHECK_OK(pq_delta_decode_i32(b.data, b.len, o, 9, NULL, &e_));
  CHECK(memcmp(ext, o, sizeof ext) == 0);
  parq_buf_free(&b);
  free(v);
  free(o);
  free(t);
}

TEST(delta_prefixes_and_garbage) {
  rng_state = 10;
  int64_t v[300], o[300];
  int32_t o32[300];
  for (int bits = 0; bits <= 64; bits += 7) {
    fill_i64(v, 300, bits, 0);
    parq_buf b = PARQ_BUF_INIT;
    CHECK_OK(pq_delta_encode_i64(v, 300, &b));
    for (size_t cut = 0; cut < b.len; cut++) {
      uint8_t *p = malloc(cut ? cut : 1);
      if (cut) memcpy(p, b.data, cut);
      size_t used;
      parq_error err = {0};
      int st = pq_delta_decode_i64(p, cut, o, 300, &used, &err);
      CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
      if (st == PARQ_OK) CHECK(memcmp(o, v, sizeof v) == 0 && used <= cut);
      free(p);
    }
    parq_buf_free(&b);
  }
  for (int iter = 0; iter < 20000; iter++) {
    size_t len = rnd() % 48;
    uint8_t *p = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) p[i] = (uint8_t)rnd();
    if (len > 3 && (rnd() & 1)) { /* plausible header so the body gets exercised */
      p[0] = 0x08;
      p[1] = 0x01;
      p[2] = (uint8_t)(rnd() % 100);
    }
    size_t want = rnd() % 300, used;
    parq_error err = {0};
    int st = pq_delta_decode_i64(p, len, o, want, &used, &err);
    CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
    st = pq_delta_decode_i32(p, len, o32, want, &used, &err);
    CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
    parq_buf t = PARQ_BUF_INIT;
    int32_t offs[300];
    st = pq_delta_length_decode(p, len, want, &t, offs, &used, &err);
    CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
    st = pq_delta_byte_array_decode(p, len, want, &t, offs, &used, &err);
    CHECK(st == PARQ_OK || st == PARQ_ECORRUPT);
    parq_buf_free(&t);
    free(p);
  }
}

/* ---------- BYTE_STREAM_SPLIT ---------- */

TEST(byte_stream_split) {
  rng_state = 11;
  const size_t widths[] = {1, 2, 3, 4, 8, 12, 16};
  for (size_t wi = 0; wi < 7; wi++)
    for (size_t si = 0; si < NSIZES; si++) {
      size_t w = widths[wi], n = SIZES[si];
      uint8_t *v = malloc(n * w + 1), *o = malloc(n * w + 1);
      for (size_t i = 0; i < n * w; i++) v[i] = (uint8_t)rnd();
      parq_buf b = PARQ_BUF_INIT;
      CHECK_OK(pq_bss_encode(v, w, n, &b));
      CHECK(b.len == n * w);
      if (n > 1) CHECK(b.data[1] == v[w]); /* stream 0 holds byte 0 of each value */
      CHECK_OK(pq_bss_decode(b.data ? b.data : v, b.len, w, o, n, &e_));
      CHECK(n == 0 || memcmp(v, o, n * w) == 0);
      parq_error err = {0};
      if (n) CHECK(pq_bss_decode(b.data, b.len - 1, w, o, n, &err) == PARQ_ECORRUPT);
      parq_buf_free(&b);
      free(v);
      free(o);
    }
  /* hand example: two floats 1.0f (00 00 80 3f) and 2.0f (00 00 00 40) */
  const uint8_t enc[] = {0, 0, 0, 0, 0x80, 0x00, 0x3f, 0x40};
  float f[2];
  CHECK_OK(pq_bss_decode(enc, 8, 4, (uint8_t *)f, 2, &e_));
  CHECK(f[0] == 1.0f && f[1] == 2.0f);
}

/* ---------- dictionary ---------- */

TEST(dict_fixed_million) {
  rng_state = 12;
  size_t n = 1000000;
  int64_t *v = malloc(n * 8);
  uint32_t *idx = malloc(n * 4);
  for (size_t i = 0; i < n; i++) v[i] = (int64_t)(rnd() % 600000);
  pq_dict *d = pq_dict_new(8);
  CHECK(d != NULL);
  /* insert in two batches to check state carries over */
  CHECK_OK(pq_dict_insert_fixed(d, (const uint8_t *)v, n / 2, idx));
  CHECK_OK(pq_dict_insert_fixed(d, (const uint8_t *)(v + n / 2), n - n / 2, idx + n / 2));
  size_t k = pq_dict_size(d);
  CHECK(k > 400000 && k <= 600000);
  CHECK(pq_dict_plain_bytes(d) == k * 8);
  int ok = 1;
  uint32_t next = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p;
    size_t l;
    ok &= idx[i] < k;
    if (idx[i] == next) next++; /* first-seen order: a new index is the next one */
    else ok &= idx[i] < next;
    pq_dict_get(d, idx[i], &p, &l);
    ok &= l == 8 && memcmp(p, &v[i], 8) == 0;
  }
  CHECK(ok && next == k);
  parq_buf b = PARQ_BUF_INIT;
  CHECK_OK(pq_dict_write_plain(d, &b));
  CHECK(b.len == k * 8);
  ok = 1;
  for (size_t i = 0; i < n; i++) ok &= memcmp(b.data + (size_t)idx[i] * 8, &v[i], 8) == 0;
  CHECK(ok);
  /* -0.0 and 0.0 stay distinct (bytewise) */
  pq_dict_reset(d);
  CHECK(pq_dict_size(d) == 0 && pq_dict_plain_bytes(d) == 0);
  double z[3] = {0.0, -0.0, 0.0};
  uint32_t zi[3];
  CHECK_OK(pq_dict_insert_fixed(d, (const uint8_t *)z, 3, zi));
  CHECK(pq_dict_size(d) == 2 && zi[0] == 0 && zi[1] == 1 && zi[2] == 0);
  pq_dict_free(d);
  /* odd width (FLBA 3) */
  d = pq_dict_new(3);
  const uint8_t f3[] = "abcabdabc";
  CHECK_OK(pq_dict_insert_fixed(d, f3, 3, zi));
  CHECK(pq_dict_size(d) == 2 && zi[2] == 0 && zi[1] == 1);
  pq_dict_free(d);
  parq_buf_free(&b);
  free(v);
  free(idx);
}

TEST(dict_binary_million) {
  size_t n = 1000000, distinct = 700001;
  int32_t *offs = malloc((n + 1) * 4);
  char *data = malloc(n * 16);
  offs[0] = 0;
  size_t cur = 0;
  for (size_t i = 0; i < n; i++) {
    /* value i % distinct; value 0 is the empty string */
    size_t key = (i * 7919) % distinct;
    int l = key ? sprintf(data + cur, "k%zu", key) : 0;
    cur += (size_t)l;
    offs[i + 1] = (int32_t)cur;
  }
  uint32_t *idx = malloc(n * 4);
  pq_dict *d = pq_dict_new(0);
  CHECK_OK(pq_dict_insert_binary(d, offs, (const uint8_t *)data, n, idx));
  CHECK(pq_dict_size(d) == distinct);
  int ok = 1;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p;
    size_t l;
    pq_dict_get(d, idx[i], &p, &l);
    ok &= l == (size_t)(offs[i + 1] - offs[i]) && memcmp(p, data + offs[i], l) == 0;
  }
  CHECK(ok);
  /* the dictionary page decodes back as PLAIN byte arrays, in index order */
  parq_buf b = PARQ_BUF_INIT, vals = PARQ_BUF_INIT;
  CHECK_OK(pq_dict_write_plain(d, &b));
  CHECK(b.len == pq_dict_plain_bytes(d));
  int32_t *o = malloc((distinct + 1) * 4);
  o[0] = 0;
  CHECK_OK(pq_plain_decode_byte_array(b.data, b.len, distinct, &vals, o + 1, NULL, &e_));
  ok = 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t j = idx[i];
    size_t l = (size_t)(o[j + 1] - o[j]);
    ok &= l == (size_t)(offs[i + 1] - offs[i]) && memcmp(vals.data + o[j], data + offs[i], l) == 0;
  }
  CHECK(ok);
  pq_dict_reset(d);
  CHECK_OK(pq_dict_insert_binary(d, offs, (const uint8_t *)data, 3, idx));
  CHECK(pq_dict_size(d) == 3 && idx[0] == 0 && idx[2] == 2);
  pq_dict_free(d);
  parq_buf_free(&b);
  parq_buf_free(&vals);
  free(o);
  free(offs);
  free(data);
  free(idx);
}

/* PLAIN byte arrays as views: inline up to 12 bytes, else prefix + buffer
 * index + offset from the buffer start; truncated input is refused. */
TEST(plain_byte_array_views) {
  const char *vals[] = {"", "short", "exactly12byt", "a value longer than twelve bytes"};
  parq_buf page = PARQ_BUF_INIT;
  for (int k = 0; k < 4; k++) {
    uint32_t l = (uint32_t)strlen(vals[k]);
    parq_buf_append(&page, &l, 4);
    parq_buf_append(&page, vals[k], l);
  }
  uint8_t v[4 * 16];
  parq_error err = {0};
  CHECK(pq_plain_decode_byte_array_views(page.data, page.len, 4, 100, 7, v, &err) == PARQ_OK);
  for (int k = 0; k < 4; k++) {
    int32_t l, bi, off;
    memcpy(&l, v + 16 * k, 4);
    CHECK(l == (int32_t)strlen(vals[k]));
    if (l <= 12) {
      CHECK(!memcmp(v + 16 * k + 4, vals[k], (size_t)l));
    } else {
      memcpy(&bi, v + 16 * k + 8, 4);
      memcpy(&off, v + 16 * k + 12, 4);
      CHECK(bi == 7 && !memcmp(v + 16 * k + 4, vals[k], 4));
      CHECK(!memcmp(page.data + (off - 100), vals[k], (size_t)l));
    }
  }
  CHECK(pq_plain_decode_byte_array_views(page.data, page.len - 1, 4, 0, 0, v, &err) == PARQ_ECORRUPT);
  CHECK(pq_plain_decode_byte_array_views(page.data, page.len, 5, 0, 0, v, &err) == PARQ_ECORRUPT);
  parq_buf_free(&page);
}

int main(void) {
  RUN(rle_spec_example);
  RUN(plain_byte_array_views);
  RUN(rle_roundtrip_u32);
  RUN(rle_roundtrip_u16);
  RUN(rle_bit_width_zero_and_limits);
  RUN(rle_truncated_last_run);
  RUN(rle_prefixes_and_garbage);
  RUN(legacy_bitpacked_roundtrip);
  RUN(bitpack_all_widths);
  RUN(plain_bool);
  RUN(plain_byte_array);
  RUN(delta_length_byte_array);
  RUN(delta_byte_array);
  RUN(delta_spec_examples);
  RUN(delta_roundtrip_i64);
  RUN(delta_roundtrip_i32);
  RUN(delta_prefixes_and_garbage);
  RUN(byte_stream_split);
  RUN(dict_fixed_million);
  RUN(dict_binary_million);
  TEST_SUMMARY();
}
