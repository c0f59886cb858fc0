/* store_scan.c — the de-duplicated scan behind consolidate and export.
 *
 * Files are read in state order (consolidated data, then increments in
 * acknowledgement order); global row g counts rows across them. With a key:
 *   pass 1 reads only the key columns and records, per xxh3-128 of the key
 *          values, the last row g holding that key (an open-addressing table,
 *          24 bytes per distinct key, capped by memory_limit);
 *   pass 2 reads everything and keeps row g iff the table says g is the
 *          latest version of its key.
 * Key values are hashed in a normalised form (every integer as int64, floats
 * as double) so a key column widened between schema versions still matches.
 * Predicates prune row groups in pass 2 only: pruning in pass 1 could hide a
 * newer version of a key and resurrect an older one. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "dataset/store.h"
#include "util/arrow.h"
#include "util/error.h"

/* ---------------- key table ---------------- */

typedef struct key_ent {
  uint64_t h0, h1;
  int64_t row; /* -1 = empty */
} key_ent;

struct pq_keyset {
  key_ent *t;
  size_t cap, n;
  int64_t limit;
};

parq_status pq_keyset_open(int64_t memory_limit, pq_keyset **out, parq_error *err) {
  pq_keyset *k = calloc(1, sizeof *k);
  if (!k) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  k->cap = 1024;
  k->limit = memory_limit > 0 ? memory_limit : (1ll << 30);
  k->t = malloc(k->cap * sizeof *k->t);
  if (!k->t) {
    free(k);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < k->cap; i++) k->t[i].row = -1;
  *out = k;
  return PARQ_OK;
}

void pq_keyset_close(pq_keyset *k) {
  if (!k) return;
  free(k->t);
  free(k);
}

int64_t pq_keyset_count(const pq_keyset *k) { return (int64_t)k->n; }

static key_ent *slot(key_ent *t, size_t cap, uint64_t h0, uint64_t h1) {
  size_t m = cap - 1, i = (size_t)h0 & m;
  while (t[i].row >= 0 && (t[i].h0 != h0 || t[i].h1 != h1)) i = (i + 1) & m;
  return &t[i];
}

parq_status pq_keyset_put(pq_keyset *k, const uint64_t h[2], int64_t row, parq_error *err) {
  if ((k->n + 1) * 10 > k->cap * 7) {
    size_t nc = k->cap * 2;
    if ((int64_t)(nc * sizeof(key_ent)) > k->limit)
      return parq_err_set(err, PARQ_ENOMEM,
                          "de-duplication table for %zu distinct keys exceeds the memory limit "
                          "of %lld bytes (raise --memory-limit)", k->n, (long long)k->limit);
    key_ent *t = malloc(nc * sizeof *t);
    if (!t) return parq_err_set(err, PARQ_ENOMEM, "out of memory (key table)");
    for (size_t i = 0; i < nc; i++) t[i].row = -1;
    for (size_t i = 0; i < k->cap; i++)
      if (k->t[i].row >= 0) *slot(t, nc, k->t[i].h0, k->t[i].h1) = k->t[i];
    free(k->t);
    k->t = t;
    k->cap = nc;
  }
  key_ent *e = slot(k->t, k->cap, h[0], h[1]);
  if (e->row < 0) {
    k->n++;
    e->h0 = h[0];
    e->h1 = h[1];
  }
  e->row = row;
  return PARQ_OK;
}

int64_t pq_keyset_get(const pq_keyset *k, const uint64_t h[2]) {
  return slot(k->t, k->cap, h[0], h[1])->row;
}

/* ---------------- key hashing ---------------- */

typedef enum { KH_INT, KH_UINT, KH_FLOAT, KH_DOUBLE, KH_BOOL, KH_BIN32, KH_BIN64, KH_FIXED,
               KH_MISSING } kh_kind;
typedef struct keycol {
  int col;
  kh_kind kind;
  int width;
} keycol;

