/* test_io.c — text I/O layer: JSON tokenizer edge cases, JSONL inference and
 * fixed schemas, CSV reading/sniffing, schema JSON, writers for every Arrow
 * type, batching invariance and bounded reader memory. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"
#include "test.h"
#include "util/arrow.h"
#include "util/buf.h"

static char tmpdir[256];

static const char *tpath(const char *name) {
  static char p[4][512];
  static int k;
  k = (k + 1) & 3;
  snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
  return p[k];
}

static void write_file(const char *path, const char *s, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(s, 1, n, f);
  fclose(f);
}

/* Read a whole text file with options and render all rows as JSONL.
 * Returns status; *out (malloc'ed) gets the text, *fmts the top-level formats. */
static int read_render(const char *path, const pq_text_read_options *opt, char **out, char *fmts,
                       size_t fmts_len, parq_error *err) {
  pq_text_reader *r = NULL;
  *out = NULL;
  int st = pq_text_reader_open(path, opt, &r, err);
  if (st) return st;
  struct ArrowSchema s;
  st = pq_text_reader_schema(r, &s, err);
  if (st) {
    pq_text_reader_close(r);
    return st;
  }
  if (fmts) {
    fmts[0] = 0;
    for (int64_t i = 0; i < s.n_children; i++) {
      size_t l = strlen(fmts);
      snprintf(fmts + l, fmts_len - l, "%s%s:%s", i ? " " : "", s.children[i]->name,
               s.children[i]->format);
    }
  }
  parq_buf b = PARQ_BUF_INIT;
  for (;;) {
    struct ArrowArray a;
    st = pq_text_reader_next(r, &a, err);
    if (st == PARQ_DONE) {
      st = 0;
      break;
    }
    if (st) break;
    st = pq_jsonl_write_batch(&s, &a, &b, err);
    a.release(&a);
    if (st) break;
  }
  parq_buf_append_byte(&b, 0);
  *out = (char *)parq_buf_detach(&b);
  s.release(&s);
  pq_text_reader_close(r);
  return st;
}

static int jsonl(const char *text, const pq_text_read_options *opt, char **out, char *fmts,
                 parq_error *err) {
  const char *p = tpath("in.jsonl");
  write_file(p, text, strlen(text));
  return read_render(p, opt, out, fmts, 512, err);
}

TEST(json_basic_and_escapes) {
  char *out = NULL, fmts[512];
  parq_error err = {0};
  const char *in =
      "{\"a\": 1, \"s\": \"x\\ny\\\"z\\u00e9\\ud83d\\ude00\\/\\t\", \"d\": 2.5}\n"
      "\n"
      "  {\"s\":\"lone \\ud800 end\", \"a\": -0 ,\"d\":1e308}\r\n"
      "{\"a\":9223372036854775807,\"d\":-1.0,\"s\":\"caf\xc3\xa9 \\u0001\"}";
  CHECK(jsonl(in, NULL, &out, fmts, &err) == 0);
  CHECK(!strcmp(fmts, "a:l s:u d:g"));
  const char *want =
      "{\"a\":1,\"s\":\"x\\ny\\\"z\xc3\xa9\xf0\x9f\x98\x80/\\t\",\"d\":2.5}\n"
      "{\"a\":0,\"s\":\"lone \xef\xbf\xbd end\",\"d\":1e+308}\n"
      "{\"a\":9223372036854775807,\"s\":\"caf\xc3\xa9 \\u0001\",\"d\":-1.0}\n";
  CHECK(out && !strcmp(out, want));
  if (out && strcmp(out, want)) fprintf(stderr, "got: %s\n", out);
  free(out);
}

TEST(json_big_ints_and_numbers) {
  char *out = NULL, fmts[512];
  parq_error err = {0};
  CHECK(jsonl("{\"x\":9223372036854775808,\"y\":-9223372036854775808,\"z\":0.1}\n{\"x\":1}\n", NULL,
              &out, fmts, &err) == 0);
  CHECK(!strcmp(fmts, "x:g y:l z:g"));
  CHECK(out && !strcmp(out, "{\"x\":9.223372036854776e+18,\"y\":-9223372036854775808,\"z\":0.1}\n"
                            "{\"x\":1.0,\"y\":null,\"z\":null}\n"));
  free(out);
}

TEST(json_invalid_lines) {
  char *out = NULL;
  parq_error err = {0};
  int st = jsonl("{\"a\":1}\n{\"a\":2}\n{\"a\":1 \"b\":2}\n", NULL, &out, NULL, &err);
  CHECK(st == PARQ_ECORRUPT);
  CHECK(strstr(err.message, "in.jsonl:3: expected ',' or '}' at column 8") != NULL);
  free(out);
  const char *bad[] = {"[1,2]\n", "{\"a\":tru}\n", "{\"a\":\"x\n", "{\"a\":01}\n", "{\"a\":1}x\n",
                       "{\"a\":\"\\q\"}\n", "{\"a\":-}\n", "{\"a\":\"\xff\"}\n", "{\"a\" 1}\n",
                       "{\"a\":1.}\n", "{\"a\":\"\\u12\"}\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    out = NULL;
    memset(&err, 0, sizeof err);
    st = jsonl(bad[i], NULL, &out, NULL, &err);
    CHECK(st == PARQ_ECORRUPT);
    CHECK(strstr(err.message, "in.jsonl:1:") != NULL);
    free(out);
  }
}

