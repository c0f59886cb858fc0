/* metadata.h — Parquet's Thrift structures (parquet.thrift) as C structs, and
 * their compact-protocol decode/encode.
 *
 * All variable-size members (strings, lists, nested structs) of a decoded
 * structure are allocated from the parq_arena passed to the decoder and die
 * with it. Byte strings are (pointer, length) pairs and are NOT NUL-terminated
 * unless stated. Optional fields carry a has_* flag. Field numbers in comments
 * are the Thrift field ids.
 *
 * Decoders validate what they read against the input (lengths never exceed the
 * remaining bytes, list sizes are bounded, nesting depth is bounded) and
 * return PARQ_ECORRUPT with a message instead of trusting the input. */
#ifndef PARQ_FORMAT_METADATA_H
#define PARQ_FORMAT_METADATA_H
#include <stdbool.h>
#include <stdint.h>

#include "parq.h"
#include "util/arena.h"
#include "util/buf.h"

typedef enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_INT96 = 3, PQ_FLOAT = 4,
               PQ_DOUBLE = 5, PQ_BYTE_ARRAY = 6, PQ_FIXED_LEN_BYTE_ARRAY = 7 } pq_type;

typedef enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 } pq_repetition;

/* ConvertedType (legacy annotations). -1 = absent. */
typedef enum { PQ_CT_NONE = -1, PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KEY_VALUE = 2,
               PQ_CT_LIST = 3, PQ_CT_ENUM = 4, PQ_CT_DECIMAL = 5, PQ_CT_DATE = 6,
               PQ_CT_TIME_MILLIS = 7, PQ_CT_TIME_MICROS = 8, PQ_CT_TIMESTAMP_MILLIS = 9,
               PQ_CT_TIMESTAMP_MICROS = 10, PQ_CT_UINT_8 = 11, PQ_CT_UINT_16 = 12,
               PQ_CT_UINT_32 = 13, PQ_CT_UINT_64 = 14, PQ_CT_INT_8 = 15, PQ_CT_INT_16 = 16,
               PQ_CT_INT_32 = 17, PQ_CT_INT_64 = 18, PQ_CT_JSON = 19, PQ_CT_BSON = 20,
               PQ_CT_INTERVAL = 21 } pq_converted_type;

/* LogicalType union member ids (field ids of the union). 0 = absent. */
typedef enum { PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3, PQ_LT_ENUM = 4,
               PQ_LT_DECIMAL = 5, PQ_LT_DATE = 6, PQ_LT_TIME = 7, PQ_LT_TIMESTAMP = 8,
               PQ_LT_INTEGER = 10, PQ_LT_UNKNOWN = 11, PQ_LT_JSON = 12, PQ_LT_BSON = 13,
               PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15, PQ_LT_VARIANT = 16, PQ_LT_GEOMETRY = 17,
               PQ_LT_GEOGRAPHY = 18,
               PQ_LT_OTHER = 99 /* an id this version does not know: ignored */ } pq_logical_kind;

typedef enum { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 } pq_time_unit;

typedef struct pq_logical_type {
  pq_logical_kind kind;
  int32_t scale, precision;      /* DECIMAL */
  bool is_adjusted_to_utc;       /* TIME, TIMESTAMP */
  pq_time_unit unit;             /* TIME, TIMESTAMP */
  int8_t bit_width;              /* INTEGER */
  bool is_signed;                /* INTEGER */
} pq_logical_type;

typedef struct pq_schema_element {
  bool has_type;        int32_t type;            /* 1: pq_type */
  bool has_type_length; int32_t type_length;     /* 2 */
  bool has_repetition;  int32_t repetition;      /* 3: pq_repetition */
  const char *name;     /* 4: NUL-terminated */
  bool has_num_children; int32_t num_children;   /* 5 */
  int32_t converted_type;                        /* 6: pq_converted_type, PQ_CT_NONE if absent */
  bool has_scale;       int32_t scale;           /* 7 */
  bool has_precision;   int32_t precision;       /* 8 */
  bool has_field_id;    int32_t field_id;        /* 9 */
  pq_logical_type logical;                       /* 10 (kind PQ_LT_NONE if absent) */
} pq_schema_element;

typedef struct pq_bytes { const uint8_t *ptr; uint32_t len; } pq_bytes;

