/* cmd_repack.c — `parq repack INPUT... -o DIR`: corpora into shuffled,
 * size-targeted zstd Parquet shards plus manifest.json (parq_repack()).
 * This file parses options and renders progress: one line per completed
 * shard (path, documents, characters, size, seconds, ETA), and on a terminal
 * a redrawn bar while the shuffle runs and a shard fills.
 *
 * Under mpirun every rank runs the same command (pq_repack_dist): each
 * prints the lines of the shards it wrote, prefixed "[rank R]"; bars and the
 * final line come from rank 0 only. A failing job prints one
 * "parq: rank R of K failed: cause" (the lowest failing rank) and aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/mpi_comm.h"
#include "dataset/repack_dist.h"

typedef struct view {
  int quiet, tty;
  double last;
  int drawn;
  int rank, size;
} view;

static int on_cancel(void *user) {
  (void)user;
  return cli_interrupted != 0;
}

static void fmt_time(double s, char *buf, size_t cap) {
  if (s < 0 || s > 359999) {
    snprintf(buf, cap, "--:--");
    return;
  }
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

static void bar(double frac, char *buf, size_t w) {
  size_t fill = frac <= 0 ? 0 : frac >= 1 ? w : (size_t)(frac * (double)w);
  for (size_t i = 0; i < w; i++) buf[i] = i < fill ? '#' : '.';
  buf[w] = 0;
}

static void on_progress(void *user, const parq_repack_progress *p) {
  view *v = user;
  if (v->quiet) return;
  char eta[32], b1[32], b2[32], line[256];
  fmt_time(p->eta, eta, sizeof eta);
  char who[32] = "";
  if (v->size > 1) snprintf(who, sizeof who, "[rank %d] ", v->rank);
  if (p->phase == PARQ_REPACK_SHARD) {
    if (v->drawn) fprintf(stderr, "\r\033[K");
    v->drawn = 0;
    fprintf(stderr, "%s%s: %lld docs, %lld chars, %s, %.1fs, ETA %s\n", who, p->path,
            (long long)p->shard_rows, (long long)p->shard_chars,
            cli_fmt_bytes((double)p->shard_bytes, b1, sizeof b1), p->shard_seconds, eta);
    return;
  }
  if (p->phase == PARQ_REPACK_DONE) {
    if (v->drawn) fprintf(stderr, "\r\033[K");
    v->drawn = 0;
    fprintf(stderr, "repack: %lld shards complete (%lld docs) in %.1fs\n", (long long)p->shard,
            (long long)p->rows_done, p->elapsed);
    return;
  }
  if (p->phase == PARQ_REPACK_SCAN || v->rank != 0) return;
  double now = cli_now();
  if (now - v->last < (v->tty ? 0.1 : 5.0)) return;
  v->last = now;
  char bb[41];
  if (p->phase == PARQ_REPACK_SPILL) {
    double f = p->bytes_total > 0 ? (double)p->bytes_done / (double)p->bytes_total : 0;
    bar(f, bb, 30);
    snprintf(line, sizeof line, "shuffle pass 1 [%s] %3.0f%% %s / %s", bb, f * 100,
             cli_fmt_bytes((double)p->bytes_done, b1, sizeof b1),
             cli_fmt_bytes((double)p->bytes_total, b2, sizeof b2));
  } else {
    double f = p->rows_total > 0 ? (double)p->rows_done / (double)p->rows_total
               : p->bytes_total > 0 ? (double)p->bytes_done / (double)p->bytes_total : 0;
    bar(f, bb, 30);
    snprintf(line, sizeof line, "shard %05lld [%s] %3.0f%% %lld docs, ETA %s", (long long)p->shard, bb,
             f * 100, (long long)p->rows_done, eta);
  }
  if (v->tty) {
    fprintf(stderr, "\r\033[K%s", line);
    v->drawn = 1;
  } else {
    fprintf(stderr, "%s\n", line);
  }
}

static int onoff(const cli_args *a, const char *name, int *out) {
  const char *s = cli_value(a, name);
  if (s && cli_parse_onoff(s, out) != 0) return cli_usage_error(a->cmd, "--%s expects on or off, not '%s'", name, s);
  return CLI_OK;
}

static int repack_run(const cli_args *a) {
  parq_repack_options o;
  parq_repack_options_init(&o);
  const char *out = cli_value(a, "output");
  if (!out) return cli_usage_error(a->cmd, "-o DIR is required");
  o.output_dir = out;
  o.inputs = (const char *const *)a->pos;
  o.n_inputs = a->n_pos;
  int rc;
  int64_t jobs = 1;
  int sizes = (cli_value(a, "shard-chars") != NULL) + (cli_value(a, "shard-bytes") != NULL) +
              (cli_value(a, "shard-rows") != NULL);
  if (sizes > 1) return cli_usage_error(a->cmd, "give only one of --shard-chars, --shard-bytes, --shard-rows");
  if ((rc = cli_opt_int64(a, "shard-chars", 1, &o.shard_chars)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "shard-bytes", 1, &o.shard_bytes)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "shard-rows", 1, &o.shard_rows)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "row-group-rows", 1, &o.row_group_rows)) != CLI_OK) return rc;
  if ((rc = cli_opt_int64(a, "jobs", 1, &jobs)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "memory-limit", 1 << 20, &o.memory_limit)) != CLI_OK) return rc;
  if ((rc = onoff(a, "dictionary", &o.dictionary)) != CLI_OK) return rc;
  if ((rc = onoff(a, "statistics", &o.statistics)) != CLI_OK) return rc;
  o.threads = jobs > 256 ? 256 : (int)jobs;
  o.cdc = cli_flag(a, "cdc");
  if ((rc = cli_opt_size(a, "cdc-min", 0, &o.cdc_min_bytes)) != CLI_OK) return rc;
  if ((rc = cli_opt_size(a, "cdc-max", 1, &o.cdc_max_bytes)) != CLI_OK) return rc;
  int64_t norm = 0;
  if ((rc = cli_opt_int64(a, "cdc-norm", -63, &norm)) != CLI_OK) return rc;
  if (norm > 63) return cli_usage_error(a->cmd, "--cdc-norm must be in -63..63");
  o.cdc_norm_level = (int)norm;
  if ((cli_value(a, "cdc-min") || cli_value(a, "cdc-max") || cli_value(a, "cdc-norm")) && !o.cdc)
    return cli_usage_error(a->cmd, "--cdc-min/--cdc-max/--cdc-norm need --cdc");
  const char *comp = cli_value(a, "compression");
  if (comp) {
    int level = 0;
    if (parq_codec_parse(comp, &o.codec, &level) != PARQ_OK)
      return cli_usage_error(a->cmd, "unknown compression '%s'", comp);
    o.level = level;
    if (o.codec == PARQ_CODEC_ZSTD && level == 0) o.level = 3;
  }
  const char *seed = cli_value(a, "seed");
  if (seed && cli_flag(a, "no-shuffle")) return cli_usage_error(a->cmd, "--seed and --no-shuffle exclude each other");
  if (seed) {
    char *e = NULL;
    o.seed = strtoull(seed, &e, 10);
    if (!*seed || *e || *seed == '-') return cli_usage_error(a->cmd, "--seed expects a non-negative integer, not '%s'", seed);
  }
  o.shuffle = !cli_flag(a, "no-shuffle");
  o.text_column = cli_value(a, "text-column");
  const char **cols = NULL;
  char *store = NULL;
  size_t n_cols = 0;
  if ((rc = cli_list_option(a, "columns", &cols, &n_cols, &store)) != CLI_OK) return rc;
  o.columns = cols;
  o.n_columns = n_cols;
  pq_comm comm;
  if (cli_mpi_begin(&comm) != 0) {
    free(cols);
    free(store);
    return CLI_FAIL;
  }
  view v = {cli_flag(a, "quiet"), cli_stderr_is_tty(), 0, 0, comm.rank, comm.size};
  o.progress = on_progress;
  o.progress_user = &v;
  o.cancel = on_cancel;
  parq_error err;
  memset(&err, 0, sizeof err);
  parq_status st = pq_repack_dist(&o, &comm, &err);
  if (v.drawn) fprintf(stderr, "\r\033[K");
  free(cols);
  free(store);
  if (st != PARQ_OK && comm.size > 1) {
    /* Only the lowest failing rank reports (the others were told about it). */
    if (!strstr(err.message, PQ_REPACK_OTHER_RANK)) cli_mpi_fail(&comm, err.message);
    cli_mpi_end(&comm);
    return CLI_FAIL;
  }
  cli_mpi_end(&comm);
  if (st != PARQ_OK) {
    if (st == PARQ_EINVAL && strstr(err.message, "repack:")) return cli_failf("%s", err.message);
    return cli_fail_err(&err, st, NULL);
  }
  return CLI_OK;
}

