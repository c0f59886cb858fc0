/* cmd_cat.c — `parq cat FILE...`: print rows as JSON Lines or CSV.
 *
 * --offset/--limit count rows across all files. Whole files and whole row
 * groups before the offset are skipped from metadata alone, and
 * parq_reader_seek positions inside the first needed group, so a large
 * offset costs no decoding. Output goes through cli_out (big buffer, quiet
 * on a closed pipe). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dataset/store.h"
#include "io/io.h"
#include "util/error.h"

typedef struct cat_state {
  cli_out out;
  int csv;
  int header_done;
  int64_t skip; /* rows still to skip */
  int64_t left; /* rows still to print; < 0 = no limit */
} cat_state;

/* Release callback of the non-owning views below: nothing to free, but Arrow
 * consumers treat a NULL release as "already released". */
static void view_release(struct ArrowArray *a) { a->release = NULL; }

/* Write rows [start, start+cnt) of batch b. When that is not the whole batch
 * a non-owning view is built: the struct keeps offset 0 and each child gets
 * the slice's offset and length (children carry their own offsets in Arrow,
 * so writers must already honour them). */
static parq_status write_rows(cat_state *s, const struct ArrowSchema *schema,
                              const struct ArrowArray *b, int64_t start, int64_t cnt,
                              parq_error *err) {
  parq_buf *buf = &s->out.buf;
  if (start == 0 && cnt == b->length)
    return s->csv ? pq_csv_write_batch(schema, b, buf, err) : pq_jsonl_write_batch(schema, b, buf, err);
  size_t nc = (size_t)b->n_children;
  struct ArrowArray *kids = calloc(nc ? nc : 1, sizeof *kids);
  struct ArrowArray **ptrs = calloc(nc ? nc : 1, sizeof *ptrs);
  if (!kids || !ptrs) {
    free(kids);
    free(ptrs);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory slicing a batch");
  }
  for (size_t i = 0; i < nc; i++) {
    kids[i] = *b->children[i];
    kids[i].offset += b->offset + start;
    kids[i].length = cnt;
    kids[i].release = view_release; /* a view: the batch still owns everything */
    ptrs[i] = &kids[i];
  }
  const void *no_validity[1] = {NULL}; /* top-level rows are never null */
  struct ArrowArray view = *b;
  view.length = cnt;
  view.offset = 0;
  view.null_count = 0;
  view.n_buffers = 1;
  view.buffers = no_validity;
  view.children = ptrs;
  view.release = view_release;
  parq_status st = s->csv ? pq_csv_write_batch(schema, &view, buf, err)
                          : pq_jsonl_write_batch(schema, &view, buf, err);
  free(kids);
  free(ptrs);
  return st;
}

/* Skip whole row groups covered by s->skip and seek into the first needed
 * one. Returns PARQ_DONE when the whole file lies before the offset. */
static parq_status skip_ahead(cat_state *s, parq_reader *r, parq_error *err) {
  int64_t total = parq_reader_num_rows(r);
  if (s->skip >= total) {
    s->skip -= total;
    return PARQ_DONE;
  }
  int64_t nsel = parq_reader_num_selected_row_groups(r), g = 0;
  while (g < nsel) {
    int64_t n = parq_reader_row_group_num_rows(r, g);
    if (n < 0 || s->skip < n) break;
    s->skip -= n;
    g++;
  }
  if (g >= nsel) return PARQ_DONE;
  if (parq_reader_seek(r, g, s->skip, err) == PARQ_OK) {
    s->skip = 0;
    return PARQ_OK;
  }
  /* Seeking inside the group failed: start at the group and let the batch
   * loop drop the remaining rows. */
  parq_err_clear(err);
  if (g == 0) return PARQ_OK;
  return parq_reader_seek(r, g, 0, err);
}

/* ---- a store directory: its current state (de-duplicated by key) ---- */
typedef struct store_cat {
  cat_state *s;
  const char **cols;
  size_t n_cols;
} store_cat;

