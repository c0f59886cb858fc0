/* test_codec.c — round trips, hostile input and fallbacks for src/codec, plus CRC32 and
 * the public codec / encoding name helpers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "test.h"
#include "util/buf.h"
#include "util/crc32.h"

static const int all_codecs[] = {PARQ_CODEC_UNCOMPRESSED, PARQ_CODEC_SNAPPY, PARQ_CODEC_GZIP,
                                 PARQ_CODEC_BROTLI,       PARQ_CODEC_LZ4,    PARQ_CODEC_ZSTD,
                                 PARQ_CODEC_LZ4_RAW};
#define N_CODECS (sizeof all_codecs / sizeof all_codecs[0])

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

enum { DATA_RANDOM, DATA_ZERO, DATA_TEXT };

static uint8_t *make_data(int kind, size_t n) {
  uint8_t *p = malloc(n ? n : 1);
  static const char *const words[] = {"parquet ", "column ", "page ", "row_group ", "42 ",
                                      "compression ", "the ", "of ", "\n", "2024-01-01 "};
  size_t i = 0;
  while (i < n) {
    if (kind == DATA_RANDOM) {
      p[i++] = (uint8_t)rng();
    } else if (kind == DATA_ZERO) {
      p[i++] = 0;
    } else {
      const char *w = words[rng() % 10];
      for (; *w && i < n; w++) p[i++] = (uint8_t)*w;
    }
  }
  return p;
}

/* Compress with (codec, level), decompress, compare. Returns 1 on success. */
static int round_trip(pq_codec_ctx *c, int codec, int level, const uint8_t *src, size_t n) {
  parq_buf out = PARQ_BUF_INIT;
  parq_error err = {0};
  int ok = 1;
  /* A prefix checks pq_compress appends rather than overwrites. */
  parq_buf_append(&out, "PREFIX", 6);
  if (pq_compress(c, codec, level, src, n, &out, &err) != PARQ_OK) {
    fprintf(stderr, "compress codec %d level %d n %zu: %s\n", codec, level, n, err.message);
    ok = 0;
  } else if (memcmp(out.data, "PREFIX", 6) != 0) {
    ok = 0;
  } else if (out.len - 6 > pq_compress_bound(codec, n)) {
    ok = 0;
  } else {
    uint8_t *back = malloc(n ? n : 1);
    if (pq_decompress(c, codec, out.data + 6, out.len - 6, back, n, &err) != PARQ_OK) {
      fprintf(stderr, "decompress codec %d level %d n %zu: %s\n", codec, level, n, err.message);
      ok = 0;
    } else if (n && memcmp(back, src, n) != 0) {
      fprintf(stderr, "mismatch codec %d level %d n %zu\n", codec, level, n);
      ok = 0;
    }
    /* Wrong expected sizes must be rejected. */
    if (n > 0 && pq_decompress(c, codec, out.data + 6, out.len - 6, back, n - 1, &err) == PARQ_OK)
      ok = 0;
    uint8_t *big = malloc(n + 1);
    if (pq_decompress(c, codec, out.data + 6, out.len - 6, big, n + 1, &err) == PARQ_OK) ok = 0;
    free(big);
    free(back);
  }
  parq_buf_free(&out);
  return ok;
}

TEST(test_round_trip_defaults) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  CHECK(c != NULL);
  static const size_t sizes[] = {0, 1, 1000, 1u << 20};
  for (int kind = 0; kind < 3; kind++) {
    for (size_t s = 0; s < 4; s++) {
      uint8_t *d = make_data(kind, sizes[s]);
      for (size_t k = 0; k < N_CODECS; k++) {
        int ok = round_trip(c, all_codecs[k], 0, d, sizes[s]);
        if (!ok) fprintf(stderr, "  kind %d size %zu codec %d\n", kind, sizes[s], all_codecs[k]);
        CHECK(ok);
      }
      free(d);
    }
  }
  pq_codec_ctx_free(c);
}