static const cli_option repack_options[] = {
    {"output", 'o', "DIR", "directory for shard_NNNNN.parquet and manifest.json (required)"},
    {"columns", 0, "a,b", "keep only these input columns"},
    {"text-column", 0, "NAME", "column whose characters --shard-chars counts (default text)"},
    {"shard-chars", 0, "N", "close a shard at >= N characters (UTF-8 code points; default 250M)"},
    {"shard-bytes", 0, "SIZE", "...or at >= SIZE uncompressed row bytes"},
    {"shard-rows", 0, "N", "...or at >= N rows"},
    {"row-group-rows", 0, "N", "rows per row group (default 1024); shards hold whole row groups"},
    {"compression", 0, "CODEC[:LEVEL]", "default zstd:3"},
    {"dictionary", 0, "on|off", "dictionary encoding (default off)"},
    {"statistics", 0, "on|off", "min/max statistics (default off)"},
    {"jobs", 'j', "N", "compression threads (output is identical for any N)"},
    {"seed", 0, "S", "shuffle seed (default 42)"},
    {"cdc", 0, NULL, "content-defined data pages (dedup-friendly; docs/CDC.md)"},
    {"cdc-min", 0, "SIZE", "CDC minimum chunk, logical bytes (default 256K)"},
    {"cdc-max", 0, "SIZE", "CDC maximum chunk, logical bytes (default 1M)"},
    {"cdc-norm", 0, "LEVEL", "CDC normalization level (default 0)"},
    {"no-shuffle", 0, NULL, "keep input order"},
    {"memory-limit", 0, "SIZE", "memory for the external shuffle (default 1G)"},
    {"quiet", 'q', NULL, "no progress on stderr"},
};