static int64_t child_index(const struct ArrowSchema *s, const char *name) {
  for (int64_t i = 0; i < s->n_children; i++)
    if (s->children[i]->name && !strcmp(s->children[i]->name, name)) return i;
  return -1;
}

static parq_status bind_keys(const struct ArrowSchema *s, const char *const *key, size_t n,
                             keycol *out, const char *path, parq_error *err) {
  for (size_t k = 0; k < n; k++) {
    int64_t c = child_index(s, key[k]);
    out[k].col = (int)c;
    if (c < 0) {
      out[k].kind = KH_MISSING;
      continue;
    }
    pq_arrow_type t;
    PARQ_TRY(pq_arrow_parse_format(s->children[c]->format, &t, err));
    int w = pq_arrow_fixed_width(&t);
    switch (t.kind) {
      case PQA_BOOL: out[k].kind = KH_BOOL; break;
      case PQA_FLOAT32: out[k].kind = KH_FLOAT; break;
      case PQA_FLOAT64: out[k].kind = KH_DOUBLE; break;
      case PQA_UINT8: case PQA_UINT16: case PQA_UINT32: case PQA_UINT64:
        out[k].kind = KH_UINT; out[k].width = w; break;
      case PQA_INT8: case PQA_INT16: case PQA_INT32: case PQA_INT64: case PQA_DATE32:
      case PQA_DATE64: case PQA_TIME32: case PQA_TIME64: case PQA_TIMESTAMP: case PQA_DURATION:
        out[k].kind = KH_INT; out[k].width = w; break;
      case PQA_UTF8: case PQA_BINARY: out[k].kind = KH_BIN32; break;
      case PQA_LARGE_UTF8: case PQA_LARGE_BINARY: out[k].kind = KH_BIN64; break;
      case PQA_FIXED_BINARY: case PQA_DECIMAL: out[k].kind = KH_FIXED; out[k].width = w; break;
      default:
        return parq_err_set(err, PARQ_EUNSUPPORTED, "%s: key column '%s' has unsupported type "
                            "'%s'", path, key[k], s->children[c]->format);
    }
    if ((out[k].kind == KH_INT || out[k].kind == KH_UINT || out[k].kind == KH_FIXED) && w <= 0)
      return parq_err_set(err, PARQ_EUNSUPPORTED, "%s: key column '%s': bad width", path, key[k]);
  }
  return PARQ_OK;
}

static void key_hash(const struct ArrowArray *b, const keycol *kc, size_t n, int64_t i,
                     uint64_t h[2], parq_buf *scratch) {
  parq_buf_clear(scratch);
  int64_t j = b->offset + i;
  for (size_t k = 0; k < n; k++) {
    uint8_t tmp[17];
    size_t tl = 1;
    const struct ArrowArray *a = kc[k].col >= 0 ? b->children[kc[k].col] : NULL;
    if (!a || !pq_arrow_is_valid(a, j)) {
      tmp[0] = 0;
      (void)parq_buf_append(scratch, tmp, 1);
      continue;
    }
    int64_t at = a->offset + j;
    const uint8_t *d = a->n_buffers > 1 ? a->buffers[1] : NULL;
    tmp[0] = 1;
    switch (kc[k].kind) {
      case KH_INT: case KH_UINT: {
        int64_t v = 0;
        int w = kc[k].width;
        if (kc[k].kind == KH_INT) {
          if (w == 1) v = ((const int8_t *)d)[at];
          else if (w == 2) v = ((const int16_t *)d)[at];
          else if (w == 4) v = ((const int32_t *)d)[at];
          else v = ((const int64_t *)d)[at];
        } else {
          if (w == 1) v = ((const uint8_t *)d)[at];
          else if (w == 2) v = ((const uint16_t *)d)[at];
          else if (w == 4) v = ((const uint32_t *)d)[at];
          else v = (int64_t)((const uint64_t *)d)[at];
        }
        memcpy(tmp + 1, &v, 8);
        tl = 9;
        break;
      }
      case KH_FLOAT: case KH_DOUBLE: {
        double v = kc[k].kind == KH_FLOAT ? ((const float *)d)[at] : ((const double *)d)[at];
        memcpy(tmp + 1, &v, 8);
        tl = 9;
        break;
      }
      case KH_BOOL:
        tmp[1] = pq_bit_get(d, at);
        tl = 2;
        break;
      case KH_BIN32: case KH_BIN64: case KH_FIXED: {
        const uint8_t *p;
        uint64_t len;
        if (kc[k].kind == KH_FIXED) {
          len = (uint64_t)kc[k].width;
          p = d + (size_t)at * len;
        } else if (kc[k].kind == KH_BIN32) {
          const int32_t *o = (const int32_t *)d;
          len = (uint64_t)(o[at + 1] - o[at]);
          p = (const uint8_t *)a->buffers[2] + o[at];
        } else {
          const int64_t *o = (const int64_t *)d;
          len = (uint64_t)(o[at + 1] - o[at]);
          p = (const uint8_t *)a->buffers[2] + o[at];
        }
        memcpy(tmp + 1, &len, 8); /* length prefix keeps (a,bc) != (ab,c) */
        (void)parq_buf_append(scratch, tmp, 9);
        (void)parq_buf_append(scratch, p, (size_t)len);
        tl = 0;
        break;
      }
      default:
        break;
    }
    if (tl) (void)parq_buf_append(scratch, tmp, tl);
  }
  XXH128_hash_t x = XXH3_128bits(scratch->data ? scratch->data : (const uint8_t *)"", scratch->len);
  h[0] = x.low64;
  h[1] = x.high64;
}

