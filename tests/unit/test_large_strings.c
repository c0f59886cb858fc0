/* test_large_strings.c — the int64-offset (Arrow large_utf8 "U" /
 * large_binary "Z") read path, forced on small files with
 * parq_read_options.large_strings: it must give exactly the values of the
 * normal int32 path for every byte-array encoding, page version, nesting,
 * batch size, seek and projection. The > 2 GiB corpus file itself is read by
 * the stress target (tests/stress/large_string_map.sh, `make stress`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encoding/encoding.h"
#include "io/io.h"
#include "parq.h"
#include "test.h"
#include "util/arrow.h"
#include "util/buf.h"

static const char *SCHEMA_JSON =
    "{\"fields\":[{\"name\":\"id\",\"type\":\"int64\",\"nullable\":false},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"b\",\"type\":\"binary\"},"
    "{\"name\":\"tags\",\"type\":{\"list\":\"string\"}},"
    "{\"name\":\"m\",\"type\":{\"map\":[\"string\",\"int32\"]}},"
    "{\"name\":\"st\",\"type\":{\"struct\":[{\"name\":\"x\",\"type\":\"string\"}]}}]}";

static uint64_t rng = 0x243F6A8885A308D3ULL;
static uint64_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

/* A string of a few shapes: empty, short, shared prefixes (for
 * DELTA_BYTE_ARRAY), long, repeated (for dictionaries), with escapes. */
static void gen_str(char *out, size_t cap) {
  int k = (int)(rnd() % 6);
  size_t n = 0;
  if (k == 0) n = 0;
  else if (k == 1) n = (size_t)snprintf(out, cap, "v%d", (int)(rnd() % 5));
  else if (k == 2) n = (size_t)snprintf(out, cap, "prefix/common/%llu", (unsigned long long)(rnd() % 1000));
  else if (k == 3) {
    n = 20 + rnd() % 200;
    for (size_t i = 0; i < n; i++) out[i] = (char)('a' + rnd() % 26);
  } else if (k == 4) n = (size_t)snprintf(out, cap, "q\\\"uote\\\\ \\u00e9 %d", (int)(rnd() % 3));
  else n = (size_t)snprintf(out, cap, "ünïcødé-%d", (int)(rnd() % 4));
  out[n] = 0;
}

/* base64 of a few random bytes */
static void gen_b64(char *out) {
  static const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int groups = (int)(rnd() % 5);
  int n = 0;
  for (int g = 0; g < groups; g++)
    for (int j = 0; j < 4; j++) out[n++] = t[rnd() % 64];
  out[n] = 0;
}

static char *write_jsonl(int rows) {
  char *path = strdup("/tmp/parq_test_large_XXXXXX.jsonl");
  int fd = mkstemps(path, 6);
  FILE *f = fdopen(fd, "w");
  char s[512], x[512], b[64];
  for (int r = 0; r < rows; r++) {
    fprintf(f, "{\"id\":%d", r);
    gen_str(s, sizeof s);
    if (rnd() % 7 == 0) fprintf(f, ",\"s\":null");
    else fprintf(f, ",\"s\":\"%s\"", s);
    gen_b64(b);
    if (rnd() % 5 == 0) fprintf(f, ",\"b\":null");
    else fprintf(f, ",\"b\":\"%s\"", b);
    int nt = (int)(rnd() % 5) - 1;
    if (nt < 0) {
      fprintf(f, ",\"tags\":null");
    } else {
      fprintf(f, ",\"tags\":[");
      for (int i = 0; i < nt; i++) {
        gen_str(s, sizeof s);
        if (rnd() % 9 == 0) fprintf(f, "%snull", i ? "," : "");
        else fprintf(f, "%s\"%s\"", i ? "," : "", s);
      }
      fprintf(f, "]");
    }
    int nm = (int)(rnd() % 4);
    fprintf(f, ",\"m\":[");
    for (int i = 0; i < nm; i++) {
      gen_str(s, sizeof s);
      fprintf(f, "%s{\"key\":\"%s#%d\",\"value\":%d}", i ? "," : "", s, i, (int)(rnd() % 100));
    }
    fprintf(f, "]");
    gen_str(x, sizeof x);
    if (rnd() % 6 == 0) fprintf(f, ",\"st\":null}\n");
    else fprintf(f, ",\"st\":{\"x\":\"%s\"}}\n", x);
  }
  fclose(f);
  return path;
}

