/* colbuild.c — column builders shared by the JSONL and CSV readers: a tree
 * mirroring an Arrow schema whose nodes append values into growing buffers
 * (validity, values, offsets) and turn them into owned ArrowArrays per batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

static const char *type_name(const pq_arrow_type *t) {
  switch (t->kind) {
    case PQA_NULL: return "null";
    case PQA_BOOL: return "boolean";
    case PQA_INT8: return "int8";
    case PQA_UINT8: return "uint8";
    case PQA_INT16: return "int16";
    case PQA_UINT16: return "uint16";
    case PQA_INT32: return "int32";
    case PQA_UINT32: return "uint32";
    case PQA_INT64: return "int64";
    case PQA_UINT64: return "uint64";
    case PQA_FLOAT16: return "float16";
    case PQA_FLOAT32: return "float";
    case PQA_FLOAT64: return "double";
    case PQA_BINARY: case PQA_LARGE_BINARY: return "binary";
    case PQA_UTF8: case PQA_LARGE_UTF8: return "string";
    case PQA_FIXED_BINARY: return "fixed binary";
    case PQA_DECIMAL: return "decimal";
    case PQA_DATE32: case PQA_DATE64: return "date";
    case PQA_TIME32: case PQA_TIME64: return "time";
    case PQA_TIMESTAMP: return "timestamp";
    case PQA_DURATION: return "duration";
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_FIXED_LIST: return "list";
    case PQA_STRUCT: return "struct";
    case PQA_MAP: return "map";
    default: return "unsupported";
  }
}

static bool uses_offsets(pq_arrow_kind k) {
  return k == PQA_UTF8 || k == PQA_LARGE_UTF8 || k == PQA_BINARY || k == PQA_LARGE_BINARY ||
         k == PQA_LIST || k == PQA_LARGE_LIST || k == PQA_MAP;
}
static bool large_offsets(pq_arrow_kind k) {
  return k == PQA_LARGE_UTF8 || k == PQA_LARGE_BINARY || k == PQA_LARGE_LIST;
}

static parq_status reset_offsets(pq_col *c) {
  c->offs.len = 0;
  if (!uses_offsets(c->t.kind)) return PARQ_OK;
  uint64_t zero = 0;
  return parq_buf_append(&c->offs, &zero, large_offsets(c->t.kind) ? 8 : 4);
}

parq_status pq_col_init(pq_col *c, const struct ArrowSchema *s, const char *parent_path,
                        parq_error *err) {
  memset(c, 0, sizeof *c);
  PARQ_TRY(pq_arrow_parse_format(s->format, &c->t, err));
  c->tname = type_name(&c->t);
  const char *nm = s->name ? s->name : "";
  c->name = strdup(nm);
  c->name_len = strlen(nm);
  size_t pl = parent_path ? strlen(parent_path) : 0;
  c->path = malloc(pl + c->name_len + 4);
  if (!c->name || !c->path) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (pl)
    snprintf(c->path, pl + c->name_len + 4, "%s.%s", parent_path, nm);
  else
    memcpy(c->path, nm, c->name_len + 1);
  switch (c->t.kind) {
    case PQA_BINARY_VIEW: case PQA_UTF8_VIEW: case PQA_UNSUPPORTED:
      return parq_err_set(err, PARQ_EUNSUPPORTED, "field '%s': text readers cannot build Arrow type '%s'",
                          c->path, s->format);
    case PQA_FIXED_LIST:
      if (c->t.width <= 0 || c->t.width > (1 << 20))
        return parq_err_set(err, PARQ_EUNSUPPORTED, "field '%s': bad fixed list size", c->path);
      break;
    case PQA_FIXED_BINARY:
      if (c->t.width > (1 << 20))
        return parq_err_set(err, PARQ_EUNSUPPORTED, "field '%s': fixed width too large", c->path);
      if (c->t.width == 16 && s->metadata) {
        char *ext = pq_arrow_metadata_get(s->metadata, "ARROW:extension:name");
        c->is_uuid = ext && !strcmp(ext, "arrow.uuid");
        free(ext);
      }
      break;
    default: break;
  }
  bool nested = c->t.kind == PQA_LIST || c->t.kind == PQA_LARGE_LIST ||
                c->t.kind == PQA_FIXED_LIST || c->t.kind == PQA_STRUCT || c->t.kind == PQA_MAP;
  if (nested) {
    int need = c->t.kind == PQA_STRUCT ? -1 : 1;
    if (need == 1 && s->n_children != 1)
      return parq_err_set(err, PARQ_ESCHEMA, "field '%s': %s needs one child", c->path, c->tname);
    if (c->t.kind == PQA_MAP && (s->children[0]->n_children != 2))
      return parq_err_set(err, PARQ_ESCHEMA, "field '%s': map entries need key and value", c->path);
    if (s->n_children > 0) {
      c->kids = calloc((size_t)s->n_children, sizeof *c->kids);
      if (!c->kids) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      c->n_kids = (int)s->n_children;
      for (int i = 0; i < c->n_kids; i++) {
        parq_status st = pq_col_init(&c->kids[i], s->children[i], c->path, err);
        /* list items are reported as "tags[]" rather than "tags.item" */
        if (st == PARQ_OK && c->t.kind != PQA_STRUCT) {
          free(c->kids[i].path);
          c->kids[i].path = malloc(strlen(c->path) + 3);
          if (!c->kids[i].path) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
          else sprintf(c->kids[i].path, "%s[]", c->path);
        }
        if (st) return st;
      }
    }
  }
  if (reset_offsets(c)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  return PARQ_OK;
}

