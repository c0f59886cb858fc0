/* test_stream.c — parq_stream: rank shares are disjoint and complete, batches
 * span row groups with nested values intact, exact resume, refusal of a
 * foreign state, deterministic epoch shuffles, projection, manifests, the
 * memory limit and the two-open-readers bound. Test data is written with the
 * writer API (100-row row groups) into a temporary directory. */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/stream_internal.h"
#include "test.h"
#include "util/arrow.h"
#include "io/io.h"

static char dir_a[256], dir_b[256], dir_many[256];

/* ---------- writing test shards ---------- */

static void make_schema(struct ArrowSchema *s) {
  CHECK_OK(pq_arrow_schema_init(s, "+s", "", 0, 5));
  CHECK_OK(pq_arrow_schema_init(s->children[0], "l", "id", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[1], "u", "s", ARROW_FLAG_NULLABLE, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[2], "+l", "tags", ARROW_FLAG_NULLABLE, 1));
  CHECK_OK(pq_arrow_schema_init(s->children[2]->children[0], "i", "item", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[3], "+s", "st", ARROW_FLAG_NULLABLE, 2));
  CHECK_OK(pq_arrow_schema_init(s->children[3]->children[0], "i", "a", ARROW_FLAG_NULLABLE, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[3]->children[1], "b", "b", 0, 0));
  CHECK_OK(pq_arrow_schema_init(s->children[4], "+m", "m", ARROW_FLAG_NULLABLE, 1));
  struct ArrowSchema *e = s->children[4]->children[0];
  CHECK_OK(pq_arrow_schema_init(e, "+s", "entries", 0, 2));
  CHECK_OK(pq_arrow_schema_init(e->children[0], "u", "key", 0, 0));
  CHECK_OK(pq_arrow_schema_init(e->children[1], "l", "value", ARROW_FLAG_NULLABLE, 0));
}

static uint8_t *bitmap(int64_t n) { return calloc((size_t)(n + 7) / 8 + 1, 1); }

