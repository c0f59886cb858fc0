/* stream.c — parq_stream: the rows of a set of Parquet shards delivered to
 * one rank of a data-parallel job, in fixed-size batches, with bounded
 * memory, background prefetch and exact resume.
 *
 * Model. The files (manifest order) are concatenated into G "global" row
 * groups. Each epoch orders them by a permutation (identity for epoch 0
 * unless shuffling) computed from (seed, epoch) only, so every rank derives
 * the same order; rank R takes entries R, R+W, ... of it. A position is
 * (epoch, index into the rank's sequence, rows already delivered from that
 * row group): that triple is the resume state.
 *
 * Threads. A producer walks the rank's sequence and decodes one row group at
 * a time (parq_reader_read_row_group) through a cache of at most two open
 * readers. With prefetch > 0 it runs on a pthread and hands row groups over
 * a bounded queue; with prefetch == 0 the consumer calls it inline. The
 * consumer slices row groups into batches, concatenating across row-group
 * boundaries (stream_concat.c). */
#include <errno.h>
#include <glob.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset/manifest.h"
#include "dataset/store.h"
#include "dataset/stream_internal.h"
#include "util/arrow.h"
#include "util/buf.h"
#include "util/error.h"

#define DEFAULT_BATCH_ROWS 128
#define MAX_PREFETCH 64

typedef struct sfile {
  char *path;
  int64_t size;
  int64_t first_rg, n_rg; /* global row-group range */
} sfile;

/* A decoded row group (or the end marker / an error) moving producer -> consumer. */
typedef struct sitem {
  struct ArrowArray arr; /* released when rows == 0 */
  int epoch;
  int64_t pos, g, rows;
  int end;
  parq_status st;
  parq_error err;
} sitem;

/* Producer-side cursor and reader cache. */
typedef struct producer {
  int epoch;
  int64_t pos;
  int perm_epoch;  /* epoch `perm` was computed for (-1 = none) */
  int64_t *perm;   /* G entries */
  parq_reader *rd[2];
  int64_t rd_file[2];
  uint64_t rd_used[2], tick;
} producer;

struct parq_stream {
  /* options */
  int rank, world, epochs, shuffle, prefetch;
  int64_t batch_rows, memory_limit;
  int string_views;
  uint64_t seed;
  char **columns;
  size_t n_columns;
  /* dataset */
  sfile *files;
  size_t n_files;
  int64_t G;
  int64_t *rg_rows;
  uint32_t *rg_file;
  int64_t n_rank; /* row groups per epoch for this rank */
  uint64_t fingerprint;
  struct ArrowSchema schema;
  /* consumer position: the next row to deliver */
  int st_epoch;
  int64_t st_pos, st_row;
  sitem cur;
  int have_cur, finished;
  parq_status sticky;
  parq_error sticky_err;
  /* producer: inline (prefetch 0) or on the thread */
  producer prod;
  pthread_t thread;
  int thread_started;
  pthread_mutex_t mu;
  pthread_cond_t cv_item, cv_space;
  int sync_init;
  sitem *ring;
  int ring_head, ring_count, stop;
};

