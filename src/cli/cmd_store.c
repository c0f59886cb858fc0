/* cmd_store.c — `parq store SUBCOMMAND DIR ...`: init, append, consolidate,
 * export, import and health of a multi-writer store (docs/STORE.md). The
 * work is in the library (src/dataset/store*.c); this file parses options
 * and formats output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dataset/store.h"
#include "io/io.h"
#include "util/arrow.h"
#include "util/error.h"

#define SCHEMA_FILE_MAX (16 << 20)

static int store_init(const cli_args *a, const char *dir) {
  const char **keys = NULL;
  size_t n_keys = 0;
  char *store = NULL;
  int rc = cli_list_option(a, "key", &keys, &n_keys, &store);
  if (rc != CLI_OK) return rc;
  struct ArrowSchema schema = {0};
  parq_error err = {0};
  parq_status st = PARQ_OK;
  const char *sf = cli_value(a, "schema");
  if (sf) {
    parq_buf text = PARQ_BUF_INIT;
    st = pq_store_read_small(sf, SCHEMA_FILE_MAX, &text, &err);
    if (st == PARQ_DONE) st = parq_err_set(&err, PARQ_EINVAL, "%s: no such file", sf);
    if (!st) st = pq_schema_from_json((const char *)text.data, text.len, &schema, &err);
    parq_buf_free(&text);
    if (st) {
      free(keys);
      free(store);
      return cli_fail_err(&err, st, sf);
    }
  }
  st = parq_store_init(dir, keys, n_keys, sf ? &schema : NULL, &err);
  pq_arrow_schema_release(&schema);
  free(keys);
  free(store);
  if (st) return cli_fail_err(&err, st, dir);
  if (!cli_flag(a, "quiet")) printf("initialised store %s\n", dir);
  return CLI_OK;
}

static int store_append(const cli_args *a, const char *dir, int import) {
  const char *in = a->n_pos > 2 ? a->pos[2] : "-";
  if (import && a->n_pos < 3) return cli_usage_error(a->cmd, "import needs DIR FILE.json");
  parq_error err = {0};
  char *name = NULL;
  int64_t rows = 0;
  parq_status st = import ? parq_store_import(dir, in, &name, &rows, &err)
                          : parq_store_append_file(dir, in, &name, &rows, &err);
  if (st) return cli_fail_err(&err, st, NULL);
  if (!cli_flag(a, "quiet")) {
    if (name) printf("appended %lld rows as increments/%s\n", (long long)rows, name);
    else printf("nothing to append (no rows)\n");
  }
  parq_free(name);
  return CLI_OK;
}

static int store_consolidate(const cli_args *a, const char *dir) {
  parq_store_consolidate_options o;
  parq_store_consolidate_options_init(&o);
  int rc;
  if ((rc = cli_opt_size(a, "target-file-bytes", 1, &o.target_file_bytes)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "memory-limit", 1 << 20, &o.memory_limit)) != CLI_OK) return rc;
  int64_t grace = -1;
  if ((rc = cli_opt_int64(a, "grace", 0, &grace)) != CLI_OK) return rc;
  if (grace >= 0) o.grace_seconds = (double)grace;
  parq_store_consolidate_result res;
  parq_error err = {0};
  parq_status st = parq_store_consolidate(dir, &o, &res, &err);
  if (st) return cli_fail_err(&err, st, dir);
  /* Losing the race to another consolidation is not an error. */
  if (!cli_flag(a, "quiet")) printf("%s\n", res.message);
  return CLI_OK;
}

/* ---- export ---- */

typedef struct export_ctx {
  int fmt; /* 0 jsonl, 1 csv, 2 json, 3 parquet */
  cli_out out;
  const char *path;
  parq_writer *w;
  int started;
  parq_buf tmp;
} export_ctx;

