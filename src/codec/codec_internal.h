/* codec_internal.h — private glue between codec.c (dispatch) and the one-file-per-library
 * backends (zstd.c, snappy.c, gzip.c, lz4.c, brotli.c).
 *
 * Each backend keeps its reusable library state behind an opaque pointer in
 * pq_codec_ctx, created on first use so a reader that only sees SNAPPY pages never
 * pays for a ZSTD context. Compress functions write into a caller-sized buffer
 * (cap >= the backend's bound) and report the byte count; decompress functions
 * must fill dst with exactly dst_len bytes or return PARQ_ECORRUPT. codec.c has
 * already handled the empty-input/empty-output case and dst == NULL. */
#ifndef PARQ_CODEC_INTERNAL_H
#define PARQ_CODEC_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"

typedef struct pq_zstd_state pq_zstd_state;
typedef struct pq_gzip_state pq_gzip_state;
typedef struct pq_lz4_state pq_lz4_state;

struct pq_codec_ctx {
  pq_zstd_state *zstd;
  pq_gzip_state *gzip;
  pq_lz4_state *lz4;
};

/* Default levels used when the caller passes level 0. */
#define PQ_ZSTD_DEFAULT_LEVEL 3
#define PQ_GZIP_DEFAULT_LEVEL 6
/* Arrow's default: quality 11 is far too slow for page data, 8 is its chosen trade-off. */
#define PQ_BROTLI_DEFAULT_LEVEL 8

void pq_zstd_state_free(pq_zstd_state *s);
size_t pq_zstd_bound(size_t n);
parq_status pq_zstd_compress(pq_codec_ctx *c, int level, const uint8_t *src, size_t n,
                             uint8_t *dst, size_t cap, size_t *out_len, parq_error *err);
parq_status pq_zstd_decompress(pq_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                               size_t dst_len, parq_error *err);

size_t pq_snappy_bound(size_t n);
parq_status pq_snappy_compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                               size_t *out_len, parq_error *err);
parq_status pq_snappy_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                                 parq_error *err);

void pq_gzip_state_free(pq_gzip_state *s);
size_t pq_gzip_bound(size_t n);
parq_status pq_gzip_compress(pq_codec_ctx *c, int level, const uint8_t *src, size_t n,
                             uint8_t *dst, size_t cap, size_t *out_len, parq_error *err);
parq_status pq_gzip_decompress(pq_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                               size_t dst_len, parq_error *err);

size_t pq_brotli_bound(size_t n);
parq_status pq_brotli_compress(int level, const uint8_t *src, size_t n, uint8_t *dst,
                               size_t cap, size_t *out_len, parq_error *err);
parq_status pq_brotli_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                                 parq_error *err);

/* hadoop != 0 selects PARQ_CODEC_LZ4 (Hadoop framing); 0 is LZ4_RAW (a bare block). */
void pq_lz4_state_free(pq_lz4_state *s);
size_t pq_lz4_bound(int hadoop, size_t n);
parq_status pq_lz4_compress(int hadoop, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                            size_t *out_len, parq_error *err);
parq_status pq_lz4_raw_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                                  parq_error *err);
parq_status pq_lz4_hadoop_decompress(pq_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                                     size_t dst_len, parq_error *err);

#endif
