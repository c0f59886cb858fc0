/* cmd_sql.c — `parq sql "QUERY"`: run one SELECT over Parquet / JSONL / CSV
 * files and print the result as an aligned table, JSON Lines, CSV, or write
 * it as Parquet.
 *
 * Under mpirun the command runs as one rank (src/cli/mpi_comm.c); rank 0
 * alone prints.
 *
 * Exit codes: 0 ok, 1 data / I/O errors, 2 usage and SQL errors (syntax,
 * unknown column, type errors). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/mpi_comm.h"
#include "dataset/query/query.h"
#include "io/io.h"
#include "util/arrow.h"
#include "util/error.h"

/* ---------------- the command ---------------- */

/* Print the query line holding byte `pos` with a caret under it. */
static void show_caret(const char *q, int pos) {
  size_t len = strlen(q);
  if (pos < 0 || (size_t)pos > len) return;
  size_t start = (size_t)pos, end = (size_t)pos;
  while (start > 0 && q[start - 1] != '\n') start--;
  while (end < len && q[end] != '\n') end++;
  /* long lines: show a window around the position */
  if ((size_t)pos - start > 60) start = (size_t)pos - 60;
  if (end - start > 120) end = start + 120;
  fprintf(stderr, "  %.*s\n  ", (int)(end - start), q + start);
  for (size_t k = start; k < (size_t)pos; k++) fputc(q[k] == '\t' ? '\t' : ' ', stderr);
  fputs("^\n", stderr);
}

