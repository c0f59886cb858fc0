/* test_repack.c — unit tests of `parq repack`'s pieces: the row codec
 * round-trips nested types and rejects damaged rows, shuffle keys are a
 * collision-free permutation whose order does not depend on the bucket count,
 * spill buckets load and validate, the manifest round-trips and explains a
 * differing command, and parq_repack() end to end (shard rules, determinism
 * across memory limits, progress, cancellation leaving no partial shard). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/manifest.h"
#include "dataset/repack_internal.h"
#include "io/io.h"
#include "parq.h"
#include "test.h"
#include "util/error.h"

static char g_dir[256];

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static const char *nested_jsonl =
    "{\"id\":1,\"s\":\"h\xc3\xa9llo\",\"b\":true,\"l\":[1,2,3],\"st\":{\"lang\":\"en\",\"score\":0.5},\"f\":1.5}\n"
    "{\"id\":2,\"s\":null,\"b\":false,\"l\":[],\"st\":null,\"f\":null}\n"
    "{\"id\":3,\"s\":\"\",\"b\":null,\"l\":null,\"st\":{\"lang\":null,\"score\":2},\"f\":-0.25}\n"
    "{\"id\":4,\"s\":\"x\",\"b\":true,\"l\":[null,7],\"st\":{\"lang\":\"de\",\"score\":null},\"f\":3}\n";

/* Read a JSONL file into one batch + schema. */
static int load_jsonl(const char *path, struct ArrowSchema *s, struct ArrowArray *a) {
  pq_text_reader *r = NULL;
  parq_error err = {0};
  pq_text_read_options o;
  pq_text_read_options_init(&o);
  if (pq_text_reader_open(path, &o, &r, &err) != PARQ_OK) {
    fprintf(stderr, "%s\n", err.message);
    return -1;
  }
  int rc = pq_text_reader_schema(r, s, &err) == PARQ_OK && pq_text_reader_next(r, a, &err) == PARQ_OK ? 0 : -1;
  pq_text_reader_close(r);
  return rc;
}