/* JSONL file -> Parquet file with the given write options. */
static int jsonl_to_parquet(const char *jsonl, const char *out, const parq_write_options *wo) {
  parq_error err = {0};
  struct ArrowSchema schema = {0};
  if (pq_schema_from_json(SCHEMA_JSON, strlen(SCHEMA_JSON), &schema, &err)) {
    fprintf(stderr, "schema: %s\n", err.message);
    return -1;
  }
  pq_text_read_options to;
  pq_text_read_options_init(&to);
  to.format = PQ_FMT_JSONL;
  to.schema = &schema;
  to.batch_rows = 97;
  pq_text_reader *tr = NULL;
  parq_writer *w = NULL;
  int rc = -1;
  if (pq_text_reader_open(jsonl, &to, &tr, &err)) goto out;
  if (parq_writer_open(out, &schema, wo, &w, &err)) goto out;
  for (;;) {
    struct ArrowArray a = {0};
    parq_status st = pq_text_reader_next(tr, &a, &err);
    if (st == PARQ_DONE) break;
    if (st) goto out;
    st = parq_writer_write(w, &a, &err);
    a.release(&a);
    if (st) goto out;
  }
  rc = parq_writer_close(w, &err) ? -1 : 0;
  w = NULL;
out:
  if (rc) fprintf(stderr, "jsonl_to_parquet: %s\n", err.message);
  parq_writer_abort(w);
  pq_text_reader_close(tr);
  pq_arrow_schema_release(&schema);
  return rc;
}

/* Formats of the leaves of the reader's schema, depth first, joined by ','. */
static void leaf_formats(const struct ArrowSchema *s, char *out, size_t cap) {
  if (s->n_children == 0) {
    size_t l = strlen(out);
    snprintf(out + l, cap - l, "%s%s", l ? "," : "", s->format);
    return;
  }
  for (int64_t i = 0; i < s->n_children; i++) leaf_formats(s->children[i], out, cap);
}

typedef struct read_cfg {
  int large;             /* parq_read_options.large_strings */
  int64_t batch_rows;
  const char *column;    /* projection, or NULL */
  int64_t seek_rg, seek_row; /* seek_rg < 0: no seek */
} read_cfg;

/* Read the whole file as JSON Lines text (NULL on failure); formats gets
 * the leaf formats of the schema. */
static char *read_all(const char *path, const read_cfg *c, char *formats, size_t fcap) {
  parq_read_options ro;
  parq_read_options_init(&ro);
  ro.large_strings = c->large;
  ro.batch_rows = c->batch_rows;
  const char *cols[1] = {c->column};
  if (c->column) ro.columns = cols, ro.n_columns = 1;
  parq_error err = {0};
  parq_reader *r = NULL;
  struct ArrowSchema schema = {0};
  parq_buf out = PARQ_BUF_INIT;
  bool ok = false;
  if (parq_reader_open(path, &ro, &r, &err) || parq_reader_schema(r, &schema, &err)) goto done;
  formats[0] = 0;
  leaf_formats(&schema, formats, fcap);
  if (c->seek_rg >= 0 && parq_reader_seek(r, c->seek_rg, c->seek_row, &err)) goto done;
  for (;;) {
    struct ArrowArray a = {0};
    parq_status st = parq_reader_next(r, &a, &err);
    if (st == PARQ_DONE) break;
    if (st) goto done;
    st = pq_jsonl_write_batch(&schema, &a, &out, &err);
    a.release(&a);
    if (st) goto done;
  }
  ok = parq_buf_append_byte(&out, 0) == PARQ_OK;
done:
  if (!ok) fprintf(stderr, "read_all(%s, large=%d): %s\n", path, c->large, err.message);
  pq_arrow_schema_release(&schema);
  parq_reader_close(r);
  if (!ok) {
    parq_buf_free(&out);
    return NULL;
  }
  return (char *)out.data;
}

