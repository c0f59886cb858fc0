/* cmd_merge.c — `parq merge INPUT... -o OUT.parquet`: many Parquet files into
 * one, copying column chunks without re-encoding when possible (see
 * src/dataset/merge.c for when). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int merge_run(const cli_args *a) {
  const char *out = cli_value(a, "output");
  if (!out) return cli_usage_error(a->cmd, "missing -o OUT.parquet");
  parq_merge_options o = {0};
  int rc;
  if ((rc = cli_opt_size(a, "row-group-bytes", 1, &o.row_group_bytes)) != CLI_OK) return rc;
  int copy = cli_flag(a, "copy"), re = cli_flag(a, "reencode");
  if (copy && re) return cli_usage_error(a->cmd, "--copy and --reencode exclude each other");
  o.mode = copy ? 1 : re ? 2 : 0;
  parq_merge_result res;
  parq_error err = {0};
  parq_status st = parq_merge(a->pos, a->n_pos, out, &o, &res, &err);
  if (st) return cli_fail_err(&err, st, NULL);
  if (!cli_flag(a, "quiet"))
    fprintf(stderr, "merged %zu files into %s: %lld rows, %lld row groups (%s)\n", a->n_pos, out,
            (long long)res.rows, (long long)res.row_groups,
            res.copied ? "column chunks copied" : "re-encoded");
  return CLI_OK;
}

static const cli_option merge_options[] = {
    {"output", 'o', "OUT.parquet", "the merged file (written to a temporary name, then renamed)"},
    {"row-group-bytes", 0, "N", "row group size target (default 128M)"},
    {"copy", 0, NULL, "force copying column chunks (fails if inputs differ in schema or codec)"},
    {"reencode", 0, NULL, "force decode + re-encode"},
    {"quiet", 'q', NULL, "no summary line"},
};

const cli_command cli_cmd_merge = {
    .name = "merge",
    .summary = "merge many Parquet files into one with well-sized row groups",
    .usage = "INPUT... -o OUT.parquet [options]",
    .description = "Copies column chunks byte for byte when every input has the same schema and "
                   "codecs and its row groups are already at least half the target; otherwise "
                   "decodes and re-encodes. Inputs are opened one at a time.",
    .options = merge_options,
    .n_options = sizeof merge_options / sizeof merge_options[0],
    .examples = "parq merge part-*.parquet -o all.parquet\n"
                "parq merge small/*.parquet -o big.parquet --reencode --row-group-bytes 64M",
    .min_pos = 1,
    .max_pos = -1,
    .run = merge_run,
};
