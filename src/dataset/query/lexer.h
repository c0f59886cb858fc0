/* lexer.h — SQL tokens for the parq query parser. Keywords are plain
 * identifiers; the parser matches them case-insensitively. */
#ifndef PARQ_QUERY_LEXER_H
#define PARQ_QUERY_LEXER_H
#include "dataset/query/query.h"

typedef enum { TK_EOF, TK_IDENT, TK_QIDENT, TK_STRING, TK_INT, TK_FLOAT, TK_SYM } tk_kind;

typedef struct qtoken {
  tk_kind kind;
  int pos, len; /* bytes in the query text (quotes included) */
  char sym[3];  /* TK_SYM: "(", "<=", "::", ... */
} qtoken;

/* Tokenise the whole text into *out (malloc'ed, ends with TK_EOF). */
parq_status pq_lex(const char *text, qtoken **out, int *n, pq_query_error *err);
#endif
