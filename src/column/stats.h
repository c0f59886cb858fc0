/* stats.h — column statistics: sort orders per physical + logical type, value
 * comparison (shared with the reader's predicate pruning), min/max/null
 * accumulation for the writer and export to Thrift Statistics with binary
 * truncation.
 *
 * Values are compared in their PLAIN encoding: fixed-width little-endian for
 * numbers (1 byte for BOOLEAN, 2 for FLOAT16), raw bytes for BYTE_ARRAY/FLBA. */
#ifndef PARQ_COLUMN_STATS_H
#define PARQ_COLUMN_STATS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/metadata.h"
#include "util/arena.h"
#include "util/buf.h"

typedef enum {
  PQ_ORDER_NONE = 0,   /* no statistics (INT96, INTERVAL, unknown) */
  PQ_ORDER_BOOL,       /* false < true */
  PQ_ORDER_I32, PQ_ORDER_U32, PQ_ORDER_I64, PQ_ORDER_U64,
  PQ_ORDER_FLOAT, PQ_ORDER_DOUBLE, PQ_ORDER_FLOAT16,
  PQ_ORDER_BYTES,      /* unsigned lexicographic */
  PQ_ORDER_DECIMAL_BE  /* big-endian two's complement of any length (DECIMAL on BYTE_ARRAY/FLBA) */
} pq_sort_order;

/* The order for a leaf element (type + logical/converted annotation). */
pq_sort_order pq_sort_order_of(const pq_schema_element *e);
/* Do legacy min/max (fields 1,2: signed comparison) agree with this order? */
bool pq_sort_order_legacy_ok(pq_sort_order o);

/* Compare two values: <0, 0, >0. Lengths must be the type's width for fixed
 * orders (the caller validates lengths from files). NaN compares as equal to
 * everything (callers skip NaN). */
int pq_value_cmp(pq_sort_order o, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* Is the value a NaN (FLOAT/DOUBLE/FLOAT16 orders)? */
bool pq_value_is_nan(pq_sort_order o, const uint8_t *v);
/* Decode helpers for pruning. */
double pq_float16_to_double(uint16_t h);

typedef struct pq_stats {
  pq_sort_order order;
  bool has_minmax;
  int64_t null_count;
  parq_buf min, max;   /* current min/max values (PLAIN / raw bytes) */
} pq_stats;

void pq_stats_init(pq_stats *s, pq_sort_order o);
void pq_stats_reset(pq_stats *s);   /* keeps buffers, clears values */
void pq_stats_free(pq_stats *s);

/* n fixed-width values (width bytes each, contiguous PLAIN form). */
parq_status pq_stats_update_fixed(pq_stats *s, const uint8_t *vals, size_t width, size_t n);
/* One candidate min and max (e.g. a chunk's extremes found by the caller). */
parq_status pq_stats_update_minmax(pq_stats *s, const uint8_t *mn, size_t mnlen,
                                   const uint8_t *mx, size_t mxlen);
/* n byte arrays given Arrow int32 offsets (n+1 entries) and data. */
parq_status pq_stats_update_binary(pq_stats *s, const int32_t *offsets, const uint8_t *data,
                                   size_t n);
/* Fold src (a page) into dst (its chunk). */
parq_status pq_stats_merge(pq_stats *dst, const pq_stats *src);

/* Export min/max into out (bytes copied into arena): -0.0/+0.0 for zero
 * extremes, binary truncation to `truncate` bytes (BYTES order only; 0 = no
 * truncation), legacy min/max where the order allows. null_count is set. */
parq_status pq_stats_export(const pq_stats *s, int64_t truncate, parq_arena *a,
                            pq_statistics *out);

#endif
