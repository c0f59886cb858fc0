/* test_writer.c — the Parquet write path: Arrow schema mapping, statistics
 * ordering/truncation, and whole files written with every type, encoding,
 * codec and page version, nested and sliced data. Files are checked by
 * decoding their footer and every page header; when PARQ_WRITER_OUT names a
 * directory the files are kept there (for external checks with DuckDB). */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column/stats.h"
#include "file/schema.h"
#include "format/metadata.h"
#include "test.h"
#include "util/arena.h"
#include "util/arrow.h"
#include "util/buf.h"

/* ---------- Arrow builders ---------- */

static void *dup_mem(const void *p, size_t n) {
  void *q = malloc(n ? n : 1);
  if (n) memcpy(q, p, n);
  return q;
}

/* Validity bitmap from a 0/1 char string ("1101..."), NULL if all valid. */
static uint8_t *bits_from(const char *v, int64_t n, int64_t *nulls) {
  *nulls = 0;
  if (!v) return NULL;
  uint8_t *b = calloc((size_t)(n + 7) / 8 + 1, 1);
  for (int64_t i = 0; i < n; i++) {
    if (v[i] == '1') pq_bit_set(b, i);
    else (*nulls)++;
  }
  return b;
}

static void arr_fixed(struct ArrowArray *a, const void *vals, size_t width, int64_t n,
                      const char *valid) {
  int64_t nulls;
  void *bufs[2] = {bits_from(valid, n, &nulls), dup_mem(vals, width * (size_t)n)};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 2, bufs, 0, NULL));
}

static void arr_bool(struct ArrowArray *a, const uint8_t *vals, int64_t n, const char *valid) {
  int64_t nulls;
  uint8_t *b = calloc((size_t)(n + 7) / 8 + 1, 1);
  for (int64_t i = 0; i < n; i++)
    if (vals[i]) pq_bit_set(b, i);
  void *bufs[2] = {bits_from(valid, n, &nulls), b};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 2, bufs, 0, NULL));
}

static void arr_str(struct ArrowArray *a, const char *const *s, int64_t n, const char *valid) {
  int64_t nulls;
  int32_t *off = malloc(sizeof(int32_t) * (size_t)(n + 1));
  size_t tot = 0;
  for (int64_t i = 0; i < n; i++) tot += s[i] ? strlen(s[i]) : 0;
  char *data = malloc(tot + 1);
  off[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    size_t l = s[i] ? strlen(s[i]) : 0;
    memcpy(data + off[i], s[i] ? s[i] : "", l);
    off[i + 1] = off[i] + (int32_t)l;
  }
  void *bufs[3] = {bits_from(valid, n, &nulls), off, data};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 3, bufs, 0, NULL));
}

static void arr_list(struct ArrowArray *a, const int32_t *offs, int64_t n, const char *valid,
                     struct ArrowArray *child) {
  int64_t nulls;
  void *bufs[2] = {bits_from(valid, n, &nulls), dup_mem(offs, sizeof(int32_t) * (size_t)(n + 1))};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 2, bufs, 1, child));
}

static void arr_struct(struct ArrowArray *a, int64_t n, const char *valid, int nc,
                       struct ArrowArray *children) {
  int64_t nulls;
  void *bufs[1] = {bits_from(valid, n, &nulls)};
  CHECK_OK(pq_arrow_array_make(a, n, nulls, 1, bufs, nc, children));
}

/* ---------- file checks ---------- */

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
  if (n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); p = NULL; }
  fclose(f);
  *len = (size_t)n;
  return p;
}

static char out_dir[1024];

static void out_path(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "%s/%s", out_dir, name);
}

/* Decode footer and walk every chunk's page headers, checking offsets, sizes,
 * page counts against the offset index. Returns the footer's num_rows. */
static int64_t check_file(const char *path, pq_file_metadata *fm_out, parq_arena *ar,
                          uint8_t **file_out) {
  size_t len = 0;
  uint8_t *f = slurp(path, &len);
  CHECK(f != NULL);
  if (!f) return -1;
  CHECK(len >= 12 && !memcmp(f, "PAR1", 4) && !memcmp(f + len - 4, "PAR1", 4));
  uint32_t fl;
  memcpy(&fl, f + len - 8, 4);
  CHECK(fl <= len - 12);
  pq_file_metadata fm;
  parq_error e = {0};
  int st = pq_decode_file_metadata(f + len - 8 - fl, fl, ar, &fm, &e);
  CHECK(st == PARQ_OK);
  if (st) { fprintf(stderr, "%s\n", e.message); free(f); return -1; }
  for (uint32_t r = 0; r < fm.n_row_groups; r++) {
    const pq_row_group *rg = &fm.row_groups[r];
    for (uint32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_metadata *m = &rg->columns[c].meta_data;
      int64_t pos = m->has_dictionary_page_offset ? m->dictionary_page_offset : m->data_page_offset;
      int64_t end = pos + m->total_compressed_size;
      CHECK(end <= (int64_t)len);
      int64_t values = 0;
      int pages = 0;
      while (pos < end) {
        pq_page_header h;
        size_t used = 0;
        st = pq_decode_page_header(f + pos, (size_t)(end - pos), ar, &h, &used, &e);
        CHECK(st == PARQ_OK);
        if (st) break;
        if (h.type == PQ_PAGE_DATA) values += h.data_page_header.num_values, pages++;
        if (h.type == PQ_PAGE_DATA_V2) values += h.data_page_header_v2.num_values, pages++;
        pos += (int64_t)used + h.compressed_page_size;
      }
      CHECK(pos == end);
      CHECK(values == m->num_values);
      if (rg->columns[c].has_column_index) {
        pq_column_index ci;
        st = pq_decode_column_index(f + rg->columns[c].column_index_offset,
                                    (size_t)rg->columns[c].column_index_length, ar, &ci, &e);
        CHECK(st == PARQ_OK);
        if (!st) CHECK((int)ci.n_pages == pages);
      }
      if (rg->columns[c].has_offset_index) {
        pq_offset_index oi;
        st = pq_decode_offset_index(f + rg->columns[c].offset_index_offset,
                                    (size_t)rg->columns[c].offset_index_length, ar, &oi, &e);
        CHECK(st == PARQ_OK);
        if (!st) {
          CHECK((int)oi.n_pages == pages);
          CHECK(oi.n_pages == 0 || oi.page_locations[0].offset == m->data_page_offset);
          CHECK(oi.n_pages == 0 || oi.page_locations[0].first_row_index == 0);
        }
      }
    }
  }
  if (fm_out) *fm_out = fm;
  if (file_out) *file_out = f;
  else free(f);
  return fm.num_rows;
}

