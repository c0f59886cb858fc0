/* values.h — Arrow leaf values -> Parquet physical values for the writer
 * (widening small ints, unit conversions, decimals to big-endian, binary
 * access across int32/int64 offsets and views). */
#ifndef PARQ_COLUMN_VALUES_H
#define PARQ_COLUMN_VALUES_H
#include <stdint.h>
#include <string.h>

#include "column/shred.h"
#include "util/buf.h"

/* Logical position (in b->arr) of the k-th value of a leaf batch. */
static inline int64_t pq_lb_pos(const pq_leaf_batch *b, size_t k) {
  return b->idx ? b->idx[k] : b->first + (int64_t)k;
}

/* Bytes of the binary value at logical position pos (validated array). */
static inline size_t pq_src_binary(const struct ArrowArray *a, pq_arrow_kind k, int64_t pos,
                                   const uint8_t **p) {
  int64_t ph = a->offset + pos;
  if (k == PQA_BINARY || k == PQA_UTF8) {
    const int32_t *o = (const int32_t *)a->buffers[1];
    *p = (const uint8_t *)a->buffers[2] + o[ph];
    return (size_t)(o[ph + 1] - o[ph]);
  }
  if (k == PQA_LARGE_BINARY || k == PQA_LARGE_UTF8) {
    const int64_t *o = (const int64_t *)a->buffers[1];
    *p = (const uint8_t *)a->buffers[2] + o[ph];
    return (size_t)(o[ph + 1] - o[ph]);
  }
  const uint8_t *v = (const uint8_t *)a->buffers[1] + 16 * ph;
  int32_t len, bi, off;
  memcpy(&len, v, 4);
  if (len <= 12) {
    *p = v + 4;
  } else {
    memcpy(&bi, v + 8, 4);
    memcpy(&off, v + 12, 4);
    *p = (const uint8_t *)a->buffers[2 + bi] + off;
  }
  return (size_t)len;
}

static inline int pq_kind_is_binary(pq_arrow_kind k) {
  return k == PQA_BINARY || k == PQA_UTF8 || k == PQA_LARGE_BINARY || k == PQA_LARGE_UTF8 ||
         k == PQA_BINARY_VIEW || k == PQA_UTF8_VIEW;
}

/* Append values [vi, vi+nv) of b in physical PLAIN fixed-width form (width
 * bytes each; BOOLEAN: one 0/1 byte each). phys is the pq_type. */
parq_status pq_values_fixed(const pq_leaf_batch *b, size_t vi, size_t nv, int phys, int width,
                            parq_buf *out);

#endif
