/* schema_from_arrow.c — Arrow "+s" schema -> Parquet SchemaElements for the
 * writer (LogicalTypes.md): 3-level LIST ("list"/"element"), MAP
 * ("key_value"/"key"/"value"), and both logicalType and converted_type set
 * wherever a converted type exists, so older readers understand the file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "file/schema.h"
#include "util/error.h"

typedef struct sb {
  parq_arena *arena;
  pq_schema_element *el;
  uint32_t n, cap;
  parq_error *err;
} sb;

static int64_t count_elems(const struct ArrowSchema *f, int depth) {
  if (!f || depth > 200) return -1;
  int64_t n = 1;
  const char *fmt = f->format ? f->format : "";
  if (!strcmp(fmt, "+l") || !strcmp(fmt, "+L") || !strncmp(fmt, "+w:", 3)) n++; /* "list" group */
  if (!strcmp(fmt, "+m")) {
    if (f->n_children != 1 || !f->children || !f->children[0]) return -1;
    f = f->children[0]; /* entries => "key_value" */
    n++;
  }
  if (f->n_children < 0 || (f->n_children > 0 && !f->children)) return -1;
  for (int64_t i = 0; i < f->n_children; i++) {
    int64_t c = count_elems(f->children[i], depth + 1);
    if (c < 0) return -1;
    n += c;
  }
  return n;
}

static pq_schema_element *push(sb *b, const char *name) {
  if (b->n >= b->cap) return NULL;
  pq_schema_element *e = &b->el[b->n++];
  memset(e, 0, sizeof *e);
  e->converted_type = PQ_CT_NONE;
  e->name = parq_arena_strndup(b->arena, name ? name : "", strlen(name ? name : ""));
  return e->name ? e : NULL;
}

static void set_rep(pq_schema_element *e, int r) {
  e->has_repetition = true;
  e->repetition = r;
}

static void set_type(pq_schema_element *e, int t) {
  e->has_type = true;
  e->type = t;
}

static void set_int(pq_schema_element *e, int phys, int bits, bool is_signed, int ct) {
  set_type(e, phys);
  e->logical.kind = PQ_LT_INTEGER;
  e->logical.bit_width = (int8_t)bits;
  e->logical.is_signed = is_signed;
  e->converted_type = ct;
}

/* Minimal FIXED_LEN_BYTE_ARRAY width holding precision p as two's complement. */
static int32_t decimal_bytes(int32_t p) {
  return (int32_t)ceil(((double)p * 3.321928094887362 + 1.0) / 8.0);
}

static bool ext_is(const struct ArrowSchema *f, const char *name) {
  if (!f->metadata) return false;
  char *v = pq_arrow_metadata_get(f->metadata, "ARROW:extension:name");
  bool r = v && !strcmp(v, name);
  free(v);
  return r;
}

static parq_status field(sb *b, const struct ArrowSchema *f, const char *name, bool force_req);

