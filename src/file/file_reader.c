/* file_reader.c — opening a Parquet file, validating its footer, projection,
 * row-group selection, and producing Arrow batches. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column/assemble.h"
#include "file/file_reader_internal.h"
#include "util/error.h"

#define DEFAULT_BATCH 65536
#define MAX_FOOTER ((int64_t)1 << 30)
/* A BYTE_ARRAY column chunk above this many uncompressed bytes reads as Arrow
 * large_utf8 / large_binary: its values may not fit int32 offsets in one
 * batch. Below 2 GiB because dictionary and DELTA_BYTE_ARRAY pages expand. */
#define LARGE_CHUNK_BYTES ((int64_t)3 << 29) /* 1.5 GiB */

void parq_read_options_init(parq_read_options *o) {
  memset(o, 0, sizeof *o);
  o->batch_rows = DEFAULT_BATCH;
}

parq_status pq_reader_read_at(parq_reader *r, int64_t off, size_t n, uint8_t *dst, parq_error *err) {
  if (off < 0 || (int64_t)n > r->size || off > r->size - (int64_t)n)
    return parq_err_set(err, PARQ_ECORRUPT, "%s: read of %zu bytes at offset %lld is past the end of the file (%lld bytes)",
                        r->name, n, (long long)off, (long long)r->size);
  if (r->mem) {
    memcpy(dst, r->mem + off, n);
    return PARQ_OK;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t k = pread(r->fd, dst + done, n - done, off + (off_t)done);
    if (k < 0) {
      if (errno == EINTR) continue;
      return parq_err_errno(err, "%s: read at offset %lld", r->name, (long long)(off + (int64_t)done));
    }
    if (k == 0) return parq_err_set(err, PARQ_ECORRUPT, "%s: unexpected end of file at offset %lld", r->name, (long long)(off + (int64_t)done));
    done += (size_t)k;
  }
  return PARQ_OK;
}

static parq_status validate_metadata(parq_reader *r, int64_t body_end, parq_error *err) {
  pq_file_metadata *md = &r->md;
  if (md->has_encryption_algorithm)
    return parq_err_set(err, PARQ_EUNSUPPORTED, "%s: encrypted Parquet is not supported", r->name);
  if (md->num_rows < 0) return parq_err_set(err, PARQ_ECORRUPT, "%s: negative num_rows", r->name);
  for (uint32_t g = 0; g < md->n_row_groups; g++) {
    pq_row_group *rg = &md->row_groups[g];
    if (rg->num_rows < 0) return parq_err_set(err, PARQ_ECORRUPT, "%s: row group %u has negative num_rows", r->name, g);
    if ((int)rg->n_columns != r->schema.n_leaves)
      return parq_err_set(err, PARQ_ECORRUPT, "%s: row group %u has %u column chunks, schema has %d leaf columns",
                          r->name, g, rg->n_columns, r->schema.n_leaves);
    for (uint32_t c = 0; c < rg->n_columns; c++) {
      pq_column_chunk *cc = &rg->columns[c];
      const pq_leaf *leaf = &r->schema.leaves[c];
      if (cc->has_crypto_metadata || cc->has_encrypted_column_metadata)
        return parq_err_set(err, PARQ_EUNSUPPORTED, "%s: encrypted Parquet is not supported (column \"%s\")", r->name, leaf->path);
      if (!cc->has_meta_data)
        return parq_err_set(err, PARQ_ECORRUPT, "%s: row group %u, column \"%s\": no column metadata", r->name, g, leaf->path);
      if (cc->file_path && cc->file_path[0])
        return parq_err_set(err, PARQ_EUNSUPPORTED, "%s: row group %u, column \"%s\": column data in another file (%s) is not supported",
                            r->name, g, leaf->path, cc->file_path);
      pq_column_metadata *m = &cc->meta_data;
      if (m->type != leaf->type)
        return parq_err_set(err, PARQ_ECORRUPT, "%s: row group %u, column \"%s\": type %d differs from schema type %d",
                            r->name, g, leaf->path, m->type, leaf->type);
      int64_t start = m->data_page_offset;
      if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
        start = m->dictionary_page_offset;
      if (m->num_values == 0 && rg->num_rows == 0) continue; /* empty chunk: offsets are meaningless */
      if (start < 4 || m->total_compressed_size < 0 || m->num_values < 0 || start >= body_end ||
          m->total_compressed_size > body_end - start)
        return parq_err_set(err, PARQ_ECORRUPT,
                            "%s: row group %u, column \"%s\": column chunk at offset %lld, %lld bytes, is outside the file data (%lld bytes)",
                            r->name, g, leaf->path, (long long)start, (long long)m->total_compressed_size, (long long)body_end);
    }
  }
  return PARQ_OK;
}

