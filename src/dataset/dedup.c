/* dedup.c — the dedup estimator (parq_dedup_*): chunk files like a
 * content-addressed storage layer would and count the bytes it would keep.
 *
 * Chunking: gear hash h = (h << 1) + GEAR[byte] from the start of each chunk,
 * cut after the first byte where (h & 0xFFFF000000000000) == 0 and the chunk
 * holds >= 8 KiB, or at 128 KiB; h restarts after a cut (average ~64 KiB).
 * Only the last 64 bytes influence h, so bytes before min - 64 are not
 * hashed at all. Chunks are identified by XXH3-128. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "column/cdc.h"
#include "dataset/dedup_internal.h"
#include "util/error.h"

#define READ_BLOCK (1u << 20)

parq_status parq_dedup_new(parq_dedup **out, parq_error *err) {
  if (!out) return parq_err_set(err, PARQ_EINVAL, "parq_dedup_new: out is NULL");
  *out = NULL;
  parq_dedup *d = calloc(1, sizeof *d);
  if (!d) return parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
  d->set_cap = 1024;
  d->set = calloc(d->set_cap, 16);
  d->zctx = ZSTD_createCCtx();
  if (!d->set || !d->zctx) {
    parq_dedup_free(d);
    return parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
  }
  *out = d;
  return PARQ_OK;
}

void parq_dedup_free(parq_dedup *d) {
  if (!d) return;
  for (size_t i = 0; i < d->n_files; i++) {
    free(d->files[i].path);
    parq_buf_free(&d->files[i].sizes);
    parq_buf_free(&d->files[i].is_new);
  }
  free(d->files);
  free(d->set);
  ZSTD_freeCCtx(d->zctx);
  parq_buf_free(&d->zbuf);
  free(d);
}

static bool is_zero(const uint8_t *k) {
  static const uint8_t z[16] = {0};
  return !memcmp(k, z, 16);
}

static size_t slot_of(const uint8_t *k, size_t cap) {
  uint64_t x;
  memcpy(&x, k, 8);
  return (size_t)(x & (cap - 1));
}

static parq_status set_grow(parq_dedup *d) {
  size_t cap = d->set_cap * 2;
  uint8_t *n = calloc(cap, 16);
  if (!n) return PARQ_ENOMEM;
  for (size_t i = 0; i < d->set_cap; i++) {
    const uint8_t *k = d->set + 16 * i;
    if (is_zero(k)) continue;
    size_t s = slot_of(k, cap);
    while (!is_zero(n + 16 * s)) s = (s + 1) & (cap - 1);
    memcpy(n + 16 * s, k, 16);
  }
  free(d->set);
  d->set = n;
  d->set_cap = cap;
  return PARQ_OK;
}

/* Insert id; *fresh = 1 when it was not there. */
static parq_status set_insert(parq_dedup *d, const uint8_t *k, bool *fresh) {
  if (is_zero(k)) {
    *fresh = !d->have_zero_id;
    d->have_zero_id = true;
    return PARQ_OK;
  }
  if ((d->set_n + 1) * 2 > d->set_cap) PARQ_TRY(set_grow(d));
  size_t s = slot_of(k, d->set_cap);
  for (;;) {
    uint8_t *e = d->set + 16 * s;
    if (is_zero(e)) {
      memcpy(e, k, 16);
      d->set_n++;
      *fresh = true;
      return PARQ_OK;
    }
    if (!memcmp(e, k, 16)) {
      *fresh = false;
      return PARQ_OK;
    }
    s = (s + 1) & (d->set_cap - 1);
  }
}

/* One finished chunk of file f. */
static parq_status emit(parq_dedup *d, pq_dd_file *f, const uint8_t *p, size_t n,
                        parq_error *err) {
  XXH128_hash_t h = XXH3_128bits(p, n);
  uint8_t k[16];
  memcpy(k, &h.low64, 8);
  memcpy(k + 8, &h.high64, 8);
  bool fresh;
  if (set_insert(d, k, &fresh) != PARQ_OK) return parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
  uint32_t sz = (uint32_t)n;
  uint8_t nw = fresh;
  if (parq_buf_append(&f->sizes, &sz, 4) != PARQ_OK || parq_buf_append(&f->is_new, &nw, 1) != PARQ_OK)
    return parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
  d->total += (int64_t)n;
  if (fresh) {
    d->unique += (int64_t)n;
    f->new_bytes += (int64_t)n;
    f->new_chunks++;
    size_t bound = ZSTD_compressBound(n);
    if (parq_buf_resize(&d->zbuf, bound) != PARQ_OK)
      return parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
    size_t c = ZSTD_compressCCtx(d->zctx, d->zbuf.data, bound, p, n, 3);
    if (ZSTD_isError(c))
      return parq_err_set(err, PARQ_EINTERNAL, "dedup: zstd: %s", ZSTD_getErrorName(c));
    d->comp_unique += (int64_t)c;
  }
  return PARQ_OK;
}

/* Streaming chunker over one file. */
typedef struct chunker {
  uint8_t *cur;   /* PQ_DD_MAX bytes */
  size_t len;
  uint64_t h;
} chunker;

