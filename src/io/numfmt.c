/* numfmt.c — number text helpers: exact decimal parse/format on
 * little-endian two's-complement integers (decimal32/64/128/256), shortest
 * round-trip float/double text, and IEEE half <-> float conversion. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

/* Magnitude as 8 little-endian 32-bit limbs (256 bits). */
static bool mul10_add(uint32_t *l, unsigned d) {
  uint64_t carry = d;
  for (int i = 0; i < 8; i++) {
    uint64_t v = (uint64_t)l[i] * 10 + carry;
    l[i] = (uint32_t)v;
    carry = v >> 32;
  }
  return carry == 0;
}

bool pq_decimal_parse(const char *s, size_t n, int precision, int scale, int bytes, uint8_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  /* Collect significant digits; remember how many came after the point. */
  char dig[160];
  int nd = 0, nfrac = 0;
  bool any = false, point = false;
  for (; i < n; i++) {
    char ch = s[i];
    if (ch >= '0' && ch <= '9') {
      any = true;
      if (point) nfrac++;
      if (nd == 0 && ch == '0') continue; /* leading zero */
      if (nd >= (int)sizeof dig) return false;
      dig[nd++] = ch;
    } else if (ch == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return false;
  long exp = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
    if (i >= n) return false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      exp = exp * 10 + (s[i] - '0');
      if (exp > 1000) return false;
    }
    if (eneg) exp = -exp;
  }
  if (i != n) return false;
  /* value = dig * 10^(exp - nfrac); stored = value * 10^scale */
  long shift = exp - nfrac + scale;
  if (shift < 0) { /* dropping digits: only zeros may go (exactness) */
    long drop = -shift;
    for (long k = 0; k < drop && nd > 0; k++) {
      if (dig[nd - 1] != '0') return false;
      nd--;
    }
    shift = 0;
  }
  if (nd > 0 && nd + shift > precision) return false;
  uint32_t l[8] = {0};
  for (int k = 0; k < nd; k++)
    if (!mul10_add(l, (unsigned)(dig[k] - '0'))) return false;
  for (long k = 0; k < shift && nd > 0; k++)
    if (!mul10_add(l, 0)) return false;
  uint8_t b[32];
  for (int k = 0; k < 8; k++) {
    b[4 * k] = (uint8_t)l[k];
    b[4 * k + 1] = (uint8_t)(l[k] >> 8);
    b[4 * k + 2] = (uint8_t)(l[k] >> 16);
    b[4 * k + 3] = (uint8_t)(l[k] >> 24);
  }
  /* The magnitude must leave the sign bit of the target width free. */
  for (int k = bytes; k < 32; k++)
    if (b[k]) return false;
  if (b[bytes - 1] & 0x80) return false;
  if (neg) {
    unsigned carry = 1;
    for (int k = 0; k < bytes; k++) {
      unsigned v = (uint8_t)~b[k] + carry;
      b[k] = (uint8_t)v;
      carry = v >> 8;
    }
  }
  memcpy(out, b, (size_t)bytes);
  return true;
}

parq_status pq_decimal_format(const uint8_t *le, int bytes, int scale, parq_buf *out) {
  uint8_t b[32];
  if (bytes <= 0 || bytes > 32 || scale > 100 || scale < -100) return PARQ_EINVAL;
  memcpy(b, le, (size_t)bytes);
  bool neg = b[bytes - 1] & 0x80;
  if (neg) {
    unsigned carry = 1;
    for (int k = 0; k < bytes; k++) {
      unsigned v = (uint8_t)~b[k] + carry;
      b[k] = (uint8_t)v;
      carry = v >> 8;
    }
  }
  memset(b + bytes, 0, (size_t)(32 - bytes));
  uint32_t l[8];
  for (int k = 0; k < 8; k++)
    l[k] = (uint32_t)b[4 * k] | (uint32_t)b[4 * k + 1] << 8 | (uint32_t)b[4 * k + 2] << 16 |
           (uint32_t)b[4 * k + 3] << 24;
  char d[100];
  int nd = 0;
  for (;;) { /* repeated division by 10 (at most 78 digits) */
    bool zero = true;
    uint64_t rem = 0;
    for (int k = 7; k >= 0; k--) {
      uint64_t cur = rem << 32 | l[k];
      l[k] = (uint32_t)(cur / 10);
      rem = cur % 10;
      if (l[k]) zero = false;
    }
    d[nd++] = (char)('0' + rem);
    if (zero) break;
  }
  /* d holds digits least significant first */
  char txt[200];
  int t = 0;
  if (neg) txt[t++] = '-';
  if (scale > 0) {
    int intd = nd - scale;
    if (intd <= 0) {
      txt[t++] = '0';
      txt[t++] = '.';
      for (int k = 0; k < -intd; k++) txt[t++] = '0';
      for (int k = nd - 1; k >= 0; k--) txt[t++] = d[k];
    } else {
      for (int k = nd - 1; k >= scale; k--) txt[t++] = d[k];
      txt[t++] = '.';
      for (int k = scale - 1; k >= 0; k--) txt[t++] = d[k];
    }
  } else {
    for (int k = nd - 1; k >= 0; k--) txt[t++] = d[k];
    if (scale < 0 && !(nd == 1 && d[0] == '0'))
      for (int k = 0; k < -scale && t < (int)sizeof txt - 1; k++) txt[t++] = '0';
  }
  return parq_buf_append(out, txt, (size_t)t);
}

static int ensure_float_look(char *out, int n) {
  for (int i = 0; i < n; i++)
    if (out[i] == '.' || out[i] == 'e' || out[i] == 'n' || out[i] == 'i') return n;
  out[n++] = '.';
  out[n++] = '0';
  out[n] = 0;
  return n;
}

int pq_fmt_double(double d, char *out) {
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(out, 32, "%.*g", prec, d);
    if (prec == 17 || strtod(out, NULL) == d) break;
  }
  return ensure_float_look(out, n);
}

int pq_fmt_float(float f, char *out) {
  int n = 0;
  for (int prec = 6; prec <= 9; prec++) {
    n = snprintf(out, 32, "%.*g", prec, (double)f);
    if (prec == 9 || strtof(out, NULL) == f) break;
  }
  return ensure_float_look(out, n);
}

float pq_half_to_float(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  float v;
  if (e == 0) v = ldexpf((float)m, -24);
  else if (e == 31) v = m ? NAN : INFINITY;
  else v = ldexpf((float)(m | 1024), e - 25);
  return (h & 0x8000) ? -v : v;
}

uint16_t pq_float_to_half(float f) {
  uint16_t sign = signbit(f) ? 0x8000 : 0;
  if (isnan(f)) return 0x7E00;
  float a = fabsf(f);
  if (a >= 65520.0f) return sign | 0x7C00; /* rounds to infinity */
  if (a < ldexpf(1, -25)) return sign;
  int e;
  frexpf(a, &e); /* a = m * 2^e, m in [0.5,1) */
  int he = e + 14; /* biased exponent for 1.x * 2^(e-1) */
  if (he <= 0) { /* subnormal: units of 2^-24 */
    return sign | (uint16_t)lrintf(ldexpf(a, 24));
  }
  /* normal: mantissa with 10 bits, round to nearest even */
  long mant = lrintf(ldexpf(a, 11 - e)); /* in [1024, 2048] */
  if (mant == 2048) {
    mant = 1024;
    he++;
  }
  if (he >= 31) return sign | 0x7C00;
  return sign | (uint16_t)(he << 10) | (uint16_t)(mant - 1024);
}
