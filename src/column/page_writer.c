/* page_writer.c — turning the open page into bytes (encode values and levels,
 * compress, CRC, page header), the dictionary page, and the column chunk's
 * metadata and page indexes.
 *
 * v1 body: [4-byte len + RLE rep][4-byte len + RLE def][values], compressed as
 * a whole. v2: RLE levels without prefixes stay uncompressed; only the values
 * are compressed. */
#include <stdlib.h>
#include <string.h>

#include "column/column_writer_internal.h"
#include "util/crc32.h"
#include "util/error.h"

static parq_status oom(parq_error *err, const pq_column_writer *w) {
  return parq_err_set(err, PARQ_ENOMEM, "column '%s': out of memory", w->c.path);
}

/* Encode the open page values; *p and *n get the encoded bytes. */
static parq_status encode_values(pq_column_writer *w, int enc, const uint8_t **p, size_t *n) {
  parq_buf *e = &w->enc;
  parq_buf_clear(e);
  size_t nv = w->pg_values;
  if (enc == PARQ_ENC_RLE_DICTIONARY) {
    size_t ds = pq_dict_size(w->dict);
    int bw = pq_bit_width(ds ? ds - 1 : 0);
    if (bw < 1) bw = 1;
    PARQ_TRY(parq_buf_append_byte(e, (uint8_t)bw));
    PARQ_TRY(pq_rle_encode_u32((const uint32_t *)w->idx.data, nv, bw, e));
  } else if (enc == PARQ_ENC_PLAIN) {
    if (w->phys == PQ_BOOLEAN) {
      PARQ_TRY(pq_plain_encode_bool(w->vals.data, nv, e));
    } else {
      *p = w->vals.data; /* already PLAIN */
      *n = w->vals.len;
      return PARQ_OK;
    }
  } else if (enc == PARQ_ENC_RLE) {
    parq_buf_clear(&w->tmp);
    PARQ_TRY(parq_buf_reserve(&w->tmp, nv * 2));
    uint16_t *t = (uint16_t *)w->tmp.data;
    for (size_t i = 0; i < nv; i++) t[i] = w->vals.data[i];
    PARQ_TRY(parq_buf_resize(e, 4));
    PARQ_TRY(pq_rle_encode_u16(t, nv, 1, e));
    uint32_t l = (uint32_t)(e->len - 4);
    memcpy(e->data, &l, 4);
  } else if (enc == PARQ_ENC_DELTA_BINARY_PACKED) {
    if (w->phys == PQ_INT32) PARQ_TRY(pq_delta_encode_i32((const int32_t *)w->vals.data, nv, e));
    else PARQ_TRY(pq_delta_encode_i64((const int64_t *)w->vals.data, nv, e));
  } else if (enc == PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY) {
    PARQ_TRY(pq_delta_length_encode((const int32_t *)w->offs.data, w->vals.data, nv, e));
  } else if (enc == PARQ_ENC_DELTA_BYTE_ARRAY) {
    if (w->binary) {
      PARQ_TRY(pq_delta_byte_array_encode((const int32_t *)w->offs.data, w->vals.data, nv, e));
    } else {
      if ((uint64_t)nv * (uint64_t)w->width > INT32_MAX) return PARQ_ENOMEM;
      parq_buf_clear(&w->tmp);
      PARQ_TRY(parq_buf_reserve(&w->tmp, (nv + 1) * 4));
      int32_t *o = (int32_t *)w->tmp.data;
      for (size_t i = 0; i <= nv; i++) o[i] = (int32_t)(i * (size_t)w->width);
      PARQ_TRY(pq_delta_byte_array_encode(o, w->vals.data, nv, e));
    }
  } else if (enc == PARQ_ENC_BYTE_STREAM_SPLIT) {
    PARQ_TRY(pq_bss_encode(w->vals.data, (size_t)w->width, nv, e));
  } else {
    return PARQ_EINTERNAL;
  }
  *p = e->data;
  *n = e->len;
  return PARQ_OK;
}

