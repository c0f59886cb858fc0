/* schema_json.c — `--schema FILE` documents <-> Arrow schemas.
 *   {"fields":[{"name":"id","type":"int64","nullable":false},
 *              {"name":"tags","type":{"list":"string"}}, ...]}
 * Type names are listed in io.h; also accepted (and produced for Arrow types
 * outside that list): large_string, large_binary, date64, time_s,
 * timestamp_s[_utc], duration_s/ms/us/ns, null, {"large_list":T},
 * {"fixed_list":T,"size":N}. Timestamps with a non-UTC zone are written as
 * *_utc (Arrow stores them UTC-normalised; the zone name is not kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

typedef struct { const char *name, *fmt, *ext; } tname;
static const tname names[] = {
    {"bool", "b", NULL}, {"boolean", "b", NULL}, {"int8", "c", NULL}, {"int16", "s", NULL},
    {"int32", "i", NULL}, {"int64", "l", NULL}, {"uint8", "C", NULL}, {"uint16", "S", NULL},
    {"uint32", "I", NULL}, {"uint64", "L", NULL}, {"float16", "e", NULL}, {"float", "f", NULL},
    {"float32", "f", NULL}, {"double", "g", NULL}, {"float64", "g", NULL}, {"string", "u", NULL},
    {"utf8", "u", NULL}, {"large_string", "U", NULL}, {"binary", "z", NULL},
    {"large_binary", "Z", NULL}, {"json", "u", "arrow.json"}, {"uuid", "w:16", "arrow.uuid"},
    {"date", "tdD", NULL}, {"date64", "tdm", NULL}, {"time_s", "tts", NULL},
    {"time_ms", "ttm", NULL}, {"time_us", "ttu", NULL}, {"time_ns", "ttn", NULL},
    {"timestamp_s", "tss:", NULL}, {"timestamp_ms", "tsm:", NULL}, {"timestamp_us", "tsu:", NULL},
    {"timestamp_ns", "tsn:", NULL}, {"timestamp_s_utc", "tss:UTC", NULL},
    {"timestamp_ms_utc", "tsm:UTC", NULL}, {"timestamp_us_utc", "tsu:UTC", NULL},
    {"timestamp_ns_utc", "tsn:UTC", NULL}, {"duration_s", "tDs", NULL},
    {"duration_ms", "tDm", NULL}, {"duration_us", "tDu", NULL}, {"duration_ns", "tDn", NULL},
    {"null", "n", NULL},
};

static parq_status bad(pq_jctx *c, const char *what) {
  return parq_err_set(c->err, PARQ_EINVAL, "schema JSON: %s at byte %ld", what, (long)(c->p - c->line));
}

static parq_status expect(pq_jctx *c, char ch) {
  pq_json_ws(c);
  if (c->p >= c->end || *c->p != ch) {
    char m[32];
    snprintf(m, sizeof m, "expected '%c'", ch);
    return bad(c, m);
  }
  c->p++;
  pq_json_ws(c);
  return PARQ_OK;
}

/* After a value: 1 if another element follows (',' consumed), 0 at close. */
static int next_or_close(pq_jctx *c, char close) {
  pq_json_ws(c);
  if (c->p < c->end && *c->p == ',') {
    c->p++;
    pq_json_ws(c);
    return 1;
  }
  if (c->p < c->end && *c->p == close) {
    c->p++;
    return 0;
  }
  return -1;
}

/* Decode a string into a fresh NUL-terminated copy. */
static parq_status str_dup(pq_jctx *c, char **out) {
  if (c->p >= c->end || *c->p != '"') return bad(c, "expected a string");
  c->scratch.len = 0;
  PARQ_TRY(pq_json_string(c, &c->scratch));
  *out = strndup(c->scratch.len ? (const char *)c->scratch.data : "", c->scratch.len);
  return *out ? PARQ_OK : parq_err_set(c->err, PARQ_ENOMEM, "out of memory");
}

