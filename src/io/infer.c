/* infer.c — JSON Lines schema inference over a read-ahead sample.
 *
 * Rules: objects => struct (fields in first-seen order, union of keys; a
 * missing key reads as null), arrays => list of the unified element type,
 * integers => int64 (integers too big for int64 => double), other numbers =>
 * double, int + double => double, booleans => bool, strings => utf8. Columns
 * that are null in every sampled row (and empty arrays' elements, and objects
 * that never had a key) become nullable utf8. Conflicting kinds (string vs
 * number, object vs scalar, ...) widen to utf8 holding the value's JSON text
 * (strings keep their decoded text) — DuckDB would type such a column JSON;
 * utf8 keeps the output readable by every Parquet consumer. All fields are
 * nullable. The sample is not consumed: the reader replays it afterwards. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io_internal.h"

enum { IK_NULL, IK_BOOL, IK_INT, IK_DOUBLE, IK_STRING, IK_TEXT, IK_LIST, IK_STRUCT };

typedef struct inode {
  int kind;
  struct inode *elem;   /* IK_LIST */
  struct inode *kids;   /* IK_STRUCT fields */
  char **names;
  size_t *lens;
  int n, cap, hint;
} inode;

static void inode_free(inode *n) {
  if (n->elem) {
    inode_free(n->elem);
    free(n->elem);
  }
  for (int i = 0; i < n->n; i++) {
    inode_free(&n->kids[i]);
    free(n->names[i]);
  }
  free(n->kids);
  free(n->names);
  free(n->lens);
  memset(n, 0, sizeof *n);
}

static void observe(inode *n, int k) {
  if (n->kind == k || n->kind == IK_TEXT) return;
  if (n->kind == IK_NULL) n->kind = k;
  else if ((n->kind == IK_INT && k == IK_DOUBLE) || (n->kind == IK_DOUBLE && k == IK_INT))
    n->kind = IK_DOUBLE;
  else
    n->kind = IK_TEXT;
}

static parq_status infer_value(pq_jctx *c, inode *n);

static parq_status add_field(inode *n, const char *k, size_t kl, int *idx) {
  if (n->n == n->cap) {
    int cap = n->cap ? n->cap * 2 : 8;
    inode *kids = realloc(n->kids, (size_t)cap * sizeof *kids);
    if (!kids) return PARQ_ENOMEM;
    n->kids = kids;
    char **names = realloc(n->names, (size_t)cap * sizeof *names);
    if (!names) return PARQ_ENOMEM;
    n->names = names;
    size_t *lens = realloc(n->lens, (size_t)cap * sizeof *lens);
    if (!lens) return PARQ_ENOMEM;
    n->lens = lens;
    n->cap = cap;
  }
  char *nm = malloc(kl + 1);
  if (!nm) return PARQ_ENOMEM;
  memcpy(nm, k, kl);
  nm[kl] = 0;
  memset(&n->kids[n->n], 0, sizeof(inode));
  n->names[n->n] = nm;
  n->lens[n->n] = kl;
  *idx = n->n++;
  return PARQ_OK;
}

static parq_status infer_object(pq_jctx *c, inode *n) {
  if (++c->depth > PQ_JSON_MAX_DEPTH) return pq_json_syntax(c, "nesting too deep");
  c->p++;
  pq_json_ws(c);
  if (c->p < c->end && *c->p == '}') {
    c->p++;
    c->depth--;
    return PARQ_OK;
  }
  for (;;) {
    if (c->p >= c->end || *c->p != '"') return pq_json_syntax(c, "expected '\"' (object key)");
    c->scratch.len = 0;
    PARQ_TRY(pq_json_string(c, &c->scratch));
    const char *k = (const char *)c->scratch.data;
    size_t kl = c->scratch.len;
    int fi = -1;
    if (n->hint < n->n && n->lens[n->hint] == kl && !memcmp(n->names[n->hint], k, kl)) fi = n->hint;
    for (int i = 0; fi < 0 && i < n->n; i++)
      if (n->lens[i] == kl && !memcmp(n->names[i], k, kl)) fi = i;
    if (fi < 0 && add_field(n, k, kl, &fi)) return parq_err_set(c->err, PARQ_ENOMEM, "out of memory");
    n->hint = fi + 1;
    pq_json_ws(c);
    if (c->p >= c->end || *c->p != ':') return pq_json_syntax(c, "expected ':'");
    c->p++;
    pq_json_ws(c);
    PARQ_TRY(infer_value(c, &n->kids[fi]));
    pq_json_ws(c);
    if (c->p < c->end && *c->p == ',') {
      c->p++;
      pq_json_ws(c);
      continue;
    }
    if (c->p < c->end && *c->p == '}') {
      c->p++;
      break;
    }
    return pq_json_syntax(c, "expected ',' or '}'");
  }
  n->hint = 0;
  c->depth--;
  return PARQ_OK;
}

