/* args.c — the option parser shared by every command (--flag VALUE,
 * --flag=VALUE, -o VALUE, repeated flags, positionals, "--"), typed option
 * readers (integers, sizes with K/M/G suffixes, on/off) and the CLI's
 * message helpers (usage errors exit 2, data/I/O errors exit 1). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"

/* ---------------- messages ---------------- */

int cli_usage_error(const cli_command *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "parq %s: ", cmd->name);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see parq help %s)\n", cmd->name);
  va_end(ap);
  return CLI_USAGE;
}

int cli_failf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("parq: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return CLI_FAIL;
}

int cli_fail_err(const parq_error *err, parq_status st, const char *path) {
  const char *msg = (err && err->message[0]) ? err->message : parq_strerror(st);
  if (path && !strstr(msg, path))
    fprintf(stderr, "parq: %s: %s\n", path, msg);
  else
    fprintf(stderr, "parq: %s\n", msg);
  return CLI_FAIL;
}

const char *cli_fmt_bytes(double bytes, char *buf, size_t cap) {
  static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    u++;
  }
  if (u == 0)
    snprintf(buf, cap, "%.0f B", bytes);
  else
    snprintf(buf, cap, "%.1f %s", bytes, units[u]);
  return buf;
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---------------- parser ---------------- */

static int find_long(const cli_command *cmd, const char *name, size_t len) {
  for (size_t i = 0; i < cmd->n_options; i++) {
    const char *n = cmd->options[i].name;
    if (strlen(n) == len && !memcmp(n, name, len)) return (int)i;
  }
  return -1;
}

static int find_short(const cli_command *cmd, char c) {
  for (size_t i = 0; i < cmd->n_options; i++)
    if (cmd->options[i].short_name == c) return (int)i;
  return -1;
}

int cli_args_parse(const cli_command *cmd, int argc, char **argv, cli_args *out) {
  memset(out, 0, sizeof *out);
  out->cmd = cmd;
  size_t cap = argc > 0 ? (size_t)argc : 1;
  out->pos = malloc(cap * sizeof *out->pos);
  out->vals = malloc(cap * sizeof *out->vals);
  if (!out->pos || !out->vals) {
    cli_args_free(out);
    return cli_failf("out of memory");
  }
  int only_pos = 0;
  for (int i = 0; i < argc; i++) {
    const char *w = argv[i];
    /* "-" alone means standard input: a positional. */
    if (only_pos || w[0] != '-' || w[1] == 0) {
      out->pos[out->n_pos++] = w;
      continue;
    }
    if (!strcmp(w, "--")) {
      only_pos = 1;
      continue;
    }
    if (!strcmp(w, "--help") || !strcmp(w, "-h")) {
      out->help = 1;
      continue;
    }
    int idx;
    const char *inline_val = NULL;
    char shown[64];
    if (w[1] == '-') {
      const char *name = w + 2;
      const char *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      idx = find_long(cmd, name, len);
      if (eq) inline_val = eq + 1;
      snprintf(shown, sizeof shown, "--%.*s", (int)(len < 50 ? len : 50), name);
    } else {
      idx = w[2] == 0 ? find_short(cmd, w[1]) : -1;
      snprintf(shown, sizeof shown, "%.50s", w);
    }
    if (idx < 0) {
      int rc = cli_usage_error(cmd, "unknown option '%s'", shown);
      cli_args_free(out);
      return rc;
    }
    const cli_option *o = &cmd->options[idx];
    const char *val = NULL;
    if (o->metavar) {
      if (inline_val) {
        val = inline_val;
      } else if (i + 1 < argc) {
        val = argv[++i];
      } else {
        int rc = cli_usage_error(cmd, "option '%s' needs a value (%s)", shown, o->metavar);
        cli_args_free(out);
        return rc;
      }
    } else if (inline_val) {
      int rc = cli_usage_error(cmd, "option '%s' takes no value", shown);
      cli_args_free(out);
      return rc;
    }
    out->vals[out->n_vals].opt = idx;
    out->vals[out->n_vals].value = val;
    out->n_vals++;
  }
  if (out->help) return CLI_OK; /* help wins over positional-count checks */
  if ((int)out->n_pos < cmd->min_pos) {
    int rc = out->n_pos == 0 && cmd->min_pos > 0
                 ? cli_usage_error(cmd, "missing argument: parq %s %s", cmd->name, cmd->usage)
                 : cli_usage_error(cmd, "too few arguments: parq %s %s", cmd->name, cmd->usage);
    cli_args_free(out);
    return rc;
  }
  if (cmd->max_pos >= 0 && (int)out->n_pos > cmd->max_pos) {
    int rc = cli_usage_error(cmd, "unexpected argument '%s'", out->pos[cmd->max_pos]);
    cli_args_free(out);
    return rc;
  }
  return CLI_OK;
}

void cli_args_free(cli_args *a) {
  free(a->pos);
  free(a->vals);
  a->pos = NULL;
  a->vals = NULL;
  a->n_pos = a->n_vals = 0;
}

static int opt_index(const cli_args *a, const char *name) {
  return find_long(a->cmd, name, strlen(name));
}