TEST(json_deep_nesting) {
  size_t depth = 300;
  char *in = malloc(depth * 2 + 64);
  size_t n = 0;
  n += (size_t)sprintf(in, "{\"a\":");
  for (size_t i = 0; i < depth; i++) in[n++] = '[';
  in[n++] = '1';
  for (size_t i = 0; i < depth; i++) in[n++] = ']';
  n += (size_t)sprintf(in + n, "}\n");
  char *out = NULL, fmts[512];
  parq_error err = {0};
  CHECK(jsonl(in, NULL, &out, fmts, &err) == 0);
  CHECK(out && !strncmp(out, "{\"a\":[[[[", 9));
  free(out);
  free(in);
  depth = 5000; /* beyond the recursion guard: a clean error, no crash */
  in = malloc(depth * 2 + 64);
  n = (size_t)sprintf(in, "{\"a\":");
  for (size_t i = 0; i < depth; i++) in[n++] = '[';
  for (size_t i = 0; i < depth; i++) in[n++] = ']';
  n += (size_t)sprintf(in + n, "}\n");
  out = NULL;
  CHECK(jsonl(in, NULL, &out, NULL, &err) == PARQ_ECORRUPT);
  CHECK(strstr(err.message, "nesting too deep") != NULL);
  free(out);
  free(in);
}

TEST(json_inference) {
  char *out = NULL, fmts[512];
  parq_error err = {0};
  const char *in =
      "{\"id\":1,\"m\":{\"k\":1},\"l\":[1,2],\"mix\":1,\"c\":\"s\",\"n\":null,\"o\":{\"z\":1},\"e\":[],\"b\":true}\n"
      "{\"id\":2,\"m\":{\"j\":\"x\"},\"l\":[2.5],\"mix\":2.5,\"c\":3,\"o\":7,\"e\":[],\"b\":false}\n"
      "{\"id\":3,\"m\":null,\"l\":null,\"c\":{\"q\":[1, 2]},\"o\":\"s\",\"x\":{}}\n";
  CHECK(jsonl(in, NULL, &out, fmts, &err) == 0);
  CHECK(!strcmp(fmts, "id:l m:+s l:+l mix:g c:u n:u o:u e:+l b:b x:u"));
  const char *want =
      "{\"id\":1,\"m\":{\"k\":1,\"j\":null},\"l\":[1.0,2.0],\"mix\":1.0,\"c\":\"s\",\"n\":null,\"o\":\"{\\\"z\\\":1}\",\"e\":[],\"b\":true,\"x\":null}\n"
      "{\"id\":2,\"m\":{\"k\":null,\"j\":\"x\"},\"l\":[2.5],\"mix\":2.5,\"c\":\"3\",\"n\":null,\"o\":\"7\",\"e\":[],\"b\":false,\"x\":null}\n"
      "{\"id\":3,\"m\":null,\"l\":null,\"mix\":null,\"c\":\"{\\\"q\\\":[1, 2]}\",\"n\":null,\"o\":\"s\",\"e\":null,\"b\":null,\"x\":\"{}\"}\n";
  CHECK(out && !strcmp(out, want));
  if (out && strcmp(out, want)) fprintf(stderr, "got: %s\nwant: %s\n", out, want);
  free(out);
}

TEST(json_late_mismatch) {
  pq_text_read_options o;
  pq_text_read_options_init(&o);
  o.infer_rows = 2;
  char *out = NULL, fmts[512];
  parq_error err = {0};
  /* int into double and any scalar into string are accepted after inference */
  CHECK(jsonl("{\"a\":1,\"d\":1.5,\"s\":\"x\"}\n{\"a\":2}\n{\"a\":3,\"d\":2,\"s\":false}\n{\"s\":12.5}\n", &o,
              &out, fmts, &err) == 0);
  CHECK(out && strstr(out, "{\"a\":3,\"d\":2.0,\"s\":\"false\"}") && strstr(out, "\"s\":\"12.5\""));
  free(out);
  out = NULL;
  CHECK(jsonl("{\"a\":1}\n{\"a\":2}\n{\"a\":\"three\"}\n", &o, &out, fmts, &err) == PARQ_ESCHEMA);
  CHECK(strstr(err.message, "in.jsonl:3") && strstr(err.message, "'a'") &&
        strstr(err.message, "int64") && strstr(err.message, "string"));
  free(out);
  out = NULL;
  CHECK(jsonl("{\"a\":1}\n{\"a\":2}\n{\"a\":2.5}\n", &o, &out, fmts, &err) == PARQ_ESCHEMA);
  free(out);
}

static void schema_from(const char *json, struct ArrowSchema *s) {
  parq_error err = {0};
  int st = pq_schema_from_json(json, strlen(json), s, &err);
  if (st) fprintf(stderr, "schema: %s\n", err.message);
  CHECK(st == 0);
}

