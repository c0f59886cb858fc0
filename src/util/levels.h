/* levels.h — counting and bounding definition/repetition levels (uint16).
 *
 * Why: these loops run over every level of every page and batch, and gcc's
 * -O2 cost model ("very cheap") vectorises only loops whose trip count is a
 * known multiple of the vector width. Fixed 32-element inner blocks are, so
 * the compiler turns them into SIMD compares; the tail stays scalar. */
#ifndef PARQ_UTIL_LEVELS_H
#define PARQ_UTIL_LEVELS_H
#include <stdint.h>

/* Entries of v[0..n) equal to x. */
static inline int64_t pq_count_eq_u16(const uint16_t *v, int64_t n, uint16_t x) {
  int64_t c = 0, i = 0;
  for (; i + 32 <= n; i += 32) {
    uint16_t k = 0;
    for (int j = 0; j < 32; j++) k = (uint16_t)(k + (v[i + j] == x));
    c += k;
  }
  for (; i < n; i++) c += v[i] == x;
  return c;
}

/* Largest entry of v[0..n) (0 when n == 0). */
static inline uint16_t pq_max_u16(const uint16_t *v, int64_t n) {
  uint16_t m = 0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint16_t b = 0;
    for (int j = 0; j < 32; j++) b = v[i + j] > b ? v[i + j] : b;
    m = b > m ? b : m;
  }
  for (; i < n; i++) m = v[i] > m ? v[i] : m;
  return m;
}
#endif
