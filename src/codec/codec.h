/* codec.h — page compression behind one interface, one file per library.
 *
 * A pq_codec_ctx holds reusable library contexts (ZSTD_CCtx/DCtx, zlib
 * streams, brotli state) so a column writer or reader can compress many pages
 * without re-allocating. One context per thread; not shareable. */
#ifndef PARQ_CODEC_H
#define PARQ_CODEC_H
#include <stddef.h>
#include <stdint.h>

#include "parq.h"
#include "util/buf.h"

typedef struct pq_codec_ctx pq_codec_ctx;

pq_codec_ctx *pq_codec_ctx_new(void);
void pq_codec_ctx_free(pq_codec_ctx *c);

/* True if parq can decompress / compress this codec. */
int pq_codec_supported(int codec);

/* Compress src and APPEND the result to out. level 0 = the codec's default.
 * codec is a parq_codec. PARQ_CODEC_LZ4 writes Hadoop-framed LZ4. */
parq_status pq_compress(pq_codec_ctx *c, int codec, int level, const uint8_t *src, size_t n,
                        parq_buf *out, parq_error *err);

/* Decompress src into dst, which must come out exactly dst_len bytes (the
 * page header's uncompressed size); anything else is PARQ_ECORRUPT. GZIP
 * accepts concatenated members; LZ4 tries Hadoop framing, then a raw block. */
parq_status pq_decompress(pq_codec_ctx *c, int codec, const uint8_t *src, size_t n,
                          uint8_t *dst, size_t dst_len, parq_error *err);

/* Upper bound of compressed size for n input bytes. */
size_t pq_compress_bound(int codec, size_t n);

#endif