TEST(json_fixed_schema) {
  struct ArrowSchema s;
  schema_from("{\"fields\":[{\"name\":\"d\",\"type\":\"date\"},{\"name\":\"ts\",\"type\":\"timestamp_ms_utc\"},"
              "{\"name\":\"dec\",\"type\":\"decimal(10,2)\"},{\"name\":\"u8\",\"type\":\"uint8\"},"
              "{\"name\":\"m\",\"type\":{\"map\":[\"string\",\"int32\"]}},"
              "{\"name\":\"st\",\"type\":{\"struct\":[{\"name\":\"t\",\"type\":\"time_us\"},"
              "{\"name\":\"l\",\"type\":{\"list\":\"float\"}}]}},"
              "{\"name\":\"u\",\"type\":\"uuid\"},{\"name\":\"bin\",\"type\":\"binary\"}]}",
              &s);
  pq_text_read_options o;
  pq_text_read_options_init(&o);
  o.schema = &s;
  char *out = NULL;
  parq_error err = {0};
  const char *in =
      "{\"d\":\"2024-02-29\",\"ts\":\"2024-01-02T03:04:05.678+01:00\",\"dec\":\"-0.05\",\"u8\":255,"
      "\"m\":{\"a\":1,\"b\":null},\"st\":{\"t\":\"12:34:56.5\",\"l\":[1.5,2]},"
      "\"u\":\"123e4567-e89b-12d3-a456-426614174000\",\"bin\":\"aGVsbG8=\",\"extra\":[1,{\"q\":2}]}\n"
      "{\"d\":19000,\"ts\":0,\"dec\":12.3,\"m\":[{\"key\":\"k\",\"value\":5}],\"st\":null}\n";
  CHECK(jsonl(in, &o, &out, NULL, &err) == 0);
  const char *want =
      "{\"d\":\"2024-02-29\",\"ts\":\"2024-01-02T02:04:05.678Z\",\"dec\":-0.05,\"u8\":255,"
      "\"m\":[{\"key\":\"a\",\"value\":1},{\"key\":\"b\",\"value\":null}],"
      "\"st\":{\"t\":\"12:34:56.500000\",\"l\":[1.5,2.0]},\"u\":\"123e4567-e89b-12d3-a456-426614174000\","
      "\"bin\":\"aGVsbG8=\"}\n"
      "{\"d\":\"2022-01-08\",\"ts\":\"1970-01-01T00:00:00.000Z\",\"dec\":12.30,\"u8\":null,"
      "\"m\":[{\"key\":\"k\",\"value\":5}],\"st\":null,\"u\":null,\"bin\":null}\n";
  CHECK(out && !strcmp(out, want));
  if (out && strcmp(out, want)) fprintf(stderr, "got:  %s\nwant: %s\n", out, want);
  free(out);
  const char *bad[] = {"{\"u8\":256}\n", "{\"dec\":\"1.234\"}\n", "{\"d\":\"2023-02-29\"}\n",
                       "{\"st\":[1]}\n", "{\"u\":\"nope\"}\n", "{\"dec\":123456789012}\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    out = NULL;
    CHECK(jsonl(bad[i], &o, &out, NULL, &err) == PARQ_ESCHEMA);
    free(out);
  }
  s.release(&s);
}

TEST(projection) {
  pq_text_read_options o;
  pq_text_read_options_init(&o);
  const char *cols[] = {"c", "a"};
  o.columns = cols;
  o.n_columns = 2;
  char *out = NULL, fmts[512];
  parq_error err = {0};
  CHECK(jsonl("{\"a\":1,\"b\":\"x\",\"c\":true}\n{\"c\":false,\"b\":\"y\"}\n", &o, &out, fmts, &err) == 0);
  CHECK(!strcmp(fmts, "c:b a:l"));
  CHECK(out && !strcmp(out, "{\"c\":true,\"a\":1}\n{\"c\":false,\"a\":null}\n"));
  free(out);
  const char *missing[] = {"zz"};
  o.columns = missing;
  o.n_columns = 1;
  out = NULL;
  CHECK(jsonl("{\"a\":1}\n", &o, &out, NULL, &err) == PARQ_ESCHEMA);
  CHECK(strstr(err.message, "zz") != NULL);
  free(out);
}

static int csv(const char *name, const char *text, const pq_text_read_options *opt, char **out,
               char *fmts, parq_error *err) {
  const char *p = tpath(name);
  write_file(p, text, strlen(text));
  return read_render(p, opt, out, fmts, 512, err);
}

TEST(csv_read) {
  char *out = NULL, fmts[512];
  parq_error err = {0};
  const char *in =
      "i,d,b,dt,ts,s,e\r\n"
      "1,1.5,true,2024-01-01,2024-01-01 10:00:00,\"a,b\",\n"
      "-2,2,FALSE,2024-12-31,2024-01-01T10:00:00.25,\"multi\nline \"\"q\"\"\",\n"
      "\n"
      ",,,,,\"\",\n"
      "3,1e3,true,2000-02-29,2024-01-01,plain";
  CHECK(csv("t.csv", in, NULL, &out, fmts, &err) == 0);
  CHECK(!strcmp(fmts, "i:l d:g b:b dt:tdD ts:tsu: s:u e:u"));
  const char *want =
      "{\"i\":1,\"d\":1.5,\"b\":true,\"dt\":\"2024-01-01\",\"ts\":\"2024-01-01T10:00:00.000000\",\"s\":\"a,b\",\"e\":null}\n"
      "{\"i\":-2,\"d\":2.0,\"b\":false,\"dt\":\"2024-12-31\",\"ts\":\"2024-01-01T10:00:00.250000\",\"s\":\"multi\\nline \\\"q\\\"\",\"e\":null}\n"
      "{\"i\":null,\"d\":null,\"b\":null,\"dt\":null,\"ts\":null,\"s\":\"\",\"e\":null}\n"
      "{\"i\":3,\"d\":1000.0,\"b\":true,\"dt\":\"2000-02-29\",\"ts\":\"2024-01-01T00:00:00.000000\",\"s\":\"plain\",\"e\":null}\n";
  CHECK(out && !strcmp(out, want));
  if (out && strcmp(out, want)) fprintf(stderr, "got:  %s\nwant: %s\n", out, want);
  free(out);

  /* TSV by extension, no header, ragged and bad rows */
  pq_text_read_options o;
  pq_text_read_options_init(&o);
  o.csv_header = 0;
  out = NULL;
  CHECK(csv("t.tsv", "1\tx\n2\ty,z\n", &o, &out, fmts, &err) == 0);
  CHECK(!strcmp(fmts, "col0:l col1:u"));
  CHECK(out && !strcmp(out, "{\"col0\":1,\"col1\":\"x\"}\n{\"col0\":2,\"col1\":\"y,z\"}\n"));
  free(out);
  out = NULL;
  CHECK(csv("bad.csv", "a,b\n1,2\n1,2,3\n", NULL, &out, fmts, &err) == PARQ_ECORRUPT);
  CHECK(strstr(err.message, "bad.csv:3") != NULL);
  free(out);
  out = NULL;
  CHECK(csv("bad2.csv", "a,b\n1,\"2\n", NULL, &out, fmts, &err) == PARQ_ECORRUPT);
  free(out);
  /* late value that does not fit */
  o.csv_header = 1;
  o.infer_rows = 1;
  out = NULL;
  CHECK(csv("late.csv", "a\n1\nxyz\n", &o, &out, fmts, &err) == PARQ_ESCHEMA);
  CHECK(strstr(err.message, "late.csv:3") && strstr(err.message, "'a'") && strstr(err.message, "int64"));
  free(out);
}

