/* merge.c — `parq merge`: many Parquet files into one.
 *
 * Copy path: when every input has the first input's schema and per-column
 * codecs, each input row group's column chunks are copied byte for byte (no
 * decode) and the footer is rebuilt with shifted offsets; page indexes and
 * bloom filters are dropped (their offsets would point into the inputs).
 * Copying keeps every input row group as one output row group, so tiny
 * inputs would leave thousands of tiny groups: the automatic mode copies only
 * when the input row groups are already >= row_group_bytes/2, and otherwise
 * decodes and re-encodes into well-sized groups.
 * Memory: one input open at a time, a fixed 4 MiB copy buffer, plus the
 * retained footers (the output footer needs every row group's metadata). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset/store.h"
#include "format/metadata.h"
#include "util/arena.h"
#include "util/arrow.h"
#include "util/error.h"

#define COPY_BUF (4u << 20)
#define FOOTER_MAX (256u << 20)

typedef struct footer {
  uint8_t *raw;         /* the footer bytes (decoded byte strings point here) */
  parq_arena arena;
  pq_file_metadata md;
} footer;

static void footer_free(footer *f) {
  free(f->raw);
  parq_arena_free(&f->arena);
  memset(f, 0, sizeof *f);
}

static parq_status pread_all(int fd, void *p, size_t n, int64_t off, const char *path,
                             parq_error *err) {
  uint8_t *c = p;
  while (n) {
    ssize_t r = pread(fd, c, n, off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return parq_err_errno(err, "read %s", path);
    if (r == 0) return parq_err_set(err, PARQ_ECORRUPT, "%s: truncated at byte %lld", path,
                                    (long long)off);
    c += r;
    n -= (size_t)r;
    off += r;
  }
  return PARQ_OK;
}

static parq_status write_all(int fd, const void *p, size_t n, const char *path, parq_error *err) {
  const uint8_t *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return parq_err_errno(err, "write %s", path);
    c += w;
    n -= (size_t)w;
  }
  return PARQ_OK;
}

static parq_status read_footer(const char *path, int fd, int64_t size, footer *f,
                               parq_error *err) {
  memset(f, 0, sizeof *f);
  uint8_t tail[8];
  if (size < 12) return parq_err_set(err, PARQ_ECORRUPT, "%s: too small for Parquet", path);
  PARQ_TRY(pread_all(fd, tail, 8, size - 8, path, err));
  if (memcmp(tail + 4, "PAR1", 4))
    return parq_err_set(err, PARQ_ECORRUPT, "%s: no PAR1 footer magic (encrypted or not "
                        "Parquet)", path);
  uint32_t len = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                 (uint32_t)tail[3] << 24;
  if (len > FOOTER_MAX || (int64_t)len > size - 12)
    return parq_err_set(err, PARQ_ECORRUPT, "%s: footer length %u is invalid", path, len);
  f->raw = malloc(len ? len : 1);
  if (!f->raw) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  parq_status st = pread_all(fd, f->raw, len, size - 8 - len, path, err);
  if (!st) st = pq_decode_file_metadata(f->raw, len, &f->arena, &f->md, err);
  if (st) {
    footer_free(f);
    parq_err_prefix(err, "%s", path);
  }
  return st;
}

static int same_schema(const pq_file_metadata *a, const pq_file_metadata *b) {
  if (a->n_schema != b->n_schema) return 0;
  for (uint32_t i = 0; i < a->n_schema; i++) {
    const pq_schema_element *x = &a->schema[i], *y = &b->schema[i];
    if (strcmp(x->name, y->name) || x->has_type != y->has_type || x->type != y->type ||
        x->repetition != y->repetition || x->num_children != y->num_children ||
        x->converted_type != y->converted_type || x->logical.kind != y->logical.kind ||
        x->type_length != y->type_length)
      return 0;
  }
  return 1;
}

