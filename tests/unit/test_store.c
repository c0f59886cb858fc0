/* test_store.c — store C API: init, append (with schema evolution), the
 * de-duplicated read, consolidation, forked concurrent appends, merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parq.h"
#include "test.h"

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(text, f);
  return fclose(f);
}

typedef struct counter { int64_t rows; } counter;
static parq_status count_rows(void *u, const struct ArrowSchema *s, const struct ArrowArray *b,
                              parq_error *e) {
  (void)s; (void)e;
  if (b) ((counter *)u)->rows += b->length;
  return PARQ_OK;
}

TEST(store_append_consolidate) {
  char dir[] = "/tmp/parq_test_storeXXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char s[300], in[300];
  snprintf(s, sizeof s, "%s/s", dir);
  const char *key[] = {"id"};
  parq_error err = {0};
  CHECK(parq_store_init(s, key, 1, NULL, &err) == PARQ_OK);
  snprintf(in, sizeof in, "%s/a.jsonl", dir);
  CHECK(write_file(in, "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n") == 0);
  /* 8 forked writers append the same keys concurrently. */
  for (int p = 0; p < 8; p++)
    if (fork() == 0) _exit(parq_store_append_file(s, in, NULL, NULL, NULL) == PARQ_OK ? 0 : 1);
  int st, ok = 1;
  while (wait(&st) > 0) ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
  CHECK(ok);
  counter c = {0};
  CHECK(parq_store_read(s, NULL, 0, count_rows, &c, NULL, &err) == PARQ_OK);
  CHECK(c.rows == 2);
  parq_store_health_info h;
  CHECK(parq_store_health(s, &h, &err) == PARQ_OK);
  CHECK(h.increments == 8 && h.increment_rows == 16);
  parq_store_consolidate_options o;
  parq_store_consolidate_options_init(&o);
  o.grace_seconds = 0;
  parq_store_consolidate_result r;
  CHECK(parq_store_consolidate(s, &o, &r, &err) == PARQ_OK);
  CHECK(r.ran && r.rows_in == 16 && r.rows_out == 2);
  c.rows = 0;
  CHECK(parq_store_read(s, NULL, 0, count_rows, &c, NULL, &err) == PARQ_OK);
  CHECK(c.rows == 2);
  CHECK(write_file(in, "{\"id\":\"x\"}\n") == 0);
  CHECK(parq_store_append_file(s, in, NULL, NULL, &err) == PARQ_ESCHEMA);
  CHECK(strstr(err.message, "'id'") != NULL);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

int main(void) {
  RUN(store_append_consolidate);
  TEST_SUMMARY();
}
