/* base64.c — standard base64 (RFC 4648, with padding) for binary values in
 * JSON/CSV text. */
#include "io/io_internal.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

parq_status pq_base64_encode(const uint8_t *p, size_t n, parq_buf *out) {
  if (parq_buf_reserve(out, (n + 2) / 3 * 4)) return PARQ_ENOMEM;
  char *o = (char *)out->data + out->len;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    o[0] = b64[v >> 18];
    o[1] = b64[(v >> 12) & 63];
    o[2] = b64[(v >> 6) & 63];
    o[3] = b64[v & 63];
    o += 4;
  }
  if (i < n) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
    o[0] = b64[v >> 18];
    o[1] = b64[(v >> 12) & 63];
    o[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
    o[3] = '=';
    o += 4;
  }
  out->len = (size_t)((uint8_t *)o - out->data);
  return PARQ_OK;
}

static int val(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62; /* also accept the URL-safe alphabet */
  if (c == '/' || c == '_') return 63;
  return -1;
}

parq_status pq_base64_decode(const char *s, size_t n, parq_buf *out) {
  while (n > 0 && s[n - 1] == '=') n--;
  if (n % 4 == 1) return PARQ_ECORRUPT;
  if (parq_buf_reserve(out, n / 4 * 3 + 3)) return PARQ_ENOMEM;
  uint8_t *o = out->data + out->len;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = val((unsigned char)s[i]);
    if (v < 0) return PARQ_ECORRUPT;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = (uint8_t)(acc >> bits);
    }
  }
  out->len = (size_t)(o - out->data);
  return PARQ_OK;
}
