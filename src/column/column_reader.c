/* column_reader.c — page iteration, decompression, CRC check, level and value
 * decoding for one column chunk. See column_reader.h. */
#include "column/column_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/encoding.h"
#include "util/crc32.h"
#include "util/levels.h"
#include "util/error.h"

#define MAX_PAGE_BYTES ((int64_t)1 << 31)
/* A page may legitimately encode many values in few bytes (RLE runs), so
 * num_values cannot be bounded by the page size; cap it to keep a hostile
 * header from forcing a multi-gigabyte allocation. */
#define MAX_PAGE_VALUES ((int64_t)1 << 27)

int pq_leaf_value_width(const pq_leaf *leaf) {
  switch (leaf->type) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32: case PQ_FLOAT: return 4;
    case PQ_INT64: case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY: return leaf->type_length;
    default: return 0;
  }
}

static void drop_blobs(pq_leaf_batch *b) {
  pq_blob **v = (pq_blob **)b->blobs.data;
  size_t n = b->blobs.len / sizeof *v;
  for (size_t i = 0; i < n; i++) pq_blob_unref(v[i]);
  b->blobs.len = 0;
}

void pq_leaf_batch_free(pq_leaf_batch *b) {
  drop_blobs(b);
  parq_buf_free(&b->blobs);
  parq_buf_free(&b->def);
  parq_buf_free(&b->rep);
  parq_buf_free(&b->values);
  parq_buf_free(&b->offsets);
  parq_buf_free(&b->data);
  b->n_levels = b->n_values = b->n_records = 0;
}

void pq_leaf_batch_reset(pq_leaf_batch *b) {
  drop_blobs(b);
  b->def.len = b->rep.len = b->values.len = b->offsets.len = b->data.len = 0;
  b->n_levels = b->n_values = b->n_records = 0;
}

parq_status pq_cursor_init(pq_column_cursor *c, const pq_leaf *leaf, const pq_column_metadata *meta,
                           const uint8_t *chunk, size_t chunk_len, int64_t chunk_offset,
                           pq_codec_ctx *codec, bool verify_crc, const char *ctx,
                           parq_error *err) {
  memset(c, 0, sizeof *c);
  c->leaf = leaf;
  c->meta = meta;
  c->chunk = chunk;
  c->chunk_len = chunk_len;
  c->chunk_offset = chunk_offset;
  c->codec = codec;
  c->verify_crc = verify_crc;
  snprintf(c->ctx, sizeof c->ctx, "%s", ctx);
  c->width = pq_leaf_value_width(leaf);
  c->max_alloc = MAX_PAGE_BYTES;
  if (!pq_codec_supported(meta->codec))
    return parq_err_set(err, PARQ_EUNSUPPORTED, "%s: compression codec %d is not supported", ctx, meta->codec);
  return PARQ_OK;
}

void pq_cursor_set_wide(pq_column_cursor *c, bool wide) {
  c->wide = wide && c->leaf->type == PQ_BYTE_ARRAY;
  c->pending.wide = c->wide;
}

void pq_cursor_set_views(pq_column_cursor *c, bool views) {
  c->views = views && c->leaf->type == PQ_BYTE_ARRAY;
  c->pending.views = c->views;
}

static void release_scratch(pq_column_cursor *c);

void pq_cursor_free(pq_column_cursor *c) {
  release_scratch(c);
  pq_blob_unref(c->page_blob);
  c->page_blob = NULL;
  pq_leaf_batch_free(&c->pending);
}

/* ---- value decoding into a batch (appending) ---- */

static parq_status append_offsets_base(parq_buf *offsets, size_t n, int32_t **out) {
  if (parq_buf_reserve(offsets, n * 4)) return PARQ_ENOMEM;
  *out = (int32_t *)(offsets->data + offsets->len);
  offsets->len += n * 4;
  return PARQ_OK;
}

/* ---- string views (Arrow "vu"/"vz") ----
 * A view is 16 bytes: int32 length, then either the value inline (length <=
 * 12) or its first 4 bytes, the int32 index of the buffer holding it and the
 * int32 offset there. Views point into the decompressed pages (blobs), so
 * the value bytes are never copied. */

/* n PLAIN byte arrays at p (inside blob) appended to out as views with
 * buffer index bi. */
static parq_status plain_views(const pq_blob *blob, const uint8_t *p, size_t len, int64_t n,
                               int32_t bi, parq_buf *out, parq_error *err) {
  if (parq_buf_reserve(out, (size_t)n * 16)) return PARQ_ENOMEM;
  PARQ_TRY(pq_plain_decode_byte_array_views(p, len, (size_t)n, (uint32_t)(p - blob->data), bi,
                                            out->data + out->len, err));
  out->len += (size_t)n * 16;
  return PARQ_OK;
}

/* Position of blob in b's buffer list, adding it (with a reference) unless
 * it is already the last one. */
static parq_status batch_blob_index(pq_leaf_batch *b, pq_blob *blob, int32_t *idx) {
  size_t n = b->blobs.len / sizeof(pq_blob *);
  if (n && ((pq_blob **)b->blobs.data)[n - 1] == blob) {
    *idx = (int32_t)(n - 1);
    return PARQ_OK;
  }
  if (n >= INT32_MAX || parq_buf_append(&b->blobs, &blob, sizeof blob)) return PARQ_ENOMEM;
  pq_blob_ref(blob);
  *idx = (int32_t)n;
  return PARQ_OK;
}

/* DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY values into *tmp (bytes) and
 * *off (int32 end offsets, the cursor's scratch). */
static parq_status delta_to_scratch(pq_column_cursor *c, int32_t encoding, const uint8_t *p, size_t len,
                                    int64_t n, parq_buf *tmp, int32_t **off, parq_error *err) {
  parq_buf_clear(&c->tmp_off);
  if (parq_buf_reserve(&c->tmp_off, (size_t)n * 4)) return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
  *off = (int32_t *)c->tmp_off.data;
  return encoding == PARQ_ENC_DELTA_BYTE_ARRAY ? pq_delta_byte_array_decode(p, len, (size_t)n, tmp, *off, NULL, err)
                                               : pq_delta_length_decode(p, len, (size_t)n, tmp, *off, NULL, err);
}