TEST(csv_fixed_schema) {
  struct ArrowSchema s;
  schema_from("{\"fields\":[{\"name\":\"b\",\"type\":\"decimal(5,1)\"},{\"name\":\"l\",\"type\":{\"list\":\"int64\"}}]}", &s);
  pq_text_read_options o;
  pq_text_read_options_init(&o);
  o.schema = &s;
  char *out = NULL;
  parq_error err = {0};
  CHECK(csv("f.csv", "l,a,b\n\"[1,2]\",zz,12.5\n,q,\n", &o, &out, NULL, &err) == 0);
  CHECK(out && !strcmp(out, "{\"b\":12.5,\"l\":[1,2]}\n{\"b\":null,\"l\":null}\n"));
  free(out);
  s.release(&s);
}

TEST(schema_json_roundtrip) {
  const char *j =
      "{\"fields\":[{\"name\":\"id\",\"type\":\"int64\",\"nullable\":false},{\"name\":\"tags\",\"type\":{\"list\":\"string\"}},"
      "{\"name\":\"meta\",\"type\":{\"struct\":[{\"name\":\"lang\",\"type\":\"string\"},{\"name\":\"j\",\"type\":\"json\"}]}},"
      "{\"name\":\"m\",\"type\":{\"map\":[\"string\",\"double\"]}},{\"name\":\"u\",\"type\":\"uuid\"},"
      "{\"name\":\"d\",\"type\":\"decimal(40,3)\"},{\"name\":\"f\",\"type\":\"fixed(7)\"},"
      "{\"name\":\"t\",\"type\":\"timestamp_ns_utc\"},{\"name\":\"t2\",\"type\":\"time_ms\"},"
      "{\"name\":\"h\",\"type\":\"float16\"},{\"name\":\"fl\",\"type\":{\"fixed_list\":\"int8\",\"size\":3}},"
      "{\"name\":\"date\",\"type\":\"date\"},{\"name\":\"bin\",\"type\":\"binary\"},{\"name\":\"b\",\"type\":\"bool\"}]}";
  struct ArrowSchema s;
  schema_from(j, &s);
  CHECK(!strcmp(s.children[5]->format, "d:40,3,256"));
  CHECK(!strcmp(s.children[3]->format, "+m"));
  CHECK(!(s.children[0]->flags & ARROW_FLAG_NULLABLE));
  parq_buf b = PARQ_BUF_INIT;
  parq_error err = {0};
  CHECK(pq_schema_to_json(&s, &b, &err) == 0);
  parq_buf_append_byte(&b, 0);
  CHECK(!strcmp((char *)b.data, j));
  if (strcmp((char *)b.data, j)) fprintf(stderr, "got: %s\n", b.data);
  parq_buf_free(&b);
  s.release(&s);
  const char *bad[] = {"{}", "{\"fields\":[{\"name\":\"a\"}]}", "{\"fields\":[{\"name\":\"a\",\"type\":\"int65\"}]}",
                       "{\"fields\":[{\"name\":\"a\",\"type\":\"int8\"},{\"name\":\"a\",\"type\":\"int8\"}]}",
                       "{\"fields\":[", "{\"fields\":[{\"name\":\"a\",\"type\":{\"map\":[\"string\"]}}]}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(pq_schema_from_json(bad[i], strlen(bad[i]), &s, &err) < 0);
  }
}

/* ---------------- writers on hand-built arrays ---------------- */

static void *mdup(const void *p, size_t n) {
  void *q = malloc(n ? n : 1);
  if (n) memcpy(q, p, n);
  return q;
}

/* Array with validity (may be NULL) and up to two more buffers, offset applied. */
static void mk(struct ArrowArray *a, int64_t len, int64_t off, const uint8_t *valid, size_t vn,
               const void *b1, size_t n1, const void *b2, size_t n2, int nbuf) {
  void *bufs[3] = {valid ? mdup(valid, vn) : NULL, b1 ? mdup(b1, n1) : NULL, b2 ? mdup(b2, n2) : NULL};
  pq_arrow_array_make(a, len, -1, nbuf, bufs, 0, NULL);
  a->offset = off;
}

static char *wv(const char *fmt, const struct ArrowArray *a, int64_t i) {
  static char res[4096];
  struct ArrowSchema s;
  pq_arrow_schema_init(&s, fmt, "x", ARROW_FLAG_NULLABLE, 0);
  parq_buf b = PARQ_BUF_INIT;
  parq_error err = {0};
  int st = pq_json_write_value(&s, a, i, &b, &err);
  snprintf(res, sizeof res, "%.*s", st ? 3 : (int)b.len, st ? "ERR" : (char *)b.data);
  parq_buf_free(&b);
  s.release(&s);
  return res;
}

