/* cmd_scan.c — `parq scan FILE...`: decode everything and report throughput
 * (rows, row groups, file bytes, decoded Arrow bytes, seconds, MB/s, rows/s,
 * peak RSS). With --threads N the row groups of all files are split into N
 * contiguous shares of about equal row count; each thread opens its own
 * readers with a row-group selection, so threads share nothing but a stop
 * flag. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "util/arrow.h"

/* ---- decoded size: the sum of an Arrow array's buffer sizes ---- */

static int64_t array_bytes(const struct ArrowSchema *s, const struct ArrowArray *a) {
  if (!s || !a) return 0;
  int64_t n = a->offset + a->length, total = 0;
  if (a->n_buffers > 0 && a->buffers[0]) total += (n + 7) / 8;
  if (s->dictionary) {
    /* Dictionary-encoded: indices are the integer format, plus the dictionary. */
    pq_arrow_type it;
    if (pq_arrow_parse_format(s->format, &it, NULL) == PARQ_OK)
      total += (int64_t)pq_arrow_fixed_width(&it) * n;
    return total + array_bytes(s->dictionary, a->dictionary);
  }
  pq_arrow_type t;
  if (pq_arrow_parse_format(s->format, &t, NULL) != PARQ_OK) return total;
  const void *b1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
  switch (t.kind) {
    case PQA_NULL: break;
    case PQA_BOOL: total += (n + 7) / 8; break;
    case PQA_BINARY: case PQA_UTF8:
      if (b1) total += 4 * (n + 1) + ((const int32_t *)b1)[n];
      break;
    case PQA_LARGE_BINARY: case PQA_LARGE_UTF8:
      if (b1) total += 8 * (n + 1) + ((const int64_t *)b1)[n];
      break;
    case PQA_BINARY_VIEW: case PQA_UTF8_VIEW: {
      /* Counted as the utf8 layout would be (offsets + value bytes): views
       * share whole pages, whose sizes say nothing about this array. */
      total += 4 * (n + 1);
      const uint8_t *v = b1;
      for (int64_t i = 0; v && i < n; i++) {
        int32_t l;
        memcpy(&l, v + 16 * i, 4);
        total += l;
      }
      break;
    }
    case PQA_LIST: case PQA_MAP: case PQA_LARGE_LIST: {
      int w = t.kind == PQA_LARGE_LIST ? 8 : 4;
      if (b1) total += w * (n + 1);
      if (s->n_children > 0 && a->n_children > 0)
        total += array_bytes(s->children[0], a->children[0]);
      break;
    }
    case PQA_FIXED_LIST: case PQA_STRUCT:
      for (int64_t i = 0; i < s->n_children && i < a->n_children; i++)
        total += array_bytes(s->children[i], a->children[i]);
      break;
    default: total += (int64_t)pq_arrow_fixed_width(&t) * n; break;
  }
  return total;
}

/* ---- work split ---- */

typedef struct scan_sel {
  int64_t *rgs; /* file row-group indexes; NULL with all = 1 means every group */
  size_t n;
  int all;
} scan_sel;

typedef struct scan_job {
  const cli_args *a;
  const parq_read_options *base;
  scan_sel *sel; /* one per file */
  atomic_int *stop;
  /* results */
  int64_t rows, row_groups, bytes;
  parq_status st;
  parq_error err;
  const char *err_path;
} scan_job;

static void *scan_worker(void *arg) {
  scan_job *j = arg;
  for (size_t f = 0; f < j->a->n_pos && !atomic_load(j->stop); f++) {
    if (!j->sel[f].all && j->sel[f].n == 0) continue;
    const char *path = j->a->pos[f];
    parq_read_options ro = *j->base;
    if (!j->sel[f].all) {
      ro.row_groups = j->sel[f].rgs;
      ro.n_row_groups = j->sel[f].n;
    }
    parq_reader *r = NULL;
    struct ArrowSchema schema = {0};
    parq_status st = parq_reader_open(path, &ro, &r, &j->err);
    if (st == PARQ_OK) st = parq_reader_schema(r, &schema, &j->err);
    if (st == PARQ_OK) {
      j->row_groups += parq_reader_num_selected_row_groups(r);
      for (;;) {
        if (atomic_load(j->stop) || cli_interrupted) break;
        struct ArrowArray batch = {0};
        st = parq_reader_next(r, &batch, &j->err);
        if (st == PARQ_DONE) {
          st = PARQ_OK;
          break;
        }
        if (st != PARQ_OK) break;
        j->rows += batch.length;
        j->bytes += array_bytes(&schema, &batch);
        batch.release(&batch);
      }
    }
    if (schema.release) schema.release(&schema);
    parq_reader_close(r);
    if (st != PARQ_OK) {
      j->st = st;
      j->err_path = path;
      atomic_store(j->stop, 1);
      break;
    }
  }
  return NULL;
}

