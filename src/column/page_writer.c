/* page_writer.c — turning the open page into a page task (encode values and
 * levels, page header fields, statistics), the dictionary page, and the column
 * chunk's metadata and page indexes.
 *
 * A task's compression, CRC and header encoding (wpool.c) run inline, or on
 * the writer's pool when one is set; nothing decided here depends on their
 * result, so the bytes are the same either way. Offsets and sizes that do
 * depend on it are filled in by pq_wchunk_place() once the pages are done.
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

void pq_column_writer_set_pool(pq_column_writer *w, pq_wpool *pool) { w->pool = pool; }

void pq_page_tasks_free(pq_column_writer *w) {
  size_t n = w->ptasks.len / sizeof(pq_page_task *);
  pq_page_task **t = (pq_page_task **)w->ptasks.data;
  for (size_t i = 0; i < n; i++) pq_page_task_free(t[i]);
  parq_buf_clear(&w->ptasks);
  pq_page_task_free(w->dict_task);
  w->dict_task = NULL;
}

/* A task for a page whose header fields and raw body the caller fills. */
static pq_page_task *task_new(pq_column_writer *w) {
  pq_page_task *t = pq_page_task_new();
  if (!t) return NULL;
  if (w->pool) {
    pq_wpool_take_buf(w->pool, &t->raw);
  } else if (w->spare.data) {
    t->raw = w->spare;
    w->spare = (parq_buf)PARQ_BUF_INIT;
  }
  parq_buf_clear(&t->raw);
  t->codec = w->c.codec;
  t->level = w->c.level;
  t->crc = w->c.write_crc;
  t->path = w->c.path;
  return t;
}

/* Compress t now, or hand it to the pool (its result is checked when placed). */
static parq_status task_start(pq_column_writer *w, pq_page_task *t, parq_error *err) {
  if (w->pool) {
    pq_wpool_submit(w->pool, t);
    return PARQ_OK;
  }
  parq_status st = pq_page_task_run(t, w->cctx, &w->comp);
  if (st != PARQ_OK && err) *err = t->err;
  if (!w->spare.data) { /* keep the body buffer for the next page */
    w->spare = t->raw;
    t->raw = (parq_buf)PARQ_BUF_INIT;
  }
  parq_buf_free(&t->raw);
  return st;
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
  if (w->lv.len + vn > INT32_MAX)
    return parq_err_set(err, PARQ_ENOMEM, "column '%s': page too large", w->c.path);
  pq_statistics ps;
  memset(&ps, 0, sizeof ps);
  if (w->pst.order != PQ_ORDER_NONE &&
      pq_stats_export(&w->pst, w->c.stats_truncate, &w->arena, &ps) != PARQ_OK)
    return oom(err, w);
  /* The task owns a copy of the body: the page buffers are reused at once.
   * Header statistics point into w->arena, which travels with the chunk. */
  pq_page_task *t = task_new(w);
  if (!t || parq_buf_reserve(&w->ptasks, sizeof t) != PARQ_OK ||
      parq_buf_reserve(&t->raw, w->lv.len + vn + 256) != PARQ_OK) { /* + header room */
    pq_page_task_free(t);
    return oom(err, w);
  }
  if (w->lv.len) parq_buf_put(&t->raw, w->lv.data, w->lv.len);
  if (vn) parq_buf_put(&t->raw, vp, vn);
  pq_page_header *h = &t->h;
  h->uncompressed_page_size = (int32_t)t->raw.len;
  if (!v2) {
    /* Levels and values form one body, compressed together. */
    h->type = PQ_PAGE_DATA;
    h->has_data_page_header = true;
    h->data_page_header.num_values = (int32_t)w->pg_levels;
    h->data_page_header.encoding = enc;
    h->data_page_header.definition_level_encoding = PARQ_ENC_RLE;
    h->data_page_header.repetition_level_encoding = PARQ_ENC_RLE;
    if (w->pst.order != PQ_ORDER_NONE) {
      h->data_page_header.has_statistics = true;
      h->data_page_header.statistics = ps;
    }
  } else {
    h->type = PQ_PAGE_DATA_V2;
    h->has_data_page_header_v2 = true;
    pq_data_page_header_v2 *d = &h->data_page_header_v2;
    d->num_values = (int32_t)w->pg_levels;
    d->num_nulls = (int32_t)w->pg_nulls;
    d->num_rows = (int32_t)w->pg_rows;
    d->encoding = enc;
    d->definition_levels_byte_length = (int32_t)def_len;
    d->repetition_levels_byte_length = (int32_t)rep_len;
    d->is_compressed = w->c.codec != PARQ_CODEC_UNCOMPRESSED;
    if (w->pst.order != PQ_ORDER_NONE) {
      d->has_statistics = true;
      d->statistics = ps;
    }
    t->keep = w->lv.len; /* levels stay uncompressed */
  }
  parq_buf_put(&w->ptasks, &t, sizeof t); /* the chunk owns t from here */
  w->ch_raw += (int64_t)t->raw.len;
  pq_wpage pg;
  memset(&pg, 0, sizeof pg);
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
  return task_start(w, t, err);
}

