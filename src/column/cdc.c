/* cdc.c — the gear-hash chunker behind content-defined data pages (cdc.h).
 *
 * Semantics follow the reference writer (Arrow's CDC) so boundaries are
 * comparable: per value, add its byte size to the running chunk size; below
 * `min` the value is not hashed at all; otherwise every byte rolls the gear
 * hash and a hit of (hash & mask) == 0 anywhere in the value counts as one
 * match. Eight consecutive matches (each switching to the next gear table)
 * make a boundary; `max` forces one. The hash itself is never reset, so the
 * decision depends only on recent content. */
#include "column/cdc.h"

#include <string.h>

#include "column/values.h"
#include "format/metadata.h"

int pq_cdc_mask_bits(int64_t min, int64_t max, int norm_level) {
  if (min < 0 || max <= min) return -1;
  int64_t avg = min + (max - min) / 2;
  int64_t target = (avg - min) / 8;
  int bits = 0;
  while (target > 1) {
    target >>= 1;
    bits++;
  }
  int64_t eff = (int64_t)bits - norm_level;
  return eff >= 1 && eff <= 63 ? (int)eff : -1;
}

parq_status pq_cdc_params_make(int64_t min, int64_t max, int norm_level, pq_cdc_params *out,
                               parq_error *err) {
  if (min < 0)
    return parq_err_set(err, PARQ_EINVAL, "cdc: minimum chunk size %lld is negative",
                        (long long)min);
  if (max <= min)
    return parq_err_set(err, PARQ_EINVAL,
                        "cdc: maximum chunk size %lld must be larger than the minimum %lld",
                        (long long)max, (long long)min);
  int bits = pq_cdc_mask_bits(min, max, norm_level);
  if (bits < 0)
    return parq_err_set(err, PARQ_EINVAL,
                        "cdc: min %lld / max %lld / norm level %d give a hash mask outside 1..63 "
                        "bits; widen max - min or change the norm level",
                        (long long)min, (long long)max, norm_level);
  out->min = min;
  out->max = max;
  out->mask = ~UINT64_C(0) << (64 - bits);
  return PARQ_OK;
}

void pq_cdc_init(pq_cdc *c, const pq_cdc_params *p) {
  memset(c, 0, sizeof *c);
  c->p = *p;
}

void pq_cdc_reset(pq_cdc *c) {
  c->hash = 0;
  c->size = 0;
  c->run = 0;
  c->matched = false;
}

void pq_cdc_free(pq_cdc *c) {
  if (!c) return;
  parq_buf_free(&c->scratch);
  parq_buf_free(&c->cuts);
}

/* Roll n bytes (one logical value) into the chunker. */
static inline void roll(pq_cdc *c, const uint8_t *p, size_t n) {
  c->size += (int64_t)n;
  if (c->size < c->p.min) return;
  const uint64_t *t = pq_cdc_gear[c->run];
  uint64_t h = c->hash, m = c->p.mask;
  bool hit = false;
  for (size_t i = 0; i < n; i++) {
    h = (h << 1) + t[p[i]];
    hit |= (h & m) == 0;
  }
  c->hash = h;
  c->matched |= hit;
}

static inline void roll_level(pq_cdc *c, uint16_t lv) {
  uint8_t b[2] = {(uint8_t)lv, (uint8_t)(lv >> 8)};
  roll(c, b, 2);
}

/* Consume the pending match / size state: is this a boundary? */
static inline bool need_cut(pq_cdc *c) {
  if (c->matched) {
    c->matched = false;
    if (++c->run >= PQ_CDC_TABLES) {
      c->run = 0;
      c->size = 0;
      return true;
    }
  }
  if (c->size >= c->p.max) {
    c->size = 0;
    return true;
  }
  return false;
}

/* Fixed-width values of the whole batch in PLAIN form (width bytes each). */
static parq_status fixed_values(const pq_leaf_batch *b, int phys, int width, parq_buf *s,
                                parq_error *err) {
  parq_buf_clear(s);
  if (!b->n_values) return PARQ_OK;
  parq_status st = pq_values_fixed(b, 0, b->n_values, phys, width, s);
  if (st != PARQ_OK) return parq_err_set(err, st, "cdc: cannot convert Arrow values");
  if (s->len != b->n_values * (size_t)width)
    return parq_err_set(err, PARQ_EINTERNAL, "cdc: %zu value bytes for %zu values of width %d",
                        s->len, b->n_values, width);
  return PARQ_OK;
}

static parq_status add_cut(pq_cdc *c, size_t li, size_t vi, size_t *n, parq_error *err) {
  size_t pair[2] = {li, vi};
  if (parq_buf_append(&c->cuts, pair, sizeof pair) != PARQ_OK)
    return parq_err_set(err, PARQ_ENOMEM, "cdc: out of memory");
  (*n)++;
  return PARQ_OK;
}