TEST(row_codec_round_trips_nested_types_in_any_order) {
  char path[300];
  snprintf(path, sizeof path, "%s/nested.jsonl", g_dir);
  write_text(path, nested_jsonl);
  struct ArrowSchema s;
  struct ArrowArray a;
  CHECK(load_jsonl(path, &s, &a) == 0);
  if (t_cur_failed) return;
  parq_error err = {0};
  pq_rnode n;
  CHECK_OK(pq_rnode_init(&n, &s, &err));
  parq_buf rows[4] = {PARQ_BUF_INIT, PARQ_BUF_INIT, PARQ_BUF_INIT, PARQ_BUF_INIT};
  for (int i = 0; i < 4; i++) CHECK_OK(pq_row_encode(&n, &a, i, &rows[i], &err));
  for (int i = 3; i >= 0; i--) CHECK_OK(pq_row_decode(&n, rows[i].data, rows[i].len, &err));
  CHECK(pq_rnode_rows(&n) == 4);
  struct ArrowArray back;
  CHECK_OK(pq_rnode_finish(&n, &back, &err));
  parq_buf j1 = PARQ_BUF_INIT, j2 = PARQ_BUF_INIT;
  CHECK_OK(pq_jsonl_write_batch(&s, &a, &j1, &err));
  CHECK_OK(pq_jsonl_write_batch(&s, &back, &j2, &err));
  /* back holds the rows reversed: compare line by line. */
  char *l1[4], *l2[4];
  parq_buf_append_byte(&j1, 0);
  parq_buf_append_byte(&j2, 0);
  char *p1 = (char *)j1.data, *p2 = (char *)j2.data;
  for (int i = 0; i < 4; i++) {
    l1[i] = strsep(&p1, "\n");
    l2[i] = strsep(&p2, "\n");
  }
  for (int i = 0; i < 4; i++) CHECK(l1[i] && l2[3 - i] && !strcmp(l1[i], l2[3 - i]));
  /* A second batch from the same builders works (they reset). */
  CHECK_OK(pq_row_decode(&n, rows[0].data, rows[0].len, &err));
  struct ArrowArray one;
  CHECK_OK(pq_rnode_finish(&n, &one, &err));
  CHECK(one.length == 1);
  one.release(&one);
  /* Damaged rows: every truncation fails cleanly, trailing garbage too. */
  for (size_t cut = 0; cut < rows[0].len; cut++) {
    pq_rnode m;
    CHECK_OK(pq_rnode_init(&m, &s, &err));
    CHECK(pq_row_decode(&m, rows[0].data, cut, &err) == PARQ_ECORRUPT);
    pq_rnode_free(&m);
  }
  parq_buf_append_byte(&rows[0], 1);
  CHECK(pq_row_decode(&n, rows[0].data, rows[0].len, &err) == PARQ_ECORRUPT);
  for (int i = 0; i < 4; i++) parq_buf_free(&rows[i]);
  parq_buf_free(&j1);
  parq_buf_free(&j2);
  back.release(&back);
  a.release(&a);
  s.release(&s);
  pq_rnode_free(&n);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

TEST(shuffle_keys_are_distinct_and_buckets_are_key_ranges) {
  enum { N = 100000 };
  uint64_t *k = malloc(N * sizeof *k);
  if (!k) return;
  for (uint64_t i = 0; i < N; i++) k[i] = pq_shuffle_key(i, 42);
  CHECK(pq_shuffle_key(5, 42) == k[5]);
  CHECK(pq_shuffle_key(5, 43) != k[5]);
  /* Roughly uniform: the first of 8 buckets holds about 1/8 of the rows. */
  int in0 = 0;
  for (int i = 0; i < N; i++) in0 += pq_shuffle_bucket(k[i], 8) == 0;
  CHECK(in0 > N / 8 - N / 50 && in0 < N / 8 + N / 50);
  qsort(k, N, sizeof *k, cmp_u64);
  int dup = 0, order_ok = 1;
  for (int i = 1; i < N; i++) {
    dup += k[i] == k[i - 1];
    if (pq_shuffle_bucket(k[i], 7) < pq_shuffle_bucket(k[i - 1], 7)) order_ok = 0;
  }
  CHECK(dup == 0);
  CHECK(order_ok); /* ascending keys => non-decreasing buckets, for any B */
  CHECK(pq_shuffle_bucket(UINT64_MAX, 7) == 6 && pq_shuffle_bucket(0, 7) == 0);
  free(k);
}

TEST(spill_buckets_round_trip_and_reject_damage) {
  char dir[300];
  snprintf(dir, sizeof dir, "%s/spill", g_dir);
  CHECK(mkdir(dir, 0777) == 0);
  parq_error err = {0};
  pq_spill sp;
  CHECK_OK(pq_spill_open(&sp, dir, 3, 64, &err));
  for (uint64_t i = 0; i < 300; i++) {
    char row[32];
    int n = snprintf(row, sizeof row, "row%llu", (unsigned long long)i);
    CHECK_OK(pq_spill_add(&sp, pq_shuffle_key(i, 1), (const uint8_t *)row, (size_t)n, &err));
  }
  CHECK_OK(pq_spill_finish(&sp, 0, &err));
  int64_t total = 0;
  uint64_t last = 0;
  for (uint32_t b = 0; b < 3; b++) {
    char p[400];
    pq_spill_bucket_path(dir, b, p, sizeof p);
    pq_bucket bk;
    CHECK_OK(pq_bucket_load(p, sp.bytes[b], sp.rows[b], &bk, &err));
    for (int64_t i = 0; i < bk.n; i++) {
      CHECK(bk.recs[i].key >= last);
      last = bk.recs[i].key;
      CHECK(!memcmp(bk.data + bk.recs[i].off, "row", 3));
    }
    total += bk.n;
    pq_bucket_free(&bk);
    /* Wrong expectations (a truncated or foreign file) are refused. */
    CHECK(pq_bucket_load(p, sp.bytes[b] - 1, sp.rows[b], &bk, &err) == PARQ_ECORRUPT);
    CHECK(pq_bucket_load(p, sp.bytes[b], sp.rows[b] + 1, &bk, &err) == PARQ_ECORRUPT);
    if (b == 0 && sp.bytes[0] > 20) {
      truncate(p, sp.bytes[0] - 3);
      CHECK(pq_bucket_load(p, sp.bytes[0] - 3, sp.rows[0], &bk, &err) == PARQ_ECORRUPT);
    }
  }
  CHECK(total == 300);
  pq_spill_free(&sp);
  /* More buckets than PQ_SPILL_MAX_OPEN: files are reopened per flush. */
  CHECK_OK(pq_spill_open(&sp, dir, PQ_SPILL_MAX_OPEN + 44, 16, &err));
  for (uint64_t i = 0; i < 5000; i++)
    CHECK_OK(pq_spill_add(&sp, pq_shuffle_key(i, 9), (const uint8_t *)"abcdefgh", 8, &err));
  CHECK_OK(pq_spill_finish(&sp, 1, &err));
  total = 0;
  for (uint32_t b = 0; b < sp.n; b++) {
    char p[400];
    pq_spill_bucket_path(dir, b, p, sizeof p);
    pq_bucket bk;
    CHECK_OK(pq_bucket_load(p, sp.bytes[b], sp.rows[b], &bk, &err));
    total += bk.n;
    pq_bucket_free(&bk);
  }
  CHECK(total == 5000);
  pq_spill_free(&sp);
}

TEST(manifest_round_trip_and_command_diff) {
  char dir[300];
  snprintf(dir, sizeof dir, "%s/man", g_dir);
  CHECK(mkdir(dir, 0777) == 0);
  parq_error err = {0};
  pq_repack_manifest m = {0}, l;
  CHECK(pq_repack_manifest_load(dir, &l, &err) == PARQ_DONE);
  m.command = strdup("{\"inputs\":[{\"path\":\"a\"}],\"seed\":42,\"compression\":\"zstd:3\"}");
  pq_manifest_shard s = {"shard_00000.parquet", 2048, 2, 12345, 999, 0x0123456789abcdefull};
  CHECK_OK(pq_repack_manifest_push(&m, &s, &err));
  CHECK_OK(pq_repack_manifest_write(dir, &m, 0, &err));
  CHECK_OK(pq_repack_manifest_load(dir, &l, &err));
  CHECK(l.n_shards == 1 && !l.complete && l.shards[0].rows == 2048 && l.shards[0].row_groups == 2 &&
        l.shards[0].text_chars == 12345 && l.shards[0].bytes == 999 &&
        l.shards[0].xxh3 == 0x0123456789abcdefull && !strcmp(l.shards[0].path, "shard_00000.parquet"));
  CHECK(l.command && !strcmp(l.command, m.command));
  /* The colleague's loader (paths only) reads the same file. */
  char **paths = NULL;
  size_t n = 0;
  CHECK_OK(pq_manifest_load(dir, &paths, &n, &err));
  CHECK(n == 1 && strstr(paths[0], "shard_00000.parquet"));
  pq_manifest_free(paths, n);
  char msg[200];
  CHECK(pq_repack_command_diff(m.command, l.command, msg, sizeof msg) == 0);
  CHECK(pq_repack_command_diff("{\"inputs\":[{\"path\":\"a\"}],\"seed\":1,\"compression\":\"zstd:3\"}",
                               l.command, msg, sizeof msg) == 1);
  CHECK(!strcmp(msg, "--seed 1 vs 42"));
  CHECK(pq_repack_command_diff("{\"inputs\":[{\"path\":\"b\"}],\"seed\":42,\"compression\":\"zstd:3\"}",
                               l.command, msg, sizeof msg) == 1);
  CHECK(strstr(msg, "inputs differ") != NULL);
  pq_repack_manifest_free(&l);
  pq_repack_manifest_free(&m);
}

/* ---- parq_repack end to end ---- */

typedef struct seen {
  int shards, done;
  int64_t rows;
  int cancel_after; /* cancel once this many WRITE events were seen (0 = never) */
  int writes;
} seen;

static void on_progress(void *user, const parq_repack_progress *p) {
  seen *s = user;
  if (p->phase == PARQ_REPACK_SHARD) s->shards++, s->rows += p->shard_rows;
  if (p->phase == PARQ_REPACK_DONE) s->done++;
  if (p->phase == PARQ_REPACK_WRITE) s->writes++;
}

static int on_cancel(void *user) {
  seen *s = user;
  return s->cancel_after && s->writes >= s->cancel_after;
}

static void make_corpus(const char *path, int rows) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  for (int i = 0; i < rows; i++) {
    fprintf(f, "{\"text\":\"");
    for (int k = 0; k < 20 + i % 50; k++) fputs(k % 7 ? "ab " : "\xc3\xa9t\xc3\xa9 ", f);
    fprintf(f, "%d\",\"n\":%d,\"tags\":[\"t%d\"]}\n", i, i, i % 5);
  }
  fclose(f);
}

