/* bloom.c — split-block bloom filter hashing, probing and insertion. */
#include "encoding/bloom.h"

#include <math.h>
#include <string.h>
#include <xxhash.h>

static const uint32_t SALT[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                 0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

uint64_t pq_bloom_hash(const void *value, size_t len) { return XXH64(value, len, 0); }

static size_t block_of(uint64_t hash, size_t nblocks) {
  return (size_t)(((hash >> 32) * (uint64_t)nblocks) >> 32);
}

bool pq_bloom_check(const uint8_t *bitset, size_t nbytes, uint64_t hash) {
  size_t nblocks = nbytes / 32;
  if (nblocks == 0) return true; /* no usable filter: cannot exclude */
  const uint8_t *blk = bitset + 32 * block_of(hash, nblocks);
  uint32_t key = (uint32_t)hash;
  for (int i = 0; i < 8; i++) {
    uint32_t word;
    memcpy(&word, blk + 4 * i, 4);
    uint32_t mask = 1u << ((key * SALT[i]) >> 27);
    if (!(word & mask)) return false;
  }
  return true;
}

void pq_bloom_insert(uint8_t *bitset, size_t nbytes, uint64_t hash) {
  size_t nblocks = nbytes / 32;
  if (nblocks == 0) return;
  uint8_t *blk = bitset + 32 * block_of(hash, nblocks);
  uint32_t key = (uint32_t)hash;
  for (int i = 0; i < 8; i++) {
    uint32_t word;
    memcpy(&word, blk + 4 * i, 4);
    word |= 1u << ((key * SALT[i]) >> 27);
    memcpy(blk + 4 * i, &word, 4);
  }
}

size_t pq_bloom_optimal_bytes(int64_t ndv, double fpp) {
  if (ndv < 1) ndv = 1;
  if (fpp <= 0 || fpp >= 1) fpp = 0.01;
  /* m = -8 * ndv / ln(1 - fpp^(1/8)) bits (the formula from BloomFilter.md). */
  double m = -8.0 * (double)ndv / log(1.0 - pow(fpp, 1.0 / 8.0));
  size_t bytes = (size_t)(m / 8);
  size_t p = 32;
  while (p < bytes && p < ((size_t)128 << 20)) p <<= 1;
  return p;
}