TEST(test_round_trip_levels) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  static const size_t sizes[] = {0, 1, 1000, 100000};
  static const struct { int codec, level; } cases[] = {
      {PARQ_CODEC_ZSTD, 1},   {PARQ_CODEC_ZSTD, 5},   {PARQ_CODEC_ZSTD, 19},
      {PARQ_CODEC_ZSTD, -5},  {PARQ_CODEC_GZIP, 1},   {PARQ_CODEC_GZIP, 9},
      {PARQ_CODEC_GZIP, 12},  {PARQ_CODEC_BROTLI, 1}, {PARQ_CODEC_BROTLI, 5},
      {PARQ_CODEC_BROTLI, 11}, {PARQ_CODEC_ZSTD, 3},  {PARQ_CODEC_GZIP, 6},
  };
  for (int kind = 0; kind < 3; kind++) {
    for (size_t s = 0; s < 4; s++) {
      uint8_t *d = make_data(kind, sizes[s]);
      for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        CHECK(round_trip(c, cases[k].codec, cases[k].level, d, sizes[s]));
      free(d);
    }
  }
  /* Out-of-range levels are usage errors. */
  parq_buf out = PARQ_BUF_INIT;
  uint8_t x = 1;
  CHECK(pq_compress(c, PARQ_CODEC_GZIP, 13, &x, 1, &out, NULL) == PARQ_EINVAL);
  CHECK(pq_compress(c, PARQ_CODEC_BROTLI, 12, &x, 1, &out, NULL) == PARQ_EINVAL);
  CHECK(pq_compress(c, PARQ_CODEC_ZSTD, 1000, &x, 1, &out, NULL) == PARQ_EINVAL);
  parq_buf_free(&out);
  pq_codec_ctx_free(c);
}

/* Many small pages through one context exercise context reuse and level switches. */
TEST(test_context_reuse) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  uint8_t *d = make_data(DATA_TEXT, 5000);
  for (int i = 0; i < 50; i++) {
    for (size_t k = 0; k < N_CODECS; k++) CHECK(round_trip(c, all_codecs[k], 0, d, 5000 - i));
    CHECK(round_trip(c, PARQ_CODEC_ZSTD, 1 + i % 5, d, 4000));
  }
  free(d);
  pq_codec_ctx_free(c);
}

TEST(test_empty_pages) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  for (size_t k = 0; k < N_CODECS; k++)
    CHECK(pq_decompress(c, all_codecs[k], NULL, 0, NULL, 0, NULL) == PARQ_OK);
  CHECK(pq_decompress(c, PARQ_CODEC_LZO, NULL, 0, NULL, 0, NULL) == PARQ_OK);
  uint8_t dst[4];
  parq_error err = {0};
  CHECK(pq_decompress(c, PARQ_CODEC_ZSTD, NULL, 0, dst, 4, &err) == PARQ_ECORRUPT);
  /* A zstd frame of zero bytes into a zero-byte page. */
  parq_buf out = PARQ_BUF_INIT;
  CHECK_OK(pq_compress(c, PARQ_CODEC_ZSTD, 0, NULL, 0, &out, NULL));
  CHECK(out.len > 0);
  CHECK(pq_decompress(c, PARQ_CODEC_ZSTD, out.data, out.len, NULL, 0, NULL) == PARQ_OK);
  parq_buf_free(&out);
  pq_codec_ctx_free(c);
}

TEST(test_unsupported) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  parq_error err = {0};
  uint8_t src[4] = {1, 2, 3, 4}, dst[4];
  CHECK(pq_decompress(c, PARQ_CODEC_LZO, src, 4, dst, 4, &err) == PARQ_EUNSUPPORTED);
  CHECK(strstr(err.message, "LZO codec is not supported") != NULL);
  CHECK(pq_decompress(c, 42, src, 4, dst, 4, NULL) == PARQ_EUNSUPPORTED);
  parq_buf out = PARQ_BUF_INIT;
  CHECK(pq_compress(c, PARQ_CODEC_LZO, 0, src, 4, &out, NULL) == PARQ_EUNSUPPORTED);
  CHECK(!pq_codec_supported(PARQ_CODEC_LZO));
  CHECK(pq_codec_supported(PARQ_CODEC_ZSTD));
  parq_buf_free(&out);
  pq_codec_ctx_free(c);
}

