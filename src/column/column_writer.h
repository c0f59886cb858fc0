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
  /* Content-defined page boundaries (cdc.h); cdc_params validated by the caller. */
  bool cdc;
  int64_t cdc_min, cdc_max;
  int cdc_norm;
} pq_col_config;

typedef struct pq_column_writer pq_column_writer;
struct pq_wpool;
struct pq_page_task;
struct pq_wpage;

/* Check that `encoding` suits the leaf's physical type (PARQ_EINVAL naming the column). */
parq_status pq_column_check_encoding(const pq_col_config *c, parq_error *err);

parq_status pq_column_writer_new(const pq_col_config *c, pq_column_writer **out, parq_error *err);
void pq_column_writer_free(pq_column_writer *w);

/* Append one shredded batch. */
parq_status pq_column_writer_write(pq_column_writer *w, const pq_leaf_batch *b, parq_error *err);
/* Close the current page now (no-op when empty). Callers must call it only
 * between records; CDC uses it to force a page boundary before a value. */
parq_status pq_column_writer_cut_page(pq_column_writer *w, parq_error *err);
/* Bytes of the current chunk: uncompressed encoded page bodies so far, the
 * dictionary's PLAIN size and an estimate of the open page. Deliberately not
 * compressed sizes, so row-group cuts do not depend on compression (which may
 * still be running in the background). */
int64_t pq_column_writer_buffered(const pq_column_writer *w);
/* Compress pages on this pool from now on (NULL: inline, the default). */
void pq_column_writer_set_pool(pq_column_writer *w, struct pq_wpool *pool);

/* A finished column chunk detached from its writer: its pages (possibly still
 * being compressed on the pool) and what placing it in the file needs. */
typedef struct pq_wchunk {
  struct pq_page_task *dict;     /* dictionary page or NULL */
  struct pq_page_task **pages;   /* data pages in order */
  struct pq_wpage *pinfo;        /* per data page: first row (offset index) */
  size_t n_pages;
  parq_arena arena;              /* page statistics the page headers point into */
  int64_t raw_bytes;             /* uncompressed bodies (estimate until placed) */
} pq_wchunk;

/* Finish the chunk (flush the open page, build the dictionary page). */
parq_status pq_column_writer_finish_chunk(pq_column_writer *w, parq_error *err);
/* Fill what of the ColumnChunk does not depend on compression (arena-allocated
 * parts), append its encoded ColumnIndex to ci (untouched when no page has
 * statistics; *has_ci says whether one was written), move the pages into *ch
 * and reset the writer for the next row group. */
parq_status pq_column_writer_detach(pq_column_writer *w, parq_arena *a, pq_column_chunk *out,
                                    bool *has_ci, parq_buf *ci, pq_wchunk *ch, parq_error *err);
/* Once every page of ch is done (pq_wpool_wait, or inline): check the pages'
 * results, complete `out` for a chunk stored at file_offset (offsets, sizes)
 * and append its encoded OffsetIndex to oi. The chunk's bytes are then the
 * `out` buffers of ch->dict and ch->pages[] in order. */
parq_status pq_wchunk_place(const pq_wchunk *ch, int64_t file_offset, pq_column_chunk *out,
                            parq_buf *oi, parq_error *err);
void pq_wchunk_free(pq_wchunk *ch);

#endif
