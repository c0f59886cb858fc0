/* metadata.c — decode/encode Parquet's Thrift structures (parquet.thrift) in
 * the compact protocol, to and from the C structs of metadata.h.
 *
 * Decoding follows Thrift's generated-code rules: unknown field ids and fields
 * whose wire type does not match the schema are skipped (forward
 * compatibility); required fields are tracked in a bitmask and a missing one
 * is PARQ_ECORRUPT. Sizes, counts and offsets that cannot be negative are
 * rejected when negative, so later layers can trust them as non-negative.
 *
 * Encoding writes fields in increasing id order and only optional fields whose
 * has_* flag is set, which is what every Thrift reader expects. */
#include "format/metadata.h"

#include <string.h>

#include "format/thrift.h"
#include "util/error.h"

typedef pq_thrift_reader rd;

/* ---- Decoding helpers ---- */

/* Field loop. Inside, ON(id, wire type) starts a case that only matches when
 * the wire type is right and records the id in `seen`; its body ends with
 * `continue`. Anything that falls out of the switch is skipped. */
#define FIELDS_BEGIN(r)                                  \
  uint32_t seen = 0;                                     \
  int16_t last_ = 0, id_;                                \
  uint8_t t_;                                            \
  PARQ_TRY(pq_tr_struct_begin(r));                       \
  for (;;) {                                             \
    PARQ_TRY(pq_tr_field((r), &last_, &t_, &id_));       \
    if (t_ == PQ_TT_STOP) break;                         \
    switch (id_) {
#define ON(id, type)             \
  case id:                       \
    if (t_ != (type)) break;     \
    seen |= 1u << (id);
#define ON_BOOL(id)                                      \
  case id:                                               \
    if (t_ != PQ_TT_TRUE && t_ != PQ_TT_FALSE) break;    \
    seen |= 1u << (id);
#define BOOL_VALUE (t_ == PQ_TT_TRUE)
#define FIELDS_END(r)                \
    }                                \
    PARQ_TRY(pq_tr_skip((r), t_));   \
  }                                  \
  pq_tr_struct_end(r);

#define REQUIRE(r, mask, what) PARQ_TRY(require((r), seen, (mask), (what)))
#define BIT(id) (1u << (id))

static parq_status require(rd *r, uint32_t seen, uint32_t mask, const char *what) {
  if ((seen & mask) == mask) return PARQ_OK;
  int missing = 0;
  while (!((mask & ~seen) >> missing & 1)) missing++;
  return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: %s is missing required field %d (byte %zu)",
                      what, missing, pq_tr_pos(r));
}

static parq_status negative(rd *r, const char *what, int64_t v) {
  return parq_err_set(r->err, PARQ_ECORRUPT, "thrift: %s is negative (%lld) at byte %zu", what,
                      (long long)v, pq_tr_pos(r));
}
#define NONNEG(r, v, what) \
  do { if ((v) < 0) return negative((r), (what), (v)); } while (0)

static parq_status rd_bytes(rd *r, pq_bytes *b) { return pq_tr_binary(r, &b->ptr, &b->len); }

/* Reads a list header and checks the element type. */
static parq_status rd_list(rd *r, uint8_t want, uint32_t *n, const char *what) {
  size_t at = pq_tr_pos(r);
  uint8_t et;
  PARQ_TRY(pq_tr_list(r, &et, n));
  if (*n && et != want)
    return parq_err_set(r->err, PARQ_ECORRUPT,
                        "thrift: %s list has element type %u, expected %u (byte %zu)", what, et,
                        want, at);
  return PARQ_OK;
}

static parq_status rd_alloc(rd *r, parq_arena *a, uint32_t n, size_t size, void **out,
                            const char *what) {
  *out = NULL;
  if (n == 0) return PARQ_OK;
  *out = parq_arena_calloc(a, n, size);
  if (!*out)
    return parq_err_set(r->err, PARQ_ENOMEM, "thrift: out of memory for %u %s", n, what);
  return PARQ_OK;
}

static parq_status rd_i32_list(rd *r, parq_arena *a, int32_t **out, uint32_t *n,
                               const char *what) {
  PARQ_TRY(rd_list(r, PQ_TT_I32, n, what));
  PARQ_TRY(rd_alloc(r, a, *n, sizeof **out, (void **)out, what));
  for (uint32_t i = 0; i < *n; i++) PARQ_TRY(pq_tr_i32(r, &(*out)[i]));
  return PARQ_OK;
}

static parq_status rd_i64_list(rd *r, parq_arena *a, int64_t **out, uint32_t *n,
                               const char *what) {
  PARQ_TRY(rd_list(r, PQ_TT_I64, n, what));
  PARQ_TRY(rd_alloc(r, a, *n, sizeof **out, (void **)out, what));
  for (uint32_t i = 0; i < *n; i++) PARQ_TRY(pq_tr_i64(r, &(*out)[i]));
  return PARQ_OK;
}

/* ---- Decoders, one per struct ---- */

static parq_status dec_statistics(rd *r, pq_statistics *s) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_BINARY) { PARQ_TRY(rd_bytes(r, &s->max)); s->has_max = true; continue; }
  ON(2, PQ_TT_BINARY) { PARQ_TRY(rd_bytes(r, &s->min)); s->has_min = true; continue; }
  ON(3, PQ_TT_I64) { PARQ_TRY(pq_tr_i64(r, &s->null_count)); s->has_null_count = true; continue; }
  ON(4, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &s->distinct_count));
    s->has_distinct_count = true;
    continue;
  }
  ON(5, PQ_TT_BINARY) { PARQ_TRY(rd_bytes(r, &s->max_value)); s->has_max_value = true; continue; }
  ON(6, PQ_TT_BINARY) { PARQ_TRY(rd_bytes(r, &s->min_value)); s->has_min_value = true; continue; }
  ON_BOOL(7) { s->has_is_max_value_exact = true; s->is_max_value_exact = BOOL_VALUE; continue; }
  ON_BOOL(8) { s->has_is_min_value_exact = true; s->is_min_value_exact = BOOL_VALUE; continue; }
  ON(9, PQ_TT_I64) { PARQ_TRY(pq_tr_i64(r, &s->nan_count)); s->has_nan_count = true; continue; }
  FIELDS_END(r)
  (void)seen;
  return PARQ_OK;
}

/* TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS (empty structs). */
static parq_status dec_time_unit(rd *r, pq_time_unit *u) {
  FIELDS_BEGIN(r)
  case 1: case 2: case 3:
    if (t_ != PQ_TT_STRUCT) break;
    seen |= 1;
    *u = (pq_time_unit)id_;
    break; /* the member struct is skipped below */
  FIELDS_END(r)
  REQUIRE(r, 1, "TimeUnit");
  return PARQ_OK;
}