static parq_status export_batch(void *user, const struct ArrowSchema *schema,
                                const struct ArrowArray *b, parq_error *err) {
  export_ctx *c = user;
  if (c->fmt == 3) {
    if (!c->w) PARQ_TRY(parq_writer_open(c->path, schema, NULL, &c->w, err));
    return b ? parq_writer_write(c->w, b, err) : PARQ_OK;
  }
  if (!c->started) {
    c->started = 1;
    if (c->fmt == 1 && schema->n_children)
      PARQ_TRY(pq_csv_write_header(schema, &c->out.buf, err));
    if (c->fmt == 2 && cli_out_write(&c->out, "[", 1)) return parq_err_set(err, PARQ_EIO, "write");
  }
  if (!b) return PARQ_OK;
  if (c->fmt == 0) PARQ_TRY(pq_jsonl_write_batch(schema, b, &c->out.buf, err));
  else if (c->fmt == 1) PARQ_TRY(pq_csv_write_batch(schema, b, &c->out.buf, err));
  else {
    /* JSON array: JSONL lines joined with commas. */
    parq_buf_clear(&c->tmp);
    PARQ_TRY(pq_jsonl_write_batch(schema, b, &c->tmp, err));
    size_t s = 0;
    for (size_t i = 0; i < c->tmp.len; i++) {
      if (c->tmp.data[i] != '\n') continue;
      if (cli_out_write(&c->out, c->started == 2 ? ",\n" : "\n", c->started == 2 ? 2 : 1) ||
          cli_out_write(&c->out, c->tmp.data + s, i - s))
        return parq_err_set(err, PARQ_EIO, "write failed");
      c->started = 2;
      s = i + 1;
    }
  }
  if (cli_out_flush(&c->out, 0) != 0) return parq_err_set(err, PARQ_EIO, "output closed");
  return PARQ_OK;
}

static int store_export(const cli_args *a, const char *dir) {
  export_ctx c;
  memset(&c, 0, sizeof c);
  const char *f = cli_value(a, "format");
  if (!f || !strcmp(f, "jsonl")) c.fmt = 0;
  else if (!strcmp(f, "csv")) c.fmt = 1;
  else if (!strcmp(f, "json")) c.fmt = 2;
  else if (!strcmp(f, "parquet")) c.fmt = 3;
  else return cli_usage_error(a->cmd, "--format must be jsonl, csv, json or parquet, got '%s'", f);
  c.path = cli_value(a, "output");
  if (c.fmt == 3 && !c.path) return cli_usage_error(a->cmd, "--format parquet needs -o FILE");
  parq_predicate *preds = NULL;
  size_t n_preds = 0;
  char *pstore = NULL;
  parq_error err = {0};
  const char *where = cli_value(a, "where");
  if (where && pq_store_parse_where(where, &preds, &n_preds, &pstore, &err))
    return cli_usage_error(a->cmd, "%s", err.message);
  int fd = STDOUT_FILENO;
  if (c.path && c.fmt != 3) {
    fd = open(c.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
      free(preds);
      free(pstore);
      return cli_failf("%s: %s", c.path, strerror(errno));
    }
  }
  cli_out_init(&c.out, fd);
  int64_t rows = 0;
  parq_status st = parq_store_read(dir, preds, n_preds, export_batch, &c, &rows, &err);
  if (!st && c.fmt == 2) {
    if (!c.started && cli_out_write(&c.out, "[", 1)) st = PARQ_EIO;
    if (cli_out_write(&c.out, "\n]\n", 3)) st = PARQ_EIO;
  }
  int rc = CLI_OK;
  if (c.fmt == 3) {
    if (!st) st = parq_writer_close(c.w, &err);
    else parq_writer_abort(c.w);
  }
  int orc = cli_out_finish(&c.out);
  if (fd != STDOUT_FILENO) close(fd);
  if (st && !c.out.closed) rc = cli_fail_err(&err, st, dir);
  free(preds);
  free(pstore);
  parq_buf_free(&c.tmp);
  if (rc == CLI_OK && orc != CLI_OK) rc = orc;
  if (rc == CLI_OK && c.path && !cli_flag(a, "quiet"))
    fprintf(stderr, "exported %lld rows to %s\n", (long long)rows, c.path);
  return rc;
}

/* ---- health ---- */

