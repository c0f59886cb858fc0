/* manifest_repack.c — the repack side of manifest.json: loading full shard
 * records and the recorded command, writing the manifest atomically after
 * each shard, hashing shard files (xxh3-64), and explaining how two recorded
 * commands differ. Parsing uses the shared scanner of manifest.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "dataset/manifest.h"
#include "util/error.h"

#define MAX_MANIFEST ((int64_t)256 << 20)

void pq_repack_manifest_free(pq_repack_manifest *m) {
  if (!m) return;
  free(m->command);
  free(m->shards);
  memset(m, 0, sizeof *m);
}

parq_status pq_repack_manifest_push(pq_repack_manifest *m, const pq_manifest_shard *s,
                                    parq_error *err) {
  if (m->n_shards == m->cap) {
    size_t nc = m->cap ? m->cap * 2 : 64;
    pq_manifest_shard *t = realloc(m->shards, nc * sizeof *t);
    if (!t) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    m->shards = t;
    m->cap = nc;
  }
  m->shards[m->n_shards++] = *s;
  return PARQ_OK;
}

static parq_status slurp(const char *path, char **out, size_t *len, parq_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? PARQ_DONE : parq_err_errno(err, "open %s", path);
  struct stat sb;
  if (fstat(fd, &sb) != 0 || sb.st_size > MAX_MANIFEST) {
    close(fd);
    return parq_err_set(err, PARQ_ECORRUPT, "%s: cannot stat or too large", path);
  }
  char *buf = malloc((size_t)sb.st_size + 1);
  if (!buf) {
    close(fd);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  size_t got = 0;
  while (got < (size_t)sb.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  buf[got] = 0;
  *out = buf;
  *len = got;
  return PARQ_OK;
}

static parq_status parse_shard(pq_mjson *j, pq_manifest_shard *s, parq_buf *key, parq_buf *val) {
  memset(s, 0, sizeof *s);
  parq_status st = pq_mjson_next_key(j, 1, key);
  while (st == PARQ_OK) {
    const char *k = (const char *)key->data;
    if (!strcmp(k, "path")) {
      PARQ_TRY(pq_mjson_string(j, val));
      if (val->len == 0 || val->len >= sizeof s->path || strchr((char *)val->data, '/'))
        return pq_mjson_fail(j, "bad shard path");
      memcpy(s->path, val->data, val->len + 1);
    } else if (!strcmp(k, "rows")) {
      PARQ_TRY(pq_mjson_int(j, &s->rows));
    } else if (!strcmp(k, "row_groups")) {
      PARQ_TRY(pq_mjson_int(j, &s->row_groups));
    } else if (!strcmp(k, "text_chars")) {
      PARQ_TRY(pq_mjson_int(j, &s->text_chars));
    } else if (!strcmp(k, "bytes")) {
      PARQ_TRY(pq_mjson_int(j, &s->bytes));
    } else if (!strcmp(k, "xxh3")) {
      PARQ_TRY(pq_mjson_string(j, val));
      char *e = NULL;
      s->xxh3 = strtoull((char *)val->data, &e, 16);
      if (val->len != 16 || *e) return pq_mjson_fail(j, "bad xxh3 hex");
    } else {
      PARQ_TRY(pq_mjson_skip(j));
    }
    st = pq_mjson_next_key(j, 0, key);
  }
  if (st < 0) return st;
  if (!s->path[0] || s->rows < 0 || s->bytes < 0) return pq_mjson_fail(j, "incomplete shard entry");
  return PARQ_OK;
}

static parq_status parse(pq_mjson *j, pq_repack_manifest *m, parq_buf *key, parq_buf *val) {
  parq_status st = pq_mjson_next_key(j, 1, key);
  while (st == PARQ_OK) {
    const char *k = (const char *)key->data;
    if (!strcmp(k, "command")) {
      pq_mjson_ws(j);
      const char *s = j->p;
      PARQ_TRY(pq_mjson_skip(j));
      free(m->command);
      m->command = strndup(s, (size_t)(j->p - s));
      if (!m->command) return parq_err_set(j->err, PARQ_ENOMEM, "out of memory");
    } else if (!strcmp(k, "complete")) {
      pq_mjson_ws(j);
      m->complete = j->p < j->end && *j->p == 't';
      PARQ_TRY(pq_mjson_skip(j));
    } else if (!strcmp(k, "shards")) {
      PARQ_TRY(pq_mjson_expect(j, '['));
      if (!pq_mjson_eat(j, ']')) {
        for (;;) {
          pq_manifest_shard s;
          PARQ_TRY(parse_shard(j, &s, key, val));
          PARQ_TRY(pq_repack_manifest_push(m, &s, j->err));
          if (pq_mjson_eat(j, ',')) continue;
          PARQ_TRY(pq_mjson_expect(j, ']'));
          break;
        }
      }
    } else {
      PARQ_TRY(pq_mjson_skip(j));
    }
    st = pq_mjson_next_key(j, 0, key);
  }
  return st == PARQ_DONE ? PARQ_OK : st;
}

parq_status pq_repack_manifest_load(const char *dir, pq_repack_manifest *m, parq_error *err) {
  memset(m, 0, sizeof *m);
  char path[4096];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  char *text = NULL;
  size_t len = 0;
  parq_status st = slurp(path, &text, &len, err);
  if (st != PARQ_OK) return st;
  pq_mjson j;
  pq_mjson_init(&j, text, len, path, err);
  parq_buf key = PARQ_BUF_INIT, val = PARQ_BUF_INIT;
  st = parse(&j, m, &key, &val);
  parq_buf_free(&key);
  parq_buf_free(&val);
  free(text);
  if (st != PARQ_OK) pq_repack_manifest_free(m);
  return st;
}

static parq_status write_file_atomic(const char *dir, const char *name, const void *data,
                                     size_t len, int do_fsync, parq_error *err) {
  char path[4096], tmp[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return parq_err_errno(err, "create %s", tmp);
  const char *p = data;
  size_t left = len;
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      parq_status st = parq_err_errno(err, "write %s", tmp);
      close(fd);
      unlink(tmp);
      return st;
    }
    p += w, left -= (size_t)w;
  }
  if ((do_fsync && fsync(fd) != 0) || close(fd) != 0) {
    parq_status st = parq_err_errno(err, "fsync/close %s", tmp);
    unlink(tmp);
    return st;
  }
  if (rename(tmp, path) != 0) {
    parq_status st = parq_err_errno(err, "rename %s", tmp);
    unlink(tmp);
    return st;
  }
  if (do_fsync) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd); /* best effort: some filesystems refuse directory fsync */
      close(dfd);
    }
  }
  return PARQ_OK;
}