/* TimeType / TimestampType: 1 isAdjustedToUTC, 2 unit. */
static parq_status dec_time_type(rd *r, pq_logical_type *lt) {
  FIELDS_BEGIN(r)
  ON_BOOL(1) { lt->is_adjusted_to_utc = BOOL_VALUE; continue; }
  ON(2, PQ_TT_STRUCT) { PARQ_TRY(dec_time_unit(r, &lt->unit)); continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2), "TimeType/TimestampType");
  return PARQ_OK;
}

static parq_status dec_decimal_type(rd *r, pq_logical_type *lt) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &lt->scale)); continue; }
  ON(2, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &lt->precision)); continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2), "DecimalType");
  return PARQ_OK;
}

static parq_status dec_int_type(rd *r, pq_logical_type *lt) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_BYTE) { PARQ_TRY(pq_tr_i8(r, &lt->bit_width)); continue; }
  ON_BOOL(2) { lt->is_signed = BOOL_VALUE; continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2), "IntType");
  return PARQ_OK;
}

/* LogicalType union. Members this code does not know become PQ_LT_OTHER so
 * readers can ignore the annotation and fall back to the physical type. */
static parq_status dec_logical_type(rd *r, pq_logical_type *lt) {
  FIELDS_BEGIN(r)
  case PQ_LT_DECIMAL:
    if (t_ != PQ_TT_STRUCT) break;
    lt->kind = PQ_LT_DECIMAL;
    PARQ_TRY(dec_decimal_type(r, lt));
    continue;
  case PQ_LT_TIME:
  case PQ_LT_TIMESTAMP:
    if (t_ != PQ_TT_STRUCT) break;
    lt->kind = (pq_logical_kind)id_;
    PARQ_TRY(dec_time_type(r, lt));
    continue;
  case PQ_LT_INTEGER:
    if (t_ != PQ_TT_STRUCT) break;
    lt->kind = PQ_LT_INTEGER;
    PARQ_TRY(dec_int_type(r, lt));
    continue;
  case PQ_LT_STRING: case PQ_LT_MAP: case PQ_LT_LIST: case PQ_LT_ENUM: case PQ_LT_DATE:
  case PQ_LT_UNKNOWN: case PQ_LT_JSON: case PQ_LT_BSON: case PQ_LT_UUID: case PQ_LT_FLOAT16:
  case PQ_LT_VARIANT: case PQ_LT_GEOMETRY: case PQ_LT_GEOGRAPHY:
    /* Members without fields we keep (VARIANT's version, GEO's crs are skipped). */
    if (t_ == PQ_TT_STRUCT) lt->kind = (pq_logical_kind)id_;
    break;
  default:
    lt->kind = PQ_LT_OTHER;
    break;
  FIELDS_END(r)
  (void)seen;
  return PARQ_OK;
}

static parq_status dec_schema_element(rd *r, parq_arena *a, pq_schema_element *e) {
  e->converted_type = PQ_CT_NONE;
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) {
    size_t at = pq_tr_pos(r);
    PARQ_TRY(pq_tr_i32(r, &e->type));
    /* An out-of-range physical type would index type tables downstream. */
    if (e->type < PQ_BOOLEAN || e->type > PQ_FIXED_LEN_BYTE_ARRAY)
      return parq_err_set(r->err, PARQ_ECORRUPT,
                          "thrift: SchemaElement has invalid physical type %d at byte %zu",
                          e->type, at);
    e->has_type = true;
    continue;
  }
  ON(2, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &e->type_length));
    NONNEG(r, e->type_length, "SchemaElement.type_length");
    e->has_type_length = true;
    continue;
  }
  ON(3, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &e->repetition)); e->has_repetition = true; continue; }
  ON(4, PQ_TT_BINARY) { PARQ_TRY(pq_tr_string(r, a, &e->name)); continue; }
  ON(5, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &e->num_children));
    NONNEG(r, e->num_children, "SchemaElement.num_children");
    e->has_num_children = true;
    continue;
  }
  ON(6, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &e->converted_type)); continue; }
  ON(7, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &e->scale)); e->has_scale = true; continue; }
  ON(8, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &e->precision)); e->has_precision = true; continue; }
  ON(9, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &e->field_id)); e->has_field_id = true; continue; }
  ON(10, PQ_TT_STRUCT) { PARQ_TRY(dec_logical_type(r, &e->logical)); continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(4), "SchemaElement");
  return PARQ_OK;
}

static parq_status dec_key_value(rd *r, parq_arena *a, pq_key_value *kv) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_BINARY) { PARQ_TRY(pq_tr_string(r, a, &kv->key)); continue; }
  ON(2, PQ_TT_BINARY) { PARQ_TRY(pq_tr_string(r, a, &kv->value)); kv->has_value = true; continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1), "KeyValue");
  return PARQ_OK;
}

static parq_status dec_kv_list(rd *r, parq_arena *a, pq_key_value **out, uint32_t *n) {
  PARQ_TRY(rd_list(r, PQ_TT_STRUCT, n, "key_value_metadata"));
  PARQ_TRY(rd_alloc(r, a, *n, sizeof **out, (void **)out, "key/value pairs"));
  for (uint32_t i = 0; i < *n; i++) PARQ_TRY(dec_key_value(r, a, &(*out)[i]));
  return PARQ_OK;
}

static parq_status dec_page_encoding_stats(rd *r, pq_page_encoding_stats *s) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &s->page_type)); continue; }
  ON(2, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &s->encoding)); continue; }
  ON(3, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &s->count)); continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3), "PageEncodingStats");
  return PARQ_OK;
}

static parq_status dec_size_statistics(rd *r, parq_arena *a, pq_size_statistics *s) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &s->unencoded_byte_array_data_bytes));
    s->has_unencoded_byte_array_data_bytes = true;
    continue;
  }
  ON(2, PQ_TT_LIST) {
    PARQ_TRY(rd_i64_list(r, a, &s->repetition_level_histogram, &s->n_repetition_level_histogram,
                         "repetition_level_histogram"));
    continue;
  }
  ON(3, PQ_TT_LIST) {
    PARQ_TRY(rd_i64_list(r, a, &s->definition_level_histogram, &s->n_definition_level_histogram,
                         "definition_level_histogram"));
    continue;
  }
  FIELDS_END(r)
  (void)seen;
  return PARQ_OK;
}