static parq_status select_columns(parq_reader *r, parq_error *err) {
  int nl = r->schema.n_leaves;
  r->leaf_mask = calloc((size_t)(nl > 0 ? nl : 1), 1);
  if (!r->leaf_mask) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (!r->opt.columns || r->opt.n_columns == 0) {
    memset(r->leaf_mask, 1, (size_t)nl);
  } else {
    for (size_t i = 0; i < r->opt.n_columns; i++) {
      const char *name = r->opt.columns[i];
      pq_node *n = pq_schema_find(&r->schema, name);
      if (!n) {
        /* Also accept a leaf's full file path ("a.list.element"). */
        for (int l = 0; l < nl && !n; l++)
          if (!strcmp(r->schema.leaves[l].path, name)) n = r->schema.leaves[l].node;
      }
      if (!n) return parq_err_set(err, PARQ_ESCHEMA, "%s: no column named \"%s\"", r->name, name);
      /* Projection inside a list or map takes the whole list / map. */
      for (pq_node *a = n->parent; a && a->parent; a = a->parent)
        if (a->kind == PQ_NODE_LIST || a->kind == PQ_NODE_MAP) n = a;
      for (int l = n->leaf_begin; l < n->leaf_end; l++) r->leaf_mask[l] = 1;
    }
  }
  r->sel_leaves = calloc((size_t)(nl > 0 ? nl : 1), sizeof(int));
  r->top = calloc((size_t)(r->schema.root->n_children > 0 ? r->schema.root->n_children : 1), sizeof(pq_node *));
  if (!r->sel_leaves || !r->top) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int l = 0; l < nl; l++)
    if (r->leaf_mask[l]) r->sel_leaves[r->n_sel_leaves++] = l;
  for (int i = 0; i < r->schema.root->n_children; i++) {
    pq_node *c = r->schema.root->children[i];
    for (int l = c->leaf_begin; l < c->leaf_end; l++)
      if (r->leaf_mask[l]) {
        r->top[r->n_top++] = c;
        break;
      }
  }
  return PARQ_OK;
}

static parq_status select_row_groups(parq_reader *r, parq_error *err) {
  int64_t ng = r->md.n_row_groups;
  r->rgs = calloc((size_t)(ng > 0 ? ng : 1), sizeof(int64_t));
  if (!r->rgs) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (r->opt.row_groups) {
    for (size_t i = 0; i < r->opt.n_row_groups; i++) {
      int64_t g = r->opt.row_groups[i];
      if (g < 0 || g >= ng)
        return parq_err_set(err, PARQ_EINVAL, "%s: row group %lld does not exist (file has %lld)", r->name, (long long)g, (long long)ng);
    }
  }
  size_t n = r->opt.row_groups ? r->opt.n_row_groups : (size_t)ng;
  int64_t *tmp = r->opt.row_groups ? realloc(r->rgs, (n > 0 ? n : 1) * sizeof(int64_t)) : r->rgs;
  if (!tmp) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  r->rgs = tmp;
  for (size_t i = 0; i < n; i++) {
    int64_t g = r->opt.row_groups ? r->opt.row_groups[i] : (int64_t)i;
    if (r->opt.n_predicates && !pq_reader_rg_may_match(r, g)) continue;
    r->rgs[r->n_rgs++] = g;
  }
  return PARQ_OK;
}