const cli_command cli_cmd_repack = {
    .name = "repack",
    .summary = "repack corpora into shuffled, size-targeted Parquet shards (resumable)",
    .usage = "INPUT... -o DIR [options]",
    .description =
        "Inputs are JSONL/CSV/Parquet files, directories (their data files, sorted) or globs, "
        "all with one schema. Documents are shuffled globally and deterministically (an external "
        "shuffle within --memory-limit, spilling to DIR/.repack-tmp) and written as "
        "DIR/shard_00000.parquet, ... Each shard closes once it reaches the size target and its "
        "row count is a multiple of --row-group-rows (the last shard may be short). "
        "DIR/manifest.json records the command and every completed shard (rows, bytes, xxh3). "
        "If interrupted, run the same command again: it resumes and produces identical bytes. "
        "Under `mpirun -np K` the ranks share the reading, shuffling and writing and produce the "
        "same shards and manifest as one process (DIR must be on a filesystem every rank sees).",
    .options = repack_options,
    .n_options = sizeof repack_options / sizeof repack_options[0],
    .examples = "parq repack data/*.jsonl -o shards/ --shard-chars 250000000\n"
                "parq repack corpus/ -o shards/ --seed 7 --jobs 8 --memory-limit 4G\n"
                "parq repack big.parquet -o shards/ --no-shuffle --shard-rows 1048576\n"
                "mpirun -np 8 parq repack /shared/corpus/ -o /shared/shards --memory-limit 2G",
    .min_pos = 1,
    .max_pos = -1,
    .run = repack_run,
};
