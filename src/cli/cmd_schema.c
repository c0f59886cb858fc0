/* cmd_schema.c — `parq schema FILE [--json]`: print a file's schema. The
 * library does the formatting (parq_reader_describe_text / _json); this file
 * also holds the body shared with `parq meta`. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_describe_run(const cli_args *a, int schema_only) {
  const char *path = a->pos[0];
  parq_error err = {0};
  parq_reader *r = NULL;
  parq_status st = parq_reader_open(path, NULL, &r, &err);
  if (st != PARQ_OK) return cli_fail_err(&err, st, path);
  char *text = NULL;
  st = cli_flag(a, "json") ? parq_reader_describe_json(r, schema_only, &text, &err)
                           : parq_reader_describe_text(r, schema_only, &text, &err);
  parq_reader_close(r);
  if (st != PARQ_OK) {
    parq_free(text);
    return cli_fail_err(&err, st, path);
  }
  cli_out out;
  cli_out_init(&out, STDOUT_FILENO);
  size_t len = text ? strlen(text) : 0;
  if (cli_out_write(&out, text ? text : "", len) == 0 && (len == 0 || text[len - 1] != '\n'))
    cli_out_write(&out, "\n", 1);
  parq_free(text);
  return cli_out_finish(&out);
}

static int schema_run(const cli_args *a) { return cli_describe_run(a, 1); }

static const cli_option schema_options[] = {
    {"json", 0, NULL, "print the schema as a JSON document instead of text"},
};

const cli_command cli_cmd_schema = {
    .name = "schema",
    .summary = "print the schema of a Parquet file",
    .usage = "FILE [--json]",
    .description = "Shows every column with its physical type, logical type and repetition.",
    .options = schema_options,
    .n_options = sizeof schema_options / sizeof schema_options[0],
    .examples = "parq schema data.parquet\nparq schema data.parquet --json",
    .min_pos = 1,
    .max_pos = 1,
    .run = schema_run,
};