/* Byte arrays of a page as views (PLAIN and dictionary pages point into
 * their page; the DELTA encodings, which store values split up, are
 * materialised once into a blob of their own). */
static parq_status decode_views(pq_column_cursor *c, int32_t encoding, const uint8_t *p, size_t len,
                                int64_t n, pq_leaf_batch *b, parq_error *err) {
  int32_t bi;
  switch (encoding) {
    case PARQ_ENC_PLAIN:
      if (!c->page_blob) return parq_err_set(err, PARQ_EINTERNAL, "%s: view page without a buffer", c->ctx);
      if (batch_blob_index(b, c->page_blob, &bi)) return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
      return plain_views(c->page_blob, p, len, n, bi, &b->values, err);
    case PARQ_ENC_PLAIN_DICTIONARY:
    case PARQ_ENC_RLE_DICTIONARY: {
      if (!c->has_dict || !c->dict_blob) return parq_err_set(err, PARQ_ECORRUPT, "dictionary-encoded page without a dictionary page");
      if (len < 1) return parq_err_set(err, PARQ_ECORRUPT, "dictionary-encoded page is empty");
      int bw = p[0];
      if (bw > 32) return parq_err_set(err, PARQ_ECORRUPT, "dictionary index bit width %d > 32", bw);
      parq_buf_clear(&c->idx);
      if (parq_buf_reserve(&c->idx, (size_t)n * 4) || parq_buf_reserve(&b->values, (size_t)n * 16) ||
          batch_blob_index(b, c->dict_blob, &bi))
        return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
      const uint32_t *idx = (const uint32_t *)c->idx.data;
      PARQ_TRY(pq_rle_decode_u32(p + 1, len - 1, bw, (uint32_t *)c->idx.data, (size_t)n, NULL, err));
      const uint8_t *dv = c->dict_values.data;
      uint8_t *v = b->values.data + b->values.len;
      for (int64_t i = 0; i < n; i++) {
        if (idx[i] >= (uint64_t)c->dict_n)
          return parq_err_set(err, PARQ_ECORRUPT, "dictionary index %u out of range (dictionary has %lld entries)",
                              idx[i], (long long)c->dict_n);
        memcpy(v + 16 * i, dv + 16 * (size_t)idx[i], 16);
        uint32_t l;
        memcpy(&l, v + 16 * i, 4);
        if (l > 12) memcpy(v + 16 * i + 8, &bi, 4);
      }
      b->values.len += (size_t)n * 16;
      return PARQ_OK;
    }
    case PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
    case PARQ_ENC_DELTA_BYTE_ARRAY: {
      parq_buf tmp = PARQ_BUF_INIT;
      int32_t *off = NULL;
      parq_status st = delta_to_scratch(c, encoding, p, len, n, &tmp, &off, err);
      pq_blob *blob = NULL;
      if (!st) {
        blob = pq_blob_new(tmp.len);
        if (!blob || parq_buf_reserve(&b->values, (size_t)n * 16) || batch_blob_index(b, blob, &bi))
          st = parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
      }
      if (!st) {
        if (tmp.len) memcpy(blob->data, tmp.data, tmp.len);
        blob->len = tmp.len;
        uint8_t *v = b->values.data + b->values.len;
        int32_t prev = 0;
        for (int64_t i = 0; i < n; i++) {
          pq_view_make(v + 16 * i, blob->data + prev, (uint32_t)(off[i] - prev), bi, (uint32_t)prev);
          prev = off[i];
        }
        b->values.len += (size_t)n * 16;
      }
      pq_blob_unref(blob);
      parq_buf_free(&tmp);
      return st;
    }
  }
  return parq_err_set(err, PARQ_ECORRUPT, "encoding %d is not valid for a BYTE_ARRAY column", encoding);
}

/* Decode n PLAIN values (dictionary page bodies and data pages alike). */
static parq_status decode_plain(pq_column_cursor *c, const uint8_t *p, size_t len, int64_t n,
                                parq_buf *values, parq_buf *offsets, parq_buf *data,
                                parq_error *err) {
  if (n == 0) return PARQ_OK;
  const pq_leaf *leaf = c->leaf;
  if (leaf->type == PQ_BYTE_ARRAY) {
    int32_t *off;
    if (append_offsets_base(offsets, (size_t)n, &off)) return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
    return pq_plain_decode_byte_array(p, len, (size_t)n, data, off, NULL, err);
  }
  if (leaf->type == PQ_BOOLEAN) {
    if (parq_buf_reserve(values, (size_t)n)) return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
    PARQ_TRY(pq_plain_decode_bool(p, len, values->data + values->len, (size_t)n, NULL, err));
    values->len += (size_t)n;
    return PARQ_OK;
  }
  size_t need = (size_t)n * (size_t)c->width;
  if (need / (size_t)c->width != (size_t)n || need > len)
    return parq_err_set(err, PARQ_ECORRUPT, "PLAIN: %lld values of %d bytes need %zu bytes, page has %zu",
                        (long long)n, c->width, need, len);
  if (parq_buf_append(values, p, need)) return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
  return PARQ_OK;
}

