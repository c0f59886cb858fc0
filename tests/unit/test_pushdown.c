/* test_pushdown.c — predicate pushdown: row groups pruned by statistics, pages
 * skipped through the page index, and the surviving rows still hold every
 * match. Uses the corpus file alltypes_tiny_pages.parquet (7300 rows in
 * thousands of tiny pages with a page index). */
#include <stdlib.h>
#include <string.h>

#include "parq.h"
#include "test.h"

static char path[8300];

/* Returns rows delivered; *found counts rows with lo <= id < hi among them. */
static int64_t run(const parq_predicate *p, size_t np, int32_t lo, int32_t hi, int *found) {
  const char *cols[] = {"id", "string_col"};
  parq_read_options o;
  parq_read_options_init(&o);
  o.columns = cols;
  o.n_columns = 2;
  o.predicates = p;
  o.n_predicates = np;
  parq_reader *r;
  parq_error e;
  if (parq_reader_open(path, &o, &r, &e)) {
    fprintf(stderr, "%s\n", e.message);
    return -1;
  }
  struct ArrowArray a;
  int64_t rows = 0;
  int st;
  *found = 0;
  while ((st = parq_reader_next(r, &a, &e)) == PARQ_OK) {
    const int32_t *id = a.children[0]->buffers[1];
    for (int64_t i = 0; i < a.length; i++)
      if (id[a.children[0]->offset + i] >= lo && id[a.children[0]->offset + i] < hi) (*found)++;
    rows += a.length;
    a.release(&a);
  }
  if (st != PARQ_DONE) fprintf(stderr, "%s\n", e.message);
  parq_reader_close(r);
  return st == PARQ_DONE ? rows : -1;
}

TEST(page_index_skips_pages) {
  int found = 0;
  parq_predicate eq = {.column = "id", .op = PARQ_CMP_EQ, .kind = PARQ_VALUE_INT, .i = 5000};
  int64_t rows = run(&eq, 1, 5000, 5001, &found);
  CHECK(found == 1);
  /* ids are not sorted in this file, so page ranges overlap: some pages survive. */
  CHECK(rows > 0 && rows < 7300);
  parq_predicate range[2] = {{.column = "id", .op = PARQ_CMP_GE, .kind = PARQ_VALUE_INT, .i = 1000},
                             {.column = "id", .op = PARQ_CMP_LT, .kind = PARQ_VALUE_INT, .i = 2000}};
  rows = run(range, 2, 1000, 2000, &found);
  CHECK(found == 1000); /* every match survives */
  CHECK(rows >= 1000 && rows < 7300);
  parq_predicate none = {.column = "id", .op = PARQ_CMP_GT, .kind = PARQ_VALUE_INT, .i = 1000000};
  rows = run(&none, 1, 0, 0, &found);
  CHECK(rows == 0);
  /* No predicate: everything. */
  rows = run(NULL, 0, 0, 7300, &found);
  CHECK(rows == 7300 && found == 7300);
}

int main(void) {
  const char *dir = test_corpus_dir();
  if (!dir) {
    printf("skipped: corpus not found\n0 passed, 0 failed, 1 skipped\n");
    return 0;
  }
  snprintf(path, sizeof path, "%s/data/alltypes_tiny_pages.parquet", dir);
  RUN(page_index_skips_pages);
  TEST_SUMMARY();
}