/* RLE levels into w->lv; with_len adds the v1 4-byte length prefix. */
static parq_status encode_levels(parq_buf *lv, const parq_buf *lev, size_t n, int max,
                                 bool with_len, size_t *written) {
  size_t at = lv->len;
  if (with_len) PARQ_TRY(parq_buf_resize(lv, lv->len + 4));
  PARQ_TRY(pq_rle_encode_u16((const uint16_t *)lev->data, n, pq_bit_width((uint64_t)max), lv));
  if (with_len) {
    uint32_t l = (uint32_t)(lv->len - at - 4);
    memcpy(lv->data + at, &l, 4);
  }
  *written = lv->len - at;
  return PARQ_OK;
}

static parq_status compress(pq_column_writer *w, const uint8_t *src, size_t n, parq_buf *out,
                            parq_error *err) {
  parq_buf_clear(out);
  parq_status st = pq_compress(w->cctx, w->c.codec, w->c.level, src, n, out, err);
  if (st != PARQ_OK) parq_err_prefix(err, "column '%s'", w->c.path);
  return st;
}

/* Append header + body parts to dst; the header is encoded with sizes/CRC set. */
static parq_status emit(pq_column_writer *w, pq_page_header *h, parq_buf *dst, const uint8_t *a,
                        size_t an, const uint8_t *b, size_t bn, size_t *total) {
  if (an + bn > INT32_MAX) return PARQ_ENOMEM;
  h->compressed_page_size = (int32_t)(an + bn);
  if (w->c.write_crc) {
    uint32_t crc = parq_crc32(0, a, an);
    if (bn) crc = parq_crc32(crc, b, bn);
    h->has_crc = true;
    h->crc = (int32_t)crc;
  }
  parq_buf_clear(&w->hdr);
  PARQ_TRY(pq_encode_page_header(h, &w->hdr));
  PARQ_TRY(parq_buf_reserve(dst, w->hdr.len + an + bn));
  parq_buf_put(dst, w->hdr.data, w->hdr.len);
  if (an) parq_buf_put(dst, a, an);
  if (bn) parq_buf_put(dst, b, bn);
  *total = w->hdr.len + an + bn;
  w->ch_uncomp += (int64_t)w->hdr.len + h->uncompressed_page_size;
  w->ch_comp += (int64_t)*total;
  return PARQ_OK;
}

