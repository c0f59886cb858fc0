/* bloom.h — Parquet split-block bloom filters (BloomFilter.md): 32-byte
 * blocks of eight 32-bit words, xxHash64 (seed 0) of the value's PLAIN bytes
 * (without the length prefix for byte arrays). */
#ifndef PARQ_ENCODING_BLOOM_H
#define PARQ_ENCODING_BLOOM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t pq_bloom_hash(const void *value, size_t len);
/* nbytes must be a positive multiple of 32. */
bool pq_bloom_check(const uint8_t *bitset, size_t nbytes, uint64_t hash);
void pq_bloom_insert(uint8_t *bitset, size_t nbytes, uint64_t hash);
/* Bytes for ndv distinct values at false-positive rate fpp (power of two, 32 B .. 128 MiB). */
size_t pq_bloom_optimal_bytes(int64_t ndv, double fpp);
#endif