static parq_status primitive(sb *b, pq_schema_element *e, const struct ArrowSchema *f,
                             const pq_arrow_type *t) {
  switch (t->kind) {
    case PQA_NULL:
      set_type(e, PQ_INT32);
      e->logical.kind = PQ_LT_UNKNOWN;
      break;
    case PQA_BOOL: set_type(e, PQ_BOOLEAN); break;
    case PQA_INT8: set_int(e, PQ_INT32, 8, true, PQ_CT_INT_8); break;
    case PQA_INT16: set_int(e, PQ_INT32, 16, true, PQ_CT_INT_16); break;
    case PQA_INT32: set_int(e, PQ_INT32, 32, true, PQ_CT_INT_32); break;
    case PQA_INT64: set_int(e, PQ_INT64, 64, true, PQ_CT_INT_64); break;
    case PQA_UINT8: set_int(e, PQ_INT32, 8, false, PQ_CT_UINT_8); break;
    case PQA_UINT16: set_int(e, PQ_INT32, 16, false, PQ_CT_UINT_16); break;
    case PQA_UINT32: set_int(e, PQ_INT32, 32, false, PQ_CT_UINT_32); break;
    case PQA_UINT64: set_int(e, PQ_INT64, 64, false, PQ_CT_UINT_64); break;
    case PQA_FLOAT16:
      set_type(e, PQ_FIXED_LEN_BYTE_ARRAY);
      e->has_type_length = true;
      e->type_length = 2;
      e->logical.kind = PQ_LT_FLOAT16;
      break;
    case PQA_FLOAT32: set_type(e, PQ_FLOAT); break;
    case PQA_FLOAT64: set_type(e, PQ_DOUBLE); break;
    case PQA_UTF8: case PQA_LARGE_UTF8: case PQA_UTF8_VIEW:
      set_type(e, PQ_BYTE_ARRAY);
      if (ext_is(f, "arrow.json")) {
        e->logical.kind = PQ_LT_JSON;
        e->converted_type = PQ_CT_JSON;
      } else {
        e->logical.kind = PQ_LT_STRING;
        e->converted_type = PQ_CT_UTF8;
      }
      break;
    case PQA_BINARY: case PQA_LARGE_BINARY: case PQA_BINARY_VIEW:
      set_type(e, PQ_BYTE_ARRAY);
      break;
    case PQA_FIXED_BINARY:
      set_type(e, PQ_FIXED_LEN_BYTE_ARRAY);
      e->has_type_length = true;
      e->type_length = t->width;
      if (t->width == 16 && ext_is(f, "arrow.uuid")) e->logical.kind = PQ_LT_UUID;
      break;
    case PQA_DECIMAL: {
      if (t->precision > 76 || t->scale < 0 || t->scale > t->precision)
        return parq_err_set(b->err, PARQ_EUNSUPPORTED, "field '%s': decimal(%d,%d) not supported",
                            e->name, t->precision, t->scale);
      if (t->precision <= 9) set_type(e, PQ_INT32);
      else if (t->precision <= 18) set_type(e, PQ_INT64);
      else {
        set_type(e, PQ_FIXED_LEN_BYTE_ARRAY);
        e->has_type_length = true;
        e->type_length = decimal_bytes(t->precision);
      }
      e->logical.kind = PQ_LT_DECIMAL;
      e->logical.precision = t->precision;
      e->logical.scale = t->scale;
      e->converted_type = PQ_CT_DECIMAL;
      e->has_precision = e->has_scale = true;
      e->precision = t->precision;
      e->scale = t->scale;
      break;
    }
    case PQA_DATE32: case PQA_DATE64:
      set_type(e, PQ_INT32);
      e->logical.kind = PQ_LT_DATE;
      e->converted_type = PQ_CT_DATE;
      break;
    case PQA_TIME32:
      set_type(e, PQ_INT32);
      e->logical.kind = PQ_LT_TIME;
      e->logical.unit = PQ_UNIT_MILLIS;
      /* Arrow times carry no zone: write local time-of-day (DuckDB reads a
       * UTC-adjusted TIME as TIME WITH TIME ZONE). The legacy TIME_* converted
       * types imply UTC adjustment, so they are omitted. */
      e->logical.is_adjusted_to_utc = false;
      break;
    case PQA_TIME64:
      set_type(e, PQ_INT64);
      e->logical.kind = PQ_LT_TIME;
      e->logical.is_adjusted_to_utc = false; /* see TIME32 */
      e->logical.unit = t->unit == PQA_NANO ? PQ_UNIT_NANOS : PQ_UNIT_MICROS;
      break;
    case PQA_TIMESTAMP:
      set_type(e, PQ_INT64);
      e->logical.kind = PQ_LT_TIMESTAMP;
      e->logical.is_adjusted_to_utc = t->has_tz;
      e->logical.unit = t->unit == PQA_NANO    ? PQ_UNIT_NANOS
                        : t->unit == PQA_MICRO ? PQ_UNIT_MICROS
                                               : PQ_UNIT_MILLIS;
      /* TIMESTAMP_MILLIS/MICROS imply UTC-adjusted values (LogicalTypes.md),
       * so local timestamps carry only the logical type. */
      if (t->has_tz && e->logical.unit != PQ_UNIT_NANOS)
        e->converted_type = e->logical.unit == PQ_UNIT_MILLIS ? PQ_CT_TIMESTAMP_MILLIS
                                                              : PQ_CT_TIMESTAMP_MICROS;
      break;
    case PQA_DURATION:
      set_type(e, PQ_INT64);
      break;
    default:
      return parq_err_set(b->err, PARQ_EUNSUPPORTED, "field '%s': Arrow type '%s' not supported",
                          e->name, f->format);
  }
  return PARQ_OK;
}