TEST(writer_scalars) {
  struct ArrowArray a;
  const uint8_t valid = 0x5; /* 1,0,1 */
  int32_t i32[] = {7, -3, 5};
  mk(&a, 2, 1, &valid, 1, i32, sizeof i32, NULL, 0, 2);
  CHECK(!strcmp(wv("i", &a, 0), "null"));
  CHECK(!strcmp(wv("i", &a, 1), "5"));
  a.release(&a);
  int8_t i8[] = {-128, 127};
  mk(&a, 2, 0, NULL, 0, i8, 2, NULL, 0, 2);
  CHECK(!strcmp(wv("c", &a, 0), "-128") && !strcmp(wv("C", &a, 0), "128"));
  a.release(&a);
  int16_t i16[] = {-32768};
  mk(&a, 1, 0, NULL, 0, i16, 2, NULL, 0, 2);
  CHECK(!strcmp(wv("s", &a, 0), "-32768") && !strcmp(wv("S", &a, 0), "32768"));
  a.release(&a);
  uint32_t u32[] = {4294967295u};
  mk(&a, 1, 0, NULL, 0, u32, 4, NULL, 0, 2);
  CHECK(!strcmp(wv("I", &a, 0), "4294967295"));
  a.release(&a);
  int64_t i64[] = {INT64_MIN, -1};
  mk(&a, 2, 0, NULL, 0, i64, sizeof i64, NULL, 0, 2);
  CHECK(!strcmp(wv("l", &a, 0), "-9223372036854775808"));
  CHECK(!strcmp(wv("L", &a, 1), "18446744073709551615"));
  CHECK(!strcmp(wv("tDn", &a, 1), "-1"));
  CHECK(!strcmp(wv("tsu:", &a, 1), "\"1969-12-31T23:59:59.999999\""));
  CHECK(!strcmp(wv("tdm", &a, 1), "\"1969-12-31\""));
  a.release(&a);
  double d[] = {0.1, 1.0, -0.0, NAN, INFINITY, -INFINITY, 1e308, 5e-324, 123456789012345678.0};
  mk(&a, 9, 0, NULL, 0, d, sizeof d, NULL, 0, 2);
  const char *dw[] = {"0.1", "1.0", "-0.0", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "1e+308",
                      "4.94065645841247e-324", "1.2345678901234568e+17"};
  for (int i = 0; i < 9; i++) {
    CHECK(!strcmp(wv("g", &a, i), dw[i]));
    if (strcmp(wv("g", &a, i), dw[i])) fprintf(stderr, "double %d: %s\n", i, wv("g", &a, i));
  }
  a.release(&a);
  float f[] = {0.1f, 3.0f};
  mk(&a, 2, 0, NULL, 0, f, sizeof f, NULL, 0, 2);
  CHECK(!strcmp(wv("f", &a, 0), "0.1") && !strcmp(wv("f", &a, 1), "3.0"));
  a.release(&a);
  uint16_t h[] = {0x3C00, 0xC000, 0x3555, 0x7C00};
  mk(&a, 4, 0, NULL, 0, h, sizeof h, NULL, 0, 2);
  CHECK(!strcmp(wv("e", &a, 0), "1.0") && !strcmp(wv("e", &a, 1), "-2.0") &&
        !strcmp(wv("e", &a, 2), "0.33325195") && !strcmp(wv("e", &a, 3), "\"Infinity\""));
  a.release(&a);
  uint8_t bits = 0x6; /* 0,1,1 */
  mk(&a, 2, 1, NULL, 0, &bits, 1, NULL, 0, 2);
  CHECK(!strcmp(wv("b", &a, 0), "true") && !strcmp(wv("b", &a, 1), "true"));
  a.release(&a);
  int32_t days[] = {0, 19782, -1};
  mk(&a, 3, 0, NULL, 0, days, sizeof days, NULL, 0, 2);
  CHECK(!strcmp(wv("tdD", &a, 1), "\"2024-02-29\"") && !strcmp(wv("tdD", &a, 2), "\"1969-12-31\""));
  CHECK(!strcmp(wv("tts", &a, 1), "\"05:29:42\"") && !strcmp(wv("ttm", &a, 1), "\"00:00:19.782\""));
  a.release(&a);
  int64_t ts[] = {1700000000123456789LL, 45296000001LL};
  mk(&a, 2, 0, NULL, 0, ts, sizeof ts, NULL, 0, 2);
  CHECK(!strcmp(wv("tsn:UTC", &a, 0), "\"2023-11-14T22:13:20.123456789Z\""));
  CHECK(!strcmp(wv("tsm:Europe/Paris", &a, 1), "\"1971-06-09T06:13:20.001Z\""));
  CHECK(!strcmp(wv("ttu", &a, 1), "\"12:34:56.000001\""));
  CHECK(!strcmp(wv("tss:", &a, 1), "\"3405-05-17T06:13:21\""));
  a.release(&a);
}

