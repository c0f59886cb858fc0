/* dict.c — dictionary builder for the writer: maps values to dense indices
 * in first-seen order and emits the PLAIN dictionary page body.
 *
 * Open addressing with linear probing over slots of {32-bit hash, index+1};
 * keeping the hash in the slot avoids touching the value bytes on most
 * mismatches and lets the table grow without rehashing values. Fixed-width
 * values live back to back in one buffer; byte arrays live in one growing
 * buffer with a start-offset array (count+1 entries). */
#include <stdlib.h>
/* Header-only XXH3 so the hash of a fixed-width value inlines to a few
 * multiplies (same function and results as the library's XXH3_64bits). */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "encoding/encoding.h"
#include "util/error.h"

typedef struct {
  uint32_t hash;
  uint32_t idx1; /* entry index + 1; 0 = empty */
} dict_slot;

struct pq_dict {
  size_t width;      /* 0 = byte arrays */
  size_t count;      /* distinct values */
  parq_buf data;     /* fixed values, or byte-array bytes */
  uint64_t *offs;    /* byte arrays: start of entry i; offs[count] = data.len */
  size_t offs_cap;
  dict_slot *slots;
  size_t mask;       /* slots - 1 (power of two) */
  size_t plain_bytes;
};

#define PQ_DICT_INIT_SLOTS 1024
/* Slot positions come from a 32-bit hash, so the table stays <= 2^32 slots
 * and, at load <= 1/2, entries < 2^31 (also the most Parquet can index). */
#define PQ_DICT_MAX_ENTRIES (UINT32_C(1) << 31)

pq_dict *pq_dict_new(size_t width) {
  pq_dict *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->width = width;
  d->slots = calloc(PQ_DICT_INIT_SLOTS, sizeof *d->slots);
  if (!d->slots) goto fail;
  d->mask = PQ_DICT_INIT_SLOTS - 1;
  if (width == 0) {
    d->offs_cap = 256;
    d->offs = malloc(d->offs_cap * sizeof *d->offs);
    if (!d->offs) goto fail;
    d->offs[0] = 0;
  }
  return d;
fail:
  free(d->slots);
  free(d);
  return NULL;
}

void pq_dict_free(pq_dict *d) {
  if (!d) return;
  parq_buf_free(&d->data);
  free(d->offs);
  free(d->slots);
  free(d);
}

void pq_dict_reset(pq_dict *d) {
  d->count = 0;
  d->data.len = 0;
  d->plain_bytes = 0;
  if (d->offs) d->offs[0] = 0;
  memset(d->slots, 0, (d->mask + 1) * sizeof *d->slots);
}

size_t pq_dict_size(const pq_dict *d) { return d->count; }
size_t pq_dict_plain_bytes(const pq_dict *d) { return d->plain_bytes; }

/* Double the table; slots carry their hash so no value is re-read. */
static parq_status grow(pq_dict *d) {
  size_t nslots = (d->mask + 1) * 2;
  dict_slot *ns = calloc(nslots, sizeof *ns);
  if (!ns) return PARQ_ENOMEM;
  size_t nmask = nslots - 1;
  for (size_t i = 0; i <= d->mask; i++) {
    dict_slot s = d->slots[i];
    if (!s.idx1) continue;
    size_t p = s.hash & nmask;
    while (ns[p].idx1) p = (p + 1) & nmask;
    ns[p] = s;
  }
  free(d->slots);
  d->slots = ns;
  d->mask = nmask;
  return PARQ_OK;
}

/* Room for one more entry: keep load <= 1/2. */
static inline parq_status ensure_room(pq_dict *d) {
  if (d->count >= PQ_DICT_MAX_ENTRIES - 1) return PARQ_ENOMEM;
  if ((d->count + 1) * 2 > d->mask + 1) return grow(d);
  return PARQ_OK;
}

/* W is a constant for the common widths (always inlined), so the compare
 * and copy compile to a couple of loads. */