/* Truncation, bit flips and garbage must give an error or (for flips the format cannot
 * detect) some output, but never a crash or an overrun (run under ASan). */
TEST(test_corrupt_input) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  size_t n = 20000;
  uint8_t *d = make_data(DATA_TEXT, n);
  uint8_t *back = malloc(n);
  for (size_t k = 1; k < N_CODECS; k++) {
    int codec = all_codecs[k];
    parq_buf out = PARQ_BUF_INIT;
    CHECK_OK(pq_compress(c, codec, 0, d, n, &out, NULL));
    parq_error err = {0};
    /* Truncated: always an error. */
    for (size_t cut = 0; cut < out.len; cut += 1 + out.len / 37) {
      memset(&err, 0, sizeof err);
      parq_status st = pq_decompress(c, codec, out.data, cut, back, n, &err);
      CHECK(st == PARQ_ECORRUPT);
      CHECK(st == PARQ_OK || err.message[0] != '\0');
    }
    /* Bit flips: no crash. */
    for (int t = 0; t < 200; t++) {
      uint8_t *bad = malloc(out.len);
      memcpy(bad, out.data, out.len);
      bad[rng() % out.len] ^= (uint8_t)(1u << (rng() % 8));
      (void)pq_decompress(c, codec, bad, out.len, back, n, NULL);
      free(bad);
    }
    /* Garbage of assorted sizes. */
    for (int t = 0; t < 200; t++) {
      size_t len = 1 + rng() % 300;
      uint8_t *g = make_data(DATA_RANDOM, len);
      (void)pq_decompress(c, codec, g, len, back, 1 + rng() % n, NULL);
      free(g);
    }
    /* The context still works after all those failures. */
    CHECK(pq_decompress(c, codec, out.data, out.len, back, n, NULL) == PARQ_OK);
    CHECK(memcmp(back, d, n) == 0);
    parq_buf_free(&out);
  }
  free(back);
  free(d);
  pq_codec_ctx_free(c);
}

TEST(test_hostile_sizes) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  uint8_t dst[16];
  parq_error err = {0};
  /* Snappy varint claiming ~4 GiB. */
  const uint8_t snap[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00};
  CHECK(pq_decompress(c, PARQ_CODEC_SNAPPY, snap, sizeof snap, dst, 16, &err) == PARQ_ECORRUPT);
  CHECK(strstr(err.message, "snappy: uncompressed length") != NULL);
  /* LZ4 block whose literal run claims far more than the input holds. */
  const uint8_t lz[] = {0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0x10, 'a', 'b'};
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4_RAW, lz, sizeof lz, dst, 16, NULL) == PARQ_ECORRUPT);
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, lz, sizeof lz, dst, 16, NULL) == PARQ_ECORRUPT);
  /* Hadoop frame claiming a 4 GiB block. */
  const uint8_t hd[] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0x10, 'a'};
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, hd, sizeof hd, dst, 16, NULL) == PARQ_ECORRUPT);
  pq_codec_ctx_free(c);
}