/* Rows [lo, lo+n) with values that are functions of the row id. */
static void make_batch(int64_t lo, int64_t n, struct ArrowArray *out) {
  struct ArrowArray kids[5];
  /* id */
  int64_t *ids = malloc(sizeof(int64_t) * (size_t)n);
  for (int64_t i = 0; i < n; i++) ids[i] = lo + i;
  void *b0[2] = {NULL, ids};
  CHECK_OK(pq_arrow_array_make(&kids[0], n, 0, 2, b0, 0, NULL));
  /* s: "r<id>", null every 7th */
  uint8_t *sv = bitmap(n);
  int32_t *so = malloc(sizeof(int32_t) * (size_t)(n + 1));
  char *sd = malloc((size_t)n * 24 + 1);
  int64_t nulls = 0, pos = 0;
  so[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t id = lo + i;
    if (id % 7) {
      pq_bit_set(sv, i);
      pos += sprintf(sd + pos, "r%lld", (long long)id);
    } else {
      nulls++;
    }
    so[i + 1] = (int32_t)pos;
  }
  void *b1[3] = {sv, so, sd};
  CHECK_OK(pq_arrow_array_make(&kids[1], n, nulls, 3, b1, 0, NULL));
  /* tags: id%4 ints id*10+k, null every 11th */
  uint8_t *tv = bitmap(n);
  int32_t *to = malloc(sizeof(int32_t) * (size_t)(n + 1));
  int32_t *td = malloc(sizeof(int32_t) * (size_t)n * 4 + 4);
  nulls = 0, pos = 0;
  to[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t id = lo + i;
    if (id % 11) {
      pq_bit_set(tv, i);
      for (int k = 0; k < id % 4; k++) td[pos++] = (int32_t)(id * 10 + k);
    } else {
      nulls++;
    }
    to[i + 1] = (int32_t)pos;
  }
  struct ArrowArray titem;
  void *bt[2] = {NULL, td};
  CHECK_OK(pq_arrow_array_make(&titem, pos, 0, 2, bt, 0, NULL));
  void *b2[2] = {tv, to};
  CHECK_OK(pq_arrow_array_make(&kids[2], n, nulls, 2, b2, 1, &titem));
  /* st: {a: id*2 (null every 5th), b: id odd}, null every 13th */
  uint8_t *stv = bitmap(n), *av = bitmap(n), *bb = bitmap(n);
  int32_t *ad = malloc(sizeof(int32_t) * (size_t)n + 4);
  int64_t snulls = 0, anulls = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t id = lo + i;
    if (id % 13) pq_bit_set(stv, i); else snulls++;
    if (id % 5) pq_bit_set(av, i); else anulls++;
    ad[i] = (int32_t)(id * 2);
    if (id & 1) pq_bit_set(bb, i);
  }
  struct ArrowArray sk[2];
  void *ba[2] = {av, ad};
  CHECK_OK(pq_arrow_array_make(&sk[0], n, anulls, 2, ba, 0, NULL));
  void *bbb[2] = {NULL, bb};
  CHECK_OK(pq_arrow_array_make(&sk[1], n, 0, 2, bbb, 0, NULL));
  void *b3[1] = {stv};
  CHECK_OK(pq_arrow_array_make(&kids[3], n, snulls, 1, b3, 2, sk));
  /* m: id%3 entries "k<k>" -> id+k */
  int32_t *mo = malloc(sizeof(int32_t) * (size_t)(n + 1));
  int32_t *ko = malloc(sizeof(int32_t) * (size_t)n * 3 + 4);
  char *kd = malloc((size_t)n * 3 * 4 + 1);
  int64_t *vd = malloc(sizeof(int64_t) * (size_t)n * 3 + 8);
  int64_t ne = 0, kpos = 0;
  mo[0] = 0;
  ko[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t id = lo + i;
    for (int k = 0; k < id % 3; k++) {
      kpos += sprintf(kd + kpos, "k%d", k);
      ko[ne + 1] = (int32_t)kpos;
      vd[ne++] = id + k;
    }
    mo[i + 1] = (int32_t)ne;
  }
  struct ArrowArray ek[2], ent;
  void *bk[3] = {NULL, ko, kd};
  CHECK_OK(pq_arrow_array_make(&ek[0], ne, 0, 3, bk, 0, NULL));
  void *bv[2] = {NULL, vd};
  CHECK_OK(pq_arrow_array_make(&ek[1], ne, 0, 2, bv, 0, NULL));
  void *be[1] = {NULL};
  CHECK_OK(pq_arrow_array_make(&ent, ne, 0, 1, be, 2, ek));
  void *b4[2] = {NULL, mo};
  CHECK_OK(pq_arrow_array_make(&kids[4], n, 0, 2, b4, 1, &ent));
  void *top[1] = {NULL};
  CHECK_OK(pq_arrow_array_make(out, n, 0, 1, top, 5, kids));
}

/* Write `rows` rows starting at id `lo` into path with 100-row row groups. */
static void write_shard(const char *path, int64_t lo, int64_t rows) {
  struct ArrowSchema s;
  make_schema(&s);
  parq_write_options wo;
  parq_write_options_init(&wo);
  wo.row_group_rows = 100;
  wo.fsync = 0;
  parq_writer *w = NULL;
  parq_error e = {0};
  parq_status st = parq_writer_open(path, &s, &wo, &w, &e);
  if (st) fprintf(stderr, "writer_open %s: %s\n", path, e.message);
  CHECK(st == PARQ_OK);
  for (int64_t done = 0; w && done < rows;) {
    int64_t n = rows - done < 37 ? rows - done : 37; /* batches not aligned to row groups */
    struct ArrowArray b;
    make_batch(lo + done, n, &b);
    st = parq_writer_write(w, &b, &e);
    if (st) fprintf(stderr, "writer_write: %s\n", e.message);
    CHECK(st == PARQ_OK);
    b.release(&b);
    done += n;
  }
  if (w) {
    st = parq_writer_close(w, &e);
    if (st) fprintf(stderr, "writer_close: %s\n", e.message);
    CHECK(st == PARQ_OK);
  }
  s.release(&s);
}

/* Dataset A: 3 shards of 250, 300, 130 rows = row groups 100,100,50 | 100,100,100 | 100,30. */
#define A_ROWS 680
static const int64_t a_sizes[3] = {250, 300, 130};