static parq_status dec_column_metadata(rd *r, parq_arena *a, pq_column_metadata *m) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) {
    size_t at = pq_tr_pos(r);
    PARQ_TRY(pq_tr_i32(r, &m->type));
    if (m->type < PQ_BOOLEAN || m->type > PQ_FIXED_LEN_BYTE_ARRAY)
      return parq_err_set(r->err, PARQ_ECORRUPT,
                          "thrift: ColumnMetaData has invalid physical type %d at byte %zu",
                          m->type, at);
    continue;
  }
  ON(2, PQ_TT_LIST) {
    PARQ_TRY(rd_i32_list(r, a, &m->encodings, &m->n_encodings, "encodings"));
    continue;
  }
  ON(3, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_BINARY, &m->n_path, "path_in_schema"));
    PARQ_TRY(rd_alloc(r, a, m->n_path, sizeof *m->path_in_schema, (void **)&m->path_in_schema,
                      "path elements"));
    for (uint32_t i = 0; i < m->n_path; i++) PARQ_TRY(pq_tr_string(r, a, &m->path_in_schema[i]));
    continue;
  }
  ON(4, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &m->codec)); continue; }
  ON(5, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &m->num_values));
    NONNEG(r, m->num_values, "ColumnMetaData.num_values");
    continue;
  }
  ON(6, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &m->total_uncompressed_size));
    NONNEG(r, m->total_uncompressed_size, "ColumnMetaData.total_uncompressed_size");
    continue;
  }
  ON(7, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &m->total_compressed_size));
    NONNEG(r, m->total_compressed_size, "ColumnMetaData.total_compressed_size");
    continue;
  }
  ON(8, PQ_TT_LIST) { PARQ_TRY(dec_kv_list(r, a, &m->kv, &m->n_kv)); continue; }
  ON(9, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &m->data_page_offset));
    NONNEG(r, m->data_page_offset, "ColumnMetaData.data_page_offset");
    continue;
  }
  ON(10, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &m->index_page_offset));
    m->has_index_page_offset = true;
    continue;
  }
  ON(11, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &m->dictionary_page_offset));
    NONNEG(r, m->dictionary_page_offset, "ColumnMetaData.dictionary_page_offset");
    m->has_dictionary_page_offset = true;
    continue;
  }
  ON(12, PQ_TT_STRUCT) {
    PARQ_TRY(dec_statistics(r, &m->statistics));
    m->has_statistics = true;
    continue;
  }
  ON(13, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_STRUCT, &m->n_encoding_stats, "encoding_stats"));
    PARQ_TRY(rd_alloc(r, a, m->n_encoding_stats, sizeof *m->encoding_stats,
                      (void **)&m->encoding_stats, "encoding stats"));
    for (uint32_t i = 0; i < m->n_encoding_stats; i++)
      PARQ_TRY(dec_page_encoding_stats(r, &m->encoding_stats[i]));
    continue;
  }
  ON(14, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &m->bloom_filter_offset));
    NONNEG(r, m->bloom_filter_offset, "ColumnMetaData.bloom_filter_offset");
    m->has_bloom_filter_offset = true;
    continue;
  }
  ON(15, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &m->bloom_filter_length));
    NONNEG(r, m->bloom_filter_length, "ColumnMetaData.bloom_filter_length");
    m->has_bloom_filter_length = true;
    continue;
  }
  ON(16, PQ_TT_STRUCT) {
    PARQ_TRY(dec_size_statistics(r, a, &m->size_statistics));
    m->has_size_statistics = true;
    continue;
  }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(9),
          "ColumnMetaData");
  return PARQ_OK;
}

static parq_status dec_column_chunk(rd *r, parq_arena *a, pq_column_chunk *c) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_BINARY) { PARQ_TRY(pq_tr_string(r, a, &c->file_path)); continue; }
  ON(2, PQ_TT_I64) { PARQ_TRY(pq_tr_i64(r, &c->file_offset)); continue; }
  ON(3, PQ_TT_STRUCT) {
    PARQ_TRY(dec_column_metadata(r, a, &c->meta_data));
    c->has_meta_data = true;
    continue;
  }
  ON(4, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &c->offset_index_offset));
    NONNEG(r, c->offset_index_offset, "ColumnChunk.offset_index_offset");
    continue;
  }
  ON(5, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &c->offset_index_length));
    NONNEG(r, c->offset_index_length, "ColumnChunk.offset_index_length");
    continue;
  }
  ON(6, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &c->column_index_offset));
    NONNEG(r, c->column_index_offset, "ColumnChunk.column_index_offset");
    continue;
  }
  ON(7, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &c->column_index_length));
    NONNEG(r, c->column_index_length, "ColumnChunk.column_index_length");
    continue;
  }
  ON(8, PQ_TT_STRUCT) { c->has_crypto_metadata = true; break; }          /* skipped below */
  ON(9, PQ_TT_BINARY) { c->has_encrypted_column_metadata = true; break; } /* skipped below */
  FIELDS_END(r)
  /* file_offset (2) is required by the IDL but deprecated and omitted by some
   * writers; it defaults to 0, so its absence is not an error. An index is
   * usable only when both its offset and its length are present. */
  c->has_offset_index = (seen & (BIT(4) | BIT(5))) == (BIT(4) | BIT(5));
  c->has_column_index = (seen & (BIT(6) | BIT(7))) == (BIT(6) | BIT(7));
  return PARQ_OK;
}

static parq_status dec_sorting_column(rd *r, pq_sorting_column *s) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &s->column_idx));
    NONNEG(r, s->column_idx, "SortingColumn.column_idx");
    continue;
  }
  ON_BOOL(2) { s->descending = BOOL_VALUE; continue; }
  ON_BOOL(3) { s->nulls_first = BOOL_VALUE; continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3), "SortingColumn");
  return PARQ_OK;
}

static parq_status dec_row_group(rd *r, parq_arena *a, pq_row_group *g) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_STRUCT, &g->n_columns, "RowGroup.columns"));
    PARQ_TRY(rd_alloc(r, a, g->n_columns, sizeof *g->columns, (void **)&g->columns,
                      "column chunks"));
    for (uint32_t i = 0; i < g->n_columns; i++) PARQ_TRY(dec_column_chunk(r, a, &g->columns[i]));
    continue;
  }
  ON(2, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &g->total_byte_size));
    NONNEG(r, g->total_byte_size, "RowGroup.total_byte_size");
    continue;
  }
  ON(3, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &g->num_rows));
    NONNEG(r, g->num_rows, "RowGroup.num_rows");
    continue;
  }
  ON(4, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_STRUCT, &g->n_sorting_columns, "sorting_columns"));
    PARQ_TRY(rd_alloc(r, a, g->n_sorting_columns, sizeof *g->sorting_columns,
                      (void **)&g->sorting_columns, "sorting columns"));
    for (uint32_t i = 0; i < g->n_sorting_columns; i++)
      PARQ_TRY(dec_sorting_column(r, &g->sorting_columns[i]));
    continue;
  }
  ON(5, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &g->file_offset));
    NONNEG(r, g->file_offset, "RowGroup.file_offset");
    g->has_file_offset = true;
    continue;
  }
  ON(6, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &g->total_compressed_size));
    NONNEG(r, g->total_compressed_size, "RowGroup.total_compressed_size");
    g->has_total_compressed_size = true;
    continue;
  }
  ON(7, PQ_TT_I16) { PARQ_TRY(pq_tr_i16(r, &g->ordinal)); g->has_ordinal = true; continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3), "RowGroup");
  return PARQ_OK;
}

