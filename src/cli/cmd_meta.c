/* cmd_meta.c — `parq meta FILE [--json]`: print a file's metadata (row
 * groups, column chunks, codecs, encodings, statistics, key/value pairs) as
 * formatted by the library. */
#include "cli/cli.h"

static int meta_run(const cli_args *a) { return cli_describe_run(a, 0); }

static const cli_option meta_options[] = {
    {"json", 0, NULL, "print the metadata as a JSON document instead of text"},
};

const cli_command cli_cmd_meta = {
    .name = "meta",
    .summary = "print the metadata of a Parquet file (row groups, column chunks, statistics)",
    .usage = "FILE [--json]",
    .description = "Shows the footer: schema, row groups, per-column codecs, encodings, sizes, "
                   "statistics and key/value metadata.",
    .options = meta_options,
    .n_options = sizeof meta_options / sizeof meta_options[0],
    .examples = "parq meta data.parquet\nparq meta data.parquet --json | jq .row_groups",
    .min_pos = 1,
    .max_pos = 1,
    .run = meta_run,
};
