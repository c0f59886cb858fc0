/* progress.c — progress reporting on stderr for long commands. On a terminal
 * a bar is redrawn in place (percent, bytes, rate, ETA) at most ~10 times a
 * second; when stderr is a file or pipe a plain line is printed every few
 * seconds so logs stay readable. */
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"

#define TTY_INTERVAL 0.1
#define LOG_INTERVAL 5.0
#define BAR_WIDTH 28

int cli_stderr_is_tty(void) { return isatty(2); }

void cli_progress_init(cli_progress *p, const char *label, int64_t total, int enabled) {
  p->enabled = enabled;
  p->tty = enabled && cli_stderr_is_tty();
  p->drawn = 0;
  p->label = label;
  p->total = total;
  p->start = p->last = cli_now();
}

static void fmt_eta(double secs, char *buf, size_t cap) {
  if (secs < 0 || secs > 359999) {
    snprintf(buf, cap, "--:--");
    return;
  }
  long s = (long)(secs + 0.5);
  if (s >= 3600)
    snprintf(buf, cap, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    snprintf(buf, cap, "%ld:%02ld", s / 60, s % 60);
}

void cli_progress_update(cli_progress *p, int64_t done, int64_t rows) {
  if (!p->enabled) return;
  double now = cli_now();
  if (now - p->last < (p->tty ? TTY_INTERVAL : LOG_INTERVAL)) return;
  p->last = now;
  double el = now - p->start;
  double rate = el > 0 ? (double)done / el : 0;
  char b_done[32], b_total[32], b_rate[32], eta[32];
  cli_fmt_bytes((double)done, b_done, sizeof b_done);
  cli_fmt_bytes(rate, b_rate, sizeof b_rate);
  int known = p->total > 0;
  double frac = known ? (double)done / (double)p->total : 0;
  if (frac > 1) frac = 1;
  if (known) {
    cli_fmt_bytes((double)p->total, b_total, sizeof b_total);
    fmt_eta(rate > 0 ? (double)(p->total - done) / rate : -1, eta, sizeof eta);
  }
  if (p->tty) {
    char bar[BAR_WIDTH + 1];
    int fill = (int)(frac * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < fill ? '#' : (known ? '.' : ' ');
    bar[BAR_WIDTH] = 0;
    if (known)
      fprintf(stderr, "\r\033[K%s [%s] %3d%% %s/%s %s/s %lld rows ETA %s", p->label, bar,
              (int)(frac * 100), b_done, b_total, b_rate, (long long)rows, eta);
    else
      fprintf(stderr, "\r\033[K%s %s %s/s %lld rows", p->label, b_done, b_rate, (long long)rows);
    p->drawn = 1;
  } else if (known) {
    fprintf(stderr, "%s: %d%% (%s of %s) %s/s, %lld rows, ETA %s\n", p->label, (int)(frac * 100),
            b_done, b_total, b_rate, (long long)rows, eta);
  } else {
    fprintf(stderr, "%s: %s read, %s/s, %lld rows\n", p->label, b_done, b_rate, (long long)rows);
  }
  fflush(stderr);
}

void cli_progress_finish(cli_progress *p) {
  if (p->enabled && p->tty && p->drawn) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  p->drawn = 0;
}