static int write_output(const cli_args *a, const pq_result *res, const char *fmt,
                        const char *out_path) {
  parq_error err = {0};
  if (!strcmp(fmt, "parquet")) {
    struct ArrowSchema s;
    struct ArrowArray b;
    parq_status st = pq_result_to_arrow(res, &s, &b, &err);
    if (st != PARQ_OK) return cli_fail_err(&err, st, NULL);
    parq_write_options wo;
    parq_write_options_init(&wo);
    parq_writer *w;
    st = parq_writer_open(out_path, &s, &wo, &w, &err);
    if (st == PARQ_OK) {
      st = parq_writer_write(w, &b, &err);
      if (st == PARQ_OK) st = parq_writer_close(w, &err);
      else parq_writer_abort(w);
    }
    b.release(&b);
    s.release(&s);
    return st == PARQ_OK ? CLI_OK : cli_fail_err(&err, st, out_path);
  }
  int fd = 1;
  FILE *f = NULL;
  if (out_path) {
    f = fopen(out_path, "wb");
    if (!f) return cli_failf("%s: cannot create: %s", out_path, strerror(errno));
    fd = fileno(f);
  }
  cli_out o;
  cli_out_init(&o, fd);
  parq_status st = PARQ_OK;
  if (!strcmp(fmt, "table")) {
    st = pq_result_table(res, &o.buf, &err);
  } else {
    struct ArrowSchema s;
    struct ArrowArray b;
    st = pq_result_to_arrow(res, &s, &b, &err);
    if (st == PARQ_OK) {
      if (!strcmp(fmt, "csv")) {
        st = pq_csv_write_header(&s, &o.buf, &err);
        if (st == PARQ_OK) st = pq_csv_write_batch(&s, &b, &o.buf, &err);
      } else {
        st = pq_jsonl_write_batch(&s, &b, &o.buf, &err);
      }
      b.release(&b);
      s.release(&s);
    }
  }
  (void)a;
  int rc = st == PARQ_OK ? cli_out_finish(&o) : (cli_out_finish(&o), cli_fail_err(&err, st, NULL));
  if (f && fclose(f) != 0 && rc == CLI_OK) rc = cli_failf("%s: write error", out_path);
  return rc;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int sql_run(const cli_args *a) {
  double t0 = now_s();
  const char *text = a->pos[0];
  const char *fmt = cli_value(a, "format");
  const char *out_path = cli_value(a, "output");
  if (!fmt) fmt = "table";
  if (strcmp(fmt, "table") && strcmp(fmt, "jsonl") && strcmp(fmt, "csv") && strcmp(fmt, "parquet"))
    return cli_usage_error(a->cmd, "--format must be table, jsonl, csv or parquet, got '%s'", fmt);
  if (!strcmp(fmt, "parquet") && !out_path)
    return cli_usage_error(a->cmd, "--format parquet needs -o OUT.parquet");
  pq_exec_options eo;
  memset(&eo, 0, sizeof eo);
  int rc;
  if ((rc = cli_opt_size(a, "memory-limit", 1, &eo.memory_limit)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "batch-rows", 1, &eo.batch_rows)) != CLI_OK) return rc;
  int64_t threads = 1;
  if ((rc = cli_opt_int64(a, "threads", 1, &threads)) != CLI_OK) return rc;
  if (threads > 256) return cli_usage_error(a->cmd, "--threads must be at most 256, got %lld",
                                            (long long)threads);
  eo.threads = (int)threads;

  pq_comm comm;
  if (cli_mpi_begin(&comm) != 0) return CLI_FAIL;
  if (comm.size > 1 && eo.threads > 1) {
    /* every rank parses the same options: all refuse alike */
    cli_mpi_end(&comm);
    return comm.rank == 0 ? cli_usage_error(a->cmd, "--threads cannot be combined with mpirun")
                          : CLI_USAGE;
  }
  pq_query q;
  pq_query_error qe;
  memset(&qe, 0, sizeof qe);
  parq_status st = pq_query_parse(text, &q, &qe);
  if (st != PARQ_OK) {
    /* every rank parses the same text: all fail alike, rank 0 reports */
    if (comm.rank == 0) {
      fprintf(stderr, "parq sql: %s\n", qe.e.message);
      show_caret(text, qe.pos);
    }
    pq_query_free(&q);
    cli_mpi_end(&comm);
    return st == PARQ_ENOMEM ? CLI_FAIL : CLI_USAGE;
  }
  pq_result res;
  memset(&qe, 0, sizeof qe);
  qe.pos = -1;
  double t1 = now_s();
  st = comm.size > 1 ? pq_query_run(&q, &eo, &comm, &res, &qe)
                     : pq_query_run_threads(&q, &eo, &res, &qe);
  double t2 = now_s();
  if (st != PARQ_OK) {
    int usage = qe.usage;
    if (comm.size > 1 && !usage) {
      char msg[PARQ_ERROR_MSG_MAX + 32];
      snprintf(msg, sizeof msg, "%s", qe.e.message);
      cli_mpi_fail(&comm, msg);
    }
    if (comm.rank == 0) {
      fprintf(stderr, "parq sql: %s\n", qe.e.message);
      show_caret(text, qe.pos);
    }
    pq_query_free(&q);
    cli_mpi_end(&comm);
    return usage ? CLI_USAGE : CLI_FAIL;
  }
  rc = CLI_OK;
  if (comm.rank == 0) {
    if (cli_flag(a, "explain")) {
      parq_buf b = PARQ_BUF_INIT;
      pq_query_explain(&q, &b);
      fprintf(stderr, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
      parq_buf_free(&b);
    }
    rc = write_output(a, &res, fmt, out_path);
    if (cli_flag(a, "timing"))
      /* query = planning + scan + aggregation + sort (what an engine's query timer
       * covers); total adds argument parsing, MPI set-up and printing the result */
      fprintf(stderr, "parq sql: query %.4f s, total %.4f s (%d thread%s, %d rank%s)\n", t2 - t1,
              now_s() - t0, eo.threads, eo.threads == 1 ? "" : "s", comm.size,
              comm.size == 1 ? "" : "s");
  }
  pq_result_free(&res);
  pq_query_free(&q);
  cli_mpi_end(&comm);
  return rc;
}

static const cli_option sql_options[] = {
    {"format", 'f', "table|jsonl|csv|parquet", "output format (default table)"},
    {"output", 'o', "FILE", "write the result to FILE (required for parquet)"},
    {"memory-limit", 0, "SIZE", "spill GROUP BY state to $TMPDIR beyond SIZE (e.g. 2G)"},
    {"batch-rows", 0, "N", "rows per scanned batch (default 65536)"},
    {"threads", 0, "N", "scan and aggregate with N threads (default 1; same output)"},
    {"timing", 0, NULL, "print query and total seconds on stderr"},
    {"explain", 0, NULL, "print the logical plan on stderr"},
};

const cli_command cli_cmd_sql = {
    .name = "sql",
    .summary = "run a SQL SELECT over Parquet, JSONL or CSV files",
    .usage = "\"QUERY\" [options]",
    .description =
        "One SELECT with WHERE, GROUP BY, HAVING, ORDER BY, LIMIT/OFFSET over FROM 'path' "
        "(a file, a glob such as 'shards/*.parquet', or a directory). Only referenced columns "
        "are read; simple WHERE comparisons prune row groups. Under mpirun every rank scans "
        "row groups g % size == rank and rank 0 prints; --threads N splits the row groups over N "
        "threads in one process instead. See docs/SQL.md. Exit 2 for SQL or "
        "usage errors, 1 for data/IO errors.",
    .options = sql_options,
    .n_options = sizeof sql_options / sizeof sql_options[0],
    .examples = "parq sql \"SELECT count(*) FROM 'data.parquet'\"\n"
                "parq sql \"SELECT dump, count(*) n, avg(score) FROM 'shards/*.parquet' GROUP BY "
                "dump ORDER BY n DESC LIMIT 10\"\n"
                "mpirun -np 4 parq sql \"SELECT meta.lang, count(*) FROM 'dir' GROUP BY 1\" -f jsonl",
    .min_pos = 1,
    .max_pos = 1,
    .run = sql_run,
};