static parq_status gather_dict(pq_column_cursor *c, const uint32_t *idx, int64_t n,
                               pq_leaf_batch *b, parq_error *err) {
  for (int64_t i = 0; i < n; i++)
    if (idx[i] >= (uint64_t)c->dict_n)
      return parq_err_set(err, PARQ_ECORRUPT, "dictionary index %u out of range (dictionary has %lld entries)",
                          idx[i], (long long)c->dict_n);
  if (c->width) {
    size_t w = (size_t)c->width;
    if (parq_buf_reserve(&b->values, (size_t)n * w)) return PARQ_ENOMEM;
    uint8_t *dst = b->values.data + b->values.len;
    const uint8_t *src = c->dict_values.data;
    if (w == 4) {
      for (int64_t i = 0; i < n; i++) memcpy(dst + 4 * i, src + 4 * (size_t)idx[i], 4);
    } else if (w == 8) {
      for (int64_t i = 0; i < n; i++) memcpy(dst + 8 * i, src + 8 * (size_t)idx[i], 8);
    } else {
      for (int64_t i = 0; i < n; i++) memcpy(dst + w * i, src + w * idx[i], w);
    }
    b->values.len += (size_t)n * w;
    return PARQ_OK;
  }
  /* Dictionary offsets stay int32 (one page is < 2 GiB); only the batch's
   * offsets are int64 when the cursor is wide. */
  const int32_t *doff = (const int32_t *)c->dict_offsets.data;
  size_t total = 0;
  for (int64_t i = 0; i < n; i++) {
    uint32_t k = idx[i];
    total += (size_t)(doff[k + 1] - doff[k]);
  }
  if (!c->wide && b->data.len + total > INT32_MAX)
    return parq_err_set(err, PARQ_ENOMEM,
                        "%s: more than 2 GiB of strings in one batch (read with fewer batch_rows or "
                        "large_strings)", c->ctx);
  if (parq_buf_reserve(&b->data, total) ||
      parq_buf_reserve(&b->offsets, (size_t)n * (c->wide ? 8 : 4)))
    return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
  uint8_t *dst = b->data.data + b->data.len;
  const uint8_t *src = c->dict_data.data;
  uint8_t *offs = b->offsets.data + b->offsets.len;
  int64_t pos = (int64_t)b->data.len;
  for (int64_t i = 0; i < n; i++) {
    uint32_t k = idx[i];
    int32_t l = doff[k + 1] - doff[k];
    if (l) memcpy(dst, src + doff[k], (size_t)l);
    dst += l;
    pos += l;
    if (c->wide) ((int64_t *)offs)[i] = pos; /* loop-invariant branch */
    else ((int32_t *)offs)[i] = (int32_t)pos;
  }
  b->offsets.len += (size_t)n * (c->wide ? 8 : 4);
  b->data.len += total;
  return PARQ_OK;
}

/* Byte arrays into a wide (int64-offset) batch: the page's values are decoded
 * with int32 offsets relative to where they start in b->data (one page body
 * is < 2 GiB, so they fit), then widened by that start. The value bytes are
 * copied once, from the page into b->data, as on the int32 path. */
static parq_status decode_binary_wide(pq_column_cursor *c, int32_t encoding, const uint8_t *p,
                                      size_t len, int64_t n, pq_leaf_batch *b, parq_error *err) {
  /* PLAIN needs a 4-byte length per value: refuse a hostile count before
   * reserving 12 bytes of offsets per claimed value. */
  if (encoding == PARQ_ENC_PLAIN && (size_t)n > len / 4)
    return parq_err_set(err, PARQ_ECORRUPT, "PLAIN BYTE_ARRAY: %lld values need at least %lld bytes, only %zu present",
                        (long long)n, (long long)n * 4, len);
  parq_buf_clear(&c->tmp_off);
  if (parq_buf_reserve(&c->tmp_off, (size_t)n * 4) || parq_buf_reserve(&b->offsets, (size_t)n * 8))
    return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", c->ctx);
  int32_t *rel = (int32_t *)c->tmp_off.data;
  int64_t base = (int64_t)b->data.len;
  parq_status st;
  if (encoding == PARQ_ENC_PLAIN)
    st = pq_plain_decode_byte_array_rel(p, len, (size_t)n, &b->data, rel, NULL, err);
  else if (encoding == PARQ_ENC_DELTA_BYTE_ARRAY)
    st = pq_delta_byte_array_decode_rel(p, len, (size_t)n, &b->data, rel, NULL, err);
  else
    st = pq_delta_length_decode_rel(p, len, (size_t)n, &b->data, rel, NULL, err);
  if (st) return st;
  int64_t *off = (int64_t *)(b->offsets.data + b->offsets.len);
  for (int64_t i = 0; i < n; i++) off[i] = base + rel[i];
  b->offsets.len += (size_t)n * 8;
  return PARQ_OK;
}

/* FLBA values that arrived as byte arrays (DELTA_BYTE_ARRAY): check widths, compact. */
static parq_status flba_from_binary(pq_column_cursor *c, parq_buf *tmp_data, const int32_t *off,
                                    int64_t n, int32_t base, parq_buf *values, parq_error *err) {
  int32_t prev = base;
  size_t w = (size_t)c->width;
  for (int64_t i = 0; i < n; i++) {
    if ((size_t)(off[i] - prev) != w)
      return parq_err_set(err, PARQ_ECORRUPT, "FIXED_LEN_BYTE_ARRAY value of %d bytes, expected %zu",
                          off[i] - prev, w);
    prev = off[i];
  }
  if (parq_buf_append(values, tmp_data->data + base, (size_t)n * w)) return PARQ_ENOMEM;
  return PARQ_OK;
}

