/* stream_internal.h — internals of the dataset stream shared between
 * stream.c, stream_concat.c and the CLI's `parq stream` command. */
#ifndef PARQ_DATASET_STREAM_INTERNAL_H
#define PARQ_DATASET_STREAM_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include "parq.h"

/* One piece of a batch: rows [start, start+len) of array `a` (logical rows,
 * a->offset not included). */
typedef struct pq_arrow_slice {
  const struct ArrowArray *a;
  int64_t start, len;
} pq_arrow_slice;

/* Concatenate the slices (all of Arrow type `schema`) into one owned array.
 * Handles null, bool, fixed-width, (large) binary/utf8, (large/fixed) lists,
 * structs and maps, with validity; views and dictionaries give
 * PARQ_EUNSUPPORTED. */
parq_status pq_arrow_concat(const struct ArrowSchema *schema, const pq_arrow_slice *slices,
                            size_t n, struct ArrowArray *out, parq_error *err);

/* Bytes referenced by the buffers of a (logical rows [0, length)), for the
 * stream's memory limit. */
int64_t pq_arrow_array_bytes(const struct ArrowSchema *schema, const struct ArrowArray *a);

/* Like parq_stream_next but with at most max_rows rows (<= batch_rows), so
 * `parq stream --limit` can stop exactly and keep its state exact. */
parq_status pq_stream_next_n(parq_stream *s, int64_t max_rows, struct ArrowArray *out,
                             parq_error *err);
#endif
