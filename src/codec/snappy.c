/* snappy.c — Snappy page compression through the C binding <snappy-c.h>. */
#include <snappy-c.h>

#include "codec/codec_internal.h"
#include "util/error.h"

size_t pq_snappy_bound(size_t n) {
  /* snappy's bound is n + n/6 + 32; guard the overflow it does not. */
  if (n > (SIZE_MAX - 32) / 7 * 6) return 0;
  return snappy_max_compressed_length(n);
}

parq_status pq_snappy_compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                               size_t *out_len, parq_error *err) {
  /* Snappy's varint header holds a uint32 length. */
  PARQ_CHECK(n <= UINT32_MAX, err, PARQ_EINVAL, "snappy: input of %zu bytes exceeds 4 GiB", n);
  size_t got = cap;
  snappy_status st = snappy_compress((const char *)src, n, (char *)dst, &got);
  if (st != SNAPPY_OK)
    return parq_err_set(err, PARQ_EINTERNAL, "snappy: compressing %zu bytes failed (%d)", n,
                        (int)st);
  *out_len = got;
  return PARQ_OK;
}

parq_status pq_snappy_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                                 parq_error *err) {
  /* Check the declared length first: it is only a varint, so a hostile block can claim
   * anything, and we only ever write into the caller's dst_len bytes. */
  size_t claimed = 0;
  if (snappy_uncompressed_length((const char *)src, n, &claimed) != SNAPPY_OK)
    return parq_err_set(err, PARQ_ECORRUPT, "snappy: bad length header (%zu compressed bytes)",
                        n);
  PARQ_CORRUPT_IF(claimed != dst_len, err, "snappy: uncompressed length %zu != page header %zu",
                  claimed, dst_len);
  size_t got = dst_len;
  if (snappy_uncompress((const char *)src, n, (char *)dst, &got) != SNAPPY_OK)
    return parq_err_set(err, PARQ_ECORRUPT, "snappy: corrupted block (%zu compressed bytes)", n);
  PARQ_CORRUPT_IF(got != dst_len, err, "snappy: uncompressed length %zu != page header %zu", got,
                  dst_len);
  return PARQ_OK;
}
