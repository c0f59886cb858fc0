/* test_roundtrip.c — property test: random schemas (nested, nullable, every
 * type), random data, random codec / encoding / page version / dictionary /
 * page and row-group sizes: what parq writes, parq reads back identically.
 * Values are compared through their JSON rendering (pq_jsonl_write_batch),
 * which covers every type exactly (decimals, timestamps, floats bit-exact
 * via shortest round-trip formatting). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"
#include "parq.h"
#include "test.h"
#include "util/arrow.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }

typedef enum { T_BOOL, T_I8, T_I16, T_I32, T_I64, T_U8, T_U32, T_U64, T_F32, T_F64, T_STR, T_BIN, T_FIXED,
               T_DEC9, T_DEC18, T_DEC30, T_DATE, T_TIME, T_TS_UTC, T_TS_MS, T_PRIM_END,
               T_LIST = 100, T_STRUCT, T_MAP } kind;

static const char *prim_format(int k) {
  static const char *f[] = {"b", "c", "s", "i", "l", "C", "I", "L", "f", "g", "u", "z", "w:5",
                            "d:9,2", "d:18,4", "d:30,5", "tdD", "ttu", "tsu:UTC", "tsm:"};
  return f[k];
}
static int prim_width(int k) {
  static const int w[] = {0, 1, 2, 4, 8, 1, 4, 8, 4, 8, 0, 0, 5, 16, 16, 16, 4, 8, 8, 8};
  return w[k];
}

/* Random type tree: kinds[] in preorder. */
typedef struct node { int kind; int nullable; struct node *kids[2]; int nk; } node;

static node *gen_type(int depth) {
  node *n = calloc(1, sizeof *n);
  n->nullable = pick(3) != 0;
  int r = pick(10);
  if (depth < 3 && r == 0) {
    n->kind = T_LIST;
    n->kids[0] = gen_type(depth + 1), n->nk = 1;
  } else if (depth < 3 && r == 1) {
    n->kind = T_STRUCT;
    n->nk = 1 + pick(2);
    for (int i = 0; i < n->nk; i++) n->kids[i] = gen_type(depth + 1);
  } else if (depth < 3 && r == 2) {
    n->kind = T_MAP;
    n->kids[0] = calloc(1, sizeof(node));
    n->kids[0]->kind = T_STR;
    n->kids[1] = gen_type(depth + 1);
    n->nk = 2;
  } else {
    n->kind = pick(T_PRIM_END);
  }
  return n;
}
static void free_type(node *n) {
  for (int i = 0; i < n->nk; i++) free_type(n->kids[i]);
  free(n);
}

static void make_schema(node *n, const char *name, struct ArrowSchema *s) {
  int64_t fl = n->nullable ? ARROW_FLAG_NULLABLE : 0;
  if (n->kind == T_LIST) {
    pq_arrow_schema_init(s, "+l", name, fl, 1);
    make_schema(n->kids[0], "element", s->children[0]);
  } else if (n->kind == T_STRUCT) {
    pq_arrow_schema_init(s, "+s", name, fl, n->nk);
    for (int i = 0; i < n->nk; i++) {
      char nm[16];
      snprintf(nm, sizeof nm, "f%d", i);
      make_schema(n->kids[i], nm, s->children[i]);
    }
  } else if (n->kind == T_MAP) {
    pq_arrow_schema_init(s, "+m", name, fl, 1);
    pq_arrow_schema_init(s->children[0], "+s", "entries", 0, 2);
    n->kids[0]->nullable = 0;
    make_schema(n->kids[0], "key", s->children[0]->children[0]);
    make_schema(n->kids[1], "value", s->children[0]->children[1]);
  } else {
    pq_arrow_schema_init(s, prim_format(n->kind), name, fl, 0);
  }
}

static uint8_t *gen_validity(node *n, int64_t len, int64_t *nulls, const uint8_t *parent_valid) {
  *nulls = 0;
  if (!n->nullable) return NULL;
  uint8_t *v = calloc((size_t)(len / 8 + 2), 1);
  for (int64_t i = 0; i < len; i++) {
    int null = pick(5) == 0;
    (void)parent_valid;
    if (null) (*nulls)++;
    else pq_bit_set(v, i);
  }
  return v;
}

