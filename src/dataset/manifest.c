/* manifest.c — manifest.json of a shard directory, and the small JSON scanner
 * shared with the stream's resume-state parser. The scanner validates as it
 * goes and never reads past `end`; nesting is capped so hostile input cannot
 * exhaust the stack. */
#include "dataset/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

#define MJSON_MAX_DEPTH 64
#define MANIFEST_MAX_BYTES ((int64_t)256 << 20)

void pq_mjson_init(pq_mjson *j, const char *text, size_t len, const char *what, parq_error *err) {
  j->p = j->start = text;
  j->end = text + len;
  j->what = what;
  j->err = err;
  j->depth = 0;
}

void pq_mjson_ws(pq_mjson *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')) j->p++;
}

parq_status pq_mjson_fail(pq_mjson *j, const char *msg) {
  return parq_err_set(j->err, PARQ_ECORRUPT, "%s: %s at byte %lld", j->what, msg,
                      (long long)(j->p - j->start));
}

int pq_mjson_eat(pq_mjson *j, char c) {
  pq_mjson_ws(j);
  if (j->p < j->end && *j->p == c) {
    j->p++;
    return 1;
  }
  return 0;
}

parq_status pq_mjson_expect(pq_mjson *j, char c) {
  if (pq_mjson_eat(j, c)) return PARQ_OK;
  char msg[32];
  snprintf(msg, sizeof msg, "expected '%c'", c);
  return pq_mjson_fail(j, msg);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static parq_status put_utf8(parq_buf *out, uint32_t cp) {
  uint8_t b[4];
  size_t n;
  if (cp < 0x80) b[0] = (uint8_t)cp, n = 1;
  else if (cp < 0x800) b[0] = (uint8_t)(0xC0 | (cp >> 6)), b[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    b[0] = (uint8_t)(0xE0 | (cp >> 12)), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)),
    b[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
  else
    b[0] = (uint8_t)(0xF0 | (cp >> 18)), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)),
    b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
  return parq_buf_append(out, b, n);
}

static parq_status read_hex4(pq_mjson *j, uint32_t *cp) {
  if (j->end - j->p < 4) return pq_mjson_fail(j, "truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(j->p[i]);
    if (h < 0) return pq_mjson_fail(j, "bad \\u escape");
    v = v << 4 | (uint32_t)h;
  }
  j->p += 4;
  *cp = v;
  return PARQ_OK;
}

parq_status pq_mjson_string(pq_mjson *j, parq_buf *out) {
  parq_buf_clear(out);
  pq_mjson_ws(j);
  if (j->p >= j->end || *j->p != '"') return pq_mjson_fail(j, "expected a string");
  j->p++;
  for (;;) {
    if (j->p >= j->end) return pq_mjson_fail(j, "unterminated string");
    char c = *j->p++;
    if (c == '"') break;
    if ((unsigned char)c < 0x20) return pq_mjson_fail(j, "control character in string");
    if (c != '\\') {
      if (parq_buf_append_byte(out, (uint8_t)c)) return parq_err_set(j->err, PARQ_ENOMEM, "out of memory");
      continue;
    }
    if (j->p >= j->end) return pq_mjson_fail(j, "unterminated escape");
    char e = *j->p++;
    char lit = 0;
    switch (e) {
      case '"': lit = '"'; break;
      case '\\': lit = '\\'; break;
      case '/': lit = '/'; break;
      case 'b': lit = '\b'; break;
      case 'f': lit = '\f'; break;
      case 'n': lit = '\n'; break;
      case 'r': lit = '\r'; break;
      case 't': lit = '\t'; break;
      case 'u': {
        uint32_t cp;
        PARQ_TRY(read_hex4(j, &cp));
        if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
          j->p += 2;
          uint32_t lo;
          PARQ_TRY(read_hex4(j, &lo));
          if (lo < 0xDC00 || lo > 0xDFFF) return pq_mjson_fail(j, "bad surrogate pair");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (put_utf8(out, cp)) return parq_err_set(j->err, PARQ_ENOMEM, "out of memory");
        continue;
      }
      default: return pq_mjson_fail(j, "bad escape");
    }
    if (parq_buf_append_byte(out, (uint8_t)lit)) return parq_err_set(j->err, PARQ_ENOMEM, "out of memory");
  }
  if (parq_buf_append_byte(out, 0)) return parq_err_set(j->err, PARQ_ENOMEM, "out of memory");
  out->len--; /* keep the NUL outside the logical length */
  return PARQ_OK;
}