static void schema_init(struct ArrowSchema *s, int n) {
  CHECK_OK(pq_arrow_schema_init(s, "+s", "", 0, n));
}
static void field(struct ArrowSchema *s, int i, const char *fmt, const char *name, bool nullable) {
  CHECK_OK(pq_arrow_schema_init(s->children[i], fmt, name, nullable ? ARROW_FLAG_NULLABLE : 0, 0));
}

/* ---------- schema mapping ---------- */

TEST(schema_mapping) {
  struct ArrowSchema s;
  schema_init(&s, 8);
  field(&s, 0, "C", "u8", false);
  field(&s, 1, "L", "u64", true);
  field(&s, 2, "d:20,3", "dec", true);
  field(&s, 3, "tss:UTC", "ts", true);
  field(&s, 4, "e", "half", true);
  CHECK_OK(pq_arrow_schema_init(s.children[5], "+l", "lst", ARROW_FLAG_NULLABLE, 1));
  CHECK_OK(pq_arrow_schema_init(s.children[5]->children[0], "i", "item", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s.children[6], "+m", "m", ARROW_FLAG_NULLABLE, 1));
  CHECK_OK(pq_arrow_schema_init(s.children[6]->children[0], "+s", "entries", 0, 2));
  CHECK_OK(pq_arrow_schema_init(s.children[6]->children[0]->children[0], "u", "key", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s.children[6]->children[0]->children[1], "l", "value",
                                ARROW_FLAG_NULLABLE, 0));
  field(&s, 7, "w:16", "id", false);
  const char *k[] = {"ARROW:extension:name"}, *v[] = {"arrow.uuid"};
  CHECK_OK(pq_arrow_schema_set_metadata(s.children[7], k, v, 1));
  parq_arena ar = PARQ_ARENA_INIT;
  pq_schema_element *el;
  uint32_t n;
  parq_error e = {0};
  CHECK(pq_schema_from_arrow(&s, &ar, &el, &n, &e) == PARQ_OK);
  CHECK(n == 1 + 8 + 2 + 3);
  if (n == 14) {
    CHECK(el[1].type == PQ_INT32 && el[1].converted_type == PQ_CT_UINT_8 &&
          el[1].repetition == PQ_REQUIRED && !el[1].logical.is_signed);
    CHECK(el[2].type == PQ_INT64 && el[2].converted_type == PQ_CT_UINT_64);
    CHECK(el[3].type == PQ_FIXED_LEN_BYTE_ARRAY && el[3].type_length == 9 &&
          el[3].logical.kind == PQ_LT_DECIMAL && el[3].precision == 20 && el[3].scale == 3);
    CHECK(el[4].type == PQ_INT64 && el[4].logical.unit == PQ_UNIT_MILLIS &&
          el[4].logical.is_adjusted_to_utc && el[4].converted_type == PQ_CT_TIMESTAMP_MILLIS);
    CHECK(el[5].type_length == 2 && el[5].logical.kind == PQ_LT_FLOAT16);
    CHECK(el[6].converted_type == PQ_CT_LIST && !strcmp(el[7].name, "list") &&
          el[7].repetition == PQ_REPEATED && !strcmp(el[8].name, "element") &&
          el[8].repetition == PQ_REQUIRED);
    CHECK(el[9].converted_type == PQ_CT_MAP && !strcmp(el[10].name, "key_value") &&
          el[11].repetition == PQ_REQUIRED && el[11].logical.kind == PQ_LT_STRING &&
          el[12].repetition == PQ_OPTIONAL);
    CHECK(el[13].logical.kind == PQ_LT_UUID && el[13].type_length == 16);
    pq_schema ps;
    CHECK(pq_schema_build(el, n, &ps, &e) == PARQ_OK);
    if (ps.n_leaves != 9) fprintf(stderr, "schema_build: %d leaves %s\n", ps.n_leaves, e.message);
    CHECK(ps.n_leaves == 9);
    if (ps.n_leaves == 9) {
      CHECK(!strcmp(ps.leaves[5].path, "lst.list.element") && ps.leaves[5].max_def == 2 &&
            ps.leaves[5].max_rep == 1);
      CHECK(ps.leaves[7].max_def == 3 && ps.leaves[7].max_rep == 1);
    }
    pq_schema_free(&ps);
  }
  parq_arena_free(&ar);
  s.release(&s);
}

