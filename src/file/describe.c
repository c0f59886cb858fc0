/* describe.c — human- and machine-readable descriptions of a file's schema
 * and metadata (`parq schema`, `parq meta`). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "file/file_reader_internal.h"
#include "util/error.h"

static const char *type_name(int t) {
  static const char *n[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return t >= 0 && t < 8 ? n[t] : "UNKNOWN";
}
static const char *rep_name(const pq_schema_element *e) {
  if (!e->has_repetition) return "optional";
  return e->repetition == PQ_REQUIRED ? "required" : e->repetition == PQ_REPEATED ? "repeated" : "optional";
}
static const char *unit_name(int u) { return u == PQ_UNIT_MILLIS ? "MILLIS" : u == PQ_UNIT_MICROS ? "MICROS" : "NANOS"; }
static const char *converted_name(int c) {
  static const char *n[] = {"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS", "TIME_MICROS",
                            "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32", "UINT_64", "INT_8",
                            "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL"};
  return c >= 0 && c < 22 ? n[c] : NULL;
}

static void logical_str(const pq_schema_element *e, char *buf, size_t n) {
  const pq_logical_type *l = &e->logical;
  buf[0] = 0;
  switch (l->kind) {
    case PQ_LT_NONE: {
      const char *c = converted_name(e->converted_type);
      if (c && e->converted_type == PQ_CT_DECIMAL) snprintf(buf, n, "DECIMAL(%d,%d)", e->precision, e->scale);
      else if (c) snprintf(buf, n, "%s", c);
      return;
    }
    case PQ_LT_STRING: snprintf(buf, n, "STRING"); return;
    case PQ_LT_MAP: snprintf(buf, n, "MAP"); return;
    case PQ_LT_LIST: snprintf(buf, n, "LIST"); return;
    case PQ_LT_ENUM: snprintf(buf, n, "ENUM"); return;
    case PQ_LT_DECIMAL: snprintf(buf, n, "DECIMAL(%d,%d)", l->precision, l->scale); return;
    case PQ_LT_DATE: snprintf(buf, n, "DATE"); return;
    case PQ_LT_TIME: snprintf(buf, n, "TIME(%s,%s)", unit_name(l->unit), l->is_adjusted_to_utc ? "UTC" : "local"); return;
    case PQ_LT_TIMESTAMP: snprintf(buf, n, "TIMESTAMP(%s,%s)", unit_name(l->unit), l->is_adjusted_to_utc ? "UTC" : "local"); return;
    case PQ_LT_INTEGER: snprintf(buf, n, "INTEGER(%d,%s)", l->bit_width, l->is_signed ? "signed" : "unsigned"); return;
    case PQ_LT_UNKNOWN: snprintf(buf, n, "UNKNOWN"); return;
    case PQ_LT_JSON: snprintf(buf, n, "JSON"); return;
    case PQ_LT_BSON: snprintf(buf, n, "BSON"); return;
    case PQ_LT_UUID: snprintf(buf, n, "UUID"); return;
    case PQ_LT_FLOAT16: snprintf(buf, n, "FLOAT16"); return;
    case PQ_LT_VARIANT: snprintf(buf, n, "VARIANT"); return;
    case PQ_LT_GEOMETRY: snprintf(buf, n, "GEOMETRY"); return;
    case PQ_LT_GEOGRAPHY: snprintf(buf, n, "GEOGRAPHY"); return;
    default: snprintf(buf, n, "OTHER"); return;
  }
}

static void json_str(parq_buf *b, const char *s, size_t n) {
  parq_buf_append_byte(b, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      parq_buf_append_byte(b, '\\');
      parq_buf_append_byte(b, c);
    } else if (c < 0x20) {
      parq_buf_printf(b, "\\u%04x", c);
    } else {
      parq_buf_append_byte(b, c);
    }
  }
  parq_buf_append_byte(b, '"');
}
static void json_cstr(parq_buf *b, const char *s) { json_str(b, s ? s : "", s ? strlen(s) : 0); }

static bool printable_utf8(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') return false;
  return true;
}

/* Render a statistics value; json selects quoting. */
static void stat_value(parq_buf *b, const pq_leaf *leaf, pq_bytes v, bool json) {
  const pq_schema_element *e = leaf->elem;
  switch (leaf->type) {
    case PQ_BOOLEAN:
      if (v.len >= 1) { parq_buf_printf(b, "%s", v.ptr[0] ? "true" : "false"); return; }
      break;
    case PQ_INT32:
      if (v.len == 4) {
        int32_t x;
        memcpy(&x, v.ptr, 4);
        bool uns = (e->logical.kind == PQ_LT_INTEGER && !e->logical.is_signed) ||
                   (e->converted_type >= PQ_CT_UINT_8 && e->converted_type <= PQ_CT_UINT_32);
        if (uns) parq_buf_printf(b, "%" PRIu32, (uint32_t)x);
        else parq_buf_printf(b, "%" PRId32, x);
        return;
      }
      break;
    case PQ_INT64:
      if (v.len == 8) {
        int64_t x;
        memcpy(&x, v.ptr, 8);
        bool uns = (e->logical.kind == PQ_LT_INTEGER && !e->logical.is_signed) || e->converted_type == PQ_CT_UINT_64;
        if (uns) parq_buf_printf(b, "%" PRIu64, (uint64_t)x);
        else parq_buf_printf(b, "%" PRId64, x);
        return;
      }
      break;
    case PQ_FLOAT:
    case PQ_DOUBLE: {
      double d;
      if (leaf->type == PQ_FLOAT && v.len == 4) {
        float f;
        memcpy(&f, v.ptr, 4);
        d = f;
      } else if (leaf->type == PQ_DOUBLE && v.len == 8) {
        memcpy(&d, v.ptr, 8);
      } else {
        break;
      }
      if (isnan(d) || isinf(d)) {
        if (json) parq_buf_printf(b, "\"%s\"", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        else parq_buf_printf(b, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
      } else {
        parq_buf_printf(b, "%.17g", d);
      }
      return;
    }
    default: break;
  }
  bool is_dec = e->logical.kind == PQ_LT_DECIMAL || e->converted_type == PQ_CT_DECIMAL;
  if (leaf->type == PQ_BYTE_ARRAY && !is_dec && printable_utf8(v.ptr, v.len)) {
    if (json) json_str(b, (const char *)v.ptr, v.len);
    else parq_buf_printf(b, "\"%.*s\"", (int)(v.len > 40 ? 40 : v.len), (const char *)v.ptr);
    return;
  }
  if (json) parq_buf_append_byte(b, '"');
  parq_buf_printf(b, "0x");
  for (uint32_t i = 0; i < v.len && i < 64; i++) parq_buf_printf(b, "%02X", v.ptr[i]);
  if (json) parq_buf_append_byte(b, '"');
}

/* ---------------- schema ---------------- */
static void schema_json_node(parq_buf *b, const pq_schema_element *el, uint32_t n, uint32_t *pos, int depth) {
  const pq_schema_element *e = &el[(*pos)++];
  char lt[64];
  logical_str(e, lt, sizeof lt);
  parq_buf_printf(b, "{\"name\":");
  json_cstr(b, e->name);
  parq_buf_printf(b, ",\"repetition\":\"%s\"", rep_name(e));
  if (e->has_type) parq_buf_printf(b, ",\"physical_type\":\"%s\"", type_name(e->type));
  if (e->has_type && e->type == PQ_FIXED_LEN_BYTE_ARRAY) parq_buf_printf(b, ",\"type_length\":%d", e->type_length);
  if (lt[0]) parq_buf_printf(b, ",\"logical_type\":\"%s\"", lt);
  if (e->has_field_id) parq_buf_printf(b, ",\"field_id\":%d", e->field_id);
  if (e->has_num_children && e->num_children > 0 && depth < 64) {
    parq_buf_printf(b, ",\"children\":[");
    for (int32_t i = 0; i < e->num_children && *pos < n; i++) {
      if (i) parq_buf_append_byte(b, ',');
      schema_json_node(b, el, n, pos, depth + 1);
    }
    parq_buf_append_byte(b, ']');
  }
  parq_buf_append_byte(b, '}');
}

static void schema_text_node(parq_buf *b, const pq_schema_element *el, uint32_t n, uint32_t *pos, int depth) {
  const pq_schema_element *e = &el[(*pos)++];
  char lt[64];
  logical_str(e, lt, sizeof lt);
  parq_buf_printf(b, "%*s%s ", depth * 2, "", rep_name(e));
  if (e->has_num_children && e->num_children > 0) {
    parq_buf_printf(b, "group %s%s%s%s {\n", e->name, lt[0] ? " (" : "", lt, lt[0] ? ")" : "");
    for (int32_t i = 0; i < e->num_children && *pos < n && depth < 64; i++) schema_text_node(b, el, n, pos, depth + 1);
    parq_buf_printf(b, "%*s}\n", depth * 2, "");
  } else {
    if (e->type == PQ_FIXED_LEN_BYTE_ARRAY) parq_buf_printf(b, "fixed_len_byte_array(%d)", e->type_length);
    else parq_buf_printf(b, "%s", type_name(e->type));
    parq_buf_printf(b, " %s%s%s%s;\n", e->name, lt[0] ? " (" : "", lt, lt[0] ? ")" : "");
  }
}


static void schema_json(parq_reader *r, parq_buf *b) {
  uint32_t pos = 0;
  const pq_file_metadata *md = &r->md;
  parq_buf_printf(b, "{\"schema\":");
  schema_json_node(b, md->schema, md->n_schema, &pos, 0);
  parq_buf_printf(b, ",\"columns\":[");
  for (int i = 0; i < r->schema.n_leaves; i++) {
    const pq_leaf *l = &r->schema.leaves[i];
    if (i) parq_buf_append_byte(b, ',');
    parq_buf_printf(b, "{\"path\":");
    json_cstr(b, l->path);
    parq_buf_printf(b, ",\"physical_type\":\"%s\",\"max_definition_level\":%d,\"max_repetition_level\":%d,\"arrow_type\":",
                    type_name(l->type), l->max_def, l->max_rep);
    json_cstr(b, l->node->arrow_format);
    parq_buf_append_byte(b, '}');
  }
  parq_buf_printf(b, "]}");
}

static void schema_text(parq_reader *r, parq_buf *b) {
  uint32_t pos = 0;
  const pq_file_metadata *md = &r->md;
  parq_buf_printf(b, "message %s {\n", md->schema[0].name ? md->schema[0].name : "schema");
  pos = 1;
  int32_t nc = md->schema[0].has_num_children ? md->schema[0].num_children : 0;
  for (int32_t i = 0; i < nc && pos < md->n_schema; i++) schema_text_node(b, md->schema, md->n_schema, &pos, 1);
  parq_buf_printf(b, "}\n");
}

static void encodings_list(parq_buf *b, const pq_column_metadata *m, bool json) {
  for (uint32_t i = 0; i < m->n_encodings; i++) {
    if (i) parq_buf_append_byte(b, ',');
    const char *n = parq_encoding_name((parq_encoding)m->encodings[i]);
    if (json) parq_buf_printf(b, "\"%s\"", n);
    else parq_buf_printf(b, "%s", n);
  }
}

static void meta_json(parq_reader *r, parq_buf *b) {
  const pq_file_metadata *md = &r->md;
  parq_buf_printf(b, "{\"file\":");
  json_cstr(b, r->name);
  parq_buf_printf(b, ",\"size\":%lld,\"version\":%d,\"created_by\":", (long long)r->size, md->version);
  if (md->created_by) json_cstr(b, md->created_by);
  else parq_buf_printf(b, "null");
  parq_buf_printf(b, ",\"num_rows\":%lld,\"num_row_groups\":%u,\"num_columns\":%d,\"key_value_metadata\":{",
                  (long long)md->num_rows, md->n_row_groups, r->schema.n_leaves);
  for (uint32_t i = 0; i < md->n_kv; i++) {
    if (i) parq_buf_append_byte(b, ',');
    json_cstr(b, md->kv[i].key);
    parq_buf_append_byte(b, ':');
    if (md->kv[i].has_value) {
      const char *v = md->kv[i].value ? md->kv[i].value : "";
      size_t n = strlen(v);
      json_str(b, v, n > 4096 ? 4096 : n);
    } else {
      parq_buf_printf(b, "null");
    }
  }
  parq_buf_printf(b, "},\"row_groups\":[");
  for (uint32_t g = 0; g < md->n_row_groups; g++) {
    const pq_row_group *rg = &md->row_groups[g];
    if (g) parq_buf_append_byte(b, ',');
    int64_t comp = 0;
    for (uint32_t c = 0; c < rg->n_columns; c++) comp += rg->columns[c].meta_data.total_compressed_size;
    parq_buf_printf(b, "{\"index\":%u,\"num_rows\":%lld,\"total_byte_size\":%lld,\"compressed_size\":%lld", g,
                    (long long)rg->num_rows, (long long)rg->total_byte_size, (long long)comp);
    if (rg->n_sorting_columns) {
      parq_buf_printf(b, ",\"sorting_columns\":[");
      for (uint32_t k = 0; k < rg->n_sorting_columns; k++)
        parq_buf_printf(b, "%s{\"column_idx\":%d,\"descending\":%s,\"nulls_first\":%s}", k ? "," : "",
                        rg->sorting_columns[k].column_idx, rg->sorting_columns[k].descending ? "true" : "false",
                        rg->sorting_columns[k].nulls_first ? "true" : "false");
      parq_buf_append_byte(b, ']');
    }
    parq_buf_printf(b, ",\"columns\":[");
    for (uint32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_chunk *cc = &rg->columns[c];
      const pq_column_metadata *m = &cc->meta_data;
      const pq_leaf *leaf = &r->schema.leaves[c];
      if (c) parq_buf_append_byte(b, ',');
      parq_buf_printf(b, "{\"path\":");
      json_cstr(b, leaf->path);
      parq_buf_printf(b, ",\"type\":\"%s\",\"codec\":\"%s\",\"encodings\":[", type_name(m->type),
                      parq_codec_name((parq_codec)m->codec));
      encodings_list(b, m, true);
      parq_buf_printf(b, "],\"num_values\":%lld,\"compressed_size\":%lld,\"uncompressed_size\":%lld,\"data_page_offset\":%lld",
                      (long long)m->num_values, (long long)m->total_compressed_size,
                      (long long)m->total_uncompressed_size, (long long)m->data_page_offset);
      if (m->has_dictionary_page_offset) parq_buf_printf(b, ",\"dictionary_page_offset\":%lld", (long long)m->dictionary_page_offset);
      if (m->has_statistics) {
        const pq_statistics *s = &m->statistics;
        parq_buf_printf(b, ",\"statistics\":{");
        bool first = true;
        if (s->has_null_count) parq_buf_printf(b, "\"null_count\":%lld", (long long)s->null_count), first = false;
        if (s->has_distinct_count) parq_buf_printf(b, "%s\"distinct_count\":%lld", first ? "" : ",", (long long)s->distinct_count), first = false;
        if (s->has_min_value || s->has_min) {
          parq_buf_printf(b, "%s\"min\":", first ? "" : ",");
          stat_value(b, leaf, s->has_min_value ? s->min_value : s->min, true);
          first = false;
        }
        if (s->has_max_value || s->has_max) {
          parq_buf_printf(b, "%s\"max\":", first ? "" : ",");
          stat_value(b, leaf, s->has_max_value ? s->max_value : s->max, true);
          first = false;
        }
        if (s->has_is_max_value_exact) parq_buf_printf(b, "%s\"is_max_value_exact\":%s", first ? "" : ",", s->is_max_value_exact ? "true" : "false"), first = false;
        if (s->has_is_min_value_exact) parq_buf_printf(b, "%s\"is_min_value_exact\":%s", first ? "" : ",", s->is_min_value_exact ? "true" : "false");
        parq_buf_append_byte(b, '}');
      }
      parq_buf_printf(b, ",\"column_index\":%s,\"offset_index\":%s", cc->has_column_index ? "true" : "false",
                      cc->has_offset_index ? "true" : "false");
      if (m->has_bloom_filter_offset) parq_buf_printf(b, ",\"bloom_filter_offset\":%lld", (long long)m->bloom_filter_offset);
      parq_buf_append_byte(b, '}');
    }
    parq_buf_printf(b, "]}");
  }
  parq_buf_printf(b, "]}");
}

static void human_size(parq_buf *b, int64_t n) {
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double d = (double)n;
  int i = 0;
  while (d >= 1024 && i < 4) d /= 1024, i++;
  if (i == 0) parq_buf_printf(b, "%lld B", (long long)n);
  else parq_buf_printf(b, "%.1f %s", d, u[i]);
}

static void meta_text(parq_reader *r, parq_buf *b) {
  const pq_file_metadata *md = &r->md;
  parq_buf_printf(b, "file:        %s (", r->name);
  human_size(b, r->size);
  parq_buf_printf(b, ")\ncreated_by:  %s\nversion:     %d\nrows:        %lld\nrow groups:  %u\ncolumns:     %d\n",
                  md->created_by ? md->created_by : "-", md->version, (long long)md->num_rows, md->n_row_groups,
                  r->schema.n_leaves);
  for (uint32_t i = 0; i < md->n_kv; i++) {
    const char *v = md->kv[i].has_value && md->kv[i].value ? md->kv[i].value : "";
    size_t n = strlen(v);
    parq_buf_printf(b, "metadata:    %s = %.*s%s\n", md->kv[i].key, (int)(n > 80 ? 80 : n), v, n > 80 ? "..." : "");
  }
  for (uint32_t g = 0; g < md->n_row_groups; g++) {
    const pq_row_group *rg = &md->row_groups[g];
    int64_t comp = 0;
    for (uint32_t c = 0; c < rg->n_columns; c++) comp += rg->columns[c].meta_data.total_compressed_size;
    parq_buf_printf(b, "row group %u: %lld rows, ", g, (long long)rg->num_rows);
    human_size(b, comp);
    parq_buf_printf(b, " compressed, ");
    human_size(b, rg->total_byte_size);
    parq_buf_printf(b, " uncompressed\n");
    for (uint32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_metadata *m = &rg->columns[c].meta_data;
      const pq_leaf *leaf = &r->schema.leaves[c];
      parq_buf_printf(b, "  %-24s %-10s %-12s ", leaf->path, type_name(m->type), parq_codec_name((parq_codec)m->codec));
      encodings_list(b, m, false);
      parq_buf_printf(b, "  values=%lld size=", (long long)m->num_values);
      human_size(b, m->total_compressed_size);
      parq_buf_printf(b, "/");
      human_size(b, m->total_uncompressed_size);
      if (m->has_statistics) {
        const pq_statistics *s = &m->statistics;
        if (s->has_null_count) parq_buf_printf(b, " nulls=%lld", (long long)s->null_count);
        if (s->has_min_value || s->has_min) {
          parq_buf_printf(b, " min=");
          stat_value(b, leaf, s->has_min_value ? s->min_value : s->min, false);
        }
        if (s->has_max_value || s->has_max) {
          parq_buf_printf(b, " max=");
          stat_value(b, leaf, s->has_max_value ? s->max_value : s->max, false);
        }
      }
      parq_buf_printf(b, "\n");
    }
  }
}

static parq_status finish(parq_buf *b, char **out, parq_error *err) {
  if (parq_buf_append_byte(b, 0)) {
    parq_buf_free(b);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  *out = (char *)parq_buf_detach(b);
  return PARQ_OK;
}

parq_status parq_reader_describe_json(parq_reader *r, int schema_only, char **out, parq_error *err) {
  parq_buf b = PARQ_BUF_INIT;
  if (schema_only) schema_json(r, &b);
  else meta_json(r, &b);
  return finish(&b, out, err);
}

parq_status parq_reader_describe_text(parq_reader *r, int schema_only, char **out, parq_error *err) {
  parq_buf b = PARQ_BUF_INIT;
  if (schema_only) schema_text(r, &b);
  else meta_text(r, &b);
  return finish(&b, out, err);
}
