/* csv_writer.c — Arrow batches to RFC 4180 CSV: strings raw (quoted only
 * when they hold ',', '"', CR or LF), scalars as their JSON text without the
 * quotes (dates, timestamps, base64, UUIDs, NaN), nested values as JSON text,
 * nulls empty. Header names are quoted the same way. */
#include <string.h>

#include "io/io_internal.h"

static parq_status put_field(parq_buf *out, const char *s, size_t n) {
  bool quote = false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == ',' || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) return parq_buf_append(out, s, n);
  if (parq_buf_reserve(out, 2 * n + 2)) return PARQ_ENOMEM;
  out->data[out->len++] = '"';
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') out->data[out->len++] = '"';
    out->data[out->len++] = (uint8_t)s[i];
  }
  out->data[out->len++] = '"';
  return PARQ_OK;
}

parq_status pq_csv_write_header(const struct ArrowSchema *schema, parq_buf *out, parq_error *err) {
  for (int64_t k = 0; k < schema->n_children; k++) {
    const char *nm = schema->children[k]->name ? schema->children[k]->name : "";
    if ((k && parq_buf_append_byte(out, ',')) || put_field(out, nm, strlen(nm)))
      return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  if (parq_buf_append_byte(out, '\n')) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}

static parq_status csv_value(const pq_jplan *p, const struct ArrowArray *a, int64_t i,
                             parq_buf *out, parq_buf *tmp) {
  int64_t j = a->offset + i;
  if (p->t.kind == PQA_NULL || (a->buffers[0] && !pq_bit_get(a->buffers[0], j))) return PARQ_OK;
  pq_arrow_kind k = p->t.kind;
  if (k == PQA_UTF8 || k == PQA_LARGE_UTF8 || k == PQA_UTF8_VIEW) {
    const char *s;
    size_t n;
    if (!pq_jplan_bytes(p, a, i, &s, &n)) return PARQ_EINVAL;
    return put_field(out, s, n);
  }
  tmp->len = 0;
  PARQ_TRY(pq_jplan_value(p, a, i, tmp));
  const char *s = (const char *)tmp->data;
  size_t n = tmp->len;
  bool nested = k == PQA_LIST || k == PQA_LARGE_LIST || k == PQA_FIXED_LIST || k == PQA_STRUCT ||
                k == PQA_MAP;
  if (!nested && n >= 2 && s[0] == '"') { /* these scalar texts never contain escapes */
    s++;
    n -= 2;
  }
  return put_field(out, s, n);
}

parq_status pq_csv_write_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                               parq_buf *out, parq_error *err) {
  pq_jplan p;
  parq_status st = pq_jplan_build(schema, &p, err);
  if (!st && p.t.kind != PQA_STRUCT)
    st = parq_err_set(err, PARQ_EINVAL, "CSV batches must be structs, got '%s'", schema->format);
  if (!st) st = pq_jplan_check(&p, batch, err);
  parq_buf tmp = PARQ_BUF_INIT;
  for (int64_t i = 0; !st && i < batch->length; i++) {
    int64_t j = batch->offset + i;
    for (int k = 0; !st && k < p.n_kids; k++) {
      if (k) st = parq_buf_append_byte(out, ',');
      if (!st) st = csv_value(&p.kids[k], batch->children[k], j, out, &tmp);
    }
    if (!st) st = parq_buf_append_byte(out, '\n');
    if (st) parq_err_set(err, st, "cannot write row %lld as CSV", (long long)i);
  }
  parq_buf_free(&tmp);
  pq_jplan_free(&p);
  return st;
}