parq_status pq_page_write_dict(pq_column_writer *w, parq_error *err) {
  pq_page_task_free(w->dict_task);
  pq_page_task *t = w->dict_task = task_new(w);
  if (!t || pq_dict_write_plain(w->dict, &t->raw) != PARQ_OK) return oom(err, w);
  if (t->raw.len > INT32_MAX)
    return parq_err_set(err, PARQ_ENOMEM, "column '%s': dictionary too large", w->c.path);
  pq_page_header *h = &t->h;
  h->type = PQ_PAGE_DICTIONARY;
  h->uncompressed_page_size = (int32_t)t->raw.len;
  h->has_dictionary_page_header = true;
  h->dictionary_page_header.num_values = (int32_t)pq_dict_size(w->dict);
  h->dictionary_page_header.encoding = PARQ_ENC_PLAIN;
  w->ch_raw += (int64_t)t->raw.len;
  return task_start(w, t, err);
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

parq_status pq_column_writer_detach(pq_column_writer *w, parq_arena *a, pq_column_chunk *out,
                                    bool *has_ci, parq_buf *ci, pq_wchunk *ch, parq_error *err) {
  memset(out, 0, sizeof *out);
  memset(ch, 0, sizeof *ch);
  *has_ci = false;
  size_t np = w->pinfo.len / sizeof(pq_wpage);
  const pq_wpage *pg = (const pq_wpage *)w->pinfo.data;
  bool has_dict = w->dict_task != NULL;
  pq_column_metadata *m = &out->meta_data;
  out->has_meta_data = true;
  m->type = w->phys;
  m->codec = w->c.codec;
  m->num_values = w->ch_values;
  m->has_dictionary_page_offset = has_dict; /* offsets: pq_wchunk_place */
  m->n_path = (uint32_t)w->c.n_path;
  m->path_in_schema = parq_arena_calloc(a, (size_t)w->c.n_path, sizeof(char *));
  /* encodings and encoding stats */
  int32_t encs[12];
  uint32_t ne = 0;
  bool seen[10] = {0};
  if (has_dict) seen[PARQ_ENC_PLAIN] = true;
  if (w->c.max_def > 0 || w->c.max_rep > 0) seen[PARQ_ENC_RLE] = true;
  uint32_t nstats = has_dict ? 1 : 0;
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
  if (has_dict)
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
  /* Column index: only with statistics. */
  parq_status st;
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
  /* Hand the pages over; nothing below can fail. */
  ch->dict = w->dict_task;
  w->dict_task = NULL;
  ch->n_pages = w->ptasks.len / sizeof(pq_page_task *);
  ch->pages = (pq_page_task **)parq_buf_detach(&w->ptasks);
  ch->pinfo = (pq_wpage *)parq_buf_detach(&w->pinfo);
  ch->arena = w->arena;
  w->arena = (parq_arena)PARQ_ARENA_INIT;
  ch->raw_bytes = w->ch_raw;
  pq_column_writer_chunk_reset(w);
  return PARQ_OK;
}

parq_status pq_wchunk_place(const pq_wchunk *ch, int64_t file_offset, pq_column_chunk *out,
                            parq_buf *oi, parq_error *err) {
  int64_t uncomp = 0, comp = 0, dict_len = 0;
  for (size_t i = 0; i <= ch->n_pages; i++) {
    const pq_page_task *t = i == 0 ? ch->dict : ch->pages[i - 1];
    if (!t) continue;
    if (t->st != PARQ_OK) {
      if (err) *err = t->err;
      return t->st;
    }
    uncomp += (int64_t)t->hdr_len + t->h.uncompressed_page_size;
    comp += (int64_t)t->out.len;
    if (i == 0) dict_len = (int64_t)t->out.len;
  }
  int64_t data_start = file_offset + dict_len;
  pq_column_metadata *m = &out->meta_data;
  out->file_offset = file_offset;
  m->total_uncompressed_size = uncomp;
  m->total_compressed_size = comp;
  m->data_page_offset = data_start;
  if (ch->dict) m->dictionary_page_offset = file_offset;
  /* Offset index: every chunk gets one. */
  pq_offset_index ox;
  memset(&ox, 0, sizeof ox);
  ox.n_pages = (uint32_t)ch->n_pages;
  ox.page_locations = calloc(ch->n_pages ? ch->n_pages : 1, sizeof(pq_page_location));
  if (!ox.page_locations) return parq_err_set(err, PARQ_ENOMEM, "offset index: out of memory");
  int64_t pos = data_start;
  for (size_t i = 0; i < ch->n_pages; i++) {
    int32_t size = (int32_t)ch->pages[i]->out.len;
    ox.page_locations[i] = (pq_page_location){pos, size, ch->pinfo[i].first_row};
    pos += size;
  }
  parq_status st = pq_encode_offset_index(&ox, oi);
  free(ox.page_locations);
  if (st != PARQ_OK) return parq_err_set(err, PARQ_ENOMEM, "offset index: out of memory");
  return PARQ_OK;
}

void pq_wchunk_free(pq_wchunk *ch) {
  if (!ch) return;
  pq_page_task_free(ch->dict);
  for (size_t i = 0; i < ch->n_pages; i++) pq_page_task_free(ch->pages[i]);
  free(ch->pages);
  free(ch->pinfo);
  parq_arena_free(&ch->arena);
  memset(ch, 0, sizeof *ch);
}