static parq_status decode_values(pq_column_cursor *c, int32_t encoding, const uint8_t *p,
                                 size_t len, int64_t n, pq_leaf_batch *b, parq_error *err) {
  if (n == 0) return PARQ_OK;
  const pq_leaf *leaf = c->leaf;
  int type = leaf->type;
  if (c->views) return decode_views(c, encoding, p, len, n, b, err);
  if (c->wide && (encoding == PARQ_ENC_PLAIN || encoding == PARQ_ENC_DELTA_BYTE_ARRAY ||
                  encoding == PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY))
    return decode_binary_wide(c, encoding, p, len, n, b, err);
  switch (encoding) {
    case PARQ_ENC_PLAIN:
      return decode_plain(c, p, len, n, &b->values, &b->offsets, &b->data, err);
    case PARQ_ENC_PLAIN_DICTIONARY:
    case PARQ_ENC_RLE_DICTIONARY: {
      if (!c->has_dict) return parq_err_set(err, PARQ_ECORRUPT, "dictionary-encoded page without a dictionary page");
      if (len < 1) return parq_err_set(err, PARQ_ECORRUPT, "dictionary-encoded page is empty");
      int bw = p[0];
      if (bw > 32) return parq_err_set(err, PARQ_ECORRUPT, "dictionary index bit width %d > 32", bw);
      parq_buf_clear(&c->idx);
      if (parq_buf_reserve(&c->idx, (size_t)n * 4)) return PARQ_ENOMEM;
      PARQ_TRY(pq_rle_decode_u32(p + 1, len - 1, bw, (uint32_t *)c->idx.data, (size_t)n, NULL, err));
      return gather_dict(c, (const uint32_t *)c->idx.data, n, b, err);
    }
    case PARQ_ENC_RLE: {
      if (type != PQ_BOOLEAN) return parq_err_set(err, PARQ_ECORRUPT, "RLE encoding on a non-boolean column");
      if (len < 4) return parq_err_set(err, PARQ_ECORRUPT, "RLE boolean page shorter than its length prefix");
      uint32_t l;
      memcpy(&l, p, 4);
      if (l > len - 4) return parq_err_set(err, PARQ_ECORRUPT, "RLE boolean length %u exceeds page", l);
      parq_buf_clear(&c->idx);
      if (parq_buf_reserve(&c->idx, (size_t)n * 4) || parq_buf_reserve(&b->values, (size_t)n)) return PARQ_ENOMEM;
      uint32_t *u = (uint32_t *)c->idx.data;
      PARQ_TRY(pq_rle_decode_u32(p + 4, l, 1, u, (size_t)n, NULL, err));
      uint8_t *dst = b->values.data + b->values.len;
      for (int64_t i = 0; i < n; i++) dst[i] = (uint8_t)(u[i] & 1);
      b->values.len += (size_t)n;
      return PARQ_OK;
    }
    case PARQ_ENC_DELTA_BINARY_PACKED: {
      if (type == PQ_INT32) {
        if (parq_buf_reserve(&b->values, (size_t)n * 4)) return PARQ_ENOMEM;
        PARQ_TRY(pq_delta_decode_i32(p, len, (int32_t *)(b->values.data + b->values.len), (size_t)n, NULL, err));
        b->values.len += (size_t)n * 4;
        return PARQ_OK;
      }
      if (type == PQ_INT64) {
        if (parq_buf_reserve(&b->values, (size_t)n * 8)) return PARQ_ENOMEM;
        PARQ_TRY(pq_delta_decode_i64(p, len, (int64_t *)(b->values.data + b->values.len), (size_t)n, NULL, err));
        b->values.len += (size_t)n * 8;
        return PARQ_OK;
      }
      return parq_err_set(err, PARQ_ECORRUPT, "DELTA_BINARY_PACKED on a non-integer column");
    }
    case PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
    case PARQ_ENC_DELTA_BYTE_ARRAY: {
      if (type != PQ_BYTE_ARRAY && type != PQ_FIXED_LEN_BYTE_ARRAY)
        return parq_err_set(err, PARQ_ECORRUPT, "%s on a non-binary column",
                            encoding == PARQ_ENC_DELTA_BYTE_ARRAY ? "DELTA_BYTE_ARRAY" : "DELTA_LENGTH_BYTE_ARRAY");
      if (type == PQ_BYTE_ARRAY) {
        int32_t *off;
        if (append_offsets_base(&b->offsets, (size_t)n, &off)) return PARQ_ENOMEM;
        if (encoding == PARQ_ENC_DELTA_BYTE_ARRAY)
          return pq_delta_byte_array_decode(p, len, (size_t)n, &b->data, off, NULL, err);
        return pq_delta_length_decode(p, len, (size_t)n, &b->data, off, NULL, err);
      }
      /* FLBA via a scratch binary buffer */
      parq_buf tmp = PARQ_BUF_INIT;
      int32_t *off = NULL;
      parq_status st = delta_to_scratch(c, encoding, p, len, n, &tmp, &off, err);
      if (!st) st = flba_from_binary(c, &tmp, off, n, 0, &b->values, err);
      parq_buf_free(&tmp);
      return st;
    }
    case PARQ_ENC_BYTE_STREAM_SPLIT: {
      if (!c->width || type == PQ_BOOLEAN)
        return parq_err_set(err, PARQ_ECORRUPT, "BYTE_STREAM_SPLIT on a column without fixed width");
      size_t w = (size_t)c->width;
      if (parq_buf_reserve(&b->values, (size_t)n * w)) return PARQ_ENOMEM;
      if (len < (size_t)n * w)
        return parq_err_set(err, PARQ_ECORRUPT, "BYTE_STREAM_SPLIT: page has %zu bytes, need %zu", len, (size_t)n * w);
      PARQ_TRY(pq_bss_decode(p, (size_t)n * w, w, b->values.data + b->values.len, (size_t)n, err));
      b->values.len += (size_t)n * w;
      return PARQ_OK;
    }
  }
  return parq_err_set(err, PARQ_EUNSUPPORTED, "value encoding %d is not supported", encoding);
}

/* ---- levels ---- */
static parq_status decode_levels_v1(int32_t encoding, int max_level, const uint8_t *p, size_t len,
                                    int64_t n, uint16_t *out, size_t *used, const char *what,
                                    parq_error *err) {
  int bw = pq_bit_width((uint64_t)max_level);
  if (encoding == PARQ_ENC_RLE) {
    if (len < 4) return parq_err_set(err, PARQ_ECORRUPT, "%s levels: page too short for length prefix", what);
    uint32_t l;
    memcpy(&l, p, 4);
    if (l > len - 4) return parq_err_set(err, PARQ_ECORRUPT, "%s levels: length %u exceeds page (%zu bytes)", what, l, len - 4);
    PARQ_TRY(pq_rle_decode_u16(p + 4, l, bw, out, (size_t)n, NULL, err));
    *used = 4 + (size_t)l;
    return PARQ_OK;
  }
  if (encoding == PARQ_ENC_BIT_PACKED) {
    size_t c = 0;
    PARQ_TRY(pq_bitpacked_legacy_decode_u16(p, len, bw, out, (size_t)n, &c, err));
    *used = c;
    return PARQ_OK;
  }
  return parq_err_set(err, PARQ_ECORRUPT, "%s levels: unsupported level encoding %d", what, encoding);
}

