/* csv_reader.c — RFC 4180 CSV/TSV reading: quoted fields with "" escapes and
 * embedded newlines, header names (or col0..), type sniffing over a sample
 * (int64, double, bool, date, timestamp, else utf8), and conversion of fields
 * into the column builders. Empty fields are null; a quoted empty field ("")
 * in a string column is the empty string. Nested columns of a fixed schema
 * take the field's JSON text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/io_internal.h"

enum { F_QUOTED = 1, F_ESCAPED = 2 };

static parq_status push_field(pq_text_reader *r, size_t start, size_t len, uint8_t flags) {
  if (r->n_fields == r->fields_cap) {
    size_t cap = r->fields_cap ? r->fields_cap * 2 : 64;
    if (cap > (1u << 24)) return PARQ_ENOMEM;
    size_t *a = realloc(r->f_start, cap * sizeof *a);
    if (!a) return PARQ_ENOMEM;
    r->f_start = a;
    size_t *b = realloc(r->f_len, cap * sizeof *b);
    if (!b) return PARQ_ENOMEM;
    r->f_len = b;
    uint8_t *f = realloc(r->f_flags, cap);
    if (!f) return PARQ_ENOMEM;
    r->f_flags = f;
    r->fields_cap = cap;
  }
  r->f_start[r->n_fields] = start;
  r->f_len[r->n_fields] = len;
  r->f_flags[r->n_fields] = flags;
  r->n_fields++;
  return PARQ_OK;
}

/* Split the record starting at *cur into r->f_*. Returns 1 (record), 0 (end
 * of input) or an error. *lines gets the number of physical lines used. A
 * record running past the buffered data is rescanned after a refill. */
