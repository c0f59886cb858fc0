/* cmd_stream.c — `parq stream PATH...`: what one rank of a data-parallel job
 * would read from a set of shards (parq_stream), printed as JSON Lines, CSV,
 * or just batch sizes (--format count). With --state-out the resume state is
 * rewritten atomically after every batch, after that batch's output has been
 * written, so `--resume` continues exactly where the printed rows stop. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dataset/stream_internal.h"
#include "io/io.h"
#include "util/arrow.h"
#include "util/error.h"

enum { FMT_JSONL, FMT_CSV, FMT_COUNT };

static int read_text_file(const char *path, char **out) {
  FILE *f = fopen(path, "rb");
  if (!f) return cli_failf("%s: %s", path, strerror(errno));
  parq_buf b = PARQ_BUF_INIT;
  char chunk[4096];
  size_t n;
  int rc = CLI_OK;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (b.len + n > (1u << 20)) {
      rc = cli_failf("%s: too large for a resume state", path);
      break;
    }
    if (parq_buf_append(&b, chunk, n)) {
      rc = cli_failf("out of memory");
      break;
    }
  }
  if (rc == CLI_OK && ferror(f)) rc = cli_failf("%s: read error", path);
  fclose(f);
  if (rc == CLI_OK && parq_buf_append_byte(&b, 0)) rc = cli_failf("out of memory");
  if (rc != CLI_OK) {
    parq_buf_free(&b);
    return rc;
  }
  *out = (char *)parq_buf_detach(&b);
  return CLI_OK;
}

/* Write FILE.tmp, fsync-free (states are small and rewritten constantly),
 * then rename over FILE: readers never see a half-written state. */
static int write_state(parq_stream *s, const char *path) {
  char *json = NULL;
  parq_error err = {0};
  parq_status st = parq_stream_state(s, &json, &err);
  if (st != PARQ_OK) return cli_fail_err(&err, st, NULL);
  size_t pl = strlen(path);
  char *tmp = malloc(pl + 8);
  if (!tmp) {
    parq_free(json);
    return cli_failf("out of memory");
  }
  snprintf(tmp, pl + 8, "%s.tmp", path);
  int rc = CLI_OK;
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    rc = cli_failf("%s: %s", tmp, strerror(errno));
  } else {
    int bad = fputs(json, f) < 0 || fputc('\n', f) == EOF;
    if (fclose(f) != 0) bad = 1;
    if (bad) rc = cli_failf("%s: write error", tmp);
    else if (rename(tmp, path) != 0) rc = cli_failf("%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    if (rc != CLI_OK) unlink(tmp);
  }
  free(tmp);
  parq_free(json);
  return rc;
}

