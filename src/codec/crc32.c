/* crc32.c — parq_crc32 (util/crc32.h) on libdeflate's CRC-32, which uses
 * PCLMULQDQ / ARM CRC instructions where available. Same polynomial and
 * chaining convention as zlib's crc32(): start with 0, feed the previous result. */
#include <libdeflate.h>

#include "util/crc32.h"

uint32_t parq_crc32(uint32_t crc, const void *data, size_t n) {
  /* libdeflate returns 0 (not crc) for a NULL buffer; keep chaining correct. */
  if (n == 0) return crc;
  return libdeflate_crc32(crc, data, n);
}