parq_status pq_page_flush(pq_column_writer *w, parq_error *err) {
  int enc = w->pg_values == 0 ? PARQ_ENC_PLAIN
            : w->dict_active  ? PARQ_ENC_RLE_DICTIONARY
            : w->c.encoding;
  const uint8_t *vp = NULL;
  size_t vn = 0;
  parq_status st = encode_values(w, enc, &vp, &vn);
  if (st != PARQ_OK) return parq_err_set(err, st, "column '%s': encoding %s failed", w->c.path,
                                         parq_encoding_name((parq_encoding)enc));
  bool v2 = w->c.page_version == 2;
  parq_buf_clear(&w->lv);
  size_t rep_len = 0, def_len = 0;
  if (w->c.max_rep > 0 &&
      encode_levels(&w->lv, &w->rep, w->pg_levels, w->c.max_rep, !v2, &rep_len) != PARQ_OK)
    return oom(err, w);
  if (w->c.max_def > 0 &&
      encode_levels(&w->lv, &w->def, w->pg_levels, w->c.max_def, !v2, &def_len) != PARQ_OK)
    return oom(err, w);
  pq_page_header h;
  memset(&h, 0, sizeof h);
  pq_statistics ps;
  memset(&ps, 0, sizeof ps);
  if (w->pst.order != PQ_ORDER_NONE &&
      pq_stats_export(&w->pst, w->c.stats_truncate, &w->arena, &ps) != PARQ_OK)
    return oom(err, w);
  bool compressed = w->c.codec != PARQ_CODEC_UNCOMPRESSED;
  const uint8_t *a, *b = NULL;
  size_t an, bn = 0;
  if (!v2) {
    /* Levels and values form one body, compressed together. */
    const uint8_t *body = vp;
    size_t body_n = vn;
    if (w->lv.len) {
      parq_buf_clear(&w->body);
      if (parq_buf_reserve(&w->body, w->lv.len + vn) != PARQ_OK) return oom(err, w);
      parq_buf_put(&w->body, w->lv.data, w->lv.len);
      if (vn) parq_buf_put(&w->body, vp, vn);
      body = w->body.data;
      body_n = w->body.len;
    }
    if (body_n > INT32_MAX) return parq_err_set(err, PARQ_ENOMEM, "column '%s': page too large", w->c.path);
    h.type = PQ_PAGE_DATA;
    h.uncompressed_page_size = (int32_t)body_n;
    h.has_data_page_header = true;
    h.data_page_header.num_values = (int32_t)w->pg_levels;
    h.data_page_header.encoding = enc;
    h.data_page_header.definition_level_encoding = PARQ_ENC_RLE;
    h.data_page_header.repetition_level_encoding = PARQ_ENC_RLE;
    if (w->pst.order != PQ_ORDER_NONE) {
      h.data_page_header.has_statistics = true;
      h.data_page_header.statistics = ps;
    }
    if (compressed) {
      PARQ_TRY(compress(w, body, body_n, &w->comp, err));
      a = w->comp.data;
      an = w->comp.len;
    } else {
      a = body;
      an = body_n;
    }
  } else {
    if (w->lv.len + vn > INT32_MAX) return parq_err_set(err, PARQ_ENOMEM, "column '%s': page too large", w->c.path);
    h.type = PQ_PAGE_DATA_V2;
    h.uncompressed_page_size = (int32_t)(w->lv.len + vn);
    h.has_data_page_header_v2 = true;
    pq_data_page_header_v2 *d = &h.data_page_header_v2;
    d->num_values = (int32_t)w->pg_levels;
    d->num_nulls = (int32_t)w->pg_nulls;
    d->num_rows = (int32_t)w->pg_rows;
    d->encoding = enc;
    d->definition_levels_byte_length = (int32_t)def_len;
    d->repetition_levels_byte_length = (int32_t)rep_len;
    d->is_compressed = compressed;
    if (w->pst.order != PQ_ORDER_NONE) {
      d->has_statistics = true;
      d->statistics = ps;
    }
    a = w->lv.data;
    an = w->lv.len;
    if (compressed) {
      PARQ_TRY(compress(w, vp, vn, &w->comp, err));
      b = w->comp.data;
      bn = w->comp.len;
    } else {
      b = vp;
      bn = vn;
    }
  }
  pq_wpage pg;
  memset(&pg, 0, sizeof pg);
  pg.offset = (int64_t)w->pages.len;
  size_t total = 0;
  if (emit(w, &h, &w->pages, a, an, b, bn, &total) != PARQ_OK) return oom(err, w);
  pg.size = (int32_t)total;
  pg.first_row = w->ch_rows;
  pg.null_count = (int64_t)w->pg_nulls;
  pg.null_page = w->pg_values == 0;
  pg.has_minmax = ps.has_min_value;
  pg.min = ps.min_value;
  pg.max = ps.max_value;
  if (parq_buf_append(&w->pinfo, &pg, sizeof pg) != PARQ_OK) return oom(err, w);
  if (pq_stats_merge(&w->cst, &w->pst) != PARQ_OK) return oom(err, w);
  w->ch_values += (int64_t)w->pg_levels;
  w->ch_rows += (int64_t)w->pg_rows;
  w->enc_pages[enc]++;
  if (enc == PARQ_ENC_RLE_DICTIONARY) w->dict_used = true;
  return PARQ_OK;
}

