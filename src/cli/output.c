/* output.c — buffered stdout for the CLI. Rows are formatted into one large
 * buffer and written with write(2) in big chunks; a reader that went away
 * (EPIPE: `parq cat f | head`) ends the command quietly with exit 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

void cli_out_init(cli_out *o, int fd) {
  memset(o, 0, sizeof *o);
  o->fd = fd;
}

int cli_out_flush(cli_out *o, int force) {
  if (o->closed || o->failed) return -1;
  if (!force && o->buf.len < CLI_OUT_CHUNK) return 0;
  size_t off = 0;
  while (off < o->buf.len) {
    ssize_t n = write(o->fd, o->buf.data + off, o->buf.len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {
        o->closed = 1;
      } else {
        o->failed = 1;
        cli_failf("write error on standard output: %s", strerror(errno));
      }
      o->buf.len = 0;
      return -1;
    }
    off += (size_t)n;
  }
  o->buf.len = 0;
  return 0;
}

int cli_out_write(cli_out *o, const void *p, size_t n) {
  if (o->closed || o->failed) return -1;
  if (parq_buf_append(&o->buf, p, n) != PARQ_OK) {
    o->failed = 1;
    cli_failf("out of memory buffering output");
    return -1;
  }
  return cli_out_flush(o, 0);
}

int cli_out_finish(cli_out *o) {
  if (!o->closed && !o->failed) cli_out_flush(o, 1);
  parq_buf_free(&o->buf);
  return o->failed ? CLI_FAIL : CLI_OK;
}
