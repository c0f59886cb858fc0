/* bench_io.c — throughput of the text I/O layer on web-corpus-like JSONL:
 * generates ~200 MB of lines (a ~3,000-char "text" with \n \" \u00e9
 * escapes and raw UTF-8, id/url/dump strings, a float score, int counts),
 * then times JSONL -> Arrow batches and Arrow -> JSONL. Prints MB/s.
 * Usage: bench_io [MB] [path]   (not a test) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"
#include "util/arrow.h"
#include "util/buf.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: robust on busy machines */
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void gen(const char *path, size_t target) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  static const char *words[] = {"the", "of", "and", "web", "data", "parquet", "caf\xc3\xa9",
                                "r\\u00e9sum\\u00e9", "\\\"quoted\\\"", "na\xc3\xafve", "columnar",
                                "compression", "information", "a", "to", "in"};
  char *text = malloc(8192);
  size_t written = 0;
  for (long i = 0; written < target; i++) {
    size_t n = 0, want = 2500 + next_rand() % 1000;
    while (n < want) {
      const char *w = words[next_rand() % 16];
      size_t l = strlen(w);
      memcpy(text + n, w, l);
      n += l;
      uint64_t r = next_rand() % 40;
      if (r == 0) { memcpy(text + n, "\\n", 2); n += 2; }
      else if (r == 1) { memcpy(text + n, ". ", 2); n += 2; }
      else text[n++] = ' ';
    }
    text[n] = 0;
    int k = fprintf(f,
                    "{\"text\":\"%s\",\"id\":\"<urn:uuid:%08lx-%04lx>\",\"dump\":\"CC-MAIN-2024-10\","
                    "\"url\":\"https://example.com/page/%ld?q=%lu\",\"date\":\"2024-02-%02ld\","
                    "\"language\":\"en\",\"language_score\":%.6f,\"token_count\":%lu,\"n_links\":%lu}\n",
                    text, (unsigned long)(next_rand() & 0xffffffff), (unsigned long)(next_rand() & 0xffff), i,
                    (unsigned long)(next_rand() % 100000), 1 + i % 28,
                    (double)(next_rand() % 1000000) / 1e6, (unsigned long)(n / 4),
                    (unsigned long)(next_rand() % 50));
    written += (size_t)k;
  }
  free(text);
  fclose(f);
}

int main(int argc, char **argv) {
  size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 200;
  const char *path = argc > 2 ? argv[2] : "/tmp/parq_bench_io.jsonl";
  if (access(path, R_OK) != 0 || argc <= 2) gen(path, mb << 20);

  parq_error err = {0};
  pq_text_reader *r;
  double t0 = now();
  if (pq_text_reader_open(path, NULL, &r, &err)) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  struct ArrowSchema s;
  pq_text_reader_schema(r, &s, &err);
  struct ArrowArray keep = {0};
  int64_t rows = 0;
  for (;;) {
    struct ArrowArray a;
    int st = pq_text_reader_next(r, &a, &err);
    if (st == PARQ_DONE) break;
    if (st) {
      fprintf(stderr, "next: %s\n", err.message);
      return 1;
    }
    rows += a.length;
    if (!keep.release) keep = a;
    else a.release(&a);
  }
  double t1 = now();
  double bytes = (double)pq_text_reader_bytes_total(r);
  printf("jsonl read (inference + parse): %.1f MB in %.3f s = %.0f MB/s, %lld rows\n", bytes / 1e6,
         t1 - t0, bytes / 1e6 / (t1 - t0), (long long)rows);
  pq_text_reader_close(r);

  /* writer: the first batch written repeatedly, and its text column alone */
  parq_buf out = PARQ_BUF_INIT;
  double w0 = now(), wbytes = 0;
  for (int rep = 0; rep < 20; rep++) {
    out.len = 0;
    pq_jsonl_write_batch(&s, &keep, &out, &err);
    wbytes += (double)out.len;
  }
  double w1 = now();
  printf("jsonl write: %.0f MB/s\n", wbytes / 1e6 / (w1 - w0));
  struct ArrowSchema ts;
  pq_arrow_schema_init(&ts, "+s", "", 0, 1);
  pq_arrow_schema_copy(s.children[0], ts.children[0]);
  struct ArrowArray tb = keep;
  tb.n_children = 1;
  w0 = now();
  wbytes = 0;
  for (int rep = 0; rep < 20; rep++) {
    out.len = 0;
    pq_jsonl_write_batch(&ts, &tb, &out, &err);
    wbytes += (double)out.len;
  }
  w1 = now();
  printf("jsonl write (text column only): %.0f MB/s\n", wbytes / 1e6 / (w1 - w0));
  parq_buf_free(&out);
  ts.release(&ts);
  keep.release(&keep);
  s.release(&s);
  return 0;
}
