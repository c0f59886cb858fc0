/* test_cdc.c — content-defined chunking writes and the dedup estimator:
 * boundaries independent of batching, edits touching only nearby pages,
 * option validation, hand-computed estimator cases and the PNG header. */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "column/cdc.h"
#include "parq.h"
#include "test.h"

/* ---- a 3-column table: id int64, txt string (nullable), li list<int32> ---- */
static void noop_schema(struct ArrowSchema *s) { s->release = NULL; }
static void noop_array(struct ArrowArray *a) { a->release = NULL; }

typedef struct tbl {
  struct ArrowSchema s, sc[3], lchild, *sp[3], *lcp[1];
  struct ArrowArray a, ac[3], lc, *ap[3], *lap[1];
  const void *bufs_a[1], *bufs_id[2], *bufs_txt[3], *bufs_li[2], *bufs_lc[2];
  int64_t *ids;
  int32_t *toff, *loff, *lval;
  char *tdat;
  uint8_t *tvalid;
} tbl;

static uint64_t mix(uint64_t x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

static void schema_make(tbl *t) {
  memset(&t->s, 0, sizeof t->s);
  const char *fmt[3] = {"l", "u", "+l"}, *nm[3] = {"id", "txt", "li"};
  for (int i = 0; i < 3; i++) {
    memset(&t->sc[i], 0, sizeof t->sc[i]);
    t->sc[i].format = fmt[i];
    t->sc[i].name = nm[i];
    t->sc[i].flags = i ? ARROW_FLAG_NULLABLE : 0;
    t->sc[i].release = noop_schema;
    t->sp[i] = &t->sc[i];
  }
  memset(&t->lchild, 0, sizeof t->lchild);
  t->lchild.format = "i";
  t->lchild.name = "item";
  t->lchild.release = noop_schema;
  t->lcp[0] = &t->lchild;
  t->sc[2].n_children = 1;
  t->sc[2].children = t->lcp;
  t->s.format = "+s";
  t->s.name = "";
  t->s.n_children = 3;
  t->s.children = t->sp;
  t->s.release = noop_schema;
}

/* Rows for keys[0..n). */
static void batch_make(tbl *t, const uint64_t *keys, int64_t n) {
  t->ids = malloc((size_t)n * 8 + 8);
  t->toff = malloc((size_t)(n + 1) * 4);
  t->loff = malloc((size_t)(n + 1) * 4);
  t->lval = malloc((size_t)n * 4 * 4 + 4);
  t->tdat = malloc((size_t)n * 200 + 1);
  t->tvalid = calloc((size_t)n / 8 + 1, 1);
  int64_t nulls = 0;
  t->toff[0] = t->loff[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    uint64_t k = keys[i], h = mix(k);
    t->ids[i] = (int64_t)(k * 2654435761u);
    int len = 20 + (int)(h % 150);
    if (k % 13 == 0) {
      nulls++;
      len = 0;
    } else {
      t->tvalid[i / 8] |= (uint8_t)(1 << (i % 8));
    }
    for (int j = 0; j < len; j++) t->tdat[t->toff[i] + j] = (char)('a' + mix(h + (uint64_t)j) % 26);
    t->toff[i + 1] = t->toff[i] + len;
    int m = (int)(k % 4);
    for (int j = 0; j < m; j++) t->lval[t->loff[i] + j] = (int32_t)(h >> (8 * j));
    t->loff[i + 1] = t->loff[i] + m;
  }
  memset(&t->a, 0, sizeof t->a);
  for (int i = 0; i < 3; i++) memset(&t->ac[i], 0, sizeof t->ac[i]);
  memset(&t->lc, 0, sizeof t->lc);
  t->bufs_a[0] = NULL;
  t->bufs_id[0] = NULL; t->bufs_id[1] = t->ids;
  t->bufs_txt[0] = t->tvalid; t->bufs_txt[1] = t->toff; t->bufs_txt[2] = t->tdat;
  t->bufs_li[0] = NULL; t->bufs_li[1] = t->loff;
  t->bufs_lc[0] = NULL; t->bufs_lc[1] = t->lval;
  t->ac[0] = (struct ArrowArray){n, 0, 0, 2, 0, t->bufs_id, NULL, NULL, noop_array, NULL};
  t->ac[1] = (struct ArrowArray){n, nulls, 0, 3, 0, t->bufs_txt, NULL, NULL, noop_array, NULL};
  t->lc = (struct ArrowArray){t->loff[n], 0, 0, 2, 0, t->bufs_lc, NULL, NULL, noop_array, NULL};
  t->lap[0] = &t->lc;
  t->ac[2] = (struct ArrowArray){n, 0, 0, 2, 1, t->bufs_li, t->lap, NULL, noop_array, NULL};
  for (int i = 0; i < 3; i++) t->ap[i] = &t->ac[i];
  t->a = (struct ArrowArray){n, 0, 0, 1, 3, t->bufs_a, t->ap, NULL, noop_array, NULL};
}

static void batch_free(tbl *t) {
  free(t->ids); free(t->toff); free(t->loff); free(t->lval); free(t->tdat); free(t->tvalid);
}

static char dir[256];

static void small_cdc(parq_write_options *o) {
  parq_write_options_init(o);
  o->cdc = 1;
  o->cdc_min_bytes = 2048;
  o->cdc_max_bytes = 8192;
  o->fsync = 0;
}

/* Write keys in batches of `batch` rows; returns 0 on success. */
static int write_keys(const char *path, const parq_write_options *o, const uint64_t *keys,
                      int64_t n, int64_t batch) {
  tbl t;
  schema_make(&t);
  parq_writer *w = NULL;
  parq_error err = {0};
  if (parq_writer_open(path, &t.s, o, &w, &err) != PARQ_OK) {
    fprintf(stderr, "open: %s\n", err.message);
    return -1;
  }
  for (int64_t r = 0; r < n; r += batch) {
    int64_t m = n - r < batch ? n - r : batch;
    batch_make(&t, keys + r, m);
    parq_status st = parq_writer_write(w, &t.a, &err);
    batch_free(&t);
    if (st != PARQ_OK) {
      fprintf(stderr, "write: %s\n", err.message);
      parq_writer_abort(w);
      return -1;
    }
  }
  return parq_writer_close(w, &err) == PARQ_OK ? 0 : -1;
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc((size_t)n + 1);
  *len = fread(p, 1, (size_t)n, f);
  fclose(f);
  return p;
}

static bool same_file(const char *a, const char *b) {
  size_t na, nb;
  uint8_t *pa = slurp(a, &na), *pb = slurp(b, &nb);
  bool same = pa && pb && na == nb && !memcmp(pa, pb, na);
  free(pa);
  free(pb);
  return same;
}

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

TEST(batching_does_not_matter) {
  enum { N = 3000 };
  uint64_t *keys = malloc(N * sizeof *keys);
  for (int i = 0; i < N; i++) keys[i] = (uint64_t)i;
  for (int variant = 0; variant < 7; variant++) {
    parq_write_options o;
    small_cdc(&o);
    /* 5, 6: the dictionaries overflow part-way (ids after ~500 values, text
     * after ~40), so the fallback point must not depend on batching either. */
    if (variant == 5) o.dictionary_page_bytes = 4096;
    if (variant == 6) { o.dictionary_page_bytes = 20000; o.page_version = 2; }
    if (variant == 1) o.dictionary = 0;
    if (variant == 2) { o.page_version = 2; o.codec = PARQ_CODEC_SNAPPY; }
    if (variant == 3) { o.row_group_rows = 400; o.codec = PARQ_CODEC_UNCOMPRESSED; }
    if (variant == 4) { o.dictionary = 0; o.codec = PARQ_CODEC_GZIP; o.cdc_norm_level = 1; }
    char p1[300], p7[300], pk[300];
    path_of(p1, sizeof p1, "b1.parquet");
    path_of(p7, sizeof p7, "b7.parquet");
    path_of(pk, sizeof pk, "b1000.parquet");
    CHECK(write_keys(p1, &o, keys, N, 1) == 0);
    CHECK(write_keys(p7, &o, keys, N, 7) == 0);
    CHECK(write_keys(pk, &o, keys, N, 1000) == 0);
    CHECK(same_file(p1, p7));
    CHECK(same_file(p1, pk));
    /* Readable, all rows there, and CDC made many pages. */
    parq_reader *r = NULL;
    CHECK_OK(parq_reader_open(pk, NULL, &r, NULL));
    if (r) {
      CHECK(parq_reader_num_rows(r) == N);
      if (variant == 3) CHECK(parq_reader_num_row_groups(r) > 2);
      parq_reader_close(r);
    }
    parq_page_diff *d = NULL;
    size_t nd = 0;
    CHECK_OK(parq_dedup_pages(p1, pk, &d, &nd, NULL));
    CHECK(nd == 3);
    for (size_t i = 0; i < nd; i++) CHECK(d[i].changed_pages == 0);
    if (nd > 1) CHECK(d[1].pages >= 10); /* txt: ~250 KB logical, 2-8 KB chunks */
    parq_page_diff_free(d, nd);
  }
  free(keys);
}

/* Changed pages per column of an edited version; returns the txt column's count. */
static void edit_case(bool cdc, int64_t *changed_txt, int64_t *pages_txt, int64_t *changed_max) {
  enum { N = 4000, K = 40 };
  uint64_t *base = malloc(N * sizeof *base), *ed = malloc((N + K) * sizeof *ed);
  for (int i = 0; i < N; i++) base[i] = (uint64_t)i;
  int m = 0;
  for (int i = 0; i < N; i++) {
    if (i == 1500)
      for (int j = 0; j < K; j++) ed[m++] = 100000 + (uint64_t)j; /* insert */
    if (i >= 2800 && i < 2800 + K / 2) continue;                    /* delete */
    ed[m++] = base[i];
  }
  parq_write_options o;
  small_cdc(&o);
  o.cdc = cdc;
  o.dictionary = 0;
  o.page_bytes = 4096; /* without CDC: fixed-size pages that shift */
  char pa[300], pb[300];
  path_of(pa, sizeof pa, cdc ? "e_a_cdc.parquet" : "e_a.parquet");
  path_of(pb, sizeof pb, cdc ? "e_b_cdc.parquet" : "e_b.parquet");
  CHECK(write_keys(pa, &o, base, N, 333) == 0);
  CHECK(write_keys(pb, &o, ed, m, 333) == 0);
  parq_page_diff *d = NULL;
  size_t nd = 0;
  CHECK_OK(parq_dedup_pages(pa, pb, &d, &nd, NULL));
  *changed_max = 0;
  for (size_t i = 0; i < nd; i++) {
    if (getenv("CDC_VERBOSE"))
      printf("  %s: %s %lld of %lld pages changed\n", cdc ? "cdc" : "plain", d[i].column,
             (long long)d[i].changed_pages, (long long)d[i].pages);
    if (d[i].changed_pages > *changed_max) *changed_max = d[i].changed_pages;
  }
  *changed_txt = nd > 1 ? d[1].changed_pages : -1;
  *pages_txt = nd > 1 ? d[1].pages : -1;
  parq_page_diff_free(d, nd);
  free(base);
  free(ed);
}

TEST(edit_changes_only_nearby_pages) {
  int64_t ct, pt, cm, ct0, pt0, cm0;
  edit_case(true, &ct, &pt, &cm);
  edit_case(false, &ct0, &pt0, &cm0);
  printf("  edit: cdc txt %lld of %lld pages changed (max col %lld); plain %lld of %lld\n",
         (long long)ct, (long long)pt, (long long)cm, (long long)ct0, (long long)pt0);
  CHECK(pt >= 30);
  /* Two edits; after each, boundaries resync within a few chunks (a chunk's
   * end depends on where the previous one ended, plus min-size skipping). */
  CHECK(ct >= 1 && ct <= pt / 8);
  CHECK(cm <= 12);
  CHECK(ct0 > pt0 / 2);  /* without CDC most later pages shift */
  CHECK(ct0 >= 3 * ct);
}

TEST(option_validation) {
  pq_cdc_params p;
  parq_error err = {0};
  CHECK(pq_cdc_params_make(256 << 10, 1 << 20, 0, &p, &err) == PARQ_OK);
  CHECK(p.mask == 0xFFFE000000000000ULL);
  CHECK(pq_cdc_params_make(-1, 1 << 20, 0, &p, &err) == PARQ_EINVAL);
  CHECK(strstr(err.message, "negative") != NULL);
  memset(&err, 0, sizeof err);
  CHECK(pq_cdc_params_make(1000, 1000, 0, &p, &err) == PARQ_EINVAL);
  CHECK(strstr(err.message, "larger than the minimum") != NULL);
  CHECK(pq_cdc_params_make(0, 8, 0, &p, NULL) == PARQ_EINVAL);     /* 0 bits */
  CHECK(pq_cdc_params_make(0, 1 << 20, -60, &p, NULL) == PARQ_EINVAL); /* > 63 bits */
  CHECK(pq_cdc_params_make(256 << 10, 1 << 20, 3, &p, NULL) == PARQ_OK);
  CHECK(p.mask == 0xFFF0000000000000ULL); /* 12 bits */
  /* The writer refuses bad options at open. */
  tbl t;
  schema_make(&t);
  parq_write_options o;
  small_cdc(&o);
  o.cdc_max_bytes = 100;
  char pth[300];
  path_of(pth, sizeof pth, "bad.parquet");
  parq_writer *w = NULL;
  memset(&err, 0, sizeof err);
  CHECK(parq_writer_open(pth, &t.s, &o, &w, &err) == PARQ_EINVAL && w == NULL);
  CHECK(strstr(err.message, "cdc") != NULL);
  CHECK(access(pth, F_OK) != 0);
}

TEST(estimator_hand_cases) {
  parq_dedup *d = NULL;
  CHECK_OK(parq_dedup_new(&d, NULL));
  if (!d) return;
  /* Two identical 10 KiB buffers: one chunk each (< 128 KiB, end of data). */
  uint8_t *a = malloc(10240);
  for (int i = 0; i < 10240; i++) a[i] = (uint8_t)mix((uint64_t)i);
  CHECK_OK(parq_dedup_add_memory(d, "a", a, 10240, NULL));
  CHECK_OK(parq_dedup_add_memory(d, "b", a, 10240, NULL));
  parq_dedup_totals t;
  parq_dedup_get_totals(d, &t);
  CHECK(t.total_bytes == 20480 && t.unique_bytes == 10240 && t.ratio == 0.5);
  parq_dedup_file_info f;
  CHECK_OK(parq_dedup_file(d, 1, &f));
  CHECK(f.bytes == 10240 && f.new_bytes == 0 && f.chunks == 1 && f.new_chunks == 0);
  /* 1 MiB of zeros: after 64 bytes h is the constant -GEAR[0][0], whose top
   * 16 bits are not zero, so every chunk is forced at 128 KiB: 8 identical
   * chunks, one of them new. */
  CHECK(((0 - pq_cdc_gear[0][0]) >> 48) != 0);
  uint8_t *z = calloc(1 << 20, 1);
  CHECK_OK(parq_dedup_add_memory(d, "zeros", z, 1 << 20, NULL));
  CHECK_OK(parq_dedup_file(d, 2, &f));
  CHECK(f.chunks == 8 && f.new_chunks == 1 && f.new_bytes == 131072);
  const uint32_t *sz;
  const uint8_t *nw;
  size_t n;
  CHECK_OK(parq_dedup_chunks(d, 2, &sz, &nw, &n));
  CHECK(n == 8 && sz[0] == 131072 && sz[7] == 131072 && nw[0] == 1 && nw[1] == 0);
  parq_dedup_get_totals(d, &t);
  CHECK(t.total_bytes == 20480 + (1 << 20) && t.unique_bytes == 10240 + 131072);
  CHECK(t.compressed_unique_bytes > 0 && t.compressed_unique_bytes < t.unique_bytes);
  /* Streaming a file gives the same chunks as memory. */
  char pth[300];
  path_of(pth, sizeof pth, "zeros.bin");
  FILE *fp = fopen(pth, "wb");
  fwrite(z, 1, 1 << 20, fp);
  fclose(fp);
  CHECK_OK(parq_dedup_add_file(d, pth, NULL));
  CHECK_OK(parq_dedup_file(d, 3, &f));
  CHECK(f.chunks == 8 && f.new_chunks == 0 && f.bytes == (1 << 20));
  /* PNG: signature and IHDR size. */
  path_of(pth, sizeof pth, "dedup.png");
  CHECK_OK(parq_dedup_write_png(d, pth, NULL));
  size_t plen = 0;
  uint8_t *png = slurp(pth, &plen);
  CHECK(png && plen > 33);
  if (png && plen > 33) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    CHECK(!memcmp(png, sig, 8));
    CHECK(!memcmp(png + 12, "IHDR", 4));
    uint32_t w = (uint32_t)png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19];
    uint32_t h = (uint32_t)png[20] << 24 | png[21] << 16 | png[22] << 8 | png[23];
    CHECK(w == 1200);
    CHECK(h == 24 + 60 + 4 * 58);
  }
  free(png);
  free(z);
  free(a);
  parq_dedup_free(d);
}