/* Normal and forced-large reads of `path` agree under cfg (large ignored). */
static void check_same(const char *path, read_cfg cfg) {
  char f_norm[256], f_large[256], f_never[256];
  cfg.large = 0;
  char *a = read_all(path, &cfg, f_norm, sizeof f_norm);
  cfg.large = 1;
  char *b = read_all(path, &cfg, f_large, sizeof f_large);
  cfg.large = -1;
  char *c = read_all(path, &cfg, f_never, sizeof f_never);
  CHECK(a && b && c);
  if (a && b && c) {
    CHECK(strlen(a) > 0);
    CHECK(!strcmp(a, b));
    CHECK(!strcmp(a, c));
    /* Small files: automatic = never = int32; forced: every string/binary is large. */
    CHECK(!strcmp(f_norm, f_never));
    CHECK(strchr(f_norm, 'u') && !strchr(f_norm, 'U') && !strchr(f_norm, 'Z'));
    if (!cfg.column) CHECK(!strcmp(f_norm, "l,u,z,u,u,i,u"));
    if (!cfg.column) CHECK(!strcmp(f_large, "l,U,Z,U,U,i,U"));
    CHECK(!strchr(f_large, 'u') && !strchr(f_large, 'z'));
    if (strcmp(a, b)) {
      size_t i = 0;
      while (a[i] && a[i] == b[i]) i++;
      fprintf(stderr, "first difference at byte %zu (batch_rows %lld):\n  %.80s\n  %.80s\n", i,
              (long long)cfg.batch_rows, a + (i > 20 ? i - 20 : 0), b + (i > 20 ? i - 20 : 0));
    }
  }
  free(a);
  free(b);
  free(c);
}

TEST(rel_decoders_match_absolute) {
  /* Encode, then decode into a buffer that already holds 100 bytes: the _rel
   * variants give the same bytes with offsets 100 lower. */
  int32_t offs[9] = {0};
  const char *vals[8] = {"", "abc", "abcdef", "abx", "", "zzzzzzzzzzzzzzzzzzzzzzzzz", "zz", "q"};
  parq_buf data = PARQ_BUF_INIT;
  for (int i = 0; i < 8; i++) {
    parq_buf_append(&data, vals[i], strlen(vals[i]));
    offs[i + 1] = (int32_t)data.len;
  }
  for (int e = 0; e < 3; e++) {
    parq_buf enc = PARQ_BUF_INIT;
    if (e == 0) CHECK_OK(pq_plain_encode_byte_array(offs, data.data, 8, &enc));
    if (e == 1) CHECK_OK(pq_delta_length_encode(offs, data.data, 8, &enc));
    if (e == 2) CHECK_OK(pq_delta_byte_array_encode(offs, data.data, 8, &enc));
    parq_buf abs = PARQ_BUF_INIT, rel = PARQ_BUF_INIT;
    uint8_t pad[100];
    memset(pad, 'x', sizeof pad);
    parq_buf_append(&abs, pad, 100);
    parq_buf_append(&rel, pad, 100);
    int32_t oa[8], orl[8];
    size_t ca = 0, cr = 0;
    parq_error err = {0};
    if (e == 0) {
      CHECK_OK(pq_plain_decode_byte_array(enc.data, enc.len, 8, &abs, oa, &ca, &err));
      CHECK_OK(pq_plain_decode_byte_array_rel(enc.data, enc.len, 8, &rel, orl, &cr, &err));
    } else if (e == 1) {
      CHECK_OK(pq_delta_length_decode(enc.data, enc.len, 8, &abs, oa, &ca, &err));
      CHECK_OK(pq_delta_length_decode_rel(enc.data, enc.len, 8, &rel, orl, &cr, &err));
    } else {
      CHECK_OK(pq_delta_byte_array_decode(enc.data, enc.len, 8, &abs, oa, &ca, &err));
      CHECK_OK(pq_delta_byte_array_decode_rel(enc.data, enc.len, 8, &rel, orl, &cr, &err));
    }
    CHECK(ca == enc.len && cr == enc.len);
    CHECK(abs.len == rel.len && abs.len == 100 + data.len);
    CHECK(!memcmp(abs.data, rel.data, abs.len));
    for (int i = 0; i < 8; i++) {
      CHECK(oa[i] == 100 + offs[i + 1]);
      CHECK(orl[i] == offs[i + 1]);
    }
    parq_buf_free(&enc);
    parq_buf_free(&abs);
    parq_buf_free(&rel);
  }
  parq_buf_free(&data);
}

