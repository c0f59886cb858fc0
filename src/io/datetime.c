/* datetime.c — civil dates and times from/to days and units since the Unix
 * epoch (Howard Hinnant's days_from_civil / civil_from_days algorithms),
 * with ISO-8601 text formatting and parsing for the text readers/writers. */
#include <stdio.h>
#include <string.h>

#include "io/io_internal.h"

int64_t pq_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void pq_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static const int64_t unit_div[4] = {1, 1000, 1000000, 1000000000};
static const int unit_digits[4] = {0, 3, 6, 9};

static inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b) != 0 && ((a < 0) != (b < 0))) q--;
  return q;
}

static inline char *two(char *o, unsigned v) {
  o[0] = (char)('0' + v / 10);
  o[1] = (char)('0' + v % 10);
  return o + 2;
}

int pq_fmt_date(int64_t days, char *out) {
  /* Clamp absurd inputs so year arithmetic cannot overflow. */
  if (days > INT64_C(1) << 40) days = INT64_C(1) << 40;
  if (days < -(INT64_C(1) << 40)) days = -(INT64_C(1) << 40);
  int64_t y;
  unsigned m, d;
  pq_civil_from_days(days, &y, &m, &d);
  char *o = out;
  if (y >= 0 && y <= 9999) {
    o = two(o, (unsigned)(y / 100));
    o = two(o, (unsigned)(y % 100));
  } else {
    o += sprintf(o, "%+05lld", (long long)y);
  }
  *o++ = '-';
  o = two(o, m);
  *o++ = '-';
  o = two(o, d);
  return (int)(o - out);
}

/* "HH:MM:SS[.fff]" from seconds-of-day and a fraction in `unit`. */
static int fmt_hms(int64_t secs, int64_t frac, pq_arrow_unit unit, char *out) {
  char *o = out;
  int64_t h = secs / 3600;
  if (h < 100) o = two(o, (unsigned)h);
  else o += sprintf(o, "%lld", (long long)h);
  *o++ = ':';
  o = two(o, (unsigned)(secs / 60 % 60));
  *o++ = ':';
  o = two(o, (unsigned)(secs % 60));
  int nd = unit_digits[unit];
  if (nd) {
    *o++ = '.';
    for (int i = nd - 1; i >= 0; i--) {
      o[i] = (char)('0' + frac % 10);
      frac /= 10;
    }
    o += nd;
  }
  return (int)(o - out);
}

int pq_fmt_time(int64_t v, pq_arrow_unit unit, char *out) {
  int64_t div = unit_div[unit];
  int64_t secs = floor_div(v, div), frac = v - secs * div;
  if (secs < 0) { /* not a valid time of day; keep it readable */
    return sprintf(out, "%lld", (long long)v);
  }
  return fmt_hms(secs, frac, unit, out);
}

int pq_fmt_timestamp(int64_t v, pq_arrow_unit unit, bool utc, char *out) {
  int64_t div = unit_div[unit];
  int64_t secs = floor_div(v, div), frac = v - secs * div;
  int64_t days = floor_div(secs, 86400), sod = secs - days * 86400;
  int n = pq_fmt_date(days, out);
  out[n++] = 'T';
  n += fmt_hms(sod, frac, unit, out + n);
  if (utc) out[n++] = 'Z';
  return n;
}

static bool digits(const char *s, int n, int *v) {
  int x = 0;
  for (int i = 0; i < n; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (d > 9) return false;
    x = x * 10 + (int)d;
  }
  *v = x;
  return true;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool pq_parse_date(const char *s, size_t n, int64_t *days) {
  int y, m, d;
  if (n != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return false;
  static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  if (d > mdays[m - 1] + (m == 2 && is_leap(y))) return false;
  *days = pq_days_from_civil(y, (unsigned)m, (unsigned)d);
  return true;
}

/* HH:MM[:SS[.f...]] at s; returns chars consumed (0 if not a time). */
static size_t parse_hms(const char *s, size_t n, pq_arrow_unit unit, int64_t *v) {
  int h, mi, se = 0;
  if (n < 5 || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &mi)) return 0;
  size_t i = 5;
  if (n >= 8 && s[5] == ':') {
    if (!digits(s + 6, 2, &se)) return 0;
    i = 8;
  }
  if (h > 23 || mi > 59 || se > 60) return 0;
  int64_t frac = 0;
  int nd = 0, want = unit_digits[unit];
  if (i < n && s[i] == '.') {
    i++;
    size_t st = i;
    while (i < n && (unsigned)(s[i] - '0') <= 9) {
      if (nd < want) {
        frac = frac * 10 + (s[i] - '0');
        nd++;
      } /* extra digits beyond the unit are truncated */
      i++;
    }
    if (i == st) return 0;
  }
  for (; nd < want; nd++) frac *= 10;
  *v = ((int64_t)h * 3600 + mi * 60 + se) * unit_div[unit] + frac;
  return i;
}

bool pq_parse_time(const char *s, size_t n, pq_arrow_unit unit, int64_t *v) {
  size_t k = parse_hms(s, n, unit, v);
  return k && k == n;
}

bool pq_parse_timestamp(const char *s, size_t n, pq_arrow_unit unit, int64_t *v, bool *zoned) {
  int64_t days, tod = 0;
  *zoned = false;
  if (n < 10 || !pq_parse_date(s, 10, &days)) return false;
  size_t i = 10;
  if (i < n && (s[i] == 'T' || s[i] == ' ')) {
    size_t k = parse_hms(s + i + 1, n - i - 1, unit, &tod);
    if (!k) return false;
    i += 1 + k;
  }
  int64_t off = 0; /* seconds east of UTC */
  if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
    *zoned = true;
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int oh, om = 0;
    size_t r = n - i - 1;
    const char *t = s + i + 1;
    if (r == 5 && t[2] == ':' && digits(t, 2, &oh) && digits(t + 3, 2, &om)) {
    } else if (r == 4 && digits(t, 2, &oh) && digits(t + 2, 2, &om)) {
    } else if (r == 2 && digits(t, 2, &oh)) {
    } else {
      return false;
    }
    off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    *zoned = true;
    i = n;
  }
  if (i != n) return false;
  int64_t r;
  if (__builtin_mul_overflow(days * 86400 - off, unit_div[unit], &r) ||
      __builtin_add_overflow(r, tod, &r))
    return false;
  *v = r;
  return true;
}
