/* test_writer_threads.c — background page compression (parq_write_options.threads).
 *
 * The same random data (flat and nested columns) is written with 1, 2, 3 and 8
 * threads under many option sets (codecs, dictionary, page v1/v2, small and
 * large row groups, byte-limited row groups) and the files must be identical
 * byte for byte, and readable. Also: abort mid-stream leaves no temporary
 * file; I/O errors (file size limit, vanished directory) surface from the
 * writer with the path named and leave nothing behind. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parq.h"
#include "test.h"
#include "util/arrow.h"

static char dir[256];

/* ---------- data ---------- */

static uint64_t rnd_state;
static uint64_t rnd(void) {
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return rnd_state;
}

static uint8_t *validity(int64_t n, int pct_null, int64_t *nulls) {
  uint8_t *b = calloc((size_t)(n + 7) / 8 + 1, 1);
  *nulls = 0;
  for (int64_t i = 0; i < n; i++) {
    if ((int)(rnd() % 100) >= pct_null) b[i >> 3] |= (uint8_t)(1u << (i & 7));
    else (*nulls)++;
  }
  return b;
}

/* Strings from a vocabulary of `vocab` words (small vocab: dictionary-friendly). */
static void make_str(struct ArrowArray *a, int64_t n, int pct_null, int vocab) {
  int64_t nulls;
  uint8_t *v = validity(n, pct_null, &nulls);
  int32_t *off = malloc(sizeof(int32_t) * (size_t)(n + 1));
  char *data = malloc((size_t)n * 40 + 1);
  off[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    int len = 0;
    if (v[i >> 3] & (1u << (i & 7)))
      len = snprintf(data + off[i], 40, "w%llu-%s", (unsigned long long)(rnd() % (uint64_t)vocab),
                     (rnd() & 1) ? "alpha" : "beta-gamma-delta");
    off[i + 1] = off[i] + len;
  }
  void *bufs[3] = {v, off, data};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 3, bufs, 0, NULL));
}

static void make_i64(struct ArrowArray *a, int64_t n, int64_t base) {
  int64_t *x = malloc(sizeof(int64_t) * (size_t)n);
  for (int64_t i = 0; i < n; i++) x[i] = base + i * 3 + (int64_t)(rnd() % 3);
  void *bufs[2] = {NULL, x};
  CHECK_OK(pq_arrow_array_make(a, n, 0, 2, bufs, 0, NULL));
}

static void make_f64(struct ArrowArray *a, int64_t n) {
  int64_t nulls;
  uint8_t *v = validity(n, 10, &nulls);
  double *x = malloc(sizeof(double) * (size_t)n);
  for (int64_t i = 0; i < n; i++) x[i] = (double)(rnd() % 1000000) / 7.0;
  void *bufs[2] = {v, x};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 2, bufs, 0, NULL));
}

static void make_i32(struct ArrowArray *a, int64_t n, int mod) {
  int32_t *x = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  for (int64_t i = 0; i < n; i++) x[i] = (int32_t)(rnd() % (uint64_t)mod);
  void *bufs[2] = {NULL, x};
  CHECK_OK(pq_arrow_array_make(a, n, 0, 2, bufs, 0, NULL));
}

/* list<int32> with 0..5 items per row, 10% null lists. */
static void make_list(struct ArrowArray *a, int64_t n) {
  int64_t nulls;
  uint8_t *v = validity(n, 10, &nulls);
  int32_t *off = malloc(sizeof(int32_t) * (size_t)(n + 1));
  off[0] = 0;
  for (int64_t i = 0; i < n; i++)
    off[i + 1] = off[i] + ((v[i >> 3] & (1u << (i & 7))) ? (int32_t)(rnd() % 6) : 0);
  struct ArrowArray child;
  make_i32(&child, off[n], 50);
  void *bufs[2] = {v, off};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 2, bufs, 1, &child));
}

/* struct { name: utf8, v: int32 } with 5% null structs. */
static void make_struct(struct ArrowArray *a, int64_t n) {
  int64_t nulls;
  uint8_t *v = validity(n, 5, &nulls);
  struct ArrowArray ch[2];
  make_str(&ch[0], n, 20, 5000);
  make_i32(&ch[1], n, 1 << 30);
  void *bufs[1] = {v};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 1, bufs, 2, ch));
}

static void make_schema(struct ArrowSchema *s) {
  CHECK_OK(pq_arrow_schema_init(s, "+s", "", 0, 6));
  CHECK_OK(pq_arrow_schema_init(s->children[0], "l", "id", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[1], "g", "x", ARROW_FLAG_NULLABLE, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[2], "u", "word", ARROW_FLAG_NULLABLE, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[3], "u", "text", ARROW_FLAG_NULLABLE, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[4], "+l", "lst", ARROW_FLAG_NULLABLE, 1));
  CHECK_OK(pq_arrow_schema_init(s->children[4]->children[0], "i", "item", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[5], "+s", "st", ARROW_FLAG_NULLABLE, 2));
  CHECK_OK(pq_arrow_schema_init(s->children[5]->children[0], "u", "name", ARROW_FLAG_NULLABLE, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[5]->children[1], "i", "v", 0, 0));
}

