/* store.c — the store's on-disk state: metadata, schema versions, snapshots
 * (CURRENT pointer), the increment listing, reader leases and the small
 * durable-file helpers everything else uses. See store.h for the layout. */
#include "dataset/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dataset/manifest.h"
#include "io/io.h"
#include "util/arrow.h"
#include "util/error.h"

#define SMALL_FILE_MAX (64 << 20)

/* ---------------- string vectors ---------------- */

parq_status pq_strvec_push(pq_strvec *s, const char *str, parq_error *err) {
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 16;
    char **t = realloc(s->v, nc * sizeof *t);
    if (!t) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    s->v = t;
    s->cap = nc;
  }
  char *c = strdup(str);
  if (!c) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  s->v[s->n++] = c;
  return PARQ_OK;
}

void pq_strvec_free(pq_strvec *s) {
  for (size_t i = 0; i < s->n; i++) free(s->v[i]);
  free(s->v);
  memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void pq_strvec_sort(pq_strvec *s) {
  if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

int pq_strvec_contains_sorted(const pq_strvec *s, const char *str) {
  return s->n && bsearch(&str, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

/* ---------------- small helpers ---------------- */

char *pq_store_path(const char *dir, const char *sub, const char *name) {
  size_t n = strlen(dir) + (sub ? strlen(sub) : 0) + (name ? strlen(name) : 0) + 3;
  char *p = malloc(n);
  if (!p) return NULL;
  if (sub && name) snprintf(p, n, "%s/%s/%s", dir, sub, name);
  else if (sub) snprintf(p, n, "%s/%s", dir, sub);
  else snprintf(p, n, "%s/%s", dir, name ? name : "");
  return p;
}

uint64_t pq_store_random64(void) {
  uint64_t r = 0;
  if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 16) ^
        (uint64_t)(uintptr_t)&r;
  }
  return r;
}

double pq_store_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void pq_store_crash_point(const char *step) {
  const char *v = getenv("PARQ_STORE_CRASH_AT");
  /* Fault injection for the crash tests (like SQLite's test hooks): behave
   * exactly like `kill -9` arriving at this step. Inert unless the variable is set. */
  if (v && !strcmp(v, step)) raise(SIGKILL);
}

parq_status pq_store_fsync_dir(const char *path, parq_error *err) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return parq_err_errno(err, "open directory %s", path);
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0 && e != EINVAL) {
    errno = e;
    return parq_err_errno(err, "fsync directory %s", path);
  }
  return PARQ_OK;
}

static parq_status write_all(int fd, const void *p, size_t n, const char *what, parq_error *err) {
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return parq_err_errno(err, "write %s", what);
    }
    c += w;
    n -= (size_t)w;
  }
  return PARQ_OK;
}

parq_status pq_store_write_atomic(const char *dir, const char *name, const void *data, size_t n,
                                  parq_error *err) {
  char *final = pq_store_path(dir, NULL, name);
  size_t tl = strlen(dir) + strlen(name) + 48;
  char *tmp = malloc(tl);
  if (!final || !tmp) {
    free(final);
    free(tmp);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  snprintf(tmp, tl, "%s/.%s.tmp.%ld.%016llx", dir, name, (long)getpid(),
           (unsigned long long)pq_store_random64());
  parq_status st = PARQ_OK;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    st = parq_err_errno(err, "create %s", tmp);
    goto out;
  }
  st = write_all(fd, data, n, tmp, err);
  if (!st && fsync(fd) != 0) st = parq_err_errno(err, "fsync %s", tmp);
  if (close(fd) != 0 && !st) st = parq_err_errno(err, "close %s", tmp);
  if (!st && rename(tmp, final) != 0) st = parq_err_errno(err, "rename %s to %s", tmp, final);
  if (st) unlink(tmp);
  else st = pq_store_fsync_dir(dir, err);
out:
  free(final);
  free(tmp);
  return st;
}