static void make_datasets(void) {
  char p[512];
  snprintf(dir_a, sizeof dir_a, "/tmp/parq_test_stream_%d_a", (int)getpid());
  snprintf(dir_b, sizeof dir_b, "/tmp/parq_test_stream_%d_b", (int)getpid());
  snprintf(dir_many, sizeof dir_many, "/tmp/parq_test_stream_%d_many", (int)getpid());
  mkdir(dir_a, 0700);
  mkdir(dir_b, 0700);
  mkdir(dir_many, 0700);
  int64_t lo = 0;
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s/shard_%05d.parquet", dir_a, i);
    write_shard(p, lo, a_sizes[i]);
    lo += a_sizes[i];
  }
  snprintf(p, sizeof p, "%s/shard_00000.parquet", dir_b);
  write_shard(p, 0, 420);
  for (int i = 0; i < 12; i++) {
    snprintf(p, sizeof p, "%s/shard_%05d.parquet", dir_many, i);
    write_shard(p, i * 150, 150);
  }
}

static void rm_dir(const char *d) {
  DIR *dd = opendir(d);
  if (!dd) return;
  struct dirent *e;
  char p[600];
  while ((e = readdir(dd)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", d, e->d_name);
    unlink(p);
  }
  closedir(dd);
  rmdir(d);
}

/* ---------- reading ---------- */

static int check_failed_rows;

/* Check every column of row r of batch b against the values make_batch gives. */
static int64_t check_row(const struct ArrowArray *b, int64_t r) {
  const struct ArrowArray *c = b->children[0];
  int64_t id = ((const int64_t *)c->buffers[1])[c->offset + b->offset + r];
  int ok = 1;
  int64_t rr;
  /* s */
  c = b->children[1];
  rr = c->offset + b->offset + r;
  if (pq_arrow_is_valid(c, b->offset + r) != (id % 7 != 0)) ok = 0;
  else if (id % 7) {
    const int32_t *o = c->buffers[1];
    char want[32];
    int wl = sprintf(want, "r%lld", (long long)id);
    if (o[rr + 1] - o[rr] != wl || memcmp((const char *)c->buffers[2] + o[rr], want, (size_t)wl)) ok = 0;
  }
  /* tags */
  c = b->children[2];
  rr = c->offset + b->offset + r;
  if (pq_arrow_is_valid(c, b->offset + r) != (id % 11 != 0)) ok = 0;
  else if (id % 11) {
    const int32_t *o = c->buffers[1];
    const struct ArrowArray *it = c->children[0];
    if (o[rr + 1] - o[rr] != id % 4) ok = 0;
    for (int k = 0; ok && k < id % 4; k++)
      if (((const int32_t *)it->buffers[1])[it->offset + o[rr] + k] != id * 10 + k) ok = 0;
  }
  /* st */
  c = b->children[3];
  if (pq_arrow_is_valid(c, b->offset + r) != (id % 13 != 0)) ok = 0;
  else if (id % 13) {
    int64_t sr = c->offset + b->offset + r;
    const struct ArrowArray *a = c->children[0], *bb = c->children[1];
    if (pq_arrow_is_valid(a, sr) != (id % 5 != 0)) ok = 0;
    else if (id % 5 && ((const int32_t *)a->buffers[1])[a->offset + sr] != id * 2) ok = 0;
    if (pq_bit_get(bb->buffers[1], bb->offset + sr) != (id & 1)) ok = 0;
  }
  /* m */
  c = b->children[4];
  rr = c->offset + b->offset + r;
  {
    const int32_t *o = c->buffers[1];
    const struct ArrowArray *ent = c->children[0];
    const struct ArrowArray *v = ent->children[1];
    if (o[rr + 1] - o[rr] != id % 3) ok = 0;
    for (int k = 0; ok && k < id % 3; k++)
      if (((const int64_t *)v->buffers[1])[v->offset + ent->offset + o[rr] + k] != id + k) ok = 0;
  }
  if (!ok) check_failed_rows++;
  return id;
}

typedef struct run {
  int64_t *ids;
  int64_t n, cap;
  int64_t *batch_len;
  int64_t nb, bcap;
} run;

static void run_push(run *r, int64_t id) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 1024;
    r->ids = realloc(r->ids, sizeof(int64_t) * (size_t)r->cap);
  }
  r->ids[r->n++] = id;
}
static void run_free(run *r) {
  free(r->ids);
  free(r->batch_len);
  memset(r, 0, sizeof *r);
}