typedef struct pq_statistics {
  bool has_max, has_min;                 /* 1, 2: legacy signed-order max/min */
  pq_bytes max, min;
  bool has_null_count; int64_t null_count;         /* 3 */
  bool has_distinct_count; int64_t distinct_count; /* 4 */
  bool has_max_value, has_min_value;     /* 5, 6: correct-order max/min */
  pq_bytes max_value, min_value;
  bool has_is_max_value_exact; bool is_max_value_exact; /* 7 */
  bool has_is_min_value_exact; bool is_min_value_exact; /* 8 */
  bool has_nan_count; int64_t nan_count; /* 9 (newer spec) */
} pq_statistics;

typedef struct pq_key_value { const char *key; const char *value; bool has_value; } pq_key_value;

typedef struct pq_page_encoding_stats { int32_t page_type, encoding, count; } pq_page_encoding_stats;

typedef struct pq_size_statistics {
  bool has_unencoded_byte_array_data_bytes; int64_t unencoded_byte_array_data_bytes; /* 1 */
  int64_t *repetition_level_histogram; uint32_t n_repetition_level_histogram;     /* 2 */
  int64_t *definition_level_histogram; uint32_t n_definition_level_histogram;     /* 3 */
} pq_size_statistics;

typedef struct pq_column_metadata {
  int32_t type;                          /* 1 */
  int32_t *encodings; uint32_t n_encodings; /* 2 */
  const char **path_in_schema; uint32_t n_path; /* 3 */
  int32_t codec;                         /* 4 */
  int64_t num_values;                    /* 5 */
  int64_t total_uncompressed_size;       /* 6 */
  int64_t total_compressed_size;         /* 7 */
  pq_key_value *kv; uint32_t n_kv;       /* 8 */
  int64_t data_page_offset;              /* 9 */
  bool has_index_page_offset; int64_t index_page_offset;           /* 10 */
  bool has_dictionary_page_offset; int64_t dictionary_page_offset; /* 11 */
  bool has_statistics; pq_statistics statistics;                   /* 12 */
  pq_page_encoding_stats *encoding_stats; uint32_t n_encoding_stats; /* 13 */
  bool has_bloom_filter_offset; int64_t bloom_filter_offset;       /* 14 */
  bool has_bloom_filter_length; int32_t bloom_filter_length;       /* 15 */
  bool has_size_statistics; pq_size_statistics size_statistics;    /* 16 */
} pq_column_metadata;

typedef struct pq_column_chunk {
  const char *file_path;                 /* 1 (NULL if absent) */
  int64_t file_offset;                   /* 2 */
  bool has_meta_data; pq_column_metadata meta_data;                /* 3 */
  bool has_offset_index; int64_t offset_index_offset; int32_t offset_index_length; /* 4, 5 */
  bool has_column_index; int64_t column_index_offset; int32_t column_index_length; /* 6, 7 */
  bool has_crypto_metadata;              /* 8: present => column is encrypted */
  bool has_encrypted_column_metadata;    /* 9 */
} pq_column_chunk;

typedef struct pq_sorting_column { int32_t column_idx; bool descending, nulls_first; } pq_sorting_column;

typedef struct pq_row_group {
  pq_column_chunk *columns; uint32_t n_columns; /* 1 */
  int64_t total_byte_size;               /* 2 */
  int64_t num_rows;                      /* 3 */
  pq_sorting_column *sorting_columns; uint32_t n_sorting_columns; /* 4 */
  bool has_file_offset; int64_t file_offset;                      /* 5 */
  bool has_total_compressed_size; int64_t total_compressed_size;  /* 6 */
  bool has_ordinal; int16_t ordinal;                              /* 7 */
} pq_row_group;

/* ColumnOrder: 1 = TYPE_DEFINED_ORDER, 2 = IEEE_754_TOTAL_ORDER,
 * 3 = INT96_TIMESTAMP_ORDER (newer spec), 0 = unknown/absent. */
typedef struct pq_file_metadata {
  int32_t version;                       /* 1 */
  pq_schema_element *schema; uint32_t n_schema; /* 2 */
  int64_t num_rows;                      /* 3 */
  pq_row_group *row_groups; uint32_t n_row_groups; /* 4 */
  pq_key_value *kv; uint32_t n_kv;       /* 5 */
  const char *created_by;                /* 6 (NULL if absent) */
  int32_t *column_orders; uint32_t n_column_orders; /* 7 */
  bool has_encryption_algorithm;         /* 8 */
} pq_file_metadata;

typedef enum { PQ_PAGE_DATA = 0, PQ_PAGE_INDEX = 1, PQ_PAGE_DICTIONARY = 2,
               PQ_PAGE_DATA_V2 = 3 } pq_page_type;

typedef struct pq_data_page_header {
  int32_t num_values, encoding, definition_level_encoding, repetition_level_encoding;
  bool has_statistics; pq_statistics statistics;
} pq_data_page_header;

