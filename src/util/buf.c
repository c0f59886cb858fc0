#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

parq_status parq_buf_reserve(parq_buf *b, size_t extra) {
  /* After a successful reserve, data is never NULL, even for extra == 0:
   * callers compute data + len for a write position, and NULL + 0 is
   * undefined behaviour in C. */
  if (b->cap - b->len >= extra && b->data) return PARQ_OK;
  if (extra > SIZE_MAX / 2 - b->len) return PARQ_ENOMEM;
  size_t need = b->len + extra;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap + cap / 2 + 64;
  uint8_t *p = realloc(b->data, cap);
  if (!p) return PARQ_ENOMEM;
  b->data = p;
  b->cap = cap;
  return PARQ_OK;
}

parq_status parq_buf_append(parq_buf *b, const void *p, size_t n) {
  if (n == 0) return PARQ_OK;
  if (parq_buf_reserve(b, n)) return PARQ_ENOMEM;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return PARQ_OK;
}

parq_status parq_buf_append_byte(parq_buf *b, uint8_t c) {
  if (b->len == b->cap && parq_buf_reserve(b, 1)) return PARQ_ENOMEM;
  b->data[b->len++] = c;
  return PARQ_OK;
}

parq_status parq_buf_resize(parq_buf *b, size_t n) {
  if (n > b->len) {
    if (parq_buf_reserve(b, n - b->len)) return PARQ_ENOMEM;
    memset(b->data + b->len, 0, n - b->len);
  }
  b->len = n;
  return PARQ_OK;
}

parq_status parq_buf_printf(parq_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return PARQ_EINTERNAL;
  if ((size_t)n < sizeof small) return parq_buf_append(b, small, (size_t)n);
  if (parq_buf_reserve(b, (size_t)n + 1)) return PARQ_ENOMEM;
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return PARQ_OK;
}

void parq_buf_free(parq_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

uint8_t *parq_buf_detach(parq_buf *b) {
  uint8_t *p = b->data;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void parq_free(void *p) { free(p); }