/* Split the row groups of all files into `nt` shares of about equal rows.
 * Fills sel[t * n_files + f]. Returns CLI_OK or an error code (printed). */
static int plan_split(const cli_args *a, const parq_read_options *base, int nt, scan_sel *sel,
                      int64_t **store) {
  size_t nf = a->n_pos;
  int64_t *counts = calloc(nf, sizeof *counts);
  int64_t **rows = calloc(nf, sizeof *rows);
  int rc = CLI_OK;
  int64_t total_rows = 0, total_groups = 0;
  if (!counts || !rows) {
    rc = cli_failf("out of memory");
    goto out;
  }
  for (size_t f = 0; f < nf && rc == CLI_OK; f++) {
    parq_error err = {0};
    parq_reader *r = NULL;
    parq_status st = parq_reader_open(a->pos[f], base, &r, &err);
    if (st != PARQ_OK) {
      rc = cli_fail_err(&err, st, a->pos[f]);
      break;
    }
    counts[f] = parq_reader_num_row_groups(r);
    rows[f] = calloc(counts[f] ? (size_t)counts[f] : 1, sizeof **rows);
    if (!rows[f]) rc = cli_failf("out of memory");
    for (int64_t g = 0; rc == CLI_OK && g < counts[f]; g++) {
      int64_t n = parq_reader_row_group_num_rows(r, g);
      rows[f][g] = n > 0 ? n : 0;
      total_rows += rows[f][g];
    }
    total_groups += counts[f];
    parq_reader_close(r);
  }
  if (rc != CLI_OK) goto out;
  /* One flat index array; each (thread, file) share is a contiguous piece. */
  *store = malloc((size_t)(total_groups ? total_groups : 1) * sizeof **store);
  if (!*store) {
    rc = cli_failf("out of memory");
    goto out;
  }
  int64_t *w = *store, before = 0, gi = 0;
  for (int t = 0; t < nt; t++) {
    before = 0;
    gi = 0;
    for (size_t f = 0; f < nf; f++) {
      scan_sel *s = &sel[(size_t)t * nf + f];
      s->all = 0;
      s->rgs = w;
      s->n = 0;
      for (int64_t g = 0; g < counts[f]; g++, gi++) {
        /* Owner by the row-group's starting row (or index when rows are 0). */
        double share = total_rows > 0 ? (double)before / (double)total_rows
                                      : (double)gi / (double)(total_groups ? total_groups : 1);
        int owner = (int)(share * nt);
        if (owner >= nt) owner = nt - 1;
        before += rows[f][g];
        if (owner == t) {
          *w++ = g;
          s->n++;
        }
      }
    }
  }
out:
  for (size_t f = 0; rows && f < nf; f++) free(rows[f]);
  free(rows);
  free(counts);
  return rc;
}

