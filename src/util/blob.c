/* blob.c — reference-counted byte blocks (see blob.h). */
#include "util/blob.h"

#include <stdlib.h>

#define HDR ((sizeof(pq_blob) + 15) & ~(size_t)15)

pq_blob *pq_blob_new(size_t cap) {
  if (cap > SIZE_MAX - HDR - 16) return NULL;
  pq_blob *b = malloc(HDR + (cap ? cap : 1));
  if (!b) return NULL;
  atomic_init(&b->refs, 1);
  b->len = 0;
  b->cap = cap;
  b->data = (uint8_t *)b + HDR;
  return b;
}

void pq_blob_unref(pq_blob *b) {
  if (!b) return;
  /* acq_rel: the thread that frees must see every write made through other
   * references before they were dropped. */
  if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) free(b);
}
