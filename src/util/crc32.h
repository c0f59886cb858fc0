/* crc32.h — the CRC-32 (IEEE, as zlib/gzip) Parquet uses for page checksums. */
#ifndef PARQ_UTIL_CRC32_H
#define PARQ_UTIL_CRC32_H
#include <stddef.h>
#include <stdint.h>
uint32_t parq_crc32(uint32_t crc, const void *data, size_t n);
#endif
