/* test.h — the minimal test harness used by tests/unit/test_*.c.
 * Each file defines TEST(name) functions and lists them in main() with RUN().
 * A failing CHECK prints file:line and the expression and marks the test failed.
 * main() ends with TEST_SUMMARY(), which prints "N passed, N failed". */
#ifndef PARQ_TEST_H
#define PARQ_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_checks, t_passed, t_failed, t_cur_failed;
#define TEST(name) static void name(void)
#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
      t_failed_checks++;                                                         \
      t_cur_failed = 1;                                                          \
    }                                                                            \
  } while (0)
#define CHECK_OK(expr)                                                               \
  do {                                                                               \
    parq_error e_ = {0};                                                             \
    (void)e_;                                                                        \
    int st_ = (expr);                                                                \
    if (st_ < 0) {                                                                   \
      fprintf(stderr, "%s:%d: %s returned %d\n", __FILE__, __LINE__, #expr, st_);    \
      t_failed_checks++;                                                             \
      t_cur_failed = 1;                                                              \
    }                                                                                \
  } while (0)
#define RUN(name)                                  \
  do {                                             \
    t_cur_failed = 0;                              \
    name();                                        \
    if (t_cur_failed) {                            \
      t_failed++;                                  \
      fprintf(stderr, "FAIL %s\n", #name);         \
    } else {                                       \
      t_passed++;                                  \
    }                                              \
  } while (0)
#define TEST_SUMMARY()                                          \
  do {                                                          \
    printf("%d passed, %d failed\n", t_passed, t_failed);       \
    return t_failed ? 1 : 0;                                    \
  } while (0)

/* Directory of the parquet-testing corpus, or NULL (tests then say they skip). */
static inline const char *test_corpus_dir(void) {
  const char *d = getenv("PARQUET_TEST_DATA");
  static char buf[4096];
  if (!d || !*d) {
    const char *src = getenv("PARQ_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/../shared/parquet-testing", src ? src : ".");
    d = buf;
  }
  char probe[4200];
  snprintf(probe, sizeof probe, "%s/MANIFEST.tsv", d);
  FILE *f = fopen(probe, "r");
  if (!f) return NULL;
  fclose(f);
  return d;
}
#endif
