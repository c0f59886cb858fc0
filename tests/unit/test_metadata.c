/* test_metadata.c — Thrift compact protocol and Parquet metadata codec:
 * primitive encodings, skipping of unknown fields, hand-built round trips of
 * every structure, the footers of the whole conformance corpus, and fuzzing
 * of a real footer (truncation and byte flips must fail cleanly). */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#include "format/metadata.h"
#include "format/thrift.h"
#include "test.h"
#include "util/arena.h"
#include "util/buf.h"

/* ---------- helpers ---------- */

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
  if (p && n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return p;
}

/* Footer of a whole file in memory: NULL if not a plaintext-footer Parquet file. */
static const uint8_t *footer_of(const uint8_t *file, size_t len, size_t *flen) {
  if (len < 12 || memcmp(file + len - 4, "PAR1", 4)) return NULL;
  const uint8_t *t = file + len - 8;
  uint32_t n = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
  if (n > len - 12) return NULL;
  *flen = n;
  return t - n;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) { /* xorshift64*: deterministic across runs */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

/* ---------- thrift primitives ---------- */

TEST(thrift_varint_zigzag) {
  parq_buf b = PARQ_BUF_INIT;
  pq_thrift_writer w;
  pq_tw_init(&w, &b);
  const int64_t v64[] = {0, 1, -1, 63, -64, 64, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
  const int32_t v32[] = {0, 1, -1, 127, -128, INT32_MAX, INT32_MIN};
  for (size_t i = 0; i < sizeof v64 / sizeof *v64; i++) pq_tw_i64(&w, v64[i]);
  for (size_t i = 0; i < sizeof v32 / sizeof *v32; i++) pq_tw_i32(&w, v32[i]);
  CHECK(w.st == PARQ_OK);
  /* zigzag(-1) = 1, zigzag(1) = 2: the first bytes are fixed by the spec. */
  CHECK(b.data[0] == 0 && b.data[1] == 2 && b.data[2] == 1);
  pq_thrift_reader r;
  parq_error e = {0};
  pq_tr_init(&r, b.data, b.len, &e);
  for (size_t i = 0; i < sizeof v64 / sizeof *v64; i++) {
    int64_t x = 0;
    CHECK(pq_tr_i64(&r, &x) == PARQ_OK && x == v64[i]);
  }
  for (size_t i = 0; i < sizeof v32 / sizeof *v32; i++) {
    int32_t x = 0;
    CHECK(pq_tr_i32(&r, &x) == PARQ_OK && x == v32[i]);
  }
  CHECK(pq_tr_left(&r) == 0);
  /* An i32 that does not fit, a truncated varint, an 11-byte varint. */
  const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
  int32_t x32;
  pq_tr_init(&r, big, sizeof big, &e);
  CHECK(pq_tr_i32(&r, &x32) == PARQ_ECORRUPT);
  const uint8_t trunc[] = {0x80, 0x80};
  uint64_t u;
  pq_tr_init(&r, trunc, sizeof trunc, &e);
  CHECK(pq_tr_varint(&r, &u) == PARQ_ECORRUPT);
  CHECK(strstr(e.message, "truncated") != NULL);
  uint8_t longv[11];
  memset(longv, 0x80, sizeof longv);
  longv[10] = 0;
  pq_tr_init(&r, longv, sizeof longv, &e);
  CHECK(pq_tr_varint(&r, &u) == PARQ_ECORRUPT);
  parq_buf_free(&b);
}

TEST(thrift_fields_lists_skip) {
  parq_buf b = PARQ_BUF_INIT;
  pq_thrift_writer w;
  pq_tw_init(&w, &b);
  int16_t last = 0;
  pq_tw_field_i32(&w, &last, 1, 42);              /* short form */
  pq_tw_field_i64(&w, &last, 100, -5);            /* long form: delta > 15 */
  pq_tw_field_bool(&w, &last, 101, true);         /* bool in the type nibble */
  pq_tw_field_bool(&w, &last, 102, false);
  pq_tw_field_list(&w, &last, 103, PQ_TT_I32, 20); /* long list header */
  for (int i = 0; i < 20; i++) pq_tw_i32(&w, i * 1000);
  pq_tw_field_list(&w, &last, 104, PQ_TT_TRUE, 3);
  pq_tw_bool_elem(&w, true);
  pq_tw_bool_elem(&w, false);
  pq_tw_bool_elem(&w, true);
  /* Nested struct containing a list of structs and a map, written by hand. */
  pq_tw_field(&w, &last, PQ_TT_STRUCT, 105);
  {
    int16_t l2 = 0;
    pq_tw_field_list(&w, &l2, 1, PQ_TT_STRUCT, 2);
    for (int i = 0; i < 2; i++) {
      int16_t l3 = 0;
      pq_tw_field_binary(&w, &l3, 1, "abc", 3);
      pq_tw_field(&w, &l3, PQ_TT_DOUBLE, 2);
      parq_buf_append(&b, "\0\0\0\0\0\0\xf0\x3f", 8);
      pq_tw_stop(&w);
    }
    pq_tw_field(&w, &l2, PQ_TT_MAP, 2);
    pq_tw_varint(&w, 2);
    parq_buf_append_byte(&b, PQ_TT_BINARY << 4 | PQ_TT_TRUE); /* map<string,bool> */
    pq_tw_binary(&w, "k", 1);
    pq_tw_bool_elem(&w, true);
    pq_tw_binary(&w, "k2", 2);
    pq_tw_bool_elem(&w, false);
    pq_tw_field(&w, &l2, PQ_TT_MAP, 3); /* empty map: a single 0 byte */
    pq_tw_varint(&w, 0);
    pq_tw_field(&w, &l2, PQ_TT_SET, 4);
    pq_tw_list(&w, PQ_TT_I16, 1);
    pq_tw_i32(&w, -3);
    pq_tw_field_i8(&w, &l2, 5, -7);
    pq_tw_field(&w, &l2, PQ_TT_UUID, 6);
    parq_buf_append(&b, "0123456789abcdef", 16);
    pq_tw_stop(&w);
  }
  pq_tw_field_i32(&w, &last, 3, 7); /* going backwards: long form */
  pq_tw_stop(&w);
  CHECK(w.st == PARQ_OK);

  /* Read back: check a few, skip the rest. */
  pq_thrift_reader r;
  parq_error e = {0};
  pq_tr_init(&r, b.data, b.len, &e);
  CHECK(pq_tr_struct_begin(&r) == PARQ_OK);
  int16_t lid = 0, id;
  uint8_t t;
  int seen = 0;
  for (;;) {
    CHECK(pq_tr_field(&r, &lid, &t, &id) == PARQ_OK);
    if (t == PQ_TT_STOP) break;
    seen++;
    if (id == 1) {
      int32_t v = 0;
      CHECK(t == PQ_TT_I32 && pq_tr_i32(&r, &v) == PARQ_OK && v == 42);
    } else if (id == 100) {
      int64_t v = 0;
      CHECK(t == PQ_TT_I64 && pq_tr_i64(&r, &v) == PARQ_OK && v == -5);
    } else if (id == 101) {
      CHECK(t == PQ_TT_TRUE);
    } else if (id == 102) {
      CHECK(t == PQ_TT_FALSE);
    } else if (id == 103) {
      uint8_t et;
      uint32_t n;
      CHECK(pq_tr_list(&r, &et, &n) == PARQ_OK && et == PQ_TT_I32 && n == 20);
      for (uint32_t i = 0; i < n; i++) {
        int32_t v = 0;
        CHECK(pq_tr_i32(&r, &v) == PARQ_OK && v == (int32_t)i * 1000);
      }
    } else if (id == 104) {
      uint8_t et;
      uint32_t n;
      bool bv[3];
      CHECK(pq_tr_list(&r, &et, &n) == PARQ_OK && et == PQ_TT_TRUE && n == 3);
      for (int i = 0; i < 3; i++) CHECK(pq_tr_bool_elem(&r, &bv[i]) == PARQ_OK);
      CHECK(bv[0] && !bv[1] && bv[2]);
    } else if (id == 3) {
      int32_t v = 0;
      CHECK(t == PQ_TT_I32 && pq_tr_i32(&r, &v) == PARQ_OK && v == 7);
    } else {
      CHECK(id == 105);
      CHECK(pq_tr_skip(&r, t) == PARQ_OK);
    }
  }
  pq_tr_struct_end(&r);
  CHECK(seen == 8);
  CHECK(pq_tr_left(&r) == 0 && r.depth == 0);
  /* Skipping the whole thing as one struct consumes exactly all bytes. */
  pq_tr_init(&r, b.data, b.len, &e);
  CHECK(pq_tr_skip(&r, PQ_TT_STRUCT) == PARQ_OK && pq_tr_left(&r) == 0);
  /* Every proper prefix fails to skip. */
  for (size_t n = 0; n < b.len; n++) {
    pq_tr_init(&r, b.data, n, &e);
    CHECK(pq_tr_skip(&r, PQ_TT_STRUCT) == PARQ_ECORRUPT);
  }
  parq_buf_free(&b);
}

TEST(thrift_depth_limit) {
  /* 200 nested structs (field 1 of type struct) then stops: too deep. */
  uint8_t deep[600];
  size_t n = 0;
  for (int i = 0; i < 200; i++) deep[n++] = 0x1c;
  for (int i = 0; i < 201; i++) deep[n++] = 0;
  pq_thrift_reader r;
  parq_error e = {0};
  pq_tr_init(&r, deep, n, &e);
  CHECK(pq_tr_skip(&r, PQ_TT_STRUCT) == PARQ_ECORRUPT);
  CHECK(strstr(e.message, "nesting") != NULL);
  /* Nested lists count too: list<list<list<...>>> 200 deep. */
  n = 0;
  for (int i = 0; i < 200; i++) deep[n++] = 0x19; /* 1 element of type list */
  deep[n++] = 0;                                 /* innermost: empty list */
  pq_tr_init(&r, deep, n, &e);
  CHECK(pq_tr_skip(&r, PQ_TT_LIST) == PARQ_ECORRUPT);
  /* 30 levels is fine. */
  n = 0;
  for (int i = 0; i < 30; i++) deep[n++] = 0x1c;
  for (int i = 0; i < 31; i++) deep[n++] = 0;
  pq_tr_init(&r, deep, n, &e);
  CHECK(pq_tr_skip(&r, PQ_TT_STRUCT) == PARQ_OK && pq_tr_left(&r) == 0);
  /* The metadata decoder applies the limit to unknown fields as well. */
  uint8_t fm[700];
  n = 0;
  fm[n++] = 0xfc; /* field 15 (unknown), struct */
  for (int i = 0; i < 200; i++) fm[n++] = 0x1c;
  for (int i = 0; i < 202; i++) fm[n++] = 0;
  parq_arena a = PARQ_ARENA_INIT;
  pq_file_metadata m;
  CHECK(pq_decode_file_metadata(fm, n, &a, &m, &e) == PARQ_ECORRUPT);
  parq_arena_free(&a);
}

TEST(thrift_hostile_sizes) {
  pq_thrift_reader r;
  parq_error e = {0};
  uint8_t et;
  uint32_t n;
  /* list claiming 2^32-1 elements with 2 bytes left */
  const uint8_t l1[] = {0xf5, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0};
  pq_tr_init(&r, l1, sizeof l1, &e);
  CHECK(pq_tr_list(&r, &et, &n) == PARQ_ECORRUPT);
  /* binary longer than the input */
  const uint8_t b1[] = {0x10, 'a', 'b'};
  const uint8_t *p;
  pq_tr_init(&r, b1, sizeof b1, &e);
  CHECK(pq_tr_binary(&r, &p, &n) == PARQ_ECORRUPT);
  /* map claiming many entries */
  const uint8_t m1[] = {0xff, 0xff, 0x03, 0x55, 0, 0};
  pq_tr_init(&r, m1, sizeof m1, &e);
  CHECK(pq_tr_skip(&r, PQ_TT_MAP) == PARQ_ECORRUPT);
  /* invalid field type 14 */
  const uint8_t f1[] = {0x1e, 0};
  pq_tr_init(&r, f1, sizeof f1, &e);
  CHECK(pq_tr_skip(&r, PQ_TT_STRUCT) == PARQ_ECORRUPT);
  /* FileMetaData with a schema list of 1000 elements but 3 bytes left */
  const uint8_t fm[] = {0x29, 0xfc, 0xe8, 0x07, 0, 0, 0};
  parq_arena a = PARQ_ARENA_INIT;
  pq_file_metadata md;
  CHECK(pq_decode_file_metadata(fm, sizeof fm, &a, &md, &e) == PARQ_ECORRUPT);
  /* Empty input and a lone stop: required fields missing. */
  CHECK(pq_decode_file_metadata(fm, 0, &a, &md, &e) == PARQ_ECORRUPT);
  const uint8_t stop = 0;
  CHECK(pq_decode_file_metadata(&stop, 1, &a, &md, &e) == PARQ_ECORRUPT);
  CHECK(strstr(e.message, "FileMetaData") && strstr(e.message, "required"));
  parq_arena_free(&a);
}

/* ---------- hand-built FileMetaData round trip ---------- */

static const uint8_t stat_bytes[] = {1, 2, 3, 4, 5, 6, 7, 8};

static void fill_stats(pq_statistics *s, int k) {
  s->has_max = s->has_min = s->has_max_value = s->has_min_value = true;
  s->max = (pq_bytes){stat_bytes, 4};
  s->min = (pq_bytes){stat_bytes + 1, 3};
  s->max_value = (pq_bytes){stat_bytes + 2, 6};
  s->min_value = (pq_bytes){stat_bytes, 0}; /* empty but present */
  s->has_null_count = true;
  s->null_count = 10 + k;
  s->has_distinct_count = true;
  s->distinct_count = 1000000000000LL + k;
  s->has_is_max_value_exact = true;
  s->is_max_value_exact = true;
  s->has_is_min_value_exact = true;
  s->is_min_value_exact = false;
  s->has_nan_count = true;
  s->nan_count = 3;
}

static bool bytes_eq(pq_bytes a, pq_bytes b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool stats_eq(const pq_statistics *a, const pq_statistics *b) {
  return a->has_max == b->has_max && a->has_min == b->has_min && bytes_eq(a->max, b->max) &&
         bytes_eq(a->min, b->min) && a->has_null_count == b->has_null_count &&
         a->null_count == b->null_count && a->has_distinct_count == b->has_distinct_count &&
         a->distinct_count == b->distinct_count && a->has_max_value == b->has_max_value &&
         a->has_min_value == b->has_min_value && bytes_eq(a->max_value, b->max_value) &&
         bytes_eq(a->min_value, b->min_value) &&
         a->has_is_max_value_exact == b->has_is_max_value_exact &&
         a->is_max_value_exact == b->is_max_value_exact &&
         a->has_is_min_value_exact == b->has_is_min_value_exact &&
         a->is_min_value_exact == b->is_min_value_exact && a->has_nan_count == b->has_nan_count &&
         a->nan_count == b->nan_count;
}

static bool str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

static bool lt_eq(const pq_logical_type *a, const pq_logical_type *b) {
  /* An unknown annotation has nothing to encode: it comes back absent. */
  if (a->kind == PQ_LT_OTHER && b->kind == PQ_LT_NONE) return true;
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case PQ_LT_DECIMAL: return a->scale == b->scale && a->precision == b->precision;
  case PQ_LT_TIME:
  case PQ_LT_TIMESTAMP: return a->is_adjusted_to_utc == b->is_adjusted_to_utc && a->unit == b->unit;
  case PQ_LT_INTEGER: return a->bit_width == b->bit_width && a->is_signed == b->is_signed;
  default: return true;
  }
}

static bool se_eq(const pq_schema_element *a, const pq_schema_element *b) {
  return a->has_type == b->has_type && (!a->has_type || a->type == b->type) &&
         a->has_type_length == b->has_type_length &&
         (!a->has_type_length || a->type_length == b->type_length) &&
         a->has_repetition == b->has_repetition &&
         (!a->has_repetition || a->repetition == b->repetition) && str_eq(a->name, b->name) &&
         a->has_num_children == b->has_num_children &&
         (!a->has_num_children || a->num_children == b->num_children) &&
         a->converted_type == b->converted_type && a->has_scale == b->has_scale &&
         (!a->has_scale || a->scale == b->scale) && a->has_precision == b->has_precision &&
         (!a->has_precision || a->precision == b->precision) &&
         a->has_field_id == b->has_field_id && (!a->has_field_id || a->field_id == b->field_id) &&
         lt_eq(&a->logical, &b->logical);
}

static bool kv_eq(const pq_key_value *a, const pq_key_value *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (!str_eq(a[i].key, b[i].key) || a[i].has_value != b[i].has_value ||
        (a[i].has_value && !str_eq(a[i].value, b[i].value)))
      return false;
  return true;
}

static bool i64s_eq(const int64_t *a, const int64_t *b, uint32_t n) {
  return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static bool cmd_eq(const pq_column_metadata *a, const pq_column_metadata *b) {
  if (a->type != b->type || a->n_encodings != b->n_encodings || a->n_path != b->n_path ||
      a->codec != b->codec || a->num_values != b->num_values ||
      a->total_uncompressed_size != b->total_uncompressed_size ||
      a->total_compressed_size != b->total_compressed_size || a->n_kv != b->n_kv ||
      a->data_page_offset != b->data_page_offset ||
      a->has_index_page_offset != b->has_index_page_offset ||
      a->index_page_offset != b->index_page_offset ||
      a->has_dictionary_page_offset != b->has_dictionary_page_offset ||
      a->dictionary_page_offset != b->dictionary_page_offset ||
      a->has_statistics != b->has_statistics || a->n_encoding_stats != b->n_encoding_stats ||
      a->has_bloom_filter_offset != b->has_bloom_filter_offset ||
      a->bloom_filter_offset != b->bloom_filter_offset ||
      a->has_bloom_filter_length != b->has_bloom_filter_length ||
      a->bloom_filter_length != b->bloom_filter_length ||
      a->has_size_statistics != b->has_size_statistics)
    return false;
  for (uint32_t i = 0; i < a->n_encodings; i++)
    if (a->encodings[i] != b->encodings[i]) return false;
  for (uint32_t i = 0; i < a->n_path; i++)
    if (!str_eq(a->path_in_schema[i], b->path_in_schema[i])) return false;
  if (!kv_eq(a->kv, b->kv, a->n_kv)) return false;
  if (a->has_statistics && !stats_eq(&a->statistics, &b->statistics)) return false;
  for (uint32_t i = 0; i < a->n_encoding_stats; i++)
    if (a->encoding_stats[i].page_type != b->encoding_stats[i].page_type ||
        a->encoding_stats[i].encoding != b->encoding_stats[i].encoding ||
        a->encoding_stats[i].count != b->encoding_stats[i].count)
      return false;
  if (a->has_size_statistics) {
    const pq_size_statistics *x = &a->size_statistics, *y = &b->size_statistics;
    if (x->has_unencoded_byte_array_data_bytes != y->has_unencoded_byte_array_data_bytes ||
        x->unencoded_byte_array_data_bytes != y->unencoded_byte_array_data_bytes ||
        x->n_repetition_level_histogram != y->n_repetition_level_histogram ||
        x->n_definition_level_histogram != y->n_definition_level_histogram ||
        !i64s_eq(x->repetition_level_histogram, y->repetition_level_histogram,
                 x->n_repetition_level_histogram) ||
        !i64s_eq(x->definition_level_histogram, y->definition_level_histogram,
                 x->n_definition_level_histogram))
      return false;
  }
  return true;
}

static bool cc_eq(const pq_column_chunk *a, const pq_column_chunk *b) {
  return str_eq(a->file_path, b->file_path) && a->file_offset == b->file_offset &&
         a->has_meta_data == b->has_meta_data &&
         (!a->has_meta_data || cmd_eq(&a->meta_data, &b->meta_data)) &&
         a->has_offset_index == b->has_offset_index &&
         (!a->has_offset_index || (a->offset_index_offset == b->offset_index_offset &&
                                   a->offset_index_length == b->offset_index_length)) &&
         a->has_column_index == b->has_column_index &&
         (!a->has_column_index || (a->column_index_offset == b->column_index_offset &&
                                   a->column_index_length == b->column_index_length));
}

static bool rg_eq(const pq_row_group *a, const pq_row_group *b) {
  if (a->n_columns != b->n_columns || a->total_byte_size != b->total_byte_size ||
      a->num_rows != b->num_rows || a->n_sorting_columns != b->n_sorting_columns ||
      a->has_file_offset != b->has_file_offset || a->file_offset != b->file_offset ||
      a->has_total_compressed_size != b->has_total_compressed_size ||
      a->total_compressed_size != b->total_compressed_size || a->has_ordinal != b->has_ordinal ||
      a->ordinal != b->ordinal)
    return false;
  for (uint32_t i = 0; i < a->n_columns; i++)
    if (!cc_eq(&a->columns[i], &b->columns[i])) return false;
  for (uint32_t i = 0; i < a->n_sorting_columns; i++)
    if (a->sorting_columns[i].column_idx != b->sorting_columns[i].column_idx ||
        a->sorting_columns[i].descending != b->sorting_columns[i].descending ||
        a->sorting_columns[i].nulls_first != b->sorting_columns[i].nulls_first)
      return false;
  return true;
}

static bool fmd_eq(const pq_file_metadata *a, const pq_file_metadata *b) {
  if (a->version != b->version || a->n_schema != b->n_schema || a->num_rows != b->num_rows ||
      a->n_row_groups != b->n_row_groups || a->n_kv != b->n_kv ||
      !str_eq(a->created_by, b->created_by) || a->n_column_orders != b->n_column_orders)
    return false;
  for (uint32_t i = 0; i < a->n_schema; i++)
    if (!se_eq(&a->schema[i], &b->schema[i])) return false;
  for (uint32_t i = 0; i < a->n_row_groups; i++)
    if (!rg_eq(&a->row_groups[i], &b->row_groups[i])) return false;
  if (!kv_eq(a->kv, b->kv, a->n_kv)) return false;
  for (uint32_t i = 0; i < a->n_column_orders; i++)
    if (a->column_orders[i] != b->column_orders[i]) return false;
  return true;
}

TEST(file_metadata_roundtrip) {
  pq_schema_element schema[8];
  memset(schema, 0, sizeof schema);
  for (int i = 0; i < 8; i++) schema[i].converted_type = PQ_CT_NONE;
  schema[0] = (pq_schema_element){.name = "root", .has_num_children = true, .num_children = 7,
                                  .converted_type = PQ_CT_NONE};
  const pq_logical_type lts[7] = {
      {.kind = PQ_LT_STRING},
      {.kind = PQ_LT_DECIMAL, .scale = 2, .precision = 9},
      {.kind = PQ_LT_TIMESTAMP, .is_adjusted_to_utc = true, .unit = PQ_UNIT_NANOS},
      {.kind = PQ_LT_TIME, .is_adjusted_to_utc = false, .unit = PQ_UNIT_MILLIS},
      {.kind = PQ_LT_INTEGER, .bit_width = 16, .is_signed = false},
      {.kind = PQ_LT_UUID},
      {.kind = PQ_LT_NONE}};
  const char *names[7] = {"s", "dec", "ts", "t", "u16", "uuid", "plain"};
  for (int i = 1; i < 8; i++) {
    pq_schema_element *e = &schema[i];
    e->name = names[i - 1];
    e->has_type = true;
    e->type = i == 6 ? PQ_FIXED_LEN_BYTE_ARRAY : PQ_INT64;
    e->has_repetition = true;
    e->repetition = i % 3;
    e->logical = lts[i - 1];
  }
  schema[6].has_type_length = true;
  schema[6].type_length = 16;
  schema[2].converted_type = PQ_CT_DECIMAL;
  schema[2].has_scale = schema[2].has_precision = true;
  schema[2].scale = 2;
  schema[2].precision = 9;
  schema[7].has_field_id = true;
  schema[7].field_id = -17;

  int32_t encs[3] = {0, 3, 8};
  const char *path[2] = {"a", "b\xc3\xa9"};
  pq_key_value ckv[2] = {{"ck", "cv", true}, {"only-key", NULL, false}};
  pq_page_encoding_stats es[2] = {{0, 8, 5}, {2, 0, 1}};
  int64_t rep_h[2] = {5, 6}, def_h[3] = {1, 2, 3};
  pq_column_chunk cols[2];
  memset(cols, 0, sizeof cols);
  for (int i = 0; i < 2; i++) {
    pq_column_chunk *c = &cols[i];
    c->file_offset = 4 + i;
    c->has_meta_data = true;
    pq_column_metadata *m = &c->meta_data;
    m->type = PQ_INT64;
    m->encodings = encs;
    m->n_encodings = 3;
    m->path_in_schema = path;
    m->n_path = 2;
    m->codec = 6;
    m->num_values = 1000 + i;
    m->total_uncompressed_size = 1 << 20;
    m->total_compressed_size = 1 << 19;
    m->data_page_offset = 100;
    if (i == 0) {
      c->file_path = "other.parquet";
      c->has_offset_index = true;
      c->offset_index_offset = 5000;
      c->offset_index_length = 77;
      c->has_column_index = true;
      c->column_index_offset = 6000;
      c->column_index_length = 88;
      m->kv = ckv;
      m->n_kv = 2;
      m->has_index_page_offset = true;
      m->index_page_offset = 50;
      m->has_dictionary_page_offset = true;
      m->dictionary_page_offset = 4;
      m->has_statistics = true;
      fill_stats(&m->statistics, i);
      m->encoding_stats = es;
      m->n_encoding_stats = 2;
      m->has_bloom_filter_offset = true;
      m->bloom_filter_offset = 7000;
      m->has_bloom_filter_length = true;
      m->bloom_filter_length = 1040;
      m->has_size_statistics = true;
      m->size_statistics = (pq_size_statistics){true, 1234, rep_h, 2, def_h, 3};
    }
  }
  pq_sorting_column sc[2] = {{1, true, false}, {0, false, true}};
  pq_row_group rgs[2];
  memset(rgs, 0, sizeof rgs);
  rgs[0] = (pq_row_group){cols, 2, 99999, 1000, sc, 2, true, 4, true, 88888, true, 0};
  rgs[1] = (pq_row_group){cols + 1, 1, 5, 3000000000LL, NULL, 0, false, 0, false, 0, true, 1};
  pq_key_value kv[3] = {{"k1", "v1", true}, {"k2", "", true}, {"k3", NULL, false}};
  int32_t orders[7] = {1, 1, 2, 1, 3, 1, 1};
  pq_file_metadata m = {.version = 2,
                        .schema = schema,
                        .n_schema = 8,
                        .num_rows = 3000001000LL,
                        .row_groups = rgs,
                        .n_row_groups = 2,
                        .kv = kv,
                        .n_kv = 3,
                        .created_by = "parq test",
                        .column_orders = orders,
                        .n_column_orders = 7};
  parq_buf b = PARQ_BUF_INIT;
  CHECK(pq_encode_file_metadata(&m, &b) == PARQ_OK);
  parq_arena a = PARQ_ARENA_INIT;
  parq_error e = {0};
  pq_file_metadata d;
  CHECK(pq_decode_file_metadata(b.data, b.len, &a, &d, &e) == PARQ_OK);
  CHECK(fmd_eq(&m, &d));
  CHECK(d.row_groups[0].columns[0].meta_data.statistics.min_value.len == 0);
  CHECK(strcmp(d.row_groups[0].columns[0].meta_data.path_in_schema[1], "b\xc3\xa9") == 0);
  CHECK(!d.row_groups[0].columns[0].has_crypto_metadata && !d.has_encryption_algorithm);
  /* Encoding the decoded struct reproduces the bytes exactly. */
  parq_buf b2 = PARQ_BUF_INIT;
  CHECK(pq_encode_file_metadata(&d, &b2) == PARQ_OK);
  CHECK(b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0);
  /* Missing required string: the encoder refuses. */
  schema[3].name = NULL;
  parq_buf_clear(&b2);
  CHECK(pq_encode_file_metadata(&m, &b2) == PARQ_EINVAL);
  parq_buf_free(&b);
  parq_buf_free(&b2);
  parq_arena_free(&a);
}

/* Unknown fields everywhere, an unknown LogicalType member and the encryption
 * markers: all must be skipped or flagged. Bytes built by hand. */
TEST(file_metadata_unknown_fields) {
  parq_buf b = PARQ_BUF_INIT;
  pq_thrift_writer w;
  pq_tw_init(&w, &b);
  int16_t l = 0, l2, l3, l4;
  pq_tw_field_i32(&w, &l, 1, 1);
  pq_tw_field_list(&w, &l, 2, PQ_TT_STRUCT, 2);
  l2 = 0; /* root */
  pq_tw_field_binary(&w, &l2, 4, "schema", 6);
  pq_tw_field_i32(&w, &l2, 5, 1);
  pq_tw_field_i32(&w, &l2, 11, 3); /* vector_length: newer than this code */
  pq_tw_stop(&w);
  l2 = 0; /* leaf with LogicalType id 50 (unknown) */
  pq_tw_field_i32(&w, &l2, 1, PQ_BYTE_ARRAY);
  pq_tw_field_i32(&w, &l2, 3, PQ_OPTIONAL);
  pq_tw_field_binary(&w, &l2, 4, "x", 1);
  pq_tw_field(&w, &l2, PQ_TT_STRUCT, 10);
  l3 = 0;
  pq_tw_field(&w, &l3, PQ_TT_STRUCT, 50);
  l4 = 0;
  pq_tw_field_binary(&w, &l4, 1, "future", 6);
  pq_tw_stop(&w);
  pq_tw_stop(&w);
  pq_tw_field(&w, &l2, PQ_TT_STRUCT, 200); /* unknown struct field */
  pq_tw_stop(&w);
  pq_tw_stop(&w);
  pq_tw_field_i64(&w, &l, 3, 0);
  pq_tw_field_list(&w, &l, 4, PQ_TT_STRUCT, 1);
  l2 = 0; /* RowGroup */
  pq_tw_field_list(&w, &l2, 1, PQ_TT_STRUCT, 1);
  l3 = 0; /* ColumnChunk: encrypted, no meta_data */
  pq_tw_field_i64(&w, &l3, 2, 0);
  pq_tw_field(&w, &l3, PQ_TT_STRUCT, 8);
  l4 = 0;
  pq_tw_field(&w, &l4, PQ_TT_STRUCT, 2);
  int16_t l5 = 0;
  pq_tw_field_list(&w, &l5, 1, PQ_TT_BINARY, 1);
  pq_tw_binary(&w, "x", 1);
  pq_tw_stop(&w);
  pq_tw_stop(&w);
  pq_tw_field_binary(&w, &l3, 9, "secret", 6);
  pq_tw_field_list(&w, &l3, 40, PQ_TT_LIST, 1); /* unknown list<list<i64>> */
  pq_tw_list(&w, PQ_TT_I64, 2);
  pq_tw_i64(&w, 1);
  pq_tw_i64(&w, 2);
  pq_tw_stop(&w);
  pq_tw_field_i64(&w, &l2, 2, 0);
  pq_tw_field_i64(&w, &l2, 3, 0);
  pq_tw_stop(&w);
  pq_tw_field(&w, &l, PQ_TT_STRUCT, 8); /* encryption_algorithm: AES_GCM_V1 {} */
  l2 = 0;
  pq_tw_field_empty_struct(&w, &l2, 1);
  pq_tw_stop(&w);
  pq_tw_field_binary(&w, &l, 9, "keymeta", 7);
  pq_tw_field(&w, &l, PQ_TT_DOUBLE, 30);
  parq_buf_append(&b, "\0\0\0\0\0\0\0\0", 8);
  pq_tw_field_i32(&w, &l, 6, 5); /* created_by with the wrong wire type: skipped */
  pq_tw_stop(&w);
  CHECK(w.st == PARQ_OK);
  parq_arena a = PARQ_ARENA_INIT;
  parq_error e = {0};
  pq_file_metadata d;
  CHECK(pq_decode_file_metadata(b.data, b.len, &a, &d, &e) == PARQ_OK);
  if (e.code) fprintf(stderr, "  %s\n", e.message);
  CHECK(d.n_schema == 2 && strcmp(d.schema[0].name, "schema") == 0);
  CHECK(d.schema[1].logical.kind == PQ_LT_OTHER);
  CHECK(d.schema[1].has_type && d.schema[1].type == PQ_BYTE_ARRAY);
  CHECK(d.n_row_groups == 1 && d.row_groups[0].n_columns == 1);
  CHECK(d.row_groups[0].columns[0].has_crypto_metadata);
  CHECK(d.row_groups[0].columns[0].has_encrypted_column_metadata);
  CHECK(!d.row_groups[0].columns[0].has_meta_data);
  CHECK(d.has_encryption_algorithm);
  CHECK(d.created_by == NULL);
  parq_buf_free(&b);
  parq_arena_free(&a);
}

TEST(invalid_values_rejected) {
  parq_arena a = PARQ_ARENA_INIT;
  parq_error e = {0};
  pq_page_header h;
  /* PageHeader with a negative compressed size. */
  parq_buf b = PARQ_BUF_INIT;
  pq_thrift_writer w;
  pq_tw_init(&w, &b);
  int16_t l = 0;
  pq_tw_field_i32(&w, &l, 1, PQ_PAGE_DATA);
  pq_tw_field_i32(&w, &l, 2, 10);
  pq_tw_field_i32(&w, &l, 3, -1);
  pq_tw_stop(&w);
  CHECK(pq_decode_page_header(b.data, b.len, &a, &h, NULL, &e) == PARQ_ECORRUPT);
  CHECK(strstr(e.message, "compressed_page_size") != NULL);
  /* PageHeader missing compressed_page_size. */
  parq_buf_clear(&b);
  l = 0;
  pq_tw_field_i32(&w, &l, 1, PQ_PAGE_DATA);
  pq_tw_field_i32(&w, &l, 2, 10);
  pq_tw_stop(&w);
  CHECK(pq_decode_page_header(b.data, b.len, &a, &h, NULL, &e) == PARQ_ECORRUPT);
  CHECK(strstr(e.message, "PageHeader") && strstr(e.message, "field 3"));
  /* Schema with physical type -7 (PARQUET-1481 style). */
  pq_schema_element se = {.name = "x", .has_type = true, .type = -7,
                          .converted_type = PQ_CT_NONE};
  pq_row_group rg = {0};
  pq_file_metadata m = {.version = 1, .schema = &se, .n_schema = 1, .row_groups = &rg,
                        .n_row_groups = 0};
  parq_buf_clear(&b);
  CHECK(pq_encode_file_metadata(&m, &b) == PARQ_OK);
  pq_file_metadata d;
  CHECK(pq_decode_file_metadata(b.data, b.len, &a, &d, &e) == PARQ_ECORRUPT);
  CHECK(strstr(e.message, "physical type -7") != NULL);
  /* Negative num_rows. */
  se.type = PQ_INT32;
  m.num_rows = -5;
  parq_buf_clear(&b);
  CHECK(pq_encode_file_metadata(&m, &b) == PARQ_OK);
  CHECK(pq_decode_file_metadata(b.data, b.len, &a, &d, &e) == PARQ_ECORRUPT);
  parq_buf_free(&b);
  parq_arena_free(&a);
}

/* ---------- page headers and page index ---------- */

/* `b` receives the encoding and must outlive `d` (statistics point into it). */
static bool ph_roundtrip(const pq_page_header *h, pq_page_header *d, size_t *used, parq_buf *b) {
  parq_buf_clear(b);
  bool ok = pq_encode_page_header(h, b) == PARQ_OK;
  /* Trailing page bytes after the header must not be consumed. */
  ok = ok && parq_buf_append(b, "PAGEDATA", 8) == PARQ_OK;
  parq_arena a = PARQ_ARENA_INIT;
  parq_error e = {0};
  ok = ok && pq_decode_page_header(b->data, b->len, &a, d, used, &e) == PARQ_OK;
  ok = ok && *used == b->len - 8;
  parq_arena_free(&a);
  return ok;
}

TEST(page_header_roundtrips) {
  pq_page_header h, d;
  size_t used;
  parq_buf pb = PARQ_BUF_INIT;
  /* v1 data page with statistics and crc */
  memset(&h, 0, sizeof h);
  h.type = PQ_PAGE_DATA;
  h.uncompressed_page_size = 123456;
  h.compressed_page_size = 65432;
  h.has_crc = true;
  h.crc = (int32_t)0xdeadbeef;
  h.has_data_page_header = true;
  h.data_page_header = (pq_data_page_header){1000, 8, 3, 3, true, {0}};
  fill_stats(&h.data_page_header.statistics, 1);
  CHECK(ph_roundtrip(&h, &d, &used, &pb));
  CHECK(d.type == PQ_PAGE_DATA && d.uncompressed_page_size == 123456 &&
        d.compressed_page_size == 65432 && d.has_crc && d.crc == (int32_t)0xdeadbeef);
  CHECK(d.has_data_page_header && !d.has_data_page_header_v2 && !d.has_dictionary_page_header);
  CHECK(d.data_page_header.num_values == 1000 && d.data_page_header.encoding == 8 &&
        d.data_page_header.definition_level_encoding == 3 &&
        d.data_page_header.repetition_level_encoding == 3);
  CHECK(d.data_page_header.has_statistics &&
        stats_eq(&d.data_page_header.statistics, &h.data_page_header.statistics));
  /* dictionary page */
  memset(&h, 0, sizeof h);
  h.type = PQ_PAGE_DICTIONARY;
  h.uncompressed_page_size = 40;
  h.compressed_page_size = 40;
  h.has_dictionary_page_header = true;
  h.dictionary_page_header = (pq_dictionary_page_header){10, 0, true, true};
  CHECK(ph_roundtrip(&h, &d, &used, &pb));
  CHECK(d.type == PQ_PAGE_DICTIONARY && !d.has_crc && d.has_dictionary_page_header);
  CHECK(d.dictionary_page_header.num_values == 10 && d.dictionary_page_header.encoding == 0 &&
        d.dictionary_page_header.has_is_sorted && d.dictionary_page_header.is_sorted);
  /* v2 data page, is_compressed false */
  memset(&h, 0, sizeof h);
  h.type = PQ_PAGE_DATA_V2;
  h.uncompressed_page_size = 0;
  h.compressed_page_size = 0;
  h.has_data_page_header_v2 = true;
  h.data_page_header_v2 = (pq_data_page_header_v2){7, 2, 5, 0, 3, 4, false, false, {0}};
  CHECK(ph_roundtrip(&h, &d, &used, &pb));
  const pq_data_page_header_v2 *v = &d.data_page_header_v2;
  CHECK(d.has_data_page_header_v2 && v->num_values == 7 && v->num_nulls == 2 &&
        v->num_rows == 5 && v->encoding == 0 && v->definition_levels_byte_length == 3 &&
        v->repetition_levels_byte_length == 4 && !v->is_compressed && !v->has_statistics);
  /* v2 without is_compressed: defaults to true. Hand-built bytes. */
  parq_buf b = PARQ_BUF_INIT;
  pq_thrift_writer w;
  pq_tw_init(&w, &b);
  int16_t l = 0, l2 = 0;
  pq_tw_field_i32(&w, &l, 1, PQ_PAGE_DATA_V2);
  pq_tw_field_i32(&w, &l, 2, 9);
  pq_tw_field_i32(&w, &l, 3, 9);
  pq_tw_field(&w, &l, PQ_TT_STRUCT, 8);
  for (int16_t id = 1; id <= 6; id++) pq_tw_field_i32(&w, &l2, id, id);
  pq_tw_stop(&w);
  pq_tw_stop(&w);
  parq_arena a = PARQ_ARENA_INIT;
  parq_error e = {0};
  CHECK(pq_decode_page_header(b.data, b.len, &a, &d, &used, &e) == PARQ_OK);
  CHECK(used == b.len && d.data_page_header_v2.is_compressed);
  CHECK(d.data_page_header_v2.repetition_levels_byte_length == 6);
  /* Every prefix is rejected. */
  for (size_t n = 0; n < b.len; n++)
    CHECK(pq_decode_page_header(b.data, n, &a, &d, &used, &e) == PARQ_ECORRUPT);
  parq_buf_free(&b);
  parq_buf_free(&pb);
  parq_arena_free(&a);
}

TEST(page_index_roundtrips) {
  bool nulls[3] = {false, true, false};
  pq_bytes mins[3] = {{stat_bytes, 4}, {stat_bytes, 0}, {stat_bytes + 4, 4}};
  pq_bytes maxs[3] = {{stat_bytes + 1, 4}, {stat_bytes, 0}, {stat_bytes + 3, 5}};
  int64_t nc[3] = {0, 100, 2};
  int64_t rh[6] = {1, 2, 3, 4, 5, 6}, dh[3] = {7, 8, 9};
  pq_column_index ci = {nulls, 3, mins, maxs, PQ_BOUNDARY_ASCENDING, true, nc, rh, 6, dh, 3};
  parq_buf b = PARQ_BUF_INIT;
  CHECK(pq_encode_column_index(&ci, &b) == PARQ_OK);
  parq_arena a = PARQ_ARENA_INIT;
  parq_error e = {0};
  pq_column_index d;
  CHECK(pq_decode_column_index(b.data, b.len, &a, &d, &e) == PARQ_OK);
  CHECK(d.n_pages == 3 && d.boundary_order == PQ_BOUNDARY_ASCENDING && d.has_null_counts);
  for (int i = 0; i < 3; i++) {
    CHECK(d.null_pages[i] == nulls[i]);
    CHECK(bytes_eq(d.min_values[i], mins[i]) && bytes_eq(d.max_values[i], maxs[i]));
    CHECK(d.null_counts[i] == nc[i]);
  }
  CHECK(d.n_repetition_level_histograms == 6 && i64s_eq(d.repetition_level_histograms, rh, 6));
  CHECK(d.n_definition_level_histograms == 3 && i64s_eq(d.definition_level_histograms, dh, 3));
  /* Lists of different lengths are corrupt. */
  parq_buf_clear(&b);
  pq_thrift_writer w;
  pq_tw_init(&w, &b);
  int16_t l = 0;
  pq_tw_field_list(&w, &l, 1, PQ_TT_TRUE, 2);
  pq_tw_bool_elem(&w, false);
  pq_tw_bool_elem(&w, false);
  pq_tw_field_list(&w, &l, 2, PQ_TT_BINARY, 1);
  pq_tw_binary(&w, "a", 1);
  pq_tw_field_list(&w, &l, 3, PQ_TT_BINARY, 2);
  pq_tw_binary(&w, "a", 1);
  pq_tw_binary(&w, "b", 1);
  pq_tw_field_i32(&w, &l, 4, 0);
  pq_tw_stop(&w);
  CHECK(pq_decode_column_index(b.data, b.len, &a, &d, &e) == PARQ_ECORRUPT);

  pq_page_location locs[2] = {{4, 100, 0}, {104, 200, 50}};
  int64_t ub[2] = {10, 20};
  pq_offset_index oi = {locs, 2, ub, 2};
  parq_buf_clear(&b);
  CHECK(pq_encode_offset_index(&oi, &b) == PARQ_OK);
  pq_offset_index od;
  CHECK(pq_decode_offset_index(b.data, b.len, &a, &od, &e) == PARQ_OK);
  CHECK(od.n_pages == 2 && od.page_locations[1].offset == 104 &&
        od.page_locations[1].compressed_page_size == 200 &&
        od.page_locations[1].first_row_index == 50 && od.n_unencoded == 2 &&
        od.unencoded_byte_array_data_bytes[1] == 20);

  pq_bloom_filter_header bh = {1024, 1, 1, 1}, bd;
  parq_buf_clear(&b);
  CHECK(pq_encode_bloom_filter_header(&bh, &b) == PARQ_OK);
  size_t used = 0;
  CHECK(pq_decode_bloom_filter_header(b.data, b.len, &bd, &used, &e) == PARQ_OK);
  CHECK(used == b.len && bd.num_bytes == 1024 && bd.algorithm == 1 && bd.hash == 1 &&
        bd.compression == 1);
  parq_buf_free(&b);
  parq_arena_free(&a);
}

/* ---------- corpus ---------- */

typedef struct corpus_stats {
  int files, footers, exact_reencode, page_headers, column_indexes, offset_indexes;
} corpus_stats;

static int count_leaves(const pq_file_metadata *m) {
  int n = 0;
  for (uint32_t i = 0; i < m->n_schema; i++)
    if (!m->schema[i].has_num_children || m->schema[i].num_children == 0) n++;
  return n;
}

static void check_corpus_file(const char *path, const char *name, corpus_stats *st) {
  size_t len, flen;
  uint8_t *file = read_file(path, &len);
  CHECK(file != NULL);
  if (!file) return;
  st->files++;
  const uint8_t *footer = footer_of(file, len, &flen);
  if (!footer) { /* encrypted footer ("PARE") */
    free(file);
    return;
  }
  st->footers++;
  parq_arena a = PARQ_ARENA_INIT;
  parq_error e = {0};
  pq_file_metadata m;
  parq_status s = pq_decode_file_metadata(footer, flen, &a, &m, &e);
  if (s != PARQ_OK) fprintf(stderr, "  %s: %s\n", name, e.message);
  CHECK(s == PARQ_OK);
  if (s != PARQ_OK) goto out;
  CHECK(m.n_schema > 0);
  CHECK(m.schema[0].name != NULL);
  int64_t rows = 0;
  for (uint32_t g = 0; g < m.n_row_groups; g++) {
    const pq_row_group *rg = &m.row_groups[g];
    rows += rg->num_rows;
    for (uint32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_chunk *cc = &rg->columns[c];
      if (!cc->has_meta_data) continue;
      const pq_column_metadata *md = &cc->meta_data;
      CHECK(md->n_path > 0);
      /* The first page header of the chunk must decode. */
      int64_t start = md->data_page_offset;
      if (md->has_dictionary_page_offset && md->dictionary_page_offset > 0 &&
          md->dictionary_page_offset < start)
        start = md->dictionary_page_offset;
      if (md->num_values > 0 && start >= 4 && (size_t)start < len) {
        pq_page_header h;
        size_t used = 0;
        s = pq_decode_page_header(file + start, len - (size_t)start, &a, &h, &used, &e);
        if (s != PARQ_OK) fprintf(stderr, "  %s: page at %lld: %s\n", name, (long long)start,
                                  e.message);
        CHECK(s == PARQ_OK);
        CHECK(h.has_data_page_header || h.has_data_page_header_v2 ||
              h.has_dictionary_page_header);
        st->page_headers++;
      }
      if (cc->has_column_index &&
          cc->column_index_offset + cc->column_index_length <= (int64_t)len) {
        pq_column_index ci;
        s = pq_decode_column_index(file + cc->column_index_offset, (size_t)cc->column_index_length,
                                   &a, &ci, &e);
        if (s != PARQ_OK) fprintf(stderr, "  %s: column index: %s\n", name, e.message);
        CHECK(s == PARQ_OK);
        st->column_indexes++;
      }
      if (cc->has_offset_index &&
          cc->offset_index_offset + cc->offset_index_length <= (int64_t)len) {
        pq_offset_index oi;
        s = pq_decode_offset_index(file + cc->offset_index_offset, (size_t)cc->offset_index_length,
                                   &a, &oi, &e);
        if (s != PARQ_OK) fprintf(stderr, "  %s: offset index: %s\n", name, e.message);
        CHECK(s == PARQ_OK);
        CHECK(oi.n_pages > 0);
        st->offset_indexes++;
      }
    }
  }
  /* repeated_no_annotation.parquet is known to have num_rows = 0 in its footer. */
  if (strcmp(name, "repeated_no_annotation.parquet") == 0)
    CHECK(m.num_rows == 0 && rows == 6);
  else
    CHECK(rows == m.num_rows);
  /* Re-encode and decode again: same structure. Count byte-exact re-encodes. */
  parq_buf b = PARQ_BUF_INIT;
  CHECK(pq_encode_file_metadata(&m, &b) == PARQ_OK);
  pq_file_metadata m2;
  CHECK(pq_decode_file_metadata(b.data, b.len, &a, &m2, &e) == PARQ_OK);
  if (!fmd_eq(&m, &m2)) fprintf(stderr, "  %s: re-encoded footer differs\n", name);
  CHECK(fmd_eq(&m, &m2));
  if (b.len == flen && memcmp(b.data, footer, flen) == 0) st->exact_reencode++;
  else if (getenv("PARQ_TEST_VERBOSE")) fprintf(stderr, "  %s: re-encode not byte-exact\n", name);
  parq_buf_free(&b);

  if (strcmp(name, "alltypes_plain.parquet") == 0) {
    CHECK(m.n_schema == 12 && count_leaves(&m) == 11);
    CHECK(m.num_rows == 8 && m.n_row_groups == 1 && m.row_groups[0].n_columns == 11);
    CHECK(m.version == 1);
    CHECK(m.created_by && strncmp(m.created_by, "impala version 1.3.0-INTERNAL", 29) == 0);
    CHECK(strcmp(m.schema[0].name, "schema") == 0 && strcmp(m.schema[1].name, "id") == 0);
    CHECK(m.schema[1].type == PQ_INT32 && m.schema[1].repetition == PQ_OPTIONAL);
    CHECK(strcmp(m.schema[11].name, "timestamp_col") == 0 && m.schema[11].type == PQ_INT96);
    CHECK(strcmp(m.schema[10].name, "string_col") == 0 && m.schema[10].type == PQ_BYTE_ARRAY);
    const pq_column_metadata *c10 = &m.row_groups[0].columns[10].meta_data;
    CHECK(c10->type == PQ_INT96 && c10->num_values == 8 && c10->codec == 0);
    CHECK(c10->n_path == 1 && strcmp(c10->path_in_schema[0], "timestamp_col") == 0);
    CHECK(c10->has_dictionary_page_offset);
  }
  if (strcmp(name, "unknown-logical-type.parquet") == 0) {
    int other = 0;
    for (uint32_t i = 0; i < m.n_schema; i++) other += m.schema[i].logical.kind == PQ_LT_OTHER;
    CHECK(other > 0);
  }
  if (strcmp(name, "sort_columns.parquet") == 0) {
    CHECK(m.n_row_groups == 2 && m.row_groups[0].n_sorting_columns > 0);
  }
  if (strcmp(name, "column_chunk_key_value_metadata.parquet") == 0) {
    CHECK(m.n_row_groups > 0 && m.row_groups[0].columns[0].meta_data.n_kv > 0);
  }
  if (strcmp(name, "data_index_bloom_encoding_with_length.parquet") == 0) {
    const pq_column_metadata *md = &m.row_groups[0].columns[0].meta_data;
    CHECK(md->has_bloom_filter_offset && md->has_bloom_filter_length);
    if (md->has_bloom_filter_offset && md->bloom_filter_offset > 0 &&
        (size_t)md->bloom_filter_offset < len) {
      pq_bloom_filter_header bh;
      size_t used;
      CHECK(pq_decode_bloom_filter_header(file + md->bloom_filter_offset,
                                          len - (size_t)md->bloom_filter_offset, &bh, &used,
                                          &e) == PARQ_OK);
      CHECK(bh.algorithm == 1 && bh.hash == 1 && bh.compression == 1 && bh.num_bytes > 0);
      CHECK((int64_t)used + bh.num_bytes == md->bloom_filter_length);
    }
  }
out:
  parq_arena_free(&a);
  free(file);
}

static void walk_corpus(const char *dir, corpus_stats *st) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    if (ent->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
    struct stat sb;
    if (stat(path, &sb)) continue;
    if (S_ISDIR(sb.st_mode)) {
      walk_corpus(path, st);
      continue;
    }
    size_t n = strlen(ent->d_name);
    if (n > 8 && strcmp(ent->d_name + n - 8, ".parquet") == 0)
      check_corpus_file(path, ent->d_name, st);
  }
  closedir(d);
}

TEST(corpus_footers) {
  const char *dir = test_corpus_dir();
  if (!dir) {
    printf("corpus_footers: skipped: corpus not found\n");
    return;
  }
  char data[4200];
  snprintf(data, sizeof data, "%s/data", dir);
  corpus_stats st = {0};
  walk_corpus(data, &st);
  CHECK(st.files >= 70);
  CHECK(st.page_headers > 100 && st.column_indexes > 0 && st.offset_indexes > 0);
  printf("corpus_footers: %d files, %d footers (%d re-encode byte-exact), %d page headers, "
         "%d column/%d offset indexes\n",
         st.files, st.footers, st.exact_reencode, st.page_headers, st.column_indexes,
         st.offset_indexes);
}

TEST(bloom_filter_bin) {
  const char *dir = test_corpus_dir();
  if (!dir) {
    printf("bloom_filter_bin: skipped: corpus not found\n");
    return;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/data/bloom_filter.xxhash.bin", dir);
  size_t len;
  uint8_t *f = read_file(path, &len);
  CHECK(f != NULL);
  if (!f) return;
  pq_bloom_filter_header h;
  size_t used;
  parq_error e = {0};
  CHECK(pq_decode_bloom_filter_header(f, len, &h, &used, &e) == PARQ_OK);
  CHECK(h.num_bytes == 1024 && h.algorithm == 1 && h.hash == 1 && h.compression == 1);
  CHECK(used + (size_t)h.num_bytes == len);
  free(f);
}

/* Decode every prefix of a real footer and ~2000 mutated copies: each must
 * return OK or an error, never crash or read out of bounds (ASan checks). */
TEST(fuzz_footer) {
  const char *dir = test_corpus_dir();
  if (!dir) {
    printf("fuzz_footer: skipped: corpus not found\n");
    return;
  }
  const char *files[] = {"alltypes_plain.parquet", "data_index_bloom_encoding_stats.parquet",
                         "nested_maps.snappy.parquet"};
  int errors = 0, oks = 0;
  for (size_t fi = 0; fi < sizeof files / sizeof *files; fi++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/data/%s", dir, files[fi]);
    size_t len, flen;
    uint8_t *file = read_file(path, &len);
    CHECK(file != NULL);
    if (!file) continue;
    const uint8_t *footer = footer_of(file, len, &flen);
    CHECK(footer != NULL);
    if (!footer) {
      free(file);
      continue;
    }
    /* Prefixes go into an exact-size heap copy so ASan sees any overread. */
    for (size_t n = 0; n < flen; n++) {
      uint8_t *copy = malloc(n ? n : 1);
      memcpy(copy, footer, n);
      parq_arena a = PARQ_ARENA_INIT;
      parq_error e = {0};
      pq_file_metadata m;
      parq_status s = pq_decode_file_metadata(copy, n, &a, &m, &e);
      CHECK(s == PARQ_ECORRUPT); /* the final stop byte is always needed */
      CHECK(s == PARQ_OK || e.message[0] != 0);
      parq_arena_free(&a);
      free(copy);
    }
    uint8_t *copy = malloc(flen);
    for (int it = 0; it < 700; it++) {
      memcpy(copy, footer, flen);
      int flips = 1 + (int)(rng() % 4);
      for (int k = 0; k < flips; k++) {
        size_t pos = (size_t)(rng() % flen);
        if (rng() % 2)
          copy[pos] ^= (uint8_t)(1u << (rng() % 8));
        else
          copy[pos] = (uint8_t)rng();
      }
      parq_arena a = PARQ_ARENA_INIT;
      a.limit = 64u << 20; /* bound memory for hostile sizes */
      parq_error e = {0};
      pq_file_metadata m;
      parq_status s = pq_decode_file_metadata(copy, flen, &a, &m, &e);
      CHECK(s == PARQ_OK || s == PARQ_ECORRUPT || s == PARQ_ENOMEM);
      if (s == PARQ_OK) {
        oks++;
        /* Whatever decoded must re-encode. */
        parq_buf b = PARQ_BUF_INIT;
        parq_status es = pq_encode_file_metadata(&m, &b);
        CHECK(es == PARQ_OK || es == PARQ_EINVAL);
        parq_buf_free(&b);
      } else {
        errors++;
      }
      parq_arena_free(&a);
    }
    free(copy);
    free(file);
  }
  printf("fuzz_footer: %d mutated footers decoded, %d rejected\n", oks, errors);
}

TEST(parquet_1481_rejected) {
  const char *dir = test_corpus_dir();
  if (!dir) {
    printf("parquet_1481_rejected: skipped: corpus not found\n");
    return;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/bad_data/PARQUET-1481.parquet", dir);
  size_t len, flen;
  uint8_t *file = read_file(path, &len);
  CHECK(file != NULL);
  if (!file) return;
  const uint8_t *footer = footer_of(file, len, &flen);
  CHECK(footer != NULL);
  if (footer) {
    parq_arena a = PARQ_ARENA_INIT;
    parq_error e = {0};
    pq_file_metadata m;
    CHECK(pq_decode_file_metadata(footer, flen, &a, &m, &e) == PARQ_ECORRUPT);
    CHECK(strstr(e.message, "physical type") != NULL);
    parq_arena_free(&a);
  }
  free(file);
}

int main(void) {
  RUN(thrift_varint_zigzag);
  RUN(thrift_fields_lists_skip);
  RUN(thrift_depth_limit);
  RUN(thrift_hostile_sizes);
  RUN(file_metadata_roundtrip);
  RUN(file_metadata_unknown_fields);
  RUN(invalid_values_rejected);
  RUN(page_header_roundtrips);
  RUN(page_index_roundtrips);
  RUN(corpus_footers);
  RUN(bloom_filter_bin);
  RUN(fuzz_footer);
  RUN(parquet_1481_rejected);
  TEST_SUMMARY();
}
