/* column_writer.c — buffering a leaf's values into pages (see column_writer.h).
 *
 * The open page keeps levels (uint16) and values in a form the chosen
 * encoding consumes directly: fixed-width PLAIN bytes, one byte per boolean,
 * BYTE_ARRAY either already PLAIN-encoded (len + bytes, so PLAIN pages need no
 * second pass) or as int32 offsets + data (DELTA_* encodings), or dictionary
 * indices. Page assembly (encode, compress, header, CRC) is in page_writer.c. */
#include "column/column_writer_internal.h"

#include <stdlib.h>
#include <string.h>

#include "column/cdc.h"
#include "column/values.h"
#include "util/error.h"

parq_status pq_column_check_encoding(const pq_col_config *c, parq_error *err) {
  int t = c->elem->type, e = c->encoding;
  bool ok;
  switch (e) {
    case PARQ_ENC_PLAIN: ok = true; break;
    case PARQ_ENC_RLE: ok = t == PQ_BOOLEAN; break;
    case PARQ_ENC_DELTA_BINARY_PACKED: ok = t == PQ_INT32 || t == PQ_INT64; break;
    case PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY: ok = t == PQ_BYTE_ARRAY; break;
    case PARQ_ENC_DELTA_BYTE_ARRAY: ok = t == PQ_BYTE_ARRAY || t == PQ_FIXED_LEN_BYTE_ARRAY; break;
    case PARQ_ENC_BYTE_STREAM_SPLIT:
      ok = t == PQ_FLOAT || t == PQ_DOUBLE || t == PQ_INT32 || t == PQ_INT64 ||
           t == PQ_FIXED_LEN_BYTE_ARRAY;
      break;
    default: ok = false; break;
  }
  if (!ok)
    return parq_err_set(err, PARQ_EINVAL, "column '%s': encoding %s does not apply to its type",
                        c->path, parq_encoding_name((parq_encoding)e));
  if (c->page_version != 1 && c->page_version != 2)
    return parq_err_set(err, PARQ_EINVAL, "page version %d (must be 1 or 2)", c->page_version);
  return PARQ_OK;
}

static parq_status oom(parq_error *err, const pq_column_writer *w) {
  return parq_err_set(err, PARQ_ENOMEM, "column '%s': out of memory", w->c.path);
}

static void page_clear(pq_column_writer *w) {
  parq_buf_clear(&w->def);
  parq_buf_clear(&w->rep);
  parq_buf_clear(&w->vals);
  parq_buf_clear(&w->offs);
  parq_buf_clear(&w->idx);
  w->pg_levels = w->pg_values = w->pg_rows = w->pg_nulls = w->pg_plain = 0;
  pq_stats_reset(&w->pst);
}

static parq_status offs_start(pq_column_writer *w) {
  int32_t z = 0;
  parq_buf_clear(&w->offs);
  return parq_buf_append(&w->offs, &z, 4);
}

static void chunk_clear(pq_column_writer *w) {
  pq_page_tasks_free(w); /* detached chunks took theirs: normally none left */
  parq_buf_clear(&w->pinfo);
  parq_arena_free(&w->arena);
  pq_stats_reset(&w->cst);
  if (w->dict) pq_dict_reset(w->dict);
  w->dict_active = w->c.dictionary;
  w->dict_used = false;
  w->ch_values = w->ch_rows = w->ch_raw = 0;
  memset(w->enc_pages, 0, sizeof w->enc_pages);
}

/* BYTE_ARRAY kept as offsets + data (DELTA_* encodings) instead of PLAIN form. */
static bool wants_offsets(const pq_column_writer *w) {
  return w->binary && !w->dict_active &&
         (w->c.encoding == PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY ||
          w->c.encoding == PARQ_ENC_DELTA_BYTE_ARRAY);
}