static int next_record(pq_text_reader *r, size_t *cur, int64_t *lines, parq_error *err) {
  const char d = r->delim;
  for (;;) {
    size_t p = *cur, len = r->len;
    const char *b = r->buf;
    r->n_fields = 0;
    int64_t nl = 1;
    if (p >= len && r->eof) return 0;
    bool need_more = false;
    for (;;) {
      if (p < len && b[p] == '"') {
        size_t q = p + 1, s = q;
        uint8_t fl = F_QUOTED;
        for (;;) {
          const char *x = memchr(b + q, '"', len - q);
          if (!x) {
            need_more = true;
            break;
          }
          size_t xi = (size_t)(x - b);
          if (xi + 1 < len && b[xi + 1] == '"') {
            fl |= F_ESCAPED;
            q = xi + 2;
            continue;
          }
          if (xi + 1 >= len && !r->eof) {
            need_more = true; /* cannot tell "" from a closing quote yet */
            break;
          }
          q = xi;
          break;
        }
        if (need_more) {
          if (r->eof) {
            return parq_err_set(err, PARQ_ECORRUPT, "%s:%lld: unterminated quoted field", r->path,
                                (long long)r->lineno + 1);
          }
          break;
        }
        for (size_t i = s; i < q; i++) nl += b[i] == '\n';
        if (push_field(r, s, q - s, fl)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
        p = q + 1;
        if (p < len && b[p] == '\r') p++;
        if (p < len && b[p] != d && b[p] != '\n')
          return parq_err_set(err, PARQ_ECORRUPT, "%s:%lld: unexpected character after a closing quote at column %zu",
                              r->path, (long long)r->lineno + nl, p - *cur + 1);
      } else {
        size_t s = p;
        while (p < len && b[p] != d && b[p] != '\n') p++;
        size_t e = p;
        if (p < len && b[p] == '\n' && e > s && b[e - 1] == '\r') e--;
        if (p >= len && !r->eof) {
          need_more = true;
          break;
        }
        if (push_field(r, s, e - s, 0)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      }
      if (p >= len) { /* end of input ends the record */
        if (!r->eof) {
          need_more = true;
          break;
        }
        *cur = p;
        *lines = nl;
        return 1;
      }
      if (b[p] == d) {
        p++;
        continue;
      }
      *cur = p + 1; /* '\n' */
      *lines = nl;
      return 1;
    }
    if (need_more) {
      int st = pq_reader_fill(r, cur, err);
      if (st < 0) return st;
    }
  }
}

/* Field text (unescaping "" into r->scratch when needed). */
static const char *field(pq_text_reader *r, size_t i, size_t *n) {
  const char *s = r->buf + r->f_start[i];
  *n = r->f_len[i];
  if (!(r->f_flags[i] & F_ESCAPED)) return s;
  r->scratch.len = 0;
  if (parq_buf_reserve(&r->scratch, *n + PQ_READ_PAD)) return NULL;
  char *o = (char *)r->scratch.data;
  size_t k = 0;
  for (size_t j = 0; j < *n; j++) {
    o[k++] = s[j];
    if (s[j] == '"') j++; /* "" -> " */
  }
  *n = k;
  return o;
}

static bool is_blank_record(pq_text_reader *r) { return r->n_fields == 1 && r->f_len[0] == 0 && !r->f_flags[0]; }

enum { S_INT = 1, S_DBL = 2, S_BOOL = 4, S_DATE = 8, S_TS = 16 };

parq_status pq_csv_prepare(pq_text_reader *r, struct ArrowSchema *inferred, bool infer,
                           parq_error *err) {
  size_t cur = r->pos;
  int64_t lines = 0;
  int got;
  do {
    got = next_record(r, &cur, &lines, err);
    if (got < 0) return (parq_status)got;
    r->lineno += got ? lines : 0;
  } while (got == 1 && is_blank_record(r));
  int nf = got ? (int)r->n_fields : 0;
  r->n_fields_file = nf;
  r->names = calloc((size_t)(nf > 0 ? nf : 1), sizeof *r->names);
  if (!r->names) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int i = 0; i < nf; i++) {
    size_t n = 0;
    const char *s = r->header ? field(r, (size_t)i, &n) : NULL;
    char tmp[32];
    if (!s || n == 0) {
      snprintf(tmp, sizeof tmp, "col%d", i);
      s = tmp;
      n = strlen(tmp);
    }
    r->names[i] = strndup(s, n);
    if (!r->names[i]) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  if (r->header && got) r->pos = cur; /* header consumed */
  else {
    cur = r->pos;
    r->lineno = 0;
  }
  if (!infer) return PARQ_OK;

  unsigned *ok = calloc((size_t)(nf > 0 ? nf : 1), sizeof *ok);
  uint8_t *seen = calloc((size_t)(nf > 0 ? nf : 1), 2);
  if (!ok || !seen) {
    free(ok);
    free(seen);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  for (int i = 0; i < nf; i++) ok[i] = S_INT | S_DBL | S_BOOL | S_DATE | S_TS;
  parq_status st = PARQ_OK;
  int64_t line = r->lineno;
  for (int64_t rows = 0; rows < r->infer_rows;) {
    got = next_record(r, &cur, &lines, err);
    if (got < 0) {
      st = (parq_status)got;
      break;
    }
    if (got == 0) break;
    line += lines;
    if (is_blank_record(r)) continue;
    rows++;
    if ((int)r->n_fields > nf) {
      st = parq_err_set(err, PARQ_ECORRUPT, "%s:%lld: %zu fields, expected %d", r->path,
                        (long long)line, r->n_fields, nf);
      break;
    }
    for (size_t i = 0; i < r->n_fields; i++) {
      size_t n;
      const char *s = field(r, i, &n);
      if (!s) {
        st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
        break;
      }
      if (n == 0) continue;
      seen[2 * i] = 1;
      unsigned m = ok[i];
      int64_t iv;
      double dv;
      bool z;
      if ((m & S_INT) && !pq_parse_i64(s, n, &iv)) m &= ~(unsigned)S_INT;
      if ((m & S_DBL) && !pq_parse_f64(s, n, &dv)) m &= ~(unsigned)S_DBL;
      if ((m & S_BOOL) && !(n == 4 && !strncasecmp(s, "true", 4)) &&
          !(n == 5 && !strncasecmp(s, "false", 5)))
        m &= ~(unsigned)S_BOOL;
      if ((m & S_DATE) && !pq_parse_date(s, n, &iv)) m &= ~(unsigned)S_DATE;
      if (m & S_TS) {
        if (!pq_parse_timestamp(s, n, PQA_MICRO, &iv, &z)) m &= ~(unsigned)S_TS;
        else if (z) seen[2 * i + 1] = 1;
      }
      ok[i] = m;
    }
    if (st) break;
  }
  if (!st) {
    st = pq_arrow_schema_init(inferred, "+s", "", 0, nf);
    for (int i = 0; i < nf && !st; i++) {
      unsigned m = seen[2 * i] ? ok[i] : 0;
      /* Any value with a zone offset makes the column UTC-adjusted. */
      const char *fmt = (m & S_INT) ? "l" : (m & S_DBL) ? "g" : (m & S_BOOL) ? "b"
                        : (m & S_DATE) ? "tdD" : (m & S_TS) ? (seen[2 * i + 1] ? "tsu:UTC" : "tsu:")
                        : "u";
      st = pq_arrow_schema_init(inferred->children[i], fmt, r->names[i], ARROW_FLAG_NULLABLE, 0);
    }
    if (st) {
      pq_arrow_schema_release(inferred);
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    }
  }
  free(ok);
  free(seen);
  return st;
}

parq_status pq_csv_bind(pq_text_reader *r, parq_error *err) {
  int nf = r->n_fields_file;
  r->col_map = malloc((size_t)(nf > 0 ? nf : 1) * sizeof *r->col_map);
  if (!r->col_map) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int i = 0; i < nf; i++) r->col_map[i] = -1;
  for (int k = 0; k < r->root.n_kids; k++) {
    const char *name = r->root.kids[k].name;
    int found = -1;
    if (r->header) {
      for (int i = 0; i < nf && found < 0; i++)
        if (!strcmp(r->names[i], name) && r->col_map[i] < 0) found = i;
    } else if (k < nf) {
      found = k; /* no header: the schema's columns in file order */
      for (int i = 0; i < nf; i++)
        if (!strcmp(r->names[i], name)) found = i;
    }
    if (found < 0 && nf > 0)
      return parq_err_set(err, PARQ_ESCHEMA, "%s: schema column '%s' is not in the CSV header", r->path, name);
    if (found >= 0) r->col_map[found] = k;
  }
  return PARQ_OK;
}

static parq_status nested_field(pq_text_reader *r, pq_col *col, const char *s, size_t n,
                                parq_error *err) {
  /* The JSON tokenizer wants readable padding after the text. */
  parq_buf tmp = PARQ_BUF_INIT;
  if (parq_buf_reserve(&tmp, n + PQ_READ_PAD)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  memcpy(tmp.data, s, n);
  memset(tmp.data + n, 0, PQ_READ_PAD);
  pq_jctx *c = &r->jc;
  c->err = err;
  c->p = c->line = (const char *)tmp.data;
  c->end = c->p + n;
  c->lineno = r->lineno;
  c->depth = 0;
  pq_json_ws(c);
  parq_status st = pq_json_value_into(c, col);
  if (!st) {
    pq_json_ws(c);
    if (c->p != c->end) st = pq_json_syntax(c, "unexpected text after the JSON value");
  }
  parq_buf_free(&tmp);
  return st;
}

int pq_csv_next_row(pq_text_reader *r, parq_error *err) {
  int64_t lines;
  for (;;) {
    int got = next_record(r, &r->pos, &lines, err);
    if (got <= 0) return got;
    int64_t first = r->lineno + 1;
    r->lineno += lines;
    if (is_blank_record(r)) continue;
    if ((int)r->n_fields > r->n_fields_file)
      return parq_err_set(err, PARQ_ECORRUPT, "%s:%lld: %zu fields, expected %d", r->path,
                          (long long)first, r->n_fields, r->n_fields_file);
    for (size_t i = 0; i < r->n_fields; i++) {
      int k = r->col_map[i];
      if (k < 0) continue;
      pq_col *col = &r->root.kids[k];
      size_t n;
      const char *s = field(r, i, &n);
      if (!s) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      parq_status st;
      if (n == 0) {
        bool quoted = r->f_flags[i] & F_QUOTED;
        if (quoted && (col->t.kind == PQA_UTF8 || col->t.kind == PQA_LARGE_UTF8))
          st = pq_col_end_var(col, col->data.len, true);
        else
          st = pq_col_append_null(col);
        if (st) return parq_err_set(err, st, "out of memory");
        continue;
      }
      pq_arrow_kind kd = col->t.kind;
      if (kd == PQA_LIST || kd == PQA_LARGE_LIST || kd == PQA_FIXED_LIST || kd == PQA_STRUCT ||
          kd == PQA_MAP) {
        PARQ_TRY(nested_field(r, col, s, n, err));
        continue;
      }
      const char *why = NULL;
      st = pq_col_append_text(col, s, n, &why);
      if (st == PARQ_ESCHEMA)
        return parq_err_set(err, PARQ_ESCHEMA, "%s:%lld: field '%s': cannot read '%.*s' as %s%s%s",
                            r->path, (long long)first, col->path, n > 40 ? 40 : (int)n, s, col->tname,
                            why ? ": " : "", why ? why : "");
      if (st) return parq_err_set(err, st, "out of memory");
    }
    /* Short records: the missing trailing fields are null. */
    for (int i = (int)r->n_fields; i < r->n_fields_file; i++)
      if (r->col_map[i] >= 0 && pq_col_append_null(&r->root.kids[r->col_map[i]]))
        return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    PARQ_TRY(pq_col_valid(&r->root, true));
    r->root.length++;
    return 1;
  }
}
