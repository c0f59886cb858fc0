/* lz4.c — LZ4_RAW (a bare LZ4 block) and the deprecated LZ4 codec.
 *
 * Parquet's LZ4 (codec 5) was never pinned down, so files in the wild hold one of:
 *  1. Hadoop framing: repeated [u32 BE uncompressed len][u32 BE compressed len][LZ4 block]
 *     (parquet-mr via Hadoop's Lz4Codec, newer Arrow);
 *  2. a bare LZ4 block (older Arrow C++);
 *  3. the LZ4 frame format (some other writers).
 * Decoding tries them in that order, accepting a form only if it parses exactly and yields
 * exactly the page header's size, like Arrow's Lz4HadoopCodec does for 1 and 2. We write
 * Hadoop framing, which every reader understands. */
#include <limits.h>
#include <lz4.h>
#include <lz4frame.h>
#include <stdlib.h>

#include "codec/codec_internal.h"
#include "util/error.h"

#define HADOOP_PREFIX 8

struct pq_lz4_state {
  LZ4F_dctx *fdctx; /* only needed for the frame-format fallback */
};

void pq_lz4_state_free(pq_lz4_state *s) {
  if (!s) return;
  if (s->fdctx) LZ4F_freeDecompressionContext(s->fdctx);
  free(s);
}

size_t pq_lz4_bound(int hadoop, size_t n) {
  if (n > LZ4_MAX_INPUT_SIZE) return 0;
  return (size_t)LZ4_compressBound((int)n) + (hadoop ? HADOOP_PREFIX : 0);
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

parq_status pq_lz4_compress(int hadoop, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                            size_t *out_len, parq_error *err) {
  const char *name = hadoop ? "LZ4" : "LZ4_RAW";
  size_t pre = hadoop ? HADOOP_PREFIX : 0;
  PARQ_CHECK(n <= LZ4_MAX_INPUT_SIZE, err, PARQ_EINVAL, "%s: input of %zu bytes exceeds %d",
             name, n, LZ4_MAX_INPUT_SIZE);
  PARQ_CHECK(cap >= pre, err, PARQ_EINTERNAL, "%s: output buffer too small", name);
  size_t room = cap - pre;
  if (room > INT_MAX) room = INT_MAX;
  int got = LZ4_compress_default((const char *)src, (char *)dst + pre, (int)n, (int)room);
  PARQ_CHECK(got > 0, err, PARQ_EINTERNAL, "%s: compressing %zu bytes failed", name, n);
  if (hadoop) {
    put_be32(dst, (uint32_t)n);
    put_be32(dst + 4, (uint32_t)got);
  }
  *out_len = pre + (size_t)got;
  return PARQ_OK;
}

/* Decode one bare block of exactly n bytes into exactly dst_len bytes. */
static int raw_block_ok(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len) {
  if (n > INT_MAX || dst_len > INT_MAX) return 0;
  int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
  return r >= 0 && (size_t)r == dst_len;
}

parq_status pq_lz4_raw_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                                  parq_error *err) {
  PARQ_CHECK(n <= INT_MAX && dst_len <= INT_MAX, err, PARQ_EUNSUPPORTED,
             "LZ4_RAW: page of %zu -> %zu bytes exceeds the 2 GiB block limit", n, dst_len);
  /* LZ4_decompress_safe never writes past dst_len, whatever the block claims. */
  int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
  PARQ_CORRUPT_IF(r < 0, err, "LZ4_RAW: corrupted block or larger than page header's %zu bytes",
                  dst_len);
  PARQ_CORRUPT_IF((size_t)r != dst_len, err, "LZ4_RAW: uncompressed length %d != page header %zu",
                  r, dst_len);
  return PARQ_OK;
}

/* Form 1: every frame must fit the remaining input and output and inflate to exactly its
 * declared size, and the frames must use up the input and fill dst_len exactly. */
static int try_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len) {
  size_t out = 0;
  if (n < HADOOP_PREFIX) return 0;
  while (n >= HADOOP_PREFIX) {
    size_t ulen = get_be32(src), clen = get_be32(src + 4);
    src += HADOOP_PREFIX;
    n -= HADOOP_PREFIX;
    if (clen > n || ulen > dst_len - out) return 0;
    if (!raw_block_ok(src, clen, dst + out, ulen)) return 0;
    src += clen;
    n -= clen;
    out += ulen;
  }
  return n == 0 && out == dst_len;
}

/* Form 3: one or more LZ4 frames; output must come out exactly dst_len. */
static int try_frame(pq_lz4_state *s, const uint8_t *src, size_t n, uint8_t *dst,
                     size_t dst_len) {
  if (!s->fdctx) {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&s->fdctx, LZ4F_VERSION))) {
      s->fdctx = NULL;
      return -1;
    }
  } else {
    LZ4F_resetDecompressionContext(s->fdctx);
  }
  size_t in = 0, out = 0;
  for (;;) {
    size_t ssz = n - in, dsz = dst_len - out;
    size_t r = LZ4F_decompress(s->fdctx, dst + out, &dsz, src + in, &ssz, NULL);
    if (LZ4F_isError(r)) return 0;
    in += ssz;
    out += dsz;
    if (r == 0 && in == n) break; /* frame ended exactly at the end of input */
    if (ssz == 0 && dsz == 0) return 0; /* truncated, or more output than dst_len */
  }
  return out == dst_len;
}

parq_status pq_lz4_hadoop_decompress(pq_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                                     size_t dst_len, parq_error *err) {
  if (try_hadoop(src, n, dst, dst_len)) return PARQ_OK;
  if (raw_block_ok(src, n, dst, dst_len)) return PARQ_OK;
  if (!c->lz4) {
    c->lz4 = calloc(1, sizeof(pq_lz4_state));
    PARQ_CHECK(c->lz4, err, PARQ_ENOMEM, "LZ4: out of memory for codec state");
  }
  int r = try_frame(c->lz4, src, n, dst, dst_len);
  PARQ_CHECK(r >= 0, err, PARQ_ENOMEM, "LZ4: cannot create frame decompression context");
  if (r) return PARQ_OK;
  return parq_err_set(err, PARQ_ECORRUPT,
                      "LZ4: %zu bytes are neither Hadoop-framed LZ4, a raw LZ4 block nor an LZ4 "
                      "frame yielding the page header's %zu bytes",
                      n, dst_len);
}