/* ---------- statistics ---------- */

TEST(stats_orders) {
  pq_schema_element e;
  memset(&e, 0, sizeof e);
  e.converted_type = PQ_CT_NONE;
  e.type = PQ_INT32;
  CHECK(pq_sort_order_of(&e) == PQ_ORDER_I32);
  e.converted_type = PQ_CT_UINT_32;
  CHECK(pq_sort_order_of(&e) == PQ_ORDER_U32);
  e.converted_type = PQ_CT_NONE;
  e.type = PQ_BYTE_ARRAY;
  e.logical.kind = PQ_LT_DECIMAL;
  CHECK(pq_sort_order_of(&e) == PQ_ORDER_DECIMAL_BE);
  e.type = PQ_INT96;
  CHECK(pq_sort_order_of(&e) == PQ_ORDER_NONE);
  /* Decimal big-endian: -1 (ff) < 1 (01) and sign-extension across lengths. */
  uint8_t m1[] = {0xff}, p1[] = {0x01}, m1b[] = {0xff, 0xff}, big[] = {0x01, 0x00};
  CHECK(pq_value_cmp(PQ_ORDER_DECIMAL_BE, m1, 1, p1, 1) < 0);
  CHECK(pq_value_cmp(PQ_ORDER_DECIMAL_BE, m1, 1, m1b, 2) == 0);
  CHECK(pq_value_cmp(PQ_ORDER_DECIMAL_BE, p1, 1, big, 2) < 0);
  CHECK(pq_value_cmp(PQ_ORDER_BYTES, (const uint8_t *)"\xff", 1, (const uint8_t *)"a", 1) > 0);
  uint32_t u1 = 0xffffffffu, u2 = 1;
  CHECK(pq_value_cmp(PQ_ORDER_U32, (uint8_t *)&u1, 4, (uint8_t *)&u2, 4) > 0);
  CHECK(pq_value_cmp(PQ_ORDER_I32, (uint8_t *)&u1, 4, (uint8_t *)&u2, 4) < 0);
}

TEST(stats_float_and_truncate) {
  parq_arena ar = PARQ_ARENA_INIT;
  pq_stats s;
  pq_stats_init(&s, PQ_ORDER_DOUBLE);
  double v[] = {NAN, 0.0, 3.5, -0.0, NAN};
  CHECK_OK(pq_stats_update_fixed(&s, (uint8_t *)v, 8, 5));
  pq_statistics out;
  CHECK_OK(pq_stats_export(&s, 0, &ar, &out));
  double mn, mx;
  memcpy(&mn, out.min_value.ptr, 8);
  memcpy(&mx, out.max_value.ptr, 8);
  CHECK(mn == 0.0 && signbit(mn) && mx == 3.5);
  pq_stats_reset(&s);
  double z[] = {-0.0, 0.0};
  CHECK_OK(pq_stats_update_fixed(&s, (uint8_t *)z, 8, 2));
  CHECK_OK(pq_stats_export(&s, 0, &ar, &out));
  memcpy(&mn, out.min_value.ptr, 8);
  memcpy(&mx, out.max_value.ptr, 8);
  CHECK(signbit(mn) && !signbit(mx));
  pq_stats_reset(&s);
  double nan1[] = {NAN};
  CHECK_OK(pq_stats_update_fixed(&s, (uint8_t *)nan1, 8, 1));
  CHECK(!s.has_minmax);
  pq_stats_free(&s);

  pq_stats_init(&s, PQ_ORDER_BYTES);
  int32_t off[] = {0, 5, 10};
  const uint8_t data[] = "abcdeab\xff\xff\xff";
  CHECK_OK(pq_stats_update_binary(&s, off, data, 2));
  CHECK_OK(pq_stats_export(&s, 3, &ar, &out));
  CHECK(out.min_value.len == 3 && !memcmp(out.min_value.ptr, "abc", 3) && !out.is_min_value_exact);
  /* max "ab\xff\xff\xff" truncated to 3 => "ab\xff" -> bump 'b' => "ac" */
  CHECK(out.max_value.len == 2 && !memcmp(out.max_value.ptr, "ac", 2) && !out.is_max_value_exact);
  CHECK(!out.has_min); /* no legacy min/max for unsigned byte order */
  pq_stats_free(&s);
  parq_arena_free(&ar);
}

/* ---------- whole files ---------- */

#define N 1000

typedef struct flat_batch {
  struct ArrowSchema schema;
  struct ArrowArray batch;
} flat_batch;