void pq_col_free(pq_col *c) {
  if (!c) return;
  for (int i = 0; i < c->n_kids; i++) pq_col_free(&c->kids[i]);
  free(c->kids);
  free(c->name);
  free(c->path);
  parq_buf_free(&c->valid);
  parq_buf_free(&c->data);
  parq_buf_free(&c->offs);
  memset(c, 0, sizeof *c);
}

size_t pq_col_bytes(const pq_col *c) {
  size_t n = c->data.len + c->offs.len + c->valid.len;
  for (int i = 0; i < c->n_kids; i++) n += pq_col_bytes(&c->kids[i]);
  return n;
}

parq_status pq_col_end_var(pq_col *c, size_t end, bool valid) {
  if (large_offsets(c->t.kind)) {
    int64_t o = (int64_t)end;
    if (parq_buf_append(&c->offs, &o, 8)) return PARQ_ENOMEM;
  } else {
    /* Batches are cut well before 2 GiB (reader), so this is a guard. */
    if (end > INT32_MAX) return PARQ_ENOMEM;
    int32_t o = (int32_t)end;
    if (parq_buf_append(&c->offs, &o, 4)) return PARQ_ENOMEM;
  }
  PARQ_TRY(pq_col_valid(c, valid));
  c->length++;
  return PARQ_OK;
}

parq_status pq_col_append_null(pq_col *c) {
  switch (c->t.kind) {
    case PQA_NULL:
      c->null_count++;
      c->length++;
      return PARQ_OK;
    case PQA_BOOL:
      if ((c->length & 7) == 0 && parq_buf_append_byte(&c->data, 0)) return PARQ_ENOMEM;
      break;
    case PQA_UTF8: case PQA_LARGE_UTF8: case PQA_BINARY: case PQA_LARGE_BINARY:
      return pq_col_end_var(c, c->data.len, false);
    case PQA_LIST: case PQA_LARGE_LIST: case PQA_MAP:
      return pq_col_end_var(c, (size_t)c->kids[0].length, false);
    case PQA_FIXED_LIST:
      for (int32_t i = 0; i < c->t.width; i++) PARQ_TRY(pq_col_append_null(&c->kids[0]));
      break;
    case PQA_STRUCT:
      for (int i = 0; i < c->n_kids; i++) PARQ_TRY(pq_col_append_null(&c->kids[i]));
      break;
    default: {
      int w = pq_arrow_fixed_width(&c->t);
      if (parq_buf_resize(&c->data, c->data.len + (size_t)w)) return PARQ_ENOMEM;
      break;
    }
  }
  PARQ_TRY(pq_col_valid(c, false));
  c->length++;
  return PARQ_OK;
}

/* Detach a buffer, never NULL (some consumers dislike NULL data buffers). */
static void *take(parq_buf *b) {
  if (b->len == 0 && parq_buf_reserve(b, 8)) return NULL;
  return parq_buf_detach(b);
}

parq_status pq_col_finish(pq_col *c, struct ArrowArray *out) {
  /* heap, not a VLA: inferred structs may have very many fields */
  struct ArrowArray *kids = calloc((size_t)(c->n_kids > 0 ? c->n_kids : 1), sizeof *kids);
  if (!kids) return PARQ_ENOMEM;
  int nk = 0;
  parq_status st = PARQ_OK;
  for (; nk < c->n_kids; nk++) {
    st = pq_col_finish(&c->kids[nk], &kids[nk]);
    if (st) break;
  }
  if (st) {
    for (int i = 0; i < nk; i++) pq_arrow_array_release(&kids[i]);
    free(kids);
    return st;
  }
  void *bufs[3] = {NULL, NULL, NULL};
  int nb = 0;
  int64_t len = c->length, nulls = c->null_count;
  if (c->t.kind != PQA_NULL) {
    if (c->null_count > 0) {
      bufs[0] = parq_buf_detach(&c->valid);
    } else {
      c->valid.len = 0;
    }
    nb = 1;
    if (uses_offsets(c->t.kind)) bufs[nb++] = take(&c->offs);
    if (c->t.kind == PQA_UTF8 || c->t.kind == PQA_LARGE_UTF8 || c->t.kind == PQA_BINARY ||
        c->t.kind == PQA_LARGE_BINARY || pq_arrow_fixed_width(&c->t) > 0 || c->t.kind == PQA_BOOL)
      bufs[nb++] = take(&c->data);
  }
  c->length = c->null_count = 0;
  c->data.len = 0;
  c->valid.len = 0;
  bool oom = false;
  for (int i = 1; i < nb; i++) oom |= bufs[i] == NULL;
  if (nulls && !bufs[0]) oom = true;
  if (reset_offsets(c)) oom = true;
  if (oom) {
    for (int i = 0; i < nb; i++) free(bufs[i]);
    for (int i = 0; i < c->n_kids; i++) pq_arrow_array_release(&kids[i]);
    free(kids);
    return PARQ_ENOMEM;
  }
  parq_status mst = pq_arrow_array_make(out, len, nulls, nb, bufs, c->n_kids, kids);
  free(kids);
  return mst;
}