static void opts_for(parq_stream_options *o, const char **paths, size_t np, int rank, int world) {
  parq_stream_options_init(o);
  o->paths = paths;
  o->n_paths = np;
  o->rank = rank;
  o->world = world;
}

/* Read up to max_batches batches (-1 = all) into r. Returns the status of
 * the last next() call (PARQ_DONE at the end). */
static parq_status drain(parq_stream *s, run *r, int64_t max_batches, int check) {
  parq_status st = PARQ_OK;
  for (int64_t k = 0; max_batches < 0 || k < max_batches; k++) {
    struct ArrowArray b;
    parq_error e = {0};
    st = parq_stream_next(s, &b, &e);
    if (st != PARQ_OK) {
      if (st < 0) fprintf(stderr, "stream_next: %s\n", e.message);
      break;
    }
    if (r->nb == r->bcap) {
      r->bcap = r->bcap ? r->bcap * 2 : 64;
      r->batch_len = realloc(r->batch_len, sizeof(int64_t) * (size_t)r->bcap);
    }
    r->batch_len[r->nb++] = b.length;
    for (int64_t i = 0; i < b.length; i++) {
      if (check) run_push(r, check_row(&b, i));
      else run_push(r, ((const int64_t *)b.children[0]->buffers[1])[b.children[0]->offset + i]);
    }
    b.release(&b);
  }
  return st;
}

static parq_status open_run(const parq_stream_options *o, run *r, int check) {
  parq_stream *s = NULL;
  parq_error e = {0};
  parq_status st = parq_stream_open(o, &s, &e);
  if (st) {
    fprintf(stderr, "stream_open: %s\n", e.message);
    return st;
  }
  st = drain(s, r, -1, check);
  parq_stream_close(s);
  return st == PARQ_DONE ? PARQ_OK : st;
}

/* ---------- tests ---------- */

TEST(rank_shares_disjoint_complete) {
  const char *paths[] = {dir_a};
  const int worlds[] = {1, 2, 3, 5};
  for (int wi = 0; wi < 4; wi++) {
    int W = worlds[wi];
    for (int pf = 0; pf <= 2; pf += 2) {
      int count[A_ROWS] = {0};
      int64_t total = 0;
      for (int R = 0; R < W; R++) {
        parq_stream_options o;
        opts_for(&o, paths, 1, R, W);
        o.batch_rows = 64;
        o.prefetch = pf;
        run r = {0};
        CHECK(open_run(&o, &r, 1) == PARQ_OK);
        for (int64_t i = 0; i < r.n; i++) {
          CHECK(r.ids[i] >= 0 && r.ids[i] < A_ROWS);
          if (r.ids[i] >= 0 && r.ids[i] < A_ROWS) count[r.ids[i]]++;
        }
        for (int64_t b = 0; b + 1 < r.nb; b++) CHECK(r.batch_len[b] == 64);
        total += r.n;
        run_free(&r);
      }
      CHECK(total == A_ROWS);
      for (int i = 0; i < A_ROWS; i++) CHECK(count[i] == 1);
    }
  }
  CHECK(check_failed_rows == 0);
}

TEST(rank_gets_row_groups_r_plus_kw) {
  /* Global row groups (100,100,50 | 100,100,100 | 100,30): rank 1 of 3 gets
   * groups 1, 4, 7 = ids 100..199, 350..449, 650..679. */
  const char *paths[] = {dir_a};
  parq_stream_options o;
  opts_for(&o, paths, 1, 1, 3);
  o.batch_rows = 1000;
  run r = {0};
  CHECK(open_run(&o, &r, 1) == PARQ_OK);
  CHECK(r.n == 230);
  CHECK(r.nb == 1);
  if (r.n == 230) CHECK(r.ids[0] == 100 && r.ids[99] == 199 && r.ids[100] == 350 && r.ids[200] == 650 && r.ids[229] == 679);
  run_free(&r);
}

