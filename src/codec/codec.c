/* codec.c — pq_codec_ctx lifetime and the codec dispatch behind pq_compress / pq_decompress.
 *
 * The checks every codec shares live here (empty pages, NULL dst, bound
 * reservation, codec numbers) so the backends only speak their library. */
#include <stdlib.h>
#include <string.h>

#include "codec/codec_internal.h"
#include "util/error.h"

pq_codec_ctx *pq_codec_ctx_new(void) {
  /* Library contexts are created lazily by each backend on first use. */
  return calloc(1, sizeof(pq_codec_ctx));
}

void pq_codec_ctx_free(pq_codec_ctx *c) {
  if (!c) return;
  pq_zstd_state_free(c->zstd);
  pq_gzip_state_free(c->gzip);
  pq_lz4_state_free(c->lz4);
  free(c);
}

int pq_codec_supported(int codec) {
  switch (codec) {
    case PARQ_CODEC_UNCOMPRESSED:
    case PARQ_CODEC_SNAPPY:
    case PARQ_CODEC_GZIP:
    case PARQ_CODEC_BROTLI:
    case PARQ_CODEC_LZ4:
    case PARQ_CODEC_ZSTD:
    case PARQ_CODEC_LZ4_RAW:
      return 1;
    default:
      return 0;
  }
}

size_t pq_compress_bound(int codec, size_t n) {
  switch (codec) {
    case PARQ_CODEC_UNCOMPRESSED: return n;
    case PARQ_CODEC_SNAPPY: return pq_snappy_bound(n);
    case PARQ_CODEC_GZIP: return pq_gzip_bound(n);
    case PARQ_CODEC_BROTLI: return pq_brotli_bound(n);
    case PARQ_CODEC_LZ4: return pq_lz4_bound(1, n);
    case PARQ_CODEC_ZSTD: return pq_zstd_bound(n);
    case PARQ_CODEC_LZ4_RAW: return pq_lz4_bound(0, n);
    default: return 0;
  }
}

static parq_status unsupported(int codec, parq_error *err) {
  if (codec == PARQ_CODEC_LZO)
    return parq_err_set(err, PARQ_EUNSUPPORTED, "LZO codec is not supported");
  return parq_err_set(err, PARQ_EUNSUPPORTED, "unknown compression codec %d", codec);
}

parq_status pq_compress(pq_codec_ctx *c, int codec, int level, const uint8_t *src, size_t n,
                        parq_buf *out, parq_error *err) {
  if (!pq_codec_supported(codec)) return unsupported(codec, err);
  if (codec == PARQ_CODEC_UNCOMPRESSED) {
    if (parq_buf_append(out, src, n))
      return parq_err_set(err, PARQ_ENOMEM, "compress: cannot grow output by %zu bytes", n);
    return PARQ_OK;
  }
  size_t bound = pq_compress_bound(codec, n);
  PARQ_CHECK(bound != 0, err, PARQ_EINVAL, "%s: input of %zu bytes is too large to compress",
             parq_codec_name((parq_codec)codec), n);
  if (parq_buf_reserve(out, bound))
    return parq_err_set(err, PARQ_ENOMEM, "%s: cannot reserve %zu output bytes",
                        parq_codec_name((parq_codec)codec), bound);
  /* libraries read src even when n == 0 in some versions; give them a valid pointer. */
  static const uint8_t empty[1] = {0};
  if (!src) src = empty;
  uint8_t *dst = out->data + out->len;
  size_t cap = out->cap - out->len, got = 0;
  parq_status st;
  switch (codec) {
    case PARQ_CODEC_SNAPPY: st = pq_snappy_compress(src, n, dst, cap, &got, err); break;
    case PARQ_CODEC_GZIP: st = pq_gzip_compress(c, level, src, n, dst, cap, &got, err); break;
    case PARQ_CODEC_BROTLI: st = pq_brotli_compress(level, src, n, dst, cap, &got, err); break;
    case PARQ_CODEC_LZ4: st = pq_lz4_compress(1, src, n, dst, cap, &got, err); break;
    case PARQ_CODEC_LZ4_RAW: st = pq_lz4_compress(0, src, n, dst, cap, &got, err); break;
    case PARQ_CODEC_ZSTD: st = pq_zstd_compress(c, level, src, n, dst, cap, &got, err); break;
    default: return unsupported(codec, err);
  }
  if (st < 0) return st;
  out->len += got;
  return PARQ_OK;
}

parq_status pq_decompress(pq_codec_ctx *c, int codec, const uint8_t *src, size_t n,
                          uint8_t *dst, size_t dst_len, parq_error *err) {
  if (!pq_codec_supported(codec) && codec != PARQ_CODEC_LZO) return unsupported(codec, err);
  /* A page with an empty body is valid whatever the codec says. */
  if (n == 0 && dst_len == 0) return PARQ_OK;
  if (codec == PARQ_CODEC_LZO) return unsupported(codec, err);
  const char *name = parq_codec_name((parq_codec)codec);
  PARQ_CORRUPT_IF(n == 0, err, "%s: empty compressed data but page header says %zu bytes", name,
                  dst_len);
  /* Libraries may reject a NULL output pointer even with zero capacity. */
  uint8_t scratch[1];
  if (!dst) {
    PARQ_CHECK(dst_len == 0, err, PARQ_EINVAL, "%s: NULL output buffer of %zu bytes", name,
               dst_len);
    dst = scratch;
  }
  switch (codec) {
    case PARQ_CODEC_UNCOMPRESSED:
      PARQ_CORRUPT_IF(n != dst_len, err,
                      "UNCOMPRESSED: page body is %zu bytes but page header says %zu", n, dst_len);
      memcpy(dst, src, n);
      return PARQ_OK;
    case PARQ_CODEC_SNAPPY: return pq_snappy_decompress(src, n, dst, dst_len, err);
    case PARQ_CODEC_GZIP: return pq_gzip_decompress(c, src, n, dst, dst_len, err);
    case PARQ_CODEC_BROTLI: return pq_brotli_decompress(src, n, dst, dst_len, err);
    case PARQ_CODEC_LZ4: return pq_lz4_hadoop_decompress(c, src, n, dst, dst_len, err);
    case PARQ_CODEC_ZSTD: return pq_zstd_decompress(c, src, n, dst, dst_len, err);
    case PARQ_CODEC_LZ4_RAW: return pq_lz4_raw_decompress(src, n, dst, dst_len, err);
    default: return unsupported(codec, err);
  }
}