parq_status pq_store_read_small(const char *path, size_t max, parq_buf *out, parq_error *err) {
  parq_buf_clear(out);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return PARQ_DONE;
    return parq_err_errno(err, "open %s", path);
  }
  parq_status st = PARQ_OK;
  for (;;) {
    if ((st = parq_buf_reserve(out, 4096 + 1))) {
      parq_err_set(err, st, "out of memory");
      break;
    }
    ssize_t r = read(fd, out->data + out->len, out->cap - out->len - 1);
    if (r < 0) {
      if (errno == EINTR) continue;
      st = parq_err_errno(err, "read %s", path);
      break;
    }
    if (r == 0) break;
    out->len += (size_t)r;
    if (out->len > max) {
      st = parq_err_set(err, PARQ_ENOMEM, "%s: larger than %zu bytes", path, max);
      break;
    }
  }
  close(fd);
  if (!st) out->data[out->len] = 0;
  return st;
}

/* ---------------- metadata ---------------- */

int pq_store_is_store(const char *dir) {
  char *p = pq_store_path(dir, NULL, PQ_STORE_META);
  if (!p) return 0;
  struct stat sb;
  int ok = stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
  free(p);
  return ok;
}

void pq_store_meta_free(pq_store_meta *m) {
  for (size_t i = 0; i < m->n_key; i++) free(m->key[i]);
  memset(m, 0, sizeof *m);
}

/* Parse a JSON array of strings into v. */
static parq_status parse_str_array(pq_mjson *j, pq_strvec *v, parq_buf *tmp) {
  PARQ_TRY(pq_mjson_expect(j, '['));
  if (pq_mjson_eat(j, ']')) return PARQ_OK;
  do {
    PARQ_TRY(pq_mjson_string(j, tmp));
    PARQ_TRY(pq_strvec_push(v, (const char *)tmp->data, j->err));
  } while (pq_mjson_eat(j, ','));
  return pq_mjson_expect(j, ']');
}

parq_status pq_store_meta_load(const char *dir, pq_store_meta *m, parq_error *err) {
  memset(m, 0, sizeof *m);
  char *p = pq_store_path(dir, NULL, PQ_STORE_META);
  if (!p) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  parq_buf text = PARQ_BUF_INIT, key = PARQ_BUF_INIT;
  pq_strvec keys = {0};
  parq_status st = pq_store_read_small(p, 1 << 20, &text, err);
  if (st == PARQ_DONE)
    st = parq_err_set(err, PARQ_EINVAL, "%s is not a parq store (no %s; create it with "
                      "`parq store init %s`)", dir, PQ_STORE_META, dir);
  if (st) goto out;
  pq_mjson j;
  pq_mjson_init(&j, (const char *)text.data, text.len, PQ_STORE_META, err);
  for (int first = 1;; first = 0) {
    st = pq_mjson_next_key(&j, first, &key);
    if (st == PARQ_DONE) {
      st = PARQ_OK;
      break;
    }
    if (st) break;
    if (!strcmp((const char *)key.data, "key")) st = parse_str_array(&j, &keys, &key);
    else st = pq_mjson_skip(&j);
    if (st) break;
  }
  if (!st && keys.n > PQ_STORE_MAX_KEY)
    st = parq_err_set(err, PARQ_ECORRUPT, "%s: more than %d key columns", p, PQ_STORE_MAX_KEY);
  if (!st) {
    for (size_t i = 0; i < keys.n; i++) {
      m->key[i] = keys.v[i];
      keys.v[i] = NULL;
    }
    m->n_key = keys.n;
  }
out:
  pq_strvec_free(&keys);
  parq_buf_free(&text);
  parq_buf_free(&key);
  free(p);
  return st;
}

/* ---------------- schema versions ---------------- */

static int parse_num_name(const char *name, const char *suffix, int64_t *out) {
  size_t n = strlen(name), sl = strlen(suffix);
  if (n <= sl || strcmp(name + n - sl, suffix)) return 0;
  int64_t v = 0;
  for (size_t i = 0; i < n - sl; i++) {
    if (name[i] < '0' || name[i] > '9' || v > INT64_MAX / 10 - 10) return 0;
    v = v * 10 + (name[i] - '0');
  }
  *out = v;
  return 1;
}

