/* file_reader_internal.h — the reader handle, shared by file_reader.c,
 * describe.c and prune.c (not part of the public API). */
#ifndef PARQ_FILE_READER_INTERNAL_H
#define PARQ_FILE_READER_INTERNAL_H
#include "codec/codec.h"
#include "column/column_reader.h"
#include "file/schema.h"
#include "format/metadata.h"

struct parq_reader {
  char *name;               /* path or caller-provided name, for messages */
  int fd;                   /* -1 for memory readers */
  const uint8_t *mem;       /* memory reader data */
  int64_t size;
  uint8_t *footer;          /* footer bytes (metadata points into them) */
  parq_arena arena;         /* decoded metadata */
  pq_file_metadata md;
  pq_schema schema;
  parq_read_options opt;
  uint8_t *leaf_mask;       /* selected leaves */
  int *sel_leaves; int n_sel_leaves;
  pq_node **top; int n_top; /* selected top-level nodes */
  int64_t *rgs; int64_t n_rgs; /* selected row groups (file indexes) */
  pq_codec_ctx *codec;
  /* cursor state */
  int64_t cur;              /* index into rgs of the loaded row group, -1 none */
  int64_t rows_left;        /* rows remaining in loaded row group (informational) */
  parq_buf *chunks;         /* per selected leaf: column chunk bytes */
  pq_column_cursor *cursors;/* per selected leaf */
  pq_leaf_batch *batches;   /* per leaf index (n_leaves) */
  bool loaded;
  /* page-index pruning of the loaded row group */
  int64_t *ranges; int64_t n_ranges, range_i, row_pos;
  parq_arena rg_arena;      /* offset indexes of the loaded row group */
  char ctx[600];
};

/* Read n bytes at file offset off (bounds-checked against the file size). */
parq_status pq_reader_read_at(parq_reader *r, int64_t off, size_t n, uint8_t *dst, parq_error *err);

/* Row-group pruning with statistics; returns 1 when rg may match. */
int pq_reader_rg_may_match(parq_reader *r, int64_t rg);
/* Candidate row ranges of a row group from the page index; see prune.c. */
int64_t pq_reader_page_ranges(parq_reader *r, int64_t rg, int64_t **out, parq_error *err);
#endif
