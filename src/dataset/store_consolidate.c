/* store_consolidate.c — folding increments into data files, garbage
 * collection of replaced files, the de-duplicated read (export) and health.
 *
 * Consolidation: claim DIR/_consolidate.lock (O_EXCL; a stale claim of a dead
 * process or one older than 10 minutes is broken), take the view (snapshot +
 * pending increments listed now; later ones stay pending), write the new data
 * files (writer: temp + fsync + rename), publish snapshot N+1 (file, then
 * CURRENT by rename), release. A crash at any point leaves either the old
 * CURRENT (new files are unreferenced orphans, removed later) or the new one.
 * With a key every data file is rewritten (any of them may hold an updated
 * key); without a key the old data files are kept and only the pending
 * increments become new files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/store.h"
#include "util/arrow.h"
#include "util/error.h"

#define LOCK_NAME "_consolidate.lock"
#define LOCK_STALE_SECONDS 600.0
#define LEASE_STALE_SECONDS 30.0
#define TEMP_STALE_SECONDS 3600.0

void parq_store_consolidate_options_init(parq_store_consolidate_options *o) {
  memset(o, 0, sizeof *o);
  o->target_file_bytes = 128ll << 20;
  o->memory_limit = 1ll << 30;
  o->grace_seconds = 60.0;
}

/* ---------------- the lock ---------------- */

static double file_age(const char *p) {
  struct stat sb;
  if (stat(p, &sb) != 0) return -1;
  return pq_store_now() - ((double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec * 1e-9);
}

/* PARQ_OK with *got = 1 (ours), or *got = 0 and holder described in msg. */
static parq_status lock_take(const char *path, int *got, char *msg, size_t cap,
                             parq_error *err) {
  *got = 0;
  char host[64] = "";
  gethostname(host, sizeof host - 1);
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      char line[160];
      int n = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), host);
      ssize_t w = write(fd, line, (size_t)n);
      (void)w;
      close(fd);
      *got = 1;
      return PARQ_OK;
    }
    if (errno != EEXIST) return parq_err_errno(err, "create %s", path);
    /* Held: by a live process, or a leftover of a killed one? */
    char buf[160] = "";
    int rfd = open(path, O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      ssize_t r = read(rfd, buf, sizeof buf - 1);
      buf[r > 0 ? r : 0] = 0;
      close(rfd);
    }
    long pid = 0;
    char lhost[64] = "";
    sscanf(buf, "%ld %63s", &pid, lhost);
    int dead = pid > 0 && !strcmp(lhost, host) && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    double age = file_age(path);
    if (dead || age > LOCK_STALE_SECONDS) {
      unlink(path); /* break the stale claim and retry once */
      continue;
    }
    snprintf(msg, cap, "another consolidation is running (pid %ld on %s)", pid,
             lhost[0] ? lhost : "?");
    return PARQ_OK;
  }
  snprintf(msg, cap, "another consolidation claimed the store first");
  return PARQ_OK;
}

/* ---------------- garbage collection ---------------- */

static int live_readers(const char *dir) {
  char *p = pq_store_path(dir, "readers", NULL);
  if (!p) return 1;
  DIR *d = opendir(p);
  int live = 0;
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      char *f = pq_store_path(p, NULL, e->d_name);
      if (!f) {
        live++;
        continue;
      }
      double age = file_age(f);
      if (age > LEASE_STALE_SECONDS) unlink(f); /* its reader died */
      else if (age >= 0) live++;
      free(f);
    }
    closedir(d);
  }
  free(p);
  return live;
}

/* Remove stale temporaries in DIR/sub; with `unref`, also files not in keep. */
static void gc_dir(const char *dir, const char *sub, const pq_strvec *keep, int unref,
                   int64_t *removed) {
  char *p = pq_store_path(dir, sub, NULL);
  if (!p) return;
  DIR *d = opendir(p);
  if (!d) {
    free(p);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
    char *f = pq_store_path(p, NULL, n);
    if (!f) break;
    int temp = n[0] == '.' || strstr(n, ".tmp.") != NULL;
    if (temp) {
      if (file_age(f) > TEMP_STALE_SECONDS && unlink(f) == 0) (*removed)++;
    } else if (unref && !pq_strvec_contains_sorted(keep, n)) {
      if (unlink(f) == 0) (*removed)++;
    }
    free(f);
  }
  closedir(d);
  free(p);
}

