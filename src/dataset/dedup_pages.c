/* dedup_pages.c — parq_dedup_pages(): which Parquet pages of a new file
 * version are not present in the old one. Walks every column chunk's page
 * headers (footer + page headers only; no decoding of values), hashes each
 * page (header + stored body) with XXH3-128 and looks it up among the old
 * file's pages of the same column path. Reads one column chunk at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "format/metadata.h"
#include "parq.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

#define MAX_FOOTER (256u << 20)

typedef struct pfile {
  const char *path;
  int fd;
  int64_t size;
  parq_arena arena;
  uint8_t *footer;
  pq_file_metadata md;
} pfile;

static parq_status pread_all(const pfile *f, void *p, size_t n, int64_t off, parq_error *err) {
  uint8_t *d = p;
  while (n) {
    ssize_t k = pread(f->fd, d, n, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return parq_err_errno(err, "read %s", f->path);
    if (k == 0) return parq_err_set(err, PARQ_ECORRUPT, "%s: truncated at byte %lld", f->path, (long long)off);
    d += k;
    n -= (size_t)k;
    off += k;
  }
  return PARQ_OK;
}

static parq_status pf_open(pfile *f, const char *path, parq_error *err) {
  memset(f, 0, sizeof *f);
  f->path = path;
  f->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0) return parq_err_errno(err, "open %s", path);
  struct stat sb;
  if (fstat(f->fd, &sb) != 0) return parq_err_errno(err, "stat %s", path);
  f->size = sb.st_size;
  uint8_t tail[8];
  if (f->size < 12) return parq_err_set(err, PARQ_ECORRUPT, "%s: too small for Parquet", path);
  PARQ_TRY(pread_all(f, tail, 8, f->size - 8, err));
  if (memcmp(tail + 4, "PAR1", 4))
    return parq_err_set(err, PARQ_ECORRUPT, "%s: no PAR1 footer magic", path);
  uint32_t fl = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                (uint32_t)tail[3] << 24;
  if (fl > MAX_FOOTER || (int64_t)fl > f->size - 12)
    return parq_err_set(err, PARQ_ECORRUPT, "%s: footer length %u out of range", path, fl);
  f->footer = malloc(fl ? fl : 1);
  if (!f->footer) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  PARQ_TRY(pread_all(f, f->footer, fl, f->size - 8 - fl, err));
  return pq_decode_file_metadata(f->footer, fl, &f->arena, &f->md, err);
}

static void pf_close(pfile *f) {
  if (f->fd >= 0) close(f->fd);
  free(f->footer);
  parq_arena_free(&f->arena);
}

static char *col_path(const pq_column_metadata *m) {
  parq_buf b = PARQ_BUF_INIT;
  for (uint32_t i = 0; i < m->n_path; i++)
    if ((i && parq_buf_append_byte(&b, '.') != PARQ_OK) ||
        parq_buf_append(&b, m->path_in_schema[i], strlen(m->path_in_schema[i])) != PARQ_OK) {
      parq_buf_free(&b);
      return NULL;
    }
  if (parq_buf_append_byte(&b, 0) != PARQ_OK) {
    parq_buf_free(&b);
    return NULL;
  }
  return (char *)b.data;
}

/* Page hashes of one column chunk appended to out (16 bytes each), plus their sizes. */
static parq_status chunk_pages(pfile *f, const pq_column_chunk *cc, parq_buf *hashes,
                               parq_buf *sizes, parq_buf *tmp, parq_error *err) {
  if (!cc->has_meta_data) return parq_err_set(err, PARQ_EUNSUPPORTED, "%s: column chunk without metadata", f->path);
  const pq_column_metadata *m = &cc->meta_data;
  int64_t start = m->data_page_offset;
  if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
    start = m->dictionary_page_offset;
  int64_t len = m->total_compressed_size;
  if (start < 4 || len < 0 || len > f->size || start > f->size - len)
    return parq_err_set(err, PARQ_ECORRUPT, "%s: column chunk at %lld (+%lld) outside the file", f->path,
                        (long long)start, (long long)len);
  if (parq_buf_resize(tmp, (size_t)len) != PARQ_OK) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  PARQ_TRY(pread_all(f, tmp->data, (size_t)len, start, err));
  size_t pos = 0;
  parq_arena ar = PARQ_ARENA_INIT;
  parq_status st = PARQ_OK;
  while (pos < (size_t)len) {
    pq_page_header h;
    size_t used = 0;
    st = pq_decode_page_header(tmp->data + pos, (size_t)len - pos, &ar, &h, &used, err);
    if (st != PARQ_OK) break;
    if (h.compressed_page_size < 0 || (size_t)h.compressed_page_size > (size_t)len - pos - used) {
      st = parq_err_set(err, PARQ_ECORRUPT, "%s: page at byte %lld overruns its column chunk", f->path,
                        (long long)(start + (int64_t)pos));
      break;
    }
    size_t n = used + (size_t)h.compressed_page_size;
    XXH128_hash_t x = XXH3_128bits(tmp->data + pos, n);
    uint64_t k[2] = {x.low64, x.high64};
    int64_t sz = (int64_t)n;
    if (parq_buf_append(hashes, k, 16) != PARQ_OK || parq_buf_append(sizes, &sz, 8) != PARQ_OK) {
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
      break;
    }
    pos += n;
  }
  parq_arena_free(&ar);
  return st;
}

