/* test_sql.c — unit tests of the SQL engine (src/dataset/query): parse errors carry the
 * offending token's offset, three-valued logic, NULL grouping, aggregates skipping NULLs,
 * ORDER BY NULLS FIRST/LAST, LIMIT/OFFSET, and the two-rank aggregate exchange through a
 * fake in-process communicator (same result as one rank), and string-view columns ("vu":
 * inline, out-of-line, NULL, and views pointing outside their buffers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset/query/query.h"
#include "io/io.h"
#include "test.h"
#include "util/arrow.h"
#include "util/blob.h"

static char path[256];

static void write_data(void) {
  snprintf(path, sizeof path, "/tmp/parq_test_sql_%d.jsonl", (int)getpid());
  FILE *f = fopen(path, "w");
  fputs("{\"a\":1,\"g\":\"x\",\"v\":1.5,\"b\":true}\n"
        "{\"a\":2,\"g\":\"y\",\"v\":null,\"b\":null}\n"
        "{\"a\":null,\"g\":null,\"v\":2.5,\"b\":false}\n"
        "{\"a\":4,\"g\":\"x\",\"v\":-1,\"b\":true}\n", f);
  fclose(f);
}

/* Run a query (with %s = the data path) and return the result as CSV text. */
static char *run_q(const char *fmt, const pq_comm *comm, int *pos) {
  static char q[1024];
  snprintf(q, sizeof q, fmt, path);
  pq_query query;
  pq_query_error err;
  memset(&err, 0, sizeof err);
  *pos = -2;
  if (pq_query_parse(q, &query, &err) != PARQ_OK) {
    *pos = err.pos;
    pq_query_free(&query);
    return NULL;
  }
  pq_comm local;
  pq_comm_local(&local);
  pq_exec_options o = {.memory_limit = 0};
  pq_result r;
  memset(&err, 0, sizeof err);
  err.pos = -1;
  if (pq_query_run(&query, &o, comm ? comm : &local, &r, &err) != PARQ_OK) {
    *pos = err.pos;
    pq_query_free(&query);
    return NULL;
  }
  struct ArrowSchema s;
  struct ArrowArray b;
  parq_buf out = PARQ_BUF_INIT;
  parq_error e = {0};
  if (pq_result_to_arrow(&r, &s, &b, &e) == PARQ_OK) {
    pq_csv_write_header(&s, &out, &e);
    pq_csv_write_batch(&s, &b, &out, &e);
    b.release(&b);
    s.release(&s);
  }
  parq_buf_append_byte(&out, 0);
  pq_result_free(&r);
  pq_query_free(&query);
  return (char *)out.data;
}

static int same(const char *fmt, const char *want) {
  int pos;
  char *got = run_q(fmt, NULL, &pos);
  int ok = got && !strcmp(got, want);
  if (!ok) fprintf(stderr, "query %s\n  got: %s\n  want: %s\n", fmt, got ? got : "(error)", want);
  free(got);
  return ok;
}

TEST(parse_error_positions) {
  pq_query q;
  pq_query_error e;
  memset(&e, 0, sizeof e);
  CHECK(pq_query_parse("SELECT a, FROM 'x'", &q, &e) == PARQ_EINVAL);
  CHECK(e.pos == 10);
  pq_query_free(&q);
  memset(&e, 0, sizeof e);
  CHECK(pq_query_parse("SELECT a FROM 'x' WHERE a = 'unterminated", &q, &e) == PARQ_EINVAL);
  CHECK(e.pos == 28);
  pq_query_free(&q);
  memset(&e, 0, sizeof e);
  CHECK(pq_query_parse("SELECT nosuchfn(a) FROM 'x'", &q, &e) == PARQ_EINVAL);
  CHECK(e.pos == 7);
  pq_query_free(&q);
  int pos;
  CHECK(run_q("SELECT zz FROM '%s'", NULL, &pos) == NULL);
  CHECK(pos == 7);
}

TEST(null_semantics) {
  CHECK(same("SELECT a FROM '%s' WHERE b OR a > 3 ORDER BY a", "a\n1\n4\n"));
  CHECK(same("SELECT count(*) AS n FROM '%s' WHERE NOT b", "n\n1\n"));
  CHECK(same("SELECT a IN (1, NULL) AS i FROM '%s' ORDER BY a NULLS FIRST", "i\n\ntrue\n\n\n"));
  CHECK(same("SELECT g, count(*) AS n, count(a) AS ca, sum(v) AS s FROM '%s' GROUP BY g "
             "ORDER BY g NULLS FIRST",
             "g,n,ca,s\n,1,0,2.5\nx,2,2,0.5\ny,1,1,\n"));
  CHECK(same("SELECT coalesce(a, 0) + 1 AS c FROM '%s' ORDER BY c DESC LIMIT 2 OFFSET 1",
             "c\n3\n2\n"));
  CHECK(same("SELECT a FROM '%s' ORDER BY a DESC NULLS FIRST", "a\n\n4\n2\n1\n"));
  CHECK(same("SELECT avg(a) AS m, min(g) AS lo, max(v) AS hi FROM '%s'", "m,lo,hi\n"
             "2.3333333333333335,x,2.5\n"));
}

/* A fake two-rank communicator for rank 0: alltoallv hands back everything sent (to
 * either rank), so every group goes through serialise -> exchange -> merge; gather echoes. */