/* Delete what the current snapshot made obsolete, if no reader can need it:
 * no live lease and CURRENT older than the grace period. */
static parq_status gc(const char *dir, double grace, int64_t *removed, parq_error *err) {
  pq_store_snap s;
  PARQ_TRY(pq_store_snap_load_current(dir, &s, err));
  char *cur = pq_store_path(dir, NULL, "CURRENT");
  double age = cur ? file_age(cur) : -1;
  free(cur);
  int safe = s.id > 0 && age >= grace && live_readers(dir) == 0;
  pq_strvec keep = {0};
  for (size_t i = 0; i < s.data.n; i++) pq_strvec_push(&keep, s.data.v[i], NULL);
  pq_strvec_sort(&keep);
  gc_dir(dir, "data", &keep, safe, removed);
  if (safe) {
    for (size_t i = 0; i < s.consolidated.n; i++) {
      char *f = pq_store_path(dir, "increments", s.consolidated.v[i]);
      if (f && unlink(f) == 0) (*removed)++;
      free(f);
    }
    /* Old snapshot files: keep the current one only. */
    pq_strvec_free(&keep);
    char name[48];
    snprintf(name, sizeof name, "%010lld.json", (long long)s.id);
    pq_strvec_push(&keep, name, NULL);
    gc_dir(dir, "snapshots", &keep, 1, removed);
  }
  gc_dir(dir, "increments", NULL, 0, removed);
  gc_dir(dir, "schemas", NULL, 0, removed);
  pq_strvec_free(&keep);
  pq_store_snap_free(&s);
  char *sdir = pq_store_path(dir, "increments", NULL);
  if (sdir) (void)pq_store_fsync_dir(sdir, NULL);
  free(sdir);
  return PARQ_OK;
}

/* ---------------- writing data files ---------------- */

typedef struct out_ctx {
  const char *dir;
  int64_t snap, k, target;
  const struct ArrowSchema *schema;
  parq_writer *w;
  pq_strvec *files;
  int64_t bytes;
} out_ctx;

static parq_status out_close(out_ctx *c, parq_error *err) {
  if (!c->w) return PARQ_OK;
  c->bytes += parq_writer_bytes(c->w);
  parq_writer *w = c->w;
  c->w = NULL;
  return parq_writer_close(w, err);
}

static parq_status out_emit(void *user, const struct ArrowArray *b, parq_error *err) {
  out_ctx *c = user;
  if (!c->w) {
    char name[64];
    snprintf(name, sizeof name, "%010lld-%05lld.parquet", (long long)c->snap, (long long)c->k++);
    char *p = pq_store_path(c->dir, "data", name);
    if (!p) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    parq_write_options wo;
    parq_write_options_init(&wo);
    if (c->target < wo.row_group_bytes) wo.row_group_bytes = c->target;
    parq_status st = parq_writer_open(p, c->schema, &wo, &c->w, err);
    free(p);
    PARQ_TRY(st);
    PARQ_TRY(pq_strvec_push(c->files, name, err));
  }
  PARQ_TRY(parq_writer_write(c->w, b, err));
  if (parq_writer_bytes(c->w) >= c->target) return out_close(c, err);
  return PARQ_OK;
}

static parq_status next_snapshot_id(const char *dir, int64_t cur, int64_t *out, parq_error *err) {
  char *p = pq_store_path(dir, "snapshots", NULL);
  if (!p) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int64_t mx = cur;
  DIR *d = opendir(p);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      long long v = 0;
      if (e->d_name[0] != '.' && sscanf(e->d_name, "%lld", &v) == 1 && v > mx) mx = v;
    }
    closedir(d);
  }
  free(p);
  *out = mx + 1;
  return PARQ_OK;
}