/* Columns: i32 (required), i64 (nullable), str (nullable), dbl, bool, flba(4), date. */
static void make_flat(flat_batch *fb, int64_t n, int seed) {
  schema_init(&fb->schema, 7);
  field(&fb->schema, 0, "i", "i32", false);
  field(&fb->schema, 1, "l", "i64", true);
  field(&fb->schema, 2, "u", "str", true);
  field(&fb->schema, 3, "g", "dbl", true);
  field(&fb->schema, 4, "b", "flag", true);
  field(&fb->schema, 5, "w:4", "fix", false);
  field(&fb->schema, 6, "tdD", "day", true);
  int32_t *i32 = malloc(sizeof(int32_t) * (size_t)n);
  int64_t *i64 = malloc(sizeof(int64_t) * (size_t)n);
  double *dbl = malloc(sizeof(double) * (size_t)n);
  uint8_t *bl = malloc((size_t)n), *fx = malloc(4 * (size_t)n);
  char *valid = malloc((size_t)n + 1);
  const char **strs = calloc((size_t)n + 1, sizeof(char *));
  char (*sb)[32] = malloc(32 * (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    i32[i] = (int32_t)(i * 7 - 300 + seed);
    i64[i] = (i % 13) * 1000000007LL - 5;
    dbl[i] = (double)(i % 100) / 4.0 - 10.0;
    bl[i] = (uint8_t)(i % 3 == 0);
    memcpy(fx + 4 * i, "ab\x00\x01", 4);
    fx[4 * i + 3] = (uint8_t)i;
    valid[i] = (i % 5 == 3) ? '0' : '1';
    snprintf(sb[i], 32, "s%05lld", (long long)((i * 37) % 500));
    strs[i] = sb[i];
  }
  valid[n] = 0;
  struct ArrowArray ch[7];
  arr_fixed(&ch[0], i32, 4, n, NULL);
  arr_fixed(&ch[1], i64, 8, n, valid);
  arr_str(&ch[2], strs, n, valid);
  arr_fixed(&ch[3], dbl, 8, n, valid);
  arr_bool(&ch[4], bl, n, valid);
  arr_fixed(&ch[5], fx, 4, n, NULL);
  arr_fixed(&ch[6], i32, 4, n, valid);
  arr_struct(&fb->batch, n, NULL, 7, ch);
  free(i32); free(i64); free(dbl); free(bl); free(fx); free(valid); free(strs); free(sb);
}

static void free_flat(flat_batch *fb) {
  fb->batch.release(&fb->batch);
  fb->schema.release(&fb->schema);
}

static void write_flat(const char *name, parq_write_options *o, int expect_rg) {
  char path[1200];
  out_path(path, sizeof path, name);
  flat_batch fb;
  make_flat(&fb, N, 0);
  parq_writer *w = NULL;
  parq_error e = {0};
  int st = parq_writer_open(path, &fb.schema, o, &w, &e);
  CHECK(st == PARQ_OK);
  if (st) { fprintf(stderr, "%s: %s\n", name, e.message); free_flat(&fb); return; }
  st = parq_writer_write(w, &fb.batch, &e);
  CHECK(st == PARQ_OK);
  /* A sliced second batch (offset != 0). */
  struct ArrowArray sl = fb.batch;
  sl.offset = 100;
  sl.length = 300;
  if (st == PARQ_OK) st = parq_writer_write(w, &sl, &e);
  CHECK(st == PARQ_OK);
  if (st) fprintf(stderr, "%s: %s\n", name, e.message);
  CHECK(parq_writer_rows(w) == N + 300);
  st = parq_writer_close(w, &e);
  CHECK(st == PARQ_OK);
  if (st) fprintf(stderr, "%s: %s\n", name, e.message);
  parq_arena ar = PARQ_ARENA_INIT;
  pq_file_metadata fm;
  uint8_t *file = NULL;
  CHECK(check_file(path, &fm, &ar, &file) == N + 300);
  if (expect_rg > 0) CHECK((int)fm.n_row_groups == expect_rg);
  /* Chunk statistics of i32 (required, no nulls): min -300, max 6693. */
  const pq_column_metadata *m = &fm.row_groups[0].columns[0].meta_data;
  if (o->statistics && m->has_statistics && m->statistics.has_min_value) {
    int32_t mn, mx;
    memcpy(&mn, m->statistics.min_value.ptr, 4);
    memcpy(&mx, m->statistics.max_value.ptr, 4);
    CHECK(mn == -300);
    CHECK(mx == (int32_t)((expect_rg == 1 ? N - 1 : 0) * 7 - 300) || expect_rg != 1);
  } else if (o->statistics) {
    CHECK(0);
  }
  free(file);
  parq_arena_free(&ar);
  if (!getenv("PARQ_WRITER_OUT")) unlink(path);
  free_flat(&fb);
}

TEST(flat_defaults) {
  parq_write_options o;
  parq_write_options_init(&o);
  write_flat("flat_default.parquet", &o, 1);
}

TEST(flat_codecs_and_versions) {
  const parq_codec codecs[] = {PARQ_CODEC_UNCOMPRESSED, PARQ_CODEC_SNAPPY, PARQ_CODEC_GZIP,
                               PARQ_CODEC_BROTLI, PARQ_CODEC_ZSTD, PARQ_CODEC_LZ4_RAW};
  for (int v = 1; v <= 2; v++) {
    for (size_t c = 0; c < sizeof codecs / sizeof *codecs; c++) {
      parq_write_options o;
      parq_write_options_init(&o);
      o.codec = codecs[c];
      o.page_version = v;
      o.page_rows = 128; /* many pages */
      o.dictionary = (int)(c % 2);
      o.fsync = 0;
      char name[64];
      snprintf(name, sizeof name, "flat_%s_v%d.parquet", parq_codec_name(codecs[c]), v);
      write_flat(name, &o, 1);
    }
  }
}

TEST(flat_encodings) {
  struct { const char *col; int enc; } cases[] = {
      {"i32", PARQ_ENC_DELTA_BINARY_PACKED}, {"i64", PARQ_ENC_DELTA_BINARY_PACKED},
      {"str", PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY}, {"str", PARQ_ENC_DELTA_BYTE_ARRAY},
      {"fix", PARQ_ENC_DELTA_BYTE_ARRAY}, {"dbl", PARQ_ENC_BYTE_STREAM_SPLIT},
      {"i32", PARQ_ENC_BYTE_STREAM_SPLIT}, {"fix", PARQ_ENC_BYTE_STREAM_SPLIT},
      {"flag", PARQ_ENC_RLE}, {"str", PARQ_ENC_RLE_DICTIONARY}, {"day", PARQ_ENC_PLAIN}};
  for (int v = 1; v <= 2; v++) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
      parq_write_options o;
      parq_write_options_init(&o);
      parq_column_options co = {cases[i].col, -1, INT32_MIN, cases[i].enc, -1, -1};
      o.columns = &co;
      o.n_columns = 1;
      o.page_version = v;
      o.page_rows = 300;
      o.row_group_rows = 700;
      o.fsync = 0;
      char name[96];
      snprintf(name, sizeof name, "enc_%s_%s_v%d.parquet", cases[i].col,
               parq_encoding_name((parq_encoding)cases[i].enc), v);
      write_flat(name, &o, 2);
    }
  }
}