static int count_shards(const char *dir, int *temps) {
  DIR *d = opendir(dir);
  int n = 0;
  *temps = 0;
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (!strncmp(e->d_name, "shard_", 6)) {
      if (strstr(e->d_name, ".tmp")) (*temps)++;
      else n++;
    }
  closedir(d);
  return n;
}

TEST(repack_end_to_end) {
  char in[300], d1[300], d2[300], d3[300];
  snprintf(in, sizeof in, "%s/corpus.jsonl", g_dir);
  snprintf(d1, sizeof d1, "%s/out1", g_dir);
  snprintf(d2, sizeof d2, "%s/out2", g_dir);
  snprintf(d3, sizeof d3, "%s/out3", g_dir);
  make_corpus(in, 5000);
  const char *inputs[] = {in};
  parq_repack_options o;
  parq_repack_options_init(&o);
  CHECK(o.row_group_rows == 1024 && o.level == 3 && o.codec == PARQ_CODEC_ZSTD && !o.dictionary &&
        !o.statistics && o.shuffle && o.seed == 42);
  o.inputs = inputs;
  o.n_inputs = 1;
  o.output_dir = d1;
  o.row_group_rows = 256;
  o.shard_chars = 40000;
  seen sv = {0};
  o.progress = on_progress;
  o.progress_user = &sv;
  parq_error err = {0};
  parq_status st = parq_repack(&o, &err);
  CHECK(st == PARQ_OK);
  if (st) fprintf(stderr, "%s\n", err.message);
  CHECK(sv.done == 1 && sv.rows == 5000 && sv.shards > 2);
  pq_repack_manifest m1, m2;
  CHECK_OK(pq_repack_manifest_load(d1, &m1, &err));
  if (!m1.complete) fprintf(stderr, "%s\n", err.message);
  CHECK(m1.complete && (int)m1.n_shards == sv.shards);
  for (size_t i = 0; i + 1 < m1.n_shards; i++) {
    CHECK(m1.shards[i].rows % 256 == 0);
    CHECK(m1.shards[i].text_chars >= 40000);
    CHECK(m1.shards[i].row_groups == m1.shards[i].rows / 256);
  }
  /* A tiny memory limit (many buckets) gives the same bytes. */
  o.output_dir = d2;
  o.memory_limit = 1 << 20;
  o.threads = 3;
  CHECK(parq_repack(&o, &err) == PARQ_OK);
  CHECK_OK(pq_repack_manifest_load(d2, &m2, &err));
  CHECK(m2.n_shards == m1.n_shards);
  for (size_t i = 0; i < m1.n_shards && i < m2.n_shards; i++)
    CHECK(m1.shards[i].xxh3 == m2.shards[i].xxh3 && m1.shards[i].bytes == m2.shards[i].bytes);
  pq_repack_manifest_free(&m2);
  /* Cancelled midway: an error, complete shards only, then a resume matches. */
  o.output_dir = d3;
  seen sc = {0};
  sc.cancel_after = 7;
  o.progress_user = &sc;
  o.cancel = on_cancel;
  o.cancel_user = &sc;
  CHECK(parq_repack(&o, &err) == PARQ_EIO);
  CHECK(strstr(err.message, "interrupted") != NULL);
  int temps = 0, n = count_shards(d3, &temps);
  CHECK(temps == 0 && n >= 1 && n < (int)m1.n_shards);
  o.cancel = NULL;
  CHECK(parq_repack(&o, &err) == PARQ_OK);
  CHECK_OK(pq_repack_manifest_load(d3, &m2, &err));
  CHECK(m2.n_shards == m1.n_shards && m2.complete);
  for (size_t i = 0; i < m1.n_shards && i < m2.n_shards; i++) CHECK(m1.shards[i].xxh3 == m2.shards[i].xxh3);
  pq_repack_manifest_free(&m2);
  /* A different seed against the directory is refused. */
  o.seed = 1;
  CHECK(parq_repack(&o, &err) == PARQ_ECONFLICT);
  CHECK(strstr(err.message, "--seed 1 vs 42") != NULL);
  /* Option errors. */
  o.seed = 42;
  o.shard_rows = 10;
  CHECK(parq_repack(&o, &err) == PARQ_EINVAL);
  pq_repack_manifest_free(&m1);
}

