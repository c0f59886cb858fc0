/* test_corpus.c — the Apache parquet-testing corpus: every non-encrypted file
 * reads; values match the *_expect.csv files and the BYTE_STREAM_SPLIT
 * columns match their PLAIN twins; every bad file is rejected with an error.
 * The corpus is found through PARQUET_TEST_DATA (default
 * ../shared/parquet-testing beside the checkout); without it the tests say
 * they are skipped. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "parq.h"
#include "test.h"

static const char *corpus;

static char *path_of(const char *rel) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s", corpus, rel);
  return buf;
}

/* Read a whole file as one concatenated batch list; returns status and row count. */
static int read_all(const char *path, int verify, long long *rows, parq_error *e) {
  parq_reader *r;
  parq_read_options o;
  parq_read_options_init(&o);
  o.verify_checksums = verify;
  o.batch_rows = 777; /* an odd batch size exercises records spanning batches */
  int st = parq_reader_open(path, &o, &r, e);
  if (st) return st;
  struct ArrowArray a;
  *rows = 0;
  while ((st = parq_reader_next(r, &a, e)) == PARQ_OK) {
    *rows += a.length;
    a.release(&a);
  }
  parq_reader_close(r);
  return st == PARQ_DONE ? PARQ_OK : st;
}

static int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

/* Every value of a file as JSON, read with or without string views, in
 * batches of batch_rows. Arrays are released only after the reader is
 * closed, so views must keep their pages alive on their own. */
static int json_of(const char *path, int views, int64_t batch_rows, parq_buf *out) {
  parq_reader *r;
  parq_read_options o;
  parq_read_options_init(&o);
  o.string_views = views;
  o.batch_rows = batch_rows;
  parq_error e = {0};
  if (parq_reader_open(path, &o, &r, &e)) return -1;
  struct ArrowSchema sch;
  if (parq_reader_schema(r, &sch, &e)) {
    parq_reader_close(r);
    return -1;
  }
  struct ArrowArray *held = NULL, a;
  int nh = 0, st;
  while ((st = parq_reader_next(r, &a, &e)) == PARQ_OK) {
    struct ArrowArray *nhp = realloc(held, (size_t)(nh + 1) * sizeof *held);
    if (!nhp) {
      a.release(&a);
      st = PARQ_ENOMEM;
      break;
    }
    held = nhp;
    held[nh++] = a;
  }
  parq_reader_close(r);
  for (int k = 0; k < nh; k++) {
    for (int64_t i = 0; i < held[k].length; i++)
      for (int c = 0; c < held[k].n_children; c++) {
        pq_json_write_value(sch.children[c], held[k].children[c], i, out, &e);
        parq_buf_append_byte(out, c + 1 < held[k].n_children ? ',' : '\n');
      }
    held[k].release(&held[k]);
  }
  free(held);
  sch.release(&sch);
  return st == PARQ_OK || st == PARQ_DONE ? 0 : -1;
}

TEST(every_valid_file_reads) {
  const char *dirs[] = {"data", "data/geospatial", "shredded_variant"};
  int files = 0;
  for (int d = 0; d < 3; d++) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", corpus, dirs[d]);
    DIR *dh = opendir(dir);
    if (!dh) continue;
    struct dirent *de;
    while ((de = readdir(dh))) {
      if (!ends_with(de->d_name, ".parquet")) continue;
      /* Needs > 2 GiB: covered by the stress target, not here. */
      if (!strcmp(de->d_name, "large_string_map.brotli.parquet")) continue;
      /* Invalid on purpose: must fail cleanly (tested below). */
      if (strstr(de->d_name, "corrupt-checksum") || strstr(de->d_name, "dict-malformed")) continue;
      /* Variant-level invalid cases (case-084-INVALID etc.) are still valid Parquet: they read. */
      char p[8192];
      snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
      parq_error e = {0};
      long long rows = 0;
      int st = read_all(p, 1, &rows, &e);
      if (st) fprintf(stderr, "%s: %s\n", p, e.message);
      CHECK(st == PARQ_OK);
      parq_reader *r;
      if (!parq_reader_open(p, NULL, &r, &e)) {
        if (strcmp(de->d_name, "repeated_no_annotation.parquet")) {
          if (rows != parq_reader_num_rows(r)) fprintf(stderr, "%s: %lld rows, footer %lld\n", p, rows, (long long)parq_reader_num_rows(r));
          CHECK(rows == parq_reader_num_rows(r));
        }
        parq_reader_close(r);
      }
      files++;
    }
    closedir(dh);
  }
  printf("read %d corpus files\n", files);
  CHECK(files > 70);
}