/* Decide, from metadata alone, which string / binary columns read with int64
 * offsets, and make their Arrow format "U" / "Z" so that the schema is known
 * up front and the same for every batch. The schema belongs to this reader,
 * so its nodes may be changed. */
static void choose_large_strings(parq_reader *r) {
  if (r->opt.large_strings < 0 && !r->opt.string_views) return;
  for (int k = 0; k < r->n_sel_leaves; k++) {
    int l = r->sel_leaves[k];
    pq_node *n = r->schema.leaves[l].node;
    if (r->schema.leaves[l].type != PQ_BYTE_ARRAY || !n->arrow_format) continue;
    bool utf8 = !strcmp(n->arrow_format, "u"), bin = !strcmp(n->arrow_format, "z");
    if (!utf8 && !bin) continue; /* decimals, null-typed */
    if (r->opt.string_views) {
      n->arrow_format = utf8 ? "vu" : "vz";
      continue;
    }
    bool large = r->opt.large_strings > 0;
    for (int64_t i = 0; i < r->n_rgs && !large; i++)
      large = r->md.row_groups[r->rgs[i]].columns[l].meta_data.total_uncompressed_size > LARGE_CHUNK_BYTES;
    if (large) n->arrow_format = utf8 ? "U" : "Z";
  }
}

static bool leaf_is_large(const pq_leaf *leaf) {
  const char *f = leaf->node->arrow_format;
  return leaf->type == PQ_BYTE_ARRAY && f && (!strcmp(f, "U") || !strcmp(f, "Z"));
}

static bool leaf_is_view(const pq_leaf *leaf) {
  const char *f = leaf->node->arrow_format;
  return leaf->type == PQ_BYTE_ARRAY && f && (!strcmp(f, "vu") || !strcmp(f, "vz"));
}

static parq_status open_common(parq_reader *r, const parq_read_options *opt, parq_error *err) {
  if (opt) r->opt = *opt;
  else parq_read_options_init(&r->opt);
  if (r->opt.batch_rows <= 0) r->opt.batch_rows = DEFAULT_BATCH;
  r->cur = -1;
  if (r->size < 12) return parq_err_set(err, PARQ_ECORRUPT, "%s: not a Parquet file (only %lld bytes)", r->name, (long long)r->size);
  uint8_t tail[8], head[4];
  PARQ_TRY(pq_reader_read_at(r, r->size - 8, 8, tail, err));
  PARQ_TRY(pq_reader_read_at(r, 0, 4, head, err));
  if (!memcmp(tail + 4, "PARE", 4) || !memcmp(head, "PARE", 4))
    return parq_err_set(err, PARQ_EUNSUPPORTED, "%s: encrypted Parquet is not supported", r->name);
  if (memcmp(tail + 4, "PAR1", 4) || memcmp(head, "PAR1", 4))
    return parq_err_set(err, PARQ_ECORRUPT, "%s: not a Parquet file (missing PAR1 magic)", r->name);
  uint32_t flen;
  memcpy(&flen, tail, 4);
  if ((int64_t)flen > r->size - 12 || (int64_t)flen > MAX_FOOTER)
    return parq_err_set(err, PARQ_ECORRUPT, "%s: footer length %u exceeds the file size %lld", r->name, flen, (long long)r->size);
  int64_t foff = r->size - 8 - flen;
  r->footer = malloc(flen ? flen : 1);
  if (!r->footer) return parq_err_set(err, PARQ_ENOMEM, "%s: cannot allocate %u-byte footer", r->name, flen);
  PARQ_TRY(pq_reader_read_at(r, foff, flen, r->footer, err));
  r->arena.limit = (size_t)flen * 64 + (1 << 20); /* metadata cannot expand beyond this */
  parq_status st = pq_decode_file_metadata(r->footer, flen, &r->arena, &r->md, err);
  if (st) {
    parq_err_prefix(err, "%s: footer at offset %lld", r->name, (long long)foff);
    return st;
  }
  st = pq_schema_build(r->md.schema, r->md.n_schema, &r->schema, err);
  if (st) {
    parq_err_prefix(err, "%s", r->name);
    return st;
  }
  PARQ_TRY(validate_metadata(r, foff, err));
  PARQ_TRY(select_columns(r, err));
  PARQ_TRY(select_row_groups(r, err));
  choose_large_strings(r);
  r->codec = pq_codec_ctx_new();
  int nl = r->schema.n_leaves;
  r->chunks = calloc((size_t)(nl > 0 ? nl : 1), sizeof(parq_buf));
  r->cursors = calloc((size_t)(nl > 0 ? nl : 1), sizeof(pq_column_cursor));
  r->batches = calloc((size_t)(nl > 0 ? nl : 1), sizeof(pq_leaf_batch));
  if (!r->codec || !r->chunks || !r->cursors || !r->batches) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}