/* ---------------- row predicates ---------------- */

typedef struct predcol {
  int col;
  pq_arrow_type t;
} predcol;

static int cmp_result(int c, parq_cmp op) {
  switch (op) {
    case PARQ_CMP_EQ: return c == 0;
    case PARQ_CMP_NE: return c != 0;
    case PARQ_CMP_LT: return c < 0;
    case PARQ_CMP_LE: return c <= 0;
    case PARQ_CMP_GT: return c > 0;
    case PARQ_CMP_GE: return c >= 0;
    default: return 0;
  }
}

static int pred_match(const struct ArrowArray *b, const predcol *pc, const parq_predicate *p,
                      int64_t i) {
  if (pc->col < 0) return p->op == PARQ_CMP_IS_NULL;
  const struct ArrowArray *a = b->children[pc->col];
  int64_t j = b->offset + i;
  int valid = pq_arrow_is_valid(a, j);
  if (p->op == PARQ_CMP_IS_NULL) return !valid;
  if (p->op == PARQ_CMP_IS_NOT_NULL) return valid;
  if (!valid || p->kind == PARQ_VALUE_NULL) return 0;
  int64_t at = a->offset + j;
  const void *d = a->n_buffers > 1 ? a->buffers[1] : NULL;
  int w = pq_arrow_fixed_width(&pc->t);
  double dv = 0;
  int64_t iv = 0;
  int is_int = 0, is_num = 1;
  switch (pc->t.kind) {
    case PQA_INT8: iv = ((const int8_t *)d)[at]; is_int = 1; break;
    case PQA_INT16: iv = ((const int16_t *)d)[at]; is_int = 1; break;
    case PQA_UINT8: iv = ((const uint8_t *)d)[at]; is_int = 1; break;
    case PQA_UINT16: iv = ((const uint16_t *)d)[at]; is_int = 1; break;
    case PQA_UINT32: iv = ((const uint32_t *)d)[at]; is_int = 1; break;
    case PQA_INT32: case PQA_DATE32: case PQA_TIME32:
      iv = ((const int32_t *)d)[at]; is_int = 1; break;
    case PQA_INT64: case PQA_UINT64: case PQA_DATE64: case PQA_TIME64: case PQA_TIMESTAMP:
    case PQA_DURATION:
      iv = ((const int64_t *)d)[at]; is_int = 1; break;
    case PQA_FLOAT32: dv = ((const float *)d)[at]; break;
    case PQA_FLOAT64: dv = ((const double *)d)[at]; break;
    case PQA_BOOL: iv = pq_bit_get(d, at); is_int = 1; break;
    default: is_num = 0; break;
  }
  (void)w;
  if (is_num) {
    if (p->kind == PARQ_VALUE_STRING) return 0;
    if (is_int && p->kind == PARQ_VALUE_INT) return cmp_result((iv > p->i) - (iv < p->i), p->op);
    double x = is_int ? (double)iv : dv;
    double y = p->kind == PARQ_VALUE_INT ? (double)p->i : p->d;
    return cmp_result((x > y) - (x < y), p->op);
  }
  if (p->kind != PARQ_VALUE_STRING) return 0;
  const uint8_t *s;
  size_t len;
  if (pc->t.kind == PQA_UTF8 || pc->t.kind == PQA_BINARY) {
    const int32_t *o = d;
    s = (const uint8_t *)a->buffers[2] + o[at];
    len = (size_t)(o[at + 1] - o[at]);
  } else if (pc->t.kind == PQA_LARGE_UTF8 || pc->t.kind == PQA_LARGE_BINARY) {
    const int64_t *o = d;
    s = (const uint8_t *)a->buffers[2] + o[at];
    len = (size_t)(o[at + 1] - o[at]);
  } else {
    return 0;
  }
  size_t m = len < p->s_len ? len : p->s_len;
  int c = m ? memcmp(s, p->s, m) : 0;
  if (c == 0) c = (len > p->s_len) - (len < p->s_len);
  return cmp_result(c, p->op);
}