static parq_status infer_value(pq_jctx *c, inode *n) {
  if (c->p >= c->end) return pq_json_syntax(c, "expected a value");
  char ch = *c->p;
  if (n->kind == IK_TEXT) return pq_json_skip_value(c);
  switch (ch) {
    case 'n': return pq_json_word(c, "null", 4);
    case 't': observe(n, IK_BOOL); return pq_json_word(c, "true", 4);
    case 'f': observe(n, IK_BOOL); return pq_json_word(c, "false", 5);
    case '"': observe(n, IK_STRING); return pq_json_skip_string(c);
    case '{':
      observe(n, IK_STRUCT);
      if (n->kind != IK_STRUCT) return pq_json_skip_value(c);
      return infer_object(c, n);
    case '[':
      observe(n, IK_LIST);
      if (n->kind != IK_LIST) return pq_json_skip_value(c);
      if (!n->elem && !(n->elem = calloc(1, sizeof *n->elem)))
        return parq_err_set(c->err, PARQ_ENOMEM, "out of memory");
      if (++c->depth > PQ_JSON_MAX_DEPTH) return pq_json_syntax(c, "nesting too deep");
      c->p++;
      pq_json_ws(c);
      if (c->p < c->end && *c->p == ']') {
        c->p++;
        c->depth--;
        return PARQ_OK;
      }
      for (;;) {
        PARQ_TRY(infer_value(c, n->elem));
        pq_json_ws(c);
        if (c->p < c->end && *c->p == ',') {
          c->p++;
          pq_json_ws(c);
          continue;
        }
        if (c->p < c->end && *c->p == ']') {
          c->p++;
          c->depth--;
          return PARQ_OK;
        }
        return pq_json_syntax(c, "expected ',' or ']'");
      }
    default: {
      const char *s;
      size_t len;
      bool is_int;
      if (ch != '-' && (unsigned)(ch - '0') > 9) return pq_json_syntax(c, "expected a value");
      PARQ_TRY(pq_json_number(c, &s, &len, &is_int));
      int64_t v;
      observe(n, is_int && pq_parse_i64(s, len, &v) ? IK_INT : IK_DOUBLE);
      return PARQ_OK;
    }
  }
}

static parq_status to_schema(const inode *n, struct ArrowSchema *out, const char *name, int64_t flags) {
  const char *fmt = "u";
  int64_t nk = 0;
  switch (n->kind) {
    case IK_BOOL: fmt = "b"; break;
    case IK_INT: fmt = "l"; break;
    case IK_DOUBLE: fmt = "g"; break;
    case IK_LIST: fmt = "+l"; nk = 1; break;
    case IK_STRUCT:
      if (n->n > 0) {
        fmt = "+s";
        nk = n->n;
      }
      break;
    default: break;
  }
  PARQ_TRY(pq_arrow_schema_init(out, fmt, name, flags, nk));
  parq_status st = PARQ_OK;
  if (n->kind == IK_LIST) {
    static const inode none = {0};
    st = to_schema(n->elem ? n->elem : &none, out->children[0], "item", ARROW_FLAG_NULLABLE);
  } else if (nk) {
    for (int i = 0; i < n->n && !st; i++)
      st = to_schema(&n->kids[i], out->children[i], n->names[i], ARROW_FLAG_NULLABLE);
  }
  if (st) pq_arrow_schema_release(out);
  return st;
}

parq_status pq_jsonl_infer(pq_text_reader *r, struct ArrowSchema *out, parq_error *err) {
  inode root = {0};
  root.kind = IK_STRUCT;
  size_t cur = r->pos;
  int64_t rows = 0, line = r->lineno;
  pq_jctx *c = &r->jc;
  c->err = err;
  c->file = r->path;
  parq_status st = PARQ_OK;
  r->discard_sample = r->total >= 0 && r->pos == 0 && r->file_off == 0;
  while (rows < r->infer_rows) {
    const char *s;
    size_t n;
    int got = pq_reader_line(r, &cur, &s, &n, err);
    if (got < 0) {
      st = (parq_status)got;
      break;
    }
    if (got == 0) break;
    c->p = c->line = s;
    c->end = s + n;
    c->lineno = ++line;
    c->depth = 0;
    pq_json_ws(c);
    if (c->p == c->end) continue;
    if (*c->p != '{') {
      st = pq_json_syntax(c, "expected '{' (each line must hold one JSON object)");
      break;
    }
    if ((st = infer_object(c, &root))) break;
    pq_json_ws(c);
    if (c->p != c->end) {
      st = pq_json_syntax(c, "unexpected text after the object");
      break;
    }
    rows++;
  }
  if (r->discard_sample) {
    /* Rewind: the rows are read again for real. */
    r->discard_sample = false;
    if (lseek(r->fd, 0, SEEK_SET) != 0) {
      if (!st) st = parq_err_errno(err, "%s: cannot rewind after schema inference", r->path);
    } else {
      r->pos = r->len = 0;
      r->eof = false;
      r->file_off = 0;
    }
  }
  if (!st) {
    /* The top level stays a struct even with no keys at all. */
    st = pq_arrow_schema_init(out, "+s", "", 0, root.n);
    for (int i = 0; i < root.n && !st; i++)
      st = to_schema(&root.kids[i], out->children[i], root.names[i], ARROW_FLAG_NULLABLE);
    if (st) {
      pq_arrow_schema_release(out);
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    }
  }
  inode_free(&root);
  return st;
}
