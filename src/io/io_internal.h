/* io_internal.h — shared internals of the text I/O layer: column builders,
 * the JSON tokenizer, scalar text conversions, date/time, base64, decimals.
 * Not part of any public contract; only the io layer sources include it. */
#ifndef PARQ_IO_INTERNAL_H
#define PARQ_IO_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>

#include "io/io.h"
#include "util/arrow.h"
#include "util/buf.h"
#include "util/error.h"

/* Deepest JSON nesting accepted (recursion guard against hostile input). */
#define PQ_JSON_MAX_DEPTH 512

/* ---------------- column builders (colbuild.c) ----------------
 * One builder per Arrow schema node; appends values into growing buffers and
 * hands them to an ArrowArray at the end of each batch. */
typedef struct pq_col {
  pq_arrow_type t;
  char *name;            /* field name */
  size_t name_len;
  char *path;            /* dotted path for messages ("meta.lang", "tags[]") */
  const char *tname;     /* type name for messages ("int64") */
  bool is_uuid;          /* w:16 with extension arrow.uuid */
  int64_t length, null_count;
  parq_buf valid;        /* validity bitmap bytes */
  parq_buf data;         /* fixed-width values, bool bits, or var-length bytes */
  parq_buf offs;         /* int32/int64 offsets (strings, lists, maps) */
  struct pq_col *kids;
  int n_kids;
  int hint;              /* struct: index of the field expected next */
} pq_col;

/* Build a builder tree for schema s. */
parq_status pq_col_init(pq_col *c, const struct ArrowSchema *s, const char *parent_path,
                        parq_error *err);
void pq_col_free(pq_col *c);
/* Move the current contents into *out (builder is reset for the next batch). */
parq_status pq_col_finish(pq_col *c, struct ArrowArray *out);
parq_status pq_col_append_null(pq_col *c);
/* Bytes buffered by the builder tree (for batch size limits). */
size_t pq_col_bytes(const pq_col *c);

/* Validity bit for the value about to be appended at index c->length. */
static inline parq_status pq_col_valid(pq_col *c, bool v) {
  int64_t i = c->length;
  if ((i & 7) == 0 && parq_buf_append_byte(&c->valid, 0)) return PARQ_ENOMEM;
  if (v)
    c->valid.data[i >> 3] |= (uint8_t)(1u << (i & 7));
  else
    c->null_count++;
  return PARQ_OK;
}
/* Close a variable-length value: push the end offset and mark valid. */
parq_status pq_col_end_var(pq_col *c, size_t end, bool valid);

/* Text conversions (convert.c): append the scalar text s[0..n) to column c
 * converted to c's type. Returns PARQ_OK, PARQ_ENOMEM, or PARQ_ESCHEMA when
 * the text does not parse as that type (*why gets a short reason). */
parq_status pq_col_append_text(pq_col *c, const char *s, size_t n, const char **why);
/* Append a number literal (already validated JSON number). */
parq_status pq_col_append_number(pq_col *c, const char *s, size_t n, bool is_int,
                                 const char **why);
parq_status pq_col_append_bool(pq_col *c, bool v, const char **why);

/* ---------------- JSON tokenizer (json_parse.c) ---------------- */
typedef struct pq_jctx {
  const char *p, *end;   /* cursor within the current text */
  const char *line;      /* start of the current line (for column numbers) */
  const char *file;
  int64_t lineno;
  parq_error *err;
  parq_buf scratch;      /* decoded keys / non-utf8 strings */
  int depth;
} pq_jctx;

static inline void pq_json_ws(pq_jctx *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
    c->p++;
}
/* ECORRUPT "FILE:LINE: <what> at column N". */
parq_status pq_json_syntax(pq_jctx *c, const char *what);
/* c->p at '"': decode the string body into out (appended), leave p after
 * the closing quote. Validates UTF-8 and escapes. */
parq_status pq_json_string(pq_jctx *c, parq_buf *out);
/* c->p at '"': skip the string (validating escapes loosely). */
parq_status pq_json_skip_string(pq_jctx *c);
/* c->p at '-' or digit: validate a number literal; *is_int false when it has
 * a fraction or exponent. Leaves p after it; *s,*n the literal. */
parq_status pq_json_number(pq_jctx *c, const char **s, size_t *n, bool *is_int);
/* Skip any value (validating syntax). */
parq_status pq_json_skip_value(pq_jctx *c);
/* Expect literal word (true/false/null) at p. */
parq_status pq_json_word(pq_jctx *c, const char *w, size_t n);
/* Parse a JSON value into column c (JSONL rows, nested CSV fields). */
parq_status pq_json_value_into(pq_jctx *c, pq_col *col);
/* Parse an object into struct builder col (p at '{'). */
parq_status pq_json_object_into(pq_jctx *c, pq_col *col);

/* int64 from decimal digits; false on overflow/garbage. */
bool pq_parse_i64(const char *s, size_t n, int64_t *out);
bool pq_parse_u64(const char *s, size_t n, uint64_t *out);
bool pq_parse_f64(const char *s, size_t n, double *out);