/* Can this file's chunks be copied next to the reference's? */
static const char *copy_blocker(const pq_file_metadata *ref, const pq_file_metadata *m) {
  if (m->has_encryption_algorithm) return "encrypted";
  if (!same_schema(ref, m)) return "schema differs";
  for (uint32_t g = 0; g < m->n_row_groups; g++) {
    const pq_row_group *rg = &m->row_groups[g];
    for (uint32_t c = 0; c < rg->n_columns; c++) {
      const pq_column_chunk *cc = &rg->columns[c];
      if (!cc->has_meta_data || cc->file_path || cc->has_crypto_metadata) return "external or "
                                                                                "encrypted chunk";
      if (ref->n_row_groups && c < ref->row_groups[0].n_columns &&
          ref->row_groups[0].columns[c].meta_data.codec != cc->meta_data.codec)
        return "codec differs";
    }
  }
  return NULL;
}

static int64_t rg_bytes(const pq_row_group *rg) {
  if (rg->has_total_compressed_size) return rg->total_compressed_size;
  int64_t s = 0;
  for (uint32_t c = 0; c < rg->n_columns; c++) s += rg->columns[c].meta_data.total_compressed_size;
  return s;
}

static int64_t chunk_start(const pq_column_metadata *m) {
  if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 &&
      m->dictionary_page_offset < m->data_page_offset)
    return m->dictionary_page_offset;
  return m->data_page_offset;
}

/* ---------------- copy ---------------- */

typedef struct rg_list {
  pq_row_group *v;
  size_t n, cap;
} rg_list;