static void make_batch(struct ArrowArray *b, int64_t n, int64_t base) {
  struct ArrowArray ch[6];
  make_i64(&ch[0], n, base);
  make_f64(&ch[1], n);
  make_str(&ch[2], n, 15, 200);
  make_str(&ch[3], n, 5, 1 << 30);
  make_list(&ch[4], n);
  make_struct(&ch[5], n);
  void *bufs[1] = {NULL};
  CHECK_OK(pq_arrow_array_make(b, n, 0, 1, bufs, 6, ch));
}

/* ---------- helpers ---------- */

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
  if (n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return p;
}

/* Files in dir whose name starts with prefix. */
static int count_prefixed(const char *d, const char *prefix) {
  DIR *dp = opendir(d);
  if (!dp) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dp)))
    if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
  closedir(dp);
  return n;
}

/* Write `batches` (rows each, seeded) with opt and `threads`; returns the status. */
static parq_status write_file(const char *path, const parq_write_options *base, int threads,
                              int batches, int64_t rows, uint64_t seed, parq_error *e) {
  struct ArrowSchema s;
  make_schema(&s);
  parq_write_options o = *base;
  o.threads = threads;
  parq_writer *w = NULL;
  parq_status st = parq_writer_open(path, &s, &o, &w, e);
  s.release(&s);
  if (st != PARQ_OK) return st;
  rnd_state = seed;
  for (int k = 0; k < batches && st == PARQ_OK; k++) {
    struct ArrowArray b;
    make_batch(&b, rows + k * 37, (int64_t)k * 1000000);
    st = parq_writer_write(w, &b, e);
    b.release(&b);
    if (st == PARQ_OK && k == batches / 2) st = parq_writer_flush_row_group(w, e);
  }
  if (st != PARQ_OK) {
    parq_writer_abort(w);
    return st;
  }
  return parq_writer_close(w, e);
}

static int64_t file_rows(const char *path) {
  parq_reader *r = NULL;
  parq_error e = {0};
  if (parq_reader_open(path, NULL, &r, &e) != PARQ_OK) {
    fprintf(stderr, "open %s: %s\n", path, e.message);
    return -1;
  }
  int64_t n = 0;
  struct ArrowArray b;
  parq_status st;
  while ((st = parq_reader_next(r, &b, &e)) == PARQ_OK) {
    n += b.length;
    b.release(&b);
  }
  if (st != PARQ_DONE) {
    fprintf(stderr, "read %s: %s\n", path, e.message);
    n = -1;
  }
  parq_reader_close(r);
  return n;
}

/* ---------- tests ---------- */

typedef struct cfg {
  const char *name;
  parq_codec codec;
  int dict, version;
  int64_t rg_rows, rg_bytes, page_bytes;
} cfg;

TEST(identical_across_thread_counts) {
  static const cfg cfgs[] = {
      {"zstd-dict-v1-small", PARQ_CODEC_ZSTD, 1, 1, 700, 0, 4096},
      {"zstd-plain-v2-large", PARQ_CODEC_ZSTD, 0, 2, 1 << 20, 0, 16384},
      {"snappy-dict-v2-small", PARQ_CODEC_SNAPPY, 1, 2, 1500, 0, 8192},
      {"gzip-plain-v1-large", PARQ_CODEC_GZIP, 0, 1, 1 << 20, 0, 1 << 20},
      {"lz4-dict-v1-bytes", PARQ_CODEC_LZ4, 1, 1, 1 << 20, 120000, 8192},
      {"brotli-plain-v2-small", PARQ_CODEC_BROTLI, 0, 2, 2000, 0, 32768},
      {"none-dict-v1-bytes", PARQ_CODEC_UNCOMPRESSED, 1, 1, 1 << 20, 90000, 4096},
  };
  static const int threads[] = {2, 3, 8};
  const int batches = 5;
  const int64_t rows = 3001;
  int64_t want_rows = 0;
  for (int k = 0; k < batches; k++) want_rows += rows + k * 37;
  for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
    const cfg *g = &cfgs[c];
    parq_write_options o;
    parq_write_options_init(&o);
    o.codec = g->codec;
    o.dictionary = g->dict;
    o.page_version = g->version;
    o.row_group_rows = g->rg_rows;
    if (g->rg_bytes) o.row_group_bytes = g->rg_bytes;
    o.page_bytes = g->page_bytes;
    o.dictionary_page_bytes = 16384; /* some columns fall back mid-chunk */
    o.fsync = 0;
    char ref[512], got[512];
    snprintf(ref, sizeof ref, "%s/%s-t1.parquet", dir, g->name);
    parq_error e = {0};
    parq_status st = write_file(ref, &o, 1, batches, rows, 42 + c, &e);
    if (st != PARQ_OK) fprintf(stderr, "%s t1: %s\n", g->name, e.message);
    CHECK(st == PARQ_OK);
    size_t rn = 0;
    uint8_t *rb = slurp(ref, &rn);
    CHECK(rb != NULL);
    CHECK(file_rows(ref) == want_rows);
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
      snprintf(got, sizeof got, "%s/%s-t%d.parquet", dir, g->name, threads[t]);
      st = write_file(got, &o, threads[t], batches, rows, 42 + c, &e);
      if (st != PARQ_OK) fprintf(stderr, "%s t%d: %s\n", g->name, threads[t], e.message);
      CHECK(st == PARQ_OK);
      size_t gn = 0;
      uint8_t *gb = slurp(got, &gn);
      bool same = rb && gb && gn == rn && !memcmp(rb, gb, rn);
      if (!same)
        fprintf(stderr, "%s: threads %d differs (%zu vs %zu bytes)\n", g->name, threads[t], gn,
                rn);
      CHECK(same);
      free(gb);
      unlink(got);
    }
    free(rb);
    unlink(ref);
  }
}

