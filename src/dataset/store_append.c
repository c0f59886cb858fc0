/* store_append.c — creating a store and appending durable increments.
 *
 * An append writes DIR/increments/.w-<host>-<pid>-<rand>.parquet (hidden, so
 * never read), fsyncs it, then names it <unix-nanos>-<host>-<pid>-<rand>
 * .parquet by rename(2) and fsyncs the directory. The timestamp is taken after
 * the data is durable, right before the rename, so the name order follows
 * the acknowledgement order (docs/STORE.md). No lock is held at any point:
 * names are unique by construction, and the only shared mutable thing — the
 * schema version list — is extended with link(2), which one writer wins. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dataset/store.h"
#include "io/io.h"
#include "util/arrow.h"
#include "util/error.h"

typedef struct pq_store_appender {
  char *dir;
  char *hidden;           /* DIR/increments/.w-....parquet */
  char tag[160];          /* <host>-<pid>-<rand> */
  struct ArrowSchema target;
  int64_t version;
  pq_conform *conv;       /* NULL when the input already has the target schema */
  parq_writer *w;
  int64_t rows;
} pq_store_appender;

/* ---------------- init ---------------- */

static parq_status mkdir_p(const char *p, parq_error *err) {
  if (mkdir(p, 0777) != 0 && errno != EEXIST) return parq_err_errno(err, "mkdir %s", p);
  return PARQ_OK;
}

static parq_status check_key_columns(const struct ArrowSchema *s, const char *const *key,
                                     size_t n_key, parq_error *err) {
  for (size_t k = 0; k < n_key; k++) {
    int found = 0;
    for (int64_t i = 0; i < s->n_children; i++) {
      const struct ArrowSchema *c = s->children[i];
      if (!c->name || strcmp(c->name, key[k])) continue;
      found = 1;
      if (c->format[0] == '+')
        return parq_err_set(err, PARQ_ESCHEMA, "key column '%s' is nested; keys must be scalar",
                            key[k]);
    }
    if (!found) return parq_err_set(err, PARQ_ESCHEMA, "key column '%s' is not in the schema",
                                    key[k]);
  }
  return PARQ_OK;
}

parq_status parq_store_init(const char *dir, const char *const *key, size_t n_key,
                            const struct ArrowSchema *schema, parq_error *err) {
  if (!dir || !*dir) return parq_err_set(err, PARQ_EINVAL, "parq_store_init: empty directory");
  if (n_key > PQ_STORE_MAX_KEY)
    return parq_err_set(err, PARQ_EINVAL, "at most %d key columns", PQ_STORE_MAX_KEY);
  for (size_t i = 0; i < n_key; i++)
    if (!key[i] || !*key[i] || strchr(key[i], '"') || strchr(key[i], '\\'))
      return parq_err_set(err, PARQ_EINVAL, "bad key column name");
  if (schema) PARQ_TRY(check_key_columns(schema, key, n_key, err));
  if (pq_store_is_store(dir))
    return parq_err_set(err, PARQ_EINVAL, "%s is already a parq store", dir);
  PARQ_TRY(mkdir_p(dir, err));
  static const char *const subs[] = {"increments", "data", "snapshots", "schemas", "readers"};
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    char *p = pq_store_path(dir, subs[i], NULL);
    if (!p) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    parq_status st = mkdir_p(p, err);
    free(p);
    PARQ_TRY(st);
  }
  if (schema) {
    parq_status st = pq_store_schema_create(dir, 1, schema, err);
    if (st) return st;
  }
  parq_buf b = PARQ_BUF_INIT;
  parq_status st = parq_buf_printf(&b, "{\"format\":\"parq-store\",\"version\":1,\"key\":[");
  for (size_t i = 0; !st && i < n_key; i++)
    st = parq_buf_printf(&b, "%s\"%s\"", i ? "," : "", key[i]);
  if (!st) st = parq_buf_printf(&b, "]}\n");
  if (st) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  /* The metadata file goes last: its presence is what makes DIR a store. */
  if (!st) st = pq_store_write_atomic(dir, PQ_STORE_META, b.data, b.len, err);
  parq_buf_free(&b);
  return st;
}

/* ---------------- appender ---------------- */

