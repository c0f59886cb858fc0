/* cli.h — shared pieces of the `parq` command-line program: the command
 * table entry type, the option parser, number/size parsing, error reporting
 * with the CLI's exit-code conventions, buffered stdout and progress output.
 *
 * Exit codes: CLI_OK (0) success, CLI_FAIL (1) bad data or I/O error,
 * CLI_USAGE (2) bad usage. Commands return one of these from run(). */
#ifndef PARQ_CLI_H
#define PARQ_CLI_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "parq.h"
#include "util/buf.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* ---- Command descriptions (also the source of the help texts) ---- */
typedef struct cli_option {
  const char *name;    /* long name without "--" */
  char short_name;     /* e.g. 'o' for -o; 0 if none */
  const char *metavar; /* value placeholder ("N", "FILE"); NULL = boolean flag */
  const char *help;    /* one line */
} cli_option;

struct cli_args;

typedef struct cli_command {
  const char *name;
  const char *summary;     /* one line, shown by `parq help` */
  const char *usage;       /* arguments after "parq NAME", e.g. "FILE... [options]" */
  const char *description; /* a short paragraph (may be NULL) */
  const cli_option *options;
  size_t n_options;
  const char *examples;    /* one example per line */
  int min_pos, max_pos;    /* positional-argument bounds; max_pos < 0 = unlimited */
  int (*run)(const struct cli_args *a);
} cli_command;

/* The dispatch table (main.c): NULL-terminated. */
extern const cli_command *const cli_commands[];
const cli_command *cli_find_command(const char *name);

/* Each command lives in its own file. */
extern const cli_command cli_cmd_schema, cli_cmd_meta, cli_cmd_cat, cli_cmd_scan,
    cli_cmd_convert, cli_cmd_help;

/* ---- Parsed arguments ---- */
typedef struct cli_arg_value {
  int opt;           /* index into cmd->options */
  const char *value; /* NULL for boolean flags */
} cli_arg_value;

typedef struct cli_args {
  const cli_command *cmd;
  const char **pos;  /* positional arguments in order */
  size_t n_pos;
  cli_arg_value *vals; /* options in command-line order */
  size_t n_vals;
  int help;          /* --help / -h was given */
} cli_args;

/* Parse argv (the words after the command name). Returns CLI_OK, or CLI_USAGE
 * after printing "parq CMD: ... (see parq help CMD)", or CLI_FAIL on OOM. */
int cli_args_parse(const cli_command *cmd, int argc, char **argv, cli_args *out);
void cli_args_free(cli_args *a);

/* Was boolean option `name` given? */
int cli_flag(const cli_args *a, const char *name);
/* The last value of option `name`, or NULL. */
const char *cli_value(const cli_args *a, const char *name);
/* Number of times option `name` was given, and its i-th value. */
size_t cli_count(const cli_args *a, const char *name);
const char *cli_value_at(const cli_args *a, const char *name, size_t i);

/* Split every value of a comma-list option (e.g. --columns a,b --columns c)
 * into *out (malloc'ed array of pointers into *store, both freed by the caller
 * with free()). Returns CLI_OK, CLI_USAGE (empty element) or CLI_FAIL (OOM). */
int cli_list_option(const cli_args *a, const char *name, const char ***out, size_t *n,
                    char **store);

/* ---- Value parsing: return 0 on success, -1 on bad text ---- */
int cli_parse_int64(const char *s, int64_t *out);
/* Sizes with optional suffix: 512, 64K, 1M, 128MB, 1G, 2GiB (binary multiples). */
int cli_parse_size(const char *s, int64_t *out);
/* "on"/"off" (also true/false, yes/no, 1/0). */
int cli_parse_onoff(const char *s, int *out);

/* Typed option readers: absent => *out untouched, CLI_OK. Malformed or below
 * `min` => usage message, CLI_USAGE. */
int cli_opt_int64(const cli_args *a, const char *name, int64_t min, int64_t *out);
int cli_opt_size(const cli_args *a, const char *name, int64_t min, int64_t *out);

/* ---- Messages ---- */
/* "parq CMD: <msg> (see parq help CMD)" on stderr; returns CLI_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "parq: <msg>" on stderr; returns CLI_FAIL. */
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a library error. When `path` is non-NULL and the library message
 * does not already mention it, the message is prefixed with "path: ".
 * Returns CLI_FAIL (usage problems are caught by the CLI before calling). */
int cli_fail_err(const parq_error *err, parq_status st, const char *path);

/* Human-readable byte count ("12.3 MB") into buf. */
const char *cli_fmt_bytes(double bytes, char *buf, size_t cap);
/* Monotonic seconds. */
double cli_now(void);

/* Set by the SIGINT/SIGTERM handler (main.c): long-running commands poll it
 * and stop cleanly (e.g. convert aborts its writer so nothing is left). */
extern volatile sig_atomic_t cli_interrupted;

/* ---- Buffered output to a file descriptor (stdout) ----
 * Output goes through one big buffer flushed with write(2). A closed pipe
 * (EPIPE, e.g. `parq cat f | head`) sets `closed` and is not an error: the
 * command stops quietly and exits 0. SIGPIPE is ignored by main(). */
typedef struct cli_out {
  int fd;
  parq_buf buf;
  int closed; /* reader went away */
  int failed; /* other write error (message already printed) */
} cli_out;

#define CLI_OUT_CHUNK (1u << 20)
void cli_out_init(cli_out *o, int fd);
/* Write the buffer if it holds at least CLI_OUT_CHUNK bytes (force: any). 0 ok, -1 stop. */
int cli_out_flush(cli_out *o, int force);
/* Append and maybe flush. 0 ok, -1 stop (closed / failed / OOM). */
int cli_out_write(cli_out *o, const void *p, size_t n);
/* Flush everything and free; returns CLI_OK or CLI_FAIL (write error / OOM). */
int cli_out_finish(cli_out *o);

/* ---- Progress on stderr ----
 * TTY: a redrawn bar with percent, rate and ETA (at most ~10 redraws/s).
 * Otherwise: a plain line every few seconds. Disabled => all calls no-ops. */
typedef struct cli_progress {
  int enabled, tty, drawn;
  const char *label;
  int64_t total;     /* bytes; <= 0 if unknown */
  double start, last;
} cli_progress;

void cli_progress_init(cli_progress *p, const char *label, int64_t total, int enabled);
/* Is stderr a terminal? (for the "show progress" decision) */
int cli_stderr_is_tty(void);
void cli_progress_update(cli_progress *p, int64_t done, int64_t rows);
/* Erase the bar (TTY) so later messages start on a clean line. */
void cli_progress_finish(cli_progress *p);

/* `schema` and `meta` share their body (cmd_schema.c). */
int cli_describe_run(const cli_args *a, int schema_only);

/* Help (cmd_help.c). */
void cli_print_command_help(const cli_command *cmd);
void cli_print_main_help(int to_stderr);

#endif