TEST(abort_mid_stream_leaves_nothing) {
  for (int threads = 1; threads <= 4; threads += 3) {
    char path[512];
    snprintf(path, sizeof path, "%s/aborted.parquet", dir);
    struct ArrowSchema s;
    make_schema(&s);
    parq_write_options o;
    parq_write_options_init(&o);
    o.threads = threads;
    o.row_group_rows = 500; /* several row groups queued when we abort */
    o.page_bytes = 4096;
    parq_writer *w = NULL;
    parq_error e = {0};
    CHECK(parq_writer_open(path, &s, &o, &w, &e) == PARQ_OK);
    s.release(&s);
    if (!w) continue;
    rnd_state = 7;
    for (int k = 0; k < 4; k++) {
      struct ArrowArray b;
      make_batch(&b, 2500, k * 10000);
      CHECK(parq_writer_write(w, &b, &e) == PARQ_OK);
      b.release(&b);
    }
    CHECK(count_prefixed(dir, "aborted.parquet.tmp.") == 1);
    parq_writer_abort(w);
    CHECK(count_prefixed(dir, "aborted.parquet") == 0);
  }
}

TEST(write_error_names_path) {
  /* A file size limit makes write() fail with EFBIG, like a full disk. */
  struct rlimit old;
  CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  for (int threads = 1; threads <= 3; threads += 2) {
    char path[512];
    snprintf(path, sizeof path, "%s/limited.parquet", dir);
    parq_write_options o;
    parq_write_options_init(&o);
    o.row_group_rows = 400;
    o.codec = PARQ_CODEC_UNCOMPRESSED;
    o.fsync = 0;
    struct rlimit lim = old;
    lim.rlim_cur = 256 << 10;
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    parq_error e = {0};
    parq_status st = write_file(path, &o, threads, 6, 3000, 9, &e);
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    CHECK(st == PARQ_EIO);
    CHECK(strstr(e.message, path) != NULL);
    if (st != PARQ_EIO || !strstr(e.message, path))
      fprintf(stderr, "threads %d: status %d: %s\n", threads, st, e.message);
    CHECK(count_prefixed(dir, "limited.parquet") == 0);
  }
  signal(SIGXFSZ, prev);
}

TEST(vanished_directory_fails_on_close) {
  char sub[512], path[600];
  snprintf(sub, sizeof sub, "%s/gone", dir);
  CHECK(mkdir(sub, 0755) == 0);
  snprintf(path, sizeof path, "%s/out.parquet", sub);
  struct ArrowSchema s;
  make_schema(&s);
  parq_write_options o;
  parq_write_options_init(&o);
  o.threads = 2;
  o.row_group_rows = 1000;
  o.fsync = 0;
  parq_writer *w = NULL;
  parq_error e = {0};
  CHECK(parq_writer_open(path, &s, &o, &w, &e) == PARQ_OK);
  s.release(&s);
  if (!w) return;
  rnd_state = 3;
  struct ArrowArray b;
  make_batch(&b, 3000, 0);
  CHECK(parq_writer_write(w, &b, &e) == PARQ_OK);
  b.release(&b);
  /* Remove the directory under the writer: the temporary goes with it. */
  DIR *dp = opendir(sub);
  struct dirent *de;
  char f[1200];
  while (dp && (de = readdir(dp))) {
    if (de->d_name[0] == '.') continue;
    snprintf(f, sizeof f, "%s/%s", sub, de->d_name);
    unlink(f);
  }
  if (dp) closedir(dp);
  CHECK(rmdir(sub) == 0);
  parq_status st = parq_writer_close(w, &e);
  CHECK(st == PARQ_EIO);
  CHECK(strstr(e.message, path) != NULL);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/parq_thr_%ld", (long)getpid());
  mkdir(dir, 0755);
  RUN(identical_across_thread_counts);
  RUN(abort_mid_stream_leaves_nothing);
  RUN(write_error_names_path);
  RUN(vanished_directory_fails_on_close);
  rmdir(dir);
  TEST_SUMMARY();
}
