/* cmd_convert.c — `parq convert INPUT... -o OUT.parquet`: JSON Lines, CSV or
 * Parquet in, Parquet out.
 *
 * The first input fixes the schema (inferred, from --schema FILE, or the
 * Parquet file's own); every later input must produce the same Arrow schema
 * or the command fails naming the file and the column. The writer builds the
 * file under a temporary name and renames on close, so on any error or
 * interrupt parq_writer_abort() leaves nothing behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "io/io.h"

#define SCHEMA_FILE_MAX (16 << 20)
#define PROGRESS_MIN_BYTES (64ll << 20)

/* ---- one open input, text or Parquet ---- */
typedef struct conv_src {
  pq_file_format fmt;
  pq_text_reader *text;
  parq_reader *pq;
  int64_t rows_total, rows_done; /* Parquet: for progress */
} conv_src;

typedef struct conv_ctx {
  const cli_args *a;
  pq_file_format from;     /* --from, or AUTO */
  char delimiter;          /* --from tsv => '\t', else 0 (reader default) */
  const struct ArrowSchema *fixed; /* --schema, or NULL */
  const char *const *cols;
  size_t n_cols;
} conv_ctx;

static void src_close(conv_src *s) {
  pq_text_reader_close(s->text);
  parq_reader_close(s->pq);
  memset(s, 0, sizeof *s);
}

static parq_status src_open(const conv_ctx *c, const char *path, pq_file_format fmt,
                            conv_src *s, parq_error *err) {
  memset(s, 0, sizeof *s);
  s->fmt = fmt;
  if (fmt == PQ_FMT_PARQUET) {
    parq_read_options ro;
    parq_read_options_init(&ro);
    ro.columns = c->cols;
    ro.n_columns = c->n_cols;
    parq_status st = parq_reader_open(path, &ro, &s->pq, err);
    if (st == PARQ_OK) s->rows_total = parq_reader_num_rows(s->pq);
    return st;
  }
  pq_text_read_options to;
  pq_text_read_options_init(&to);
  to.format = fmt;
  to.schema = c->fixed;
  to.columns = c->cols;
  to.n_columns = c->n_cols;
  if (c->delimiter) to.csv_delimiter = c->delimiter;
  return pq_text_reader_open(path, &to, &s->text, err);
}

static parq_status src_schema(conv_src *s, struct ArrowSchema *out, parq_error *err) {
  return s->pq ? parq_reader_schema(s->pq, out, err) : pq_text_reader_schema(s->text, out, err);
}

static parq_status src_next(conv_src *s, struct ArrowArray *out, parq_error *err) {
  if (!s->pq) return pq_text_reader_next(s->text, out, err);
  parq_status st = parq_reader_next(s->pq, out, err);
  if (st == PARQ_OK) s->rows_done += out->length;
  return st;
}

/* Input bytes consumed so far (Parquet: estimated from rows). */
static int64_t src_bytes_done(const conv_src *s, int64_t size) {
  if (s->text) return pq_text_reader_bytes_read(s->text);
  if (s->rows_total <= 0 || size <= 0) return 0;
  return (int64_t)((double)size * (double)s->rows_done / (double)s->rows_total);
}

/* ---- schema comparison ---- */

