/* column_writer.h — one leaf column's writer: buffers shredded values into
 * pages (levels + encoded values), compresses them, keeps page statistics and
 * page-index entries, and hands a finished column chunk to the file writer.
 *
 * Pages end only at record boundaries (repetition level 0), when the page's
 * estimated encoded size reaches page_bytes or page_rows rows, or when a
 * caller forces a cut with pq_column_writer_cut_page() (the hook for
 * content-defined chunking). */
#ifndef PARQ_COLUMN_WRITER_H
#define PARQ_COLUMN_WRITER_H
#include <stdbool.h>
#include <stdint.h>

#include "column/shred.h"
#include "column/stats.h"
#include "format/metadata.h"
#include "util/arena.h"
#include "util/buf.h"

typedef struct pq_col_config {
  const char *path;          /* dotted leaf path (for messages) */
  const char *const *path_parts; int n_path;  /* path_in_schema */
  const pq_schema_element *elem;
  int16_t max_def, max_rep;
  int codec, level;
  int encoding;              /* value encoding of non-dictionary pages (resolved, not DEFAULT) */
  bool dictionary;           /* try RLE_DICTIONARY first */
  bool statistics;
  int page_version;          /* 1 or 2 */
  int64_t page_bytes, page_rows, dict_page_bytes, stats_truncate;
  bool write_crc;
} pq_col_config;

typedef struct pq_column_writer pq_column_writer;

/* Check that `encoding` suits the leaf's physical type (PARQ_EINVAL naming the column). */
parq_status pq_column_check_encoding(const pq_col_config *c, parq_error *err);

parq_status pq_column_writer_new(const pq_col_config *c, pq_column_writer **out, parq_error *err);
void pq_column_writer_free(pq_column_writer *w);

/* Append one shredded batch. */
parq_status pq_column_writer_write(pq_column_writer *w, const pq_leaf_batch *b, parq_error *err);
/* Close the current page now (no-op when empty). Callers must call it only
 * between records; CDC uses it to force a page boundary before a value. */
parq_status pq_column_writer_cut_page(pq_column_writer *w, parq_error *err);
/* Bytes buffered for the current chunk (pages so far + estimate of the open page). */
int64_t pq_column_writer_buffered(const pq_column_writer *w);

/* Finish the chunk (flush the open page, build the dictionary page). Then the
 * chunk is: pq_column_writer_chunk_parts() bytes written in order at file
 * offset `file_offset`, described by pq_column_writer_chunk_meta(). */
parq_status pq_column_writer_finish_chunk(pq_column_writer *w, parq_error *err);
void pq_column_writer_chunk_parts(const pq_column_writer *w, const uint8_t **p1, size_t *n1,
                                  const uint8_t **p2, size_t *n2);
/* Fill the ColumnChunk (arena-allocated parts) for a chunk stored at
 * file_offset, and append its encoded ColumnIndex / OffsetIndex to ci / oi
 * (ci untouched when no page has statistics). *has_ci says whether a column
 * index was written. Then resets the writer for the next row group. */
parq_status pq_column_writer_chunk_meta(pq_column_writer *w, int64_t file_offset, parq_arena *a,
                                        pq_column_chunk *out, parq_buf *ci, bool *has_ci,
                                        parq_buf *oi, parq_error *err);

#endif