/* ColumnOrder union: the member id (1 TYPE_ORDER, 2 IEEE_754_TOTAL_ORDER,
 * 3 INT96_TIMESTAMP_ORDER); 0 when the member is unknown. */
static parq_status dec_column_order(rd *r, int32_t *order) {
  *order = 0;
  FIELDS_BEGIN(r)
  case 1: case 2: case 3:
    if (t_ == PQ_TT_STRUCT) *order = id_;
    break;
  FIELDS_END(r)
  (void)seen;
  return PARQ_OK;
}

static parq_status dec_file_metadata(rd *r, parq_arena *a, pq_file_metadata *m) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &m->version)); continue; }
  ON(2, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_STRUCT, &m->n_schema, "schema"));
    PARQ_TRY(rd_alloc(r, a, m->n_schema, sizeof *m->schema, (void **)&m->schema,
                      "schema elements"));
    for (uint32_t i = 0; i < m->n_schema; i++) PARQ_TRY(dec_schema_element(r, a, &m->schema[i]));
    continue;
  }
  ON(3, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &m->num_rows));
    NONNEG(r, m->num_rows, "FileMetaData.num_rows");
    continue;
  }
  ON(4, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_STRUCT, &m->n_row_groups, "row_groups"));
    PARQ_TRY(rd_alloc(r, a, m->n_row_groups, sizeof *m->row_groups, (void **)&m->row_groups,
                      "row groups"));
    for (uint32_t i = 0; i < m->n_row_groups; i++)
      PARQ_TRY(dec_row_group(r, a, &m->row_groups[i]));
    continue;
  }
  ON(5, PQ_TT_LIST) { PARQ_TRY(dec_kv_list(r, a, &m->kv, &m->n_kv)); continue; }
  ON(6, PQ_TT_BINARY) { PARQ_TRY(pq_tr_string(r, a, &m->created_by)); continue; }
  ON(7, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_STRUCT, &m->n_column_orders, "column_orders"));
    PARQ_TRY(rd_alloc(r, a, m->n_column_orders, sizeof *m->column_orders,
                      (void **)&m->column_orders, "column orders"));
    for (uint32_t i = 0; i < m->n_column_orders; i++)
      PARQ_TRY(dec_column_order(r, &m->column_orders[i]));
    continue;
  }
  ON(8, PQ_TT_STRUCT) { m->has_encryption_algorithm = true; break; } /* skipped below */
  FIELDS_END(r)
  REQUIRE(r, BIT(2) | BIT(3) | BIT(4), "FileMetaData");
  return PARQ_OK;
}

static parq_status dec_data_page_header(rd *r, pq_data_page_header *h) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->num_values));
    NONNEG(r, h->num_values, "DataPageHeader.num_values");
    continue;
  }
  ON(2, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &h->encoding)); continue; }
  ON(3, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &h->definition_level_encoding)); continue; }
  ON(4, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &h->repetition_level_encoding)); continue; }
  ON(5, PQ_TT_STRUCT) {
    PARQ_TRY(dec_statistics(r, &h->statistics));
    h->has_statistics = true;
    continue;
  }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3) | BIT(4), "DataPageHeader");
  return PARQ_OK;
}

static parq_status dec_dictionary_page_header(rd *r, pq_dictionary_page_header *h) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->num_values));
    NONNEG(r, h->num_values, "DictionaryPageHeader.num_values");
    continue;
  }
  ON(2, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &h->encoding)); continue; }
  ON_BOOL(3) { h->has_is_sorted = true; h->is_sorted = BOOL_VALUE; continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2), "DictionaryPageHeader");
  return PARQ_OK;
}

static parq_status dec_data_page_header_v2(rd *r, pq_data_page_header_v2 *h) {
  h->is_compressed = true; /* IDL default */
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->num_values));
    NONNEG(r, h->num_values, "DataPageHeaderV2.num_values");
    continue;
  }
  ON(2, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->num_nulls));
    NONNEG(r, h->num_nulls, "DataPageHeaderV2.num_nulls");
    continue;
  }
  ON(3, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->num_rows));
    NONNEG(r, h->num_rows, "DataPageHeaderV2.num_rows");
    continue;
  }
  ON(4, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &h->encoding)); continue; }
  ON(5, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->definition_levels_byte_length));
    NONNEG(r, h->definition_levels_byte_length, "DataPageHeaderV2.definition_levels_byte_length");
    continue;
  }
  ON(6, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->repetition_levels_byte_length));
    NONNEG(r, h->repetition_levels_byte_length, "DataPageHeaderV2.repetition_levels_byte_length");
    continue;
  }
  ON_BOOL(7) { h->is_compressed = BOOL_VALUE; continue; }
  ON(8, PQ_TT_STRUCT) {
    PARQ_TRY(dec_statistics(r, &h->statistics));
    h->has_statistics = true;
    continue;
  }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6), "DataPageHeaderV2");
  return PARQ_OK;
}

static parq_status dec_page_header(rd *r, pq_page_header *h) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &h->type)); continue; }
  ON(2, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->uncompressed_page_size));
    NONNEG(r, h->uncompressed_page_size, "PageHeader.uncompressed_page_size");
    continue;
  }
  ON(3, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->compressed_page_size));
    NONNEG(r, h->compressed_page_size, "PageHeader.compressed_page_size");
    continue;
  }
  ON(4, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &h->crc)); h->has_crc = true; continue; }
  ON(5, PQ_TT_STRUCT) {
    PARQ_TRY(dec_data_page_header(r, &h->data_page_header));
    h->has_data_page_header = true;
    continue;
  }
  ON(7, PQ_TT_STRUCT) {
    PARQ_TRY(dec_dictionary_page_header(r, &h->dictionary_page_header));
    h->has_dictionary_page_header = true;
    continue;
  }
  ON(8, PQ_TT_STRUCT) {
    PARQ_TRY(dec_data_page_header_v2(r, &h->data_page_header_v2));
    h->has_data_page_header_v2 = true;
    continue;
  }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3), "PageHeader");
  return PARQ_OK;
}

