/* schema.c — builds the schema tree from SchemaElements, assigns definition /
 * repetition levels, resolves LIST/MAP annotations (including the legacy
 * forms listed in LogicalTypes.md "backward-compatibility rules"), and maps
 * nodes to Arrow types. */
#include "file/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define MAX_DEPTH 64

typedef struct builder {
  const pq_schema_element *elems;
  uint32_t n, pos;
  pq_schema *s;
  parq_error *err;
  int n_leaves, cap_leaves;
} builder;

static pq_node *new_node(builder *b, pq_node_kind kind, const pq_schema_element *e, pq_node *parent) {
  pq_node *n = parq_arena_alloc(&b->s->arena, sizeof *n);
  if (!n) return NULL;
  n->kind = kind;
  n->elem = e;
  n->name = e->name ? e->name : "";
  n->parent = parent;
  return n;
}

static bool is_list_annotated(const pq_schema_element *e) {
  return e->logical.kind == PQ_LT_LIST || e->converted_type == PQ_CT_LIST;
}
static bool is_map_annotated(const pq_schema_element *e) {
  return e->logical.kind == PQ_LT_MAP || e->converted_type == PQ_CT_MAP ||
         e->converted_type == PQ_CT_MAP_KEY_VALUE;
}

static parq_status add_leaf(builder *b, pq_node *n, int16_t def, int16_t rep) {
  pq_schema *s = b->s;
  if (b->n_leaves == b->cap_leaves) {
    int cap = b->cap_leaves ? b->cap_leaves * 2 : 16;
    pq_leaf *nl = parq_arena_calloc(&s->arena, (size_t)cap, sizeof *nl);
    if (!nl) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
    if (b->n_leaves) memcpy(nl, s->leaves, (size_t)b->n_leaves * sizeof *nl);
    s->leaves = nl;
    b->cap_leaves = cap;
  }
  pq_leaf *l = &s->leaves[b->n_leaves++];
  l->elem = n->elem;
  l->node = n;
  l->max_def = def;
  l->max_rep = rep;
  l->type = n->elem->type;
  l->type_length = n->elem->has_type_length ? n->elem->type_length : 0;
  return PARQ_OK;
}

/* Parse element at b->pos (and its subtree) into a node. def/rep are the
 * levels of the parent. For a repeated element that is not the repeated child
 * of a LIST/MAP, this returns a synthetic LIST node wrapping it. */
static parq_status parse(builder *b, pq_node *parent, int16_t def, int16_t rep, int depth,
                         bool as_element, pq_node **out);

static parq_status parse_children(builder *b, pq_node *n, const pq_schema_element *e,
                                  int16_t def, int16_t rep, int depth) {
  int32_t nc = e->num_children;
  if (nc <= 0) return parq_err_set(b->err, PARQ_ECORRUPT, "schema: group '%s' has no children", n->name);
  if ((uint32_t)nc > b->n - b->pos)
    return parq_err_set(b->err, PARQ_ECORRUPT, "schema: group '%s' claims %d children, only %u elements left",
                        n->name, nc, b->n - b->pos);
  n->children = parq_arena_calloc(&b->s->arena, (size_t)nc, sizeof(pq_node *));
  if (!n->children) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
  n->n_children = nc;
  for (int32_t i = 0; i < nc; i++)
    PARQ_TRY(parse(b, n, def, rep, depth + 1, false, &n->children[i]));
  return PARQ_OK;
}

/* Element node for a repeated element R (of a LIST, or bare): R itself as a
 * required struct/primitive at R's levels. */
static parq_status parse_repeated_as_element(builder *b, pq_node *list, const pq_schema_element *r,
                                             int16_t def, int16_t rep, int depth, pq_node **out);

/* A LIST/MAP-annotated group whose single child (at b->pos) is repeated. */
static bool list_like(const builder *b, const pq_schema_element *e) {
  bool group = e->has_num_children && e->num_children > 0;
  return group && (is_list_annotated(e) || is_map_annotated(e)) && e->num_children == 1 && b->pos < b->n &&
         b->elems[b->pos].has_repetition && b->elems[b->pos].repetition == PQ_REPEATED;
}

