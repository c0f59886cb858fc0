/* store_import.c — bringing an existing JSON store in (a JSON array of
 * objects is streamed into a temporary JSON Lines file, element by element,
 * so memory stays bounded), and the `--where` expression parser. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset/store.h"
#include "util/error.h"

/* Copy the elements of a top-level JSON array to `out`, one per line. */
static parq_status array_to_jsonl(FILE *in, FILE *out, const char *path, parq_error *err) {
  int c, depth = 0, in_str = 0, esc = 0, started = 0;
  int64_t off = 0;
  while ((c = getc(in)) != EOF) {
    off++;
    if (!started) {
      if (isspace(c)) continue;
      if (c != '[') return parq_err_set(err, PARQ_ECORRUPT, "%s: expected '['", path);
      started = 1;
      continue;
    }
    if (in_str) {
      if (esc) esc = 0;
      else if (c == '\\') esc = 1;
      else if (c == '"') in_str = 0;
      putc(c, out);
      continue;
    }
    if (depth == 0) {
      if (isspace(c)) continue;
      if (c == ',') {
        putc('\n', out);
        continue;
      }
      if (c == ']') {
        putc('\n', out);
        return ferror(out) ? parq_err_errno(err, "write temporary JSONL") : PARQ_OK;
      }
    }
    if (c == '"') in_str = 1;
    else if (c == '{' || c == '[') depth++;
    else if (c == '}' || c == ']') {
      if (--depth < 0)
        return parq_err_set(err, PARQ_ECORRUPT, "%s: unbalanced brackets at byte %lld", path,
                            (long long)off);
    }
    if (depth == 0 && isspace(c)) continue;
    putc(c, out);
  }
  return parq_err_set(err, PARQ_ECORRUPT, "%s: unterminated JSON array", path);
}

parq_status parq_store_import(const char *dir, const char *path, char **name_out,
                              int64_t *rows_out, parq_error *err) {
  FILE *in = fopen(path, "rb");
  if (!in) return parq_err_errno(err, "open %s", path);
  int c;
  while ((c = getc(in)) != EOF && isspace(c)) {
  }
  if (c != '[') {
    fclose(in);
    /* JSON Lines (one object per line): append as is. */
    return parq_store_append_file(dir, path, name_out, rows_out, err);
  }
  rewind(in);
  char name[96];
  snprintf(name, sizeof name, ".import-%ld-%016llx.jsonl", (long)getpid(),
           (unsigned long long)pq_store_random64());
  char *tp = pq_store_path(dir, "increments", name);
  if (!tp) {
    fclose(in);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  FILE *out = fopen(tp, "wb");
  parq_status st;
  if (!out) st = parq_err_errno(err, "create %s", tp);
  else {
    st = array_to_jsonl(in, out, path, err);
    if (fclose(out) != 0 && !st) st = parq_err_errno(err, "write %s", tp);
    if (!st) st = parq_store_append_file(dir, tp, name_out, rows_out, err);
    unlink(tp);
  }
  fclose(in);
  free(tp);
  return st;
}

/* ---------------- --where ---------------- */

static const char *skip_ws(const char *p) {
  while (*p && isspace((unsigned char)*p)) p++;
  return p;
}

parq_status pq_store_parse_where(const char *expr, parq_predicate **out, size_t *n, char **store,
                                 parq_error *err) {
  *out = NULL;
  *n = 0;
  *store = NULL;
  size_t len = strlen(expr);
  char *buf = malloc(len * 2 + 2);
  parq_predicate *pv = calloc(len / 2 + 2, sizeof *pv);
  if (!buf || !pv) {
    free(buf);
    free(pv);
    return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  }
  char *w = buf;
  size_t np = 0;
  const char *p = skip_ws(expr);
  parq_status st = PARQ_OK;
  while (*p && !st) {
    parq_predicate *q = &pv[np];
    /* column */
    const char *s = p;
    while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '.')) p++;
    if (p == s) {
      st = parq_err_set(err, PARQ_EINVAL, "--where: expected a column name at '%s'", s);
      break;
    }
    q->column = w;
    memcpy(w, s, (size_t)(p - s));
    w += p - s;
    *w++ = 0;
    p = skip_ws(p);
    /* operator */
    if (!strncmp(p, "!=", 2)) q->op = PARQ_CMP_NE, p += 2;
    else if (!strncmp(p, "<=", 2)) q->op = PARQ_CMP_LE, p += 2;
    else if (!strncmp(p, ">=", 2)) q->op = PARQ_CMP_GE, p += 2;
    else if (!strncmp(p, "==", 2)) q->op = PARQ_CMP_EQ, p += 2;
    else if (*p == '=') q->op = PARQ_CMP_EQ, p++;
    else if (*p == '<') q->op = PARQ_CMP_LT, p++;
    else if (*p == '>') q->op = PARQ_CMP_GT, p++;
    else {
      st = parq_err_set(err, PARQ_EINVAL, "--where: expected = != < <= > >= after '%s'",
                        q->column);
      break;
    }
    p = skip_ws(p);
    /* literal */
    if (*p == '\'' || *p == '"') {
      char quote = *p++;
      q->kind = PARQ_VALUE_STRING;
      q->s = w;
      while (*p && *p != quote) *w++ = *p++;
      if (*p != quote) {
        st = parq_err_set(err, PARQ_EINVAL, "--where: unterminated string");
        break;
      }
      p++;
      q->s_len = (size_t)(w - q->s);
      *w++ = 0;
    } else {
      s = p;
      while (*p && !isspace((unsigned char)*p)) p++;
      if (p == s) {
        st = parq_err_set(err, PARQ_EINVAL, "--where: missing value after '%s'", q->column);
        break;
      }
      size_t l = (size_t)(p - s);
      char tmp[64];
      char *end = NULL;
      if (l == 4 && !strncasecmp(s, "null", 4)) {
        if (q->op != PARQ_CMP_EQ && q->op != PARQ_CMP_NE) {
          st = parq_err_set(err, PARQ_EINVAL, "--where: null only with = or !=");
          break;
        }
        q->op = q->op == PARQ_CMP_EQ ? PARQ_CMP_IS_NULL : PARQ_CMP_IS_NOT_NULL;
        q->kind = PARQ_VALUE_NULL;
      } else if (l < sizeof tmp && (snprintf(tmp, sizeof tmp, "%.*s", (int)l, s),
                                    errno = 0, q->i = strtoll(tmp, &end, 10),
                                    end && !*end && errno == 0)) {
        q->kind = PARQ_VALUE_INT;
      } else if (l < sizeof tmp && (q->d = strtod(tmp, &end), end && !*end)) {
        q->kind = PARQ_VALUE_DOUBLE;
      } else {
        q->kind = PARQ_VALUE_STRING; /* a bare word */
        q->s = w;
        memcpy(w, s, l);
        w += l;
        q->s_len = l;
        *w++ = 0;
      }
    }
    np++;
    p = skip_ws(p);
    if (!*p) break;
    if (strncasecmp(p, "and", 3) || !isspace((unsigned char)p[3])) {
      st = parq_err_set(err, PARQ_EINVAL, "--where: expected AND at '%s'", p);
      break;
    }
    p = skip_ws(p + 3);
    if (!*p) st = parq_err_set(err, PARQ_EINVAL, "--where: nothing after AND");
  }
  if (!st && np == 0) st = parq_err_set(err, PARQ_EINVAL, "--where: empty expression");
  if (st) {
    free(buf);
    free(pv);
    return st;
  }
  *out = pv;
  *n = np;
  *store = buf;
  return PARQ_OK;
}
