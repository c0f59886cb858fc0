/* assemble.h — turns decoded leaf data (levels + dense values) into Arrow
 * arrays, for flat and arbitrarily nested columns (the inverse of Dremel
 * shredding). One call builds the array of one schema node. */
#ifndef PARQ_COLUMN_ASSEMBLE_H
#define PARQ_COLUMN_ASSEMBLE_H
#include "column/column_reader.h"
#include "file/schema.h"

/* Build node `n` from `batches` (indexed by leaf index, all holding the same
 * number of records). leaf_mask (by leaf index, may be NULL = all) prunes
 * struct fields whose leaves are not selected. The batches' buffers may be
 * stolen (zero-copy); callers reset them before reuse. */
parq_status pq_assemble_node(const pq_schema *s, const pq_node *n, pq_leaf_batch *batches,
                             const uint8_t *leaf_mask, struct ArrowArray *out, parq_error *err);

/* Arrow schema for node n under the same pruning. */
parq_status pq_projected_schema(const pq_node *n, const uint8_t *leaf_mask, struct ArrowSchema *out,
                                parq_error *err);
#endif