/* ---------------- the scan ---------------- */

typedef struct scan_file {
  parq_reader *r;
  struct ArrowSchema schema;
} scan_file;

static void sf_close(scan_file *f) {
  parq_reader_close(f->r);
  pq_arrow_schema_release(&f->schema);
  memset(f, 0, sizeof *f);
}

static parq_status pass1(pq_scan_options *o, pq_keyset *ks, parq_error *err) {
  int64_t g = 0;
  parq_buf scratch = PARQ_BUF_INIT;
  keycol kc[PQ_STORE_MAX_KEY];
  parq_status st = PARQ_OK;
  for (size_t f = 0; f < o->n_paths && !st; f++) {
    parq_read_options ro;
    parq_read_options_init(&ro);
    ro.columns = o->key;
    ro.n_columns = o->n_key;
    scan_file sf = {0};
    st = parq_reader_open(o->paths[f], &ro, &sf.r, err);
    if (!st) st = parq_reader_schema(sf.r, &sf.schema, err);
    if (!st) st = bind_keys(&sf.schema, o->key, o->n_key, kc, o->paths[f], err);
    struct ArrowArray b = {0};
    while (!st) {
      st = parq_reader_next(sf.r, &b, err);
      if (st == PARQ_DONE) {
        st = PARQ_OK;
        break;
      }
      if (st) break;
      for (int64_t i = 0; i < b.length && !st; i++) {
        uint64_t h[2];
        key_hash(&b, kc, o->n_key, i, h, &scratch);
        st = pq_keyset_put(ks, h, g++, err);
      }
      b.release(&b);
      pq_store_lease_touch(o->lease);
    }
    sf_close(&sf);
  }
  parq_buf_free(&scratch);
  return st;
}

/* Pass 2 over one file: row group by row group, so pushdown can skip groups
 * while the global row numbers stay exact. */
