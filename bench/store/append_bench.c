/* append_bench.c — store append throughput through the C API.
 *   append_bench api  DIR PROCS APPENDS ROWS   forked processes, parq_store_append
 *   append_bench bare DIR PROCS APPENDS BYTES  write + fsync + rename + dir fsync loop
 *   append_bench json FILE BATCHES ROWS        one JSON document rewritten per batch
 * Prints "<acknowledged appends> <seconds> <appends/s>". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parq.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void noop_schema(struct ArrowSchema *s) { s->release = NULL; }
static void noop_array(struct ArrowArray *a) { a->release = NULL; }

static int api_worker(const char *dir, int id, int appends, int rows) {
  int64_t *ids = malloc(sizeof(int64_t) * (size_t)rows);
  double *score = malloc(sizeof(double) * (size_t)rows);
  int32_t *offs = malloc(sizeof(int32_t) * (size_t)(rows + 1));
  char *text = malloc((size_t)rows * 32);
  struct ArrowSchema c0 = {"l", "id", NULL, 0, 0, NULL, NULL, noop_schema, NULL};
  struct ArrowSchema c1 = {"g", "score", NULL, 2, 0, NULL, NULL, noop_schema, NULL};
  struct ArrowSchema c2 = {"u", "model", NULL, 2, 0, NULL, NULL, noop_schema, NULL};
  struct ArrowSchema *kids[3] = {&c0, &c1, &c2};
  struct ArrowSchema root = {"+s", "", NULL, 0, 3, kids, NULL, noop_schema, NULL};
  for (int a = 0; a < appends; a++) {
    int32_t o = 0;
    offs[0] = 0;
    for (int r = 0; r < rows; r++) {
      ids[r] = (int64_t)id * 100000000 + (int64_t)a * rows + r;
      score[r] = r * 0.5;
      o += sprintf(text + o, "model-%d", r % 7);
      offs[r + 1] = o;
    }
    const void *b0[2] = {NULL, ids}, *b1[2] = {NULL, score}, *b2[3] = {NULL, offs, text};
    struct ArrowArray a0 = {rows, 0, 0, 2, 0, b0, NULL, NULL, noop_array, NULL};
    struct ArrowArray a1 = {rows, 0, 0, 2, 0, b1, NULL, NULL, noop_array, NULL};
    struct ArrowArray a2 = {rows, 0, 0, 3, 0, b2, NULL, NULL, noop_array, NULL};
    struct ArrowArray *ak[3] = {&a0, &a1, &a2};
    const void *rb[1] = {NULL};
    struct ArrowArray batch = {rows, 0, 0, 1, 3, rb, ak, NULL, noop_array, NULL};
    const struct ArrowArray *bp = &batch;
    parq_error err = {0};
    if (parq_store_append(dir, &root, &bp, 1, NULL, &err) != PARQ_OK) {
      fprintf(stderr, "append: %s\n", err.message);
      return 1;
    }
  }
  return 0;
}

static int bare_worker(const char *dir, int id, int appends, int bytes) {
  char *buf = calloc(1, (size_t)bytes);
  char tmp[512], fin[512];
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  for (int a = 0; a < appends; a++) {
    snprintf(tmp, sizeof tmp, "%s/.t-%d-%d", dir, id, a);
    snprintf(fin, sizeof fin, "%s/f-%d-%d", dir, id, a);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0 || write(fd, buf, (size_t)bytes) != bytes || fsync(fd) != 0) return 1;
    close(fd);
    if (rename(tmp, fin) != 0 || fsync(dfd) != 0) return 1;
  }
  return 0;
}

static int json_baseline(const char *file, int batches, int rows) {
  char *doc = malloc(1);
  size_t len = 0;
  doc[0] = 0;
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  double t0 = now();
  for (int b = 0; b < batches; b++) {
    /* Read-modify-write of the whole document, as a JSON store does. */
    FILE *f = fopen(file, "rb");
    if (f) {
      fseek(f, 0, SEEK_END);
      long n = ftell(f);
      fseek(f, 0, SEEK_SET);
      doc = realloc(doc, (size_t)n + (size_t)rows * 64 + 16);
      len = fread(doc, 1, (size_t)n, f);
      fclose(f);
    } else {
      doc = realloc(doc, (size_t)rows * 64 + 16);
      len = 0;
    }
    if (len == 0) doc[len++] = '[';
    else len--; /* drop ']' */
    for (int r = 0; r < rows; r++)
      len += (size_t)sprintf(doc + len, "%s{\"id\":%d,\"score\":%.1f,\"model\":\"model-%d\"}",
                             len > 1 ? "," : "", b * rows + r, r * 0.5, r % 7);
    doc[len++] = ']';
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0 || write(fd, doc, len) != (ssize_t)len || fsync(fd) != 0) return 1;
    close(fd);
    rename(tmp, file);
  }
  double t = now() - t0;
  printf("%d %.3f %.1f\n", batches, t, batches / t);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && !strcmp(argv[1], "json")) return json_baseline(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc < 6) {
    fprintf(stderr, "usage: append_bench api|bare DIR PROCS APPENDS ROWS|BYTES\n");
    return 2;
  }
  int bare = !strcmp(argv[1], "bare");
  int procs = atoi(argv[3]), appends = atoi(argv[4]), n = atoi(argv[5]);
  double t0 = now();
  for (int p = 0; p < procs; p++) {
    pid_t pid = fork();
    if (pid == 0) _exit(bare ? bare_worker(argv[2], p, appends, n) : api_worker(argv[2], p, appends, n));
  }
  int ok = 1, st;
  while (wait(&st) > 0) ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
  double t = now() - t0;
  printf("%d %.3f %.1f\n", procs * appends, t, procs * appends / t);
  return ok ? 0 : 1;
}
