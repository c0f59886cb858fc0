/* shuffle.c — the external shuffle behind `parq repack`: deterministic
 * shuffle keys, pass 1's bucket spill files (rows + a 16-byte-per-row
 * index), pass 2's bucket loader (read the parts of one bucket written by
 * every rank, validate, sort by key) and a sequential reader for buckets
 * already in key order (MPI --no-shuffle).
 *
 * Why keys instead of a per-bucket Fisher-Yates: ordering rows by a keyed
 * bijective hash of their row id is a uniform-looking permutation whose
 * result is independent of the number of buckets and of how rows were split
 * among ranks, so the shards do not change with the memory limit or with
 * `mpirun -np K`. Buckets are key ranges, processed in order, each sorted in
 * memory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/repack_internal.h"
#include "util/error.h"

/* splitmix64's finalizer: a bijection on 64-bit integers. */
static inline uint64_t fmix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t pq_shuffle_key(uint64_t row_id, uint64_t seed) {
  /* Two rounds keyed by the seed; each step is a bijection of row_id. */
  uint64_t s1 = fmix(seed ^ 0x9e3779b97f4a7c15ull), s2 = fmix(seed + 0x632be59bd9b4e019ull);
  return fmix(fmix(row_id + s1) ^ s2);
}

void pq_spill_bucket_path(const char *dir, uint32_t b, char *out, size_t cap) {
  snprintf(out, cap, "%s/bucket_%05u.spill", dir, b);
}

void pq_spill_index_path(const char *dir, uint32_t b, char *out, size_t cap) {
  snprintf(out, cap, "%s/bucket_%05u.idx", dir, b);
}

/* The index path beside a .spill path. */
static void index_of(const char *spill, char *out, size_t cap) {
  size_t n = strlen(spill);
  if (n > 6 && !strcmp(spill + n - 6, ".spill")) snprintf(out, cap, "%.*s.idx", (int)(n - 6), spill);
  else snprintf(out, cap, "%s.idx", spill);
}

void pq_spill_free(pq_spill *s) {
  if (!s) return;
  for (uint32_t i = 0; i < s->n; i++) {
    if (s->fds && s->fds[i] >= 0) close(s->fds[i]);
    if (s->ifds && s->ifds[i] >= 0) close(s->ifds[i]);
    if (s->bufs) parq_buf_free(&s->bufs[i]);
    if (s->ibufs) parq_buf_free(&s->ibufs[i]);
  }
  free(s->fds);
  free(s->ifds);
  free(s->bufs);
  free(s->ibufs);
  free(s->rows);
  free(s->bytes);
  free(s->dir);
  memset(s, 0, sizeof *s);
}

