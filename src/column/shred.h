/* shred.h — Arrow arrays -> Parquet levels (Dremel record shredding) for the writer.
 *
 * A write plan mirrors the Arrow schema with the definition/repetition levels
 * of the Parquet schema that pq_schema_from_arrow() derives from it (same
 * depth-first leaf order). For one leaf and a row range of a batch, the
 * shredder yields def/rep levels and the positions of the non-null leaf
 * values in the leaf Arrow array, which the column writer then converts. */
#ifndef PARQ_COLUMN_SHRED_H
#define PARQ_COLUMN_SHRED_H
#include <stdbool.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/arrow.h"
#include "util/buf.h"

typedef enum { PQ_W_LEAF, PQ_W_STRUCT, PQ_W_LIST, PQ_W_MAP } pq_wkind;

typedef struct pq_wnode pq_wnode;
struct pq_wnode {
  pq_wkind kind;
  pq_arrow_type at;      /* the Arrow type of this field */
  const char *name;      /* Arrow field name */
  bool nullable;         /* OPTIONAL in Parquet (always for the null type) */
  int16_t def;           /* definition level when this node is present (non-null) */
  int16_t rep;           /* repetition level of this node's slots */
  int16_t elem_rep;      /* LIST/MAP: repetition level of the repeated group */
  pq_wnode *children;    /* STRUCT: fields; LIST: element; MAP: key, value */
  int n_children;
  int leaf;              /* LEAF: index among leaves */
};

typedef struct pq_wplan {
  parq_arena arena;
  pq_wnode root;         /* the "+s" root; its children are the top-level columns */
  int n_leaves;
  /* Per leaf: the nodes from the top-level column down to the leaf, and for
   * each step the Arrow child index taken from the previous node's array. */
  pq_wnode ***leaf_path; int *leaf_depth;
  int **leaf_child;
} pq_wplan;

parq_status pq_wplan_build(const struct ArrowSchema *schema, pq_wplan *out, parq_error *err);
void pq_wplan_free(pq_wplan *p);

/* Check that a "+s" batch matches the plan (children, buffers, lengths,
 * offsets monotone and in range) so that shredding cannot read out of bounds. */
parq_status pq_wplan_validate(const pq_wplan *p, const struct ArrowArray *batch, parq_error *err);

/* One leaf's share of a row range. def/rep are NULL when the leaf's max
 * level is 0 (then n_levels == n_values == rows). Values are positions in
 * `arr` (logical: add arr->offset for buffers): idx[k], or first + k when idx
 * is NULL (contiguous). */
typedef struct pq_leaf_batch {
  size_t n_levels;
  const uint16_t *def, *rep;
  size_t n_values;
  const struct ArrowArray *arr;
  const pq_arrow_type *at;
  int64_t first;
  const int64_t *idx;
} pq_leaf_batch;

/* Reusable scratch (owned by the caller, freed with pq_shred_scratch_free). */
typedef struct pq_shred_scratch {
  parq_buf pos[2], def[2], rep[2];
} pq_shred_scratch;

void pq_shred_scratch_free(pq_shred_scratch *s);

/* Shred rows [row0, row0+nrows) of the validated batch for leaf `leaf`. The
 * result points into the batch and the scratch (valid until the next call). */
parq_status pq_shred_leaf(const pq_wplan *p, int leaf, const struct ArrowArray *batch,
                          int64_t row0, int64_t nrows, pq_shred_scratch *s, pq_leaf_batch *out,
                          parq_error *err);

#endif