/* Parse a list-like group e (already consumed) as a LIST or MAP node present
 * at definition level mydef. */
static parq_status parse_list_like(builder *b, pq_node *parent, const pq_schema_element *e, int16_t mydef,
                                   int16_t rep, bool nullable, int depth, pq_node **out) {
  const pq_schema_element *r = &b->elems[b->pos];
  bool r_group = r->has_num_children && r->num_children > 0;
  pq_node *n = new_node(b, PQ_NODE_LIST, e, parent);
  if (!n) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
  n->def_level = mydef;
  n->rep_level = rep;
  n->nullable = nullable;
  n->rep_def_level = (int16_t)(mydef + 1);
  n->list_rep_level = (int16_t)(rep + 1);
  n->leaf_begin = b->n_leaves;
  n->children = parq_arena_calloc(&b->s->arena, 2, sizeof(pq_node *));
  if (!n->children) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
  n->n_children = 1;
  b->pos++; /* consume r */
  int16_t rdef = n->rep_def_level, rrep = n->list_rep_level;
  if (is_map_annotated(e) && r_group && r->num_children == 2) {
    n->kind = PQ_NODE_MAP;
    n->n_children = 2;
    PARQ_TRY(parse(b, n, rdef, rrep, depth + 1, true, &n->children[0]));
    PARQ_TRY(parse(b, n, rdef, rrep, depth + 1, true, &n->children[1]));
  } else {
    bool legacy_elem = !r_group || r->num_children != 1 || !strcmp(r->name ? r->name : "", "array");
    if (!legacy_elem && r->name) {
      char tuple[512];
      snprintf(tuple, sizeof tuple, "%s_tuple", e->name);
      if (!strcmp(r->name, tuple)) legacy_elem = true;
    }
    /* A MAP with a key-only repeated group reads as a list of structs. */
    if (is_map_annotated(e) && r_group) legacy_elem = true;
    if (legacy_elem) {
      PARQ_TRY(parse_repeated_as_element(b, n, r, rdef, rrep, depth + 1, &n->children[0]));
    } else {
      PARQ_TRY(parse(b, n, rdef, rrep, depth + 1, true, &n->children[0]));
    }
  }
  n->leaf_end = b->n_leaves;
  *out = n;
  return PARQ_OK;
}

static parq_status parse_repeated_as_element(builder *b, pq_node *list, const pq_schema_element *r,
                                             int16_t def, int16_t rep, int depth, pq_node **out) {
  bool group = r->has_num_children && r->num_children > 0 && !r->has_type;
  /* A repeated element that is itself LIST/MAP-annotated (legacy 2-level
   * nesting, e.g. old_list_structure.parquet) is a required list. */
  if (group && list_like(b, r)) return parse_list_like(b, list, r, def, rep, false, depth + 1, out);
  pq_node *el = new_node(b, group ? PQ_NODE_STRUCT : PQ_NODE_PRIMITIVE, r, list);
  if (!el) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
  el->def_level = def;
  el->rep_level = rep;
  el->nullable = false;
  el->leaf_begin = b->n_leaves;
  if (group) {
    PARQ_TRY(parse_children(b, el, r, def, rep, depth));
  } else {
    PARQ_TRY(add_leaf(b, el, def, rep));
  }
  el->leaf_end = b->n_leaves;
  *out = el;
  return PARQ_OK;
}