static parq_status check_levels(const uint16_t *lv, int64_t n, int max, const char *what, parq_error *err) {
  uint16_t m = pq_max_u16(lv, n);
  if (m > max) return parq_err_set(err, PARQ_ECORRUPT, "%s level %u exceeds the column's maximum %d", what, m, max);
  return PARQ_OK;
}

/* Decode the dictionary page body. */
static parq_status load_dictionary(pq_column_cursor *c, const uint8_t *p, size_t len, int64_t n,
                                   parq_error *err) {
  if (c->has_dict) return parq_err_set(err, PARQ_ECORRUPT, "second dictionary page in column chunk");
  if (n < 0) return parq_err_set(err, PARQ_ECORRUPT, "dictionary page has negative num_values %lld", (long long)n);
  if (c->leaf->type == PQ_BOOLEAN) return parq_err_set(err, PARQ_ECORRUPT, "dictionary page on a BOOLEAN column");
  /* Each dictionary entry occupies at least one byte (4 for byte arrays) of the page. */
  if ((size_t)n > len * 8 + 8) return parq_err_set(err, PARQ_ECORRUPT, "dictionary claims %lld values in %zu bytes", (long long)n, len);
  parq_buf_clear(&c->dict_values);
  parq_buf_clear(&c->dict_offsets);
  parq_buf_clear(&c->dict_data);
  if (c->views) { /* views into the page (the caller's dict_blob), buffer index set per use */
    PARQ_TRY(plain_views(c->dict_blob, p, len, n, 0, &c->dict_values, err));
    c->dict_n = n;
    c->has_dict = true;
    return PARQ_OK;
  }
  if (c->leaf->type == PQ_BYTE_ARRAY) {
    int32_t zero = 0;
    if (parq_buf_append(&c->dict_offsets, &zero, 4)) return PARQ_ENOMEM;
  }
  PARQ_TRY(decode_plain(c, p, len, n, &c->dict_values, &c->dict_offsets, &c->dict_data, err));
  c->dict_n = n;
  c->has_dict = true;
  return PARQ_OK;
}

/* Where a data page body (n bytes) is decompressed: the reusable scratch,
 * or with views a fresh blob (c->page_blob) that the views will share. */
static uint8_t *page_target(pq_column_cursor *c, size_t n) {
  if (c->views) {
    pq_blob_unref(c->page_blob);
    c->page_blob = pq_blob_new(n + 1);
    if (!c->page_blob) return NULL;
    c->page_blob->len = n;
    return c->page_blob->data;
  }
  parq_buf_clear(&c->page);
  if (parq_buf_reserve(&c->page, n + 1)) return NULL;
  return c->page.data;
}