static void resume_case(int epochs, int shuffle, int world, int rank, int64_t batch, int prefetch, unsigned seed) {
  const char *paths[] = {dir_a};
  parq_stream_options o;
  opts_for(&o, paths, 1, rank, world);
  o.batch_rows = batch;
  o.epochs = epochs;
  o.shuffle_row_groups = shuffle;
  o.seed = 1234;
  o.prefetch = prefetch;
  run full = {0};
  CHECK(open_run(&o, &full, 0) == PARQ_OK);
  srand(seed);
  for (int trial = 0; trial < 6; trial++) {
    int64_t cut = full.nb ? rand() % (full.nb + 1) : 0;
    run part = {0};
    parq_stream *s = NULL;
    parq_error e = {0};
    CHECK(parq_stream_open(&o, &s, &e) == PARQ_OK);
    if (!s) break;
    drain(s, &part, cut, 0);
    char *state = NULL;
    CHECK(parq_stream_state(s, &state, &e) == PARQ_OK);
    parq_stream_close(s);
    /* Resume with a different batch size and prefetch: rows must line up. */
    parq_stream_options o2 = o;
    o2.resume_state = state;
    o2.batch_rows = batch + 3;
    o2.prefetch = prefetch ? 0 : 2;
    s = NULL;
    parq_status st = parq_stream_open(&o2, &s, &e);
    if (st) fprintf(stderr, "resume open: %s (state %s)\n", e.message, state);
    CHECK(st == PARQ_OK);
    if (s) {
      CHECK(drain(s, &part, -1, 0) == PARQ_DONE);
      parq_stream_close(s);
    }
    CHECK(part.n == full.n);
    if (part.n == full.n) CHECK(!memcmp(part.ids, full.ids, sizeof(int64_t) * (size_t)full.n));
    parq_free(state);
    run_free(&part);
  }
  run_free(&full);
}

TEST(exact_resume) {
  resume_case(1, 0, 1, 0, 64, 1, 1);
  resume_case(3, 1, 1, 0, 45, 1, 2);
  resume_case(2, 0, 3, 2, 30, 0, 3);
  resume_case(3, 1, 2, 1, 100, 2, 4);
  resume_case(2, 1, 5, 4, 7, 1, 5);
}

TEST(resume_refuses_foreign_state) {
  const char *pa[] = {dir_a}, *pb[] = {dir_b};
  parq_stream_options o;
  opts_for(&o, pa, 1, 0, 2);
  parq_stream *s = NULL;
  parq_error e = {0};
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_OK);
  char *state = NULL;
  if (s) {
    run r = {0};
    drain(s, &r, 2, 0);
    run_free(&r);
    CHECK(parq_stream_state(s, &state, &e) == PARQ_OK);
    parq_stream_close(s);
  }
  if (!state) return;
  parq_stream_options ob;
  opts_for(&ob, pb, 1, 0, 2);
  ob.resume_state = state;
  s = NULL;
  CHECK(parq_stream_open(&ob, &s, &e) == PARQ_EINVAL);
  CHECK(strstr(e.message, "another dataset") != NULL);
  CHECK(s == NULL);
  parq_stream_options ow = o;
  ow.world = 3;
  ow.resume_state = state;
  CHECK(parq_stream_open(&ow, &s, &e) == PARQ_EINVAL);
  CHECK(strstr(e.message, "world") != NULL);
  parq_stream_options os = o;
  os.seed = 99;
  os.resume_state = state;
  CHECK(parq_stream_open(&os, &s, &e) == PARQ_EINVAL);
  CHECK(strstr(e.message, "seed") != NULL);
  parq_stream_options og = o;
  og.resume_state = "{\"version\":1,\"fingerprint\":\"zz\"";
  CHECK(parq_stream_open(&og, &s, &e) == PARQ_EINVAL);
  parq_free(state);
}