static parq_status parse(builder *b, pq_node *parent, int16_t def, int16_t rep, int depth,
                         bool as_element, pq_node **out) {
  (void)as_element;
  if (depth > MAX_DEPTH) return parq_err_set(b->err, PARQ_ECORRUPT, "schema: nesting deeper than %d", MAX_DEPTH);
  if (b->pos >= b->n) return parq_err_set(b->err, PARQ_ECORRUPT, "schema: ran out of elements");
  const pq_schema_element *e = &b->elems[b->pos++];
  if (!e->name) return parq_err_set(b->err, PARQ_ECORRUPT, "schema: element %u has no name", b->pos - 1);
  int32_t repn = e->has_repetition ? e->repetition : PQ_OPTIONAL;
  if (repn < 0 || repn > 2) return parq_err_set(b->err, PARQ_ECORRUPT, "schema: '%s' has invalid repetition %d", e->name, repn);
  bool group = e->has_num_children && e->num_children > 0;
  if (!group) {
    if (!e->has_type) return parq_err_set(b->err, PARQ_ECORRUPT, "schema: leaf '%s' has no type", e->name);
    if (e->type < 0 || e->type > 7)
      return parq_err_set(b->err, PARQ_ECORRUPT, "schema: leaf '%s' has invalid physical type %d", e->name, e->type);
    if (e->type == PQ_FIXED_LEN_BYTE_ARRAY && (!e->has_type_length || e->type_length <= 0 || e->type_length > (1 << 24)))
      return parq_err_set(b->err, PARQ_ECORRUPT, "schema: FIXED_LEN_BYTE_ARRAY '%s' has invalid length", e->name);
  }

  if (repn == PQ_REPEATED) {
    /* A bare repeated field: a required list of required elements. */
    pq_node *list = new_node(b, PQ_NODE_LIST, e, parent);
    if (!list) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
    list->def_level = def;
    list->rep_level = rep;
    list->nullable = false;
    list->rep_def_level = (int16_t)(def + 1);
    list->list_rep_level = (int16_t)(rep + 1);
    list->leaf_begin = b->n_leaves;
    list->children = parq_arena_calloc(&b->s->arena, 1, sizeof(pq_node *));
    if (!list->children) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
    list->n_children = 1;
    PARQ_TRY(parse_repeated_as_element(b, list, e, (int16_t)(def + 1), (int16_t)(rep + 1), depth, &list->children[0]));
    list->leaf_end = b->n_leaves;
    *out = list;
    return PARQ_OK;
  }

  int16_t mydef = (int16_t)(def + (repn == PQ_OPTIONAL));
  if (list_like(b, e))
    return parse_list_like(b, parent, e, mydef, rep, repn == PQ_OPTIONAL, depth, out);

  pq_node *n = new_node(b, group ? PQ_NODE_STRUCT : PQ_NODE_PRIMITIVE, e, parent);
  if (!n) return parq_err_set(b->err, PARQ_ENOMEM, "schema: out of memory");
  n->def_level = mydef;
  n->rep_level = rep;
  n->nullable = repn == PQ_OPTIONAL;
  n->leaf_begin = b->n_leaves;
  if (group) {
    PARQ_TRY(parse_children(b, n, e, mydef, rep, depth));
  } else {
    PARQ_TRY(add_leaf(b, n, mydef, rep));
  }
  n->leaf_end = b->n_leaves;
  *out = n;
  return PARQ_OK;
}

/* Leaf paths are the file's own element names (path_in_schema), including the
 * repeated groups of 3-level lists, so they are computed from the flat element
 * list (parent links via num_children) rather than from the node tree. */