TEST(test_lz4_fallbacks) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  uint8_t dst[64];
  parq_error err = {0};
  /* 1. A raw LZ4 block built by hand: one literal-only sequence (token 0xB0 = 11 literals). */
  const uint8_t raw[] = {0xB0, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4_RAW, raw, sizeof raw, dst, 11, &err) == PARQ_OK);
  CHECK(memcmp(dst, "hello world", 11) == 0);
  memset(dst, 0, sizeof dst);
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, raw, sizeof raw, dst, 11, &err) == PARQ_OK);
  CHECK(memcmp(dst, "hello world", 11) == 0);
  /* 2. The same block Hadoop-framed, and two frames back to back. */
  uint8_t hd[2 * (8 + sizeof raw)];
  const uint8_t pre[8] = {0, 0, 0, 11, 0, 0, 0, sizeof raw};
  memcpy(hd, pre, 8);
  memcpy(hd + 8, raw, sizeof raw);
  memcpy(hd + 8 + sizeof raw, hd, 8 + sizeof raw);
  memset(dst, 0, sizeof dst);
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, hd, 8 + sizeof raw, dst, 11, NULL) == PARQ_OK);
  CHECK(memcmp(dst, "hello world", 11) == 0);
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, hd, sizeof hd, dst, 22, NULL) == PARQ_OK);
  CHECK(memcmp(dst, "hello worldhello world", 22) == 0);
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, hd, sizeof hd, dst, 11, NULL) == PARQ_ECORRUPT);
  /* 3. An LZ4 frame (magic, FLG 0x60, BD 0x40, header checksum 0x82) with one stored block. */
  const uint8_t frame[] = {0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82, 0x05, 0x00, 0x00,
                           0x80, 'h',  'e',  'l',  'l',  'o',  0,    0,    0,    0};
  memset(dst, 0, sizeof dst);
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, frame, sizeof frame, dst, 5, &err) == PARQ_OK);
  CHECK(memcmp(dst, "hello", 5) == 0);
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, frame, sizeof frame, dst, 6, &err) == PARQ_ECORRUPT);
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, frame, sizeof frame - 1, dst, 5, &err) == PARQ_ECORRUPT);
  /* 4. LZ4_RAW output read back as codec LZ4 (older Arrow wrote raw blocks as LZ4). */
  uint8_t *d = make_data(DATA_TEXT, 100000), *back = malloc(100000);
  parq_buf out = PARQ_BUF_INIT;
  CHECK_OK(pq_compress(c, PARQ_CODEC_LZ4_RAW, 0, d, 100000, &out, NULL));
  CHECK(pq_decompress(c, PARQ_CODEC_LZ4, out.data, out.len, back, 100000, NULL) == PARQ_OK);
  CHECK(memcmp(back, d, 100000) == 0);
  /* Hadoop output starts with the two big-endian lengths. */
  parq_buf_clear(&out);
  CHECK_OK(pq_compress(c, PARQ_CODEC_LZ4, 0, d, 100000, &out, NULL));
  CHECK(out.len > 8 && out.data[0] == 0 && out.data[1] == 1 && out.data[2] == 0x86 &&
        out.data[3] == 0xA0);
  CHECK((size_t)((uint32_t)out.data[4] << 24 | (uint32_t)out.data[5] << 16 |
                 (uint32_t)out.data[6] << 8 | out.data[7]) == out.len - 8);
  parq_buf_free(&out);
  free(back);
  free(d);
  pq_codec_ctx_free(c);
}

TEST(test_gzip_concatenated) {
  pq_codec_ctx *c = pq_codec_ctx_new();
  uint8_t *d = make_data(DATA_TEXT, 30000);
  uint8_t *back = malloc(30000);
  parq_buf out = PARQ_BUF_INIT;
  /* pq_compress appends, so two calls give two gzip members back to back. */
  CHECK_OK(pq_compress(c, PARQ_CODEC_GZIP, 0, d, 12345, &out, NULL));
  CHECK_OK(pq_compress(c, PARQ_CODEC_GZIP, 9, d + 12345, 30000 - 12345, &out, NULL));
  CHECK(pq_decompress(c, PARQ_CODEC_GZIP, out.data, out.len, back, 30000, NULL) == PARQ_OK);
  CHECK(memcmp(back, d, 30000) == 0);
  /* An empty third member is fine; garbage after the members is not. */
  CHECK_OK(pq_compress(c, PARQ_CODEC_GZIP, 0, d, 0, &out, NULL));
  CHECK(pq_decompress(c, PARQ_CODEC_GZIP, out.data, out.len, back, 30000, NULL) == PARQ_OK);
  CHECK_OK(parq_buf_append(&out, "junk", 4));
  CHECK(pq_decompress(c, PARQ_CODEC_GZIP, out.data, out.len, back, 30000, NULL) ==
        PARQ_ECORRUPT);
  /* A zlib-wrapped stream (stored block "hello") goes through the zlib path. */
  const uint8_t zl[] = {0x78, 0x01, 0x01, 0x05, 0x00, 0xFA, 0xFF, 'h', 'e', 'l',
                        'l',  'o',  0x06, 0x2C, 0x02, 0x15};
  CHECK(pq_decompress(c, PARQ_CODEC_GZIP, zl, sizeof zl, back, 5, NULL) == PARQ_OK);
  CHECK(memcmp(back, "hello", 5) == 0);
  parq_error err = {0};
  CHECK(pq_decompress(c, PARQ_CODEC_GZIP, zl, sizeof zl - 1, back, 5, &err) == PARQ_ECORRUPT);
  CHECK(strncmp(err.message, "gzip: ", 6) == 0);
  parq_buf_free(&out);
  free(back);
  free(d);
  pq_codec_ctx_free(c);
}