static void gen_array(node *n, int64_t len, struct ArrowArray *out) {
  int64_t nulls;
  uint8_t *valid = gen_validity(n, len, &nulls, NULL);
  if (n->kind == T_LIST || n->kind == T_MAP) {
    int32_t *off = malloc((size_t)(len + 1) * 4);
    off[0] = 0;
    for (int64_t i = 0; i < len; i++) off[i + 1] = off[i] + ((valid && !pq_bit_get(valid, i)) ? 0 : pick(4));
    struct ArrowArray child;
    if (n->kind == T_LIST) {
      gen_array(n->kids[0], off[len], &child);
    } else {
      struct ArrowArray kv[2];
      /* unique keys per map are not required by Parquet; keep them simple */
      gen_array(n->kids[0], off[len], &kv[0]);
      gen_array(n->kids[1], off[len], &kv[1]);
      void *eb[1] = {NULL};
      pq_arrow_array_make(&child, off[len], 0, 1, eb, 2, kv);
    }
    void *b[2] = {valid, off};
    pq_arrow_array_make(out, len, nulls, 2, b, 1, &child);
    return;
  }
  if (n->kind == T_STRUCT) {
    struct ArrowArray kids[2];
    for (int i = 0; i < n->nk; i++) gen_array(n->kids[i], len, &kids[i]);
    void *b[1] = {valid};
    pq_arrow_array_make(out, len, nulls, 1, b, n->nk, kids);
    return;
  }
  int k = n->kind;
  if (k == T_BOOL) {
    uint8_t *bits = calloc((size_t)(len / 8 + 2), 1);
    for (int64_t i = 0; i < len; i++)
      if (pick(2)) pq_bit_set(bits, i);
    void *b[2] = {valid, bits};
    pq_arrow_array_make(out, len, nulls, 2, b, 0, NULL);
    return;
  }
  if (k == T_STR || k == T_BIN) {
    int32_t *off = malloc((size_t)(len + 1) * 4);
    char *data = malloc((size_t)len * 40 + 1);
    off[0] = 0;
    int small_alphabet = pick(2); /* repeats make dictionaries worthwhile */
    for (int64_t i = 0; i < len; i++) {
      int l = pick(small_alphabet ? 3 : 30);
      for (int j = 0; j < l; j++)
        data[off[i] + j] = (char)(k == T_STR ? 'a' + pick(small_alphabet ? 2 : 26) : pick(256));
      off[i + 1] = off[i] + l;
    }
    void *b[3] = {valid, off, data};
    pq_arrow_array_make(out, len, nulls, 3, b, 0, NULL);
    return;
  }
  int w = prim_width(k);
  uint8_t *v = calloc((size_t)len + 1, (size_t)w);
  for (int64_t i = 0; i < len; i++) {
    uint8_t *p = v + i * w;
    uint64_t x = rnd();
    switch (k) {
      case T_F32: { float f = (float)((int64_t)(x % 2000001) - 1000000) / 7.0f; if (pick(50) == 0) f = 0.0f / 0.0f; memcpy(p, &f, 4); break; }
      case T_F64: { double d = (double)((int64_t)(x % 2000000001) - 1000000000) / 3.0; memcpy(p, &d, 8); break; }
      case T_DEC9: { int64_t d = (int64_t)(x % 1999999999) - 999999999; memcpy(p, &d, 8); memset(p + 8, d < 0 ? 0xFF : 0, 8); break; }
      case T_DEC18: { int64_t d = (int64_t)(x % 1999999999999999999ULL) - 999999999999999999LL; memcpy(p, &d, 8); memset(p + 8, d < 0 ? 0xFF : 0, 8); break; }
      case T_DEC30: { int64_t hi = (int64_t)(rnd() % 100000) - 50000; memcpy(p, &x, 8); memcpy(p + 8, &hi, 8); break; }
      case T_DATE: { int32_t d = (int32_t)(x % 40000) - 10000; memcpy(p, &d, 4); break; }
      case T_TIME: { int64_t t = (int64_t)(x % 86400000000ULL); memcpy(p, &t, 8); break; }
      case T_TS_UTC: case T_TS_MS: { int64_t t = (int64_t)(x % 4000000000000000ULL) - 1000000000000000LL; if (k == T_TS_MS) t /= 1000; memcpy(p, &t, 8); break; }
      case T_I8: case T_U8: p[0] = (uint8_t)(pick(3) ? x % 5 : x); break;
      default: {
        uint64_t y = pick(3) ? x % 100 : x; /* small values: delta/dictionary-friendly */
        memcpy(p, &y, (size_t)w);
      }
    }
  }
  void *b[2] = {valid, v};
  pq_arrow_array_make(out, len, nulls, 2, b, 0, NULL);
}

static const char *codecs[] = {"none", "snappy", "gzip", "zstd", "zstd:9", "lz4", "brotli:1"};

static int enc_for(int k) {
  switch (k) {
    case T_BOOL: { int e[] = {PARQ_ENC_PLAIN, PARQ_ENC_RLE}; return e[pick(2)]; }
    case T_I8: case T_I16: case T_I32: case T_I64: case T_U8: case T_U32: case T_U64: case T_DATE: case T_TIME:
    case T_TS_UTC: case T_TS_MS: case T_DEC9: case T_DEC18: {
      int e[] = {PARQ_ENC_PLAIN, PARQ_ENC_DELTA_BINARY_PACKED, PARQ_ENC_BYTE_STREAM_SPLIT, PARQ_ENC_DEFAULT};
      return e[pick(4)];
    }
    case T_F32: case T_F64: { int e[] = {PARQ_ENC_PLAIN, PARQ_ENC_BYTE_STREAM_SPLIT, PARQ_ENC_DEFAULT}; return e[pick(3)]; }
    case T_STR: case T_BIN: {
      int e[] = {PARQ_ENC_PLAIN, PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY, PARQ_ENC_DELTA_BYTE_ARRAY, PARQ_ENC_DEFAULT};
      return e[pick(4)];
    }
    case T_FIXED: case T_DEC30: { int e[] = {PARQ_ENC_PLAIN, PARQ_ENC_DELTA_BYTE_ARRAY, PARQ_ENC_BYTE_STREAM_SPLIT}; return e[pick(3)]; }
  }
  return PARQ_ENC_DEFAULT;
}