static parq_status store_emit(void *user, const struct ArrowSchema *schema,
                              const struct ArrowArray *batch, parq_error *err) {
  store_cat *c = user;
  cat_state *s = c->s;
  if (s->left == 0 || s->out.closed || s->out.failed || cli_interrupted) return PARQ_DONE;
  /* Projection: a view holding only the selected top-level columns, in the asked order. */
  size_t nc = c->n_cols ? c->n_cols : (size_t)schema->n_children;
  struct ArrowSchema **sk = calloc(nc ? nc : 1, sizeof *sk);
  struct ArrowArray **ak = calloc(nc ? nc : 1, sizeof *ak);
  parq_status st = PARQ_OK;
  if (!sk || !ak) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (size_t i = 0; i < nc && !st; i++) {
    int64_t j = (int64_t)i;
    if (c->n_cols) {
      for (j = 0; j < schema->n_children; j++)
        if (!strcmp(schema->children[j]->name, c->cols[i])) break;
      if (j == schema->n_children) st = parq_err_set(err, PARQ_ESCHEMA, "no column named \"%s\"", c->cols[i]);
    }
    if (!st) sk[i] = schema->children[j], ak[i] = batch->children[j];
  }
  struct ArrowSchema vs = *schema;
  struct ArrowArray vb = *batch;
  vs.n_children = (int64_t)nc, vs.children = sk, vs.release = NULL;
  vb.n_children = (int64_t)nc, vb.children = ak, vb.release = view_release;
  if (!st && s->csv && !s->header_done) {
    st = pq_csv_write_header(&vs, &s->out.buf, err);
    s->header_done = 1;
  }
  int64_t n = batch->length, start = 0;
  if (!st && s->skip > 0) {
    start = s->skip < n ? s->skip : n;
    s->skip -= start;
  }
  int64_t cnt = n - start;
  if (s->left >= 0 && cnt > s->left) cnt = s->left;
  if (!st && cnt > 0) {
    st = write_rows(s, &vs, &vb, start, cnt, err);
    if (!st && s->left > 0) s->left -= cnt;
  }
  free(sk);
  free(ak);
  if (!st && cli_out_flush(&s->out, 0) != 0) return PARQ_DONE;
  return st;
}

static int cat_store(cat_state *s, const char *dir, const char **cols, size_t n_cols) {
  store_cat c = {s, cols, n_cols};
  parq_error err = {0};
  parq_status st = parq_store_read(dir, NULL, 0, store_emit, &c, NULL, &err);
  if (st < 0) return cli_fail_err(&err, st, dir);
  return CLI_OK;
}

static int cat_file(cat_state *s, const char *path, const parq_read_options *ro) {
  parq_error err = {0};
  parq_reader *r = NULL;
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  parq_status st = parq_reader_open(path, ro, &r, &err);
  if (st != PARQ_OK) return cli_fail_err(&err, st, path);
  int rc = CLI_OK;
  st = parq_reader_schema(r, &schema, &err);
  if (st != PARQ_OK) goto fail;
  if (s->csv && !s->header_done) {
    st = pq_csv_write_header(&schema, &s->out.buf, &err);
    if (st != PARQ_OK) goto fail;
    s->header_done = 1;
  }
  if (s->skip > 0) {
    st = skip_ahead(s, r, &err);
    if (st == PARQ_DONE) goto done;
    if (st != PARQ_OK) goto fail;
  }
  while (s->left != 0 && !cli_interrupted) {
    st = parq_reader_next(r, &batch, &err);
    if (st == PARQ_DONE) break;
    if (st != PARQ_OK) goto fail;
    int64_t n = batch.length, start = 0;
    if (s->skip > 0) {
      start = s->skip < n ? s->skip : n;
      s->skip -= start;
    }
    int64_t cnt = n - start;
    if (s->left >= 0 && cnt > s->left) cnt = s->left;
    if (cnt > 0) {
      st = write_rows(s, &schema, &batch, start, cnt, &err);
      if (st != PARQ_OK) goto fail;
      if (s->left > 0) s->left -= cnt;
    }
    batch.release(&batch);
    if (cli_out_flush(&s->out, 0) != 0) break; /* pipe closed or write error */
  }
done:
  if (batch.release) batch.release(&batch);
  if (schema.release) schema.release(&schema);
  parq_reader_close(r);
  return rc;
fail:
  rc = cli_fail_err(&err, st, path);
  goto done;
}