parq_status pq_column_writer_new(const pq_col_config *c, pq_column_writer **out, parq_error *err) {
  *out = NULL;
  PARQ_TRY(pq_column_check_encoding(c, err));
  pq_column_writer *w = calloc(1, sizeof *w);
  if (!w) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  w->c = *c;
  w->phys = c->elem->type;
  switch (w->phys) {
    case PQ_BOOLEAN: w->width = 1; break;
    case PQ_INT32: case PQ_FLOAT: w->width = 4; break;
    case PQ_INT64: case PQ_DOUBLE: w->width = 8; break;
    case PQ_INT96: w->width = 12; break;
    case PQ_FIXED_LEN_BYTE_ARRAY: w->width = c->elem->type_length; break;
    default: w->width = 0; w->binary = true; break;
  }
  if (w->phys == PQ_BOOLEAN) w->c.dictionary = false; /* booleans: no dictionary */
  pq_stats_init(&w->pst, c->statistics ? pq_sort_order_of(c->elem) : PQ_ORDER_NONE);
  pq_stats_init(&w->cst, w->pst.order);
  w->cctx = pq_codec_ctx_new();
  if (w->c.dictionary) w->dict = pq_dict_new(w->binary ? 0 : (size_t)w->width);
  if (!w->cctx || (w->c.dictionary && !w->dict)) {
    pq_column_writer_free(w);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  if (c->cdc) {
    pq_cdc_params cp;
    parq_status st = pq_cdc_params_make(c->cdc_min, c->cdc_max, c->cdc_norm, &cp, err);
    if (st == PARQ_OK && !(w->cdc = malloc(sizeof *w->cdc)))
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    if (st != PARQ_OK) {
      pq_column_writer_free(w);
      return st;
    }
    pq_cdc_init(w->cdc, &cp);
  }
  chunk_clear(w);
  page_clear(w);
  if (offs_start(w) != PARQ_OK) {
    pq_column_writer_free(w);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  *out = w;
  return PARQ_OK;
}

void pq_column_writer_free(pq_column_writer *w) {
  if (!w) return;
  parq_buf *bufs[] = {&w->def, &w->rep, &w->vals, &w->offs, &w->idx, &w->stage, &w->stage_offs,
                      &w->ptasks, &w->pinfo, &w->lv, &w->comp, &w->enc, &w->tmp, &w->spare};
  pq_page_tasks_free(w);
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) parq_buf_free(bufs[i]);
  pq_stats_free(&w->pst);
  pq_stats_free(&w->cst);
  pq_dict_free(w->dict);
  pq_codec_ctx_free(w->cctx);
  parq_arena_free(&w->arena);
  pq_cdc_free(w->cdc);
  free(w->cdc);
  free(w);
}

/* Estimated encoded size of the open page. */
static int64_t page_estimate(const pq_column_writer *w) {
  int64_t lv = (int64_t)(w->def.len + w->rep.len) / 16;
  if (w->dict_active) {
    int bw = pq_bit_width(pq_dict_size(w->dict));
    return lv + (int64_t)(w->pg_values * (size_t)(bw ? bw : 1) / 8) + 1;
  }
  if (w->phys == PQ_BOOLEAN) return lv + (int64_t)w->vals.len / 8;
  if (wants_offsets(w)) return lv + (int64_t)(w->vals.len + w->offs.len);
  return lv + (int64_t)w->vals.len;
}

int64_t pq_column_writer_buffered(const pq_column_writer *w) {
  /* Uncompressed, so the row-group cut never depends on compression results. */
  bool has_dict = w->dict && (w->dict_active || w->dict_used);
  int64_t d = has_dict ? (int64_t)pq_dict_plain_bytes(w->dict) : 0;
  return w->ch_raw + d + page_estimate(w);
}

static inline int bin_cmp(pq_sort_order o, const uint8_t *a, size_t al, const uint8_t *b,
                          size_t bl) {
  if (o == PQ_ORDER_BYTES) {
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (al < bl ? -1 : al > bl);
  }
  return pq_value_cmp(o, a, al, b, bl);
}

/* Append nv BYTE_ARRAY values; `bytes` = their total length + 4 per value. */
static parq_status append_binary(pq_column_writer *w, const pq_leaf_batch *b, size_t vi,
                                 size_t nv, size_t bytes, parq_error *err) {
  const struct ArrowArray *a = b->arr;
  pq_arrow_kind k = b->at->kind;
  pq_sort_order o = w->pst.order;
  const uint8_t *mn = NULL, *mx = NULL;
  size_t mnl = 0, mxl = 0;
  bool offs_form = w->dict_active || wants_offsets(w);
  parq_buf *data = w->dict_active ? &w->stage : &w->vals;
  parq_buf *offs = w->dict_active ? &w->stage_offs : &w->offs;
  if (w->dict_active) {
    int32_t z = 0;
    parq_buf_clear(&w->stage);
    parq_buf_clear(&w->stage_offs);
    if (parq_buf_append(&w->stage_offs, &z, 4) != PARQ_OK) return oom(err, w);
  }
  if (parq_buf_reserve(data, bytes) != PARQ_OK ||
      (offs_form && parq_buf_reserve(offs, nv * 4) != PARQ_OK))
    return oom(err, w);
  if (offs_form && data->len + bytes > (size_t)INT32_MAX)
    return parq_err_set(err, PARQ_ENOMEM, "column '%s': page data exceeds 2 GiB", w->c.path);
  uint8_t *dst = data->data + data->len;
  int32_t *op = offs_form ? (int32_t *)(offs->data + offs->len) : NULL;
  int32_t cur = offs_form ? (int32_t)data->len : 0;
  for (size_t i = 0; i < nv; i++) {
    const uint8_t *p;
    size_t len = pq_src_binary(a, k, pq_lb_pos(b, vi + i), &p);
    if (offs_form) {
      if (len) memcpy(dst, p, len);
      dst += len;
      cur += (int32_t)len;
      op[i] = cur;
    } else {
      uint32_t l32 = (uint32_t)len;
      memcpy(dst, &l32, 4);
      if (len) memcpy(dst + 4, p, len);
      dst += 4 + len;
    }
    if (o != PQ_ORDER_NONE) {
      if (!mn) { mn = mx = p; mnl = mxl = len; }
      else if (bin_cmp(o, p, len, mn, mnl) < 0) { mn = p; mnl = len; }
      else if (bin_cmp(o, p, len, mx, mxl) > 0) { mx = p; mxl = len; }
    }
  }
  data->len = (size_t)(dst - data->data);
  if (offs_form) offs->len += nv * 4;
  if (mn && pq_stats_update_minmax(&w->pst, mn, mnl, mx, mxl) != PARQ_OK) return oom(err, w);
  if (w->dict_active) {
    if (parq_buf_reserve(&w->idx, nv * 4) != PARQ_OK) return oom(err, w);
    parq_status st = pq_dict_insert_binary(w->dict, (const int32_t *)w->stage_offs.data,
                                           w->stage.data, nv,
                                           (uint32_t *)(w->idx.data + w->idx.len));
    if (st != PARQ_OK) return parq_err_set(err, st, "column '%s': dictionary insert", w->c.path);
    w->idx.len += nv * 4;
    w->pg_plain += bytes;
  }
  return PARQ_OK;
}

static parq_status append_fixed(pq_column_writer *w, const pq_leaf_batch *b, size_t vi, size_t nv,
                                parq_error *err) {
  parq_buf *dst = w->dict_active ? &w->stage : &w->vals;
  if (w->dict_active) parq_buf_clear(&w->stage);
  size_t at = dst->len;
  parq_status st = pq_values_fixed(b, vi, nv, w->phys, w->width, dst);
  if (st != PARQ_OK)
    return parq_err_set(err, st, "column '%s': cannot convert Arrow values", w->c.path);
  if (pq_stats_update_fixed(&w->pst, dst->data + at, (size_t)w->width, nv) != PARQ_OK)
    return oom(err, w);
  if (w->dict_active) {
    if (parq_buf_reserve(&w->idx, nv * 4) != PARQ_OK) return oom(err, w);
    st = pq_dict_insert_fixed(w->dict, w->stage.data, nv, (uint32_t *)(w->idx.data + w->idx.len));
    if (st != PARQ_OK) return parq_err_set(err, st, "column '%s': dictionary insert", w->c.path);
    w->idx.len += nv * 4;
    w->pg_plain += nv * (size_t)w->width;
  }
  return PARQ_OK;
}

/* Does the dictionary pay off? Judged once per column chunk, on its first page
 * holding values (when that page is cut or the dictionary overflows, whichever
 * comes first): the dictionary plus the indexes must be under 4/5 of the
 * values' PLAIN size.
 * Mostly-distinct columns (text, ids, URLs, measurements) fail, and are then
 * written without a dictionary page instead of with one that repeats the
 * chunk's first values. */
static bool dict_pays(const pq_column_writer *w) {
  if (w->pg_values == 0) return true; /* all nulls: nothing to judge yet (no index is written) */
  int bw = pq_bit_width(pq_dict_size(w->dict));
  uint64_t idx = ((uint64_t)w->pg_values * (uint64_t)(bw ? bw : 1) + 7) / 8;
  return (pq_dict_plain_bytes(w->dict) + idx) * 5 < (uint64_t)w->pg_plain * 4;
}

/* Turn the open page (the chunk's first: nothing refers to the dictionary yet)
 * from dictionary indexes back into values in the chunk's own encoding's form,
 * and write the rest of the chunk without a dictionary. */
static parq_status drop_dict(pq_column_writer *w, parq_error *err) {
  const uint32_t *ix = (const uint32_t *)w->idx.data;
  size_t nv = w->pg_values;
  w->dict_active = false; /* wants_offsets() now describes the new form */
  parq_buf_clear(&w->vals);
  if (w->binary) {
    bool offs_form = wants_offsets(w);
    if (offs_start(w) != PARQ_OK || parq_buf_reserve(&w->vals, w->pg_plain) != PARQ_OK ||
        (offs_form && parq_buf_reserve(&w->offs, nv * 4) != PARQ_OK))
      return oom(err, w);
    if (offs_form && w->pg_plain > (size_t)INT32_MAX)
      return parq_err_set(err, PARQ_ENOMEM, "column '%s': page data exceeds 2 GiB", w->c.path);
    for (size_t i = 0; i < nv; i++) {
      const uint8_t *p;
      size_t len;
      pq_dict_get(w->dict, ix[i], &p, &len);
      if (offs_form) {
        int32_t end = (int32_t)(w->vals.len + len);
        parq_buf_put(&w->vals, p, len);
        parq_buf_put(&w->offs, &end, 4);
      } else {
        uint32_t l32 = (uint32_t)len;
        parq_buf_put(&w->vals, &l32, 4);
        parq_buf_put(&w->vals, p, len);
      }
    }
  } else {
    if (parq_buf_reserve(&w->vals, nv * (size_t)w->width) != PARQ_OK) return oom(err, w);
    for (size_t i = 0; i < nv; i++) {
      const uint8_t *p;
      size_t len;
      pq_dict_get(w->dict, ix[i], &p, &len);
      parq_buf_put(&w->vals, p, len);
    }
  }
  parq_buf_clear(&w->idx);
  w->pg_plain = 0;
  pq_dict_reset(w->dict);
  return PARQ_OK;
}

parq_status pq_column_writer_cut_page(pq_column_writer *w, parq_error *err) {
  if (w->pg_levels == 0) return PARQ_OK;
  if (w->dict_active && !w->dict_used && !dict_pays(w)) PARQ_TRY(drop_dict(w, err));
  PARQ_TRY(pq_page_flush(w, err));
  page_clear(w);
  if (offs_start(w) != PARQ_OK) return oom(err, w);
  return PARQ_OK;
}

static parq_status write_levels(pq_column_writer *w, const pq_leaf_batch *b, parq_error *err) {
  const uint16_t *def = b->def, *rep = b->rep;
  const size_t n = b->n_levels;
  const uint16_t maxd = (uint16_t)w->c.max_def;
  const int64_t fixed_cost = w->binary ? 0 : (w->dict_active ? 2 : w->width);
  size_t li = 0, vi = 0;
  while (li < n) {
    int64_t row_budget = w->c.page_rows - (int64_t)w->pg_rows;
    int64_t byte_budget = w->c.page_bytes - page_estimate(w);
    if (row_budget < 1) row_budget = 1;
    if (byte_budget < 1) byte_budget = 1;
    size_t cap = w->dict_active ? 8192 : 65536;
    bool var = w->binary; /* binary: sum value bytes (staging size and page estimate) */
    /* While the dictionary is active a piece ends at the first value that,
     * if new, would push its PLAIN size past dict_page_bytes: the dictionary
     * can only overflow on a piece's last value (its last record, nested), so
     * the fallback point depends on the values alone, never on how the input
     * was batched (content-defined chunking relies on that). */
    const int64_t dict_room = w->dict_active ? w->c.dict_page_bytes - (int64_t)pq_dict_plain_bytes(w->dict)
                                             : INT64_MAX;
    const int64_t grow_fixed = w->binary ? 0 : w->width;
    int64_t grow = 0; /* fixed width: PLAIN dictionary bytes the piece's values could add
                       * (binary: that is `bytes`) */
    size_t lj = li, vj = vi;
    int64_t rows = 0, bytes = 0;
    if (!def && !rep) {
      /* Flat required: one level, one value, one row each. */
      size_t m = n - li;
      if ((int64_t)m > row_budget) m = (size_t)row_budget;
      if (m > cap) m = cap;
      if (!var) {
        int64_t per = fixed_cost ? fixed_cost : 2;
        if ((int64_t)m * per > byte_budget) m = (size_t)(byte_budget / per) + 1;
        if (w->dict_active && grow_fixed > 0 && (int64_t)m > dict_room / grow_fixed + 1)
          m = (size_t)(dict_room < 0 ? 1 : dict_room / grow_fixed + 1);
        if (m > n - li) m = n - li;
        lj = li + m;
        vj = vi + m;
      } else {
        while (lj < li + m) {
          const uint8_t *p;
          bytes += (int64_t)pq_src_binary(b->arr, b->at->kind, pq_lb_pos(b, vj), &p) + 4;
          lj++;
          vj++;
          if ((w->dict_active ? 2 * (int64_t)(vj - vi) : bytes) >= byte_budget || bytes > dict_room) break;
        }
      }
      rows = (int64_t)(lj - li);
    } else {
      while (lj < n) {
        do {
          if (!def || def[lj] == maxd) {
            if (var) {
              const uint8_t *p;
              bytes += (int64_t)pq_src_binary(b->arr, b->at->kind, pq_lb_pos(b, vj), &p) + 4;
            } else {
              bytes += fixed_cost;
              grow += grow_fixed;
            }
            vj++;
          }
          lj++;
        } while (lj < n && rep && rep[lj] != 0);
        rows++;
        int64_t est = w->dict_active ? 2 * (int64_t)(vj - vi) : bytes;
        if (rows >= row_budget || est >= byte_budget || lj - li >= cap ||
            (var ? bytes : grow) > dict_room)
          break;
      }
    }
    size_t nl = lj - li, nv = vj - vi;
    if (nv > b->n_values - vi) return parq_err_set(err, PARQ_EINTERNAL, "column '%s': level/value mismatch", w->c.path);
    if (def && parq_buf_append(&w->def, def + li, nl * 2) != PARQ_OK) return oom(err, w);
    if (rep && parq_buf_append(&w->rep, rep + li, nl * 2) != PARQ_OK) return oom(err, w);
    if (nv) {
      if (w->binary) PARQ_TRY(append_binary(w, b, vi, nv, (size_t)bytes, err));
      else PARQ_TRY(append_fixed(w, b, vi, nv, err));
    }
    w->pg_levels += nl;
    w->pg_values += nv;
    w->pg_rows += (size_t)rows;
    w->pg_nulls += nl - nv;
    w->pst.null_count += (int64_t)(nl - nv);
    li = lj;
    vi = vj;
    if (w->dict_active && (int64_t)pq_dict_plain_bytes(w->dict) > w->c.dict_page_bytes) {
      /* Dictionary too big: pages so far keep it, the rest use the fallback;
       * on the chunk's first page, a dictionary that does not pay is dropped
       * (the page continues in the fallback encoding, no dictionary page). */
      if (!w->dict_used && !dict_pays(w)) {
        PARQ_TRY(drop_dict(w, err));
      } else {
        PARQ_TRY(pq_column_writer_cut_page(w, err));
        w->dict_active = false;
      }
      return pq_column_writer_write_rest(w, b, li, vi, err);
    }
    if ((int64_t)w->pg_rows >= w->c.page_rows || page_estimate(w) >= w->c.page_bytes)
      PARQ_TRY(pq_column_writer_cut_page(w, err));
  }
  return PARQ_OK;
}

/* Continue a batch from level li / value vi (after switching to fallback). */
parq_status pq_column_writer_write_rest(pq_column_writer *w, const pq_leaf_batch *b, size_t li,
                                        size_t vi, parq_error *err) {
  if (li >= b->n_levels) return PARQ_OK;
  pq_leaf_batch r = *b;
  r.n_levels = b->n_levels - li;
  if (r.def) r.def += li;
  if (r.rep) r.rep += li;
  r.n_values = b->n_values - vi;
  if (r.idx) r.idx += vi;
  else r.first += (int64_t)vi;
  return write_levels(w, &r, err);
}

/* Levels [l0, l1) with values from v0 of b, as a batch of its own. */
static pq_leaf_batch sub_batch(const pq_leaf_batch *b, size_t l0, size_t l1, size_t v0,
                               size_t v1) {
  pq_leaf_batch r = *b;
  r.n_levels = l1 - l0;
  if (r.def) r.def += l0;
  if (r.rep) r.rep += l0;
  r.n_values = v1 - v0;
  if (r.idx) r.idx += v0;
  else r.first += (int64_t)v0;
  return r;
}

parq_status pq_column_writer_write(pq_column_writer *w, const pq_leaf_batch *b, parq_error *err) {
  if (!w->cdc) return write_levels(w, b, err);
  /* CDC: close the page at every content-defined boundary; the value that
   * triggered it opens the next page. */
  size_t n_cuts = 0;
  parq_status st = pq_cdc_scan(w->cdc, b, w->phys, w->width, w->c.max_def, &n_cuts, err);
  if (st != PARQ_OK) {
    parq_err_prefix(err, "column '%s'", w->c.path);
    return st;
  }
  const size_t *cuts = (const size_t *)w->cdc->cuts.data;
  size_t l0 = 0, v0 = 0;
  for (size_t k = 0; k < n_cuts; k++) {
    size_t l1 = cuts[2 * k], v1 = cuts[2 * k + 1];
    if (l1 > l0) {
      pq_leaf_batch r = sub_batch(b, l0, l1, v0, v1);
      PARQ_TRY(write_levels(w, &r, err));
    }
    PARQ_TRY(pq_column_writer_cut_page(w, err));
    l0 = l1;
    v0 = v1;
  }
  if (l0 == 0) return write_levels(w, b, err);
  pq_leaf_batch r = sub_batch(b, l0, b->n_levels, v0, b->n_values);
  return r.n_levels ? write_levels(w, &r, err) : PARQ_OK;
}

parq_status pq_column_writer_finish_chunk(pq_column_writer *w, parq_error *err) {
  PARQ_TRY(pq_column_writer_cut_page(w, err));
  if (w->dict_used) PARQ_TRY(pq_page_write_dict(w, err));
  return PARQ_OK;
}

void pq_column_writer_chunk_reset(pq_column_writer *w) {
  chunk_clear(w);
  if (w->cdc) pq_cdc_reset(w->cdc); /* one chunker per column chunk */
  page_clear(w);
  (void)offs_start(w); /* the buffer already holds >= 4 bytes: cannot fail */
}