TEST(test_zstd_no_content_size) {
  /* Hand-built frame: FHD 0x00 (no content size, not single-segment), window byte, one raw
   * last block of 5 bytes (header = 1 | 0 << 1 | 5 << 3). */
  const uint8_t fr[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x29, 0x00,
                        0x00, 'h',  'e',  'l',  'l',  'o'};
  pq_codec_ctx *c = pq_codec_ctx_new();
  uint8_t dst[8];
  parq_error err = {0};
  CHECK(pq_decompress(c, PARQ_CODEC_ZSTD, fr, sizeof fr, dst, 5, &err) == PARQ_OK);
  CHECK(memcmp(dst, "hello", 5) == 0);
  CHECK(pq_decompress(c, PARQ_CODEC_ZSTD, fr, sizeof fr, dst, 4, &err) == PARQ_ECORRUPT);
  CHECK(pq_decompress(c, PARQ_CODEC_ZSTD, fr, sizeof fr, dst, 6, &err) == PARQ_ECORRUPT);
  CHECK(strncmp(err.message, "zstd: ", 6) == 0);
  pq_codec_ctx_free(c);
}

TEST(test_crc32) {
  CHECK(parq_crc32(0, "123456789", 9) == 0xCBF43926u);
  CHECK(parq_crc32(0, NULL, 0) == 0);
  uint32_t part = parq_crc32(0, "12345", 5);
  CHECK(parq_crc32(part, NULL, 0) == part);
  CHECK(parq_crc32(part, "6789", 4) == 0xCBF43926u);
}