TEST(writer_strings_binary_decimal) {
  struct ArrowArray a;
  int32_t offs[] = {0, 3, 3, 10, 13};
  const char data[] = "abc\"\n\\\x01\xc3\xa9\xff" "xyz";
  const uint8_t valid = 0xD; /* 1,0,1,1 */
  mk(&a, 3, 1, &valid, 1, offs, sizeof offs, data, 13, 3);
  CHECK(!strcmp(wv("u", &a, 0), "null"));
  CHECK(!strcmp(wv("u", &a, 1), "\"\\\"\\n\\\\\\u0001\xc3\xa9\\ufffd\""));
  CHECK(!strcmp(wv("u", &a, 2), "\"xyz\""));
  CHECK(!strcmp(wv("z", &a, 2), "\"eHl6\""));
  a.release(&a);
  int64_t loffs[] = {0, 5};
  mk(&a, 1, 0, NULL, 0, loffs, sizeof loffs, "hello", 5, 3);
  CHECK(!strcmp(wv("U", &a, 0), "\"hello\"") && !strcmp(wv("Z", &a, 0), "\"aGVsbG8=\""));
  a.release(&a);
  /* string views: one inline, one out of line */
  uint8_t views[32] = {0};
  int32_t l1 = 2, l2 = 14, bi = 0, off = 1;
  memcpy(views, &l1, 4);
  memcpy(views + 4, "hi", 2);
  memcpy(views + 16, &l2, 4);
  memcpy(views + 20, "_abc", 4);
  memcpy(views + 24, &bi, 4);
  memcpy(views + 28, &off, 4);
  int64_t sizes[] = {15};
  void *vb[4] = {NULL, mdup(views, 32), mdup("_abcdefghijklmn", 15), mdup(sizes, 8)};
  pq_arrow_array_make(&a, 2, 0, 4, vb, 0, NULL);
  CHECK(!strcmp(wv("vu", &a, 0), "\"hi\"") && !strcmp(wv("vu", &a, 1), "\"abcdefghijklmn\""));
  a.release(&a);
  uint8_t fx[16];
  for (int i = 0; i < 16; i++) fx[i] = (uint8_t)(i * 17);
  mk(&a, 1, 0, NULL, 0, fx, 16, NULL, 0, 2);
  CHECK(!strcmp(wv("w:16", &a, 0), "\"ABEiM0RVZneImaq7zN3u/w==\""));
  struct ArrowSchema us;
  pq_arrow_schema_init(&us, "w:16", "u", 0, 0);
  const char *k[] = {"ARROW:extension:name"}, *v[] = {"arrow.uuid"};
  pq_arrow_schema_set_metadata(&us, k, v, 1);
  parq_buf b = PARQ_BUF_INIT;
  CHECK(pq_json_write_value(&us, &a, 0, &b, NULL) == 0);
  parq_buf_append_byte(&b, 0);
  CHECK(!strcmp((char *)b.data, "\"00112233-4455-6677-8899-aabbccddeeff\""));
  parq_buf_free(&b);
  us.release(&us);
  a.release(&a);
  /* decimal128: -5 and 1234, 2^127-1; decimal256 -1 */
  uint8_t d128[48];
  memset(d128, 0xff, 16);
  d128[0] = 0xfb;
  memset(d128 + 16, 0, 16);
  d128[16] = 0xd2;
  d128[17] = 0x04;
  memset(d128 + 32, 0xff, 16);
  d128[47] = 0x7f;
  mk(&a, 3, 0, NULL, 0, d128, 48, NULL, 0, 2);
  CHECK(!strcmp(wv("d:5,2", &a, 0), "-0.05"));
  CHECK(!strcmp(wv("d:5,2", &a, 1), "12.34"));
  CHECK(!strcmp(wv("d:5,0", &a, 1), "1234"));
  CHECK(!strcmp(wv("d:5,6", &a, 1), "0.001234"));
  CHECK(!strcmp(wv("d:38,0", &a, 2), "170141183460469231731687303715884105727"));
  a.release(&a);
  uint8_t d256[32];
  memset(d256, 0xff, 32);
  mk(&a, 1, 0, NULL, 0, d256, 32, NULL, 0, 2);
  CHECK(!strcmp(wv("d:40,1,256", &a, 0), "-0.1"));
  a.release(&a);
  int32_t d32 = -12345;
  mk(&a, 1, 0, NULL, 0, &d32, 4, NULL, 0, 2);
  CHECK(!strcmp(wv("d:9,3,32", &a, 0), "-12.345"));
  a.release(&a);
}

static void mk_int32_child(struct ArrowArray *c, int n, const int32_t *v, int64_t off) {
  mk(c, n, off, NULL, 0, v, (size_t)(n + off) * 4, NULL, 0, 2);
}