static parq_status make_paths(pq_schema *s, const pq_schema_element *elems, uint32_t n,
                              parq_error *err) {
  int32_t *parent = malloc((size_t)n * sizeof *parent);
  int32_t *stack_idx = malloc((size_t)(MAX_DEPTH + 2) * sizeof *stack_idx);
  int32_t *stack_left = malloc((size_t)(MAX_DEPTH + 2) * sizeof *stack_left);
  if (!parent || !stack_idx || !stack_left) {
    free(parent), free(stack_idx), free(stack_left);
    return parq_err_set(err, PARQ_ENOMEM, "schema: out of memory");
  }
  int sp = 0;
  parent[0] = -1;
  stack_idx[0] = 0;
  stack_left[0] = elems[0].has_num_children ? elems[0].num_children : 0;
  for (uint32_t i = 1; i < n; i++) {
    while (sp > 0 && stack_left[sp] == 0) sp--;
    parent[i] = stack_idx[sp];
    stack_left[sp]--;
    if (elems[i].has_num_children && elems[i].num_children > 0 && sp < MAX_DEPTH) {
      sp++;
      stack_idx[sp] = (int32_t)i;
      stack_left[sp] = elems[i].num_children;
    }
  }
  parq_status st = PARQ_OK;
  for (int li = 0; li < s->n_leaves && !st; li++) {
    pq_leaf *l = &s->leaves[li];
    int32_t idx = (int32_t)(l->elem - elems);
    int depth = 0;
    size_t total = 0;
    for (int32_t k = idx; k > 0; k = parent[k]) depth++, total += strlen(elems[k].name) + 1;
    l->path_parts = parq_arena_calloc(&s->arena, (size_t)(depth ? depth : 1), sizeof(char *));
    char *p = parq_arena_alloc(&s->arena, total + 1);
    if (!l->path_parts || !p) {
      st = parq_err_set(err, PARQ_ENOMEM, "schema: out of memory");
      break;
    }
    l->n_path_parts = depth;
    int j = depth;
    for (int32_t k = idx; k > 0; k = parent[k]) l->path_parts[--j] = elems[k].name;
    l->path = p;
    for (j = 0; j < depth; j++) {
      size_t len = strlen(l->path_parts[j]);
      memcpy(p, l->path_parts[j], len);
      p += len;
      if (j + 1 < depth) *p++ = '.';
    }
    *p = 0;
  }
  free(parent), free(stack_idx), free(stack_left);
  return st;
}

static parq_status assign_arrow(pq_schema *s, pq_node *n, parq_error *err);

parq_status pq_schema_build(const pq_schema_element *elems, uint32_t n, pq_schema *out,
                            parq_error *err) {
  memset(out, 0, sizeof *out);
  if (n == 0) return parq_err_set(err, PARQ_ECORRUPT, "schema: empty");
  builder b = {elems, n, 1, out, err, 0, 0};
  const pq_schema_element *root = &elems[0];
  pq_node *r = new_node(&b, PQ_NODE_STRUCT, root, NULL);
  if (!r) return parq_err_set(err, PARQ_ENOMEM, "schema: out of memory");
  r->name = "";
  out->root = r;
  parq_status st = PARQ_OK;
  if (root->has_num_children && root->num_children > 0) {
    st = parse_children(&b, r, root, 0, 0, 0);
  } else if (n > 1) {
    st = parq_err_set(err, PARQ_ECORRUPT, "schema: root has no children but %u elements follow", n - 1);
  }
  if (!st && b.pos != n)
    st = parq_err_set(err, PARQ_ECORRUPT, "schema: %u trailing elements after the tree", n - b.pos);
  r->leaf_end = b.n_leaves;
  out->n_leaves = b.n_leaves;
  if (!st) st = make_paths(out, elems, n, err);
  if (!st) st = assign_arrow(out, r, err);
  if (st) pq_schema_free(out);
  return st;
}

void pq_schema_free(pq_schema *s) {
  if (!s) return;
  parq_arena_free(&s->arena);
  memset(s, 0, sizeof *s);
}

/* ---------------- Arrow mapping ---------------- */
static const char *unit_char(pq_time_unit u) {
  return u == PQ_UNIT_MILLIS ? "m" : u == PQ_UNIT_MICROS ? "u" : "n";
}

static const char *fmt_dup(pq_schema *s, const char *f) { return parq_arena_strndup(&s->arena, f, strlen(f)); }