/* Read and decode the next page (appending to pending). Returns PARQ_DONE at end of chunk. */
static parq_status next_page(pq_column_cursor *c, parq_error *err) {
  for (;;) {
    if (c->pos >= c->chunk_len) {
      c->finished = true;
      return PARQ_DONE;
    }
    parq_arena arena = PARQ_ARENA_INIT;
    pq_page_header h;
    size_t hlen = 0;
    parq_status st = pq_decode_page_header(c->chunk + c->pos, c->chunk_len - c->pos, &arena, &h, &hlen, err);
    if (st) {
      parq_arena_free(&arena);
      parq_err_prefix(err, "page header at offset %lld", (long long)(c->chunk_offset + (int64_t)c->pos));
      return st;
    }
    int64_t page_off = c->chunk_offset + (int64_t)c->pos;
    size_t body_off = c->pos + hlen;
    if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0 ||
        (size_t)h.compressed_page_size > c->chunk_len - body_off) {
      parq_arena_free(&arena);
      return parq_err_set(err, PARQ_ECORRUPT, "page at offset %lld: compressed size %d overruns the column chunk (%zu bytes left)",
                          (long long)page_off, h.compressed_page_size, c->chunk_len - body_off);
    }
    if (h.uncompressed_page_size > c->max_alloc ||
        (int64_t)(h.type == PQ_PAGE_DICTIONARY ? h.dictionary_page_header.num_values
                  : h.type == PQ_PAGE_DATA_V2  ? h.data_page_header_v2.num_values
                                               : h.data_page_header.num_values) *
                (c->width > 4 ? c->width : 4) > c->max_alloc) {
      parq_arena_free(&arena);
      return parq_err_set(err, PARQ_ENOMEM, "page at offset %lld: uncompressed size %d or its values exceed the memory limit (%lld bytes)",
                          (long long)page_off, h.uncompressed_page_size, (long long)c->max_alloc);
    }
    const uint8_t *body = c->chunk + body_off;
    size_t clen = (size_t)h.compressed_page_size;
    c->pos = body_off + clen;
    if (c->verify_crc && h.has_crc) {
      uint32_t crc = parq_crc32(0, body, clen);
      if ((int32_t)crc != h.crc) {
        parq_arena_free(&arena);
        return parq_err_set(err, PARQ_ECHECKSUM, "page at offset %lld: CRC32 mismatch (stored %08x, computed %08x)",
                            (long long)page_off, (uint32_t)h.crc, crc);
      }
    }
    st = PARQ_OK;
    if (h.type == PQ_PAGE_DICTIONARY) {
      if (!h.has_dictionary_page_header) st = parq_err_set(err, PARQ_ECORRUPT, "dictionary page without its header");
      if (!st && c->started) st = parq_err_set(err, PARQ_ECORRUPT, "dictionary page after data pages");
      uint8_t *dst = NULL;
      if (!st && c->views) { /* the dictionary page stays alive: views point into it */
        pq_blob_unref(c->dict_blob);
        c->dict_blob = pq_blob_new((size_t)h.uncompressed_page_size + 1);
        if (!c->dict_blob) st = PARQ_ENOMEM;
        else dst = c->dict_blob->data, c->dict_blob->len = (size_t)h.uncompressed_page_size;
      } else if (!st) {
        parq_buf_clear(&c->page);
        if (parq_buf_reserve(&c->page, (size_t)h.uncompressed_page_size + 1)) st = PARQ_ENOMEM;
        dst = c->page.data;
      }
      if (!st) st = pq_decompress(c->codec, c->meta->codec, body, clen, dst, (size_t)h.uncompressed_page_size, err);
      if (!st) st = load_dictionary(c, dst, (size_t)h.uncompressed_page_size, h.dictionary_page_header.num_values, err);
      parq_arena_free(&arena);
      if (st) {
        parq_err_prefix(err, "dictionary page at offset %lld", (long long)page_off);
        return st;
      }
      continue;
    }
    if (h.type != PQ_PAGE_DATA && h.type != PQ_PAGE_DATA_V2) { /* index pages etc.: skip */
      parq_arena_free(&arena);
      continue;
    }
    c->started = true;
    pq_leaf_batch *b = &c->pending;
    const pq_leaf *leaf = c->leaf;
    int64_t n;
    int32_t encoding;
    const uint8_t *vals;
    size_t vlen;
    size_t lvl_base = (size_t)b->n_levels;
    bool have_levels = leaf->max_def > 0 || leaf->max_rep > 0;
    if (h.type == PQ_PAGE_DATA) {
      if (!h.has_data_page_header) {
        parq_arena_free(&arena);
        return parq_err_set(err, PARQ_ECORRUPT, "data page at offset %lld without its header", (long long)page_off);
      }
      pq_data_page_header *d = &h.data_page_header;
      n = d->num_values;
      encoding = d->encoding;
      if (n < 0 || n > MAX_PAGE_VALUES) {
        parq_arena_free(&arena);
        return parq_err_set(err, PARQ_ECORRUPT, "data page at offset %lld: invalid num_values %lld", (long long)page_off, (long long)n);
      }
      uint8_t *dst = page_target(c, (size_t)h.uncompressed_page_size);
      if (!dst) st = PARQ_ENOMEM;
      if (!st) st = pq_decompress(c->codec, c->meta->codec, body, clen, dst, (size_t)h.uncompressed_page_size, err);
      const uint8_t *p = dst;
      size_t len = (size_t)h.uncompressed_page_size;
      if (!st && have_levels) {
        if ((parq_buf_reserve(&b->def, (size_t)n * 2) || parq_buf_reserve(&b->rep, (size_t)n * 2))) st = PARQ_ENOMEM;
      }
      if (!st && leaf->max_rep > 0) {
        size_t used = 0;
        st = decode_levels_v1(d->repetition_level_encoding, leaf->max_rep, p, len, n,
                              (uint16_t *)(b->rep.data + b->rep.len), &used, "repetition", err);
        p += used, len -= used;
      }
      if (!st && leaf->max_def > 0) {
        size_t used = 0;
        st = decode_levels_v1(d->definition_level_encoding, leaf->max_def, p, len, n,
                              (uint16_t *)(b->def.data + b->def.len), &used, "definition", err);
        p += used, len -= used;
      }
      vals = p;
      vlen = len;
    } else {
      if (!h.has_data_page_header_v2) {
        parq_arena_free(&arena);
        return parq_err_set(err, PARQ_ECORRUPT, "data page v2 at offset %lld without its header", (long long)page_off);
      }
      pq_data_page_header_v2 *d = &h.data_page_header_v2;
      n = d->num_values;
      encoding = d->encoding;
      int64_t rl = d->repetition_levels_byte_length, dl = d->definition_levels_byte_length;
      if (n < 0 || n > MAX_PAGE_VALUES || rl < 0 || dl < 0 || (size_t)(rl + dl) > clen || d->num_nulls < 0 || d->num_nulls > n) {
        parq_arena_free(&arena);
        return parq_err_set(err, PARQ_ECORRUPT, "data page v2 at offset %lld: invalid sizes", (long long)page_off);
      }
      if (have_levels && (parq_buf_reserve(&b->def, (size_t)n * 2) || parq_buf_reserve(&b->rep, (size_t)n * 2))) st = PARQ_ENOMEM;
      if (!st && leaf->max_rep > 0)
        st = pq_rle_decode_u16(body, (size_t)rl, pq_bit_width((uint64_t)leaf->max_rep),
                               (uint16_t *)(b->rep.data + b->rep.len), (size_t)n, NULL, err);
      if (!st && leaf->max_def > 0)
        st = pq_rle_decode_u16(body + rl, (size_t)dl, pq_bit_width((uint64_t)leaf->max_def),
                               (uint16_t *)(b->def.data + b->def.len), (size_t)n, NULL, err);
      const uint8_t *vsrc = body + rl + dl;
      size_t vclen = clen - (size_t)(rl + dl);
      int64_t vulen = (int64_t)h.uncompressed_page_size - rl - dl;
      if (!st && vulen < 0) st = parq_err_set(err, PARQ_ECORRUPT, "data page v2: level lengths exceed the uncompressed size");
      if (!st) {
        if (d->is_compressed && c->meta->codec != PARQ_CODEC_UNCOMPRESSED && vclen > 0) {
          uint8_t *dst = page_target(c, (size_t)vulen);
          if (!dst) st = PARQ_ENOMEM;
          if (!st) st = pq_decompress(c->codec, c->meta->codec, vsrc, vclen, dst, (size_t)vulen, err);
          vals = dst;
          vlen = (size_t)vulen;
        } else if (c->views) { /* the chunk buffer is not shared: copy into a page of its own */
          uint8_t *dst = page_target(c, vclen);
          if (!dst) st = PARQ_ENOMEM;
          else if (vclen) memcpy(dst, vsrc, vclen);
          vals = dst;
          vlen = vclen;
        } else {
          vals = vsrc;
          vlen = vclen;
        }
      } else {
        vals = NULL;
        vlen = 0;
      }
    }
    if (!st && have_levels) {
      if (leaf->max_rep > 0) st = check_levels((uint16_t *)(b->rep.data + b->rep.len), n, leaf->max_rep, "repetition", err);
      if (!st && leaf->max_def > 0) st = check_levels((uint16_t *)(b->def.data + b->def.len), n, leaf->max_def, "definition", err);
      if (!st && leaf->max_rep > 0 && c->levels_seen == 0 && n > 0 && ((uint16_t *)(b->rep.data + b->rep.len))[0] != 0)
        st = parq_err_set(err, PARQ_ECORRUPT, "column chunk starts with repetition level %u (must be 0)",
                          ((uint16_t *)(b->rep.data + b->rep.len))[0]);
    }
    int64_t nv = n;
    if (!st && leaf->max_def > 0) {
      nv = pq_count_eq_u16((const uint16_t *)(b->def.data + b->def.len), n, (uint16_t)leaf->max_def);
    }
    if (!st) st = decode_values(c, encoding, vals, vlen, nv, b, err);
    if (!st && leaf->max_rep > 0) {
      const uint16_t *rv = (const uint16_t *)(b->rep.data + b->rep.len);
      int64_t starts = 0;
      for (int64_t i = 0; i < n; i++) starts += rv[i] == 0;
      c->pending_starts += starts;
    }
    if (!st) {
      if (have_levels) {
        if (leaf->max_def > 0) b->def.len += (size_t)n * 2;
        if (leaf->max_rep > 0) b->rep.len += (size_t)n * 2;
      }
      b->n_levels += n;
      b->n_values += nv;
      c->levels_seen += n;
      (void)lvl_base;
    }
    parq_arena_free(&arena);
    pq_blob_unref(c->page_blob); /* pending holds its own reference if it uses the page */
    c->page_blob = NULL;
    if (st) {
      parq_err_prefix(err, "data page at offset %lld", (long long)page_off);
      return st;
    }
    /* The last page: its last record is complete now, and the cursor's
     * scratch can go before the records are moved out (see take). */
    if (c->pos >= c->chunk_len) c->finished = true;
    return PARQ_OK;
  }
}