TEST(writer_nested) {
  /* list<int32> with child offset 1: child values [99,1,2,3]; list offsets
   * [0,2,2,3] over child logical indexes; list offset 1, rows: [],null? */
  struct ArrowArray kid, a;
  int32_t cv[] = {99, 1, 2, 3};
  mk_int32_child(&kid, 3, cv, 1);
  int32_t lo[] = {0, 2, 2, 3};
  const uint8_t lvalid = 0x5; /* row1 null */
  void *bufs[2] = {mdup(&lvalid, 1), mdup(lo, sizeof lo)};
  pq_arrow_array_make(&a, 3, 1, 2, bufs, 1, &kid);
  struct ArrowSchema s;
  pq_arrow_schema_init(&s, "+l", "l", ARROW_FLAG_NULLABLE, 1);
  pq_arrow_schema_init(s.children[0], "i", "item", ARROW_FLAG_NULLABLE, 0);
  parq_buf b = PARQ_BUF_INIT;
  for (int i = 0; i < 3; i++) {
    CHECK(pq_json_write_value(&s, &a, i, &b, NULL) == 0);
    parq_buf_append_byte(&b, ';');
  }
  parq_buf_append_byte(&b, 0);
  CHECK(!strcmp((char *)b.data, "[1,2];null;[3];"));
  parq_buf_free(&b);
  s.release(&s);
  a.release(&a);

  /* fixed list of 2 */
  mk_int32_child(&kid, 4, cv, 0);
  void *fb[1] = {NULL};
  pq_arrow_array_make(&a, 2, 0, 1, fb, 1, &kid);
  a.offset = 1;
  pq_arrow_schema_init(&s, "+w:2", "f", 0, 1);
  pq_arrow_schema_init(s.children[0], "i", "item", ARROW_FLAG_NULLABLE, 0);
  CHECK(pq_json_write_value(&s, &a, 0, &b, NULL) == 0);
  parq_buf_append_byte(&b, 0);
  CHECK(!strcmp((char *)b.data, "[2,3]"));
  parq_buf_free(&b);
  s.release(&s);
  a.release(&a);

  /* map<utf8,int32> */
  struct ArrowArray keys, vals, ent[1], m;
  int32_t ko[] = {0, 1, 2};
  mk(&keys, 2, 0, NULL, 0, ko, sizeof ko, "ab", 2, 3);
  const uint8_t vv = 0x1;
  mk(&vals, 2, 0, &vv, 1, cv, 8, NULL, 0, 2);
  struct ArrowArray ek[2] = {keys, vals};
  void *eb[1] = {NULL};
  pq_arrow_array_make(&ent[0], 2, 0, 1, eb, 2, ek);
  int32_t mo[] = {0, 2};
  void *mb[2] = {NULL, mdup(mo, sizeof mo)};
  pq_arrow_array_make(&m, 1, 0, 2, mb, 1, ent);
  pq_arrow_schema_init(&s, "+m", "m", 0, 1);
  pq_arrow_schema_init(s.children[0], "+s", "entries", 0, 2);
  pq_arrow_schema_init(s.children[0]->children[0], "u", "key", 0, 0);
  pq_arrow_schema_init(s.children[0]->children[1], "i", "value", ARROW_FLAG_NULLABLE, 0);
  CHECK(pq_json_write_value(&s, &m, 0, &b, NULL) == 0);
  parq_buf_append_byte(&b, 0);
  CHECK(!strcmp((char *)b.data, "[{\"key\":\"a\",\"value\":99},{\"key\":\"b\",\"value\":null}]"));
  parq_buf_free(&b);
  s.release(&s);
  m.release(&m);

  /* struct batch with a null type column, offsets on the batch; JSONL + CSV */
  struct ArrowArray c0, c1, c2, batch;
  mk_int32_child(&c0, 3, cv, 0);
  int32_t so[] = {0, 3, 7, 8};
  mk(&c1, 3, 0, NULL, 0, so, sizeof so, "x,yq\"rsz", 8, 3);
  void *nb[1] = {NULL};
  pq_arrow_array_make(&c2, 3, 3, 0, nb, 0, NULL);
  struct ArrowArray bk[3] = {c0, c1, c2};
  void *bb[1] = {NULL};
  pq_arrow_array_make(&batch, 2, 0, 1, bb, 3, bk);
  batch.offset = 1;
  pq_arrow_schema_init(&s, "+s", "", 0, 3);
  pq_arrow_schema_init(s.children[0], "i", "n", 0, 0);
  pq_arrow_schema_init(s.children[1], "u", "s,\"t", 0, 0);
  pq_arrow_schema_init(s.children[2], "n", "z", ARROW_FLAG_NULLABLE, 0);
  CHECK(pq_jsonl_write_batch(&s, &batch, &b, NULL) == 0);
  parq_buf_append_byte(&b, 0);
  CHECK(!strcmp((char *)b.data, "{\"n\":1,\"s,\\\"t\":\"q\\\"rs\",\"z\":null}\n{\"n\":2,\"s,\\\"t\":\"z\",\"z\":null}\n"));
  parq_buf_free(&b);
  CHECK(pq_csv_write_header(&s, &b, NULL) == 0);
  CHECK(pq_csv_write_batch(&s, &batch, &b, NULL) == 0);
  parq_buf_append_byte(&b, 0);
  CHECK(!strcmp((char *)b.data, "n,\"s,\"\"t\",z\n1,\"q\"\"rs\",\n2,z,\n"));
  parq_buf_free(&b);
  s.release(&s);
  batch.release(&batch);
}

/* ---------------- batching / memory ---------------- */

static char *gen_lines(int n, size_t *len) {
  parq_buf b = PARQ_BUF_INIT;
  for (int i = 0; i < n; i++) {
    parq_buf_printf(&b,
                    "{\"id\":%d,\"url\":\"https://ex.com/%d\",\"score\":%g,\"tags\":[\"a\",\"b%d\"],"
                    "\"m\":{\"k\":%d},\"t\":\"line %d \\n \\u00e9 \\\"q\\\"\"%s}\n",
                    i, i, i * 0.25, i % 7, i % 3, i, i % 5 ? "" : ",\"opt\":true");
  }
  *len = b.len;
  return (char *)parq_buf_detach(&b);
}