static inline __attribute__((always_inline)) parq_status
insert_fixed_w(pq_dict *d, const uint8_t *vals, size_t n, uint32_t *out, size_t W) {
  for (size_t i = 0; i < n; i++) {
    const uint8_t *v = vals + i * W;
    uint32_t h = (uint32_t)XXH3_64bits(v, W);
    size_t p = h & d->mask;
    for (;;) {
      dict_slot s = d->slots[p];
      if (!s.idx1) break;
      if (s.hash == h && memcmp(d->data.data + (size_t)(s.idx1 - 1) * W, v, W) == 0) {
        out[i] = s.idx1 - 1;
        goto next;
      }
      p = (p + 1) & d->mask;
    }
    /* new value: the table may grow, so find the empty slot afresh */
    if (ensure_room(d) || parq_buf_append(&d->data, v, W)) return PARQ_ENOMEM;
    p = h & d->mask;
    while (d->slots[p].idx1) p = (p + 1) & d->mask;
    d->slots[p].hash = h;
    d->slots[p].idx1 = (uint32_t)(d->count + 1);
    out[i] = (uint32_t)d->count++;
    d->plain_bytes += W;
  next:;
  }
  return PARQ_OK;
}

parq_status pq_dict_insert_fixed(pq_dict *d, const uint8_t *vals, size_t n, uint32_t *out) {
  switch (d->width) {
    case 0: return PARQ_EINVAL;
    case 4: return insert_fixed_w(d, vals, n, out, 4);
    case 8: return insert_fixed_w(d, vals, n, out, 8);
    case 12: return insert_fixed_w(d, vals, n, out, 12);
    case 16: return insert_fixed_w(d, vals, n, out, 16);
    default: return insert_fixed_w(d, vals, n, out, d->width);
  }
}

parq_status pq_dict_insert_binary(pq_dict *d, const int32_t *offsets, const uint8_t *data,
                                  size_t n, uint32_t *out) {
  if (d->width != 0) return PARQ_EINVAL;
  for (size_t i = 0; i < n; i++) {
    size_t len = (size_t)(offsets[i + 1] - offsets[i]);
    const uint8_t *v = len ? data + offsets[i] : (const uint8_t *)"";
    uint32_t h = (uint32_t)XXH3_64bits(v, len);
    size_t p = h & d->mask;
    for (;;) {
      dict_slot s = d->slots[p];
      if (!s.idx1) break;
      if (s.hash == h) {
        size_t e = s.idx1 - 1;
        uint64_t a = d->offs[e], b = d->offs[e + 1];
        if (b - a == len && (len == 0 || memcmp(d->data.data + a, v, len) == 0)) {
          out[i] = (uint32_t)e;
          goto next;
        }
      }
      p = (p + 1) & d->mask;
    }
    if (ensure_room(d)) return PARQ_ENOMEM;
    if (d->count + 2 > d->offs_cap) {
      size_t nc = d->offs_cap * 2;
      uint64_t *no = realloc(d->offs, nc * sizeof *no);
      if (!no) return PARQ_ENOMEM;
      d->offs = no;
      d->offs_cap = nc;
    }
    if (parq_buf_append(&d->data, v, len)) return PARQ_ENOMEM;
    p = h & d->mask;
    while (d->slots[p].idx1) p = (p + 1) & d->mask;
    d->slots[p].hash = h;
    d->slots[p].idx1 = (uint32_t)(d->count + 1);
    out[i] = (uint32_t)d->count++;
    d->offs[d->count] = d->data.len;
    d->plain_bytes += 4 + len;
  next:;
  }
  return PARQ_OK;
}

parq_status pq_dict_write_plain(const pq_dict *d, parq_buf *out) {
  if (d->count == 0) return PARQ_OK;
  if (d->width) return parq_buf_append(out, d->data.data, d->data.len);
  if (parq_buf_reserve(out, d->plain_bytes)) return PARQ_ENOMEM;
  for (size_t i = 0; i < d->count; i++) {
    uint64_t a = d->offs[i], l = d->offs[i + 1] - a;
    uint8_t hdr[4] = {(uint8_t)l, (uint8_t)(l >> 8), (uint8_t)(l >> 16), (uint8_t)(l >> 24)};
    parq_buf_put(out, hdr, 4);
    if (l) parq_buf_put(out, d->data.data + a, (size_t)l);
  }
  return PARQ_OK;
}

void pq_dict_get(const pq_dict *d, size_t i, const uint8_t **ptr, size_t *len) {
  if (d->width) {
    *ptr = d->data.data + i * d->width;
    *len = d->width;
  } else {
    *ptr = d->data.data ? d->data.data + d->offs[i] : (const uint8_t *)"";
    *len = (size_t)(d->offs[i + 1] - d->offs[i]);
  }
}