static parq_status do_consolidate(const char *dir, const parq_store_consolidate_options *o,
                                  parq_store_consolidate_result *res, parq_error *err) {
  pq_store_meta meta;
  PARQ_TRY(pq_store_meta_load(dir, &meta, err));
  pq_store_view v;
  parq_status st = pq_store_view_open(dir, &v, err);
  if (st) {
    pq_store_meta_free(&meta);
    return st;
  }
  struct ArrowSchema target = {0};
  int64_t version = 0;
  pq_strvec files = {0}, all = {0};
  pq_store_snap ns = {0};
  res->increments = (int64_t)v.pending.n;
  if (v.pending.n == 0) {
    snprintf(res->message, sizeof res->message, "nothing to consolidate");
    goto out;
  }
  st = pq_store_schema_latest(dir, &version, &target, err);
  if (!st && version == 0) st = parq_err_set(err, PARQ_ECORRUPT, "%s: no schema version", dir);
  if (!st) st = next_snapshot_id(dir, v.snap.id, &ns.id, err);
  if (st) goto out;
  /* Without a key the old data files stay as they are. */
  size_t first = meta.n_key ? 0 : (size_t)v.n_data;
  for (size_t i = 0; !meta.n_key && i < (size_t)v.n_data && !st; i++)
    st = pq_strvec_push(&ns.data, v.snap.data.v[i], err);
  out_ctx oc = {.dir = dir, .snap = ns.id, .target = o->target_file_bytes, .schema = &target,
                .files = &files};
  pq_scan_options so;
  memset(&so, 0, sizeof so);
  so.paths = (const char *const *)v.paths.v + first;
  so.n_paths = v.paths.n - first;
  so.target = &target;
  so.key = (const char *const *)meta.key;
  so.n_key = meta.n_key;
  so.memory_limit = o->memory_limit;
  so.emit = out_emit;
  so.user = &oc;
  if (!st) st = pq_store_scan(&so, err);
  if (!st) st = out_close(&oc, err);
  else {
    parq_writer_abort(oc.w);
    oc.w = NULL;
  }
  if (st) goto out;
  pq_store_crash_point("after-data");
  char *ddir = pq_store_path(dir, "data", NULL);
  if (ddir) (void)pq_store_fsync_dir(ddir, NULL);
  free(ddir);
  for (size_t i = 0; i < files.n && !st; i++) st = pq_strvec_push(&ns.data, files.v[i], err);
  /* Consolidated increments: this run's, plus earlier ones not yet deleted. */
  if (!st) st = pq_store_list_increments(dir, &all, err);
  for (size_t i = 0; i < all.n && !st; i++)
    if (pq_strvec_contains_sorted(&v.snap.consolidated, all.v[i]))
      st = pq_strvec_push(&ns.consolidated, all.v[i], err);
  for (size_t i = 0; i < v.pending.n && !st; i++)
    st = pq_strvec_push(&ns.consolidated, v.pending.v[i], err);
  if (st) goto out;
  pq_strvec_sort(&ns.consolidated);
  st = pq_store_snap_publish(dir, &ns, err);
  if (st) goto out;
  pq_store_crash_point("after-publish");
  res->ran = 1;
  res->snapshot = ns.id;
  res->rows_in = so.rows_in;
  res->rows_out = so.rows_out;
  res->files = (int64_t)ns.data.n;
  res->bytes_written = oc.bytes;
  snprintf(res->message, sizeof res->message,
           "snapshot %lld: %lld increments folded in, %lld rows read, %lld rows in %lld new "
           "file(s)", (long long)ns.id, (long long)v.pending.n, (long long)so.rows_in,
           (long long)so.rows_out, (long long)files.n);
out:
  pq_strvec_free(&files);
  pq_strvec_free(&all);
  pq_store_snap_free(&ns);
  pq_arrow_schema_release(&target);
  pq_store_view_free(&v);
  pq_store_meta_free(&meta);
  return st;
}

parq_status parq_store_consolidate(const char *dir, const parq_store_consolidate_options *opt,
                                   parq_store_consolidate_result *res, parq_error *err) {
  parq_store_consolidate_options o;
  if (opt) o = *opt;
  else parq_store_consolidate_options_init(&o);
  if (o.target_file_bytes <= 0) o.target_file_bytes = 128ll << 20;
  parq_store_consolidate_result dummy;
  if (!res) res = &dummy;
  memset(res, 0, sizeof *res);
  if (!pq_store_is_store(dir)) return parq_err_set(err, PARQ_EINVAL, "%s is not a parq store", dir);
  char *lock = pq_store_path(dir, NULL, LOCK_NAME);
  if (!lock) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int got = 0;
  parq_status st = lock_take(lock, &got, res->message, sizeof res->message, err);
  if (st || !got) {
    free(lock);
    return st;
  }
  pq_store_crash_point("after-lock");
  st = gc(dir, o.grace_seconds, &res->removed, err);
  if (!st) st = do_consolidate(dir, &o, res, err);
  if (!st) st = gc(dir, o.grace_seconds, &res->removed, err);
  unlink(lock);
  free(lock);
  return st;
}

