/* column_reader.h — reads one column chunk: pages -> decompressed bodies ->
 * levels + dense values, handed out in whole records.
 *
 * A pq_column_cursor walks the pages of one leaf column chunk held in memory.
 * Values are decoded into a "pending" pq_leaf_batch; pq_cursor_take() moves
 * out exactly n complete records (zero-copy when it takes everything pending).
 * Conversion to Arrow layout happens in assemble.c.
 *
 * Byte-array offsets are int32 (Arrow utf8/binary) unless the cursor is
 * `wide`: then they are int64 (large_utf8/large_binary), so pending data and
 * batches may exceed 2 GiB. The file reader decides per column at open time,
 * from metadata, so the Arrow schema is known before any page is read. */
#ifndef PARQ_COLUMN_READER_H
#define PARQ_COLUMN_READER_H
#include <stdbool.h>
#include <stdint.h>

#include "codec/codec.h"
#include "file/schema.h"
#include "format/metadata.h"
#include "util/blob.h"
#include "util/buf.h"

/* Dense decoded data of one leaf for some number of whole records. */
typedef struct pq_leaf_batch {
  parq_buf def, rep;     /* uint16 levels; empty when the max level is 0 */
  int64_t n_levels;      /* level entries (== n_values when max_def == max_rep == 0) */
  parq_buf values;       /* fixed width: n_values * width bytes (BOOLEAN: 1 byte each) */
  parq_buf offsets;      /* byte arrays: end offsets, n_values entries (int64 if wide, else int32) */
  parq_buf data;         /* byte array bytes */
  int64_t n_values;      /* non-null (dense) values */
  int64_t n_records;
  bool wide;             /* offsets are int64 */
  /* views: byte arrays are 16-byte Arrow views in `values` (offsets and data
   * unused) pointing into the pq_blob* listed in `blobs` (one reference
   * each; a view's buffer index is its blob's position in that list). */
  bool views;
  parq_buf blobs;
} pq_leaf_batch;

void pq_leaf_batch_free(pq_leaf_batch *b);
void pq_leaf_batch_reset(pq_leaf_batch *b);

typedef struct pq_column_cursor {
  const pq_leaf *leaf;
  const pq_column_metadata *meta;
  const uint8_t *chunk;  /* the column chunk's bytes */
  size_t chunk_len;
  int64_t chunk_offset;  /* file offset of chunk[0], for messages */
  pq_codec_ctx *codec;   /* borrowed */
  bool verify_crc;
  int64_t max_alloc;     /* refuse pages larger than this */
  char ctx[600];         /* "file: row group N, column "x"" for messages */

  size_t pos;            /* next page header within chunk */
  int64_t levels_seen;   /* level entries decoded so far */
  bool started, finished;

  /* dictionary */
  bool has_dict;
  int64_t dict_n;
  parq_buf dict_values, dict_offsets, dict_data;
  pq_blob *dict_blob;    /* views: the decompressed dictionary page */
  pq_blob *page_blob;    /* views: the page being decoded (one reference) */

  /* scratch */
  parq_buf page;         /* decompressed page body */
  parq_buf idx;          /* uint32 dictionary indices */
  parq_buf tmp_off;      /* scratch offsets */

  int64_t rows_done;     /* records taken or skipped so far */
  const pq_offset_index *oi; /* optional: lets skip() jump over whole pages */

  pq_leaf_batch pending; /* decoded but not yet taken */
  int64_t pending_starts;   /* positions with rep level 0 in pending (record starts) */
  int width;             /* fixed value width in bytes (0 = byte array) */
  bool wide;             /* byte arrays: int64 offsets (set with pq_cursor_set_wide) */
  bool views;            /* byte arrays: Arrow views (set with pq_cursor_set_views) */
} pq_column_cursor;

/* Initialise over a chunk (which must outlive the cursor). */
parq_status pq_cursor_init(pq_column_cursor *c, const pq_leaf *leaf, const pq_column_metadata *meta,
                           const uint8_t *chunk, size_t chunk_len, int64_t chunk_offset,
                           pq_codec_ctx *codec, bool verify_crc, const char *ctx,
                           parq_error *err);
void pq_cursor_free(pq_column_cursor *c);
/* Use int64 byte-array offsets (no 2 GiB limit per batch). Call before the
 * first take or skip; ignored for non-BYTE_ARRAY leaves. */
void pq_cursor_set_wide(pq_column_cursor *c, bool wide);
/* Decode byte arrays as Arrow string views into the decompressed pages
 * (zero-copy; see pq_leaf_batch.views). Same rules as pq_cursor_set_wide. */
void pq_cursor_set_views(pq_column_cursor *c, bool views);

/* Move exactly n records (fewer only if the chunk ends) into *out (which is
 * reset first). *got receives the number of records. */
parq_status pq_cursor_take(pq_column_cursor *c, int64_t n, pq_leaf_batch *out, int64_t *got,
                           parq_error *err);
/* Skip n records (used by seek and page-index pruning). With an offset index
 * set, whole pages inside the skipped span are never read or decompressed. */
parq_status pq_cursor_skip(pq_column_cursor *c, int64_t n, parq_error *err);

/* Physical value width used in pq_leaf_batch.values for a leaf (0 for BYTE_ARRAY). */
int pq_leaf_value_width(const pq_leaf *leaf);
#endif