static parq_status dec_bytes_list(rd *r, parq_arena *a, pq_bytes **out, uint32_t *n,
                                  const char *what) {
  PARQ_TRY(rd_list(r, PQ_TT_BINARY, n, what));
  PARQ_TRY(rd_alloc(r, a, *n, sizeof **out, (void **)out, what));
  for (uint32_t i = 0; i < *n; i++) PARQ_TRY(rd_bytes(r, &(*out)[i]));
  return PARQ_OK;
}

static parq_status dec_column_index(rd *r, parq_arena *a, pq_column_index *ci) {
  uint32_t n_min = 0, n_max = 0, n_nulls = 0;
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_TRUE, &ci->n_pages, "null_pages"));
    PARQ_TRY(rd_alloc(r, a, ci->n_pages, sizeof *ci->null_pages, (void **)&ci->null_pages,
                      "null_pages"));
    for (uint32_t i = 0; i < ci->n_pages; i++) PARQ_TRY(pq_tr_bool_elem(r, &ci->null_pages[i]));
    continue;
  }
  ON(2, PQ_TT_LIST) {
    PARQ_TRY(dec_bytes_list(r, a, &ci->min_values, &n_min, "min_values"));
    continue;
  }
  ON(3, PQ_TT_LIST) {
    PARQ_TRY(dec_bytes_list(r, a, &ci->max_values, &n_max, "max_values"));
    continue;
  }
  ON(4, PQ_TT_I32) { PARQ_TRY(pq_tr_i32(r, &ci->boundary_order)); continue; }
  ON(5, PQ_TT_LIST) {
    PARQ_TRY(rd_i64_list(r, a, &ci->null_counts, &n_nulls, "null_counts"));
    ci->has_null_counts = true;
    continue;
  }
  ON(6, PQ_TT_LIST) {
    PARQ_TRY(rd_i64_list(r, a, &ci->repetition_level_histograms,
                         &ci->n_repetition_level_histograms, "repetition_level_histograms"));
    continue;
  }
  ON(7, PQ_TT_LIST) {
    PARQ_TRY(rd_i64_list(r, a, &ci->definition_level_histograms,
                         &ci->n_definition_level_histograms, "definition_level_histograms"));
    continue;
  }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3) | BIT(4), "ColumnIndex");
  /* The struct has one page count: every per-page list must agree with it. */
  if (n_min != ci->n_pages || n_max != ci->n_pages ||
      (ci->has_null_counts && n_nulls != ci->n_pages))
    return parq_err_set(r->err, PARQ_ECORRUPT,
                        "thrift: ColumnIndex list lengths disagree (null_pages %u, min_values %u, "
                        "max_values %u, null_counts %u)",
                        ci->n_pages, n_min, n_max, n_nulls);
  return PARQ_OK;
}

static parq_status dec_page_location(rd *r, pq_page_location *l) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &l->offset));
    NONNEG(r, l->offset, "PageLocation.offset");
    continue;
  }
  ON(2, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &l->compressed_page_size));
    NONNEG(r, l->compressed_page_size, "PageLocation.compressed_page_size");
    continue;
  }
  ON(3, PQ_TT_I64) {
    PARQ_TRY(pq_tr_i64(r, &l->first_row_index));
    NONNEG(r, l->first_row_index, "PageLocation.first_row_index");
    continue;
  }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3), "PageLocation");
  return PARQ_OK;
}

static parq_status dec_offset_index(rd *r, parq_arena *a, pq_offset_index *oi) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_LIST) {
    PARQ_TRY(rd_list(r, PQ_TT_STRUCT, &oi->n_pages, "page_locations"));
    PARQ_TRY(rd_alloc(r, a, oi->n_pages, sizeof *oi->page_locations,
                      (void **)&oi->page_locations, "page locations"));
    for (uint32_t i = 0; i < oi->n_pages; i++)
      PARQ_TRY(dec_page_location(r, &oi->page_locations[i]));
    continue;
  }
  ON(2, PQ_TT_LIST) {
    PARQ_TRY(rd_i64_list(r, a, &oi->unencoded_byte_array_data_bytes, &oi->n_unencoded,
                         "unencoded_byte_array_data_bytes"));
    continue;
  }
  FIELDS_END(r)
  REQUIRE(r, BIT(1), "OffsetIndex");
  return PARQ_OK;
}

/* Bloom filter unions (algorithm / hash / compression): the member id. */
static parq_status dec_union_id(rd *r, int32_t *out) {
  FIELDS_BEGIN(r)
  default:
    if (t_ == PQ_TT_STRUCT) *out = id_;
    break;
  FIELDS_END(r)
  (void)seen;
  return PARQ_OK;
}

static parq_status dec_bloom_filter_header(rd *r, pq_bloom_filter_header *h) {
  FIELDS_BEGIN(r)
  ON(1, PQ_TT_I32) {
    PARQ_TRY(pq_tr_i32(r, &h->num_bytes));
    NONNEG(r, h->num_bytes, "BloomFilterHeader.numBytes");
    continue;
  }
  ON(2, PQ_TT_STRUCT) { PARQ_TRY(dec_union_id(r, &h->algorithm)); continue; }
  ON(3, PQ_TT_STRUCT) { PARQ_TRY(dec_union_id(r, &h->hash)); continue; }
  ON(4, PQ_TT_STRUCT) { PARQ_TRY(dec_union_id(r, &h->compression)); continue; }
  FIELDS_END(r)
  REQUIRE(r, BIT(1) | BIT(2) | BIT(3) | BIT(4), "BloomFilterHeader");
  return PARQ_OK;
}

/* ---- Public decoders ---- */

parq_status pq_decode_file_metadata(const uint8_t *data, size_t len, parq_arena *arena,
                                    pq_file_metadata *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  rd r;
  pq_tr_init(&r, data, len, err);
  return dec_file_metadata(&r, arena, out);
}

parq_status pq_decode_page_header(const uint8_t *data, size_t len, parq_arena *arena,
                                  pq_page_header *out, size_t *consumed, parq_error *err) {
  (void)arena; /* page headers need no allocation: byte strings point into data */
  memset(out, 0, sizeof *out);
  rd r;
  pq_tr_init(&r, data, len, err);
  PARQ_TRY(dec_page_header(&r, out));
  if (consumed) *consumed = pq_tr_pos(&r);
  return PARQ_OK;
}

parq_status pq_decode_column_index(const uint8_t *data, size_t len, parq_arena *arena,
                                   pq_column_index *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  rd r;
  pq_tr_init(&r, data, len, err);
  return dec_column_index(&r, arena, out);
}