TEST(repack_rejects_bad_inputs_without_output) {
  char a[300], b[300], d[300];
  snprintf(a, sizeof a, "%s/a.jsonl", g_dir);
  snprintf(b, sizeof b, "%s/b.jsonl", g_dir);
  snprintf(d, sizeof d, "%s/bad", g_dir);
  write_text(a, "{\"text\":\"x\",\"n\":1}\n");
  write_text(b, "{\"text\":\"y\",\"m\":2}\n");
  const char *inputs[] = {a, b};
  parq_repack_options o;
  parq_repack_options_init(&o);
  o.inputs = inputs;
  o.n_inputs = 2;
  o.output_dir = d;
  parq_error err = {0};
  CHECK(parq_repack(&o, &err) == PARQ_ESCHEMA);
  CHECK(strstr(err.message, "b.jsonl") && strstr(err.message, "'n'"));
  int temps = 0;
  CHECK(count_shards(d, &temps) == 0 && temps == 0);
  o.n_inputs = 1;
  o.text_column = "body";
  CHECK(parq_repack(&o, &err) == PARQ_ESCHEMA);
  CHECK(strstr(err.message, "'body' not found") != NULL);
}

/* --jobs > 1 runs pass 1 through a reader thread and pass 2 with a bucket
 * prefetch: same bytes as one thread, across several inputs, a cancel in
 * pass 1 (batches still queued) and an error deep in an input. */