TEST(large_strings_match_normal_path) {
  char *jsonl = write_jsonl(1500);
  struct {
    int dict, version, enc;
    int64_t page_rows, rg_rows;
    const char *codec;
  } cfgs[] = {
      {1, 1, PARQ_ENC_DEFAULT, 20000, 1 << 20, "zstd"},          /* dictionary */
      {0, 1, PARQ_ENC_PLAIN, 64, 600, "snappy"},                 /* PLAIN, many pages */
      {0, 2, PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY, 50, 700, "none"}, /* v2 pages */
      {0, 1, PARQ_ENC_DELTA_BYTE_ARRAY, 33, 1 << 20, "gzip"},
      {1, 2, PARQ_ENC_DEFAULT, 40, 500, "brotli"},               /* dictionary, v2 */
  };
  for (size_t k = 0; k < sizeof cfgs / sizeof cfgs[0]; k++) {
    char out[64];
    snprintf(out, sizeof out, "/tmp/parq_test_large_%d_%zu.parquet", (int)getpid(), k);
    parq_write_options wo;
    parq_write_options_init(&wo);
    wo.dictionary = cfgs[k].dict;
    wo.page_version = cfgs[k].version;
    wo.page_rows = cfgs[k].page_rows;
    wo.row_group_rows = cfgs[k].rg_rows;
    wo.fsync = 0;
    if (parq_codec_parse(cfgs[k].codec, &wo.codec, &wo.level) != PARQ_OK) wo.codec = PARQ_CODEC_UNCOMPRESSED;
    parq_column_options co[5];
    const char *paths[5] = {"s", "b", "tags", "m.key_value.key", "st"};
    if (cfgs[k].enc != PARQ_ENC_DEFAULT) {
      for (int i = 0; i < 5; i++) {
        memset(&co[i], 0, sizeof co[i]);
        co[i].path = paths[i];
        co[i].codec = -1;
        co[i].level = INT32_MIN;
        co[i].encoding = cfgs[k].enc;
        co[i].dictionary = 0;
        co[i].statistics = -1;
      }
      wo.columns = co;
      wo.n_columns = 5;
    }
    CHECK(jsonl_to_parquet(jsonl, out, &wo) == 0);
    int64_t batches[] = {1, 7, 256, 65536};
    for (size_t bi = 0; bi < 4; bi++) {
      read_cfg rc = {0, batches[bi], NULL, -1, 0};
      check_same(out, rc);
    }
    read_cfg proj = {0, 13, "m", -1, 0};
    check_same(out, proj);
    read_cfg seek = {0, 100, NULL, 0, 123}; /* skips records inside the first group */
    check_same(out, seek);
    unlink(out);
  }
  unlink(jsonl);
  free(jsonl);
}