/* Reading strings as views gives the same values as the copying layout. */
TEST(string_views_match_copies) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/data", corpus);
  DIR *dh = opendir(dir);
  CHECK(dh != NULL);
  if (!dh) return;
  struct dirent *de;
  int files = 0;
  while ((de = readdir(dh))) {
    if (!ends_with(de->d_name, ".parquet") || !strcmp(de->d_name, "large_string_map.brotli.parquet") ||
        strstr(de->d_name, "corrupt-checksum") || strstr(de->d_name, "dict-malformed"))
      continue;
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    parq_buf a = PARQ_BUF_INIT, b = PARQ_BUF_INIT, c = PARQ_BUF_INIT;
    int ra = json_of(p, 0, 777, &a), rb = json_of(p, 1, 777, &b), rc = json_of(p, 1, 13, &c);
    int same = ra == rb && ra == rc && a.len == b.len && a.len == c.len &&
               (a.len == 0 || (!memcmp(a.data, b.data, a.len) && !memcmp(a.data, c.data, a.len)));
    if (!same) fprintf(stderr, "%s: views differ from copies (%d %d %d)\n", p, ra, rb, rc);
    CHECK(same);
    files++;
    parq_buf_free(&a);
    parq_buf_free(&b);
    parq_buf_free(&c);
  }
  closedir(dh);
  printf("compared views and copies in %d corpus files\n", files);
  CHECK(files > 50);
}

TEST(bad_files_are_rejected) {
  const char *bad[] = {"bad_data/ARROW-GH-41317.parquet", "bad_data/ARROW-GH-41321.parquet",
                       "bad_data/ARROW-GH-45185.parquet", "bad_data/ARROW-GH-47662.parquet",
                       "bad_data/ARROW-RS-GH-6229-DICTHEADER.parquet", "bad_data/ARROW-RS-GH-6229-LEVELS.parquet",
                       "bad_data/PARQUET-1481.parquet", "data/datapage_v1-corrupt-checksum.parquet",
                       "data/rle-dict-uncompressed-corrupt-checksum.parquet"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    parq_error e = {0};
    long long rows;
    int st = read_all(path_of(bad[i]), 1, &rows, &e);
    CHECK(st < 0);
    CHECK(e.message[0] != 0);
  }
  /* Corrupt checksums read fine when verification is off. */
  parq_error e = {0};
  long long rows;
  CHECK(read_all(path_of("data/datapage_v1-corrupt-checksum.parquet"), 0, &rows, &e) == PARQ_OK);
  /* The malformed dictionary file: a clean error or a lenient read, never a crash. */
  (void)read_all(path_of("data/nation.dict-malformed.parquet"), 0, &rows, &e);
}

TEST(arrow_gh_43605_is_valid) {
  parq_error e = {0};
  long long rows = 0;
  CHECK(read_all(path_of("bad_data/ARROW-GH-43605.parquet"), 1, &rows, &e) == PARQ_OK);
  CHECK(rows == 21186);
}

TEST(encrypted_files_say_so) {
  const char *enc[] = {"data/uniform_encryption.parquet.encrypted", "data/encrypt_columns_and_footer.parquet.encrypted",
                       "data/encrypt_columns_plaintext_footer.parquet.encrypted"};
  for (size_t i = 0; i < 3; i++) {
    parq_reader *r = NULL;
    parq_error e = {0};
    int st = parq_reader_open(path_of(enc[i]), NULL, &r, &e);
    if (!st) {
      struct ArrowArray a;
      st = parq_reader_next(r, &a, &e);
      if (st == PARQ_OK) a.release(&a);
      parq_reader_close(r);
    }
    CHECK(st == PARQ_EUNSUPPORTED);
    CHECK(strstr(e.message, "encrypted Parquet is not supported") != NULL);
  }
}

/* ---- value checks against *_expect.csv ---- */
/* Split one CSV line into fields (quotes removed); quoted[] marks quoted fields. */
static int csv_split(char *line, char **f, int *quoted, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    quoted[n] = 0;
    if (*p == '"') {
      quoted[n] = 1;
      p++;
      f[n] = p;
      char *w = p;
      while (*p && !(*p == '"' && p[1] != '"')) {
        if (*p == '"') p++;
        *w++ = *p++;
      }
      if (*p == '"') p++;
      *w = 0;
      n++;
      if (*p == ',') {
        *p++ = 0;
        continue;
      }
      break;
    }
    f[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = 0;
    p = c + 1;
  }
  return n;
}