static void print_report(const cli_args *a, int nt, int64_t rows, int64_t groups,
                         int64_t file_bytes, int64_t bytes, double secs) {
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  getrusage(RUSAGE_SELF, &ru);
  int64_t rss = (int64_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
  double mbs = secs > 0 ? (double)bytes / 1e6 / secs : 0;
  double fmbs = secs > 0 ? (double)file_bytes / 1e6 / secs : 0;
  double rps = secs > 0 ? (double)rows / secs : 0;
  if (cli_flag(a, "json")) {
    printf("{\"files\":%zu,\"threads\":%d,\"rows\":%lld,\"row_groups\":%lld,\"file_bytes\":%lld,"
           "\"decoded_bytes\":%lld,\"seconds\":%.6f,\"mb_per_s\":%.2f,\"file_mb_per_s\":%.2f,"
           "\"rows_per_s\":%.0f,\"peak_rss_bytes\":%lld}\n",
           a->n_pos, nt, (long long)rows, (long long)groups, (long long)file_bytes,
           (long long)bytes, secs, mbs, fmbs, rps, (long long)rss);
    return;
  }
  char b1[32], b2[32], b3[32];
  printf("files          %zu\n", a->n_pos);
  printf("threads        %d\n", nt);
  printf("rows           %lld\n", (long long)rows);
  printf("row groups     %lld\n", (long long)groups);
  printf("file bytes     %s (%lld)\n", cli_fmt_bytes((double)file_bytes, b1, sizeof b1),
         (long long)file_bytes);
  printf("decoded bytes  %s (%lld)\n", cli_fmt_bytes((double)bytes, b2, sizeof b2),
         (long long)bytes);
  printf("elapsed        %.3f s\n", secs);
  printf("throughput     %.1f MB/s decoded, %.1f MB/s of file, %.0f rows/s\n", mbs, fmbs, rps);
  printf("peak RSS       %s\n", cli_fmt_bytes((double)rss, b3, sizeof b3));
}

static int scan_run(const cli_args *a) {
  int64_t threads = 1, batch_rows = 0;
  int rc;
  if ((rc = cli_opt_int64(a, "threads", 1, &threads)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "batch-rows", 1, &batch_rows)) != CLI_OK) return rc;
  if (threads > 1024) return cli_usage_error(a->cmd, "--threads must be at most 1024");
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
  ro.string_views = 1;
  const char *sv = cli_value(a, "string-views");
  if (sv && cli_parse_onoff(sv, &ro.string_views) != 0) {
    free(cols);
    free(col_store);
    return cli_usage_error(a->cmd, "--string-views must be on or off, got '%s'", sv);
  }

  int64_t file_bytes = 0;
  for (size_t f = 0; f < a->n_pos; f++) {
    struct stat sb;
    if (stat(a->pos[f], &sb) == 0) file_bytes += (int64_t)sb.st_size;
  }

  int nt = (int)threads;
  size_t nf = a->n_pos;
  atomic_int stop;
  atomic_init(&stop, 0);
  scan_job *jobs = calloc((size_t)nt, sizeof *jobs);
  scan_sel *sel = calloc((size_t)nt * nf, sizeof *sel);
  pthread_t *tids = calloc((size_t)nt, sizeof *tids);
  int64_t *store = NULL;
  if (!jobs || !sel || !tids) {
    rc = cli_failf("out of memory");
    goto out;
  }
  double t0 = cli_now();
  if (nt == 1) {
    for (size_t f = 0; f < nf; f++) sel[f].all = 1;
  } else if ((rc = plan_split(a, &ro, nt, sel, &store)) != CLI_OK) {
    goto out;
  }
  for (int t = 0; t < nt; t++) {
    jobs[t].a = a;
    jobs[t].base = &ro;
    jobs[t].sel = &sel[(size_t)t * nf];
    jobs[t].stop = &stop;
  }
  int started = 0;
  if (nt == 1) {
    scan_worker(&jobs[0]);
  } else {
    for (; started < nt; started++)
      if (pthread_create(&tids[started], NULL, scan_worker, &jobs[started]) != 0) break;
    if (started < nt) atomic_store(&stop, 1);
    for (int t = 0; t < started; t++) pthread_join(tids[t], NULL);
    if (started < nt) {
      rc = cli_failf("cannot start %d threads (started %d)", nt, started);
      goto out;
    }
  }
  double secs = cli_now() - t0;
  int64_t rows = 0, groups = 0, bytes = 0;
  for (int t = 0; t < nt; t++) {
    if (jobs[t].st != PARQ_OK) {
      rc = cli_fail_err(&jobs[t].err, jobs[t].st, jobs[t].err_path);
      goto out;
    }
    rows += jobs[t].rows;
    groups += jobs[t].row_groups;
    bytes += jobs[t].bytes;
  }
  if (cli_interrupted) {
    rc = cli_failf("interrupted");
    goto out;
  }
  print_report(a, nt, rows, groups, file_bytes, bytes, secs);
  rc = CLI_OK;
out:
  free(store);
  free(sel);
  free(jobs);
  free(tids);
  free(cols);
  free(col_store);
  return rc;
}

static const cli_option scan_options[] = {
    {"columns", 0, "a,b.c", "decode only these columns (top-level names or dotted paths)"},
    {"threads", 0, "N", "split row groups across N threads (default 1)"},
    {"batch-rows", 0, "N", "rows decoded per batch (default 65536)"},
    {"verify-checksums", 0, NULL, "verify page CRC32 checksums where present"},
    {"string-views", 0, "on|off",
     "strings as Arrow views into the pages (default on) or copied into utf8 arrays"},
    {"json", 0, NULL, "print the report as one JSON object"},
};

const cli_command cli_cmd_scan = {
    .name = "scan",
    .summary = "decode whole files and report rows, bytes and throughput",
    .usage = "FILE... [options]",
    .description = "Reads every selected column of every row group and discards the data: a "
                   "decoder benchmark and a full integrity check. Reports rows, row groups, file "
                   "bytes, decoded (uncompressed Arrow) bytes, elapsed time, MB/s, rows/s and "
                   "peak RSS. Strings are decoded as Arrow string views (zero-copy, as DuckDB "
                   "and Polars hold them) unless --string-views off; decoded bytes count them "
                   "as utf8 (4-byte offsets + value bytes) either way, so MB/s compare.",
    .options = scan_options,
    .n_options = sizeof scan_options / sizeof scan_options[0],
    .examples = "parq scan data.parquet\nparq scan part-*.parquet --threads 8 --json",
    .min_pos = 1,
    .max_pos = -1,
    .run = scan_run,
};