parq_status pq_cdc_scan(pq_cdc *c, const pq_leaf_batch *b, int phys, int width, int16_t max_def,
                        size_t *n, parq_error *err) {
  *n = 0;
  parq_buf_clear(&c->cuts);
  bool binary = phys == PQ_BYTE_ARRAY;
  if (!binary) PARQ_TRY(fixed_values(b, phys, width, &c->scratch, err));
  const uint8_t *fx = c->scratch.data;
  const uint16_t *def = b->def, *rep = b->rep;
  const uint16_t maxd = (uint16_t)max_def;
  size_t vi = 0;
  for (size_t li = 0; li < b->n_levels; li++) {
    size_t v0 = vi; /* value index at this level: where a page starting here begins */
    if (def) roll_level(c, def[li]);
    if (rep) roll_level(c, rep[li]);
    if (!def || def[li] == maxd) {
      if (vi >= b->n_values)
        return parq_err_set(err, PARQ_EINTERNAL, "cdc: more present levels than values");
      if (binary) {
        const uint8_t *p;
        size_t len = pq_src_binary(b->arr, b->at->kind, pq_lb_pos(b, vi), &p);
        roll(c, p, len);
      } else {
        roll(c, fx + vi * (size_t)width, (size_t)width);
      }
      vi++;
    }
    /* Nested: pending matches wait for the next record start. */
    if ((!rep || rep[li] == 0) && need_cut(c)) PARQ_TRY(add_cut(c, li, v0, n, err));
  }
  return PARQ_OK;
}

uint64_t pq_cdc_mask_for(int64_t n) {
  int bits = 0;
  for (int64_t t = n; t > 1 && bits < 63; t >>= 1) bits++;
  return bits ? ~UINT64_C(0) << (64 - bits) : 0;
}

void pq_cdc_rg_free(pq_cdc_rg *s) {
  if (s) parq_buf_free(&s->scratch);
}

/* Roll one key value into the gear hash. Shifting by 64 clears a byte's
 * term, so h depends only on the last 64 bytes: for a longer value, hashing
 * its last 64 bytes from 0 gives exactly the full roll, at a fraction of the
 * cost (the row-group rules look at h only at record ends). */
static inline uint64_t roll_key(uint64_t x, const uint64_t *t, const uint8_t *p, size_t len) {
  if (len >= 64) {
    p += len - 64;
    len = 64;
    x = 0;
  }
  for (size_t i = 0; i < len; i++) x = (x << 1) + t[p[i]];
  return x;
}

parq_status pq_cdc_rg_scan(pq_cdc_rg *s, const pq_leaf_batch *b, int phys, int width,
                           int16_t max_def, int64_t rows, int64_t *cut, parq_error *err) {
  *cut = -1;
  if (rows == 0) s->bytes = 0;
  bool binary = phys == PQ_BYTE_ARRAY;
  if (!binary) PARQ_TRY(fixed_values(b, phys, width, &s->scratch, err));
  const uint8_t *fx = s->scratch.data;
  const uint16_t *def = b->def, *rep = b->rep;
  const uint16_t maxd = (uint16_t)max_def;
  const uint64_t *t = pq_cdc_gear[0];
  const uint64_t rm = s->rec_mask;
  /* Byte rule: a record of L key bytes qualifies when the top 32 bits of h
   * are below L * 2^32 / gap, i.e. with odds L / gap: as if every byte had a
   * 1 / gap chance, but decided once per record. */
  const uint64_t gap = s->byte_gap;
  const uint64_t per_byte = gap ? (UINT64_C(1) << 32) / gap : 0;
  uint64_t x = s->h;
  int64_t kb = s->bytes;
  int64_t rec_bytes = 0; /* key bytes of the current record */
  size_t vi = 0;
  int64_t rec = 0;
  for (size_t li = 0; li < b->n_levels; li++) {
    if (def) {
      x = (x << 1) + t[def[li] & 0xff];
      x = (x << 1) + t[def[li] >> 8];
      rec_bytes += 2;
    }
    if (!def || def[li] == maxd) {
      if (vi >= b->n_values)
        return parq_err_set(err, PARQ_EINTERNAL, "cdc: more present levels than values");
      const uint8_t *p;
      size_t len;
      if (binary) {
        len = pq_src_binary(b->arr, b->at->kind, pq_lb_pos(b, vi), &p);
      } else {
        p = fx + vi * (size_t)width;
        len = (size_t)width;
      }
      x = roll_key(x, t, p, len);
      rec_bytes += (int64_t)len;
      vi++;
    }
    bool rec_end = li + 1 == b->n_levels || !rep || rep[li + 1] == 0;
    if (!rec_end) continue;
    rec++;
    kb += rec_bytes;
    bool armed = rows + rec >= s->arm_rows || kb >= s->arm_bytes;
    bool byte_hit = gap && ((uint64_t)rec_bytes >= gap ||
                            (x >> 32) < (uint64_t)rec_bytes * per_byte);
    rec_bytes = 0;
    if (armed && (byte_hit || (x & rm) == 0)) {
      s->h = x;
      s->bytes = 0;
      *cut = rec;
      return PARQ_OK;
    }
  }
  s->h = x;
  s->bytes = kb;
  return PARQ_OK;
}
