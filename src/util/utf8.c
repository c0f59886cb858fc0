/* utf8.c — counting UTF-8 code points (see utf8.h). */
#include "util/utf8.h"

#include <string.h>

int64_t pq_utf8_chars(const uint8_t *p, int64_t len) {
  int64_t i = 0, cont = 0;
  /* Code points = bytes that are not UTF-8 continuation bytes (10xxxxxx).
   * This runs over every text byte, so it counts 8 bytes at a time: bit 7 of
   * x & ~(x << 1) is set exactly in the bytes whose top bits are 10;
   * per-byte counters hold up to 255 rounds. */
  const uint64_t hi = 0x8080808080808080ull, lo16 = 0x00FF00FF00FF00FFull;
  while (len - i >= 8) {
    uint64_t acc = 0;
    for (int k = 0; k < 255 && len - i >= 8; k++, i += 8) {
      uint64_t x;
      memcpy(&x, p + i, 8);
      acc += (x & ~(x << 1) & hi) >> 7;
    }
    acc = (acc & lo16) + ((acc >> 8) & lo16); /* four 16-bit lanes, each <= 510 */
    cont += (int64_t)((acc * 0x0001000100010001ull) >> 48);
  }
  for (; i < len; i++) cont += (p[i] & 0xC0) == 0x80;
  return len - cont;
}