/* Count complete records in pending: for flat columns every level entry is a
 * record; for repeated ones a record is complete once the next starts. */
static int64_t pending_records(const pq_column_cursor *c, bool at_end) {
  const pq_leaf_batch *b = &c->pending;
  if (c->leaf->max_rep == 0) return b->n_levels;
  /* pending always begins at a record start, so every start but the last
   * closes a record; the last closes only at the end of the chunk. */
  if (b->n_levels == 0) return 0;
  return c->pending_starts - 1 + (at_end ? 1 : 0);
}

/* Level index where record n starts (n < total records), or n_levels. */
static int64_t record_start(const pq_column_cursor *c, int64_t n) {
  const pq_leaf_batch *b = &c->pending;
  if (c->leaf->max_rep == 0) return n < b->n_levels ? n : b->n_levels;
  const uint16_t *rep = (const uint16_t *)b->rep.data;
  int64_t r = -1;
  for (int64_t i = 0; i < b->n_levels; i++) {
    if (rep[i] == 0 && ++r == n) return i;
  }
  return b->n_levels;
}

static void release_scratch(pq_column_cursor *c) {
  pq_blob_unref(c->dict_blob);
  c->dict_blob = NULL;
  parq_buf_free(&c->dict_values);
  parq_buf_free(&c->dict_offsets);
  parq_buf_free(&c->dict_data);
  parq_buf_free(&c->page);
  parq_buf_free(&c->idx);
  parq_buf_free(&c->tmp_off);
  c->has_dict = false;
  c->dict_n = 0;
}

/* Move the first V byte-array values of pending p to out (end offsets are
 * int32, or int64 when wide); the rest stay pending, rebased to 0. */
static parq_status split_binary(pq_leaf_batch *p, pq_leaf_batch *out, int64_t V, bool wide) {
  size_t w = wide ? 8 : 4;
  int64_t cut = 0;
  if (V > 0) {
    if (wide) {
      memcpy(&cut, p->offsets.data + (size_t)(V - 1) * 8, 8);
    } else {
      int32_t c32;
      memcpy(&c32, p->offsets.data + (size_t)(V - 1) * 4, 4);
      cut = c32;
    }
  }
  if ((V > 0 && parq_buf_append(&out->offsets, p->offsets.data, (size_t)V * w)) ||
      parq_buf_append(&out->data, p->data.data, (size_t)cut))
    return PARQ_ENOMEM;
  int64_t rest = p->n_values - V;
  if (wide) {
    int64_t *off = (int64_t *)p->offsets.data;
    for (int64_t i = 0; i < rest; i++) off[i] = off[V + i] - cut;
  } else {
    int32_t *off = (int32_t *)p->offsets.data;
    for (int64_t i = 0; i < rest; i++) off[i] = off[V + i] - (int32_t)cut;
  }
  p->offsets.len = (size_t)rest * w;
  if (p->data.len > (size_t)cut) memmove(p->data.data, p->data.data + cut, p->data.len - (size_t)cut);
  p->data.len -= (size_t)cut;
  return PARQ_OK;
}

/* Move the first V views of pending p to out. out shares every blob of p;
 * p then drops the blobs its remaining views no longer use and renumbers. */
static parq_status split_views(pq_leaf_batch *p, pq_leaf_batch *out, int64_t V) {
  size_t bytes = (size_t)V * 16;
  pq_blob **pb = (pq_blob **)p->blobs.data;
  size_t nb = p->blobs.len / sizeof *pb;
  if (parq_buf_append(&out->values, p->values.data, bytes) ||
      parq_buf_append(&out->blobs, pb, nb * sizeof *pb))
    return PARQ_ENOMEM;
  for (size_t i = 0; i < nb; i++) pq_blob_ref(pb[i]);
  if (p->values.len > bytes) memmove(p->values.data, p->values.data + bytes, p->values.len - bytes);
  p->values.len -= bytes;
  int64_t rest = (int64_t)(p->values.len / 16);
  uint8_t *v = p->values.data;
  int32_t lo = (int32_t)nb;
  for (int64_t i = 0; i < rest; i++) {
    uint32_t l;
    int32_t bi;
    memcpy(&l, v + 16 * i, 4);
    if (l <= 12) continue;
    memcpy(&bi, v + 16 * i + 8, 4);
    if (bi < lo) lo = bi;
  }
  if (lo > 0) {
    for (int32_t i = 0; i < lo; i++) pq_blob_unref(pb[i]);
    memmove(pb, pb + lo, (nb - (size_t)lo) * sizeof *pb);
    p->blobs.len -= (size_t)lo * sizeof *pb;
    for (int64_t i = 0; i < rest; i++) {
      uint32_t l;
      int32_t bi;
      memcpy(&l, v + 16 * i, 4);
      if (l <= 12) continue;
      memcpy(&bi, v + 16 * i + 8, 4);
      bi -= lo;
      memcpy(v + 16 * i + 8, &bi, 4);
    }
  }
  return PARQ_OK;
}

