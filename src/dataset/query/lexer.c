/* lexer.c — turns query text into tokens: identifiers ("quoted" too),
 * 'strings' ('' escapes a quote), integers, decimals with exponents, and
 * operator symbols. Comments (-- to end of line) are skipped. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dataset/query/lexer.h"

static int push(qtoken **v, int *n, int *cap, qtoken t) {
  if (*n == *cap) {
    int nc = *cap ? *cap * 2 : 64;
    qtoken *nv = realloc(*v, (size_t)nc * sizeof *nv);
    if (!nv) return -1;
    *v = nv;
    *cap = nc;
  }
  (*v)[(*n)++] = t;
  return 0;
}

parq_status pq_lex(const char *text, qtoken **out, int *n_out, pq_query_error *err) {
  qtoken *v = NULL;
  int n = 0, cap = 0;
  size_t len = strlen(text);
  if (len > (1u << 30)) return pq_qerr(err, PARQ_EINVAL, -1, "query text too long");
  size_t i = 0;
  for (;;) {
    while (i < len && isspace((unsigned char)text[i])) i++;
    if (i + 1 < len && text[i] == '-' && text[i + 1] == '-') {
      while (i < len && text[i] != '\n') i++;
      continue;
    }
    qtoken t;
    memset(&t, 0, sizeof t);
    t.pos = (int)i;
    if (i >= len) {
      t.kind = TK_EOF;
      if (push(&v, &n, &cap, t)) goto oom;
      break;
    }
    unsigned char c = (unsigned char)text[i];
    if (isalpha(c) || c == '_') {
      while (i < len && (isalnum((unsigned char)text[i]) || text[i] == '_')) i++;
      t.kind = TK_IDENT;
    } else if (c == '"' || c == '\'') {
      size_t j = i + 1;
      for (;;) {
        if (j >= len) {
          free(v);
          return pq_qerr(err, PARQ_EINVAL, (int)i, "unterminated %s",
                         c == '"' ? "quoted identifier" : "string literal");
        }
        if ((unsigned char)text[j] == c) {
          if (j + 1 < len && (unsigned char)text[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      i = j + 1;
      t.kind = c == '"' ? TK_QIDENT : TK_STRING;
    } else if (isdigit(c) || (c == '.' && i + 1 < len && isdigit((unsigned char)text[i + 1]))) {
      int flt = 0;
      while (i < len && isdigit((unsigned char)text[i])) i++;
      if (i < len && text[i] == '.') {
        flt = 1;
        i++;
        while (i < len && isdigit((unsigned char)text[i])) i++;
      }
      if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        size_t j = i + 1;
        if (j < len && (text[j] == '+' || text[j] == '-')) j++;
        if (j < len && isdigit((unsigned char)text[j])) {
          flt = 1;
          i = j;
          while (i < len && isdigit((unsigned char)text[i])) i++;
        }
      }
      t.kind = flt ? TK_FLOAT : TK_INT;
    } else {
      static const char *const two[] = {"<=", ">=", "<>", "!=", "==", "||", "::"};
      t.kind = TK_SYM;
      for (size_t k = 0; k < sizeof two / sizeof *two; k++)
        if (i + 1 < len && text[i] == two[k][0] && text[i + 1] == two[k][1]) {
          memcpy(t.sym, two[k], 2);
          i += 2;
          break;
        }
      if (!t.sym[0]) {
        if (!strchr("(),.*+-/%<>=;", c)) {
          free(v);
          return pq_qerr(err, PARQ_EINVAL, (int)i, "unexpected character '%c'",
                         isprint(c) ? c : '?');
        }
        t.sym[0] = (char)c;
        i++;
      }
    }
    t.len = (int)(i - (size_t)t.pos);
    if (push(&v, &n, &cap, t)) goto oom;
  }
  *out = v;
  *n_out = n;
  return PARQ_OK;
oom:
  free(v);
  return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory tokenising the query");
}
