/* dedup_internal.h — the parq_dedup estimator's state, shared by dedup.c
 * (chunking and accounting) and dedup_png.c (the picture). */
#ifndef PARQ_DATASET_DEDUP_INTERNAL_H
#define PARQ_DATASET_DEDUP_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>

#include "parq.h"
#include "util/buf.h"

/* Storage-layer chunking parameters (see docs/CDC.md). */
#define PQ_DD_MIN (8u << 10)
#define PQ_DD_MAX (128u << 10)
#define PQ_DD_MASK UINT64_C(0xFFFF000000000000)

typedef struct pq_dd_file {
  char *path;
  int64_t bytes, new_bytes, new_chunks;
  parq_buf sizes;  /* uint32 per chunk */
  parq_buf is_new; /* uint8 per chunk */
} pq_dd_file;

struct parq_dedup {
  pq_dd_file *files;
  size_t n_files, cap_files;
  /* Open-addressing set of XXH3-128 chunk ids (16 bytes; all-zero = empty). */
  uint8_t *set;
  size_t set_cap, set_n;
  bool have_zero_id;  /* the (astronomically unlikely) all-zero id */
  int64_t total, unique, comp_unique;
  void *zctx;         /* ZSTD_CCtx */
  parq_buf zbuf;
};

#endif