static void appender_free(pq_store_appender *a) {
  if (!a) return;
  parq_writer_abort(a->w);
  if (a->hidden) unlink(a->hidden);
  pq_conform_close(a->conv);
  pq_arrow_schema_release(&a->target);
  free(a->hidden);
  free(a->dir);
  free(a);
}

static void make_tag(char *out, size_t cap) {
  char host[64] = "host";
  if (gethostname(host, sizeof host - 1) != 0) strcpy(host, "host");
  host[sizeof host - 1] = 0;
  for (char *p = host; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
      *p = '_';
  snprintf(out, cap, "%s-%ld-%016llx", host, (long)getpid(),
           (unsigned long long)pq_store_random64());
}

/* Decide the increment's schema: the latest version if the input fits it,
 * else a new version (created race-free with link; a loser re-reads). */
static parq_status pick_schema(pq_store_appender *a, const struct ArrowSchema *in,
                               parq_error *err) {
  pq_store_meta meta;
  PARQ_TRY(pq_store_meta_load(a->dir, &meta, err));
  parq_status st = check_key_columns(in, (const char *const *)meta.key, meta.n_key, err);
  pq_store_meta_free(&meta);
  if (st) return st; /* the store's key must be in every append */
  for (int attempt = 0; attempt < 64; attempt++) {
    struct ArrowSchema cur;
    int64_t v;
    PARQ_TRY(pq_store_schema_latest(a->dir, &v, &cur, err));
    int changed = 0;
    st = pq_store_schema_merge(v ? &cur : NULL, in, &a->target, &changed, err);
    pq_arrow_schema_release(&cur);
    if (st) return st;
    if (!changed) {
      a->version = v;
      return PARQ_OK;
    }
    st = pq_store_schema_create(a->dir, v + 1, &a->target, err);
    if (st == PARQ_OK) {
      a->version = v + 1;
      return PARQ_OK;
    }
    pq_arrow_schema_release(&a->target);
    if (st != PARQ_ECONFLICT) return st;
    parq_err_clear(err);
  }
  return parq_err_set(err, PARQ_ECONFLICT, "schema version kept changing; giving up");
}

static parq_status appender_open(const char *dir, const struct ArrowSchema *in,
                                 pq_store_appender **out, parq_error *err) {
  *out = NULL;
  if (!pq_store_is_store(dir))
    return parq_err_set(err, PARQ_EINVAL, "%s is not a parq store (create it with `parq store "
                        "init %s`)", dir, dir);
  pq_store_appender *a = calloc(1, sizeof *a);
  if (!a || !(a->dir = strdup(dir))) {
    free(a);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  parq_status st = pick_schema(a, in, err);
  if (!st && !pq_store_schema_equal(in, &a->target))
    st = pq_conform_open(in, &a->target, &a->conv, err);
  if (!st) {
    make_tag(a->tag, sizeof a->tag);
    char name[200];
    snprintf(name, sizeof name, ".w-%s.parquet", a->tag);
    a->hidden = pq_store_path(dir, "increments", name);
    if (!a->hidden) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  if (!st) {
    char ver[32];
    snprintf(ver, sizeof ver, "%lld", (long long)a->version);
    const char *kv[2] = {"parq.store.schema_version", ver};
    parq_write_options wo;
    parq_write_options_init(&wo);
    wo.fsync = 0; /* we fsync once, before the publishing rename */
    wo.kv = kv;
    wo.n_kv = 1;
    st = parq_writer_open(a->hidden, &a->target, &wo, &a->w, err);
  }
  if (st) {
    free(a->hidden);
    a->hidden = NULL; /* nothing was created */
    appender_free(a);
    return st;
  }
  *out = a;
  return PARQ_OK;
}

static parq_status appender_write(pq_store_appender *a, const struct ArrowArray *batch,
                                  parq_error *err) {
  if (batch->length == 0) return PARQ_OK;
  a->rows += batch->length;
  if (!a->conv) return parq_writer_write(a->w, batch, err);
  for (int64_t i = 0; i < batch->length; i++) PARQ_TRY(pq_conform_row(a->conv, batch, i, err));
  struct ArrowArray conv;
  PARQ_TRY(pq_conform_finish(a->conv, &conv, err));
  parq_status st = parq_writer_write(a->w, &conv, err);
  conv.release(&conv);
  return st;
}

/* Publish: footer, fsync, rename to the acknowledged name, directory fsync. */
static parq_status appender_commit(pq_store_appender *a, char **name_out, parq_error *err) {
  parq_writer *w = a->w;
  a->w = NULL;
  parq_status st = parq_writer_close(w, err);
  if (st) return st;
  int fd = open(a->hidden, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return parq_err_errno(err, "open %s", a->hidden);
  if (fsync(fd) != 0) {
    st = parq_err_errno(err, "fsync %s", a->hidden);
    close(fd);
    return st;
  }
  close(fd);
  pq_store_crash_point("append-before-rename");
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  unsigned long long ns = (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
  char name[220];
  snprintf(name, sizeof name, "%020llu-%s.parquet", ns, a->tag);
  char *final = pq_store_path(a->dir, "increments", name);
  char *sub = pq_store_path(a->dir, "increments", NULL);
  if (!final || !sub) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (!st && rename(a->hidden, final) != 0) st = parq_err_errno(err, "rename %s", final);
  if (!st) {
    free(a->hidden);
    a->hidden = NULL; /* published: never unlink it now */
    st = pq_store_fsync_dir(sub, err);
  }
  if (!st && name_out) {
    *name_out = strdup(name);
    if (!*name_out) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  free(final);
  free(sub);
  return st;
}

/* ---------------- public entry points ---------------- */

parq_status parq_store_append(const char *dir, const struct ArrowSchema *schema,
                              const struct ArrowArray *const *batches, size_t n_batches,
                              char **name_out, parq_error *err) {
  if (name_out) *name_out = NULL;
  if (!dir || !schema) return parq_err_set(err, PARQ_EINVAL, "parq_store_append: NULL argument");
  pq_store_appender *a;
  PARQ_TRY(appender_open(dir, schema, &a, err));
  parq_status st = PARQ_OK;
  for (size_t i = 0; i < n_batches && !st; i++) st = appender_write(a, batches[i], err);
  if (!st) st = appender_commit(a, name_out, err);
  appender_free(a);
  return st;
}

/* Input: a Parquet file or a JSONL / CSV file ("-" = JSONL on stdin). */
parq_status parq_store_append_file(const char *dir, const char *path, char **name_out,
                                   int64_t *rows_out, parq_error *err) {
  if (name_out) *name_out = NULL;
  if (rows_out) *rows_out = 0;
  pq_file_format fmt = strcmp(path, "-") ? pq_format_from_path(path) : PQ_FMT_JSONL;
  if (fmt == PQ_FMT_AUTO) fmt = PQ_FMT_JSONL;
  parq_reader *pr = NULL;
  pq_text_reader *tr = NULL;
  struct ArrowSchema schema = {0};
  struct ArrowArray batch = {0};
  pq_store_appender *a = NULL;
  parq_status st;
  if (fmt == PQ_FMT_PARQUET) {
    st = parq_reader_open(path, NULL, &pr, err);
    if (!st) st = parq_reader_schema(pr, &schema, err);
  } else {
    pq_text_read_options to;
    pq_text_read_options_init(&to);
    to.format = fmt;
    st = pq_text_reader_open(path, &to, &tr, err);
    if (!st) st = pq_text_reader_schema(tr, &schema, err);
  }
  if (!st) st = appender_open(dir, &schema, &a, err);
  while (!st) {
    st = pr ? parq_reader_next(pr, &batch, err) : pq_text_reader_next(tr, &batch, err);
    if (st == PARQ_DONE) {
      st = PARQ_OK;
      break;
    }
    if (st) break;
    st = appender_write(a, &batch, err);
    batch.release(&batch);
  }
  if (!st && a->rows > 0) st = appender_commit(a, name_out, err);
  if (!st && rows_out) *rows_out = a->rows;
  if (st && !strstr(err ? err->message : "", path) && err) parq_err_prefix(err, "%s", path);
  appender_free(a);
  pq_arrow_schema_release(&schema);
  parq_reader_close(pr);
  pq_text_reader_close(tr);
  return st;
}