/* ---------------- date/time (datetime.c) ---------------- */
int64_t pq_days_from_civil(int64_t y, unsigned m, unsigned d);
void pq_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Formatting; return chars written (buffers of >= 48 bytes). */
int pq_fmt_date(int64_t days, char *out);
int pq_fmt_time(int64_t v, pq_arrow_unit unit, char *out);
int pq_fmt_timestamp(int64_t v, pq_arrow_unit unit, bool utc, char *out);
/* Parsing; false when the text is not of that shape. */
bool pq_parse_date(const char *s, size_t n, int64_t *days);
bool pq_parse_time(const char *s, size_t n, pq_arrow_unit unit, int64_t *v);
/* YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|+HH:MM|-HH:MM]; *zoned set when an offset
 * or Z was given (the value is then converted to UTC). */
bool pq_parse_timestamp(const char *s, size_t n, pq_arrow_unit unit, int64_t *v, bool *zoned);

/* ---------------- base64 (base64.c) ---------------- */
parq_status pq_base64_encode(const uint8_t *p, size_t n, parq_buf *out);
/* Appends decoded bytes; PARQ_ECORRUPT on invalid input. */
parq_status pq_base64_decode(const char *s, size_t n, parq_buf *out);

/* ---------------- decimals / numbers (numfmt.c) ---------------- */
/* Parse decimal text ("-12.30", "1.5e3") exactly into a little-endian
 * two's-complement integer of `bytes` bytes scaled by `scale`. */
bool pq_decimal_parse(const char *s, size_t n, int precision, int scale, int bytes, uint8_t *out);
parq_status pq_decimal_format(const uint8_t *le, int bytes, int scale, parq_buf *out);
/* Shortest round-trip text; integral values keep ".0". Returns length. */
int pq_fmt_double(double d, char *out);
int pq_fmt_float(float f, char *out);
float pq_half_to_float(uint16_t h);
uint16_t pq_float_to_half(float f);

/* ---------------- writers (json_writer.c) ---------------- */
/* Append s as a JSON string literal (with quotes); invalid UTF-8 bytes
 * become \ufffd so the output is always valid JSON. */
parq_status pq_json_escape(const char *s, size_t n, parq_buf *out);

/* A schema parsed once per batch for the writers. */
typedef struct pq_jplan {
  pq_arrow_type t;
  bool uuid;
  char *key;          /* "name": pre-escaped for JSON objects */
  size_t key_len;
  const char *name;
  struct pq_jplan *kids;
  int n_kids;
} pq_jplan;
parq_status pq_jplan_build(const struct ArrowSchema *s, pq_jplan *p, parq_error *err);
void pq_jplan_free(pq_jplan *p);
/* JSON for logical row i of array a (physical index a->offset + i). */
parq_status pq_jplan_value(const pq_jplan *p, const struct ArrowArray *a, int64_t i, parq_buf *out);
/* String/binary bytes of a utf8/binary-like value (false if not such a type). */
bool pq_jplan_bytes(const pq_jplan *p, const struct ArrowArray *a, int64_t i, const char **s,
                    size_t *n);
/* Check that a batch matches its schema shape (children/buffers present). */
parq_status pq_jplan_check(const pq_jplan *p, const struct ArrowArray *a, parq_error *err);
/* ---------------- readers (reader.c, jsonl_reader.c, csv_reader.c) ---------------- */
/* Bytes of zeroed padding kept after the data in the read buffer (vector
 * loads may run past the end of a line). */
#define PQ_READ_PAD 64

struct pq_text_reader {
  char *path;                /* for messages ("<stdin>" for "-") */
  int fd;
  bool close_fd, done, failed;
  pq_file_format fmt;
  char *buf;                 /* [pos, len) unconsumed data, then PQ_READ_PAD zeros */
  size_t cap, len, pos, base_cap;
  bool eof;
  bool discard_sample;       /* inference on a seekable file: drop sampled lines, rewind after */
  int64_t file_off;          /* file offset of buf[0] */
  int64_t total;             /* file size or -1 */
  int64_t lineno;            /* lines consumed so far */
  int64_t batch_rows, infer_rows;
  struct ArrowSchema schema; /* output schema (after projection) */
  pq_col root;               /* "+s" builder of the output schema */
  pq_jctx jc;
  /* CSV */
  char delim;
  int header;
  int n_fields_file;         /* columns per record */
  char **names;              /* file column names (header or colN) */
  int *col_map;              /* file column -> root kid index, or -1 */
  size_t n_fields, fields_cap;
  size_t *f_start, *f_len;   /* offsets into buf of the last record's fields */
  uint8_t *f_flags;          /* 1 = quoted, 2 = has "" escapes */
  parq_buf scratch;
};

/* Read more input, keeping [pos, len) (compacted to the start) and adjusting
 * *cur (>= pos). 1: got bytes, 0: end of input, <0: error. */
int pq_reader_fill(pq_text_reader *r, size_t *cur, parq_error *err);
/* Next '\n'-terminated line from *cur. 1: line, 0: end of input, <0 error. */
int pq_reader_line(pq_text_reader *r, size_t *cur, const char **s, size_t *n, parq_error *err);

parq_status pq_jsonl_infer(pq_text_reader *r, struct ArrowSchema *out, parq_error *err);
/* 1: a row was appended to r->root, 0: end of input, <0: error. */
int pq_jsonl_next_row(pq_text_reader *r, parq_error *err);
/* Read the header and infer (when out_schema != NULL, else just the header). */
parq_status pq_csv_prepare(pq_text_reader *r, struct ArrowSchema *inferred, bool infer,
                           parq_error *err);
/* Map file columns to r->root after the output schema is known. */
parq_status pq_csv_bind(pq_text_reader *r, parq_error *err);
int pq_csv_next_row(pq_text_reader *r, parq_error *err);
#endif