parq_status pq_mjson_uint(pq_mjson *j, uint64_t *out) {
  pq_mjson_ws(j);
  if (j->p >= j->end || *j->p < '0' || *j->p > '9') return pq_mjson_fail(j, "expected an unsigned integer");
  uint64_t v = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
    uint64_t d = (uint64_t)(*j->p - '0');
    if (v > (UINT64_MAX - d) / 10) return pq_mjson_fail(j, "integer overflow");
    v = v * 10 + d;
    j->p++;
  }
  if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')) return pq_mjson_fail(j, "expected an integer");
  *out = v;
  return PARQ_OK;
}

parq_status pq_mjson_int(pq_mjson *j, int64_t *out) {
  int neg = pq_mjson_eat(j, '-');
  uint64_t v;
  PARQ_TRY(pq_mjson_uint(j, &v));
  if (v > (uint64_t)INT64_MAX + (uint64_t)neg) return pq_mjson_fail(j, "integer overflow");
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return PARQ_OK;
}

parq_status pq_mjson_skip(pq_mjson *j) {
  pq_mjson_ws(j);
  if (j->p >= j->end) return pq_mjson_fail(j, "expected a value");
  char c = *j->p;
  if (c == '"') {
    parq_buf tmp = PARQ_BUF_INIT;
    parq_status st = pq_mjson_string(j, &tmp);
    parq_buf_free(&tmp);
    return st;
  }
  if (c == '{' || c == '[') {
    if (++j->depth > MJSON_MAX_DEPTH) return pq_mjson_fail(j, "nesting too deep");
    char close = c == '{' ? '}' : ']';
    j->p++;
    if (pq_mjson_eat(j, close)) {
      j->depth--;
      return PARQ_OK;
    }
    for (;;) {
      if (c == '{') {
        parq_buf tmp = PARQ_BUF_INIT;
        parq_status st = pq_mjson_string(j, &tmp);
        parq_buf_free(&tmp);
        PARQ_TRY(st);
        PARQ_TRY(pq_mjson_expect(j, ':'));
      }
      PARQ_TRY(pq_mjson_skip(j));
      if (pq_mjson_eat(j, ',')) continue;
      PARQ_TRY(pq_mjson_expect(j, close));
      j->depth--;
      return PARQ_OK;
    }
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    const char *s = j->p;
    if (*j->p == '-') j->p++;
    while (j->p < j->end && strchr("0123456789.eE+-", *j->p)) j->p++;
    if (j->p == s + (c == '-')) return pq_mjson_fail(j, "bad number");
    return PARQ_OK;
  }
  static const char *const words[] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(words[i]);
    if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i], n)) {
      j->p += n;
      return PARQ_OK;
    }
  }
  return pq_mjson_fail(j, "unexpected character");
}

parq_status pq_mjson_next_key(pq_mjson *j, int first, parq_buf *key) {
  if (first) {
    PARQ_TRY(pq_mjson_expect(j, '{'));
    if (pq_mjson_eat(j, '}')) return PARQ_DONE;
  } else {
    if (pq_mjson_eat(j, '}')) return PARQ_DONE;
    PARQ_TRY(pq_mjson_expect(j, ','));
  }
  PARQ_TRY(pq_mjson_string(j, key));
  PARQ_TRY(pq_mjson_expect(j, ':'));
  return PARQ_OK;
}

/* ---------------- manifest.json ---------------- */