static parq_status field(sb *b, const struct ArrowSchema *f, const char *name, bool force_req) {
  pq_arrow_type t;
  PARQ_TRY(pq_arrow_parse_format(f->format, &t, b->err));
  if (f->dictionary)
    return parq_err_set(b->err, PARQ_EUNSUPPORTED,
                        "field '%s': dictionary-encoded Arrow fields are not supported", name);
  pq_schema_element *e = push(b, name);
  if (!e) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
  bool nullable = !force_req && ((f->flags & ARROW_FLAG_NULLABLE) || t.kind == PQA_NULL);
  set_rep(e, nullable ? PQ_OPTIONAL : PQ_REQUIRED);
  switch (t.kind) {
    case PQA_STRUCT:
      if (f->n_children <= 0)
        return parq_err_set(b->err, PARQ_EUNSUPPORTED, "field '%s': empty struct", name);
      e->has_num_children = true;
      e->num_children = (int32_t)f->n_children;
      for (int64_t i = 0; i < f->n_children; i++)
        PARQ_TRY(field(b, f->children[i], f->children[i]->name, false));
      return PARQ_OK;
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_FIXED_LIST: {
      if (f->n_children != 1)
        return parq_err_set(b->err, PARQ_EINVAL, "field '%s': list needs 1 child", name);
      e->has_num_children = true;
      e->num_children = 1;
      e->logical.kind = PQ_LT_LIST;
      e->converted_type = PQ_CT_LIST;
      pq_schema_element *l = push(b, "list");
      if (!l) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
      set_rep(l, PQ_REPEATED);
      l->has_num_children = true;
      l->num_children = 1;
      return field(b, f->children[0], "element", false);
    }
    case PQA_MAP: {
      const struct ArrowSchema *ent = f->children[0];
      if (ent->n_children != 2)
        return parq_err_set(b->err, PARQ_EINVAL, "field '%s': map entries need 2 children", name);
      e->has_num_children = true;
      e->num_children = 1;
      e->logical.kind = PQ_LT_MAP;
      e->converted_type = PQ_CT_MAP;
      pq_schema_element *kv = push(b, "key_value");
      if (!kv) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
      set_rep(kv, PQ_REPEATED);
      kv->has_num_children = true;
      kv->num_children = 2;
      PARQ_TRY(field(b, ent->children[0], "key", true));
      return field(b, ent->children[1], "value", false);
    }
    default:
      return primitive(b, e, f, &t);
  }
}

parq_status pq_schema_from_arrow(const struct ArrowSchema *s, parq_arena *arena,
                                 pq_schema_element **out, uint32_t *n_out, parq_error *err) {
  *out = NULL;
  *n_out = 0;
  if (!s || !s->format || strcmp(s->format, "+s"))
    return parq_err_set(err, PARQ_EINVAL, "writer schema must be an Arrow struct (\"+s\")");
  if (s->n_children <= 0) return parq_err_set(err, PARQ_EINVAL, "writer schema has no columns");
  int64_t total = count_elems(s, 0);
  if (total < 0 || total > 1000000)
    return parq_err_set(err, PARQ_EINVAL, "Arrow schema is malformed or too large");
  sb b = {arena, parq_arena_calloc(arena, (size_t)total, sizeof(pq_schema_element)), 0,
          (uint32_t)total, err};
  if (!b.el) return parq_err_set(err, PARQ_ENOMEM, "schema: out of memory");
  pq_schema_element *root = push(&b, "schema");
  if (!root) return parq_err_set(err, PARQ_ENOMEM, "schema: out of memory");
  root->has_num_children = true;
  root->num_children = (int32_t)s->n_children;
  for (int64_t i = 0; i < s->n_children; i++) {
    const struct ArrowSchema *c = s->children[i];
    if (!c || !c->format) return parq_err_set(err, PARQ_EINVAL, "Arrow schema: child %lld missing", (long long)i);
    PARQ_TRY(field(&b, c, c->name, false));
  }
  *out = b.el;
  *n_out = b.n;
  return PARQ_OK;
}