TEST(test_codec_names) {
  parq_codec c;
  int lv = -99;
  CHECK(parq_codec_parse("zstd", &c, &lv) == PARQ_OK && c == PARQ_CODEC_ZSTD && lv == 0);
  CHECK(parq_codec_parse("ZSTD:5", &c, &lv) == PARQ_OK && c == PARQ_CODEC_ZSTD && lv == 5);
  CHECK(parq_codec_parse("zstd:22", &c, &lv) == PARQ_OK && lv == 22);
  CHECK(parq_codec_parse("zstd:-3", &c, &lv) == PARQ_OK && lv == -3);
  CHECK(parq_codec_parse("zstd:23", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("zstd:0", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("zstd:-8", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("zstd:", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("zstd:5x", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("zstd: 5", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("Snappy", &c, &lv) == PARQ_OK && c == PARQ_CODEC_SNAPPY && lv == 0);
  CHECK(parq_codec_parse("snappy:1", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("gzip:12", &c, &lv) == PARQ_OK && c == PARQ_CODEC_GZIP && lv == 12);
  CHECK(parq_codec_parse("gzip:13", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("gzip:0", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("brotli:11", &c, &lv) == PARQ_OK && c == PARQ_CODEC_BROTLI && lv == 11);
  CHECK(parq_codec_parse("brotli:12", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("lz4", &c, &lv) == PARQ_OK && c == PARQ_CODEC_LZ4_RAW);
  CHECK(parq_codec_parse("LZ4_RAW", &c, &lv) == PARQ_OK && c == PARQ_CODEC_LZ4_RAW);
  CHECK(parq_codec_parse("lz4-raw", &c, &lv) == PARQ_OK && c == PARQ_CODEC_LZ4_RAW);
  CHECK(parq_codec_parse("lz4_hadoop", &c, &lv) == PARQ_OK && c == PARQ_CODEC_LZ4);
  CHECK(parq_codec_parse("lz4:1", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("none", &c, &lv) == PARQ_OK && c == PARQ_CODEC_UNCOMPRESSED);
  CHECK(parq_codec_parse("UNCOMPRESSED", &c, &lv) == PARQ_OK && c == PARQ_CODEC_UNCOMPRESSED);
  CHECK(parq_codec_parse("zst", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("zstdx", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("", &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse(NULL, &c, &lv) == PARQ_EINVAL);
  CHECK(parq_codec_parse("gzip", &c, NULL) == PARQ_OK);
  CHECK(strcmp(parq_codec_name(PARQ_CODEC_LZ4_RAW), "LZ4_RAW") == 0);
  CHECK(strcmp(parq_codec_name(PARQ_CODEC_LZ4), "LZ4") == 0);
  CHECK(strcmp(parq_codec_name(PARQ_CODEC_UNCOMPRESSED), "UNCOMPRESSED") == 0);
  CHECK(strcmp(parq_codec_name((parq_codec)99), "UNKNOWN") == 0);
  /* Every name except LZ4 (which means LZ4_RAW when parsed) parses back to itself. */
  for (int i = 0; i <= 7; i++) {
    if (i == PARQ_CODEC_LZ4) continue;
    CHECK(parq_codec_parse(parq_codec_name((parq_codec)i), &c, &lv) == PARQ_OK && (int)c == i);
  }
}

TEST(test_encoding_names) {
  parq_encoding e;
  CHECK(parq_encoding_parse("plain", &e) == PARQ_OK && e == PARQ_ENC_PLAIN);
  CHECK(parq_encoding_parse("RLE", &e) == PARQ_OK && e == PARQ_ENC_RLE);
  CHECK(parq_encoding_parse("dictionary", &e) == PARQ_OK && e == PARQ_ENC_RLE_DICTIONARY);
  CHECK(parq_encoding_parse("Rle_Dictionary", &e) == PARQ_OK && e == PARQ_ENC_RLE_DICTIONARY);
  CHECK(parq_encoding_parse("delta-binary-packed", &e) == PARQ_OK &&
        e == PARQ_ENC_DELTA_BINARY_PACKED);
  CHECK(parq_encoding_parse("delta_length_byte_array", &e) == PARQ_OK &&
        e == PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY);
  CHECK(parq_encoding_parse("delta_byte_array", &e) == PARQ_OK && e == PARQ_ENC_DELTA_BYTE_ARRAY);
  CHECK(parq_encoding_parse("byte_stream_split", &e) == PARQ_OK &&
        e == PARQ_ENC_BYTE_STREAM_SPLIT);
  CHECK(parq_encoding_parse("plainx", &e) == PARQ_EINVAL);
  CHECK(parq_encoding_parse("", &e) == PARQ_EINVAL);
  CHECK(parq_encoding_parse(NULL, &e) == PARQ_EINVAL);
  CHECK(strcmp(parq_encoding_name(PARQ_ENC_DELTA_BYTE_ARRAY), "DELTA_BYTE_ARRAY") == 0);
  CHECK(strcmp(parq_encoding_name((parq_encoding)1), "UNKNOWN") == 0);
  static const parq_encoding all[] = {
      PARQ_ENC_DEFAULT, PARQ_ENC_PLAIN, PARQ_ENC_PLAIN_DICTIONARY, PARQ_ENC_RLE,
      PARQ_ENC_BIT_PACKED, PARQ_ENC_DELTA_BINARY_PACKED, PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY,
      PARQ_ENC_DELTA_BYTE_ARRAY, PARQ_ENC_RLE_DICTIONARY, PARQ_ENC_BYTE_STREAM_SPLIT};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    CHECK(parq_encoding_parse(parq_encoding_name(all[i]), &e) == PARQ_OK && e == all[i]);
}

int main(void) {
  RUN(test_round_trip_defaults);
  RUN(test_round_trip_levels);
  RUN(test_context_reuse);
  RUN(test_empty_pages);
  RUN(test_unsupported);
  RUN(test_corrupt_input);
  RUN(test_hostile_sizes);
  RUN(test_lz4_fallbacks);
  RUN(test_gzip_concatenated);
  RUN(test_zstd_no_content_size);
  RUN(test_crc32);
  RUN(test_codec_names);
  RUN(test_encoding_names);
  TEST_SUMMARY();
}