TEST(batch_sizes_identical) {
  size_t len;
  char *text = gen_lines(100000, &len);
  const char *p = tpath("big.jsonl");
  write_file(p, text, len);
  free(text);
  char *ref = NULL;
  int64_t sizes[] = {8192, 1, 997, 100000, 250000};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    pq_text_read_options o;
    pq_text_read_options_init(&o);
    o.batch_rows = sizes[k];
    if (sizes[k] == 1) o.infer_rows = 100000;
    char *out = NULL;
    parq_error err = {0};
    if (sizes[k] == 1) { /* one-row batches are slow under sanitizers: count only */
      pq_text_reader *r;
      CHECK(pq_text_reader_open(p, &o, &r, &err) == 0);
      int64_t rows = 0;
      struct ArrowArray a;
      while (pq_text_reader_next(r, &a, &err) == PARQ_OK) {
        rows += a.length;
        CHECK(a.length == 1);
        a.release(&a);
      }
      CHECK(rows == 100000);
      CHECK(pq_text_reader_bytes_read(r) == pq_text_reader_bytes_total(r));
      pq_text_reader_close(r);
      continue;
    }
    CHECK(read_render(p, &o, &out, NULL, 0, &err) == 0);
    if (!ref) ref = out;
    else {
      CHECK(out && !strcmp(out, ref));
      free(out);
    }
  }
  CHECK(ref && strstr(ref, "{\"id\":99999,\"url\":\"https://ex.com/99999\",\"score\":24999.8,"
                           "\"tags\":[\"a\",\"b4\"],\"m\":{\"k\":0},\"t\":\"line 99999 \\n \xc3\xa9 \\\"q\\\"\",\"opt\":null}\n"));
  free(ref);
  unlink(p);
}

TEST(bounded_memory) {
  /* ~50 MB of JSONL, plus one 12 MB line forcing the buffer to grow */
  const char *p = tpath("mem.jsonl");
  FILE *f = fopen(p, "wb");
  CHECK(f != NULL);
  if (!f) return;
  size_t long_len = 12u << 20;
  char *big = malloc(long_len);
  memset(big, 'x', long_len);
  int64_t lines = 0;
  for (int i = 0; i < 200000; i++, lines++)
    fprintf(f, "{\"i\":%d,\"s\":\"%.*s\"}\n", i, 150 + i % 100, big);
  fprintf(f, "{\"i\":-1,\"s\":\"%.*s\"}\n", (int)long_len, big);
  lines++;
  for (int i = 0; i < 20000; i++, lines++) fprintf(f, "{\"i\":%d,\"s\":\"y\"}\n", i);
  fclose(f);
  free(big);
  pq_text_read_options o;
  pq_text_read_options_init(&o);
  o.infer_rows = 1000;
  pq_text_reader *r;
  parq_error err = {0};
  CHECK(pq_text_reader_open(p, &o, &r, &err) == 0);
  int64_t rows = 0;
  size_t max_cap = 0;
  struct ArrowArray a;
  int st;
  while ((st = pq_text_reader_next(r, &a, &err)) == PARQ_OK) {
    rows += a.length;
    a.release(&a);
    if (pq_text_reader_buffer_size(r) > max_cap) max_cap = pq_text_reader_buffer_size(r);
  }
  CHECK(st == PARQ_DONE);
  CHECK(rows == lines);
  CHECK(pq_text_reader_bytes_total(r) > (int64_t)50 << 20);
  CHECK(pq_text_reader_bytes_read(r) == pq_text_reader_bytes_total(r));
  CHECK(max_cap <= (size_t)16 << 20);                        /* grew once for the long line */
  CHECK(pq_text_reader_buffer_size(r) <= (size_t)8 << 20);   /* and shrank back */
  pq_text_reader_close(r);
  unlink(p);
}

TEST(format_from_path) {
  CHECK(pq_format_from_path("a.jsonl") == PQ_FMT_JSONL);
  CHECK(pq_format_from_path("a.NDJSON") == PQ_FMT_JSONL);
  CHECK(pq_format_from_path("x/a.json") == PQ_FMT_JSONL);
  CHECK(pq_format_from_path("a.csv") == PQ_FMT_CSV);
  CHECK(pq_format_from_path("a.tsv") == PQ_FMT_CSV);
  CHECK(pq_format_from_path("a.parquet") == PQ_FMT_PARQUET);
  CHECK(pq_format_from_path("a.pq") == PQ_FMT_PARQUET);
  CHECK(pq_format_from_path("a.txt") == PQ_FMT_AUTO);
  pq_text_reader *r = NULL;
  parq_error err = {0};
  CHECK(pq_text_reader_open(tpath("nope.jsonl"), NULL, &r, &err) == PARQ_EIO);
  CHECK(pq_text_reader_open(tpath("x.txt"), NULL, &r, &err) == PARQ_EINVAL);
}

TEST(empty_inputs) {
  char *out = NULL, fmts[512];
  parq_error err = {0};
  CHECK(jsonl("", NULL, &out, fmts, &err) == 0);
  CHECK(out && !strcmp(out, "") && !strcmp(fmts, ""));
  free(out);
  out = NULL;
  CHECK(jsonl("\n \n{}\n", NULL, &out, fmts, &err) == 0);
  CHECK(out && !strcmp(out, "{}\n"));
  free(out);
  out = NULL;
  CHECK(csv("e.csv", "", NULL, &out, fmts, &err) == 0);
  free(out);
  out = NULL;
  CHECK(csv("h.csv", "a,b\n", NULL, &out, fmts, &err) == 0);
  CHECK(!strcmp(fmts, "a:u b:u"));
  free(out);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/parq_test_io_XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  RUN(json_basic_and_escapes);
  RUN(json_big_ints_and_numbers);
  RUN(json_invalid_lines);
  RUN(json_deep_nesting);
  RUN(json_inference);
  RUN(json_late_mismatch);
  RUN(json_fixed_schema);
  RUN(projection);
  RUN(csv_read);
  RUN(csv_fixed_schema);
  RUN(schema_json_roundtrip);
  RUN(writer_scalars);
  RUN(writer_strings_binary_decimal);
  RUN(writer_nested);
  RUN(batch_sizes_identical);
  RUN(bounded_memory);
  RUN(format_from_path);
  RUN(empty_inputs);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd)) fprintf(stderr, "cleanup failed\n");
  TEST_SUMMARY();
}
