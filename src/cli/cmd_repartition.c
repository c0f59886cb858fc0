/* cmd_repartition.c — `parq repartition INPUT... -o DIR --partitions N
 * (--hash-by COLS | --by-rows | --by-files)`: split a dataset into
 * DIR/part-PPPPP/part-RRRRR.parquet (RRRRR = writing rank, 00000 without
 * MPI). Under mpirun each rank reads its share and writes its own files;
 * a failing rank aborts the job and no partition files are committed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/mpi_comm.h"

static int repartition_run(const cli_args *a) {
  pq_repartition_options o;
  memset(&o, 0, sizeof o);
  parq_write_options_init(&o.write);
  o.inputs = a->pos;
  o.n_inputs = a->n_pos;
  o.output_dir = cli_value(a, "output");
  if (!o.output_dir) return cli_usage_error(a->cmd, "-o DIR is required");
  int64_t n = 0;
  int rc;
  if ((rc = cli_opt_int64(a, "partitions", 1, &n)) != CLI_OK) return rc;
  if (n < 1 || n > 100000) return cli_usage_error(a->cmd, "--partitions N (1..100000) is required");
  o.partitions = (int)n;
  int modes = (cli_value(a, "hash-by") != NULL) + cli_flag(a, "by-rows") + cli_flag(a, "by-files");
  if (modes != 1) return cli_usage_error(a->cmd, "give exactly one of --hash-by COLS, --by-rows, --by-files");
  const char **cols = NULL;
  size_t ncols = 0;
  char *store = NULL;
  if (cli_value(a, "hash-by")) {
    o.mode = PQ_PART_HASH;
    if ((rc = cli_list_option(a, "hash-by", &cols, &ncols, &store)) != CLI_OK) return rc;
    o.hash_cols = cols;
    o.n_hash_cols = ncols;
  } else {
    o.mode = cli_flag(a, "by-rows") ? PQ_PART_ROWS : PQ_PART_FILES;
  }
  const char *v = cli_value(a, "compression");
  if (v && parq_codec_parse(v, &o.write.codec, &o.write.level) != PARQ_OK) {
    free(cols);
    free(store);
    return cli_usage_error(a->cmd, "unknown compression '%s'", v);
  }
  if ((rc = cli_opt_int64(a, "row-group-rows", 1, &o.write.row_group_rows)) != CLI_OK) {
    free(cols);
    free(store);
    return rc;
  }
  pq_comm comm;
  if (cli_mpi_begin(&comm) != 0) {
    free(cols);
    free(store);
    return CLI_FAIL;
  }
  parq_error err = {0};
  pq_repartition_stats stats = {0, 0};
  parq_status st = pq_repartition(&o, &comm, &stats, &err);
  free(cols);
  free(store);
  if (st != PARQ_OK) {
    int usage = st == PARQ_EINVAL;
    if (comm.size > 1 && !strstr(err.message, "another rank failed")) cli_mpi_fail(&comm, err.message);
    if (comm.size == 1 || !strstr(err.message, "another rank failed"))
      fprintf(stderr, "parq repartition: %s\n", err.message);
    cli_mpi_end(&comm);
    return usage ? CLI_USAGE : CLI_FAIL;
  }
  if (!cli_flag(a, "quiet"))
    fprintf(stderr, "rank %d: %lld rows -> %lld files in %s\n", comm.rank, (long long)stats.rows_in,
            (long long)stats.files_out, o.output_dir);
  cli_mpi_end(&comm);
  return CLI_OK;
}

static const cli_option repartition_options[] = {
    {"output", 'o', "DIR", "output directory (created; must not already hold part-* entries)"},
    {"partitions", 'n', "N", "number of partitions"},
    {"hash-by", 0, "COLS", "hash partitioning on these columns (comma list, dotted paths)"},
    {"by-rows", 0, NULL, "equal contiguous row ranges"},
    {"by-files", 0, NULL, "whole input files, file i to partition i mod N"},
    {"compression", 0, "CODEC[:LEVEL]", "zstd[:LEVEL] (default zstd:3), snappy, gzip, lz4, brotli or none"},
    {"row-group-rows", 0, "N", "close a row group after N rows (default 1048576)"},
    {"quiet", 'q', NULL, "no summary on stderr"},
};

const cli_command cli_cmd_repartition = {
    .name = "repartition",
    .summary = "split a dataset into N partitions by key hash, rows or files",
    .usage = "INPUT... -o DIR --partitions N (--hash-by COLS | --by-rows | --by-files) [options]",
    .description = "Writes DIR/part-PPPPP/part-RRRRR.parquet. With --hash-by every key lands in "
                   "exactly one partition (xxh3 of the key, mod N). Under mpirun each rank reads "
                   "row groups g % size == rank and writes part-<rank> files; nothing is "
                   "committed unless every rank succeeds.",
    .options = repartition_options,
    .n_options = sizeof repartition_options / sizeof repartition_options[0],
    .examples = "parq repartition shards/ -o parts --partitions 8 --hash-by dump\n"
                "mpirun -np 4 parq repartition 'data/*.parquet' -o parts -n 16 --by-rows",
    .min_pos = 1,
    .max_pos = -1,
    .run = repartition_run,
};
