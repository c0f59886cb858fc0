/* buf.h — a growable byte buffer (the one container most layers share).
 *
 * Ownership: the parq_buf owns `data`; parq_buf_free() releases it and leaves
 * an empty buffer. parq_buf_detach() hands the bytes to the caller (free()). */
#ifndef PARQ_UTIL_BUF_H
#define PARQ_UTIL_BUF_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parq.h"

typedef struct parq_buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} parq_buf;

#define PARQ_BUF_INIT {NULL, 0, 0}

/* Ensure room for `extra` more bytes. PARQ_OK or PARQ_ENOMEM. */
parq_status parq_buf_reserve(parq_buf *b, size_t extra);
parq_status parq_buf_append(parq_buf *b, const void *p, size_t n);
parq_status parq_buf_append_byte(parq_buf *b, uint8_t c);
/* Resize to n bytes (new bytes zeroed). */
parq_status parq_buf_resize(parq_buf *b, size_t n);
/* printf-style append (used by JSON/text writers). */
parq_status parq_buf_printf(parq_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void parq_buf_free(parq_buf *b);
static inline void parq_buf_clear(parq_buf *b) { b->len = 0; }
/* Give the bytes away: returns data (may be NULL when empty), buffer becomes empty. */
uint8_t *parq_buf_detach(parq_buf *b);

/* Unchecked fast-path append: caller has reserved space. */
static inline void parq_buf_put(parq_buf *b, const void *p, size_t n) {
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

#endif