static int on_cancel_spill(void *user) {
  int *n = user;
  return ++*n > 3;
}

TEST(repack_threads_match_serial_and_stop_cleanly) {
  char a[300], b[300], d1[300], d2[300], d3[300], late[300], d4[300];
  snprintf(a, sizeof a, "%s/ta.jsonl", g_dir);
  snprintf(b, sizeof b, "%s/tb.jsonl", g_dir);
  snprintf(d1, sizeof d1, "%s/t1", g_dir);
  snprintf(d2, sizeof d2, "%s/t2", g_dir);
  snprintf(d3, sizeof d3, "%s/t3", g_dir);
  snprintf(late, sizeof late, "%s/late.jsonl", g_dir);
  snprintf(d4, sizeof d4, "%s/t4", g_dir);
  make_corpus(a, 3000);
  make_corpus(b, 2000);
  const char *inputs[] = {a, b};
  parq_repack_options o;
  parq_repack_options_init(&o);
  o.inputs = inputs;
  o.n_inputs = 2;
  o.output_dir = d1;
  o.row_group_rows = 128;
  o.shard_chars = 30000;
  o.memory_limit = 1 << 20; /* 64-row batches, several buckets */
  o.fsync = 0;
  parq_error err = {0};
  CHECK_OK(parq_repack(&o, &err));
  o.threads = 2;
  o.output_dir = d2;
  CHECK_OK(parq_repack(&o, &err));
  pq_repack_manifest m1, m2;
  CHECK_OK(pq_repack_manifest_load(d1, &m1, &err));
  CHECK_OK(pq_repack_manifest_load(d2, &m2, &err));
  CHECK(m1.n_shards > 2 && m2.n_shards == m1.n_shards);
  for (size_t i = 0; i < m1.n_shards && i < m2.n_shards; i++)
    CHECK(m1.shards[i].xxh3 == m2.shards[i].xxh3);
  pq_repack_manifest_free(&m2);
  /* Cancelled while spilling: no shard, the error names an input; a rerun matches. */
  int polls = 0;
  o.output_dir = d3;
  o.cancel = on_cancel_spill;
  o.cancel_user = &polls;
  CHECK(parq_repack(&o, &err) == PARQ_EIO);
  CHECK(strstr(err.message, "interrupted") && strstr(err.message, "ta.jsonl"));
  int temps = 0;
  CHECK(count_shards(d3, &temps) == 0 && temps == 0);
  o.cancel = NULL;
  CHECK_OK(parq_repack(&o, &err));
  CHECK_OK(pq_repack_manifest_load(d3, &m2, &err));
  CHECK(m2.complete && m2.n_shards == m1.n_shards);
  for (size_t i = 0; i < m1.n_shards && i < m2.n_shards; i++)
    CHECK(m1.shards[i].xxh3 == m2.shards[i].xxh3);
  pq_repack_manifest_free(&m2);
  pq_repack_manifest_free(&m1);
  /* A bad value past the inference window fails in pass 1, naming the file. */
  FILE *f = fopen(late, "w");
  CHECK(f != NULL);
  if (f) {
    for (int i = 0; i < 12000; i++) fprintf(f, "{\"text\":\"t%d\",\"n\":%d}\n", i, i);
    fputs("{\"text\":\"bad\",\"n\":\"notanumber\"}\n", f);
    fclose(f);
  }
  const char *li[] = {a, late};
  o.inputs = li;
  o.output_dir = d4;
  o.shard_chars = 0;
  o.shard_rows = 1024;
  parq_status st = parq_repack(&o, &err);
  CHECK(st != PARQ_OK && strstr(err.message, "late.jsonl"));
  CHECK(count_shards(d4, &temps) == 0 && temps == 0);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/parq_test_repack_XXXXXX");
  if (!mkdtemp(g_dir)) return 1;
  RUN(row_codec_round_trips_nested_types_in_any_order);
  RUN(shuffle_keys_are_distinct_and_buckets_are_key_ranges);
  RUN(spill_buckets_round_trip_and_reject_damage);
  RUN(manifest_round_trip_and_command_diff);
  RUN(repack_end_to_end);
  RUN(repack_rejects_bad_inputs_without_output);
  RUN(repack_threads_match_serial_and_stop_cleanly);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  TEST_SUMMARY();
}