static parq_status f_alltoallv(void *ctx, const parq_buf *send, parq_buf *recv, parq_error *err) {
  (void)ctx;
  (void)err;
  parq_buf_clear(recv);
  for (int r = 0; r < 2; r++) parq_buf_append(recv, send[r].data, send[r].len);
  return PARQ_OK;
}
static parq_status f_gather(void *ctx, const void *d, size_t n, parq_buf *recv, parq_error *err) {
  (void)ctx;
  (void)err;
  parq_buf_clear(recv);
  parq_buf_append(recv, d, n);
  return PARQ_OK;
}
static int f_ok(void *ctx, int ok) { (void)ctx; return ok; }

TEST(two_rank_merge) {
  pq_comm c = {.rank = 0, .size = 2, .alltoallv = f_alltoallv, .gather = f_gather, .all_ok = f_ok};
  int pos;
  char *got = run_q("SELECT g, count(*) AS n, count(DISTINCT a) AS d, sum(v) AS s, min(g) AS m "
                    "FROM '%s' GROUP BY g ORDER BY g NULLS FIRST", &c, &pos);
  CHECK(got && !strcmp(got, "g,n,d,s,m\n,1,0,2.5,\nx,2,2,0.5,x\ny,1,1,,y\n"));
  free(got);
  got = run_q("SELECT count(*) AS n, max(a) AS m FROM '%s'", &c, &pos);
  CHECK(got && !strcmp(got, "n,m\n4,4\n"));
  free(got);
}

/* A one-column "+s" batch of string views; views[] are raw 16-byte views. */
static void views_batch(struct ArrowSchema *s, struct ArrowArray *b, const uint8_t *views,
                        int n, uint8_t *validity, const char *data) {
  pq_arrow_schema_init(s, "+s", "", 0, 1);
  pq_arrow_schema_init(s->children[0], "vu", "s", 2, 0);
  pq_blob *blob = pq_blob_new(64);
  memcpy(blob->data, data, strlen(data));
  blob->len = strlen(data);
  pq_blob **blobs = malloc(sizeof *blobs);
  blobs[0] = blob;
  uint8_t *vw = malloc((size_t)n * 16);
  memcpy(vw, views, (size_t)n * 16);
  struct ArrowArray kid;
  int nulls = 0;
  for (int i = 0; validity && i < n; i++) nulls += !(validity[0] >> i & 1);
  pq_arrow_array_make_views(&kid, n, nulls, validity, vw, blobs, 1);
  void *none[1] = {NULL};
  pq_arrow_array_make(b, n, 0, 1, none, 1, &kid);
}

static void view(uint8_t *v, uint32_t len, const char *inl, int32_t bi, int32_t off) {
  memset(v, 0, 16);
  memcpy(v, &len, 4);
  if (len <= 12) {
    memcpy(v + 4, inl, len);
  } else {
    memcpy(v + 4, inl, 4);
    memcpy(v + 8, &bi, 4);
    memcpy(v + 12, &off, 4);
  }
}

TEST(string_views) {
  const char *data = "0123456789abcdefghijklmnopqrstuvwxyz";
  uint8_t v[4 * 16];
  view(v, 5, "short", 0, 0);
  view(v + 16, 20, "0123", 0, 0);    /* out of line: data[0..20) */
  view(v + 32, 0, "", 0, 0);         /* NULL slot */
  view(v + 48, 13, "abcd", 0, 10);   /* data[10..23) */
  uint8_t *valid = malloc(1);
  valid[0] = 0x0B; /* rows 0, 1, 3 */
  struct ArrowSchema s;
  struct ArrowArray b;
  views_batch(&s, &b, v, 4, valid, data);
  parq_arena a = PARQ_ARENA_INIT;
  qvec x;
  pq_query_error err;
  memset(&err, 0, sizeof err);
  CHECK(pq_column_vec(&s, &b, "s", QT_STR, &a, &x, "t", &err) == PARQ_OK);
  CHECK(x.t == QT_STR && x.n == 4);
  CHECK(x.s[0].n == 5 && !memcmp(x.s[0].p, "short", 5));
  CHECK(x.s[1].n == 20 && !memcmp(x.s[1].p, data, 20));
  CHECK(x.nul && x.nul[2] && !x.nul[0] && !x.nul[3]);
  CHECK(x.s[3].n == 13 && !memcmp(x.s[3].p, data + 10, 13));
  b.release(&b);
  s.release(&s);
  /* hostile views: a buffer index past the buffers, a range past the buffer's end */
  view(v + 16, 20, "0123", 1, 0);
  views_batch(&s, &b, v, 2, NULL, data);
  CHECK(pq_column_vec(&s, &b, "s", QT_STR, &a, &x, "t", &err) == PARQ_ECORRUPT);
  b.release(&b);
  s.release(&s);
  view(v + 16, 30, "0123", 0, 20);
  views_batch(&s, &b, v, 2, NULL, data);
  CHECK(pq_column_vec(&s, &b, "s", QT_STR, &a, &x, "t", &err) == PARQ_ECORRUPT);
  b.release(&b);
  s.release(&s);
  parq_arena_free(&a);
}

int main(void) {
  write_data();
  RUN(parse_error_positions);
  RUN(null_semantics);
  RUN(two_rank_merge);
  RUN(string_views);
  unlink(path);
  TEST_SUMMARY();
}
