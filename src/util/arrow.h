/* arrow.h — helpers to build, inspect and release Arrow C Data Interface
 * structs (declared in parq.h) without any Arrow library.
 *
 * Ownership model of arrays built here: every buffer handed to
 * pq_arrow_array_make() was malloc'ed and is freed by the array's release
 * callback; children handed over are moved (their release is called by the
 * parent's release). Schemas built here copy their strings. */
#ifndef PARQ_UTIL_ARROW_H
#define PARQ_UTIL_ARROW_H
#include <stdbool.h>
#include <stdint.h>

#include "parq.h"
#include "util/blob.h"

/* ---- Type descriptor parsed from an Arrow format string ---- */
typedef enum {
  PQA_NULL, PQA_BOOL, PQA_INT8, PQA_UINT8, PQA_INT16, PQA_UINT16, PQA_INT32, PQA_UINT32,
  PQA_INT64, PQA_UINT64, PQA_FLOAT16, PQA_FLOAT32, PQA_FLOAT64,
  PQA_BINARY, PQA_LARGE_BINARY, PQA_UTF8, PQA_LARGE_UTF8, PQA_BINARY_VIEW, PQA_UTF8_VIEW,
  PQA_FIXED_BINARY, PQA_DECIMAL, PQA_DATE32, PQA_DATE64, PQA_TIME32, PQA_TIME64,
  PQA_TIMESTAMP, PQA_DURATION, PQA_LIST, PQA_LARGE_LIST, PQA_FIXED_LIST, PQA_STRUCT, PQA_MAP,
  PQA_UNSUPPORTED
} pq_arrow_kind;

typedef enum { PQA_SECOND = 0, PQA_MILLI = 1, PQA_MICRO = 2, PQA_NANO = 3 } pq_arrow_unit;

typedef struct pq_arrow_type {
  pq_arrow_kind kind;
  int32_t width;        /* FIXED_BINARY byte width; FIXED_LIST size; DECIMAL bit width (128/256/32/64) */
  int32_t precision, scale; /* DECIMAL */
  pq_arrow_unit unit;   /* TIME/TIMESTAMP/DURATION */
  bool has_tz;          /* TIMESTAMP: timezone string non-empty */
  bool is_utc;          /* TIMESTAMP: timezone is UTC / +00:00 / Etc/UTC */
} pq_arrow_type;

/* Parse a format string ("i", "u", "w:16", "d:10,2", "tsu:UTC", "+l", ...). */
parq_status pq_arrow_parse_format(const char *format, pq_arrow_type *out, parq_error *err);
/* Value width in bytes for fixed-width kinds (bool => 0: bit-packed), 0 otherwise. */
int pq_arrow_fixed_width(const pq_arrow_type *t);

/* ---- Schemas ---- */
/* Initialise *out with copies of format and name, and n_children zeroed child
 * schemas (allocated; fill them with pq_arrow_schema_init too). metadata may
 * be NULL (it is the Arrow binary-encoded key/value block; see
 * pq_arrow_metadata_build). */
parq_status pq_arrow_schema_init(struct ArrowSchema *out, const char *format, const char *name,
                                 int64_t flags, int64_t n_children);
/* Build an Arrow metadata blob from n key/value pairs (malloc'ed; freed by the
 * schema release when attached with pq_arrow_schema_set_metadata). */
parq_status pq_arrow_schema_set_metadata(struct ArrowSchema *s, const char *const *keys,
                                         const char *const *values, int n);
/* Look up a key in an Arrow metadata blob; returns a malloc'ed copy or NULL. */
char *pq_arrow_metadata_get(const char *metadata, const char *key);
/* Deep copy (the copy has its own release). */
parq_status pq_arrow_schema_copy(const struct ArrowSchema *src, struct ArrowSchema *dst);

/* ---- Arrays ---- */
/* Make an owned array. buffers[i] (malloc'ed or NULL) are taken over. children
 * (an array of n_children structs, contents moved; the pointer array itself is
 * not kept) become owned children. */
/* A string/binary view array ("vu"/"vz"): validity (may be NULL) and views
 * (length x 16 bytes) are malloc'ed and owned; blobs (a malloc'ed array of
 * n_blobs references, moved in) back the variadic buffers 2..2+n_blobs and
 * are unreferenced on release. Ownership moves even on failure. */
parq_status pq_arrow_array_make_views(struct ArrowArray *out, int64_t length, int64_t null_count,
                                      void *validity, void *views, pq_blob **blobs, int n_blobs);
/* Zero-copy slicing. pq_arrow_make_shared() turns *a into a shareable
 * array (same rows, same buffers); pq_arrow_subslice() then makes *out =
 * rows [off, off+len) of it without copying anything. Each result is an
 * independent array with its own release; the buffers are freed when the
 * last of them (and of their children, even moved ones) is released.
 * subslice returns PARQ_EINVAL for an array not made shared or a bad range.
 * is_struct: a is "+s" (then, without a validity bitmap, slices keep the
 * struct's offset at 0 and offset the children, which every consumer reads
 * correctly, even one that ignores the struct's own offset). */
parq_status pq_arrow_make_shared(struct ArrowArray *a, int is_struct);
parq_status pq_arrow_subslice(const struct ArrowArray *a, int64_t off, int64_t len,
                              struct ArrowArray *out);
parq_status pq_arrow_array_make(struct ArrowArray *out, int64_t length, int64_t null_count,
                                int n_buffers, void **buffers, int n_children,
                                struct ArrowArray *children);
/* Release helper that tolerates NULL and already-released structs. */
static inline void pq_arrow_array_release(struct ArrowArray *a) {
  if (a && a->release) a->release(a);
}
static inline void pq_arrow_schema_release(struct ArrowSchema *s) {
  if (s && s->release) s->release(s);
}
/* Move: *dst takes ownership of *src, *src is marked released. */
static inline void pq_arrow_array_move(struct ArrowArray *src, struct ArrowArray *dst) {
  *dst = *src;
  src->release = 0;
}

/* ---- Validity bitmaps ---- */
static inline bool pq_bit_get(const uint8_t *bits, int64_t i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void pq_bit_set(uint8_t *bits, int64_t i) { bits[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static inline void pq_bit_clear(uint8_t *bits, int64_t i) { bits[i >> 3] &= (uint8_t)~(1u << (i & 7)); }
/* Is element i (logical index, before adding a->offset) valid? */
static inline bool pq_arrow_is_valid(const struct ArrowArray *a, int64_t i) {
  const uint8_t *v = a->n_buffers > 0 ? (const uint8_t *)a->buffers[0] : 0;
  return !v || pq_bit_get(v, a->offset + i);
}

#endif