static int cat_run(const cli_args *a) {
  cat_state s;
  memset(&s, 0, sizeof s);
  s.left = -1;
  int64_t batch_rows = 0;
  int rc;
  if ((rc = cli_opt_int64(a, "offset", 0, &s.skip)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "limit", 0, &s.left)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "batch-rows", 1, &batch_rows)) != CLI_OK) return rc;
  const char *fmt = cli_value(a, "format");
  if (fmt) {
    if (!strcmp(fmt, "csv"))
      s.csv = 1;
    else if (strcmp(fmt, "jsonl") && strcmp(fmt, "ndjson"))
      return cli_usage_error(a->cmd, "--format must be jsonl or csv, got '%s'", fmt);
  }
  /* A small --limit needs no 64K-row batches. */
  if (!batch_rows && s.left > 0 && s.left < 65536) batch_rows = s.left < 1024 ? 1024 : s.left;

  const char **cols = NULL;
  size_t n_cols = 0;
  char *col_store = NULL;
  if ((rc = cli_list_option(a, "columns", &cols, &n_cols, &col_store)) != CLI_OK) return rc;

  parq_read_options ro;
  parq_read_options_init(&ro);
  ro.columns = cols;
  ro.n_columns = n_cols;
  ro.batch_rows = batch_rows;
  ro.verify_checksums = cli_flag(a, "verify-checksums");

  cli_out_init(&s.out, STDOUT_FILENO);
  rc = CLI_OK;
  for (size_t i = 0; i < a->n_pos && rc == CLI_OK; i++) {
    if (s.left == 0 && (s.header_done || !s.csv)) break;
    if (s.out.closed || s.out.failed || cli_interrupted) break;
    if (pq_store_is_store(a->pos[i])) {
      /* A store directory: its current state, de-duplicated by key like
       * `parq store export` (data files plus pending increments). */
      rc = cat_store(&s, a->pos[i], cols, n_cols);
      continue;
    }
    rc = cat_file(&s, a->pos[i], &ro);
  }
  int orc = cli_out_finish(&s.out);
  free(cols);
  free(col_store);
  if (rc == CLI_OK && cli_interrupted) rc = CLI_FAIL;
  return rc != CLI_OK ? rc : orc;
}

static const cli_option cat_options[] = {
    {"columns", 0, "a,b.c", "print only these columns (top-level names or dotted paths; repeatable)"},
    {"limit", 0, "N", "print at most N rows in total"},
    {"offset", 0, "N", "skip the first N rows (counted across all files; skipped groups are not read)"},
    {"format", 0, "jsonl|csv", "output format (default jsonl: one JSON object per row)"},
    {"verify-checksums", 0, NULL, "verify page CRC32 checksums where the file has them"},
    {"batch-rows", 0, "N", "rows decoded per batch (default 65536)"},
};

const cli_command cli_cmd_cat = {
    .name = "cat",
    .summary = "print the rows of Parquet files as JSON Lines or CSV",
    .usage = "FILE... [options]",
    .description = "Files are printed one after another; with --format csv the header is "
                   "written once, from the first file's columns.",
    .options = cat_options,
    .n_options = sizeof cat_options / sizeof cat_options[0],
    .examples = "parq cat data.parquet | head\n"
                "parq cat data.parquet --columns id,meta.lang --limit 10\n"
                "parq cat part-*.parquet --offset 1000000 --limit 20 --format csv",
    .min_pos = 1,
    .max_pos = -1,
    .run = cat_run,
};
