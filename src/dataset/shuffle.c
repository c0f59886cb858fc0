/* shuffle.c — the external shuffle behind `parq repack`: deterministic
 * shuffle keys, pass 1's bucket spill files, and pass 2's bucket loader
 * (read one bucket, validate, sort by key).
 *
 * Why keys instead of a per-bucket Fisher-Yates: ordering rows by a keyed
 * bijective hash of their stream index is a uniform-looking permutation whose
 * result is independent of the number of buckets, so the shards do not change
 * when the memory limit (hence B) changes. Buckets are key ranges, processed
 * in order, each sorted in memory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/repack_internal.h"
#include "util/error.h"

#define REC_HDR 12 /* u64 key + u32 len */

/* splitmix64's finalizer: a bijection on 64-bit integers. */
static inline uint64_t fmix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t pq_shuffle_key(uint64_t row_index, uint64_t seed) {
  /* Two rounds keyed by the seed; each step is a bijection of row_index. */
  uint64_t s1 = fmix(seed ^ 0x9e3779b97f4a7c15ull), s2 = fmix(seed + 0x632be59bd9b4e019ull);
  return fmix(fmix(row_index + s1) ^ s2);
}

void pq_spill_bucket_path(const char *dir, uint32_t b, char *out, size_t cap) {
  snprintf(out, cap, "%s/bucket_%05u.spill", dir, b);
}

void pq_spill_free(pq_spill *s) {
  if (!s) return;
  for (uint32_t i = 0; i < s->n; i++) {
    if (s->fds && s->fds[i] >= 0) close(s->fds[i]);
    if (s->bufs) parq_buf_free(&s->bufs[i]);
  }
  free(s->fds);
  free(s->bufs);
  free(s->rows);
  free(s->bytes);
  free(s->dir);
  memset(s, 0, sizeof *s);
}

parq_status pq_spill_open(pq_spill *s, const char *dir, uint32_t n_buckets, size_t flush_at,
                          parq_error *err) {
  memset(s, 0, sizeof *s);
  s->dir = strdup(dir);
  s->fds = malloc(n_buckets * sizeof *s->fds);
  s->bufs = calloc(n_buckets, sizeof *s->bufs);
  s->rows = calloc(n_buckets, sizeof *s->rows);
  s->bytes = calloc(n_buckets, sizeof *s->bytes);
  if (!s->dir || !s->fds || !s->bufs || !s->rows || !s->bytes) {
    free(s->dir), free(s->fds), free(s->bufs), free(s->rows), free(s->bytes);
    memset(s, 0, sizeof *s);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  s->n = n_buckets;
  s->flush_at = flush_at;
  for (uint32_t i = 0; i < n_buckets; i++) s->fds[i] = -1;
  for (uint32_t i = 0; i < n_buckets; i++) {
    char path[4096];
    pq_spill_bucket_path(dir, i, path, sizeof path);
    s->fds[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fds[i] < 0) {
      parq_status st = parq_err_errno(err, "create %s (%u spill buckets)", path, n_buckets);
      pq_spill_free(s);
      return st;
    }
    /* Many buckets would exhaust file descriptors: reopen per flush instead. */
    if (n_buckets > PQ_SPILL_MAX_OPEN) {
      close(s->fds[i]);
      s->fds[i] = -1;
    }
  }
  return PARQ_OK;
}

static parq_status write_all(int fd, const uint8_t *p, size_t n, const char *what, parq_error *err) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return parq_err_errno(err, "write %s", what);
    }
    p += w, n -= (size_t)w;
  }
  return PARQ_OK;
}

