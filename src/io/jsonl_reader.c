/* jsonl_reader.c — JSON Lines rows into the reader's column builders: one
 * object per line, blank lines skipped, keys not in the schema ignored (also
 * with a fixed schema), missing keys null. Inference lives in infer.c. */
#include "io/io_internal.h"

int pq_jsonl_next_row(pq_text_reader *r, parq_error *err) {
  pq_jctx *c = &r->jc;
  c->err = err;
  for (;;) {
    const char *s;
    size_t n;
    int got = pq_reader_line(r, &r->pos, &s, &n, err);
    if (got <= 0) return got;
    c->p = c->line = s;
    c->end = s + n;
    c->lineno = ++r->lineno;
    c->depth = 0;
    pq_json_ws(c);
    if (c->p == c->end) continue; /* blank line */
    if (*c->p != '{') return pq_json_syntax(c, "expected '{' (each line must hold one JSON object)");
    PARQ_TRY(pq_json_object_into(c, &r->root));
    pq_json_ws(c);
    if (c->p != c->end) return pq_json_syntax(c, "unexpected text after the object");
    return 1;
  }
}