/* Encodings of column c in row group 0: dictionary-encoded data pages, PLAIN
 * data pages, and whether the chunk has a dictionary page. */
static void chunk_encodings(const pq_file_metadata *fm, int c, bool *dict, bool *plain,
                            bool *dict_page) {
  const pq_column_metadata *m = &fm->row_groups[0].columns[c].meta_data;
  *dict = *plain = false;
  for (uint32_t i = 0; i < m->n_encoding_stats; i++) {
    if (m->encoding_stats[i].page_type == PQ_PAGE_DICTIONARY) continue;
    if (m->encoding_stats[i].encoding == PARQ_ENC_RLE_DICTIONARY) *dict = true;
    if (m->encoding_stats[i].encoding == PARQ_ENC_PLAIN) *plain = true;
  }
  *dict_page = m->has_dictionary_page_offset;
}

/* Row i of a read-back utf8 array (offset 0): present, and equal to s. */
static bool utf8_present(const struct ArrowArray *a, int64_t i) {
  const uint8_t *v = a->buffers[0];
  return !v || ((v[i >> 3] >> (i & 7)) & 1);
}
static bool utf8_is(const struct ArrowArray *a, int64_t i, const char *s) {
  const int32_t *o = a->buffers[1];
  size_t l = strlen(s);
  return (size_t)(o[i + 1] - o[i]) == l && !memcmp((const char *)a->buffers[2] + o[i], s, l);
}

/* uniq: a new string every row; slow: each value 4 times, a new one every 4
 * rows (the dictionary pays on the first page, then outgrows its limit);
 * dbl: a new double every row; late: null for the first 150 rows, then 7
 * values. With 100-row pages and a 2000-byte limit: uniq and dbl get no
 * dictionary at all, slow falls back to PLAIN mid-chunk, late keeps its
 * dictionary (an all-null first page decides nothing); every value reads back. */
TEST(dictionary_only_while_it_pays) {
  enum { NR = 3000 };
  for (int v = 1; v <= 2; v++) {
    parq_write_options o;
    parq_write_options_init(&o);
    o.dictionary_page_bytes = 2000;
    o.page_rows = 100;
    o.page_version = v;
    o.fsync = 0;
    struct ArrowSchema sc;
    schema_init(&sc, 4);
    field(&sc, 0, "u", "uniq", false);
    field(&sc, 1, "u", "slow", true);
    field(&sc, 2, "g", "dbl", false);
    field(&sc, 3, "u", "late", true);
    char(*ub)[16] = malloc(sizeof *ub * NR), (*sb)[16] = malloc(sizeof *sb * NR);
    const char **us = malloc(sizeof *us * NR), **ss = malloc(sizeof *ss * NR);
    const char **ls = malloc(sizeof *ls * NR);
    static const char *late_vals[7] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"};
    char *lvalid = malloc(NR + 1);
    double *dv = malloc(sizeof *dv * NR);
    char *valid = malloc(NR + 1);
    for (int i = 0; i < NR; i++) {
      snprintf(ub[i], 16, "u%07d", i * 7919 % 100003);
      snprintf(sb[i], 16, "v%05d", i / 4);
      us[i] = ub[i];
      ss[i] = sb[i];
      dv[i] = i * 0.37 - 11.0;
      valid[i] = i % 11 == 5 ? '0' : '1';
      ls[i] = i < 150 ? NULL : late_vals[i % 7];
      lvalid[i] = i < 150 ? '0' : '1';
    }
    valid[NR] = 0;
    lvalid[NR] = 0;
    struct ArrowArray ch[4], batch;
    arr_str(&ch[0], us, NR, NULL);
    arr_str(&ch[1], ss, NR, valid);
    arr_fixed(&ch[2], dv, 8, NR, NULL);
    arr_str(&ch[3], ls, NR, lvalid);
    arr_struct(&batch, NR, NULL, 4, ch);
    char path[1200];
    out_path(path, sizeof path, v == 1 ? "dict_pays_v1.parquet" : "dict_pays_v2.parquet");
    parq_writer *w = NULL;
    CHECK_OK(parq_writer_open(path, &sc, &o, &w, NULL));
    CHECK_OK(parq_writer_write(w, &batch, NULL));
    CHECK_OK(parq_writer_close(w, NULL));
    batch.release(&batch);
    sc.release(&sc);
    parq_arena ar = PARQ_ARENA_INIT;
    pq_file_metadata fm;
    CHECK(check_file(path, &fm, &ar, NULL) == NR);
    bool d, pl, dp;
    chunk_encodings(&fm, 0, &d, &pl, &dp);
    CHECK(!d && pl && !dp);
    chunk_encodings(&fm, 1, &d, &pl, &dp);
    CHECK(d && pl && dp);
    chunk_encodings(&fm, 2, &d, &pl, &dp);
    CHECK(!d && pl && !dp);
    chunk_encodings(&fm, 3, &d, &pl, &dp);
    CHECK(d && dp);
    parq_arena_free(&ar);
    /* Values, including the first page of each dropped dictionary. */
    parq_reader *r = NULL;
    CHECK_OK(parq_reader_open(path, NULL, &r, NULL));
    int64_t row = 0;
    struct ArrowArray b;
    while (r && parq_reader_next(r, &b, NULL) == PARQ_OK) {
      const double *x2 = b.children[2]->buffers[1];
      for (int64_t i = 0; i < b.length && row + i < NR; i++) {
        int64_t k = row + i;
        CHECK(utf8_is(b.children[0], i, ub[k]));
        bool present = utf8_present(b.children[1], i);
        CHECK(present == (valid[k] == '1'));
        if (present) CHECK(utf8_is(b.children[1], i, sb[k]));
        CHECK(x2[i] == dv[k]);
        bool lp = utf8_present(b.children[3], i);
        CHECK(lp == (k >= 150));
        if (lp) CHECK(utf8_is(b.children[3], i, ls[k]));
      }
      row += b.length;
      b.release(&b);
    }
    CHECK(row == NR);
    parq_reader_close(r);
    if (!getenv("PARQ_WRITER_OUT")) unlink(path);
    free(ub); free(sb); free(us); free(ss); free(dv); free(valid); free(ls); free(lvalid);
  }
}