parq_status pq_cursor_take(pq_column_cursor *c, int64_t n, pq_leaf_batch *out, int64_t *got,
                           parq_error *err) {
  pq_leaf_batch_reset(out);
  out->wide = c->wide;
  out->views = c->views;
  *got = 0;
  /* Decode pages until pending holds n complete records or the chunk ends. */
  int64_t have = pending_records(c, c->finished);
  while (have < n && !c->finished) {
    parq_status st = next_page(c, err);
    if (st < 0) return st;
    have = pending_records(c, c->finished);
  }
  /* At the end of the chunk the dictionary and page scratch are dead weight
   * (up to 2 GiB each): drop them now rather than when the row group unloads. */
  if (c->finished) release_scratch(c);
  if (have == 0) return PARQ_OK;
  int64_t take = have < n ? have : n;
  pq_leaf_batch *p = &c->pending;
  int64_t L = (take == have && c->finished) ? p->n_levels : record_start(c, take);
  int64_t V = L;
  if (c->leaf->max_def > 0) {
    const uint16_t *dv = (const uint16_t *)p->def.data;
    uint16_t md = (uint16_t)c->leaf->max_def;
    V = 0;
    for (int64_t i = 0; i < L; i++) V += dv[i] == md;
  }
  if (L == p->n_levels) {
    /* Everything pending: hand the buffers over without copying. */
    pq_leaf_batch tmp = *out;
    *out = *p;
    *p = tmp;
    pq_leaf_batch_reset(p);
    p->wide = c->wide;
    p->views = c->views;
    c->pending_starts = 0;
    out->n_records = take;
    c->rows_done += take;
    *got = take;
    return PARQ_OK;
  }
  /* Copy the first L levels / V values out, keep the rest pending. */
  bool lv = c->leaf->max_def > 0 || c->leaf->max_rep > 0;
  if (lv) {
    if (c->leaf->max_def > 0) {
      if (parq_buf_append(&out->def, p->def.data, (size_t)L * 2)) return PARQ_ENOMEM;
      if (p->def.len > (size_t)L * 2) memmove(p->def.data, p->def.data + L * 2, p->def.len - (size_t)L * 2);
      p->def.len -= (size_t)L * 2;
    }
    if (c->leaf->max_rep > 0) {
      if (parq_buf_append(&out->rep, p->rep.data, (size_t)L * 2)) return PARQ_ENOMEM;
      if (p->rep.len > (size_t)L * 2) memmove(p->rep.data, p->rep.data + L * 2, p->rep.len - (size_t)L * 2);
      p->rep.len -= (size_t)L * 2;
    }
  }
  if (c->views) {
    if (split_views(p, out, V)) return PARQ_ENOMEM;
  } else if (c->width) {
    size_t bytes = (size_t)V * (size_t)c->width;
    if (parq_buf_append(&out->values, p->values.data, bytes)) return PARQ_ENOMEM;
    if (p->values.len > bytes) memmove(p->values.data, p->values.data + bytes, p->values.len - bytes);
    p->values.len -= bytes;
  } else {
    PARQ_TRY(split_binary(p, out, V, c->wide));
  }
  out->n_levels = L;
  out->n_values = V;
  out->n_records = take;
  p->n_levels -= L;
  p->n_values -= V;
  if (c->leaf->max_rep > 0) c->pending_starts -= take;
  c->rows_done += take;
  *got = take;
  return PARQ_OK;
}

/* With nothing pending and the next page at a known page-index location, move
 * pos forward to the last page starting at or before `target` rows. */
static void jump_pages(pq_column_cursor *c, int64_t target) {
  const pq_offset_index *oi = c->oi;
  if (!oi || c->pending.n_levels > 0 || !c->started) return;
  int64_t here = c->chunk_offset + (int64_t)c->pos;
  uint32_t k = 0;
  while (k < oi->n_pages && oi->page_locations[k].offset != here) k++;
  if (k == oi->n_pages || oi->page_locations[k].first_row_index != c->rows_done) return;
  while (k + 1 < oi->n_pages && oi->page_locations[k + 1].first_row_index <= target) k++;
  int64_t off = oi->page_locations[k].offset - c->chunk_offset;
  if (off < (int64_t)c->pos || off >= (int64_t)c->chunk_len) return;
  c->pos = (size_t)off;
  c->rows_done = oi->page_locations[k].first_row_index;
}

parq_status pq_cursor_skip(pq_column_cursor *c, int64_t n, parq_error *err) {
  pq_leaf_batch tmp = {0};
  int64_t target = c->rows_done + n;
  while (c->rows_done < target) {
    jump_pages(c, target);
    int64_t got = 0;
    int64_t want = target - c->rows_done;
    /* Take at most what is already decoded so the next jump can happen. */
    int64_t have = c->pending.n_levels > 0 ? pending_records(c, c->finished) : 0;
    int64_t step = have > 0 && have < want ? have : want;
    if (step > 65536) step = 65536;
    parq_status st = pq_cursor_take(c, step, &tmp, &got, err);
    if (st < 0) {
      pq_leaf_batch_free(&tmp);
      return st;
    }
    if (got == 0) break;
  }
  pq_leaf_batch_free(&tmp);
  return PARQ_OK;
}
