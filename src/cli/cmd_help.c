/* cmd_help.c — `parq help [COMMAND]`: help texts are generated from each
 * command's cli_command description, so every option the parser accepts is
 * listed with its one-line explanation. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void cli_print_main_help(int to_stderr) {
  FILE *f = to_stderr ? stderr : stdout;
  fprintf(f,
          "parq %s — read, write and inspect Apache Parquet files\n\n"
          "usage: parq COMMAND [options] [arguments]\n\n"
          "commands:\n",
          parq_version());
  for (size_t i = 0; cli_commands[i]; i++)
    fprintf(f, "  %-12s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
  fprintf(f,
          "\nglobal options:\n"
          "  --version    print the version and exit\n"
          "  --help       print this help\n\n"
          "Run 'parq help COMMAND' or 'parq COMMAND --help' for a command's options.\n"
          "Exit status: 0 success, 1 bad data or I/O error, 2 bad usage.\n");
}

/* Print text word-wrapped at `width` columns with `indent` spaces. */
static void print_wrapped(FILE *f, const char *text, int indent, int width) {
  int col = 0;
  const char *p = text;
  while (*p) {
    while (*p == ' ') p++;
    size_t len = strcspn(p, " ");
    if (!len) break;
    if (col > indent && col + 1 + (int)len > width) {
      fputc('\n', f);
      col = 0;
    }
    if (col == 0) col = fprintf(f, "%*s", indent, "");
    else col += fprintf(f, " ");
    col += fprintf(f, "%.*s", (int)len, p);
    p += len;
  }
  fputc('\n', f);
}

static void option_left(const cli_option *o, char *buf, size_t cap) {
  int n = o->short_name ? snprintf(buf, cap, "-%c, --%s", o->short_name, o->name)
                        : snprintf(buf, cap, "    --%s", o->name);
  if (o->metavar && n > 0 && (size_t)n < cap) snprintf(buf + n, cap - (size_t)n, " %s", o->metavar);
}

void cli_print_command_help(const cli_command *cmd) {
  FILE *f = stdout;
  fprintf(f, "usage: parq %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
  if (cmd->description) {
    fputc('\n', f);
    print_wrapped(f, cmd->description, 0, 80);
  }
  /* The option column is as wide as the widest option (within reason). */
  int w = 12;
  char left[96];
  for (size_t i = 0; i < cmd->n_options; i++) {
    option_left(&cmd->options[i], left, sizeof left);
    int n = (int)strlen(left);
    if (n > w) w = n;
  }
  if (w > 34) w = 34;
  fprintf(f, "\noptions:\n");
  for (size_t i = 0; i < cmd->n_options; i++) {
    option_left(&cmd->options[i], left, sizeof left);
    if ((int)strlen(left) > w)
      fprintf(f, "  %s\n  %-*s  %s\n", left, w, "", cmd->options[i].help);
    else
      fprintf(f, "  %-*s  %s\n", w, left, cmd->options[i].help);
  }
  fprintf(f, "  %-*s  %s\n", w, "-h, --help", "show this help");
  if (cmd->examples) {
    fprintf(f, "\nexamples:\n");
    const char *p = cmd->examples;
    while (*p) {
      const char *nl = strchr(p, '\n');
      size_t len = nl ? (size_t)(nl - p) : strlen(p);
      fprintf(f, "  %.*s\n", (int)len, p);
      p += len + (nl ? 1 : 0);
    }
  }
}

static const cli_option help_options[] = {{0}};

static int help_run(const cli_args *a) {
  if (a->n_pos == 0) {
    cli_print_main_help(0);
    return CLI_OK;
  }
  const cli_command *cmd = cli_find_command(a->pos[0]);
  if (!cmd) return cli_usage_error(a->cmd, "unknown command '%s'", a->pos[0]);
  cli_print_command_help(cmd);
  return CLI_OK;
}

const cli_command cli_cmd_help = {
    .name = "help",
    .summary = "show help for parq or for one command",
    .usage = "[COMMAND]",
    .description = "Without COMMAND, lists the commands. 'parq COMMAND --help' is the same as "
                   "'parq help COMMAND'.",
    .options = help_options,
    .n_options = 0,
    .examples = "parq help\nparq help convert",
    .min_pos = 0,
    .max_pos = 1,
    .run = help_run,
};