/* list<int32>, struct{s: string, l: list<string>}, map<string, int64>; sliced. */
static void make_nested(struct ArrowSchema *s, struct ArrowArray *b) {
  schema_init(s, 3);
  CHECK_OK(pq_arrow_schema_init(s->children[0], "+l", "li", ARROW_FLAG_NULLABLE, 1));
  CHECK_OK(pq_arrow_schema_init(s->children[0]->children[0], "i", "item", ARROW_FLAG_NULLABLE, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[1], "+s", "st", ARROW_FLAG_NULLABLE, 2));
  CHECK_OK(pq_arrow_schema_init(s->children[1]->children[0], "u", "s", ARROW_FLAG_NULLABLE, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[1]->children[1], "+l", "l", 0, 1));
  CHECK_OK(pq_arrow_schema_init(s->children[1]->children[1]->children[0], "u", "item", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[2], "+m", "m", ARROW_FLAG_NULLABLE, 1));
  CHECK_OK(pq_arrow_schema_init(s->children[2]->children[0], "+s", "entries", 0, 2));
  CHECK_OK(pq_arrow_schema_init(s->children[2]->children[0]->children[0], "u", "key", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[2]->children[0]->children[1], "l", "value",
                                ARROW_FLAG_NULLABLE, 0));
  /* 6 rows. li: [1,null,3], null, [], [4], [5,6], [7] */
  int32_t li_vals[] = {1, 0, 3, 4, 5, 6, 7};
  struct ArrowArray li_child, ch[3];
  arr_fixed(&li_child, li_vals, 4, 7, "1011111");
  int32_t li_off[] = {0, 3, 3, 3, 4, 6, 7};
  arr_list(&ch[0], li_off, 6, "101111", &li_child);
  /* st: {a,[x,y]}, null, {null,[]}, {d,[z]}, {e,[]}, {f,[w]} */
  const char *ss[] = {"a", "", "", "d", "e", "f"};
  const char *ls[] = {"x", "y", "z", "w"};
  struct ArrowArray st_ch[2], l_child;
  arr_str(&st_ch[0], ss, 6, "101111");
  arr_str(&l_child, ls, 4, NULL);
  int32_t l_off[] = {0, 2, 2, 2, 3, 3, 4};
  arr_list(&st_ch[1], l_off, 6, NULL, &l_child);
  arr_struct(&ch[1], 6, "101111", 2, st_ch);
  /* m: {k1:1,k2:null}, {}, null, {k3:3}, {k4:4}, {k5:5} -- entries sliced by 1 */
  const char *ks[] = {"zz", "k1", "k2", "k3", "k4", "k5"};
  int64_t vs[] = {0, 1, 0, 3, 4, 5};
  struct ArrowArray kv[2], entries;
  arr_str(&kv[0], ks, 6, NULL);
  arr_fixed(&kv[1], vs, 8, 6, "110111");
  arr_struct(&entries, 6, NULL, 2, kv);
  entries.offset = 1;
  entries.length = 5;
  int32_t m_off[] = {0, 2, 2, 2, 3, 4, 5};
  arr_list(&ch[2], m_off, 6, "110111", &entries);
  arr_struct(b, 6, NULL, 3, ch);
}