TEST(epochs_reshuffle_deterministically) {
  const char *paths[] = {dir_a};
  parq_stream_options o;
  opts_for(&o, paths, 1, 0, 1);
  o.batch_rows = 1000;
  o.epochs = 3;
  o.seed = 7;
  run a = {0}, b = {0}, c = {0};
  CHECK(open_run(&o, &a, 1) == PARQ_OK);
  CHECK(open_run(&o, &b, 1) == PARQ_OK);
  o.seed = 8;
  CHECK(open_run(&o, &c, 1) == PARQ_OK);
  CHECK(a.n == 3 * A_ROWS && b.n == a.n && c.n == a.n);
  if (a.n == 3 * A_ROWS && b.n == a.n && c.n == a.n) {
    /* Epoch 0 without --shuffle is file order; batches never span epochs. */
    for (int64_t i = 0; i < A_ROWS; i++) CHECK(a.ids[i] == i);
    CHECK(a.nb == 3);
    CHECK(!memcmp(a.ids, b.ids, sizeof(int64_t) * (size_t)a.n));
    CHECK(memcmp(a.ids + A_ROWS, a.ids + 2 * A_ROWS, sizeof(int64_t) * A_ROWS) != 0);
    CHECK(memcmp(a.ids + A_ROWS, c.ids + A_ROWS, sizeof(int64_t) * A_ROWS) != 0);
    /* Every epoch is a permutation of all rows. */
    for (int ep = 1; ep < 3; ep++) {
      int seen[A_ROWS] = {0};
      for (int64_t i = 0; i < A_ROWS; i++) seen[a.ids[ep * A_ROWS + i]]++;
      for (int i = 0; i < A_ROWS; i++) CHECK(seen[i] == 1);
    }
  }
  run_free(&a);
  run_free(&b);
  run_free(&c);
  /* With shuffle, ranks stay disjoint in every epoch. */
  int count[A_ROWS] = {0};
  for (int R = 0; R < 3; R++) {
    opts_for(&o, paths, 1, R, 3);
    o.shuffle_row_groups = 1;
    o.epochs = 2;
    o.seed = 5;
    run r = {0};
    CHECK(open_run(&o, &r, 1) == PARQ_OK);
    for (int64_t i = 0; i < r.n; i++) count[r.ids[i]]++;
    run_free(&r);
  }
  for (int i = 0; i < A_ROWS; i++) CHECK(count[i] == 2);
}

TEST(projection_and_schema) {
  const char *paths[] = {dir_a};
  const char *cols[] = {"s", "id"};
  parq_stream_options o;
  opts_for(&o, paths, 1, 0, 1);
  o.columns = cols;
  o.n_columns = 2;
  parq_stream *s = NULL;
  parq_error e = {0};
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_OK);
  if (!s) return;
  struct ArrowSchema sc;
  CHECK(parq_stream_schema(s, &sc, &e) == PARQ_OK);
  CHECK(sc.n_children == 2);
  struct ArrowArray b;
  CHECK(parq_stream_next(s, &b, &e) == PARQ_OK);
  CHECK(b.n_children == 2 && b.length == 128);
  if (b.release) b.release(&b);
  sc.release(&sc);
  parq_stream_close(s);
  const char *bad[] = {"nope"};
  o.columns = bad;
  o.n_columns = 1;
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_ESCHEMA);
}

TEST(manifest_order_and_globs) {
  char mp[512], p0[512], glob_pat[512];
  snprintf(mp, sizeof mp, "%s/manifest.json", dir_a);
  FILE *f = fopen(mp, "w");
  CHECK(f != NULL);
  if (!f) return;
  fprintf(f, "{\"version\":1,\"shards\":[{\"path\":\"shard_00002.parquet\",\"rows\":130,\"row_groups\":2},"
             "{\"path\":\"shard_00000.parquet\",\"rows\":250},{\"path\":\"shard_00001.parquet\",\"extra\":[1,{\"x\":null}]}]}\n");
  fclose(f);
  const char *paths[] = {dir_a};
  parq_stream_options o;
  opts_for(&o, paths, 1, 0, 1);
  o.batch_rows = 10000;
  run r = {0};
  CHECK(open_run(&o, &r, 1) == PARQ_OK);
  CHECK(r.n == A_ROWS);
  if (r.n == A_ROWS) CHECK(r.ids[0] == 550 && r.ids[130] == 0 && r.ids[380] == 250);
  run_free(&r);
  unlink(mp);
  /* A glob plus an explicit file. */
  snprintf(glob_pat, sizeof glob_pat, "%s/shard_0000[12].parquet", dir_a);
  snprintf(p0, sizeof p0, "%s/shard_00000.parquet", dir_a);
  const char *gp[] = {glob_pat, p0};
  opts_for(&o, gp, 2, 0, 1);
  o.batch_rows = 10000;
  CHECK(open_run(&o, &r, 1) == PARQ_OK);
  CHECK(r.n == A_ROWS);
  if (r.n == A_ROWS) CHECK(r.ids[0] == 250 && r.ids[430] == 0);
  run_free(&r);
  /* Broken manifest: a clear error. */
  f = fopen(mp, "w");
  if (f) {
    fputs("{\"shards\":[{\"rows\":3}]}", f);
    fclose(f);
  }
  parq_stream *s = NULL;
  parq_error e = {0};
  opts_for(&o, paths, 1, 0, 1);
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_ECORRUPT);
  CHECK(strstr(e.message, "manifest.json") != NULL);
  unlink(mp);
}