static const char *leaf_arrow_format(pq_schema *s, pq_node *n) {
  const pq_schema_element *e = n->elem;
  const pq_logical_type *lt = &e->logical;
  char buf[64];
  int ct = e->converted_type;
  int32_t prec = 0, scale = 0;
  bool dec = false;
  if (lt->kind == PQ_LT_DECIMAL) dec = true, prec = lt->precision, scale = lt->scale;
  else if (lt->kind == PQ_LT_NONE && ct == PQ_CT_DECIMAL) dec = true, prec = e->precision, scale = e->scale;
  if (dec && e->type != PQ_BOOLEAN && e->type != PQ_FLOAT && e->type != PQ_DOUBLE && e->type != PQ_INT96 &&
      prec > 0 && prec <= 76 && scale >= 0 && scale <= prec) {
    if (prec <= 38) snprintf(buf, sizeof buf, "d:%d,%d", prec, scale);
    else snprintf(buf, sizeof buf, "d:%d,%d,256", prec, scale);
    return fmt_dup(s, buf);
  }
  switch (e->type) {
    case PQ_BOOLEAN: return "b";
    case PQ_INT32:
      if (lt->kind == PQ_LT_INTEGER) {
        int bw = lt->bit_width;
        if (bw == 8) return lt->is_signed ? "c" : "C";
        if (bw == 16) return lt->is_signed ? "s" : "S";
        return lt->is_signed ? "i" : "I";
      }
      if (lt->kind == PQ_LT_DATE) return "tdD";
      if (lt->kind == PQ_LT_TIME && lt->unit == PQ_UNIT_MILLIS) return "ttm";
      if (lt->kind == PQ_LT_UNKNOWN) return "n";
      if (lt->kind == PQ_LT_NONE) {
        switch (ct) {
          case PQ_CT_INT_8: return "c";
          case PQ_CT_UINT_8: return "C";
          case PQ_CT_INT_16: return "s";
          case PQ_CT_UINT_16: return "S";
          case PQ_CT_UINT_32: return "I";
          case PQ_CT_DATE: return "tdD";
          case PQ_CT_TIME_MILLIS: return "ttm";
        }
      }
      return "i";
    case PQ_INT64:
      if (lt->kind == PQ_LT_INTEGER) return lt->is_signed ? "l" : "L";
      if (lt->kind == PQ_LT_TIME) return lt->unit == PQ_UNIT_NANOS ? "ttn" : "ttu";
      if (lt->kind == PQ_LT_TIMESTAMP) {
        snprintf(buf, sizeof buf, "ts%s:%s", unit_char(lt->unit), lt->is_adjusted_to_utc ? "UTC" : "");
        return fmt_dup(s, buf);
      }
      if (lt->kind == PQ_LT_UNKNOWN) return "n";
      if (lt->kind == PQ_LT_NONE) {
        switch (ct) {
          case PQ_CT_UINT_64: return "L";
          case PQ_CT_TIME_MICROS: return "ttu";
          /* Legacy converted timestamps are UTC-adjusted (LogicalTypes.md). */
          case PQ_CT_TIMESTAMP_MILLIS: return "tsm:UTC";
          case PQ_CT_TIMESTAMP_MICROS: return "tsu:UTC";
        }
      }
      return "l";
    case PQ_INT96: return "tsu:"; /* microseconds: INT96 values from Spark exceed the int64-ns range */
    case PQ_FLOAT: return "f";
    case PQ_DOUBLE: return "g";
    case PQ_BYTE_ARRAY:
      if (lt->kind == PQ_LT_STRING || lt->kind == PQ_LT_ENUM || lt->kind == PQ_LT_JSON) {
        if (lt->kind == PQ_LT_JSON) n->arrow_json = true;
        return "u";
      }
      if (lt->kind == PQ_LT_NONE && (ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM || ct == PQ_CT_JSON)) {
        if (ct == PQ_CT_JSON) n->arrow_json = true;
        return "u";
      }
      if (lt->kind == PQ_LT_UNKNOWN) return "n";
      return "z";
    case PQ_FIXED_LEN_BYTE_ARRAY:
      if (lt->kind == PQ_LT_FLOAT16 && e->type_length == 2) return "e";
      if (lt->kind == PQ_LT_UUID && e->type_length == 16) n->arrow_uuid = true;
      snprintf(buf, sizeof buf, "w:%d", e->type_length);
      return fmt_dup(s, buf);
  }
  return "n";
}