static parq_status feed(parq_dedup *d, pq_dd_file *f, chunker *c, const uint8_t *p, size_t n,
                        parq_error *err) {
  const uint64_t *g = pq_cdc_gear[0];
  size_t i = 0;
  while (i < n) {
    size_t take = n - i, room = PQ_DD_MAX - c->len;
    if (take > room) take = room;
    /* Bytes before min - 64 cannot influence h at the first possible cut. */
    size_t j = c->len + 64 < PQ_DD_MIN ? PQ_DD_MIN - 64 - c->len : 0;
    if (j > take) j = take;
    uint64_t h = c->h;
    bool cut = false;
    for (; j < take; j++) {
      h = (h << 1) + g[p[i + j]];
      if ((h & PQ_DD_MASK) == 0 && c->len + j + 1 >= PQ_DD_MIN) {
        j++;
        cut = true;
        break;
      }
    }
    c->h = h;
    memcpy(c->cur + c->len, p + i, j);
    c->len += j;
    i += j;
    if (cut || c->len == PQ_DD_MAX) {
      PARQ_TRY(emit(d, f, c->cur, c->len, err));
      c->len = 0;
      c->h = 0;
    }
  }
  return PARQ_OK;
}

static parq_status add_file_entry(parq_dedup *d, const char *name, pq_dd_file **out,
                                  parq_error *err) {
  if (d->n_files == d->cap_files) {
    size_t cap = d->cap_files ? 2 * d->cap_files : 8;
    pq_dd_file *n = realloc(d->files, cap * sizeof *n);
    if (!n) return parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
    d->files = n;
    d->cap_files = cap;
  }
  pq_dd_file *f = &d->files[d->n_files];
  memset(f, 0, sizeof *f);
  f->path = strdup(name ? name : "");
  if (!f->path) return parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
  d->n_files++;
  *out = f;
  return PARQ_OK;
}

parq_status parq_dedup_add_memory(parq_dedup *d, const char *name, const void *data, size_t size,
                                  parq_error *err) {
  if (!d || (!data && size)) return parq_err_set(err, PARQ_EINVAL, "parq_dedup_add_memory: bad arguments");
  pq_dd_file *f;
  PARQ_TRY(add_file_entry(d, name, &f, err));
  chunker c = {malloc(PQ_DD_MAX), 0, 0};
  if (!c.cur) return parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
  parq_status st = size ? feed(d, f, &c, data, size, err) : PARQ_OK;
  if (st == PARQ_OK && c.len) st = emit(d, f, c.cur, c.len, err);
  f->bytes = (int64_t)size;
  free(c.cur);
  return st;
}

parq_status parq_dedup_add_file(parq_dedup *d, const char *path, parq_error *err) {
  if (!d || !path) return parq_err_set(err, PARQ_EINVAL, "parq_dedup_add_file: bad arguments");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return parq_err_errno(err, "open %s", path);
  pq_dd_file *f;
  parq_status st = add_file_entry(d, path, &f, err);
  chunker c = {malloc(PQ_DD_MAX), 0, 0};
  uint8_t *blk = malloc(READ_BLOCK);
  if (st == PARQ_OK && (!c.cur || !blk)) st = parq_err_set(err, PARQ_ENOMEM, "dedup: out of memory");
  while (st == PARQ_OK) {
    ssize_t k = read(fd, blk, READ_BLOCK);
    if (k < 0) {
      if (errno == EINTR) continue;
      st = parq_err_errno(err, "read %s", path);
      break;
    }
    if (k == 0) break;
    f->bytes += k;
    st = feed(d, f, &c, blk, (size_t)k, err);
  }
  if (st == PARQ_OK && c.len) st = emit(d, f, c.cur, c.len, err);
  free(blk);
  free(c.cur);
  close(fd);
  return st;
}

void parq_dedup_get_totals(const parq_dedup *d, parq_dedup_totals *out) {
  memset(out, 0, sizeof *out);
  if (!d) return;
  out->total_bytes = d->total;
  out->unique_bytes = d->unique;
  out->compressed_unique_bytes = d->comp_unique;
  out->ratio = d->total ? (double)d->unique / (double)d->total : 0.0;
  out->n_files = d->n_files;
}

parq_status parq_dedup_file(const parq_dedup *d, size_t i, parq_dedup_file_info *out) {
  if (!d || !out || i >= d->n_files) return PARQ_EINVAL;
  const pq_dd_file *f = &d->files[i];
  out->path = f->path;
  out->bytes = f->bytes;
  out->new_bytes = f->new_bytes;
  out->chunks = (int64_t)f->is_new.len;
  out->new_chunks = f->new_chunks;
  return PARQ_OK;
}

parq_status parq_dedup_chunks(const parq_dedup *d, size_t i, const uint32_t **sizes,
                              const uint8_t **is_new, size_t *n) {
  if (!d || i >= d->n_files) return PARQ_EINVAL;
  const pq_dd_file *f = &d->files[i];
  *sizes = (const uint32_t *)f->sizes.data;
  *is_new = f->is_new.data;
  *n = f->is_new.len;
  return PARQ_OK;
}