parq_status pq_page_write_dict(pq_column_writer *w, parq_error *err) {
  parq_buf_clear(&w->body);
  if (pq_dict_write_plain(w->dict, &w->body) != PARQ_OK) return oom(err, w);
  if (w->body.len > INT32_MAX) return parq_err_set(err, PARQ_ENOMEM, "column '%s': dictionary too large", w->c.path);
  pq_page_header h;
  memset(&h, 0, sizeof h);
  h.type = PQ_PAGE_DICTIONARY;
  h.uncompressed_page_size = (int32_t)w->body.len;
  h.has_dictionary_page_header = true;
  h.dictionary_page_header.num_values = (int32_t)pq_dict_size(w->dict);
  h.dictionary_page_header.encoding = PARQ_ENC_PLAIN;
  const uint8_t *a = w->body.data;
  size_t an = w->body.len;
  if (w->c.codec != PARQ_CODEC_UNCOMPRESSED) {
    PARQ_TRY(compress(w, w->body.data, w->body.len, &w->comp, err));
    a = w->comp.data;
    an = w->comp.len;
  }
  parq_buf_clear(&w->dict_page);
  size_t total;
  if (emit(w, &h, &w->dict_page, a, an, NULL, 0, &total) != PARQ_OK) return oom(err, w);
  return PARQ_OK;
}

static int32_t boundary_order(const pq_column_writer *w, const pq_wpage *pg, size_t n) {
  bool asc = true, desc = true;
  const pq_wpage *prev = NULL;
  pq_sort_order o = w->cst.order;
  for (size_t i = 0; i < n; i++) {
    if (!pg[i].has_minmax) continue;
    if (prev) {
      int cmin = pq_value_cmp(o, pg[i].min.ptr, pg[i].min.len, prev->min.ptr, prev->min.len);
      int cmax = pq_value_cmp(o, pg[i].max.ptr, pg[i].max.len, prev->max.ptr, prev->max.len);
      if (cmin < 0 || cmax < 0) asc = false;
      if (cmin > 0 || cmax > 0) desc = false;
    }
    prev = &pg[i];
  }
  return asc ? PQ_BOUNDARY_ASCENDING : desc ? PQ_BOUNDARY_DESCENDING : PQ_BOUNDARY_UNORDERED;
}