/* ---------------- small helpers ---------------- */

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias (Lemire's method). */
static uint64_t rand_below(uint64_t *state, uint64_t n) {
  for (;;) {
    uint64_t x = splitmix64(state);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t lo = (uint64_t)m;
    if (lo >= n || lo >= (0 - n) % n) return (uint64_t)(m >> 64);
  }
}

/* The epoch's global order. Shared by every rank: depends on (seed, epoch). */
static void make_perm(const parq_stream *s, int epoch, int64_t *perm) {
  for (int64_t i = 0; i < s->G; i++) perm[i] = i;
  if (epoch == 0 && !s->shuffle) return;
  uint64_t st = s->seed ^ 0x70617271ull; /* "parq" */
  (void)splitmix64(&st);
  st ^= (uint64_t)epoch * 0xD1B54A32D192ED03ull;
  for (int64_t i = s->G - 1; i > 0; i--) {
    int64_t j = (int64_t)rand_below(&st, (uint64_t)i + 1);
    int64_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

static void fnv(uint64_t *h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    *h ^= b[i];
    *h *= 0x100000001B3ull;
  }
}
static void fnv_u64(uint64_t *h, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  fnv(h, b, 8);
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int schemas_equal(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  if (strcmp(a->format, b->format) || strcmp(a->name ? a->name : "", b->name ? b->name : "") ||
      a->n_children != b->n_children)
    return 0;
  for (int64_t i = 0; i < a->n_children; i++)
    if (!schemas_equal(a->children[i], b->children[i])) return 0;
  return 1;
}

/* ---------------- path resolution ---------------- */

typedef struct strlist {
  char **v;
  size_t n, cap;
} strlist;

static parq_status strlist_push(strlist *l, char *s, parq_error *err) {
  if (!s) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 64;
    char **t = realloc(l->v, nc * sizeof *t);
    if (!t) {
      free(s);
      return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    }
    l->v = t;
    l->cap = nc;
  }
  l->v[l->n++] = s;
  return PARQ_OK;
}

static void strlist_free(strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static parq_status add_dir(strlist *l, const char *dir, parq_error *err) {
  char **mp = NULL;
  size_t mn = 0;
  parq_status st = pq_manifest_load(dir, &mp, &mn, err);
  if (st == PARQ_OK) {
    for (size_t i = 0; i < mn; i++) {
      st = strlist_push(l, mp[i], err);
      mp[i] = NULL;
      if (st) break;
    }
    pq_manifest_free(mp, mn);
    return st;
  }
  if (st != PARQ_DONE) return st;
  DIR *d = opendir(dir);
  if (!d) return parq_err_errno(err, "%s", dir);
  strlist names = {0};
  struct dirent *e;
  st = PARQ_OK;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n <= 8 || strcmp(e->d_name + n - 8, ".parquet") || e->d_name[0] == '.') continue;
    if ((st = strlist_push(&names, strdup(e->d_name), err))) break;
  }
  closedir(d);
  if (!st) {
    if (names.n) qsort(names.v, names.n, sizeof *names.v, cmp_str);
    size_t dl = strlen(dir);
    int slash = dl && dir[dl - 1] == '/';
    for (size_t i = 0; i < names.n && !st; i++) {
      size_t n = dl + strlen(names.v[i]) + 2;
      char *p = malloc(n);
      if (p) snprintf(p, n, "%s%s%s", dir, slash ? "" : "/", names.v[i]);
      st = strlist_push(l, p, err);
    }
  }
  strlist_free(&names);
  return st;
}

static parq_status resolve_paths(const parq_stream_options *o, strlist *l, parq_error *err) {
  for (size_t i = 0; i < o->n_paths; i++) {
    const char *p = o->paths[i];
    if (!p || !*p) return parq_err_set(err, PARQ_EINVAL, "parq_stream_open: empty path");
    struct stat sb;
    if (stat(p, &sb) == 0) {
      if (S_ISDIR(sb.st_mode) && pq_store_is_store(p)) {
        /* A parq store: its current data files, then pending increments. */
        char **fs = NULL;
        size_t nf = 0;
        PARQ_TRY(pq_store_resolve_files(p, &fs, &nf, err));
        parq_status st = PARQ_OK;
        for (size_t k = 0; k < nf; k++) {
          if (!st) st = strlist_push(l, fs[k], err);
          else free(fs[k]);
        }
        free(fs);
        PARQ_TRY(st);
      } else if (S_ISDIR(sb.st_mode)) PARQ_TRY(add_dir(l, p, err));
      else PARQ_TRY(strlist_push(l, strdup(p), err));
      continue;
    }
    if (!strpbrk(p, "*?[")) return parq_err_errno(err, "%s", p);
    glob_t g;
    int rc = glob(p, 0, NULL, &g);
    if (rc == GLOB_NOMATCH) return parq_err_set(err, PARQ_EINVAL, "%s: no files match", p);
    if (rc != 0) {
      globfree(&g);
      return parq_err_set(err, rc == GLOB_NOSPACE ? PARQ_ENOMEM : PARQ_EIO, "%s: glob failed", p);
    }
    parq_status st = PARQ_OK;
    for (size_t k = 0; k < g.gl_pathc && !st; k++) st = strlist_push(l, strdup(g.gl_pathv[k]), err);
    globfree(&g);
    PARQ_TRY(st);
  }
  if (l->n == 0) return parq_err_set(err, PARQ_EINVAL, "no Parquet files found in the given paths");
  return PARQ_OK;
}

/* ---------------- reading row groups ---------------- */

static parq_status open_reader(const parq_stream *s, size_t f, parq_reader **out, parq_error *err) {
  parq_read_options ro;
  parq_read_options_init(&ro);
  ro.columns = (const char *const *)s->columns;
  ro.n_columns = s->n_columns;
  if (s->memory_limit > 0) ro.max_memory = s->memory_limit;
  ro.string_views = s->string_views;
  return parq_reader_open(s->files[f].path, &ro, out, err);
}

static void producer_free(producer *p) {
  for (int i = 0; i < 2; i++) {
    parq_reader_close(p->rd[i]);
    p->rd[i] = NULL;
  }
  free(p->perm);
  p->perm = NULL;
}

/* A reader for file f from the two-slot cache (least recently used evicted):
 * thousands of shards never mean thousands of open descriptors. */
static parq_status cached_reader(const parq_stream *s, producer *p, size_t f, parq_reader **out,
                                 parq_error *err) {
  p->tick++;
  for (int i = 0; i < 2; i++)
    if (p->rd[i] && p->rd_file[i] == (int64_t)f) {
      p->rd_used[i] = p->tick;
      *out = p->rd[i];
      return PARQ_OK;
    }
  int v = !p->rd[0] ? 0 : !p->rd[1] ? 1 : p->rd_used[0] <= p->rd_used[1] ? 0 : 1;
  parq_reader_close(p->rd[v]);
  p->rd[v] = NULL;
  PARQ_TRY(open_reader(s, f, &p->rd[v], err));
  p->rd_file[v] = (int64_t)f;
  p->rd_used[v] = p->tick;
  *out = p->rd[v];
  return PARQ_OK;
}

static parq_status decode_rg(const parq_stream *s, producer *p, int64_t g, struct ArrowArray *out,
                             parq_error *err) {
  size_t f = s->rg_file[g];
  const sfile *fi = &s->files[f];
  int64_t local = g - fi->first_rg;
  parq_reader *r;
  PARQ_TRY(cached_reader(s, p, f, &r, err));
  PARQ_TRY(parq_reader_read_row_group(r, local, out, err));
  if (out->length != s->rg_rows[g]) {
    int64_t got = out->length;
    pq_arrow_array_release(out);
    return parq_err_set(err, PARQ_ECORRUPT, "%s: row group %lld decoded %lld rows, the footer says %lld", fi->path,
                        (long long)local, (long long)got, (long long)s->rg_rows[g]);
  }
  if (s->memory_limit > 0) {
    int64_t bytes = pq_arrow_array_bytes(&s->schema, out);
    if (bytes > s->memory_limit) {
      pq_arrow_array_release(out);
      return parq_err_set(err, PARQ_ENOMEM,
                          "%s: row group %lld decodes to %lld bytes, more than the memory limit of %lld bytes",
                          fi->path, (long long)local, (long long)bytes, (long long)s->memory_limit);
    }
  }
  /* Batches inside this row group become zero-copy slices of it. */
  if (pq_arrow_make_shared(out, 1) != PARQ_OK) {
    pq_arrow_array_release(out);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  return PARQ_OK;
}

/* Produce the next item of the rank's sequence and advance the cursor. */
static void produce(const parq_stream *s, producer *p, sitem *it) {
  memset(it, 0, sizeof *it);
  if (p->epoch >= s->epochs || s->n_rank == 0) {
    it->end = 1;
    return;
  }
  if (p->perm_epoch != p->epoch) {
    make_perm(s, p->epoch, p->perm);
    p->perm_epoch = p->epoch;
  }
  it->epoch = p->epoch;
  it->pos = p->pos;
  it->g = p->perm[s->rank + p->pos * s->world];
  it->rows = s->rg_rows[it->g];
  if (it->rows > 0) it->st = decode_rg(s, p, it->g, &it->arr, &it->err);
  if (++p->pos >= s->n_rank) {
    p->pos = 0;
    p->epoch++;
  }
}

static void *producer_main(void *arg) {
  parq_stream *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    while (!s->stop && s->ring_count >= s->prefetch) pthread_cond_wait(&s->cv_space, &s->mu);
    int stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    if (stop) break;
    sitem it;
    produce(s, &s->prod, &it);
    pthread_mutex_lock(&s->mu);
    if (s->stop) {
      pthread_mutex_unlock(&s->mu);
      pq_arrow_array_release(&it.arr);
      break;
    }
    s->ring[(s->ring_head + s->ring_count) % s->prefetch] = it;
    s->ring_count++;
    pthread_cond_signal(&s->cv_item);
    pthread_mutex_unlock(&s->mu);
    if (it.end || it.st < 0) break;
  }
  return NULL;
}

static void fetch(parq_stream *s, sitem *it) {
  if (!s->thread_started) {
    produce(s, &s->prod, it);
    return;
  }
  pthread_mutex_lock(&s->mu);
  while (s->ring_count == 0) pthread_cond_wait(&s->cv_item, &s->mu);
  *it = s->ring[s->ring_head];
  s->ring_head = (s->ring_head + 1) % s->prefetch;
  s->ring_count--;
  pthread_cond_signal(&s->cv_space);
  pthread_mutex_unlock(&s->mu);
}

/* ---------------- resume state ---------------- */

static parq_status parse_state(parq_stream *s, const char *text, parq_error *err) {
  pq_mjson j;
  pq_mjson_init(&j, text, strlen(text), "resume state", err);
  parq_buf key = PARQ_BUF_INIT, val = PARQ_BUF_INIT;
  int64_t version = -1, epoch = -1, pos = -1, row = -1, rank = -1, world = -1, shuffle = -1;
  uint64_t seed = 0, fp = 0;
  int have_fp = 0, have_seed = 0;
  parq_status st = pq_mjson_next_key(&j, 1, &key);
  while (st == PARQ_OK) {
    const char *k = (const char *)key.data;
    if (!strcmp(k, "fingerprint")) {
      st = pq_mjson_string(&j, &val);
      if (!st) {
        char *end = NULL;
        errno = 0;
        fp = strtoull((const char *)val.data, &end, 16);
        if (val.len != 16 || errno || *end) st = pq_mjson_fail(&j, "fingerprint is not 16 hex digits");
        have_fp = 1;
      }
    } else if (!strcmp(k, "seed")) {
      st = pq_mjson_uint(&j, &seed);
      have_seed = 1;
    } else if (!strcmp(k, "version")) st = pq_mjson_int(&j, &version);
    else if (!strcmp(k, "epoch")) st = pq_mjson_int(&j, &epoch);
    else if (!strcmp(k, "position")) st = pq_mjson_int(&j, &pos);
    else if (!strcmp(k, "row")) st = pq_mjson_int(&j, &row);
    else if (!strcmp(k, "rank")) st = pq_mjson_int(&j, &rank);
    else if (!strcmp(k, "world")) st = pq_mjson_int(&j, &world);
    else if (!strcmp(k, "shuffle")) st = pq_mjson_int(&j, &shuffle);
    else st = pq_mjson_skip(&j);
    if (!st) st = pq_mjson_next_key(&j, 0, &key);
  }
  parq_buf_free(&key);
  parq_buf_free(&val);
  if (st < 0) {
    if (err) err->code = PARQ_EINVAL;
    return PARQ_EINVAL;
  }
  if (version != 1)
    return parq_err_set(err, PARQ_EINVAL, "resume state: version %lld is not supported (expected 1)", (long long)version);
  if (!have_fp || !have_seed || epoch < 0 || pos < 0 || row < 0 || world < 1 || rank < 0)
    return parq_err_set(err, PARQ_EINVAL, "resume state: missing or negative fingerprint/epoch/position/row/rank/world/seed");
  if (fp != s->fingerprint)
    return parq_err_set(err, PARQ_EINVAL,
                        "resume state belongs to another dataset: fingerprint %016llx, this dataset is %016llx "
                        "(files, sizes or row groups differ)",
                        (unsigned long long)fp, (unsigned long long)s->fingerprint);
  if (world != s->world || rank != s->rank)
    return parq_err_set(err, PARQ_EINVAL, "resume state is for rank %lld of world %lld, this stream is rank %d of world %d",
                        (long long)rank, (long long)world, s->rank, s->world);
  if (seed != s->seed)
    return parq_err_set(err, PARQ_EINVAL, "resume state has seed %llu, this stream uses seed %llu", (unsigned long long)seed,
                        (unsigned long long)s->seed);
  if (shuffle >= 0 && (shuffle != 0) != (s->shuffle != 0))
    return parq_err_set(err, PARQ_EINVAL, "resume state has shuffle %s, this stream has it %s", shuffle ? "on" : "off",
                        s->shuffle ? "on" : "off");
  if (epoch >= s->epochs || s->n_rank == 0) {
    s->st_epoch = epoch > INT32_MAX ? INT32_MAX : (int)epoch;
    s->st_pos = s->st_row = 0;
    return PARQ_OK;
  }
  if (pos >= s->n_rank)
    return parq_err_set(err, PARQ_EINVAL, "resume state: position %lld is past this rank's %lld row groups", (long long)pos,
                        (long long)s->n_rank);
  int64_t *perm = malloc((size_t)s->G * sizeof *perm);
  if (!perm) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  make_perm(s, (int)epoch, perm);
  int64_t rows = s->rg_rows[perm[s->rank + pos * s->world]];
  free(perm);
  if (row > rows)
    return parq_err_set(err, PARQ_EINVAL, "resume state: row %lld is past the %lld rows of its row group", (long long)row,
                        (long long)rows);
  s->st_epoch = (int)epoch;
  s->st_pos = pos;
  s->st_row = row;
  return PARQ_OK;
}

parq_status parq_stream_state(parq_stream *s, char **json_out, parq_error *err) {
  *json_out = NULL;
  parq_buf b = PARQ_BUF_INIT;
  if (parq_buf_printf(&b,
                      "{\"version\":1,\"fingerprint\":\"%016llx\",\"epoch\":%d,\"position\":%lld,\"row\":%lld,"
                      "\"rank\":%d,\"world\":%d,\"seed\":%llu,\"batch_rows\":%lld,\"shuffle\":%d}",
                      (unsigned long long)s->fingerprint, s->st_epoch, (long long)s->st_pos, (long long)s->st_row,
                      s->rank, s->world, (unsigned long long)s->seed, (long long)s->batch_rows, s->shuffle ? 1 : 0) ||
      parq_buf_append_byte(&b, 0)) {
    parq_buf_free(&b);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  *json_out = (char *)parq_buf_detach(&b);
  return PARQ_OK;
}

/* ---------------- open / close ---------------- */

void parq_stream_options_init(parq_stream_options *o) {
  memset(o, 0, sizeof *o);
  o->rank = -1;
  o->world = -1;
  o->batch_rows = DEFAULT_BATCH_ROWS;
  o->epochs = 1;
  o->prefetch = 1;
}

static int env_int(const char *name, int dflt, int *out) {
  const char *v = getenv(name);
  if (!v || !*v) {
    *out = dflt;
    return 0;
  }
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (errno || *end || x < 0 || x > INT32_MAX) return -1;
  *out = (int)x;
  return 0;
}

static parq_status copy_options(parq_stream *s, const parq_stream_options *o, parq_error *err) {
  if (!o || !o->paths || o->n_paths == 0) return parq_err_set(err, PARQ_EINVAL, "parq_stream_open: no paths given");
  s->rank = o->rank;
  s->world = o->world;
  if (s->rank < 0 && env_int("RANK", 0, &s->rank))
    return parq_err_set(err, PARQ_EINVAL, "environment RANK='%s' is not a non-negative integer", getenv("RANK"));
  if (s->world < 0 && env_int("WORLD_SIZE", 1, &s->world))
    return parq_err_set(err, PARQ_EINVAL, "environment WORLD_SIZE='%s' is not a non-negative integer", getenv("WORLD_SIZE"));
  if (s->world < 1 || s->rank >= s->world)
    return parq_err_set(err, PARQ_EINVAL, "rank %d is not in [0, world %d)", s->rank, s->world);
  s->batch_rows = o->batch_rows > 0 ? o->batch_rows : DEFAULT_BATCH_ROWS;
  if (o->epochs < 0) return parq_err_set(err, PARQ_EINVAL, "epochs %d is negative", o->epochs);
  s->epochs = o->epochs;
  s->seed = o->seed;
  s->shuffle = o->shuffle_row_groups != 0;
  if (o->prefetch < 0 || o->prefetch > MAX_PREFETCH)
    return parq_err_set(err, PARQ_EINVAL, "prefetch %d is not in [0, %d]", o->prefetch, MAX_PREFETCH);
  s->prefetch = o->prefetch;
  if (o->memory_limit < 0) return parq_err_set(err, PARQ_EINVAL, "memory limit %lld is negative", (long long)o->memory_limit);
  s->memory_limit = o->memory_limit;
  s->string_views = o->string_views != 0;
  if (o->columns && o->n_columns) {
    s->columns = calloc(o->n_columns, sizeof *s->columns);
    if (!s->columns) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    s->n_columns = o->n_columns;
    for (size_t i = 0; i < o->n_columns; i++) {
      if (!o->columns[i]) return parq_err_set(err, PARQ_EINVAL, "column name %zu is NULL", i);
      if (!(s->columns[i] = strdup(o->columns[i]))) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    }
  }
  return PARQ_OK;
}

/* Read every footer once (one reader open at a time): row counts, sizes,
 * the fingerprint and the projected schema of the first file. */
static parq_status scan_files(parq_stream *s, strlist *paths, parq_error *err) {
  s->files = calloc(paths->n, sizeof *s->files);
  if (!s->files) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  s->n_files = paths->n;
  for (size_t i = 0; i < paths->n; i++) {
    s->files[i].path = paths->v[i];
    paths->v[i] = NULL;
  }
  size_t cap = 0;
  uint64_t h = 0xCBF29CE484222325ull;
  fnv_u64(&h, s->n_files);
  for (size_t f = 0; f < s->n_files; f++) {
    sfile *fi = &s->files[f];
    struct stat sb;
    if (stat(fi->path, &sb) != 0) return parq_err_errno(err, "%s", fi->path);
    fi->size = sb.st_size;
    parq_reader *r = NULL;
    PARQ_TRY(open_reader(s, f, &r, err));
    parq_status st = PARQ_OK;
    if (f == 0) {
      st = parq_reader_schema(r, &s->schema, err);
    } else {
      struct ArrowSchema sc;
      st = parq_reader_schema(r, &sc, err);
      if (!st && !schemas_equal(&sc, &s->schema))
        st = parq_err_set(err, PARQ_ESCHEMA, "%s: its (projected) schema differs from the first file's (%s)", fi->path,
                          s->files[0].path);
      if (!st) pq_arrow_schema_release(&sc);
    }
    int64_t n = parq_reader_num_row_groups(r);
    fi->first_rg = s->G;
    fi->n_rg = n;
    if (!st && (size_t)(s->G + n) > cap) {
      size_t nc = cap ? cap : 1024;
      while (nc < (size_t)(s->G + n)) nc *= 2;
      int64_t *a = realloc(s->rg_rows, nc * sizeof *a);
      if (a) s->rg_rows = a;
      uint32_t *b = realloc(s->rg_file, nc * sizeof *b);
      if (b) s->rg_file = b;
      if (!a || !b) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
      else cap = nc;
    }
    const char *bn = base_name(fi->path);
    fnv(&h, bn, strlen(bn) + 1);
    fnv_u64(&h, (uint64_t)fi->size);
    fnv_u64(&h, (uint64_t)n);
    for (int64_t k = 0; k < n && !st; k++) {
      s->rg_rows[s->G + k] = parq_reader_row_group_num_rows(r, k);
      s->rg_file[s->G + k] = (uint32_t)f;
      fnv_u64(&h, (uint64_t)s->rg_rows[s->G + k]);
    }
    parq_reader_close(r);
    PARQ_TRY(st);
    s->G += n;
  }
  s->fingerprint = h;
  s->n_rank = s->G > s->rank ? (s->G - s->rank + s->world - 1) / s->world : 0;
  return PARQ_OK;
}

static parq_status start_thread(parq_stream *s, parq_error *err) {
  s->ring = calloc((size_t)s->prefetch, sizeof *s->ring);
  if (!s->ring) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (pthread_mutex_init(&s->mu, NULL)) return parq_err_set(err, PARQ_ENOMEM, "cannot create a mutex");
  if (pthread_cond_init(&s->cv_item, NULL)) {
    pthread_mutex_destroy(&s->mu);
    return parq_err_set(err, PARQ_ENOMEM, "cannot create a condition variable");
  }
  if (pthread_cond_init(&s->cv_space, NULL)) {
    pthread_cond_destroy(&s->cv_item);
    pthread_mutex_destroy(&s->mu);
    return parq_err_set(err, PARQ_ENOMEM, "cannot create a condition variable");
  }
  s->sync_init = 1;
  /* Signals belong to the application's threads, not to our producer. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&s->thread, NULL, producer_main, s);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc) return parq_err_set(err, PARQ_ENOMEM, "cannot start the prefetch thread: %s", strerror(rc));
  s->thread_started = 1;
  return PARQ_OK;
}

parq_status parq_stream_open(const parq_stream_options *o, parq_stream **out, parq_error *err) {
  *out = NULL;
  parq_stream *s = calloc(1, sizeof *s);
  if (!s) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  s->prod.perm_epoch = -1;
  strlist paths = {0};
  parq_status st = copy_options(s, o, err);
  if (!st) st = resolve_paths(o, &paths, err);
  if (!st) st = scan_files(s, &paths, err);
  strlist_free(&paths);
  if (!st && s->n_rank == 0) s->st_epoch = s->epochs; /* nothing for this rank: done at once */
  if (!st && o->resume_state) st = parse_state(s, o->resume_state, err);
  if (!st) {
    s->prod.perm = malloc((size_t)(s->G > 0 ? s->G : 1) * sizeof *s->prod.perm);
    if (!s->prod.perm) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    s->prod.epoch = s->st_epoch;
    s->prod.pos = s->st_pos;
  }
  if (!st && s->prefetch > 0 && s->st_epoch < s->epochs) st = start_thread(s, err);
  if (st) {
    parq_stream_close(s);
    return st;
  }
  *out = s;
  return PARQ_OK;
}

void parq_stream_close(parq_stream *s) {
  if (!s) return;
  if (s->thread_started) {
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cv_space);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
  }
  if (s->ring) {
    for (int i = 0; i < s->ring_count; i++) pq_arrow_array_release(&s->ring[(s->ring_head + i) % s->prefetch].arr);
    free(s->ring);
  }
  if (s->sync_init) {
    pthread_cond_destroy(&s->cv_item);
    pthread_cond_destroy(&s->cv_space);
    pthread_mutex_destroy(&s->mu);
  }
  if (s->have_cur) pq_arrow_array_release(&s->cur.arr);
  producer_free(&s->prod);
  pq_arrow_schema_release(&s->schema);
  for (size_t i = 0; i < s->n_files; i++) free(s->files[i].path);
  free(s->files);
  free(s->rg_rows);
  free(s->rg_file);
  for (size_t i = 0; i < s->n_columns; i++) free(s->columns[i]);
  free(s->columns);
  free(s);
}

parq_status parq_stream_schema(parq_stream *s, struct ArrowSchema *out, parq_error *err) {
  if (pq_arrow_schema_copy(&s->schema, out)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}

/* ---------------- batches ---------------- */

typedef struct held {
  sitem *v;
  size_t n, cap;
} held;

static void held_release(held *h) {
  for (size_t i = 0; i < h->n; i++) pq_arrow_array_release(&h->v[i].arr);
  free(h->v);
}

parq_status pq_stream_next_n(parq_stream *s, int64_t max_rows, struct ArrowArray *out,
                             parq_error *err_out) {
  memset(out, 0, sizeof *out);
  if (s->sticky < 0) { /* a failed stream stays failed: its position is unknown */
    if (err_out) *err_out = s->sticky_err;
    return s->sticky;
  }
  parq_error le = {0}, *err = &le;
  /* On failure the state reported stays at the last batch actually returned. */
  int save_epoch = s->st_epoch;
  int64_t save_pos = s->st_pos, save_row = s->st_row;
  if (max_rows <= 0 || max_rows > s->batch_rows) max_rows = s->batch_rows;
  held h = {0};
  pq_arrow_slice *sl = NULL;
  size_t nsl = 0, slcap = 0;
  int64_t got = 0;
  int batch_epoch = -1;
  parq_status st = PARQ_OK;
  while (got < max_rows) {
    if (!s->have_cur) {
      if (s->st_epoch >= s->epochs) break;
      if (got > 0 && s->st_epoch != batch_epoch) break; /* batches never span epochs */
      fetch(s, &s->cur);
      if (s->cur.st < 0) {
        st = s->cur.st;
        le = s->cur.err;
        break;
      }
      if (s->cur.end || s->cur.epoch != s->st_epoch || s->cur.pos != s->st_pos) {
        pq_arrow_array_release(&s->cur.arr);
        st = parq_err_set(err, PARQ_EINTERNAL, "stream producer out of step at epoch %d position %lld",
                          s->st_epoch, (long long)s->st_pos);
        break;
      }
      s->have_cur = 1;
    }
    int64_t avail = s->cur.rows - s->st_row;
    if (avail > 0) {
      int64_t take = avail < max_rows - got ? avail : max_rows - got;
      if (nsl == slcap) {
        size_t nc = slcap ? slcap * 2 : 8;
        pq_arrow_slice *t = realloc(sl, nc * sizeof *t);
        if (!t) {
          st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
          break;
        }
        sl = t;
        slcap = nc;
      }
      sl[nsl++] = (pq_arrow_slice){&s->cur.arr, s->st_row, take};
      s->st_row += take;
      got += take;
      batch_epoch = s->st_epoch;
    }
    if (s->st_row >= s->cur.rows) {
      /* Row group used up: keep its array alive until the batch is built
       * (held items and the slices not on `cur` correspond one to one). */
      if (!nsl || sl[nsl - 1].a != &s->cur.arr) {
        pq_arrow_array_release(&s->cur.arr);
      } else {
        if (h.n == h.cap) {
          size_t nc = h.cap ? h.cap * 2 : 8;
          sitem *t = realloc(h.v, nc * sizeof *t);
          if (!t) {
            st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
            break;
          }
          h.v = t;
          h.cap = nc;
        }
        h.v[h.n] = s->cur;
        /* Slices point at the item: repoint the last one at its new home. */
        if (nsl && sl[nsl - 1].a == &s->cur.arr) sl[nsl - 1].a = &h.v[h.n].arr;
        h.n++;
      }
      s->have_cur = 0;
      s->cur.arr.release = NULL;
      s->st_row = 0;
      if (++s->st_pos >= s->n_rank) {
        s->st_pos = 0;
        s->st_epoch++;
      }
    }
  }
  /* Earlier slices pointing into h.v may be stale after realloc: rebuild them. */
  if (!st && got > 0) {
    size_t hi = 0;
    for (size_t i = 0; i < nsl; i++)
      if (sl[i].a != &s->cur.arr) sl[i].a = &h.v[hi++].arr;
    if (nsl == 1 && h.n == 1 && sl[0].start == 0 && sl[0].len == h.v[0].arr.length) {
      pq_arrow_array_move(&h.v[0].arr, out); /* a whole row group: no copy */
    } else if (nsl == 1) { /* inside one row group: a slice sharing its buffers */
      if (pq_arrow_subslice(sl[0].a, sl[0].start, sl[0].len, out) != PARQ_OK)
        st = parq_err_set(err, PARQ_ENOMEM, "out of memory slicing a batch");
    } else {
      st = pq_arrow_concat(&s->schema, sl, nsl, out, err);
    }
  }
  held_release(&h);
  free(sl);
  if (st < 0) {
    s->st_epoch = save_epoch;
    s->st_pos = save_pos;
    s->st_row = save_row;
    s->sticky = st;
    s->sticky_err = le;
    if (err_out) *err_out = le;
    return st;
  }
  if (got == 0) {
    s->finished = 1;
    return PARQ_DONE;
  }
  return PARQ_OK;
}

parq_status parq_stream_next(parq_stream *s, struct ArrowArray *out, parq_error *err) {
  return pq_stream_next_n(s, s->batch_rows, out, err);
}

/* ---------------- ArrowArrayStream ---------------- */
typedef struct astream {
  parq_stream *s;
  parq_error err;
} astream;

static int status_errno(parq_status st) {
  return st == PARQ_ENOMEM ? ENOMEM : st == PARQ_EINVAL ? EINVAL : EIO;
}
static int as_get_schema(struct ArrowArrayStream *a, struct ArrowSchema *out) {
  astream *p = a->private_data;
  parq_status st = parq_stream_schema(p->s, out, &p->err);
  return st ? status_errno(st) : 0;
}
static int as_get_next(struct ArrowArrayStream *a, struct ArrowArray *out) {
  astream *p = a->private_data;
  parq_status st = parq_stream_next(p->s, out, &p->err);
  if (st == PARQ_DONE) {
    memset(out, 0, sizeof *out);
    return 0;
  }
  return st ? status_errno(st) : 0;
}
static const char *as_last_error(struct ArrowArrayStream *a) {
  astream *p = a->private_data;
  return p->err.message[0] ? p->err.message : NULL;
}
static void as_release(struct ArrowArrayStream *a) {
  if (!a->release) return;
  astream *p = a->private_data;
  parq_stream_close(p->s);
  free(p);
  a->release = NULL;
}

parq_status parq_stream_to_arrow_stream(parq_stream *s, struct ArrowArrayStream *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  astream *p = calloc(1, sizeof *p);
  if (!p) {
    parq_stream_close(s);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  p->s = s;
  out->get_schema = as_get_schema;
  out->get_next = as_get_next;
  out->get_last_error = as_last_error;
  out->release = as_release;
  out->private_data = p;
  return PARQ_OK;
}
