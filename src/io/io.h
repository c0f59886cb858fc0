/* io.h — text formats in and out of Arrow batches: JSON Lines and CSV readers
 * (with schema inference) and JSONL / CSV writers used by `parq cat`,
 * `parq store export` and friends. The layer sees only Arrow structs.
 *
 * Ownership: readers are opaque handles freed with pq_text_reader_close();
 * schemas/arrays they fill belong to the caller (release callbacks). */
#ifndef PARQ_IO_H
#define PARQ_IO_H
#include <stdint.h>
#include <stdio.h>

#include "parq.h"
#include "util/buf.h"

typedef enum { PQ_FMT_AUTO = 0, PQ_FMT_JSONL, PQ_FMT_CSV, PQ_FMT_PARQUET } pq_file_format;

/* Guess from the extension (.jsonl .ndjson .json .csv .tsv .parquet .pq, also
 * with .gz? no: plain files only). PQ_FMT_AUTO if unknown. */
pq_file_format pq_format_from_path(const char *path);

typedef struct pq_text_read_options {
  pq_file_format format;           /* PQ_FMT_JSONL or PQ_FMT_CSV (AUTO: from path) */
  int64_t batch_rows;              /* rows per batch (default 8192) */
  int64_t infer_rows;              /* rows sampled for inference (default 10000) */
  const struct ArrowSchema *schema;/* optional fixed schema: skips inference */
  const char *const *columns;      /* optional projection (top-level names) */
  size_t n_columns;
  char csv_delimiter;              /* default ',' ('\t' for .tsv) */
  int csv_header;                  /* 1 (default): first line holds names */
} pq_text_read_options;

void pq_text_read_options_init(pq_text_read_options *o);

typedef struct pq_text_reader pq_text_reader;

/* path "-" reads standard input. Memory stays bounded (a read buffer plus one
 * batch) whatever the file size. Inference reads ahead infer_rows rows and
 * replays them. A later value that does not fit the inferred type gives
 * PARQ_ESCHEMA naming the file, line, field and both types. */
parq_status pq_text_reader_open(const char *path, const pq_text_read_options *opt,
                                pq_text_reader **out, parq_error *err);
parq_status pq_text_reader_schema(pq_text_reader *r, struct ArrowSchema *out, parq_error *err);
/* Next batch as a "+s" struct array; PARQ_DONE at end. */
parq_status pq_text_reader_next(pq_text_reader *r, struct ArrowArray *out, parq_error *err);
/* Bytes of input consumed so far (for progress) and total size (-1 if unknown). */
int64_t pq_text_reader_bytes_read(const pq_text_reader *r);
int64_t pq_text_reader_bytes_total(const pq_text_reader *r);
/* Current capacity of the reader's input buffer (tests check memory stays bounded). */
size_t pq_text_reader_buffer_size(const pq_text_reader *r);
void pq_text_reader_close(pq_text_reader *r);

/* Schema files (`--schema FILE`): a JSON document such as
 *   {"fields":[{"name":"id","type":"int64","nullable":false},
 *              {"name":"tags","type":{"list":"string"}},
 *              {"name":"meta","type":{"struct":[{"name":"lang","type":"string"}]}}]}
 * Types: bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float double
 * string binary json uuid date time_ms time_us time_ns timestamp_ms timestamp_us
 * timestamp_ns (local) and the same with "_utc", "decimal(P,S)", "fixed(N)",
 * {"list":T}, {"struct":[fields]}, {"map":[K,V]}. */
parq_status pq_schema_from_json(const char *text, size_t len, struct ArrowSchema *out,
                                parq_error *err);
/* The inverse (used by `parq schema --json`-style output of Arrow schemas). */
parq_status pq_schema_to_json(const struct ArrowSchema *s, parq_buf *out, parq_error *err);

/* ---- Writers: append rows [0, batch->length) of a "+s" batch. ----
 * JSON rules: integers as numbers; floats as numbers (NaN/Infinity/-Infinity
 * as strings "NaN", "Infinity", "-Infinity"); DECIMAL as exact numbers with
 * their scale (e.g. 12.30); strings as strings; binary (not utf8) as base64;
 * DATE "YYYY-MM-DD"; TIME "HH:MM:SS[.fraction]"; TIMESTAMP
 * "YYYY-MM-DDTHH:MM:SS[.fraction]" + "Z" when UTC-adjusted (fraction digits by
 * unit: 3/6/9, trailing zeros kept); UUID (w:16 with extension arrow.uuid) in
 * canonical 8-4-4-4-12 form; lists as arrays; structs as objects; maps as
 * arrays of {"key":..,"value":..}; nulls as null. One object per row, keys in
 * schema order, '\n' after each. */
parq_status pq_jsonl_write_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                                 parq_buf *out, parq_error *err);
/* CSV: RFC 4180 quoting; nested values as their JSON text; nulls empty.
 * header != 0 writes the header line first. */
parq_status pq_csv_write_header(const struct ArrowSchema *schema, parq_buf *out, parq_error *err);
parq_status pq_csv_write_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch,
                               parq_buf *out, parq_error *err);
/* One value of column array `a` (type `s`) at logical row i, JSON-encoded. */
parq_status pq_json_write_value(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i,
                                parq_buf *out, parq_error *err);
#endif
