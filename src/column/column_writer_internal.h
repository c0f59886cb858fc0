/* column_writer_internal.h — the column writer's state, shared by
 * column_writer.c (value buffering) and page_writer.c (page assembly and
 * chunk metadata). Not for use outside src/column. */
#ifndef PARQ_COLUMN_WRITER_INTERNAL_H
#define PARQ_COLUMN_WRITER_INTERNAL_H
#include "codec/codec.h"
#include "column/column_writer.h"
#include "column/wpool.h"
#include "encoding/encoding.h"

/* One data page, for the page index. Its offset and size are known only once
 * the page is compressed (see pq_wchunk_place). */
typedef struct pq_wpage {
  int64_t first_row;        /* within the row group */
  int64_t null_count;
  bool null_page;           /* no non-null value */
  bool has_minmax;
  pq_bytes min, max;        /* truncated, in the writer's chunk arena */
} pq_wpage;

struct pq_column_writer {
  pq_col_config c;
  int phys, width;          /* width: fixed bytes per value (BOOLEAN 1), 0 for BYTE_ARRAY */
  bool binary;
  bool dict_active;         /* the open page is dictionary-encoded */
  bool dict_used;           /* some page of this chunk is dictionary-encoded */
  pq_dict *dict;
  /* open page */
  parq_buf def, rep;        /* uint16 levels */
  parq_buf vals;            /* see column_writer.c */
  parq_buf offs;            /* int32 offsets (offsets form), starting with 0 */
  parq_buf idx;             /* uint32 dictionary indices */
  parq_buf stage, stage_offs;
  size_t pg_levels, pg_values, pg_rows, pg_nulls;
  size_t pg_plain;          /* dictionary mode: PLAIN bytes of the open page's values */
  pq_stats pst, cst;        /* page and chunk statistics */
  /* chunk */
  parq_buf ptasks;          /* pq_page_task* of the data pages, in order (wpool.h) */
  pq_page_task *dict_task;  /* the dictionary page, once written */
  parq_buf pinfo;           /* pq_wpage array */
  parq_arena arena;         /* exported page statistics */
  int64_t ch_values, ch_rows;
  int64_t ch_raw;           /* uncompressed page bodies so far (for row_group_bytes) */
  int32_t enc_pages[10];    /* data pages per encoding */
  /* scratch */
  parq_buf lv, comp, enc, tmp;
  parq_buf spare;           /* a page body buffer to reuse (inline compression) */
  pq_codec_ctx *cctx;       /* inline compression (no pool) */
  pq_wpool *pool;           /* background compression, NULL = inline */
  struct pq_cdc *cdc;       /* content-defined page cuts, NULL when off (cdc.h) */
};

parq_status pq_page_flush(pq_column_writer *w, parq_error *err);
parq_status pq_page_write_dict(pq_column_writer *w, parq_error *err);
parq_status pq_column_writer_write_rest(pq_column_writer *w, const pq_leaf_batch *b, size_t li,
                                        size_t vi, parq_error *err);
void pq_column_writer_chunk_reset(pq_column_writer *w);
/* Free the chunk's page tasks (the pool must not hold any of them). */
void pq_page_tasks_free(pq_column_writer *w);

#endif