static int create(const char *path) {
  return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

parq_status pq_spill_open(pq_spill *s, const char *dir, uint32_t n_buckets, size_t flush_at,
                          parq_error *err) {
  memset(s, 0, sizeof *s);
  s->dir = strdup(dir);
  s->fds = malloc(n_buckets * sizeof *s->fds);
  s->ifds = malloc(n_buckets * sizeof *s->ifds);
  s->bufs = calloc(n_buckets, sizeof *s->bufs);
  s->ibufs = calloc(n_buckets, sizeof *s->ibufs);
  s->rows = calloc(n_buckets, sizeof *s->rows);
  s->bytes = calloc(n_buckets, sizeof *s->bytes);
  if (!s->dir || !s->fds || !s->ifds || !s->bufs || !s->ibufs || !s->rows || !s->bytes) {
    free(s->dir), free(s->fds), free(s->ifds), free(s->bufs), free(s->ibufs);
    free(s->rows), free(s->bytes);
    memset(s, 0, sizeof *s);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  s->n = n_buckets;
  s->flush_at = flush_at;
  for (uint32_t i = 0; i < n_buckets; i++) s->fds[i] = s->ifds[i] = -1;
  for (uint32_t i = 0; i < n_buckets; i++) {
    char path[4200], ipath[4200];
    pq_spill_bucket_path(dir, i, path, sizeof path);
    pq_spill_index_path(dir, i, ipath, sizeof ipath);
    s->fds[i] = create(path);
    s->ifds[i] = s->fds[i] >= 0 ? create(ipath) : -1;
    if (s->fds[i] < 0 || s->ifds[i] < 0) {
      parq_status st = parq_err_errno(err, "create %s (%u spill buckets)", s->fds[i] < 0 ? path : ipath,
                                      n_buckets);
      pq_spill_free(s);
      return st;
    }
    /* Many buckets would exhaust file descriptors: reopen per flush instead. */
    if (n_buckets > PQ_SPILL_MAX_OPEN) {
      close(s->fds[i]);
      close(s->ifds[i]);
      s->fds[i] = s->ifds[i] = -1;
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

static parq_status flush_one(const char *path, int fd, parq_buf *buf, int writeback, parq_error *err) {
  if (buf->len == 0) return PARQ_OK;
  int own = fd < 0;
  if (own && (fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
    return parq_err_errno(err, "open %s", path);
  parq_status st = write_all(fd, buf->data, buf->len, path, err);
#ifdef SYNC_FILE_RANGE_WRITE
  /* Advisory, non-blocking; a failure resurfaces at the fsync. */
  if (st == PARQ_OK && writeback) (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
  (void)writeback;
#endif
  if (own) close(fd);
  buf->len = 0;
  return st;
}

static parq_status flush_bucket(pq_spill *s, uint32_t b, parq_error *err) {
  char path[4200];
  pq_spill_bucket_path(s->dir, b, path, sizeof path);
  PARQ_TRY(flush_one(path, s->fds[b], &s->bufs[b], s->writeback, err));
  pq_spill_index_path(s->dir, b, path, sizeof path);
  return flush_one(path, s->ifds[b], &s->ibufs[b], s->writeback, err);
}

parq_status pq_spill_add_row(pq_spill *s, uint64_t key, const uint8_t *row, size_t len,
                             uint32_t chars, parq_error *err) {
  if (len > UINT32_MAX) return parq_err_set(err, PARQ_EUNSUPPORTED, "repack: a row of %zu bytes is too large", len);
  uint32_t b = pq_shuffle_bucket(key, s->n);
  parq_buf *buf = &s->bufs[b], *ib = &s->ibufs[b];
  if (parq_buf_reserve(buf, len) || parq_buf_reserve(ib, PQ_SPILL_IDX))
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  uint8_t h[PQ_SPILL_IDX];
  for (int i = 0; i < 8; i++) h[i] = (uint8_t)(key >> (8 * i));
  for (int i = 0; i < 4; i++) h[8 + i] = (uint8_t)(len >> (8 * i));
  for (int i = 0; i < 4; i++) h[12 + i] = (uint8_t)(chars >> (8 * i));
  parq_buf_put(ib, h, PQ_SPILL_IDX);
  parq_buf_put(buf, row, len);
  s->rows[b]++;
  s->bytes[b] += (int64_t)len;
  if (buf->len + ib->len >= s->flush_at) {
    PARQ_TRY(flush_bucket(s, b, err));
    /* Large rows leave a large buffer behind: give it back. */
    if (buf->cap > 2 * s->flush_at) parq_buf_free(buf);
  }
  return PARQ_OK;
}

static parq_status finish_fd(const char *path, int fd, int do_fsync, parq_error *err) {
  if (fd < 0 && do_fsync && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return parq_err_errno(err, "open %s", path);
  if (fd < 0) return PARQ_OK;
  if (do_fsync && fsync(fd) != 0) {
    close(fd);
    return parq_err_errno(err, "fsync %s", path);
  }
  if (close(fd) != 0) return parq_err_errno(err, "close %s", path);
  return PARQ_OK;
}

parq_status pq_spill_finish(pq_spill *s, int do_fsync, parq_error *err) {
  for (uint32_t b = 0; b < s->n; b++) {
    PARQ_TRY(flush_bucket(s, b, err));
    parq_buf_free(&s->bufs[b]);
    parq_buf_free(&s->ibufs[b]);
    int fd = s->fds[b], ifd = s->ifds[b];
    s->fds[b] = s->ifds[b] = -1;
    char path[4200], ipath[4200];
    pq_spill_bucket_path(s->dir, b, path, sizeof path);
    pq_spill_index_path(s->dir, b, ipath, sizeof ipath);
    parq_status st = finish_fd(path, fd, do_fsync, err);
    parq_status st2 = finish_fd(ipath, ifd, do_fsync, st == PARQ_OK ? err : NULL);
    PARQ_TRY(st);
    PARQ_TRY(st2);
  }
  return PARQ_OK;
}

/* ---------------- pass 2: load one bucket ---------------- */

void pq_bucket_free(pq_bucket *b) {
  if (!b) return;
  if (b->mapped) munmap(b->data, b->size ? b->size : 1);
  else free(b->data);
  free(b->recs);
  memset(b, 0, sizeof *b);
}

static int rec_cmp(const void *a, const void *b) {
  uint64_t x = ((const pq_bucket_rec *)a)->key, y = ((const pq_bucket_rec *)b)->key;
  return (x > y) - (x < y);
}

/* Open `path` read-only and check that it is exactly n bytes long. */
static parq_status open_sized(const char *path, int64_t n, int *fd_out, parq_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return parq_err_errno(err, "open %s", path);
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    close(fd);
    return parq_err_errno(err, "stat %s", path);
  }
  if (sb.st_size != n) {
    close(fd);
    return parq_err_set(err, PARQ_ECORRUPT, "%s: spill file has %lld bytes, expected %lld", path,
                        (long long)sb.st_size, (long long)n);
  }
  *fd_out = fd;
  return PARQ_OK;
}

/* Read exactly n bytes of `path` (which must be n bytes long) into dst. */
static parq_status read_exact(const char *path, uint8_t *dst, int64_t n, parq_error *err) {
  int fd;
  PARQ_TRY(open_sized(path, n, &fd, err));
  size_t got = 0;
  while (got < (size_t)n) {
    ssize_t r = read(fd, dst + got, (size_t)n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      parq_status st = r < 0 ? parq_err_errno(err, "read %s", path)
                             : parq_err_set(err, PARQ_ECORRUPT, "%s: file shrank while reading", path);
      close(fd);
      return st;
    }
    got += (size_t)r;
  }
  close(fd);
  return PARQ_OK;
}

/* Map `path`, which must be exactly n > 0 bytes long, read-only. */
static parq_status map_exact(const char *path, int64_t n, uint8_t **out, parq_error *err) {
  int fd;
  PARQ_TRY(open_sized(path, n, &fd, err));
  void *m = mmap(NULL, (size_t)n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return parq_err_errno(err, "mmap %s", path);
  *out = m;
  return PARQ_OK;
}

static inline uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

parq_status pq_bucket_load_parts(const char *const *paths, const int64_t *bytes,
                                 const int64_t *rows, int n_parts, int index_only, pq_bucket *out,
                                 parq_error *err) {
  memset(out, 0, sizeof *out);
  int64_t total_rows = 0, total_bytes = 0;
  for (int q = 0; q < n_parts; q++) {
    if (rows[q] < 0 || bytes[q] < 0 || rows[q] > INT64_MAX / PQ_SPILL_IDX / 2 ||
        bytes[q] > INT64_MAX / 4 || total_rows > INT64_MAX / 4 - rows[q] ||
        total_bytes > INT64_MAX / 4 - bytes[q])
      return parq_err_set(err, PARQ_ECORRUPT, "%s: bad spill sizes", paths[q]);
    total_rows += rows[q];
    total_bytes += bytes[q];
  }
  if ((uint64_t)total_bytes > SIZE_MAX / 2 || (uint64_t)total_rows > SIZE_MAX / sizeof(pq_bucket_rec))
    return parq_err_set(err, PARQ_ENOMEM, "spill bucket too large for memory");
  out->recs = malloc((size_t)(total_rows ? total_rows : 1) * sizeof *out->recs);
  /* One part (one process): map the spill file instead of reading it into a
   * fresh buffer — no copy out of the page cache and no zero-filled pages.
   * The file is ours (DIR is locked), so nothing truncates it under us. */
  if (!index_only && n_parts == 1 && total_bytes > 0) {
    parq_status ms = map_exact(paths[0], total_bytes, &out->data, err);
    if (ms != PARQ_OK) {
      free(out->recs);
      out->recs = NULL;
      return ms;
    }
    out->mapped = 1;
    out->size = (size_t)total_bytes;
  } else if (!index_only) {
    out->data = malloc((size_t)(total_bytes ? total_bytes : 1));
  }
  /* The index of one part at a time, parsed into recs. */
  int64_t max_rows = 0;
  for (int q = 0; q < n_parts; q++) max_rows = rows[q] > max_rows ? rows[q] : max_rows;
  uint8_t *ib = malloc((size_t)(max_rows ? max_rows : 1) * PQ_SPILL_IDX);
  if (!out->recs || (!index_only && !out->data) || !ib) {
    free(ib);
    pq_bucket_free(out);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory loading %s (%lld bytes)", paths[0],
                        (long long)total_bytes);
  }
  parq_status st = PARQ_OK;
  int64_t n = 0;
  uint64_t base = 0;
  for (int q = 0; q < n_parts && st == PARQ_OK; q++) {
    char ipath[4200];
    index_of(paths[q], ipath, sizeof ipath);
    st = read_exact(ipath, ib, rows[q] * PQ_SPILL_IDX, err);
    if (st == PARQ_OK && !index_only && !out->mapped)
      st = read_exact(paths[q], out->data + base, bytes[q], err);
    if (st != PARQ_OK) break;
    uint64_t off = 0;
    for (int64_t i = 0; i < rows[q]; i++) {
      const uint8_t *h = ib + i * PQ_SPILL_IDX;
      uint32_t len = le32(h + 8);
      if (len > (uint64_t)bytes[q] - off) {
        st = parq_err_set(err, PARQ_ECORRUPT, "%s: damaged spill index at entry %lld", ipath, (long long)i);
        break;
      }
      out->recs[n++] = (pq_bucket_rec){le64(h), base + off, len, le32(h + 12)};
      off += len;
    }
    if (st == PARQ_OK && off != (uint64_t)bytes[q])
      st = parq_err_set(err, PARQ_ECORRUPT, "%s: index covers %llu of %lld row bytes", ipath,
                        (unsigned long long)off, (long long)bytes[q]);
    base += (uint64_t)bytes[q];
  }
  free(ib);
  if (st != PARQ_OK) {
    pq_bucket_free(out);
    return st;
  }
  out->n = n;
  out->size = (size_t)total_bytes;
  qsort(out->recs, (size_t)n, sizeof *out->recs, rec_cmp);
  return PARQ_OK;
}

parq_status pq_bucket_load(const char *path, int64_t expected_size, int64_t expected_rows,
                           pq_bucket *out, parq_error *err) {
  return pq_bucket_load_parts(&path, &expected_size, &expected_rows, 1, 0, out, err);
}

/* ---------------- pass 2: load the next bucket in the background ---------------- */

static void *bucket_job_main(void *arg) {
  pq_bucket_job *j = arg;
  j->st = pq_bucket_load_parts(j->paths, j->bytes, j->rows, j->n, 0, &j->out, &j->err);
  return NULL;
}

parq_status pq_bucket_load_start(pq_bucket_job *j, const char *const *paths, const int64_t *bytes,
                                 const int64_t *rows, int n_parts, parq_error *err) {
  memset(j, 0, sizeof *j);
  j->paths = paths;
  j->bytes = bytes;
  j->rows = rows;
  j->n = n_parts;
  pthread_t *t = malloc(sizeof *t);
  if (!t) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (pthread_create(t, NULL, bucket_job_main, j) != 0) {
    free(t);
    return parq_err_set(err, PARQ_EIO, "repack: cannot start a thread to load %s", paths[0]);
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

/* ---------------- sequential reader (ordered buckets) ---------------- */

void pq_spill_reader_close(pq_spill_reader *r) {
  if (r->idx) fclose(r->idx);
  if (r->data) fclose(r->data);
  memset(r, 0, sizeof *r);
}

parq_status pq_spill_reader_open(pq_spill_reader *r, const char *path, int64_t bytes, int64_t rows,
                                 int64_t rec, int64_t off, parq_error *err) {
  memset(r, 0, sizeof *r);
  r->name = path;
  if (rec < 0 || off < 0 || rec > rows || off > bytes)
    return parq_err_set(err, PARQ_ECORRUPT, "%s: bad spill position %lld/%lld", path, (long long)rec,
                        (long long)off);
  char ipath[4200];
  index_of(path, ipath, sizeof ipath);
  r->idx = fopen(ipath, "rbe");
  r->data = r->idx ? fopen(path, "rbe") : NULL;
  if (!r->idx || !r->data) {
    parq_status st = parq_err_errno(err, "open %s", r->idx ? path : ipath);
    pq_spill_reader_close(r);
    return st;
  }
  struct stat a, b;
  if (fstat(fileno(r->idx), &a) != 0 || fstat(fileno(r->data), &b) != 0 ||
      a.st_size != rows * PQ_SPILL_IDX || b.st_size != bytes) {
    pq_spill_reader_close(r);
    return parq_err_set(err, PARQ_ECORRUPT, "%s: spill files do not have the recorded sizes", path);
  }
  if (fseeko(r->idx, rec * PQ_SPILL_IDX, SEEK_SET) != 0 || fseeko(r->data, off, SEEK_SET) != 0) {
    parq_status st = parq_err_errno(err, "seek %s", path);
    pq_spill_reader_close(r);
    return st;
  }
  r->left_rows = rows - rec;
  r->left_bytes = bytes - off;
  r->at_start = rec == 0 && off == 0;
  return PARQ_OK;
}

parq_status pq_spill_reader_next(pq_spill_reader *r, uint64_t *key, uint32_t *len,
                                 uint32_t *chars, parq_error *err) {
  if (r->left_rows == 0) {
    if (r->left_bytes != 0 && r->at_start)
      return parq_err_set(err, PARQ_ECORRUPT, "%s: index leaves %lld row bytes unaccounted", r->name,
                          (long long)r->left_bytes);
    return PARQ_DONE;
  }
  uint8_t h[PQ_SPILL_IDX];
  if (fread(h, 1, PQ_SPILL_IDX, r->idx) != PQ_SPILL_IDX)
    return parq_err_set(err, PARQ_ECORRUPT, "%s: spill index ends early", r->name);
  r->left_rows--;
  *key = le64(h);
  *len = le32(h + 8);
  *chars = le32(h + 12);
  if (*len > r->left_bytes || (r->have_last && *key <= r->last_key))
    return parq_err_set(err, PARQ_ECORRUPT, "%s: damaged spill index (%lld entries from the end)",
                        r->name, (long long)r->left_rows);
  r->left_bytes -= *len;
  r->last_key = *key;
  r->have_last = 1;
  return PARQ_OK;
}

parq_status pq_spill_reader_row(pq_spill_reader *r, uint32_t len, parq_buf *row, parq_error *err) {
  parq_buf_clear(row);
  if (parq_buf_reserve(row, len ? len : 1)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (len && fread(row->data, 1, len, r->data) != len)
    return parq_err_set(err, PARQ_ECORRUPT, "%s: spill rows end early", r->name);
  row->len = len;
  return PARQ_OK;
}
