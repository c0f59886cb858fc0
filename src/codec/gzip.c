/* gzip.c — GZIP pages: compress with libdeflate (much faster than zlib at equal ratio).
 * Decompress member by member with libdeflate (about 2x zlib's speed), and fall back to
 * zlib inflate when that does not succeed exactly: zlib is the reference that handles
 * CONCATENATED gzip members, zlib-wrapped streams some writers emit, and that words
 * the error messages. */
#include <libdeflate.h>
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "codec/codec_internal.h"
#include "util/error.h"

#define GZIP_MAX_LEVEL 12 /* libdeflate's range is 1..12 */

struct pq_gzip_state {
  struct libdeflate_compressor *comp[GZIP_MAX_LEVEL + 1]; /* one per level, made on demand */
  struct libdeflate_decompressor *dec;
  z_stream zs;
  int zs_ready; /* inflateInit2 done */
};

void pq_gzip_state_free(pq_gzip_state *s) {
  if (!s) return;
  for (int i = 0; i <= GZIP_MAX_LEVEL; i++) libdeflate_free_compressor(s->comp[i]);
  libdeflate_free_decompressor(s->dec);
  if (s->zs_ready) inflateEnd(&s->zs);
  free(s);
}

static pq_gzip_state *state(pq_codec_ctx *c) {
  if (!c->gzip) c->gzip = calloc(1, sizeof(pq_gzip_state));
  return c->gzip;
}

size_t pq_gzip_bound(size_t n) {
  size_t b = libdeflate_gzip_compress_bound(NULL, n);
  return b < n ? 0 : b; /* wrapped around */
}

parq_status pq_gzip_compress(pq_codec_ctx *c, int level, const uint8_t *src, size_t n,
                             uint8_t *dst, size_t cap, size_t *out_len, parq_error *err) {
  if (level == 0) level = PQ_GZIP_DEFAULT_LEVEL;
  PARQ_CHECK(level >= 1 && level <= GZIP_MAX_LEVEL, err, PARQ_EINVAL,
             "gzip: compression level %d out of range 1..%d", level, GZIP_MAX_LEVEL);
  pq_gzip_state *s = state(c);
  PARQ_CHECK(s, err, PARQ_ENOMEM, "gzip: out of memory for codec state");
  if (!s->comp[level]) {
    s->comp[level] = libdeflate_alloc_compressor(level);
    PARQ_CHECK(s->comp[level], err, PARQ_ENOMEM, "gzip: cannot create level %d compressor",
               level);
  }
  size_t got = libdeflate_gzip_compress(s->comp[level], src, n, dst, cap);
  PARQ_CHECK(got != 0, err, PARQ_EINTERNAL, "gzip: output of %zu bytes did not fit %zu", n, cap);
  *out_len = got;
  return PARQ_OK;
}

/* Fast path: one or more gzip members decoded by libdeflate. Returns 1 only if the members
 * use up all of src and fill exactly dst_len bytes; anything else goes to zlib. */
static int fast_inflate(pq_gzip_state *s, const uint8_t *src, size_t n, uint8_t *dst,
                        size_t dst_len) {
  if (!s->dec && !(s->dec = libdeflate_alloc_decompressor())) return 0;
  size_t in = 0, out = 0;
  while (in < n) {
    if (n - in < 18 || src[in] != 0x1f || src[in + 1] != 0x8b) return 0;
    size_t used = 0, got = 0;
    enum libdeflate_result r = libdeflate_gzip_decompress_ex(s->dec, src + in, n - in, dst + out,
                                                             dst_len - out, &used, &got);
    if (r != LIBDEFLATE_SUCCESS || used == 0) return 0;
    in += used;
    out += got;
  }
  return out == dst_len;
}

parq_status pq_gzip_decompress(pq_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                               size_t dst_len, parq_error *err) {
  pq_gzip_state *s = state(c);
  PARQ_CHECK(s, err, PARQ_ENOMEM, "gzip: out of memory for codec state");
  if (fast_inflate(s, src, n, dst, dst_len)) return PARQ_OK;
  z_stream *zs = &s->zs;
  if (!s->zs_ready) {
    /* 15 + 32: any window size, auto-detect gzip or zlib header (both seen in the wild). */
    int r = inflateInit2(zs, 15 + 32);
    PARQ_CHECK(r == Z_OK, err, PARQ_ENOMEM, "gzip: inflateInit2 failed (%d)", r);
    s->zs_ready = 1;
  } else if (inflateReset(zs) != Z_OK) {
    return parq_err_set(err, PARQ_EINTERNAL, "gzip: inflateReset failed");
  }
  /* zlib counts in uInt, so feed sizes above 4 GiB in slices. */
  size_t in_left = n, out_left = dst_len;
  zs->next_in = (Bytef *)src;
  zs->next_out = dst;
  zs->avail_in = 0;
  zs->avail_out = 0;
  for (;;) {
    if (zs->avail_in == 0 && in_left) {
      zs->avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
      in_left -= zs->avail_in;
    }
    if (zs->avail_out == 0 && out_left) {
      zs->avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
      out_left -= zs->avail_out;
    }
    int r = inflate(zs, Z_NO_FLUSH);
    if (r == Z_STREAM_END) {
      /* End of one member: another may follow (concatenated gzip). */
      if (zs->avail_in == 0 && in_left == 0) break;
      if (inflateReset(zs) != Z_OK)
        return parq_err_set(err, PARQ_EINTERNAL, "gzip: inflateReset failed");
      continue;
    }
    if (r == Z_OK) continue;
    if (r == Z_BUF_ERROR) {
      /* No progress possible: either output is full or input ran out mid-stream. */
      if (zs->avail_out == 0 && out_left == 0)
        return parq_err_set(err, PARQ_ECORRUPT,
                            "gzip: data inflates to more than the page header's %zu bytes",
                            dst_len);
      return parq_err_set(err, PARQ_ECORRUPT, "gzip: truncated stream at byte %zu of %zu",
                          n - in_left - zs->avail_in, n);
    }
    if (r == Z_MEM_ERROR) return parq_err_set(err, PARQ_ENOMEM, "gzip: out of memory");
    return parq_err_set(err, PARQ_ECORRUPT, "gzip: %s at byte %zu",
                        zs->msg ? zs->msg : "corrupt data", n - in_left - zs->avail_in);
  }
  size_t got = dst_len - out_left - zs->avail_out;
  PARQ_CORRUPT_IF(got != dst_len, err, "gzip: uncompressed length %zu != page header %zu", got,
                  dst_len);
  return PARQ_OK;
}