TEST(nested) {
  for (int v = 1; v <= 2; v++) {
    struct ArrowSchema s;
    struct ArrowArray b;
    make_nested(&s, &b);
    char path[1200], name[64];
    snprintf(name, sizeof name, "nested_v%d.parquet", v);
    out_path(path, sizeof path, name);
    parq_write_options o;
    parq_write_options_init(&o);
    o.page_version = v;
    o.page_rows = 2;
    o.fsync = 0;
    parq_writer *w = NULL;
    parq_error e = {0};
    int st = parq_writer_open(path, &s, &o, &w, &e);
    CHECK(st == PARQ_OK);
    if (st) { fprintf(stderr, "%s\n", e.message); continue; }
    st = parq_writer_write(w, &b, &e);
    if (st) fprintf(stderr, "%s\n", e.message);
    CHECK(st == PARQ_OK);
    struct ArrowArray sl = b; /* rows 3..5 again */
    sl.offset = 3;
    sl.length = 3;
    CHECK_OK(parq_writer_write(w, &sl, NULL));
    CHECK_OK(parq_writer_close(w, NULL));
    parq_arena ar = PARQ_ARENA_INIT;
    pq_file_metadata fm;
    CHECK(check_file(path, &fm, &ar, NULL) == 9);
    /* li.list.element: levels for 6 rows: 3 + 1 + 1 + 1 + 2 + 1 = 9; +4 for the slice. */
    CHECK(fm.row_groups[0].columns[0].meta_data.num_values == 13);
    CHECK(fm.row_groups[0].columns[0].meta_data.statistics.null_count == 3);
    parq_arena_free(&ar);
    if (!getenv("PARQ_WRITER_OUT")) unlink(path);
    b.release(&b);
    s.release(&s);
  }
}

TEST(errors_and_abort) {
  flat_batch fb;
  make_flat(&fb, 10, 0);
  char path[1200];
  out_path(path, sizeof path, "err.parquet");
  parq_write_options o;
  parq_write_options_init(&o);
  parq_column_options co = {"str", -1, INT32_MIN, PARQ_ENC_DELTA_BINARY_PACKED, -1, -1};
  o.columns = &co;
  o.n_columns = 1;
  parq_writer *w = NULL;
  parq_error e = {0};
  CHECK(parq_writer_open(path, &fb.schema, &o, &w, &e) == PARQ_EINVAL);
  CHECK(strstr(e.message, "str") != NULL);
  CHECK(w == NULL);
  co.path = "nope";
  co.encoding = PARQ_ENC_PLAIN;
  CHECK(parq_writer_open(path, &fb.schema, &o, &w, &e) == PARQ_EINVAL);
  CHECK(strstr(e.message, "nope") != NULL);
  o.n_columns = 0;
  CHECK(parq_writer_open(path, &fb.schema, &o, &w, &e) == PARQ_OK);
  /* Wrong column count. */
  struct ArrowArray bad = fb.batch;
  bad.n_children = 3;
  CHECK(parq_writer_write(w, &bad, &e) == PARQ_EINVAL);
  /* Child too short. */
  bad = fb.batch;
  bad.length = 11;
  CHECK(parq_writer_write(w, &bad, &e) == PARQ_EINVAL);
  CHECK(parq_writer_write(w, &fb.batch, &e) == PARQ_OK);
  parq_writer_abort(w);
  CHECK(access(path, F_OK) != 0);
  /* No temp files left in the directory. */
  DIR *d = opendir(out_dir);
  struct dirent *de;
  int tmp = 0;
  while (d && (de = readdir(d)))
    if (strstr(de->d_name, "err.parquet.tmp")) tmp++;
  if (d) closedir(d);
  CHECK(tmp == 0);
  /* Non-existent directory: EIO naming the path. */
  e.message[0] = 0;
  CHECK(parq_writer_open("/nonexistent-dir/x.parquet", &fb.schema, NULL, &w, &e) == PARQ_EIO);
  CHECK(strstr(e.message, "/nonexistent-dir/x.parquet") != NULL);
  free_flat(&fb);
}

TEST(large_strings_and_views) {
  struct ArrowSchema s;
  schema_init(&s, 2);
  field(&s, 0, "U", "big", true);
  field(&s, 1, "vu", "view", false);
  int64_t off[] = {0, 3, 3, 10};
  void *b0[3] = {NULL, dup_mem(off, sizeof off), dup_mem("abcdefghij", 10)};
  struct ArrowArray ch[2];
  CHECK_OK(pq_arrow_array_make(&ch[0], 3, 0, 3, b0, 0, NULL));
  /* views: "short", a 20-byte out-of-line value, "" */
  uint8_t views[48] = {0};
  int32_t l = 5;
  memcpy(views, &l, 4);
  memcpy(views + 4, "short", 5);
  l = 20;
  memcpy(views + 16, &l, 4);
  memcpy(views + 20, "0123", 4);
  int32_t bi = 0, bo = 2;
  memcpy(views + 24, &bi, 4);
  memcpy(views + 28, &bo, 4);
  int64_t sizes[] = {28};
  void *b1[4] = {NULL, dup_mem(views, 48), dup_mem("xx01234567890123456789yyyyyy", 28),
                 dup_mem(sizes, 8)};
  CHECK_OK(pq_arrow_array_make(&ch[1], 3, 0, 4, b1, 0, NULL));
  struct ArrowArray b;
  arr_struct(&b, 3, NULL, 2, ch);
  char path[1200];
  out_path(path, sizeof path, "views.parquet");
  parq_writer *w = NULL;
  parq_error e = {0};
  CHECK(parq_writer_open(path, &s, NULL, &w, &e) == PARQ_OK);
  int st = parq_writer_write(w, &b, &e);
  if (st) fprintf(stderr, "%s\n", e.message);
  CHECK(st == PARQ_OK);
  CHECK_OK(parq_writer_close(w, NULL));
  parq_arena ar = PARQ_ARENA_INIT;
  pq_file_metadata fm;
  uint8_t *file = NULL;
  CHECK(check_file(path, &fm, &ar, &file) == 3);
  const pq_statistics *ps = &fm.row_groups[0].columns[1].meta_data.statistics;
  CHECK(ps->has_max_value && ps->max_value.len == 5 && !memcmp(ps->max_value.ptr, "short", 5));
  free(file);
  parq_arena_free(&ar);
  if (!getenv("PARQ_WRITER_OUT")) unlink(path);
  b.release(&b);
  s.release(&s);
}