parq_status parq_reader_open(const char *path, const parq_read_options *opt, parq_reader **out,
                             parq_error *err) {
  *out = NULL;
  if (!path) return parq_err_set(err, PARQ_EINVAL, "parq_reader_open: path is NULL");
  parq_reader *r = calloc(1, sizeof *r);
  if (!r) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  r->fd = -1;
  r->name = strdup(path);
  if (!r->name) {
    free(r);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) {
    parq_status st = parq_err_errno(err, "%s", path);
    parq_reader_close(r);
    return st;
  }
  struct stat sb;
  if (fstat(r->fd, &sb) < 0) {
    parq_status st = parq_err_errno(err, "%s", path);
    parq_reader_close(r);
    return st;
  }
  if (S_ISDIR(sb.st_mode)) {
    parq_reader_close(r);
    return parq_err_set(err, PARQ_EINVAL, "%s: is a directory", path);
  }
  r->size = sb.st_size;
  parq_status st = open_common(r, opt, err);
  if (st) {
    parq_reader_close(r);
    return st;
  }
  *out = r;
  return PARQ_OK;
}

parq_status parq_reader_open_memory(const void *data, size_t size, const char *name,
                                    const parq_read_options *opt, parq_reader **out,
                                    parq_error *err) {
  *out = NULL;
  parq_reader *r = calloc(1, sizeof *r);
  if (!r) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  r->fd = -1;
  r->mem = data;
  r->size = (int64_t)size;
  r->name = strdup(name ? name : "<memory>");
  if (!r->name) {
    free(r);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  parq_status st = open_common(r, opt, err);
  if (st) {
    parq_reader_close(r);
    return st;
  }
  *out = r;
  return PARQ_OK;
}

static void unload(parq_reader *r) {
  free(r->ranges);
  r->ranges = NULL;
  r->n_ranges = 0;
  parq_arena_free(&r->rg_arena);
  if (!r->loaded) return;
  for (int i = 0; i < r->n_sel_leaves; i++) pq_cursor_free(&r->cursors[r->sel_leaves[i]]);
  r->loaded = false;
}

/* Page-index pruning: candidate row ranges for the loaded row group, and the
 * offset index of every selected column so cursors can jump over pages. */
static parq_status load_ranges(parq_reader *r, int64_t g, parq_error *err) {
  int64_t *ranges = NULL;
  int64_t n = pq_reader_page_ranges(r, g, &ranges, err);
  if (n < -1) return (parq_status)n;
  if (n < 0) return PARQ_OK;
  r->ranges = ranges;
  r->n_ranges = n;
  pq_row_group *rg = &r->md.row_groups[g];
  for (int k = 0; k < r->n_sel_leaves; k++) {
    int l = r->sel_leaves[k];
    pq_column_chunk *cc = &rg->columns[l];
    if (!cc->has_offset_index || cc->offset_index_length <= 0 || cc->offset_index_length > (64 << 20)) continue;
    uint8_t *b = parq_arena_alloc(&r->rg_arena, (size_t)cc->offset_index_length);
    pq_offset_index *oi = parq_arena_alloc(&r->rg_arena, sizeof *oi);
    if (!b || !oi) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    if (pq_reader_read_at(r, cc->offset_index_offset, (size_t)cc->offset_index_length, b, NULL) ||
        pq_decode_offset_index(b, (size_t)cc->offset_index_length, &r->rg_arena, oi, NULL))
      continue; /* a bad index only disables page skipping */
    r->cursors[l].oi = oi;
  }
  return PARQ_OK;
}

void parq_reader_close(parq_reader *r) {
  if (!r) return;
  unload(r);
  if (r->fd >= 0) close(r->fd);
  int nl = r->schema.n_leaves;
  if (r->chunks)
    for (int i = 0; i < nl; i++) parq_buf_free(&r->chunks[i]);
  if (r->batches)
    for (int i = 0; i < nl; i++) pq_leaf_batch_free(&r->batches[i]);
  free(r->chunks);
  free(r->cursors);
  free(r->batches);
  pq_codec_ctx_free(r->codec);
  pq_schema_free(&r->schema);
  parq_arena_free(&r->arena);
  free(r->footer);
  free(r->leaf_mask);
  free(r->sel_leaves);
  free(r->top);
  free(r->rgs);
  free(r->name);
  free(r);
}

int64_t parq_reader_num_rows(const parq_reader *r) { return r->md.num_rows; }
int64_t parq_reader_num_row_groups(const parq_reader *r) { return r->md.n_row_groups; }
int64_t parq_reader_row_group_num_rows(const parq_reader *r, int64_t rg) {
  if (rg < 0 || rg >= r->md.n_row_groups) return -1;
  return r->md.row_groups[rg].num_rows;
}
int64_t parq_reader_num_selected_row_groups(const parq_reader *r) { return r->n_rgs; }

const char *parq_reader_kv(const parq_reader *r, const char *key) {
  for (uint32_t i = 0; i < r->md.n_kv; i++)
    if (r->md.kv[i].key && !strcmp(r->md.kv[i].key, key)) return r->md.kv[i].has_value ? r->md.kv[i].value : "";
  return NULL;
}

parq_status parq_reader_schema(parq_reader *r, struct ArrowSchema *out, parq_error *err) {
  if (pq_arrow_schema_init(out, "+s", "", 0, r->n_top)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int i = 0; i < r->n_top; i++) {
    parq_status st = pq_projected_schema(r->top[i], r->leaf_mask, out->children[i], err);
    if (st) {
      pq_arrow_schema_release(out);
      return st;
    }
  }
  return PARQ_OK;
}

/* Load selected row group index `si` (into r->rgs): read chunks, init cursors. */
static parq_status load_rg(parq_reader *r, int64_t si, parq_error *err) {
  unload(r);
  int64_t g = r->rgs[si];
  pq_row_group *rg = &r->md.row_groups[g];
  for (int k = 0; k < r->n_sel_leaves; k++) {
    int l = r->sel_leaves[k];
    pq_column_metadata *m = &rg->columns[l].meta_data;
    int64_t start = m->data_page_offset;
    if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
      start = m->dictionary_page_offset;
    size_t len = (size_t)m->total_compressed_size;
    if (m->num_values == 0 && rg->num_rows == 0) start = 0, len = 0; /* empty chunk */
    if (r->opt.max_memory > 0 && (int64_t)len > r->opt.max_memory)
      return parq_err_set(err, PARQ_ENOMEM, "%s: row group %lld, column \"%s\": chunk of %zu bytes exceeds the memory limit",
                          r->name, (long long)g, r->schema.leaves[l].path, len);
    parq_buf *b = &r->chunks[l];
    const uint8_t *data;
    if (r->mem) {
      data = r->mem + start;
    } else {
      parq_buf_clear(b);
      if (parq_buf_reserve(b, len + 1))
        return parq_err_set(err, PARQ_ENOMEM, "%s: cannot allocate %zu bytes for row group %lld, column \"%s\"", r->name, len,
                            (long long)g, r->schema.leaves[l].path);
      PARQ_TRY(pq_reader_read_at(r, start, len, b->data, err));
      b->len = len;
      data = b->data;
    }
    snprintf(r->ctx, sizeof r->ctx, "%s: row group %lld, column \"%s\"", r->name, (long long)g, r->schema.leaves[l].path);
    parq_status st = pq_cursor_init(&r->cursors[l], &r->schema.leaves[l], m, data, len, start, r->codec,
                                    r->opt.verify_checksums != 0, r->ctx, err);
    if (st) {
      for (int j = 0; j < k; j++) pq_cursor_free(&r->cursors[r->sel_leaves[j]]);
      return st;
    }
    if (r->opt.max_memory > 0) r->cursors[l].max_alloc = r->opt.max_memory;
    pq_cursor_set_wide(&r->cursors[l], leaf_is_large(&r->schema.leaves[l]));
    pq_cursor_set_views(&r->cursors[l], leaf_is_view(&r->schema.leaves[l]));
  }
  r->loaded = true;
  r->cur = si;
  r->rows_left = rg->num_rows;
  r->range_i = 0;
  r->row_pos = 0;
  if (r->opt.n_predicates) PARQ_TRY(load_ranges(r, g, err));
  return PARQ_OK;
}

/* Take up to n records from every selected leaf of the loaded row group and
 * assemble a struct batch. *got = rows. */
static parq_status take_batch(parq_reader *r, int64_t n, struct ArrowArray *out, int64_t *got,
                              parq_error *err) {
  int64_t g = r->rgs[r->cur];
  int64_t rows = -1;
  if (r->ranges) {
    while (r->range_i < r->n_ranges && r->row_pos >= r->ranges[2 * r->range_i + 1]) r->range_i++;
    if (r->range_i == r->n_ranges) {
      *got = 0;
      r->rows_left = 0;
      return PARQ_OK;
    }
    int64_t b = r->ranges[2 * r->range_i], e = r->ranges[2 * r->range_i + 1];
    if (r->row_pos < b) {
      for (int k = 0; k < r->n_sel_leaves; k++) PARQ_TRY(pq_cursor_skip(&r->cursors[r->sel_leaves[k]], b - r->row_pos, err));
      r->rows_left -= b - r->row_pos;
      r->row_pos = b;
    }
    if (n > e - r->row_pos) n = e - r->row_pos;
  }
  for (int k = 0; k < r->n_sel_leaves; k++) {
    int l = r->sel_leaves[k];
    int64_t gl = 0;
    parq_status st = pq_cursor_take(&r->cursors[l], n, &r->batches[l], &gl, err);
    if (st) {
      parq_err_prefix(err, "%s: row group %lld, column \"%s\"", r->name, (long long)g, r->schema.leaves[l].path);
      return st;
    }
    if (rows >= 0 && gl != rows)
      return parq_err_set(err, PARQ_ECORRUPT, "%s: row group %lld: column \"%s\" has %lld rows where others have %lld",
                          r->name, (long long)g, r->schema.leaves[l].path, (long long)gl, (long long)rows);
    rows = gl;
  }
  if (rows < 0) { /* no columns selected: count rows from metadata */
    rows = r->rows_left < n ? r->rows_left : n;
  }
  *got = rows;
  r->rows_left -= rows;
  r->row_pos += rows;
  struct ArrowArray *kids = calloc((size_t)(r->n_top > 0 ? r->n_top : 1), sizeof *kids);
  if (!kids) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int i = 0; i < r->n_top; i++) {
    parq_status st = pq_assemble_node(&r->schema, r->top[i], r->batches, r->leaf_mask, &kids[i], err);
    if (!st && kids[i].length != rows)
      st = parq_err_set(err, PARQ_ECORRUPT, "column \"%s\" assembled %lld rows, expected %lld", r->top[i]->name,
                        (long long)kids[i].length, (long long)rows);
    if (st) {
      parq_err_prefix(err, "%s: row group %lld", r->name, (long long)g);
      for (int j = 0; j <= i; j++) pq_arrow_array_release(&kids[j]);
      free(kids);
      return st;
    }
  }
  void *bufs[1] = {NULL};
  parq_status st = pq_arrow_array_make(out, rows, 0, 1, bufs, r->n_top, kids);
  free(kids);
  return st ? parq_err_set(err, PARQ_ENOMEM, "out of memory") : PARQ_OK;
}

