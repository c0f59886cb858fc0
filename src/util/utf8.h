/* utf8.h — the UTF-8 helpers shared by the JSON reader and writer, repack
 * (text characters per shard) and SQL (length, substr). */
#ifndef PARQ_UTIL_UTF8_H
#define PARQ_UTIL_UTF8_H
#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 if it is
 * invalid: truncated, overlong, a surrogate or beyond U+10FFFF. */
static inline int pq_utf8_seq(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  if (c < 0xC2) return 0;
  if (c < 0xE0) return (end - p >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
  if (c < 0xF0) {
    if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
    if (c == 0xED && p[1] >= 0xA0) return 0; /* surrogates */
    return 3;
  }
  if (c < 0xF5) {
    if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

/* Code points in p[0..len): bytes that are not continuation bytes. */
int64_t pq_utf8_chars(const uint8_t *p, int64_t len);
#endif