static const char *type_name(const char *f) {
  static const char *const map[][2] = {
      {"n", "null"},     {"b", "bool"},     {"c", "int8"},        {"C", "uint8"},
      {"s", "int16"},    {"S", "uint16"},   {"i", "int32"},       {"I", "uint32"},
      {"l", "int64"},    {"L", "uint64"},   {"e", "float16"},     {"f", "float"},
      {"g", "double"},   {"u", "string"},   {"U", "large string"}, {"z", "binary"},
      {"Z", "large binary"}, {"tdD", "date"}, {"+l", "list"},     {"+L", "large list"},
      {"+s", "struct"},  {"+m", "map"},     {"vu", "string view"}, {"vz", "binary view"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(map[i][0], f)) return map[i][1];
  return f;
}

/* Compare b against the reference a (names, order and types; nullability is
 * left to the writer, which rejects an actual null in a required column).
 * On a difference, fills msg and returns 1 (names differ) or 2 (types). */
static int schema_diff(const struct ArrowSchema *a, const struct ArrowSchema *b,
                       const char *prefix, const char *ref_path, char *msg, size_t cap) {
  for (int64_t i = 0; i < a->n_children || i < b->n_children; i++) {
    const struct ArrowSchema *ca = i < a->n_children ? a->children[i] : NULL;
    const struct ArrowSchema *cb = i < b->n_children ? b->children[i] : NULL;
    const char *na = ca && ca->name ? ca->name : "";
    const char *nb = cb && cb->name ? cb->name : "";
    if (!cb) {
      snprintf(msg, cap, "column '%s%s' of %s is missing", prefix, na, ref_path);
      return 1;
    }
    if (!ca) {
      snprintf(msg, cap, "column '%s%s' is not in %s", prefix, nb, ref_path);
      return 1;
    }
    if (strcmp(na, nb)) {
      snprintf(msg, cap, "column %lld is '%s%s' but '%s%s' in %s", (long long)i + 1, prefix, nb,
               prefix, na, ref_path);
      return 1;
    }
    char sub[512];
    snprintf(sub, sizeof sub, "%s%s.", prefix, na);
    if (strcmp(ca->format, cb->format) || (!ca->dictionary) != (!cb->dictionary)) {
      snprintf(msg, cap, "column '%s%s' has type %s but %s in %s", prefix, na,
               type_name(cb->format), type_name(ca->format), ref_path);
      return 2;
    }
    int d = schema_diff(ca, cb, sub, ref_path, msg, cap);
    if (d) return d;
  }
  return 0;
}

/* ---- options ---- */

static int parse_format(const char *s, pq_file_format *fmt, char *delim) {
  *delim = 0;
  if (!strcmp(s, "jsonl") || !strcmp(s, "ndjson") || !strcmp(s, "json")) *fmt = PQ_FMT_JSONL;
  else if (!strcmp(s, "csv")) *fmt = PQ_FMT_CSV;
  else if (!strcmp(s, "tsv")) { *fmt = PQ_FMT_CSV; *delim = '\t'; }
  else if (!strcmp(s, "parquet")) *fmt = PQ_FMT_PARQUET;
  else return -1;
  return 0;
}

static int onoff_opt(const cli_args *a, const char *name, int *out) {
  const char *v = cli_value(a, name);
  if (v && cli_parse_onoff(v, out) != 0)
    return cli_usage_error(a->cmd, "--%s must be on or off, got '%s'", name, v);
  return CLI_OK;
}

/* Fill the write options from the command line. *col_opts is malloc'ed. */
static int build_write_options(const cli_args *a, parq_write_options *wo,
                               parq_column_options **col_opts) {
  int rc;
  parq_write_options_init(wo);
  *col_opts = NULL;
  const char *v = cli_value(a, "compression");
  if (v) {
    parq_codec codec;
    int level = 0;
    if (parq_codec_parse(v, &codec, &level) != PARQ_OK)
      return cli_usage_error(a->cmd,
                             "unknown compression '%s' (zstd[:LEVEL], snappy, gzip, lz4, brotli, "
                             "none)", v);
    wo->codec = codec;
    wo->level = level;
  }
  if ((rc = cli_opt_int64(a, "row-group-rows", 1, &wo->row_group_rows)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "row-group-bytes", 1, &wo->row_group_bytes)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "page-bytes", 1, &wo->page_bytes)) != CLI_OK) return rc;
  v = cli_value(a, "page-version");
  if (v) {
    if (strcmp(v, "1") && strcmp(v, "2"))
      return cli_usage_error(a->cmd, "--page-version must be 1 or 2, got '%s'", v);
    wo->page_version = v[0] - '0';
  }
  if ((rc = onoff_opt(a, "dictionary", &wo->dictionary)) != CLI_OK) return rc;
  if ((rc = onoff_opt(a, "statistics", &wo->statistics)) != CLI_OK) return rc;
  int64_t threads = 0;
  if ((rc = cli_opt_int64(a, "threads", 1, &threads)) != CLI_OK) return rc;
  if (threads > 1024) return cli_usage_error(a->cmd, "--threads must be at most 1024");
  if (threads) wo->threads = (int)threads;
  wo->cdc = cli_flag(a, "cdc");
  if ((rc = cli_opt_size(a, "cdc-min", 0, &wo->cdc_min_bytes)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "cdc-max", 1, &wo->cdc_max_bytes)) != CLI_OK) return rc;
  int64_t norm = 0;
  if ((rc = cli_opt_int64(a, "cdc-norm", -63, &norm)) != CLI_OK) return rc;
  if (norm > 63) return cli_usage_error(a->cmd, "--cdc-norm must be in -63..63");
  wo->cdc_norm_level = (int)norm;
  if ((cli_value(a, "cdc-min") || cli_value(a, "cdc-max") || cli_value(a, "cdc-norm")) && !wo->cdc)
    return cli_usage_error(a->cmd, "--cdc-min/--cdc-max/--cdc-norm need --cdc");
  if (wo->cdc && wo->cdc_max_bytes <= wo->cdc_min_bytes)
    return cli_usage_error(a->cmd, "--cdc-max (%lld) must be larger than --cdc-min (%lld)",
                           (long long)wo->cdc_max_bytes, (long long)wo->cdc_min_bytes);

  size_t n_enc = cli_count(a, "encoding");
  if (n_enc) {
    parq_column_options *co = calloc(n_enc, sizeof *co);
    if (!co) return cli_failf("out of memory");
    for (size_t i = 0; i < n_enc; i++) {
      /* COL=ENC: the column name is everything before the last '=' so a
       * column name may itself contain '='. */
      const char *spec = cli_value_at(a, "encoding", i);
      const char *eq = strrchr(spec, '=');
      parq_encoding enc;
      if (!eq || eq == spec || parq_encoding_parse(eq + 1, &enc) != PARQ_OK) {
        free(co);
        return cli_usage_error(a->cmd,
                               "--encoding expects COL=ENC with ENC one of plain, rle, "
                               "delta_binary_packed, delta_length_byte_array, delta_byte_array, "
                               "byte_stream_split, dictionary; got '%s'", spec);
      }
      co[i].path = NULL; /* set below, once the names are copied */
      co[i].codec = -1;
      co[i].level = INT32_MIN;
      co[i].encoding = enc;
      co[i].dictionary = -1;
      co[i].statistics = -1;
    }
    *col_opts = co;
    wo->columns = co;
    wo->n_columns = n_enc;
  }
  return CLI_OK;
}