typedef struct pq_dictionary_page_header {
  int32_t num_values, encoding; bool has_is_sorted; bool is_sorted;
} pq_dictionary_page_header;

typedef struct pq_data_page_header_v2 {
  int32_t num_values, num_nulls, num_rows, encoding;
  int32_t definition_levels_byte_length, repetition_levels_byte_length;
  bool is_compressed;                    /* default true when absent */
  bool has_statistics; pq_statistics statistics;
} pq_data_page_header_v2;

typedef struct pq_page_header {
  int32_t type;                          /* 1: pq_page_type */
  int32_t uncompressed_page_size;        /* 2 */
  int32_t compressed_page_size;          /* 3 */
  bool has_crc; int32_t crc;             /* 4 */
  bool has_data_page_header; pq_data_page_header data_page_header;             /* 5 */
  bool has_dictionary_page_header; pq_dictionary_page_header dictionary_page_header; /* 7 */
  bool has_data_page_header_v2; pq_data_page_header_v2 data_page_header_v2;    /* 8 */
} pq_page_header;

typedef enum { PQ_BOUNDARY_UNORDERED = 0, PQ_BOUNDARY_ASCENDING = 1,
               PQ_BOUNDARY_DESCENDING = 2 } pq_boundary_order;

typedef struct pq_column_index {
  bool *null_pages; uint32_t n_pages;    /* 1 */
  pq_bytes *min_values;                  /* 2: n_pages entries */
  pq_bytes *max_values;                  /* 3: n_pages entries */
  int32_t boundary_order;                /* 4 */
  bool has_null_counts; int64_t *null_counts; /* 5: n_pages entries */
  /* 6, 7: level histograms (flattened), may be NULL */
  int64_t *repetition_level_histograms; uint32_t n_repetition_level_histograms;
  int64_t *definition_level_histograms; uint32_t n_definition_level_histograms;
} pq_column_index;

typedef struct pq_page_location { int64_t offset; int32_t compressed_page_size; int64_t first_row_index; } pq_page_location;

typedef struct pq_offset_index {
  pq_page_location *page_locations; uint32_t n_pages; /* 1 */
  int64_t *unencoded_byte_array_data_bytes; uint32_t n_unencoded; /* 2 (may be NULL) */
} pq_offset_index;

typedef struct pq_bloom_filter_header {
  int32_t num_bytes;                     /* 1 */
  int32_t algorithm;                     /* 2: 1 = BLOCK (split block) */
  int32_t hash;                          /* 3: 1 = XXHASH (xxh64 seed 0) */
  int32_t compression;                   /* 4: 1 = UNCOMPRESSED */
} pq_bloom_filter_header;

/* ---- Decoding. `*consumed` (may be NULL) receives the bytes read. The
 * decoded structure points into `data` for byte strings (pq_bytes), so `data`
 * must outlive it; names/strings are copied into the arena (NUL-terminated). */
parq_status pq_decode_file_metadata(const uint8_t *data, size_t len, parq_arena *arena,
                                    pq_file_metadata *out, parq_error *err);
parq_status pq_decode_page_header(const uint8_t *data, size_t len, parq_arena *arena,
                                  pq_page_header *out, size_t *consumed, parq_error *err);
parq_status pq_decode_column_index(const uint8_t *data, size_t len, parq_arena *arena,
                                   pq_column_index *out, parq_error *err);
parq_status pq_decode_offset_index(const uint8_t *data, size_t len, parq_arena *arena,
                                   pq_offset_index *out, parq_error *err);
parq_status pq_decode_bloom_filter_header(const uint8_t *data, size_t len,
                                          pq_bloom_filter_header *out, size_t *consumed,
                                          parq_error *err);

/* ---- Encoding: append the compact-protocol bytes to `out`. Only fields whose
 * has_* flag is set (or that are required) are written; an optional list
 * without a has_* flag is written when its pointer is non-NULL. Returns
 * PARQ_EINVAL when a required string is NULL or an enum-like union value
 * (time unit, column order, bloom algorithm) is out of range. */
parq_status pq_encode_file_metadata(const pq_file_metadata *m, parq_buf *out);
parq_status pq_encode_page_header(const pq_page_header *h, parq_buf *out);
parq_status pq_encode_column_index(const pq_column_index *ci, parq_buf *out);
parq_status pq_encode_offset_index(const pq_offset_index *oi, parq_buf *out);
parq_status pq_encode_bloom_filter_header(const pq_bloom_filter_header *h, parq_buf *out);

#endif
