/* values.c — conversion of fixed-width Arrow values to Parquet physical form.
 * Same-representation types are a memcpy (contiguous) or a gather loop. */
#include "column/values.h"

#include "format/metadata.h"

/* Gather loop helper: for each value k, src points at its Arrow bytes. */
#define FOR_EACH_SRC(SW, BODY)                                          \
  do {                                                                  \
    for (size_t k_ = 0; k_ < nv; k_++) {                                \
      const uint8_t *src = data + (a->offset + pq_lb_pos(b, vi + k_)) * (int64_t)(SW); \
      uint8_t *dst = o + k_ * (size_t)width;                            \
      BODY;                                                             \
    }                                                                   \
  } while (0)

parq_status pq_values_fixed(const pq_leaf_batch *b, size_t vi, size_t nv, int phys, int width,
                            parq_buf *out) {
  if (nv == 0) return PARQ_OK;
  if (nv > SIZE_MAX / 64) return PARQ_ENOMEM;
  parq_status st = parq_buf_reserve(out, nv * (size_t)width);
  if (st != PARQ_OK) return st;
  const struct ArrowArray *a = b->arr;
  const pq_arrow_type *t = b->at;
  uint8_t *o = out->data + out->len;
  out->len += nv * (size_t)width;
  if (t->kind == PQA_BOOL) {
    const uint8_t *bits = (const uint8_t *)a->buffers[1];
    for (size_t k = 0; k < nv; k++) o[k] = pq_bit_get(bits, a->offset + pq_lb_pos(b, vi + k));
    return PARQ_OK;
  }
  const uint8_t *data = (const uint8_t *)a->buffers[1];
  int sw = pq_arrow_fixed_width(t);
  switch (t->kind) {
    case PQA_INT8:
      FOR_EACH_SRC(1, { int32_t v = (int8_t)src[0]; memcpy(dst, &v, 4); });
      return PARQ_OK;
    case PQA_UINT8:
      FOR_EACH_SRC(1, { int32_t v = src[0]; memcpy(dst, &v, 4); });
      return PARQ_OK;
    case PQA_INT16:
      FOR_EACH_SRC(2, { int16_t x; memcpy(&x, src, 2); int32_t v = x; memcpy(dst, &v, 4); });
      return PARQ_OK;
    case PQA_UINT16:
      FOR_EACH_SRC(2, { uint16_t x; memcpy(&x, src, 2); int32_t v = x; memcpy(dst, &v, 4); });
      return PARQ_OK;
    case PQA_TIME32:
      if (t->unit == PQA_SECOND) {
        FOR_EACH_SRC(4, {
          uint32_t x; memcpy(&x, src, 4); x *= 1000u; memcpy(dst, &x, 4);
        });
        return PARQ_OK;
      }
      break;
    case PQA_TIMESTAMP:
      if (t->unit == PQA_SECOND) {
        FOR_EACH_SRC(8, {
          uint64_t x; memcpy(&x, src, 8); x *= 1000u; memcpy(dst, &x, 8);
        });
        return PARQ_OK;
      }
      break;
    case PQA_DATE64:
      FOR_EACH_SRC(8, {
        int64_t ms; memcpy(&ms, src, 8);
        int64_t d = ms / 86400000;
        if (ms % 86400000 < 0) d--;
        int32_t v = (int32_t)d;
        memcpy(dst, &v, 4);
      });
      return PARQ_OK;
    case PQA_DECIMAL:
      if (phys == PQ_FIXED_LEN_BYTE_ARRAY) {
        /* Little-endian two's complement -> big-endian, sign-extended or cut. */
        FOR_EACH_SRC(sw, {
          uint8_t sign = (src[sw - 1] & 0x80) ? 0xff : 0;
          for (int j = 0; j < width; j++) {
            int le = width - 1 - j;
            dst[j] = le < sw ? src[le] : sign;
          }
        });
        return PARQ_OK;
      }
      if (width != sw) {
        FOR_EACH_SRC(sw, {
          uint8_t sign = (src[sw - 1] & 0x80) ? 0xff : 0;
          for (int j = 0; j < width; j++) dst[j] = j < sw ? src[j] : sign;
        });
        return PARQ_OK;
      }
      break;
    default:
      break;
  }
  /* Same representation in Arrow and Parquet. */
  if (sw != width) return PARQ_EINTERNAL;
  if (!b->idx) {
    memcpy(o, data + (a->offset + b->first + (int64_t)vi) * sw, nv * (size_t)sw);
    return PARQ_OK;
  }
  switch (sw) {
    case 4: FOR_EACH_SRC(4, memcpy(dst, src, 4)); break;
    case 8: FOR_EACH_SRC(8, memcpy(dst, src, 8)); break;
    case 2: FOR_EACH_SRC(2, memcpy(dst, src, 2)); break;
    default: FOR_EACH_SRC(sw, memcpy(dst, src, (size_t)sw)); break;
  }
  return PARQ_OK;
}
