/* brotli.c — BROTLI pages via the one-shot encoder/decoder API.
 * Default quality is 8, as in Arrow's Parquet writer (11 is very slow). */
#include <brotli/decode.h>
#include <brotli/encode.h>

#include "codec/codec_internal.h"
#include "util/error.h"

size_t pq_brotli_bound(size_t n) { return BrotliEncoderMaxCompressedSize(n); }

parq_status pq_brotli_compress(int level, const uint8_t *src, size_t n, uint8_t *dst,
                               size_t cap, size_t *out_len, parq_error *err) {
  if (level == 0) level = PQ_BROTLI_DEFAULT_LEVEL;
  PARQ_CHECK(level >= BROTLI_MIN_QUALITY && level <= BROTLI_MAX_QUALITY, err, PARQ_EINVAL,
             "brotli: compression level %d out of range %d..%d", level, BROTLI_MIN_QUALITY,
             BROTLI_MAX_QUALITY);
  size_t got = cap;
  if (!BrotliEncoderCompress(level, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n, src, &got,
                             dst))
    return parq_err_set(err, PARQ_EINTERNAL, "brotli: compressing %zu bytes failed", n);
  *out_len = got;
  return PARQ_OK;
}

parq_status pq_brotli_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                                 parq_error *err) {
  /* The one-shot decoder fails (rather than allocating) when output would exceed dst_len. */
  size_t got = dst_len;
  BrotliDecoderResult r = BrotliDecoderDecompress(n, src, &got, dst);
  PARQ_CORRUPT_IF(r != BROTLI_DECODER_RESULT_SUCCESS, err,
                  "brotli: corrupted stream or larger than page header's %zu bytes "
                  "(%zu compressed bytes)",
                  dst_len, n);
  PARQ_CORRUPT_IF(got != dst_len, err, "brotli: uncompressed length %zu != page header %zu", got,
                  dst_len);
  return PARQ_OK;
}