/* Row-group boundaries (base row index of each group's first row) of a file. */
static int rg_starts(const char *path, int64_t *starts, int cap) {
  parq_reader *r = NULL;
  if (parq_reader_open(path, NULL, &r, NULL) != PARQ_OK) return -1;
  int n = (int)parq_reader_num_row_groups(r);
  int64_t at = 0;
  for (int i = 0; i < n && i < cap; i++) {
    starts[i] = at;
    at += parq_reader_row_group_num_rows(r, i);
  }
  parq_reader_close(r);
  return n < cap ? n : cap;
}

TEST(row_group_cuts_resync) {
  /* The byte rule on the key (id, 8 bytes a row): armed at 4 x cdc_max =
   * 8 KiB (1024 rows), then a match every ~1024 rows. An insert and a delete
   * may only move the group boundaries next to them. */
  CHECK(pq_cdc_mask_for(1) == 0);
  CHECK(pq_cdc_mask_for(3) == 0x8000000000000000ULL);
  CHECK(pq_cdc_mask_for(1 << 20) == 0xFFFFF00000000000ULL);
  enum { N = 40000, I = 12000, K = 300, D = 27000 };
  uint64_t *base = malloc(N * sizeof *base), *ed = malloc((N + K) * sizeof *ed);
  int m = 0;
  for (int i = 0; i < N; i++) base[i] = (uint64_t)i;
  for (int i = 0; i < N; i++) {
    if (i == I)
      for (int j = 0; j < K; j++) ed[m++] = 500000 + (uint64_t)j;
    if (i >= D && i < D + K) continue;
    ed[m++] = base[i];
  }
  parq_write_options o;
  small_cdc(&o);
  o.cdc_min_bytes = 512;
  o.cdc_max_bytes = 2048;
  o.codec = PARQ_CODEC_UNCOMPRESSED;
  char pa[300], pb[300];
  path_of(pa, sizeof pa, "rg_a.parquet");
  path_of(pb, sizeof pb, "rg_b.parquet");
  CHECK(write_keys(pa, &o, base, N, 777) == 0);
  CHECK(write_keys(pb, &o, ed, m, 1000) == 0);
  int64_t sa[256], sb[256];
  int na = rg_starts(pa, sa, 256), nb = rg_starts(pb, sb, 256);
  CHECK(na >= 10 && nb >= 10);
  /* Map the edited file's starts to base row indexes; count base starts lost. */
  int lost = 0;
  for (int i = 0; i < na; i++) {
    bool found = false;
    for (int j = 0; j < nb && !found; j++) {
      int64_t e = sb[j];
      int64_t b = e < I ? e : e < I + K ? -1 : e - K < D ? e - K : e;
      found = b == sa[i];
    }
    if (!found) lost++;
  }
  printf("  row groups: %d -> %d, %d base boundaries moved\n", na, nb, lost);
  CHECK(lost <= 4);
  free(base);
  free(ed);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/parq_test_cdc_%d", (int)getpid());
  char cmd[300];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
  if (system(cmd) != 0) return 1;
  RUN(option_validation);
  RUN(estimator_hand_cases);
  RUN(batching_does_not_matter);
  RUN(edit_changes_only_nearby_pages);
  RUN(row_group_cuts_resync);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  TEST_SUMMARY();
}