parq_status parq_reader_next(parq_reader *r, struct ArrowArray *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  for (;;) {
    if (!r->loaded) {
      int64_t next = r->cur + 1;
      if (next >= r->n_rgs) return PARQ_DONE;
      PARQ_TRY(load_rg(r, next, err));
    }
    int64_t got = 0;
    PARQ_TRY(take_batch(r, r->opt.batch_rows, out, &got, err));
    if (got > 0) return PARQ_OK;
    pq_arrow_array_release(out);
    /* Row group exhausted: verify it held what the footer promised. */
    int64_t g = r->rgs[r->cur];
    if (r->rows_left > 0 && r->n_sel_leaves > 0 && r->md.row_groups[g].num_rows > 0)
      return parq_err_set(err, PARQ_ECORRUPT, "%s: row group %lld ended %lld rows short of its num_rows %lld", r->name,
                          (long long)g, (long long)r->rows_left, (long long)r->md.row_groups[g].num_rows);
    unload(r);
  }
}

parq_status parq_reader_seek(parq_reader *r, int64_t si, int64_t row, parq_error *err) {
  if (si < 0 || si > r->n_rgs) return parq_err_set(err, PARQ_EINVAL, "%s: seek to selected row group %lld out of range", r->name, (long long)si);
  unload(r);
  if (si == r->n_rgs) {
    r->cur = si;
    return PARQ_OK;
  }
  PARQ_TRY(load_rg(r, si, err));
  if (row > 0) {
    for (int k = 0; k < r->n_sel_leaves; k++) PARQ_TRY(pq_cursor_skip(&r->cursors[r->sel_leaves[k]], row, err));
    r->rows_left -= row;
    r->row_pos += row;
  }
  return PARQ_OK;
}