static parq_status flush_bucket(pq_spill *s, uint32_t b, parq_error *err) {
  if (s->bufs[b].len == 0) return PARQ_OK;
  char path[4096];
  pq_spill_bucket_path(s->dir, b, path, sizeof path);
  int fd = s->fds[b];
  if (fd < 0 && (fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
    return parq_err_errno(err, "open %s", path);
  parq_status st = write_all(fd, s->bufs[b].data, s->bufs[b].len, path, err);
  if (fd != s->fds[b]) close(fd);
  s->bufs[b].len = 0;
  return st;
}

parq_status pq_spill_add(pq_spill *s, uint64_t key, const uint8_t *row, size_t len,
                         parq_error *err) {
  if (len > UINT32_MAX) return parq_err_set(err, PARQ_EUNSUPPORTED, "repack: a row of %zu bytes is too large", len);
  uint32_t b = pq_shuffle_bucket(key, s->n);
  parq_buf *buf = &s->bufs[b];
  if (parq_buf_reserve(buf, REC_HDR + len)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  uint8_t h[REC_HDR];
  for (int i = 0; i < 8; i++) h[i] = (uint8_t)(key >> (8 * i));
  for (int i = 0; i < 4; i++) h[8 + i] = (uint8_t)(len >> (8 * i));
  parq_buf_put(buf, h, REC_HDR);
  parq_buf_put(buf, row, len);
  s->rows[b]++;
  s->bytes[b] += (int64_t)(REC_HDR + len);
  if (buf->len >= s->flush_at) {
    PARQ_TRY(flush_bucket(s, b, err));
    /* Large rows leave a large buffer behind: give it back. */
    if (buf->cap > 2 * s->flush_at) parq_buf_free(buf);
  }
  return PARQ_OK;
}

parq_status pq_spill_finish(pq_spill *s, int do_fsync, parq_error *err) {
  for (uint32_t b = 0; b < s->n; b++) {
    PARQ_TRY(flush_bucket(s, b, err));
    parq_buf_free(&s->bufs[b]);
    int fd = s->fds[b];
    s->fds[b] = -1;
    if (fd < 0 && do_fsync) {
      char path[4096];
      pq_spill_bucket_path(s->dir, b, path, sizeof path);
      if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return parq_err_errno(err, "open %s", path);
    }
    if (fd < 0) continue;
    if (do_fsync && fsync(fd) != 0) {
      close(fd);
      return parq_err_errno(err, "fsync spill bucket %u", b);
    }
    if (close(fd) != 0) return parq_err_errno(err, "close spill bucket %u", b);
  }
  return PARQ_OK;
}

/* ---------------- pass 2: load one bucket ---------------- */

void pq_bucket_free(pq_bucket *b) {
  if (!b) return;
  free(b->data);
  free(b->recs);
  memset(b, 0, sizeof *b);
}

static int rec_cmp(const void *a, const void *b) {
  uint64_t x = ((const pq_bucket_rec *)a)->key, y = ((const pq_bucket_rec *)b)->key;
  return (x > y) - (x < y);
}

parq_status pq_bucket_load(const char *path, int64_t expected_size, int64_t expected_rows,
                           pq_bucket *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return parq_err_errno(err, "open %s", path);
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    close(fd);
    return parq_err_errno(err, "stat %s", path);
  }
  if (sb.st_size != expected_size || expected_rows < 0 || expected_rows > expected_size / REC_HDR) {
    close(fd);
    return parq_err_set(err, PARQ_ECORRUPT, "%s: spill bucket has %lld bytes, expected %lld",
                        path, (long long)sb.st_size, (long long)expected_size);
  }
  out->size = (size_t)expected_size;
  out->data = malloc(out->size ? out->size : 1);
  out->recs = malloc((size_t)(expected_rows ? expected_rows : 1) * sizeof *out->recs);
  if (!out->data || !out->recs) {
    close(fd);
    pq_bucket_free(out);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory loading %s (%lld bytes)", path, (long long)expected_size);
  }
  size_t got = 0;
  while (got < out->size) {
    ssize_t r = read(fd, out->data + got, out->size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      parq_status st = r < 0 ? parq_err_errno(err, "read %s", path)
                             : parq_err_set(err, PARQ_ECORRUPT, "%s: file shrank while reading", path);
      close(fd);
      pq_bucket_free(out);
      return st;
    }
    got += (size_t)r;
  }
  close(fd);
  size_t pos = 0;
  int64_t n = 0;
  while (pos < out->size) {
    if (out->size - pos < REC_HDR || n >= expected_rows) break;
    const uint8_t *h = out->data + pos;
    uint64_t key = 0;
    for (int i = 7; i >= 0; i--) key = key << 8 | h[i];
    uint32_t len = (uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
    if (len > out->size - pos - REC_HDR) break;
    out->recs[n++] = (pq_bucket_rec){key, pos + REC_HDR, len};
    pos += REC_HDR + len;
  }
  if (pos != out->size || n != expected_rows) {
    pq_bucket_free(out);
    return parq_err_set(err, PARQ_ECORRUPT, "%s: damaged spill bucket at byte %zu", path, pos);
  }
  out->n = n;
  qsort(out->recs, (size_t)n, sizeof *out->recs, rec_cmp);
  return PARQ_OK;
}

/* ---------------- pass 2: load the next bucket in the background ---------------- */

static void *bucket_job_main(void *arg) {
  pq_bucket_job *j = arg;
  j->st = pq_bucket_load(j->path, j->size, j->rows, &j->out, &j->err);
  return NULL;
}

parq_status pq_bucket_load_start(pq_bucket_job *j, const char *path, int64_t expected_size,
                                 int64_t expected_rows, parq_error *err) {
  memset(j, 0, sizeof *j);
  snprintf(j->path, sizeof j->path, "%s", path);
  j->size = expected_size;
  j->rows = expected_rows;
  pthread_t *t = malloc(sizeof *t);
  if (!t) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (pthread_create(t, NULL, bucket_job_main, j) != 0) {
    free(t);
    return parq_err_set(err, PARQ_EIO, "repack: cannot start a thread to load %s", path);
  }
  j->tid = t;
  return PARQ_OK;
}

parq_status pq_bucket_load_wait(pq_bucket_job *j, pq_bucket *out, parq_error *err) {
  if (!j->tid) {
    memset(out, 0, sizeof *out);
    return parq_err_set(err, PARQ_EINTERNAL, "repack: bucket load was not started");
  }
  pthread_join(*(pthread_t *)j->tid, NULL);
  free(j->tid);
  j->tid = NULL;
  *out = j->out;
  memset(&j->out, 0, sizeof j->out);
  if (j->st != PARQ_OK && err) *err = j->err;
  return j->st;
}