TEST(read_row_group_large) {
  char *jsonl = write_jsonl(300);
  char out[64];
  snprintf(out, sizeof out, "/tmp/parq_test_large_rg_%d.parquet", (int)getpid());
  parq_write_options wo;
  parq_write_options_init(&wo);
  wo.fsync = 0;
  wo.row_group_rows = 100;
  CHECK(jsonl_to_parquet(jsonl, out, &wo) == 0);
  parq_read_options ro;
  parq_read_options_init(&ro);
  ro.large_strings = 1;
  parq_reader *r = NULL;
  parq_error err = {0};
  CHECK_OK(parq_reader_open(out, &ro, &r, &err));
  if (r) {
    struct ArrowSchema s = {0};
    struct ArrowArray a = {0};
    CHECK_OK(parq_reader_schema(r, &s, &err));
    CHECK_OK(parq_reader_read_row_group(r, 2, &a, &err));
    CHECK(a.length == 100);
    if (a.release && s.release) {
      /* column "s": large_utf8, int64 offsets ending at the data size */
      CHECK(!strcmp(s.children[1]->format, "U"));
      const struct ArrowArray *col = a.children[1];
      const int64_t *o = col->buffers[1];
      CHECK(o[0] == 0);
      for (int64_t i = 0; i < col->length; i++) CHECK(o[i + 1] >= o[i]);
    }
    if (a.release) a.release(&a);
    pq_arrow_schema_release(&s);
    parq_reader_close(r);
  }
  unlink(out);
  unlink(jsonl);
  free(jsonl);
}

/* Hostile input on the wide path: byte-flipped files must fail cleanly (run
 * under the sanitizers by make test-asan), never crash or over-read. */
TEST(corrupt_files_large) {
  char *jsonl = write_jsonl(200);
  char out[64];
  snprintf(out, sizeof out, "/tmp/parq_test_large_bad_%d.parquet", (int)getpid());
  parq_write_options wo;
  parq_write_options_init(&wo);
  wo.fsync = 0;
  wo.page_rows = 30;
  wo.codec = PARQ_CODEC_UNCOMPRESSED; /* flips land in values and lengths, not in codec frames */
  wo.write_crc = 0;
  CHECK(jsonl_to_parquet(jsonl, out, &wo) == 0);
  FILE *f = fopen(out, "rb");
  CHECK(f != NULL);
  if (f) {
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *orig = malloc((size_t)size), *buf = malloc((size_t)size);
    CHECK(fread(orig, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    int opened = 0;
    for (int it = 0; it < 300; it++) {
      memcpy(buf, orig, (size_t)size);
      int flips = 1 + (int)(rnd() % 4);
      for (int k = 0; k < flips; k++) {
        long pos = 4 + (long)(rnd() % (uint64_t)(size - 8 - 4)); /* keep the magic */
        buf[pos] ^= (uint8_t)(1u << (rnd() % 8));
      }
      parq_read_options ro;
      parq_read_options_init(&ro);
      ro.large_strings = 1;
      ro.batch_rows = 1 + (int64_t)(rnd() % 64);
      parq_reader *r = NULL;
      parq_error err = {0};
      if (parq_reader_open_memory(buf, (size_t)size, "flipped", &ro, &r, &err) != PARQ_OK) continue;
      opened++;
      for (int guard = 0; guard < 1000; guard++) {
        struct ArrowArray a = {0};
        if (parq_reader_next(r, &a, &err) != PARQ_OK) break;
        a.release(&a);
      }
      parq_reader_close(r);
    }
    CHECK(opened > 0);
    free(orig);
    free(buf);
  }
  unlink(out);
  unlink(jsonl);
  free(jsonl);
}

int main(void) {
  RUN(rel_decoders_match_absolute);
  RUN(large_strings_match_normal_path);
  RUN(read_row_group_large);
  RUN(corrupt_files_large);
  TEST_SUMMARY();
}