/* Highest N of SUB/N<suffix>, and how many there are. */
static parq_status max_numbered(const char *dir, const char *sub, const char *suffix, int64_t *max,
                                int64_t *count, parq_error *err) {
  *max = 0;
  if (count) *count = 0;
  char *p = pq_store_path(dir, sub, NULL);
  if (!p) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  DIR *d = opendir(p);
  if (!d) {
    parq_status st = errno == ENOENT ? PARQ_OK : parq_err_errno(err, "open directory %s", p);
    free(p);
    return st;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    int64_t v;
    if (e->d_name[0] == '.' || !parse_num_name(e->d_name, suffix, &v)) continue;
    if (v > *max) *max = v;
    if (count) (*count)++;
  }
  closedir(d);
  free(p);
  return PARQ_OK;
}

parq_status pq_store_schema_count(const char *dir, int64_t *n, parq_error *err) {
  int64_t mx;
  return max_numbered(dir, "schemas", ".json", &mx, n, err);
}

parq_status pq_store_schema_latest(const char *dir, int64_t *version, struct ArrowSchema *out,
                                   parq_error *err) {
  memset(out, 0, sizeof *out);
  PARQ_TRY(max_numbered(dir, "schemas", ".json", version, NULL, err));
  if (*version == 0) return PARQ_OK;
  char name[32];
  snprintf(name, sizeof name, "%08lld.json", (long long)*version);
  char *p = pq_store_path(dir, "schemas", name);
  if (!p) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  parq_buf text = PARQ_BUF_INIT;
  parq_status st = pq_store_read_small(p, SMALL_FILE_MAX, &text, err);
  if (st == PARQ_DONE) st = parq_err_set(err, PARQ_EIO, "%s vanished", p);
  if (!st) {
    st = pq_schema_from_json((const char *)text.data, text.len, out, err);
    if (st) parq_err_prefix(err, "%s", p);
  }
  parq_buf_free(&text);
  free(p);
  return st;
}

parq_status pq_store_schema_create(const char *dir, int64_t version, const struct ArrowSchema *s,
                                   parq_error *err) {
  parq_buf json = PARQ_BUF_INIT;
  PARQ_TRY(pq_schema_to_json(s, &json, err));
  char name[32], tname[96];
  snprintf(name, sizeof name, "%08lld.json", (long long)version);
  snprintf(tname, sizeof tname, ".%s.tmp.%ld.%016llx", name, (long)getpid(),
           (unsigned long long)pq_store_random64());
  char *sub = pq_store_path(dir, "schemas", NULL);
  char *fin = pq_store_path(dir, "schemas", name);
  char *tmp = pq_store_path(dir, "schemas", tname);
  parq_status st = PARQ_OK;
  if (!sub || !fin || !tmp) {
    st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    goto out;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    st = parq_err_errno(err, "create %s", tmp);
    goto out;
  }
  st = write_all(fd, json.data, json.len, tmp, err);
  if (!st && fsync(fd) != 0) st = parq_err_errno(err, "fsync %s", tmp);
  close(fd);
  /* link(2) fails with EEXIST when another writer created this version
   * first: exactly one of them wins, the other re-reads and retries. */
  if (!st && link(tmp, fin) != 0) {
    if (errno == EEXIST) st = parq_err_set(err, PARQ_ECONFLICT, "schema version %lld exists",
                                           (long long)version);
    else st = parq_err_errno(err, "link %s", fin);
  }
  unlink(tmp);
  if (!st) st = pq_store_fsync_dir(sub, err);
out:
  parq_buf_free(&json);
  free(sub);
  free(fin);
  free(tmp);
  return st;
}

/* ---------------- snapshots ---------------- */

void pq_store_snap_free(pq_store_snap *s) {
  pq_strvec_free(&s->data);
  pq_strvec_free(&s->consolidated);
  s->id = 0;
}

static parq_status snap_parse(const char *path, const parq_buf *text, pq_store_snap *s,
                              parq_error *err) {
  parq_buf key = PARQ_BUF_INIT;
  pq_mjson j;
  pq_mjson_init(&j, (const char *)text->data, text->len, path, err);
  parq_status st;
  for (int first = 1;; first = 0) {
    st = pq_mjson_next_key(&j, first, &key);
    if (st == PARQ_DONE) {
      st = PARQ_OK;
      break;
    }
    if (st) break;
    const char *k = (const char *)key.data;
    if (!strcmp(k, "data")) st = parse_str_array(&j, &s->data, &key);
    else if (!strcmp(k, "consolidated")) st = parse_str_array(&j, &s->consolidated, &key);
    else st = pq_mjson_skip(&j);
    if (st) break;
  }
  parq_buf_free(&key);
  /* Names are used as path components: refuse anything that could escape. */
  for (size_t i = 0; !st && i < s->data.n + s->consolidated.n; i++) {
    const char *n = i < s->data.n ? s->data.v[i] : s->consolidated.v[i - s->data.n];
    if (!*n || strchr(n, '/') || n[0] == '.')
      st = parq_err_set(err, PARQ_ECORRUPT, "%s: bad file name '%s'", path, n);
  }
  pq_strvec_sort(&s->consolidated);
  return st;
}