/* Conversions: small ints, unsigned, date64, time32(s), timestamp(s), decimals,
 * float16, null type, fixed-size list. */
TEST(type_conversions) {
  struct ArrowSchema s;
  schema_init(&s, 11);
  field(&s, 0, "c", "i8", false);
  field(&s, 1, "S", "u16", false);
  field(&s, 2, "tdm", "d64", false);
  field(&s, 3, "tts", "t32s", false);
  field(&s, 4, "tss:", "tss", false);
  field(&s, 5, "d:5,2", "dec5", false);
  field(&s, 6, "d:12,3", "dec12", false);
  field(&s, 7, "d:30,4", "dec30", false);
  field(&s, 8, "e", "half", false);
  field(&s, 9, "n", "nul", true);
  CHECK_OK(pq_arrow_schema_init(s.children[10], "+w:2", "fl", 0, 1));
  CHECK_OK(pq_arrow_schema_init(s.children[10]->children[0], "s", "item", 0, 0));
  int8_t i8[] = {-128, 0, 127};
  uint16_t u16[] = {0, 40000, 65535};
  int64_t d64[] = {-86400000LL - 1, 0, 86400000LL * 365};
  int32_t t32[] = {0, 3600, 86399};
  int64_t ts[] = {-1, 0, 1700000000};
  /* decimal128 little-endian: -12345, 0, 99999 (scale 2) */
  int64_t dec[6] = {-12345, -1, 0, 0, 99999, 0};
  uint16_t half[] = {0x3c00, 0xc000, 0x0000}; /* 1.0, -2.0, 0 */
  int16_t fl[] = {1, 2, 3, 4, 5, 6};
  struct ArrowArray ch[11], flc;
  arr_fixed(&ch[0], i8, 1, 3, NULL);
  arr_fixed(&ch[1], u16, 2, 3, NULL);
  arr_fixed(&ch[2], d64, 8, 3, NULL);
  arr_fixed(&ch[3], t32, 4, 3, NULL);
  arr_fixed(&ch[4], ts, 8, 3, NULL);
  arr_fixed(&ch[5], dec, 16, 3, NULL);
  arr_fixed(&ch[6], dec, 16, 3, NULL);
  arr_fixed(&ch[7], dec, 16, 3, NULL);
  arr_fixed(&ch[8], half, 2, 3, NULL);
  CHECK_OK(pq_arrow_array_make(&ch[9], 3, 3, 0, NULL, 0, NULL));
  arr_fixed(&flc, fl, 2, 6, NULL);
  void *fb[1] = {NULL};
  CHECK_OK(pq_arrow_array_make(&ch[10], 3, 0, 1, fb, 1, &flc));
  struct ArrowArray b;
  arr_struct(&b, 3, NULL, 11, ch);
  char path[1200];
  out_path(path, sizeof path, "types.parquet");
  parq_writer *w = NULL;
  parq_error e = {0};
  CHECK(parq_writer_open(path, &s, NULL, &w, &e) == PARQ_OK);
  if (w) {
    int st = parq_writer_write(w, &b, &e);
    if (st) fprintf(stderr, "%s\n", e.message);
    CHECK(st == PARQ_OK);
    CHECK_OK(parq_writer_close(w, NULL));
    parq_arena ar = PARQ_ARENA_INIT;
    pq_file_metadata fm;
    uint8_t *file = NULL;
    CHECK(check_file(path, &fm, &ar, &file) == 3);
    if (file) {
      const pq_statistics *ps = &fm.row_groups[0].columns[2].meta_data.statistics;
      int32_t mn;
      memcpy(&mn, ps->min_value.ptr, 4);
      CHECK(mn == -2); /* floor(-86400001 ms) = day -2 */
      ps = &fm.row_groups[0].columns[7].meta_data.statistics; /* FLBA(13) big-endian */
      CHECK(ps->min_value.len == 13 && ps->min_value.ptr[0] == 0xff);
      CHECK(fm.row_groups[0].columns[1].meta_data.statistics.max_value.ptr[1] == 0xff);
    }
    free(file);
    parq_arena_free(&ar);
  }
  if (!getenv("PARQ_WRITER_OUT")) unlink(path);
  b.release(&b);
  s.release(&s);
}

int main(void) {
  const char *od = getenv("PARQ_WRITER_OUT");
  if (od && *od) {
    snprintf(out_dir, sizeof out_dir, "%s", od);
    mkdir(out_dir, 0777);
  } else {
    snprintf(out_dir, sizeof out_dir, "/tmp/parq_test_writer.%ld", (long)getpid());
    mkdir(out_dir, 0777);
  }
  RUN(schema_mapping);
  RUN(stats_orders);
  RUN(stats_float_and_truncate);
  RUN(flat_defaults);
  RUN(flat_codecs_and_versions);
  RUN(flat_encodings);
  RUN(dictionary_only_while_it_pays);
  RUN(nested);
  RUN(errors_and_abort);
  RUN(large_strings_and_views);
  RUN(type_conversions);
  if (!od || !*od) rmdir(out_dir);
  TEST_SUMMARY();
}