parq_status pq_decode_offset_index(const uint8_t *data, size_t len, parq_arena *arena,
                                   pq_offset_index *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  rd r;
  pq_tr_init(&r, data, len, err);
  return dec_offset_index(&r, arena, out);
}

parq_status pq_decode_bloom_filter_header(const uint8_t *data, size_t len,
                                          pq_bloom_filter_header *out, size_t *consumed,
                                          parq_error *err) {
  memset(out, 0, sizeof *out);
  rd r;
  pq_tr_init(&r, data, len, err);
  PARQ_TRY(dec_bloom_filter_header(&r, out));
  if (consumed) *consumed = pq_tr_pos(&r);
  return PARQ_OK;
}

/* ---- Encoders ---- */

typedef pq_thrift_writer wr;

static void fail(wr *w, parq_status st) {
  if (!w->st) w->st = st;
}

static void enc_string(wr *w, const char *s) {
  if (!s) {
    fail(w, PARQ_EINVAL); /* a required string was not set */
    return;
  }
  pq_tw_binary(w, s, strlen(s));
}

static void enc_statistics(wr *w, const pq_statistics *s) {
  int16_t last = 0;
  if (s->has_max) pq_tw_field_binary(w, &last, 1, s->max.ptr, s->max.len);
  if (s->has_min) pq_tw_field_binary(w, &last, 2, s->min.ptr, s->min.len);
  if (s->has_null_count) pq_tw_field_i64(w, &last, 3, s->null_count);
  if (s->has_distinct_count) pq_tw_field_i64(w, &last, 4, s->distinct_count);
  if (s->has_max_value) pq_tw_field_binary(w, &last, 5, s->max_value.ptr, s->max_value.len);
  if (s->has_min_value) pq_tw_field_binary(w, &last, 6, s->min_value.ptr, s->min_value.len);
  if (s->has_is_max_value_exact) pq_tw_field_bool(w, &last, 7, s->is_max_value_exact);
  if (s->has_is_min_value_exact) pq_tw_field_bool(w, &last, 8, s->is_min_value_exact);
  if (s->has_nan_count) pq_tw_field_i64(w, &last, 9, s->nan_count);
  pq_tw_stop(w);
}

static void enc_logical_type(wr *w, const pq_logical_type *lt) {
  int16_t last = 0;
  int16_t inner = 0;
  switch (lt->kind) {
  case PQ_LT_DECIMAL:
    pq_tw_field(w, &last, PQ_TT_STRUCT, PQ_LT_DECIMAL);
    pq_tw_field_i32(w, &inner, 1, lt->scale);
    pq_tw_field_i32(w, &inner, 2, lt->precision);
    pq_tw_stop(w);
    break;
  case PQ_LT_TIME:
  case PQ_LT_TIMESTAMP: {
    if (lt->unit < PQ_UNIT_MILLIS || lt->unit > PQ_UNIT_NANOS) {
      fail(w, PARQ_EINVAL);
      return;
    }
    pq_tw_field(w, &last, PQ_TT_STRUCT, (int16_t)lt->kind);
    pq_tw_field_bool(w, &inner, 1, lt->is_adjusted_to_utc);
    pq_tw_field(w, &inner, PQ_TT_STRUCT, 2);
    int16_t unit_last = 0;
    pq_tw_field_empty_struct(w, &unit_last, (int16_t)lt->unit);
    pq_tw_stop(w); /* TimeUnit */
    pq_tw_stop(w); /* TimeType / TimestampType */
    break;
  }
  case PQ_LT_INTEGER:
    pq_tw_field(w, &last, PQ_TT_STRUCT, PQ_LT_INTEGER);
    pq_tw_field_i8(w, &inner, 1, lt->bit_width);
    pq_tw_field_bool(w, &inner, 2, lt->is_signed);
    pq_tw_stop(w);
    break;
  case PQ_LT_STRING: case PQ_LT_MAP: case PQ_LT_LIST: case PQ_LT_ENUM: case PQ_LT_DATE:
  case PQ_LT_UNKNOWN: case PQ_LT_JSON: case PQ_LT_BSON: case PQ_LT_UUID: case PQ_LT_FLOAT16:
  case PQ_LT_VARIANT: case PQ_LT_GEOMETRY: case PQ_LT_GEOGRAPHY:
    pq_tw_field_empty_struct(w, &last, (int16_t)lt->kind);
    break;
  default:
    fail(w, PARQ_EINVAL); /* NONE/OTHER are filtered by the caller */
    return;
  }
  pq_tw_stop(w);
}

static void enc_schema_element(wr *w, const pq_schema_element *e) {
  int16_t last = 0;
  if (e->has_type) pq_tw_field_i32(w, &last, 1, e->type);
  if (e->has_type_length) pq_tw_field_i32(w, &last, 2, e->type_length);
  if (e->has_repetition) pq_tw_field_i32(w, &last, 3, e->repetition);
  pq_tw_field(w, &last, PQ_TT_BINARY, 4);
  enc_string(w, e->name);
  if (e->has_num_children) pq_tw_field_i32(w, &last, 5, e->num_children);
  if (e->converted_type != PQ_CT_NONE) pq_tw_field_i32(w, &last, 6, e->converted_type);
  if (e->has_scale) pq_tw_field_i32(w, &last, 7, e->scale);
  if (e->has_precision) pq_tw_field_i32(w, &last, 8, e->precision);
  if (e->has_field_id) pq_tw_field_i32(w, &last, 9, e->field_id);
  /* An annotation we could not decode (OTHER) has no bytes to write back. */
  if (e->logical.kind != PQ_LT_NONE && e->logical.kind != PQ_LT_OTHER) {
    pq_tw_field(w, &last, PQ_TT_STRUCT, 10);
    enc_logical_type(w, &e->logical);
  }
  pq_tw_stop(w);
}

static void enc_kv_list(wr *w, int16_t *last, int16_t id, const pq_key_value *kv, uint32_t n) {
  pq_tw_field_list(w, last, id, PQ_TT_STRUCT, n);
  for (uint32_t i = 0; i < n; i++) {
    int16_t l = 0;
    pq_tw_field(w, &l, PQ_TT_BINARY, 1);
    enc_string(w, kv[i].key);
    if (kv[i].has_value) {
      pq_tw_field(w, &l, PQ_TT_BINARY, 2);
      enc_string(w, kv[i].value);
    }
    pq_tw_stop(w);
  }
}

static void enc_i64_list(wr *w, int16_t *last, int16_t id, const int64_t *v, uint32_t n) {
  pq_tw_field_list(w, last, id, PQ_TT_I64, n);
  for (uint32_t i = 0; i < n; i++) pq_tw_i64(w, v[i]);
}