int cli_flag(const cli_args *a, const char *name) { return cli_count(a, name) > 0; }

size_t cli_count(const cli_args *a, const char *name) {
  int idx = opt_index(a, name);
  size_t n = 0;
  for (size_t i = 0; i < a->n_vals; i++)
    if (a->vals[i].opt == idx) n++;
  return n;
}

const char *cli_value_at(const cli_args *a, const char *name, size_t k) {
  int idx = opt_index(a, name);
  for (size_t i = 0; i < a->n_vals; i++)
    if (a->vals[i].opt == idx && k-- == 0) return a->vals[i].value;
  return NULL;
}

const char *cli_value(const cli_args *a, const char *name) {
  size_t n = cli_count(a, name);
  return n ? cli_value_at(a, name, n - 1) : NULL;
}

int cli_list_option(const cli_args *a, const char *name, const char ***out, size_t *n,
                    char **store) {
  *out = NULL;
  *n = 0;
  *store = NULL;
  size_t cnt = cli_count(a, name), total = 0, items = 0;
  if (!cnt) return CLI_OK;
  for (size_t k = 0; k < cnt; k++) {
    const char *v = cli_value_at(a, name, k);
    total += strlen(v) + 1;
    items += 1;
    for (const char *p = v; *p; p++) items += *p == ',';
  }
  char *buf = malloc(total);
  const char **list = malloc(items * sizeof *list);
  if (!buf || !list) {
    free(buf);
    free(list);
    return cli_failf("out of memory");
  }
  char *w = buf;
  size_t m = 0;
  for (size_t k = 0; k < cnt; k++) {
    const char *v = cli_value_at(a, name, k);
    size_t len = strlen(v);
    memcpy(w, v, len + 1);
    char *start = w;
    for (char *p = w;; p++) {
      if (*p == ',' || *p == 0) {
        int last = *p == 0;
        *p = 0;
        if (!*start) {
          free(buf);
          free(list);
          return cli_usage_error(a->cmd, "empty name in --%s '%s'", name, v);
        }
        list[m++] = start;
        start = p + 1;
        if (last) break;
      }
    }
    w += len + 1;
  }
  *out = list;
  *n = m;
  *store = buf;
  return CLI_OK;
}

/* ---------------- values ---------------- */

int cli_parse_int64(const char *s, int64_t *out) {
  if (!s || !*s || isspace((unsigned char)*s)) return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end) return -1;
  *out = (int64_t)v;
  return 0;
}

int cli_parse_size(const char *s, int64_t *out) {
  if (!s || !isdigit((unsigned char)*s)) return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno) return -1;
  /* Optional fraction ("1.5G") keeps sizes readable. */
  double frac = 0;
  if (*end == '.') {
    char *fend;
    frac = strtod(end, &fend);
    if (fend == end + 1) return -1;
    end = fend;
  }
  unsigned long long mult = 1;
  switch (toupper((unsigned char)*end)) {
    case 0: break;
    case 'B': if (end[1]) return -1; end++; break;
    case 'K': mult = 1ull << 10; end++; break;
    case 'M': mult = 1ull << 20; end++; break;
    case 'G': mult = 1ull << 30; end++; break;
    case 'T': mult = 1ull << 40; end++; break;
    default: return -1;
  }
  if (mult > 1) {
    /* Accept K, KB, KiB (any case). */
    if (*end == 'i' || *end == 'I') end++;
    if (*end == 'b' || *end == 'B') end++;
  }
  if (*end) return -1;
  double total = ((double)v + frac) * (double)mult;
  if (total >= 9.2e18) return -1;
  *out = (int64_t)total;
  return 0;
}

int cli_parse_onoff(const char *s, int *out) {
  static const char *const on[] = {"on", "true", "yes", "1"};
  static const char *const off[] = {"off", "false", "no", "0"};
  for (int i = 0; i < 4; i++) {
    if (!strcasecmp(s, on[i])) { *out = 1; return 0; }
    if (!strcasecmp(s, off[i])) { *out = 0; return 0; }
  }
  return -1;
}

int cli_opt_int64(const cli_args *a, const char *name, int64_t min, int64_t *out) {
  const char *v = cli_value(a, name);
  if (!v) return CLI_OK;
  int64_t x;
  if (cli_parse_int64(v, &x) != 0)
    return cli_usage_error(a->cmd, "--%s expects an integer, got '%s'", name, v);
  if (x < min)
    return cli_usage_error(a->cmd, "--%s must be at least %lld, got '%s'", name, (long long)min, v);
  *out = x;
  return CLI_OK;
}

int cli_opt_size(const cli_args *a, const char *name, int64_t min, int64_t *out) {
  const char *v = cli_value(a, name);
  if (!v) return CLI_OK;
  int64_t x;
  if (cli_parse_size(v, &x) != 0)
    return cli_usage_error(a->cmd, "--%s expects a size such as 65536, 64K, 1M or 1G, got '%s'",
                           name, v);
  if (x < min)
    return cli_usage_error(a->cmd, "--%s must be at least %lld bytes, got '%s'", name,
                           (long long)min, v);
  *out = x;
  return CLI_OK;
}