static int read_schema_file(const cli_args *a, const char *path, struct ArrowSchema *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return cli_failf("%s: cannot open schema file: %s", path, strerror(errno));
  char *text = malloc(SCHEMA_FILE_MAX + 1);
  if (!text) {
    fclose(f);
    return cli_failf("out of memory");
  }
  size_t n = fread(text, 1, SCHEMA_FILE_MAX + 1, f);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(text);
    return cli_failf("%s: read error", path);
  }
  if (n > SCHEMA_FILE_MAX) {
    free(text);
    return cli_failf("%s: schema file larger than %d MB", path, SCHEMA_FILE_MAX >> 20);
  }
  parq_error err = {0};
  parq_status st = pq_schema_from_json(text, n, out, &err);
  free(text);
  (void)a;
  if (st != PARQ_OK) return cli_fail_err(&err, st, path);
  return CLI_OK;
}

/* ---- the command ---- */

static int convert_run(const cli_args *a) {
  const char *out_path = cli_value(a, "output");
  if (!out_path) return cli_usage_error(a->cmd, "missing -o OUT.parquet");
  int quiet = cli_flag(a, "quiet");
  conv_ctx c;
  memset(&c, 0, sizeof c);
  c.a = a;
  const char *from = cli_value(a, "from");
  if (from && parse_format(from, &c.from, &c.delimiter) != 0)
    return cli_usage_error(a->cmd, "--from must be jsonl, csv, tsv or parquet, got '%s'", from);

  /* Formats and sizes of the inputs. */
  size_t n_in = a->n_pos;
  pq_file_format *fmts = calloc(n_in, sizeof *fmts);
  int64_t *sizes = calloc(n_in, sizeof *sizes);
  if (!fmts || !sizes) {
    free(fmts);
    free(sizes);
    return cli_failf("out of memory");
  }
  int rc = CLI_OK, any_parquet = 0;
  int64_t total = 0;
  for (size_t i = 0; i < n_in && rc == CLI_OK; i++) {
    const char *p = a->pos[i];
    fmts[i] = c.from ? c.from : pq_format_from_path(p);
    if (fmts[i] == PQ_FMT_AUTO)
      rc = cli_usage_error(a->cmd, "cannot tell the format of '%s' from its name; use --from", p);
    else if (!strcmp(p, "-") && fmts[i] == PQ_FMT_PARQUET)
      rc = cli_usage_error(a->cmd, "Parquet input cannot be read from standard input");
    any_parquet |= fmts[i] == PQ_FMT_PARQUET;
    struct stat sb;
    sizes[i] = strcmp(p, "-") && stat(p, &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1;
    if (sizes[i] < 0) total = -1;
    else if (total >= 0) total += sizes[i];
  }
  const char *schema_path = cli_value(a, "schema");
  if (rc == CLI_OK && schema_path && any_parquet)
    rc = cli_usage_error(a->cmd, "--schema applies to JSONL/CSV inputs only");

  parq_write_options wo;
  parq_column_options *col_opts = NULL;
  char **enc_names = NULL;
  const char **cols = NULL;
  char *col_store = NULL;
  struct ArrowSchema fixed = {0}, ref = {0}, cur = {0};
  struct ArrowArray batch = {0};
  conv_src src;
  memset(&src, 0, sizeof src);
  parq_writer *w = NULL;
  parq_error err = {0};
  parq_status st = PARQ_OK;
  const char *err_path = NULL;
  cli_progress prog;
  cli_progress_init(&prog, "parq convert", total, 0);
  if (rc == CLI_OK) rc = build_write_options(a, &wo, &col_opts);
  if (rc == CLI_OK && wo.n_columns) {
    /* Copy the COL part of each COL=ENC (argv itself stays untouched). */
    enc_names = calloc(wo.n_columns, sizeof *enc_names);
    for (size_t i = 0; enc_names && i < wo.n_columns; i++) {
      const char *spec = cli_value_at(a, "encoding", i);
      enc_names[i] = strndup(spec, (size_t)(strrchr(spec, '=') - spec));
      if (!enc_names[i]) break;
      col_opts[i].path = enc_names[i];
    }
    if (!enc_names || !col_opts[wo.n_columns - 1].path) rc = cli_failf("out of memory");
  }
  size_t n_cols = 0;
  if (rc == CLI_OK) rc = cli_list_option(a, "columns", &cols, &n_cols, &col_store);
  c.cols = cols;
  c.n_cols = n_cols;
  if (rc == CLI_OK && schema_path) {
    rc = read_schema_file(a, schema_path, &fixed);
    c.fixed = &fixed;
  }
  if (rc != CLI_OK) goto out;

  int show = !quiet && (total > PROGRESS_MIN_BYTES || cli_stderr_is_tty());
  cli_progress_init(&prog, "parq convert", total, show);
  double t0 = cli_now();
  int64_t done_before = 0, rows = 0;

  for (size_t i = 0; i < n_in; i++) {
    const char *path = a->pos[i];
    err_path = path;
    st = src_open(&c, path, fmts[i], &src, &err);
    if (st != PARQ_OK) goto fail;
    st = src_schema(&src, i == 0 ? &ref : &cur, &err);
    if (st != PARQ_OK) goto fail;
    if (i == 0) {
      err_path = out_path;
      st = parq_writer_open(out_path, &ref, &wo, &w, &err);
      if (st != PARQ_OK) goto fail;
    } else {
      char why[768];
      int diff = schema_diff(&ref, &cur, "", a->pos[0], why, sizeof why);
      cur.release(&cur);
      if (diff) {
        rc = cli_failf("%s: schema differs from the first input: %s%s", path, why,
                       diff == 2 && fmts[i] != PQ_FMT_PARQUET && !schema_path
                           ? " (use --schema FILE to fix the types)" : "");
        goto out;
      }
    }
    for (;;) {
      if (cli_interrupted) {
        rc = cli_failf("interrupted; %s not written", out_path);
        goto out;
      }
      err_path = path;
      st = src_next(&src, &batch, &err);
      if (st == PARQ_DONE) break;
      if (st != PARQ_OK) goto fail;
      err_path = out_path;
      st = parq_writer_write(w, &batch, &err);
      rows += batch.length;
      batch.release(&batch);
      if (st != PARQ_OK) goto fail;
      cli_progress_update(&prog, done_before + src_bytes_done(&src, sizes[i]), rows);
    }
    done_before += sizes[i] > 0 ? sizes[i] : src_bytes_done(&src, sizes[i]);
    src_close(&src);
  }
  cli_progress_finish(&prog);
  int64_t out_rows = parq_writer_rows(w);
  err_path = out_path;
  st = parq_writer_close(w, &err);
  w = NULL; /* freed by close whatever the result */
  if (st != PARQ_OK) goto fail;
  if (!quiet) {
    struct stat sb;
    char b1[32];
    int64_t out_bytes = stat(out_path, &sb) == 0 ? (int64_t)sb.st_size : 0;
    fprintf(stderr, "parq convert: wrote %s (%lld rows, %s) in %.2f s\n", out_path,
            (long long)out_rows, cli_fmt_bytes((double)out_bytes, b1, sizeof b1),
            cli_now() - t0);
  }
  rc = CLI_OK;
  goto out;

fail:
  cli_progress_finish(&prog);
  rc = cli_fail_err(&err, st, err_path);
out:
  if (batch.release) batch.release(&batch);
  src_close(&src);
  parq_writer_abort(w); /* no-op when NULL; removes the temporary otherwise */
  if (ref.release) ref.release(&ref);
  if (cur.release) cur.release(&cur);
  if (fixed.release) fixed.release(&fixed);
  for (size_t i = 0; enc_names && i < wo.n_columns; i++) free(enc_names[i]);
  free(enc_names);
  free(col_opts);
  free(cols);
  free(col_store);
  free(fmts);
  free(sizes);
  return rc;
}

static const cli_option convert_options[] = {
    {"output", 'o', "OUT.parquet", "the Parquet file to write (required; replaced atomically)"},
    {"from", 0, "jsonl|csv|tsv|parquet", "input format (default: from each input's extension)"},
    {"schema", 0, "FILE", "JSON schema file for JSONL/CSV input instead of inferring types"},
    {"columns", 0, "a,b", "keep only these input columns"},
    {"compression", 0, "CODEC[:LEVEL]", "zstd[:LEVEL] (default zstd:3), snappy, gzip, lz4, brotli or none"},
    {"row-group-rows", 0, "N", "close a row group after N rows (default 1048576)"},
    {"row-group-bytes", 0, "SIZE", "...or once it reaches SIZE encoded bytes (default 128M)"},
    {"page-bytes", 0, "SIZE", "target uncompressed data page size (default 1M)"},
    {"page-version", 0, "1|2", "data page format version (default 1)"},
    {"dictionary", 0, "on|off", "dictionary-encode columns while it pays off (default on)"},
    {"statistics", 0, "on|off", "write min/max/null-count statistics (default on)"},
    {"encoding", 0, "COL=ENC", "force an encoding for a column, e.g. ts=delta_binary_packed (repeatable)"},
    {"threads", 0, "N", "compress with N threads (output is identical)"},
    {"cdc", 0, NULL, "content-defined page and row-group boundaries (dedup-friendly; docs/CDC.md)"},
    {"cdc-min", 0, "SIZE", "CDC minimum chunk, logical bytes (default 256K)"},
    {"cdc-max", 0, "SIZE", "CDC maximum chunk, logical bytes (default 1M)"},
    {"cdc-norm", 0, "LEVEL", "CDC normalization level, -3..3 typical (default 0)"},
    {"quiet", 'q', NULL, "no progress or summary on stderr"},
};

const cli_command cli_cmd_convert = {
    .name = "convert",
    .summary = "convert JSON Lines, CSV or Parquet files into one Parquet file",
    .usage = "INPUT... -o OUT.parquet [options]",
    .description = "The input format comes from the extension (.jsonl .ndjson .json .csv .tsv "
                   ".parquet) or --from; '-' reads standard input (with --from). Types are "
                   "inferred from the first input unless --schema is given; every later input "
                   "must have the same schema. SIZE accepts suffixes: 64K, 1M, 128MB, 1G. On "
                   "error nothing is left behind.",
    .options = convert_options,
    .n_options = sizeof convert_options / sizeof convert_options[0],
    .examples = "parq convert events.jsonl -o events.parquet\n"
                "parq convert a.csv b.csv -o ab.parquet --compression zstd:9 --row-group-rows 500000\n"
                "cat data.jsonl | parq convert - --from jsonl --schema schema.json -o out.parquet\n"
                "parq convert old.parquet -o new.parquet --compression snappy --encoding ts=delta_binary_packed",
    .min_pos = 1,
    .max_pos = -1,
    .run = convert_run,
};