static parq_status merge_copy(const char *const *inputs, size_t n_in, int out_fd,
                              const char *out_path, parq_merge_result *res, parq_error *err) {
  footer *feet = calloc(n_in, sizeof *feet);
  uint8_t *buf = malloc(COPY_BUF);
  rg_list rgs = {0};
  parq_arena out_arena = PARQ_ARENA_INIT;
  parq_buf fb = PARQ_BUF_INIT;
  parq_status st = PARQ_OK;
  if (!feet || !buf) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  int64_t pos = 4, rows = 0;
  if (!st) st = write_all(out_fd, "PAR1", 4, out_path, err);
  for (size_t f = 0; f < n_in && !st; f++) {
    int fd = open(inputs[f], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      st = parq_err_errno(err, "open %s", inputs[f]);
      break;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) st = parq_err_errno(err, "stat %s", inputs[f]);
    if (!st) st = read_footer(inputs[f], fd, sb.st_size, &feet[f], err);
    const char *why = st ? NULL : copy_blocker(&feet[0].md, &feet[f].md);
    if (why) st = parq_err_set(err, PARQ_ESCHEMA, "%s: cannot copy column chunks (%s); use "
                               "--reencode", inputs[f], why);
    pq_file_metadata *m = &feet[f].md;
    for (uint32_t g = 0; g < m->n_row_groups && !st; g++) {
      pq_row_group *rg = &m->row_groups[g];
      if (rg->num_rows == 0) continue;
      int64_t rg_start = pos, total = 0;
      for (uint32_t c = 0; c < rg->n_columns && !st; c++) {
        pq_column_chunk *cc = &rg->columns[c];
        pq_column_metadata *cm = &cc->meta_data;
        int64_t start = chunk_start(cm), len = cm->total_compressed_size;
        if (start < 4 || len < 0 || start + len > (int64_t)sb.st_size) {
          st = parq_err_set(err, PARQ_ECORRUPT, "%s: row group %u column %u: chunk [%lld, +%lld)"
                            " outside the file", inputs[f], g, c, (long long)start,
                            (long long)len);
          break;
        }
        for (int64_t done = 0; done < len && !st;) {
          size_t n = (size_t)(len - done < COPY_BUF ? len - done : COPY_BUF);
          st = pread_all(fd, buf, n, start + done, inputs[f], err);
          if (!st) st = write_all(out_fd, buf, n, out_path, err);
          done += (int64_t)n;
        }
        int64_t delta = pos - start;
        cm->data_page_offset += delta;
        if (cm->has_dictionary_page_offset) cm->dictionary_page_offset += delta;
        if (cm->has_index_page_offset) cm->index_page_offset += delta;
        cm->has_bloom_filter_offset = cm->has_bloom_filter_length = false;
        cc->file_offset = pos;
        cc->has_offset_index = cc->has_column_index = false;
        pos += len;
        total += len;
      }
      if (st) break;
      rg->has_file_offset = true;
      rg->file_offset = rg_start;
      rg->has_total_compressed_size = true;
      rg->total_compressed_size = total;
      rg->has_ordinal = rgs.n < 32768;
      rg->ordinal = (int16_t)rgs.n;
      if (rgs.n == rgs.cap) {
        size_t nc = rgs.cap ? rgs.cap * 2 : 64;
        pq_row_group *t = realloc(rgs.v, nc * sizeof *t);
        if (!t) {
          st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
          break;
        }
        rgs.v = t;
        rgs.cap = nc;
      }
      rgs.v[rgs.n++] = *rg; /* points into feet[f]'s arena: kept until the end */
      rows += rg->num_rows;
    }
    close(fd);
    /* Nothing but the metadata of this input is kept: drop its key/value
     * pairs and schema (the first input's are used). */
  }
  if (!st) {
    pq_file_metadata out = feet[0].md;
    out.row_groups = rgs.v;
    out.n_row_groups = (uint32_t)rgs.n;
    out.num_rows = rows;
    out.created_by = "parq version " PARQ_VERSION_STRING " (merge)";
    st = pq_encode_file_metadata(&out, &fb);
    if (st) st = parq_err_set(err, st, "%s: encoding the footer failed", out_path);
  }
  if (!st) {
    uint8_t tail[8];
    uint32_t l = (uint32_t)fb.len;
    tail[0] = (uint8_t)l;
    tail[1] = (uint8_t)(l >> 8);
    tail[2] = (uint8_t)(l >> 16);
    tail[3] = (uint8_t)(l >> 24);
    memcpy(tail + 4, "PAR1", 4);
    st = write_all(out_fd, fb.data, fb.len, out_path, err);
    if (!st) st = write_all(out_fd, tail, 8, out_path, err);
    pos += (int64_t)fb.len + 8;
  }
  res->copied = 1;
  res->rows = rows;
  res->row_groups = (int64_t)rgs.n;
  res->bytes = pos;
  for (size_t f = 0; feet && f < n_in; f++) footer_free(&feet[f]);
  free(feet);
  free(buf);
  free(rgs.v);
  parq_arena_free(&out_arena);
  parq_buf_free(&fb);
  return st;
}

/* ---------------- re-encode ---------------- */

static parq_status merge_reencode(const char *const *inputs, size_t n_in, const char *out_path,
                                  int64_t rg_bytes, parq_merge_result *res, parq_error *err) {
  parq_writer *w = NULL;
  struct ArrowSchema first = {0};
  parq_status st = PARQ_OK;
  int64_t rows = 0;
  for (size_t f = 0; f < n_in && !st; f++) {
    parq_reader *r = NULL;
    struct ArrowSchema s = {0};
    st = parq_reader_open(inputs[f], NULL, &r, err);
    if (!st) st = parq_reader_schema(r, &s, err);
    if (!st && f == 0) {
      parq_write_options wo;
      parq_write_options_init(&wo);
      wo.row_group_bytes = rg_bytes;
      wo.row_group_rows = INT64_MAX / 4;
      st = parq_writer_open(out_path, &s, &wo, &w, err);
      if (!st && pq_arrow_schema_copy(&s, &first)) st = parq_err_set(err, PARQ_ENOMEM, "oom");
    } else if (!st && !pq_store_schema_equal(&first, &s)) {
      st = parq_err_set(err, PARQ_ESCHEMA, "%s: schema differs from %s's", inputs[f], inputs[0]);
    }
    struct ArrowArray b = {0};
    while (!st) {
      st = parq_reader_next(r, &b, err);
      if (st == PARQ_DONE) {
        st = PARQ_OK;
        break;
      }
      if (st) break;
      rows += b.length;
      st = parq_writer_write(w, &b, err);
      b.release(&b);
    }
    pq_arrow_schema_release(&s);
    parq_reader_close(r);
  }
  pq_arrow_schema_release(&first);
  if (st) {
    parq_writer_abort(w);
    return st;
  }
  res->bytes = parq_writer_bytes(w);
  st = parq_writer_close(w, err);
  res->copied = 0;
  res->rows = rows;
  if (!st) {
    parq_reader *r = NULL;
    if (parq_reader_open(out_path, NULL, &r, NULL) == PARQ_OK) {
      res->row_groups = parq_reader_num_row_groups(r);
      parq_reader_close(r);
    }
  }
  return st;
}

