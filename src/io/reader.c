/* reader.c — the text reader handle shared by JSONL and CSV: buffered read()
 * input with bounded memory (an 8 MiB buffer that grows only to fit one long
 * record or the inference sample, and shrinks back), schema resolution
 * (fixed, or inferred from a read-ahead sample that is then replayed),
 * projection, and batch assembly. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_internal.h"

#define BASE_CAP ((size_t)8 << 20)
#define MAX_CAP ((size_t)1 << 31)       /* longest single record / sample */
/* Cut batches at this much buffered data: bounds memory whatever the row size
 * (and keeps int32 offsets far from overflow). Small, because a writer with
 * compression threads gets no pages while a batch is parsed: 2 MB parses in a
 * few milliseconds, within what the compression queue holds. */
#define BATCH_BYTES ((size_t)2 << 20)

void pq_text_read_options_init(pq_text_read_options *o) {
  memset(o, 0, sizeof *o);
  o->format = PQ_FMT_AUTO;
  o->batch_rows = 8192;
  o->infer_rows = 10000;
  o->csv_delimiter = 0; /* auto: ',' or '\t' for .tsv */
  o->csv_header = 1;
}

static parq_status set_cap(pq_text_reader *r, size_t cap, parq_error *err) {
  char *nb = realloc(r->buf, cap + PQ_READ_PAD);
  if (!nb) return parq_err_set(err, PARQ_ENOMEM, "%s: cannot allocate a %zu-byte read buffer", r->path, cap);
  r->buf = nb;
  r->cap = cap;
  return PARQ_OK;
}

int pq_reader_fill(pq_text_reader *r, size_t *cur, parq_error *err) {
  if (r->eof) return 0;
  /* While sampling a seekable file, lines already inspected can go: the file
   * is re-read from the start afterwards, so the sample need not fit in memory. */
  if (r->discard_sample && *cur > r->pos) r->pos = *cur;
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->file_off += (int64_t)r->pos;
    r->len -= r->pos;
    *cur -= r->pos;
    r->pos = 0;
    /* Give back memory grown for a long record / the inference sample. */
    if (r->cap > r->base_cap && r->len < r->base_cap / 2) PARQ_TRY(set_cap(r, r->base_cap, err));
  }
  if (r->len == r->cap) {
    if (r->cap >= MAX_CAP)
      return parq_err_set(err, PARQ_ENOMEM, "%s:%lld: record longer than %zu bytes", r->path,
                          (long long)r->lineno + 1, MAX_CAP);
    PARQ_TRY(set_cap(r, r->cap * 2, err));
  }
  for (;;) {
    ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return parq_err_errno(err, "%s: read", r->path);
    if (n == 0) r->eof = true;
    r->len += (size_t)n;
    memset(r->buf + r->len, 0, PQ_READ_PAD);
    return n > 0;
  }
}

int pq_reader_line(pq_text_reader *r, size_t *cur, const char **s, size_t *n, parq_error *err) {
  size_t scan = *cur;
  for (;;) {
    const char *nl = memchr(r->buf + scan, '\n', r->len - scan);
    if (nl) {
      *s = r->buf + *cur;
      *n = (size_t)(nl - *s);
      *cur = (size_t)(nl - r->buf) + 1;
      return 1;
    }
    size_t seen = r->len - *cur;
    int st = pq_reader_fill(r, cur, err);
    if (st < 0) return st;
    if (st == 0) {
      if (*cur >= r->len) return 0;
      *s = r->buf + *cur;
      *n = r->len - *cur;
      *cur = r->len;
      return 1;
    }
    scan = *cur + seen;
  }
}

static bool ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  if (a < b) return false;
  for (size_t i = 0; i < b; i++)
    if ((s[a - b + i] | 32) != suf[i]) return false;
  return true;
}

pq_file_format pq_format_from_path(const char *path) {
  if (!path) return PQ_FMT_AUTO;
  if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json"))
    return PQ_FMT_JSONL;
  if (ends_with(path, ".csv") || ends_with(path, ".tsv")) return PQ_FMT_CSV;
  if (ends_with(path, ".parquet") || ends_with(path, ".pq")) return PQ_FMT_PARQUET;
  return PQ_FMT_AUTO;
}