static parq_status assign_arrow(pq_schema *s, pq_node *n, parq_error *err) {
  switch (n->kind) {
    case PQ_NODE_PRIMITIVE: n->arrow_format = leaf_arrow_format(s, n); break;
    case PQ_NODE_STRUCT: n->arrow_format = "+s"; break;
    case PQ_NODE_LIST: n->arrow_format = "+l"; break;
    case PQ_NODE_MAP: n->arrow_format = "+m"; break;
  }
  if (!n->arrow_format) return parq_err_set(err, PARQ_ENOMEM, "schema: out of memory");
  for (int i = 0; i < n->n_children; i++) PARQ_TRY(assign_arrow(s, n->children[i], err));
  return PARQ_OK;
}

pq_node *pq_schema_find(const pq_schema *s, const char *dotted) {
  pq_node *n = s->root;
  const char *p = dotted;
  while (n && *p) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    pq_node *next = NULL;
    pq_node *search = n;
    /* Step through list/map wrappers transparently. */
    for (int guard = 0; guard < 4 && !next; guard++) {
      for (int i = 0; i < search->n_children; i++) {
        pq_node *c = search->children[i];
        if (strlen(c->name) == len && !strncmp(c->name, p, len)) {
          next = c;
          break;
        }
      }
      if (next || (search->kind != PQ_NODE_LIST && search->kind != PQ_NODE_MAP)) break;
      if (search->n_children != 1) break;
      search = search->children[0];
      if (search->kind != PQ_NODE_STRUCT) break;
    }
    if (!next) {
      /* Allow "list.element" / "key_value" style segments of the file's own path. */
      if (n->kind == PQ_NODE_LIST || n->kind == PQ_NODE_MAP) {
        p = dot ? dot + 1 : p + len;
        continue;
      }
      return NULL;
    }
    n = next;
    p = dot ? dot + 1 : p + len;
  }
  return n == s->root ? NULL : n;
}

parq_status pq_schema_node_to_arrow(const pq_node *n, struct ArrowSchema *out, parq_error *err) {
  int64_t flags = n->nullable ? ARROW_FLAG_NULLABLE : 0;
  const char *name = n->name;
  if (n->parent && n->parent->kind == PQ_NODE_LIST) name = "element";
  if (n->parent && n->parent->kind == PQ_NODE_MAP) name = n == n->parent->children[0] ? "key" : "value";
  if (n->kind == PQ_NODE_MAP) {
    /* Arrow map: "+m" with one "+s" child "entries" holding key and value. */
    if (pq_arrow_schema_init(out, "+m", name, flags, 1)) goto oom;
    struct ArrowSchema *ent = out->children[0];
    if (pq_arrow_schema_init(ent, "+s", "entries", 0, 2)) goto oom_rel;
    for (int i = 0; i < 2; i++) {
      parq_status st = pq_schema_node_to_arrow(n->children[i], ent->children[i], err);
      if (st) {
        pq_arrow_schema_release(out);
        return st;
      }
    }
    ent->children[0]->flags &= ~ARROW_FLAG_NULLABLE; /* Arrow map keys are non-null */
    return PARQ_OK;
  }
  if (pq_arrow_schema_init(out, n->arrow_format, name, flags, n->n_children)) goto oom;
  if (n->arrow_uuid) {
    const char *k[] = {"ARROW:extension:name", "ARROW:extension:metadata"};
    const char *v[] = {"arrow.uuid", ""};
    if (pq_arrow_schema_set_metadata(out, k, v, 2)) goto oom_rel;
  } else if (n->arrow_json) {
    const char *k[] = {"ARROW:extension:name", "ARROW:extension:metadata"};
    const char *v[] = {"arrow.json", ""};
    if (pq_arrow_schema_set_metadata(out, k, v, 2)) goto oom_rel;
  }
  for (int i = 0; i < n->n_children; i++) {
    parq_status st = pq_schema_node_to_arrow(n->children[i], out->children[i], err);
    if (st) {
      pq_arrow_schema_release(out);
      return st;
    }
  }
  return PARQ_OK;
oom_rel:
  pq_arrow_schema_release(out);
oom:
  return parq_err_set(err, PARQ_ENOMEM, "schema: out of memory");
}