/* Decide: copy only if every input is copy-compatible and its row groups
 * are at least half the target. Reads each footer once (one file at a time). */
static parq_status decide(const char *const *inputs, size_t n_in, int64_t target, int force_copy,
                          int *copy, parq_error *err) {
  footer ref = {0};
  *copy = 1;
  parq_status st = PARQ_OK;
  for (size_t f = 0; f < n_in && !st && *copy; f++) {
    int fd = open(inputs[f], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      st = parq_err_errno(err, "open %s", inputs[f]);
      break;
    }
    struct stat sb;
    footer cur = {0};
    if (fstat(fd, &sb) != 0) st = parq_err_errno(err, "stat %s", inputs[f]);
    if (!st) st = read_footer(inputs[f], fd, sb.st_size, f ? &cur : &ref, err);
    close(fd);
    if (st) break;
    const pq_file_metadata *m = f ? &cur.md : &ref.md;
    const char *why = copy_blocker(&ref.md, m);
    if (why) {
      if (force_copy) st = parq_err_set(err, PARQ_ESCHEMA, "%s: cannot copy column chunks (%s)",
                                        inputs[f], why);
      *copy = 0;
    }
    for (uint32_t g = 0; g < m->n_row_groups && !force_copy; g++)
      if (m->row_groups[g].num_rows > 0 && rg_bytes(&m->row_groups[g]) * 2 < target) *copy = 0;
    footer_free(&cur);
  }
  footer_free(&ref);
  return st;
}

parq_status parq_merge(const char *const *inputs, size_t n_in, const char *output,
                       const parq_merge_options *opt, parq_merge_result *res, parq_error *err) {
  parq_merge_result dummy;
  if (!res) res = &dummy;
  memset(res, 0, sizeof *res);
  if (!n_in || !output) return parq_err_set(err, PARQ_EINVAL, "parq_merge: no inputs or output");
  int64_t target = opt && opt->row_group_bytes > 0 ? opt->row_group_bytes : (128ll << 20);
  int mode = opt ? opt->mode : 0;
  int copy = mode == 1;
  /* Forced copy skips the planning pass: merge_copy checks each input itself. */
  if (mode == 0) PARQ_TRY(decide(inputs, n_in, target, 0, &copy, err));
  if (mode == 2) copy = 0;
  if (!copy) return merge_reencode(inputs, n_in, output, target, res, err);

  size_t tl = strlen(output) + 48;
  char *tmp = malloc(tl);
  if (!tmp) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  snprintf(tmp, tl, "%s.tmp.%ld.%016llx", output, (long)getpid(),
           (unsigned long long)pq_store_random64());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    parq_status st = parq_err_errno(err, "create %s", tmp);
    free(tmp);
    return st;
  }
  parq_status st = merge_copy(inputs, n_in, fd, tmp, res, err);
  if (!st && fsync(fd) != 0) st = parq_err_errno(err, "fsync %s", tmp);
  if (close(fd) != 0 && !st) st = parq_err_errno(err, "close %s", tmp);
  if (!st && rename(tmp, output) != 0) st = parq_err_errno(err, "rename %s to %s", tmp, output);
  if (st) unlink(tmp);
  free(tmp);
  return st;
}