static int cmp16(const void *a, const void *b) { return memcmp(a, b, 16); }

void parq_page_diff_free(parq_page_diff *d, size_t n) {
  if (!d) return;
  for (size_t i = 0; i < n; i++) free(d[i].column);
  free(d);
}

parq_status parq_dedup_pages(const char *a, const char *b, parq_page_diff **out, size_t *n,
                             parq_error *err) {
  if (!a || !b || !out || !n) return parq_err_set(err, PARQ_EINVAL, "parq_dedup_pages: bad arguments");
  *out = NULL;
  *n = 0;
  pfile fa, fb;
  parq_buf ha = PARQ_BUF_INIT, sa = PARQ_BUF_INIT, hb = PARQ_BUF_INIT, sb = PARQ_BUF_INIT,
           tmp = PARQ_BUF_INIT;
  parq_page_diff *res = NULL;
  size_t nres = 0;
  memset(&fb, 0, sizeof fb);
  fb.fd = -1; /* closable even when opening `a` fails */
  parq_status st = pf_open(&fa, a, err);
  if (st == PARQ_OK) st = pf_open(&fb, b, err);
  uint32_t ncol = 0;
  if (st == PARQ_OK && fb.md.n_row_groups) ncol = fb.md.row_groups[0].n_columns;
  if (st == PARQ_OK && ncol) {
    res = calloc(ncol, sizeof *res);
    if (!res) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  for (uint32_t c = 0; st == PARQ_OK && c < ncol; c++) {
    parq_buf_clear(&ha); parq_buf_clear(&sa); parq_buf_clear(&hb); parq_buf_clear(&sb);
    const pq_column_chunk *c0 = &fb.md.row_groups[0].columns[c];
    if (!c0->has_meta_data) { st = parq_err_set(err, PARQ_EUNSUPPORTED, "%s: no column metadata", b); break; }
    res[c].column = col_path(&c0->meta_data);
    nres = c + 1;
    if (!res[c].column) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); break; }
    /* Old pages of the same path, any row group. */
    for (uint32_t r = 0; st == PARQ_OK && r < fa.md.n_row_groups; r++)
      for (uint32_t k = 0; st == PARQ_OK && k < fa.md.row_groups[r].n_columns; k++) {
        const pq_column_chunk *cc = &fa.md.row_groups[r].columns[k];
        if (!cc->has_meta_data) continue;
        char *p = col_path(&cc->meta_data);
        if (!p) { st = parq_err_set(err, PARQ_ENOMEM, "out of memory"); break; }
        bool same = !strcmp(p, res[c].column);
        free(p);
        if (same) st = chunk_pages(&fa, cc, &ha, &sa, &tmp, err);
      }
    if (st != PARQ_OK) break;
    qsort(ha.data, ha.len / 16, 16, cmp16);
    for (uint32_t r = 0; st == PARQ_OK && r < fb.md.n_row_groups; r++) {
      if (c >= fb.md.row_groups[r].n_columns) { st = parq_err_set(err, PARQ_ECORRUPT, "%s: row group %u has too few columns", b, r); break; }
      st = chunk_pages(&fb, &fb.md.row_groups[r].columns[c], &hb, &sb, &tmp, err);
    }
    if (st != PARQ_OK) break;
    size_t np = hb.len / 16;
    const int64_t *sz = (const int64_t *)sb.data;
    for (size_t i = 0; i < np; i++) {
      res[c].pages++;
      res[c].bytes += sz[i];
      if (!ha.len || !bsearch(hb.data + 16 * i, ha.data, ha.len / 16, 16, cmp16)) {
        res[c].changed_pages++;
        res[c].changed_bytes += sz[i];
      }
    }
  }
  pf_close(&fa);
  pf_close(&fb);
  parq_buf_free(&ha); parq_buf_free(&sa); parq_buf_free(&hb); parq_buf_free(&sb);
  parq_buf_free(&tmp);
  if (st != PARQ_OK) {
    parq_page_diff_free(res, nres);
    return st;
  }
  *out = res;
  *n = ncol;
  return PARQ_OK;
}
