/* zstd.c — ZSTD page compression with a reusable CCtx / DCtx per pq_codec_ctx. */
#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec/codec_internal.h"
#include "util/error.h"

struct pq_zstd_state {
  ZSTD_CCtx *cctx;
  ZSTD_DCtx *dctx;
  int level; /* level currently set on cctx; 0 = not set yet */
};

void pq_zstd_state_free(pq_zstd_state *s) {
  if (!s) return;
  ZSTD_freeCCtx(s->cctx);
  ZSTD_freeDCtx(s->dctx);
  free(s);
}

static pq_zstd_state *state(pq_codec_ctx *c) {
  if (!c->zstd) c->zstd = calloc(1, sizeof(pq_zstd_state));
  return c->zstd;
}

size_t pq_zstd_bound(size_t n) {
  size_t b = ZSTD_compressBound(n);
  return ZSTD_isError(b) ? 0 : b;
}

parq_status pq_zstd_compress(pq_codec_ctx *c, int level, const uint8_t *src, size_t n,
                             uint8_t *dst, size_t cap, size_t *out_len, parq_error *err) {
  if (level == 0) level = PQ_ZSTD_DEFAULT_LEVEL;
  PARQ_CHECK(level >= ZSTD_minCLevel() && level <= ZSTD_maxCLevel(), err, PARQ_EINVAL,
             "zstd: compression level %d out of range %d..%d", level, ZSTD_minCLevel(),
             ZSTD_maxCLevel());
  pq_zstd_state *s = state(c);
  PARQ_CHECK(s, err, PARQ_ENOMEM, "zstd: out of memory for codec state");
  if (!s->cctx) {
    s->cctx = ZSTD_createCCtx();
    PARQ_CHECK(s->cctx, err, PARQ_ENOMEM, "zstd: cannot create compression context");
    s->level = 0;
  }
  if (s->level != level) {
    size_t r = ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, level);
    if (ZSTD_isError(r))
      return parq_err_set(err, PARQ_EINVAL, "zstd: level %d: %s", level, ZSTD_getErrorName(r));
    s->level = level;
  }
  /* ZSTD_compress2 starts a fresh frame each call and keeps the parameters. */
  size_t r = ZSTD_compress2(s->cctx, dst, cap, src, n);
  if (ZSTD_isError(r)) {
    /* Leave the context clean for the next page after a failure. */
    ZSTD_CCtx_reset(s->cctx, ZSTD_reset_session_only);
    return parq_err_set(err, PARQ_EINTERNAL, "zstd: compressing %zu bytes: %s", n,
                        ZSTD_getErrorName(r));
  }
  *out_len = r;
  return PARQ_OK;
}

parq_status pq_zstd_decompress(pq_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                               size_t dst_len, parq_error *err) {
  pq_zstd_state *s = state(c);
  PARQ_CHECK(s, err, PARQ_ENOMEM, "zstd: out of memory for codec state");
  if (!s->dctx) {
    s->dctx = ZSTD_createDCtx();
    PARQ_CHECK(s->dctx, err, PARQ_ENOMEM, "zstd: cannot create decompression context");
  }
  /* ZSTD_decompressDCtx decodes every frame in src (including frames without a
   * content-size field) straight into dst and fails rather than overrun it, so
   * a hostile frame header cannot make us allocate. */
  size_t r = ZSTD_decompressDCtx(s->dctx, dst, dst_len, src, n);
  if (ZSTD_isError(r)) {
    if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
      return parq_err_set(err, PARQ_ECORRUPT,
                          "zstd: data inflates to more than the page header's %zu bytes",
                          dst_len);
    return parq_err_set(err, PARQ_ECORRUPT, "zstd: %s (%zu compressed bytes)",
                        ZSTD_getErrorName(r), n);
  }
  PARQ_CORRUPT_IF(r != dst_len, err, "zstd: uncompressed length %zu != page header %zu", r,
                  dst_len);
  return PARQ_OK;
}