/* All batches of a stream as JSON lines; arrays are released only at the end
 * (after the stream is closed), so slices must keep their row groups alive. */
static char *stream_json(int views, int64_t batch_rows, int prefetch) {
  const char *paths[] = {dir_a};
  parq_stream_options o;
  opts_for(&o, paths, 1, 0, 1);
  o.batch_rows = batch_rows;
  o.string_views = views;
  o.prefetch = prefetch;
  parq_stream *s = NULL;
  parq_error e = {0};
  if (parq_stream_open(&o, &s, &e) != PARQ_OK) return NULL;
  struct ArrowSchema sch;
  if (parq_stream_schema(s, &sch, &e) != PARQ_OK) {
    parq_stream_close(s);
    return NULL;
  }
  struct ArrowArray *held = NULL, b;
  size_t nh = 0;
  while (parq_stream_next(s, &b, &e) == PARQ_OK) {
    held = realloc(held, (nh + 1) * sizeof *held);
    held[nh++] = b;
  }
  parq_stream_close(s);
  parq_buf out = PARQ_BUF_INIT;
  for (size_t k = 0; k < nh; k++) {
    for (int64_t i = 0; i < held[k].length; i++) {
      for (int64_t c = 0; c < held[k].n_children; c++) {
        pq_json_write_value(sch.children[c], held[k].children[c], held[k].offset + i, &out, &e);
        parq_buf_append_byte(&out, ',');
      }
      parq_buf_append_byte(&out, '\n');
    }
    held[k].release(&held[k]);
  }
  free(held);
  sch.release(&sch);
  parq_buf_append_byte(&out, 0);
  return (char *)out.data;
}

/* Zero-copy batches (slices of row groups, string views into pages) hold
 * exactly the rows of copied ones, whatever the batch size. */
TEST(slices_and_string_views_match_copies) {
  char *base = stream_json(0, 100000, 0); /* whole row groups, concatenated */
  CHECK(base != NULL);
  const int64_t sizes[] = {1, 7, 100, 128, 1000};
  for (int v = 0; v < 2; v++)
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      char *got = stream_json(v, sizes[k], (int)(k % 3));
      CHECK(got && base && !strcmp(got, base));
      free(got);
    }
  free(base);
}

TEST(memory_limit) {
  const char *paths[] = {dir_a};
  parq_stream_options o;
  opts_for(&o, paths, 1, 0, 1);
  o.memory_limit = 3000; /* a 100-row group decodes to more than this */
  for (int pf = 0; pf <= 1; pf++) {
    o.prefetch = pf;
    parq_stream *s = NULL;
    parq_error e = {0};
    parq_status st = parq_stream_open(&o, &s, &e);
    if (st == PARQ_OK) {
      struct ArrowArray b;
      st = parq_stream_next(s, &b, &e);
      if (st == PARQ_OK) b.release(&b);
      /* A failed stream stays failed. */
      if (st == PARQ_ENOMEM) CHECK(parq_stream_next(s, &b, &e) == PARQ_ENOMEM);
      parq_stream_close(s);
    }
    CHECK(st == PARQ_ENOMEM);
    CHECK(strstr(e.message, "shard_00000.parquet") != NULL);
    CHECK(strstr(e.message, "row group") != NULL);
  }
  o.memory_limit = 1 << 20;
  run r = {0};
  CHECK(open_run(&o, &r, 1) == PARQ_OK);
  CHECK(r.n == A_ROWS);
  run_free(&r);
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

TEST(few_open_files_and_small_datasets) {
  const char *paths[] = {dir_many};
  parq_stream_options o;
  opts_for(&o, paths, 1, 0, 1);
  o.shuffle_row_groups = 1;
  o.prefetch = 3;
  o.batch_rows = 50;
  o.epochs = 2;
  int base = count_fds();
  parq_stream *s = NULL;
  parq_error e = {0};
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_OK);
  if (!s) return;
  int maxfd = 0;
  int64_t rows = 0;
  struct ArrowArray b;
  while (parq_stream_next(s, &b, &e) == PARQ_OK) {
    rows += b.length;
    b.release(&b);
    int n = count_fds();
    if (n > maxfd) maxfd = n;
  }
  parq_stream_close(s);
  CHECK(rows == 2 * 12 * 150);
  if (base > 0) CHECK(maxfd - base <= 2);
  /* More ranks than row groups: idle ranks end at once, nobody hangs. */
  const char *pb[] = {dir_b}; /* 5 row groups */
  int64_t total = 0;
  for (int R = 0; R < 8; R++) {
    opts_for(&o, pb, 1, R, 8);
    o.epochs = 3;
    run r = {0};
    CHECK(open_run(&o, &r, 0) == PARQ_OK);
    total += r.n;
    run_free(&r);
  }
  CHECK(total == 3 * 420);
}

