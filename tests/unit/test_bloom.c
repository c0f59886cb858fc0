/* test_bloom.c — split-block bloom filters: insert/check, and equality
 * pushdown using the bloom filters written by parquet-mr in the corpus. */
#include <stdlib.h>
#include <string.h>

#include "encoding/bloom.h"
#include "parq.h"
#include "test.h"

TEST(insert_then_check) {
  size_t nb = pq_bloom_optimal_bytes(10000, 0.01);
  CHECK(nb >= 32 && (nb & (nb - 1)) == 0);
  uint8_t *bits = calloc(nb, 1);
  for (int i = 0; i < 10000; i++) {
    char k[32];
    int n = snprintf(k, sizeof k, "key-%d", i);
    pq_bloom_insert(bits, nb, pq_bloom_hash(k, (size_t)n));
  }
  int fp = 0;
  for (int i = 0; i < 10000; i++) {
    char k[32];
    int n = snprintf(k, sizeof k, "key-%d", i);
    CHECK(pq_bloom_check(bits, nb, pq_bloom_hash(k, (size_t)n)));
    n = snprintf(k, sizeof k, "other-%d", i);
    fp += pq_bloom_check(bits, nb, pq_bloom_hash(k, (size_t)n));
  }
  CHECK(fp < 300); /* ~1% expected */
  free(bits);
}

static int64_t selected(const char *path, const char *value) {
  parq_predicate p = {.column = "String", .op = PARQ_CMP_EQ, .kind = PARQ_VALUE_STRING, .s = value, .s_len = strlen(value)};
  parq_read_options o;
  parq_read_options_init(&o);
  o.predicates = &p;
  o.n_predicates = 1;
  parq_reader *r;
  parq_error e;
  if (parq_reader_open(path, &o, &r, &e)) return -1;
  int64_t n = parq_reader_num_selected_row_groups(r);
  parq_reader_close(r);
  return n;
}

TEST(corpus_bloom_filters_prune) {
  const char *dir = test_corpus_dir();
  if (!dir) {
    printf("skipped: corpus not found\n");
    return;
  }
  const char *files[] = {"data_index_bloom_encoding_stats.parquet", "data_index_bloom_encoding_with_length.parquet"};
  for (int i = 0; i < 2; i++) {
    char path[8300];
    snprintf(path, sizeof path, "%s/data/%s", dir, files[i]);
    CHECK(selected(path, "Hello") == 1);
    /* Inside the min/max range, so only the bloom filter can exclude it. */
    CHECK(selected(path, "Hellp") == 0);
    CHECK(selected(path, "Hello2") == 0);
  }
}

int main(void) {
  RUN(insert_then_check);
  RUN(corpus_bloom_filters_prune);
  TEST_SUMMARY();
}