parq_status pq_repack_manifest_write(const char *dir, const pq_repack_manifest *m, int do_fsync,
                                     parq_error *err) {
  parq_buf b = PARQ_BUF_INIT;
  parq_status st = parq_buf_printf(&b, "{\"version\":1,\"command\":%s,\"shards\":[",
                                   m->command ? m->command : "{}");
  for (size_t i = 0; st == PARQ_OK && i < m->n_shards; i++) {
    const pq_manifest_shard *s = &m->shards[i];
    st = parq_buf_printf(&b,
                         "%s\n  {\"path\":\"%s\",\"rows\":%lld,\"row_groups\":%lld,\"text_chars\":%lld,"
                         "\"bytes\":%lld,\"xxh3\":\"%016llx\"}",
                         i ? "," : "", s->path, (long long)s->rows, (long long)s->row_groups,
                         (long long)s->text_chars, (long long)s->bytes, (unsigned long long)s->xxh3);
  }
  if (st == PARQ_OK)
    st = parq_buf_printf(&b, "%s],\"complete\":%s}\n", m->n_shards ? "\n" : "",
                         m->complete ? "true" : "false");
  if (st != PARQ_OK) {
    parq_buf_free(&b);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  st = write_file_atomic(dir, "manifest.json", b.data, b.len, do_fsync, err);
  parq_buf_free(&b);
  return st;
}

parq_status pq_file_xxh3(const char *path, uint64_t *hash, int64_t *size, parq_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return parq_err_errno(err, "open %s", path);
  XXH3_state_t *s = XXH3_createState();
  enum { CHUNK = 1 << 20 };
  uint8_t *buf = malloc(CHUNK);
  if (!s || !buf) {
    XXH3_freeState(s);
    free(buf);
    close(fd);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  XXH3_64bits_reset(s);
  int64_t total = 0;
  parq_status st = PARQ_OK;
  for (;;) {
    ssize_t r = read(fd, buf, CHUNK);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      st = parq_err_errno(err, "read %s", path);
      break;
    }
    if (r == 0) break;
    XXH3_64bits_update(s, buf, (size_t)r);
    total += r;
  }
  if (st == PARQ_OK) {
    *hash = XXH3_64bits_digest(s);
    *size = total;
  }
  XXH3_freeState(s);
  free(buf);
  close(fd);
  return st;
}

/* ---- command comparison ---- */

typedef struct member {
  char key[64];
  const char *v;
  size_t n;
} member;

/* Collect up to cap members (key + raw value span) of a JSON object. */
static int members(const char *text, member *out, int cap) {
  pq_mjson j;
  pq_mjson_init(&j, text, strlen(text), "command", NULL);
  parq_buf key = PARQ_BUF_INIT;
  int n = 0;
  parq_status st = pq_mjson_next_key(&j, 1, &key);
  while (st == PARQ_OK) {
    pq_mjson_ws(&j);
    const char *s = j.p;
    if (pq_mjson_skip(&j) != PARQ_OK) break;
    if (n < cap) {
      snprintf(out[n].key, sizeof out[n].key, "%s", (const char *)key.data);
      out[n].v = s;
      out[n].n = (size_t)(j.p - s);
      n++;
    }
    st = pq_mjson_next_key(&j, 0, &key);
  }
  parq_buf_free(&key);
  return n;
}

static void show(const char *v, size_t n, char *out, size_t cap) {
  if (n >= 2 && v[0] == '"') v++, n -= 2; /* strings without their quotes */
  if (n > 48) snprintf(out, cap, "%.45s...", v);
  else snprintf(out, cap, "%.*s", (int)n, v);
}

int pq_repack_command_diff(const char *now, const char *before, char *msg, size_t cap) {
  member a[32], b[32];
  int na = members(now, a, 32), nb = members(before ? before : "{}", b, 32);
  for (int i = 0; i < na; i++) {
    int k = 0;
    while (k < nb && strcmp(a[i].key, b[k].key)) k++;
    if (k < nb && a[i].n == b[k].n && !memcmp(a[i].v, b[k].v, a[i].n)) continue;
    if (!strcmp(a[i].key, "inputs")) {
      snprintf(msg, cap, "inputs differ: other files, or files changed since (size or mtime)");
    } else {
      char x[64], y[64] = "unset";
      show(a[i].v, a[i].n, x, sizeof x);
      if (k < nb) show(b[k].v, b[k].n, y, sizeof y);
      snprintf(msg, cap, "--%s %s vs %s", a[i].key, x, y);
    }
    return 1;
  }
  if (na != nb) {
    snprintf(msg, cap, "the recorded command has other options");
    return 1;
  }
  return 0;
}