static void enc_size_statistics(wr *w, const pq_size_statistics *s) {
  int16_t last = 0;
  if (s->has_unencoded_byte_array_data_bytes)
    pq_tw_field_i64(w, &last, 1, s->unencoded_byte_array_data_bytes);
  if (s->repetition_level_histogram)
    enc_i64_list(w, &last, 2, s->repetition_level_histogram, s->n_repetition_level_histogram);
  if (s->definition_level_histogram)
    enc_i64_list(w, &last, 3, s->definition_level_histogram, s->n_definition_level_histogram);
  pq_tw_stop(w);
}

static void enc_column_metadata(wr *w, const pq_column_metadata *m) {
  int16_t last = 0;
  pq_tw_field_i32(w, &last, 1, m->type);
  pq_tw_field_list(w, &last, 2, PQ_TT_I32, m->n_encodings);
  for (uint32_t i = 0; i < m->n_encodings; i++) pq_tw_i32(w, m->encodings[i]);
  pq_tw_field_list(w, &last, 3, PQ_TT_BINARY, m->n_path);
  for (uint32_t i = 0; i < m->n_path; i++) enc_string(w, m->path_in_schema[i]);
  pq_tw_field_i32(w, &last, 4, m->codec);
  pq_tw_field_i64(w, &last, 5, m->num_values);
  pq_tw_field_i64(w, &last, 6, m->total_uncompressed_size);
  pq_tw_field_i64(w, &last, 7, m->total_compressed_size);
  if (m->kv) enc_kv_list(w, &last, 8, m->kv, m->n_kv);
  pq_tw_field_i64(w, &last, 9, m->data_page_offset);
  if (m->has_index_page_offset) pq_tw_field_i64(w, &last, 10, m->index_page_offset);
  if (m->has_dictionary_page_offset) pq_tw_field_i64(w, &last, 11, m->dictionary_page_offset);
  if (m->has_statistics) {
    pq_tw_field(w, &last, PQ_TT_STRUCT, 12);
    enc_statistics(w, &m->statistics);
  }
  if (m->encoding_stats) {
    pq_tw_field_list(w, &last, 13, PQ_TT_STRUCT, m->n_encoding_stats);
    for (uint32_t i = 0; i < m->n_encoding_stats; i++) {
      int16_t l = 0;
      pq_tw_field_i32(w, &l, 1, m->encoding_stats[i].page_type);
      pq_tw_field_i32(w, &l, 2, m->encoding_stats[i].encoding);
      pq_tw_field_i32(w, &l, 3, m->encoding_stats[i].count);
      pq_tw_stop(w);
    }
  }
  if (m->has_bloom_filter_offset) pq_tw_field_i64(w, &last, 14, m->bloom_filter_offset);
  if (m->has_bloom_filter_length) pq_tw_field_i32(w, &last, 15, m->bloom_filter_length);
  if (m->has_size_statistics) {
    pq_tw_field(w, &last, PQ_TT_STRUCT, 16);
    enc_size_statistics(w, &m->size_statistics);
  }
  pq_tw_stop(w);
}

/* crypto_metadata (8) and encrypted_column_metadata (9) are only flags after
 * decoding; parq does not write encrypted files, so they are never encoded. */
static void enc_column_chunk(wr *w, const pq_column_chunk *c) {
  int16_t last = 0;
  if (c->file_path) {
    pq_tw_field(w, &last, PQ_TT_BINARY, 1);
    enc_string(w, c->file_path);
  }
  pq_tw_field_i64(w, &last, 2, c->file_offset);
  if (c->has_meta_data) {
    pq_tw_field(w, &last, PQ_TT_STRUCT, 3);
    enc_column_metadata(w, &c->meta_data);
  }
  if (c->has_offset_index) {
    pq_tw_field_i64(w, &last, 4, c->offset_index_offset);
    pq_tw_field_i32(w, &last, 5, c->offset_index_length);
  }
  if (c->has_column_index) {
    pq_tw_field_i64(w, &last, 6, c->column_index_offset);
    pq_tw_field_i32(w, &last, 7, c->column_index_length);
  }
  pq_tw_stop(w);
}

static void enc_row_group(wr *w, const pq_row_group *g) {
  int16_t last = 0;
  pq_tw_field_list(w, &last, 1, PQ_TT_STRUCT, g->n_columns);
  for (uint32_t i = 0; i < g->n_columns; i++) enc_column_chunk(w, &g->columns[i]);
  pq_tw_field_i64(w, &last, 2, g->total_byte_size);
  pq_tw_field_i64(w, &last, 3, g->num_rows);
  if (g->sorting_columns) {
    pq_tw_field_list(w, &last, 4, PQ_TT_STRUCT, g->n_sorting_columns);
    for (uint32_t i = 0; i < g->n_sorting_columns; i++) {
      int16_t l = 0;
      pq_tw_field_i32(w, &l, 1, g->sorting_columns[i].column_idx);
      pq_tw_field_bool(w, &l, 2, g->sorting_columns[i].descending);
      pq_tw_field_bool(w, &l, 3, g->sorting_columns[i].nulls_first);
      pq_tw_stop(w);
    }
  }
  if (g->has_file_offset) pq_tw_field_i64(w, &last, 5, g->file_offset);
  if (g->has_total_compressed_size) pq_tw_field_i64(w, &last, 6, g->total_compressed_size);
  if (g->has_ordinal) pq_tw_field_i16(w, &last, 7, g->ordinal);
  pq_tw_stop(w);
}

parq_status pq_encode_file_metadata(const pq_file_metadata *m, parq_buf *out) {
  wr w;
  pq_tw_init(&w, out);
  int16_t last = 0;
  pq_tw_field_i32(&w, &last, 1, m->version);
  pq_tw_field_list(&w, &last, 2, PQ_TT_STRUCT, m->n_schema);
  for (uint32_t i = 0; i < m->n_schema; i++) enc_schema_element(&w, &m->schema[i]);
  pq_tw_field_i64(&w, &last, 3, m->num_rows);
  pq_tw_field_list(&w, &last, 4, PQ_TT_STRUCT, m->n_row_groups);
  for (uint32_t i = 0; i < m->n_row_groups; i++) enc_row_group(&w, &m->row_groups[i]);
  if (m->kv) enc_kv_list(&w, &last, 5, m->kv, m->n_kv);
  if (m->created_by) {
    pq_tw_field(&w, &last, PQ_TT_BINARY, 6);
    enc_string(&w, m->created_by);
  }
  if (m->column_orders) {
    pq_tw_field_list(&w, &last, 7, PQ_TT_STRUCT, m->n_column_orders);
    for (uint32_t i = 0; i < m->n_column_orders; i++) {
      int32_t o = m->column_orders[i];
      if (o < 1 || o > 3) fail(&w, PARQ_EINVAL);
      int16_t l = 0;
      pq_tw_field_empty_struct(&w, &l, (int16_t)o);
      pq_tw_stop(&w);
    }
  }
  /* encryption_algorithm (8): see enc_column_chunk — never written. */
  pq_tw_stop(&w);
  return w.st;
}