TEST(random_round_trips) {
  char path[256];
  snprintf(path, sizeof path, "/tmp/parq-roundtrip-%d.parquet", (int)getpid());
  int iterations = 60, failures = 0;
  size_t compared = 0;
  for (int it = 0; it < iterations; it++) {
    int ncols = 1 + pick(5);
    node *types[5];
    struct ArrowSchema schema;
    pq_arrow_schema_init(&schema, "+s", "", 0, ncols);
    parq_column_options copt[5];
    char names[5][16];
    int nco = 0;
    for (int c = 0; c < ncols; c++) {
      types[c] = gen_type(0);
      snprintf(names[c], sizeof names[c], "c%d", c);
      make_schema(types[c], names[c], schema.children[c]);
      if (types[c]->kind < T_PRIM_END) {
        copt[nco] = (parq_column_options){.path = names[c], .codec = -1, .level = INT32_MIN,
                                          .encoding = enc_for(types[c]->kind), .dictionary = -1, .statistics = -1};
        nco++;
      }
    }
    parq_write_options wo;
    parq_write_options_init(&wo);
    parq_codec_parse(codecs[pick(7)], &wo.codec, &wo.level);
    wo.page_version = 1 + pick(2);
    wo.dictionary = pick(2);
    wo.page_bytes = pick(2) ? 64 + pick(2000) : 1 << 20;
    wo.row_group_rows = pick(2) ? 1 + pick(300) : 1 << 20;
    wo.dictionary_page_bytes = pick(2) ? 100 : 1 << 20;
    wo.columns = copt;
    wo.n_columns = (size_t)nco;
    wo.fsync = 0;
    parq_buf expect = PARQ_BUF_INIT, got = PARQ_BUF_INIT;
    parq_writer *w;
    parq_error e = {0};
    int st = parq_writer_open(path, &schema, &wo, &w, &e);
    int nb = 1 + pick(3);
    for (int b = 0; b < nb && !st; b++) {
      int64_t len = pick(400);
      struct ArrowArray kids[5], batch;
      for (int c = 0; c < ncols; c++) gen_array(types[c], len, &kids[c]);
      void *bb[1] = {NULL};
      pq_arrow_array_make(&batch, len, 0, 1, bb, ncols, kids);
      pq_jsonl_write_batch(&schema, &batch, &expect, &e);
      st = parq_writer_write(w, &batch, &e);
      batch.release(&batch);
    }
    if (!st) st = parq_writer_close(w, &e);
    else parq_writer_abort(w);
    if (st) {
      fprintf(stderr, "iteration %d: write failed: %s\n", it, e.message);
      failures++;
    } else {
      parq_reader *r;
      parq_read_options ro;
      parq_read_options_init(&ro);
      ro.batch_rows = 1 + pick(200);
      ro.verify_checksums = 1;
      st = parq_reader_open(path, &ro, &r, &e);
      struct ArrowSchema rs;
      if (!st) st = parq_reader_schema(r, &rs, &e);
      struct ArrowArray a;
      while (!st && (st = parq_reader_next(r, &a, &e)) == PARQ_OK) {
        pq_jsonl_write_batch(&rs, &a, &got, &e);
        a.release(&a);
      }
      if (st == PARQ_DONE) st = PARQ_OK;
      if (!st) rs.release(&rs);
      if (r) parq_reader_close(r);
      if (st) {
        fprintf(stderr, "iteration %d: read failed: %s\n", it, e.message);
        failures++;
      } else if (got.len != expect.len || memcmp(got.data, expect.data, got.len)) {
        size_t i = 0;
        while (i < got.len && i < expect.len && got.data[i] == expect.data[i]) i++;
        size_t from = i > 80 ? i - 80 : 0;
        fprintf(stderr, "iteration %d (codec %d, v%d, dict %d): values differ at byte %zu\n  expected: %.160s\n  got:      %.160s\n",
                it, wo.codec, wo.page_version, wo.dictionary, i, (const char *)expect.data + from, (const char *)got.data + from);
        failures++;
      }
    }
    compared += got.len;
    parq_buf_free(&expect);
    parq_buf_free(&got);
    schema.release(&schema);
    for (int c = 0; c < ncols; c++) free_type(types[c]);
  }
  unlink(path);
  printf("compared %zu bytes of JSON over %d random files\n", compared, iterations);
  CHECK(compared > 100000);
  CHECK(failures == 0);
}

int main(void) {
  const char *seed = getenv("PARQ_TEST_SEED");
  if (seed) rng = strtoull(seed, NULL, 10) | 1;
  RUN(random_round_trips);
  TEST_SUMMARY();
}