static int store_health(const cli_args *a, const char *dir) {
  int64_t max_inc = 100, max_bytes = 100ll << 20;
  int rc;
  if ((rc = cli_opt_int64(a, "max-increments", 0, &max_inc)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "max-increment-bytes", 0, &max_bytes)) != CLI_OK) return rc;
  parq_store_health_info h;
  parq_error err = {0};
  parq_status st = parq_store_health(dir, &h, &err);
  if (st) return cli_fail_err(&err, st, dir);
  int warn_n = h.increments > max_inc, warn_b = h.increment_bytes > max_bytes;
  if (cli_flag(a, "json")) {
    printf("{\"snapshot\":%lld,\"key_columns\":%lld,\"schema_versions\":%lld,"
           "\"data_files\":%lld,\"data_rows\":%lld,\"data_bytes\":%lld,"
           "\"increments\":%lld,\"increment_rows\":%lld,\"increment_bytes\":%lld,"
           "\"oldest_increment_age_seconds\":%.3f,\"healthy\":%s,\"warnings\":[",
           (long long)h.snapshot, (long long)h.key_columns, (long long)h.schema_versions,
           (long long)h.data_files, (long long)h.data_rows, (long long)h.data_bytes,
           (long long)h.increments, (long long)h.increment_rows, (long long)h.increment_bytes,
           h.oldest_increment_age, warn_n || warn_b ? "false" : "true");
    if (warn_n) printf("\"%lld pending increments > %lld\"", (long long)h.increments,
                       (long long)max_inc);
    if (warn_b) printf("%s\"%lld increment bytes > %lld\"", warn_n ? "," : "",
                       (long long)h.increment_bytes, (long long)max_bytes);
    printf("],\"fix\":%s}\n", warn_n || warn_b ? "\"parq store consolidate DIR\"" : "null");
  } else {
    char b1[32], b2[32];
    printf("store %s\n  snapshot: %lld   key columns: %lld   schema versions: %lld\n", dir,
           (long long)h.snapshot, (long long)h.key_columns, (long long)h.schema_versions);
    printf("  data: %lld files, %lld rows, %s\n", (long long)h.data_files,
           (long long)h.data_rows, cli_fmt_bytes((double)h.data_bytes, b1, sizeof b1));
    printf("  pending increments: %lld files, %lld rows, %s", (long long)h.increments,
           (long long)h.increment_rows, cli_fmt_bytes((double)h.increment_bytes, b2, sizeof b2));
    if (h.oldest_increment_age >= 0) printf(", oldest %.1f s old", h.oldest_increment_age);
    printf("\n");
  }
  if (warn_n || warn_b) {
    fprintf(stderr, "parq: warning: %s%s%s; run `parq store consolidate %s`\n",
            warn_n ? "too many pending increments" : "",
            warn_n && warn_b ? " and " : "", warn_b ? "pending increments too large" : "", dir);
    return CLI_FAIL;
  }
  return CLI_OK;
}

static int store_run(const cli_args *a) {
  const char *sub = a->pos[0], *dir = a->pos[1];
  if (!strcmp(sub, "init")) return store_init(a, dir);
  if (!strcmp(sub, "append")) return store_append(a, dir, 0);
  if (!strcmp(sub, "import")) return store_append(a, dir, 1);
  if (!strcmp(sub, "consolidate")) return store_consolidate(a, dir);
  if (!strcmp(sub, "export")) return store_export(a, dir);
  if (!strcmp(sub, "health")) return store_health(a, dir);
  return cli_usage_error(a->cmd, "unknown subcommand '%s' (init, append, consolidate, export, "
                         "import, health)", sub);
}

static const cli_option store_options[] = {
    {"key", 0, "COL[,COL...]", "init: key columns (latest version of a key wins)"},
    {"schema", 0, "FILE", "init: fixed schema (JSON schema file, as for convert)"},
    {"target-file-bytes", 0, "N", "consolidate: data file size target (default 128M)"},
    {"memory-limit", 0, "N", "consolidate: cap for the de-dup key table (default 1G)"},
    {"grace", 0, "SECONDS", "consolidate: keep replaced files this long for readers (default 60)"},
    {"format", 0, "jsonl|csv|json|parquet", "export: output format (default jsonl)"},
    {"output", 'o', "FILE", "export: write here instead of standard output"},
    {"where", 0, "EXPR", "export: filter, e.g. \"model = 'gpt' AND score >= 0.5\""},
    {"json", 0, NULL, "health: machine-readable report"},
    {"max-increments", 0, "N", "health: warn above this many pending increments (default 100)"},
    {"max-increment-bytes", 0, "N", "health: warn above this many pending bytes (default 100M)"},
    {"quiet", 'q', NULL, "no success messages"},
};

const cli_command cli_cmd_store = {
    .name = "store",
    .summary = "a multi-writer Parquet store: init, append, consolidate, export, import, health",
    .usage = "SUBCOMMAND DIR [FILE] [options]",
    .description =
        "Many processes append at once (each append is one durable increment file); "
        "consolidate merges increments into data files, de-duplicating by the store's key; "
        "export prints the current state. See docs/STORE.md.",
    .options = store_options,
    .n_options = sizeof store_options / sizeof store_options[0],
    .examples = "parq store init results --key test_id\n"
                "parq store append results run1.jsonl\n"
                "parq store consolidate results\n"
                "parq store export results --format csv --where \"model = 'x'\"\n"
                "parq store health results --json",
    .min_pos = 2,
    .max_pos = 3,
    .run = store_run,
};