parq_status pq_column_writer_chunk_meta(pq_column_writer *w, int64_t file_offset, parq_arena *a,
                                        pq_column_chunk *out, parq_buf *ci, bool *has_ci,
                                        parq_buf *oi, parq_error *err) {
  memset(out, 0, sizeof *out);
  *has_ci = false;
  size_t np = w->pinfo.len / sizeof(pq_wpage);
  const pq_wpage *pg = (const pq_wpage *)w->pinfo.data;
  int64_t data_start = file_offset + (int64_t)w->dict_page.len;
  pq_column_metadata *m = &out->meta_data;
  out->file_offset = file_offset;
  out->has_meta_data = true;
  m->type = w->phys;
  m->codec = w->c.codec;
  m->num_values = w->ch_values;
  m->total_uncompressed_size = w->ch_uncomp;
  m->total_compressed_size = w->ch_comp;
  m->data_page_offset = data_start;
  if (w->dict_page.len) {
    m->has_dictionary_page_offset = true;
    m->dictionary_page_offset = file_offset;
  }
  m->n_path = (uint32_t)w->c.n_path;
  m->path_in_schema = parq_arena_calloc(a, (size_t)w->c.n_path, sizeof(char *));
  /* encodings and encoding stats */
  int32_t encs[12];
  uint32_t ne = 0;
  bool seen[10] = {0};
  if (w->dict_page.len) seen[PARQ_ENC_PLAIN] = true;
  if (w->c.max_def > 0 || w->c.max_rep > 0) seen[PARQ_ENC_RLE] = true;
  uint32_t nstats = w->dict_page.len ? 1 : 0;
  for (int e = 0; e < 10; e++) {
    if (w->enc_pages[e]) { seen[e] = true; nstats++; }
  }
  for (int e = 0; e < 10; e++)
    if (seen[e]) encs[ne++] = e;
  m->encodings = parq_arena_calloc(a, ne ? ne : 1, sizeof(int32_t));
  m->encoding_stats = parq_arena_calloc(a, nstats ? nstats : 1, sizeof(pq_page_encoding_stats));
  if (!m->path_in_schema || !m->encodings || !m->encoding_stats) return oom(err, w);
  for (int i = 0; i < w->c.n_path; i++) m->path_in_schema[i] = w->c.path_parts[i];
  memcpy(m->encodings, encs, ne * sizeof(int32_t));
  m->n_encodings = ne;
  uint32_t k = 0;
  if (w->dict_page.len)
    m->encoding_stats[k++] = (pq_page_encoding_stats){PQ_PAGE_DICTIONARY, PARQ_ENC_PLAIN, 1};
  int ptype = w->c.page_version == 2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA;
  for (int e = 0; e < 10; e++)
    if (w->enc_pages[e]) m->encoding_stats[k++] = (pq_page_encoding_stats){ptype, e, w->enc_pages[e]};
  m->n_encoding_stats = k;
  if (w->cst.order != PQ_ORDER_NONE) {
    m->has_statistics = true;
    if (pq_stats_export(&w->cst, w->c.stats_truncate, a, &m->statistics) != PARQ_OK)
      return oom(err, w);
  }
  /* Offset index: every chunk gets one. */
  pq_offset_index ox;
  memset(&ox, 0, sizeof ox);
  ox.n_pages = (uint32_t)np;
  ox.page_locations = calloc(np ? np : 1, sizeof(pq_page_location));
  if (!ox.page_locations) return oom(err, w);
  for (size_t i = 0; i < np; i++)
    ox.page_locations[i] = (pq_page_location){data_start + pg[i].offset, pg[i].size, pg[i].first_row};
  parq_status st = pq_encode_offset_index(&ox, oi);
  free(ox.page_locations);
  if (st != PARQ_OK) return oom(err, w);
  /* Column index: only with statistics. */
  bool ci_ok = w->cst.order != PQ_ORDER_NONE && np > 0;
  for (size_t i = 0; i < np && ci_ok; i++)
    if (!pg[i].null_page && !pg[i].has_minmax) ci_ok = false; /* all-NaN page: not expressible */
  if (ci_ok) {
    pq_column_index cx;
    memset(&cx, 0, sizeof cx);
    cx.n_pages = (uint32_t)np;
    cx.null_pages = calloc(np, sizeof(bool));
    cx.min_values = calloc(np, sizeof(pq_bytes));
    cx.max_values = calloc(np, sizeof(pq_bytes));
    cx.null_counts = calloc(np, sizeof(int64_t));
    cx.has_null_counts = true;
    static const uint8_t empty[1] = {0};
    if (cx.null_pages && cx.min_values && cx.max_values && cx.null_counts) {
      for (size_t i = 0; i < np; i++) {
        cx.null_pages[i] = !pg[i].has_minmax;
        cx.min_values[i] = pg[i].has_minmax ? pg[i].min : (pq_bytes){empty, 0};
        cx.max_values[i] = pg[i].has_minmax ? pg[i].max : (pq_bytes){empty, 0};
        cx.null_counts[i] = pg[i].null_count;
      }
      cx.boundary_order = boundary_order(w, pg, np);
      st = pq_encode_column_index(&cx, ci);
    } else {
      st = PARQ_ENOMEM;
    }
    free(cx.null_pages);
    free(cx.min_values);
    free(cx.max_values);
    free(cx.null_counts);
    if (st != PARQ_OK) return oom(err, w);
    *has_ci = true;
  }
  pq_column_writer_chunk_reset(w);
  return PARQ_OK;
}