parq_status parq_reader_read_row_group(parq_reader *r, int64_t rg, struct ArrowArray *out, parq_error *err) {
  memset(out, 0, sizeof *out);
  int64_t si = -1;
  for (int64_t i = 0; i < r->n_rgs; i++)
    if (r->rgs[i] == rg) si = i;
  if (si < 0) return parq_err_set(err, PARQ_EINVAL, "%s: row group %lld is not selected", r->name, (long long)rg);
  PARQ_TRY(load_rg(r, si, err));
  int64_t got = 0;
  int64_t n = r->md.row_groups[rg].num_rows;
  PARQ_TRY(take_batch(r, n > 0 ? n : INT32_MAX, out, &got, err));
  unload(r);
  return PARQ_OK;
}

/* ---------------- ArrowArrayStream wrapper ---------------- */
typedef struct stream_priv {
  parq_reader *r;
  parq_error err;
} stream_priv;

static int stream_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  stream_priv *p = s->private_data;
  parq_status st = parq_reader_schema(p->r, out, &p->err);
  return st ? (st == PARQ_ENOMEM ? ENOMEM : EIO) : 0;
}
static int stream_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  stream_priv *p = s->private_data;
  parq_status st = parq_reader_next(p->r, out, &p->err);
  if (st == PARQ_DONE) {
    memset(out, 0, sizeof *out);
    return 0;
  }
  return st ? (st == PARQ_ENOMEM ? ENOMEM : EIO) : 0;
}
static const char *stream_last_error(struct ArrowArrayStream *s) {
  stream_priv *p = s->private_data;
  return p->err.message[0] ? p->err.message : NULL;
}
static void stream_release(struct ArrowArrayStream *s) {
  if (!s->release) return;
  stream_priv *p = s->private_data;
  parq_reader_close(p->r);
  free(p);
  s->release = NULL;
}

parq_status parq_reader_to_stream(parq_reader *r, struct ArrowArrayStream *out, parq_error *err) {
  stream_priv *p = calloc(1, sizeof *p);
  if (!p) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  p->r = r;
  out->get_schema = stream_get_schema;
  out->get_next = stream_get_next;
  out->get_last_error = stream_last_error;
  out->release = stream_release;
  out->private_data = p;
  return PARQ_OK;
}