/* Output schema = the full schema restricted to opt->columns (in that order). */
static parq_status project(const struct ArrowSchema *full, const pq_text_read_options *opt,
                           struct ArrowSchema *out, parq_error *err) {
  if (!opt->columns || opt->n_columns == 0) {
    if (pq_arrow_schema_copy(full, out)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    return PARQ_OK;
  }
  for (size_t i = 0; i < opt->n_columns; i++) {
    bool found = false;
    for (int64_t j = 0; j < full->n_children; j++)
      if (!strcmp(full->children[j]->name, opt->columns[i])) found = true;
    if (!found) return parq_err_set(err, PARQ_ESCHEMA, "column '%s' is not in the schema", opt->columns[i]);
    for (size_t k = 0; k < i; k++)
      if (!strcmp(opt->columns[k], opt->columns[i]))
        return parq_err_set(err, PARQ_EINVAL, "column '%s' selected twice", opt->columns[i]);
  }
  if (pq_arrow_schema_init(out, "+s", full->name, full->flags, (int64_t)opt->n_columns))
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (size_t i = 0; i < opt->n_columns; i++)
    for (int64_t j = 0; j < full->n_children; j++)
      if (!strcmp(full->children[j]->name, opt->columns[i]) &&
          pq_arrow_schema_copy(full->children[j], out->children[i])) {
        pq_arrow_schema_release(out);
        return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      }
  return PARQ_OK;
}

parq_status pq_text_reader_open(const char *path, const pq_text_read_options *opt_in,
                                pq_text_reader **out, parq_error *err) {
  pq_text_read_options defaults;
  pq_text_read_options_init(&defaults);
  const pq_text_read_options *opt = opt_in ? opt_in : &defaults;
  *out = NULL;
  if (!path) return parq_err_set(err, PARQ_EINVAL, "no input path");
  pq_text_reader *r = calloc(1, sizeof *r);
  if (!r) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  r->fd = -1;
  bool is_stdin = !strcmp(path, "-");
  r->path = strdup(is_stdin ? "<stdin>" : path);
  r->jc.file = r->path;
  r->batch_rows = opt->batch_rows > 0 ? opt->batch_rows : 8192;
  r->infer_rows = opt->infer_rows > 0 ? opt->infer_rows : 10000;
  r->fmt = opt->format != PQ_FMT_AUTO ? opt->format : pq_format_from_path(path);
  if (r->fmt == PQ_FMT_AUTO && is_stdin) r->fmt = PQ_FMT_JSONL;
  r->delim = opt->csv_delimiter ? opt->csv_delimiter : ends_with(path, ".tsv") ? '\t' : ',';
  r->header = opt->csv_header;
  r->total = -1;
  r->base_cap = BASE_CAP;
  parq_status st = PARQ_OK;
  struct ArrowSchema full = {0};
  if (!r->path) {
    st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    goto fail;
  }
  if (r->fmt != PQ_FMT_JSONL && r->fmt != PQ_FMT_CSV) {
    st = parq_err_set(err, PARQ_EINVAL, "%s: not a JSON Lines or CSV file (use .jsonl/.csv or set the format)", path);
    goto fail;
  }
  if (r->delim == '"' || r->delim == '\n' || r->delim == '\r') {
    st = parq_err_set(err, PARQ_EINVAL, "invalid CSV delimiter");
    goto fail;
  }
  if (is_stdin) {
    r->fd = 0;
  } else {
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
      st = parq_err_errno(err, "%s: open", path);
      goto fail;
    }
    r->close_fd = true;
    struct stat sb;
    if (fstat(r->fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
      r->total = (int64_t)sb.st_size;
      /* small files need no 8 MiB buffer */
      if ((size_t)sb.st_size + 1 < r->base_cap) r->base_cap = (size_t)sb.st_size + 4096;
    }
  }
  if ((st = set_cap(r, r->base_cap, err))) goto fail;
  memset(r->buf, 0, PQ_READ_PAD);

  if (r->fmt == PQ_FMT_CSV) {
    if ((st = pq_csv_prepare(r, opt->schema ? NULL : &full, !opt->schema, err))) goto fail;
  } else if (!opt->schema) {
    if ((st = pq_jsonl_infer(r, &full, err))) goto fail;
  }
  if (opt->schema) {
    if (strcmp(opt->schema->format, "+s")) {
      st = parq_err_set(err, PARQ_EINVAL, "schema must be a struct (\"+s\"), got '%s'", opt->schema->format);
      goto fail;
    }
    if (pq_arrow_schema_copy(opt->schema, &full)) {
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
      goto fail;
    }
  }
  if ((st = project(&full, opt, &r->schema, err))) goto fail;
  if ((st = pq_col_init(&r->root, &r->schema, NULL, err))) goto fail;
  /* the root's own name must not prefix field paths */
  r->root.path[0] = 0;
  if (r->fmt == PQ_FMT_CSV && (st = pq_csv_bind(r, err))) goto fail;
  pq_arrow_schema_release(&full);
  *out = r;
  return PARQ_OK;
fail:
  pq_arrow_schema_release(&full);
  pq_text_reader_close(r);
  return st;
}

parq_status pq_text_reader_schema(pq_text_reader *r, struct ArrowSchema *out, parq_error *err) {
  if (pq_arrow_schema_copy(&r->schema, out)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}

parq_status pq_text_reader_next(pq_text_reader *r, struct ArrowArray *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  if (r->failed) return parq_err_set(err, PARQ_EINVAL, "%s: reader already failed", r->path);
  if (r->done) return PARQ_DONE;
  int64_t rows = 0;
  while (rows < r->batch_rows) {
    int st = r->fmt == PQ_FMT_CSV ? pq_csv_next_row(r, err) : pq_jsonl_next_row(r, err);
    if (st < 0) {
      r->failed = true;
      return (parq_status)st;
    }
    if (st == 0) {
      r->done = true;
      break;
    }
    rows++;
    if ((rows & 63) == 0 && pq_col_bytes(&r->root) > BATCH_BYTES) break;
  }
  if (rows == 0) return PARQ_DONE;
  parq_status st = pq_col_finish(&r->root, out);
  if (st) {
    r->failed = true;
    return parq_err_set(err, st, "%s: out of memory building a batch", r->path);
  }
  return PARQ_OK;
}

int64_t pq_text_reader_bytes_read(const pq_text_reader *r) { return r->file_off + (int64_t)r->pos; }
int64_t pq_text_reader_bytes_total(const pq_text_reader *r) { return r->total; }
size_t pq_text_reader_buffer_size(const pq_text_reader *r) { return r->cap; }

void pq_text_reader_close(pq_text_reader *r) {
  if (!r) return;
  if (r->close_fd && r->fd >= 0) close(r->fd);
  pq_arrow_schema_release(&r->schema);
  pq_col_free(&r->root);
  if (r->names)
    for (int i = 0; i < r->n_fields_file; i++) free(r->names[i]);
  free(r->names);
  free(r->col_map);
  free(r->f_start);
  free(r->f_len);
  free(r->f_flags);
  parq_buf_free(&r->scratch);
  parq_buf_free(&r->jc.scratch);
  free(r->buf);
  free(r->path);
  free(r);
}