parq_status pq_encode_page_header(const pq_page_header *h, parq_buf *out) {
  wr w;
  pq_tw_init(&w, out);
  int16_t last = 0;
  pq_tw_field_i32(&w, &last, 1, h->type);
  pq_tw_field_i32(&w, &last, 2, h->uncompressed_page_size);
  pq_tw_field_i32(&w, &last, 3, h->compressed_page_size);
  if (h->has_crc) pq_tw_field_i32(&w, &last, 4, h->crc);
  if (h->has_data_page_header) {
    const pq_data_page_header *d = &h->data_page_header;
    int16_t l = 0;
    pq_tw_field(&w, &last, PQ_TT_STRUCT, 5);
    pq_tw_field_i32(&w, &l, 1, d->num_values);
    pq_tw_field_i32(&w, &l, 2, d->encoding);
    pq_tw_field_i32(&w, &l, 3, d->definition_level_encoding);
    pq_tw_field_i32(&w, &l, 4, d->repetition_level_encoding);
    if (d->has_statistics) {
      pq_tw_field(&w, &l, PQ_TT_STRUCT, 5);
      enc_statistics(&w, &d->statistics);
    }
    pq_tw_stop(&w);
  }
  if (h->has_dictionary_page_header) {
    const pq_dictionary_page_header *d = &h->dictionary_page_header;
    int16_t l = 0;
    pq_tw_field(&w, &last, PQ_TT_STRUCT, 7);
    pq_tw_field_i32(&w, &l, 1, d->num_values);
    pq_tw_field_i32(&w, &l, 2, d->encoding);
    if (d->has_is_sorted) pq_tw_field_bool(&w, &l, 3, d->is_sorted);
    pq_tw_stop(&w);
  }
  if (h->has_data_page_header_v2) {
    const pq_data_page_header_v2 *d = &h->data_page_header_v2;
    int16_t l = 0;
    pq_tw_field(&w, &last, PQ_TT_STRUCT, 8);
    pq_tw_field_i32(&w, &l, 1, d->num_values);
    pq_tw_field_i32(&w, &l, 2, d->num_nulls);
    pq_tw_field_i32(&w, &l, 3, d->num_rows);
    pq_tw_field_i32(&w, &l, 4, d->encoding);
    pq_tw_field_i32(&w, &l, 5, d->definition_levels_byte_length);
    pq_tw_field_i32(&w, &l, 6, d->repetition_levels_byte_length);
    /* Always explicit: some readers ignore the IDL default of true. */
    pq_tw_field_bool(&w, &l, 7, d->is_compressed);
    if (d->has_statistics) {
      pq_tw_field(&w, &l, PQ_TT_STRUCT, 8);
      enc_statistics(&w, &d->statistics);
    }
    pq_tw_stop(&w);
  }
  pq_tw_stop(&w);
  return w.st;
}

parq_status pq_encode_column_index(const pq_column_index *ci, parq_buf *out) {
  wr w;
  pq_tw_init(&w, out);
  int16_t last = 0;
  uint32_t n = ci->n_pages;
  pq_tw_field_list(&w, &last, 1, PQ_TT_TRUE, n);
  for (uint32_t i = 0; i < n; i++) pq_tw_bool_elem(&w, ci->null_pages[i]);
  pq_tw_field_list(&w, &last, 2, PQ_TT_BINARY, n);
  for (uint32_t i = 0; i < n; i++) pq_tw_binary(&w, ci->min_values[i].ptr, ci->min_values[i].len);
  pq_tw_field_list(&w, &last, 3, PQ_TT_BINARY, n);
  for (uint32_t i = 0; i < n; i++) pq_tw_binary(&w, ci->max_values[i].ptr, ci->max_values[i].len);
  pq_tw_field_i32(&w, &last, 4, ci->boundary_order);
  if (ci->has_null_counts) enc_i64_list(&w, &last, 5, ci->null_counts, n);
  if (ci->repetition_level_histograms)
    enc_i64_list(&w, &last, 6, ci->repetition_level_histograms, ci->n_repetition_level_histograms);
  if (ci->definition_level_histograms)
    enc_i64_list(&w, &last, 7, ci->definition_level_histograms, ci->n_definition_level_histograms);
  pq_tw_stop(&w);
  return w.st;
}

parq_status pq_encode_offset_index(const pq_offset_index *oi, parq_buf *out) {
  wr w;
  pq_tw_init(&w, out);
  int16_t last = 0;
  pq_tw_field_list(&w, &last, 1, PQ_TT_STRUCT, oi->n_pages);
  for (uint32_t i = 0; i < oi->n_pages; i++) {
    const pq_page_location *p = &oi->page_locations[i];
    int16_t l = 0;
    pq_tw_field_i64(&w, &l, 1, p->offset);
    pq_tw_field_i32(&w, &l, 2, p->compressed_page_size);
    pq_tw_field_i64(&w, &l, 3, p->first_row_index);
    pq_tw_stop(&w);
  }
  if (oi->unencoded_byte_array_data_bytes)
    enc_i64_list(&w, &last, 2, oi->unencoded_byte_array_data_bytes, oi->n_unencoded);
  pq_tw_stop(&w);
  return w.st;
}

/* One union field whose member (an empty struct) is `member`. */
static void enc_union_member(wr *w, int16_t *last, int16_t id, int32_t member) {
  if (member < 1 || member > INT16_MAX) {
    fail(w, PARQ_EINVAL);
    return;
  }
  pq_tw_field(w, last, PQ_TT_STRUCT, id);
  int16_t l = 0;
  pq_tw_field_empty_struct(w, &l, (int16_t)member);
  pq_tw_stop(w);
}

parq_status pq_encode_bloom_filter_header(const pq_bloom_filter_header *h, parq_buf *out) {
  wr w;
  pq_tw_init(&w, out);
  int16_t last = 0;
  pq_tw_field_i32(&w, &last, 1, h->num_bytes);
  enc_union_member(&w, &last, 2, h->algorithm);
  enc_union_member(&w, &last, 3, h->hash);
  enc_union_member(&w, &last, 4, h->compression);
  pq_tw_stop(&w);
  return w.st;
}