parq_status pq_store_snap_load_current(const char *dir, pq_store_snap *s, parq_error *err) {
  memset(s, 0, sizeof *s);
  char *cur = pq_store_path(dir, NULL, "CURRENT");
  if (!cur) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  parq_buf text = PARQ_BUF_INIT;
  parq_status st = pq_store_read_small(cur, 64, &text, err);
  free(cur);
  if (st == PARQ_DONE) {
    parq_buf_free(&text);
    return PARQ_OK; /* never consolidated */
  }
  int64_t id = 0;
  if (!st) {
    size_t n = text.len;
    while (n && (text.data[n - 1] == '\n' || text.data[n - 1] == ' ')) text.data[--n] = 0;
    char name[48];
    snprintf(name, sizeof name, "%.20s.json", (const char *)text.data);
    if (!parse_num_name(name, ".json", &id) || id <= 0)
      st = parq_err_set(err, PARQ_ECORRUPT, "%s/CURRENT: bad snapshot number", dir);
  }
  if (!st) {
    char name[48];
    snprintf(name, sizeof name, "%010lld.json", (long long)id);
    char *p = pq_store_path(dir, "snapshots", name);
    if (!p) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    else {
      st = pq_store_read_small(p, SMALL_FILE_MAX, &text, err);
      if (st == PARQ_DONE) st = parq_err_set(err, PARQ_ECORRUPT, "%s: missing snapshot", p);
      if (!st) st = snap_parse(p, &text, s, err);
      free(p);
    }
  }
  parq_buf_free(&text);
  if (st) pq_store_snap_free(s);
  else s->id = id;
  return st;
}

static parq_status json_str_array(parq_buf *b, const pq_strvec *v) {
  PARQ_TRY(parq_buf_append_byte(b, '['));
  for (size_t i = 0; i < v->n; i++)
    PARQ_TRY(parq_buf_printf(b, "%s\"%s\"", i ? "," : "", v->v[i])); /* names need no escaping */
  return parq_buf_append_byte(b, ']');
}

/* Publish s (s->id set by the caller): snapshot file first, then CURRENT by
 * rename. A crash between the two leaves an unreferenced snapshot file that
 * the next consolidation skips over (it numbers past every existing file). */