static int count_elems(pq_jctx *c) { /* p at '[': number of elements (p restored) */
  const char *save = c->p;
  int n = 0;
  c->p++;
  pq_json_ws(c);
  if (c->p < c->end && *c->p == ']') {
    c->p = save;
    return 0;
  }
  for (;;) {
    if (pq_json_skip_value(c)) {
      n = -1;
      break;
    }
    n++;
    int k = next_or_close(c, ']');
    if (k <= 0) {
      if (k < 0) n = -1;
      break;
    }
  }
  c->p = save;
  return n;
}

static parq_status parse_field(pq_jctx *c, struct ArrowSchema *out);

static parq_status parse_type(pq_jctx *c, struct ArrowSchema *out, const char *name, int64_t flags) {
  if (c->p < c->end && *c->p == '"') {
    char *t = NULL;
    PARQ_TRY(str_dup(c, &t));
    char fmt[64];
    const char *ext = NULL;
    int p, s, w;
    char tail;
    fmt[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (!strcmp(t, names[i].name)) {
        snprintf(fmt, sizeof fmt, "%s", names[i].fmt);
        ext = names[i].ext;
      }
    if (!fmt[0] && sscanf(t, "decimal(%d,%d%c", &p, &s, &tail) == 3 && tail == ')' && p > 0 &&
        p <= 76 && s >= -p && s <= p)
      snprintf(fmt, sizeof fmt, p > 38 ? "d:%d,%d,256" : "d:%d,%d", p, s);
    if (!fmt[0] && sscanf(t, "fixed(%d%c", &w, &tail) == 2 && tail == ')' && w > 0 && w <= (1 << 20))
      snprintf(fmt, sizeof fmt, "w:%d", w);
    if (!fmt[0]) {
      parq_status st = parq_err_set(c->err, PARQ_EINVAL, "schema JSON: unknown type \"%s\" for field '%s'", t, name);
      free(t);
      return st;
    }
    free(t);
    if (pq_arrow_schema_init(out, fmt, name, flags, 0)) return parq_err_set(c->err, PARQ_ENOMEM, "out of memory");
    if (ext) {
      const char *k[1] = {"ARROW:extension:name"}, *v[1] = {ext};
      if (pq_arrow_schema_set_metadata(out, k, v, 1)) return parq_err_set(c->err, PARQ_ENOMEM, "out of memory");
    }
    return PARQ_OK;
  }
  if (c->p >= c->end || *c->p != '{') return bad(c, "expected a type name or object");
  /* {"list":T} {"large_list":T} {"fixed_list":T,"size":N} {"struct":[..]} {"map":[K,V]} */
  const char *tpos = NULL, *kind = NULL;
  int64_t size = 0;
  c->p++;
  pq_json_ws(c);
  for (int more = c->p < c->end && *c->p == '}' ? 0 : 1; more;) {
    char *k = NULL;
    PARQ_TRY(str_dup(c, &k));
    parq_status st = expect(c, ':');
    if (st) {
      free(k);
      return st;
    }
    static const char *const kinds[] = {"list", "large_list", "fixed_list", "struct", "map"};
    bool known = false;
    for (int i = 0; i < 5; i++)
      if (!strcmp(k, kinds[i])) {
        kind = kinds[i];
        tpos = c->p;
        known = true;
      }
    bool is_size = !strcmp(k, "size");
    free(k);
    if (is_size) {
      const char *s;
      size_t n;
      bool is_int;
      if (c->p >= c->end || (*c->p != '-' && (unsigned)(*c->p - '0') > 9)) return bad(c, "bad size");
      PARQ_TRY(pq_json_number(c, &s, &n, &is_int));
      if (!is_int || !pq_parse_i64(s, n, &size) || size <= 0 || size > (1 << 20)) return bad(c, "bad size");
    } else {
      (void)known;
      PARQ_TRY(pq_json_skip_value(c));
    }
    int r = next_or_close(c, '}');
    if (r < 0) return bad(c, "expected ',' or '}'");
    more = r;
  }
  const char *after = c->p;
  if (!kind) return bad(c, "type object needs list, large_list, fixed_list, struct or map");
  c->p = tpos;
  parq_status st = PARQ_OK;
  if (!strcmp(kind, "struct")) {
    if (c->p >= c->end || *c->p != '[') return bad(c, "struct needs an array of fields");
    int n = count_elems(c);
    if (n < 0) return bad(c, "bad struct field list");
    if (pq_arrow_schema_init(out, "+s", name, flags, n)) return parq_err_set(c->err, PARQ_ENOMEM, "out of memory");
    c->p++;
    pq_json_ws(c);
    for (int i = 0; i < n && !st; i++) {
      st = parse_field(c, out->children[i]);
      if (!st && next_or_close(c, ']') < 0) st = bad(c, "expected ',' or ']'");
    }
  } else if (!strcmp(kind, "map")) {
    if (c->p >= c->end || *c->p != '[' || count_elems(c) != 2) return bad(c, "map needs [key type, value type]");
    if (pq_arrow_schema_init(out, "+m", name, flags, 1) ||
        pq_arrow_schema_init(out->children[0], "+s", "entries", 0, 2))
      return parq_err_set(c->err, PARQ_ENOMEM, "out of memory");
    c->p++;
    pq_json_ws(c);
    st = parse_type(c, out->children[0]->children[0], "key", 0);
    if (!st && next_or_close(c, ']') != 1) st = bad(c, "expected ','");
    if (!st) st = parse_type(c, out->children[0]->children[1], "value", ARROW_FLAG_NULLABLE);
  } else {
    char fmt[32];
    if (!strcmp(kind, "fixed_list")) {
      if (size <= 0) return bad(c, "fixed_list needs \"size\"");
      snprintf(fmt, sizeof fmt, "+w:%lld", (long long)size);
    } else {
      snprintf(fmt, sizeof fmt, "%s", !strcmp(kind, "list") ? "+l" : "+L");
    }
    if (pq_arrow_schema_init(out, fmt, name, flags, 1)) return parq_err_set(c->err, PARQ_ENOMEM, "out of memory");
    st = parse_type(c, out->children[0], "item", ARROW_FLAG_NULLABLE);
  }
  c->p = after;
  return st;
}

static parq_status parse_field(pq_jctx *c, struct ArrowSchema *out) {
  if (c->p >= c->end || *c->p != '{') return bad(c, "expected a field object");
  c->p++;
  pq_json_ws(c);
  char *name = NULL;
  const char *tpos = NULL;
  int64_t flags = ARROW_FLAG_NULLABLE;
  parq_status st = PARQ_OK;
  for (int more = c->p < c->end && *c->p == '}' ? 0 : 1; more && !st;) {
    char *k = NULL;
    if ((st = str_dup(c, &k))) break;
    if (!(st = expect(c, ':'))) {
      if (!strcmp(k, "name")) {
        free(name);
        name = NULL;
        st = str_dup(c, &name);
      } else if (!strcmp(k, "type")) {
        tpos = c->p;
        st = pq_json_skip_value(c);
      } else if (!strcmp(k, "nullable")) {
        if (c->p < c->end && *c->p == 'f') {
          flags = 0;
          st = pq_json_word(c, "false", 5);
        } else {
          st = pq_json_word(c, "true", 4);
        }
      } else {
        st = pq_json_skip_value(c);
      }
    }
    free(k);
    if (!st) {
      int r = next_or_close(c, '}');
      if (r < 0) st = bad(c, "expected ',' or '}'");
      more = r;
    }
  }
  if (!st && (!name || !tpos)) st = bad(c, "field needs \"name\" and \"type\"");
  if (!st) {
    const char *after = c->p;
    c->p = tpos;
    st = parse_type(c, out, name, flags);
    c->p = after;
  }
  free(name);
  return st;
}

parq_status pq_schema_from_json(const char *text, size_t len, struct ArrowSchema *out,
                                parq_error *err) {
  memset(out, 0, sizeof *out);
  parq_buf b = PARQ_BUF_INIT;
  if (parq_buf_reserve(&b, len + PQ_READ_PAD)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  memcpy(b.data, text, len);
  memset(b.data + len, 0, PQ_READ_PAD);
  pq_jctx c = {0};
  c.p = c.line = (const char *)b.data;
  c.end = c.p + len;
  c.file = "<schema>";
  c.lineno = 1;
  c.err = err;
  parq_status st = expect(&c, '{');
  const char *fpos = NULL;
  for (int more = !st && c.p < c.end && *c.p != '}'; more && !st;) {
    char *k = NULL;
    if ((st = str_dup(&c, &k))) break;
    if (!(st = expect(&c, ':'))) {
      if (!strcmp(k, "fields")) fpos = c.p;
      st = pq_json_skip_value(&c);
    }
    free(k);
    if (!st) {
      int r = next_or_close(&c, '}');
      if (r < 0) st = bad(&c, "expected ',' or '}'");
      more = r;
    }
  }
  if (!st && !fpos) st = bad(&c, "missing \"fields\"");
  if (!st) {
    c.p = fpos;
    if (*c.p != '[') st = bad(&c, "\"fields\" must be an array");
  }
  int n = st ? 0 : count_elems(&c);
  if (!st && n < 0) st = bad(&c, "bad field list");
  if (!st && pq_arrow_schema_init(out, "+s", "", 0, n)) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (!st) {
    c.p++;
    pq_json_ws(&c);
    for (int i = 0; i < n && !st; i++) {
      st = parse_field(&c, out->children[i]);
      if (!st && next_or_close(&c, ']') < 0) st = bad(&c, "expected ',' or ']'");
    }
    /* duplicate top-level names would make projection ambiguous */
    for (int i = 0; i < n && !st; i++)
      for (int j = 0; j < i && !st; j++)
        if (!strcmp(out->children[i]->name, out->children[j]->name))
          st = parq_err_set(err, PARQ_EINVAL, "schema JSON: duplicate field '%s'", out->children[i]->name);
  }
  if (st) pq_arrow_schema_release(out);
  parq_buf_free(&c.scratch);
  parq_buf_free(&b);
  return st;
}

/* ---------------- Arrow -> JSON ---------------- */

static parq_status type_json(const struct ArrowSchema *s, parq_buf *out, parq_error *err);

static parq_status field_json(const struct ArrowSchema *s, parq_buf *out, parq_error *err) {
  const char *nm = s->name ? s->name : "";
  if (parq_buf_append(out, "{\"name\":", 8) || pq_json_escape(nm, strlen(nm), out) ||
      parq_buf_append(out, ",\"type\":", 8))
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  PARQ_TRY(type_json(s, out, err));
  if (!(s->flags & ARROW_FLAG_NULLABLE) && parq_buf_append(out, ",\"nullable\":false", 17))
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (parq_buf_append_byte(out, '}')) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}

static parq_status type_json(const struct ArrowSchema *s, parq_buf *out, parq_error *err) {
  pq_arrow_type t;
  PARQ_TRY(pq_arrow_parse_format(s->format, &t, err));
  static const char *const units[] = {"s", "ms", "us", "ns"};
  char tmp[96];
  const char *name = NULL;
  char *ext = s->metadata ? pq_arrow_metadata_get(s->metadata, "ARROW:extension:name") : NULL;
  bool is_json = ext && !strcmp(ext, "arrow.json"), is_uuid = ext && !strcmp(ext, "arrow.uuid");
  free(ext);
  parq_status st = PARQ_OK;
  switch (t.kind) {
    case PQA_UTF8: case PQA_UTF8_VIEW: name = is_json ? "json" : "string"; break;
    case PQA_LARGE_UTF8: name = "large_string"; break;
    case PQA_BINARY: case PQA_BINARY_VIEW: name = "binary"; break;
    case PQA_LARGE_BINARY: name = "large_binary"; break;
    case PQA_FIXED_BINARY:
      if (is_uuid && t.width == 16) name = "uuid";
      else snprintf(tmp, sizeof tmp, "fixed(%d)", t.width), name = tmp;
      break;
    case PQA_DECIMAL: snprintf(tmp, sizeof tmp, "decimal(%d,%d)", t.precision, t.scale); name = tmp; break;
    case PQA_TIME32: case PQA_TIME64: snprintf(tmp, sizeof tmp, "time_%s", units[t.unit]); name = tmp; break;
    case PQA_TIMESTAMP:
      snprintf(tmp, sizeof tmp, "timestamp_%s%s", units[t.unit], t.has_tz ? "_utc" : "");
      name = tmp;
      break;
    case PQA_DURATION: snprintf(tmp, sizeof tmp, "duration_%s", units[t.unit]); name = tmp; break;
    case PQA_DATE64: name = "date64"; break;
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_FIXED_LIST:
      if (s->n_children != 1) return parq_err_set(err, PARQ_EINVAL, "list '%s' needs one child", s->name);
      snprintf(tmp, sizeof tmp, "{\"%s\":", t.kind == PQA_LIST ? "list" : t.kind == PQA_LARGE_LIST ? "large_list" : "fixed_list");
      if (parq_buf_append(out, tmp, strlen(tmp))) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      PARQ_TRY(type_json(s->children[0], out, err));
      if (t.kind == PQA_FIXED_LIST) snprintf(tmp, sizeof tmp, ",\"size\":%d}", t.width);
      else snprintf(tmp, sizeof tmp, "}");
      if (parq_buf_append(out, tmp, strlen(tmp))) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      return PARQ_OK;
    case PQA_STRUCT:
      if (parq_buf_append(out, "{\"struct\":[", 11)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      for (int64_t i = 0; i < s->n_children && !st; i++) {
        if (i && parq_buf_append_byte(out, ',')) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
        st = field_json(s->children[i], out, err);
      }
      if (!st && parq_buf_append(out, "]}", 2)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      return st;
    case PQA_MAP:
      if (s->n_children != 1 || s->children[0]->n_children != 2)
        return parq_err_set(err, PARQ_EINVAL, "map '%s' needs key and value", s->name);
      if (parq_buf_append(out, "{\"map\":[", 8)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      PARQ_TRY(type_json(s->children[0]->children[0], out, err));
      if (parq_buf_append_byte(out, ',')) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      PARQ_TRY(type_json(s->children[0]->children[1], out, err));
      if (parq_buf_append(out, "]}", 2)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      return PARQ_OK;
    default:
      for (size_t i = 0; i < sizeof names / sizeof names[0] && !name; i++)
        if (!strcmp(names[i].fmt, s->format) && !names[i].ext) name = names[i].name;
      if (!name) return parq_err_set(err, PARQ_EUNSUPPORTED, "no schema JSON name for Arrow type '%s'", s->format);
  }
  if (parq_buf_append_byte(out, '"') || parq_buf_append(out, name, strlen(name)) ||
      parq_buf_append_byte(out, '"'))
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}

parq_status pq_schema_to_json(const struct ArrowSchema *s, parq_buf *out, parq_error *err) {
  if (!s || !s->format || strcmp(s->format, "+s"))
    return parq_err_set(err, PARQ_EINVAL, "schema to JSON: top level must be a struct");
  if (parq_buf_append(out, "{\"fields\":[", 11)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int64_t i = 0; i < s->n_children; i++) {
    if (i && parq_buf_append_byte(out, ',')) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    PARQ_TRY(field_json(s->children[i], out, err));
  }
  if (parq_buf_append(out, "]}", 2)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}