static void check_expect(const char *file, const char *csv) {
  FILE *fh = fopen(path_of(csv), "r");
  CHECK(fh != NULL);
  if (!fh) return;
  parq_reader *r;
  parq_error e = {0};
  CHECK_OK(parq_reader_open(path_of(file), NULL, &r, &e));
  struct ArrowSchema sch;
  parq_reader_schema(r, &sch, &e);
  static char line[1 << 16];
  char *f[512];
  int q[512];
  if (!fgets(line, sizeof line, fh)) line[0] = 0; /* header */
  struct ArrowArray a;
  long long row = 0, mismatches = 0, checked = 0;
  parq_buf out = PARQ_BUF_INIT;
  while (parq_reader_next(r, &a, &e) == PARQ_OK) {
    for (int64_t i = 0; i < a.length; i++, row++) {
      if (!fgets(line, sizeof line, fh)) break;
      line[strcspn(line, "\r\n")] = 0;
      int nf = csv_split(line, f, q, 512);
      CHECK(nf == a.n_children);
      for (int c = 0; c < nf && c < a.n_children; c++) {
        out.len = 0;
        pq_json_write_value(sch.children[c], a.children[c], i, &out, &e);
        parq_buf_append_byte(&out, 0);
        const char *got = (const char *)out.data;
        char tmp[4096];
        if (got[0] == '"') {
          snprintf(tmp, sizeof tmp, "%.*s", (int)strlen(got) - 2, got + 1);
          got = tmp;
        }
        int ok = (!strcmp(got, "null") && f[c][0] == 0 && !q[c]) || !strcmp(got, f[c]);
        if (!ok && mismatches++ < 5) fprintf(stderr, "%s row %lld col %d: got %s expected %s\n", file, row, c, got, f[c]);
        checked++;
      }
    }
    a.release(&a);
  }
  parq_buf_free(&out);
  CHECK(mismatches == 0);
  CHECK(checked > 0);
  sch.release(&sch);
  parq_reader_close(r);
  fclose(fh);
}

TEST(delta_files_match_expected_values) {
  check_expect("data/delta_binary_packed.parquet", "data/delta_binary_packed_expect.csv");
  check_expect("data/delta_byte_array.parquet", "data/delta_byte_array_expect.csv");
  check_expect("data/delta_encoding_optional_column.parquet", "data/delta_encoding_optional_column_expect.csv");
  check_expect("data/delta_encoding_required_column.parquet", "data/delta_encoding_required_column_expect.csv");
}

TEST(byte_stream_split_matches_plain_twins) {
  parq_reader *r;
  parq_error e = {0};
  CHECK_OK(parq_reader_open(path_of("data/byte_stream_split_extended.gzip.parquet"), NULL, &r, &e));
  struct ArrowSchema sch;
  parq_reader_schema(r, &sch, &e);
  struct ArrowArray a;
  parq_buf x = PARQ_BUF_INIT, y = PARQ_BUF_INIT;
  long long compared = 0;
  while (parq_reader_next(r, &a, &e) == PARQ_OK) {
    for (int c = 0; c + 1 < a.n_children; c += 2) {
      CHECK(strstr(sch.children[c]->name, "_plain") && strstr(sch.children[c + 1]->name, "_byte_stream_split"));
      for (int64_t i = 0; i < a.length; i++) {
        x.len = y.len = 0;
        pq_json_write_value(sch.children[c], a.children[c], i, &x, &e);
        pq_json_write_value(sch.children[c + 1], a.children[c + 1], i, &y, &e);
        CHECK(x.len == y.len && !memcmp(x.data, y.data, x.len));
        compared++;
      }
    }
    a.release(&a);
  }
  CHECK(compared == 7 * 200);
  parq_buf_free(&x);
  parq_buf_free(&y);
  sch.release(&sch);
  parq_reader_close(r);
}

int main(void) {
  corpus = test_corpus_dir();
  if (!corpus) {
    printf("skipped: parquet-testing corpus not found (set PARQUET_TEST_DATA)\n");
    printf("0 passed, 0 failed, 6 skipped\n");
    return 0;
  }
  RUN(every_valid_file_reads);
  RUN(string_views_match_copies);
  RUN(bad_files_are_rejected);
  RUN(arrow_gh_43605_is_valid);
  RUN(encrypted_files_say_so);
  RUN(delta_files_match_expected_values);
  RUN(byte_stream_split_matches_plain_twins);
  TEST_SUMMARY();
}
