/* bench_codec.c — throughput of every codec on 64 MiB of text-like data in 1 MiB pages.
 * Not a test: prints compress / decompress MB/s and the ratio per codec (and a few levels). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/codec.h"
#include "util/buf.h"
#include "util/crc32.h"

#define TOTAL ((size_t)64 << 20)
#define BLOCK ((size_t)1 << 20)
#define NBLOCKS (TOTAL / BLOCK)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Words, numbers and dates: compresses roughly like a string column. */
static void fill_text(uint8_t *p, size_t n) {
  static const char *const words[] = {"parquet", "column", "page", "row_group", "compression",
                                      "the",     "of",     "value", "null",     "dictionary",
                                      "alpha",   "beta",   "gamma", "delta",    "epsilon"};
  uint64_t s = 88172645463325252ull;
  size_t i = 0;
  while (i < n) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    char tmp[32];
    int len;
    if (s % 4 == 0)
      len = snprintf(tmp, sizeof tmp, "%u,", (unsigned)(s >> 40) % 100000u);
    else if (s % 9 == 1)
      len = snprintf(tmp, sizeof tmp, "2024-%02u-%02u\n", (unsigned)(s >> 20) % 12 + 1,
                     (unsigned)(s >> 30) % 28 + 1);
    else
      len = snprintf(tmp, sizeof tmp, "%s ", words[(s >> 33) % 15]);
    for (int k = 0; k < len && i < n; k++) p[i++] = (uint8_t)tmp[k];
  }
}

int main(void) {
  static const struct {
    int codec, level;
    const char *label;
  } cases[] = {
      {PARQ_CODEC_SNAPPY, 0, "snappy"},       {PARQ_CODEC_LZ4_RAW, 0, "lz4_raw"},
      {PARQ_CODEC_LZ4, 0, "lz4_hadoop"},      {PARQ_CODEC_ZSTD, 1, "zstd:1"},
      {PARQ_CODEC_ZSTD, 0, "zstd (3)"},       {PARQ_CODEC_ZSTD, 9, "zstd:9"},
      {PARQ_CODEC_GZIP, 1, "gzip:1"},         {PARQ_CODEC_GZIP, 0, "gzip (6)"},
      {PARQ_CODEC_BROTLI, 1, "brotli:1"},     {PARQ_CODEC_BROTLI, 0, "brotli (8)"},
  };
  uint8_t *src = malloc(TOTAL), *back = malloc(BLOCK);
  size_t *offs = malloc((NBLOCKS + 1) * sizeof *offs);
  pq_codec_ctx *c = pq_codec_ctx_new();
  if (!src || !back || !offs || !c) return 1;
  fill_text(src, TOTAL);

  double t0 = now();
  uint32_t crc = parq_crc32(0, src, TOTAL);
  printf("%-12s %10.0f MB/s (crc %08x)\n", "crc32", (double)TOTAL / 1e6 / (now() - t0),
         (unsigned)crc);
  printf("%-12s %10s %10s %8s\n", "codec", "comp MB/s", "decomp MB/s", "ratio");
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    parq_buf out = PARQ_BUF_INIT;
    parq_error err = {0};
    if (parq_buf_reserve(&out, pq_compress_bound(cases[k].codec, TOTAL))) return 1;
    t0 = now();
    for (size_t b = 0; b < NBLOCKS; b++) {
      offs[b] = out.len;
      if (pq_compress(c, cases[k].codec, cases[k].level, src + b * BLOCK, BLOCK, &out, &err)) {
        fprintf(stderr, "%s: %s\n", cases[k].label, err.message);
        return 1;
      }
    }
    offs[NBLOCKS] = out.len;
    double tc = now() - t0;
    t0 = now();
    for (size_t b = 0; b < NBLOCKS; b++) {
      if (pq_decompress(c, cases[k].codec, out.data + offs[b], offs[b + 1] - offs[b], back, BLOCK,
                        &err)) {
        fprintf(stderr, "%s: %s\n", cases[k].label, err.message);
        return 1;
      }
    }
    double td = now() - t0;
    if (memcmp(back, src + (NBLOCKS - 1) * BLOCK, BLOCK) != 0) {
      fprintf(stderr, "%s: round trip mismatch\n", cases[k].label);
      return 1;
    }
    printf("%-12s %10.0f %10.0f %8.2f\n", cases[k].label, (double)TOTAL / 1e6 / tc,
           (double)TOTAL / 1e6 / td, (double)TOTAL / (double)out.len);
    parq_buf_free(&out);
  }
  pq_codec_ctx_free(c);
  free(offs);
  free(back);
  free(src);
  return 0;
}