static parq_status pass2_file(pq_scan_options *o, const char *path, pq_keyset *ks, int64_t *g,
                              uint8_t *keep, parq_buf *scratch, parq_error *err) {
  scan_file meta = {0};
  PARQ_TRY(parq_reader_open(path, NULL, &meta.r, err));
  parq_status st = parq_reader_schema(meta.r, &meta.schema, err);
  keycol kc[PQ_STORE_MAX_KEY];
  predcol pc[64];
  pq_conform *conv = NULL;
  if (!st && o->n_key) st = bind_keys(&meta.schema, o->key, o->n_key, kc, path, err);
  if (!st && o->n_preds > 64) st = parq_err_set(err, PARQ_EINVAL, "too many predicates");
  for (size_t p = 0; !st && p < o->n_preds; p++) {
    pc[p].col = (int)child_index(&meta.schema, o->preds[p].column);
    if (pc[p].col >= 0)
      st = pq_arrow_parse_format(meta.schema.children[pc[p].col]->format, &pc[p].t, err);
  }
  if (!st) st = pq_conform_open(&meta.schema, o->target, &conv, err);
  int64_t n_rg = st ? 0 : parq_reader_num_row_groups(meta.r);
  for (int64_t rg = 0; rg < n_rg && !st; rg++) {
    int64_t base = *g, rg_rows = parq_reader_row_group_num_rows(meta.r, rg);
    *g += rg_rows;
    parq_read_options ro;
    parq_read_options_init(&ro);
    ro.row_groups = &rg;
    ro.n_row_groups = 1;
    ro.predicates = o->preds;
    ro.n_predicates = o->n_preds;
    ro.batch_rows = o->batch_rows;
    parq_reader *r = NULL;
    st = parq_reader_open(path, &ro, &r, err);
    if (st) break;
    if (parq_reader_num_selected_row_groups(r) == 0) {
      parq_reader_close(r);
      continue; /* pruned by statistics */
    }
    int64_t row = base;
    struct ArrowArray b = {0};
    while (!st) {
      st = parq_reader_next(r, &b, err);
      if (st == PARQ_DONE) {
        st = PARQ_OK;
        break;
      }
      if (st) break;
      int64_t kept = 0;
      for (int64_t i = 0; i < b.length; i++) {
        int k = 1;
        if (o->n_key) {
          uint64_t h[2];
          key_hash(&b, kc, o->n_key, i, h, scratch);
          k = pq_keyset_get(ks, h) == row + i;
        }
        for (size_t p = 0; k && p < o->n_preds; p++) k = pred_match(&b, &pc[p], &o->preds[p], i);
        keep[i] = (uint8_t)k;
        kept += k;
      }
      o->rows_in += b.length;
      row += b.length;
      if (kept == b.length && pq_conform_identity(conv)) {
        st = o->emit(o->user, &b, err);
        o->rows_out += kept;
      } else if (kept) {
        for (int64_t i = 0; i < b.length && !st; i++)
          if (keep[i]) st = pq_conform_row(conv, &b, i, err);
        struct ArrowArray out = {0};
        if (!st) st = pq_conform_finish(conv, &out, err);
        if (!st) st = o->emit(o->user, &out, err);
        if (out.release) out.release(&out);
        o->rows_out += kept;
      }
      b.release(&b);
      pq_store_lease_touch(o->lease);
    }
    parq_reader_close(r);
  }
  pq_conform_close(conv);
  sf_close(&meta);
  return st;
}

parq_status pq_store_scan(pq_scan_options *o, parq_error *err) {
  o->rows_in = o->rows_out = 0;
  if (o->batch_rows <= 0) o->batch_rows = 65536;
  if (o->n_key > PQ_STORE_MAX_KEY) return parq_err_set(err, PARQ_EINVAL, "too many key columns");
  pq_keyset *ks = NULL;
  parq_status st = PARQ_OK;
  if (o->n_key) {
    PARQ_TRY(pq_keyset_open(o->memory_limit, &ks, err));
    st = pass1(o, ks, err);
  }
  uint8_t *keep = st ? NULL : malloc((size_t)o->batch_rows);
  if (!st && !keep) st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
  parq_buf scratch = PARQ_BUF_INIT;
  int64_t g = 0;
  for (size_t f = 0; f < o->n_paths && !st; f++)
    st = pass2_file(o, o->paths[f], ks, &g, keep, &scratch, err);
  parq_buf_free(&scratch);
  free(keep);
  pq_keyset_close(ks);
  return st;
}