static int stream_run(const cli_args *a) {
  int rc;
  int64_t rank = -1, world = -1, batch_rows = 128, epochs = 1, seed = 0, limit = -1, prefetch = 1, mem = 0;
  if ((rc = cli_opt_int64(a, "rank", 0, &rank)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "world", 1, &world)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "batch-rows", 1, &batch_rows)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "epochs", 0, &epochs)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "seed", 0, &seed)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "limit", 0, &limit)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "prefetch", 0, &prefetch)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "memory-limit", 0, &mem)) != CLI_OK) return rc;
  if (world > INT32_MAX || rank > INT32_MAX || epochs > INT32_MAX)
    return cli_usage_error(a->cmd, "--rank, --world and --epochs must fit in 32 bits");
  if (prefetch > 64) return cli_usage_error(a->cmd, "--prefetch must be at most 64, got %lld", (long long)prefetch);
  if (rank >= 0 && world >= 1 && rank >= world)
    return cli_usage_error(a->cmd, "--rank %lld must be less than --world %lld", (long long)rank, (long long)world);
  int fmt = FMT_JSONL;
  const char *f = cli_value(a, "format");
  if (f) {
    if (!strcmp(f, "csv")) fmt = FMT_CSV;
    else if (!strcmp(f, "count")) fmt = FMT_COUNT;
    else if (strcmp(f, "jsonl") && strcmp(f, "ndjson"))
      return cli_usage_error(a->cmd, "--format must be jsonl, csv or count, got '%s'", f);
  }
  const char *state_out = cli_value(a, "state-out");
  const char *resume = cli_value(a, "resume");

  const char **cols = NULL;
  size_t n_cols = 0;
  char *col_store = NULL;
  if ((rc = cli_list_option(a, "columns", &cols, &n_cols, &col_store)) != CLI_OK) return rc;
  char *resume_text = NULL;
  if (resume && (rc = read_text_file(resume, &resume_text)) != CLI_OK) {
    free(cols);
    free(col_store);
    return rc;
  }

  parq_stream_options o;
  parq_stream_options_init(&o);
  o.paths = a->pos;
  o.n_paths = a->n_pos;
  o.rank = (int)rank;
  o.world = (int)world;
  o.columns = cols;
  o.n_columns = n_cols;
  o.batch_rows = batch_rows;
  o.string_views = 1; /* every output format below reads views; no value bytes are copied */
  o.epochs = (int)epochs;
  o.seed = (uint64_t)seed;
  o.shuffle_row_groups = cli_flag(a, "shuffle");
  o.prefetch = (int)prefetch;
  o.memory_limit = mem;
  o.resume_state = resume_text;

  parq_error err = {0};
  parq_stream *s = NULL;
  parq_status st = parq_stream_open(&o, &s, &err);
  free(resume_text);
  if (st != PARQ_OK) {
    free(cols);
    free(col_store);
    /* Bad rank/world environment or a refused resume state: a usage problem. */
    if (st == PARQ_EINVAL) {
      fprintf(stderr, "parq stream: %s\n", err.message);
      return CLI_USAGE;
    }
    return cli_fail_err(&err, st, NULL);
  }

  struct ArrowSchema schema = {0};
  cli_out out;
  cli_out_init(&out, STDOUT_FILENO);
  rc = CLI_OK;
  st = parq_stream_schema(s, &schema, &err);
  if (st == PARQ_OK && fmt == FMT_CSV) st = pq_csv_write_header(&schema, &out.buf, &err);
  if (st != PARQ_OK) rc = cli_fail_err(&err, st, NULL);
  if (rc == CLI_OK && state_out) rc = write_state(s, state_out);

  int64_t rows = 0, batches = 0;
  while (rc == CLI_OK && !cli_interrupted && (limit < 0 || rows < limit)) {
    struct ArrowArray b;
    int64_t want = limit < 0 || limit - rows > batch_rows ? batch_rows : limit - rows;
    st = pq_stream_next_n(s, want, &b, &err);
    if (st == PARQ_DONE) break;
    if (st != PARQ_OK) {
      rc = cli_fail_err(&err, st, NULL);
      break;
    }
    if (fmt == FMT_COUNT)
      st = parq_buf_printf(&out.buf, "batch %lld rows %lld\n", (long long)batches, (long long)b.length)
               ? parq_err_set(&err, PARQ_ENOMEM, "out of memory")
               : PARQ_OK;
    else if (fmt == FMT_CSV)
      st = pq_csv_write_batch(&schema, &b, &out.buf, &err);
    else
      st = pq_jsonl_write_batch(&schema, &b, &out.buf, &err);
    rows += b.length;
    batches++;
    b.release(&b);
    if (st != PARQ_OK) {
      rc = cli_fail_err(&err, st, NULL);
      break;
    }
    /* With a state file, rows must be out before the state says so. */
    if (cli_out_flush(&out, state_out != NULL) != 0) break;
    if (state_out) rc = write_state(s, state_out);
  }
  if (rc == CLI_OK && fmt == FMT_COUNT && !out.closed)
    if (parq_buf_printf(&out.buf, "rows: %lld batches: %lld\n", (long long)rows, (long long)batches))
      rc = cli_failf("out of memory");
  int orc = cli_out_finish(&out);
  pq_arrow_schema_release(&schema);
  parq_stream_close(s);
  free(cols);
  free(col_store);
  if (rc == CLI_OK && cli_interrupted) rc = CLI_FAIL;
  return rc != CLI_OK ? rc : orc;
}

static const cli_option stream_options[] = {
    {"rank", 0, "R", "this process's rank (default: env RANK, else 0)"},
    {"world", 0, "W", "number of ranks (default: env WORLD_SIZE, else 1)"},
    {"columns", 0, "a,b", "read only these columns (top-level names or dotted paths; repeatable)"},
    {"batch-rows", 0, "N", "rows per batch (default 128; the last batch of an epoch may be shorter)"},
    {"epochs", 0, "N", "passes over the data (default 1); epochs after the first are reshuffled"},
    {"seed", 0, "S", "seed of the row-group permutation (default 0)"},
    {"shuffle", 0, NULL, "shuffle the row-group order in the first epoch too"},
    {"format", 0, "jsonl|csv|count", "output rows as JSON Lines (default) or CSV, or only count batches"},
    {"limit", 0, "N", "stop after N rows"},
    {"state-out", 0, "FILE", "after each batch, atomically rewrite FILE with the resume state"},
    {"resume", 0, "FILE", "continue exactly after the position saved in FILE (by --state-out)"},
    {"prefetch", 0, "N", "row groups decoded ahead on a background thread (default 1; 0 = none)"},
    {"memory-limit", 0, "BYTES", "fail if one decoded row group needs more than BYTES (e.g. 512M)"},
};

const cli_command cli_cmd_stream = {
    .name = "stream",
    .summary = "stream shards to one rank of a training job, in batches, with exact resume",
    .usage = "PATH... [options]",
    .description =
        "PATH is a shard directory (order from its manifest.json, else *.parquet sorted by name), "
        "a file or a glob. Rank R of W receives global row groups R, R+W, R+2W, ... counted across "
        "the files, so the ranks together see every row exactly once per epoch. Memory holds one "
        "decoded row group plus the prefetch window. A resume state from another dataset, world "
        "size or seed is refused (exit 2).",
    .options = stream_options,
    .n_options = sizeof stream_options / sizeof stream_options[0],
    .examples = "parq stream shards/ --rank 0 --world 8 --format count\n"
                "parq stream shards/ --columns text --batch-rows 128 --limit 5\n"
                "parq stream 'data/shard_*.parquet' --epochs 3 --seed 42 --state-out st.json\n"
                "parq stream shards/ --resume st.json --state-out st.json",
    .min_pos = 1,
    .max_pos = -1,
    .run = stream_run,
};