TEST(bad_options) {
  const char *paths[] = {dir_a};
  parq_stream_options o;
  parq_stream *s = NULL;
  parq_error e = {0};
  opts_for(&o, paths, 1, 3, 3);
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_EINVAL);
  opts_for(&o, paths, 1, 0, 1);
  o.prefetch = -1;
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_EINVAL);
  const char *missing[] = {"/nonexistent/dir/x.parquet"};
  opts_for(&o, missing, 1, 0, 1);
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_EIO);
  const char *noglob[] = {"/tmp/parq_no_such_dir_*/x*.parquet"};
  opts_for(&o, noglob, 1, 0, 1);
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_EINVAL);
  /* Environment defaults. */
  setenv("RANK", "1", 1);
  setenv("WORLD_SIZE", "2", 1);
  opts_for(&o, paths, 1, -1, -1);
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_OK);
  if (s) {
    char *st = NULL;
    CHECK(parq_stream_state(s, &st, &e) == PARQ_OK);
    CHECK(st && strstr(st, "\"rank\":1") && strstr(st, "\"world\":2"));
    parq_free(st);
    parq_stream_close(s);
  }
  unsetenv("RANK");
  unsetenv("WORLD_SIZE");
}

TEST(arrow_stream_wrapper) {
  const char *paths[] = {dir_a};
  parq_stream_options o;
  opts_for(&o, paths, 1, 0, 1);
  o.batch_rows = 300;
  parq_stream *s = NULL;
  parq_error e = {0};
  CHECK(parq_stream_open(&o, &s, &e) == PARQ_OK);
  if (!s) return;
  struct ArrowArrayStream as;
  CHECK(parq_stream_to_arrow_stream(s, &as, &e) == PARQ_OK);
  struct ArrowSchema sc;
  CHECK(as.get_schema(&as, &sc) == 0);
  CHECK(sc.n_children == 5);
  sc.release(&sc);
  int64_t rows = 0;
  for (;;) {
    struct ArrowArray b;
    CHECK(as.get_next(&as, &b) == 0);
    if (!b.release) break;
    for (int64_t i = 0; i < b.length; i++) check_row(&b, i);
    rows += b.length;
    b.release(&b);
  }
  CHECK(rows == A_ROWS);
  CHECK(check_failed_rows == 0);
  as.release(&as);
}

int main(void) {
  make_datasets();
  RUN(rank_shares_disjoint_complete);
  RUN(rank_gets_row_groups_r_plus_kw);
  RUN(exact_resume);
  RUN(resume_refuses_foreign_state);
  RUN(epochs_reshuffle_deterministically);
  RUN(projection_and_schema);
  RUN(manifest_order_and_globs);
  RUN(slices_and_string_views_match_copies);
  RUN(memory_limit);
  RUN(few_open_files_and_small_datasets);
  RUN(bad_options);
  RUN(arrow_stream_wrapper);
  rm_dir(dir_a);
  rm_dir(dir_b);
  rm_dir(dir_many);
  TEST_SUMMARY();
}
