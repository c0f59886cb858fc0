/* blob.h — a reference-counted byte block shared between the reader and the
 * Arrow arrays it hands out.
 *
 * Why: with string views a decompressed page is not copied into the batch;
 * the batch's views point into the page, so the page must live until every
 * array referring to it is released — possibly on another thread (stream
 * prefetch), hence the atomic count.
 *
 * Ownership: pq_blob_new() returns one reference; every pq_blob_ref() adds
 * one; pq_blob_unref() drops one and frees the block with the last. */
#ifndef PARQ_UTIL_BLOB_H
#define PARQ_UTIL_BLOB_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pq_blob {
  atomic_long refs;
  size_t len; /* bytes in use (the caller sets it) */
  size_t cap;
  uint8_t *data; /* cap bytes, 16-byte aligned, right after the header */
} pq_blob;

/* A new blob with room for cap bytes (len 0), or NULL when out of memory. */
pq_blob *pq_blob_new(size_t cap);
static inline pq_blob *pq_blob_ref(pq_blob *b) {
  if (b) atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
  return b;
}
/* Drop one reference (NULL is fine). */
void pq_blob_unref(pq_blob *b);
#endif