void pq_manifest_free(char **paths, size_t n) {
  if (!paths) return;
  for (size_t i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

static parq_status read_file(const char *path, char **out, size_t *len, parq_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return PARQ_DONE;
    return parq_err_errno(err, "%s", path);
  }
  struct stat sb;
  if (fstat(fd, &sb) < 0) {
    parq_status st = parq_err_errno(err, "%s", path);
    close(fd);
    return st;
  }
  if (sb.st_size > MANIFEST_MAX_BYTES) {
    close(fd);
    return parq_err_set(err, PARQ_ENOMEM, "%s: %lld bytes is too large for a manifest", path, (long long)sb.st_size);
  }
  size_t n = (size_t)sb.st_size, done = 0;
  char *buf = malloc(n + 1);
  if (!buf) {
    close(fd);
    return parq_err_set(err, PARQ_ENOMEM, "%s: out of memory", path);
  }
  while (done < n) {
    ssize_t k = read(fd, buf + done, n - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break; /* a file shrinking under us: parse what we have */
    done += (size_t)k;
  }
  close(fd);
  buf[done] = 0;
  *out = buf;
  *len = done;
  return PARQ_OK;
}

/* Append DIR/p (or p when absolute) to the growing list. */
static parq_status push_path(const char *dir, const char *p, char ***list, size_t *n, size_t *cap,
                             parq_error *err) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    char **t = realloc(*list, nc * sizeof *t);
    if (!t) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    *list = t;
    *cap = nc;
  }
  size_t dl = strlen(dir), pl = strlen(p);
  char *s = malloc(dl + pl + 2);
  if (!s) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  if (p[0] == '/') {
    memcpy(s, p, pl + 1);
  } else {
    memcpy(s, dir, dl);
    size_t k = dl;
    if (k && s[k - 1] != '/') s[k++] = '/';
    memcpy(s + k, p, pl + 1);
  }
  (*list)[(*n)++] = s;
  return PARQ_OK;
}

static parq_status parse_shards(pq_mjson *j, const char *dir, char ***list, size_t *n, size_t *cap,
                                parq_buf *key, parq_buf *val) {
  PARQ_TRY(pq_mjson_expect(j, '['));
  if (pq_mjson_eat(j, ']')) return PARQ_OK;
  for (;;) {
    int have_path = 0;
    parq_status st = pq_mjson_next_key(j, 1, key);
    while (st == PARQ_OK) {
      if (!strcmp((char *)key->data, "path")) {
        PARQ_TRY(pq_mjson_string(j, val));
        if (val->len == 0 || memchr(val->data, 0, val->len))
          return pq_mjson_fail(j, "shard path is empty or contains NUL");
        PARQ_TRY(push_path(dir, (char *)val->data, list, n, cap, j->err));
        have_path = 1;
      } else {
        PARQ_TRY(pq_mjson_skip(j));
      }
      st = pq_mjson_next_key(j, 0, key);
    }
    if (st < 0) return st;
    if (!have_path) return pq_mjson_fail(j, "shard entry without \"path\"");
    if (pq_mjson_eat(j, ',')) continue;
    return pq_mjson_expect(j, ']');
  }
}

parq_status pq_manifest_load(const char *dir, char ***paths, size_t *n_out, parq_error *err) {
  *paths = NULL;
  *n_out = 0;
  size_t dl = strlen(dir);
  char *mpath = malloc(dl + 16);
  if (!mpath) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  snprintf(mpath, dl + 16, "%s%smanifest.json", dir, dl && dir[dl - 1] == '/' ? "" : "/");
  char *text = NULL;
  size_t len = 0;
  parq_status st = read_file(mpath, &text, &len, err);
  if (st != PARQ_OK) {
    free(mpath);
    return st;
  }
  pq_mjson j;
  pq_mjson_init(&j, text, len, mpath, err);
  parq_buf key = PARQ_BUF_INIT, val = PARQ_BUF_INIT;
  char **list = NULL;
  size_t n = 0, cap = 0;
  int seen = 0;
  st = pq_mjson_next_key(&j, 1, &key);
  while (st == PARQ_OK) {
    if (!strcmp((char *)key.data, "shards")) {
      st = parse_shards(&j, dir, &list, &n, &cap, &key, &val);
      seen = 1;
    } else {
      st = pq_mjson_skip(&j);
    }
    if (st == PARQ_OK) st = pq_mjson_next_key(&j, 0, &key);
  }
  if (st == PARQ_DONE) {
    pq_mjson_ws(&j);
    if (j.p != j.end) st = pq_mjson_fail(&j, "trailing characters after the document");
    else if (!seen) st = parq_err_set(err, PARQ_ECORRUPT, "%s: no \"shards\" array", mpath);
    else st = PARQ_OK;
  }
  parq_buf_free(&key);
  parq_buf_free(&val);
  free(text);
  free(mpath);
  if (st != PARQ_OK) {
    pq_manifest_free(list, n);
    return st;
  }
  *paths = list;
  *n_out = n;
  return PARQ_OK;
}