parq_status pq_store_snap_publish(const char *dir, const pq_store_snap *s, parq_error *err) {
  parq_buf b = PARQ_BUF_INIT;
  parq_status st = parq_buf_printf(&b, "{\"snapshot\":%lld,\"created\":%.3f,\"data\":",
                                   (long long)s->id, pq_store_now());
  if (!st) st = json_str_array(&b, &s->data);
  if (!st) st = parq_buf_append(&b, ",\"consolidated\":", 16);
  if (!st) st = json_str_array(&b, &s->consolidated);
  if (!st) st = parq_buf_append(&b, "}\n", 2);
  if (st) {
    parq_buf_free(&b);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  char name[48];
  snprintf(name, sizeof name, "%010lld.json", (long long)s->id);
  char *sdir = pq_store_path(dir, "snapshots", NULL);
  if (!sdir) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (!st) st = pq_store_write_atomic(sdir, name, b.data, b.len, err);
  free(sdir);
  parq_buf_free(&b);
  if (st) return st;
  pq_store_crash_point("before-current");
  char num[32];
  int n = snprintf(num, sizeof num, "%010lld\n", (long long)s->id);
  return pq_store_write_atomic(dir, "CURRENT", num, (size_t)n, err);
}

/* ---------------- increments and views ---------------- */

static int is_visible_parquet(const char *n) {
  size_t l = strlen(n);
  return n[0] != '.' && l > 8 && !strcmp(n + l - 8, ".parquet") && !strstr(n, ".tmp.");
}

parq_status pq_store_list_increments(const char *dir, pq_strvec *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  char *p = pq_store_path(dir, "increments", NULL);
  if (!p) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  DIR *d = opendir(p);
  if (!d) {
    parq_status st = errno == ENOENT ? PARQ_OK : parq_err_errno(err, "open directory %s", p);
    free(p);
    return st;
  }
  free(p);
  struct dirent *e;
  parq_status st = PARQ_OK;
  while ((e = readdir(d)) != NULL && !st)
    if (is_visible_parquet(e->d_name)) st = pq_strvec_push(out, e->d_name, err);
  closedir(d);
  if (st) pq_strvec_free(out);
  else pq_strvec_sort(out);
  return st;
}

void pq_store_view_free(pq_store_view *v) {
  pq_store_snap_free(&v->snap);
  pq_strvec_free(&v->pending);
  pq_strvec_free(&v->paths);
  v->n_data = 0;
}

/* Snapshot first, listing second: an increment consolidated after we read
 * CURRENT is still listed (it is deleted only after a grace period), so it
 * is pending for us and in no data file we read — nothing is seen twice. */
parq_status pq_store_view_open(const char *dir, pq_store_view *v, parq_error *err) {
  memset(v, 0, sizeof *v);
  pq_strvec all = {0};
  parq_status st = pq_store_snap_load_current(dir, &v->snap, err);
  if (!st) st = pq_store_list_increments(dir, &all, err);
  for (size_t i = 0; !st && i < all.n; i++)
    if (!pq_strvec_contains_sorted(&v->snap.consolidated, all.v[i]))
      st = pq_strvec_push(&v->pending, all.v[i], err);
  for (size_t i = 0; !st && i < v->snap.data.n; i++) {
    char *p = pq_store_path(dir, "data", v->snap.data.v[i]);
    st = p ? pq_strvec_push(&v->paths, p, err) : parq_err_set(err, PARQ_ENOMEM, "out of memory");
    free(p);
  }
  v->n_data = (int64_t)v->paths.n;
  for (size_t i = 0; !st && i < v->pending.n; i++) {
    char *p = pq_store_path(dir, "increments", v->pending.v[i]);
    st = p ? pq_strvec_push(&v->paths, p, err) : parq_err_set(err, PARQ_ENOMEM, "out of memory");
    free(p);
  }
  pq_strvec_free(&all);
  if (st) pq_store_view_free(v);
  return st;
}

parq_status pq_store_resolve_files(const char *dir, char ***paths, size_t *n, parq_error *err) {
  *paths = NULL;
  *n = 0;
  if (!pq_store_is_store(dir))
    return parq_err_set(err, PARQ_EINVAL, "%s is not a parq store", dir);
  pq_store_view v;
  PARQ_TRY(pq_store_view_open(dir, &v, err));
  *paths = v.paths.v;
  *n = v.paths.n;
  v.paths.v = NULL;
  v.paths.n = 0;
  pq_store_view_free(&v);
  return PARQ_OK;
}

void pq_store_free_files(char **paths, size_t n) {
  for (size_t i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

/* ---------------- reader leases ---------------- */

parq_status pq_store_lease_take(const char *dir, pq_store_lease *l, parq_error *err) {
  memset(l, 0, sizeof *l);
  char name[64];
  snprintf(name, sizeof name, "%ld-%016llx", (long)getpid(),
           (unsigned long long)pq_store_random64());
  l->path = pq_store_path(dir, "readers", name);
  if (!l->path) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    /* A read-only store (or one from an older layout) is still readable:
     * without a lease we rely on the grace period alone. */
    free(l->path);
    l->path = NULL;
    return PARQ_OK;
  }
  close(fd);
  l->last_touch = pq_store_now();
  return PARQ_OK;
}

void pq_store_lease_touch(pq_store_lease *l) {
  if (!l || !l->path) return;
  double now = pq_store_now();
  if (now - l->last_touch < 1.0) return;
  l->last_touch = now;
  (void)utimensat(AT_FDCWD, l->path, NULL, 0);
}

void pq_store_lease_drop(pq_store_lease *l) {
  if (!l) return;
  if (l->path) unlink(l->path);
  free(l->path);
  l->path = NULL;
}