/* ---------------- de-duplicated read ---------------- */

typedef struct read_ctx {
  const struct ArrowSchema *schema;
  parq_store_batch_fn fn;
  void *user;
} read_ctx;

static parq_status read_emit(void *user, const struct ArrowArray *b, parq_error *err) {
  read_ctx *c = user;
  return c->fn(c->user, c->schema, b, err);
}

parq_status parq_store_read(const char *dir, const parq_predicate *preds, size_t n_preds,
                            parq_store_batch_fn fn, void *user, int64_t *rows_out,
                            parq_error *err) {
  if (rows_out) *rows_out = 0;
  pq_store_meta meta;
  PARQ_TRY(pq_store_meta_load(dir, &meta, err));
  pq_store_lease lease;
  parq_status st = pq_store_lease_take(dir, &lease, err);
  pq_store_view v = {0};
  struct ArrowSchema target = {0};
  int64_t version = 0;
  if (!st) st = pq_store_view_open(dir, &v, err);
  if (!st) st = pq_store_schema_latest(dir, &version, &target, err);
  if (!st && version > 0) {
    read_ctx rc = {&target, fn, user};
    pq_scan_options so;
    memset(&so, 0, sizeof so);
    so.paths = (const char *const *)v.paths.v;
    so.n_paths = v.paths.n;
    so.target = &target;
    so.key = (const char *const *)meta.key;
    so.n_key = meta.n_key;
    so.preds = preds;
    so.n_preds = n_preds;
    so.lease = &lease;
    so.emit = read_emit;
    so.user = &rc;
    st = pq_store_scan(&so, err);
    if (rows_out) *rows_out = so.rows_out;
  } else if (!st) {
    /* Empty store: report the (empty) schema once so writers can emit headers. */
    struct ArrowSchema empty;
    if (pq_arrow_schema_init(&empty, "+s", "", 0, 0))
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    else {
      st = fn(user, &empty, NULL, err);
      pq_arrow_schema_release(&empty);
    }
  }
  pq_arrow_schema_release(&target);
  pq_store_view_free(&v);
  pq_store_lease_drop(&lease);
  pq_store_meta_free(&meta);
  return st;
}

/* ---------------- health ---------------- */

static void file_stats(const char *path, int64_t *rows, int64_t *bytes) {
  struct stat sb;
  if (stat(path, &sb) == 0) *bytes += sb.st_size;
  parq_reader *r = NULL;
  if (parq_reader_open(path, NULL, &r, NULL) == PARQ_OK) {
    *rows += parq_reader_num_rows(r);
    parq_reader_close(r);
  }
}

parq_status parq_store_health(const char *dir, parq_store_health_info *h, parq_error *err) {
  memset(h, 0, sizeof *h);
  h->oldest_increment_age = -1;
  pq_store_meta meta;
  PARQ_TRY(pq_store_meta_load(dir, &meta, err));
  h->key_columns = (int64_t)meta.n_key;
  pq_store_meta_free(&meta);
  pq_store_view v;
  PARQ_TRY(pq_store_view_open(dir, &v, err));
  h->snapshot = v.snap.id;
  h->data_files = v.n_data;
  h->increments = (int64_t)v.pending.n;
  double now = pq_store_now();
  for (size_t i = 0; i < v.paths.n; i++) {
    if ((int64_t)i < v.n_data) {
      file_stats(v.paths.v[i], &h->data_rows, &h->data_bytes);
    } else {
      file_stats(v.paths.v[i], &h->increment_rows, &h->increment_bytes);
      unsigned long long ns = 0;
      const char *name = v.pending.v[i - (size_t)v.n_data];
      if (sscanf(name, "%llu", &ns) == 1) {
        double age = now - (double)ns * 1e-9;
        if (age > h->oldest_increment_age) h->oldest_increment_age = age;
      }
    }
  }
  pq_store_view_free(&v);
  return pq_store_schema_count(dir, &h->schema_versions, err);
}
